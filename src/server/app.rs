//! The whole HTTP application: the canonical API and the vendor dialects,
//! assembled. `api` is the toolkit both build on and knows no vendor;
//! `dialects` build on it; only here do the two meet.

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::api::{self, AppState, HttpOptions};
use crate::dialects::{self, Dialect};
use crate::service::Service;

/// The application, with every route and its plumbing. `root_dialect`, if
/// any, is also served at `/`.
pub fn app(service: Service, http: &HttpOptions, root_dialect: Option<Dialect>) -> Router {
    let (compat, root) = dialects::routes(root_dialect);
    let (mut routes, doc) = OpenApiRouter::with_openapi(api::openapi::base()).merge(api::routes()).merge(compat).split_for_parts();
    // The console and its assets are for browsers, not in the document.
    routes = routes.merge(api::assets::routes());
    if let Some(root) = root {
        routes = routes.merge(root);
    }
    let state = AppState::new(service, render(doc), http.metrics.clone());
    api::serve(routes, state, http, Some(dialects::reshape(root_dialect)))
}

/// The OpenAPI document `GET /openapi.json` serves, without a server
/// (`clientele openapi`, for SDK generators and linters).
pub fn openapi_document() -> String {
    let (compat, _) = dialects::routes(None);
    let (_, doc) = OpenApiRouter::<AppState>::with_openapi(api::openapi::base()).merge(api::routes()).merge(compat).split_for_parts();
    render(doc)
}

fn render(doc: utoipa::openapi::OpenApi) -> String {
    let doc = api::openapi::finish(doc, &|path| dialects::dialect_of(path, None).map(Dialect::error_shape));
    api::openapi::render(&doc)
}
