//! Webhook delivery on SQLite: binds and runs the SQL of `store::deliveries`.

use rusqlite::{params_from_iter, Connection, OptionalExtension, Row};

use super::internal;
use super::queries::WRITES;
use super::rows::{event, id_bytes, EVENT_COLUMNS};
use crate::domain::event::Event;
use crate::domain::ids::{DeliveryId, FirmId, WebhookId};
use crate::domain::time::Timestamp;
use crate::domain::webhook::{Attempt, Delivery, DeliveryStatus};
use crate::store::deliveries as sql;
use crate::store::sql::Sql;
use crate::store::{DeliveryQuery, EventQuery, Finished, QueueStatus, StoreError, StoreResult, WebhookCursor, Write};

/// Runs a statement through the connection's statement cache.
pub(super) fn execute(conn: &Connection, sql: &Sql<'_>) -> StoreResult<usize> {
    let mut st = conn.prepare_cached(&sql.text).map_err(internal)?;
    st.execute(params_from_iter(sql.params.iter())).map_err(internal)
}

fn query<T>(conn: &Connection, sql: &Sql<'_>, map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>) -> StoreResult<Vec<T>> {
    let mut st = conn.prepare_cached(&sql.text).map_err(internal)?;
    let rows = st.query_map(params_from_iter(sql.params.iter()), map).map_err(internal)?;
    rows.collect::<Result<_, _>>().map_err(internal)
}

/// Runs one of the webhook writes of a batch; false if `write` is another kind.
pub fn apply(conn: &Connection, write: &Write) -> StoreResult<bool> {
    match write {
        Write::StartWebhookCursor { firm, webhook } => {
            execute(conn, &sql::start_cursor(&WRITES, *firm, *webhook))?;
        }
        Write::AdvanceWebhookCursor { webhook, from, to } => {
            if execute(conn, &sql::advance_cursor(&WRITES, *webhook, *from, *to))? == 0 {
                return Err(StoreError::VersionMismatch);
            }
        }
        Write::ClearWebhookFailures { webhook } => {
            execute(conn, &sql::clear_failures(&WRITES, *webhook))?;
        }
        Write::DropWebhookCursor { webhook } => {
            for statement in &sql::drop_cursor(&WRITES, *webhook) {
                execute(conn, statement)?;
            }
        }
        Write::InsertDelivery(delivery) => {
            execute(conn, &sql::insert_delivery(&WRITES, delivery))?;
        }
        Write::FinishAttempt(finished) => finish(conn, finished)?,
        Write::RetryDelivery { firm, webhook, id, at } => {
            execute(conn, &sql::retry_delivery(&WRITES, *firm, *webhook, *id, *at))?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn finish(conn: &Connection, finished: &Finished) -> StoreResult<()> {
    let (update, then) = sql::finish_attempt(&WRITES, finished, Timestamp::now());
    if execute(conn, &update)? == 1 {
        for statement in &then {
            execute(conn, statement)?;
        }
    }
    Ok(())
}

fn delivery(row: &Row<'_>) -> rusqlite::Result<(i64, Delivery)> {
    let status: String = row.get(7)?;
    let delivery = Delivery {
        id: DeliveryId::from_bytes(id_bytes(row, 1)?),
        firm_id: FirmId::from_bytes(id_bytes(row, 2)?),
        webhook_id: WebhookId::from_bytes(id_bytes(row, 3)?),
        event_seq: row.get(4)?,
        event_type: row.get(5)?,
        payload: row.get(6)?,
        status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Cancelled),
        attempt_count: row.get(8)?,
        next_attempt_at: row.get::<_, Option<i64>>(9)?.map(Timestamp::from_millis),
        lease_until: row.get(10)?,
        created_at: Timestamp::from_millis(row.get(11)?),
        updated_at: Timestamp::from_millis(row.get(12)?),
        attempts: Vec::new(),
    };
    Ok((row.get(0)?, delivery))
}

fn attempt(row: &Row<'_>) -> rusqlite::Result<(DeliveryId, Attempt)> {
    let attempt = Attempt {
        n: row.get(1)?,
        at: Timestamp::from_millis(row.get(2)?),
        http_status: row.get::<_, Option<i64>>(3)?.and_then(|s| u16::try_from(s).ok()),
        latency_ms: row.get(4)?,
        error: row.get(5)?,
        response: row.get(6)?,
    };
    Ok((DeliveryId::from_bytes(id_bytes(row, 0)?), attempt))
}

/// Fills in the attempts of `deliveries`.
fn with_attempts(conn: &Connection, mut deliveries: Vec<(i64, Delivery)>) -> StoreResult<Vec<(i64, Delivery)>> {
    if deliveries.is_empty() {
        return Ok(deliveries);
    }
    let ids: Vec<DeliveryId> = deliveries.iter().map(|(_, d)| d.id).collect();
    for (id, attempt) in query(conn, &sql::attempts(&WRITES, &ids), attempt)? {
        if let Some((_, d)) = deliveries.iter_mut().find(|(_, d)| d.id == id) {
            d.attempts.push(attempt);
        }
    }
    Ok(deliveries)
}

pub fn cursors_behind(conn: &Connection, limit: usize) -> StoreResult<Vec<WebhookCursor>> {
    query(conn, &sql::cursors_behind(&WRITES, limit), |r| {
        Ok(WebhookCursor {
            webhook: WebhookId::from_bytes(id_bytes(r, 0)?),
            firm: FirmId::from_bytes(id_bytes(r, 1)?),
            last_seq: r.get(2)?,
        })
    })
}

pub fn due_webhooks(conn: &Connection, now: Timestamp, limit: usize) -> StoreResult<Vec<WebhookId>> {
    query(conn, &sql::due_webhooks(&WRITES, now, limit), |r| Ok(WebhookId::from_bytes(id_bytes(r, 0)?)))
}

pub fn claim(conn: &Connection, webhook: WebhookId, now: Timestamp, lease: i64, limit: usize) -> StoreResult<Vec<Delivery>> {
    let mut claimed: Vec<Delivery> = query(conn, &sql::claim(&WRITES, webhook, now, lease, limit), delivery)?.into_iter().map(|(_, d)| d).collect();
    claimed.sort_by_key(|d| (d.next_attempt_at, d.event_seq));
    Ok(claimed)
}

pub fn list_deliveries(conn: &Connection, firm: FirmId, webhook: WebhookId, q: &DeliveryQuery) -> StoreResult<Vec<(i64, Delivery)>> {
    let page = query(conn, &sql::list_deliveries(&WRITES, firm, webhook, q), delivery)?;
    with_attempts(conn, page)
}

pub fn get_delivery(conn: &Connection, firm: FirmId, webhook: WebhookId, id: DeliveryId) -> StoreResult<Option<Delivery>> {
    let found = query(conn, &sql::get_delivery(&WRITES, firm, webhook, id), delivery)?;
    Ok(with_attempts(conn, found)?.pop().map(|(_, d)| d))
}

pub fn failing_since(conn: &Connection, webhook: WebhookId) -> StoreResult<Option<Timestamp>> {
    let sql = sql::failing_since(&WRITES, webhook);
    let mut st = conn.prepare_cached(&sql.text).map_err(internal)?;
    let found: Option<Option<i64>> = st.query_row(params_from_iter(sql.params.iter()), |r| r.get(0)).optional().map_err(internal)?;
    Ok(found.flatten().map(Timestamp::from_millis))
}

pub fn queue_status(conn: &Connection) -> StoreResult<QueueStatus> {
    let rows = query(conn, &sql::queue_status(&WRITES), |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?)))?;
    let (pending, oldest) = rows.first().copied().unwrap_or((0, None));
    Ok(QueueStatus { pending: pending as u64, oldest_pending: oldest.map(Timestamp::from_millis) })
}

pub fn purge_deliveries(conn: &Connection, firm: FirmId, before: Timestamp) -> StoreResult<u64> {
    let [attempts, deliveries] = sql::purge_deliveries(&WRITES, firm, before);
    execute(conn, &attempts)?;
    Ok(execute(conn, &deliveries)? as u64)
}

pub fn list_events(conn: &Connection, firm: FirmId, q: &EventQuery) -> StoreResult<Vec<Event>> {
    query(conn, &sql::list_events(&WRITES, EVENT_COLUMNS, firm, q), event)
}
