// The console's only way to talk to the server: the same public /v1 API every
// client uses, authenticated either by the session cookie (+ CSRF header on
// writes) or by an API key kept in this tab's sessionStorage.

const KEY_STORAGE = 'clientele.apiKey';
const FIRM_STORAGE = 'clientele.firm';

// Filled in by signIn* / restore(); read by every screen.
// mode: 'session' | 'key' | null (signed out).
export const session = { user: null, scopes: [], firm: null, csrf: null, mode: null, key: null, expires_at: null };

export function can(scope) {
  const s = session.scopes || [];
  return s.includes('admin') || s.includes(scope);
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function queryString(query) {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === null || v === undefined || v === '') continue;
    if (Array.isArray(v)) {
      if (v.length) p.set(k, v.join(','));
    } else {
      p.set(k, String(v));
    }
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

// api(method, path, {body, etag, query, signal, headers}) →
//   {ok, status, data, body, etag, problem, headers}
// Never throws for HTTP errors; a network failure or abort resolves with
// status 0 and a synthetic problem (aborted: true for AbortController aborts),
// so screens can treat every outcome the same way.
export async function api(method, path, { body, etag, query, signal, headers: extra, contentType } = {}) {
  method = method.toUpperCase();
  const headers = { accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['content-type'] = contentType || 'application/json';
  if (etag) headers['if-match'] = etag;
  if (session.mode === 'key' && session.key) headers['x-api-key'] = session.key;
  if (session.mode === 'session' && session.csrf && UNSAFE.has(method)) headers['x-csrf-token'] = session.csrf;
  Object.assign(headers, extra || {});
  let res;
  try {
    res = await fetch(path + queryString(query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (err) {
    const aborted = err && err.name === 'AbortError';
    return {
      ok: false, status: 0, data: null, body: null, etag: null, headers: null, aborted,
      problem: { title: aborted ? 'Cancelled' : 'Network error', detail: aborted ? 'The request was cancelled.' : 'Could not reach the server. Check your connection and try again.', status: 0 },
    };
  }
  let parsed = null;
  const text = await res.text().catch(() => '');
  if (text) {
    try { parsed = JSON.parse(text); } catch { parsed = null; }
  }
  const out = {
    ok: res.ok,
    status: res.status,
    body: parsed,
    data: parsed && typeof parsed === 'object' ? parsed.data : undefined,
    etag: res.headers.get('etag'),
    headers: res.headers,
    problem: null,
  };
  if (!res.ok) {
    out.problem = parsed && typeof parsed === 'object' ? parsed : { title: res.statusText || 'Error', status: res.status, detail: text.slice(0, 300) };
    if (!out.problem.request_id) out.problem.request_id = res.headers.get('x-request-id');
    // Sign-in attempts answer 401 too; they are not a "signed out" event.
    if (res.status === 401 && session.mode && !path.startsWith('/v1/sessions')) {
      window.dispatchEvent(new CustomEvent('clientele:signed-out', { detail: out.problem }));
    }
  }
  return out;
}

function applyContext(data, mode) {
  session.mode = mode;
  session.user = data.user || null;
  session.scopes = data.scopes || [];
  session.firm = data.firm || session.firm || null;
  session.csrf = data.csrf_token || null;
  session.expires_at = data.expires_at || null;
}

export function rememberedFirm() {
  try { return localStorage.getItem(FIRM_STORAGE) || ''; } catch { return ''; }
}
function rememberFirm(id) {
  try { if (id) localStorage.setItem(FIRM_STORAGE, id); } catch { /* private mode */ }
}

// Loads firm/user/scopes from /v1/me (works with keys and sessions).
async function loadMe() {
  const r = await api('GET', '/v1/me');
  if (r.ok && r.data) {
    session.firm = r.data.firm || session.firm;
    if (r.data.user) session.user = r.data.user;
    if (r.data.scopes) session.scopes = r.data.scopes;
    if (session.firm && session.firm.id) rememberFirm(session.firm.id);
  }
  return r;
}

export async function signInWithPassword(firm_id, email, password) {
  const r = await api('POST', '/v1/sessions', { body: { firm_id, email, password } });
  if (!r.ok) return r;
  applyContext(r.data || {}, 'session');
  rememberFirm(firm_id);
  await loadMe();
  return r;
}

export async function signInWithKey(key) {
  session.mode = 'key';
  session.key = key;
  const r = await api('GET', '/v1/me');
  if (!r.ok) {
    session.mode = null; session.key = null;
    return r;
  }
  applyContext(r.data || {}, 'key');
  session.key = key;
  session.user = (r.data && r.data.user) || null;
  session.keyInfo = (r.data && r.data.key) || null;
  try { sessionStorage.setItem(KEY_STORAGE, key); } catch { /* ignore */ }
  if (session.firm && session.firm.id) rememberFirm(session.firm.id);
  return r;
}

// On page load: a key in this tab wins, else try the session cookie.
export async function restore() {
  let key = null;
  try { key = sessionStorage.getItem(KEY_STORAGE); } catch { /* ignore */ }
  if (key) {
    const r = await signInWithKey(key);
    if (r.ok) return true;
    try { sessionStorage.removeItem(KEY_STORAGE); } catch { /* ignore */ }
  }
  const r = await api('GET', '/v1/sessions/current');
  if (r.ok && r.data) {
    applyContext(r.data, 'session');
    await loadMe();
    return true;
  }
  return false;
}

export async function signOut() {
  if (session.mode === 'session') {
    await api('DELETE', '/v1/sessions/current');
  }
  try { sessionStorage.removeItem(KEY_STORAGE); } catch { /* ignore */ }
  clearSession();
}

export function clearSession() {
  Object.assign(session, { user: null, scopes: [], csrf: null, mode: null, key: null, keyInfo: null, expires_at: null });
}

// A display name for the header: the user's name, else the key's name.
export function whoAmI() {
  if (session.user) {
    const n = [session.user.first_name, session.user.last_name].filter(Boolean).join(' ');
    return n || session.user.email || 'Signed in';
  }
  if (session.keyInfo) return `API key: ${session.keyInfo.name || session.keyInfo.prefix}`;
  return 'API key';
}
