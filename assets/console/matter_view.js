// One matter: its fields, client, custom fields, notes and history; edit,
// delete (soft) and restore (a deleted matter is recognised by its history).

import { api, can } from './api.js';
import { h, add, clear, problemBox, loading, formatDate, formatDay, pageTitle, dl, confirmDialog, toast, emptyState, badge } from './ui.js';
import { reload } from './router.js';
import { historyPanel } from './history.js';
import { notesPanel } from './notes.js';
import { customFieldDefs, customFieldValue } from './custom_fields.js';

export function money(v) {
  if (!v) return null;
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: v.currency }).format(v.amount / 100);
  } catch {
    return `${(v.amount / 100).toFixed(2)} ${v.currency}`;
  }
}

function statusBadge(s) { return badge(s, s === 'open' ? 'success' : s === 'pending' ? 'warning' : null); }

export async function renderMatter(main, { id }) {
  main.append(loading('Loading matter…'));
  const r = await api('GET', `/v1/matters/${encodeURIComponent(id)}`);
  clear(main);
  if (r.ok) return renderLoaded(main, r.data, r.etag, false);
  if (r.status === 404) {
    const hres = await api('GET', `/v1/matters/${encodeURIComponent(id)}/history`, { query: { limit: 1 } });
    const last = hres.ok && hres.data && hres.data[0];
    if (last && /\.deleted$/.test(last.type) && last.after) return renderLoaded(main, last.after, null, true);
    add(main, crumb(), pageTitle('Matter not found'), emptyState('No matter with this id exists in your firm.', h('a', { class: 'btn', href: '#/matters' }, 'Back to matters')));
    return;
  }
  add(main, crumb(), pageTitle('Matter'), problemBox(r.problem));
}

function crumb(m) {
  return h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/matters' }, 'Matters'), ' / ');
}

function clientLink(id) {
  if (!id) return null;
  const a = h('a', { href: `#/clients/${encodeURIComponent(id)}` }, id);
  if (can('clients:read')) api('GET', `/v1/clients/${encodeURIComponent(id)}`).then((r) => { if (r.ok) a.textContent = r.data.name; });
  return a;
}

function renderLoaded(main, m, etag, deleted) {
  const path = `/v1/matters/${encodeURIComponent(m.id)}`;
  const writable = can('matters:write');
  async function onDelete() {
    const ok = await confirmDialog(`Delete “${m.title}”?`, 'The matter is hidden from lists. You can restore it from this page later.', { confirm: 'Delete matter', danger: true });
    if (!ok) return;
    const d = await api('DELETE', path, { etag });
    if (!d.ok) {
      toast(d.status === 412 ? 'This matter was changed by someone else. Reloaded: check it and try again.' : (d.problem.detail || d.problem.title), { kind: 'error', timeout: 6000 });
      if (d.status === 412) reload();
      return;
    }
    toast('Matter deleted');
    reload();
  }
  async function onRestore() {
    const d = await api('POST', `${path}/restore`);
    if (!d.ok) { toast(d.problem.detail || d.problem.title, { kind: 'error', timeout: 6000 }); return; }
    toast('Matter restored', { kind: 'success' });
    reload();
  }
  add(main,
    crumb(),
    h('div', { class: 'page-head' },
      h('div', null, pageTitle(m.title),
        h('p', { class: 'page-sub' }, statusBadge(m.status), deleted ? [' ', badge('Deleted', 'danger')] : null,
          m.client_id ? [' for ', clientLink(m.client_id)] : null)),
      writable && !deleted ? h('div', { class: 'actions' },
        h('a', { class: 'btn primary', href: `#/matters/${encodeURIComponent(m.id)}/edit` }, 'Edit'),
        h('button', { type: 'button', class: 'btn danger-outline', on: { click: onDelete } }, 'Delete')) : null),
    deleted ? h('div', { class: 'banner banner-danger', role: 'status' },
      h('p', null, h('strong', null, 'This matter was deleted. '), 'It is hidden from lists until it is restored.'),
      writable ? h('button', { type: 'button', class: 'btn primary', on: { click: onRestore } }, 'Restore') : null) : null);

  const left = h('div', { class: 'col' });
  const right = h('div', { class: 'col' });
  main.append(h('div', { class: 'detail-grid' }, left, right));
  left.append(h('section', { class: 'card' }, h('h2', null, 'Details'), dl([
    ['Title', m.title],
    ['Status', m.status],
    ['Client', clientLink(m.client_id)],
    ['Primary contact', clientLink(m.primary_contact_id)],
    ['Practice area', m.practice_area],
    ['Location', m.location],
    ['Hired', m.hired_date ? formatDay(m.hired_date) : null],
    ['Projected value', money(m.projected_value)],
    ['External ID', m.external_id ? h('code', null, m.external_id) : null],
    ['From lead', m.lead_id ? h('code', null, m.lead_id) : null],
    ['Matter ID', h('code', null, m.id)],
    ['Created', formatDate(m.created_at)],
    ['Updated', formatDate(m.updated_at)],
    ['Version', String(m.version)],
  ])));
  if (m.description) left.append(h('section', { class: 'card' }, h('h2', null, 'Description'), h('p', { class: 'note-body' }, m.description)));
  const cf = h('div', { class: 'contents' });
  left.append(cf);
  customFieldDefs('matter').then((defs) => {
    const vals = m.custom_fields || {};
    if (!defs.length && !Object.keys(vals).length) return;
    const rows = defs.map((d) => [d.label || d.key, customFieldValue(d, vals[d.key])]);
    for (const k of Object.keys(vals)) if (!defs.find((d) => d.key === k)) rows.push([k, customFieldValue(null, vals[k])]);
    cf.append(h('section', { class: 'card' }, h('h2', null, 'Custom fields'), dl(rows)));
  });
  if (!deleted) left.append(notesPanel(`${path}/notes`));
  right.append(historyPanel(`${path}/history`));
}
