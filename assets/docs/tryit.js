// "Try it": a form per operation that sends the request to this same origin,
// authenticated by the signed-in console session (cookie + X-CSRF-Token) or a
// pasted API key (sessionStorage, X-Api-Key), and shows the response and curl.
import { h } from './h.js';
import { deref, exampleFor, mediaExample } from './schema.js';

const KEY_STORE = 'clientele.docs.apiKey';
const MODE_STORE = 'clientele.docs.auth';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
let uid = 0;
// The last ETag seen per resource path, for the If-Match / If-None-Match fields.
const etags = new Map();

function store(name, value) {
  try { if (value == null || value === '') sessionStorage.removeItem(name); else sessionStorage.setItem(name, value); } catch { /* storage disabled */ }
}
function stored(name) { try { return sessionStorage.getItem(name) || ''; } catch { return ''; } }

// The console session, if the server has the sessions API and the browser is signed in.
// {available: false} when the route does not exist (an older server).
let sessionPromise = null;
export function sessionInfo(refresh = false) {
  if (!sessionPromise || refresh) {
    sessionPromise = fetch('/v1/sessions/current', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(async r => {
        if (r.status === 200) {
          const body = await r.json().catch(() => null);
          const d = body && body.data || {};
          return { available: true, signedIn: true, csrf: d.csrf_token || null, user: d.user || null, scopes: d.scopes || [] };
        }
        if (r.status === 401 || r.status === 403) return { available: true, signedIn: false };
        return { available: false, signedIn: false };
      })
      .catch(() => ({ available: false, signedIn: false }));
  }
  return sessionPromise;
}

function authMode(sess) {
  const m = stored(MODE_STORE);
  if (m === 'session' && sess.signedIn) return 'session';
  if (m === 'key' || m === 'none') return m;
  if (sess.signedIn) return 'session';
  return stored(KEY_STORE) ? 'key' : 'none';
}

const shellQuote = s => "'" + String(s).replace(/'/g, "'\\''") + "'";

function paramInput(p, id) {
  const s = deref(p.schema || {});
  const t = Array.isArray(s.type) ? s.type.filter(x => x !== 'null')[0] : s.type;
  const name = p.in + '.' + p.name;
  const enumVals = s.enum || null;
  if (enumVals || t === 'boolean') {
    const opts = enumVals || [true, false];
    return h('select', { id, name }, h('option', { value: '' }, p.required ? 'Choose…' : '(not sent)'),
      opts.filter(v => v !== null).map(v => h('option', { value: String(v) }, String(v))));
  }
  const ex = p.example ?? (p.examples && Object.values(p.examples)[0]?.value);
  const placeholder = t === 'array' ? 'comma-separated' : ex != null ? String(ex) : s.format || (t === 'string' ? '' : t) || '';
  return h('input', { id, name, type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder, required: !!p.required });
}

export function tryItPanel(o) {
  const n = ++uid;
  const { method, path } = o;
  const M = method.toUpperCase();
  const params = o.params.filter(p => ['path', 'query', 'header'].includes(p.in));
  const form = h('form', { class: 'tryit-form', novalidate: true });
  const out = h('div', { class: 'tryit-out' });
  // Announces only the outcome: a live region holding the whole body would be read out in full.
  const live = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });

  // Authentication
  const authBox = h('fieldset', { class: 'auth' }, h('legend', null, 'Authentication'));
  const keyId = `try-key-${n}`;
  const keyInput = h('input', { id: keyId, type: 'password', autocomplete: 'off', spellcheck: 'false', placeholder: 'clt_…', value: stored(KEY_STORE) });
  const sessNote = h('span', { class: 'muted' }, 'checking…');
  const radios = {};
  const radio = (value, label, extra) => {
    const id = `try-auth-${value}-${n}`;
    radios[value] = h('input', { type: 'radio', name: 'auth', id, value });
    return h('div', { class: 'radio' }, radios[value], h('label', { for: id }, label), extra);
  };
  authBox.append(
    radio('session', 'Signed-in console session', [' ', sessNote]),
    radio('key', 'Pasted API key'),
    h('div', { class: 'field key-field' }, h('label', { for: keyId }, 'API key'), keyInput,
      h('p', { class: 'hint' }, 'Kept in this tab only (sessionStorage) and sent as ', h('code', null, 'X-Api-Key'), '.')),
    radio('none', 'No credentials'));
  keyInput.addEventListener('input', () => {
    store(KEY_STORE, keyInput.value.trim());
    if (keyInput.value.trim()) { radios.key.checked = true; store(MODE_STORE, 'key'); }
    syncAuth();
  });
  for (const [v, r] of Object.entries(radios)) r.addEventListener('change', () => { if (r.checked) store(MODE_STORE, v); syncAuth(); });
  let sess = { available: false, signedIn: false };
  function syncAuth() {
    radios.session.disabled = !sess.signedIn;
  }
  sessionInfo().then(s => {
    sess = s;
    sessNote.textContent = s.signedIn ? `(signed in${s.user && s.user.email ? ' as ' + s.user.email : ''})`
      : s.available ? '(not signed in: sign in at /console)' : '(not available on this server)';
    if (!s.signedIn && s.available) {
      sessNote.textContent = '';
      sessNote.append('(not signed in: ', h('a', { href: '/console' }, 'sign in to the console'), ')');
    }
    radios[authMode(s)].checked = true;
    syncAuth();
  });

  form.append(authBox);

  // Parameters
  const groups = { path: 'Path parameters', query: 'Query parameters', header: 'Headers' };
  for (const where of ['path', 'query', 'header']) {
    const ps = params.filter(p => p.in === where);
    if (!ps.length) continue;
    const fs = h('fieldset', { class: 'params' }, h('legend', null, groups[where]));
    for (const p of ps) {
      const id = `try-${n}-${where}-${p.name.replace(/[^\w-]/g, '_')}`;
      const input = paramInput(p, id);
      const label = h('label', { for: id }, h('code', null, p.name), p.required ? h('span', { class: 'req' }, 'required') : null);
      const row = h('div', { class: 'field' }, label, input);
      if (/^if-(none-)?match$/i.test(p.name)) {
        row.append(h('button', {
          type: 'button', class: 'btn small', on: {
            click: () => {
              const et = etags.get(currentPath());
              if (et) input.value = et;
              else { input.value = ''; input.placeholder = 'No ETag seen for this path yet: send a GET first'; }
            },
          },
        }, 'Use last ETag'));
      }
      if (p.name.toLowerCase() === 'idempotency-key') {
        row.append(h('button', { type: 'button', class: 'btn small', on: { click: () => { input.value = crypto.randomUUID(); } } }, 'Generate'));
      }
      fs.append(row);
    }
    form.append(fs);
  }

  // Body
  let bodyArea = null, ctSelect = null;
  const rb = o.op.requestBody && deref(o.op.requestBody);
  if (rb && rb.content) {
    const types = Object.keys(rb.content);
    const bodyId = `try-body-${n}`;
    const exampleText = ct => {
      const ex = mediaExample(rb.content[ct], { request: true });
      const v = ex.value !== undefined ? ex.value : exampleFor(rb.content[ct].schema || {});
      return v === undefined ? '' : JSON.stringify(v, null, 2);
    };
    const fs = h('fieldset', { class: 'body' }, h('legend', null, 'Body'));
    if (types.length > 1) {
      const ctId = `try-ct-${n}`;
      ctSelect = h('select', { id: ctId, name: 'content-type' }, types.map(t => h('option', { value: t }, t)));
      fs.append(h('div', { class: 'field' }, h('label', { for: ctId }, 'Content-Type'), ctSelect));
    }
    bodyArea = h('textarea', { id: bodyId, name: 'body', rows: '12', spellcheck: 'false', class: 'code' });
    bodyArea.value = exampleText(types[0]);
    fs.append(h('div', { class: 'field' },
      h('label', { for: bodyId }, 'JSON body', ctSelect ? null : h('span', { class: 'muted' }, ' (', types[0], ')')), bodyArea,
      h('button', { type: 'button', class: 'btn small', on: { click: () => { bodyArea.value = exampleText(ctSelect ? ctSelect.value : types[0]); } } }, 'Reset to example')));
    form.append(fs);
  }

  const send = h('button', { type: 'submit', class: 'btn primary' }, 'Send');
  form.append(h('div', { class: 'actions' }, send, h('span', { class: 'muted' }, `${M} to this server only`)));

  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    out.textContent = '';
    const built = buildRequest();
    live.textContent = '';
    if (built.error) { out.append(h('p', { class: 'error', role: 'alert' }, built.error)); return; }
    const mode = radios.session.checked ? 'session' : radios.key.checked ? 'key' : 'none';
    const headers = { ...built.headers };
    if (mode === 'key') {
      const key = keyInput.value.trim();
      if (!key) { out.append(h('p', { class: 'error', role: 'alert' }, 'Paste an API key, or choose another way to authenticate.')); keyInput.focus(); return; }
      headers['X-Api-Key'] = key;
    }
    if (mode === 'session' && UNSAFE.has(M)) {
      const s = await sessionInfo(true); // a fresh token: it may have rotated since load
      if (!s.signedIn) { out.append(h('p', { class: 'error', role: 'alert' }, 'The console session has ended; sign in again at /console.')); return; }
      if (s.csrf) headers['X-CSRF-Token'] = s.csrf;
    }
    send.disabled = true;
    out.append(h('p', { class: 'loading' }, 'Sending…'));
    const t0 = performance.now();
    try {
      const res = await fetch(built.url, {
        method: M, headers, body: built.body,
        credentials: mode === 'session' ? 'same-origin' : 'omit',
        redirect: 'manual', cache: 'no-store',
      });
      const ms = Math.round(performance.now() - t0);
      const et = res.headers.get('etag');
      if (et) etags.set(new URL(built.url).pathname, et);
      out.textContent = '';
      await showResponse(out, res, ms);
      live.textContent = `Response: ${out.querySelector('.status')?.textContent || res.status}`;
    } catch (e) {
      out.textContent = '';
      out.append(h('p', { class: 'error', role: 'alert' }, 'The request failed: ' + (e && e.message || e)));
    } finally {
      send.disabled = false;
    }
    out.append(curlBlock(built, mode));
  });

  function currentPath() {
    const fd = new FormData(form);
    let p = path;
    for (const prm of params) {
      if (prm.in !== 'path') continue;
      const raw = String(fd.get('path.' + prm.name) ?? '').trim();
      p = p.split('{' + prm.name + '}').join(encodeURIComponent(raw));
    }
    return new URL(p, location.origin).pathname;
  }

  function buildRequest() {
    const fd = new FormData(form);
    let p = path;
    const missing = [];
    const headers = {};
    const url = new URL('/', location.origin);
    for (const prm of params) {
      const raw = String(fd.get(prm.in + '.' + prm.name) ?? '').trim();
      if (!raw) { if (prm.required) missing.push(prm.name); continue; }
      if (prm.in === 'path') p = p.split('{' + prm.name + '}').join(encodeURIComponent(raw));
      else if (prm.in === 'header') headers[prm.name] = raw;
      else {
        const s = deref(prm.schema || {});
        const isArray = s.type === 'array' || (Array.isArray(s.type) && s.type.includes('array'));
        if (isArray && prm.explode !== false) raw.split(',').map(x => x.trim()).filter(Boolean).forEach(v => url.searchParams.append(prm.name, v));
        else url.searchParams.append(prm.name, raw);
      }
    }
    if (missing.length) return { error: 'Fill in: ' + missing.join(', ') + '.' };
    const target = new URL(p, location.origin);
    if (target.origin !== location.origin) return { error: 'Only this server can be called.' };
    target.search = url.search;
    let body;
    if (bodyArea && bodyArea.value.trim()) {
      const ct = ctSelect ? ctSelect.value : Object.keys(rb.content)[0];
      if (/json/.test(ct)) {
        try { JSON.parse(bodyArea.value); } catch (e) { return { error: 'The body is not valid JSON: ' + e.message }; }
      }
      headers['Content-Type'] = ct;
      body = bodyArea.value;
    }
    return { url: target.href, headers, body, methodName: M };
  }

  return h('section', { class: 'tryit', 'aria-labelledby': `try-h-${n}` },
    h('h2', { id: `try-h-${n}` }, 'Try it'), form, live, out);
}

async function showResponse(out, res, ms) {
  const ct = res.headers.get('content-type') || '';
  let text = await res.text();
  let pretty = text;
  if (/json/.test(ct) && text) {
    try { pretty = JSON.stringify(JSON.parse(text), null, 2); } catch { /* show as sent */ }
  }
  const LIMIT = 200000;
  const cut = pretty.length > LIMIT;
  if (cut) pretty = pretty.slice(0, LIMIT);
  const ok = res.status >= 200 && res.status < 300;
  const status = res.type === 'opaqueredirect' ? 'redirect (not followed)' : `${res.status} ${res.statusText || ''}`.trim();
  const hdrRows = [];
  res.headers.forEach((v, k) => hdrRows.push(h('tr', null, h('th', { scope: 'row' }, k), h('td', null, v))));
  out.append(...[
    h('p', { class: 'status-line' }, h('span', { class: 'status ' + (ok ? 'ok' : 'bad'), 'data-testid': 'response-status' }, status),
      h('span', { class: 'muted' }, ` in ${ms} ms`)),
    h('details', { class: 'resp-headers' }, h('summary', null, `Response headers (${hdrRows.length})`),
      h('div', { class: 'table-wrap' }, h('table', { class: 'headers' }, h('tbody', null, hdrRows)))),
    h('p', { class: 'label' }, 'Response body', ct ? h('span', { class: 'muted' }, ' · ' + ct.split(';')[0]) : null),
    pretty ? h('pre', { class: 'code resp-body', tabindex: '0', role: 'region', 'aria-label': 'Response body' }, h('code', null, pretty)) : h('p', { class: 'muted' }, '(empty body)'),
    cut ? h('p', { class: 'muted' }, 'Showing the first 200,000 characters.') : null].filter(Boolean));
}

function curlBlock(built, mode) {
  const parts = [];
  const method = built.methodName;
  parts.push('curl' + (method && method !== 'GET' ? ' -X ' + method : '') + ' ' + shellQuote(built.url));
  if (mode !== 'none') parts.push('-H "X-Api-Key: $CLIENTELE_API_KEY"');
  for (const [k, v] of Object.entries(built.headers)) parts.push('-H ' + shellQuote(`${k}: ${v}`));
  if (built.body !== undefined) parts.push('--data-raw ' + shellQuote(built.body));
  const cmd = parts.join(' \\\n  ');
  const pre = h('pre', { class: 'code curl', tabindex: '0', role: 'region', 'aria-label': 'curl command' }, h('code', null, cmd));
  const copy = h('button', {
    type: 'button', class: 'btn small',
    on: {
      click: async () => {
        try { await navigator.clipboard.writeText(cmd); copy.textContent = 'Copied'; }
        catch {
          const r = document.createRange(); r.selectNodeContents(pre);
          const sel = getSelection(); sel.removeAllRanges(); sel.addRange(r);
          copy.textContent = 'Selected: press Ctrl+C';
        }
        setTimeout(() => { copy.textContent = 'Copy curl'; }, 2000);
      },
    },
  }, 'Copy curl');
  return h('div', { class: 'curl-box' },
    h('p', { class: 'label' }, 'The same request with curl', mode === 'session' ? h('span', { class: 'muted' }, ' (curl cannot use the browser session; it uses an API key)') : null),
    pre, copy);
}
