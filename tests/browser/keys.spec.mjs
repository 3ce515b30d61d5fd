// Minting and revoking an API key in the console: the secret is shown once, works
// against the API, and stops working (401) once the key is revoked.
import { test, expect } from './fixtures.mjs';

async function me(seed, secret) {
  const r = await fetch(`${seed.url}/v1/me`, { headers: { 'x-api-key': secret } });
  return { status: r.status, body: await r.json().catch(() => null) };
}

test('mint a key: the secret is shown once and works; revoke it: 401', async ({ page, seed, signIn, api }) => {
  const name = `browser key ${Date.now()}`;
  await signIn(page, { firm: 0, who: 'admin' });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'API keys' })).toBeVisible();

  await page.getByRole('button', { name: 'New API key' }).click();
  const form = page.getByRole('form', { name: 'New API key' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('clients:read', { exact: true }).check();
  await form.getByLabel('leads:read', { exact: true }).check();
  await form.getByRole('button', { name: 'Create key' }).click();

  const dlg = page.getByRole('dialog');
  await expect(dlg).toBeVisible();
  await expect(dlg).toContainText('only time');
  const secret = await dlg.getByLabel('API key', { exact: true }).inputValue();
  expect(secret).toMatch(/^clt_/);
  await expect(dlg.getByRole('button', { name: 'Copy' })).toBeVisible();

  // The secret works against the API, with exactly the scopes chosen.
  const ok = await me(seed, secret);
  expect(ok.status).toBe(200);
  expect(ok.body.data.key.name).toBe(name);
  expect(ok.body.data.scopes.sort()).toEqual(['clients:read', 'leads:read']);

  // Once the dialog is closed the secret is nowhere on the page, and the list shows the key.
  await dlg.getByRole('button', { name: 'I have stored it' }).click();
  await expect(dlg).toBeHidden();
  const row = page.getByRole('row').filter({ hasText: name });
  await expect(row).toBeVisible();
  await expect(row).toContainText(secret.slice(0, 10));
  expect(await page.content()).not.toContain(secret);
  await page.reload();
  await expect(page.getByRole('row').filter({ hasText: name })).toBeVisible();
  expect(await page.content()).not.toContain(secret);

  // Revoke, through the confirm dialog.
  await page.getByRole('row').filter({ hasText: name }).getByRole('button', { name: /^Revoke/ }).click();
  const confirm = page.getByRole('dialog');
  await expect(confirm).toContainText('stops working');
  await confirm.getByRole('button', { name: 'Revoke key' }).click();
  await expect(page.getByRole('row').filter({ hasText: name })).toContainText('Revoked');

  await expect.poll(async () => (await me(seed, secret)).status, { timeout: 5000 }).toBe(401);
  // The record stays, revoked, for the audit trail.
  const list = await api(0).get('/v1/api-keys');
  const k = list.body.data.find((x) => x.name === name);
  expect(k.revoked_at).toBeTruthy();
});

test('a key without scopes is refused at the scopes field, then fixed', async ({ page, signIn }) => {
  const name = `no scopes ${Date.now()}`;
  await signIn(page, { firm: 0, who: 'admin' });
  await page.goto('/console#/keys');
  await page.getByRole('button', { name: 'New API key' }).click();
  const form = page.getByRole('form', { name: 'New API key' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByRole('button', { name: 'Create key' }).click();
  await expect(form.getByRole('group', { name: 'Scopes' })).toContainText(/at least one scope/i);
  await expect(page.getByRole('dialog')).toHaveCount(0);

  await form.getByLabel('notes:read', { exact: true }).check();
  await form.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByRole('dialog')).toContainText('only time');
});
