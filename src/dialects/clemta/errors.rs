//! Clemta's error body (`{"success": false, "message", "data": null, "error"}`), its codes, and the vendor's names for fields in it.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::api::problem::Problem;

/// Clemta's error body: `{"success": false, "message", "data": null,
/// "error": {"code", "details"}}`, codes in capitals.
pub fn error(problem: &Problem) -> (StatusCode, Value) {
    let (status, code, message) = vendor_code(problem);
    let mut error = json!({"code": code, "details": details(problem)});
    if let Some(id) = crate::dialects::common::merged_into_uuid(problem) {
        error["merged_into"] = Value::String(id);
    }
    if let Some(id) = &problem.request_id {
        error["request_id"] = Value::String(id.clone());
    }
    (status, json!({"success": false, "message": message, "data": null, "error": error}))
}

/// Status, code and message for a problem. The seed documents only 400 for a
/// bad request, so a body that isn't a JSON object is a 400 `INVALID_REQUEST`
/// too (not 415).
fn vendor_code(p: &Problem) -> (StatusCode, String, String) {
    let not_found = |code, message| (StatusCode::NOT_FOUND, code, message);
    let (status, code, message) = match p.code {
        "not_found" if p.detail.starts_with("No company ") => not_found("COMPANY_NOT_FOUND", "Company not found"),
        "not_found" if p.detail.starts_with("No contact ") => not_found("NOT_FOUND", "Contact not found"),
        code => match known(code) {
            Some(known) => known,
            None => return (p.status(), code.to_uppercase(), p.title.to_string()),
        },
    };
    (status, code.to_string(), message.to_string())
}

/// Clemta's status, code and message for a canonical code it names.
fn known(code: &str) -> Option<(StatusCode, &'static str, &'static str)> {
    Some(match code {
        "invalid_request" | "malformed_json" | "unsupported_media_type" => (StatusCode::BAD_REQUEST, "INVALID_REQUEST", "Invalid request data"),
        "payload_too_large" => (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "Request body too large"),
        "unauthorized" => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Unauthorized"),
        "insufficient_scope" => (StatusCode::FORBIDDEN, "FORBIDDEN", "Forbidden"),
        "not_found" => (StatusCode::NOT_FOUND, "NOT_FOUND", "Not found"),
        "duplicate_email" => (StatusCode::CONFLICT, "CONFLICT", "Email already in use"),
        "rate_limited" => (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "Too many requests"),
        "service_unavailable" | "overloaded" | "request_timeout" => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "Service unavailable"),
        "internal_error" => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "Internal server error"),
        _ => return None,
    })
}

/// Clemta's code for a canonical one.
pub(super) fn code_name(code: &str) -> String {
    known(code).map_or_else(|| code.to_uppercase(), |(_, name, _)| name.to_string())
}

/// A sentence: the problem's detail, or `Field 'x' …` for each bad field
/// (named as the caller wrote it).
pub(super) fn details(p: &Problem) -> String {
    if p.field_errors().is_empty() {
        return p.detail.clone();
    }
    let mut lines: Vec<String> = Vec::new();
    for e in p.field_errors() {
        let line = format!("Field '{}' {}", super::writes::NAMES.vendor_name(&e.field), e.message);
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    lines.join("; ")
}


#[derive(Serialize, ToSchema)]
#[schema(as = ClemtaErrorDetail)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// `INVALID_REQUEST`, `UNAUTHORIZED`, `FORBIDDEN`, `COMPANY_NOT_FOUND`,
    /// `NOT_FOUND`, `CONFLICT`, `RATE_LIMITED`, `SERVICE_UNAVAILABLE`, `INTERNAL_ERROR`.
    #[schema(example = "INVALID_REQUEST")]
    pub(super) code: String,
    #[schema(example = "Field 'email' is required")]
    pub(super) details: String,
    /// The request's id, to quote when asking for help.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) request_id: Option<String>,
    /// For a contact merged into another: that contact's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) merged_into: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClemtaError)]
#[allow(dead_code)]
pub struct ErrorBody {
    #[schema(example = false)]
    pub(super) success: bool,
    #[schema(example = "Invalid request data")]
    pub(super) message: String,
    /// Always `null`.
    #[schema(value_type = Option<Object>)]
    pub(super) data: Option<Value>,
    pub(super) error: ErrorDetail,
}
