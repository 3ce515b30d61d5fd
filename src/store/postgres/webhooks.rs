//! Webhook delivery on PostgreSQL: binds and runs the SQL of
//! `store::deliveries`. Claims skip rows another node holds locked, so any
//! number of nodes deliver together and each attempt is made by one.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use super::queries::{number_events, Param, Postgres};
use super::rows::{event, EVENT_COLUMNS};
use super::db_error;
use crate::domain::event::Event;
use crate::domain::ids::{DeliveryId, FirmId, WebhookId};
use crate::domain::time::Timestamp;
use crate::domain::webhook::{Attempt, Delivery, DeliveryStatus};
use crate::store::deliveries as sql;
use crate::store::sql::Sql;
use crate::store::{DeliveryQuery, EventQuery, QueueStatus, StoreError, StoreResult, WebhookCursor, Write};

pub(super) fn params<'a>(sql: &'a Sql<'_>) -> Vec<Param<'a>> {
    sql.params.iter().map(|p| p as Param).collect()
}

/// Runs a statement through the connection's statement cache.
pub(super) async fn execute(c: &impl GenericClient, sql: &Sql<'_>) -> StoreResult<u64> {
    let st = c.prepare_cached(&sql.text).await.map_err(db_error)?;
    c.execute(&st, &params(sql)).await.map_err(db_error)
}

async fn query(c: &impl GenericClient, sql: &Sql<'_>) -> StoreResult<Vec<Row>> {
    let st = c.prepare_cached(&sql.text).await.map_err(db_error)?;
    c.query(&st, &params(sql)).await.map_err(db_error)
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> StoreResult<T> {
    row.try_get(i).map_err(|e| StoreError::Internal(format!("column {i}: {e}")))
}

/// Runs one of the webhook writes of a batch; false if `write` is another
/// kind. Deliveries and outcomes come in runs, written by `delivery_batches`.
pub async fn apply(c: &impl GenericClient, write: &Write) -> StoreResult<bool> {
    match write {
        Write::StartWebhookCursor { firm, webhook } => {
            execute(c, &sql::start_cursor(&Postgres, *firm, *webhook)).await?;
        }
        Write::AdvanceWebhookCursor { webhook, from, to } => {
            if execute(c, &sql::advance_cursor(&Postgres, *webhook, *from, *to)).await? == 0 {
                return Err(StoreError::VersionMismatch);
            }
        }
        Write::ClearWebhookFailures { webhook } => {
            execute(c, &sql::clear_failures(&Postgres, *webhook)).await?;
        }
        Write::DropWebhookCursor { webhook } => {
            for statement in &sql::drop_cursor(&Postgres, *webhook) {
                execute(c, statement).await?;
            }
        }
        Write::RetryDelivery { firm, webhook, id, at } => {
            execute(c, &sql::retry_delivery(&Postgres, *firm, *webhook, *id, *at)).await?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn delivery(row: &Row) -> StoreResult<(i64, Delivery)> {
    let delivery = Delivery {
        id: DeliveryId::from_uuid(get(row, 1)?),
        firm_id: FirmId::from_uuid(get(row, 2)?),
        webhook_id: WebhookId::from_uuid(get(row, 3)?),
        event_seq: get(row, 4)?,
        event_type: get(row, 5)?,
        payload: get(row, 6)?,
        status: DeliveryStatus::parse(get(row, 7)?).unwrap_or(DeliveryStatus::Cancelled),
        attempt_count: get(row, 8)?,
        next_attempt_at: get::<Option<i64>>(row, 9)?.map(Timestamp::from_millis),
        lease_until: get(row, 10)?,
        created_at: Timestamp::from_millis(get(row, 11)?),
        updated_at: Timestamp::from_millis(get(row, 12)?),
        attempts: Vec::new(),
    };
    Ok((get(row, 0)?, delivery))
}

fn attempt(row: &Row) -> StoreResult<(DeliveryId, Attempt)> {
    let attempt = Attempt {
        n: get(row, 1)?,
        at: Timestamp::from_millis(get(row, 2)?),
        http_status: get::<Option<i64>>(row, 3)?.and_then(|s| u16::try_from(s).ok()),
        latency_ms: get(row, 4)?,
        error: get(row, 5)?,
        response: get(row, 6)?,
    };
    Ok((DeliveryId::from_uuid(get(row, 0)?), attempt))
}

async fn deliveries(c: &impl GenericClient, sql: &Sql<'_>) -> StoreResult<Vec<(i64, Delivery)>> {
    let mut found = query(c, sql).await?.iter().map(delivery).collect::<StoreResult<Vec<_>>>()?;
    if found.is_empty() {
        return Ok(found);
    }
    let ids: Vec<DeliveryId> = found.iter().map(|(_, d)| d.id).collect();
    for row in query(c, &sql::attempts(&Postgres, &ids)).await? {
        let (id, attempt) = attempt(&row)?;
        if let Some((_, d)) = found.iter_mut().find(|(_, d)| d.id == id) {
            d.attempts.push(attempt);
        }
    }
    Ok(found)
}

/// A writer numbers its events right after its commit; one left
/// unnumbered this long lost the database just then.
const STRAGGLER_MS: i64 = 1_000;

/// Numbers the events that writes committed but could not number, so that
/// cursors see them. Only those past [`STRAGGLER_MS`]: numbering the events
/// of writes still under way waited for the firm's numbering lock with
/// every round of fan-out, behind the writers.
async fn number_stragglers(conn: &mut deadpool_postgres::Object) -> StoreResult<()> {
    let before = Timestamp::now().millis() - STRAGGLER_MS;
    let rows = conn
        .query("SELECT DISTINCT firm_id FROM events WHERE firm_seq IS NULL AND created_at < $1", &[&before])
        .await
        .map_err(db_error)?;
    for row in rows {
        number_events(conn, FirmId::from_uuid(get::<Uuid>(&row, 0)?)).await?;
    }
    Ok(())
}

pub async fn cursors_behind(conn: &mut deadpool_postgres::Object, limit: usize) -> StoreResult<Vec<WebhookCursor>> {
    number_stragglers(conn).await?;
    let rows = query(&*conn, &sql::cursors_behind(&Postgres, limit)).await?;
    rows.iter()
        .map(|r| Ok(WebhookCursor { webhook: WebhookId::from_uuid(get(r, 0)?), firm: FirmId::from_uuid(get(r, 1)?), last_seq: get(r, 2)? }))
        .collect()
}

pub async fn due_webhooks(c: &impl GenericClient, now: Timestamp, limit: usize) -> StoreResult<Vec<WebhookId>> {
    query(c, &sql::due_webhooks(&Postgres, now, limit)).await?.iter().map(|r| Ok(WebhookId::from_uuid(get(r, 0)?))).collect()
}

pub async fn claim(c: &impl GenericClient, webhook: WebhookId, now: Timestamp, lease: i64, limit: usize) -> StoreResult<Vec<Delivery>> {
    let rows = query(c, &sql::claim(&Postgres, webhook, now, lease, limit)).await?;
    let mut claimed = rows.iter().map(|r| delivery(r).map(|(_, d)| d)).collect::<StoreResult<Vec<_>>>()?;
    claimed.sort_by_key(|d| (d.next_attempt_at, d.event_seq));
    Ok(claimed)
}

pub async fn list_deliveries(c: &impl GenericClient, firm: FirmId, webhook: WebhookId, q: &DeliveryQuery) -> StoreResult<Vec<(i64, Delivery)>> {
    deliveries(c, &sql::list_deliveries(&Postgres, firm, webhook, q)).await
}

pub async fn get_delivery(c: &impl GenericClient, firm: FirmId, webhook: WebhookId, id: DeliveryId) -> StoreResult<Option<Delivery>> {
    Ok(deliveries(c, &sql::get_delivery(&Postgres, firm, webhook, id)).await?.pop().map(|(_, d)| d))
}

pub async fn failing_since(c: &impl GenericClient, webhook: WebhookId) -> StoreResult<Option<Timestamp>> {
    let rows = query(c, &sql::failing_since(&Postgres, webhook)).await?;
    Ok(rows.first().map(|r| get::<Option<i64>>(r, 0)).transpose()?.flatten().map(Timestamp::from_millis))
}

pub async fn queue_status(c: &impl GenericClient) -> StoreResult<QueueStatus> {
    let rows = query(c, &sql::queue_status(&Postgres)).await?;
    let row = rows.first().ok_or_else(|| StoreError::Internal("count returned no row".into()))?;
    let pending: i64 = get(row, 0)?;
    Ok(QueueStatus { pending: pending as u64, oldest_pending: get::<Option<i64>>(row, 1)?.map(Timestamp::from_millis) })
}

pub async fn purge_deliveries(c: &impl GenericClient, firm: FirmId, before: Timestamp) -> StoreResult<u64> {
    let [attempts, deliveries] = sql::purge_deliveries(&Postgres, firm, before);
    execute(c, &attempts).await?;
    execute(c, &deliveries).await
}

pub async fn list_events(c: &impl GenericClient, firm: FirmId, q: &EventQuery) -> StoreResult<Vec<Event>> {
    query(c, &sql::list_events(&Postgres, EVENT_COLUMNS, firm, q)).await?.iter().map(event).collect()
}
