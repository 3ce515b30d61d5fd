//! The webhook dispatcher: turns the event log into deliveries and makes
//! them, at least once (docs/webhooks.md).
//!
//! 1. **Fan-out.** Each subscription has a cursor over its firm's event log.
//!    The deliveries of the events past it are inserted in the transaction
//!    that moves it (compare-and-set, so two nodes never queue an event
//!    twice). Only committed events are in the log, so a rolled-back change
//!    is never sent, and a committed one is never skipped, whenever a node
//!    stops.
//! 2. **Attempts.** Due deliveries are claimed with a lease (PostgreSQL skips
//!    rows another node holds), per subscription in `event_seq` order, up to
//!    a number in flight per subscription and in all. Each outcome is written
//!    with the claim as its token: a node whose lease ran out (it stalled)
//!    writes nothing, and whoever claimed after it tries again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::webhooks::Webhook;
use super::{Actor, Service};
use crate::domain::ids::{FirmId, WebhookId};
use crate::domain::record::{RecordKind, Stored};
use crate::domain::time::Timestamp;
use crate::domain::webhook::{payload, signature, Attempt, Delivery, DeliveryStatus, MAX_RESPONSE, PING};
use crate::outbound::{Answer, Outbound, SendError};
use crate::store::{EventQuery, Finished, StoreError, StoreResult, WebhookCursor, Write};

/// Events read per subscription per round of fan-out.
const FAN_OUT_BATCH: usize = 500;
/// Outcomes written in one transaction at most.
const FINISH_BATCH: usize = 256;

/// Starts delivering webhooks in the background; the task runs until the
/// process ends.
pub fn start(service: Service) -> Result<tokio::task::JoinHandle<()>, String> {
    let settings = &service.webhooks().settings;
    let outbound = Outbound::new(settings.allowed_hosts.clone(), &settings.resolve, settings.timeout)?;
    let dispatcher = Arc::new(Dispatcher { service, outbound, in_flight: Mutex::new(HashMap::new()), total: AtomicUsize::new(0) });
    Ok(tokio::spawn(dispatcher.run()))
}

struct Dispatcher {
    service: Service,
    outbound: Outbound,
    in_flight: Mutex<HashMap<WebhookId, usize>>,
    total: AtomicUsize,
}

/// An attempt's outcome, on its way to the store.
struct Done {
    firm: FirmId,
    finished: Finished,
    /// The receiver answered `410 Gone`.
    gone: bool,
}

impl Dispatcher {
    async fn run(self: Arc<Self>) {
        let (done, outcomes) = mpsc::channel(4 * FINISH_BATCH);
        tokio::spawn(self.clone().finish(outcomes));
        let poll = self.service.webhooks().settings.poll;
        loop {
            if let Err(e) = self.fan_out().await {
                tracing::warn!(error = %e, "webhook fan-out failed; will retry");
            }
            if let Err(e) = self.claim_and_send(&done).await {
                tracing::warn!(error = %e, "claiming webhook deliveries failed; will retry");
            }
            tokio::select! {
                _ = self.service.webhooks().wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// Queues the deliveries of every event past every cursor.
    async fn fan_out(&self) -> StoreResult<()> {
        let store = &self.service.store;
        // Bounded, so attempts are made between rounds of a long backlog.
        for _ in 0..20 {
            let behind = store.webhook_cursors_behind(100).await?;
            if behind.is_empty() {
                break;
            }
            for cursor in behind {
                self.fan_out_one(cursor).await?;
            }
        }
        Ok(())
    }

    async fn fan_out_one(&self, cursor: WebhookCursor) -> StoreResult<()> {
        let store = &self.service.store;
        let query = EventQuery { from_seq: Some(cursor.last_seq), limit: FAN_OUT_BATCH, ..EventQuery::default() };
        let events = store.list_events(cursor.firm, &query).await?;
        let Some(last) = events.last() else { return Ok(()) };
        let Some(webhook) = self.webhook(cursor.firm, cursor.webhook).await? else {
            // Purged: nothing will be sent to it again.
            return store.apply(vec![Write::DropWebhookCursor { webhook: cursor.webhook }]).await.map(|_| ());
        };
        let webhook = Some(webhook).filter(|w| w.is_live());
        let now = Timestamp::now();
        let mut writes = vec![Write::AdvanceWebhookCursor { webhook: cursor.webhook, from: cursor.last_seq, to: last.seq }];
        if let Some(webhook) = &webhook {
            // A subscription starts after its own creation.
            let own = |e: &&crate::domain::event::Event| e.kind == "webhook.created" && e.resource_id == webhook.id().to_string();
            let wanted = events.iter().filter(|e| webhook.fields.wants(e) && !own(e));
            writes.extend(wanted.map(|e| Write::InsertDelivery(Delivery::new(cursor.firm, cursor.webhook, Some(e.seq), &e.kind, payload(e), now))));
        }
        match store.apply(writes).await {
            // Another node moved the cursor first, and queued these.
            Ok(_) | Err(StoreError::VersionMismatch) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn webhook(&self, firm: FirmId, id: WebhookId) -> StoreResult<Option<Webhook>> {
        let record = self.service.store.get_record(firm, RecordKind::Webhook, id.as_uuid()).await?;
        Ok(record.and_then(|r| Stored::from_record(r).ok()))
    }

    /// Claims what is due, as far as the limits on attempts in flight allow,
    /// and starts the attempts.
    async fn claim_and_send(self: &Arc<Self>, done: &mpsc::Sender<Done>) -> StoreResult<()> {
        let settings = &self.service.webhooks().settings;
        let now = Timestamp::now();
        let lease_ms = i64::try_from(settings.timeout.as_millis() * 2).unwrap_or(i64::MAX / 4) + 10_000;
        for webhook_id in self.service.store.due_webhooks(now, 100).await? {
            let free_total = settings.concurrency.saturating_sub(self.total.load(Ordering::Acquire));
            let busy = self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).get(&webhook_id).copied().unwrap_or(0);
            let free = settings.per_subscription.saturating_sub(busy).min(free_total);
            if free_total == 0 {
                break;
            }
            if free == 0 {
                continue;
            }
            let lease = now.millis() + lease_ms;
            let claimed = self.service.store.claim_deliveries(webhook_id, now, lease, free).await?;
            let Some(first) = claimed.first() else { continue };
            let webhook = self.webhook(first.firm_id, webhook_id).await?;
            for delivery in claimed {
                self.track(webhook_id, 1);
                let (me, done, webhook) = (self.clone(), done.clone(), webhook.clone());
                tokio::spawn(async move {
                    let outcome = me.attempt(webhook, delivery, lease).await;
                    // The finisher is gone only when the process is ending.
                    let _ = done.send(outcome).await;
                });
            }
        }
        Ok(())
    }

    fn track(&self, webhook: WebhookId, delta: isize) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let n = in_flight.entry(webhook).or_insert(0);
        *n = n.saturating_add_signed(delta);
        if *n == 0 {
            in_flight.remove(&webhook);
        }
        if delta > 0 {
            self.total.fetch_add(1, Ordering::AcqRel);
        } else {
            self.total.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// One attempt at a claimed delivery.
    async fn attempt(&self, webhook: Option<Webhook>, delivery: Delivery, lease: i64) -> Done {
        let settings = &self.service.webhooks().settings;
        let mut finished = Finished {
            delivery: delivery.id,
            webhook: delivery.webhook_id,
            lease,
            attempt: None,
            status: DeliveryStatus::Cancelled,
            next_attempt_at: None,
        };
        let sendable = webhook.filter(|w| w.is_live() && (w.fields.enabled || delivery.event_type == PING));
        let Some(webhook) = sendable else {
            return Done { firm: delivery.firm_id, finished, gone: false };
        };
        let at = Timestamp::now();
        let id = delivery.id.to_string();
        let timestamp = at.millis().div_euclid(1000);
        let headers = [
            ("webhook-id", id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature(&webhook.fields.signing_keys(at), &id, timestamp, delivery.payload.as_bytes())),
        ];
        let started = Instant::now();
        let result = self.outbound.post(&webhook.fields.url, &headers, delivery.payload.clone(), MAX_RESPONSE).await;
        let n = delivery.attempt_count + 1;
        let gone = matches!(result, Ok(Answer { status: 410, .. }));
        let delivered = matches!(&result, Ok(a) if (200..300).contains(&a.status));
        finished.attempt = Some(record_attempt(n, at, started.elapsed(), result));
        (finished.status, finished.next_attempt_at) = match settings.schedule.after_attempt(n) {
            _ if delivered => (DeliveryStatus::Delivered, None),
            Some(delay) if !gone => (DeliveryStatus::Pending, Some(Timestamp::now().plus_millis(delay.as_millis() as i64))),
            _ => (DeliveryStatus::Failed, None),
        };
        Done { firm: delivery.firm_id, finished, gone }
    }

    /// Writes outcomes in batches, then disables the subscriptions that
    /// answered `410 Gone` or have failed for too long.
    async fn finish(self: Arc<Self>, mut outcomes: mpsc::Receiver<Done>) {
        let mut batch = Vec::with_capacity(FINISH_BATCH);
        while outcomes.recv_many(&mut batch, FINISH_BATCH).await > 0 {
            let writes = batch.iter().map(|d| Write::FinishAttempt(d.finished.clone())).collect();
            if let Err(e) = self.service.store.apply(writes).await {
                // The leases run out, and the deliveries are tried again.
                tracing::warn!(error = %e, outcomes = batch.len(), "webhook outcomes not written; the deliveries will be retried");
            }
            for done in batch.drain(..) {
                self.track(done.finished.webhook, -1);
                self.service.webhooks().outcomes.count(done.finished.status);
                if let Err(e) = self.after(&done).await {
                    tracing::warn!(error = %e, webhook_id = %done.finished.webhook, "checking a failing webhook failed");
                }
            }
            self.service.webhooks().wake.notify_one();
        }
    }

    async fn after(&self, done: &Done) -> super::ServiceResult<()> {
        let failed = done.finished.attempt.is_some() && done.finished.status != DeliveryStatus::Delivered;
        if !failed {
            return Ok(());
        }
        let reason = if done.gone {
            "the receiver answered 410 Gone".to_string()
        } else {
            let disable_after = self.service.webhooks().settings.disable_after;
            let since = self.service.store.webhook_failing_since(done.finished.webhook).await?;
            match since {
                Some(since) if Timestamp::now().millis() - since.millis() >= disable_after.as_millis() as i64 => {
                    format!("every attempt failed for {} hours", disable_after.as_secs() / 3600)
                }
                _ => return Ok(()),
            }
        };
        let Some(firm) = self.service.store.get_firm(done.firm).await? else { return Ok(()) };
        tracing::warn!(webhook_id = %done.finished.webhook, reason = %reason, "webhook disabled");
        self.service.disable_webhook(&Actor::operator(firm), done.finished.webhook, &reason).await
    }
}

/// What an attempt came to, as the delivery log shows it.
fn record_attempt(n: i64, at: Timestamp, took: Duration, result: Result<Answer, SendError>) -> Attempt {
    let latency_ms = i64::try_from(took.as_millis()).unwrap_or(i64::MAX);
    match result {
        Ok(answer) => Attempt {
            n,
            at,
            http_status: Some(answer.status),
            latency_ms,
            error: None,
            response: Some(answer.body).filter(|b| !b.is_empty()),
        },
        Err(e) => Attempt { n, at, http_status: None, latency_ms, error: Some(e.to_string()), response: None },
    }
}
