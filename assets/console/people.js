// Names for the ids that appear as authors and actors (users, API keys),
// fetched once per page load and only with the scope that allows it.

import { api, can, session } from './api.js';

let users = null;
let keys = null;

async function loadUsers() {
  if (users) return users;
  users = (async () => {
    const map = new Map();
    if (session.user) map.set(session.user.id, session.user);
    if (!can('users:read')) return map;
    let cursor = null;
    for (let i = 0; i < 5; i++) { // at most 500 staff: plenty for a firm
      const r = await api('GET', '/v1/users', { query: { limit: 100, cursor } });
      if (!r.ok) break;
      for (const u of r.data || []) map.set(u.id, u);
      if (!r.body.pagination || !r.body.pagination.has_more) break;
      cursor = r.body.pagination.next_cursor;
    }
    return map;
  })();
  return users;
}

async function loadKeys() {
  if (keys) return keys;
  keys = (async () => {
    const map = new Map();
    if (session.keyInfo) map.set(session.keyInfo.id, session.keyInfo);
    if (!can('admin')) return map;
    const r = await api('GET', '/v1/api-keys');
    if (r.ok) for (const k of r.data || []) map.set(k.id, k);
    return map;
  })();
  return keys;
}

export function userName(u) {
  if (!u) return null;
  return [u.first_name, u.last_name].filter(Boolean).join(' ') || u.email || u.id;
}

// → "Jane Doe", "API key “Zapier”", "the operator (CLI)"
export async function actorName(userId, keyId) {
  if (userId) {
    const m = await loadUsers();
    const u = m.get(userId);
    return u ? userName(u) : `User ${userId}`;
  }
  if (keyId) {
    const m = await loadKeys();
    const k = m.get(keyId);
    return k ? `API key “${k.name || k.prefix}”` : `API key ${keyId}`;
  }
  return 'The operator (command line)';
}

// Drops the caches (after sign-out or a user change).
export function forgetPeople() { users = null; keys = null; }
