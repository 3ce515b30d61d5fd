//! `/api/v1/inbox_leads`: the intake inbox.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::api::AppState;
use crate::api::extract::{Auth, JsonObject, PathId, QueryPairs};
use crate::api::json::Json;
use crate::api::problem::ApiError;
use crate::api::written::written;
use crate::dialects::common::{refuse_unknown_in, seq_id};
use crate::domain::api_key::Scope;
use crate::domain::contract::{Contract, Field, FieldMap};
use crate::domain::field::FieldError;
use crate::domain::lead::{LeadFields, LeadState};
use crate::domain::lead;
use crate::service::ServiceError;
use crate::service::leads::Lead;

use super::TAG;
use super::errors::ErrorBody;
use super::paging::{search, ListParams, Meta};
use super::views::global_id;
use super::writes::{data, data_object};

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowInboxLead)]
pub struct LeadView {
    #[schema(example = 123)]
    id: i64,
    #[schema(example = "01ARZ3NDEKTSV4RRFFQ69G5FAV")]
    global_id: String,
    #[schema(example = "Jane")]
    first_name: Option<String>,
    #[schema(example = "Smith")]
    last_name: Option<String>,
    #[schema(example = "jane@example.com")]
    email: Option<String>,
    /// E.164.
    #[schema(example = "+15551234567")]
    phone_number: Option<String>,
    /// `untriaged`, `ignored`, or `converted` once it became a contact.
    #[schema(value_type = crate::api::openapi::LeadStateName, example = "untriaged")]
    state: &'static str,
    #[schema(example = "2024-01-15T10:30:00Z")]
    created_at: String,
    #[schema(example = "2024-02-20T14:45:00Z")]
    updated_at: String,
    #[schema(example = "I'm interested in your services")]
    from_message: Option<String>,
    #[schema(example = "website_chat")]
    from_source: Option<String>,
}

impl From<&Lead> for LeadView {
    fn from(l: &Lead) -> Self {
        let f = &l.fields;
        Self {
            id: l.seq,
            global_id: global_id(&l.id().to_string()),
            first_name: f.first_name.clone(),
            last_name: f.last_name.clone(),
            email: f.email.as_ref().map(|e| e.as_str().to_string()),
            phone_number: f.phone.as_ref().map(|p| p.as_str().to_string()),
            state: f.state.as_str(),
            created_at: l.created_at.to_string(),
            updated_at: l.updated_at.to_string(),
            from_message: f.message.clone(),
            from_source: f.source.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowInboxLeadEnvelope)]
pub struct LeadEnvelope {
    data: LeadView,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowInboxLeadList)]
pub struct LeadList {
    data: Vec<LeadView>,
    meta: Meta,
}

const LEAD_FIELDS: Contract = Contract {
    name: "ClioGrowInboxLeadFieldsWrite",
    doc: "An inbox lead's fields.",
    fields: &[
        Field { example: Some("Jane"), ..lead::FIRST_NAME },
        Field { example: Some("Smith"), ..lead::LAST_NAME },
        Field { name: "from_message", example: Some("I'm interested in your services"), ..lead::MESSAGE },
        Field { name: "from_source", example: Some("website_chat"), ..lead::SOURCE },
        Field { example: Some("jane@example.com"), ..lead::EMAIL },
        Field {
            name: "phone_number",
            doc: "E.164, or a national number in the firm's default region.",
            example: Some("+15551234567"),
            ..lead::PHONE
        },
    ],
    required: &[],
};

const LEAD: Contract = Contract { name: "ClioGrowInboxLeadWrite", doc: "The body of Create Inbox Lead.", fields: &[data(&LEAD_FIELDS)], required: &["data"] };

/// Clio Grow's names of a lead's canonical fields, both ways.
const NAMES: FieldMap = FieldMap(&[("phone_number", "phone"), ("from_message", "message"), ("from_source", "source")]);

crate::contract_body!(LeadWrite, LEAD);

/// Clio's lead fields and the canonical names they carry.
fn to_canonical(mut data: Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    refuse_unknown_in(&data, &LEAD_FIELDS)?;
    NAMES.to_canonical(&mut data);
    Ok(data)
}

/// Validation errors name the fields as the caller sent them.
fn vendor_fields(e: ServiceError) -> ServiceError {
    match e {
        ServiceError::Invalid(errors) => ServiceError::Invalid(
            errors
                .into_iter()
                .map(|e| FieldError::new(NAMES.vendor_name(&e.field), e.message))
                .collect(),
        ),
        other => other,
    }
}

#[utoipa::path(
    get, path = "/api/v1/inbox_leads", tag = TAG, operation_id = "list_inbox_leads",
    summary = "List Inbox Leads",
    description = "Requires `leads:read`. `state` is required. Oldest first; follow `meta.paging.next` for the next page.",
    params(
        ("state" = inline(ClioGrowInboxStateName), Query, description = "`untriaged` or `ignored`"),
        ("query" = Option<String>, Query, description = "Search names, email, phone and message"),
        ("page_token" = Option<String>, Query, description = "Opaque token for cursor-based pagination"),
        ("created_since" = Option<String>, Query, description = "Created on or after this time (ISO-8601)"),
        ("updated_since" = Option<String>, Query, description = "Updated on or after this time (ISO-8601)"),
        ("ids[]" = Option<Vec<i64>>, Query, description = "Filter by inbox lead ids (max 50)"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25); not in Clio's reference"),
        ("custom_action_nonce" = Option<String>, Query, description = "A custom action's single-use nonce; 403 if invalid"),
    ),
    responses(
        (status = 200, description = "A page of inbox leads", body = LeadList),
        (status = 400, description = "`ValidationError`: `state` missing or invalid, or another bad parameter", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    OriginalUri(uri): OriginalUri,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    let mut p = crate::dialects::common::params(&pairs);
    let lead_state = p.parsed("state", |s| match LeadState::parse(s) {
        Some(s @ (LeadState::Untriaged | LeadState::Ignored)) => Ok(s),
        _ => Err("must be `untriaged` or `ignored`".into()),
    });
    if !p.is_present("state") {
        p.error("state", "is required");
    }
    let query = search(&mut p);
    let params = ListParams::read(&mut p);
    p.finish()?;
    let mut request = params.records();
    request.filter.search = query;
    request.filter.equals.push(("state", lead_state.iter().map(|s| s.as_str().to_string()).collect()));
    let page = state.service.list_leads(&actor, request).await?;
    let data = page.items.iter().map(LeadView::from).collect();
    Ok(Json(LeadList { data, meta: Meta::new(uri.path(), &pairs, page.next_cursor.as_deref()) }).into_response())
}

#[utoipa::path(
    post, path = "/api/v1/inbox_leads", tag = TAG, operation_id = "create_inbox_lead",
    summary = "Create an Inbox Lead",
    description = "Requires `leads:write`. The lead starts `untriaged`.",
    params(("custom_action_nonce" = Option<String>, Query, description = "A custom action's single-use nonce; 403 if invalid")),
    request_body(content = LeadWrite, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = LeadEnvelope),
        (status = 400, description = "`ValidationError`: unknown or invalid fields, none of the identifying fields, or malformed JSON", body = ErrorBody),
        (status = 409, description = "`ConflictError`: a request with this `Idempotency-Key` is still running", body = ErrorBody),
        (status = 413, description = "`PayloadTooLargeError`", body = ErrorBody),
        (status = 415, description = "`UnsupportedMediaTypeError`", body = ErrorBody),
        (status = 422, description = "`UnprocessableEntityError`: the `Idempotency-Key` was used with another request", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Auth(actor): Auth,
    QueryPairs(pairs): QueryPairs,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    crate::dialects::common::params(&pairs).finish()?;
    let doc = to_canonical(data_object(body)?)?;
    let lead = state.service.create_lead(&actor, &doc).await.map_err(vendor_fields)?;
    let data = written(&actor, Scope::LeadsRead, LeadView::from(&lead), super::OWNED);
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "data": data }))).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/inbox_leads/{id}", tag = TAG, operation_id = "get_inbox_lead",
    summary = "Get an Inbox Lead",
    description = "Requires `leads:read`.",
    params(
        ("id" = i64, Path, description = "The inbox lead's integer id"),
        ("custom_action_nonce" = Option<String>, Query, description = "A custom action's single-use nonce; 403 if invalid"),
    ),
    responses(
        (status = 200, description = "The inbox lead", body = LeadEnvelope),
        (status = 400, description = "`ValidationError`: an unknown query parameter", body = ErrorBody),
        (status = 404, description = "`RecordNotFound`, also for another firm's lead", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    PathId(id): PathId,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    crate::dialects::common::params(&pairs).finish()?;
    actor.require(Scope::LeadsRead)?;
    let id = state.service.record_id_by_seq::<LeadFields>(&actor, seq_id(&id, "lead")?).await?;
    let lead = state.service.get_lead(&actor, id).await?;
    Ok(Json(LeadEnvelope { data: LeadView::from(&lead) }).into_response())
}

crate::names!(ClioGrowInboxStateName, "`untriaged` or `ignored`.", ["untriaged", "ignored"].map(String::from));
