// Create and edit a matter; the same ETag / conflict rules as clients.

import { api } from './api.js';
import { h, add, clear, problemBox, loading, pageTitle, showFieldErrors, clearFieldErrors, toast, nextId, formatDate } from './ui.js';
import { go } from './router.js';
import { customFieldDefs, customFieldInput } from './custom_fields.js';
import { clientPicker } from './pickers.js';
import { conflictPanel, mergePatch, fieldLabel, unplacedBox, duplicateErrors } from './edit_support.js';

const MERGE = 'application/merge-patch+json';
const STATUSES = ['open', 'pending', 'closed'];
const FIELDS = ['title', 'status', 'client_id', 'primary_contact_id', 'practice_area', 'location', 'hired_date', 'description', 'external_id', 'projected_value', 'custom_fields'];

export async function renderMatterForm(main, id, query = {}) {
  main.append(loading());
  let m = null; let etag = null;
  if (id) {
    const r = await api('GET', `/v1/matters/${encodeURIComponent(id)}`);
    if (!r.ok) { add(clear(main), pageTitle('Edit matter'), problemBox(r.problem)); return; }
    m = r.data; etag = r.etag;
  }
  const defs = await customFieldDefs('matter');
  clear(main);
  build(main, { m, etag, defs, query });
}

const orNull = (s) => { const t = (s || '').trim(); return t ? t : null; };

function shapeOf(rec) {
  const o = {};
  for (const k of FIELDS) o[k] = rec[k] === undefined ? null : rec[k];
  if (o.projected_value) o.projected_value = { amount: o.projected_value.amount, currency: o.projected_value.currency };
  return o;
}

function build(main, { m, etag, defs, query }) {
  const editing = !!m;
  let base = m;
  const v = m || { status: 'open', client_id: query.client_id || '', custom_fields: {} };
  const inp = (name, value, attrs = {}) => h('input', { name, id: nextId(name), value: value == null ? '' : String(value), autocomplete: 'off', ...attrs });
  const fld = (label, control, hint) => h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hint ? h('p', { class: 'field-hint' }, hint) : null);

  const title = inp('title', v.title, { required: true });
  const status = h('select', { name: 'status', id: nextId('status') }, STATUSES.map((s) => h('option', { value: s }, s)));
  status.value = v.status || 'open';
  const client = clientPicker({ name: 'client_id', label: 'Client', value: v.client_id, required: true });
  const contact = clientPicker({ name: 'primary_contact_id', label: 'Primary contact', value: v.primary_contact_id, hint: 'Optional: the person you deal with.' });
  const area = inp('practice_area', v.practice_area, { placeholder: 'e.g. Real estate' });
  const location = inp('location', v.location);
  const hired = inp('hired_date', v.hired_date, { type: 'date' });
  const amount = inp('projected_value.amount', v.projected_value ? (v.projected_value.amount / 100).toFixed(2) : '', { inputmode: 'decimal' });
  const currency = inp('projected_value.currency', v.projected_value ? v.projected_value.currency : 'USD', { maxlength: '3', spellcheck: 'false' });
  const external = inp('external_id', v.external_id, { spellcheck: 'false' });
  const desc = h('textarea', { name: 'description', id: nextId('desc'), rows: '4' });
  desc.value = v.description || '';
  const cfInputs = defs.map((d) => customFieldInput(d, (v.custom_fields || {})[d.key]));

  const top = h('div', { class: 'form-top' });
  const conflictBox = h('div');
  const saveBtn = h('button', { type: 'submit', class: 'btn primary' }, editing ? 'Save changes' : 'Create matter');
  const back = editing ? `#/matters/${encodeURIComponent(m.id)}` : (v.client_id ? `#/clients/${encodeURIComponent(v.client_id)}` : '#/matters');
  const form = h('form', { class: 'client-form', novalidate: true, 'aria-label': editing ? 'Edit matter' : 'New matter', on: { submit: onSubmit } },
    top,
    h('section', { class: 'card' }, h('h2', null, 'Matter'),
      h('div', { class: 'form-grid' },
        fld('Title *', title), fld('Status', status), client.el, contact.el,
        fld('Practice area', area), fld('Location', location), fld('Hired date', hired),
        h('div', { class: 'field', 'data-field': 'projected_value' },
          h('label', { for: amount.id }, 'Projected value'), amount,
          h('p', { class: 'field-hint' }, 'In the currency’s main unit, e.g. 2500.00')),
        fld('Currency', currency, 'ISO 4217, e.g. USD'),
        fld('External ID', external),
        cfInputs.map((x) => x.el)),
      h('div', { class: 'field notes-field' }, h('label', { for: desc.id }, 'Description'), desc)),
    h('div', { class: 'form-actions' }, saveBtn, h('a', { class: 'btn', href: back }, 'Cancel'),
      editing ? h('span', { class: 'muted small' }, `Editing version ${m.version}, last changed ${formatDate(m.updated_at)}`) : null));

  add(main,
    h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/matters' }, 'Matters'), ' / ', editing ? [h('a', { href: back }, m.title), ' / '] : null),
    pageTitle(editing ? `Edit ${m.title}` : 'New matter'),
    conflictBox, form);
  title.focus();

  function collect() {
    const cf = {};
    for (const x of cfInputs) cf[x.key] = x.read();
    for (const [k, val] of Object.entries(v.custom_fields || {})) if (!(k in cf)) cf[k] = val;
    let pv = null;
    const a = amount.value.trim().replace(/[, ]/g, '');
    if (a) {
      const n = Number(a);
      // Cents as an integer; a non-number goes as is so the server names it.
      pv = { amount: Number.isFinite(n) ? Math.round(n * 100) : a, currency: currency.value.trim().toUpperCase() };
    }
    return {
      title: orNull(title.value), status: status.value, client_id: client.read(), primary_contact_id: contact.read(),
      practice_area: orNull(area.value), location: orNull(location.value), hired_date: orNull(hired.value),
      description: orNull(desc.value), external_id: orNull(external.value), projected_value: pv, custom_fields: cf,
    };
  }

  async function onSubmit(e) {
    e.preventDefault();
    clear(top); clearFieldErrors(form);
    const d = collect();
    if (!editing) {
      const body = {};
      for (const [k, val] of Object.entries(d)) {
        if (val === null) continue;
        if (k === 'custom_fields') { const cf = Object.fromEntries(Object.entries(val).filter(([, x]) => x !== null)); if (Object.keys(cf).length) body.custom_fields = cf; continue; }
        body[k] = val;
      }
      // Let the server list every missing required field at once.
      if (!('title' in body)) body.title = '';
      if (!('client_id' in body)) body.client_id = '';
      saveBtn.disabled = true;
      const r = await api('POST', '/v1/matters', { body });
      saveBtn.disabled = false;
      if (!r.ok) return showProblem(r.problem);
      toast('Matter created', { kind: 'success' });
      go(`/matters/${encodeURIComponent(r.data.id)}`);
      return;
    }
    const patch = mergePatch(shapeOf(base), d);
    if (!Object.keys(patch).length) { toast('Nothing to save: no field changed.'); return; }
    await save(patch);
  }

  async function save(patch) {
    saveBtn.disabled = true;
    const r = await api('PATCH', `/v1/matters/${encodeURIComponent(m.id)}`, { body: patch, etag, contentType: MERGE });
    saveBtn.disabled = false;
    if (r.ok) { clear(conflictBox); toast('Changes saved', { kind: 'success' }); go(`/matters/${encodeURIComponent(m.id)}`); return; }
    if (r.status === 412) return conflict(patch);
    if (r.status === 404) return showProblem({ ...r.problem, title: 'This matter no longer exists', detail: 'Someone deleted it while you were editing. Your changes were not saved.' });
    showProblem(r.problem);
  }

  async function conflict(patch) {
    const cur = await api('GET', `/v1/matters/${encodeURIComponent(m.id)}`);
    clear(conflictBox);
    if (!cur.ok) { conflictBox.append(problemBox(cur.problem)); return; }
    const theirs = shapeOf(cur.data);
    const rows = [];
    for (const k of Object.keys(patch)) {
      const mine = k === 'custom_fields' ? { ...(theirs.custom_fields || {}), ...patch[k] } : patch[k];
      if (JSON.stringify(mine ?? null) !== JSON.stringify(theirs[k] ?? null)) rows.push({ field: k, label: fieldLabel(k), theirs: theirs[k], yours: mine });
    }
    const theirOnly = Object.keys(mergePatch(shapeOf(base), theirs)).filter((k) => !(k in patch)).map(fieldLabel);
    conflictBox.append(conflictPanel({
      what: 'matter', rows, theirOnly, updatedAt: cur.data.updated_at,
      onReload: () => go(`/matters/${encodeURIComponent(m.id)}/edit`),
      onReapply: async () => { base = cur.data; etag = cur.etag; await save(patch); },
    }));
    conflictBox.scrollIntoView({ block: 'start' });
  }

  function showProblem(problem) {
    const p = duplicateErrors(problem);
    const unplaced = showFieldErrors(form, p);
    const placed = (p.errors || []).length - unplaced.length;
    if (unplaced.length) top.append(unplacedBox(p, unplaced));
    else if (!placed) top.append(problemBox(p));
  }
}
