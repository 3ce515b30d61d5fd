//! The OpenAPI document: routes and schemas come from the handlers'
//! annotations; this adds what every operation shares (security, the error
//! responses every route can give, unique operation ids), and the OpenAPI 3.1
//! `webhooks`: one entry per event type a subscription can be sent
//! (docs/webhooks.md). `names` makes closed sets into enums; `tidy` applies
//! the rules that hold for the whole document (docs/decisions.md, "The
//! OpenAPI document") as it is rendered.

mod names;
mod tidy;
mod webhooks;

pub use names::*;
pub use tidy::render;

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{HttpMethod, Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, Required};
use utoipa::OpenApi as _;

use super::problem::{FieldErrorView, Problem};
use super::v1::views::SparseRecord;
use super::v1::webhook_views::{PayloadActor, PayloadData, WebhookPayload};
use webhooks::{WebhookPing, WebhookPingData};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Clientele",
        description = "Multi-tenant client-records API. Errors are RFC 9457 problem details \
            (`application/problem+json`) with a stable `code`. Send one credential: `X-Api-Key` or \
            `Authorization: Bearer` (both, or either twice, is a 400). Write does not imply read: a write \
            (create, update, replace, restore, convert) answers a key without the resource's read scope \
            with the fields the server owns only (ids, `version`, times), on every surface.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
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
        (name = "sessions", description = "Signing in to the console with a staff user's email and password"),
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

/// Signing in: public, and not idempotent (`api::idempotency`).
const SIGN_IN: &str = "/v1/sessions";

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
    doc.webhooks = Some(webhooks::webhooks());
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))));
    components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    components.add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
        crate::api::credentials::SESSION_COOKIE,
        "The console's session (`POST /v1/sessions`). A request that may change anything also sends `X-CSRF-Token`.",
    ))));
    for (path, item) in doc.paths.paths.iter_mut() {
        // Every other surface's routes need a key; the public intake
        // endpoint's token is in its path, and signing in is how a session
        // begins.
        let shape = shape_of(path);
        let public = path.starts_with("/v1/intake/") || path == SIGN_IN;
        let authenticated = shape.is_some() || (path.starts_with("/v1/") && !public);
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
                // The Idempotency-Key middleware reads it on every POST but a sign-in.
                let idempotent = method == HttpMethod::Post && path != SIGN_IN;
                add_shared_responses(op, idempotent, authenticated, &errors);
                qualify_operation_id(op);
            }
        }
    }
    doc
}

/// `clients_list`, `matters_get`, `api_keys_me`, `clio_grow_list_contacts`,
/// …: the tag, then the handler, as one identifier in any language (SDK
/// generators name methods and types after it, so it must be unique:
/// `tests/api/openapi.rs` checks).
fn qualify_operation_id(op: &mut Operation) {
    let tag = op.tags.as_ref().and_then(|t| t.first()).map(|t| t.replace([' ', '-'], "_"));
    if let (Some(tag), Some(id)) = (tag, op.operation_id.as_mut()) {
        if !id.starts_with(&format!("{tag}_")) {
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

fn add_shared_responses(op: &mut Operation, idempotent: bool, authenticated: bool, errors: &ErrorShape) {
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
        shared.push(("401", format!("Missing or invalid API key or session ({})", code("unauthorized"))));
        shared.push(("403", format!(
            "The key (or the user's role) lacks the scope ({}), or a session's request lacks its `X-CSRF-Token` ({})",
            code("insufficient_scope"),
            code("csrf_token_invalid")
        )));
        shared.push(("429", format!("Over the key's rate limit, or too many failed authentications ({})", code("rate_limited"))));
        op.security = Some(vec![
            SecurityRequirement::new("api_key", Vec::<String>::new()),
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("session", Vec::<String>::new()),
        ]);
    } else {
        // Said outright, so a generator doesn't apply a default, and a
        // linter knows the route is public on purpose.
        op.security = Some(Vec::new());
    }
    if idempotent {
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
