// The audit log (#/events, admin): every change with the record before and
// after it. The API lists oldest first and pages with `after=<seq>`; the
// newest-first view finds the end by binary search and reads back from it.

import { api, can } from './api.js';
import { h, clear, clearFieldErrors, problemBox, emptyState, loading, field, badge, pageTitle, timeEl } from './ui.js';
import { screen, setQuery } from './router.js';
import { table, input, jsonBlock, showProblem } from './keys.js';

const PAGE = 50;
const LATEST_STEP = 500;
const LATEST_MAX_REQUESTS = 20; // pages read for one window before asking for filters
const RESOURCE_TYPES = ['client', 'matter', 'note', 'lead', 'user', 'api_key', 'custom_field', 'custom_action', 'intake_token', 'webhook', 'firm', 'nonce'];

// Where a record of each kind is shown in the console.
const ROUTES = { client: '/clients/', matter: '/matters/', lead: '/leads/', user: '/users/', webhook: '/webhooks/', custom_field: '/fields/' };

export function resourceLink(type, id) {
  const base = ROUTES[type];
  return base ? h('a', { href: `#${base}${encodeURIComponent(id)}` }, h('code', null, id)) : h('code', null, id);
}

const KIND = { created: 'success', deleted: 'danger', erased: 'danger', purged: 'danger', revoked: 'danger', updated: 'info', replaced: 'info', converted: 'success', restored: 'success' };

function changedKeys(before, after) {
  if (!before || !after) return [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => k !== 'updated_at' && k !== 'version' && JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

screen('/events', {
  title: 'Audit log',
  nav: 'Audit log',
  scope: 'admin',
  async render(main, _params, query, { signal } = {}) {
    main.append(pageTitle('Audit log'));
    main.append(h('p', { class: 'muted' }, 'Every change in the firm, with who made it and the record before and after. Give an “After seq” to read forward from a point.'));
    const f = {
      type: input('type', { value: query.type || '', placeholder: 'client.*, lead.converted', autocomplete: 'off', spellcheck: 'false' }),
      resource_type: input('resource_type', { value: query.resource_type || '', list: 'adm-resource-types', autocomplete: 'off', placeholder: 'client' }),
      resource_id: input('resource_id', { value: query.resource_id || '', placeholder: 'cli_…', autocomplete: 'off', spellcheck: 'false' }),
      after: input('after', { type: 'number', min: 0, value: query.after || '', inputmode: 'numeric' }),
    };
    const form = h('form', { class: 'toolbar adm-toolbar adm-filters', role: 'search', 'aria-label': 'Filter events' },
      field('Event types or patterns', f.type),
      field('Resource type', f.resource_type),
      h('datalist', { id: 'adm-resource-types' }, RESOURCE_TYPES.map((t) => h('option', { value: t }))),
      field('Resource ID', f.resource_id),
      field('After seq', f.after),
      h('div', { class: 'adm-actions' },
        h('button', { type: 'submit', class: 'btn primary' }, 'Apply'),
        h('button', { type: 'button', class: 'btn', on: { click: () => { for (const el of Object.values(f)) el.value = ''; apply(); } } }, 'Clear')));
    const order = h('p', { class: 'muted small', 'aria-live': 'polite' });
    const listSlot = h('div', { class: 'adm-events' });
    const more = h('div', { class: 'adm-pager' });
    main.append(form, order, listSlot, more);

    // Names for actors: keys and users of the firm.
    const names = Promise.all([
      api('GET', '/v1/api-keys', { signal }).then((r) => (r.ok ? r.data || [] : [])),
      api('GET', '/v1/users', { signal, query: { limit: 100 } }).then((r) => (r.ok ? r.data || [] : [])),
    ]).then(([keys, users]) => ({
      keys: new Map(keys.map((k) => [k.id, k.name || k.prefix])),
      users: new Map(users.map((u) => [u.id, [u.first_name, u.last_name].filter(Boolean).join(' ') || u.email])),
    }));

    let seq = 0;
    let next = null;
    const filters = () => ({ type: f.type.value.trim(), resource_type: f.resource_type.value.trim(), resource_id: f.resource_id.value.trim() });

    // link: false in a <summary>, which must hold no other control (the body links it).
    function actor(e, n, { link = true } = {}) {
      const parts = [];
      if (e.actor_user_id) {
        const name = n.users.get(e.actor_user_id) || e.actor_user_id;
        parts.push(link ? h('a', { href: `#/users/${encodeURIComponent(e.actor_user_id)}` }, name) : h('span', null, name));
      }
      if (e.actor_key_id) parts.push(h('span', { class: 'muted' }, parts.length ? ' via key ' : 'key ', `“${n.keys.get(e.actor_key_id) || e.actor_key_id}”`));
      return parts.length ? parts : h('span', { class: 'muted' }, 'operator (CLI)');
    }

    function eventRow(e, n) {
      const verb = e.type.split('.').pop();
      const changed = changedKeys(e.before, e.after);
      const details = h('details', { class: 'adm-event' },
        h('summary', null,
          h('span', { class: 'adm-seq muted' }, '#', String(e.seq)),
          h('span', { class: 'adm-event-type' }, badge(e.type, KIND[verb])),
          h('span', { class: 'adm-event-res' }, e.resource_type, ' ', h('code', null, e.resource_id)),
          h('span', { class: 'adm-event-actor' }, actor(e, n, { link: false })),
          h('span', { class: 'adm-event-time' }, timeEl(e.created_at))),
        h('div', { class: 'adm-event-body' },
          h('dl', { class: 'dl' },
            h('dt', null, 'Record'), h('dd', null, e.resource_type, ' ', resourceLink(e.resource_type, e.resource_id), ' · ',
              h('a', { href: `#/events?resource_id=${encodeURIComponent(e.resource_id)}` }, 'all its events')),
            h('dt', null, 'Actor'), h('dd', null, actor(e, n),
              e.actor_key_id ? h('span', { class: 'muted small' }, ' (', h('code', null, e.actor_key_id), ')') : null),
            e.request_id ? [h('dt', null, 'Request ID'), h('dd', null, h('code', null, e.request_id))] : null,
            changed.length ? [h('dt', null, 'Changed'), h('dd', null, changed.map((k) => h('code', { class: 'adm-chip' }, k)))] : null),
          h('div', { class: 'adm-before-after' },
            h('div', null, h('h2', null, 'Before'), jsonBlock(e.before)),
            h('div', null, h('h2', null, 'After'), jsonBlock(e.after)))));
      return h('li', null, details);
    }

    // ---- oldest first, from `after` (the API's own order) ----
    async function loadForward(reset, after) {
      const mine = ++seq;
      if (reset) clear(listSlot);
      clear(more).append(loading());
      const r = await api('GET', '/v1/events', { signal, query: { ...filters(), after, limit: PAGE } });
      if (mine !== seq || r.aborted) return;
      if (!r.ok) { showProblem(form, more, r.problem); return; }
      clearFieldErrors(form);
      const items = r.data || [];
      const pg = r.body.pagination || {};
      await render(items, reset);
      next = pg.next_after ?? (items.length ? items[items.length - 1].seq : after);
      if (pg.has_more) more.append(h('button', { type: 'button', class: 'btn', on: { click: () => loadForward(false, next) } }, 'Load more'));
      else if (items.length || !reset) more.append(h('p', { class: 'muted small' }, 'End of the log.'));
    }

    // ---- newest first ----
    // The API only pages forward, so find the last matching seq by binary
    // search (cheap limit=1 reads), then read windows of seqs before it.
    const ask = async (after, limit) => {
      const r = await api('GET', '/v1/events', { signal, query: { ...filters(), after, limit } });
      if (!r.ok) throw r;
      return r;
    };
    const exists = async (after) => ((await ask(after, 1)).data || []).length > 0;
    async function lastSeq() {
      const first = await ask(null, 1);
      if (!(first.data || []).length) return 0;
      let lo = first.data[0].seq; // an event with seq >= lo exists
      let hi = lo * 2 + 1;
      while (await exists(hi)) { lo = hi; hi = hi * 2 + 1; }
      // Some event has seq > lo - 1; none has seq > hi.
      lo -= 1;
      while (hi - lo > 1) { const mid = Math.floor((lo + hi) / 2); if (await exists(mid)) lo = mid; else hi = mid; }
      return hi;
    }
    // The PAGE newest events with seq < before, oldest of them first, and whether older ones exist.
    async function windowBefore(before) {
      let span = LATEST_STEP;
      for (;;) {
        const from = Math.max(0, before - 1 - span);
        let after = from;
        let got = [];
        let total = 0;
        for (let pages = 0; ; pages++) {
          if (pages >= LATEST_MAX_REQUESTS) throw { problem: { title: 'Too many events', detail: 'Narrow the filters, or give an “After seq” to read forward from there.' } };
          const r = await ask(after, LATEST_STEP);
          const items = (r.data || []).filter((e) => e.seq < before);
          total += items.length;
          got = got.concat(items).slice(-PAGE);
          const pg = r.body.pagination || {};
          const last = (r.data || []).length ? r.data[r.data.length - 1].seq : null;
          if (!pg.has_more || last === null || last >= before - 1) break;
          after = pg.next_after ?? last;
        }
        if (got.length >= PAGE || from === 0) return { items: got, older: from > 0 || total > PAGE };
        span *= 4;
      }
    }
    async function loadNewest(reset, before) {
      const mine = ++seq;
      if (reset) clear(listSlot);
      clear(more).append(loading(reset ? 'Finding the latest events…' : 'Loading…'));
      try {
        const top = before ?? ((await lastSeq()) + 1);
        if (mine !== seq) return;
        const w = top > 1 ? await windowBefore(top) : { items: [], older: false };
        if (mine !== seq) return;
        clearFieldErrors(form);
        await render(w.items.slice().reverse(), reset);
        const oldest = w.items.length ? w.items[0].seq : null;
        if (w.older && oldest !== null && oldest > 1) more.append(h('button', { type: 'button', class: 'btn', on: { click: () => loadNewest(false, oldest) } }, 'Load older'));
        else if (w.items.length || !reset) more.append(h('p', { class: 'muted small' }, 'Start of the log.'));
      } catch (r) {
        if (mine !== seq || (r && r.aborted)) return;
        showProblem(form, more, (r && r.problem) || { title: 'Could not read the log' });
      }
    }

    async function render(items, reset) {
      const n = await names;
      let list = listSlot.querySelector('ol');
      if (reset || !list) { clear(listSlot); list = h('ol', { class: 'adm-event-list', 'aria-label': 'Events' }); listSlot.append(list); }
      for (const e of items) list.append(eventRow(e, n));
      clear(more);
      if (reset && !items.length) more.append(emptyState(Object.values(filters()).some(Boolean) ? 'No events match these filters.' : 'No events yet.'));
    }

    // With "After seq": oldest first from there; else newest first.
    function load() {
      const after = f.after.value.trim();
      order.textContent = after ? `Oldest first, after #${after}.` : 'Newest first.';
      if (after) loadForward(true, after); else loadNewest(true, null);
    }

    function apply() {
      setQuery({ ...filters(), after: f.after.value }, { push: true });
      load();
    }
    form.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
    if (!can('admin')) return;
    load();
    return {
      update(nq) {
        f.type.value = nq.type || ''; f.resource_type.value = nq.resource_type || ''; f.resource_id.value = nq.resource_id || ''; f.after.value = nq.after || '';
        load();
      },
    };
  },
});
