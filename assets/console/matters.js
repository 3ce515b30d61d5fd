// Matters list (search, filters, sort, cursor paging, total) and the matter
// routes. Client names for a page come in one extra request (ids=…).

import { api, can } from './api.js';
import { h, add, clear, problemBox, emptyState, loading, formatDate, formatDay, badge, debounce, pageTitle, nextId, totalText, totalOf } from './ui.js';
import { screen, setQuery } from './router.js';
import { renderMatter } from './matter_view.js';
import { renderMatterForm } from './matter_form.js';
import { filtersToggle } from './clients.js';

const PAGE = 25;
const SORTS = [
  ['-created_at', 'Newest first'],
  ['created_at', 'Oldest first'],
  ['-updated_at', 'Recently updated'],
  ['updated_at', 'Least recently updated'],
];
export const MATTER_STATUSES = ['open', 'pending', 'closed'];
const FIELDS = 'id,title,status,client_id,practice_area,hired_date,updated_at';

function readState(q) {
  return { q: q.q || '', status: q.status || '', practice_area: q.practice_area || '', client_id: q.client_id || '', sort: q.sort || '-created_at', cursor: q.cursor || '' };
}
function toQuery(st) {
  return { q: st.q.trim(), status: st.status, practice_area: st.practice_area.trim(), client_id: st.client_id, sort: st.sort === '-created_at' ? '' : st.sort, cursor: st.cursor };
}

async function renderList(main, _p, query) {
  let st = readState(query);
  let stack = (history.state && Array.isArray(history.state.stack)) ? history.state.stack.slice() : [];
  let listCtl = null; let totalCtl = null;
  const totals = new Map();
  let nextCursor = null;

  const search = h('input', { type: 'search', id: nextId('mq'), name: 'q', placeholder: 'Title or description', autocomplete: 'off' });
  const statusSel = h('select', { id: nextId('ms'), name: 'status' }, h('option', { value: '' }, 'Any status'), MATTER_STATUSES.map((s) => h('option', { value: s }, s)));
  const areaInput = h('input', { id: nextId('pa'), name: 'practice_area', placeholder: 'Exact, e.g. Real estate', autocomplete: 'off' });
  const sortSel = h('select', { id: nextId('msort'), name: 'sort' }, SORTS.map(([v, l]) => h('option', { value: v }, l)));
  const chips = h('div', { class: 'chips' });
  const filtersBtn = filtersToggle();
  const count = h('p', { class: 'result-count', 'aria-live': 'polite' });
  const results = h('div');
  const prevBtn = h('button', { type: 'button', class: 'btn', on: { click: onPrev } }, '← Previous');
  const nextBtn = h('button', { type: 'button', class: 'btn', on: { click: onNext } }, 'Next →');
  const pageInfo = h('span', { class: 'muted small' });
  const foot = h('div', { class: 'table-foot' }, pageInfo, h('div', { class: 'pager' }, prevBtn, nextBtn));

  add(main,
    h('div', { class: 'page-head' },
      h('div', null, pageTitle('Matters'), h('p', { class: 'page-sub' }, 'The work you do for your clients.')),
      can('matters:write') ? h('div', { class: 'actions' }, h('a', { class: 'btn primary', href: st.client_id ? `#/matters/new?client_id=${encodeURIComponent(st.client_id)}` : '#/matters/new' }, 'New matter')) : null),
    h('form', { class: 'toolbar', role: 'search', 'aria-label': 'Matters', on: { submit: (e) => { e.preventDefault(); typed.cancel(); restart(false); } } },
      h('div', { class: 'field grow' }, h('label', { for: search.id }, 'Search'), search),
      filtersBtn,
      h('div', { class: 'field filter-extra' }, h('label', { for: statusSel.id }, 'Status'), statusSel),
      h('div', { class: 'field filter-extra' }, h('label', { for: areaInput.id }, 'Practice area'), areaInput),
      h('div', { class: 'field filter-extra' }, h('label', { for: sortSel.id }, 'Sort'), sortSel)),
    chips, count, results, foot);

  function sync() {
    search.value = st.q; statusSel.value = st.status; areaInput.value = st.practice_area; sortSel.value = st.sort;
    const n = [st.status, st.practice_area].filter(Boolean).length;
    filtersBtn.textContent = n ? `Filters (${n})` : 'Filters';
    clear(chips);
    if (st.client_id) {
      const label = h('span', null, 'Client: …');
      api('GET', `/v1/clients/${encodeURIComponent(st.client_id)}`).then((r) => { label.textContent = `Client: ${r.ok ? r.data.name : st.client_id}`; });
      chips.append(h('span', { class: 'filter-chip' }, label,
        h('button', { type: 'button', class: 'btn ghost icon', 'aria-label': 'Remove the client filter', on: { click: () => { st.client_id = ''; sync(); restart(true); } } }, '×')));
    }
  }
  function restart(push) { st.cursor = ''; stack = []; setQuery(toQuery(st), { push }); load(); }
  const typed = debounce(() => restart(false), 150);
  search.addEventListener('input', () => { st.q = search.value; typed(); });
  areaInput.addEventListener('input', () => { st.practice_area = areaInput.value; typed(); });
  statusSel.addEventListener('change', () => { st.status = statusSel.value; sync(); restart(true); });
  sortSel.addEventListener('change', () => { st.sort = sortSel.value; restart(true); });
  function onNext() { if (!nextCursor) return; stack.push(st.cursor); st.cursor = nextCursor; setQuery(toQuery(st), { push: true, state: { stack: stack.slice() } }); load(true); }
  function onPrev() { if (!st.cursor) return; st.cursor = stack.length ? stack.pop() : ''; setQuery(toQuery(st), { push: true, state: { stack: stack.slice() } }); load(true); }

  async function load(focusTable = false) {
    if (listCtl) listCtl.abort();
    if (totalCtl) totalCtl.abort();
    const ctl = listCtl = new AbortController();
    const q = toQuery(st);
    const base = { q: q.q, status: q.status, practice_area: q.practice_area, client_id: q.client_id, sort: q.sort || undefined };
    if (!results.firstChild) results.append(loading('Loading matters…'));
    results.setAttribute('aria-busy', 'true');
    const r = await api('GET', '/v1/matters', { query: { ...base, cursor: q.cursor, limit: PAGE, fields: FIELDS }, signal: ctl.signal });
    if (ctl.signal.aborted || r.aborted) return;
    results.removeAttribute('aria-busy');
    clear(results);
    if (!r.ok) {
      if (r.status === 400 && q.cursor) { restart(false); return; }
      results.append(problemBox(r.problem)); foot.hidden = true; count.textContent = ''; return;
    }
    const rows = r.data || [];
    const p = r.body.pagination || {};
    nextCursor = p.has_more ? p.next_cursor : null;
    foot.hidden = !nextCursor && !q.cursor;
    nextBtn.disabled = !nextCursor; prevBtn.disabled = !q.cursor;
    pageInfo.textContent = q.cursor && !stack.length ? 'A later page' : `Page ${stack.length + 1}`;
    const filtered = q.q || q.status || q.practice_area || q.client_id;
    if (!rows.length) {
      results.append(emptyState(filtered ? 'No matters match these filters.' : 'No matters yet. Open a client to start one.'));
      count.textContent = filtered ? 'No matches' : '';
      return;
    }
    const names = new Map();
    results.append(matterTable(rows, names));
    if (focusTable) { const a = results.querySelector('a'); if (a) a.focus(); }
    fillClientNames(rows, results);
    const key = JSON.stringify(base);
    if (totals.has(key)) { showTotal(totals.get(key)); return; }
    if (!q.cursor && !nextCursor) { totals.set(key, { n: rows.length, exact: true }); showTotal(totals.get(key)); return; }
    count.textContent = 'Counting…';
    const tctl = totalCtl = new AbortController();
    const t = await api('GET', '/v1/matters', { query: { ...base, limit: 1, fields: 'id', include_total: 'true' }, signal: tctl.signal });
    if (tctl.signal.aborted || t.aborted) return;
    const total = t.ok ? totalOf(t.body.pagination) : null;
    if (total) { totals.set(key, total); showTotal(total); } else count.textContent = '';
  }
  function showTotal(total) { count.textContent = totalText(total, 'matter', 'matters'); }

  sync();
  load();
  return { update(query, state) { st = readState(query); stack = state && Array.isArray(state.stack) ? state.stack.slice() : []; sync(); load(); } };
}

// Client names for a page of matters in one request.
async function fillClientNames(rows, root) {
  if (!can('clients:read')) return;
  const ids = [...new Set(rows.map((m) => m.client_id).filter(Boolean))];
  if (!ids.length) return;
  const r = await api('GET', '/v1/clients', { query: { ids: ids.join(','), limit: 100, fields: 'id,name' } });
  if (!r.ok) return;
  const names = new Map(r.data.map((c) => [c.id, c.name]));
  root.querySelectorAll('a[data-client-id]').forEach((a) => { const n = names.get(a.dataset.clientId); if (n) a.textContent = n; });
}

export function matterStatusBadge(s) {
  return badge(s, s === 'open' ? 'success' : s === 'pending' ? 'warning' : null);
}

function matterTable(rows) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table stack-sm' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Title'), h('th', { scope: 'col' }, 'Client'), h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Practice area'), h('th', { scope: 'col' }, 'Hired'), h('th', { scope: 'col' }, 'Updated'))),
      h('tbody', null, rows.map((m) => h('tr', null,
        h('td', { class: 'primary-cell' }, h('a', { href: `#/matters/${encodeURIComponent(m.id)}` }, m.title)),
        h('td', { 'data-label': 'Client' }, m.client_id ? h('a', { href: `#/clients/${encodeURIComponent(m.client_id)}`, 'data-client-id': m.client_id, class: 'plain-link' }, m.client_id) : h('span', { class: 'muted' }, '—')),
        h('td', { 'data-label': 'Status' }, matterStatusBadge(m.status)),
        h('td', { 'data-label': 'Practice area', class: m.practice_area ? null : 'empty-cell' }, m.practice_area || h('span', { class: 'muted' }, '—')),
        h('td', { 'data-label': 'Hired', class: ['nowrap', m.hired_date ? null : 'empty-cell'] }, m.hired_date ? formatDay(m.hired_date) : h('span', { class: 'muted' }, '—')),
        h('td', { 'data-label': 'Updated', class: 'nowrap' }, h('time', { datetime: m.updated_at, title: formatDate(m.updated_at) }, formatDay(m.updated_at))))))));
}

screen('/matters', { title: 'Matters', nav: 'Matters', scope: 'matters:read', render: renderList });
screen('/matters/new', { title: 'New matter', scope: 'matters:write', render: (main, _p, query) => renderMatterForm(main, null, query) });
screen('/matters/:id/edit', { title: 'Edit matter', scope: 'matters:write', render: (main, p) => renderMatterForm(main, p.id) });
screen('/matters/:id', { title: 'Matter', scope: 'matters:read', render: renderMatter });
