//! The handlers of `/contacts`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::api::AppState;
use crate::api::extract::{Auth, JsonObject, PathId, QueryPairs};
use crate::api::json::Json;
use crate::api::problem::ApiError;
use crate::api::written::written;
use crate::domain::api_key::Scope;
use crate::domain::client::ClientKind;
use crate::domain::client::query::{ClientFilter, ClientSort, SortField};
use crate::domain::ids::ClientId;
use crate::service::ServiceError;

use super::errors::ErrorBody;
use super::views::{ContactEnvelope, ContactList, ContactView, Pagination};
use super::writes::{ContactWrite, to_canonical};
use super::{PAGES, TAG};

/// A client named by its UUID or its canonical `cli_…` id.
pub(super) fn client_ref(raw: &str) -> Option<ClientId> {
    let raw = raw.trim();
    uuid::Uuid::try_parse(raw).map(ClientId::from_uuid).ok().or_else(|| raw.parse().ok())
}

/// The service's company check names `company_id`; Clemta answers it with 404.
fn company_not_found(e: ServiceError) -> ServiceError {
    match e {
        ServiceError::Invalid(errors) if errors.iter().any(|e| e.field == "company_id") => ServiceError::NotFound("company"),
        other => other,
    }
}

#[utoipa::path(
    post, path = "/contacts", tag = TAG,
    summary = "Create Contact",
    description = "Requires `clients:write`. Creates a person belonging to a company client of the firm. \
        `type`, `cc_emails`, `bcc_emails` and `billing` are kept in the client's `custom_fields` \
        (`contact_type`, `cc_emails`, `bcc_emails`, `billing`).",
    request_body(content = ContactWrite, content_type = "application/json"),
    responses(
        (status = 200, description = "Contact created successfully", body = ContactEnvelope),
        (status = 400, description = "`INVALID_REQUEST`: missing or invalid fields, or a body that is not a JSON object", body = ErrorBody),
        (status = 404, description = "`COMPANY_NOT_FOUND`: `company_id` names no company client of the firm", body = ErrorBody),
        (status = 409, description = "`CONFLICT`: another client of the firm has this email", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`: the body is over 1 MiB", body = ErrorBody),
    )
)]
pub async fn create(State(state): State<AppState>, Auth(actor): Auth, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsWrite)?;
    let doc = to_canonical(&body, &actor.firm.settings)?;
    let client = state.service.create_client(&actor, &doc).await.map_err(company_not_found)?;
    const OWNED: &[&str] = &["id", "created_at", "updated_at"];
    let data = written(&actor, Scope::ClientsRead, ContactView::new(&client), OWNED);
    Ok(Json(serde_json::json!({ "success": true, "message": "Contact created successfully", "data": data })).into_response())
}

#[utoipa::path(
    get, path = "/contacts", tag = TAG,
    summary = "List Contacts",
    description = "Requires `clients:read`. The firm's person clients, newest first, in numbered pages.",
    params(
        ("page" = Option<u64>, Query, minimum = 1, maximum = 1_000_000, description = "Page number (default 1)"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Contacts per page (default 20, max 100)"),
        ("company_id" = Option<String>, Query, description = "Only the contacts of this company (UUID or `cli_…`)"),
    ),
    responses(
        (status = 200, description = "Contacts retrieved successfully", body = ContactList),
        (status = 400, description = "`INVALID_REQUEST`: an unknown or invalid parameter", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsRead)?;
    let mut p = crate::dialects::common::params(&pairs);
    let page = PAGES.read(&mut p);
    // An id that names no client filters to nothing, as an unknown company would.
    let company_id = p.get("company_id").map(|raw| client_ref(raw).unwrap_or(ClientId::from_uuid(uuid::Uuid::nil())));
    p.finish()?;
    let filter = ClientFilter { kind: Some(ClientKind::Person), company_id, ..ClientFilter::default() };
    let found = page.clients(&state.service, &actor, filter, ClientSort { field: SortField::CreatedAt, descending: true }).await?;
    let list = ContactList {
        success: true,
        message: "Contacts retrieved successfully",
        data: found.clients.iter().map(ContactView::new).collect(),
        pagination: Pagination { page: found.number, limit: found.size, total: found.total, has_more: found.has_more },
    };
    Ok(Json(list).into_response())
}

#[utoipa::path(
    get, path = "/contacts/{id}", tag = TAG,
    summary = "Get Contact",
    description = "Requires `clients:read`. A person client of the firm, in the shape Create Contact returns.",
    params(("id" = String, Path, description = "The contact's UUID (or canonical `cli_…` id)")),
    responses(
        (status = 200, description = "Contact retrieved successfully", body = ContactEnvelope),
        (status = 404, description = "`NOT_FOUND`: no such contact in the firm (also another firm's, or a company)", body = ErrorBody),
    )
)]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsRead)?;
    let not_found = || ServiceError::NotFound("contact");
    let id = client_ref(&id).ok_or_else(not_found)?;
    let client = state.service.get_client(&actor, id).await.map_err(|e| match e {
        ServiceError::NotFound(_) => not_found(),
        other => other,
    })?;
    if client.fields.kind != ClientKind::Person {
        return Err(not_found().into());
    }
    Ok(Json(ContactEnvelope::new("Contact retrieved successfully", &client)).into_response())
}
