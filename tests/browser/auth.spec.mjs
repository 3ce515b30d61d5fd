// Sign-in, a wrong password, sign-out, the session cookie and its CSRF guard, and
// signing in with an API key.
import { test, expect } from './fixtures.mjs';

const COOKIE = 'clientele_session';

function needsPasswords(seed) {
  test.skip(!seed.passwords, 'PUT /v1/users/{id}/password is not there yet: no passwords seeded');
}

async function csrfToken(page) {
  const r = await page.request.get('/v1/sessions/current');
  expect(r.status()).toBe(200);
  return (await r.json()).data.csrf_token;
}

test('email and password reach the console, which shows who is signed in', async ({ page, seed, signIn, context }) => {
  needsPasswords(seed);
  const { admin } = seed.firms[0];
  await signIn(page, { firm: 0, who: 'admin' });
  await expect(page.getByLabel('Password', { exact: true })).toBeHidden();
  await expect(page.getByText(`${admin.first_name} ${admin.last_name}`).first()).toBeVisible();

  const cookie = (await context.cookies()).find((c) => c.name === COOKIE);
  expect(cookie, 'the session cookie').toBeTruthy();
  expect(cookie.httpOnly).toBe(true);
  expect(cookie.sameSite).toBe('Strict');

  // A reload keeps the session (GET /v1/sessions/current), without the form.
  await page.reload();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await expect(page.getByText(`${admin.first_name} ${admin.last_name}`).first()).toBeVisible();
});

test('a wrong password shows an error and stays on sign-in', async ({ page, seed }) => {
  needsPasswords(seed);
  // Firm B's admin: one failure, far from the lockout, on a user no other test signs in as first.
  const f = seed.firms[1];
  await page.goto(`/console?firm=${f.id}`);
  const firmId = page.getByLabel('Firm ID', { exact: true });
  if (await firmId.isVisible() && !(await firmId.inputValue())) await firmId.fill(f.id);
  await page.getByLabel('Email', { exact: true }).fill(f.admin.email);
  await page.getByLabel('Password', { exact: true }).fill('not-the-password-at-all');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByLabel('Password', { exact: true })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
  expect((await page.request.get('/v1/sessions/current')).status()).toBe(401);
});

test('sign out returns to sign-in, and the old cookie no longer works', async ({ page, seed, signIn, context }) => {
  needsPasswords(seed);
  await signIn(page, { firm: 0, who: 'admin' });
  const old = (await context.cookies()).find((c) => c.name === COOKIE);
  expect(old).toBeTruthy();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByLabel('Password', { exact: true })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();

  // The old cookie, replayed by hand, is refused.
  const r = await fetch(`${seed.url}/v1/me`, { headers: { cookie: `${COOKIE}=${old.value}` } });
  expect(r.status).toBe(401);
  expect((await page.request.get('/v1/sessions/current')).status()).toBe(401);
});

test('a cookie-authenticated change needs X-CSRF-Token', async ({ page, seed, signIn }) => {
  needsPasswords(seed);
  await signIn(page, { firm: 0, who: 'admin' });
  const csrf = await csrfToken(page);
  const body = { first_name: 'Csrf', last_name: `Probe ${Date.now()}` };

  const without = await page.request.post('/v1/clients', { data: body });
  expect(without.status()).toBe(403);
  const wrong = await page.request.post('/v1/clients', { data: body, headers: { 'X-CSRF-Token': 'x' + csrf } });
  expect(wrong.status()).toBe(403);
  const withIt = await page.request.post('/v1/clients', { data: body, headers: { 'X-CSRF-Token': csrf } });
  expect(withIt.status()).toBe(201);
  // Reads need no token.
  expect((await page.request.get('/v1/clients?limit=1')).status()).toBe(200);
  // Nor can a forged sign-out end the session.
  expect((await page.request.delete('/v1/sessions/current')).status()).toBe(403);
  expect((await page.request.get('/v1/sessions/current')).status()).toBe(200);
});

test('signing in with an API key', async ({ page, seed, signIn, context }) => {
  await signIn(page, { firm: 0, who: 'key' });
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Clients' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'API keys' })).toBeVisible();
  // Key mode sets no session cookie.
  expect((await context.cookies()).find((c) => c.name === COOKIE)).toBeFalsy();
});

test('a wrong API key is refused and stays on sign-in', async ({ page, seed }) => {
  await page.goto(`/console?firm=${seed.firms[0].id}`);
  await page.getByRole('tab', { name: 'API key' }).click();
  await page.getByLabel('API key', { exact: true }).fill('clt_NOTAKEYnotakeynotakeynotakeynotakey0');
  await page.getByRole('button', { name: 'Sign in with key' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
});

// A user of their own per test (unique email), so lockouts and new passwords touch no one else.
async function freshUser(api, password) {
  const email = `pw-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@harborlane.test`;
  const u = await api(0).post('/v1/users', { first_name: 'Pat', last_name: 'Fresh', email, role: 'member' });
  expect(u.status).toBe(201);
  if (password) expect((await api(0).put(`/v1/users/${u.body.data.id}/password`, { password })).status).toBe(204);
  return { id: u.body.data.id, email, password };
}

async function fillSignIn(page, firm, email, password) {
  await page.goto(`/console?firm=${firm.id}`);
  const firmId = page.getByLabel('Firm ID', { exact: true });
  if (!(await firmId.inputValue())) await firmId.fill(firm.id);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

test('five wrong passwords lock the account, even against the right one', async ({ page, seed, api }) => {
  needsPasswords(seed);
  const f = seed.firms[0];
  const u = await freshUser(api, 'the-right-password-1');
  for (let i = 0; i < 5; i++) {
    const r = await fetch(`${seed.url}/v1/sessions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ firm_id: f.id, email: u.email, password: `wrong-password-${i}-x` }),
    });
    expect(r.status).toBe(401);
  }
  await fillSignIn(page, f, u.email, u.password);
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeHidden();
});

test('an admin sets a password on the user screen; the user signs in with it', async ({ browser, page, seed, api, signIn, consoleErrors }) => {
  needsPasswords(seed);
  const f = seed.firms[0];
  const u = await freshUser(api);
  await signIn(page, { firm: 0, who: 'admin' });
  await page.goto(`/console#/users/${u.id}`);
  const form = page.getByRole('form', { name: 'Set password' });
  await form.getByLabel('New password', { exact: true }).fill('set-by-the-admin-42');
  await form.getByLabel('Repeat the new password', { exact: true }).fill('set-by-the-admin-42');
  await form.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByText(/Password set for/)).toBeVisible();

  const other = await browser.newContext({ baseURL: seed.url });
  const theirs = consoleErrors.watch(await other.newPage());
  await fillSignIn(theirs, f, u.email, 'set-by-the-admin-42');
  await expect(theirs.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await other.close();
});

test('a user changes their own password on My account', async ({ page, seed, api }) => {
  needsPasswords(seed);
  const f = seed.firms[0];
  const u = await freshUser(api, 'my-first-password-1');
  await fillSignIn(page, f, u.email, u.password);
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await page.goto('/console#/account');
  const form = page.getByRole('form', { name: 'Change my password' });
  // The wrong current password is refused.
  await form.getByLabel('Current password', { exact: true }).fill('not-my-password-9');
  await form.getByLabel('New password', { exact: true }).fill('my-second-password-2');
  await form.getByLabel('Repeat the new password', { exact: true }).fill('my-second-password-2');
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(form.getByRole('alert')).toBeVisible();

  await form.getByLabel('Current password', { exact: true }).fill(u.password);
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Your password was changed.')).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await fillSignIn(page, f, u.email, u.password);
  await expect(page.getByRole('alert')).toBeVisible();
  await fillSignIn(page, f, u.email, 'my-second-password-2');
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
});
