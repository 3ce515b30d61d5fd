//! The HTTP toolkit and the canonical API: extractors, problems, plumbing,
//! views and the `/v1` routes. The vendor dialects build on it; the server
//! assembles the two (`server::app`). Nothing here knows a vendor.

pub mod assets;
pub mod context;
pub mod credentials;
pub mod contract;
pub mod cors;
pub mod echoed;
pub mod extract;
pub mod idempotency;
pub mod json;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod system;
pub mod v1;
pub mod written;

use std::ops::Deref;
use std::sync::Arc;

use axum::Router;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa_axum::router::OpenApiRouter;

use crate::service::Service;

/// What every handler and middleware shares. Behind one `Arc`: axum clones
/// the state for each extractor and layer of every request, and one shared
/// counter costs less to bump than one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub service: Service,
    /// The OpenAPI document, rendered once at start-up.
    pub openapi: String,
    pub rendered_clients: v1::rendered::RenderedClients,
    pub metrics: MetricsAccess,
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// How the HTTP layer is set up: the limits it enforces, and who may read
/// `/metrics`.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub request_timeout: std::time::Duration,
    pub max_concurrent_requests: usize,
    pub metrics: MetricsAccess,
    /// Browser origins answered cross-origin (the public intake endpoint
    /// answers any).
    pub cors: cors::CorsOrigins,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            request_timeout: std::time::Duration::from_secs(30),
            max_concurrent_requests: 1024,
            metrics: MetricsAccess::default(),
            cors: cors::CorsOrigins::default(),
        }
    }
}

/// Who may read `/metrics`: anyone who can reach it (the default), holders
/// of a token, and on which listener.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    /// `Authorization: Bearer <token>` required.
    pub token: Option<String>,
    /// Served on a listener of its own ([`metrics_router`]); the API's
    /// listener answers 404.
    pub elsewhere: bool,
}

/// `/metrics` alone, for a listener of its own (`--metrics-bind`).
pub fn metrics_router(service: Service, token: Option<String>) -> Router {
    let state = system::MetricsState { service, access: MetricsAccess { token, elsewhere: false } };
    Router::new().route("/metrics", axum::routing::get(system::metrics_only)).with_state(state)
}

impl AppState {
    /// `openapi` is the document as served (`openapi::render`).
    pub fn new(service: Service, openapi: String, metrics: MetricsAccess) -> Self {
        AppState(Arc::new(Shared {
            service,
            openapi,
            rendered_clients: Default::default(),
            metrics,
        }))
    }
}

/// The canonical API's routes: `/v1` and the operational ones.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().merge(v1::routes()).merge(system::routes())
}

/// `routes` with every request's plumbing around them, outermost first: a
/// trailing slash dropped from the path, CORS (so every answer, errors
/// included, can be read by a granted page), the request id and access log,
/// problems reshaped by `reshape` (a vendor dialect's error shape on its
/// paths), panics contained, load shed, the time limit, rate-limit headers,
/// idempotency. Unknown routes and methods are problems too.
pub fn serve(routes: Router<AppState>, state: AppState, options: &HttpOptions, reshape: Option<problem::Reshape>) -> Router {
    let routes = routes
        .route_layer(axum::middleware::from_fn(middleware::remember_route))
        .fallback(middleware::route_not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .with_state(state.clone());
    // The plumbing wraps the router once. (`Router::layer` would wrap every
    // route in its own copy of the stack, and each layer clones the rest of
    // its stack per request: 45 boxed clones a request.)
    let permits = Arc::new(tokio::sync::Semaphore::new(options.max_concurrent_requests));
    let plumbing = ServiceBuilder::new()
        .layer(axum::middleware::from_fn(middleware::ignore_trailing_slash))
        .layer(axum::middleware::from_fn_with_state(options.cors.clone(), cors::cors))
        .layer(axum::middleware::from_fn(middleware::request_context))
        .layer(axum::middleware::from_fn_with_state(reshape, problem::reshape_problems))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn_with_state(permits, middleware::shed_load))
        .layer(axum::middleware::from_fn_with_state(options.request_timeout, middleware::timeout))
        .layer(axum::middleware::from_fn(middleware::rate_limit_headers))
        .layer(axum::middleware::from_fn_with_state(state, idempotency::idempotency))
        .service(routes);
    Router::new().fallback_service(plumbing)
}
