// The intake inbox (#/leads): list with state filter and search, one lead's
// triage, edit and conversion into a client (and matter); admins also manage
// the public intake tokens here.

import { api, can } from './api.js';
import { h, clear, problemBox, toast, emptyState, loading, confirmDialog, field, badge, pageTitle, timeEl, debounce, dl } from './ui.js';
import { screen, go, setQuery, reload } from './router.js';
import { showProblem, conflictNotice, pager, table, input, select, checkbox, secretDialog, jsonBlock } from './keys.js';

const STATES = [['untriaged', 'Untriaged'], ['ignored', 'Ignored'], ['converted', 'Converted'], ['', 'All states']];
const STATE_KIND = { untriaged: 'info', ignored: 'muted', converted: 'success' };
const EDITABLE = ['first_name', 'last_name', 'email', 'phone', 'source', 'message'];

export function leadName(l) {
  return [l.first_name, l.last_name].filter(Boolean).join(' ') || l.email || l.phone || l.id;
}

function stateBadge(state) {
  return badge(state, STATE_KIND[state]);
}

// ---- the inbox ------------------------------------------------------------

screen('/leads', {
  title: 'Leads',
  nav: 'Leads',
  scope: 'leads:read',
  async render(main, _params, query, { signal } = {}) {
    let state = query.state !== undefined ? query.state : 'untriaged';
    let q = query.q || '';
    let sort = query.sort || '-created_at';
    const total = h('span', { class: 'muted adm-total', 'aria-live': 'polite' });
    const newBtn = can('leads:write') ? h('button', { type: 'button', class: 'btn primary', on: { click: () => openNew() } }, 'New lead') : null;
    main.append(h('div', { class: 'adm-head' }, pageTitle('Leads'), total, newBtn));

    const search = input('q', { type: 'search', value: q, placeholder: 'Name, email, phone or message', autocomplete: 'off' });
    const stateSel = select('state', STATES, state);
    const sortSel = select('sort', [['-created_at', 'Newest first'], ['created_at', 'Oldest first'], ['-updated_at', 'Recently updated']], sort);
    main.append(h('div', { class: 'toolbar adm-toolbar', role: 'search' },
      field('Search leads', search), field('State', stateSel), field('Sort', sortSel)));
    const newSlot = h('div');
    const listSlot = h('div');
    main.append(newSlot, listSlot);

    const write = can('leads:write');
    const t = table(['Name', 'Email', 'Phone', 'Source', 'State', 'Received', ...(write ? [''] : [])], 'Leads');
    let p = null;
    function run() {
      clear(listSlot);
      total.textContent = '';
      t.tbody.replaceChildren();
      listSlot.append(t.el);
      t.el.hidden = true;
      p = pager(listSlot, {
        totalEl: total,
        emptyText: q ? 'No leads match this search.' : (state === 'untriaged' ? 'The inbox is empty: no untriaged leads.' : 'No leads here.'),
        fetchPage: (cursor) => api('GET', '/v1/leads', { signal, query: { state, q, sort, cursor, limit: 25, include_total: cursor ? null : true } }),
        renderRows(items, reset) {
          if (reset) t.tbody.replaceChildren();
          t.el.hidden = reset && !items.length;
          for (const l of items) {
            const stateCell = h('td', null, stateBadge(l.state));
            const actCell = write ? h('td', null, quickTriage(l, stateCell)) : null;
            t.tbody.append(h('tr', null,
              h('td', null, h('a', { href: `#/leads/${encodeURIComponent(l.id)}` }, leadName(l))),
              h('td', null, l.email || ''),
              h('td', null, l.phone || ''),
              h('td', null, l.source || ''),
              stateCell,
              h('td', { class: 'nowrap' }, timeEl(l.created_at)),
              actCell));
          }
        },
      });
    }
    const filtersChanged = () => {
      q = search.value.trim(); state = stateSel.value; sort = sortSel.value;
      setQuery({ state: state === 'untriaged' ? null : (state || 'all'), q, sort: sort === '-created_at' ? null : sort });
      run();
    };
    search.addEventListener('input', debounce(filtersChanged, 250));
    stateSel.addEventListener('change', filtersChanged);
    sortSel.addEventListener('change', filtersChanged);

    function openNew() {
      if (newSlot.firstChild) { newSlot.querySelector('input').focus(); return; }
      const errSlot = h('div');
      const form = h('form', { class: 'card adm-form', novalidate: true, 'aria-label': 'New lead' },
        h('h2', null, 'New lead'),
        h('div', { class: 'adm-grid' }, leadFields({})),
        errSlot,
        h('div', { class: 'adm-actions' },
          h('button', { type: 'submit', class: 'btn primary' }, 'Create lead'),
          h('button', { type: 'button', class: 'btn', on: { click: () => { clear(newSlot); if (newBtn) newBtn.focus(); } } }, 'Cancel')));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const body = {};
        for (const k of EDITABLE) { const v = form.elements[k].value.trim(); if (v) body[k] = v; }
        const r = await api('POST', '/v1/leads', { body });
        if (!r.ok) { showProblem(form, errSlot, r.problem); return; }
        toast('Lead created.');
        go(`/leads/${r.data.id}`);
      });
      newSlot.append(form);
      form.querySelector('input').focus();
    }

    if (state === 'all') { state = ''; stateSel.value = ''; }
    run();
    if (can('admin')) main.append(intakeTokens(signal));
    return {
      update(nq) {
        const ns = nq.state === 'all' ? '' : (nq.state !== undefined ? nq.state : 'untriaged');
        if (ns === state && (nq.q || '') === q && (nq.sort || '-created_at') === sort) return;
        state = ns; q = nq.q || ''; sort = nq.sort || '-created_at';
        stateSel.value = state; search.value = q; sortSel.value = sort;
        run();
      },
    };
  },
});

// Ignore / restore from the list, guarded by the version the row was read at.
function quickTriage(l, stateCell) {
  if (l.state === 'converted') return null;
  let lead = l;
  const btn = h('button', { type: 'button', class: 'btn small' });
  const label = () => {
    btn.textContent = lead.state === 'ignored' ? 'Restore' : 'Ignore';
    btn.setAttribute('aria-label', `${lead.state === 'ignored' ? 'Restore' : 'Ignore'} ${leadName(lead)}`);
  };
  label();
  btn.addEventListener('click', async () => {
    const next = lead.state === 'ignored' ? 'untriaged' : 'ignored';
    btn.disabled = true;
    const r = await api('PATCH', `/v1/leads/${encodeURIComponent(lead.id)}`, { body: { state: next, version: lead.version } });
    btn.disabled = false;
    if (!r.ok) {
      toast(r.status === 409 && r.problem.code === 'version_conflict'
        ? `${leadName(lead)} was changed meanwhile: open it to see the latest.`
        : (r.problem.detail || r.problem.title), { kind: 'error' });
      return;
    }
    lead = r.data;
    stateCell.replaceChildren(stateBadge(lead.state));
    label();
    toast(next === 'ignored' ? `${leadName(lead)} ignored.` : `${leadName(lead)} back in the inbox.`);
  });
  return btn;
}

function leadFields(l) {
  return [
    field('First name', input('first_name', { value: l.first_name || '', maxlength: 100, autocomplete: 'off' })),
    field('Last name', input('last_name', { value: l.last_name || '', maxlength: 100, autocomplete: 'off' })),
    field('Email', input('email', { type: 'email', value: l.email || '', maxlength: 254, autocomplete: 'off' })),
    field('Phone', input('phone', { type: 'tel', value: l.phone || '', maxlength: 64, autocomplete: 'off' })),
    field('Source', input('source', { value: l.source || '', maxlength: 100, placeholder: 'e.g. Website' })),
    h('div', { class: 'adm-span' }, field('Message', h('textarea', { name: 'message', rows: 4, maxlength: 10000 }, l.message || ''))),
  ];
}

// ---- intake tokens (admins) -------------------------------------------------

function intakeTokens(signal) {
  const card = h('section', { class: 'card adm-section', 'aria-labelledby': 'intake-tokens-h' },
    h('h2', { id: 'intake-tokens-h' }, 'Intake tokens'),
    h('p', { class: 'muted' }, 'A web form posts leads to ', h('code', null, '/v1/intake/<token>'), ' with no API key. Revoke a token to close its form.'));
  const errSlot = h('div');
  const name = input('name', { maxlength: 100, placeholder: 'e.g. Website form' });
  const form = h('form', { class: 'adm-inline-form', novalidate: true },
    field('New token’s name', name), h('button', { type: 'submit', class: 'btn' }, 'Create token'));
  const listSlot = h('div');
  card.append(form, errSlot, listSlot);
  const t = table(['Name', 'Prefix', 'Created', ''], 'Intake tokens');
  const load = () => {
    clear(listSlot).append(t.el);
    t.tbody.replaceChildren();
    return pager(listSlot, {
      emptyText: 'No intake tokens: no public form can send leads.',
      fetchPage: (cursor) => api('GET', '/v1/intake-tokens', { signal, query: { cursor, limit: 25 } }),
      renderRows(items, reset) {
        if (reset) t.tbody.replaceChildren();
        t.el.hidden = reset && !items.length;
        for (const k of items) {
          t.tbody.append(h('tr', null,
            h('td', null, k.name || h('span', { class: 'muted' }, '(no name)')),
            h('td', null, h('code', null, k.prefix + '…')),
            h('td', null, timeEl(k.created_at)),
            h('td', null, h('button', { type: 'button', class: 'btn danger small', 'aria-label': `Revoke token ${k.name || k.prefix}`, on: { click: () => revoke(k) } }, 'Revoke'))));
        }
      },
    });
  };
  async function revoke(k) {
    if (!await confirmDialog(`Revoke “${k.name || k.prefix}”?`, 'Forms using this token get 404 from now on.', { confirm: 'Revoke token', danger: true })) return;
    const r = await api('DELETE', `/v1/intake-tokens/${encodeURIComponent(k.id)}`);
    if (!r.ok) { toast(r.problem.detail || r.problem.title, { kind: 'error' }); return; }
    toast('Token revoked.');
    load();
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await api('POST', '/v1/intake-tokens', { body: { name: name.value.trim() || null } });
    if (!r.ok) { showProblem(form, errSlot, r.problem); return; }
    clear(errSlot);
    name.value = '';
    load();
    const url = `${location.origin}/v1/intake/${r.data.token}`;
    await secretDialog({
      title: 'New intake token',
      secret: r.data.token,
      label: 'Token',
      warning: 'This is the only time the token is shown. Put it in your form’s action URL now.',
      extra: h('p', { class: 'small' }, 'Form action: ', h('code', { class: 'adm-break' }, url)),
    });
  });
  load();
  return card;
}

// ---- one lead -------------------------------------------------------------

screen('/leads/:id', {
  title: 'Lead',
  scope: 'leads:read',
  async render(main, { id }, _query, { signal } = {}) {
    main.append(h('p', { class: 'adm-back' }, h('a', { href: '#/leads' }, '← Leads')));
    const body = h('div');
    main.append(body);
    body.append(loading());
    const r = await api('GET', `/v1/leads/${encodeURIComponent(id)}`, { signal });
    if (r.aborted) return;
    clear(body);
    if (!r.ok) {
      main.prepend(pageTitle('Lead'));
      body.append(r.status === 404 ? emptyState('This lead does not exist (or belongs to another firm).', h('a', { class: 'btn', href: '#/leads' }, 'Back to the inbox')) : problemBox(r.problem));
      return;
    }
    let lead = r.data;
    let etag = r.etag;
    const write = can('leads:write');
    main.insertBefore(pageTitle(leadName(lead), ' ', stateBadge(lead.state)), body);

    // Converted: say where it went.
    if (lead.state === 'converted') body.append(convertedNotice(lead, signal));

    // Triage.
    if (write && lead.state !== 'converted') {
      const next = lead.state === 'ignored' ? 'untriaged' : 'ignored';
      const triageSlot = h('div');
      body.append(h('div', { class: 'toolbar adm-triage' },
        h('button', {
          type: 'button', class: 'btn', on: {
            click: async () => {
              const res = await api('PATCH', `/v1/leads/${encodeURIComponent(id)}`, { body: { state: next }, etag });
              if (!res.ok) {
                if (res.status === 412) { conflictNotice(triageSlot, { before: lead, latest: (await api('GET', `/v1/leads/${encodeURIComponent(id)}`)).data, fields: ['state', ...EDITABLE], onReload: () => reload() }); return; }
                clear(triageSlot).append(problemBox(res.problem)); return;
              }
              toast(next === 'ignored' ? 'Lead ignored.' : 'Lead moved back to the inbox.');
              rerender();
            },
          },
        }, next === 'ignored' ? 'Ignore' : 'Move back to untriaged'),
      ), triageSlot);
    }

    // Edit.
    const errSlot = h('div');
    const form = h('form', { class: 'card adm-form', novalidate: true, 'aria-labelledby': 'lead-edit-h' },
      h('h2', { id: 'lead-edit-h' }, write ? 'Details' : 'Details (read only)'),
      h('div', { class: 'adm-grid' }, leadFields(lead)),
      errSlot,
      write ? h('div', { class: 'adm-actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Save changes')) : null);
    if (!write) form.querySelectorAll('input, textarea').forEach((el) => { el.readOnly = true; });
    form.addEventListener('submit', (e) => { e.preventDefault(); save(false); });
    async function save(overwrite) {
      const patch = {};
      for (const k of EDITABLE) {
        const v = form.elements[k].value.trim();
        if (v !== (lead[k] || '')) patch[k] = v === '' ? null : v;
      }
      if (!Object.keys(patch).length) { showProblem(null, errSlot, { title: 'Nothing to save', detail: 'No field was changed.' }); return; }
      const res = await api('PATCH', `/v1/leads/${encodeURIComponent(id)}`, { body: patch, etag });
      if (res.status === 412 && !overwrite) {
        const latest = await api('GET', `/v1/leads/${encodeURIComponent(id)}`);
        conflictNotice(errSlot, {
          before: lead, latest: latest.data, fields: EDITABLE,
          onReload: () => rerender(),
          // Only the fields this user changed are sent, now over their version.
          onOverwrite: () => { etag = latest.etag; save(true); },
        });
        return;
      }
      if (!res.ok) { showProblem(form, errSlot, res.problem); return; }
      toast('Lead saved.');
      rerender();
    }
    body.append(form);

    // Convert.
    if (lead.state !== 'converted' && write && can('clients:write')) body.append(convertCard(lead));

    body.append(h('section', { class: 'card adm-section', 'aria-labelledby': 'lead-meta-h' },
      h('h2', { id: 'lead-meta-h' }, 'Record'),
      dl([
        ['ID', h('code', null, lead.id)],
        ['Received', timeEl(lead.created_at)],
        ['Updated', timeEl(lead.updated_at)],
        ['Version', String(lead.version)],
        ['Phone verified', lead.phone_verified === null || lead.phone_verified === undefined ? null : (lead.phone_verified ? 'Yes' : 'No')],
        ['Custom fields', Object.keys(lead.custom_fields || {}).length ? jsonBlock(lead.custom_fields) : null],
      ])));

    // Re-run this screen to show the saved lead and its new ETag.
    function rerender() { return reload(); }
  },
});

function convertCard(lead) {
  const errSlot = h('div');
  const matterOn = checkbox('with_matter', 'Also open a matter for the new client', false);
  const matterBox = h('div', { class: 'adm-grid adm-indent', hidden: true },
    field('Matter title', input('matter.title', { maxlength: 200, placeholder: 'e.g. Lease dispute' })),
    field('Practice area', input('matter.practice_area', { maxlength: 100, placeholder: 'e.g. Real estate' })),
    h('div', { class: 'adm-span' }, field('Description', h('textarea', { name: 'matter.description', rows: 3, maxlength: 10000 }))));

  const form = h('form', { class: 'card adm-form', novalidate: true, 'aria-labelledby': 'lead-convert-h' },
    h('h2', { id: 'lead-convert-h' }, 'Convert to a client'),
    h('p', { class: 'muted' }, 'Makes a client from this lead’s saved details, in one step. Save your edits above first.'),
    matterOn, matterBox, errSlot,
    h('div', { class: 'adm-actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Convert')),
  );
  const cb = matterOn.querySelector('input');
  cb.addEventListener('change', () => { matterBox.hidden = !cb.checked; if (cb.checked) matterBox.querySelector('input').focus(); });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    if (cb.checked) {
      body.matter = { title: form.elements['matter.title'].value.trim() };
      const pa = form.elements['matter.practice_area'].value.trim();
      const d = form.elements['matter.description'].value.trim();
      if (pa) body.matter.practice_area = pa;
      if (d) body.matter.description = d;
    }
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    const r = await api('POST', `/v1/leads/${encodeURIComponent(lead.id)}/convert`, { body, headers: { 'idempotency-key': crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random() } });
    btn.disabled = false;
    if (!r.ok) { showProblem(form, errSlot, r.problem); return; }
    toast(`Lead converted into the client ${r.data.client.name || leadName(lead)}.`);
    reload();
  });
  return form;
}

function convertedNotice(lead, signal) {
  const clientHref = lead.client_id ? `#/clients/${encodeURIComponent(lead.client_id)}` : null;
  const clientLink = h('a', { href: clientHref, class: 'adm-strong' }, lead.client_id || 'a client');
  const box = h('div', { class: 'card adm-notice adm-success', role: 'status' },
    h('p', null, 'Converted ', lead.converted_at ? timeEl(lead.converted_at) : null, ' into the client ', clientLink,
      lead.matter_id ? [' with ', h('a', { href: `#/matters/${encodeURIComponent(lead.matter_id)}` }, 'a matter')] : null, '.'),
    clientHref ? h('div', { class: 'adm-actions' }, h('a', { class: 'btn primary', href: clientHref }, 'Open the client')) : null);
  // Show the client's name when we may read it.
  if (lead.client_id && can('clients:read')) {
    api('GET', `/v1/clients/${encodeURIComponent(lead.client_id)}`, { signal }).then((r) => {
      if (r.ok && r.data && r.data.name) clientLink.textContent = r.data.name;
    });
  }
  return box;
}
