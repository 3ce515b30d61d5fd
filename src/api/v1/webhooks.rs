//! `/v1/webhooks`: subscriptions, their delivery log, retries and pings.
//! Every route requires `admin`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::records::{created, list_request, one, page, path_id};
use super::select::Fields;
use super::views::Pagination;
use super::webhook_views::{
    DeliveryEnvelope, DeliveryList, DeliveryView, WebhookEnvelope, WebhookList, WebhookSecretEnvelope, WebhookView, WebhookWithSecret,
    WebhookPatch, WebhookWrite,
};
use crate::api::extract::{precondition, Auth, JsonObject, ParamReader, PathId, PathIds, QueryPairs};
use crate::api::idempotency::Secrets;
use crate::api::json::Json;
use crate::api::problem::{ApiError, Problem};
use crate::api::AppState;
use crate::domain::ids::{DeliveryId, WebhookId};
use crate::domain::webhook::DeliveryStatus;
use crate::service::paging::MAX_PAGE;
use crate::service::webhooks::WithSecret;

const DEFAULT_LIMIT: usize = 25;

fn webhook_id(raw: &str) -> Result<WebhookId, ApiError> {
    path_id(raw, "webhook")
}

fn ids(PathIds(webhook, delivery): PathIds) -> Result<(WebhookId, DeliveryId), ApiError> {
    Ok((webhook_id(&webhook)?, path_id(&delivery, "delivery")?))
}

/// The subscription with its secret; a replay under an Idempotency-Key
/// doesn't keep the secret.
fn with_secret(status: StatusCode, shown: WithSecret, location: Option<String>) -> Response {
    let view = WebhookWithSecret { webhook: WebhookView::from(&shown.webhook), secret: shown.secret };
    let mut response = match location {
        Some(location) => created(view, shown.webhook.version, location),
        None => one(status, view, shown.webhook.version),
    };
    response.extensions_mut().insert(Secrets(&["/data/secret"]));
    response
}

#[utoipa::path(
    post, path = "/v1/webhooks", tag = "webhooks",
    summary = "Subscribe to events",
    description = "Requires `admin`. The answer holds the signing `secret`, shown only here (and on rotation). \
        Deliveries start with the events after this one.",
    request_body(content = WebhookWrite, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = WebhookSecretEnvelope, headers(("Location" = String), ("ETag" = String))),
        (status = 400, description = "Invalid fields; an event pattern that matches no type lists the valid ones", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(State(state): State<AppState>, Auth(actor): Auth, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    let shown = state.service.create_webhook(&actor, &body).await?;
    let location = format!("/v1/webhooks/{}", shown.webhook.id());
    Ok(with_secret(StatusCode::CREATED, shown, Some(location)))
}

#[utoipa::path(
    get, path = "/v1/webhooks", tag = "webhooks",
    summary = "List subscriptions",
    description = "Requires `admin`.",
    params(
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses((status = 200, description = "One page of subscriptions", body = WebhookList))
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let mut p = ParamReader::new(&pairs);
    let request = list_request::<WebhookId>(&mut p);
    p.finish()?;
    let webhooks = state.service.list_webhooks(&actor, request).await?;
    Ok(page::<_, WebhookView>("/v1/webhooks", &pairs, &webhooks, &Fields::default()))
}

#[utoipa::path(
    get, path = "/v1/webhooks/{id}", tag = "webhooks",
    summary = "Get a subscription",
    description = "Requires `admin`. The secret is never shown again.",
    params(("id" = String, Path, description = "Webhook id (`wh_…`)")),
    responses(
        (status = 200, description = "The subscription", body = WebhookEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such webhook in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    let webhook = state.service.get_webhook(&actor, webhook_id(&id)?).await?;
    Ok(one(StatusCode::OK, WebhookView::from(&webhook), webhook.version))
}

#[utoipa::path(
    patch, path = "/v1/webhooks/{id}", tag = "webhooks",
    summary = "Update a subscription (JSON merge patch)",
    description = "Requires `admin`. Setting `enabled` to true again clears `disabled_reason`.",
    params(("id" = String, Path, description = "Webhook id (`wh_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the subscription must still have")),
    request_body(content = WebhookPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The updated subscription", body = WebhookEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such webhook in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A stale body `version` (`version_conflict`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`precondition_failed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Auth(actor): Auth,
    PathId(id): PathId,
    headers: HeaderMap,
    JsonObject(mut body): JsonObject,
) -> Result<Response, ApiError> {
    let id = webhook_id(&id)?;
    let pre = precondition(&headers, Some(&mut body))?;
    let webhook = state.service.update_webhook(&actor, id, &body, pre).await?;
    Ok(one(StatusCode::OK, WebhookView::from(&webhook), webhook.version))
}

#[utoipa::path(
    delete, path = "/v1/webhooks/{id}", tag = "webhooks",
    summary = "Delete a subscription",
    description = "Requires `admin`. Its pending deliveries are cancelled.",
    params(("id" = String, Path, description = "Webhook id (`wh_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the subscription must still have")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such webhook in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`precondition_failed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    let id = webhook_id(&id)?;
    let pre = precondition(&headers, None)?;
    state.service.delete_webhook(&actor, id, pre).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/v1/webhooks/{id}/rotate-secret", tag = "webhooks",
    summary = "Make a new signing secret",
    description = "Requires `admin`. The new secret is shown only in this answer. For 24 hours the old one keeps \
        signing beside it (two signatures in `webhook-signature`), so receivers can switch without missing a delivery.",
    params(("id" = String, Path, description = "Webhook id (`wh_…`)")),
    responses(
        (status = 200, description = "The subscription with its new secret", body = WebhookSecretEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such webhook in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn rotate_secret(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    let shown = state.service.rotate_webhook_secret(&actor, webhook_id(&id)?).await?;
    Ok(with_secret(StatusCode::OK, shown, None))
}

#[utoipa::path(
    get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks",
    summary = "The delivery log",
    description = "Requires `admin`. Newest first: each delivery's event, status, attempts (time, HTTP status, \
        latency, error, the first 1 KiB of the answer) and next attempt. Kept for the firm's retention period.",
    params(
        ("id" = String, Path, description = "Webhook id (`wh_…`)"),
        ("status" = inline(Option<crate::api::openapi::DeliveryStatusName>), Query, description = "`pending`, `delivered`, `failed` or `cancelled`"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "One page of deliveries", body = DeliveryList),
        (status = 404, description = "No such webhook in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn deliveries(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let id = webhook_id(&id)?;
    let mut p = ParamReader::new(&pairs);
    let statuses: Vec<&str> = DeliveryStatus::ALL.iter().map(|s| s.as_str()).collect();
    let status = p.parsed("status", |s| DeliveryStatus::parse(s).ok_or(format!("must be one of: {}", statuses.join(", "))));
    let limit = p.parsed("limit", page_size).unwrap_or(DEFAULT_LIMIT);
    let before = p.parsed("cursor", |s| s.parse::<i64>().ok().filter(|n| *n > 0).ok_or("is not a cursor this server issued".to_string()));
    p.finish()?;
    let page = state.service.list_deliveries(&actor, id, status, before, limit).await?;
    let pagination = Pagination::uncounted(limit, page.next_cursor.map(|c| c.to_string()));
    Ok(Json(DeliveryList { data: page.items.iter().map(DeliveryView::from).collect(), pagination }).into_response())
}

pub(crate) fn page_size(s: &str) -> Result<usize, String> {
    s.parse::<usize>().ok().filter(|n| (1..=MAX_PAGE).contains(n)).ok_or(format!("must be an integer from 1 to {MAX_PAGE}"))
}

#[utoipa::path(
    get, path = "/v1/webhooks/{id}/deliveries/{delivery_id}", tag = "webhooks",
    summary = "One delivery",
    description = "Requires `admin`.",
    params(("id" = String, Path, description = "Webhook id (`wh_…`)"), ("delivery_id" = String, Path, description = "Delivery id (`msg_…`)")),
    responses(
        (status = 200, description = "The delivery", body = DeliveryEnvelope),
        (status = 404, description = "No such webhook or delivery in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_delivery(State(state): State<AppState>, Auth(actor): Auth, path: PathIds) -> Result<Json<DeliveryEnvelope>, ApiError> {
    let (id, delivery) = ids(path)?;
    let delivery = state.service.get_delivery(&actor, id, delivery).await?;
    Ok(Json(DeliveryEnvelope { data: DeliveryView::from(&delivery) }))
}

#[utoipa::path(
    post, path = "/v1/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "webhooks",
    summary = "Send a delivery again",
    description = "Requires `admin`. Queues the delivery for an attempt now, whatever its status (a failed one gets \
        one more attempt); nothing changes while an attempt is under way. The `webhook-id` stays the same.",
    params(("id" = String, Path, description = "Webhook id (`wh_…`)"), ("delivery_id" = String, Path, description = "Delivery id (`msg_…`)")),
    responses(
        (status = 202, description = "Queued", body = DeliveryEnvelope),
        (status = 404, description = "No such webhook or delivery in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn retry(State(state): State<AppState>, Auth(actor): Auth, path: PathIds) -> Result<Response, ApiError> {
    let (id, delivery) = ids(path)?;
    let delivery = state.service.retry_delivery(&actor, id, delivery).await?;
    Ok((StatusCode::ACCEPTED, Json(DeliveryEnvelope { data: DeliveryView::from(&delivery) })).into_response())
}

#[utoipa::path(
    post, path = "/v1/webhooks/{id}/ping", tag = "webhooks",
    summary = "Send a test delivery",
    description = "Requires `admin`. Queues a signed `webhook.ping`, whatever the subscription's `events` and even \
        while it is disabled; follow it in the delivery log.",
    params(("id" = String, Path, description = "Webhook id (`wh_…`)")),
    responses(
        (status = 202, description = "Queued", body = DeliveryEnvelope),
        (status = 404, description = "No such webhook in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ping(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    let delivery = state.service.ping_webhook(&actor, webhook_id(&id)?).await?;
    Ok((StatusCode::ACCEPTED, Json(DeliveryEnvelope { data: DeliveryView::from(&delivery) })).into_response())
}
