//! Runs of webhook writes in a few statements each, on PostgreSQL: a
//! fan-out queues hundreds of deliveries and the dispatcher writes outcomes
//! by the hundred, and one statement per row was the dispatcher's ceiling
//! (a round trip each: bench/README.md, "Webhooks"). The rows go as arrays,
//! through `unnest`, so each statement is prepared once whatever the count.

use std::collections::HashSet;

use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::db_error;
use crate::domain::time::Timestamp;
use crate::store::deliveries::{failure_runs, FailureRun};
use crate::store::{Finished, StoreResult, Write};

const INSERT_DELIVERIES: &str = "INSERT INTO webhook_deliveries (id, firm_id, webhook_id, event_seq, event_type, payload, status, \
     attempt_count, next_attempt_at, lease_until, created_at, updated_at) \
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::text[], $6::text[], $7::text[], \
     $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[])";

/// Only where the claim (`lease`) still holds, as `deliveries::finish_attempt`.
const FINISH: &str = "UPDATE webhook_deliveries d SET status = o.status, attempt_count = d.attempt_count + o.counted, \
     next_attempt_at = o.next_at, lease_until = NULL, updated_at = $6 \
     FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[]) AS o(id, lease, status, counted, next_at) \
     WHERE d.id = o.id AND d.lease_until = o.lease RETURNING d.id";

const INSERT_ATTEMPTS: &str = "INSERT INTO webhook_attempts (delivery_id, n, at, http_status, latency_ms, error, response) \
     SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[])";

/// Mode 0 ends the run, 1 begins one at `at`, 2 goes on with one (or begins
/// it). Only rows that change are written: in the usual case (deliveries
/// going through, no run) none is, so outcomes take no lock on the cursors
/// that fan-out moves (taking them in another order deadlocked the two).
const FAILURE_RUNS: &str = "UPDATE webhook_cursors w SET failing_since = CASE o.mode WHEN 0 THEN NULL ELSE o.at END \
     FROM unnest($1::uuid[], $2::int[], $3::bigint[]) AS o(webhook, mode, at) WHERE w.webhook_id = o.webhook \
     AND (o.mode = 1 OR (o.mode = 0 AND w.failing_since IS NOT NULL) OR (o.mode = 2 AND w.failing_since IS NULL))";

/// Lets a transaction of claims or outcomes commit without waiting for the
/// WAL to reach the disk (a flush each was most of a claim's time). One
/// lost in a crash is redone under the same delivery id: a lost claim's
/// delivery is claimed again, a lost outcome's attempted again, which at
/// least once allows. Never for fan-out: a lost fan-out would be queued
/// again under new delivery ids, after its deliveries may have been sent.
pub async fn commit_lazily(c: &impl GenericClient) -> StoreResult<()> {
    c.batch_execute("SET LOCAL synchronous_commit = off").await.map_err(db_error)
}

/// A transaction that only writes outcomes ([`commit_lazily`]).
pub fn only_outcomes(writes: &[Write]) -> bool {
    !writes.is_empty() && writes.iter().all(|w| matches!(w, Write::FinishAttempt(_)))
}

/// Writes the run of deliveries or of outcomes at the start of `writes`,
/// returning how many writes it took; `None` if the first is neither.
pub async fn apply_run(c: &impl GenericClient, writes: &[Write]) -> StoreResult<Option<usize>> {
    match writes.first() {
        Some(Write::InsertDelivery(_)) => {
            let run: Vec<_> = writes.iter().map_while(|w| if let Write::InsertDelivery(d) = w { Some(d) } else { None }).collect();
            insert_deliveries(c, &run).await?;
            Ok(Some(run.len()))
        }
        Some(Write::FinishAttempt(_)) => {
            let run: Vec<_> = writes.iter().map_while(|w| if let Write::FinishAttempt(f) = w { Some(f) } else { None }).collect();
            finish(c, &run).await?;
            Ok(Some(run.len()))
        }
        _ => Ok(None),
    }
}

async fn execute(c: &impl GenericClient, text: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> StoreResult<Vec<tokio_postgres::Row>> {
    let st = c.prepare_cached(text).await.map_err(db_error)?;
    c.query(&st, params).await.map_err(db_error)
}

async fn insert_deliveries(c: &impl GenericClient, run: &[&crate::domain::webhook::Delivery]) -> StoreResult<()> {
    let col = |f: fn(&crate::domain::webhook::Delivery) -> Uuid| run.iter().map(|d| f(d)).collect::<Vec<_>>();
    let (ids, firms, webhooks) = (col(|d| d.id.as_uuid()), col(|d| d.firm_id.as_uuid()), col(|d| d.webhook_id.as_uuid()));
    let event_seqs: Vec<Option<i64>> = run.iter().map(|d| d.event_seq).collect();
    let types: Vec<&str> = run.iter().map(|d| d.event_type.as_str()).collect();
    let payloads: Vec<&str> = run.iter().map(|d| d.payload.as_str()).collect();
    let statuses: Vec<&str> = run.iter().map(|d| d.status.as_str()).collect();
    let counts: Vec<i64> = run.iter().map(|d| d.attempt_count).collect();
    let next: Vec<Option<i64>> = run.iter().map(|d| d.next_attempt_at.map(Timestamp::millis)).collect();
    let leases: Vec<Option<i64>> = run.iter().map(|d| d.lease_until).collect();
    let created: Vec<i64> = run.iter().map(|d| d.created_at.millis()).collect();
    let updated: Vec<i64> = run.iter().map(|d| d.updated_at.millis()).collect();
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 12] =
        [&ids, &firms, &webhooks, &event_seqs, &types, &payloads, &statuses, &counts, &next, &leases, &created, &updated];
    execute(c, INSERT_DELIVERIES, &params).await.map(|_| ())
}

async fn finish(c: &impl GenericClient, run: &[&Finished]) -> StoreResult<()> {
    let ids: Vec<Uuid> = run.iter().map(|f| f.delivery.as_uuid()).collect();
    let leases: Vec<i64> = run.iter().map(|f| f.lease).collect();
    let statuses: Vec<&str> = run.iter().map(|f| f.status.as_str()).collect();
    let counted: Vec<i64> = run.iter().map(|f| i64::from(f.attempt.is_some())).collect();
    let next: Vec<Option<i64>> = run.iter().map(|f| f.next_attempt_at.map(Timestamp::millis)).collect();
    let at = Timestamp::now().millis();
    let rows = execute(c, FINISH, &[&ids, &leases, &statuses, &counted, &next, &at]).await?;
    let held: HashSet<Uuid> = rows.iter().map(|r| r.get(0)).collect();
    // Outcomes whose claim was lost change nothing more, as one by one.
    let kept: Vec<&Finished> = run.iter().copied().filter(|f| held.contains(&f.delivery.as_uuid())).collect();
    insert_attempts(c, &kept).await?;
    let mut runs = failure_runs(kept.iter().copied());
    runs.sort_unstable_by_key(|(webhook, _)| *webhook);
    if runs.is_empty() {
        return Ok(());
    }
    let webhooks: Vec<Uuid> = runs.iter().map(|(w, _)| w.as_uuid()).collect();
    let (modes, ats): (Vec<i32>, Vec<i64>) = runs
        .iter()
        .map(|(_, run)| match *run {
            FailureRun::Ended => (0, 0),
            FailureRun::Began(at) => (1, at),
            FailureRun::Continues(at) => (2, at),
        })
        .unzip();
    execute(c, FAILURE_RUNS, &[&webhooks, &modes, &ats]).await.map(|_| ())
}

async fn insert_attempts(c: &impl GenericClient, kept: &[&Finished]) -> StoreResult<()> {
    let made: Vec<(&Finished, &crate::domain::webhook::Attempt)> = kept.iter().filter_map(|f| f.attempt.as_ref().map(|a| (*f, a))).collect();
    if made.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = made.iter().map(|(f, _)| f.delivery.as_uuid()).collect();
    let ns: Vec<i64> = made.iter().map(|(_, a)| a.n).collect();
    let ats: Vec<i64> = made.iter().map(|(_, a)| a.at.millis()).collect();
    let statuses: Vec<Option<i64>> = made.iter().map(|(_, a)| a.http_status.map(i64::from)).collect();
    let latencies: Vec<i64> = made.iter().map(|(_, a)| a.latency_ms).collect();
    let errors: Vec<Option<&str>> = made.iter().map(|(_, a)| a.error.as_deref()).collect();
    let responses: Vec<Option<&str>> = made.iter().map(|(_, a)| a.response.as_deref()).collect();
    execute(c, INSERT_ATTEMPTS, &[&ids, &ns, &ats, &statuses, &latencies, &errors, &responses]).await.map(|_| ())
}
