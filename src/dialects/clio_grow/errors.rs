//! Clio Grow's error body (`{"error": {"type", "message", "code", …}}`), its
//! error classes, and the vendor's names for parameters in it.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::api::problem::Problem;

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
    if let Some(seq) = problem.merged_into_seq {
        error["merged_into"] = Value::from(seq);
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
    /// For a contact merged into another: that contact's integer id.
    merged_into: Option<i64>,
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
            merged_into: None,
            merged_into_seq: None,
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
}
