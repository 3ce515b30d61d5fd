//! ActuallyCare's error body (`{"success": false, "error": {…}}`), and the vendor's names for fields in it.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::problem::Problem;
use crate::domain::time::Timestamp;

/// ActuallyCare's error codes, one per kind of failure.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = ActuallycareErrorCode)]
pub enum ErrorCode {
    ValidationError,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    ServiceUnavailable,
    InternalError,
}

impl ErrorCode {
    /// By status: every 4xx the list doesn't name (a malformed or oversized
    /// body, a wrong method) is a request to fix, so `VALIDATION_ERROR`.
    pub(super) fn of(status: u16) -> Self {
        match status {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            409 | 412 => ErrorCode::Conflict,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::ServiceUnavailable,
            400..=499 => ErrorCode::ValidationError,
            _ => ErrorCode::InternalError,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ValidationError => "VALIDATION_ERROR",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::InternalError => "INTERNAL_ERROR",
        }
    }
}

/// ActuallyCare's code for a canonical one (by the status it comes with).
pub(super) fn code_name(code: &str) -> String {
    ErrorCode::of(crate::api::problem::lookup(code).0).as_str().to_string()
}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareFieldError)]
pub struct FieldDetail {
    #[schema(example = "client_type")]
    pub(super) field: String,
    #[schema(example = "must be one of buyer, seller, both")]
    pub(super) message: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareErrorDetail)]
pub struct ErrorDetail {
    pub(super) code: ErrorCode,
    #[schema(example = "client_type must be one of buyer, seller, both")]
    pub(super) message: String,
    /// For `VALIDATION_ERROR`: each bad field and what is wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) details: Option<Vec<FieldDetail>>,
    /// The id of the request, to quote when asking for help.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) request_id: Option<String>,
    /// For a client merged into another: that client's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) merged_into: Option<String>,
}

/// ActuallyCare's error envelope.
#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareError)]
pub struct ErrorBody {
    #[schema(example = false)]
    pub(super) success: bool,
    pub(super) error: ErrorDetail,
    /// When the error happened (RFC 3339, UTC).
    #[schema(example = "2026-07-15T14:32:10.000Z")]
    pub(super) timestamp: String,
}

/// `{"success": false, "error": {"code", "message", "details"}, "timestamp"}`.
pub fn error(problem: &Problem) -> (StatusCode, Value) {
    let details: Vec<FieldDetail> =
        problem.field_errors().iter().map(|e| FieldDetail { field: vendor_field(&e.field), message: e.message.clone() }).collect();
    let message = if details.is_empty() {
        problem.detail.clone()
    } else {
        details.iter().map(|d| format!("{} {}", d.field, d.message)).collect::<Vec<_>>().join("; ")
    };
    let body = ErrorBody {
        success: false,
        error: ErrorDetail {
            code: ErrorCode::of(problem.status),
            message,
            details: (!details.is_empty()).then_some(details),
            request_id: problem.request_id.clone(),
            merged_into: crate::dialects::common::merged_into_uuid(problem),
        },
        timestamp: Timestamp::now().to_string(),
    };
    (problem.status(), serde_json::to_value(body).unwrap_or_default())
}

/// A field as the caller wrote it: vendor-only fields are top-level here,
/// though the service names them inside `custom_fields`.
pub(super) fn vendor_field(field: &str) -> String {
    super::writes::NAMES.vendor_name(field)
}
