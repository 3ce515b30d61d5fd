//! The handlers of `/api/v1/clients`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::api::AppState;
use crate::api::extract::{Auth, JsonObject, PathId, QueryPairs};
use crate::api::json::Json;
use crate::api::problem::ApiError;
use crate::api::echoed::take_echoed;
use crate::api::written::written;
use crate::dialects::common::{delete_client_by_uuid, int_param, refuse_unknown_in, uuid_client_id, without, MAX_PAGE_NUMBER};
use crate::domain::api_key::Scope;
use crate::domain::client::query::{ClientFilter, ClientSort, SearchTerm, SortField};
use crate::domain::client::{Client, ClientKind};
use crate::service::clients::ListRequest;
use crate::service::paging::Counting;
use crate::service::precondition::Precondition;

use super::TAG;
use super::errors::ErrorBody;
use super::views::{ClientEnvelope, ClientList, ClientView, Deleted, OWNED, written_envelope};
use super::writes::{to_canonical, ClientCreate, ClientUpdate, UPDATE};

const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 100;

/// As deep as the last page of the largest numbered-page listing goes.
const MAX_OFFSET: u64 = MAX_PAGE_NUMBER * MAX_LIMIT;
const MAX_QUERY_CHARS: usize = 200;

#[utoipa::path(
    get, path = "/api/v1/clients", tag = TAG,
    summary = "List Clients",
    description = "Requires `clients:read`.",
    params(
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Number of results (1-100, default 50)"),
        ("offset" = Option<u64>, Query, maximum = 100_000_000, description = "Pagination offset (default 0)"),
        ("query" = Option<String>, Query, description = "Search by name or phone (also matches email)"),
        ("sortBy" = inline(Option<FullEngageSortName>), Query, description = "`name`, `phone`, `status` or `createdAt` (default)"),
        ("sortOrder" = inline(Option<crate::api::openapi::SortOrderName>), Query, description = "`asc` (default) or `desc`"),
        ("status" = Option<String>, Query, description = "Comma-separated statuses, e.g. `active,inactive` (at most 100)"),
    ),
    responses(
        (status = 200, description = "A page of clients and how many match", body = ClientList),
        (status = 400, description = "`invalid_request`: a bad or unknown parameter", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsRead).map_err(ApiError::from)?;
    let settings = &actor.firm.settings;
    let mut p = crate::dialects::common::params(&pairs);
    let limit = int_param(&mut p, "limit", 1, MAX_LIMIT).unwrap_or(DEFAULT_LIMIT);
    let offset = int_param(&mut p, "offset", 0, MAX_OFFSET).unwrap_or(0);
    let search = p.parsed("query", |s| {
        if s.chars().count() > MAX_QUERY_CHARS {
            return Err(format!("must be at most {MAX_QUERY_CHARS} characters"));
        }
        Ok(SearchTerm::new(s))
    });
    let field = p.parsed("sortBy", |s| match s {
        "name" => Ok(SortField::Name),
        "phone" => Ok(SortField::Phone),
        "status" => Ok(SortField::Status),
        "createdAt" => Ok(SortField::CreatedAt),
        _ => Err("must be name, phone, status or createdAt".into()),
    });
    let descending = p.parsed("sortOrder", crate::dialects::common::sort_order);
    let statuses: Vec<String> = p.list("status").into_iter().map(str::to_string).collect();
    if let Some(bad) = statuses.iter().find(|s| !settings.allows_status(s)) {
        let shown: String = bad.chars().take(64).collect();
        p.error("status", format!("`{shown}` is not a status; use: {}", settings.client_statuses.join(", ")));
    }
    p.finish()?;
    let request = ListRequest {
        filter: ClientFilter { statuses, search: search.flatten(), ..ClientFilter::default() },
        sort: ClientSort { field: field.unwrap_or(SortField::CreatedAt), descending: descending.unwrap_or(false) },
        cursor: None,
        offset,
        limit: Some(limit as usize),
        count: Counting::Exact,
    };
    let found = state.service.list_clients(&actor, request).await?;
    let list = ClientList { data: found.items.iter().map(ClientView::from).collect(), total: found.total.map_or(0, |t| t.count) };
    Ok(Json(list).into_response())
}

#[utoipa::path(
    post, path = "/api/v1/clients", tag = TAG,
    summary = "Create Client",
    description = "Requires `clients:write`. `name` is required: a first and a last name, or a single name.",
    request_body(content = ClientCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = ClientEnvelope),
        (status = 400, description = "`invalid_request`: missing or invalid fields, listed in `details`", body = ErrorBody),
        (status = 409, description = "`idempotency_in_progress`: a request with this `Idempotency-Key` is still running", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 422, description = "`idempotency_key_reused`", body = ErrorBody),
    )
)]
pub async fn create(State(state): State<AppState>, Auth(actor): Auth, JsonObject(mut body): JsonObject) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsWrite).map_err(ApiError::from)?;
    body.entry("name").or_insert(Value::Null);
    let mut doc = to_canonical(body, ClientKind::Person)?;
    doc.insert("kind".into(), "person".into());
    let client = state.service.create_client(&actor, &doc).await?;
    Ok((StatusCode::CREATED, written_envelope(&actor, &client)).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/clients/{id}", tag = TAG,
    summary = "Get Client",
    description = "Requires `clients:read`.",
    params(("id" = String, Path, description = "The client's UUID")),
    responses(
        (status = 200, description = "The client", body = ClientEnvelope),
        (status = 404, description = "`not_found`, also for another firm's client", body = ErrorBody),
    )
)]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsRead).map_err(ApiError::from)?;
    let client = state.service.get_client(&actor, uuid_client_id(&id)?).await?;
    Ok(ClientEnvelope::of(&client).into_response())
}

#[utoipa::path(
    patch, path = "/api/v1/clients/{id}", tag = TAG,
    summary = "Update Client",
    description = "Requires `clients:write`. Only the fields sent change; `null` clears `phone` or `notes`.",
    params(("id" = String, Path, description = "The client's UUID")),
    request_body(content = ClientUpdate, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated client", body = ClientEnvelope),
        (status = 400, description = "`invalid_request`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
    )
)]
pub async fn update(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsWrite).map_err(ApiError::from)?;
    let id = uuid_client_id(&id)?;
    refuse_unknown_in(&without(&body, OWNED), &UPDATE)?;
    // How `name` maps depends on whether the client is a person or a
    // company: the patch is made from the client being changed, inside the
    // service's read-modify-write (so a write-only key can rename).
    let patch_of = |current: &Client| {
        let mut body = body.clone();
        take_echoed(&mut body, &written(&actor, Scope::ClientsRead, ClientView::from(current), OWNED), OWNED)?;
        // A read-modify-write sends the name back unchanged: it must not
        // re-split a name stored in other parts ("Jean" + "de la Cruz").
        if body.get("name").and_then(Value::as_str).is_some_and(|n| n.trim() == current.fields.display_name()) {
            body.remove("name");
        }
        to_canonical(body, current.fields.kind)
    };
    let client = state.service.update_client_with(&actor, id, Precondition::default(), patch_of).await?;
    Ok(written_envelope(&actor, &client).into_response())
}

#[utoipa::path(
    delete, path = "/api/v1/clients/{id}", tag = TAG,
    summary = "Delete Client",
    description = "Requires `clients:write`. A client with open or pending matters can't be deleted.",
    params(("id" = String, Path, description = "The client's UUID")),
    responses(
        (status = 200, description = "Deleted", body = Deleted),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`client_has_open_matters`", body = ErrorBody),
    )
)]
pub async fn delete(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    delete_client_by_uuid(&state.service, &actor, &id).await?;
    Ok(Json(Deleted { success: true }).into_response())
}

crate::names!(FullEngageSortName, "`name`, `phone`, `status` or `createdAt`.", ["name", "phone", "status", "createdAt"].map(String::from));
