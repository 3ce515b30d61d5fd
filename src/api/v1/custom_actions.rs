//! `/v1/custom-actions` and their nonces.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use crate::api::json::Json;

use super::record_views::{CustomActionEnvelope, CustomActionList, CustomActionPatch, CustomActionView, CustomActionWrite, NonceEnvelope, NonceView};
use super::records::{created, list_request, one, page, path_id};
use super::select::Fields;
use crate::api::extract::{precondition, Auth, JsonObject, ParamReader, PathId, QueryPairs};
use crate::api::idempotency::Secrets;
use crate::api::problem::{ApiError, Problem};
use crate::api::AppState;
use crate::domain::ids::CustomActionId;

fn action_id(raw: &str) -> Result<CustomActionId, ApiError> {
    path_id(raw, "custom action")
}

#[utoipa::path(
    post, path = "/v1/custom-actions", tag = "custom actions",
    summary = "Create a custom action",
    description = "Requires `admin`.",
    request_body(content = CustomActionWrite, content_type = "application/json"),
    responses((status = 201, description = "Created", body = CustomActionEnvelope, headers(("Location" = String), ("ETag" = String))))
)]
pub async fn create(State(state): State<AppState>, Auth(actor): Auth, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    let action = state.service.create_custom_action(&actor, &body).await?;
    Ok(created(CustomActionView::from(&action), action.version, format!("/v1/custom-actions/{}", action.id())))
}

#[utoipa::path(
    get, path = "/v1/custom-actions/{id}", tag = "custom actions",
    summary = "Get a custom action",
    description = "Any valid key.",
    params(("id" = String, Path, description = "Custom action id (`cact_…`)")),
    responses(
        (status = 200, description = "The custom action", body = CustomActionEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such custom action in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    let action = state.service.get_custom_action(&actor, action_id(&id)?).await?;
    Ok(one(StatusCode::OK, CustomActionView::from(&action), action.version))
}

#[utoipa::path(
    patch, path = "/v1/custom-actions/{id}", tag = "custom actions",
    summary = "Update a custom action (JSON merge patch)",
    description = "Requires `admin`.",
    params(("id" = String, Path, description = "Custom action id (`cact_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the action must still have")),
    request_body(content = CustomActionPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The updated action", body = CustomActionEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such custom action in this firm", body = Problem, content_type = "application/problem+json"),
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
    let id = action_id(&id)?;
    let pre = precondition(&headers, Some(&mut body))?;
    let action = state.service.update_custom_action(&actor, id, &body, pre).await?;
    Ok(one(StatusCode::OK, CustomActionView::from(&action), action.version))
}

#[utoipa::path(
    delete, path = "/v1/custom-actions/{id}", tag = "custom actions",
    summary = "Delete a custom action",
    description = "Requires `admin`.",
    params(("id" = String, Path, description = "Custom action id (`cact_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the action must still have")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such custom action in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not match (`precondition_failed`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    let id = action_id(&id)?;
    let pre = precondition(&headers, None)?;
    state.service.delete_custom_action(&actor, id, pre).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/v1/custom-actions", tag = "custom actions",
    summary = "List custom actions",
    description = "Any valid key.",
    params(
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("created_since" = Option<String>, Query, description = "RFC 3339 or YYYY-MM-DD; inclusive"),
        ("updated_since" = Option<String>, Query, description = "RFC 3339 or YYYY-MM-DD; inclusive"),
        ("ids" = Option<String>, Query, description = "Comma-separated ids, at most 100"),
    ),
    responses((status = 200, description = "One page of custom actions", body = CustomActionList))
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let mut p = ParamReader::new(&pairs);
    let request = list_request::<CustomActionId>(&mut p);
    p.finish()?;
    let actions = state.service.list_custom_actions(&actor, request).await?;
    Ok(page::<_, CustomActionView>("/v1/custom-actions", &pairs, &actions, &Fields::default()))
}

#[utoipa::path(
    post, path = "/v1/custom-actions/{id}/nonces", tag = "custom actions",
    summary = "Issue a single-use nonce for a click on the action",
    description = "Any valid key. The nonce is valid for 60 seconds and one use: an integration sends it back as \
        `?custom_action_nonce=` on its next request, which fails with 403 `invalid_nonce` if it is unknown, used, \
        expired or another firm's.",
    params(("id" = String, Path, description = "Custom action id (`cact_…`)")),
    responses(
        (status = 201, description = "Issued", body = NonceEnvelope),
        (status = 404, description = "No such custom action in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn issue_nonce(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    let issued = state.service.issue_nonce(&actor, action_id(&id)?).await?;
    let view = NonceView {
        nonce: issued.code,
        custom_action_id: issued.custom_action_id.to_string(),
        expires_at: issued.expires_at.to_string(),
    };
    let mut response = (StatusCode::CREATED, Json(NonceEnvelope { data: view })).into_response();
    // A replay under an Idempotency-Key must not keep the nonce.
    response.extensions_mut().insert(Secrets(&["/data/nonce"]));
    Ok(response)
}
