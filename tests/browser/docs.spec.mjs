// /docs: the API reference rendered from the server's own /openapi.json — the sidebar
// by tag, Markdown, search, schemas and examples, and "try it" with a key or a session.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures.mjs';

const screenshots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');

const nav = page => page.getByRole('navigation', { name: 'API reference' });

async function openDocs(page, hash = '') {
  await page.goto('/docs' + hash);
  await expect(page.locator('body.ready')).toBeAttached();
}

test('the sidebar lists the tags in order, dialects after the canonical ones', async ({ page, request }) => {
  const doc = await (await request.get('/openapi.json')).json();
  await openDocs(page);
  const tags = await nav(page).locator('a.tag-link').evaluateAll(as => as.map(a => a.firstChild.textContent.toLowerCase()));
  const declared = doc.tags.map(t => t.name);
  expect(tags.slice(0, declared.length)).toEqual(declared);
  // A vendor dialect's tag comes after every canonical tag.
  expect(tags.indexOf('clio-grow')).toBeGreaterThan(declared.length - 1);
  // Every operation is in the sidebar, and each deep link opens it.
  const count = Object.values(doc.paths).reduce((n, item) => n + ['get', 'post', 'put', 'patch', 'delete'].filter(m => item[m]).length, 0);
  await expect(nav(page).locator('a.op-link[href^="#op-"]')).toHaveCount(count + Object.keys(doc.webhooks || {}).length);
  await nav(page).getByRole('link', { name: /Create a client$/ }).click();
  await expect(page).toHaveURL(/#op-clients_create$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Create a client');
  await expect(nav(page).locator('a[aria-current="page"]')).toHaveAttribute('href', '#op-clients_create');
});

test('Markdown descriptions are rendered, not shown as source', async ({ page }) => {
  await openDocs(page);
  // info.description has `code spans`: they become <code>, and no backtick is left.
  const intro = page.locator('main .md').first();
  await expect(intro.locator('code').first()).toBeVisible();
  expect(await intro.textContent()).not.toContain('`');
  await openDocs(page, '#op-clients_create');
  const desc = page.locator('main article > .md').first();
  await expect(desc.locator('code', { hasText: 'clients:write' })).toBeVisible();
  expect(await desc.textContent()).not.toContain('`');
});

test('the Markdown renderer builds safe DOM', async ({ page }) => {
  await openDocs(page);
  const r = await page.evaluate(async () => {
    const { renderMarkdown } = await import('/assets/docs/markdown.js');
    const html = src => { const d = document.createElement('div'); d.append(renderMarkdown(src)); return d.innerHTML; };
    return {
      inline: html('Use `a_b` and **bold**, *em*, snake_case_name'),
      links: html('[ok](https://example.com) [rel](/v1/clients) [frag](#op-x) [bad](javascript:alert(1)) [proto](//evil.example)'),
      lists: html('- one\n- two\n\n1. first\n2. second'),
      table: html('| a | b |\n|---|--:|\n| `x` | 2 |'),
      fence: html('```json\n{"a": "<b>"}\n```'),
      quote: html('> quoted\n\n## Head'),
      raw: html('<script>alert(1)</script> <img src=x onerror=alert(1)>'),
      multiline: html('a `code\nspan` b'),
      nested: html('- a\n  - b\n- c'),
      emphasis: html('*a **b** c* and ***d***'),
      breaks: html('one  \ntwo'),
    };
  });
  expect(r.inline).toBe('<p>Use <code>a_b</code> and <strong>bold</strong>, <em>em</em>, snake_case_name</p>');
  expect(r.links).toContain('<a href="https://example.com" rel="noopener noreferrer">ok</a>');
  expect(r.links).toContain('<a href="/v1/clients" rel="noopener">rel</a>');
  expect(r.links).toContain('<a href="#op-x" rel="noopener">frag</a>');
  expect(r.links).not.toContain('javascript:');
  expect(r.links).not.toContain('href="//evil');
  expect(r.lists).toBe('<ul><li>one</li><li>two</li></ul><ol><li>first</li><li>second</li></ol>');
  expect(r.table).toContain('<th>a</th><th class="align-right">b</th>');
  expect(r.table).toContain('<td><code>x</code></td><td class="align-right">2</td>');
  expect(r.fence).toBe('<pre><code class="language-json">{"a": "&lt;b&gt;"}</code></pre>');
  expect(r.quote).toBe('<blockquote><p>quoted</p></blockquote><h2>Head</h2>');
  expect(r.raw).not.toContain('<script');
  expect(r.raw).not.toContain('<img');
  expect(r.raw).toContain('&lt;script&gt;');
  expect(r.multiline).toBe('<p>a <code>code span</code> b</p>');
  expect(r.nested).toBe('<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>');
  expect(r.emphasis).toBe('<p><em>a <strong>b</strong> c</em> and <strong><em>d</em></strong></p>');
  expect(r.breaks).toBe('<p>one<br>two</p>');
});

test('search filters operations as you type, with the keyboard', async ({ page }) => {
  await openDocs(page);
  await page.locator('main').click();
  await page.keyboard.press('/');
  const box = page.getByLabel('Search operations');
  await expect(box).toBeFocused();
  await page.keyboard.type('restore');
  await expect(nav(page).getByRole('link', { name: /Restore a deleted client/ })).toBeVisible();
  await expect(nav(page).getByRole('link', { name: /List and search clients/ })).toBeHidden();
  // By parameter name: Idempotency-Key is a header of the POSTs.
  await box.fill('if-match');
  await expect(nav(page).getByRole('link', { name: /Update a client/ })).toBeVisible();
  await expect(nav(page).getByRole('link', { name: /List and search clients/ })).toBeHidden();
  await box.fill('xyzzy-nothing');
  await expect(nav(page).getByText(/No operation matches/)).toBeVisible();
  await box.fill('merge duplicate');
  await box.press('Enter');
  await expect(page).toHaveURL(/#op-clients_merge$/);
  await box.focus();
  await box.press('Escape');
  await expect(box).toHaveValue('');
  await expect(nav(page).getByRole('link', { name: /List and search clients/ })).toBeVisible();
});

test('POST /v1/clients shows its schema table, example and responses', async ({ page }) => {
  await openDocs(page, '#op-clients_create');
  const body = page.locator('section', { has: page.getByRole('heading', { name: /Request body/ }) });
  await expect(body.getByRole('link', { name: 'ClientWrite' }).first()).toBeVisible();
  const table = body.locator('table.props').first();
  await expect(table.getByRole('cell', { name: 'last_name' })).toBeVisible();
  await expect(table.getByText('at most 200 characters').first()).toBeVisible();
  // A nested object expands on demand.
  await table.getByText(/address: \d+ fields of AddressWrite/).click();
  await expect(table.locator('table.props').first()).toBeVisible();
  const example = body.locator('.example pre');
  await expect(example).toContainText('"last_name"');
  JSON.parse(await example.textContent());
  const responses = page.locator('section', { has: page.getByRole('heading', { name: 'Responses' }) });
  await expect(responses.locator('table.responses')).toContainText('201');
  await expect(responses.getByRole('link', { name: 'Problem' }).first()).toHaveAttribute('href', '#schema-Problem');
  await responses.getByRole('link', { name: 'Problem' }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Problem');
  await expect(page.locator('table.props')).toContainText('request_id');
});

test('try it: GET /v1/clients with a pasted API key', async ({ page, seed }) => {
  const firm = seed.firms[0];
  await openDocs(page, '#op-clients_list');
  const panel = page.locator('section.tryit');
  await panel.getByLabel('API key', { exact: true }).fill(firm.adminKey);
  await expect(panel.getByLabel('Pasted API key')).toBeChecked();
  await panel.getByLabel('limit').fill('100');
  await panel.getByRole('button', { name: 'Send' }).click();
  await expect(panel.getByTestId('response-status')).toHaveText(/^200/);
  await expect(panel.locator('.resp-body')).toContainText(firm.clients[0].id);
  await expect(panel.locator('pre.curl')).toContainText("curl 'http");
  await expect(panel.locator('pre.curl')).toContainText('X-Api-Key: $CLIENTELE_API_KEY');
  // The key stays in this tab: another operation's panel has it already.
  await openDocs(page, '#op-matters_list');
  await expect(page.locator('section.tryit').getByLabel('API key', { exact: true })).toHaveValue(firm.adminKey);
});

test('try it: POST /v1/clients with the signed-in session (CSRF handled)', async ({ page, seed, signIn, api }) => {
  test.skip(!seed.firms[0].passwords, 'the sessions API is not in this server yet');
  await signIn(page, { firm: 0, who: 'admin' });
  await openDocs(page, '#op-clients_create');
  const panel = page.locator('section.tryit');
  await expect(panel.getByLabel('Signed-in console session')).toBeChecked();
  const last = `Docs${Date.now()}`;
  await panel.getByLabel(/JSON body/).fill(JSON.stringify({ first_name: 'Tried', last_name: last }));
  await panel.getByRole('button', { name: 'Send' }).click();
  await expect(panel.getByTestId('response-status')).toHaveText(/^201/);
  await expect(panel.locator('.resp-body')).toContainText(last);
  const found = await api(0).get(`/v1/clients?q=${last}`);
  expect(found.body.data.map(c => c.last_name)).toContain(last);
});

test('at phone width the sidebar opens behind the Menu button', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await openDocs(page);
  await expect(nav(page)).toBeHidden();
  const menu = page.getByRole('button', { name: 'Menu' });
  await menu.click();
  await expect(menu).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByLabel('Search operations')).toBeFocused();
  await page.keyboard.type('get a client');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#op-clients_get$/);
  await expect(nav(page)).toBeHidden();
  // Nothing is wider than the screen: tables stack instead.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
});

// The picture in the README: with UPDATE_SCREENSHOTS=1 it is written to docs/screenshots/docs.png.
test('screenshot of an operation', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await openDocs(page, '#op-clients_create');
  await expect(page.locator('table.props').first()).toBeVisible();
  await page.evaluate(() => document.activeElement?.blur?.());
  await page.mouse.move(0, 0);
  const file = process.env.UPDATE_SCREENSHOTS ? path.join(screenshots, 'docs.png') : testInfo.outputPath('docs.png');
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
});
