//! `/api/v1/contacts`: the firm's clients, by integer id.

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
use crate::domain::client::{Client, ClientKind};
use crate::service::{Actor, Service};

use super::TAG;
use super::errors::ErrorBody;
use super::paging::{search, ListParams, Meta};
use super::views::{custom_integer, global_id, AddressView};

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowMatterRef)]
pub struct MatterRef {
    #[schema(example = 789)]
    id: i64,
}

/// A contact, as List and Get show it.
#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowContact)]
pub struct ContactView {
    #[schema(example = 123)]
    id: i64,
    #[schema(example = "01ARZ3NDEKTSV4RRFFQ69G5FAV")]
    global_id: String,
    /// The `clio_id` custom field, when it holds an integer.
    #[schema(example = 456)]
    clio_id: Option<i64>,
    /// A person's first and last name, or a company's name.
    #[schema(example = "John Doe")]
    name: String,
    first_name: Option<String>,
    last_name: Option<String>,
    /// The primary email first, then the others.
    emails: Vec<String>,
    /// The primary phone (E.164) first, then the others.
    phone_numbers: Vec<String>,
    /// `Person` or `Company`.
    #[serde(rename = "type")]
    #[schema(value_type = ClioGrowContactTypeName, example = "Person")]
    kind: &'static str,
    /// The client's status, one of the firm's configured statuses.
    #[schema(example = "active")]
    status: String,
    /// The contact's matters; empty unless the key has `matters:read`.
    matters: Vec<MatterRef>,
    /// The primary address first, then the others.
    addresses: Vec<AddressView>,
    #[schema(example = "2024-01-15T10:30:00Z")]
    created_at: String,
    #[schema(example = "2024-02-20T14:45:00Z")]
    updated_at: String,
}

impl ContactView {
    fn new(c: &Client, matters: Vec<MatterRef>) -> Self {
        let f = &c.fields;
        let emails = f.email.iter().chain(f.other_emails.iter().map(|e| &e.address)).map(|e| e.as_str().to_string()).collect();
        let phones = f.phone.iter().chain(f.other_phones.iter().map(|p| &p.number)).map(|p| p.as_str().to_string()).collect();
        let addresses =
            f.address.iter().chain(f.other_addresses.iter().map(|a| &a.address)).map(AddressView::from).collect();
        Self {
            id: c.seq,
            global_id: global_id(&c.id.to_string()),
            clio_id: custom_integer(&f.custom_fields, "clio_id"),
            name: f.display_name(),
            first_name: f.first_name.clone(),
            last_name: f.last_name.clone(),
            emails,
            phone_numbers: phones,
            kind: match f.kind {
                ClientKind::Person => "Person",
                ClientKind::Company => "Company",
            },
            status: f.status.clone(),
            matters,
            addresses,
            created_at: c.created_at.to_string(),
            updated_at: c.updated_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowContactEnvelope)]
pub struct ContactEnvelope {
    data: ContactView,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowContactList)]
pub struct ContactList {
    data: Vec<ContactView>,
    meta: Meta,
}

/// The contact's matters as references, when the key may read matters.
async fn matter_refs(service: &Service, actor: &Actor, client: &Client) -> Result<Vec<MatterRef>, ApiError> {
    if client.matters_count == 0 || actor.require(Scope::MattersRead).is_err() {
        return Ok(Vec::new());
    }
    let matters = service.client_matters(actor, client.id).await?;
    Ok(matters.iter().map(|m| MatterRef { id: m.seq }).collect())
}

#[utoipa::path(
    get, path = "/api/v1/contacts", tag = TAG, operation_id = "list_contacts",
    summary = "List Contacts",
    description = "Requires `clients:read`. Oldest first; follow `meta.paging.next` for the next page. \
        `matters` lists each contact's matters when the key also has `matters:read`.",
    params(
        ("query" = Option<String>, Query, description = "Search across contact names, emails, and phone numbers"),
        ("page_token" = Option<String>, Query, description = "Opaque token for cursor-based pagination"),
        ("created_since" = Option<String>, Query, description = "Created on or after this time (ISO-8601)"),
        ("updated_since" = Option<String>, Query, description = "Updated on or after this time (ISO-8601)"),
        ("ids[]" = Option<Vec<i64>>, Query, description = "Filter by contact ids (max 50)"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25); not in Clio's reference"),
        ("custom_action_nonce" = Option<String>, Query, description = "A custom action's single-use nonce; 403 if invalid"),
    ),
    responses(
        (status = 200, description = "A page of contacts", body = ContactList),
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
    let query = search(&mut p);
    let params = ListParams::read(&mut p);
    p.finish()?;
    let page = state.service.list_clients(&actor, params.clients(query)).await?;
    let mut data = Vec::with_capacity(page.items.len());
    for client in &page.items {
        data.push(ContactView::new(client, matter_refs(&state.service, &actor, client).await?));
    }
    let meta = Meta::new(uri.path(), &pairs, page.next_cursor.as_deref());
    Ok(Json(ContactList { data, meta }).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/contacts/{id}", tag = TAG, operation_id = "get_contact",
    summary = "Get a Contact",
    description = "Requires `clients:read`.",
    params(
        ("id" = i64, Path, description = "The contact's integer id"),
        ("custom_action_nonce" = Option<String>, Query, description = "A custom action's single-use nonce; 403 if invalid"),
    ),
    responses(
        (status = 200, description = "The contact", body = ContactEnvelope),
        (status = 400, description = "`ValidationError`: an unknown query parameter", body = ErrorBody),
        (status = 404, description = "`RecordNotFound`, also for another firm's contact", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    PathId(id): PathId,
    QueryPairs(_): QueryPairs,
) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsRead)?;
    let id = state.service.client_id_by_seq(&actor, seq_id(&id, "client")?).await?;
    let client = state.service.get_client(&actor, id).await?;
    let matters = matter_refs(&state.service, &actor, &client).await?;
    Ok(Json(ContactEnvelope { data: ContactView::new(&client, matters) }).into_response())
}

crate::names!(ClioGrowContactTypeName, "`Person` or `Company`.", ["Person", "Company"].map(String::from));
