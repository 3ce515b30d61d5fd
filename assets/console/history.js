// A record's history timeline (GET /v1/{clients|matters}/{id}/history):
// newest first, cursor paged, each event with its type, time, actor and the
// fields it changed (before → after).

import { api } from './api.js';
import { h, clear, problemBox, loading, timeEl } from './ui.js';
import { actorName } from './people.js';

// Bookkeeping fields every change touches; showing them is noise.
const SKIP = new Set(['updated_at', 'created_at', 'version', 'deleted_at', 'matters_count', 'id']);

const VERBS = {
  created: 'Created', updated: 'Updated', deleted: 'Deleted', restored: 'Restored',
  merged: 'Merged', erased: 'Erased', converted: 'Converted',
};

export function eventLabel(type) {
  const verb = String(type || '').split('.').pop();
  return VERBS[verb] || type;
}

function isPlainObject(v) { return v && typeof v === 'object' && !Array.isArray(v); }

// Flattens one level of nested objects: {address: {city}} → {"address.city"}.
function flatten(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj || {})) {
    if (SKIP.has(k)) continue;
    if (isPlainObject(v) && Object.keys(v).length) {
      for (const [k2, v2] of Object.entries(v)) out[`${k}.${k2}`] = v2;
    } else {
      out[k] = v;
    }
  }
  return out;
}

function show(v) {
  if (v === null || v === undefined || v === '') return '(empty)';
  if (Array.isArray(v)) {
    if (!v.length) return '(none)';
    return v.map((x) => {
      if (!isPlainObject(x)) return String(x);
      const main = x.address || x.number || [x.line1, x.city, x.postal_code, x.country].filter(Boolean).join(', ');
      return x.label ? `${main} (${x.label})` : main;
    }).join('; ');
  }
  if (isPlainObject(v)) return Object.keys(v).length ? JSON.stringify(v) : '(none)';
  const s = String(v);
  return s.length > 160 ? s.slice(0, 157) + '…' : s;
}

// [{field, before, after}] for the fields that differ.
export function diffFields(before, after) {
  const a = flatten(before); const b = flatten(after);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const out = [];
  for (const k of keys) {
    const x = a[k] === undefined ? null : a[k];
    const y = b[k] === undefined ? null : b[k];
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push({ field: k, before: x, after: y });
  }
  return out;
}

function changesList(ev) {
  if (!ev.before && ev.after) {
    // A creation: list what it was created with, not "(empty) → x" lines.
    const set = Object.entries(flatten(ev.after)).filter(([, v]) => v !== null && v !== '' && !(Array.isArray(v) && !v.length) && !(isPlainObject(v) && !Object.keys(v).length));
    if (!set.length) return null;
    return h('ul', { class: 'changes' }, set.slice(0, 12).map(([k, v]) => h('li', null, h('span', { class: 'field-name' }, k), ': ', h('ins', null, show(v)))),
      set.length > 12 ? h('li', { class: 'muted' }, `and ${set.length - 12} more`) : null);
  }
  if (!ev.before || !ev.after) return null;
  const d = diffFields(ev.before, ev.after);
  if (!d.length) return null;
  return h('ul', { class: 'changes' }, d.map((c) => h('li', null,
    h('span', { class: 'field-name' }, c.field), ': ',
    h('del', null, show(c.before)), h('span', { 'aria-hidden': 'true' }, ' → '), h('span', { class: 'visually-hidden' }, ' changed to '),
    h('ins', null, show(c.after)))));
}

export function historyPanel(path, { title = 'History' } = {}) {
  const list = h('ol', { class: 'timeline' });
  const status = h('div');
  const more = h('button', { type: 'button', class: 'btn small', hidden: true, on: { click: () => page() } }, 'Show older');
  const card = h('section', { class: 'card history', 'aria-label': title },
    h('div', { class: 'card-head' }, h('h2', null, title),
      h('button', { type: 'button', class: 'btn ghost small', on: { click: () => refresh() } }, 'Refresh')),
    status, list, more);
  let cursor = null;

  async function page() {
    more.disabled = true;
    if (!list.firstChild) status.append(loading('Loading history…'));
    const r = await api('GET', path, { query: { limit: 20, cursor } });
    clear(status);
    more.disabled = false;
    if (!r.ok) { status.append(problemBox(r.problem)); more.hidden = true; return; }
    const events = r.data || [];
    if (!events.length && !list.firstChild) status.append(h('p', { class: 'muted' }, 'No changes recorded yet.'));
    for (const ev of events) {
      const actor = h('span', { class: 'muted' }, '…');
      actorName(ev.actor_user_id, ev.actor_key_id).then((n) => { actor.textContent = n; });
      list.append(h('li', { 'data-type': ev.type },
        h('div', { class: 'timeline-head' },
          h('span', { class: 'timeline-type' }, eventLabel(ev.type)),
          h('span', { class: 'muted small' }, timeEl(ev.created_at), ' · ', 'by ', actor)),
        changesList(ev)));
    }
    const p = r.body.pagination || {};
    cursor = p.has_more ? p.next_cursor : null;
    more.hidden = !cursor;
  }
  function refresh() { cursor = null; clear(list); clear(status); page(); }
  page();
  card.refresh = refresh;
  return card;
}
