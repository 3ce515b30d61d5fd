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
use crate::domain::ids::{ClientId, FirmId, KeyId};
use crate::domain::time::Timestamp;

/// A unique constraint a write can run into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// One live client per case-folded primary email per firm.
    ClientEmail,
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
    #[error("store failure: {0}")]
    Internal(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the service needs from a database.
///
/// Each write is one transaction that includes its audit events, so a change
/// and its event are committed together or not at all.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether the database answers (for `/readyz`).
    async fn ping(&self) -> StoreResult<()>;

    async fn create_firm(&self, firm: &Firm, keys: &[ApiKey], events: &[Event]) -> StoreResult<()>;
    async fn get_firm(&self, id: FirmId) -> StoreResult<Option<Firm>>;
    async fn list_firms(&self) -> StoreResult<Vec<Firm>>;

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

    /// Events of a firm after `after_seq`, oldest first.
    async fn list_events(&self, firm: FirmId, after_seq: i64, limit: usize) -> StoreResult<Vec<Event>>;
}
