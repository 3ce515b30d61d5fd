// Pictures of the main screens, of the showcase firm (seeded like firm A, untouched by
// other specs). With UPDATE_SCREENSHOTS=1 (scripts/browser_tests --screenshots) they are
// written to docs/screenshots/<screen>.png; otherwise under test-results only.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures.mjs';

const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');

async function shot(page, testInfo, name) {
  // Let lists and loading states settle, and fonts/transitions finish.
  await page.waitForLoadState('networkidle');
  // ui.js's loading() placeholders (the contract's shared `.loading` class), whatever they say.
  await expect(page.locator('.loading')).toHaveCount(0);
  await page.waitForLoadState('networkidle');
  await page.evaluate(() => document.activeElement?.blur?.());
  await page.mouse.move(0, 0);
  const file = process.env.UPDATE_SCREENSHOTS
    ? path.join(docs, `${name}.png`)
    : testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
}

async function open(page, navName) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: navName }).click();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
}

test.describe('screenshots', () => {
  test.use({ viewport: { width: 1280, height: 800 } });

  test('sign-in', async ({ page, seed }, testInfo) => {
    await page.goto(`/console?firm=${seed.showcase.id}`);
    await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
    await shot(page, testInfo, 'sign-in');
  });

  test('clients, a client, an edit with an error', async ({ page, seed, signIn }, testInfo) => {
    await signIn(page, { firm: 'showcase' });
    await open(page, 'Clients');
    const newest = seed.showcase.clients.at(-1);
    await expect(page.getByRole('main').getByText(newest.last_name).first()).toBeVisible();
    await shot(page, testInfo, 'clients');

    await page.goto(`/console#/clients/${newest.id}`);
    await expect(page.getByRole('heading', { level: 1 })).toContainText(newest.last_name);
    await shot(page, testInfo, 'client');

    await page.getByRole('main').getByRole('link', { name: 'Edit', exact: true })
      .or(page.getByRole('main').getByRole('button', { name: 'Edit', exact: true })).first().click();
    const phone = page.getByLabel('Phone', { exact: true });
    await phone.fill('123');
    await page.getByRole('button', { name: /^Save/ }).click();
    await expect(page.getByText(/not a phone number/i).first()).toBeVisible();
    await shot(page, testInfo, 'client-edit-error');
  });

  test('leads, API keys, webhooks, audit log', async ({ page, signIn }, testInfo) => {
    await signIn(page, { firm: 'showcase' });
    for (const [nav, name] of [['Leads', 'leads'], ['API keys', 'api-keys'], ['Webhooks', 'webhooks'], ['Audit log', 'audit-log']]) {
      await open(page, nav);
      await shot(page, testInfo, name);
    }
  });

  test('a webhook and its deliveries', async ({ page, seed, signIn }, testInfo) => {
    const hook = seed.showcase.webhooks[0];
    test.skip(!hook, 'no webhook seeded');
    await signIn(page, { firm: 'showcase' });
    await page.goto(`/console#/webhooks/${hook.id}`);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    // The delivery log is the point of this picture: bring it to the top.
    const deliveries = page.getByRole('heading', { name: 'Deliveries' });
    if (await deliveries.count()) {
      await deliveries.evaluate((el) => { el.scrollIntoView({ block: 'start' }); window.scrollBy(0, -80); });
    }
    await shot(page, testInfo, 'webhook-deliveries');
  });
});

test.describe('phone', () => {
  test.use({ viewport: { width: 375, height: 800 }, isMobile: true, hasTouch: true });

  test('clients at phone width', async ({ page, seed, signIn }, testInfo) => {
    await signIn(page, { firm: 'showcase' });
    await page.goto('/console#/clients');
    await expect(page.getByRole('main').getByText(seed.showcase.clients.at(-1).last_name).first()).toBeVisible();
    await shot(page, testInfo, 'clients-phone');
  });
});

test.describe('phone layout', () => {
  test.use({ viewport: { width: 375, height: 800 }, isMobile: true, hasTouch: true });

  test('no screen scrolls sideways at 375 px, and the menu opens the nav', async ({ page, signIn }) => {
    await signIn(page, { firm: 'showcase' });
    const nav = page.getByRole('navigation', { name: 'Main' });
    await page.getByRole('button', { name: 'Menu' }).click();
    await expect(nav).toBeVisible();
    await nav.getByRole('link', { name: 'Clients' }).click();
    await expect(nav).toBeHidden();
    for (const route of ['clients', 'matters', 'leads', 'keys', 'users', 'fields', 'events', 'webhooks', 'account']) {
      await page.goto(`/console#/${route}`);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      await page.waitForLoadState('networkidle');
      const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      expect(scroll, `#/${route} is ${scroll} px wide at ${client} px`).toBeLessThanOrEqual(client);
    }
  });
});
