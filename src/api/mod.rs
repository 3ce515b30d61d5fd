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

use crate::dialects::{self, Dialect};
use crate::service::Service;

#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    /// The OpenAPI document, rendered once at start-up.
    pub openapi: Arc<String>,
}

/// How the HTTP layer is set up: the limits it enforces and the dialect, if
/// any, also mounted at `/`.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub request_timeout: std::time::Duration,
    pub max_concurrent_requests: usize,
    pub root_dialect: Option<Dialect>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self { request_timeout: std::time::Duration::from_secs(30), max_concurrent_requests: 1024, root_dialect: None }
    }
}

/// The whole application as one router, with default options.
pub fn router(service: Service) -> Router {
    router_with(service, HttpOptions::default())
}

/// The whole application as one router.
pub fn router_with(service: Service, limits: HttpOptions) -> Router {
    let (compat, root) = dialects::routes(limits.root_dialect);
    let (mut routes, doc) = OpenApiRouter::with_openapi(openapi::base())
        .merge(v1::routes())
        .merge(system::routes())
        .merge(compat)
        .split_for_parts();
    if let Some(root) = root {
        routes = routes.merge(root);
    }
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
        .layer(axum::middleware::from_fn_with_state(limits.root_dialect, dialects::vendor_errors))
        .layer(axum::middleware::from_fn(middleware::request_context))
}
