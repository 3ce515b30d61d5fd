// Notes on a client or a matter: list (paged), add, edit, delete.
// Used by the client and matter pages; not a screen of its own.

import { api, can } from './api.js';
import { h, add, clear, problemBox, loading, timeEl, showFieldErrors, clearFieldErrors, confirmDialog, toast, nextId } from './ui.js';
import { actorName } from './people.js';

const MERGE = 'application/merge-patch+json';

// listPath: '/v1/clients/cli_…/notes' (GET and POST)
export function notesPanel(listPath, { title = 'Notes' } = {}) {
  const writable = can('notes:write');
  const list = h('ul', { class: 'notes' });
  const status = h('div');
  const more = h('button', { type: 'button', class: 'btn small', hidden: true, on: { click: () => page() } }, 'Show more notes');
  let cursor = null;

  const form = writable ? addForm() : null;
  const card = h('section', { class: 'card notes-card', 'aria-label': title },
    h('div', { class: 'card-head' }, h('h2', null, title)),
    form, status, list, more);

  function addForm() {
    const subj = h('input', { name: 'subject', id: nextId('ns'), maxlength: '200', autocomplete: 'off' });
    const body = h('textarea', { name: 'body', id: nextId('nb'), rows: '3', required: true });
    const top = h('div');
    const btn = h('button', { type: 'submit', class: 'btn primary' }, 'Add note');
    const f = h('form', { class: 'note-form stack', novalidate: true, 'aria-label': 'Add a note', on: { submit: onSubmit } },
      h('div', { class: 'field' }, h('label', { for: subj.id }, 'Subject (optional)'), subj),
      h('div', { class: 'field' }, h('label', { for: body.id }, 'New note'), body),
      top,
      h('div', { class: 'form-actions' }, btn));
    async function onSubmit(e) {
      e.preventDefault();
      clear(top); clearFieldErrors(f);
      if (!body.value.trim()) {
        showFieldErrors(f, { errors: [{ field: 'body', message: 'Write something first.' }] });
        return;
      }
      btn.disabled = true;
      const r = await api('POST', listPath, { body: { body: body.value, subject: subj.value.trim() || null } });
      btn.disabled = false;
      if (!r.ok) {
        const rest = showFieldErrors(f, r.problem);
        if (rest.length || !(r.problem.errors || []).length) top.append(problemBox(r.problem));
        return;
      }
      subj.value = ''; body.value = '';
      clear(status);
      list.prepend(noteItem(r.data));
      toast('Note added', { kind: 'success' });
    }
    return f;
  }

  function noteItem(n) {
    const li = h('li', { class: 'note', 'data-note-id': n.id });
    render();
    function render() {
      const author = h('span', null, '…');
      actorName(n.author && n.author.user_id, n.author && n.author.key_id).then((s) => { author.textContent = s; });
      const edited = n.updated_at && n.created_at && n.updated_at !== n.created_at;
      add(clear(li),
        n.subject ? h('h3', { class: 'note-subject' }, n.subject) : null,
        h('p', { class: 'note-body' }, n.body),
        h('div', { class: 'note-meta' },
          author, h('span', { 'aria-hidden': 'true' }, '·'), timeEl(n.created_at),
          edited ? h('span', null, '(edited)') : null,
          h('span', { class: 'spacer' }),
          writable ? h('button', { type: 'button', class: 'btn ghost small', on: { click: edit }, 'aria-label': `Edit note${n.subject ? ' ' + n.subject : ''}` }, 'Edit') : null,
          writable ? h('button', { type: 'button', class: 'btn ghost small', on: { click: del }, 'aria-label': `Delete note${n.subject ? ' ' + n.subject : ''}` }, 'Delete') : null));
    }
    function edit() {
      const subj = h('input', { name: 'subject', id: nextId('es'), value: n.subject || '', maxlength: '200' });
      const body = h('textarea', { name: 'body', id: nextId('eb'), rows: '4' });
      body.value = n.body;
      const top = h('div');
      const f = h('form', { class: 'stack', novalidate: true, 'aria-label': 'Edit note', on: { submit: save } },
        h('div', { class: 'field' }, h('label', { for: subj.id }, 'Subject'), subj),
        h('div', { class: 'field' }, h('label', { for: body.id }, 'Note'), body),
        top,
        h('div', { class: 'form-actions' },
          h('button', { type: 'submit', class: 'btn primary' }, 'Save note'),
          h('button', { type: 'button', class: 'btn', on: { click: () => render() } }, 'Cancel')));
      f.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); render(); li.querySelector('button')?.focus(); } });
      clear(li).append(f);
      body.focus();
      async function save(e) {
        e.preventDefault();
        clear(top);
        // The version guards against overwriting someone else's edit.
        const r = await api('PATCH', `/v1/notes/${encodeURIComponent(n.id)}`, {
          body: { subject: subj.value.trim() || null, body: body.value, version: n.version }, contentType: MERGE,
        });
        if (!r.ok) {
          if (r.status === 409 || r.status === 412) {
            top.append(problemBox({ ...r.problem, title: 'This note was changed by someone else while you were editing', detail: 'Copy your text, then reload the page to see their version.' }));
            return;
          }
          const rest = showFieldErrors(f, r.problem);
          if (rest.length || !(r.problem.errors || []).length) top.append(problemBox(r.problem));
          return;
        }
        n = r.data;
        render();
        toast('Note saved', { kind: 'success' });
      }
    }
    async function del() {
      const ok = await confirmDialog('Delete this note?', 'The note will be removed from this page.', { confirm: 'Delete note', danger: true });
      if (!ok) return;
      const r = await api('DELETE', `/v1/notes/${encodeURIComponent(n.id)}`);
      if (!r.ok) { toast(r.problem.detail || 'Could not delete the note', { kind: 'error' }); return; }
      li.remove();
      toast('Note deleted');
      if (!list.firstChild) status.append(h('p', { class: 'muted' }, 'No notes yet.'));
    }
    return li;
  }

  async function page() {
    if (!list.firstChild) status.append(loading('Loading notes…'));
    more.disabled = true;
    const r = await api('GET', listPath, { query: { limit: 20, cursor } });
    more.disabled = false;
    clear(status);
    if (!r.ok) { status.append(problemBox(r.problem)); return; }
    for (const n of r.data || []) list.append(noteItem(n));
    if (!list.firstChild) status.append(h('p', { class: 'muted' }, 'No notes yet.'));
    const p = r.body.pagination || {};
    cursor = p.has_more ? p.next_cursor : null;
    more.hidden = !cursor;
  }
  if (can('notes:read')) page();
  else status.append(h('p', { class: 'muted' }, 'You don’t have access to notes.'));
  return card;
}
