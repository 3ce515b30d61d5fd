//! Full Engage's error body (`{"error", "code", "details"}`), and the vendor's names for fields in it.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::problem::Problem;

#[derive(Serialize, ToSchema)]
#[schema(as = FullEngageFieldError)]
pub struct FieldDetail {
    #[schema(example = "name")]
    pub(super) field: String,
    #[schema(example = "is required")]
    pub(super) message: String,
}

/// Full Engage's error body.
#[derive(Serialize, ToSchema)]
#[schema(as = FullEngageError)]
pub struct ErrorBody {
    #[schema(example = "name is required")]
    pub(super) error: String,
    /// Clientele's stable code: `invalid_request`, `unauthorized`,
    /// `insufficient_scope`, `not_found`, `rate_limited`, …
    #[schema(example = "invalid_request")]
    pub(super) code: String,
    /// For `invalid_request`: each bad field and what is wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) details: Option<Vec<FieldDetail>>,
    /// For a client merged into another: that client's id.
    #[serde(rename = "mergedInto", skip_serializing_if = "Option::is_none")]
    pub(super) merged_into: Option<String>,
}

/// `{"error": "<message>", "code": "<code>", "details": [{field, message}]}`.
pub fn error(problem: &Problem) -> (StatusCode, Value) {
    let details: Vec<FieldDetail> =
        problem.field_errors().iter().map(|e| FieldDetail { field: super::writes::NAMES.vendor_name(&e.field), message: e.message.clone() }).collect();
    let message = if details.is_empty() {
        problem.detail.clone()
    } else {
        details.iter().map(|d| format!("{} {}", d.field, d.message)).collect::<Vec<_>>().join("; ")
    };
    let body = ErrorBody {
        error: message,
        code: problem.code.to_string(),
        details: (!details.is_empty()).then_some(details),
        merged_into: crate::dialects::common::merged_into_uuid(problem),
    };
    (problem.status(), serde_json::to_value(body).unwrap_or_default())
}

