//! CalmIntake's Clients API (`../shared/seeds/calmintake-clients.txt`), at
//! `/compat/calmintake/api/v1/clients`. Ids are the canonical `cli_…` ids;
//! pages are numbered (`page`, `per_page`); addresses say `state` and `zip`.
//! Choices the seed leaves open: docs/dialects/calmintake.md.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use crate::api::json::Json;
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::common::{int_param, refuse_unknown, MAX_PAGE_NUMBER};
use crate::api::problem::Problem;
use crate::api::extract::{Auth, JsonObject, ParamReader, PathId, QueryPairs};
use crate::api::problem::ApiError;
use crate::api::v1::clients::client_id;
use crate::api::AppState;
use crate::api::written::written;
use crate::domain::api_key::Scope;
use crate::domain::client::query::{ClientFilter, ClientSort, SearchTerm, SortField};
use crate::domain::client::{Address, Client};
use crate::domain::matter::MatterStatus;
use crate::service::matters::Matter;
use crate::service::clients::ListRequest;
use crate::service::precondition::Precondition;
use crate::service::ServiceError;

const TAG: &str = "calmintake";
const MAX_PER_PAGE: u64 = 100;
const DEFAULT_PER_PAGE: u64 = 20;
const MAX_SEARCH_CHARS: usize = 200;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(get, update))
}

/// CalmIntake's error body: `{"error": {"code", "message", "details"}}`.
pub fn error(problem: &Problem) -> (StatusCode, Value) {
    let code = match problem.code {
        "malformed_json" | "unsupported_media_type" => "invalid_request",
        "not_found" => "client_not_found",
        other => other,
    };
    let mut error = json!({"code": code, "message": problem.message()});
    if !problem.field_errors().is_empty() {
        let details: Vec<Value> = problem
            .field_errors()
            .iter()
            .map(|e| json!({"field": canonical_to_vendor_field(&e.field), "message": e.message}))
            .collect();
        error["details"] = Value::Array(details);
    }
    if let Some(id) = &problem.request_id {
        error["request_id"] = Value::String(id.clone());
    }
    (problem.status(), json!({ "error": error }))
}

/// Field names in errors, as the caller wrote them.
fn canonical_to_vendor_field(field: &str) -> String {
    match field {
        "address.region" => "address.state".into(),
        "address.postal_code" => "address.zip".into(),
        other => other.into(),
    }
}

/// CalmIntake's address: `state` and `zip` for the canonical `region` and `postal_code`.
#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeAddress)]
pub struct AddressView {
    line1: Option<String>,
    line2: Option<String>,
    city: Option<String>,
    state: Option<String>,
    zip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<String>,
}

impl From<&Address> for AddressView {
    fn from(a: &Address) -> Self {
        Self {
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            state: a.region.clone(),
            zip: a.postal_code.clone(),
            country: a.country.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeMatter)]
pub struct MatterView {
    #[schema(example = "mat_01HXYZ")]
    id: String,
    title: String,
    /// `active` (open), `pending` or `closed`.
    #[schema(example = "active")]
    status: &'static str,
    practice_area: Option<String>,
}

impl From<&Matter> for MatterView {
    fn from(m: &Matter) -> Self {
        let status = match m.fields.status {
            MatterStatus::Open => "active",
            MatterStatus::Pending => "pending",
            MatterStatus::Closed => "closed",
        };
        Self { id: m.id().to_string(), title: m.fields.title.clone(), status, practice_area: m.fields.practice_area.clone() }
    }
}

/// A client, as Get, Create and Update return it.
/// What a write shows a key that may not read clients ([`crate::api::written`]).
const OWNED: &[&str] = &["id", "created_at", "updated_at"];

#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeClient)]
pub struct ClientView {
    #[schema(example = "cli_01HABC")]
    id: String,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    date_of_birth: Option<String>,
    address: Option<AddressView>,
    notes: Option<String>,
    #[schema(value_type = Object)]
    custom_fields: Map<String, Value>,
    /// On Get, when the key may read matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    matters: Option<Vec<MatterView>>,
    matters_count: i64,
    created_at: String,
    updated_at: String,
}

impl ClientView {
    fn new(c: &Client, matters: Option<&[Matter]>) -> Self {
        let f = &c.fields;
        Self {
            id: c.id.to_string(),
            first_name: f.first_name.clone(),
            last_name: f.last_name.clone(),
            email: f.email.as_ref().map(|e| e.as_str().to_string()),
            phone: f.phone.as_ref().map(|p| p.as_str().to_string()),
            date_of_birth: f.date_of_birth.map(|d| d.to_string()),
            address: f.address.as_ref().map(AddressView::from),
            notes: f.notes.clone(),
            custom_fields: f.custom_fields.clone(),
            matters: matters.map(|ms| ms.iter().map(MatterView::from).collect()),
            matters_count: c.matters_count,
            created_at: c.created_at.to_string(),
            updated_at: c.updated_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeClientEnvelope)]
pub struct ClientEnvelope {
    data: ClientView,
}

/// A client as List shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeClientSummary)]
pub struct ClientSummary {
    id: String,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    matters_count: i64,
    created_at: String,
}

impl From<&Client> for ClientSummary {
    fn from(c: &Client) -> Self {
        let f = &c.fields;
        Self {
            id: c.id.to_string(),
            first_name: f.first_name.clone(),
            last_name: f.last_name.clone(),
            email: f.email.as_ref().map(|e| e.as_str().to_string()),
            phone: f.phone.as_ref().map(|p| p.as_str().to_string()),
            matters_count: c.matters_count,
            created_at: c.created_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakePagination)]
pub struct Pagination {
    page: u64,
    per_page: u64,
    total: u64,
    has_more: bool,
}

#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeClientList)]
pub struct ClientList {
    data: Vec<ClientSummary>,
    pagination: Pagination,
}

/// The body of Create and Update.
#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeClientWrite)]
#[allow(dead_code)]
pub struct ClientWrite {
    /// Required on create.
    first_name: Option<String>,
    /// Required on create.
    last_name: Option<String>,
    email: Option<String>,
    /// E.164, or a national number in the firm's default region.
    phone: Option<String>,
    /// YYYY-MM-DD.
    date_of_birth: Option<String>,
    /// `line1`, `line2`, `city`, `state`, `zip` (and optionally `country`).
    #[schema(value_type = Object)]
    address: Option<Value>,
    notes: Option<String>,
    #[schema(value_type = Object)]
    custom_fields: Option<Map<String, Value>>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeError)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// `{"code": "invalid_request" | "unauthorized" | "insufficient_scope" |
    /// "client_not_found" | "duplicate_email" | "rate_limited" | …,
    /// "message": "…", "details": [{"field", "message"}]}`
    #[schema(value_type = Object)]
    error: Value,
}

const WRITABLE: &[&str] = &["first_name", "last_name", "email", "phone", "date_of_birth", "address", "notes", "custom_fields"];
const ADDRESS: &[&str] = &["line1", "line2", "city", "state", "zip", "country"];

/// The canonical document (or merge patch) for a CalmIntake body.
fn to_canonical(mut body: Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    refuse_unknown(&body, WRITABLE)?;
    if let Some(Value::Object(address)) = body.get_mut("address") {
        // Reported on `address` itself: `address.region` would read back as
        // `address.state` through the renaming of canonical field names.
        let unknown: Vec<_> = address
            .keys()
            .filter(|k| !ADDRESS.contains(&k.as_str()))
            .map(|k| {
                let key: String = k.chars().take(64).collect();
                crate::domain::field::FieldError::new("address", format!("`{key}` is not a known field (line1, line2, city, state, zip, country)"))
            })
            .collect();
        if !unknown.is_empty() {
            return Err(ServiceError::Invalid(unknown).into());
        }
        for (from, to) in [("state", "region"), ("zip", "postal_code")] {
            if let Some(value) = address.remove(from) {
                address.insert(to.into(), value);
            }
        }
    }
    body.insert("kind".into(), "person".into());
    Ok(body)
}

#[utoipa::path(
    post, path = "/api/v1/clients", tag = TAG,
    summary = "Create a Client",
    description = "Requires `clients:write`. First and last name are required.",
    request_body(content = ClientWrite, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = ClientEnvelope),
        (status = 400, description = "`invalid_request`: missing or invalid fields", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = ErrorBody),
        (status = 409, description = "`duplicate_email`", body = ErrorBody),
    )
)]
pub async fn create(State(state): State<AppState>, Auth(actor): Auth, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    let client = state.service.create_client(&actor, &to_canonical(body)?).await?;
    let data = written(&actor, Scope::ClientsRead, ClientView::new(&client, None), OWNED);
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "data": data }))).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/clients", tag = TAG,
    summary = "List Clients",
    description = "Requires `clients:read`. Numbered pages of the firm's clients.",
    params(
        ("page" = Option<u64>, Query, description = "Page number (default 1)"),
        ("per_page" = Option<u64>, Query, description = "Results per page (default 20, max 100)"),
        ("search" = Option<String>, Query, description = "Search by name or email"),
        ("sort" = Option<String>, Query, description = "`created_at` (default) or `last_name`"),
        ("order" = Option<String>, Query, description = "`asc` or `desc` (default)"),
    ),
    responses(
        (status = 200, description = "A page of clients", body = ClientList),
        (status = 400, description = "`invalid_request`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let mut p = ParamReader::new(&pairs);
    let page = int_param(&mut p, "page", 1, MAX_PAGE_NUMBER).unwrap_or(1);
    let per_page = int_param(&mut p, "per_page", 1, MAX_PER_PAGE).unwrap_or(DEFAULT_PER_PAGE);
    let search = p.parsed("search", |s| {
        if s.chars().count() > MAX_SEARCH_CHARS {
            return Err(format!("must be at most {MAX_SEARCH_CHARS} characters"));
        }
        Ok(SearchTerm::new(s))
    });
    let field = p.parsed("sort", |s| match s {
        "created_at" => Ok(SortField::CreatedAt),
        "last_name" => Ok(SortField::LastName),
        _ => Err("must be created_at or last_name".into()),
    });
    let descending = p.parsed("order", |s| match s {
        "asc" => Ok(false),
        "desc" => Ok(true),
        _ => Err("must be asc or desc".into()),
    });
    p.finish()?;
    let request = ListRequest {
        filter: ClientFilter { search: search.flatten(), ..ClientFilter::default() },
        sort: ClientSort { field: field.unwrap_or(SortField::CreatedAt), descending: descending.unwrap_or(true) },
        cursor: None,
        offset: (page - 1) * per_page,
        limit: Some(per_page as usize),
        include_total: true,
    };
    let found = state.service.list_clients(&actor, request).await?;
    let total = found.total.unwrap_or_default();
    let list = ClientList {
        data: found.items.iter().map(ClientSummary::from).collect(),
        pagination: Pagination { page, per_page, total, has_more: page * per_page < total },
    };
    Ok(Json(list).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/clients/{id}", tag = TAG,
    summary = "Get Client",
    description = "Requires `clients:read`. Includes the client's matters when the key also has `matters:read`.",
    params(("id" = String, Path, description = "Client id (`cli_…`)")),
    responses(
        (status = 200, description = "The client", body = ClientEnvelope),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`client_not_found`, also for another firm's client", body = ErrorBody),
    )
)]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    let client = state.service.get_client(&actor, client_id(&id)?).await?;
    with_matters(&state, &actor, &client).await
}

/// The full client, with its matters when the key may read them (Get and
/// Update answer the same schema).
async fn with_matters(state: &AppState, actor: &crate::service::Actor, client: &Client) -> Result<Response, ApiError> {
    let matters = match actor.require(Scope::MattersRead) {
        Ok(()) => Some(state.service.client_matters(actor, client.id).await?),
        Err(_) => None,
    };
    Ok(Json(ClientEnvelope { data: ClientView::new(client, matters.as_deref()) }).into_response())
}

#[utoipa::path(
    patch, path = "/api/v1/clients/{id}", tag = TAG,
    summary = "Update Client",
    description = "Requires `clients:write`. Only the fields sent change; `null` clears one.",
    params(("id" = String, Path, description = "Client id (`cli_…`)")),
    request_body(content = ClientWrite, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated client, as Get shows it", body = ClientEnvelope),
        (status = 400, description = "`invalid_request`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = ErrorBody),
        (status = 404, description = "`client_not_found`", body = ErrorBody),
        (status = 409, description = "`duplicate_email`", body = ErrorBody),
    )
)]
pub async fn update(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    let id = client_id(&id)?;
    let mut patch = to_canonical(body)?;
    patch.remove("kind");
    let client = state.service.update_client(&actor, id, &patch, Precondition::default()).await?;
    if actor.require(Scope::ClientsRead).is_err() {
        let data = written(&actor, Scope::ClientsRead, ClientView::new(&client, None), OWNED);
        return Ok(Json(serde_json::json!({ "data": data })).into_response());
    }
    with_matters(&state, &actor, &client).await
}
