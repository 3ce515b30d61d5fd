//! The HTTP surface: routing, plumbing and the canonical API.

pub mod extract;
pub mod idempotency;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod system;
pub mod v1;

use std::sync::Arc;

use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa_axum::router::OpenApiRouter;

use crate::service::Service;

#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    /// The OpenAPI document, rendered once at start-up.
    pub openapi: Arc<String>,
}

/// Limits the HTTP layer enforces.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    pub request_timeout: std::time::Duration,
    pub max_concurrent_requests: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self { request_timeout: std::time::Duration::from_secs(30), max_concurrent_requests: 1024 }
    }
}

/// The whole application as one router, with default limits.
pub fn router(service: Service) -> Router {
    router_with(service, HttpLimits::default())
}

/// The whole application as one router.
pub fn router_with(service: Service, limits: HttpLimits) -> Router {
    let (routes, doc) = OpenApiRouter::with_openapi(openapi::base())
        .merge(v1::routes())
        .merge(system::routes())
        .split_for_parts();
    let doc = openapi::finish(doc);
    let state = AppState { service, openapi: Arc::new(doc.to_json().unwrap_or_default()) };
    routes
        .route_layer(axum::middleware::from_fn(middleware::remember_route))
        .fallback(middleware::route_not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(state, idempotency::idempotency))
        .layer(axum::middleware::from_fn(middleware::rate_limit_headers))
        .layer(axum::middleware::from_fn_with_state(limits.request_timeout, middleware::timeout))
        .layer(axum::middleware::from_fn_with_state(Arc::new(tokio::sync::Semaphore::new(limits.max_concurrent_requests)), middleware::shed_load))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn(middleware::request_context))
}
