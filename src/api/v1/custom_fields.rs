//! `/v1/custom-fields`: custom field definitions.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::record_views::{CustomFieldEnvelope, CustomFieldList, CustomFieldPatch, CustomFieldView, CustomFieldWrite};
use super::records::{created, list_request, one, one_of, page, path_id};
use super::select::Fields;
use crate::api::extract::{precondition, Auth, JsonObject, ParamReader, PathId, QueryPairs};
use crate::api::problem::{ApiError, Problem};
use crate::api::AppState;
use crate::domain::ids::CustomFieldId;

fn definition_id(raw: &str) -> Result<CustomFieldId, ApiError> {
    path_id(raw, "custom field")
}

#[utoipa::path(
    post, path = "/v1/custom-fields", tag = "custom fields",
    summary = "Define a custom field",
    description = "Requires `admin`. Client and matter writes are then checked against it.",
    request_body(content = CustomFieldWrite, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = CustomFieldEnvelope, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "`duplicate_key`: the entity already has this key", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(State(state): State<AppState>, Auth(actor): Auth, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    let def = state.service.create_custom_field(&actor, &body).await?;
    Ok(created(CustomFieldView::from(&def), def.version, format!("/v1/custom-fields/{}", def.id())))
}

#[utoipa::path(
    get, path = "/v1/custom-fields/{id}", tag = "custom fields",
    summary = "Get a custom field definition",
    description = "Any valid key.",
    params(("id" = String, Path, description = "Definition id (`cfd_…`)")),
    responses(
        (status = 200, description = "The definition", body = CustomFieldEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such definition in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    let def = state.service.get_custom_field(&actor, definition_id(&id)?).await?;
    Ok(one(StatusCode::OK, CustomFieldView::from(&def), def.version))
}

#[utoipa::path(
    patch, path = "/v1/custom-fields/{id}", tag = "custom fields",
    summary = "Update a custom field definition",
    description = "Requires `admin`. `label`, `options` and `required` may change; `entity`, `key` and `type` may not.",
    params(("id" = String, Path, description = "Definition id (`cfd_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the definition must still have")),
    request_body(content = CustomFieldPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The updated definition", body = CustomFieldEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such definition in this firm", body = Problem, content_type = "application/problem+json"),
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
    let id = definition_id(&id)?;
    let pre = precondition(&headers, Some(&mut body))?;
    let def = state.service.update_custom_field(&actor, id, &body, pre).await?;
    Ok(one(StatusCode::OK, CustomFieldView::from(&def), def.version))
}

#[utoipa::path(
    delete, path = "/v1/custom-fields/{id}", tag = "custom fields",
    summary = "Delete a custom field definition",
    description = "Requires `admin`. Stored values stay in `custom_fields`, unchecked from then on.",
    params(("id" = String, Path, description = "Definition id (`cfd_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the definition must still have")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such definition in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not match (`precondition_failed`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    let id = definition_id(&id)?;
    let pre = precondition(&headers, None)?;
    state.service.delete_custom_field(&actor, id, pre).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/v1/custom-fields", tag = "custom fields",
    summary = "List custom field definitions",
    description = "Any valid key.",
    params(
        ("entity" = inline(Option<crate::api::openapi::CustomFieldEntityName>), Query, description = "`client` or `matter`"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses((status = 200, description = "One page of definitions", body = CustomFieldList))
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let mut p = ParamReader::new(&pairs);
    let mut request = list_request::<CustomFieldId>(&mut p);
    request.filter.equals.extend(one_of(&mut p, "entity", &["client", "matter"]));
    p.finish()?;
    let defs = state.service.list_custom_fields(&actor, request).await?;
    Ok(page::<_, CustomFieldView>("/v1/custom-fields", &pairs, &defs, &Fields::default()))
}
