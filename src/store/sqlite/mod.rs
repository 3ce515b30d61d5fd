//! The SQLite store: the zero-setup default, one database file.
//!
//! Writes go through one writer thread that commits whatever has queued up in
//! a single transaction (group commit), with every job in its own savepoint so
//! one failing write never undoes another. WAL with `synchronous=FULL` makes
//! each commit durable before any of its writers hears back. Reads use a small
//! pool of read-only connections with cached statements.

mod migrations;
mod queries;
mod rows;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};

use super::{Store, StoreError, StoreResult};
use crate::domain::api_key::{ApiKey, SecretHash};
use crate::domain::client::query::{ClientFilter, ClientQuery};
use crate::domain::client::Client;
use crate::domain::event::Event;
use crate::domain::firm::Firm;
use crate::domain::ids::{ClientId, FirmId, KeyId};
use crate::domain::time::Timestamp;

/// Idle read connections kept for reuse.
const MAX_IDLE_READERS: usize = 16;

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: writer::Writer,
    readers: Mutex<Vec<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema
    /// up to date.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let mut conn = Connection::open(path).map_err(internal)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )
        .map_err(internal)?;
        migrations::apply(&mut conn)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: writer::Writer::start(conn),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Runs `f` on a read connection, on the calling thread: for point reads
    /// that take microseconds.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn = self.take_reader()?;
        let result = f(&conn);
        self.return_reader(conn);
        result
    }

    /// Runs `f` on a read connection on the blocking pool: for lists and
    /// counts, which may take milliseconds.
    async fn read_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.read(f))
            .await
            .map_err(|e| StoreError::Internal(format!("read task failed: {e}")))?
    }

    fn take_reader(&self) -> StoreResult<Connection> {
        if let Some(conn) = self.inner.readers.lock().map_err(poisoned)?.pop() {
            return Ok(conn);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.inner.path, flags).map_err(internal)?;
        conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;").map_err(internal)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    fn return_reader(&self, conn: Connection) {
        if let Ok(mut idle) = self.inner.readers.lock() {
            if idle.len() < MAX_IDLE_READERS {
                idle.push(conn);
            }
        }
    }

}

/// Online backup of the database at `source` into the new file `dest`: a
/// consistent copy as of one moment (`VACUUM INTO` reads in one transaction),
/// taken while servers keep reading and writing.
pub fn backup(source: &Path, dest: &Path) -> StoreResult<()> {
    if dest.exists() {
        return Err(StoreError::Internal(format!("{} already exists", dest.display())));
    }
    let conn = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(internal)?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(internal)?;
    conn.execute("VACUUM INTO ?1", [dest.to_string_lossy()]).map_err(internal)?;
    Ok(())
}

fn internal(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Internal(e.to_string()),
    }
}

fn poisoned<T>(_: std::sync::PoisonError<T>) -> StoreError {
    StoreError::Internal("reader pool lock poisoned".into())
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        self.read(|conn| conn.query_row("SELECT 1", [], |_| Ok(())).map_err(internal))
    }

    async fn create_firm(&self, firm: &Firm, keys: &[ApiKey], events: &[Event]) -> StoreResult<()> {
        let (firm, keys, events) = (firm.clone(), keys.to_vec(), events.to_vec());
        self.inner.writer.run(move |tx| queries::create_firm(tx, &firm, &keys, &events)).await
    }

    async fn get_firm(&self, id: FirmId) -> StoreResult<Option<Firm>> {
        self.read(|conn| queries::get_firm(conn, id))
    }

    async fn list_firms(&self) -> StoreResult<Vec<Firm>> {
        self.read(queries::list_firms)
    }

    async fn insert_key(&self, key: &ApiKey, event: &Event) -> StoreResult<()> {
        let (key, event) = (key.clone(), event.clone());
        self.inner.writer.run(move |tx| queries::insert_key(tx, &key, &event)).await
    }

    async fn find_key(&self, hash: &SecretHash) -> StoreResult<Option<(ApiKey, Firm)>> {
        self.read(|conn| queries::find_key(conn, hash))
    }

    async fn get_key(&self, firm: FirmId, id: KeyId) -> StoreResult<Option<ApiKey>> {
        self.read(|conn| queries::get_key(conn, firm, id))
    }

    async fn list_keys(&self, firm: FirmId) -> StoreResult<Vec<ApiKey>> {
        self.read(|conn| queries::list_keys(conn, firm))
    }

    async fn revoke_key(&self, firm: FirmId, id: KeyId, at: Timestamp, event: &Event) -> StoreResult<()> {
        let event = event.clone();
        self.inner.writer.run(move |tx| queries::revoke_key(tx, firm, id, at, &event)).await
    }

    async fn touch_key(&self, id: KeyId, at: Timestamp) -> StoreResult<()> {
        self.inner.writer.run(move |tx| queries::touch_key(tx, id, at)).await
    }

    async fn insert_client(&self, client: &Client, event: &Event) -> StoreResult<i64> {
        let (client, event) = (client.clone(), event.clone());
        self.inner.writer.run(move |tx| queries::insert_client(tx, &client, &event)).await
    }

    async fn get_client(&self, firm: FirmId, id: ClientId) -> StoreResult<Option<Client>> {
        self.read(|conn| queries::get_client(conn, firm, id))
    }

    async fn update_client(&self, client: &Client, expected_version: i64, event: &Event) -> StoreResult<()> {
        let (client, event) = (client.clone(), event.clone());
        self.inner.writer.run(move |tx| queries::update_client(tx, &client, expected_version, &event)).await
    }

    async fn deleted_clients(&self, firm: FirmId, before: Timestamp, limit: usize) -> StoreResult<Vec<Client>> {
        self.read_blocking(move |conn| queries::deleted_clients(conn, firm, before, limit)).await
    }

    async fn purge_client(&self, firm: FirmId, id: ClientId, version: i64, event: &Event) -> StoreResult<()> {
        let event = event.clone();
        self.inner.writer.run(move |tx| queries::purge_client(tx, firm, id, version, &event)).await
    }

    async fn list_clients(&self, firm: FirmId, query: &ClientQuery) -> StoreResult<Vec<Client>> {
        let query = query.clone();
        self.read_blocking(move |conn| queries::list_clients(conn, firm, &query)).await
    }

    async fn count_clients(&self, firm: FirmId, filter: &ClientFilter) -> StoreResult<u64> {
        let filter = filter.clone();
        self.read_blocking(move |conn| queries::count_clients(conn, firm, &filter)).await
    }

    async fn list_events(&self, firm: FirmId, after_seq: i64, limit: usize) -> StoreResult<Vec<Event>> {
        self.read_blocking(move |conn| queries::list_events(conn, firm, after_seq, limit)).await
    }
}
