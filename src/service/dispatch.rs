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
//!    rows another node holds), per subscription in `event_seq` order, into
//!    the subscription's lane on this node: a few rounds ahead while its
//!    receiver answers well, only its free slots when it does not. Attempts
//!    start from the lanes in order, up to a number in flight per
//!    subscription and in all; a slot is free again as soon as its attempt
//!    returns. Each outcome is written with the claim as its token: a node
//!    whose lease ran out (it stalled) writes nothing, and whoever claimed
//!    after it tries again.
//! 3. **Outcomes** are written in batches by a task of their own.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Notify};

use super::webhooks::Webhook;
use super::{Actor, Service};
use crate::domain::erasure::is_redacted;
use crate::domain::event::Event;
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
/// A subscription whose receiver answers well has up to this many rounds
/// of attempts claimed ahead, so that one claim feeds many attempts...
const AHEAD: usize = 8;
/// ...and claims more when fewer than this many rounds are waiting, so
/// that its attempts never wait for a claim.
const LOW_WATER: usize = 2;
/// An attempt that took longer than this makes its subscription claim no
/// further ahead than its free slots, so claims do not wait out their lease.
const HEALTHY_LATENCY_MS: i64 = 1_000;
/// Subscriptions asked about in one look at the queue.
const DUE_LIMIT: usize = 1_000;

/// Starts delivering webhooks in the background; the tasks run until the
/// process ends.
pub fn start(service: Service) -> Result<tokio::task::JoinHandle<()>, String> {
    let settings = &service.webhooks().settings;
    let outbound = Outbound::new(settings.allowed_hosts.clone(), &settings.resolve, settings.timeout)?;
    let dispatcher = Arc::new(Dispatcher {
        service,
        outbound,
        lanes: Mutex::new(HashMap::new()),
        total: AtomicUsize::new(0),
        fresh: AtomicBool::new(true),
        nudge: Notify::new(),
    });
    Ok(tokio::spawn(dispatcher.run()))
}

struct Dispatcher {
    service: Service,
    outbound: Outbound,
    lanes: Mutex<HashMap<WebhookId, Lane>>,
    /// Attempts in flight on this node.
    total: AtomicUsize,
    /// Deliveries may have been queued since the last look at the queue.
    fresh: AtomicBool,
    /// Something for the sender to do: deliveries queued, or a slot free.
    nudge: Notify,
}

/// One subscription's deliveries on this node: claimed and waiting their
/// turn in `event_seq` order, and in flight.
struct Lane {
    waiting: VecDeque<Delivery>,
    /// The subscription as read at a claim, and when: read again at the
    /// next claim after a poll interval, so changes to it apply within one.
    webhook: Option<(Webhook, Instant)>,
    in_flight: usize,
    /// The last claim got all it asked for: more may be due.
    more: bool,
    /// The last attempt went through quickly.
    healthy: bool,
}

impl Lane {
    fn new() -> Self {
        Lane { waiting: VecDeque::new(), webhook: None, in_flight: 0, more: false, healthy: true }
    }

    /// How many to claim now: none while enough attempts are waiting.
    fn room(&self, per_subscription: usize) -> usize {
        let (low_water, capacity) =
            if self.healthy { (per_subscription * LOW_WATER, per_subscription * AHEAD) } else { (1, per_subscription) };
        if self.waiting.len() >= low_water {
            return 0;
        }
        capacity.saturating_sub(self.waiting.len() + self.in_flight)
    }

    fn knows_webhook(&self, fresh_for: Duration) -> bool {
        self.webhook.as_ref().is_some_and(|(_, at)| at.elapsed() < fresh_for)
    }

    fn idle(&self) -> bool {
        self.waiting.is_empty() && self.in_flight == 0 && !self.more
    }
}

/// An attempt's outcome, on its way to the store.
struct Done {
    firm: FirmId,
    finished: Finished,
    /// The receiver answered `410 Gone`.
    gone: bool,
}

impl Done {
    fn healthy(&self) -> bool {
        let quick = self.finished.attempt.as_ref().is_some_and(|a| a.latency_ms < HEALTHY_LATENCY_MS);
        quick && self.finished.status == DeliveryStatus::Delivered
    }
}

impl Dispatcher {
    /// The sender: claims what is due and starts attempts as slots free up.
    /// Fan-out and the writing of outcomes run beside it, in tasks of their own.
    async fn run(self: Arc<Self>) {
        let (done, outcomes) = mpsc::channel(4 * FINISH_BATCH);
        tokio::spawn(self.clone().finish(outcomes));
        tokio::spawn(self.clone().fan_out_loop());
        let poll = self.service.webhooks().settings.poll;
        let mut looked = Instant::now();
        loop {
            // The queue is looked at when fan-out (or the API) queued
            // something, and at each poll for retries coming due; a freed
            // slot only tops up the subscriptions that have more.
            let look = self.fresh.swap(false, Ordering::AcqRel) || looked.elapsed() >= poll;
            if look {
                looked = Instant::now();
            }
            if let Err(e) = self.claim(look, &done).await {
                tracing::warn!(error = %e, "claiming webhook deliveries failed; will retry");
            }
            self.start_attempts(&done);
            tokio::select! {
                _ = self.nudge.notified() => {}
                _ = tokio::time::sleep_until((looked + poll).into()) => {}
            }
        }
    }

    fn lanes(&self) -> MutexGuard<'_, HashMap<WebhookId, Lane>> {
        self.lanes.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn fan_out_loop(self: Arc<Self>) {
        let poll = self.service.webhooks().settings.poll;
        loop {
            if let Err(e) = self.fan_out().await {
                tracing::warn!(error = %e, "webhook fan-out failed; will retry");
            }
            // Retries and pings the API queued wake this loop too.
            self.fresh.store(true, Ordering::Release);
            self.nudge.notify_one();
            tokio::select! {
                _ = self.service.webhooks().wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// Queues the deliveries of every event past every cursor.
    async fn fan_out(&self) -> StoreResult<()> {
        let store = &self.service.store;
        // Bounded, so a long backlog does not keep new events waiting.
        for _ in 0..20 {
            let behind = store.webhook_cursors_behind(100).await?;
            if behind.is_empty() {
                break;
            }
            // The subscriptions of a firm that have read as far share one
            // read of its log and one transaction.
            let mut groups: Vec<Vec<WebhookCursor>> = Vec::new();
            for cursor in behind {
                match groups.iter_mut().find(|g| g[0].firm == cursor.firm && g[0].last_seq == cursor.last_seq) {
                    Some(group) => group.push(cursor),
                    None => groups.push(vec![cursor]),
                }
            }
            for mut group in groups {
                // In one order everywhere, so two nodes' fan-outs never deadlock.
                group.sort_unstable_by_key(|c| c.webhook);
                self.fan_out_group(&group).await?;
            }
        }
        Ok(())
    }

    async fn fan_out_group(&self, group: &[WebhookCursor]) -> StoreResult<()> {
        let store = &self.service.store;
        let (firm, from) = (group[0].firm, group[0].last_seq);
        let query = EventQuery { from_seq: Some(from), limit: FAN_OUT_BATCH, numbered_only: true, ..EventQuery::default() };
        let events = store.list_events(firm, &query).await?;
        let Some(last) = events.last() else { return Ok(()) };
        let now = Timestamp::now();
        let mut writes: Vec<Write> = group.iter().map(|c| Write::AdvanceWebhookCursor { webhook: c.webhook, from, to: last.seq }).collect();
        let mut deliveries = Vec::new();
        for cursor in group {
            match self.webhook(firm, cursor.webhook).await? {
                // Purged: nothing will be sent to it again.
                None => writes.push(Write::DropWebhookCursor { webhook: cursor.webhook }),
                Some(webhook) if webhook.is_live() => deliveries.extend(wanted(&webhook, &events, now)),
                Some(_) => {}
            }
        }
        writes.extend(deliveries.into_iter().map(Write::InsertDelivery));
        // Payloads carry what the events held when read: if an erasure has
        // redacted one since, this batch must not queue them (it is read again).
        let seqs = events.iter().filter(|e| !is_redacted(e.before.as_ref(), e.after.as_ref())).map(|e| e.seq).collect();
        writes.push(Write::RequireUnredacted { firm, seqs });
        match store.apply(writes).await {
            // Another node moved a cursor first, and queued these.
            Ok(_) | Err(StoreError::VersionMismatch) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn webhook(&self, firm: FirmId, id: WebhookId) -> StoreResult<Option<Webhook>> {
        let record = self.service.store.get_record(firm, RecordKind::Webhook, id.as_uuid()).await?;
        Ok(record.and_then(|r| Stored::from_record(r).ok()))
    }

    /// Claims due deliveries into the lanes: of every subscription with some
    /// when `look`, else of those whose last claim left more behind. Each
    /// claim's attempts start as soon as it returns.
    async fn claim(self: &Arc<Self>, look: bool, done: &mpsc::Sender<Done>) -> StoreResult<()> {
        let settings = &self.service.webhooks().settings;
        let now = Timestamp::now();
        let lease_ms = i64::try_from(settings.timeout.as_millis() * 2).unwrap_or(i64::MAX / 4) + 10_000;
        let mut candidates = if look { self.service.store.due_webhooks(now, DUE_LIMIT).await? } else { Vec::new() };
        candidates.extend(self.lanes().iter().filter(|(_, l)| l.more).map(|(id, _)| *id));
        candidates.sort_unstable();
        candidates.dedup();
        for webhook_id in candidates {
            let want = self.lanes().get(&webhook_id).map_or(settings.per_subscription * AHEAD, |l| l.room(settings.per_subscription));
            if want == 0 {
                continue;
            }
            let claimed = self.service.store.claim_deliveries(webhook_id, now, now.millis() + lease_ms, want).await?;
            let known = self.lanes().get(&webhook_id).is_some_and(|l| l.knows_webhook(settings.poll));
            // `None` if purged: its deliveries are cancelled.
            let read = match claimed.first() {
                Some(first) if !known => Some(self.webhook(first.firm_id, webhook_id).await?),
                _ => None,
            };
            {
                let mut lanes = self.lanes();
                let lane = lanes.entry(webhook_id).or_insert_with(Lane::new);
                lane.more = claimed.len() == want;
                if let Some(read) = read {
                    lane.webhook = read.map(|w| (w, Instant::now()));
                }
                lane.waiting.extend(claimed);
            }
            self.start_attempts(done);
        }
        Ok(())
    }

    /// Starts waiting attempts, a subscription at a time in turn, up to the
    /// limits on attempts in flight.
    fn start_attempts(self: &Arc<Self>, done: &mpsc::Sender<Done>) {
        let settings = &self.service.webhooks().settings;
        // An attempt must be able to finish within its claim.
        let margin = i64::try_from(settings.timeout.as_millis()).unwrap_or(i64::MAX / 4) + 1_000;
        let now = Timestamp::now().millis();
        let mut lanes = self.lanes();
        lanes.retain(|_, lane| !lane.idle());
        let mut started = true;
        while started && self.total.load(Ordering::Acquire) < settings.concurrency {
            started = false;
            for (id, lane) in lanes.iter_mut().filter(|(_, l)| l.in_flight < settings.per_subscription) {
                let Some(delivery) = lane.waiting.pop_front() else { continue };
                if delivery.lease_until.unwrap_or(0) - now < margin {
                    // Claimed ahead and kept waiting too long: when its lease
                    // runs out, it is claimed and tried again.
                    continue;
                }
                lane.in_flight += 1;
                self.total.fetch_add(1, Ordering::AcqRel);
                started = true;
                let (me, done, webhook, id) = (self.clone(), done.clone(), lane.webhook.as_ref().map(|(w, _)| w.clone()), *id);
                tokio::spawn(async move {
                    let lease = delivery.lease_until.unwrap_or(0);
                    let outcome = me.attempt(webhook, delivery, lease).await;
                    let healthy = outcome.healthy();
                    // The finisher is gone only when the process is ending.
                    let _ = done.send(outcome).await;
                    me.release(id, healthy);
                });
            }
        }
    }

    /// Frees the slot of an attempt whose outcome is on its way to the store.
    fn release(&self, webhook: WebhookId, healthy: bool) {
        if let Some(lane) = self.lanes().get_mut(&webhook) {
            lane.in_flight = lane.in_flight.saturating_sub(1);
            lane.healthy = healthy;
        }
        self.total.fetch_sub(1, Ordering::AcqRel);
        self.nudge.notify_one();
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
                self.service.webhooks().outcomes.count(done.finished.status);
                if let Err(e) = self.after(&done).await {
                    tracing::warn!(error = %e, webhook_id = %done.finished.webhook, "checking a failing webhook failed");
                }
            }
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

/// The deliveries a live subscription wants of these events: those its
/// patterns match, but for its own creation (it starts after that).
fn wanted(webhook: &Webhook, events: &[Event], now: Timestamp) -> Vec<Delivery> {
    let own = |e: &Event| e.kind == "webhook.created" && e.resource_id == webhook.id().to_string();
    let firm = webhook.firm_id;
    events
        .iter()
        .filter(|e| webhook.fields.wants(e) && !own(e))
        .map(|e| Delivery::new(firm, webhook.id(), Some(e.seq), &e.kind, payload(e), now))
        .collect()
}
