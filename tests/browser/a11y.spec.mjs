// Accessibility (issue 21 point 4): axe-core's WCAG 2.1 A/AA rules on every console screen
// and /docs, at desktop and phone width, fail on a serious or critical violation (moderate
// and minor ones are only reported); and the keyboard alone signs in, reaches the clients
// search and opens a client, with a visible focus indicator at every stop.
import AxeBuilder from '@axe-core/playwright';
import { test, expect } from './fixtures.mjs';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const FAIL = new Set(['serious', 'critical']);

// One line per violation and element, enough to find it: rule, impact, help, selector, HTML.
function describe(violations) {
  return violations.flatMap((v) => v.nodes.map((n) =>
    `  [${v.impact}] ${v.id}: ${v.help}\n    at ${n.target.join(' ')}\n    ${n.html.slice(0, 200)}` +
    (n.failureSummary ? `\n    ${n.failureSummary.replace(/\s*\n\s*/g, '; ')}` : ''))).join('\n');
}

// Runs axe on the page as it is (or only the part `include` selects): soft-fails on a
// serious/critical WCAG violation, and logs the rest (moderate/minor ones, and axe's best
// practices such as heading order) only.
async function scan(page, label, { include } = {}) {
  const axe = new AxeBuilder({ page }).withTags([...TAGS, 'best-practice']);
  if (include) axe.include(include);
  const { violations } = await axe.analyze();
  const wcag = (v) => v.tags.some((t) => TAGS.includes(t));
  const bad = violations.filter((v) => wcag(v) && FAIL.has(v.impact));
  const rest = violations.filter((v) => !bad.includes(v));
  if (rest.length) console.log(`a11y ${label}: not failing (moderate/minor, or best practice):\n${describe(rest)}`);
  expect.soft(bad.map((v) => `${v.impact} ${v.id}`), `${label}: serious or critical axe violations:\n${describe(bad)}`).toEqual([]);
}

// A console screen has settled: its <h1> shows and nothing is still loading.
async function settled(page) {
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.waitForLoadState('networkidle');
  await expect(page.locator('#main .loading')).toHaveCount(0);
}

async function signInForm(page, firm) {
  await page.goto(`/console?firm=${firm.id}`);
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
}

// The focused element draws a focus indicator: an outline or a box-shadow.
async function expectVisibleFocus(page, what) {
  const f = await page.evaluate(() => {
    const el = document.activeElement;
    const s = getComputedStyle(el);
    return {
      tag: el.tagName.toLowerCase(), text: (el.getAttribute('aria-label') || el.textContent || el.name || '').trim().slice(0, 40),
      outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0, shadow: s.boxShadow !== 'none',
    };
  });
  expect(f.outline || f.shadow, `${what}: <${f.tag}> "${f.text}" has focus but no outline or box-shadow`).toBe(true);
}

// Tab (forward) until `target` has focus, checking each stop's focus indicator.
async function tabTo(page, target, what, max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    await expectVisibleFocus(page, `tabbing to ${what}`);
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`${what} was not reached in ${max} presses of Tab`);
}

test.describe('axe at 1280 px', () => {
  test('the sign-in screen', async ({ page, seed }) => {
    await signInForm(page, seed.firms[0]);
    await scan(page, 'sign-in');
    await page.getByRole('tab', { name: 'API key' }).click();
    await scan(page, 'sign-in (API key tab)', { include: '#panel-key' });
    // The error state: a wrong password.
    await page.getByRole('tab', { name: 'Email and password' }).click();
    await page.getByLabel('Email', { exact: true }).fill(seed.firms[0].member.email);
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page.getByRole('alert')).toContainText('Wrong email or password');
    await scan(page, 'sign-in with an error', { include: '.signin-card' });
  });

  test('every console screen', async ({ page, seed, signIn, api }) => {
    test.setTimeout(90_000);
    const firm = seed.firms[0];
    // The newest seeded client has matters and notes; a lead of our own stays new.
    const client = firm.clients.at(-1);
    const tag = Date.now().toString(36);
    const lead = await api(0).post('/v1/leads', {
      first_name: 'Ada', last_name: `Axe${tag}`, email: `ada.${tag}@example.com`, message: 'Call me.', source: 'a11y test',
    });
    expect(lead.status).toBe(201);

    await signIn(page);
    const screens = [
      ['clients list', '#/clients'],
      ['a client', `#/clients/${client.id}`],
      ['matters', '#/matters'],
      ['leads', '#/leads'],
      ['a lead', `#/leads/${lead.body.data.id}`],
      ['a matter', `#/matters/${firm.matters[0].id}`],
      ['API keys', '#/keys'],
      ['users', '#/users'],
      ['custom fields', '#/fields'],
      ['webhooks', '#/webhooks'],
      ...firm.webhooks.map((w) => ['a webhook and its deliveries', `#/webhooks/${w.id}`]),
      ['account', '#/account'],
    ];
    for (const [label, hash] of screens) {
      await test.step(label, async () => {
        await page.goto(`/console${hash}`);
        await settled(page);
        await scan(page, label);
      });
    }

    // Its summaries and an opened event's before/after.
    await test.step('audit log, an event opened', async () => {
      await page.goto('/console#/events');
      await settled(page);
      await page.locator('.adm-event > summary').first().click();
      await expect(page.locator('.adm-event[open]')).toHaveCount(1);
      await scan(page, 'audit log, an event opened');
    });

    await test.step('a confirmation dialog', async () => {
      await page.goto(`/console#/clients/${client.id}`);
      await settled(page);
      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      await expect(page.getByRole('dialog')).toBeVisible();
      await scan(page, 'the delete confirmation dialog', { include: 'dialog' });
      await page.keyboard.press('Escape');
      await expect(page.getByRole('dialog')).toHaveCount(0);
    });

    await test.step('client edit form with a field error', async () => {
      await page.goto(`/console#/clients/${client.id}/edit`);
      await settled(page);
      const email = page.getByLabel('Email', { exact: true });
      await email.fill('not-an-email');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await expect(email).toHaveAttribute('aria-invalid', 'true');
      await scan(page, 'client edit form with a field error');
    });
  });

  test('/docs: the introduction, an operation, and a "try it" answer', async ({ page, seed }) => {
    test.setTimeout(120_000);
    await page.goto('/docs');
    await expect(page.locator('body.ready')).toBeAttached();
    // The sidebar (hundreds of links, slow to check) is checked once, with the operation.
    await scan(page, '/docs introduction', { include: '#main' });
    await page.goto('/docs#op-clients_create');
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Create a client');
    await scan(page, '/docs operation');
    await page.goto('/docs#op-clients_list');
    const panel = page.locator('section.tryit');
    await panel.getByLabel('API key', { exact: true }).fill(seed.firms[0].adminKey);
    await panel.getByRole('button', { name: 'Send' }).click();
    await expect(panel.getByTestId('response-status')).toHaveText(/^200/);
    await scan(page, '/docs "try it" answer', { include: 'section.tryit' });
  });
});

test.describe('axe at 375 px', () => {
  test.use({ viewport: { width: 375, height: 800 }, isMobile: true, hasTouch: true });

  test('sign-in and the clients list', async ({ page, seed, signIn }) => {
    await signInForm(page, seed.firms[0]);
    await scan(page, 'sign-in (375 px)');
    await signIn(page);
    await page.goto('/console#/clients');
    await settled(page);
    await scan(page, 'clients list (375 px)');
    await page.getByRole('button', { name: 'Menu' }).click();
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
    await scan(page, 'clients list, menu open (375 px)', { include: '#sidebar' });
  });
});

test('the keyboard alone signs in, reaches the search and opens a client', async ({ page, seed }) => {
  const firm = seed.firms[0];
  await signInForm(page, firm);
  // The firm is filled from the URL, so the form starts at Email.
  const email = page.getByLabel('Email', { exact: true });
  await expect(email).toBeFocused();
  // Back to the firm and the method tabs, then forward through the form.
  await page.keyboard.press('Shift+Tab');
  await expect(page.getByLabel('Firm ID', { exact: true })).toBeFocused();
  await expectVisibleFocus(page, 'Firm ID');
  await page.keyboard.press('Shift+Tab');
  await expect(page.getByRole('tab', { name: 'Email and password' })).toBeFocused();
  await expectVisibleFocus(page, 'the sign-in method tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(email).toBeFocused();
  await expectVisibleFocus(page, 'Email');
  await page.keyboard.type(firm.admin.email);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Password', { exact: true })).toBeFocused();
  await expectVisibleFocus(page, 'Password');
  await page.keyboard.type(firm.admin.password);
  await page.keyboard.press('Tab');
  const submit = page.getByRole('button', { name: 'Sign in', exact: true });
  await expect(submit).toBeFocused();
  await expectVisibleFocus(page, 'Sign in');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();

  // The console opens on the clients; Tab reaches the search box, then a client.
  // The router focuses the <h1> once the screen has rendered: Tab from there.
  await expect(page.getByRole('heading', { level: 1, name: 'Clients' })).toBeFocused();
  await expect(page.locator('table tbody tr').first()).toBeVisible();
  const search = page.getByLabel('Search', { exact: true });
  await tabTo(page, search, 'the clients search');
  const target = firm.clients.at(-1);
  await page.keyboard.type(target.last_name);
  await expect(page).toHaveURL(new RegExp(`#/clients\\?q=${target.last_name}$`));
  // The search has answered (the list is not re-rendered while we Tab into it).
  await expect(page.locator('table tbody tr')).toHaveCount(1);
  await page.waitForLoadState('networkidle');
  const link = page.locator('table tbody').getByRole('link', { name: target.name });
  await tabTo(page, link, `the link to ${target.name}`);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`#/clients/${target.id}$`));
  await expect(page.getByRole('heading', { level: 1, name: target.name })).toBeVisible();
});
