// A member (no admin scope) neither sees nor can use the admin screens: not in the nav,
// a no-access state at their URLs, and 403 from the API behind them.
import { test, expect } from './fixtures.mjs';

const ADMIN_ONLY = ['API keys', 'Webhooks', 'Audit log'];

test('the member does not see the admin screens in the nav', async ({ page, signIn }) => {
  await signIn(page, { firm: 0, who: 'member' });
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Clients' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Leads' })).toBeVisible();
  for (const name of ADMIN_ONLY) {
    await expect(nav.getByRole('link', { name }), `${name} in the member's nav`).toHaveCount(0);
  }
});

test('the admin does see them (the check above is not vacuous)', async ({ page, signIn }) => {
  await signIn(page, { firm: 0, who: 'admin' });
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const name of ADMIN_ONLY) await expect(nav.getByRole('link', { name })).toBeVisible();
});

test('opening #/keys as the member shows a no-access state', async ({ page, signIn }) => {
  await signIn(page, { firm: 0, who: 'member' });
  await page.goto('/console#/keys');
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await expect(page.getByText(/don.t have access/i).first()).toBeVisible();
  await expect(page.getByRole('button', { name: /create|new/i })).toHaveCount(0);
  await page.goto('/console#/webhooks');
  await expect(page.getByText(/don.t have access/i).first()).toBeVisible();
});

test("the member's session gets 403 from the admin API", async ({ page, seed, signIn }) => {
  await signIn(page, { firm: 0, who: 'member' });
  const f = seed.firms[0];
  let headers;
  if (f.passwords) {
    const cur = await page.request.get('/v1/sessions/current');
    expect(cur.status()).toBe(200);
    const data = (await cur.json()).data;
    expect(data.scopes).not.toContain('admin');
    // With a valid CSRF token, so the 403 is the scope's.
    headers = { 'X-CSRF-Token': data.csrf_token };
  } else {
    headers = { 'X-Api-Key': f.memberKey };
  }
  const mint = await page.request.post('/v1/api-keys', { data: { name: 'escalate', scopes: ['admin'] }, headers });
  expect(mint.status()).toBe(403);
  expect((await page.request.get('/v1/api-keys', { headers })).status()).toBe(403);
  expect((await page.request.get('/v1/events', { headers })).status()).toBe(403);
  expect((await page.request.get('/v1/webhooks', { headers })).status()).toBe(403);
  // What the member may do works.
  expect((await page.request.get('/v1/clients?limit=1', { headers })).status()).toBe(200);
});
