//! Per-request plumbing: request ids, the access log, and panic containment.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::IntoResponse;
use tokio::sync::Semaphore;

use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::context::{RateSlot, REQUEST_ID};
use super::problem::{problem_response, ApiError};
use crate::service::ServiceError;

pub static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");
const MAX_REQUEST_ID: usize = 128;

/// Accepts the caller's `X-Request-Id` when it is a sane token (so ids can be
/// followed across services), otherwise makes one; returns it on the response,
/// and writes one access-log line per request.
///
/// The log line names the route template, never the concrete path or query,
/// which may carry search terms or emails.
pub async fn request_context(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_token(v))
        .map(str::to_string)
        .unwrap_or_else(|| ulid::Ulid::new().to_string());
    let method = request.method().clone();
    let mut response = REQUEST_ID.scope(id.clone(), next.run(request)).await;
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID_HEADER.clone(), value);
    }
    // Responses hold personal data: no shared cache may keep them.
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    super::metrics::observe(method.as_str(), &route, response.status().as_u16(), started.elapsed());
    tracing::info!(
        request_id = %id,
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// Routing happens inside the router, after [`request_context`] has started;
/// this hands the matched route template back out on the response for the log.
pub async fn remember_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

fn is_token(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= MAX_REQUEST_ID
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// A panic in a handler becomes a 500 problem instead of a dropped connection.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    problem_response(&ApiError::Service(ServiceError::Internal("panic".into())).to_problem())
}

/// `/clients/` is `/clients`: the vendors' servers (and most web frameworks)
/// treat a trailing slash as the same route, and integrations built on them
/// send one. Only the path changes; the query stays as it was.
pub async fn ignore_trailing_slash(mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
        let rewritten = match request.uri().query() {
            Some(query) => format!("{trimmed}?{query}"),
            None => trimmed.to_string(),
        };
        if let Ok(path_and_query) = rewritten.parse::<axum::http::uri::PathAndQuery>() {
            let mut parts = request.uri().clone().into_parts();
            parts.path_and_query = Some(path_and_query);
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    next.run(request).await
}

pub async fn route_not_found() -> ApiError {
    ApiError::RouteNotFound
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Announces the caller's rate limit on every response, with the IETF
/// httpapi rate-limit draft's structured fields:
/// `RateLimit-Policy: "default";q=600;w=60` and `RateLimit: "default";r=599;t=1`.
pub async fn rate_limit_headers(mut request: Request, next: Next) -> Response {
    let slot = RateSlot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    if let Some(decision) = slot.take() {
        let policy = format!("\"default\";q={};w=60", decision.quota.per_minute);
        let state = format!("\"default\";r={};t={}", decision.remaining, decision.reset_secs);
        let headers = response.headers_mut();
        for (name, value) in [("ratelimit-policy", policy), ("ratelimit", state)] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        if !decision.allowed {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(decision.retry_after_secs.max(1)));
        }
    }
    response
}

/// Answers 503 `request_timeout` when a request runs longer than allowed.
/// The work is dropped at its next await; a write already handed to the store
/// still commits (and its event with it), so a client that sees this must
/// re-read before retrying, or retry with its `Idempotency-Key`.
pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}

/// Refuses requests beyond the concurrency limit at once (503 + `Retry-After`)
/// instead of queueing them until every one of them is late.
pub async fn shed_load(State(permits): State<Arc<Semaphore>>, request: Request, next: Next) -> Response {
    match permits.try_acquire() {
        Ok(_permit) => next.run(request).await,
        Err(_) => ApiError::Overloaded.into_response(),
    }
}
