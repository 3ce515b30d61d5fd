// Clients list: search as you type, filters, sort, cursor paging, total.
// Built for 1,000,000 rows: one request per settled keystroke (stale ones
// aborted), 25 rows rendered, the (slower) total fetched after the page shows.

import { api, can, session } from './api.js';
import { h, clear, problemBox, emptyState, loading, formatDate, formatDay, badge, debounce, pageTitle, nextId, totalText, totalOf } from './ui.js';
import { screen, setQuery } from './router.js';
import { renderClient, formatPhone } from './client_view.js';
import { renderClientForm } from './client_form.js';

const PAGE = 25;
export const CLIENT_SORTS = [
  ['-created_at', 'Newest first'],
  ['created_at', 'Oldest first'],
  ['-updated_at', 'Recently updated'],
  ['updated_at', 'Least recently updated'],
  ['last_name', 'Last name A–Z'],
  ['-last_name', 'Last name Z–A'],
  ['name', 'Name A–Z'],
  ['-name', 'Name Z–A'],
];
const LIST_FIELDS = 'id,name,kind,first_name,last_name,email,phone,status,tags,company_id,updated_at,created_at';

export function statusKind(status) {
  if (status === 'active') return 'success';
  if (status === 'closed') return 'danger';
  if (status === 'inactive') return 'warning';
  return null;
}

function readState(query) {
  return {
    q: query.q || '',
    status: query.status || '',
    kind: query.kind || '',
    tags: query.tags || '',
    sort: query.sort || '-created_at',
    company_id: query.company_id || '',
    cursor: query.cursor || '',
  };
}

function stateToQuery(st) {
  return {
    q: st.q.trim(),
    status: st.status,
    kind: st.kind,
    tags: st.tags.split(',').map((t) => t.trim()).filter(Boolean).join(','),
    sort: st.sort === '-created_at' ? '' : st.sort,
    company_id: st.company_id,
    cursor: st.cursor,
  };
}

function filterKey(st) {
  const q = stateToQuery(st);
  delete q.cursor;
  return JSON.stringify(q);
}

async function renderList(main, _params, query) {
  let st = readState(query);
  let stack = (history.state && Array.isArray(history.state.stack)) ? history.state.stack.slice() : []; // cursors of the pages before this one, for Previous
  let listCtl = null;
  let totalCtl = null;
  const totals = new Map(); // filterKey → total, so paging doesn't recount

  const searchId = nextId('q');
  const search = h('input', { type: 'search', id: searchId, name: 'q', value: st.q, placeholder: 'Name, email or phone', autocomplete: 'off', spellcheck: 'false' });
  const statuses = (session.firm && session.firm.client_statuses) || ['active', 'inactive', 'closed'];
  const statusSel = h('select', { id: nextId('status'), name: 'status' },
    h('option', { value: '' }, 'Any status'),
    statuses.map((s) => h('option', { value: s }, s)));
  const kindSel = h('select', { id: nextId('kind'), name: 'kind' },
    h('option', { value: '' }, 'All kinds'),
    h('option', { value: 'person' }, 'People'),
    h('option', { value: 'company' }, 'Companies'));
  const tagsInput = h('input', { id: nextId('tags'), name: 'tags', placeholder: 'e.g. vip, estate', autocomplete: 'off' });
  const sortSel = h('select', { id: nextId('sort'), name: 'sort' }, CLIENT_SORTS.map(([v, l]) => h('option', { value: v }, l)));
  const filtersBtn = filtersToggle();
  const clearBtn = h('button', { type: 'button', class: 'btn ghost small', on: { click: onClear } }, 'Clear filters');

  const count = h('p', { class: 'result-count', 'aria-live': 'polite', id: nextId('count') });
  const chips = h('div', { class: 'chips' });
  const results = h('div', { class: 'results' });
  const prevBtn = h('button', { type: 'button', class: 'btn', on: { click: onPrev } }, '← Previous');
  const nextBtn = h('button', { type: 'button', class: 'btn', on: { click: onNext } }, 'Next →');
  const pageInfo = h('span', { class: 'muted small' });
  const foot = h('div', { class: 'table-foot' }, pageInfo, h('div', { class: 'pager' }, prevBtn, nextBtn));
  let nextCursor = null;

  main.append(
    h('div', { class: 'page-head' },
      h('div', null, pageTitle('Clients'), h('p', { class: 'page-sub' }, 'People and companies your firm works for.')),
      can('clients:write') ? h('div', { class: 'actions' }, h('a', { class: 'btn primary', href: '#/clients/new' }, 'New client')) : null),
    h('form', { class: 'toolbar', role: 'search', 'aria-label': 'Clients', on: { submit: (e) => { e.preventDefault(); runNow(); } } },
      h('div', { class: 'field grow' }, h('label', { for: searchId }, 'Search'), search),
      filtersBtn,
      h('div', { class: 'field filter-extra' }, h('label', { for: statusSel.id }, 'Status'), statusSel),
      h('div', { class: 'field filter-extra' }, h('label', { for: kindSel.id }, 'Kind'), kindSel),
      h('div', { class: 'field filter-extra' }, h('label', { for: tagsInput.id }, 'Tags (all of)'), tagsInput),
      h('div', { class: 'field filter-extra' }, h('label', { for: sortSel.id }, 'Sort'), sortSel),
    ),
    chips,
    h('div', { class: 'list-meta' }, count, clearBtn),
    results,
    foot);

  function syncControls() {
    search.value = st.q;
    statusSel.value = st.status;
    kindSel.value = st.kind;
    tagsInput.value = st.tags;
    sortSel.value = st.sort;
    clearBtn.hidden = !(st.q || st.status || st.kind || st.tags || st.company_id);
    const n = [st.status, st.kind, st.tags].filter(Boolean).length;
    filtersBtn.textContent = n ? `Filters (${n})` : 'Filters';
    clear(chips);
    if (st.company_id) {
      const label = h('span', null, 'People at a company');
      api('GET', `/v1/clients/${encodeURIComponent(st.company_id)}`).then((r) => { if (r.ok) label.textContent = `People at ${r.data.name}`; });
      chips.append(h('span', { class: 'filter-chip' }, label,
        h('button', { type: 'button', class: 'btn ghost icon', 'aria-label': 'Remove the company filter', on: { click: () => { st.company_id = ''; syncControls(); runNow(); } } }, '×')));
    }
  }

  // Typing: replace the history entry (no Back step per keystroke).
  const typed = debounce(() => { st.cursor = ''; stack = []; setQuery(stateToQuery(st)); load(); }, 150);
  search.addEventListener('input', () => { st.q = search.value; clearBtn.hidden = !(st.q || st.status || st.kind || st.tags); typed(); });
  tagsInput.addEventListener('input', () => { st.tags = tagsInput.value; typed(); });
  // Picking a filter: a new history entry, so Back undoes it.
  for (const [el, key] of [[statusSel, 'status'], [kindSel, 'kind'], [sortSel, 'sort']]) {
    el.addEventListener('change', () => { st[key] = el.value; st.cursor = ''; stack = []; syncControls(); setQuery(stateToQuery(st), { push: true }); load(); });
  }
  function runNow() { typed.cancel(); st.cursor = ''; stack = []; setQuery(stateToQuery(st)); load(); }
  function onClear() {
    st = { ...st, q: '', status: '', kind: '', tags: '', company_id: '', cursor: '' };
    stack = [];
    syncControls();
    setQuery(stateToQuery(st), { push: true });
    load();
    search.focus();
  }
  function onNext() {
    if (!nextCursor) return;
    stack.push(st.cursor);
    st.cursor = nextCursor;
    setQuery(stateToQuery(st), { push: true, state: { stack: stack.slice() } });
    load({ focusTable: true });
  }
  function onPrev() {
    if (!st.cursor) return;
    st.cursor = stack.length ? stack.pop() : '';
    setQuery(stateToQuery(st), { push: true, state: { stack: stack.slice() } });
    load({ focusTable: true });
  }

  // "/" jumps to search, as in most dashboards.
  const slash = (e) => {
    if (!main.isConnected) { document.removeEventListener('keydown', slash); return; }
    if (e.key === '/' && !e.target.closest('input, textarea, select, [contenteditable]')) { e.preventDefault(); search.focus(); search.select(); }
  };
  document.addEventListener('keydown', slash);

  async function load({ focusTable = false } = {}) {
    if (listCtl) listCtl.abort();
    if (totalCtl) totalCtl.abort();
    listCtl = new AbortController();
    const ctl = listCtl;
    const q = stateToQuery(st);
    const base = { q: q.q, status: q.status, kind: q.kind, tags: q.tags, company_id: q.company_id, sort: q.sort || undefined };
    results.setAttribute('aria-busy', 'true');
    // Keep the old rows while loading (no flicker); show a spinner only on first load.
    if (!results.firstChild) results.append(loading('Loading clients…'));
    const t0 = performance.now();
    const r = await api('GET', '/v1/clients', { query: { ...base, cursor: q.cursor, limit: PAGE, fields: LIST_FIELDS }, signal: ctl.signal });
    if (ctl.signal.aborted || r.aborted) return;
    results.removeAttribute('aria-busy');
    results.dataset.ms = String(Math.round(performance.now() - t0));
    clear(results);
    if (!r.ok) {
      if (r.problem && r.problem.status === 400 && q.cursor) {
        // A cursor from an old URL: start over.
        st.cursor = ''; stack = []; setQuery(stateToQuery(st)); return load();
      }
      results.append(problemBox(r.problem));
      count.textContent = '';
      foot.hidden = true;
      return;
    }
    const rows = r.data || [];
    nextCursor = r.body.pagination && r.body.pagination.has_more ? r.body.pagination.next_cursor : null;
    foot.hidden = !nextCursor && !q.cursor;
    nextBtn.disabled = !nextCursor;
    prevBtn.disabled = !q.cursor;
    const pageNo = stack.length + 1;
    pageInfo.textContent = q.cursor && !stack.length ? 'A later page' : `Page ${pageNo}`;
    if (!rows.length) {
      const filtered = q.q || q.status || q.kind || q.tags || q.company_id;
      results.append(filtered
        ? emptyState('No clients match these filters.', h('button', { type: 'button', class: 'btn', on: { click: onClear } }, 'Clear filters'))
        : emptyState('No clients yet.', can('clients:write') ? h('a', { class: 'btn primary', href: '#/clients/new' }, 'Add the first client') : null));
      count.textContent = filtered ? 'No matches' : '';
      return;
    }
    results.append(clientTable(rows));
    if (focusTable) { const a = results.querySelector('a'); if (a) a.focus(); }
    // The total comes second: counting can take far longer than one page.
    const key = filterKey(st);
    if (totals.has(key)) { showTotal(totals.get(key)); return; }
    if (!q.cursor && !nextCursor) { totals.set(key, { n: rows.length, exact: true }); showTotal(totals.get(key)); return; }
    count.textContent = 'Counting…';
    totalCtl = new AbortController();
    const tctl = totalCtl;
    const t = await api('GET', '/v1/clients', { query: { ...base, limit: 1, fields: 'id', include_total: 'true' }, signal: tctl.signal });
    if (tctl.signal.aborted || t.aborted) return;
    const total = t.ok ? totalOf(t.body.pagination) : null;
    if (total) {
      totals.set(key, total);
      showTotal(total);
    } else {
      count.textContent = '';
    }
  }

  function showTotal(total) {
    count.textContent = totalText(total, 'client', 'clients');
  }

  syncControls();
  load();
  // Back/forward within the list: the router hands over the new query.
  return {
    update(query, state) {
      st = readState(query);
      stack = state && Array.isArray(state.stack) ? state.stack.slice() : [];
      syncControls();
      load();
    },
  };
}

// On phones the filters fold away behind this button (CSS shows it <640px).
export function filtersToggle() {
  const btn = h('button', { type: 'button', class: 'btn filters-toggle', 'aria-expanded': 'false' }, 'Filters');
  btn.addEventListener('click', () => {
    const bar = btn.closest('.toolbar');
    const open = !bar.classList.contains('filters-open');
    bar.classList.toggle('filters-open', open);
    btn.setAttribute('aria-expanded', open ? 'true' : 'false');
  });
  return btn;
}

export function clientTable(rows) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table stack-sm' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Name'),
        h('th', { scope: 'col' }, 'Email'),
        h('th', { scope: 'col' }, 'Phone'),
        h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Tags'),
        h('th', { scope: 'col' }, 'Updated'))),
      h('tbody', null, rows.map((c) => h('tr', null,
        h('td', { class: 'primary-cell' },
          h('a', { href: `#/clients/${encodeURIComponent(c.id)}`, class: 'client-name' }, c.name || '(no name)'),
          c.kind === 'company' ? h('span', { class: 'sub' }, 'Company') : null),
        h('td', { 'data-label': 'Email', class: c.email ? null : 'empty-cell' }, c.email || h('span', { class: 'muted' }, '—')),
        h('td', { 'data-label': 'Phone', class: ['nowrap', c.phone ? null : 'empty-cell'] }, c.phone ? formatPhone(c.phone) : h('span', { class: 'muted' }, '—')),
        h('td', { 'data-label': 'Status' }, badge(c.status, statusKind(c.status))),
        h('td', { 'data-label': 'Tags', class: (c.tags || []).length ? null : 'empty-cell' }, (c.tags || []).length ? h('span', { class: 'tags' }, c.tags.map((t) => badge(t))) : h('span', { class: 'muted' }, '—')),
        h('td', { 'data-label': 'Updated', class: 'nowrap' }, h('time', { datetime: c.updated_at, title: formatDate(c.updated_at) }, formatDay(c.updated_at))))))));
}

screen('/clients', { title: 'Clients', nav: 'Clients', scope: 'clients:read', render: renderList });
screen('/clients/new', { title: 'New client', scope: 'clients:write', render: (main, params, query) => renderClientForm(main, null, query) });
screen('/clients/:id/edit', { title: 'Edit client', scope: 'clients:write', render: (main, params) => renderClientForm(main, params.id) });
screen('/clients/:id', { title: 'Client', scope: 'clients:read', render: renderClient });

