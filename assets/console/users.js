// Staff users (#/users: users:read to see, admin to change) and the signed-in
// user's own account page (#/account: change my password).

import { api, session, can } from './api.js';
import { h, clear, clearFieldErrors, problemBox, toast, emptyState, loading, confirmDialog, field, badge, pageTitle, timeEl, debounce, dl } from './ui.js';
import { screen, go, setQuery, reload } from './router.js';
import { showProblem, conflictNotice, pager, table, input, select } from './keys.js';

const ROLES = [['member', 'Member'], ['admin', 'Admin'], ['owner', 'Owner']];
const ROLE_KIND = { owner: 'warning', admin: 'info', member: null };
const EDITABLE = ['first_name', 'last_name', 'email', 'role'];
const MIN_PASSWORD = 12;

function fullName(u) {
  return [u.first_name, u.last_name].filter(Boolean).join(' ') || u.email;
}

function userFields(u) {
  return [
    field('First name', input('first_name', { value: u.first_name || '', maxlength: 100, autocomplete: 'off', required: true })),
    field('Last name', input('last_name', { value: u.last_name || '', maxlength: 100, autocomplete: 'off', required: true })),
    field('Email', input('email', { type: 'email', value: u.email || '', maxlength: 254, autocomplete: 'off', required: true })),
    field('Role', select('role', ROLES, u.role || 'member'), { hint: 'Owners and admins can change everything; members work with records only.' }),
  ];
}

// Checks the two password inputs before asking the server.
function passwordMismatch(form, slot) {
  const a = form.elements.password.value;
  const b = form.elements.password_confirm.value;
  if (a.length < MIN_PASSWORD) {
    showProblem(form, slot, { title: 'Password too short', errors: [{ field: 'password', message: `must be at least ${MIN_PASSWORD} characters` }] });
    return true;
  }
  if (a !== b) {
    showProblem(form, slot, { title: 'Passwords differ', errors: [{ field: 'password_confirm', message: 'does not match the new password' }] });
    return true;
  }
  return false;
}

function passwordInputs(labelNew = 'New password') {
  return [
    field(labelNew, input('password', { type: 'password', autocomplete: 'new-password', minlength: MIN_PASSWORD, maxlength: 256 }),
      { hint: `${MIN_PASSWORD} to 256 characters. A long passphrase is best.` }),
    field('Repeat the new password', input('password_confirm', { type: 'password', autocomplete: 'new-password', maxlength: 256 })),
  ];
}

// ---- the list ---------------------------------------------------------------

screen('/users', {
  title: 'Users',
  nav: 'Users',
  scope: 'users:read',
  async render(main, _params, query, { signal } = {}) {
    const admin = can('admin');
    const total = h('span', { class: 'muted adm-total', 'aria-live': 'polite' });
    const newBtn = admin ? h('button', { type: 'button', class: 'btn primary', on: { click: () => openNew() } }, 'New user') : null;
    main.append(h('div', { class: 'adm-head' }, pageTitle('Users'), total, newBtn));
    let q = query.q || '';
    const search = input('q', { type: 'search', value: q, placeholder: 'Name or email', autocomplete: 'off' });
    main.append(h('div', { class: 'toolbar adm-toolbar', role: 'search' }, field('Search users', search)));
    const newSlot = h('div');
    const listSlot = h('div');
    main.append(newSlot, listSlot);
    const t = table(['Name', 'Email', 'Role', 'Created'], 'Users');
    function run() {
      clear(listSlot).append(t.el);
      t.tbody.replaceChildren();
      total.textContent = '';
      pager(listSlot, {
        totalEl: total,
        emptyText: q ? 'No users match this search.' : 'No users yet.',
        fetchPage: (cursor) => api('GET', '/v1/users', { signal, query: { q, cursor, limit: 25, include_total: cursor ? null : true } }),
        renderRows(items, reset) {
          if (reset) t.tbody.replaceChildren();
          t.el.hidden = reset && !items.length;
          for (const u of items) {
            t.tbody.append(h('tr', null,
              h('td', null, h('a', { href: `#/users/${encodeURIComponent(u.id)}` }, fullName(u)),
                session.user && session.user.id === u.id ? h('span', { class: 'muted' }, ' (you)') : null),
              h('td', null, u.email),
              h('td', null, badge(u.role, ROLE_KIND[u.role])),
              h('td', null, timeEl(u.created_at))));
          }
        },
      });
    }
    search.addEventListener('input', debounce(() => { q = search.value.trim(); setQuery({ q }); run(); }, 250));

    function openNew() {
      if (newSlot.firstChild) { newSlot.querySelector('input').focus(); return; }
      const errSlot = h('div');
      const form = h('form', { class: 'card adm-form', novalidate: true, 'aria-label': 'New user' },
        h('h2', null, 'New user'),
        h('div', { class: 'adm-grid' }, userFields({}),
          field('Password (optional)', input('password', { type: 'password', autocomplete: 'new-password', maxlength: 256 }),
            { hint: `Lets them sign in to the console; ${MIN_PASSWORD}+ characters. You can set it later.` })),
        errSlot,
        h('div', { class: 'adm-actions' },
          h('button', { type: 'submit', class: 'btn primary' }, 'Create user'),
          h('button', { type: 'button', class: 'btn', on: { click: () => { clear(newSlot); if (newBtn) newBtn.focus(); } } }, 'Cancel')));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const body = {};
        for (const k of EDITABLE) body[k] = form.elements[k].value.trim();
        const pw = form.elements.password.value;
        if (pw && pw.length < MIN_PASSWORD) {
          showProblem(form, errSlot, { title: 'Password too short', errors: [{ field: 'password', message: `must be at least ${MIN_PASSWORD} characters` }] });
          return;
        }
        const r = await api('POST', '/v1/users', { body });
        if (!r.ok) { showProblem(form, errSlot, r.problem); return; }
        if (pw) {
          const p = await api('PUT', `/v1/users/${encodeURIComponent(r.data.id)}/password`, { body: { password: pw } });
          if (!p.ok) {
            toast('User created, but the password was not set: ' + (p.problem.detail || p.problem.title), { kind: 'error', timeout: 8000 });
            go(`/users/${r.data.id}`);
            return;
          }
        }
        toast(`User ${fullName(r.data)} created.`);
        go(`/users/${r.data.id}`);
      });
      newSlot.append(form);
      form.querySelector('input').focus();
    }
    run();
    return { update(nq) { if ((nq.q || '') !== q) { q = nq.q || ''; search.value = q; run(); } } };
  },
});

// ---- one user -----------------------------------------------------------------

screen('/users/:id', {
  title: 'User',
  scope: 'users:read',
  async render(main, { id }, _query, { signal } = {}) {
    main.append(h('p', { class: 'adm-back' }, h('a', { href: '#/users' }, '← Users')));
    const body = h('div');
    main.append(body);
    body.append(loading());
    const r = await api('GET', `/v1/users/${encodeURIComponent(id)}`, { signal });
    if (r.aborted) return;
    clear(body);
    if (!r.ok) {
      main.prepend(pageTitle('User'));
      body.append(r.status === 404 ? emptyState('This user does not exist.', h('a', { class: 'btn', href: '#/users' }, 'Back to users')) : problemBox(r.problem));
      return;
    }
    const user = r.data;
    const etag = r.etag;
    const admin = can('admin');
    const me = session.user && session.user.id === user.id;
    main.insertBefore(pageTitle(fullName(user), ' ', badge(user.role, ROLE_KIND[user.role])), body);

    const errSlot = h('div');
    const form = h('form', { class: 'card adm-form', novalidate: true, 'aria-labelledby': 'user-edit-h' },
      h('h2', { id: 'user-edit-h' }, admin ? 'Details' : 'Details (read only)'),
      h('div', { class: 'adm-grid' }, userFields(user)),
      errSlot,
      admin ? h('div', { class: 'adm-actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Save changes')) : null);
    if (!admin) form.querySelectorAll('input, select').forEach((el) => { el.disabled = true; });
    async function save(tag, base) {
      const patch = {};
      for (const k of EDITABLE) { const v = form.elements[k].value.trim(); if (v !== (base[k] || '')) patch[k] = v; }
      if (!Object.keys(patch).length) { showProblem(null, errSlot, { title: 'Nothing to save', detail: 'No field was changed.' }); return; }
      const res = await api('PATCH', `/v1/users/${encodeURIComponent(id)}`, { body: patch, etag: tag });
      if (res.status === 412 && tag === etag) {
        const latest = await api('GET', `/v1/users/${encodeURIComponent(id)}`);
        conflictNotice(errSlot, { before: user, latest: latest.data, fields: EDITABLE, onReload: () => reload(), onOverwrite: () => save(latest.etag, user) });
        return;
      }
      if (!res.ok) { showProblem(form, errSlot, res.problem); return; }
      toast('User saved.');
      reload();
    }
    form.addEventListener('submit', (e) => { e.preventDefault(); save(etag, user); });
    body.append(form);

    if (me) {
      body.append(h('section', { class: 'card adm-section', 'aria-labelledby': 'user-pw-h' },
        h('h2', { id: 'user-pw-h' }, 'Password'),
        h('p', null, 'This is you: change your password on ', h('a', { href: '#/account' }, 'your account page'), ' (it asks for the current one).')));
    }
    if (admin && !me) {
      const pwErr = h('div');
      const pwForm = h('form', { class: 'card adm-form', novalidate: true, 'aria-labelledby': 'user-pw-h' },
        h('h2', { id: 'user-pw-h' }, 'Set password'),
        h('p', { class: 'muted' }, 'Sets or resets the password they sign in with. Tell them the new one in person or another safe way.'),
        h('div', { class: 'adm-grid' }, passwordInputs()),
        pwErr,
        h('div', { class: 'adm-actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Set password')));
      pwForm.addEventListener('submit', async (e) => {
        e.preventDefault();
        if (passwordMismatch(pwForm, pwErr)) return;
        const res = await api('PUT', `/v1/users/${encodeURIComponent(id)}/password`, { body: { password: pwForm.elements.password.value } });
        if (!res.ok) { showProblem(pwForm, pwErr, res.problem); return; }
        pwForm.reset();
        clearFieldErrors(pwForm);
        clear(pwErr);
        toast(`Password set for ${fullName(user)}.`);
      });
      body.append(pwForm);

      body.append(h('section', { class: 'card adm-section adm-danger-zone', 'aria-labelledby': 'user-del-h' },
        h('h2', { id: 'user-del-h' }, 'Delete user'),
        h('p', { class: 'muted' }, 'Their API keys are revoked at the same time.' + (me ? ' This is you: you will be signed out.' : '')),
        h('button', {
          type: 'button', class: 'btn danger', on: {
            click: async () => {
              if (!await confirmDialog(`Delete ${fullName(user)}?`, 'They can no longer sign in, and their API keys stop working. This cannot be undone here.', { confirm: 'Delete user', danger: true })) return;
              const res = await api('DELETE', `/v1/users/${encodeURIComponent(id)}`, { etag });
              if (!res.ok) { toast(res.status === 412 ? 'The user was changed meanwhile: reload and try again.' : (res.problem.detail || res.problem.title), { kind: 'error' }); return; }
              toast(`${fullName(user)} deleted.`);
              go('/users');
            },
          },
        }, 'Delete user')));
    }

    body.append(h('section', { class: 'card adm-section', 'aria-labelledby': 'user-meta-h' },
      h('h2', { id: 'user-meta-h' }, 'Record'),
      dl([['ID', h('code', null, user.id)], ['Created', timeEl(user.created_at)], ['Updated', timeEl(user.updated_at)], ['Version', String(user.version)]]),
      admin ? h('p', null, h('a', { href: `#/events?resource_id=${encodeURIComponent(user.id)}` }, 'This user’s audit events')) : null));
  },
});

// ---- my account ---------------------------------------------------------------

screen('/account', {
  title: 'My account',
  async render(main) {
    main.append(pageTitle('My account'));
    let u = session.user;
    if (!u && session.keyInfo && session.keyInfo.user_id) {
      // A key that acts for a user: /v1/users/me names them.
      const r = await api('GET', '/v1/users/me');
      if (r.ok && r.data) u = r.data;
    }
    if (!u) {
      main.append(emptyState(session.mode === 'key'
        ? 'You are signed in with an API key that belongs to no user, so there is no password to change.'
        : 'You are not signed in as a user.'));
      return;
    }
    main.append(h('section', { class: 'card adm-section', 'aria-labelledby': 'acct-h' },
      h('h2', { id: 'acct-h' }, fullName(u)),
      dl([['Email', u.email], ['Role', badge(u.role, ROLE_KIND[u.role])], ['Firm', session.firm ? (session.firm.name || session.firm.id) : null],
        ['Signed in with', session.mode === 'key' ? 'an API key' : 'email and password'],
        ['Session ends', session.expires_at ? timeEl(session.expires_at) : null]], { skipEmpty: true })));
    const errSlot = h('div');
    const form = h('form', { class: 'card adm-form', novalidate: true, 'aria-labelledby': 'acct-pw-h' },
      h('h2', { id: 'acct-pw-h' }, 'Change my password'),
      h('div', { class: 'adm-grid' },
        field('Current password', input('current_password', { type: 'password', autocomplete: 'current-password', maxlength: 256 })),
        h('div', { class: 'adm-span adm-grid' }, passwordInputs())),
      errSlot,
      h('div', { class: 'adm-actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Change password')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!form.elements.current_password.value) {
        showProblem(form, errSlot, { title: 'Current password needed', errors: [{ field: 'current_password', message: 'is required' }] });
        return;
      }
      if (passwordMismatch(form, errSlot)) return;
      const r = await api('PUT', `/v1/users/${encodeURIComponent(u.id)}/password`, {
        body: { current_password: form.elements.current_password.value, password: form.elements.password.value },
      });
      if (!r.ok) { showProblem(form, errSlot, r.problem); return; }
      form.reset();
      clearFieldErrors(form);
      clear(errSlot);
      errSlot.append(h('p', { class: 'adm-notice adm-success', role: 'status' }, 'Your password was changed.'));
      toast('Password changed.');
    });
    main.append(form);
  },
});
