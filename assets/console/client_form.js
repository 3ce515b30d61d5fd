// Create and edit a client. Edits are JSON merge patches of only the fields
// that changed, sent with If-Match: the ETag loaded. A 412 means someone else
// saved first: we show their values next to ours and let the user reload or
// re-apply, never overwrite silently.

import { api, session } from './api.js';
import { h, add, clear, problemBox, loading, pageTitle, showFieldErrors, clearFieldErrors, toast, nextId, formatDate } from './ui.js';
import { go } from './router.js';
import { customFieldDefs, customFieldInput } from './custom_fields.js';
import { clientPicker } from './pickers.js';
import { conflictPanel, mergePatch, fieldLabel, unplacedBox, duplicateErrors } from './edit_support.js';

const MERGE = 'application/merge-patch+json';
const ADDRESS_KEYS = ['line1', 'line2', 'city', 'region', 'postal_code', 'country'];
const ADDRESS_LABELS = { line1: 'Address line 1', line2: 'Address line 2', city: 'City', region: 'State / region', postal_code: 'Postal code', country: 'Country' };
// What the form edits (and so what a patch may contain).
const FIELDS = ['kind', 'first_name', 'last_name', 'name', 'email', 'phone', 'status', 'date_of_birth', 'company_id', 'tags', 'source', 'external_id', 'notes', 'address', 'other_emails', 'other_phones', 'other_addresses', 'custom_fields'];

export async function renderClientForm(main, id, query = {}) {
  main.append(loading(id ? 'Loading client…' : 'Loading…'));
  let client = null;
  let etag = null;
  if (id) {
    const r = await api('GET', `/v1/clients/${encodeURIComponent(id)}`);
    if (!r.ok) { clear(main).append(pageTitle('Edit client'), problemBox(r.problem)); return; }
    client = r.data; etag = r.etag;
  }
  const defs = await customFieldDefs('client');
  clear(main);
  buildForm(main, { client, etag, defs, query });
}

function val(v) { return v === null || v === undefined ? '' : String(v); }
function orNull(s) { const t = (s || '').trim(); return t ? t : null; }

function buildForm(main, { client, etag, defs, query }) {
  const editing = !!client;
  let base = client; // the version our edit is based on
  const c = client || { kind: query.kind === 'company' ? 'company' : 'person', status: 'active', tags: [], other_emails: [], other_phones: [], other_addresses: [], custom_fields: {} };
  const statuses = (session.firm && session.firm.client_statuses) || ['active', 'inactive', 'closed'];

  const input = (name, value, attrs = {}) => h('input', { name, id: nextId(name.replace(/\W/g, '')), value: val(value), autocomplete: 'off', ...attrs });
  const fld = (label, control, hint) => h('div', { class: ['field', control.dataset.span ? 'span-2' : null] },
    h('label', { for: control.id }, label), control, hint ? h('p', { class: 'field-hint' }, hint) : null);

  const kindSel = h('select', { name: 'kind', id: nextId('kind') }, h('option', { value: 'person' }, 'Person'), h('option', { value: 'company' }, 'Company'));
  kindSel.value = c.kind || 'person';
  const first = input('first_name', c.first_name, { autocomplete: 'off' });
  const last = input('last_name', c.last_name);
  const name = input('name', c.kind === 'company' ? c.name : '');
  const email = input('email', c.email, { type: 'email', inputmode: 'email', spellcheck: 'false' });
  const phone = input('phone', c.phone, { type: 'tel' });
  const status = h('select', { name: 'status', id: nextId('status') }, statuses.map((s) => h('option', { value: s }, s)));
  if (c.status && !statuses.includes(c.status)) status.append(h('option', { value: c.status }, c.status));
  status.value = c.status || statuses[0];
  const dob = input('date_of_birth', c.date_of_birth, { type: 'date' });
  const company = clientPicker({ name: 'company_id', label: 'Company', value: c.company_id, kind: 'company', hint: 'The company this person works for (optional).' });
  const tags = input('tags', (c.tags || []).join(', '));
  const source = input('source', c.source);
  const external = input('external_id', c.external_id, { spellcheck: 'false' });
  const notes = h('textarea', { name: 'notes', id: nextId('notes'), rows: '3' });
  notes.value = val(c.notes);


  const addr = {};
  for (const k of ADDRESS_KEYS) addr[k] = input(`address.${k}`, c.address && c.address[k], k === 'postal_code' ? { autocomplete: 'off' } : {});

  const personOnly = [
    fld('First name', first),
    fld('Last name', last, 'Required for a person.'),
    fld('Date of birth', dob),
    company.el,
  ];
  const companyOnly = [fld('Company name', name, 'Required for a company.')];

  const emailsBox = repeater('other_emails', c.other_emails, [
    { key: 'address', label: 'Email', type: 'email' },
    { key: 'label', label: 'Label', placeholder: 'work, home…' }], 'Add an email');
  const phonesBox = repeater('other_phones', c.other_phones, [
    { key: 'number', label: 'Phone', type: 'tel' },
    { key: 'label', label: 'Label', placeholder: 'mobile, work…' }], 'Add a phone');
  const addrsBox = repeater('other_addresses', c.other_addresses, [
    { key: 'label', label: 'Label', placeholder: 'billing, home…' },
    ...ADDRESS_KEYS.map((k) => ({ key: k, label: ADDRESS_LABELS[k] }))], 'Add an address', true);

  const cfInputs = defs.map((d) => customFieldInput(d, (c.custom_fields || {})[d.key]));

  const top = h('div', { class: 'form-top', 'aria-live': 'polite' });
  const conflictBox = h('div');
  const saveBtn = h('button', { type: 'submit', class: 'btn primary' }, editing ? 'Save changes' : 'Create client');
  const cancelHref = editing ? `#/clients/${encodeURIComponent(c.id)}` : '#/clients';

  const form = h('form', { class: 'client-form', novalidate: true, 'aria-label': editing ? 'Edit client' : 'New client', on: { submit: onSubmit } },
    top,
    h('section', { class: 'card' }, h('h2', null, 'Who'),
      h('div', { class: 'form-grid' },
        fld('Kind', kindSel),
        fld('Status', status),
        h('div', { class: 'person-only contents' }, personOnly),
        h('div', { class: 'company-only contents' }, companyOnly))),
    h('section', { class: 'card' }, h('h2', null, 'Contact'),
      h('div', { class: 'form-grid' },
        fld('Email', email, 'The primary email; unique within your firm.'),
        fld('Phone', phone, 'Any common format, e.g. (555) 123-4567 x12.')),
      h('h3', { class: 'section-title' }, 'Other emails'), emailsBox.el,
      h('h3', { class: 'section-title' }, 'Other phones'), phonesBox.el),
    h('section', { class: 'card' }, h('h2', null, 'Address'),
      h('div', { class: 'form-grid', 'data-field': 'address' }, ADDRESS_KEYS.map((k) => fld(ADDRESS_LABELS[k], addr[k]))),
      h('h3', { class: 'section-title' }, 'Other addresses'), addrsBox.el),
    h('section', { class: 'card' }, h('h2', null, 'More'),
      h('div', { class: 'form-grid' },
        fld('Tags', tags, 'Separate with commas.'),
        fld('Source', source, 'Where the client came from.'),
        fld('External ID', external, 'Another system’s id for this client.'),
        cfInputs.map((x) => x.el)),
      h('div', { class: 'field notes-field' }, h('label', { for: notes.id }, 'Internal notes'), notes)),
    h('div', { class: 'form-actions' }, saveBtn, h('a', { class: 'btn', href: cancelHref }, 'Cancel'),
      editing ? h('span', { class: 'muted small' }, `Editing version ${c.version}, last changed ${formatDate(c.updated_at)}`) : null));

  function syncKind() {
    const isCompany = kindSel.value === 'company';
    form.querySelectorAll('.person-only').forEach((n) => { n.hidden = isCompany; });
    form.querySelectorAll('.company-only').forEach((n) => { n.hidden = !isCompany; });
  }
  kindSel.addEventListener('change', syncKind);

  add(main,
    h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/clients' }, 'Clients'), ' / ',
      editing ? [h('a', { href: cancelHref }, c.name), ' / '] : null),
    pageTitle(editing ? `Edit ${c.name}` : 'New client'),
    conflictBox,
    form);
  syncKind();
  (editing ? (c.kind === 'company' ? name : first) : first).focus();

  // The form's values as a client body (only the fields this form edits).
  function collect() {
    const isCompany = kindSel.value === 'company';
    const address = {};
    for (const k of ADDRESS_KEYS) address[k] = orNull(addr[k].value);
    const cf = {};
    for (const x of cfInputs) cf[x.key] = x.read();
    // Keep values of fields without a definition untouched.
    for (const [k, v] of Object.entries(c.custom_fields || {})) if (!(k in cf)) cf[k] = v;
    return {
      kind: kindSel.value,
      first_name: isCompany ? null : orNull(first.value),
      last_name: isCompany ? null : orNull(last.value),
      name: isCompany ? orNull(name.value) : undefined,
      email: orNull(email.value),
      phone: orNull(phone.value),
      status: status.value,
      date_of_birth: isCompany ? null : orNull(dob.value),
      company_id: isCompany ? null : company.read(),
      tags: tags.value.split(',').map((t) => t.trim()).filter(Boolean),
      source: orNull(source.value),
      external_id: orNull(external.value),
      notes: orNull(notes.value),
      address: Object.values(address).some((v) => v !== null) ? address : null,
      other_emails: emailsBox.read(),
      other_phones: phonesBox.read(),
      other_addresses: addrsBox.read(),
      custom_fields: cf,
    };
  }

  // The stored client in the same shape, for diffing.
  function shapeOf(rec) {
    const out = {};
    for (const k of FIELDS) out[k] = rec[k] === undefined ? null : rec[k];
    if (rec.kind !== 'company') out.name = undefined;
    if (out.address && !Object.values(out.address).some((v) => v !== null && v !== '')) out.address = null;
    if (out.address) { const a = {}; for (const k of ADDRESS_KEYS) a[k] = out.address[k] ?? null; out.address = a; }
    out.other_addresses = (rec.other_addresses || []).map((a) => { const o = { label: a.label ?? null }; for (const k of ADDRESS_KEYS) o[k] = a[k] ?? null; return o; });
    out.other_emails = (rec.other_emails || []).map((e) => ({ address: e.address, label: e.label ?? null }));
    out.other_phones = (rec.other_phones || []).map((p) => ({ number: p.number, label: p.label ?? null }));
    return out;
  }

  let pendingPatch = null;

  async function onSubmit(e) {
    e.preventDefault();
    clear(top); clearFieldErrors(form);
    const desired = collect();
    if (!editing) {
      const body = {};
      for (const [k, v] of Object.entries(desired)) {
        if (v === null || v === undefined) continue;
        if (Array.isArray(v) && !v.length) continue;
        if (k === 'custom_fields') { const cf = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null)); if (Object.keys(cf).length) body.custom_fields = cf; continue; }
        body[k] = v;
      }
      saveBtn.disabled = true;
      const r = await api('POST', '/v1/clients', { body });
      saveBtn.disabled = false;
      if (!r.ok) return showProblem(r.problem);
      toast('Client created', { kind: 'success' });
      go(`/clients/${encodeURIComponent(r.data.id)}`);
      return;
    }
    const patch = mergePatch(shapeOf(base), desired);
    if (!Object.keys(patch).length) { toast('Nothing to save: no field changed.'); return; }
    await save(patch);
  }

  async function save(patch) {
    saveBtn.disabled = true;
    const r = await api('PATCH', `/v1/clients/${encodeURIComponent(c.id)}`, { body: patch, etag, contentType: MERGE });
    saveBtn.disabled = false;
    if (r.ok) {
      clear(conflictBox);
      toast('Changes saved', { kind: 'success' });
      go(`/clients/${encodeURIComponent(c.id)}`);
      return;
    }
    if (r.status === 412 || (r.status === 409 && r.problem && r.problem.code === 'version_conflict')) return showConflict(patch);
    if (r.status === 404) { showProblem({ ...r.problem, title: 'This client no longer exists', detail: 'Someone deleted it while you were editing. Your changes were not saved.' }); return; }
    showProblem(r.problem);
  }

  async function showConflict(patch) {
    pendingPatch = patch;
    const cur = await api('GET', `/v1/clients/${encodeURIComponent(c.id)}`);
    clear(conflictBox);
    if (!cur.ok) { conflictBox.append(problemBox(cur.problem)); return; }
    const theirs = shapeOf(cur.data);
    const rows = [];
    for (const k of Object.keys(patch)) {
      const mine = patch[k];
      const t = theirs[k];
      const mineFull = k === 'custom_fields' ? { ...(theirs.custom_fields || {}), ...mine } : mine;
      if (JSON.stringify(mineFull ?? null) !== JSON.stringify(t ?? null)) rows.push({ field: k, label: fieldLabel(k), theirs: t, yours: mineFull });
    }
    // Fields they changed that we did not touch survive a re-apply.
    const theirOnly = Object.keys(mergePatch(shapeOf(base), theirs)).filter((k) => !(k in patch)).map(fieldLabel);
    conflictBox.append(conflictPanel({
      what: 'client',
      rows,
      theirOnly,
      updatedAt: cur.data.updated_at,
      onReload: () => { go(`/clients/${encodeURIComponent(c.id)}/edit`); },
      onReapply: async () => {
        base = cur.data; etag = cur.etag;
        await save(pendingPatch);
      },
    }));
    conflictBox.scrollIntoView({ block: 'start' });
  }

  function showProblem(problem) {
    const p = duplicateErrors(problem);
    const unplaced = showFieldErrors(form, p);
    const placed = (p.errors || []).length - unplaced.length;
    if (unplaced.length) top.append(unplacedBox(p, unplaced));
    else if (!placed) top.append(problemBox(p));
    if (!placed) top.scrollIntoView({ block: 'nearest' });
  }
}

// A list of rows of inputs named "<prefix>[i].<key>", renumbered on every
// add/remove so the server's "other_emails[1].address" finds its input.
function repeater(prefix, items, cols, addLabel, wide = false) {
  const noun = addLabel.replace(/^Add an? /, 'other ');
  const rows = [];
  const list = h('div', { class: 'repeat', 'data-field': prefix });
  const addBtn = h('button', { type: 'button', class: 'btn small', on: { click: () => { add({}); renumber(); rows[rows.length - 1].inputs[cols[0].key].focus(); } } }, '+ ' + addLabel);
  function add(item) {
    const inputs = {};
    const row = h('div', { class: ['repeat-row', wide ? 'address-row' : null] });
    for (const col of cols) {
      const inp = h('input', { id: nextId(prefix), type: col.type || 'text', value: val(item[col.key]), placeholder: col.placeholder || null, autocomplete: 'off' });
      inputs[col.key] = inp;
      // The visible label repeats per row; a hidden suffix keeps names unique.
      inp.suffix = h('span', { class: 'visually-hidden' });
      row.append(h('div', { class: 'field' }, h('label', { for: inp.id }, col.label, inp.suffix), inp));
    }
    const entry = { row, inputs };
    const rm = h('button', { type: 'button', class: 'btn ghost small', on: { click: () => { rows.splice(rows.indexOf(entry), 1); row.remove(); renumber(); addBtn.focus(); } } }, 'Remove');
    row.append(h('div', { class: 'row-actions' }, rm));
    entry.rm = rm;
    rows.push(entry);
    list.insertBefore(row, addBtn.parentElement);
  }
  function renumber() {
    rows.forEach((r, i) => {
      for (const col of cols) {
        r.inputs[col.key].name = `${prefix}[${i}].${col.key}`;
        r.inputs[col.key].suffix.textContent = ` (${noun} ${i + 1})`;
      }
      r.rm.setAttribute('aria-label', `Remove ${noun} ${i + 1}`);
    });
  }
  list.append(h('div', { class: 'repeat-add' }, addBtn));
  for (const it of items || []) add(it);
  renumber();
  return {
    el: list,
    // Rows left entirely empty are dropped (and lose their names); the rest
    // are numbered in the order sent, so error paths point at the right row.
    read: () => {
      const out = [];
      for (const r of rows) {
        const o = {};
        for (const col of cols) o[col.key] = orNull(r.inputs[col.key].value);
        if (!Object.values(o).some((v) => v !== null)) {
          for (const col of cols) r.inputs[col.key].removeAttribute('name');
          continue;
        }
        for (const col of cols) r.inputs[col.key].name = `${prefix}[${out.length}].${col.key}`;
        const first = cols[0].key;
        if (o[first] === null && first !== 'label') o[first] = '';
        out.push(o);
      }
      return out;
    },
  };
}
