//! Clio Grow's API (`../shared/seeds/clio-grow-api.txt`), at
//! `/compat/clio-grow/api/v1/…`: contacts, their notes, custom actions, inbox
//! leads, matters, their notes and users. Records are named by per-table
//! integer ids (plus `global_id`, the canonical id's base32 part); lists page
//! with an opaque `page_token` (the canonical cursor) and filter by `ids[]`,
//! `created_since` and `updated_since`; bodies are wrapped in `{"data": …}`.
//! Choices the seed leaves open: docs/dialects/clio-grow.md.

mod contacts;
mod custom_actions;
mod leads;
mod matters;
mod notes;
mod paging;
mod users;

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::common::refuse_unknown;
use crate::api::problem::Problem;
use crate::api::problem::ApiError;
use crate::api::AppState;
use crate::domain::client::Address;
use crate::service::ServiceError;

const TAG: &str = "clio-grow";

/// What a write shows a key that may not read the record ([`crate::api::written`]).
const OWNED: &[&str] = &["id", "global_id", "created_at", "updated_at"];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(contacts::list))
        .routes(routes!(contacts::get))
        .routes(routes!(notes::list_contact_notes, notes::create_contact_note))
        .routes(routes!(custom_actions::list, custom_actions::create))
        .routes(routes!(leads::list, leads::create))
        .routes(routes!(leads::get))
        .routes(routes!(matters::list))
        .routes(routes!(matters::get))
        .routes(routes!(notes::list_matter_notes, notes::create_matter_note))
        .routes(routes!(users::list))
        .routes(routes!(users::who_am_i))
        .routes(routes!(users::get))
}

/// Clio's error body: `{"error": {"type", "message", "code", "details"?, "request_id"?}}`.
pub fn error(problem: &Problem) -> (StatusCode, Value) {
    let mut error = json!({
        "type": error_type(problem.status),
        "message": problem.message(),
        "code": problem.code,
    });
    if !problem.field_errors().is_empty() {
        let details: Vec<Value> =
            problem.field_errors().iter().map(|e| json!({"field": vendor_field(&e.field), "message": e.message})).collect();
        error["details"] = Value::Array(details);
        let message: Vec<String> = problem.field_errors().iter().map(|e| format!("{} {}", vendor_field(&e.field), e.message)).collect();
        error["message"] = Value::String(message.join("; "));
    }
    if let Some(id) = &problem.request_id {
        error["request_id"] = Value::String(id.clone());
    }
    (problem.status(), json!({ "error": error }))
}

/// Clio's error class names, by status.
fn error_type(status: u16) -> &'static str {
    match status {
        400 => "ValidationError",
        401 => "AuthenticationError",
        403 => "ForbiddenError",
        404 => "RecordNotFound",
        405 => "MethodNotAllowedError",
        409 => "ConflictError",
        412 => "PreconditionFailedError",
        413 => "PayloadTooLargeError",
        415 => "UnsupportedMediaTypeError",
        422 => "UnprocessableEntityError",
        429 => "RateLimitError",
        503 => "ServiceUnavailable",
        _ => "InternalServerError",
    }
}

/// Parameter names in errors, as a Clio Grow caller wrote them (body
/// fields are renamed where they are parsed, see `leads`).
fn vendor_field(field: &str) -> String {
    match field {
        "cursor" => "page_token".into(),
        other => other.into(),
    }
}

/// Clio Grow's error body, as documented for every error status.
#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowError)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowErrorDetail)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// `ValidationError` (400), `AuthenticationError` (401), `ForbiddenError`
    /// (403), `RecordNotFound` (404), `ConflictError` (409), `RateLimitError`
    /// (429), `ServiceUnavailable` (503), `InternalServerError` (500), …
    #[serde(rename = "type")]
    #[schema(example = "ValidationError")]
    type_: String,
    #[schema(example = "email is not a valid email address: missing @")]
    message: String,
    /// The canonical machine-readable code (`invalid_request`, `unauthorized`,
    /// `insufficient_scope`, `invalid_nonce`, `not_found`, `rate_limited`, …).
    #[schema(example = "invalid_request")]
    code: String,
    /// For validation errors: each bad field and what is wrong with it.
    details: Option<Vec<ErrorField>>,
    request_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowErrorField)]
#[allow(dead_code)]
pub struct ErrorField {
    #[schema(example = "email")]
    field: String,
    #[schema(example = "is not a valid email address: missing @")]
    message: String,
}

/// The `data` object of a create body (`{"data": {...}}`).
fn data_object(body: Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    refuse_unknown(&body, &["data"])?;
    match body.into_iter().next() {
        Some((_, Value::Object(data))) => Ok(data),
        Some(_) => Err(ServiceError::invalid("data", "must be an object").into()),
        None => Err(ServiceError::invalid("data", "is required").into()),
    }
}

/// The Crockford base32 part of a canonical id (`cli_01ARZ…` → `01ARZ…`).
fn global_id(canonical: &str) -> String {
    canonical.split_once('_').map_or(canonical, |(_, rest)| rest).to_string()
}

/// A custom field holding an integer (or an integer written as a string).
fn custom_integer(custom: &Map<String, Value>, key: &str) -> Option<i64> {
    match custom.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A custom field holding a string.
fn custom_string(custom: &Map<String, Value>, key: &str) -> Option<String> {
    custom.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Clio's address: `street` (both lines), `province` and `postal_code`.
#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowAddress)]
pub struct AddressView {
    #[schema(example = "123 Main St")]
    street: Option<String>,
    #[schema(example = "San Francisco")]
    city: Option<String>,
    #[schema(example = "CA")]
    province: Option<String>,
    #[schema(example = "94102")]
    postal_code: Option<String>,
    #[schema(example = "USA")]
    country: Option<String>,
}

impl From<&Address> for AddressView {
    fn from(a: &Address) -> Self {
        let street = match (&a.line1, &a.line2) {
            (Some(one), Some(two)) => Some(format!("{one}\n{two}")),
            (one, two) => one.clone().or_else(|| two.clone()),
        };
        Self {
            street,
            city: a.city.clone(),
            province: a.region.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(status: u16, code: &'static str, errors: Vec<(&str, &str)>) -> Problem {
        let errors: Vec<_> = errors.into_iter().map(|(f, m)| crate::api::problem::FieldErrorView { field: f.into(), message: m.into() }).collect();
        Problem {
            type_: format!("/problems/{code}"),
            title: "t",
            status,
            detail: "Something.".into(),
            code,
            errors: (!errors.is_empty()).then_some(errors),
            request_id: Some("req_1".into()),
        }
    }

    #[test]
    fn errors_take_clio_types_and_keep_the_code() {
        let cases = [
            (400, "invalid_request", "ValidationError"),
            (401, "unauthorized", "AuthenticationError"),
            (403, "insufficient_scope", "ForbiddenError"),
            (403, "invalid_nonce", "ForbiddenError"),
            (404, "not_found", "RecordNotFound"),
            (409, "idempotency_in_progress", "ConflictError"),
            (422, "idempotency_key_reused", "UnprocessableEntityError"),
            (429, "rate_limited", "RateLimitError"),
            (500, "internal_error", "InternalServerError"),
            (503, "service_unavailable", "ServiceUnavailable"),
        ];
        for (status, code, kind) in cases {
            let (s, body) = error(&problem(status, code, vec![]));
            assert_eq!(s.as_u16(), status);
            assert_eq!(body["error"]["type"], kind);
            assert_eq!(body["error"]["code"], code);
            assert_eq!(body["error"]["message"], "Something.");
            assert_eq!(body["error"]["request_id"], "req_1");
            assert!(body["error"].get("details").is_none());
        }
    }

    #[test]
    fn validation_details_use_clio_field_names() {
        let (_, body) = error(&problem(400, "invalid_request", vec![("email", "is bad"), ("cursor", "is not a cursor")]));
        assert_eq!(body["error"]["details"], json!([{"field": "email", "message": "is bad"}, {"field": "page_token", "message": "is not a cursor"}]));
        assert_eq!(body["error"]["message"], "email is bad; page_token is not a cursor");
    }

    #[test]
    fn street_joins_both_lines() {
        let a = Address { line1: Some("1 Main".into()), line2: Some("Suite 2".into()), ..Address::default() };
        assert_eq!(AddressView::from(&a).street.as_deref(), Some("1 Main\nSuite 2"));
        let b = Address { line2: Some("Suite 2".into()), ..Address::default() };
        assert_eq!(AddressView::from(&b).street.as_deref(), Some("Suite 2"));
    }

    #[test]
    fn global_id_is_the_base32_part() {
        assert_eq!(global_id("cli_01ARZ3NDEKTSV4RRFFQ69G5FAV"), "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    }
}
