//! Clients recently read by id, answered without a database read.
//!
//! A point read of a client was half of `GET /v1/clients/{id}`'s CPU: a read
//! transaction's locks, two b-tree walks, the matters count and decoding 25
//! columns (bench/README.md). Kept here, a hot client costs a hash lookup.
//!
//! The cache is only as good as its invalidation, so it does not trust the
//! code that writes: triggers on the writer connection note every row change
//! to `clients` (by id) and to `records` (by parent id, which is how a matter
//! changes its client's `matters_count`), whatever statement made it. After
//! each transaction ends, and before any of its callers hears back, the
//! writer hands them to [`ClientCache::forget`], so a write's caller never
//! reads what it replaced.
//!
//! A read that raced a write must not put back what the write replaced: a
//! reader takes an [`Epoch`] before its read, and every `forget` that drops
//! something moves the epoch on, so a put from before it is refused.
//!
//! Only the writer of this process is seen, so the cache is sound only while
//! one server owns the database file; `clientele serve` takes that ownership
//! (`store::sqlite::ServeLock`). The CLI beside it writes firms and keys,
//! never clients.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;

use super::{internal, lock};
use crate::domain::client::Client;
use crate::domain::ids::{ClientId, FirmId};
use crate::store::StoreResult;

/// Clients kept by default: about 10 MB of hot clients.
pub const DEFAULT_CAPACITY: usize = 10_000;

pub struct ClientCache {
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    clients: HashMap<ClientId, Client>,
    epoch: u64,
}

/// When a read began, as far as the cache can tell.
#[derive(Clone, Copy)]
pub struct Epoch(u64);

impl ClientCache {
    /// A cache of at most `capacity` clients; 0 turns it off.
    pub fn new(capacity: usize) -> Self {
        Self { capacity, state: Mutex::new(State::default()) }
    }

    /// The client, if cached and of this firm (ids are unique across firms,
    /// but another firm's key must never see it).
    pub fn get(&self, firm: FirmId, id: ClientId) -> Option<Client> {
        if self.capacity == 0 {
            return None;
        }
        self.state().clients.get(&id).filter(|c| c.firm_id == firm).cloned()
    }

    /// To be taken before reading a client that may then be [`put`](Self::put).
    pub fn epoch(&self) -> Epoch {
        Epoch(self.state().epoch)
    }

    /// Keeps a client read since `seen`, unless a write has dropped anything
    /// since then (the read may predate it).
    pub fn put(&self, seen: Epoch, client: &Client) {
        if self.capacity == 0 {
            return;
        }
        let client = client.clone();
        let mut state = self.state();
        if state.epoch != seen.0 {
            return;
        }
        // A bound, not an LRU: hot clients come back within a few reads. The
        // full map is freed after the lock is let go (10,000 clients are some
        // 150,000 allocations), so other reads don't wait for it.
        let full = (state.clients.len() >= self.capacity).then(|| std::mem::take(&mut state.clients));
        state.clients.insert(client.id, client);
        drop(state);
        drop(full);
    }

    /// Drops these clients after a write changed them (or may have).
    pub fn forget(&self, ids: impl IntoIterator<Item = ClientId>) {
        let mut ids = ids.into_iter().peekable();
        if ids.peek().is_none() {
            return;
        }
        let mut state = self.state();
        for id in ids {
            state.clients.remove(&id);
        }
        state.epoch += 1;
    }

    /// Drops every client.
    pub fn clear(&self) {
        let mut state = self.state();
        let all = std::mem::take(&mut state.clients);
        state.epoch += 1;
        drop(state);
        drop(all);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.state().clients.len()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every update leaves the map consistent, so a panic elsewhere while
        // holding the lock leaves nothing half-done.
        lock(&self.state)
    }
}

/// Makes the writer connection `conn` note every client its writes change,
/// and returns what to run after each of its transactions ends: it hands
/// them to `cache` to forget.
///
/// TEMP triggers live on this connection only, so nothing is added to the
/// database file, and a rolled-back write's notes roll back with it.
pub fn watch(conn: &Connection, cache: Arc<ClientCache>) -> StoreResult<impl Fn(&Connection) + Send + 'static> {
    conn.execute_batch(
        "CREATE TEMP TABLE changed_clients (id BLOB NOT NULL);
         -- A client that was never read is not cached, so its insert needs no note.
         CREATE TEMP TRIGGER client_updated AFTER UPDATE ON main.clients BEGIN
             INSERT INTO changed_clients VALUES (OLD.id), (NEW.id);
         END;
         CREATE TEMP TRIGGER client_deleted AFTER DELETE ON main.clients BEGIN
             INSERT INTO changed_clients VALUES (OLD.id);
         END;
         -- A matter counts for its client; any record with a parent is noted.
         CREATE TEMP TRIGGER record_inserted AFTER INSERT ON main.records WHEN NEW.parent_id IS NOT NULL BEGIN
             INSERT INTO changed_clients VALUES (NEW.parent_id);
         END;
         CREATE TEMP TRIGGER record_updated AFTER UPDATE ON main.records BEGIN
             INSERT INTO changed_clients SELECT p FROM (SELECT OLD.parent_id AS p UNION SELECT NEW.parent_id) WHERE p IS NOT NULL;
         END;
         CREATE TEMP TRIGGER record_deleted AFTER DELETE ON main.records WHEN OLD.parent_id IS NOT NULL BEGIN
             INSERT INTO changed_clients VALUES (OLD.parent_id);
         END;",
    )
    .map_err(internal)?;
    Ok(move |conn: &Connection| match take_changed(conn) {
        Ok(ids) => cache.forget(ids),
        // Not knowing what changed, keep nothing.
        Err(e) => {
            tracing::error!(error = %e, "could not read the clients a write changed; emptying the client cache");
            cache.clear();
        }
    })
}

fn take_changed(conn: &Connection) -> StoreResult<Vec<ClientId>> {
    let mut statement = conn.prepare_cached("DELETE FROM temp.changed_clients RETURNING id").map_err(internal)?;
    let rows = statement.query_map([], |row| row.get::<_, Vec<u8>>(0)).map_err(internal)?;
    let mut ids = Vec::new();
    for bytes in rows {
        if let Ok(bytes) = <[u8; 16]>::try_from(bytes.map_err(internal)?) {
            ids.push(ClientId::from_bytes(bytes));
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::{ClientFields, ClientKind};
    use crate::domain::time::Timestamp;

    fn client(firm: FirmId) -> Client {
        Client {
            id: ClientId::generate(),
            firm_id: firm,
            seq: 1,
            fields: ClientFields { kind: ClientKind::Person, ..ClientFields::default() },
            matters_count: 0,
            version: 1,
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
            deleted_at: None,
            merged_into: None,
        }
    }

    #[test]
    fn a_client_is_answered_only_to_its_own_firm() {
        let cache = ClientCache::new(10);
        let (firm, other) = (FirmId::generate(), FirmId::generate());
        let c = client(firm);
        cache.put(cache.epoch(), &c);
        assert_eq!(cache.get(firm, c.id).map(|c| c.id), Some(c.id));
        assert!(cache.get(other, c.id).is_none());
    }

    #[test]
    fn a_forgotten_client_is_read_again() {
        let cache = ClientCache::new(10);
        let firm = FirmId::generate();
        let c = client(firm);
        cache.put(cache.epoch(), &c);
        cache.forget([c.id]);
        assert!(cache.get(firm, c.id).is_none());
    }

    #[test]
    fn a_read_that_began_before_a_write_is_not_kept() {
        let cache = ClientCache::new(10);
        let firm = FirmId::generate();
        let c = client(firm);
        let before = cache.epoch();
        // The write commits and is forgotten while the read is under way.
        cache.forget([c.id]);
        cache.put(before, &c);
        assert!(cache.get(firm, c.id).is_none());
        cache.put(cache.epoch(), &c);
        assert!(cache.get(firm, c.id).is_some());
    }

    #[test]
    fn a_write_that_changed_no_client_keeps_reads_coming() {
        let cache = ClientCache::new(10);
        let firm = FirmId::generate();
        let c = client(firm);
        let before = cache.epoch();
        cache.forget([]);
        cache.put(before, &c);
        assert!(cache.get(firm, c.id).is_some());
    }

    #[test]
    fn the_cache_stays_within_its_capacity_and_can_be_off() {
        let cache = ClientCache::new(3);
        let firm = FirmId::generate();
        for _ in 0..10 {
            cache.put(cache.epoch(), &client(firm));
            assert!(cache.len() <= 3);
        }
        let off = ClientCache::new(0);
        let c = client(firm);
        off.put(off.epoch(), &c);
        assert!(off.get(firm, c.id).is_none());
        assert_eq!(off.len(), 0);
    }
}
