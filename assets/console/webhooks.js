// Webhook subscriptions (#/webhooks, admin): list, create (secret shown
// once), edit with the ETag, delete, rotate the secret, ping; and one
// subscription's delivery log with each attempt and a Retry button.

import { api, can } from './api.js';
import { h, clear, problemBox, toast, emptyState, loading, confirmDialog, field, badge, pageTitle, timeEl, dl } from './ui.js';
import { screen, go, reload } from './router.js';
import { showProblem, conflictNotice, pager, table, input, select, checkbox, secretDialog, jsonBlock } from './keys.js';

const DELIVERY_KIND = { pending: 'info', delivered: 'success', failed: 'danger', cancelled: 'muted' };
const EDITABLE = ['url', 'events', 'description', 'enabled', 'exclude_actor_keys'];

function lines(text) {
  return text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}

function stateBadge(w) {
  return w.enabled ? badge('Enabled', 'success') : badge('Disabled', 'warning');
}

// The form's fields; keys: the firm's API keys, for the loop guard.
function webhookFields(w, keys) {
  const excluded = new Set(w.exclude_actor_keys || []);
  const live = keys.filter((k) => !k.revoked_at || excluded.has(k.id));
  return [
    h('div', { class: 'adm-span' }, field('URL', input('url', { type: 'url', value: w.url || '', maxlength: 2000, placeholder: 'https://hooks.example.com/clientele', spellcheck: 'false' }),
      { hint: 'Deliveries are POSTed here, signed the Standard Webhooks way.' })),
    field('Events (one a line)', h('textarea', { name: 'events', rows: 3, spellcheck: 'false' }, (w.events || ['*']).join('\n')),
      { hint: 'Types or patterns: * for all, client.*, lead.converted' }),
    field('Description', h('textarea', { name: 'description', rows: 3, maxlength: 500 }, w.description || '')),
    checkbox('enabled', 'Enabled: send deliveries', w.enabled !== false),
    h('fieldset', { class: 'adm-fieldset adm-span', 'data-field': 'exclude_actor_keys' },
      h('legend', null, 'Don’t send changes made by these keys'),
      h('p', { class: 'field-hint' }, 'Pick the integration’s own key, so what it writes back does not set it off again.'),
      live.length
        ? h('div', { class: 'adm-scope-grid' }, live.map((k) => checkbox('exclude_key', `${k.name || '(no name)'} · ${k.prefix}…`, excluded.has(k.id), { value: k.id })))
        : h('p', { class: 'muted' }, 'No API keys.')),
  ];
}

function readForm(form) {
  return {
    url: form.elements.url.value.trim(),
    events: lines(form.elements.events.value),
    description: form.elements.description.value.trim() || null,
    enabled: form.elements.enabled.checked,
    exclude_actor_keys: [...form.querySelectorAll('input[name=exclude_key]:checked')].map((i) => i.value),
  };
}

const loadKeys = (signal) => api('GET', '/v1/api-keys', { signal }).then((r) => (r.ok ? r.data || [] : []));

function showSecret(w, title) {
  return secretDialog({
    title,
    secret: w.secret,
    label: 'Signing secret',
    warning: 'This is the only time the signing secret is shown. Give it to the receiver now: it verifies the webhook-signature header with it.',
  });
}

// ---- the list ---------------------------------------------------------------

screen('/webhooks', {
  title: 'Webhooks',
  nav: 'Webhooks',
  scope: 'admin',
  async render(main, _params, _query, { signal } = {}) {
    const admin = can('admin');
    const newBtn = admin ? h('button', { type: 'button', class: 'btn primary', on: { click: () => openNew() } }, 'New webhook') : null;
    main.append(h('div', { class: 'adm-head' }, pageTitle('Webhooks'), newBtn));
    main.append(h('p', { class: 'muted' }, 'Each subscription gets the firm’s events POSTed to its URL, with retries and a delivery log.'));
    const newSlot = h('div');
    const listSlot = h('div');
    main.append(newSlot, listSlot);
    const t = table(['URL', 'Events', 'State', 'Description', 'Created'], 'Webhook subscriptions');
    function run() {
      clear(listSlot).append(t.el);
      t.tbody.replaceChildren();
      pager(listSlot, {
        emptyText: 'No webhook subscriptions yet.',
        fetchPage: (cursor) => api('GET', '/v1/webhooks', { signal, query: { cursor, limit: 25 } }),
        renderRows(items, reset) {
          if (reset) t.tbody.replaceChildren();
          t.el.hidden = reset && !items.length;
          for (const w of items) {
            t.tbody.append(h('tr', null,
              h('td', { class: 'adm-break' }, h('a', { href: `#/webhooks/${encodeURIComponent(w.id)}` }, w.url)),
              h('td', null, h('div', { class: 'adm-badges' }, w.events.map((e) => h('code', { class: 'adm-chip' }, e)))),
              h('td', null, stateBadge(w), w.disabled_reason ? h('div', { class: 'muted small' }, w.disabled_reason) : null),
              h('td', null, w.description || ''),
              h('td', null, timeEl(w.created_at))));
          }
        },
      });
    }
    async function openNew() {
      if (newSlot.firstChild) { newSlot.querySelector('input').focus(); return; }
      const keys = await loadKeys(signal);
      const errSlot = h('div');
      const form = h('form', { class: 'card adm-form', novalidate: true, 'aria-label': 'New webhook' },
        h('h2', null, 'New webhook'),
        h('div', { class: 'adm-grid' }, webhookFields({}, keys)),
        errSlot,
        h('div', { class: 'adm-actions' },
          h('button', { type: 'submit', class: 'btn primary' }, 'Create webhook'),
          h('button', { type: 'button', class: 'btn', on: { click: () => { clear(newSlot); if (newBtn) newBtn.focus(); } } }, 'Cancel')));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const r = await api('POST', '/v1/webhooks', { body: readForm(form) });
        if (!r.ok) { showProblem(form, errSlot, r.problem); return; }
        clear(newSlot);
        run();
        await showSecret(r.data, 'Webhook created: its signing secret');
        if (newBtn) newBtn.focus();
      });
      newSlot.append(form);
      form.querySelector('input').focus();
    }
    run();
  },
});

// ---- one subscription -------------------------------------------------------

screen('/webhooks/:id', {
  title: 'Webhook',
  scope: 'admin',
  async render(main, { id }, query, { signal } = {}) {
    const path = `/v1/webhooks/${encodeURIComponent(id)}`;
    main.append(h('p', { class: 'adm-back' }, h('a', { href: '#/webhooks' }, '← Webhooks')));
    const body = h('div');
    main.append(body);
    body.append(loading());
    const [r, keys] = await Promise.all([api('GET', path, { signal }), loadKeys(signal)]);
    if (r.aborted) return;
    clear(body);
    if (!r.ok) {
      main.prepend(pageTitle('Webhook'));
      body.append(r.status === 404 ? emptyState('This subscription does not exist.', h('a', { class: 'btn', href: '#/webhooks' }, 'Back to webhooks')) : problemBox(r.problem));
      return;
    }
    const w = r.data;
    const etag = r.etag;
    main.insertBefore(pageTitle('Webhook', ' ', stateBadge(w)), body);
    body.append(h('p', { class: 'muted adm-break' }, h('code', null, w.url), w.description ? ` · ${w.description}` : null));
    if (w.disabled_reason) body.append(h('div', { class: 'problem', role: 'status' }, h('strong', null, 'Turned off by the server: '), w.disabled_reason, '. Enable it again below once the receiver works.'));

    const actionSlot = h('div');
    const deliveries = h('section', { class: 'card adm-section', 'aria-labelledby': 'wh-del-h' });
    body.append(h('div', { class: 'toolbar adm-toolbar' },
      h('button', {
        type: 'button', class: 'btn', on: {
          click: async () => {
            const p = await api('POST', `${path}/ping`);
            if (!p.ok) { clear(actionSlot).append(problemBox(p.problem)); return; }
            toast('Ping queued: watch the delivery log below.');
            refreshDeliveries();
          },
        },
      }, 'Send a ping'),
      h('button', {
        type: 'button', class: 'btn', on: {
          click: async () => {
            if (!await confirmDialog('Rotate the signing secret?', 'A new secret is made and shown once. For 24 hours the old one keeps signing beside it, so the receiver can switch over.', { confirm: 'Rotate secret' })) return;
            const p = await api('POST', `${path}/rotate-secret`);
            if (!p.ok) { clear(actionSlot).append(problemBox(p.problem)); return; }
            await showSecret(p.data, 'New signing secret');
            reload();
          },
        },
      }, 'Rotate secret'),
      h('button', {
        type: 'button', class: 'btn danger', on: {
          click: async () => {
            if (!await confirmDialog('Delete this subscription?', `No more deliveries to ${w.url}; pending ones are cancelled.`, { confirm: 'Delete webhook', danger: true })) return;
            const p = await api('DELETE', path, { etag });
            if (!p.ok) { clear(actionSlot).append(p.status === 412 ? problemBox({ title: 'Changed meanwhile', detail: 'Someone changed it since you opened it: reload and try again.' }) : problemBox(p.problem)); return; }
            toast('Webhook deleted.');
            go('/webhooks');
          },
        },
      }, 'Delete')), actionSlot);

    // Edit.
    const errSlot = h('div');
    const form = h('form', { class: 'card adm-form', novalidate: true, 'aria-labelledby': 'wh-edit-h' },
      h('h2', { id: 'wh-edit-h' }, 'Subscription'),
      h('div', { class: 'adm-grid' }, webhookFields(w, keys)),
      errSlot,
      h('div', { class: 'adm-actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Save changes')));
    async function save(tag, base) {
      const v = readForm(form);
      const patch = {};
      for (const k of EDITABLE) if (JSON.stringify(v[k]) !== JSON.stringify(base[k] ?? (k === 'description' ? null : undefined))) patch[k] = v[k];
      if (!Object.keys(patch).length) { showProblem(null, errSlot, { title: 'Nothing to save', detail: 'No field was changed.' }); return; }
      const res = await api('PATCH', path, { body: patch, etag: tag });
      if (res.status === 412 && tag === etag) {
        const latest = await api('GET', path);
        conflictNotice(errSlot, { before: w, latest: latest.data, fields: EDITABLE, onReload: () => reload(), onOverwrite: () => save(latest.etag, w) });
        return;
      }
      if (!res.ok) {
        // The keys are checkboxes named exclude_key; errors name the field.
        showProblem(form, errSlot, res.problem);
        return;
      }
      toast('Webhook saved.');
      reload();
    }
    form.addEventListener('submit', (e) => { e.preventDefault(); save(etag, w); });
    body.append(form, deliveries);
    body.append(h('section', { class: 'card adm-section', 'aria-labelledby': 'wh-meta-h' },
      h('h2', { id: 'wh-meta-h' }, 'Record'),
      dl([['ID', h('code', null, w.id)], ['Created', timeEl(w.created_at)], ['Updated', timeEl(w.updated_at)], ['Version', String(w.version)]])));

    // Deliveries.
    let status = query.status || '';
    const statusSel = select('status', [['', 'All'], ['pending', 'Pending'], ['delivered', 'Delivered'], ['failed', 'Failed'], ['cancelled', 'Cancelled']], status);
    const listSlot = h('div');
    deliveries.append(
      h('div', { class: 'adm-head' }, h('h2', { id: 'wh-del-h' }, 'Deliveries'),
        h('button', { type: 'button', class: 'btn small', on: { click: () => refreshDeliveries() } }, 'Refresh')),
      h('div', { class: 'toolbar adm-toolbar' }, field('Status', statusSel)),
      listSlot);
    statusSel.addEventListener('change', () => { status = statusSel.value; refreshDeliveries(); });
    function refreshDeliveries() {
      clear(listSlot);
      const list = h('ol', { class: 'adm-event-list', 'aria-label': 'Deliveries, newest first' });
      listSlot.append(list);
      pager(listSlot, {
        emptyText: status ? `No ${status} deliveries.` : 'No deliveries yet. Send a ping to try the receiver.',
        fetchPage: (cursor) => api('GET', `${path}/deliveries`, { signal, query: { status, cursor, limit: 25 } }),
        renderRows(items, reset) {
          if (reset) list.replaceChildren();
          for (const d of items) list.append(h('li', null, deliveryItem(d)));
        },
      });
    }
    function deliveryItem(d) {
      const retrySlot = h('span');
      const last = d.attempts && d.attempts.length ? d.attempts[d.attempts.length - 1] : null;
      return h('details', { class: 'adm-event' },
        h('summary', null,
          h('span', { class: 'adm-event-type' }, badge(d.status, DELIVERY_KIND[d.status])),
          h('span', { class: 'adm-event-res' }, h('code', null, d.event_type)),
          h('span', { class: 'muted' }, `${d.attempt_count} attempt${d.attempt_count === 1 ? '' : 's'}`,
            last ? [' · last ', last.http_status ? `HTTP ${last.http_status}` : (last.error ? 'no answer' : '')] : null),
          h('span', { class: 'adm-event-time' }, timeEl(d.created_at))),
        h('div', { class: 'adm-event-body' },
          dl([
            ['Delivery ID', h('code', null, d.id)],
            ['Event', d.event_seq !== null && d.event_seq !== undefined ? h('a', { href: `#/events?after=${d.event_seq - 1}` }, `#${d.event_seq}`) : 'ping (no event)'],
            ['Next attempt', d.next_attempt_at ? timeEl(d.next_attempt_at) : null],
          ], { skipEmpty: true }),
          d.attempts && d.attempts.length ? attemptsTable(d.attempts) : h('p', { class: 'muted' }, 'No attempt yet.'),
          h('details', { class: 'adm-payload' }, h('summary', null, 'Payload'), jsonBlock(d.payload)),
          h('div', { class: 'adm-actions' },
            h('button', {
              type: 'button', class: 'btn small', 'aria-label': `Retry delivery ${d.id}`, on: {
                click: async () => {
                  const res = await api('POST', `${path}/deliveries/${encodeURIComponent(d.id)}/retry`);
                  if (!res.ok) { clear(retrySlot).append(problemBox(res.problem)); return; }
                  toast('Delivery queued again.');
                  setTimeout(refreshDeliveries, 1500);
                },
              },
            }, 'Retry'), retrySlot)));
    }
    refreshDeliveries();
  },
});

function attemptsTable(attempts) {
  const t = table(['#', 'Time', 'HTTP status', 'Latency', 'Error / answer'], 'Attempts');
  for (const a of attempts) {
    t.tbody.append(h('tr', null,
      h('td', null, String(a.n)),
      h('td', null, timeEl(a.at)),
      h('td', null, a.http_status ? badge(String(a.http_status), a.http_status < 300 ? 'success' : 'danger') : h('span', { class: 'muted' }, 'none')),
      h('td', null, `${a.latency_ms} ms`),
      h('td', { class: 'adm-break' }, a.error ? h('span', { class: 'adm-error' }, a.error) : null,
        a.response ? h('code', { class: 'adm-response' }, a.response) : null)));
  }
  return t.el;
}
