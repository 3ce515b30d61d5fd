// Fixtures every spec uses: the seeded data, sign-in through the console's form, the HTTP
// API with a firm's admin key, and a watch on the page's console that fails a test on a
// CSP violation or an uncaught error.
import { test as base, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';

// A firm by index into seed.firms, 'showcase' (the screenshots' firm), or the object.
function firmOf(seed, firm) {
  if (typeof firm === 'object') return firm;
  const f = firm === 'showcase' ? seed.showcase : seed.firms[firm];
  if (!f) throw new Error(`no seeded firm ${firm}`);
  return f;
}

function readSeed() {
  const file = process.env.CLIENTELE_SEED;
  if (!file) throw new Error('CLIENTELE_SEED is not set: run through playwright.config.mjs (global-setup.mjs)');
  return JSON.parse(readFileSync(file, 'utf8'));
}

async function call(url, key, method, path, body, headers = {}) {
  const r = await fetch(url + path, {
    method,
    headers: {
      ...(key ? { 'x-api-key': key } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
  return { status: r.status, body: parsed, headers: Object.fromEntries(r.headers) };
}

// Console errors worth failing a test for: CSP refusals. (Chromium logs every failed
// load, e.g. the API's 401s and 404s, as an error too, and many tests cause those.)
// Uncaught errors and assets that fail to load count as well (watch() below).
const CSP = /Content Security Policy|Refused to (execute|apply|load|connect|evaluate|frame)/i;

class ConsoleErrors {
  constructor() { this.errors = []; this.allowed = []; }
  /** Watch another page (a second context's, a popup) as well. */
  watch(page) {
    page.on('console', (m) => {
      if (m.type() === 'error' && CSP.test(m.text())) this.errors.push(`CSP: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.errors.push(`uncaught: ${e.stack || e.message || e}`));
    // A missing module fails its whole import graph without an uncaught error: say so.
    page.on('response', (r) => {
      if (r.status() >= 400 && new URL(r.url()).pathname.startsWith('/assets/')) {
        this.errors.push(`asset: ${r.status()} ${r.url()}`);
      }
    });
    return page;
  }
  /** Let messages matching `re` through (a test that provokes one on purpose). */
  allow(re) { this.allowed.push(re); }
  get unexpected() { return this.errors.filter((e) => !this.allowed.some((re) => re.test(e))); }
}

export const test = base.extend({
  seed: [async ({}, use) => { await use(readSeed()); }, { scope: 'worker' }],

  baseURL: async ({ seed }, use) => { await use(seed.url); },

  consoleErrors: async ({}, use) => {
    const c = new ConsoleErrors();
    await use(c);
    const bad = c.unexpected;
    expect(bad, `the page logged CSP violations or uncaught errors:\n${bad.join('\n')}`).toEqual([]);
  },

  page: async ({ page, consoleErrors }, use) => {
    consoleErrors.watch(page);
    await use(page);
  },

  /**
   * api(firm = 0) (an index into seed.firms, or 'showcase') → {get, post, patch, put, del},
   * each (path, body?, {headers, key}?) resolving {status, body, headers}, with that
   * firm's admin key (or `key`). get and del take no body: (path, {headers, key}?).
   */
  api: async ({ seed }, use) => {
    await use((firm = 0) => {
      const f = firmOf(seed, firm);
      const m = (method) => (path, body, opts = {}) =>
        call(seed.url, opts.key ?? f.adminKey, method, path, body, opts.headers);
      return {
        get: (path, opts = {}) => call(seed.url, opts.key ?? f.adminKey, 'GET', path, undefined, opts.headers),
        post: m('POST'), patch: m('PATCH'), put: m('PUT'),
        del: (path, opts = {}) => call(seed.url, opts.key ?? f.adminKey, 'DELETE', path, undefined, opts.headers),
      };
    });
  },

  /**
   * signIn(page, {firm = 0, who = 'admin'}) opens /console?firm=… and signs in through the
   * form: `who` is 'admin' or 'member' (email + password), or 'key' (the "API key" tab with
   * the firm's admin key; pass `key` for another). Resolves when signed in ("Sign out" shows).
   * Before the password route exists (seed.passwords false), users sign in with a key of
   * their scopes instead, with a warning.
   */
  signIn: async ({ seed }, use) => {
    await use(async (page, { firm = 0, who = 'admin', key } = {}) => {
      const f = firmOf(seed, firm);
      await page.goto(`/console?firm=${f.id}`);
      if (who === 'key' || key || !f.passwords) {
        if (who !== 'key' && !key) {
          console.warn(`WARNING signIn: no passwords seeded; ${who} signs in with an API key`);
        }
        const secret = key ?? (who === 'member' ? f.memberKey : f.adminKey);
        await page.getByRole('tab', { name: 'API key' }).click();
        await page.getByLabel('API key', { exact: true }).fill(secret);
        await page.getByRole('button', { name: 'Sign in with key' }).click();
      } else {
        const u = f[who];
        const firmId = page.getByLabel('Firm ID', { exact: true });
        if (await firmId.isVisible() && !(await firmId.inputValue())) await firmId.fill(f.id);
        await page.getByLabel('Email', { exact: true }).fill(u.email);
        await page.getByLabel('Password', { exact: true }).fill(u.password);
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      }
      // The nav may be collapsed at phone width; the header's "Sign out" always shows.
      await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
      await expect(page.getByRole('navigation', { name: 'Main', includeHidden: true })).toBeAttached();
    });
  },
});

export { expect };
