//! Operational routes: health, readiness, the OpenAPI document and the
//! problem-type pages that `type` URIs point to.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use crate::api::json::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::PathId;
use super::problem::{ApiError, Problem, CATALOG};
use super::AppState;
use crate::service::ServiceError;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(openapi_json))
        .routes(routes!(problem_type))
        .routes(routes!(docs))
        .routes(routes!(metrics))
}

#[utoipa::path(get, path = "/docs", tag = "operations", summary = "Human-readable API reference",
    description = "An HTML page rendering /openapi.json; self-contained, works offline.",
    responses((status = 200, description = "The page", content_type = "text/html")))]
pub async fn docs() -> Response {
    super::assets::docs()
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[utoipa::path(get, path = "/healthz", tag = "operations", summary = "Liveness",
    description = "The process is up and serving HTTP.",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[utoipa::path(get, path = "/readyz", tag = "operations", summary = "Readiness",
    description = "The database answers; a load balancer should send traffic only while this is 200.",
    responses((status = 200, description = "Ready", body = Health),
        (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json")))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.service.ready().await?;
    Ok(Json(Health { status: "ok" }))
}

#[utoipa::path(get, path = "/openapi.json", tag = "operations", summary = "This API's OpenAPI 3.1 document",
    responses((status = 200, description = "The document", content_type = "application/json")))]
pub async fn openapi_json(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], state.openapi.clone()).into_response()
}

#[derive(Serialize, ToSchema)]
pub struct ProblemType {
    pub code: &'static str,
    pub status: u16,
    pub title: &'static str,
    pub description: &'static str,
}

#[utoipa::path(get, path = "/problems/{code}", tag = "operations", summary = "Describe a problem type",
    description = "What a problem's `type` URI refers to.",
    params(("code" = String, Path, description = "A problem `code`")),
    responses((status = 200, description = "The problem type", body = ProblemType),
        (status = 404, description = "No such problem type", body = Problem, content_type = "application/problem+json")))]
pub async fn problem_type(PathId(code): PathId) -> Result<Response, ApiError> {
    let (code, status, title, description) = CATALOG
        .iter()
        .find(|(c, ..)| *c == code)
        .copied()
        .ok_or(ApiError::Service(ServiceError::NotFound("problem type")))?;
    Ok((StatusCode::OK, Json(ProblemType { code, status, title, description })).into_response())
}

#[utoipa::path(get, path = "/metrics", tag = "operations", summary = "Prometheus metrics",
    description = "Requests by route template and status, latency histograms, rate-limit rejections and the \
        database pool, in the Prometheus text format. No personal data: routes are templates. Open to anyone \
        who can reach it unless the server runs with `--metrics-token` (then `Authorization: Bearer <token>`) \
        or `--metrics-bind` (then only on that address; 404 here).",
    responses((status = 200, description = "Metrics", content_type = "text/plain"),
        (status = 401, description = "`--metrics-token` is set and the request does not carry it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Metrics are served on their own address (`--metrics-bind`)", body = Problem, content_type = "application/problem+json")))]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if state.metrics.elsewhere {
        return Err(ApiError::RouteNotFound);
    }
    render_metrics(&state.service, &state.metrics, &headers).await
}

/// What the metrics listener (`--metrics-bind`) serves with.
#[derive(Clone)]
pub struct MetricsState {
    pub service: crate::service::Service,
    pub access: super::MetricsAccess,
}

pub async fn metrics_only(State(state): State<MetricsState>, headers: HeaderMap) -> Result<Response, ApiError> {
    render_metrics(&state.service, &state.access, &headers).await
}

async fn render_metrics(service: &crate::service::Service, access: &super::MetricsAccess, headers: &HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = &access.token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().as_bytes());
        let matches = presented.is_some_and(|p| bool::from(subtle::ConstantTimeEq::ct_eq(p, token.as_bytes())));
        if !matches {
            return Err(ServiceError::Unauthenticated.into());
        }
    }
    let mut body = super::metrics::render(service.pool_status());
    super::metrics::render_webhooks(&mut body, service.webhooks(), service.webhook_queue().await.ok());
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response())
}
