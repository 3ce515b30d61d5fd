// Hash routing: #/clients, #/clients/cli_123?tab=notes.
// Screens register with screen(); app.js calls start() once signed in.

import { h, clear, emptyState } from './ui.js';
import { can } from './api.js';

const screens = [];
// The sidebar keeps this order whatever order modules load in.
const NAV_ORDER = ['Clients', 'Matters', 'Leads', 'API keys', 'Users', 'Custom fields', 'Audit log', 'Webhooks'];

let mainEl = null;
let navEl = null;
let current = null; // {screen, params, key, update, controller}
let started = false;
let listening = false;

function compile(pattern) {
  const names = [];
  const re = pattern.replace(/\/:([A-Za-z_]+)/g, (_, n) => { names.push(n); return '/([^/]+)'; });
  return { re: new RegExp('^' + re + '/?$'), names };
}

// screen('/clients/:id', {title, scope, nav, render(main, params, query, ctx)})
// render may return {update(query)} to take query-only changes (filters,
// paging) without being re-rendered from scratch.
export function screen(pattern, opts) {
  const s = { pattern, ...opts, ...compile(pattern) };
  screens.push(s);
  if (navEl) renderNav();
  return s;
}

export function parseHash(hash = location.hash) {
  let raw = (hash || '').replace(/^#/, '');
  if (!raw.startsWith('/')) raw = '/' + raw;
  const qi = raw.indexOf('?');
  const path = qi >= 0 ? raw.slice(0, qi) : raw;
  const query = {};
  if (qi >= 0) for (const [k, v] of new URLSearchParams(raw.slice(qi + 1))) query[k] = v;
  return { path: path.replace(/\/+$/, '') || '/', query };
}

export function buildHash(path, query) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) continue;
    p.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = p.toString();
  return '#' + path + (s ? '?' + s : '');
}

function match(path) {
  for (const s of screens) {
    const m = s.re.exec(path);
    if (m) {
      const params = {};
      s.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
      return { screen: s, params };
    }
  }
  return null;
}

// Navigates (adds a history entry). go('/clients', {q: 'smith'})
export function go(path, query) {
  const target = buildHash(path, query);
  if (location.hash === target) route();
  else location.hash = target;
}

// Changes the query of the current screen in the URL without re-rendering it
// (the screen already shows it). push: a new history entry, so Back returns
// to the previous filters; else replace (e.g. while typing).
// state: kept with the history entry (survives Back and reload), e.g. the
// cursors of earlier pages; screens read it back as history.state.
export function setQuery(query, { push = false, state = null } = {}) {
  const { path } = parseHash();
  const target = buildHash(path, query);
  if (location.hash === target) { if (state) history.replaceState(state, '', target); return; }
  if (push) history.pushState(state, '', target);
  else history.replaceState(state, '', target);
  if (current) current.hash = location.hash;
}

export function currentRoute() {
  return parseHash();
}

function firstAllowed() {
  const items = navItems();
  return items.length ? items[0].pattern : null;
}

function navItems() {
  return screens
    .filter((s) => s.nav && (!s.scope || can(s.scope)))
    .sort((a, b) => rank(a.nav) - rank(b.nav));
}
function rank(label) {
  const i = NAV_ORDER.indexOf(label);
  return i < 0 ? 100 : i;
}

export function renderNav() {
  if (!navEl) return;
  clear(navEl);
  const { path } = parseHash();
  const list = h('ul', { class: 'nav-list' });
  for (const s of navItems()) {
    const active = path === s.pattern || path.startsWith(s.pattern + '/');
    list.append(h('li', null, h('a', {
      href: '#' + s.pattern,
      class: ['nav-link', active ? 'active' : null],
      'aria-current': active ? 'page' : null,
    }, s.nav)));
  }
  navEl.append(list);
}

async function route() {
  if (!started) return;
  const { path, query } = parseHash();
  if (path === '/') {
    const first = firstAllowed();
    if (first) { history.replaceState(null, '', '#' + first); return route(); }
    renderNav();
    document.title = 'Clientele';
    clear(mainEl).append(h('div', { class: 'screen' }, h('h1', { class: 'page-title' }, 'Welcome'),
      emptyState('You are signed in, but your permissions include none of the console’s screens. Ask an administrator of your firm.')));
    current = null;
    return;
  }
  const m = match(path);
  // Same screen and params, only the query changed: let the screen update.
  if (current && m && current.screen === m.screen && sameParams(current.params, m.params) && current.update) {
    current.hash = location.hash;
    renderNav();
    current.update(query, history.state);
    return;
  }
  if (current && current.controller) current.controller.abort();
  renderNav();
  const box = h('div', { class: 'screen' });
  clear(mainEl).append(box);
  const controller = new AbortController();
  current = { screen: m && m.screen, params: m && m.params, controller, update: null, hash: location.hash };
  const mine = current;
  if (!m) {
    document.title = 'Not found · Clientele';
    box.append(h('h1', { class: 'page-title' }, 'Page not found'),
      emptyState('There is nothing at this address.', h('a', { class: 'btn', href: '#/' }, 'Go to the start')));
    focusMain();
    return;
  }
  if (m.screen.scope && !can(m.screen.scope)) {
    document.title = `${m.screen.title || 'No access'} · Clientele`;
    box.append(h('h1', { class: 'page-title' }, m.screen.title || 'No access'),
      h('div', { class: 'empty no-access', role: 'alert' },
        h('p', null, h('strong', null, "You don't have access to this screen.")),
        h('p', { class: 'muted' }, `It needs the “${m.screen.scope}” permission. Ask an administrator of your firm.`)));
    focusMain();
    return;
  }
  if (m.screen.title) document.title = `${m.screen.title} · Clientele`;
  try {
    const r = await m.screen.render(box, m.params, query, { signal: controller.signal });
    if (current === mine && r && typeof r.update === 'function') mine.update = r.update;
  } catch (err) {
    if (controller.signal.aborted) return;
    console.error(err);
    box.append(h('div', { class: 'problem', role: 'alert' }, h('strong', null, 'This screen failed to load.'), h('p', null, String(err && err.message || err))));
  }
  if (current === mine) focusMain();
}

function sameParams(a, b) {
  const ka = Object.keys(a || {}); const kb = Object.keys(b || {});
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
}

// After a navigation, move focus to the new heading so keyboard and screen
// reader users land on the new content.
function focusMain() {
  if (!mainEl) return;
  const h1 = mainEl.querySelector('h1');
  const target = h1 || mainEl;
  if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
  // Don't steal focus from a field the screen focused itself.
  if (mainEl.contains(document.activeElement) && document.activeElement.matches('input, select, textarea')) return;
  target.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

// Re-runs the current screen (e.g. after a save).
export function reload() {
  current = null;
  return route();
}

export function start(main, nav) {
  mainEl = main;
  navEl = nav;
  started = true;
  if (!listening) {
    listening = true;
    window.addEventListener('hashchange', () => route());
  }
  current = null;
  return route();
}

export function stop() {
  if (current && current.controller) current.controller.abort();
  current = null;
  started = false;
}
