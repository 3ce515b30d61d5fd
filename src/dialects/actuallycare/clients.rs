//! The handlers of `/v1/clients`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::api::AppState;
use crate::api::extract::{precondition, Auth, JsonObject, PathId, QueryPairs};
use crate::api::json::Json;
use crate::api::problem::ApiError;
use crate::api::echoed::take_echoed;
use crate::dialects::common::{delete_client_by_uuid, uuid_client_id, without};
use crate::domain::client::Client;
use crate::domain::api_key::Scope;
use crate::domain::client::query::{ClientFilter, ClientSort, SortField};
use crate::domain::time::Timestamp;

use super::errors::ErrorBody;
use super::views::{shown, ClientEnvelope, ClientList, ClientPage, ClientType, ClientView, Deleted, Empty, Meta, READ_ONLY, written_envelope};
use super::writes::{ClientCreate, ClientUpdate, Write, to_canonical};
use super::{PAGES, TAG};

#[utoipa::path(
    get, path = "/v1/clients", tag = TAG,
    summary = "List all clients",
    description = "Requires `clients:read`. Numbered pages of the firm's clients, newest first.",
    params(
        ("client_type" = Option<ClientType>, Query, description = "Only clients of this type"),
        ("status" = Option<String>, Query, description = "Only clients with this status: `active`, `inactive` or `closed`"),
        ("page" = Option<u64>, Query, minimum = 1, maximum = 1_000_000, description = "Page number (default 1)"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Clients per page (default 25, max 100)"),
    ),
    responses(
        (status = 200, description = "A page: clients under `data.clients`, pagination under `data.meta`", body = ClientList),
        (status = 400, description = "`VALIDATION_ERROR`: a bad or unknown parameter", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsRead).map_err(ApiError::from)?;
    let settings = &actor.firm.settings;
    let mut p = crate::dialects::common::params(&pairs);
    let client_type = p.parsed("client_type", |s| ClientType::parse(s).ok_or_else(|| ClientType::EXPECTED.to_string()));
    let status = p.parsed("status", |s| {
        if settings.allows_status(s) {
            Ok(s.to_string())
        } else {
            Err(format!("must be one of: {}", settings.client_statuses.join(", ")))
        }
    });
    let page = PAGES.read(&mut p);
    p.finish()?;
    let filter = ClientFilter {
        statuses: status.into_iter().collect(),
        custom: client_type.map(|t| ("client_type".to_string(), t.as_str().to_string())).into_iter().collect(),
        ..ClientFilter::default()
    };
    let found = page.clients(&state.service, &actor, filter, ClientSort { field: SortField::CreatedAt, descending: true }).await?;
    let region = settings.phone_region();
    let (total, size) = (found.total, found.size);
    let data = ClientPage {
        clients: found.clients.iter().map(|c| ClientView::new(c, &region)).collect(),
        meta: Meta { page: found.number, limit: size, total, total_pages: total.div_ceil(size), has_more: found.has_more },
    };
    Ok(Json(ClientList { success: true, data }).into_response())
}

#[utoipa::path(
    post, path = "/v1/clients", tag = TAG,
    summary = "Create new client",
    description = "Requires `clients:write`. `first_name`, `last_name` and `client_type` are required.",
    request_body(content = ClientCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "Client created", body = ClientEnvelope),
        (status = 400, description = "`VALIDATION_ERROR`: missing or invalid fields, listed in `details`", body = ErrorBody),
        (status = 409, description = "`CONFLICT`: another client has this email, or a request with this `Idempotency-Key` is running", body = ErrorBody),
        (status = 413, description = "`VALIDATION_ERROR`: body over 1 MiB", body = ErrorBody),
        (status = 415, description = "`VALIDATION_ERROR`: body not sent as JSON", body = ErrorBody),
        (status = 422, description = "`VALIDATION_ERROR`: this `Idempotency-Key` was used with another request", body = ErrorBody),
    )
)]
pub async fn create(State(state): State<AppState>, Auth(actor): Auth, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsWrite).map_err(ApiError::from)?;
    let mut doc = to_canonical(body, Write::Create(&actor.firm.settings))?;
    doc.insert("kind".into(), "person".into());
    let client = state.service.create_client(&actor, &doc).await?;
    Ok((StatusCode::CREATED, Json(written_envelope(&actor, &client))).into_response())
}

#[utoipa::path(
    get, path = "/v1/clients/{id}", tag = TAG,
    summary = "Get client by ID",
    description = "Requires `clients:read`.",
    params(("id" = String, Path, description = "The client's UUID")),
    responses(
        (status = 200, description = "Client found", body = ClientEnvelope),
        (status = 404, description = "`NOT_FOUND`, also for another firm's client", body = ErrorBody),
    )
)]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsRead).map_err(ApiError::from)?;
    let client = state.service.get_client(&actor, uuid_client_id(&id)?).await?;
    Ok(Json(ClientEnvelope::new(&client, &actor.firm.settings.phone_region())).into_response())
}

#[utoipa::path(
    put, path = "/v1/clients/{id}", tag = TAG,
    summary = "Update client",
    description = "Requires `clients:write`. Only the fields sent change (`null` clears one); \
        with `version`, only if it is still the client's current version.",
    params(("id" = String, Path, description = "The client's UUID")),
    request_body(content = ClientUpdate, content_type = "application/json"),
    responses(
        (status = 200, description = "Client updated", body = ClientEnvelope),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 404, description = "`NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`CONFLICT`: `version` is not current, or another client has this email", body = ErrorBody),
        (status = 413, description = "`VALIDATION_ERROR`: body over 1 MiB", body = ErrorBody),
        (status = 415, description = "`VALIDATION_ERROR`: body not sent as JSON", body = ErrorBody),
    )
)]
pub async fn update(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, JsonObject(mut body): JsonObject) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsWrite).map_err(ApiError::from)?;
    let id = uuid_client_id(&id)?;
    let pre = precondition(&HeaderMap::new(), Some(&mut body))?;
    // The body's own faults come first, before the client is looked up.
    to_canonical(without(&body, READ_ONLY), Write::Update)?;
    let patch_of = |current: &Client| {
        let mut body = body.clone();
        take_echoed(&mut body, &shown(&actor, current), READ_ONLY)?;
        to_canonical(body, Write::Update)
    };
    let client = state.service.update_client_with(&actor, id, pre, patch_of).await?;
    Ok(Json(written_envelope(&actor, &client)).into_response())
}

#[utoipa::path(
    delete, path = "/v1/clients/{id}", tag = TAG,
    summary = "Delete client",
    description = "Requires `clients:write`. A client with open or pending matters can't be deleted.",
    params(("id" = String, Path, description = "The client's UUID")),
    responses(
        (status = 200, description = "Client deleted", body = Deleted),
        (status = 404, description = "`NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`CONFLICT`: the client has open or pending matters", body = ErrorBody),
    )
)]
pub async fn delete(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    delete_client_by_uuid(&state.service, &actor, &id).await?;
    Ok(Json(Deleted { success: true, data: Empty {}, timestamp: Timestamp::now().to_string() }).into_response())
}
