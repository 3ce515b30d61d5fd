//! `POST /v1/clients/batch` and `/v1/matters/batch`: up to 1,000 writes in
//! one request, each answered in order (`service::batch`).

use axum::extract::State;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::record_views::MatterView;
use super::views::ClientView;
use crate::api::extract::{Auth, BatchObject};
use crate::api::json::Json;
use crate::api::problem::{ApiError, Problem};
use crate::api::written::{written, CANONICAL_OWNED};
use crate::api::AppState;
use crate::domain::api_key::Scope;
use crate::domain::batch::parse_batch;
use crate::service::batch::{BatchKind, Done, OpResult, Written};
use crate::service::{Actor, ServiceError};

/// One operation of a batch.
#[derive(Serialize, ToSchema)]
pub struct BatchOperation {
    /// `create`, `update`, `upsert` (update the record `match` finds, or create it) or `delete`.
    #[schema(example = "upsert")]
    pub op: String,
    /// The record to update or delete (`cli_…`, `mat_…`); or give `match`.
    pub id: Option<String>,
    /// `{"email": …}` (clients; case-insensitive) or `{"external_id": …}`.
    #[serde(rename = "match")]
    #[schema(value_type = Option<Object>, example = json!({"external_id": "crm-000123"}))]
    pub matching: Option<Value>,
    /// The record's fields: a create body, or a merge patch for update and upsert.
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    /// The version the record must still have (`version_conflict` otherwise).
    pub if_match: Option<i64>,
}

/// A batch of writes.
#[derive(Serialize, ToSchema)]
pub struct BatchRequest {
    /// At most 1,000.
    pub operations: Vec<BatchOperation>,
    /// All or nothing, in one transaction (each record at most once). When
    /// false (the default), each operation is applied on its own.
    pub atomic: Option<bool>,
}

/// The outcome of one operation.
#[derive(Serialize, ToSchema)]
pub struct BatchResult {
    /// The HTTP status the operation alone would have had (201, 200, 204, 4xx).
    #[schema(example = 201)]
    pub status: u16,
    /// The record written (only its id, version and times for a key that may not read it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchResponse {
    /// One per operation, in order.
    pub data: Vec<BatchResult>,
}

const DESCRIPTION: &str = "Up to 1,000 operations, each `{op, id | match, data, if_match}`. The answer is 200 with one \
    result per operation, in order: `{status, data}` or `{status, problem}`. With `\"atomic\": true` all are applied in one \
    transaction or none (the failing operation gets its problem, the others 424 `batch_aborted`); otherwise each is applied \
    on its own. Every change writes its event (and its webhooks). Honours `Idempotency-Key`. Bodies over 8 MiB are 413.";

#[utoipa::path(
    post, path = "/v1/clients/batch", tag = "clients", operation_id = "clients_batch",
    summary = "Create, update, upsert or delete many clients",
    description = DESCRIPTION,
    request_body(content = BatchRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "One result per operation", body = BatchResponse),
        (status = 400, description = "The batch itself is malformed (each bad operation named)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 8 MiB", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn clients(State(state): State<AppState>, Auth(actor): Auth, BatchObject(body): BatchObject) -> Result<Json<BatchResponse>, ApiError> {
    run(&state, &actor, BatchKind::Clients, &body).await
}

#[utoipa::path(
    post, path = "/v1/matters/batch", tag = "matters", operation_id = "matters_batch",
    summary = "Create, update, upsert or delete many matters",
    description = DESCRIPTION,
    request_body(content = BatchRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "One result per operation", body = BatchResponse),
        (status = 400, description = "The batch itself is malformed (each bad operation named)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 8 MiB", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn matters(State(state): State<AppState>, Auth(actor): Auth, BatchObject(body): BatchObject) -> Result<Json<BatchResponse>, ApiError> {
    run(&state, &actor, BatchKind::Matters, &body).await
}

async fn run(state: &AppState, actor: &Actor, kind: BatchKind, body: &serde_json::Map<String, Value>) -> Result<Json<BatchResponse>, ApiError> {
    let batch = parse_batch(body, kind == BatchKind::Clients).map_err(ServiceError::Invalid)?;
    let results = state.service.batch(actor, kind, batch.operations, batch.atomic).await?;
    Ok(Json(BatchResponse { data: results.into_iter().map(|r| result(actor, r)).collect() }))
}

fn result(actor: &Actor, outcome: OpResult) -> BatchResult {
    let shown = |record: &Written| match record {
        Written::Client(c) => written(actor, Scope::ClientsRead, ClientView::from(c), CANONICAL_OWNED),
        Written::Matter(m) => written(actor, Scope::MattersRead, MatterView::from(m), CANONICAL_OWNED),
    };
    match outcome {
        Ok(Done::Created(record)) => BatchResult { status: 201, data: Some(shown(&record)), problem: None },
        Ok(Done::Updated(record)) => BatchResult { status: 200, data: Some(shown(&record)), problem: None },
        Ok(Done::Deleted) => BatchResult { status: 204, data: None, problem: None },
        Err(e) => {
            let problem = ApiError::Service(e).to_problem();
            BatchResult { status: problem.status, data: None, problem: Some(problem) }
        }
    }
}
