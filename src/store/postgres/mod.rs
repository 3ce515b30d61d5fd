//! The PostgreSQL store: for many stateless nodes on one (managed, replicated)
//! database. Each write is one transaction, its events included.

mod delivery_batches;
mod duplicates;
mod migrations;
mod numbering;
mod queries;
mod rows;
mod sign_in;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

use super::{MatchGroup, MatchQuery, DeliveryQuery, EventQuery, IdempotencyRecord, PoolStatus, QueueStatus, Store, StoreError, StoreResult, Unique, WebhookCursor, Write};
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

/// Connection pool and timeout settings.
#[derive(Debug, Clone)]
pub struct PgSettings {
    pub pool_size: usize,
    /// Limit on opening a connection, and on waiting for a free one.
    pub connect_timeout: Duration,
    /// Limit on any one statement, enforced by the server.
    pub statement_timeout: Duration,
}

impl Default for PgSettings {
    fn default() -> Self {
        Self { pool_size: 16, connect_timeout: Duration::from_secs(3), statement_timeout: Duration::from_secs(5) }
    }
}

#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    numbering: std::sync::Arc<numbering::Numbering>,
}

impl PgStore {
    /// Connects, and brings the schema up to date (under an advisory lock, so
    /// nodes starting together don't race).
    pub async fn open(url: &str, settings: &PgSettings) -> StoreResult<Self> {
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| StoreError::Internal(format!("bad URL: {e}")))?;
        config.connect_timeout(settings.connect_timeout);
        config.options(format!("-c statement_timeout={}", settings.statement_timeout.as_millis()));
        config.application_name("clientele");
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(settings.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(settings.connect_timeout))
            .create_timeout(Some(settings.connect_timeout))
            .recycle_timeout(Some(settings.connect_timeout))
            .build()
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        let store = Self { pool, numbering: Default::default() };
        let mut conn = store.conn().await?;
        migrations::apply(&mut conn).await?;
        Ok(store)
    }

    async fn conn(&self) -> StoreResult<Object> {
        self.pool.get().await.map_err(pool_error)
    }
}

fn pool_error(e: PoolError) -> StoreError {
    StoreError::Unavailable(format!("no database connection: {e}"))
}

/// Maps a driver error: lost connections and cancelled (timed-out) statements
/// are worth retrying; unique violations are the caller's conflicts.
pub(crate) fn db_error(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        return match *db.code() {
            SqlState::UNIQUE_VIOLATION => StoreError::Duplicate(Unique::of_index(db.constraint().unwrap_or_default())),
            SqlState::QUERY_CANCELED | SqlState::ADMIN_SHUTDOWN | SqlState::CANNOT_CONNECT_NOW | SqlState::TOO_MANY_CONNECTIONS => {
                StoreError::Unavailable(db.message().to_string())
            }
            SqlState::T_R_SERIALIZATION_FAILURE | SqlState::T_R_DEADLOCK_DETECTED => StoreError::Unavailable(db.message().to_string()),
            _ => StoreError::Internal(format!("{}: {}", db.code().code(), db.message())),
        };
    }
    // No server error: the connection broke or never opened.
    StoreError::Unavailable(e.to_string())
}

/// Runs `$body` in a transaction on a pooled connection and commits. Given
/// `events of FIRM`, then numbers the events it wrote for that firm.
macro_rules! in_transaction {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let mut conn = $store.conn().await?;
        let $tx = conn.transaction().await.map_err(db_error)?;
        let value = $body;
        $tx.commit().await.map_err(db_error)?;
        Ok(value)
    }};
    ($store:expr, events of $firm:expr, |$tx:ident| $body:expr) => {{
        let mut conn = $store.conn().await?;
        let $tx = conn.transaction().await.map_err(db_error)?;
        let value = $body;
        $tx.commit().await.map_err(db_error)?;
        // The connection goes back to the pool: the numbering may wait.
        drop(conn);
        if let Some(firm) = $firm {
            $store.numbering.after_commit(&$store.pool, firm).await;
        }
        Ok(value)
    }};
}

/// The firm whose events a multi-write transaction writes (one firm each).
fn events_firm(writes: &[Write]) -> Option<FirmId> {
    writes.iter().find_map(|w| match w {
        Write::Event(event) => Some(event.firm_id),
        _ => None,
    })
}

#[async_trait]
impl Store for PgStore {
    fn pool_status(&self) -> PoolStatus {
        let status = self.pool.status();
        PoolStatus { open: status.size, idle: status.available, max: status.max_size }
    }

    async fn ping(&self) -> StoreResult<()> {
        self.conn().await?.simple_query("SELECT 1").await.map_err(db_error)?;
        Ok(())
    }

    async fn get_firm(&self, id: FirmId) -> StoreResult<Option<Firm>> {
        queries::get_firm(&self.conn().await?, id).await
    }

    async fn list_firms(&self) -> StoreResult<Vec<Firm>> {
        queries::list_firms(&self.conn().await?).await
    }

    async fn find_key(&self, hash: &SecretHash) -> StoreResult<Option<(ApiKey, Firm)>> {
        queries::find_key(&self.conn().await?, hash).await
    }

    async fn get_key(&self, firm: FirmId, id: KeyId) -> StoreResult<Option<ApiKey>> {
        queries::get_key(&self.conn().await?, firm, id).await
    }

    async fn list_keys(&self, firm: FirmId) -> StoreResult<Vec<ApiKey>> {
        queries::list_keys(&self.conn().await?, firm).await
    }

    async fn find_user_sign_in(&self, firm: FirmId, email_key: &str) -> StoreResult<Option<(Record, Option<Credentials>)>> {
        sign_in::find_user(&self.conn().await?, firm, email_key).await
    }

    async fn credentials(&self, firm: FirmId, user: UserId) -> StoreResult<Option<Credentials>> {
        sign_in::credentials(&self.conn().await?, firm, user).await
    }

    async fn find_session(&self, token: &TokenHash) -> StoreResult<Option<(Session, Firm, Record)>> {
        sign_in::find_session(&self.conn().await?, token).await
    }

    async fn purge_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        sign_in::purge_sessions(&self.conn().await?, now).await
    }

    async fn get_client(&self, firm: FirmId, id: ClientId) -> StoreResult<Option<Client>> {
        queries::get_client(&self.conn().await?, firm, id).await
    }

    async fn deleted_clients(&self, firm: FirmId, before: Timestamp, limit: usize) -> StoreResult<Vec<Client>> {
        queries::deleted_clients(&self.conn().await?, firm, before, limit).await
    }

    async fn list_clients(&self, firm: FirmId, query: &ClientQuery) -> StoreResult<Vec<Client>> {
        queries::list_clients(&self.conn().await?, firm, query).await
    }

    async fn count_clients(&self, firm: FirmId, filter: &ClientFilter, at_most: Option<u64>) -> StoreResult<u64> {
        queries::count_clients(&self.conn().await?, firm, filter, at_most).await
    }

    async fn match_groups(&self, firm: FirmId, query: &MatchQuery) -> StoreResult<Vec<MatchGroup>> {
        duplicates::match_groups(&self.conn().await?, firm, query).await
    }

    async fn apply(&self, writes: Vec<Write>) -> StoreResult<Vec<i64>> {
        in_transaction!(self, events of events_firm(&writes), |tx| queries::apply(&tx, &writes).await?)
    }

    async fn get_record(&self, firm: FirmId, kind: RecordKind, id: uuid::Uuid) -> StoreResult<Option<Record>> {
        queries::get_record(&self.conn().await?, firm, kind, id).await
    }

    async fn find_record(&self, kind: RecordKind, unique_key: &str) -> StoreResult<Option<Record>> {
        queries::find_record(&self.conn().await?, kind, unique_key).await
    }

    async fn list_records(&self, firm: FirmId, kind: RecordKind, query: &RecordQuery) -> StoreResult<Vec<Record>> {
        queries::list_records(&self.conn().await?, firm, kind, query).await
    }

    async fn count_records(&self, firm: FirmId, kind: RecordKind, filter: &RecordFilter, at_most: Option<u64>) -> StoreResult<u64> {
        queries::count_records(&self.conn().await?, firm, kind, filter, at_most).await
    }

    async fn deleted_records(&self, firm: FirmId, before: Timestamp, limit: usize) -> StoreResult<Vec<Record>> {
        queries::deleted_records(&self.conn().await?, firm, before, limit).await
    }

    async fn idempotency_record(&self, scope: [u8; 32], key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        queries::idempotency_record(&self.conn().await?, scope, key).await
    }

    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64> {
        queries::purge_idempotency_keys(&self.conn().await?, before).await
    }

    async fn list_events(&self, firm: FirmId, query: &EventQuery) -> StoreResult<Vec<Event>> {
        let mut conn = self.conn().await?;
        // Events a write committed but could not number (it lost the
        // database just then) are numbered before anyone reads past them.
        if !query.numbered_only {
            queries::number_events(&mut conn, firm).await?;
        }
        webhooks::list_events(&conn, firm, query).await
    }

    async fn webhook_cursors_behind(&self, limit: usize) -> StoreResult<Vec<WebhookCursor>> {
        webhooks::cursors_behind(&mut self.conn().await?, limit).await
    }

    async fn due_webhooks(&self, now: Timestamp, limit: usize) -> StoreResult<Vec<WebhookId>> {
        webhooks::due_webhooks(&self.conn().await?, now, limit).await
    }

    async fn claim_deliveries(&self, webhook: WebhookId, now: Timestamp, lease: i64, limit: usize) -> StoreResult<Vec<Delivery>> {
        in_transaction!(self, |tx| {
            delivery_batches::commit_lazily(&tx).await?;
            webhooks::claim(&tx, webhook, now, lease, limit).await?
        })
    }

    async fn list_deliveries(&self, firm: FirmId, webhook: WebhookId, query: &DeliveryQuery) -> StoreResult<Vec<(i64, Delivery)>> {
        webhooks::list_deliveries(&self.conn().await?, firm, webhook, query).await
    }

    async fn get_delivery(&self, firm: FirmId, webhook: WebhookId, id: DeliveryId) -> StoreResult<Option<Delivery>> {
        webhooks::get_delivery(&self.conn().await?, firm, webhook, id).await
    }

    async fn webhook_failing_since(&self, webhook: WebhookId) -> StoreResult<Option<Timestamp>> {
        webhooks::failing_since(&self.conn().await?, webhook).await
    }

    async fn queue_status(&self) -> StoreResult<QueueStatus> {
        webhooks::queue_status(&self.conn().await?).await
    }

    async fn purge_deliveries(&self, firm: FirmId, before: Timestamp) -> StoreResult<u64> {
        webhooks::purge_deliveries(&self.conn().await?, firm, before).await
    }
}
