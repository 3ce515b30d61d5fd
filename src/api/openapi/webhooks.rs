//! The OpenAPI 3.1 `webhooks`: what a subscription's receiver is sent.

use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Paths, PathsBuilder, Ref, Required};

use crate::domain::webhook::{event_types, PING};

/// The body of a `webhook.ping` (`POST /v1/webhooks/{id}/ping`): not an
/// event, so no `event_seq`, record or actor.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // only its schema is used
pub(super) struct WebhookPing {
    #[serde(rename = "type")]
    #[schema(example = "webhook.ping")]
    kind: String,
    /// When the ping was queued (RFC 3339).
    #[schema(example = "2026-01-15T10:30:00.000Z")]
    timestamp: String,
    data: WebhookPingData,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct WebhookPingData {
    #[schema(example = "wh_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    webhook_id: String,
}

/// The OpenAPI `webhooks`: what a receiver is sent, one entry per event type
/// (`domain::webhook::event_types`, so the list can't drift from what the
/// server writes) and the ping.
pub(super) fn webhooks() -> Paths {
    let mut paths = PathsBuilder::new();
    for event_type in event_types() {
        paths = paths.path(event_type, delivery(event_type, &event_summary(event_type), "WebhookPayload"));
    }
    let ping = "a test delivery (`POST /v1/webhooks/{id}/ping`), sent whatever the subscription's `events`, even while it is disabled";
    paths.path(PING, delivery(PING, ping, "WebhookPing")).build()
}

/// One webhook: the signed `POST` the server makes to a subscription's `url`.
fn delivery(event_type: &str, summary: &str, schema: &str) -> PathItem {
    let header = |name: &str, description: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(description))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build()
    };
    let body = RequestBodyBuilder::new()
        .required(Some(Required::True))
        .description(Some("Verify `webhook-signature` over these exact bytes before parsing them (docs/webhooks.md)."))
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))).build())
        .build();
    let mut operation = OperationBuilder::new()
        .tag("webhooks")
        .operation_id(Some(format!("{}_delivery", event_type.replace('.', "_"))))
        .summary(Some(format!("{event_type}: {summary}")))
        .description(Some(if event_type == PING {
            "Sent to one subscription when asked, signed like any delivery.".to_string()
        } else {
            format!(
                "Sent to each enabled subscription whose `events` cover `{event_type}`, signed as Standard Webhooks \
                 says, at least once: drop a `webhook-id` already handled."
            )
        }))
        .parameter(header("webhook-id", "The delivery's id (`msg_…`): the same at every attempt of one event to one subscription."))
        .parameter(header("webhook-timestamp", "When this attempt was signed, in Unix seconds; refuse one far from your clock (5 minutes)."))
        .parameter(header(
            "webhook-signature",
            "`v1,` and the base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64-decoded \
             part of the secret after `whsec_`. For 24 hours after a rotation, two, separated by a space (new secret first).",
        ))
        .request_body(Some(body))
        .response("2XX", ResponseBuilder::new().description("Received. Only the status counts (the first 1 KiB of the body is kept in the delivery log)."))
        .response(
            "default",
            ResponseBuilder::new().description(
                "Not received: any other status (a 3xx too; redirects are not followed), or no answer within \
                 `--webhook-timeout-ms`. Retried on the schedule; `410 Gone` disables the subscription at once.",
            ),
        )
        .build();
    // The receiver authenticates the sender by the signature, not by a key.
    operation.security = Some(Vec::new());
    PathItem::new(HttpMethod::Post, operation)
}

/// What an event type says happened.
fn event_summary(event_type: &str) -> String {
    let said = match event_type {
        "lead.converted" => "a lead was converted into a client (and perhaps a matter, each with its own `created` event)",
        "client.erased" => "a client was erased at a data subject's request (GDPR art. 17), with its notes and leads, and its matters \
            erased or detached as `object.matters` says; `object.counts` counts them. No personal data, in this event or any left about them",
        "nonce.created" => "a custom action's single-use nonce was issued",
        "nonce.used" => "a custom action's nonce was used up (`object` is null; `previous` is the nonce)",
        "nonce.purged" => "a nonce was erased (named for completeness: unused nonces are erased without an event)",
        "webhook.secret_rotated" => "a subscription's signing secret was rotated (no secret is ever in an event)",
        "webhook.disabled" => "the server turned a subscription off (`410 Gone`, or failing for days); `object.disabled_reason` says why",
        _ => "",
    };
    if !said.is_empty() {
        return said.to_string();
    }
    let (kind, action) = event_type.split_once('.').unwrap_or((event_type, ""));
    let kind = match kind {
        "api_key" => "an API key".to_string(),
        "intake_token" => "an intake token".to_string(),
        "webhook" => "a webhook subscription".to_string(),
        other => format!("a {}", other.replace('_', " ")),
    };
    let what = match action {
        "updated" => "changed",
        "replaced" => "replaced whole (`PUT`)",
        "deleted" => "deleted (soft: kept, and shown with `deleted_at`, until it is purged)",
        "restored" => "restored after a delete",
        "purged" => "erased for good, after the firm's retention period (`object` and `previous` are null)",
        other => other,
    };
    format!("{kind} was {what}")
}
