// Triage and conversion of a lead in the console; the new client (and matter) then
// exist in the API.
import { test, expect } from './fixtures.mjs';

async function newLead(api, extra = {}) {
  const tag = Date.now().toString(36);
  const r = await api(0).post('/v1/leads', {
    first_name: 'Imogen', last_name: `Convertible${tag}`, email: `imogen.${tag}@example.com`,
    phone: '+1 503 555 0199', source: 'browser test', message: 'Please call me about a contract.', ...extra,
  });
  expect(r.status).toBe(201);
  return r.body.data;
}

test('convert a lead: the new client exists and the lead links to it', async ({ page, signIn, api }) => {
  const lead = await newLead(api);
  await signIn(page, { firm: 0, who: 'admin' });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Leads' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();

  await page.getByLabel('Search leads').fill(lead.last_name);
  await page.getByRole('link', { name: `Imogen ${lead.last_name}` }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(lead.last_name);

  await page.getByRole('button', { name: 'Convert' }).click();
  const open = page.getByRole('link', { name: 'Open the client' });
  await expect(open).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('converted');

  // The API agrees: the lead is converted into a client that exists, with its details.
  const after = await api(0).get(`/v1/leads/${lead.id}`);
  expect(after.body.data.state).toBe('converted');
  const clientId = after.body.data.client_id;
  expect(clientId).toMatch(/^cli_/);
  const client = await api(0).get(`/v1/clients/${clientId}`);
  expect(client.status).toBe(200);
  expect(client.body.data.last_name).toBe(lead.last_name);
  expect(client.body.data.email).toBe(lead.email);

  await open.click();
  await expect(page).toHaveURL(new RegExp(`#/clients/${clientId}$`));
});

test('convert with a matter: a field error at the matter title, then fixed', async ({ page, signIn, api }) => {
  const lead = await newLead(api);
  await signIn(page, { firm: 0, who: 'admin' });
  await page.goto(`/console#/leads/${lead.id}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(lead.last_name);

  const form = page.getByRole('form', { name: 'Convert to a client' });
  await form.getByLabel('Also open a matter for the new client').check();
  await form.getByRole('button', { name: 'Convert' }).click();
  const title = form.getByLabel('Matter title');
  await expect(title).toHaveAttribute('aria-invalid', 'true');
  await expect(form).toContainText(/is required/i);
  expect((await api(0).get(`/v1/leads/${lead.id}`)).body.data.state).toBe('untriaged');

  await title.fill('Contract review');
  await form.getByRole('button', { name: 'Convert' }).click();
  await expect(page.getByRole('link', { name: 'Open the client' })).toBeVisible();
  const after = (await api(0).get(`/v1/leads/${lead.id}`)).body.data;
  expect(after.state).toBe('converted');
  const matter = await api(0).get(`/v1/matters/${after.matter_id}`);
  expect(matter.status).toBe(200);
  expect(matter.body.data.title).toBe('Contract review');
  expect(matter.body.data.client_id).toBe(after.client_id);
});

test('triage: ignore a lead, and edit it with a field error shown at the field', async ({ page, signIn, api }) => {
  const lead = await newLead(api);
  await signIn(page, { firm: 0, who: 'admin' });
  await page.goto(`/console#/leads/${lead.id}`);
  const details = page.getByRole('form', { name: 'Details' });
  await details.getByLabel('Email', { exact: true }).fill('not-an-email');
  await details.getByRole('button', { name: 'Save changes' }).click();
  await expect(details.getByLabel('Email', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await details.getByLabel('Email', { exact: true }).fill(`fixed.${lead.email}`);
  await details.getByRole('button', { name: 'Save changes' }).click();
  await expect.poll(async () => (await api(0).get(`/v1/leads/${lead.id}`)).body.data.email).toBe(`fixed.${lead.email}`);

  await page.getByRole('button', { name: 'Ignore' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('ignored');
  expect((await api(0).get(`/v1/leads/${lead.id}`)).body.data.state).toBe('ignored');
});

test('a search still waiting when the user opens a lead does not follow them there', async ({ page, signIn, api }) => {
  const lead = await newLead(api);
  await signIn(page, { firm: 0, who: 'admin' });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Leads' }).click();
  const link = page.getByRole('link', { name: `Imogen ${lead.last_name}` });
  await expect(link).toBeVisible();
  // Typed, and the lead opened before the search's debounce (250 ms) fires.
  await page.getByLabel('Search leads').pressSequentially('zz');
  await link.click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(lead.last_name);
  await page.waitForTimeout(600);
  expect(new URL(page.url()).hash).toBe(`#/leads/${lead.id}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(lead.last_name);
});
