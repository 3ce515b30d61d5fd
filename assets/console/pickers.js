// A client picker: a text input (named like the field, holding a cli_ id)
// whose datalist offers clients matching what is typed, with the chosen
// client's name shown under it.

import { api } from './api.js';
import { h, clear, nextId } from './ui.js';

const ID_RE = /^cli_[0-9A-Z]{26}$/i;

export function clientPicker({ name, label, value = '', kind = null, hint = null, required = false }) {
  const listEl = h('datalist', { id: nextId('dl') });
  const id = nextId(name);
  const hintId = id + '-hint';
  const input = h('input', { id, name, value: value || '', list: listEl.id, autocomplete: 'off', spellcheck: 'false', placeholder: 'Type a name, or paste cli_…', 'aria-describedby': hintId, 'aria-required': required ? 'true' : null });
  const chosen = h('p', { class: 'field-hint', id: hintId }, hint || '');
  let ctl = null;
  async function resolve() {
    const v = input.value.trim();
    if (!ID_RE.test(v)) { chosen.textContent = hint || ''; return; }
    const r = await api('GET', `/v1/clients/${encodeURIComponent(v)}`);
    clear(chosen).append(r.ok ? `Selected: ${r.data.name}` : 'No client with this id.');
  }
  input.addEventListener('input', async () => {
    const q = input.value.trim();
    if (ID_RE.test(q)) { resolve(); return; }
    if (!q) return;
    if (ctl) ctl.abort();
    ctl = new AbortController();
    const r = await api('GET', '/v1/clients', { query: { q, kind, limit: 8, fields: 'id,name,email' }, signal: ctl.signal });
    if (!r.ok) return;
    clear(listEl).append(...r.data.map((c) => h('option', { value: c.id }, c.email ? `${c.name} · ${c.email}` : c.name)));
  });
  input.addEventListener('change', resolve);
  if (value) resolve();
  const el = h('div', { class: 'field' }, h('label', { for: id }, label, required ? ' *' : ''), input, chosen, listEl);
  return { el, input, read: () => input.value.trim() || null };
}
