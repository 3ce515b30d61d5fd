//! `/api/v1/custom_actions`: links Clio Grow's UI shows; a click sends the
//! user's browser to `target_url` with a single-use `custom_action_nonce`,
//! which [`crate::api::extract::Auth`] checks on any request that carries it.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::AppState;
use crate::api::extract::{Auth, JsonObject, QueryPairs};
use crate::api::json::Json;
use crate::api::problem::ApiError;
use crate::dialects::common::refuse_unknown_in;
use crate::domain::contract::{Contract, Field};
use crate::domain::custom_action;
use crate::service::custom_actions::CustomAction;

use super::TAG;
use super::errors::ErrorBody;
use super::paging::{ListParams, Meta};
use super::views::global_id;
use super::writes::{data, data_object};

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowCustomAction)]
pub struct CustomActionView {
    #[schema(example = 123)]
    id: i64,
    #[schema(example = "01ARZ3NDEKTSV4RRFFQ69G5FAV")]
    global_id: String,
    #[schema(example = "Send Email")]
    label: String,
    /// `contacts/show`, `matters/show` or `leads/show`.
    #[schema(example = "matters/show")]
    ui_reference: String,
    /// Where a click sends the user's browser.
    #[schema(example = "https://integration.example.com/clio/click")]
    target_url: Option<String>,
    #[schema(example = "2024-01-15T10:30:00Z")]
    created_at: String,
    #[schema(example = "2024-02-20T14:45:00Z")]
    updated_at: String,
}

impl From<&CustomAction> for CustomActionView {
    fn from(a: &CustomAction) -> Self {
        Self {
            id: a.seq,
            global_id: global_id(&a.id().to_string()),
            label: a.fields.label.clone(),
            ui_reference: a.fields.ui_reference.clone(),
            target_url: a.fields.target_url.clone(),
            created_at: a.created_at.to_string(),
            updated_at: a.updated_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowCustomActionEnvelope)]
pub struct CustomActionEnvelope {
    data: CustomActionView,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowCustomActionList)]
pub struct CustomActionList {
    data: Vec<CustomActionView>,
    meta: Meta,
}

const ACTION_FIELDS: Contract = Contract {
    name: "ClioGrowCustomActionFieldsWrite",
    doc: "A custom action's fields.",
    fields: &[
        Field { example: Some("Send Email"), ..custom_action::LABEL },
        Field { example: Some("matters/show"), ..custom_action::UI_REFERENCE },
        Field { example: Some("https://integration.example.com/clio/click"), ..custom_action::TARGET_URL },
    ],
    required: &["label", "ui_reference"],
};

const ACTION: Contract = Contract {
    name: "ClioGrowCustomActionWrite",
    doc: "The body of Create Custom Action.",
    fields: &[data(&ACTION_FIELDS)],
    required: &["data"],
};

crate::contract_body!(CustomActionWrite, ACTION);

#[utoipa::path(
    get, path = "/api/v1/custom_actions", tag = TAG, operation_id = "list_custom_actions",
    summary = "List Custom Actions",
    description = "Any valid key. Oldest first; follow `meta.paging.next` for the next page.",
    params(
        ("page_token" = Option<String>, Query, description = "Opaque token for cursor-based pagination"),
        ("created_since" = Option<String>, Query, description = "Created on or after this time (ISO-8601)"),
        ("updated_since" = Option<String>, Query, description = "Updated on or after this time (ISO-8601)"),
        ("ids[]" = Option<Vec<i64>>, Query, description = "Filter by custom action ids (max 50)"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25); not in Clio's reference"),
        ("custom_action_nonce" = Option<String>, Query, description = "A custom action's single-use nonce; 403 if invalid"),
    ),
    responses(
        (status = 200, description = "A page of custom actions", body = CustomActionList),
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
    let params = ListParams::read(&mut p);
    p.finish()?;
    let page = state.service.list_custom_actions(&actor, params.records()).await?;
    let data = page.items.iter().map(CustomActionView::from).collect();
    Ok(Json(CustomActionList { data, meta: Meta::new(uri.path(), &pairs, page.next_cursor.as_deref()) }).into_response())
}

#[utoipa::path(
    post, path = "/api/v1/custom_actions", tag = TAG, operation_id = "create_custom_action",
    summary = "Create a Custom Action",
    description = "Requires `admin`. `label` and `ui_reference` are required; without `target_url` the action \
        has nowhere to send a click until one is set through the canonical API.",
    params(("custom_action_nonce" = Option<String>, Query, description = "A custom action's single-use nonce; 403 if invalid")),
    request_body(content = CustomActionWrite, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = CustomActionEnvelope),
        (status = 400, description = "`ValidationError`: missing, unknown or invalid fields, or malformed JSON", body = ErrorBody),
        (status = 409, description = "`ConflictError`: a request with this `Idempotency-Key` is still running", body = ErrorBody),
        (status = 413, description = "`PayloadTooLargeError`", body = ErrorBody),
        (status = 415, description = "`UnsupportedMediaTypeError`", body = ErrorBody),
        (status = 422, description = "`UnprocessableEntityError`: the `Idempotency-Key` was used with another request", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Auth(actor): Auth,
    QueryPairs(_): QueryPairs,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let data = data_object(body)?;
    refuse_unknown_in(&data, &ACTION_FIELDS)?;
    let action = state.service.create_custom_action(&actor, &data).await?;
    Ok((StatusCode::CREATED, Json(CustomActionEnvelope { data: CustomActionView::from(&action) })).into_response())
}
