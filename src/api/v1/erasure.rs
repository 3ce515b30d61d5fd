//! `POST /v1/clients/{id}/erase`: erasure at a data subject's request.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::clients::client_id;
use crate::api::extract::{Auth, JsonObject, PathId};
use crate::api::json::Json;
use crate::api::problem::{ApiError, Problem};
use crate::api::AppState;
use crate::domain::erasure::parse_request;
use crate::service::erasure::Erased;
use crate::service::ServiceError;

crate::contract_body!(ClientErase, crate::domain::erasure::ERASE);

/// What an erasure removed: ids and counts, nothing about the person.
#[derive(Serialize, ToSchema)]
pub struct ErasedView {
    #[schema(example = "cli_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    pub id: String,
    /// `detach` or `erase`: what became of the client's matters.
    pub matters: &'static str,
    /// Notes removed: on the client, and on its matters when they were erased.
    pub notes_erased: usize,
    pub leads_erased: usize,
    /// Matters removed (`erase`) or kept without a client (`detach`).
    pub matters_affected: usize,
}

#[derive(Serialize, ToSchema)]
pub struct ErasedEnvelope {
    pub data: ErasedView,
}

impl From<&Erased> for ErasedView {
    fn from(e: &Erased) -> Self {
        Self {
            id: e.client.to_string(),
            matters: e.matters.as_str(),
            notes_erased: e.notes,
            leads_erased: e.leads,
            matters_affected: e.matter_count,
        }
    }
}

#[utoipa::path(
    post, path = "/v1/clients/{id}/erase", tag = "clients",
    summary = "Erase a client for good (GDPR art. 17)",
    description = "Requires `admin`. Irreversible: removes the client (live or deleted), its notes and the leads converted \
        into it, forgets kept idempotent responses and cached copies carrying its data, redacts the events about them \
        (type, time and actor stay) and drops their webhook deliveries. `matters`: `detach` (the default) keeps the \
        client's matters and their notes, without a client; `erase` removes them too. Writes a `client.erased` event \
        without personal data. docs/privacy.md says what remains, and for how long.",
    params(("id" = String, Path, description = "Client id (`cli_…`)")),
    request_body(content = ClientErase, content_type = "application/json"),
    responses(
        (status = 200, description = "Erased", body = ErasedEnvelope),
        (status = 400, description = "`confirm` is not this client's id, or the body is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key is not `admin`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn erase(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    let id = client_id(&id)?;
    let request = parse_request(&body).map_err(ServiceError::Invalid)?;
    let erased = state.service.erase_client(&actor, id, request).await?;
    state.rendered_clients.forget(id);
    Ok((StatusCode::OK, Json(ErasedEnvelope { data: ErasedView::from(&erased) })).into_response())
}
