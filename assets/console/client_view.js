// One client: every field, contacts, custom fields, matters, notes, history.
// A deleted client (GET answers 404) is recognised from its history and shown
// with a banner and a Restore button.

import { api, can } from './api.js';
import { h, add, clear, problemBox, loading, formatDate, formatDay, badge, pageTitle, dl, confirmDialog, toast, emptyState } from './ui.js';
import { reload } from './router.js';
import { historyPanel } from './history.js';
import { notesPanel } from './notes.js';
import { customFieldDefs, customFieldValue } from './custom_fields.js';

export async function renderClient(main, { id }) {
  main.append(loading('Loading client…'));
  const path = `/v1/clients/${encodeURIComponent(id)}`;
  const r = await api('GET', path);
  clear(main);
  if (!r.ok) {
    if (r.status === 404) return renderMissing(main, id);
    main.append(pageTitle('Client'), problemBox(r.problem));
    return;
  }
  renderLoaded(main, r.data, r.etag, false);
}

async function renderMissing(main, id) {
  // Deleted clients still have a history; its last event tells us.
  const hres = await api('GET', `/v1/clients/${encodeURIComponent(id)}/history`, { query: { limit: 1 } });
  const last = hres.ok && hres.data && hres.data[0];
  if (last && /\.deleted$/.test(last.type) && last.after) {
    renderLoaded(main, last.after, null, true);
    return;
  }
  main.append(breadcrumb(), pageTitle('Client not found'),
    emptyState('No client with this id exists in your firm.', h('a', { class: 'btn', href: '#/clients' }, 'Back to clients')));
}

function breadcrumb() {
  return h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/clients' }, 'Clients'), ' / ');
}

function renderLoaded(main, c, etag, deleted) {
  const path = `/v1/clients/${encodeURIComponent(c.id)}`;
  const writable = can('clients:write');
  const actions = [];
  if (writable && !deleted) {
    actions.push(h('a', { class: 'btn primary', href: `#/clients/${encodeURIComponent(c.id)}/edit` }, 'Edit'));
    actions.push(h('button', { type: 'button', class: 'btn danger-outline', on: { click: onDelete } }, 'Delete'));
  }

  async function onDelete() {
    const ok = await confirmDialog(`Delete ${c.name}?`, 'The client is hidden from lists and searches. You can restore it from this page later.', { confirm: 'Delete client', danger: true });
    if (!ok) return;
    const d = await api('DELETE', path, { etag });
    if (!d.ok) {
      if (d.status === 412) { toast('This client was changed by someone else. Reloaded: check it and try again.', { kind: 'error', timeout: 6000 }); reload(); return; }
      toast(d.problem.detail || d.problem.title, { kind: 'error', timeout: 6000 });
      return;
    }
    toast('Client deleted');
    reload();
  }
  async function onRestore() {
    const d = await api('POST', `${path}/restore`);
    if (!d.ok) { toast(d.problem.detail || d.problem.title, { kind: 'error', timeout: 6000 }); return; }
    toast('Client restored', { kind: 'success' });
    reload();
  }

  const kindLabel = c.kind === 'company' ? 'Company' : 'Person';
  add(main,
    breadcrumb(),
    h('div', { class: 'page-head' },
      h('div', null,
        pageTitle(c.name || '(no name)'),
        h('p', { class: 'page-sub' }, badge(kindLabel, 'accent'), ' ', badge(c.status, statusKind(c.status)), deleted ? [' ', badge('Deleted', 'danger')] : null)),
      actions.length ? h('div', { class: 'actions' }, actions) : null),
    deleted ? h('div', { class: 'banner banner-danger', role: 'status' },
      h('p', null, h('strong', null, 'This client was deleted. '), 'It is hidden from lists and searches until it is restored.'),
      writable ? h('button', { type: 'button', class: 'btn primary', on: { click: onRestore } }, 'Restore') : null) : null);

  const left = h('div', { class: 'col' });
  const right = h('div', { class: 'col' });
  main.append(h('div', { class: 'detail-grid' }, left, right));

  left.append(detailsCard(c), contactCard(c));
  const cf = h('div');
  left.append(cf);
  customFieldsCard(cf, c);
  if (c.notes) left.append(h('section', { class: 'card' }, h('h2', null, 'Internal notes'), h('p', { class: 'note-body' }, c.notes)));
  if (!deleted) left.append(notesPanel(`${path}/notes`));

  if (c.kind === 'company' && !deleted) right.append(peopleCard(c));
  if (can('matters:read') && !deleted) right.append(mattersCard(c));
  right.append(historyPanel(`${path}/history`));
}

function statusKind(s) {
  return s === 'active' ? 'success' : s === 'closed' ? 'danger' : s === 'inactive' ? 'warning' : null;
}

function detailsCard(c) {
  const company = c.company_id ? h('a', { href: `#/clients/${encodeURIComponent(c.company_id)}` }, c.company_id) : null;
  if (c.company_id) {
    api('GET', `/v1/clients/${encodeURIComponent(c.company_id)}`).then((r) => { if (r.ok) company.textContent = r.data.name; });
  }
  const rows = c.kind === 'company'
    ? [['Name', c.name]]
    : [['First name', c.first_name], ['Last name', c.last_name], ['Date of birth', c.date_of_birth ? formatDay(c.date_of_birth) : null], ['Company', company]];
  return h('section', { class: 'card' }, h('h2', null, 'Details'), dl([
    ...rows,
    ['Kind', c.kind === 'company' ? 'Company' : 'Person'],
    ['Status', c.status],
    ['Tags', (c.tags || []).length ? h('span', { class: 'tags' }, c.tags.map((t) => h('a', { class: 'badge', href: `#/clients?tags=${encodeURIComponent(t)}` }, t))) : null],
    ['Source', c.source],
    ['External ID', c.external_id ? h('code', null, c.external_id) : null],
    ['Client ID', h('code', null, c.id)],
    ['Created', formatDate(c.created_at)],
    ['Updated', formatDate(c.updated_at)],
    ['Version', String(c.version)],
  ]));
}

function addressLines(a) {
  if (!a) return null;
  const lines = [a.line1, a.line2, [a.city, a.region, a.postal_code].filter(Boolean).join(' '), a.country].filter(Boolean);
  return lines.length ? lines.join('\n') : null;
}

function contactCard(c) {
  const emails = [];
  if (c.email) emails.push(h('li', null, h('a', { href: `mailto:${c.email}` }, c.email), badge('primary')));
  for (const e of c.other_emails || []) emails.push(h('li', null, h('a', { href: `mailto:${e.address}` }, e.address), e.label ? badge(e.label) : null));
  const phones = [];
  if (c.phone) phones.push(h('li', null, h('a', { href: `tel:${c.phone.replace(';ext=', ',')}` }, formatPhone(c.phone)), badge('primary'), c.phone_verified === false ? badge('unverified', 'warning') : null));
  for (const p of c.other_phones || []) phones.push(h('li', null, h('a', { href: `tel:${String(p.number).replace(';ext=', ',')}` }, formatPhone(p.number)), p.label ? badge(p.label) : null));
  const addrs = [];
  const main = addressLines(c.address);
  if (main) addrs.push(h('li', null, h('span', { class: 'address' }, main), badge('primary')));
  for (const a of c.other_addresses || []) { const t = addressLines(a); if (t) addrs.push(h('li', null, h('span', { class: 'address' }, t), a.label ? badge(a.label) : null)); }
  const none = () => h('span', { class: 'muted' }, '—');
  return h('section', { class: 'card' }, h('h2', null, 'Contact'), dl([
    ['Emails', emails.length ? h('ul', { class: 'contact-list' }, emails) : none()],
    ['Phones', phones.length ? h('ul', { class: 'contact-list' }, phones) : none()],
    ['Addresses', addrs.length ? h('ul', { class: 'contact-list' }, addrs) : none()],
  ]));
}

async function customFieldsCard(box, c) {
  const defs = await customFieldDefs('client');
  const keys = new Set([...defs.map((d) => d.key), ...Object.keys(c.custom_fields || {})]);
  if (!keys.size) return;
  const rows = [];
  for (const d of defs) rows.push([d.label || d.key, customFieldValue(d, (c.custom_fields || {})[d.key])]);
  // Values without a definition (set through the API) still show, by key.
  for (const k of Object.keys(c.custom_fields || {})) if (!defs.find((d) => d.key === k)) rows.push([k, customFieldValue(null, c.custom_fields[k])]);
  box.append(h('section', { class: 'card' }, h('h2', null, 'Custom fields'), dl(rows)));
}

function peopleCard(c) {
  const body = h('div', null, loading());
  api('GET', '/v1/clients', { query: { company_id: c.id, limit: 10, fields: 'id,name,email,status' } }).then((r) => {
    clear(body);
    if (!r.ok) { body.append(problemBox(r.problem)); return; }
    if (!r.data.length) { body.append(h('p', { class: 'muted' }, 'Nobody is linked to this company yet.')); return; }
    body.append(h('ul', { class: 'item-list' }, r.data.map((p) => h('li', null, h('a', { href: `#/clients/${encodeURIComponent(p.id)}` }, p.name), p.email ? h('span', { class: 'sub' }, p.email) : null))));
    if (r.body.pagination.has_more) body.append(h('p', null, h('a', { href: `#/clients?company_id=${encodeURIComponent(c.id)}` }, 'See everyone')));
  });
  return h('section', { class: 'card' }, h('h2', null, 'People'), body);
}

function mattersCard(c) {
  const body = h('div', null, loading('Loading matters…'));
  api('GET', '/v1/matters', { query: { client_id: c.id, limit: 10, fields: 'id,title,status,practice_area,updated_at' } }).then((r) => {
    clear(body);
    if (!r.ok) { body.append(problemBox(r.problem)); return; }
    if (!r.data.length) { body.append(h('p', { class: 'muted' }, 'No matters yet.')); return; }
    body.append(h('ul', { class: 'item-list' }, r.data.map((m) => h('li', null,
      h('a', { href: `#/matters/${encodeURIComponent(m.id)}` }, m.title),
      h('span', { class: 'sub' }, badge(m.status, m.status === 'open' ? 'success' : m.status === 'pending' ? 'warning' : null),
        m.practice_area ? ` ${m.practice_area}` : null)))));
    if (r.body.pagination.has_more) body.append(h('p', null, h('a', { href: `#/matters?client_id=${encodeURIComponent(c.id)}` }, 'See all matters')));
  });
  return h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', null, 'Matters'),
      can('matters:write') ? h('a', { class: 'btn small', href: `#/matters/new?client_id=${encodeURIComponent(c.id)}` }, 'New matter') : null),
    body);
}

export function formatPhone(p) {
  if (!p) return '';
  const [num, ext] = String(p).split(';ext=');
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(num);
  const base = m ? `+1 ${m[1]} ${m[2]} ${m[3]}` : num;
  return ext ? `${base} ext. ${ext}` : base;
}


