//! `/api/v1/users`: the firm's staff, and the key's own user.

use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::AppState;
use crate::api::extract::{Auth, PathId, QueryPairs};
use crate::api::json::Json;
use crate::api::problem::ApiError;
use crate::dialects::common::seq_id;
use crate::domain::api_key::Scope;
use crate::domain::firm::Firm;
use crate::domain::user::UserFields;
use crate::service::users::User;

use super::TAG;
use super::errors::ErrorBody;
use super::paging::{ListParams, Meta};
use super::views::global_id;

/// The firm, as Clio's account.
#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowAccount)]
pub struct AccountView {
    #[schema(example = 456)]
    id: i64,
    #[schema(example = "Doe & Associates")]
    firm_name: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowUser)]
pub struct UserView {
    #[schema(example = 123)]
    id: i64,
    #[schema(example = "01ARZ3NDEKTSV4RRFFQ69G5FAV")]
    global_id: String,
    #[schema(example = "Jane")]
    first_name: String,
    #[schema(example = "Doe")]
    last_name: String,
    #[schema(example = "jane.doe@example.com")]
    email: String,
    #[schema(example = "2024-01-15T10:30:00Z")]
    created_at: String,
    #[schema(example = "2024-02-20T14:45:00Z")]
    updated_at: String,
    account: AccountView,
}

impl UserView {
    fn new(u: &User, firm: &Firm) -> Self {
        Self {
            id: u.seq,
            global_id: global_id(&u.id().to_string()),
            first_name: u.fields.first_name.clone(),
            last_name: u.fields.last_name.clone(),
            email: u.fields.email.as_str().to_string(),
            created_at: u.created_at.to_string(),
            updated_at: u.updated_at.to_string(),
            account: AccountView { id: firm.seq, firm_name: firm.name.clone() },
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowUserEnvelope)]
pub struct UserEnvelope {
    data: UserView,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowUserList)]
pub struct UserList {
    data: Vec<UserView>,
    meta: Meta,
}

#[utoipa::path(
    get, path = "/api/v1/users", tag = TAG, operation_id = "list_users",
    summary = "List Users",
    description = "Requires `users:read`. The users of the key's firm, oldest first; follow `meta.paging.next` for the next page.",
    params(
        ("page_token" = Option<String>, Query, description = "Opaque token for cursor-based pagination"),
        ("created_since" = Option<String>, Query, description = "Created on or after this time (ISO-8601)"),
        ("updated_since" = Option<String>, Query, description = "Updated on or after this time (ISO-8601)"),
        ("ids[]" = Option<Vec<i64>>, Query, description = "Filter by user ids (max 50)"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25); not in Clio's reference"),
        ("custom_action_nonce" = Option<String>, Query, description = "A custom action's single-use nonce; 403 if invalid"),
    ),
    responses(
        (status = 200, description = "A page of users", body = UserList),
        (status = 400, description = "`ValidationError`: an unknown or invalid parameter, or a bad `page_token`", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    OriginalUri(uri): OriginalUri,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    let mut p = crate::dialects::common::params(&pairs);
    let params = ListParams::read(&mut p);
    p.finish()?;
    let page = state.service.list_users(&actor, params.records()).await?;
    let data = page.items.iter().map(|u| UserView::new(u, &actor.firm)).collect();
    Ok(Json(UserList { data, meta: Meta::new(uri.path(), &pairs, page.next_cursor.as_deref()) }).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/users/who_am_i", tag = TAG,
    summary = "The user the API key belongs to",
    description = "Any valid key. 404 when the key belongs to no user.",
    params(("custom_action_nonce" = Option<String>, Query, description = "A custom action's single-use nonce; 403 if invalid")),
    responses(
        (status = 200, description = "The key's user", body = UserEnvelope),
        (status = 400, description = "`ValidationError`: an unknown query parameter", body = ErrorBody),
        (status = 404, description = "`RecordNotFound`: the key belongs to no user", body = ErrorBody),
    )
)]
pub async fn who_am_i(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(_): QueryPairs) -> Result<Response, ApiError> {
    let user = state.service.current_user(&actor).await?;
    Ok(Json(UserEnvelope { data: UserView::new(&user, &actor.firm) }).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/users/{id}", tag = TAG, operation_id = "get_user",
    summary = "Get a User",
    description = "Requires `users:read`.",
    params(
        ("id" = i64, Path, description = "The user's integer id"),
        ("custom_action_nonce" = Option<String>, Query, description = "A custom action's single-use nonce; 403 if invalid"),
    ),
    responses(
        (status = 200, description = "The user", body = UserEnvelope),
        (status = 400, description = "`ValidationError`: an unknown query parameter", body = ErrorBody),
        (status = 404, description = "`RecordNotFound`, also for another firm's user", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    PathId(id): PathId,
    QueryPairs(_): QueryPairs,
) -> Result<Response, ApiError> {
    actor.require(Scope::UsersRead)?;
    let id = state.service.record_id_by_seq::<UserFields>(&actor, seq_id(&id, "user")?).await?;
    let user = state.service.get_user(&actor, id).await?;
    Ok(Json(UserEnvelope { data: UserView::new(&user, &actor.firm) }).into_response())
}
