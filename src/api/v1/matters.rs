//! `/v1/matters`: parse, call the service, render.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::record_views::{MatterEnvelope, MatterPatch, MatterView, MatterWrite};
use super::records::{created, id_filter, list_request, one, one_of, page, path_id};
use super::select::{Fields, MATTER_FIELDS};
use super::views::{MatterReadEnvelope, MatterReadList};
use crate::api::extract::{precondition, Auth, JsonObject, ParamReader, PathId, QueryPairs};
use crate::api::problem::{ApiError, Problem};
use crate::api::written::{written, CANONICAL_OWNED};
use crate::domain::api_key::Scope;
use crate::api::AppState;
use crate::domain::ids::{ClientId, LeadId, MatterId};

fn matter_id(raw: &str) -> Result<MatterId, ApiError> {
    path_id(raw, "matter")
}

#[utoipa::path(
    post, path = "/v1/matters", tag = "matters",
    summary = "Create a matter",
    description = "Requires `matters:write`. `client_id` must name a live client of the firm.",
    request_body(content = MatterWrite, content_type = "application/json"),
    responses((status = 201, description = "Created", body = MatterEnvelope,
        headers(("Location" = String), ("ETag" = String))))
)]
pub async fn create(State(state): State<AppState>, Auth(actor): Auth, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    let matter = state.service.create_matter(&actor, &body).await?;
    Ok(created(written(&actor, Scope::MattersRead, MatterView::from(&matter), CANONICAL_OWNED), matter.version, format!("/v1/matters/{}", matter.id())))
}

#[utoipa::path(
    get, path = "/v1/matters/{id}", tag = "matters",
    summary = "Get a matter",
    description = "Requires `matters:read`.",
    params(("id" = String, Path, description = "Matter id (`mat_…`)"),
        ("fields" = Option<String>, Query, description = "Comma-separated fields to return (plus `id`)")),
    responses(
        (status = 200, description = "The matter", body = MatterReadEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such matter in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let mut p = ParamReader::new(&pairs);
    let fields = Fields::parse(&mut p, MATTER_FIELDS);
    p.finish()?;
    let matter = state.service.get_matter(&actor, matter_id(&id)?).await?;
    Ok(one(StatusCode::OK, fields.render(&MatterView::from(&matter)), matter.version))
}

#[utoipa::path(
    patch, path = "/v1/matters/{id}", tag = "matters",
    summary = "Update a matter (JSON merge patch)",
    description = "Requires `matters:write`. `If-Match` or a body `version` pins the version.",
    params(("id" = String, Path, description = "Matter id (`mat_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the matter must still have")),
    request_body(content = MatterPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The updated matter", body = MatterEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such matter in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`version_conflict`", body = Problem, content_type = "application/problem+json"),
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
    let id = matter_id(&id)?;
    let pre = precondition(&headers, Some(&mut body))?;
    let matter = state.service.update_matter(&actor, id, &body, pre).await?;
    Ok(one(StatusCode::OK, written(&actor, Scope::MattersRead, MatterView::from(&matter), CANONICAL_OWNED), matter.version))
}

#[utoipa::path(
    put, path = "/v1/matters/{id}", tag = "matters",
    summary = "Replace a matter",
    description = "Requires `matters:write`. Absent fields return to their defaults.",
    params(("id" = String, Path, description = "Matter id (`mat_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the matter must still have")),
    request_body(content = MatterWrite, content_type = "application/json"),
    responses(
        (status = 200, description = "The replaced matter", body = MatterEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such matter in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`version_conflict`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`precondition_failed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn replace(
    State(state): State<AppState>,
    Auth(actor): Auth,
    PathId(id): PathId,
    headers: HeaderMap,
    JsonObject(mut body): JsonObject,
) -> Result<Response, ApiError> {
    let id = matter_id(&id)?;
    let pre = precondition(&headers, Some(&mut body))?;
    let matter = state.service.replace_matter(&actor, id, &body, pre).await?;
    Ok(one(StatusCode::OK, written(&actor, Scope::MattersRead, MatterView::from(&matter), CANONICAL_OWNED), matter.version))
}

#[utoipa::path(
    delete, path = "/v1/matters/{id}", tag = "matters",
    summary = "Delete a matter (soft)",
    description = "Requires `matters:write`. Restorable until the firm's retention period ends.",
    params(("id" = String, Path, description = "Matter id (`mat_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the matter must still have")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such matter in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`precondition_failed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    let id = matter_id(&id)?;
    let pre = precondition(&headers, None)?;
    state.service.delete_matter(&actor, id, pre).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/v1/matters/{id}/restore", tag = "matters",
    summary = "Restore a deleted matter",
    description = "Requires `matters:write`. Its client must be live.",
    params(("id" = String, Path, description = "Matter id (`mat_…`)")),
    responses(
        (status = 200, description = "The restored matter", body = MatterEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such matter (or it has been purged)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn restore(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    let matter = state.service.restore_matter(&actor, matter_id(&id)?).await?;
    Ok(one(StatusCode::OK, written(&actor, Scope::MattersRead, MatterView::from(&matter), CANONICAL_OWNED), matter.version))
}

/// The filters of a matter list (and an export) beyond the shared ones:
/// `client_id`, `status`, `practice_area`, `lead_id`, `external_id`.
pub(crate) fn matter_filter(p: &mut ParamReader<'_>, filter: &mut crate::domain::record::RecordFilter) {
    // A matter's client is its parent: that filter uses the parent index.
    filter.parent_id = p.parsed("client_id", |s| s.parse::<ClientId>().map(|c| c.as_uuid()).map_err(|e| e.to_string()));
    let filters = [
        one_of(p, "status", &["open", "pending", "closed"]),
        p.get("practice_area").map(|s| ("practice_area", vec![s.to_string()])),
        id_filter::<LeadId>(p, "lead_id"),
        Some(p.list("external_id")).filter(|ids| !ids.is_empty()).map(|ids| ("external_id", ids.into_iter().map(str::to_string).collect())),
    ];
    filter.equals.extend(filters.into_iter().flatten());
}

#[utoipa::path(
    get, path = "/v1/matters", tag = "matters",
    summary = "List and search matters",
    description = "Requires `matters:read`. Keyset-paginated like clients.",
    params(
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("sort" = inline(Option<crate::api::openapi::RecordSortName>), Query, description = "`created_at` or `updated_at`; `-` prefix for descending (default `-created_at`)"),
        ("q" = Option<String>, Query, description = "Case-insensitive substring of title or description"),
        ("client_id" = Option<String>, Query, description = "Matters of this client"),
        ("status" = inline(Option<Vec<crate::api::openapi::MatterStatusName>>), Query, description = "Repeated or comma-separated: open, pending, closed (at most 100 values)"),
        ("practice_area" = Option<String>, Query, description = "Exact practice area"),
        ("lead_id" = Option<String>, Query, description = "Matters converted from this lead"),
        ("external_id" = Option<String>, Query, description = "Comma-separated external ids, at most 100"),
        ("created_since" = Option<String>, Query, description = "RFC 3339 or YYYY-MM-DD; inclusive"),
        ("created_before" = Option<String>, Query, description = "RFC 3339 or YYYY-MM-DD; exclusive"),
        ("updated_since" = Option<String>, Query, description = "RFC 3339 or YYYY-MM-DD; inclusive"),
        ("updated_before" = Option<String>, Query, description = "RFC 3339 or YYYY-MM-DD; exclusive"),
        ("ids" = Option<String>, Query, description = "Comma-separated matter ids, at most 100"),
        ("include_total" = inline(Option<crate::api::openapi::IncludeTotalName>), Query, description = "Also count all matching matters: `true` exactly up to the server's limit (10,000 by default) and past it answers that limit with `pagination.total_exact: false` (more match); `exact` counts every match, however long it takes"),
        ("fields" = Option<String>, Query, description = "Comma-separated fields to return (plus `id`)"),
    ),
    responses((status = 200, description = "One page of matters", body = MatterReadList))
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let mut p = ParamReader::new(&pairs);
    let mut request = list_request::<MatterId>(&mut p);
    let fields = Fields::parse(&mut p, MATTER_FIELDS);
    matter_filter(&mut p, &mut request.filter);
    p.finish()?;
    let matters = state.service.list_matters(&actor, request).await?;
    Ok(page::<_, MatterView>("/v1/matters", &pairs, &matters, &fields))
}
