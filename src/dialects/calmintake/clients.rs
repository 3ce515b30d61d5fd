//! The handlers of `/api/v1/clients`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::api::AppState;
use crate::api::extract::{Auth, JsonObject, PathId, QueryPairs};
use crate::api::json::Json;
use crate::api::problem::ApiError;
use crate::api::v1::clients::client_id;
use crate::api::echoed::take_echoed;
use crate::api::written::written;
use crate::dialects::common::{require_first_name, without};
use crate::domain::api_key::Scope;
use crate::domain::client::Client;
use crate::domain::client::query::{ClientFilter, ClientSort, SearchTerm, SortField};
use crate::service::precondition::Precondition;

use super::errors::ErrorBody;
use super::views::{ClientEnvelope, ClientList, ClientSummary, ClientView, OWNED, Pagination, READ_ONLY};
use super::writes::{require_e164, ClientPatch, ClientWrite, to_canonical};
use super::{PAGES, TAG};

const MAX_SEARCH_CHARS: usize = 200;

#[utoipa::path(
    post, path = "/api/v1/clients", tag = TAG,
    summary = "Create a Client",
    description = "Requires `clients:write`. First and last name are required.",
    request_body(content = ClientWrite, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = ClientEnvelope),
        (status = 400, description = "`invalid_request`: missing or invalid fields", body = ErrorBody),
        (status = 409, description = "`duplicate_email`", body = ErrorBody),
    )
)]
pub async fn create(State(state): State<AppState>, Auth(actor): Auth, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    require_e164(&body, &actor.firm.settings.phone_region(), None)?;
    let doc = to_canonical(body)?;
    require_first_name(&actor, &doc)?;
    let client = state.service.create_client(&actor, &doc).await?;
    let data = written(&actor, Scope::ClientsRead, ClientView::new(&client, None), OWNED);
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "data": data }))).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/clients", tag = TAG,
    summary = "List Clients",
    description = "Requires `clients:read`. Numbered pages of the firm's clients.",
    params(
        ("page" = Option<u64>, Query, minimum = 1, maximum = 1_000_000, description = "Page number (default 1)"),
        ("per_page" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Results per page (default 20, max 100)"),
        ("search" = Option<String>, Query, description = "Search by name or email"),
        ("sort" = inline(Option<CalmintakeSortName>), Query, description = "`created_at` (default) or `last_name`"),
        ("order" = inline(Option<crate::api::openapi::SortOrderName>), Query, description = "`asc` or `desc` (default)"),
    ),
    responses(
        (status = 200, description = "A page of clients", body = ClientList),
        (status = 400, description = "`invalid_request`", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let mut p = crate::dialects::common::params(&pairs);
    let page = PAGES.read(&mut p);
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
    let descending = p.parsed("order", crate::dialects::common::sort_order);
    p.finish()?;
    let filter = ClientFilter { search: search.flatten(), ..ClientFilter::default() };
    let sort = ClientSort { field: field.unwrap_or(SortField::CreatedAt), descending: descending.unwrap_or(true) };
    let found = page.clients(&state.service, &actor, filter, sort).await?;
    let list = ClientList {
        data: found.clients.iter().map(ClientSummary::from).collect(),
        pagination: Pagination { page: found.number, per_page: found.size, total: found.total, has_more: found.has_more },
    };
    Ok(Json(list).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/clients/{id}", tag = TAG,
    summary = "Get Client",
    description = "Requires `clients:read`. Includes the summaries of the client's matters (`id`, `title`, `status`, `practice_area`).",
    params(("id" = String, Path, description = "Client id (`cli_…`)")),
    responses(
        (status = 200, description = "The client", body = ClientEnvelope),
        (status = 404, description = "`client_not_found`, also for another firm's client", body = ErrorBody),
    )
)]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    let client = state.service.get_client(&actor, client_id(&id)?).await?;
    let matters = state.service.client_matter_summaries(&actor, client.id).await?;
    Ok(Json(ClientEnvelope { data: ClientView::new(&client, Some(&matters)) }).into_response())
}

#[utoipa::path(
    patch, path = "/api/v1/clients/{id}", tag = TAG,
    summary = "Update Client",
    description = "Requires `clients:write`. Only the fields sent change; `null` clears one. The server's own fields \
        (`id`, `created_at`, `updated_at`, `matters_count`, `matters`) may be sent back as Get showed them, and are ignored.",
    params(("id" = String, Path, description = "Client id (`cli_…`)")),
    request_body(content = ClientPatch, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated client, as Get shows it", body = ClientEnvelope),
        (status = 400, description = "`invalid_request`", body = ErrorBody),
        (status = 404, description = "`client_not_found`", body = ErrorBody),
        (status = 409, description = "`duplicate_email`", body = ErrorBody),
    )
)]
pub async fn update(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    let id = client_id(&id)?;
    // The body's own faults come first, before the client is looked up.
    to_canonical(without(&body, READ_ONLY))?;
    let may_read = actor.require(Scope::ClientsRead).is_ok();
    let region = actor.firm.settings.phone_region();
    // Matters are not part of the record the write reads: what an echoed
    // `matters` is compared with is read just before.
    let matters = if body.contains_key("matters") && may_read { Some(state.service.client_matter_summaries(&actor, id).await?) } else { None };
    let patch_of = |current: &Client| {
        let shown = written(&actor, Scope::ClientsRead, ClientView::new(current, matters.as_deref()), OWNED);
        let mut body = body.clone();
        take_echoed(&mut body, &shown, READ_ONLY)?;
        let mut patch = to_canonical(body)?;
        patch.remove("kind");
        require_e164(&patch, &region, current.fields.phone.as_ref())?;
        Ok(patch)
    };
    let client = state.service.update_client_with(&actor, id, Precondition::default(), patch_of).await?;
    if !may_read {
        let data = written(&actor, Scope::ClientsRead, ClientView::new(&client, None), OWNED);
        return Ok(Json(serde_json::json!({ "data": data })).into_response());
    }
    let matters = state.service.client_matter_summaries(&actor, client.id).await?;
    Ok(Json(ClientEnvelope { data: ClientView::new(&client, Some(&matters)) }).into_response())
}

crate::names!(CalmintakeSortName, "`created_at` or `last_name`.", ["created_at", "last_name"].map(String::from));
