// The data every spec can count on, created through the HTTP API with each firm's admin
// key. Firm B's client surnames never occur in firm A, so a tenancy test can search for
// them from firm A and expect nothing.

export const FIRMS = [
  {
    name: 'Harbor & Lane LLP',
    domain: 'harborlane.test',
    city: ['Portland', 'OR', '97204'],
    surnames: [
      'Anderson', 'Bennett', 'Carter', 'Delgado', 'Edwards', 'Fischer', 'Garcia', 'Hughes',
      'Iverson', 'Jensen', 'Kowalski', 'Lambert', 'Morales', 'Nakamura', 'Olsen', 'Patel',
      'Quinn', 'Ramirez', 'Sullivan', 'Thompson', 'Underwood', 'Vasquez', 'Whitaker', 'Young',
      'Zimmerman', 'Brooks', 'Chen', 'Dawson',
    ],
    companies: ['Northwind Traders', 'Columbia Riverworks'],
  },
  {
    name: 'Quillfeather Legal',
    domain: 'quillfeather.test',
    city: ['Boise', 'ID', '83702'],
    surnames: [
      'Quornby', 'Vexley', 'Zephyrine', 'Marchbanks', 'Oakenshaw', 'Thistlewood', 'Brackwater',
      'Fennimore', 'Gildersleeve', 'Hawksmoor', 'Ironside', 'Jollivet', 'Kettleby', 'Larkspur',
      'Mossgrove', 'Nettlefold', 'Pemberton-Ash', 'Ravensworth', 'Saltonstall', 'Tregarthen',
      'Umberleigh', 'Winterbourne', 'Yarborough', 'Ashcombe', 'Blenkinsop', 'Crowther',
      'Dunsmore', 'Elphinstone',
    ],
    companies: ['Sawtooth Quarrying Co', 'Gemstone Orchard Holdings'],
  },
];

const FIRST = [
  'Maria', 'James', 'Aisha', 'Robert', 'Lin', 'Patricia', 'Omar', 'Jennifer', 'David', 'Sofia',
  'Michael', 'Grace', 'Daniel', 'Priya', 'Thomas', 'Elena', 'Samuel', 'Hannah', 'Kwame', 'Olivia',
  'Lucas', 'Fatima', 'Noah', 'Ingrid', 'Mateo', 'Chloe', 'Ethan', 'Yuki',
];
const STATUSES = ['active', 'active', 'active', 'inactive', 'closed'];
const TAGS = [['vip'], [], ['referral'], ['estate', 'vip'], [], ['litigation'], ['referral', 'estate']];
const STREETS = ['Alder St', 'Burnside Ave', 'Couch St', 'Division St', 'Everett St', 'Flanders St'];

export const PASSWORDS = {
  admin: 'correct-horse-battery-admin',
  member: 'correct-horse-battery-member',
};

// Scopes of the `member` role (brief): the fallback key for member sign-in before the
// password route exists.
export const MEMBER_SCOPES = [
  'clients:read', 'clients:write', 'matters:read', 'matters:write', 'notes:read',
  'notes:write', 'leads:read', 'leads:write', 'users:read',
];

function client(firm, i) {
  const last = firm.surnames[i];
  const first = FIRST[(i * 5 + firm.surnames.length + 3) % FIRST.length];
  const [city, region, zip] = firm.city;
  return {
    first_name: first,
    last_name: last,
    email: `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '') + `@${firm.domain}`,
    phone: `+1 503 555 ${String(100 + i).padStart(4, '0')}`,
    status: STATUSES[i % STATUSES.length],
    tags: TAGS[i % TAGS.length],
    source: i % 3 === 0 ? 'referral' : 'website',
    address: {
      line1: `${100 + i * 13} ${STREETS[i % STREETS.length]}`,
      city, region, postal_code: zip, country: 'US',
    },
    ...(i % 4 === 0 ? { other_phones: [{ label: 'work', number: `+1 503 555 ${String(700 + i).padStart(4, '0')}` }] } : {}),
    ...(i % 5 === 0 ? { other_emails: [{ label: 'home', address: `${last.toLowerCase().replace(/[^a-z]/g, '')}.home@example.com` }] } : {}),
  };
}

/** Seeds one firm; `call(method, path, body)` uses the firm's admin key. */
export async function seedFirm(firm, index, { id, name, adminKey }, call, warn) {
  const must = async (method, path, body, ok = [200, 201]) => {
    const r = await call(method, path, body);
    if (!ok.includes(r.status)) {
      throw new Error(`seed: ${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    }
    return r.body?.data;
  };
  const letter = 'AB'[index] ?? String(index);
  const people = {};
  for (const who of ['admin', 'member']) {
    const u = await must('POST', '/v1/users', {
      first_name: who === 'admin' ? 'Alex' : 'Morgan',
      last_name: `${who === 'admin' ? 'Admin' : 'Member'} ${letter}`,
      email: `${who}@${firm.domain}`,
      role: who,
    });
    people[who] = { id: u.id, email: u.email, password: PASSWORDS[who],
      first_name: u.first_name, last_name: u.last_name, name: `${u.first_name} ${u.last_name}` };
  }
  // Passwords: PUT /v1/users/{id}/password. Before that route exists, specs sign in with keys.
  let passwords = true;
  for (const who of ['admin', 'member']) {
    const r = await call('PUT', `/v1/users/${people[who].id}/password`, { password: PASSWORDS[who] });
    if (r.status !== 204) passwords = false;
    if (r.status !== 204 && who === 'admin') {
      warn(`seed: PUT /v1/users/{id}/password → ${r.status}; ${name}'s users have no passwords ` +
        '(password sign-in tests are skipped; signIn falls back to API keys)');
    }
  }
  const memberKey = (await must('POST', '/v1/api-keys', {
    name: 'Front desk (member scopes)', scopes: MEMBER_SCOPES, user_id: people.member.id,
  })).secret;

  await must('POST', '/v1/custom-fields', {
    entity: 'client', key: 'preferred_language', label: 'Preferred language', type: 'text',
  });

  const clients = [];
  for (const [i, c] of firm.companies.entries()) {
    const d = await must('POST', '/v1/clients', {
      kind: 'company', name: c, email: `office${i}@${firm.domain}`, status: 'active', tags: ['company'],
    });
    clients.push(pick(d));
  }
  for (let i = 0; i < firm.surnames.length; i++) {
    const body = client(firm, i);
    if (i < 3) body.company_id = clients[0].id;
    if (i % 2 === 0) body.custom_fields = { preferred_language: i % 4 ? 'Spanish' : 'English' };
    clients.push(pick(await must('POST', '/v1/clients', body)));
  }

  // A few matters and notes on the most recently created clients (the top of the list).
  const recent = clients.slice(-3).reverse();
  const matters = [];
  const areas = ['Estate planning', 'Employment', 'Real estate'];
  for (const [i, c] of recent.entries()) {
    const m = await must('POST', '/v1/matters', {
      client_id: c.id,
      title: `${c.last_name} — ${areas[i]}`,
      practice_area: areas[i],
      status: ['open', 'pending', 'closed'][i],
      projected_value: { amount: 250000 * (i + 1), currency: 'USD' },
    });
    matters.push({ id: m.id, title: m.title, client_id: c.id });
  }
  const notes = [];
  for (const [i, c] of recent.slice(0, 2).entries()) {
    const n = await must('POST', `/v1/clients/${c.id}/notes`, {
      subject: i ? 'Documents received' : 'Initial consultation',
      body: i ? 'Signed engagement letter and ID received by mail.' : 'Discussed goals and timeline; follow up in two weeks.',
    });
    notes.push({ id: n.id, client_id: c.id, subject: n.subject });
  }
  const mn = await must('POST', `/v1/matters/${matters[0].id}/notes`, {
    subject: 'Draft will sent', body: 'First draft sent for review.',
  });
  notes.push({ id: mn.id, matter_id: matters[0].id, subject: mn.subject });

  const leads = [];
  const leadNames = index === 0
    ? [['Rosa', 'Albright'], ['Henry', 'Calloway'], ['Mei', 'Fontaine'], ['Victor', 'Okafor'], ['Leah', 'Ostrowski']]
    : [['Barnaby', 'Quigglesworth'], ['Philippa', 'Dorrington'], ['Ignatius', 'Vandersloot'], ['Ottilie', 'Fairweather'], ['Cosmo', 'Brightlingsea']];
  for (const [i, [first, last]] of leadNames.entries()) {
    const l = await must('POST', '/v1/leads', {
      first_name: first, last_name: last,
      email: `${first}.${last}`.toLowerCase() + '@example.com',
      phone: `+1 208 555 ${String(200 + i).padStart(4, '0')}`,
      source: i % 2 ? 'web form' : 'phone call',
      message: ['Looking for help with a will.', 'Question about a lease dispute.', 'Need advice on a job offer contract.', 'Estate of my late father.', 'Buying a house next month.'][i],
    });
    leads.push({ id: l.id, first_name: first, last_name: last, email: l.email });
  }
  return {
    id, name, adminKey, memberKey, passwords, domain: firm.domain,
    admin: people.admin, member: people.member,
    // Surnames only this firm has (tenancy tests search them from the other firm).
    distinctive: firm.surnames.slice(0, 3),
    clients, matters, notes, leads,
  };
}

function pick(d) {
  return { id: d.id, name: d.name, first_name: d.first_name ?? null, last_name: d.last_name ?? null,
    kind: d.kind, email: d.email ?? null };
}

/** A webhook to `url` (a local receiver), for the webhooks screens. */
export async function seedWebhook(call, url, warn) {
  const w = await call('POST', '/v1/webhooks', {
    url, events: ['client.*', 'lead.*'], description: 'Case management sync',
  });
  if (w.status === 201) return [{ id: w.body.data.id, url }];
  warn(`seed: POST /v1/webhooks → ${w.status} ${JSON.stringify(w.body)}`);
  return [];
}

/** What makes the screenshots' firm look used: integration keys and a web form's token. */
export async function seedShowcaseExtras(call, warn) {
  for (const [p, body] of [
    ['/v1/api-keys', { name: 'Website intake form', scopes: ['leads:write'] }],
    ['/v1/api-keys', { name: 'Billing sync', scopes: ['clients:read', 'matters:read'] }],
    ['/v1/intake-tokens', { name: 'Website contact form' }],
  ]) {
    const r = await call('POST', p, body);
    if (r.status !== 201) warn(`seed: POST ${p} → ${r.status} ${JSON.stringify(r.body)}`);
  }
}
