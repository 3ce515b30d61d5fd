// API keys (#/keys, admin): list, mint (the secret shown once), revoke.
// Also exports the small helpers the other admin screens share (secret
// dialog, copy button, form errors, conflict notice, "load more" paging).

import { api, session, can } from './api.js';
import { h, clear, problemBox, showFieldErrors, clearFieldErrors, toast, emptyState, loading, dialog, confirmDialog, field, badge, pageTitle, timeEl, nextId, totalText, totalOf } from './ui.js';
import { screen } from './router.js';

// ---- shared helpers -------------------------------------------------------

export function copyButton(text, label = 'Copy') {
  const btn = h('button', { type: 'button', class: 'btn' }, label);
  btn.addEventListener('click', async () => {
    let ok = false;
    try { await navigator.clipboard.writeText(text); ok = true; } catch { /* not allowed: fall back below */ }
    if (!ok) {
      // Select the secret's text field so the user can copy it by hand.
      const input = btn.parentElement && btn.parentElement.querySelector('input');
      if (input) { input.focus(); input.select(); }
      toast('Copying is blocked here: the text is selected, press Ctrl+C.');
      return;
    }
    btn.textContent = 'Copied';
    setTimeout(() => { btn.textContent = label; }, 2000);
  });
  return btn;
}

// A dialog that shows a secret (API key, webhook secret, intake token) once.
export function secretDialog({ title, secret, label = 'Secret', warning, extra }) {
  const id = nextId('secret');
  const input = h('input', { id, type: 'text', readonly: true, value: secret, class: 'adm-secret', spellcheck: 'false', autocomplete: 'off' });
  input.addEventListener('focus', () => input.select());
  return dialog({
    title,
    body: h('div', { class: 'adm-secret-box' },
      h('p', { class: 'adm-warning', role: 'note' }, h('strong', null, 'Copy it now. '),
        warning || 'This is the only time it is shown; it cannot be shown again. If you lose it, make a new one.'),
      h('div', { class: 'field' }, h('label', { for: id }, label),
        h('div', { class: 'adm-copy-row' }, input, copyButton(secret))),
      extra || null),
    actions: [{ label: 'I have stored it', value: true, class: 'primary' }],
  });
}

// Shows a problem's field errors at their fields (`scopes[0]` goes to the
// `scopes` group) and the rest, or the detail, in `slot`.
export function showProblem(form, slot, problem) {
  clear(slot);
  if (form) clearFieldErrors(form);
  const p = { ...(problem || {}) };
  if (form && Array.isArray(p.errors)) {
    p.errors = p.errors.map((e) => {
      const f = e.field || '';
      if (!f || hasField(form, f)) return e;
      const base = f.replace(/\[\d+\]$/, '');
      return hasField(form, base) ? { ...e, field: base } : e;
    });
  }
  if (form) form.querySelectorAll('fieldset[data-field]').forEach((fs) => fs.removeAttribute('aria-describedby'));
  const unplaced = form ? showFieldErrors(form, p) : (p.errors || []);
  // A group's message goes inside its fieldset and describes it.
  if (form) {
    form.querySelectorAll('fieldset.has-error[data-field]').forEach((fs) => {
      const msg = [...form.querySelectorAll('.field-error[data-error-for]')].find((m) => m.dataset.errorFor === fs.dataset.field);
      if (msg) { fs.append(msg); fs.setAttribute('aria-describedby', msg.id); }
    });
  }
  const placedAll = Array.isArray(p.errors) && p.errors.length && !unplaced.length;
  const box = problemBox(placedAll ? { ...p, title: p.title || 'Invalid request', detail: 'Fix the marked fields and try again.' } : p);
  if (unplaced.length) {
    box.append(h('ul', null, unplaced.map((e) => h('li', null, e.field ? h('code', null, e.field) : null, e.field ? ' ' : null, e.message))));
  }
  slot.append(box);
}

// After a 412: someone changed the record. Lists what differs between the
// version the form was opened on and the current one; never overwrites unless
// the user says so.
export function conflictNotice(slot, { before, latest, fields, onReload, onOverwrite }) {
  clear(slot);
  const changed = (fields || []).filter((f) => JSON.stringify(before ? before[f] : null) !== JSON.stringify(latest ? latest[f] : null));
  slot.append(h('div', { class: 'problem adm-conflict', role: 'alert' },
    h('strong', { class: 'problem-title' }, 'Someone else changed this record'),
    h('p', null, 'It was changed after you opened it, so your save was not applied.'),
    changed.length
      ? h('ul', null, changed.map((f) => h('li', null, h('code', null, f), ': now ', h('q', null, show(latest[f])))))
      : h('p', { class: 'muted' }, 'The fields shown here did not change, but others did.'),
    h('div', { class: 'adm-actions' },
      h('button', { type: 'button', class: 'btn primary', on: { click: onReload } }, 'Load their version'),
      onOverwrite ? h('button', { type: 'button', class: 'btn danger', on: { click: onOverwrite } }, 'Save my changes anyway') : null)));
}

function hasField(form, f) {
  const q = String(f).replace(/["\\]/g, '\\$&');
  return !!form.querySelector(`[name="${q}"], [data-field="${q}"]`);
}

function show(v) {
  if (v === null || v === undefined || v === '') return '(empty)';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

// "Load more" paging over a cursor API. fetchPage(cursor) resolves an api()
// result; renderRows(items, replace) puts them on screen. Returns {reload}.
export function pager(host, { fetchPage, renderRows, emptyText, totalEl }) {
  let cursor = null;
  let seq = 0;
  const status = h('div', { class: 'adm-pager' });
  host.append(status);
  async function load(reset) {
    const mine = ++seq;
    if (reset) cursor = null;
    clear(status).append(loading());
    const r = await fetchPage(reset ? null : cursor);
    if (mine !== seq || r.aborted) return;
    clear(status);
    if (!r.ok) { status.append(problemBox(r.problem), h('button', { type: 'button', class: 'btn', on: { click: () => load(reset) } }, 'Try again')); return; }
    const items = r.data || [];
    const pg = (r.body && r.body.pagination) || {};
    renderRows(items, reset);
    const total = totalOf(pg);
    if (totalEl && total) totalEl.textContent = totalText(total, 'in all', 'in all');
    if (reset && !items.length) status.append(emptyState(emptyText || 'Nothing here yet.'));
    cursor = pg.next_cursor || null;
    if (pg.has_more && cursor) {
      status.append(h('button', { type: 'button', class: 'btn', on: { click: () => load(false) } }, 'Load more'));
    }
  }
  load(true);
  return { reload: () => load(true) };
}

// A table inside a horizontally scrolling wrapper (narrow screens).
export function table(headers, caption) {
  const tbody = h('tbody');
  const el = h('div', { class: 'table-wrap adm-table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', { class: 'table' }, h('caption', { class: 'visually-hidden sr-only' }, caption),
      h('thead', null, h('tr', null, headers.map((t) => h('th', { scope: 'col' }, t || h('span', { class: 'visually-hidden' }, 'Actions'))))), tbody));
  // Each cell carries its column's name, shown beside it when rows stack (phones).
  const label = () => tbody.querySelectorAll('tr').forEach((tr) => {
    [...tr.children].forEach((td, i) => { if (!td.dataset.label) td.dataset.label = headers[i] || ''; });
  });
  new MutationObserver(label).observe(tbody, { childList: true });
  return { el, tbody };
}

export function input(name, attrs = {}) {
  return h('input', { name, type: 'text', ...attrs });
}

export function select(name, options, value) {
  return h('select', { name }, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

// A checkbox with its label on the right.
export function checkbox(name, label, checked, attrs = {}) {
  const id = nextId('cb');
  return h('div', { class: 'adm-check' }, h('input', { type: 'checkbox', id, name, checked, ...attrs }), h('label', { for: id }, label));
}

export function jsonBlock(value) {
  return h('pre', { class: 'adm-json' }, value === null || value === undefined ? '—' : JSON.stringify(value, null, 2));
}

// ---- the keys screen ------------------------------------------------------

const FALLBACK_SCOPES = ['clients:read', 'clients:write', 'matters:read', 'matters:write', 'notes:read', 'notes:write', 'leads:read', 'leads:write', 'users:read', 'admin'];
let scopesPromise = null;

// The scopes the server accepts, from its own OpenAPI document.
function knownScopes() {
  if (!scopesPromise) {
    scopesPromise = fetch('/openapi.json', { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.json() : null))
      .then((doc) => {
        const e = doc && doc.components && doc.components.schemas && doc.components.schemas.Scope && doc.components.schemas.Scope.enum;
        return Array.isArray(e) && e.length ? e : FALLBACK_SCOPES;
      })
      .catch(() => FALLBACK_SCOPES);
  }
  return scopesPromise;
}

function keyState(k) {
  if (k.revoked_at) return badge('Revoked', 'danger');
  if (k.expires_at && new Date(k.expires_at) <= new Date()) return badge('Expired', 'warning');
  return badge('Active', 'success');
}

function userName(u) {
  return [u.first_name, u.last_name].filter(Boolean).join(' ') || u.email;
}

screen('/keys', {
  title: 'API keys',
  nav: 'API keys',
  scope: 'admin',
  async render(main, _params, _query, { signal } = {}) {
    const admin = can('admin');
    const newBtn = admin ? h('button', { type: 'button', class: 'btn primary' }, 'New API key') : null;
    main.append(h('div', { class: 'adm-head' }, pageTitle('API keys'), newBtn));
    main.append(h('p', { class: 'muted' }, 'Keys let programs use the API. Each key has only the scopes you give it; revoking one stops it at once.'));
    const formSlot = h('div');
    const listSlot = h('div');
    main.append(formSlot, listSlot);

    // Users, for the "acts for" choice and the list's user column.
    const usersP = api('GET', '/v1/users', { query: { limit: 100 }, signal }).then((r) => (r.ok ? r.data || [] : []));

    async function loadList() {
      clear(listSlot).append(loading());
      const [r, users] = await Promise.all([api('GET', '/v1/api-keys', { signal }), usersP]);
      if (r.aborted) return;
      clear(listSlot);
      if (!r.ok) { listSlot.append(problemBox(r.problem)); return; }
      const keys = r.data || [];
      if (!keys.length) { listSlot.append(emptyState('No API keys yet.')); return; }
      const byId = new Map(users.map((u) => [u.id, u]));
      // Newest first; revoked keys last.
      keys.sort((a, b) => (!!a.revoked_at - !!b.revoked_at) || String(b.created_at).localeCompare(String(a.created_at)));
      const t = table(['Name', 'Prefix', 'Scopes', 'User', 'Created', 'Last used', 'Expires', 'State', ''], 'API keys');
      for (const k of keys) {
        const mine = session.keyInfo && session.keyInfo.id === k.id;
        const u = k.user_id && byId.get(k.user_id);
        t.tbody.append(h('tr', { class: k.revoked_at ? 'adm-dim' : null, 'data-key-id': k.id },
          h('td', null, k.name || h('span', { class: 'muted' }, '(no name)'), mine ? h('span', { class: 'muted' }, ' (this session)') : null),
          h('td', { class: 'nowrap' }, h('code', null, k.prefix + '…')),
          h('td', { class: 'adm-scopes-cell' }, h('div', { class: 'adm-badges' }, (k.scopes || []).map((s) => badge(s)))),
          h('td', null, u ? h('a', { href: `#/users/${encodeURIComponent(u.id)}` }, userName(u)) : (k.user_id ? h('code', null, k.user_id) : h('span', { class: 'muted' }, '—'))),
          h('td', { class: 'nowrap' }, timeEl(k.created_at)),
          h('td', { class: 'nowrap' }, k.last_used_at ? timeEl(k.last_used_at) : h('span', { class: 'muted' }, 'Never')),
          h('td', { class: 'nowrap' }, k.expires_at ? timeEl(k.expires_at) : h('span', { class: 'muted' }, 'Never')),
          h('td', null, keyState(k), k.revoked_at ? h('div', { class: 'muted small' }, timeEl(k.revoked_at)) : null),
          h('td', null, admin && !k.revoked_at
            ? h('button', { type: 'button', class: 'btn danger small', 'aria-label': `Revoke ${k.name || k.prefix}`, on: { click: () => revoke(k, mine) } }, 'Revoke')
            : null)));
      }
      listSlot.append(t.el);
    }

    async function revoke(k, mine) {
      const ok = await confirmDialog(`Revoke “${k.name || k.prefix}”?`,
        (mine ? 'This is the key you are signed in with: you will be signed out. ' : '')
          + 'Every program using this key stops working at once. This cannot be undone.',
        { confirm: 'Revoke key', danger: true });
      if (!ok) return;
      const r = await api('DELETE', `/v1/api-keys/${encodeURIComponent(k.id)}`);
      if (!r.ok) { toast(r.problem.detail || r.problem.title, { kind: 'error' }); return; }
      toast(`Key “${k.name || k.prefix}” revoked.`);
      loadList();
    }

    async function openForm() {
      if (formSlot.firstChild) { formSlot.querySelector('input').focus(); return; }
      const [scopes, users] = await Promise.all([knownScopes(), usersP]);
      const errSlot = h('div');
      const form = h('form', { class: 'card adm-form', novalidate: true, 'aria-label': 'New API key' },
        h('h2', null, 'New API key'),
        field('Name', input('name', { maxlength: 100, placeholder: 'e.g. Zapier integration', required: true })),
        h('fieldset', { class: 'adm-fieldset', 'data-field': 'scopes' },
          h('legend', null, 'Scopes'),
          h('p', { class: 'field-hint' }, 'Write does not include read. “admin” includes everything.'),
          h('div', { class: 'adm-scope-grid' }, scopes.map((s) => checkbox('scope', s, false, { value: s })))),
        field('Expires (optional)', input('expires_at', { type: 'datetime-local' }), { hint: 'Leave empty for a key that does not expire.' }),
        field('Acts for user (optional)', select('user_id', [['', 'No user'], ...users.map((u) => [u.id, `${userName(u)} (${u.email})`])], ''),
          { hint: 'Changes made with the key are then recorded as this user’s.' }),
        field('Rate limit per minute (optional)', input('rate_limit_per_minute', { type: 'number', min: 1, max: 1000000, inputmode: 'numeric' })),
        errSlot,
        h('div', { class: 'adm-actions' },
          h('button', { type: 'submit', class: 'btn primary' }, 'Create key'),
          h('button', { type: 'button', class: 'btn', on: { click: () => { clear(formSlot); if (newBtn) newBtn.focus(); } } }, 'Cancel')));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const fd = new FormData(form);
        const body = { name: fd.get('name').trim() || null, scopes: fd.getAll('scope') };
        const exp = fd.get('expires_at');
        if (exp) {
          const d = new Date(exp);
          body.expires_at = Number.isNaN(d.getTime()) ? exp : d.toISOString();
        }
        if (fd.get('user_id')) body.user_id = fd.get('user_id');
        const rl = fd.get('rate_limit_per_minute');
        if (rl) body.rate_limit_per_minute = Number(rl);
        const submit = form.querySelector('button[type=submit]');
        submit.disabled = true;
        const r = await api('POST', '/v1/api-keys', { body });
        submit.disabled = false;
        if (!r.ok) { showProblem(form, errSlot, r.problem); return; }
        clear(formSlot);
        loadList();
        await secretDialog({
          title: `Your new API key “${r.data.name || r.data.prefix}”`,
          secret: r.data.secret,
          label: 'API key',
          warning: 'This is the only time the key is shown. Store it in your password manager or the program’s settings now; if you lose it, revoke it and make a new one.',
        });
        // The form is gone: put focus somewhere sensible.
        if (newBtn) newBtn.focus();
      });
      formSlot.append(form);
      form.querySelector('input').focus();
    }
    if (newBtn) newBtn.addEventListener('click', openForm);
    await loadList();
  },
});
