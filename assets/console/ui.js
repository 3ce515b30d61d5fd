// Small DOM helpers shared by every screen. Untrusted text only ever goes in
// through textContent / attributes, never innerHTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

// h('button', {class: 'btn', on: {click}}, 'Save')
export function h(tag, attrs, ...children) {
  const svg = tag === 'svg' || tag === 'path' || tag === 'circle';
  const el = svg ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'on') {
        for (const [ev, fn] of Object.entries(v)) if (fn) el.addEventListener(ev, fn);
      } else if (k === 'class') {
        el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
      } else if (k === 'for') {
        el.htmlFor = v;
      } else if (k === 'dataset') {
        Object.assign(el.dataset, v);
      } else if (k === 'value' && 'value' in el && !svg) {
        el.value = v;
      } else if ((k === 'checked' || k === 'selected' || k === 'disabled') && !svg) {
        el[k] = !!v;
      } else if (v === true) {
        el.setAttribute(k, '');
      } else {
        el.setAttribute(k, String(v));
      }
    }
  }
  append(el, children);
  return el;
}

// Appends like h() does: skips null/false, flattens arrays.
export function add(el, ...children) { append(el, children); return el; }

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// Removes every child of el.
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

let uid = 0;
export function nextId(prefix = 'id') {
  uid += 1;
  return `${prefix}-${uid}`;
}

// An alert box for a problem+json answer (or a network failure).
export function problemBox(problem) {
  const p = problem || {};
  const title = p.title || 'Something went wrong';
  const detail = p.detail && p.detail !== title ? p.detail : null;
  return h('div', { class: 'problem', role: 'alert' },
    h('strong', { class: 'problem-title' }, title),
    detail ? h('p', null, detail) : null,
    p.request_id ? h('p', { class: 'muted small' }, 'Request ID: ', h('code', null, p.request_id)) : null,
  );
}

function cssEscape(s) {
  return window.CSS && CSS.escape ? CSS.escape(s) : String(s).replace(/["\\\]\[]/g, '\\$&');
}

// Puts each errors[].message next to the input named like its field (or an
// element with data-field="<field>"), marks it aria-invalid and links the
// message with aria-describedby. Clears the previous round first. Returns the
// [{field, message}] it could not place, for a list at the top of the form.
export function showFieldErrors(form, problem) {
  clearFieldErrors(form);
  const errors = (problem && Array.isArray(problem.errors)) ? problem.errors : [];
  const unplaced = [];
  let first = null;
  for (const e of errors) {
    const field = e.field || '';
    let target = field ? form.querySelector(`[name="${cssEscape(field)}"]`) || form.querySelector(`[data-field="${cssEscape(field)}"]`) : null;
    if (!target) { unplaced.push(e); continue; }
    const id = nextId('err');
    // Server messages are predicates ("is required"); capitalised they read as sentences.
    const text = e.message ? e.message.charAt(0).toUpperCase() + e.message.slice(1) : 'Invalid value';
    const msg = h('p', { class: 'field-error', id, 'data-error-for': field }, text);
    const wrap = target.closest('.field') || target.parentElement;
    // Inside a .field the message goes after the control (or its group).
    if (wrap && wrap !== form) wrap.appendChild(msg); else target.insertAdjacentElement('afterend', msg);
    if (target.matches('input, select, textarea')) {
      target.setAttribute('aria-invalid', 'true');
      const prev = target.getAttribute('aria-describedby');
      target.dataset.prevDescribedby = prev || '';
      target.setAttribute('aria-describedby', prev ? `${prev} ${id}` : id);
    } else {
      target.classList.add('has-error');
    }
    if (!first) first = target;
  }
  if (first && first.focus) first.focus();
  return unplaced;
}

export function clearFieldErrors(form) {
  form.querySelectorAll('.field-error[data-error-for]').forEach((n) => n.remove());
  form.querySelectorAll('[aria-invalid="true"]').forEach((n) => {
    n.removeAttribute('aria-invalid');
    const prev = n.dataset.prevDescribedby;
    if (prev) n.setAttribute('aria-describedby', prev); else n.removeAttribute('aria-describedby');
    delete n.dataset.prevDescribedby;
  });
  form.querySelectorAll('.has-error').forEach((n) => n.classList.remove('has-error'));
}

// A short message in a polite live region, gone after a few seconds.
export function toast(message, { kind = 'info', timeout = 4000 } = {}) {
  let region = document.getElementById('toasts');
  if (!region) {
    region = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(region);
  }
  const t = h('div', { class: `toast toast-${kind}` }, message);
  region.appendChild(t);
  setTimeout(() => t.remove(), timeout);
  return t;
}

export function emptyState(text, action) {
  return h('div', { class: 'empty' }, h('p', null, text), action || null);
}

export function loading(text = 'Loading…') {
  return h('div', { class: 'loading', role: 'status', 'aria-live': 'polite' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

const dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });

export function formatDate(rfc3339) {
  if (!rfc3339) return '—';
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return String(rfc3339);
  return dateFmt.format(d);
}

export function formatDay(value) {
  if (!value) return '—';
  const d = new Date(value.length === 10 ? value + 'T00:00:00' : value);
  if (Number.isNaN(d.getTime())) return String(value);
  return dayFmt.format(d);
}

// A <time> element with the full timestamp as its title.
export function timeEl(rfc3339) {
  return h('time', { datetime: rfc3339 || '', title: rfc3339 || '' }, formatDate(rfc3339));
}

// dialog({title, body, actions: [{label, value, class}]}) → Promise(value|null)
// Escape or the close button resolves null. Focus returns where it was.
export function dialog({ title, body, actions = [{ label: 'OK', value: true, class: 'primary' }] }) {
  return new Promise((resolve) => {
    const before = document.activeElement;
    const titleId = nextId('dlg');
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId });
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      if (dlg.open) dlg.close();
      dlg.remove();
      if (before && before.focus) before.focus();
      resolve(v);
    };
    const buttons = actions.map((a) => h('button', {
      type: 'button',
      class: ['btn', a.class],
      on: { click: () => finish(a.value === undefined ? a.label : a.value) },
    }, a.label));
    dlg.append(
      h('div', { class: 'dialog-head' },
        h('h2', { id: titleId }, title || ''),
        h('button', { type: 'button', class: 'btn ghost icon', 'aria-label': 'Close', on: { click: () => finish(null) } }, '×')),
      h('div', { class: 'dialog-body' }, body || null),
      h('div', { class: 'dialog-actions' }, buttons),
    );
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); finish(null); });
    document.body.appendChild(dlg);
    dlg.showModal();
    // Focus the first non-danger action (safe default), else the first button.
    const safe = buttons.find((b) => !b.classList.contains('danger')) || buttons[0];
    if (safe) safe.focus();
  });
}

// A confirm dialog: resolves true / false.
export async function confirmDialog(title, text, { confirm = 'Confirm', danger = false } = {}) {
  const v = await dialog({
    title,
    body: h('p', null, text),
    actions: [
      { label: 'Cancel', value: false },
      { label: confirm, value: true, class: danger ? 'danger' : 'primary' },
    ],
  });
  return v === true;
}

// A labelled control in a .field wrapper. control: an input/select/textarea.
export function field(label, control, { hint, id } = {}) {
  const cid = control.id || id || nextId('f');
  control.id = cid;
  let hintEl = null;
  if (hint) {
    const hid = cid + '-hint';
    hintEl = h('p', { class: 'field-hint', id: hid }, hint);
    control.setAttribute('aria-describedby', hid);
  }
  return h('div', { class: 'field' }, h('label', { for: cid }, label), control, hintEl);
}

// A status pill.
export function badge(text, kind) {
  return h('span', { class: ['badge', kind ? `badge-${kind}` : null] }, text);
}

// Debounced calls still waiting. Leaving a screen (any hash change) drops them: a
// search typed on one screen must not fire after the user has moved to another and
// write its query into that screen's URL.
const pendingCalls = new Set();
window.addEventListener('hashchange', () => {
  for (const t of pendingCalls) clearTimeout(t);
  pendingCalls.clear();
});

// Debounce with cancel.
export function debounce(fn, ms) {
  let t = null;
  const cancel = () => { clearTimeout(t); pendingCalls.delete(t); };
  const d = (...args) => {
    cancel();
    t = setTimeout(() => { pendingCalls.delete(t); fn(...args); }, ms);
    pendingCalls.add(t);
  };
  d.cancel = cancel;
  return d;
}

// Sets document.title and returns an <h1>.
export function pageTitle(text, ...extra) {
  document.title = `${text} · Clientele`;
  return h('h1', { class: 'page-title' }, text, ...extra);
}

// A definition list from [[label, value], ...]; skips null values when skipEmpty.
export function dl(rows, { skipEmpty = false } = {}) {
  const el = h('dl', { class: 'dl' });
  for (const [k, v] of rows) {
    if (skipEmpty && (v === null || v === undefined || v === '')) continue;
    el.append(h('dt', null, k), h('dd', null, v === null || v === undefined || v === '' ? h('span', { class: 'muted' }, '—') : v));
  }
  return el;
}

// A list's total as words: "1 client", "2,400 clients", or, when the server
// stopped counting (`total_exact: false`), "More than 10,000 clients".
export function totalText({ n, exact }, one, many) {
  const words = `${n.toLocaleString()} ${n === 1 && exact ? one : many}`;
  return exact ? words : `More than ${words}`;
}

// The total a list's `pagination` holds, if it holds one.
export function totalOf(pagination) {
  if (!pagination || typeof pagination.total !== 'number') return null;
  return { n: pagination.total, exact: pagination.total_exact !== false };
}
