//! CalmIntake's error body, and the vendor's names for fields in it.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::api::problem::Problem;

/// CalmIntake's error body: `{"error": {"code", "message", "details"}}`.
pub fn error(problem: &Problem) -> (StatusCode, Value) {
    let mut error = json!({"code": code_name(problem.code), "message": problem.message()});
    if !problem.field_errors().is_empty() {
        let details: Vec<Value> = problem
            .field_errors()
            .iter()
            .map(|e| json!({"field": super::writes::NAMES.vendor_name(&e.field), "message": e.message}))
            .collect();
        error["details"] = Value::Array(details);
    }
    if let Some(id) = &problem.merged_into {
        error["merged_into"] = Value::String(id.clone());
    }
    if let Some(id) = &problem.request_id {
        error["request_id"] = Value::String(id.clone());
    }
    (problem.status(), json!({ "error": error }))
}

/// CalmIntake's code for a canonical one.
pub(super) fn code_name(code: &str) -> String {
    match code {
        "malformed_json" | "unsupported_media_type" => "invalid_request",
        "not_found" => "client_not_found",
        other => other,
    }
    .to_string()
}


#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeError)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// `{"code": "invalid_request" | "unauthorized" | "insufficient_scope" |
    /// "client_not_found" | "duplicate_email" | "rate_limited" | …,
    /// "message": "…", "details": [{"field", "message"}], "merged_into"?: "cli_…"}`
    /// (`merged_into`: for a client merged into another, that one's id)
    #[schema(value_type = Object)]
    error: Value,
}
