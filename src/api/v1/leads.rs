//! `/v1/leads`, lead conversion, intake tokens and the public intake endpoint.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use crate::api::json::Json;
use serde_json::Value;

use super::record_views::{
    ConversionEnvelope, IntakeSubmission, IntakeTokenEnvelope, IntakeTokenList, IntakeTokenView,
    IntakeTokenWrite, LeadConvert, LeadEnvelope, LeadList, LeadPatch, LeadView, LeadWrite, MatterView,
};
use super::records::{created, list_request, one, one_of, page, path_id};
use super::select::Fields;
use super::views::ClientView;
use crate::api::extract::{precondition, Auth, FormOrJson, JsonObject, ParamReader, PathId, QueryPairs};
use crate::api::context::current_request_id;
use crate::api::problem::{ApiError, Problem};
use crate::api::written::{written, CANONICAL_OWNED};
use crate::domain::api_key::Scope;
use crate::api::idempotency::Secrets;
use crate::api::AppState;
use crate::domain::ids::{IntakeTokenId, LeadId};
use crate::domain::input::Reader;
use crate::service::leads::ConvertRequest;
use crate::service::ServiceError;

fn lead_id(raw: &str) -> Result<LeadId, ApiError> {
    path_id(raw, "lead")
}

#[utoipa::path(
    post, path = "/v1/leads", tag = "leads",
    summary = "Create a lead",
    description = "Requires `leads:write`. A lead needs at least one of first_name, last_name, email, phone.",
    request_body(content = LeadWrite, content_type = "application/json"),
    responses((status = 201, description = "Created", body = LeadEnvelope, headers(("Location" = String), ("ETag" = String))))
)]
pub async fn create(State(state): State<AppState>, Auth(actor): Auth, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    let lead = state.service.create_lead(&actor, &body).await?;
    Ok(created(written(&actor, Scope::LeadsRead, LeadView::from(&lead), CANONICAL_OWNED), lead.version, format!("/v1/leads/{}", lead.id())))
}

#[utoipa::path(
    get, path = "/v1/leads/{id}", tag = "leads",
    summary = "Get a lead",
    description = "Requires `leads:read`.",
    params(("id" = String, Path, description = "Lead id (`lead_…`)")),
    responses(
        (status = 200, description = "The lead", body = LeadEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such lead in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    let lead = state.service.get_lead(&actor, lead_id(&id)?).await?;
    Ok(one(StatusCode::OK, written(&actor, Scope::LeadsRead, LeadView::from(&lead), CANONICAL_OWNED), lead.version))
}

#[utoipa::path(
    patch, path = "/v1/leads/{id}", tag = "leads",
    summary = "Update or triage a lead (JSON merge patch)",
    description = "Requires `leads:write`. `state` may be `untriaged` or `ignored`; converting is its own operation.",
    params(("id" = String, Path, description = "Lead id (`lead_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the lead must still have")),
    request_body(content = LeadPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The updated lead", body = LeadEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such lead in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`version_conflict`, or `lead_already_converted` when changing a converted lead's state", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`precondition_failed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Auth(actor): Auth,
    PathId(id): PathId,
    headers: HeaderMap,
    JsonObject(mut body): JsonObject,
) -> Result<Response, ApiError> {
    let id = lead_id(&id)?;
    let pre = precondition(&headers, Some(&mut body))?;
    let lead = state.service.update_lead(&actor, id, &body, pre).await?;
    Ok(one(StatusCode::OK, written(&actor, Scope::LeadsRead, LeadView::from(&lead), CANONICAL_OWNED), lead.version))
}

#[utoipa::path(
    get, path = "/v1/leads", tag = "leads",
    summary = "List the intake inbox",
    description = "Requires `leads:read`.",
    params(
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("sort" = inline(Option<crate::api::openapi::RecordSortName>), Query, description = "`created_at` or `updated_at`; `-` prefix for descending"),
        ("state" = inline(Option<Vec<crate::api::openapi::LeadStateName>>), Query, description = "Repeated or comma-separated: untriaged, ignored, converted (at most 100 values)"),
        ("q" = Option<String>, Query, description = "Substring of name, email, phone or message"),
        ("created_since" = Option<String>, Query, description = "RFC 3339 or YYYY-MM-DD; inclusive"),
        ("updated_since" = Option<String>, Query, description = "RFC 3339 or YYYY-MM-DD; inclusive"),
        ("ids" = Option<String>, Query, description = "Comma-separated lead ids, at most 100"),
        ("include_total" = inline(Option<crate::api::openapi::IncludeTotalName>), Query, description = "Also count all matching leads: `true` exactly up to the server's limit (10,000 by default) and past it answers that limit with `pagination.total_exact: false` (more match); `exact` counts every match, however long it takes"),
    ),
    responses((status = 200, description = "One page of leads", body = LeadList))
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let mut p = ParamReader::new(&pairs);
    let mut request = list_request::<LeadId>(&mut p);
    request.filter.equals.extend(one_of(&mut p, "state", &["untriaged", "ignored", "converted"]));
    p.finish()?;
    let leads = state.service.list_leads(&actor, request).await?;
    Ok(page::<_, LeadView>("/v1/leads", &pairs, &leads, &Fields::default()))
}

#[utoipa::path(
    post, path = "/v1/leads/{id}/convert", tag = "leads",
    summary = "Convert a lead into a client (and a matter)",
    description = "Requires `leads:write` and `clients:write` (and `matters:write` with `matter`). One transaction: \
        the client, the matter and the lead's new state commit together or not at all.",
    params(("id" = String, Path, description = "Lead id (`lead_…`)")),
    request_body(content = LeadConvert, content_type = "application/json"),
    responses(
        (status = 201, description = "Converted", body = ConversionEnvelope, headers(("Location" = String, description = "The new client"))),
        (status = 404, description = "No such lead in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lead_already_converted` or `duplicate_email`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn convert(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    let id = lead_id(&id)?;
    let request = convert_request(&body)?;
    let done = state.service.convert_lead(&actor, id, request).await?;
    let view = serde_json::json!({
        "lead": written(&actor, Scope::LeadsRead, LeadView::from(&done.lead), CANONICAL_OWNED),
        "client": written(&actor, Scope::ClientsRead, ClientView::from(&done.client), CANONICAL_OWNED),
        "matter": done.matter.as_ref().map(|m| written(&actor, Scope::MattersRead, MatterView::from(m), CANONICAL_OWNED)),
    });
    let mut response = (StatusCode::CREATED, Json(serde_json::json!({ "data": view }))).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/clients/{}", done.client.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

fn convert_request(body: &serde_json::Map<String, Value>) -> Result<ConvertRequest, ServiceError> {
    let mut r = Reader::new(body);
    let client = r.object("client").cloned().unwrap_or_default();
    let matter = r.object("matter").cloned();
    r.finish().map_err(ServiceError::Invalid)?;
    Ok(ConvertRequest { client, matter })
}

#[utoipa::path(
    post, path = "/v1/intake-tokens", tag = "leads",
    summary = "Create a public intake token",
    description = "Requires `admin`. The token is shown only in this response; embed it in a web form's action URL.",
    request_body(content = IntakeTokenWrite, content_type = "application/json"),
    responses((status = 201, description = "Created; `data.token` holds the token", body = IntakeTokenEnvelope))
)]
pub async fn create_token(State(state): State<AppState>, Auth(actor): Auth, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    let mut r = Reader::new(&body);
    let name = r.text_of(&crate::domain::custom_action::TOKEN_NAME);
    r.finish().map_err(ServiceError::Invalid)?;
    let (token, secret) = state.service.create_intake_token(&actor, name).await?;
    let mut view = IntakeTokenView::from(&token);
    view.token = Some(secret);
    let mut response = created(view, token.version, format!("/v1/intake-tokens/{}", token.id()));
    response.extensions_mut().insert(Secrets(&["/data/token"]));
    Ok(response)
}

#[utoipa::path(
    get, path = "/v1/intake-tokens", tag = "leads",
    summary = "List intake tokens",
    description = "Requires `admin`. Never shows the tokens themselves.",
    params(("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")),
    responses((status = 200, description = "One page of tokens", body = IntakeTokenList))
)]
pub async fn list_tokens(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let mut p = ParamReader::new(&pairs);
    let request = list_request::<IntakeTokenId>(&mut p);
    p.finish()?;
    let tokens = state.service.list_intake_tokens(&actor, request).await?;
    Ok(page::<_, IntakeTokenView>("/v1/intake-tokens", &pairs, &tokens, &Fields::default()))
}

#[utoipa::path(
    delete, path = "/v1/intake-tokens/{id}", tag = "leads",
    summary = "Revoke an intake token",
    description = "Requires `admin`. Forms using it get 404 from then on.",
    params(("id" = String, Path, description = "Intake token id (`itk_…`)")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such token in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke_token(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<StatusCode, ApiError> {
    state.service.revoke_intake_token(&actor, path_id(&id, "intake token")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/v1/intake/{token}", tag = "leads",
    summary = "Submit a public intake form",
    description = "No API key: the token in the path is the capability. JSON or `application/x-www-form-urlencoded`, \
        with only first_name, last_name, email, phone, message and source. Rate-limited per token.",
    params(("token" = String, Path, description = "An intake token (`intk_…`)")),
    request_body(content = IntakeSubmission, content_type = "application/json"),
    responses(
        (status = 202, description = "Received: an untriaged lead was created"),
        (status = 400, description = "Invalid or unknown fields (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown or revoked token", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many submissions with this token (`rate_limited`)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64))),
    )
)]
pub async fn intake(State(state): State<AppState>, PathId(token): PathId, FormOrJson(body): FormOrJson) -> Result<Response, ApiError> {
    state.service.submit_intake(&token, &body, current_request_id()).await?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({"data": {"received": true}}))).into_response())
}
