//! Response bodies of webhook subscriptions, their deliveries, and record
//! histories; and the payloads receivers get, for the OpenAPI `webhooks`.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::record_views::{meta, Meta};
use super::views::{EventView, Pagination};
use crate::domain::webhook::{Attempt, Delivery};
use crate::service::webhooks::Webhook;

#[derive(Serialize, ToSchema)]
pub struct WebhookView {
    #[schema(example = "wh_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    pub id: String,
    #[schema(example = "https://hooks.example.com/clientele")]
    pub url: String,
    #[schema(example = json!(["client.*", "matter.created"]))]
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    /// API key ids whose changes are not sent (the loop guard).
    pub exclude_actor_keys: Vec<String>,
    /// Why the server turned the subscription off (`410 Gone`, days of
    /// failures); cleared when it is enabled again.
    pub disabled_reason: Option<String>,
    #[serde(flatten)]
    pub meta: Meta,
}

impl From<&Webhook> for WebhookView {
    fn from(w: &Webhook) -> Self {
        let f = &w.fields;
        Self {
            id: w.id().to_string(),
            url: f.url.clone(),
            events: f.events.clone(),
            description: f.description.clone(),
            enabled: f.enabled,
            exclude_actor_keys: f.exclude_actor_keys.iter().map(|k| k.to_string()).collect(),
            disabled_reason: f.disabled_reason.clone(),
            meta: meta(w),
        }
    }
}

/// A subscription with its signing secret, shown only here: on create and
/// on rotation.
#[derive(Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_` and the base64 of 32 random bytes: the Standard Webhooks
    /// form, which their libraries take as is.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookEnvelope {
    pub data: WebhookView,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookSecretEnvelope {
    pub data: WebhookWithSecret,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    pub data: Vec<WebhookView>,
    pub pagination: Pagination,
}

crate::contract_body!(WebhookWrite, crate::domain::webhook::WEBHOOK);
crate::contract_body!(WebhookPatch, crate::domain::webhook::WEBHOOK, patch);

#[derive(Serialize, ToSchema)]
pub struct AttemptView {
    /// 1 for the first attempt.
    pub n: i64,
    pub at: String,
    /// The receiver's status; null when no answer came.
    pub http_status: Option<u16>,
    pub latency_ms: i64,
    /// Why no answer came: refused address, timeout, connection error.
    pub error: Option<String>,
    /// The first 1 KiB of what the receiver answered.
    pub response: Option<String>,
}

impl From<&Attempt> for AttemptView {
    fn from(a: &Attempt) -> Self {
        Self {
            n: a.n,
            at: a.at.to_string(),
            http_status: a.http_status,
            latency_ms: a.latency_ms,
            error: a.error.clone(),
            response: a.response.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    /// The `webhook-id` header: the same at every attempt.
    #[schema(example = "msg_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    pub id: String,
    pub webhook_id: String,
    /// The event's `seq` in the firm's log; null for a ping.
    pub event_seq: Option<i64>,
    #[schema(example = "client.updated")]
    pub event_type: String,
    /// `pending`, `delivered`, `failed` (every attempt failed) or `cancelled`
    /// (its subscription was disabled or deleted first).
    #[schema(value_type = crate::api::openapi::DeliveryStatusName, example = "delivered")]
    pub status: &'static str,
    pub attempt_count: i64,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<String>,
    pub attempts: Vec<AttemptView>,
    /// The body sent.
    #[schema(value_type = Object)]
    pub payload: Value,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        Self {
            id: d.id.to_string(),
            webhook_id: d.webhook_id.to_string(),
            event_seq: d.event_seq,
            event_type: d.event_type.clone(),
            status: d.status.as_str(),
            attempt_count: d.attempt_count,
            next_attempt_at: d.next_attempt_at.map(|t| t.to_string()),
            attempts: d.attempts.iter().map(AttemptView::from).collect(),
            payload: serde_json::from_str(&d.payload).unwrap_or(Value::Null),
            created_at: d.created_at.to_string(),
            updated_at: d.updated_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryEnvelope {
    pub data: DeliveryView,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    pub data: Vec<DeliveryView>,
    pub pagination: Pagination,
}

/// A record's events, newest first.
#[derive(Serialize, ToSchema)]
pub struct HistoryList {
    pub data: Vec<EventView>,
    pub pagination: Pagination,
}

/// Who made a change.
#[derive(Serialize, ToSchema)]
pub struct PayloadActor {
    /// Null for the operator's CLI and the server itself.
    #[schema(required = true)]
    pub key_id: Option<String>,
    #[schema(required = true)]
    pub user_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PayloadData {
    /// The event's position in the firm's log.
    pub event_seq: i64,
    #[schema(example = "client")]
    pub resource_type: String,
    #[schema(example = "cli_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    pub resource_id: String,
    /// The record after the change, as the audit log shows it; null when it
    /// was purged (or, for `nonce.used`, used up).
    #[schema(value_type = Option<Object>, required = true)]
    pub object: Option<Value>,
    /// The values the change replaced, by field (null for a field that was
    /// not there before); the whole record when nothing is left after
    /// (`nonce.used`); null on create and purge.
    #[schema(value_type = Option<Object>, required = true)]
    pub previous: Option<Value>,
    pub actor: PayloadActor,
}

/// The body of a delivery. Verify the `webhook-signature` header before
/// trusting it (docs/webhooks.md).
#[derive(Serialize, ToSchema)]
pub struct WebhookPayload {
    #[serde(rename = "type")]
    #[schema(example = "client.updated")]
    pub kind: String,
    /// When the change was made (RFC 3339).
    #[schema(example = "2026-01-15T10:30:00.000Z")]
    pub timestamp: String,
    pub data: PayloadData,
}
