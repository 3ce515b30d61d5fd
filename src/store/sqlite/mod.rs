//! The SQLite store: the zero-setup default, one database file.
//!
//! Writes go through one writer thread that commits whatever has queued up in
//! a single transaction (group commit), a job in its own savepoint only when
//! another failed, so one failing write never undoes another. Each commit is
//! synced to disk (the WAL, by a sync thread beside the writer: `writer`)
//! before any of its writers hears back; checkpoints run on a thread of their
//! own (`checkpoints`). Reads use a small pool of read-only connections with
//! cached statements.

mod checkpoints;
mod client_cache;
mod duplicates;
mod migrations;
mod prepared;
mod queries;
mod readers;
mod rows;
mod search;
mod sign_in;
mod webhooks;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};

use super::{MatchGroup, MatchQuery, DeliveryQuery, EventQuery, IdempotencyRecord, PoolStatus, QueueStatus, Store, StoreError, StoreResult, WebhookCursor, Write};
use crate::domain::webhook::Delivery;
use crate::domain::record::{Record, RecordFilter, RecordKind, RecordQuery};
use crate::domain::api_key::{ApiKey, SecretHash};
use crate::domain::client::query::{ClientFilter, ClientQuery};
use crate::domain::client::Client;
use crate::domain::event::Event;
use crate::domain::firm::Firm;
use crate::domain::credential::{Credentials, Session, TokenHash};
use crate::domain::ids::{ClientId, DeliveryId, FirmId, KeyId, UserId, WebhookId};
use crate::domain::time::Timestamp;

/// How long any connection waits for a lock another holds.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Read once: `available_parallelism` asks the kernel and parses cgroup
/// files on every call (3 `openat`s), and a point read asks on its way out.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

/// Idle read connections kept for point reads. Those run on the async
/// threads (one per core), so about one per core is ever in use at once;
/// the bound keeps their 16 MB page caches from adding up if more were
/// opened in a burst (the extra ones are closed after use).
fn max_idle_readers() -> usize {
    cores() * 2
}

/// Reader threads for lists, counts and searches, taking turns on one lane
/// per core. More than a few per core only adds threads, each with a
/// connection and its page cache, that wait for the same cores (at 64
/// connections that was most of the server's memory); the rest wait their
/// turn in the queue. The threads beyond the lanes run reads that have
/// given up their lane by running long (`readers`).
fn reader_threads() -> usize {
    cores() * 4
}

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: writer::Writer,
    /// Idle connections for point reads.
    readers: Mutex<Vec<Connection>>,
    /// Started at the first list: a CLI command that opens the store for a
    /// moment never needs them.
    reader_threads: OnceLock<readers::Readers>,
    hit_counts: search::HitCounts,
    clients: Arc<client_cache::ClientCache>,
}

/// How a store is opened.
#[derive(Debug, Clone, Copy)]
pub struct SqliteOptions {
    /// Clients kept for point reads (0: none). Sound only while this process
    /// is the database's one writer of clients: see `client_cache`.
    pub client_cache: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self { client_cache: client_cache::DEFAULT_CAPACITY }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema
    /// up to date.
    pub fn open(path: &Path) -> StoreResult<Self> {
        Self::open_with(path, SqliteOptions::default())
    }

    pub fn open_with(path: &Path, options: SqliteOptions) -> StoreResult<Self> {
        let mut conn = Connection::open(path).map_err(internal)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA secure_delete = ON;
             PRAGMA foreign_keys = ON;",
        )
        .map_err(internal)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(internal)?;
        migrations::apply(&mut conn)?;
        // The writer's own cache: an import's transaction dirties thousands
        // of pages across the indexes (SQLite's default is 2 MB).
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -65536;").map_err(internal)?;
        let checkpoints = checkpoints::Checkpointer::start(path)?;
        let wal = open_wal(path)?;
        let clients = Arc::new(client_cache::ClientCache::new(options.client_cache));
        let forget = client_cache::watch(&conn, clients.clone())?;
        let after_transaction = move |conn: &Connection| {
            forget(conn);
            checkpoints.after_transaction(conn);
        };
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: writer::Writer::start(conn, wal, after_transaction)?,
                readers: Mutex::new(Vec::new()),
                reader_threads: OnceLock::new(),
                hit_counts: search::HitCounts::new(),
                clients,
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

    /// Runs `f` on a reader thread: for lists and counts, which may take
    /// milliseconds.
    async fn read_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.reader_threads().run(f).await
    }

    fn reader_threads(&self) -> &readers::Readers {
        self.inner.reader_threads.get_or_init(|| {
            let path = self.inner.path.clone();
            readers::Readers::start(reader_threads(), cores(), move || open_reader(&path))
        })
    }

    fn take_reader(&self) -> StoreResult<Connection> {
        if let Some(conn) = self.inner.readers.lock().map_err(poisoned)?.pop() {
            return Ok(conn);
        }
        let conn = open_reader(&self.inner.path)?;
        // About one point-read connection per async thread is ever in use, and
        // point reads hop between random clients: with SQLite's default 2 MB
        // cache most of them read their index and table leaves from the OS
        // again (`pread` was 9% of GET's CPU). 16 MB keeps the leaves of a few
        // thousand hot clients (bench/README.md).
        conn.execute_batch("PRAGMA cache_size = -16384;").map_err(internal)?;
        Ok(conn)
    }

    fn return_reader(&self, conn: Connection) {
        if let Ok(mut idle) = self.inner.readers.lock() {
            if idle.len() < max_idle_readers() {
                idle.push(conn);
            }
        }
    }

}

/// Held by `clientele serve` while it runs: one server per SQLite file.
/// Its client cache sees only its own writes (see `client_cache`), so a
/// second server on the same file would serve what the other replaced.
/// Scale-out is PostgreSQL's job. The CLI (firms, keys, backup) needs no lock.
///
/// An advisory `flock` on a file beside the database (`<db>-serve.lock`),
/// not on the database itself: closing any descriptor of the database would
/// drop SQLite's own POSIX locks. The kernel lets go of it when the process
/// ends, however it ends.
pub struct ServeLock {
    _file: std::fs::File,
}

impl ServeLock {
    pub fn acquire(database: &Path) -> Result<Self, String> {
        let mut name = database.as_os_str().to_owned();
        name.push("-serve.lock");
        let path = PathBuf::from(name);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(format!(
                "another clientele server is serving {} (it holds {}); one server per SQLite database, \
                 use PostgreSQL to run several",
                database.display(),
                path.display()
            )),
            Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
        }
    }
}

/// The database's WAL file, for the writer's sync thread. The writer's
/// connection keeps it in place for as long as the store is open (SQLite
/// removes it only when the last connection closes); creating it if it is
/// not there yet is harmless, since SQLite reads an empty WAL as one with no
/// frames.
fn open_wal(path: &Path) -> StoreResult<std::fs::File> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&wal)
        .map_err(|e| StoreError::Internal(format!("open the WAL file: {e}")))
}

/// A read-only connection with cached statements.
fn open_reader(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(internal)?;
    // Zeroed freed pages on every connection, so that no connection (a
    // reader's is read-only, but the pragma costs nothing) leaves erased
    // bytes behind (docs/privacy.md, "Erasure").
    conn.busy_timeout(BUSY_TIMEOUT).map_err(internal)?;
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA secure_delete = ON;").map_err(internal)?;
    // Without the query planner stability guarantee, SQLite re-prepares a
    // statement whenever a bound value (such as `LIMIT ?`) could change its
    // plan: in list queries that was most of the CPU time. Our statements
    // are written for one plan each, so keep it.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(internal)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Online backup of the database at `source` into the new file `dest`: a
/// consistent copy as of one moment (`VACUUM INTO` reads in one transaction),
/// taken while servers keep reading and writing.
pub fn backup(source: &Path, dest: &Path) -> StoreResult<()> {
    if dest.exists() {
        return Err(StoreError::Internal(format!("{} already exists", dest.display())));
    }
    let conn = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(internal)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(internal)?;
    conn.execute_batch("PRAGMA secure_delete = ON;").map_err(internal)?;
    conn.execute("VACUUM INTO ?1", [dest.to_string_lossy()]).map_err(internal)?;
    Ok(())
}

/// Copies the WAL into the database and empties it, after an erasure: the
/// WAL's older frames still hold the pages as they were before (with the
/// erased data) until a checkpoint is followed by enough writes to wrap
/// around. Waits (up to its busy timeout, three times) for readers of older
/// snapshots; if they outlast that, the WAL is emptied at a later checkpoint
/// and the warning says so (docs/privacy.md, "Erasure").
fn truncate_wal(path: &Path) {
    let outcome = Connection::open(path).and_then(|conn| {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        for _ in 0..3 {
            let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
            if busy == 0 {
                return Ok(true);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Ok(false)
    });
    match outcome {
        Ok(true) => {}
        Ok(false) => tracing::warn!("WAL not emptied after an erasure: readers held it; a later checkpoint will"),
        Err(e) => tracing::warn!(error = %e, "WAL not emptied after an erasure"),
    }
}

fn internal(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Internal(e.to_string()),
    }
}

/// Locks `m` even if a thread panicked holding it: every user of these locks
/// leaves what they guard consistent between statements.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn poisoned<T>(_: std::sync::PoisonError<T>) -> StoreError {
    StoreError::Internal("reader pool lock poisoned".into())
}

#[async_trait]
impl Store for SqliteStore {
    fn pool_status(&self) -> PoolStatus {
        let idle = self.inner.readers.lock().map(|r| r.len()).unwrap_or(0);
        let (threads, threads_open) = self.inner.reader_threads.get().map_or((reader_threads(), 0), readers::Readers::connections);
        // Point readers are opened on demand (counted while idle), reader
        // threads open theirs at their first read, and the writer's is always open.
        PoolStatus { open: idle + threads_open + 1, idle, max: max_idle_readers() + threads + 1 }
    }

    /// Writes wait for the one writer, not for a connection, and it commits
    /// the ones waiting together: the more wait, the fewer commits (with
    /// half the small pool, a 1,000-row import batch ran 6 at a time; with
    /// 64, a 500-row one took 8 commits, each waiting for its `fsync`). So as
    /// many as one transaction of the writer's takes.
    fn writes_at_once(&self) -> usize {
        writer::MAX_BATCH
    }

    /// The writer runs the writes waiting for it in one transaction.
    fn commits_concurrent_writes_together(&self) -> bool {
        true
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read(|conn| conn.query_row("SELECT 1", [], |_| Ok(())).map_err(internal))
    }

    async fn get_firm(&self, id: FirmId) -> StoreResult<Option<Firm>> {
        self.read(|conn| queries::get_firm(conn, id))
    }

    async fn list_firms(&self) -> StoreResult<Vec<Firm>> {
        self.read(queries::list_firms)
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

    async fn find_user_sign_in(&self, firm: FirmId, email_key: &str) -> StoreResult<Option<(Record, Option<Credentials>)>> {
        self.read(|conn| sign_in::find_user(conn, firm, email_key))
    }

    async fn credentials(&self, firm: FirmId, user: UserId) -> StoreResult<Option<Credentials>> {
        self.read(|conn| sign_in::credentials(conn, firm, user))
    }

    async fn find_session(&self, token: &TokenHash) -> StoreResult<Option<(Session, Firm, Record)>> {
        self.read(|conn| sign_in::find_session(conn, token))
    }

    async fn purge_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        self.inner.writer.run(move |tx| sign_in::purge_sessions(tx, now)).await
    }

    async fn get_client(&self, firm: FirmId, id: ClientId) -> StoreResult<Option<Client>> {
        let cache = &self.inner.clients;
        if let Some(client) = cache.get(firm, id) {
            return Ok(Some(client));
        }
        let began = cache.epoch();
        let found = self.read(|conn| queries::get_client(conn, firm, id))?;
        if let Some(client) = &found {
            cache.put(began, client);
        }
        Ok(found)
    }

    async fn deleted_clients(&self, firm: FirmId, before: Timestamp, limit: usize) -> StoreResult<Vec<Client>> {
        self.read_blocking(move |conn| queries::deleted_clients(conn, firm, before, limit)).await
    }

    async fn list_clients(&self, firm: FirmId, query: &ClientQuery) -> StoreResult<Vec<Client>> {
        let (query, store) = (query.clone(), self.clone());
        self.read_blocking(move |conn| queries::list_clients(conn, firm, &query, &store.inner.hit_counts)).await
    }

    async fn count_clients(&self, firm: FirmId, filter: &ClientFilter, at_most: Option<u64>) -> StoreResult<u64> {
        let (filter, store) = (filter.clone(), self.clone());
        self.read_blocking(move |conn| queries::count_clients(conn, firm, &filter, at_most, &store.inner.hit_counts)).await
    }

    async fn match_groups(&self, firm: FirmId, query: &MatchQuery) -> StoreResult<Vec<MatchGroup>> {
        let query = query.clone();
        self.read_blocking(move |conn| duplicates::match_groups(conn, firm, &query)).await
    }

    async fn apply(&self, writes: Vec<Write>) -> StoreResult<Vec<i64>> {
        let erases = writes.iter().any(|w| matches!(w, Write::EraseClients(_)));
        // Built on this thread, not the writer's (see `prepared`).
        let prepared = prepared::Prepared::new(writes);
        let seqs = self.inner.writer.run(move |tx| queries::apply(tx, &prepared)).await?;
        if erases {
            let path = self.inner.path.clone();
            let _ = tokio::task::spawn_blocking(move || truncate_wal(&path)).await;
        }
        Ok(seqs)
    }

    async fn get_record(&self, firm: FirmId, kind: RecordKind, id: uuid::Uuid) -> StoreResult<Option<Record>> {
        self.read(|conn| queries::get_record(conn, firm, kind, id))
    }

    async fn find_record(&self, kind: RecordKind, unique_key: &str) -> StoreResult<Option<Record>> {
        self.read(|conn| queries::find_record(conn, kind, unique_key))
    }

    async fn list_records(&self, firm: FirmId, kind: RecordKind, query: &RecordQuery) -> StoreResult<Vec<Record>> {
        let query = query.clone();
        self.read_blocking(move |conn| queries::list_records(conn, firm, kind, &query)).await
    }

    async fn count_records(&self, firm: FirmId, kind: RecordKind, filter: &RecordFilter, at_most: Option<u64>) -> StoreResult<u64> {
        let filter = filter.clone();
        self.read_blocking(move |conn| queries::count_records(conn, firm, kind, &filter, at_most)).await
    }

    async fn deleted_records(&self, firm: FirmId, before: Timestamp, limit: usize) -> StoreResult<Vec<Record>> {
        self.read_blocking(move |conn| queries::deleted_records(conn, firm, before, limit)).await
    }

    async fn idempotency_record(&self, scope: [u8; 32], key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        self.read(|conn| queries::idempotency_record(conn, scope, key))
    }

    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64> {
        self.inner.writer.run(move |tx| queries::purge_idempotency_keys(tx, before)).await
    }

    async fn list_events(&self, firm: FirmId, query: &EventQuery) -> StoreResult<Vec<Event>> {
        let query = query.clone();
        self.read_blocking(move |conn| webhooks::list_events(conn, firm, &query)).await
    }

    async fn webhook_cursors_behind(&self, limit: usize) -> StoreResult<Vec<WebhookCursor>> {
        self.read_blocking(move |conn| webhooks::cursors_behind(conn, limit)).await
    }

    async fn due_webhooks(&self, now: Timestamp, limit: usize) -> StoreResult<Vec<WebhookId>> {
        self.read_blocking(move |conn| webhooks::due_webhooks(conn, now, limit)).await
    }

    async fn claim_deliveries(&self, webhook: WebhookId, now: Timestamp, lease: i64, limit: usize) -> StoreResult<Vec<Delivery>> {
        self.inner.writer.run(move |tx| webhooks::claim(tx, webhook, now, lease, limit)).await
    }

    async fn list_deliveries(&self, firm: FirmId, webhook: WebhookId, query: &DeliveryQuery) -> StoreResult<Vec<(i64, Delivery)>> {
        let query = query.clone();
        self.read_blocking(move |conn| webhooks::list_deliveries(conn, firm, webhook, &query)).await
    }

    async fn get_delivery(&self, firm: FirmId, webhook: WebhookId, id: DeliveryId) -> StoreResult<Option<Delivery>> {
        self.read(|conn| webhooks::get_delivery(conn, firm, webhook, id))
    }

    async fn webhook_failing_since(&self, webhook: WebhookId) -> StoreResult<Option<Timestamp>> {
        self.read(|conn| webhooks::failing_since(conn, webhook))
    }

    async fn queue_status(&self) -> StoreResult<QueueStatus> {
        self.read_blocking(webhooks::queue_status).await
    }

    async fn purge_deliveries(&self, firm: FirmId, before: Timestamp) -> StoreResult<u64> {
        self.inner.writer.run(move |tx| webhooks::purge_deliveries(tx, firm, before)).await
    }
}
