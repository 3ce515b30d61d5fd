//! Storage: one interface, two implementations (SQLite, embedded default; and
//! PostgreSQL, for many stateless nodes). No SQL lives above this module, and
//! every call that reads or changes a firm's records takes that firm's id.

pub mod deliveries;
pub mod erasure;
pub mod postgres;
pub mod sign_in;
pub mod sql;
pub mod sqlite;

use async_trait::async_trait;

use crate::domain::api_key::{ApiKey, SecretHash};
use crate::domain::client::query::{ClientFilter, ClientQuery};
use crate::domain::client::match_keys::MatchKind;
use crate::domain::client::Client;
use crate::domain::credential::{Credentials, PasswordHash, Session, TokenHash};
use crate::domain::event::Event;
use crate::domain::firm::{Firm, FirmSettings};
use crate::domain::ids::{ClientId, DeliveryId, FirmId, KeyId, SessionId, UserId, WebhookId};
use crate::domain::webhook::{Attempt, Delivery, DeliveryStatus};
use crate::domain::record::{Record, RecordFields, RecordFilter, RecordKind, RecordQuery, Reference, Stored, Target};
use crate::domain::time::Timestamp;

/// A unique constraint a write can run into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// One live client per primary email (canonical form) per firm.
    ClientEmail,
    /// One live client per external id per firm.
    ClientExternalId,
    /// One live record per `unique_key` per kind per firm.
    RecordKey,
    /// One idempotency record per key per credential.
    IdempotencyKey,
    Other,
}

impl Unique {
    /// The constraint a unique index (named alike in both schemas) enforces.
    pub fn of_index(name: &str) -> Self {
        match name {
            "clients_email" => Unique::ClientEmail,
            "clients_external_id" => Unique::ClientExternalId,
            "records_unique" => Unique::RecordKey,
            // PostgreSQL's primary key, and SQLite's index for it.
            "idempotency_keys_pkey" | "sqlite_autoindex_idempotency_keys_1" => Unique::IdempotencyKey,
            _ => Unique::Other,
        }
    }
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
    /// A reference the write makes does not name what it must (checked
    /// inside the transaction; see [`Link`]).
    #[error("the record `{}` refers to is not there", .0.field)]
    MissingReference(Reference),
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

/// What an idempotency key holds: the request that first used it, when, and
/// its response once kept (none while its change has committed and its
/// response is still being kept, or was lost in a crash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub request_hash: [u8; 32],
    pub created_at: Timestamp,
    pub response: Option<StoredResponse>,
}

/// One change in a transaction of several ([`Store::apply`]).
///
/// Inserts and updates carry the references their record makes ([`Link`]),
/// and the store checks them all once the batch's writes have run, inside
/// its transaction: no write can link one firm's data to another's. Build
/// them with [`Write::insert_client`], [`Write::update_client`],
/// [`Write::insert_record`] and [`Write::update_record`], which derive the
/// links from the fields.
#[derive(Debug, Clone)]
pub enum Write {
    InsertClient { client: Client, links: Links },
    /// `VersionMismatch` if the stored version is not `expected_version`.
    UpdateClient { client: Client, expected_version: i64, links: Links },
    InsertRecord { record: Record, links: Links },
    /// `VersionMismatch` if the stored version differs, or the record is absent.
    UpdateRecord { record: Record, expected_version: i64, links: Links },
    /// Erases a record and the records it is the parent of, if still at `version`.
    PurgeRecord { firm: FirmId, id: uuid::Uuid, version: i64 },
    /// Erases a soft-deleted client, with its records and theirs, if still
    /// at `version` (`VersionMismatch` if not).
    PurgeClient { firm: FirmId, id: ClientId, version: i64 },
    InsertFirm(Firm),
    UpdateFirmSettings { firm: FirmId, settings: FirmSettings },
    /// `MissingReference` unless the reference names a live record of the
    /// firm; until commit, that record can't be deleted by anyone else (so a
    /// matter is never restored onto a deleted client).
    RequireLive { firm: FirmId, reference: Reference },
    /// `VersionMismatch` if the client still has a live matter (after the
    /// transaction's own cascade: one opened meanwhile).
    RequireNoLiveMatters { firm: FirmId, client: ClientId },
    /// `VersionMismatch` if a live record still has the client as its parent,
    /// or a live person still has it as their company (after the
    /// transaction's own moves: one added meanwhile).
    RequireNoDependants { firm: FirmId, client: ClientId },
    InsertKey(ApiKey),
    /// `NotFound` unless the key is this firm's and not yet revoked.
    RevokeKey { firm: FirmId, id: KeyId, at: Timestamp },
    /// Revokes every unrevoked key of a user.
    RevokeUserKeys { firm: FirmId, user: UserId, at: Timestamp },
    /// Notes a key's use; not a change anyone made, so it has no event.
    TouchKey { id: KeyId, at: Timestamp },
    /// Records that the request holding this idempotency key changed
    /// something, in the transaction of that change: `Duplicate(IdempotencyKey)`
    /// if another request with the key did first.
    ClaimIdempotencyKey { scope: [u8; 32], key: String, request_hash: [u8; 32], at: Timestamp },
    /// Keeps the response of the request holding this key, for its retries;
    /// nothing if a response is kept already.
    KeepIdempotentResponse { scope: [u8; 32], key: String, request_hash: [u8; 32], at: Timestamp, response: StoredResponse },
    /// Starts a subscription's reading of its firm's event log after the
    /// events numbered so far.
    StartWebhookCursor { firm: FirmId, webhook: WebhookId },
    /// Moves a subscription's cursor from `from` to `to`; `VersionMismatch`
    /// if it is no longer at `from` (another node got there first).
    AdvanceWebhookCursor { webhook: WebhookId, from: i64, to: i64 },
    /// Forgets a subscription's run of failures (it was turned off or on).
    ClearWebhookFailures { webhook: WebhookId },
    /// Forgets the cursor of a subscription that was purged.
    DropWebhookCursor { webhook: WebhookId },
    InsertDelivery(Delivery),
    /// What an attempt came to, from the node whose claim is `lease`: if
    /// that claim was lost (it outlived its lease and another node claimed
    /// the delivery), nothing. Notes the attempt, the delivery's new status
    /// and next attempt, and whether its subscription is failing.
    FinishAttempt(Finished),
    /// Queues a delivery of the firm's subscription again, at `at`, unless
    /// an attempt is under way.
    RetryDelivery { firm: FirmId, webhook: WebhookId, id: DeliveryId, at: Timestamp },
    /// Erases clients and what holds their data ([`Erasure`]);
    /// `VersionMismatch` if a client is no longer at its version, or a
    /// record was linked to one of them since the erasure was planned.
    EraseClients(Erasure),
    /// `VersionMismatch` if any of these events of the firm has been
    /// redacted: an erasure committed after they were read, so what was
    /// made from them (webhook payloads) carries erased data.
    RequireUnredacted { firm: FirmId, seqs: Vec<i64> },
    /// Passwords and sessions ([`SignInWrite`]).
    SignIn(SignInWrite),
    /// Inserted after every other write of the batch (see [`Store::apply`]).
    Event(Event),
}

/// Changes to how users sign in (SQL: `store::sign_in`).
#[derive(Debug, Clone)]
pub enum SignInWrite {
    /// Sets a user's password, forgetting their failures and lock.
    SetPassword { firm: FirmId, user: UserId, hash: PasswordHash, at: Timestamp },
    /// Counts a failed sign-in; the one that makes the limit locks the
    /// account. Bookkeeping, like a key's use: it has no event.
    Failed { firm: FirmId, user: UserId, at: Timestamp },
    /// Forgets a user's failures and lock (they signed in).
    Succeeded { firm: FirmId, user: UserId },
    InsertSession(Session),
    /// Ends one session (sign-out); nothing if it is gone already.
    DeleteSession { firm: FirmId, id: SessionId },
    /// Ends a user's sessions, but for `except` (the one changing its own password).
    EndUserSessions { firm: FirmId, user: UserId, except: Option<SessionId> },
    /// Drops a deleted user's sessions and password.
    Forget { firm: FirmId, user: UserId },
}

/// What an erasure removes, as the service planned it from what it read
/// (docs/privacy.md, "Erasure"). Its SQL is `store::erasure`.
#[derive(Debug, Clone)]
pub struct Erasure {
    pub firm: FirmId,
    /// The clients, each at the version it was read at.
    pub clients: Vec<(ClientId, i64)>,
    /// The records removed with them: their notes and leads, and erased
    /// matters with their notes.
    pub records: Vec<uuid::Uuid>,
    /// Public ids of the clients and those records: their events are
    /// redacted and their webhook deliveries dropped.
    pub resources: Vec<String>,
    /// Kept idempotent responses containing any of these are forgotten.
    pub texts: Vec<String>,
}

/// The outcome of one claimed attempt ([`Write::FinishAttempt`]).
#[derive(Debug, Clone)]
pub struct Finished {
    pub delivery: DeliveryId,
    pub webhook: WebhookId,
    pub lease: i64,
    /// `None` when no request was made (its subscription is gone or disabled).
    pub attempt: Option<Attempt>,
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<Timestamp>,
}

/// How far a subscription has read its firm's event log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookCursor {
    pub firm: FirmId,
    pub webhook: WebhookId,
    pub last_seq: i64,
}

/// The webhook queue, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStatus {
    pub pending: u64,
    pub oldest_pending: Option<Timestamp>,
}

/// A page of one subscription's deliveries, newest first.
#[derive(Debug, Clone, Default)]
pub struct DeliveryQuery {
    pub status: Option<DeliveryStatus>,
    /// Only deliveries older than the one with this position (a cursor).
    pub before: Option<i64>,
    pub limit: usize,
}

/// Which of a firm's events to read, and in which order.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Only events after this `seq` (oldest first), or, with `newest_first`,
    /// before it.
    pub from_seq: Option<i64>,
    pub newest_first: bool,
    /// Only these types (patterns already expanded); empty means all.
    pub types: Vec<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub limit: usize,
    /// Only what is numbered already: no numbering of the firm's stragglers
    /// first (PostgreSQL), which waits for the firm's writers. For a reader
    /// that comes back soon anyway, and finds stragglers another way (the
    /// webhook fan-out: [`Store::webhook_cursors_behind`]).
    pub numbered_only: bool,
}

/// Which groups of clients sharing a match key to read ([`Store::match_groups`]).
#[derive(Debug, Clone)]
pub struct MatchQuery {
    pub kind: MatchKind,
    /// Only keys after this one (or from it, when `inclusive`), in key order.
    pub after: Option<String>,
    pub inclusive: bool,
    pub limit: usize,
    /// Members read per group, by id.
    pub max_members: usize,
}

/// Live clients of a firm sharing one match key.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchGroup {
    pub key: String,
    /// How many share it (more than `members` may hold).
    pub size: u64,
    /// Their ids and normalised names.
    pub members: Vec<(ClientId, String)>,
}

/// A reference a write makes, and whether the record already held it.
///
/// A new link must name a live record of the right kind in the writer's
/// firm. A kept one (made by an earlier write) may name a record that has
/// since been deleted, purged or changed kind, but never one of another firm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub reference: Reference,
    pub kept: bool,
}

/// The links of one write. Only this module makes them (from the fields,
/// in [`Write`]'s constructors), so no caller can leave one out.
#[derive(Debug, Clone)]
pub struct Links(Vec<Link>);

impl Links {
    /// The links of `after`, each kept if `before` made it too.
    fn between(before: &[Reference], after: Vec<Reference>) -> Self {
        let kept = |r: &Reference| before.iter().any(|b| b.field == r.field && b.id == r.id);
        Links(after.into_iter().map(|reference| Link { kept: kept(&reference), reference }).collect())
    }
}

impl Link {
    /// Whether what the store found where the link points is acceptable.
    pub(crate) fn verdict(&self, found: Option<Found>) -> StoreResult<()> {
        let ok = match found {
            None => self.kept,
            Some(found) if self.kept => found.same_firm,
            Some(found) => {
                found.same_firm
                    && found.live
                    && match self.reference.target {
                        Target::Client => true,
                        Target::Company => found.kind == "company",
                        Target::Record(kind) => found.kind == kind.as_str(),
                    }
            }
        };
        if ok {
            Ok(())
        } else {
            Err(StoreError::MissingReference(self.reference))
        }
    }
}

/// What a reference points at, as the store found it (by id, in any firm).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub same_firm: bool,
    /// `clients.kind` (`person`, `company`) or `records.kind`.
    pub kind: String,
    pub live: bool,
}

impl Write {
    pub fn insert_client(client: &Client) -> Self {
        Write::InsertClient { client: client.clone(), links: Links::between(&[], client.fields.references()) }
    }

    /// Replaces `current` with `next`, if `current` is still the stored version.
    pub fn update_client(current: &Client, next: &Client) -> Self {
        let links = Links::between(&current.fields.references(), next.fields.references());
        Write::UpdateClient { client: next.clone(), expected_version: current.version, links }
    }

    pub fn insert_record<F: RecordFields>(record: &Stored<F>) -> Self {
        Write::InsertRecord { record: record.to_record(), links: Links::between(&[], record.fields.references()) }
    }

    /// Replaces `current` with `next`, if `current` is still the stored version.
    pub fn update_record<F: RecordFields>(current: &Stored<F>, next: &Stored<F>) -> Self {
        let links = Links::between(&current.fields.references(), next.fields.references());
        Write::UpdateRecord { record: next.to_record(), expected_version: current.version, links }
    }

    /// The firm and links of a write that makes references.
    pub(crate) fn links(&self) -> Option<(FirmId, &[Link])> {
        match self {
            Write::InsertClient { client, links } | Write::UpdateClient { client, links, .. } => Some((client.firm_id, &links.0)),
            Write::InsertRecord { record, links } | Write::UpdateRecord { record, links, .. } => Some((record.firm_id, &links.0)),
            _ => None,
        }
    }
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
    /// Separate writes worth running at once (a non-atomic batch's): enough
    /// for the store to commit them together, few enough to leave
    /// connections for other requests.
    fn writes_at_once(&self) -> usize {
        (self.pool_status().max / 2).clamp(1, 32)
    }
    /// Whether separate writes sent at once are committed together by the
    /// store itself (one transaction and one disk flush for many). Where
    /// not, a non-atomic batch gathers its operations' writes into one
    /// commit of its own.
    fn commits_concurrent_writes_together(&self) -> bool {
        false
    }

    async fn get_firm(&self, id: FirmId) -> StoreResult<Option<Firm>>;
    async fn list_firms(&self) -> StoreResult<Vec<Firm>>;

    /// The key with this secret hash and its firm, whatever the key's state.
    async fn find_key(&self, hash: &SecretHash) -> StoreResult<Option<(ApiKey, Firm)>>;
    async fn get_key(&self, firm: FirmId, id: KeyId) -> StoreResult<Option<ApiKey>>;
    async fn list_keys(&self, firm: FirmId) -> StoreResult<Vec<ApiKey>>;

    /// The firm's live user with this unique key (folded email), and their
    /// password, if they have one.
    async fn find_user_sign_in(&self, firm: FirmId, email_key: &str) -> StoreResult<Option<(Record, Option<Credentials>)>>;
    async fn credentials(&self, firm: FirmId, user: UserId) -> StoreResult<Option<Credentials>>;
    /// The session with this token, whatever its state, with its firm and
    /// its user's record (deleted or not).
    async fn find_session(&self, token: &TokenHash) -> StoreResult<Option<(Session, Firm, Record)>>;
    /// Erases sessions expired by `now` (upkeep, without events); returns how many.
    async fn purge_sessions(&self, now: Timestamp) -> StoreResult<u64>;

    /// A client of this firm, including soft-deleted ones.
    async fn get_client(&self, firm: FirmId, id: ClientId) -> StoreResult<Option<Client>>;
    /// Soft-deleted clients of a firm deleted before `before`, oldest first.
    async fn deleted_clients(&self, firm: FirmId, before: Timestamp, limit: usize) -> StoreResult<Vec<Client>>;
    /// Live clients matching the query, in its order, at most `limit`.
    async fn list_clients(&self, firm: FirmId, query: &ClientQuery) -> StoreResult<Vec<Client>>;
    /// Live clients matching the filter, counted up to `at_most` (all if `None`).
    async fn count_clients(&self, firm: FirmId, filter: &ClientFilter, at_most: Option<u64>) -> StoreResult<u64>;
    /// Groups of two or more live clients of a firm sharing a match key
    /// (kept with every client write, in its transaction).
    async fn match_groups(&self, firm: FirmId, query: &MatchQuery) -> StoreResult<Vec<MatchGroup>>;

    /// Runs `writes` in one transaction, all or nothing: the writes in order,
    /// then the checks of the references they made, then their events in
    /// order. Returns the sequence numbers of the inserted clients and
    /// records, in order. This is the only way to write.
    ///
    /// Events go last for PostgreSQL's sake, and both stores keep one order:
    /// there an event is numbered after commit by the order it was inserted
    /// in, so it must be inserted after the row locks of its change are
    /// held. A write that waited for another's lock on the same record then
    /// gets its event after that one's, and events of one record are numbered
    /// in the order of its changes.
    async fn apply(&self, writes: Vec<Write>) -> StoreResult<Vec<i64>>;
    /// A record of this firm, including soft-deleted ones.
    async fn get_record(&self, firm: FirmId, kind: RecordKind, id: uuid::Uuid) -> StoreResult<Option<Record>>;
    /// The live record of a kind with this unique key, in whatever firm (for
    /// capabilities such as intake tokens, whose key is a secret's hash).
    async fn find_record(&self, kind: RecordKind, unique_key: &str) -> StoreResult<Option<Record>>;
    async fn list_records(&self, firm: FirmId, kind: RecordKind, query: &RecordQuery) -> StoreResult<Vec<Record>>;
    /// Records matching the filter, counted up to `at_most` (all if `None`).
    async fn count_records(&self, firm: FirmId, kind: RecordKind, filter: &RecordFilter, at_most: Option<u64>) -> StoreResult<u64>;
    /// Soft-deleted records of a firm deleted before `before`, oldest first.
    async fn deleted_records(&self, firm: FirmId, before: Timestamp, limit: usize) -> StoreResult<Vec<Record>>;

    /// What a credential's idempotency key holds, if it was used.
    async fn idempotency_record(&self, scope: [u8; 32], key: &str) -> StoreResult<Option<IdempotencyRecord>>;
    /// Erases keys created before `before` (upkeep, without events);
    /// returns how many.
    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64>;

    /// Events of a firm, as the query asks.
    async fn list_events(&self, firm: FirmId, query: &EventQuery) -> StoreResult<Vec<Event>>;

    /// Subscriptions whose firm has numbered events past their cursor.
    async fn webhook_cursors_behind(&self, limit: usize) -> StoreResult<Vec<WebhookCursor>>;
    /// Subscriptions with a pending delivery due at `now` and not claimed.
    async fn due_webhooks(&self, now: Timestamp, limit: usize) -> StoreResult<Vec<WebhookId>>;
    /// Claims up to `limit` of a subscription's due deliveries until `lease`
    /// (milliseconds, later than any lease before: the claim's token), in
    /// order of their next attempt and event.
    async fn claim_deliveries(&self, webhook: WebhookId, now: Timestamp, lease: i64, limit: usize) -> StoreResult<Vec<Delivery>>;
    /// A page of a firm's subscription's deliveries, with their attempts,
    /// each with its position for the next page's `before`.
    async fn list_deliveries(&self, firm: FirmId, webhook: WebhookId, query: &DeliveryQuery) -> StoreResult<Vec<(i64, Delivery)>>;
    async fn get_delivery(&self, firm: FirmId, webhook: WebhookId, id: DeliveryId) -> StoreResult<Option<Delivery>>;
    /// Since when every attempt to reach the subscription has failed.
    async fn webhook_failing_since(&self, webhook: WebhookId) -> StoreResult<Option<Timestamp>>;
    async fn queue_status(&self) -> StoreResult<QueueStatus>;
    /// Erases a firm's finished deliveries created before `before`, with
    /// their attempts (upkeep, without events); returns how many.
    async fn purge_deliveries(&self, firm: FirmId, before: Timestamp) -> StoreResult<u64>;
}
