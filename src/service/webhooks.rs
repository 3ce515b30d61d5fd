//! Webhook subscriptions (admin), their delivery log, retries and pings.
//! Deliveries are made by the dispatcher (`service::dispatch`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::Notify;

use super::change::Changed;
use super::precondition::Precondition;
use super::records::{RecordListRequest, RecordPage};
use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::client::merge_patch;
use crate::domain::ids::{DeliveryId, WebhookId};
use crate::domain::record::Stored;
use crate::domain::time::Timestamp;
use crate::domain::webhook::{
    parse_webhook, ping_payload, AllowedHosts, Delivery, DeliveryStatus, RetrySchedule, Secret, WebhookFields, PING, ROTATION_OVERLAP_MS,
};
use crate::store::{DeliveryQuery, Write};

pub type Webhook = Stored<WebhookFields>;

/// How webhooks are delivered (`clientele serve --webhook-…`).
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Hosts that may be reached over `http://` and at non-public addresses.
    pub allowed_hosts: AllowedHosts,
    /// Names resolved to these addresses instead of asking DNS (split-horizon
    /// setups, and tests).
    pub resolve: Vec<(String, std::net::IpAddr)>,
    /// Limit on one attempt, from connecting to the end of the answer read.
    pub timeout: Duration,
    pub schedule: RetrySchedule,
    /// Attempts in flight at once, in all and per subscription.
    pub concurrency: usize,
    pub per_subscription: usize,
    /// How often the queue is looked at without a nudge (writes on this
    /// node nudge it at once; other nodes' writes wait for this).
    pub poll: Duration,
    /// A subscription that has failed for this long without a success is
    /// disabled.
    pub disable_after: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allowed_hosts: AllowedHosts::default(),
            resolve: Vec::new(),
            timeout: Duration::from_secs(10),
            schedule: RetrySchedule::default(),
            concurrency: 64,
            per_subscription: 8,
            poll: Duration::from_millis(250),
            disable_after: Duration::from_secs(5 * 24 * 3600),
        }
    }
}

/// What the service shares with the dispatcher.
pub struct Webhooks {
    pub settings: WebhookSettings,
    /// Nudged after each commit that wrote an event, and by retries and pings.
    pub wake: Notify,
    pub outcomes: Outcomes,
}

/// Attempts by outcome since the process started (for `/metrics`).
#[derive(Default)]
pub struct Outcomes {
    pub delivered: AtomicU64,
    /// Failed, with a retry to come.
    pub retrying: AtomicU64,
    /// Failed for the last time.
    pub failed: AtomicU64,
    pub cancelled: AtomicU64,
}

impl Outcomes {
    pub fn count(&self, status: DeliveryStatus) {
        let counter = match status {
            DeliveryStatus::Delivered => &self.delivered,
            DeliveryStatus::Pending => &self.retrying,
            DeliveryStatus::Failed => &self.failed,
            DeliveryStatus::Cancelled => &self.cancelled,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl Webhooks {
    pub fn new(settings: WebhookSettings) -> Self {
        Webhooks { settings, wake: Notify::new(), outcomes: Outcomes::default() }
    }
}

/// The change to `fields`. Turning a subscription off or on ends its run of
/// failures, so one turned on again gets the full time before it is
/// disabled for failing.
fn switched(current: &Webhook, fields: WebhookFields) -> Changed<Webhook> {
    let writes = if fields.enabled != current.fields.enabled {
        vec![Write::ClearWebhookFailures { webhook: current.id() }]
    } else {
        Vec::new()
    };
    Changed { next: Stored { fields, ..current.clone() }, writes }
}

/// A subscription just created or given a new secret, with the secret that
/// exists in the clear only in this answer.
pub struct WithSecret {
    pub webhook: Webhook,
    pub secret: String,
}

/// A page of deliveries, newest first.
pub struct DeliveryPage {
    pub items: Vec<Delivery>,
    pub next_cursor: Option<i64>,
}

impl Service {
    pub fn webhooks(&self) -> &Webhooks {
        &self.webhooks
    }

    /// The delivery queue over every node, for `/metrics`.
    pub async fn webhook_queue(&self) -> ServiceResult<crate::store::QueueStatus> {
        Ok(self.store.queue_status().await?)
    }

    pub async fn create_webhook(&self, actor: &Actor, doc: &Map<String, Value>) -> ServiceResult<WithSecret> {
        actor.require(Scope::Admin)?;
        let secret = Secret::generate();
        let fields = parse_webhook(doc, &self.webhooks.settings.allowed_hosts, vec![secret.clone()], None).map_err(ServiceError::Invalid)?;
        let record = Stored::new(actor.firm.id, fields);
        let start = Write::StartWebhookCursor { firm: actor.firm.id, webhook: record.id() };
        let webhook = self.insert_new(actor, record, vec![start]).await?;
        Ok(WithSecret { webhook, secret: secret.key })
    }

    pub async fn get_webhook(&self, actor: &Actor, id: WebhookId) -> ServiceResult<Webhook> {
        actor.require(Scope::Admin)?;
        self.live(actor, id).await
    }

    pub async fn list_webhooks(&self, actor: &Actor, request: RecordListRequest) -> ServiceResult<RecordPage<WebhookFields>> {
        actor.require(Scope::Admin)?;
        self.list(actor, request).await
    }

    /// A JSON merge patch of the writable fields.
    pub async fn update_webhook(&self, actor: &Actor, id: WebhookId, patch: &Map<String, Value>, pre: Precondition) -> ServiceResult<Webhook> {
        actor.require(Scope::Admin)?;
        let patch = Value::Object(patch.clone());
        let hosts = &self.webhooks.settings.allowed_hosts;
        self.change::<Webhook>(actor, id, &pre, "updated", false, |current| {
            let mut doc = Value::Object(current.fields.to_document());
            merge_patch(&mut doc, &patch);
            let doc = doc.as_object().cloned().unwrap_or_default();
            let fields = parse_webhook(&doc, hosts, current.fields.secrets.clone(), current.fields.disabled_reason.clone())
                .map_err(ServiceError::Invalid)?;
            Ok((fields != current.fields).then(|| switched(current, fields)))
        })
        .await
    }

    pub async fn delete_webhook(&self, actor: &Actor, id: WebhookId, pre: Precondition) -> ServiceResult<()> {
        actor.require(Scope::Admin)?;
        self.soft_delete::<WebhookFields>(actor, id, &pre).await
    }

    /// A new current secret; the one it replaces keeps signing beside it for
    /// 24 hours, so receivers can switch without missing a delivery.
    pub async fn rotate_webhook_secret(&self, actor: &Actor, id: WebhookId) -> ServiceResult<WithSecret> {
        actor.require(Scope::Admin)?;
        let fresh = Secret::generate();
        let now = Timestamp::now();
        let webhook = self
            .change::<Webhook>(actor, id, &Precondition::default(), "secret_rotated", false, |current| {
                let mut secrets = vec![fresh.clone()];
                // Only the current secret lives on; an older rotated-out one ends now.
                if let Some(old) = current.fields.secrets.iter().find(|s| s.expires_at.is_none()) {
                    secrets.push(Secret { expires_at: Some(now.plus_millis(ROTATION_OVERLAP_MS)), ..old.clone() });
                }
                let fields = WebhookFields { secrets, ..current.fields.clone() };
                Ok(Some(Changed::to(Stored { fields, ..current.clone() })))
            })
            .await?;
        Ok(WithSecret { webhook, secret: fresh.key })
    }

    /// Turns a subscription off on the server's own account (its receiver
    /// answered `410 Gone`, or has failed for days), with a `webhook.disabled`
    /// event; nothing if it is already off or gone.
    pub(crate) async fn disable_webhook(&self, actor: &Actor, id: WebhookId, reason: &str) -> ServiceResult<()> {
        let result = self
            .change::<Webhook>(actor, id, &Precondition::default(), "disabled", false, |current| {
                let fields = WebhookFields { enabled: false, disabled_reason: Some(reason.to_string()), ..current.fields.clone() };
                Ok(current.fields.enabled.then(|| switched(current, fields)))
            })
            .await;
        match result {
            Ok(_) | Err(ServiceError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn list_deliveries(
        &self,
        actor: &Actor,
        id: WebhookId,
        status: Option<DeliveryStatus>,
        before: Option<i64>,
        limit: usize,
    ) -> ServiceResult<DeliveryPage> {
        self.get_webhook(actor, id).await?;
        let query = DeliveryQuery { status, before, limit: limit + 1 };
        let mut found = self.store.list_deliveries(actor.firm.id, id, &query).await?;
        let more = found.len() > limit;
        found.truncate(limit);
        let next_cursor = if more { found.last().map(|(seq, _)| *seq) } else { None };
        Ok(DeliveryPage { items: found.into_iter().map(|(_, d)| d).collect(), next_cursor })
    }

    pub async fn get_delivery(&self, actor: &Actor, id: WebhookId, delivery: DeliveryId) -> ServiceResult<Delivery> {
        self.get_webhook(actor, id).await?;
        self.store.get_delivery(actor.firm.id, id, delivery).await?.ok_or(ServiceError::NotFound("delivery"))
    }

    /// Queues a delivery again, now (a failed or cancelled one gets one more
    /// attempt). No event: it changes no firm data.
    pub async fn retry_delivery(&self, actor: &Actor, id: WebhookId, delivery: DeliveryId) -> ServiceResult<Delivery> {
        self.get_delivery(actor, id, delivery).await?;
        let at = Timestamp::now();
        self.store.apply(vec![Write::RetryDelivery { firm: actor.firm.id, webhook: id, id: delivery, at }]).await?;
        self.webhooks.wake.notify_one();
        self.get_delivery(actor, id, delivery).await
    }

    /// Queues a signed `webhook.ping` to the subscription, whatever its
    /// event patterns.
    pub async fn ping_webhook(&self, actor: &Actor, id: WebhookId) -> ServiceResult<Delivery> {
        let webhook = self.get_webhook(actor, id).await?;
        let now = Timestamp::now();
        let delivery = Delivery::new(actor.firm.id, webhook.id(), None, PING, ping_payload(webhook.id(), now), now);
        self.store.apply(vec![Write::InsertDelivery(delivery.clone())]).await?;
        self.webhooks.wake.notify_one();
        Ok(delivery)
    }
}
