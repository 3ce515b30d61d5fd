// The firm's custom field definitions (GET /v1/custom-fields): labels for
// showing values, and typed inputs for the client and matter forms.

import { api } from './api.js';
import { h, formatDay, nextId } from './ui.js';

const cache = new Map(); // entity → {at, defs}
const TTL = 30000;

export async function customFieldDefs(entity) {
  const hit = cache.get(entity);
  if (hit && Date.now() - hit.at < TTL) return hit.defs;
  const defs = [];
  let cursor = null;
  for (let i = 0; i < 3; i++) {
    const r = await api('GET', '/v1/custom-fields', { query: { entity, limit: 100, cursor } });
    if (!r.ok) break;
    defs.push(...(r.data || []).filter((d) => !d.entity || d.entity === entity));
    if (!r.body.pagination || !r.body.pagination.has_more) break;
    cursor = r.body.pagination.next_cursor;
  }
  cache.set(entity, { at: Date.now(), defs });
  return defs;
}

export function customFieldValue(def, v) {
  if (v === null || v === undefined || v === '') return null;
  const type = def && def.type;
  if (type === 'boolean' || typeof v === 'boolean') return v ? 'Yes' : 'No';
  if (type === 'date') return formatDay(String(v));
  if (type === 'json' || (typeof v === 'object')) return h('code', null, JSON.stringify(v));
  return String(v);
}

// A labelled input named "custom_fields.<key>" (the field path the server
// uses in its errors). read(): the typed value, or null when empty.
export function customFieldInput(def, value) {
  const name = `custom_fields.${def.key}`;
  const id = nextId('cf');
  let control;
  let read;
  const label = def.label || def.key;
  switch (def.type) {
    case 'boolean': {
      control = h('select', { id, name },
        h('option', { value: '' }, '—'),
        h('option', { value: 'true' }, 'Yes'),
        h('option', { value: 'false' }, 'No'));
      control.value = value === true ? 'true' : value === false ? 'false' : '';
      read = () => (control.value === '' ? null : control.value === 'true');
      break;
    }
    case 'enum': {
      const opts = def.options || [];
      control = h('select', { id, name }, h('option', { value: '' }, '—'), opts.map((o) => h('option', { value: o }, o)));
      if (value !== null && value !== undefined && !opts.includes(value)) control.append(h('option', { value: String(value) }, String(value)));
      control.value = value === null || value === undefined ? '' : String(value);
      read = () => control.value || null;
      break;
    }
    case 'number': {
      control = h('input', { id, name, type: 'text', inputmode: 'decimal', value: value === null || value === undefined ? '' : String(value) });
      read = () => {
        const s = control.value.trim();
        if (!s) return null;
        const n = Number(s);
        return Number.isFinite(n) ? n : s; // let the server explain a bad number
      };
      break;
    }
    case 'date': {
      control = h('input', { id, name, type: 'date', value: value || '' });
      read = () => control.value || null;
      break;
    }
    case 'json': {
      control = h('textarea', { id, name, rows: '3', spellcheck: 'false', class: 'mono' });
      control.value = value === null || value === undefined ? '' : JSON.stringify(value, null, 2);
      read = () => {
        const s = control.value.trim();
        if (!s) return null;
        try { return JSON.parse(s); } catch { return s; }
      };
      break;
    }
    default: {
      control = h('input', { id, name, value: value === null || value === undefined ? '' : String(value) });
      read = () => (control.value.trim() ? control.value : null);
    }
  }
  if (def.required) control.setAttribute('aria-required', 'true');
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label, def.required ? ' *' : ''), control);
  return { el: wrap, key: def.key, read };
}
