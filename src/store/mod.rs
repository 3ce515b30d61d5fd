//! Storage: one interface, two implementations (SQLite, embedded default; and
//! PostgreSQL, for many stateless nodes). No SQL lives above this module, and
//! every call that reads or changes a firm's records takes that firm's id.

pub mod postgres;
pub mod sql;
pub mod sqlite;

use async_trait::async_trait;

use crate::domain::api_key::{ApiKey, SecretHash};
use crate::domain::client::query::{ClientFilter, ClientQuery};
use crate::domain::client::Client;
use crate::domain::event::Event;
use crate::domain::firm::Firm;
use crate::domain::ids::{ClientId, FirmId, KeyId, UserId};
use crate::domain::record::{Record, RecordFilter, RecordKind, RecordQuery};
use crate::domain::time::Timestamp;

/// A unique constraint a write can run into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// One live client per case-folded primary email per firm.
    ClientEmail,
    /// One live record per `unique_key` per kind per firm.
    RecordKey,
    Other,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("the record does not exist")]
    NotFound,
    /// A compare-and-set update found another version than it expected.
    #[error("the record was changed by someone else")]
    VersionMismatch,
    #[error("a unique constraint was violated: {0:?}")]
    Duplicate(Unique),
    /// The database can't be reached or is overloaded; worth retrying.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// A record that `field` refers to is gone (checked inside the transaction).
    #[error("the record `{0}` refers to does not exist")]
    MissingReference(&'static str),
    #[error("store failure: {0}")]
    Internal(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How the store's connections are used right now (for `/metrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open (in use or idle).
    pub open: usize,
    pub idle: usize,
    pub max: usize,
}

/// A response kept for replay under an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What claiming an idempotency key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or its first request was abandoned): run the request.
    Claimed,
    /// Another request with this key is running.
    InProgress { request_hash: [u8; 32] },
    /// A request with this key finished; here is what it answered.
    Completed { request_hash: [u8; 32], response: StoredResponse },
}

/// One change in a transaction of several ([`Store::apply`]).
#[derive(Debug, Clone)]
pub enum Write {
    InsertClient(Client),
    /// Like [`Store::update_client`]: `VersionMismatch` if the stored version differs.
    UpdateClient { client: Client, expected_version: i64 },
    InsertRecord(Record),
    /// `VersionMismatch` if the stored version differs, `NotFound` if absent.
    UpdateRecord { record: Record, expected_version: i64 },
    /// Erases a record and the records it is the parent of, if still at `version`.
    PurgeRecord { firm: FirmId, id: uuid::Uuid, version: i64 },
    /// `MissingReference(field)` unless the client is live; until commit, the client can't be
    /// deleted by anyone else (so a matter never lands on a deleted client).
    RequireLiveClient { firm: FirmId, id: ClientId, field: &'static str },
    /// `MissingReference(field)` unless the record is live; until commit, it
    /// can't be deleted by anyone else.
    RequireLiveRecord { firm: FirmId, kind: RecordKind, id: uuid::Uuid, field: &'static str },
    /// `VersionMismatch` if the client still has a live matter (after the
    /// transaction's own cascade: one opened meanwhile).
    RequireNoLiveMatters { firm: FirmId, client: ClientId },
    InsertKey(ApiKey),
    /// Revokes every unrevoked key of a user.
    RevokeUserKeys { firm: FirmId, user: UserId, at: Timestamp },
    Event(Event),
}

/// Everything the service needs from a database.
///
/// Each write is one transaction that includes its audit events, so a change
/// and its event are committed together or not at all.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether the database answers (for `/readyz`).
    async fn ping(&self) -> StoreResult<()>;
    fn pool_status(&self) -> PoolStatus;

    async fn create_firm(&self, firm: &Firm, keys: &[ApiKey], events: &[Event]) -> StoreResult<()>;
    async fn get_firm(&self, id: FirmId) -> StoreResult<Option<Firm>>;
    async fn list_firms(&self) -> StoreResult<Vec<Firm>>;
    async fn update_firm_settings(&self, id: FirmId, settings: &crate::domain::firm::FirmSettings, event: &Event) -> StoreResult<()>;

    async fn insert_key(&self, key: &ApiKey, event: &Event) -> StoreResult<()>;
    /// The key with this secret hash and its firm, whatever the key's state.
    async fn find_key(&self, hash: &SecretHash) -> StoreResult<Option<(ApiKey, Firm)>>;
    async fn get_key(&self, firm: FirmId, id: KeyId) -> StoreResult<Option<ApiKey>>;
    async fn list_keys(&self, firm: FirmId) -> StoreResult<Vec<ApiKey>>;
    /// Marks a key revoked; `NotFound` if it isn't this firm's or already revoked.
    async fn revoke_key(&self, firm: FirmId, id: KeyId, at: Timestamp, event: &Event) -> StoreResult<()>;
    /// Records use of a key; not audited (it is not a change anyone made).
    async fn touch_key(&self, id: KeyId, at: Timestamp) -> StoreResult<()>;

    /// Inserts a client and returns its per-table sequence number.
    async fn insert_client(&self, client: &Client, event: &Event) -> StoreResult<i64>;
    /// A client of this firm, including soft-deleted ones.
    async fn get_client(&self, firm: FirmId, id: ClientId) -> StoreResult<Option<Client>>;
    /// Writes `client` (its writable fields, version, timestamps and deletion
    /// mark) if the stored version is still `expected_version`.
    async fn update_client(&self, client: &Client, expected_version: i64, event: &Event) -> StoreResult<()>;
    /// Soft-deleted clients of a firm deleted before `before`, oldest first.
    async fn deleted_clients(&self, firm: FirmId, before: Timestamp, limit: usize) -> StoreResult<Vec<Client>>;
    /// Erases a soft-deleted client for good if it is still at `version`.
    async fn purge_client(&self, firm: FirmId, id: ClientId, version: i64, event: &Event) -> StoreResult<()>;
    /// Live clients matching the query, in its order, at most `limit`.
    async fn list_clients(&self, firm: FirmId, query: &ClientQuery) -> StoreResult<Vec<Client>>;
    async fn count_clients(&self, firm: FirmId, filter: &ClientFilter) -> StoreResult<u64>;

    /// Runs `writes` in order in one transaction: all or nothing. Returns the
    /// sequence numbers of the inserted clients and records, in order.
    async fn apply(&self, writes: Vec<Write>) -> StoreResult<Vec<i64>>;
    /// A record of this firm, including soft-deleted ones.
    async fn get_record(&self, firm: FirmId, kind: RecordKind, id: uuid::Uuid) -> StoreResult<Option<Record>>;
    /// The live record of a kind with this unique key, in whatever firm (for
    /// capabilities such as intake tokens, whose key is a secret's hash).
    async fn find_record(&self, kind: RecordKind, unique_key: &str) -> StoreResult<Option<Record>>;
    async fn list_records(&self, firm: FirmId, kind: RecordKind, query: &RecordQuery) -> StoreResult<Vec<Record>>;
    async fn count_records(&self, firm: FirmId, kind: RecordKind, filter: &RecordFilter) -> StoreResult<u64>;
    /// Soft-deleted records of a firm deleted before `before`, oldest first.
    async fn deleted_records(&self, firm: FirmId, before: Timestamp, limit: usize) -> StoreResult<Vec<Record>>;

    /// Claims `key` for a request: new keys (and keys whose first request
    /// started before `stale_before` and never finished) are claimed for it.
    async fn claim_idempotency_key(
        &self,
        scope: [u8; 32],
        key: &str,
        request_hash: [u8; 32],
        now: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<Claim>;
    /// Records the response of the request that claimed `key`.
    async fn complete_idempotency_key(&self, scope: [u8; 32], key: &str, response: &StoredResponse) -> StoreResult<()>;
    /// Forgets a claim whose request failed in a way worth retrying.
    async fn release_idempotency_key(&self, scope: [u8; 32], key: &str) -> StoreResult<()>;
    /// Erases keys created before `before`; returns how many.
    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64>;

    /// Events of a firm after `after_seq`, oldest first.
    async fn list_events(&self, firm: FirmId, after_seq: i64, limit: usize) -> StoreResult<Vec<Event>>;
}
