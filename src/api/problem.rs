//! Every error the HTTP API returns, as RFC 9457 problem details, made in this
//! one place.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::context::current_request_id;
use crate::domain::field::FieldError;
use crate::service::ServiceError;

/// An RFC 9457 problem. Every problem response carries it as an extension
/// too, so a surface that renders errors in its own shape (a vendor dialect)
/// reads it there instead of parsing the body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type; resolves to its documentation.
    #[schema(example = "/problems/duplicate_email")]
    #[serde(rename = "type")]
    pub type_: String,
    #[schema(example = "Duplicate email")]
    pub title: &'static str,
    #[schema(example = 409)]
    pub status: u16,
    #[schema(example = "Another client of this firm already has this email.")]
    pub detail: String,
    /// Stable, machine-readable error code.
    #[schema(example = "duplicate_email")]
    pub code: &'static str,
    /// For validation errors: every bad field and what is wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldErrorView>>,
    /// The id of the request, to quote when asking for help.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// For a client merged into another: that client's id, to read instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "cli_01J9ZQ4R8Y6V2K3M5N7P9Q1S3T")]
    pub merged_into: Option<String>,
    /// The same client's integer id, for the dialects that show those.
    #[serde(skip)]
    #[schema(ignore)]
    pub merged_into_seq: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldErrorView {
    #[schema(example = "email")]
    pub field: String,
    #[schema(example = "is not a valid email address: missing @")]
    pub message: String,
}

impl Problem {
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The field errors of a validation problem (none otherwise).
    pub fn field_errors(&self) -> &[FieldErrorView] {
        self.errors.as_deref().unwrap_or_default()
    }

    /// A problem body this server wrote (a replayed response), with its code
    /// and title back from the catalog.
    pub fn from_json(body: &[u8]) -> Option<Problem> {
        #[derive(serde::Deserialize)]
        struct Stored {
            code: String,
            detail: String,
            #[serde(default)]
            errors: Vec<StoredField>,
            request_id: Option<String>,
            merged_into: Option<String>,
        }
        #[derive(serde::Deserialize)]
        struct StoredField {
            field: String,
            message: String,
        }
        let stored: Stored = serde_json::from_slice(body).ok()?;
        let (code, status, title, _) = CATALOG.iter().find(|(c, ..)| *c == stored.code)?;
        let errors: Vec<FieldErrorView> = stored.errors.into_iter().map(|e| FieldErrorView { field: e.field, message: e.message }).collect();
        Some(Problem {
            type_: format!("/problems/{code}"),
            title,
            status: *status,
            detail: stored.detail,
            code,
            errors: (!errors.is_empty()).then_some(errors),
            request_id: stored.request_id,
            merged_into: stored.merged_into,
            merged_into_seq: None,
        })
    }

    /// `detail`, or for validation problems each field and what is wrong with it.
    pub fn message(&self) -> String {
        let errors = self.field_errors();
        if errors.is_empty() {
            return self.detail.clone();
        }
        errors.iter().map(|e| format!("{} {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
    }
}

/// Errors of the HTTP layer: the service's, plus those only HTTP can have.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the body must be a JSON object")]
    NotAnObject,
    #[error("the body must be sent as application/json")]
    UnsupportedMediaType,
    #[error("the body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("no route matches this path")]
    RouteNotFound,
    #[error("this route does not support this method")]
    MethodNotAllowed,
    #[error("the request took too long")]
    Timeout,
    #[error("the server is handling as many requests as it can")]
    Overloaded,
}

/// The catalog of problem types: code, status and title.
pub const CATALOG: &[(&str, u16, &str, &str)] = &[
    ("invalid_request", 400, "Invalid request", "One or more fields or parameters are invalid; see `errors`."),
    ("malformed_json", 400, "Malformed JSON", "The request body is not well-formed JSON, or not a JSON object."),
    ("unauthorized", 401, "Unauthorized", "The API key is missing, malformed, unknown, revoked or expired."),
    ("sign_in_failed", 401, "Sign-in failed", "The firm id, email or password is wrong, or the account is locked after repeated failed sign-ins (it opens again 15 minutes later)."),
    ("csrf_token_invalid", 403, "CSRF token missing or wrong", "A request signed in with the console's session cookie that may change something must carry the session's `X-CSRF-Token`."),
    ("insufficient_scope", 403, "Insufficient scope", "The API key is valid but lacks the scope this operation needs."),
    ("not_found", 404, "Not found", "No such resource in this firm (or no such route)."),
    ("method_not_allowed", 405, "Method not allowed", "The route exists but not with this HTTP method."),
    ("invalid_nonce", 403, "Invalid nonce", "The `custom_action_nonce` is unknown, already used, expired or not this firm's."),
    ("duplicate_email", 409, "Duplicate email", "Another live client (or user) of this firm already has this email."),
    ("duplicate_key", 409, "Duplicate key", "A custom field with this key already exists for this entity."),
    ("batch_aborted", 424, "Not applied", "Another operation of this atomic batch failed, so none was applied."),
    ("duplicate_external_id", 409, "Duplicate external id", "Another live client (or matter) of this firm already has this `external_id`."),
    ("client_has_open_matters", 409, "Client has open matters", "A client with open or pending matters cannot be deleted; close or move them first."),
    ("lead_already_converted", 409, "Lead already converted", "This lead has already been converted into a client."),
    ("version_conflict", 409, "Version conflict", "The `version` sent is not the record's current version; re-read and retry."),
    ("precondition_failed", 412, "Precondition failed", "The `If-Match` entity tag does not match the record's current ETag."),
    ("idempotency_key_reused", 422, "Idempotency key reused", "This `Idempotency-Key` was already used with a different request (method, path or body); use a new key."),
    ("idempotency_in_progress", 409, "Idempotent request in progress", "The first request with this `Idempotency-Key` is still running; retry shortly to get its response."),
    ("idempotency_response_lost", 409, "Idempotent response lost", "The first request with this `Idempotency-Key` was applied, but the server stopped before it kept its response: the change is committed. Read the record instead of retrying."),
    ("rate_limited", 429, "Too many requests", "The rate limit was exceeded; retry after the `Retry-After` seconds."),
    ("payload_too_large", 413, "Payload too large", "The request body exceeds the size limit."),
    ("unsupported_media_type", 415, "Unsupported media type", "The request body must be JSON (`application/json`)."),
    ("service_unavailable", 503, "Service unavailable", "The server cannot reach its database or is overloaded; retry shortly."),
    ("overloaded", 503, "Overloaded", "The server is at its concurrency limit; retry after `Retry-After` seconds."),
    ("request_timeout", 503, "Request timed out", "The request did not finish within the server's time limit; retry shortly."),
    ("internal_error", 500, "Internal error", "Something failed inside the server; quote the request_id when reporting it."),
];

impl ApiError {
    fn code(&self) -> &'static str {
        match self {
            ApiError::Service(e) => match e {
                ServiceError::Invalid(_) => "invalid_request",
                ServiceError::Unauthenticated => "unauthorized",
                ServiceError::InsufficientScope(_) => "insufficient_scope",
                ServiceError::CsrfTokenInvalid => "csrf_token_invalid",
                ServiceError::SignInFailed => "sign_in_failed",
                ServiceError::NotFound(_) | ServiceError::Merged { .. } => "not_found",
                ServiceError::DuplicateEmail => "duplicate_email",
                ServiceError::DuplicateKey => "duplicate_key",
                ServiceError::DuplicateExternalId => "duplicate_external_id",
                ServiceError::BatchAborted { .. } => "batch_aborted",
                ServiceError::ClientHasOpenMatters => "client_has_open_matters",
                ServiceError::LeadAlreadyConverted => "lead_already_converted",
                ServiceError::InvalidNonce => "invalid_nonce",
                ServiceError::RateLimited { .. } => "rate_limited",
                ServiceError::IdempotencyKeyReused => "idempotency_key_reused",
                ServiceError::IdempotencyInProgress => "idempotency_in_progress",
                ServiceError::IdempotencyResponseLost => "idempotency_response_lost",
                ServiceError::VersionConflict { .. } => "version_conflict",
                ServiceError::PreconditionFailed => "precondition_failed",
                ServiceError::Unavailable(_) => "service_unavailable",
                ServiceError::Internal(_) => "internal_error",
            },
            ApiError::MalformedJson(_) | ApiError::NotAnObject => "malformed_json",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::RouteNotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Timeout => "request_timeout",
            ApiError::Overloaded => "overloaded",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Service(ServiceError::Invalid(errors)) => {
                let named: Vec<String> = errors.iter().take(DETAIL_FIELDS).map(|e| bounded(&e.field, MAX_FIELD_CHARS)).collect();
                let more = if errors.len() > DETAIL_FIELDS { format!(" and {} more", errors.len() - DETAIL_FIELDS) } else { String::new() };
                format!("{} field(s) are invalid: {}{more}", errors.len(), named.join(", "))
            }
            ApiError::Service(ServiceError::NotFound(what)) => format!("No {what} with this id exists in your firm."),
            ApiError::Service(ServiceError::Merged { into, .. }) => format!("This client was merged into {into}; read that one instead."),
            // Never leak internals to the caller; they are logged instead.
            ApiError::Service(ServiceError::Internal(_)) => "The server failed to handle this request.".into(),
            ApiError::Service(ServiceError::Unavailable(_)) => "The database is unavailable; retry shortly.".into(),
            other => format!("{}{}", capitalise(&other.to_string()), "."),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let code = self.code();
        let (status, title) = lookup(code);
        let errors = match self {
            ApiError::Service(ServiceError::Invalid(errors)) => Some(errors.iter().take(MAX_ERRORS).map(view).collect()),
            _ => None,
        };
        let merged = match self {
            ApiError::Service(ServiceError::Merged { into, into_seq }) => Some((*into, *into_seq)),
            _ => None,
        };
        Problem {
            type_: format!("/problems/{code}"),
            title,
            status,
            detail: self.detail(),
            code,
            errors,
            request_id: current_request_id(),
            merged_into: merged.map(|(id, _)| id.to_string()),
            merged_into_seq: merged.map(|(_, seq)| seq),
        }
    }
}

/// A problem lists at most this many field errors (a body with thousands of
/// bad fields gets the first ones, and the count in `detail`).
const MAX_ERRORS: usize = 100;
/// Field names in `detail`.
const DETAIL_FIELDS: usize = 20;
/// Field names come from the caller's keys: absurdly long ones are shortened
/// (a real path, such as `custom_fields.` and a 64-character key, fits).
const MAX_FIELD_CHARS: usize = 200;
// Long enough for the list of event types a bad webhook pattern gets.
const MAX_MESSAGE_CHARS: usize = 1000;

fn view(e: &FieldError) -> FieldErrorView {
    FieldErrorView { field: bounded(&e.field, MAX_FIELD_CHARS), message: bounded(&e.message, MAX_MESSAGE_CHARS) }
}

/// `text`, cut to `max` characters with an ellipsis.
fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

pub fn lookup(code: &str) -> (u16, &'static str) {
    CATALOG.iter().find(|(c, ..)| *c == code).map(|(_, s, t, _)| (*s, *t)).unwrap_or((500, "Internal error"))
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Service(ServiceError::Internal(msg)) => tracing::error!(error = %msg, "internal error"),
            ApiError::Service(ServiceError::Unavailable(msg)) => tracing::warn!(error = %msg, "store unavailable"),
            _ => {}
        }
        let problem = self.to_problem();
        let mut response = problem_response(&problem);
        let headers = response.headers_mut();
        match self {
            ApiError::Service(ServiceError::Unauthenticated) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"clientele\""));
            }
            ApiError::Service(ServiceError::Unavailable(_) | ServiceError::IdempotencyInProgress) | ApiError::Timeout | ApiError::Overloaded => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            ApiError::Service(ServiceError::RateLimited { retry_after_secs }) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs.max(1)));
            }
            _ => {}
        }
        response
    }
}

pub fn problem_response(problem: &Problem) -> Response {
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = (problem.status(), body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response.extensions_mut().insert(problem.clone());
    response
}

/// Renders the problems of some paths in another shape (a vendor dialect's
/// error body): `None` leaves a path's problems as problem+json.
pub type Reshape = std::sync::Arc<dyn Fn(&str, &Problem) -> Option<(StatusCode, serde_json::Value)> + Send + Sync>;

/// Re-renders problem responses by `reshape`, whatever made them
/// (extractors, the service, limits, idempotency), from the [`Problem`]
/// every problem response carries.
pub async fn reshape_problems(
    axum::extract::State(reshape): axum::extract::State<Option<Reshape>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let (Some(reshape), Some(problem)) = (reshape, response.extensions().get::<Problem>()) else { return response };
    let Some((status, body)) = reshape(&path, problem) else { return response };
    let (mut parts, _) = response.into_parts();
    parts.status = status;
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, axum::body::Body::from(serde_json::to_vec(&body).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_problems_stay_small_however_many_fields_are_bad() {
        let errors: Vec<FieldError> = (0..5000).map(|i| FieldError::new(format!("{i}{}", "k".repeat(10_000)), "is not a known field")).collect();
        // 100 errors of 200-character names, plus 20 names in `detail`.
        let problem = ApiError::Service(ServiceError::Invalid(errors)).to_problem();
        let shown = problem.errors.as_ref().unwrap();
        assert_eq!(shown.len(), MAX_ERRORS);
        assert!(shown.iter().all(|e| e.field.chars().count() <= MAX_FIELD_CHARS + 1));
        assert!(problem.detail.starts_with("5000 field(s) are invalid: ") && problem.detail.ends_with(" and 4980 more"));
        assert!(serde_json::to_vec(&problem).unwrap().len() < 40 * 1024);
    }

    #[test]
    fn bounded_cuts_on_characters() {
        assert_eq!(bounded("ééééé", 3), "ééé…");
        assert_eq!(bounded("abc", 3), "abc");
    }
}
