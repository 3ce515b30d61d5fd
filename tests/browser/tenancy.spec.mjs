// Signed in to firm A, nothing of firm B is ever on screen: not in search, not at its
// records' URLs, not in the list.
import { test, expect } from './fixtures.mjs';

async function searchBox(page) {
  const byRole = page.getByRole('searchbox');
  return (await byRole.count()) ? byRole.first() : page.getByLabel(/search/i).first();
}

test("searching firm B's client names from firm A finds nothing", async ({ page, seed, signIn }) => {
  const [a, b] = seed.firms;
  await signIn(page, { firm: 0 });
  await page.goto('/console#/clients');
  const main = page.getByRole('main');
  const box = await searchBox(page);
  // First a name firm A has, so an empty result below means something.
  const own = a.clients.find((c) => c.kind === 'person').last_name;
  await box.fill(own);
  await expect(main.getByText(own).first()).toBeVisible();
  for (const name of b.distinctive) {
    await box.fill(name);
    await expect(main.getByText(own)).toHaveCount(0);
    await expect(main.getByText(name)).toHaveCount(0);
  }
});

test("firm B's client and matter URLs show not found", async ({ page, seed, signIn }) => {
  const b = seed.firms[1];
  await signIn(page, { firm: 0 });
  const client = b.clients.at(-1);
  await page.goto(`/console#/clients/${client.id}`);
  await expect(page.getByText(/not found/i).first()).toBeVisible();
  await expect(page.getByRole('main').getByText(client.last_name)).toHaveCount(0);

  const matter = b.matters[0];
  await page.goto(`/console#/matters/${matter.id}`);
  await expect(page.getByText(/not found/i).first()).toBeVisible();
  await expect(page.getByRole('main').getByText(matter.title)).toHaveCount(0);
});

test("firm A's lists show none of firm B's records", async ({ page, seed, signIn }) => {
  const [a, b] = seed.firms;
  await signIn(page, { firm: 0 });
  await page.goto('/console#/clients');
  const main = page.getByRole('main');
  const newest = a.clients.at(-1);
  await expect(main.getByText(newest.last_name).first()).toBeVisible();
  const text = await main.innerText();
  for (const c of b.clients) expect(text).not.toContain(c.last_name ?? c.name);

  await page.goto('/console#/leads');
  await expect(main.getByText(a.leads.at(-1).last_name).first()).toBeVisible();
  const leads = await main.innerText();
  for (const l of b.leads) expect(leads).not.toContain(l.last_name);
});

test("firm A's key gets 404 for firm B's records", async ({ api, seed }) => {
  const b = seed.firms[1];
  expect((await api(0).get(`/v1/clients/${b.clients[0].id}`)).status).toBe(404);
  expect((await api(0).get(`/v1/matters/${b.matters[0].id}`)).status).toBe(404);
  expect((await api(0).get(`/v1/leads/${b.leads[0].id}`)).status).toBe(404);
  const r = await api(0).get(`/v1/clients?q=${encodeURIComponent(b.distinctive[0])}`);
  expect(r.status).toBe(200);
  expect(r.body.data).toEqual([]);
});
