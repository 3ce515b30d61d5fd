//! Being built (issue 5): routes and error shape of this vendor dialect.

use axum::http::StatusCode;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;

use super::ProblemParts;
use crate::api::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}

pub fn error(problem: &ProblemParts) -> (StatusCode, Value) {
    (problem.status(), json!({"error": problem.message()}))
}
