// Shared by the client and matter forms: merge patches, the conflict panel,
// and server errors that have no input of their own.

import { h } from './ui.js';

const LABELS = {
  kind: 'Kind', first_name: 'First name', last_name: 'Last name', name: 'Name', email: 'Email', phone: 'Phone',
  status: 'Status', date_of_birth: 'Date of birth', company_id: 'Company', tags: 'Tags', source: 'Source',
  external_id: 'External ID', notes: 'Internal notes', address: 'Address', other_emails: 'Other emails',
  other_phones: 'Other phones', other_addresses: 'Other addresses', custom_fields: 'Custom fields',
  title: 'Title', description: 'Description', practice_area: 'Practice area', location: 'Location',
  hired_date: 'Hired date', client_id: 'Client', primary_contact_id: 'Primary contact', projected_value: 'Projected value',
};
export function fieldLabel(k) { return LABELS[k] || k; }

function isObj(v) { return v && typeof v === 'object' && !Array.isArray(v); }
const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

// RFC 7396 patch turning `before` into `after` for the keys of `after`
// (undefined = not edited). custom_fields is patched key by key so another
// user's change to a different custom field survives; everything else is
// replaced whole when it differs.
export function mergePatch(before, after) {
  const patch = {};
  for (const [k, v] of Object.entries(after)) {
    if (v === undefined) continue;
    const b = before[k];
    if (k === 'custom_fields' && isObj(v)) {
      const sub = {};
      const bb = isObj(b) ? b : {};
      for (const key of new Set([...Object.keys(bb), ...Object.keys(v)])) {
        const nv = v[key] === undefined ? null : v[key];
        if (!same(bb[key], nv)) sub[key] = nv;
      }
      if (Object.keys(sub).length) patch[k] = sub;
      continue;
    }
    if (!same(b, v)) patch[k] = v;
  }
  return patch;
}

export function displayValue(v) {
  if (v === null || v === undefined || v === '') return '(empty)';
  if (Array.isArray(v)) {
    if (!v.length) return '(none)';
    return v.map((x) => {
      if (!isObj(x)) return String(x);
      const main = x.address || x.number || [x.line1, x.line2, x.city, x.region, x.postal_code, x.country].filter(Boolean).join(', ');
      return x.label ? `${main} (${x.label})` : main;
    }).join('; ');
  }
  if (isObj(v)) {
    if ('amount' in v && 'currency' in v) return `${(v.amount / 100).toFixed(2)} ${v.currency}`;
    if ('line1' in v || 'city' in v) return [v.line1, v.line2, v.city, v.region, v.postal_code, v.country].filter(Boolean).join(', ') || '(empty)';
    const entries = Object.entries(v).filter(([, x]) => x !== null);
    return entries.length ? entries.map(([a, b]) => `${a}: ${typeof b === 'object' ? JSON.stringify(b) : b}`).join('; ') : '(none)';
  }
  return String(v);
}

// The panel shown on 412. rows: [{field, label, theirs, yours}].
export function conflictPanel({ what, rows, theirOnly, updatedAt, onReload, onReapply }) {
  const reapply = h('button', { type: 'button', class: 'btn primary', on: { click: async () => { reapply.disabled = true; await onReapply(); reapply.disabled = false; } } }, 'Re-apply my changes');
  return h('section', { class: 'conflict', role: 'alert', 'aria-labelledby': 'conflict-title' },
    h('h2', { id: 'conflict-title' }, `This ${what} was changed by someone else while you were editing`),
    h('p', null, 'Nothing has been overwritten: your changes are not saved yet.',
      updatedAt ? ` Their version was saved ${new Date(updatedAt).toLocaleString()}.` : ''),
    rows.length ? h('div', { class: 'table-wrap' },
      h('table', { class: 'table conflict-table' },
        h('caption', { class: 'visually-hidden' }, 'Fields that differ'),
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Their current value'), h('th', { scope: 'col' }, 'Your value'))),
        h('tbody', null, rows.map((r) => h('tr', { 'data-field': r.field },
          h('th', { scope: 'row' }, r.label),
          h('td', { class: 'theirs' }, displayValue(r.theirs)),
          h('td', { class: 'yours' }, displayValue(r.yours)))))))
      : h('p', null, 'The fields you changed still hold what they held when you started; they changed others.'),
    theirOnly && theirOnly.length ? h('p', { class: 'muted' }, `They also changed: ${theirOnly.join(', ')}. Re-applying keeps those.`) : null,
    h('p', null, 'Re-apply puts your values for the fields above on top of their version. Discard drops your changes and loads their version.'),
    h('div', { class: 'form-actions' },
      reapply,
      h('button', { type: 'button', class: 'btn', on: { click: onReload } }, 'Discard mine and reload')));
}

// Errors the form couldn't place next to an input, listed at the top.
export function unplacedBox(problem, unplaced) {
  return h('div', { class: 'problem', role: 'alert' },
    h('strong', null, problem.title || 'Some fields are invalid'),
    h('ul', null, unplaced.map((e) => h('li', null, e.field ? `${fieldLabel(e.field)}: ` : '', e.message))),
    problem.request_id ? h('p', { class: 'small' }, 'Request ID: ', h('code', null, problem.request_id)) : null);
}

// 409 duplicate_* answers carry no errors[]; point them at their field.
export function duplicateErrors(problem) {
  const p = problem || {};
  if ((p.errors || []).length) return p;
  const m = /^duplicate_(.+)$/.exec(p.code || '');
  if (!m) return p;
  const field = m[1];
  return { ...p, errors: [{ field, message: p.detail || 'is already used by another record' }] };
}
