//! The OpenAPI document: routes and schemas come from the handlers'
//! annotations; this adds what every operation shares (security, the error
//! responses every route can give), and the OpenAPI 3.1 `webhooks`: one
//! entry per event type a subscription can be sent (docs/webhooks.md).

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Paths, PathsBuilder, Ref, Required};
use utoipa::OpenApi as _;

use super::problem::{FieldErrorView, Problem};
use super::v1::views::SparseRecord;
use super::v1::webhook_views::{PayloadActor, PayloadData, WebhookPayload};
use crate::domain::webhook::{event_types, PING};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Clientele",
        description = "Multi-tenant client-records API. Errors are RFC 9457 problem details \
            (`application/problem+json`) with a stable `code`. Send one credential: `X-Api-Key` or \
            `Authorization: Bearer` (both, or either twice, is a 400). Write does not imply read: a write \
            (create, update, replace, restore, convert) answers a key without the resource's read scope \
            with the fields the server owns only (ids, `version`, times), on every surface.",
        license(name = "Apache-2.0")
    ),
    components(schemas(Problem, FieldErrorView, SparseRecord, WebhookPayload, PayloadData, PayloadActor, WebhookPing, WebhookPingData)),
    tags(
        (name = "clients", description = "People and companies a firm serves"),
        (name = "api keys", description = "Keys and the caller's identity"),
        (name = "events", description = "The audit log"),
        (name = "matters", description = "Clients' cases and deals"),
        (name = "notes", description = "Notes on clients and matters"),
        (name = "leads", description = "The intake inbox, lead conversion and public intake forms"),
        (name = "users", description = "Staff users"),
        (name = "custom fields", description = "Typed custom field definitions for clients and matters"),
        (name = "custom actions", description = "UI links with single-use nonces (Clio Grow)"),
        (name = "webhooks", description = "Subscriptions to events and their delivery log; what is delivered is under `webhooks`"),
        (name = "operations", description = "Health, readiness and documentation"),
    )
)]
struct Base;

pub fn base() -> OpenApi {
    Base::openapi()
}

/// How the errors of a surface built on the toolkit are documented (a vendor
/// dialect's, on its paths).
pub struct ErrorShape {
    pub content_type: &'static str,
    /// The name of the error body's schema.
    pub schema: &'static str,
    /// The surface's name for a problem code (`unauthorized` → `UNAUTHORIZED`).
    pub code: fn(&str) -> String,
}

/// The canonical API's errors: problem+json, codes as they are.
const PROBLEMS: ErrorShape = ErrorShape { content_type: "application/problem+json", schema: "Problem", code: str::to_string };

/// Adds security schemes and the shared error responses (in the shape
/// `shape_of` gives for a path, problem+json where it gives none), and makes
/// operation ids unique (utoipa names an operation after its handler, and
/// many modules have a `list` or a `get`).
pub fn finish(mut doc: OpenApi, shape_of: &dyn Fn(&str) -> Option<ErrorShape>) -> OpenApi {
    doc.webhooks = Some(webhooks());
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))));
    components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    for (path, item) in doc.paths.paths.iter_mut() {
        // Every other surface's routes need a key; the public intake
        // endpoint's token is in its path.
        let shape = shape_of(path);
        let authenticated = shape.is_some() || (path.starts_with("/v1/") && !path.starts_with("/v1/intake/"));
        let errors = shape.unwrap_or(PROBLEMS);
        let operations = [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Patch, &mut item.patch),
            (HttpMethod::Delete, &mut item.delete),
        ];
        for (method, op) in operations {
            if let Some(op) = op {
                add_shared_responses(op, &method, authenticated, &errors);
                qualify_operation_id(op);
            }
        }
    }
    doc
}

/// `clients_list`, `matters_get`, `api_keys_me`, …: the tag, then the handler.
fn qualify_operation_id(op: &mut Operation) {
    let tag = op.tags.as_ref().and_then(|t| t.first()).map(|t| t.replace(' ', "_"));
    if let (Some(tag), Some(id)) = (tag, op.operation_id.as_mut()) {
        if !id.starts_with(&tag) {
            *id = format!("{tag}_{id}");
        }
    }
}

fn idempotency_key() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Any unique string (a UUID) of 1-255 visible ASCII characters. A retry with the same key and request \
             gets the first response again (`Idempotent-Replayed: true`); kept 24 hours.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(255))))
        .build()
}

fn retry_after() -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1))))
        .description(Some("Seconds to wait before retrying"))
        .build()
}

fn add_shared_responses(op: &mut Operation, method: &HttpMethod, authenticated: bool, errors: &ErrorShape) {
    let has_body = op.request_body.is_some();
    let code = |c: &str| format!("`{}`", (errors.code)(c));
    let mut shared = vec![
        ("500", format!("Internal error ({})", code("internal_error"))),
        ("503", format!(
            "Database unavailable ({}), at the concurrency limit ({}) or over the time limit ({})",
            code("service_unavailable"),
            code("overloaded"),
            code("request_timeout")
        )),
    ];
    if authenticated {
        shared.push(("400", format!("Invalid fields or parameters ({}, {}); each is listed", code("invalid_request"), code("malformed_json"))));
        shared.push(("401", format!("Missing or invalid API key ({})", code("unauthorized"))));
        shared.push(("403", format!("The key lacks the scope ({})", code("insufficient_scope"))));
        shared.push(("429", format!("Over the key's rate limit, or too many failed authentications ({})", code("rate_limited"))));
        op.security = Some(vec![
            SecurityRequirement::new("api_key", Vec::<String>::new()),
            SecurityRequirement::new("bearer", Vec::<String>::new()),
        ]);
    }
    if *method == HttpMethod::Post {
        // The Idempotency-Key middleware reads this and answers these for any POST.
        op.parameters.get_or_insert_with(Vec::new).push(idempotency_key().into());
        shared.push(("409", format!(
                "A request with this `Idempotency-Key` is still running ({}), or made its change and lost its response ({})",
                code("idempotency_in_progress"),
                code("idempotency_response_lost")
            )));
        shared.push(("422", format!("This `Idempotency-Key` was used with another request ({})", code("idempotency_key_reused"))));
    }
    if has_body {
        shared.push(("413", format!("Body over 1 MiB ({})", code("payload_too_large"))));
        shared.push(("415", format!("Body not sent as JSON ({})", code("unsupported_media_type"))));
    }
    for (status, description) in shared {
        if op.responses.responses.contains_key(status) {
            continue;
        }
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(errors.schema))).build();
        let mut response = ResponseBuilder::new().description(&description).content(errors.content_type, content);
        if matches!(status, "429" | "503") {
            response = response.header("Retry-After", retry_after());
        }
        op.responses.responses.insert(status.to_string(), response.build().into());
    }
}

/// The body of a `webhook.ping` (`POST /v1/webhooks/{id}/ping`): not an
/// event, so no `event_seq`, record or actor.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // only its schema is used
struct WebhookPing {
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
struct WebhookPingData {
    #[schema(example = "wh_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    webhook_id: String,
}

/// The OpenAPI `webhooks`: what a receiver is sent, one entry per event type
/// (`domain::webhook::event_types`, so the list can't drift from what the
/// server writes) and the ping.
fn webhooks() -> Paths {
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
    let operation = OperationBuilder::new()
        .tag("webhooks")
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
    PathItem::new(HttpMethod::Post, operation)
}

/// What an event type says happened.
fn event_summary(event_type: &str) -> String {
    let said = match event_type {
        "lead.converted" => "a lead was converted into a client (and perhaps a matter, each with its own `created` event)",
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
