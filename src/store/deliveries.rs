//! SQL of webhook delivery, shared by both stores: subscription cursors over
//! the event log, deliveries and their attempts, and the event queries
//! (filters, history). Each store binds and runs these, and decodes the rows
//! ([`DELIVERY_COLUMNS`], [`ATTEMPT_COLUMNS`] in this order).

use super::sql::{Sql, SqlDialect, SqlList, SqlValue};
use super::{DeliveryQuery, EventQuery, Finished};
use crate::domain::ids::{DeliveryId, FirmId, WebhookId};
use crate::domain::time::Timestamp;
use crate::domain::webhook::{Delivery, DeliveryStatus};

pub const DELIVERY_COLUMNS: &str = "d.seq, d.id, d.firm_id, d.webhook_id, d.event_seq, d.event_type, d.payload, d.status, \
     d.attempt_count, d.next_attempt_at, d.lease_until, d.created_at, d.updated_at";
pub const ATTEMPT_COLUMNS: &str = "a.delivery_id, a.n, a.at, a.http_status, a.latency_ms, a.error, a.response";

fn id(uuid: uuid::Uuid) -> SqlValue {
    SqlValue::Id(uuid)
}

fn millis(t: Option<Timestamp>) -> SqlValue {
    t.map_or(SqlValue::Null, |t| SqlValue::Int(t.millis()))
}

/// A cursor that starts after the events the firm has numbered so far.
pub fn start_cursor<'d>(d: &'d dyn SqlDialect, firm: FirmId, webhook: WebhookId) -> Sql<'d> {
    let mut sql = Sql::new(d, "INSERT INTO webhook_cursors (webhook_id, firm_id, last_seq) SELECT ");
    sql.bind(id(webhook.as_uuid())).push(", f.id, f.event_seq FROM firms f WHERE f.id = ").bind(id(firm.as_uuid()));
    sql
}

/// Moves a cursor, if it is still where the caller read it (one row, or none).
pub fn advance_cursor(d: &dyn SqlDialect, webhook: WebhookId, from: i64, to: i64) -> Sql<'_> {
    let mut sql = Sql::new(d, "UPDATE webhook_cursors SET last_seq = ");
    sql.bind(SqlValue::Int(to)).push(" WHERE webhook_id = ").bind(id(webhook.as_uuid()));
    sql.push(" AND last_seq = ").bind(SqlValue::Int(from));
    sql
}

pub fn clear_failures(d: &dyn SqlDialect, webhook: WebhookId) -> Sql<'_> {
    let mut sql = Sql::new(d, "UPDATE webhook_cursors SET failing_since = NULL WHERE webhook_id = ");
    sql.bind(id(webhook.as_uuid()));
    sql
}

/// Forgets a purged subscription's cursor and cancels what it still had
/// queued (without a cursor, the dispatcher no longer looks for it).
pub fn drop_cursor(d: &dyn SqlDialect, webhook: WebhookId) -> [Sql<'_>; 2] {
    let mut cursor = Sql::new(d, "DELETE FROM webhook_cursors WHERE webhook_id = ");
    cursor.bind(id(webhook.as_uuid()));
    let mut queued = Sql::new(d, "UPDATE webhook_deliveries SET status = 'cancelled', lease_until = NULL WHERE webhook_id = ");
    queued.bind(id(webhook.as_uuid())).push(" AND status = 'pending'");
    [cursor, queued]
}

pub fn cursors_behind(d: &dyn SqlDialect, limit: usize) -> Sql<'_> {
    let mut sql = Sql::new(
        d,
        "SELECT w.webhook_id, w.firm_id, w.last_seq FROM webhook_cursors w JOIN firms f ON f.id = w.firm_id \
         WHERE f.event_seq > w.last_seq LIMIT ",
    );
    sql.bind(SqlValue::Int(limit as i64));
    sql
}

pub fn failing_since(d: &dyn SqlDialect, webhook: WebhookId) -> Sql<'_> {
    let mut sql = Sql::new(d, "SELECT failing_since FROM webhook_cursors WHERE webhook_id = ");
    sql.bind(id(webhook.as_uuid()));
    sql
}

pub fn insert_delivery<'d>(d: &'d dyn SqlDialect, x: &Delivery) -> Sql<'d> {
    let mut sql = Sql::new(
        d,
        "INSERT INTO webhook_deliveries (id, firm_id, webhook_id, event_seq, event_type, payload, status, attempt_count, \
         next_attempt_at, lease_until, created_at, updated_at) VALUES (",
    );
    let values = [
        id(x.id.as_uuid()),
        id(x.firm_id.as_uuid()),
        id(x.webhook_id.as_uuid()),
        x.event_seq.map_or(SqlValue::Null, SqlValue::Int),
        SqlValue::Text(x.event_type.clone()),
        SqlValue::Text(x.payload.clone()),
        SqlValue::Text(x.status.as_str().into()),
        SqlValue::Int(x.attempt_count),
        millis(x.next_attempt_at),
        x.lease_until.map_or(SqlValue::Null, SqlValue::Int),
        SqlValue::Int(x.created_at.millis()),
        SqlValue::Int(x.updated_at.millis()),
    ];
    for (i, value) in values.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(value);
    }
    sql.push(")");
    sql
}

/// The statements of a finished attempt. The first updates the delivery
/// only if the claim still holds; run the rest only if it changed a row.
pub fn finish_attempt<'d>(d: &'d dyn SqlDialect, f: &Finished, at: Timestamp) -> (Sql<'d>, Vec<Sql<'d>>) {
    let counted = i64::from(f.attempt.is_some());
    let mut update = Sql::new(d, "UPDATE webhook_deliveries SET status = ");
    update.bind(SqlValue::Text(f.status.as_str().into()));
    update.push(", attempt_count = attempt_count + ").bind(SqlValue::Int(counted));
    update.push(", next_attempt_at = ").bind(millis(f.next_attempt_at));
    update.push(", lease_until = NULL, updated_at = ").bind(SqlValue::Int(at.millis()));
    update.push(" WHERE id = ").bind(id(f.delivery.as_uuid())).push(" AND lease_until = ").bind(SqlValue::Int(f.lease));
    let mut then = Vec::new();
    if let Some(a) = &f.attempt {
        let mut insert = Sql::new(d, "INSERT INTO webhook_attempts (delivery_id, n, at, http_status, latency_ms, error, response) VALUES (");
        insert.bind(id(f.delivery.as_uuid())).push(", ").bind(SqlValue::Int(a.n)).push(", ").bind(SqlValue::Int(a.at.millis()));
        insert.push(", ").bind(a.http_status.map_or(SqlValue::Null, |s| SqlValue::Int(i64::from(s))));
        insert.push(", ").bind(SqlValue::Int(a.latency_ms)).push(", ").bind(SqlValue::text(a.error.as_deref()));
        insert.push(", ").bind(SqlValue::text(a.response.as_deref())).push(")");
        then.push(insert);
        // Only a change is written, so that outcomes seldom lock the
        // cursor that fan-out moves.
        let mut failing = Sql::new(d, "UPDATE webhook_cursors SET failing_since = ");
        if f.status == DeliveryStatus::Delivered {
            failing.push("NULL");
        } else {
            failing.bind(SqlValue::Int(a.at.millis()));
        }
        failing.push(" WHERE webhook_id = ").bind(id(f.webhook.as_uuid()));
        failing.push(if f.status == DeliveryStatus::Delivered { " AND failing_since IS NOT NULL" } else { " AND failing_since IS NULL" });
        then.push(failing);
    }
    (update, then)
}

pub fn retry_delivery(d: &dyn SqlDialect, firm: FirmId, webhook: WebhookId, delivery: DeliveryId, at: Timestamp) -> Sql<'_> {
    let mut sql = Sql::new(d, "UPDATE webhook_deliveries SET status = 'pending', lease_until = NULL, next_attempt_at = ");
    sql.bind(SqlValue::Int(at.millis())).push(", updated_at = ").bind(SqlValue::Int(at.millis()));
    sql.push(" WHERE id = ").bind(id(delivery.as_uuid())).push(" AND firm_id = ").bind(id(firm.as_uuid()));
    sql.push(" AND webhook_id = ").bind(id(webhook.as_uuid()));
    sql.push(" AND (lease_until IS NULL OR lease_until < ").bind(SqlValue::Int(at.millis())).push(")");
    sql
}

/// Subscriptions with a due, unclaimed delivery: a probe of each
/// subscription's pending deliveries on the `webhook_deliveries_due` index,
/// so it costs the same however long the queue (grouping every pending
/// delivery was the dispatcher's largest cost with a backlog).
pub fn due_webhooks(d: &dyn SqlDialect, now: Timestamp, limit: usize) -> Sql<'_> {
    let mut sql = Sql::new(
        d,
        "SELECT w.webhook_id FROM webhook_cursors w WHERE EXISTS (SELECT 1 FROM webhook_deliveries d \
         WHERE d.webhook_id = w.webhook_id AND d.status = 'pending' AND d.next_attempt_at <= ",
    );
    sql.bind(SqlValue::Int(now.millis()));
    sql.push(" AND (d.lease_until IS NULL OR d.lease_until < ").bind(SqlValue::Int(now.millis()));
    sql.push(")) LIMIT ").bind(SqlValue::Int(limit as i64));
    sql
}

/// Claims due deliveries of one subscription, returning them.
pub fn claim(d: &dyn SqlDialect, webhook: WebhookId, now: Timestamp, lease: i64, limit: usize) -> Sql<'_> {
    let mut sql = Sql::new(d, "UPDATE webhook_deliveries SET lease_until = ");
    sql.bind(SqlValue::Int(lease));
    sql.push(" WHERE id IN (SELECT d.id FROM webhook_deliveries d WHERE d.webhook_id = ").bind(id(webhook.as_uuid()));
    sql.push(" AND d.status = 'pending' AND d.next_attempt_at <= ").bind(SqlValue::Int(now.millis()));
    sql.push(" AND (d.lease_until IS NULL OR d.lease_until < ").bind(SqlValue::Int(now.millis()));
    sql.push(") ORDER BY d.next_attempt_at, d.event_seq LIMIT ").bind(SqlValue::Int(limit as i64));
    sql.push(d.lock_skipping_locked()).push(") RETURNING ");
    // RETURNING names the table's own columns.
    sql.push(&DELIVERY_COLUMNS.replace("d.", ""));
    sql
}

pub fn list_deliveries<'d>(d: &'d dyn SqlDialect, firm: FirmId, webhook: WebhookId, q: &DeliveryQuery) -> Sql<'d> {
    let mut sql = Sql::new(d, &format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.firm_id = "));
    sql.bind(id(firm.as_uuid())).push(" AND d.webhook_id = ").bind(id(webhook.as_uuid()));
    if let Some(status) = q.status {
        sql.push(" AND d.status = ").bind(SqlValue::Text(status.as_str().into()));
    }
    if let Some(before) = q.before {
        sql.push(" AND d.seq < ").bind(SqlValue::Int(before));
    }
    sql.push(" ORDER BY d.seq DESC LIMIT ").bind(SqlValue::Int(q.limit as i64));
    sql
}

pub fn get_delivery(d: &dyn SqlDialect, firm: FirmId, webhook: WebhookId, delivery: DeliveryId) -> Sql<'_> {
    let mut sql = Sql::new(d, &format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.firm_id = "));
    sql.bind(id(firm.as_uuid())).push(" AND d.webhook_id = ").bind(id(webhook.as_uuid()));
    sql.push(" AND d.id = ").bind(id(delivery.as_uuid()));
    sql
}

/// The attempts of these deliveries, oldest first.
pub fn attempts<'d>(d: &'d dyn SqlDialect, deliveries: &[DeliveryId]) -> Sql<'d> {
    let mut sql = Sql::new(d, &format!("SELECT {ATTEMPT_COLUMNS} FROM webhook_attempts a WHERE "));
    let ids = SqlList::Id(deliveries.iter().map(|x| x.as_uuid()).collect());
    sql.any_of("a.delivery_id", ids).push(" ORDER BY a.delivery_id, a.n");
    sql
}

pub fn queue_status(d: &dyn SqlDialect) -> Sql<'_> {
    Sql::new(d, "SELECT count(*), min(created_at) FROM webhook_deliveries WHERE status = 'pending'")
}

/// The statements that purge a firm's finished deliveries made before `before`.
pub fn purge_deliveries(d: &dyn SqlDialect, firm: FirmId, before: Timestamp) -> [Sql<'_>; 2] {
    let old = |sql: &mut Sql| {
        sql.push("firm_id = ").bind(id(firm.as_uuid())).push(" AND created_at < ").bind(SqlValue::Int(before.millis()));
        sql.push(" AND status <> 'pending'");
    };
    let mut attempts = Sql::new(d, "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE ");
    old(&mut attempts);
    attempts.push(")");
    let mut deliveries = Sql::new(d, "DELETE FROM webhook_deliveries WHERE ");
    old(&mut deliveries);
    [attempts, deliveries]
}

/// A firm's events as the query asks; `columns` are the store's event columns.
pub fn list_events<'d>(d: &'d dyn SqlDialect, columns: &str, firm: FirmId, q: &EventQuery) -> Sql<'d> {
    let mut sql = Sql::new(d, &format!("SELECT {columns} FROM events WHERE firm_id = "));
    sql.bind(id(firm.as_uuid())).push(" AND firm_seq IS NOT NULL");
    if let Some(seq) = q.from_seq {
        sql.push(if q.newest_first { " AND firm_seq < " } else { " AND firm_seq > " }).bind(SqlValue::Int(seq));
    }
    if !q.types.is_empty() {
        sql.push(" AND ").any_of("kind", SqlList::Text(q.types.clone()));
    }
    if let Some(resource_type) = &q.resource_type {
        sql.push(" AND resource_type = ").bind(SqlValue::Text(resource_type.clone()));
    }
    if let Some(resource_id) = &q.resource_id {
        sql.push(" AND resource_id = ").bind(SqlValue::Text(resource_id.clone()));
    }
    sql.push(if q.newest_first { " ORDER BY firm_seq DESC LIMIT " } else { " ORDER BY firm_seq LIMIT " });
    sql.bind(SqlValue::Int(q.limit as i64));
    sql
}

/// What a batch of finished attempts does to a subscription's run of
/// failures (`failing_since`), for stores that write the batch in one
/// statement rather than outcome by outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureRun {
    /// A delivery went through last: no run.
    Ended,
    /// The batch ended a run and began another at this instant.
    Began(i64),
    /// Failures only: a run goes on, or begins at this instant if none was.
    Continues(i64),
}

/// Folds the attempts of `finished` (in the order they are written) into
/// one [`FailureRun`] per subscription, as writing them one by one would
/// leave `failing_since`.
pub fn failure_runs<'a>(finished: impl IntoIterator<Item = &'a Finished>) -> Vec<(WebhookId, FailureRun)> {
    let mut runs: Vec<(WebhookId, FailureRun)> = Vec::new();
    for f in finished {
        let Some(attempt) = &f.attempt else { continue };
        let failed = f.status != DeliveryStatus::Delivered;
        let at = attempt.at.millis();
        let slot = match runs.iter_mut().find(|(w, _)| *w == f.webhook) {
            Some((_, run)) => run,
            None => {
                runs.push((f.webhook, if failed { FailureRun::Continues(at) } else { FailureRun::Ended }));
                continue;
            }
        };
        *slot = match (*slot, failed) {
            (_, false) => FailureRun::Ended,
            (FailureRun::Ended, true) => FailureRun::Began(at),
            (run, true) => run,
        };
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::webhook::Attempt;

    fn outcome(webhook: WebhookId, at: i64, status: DeliveryStatus) -> Finished {
        let attempt = Attempt { n: 1, at: Timestamp::from_millis(at), http_status: Some(500), latency_ms: 1, error: None, response: None };
        Finished { delivery: DeliveryId::generate(), webhook, lease: 1, attempt: Some(attempt), status, next_attempt_at: None }
    }

    #[test]
    fn failure_runs_leave_what_writing_one_by_one_would() {
        use DeliveryStatus::{Delivered, Pending};
        let (a, b, c) = (WebhookId::generate(), WebhookId::generate(), WebhookId::generate());
        let mut cancelled = outcome(c, 9, Pending);
        cancelled.attempt = None;
        let batch = [
            outcome(a, 1, Pending),
            outcome(b, 2, Pending),
            outcome(a, 3, Pending),
            outcome(b, 4, Delivered),
            outcome(b, 5, Pending),
            outcome(b, 6, Pending),
            cancelled,
        ];
        // a: failures only, from the first; b: a success, then a new run from
        // its first failure; c: no attempt was made, nothing changes.
        assert_eq!(failure_runs(&batch), vec![(a, FailureRun::Continues(1)), (b, FailureRun::Began(5))]);
        assert_eq!(failure_runs(&[outcome(a, 1, Pending), outcome(a, 2, Delivered)]), vec![(a, FailureRun::Ended)]);
    }
}
