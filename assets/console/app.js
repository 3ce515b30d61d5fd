// The console shell: sign-in screen, sidebar nav, top bar with the user and
// "Sign out". Screens live in their own modules and register with router.js.

import { session, restore, signInWithPassword, signInWithKey, signOut, clearSession, rememberedFirm, whoAmI } from './api.js';
import { h, clear, problemBox, nextId } from './ui.js';
import { start, stop, renderNav } from './router.js';
import { forgetPeople } from './people.js';

import './clients.js';
import './matters.js';

// The admin screens are written in parallel; a missing or broken module must
// not take the rest of the console down with it.
const OPTIONAL = ['leads.js', 'keys.js', 'users.js', 'fields.js', 'events.js', 'webhooks.js'];
const optionalLoaded = Promise.allSettled(OPTIONAL.map((f) => import(`./${f}`).catch((err) => {
  console.warn(`console: ${f} not loaded`, err && err.message);
})));

const app = document.getElementById('app');

// ---- sign-in ---------------------------------------------------------------

function firmFromUrl() {
  const p = new URLSearchParams(location.search);
  return p.get('firm') || '';
}

function signInScreen(message) {
  stop();
  forgetPeople(); // the next sign-in may be someone else
  document.title = 'Sign in · Clientele';
  document.body.classList.remove('signed-in');
  const tabs = [
    { id: 'password', label: 'Email and password' },
    { id: 'key', label: 'API key' },
  ];
  let active = 'password';
  const tabButtons = {};
  const panels = {};
  const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Sign-in method' });
  for (const t of tabs) {
    const btn = h('button', {
      type: 'button', role: 'tab', id: `tab-${t.id}`, 'aria-controls': `panel-${t.id}`,
      class: 'tab',
      on: { click: () => select(t.id), keydown: onTabKey },
    }, t.label);
    tabButtons[t.id] = btn;
    tablist.append(btn);
  }
  function onTabKey(e) {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const next = active === 'password' ? 'key' : 'password';
    select(next);
    tabButtons[next].focus();
    e.preventDefault();
  }
  function select(id) {
    active = id;
    for (const t of tabs) {
      const on = t.id === id;
      tabButtons[t.id].setAttribute('aria-selected', on ? 'true' : 'false');
      tabButtons[t.id].tabIndex = on ? 0 : -1;
      panels[t.id].hidden = !on;
    }
  }

  // Password form.
  const firmInput = h('input', { name: 'firm_id', id: nextId('firm'), autocomplete: 'organization', required: true, spellcheck: 'false', value: firmFromUrl() || rememberedFirm(), placeholder: 'firm_…' });
  const emailInput = h('input', { name: 'email', id: nextId('email'), type: 'email', autocomplete: 'username', required: true });
  const passInput = h('input', { name: 'password', id: nextId('pw'), type: 'password', autocomplete: 'current-password', required: true });
  const pwStatus = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const pwButton = h('button', { type: 'submit', class: 'btn primary block' }, 'Sign in');
  const pwForm = h('form', { class: 'stack', novalidate: true, on: { submit: onPassword } },
    h('div', { class: 'field' }, h('label', { for: firmInput.id }, 'Firm ID'), firmInput,
      h('p', { class: 'field-hint' }, 'Your firm’s ID, e.g. firm_01H… (your administrator has it).')),
    h('div', { class: 'field' }, h('label', { for: emailInput.id }, 'Email'), emailInput),
    h('div', { class: 'field' }, h('label', { for: passInput.id }, 'Password'), passInput),
    pwStatus,
    pwButton);
  async function onPassword(e) {
    e.preventDefault();
    clear(pwStatus);
    const firm = firmInput.value.trim(); const email = emailInput.value.trim(); const pw = passInput.value;
    const missing = [];
    if (!firm) missing.push('Firm ID');
    if (!email) missing.push('Email');
    if (!pw) missing.push('Password');
    if (missing.length) {
      pwStatus.append(problemBox({ title: 'Fill in every field', detail: `Missing: ${missing.join(', ')}.` }));
      return;
    }
    pwButton.disabled = true; pwButton.textContent = 'Signing in…';
    const r = await signInWithPassword(firm, email, pw);
    pwButton.disabled = false; pwButton.textContent = 'Sign in';
    if (!r.ok) {
      const p = r.status === 404 && !(r.problem && r.problem.code)
        ? { title: 'Password sign-in is not available on this server yet', detail: 'Use the “API key” tab.' }
        : r.status === 401
          ? { ...r.problem, title: 'Wrong email or password', detail: (r.problem && r.problem.detail) || 'Check them and try again. After 5 failures the account is locked for 15 minutes.' }
          : r.problem;
      pwStatus.append(problemBox(p));
      passInput.select();
      passInput.focus();
      return;
    }
    shell();
  }

  // Key form.
  const keyInput = h('input', { name: 'api_key', id: nextId('key'), type: 'password', autocomplete: 'off', required: true, spellcheck: 'false', placeholder: 'clt_…' });
  const keyStatus = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const keyButton = h('button', { type: 'submit', class: 'btn primary block' }, 'Sign in with key');
  const keyForm = h('form', { class: 'stack', novalidate: true, on: { submit: onKey } },
    h('div', { class: 'field' }, h('label', { for: keyInput.id }, 'API key'), keyInput,
      h('p', { class: 'field-hint' }, 'Kept only in this browser tab until you sign out or close it.')),
    keyStatus,
    keyButton);
  async function onKey(e) {
    e.preventDefault();
    clear(keyStatus);
    const key = keyInput.value.trim();
    if (!key) { keyStatus.append(problemBox({ title: 'Enter an API key' })); return; }
    keyButton.disabled = true;
    const r = await signInWithKey(key);
    keyButton.disabled = false;
    if (!r.ok) {
      keyStatus.append(problemBox(r.status === 401 ? { ...r.problem, title: 'That key was not accepted', detail: (r.problem && r.problem.detail) || 'It may be mistyped, revoked or expired.' } : r.problem));
      keyInput.focus();
      return;
    }
    shell();
  }

  panels.password = h('div', { role: 'tabpanel', id: 'panel-password', class: 'tabpanel' }, pwForm);
  panels.key = h('div', { role: 'tabpanel', id: 'panel-key', class: 'tabpanel' }, keyForm);

  clear(app).append(
    h('main', { class: 'signin', id: 'main' },
      h('div', { class: 'signin-card card' },
        h('div', { class: 'brand signin-brand' }, logo(), h('span', null, 'Clientele')),
        h('h1', null, 'Sign in to your firm'),
        message ? h('div', { class: 'notice', role: 'status' }, message) : null,
        tablist, panels.password, panels.key),
      h('p', { class: 'signin-foot muted' }, h('a', { href: '/docs' }, 'API reference'))));
  select('password');
  (firmInput.value ? emailInput : firmInput).focus();
}

function logo() {
  return h('span', { class: 'logo', 'aria-hidden': 'true' }, 'C');
}

// ---- signed-in shell -------------------------------------------------------

async function shell() {
  document.body.classList.add('signed-in');
  const nav = h('nav', { 'aria-label': 'Main', class: 'nav', id: 'sidebar-nav' });
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  const menuBtn = h('button', { type: 'button', class: 'btn ghost menu-btn', 'aria-expanded': 'false', 'aria-controls': 'sidebar', on: { click: () => setMenu(!layout.classList.contains('menu-open')) } }, h('span', { class: 'burger', 'aria-hidden': 'true' }), 'Menu');
  const firmName = session.firm ? session.firm.name : '';
  const sidebar = h('aside', { class: 'sidebar', id: 'sidebar' },
    h('a', { class: 'brand', href: '#/' }, logo(), h('span', null, 'Clientele')),
    firmName ? h('p', { class: 'sidebar-firm', title: session.firm.id }, firmName) : null,
    nav,
    h('div', { class: 'sidebar-foot' }, h('a', { href: '/docs', class: 'nav-link' }, 'API reference')));
  const signOutBtn = h('button', { type: 'button', class: 'btn', on: { click: onSignOut } }, 'Sign out');
  const topbar = h('header', { class: 'topbar' },
    menuBtn,
    h('div', { class: 'topbar-title' }, firmName ? h('span', { class: 'muted' }, firmName) : null),
    h('div', { class: 'topbar-user' },
      // A signed-in user reaches their account (password) from their name.
      session.user && session.mode !== 'key'
        ? h('a', { class: 'user-name', href: '#/account', title: 'My account' }, whoAmI())
        : h('span', { class: 'user-name' }, whoAmI()),
      session.mode === 'key' ? h('span', { class: 'badge' }, 'API key') : (session.user && session.user.role ? h('span', { class: 'badge' }, session.user.role) : null),
      signOutBtn));
  const layout = h('div', { class: 'layout' },
    sidebar,
    h('div', { class: 'scrim', on: { click: () => setMenu(false) } }),
    h('div', { class: 'content' }, topbar, main));
  function setMenu(open) {
    layout.classList.toggle('menu-open', open);
    menuBtn.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (open) { const a = nav.querySelector('a'); if (a) a.focus(); }
  }
  // Picking a screen on a phone closes the menu; Escape too.
  nav.addEventListener('click', (e) => { if (e.target.closest('a')) setMenu(false); });
  layout.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && layout.classList.contains('menu-open')) { setMenu(false); menuBtn.focus(); }
  });
  clear(app).append(h('a', { class: 'skip-link', href: '#main', on: { click: (e) => { e.preventDefault(); main.focus(); } } }, 'Skip to content'), layout);
  await optionalLoaded;
  start(main, nav);
  renderNav();
}

async function onSignOut() {
  await signOut();
  // Drop ?firm=… tokens of the hash but keep the firm for the next sign-in.
  history.replaceState(null, '', location.pathname + location.search);
  signInScreen('You have signed out.');
}

window.addEventListener('clientele:signed-out', () => {
  if (!document.body.classList.contains('signed-in')) return;
  clearSession();
  signInScreen('Your session has ended. Sign in again to continue.');
});

(async () => {
  clear(app).append(h('div', { class: 'boot loading' }, 'Loading the console…'));
  const ok = await restore();
  if (ok) shell(); else signInScreen();
})();
