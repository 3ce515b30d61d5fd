//! `/api/v1/matters`: the firm's matters, with their client and primary
//! contact embedded.

use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

use crate::api::AppState;
use crate::api::extract::{Auth, PathId, QueryPairs};
use crate::api::json::Json;
use crate::api::problem::ApiError;
use crate::dialects::common::seq_id;
use crate::domain::api_key::Scope;
use crate::domain::client::Client;
use crate::domain::client::query::ClientFilter;
use crate::domain::ids::{ClientId, LeadId};
use crate::domain::lead::LeadFields;
use crate::domain::matter::{MatterFields, MatterStatus};
use crate::domain::record::RecordFilter;
use crate::service::clients::ListRequest;
use crate::service::matters::Matter;
use crate::service::paging::MAX_PAGE;
use crate::service::records::{RecordListRequest, RecordPage};
use crate::service::{Actor, Service, ServiceError};

use super::TAG;
use super::errors::ErrorBody;
use super::paging::{ListParams, Meta};
use super::views::{custom_integer, custom_string, global_id, AddressView};

/// With `submitted_only`, at most this many pages are read to fill one; past
/// that the page comes back short (even empty) with a `next` link.
const MAX_SCANNED_PAGES: usize = 20;

/// A matter's client or primary contact.
#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowMatterContact)]
pub struct ContactSummary {
    #[schema(example = 123)]
    id: i64,
    #[schema(example = "Jane Doe")]
    full_name: String,
    #[schema(example = "+15551234567")]
    phone_number: Option<String>,
    #[schema(example = "jane@example.com")]
    primary_email: Option<String>,
    address: Option<AddressView>,
}

impl From<&Client> for ContactSummary {
    fn from(c: &Client) -> Self {
        let f = &c.fields;
        Self {
            id: c.seq,
            full_name: f.display_name(),
            phone_number: f.phone.as_ref().map(|p| p.as_str().to_string()),
            primary_email: f.email.as_ref().map(|e| e.as_str().to_string()),
            address: f.address.as_ref().map(AddressView::from),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowMatter)]
pub struct MatterView {
    #[schema(example = 789)]
    id: i64,
    /// The canonical matter title (not in Clio's reference).
    #[schema(example = "Doe v. Roe")]
    title: String,
    #[schema(example = "Personal injury case")]
    description: Option<String>,
    #[schema(example = "2024-01-15T10:30:00Z")]
    created_at: String,
    #[schema(example = "2024-02-20T14:45:00Z")]
    updated_at: String,
    /// The `clio_id` custom field, when it holds an integer.
    #[schema(example = 456)]
    clio_id: Option<i64>,
    #[schema(example = "01ARZ3NDEKTSV4RRFFQ69G5FAV")]
    global_id: String,
    /// In minor units (cents) of the matter's currency.
    #[schema(example = 500000)]
    projected_value: Option<i64>,
    /// The `first_letter_sent_date` custom field.
    #[schema(example = "2024-03-01T09:00:00Z")]
    first_letter_sent_date: Option<String>,
    /// The `first_appointment_created_at` custom field.
    #[schema(example = "2024-02-15T14:00:00Z")]
    first_appointment_created_at: Option<String>,
    /// The inbox lead this matter was converted from.
    #[schema(example = 321)]
    inbox_lead_id: Option<i64>,
    #[schema(example = "2024-04-01")]
    hired_date: Option<String>,
    #[schema(example = "Main Office")]
    location: Option<String>,
    /// The practice area.
    #[serde(rename = "type")]
    #[schema(example = "Personal Injury")]
    practice_area: Option<String>,
    /// `Open`, `Pending` or `Closed`.
    #[schema(value_type = ClioGrowMatterStatusName, example = "Open")]
    status: &'static str,
    /// `intake` (open), `pending` or `closed`.
    #[schema(value_type = ClioGrowStatusCategoryName, example = "intake")]
    status_category: &'static str,
    /// Null unless the key also has `clients:read`.
    client: Option<ContactSummary>,
    /// The matter's primary contact, else its client; null unless the key also has `clients:read`.
    primary_contact: Option<ContactSummary>,
}

/// What a matter's view needs besides the matter: its lead's and clients' integer ids.
struct Related {
    leads: HashMap<LeadId, i64>,
    clients: HashMap<ClientId, Client>,
}

impl MatterView {
    fn new(m: &Matter, related: &Related) -> Self {
        let f = &m.fields;
        let (status, status_category) = match f.status {
            MatterStatus::Open => ("Open", "intake"),
            MatterStatus::Pending => ("Pending", "pending"),
            MatterStatus::Closed => ("Closed", "closed"),
        };
        let contact = |id: Option<ClientId>| id.and_then(|id| related.clients.get(&id)).map(ContactSummary::from);
        Self {
            id: m.seq,
            title: f.title.clone(),
            description: f.description.clone(),
            created_at: m.created_at.to_string(),
            updated_at: m.updated_at.to_string(),
            clio_id: custom_integer(&f.custom_fields, "clio_id"),
            global_id: global_id(&m.id().to_string()),
            projected_value: f.projected_value.as_ref().map(|v| v.amount),
            first_letter_sent_date: custom_string(&f.custom_fields, "first_letter_sent_date"),
            first_appointment_created_at: custom_string(&f.custom_fields, "first_appointment_created_at"),
            inbox_lead_id: f.lead_id.and_then(|id| related.leads.get(&id).copied()),
            hired_date: f.hired_date.map(|d| d.to_string()),
            location: f.location.clone(),
            practice_area: f.practice_area.clone(),
            status,
            status_category,
            client: contact(f.client_id),
            primary_contact: contact(f.primary_contact_id.or(f.client_id)),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowMatterEnvelope)]
pub struct MatterEnvelope {
    data: MatterView,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowMatterList)]
pub struct MatterList {
    data: Vec<MatterView>,
    meta: Meta,
}

/// The leads' integer ids (with `leads:read`) and the clients (with
/// `clients:read`) of `matters`.
async fn related(service: &Service, actor: &Actor, matters: &[Matter]) -> Result<Related, ApiError> {
    let mut lead_ids: Vec<_> = matters.iter().filter_map(|m| m.fields.lead_id).map(|id| id.as_uuid()).collect();
    lead_ids.sort_unstable();
    lead_ids.dedup();
    let leads = if lead_ids.is_empty() || actor.require(Scope::LeadsRead).is_err() {
        HashMap::new()
    } else {
        let max = lead_ids.len();
        let found = service.all::<LeadFields>(actor, RecordFilter { ids: lead_ids, ..RecordFilter::default() }, max).await?;
        found.iter().map(|l| (l.id(), l.seq)).collect()
    };
    let mut clients = HashMap::new();
    if actor.require(Scope::ClientsRead).is_ok() {
        let mut ids: Vec<ClientId> =
            matters.iter().flat_map(|m| [m.fields.client_id, m.fields.primary_contact_id]).flatten().collect();
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(MAX_PAGE) {
            let request = ListRequest {
                filter: ClientFilter { ids: chunk.to_vec(), ..ClientFilter::default() },
                limit: Some(chunk.len()),
                ..ListRequest::default()
            };
            for client in service.list_clients(actor, request).await?.items {
                clients.insert(client.id, client);
            }
        }
    }
    Ok(Related { leads, clients })
}

/// One page of matters; with `submitted_only`, only those from an inbox lead.
async fn matters_page(service: &Service, actor: &Actor, mut request: RecordListRequest, submitted_only: bool) -> Result<RecordPage<MatterFields>, ApiError> {
    let mut page = service.list_matters(actor, request.clone()).await?;
    if !submitted_only {
        return Ok(page);
    }
    for _ in 1..MAX_SCANNED_PAGES {
        page.items.retain(|m| m.fields.lead_id.is_some());
        if !page.items.is_empty() || page.next_cursor.is_none() {
            return Ok(page);
        }
        request.cursor = page.next_cursor.take();
        page = service.list_matters(actor, request.clone()).await?;
    }
    page.items.retain(|m| m.fields.lead_id.is_some());
    Ok(page)
}

#[utoipa::path(
    get, path = "/api/v1/matters", tag = TAG, operation_id = "list_matters",
    summary = "List Matters",
    description = "Requires `matters:read`; `client` and `primary_contact` are filled when the key also has \
        `clients:read`. Oldest first; follow `meta.paging.next` for the next page. With `submitted_only=true` \
        (only matters converted from an inbox lead) a page may hold fewer matters than `limit`, even none, \
        while `next` is present.",
    params(
        ("page_token" = Option<String>, Query, description = "Opaque token for cursor-based pagination"),
        ("created_since" = Option<String>, Query, description = "Created on or after this time (ISO-8601)"),
        ("updated_since" = Option<String>, Query, description = "Updated on or after this time (ISO-8601)"),
        ("ids[]" = Option<Vec<i64>>, Query, description = "Filter by matter ids (max 50)"),
        ("inbox_lead_id" = Option<i64>, Query, description = "Only the matter converted from this inbox lead"),
        ("submitted_only" = Option<bool>, Query, description = "Only matters converted from an inbox lead"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25); not in Clio's reference"),
        ("custom_action_nonce" = Option<String>, Query, description = "A custom action's single-use nonce; 403 if invalid"),
    ),
    responses(
        (status = 200, description = "A page of matters", body = MatterList),
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
    let lead_seq = p.parsed("inbox_lead_id", |s| s.parse::<i64>().ok().filter(|n| *n > 0).ok_or("must be a positive integer id".into()));
    let submitted_only = p.parsed("submitted_only", crate::api::v1::clients::parse_bool);
    let params = ListParams::read(&mut p);
    p.finish()?;
    actor.require(Scope::MattersRead)?;
    let mut request = params.records();
    if let Some(seq) = lead_seq {
        actor.require(Scope::LeadsRead)?;
        // A lead that isn't there has no matters: an empty list, not a 404.
        let lead = match state.service.record_id_by_seq::<LeadFields>(&actor, seq).await {
            Ok(id) => id.to_string(),
            Err(ServiceError::NotFound(_)) => String::new(),
            Err(e) => return Err(e.into()),
        };
        request.filter.equals.push(("lead_id", vec![lead]));
    }
    let page = matters_page(&state.service, &actor, request, submitted_only.unwrap_or(false)).await?;
    let related = related(&state.service, &actor, &page.items).await?;
    let data = page.items.iter().map(|m| MatterView::new(m, &related)).collect();
    Ok(Json(MatterList { data, meta: Meta::new(uri.path(), &pairs, page.next_cursor.as_deref()) }).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/matters/{id}", tag = TAG, operation_id = "get_matter",
    summary = "Get a Matter",
    description = "Requires `matters:read`; `client` and `primary_contact` are filled when the key also has `clients:read`.",
    params(
        ("id" = i64, Path, description = "The matter's integer id"),
        ("custom_action_nonce" = Option<String>, Query, description = "A custom action's single-use nonce; 403 if invalid"),
    ),
    responses(
        (status = 200, description = "The matter", body = MatterEnvelope),
        (status = 400, description = "`ValidationError`: an unknown query parameter", body = ErrorBody),
        (status = 404, description = "`RecordNotFound`, also for another firm's matter", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    PathId(id): PathId,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    crate::dialects::common::params(&pairs).finish()?;
    actor.require(Scope::MattersRead)?;
    let id = state.service.record_id_by_seq::<MatterFields>(&actor, seq_id(&id, "matter")?).await?;
    let matter = state.service.get_matter(&actor, id).await?;
    let related = related(&state.service, &actor, std::slice::from_ref(&matter)).await?;
    Ok(Json(MatterEnvelope { data: MatterView::new(&matter, &related) }).into_response())
}

crate::names!(ClioGrowMatterStatusName, "`Open`, `Pending` or `Closed`.", ["Open", "Pending", "Closed"].map(String::from));
crate::names!(ClioGrowStatusCategoryName, "`intake` (open), `pending` or `closed`.", ["intake", "pending", "closed"].map(String::from));
