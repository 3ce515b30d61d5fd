// Custom field definitions (#/fields): anyone signed in may read them (the
// API allows any key); admins create, edit and delete.

import { api, can } from './api.js';
import { h, clear, problemBox, toast, emptyState, loading, confirmDialog, field, badge, pageTitle, timeEl, dl } from './ui.js';
import { screen, go, setQuery, reload } from './router.js';
import { showProblem, conflictNotice, pager, table, input, select, checkbox } from './keys.js';

const ENTITIES = [['client', 'Client'], ['matter', 'Matter']];
const TYPES = [['text', 'Text'], ['number', 'Number'], ['boolean', 'Yes / no'], ['date', 'Date'], ['enum', 'One of a list'], ['json', 'JSON']];
const typeLabel = (t) => (TYPES.find(([v]) => v === t) || [t, t])[1];

// Options are typed one a line.
function optionsFrom(text) {
  return text.split('\n').map((s) => s.trim()).filter(Boolean);
}

function optionsField(def) {
  const ta = h('textarea', { name: 'options', rows: 4 }, (def.options || []).join('\n'));
  return field('Options (one a line)', ta, { hint: 'The values a “One of a list” field may take.' });
}

screen('/fields', {
  title: 'Custom fields',
  nav: 'Custom fields',
  async render(main, _params, query, { signal } = {}) {
    const admin = can('admin');
    const newBtn = admin ? h('button', { type: 'button', class: 'btn primary', on: { click: () => openNew() } }, 'New field') : null;
    main.append(h('div', { class: 'adm-head' }, pageTitle('Custom fields'), newBtn));
    main.append(h('p', { class: 'muted' }, 'Extra fields on clients and matters, kept under ', h('code', null, 'custom_fields'), '. Writes are checked against these definitions.'));
    let entity = query.entity || '';
    const entSel = select('entity', [['', 'Clients and matters'], ...ENTITIES], entity);
    main.append(h('div', { class: 'toolbar adm-toolbar' }, field('Show fields of', entSel)));
    const newSlot = h('div');
    const listSlot = h('div');
    main.append(newSlot, listSlot);
    const t = table(['Label', 'Key', 'For', 'Type', 'Required', 'Options'], 'Custom fields');
    function run() {
      clear(listSlot).append(t.el);
      t.tbody.replaceChildren();
      pager(listSlot, {
        emptyText: admin ? 'No custom fields yet. Add one with “New field”.' : 'No custom fields are defined.',
        fetchPage: (cursor) => api('GET', '/v1/custom-fields', { signal, query: { entity, cursor, limit: 100 } }),
        renderRows(items, reset) {
          if (reset) t.tbody.replaceChildren();
          t.el.hidden = reset && !items.length;
          for (const d of items) {
            t.tbody.append(h('tr', null,
              h('td', null, h('a', { href: `#/fields/${encodeURIComponent(d.id)}` }, d.label)),
              h('td', null, h('code', null, d.key)),
              h('td', null, d.entity === 'client' ? 'Clients' : 'Matters'),
              h('td', null, typeLabel(d.type)),
              h('td', null, d.required ? badge('Required', 'warning') : h('span', { class: 'muted' }, 'No')),
              h('td', null, d.options && d.options.length ? d.options.join(', ') : h('span', { class: 'muted' }, '—'))));
          }
        },
      });
    }
    entSel.addEventListener('change', () => { entity = entSel.value; setQuery({ entity }); run(); });

    function openNew() {
      if (newSlot.firstChild) { newSlot.querySelector('input, select').focus(); return; }
      const errSlot = h('div');
      const typeSel = select('type', TYPES, 'text');
      const opts = optionsField({});
      opts.hidden = true;
      const form = h('form', { class: 'card adm-form', novalidate: true, 'aria-label': 'New custom field' },
        h('h2', null, 'New custom field'),
        h('div', { class: 'adm-grid' },
          field('For', select('entity', ENTITIES, entity || 'client')),
          field('Label', input('label', { maxlength: 100, placeholder: 'e.g. Preferred language' })),
          field('Key', input('key', { maxlength: 64, placeholder: 'e.g. preferred_language', autocomplete: 'off', spellcheck: 'false' }),
            { hint: 'Used in the API. Lowercase letters, digits and _; fixed once created.' }),
          field('Type', typeSel, { hint: 'Fixed once created.' }),
          h('div', { class: 'adm-span' }, opts),
          checkbox('required', 'Every record must have a value', false)),
        errSlot,
        h('div', { class: 'adm-actions' },
          h('button', { type: 'submit', class: 'btn primary' }, 'Create field'),
          h('button', { type: 'button', class: 'btn', on: { click: () => { clear(newSlot); if (newBtn) newBtn.focus(); } } }, 'Cancel')));
      typeSel.addEventListener('change', () => { opts.hidden = typeSel.value !== 'enum'; });
      // Suggest a key from the label until the key is typed in.
      let keyTouched = false;
      form.elements.key.addEventListener('input', () => { keyTouched = true; });
      form.elements.label.addEventListener('input', () => {
        if (!keyTouched) form.elements.key.value = form.elements.label.value.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '_').replace(/^[^a-z]+|_+$/g, '').slice(0, 64);
      });
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const body = {
          entity: form.elements.entity.value,
          label: form.elements.label.value.trim(),
          key: form.elements.key.value.trim(),
          type: typeSel.value,
          required: form.elements.required.checked,
        };
        if (body.type === 'enum') body.options = optionsFrom(form.elements.options.value);
        const r = await api('POST', '/v1/custom-fields', { body });
        if (!r.ok) { showProblem(form, errSlot, r.problem); return; }
        toast(`Field “${r.data.label}” created.`);
        clear(newSlot);
        run();
      });
      newSlot.append(form);
      form.querySelector('select').focus();
    }
    run();
    return { update(nq) { if ((nq.entity || '') !== entity) { entity = nq.entity || ''; entSel.value = entity; run(); } } };
  },
});

screen('/fields/:id', {
  title: 'Custom field',
  async render(main, { id }, _query, { signal } = {}) {
    main.append(h('p', { class: 'adm-back' }, h('a', { href: '#/fields' }, '← Custom fields')));
    const body = h('div');
    main.append(body);
    body.append(loading());
    const r = await api('GET', `/v1/custom-fields/${encodeURIComponent(id)}`, { signal });
    if (r.aborted) return;
    clear(body);
    if (!r.ok) {
      main.prepend(pageTitle('Custom field'));
      body.append(r.status === 404 ? emptyState('This field definition does not exist.', h('a', { class: 'btn', href: '#/fields' }, 'Back to custom fields')) : problemBox(r.problem));
      return;
    }
    const def = r.data;
    const etag = r.etag;
    const admin = can('admin');
    main.insertBefore(pageTitle(def.label), body);
    body.append(h('section', { class: 'card adm-section', 'aria-label': 'Fixed at creation' },
      dl([['Key', h('code', null, def.key)], ['For', def.entity === 'client' ? 'Clients' : 'Matters'], ['Type', typeLabel(def.type)],
        ['ID', h('code', null, def.id)], ['Created', timeEl(def.created_at)], ['Updated', timeEl(def.updated_at)]])));

    const errSlot = h('div');
    const opts = optionsField(def);
    const form = h('form', { class: 'card adm-form', novalidate: true, 'aria-labelledby': 'cf-edit-h' },
      h('h2', { id: 'cf-edit-h' }, admin ? 'Edit' : 'Definition (read only)'),
      h('div', { class: 'adm-grid' },
        field('Label', input('label', { value: def.label, maxlength: 100 })),
        def.type === 'enum' ? h('div', { class: 'adm-span' }, opts) : null,
        checkbox('required', 'Every record must have a value', def.required)),
      errSlot,
      admin ? h('div', { class: 'adm-actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Save changes')) : null);
    if (!admin) form.querySelectorAll('input, textarea').forEach((el) => { el.disabled = true; });
    const current = () => {
      const v = { label: form.elements.label.value.trim(), required: form.elements.required.checked };
      if (def.type === 'enum') v.options = optionsFrom(form.elements.options.value);
      return v;
    };
    async function save(tag, base) {
      const v = current();
      const patch = {};
      for (const k of Object.keys(v)) if (JSON.stringify(v[k]) !== JSON.stringify(base[k])) patch[k] = v[k];
      if (!Object.keys(patch).length) { showProblem(null, errSlot, { title: 'Nothing to save', detail: 'No field was changed.' }); return; }
      const res = await api('PATCH', `/v1/custom-fields/${encodeURIComponent(id)}`, { body: patch, etag: tag });
      if (res.status === 412 && tag === etag) {
        const latest = await api('GET', `/v1/custom-fields/${encodeURIComponent(id)}`);
        conflictNotice(errSlot, { before: def, latest: latest.data, fields: ['label', 'options', 'required'], onReload: () => reload(), onOverwrite: () => save(latest.etag, def) });
        return;
      }
      if (!res.ok) { showProblem(form, errSlot, res.problem); return; }
      toast('Field saved.');
      reload();
    }
    form.addEventListener('submit', (e) => { e.preventDefault(); save(etag, def); });
    body.append(form);

    if (admin) {
      body.append(h('section', { class: 'card adm-section adm-danger-zone', 'aria-labelledby': 'cf-del-h' },
        h('h2', { id: 'cf-del-h' }, 'Delete definition'),
        h('p', { class: 'muted' }, 'Values already stored stay in records’ custom_fields, unchecked from then on.'),
        h('button', {
          type: 'button', class: 'btn danger', on: {
            click: async () => {
              if (!await confirmDialog(`Delete “${def.label}”?`, 'Writes are no longer checked against it. Stored values are kept.', { confirm: 'Delete field', danger: true })) return;
              const res = await api('DELETE', `/v1/custom-fields/${encodeURIComponent(id)}`, { etag });
              if (!res.ok) { toast(res.status === 412 ? 'It was changed meanwhile: reload and try again.' : (res.problem.detail || res.problem.title), { kind: 'error' }); return; }
              toast(`“${def.label}” deleted.`);
              go('/fields');
            },
          },
        }, 'Delete field')));
    }
  },
});
