// The console's clients search in a real browser (bench/console.sh runs this).
//
//   node bench/console_search.mjs terms     picks search terms of ~10, 100, 1,000,
//                                           10,000 and 100,000 hits (API, include_total)
//   node bench/console_search.mjs measure   signs in through the form, opens the clients
//                                           screen, types each term like a person and
//                                           times last keystroke → matching rows on screen
//
// Environment (set by console.sh): CONSOLE_BASE, CONSOLE_KEY (the firm's admin key),
// CONSOLE_FIRM, CONSOLE_N, CONSOLE_TERMS (the terms file), CONSOLE_OUT (the JSON result),
// CONSOLE_SERVER_LOG (the server's JSON log, for its latency_ms per request),
// CONSOLE_REPS (20), CONSOLE_KEY_DELAY_MS (60), CONSOLE_RELOADS (5), CONSOLE_HEADED (0).
//
// Timing is taken inside the page (performance.now()), not in Node: from the `input`
// event of the last keystroke to the frame that shows rows which all match the term.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
// playwright-core comes with the browser tests' @playwright/test.
const require = createRequire(path.join(root, 'tests/browser/package.json'));
const { chromium } = require('playwright-core');

const env = (k, d) => process.env[k] ?? d;
const BASE = env('CONSOLE_BASE');
const KEY = env('CONSOLE_KEY');
const FIRM = env('CONSOLE_FIRM');
const N = Number(env('CONSOLE_N', '0'));
const TERMS = env('CONSOLE_TERMS');
const OUT = env('CONSOLE_OUT');
const SERVER_LOG = env('CONSOLE_SERVER_LOG');
const REPS = Number(env('CONSOLE_REPS', '20'));
const KEY_DELAY = Number(env('CONSOLE_KEY_DELAY_MS', '60'));
const RELOADS = Number(env('CONSOLE_RELOADS', '5'));
const TARGETS = [10, 100, 1000, 10000, 100000];
// Real names and providers from examples/bench_seed.rs, from rare to common: a first
// name with a tail surname (~7 at 1M), a rare surname (~1 in 10,000), a full name with
// the commonest surname, tail surnames (~0.15%), mid ones, smith (3%), providers.
const CANDIDATES = [
  'james weber', 'mary nowak', 'john fischer', 'quackenbush', 'zywicki', 'james smith', 'mary smith',
  'weber', 'nowak', 'fischer', 'schneider', 'acme', 'thompson', 'white', 'garcia', 'johnson', 'smith',
  'proton', 'aol', 'icloud', 'hotmail', 'outlook', 'yahoo', 'gmail',
];

const log = (...a) => console.error('[console]', ...a);

async function call(method, p, body) {
  const r = await fetch(BASE + p, {
    method,
    headers: { 'x-api-key': KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
  return { status: r.status, body: parsed };
}

async function total(term) {
  const r = await call('GET', `/v1/clients?q=${encodeURIComponent(term)}&limit=1&fields=id&include_total=exact`);
  if (r.status !== 200) throw new Error(`q=${term}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.pagination.total;
}

// For each target, the candidate whose hits are nearest on a log scale.
async function pickTerms() {
  const hits = {};
  for (const t of CANDIDATES) {
    hits[t] = await total(t);
    log(`q=${t}: ${hits[t]} hits`);
  }
  const dist = (h, target) => Math.abs(Math.log((h || 0.5) / target));
  const picked = [];
  for (const target of TARGETS) {
    const best = CANDIDATES.filter((t) => hits[t] > 0 && !picked.some((p) => p.term === t))
      .sort((a, b) => dist(hits[a], target) - dist(hits[b], target))[0];
    picked.push({ target, term: best, hits: hits[best] });
  }
  writeFileSync(TERMS, JSON.stringify({ n: N, candidates: hits, terms: picked }, null, 2) + '\n');
  for (const p of picked) log(`~${p.target}: ${p.term} (${p.hits})`);
}

// --- in the page ---------------------------------------------------------------------
// Runs before the console's scripts on every navigation: notes the last keystroke's
// `input` event and the sign-in submit, and keeps every resource timing.
function pageInit() {
  const b = (window.__bench = { lastInput: 0, submit: 0, inputs: [] });
  document.addEventListener('input', (e) => {
    if (e.target && e.target.name === 'q') { b.lastInput = e.timeStamp; b.inputs.push(e.timeStamp); }
  }, true);
  document.addEventListener('submit', (e) => { b.submit = e.timeStamp; }, true);
  performance.setResourceTimingBufferSize(100000);
  // Resolves once check() holds: {dom} when a DOM change made it true, {painted} after
  // the next frame has been produced (rAF, then a task after it), i.e. on screen.
  b.until = (check, timeoutMs) => new Promise((resolve) => {
    let done = false;
    const finish = (ok) => {
      if (done) return;
      done = true;
      obs.disconnect();
      clearTimeout(timer);
      const dom = performance.now();
      if (!ok) { resolve({ ok: false, dom }); return; }
      requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => resolve({ ok: true, dom, painted: performance.now() });
        ch.port2.postMessage(0);
      });
    };
    const obs = new MutationObserver(() => { if (check()) finish(true); });
    const timer = setTimeout(() => finish(check()), timeoutMs);
    if (check()) { finish(true); return; }
    obs.observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
  });
  // The results table, once a load has finished and replaced any table marked old.
  b.table = () => {
    const res = document.querySelector('.results');
    if (!res || res.hasAttribute('aria-busy')) return null;
    const table = res.querySelector('table');
    if (!table || table.dataset.benchOld || !table.tBodies[0] || !table.tBodies[0].rows.length) return null;
    return table;
  };
  // Rows on screen from the search for the whole term (the screen has put it in the
  // URL before loading; a prefix's rows, had a pause between keys outlasted the
  // debounce, carry the prefix), all matching it in the name or email cell.
  b.matches = (term) => {
    const table = b.table();
    if (!table) return false;
    const hash = location.hash;
    const q = new URLSearchParams(hash.includes('?') ? hash.slice(hash.indexOf('?') + 1) : '').get('q');
    if (q !== term) return false;
    return [...table.tBodies[0].rows].every((r) => [...r.cells].some((c) => c.textContent.toLowerCase().includes(term)));
  };
  b.markOld = () => { const t = document.querySelector('.results table'); if (t) t.dataset.benchOld = '1'; };
  b.counted = () => {
    const c = document.querySelector('.result-count');
    return !!c && c.textContent !== 'Counting…';
  };
}

// --- statistics ------------------------------------------------------------------------
const sorted = (xs) => [...xs].sort((a, b) => a - b);
function pct(xs, p) {
  const s = sorted(xs);
  if (!s.length) return null;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
const median = (xs) => {
  const s = sorted(xs);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r1 = (x) => (x == null ? null : Math.round(x * 10) / 10);
const summary = (xs) => ({ first: r1(xs[0]), median: r1(median(xs)), p95: r1(pct(xs, 95)), max: r1(Math.max(...xs)) });

// The server's latency_ms by request id, from its JSON log lines.
function serverLatencies() {
  const byId = new Map();
  if (!SERVER_LOG) return byId;
  for (const line of readFileSync(SERVER_LOG, 'utf8').split('\n')) {
    if (!line.includes('"request_id"')) continue;
    try {
      const j = JSON.parse(line);
      if (j.request_id && typeof j.latency_ms === 'number') byId.set(j.request_id, j.latency_ms);
    } catch { /* not a JSON line */ }
  }
  return byId;
}

function debounceOfClientsJs() {
  const src = readFileSync(path.join(root, 'assets/console/clients.js'), 'utf8');
  const m = src.match(/const typed = debounce\([\s\S]*?,\s*(\d+)\);/);
  return m ? Number(m[1]) : null;
}

// --- the run -----------------------------------------------------------------------------
// Where a load's time went, on the page's clock: the document, its modules, the API calls.
const loadParts = (page) => page.evaluate(() => {
  const r1 = (x) => Math.round(x * 10) / 10;
  const nav = performance.getEntriesByType('navigation')[0];
  const api = performance.getEntriesByType('resource').filter((e) => e.name.includes('/v1/'))
    .map((e) => ({ what: new URL(e.name).pathname + (e.name.includes('include_total') ? ' (total)' : ''), start: r1(e.startTime), end: r1(e.responseEnd) }));
  const assets = performance.getEntriesByType('resource').filter((e) => e.name.includes('/assets/'));
  return {
    document: r1(nav.responseEnd), dom_content_loaded: r1(nav.domContentLoadedEventEnd),
    assets: assets.length, assets_end: r1(Math.max(0, ...assets.map((e) => e.responseEnd))), api,
  };
});

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function measure() {
  const loadBefore = loadavg();
  const { terms } = JSON.parse(readFileSync(TERMS, 'utf8'));
  const email = `bench-admin-${Date.now()}@bench.test`; // unique, should the database be reused
  const password = 'bench-console-password-1';
  const u = await call('POST', '/v1/users', { first_name: 'Bench', last_name: 'Admin', email, role: 'admin' });
  if (u.status !== 201) throw new Error(`POST /v1/users: ${u.status} ${JSON.stringify(u.body)}`);
  const pw = await call('PUT', `/v1/users/${u.body.data.id}/password`, { password });
  if (pw.status !== 204) throw new Error(`PUT password: ${pw.status} ${JSON.stringify(pw.body)}`);

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: env('CONSOLE_HEADED', '0') !== '1' });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(pageInit);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Request ids of the list requests, by URL (the server logs the route, never the query).
  const ids = new Map();
  page.on('response', (r) => {
    const url = r.url();
    if (!url.includes('/v1/clients?')) return;
    const id = r.headers()['x-request-id'];
    if (!ids.has(url)) ids.set(url, []);
    ids.get(url).push(id);
  });
  const until = (fn, arg, timeoutMs = 30000) => page.evaluate(
    ([src, a, t]) => window.__bench.until(() => window.__bench[src](a), t), [fn, arg, timeoutMs]);

  // Sign in through the form; the clients screen is the first one after it.
  await page.goto(`${BASE}/console?firm=${encodeURIComponent(FIRM)}`);
  await page.getByLabel('Firm ID').fill(FIRM);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const signIn = await until('table', null);
  if (!signIn.ok) throw new Error('no client rows after signing in');
  const submit = await page.evaluate(() => window.__bench.submit);
  const signInMs = signIn.painted - submit;
  const firstCount = await until('counted', null, 60000);
  const signInTotalMs = firstCount.dom - submit;
  const signInParts = { submit: r1(submit), rows_painted: r1(signIn.painted), ...(await loadParts(page)) };
  log(`sign-in → rows ${signInMs.toFixed(0)} ms (total shown after ${signInTotalMs.toFixed(0)} ms); url ${page.url()}`);

  // A cold load: signed in, but nothing in the browser's cache (a new context with the cookie).
  const cold = await browser.newContext({ viewport: { width: 1280, height: 900 }, storageState: await context.storageState() });
  await cold.addInitScript(pageInit);
  const coldPage = await cold.newPage();
  await coldPage.goto(`${BASE}/console#/clients`);
  const coldRows = await coldPage.evaluate(() => window.__bench.until(() => window.__bench.table(), 30000));
  if (!coldRows.ok) throw new Error('no client rows on a cold load');
  const coldParts = await loadParts(coldPage);
  await cold.close();
  log(`cold load → rows ${coldRows.painted.toFixed(0)} ms`);

  // Reloads: navigation start (0 on the page's clock) → rows on screen.
  const reloads = [];
  const reloadParts = [];
  for (let i = 0; i < RELOADS; i++) {
    await page.goto(`${BASE}/console?reload=${i}#/clients`); // a new URL each time: a real navigation
    const r = await until('table', null);
    if (!r.ok) throw new Error('no client rows after a reload');
    reloads.push(r.painted);
    // Where a load's time goes: the page, its modules, the API calls, on the page's clock.
    reloadParts.push(await loadParts(page));
    await until('counted', null, 60000);
  }
  log(`reload → rows: ${reloads.map((x) => x.toFixed(0)).join(', ')} ms`);

  const search = page.getByLabel('Search', { exact: true });
  const results = [];
  for (const { target, term, hits } of terms) {
    const reps = [];
    for (let i = 0; i < REPS; i++) {
      // Start from the unfiltered list, settled.
      await page.evaluate(() => { performance.clearResourceTimings(); window.__bench.inputs = []; });
      await page.evaluate(() => window.__bench.markOld());
      await search.click();
      await page.keyboard.type(term, { delay: KEY_DELAY });
      const shown = await until('matches', term);
      if (!shown.ok) throw new Error(`q=${term}: no matching rows within 30 s`);
      const t = await page.evaluate((q) => {
        const b = window.__bench;
        const list = performance.getEntriesByType('resource')
          .filter((e) => e.name.includes('/v1/clients?') && new URL(e.name).searchParams.get('q') === q && new URL(e.name).searchParams.get('limit') !== '1')
          .filter((e) => e.startTime >= b.lastInput);
        const e = list[list.length - 1];
        const all = performance.getEntriesByType('resource').filter((x) => x.name.includes('/v1/clients?'));
        const gaps = b.inputs.slice(1).map((x, i) => x - b.inputs[i]);
        return { maxGap: Math.max(0, ...gaps), early: all.filter((x) => x.startTime < b.lastInput).length, lastInput: b.lastInput, url: e && e.name, fetchStart: e && e.startTime, responseStart: e && e.responseStart, responseEnd: e && e.responseEnd, requests: list.length };
      }, term);
      const counted = await until('counted', null, 60000);
      reps.push({
        ms: shown.painted - t.lastInput,
        dom_ms: shown.dom - t.lastInput,
        debounce_ms: t.fetchStart - t.lastInput,
        request_ms: t.responseEnd - t.fetchStart,
        ttfb_ms: t.responseStart - t.fetchStart,
        render_ms: shown.painted - t.responseEnd,
        total_shown_ms: counted.dom - t.lastInput,
        list_requests: t.requests,
        // A pause between keys longer than the debounce sends a prefix's search too.
        max_key_gap_ms: t.maxGap,
        prefix_requests: t.early,
        url: t.url,
      });
      // Clear the box as a person does, and wait for the unfiltered list again.
      await page.evaluate(() => window.__bench.markOld());
      await search.press('Control+a');
      await search.press('Backspace');
      const back = await until('table', null);
      if (!back.ok) throw new Error('the unfiltered list did not come back');
      await until('counted', null, 60000);
      await page.waitForTimeout(200);
    }
    results.push({ target, term, hits, reps });
    const s = summary(reps.map((r) => r.ms));
    log(`q=${term} (${hits}): median ${s.median} ms, max ${s.max} ms`);
  }
  await page.screenshot({ path: OUT.replace(/\.json$/, '.png') });
  await browser.close();

  // Server time per search request, matched by request id.
  await new Promise((r) => setTimeout(r, 500));
  const lat = serverLatencies();
  const used = new Map();
  for (const t of results) {
    for (const r of t.reps) {
      const list = ids.get(r.url) || [];
      const k = used.get(r.url) || 0;
      used.set(r.url, k + 1);
      r.request_id = list[k] || null;
      r.server_ms = r.request_id && lat.has(r.request_id) ? lat.get(r.request_id) : null;
    }
  }

  const debounce = debounceOfClientsJs();
  const out = {
    date: new Date().toISOString(),
    n: N,
    command: `bench/console.sh ${N}`,
    browser: `Chromium ${browser.version()} headless, 1280×900`,
    key_delay_ms: KEY_DELAY,
    reps: REPS,
    debounce_ms_in_clients_js: debounce,
    sign_in_to_rows_ms: r1(signInMs),
    sign_in_to_total_ms: r1(signInTotalMs),
    reload_to_rows_ms: { ...summary(reloads), all: reloads.map(r1) },
    sign_in_parts: signInParts,
    cold_load_to_rows_ms: r1(coldRows.painted),
    cold_load_parts: coldParts,
    reload_parts: reloadParts,
    searches: results.map((t) => {
      const col = (k) => t.reps.map((r) => r[k]).filter((x) => typeof x === 'number');
      const m = (k) => r1(median(col(k)));
      return {
        target: t.target, term: t.term, hits: t.hits,
        on_screen_ms: summary(col('ms')),
        median_ms: { debounce: m('debounce_ms'), request: m('request_ms'), server: m('server_ms'), render: m('render_ms'), dom: m('dom_ms') },
        total_shown_ms_first: r1(t.reps[0].total_shown_ms),
        max_key_gap_ms: r1(Math.max(...col('max_key_gap_ms'))),
        reps_with_prefix_requests: t.reps.filter((r) => r.prefix_requests > 0).length,
        reps: t.reps.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? r1(v) : v]))),
      };
    }),
    // Other work on the 2 cores moves these figures: the load average before and after.
    loadavg: { before: loadBefore, after: loadavg() },
    page_errors: errors,
  };
  writeFileSync(OUT, JSON.stringify(out, null, 2) + '\n');
  printTable(out);
}

function printTable(out) {
  const line = (cells, w) => cells.map((c, i) => String(c ?? '-')[i ? 'padStart' : 'padEnd'](w[i])).join('  ');
  const w = [14, 8, 7, 7, 7, 7, 9, 8, 7, 7];
  console.log(`\nConsole search, N=${out.n.toLocaleString('en-US')} clients, SQLite; ${out.browser}; ` +
    `${out.reps} searches a term, typed at ${out.key_delay_ms} ms a key; ${out.date.slice(0, 16)}Z`);
  console.log('last keystroke → matching rows on screen (ms), and the median of its parts:');
  console.log(line(['term', 'hits', 'first', 'median', 'p95', 'max', 'debounce', 'request', 'server', 'render'], w));
  for (const s of out.searches) {
    const o = s.on_screen_ms, m = s.median_ms;
    console.log(line([s.term, s.hits, o.first, o.median, o.p95, o.max, m.debounce, m.request, m.server, m.render], w));
  }
  console.log(`\ndebounce in clients.js: ${out.debounce_ms_in_clients_js} ms (measured: last input event → fetch() start)`);
  console.log('request: fetch() start → response end (resource timing); server: its latency_ms for that request;');
  console.log('render: response end → the next frame after the rows are in the DOM.');
  const rl = out.reload_to_rows_ms;
  console.log(`sign-in (submit) → first rows: ${out.sign_in_to_rows_ms} ms (total shown after ${out.sign_in_to_total_ms} ms)`);
  console.log(`cold load of #/clients, signed in, empty browser cache (navigation start → rows): ${out.cold_load_to_rows_ms} ms`);
  console.log(`reload of #/clients (navigation start → rows): first ${rl.first}, median ${rl.median}, max ${rl.max} ms`);
  const gaps = out.searches.map((s) => s.max_key_gap_ms);
  const prefixed = out.searches.reduce((a, s) => a + s.reps_with_prefix_requests, 0);
  console.log(`longest pause between two keystrokes: ${Math.max(...gaps)} ms; searches that also sent a prefix's request: ${prefixed}`);
  console.log(`load average (1, 5, 15 min) before: ${out.loadavg.before}; after: ${out.loadavg.after}`);
  if (out.page_errors.length) console.log(`page errors: ${out.page_errors.join('; ')}`);
}

const mode = process.argv[2];
if (mode === 'terms') await pickTerms();
else if (mode === 'measure') await measure();
else { console.error('usage: node bench/console_search.mjs terms|measure'); process.exit(2); }
