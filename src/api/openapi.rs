//! The OpenAPI document: routes and schemas come from the handlers'
//! annotations; this adds what every operation shares (security, the error
//! responses every route can give).

use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref};
use utoipa::OpenApi as _;

use super::problem::{FieldErrorView, Problem};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Clientele",
        description = "Multi-tenant client-records API. Errors are RFC 9457 problem details \
            (`application/problem+json`) with a stable `code`.",
        license(name = "Apache-2.0")
    ),
    components(schemas(Problem, FieldErrorView)),
    tags(
        (name = "clients", description = "People and companies a firm serves"),
        (name = "api keys", description = "Keys and the caller's identity"),
        (name = "events", description = "The audit log"),
        (name = "operations", description = "Health, readiness and documentation"),
    )
)]
struct Base;

pub fn base() -> OpenApi {
    Base::openapi()
}

/// Adds security schemes and the shared error responses.
pub fn finish(mut doc: OpenApi) -> OpenApi {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))));
    components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    for (path, item) in doc.paths.paths.iter_mut() {
        let authenticated = path.starts_with("/v1/");
        for op in [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten() {
            add_shared_responses(op, authenticated);
        }
    }
    doc
}

fn add_shared_responses(op: &mut Operation, authenticated: bool) {
    let has_body = op.request_body.is_some();
    let mut shared = vec![("500", "Internal error (`internal_error`)"), ("503", "Database unavailable (`service_unavailable`)")];
    if authenticated {
        shared.push(("400", "Invalid fields or parameters (`invalid_request`, `malformed_json`); `errors` lists each"));
        shared.push(("401", "Missing or invalid API key (`unauthorized`)"));
        shared.push(("403", "The key lacks the scope (`insufficient_scope`)"));
        op.security = Some(vec![
            SecurityRequirement::new("api_key", Vec::<String>::new()),
            SecurityRequirement::new("bearer", Vec::<String>::new()),
        ]);
    }
    if has_body {
        shared.push(("413", "Body over 1 MiB (`payload_too_large`)"));
        shared.push(("415", "Body not sent as JSON (`unsupported_media_type`)"));
    }
    for (status, description) in shared {
        if op.responses.responses.contains_key(status) {
            continue;
        }
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
        let response = ResponseBuilder::new().description(description).content("application/problem+json", content).build();
        op.responses.responses.insert(status.to_string(), response.into());
    }
}
