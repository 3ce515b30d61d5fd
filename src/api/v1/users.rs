//! `/v1/users`: staff.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::record_views::{UserEnvelope, UserList, UserPatch, UserView, UserWrite};
use super::records::{created, list_request, one, page, path_id};
use super::select::Fields;
use crate::api::extract::{precondition, Auth, JsonObject, ParamReader, PathId, QueryPairs};
use crate::api::problem::{ApiError, Problem};
use crate::api::AppState;
use crate::domain::ids::UserId;

fn user_id(raw: &str) -> Result<UserId, ApiError> {
    path_id(raw, "user")
}

#[utoipa::path(
    post, path = "/v1/users", tag = "users",
    summary = "Create a user",
    description = "Requires `admin`. Emails are unique in the firm, case-insensitively.",
    request_body(content = UserWrite, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = UserEnvelope, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "`duplicate_email`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(State(state): State<AppState>, Auth(actor): Auth, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    let user = state.service.create_user(&actor, &body).await?;
    Ok(created(UserView::from(&user), user.version, format!("/v1/users/{}", user.id())))
}

#[utoipa::path(
    get, path = "/v1/users/me", tag = "users",
    summary = "The user the API key belongs to",
    description = "Any valid key. 404 when the key belongs to no user.",
    responses(
        (status = 200, description = "The key's user", body = UserEnvelope),
        (status = 404, description = "The key belongs to no user", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn me(State(state): State<AppState>, Auth(actor): Auth) -> Result<Response, ApiError> {
    let user = state.service.current_user(&actor).await?;
    Ok(one(StatusCode::OK, UserView::from(&user), user.version))
}

#[utoipa::path(
    get, path = "/v1/users/{id}", tag = "users",
    summary = "Get a user",
    description = "Requires `users:read`.",
    params(("id" = String, Path, description = "User id (`usr_…`)")),
    responses(
        (status = 200, description = "The user", body = UserEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such user in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    let user = state.service.get_user(&actor, user_id(&id)?).await?;
    Ok(one(StatusCode::OK, UserView::from(&user), user.version))
}

#[utoipa::path(
    patch, path = "/v1/users/{id}", tag = "users",
    summary = "Update a user (JSON merge patch)",
    description = "Requires `admin`.",
    params(("id" = String, Path, description = "User id (`usr_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the user must still have")),
    request_body(content = UserPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The updated user", body = UserEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such user in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`duplicate_email` or `version_conflict`", body = Problem, content_type = "application/problem+json"),
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
    let id = user_id(&id)?;
    let pre = precondition(&headers, Some(&mut body))?;
    let user = state.service.update_user(&actor, id, &body, pre).await?;
    Ok(one(StatusCode::OK, UserView::from(&user), user.version))
}

#[utoipa::path(
    delete, path = "/v1/users/{id}", tag = "users",
    summary = "Delete a user",
    description = "Requires `admin`. The user's API keys are revoked in the same transaction.",
    params(("id" = String, Path, description = "User id (`usr_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the user must still have")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such user in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not match (`precondition_failed`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    let id = user_id(&id)?;
    let pre = precondition(&headers, None)?;
    state.service.delete_user(&actor, id, pre).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/v1/users", tag = "users",
    summary = "List users",
    description = "Requires `users:read`.",
    params(
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("q" = Option<String>, Query, description = "Substring of name or email"),
        ("include_total" = inline(Option<crate::api::openapi::IncludeTotalName>), Query, description = "Also count all matching users: `true` exactly up to the server's limit (10,000 by default) and past it answers that limit with `pagination.total_exact: false` (more match); `exact` counts every match, however long it takes"),
    ),
    responses((status = 200, description = "One page of users", body = UserList))
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let mut p = ParamReader::new(&pairs);
    let request = list_request::<UserId>(&mut p);
    p.finish()?;
    let users = state.service.list_users(&actor, request).await?;
    Ok(page::<_, UserView>("/v1/users", &pairs, &users, &Fields::default()))
}
