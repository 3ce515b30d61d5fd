//! Full Engage's Clients API (`../shared/seeds/full-engage-clients.txt`), at
//! `/compat/full-engage/api/v1/clients`. Ids are the client's UUID; a client
//! has one `name` (a person's first and last name, split at the last space,
//! or a company's name); lists page by `limit`/`offset` and answer
//! `{data, total}`. Choices the seed leaves open: docs/dialects/full-engage.md.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use crate::api::json::Json;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::common::{int_param, refuse_unknown, uuid_client_id, MAX_PAGE_NUMBER};
use crate::api::problem::Problem;
use crate::api::extract::{Auth, JsonObject, ParamReader, PathId, QueryPairs};
use crate::api::problem::ApiError;
use crate::api::AppState;
use crate::api::written::written;
use crate::domain::api_key::Scope;
use crate::domain::client::query::{ClientFilter, ClientSort, SearchTerm, SortField};
use crate::domain::client::{Client, ClientFields, ClientKind};
use crate::domain::field::FieldError;
use crate::service::clients::ListRequest;
use crate::service::precondition::Precondition;
use crate::service::ServiceError;

const TAG: &str = "full-engage";
const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 100;
/// As deep as the last page of the largest numbered-page listing goes.
const MAX_OFFSET: u64 = MAX_PAGE_NUMBER * MAX_LIMIT;
const MAX_QUERY_CHARS: usize = 200;
const WRITABLE: &[&str] = &["name", "phone", "status", "notes"];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(get, update, delete))
}

#[derive(Serialize, ToSchema)]
#[schema(as = FullEngageFieldError)]
pub struct FieldDetail {
    #[schema(example = "name")]
    field: String,
    #[schema(example = "is required")]
    message: String,
}

/// Full Engage's error body.
#[derive(Serialize, ToSchema)]
#[schema(as = FullEngageError)]
pub struct ErrorBody {
    #[schema(example = "name is required")]
    error: String,
    /// Clientele's stable code: `invalid_request`, `unauthorized`,
    /// `insufficient_scope`, `not_found`, `rate_limited`, …
    #[schema(example = "invalid_request")]
    code: String,
    /// For `invalid_request`: each bad field and what is wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Vec<FieldDetail>>,
}

/// `{"error": "<message>", "code": "<code>", "details": [{field, message}]}`.
pub fn error(problem: &Problem) -> (StatusCode, Value) {
    let details: Vec<FieldDetail> =
        problem.field_errors().iter().map(|e| FieldDetail { field: vendor_field(&e.field), message: e.message.clone() }).collect();
    let message = if details.is_empty() {
        problem.detail.clone()
    } else {
        details.iter().map(|d| format!("{} {}", d.field, d.message)).collect::<Vec<_>>().join("; ")
    };
    let body = ErrorBody { error: message, code: problem.code.to_string(), details: (!details.is_empty()).then_some(details) };
    (problem.status(), serde_json::to_value(body).unwrap_or_default())
}

/// The canonical name fields are all `name` here.
fn vendor_field(field: &str) -> String {
    match field {
        "first_name" | "last_name" => "name".into(),
        other => other.into(),
    }
}

/// A client, as every operation returns it.
#[derive(Serialize, ToSchema)]
#[schema(as = FullEngageClient)]
#[serde(rename_all = "camelCase")]
pub struct ClientView {
    #[schema(example = "a3f8c1d2-6b4e-4a9f-8d27-95c0e3b1f684")]
    id: String,
    /// A person's first and last name, or a company's name.
    #[schema(example = "John Doe")]
    name: String,
    /// E.164.
    #[schema(example = "+15551234")]
    phone: Option<String>,
    /// `active` or `inactive` (or another of the firm's client statuses).
    #[schema(example = "active")]
    status: String,
    notes: Option<String>,
    #[schema(example = "2026-07-15T14:32:10.000Z")]
    created_at: String,
    #[schema(example = "2026-07-15T14:32:10.000Z")]
    updated_at: String,
}

impl From<&Client> for ClientView {
    fn from(c: &Client) -> Self {
        let f = &c.fields;
        Self {
            id: c.id.as_uuid().hyphenated().to_string(),
            name: f.display_name(),
            phone: f.phone.as_ref().map(|p| p.as_str().to_string()),
            status: f.status.clone(),
            notes: f.notes.clone(),
            created_at: c.created_at.to_string(),
            updated_at: c.updated_at.to_string(),
        }
    }
}

/// A written client in the envelope, as `actor` may see it ([`crate::api::written`]).
fn written_envelope(actor: &crate::service::Actor, client: &Client) -> Json<Value> {
    const OWNED: &[&str] = &["id", "createdAt", "updatedAt"];
    Json(serde_json::json!({ "data": written(actor, Scope::ClientsRead, ClientView::from(client), OWNED) }))
}

#[derive(Serialize, ToSchema)]
#[schema(as = FullEngageClientEnvelope)]
pub struct ClientEnvelope {
    data: ClientView,
}

impl ClientEnvelope {
    fn of(client: &Client) -> Json<Self> {
        Json(Self { data: ClientView::from(client) })
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = FullEngageClientList)]
pub struct ClientList {
    data: Vec<ClientView>,
    /// Every client that matches, across all pages.
    #[schema(example = 42)]
    total: u64,
}

#[derive(Serialize, ToSchema)]
#[schema(as = FullEngageDeleted)]
pub struct Deleted {
    #[schema(example = true)]
    success: bool,
}

/// The body of Create.
#[derive(Serialize, ToSchema)]
#[schema(as = FullEngageClientCreate)]
#[allow(dead_code)] // documents the body; requests are read as JSON objects
pub struct ClientCreate {
    /// A person's first and last name: everything before the last space is
    /// the first name, the last word the last name.
    #[schema(example = "John Doe")]
    name: String,
    /// Any common format; a number without country code is in the firm's region.
    #[schema(example = "+1 555-1234")]
    phone: Option<String>,
    /// `active` (the default) or `inactive`.
    #[schema(required = false, example = "active")]
    status: String,
    notes: Option<String>,
}

/// The body of Update: only the fields sent change.
#[derive(Serialize, ToSchema)]
#[schema(as = FullEngageClientUpdate)]
#[allow(dead_code)] // documents the body; requests are read as JSON objects
pub struct ClientUpdate {
    /// A person's first and last name (as on create), or a company's name.
    #[schema(required = false, example = "John Doe")]
    name: String,
    /// `null` clears it.
    phone: Option<String>,
    #[schema(required = false, example = "inactive")]
    status: String,
    /// `null` clears them.
    #[schema(example = "No longer active")]
    notes: Option<String>,
}

/// `name` as a person's first and last name.
fn split_name(value: &Value) -> Result<(String, String), FieldError> {
    let Value::String(name) = value else {
        return Err(FieldError::new("name", if value.is_null() { "is required" } else { "must be a string" }));
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(FieldError::new("name", "is required"));
    }
    match name.rsplit_once(char::is_whitespace) {
        Some((first, last)) => Ok((first.trim().to_string(), last.to_string())),
        None => Err(FieldError::new(
            "name",
            "must be a first and a last name separated by a space: Clientele keeps a person's first and last name",
        )),
    }
}

/// The canonical fields for a body's `name`: a company's name, or a person's
/// first and last name.
fn name_fields(value: &Value, kind: ClientKind, doc: &mut Map<String, Value>) -> Result<(), ServiceError> {
    match kind {
        ClientKind::Company => {
            if !value.is_string() {
                return Err(ServiceError::invalid("name", if value.is_null() { "is required" } else { "must be a string" }));
            }
            doc.insert("name".into(), value.clone());
        }
        ClientKind::Person => {
            let (first, last) = split_name(value).map_err(|e| ServiceError::Invalid(vec![e]))?;
            doc.insert("first_name".into(), first.into());
            doc.insert("last_name".into(), last.into());
        }
    }
    Ok(())
}

/// The canonical document (or merge patch) for a Full Engage body; `kind` is
/// the client's (a new client is a person).
fn to_canonical(mut body: Map<String, Value>, kind: ClientKind) -> Result<Map<String, Value>, ServiceError> {
    refuse_unknown(&body, WRITABLE)?;
    if body.get("status").is_some_and(Value::is_null) {
        return Err(ServiceError::invalid("status", "must be a status, not null"));
    }
    if let Some(name) = body.remove("name") {
        name_fields(&name, kind, &mut body)?;
    }
    Ok(body)
}

#[utoipa::path(
    get, path = "/api/v1/clients", tag = TAG,
    summary = "List Clients",
    description = "Requires `clients:read`.",
    params(
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Number of results (1-100, default 50)"),
        ("offset" = Option<u64>, Query, maximum = 100_000_000, description = "Pagination offset (default 0)"),
        ("query" = Option<String>, Query, description = "Search by name or phone (also matches email)"),
        ("sortBy" = Option<String>, Query, description = "`name`, `phone`, `status` or `createdAt` (default)"),
        ("sortOrder" = Option<String>, Query, description = "`asc` (default) or `desc`"),
        ("status" = Option<String>, Query, description = "Comma-separated statuses, e.g. `active,inactive` (at most 100)"),
    ),
    responses(
        (status = 200, description = "A page of clients and how many match", body = ClientList),
        (status = 400, description = "`invalid_request`: a bad or unknown parameter", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`: the key lacks `clients:read`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: wait `Retry-After` seconds", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        (status = 500, description = "`internal_error`", body = ErrorBody),
        (status = 503, description = "`service_unavailable`", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsRead).map_err(ApiError::from)?;
    let settings = &actor.firm.settings;
    let mut p = ParamReader::new(&pairs);
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
    let descending = p.parsed("sortOrder", |s| match s {
        "asc" => Ok(false),
        "desc" => Ok(true),
        _ => Err("must be asc or desc".into()),
    });
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
        include_total: true,
    };
    let found = state.service.list_clients(&actor, request).await?;
    let list = ClientList { data: found.items.iter().map(ClientView::from).collect(), total: found.total.unwrap_or_default() };
    Ok(Json(list).into_response())
}

#[utoipa::path(
    post, path = "/api/v1/clients", tag = TAG,
    summary = "Create Client",
    description = "Requires `clients:write`. `name` is required: a first and a last name.",
    request_body(content = ClientCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = ClientEnvelope),
        (status = 400, description = "`invalid_request`: missing or invalid fields, listed in `details`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`: the key lacks `clients:write`", body = ErrorBody),
        (status = 409, description = "`idempotency_in_progress`: a request with this `Idempotency-Key` is still running", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 422, description = "`idempotency_key_reused`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        (status = 500, description = "`internal_error`", body = ErrorBody),
        (status = 503, description = "`service_unavailable`", body = ErrorBody),
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
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = ErrorBody),
        (status = 404, description = "`not_found`, also for another firm's client", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        (status = 500, description = "`internal_error`", body = ErrorBody),
        (status = 503, description = "`service_unavailable`", body = ErrorBody),
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
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        (status = 500, description = "`internal_error`", body = ErrorBody),
        (status = 503, description = "`service_unavailable`", body = ErrorBody),
    )
)]
pub async fn update(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsWrite).map_err(ApiError::from)?;
    let id = uuid_client_id(&id)?;
    refuse_unknown(&body, WRITABLE)?;
    // How `name` maps depends on whether the client is a person or a
    // company: the patch is made from the client being changed, inside the
    // service's read-modify-write (so a write-only key can rename).
    let patch_of = |current: &ClientFields| {
        let mut body = body.clone();
        // A read-modify-write sends the name back unchanged: it must not
        // re-split a name stored in other parts ("Jean" + "de la Cruz").
        if body.get("name").and_then(Value::as_str).is_some_and(|n| n.trim() == current.display_name()) {
            body.remove("name");
        }
        to_canonical(body, current.kind)
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
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`client_has_open_matters`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        (status = 500, description = "`internal_error`", body = ErrorBody),
        (status = 503, description = "`service_unavailable`", body = ErrorBody),
    )
)]
pub async fn delete(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsWrite).map_err(ApiError::from)?;
    state.service.delete_client(&actor, uuid_client_id(&id)?, Precondition::default()).await?;
    Ok(Json(Deleted { success: true }).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_splits_at_its_last_space() {
        assert_eq!(split_name(&"John Doe".into()).unwrap(), ("John".into(), "Doe".into()));
        assert_eq!(split_name(&"  Mary Ann  Smith ".into()).unwrap(), ("Mary Ann".into(), "Smith".into()));
        assert!(split_name(&"Cher".into()).is_err());
        assert!(split_name(&Value::Null).is_err());
        assert!(split_name(&3.into()).is_err());
    }
}
