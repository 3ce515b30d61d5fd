//! `/v1/events`: the firm's audit log.

use axum::extract::State;
use crate::api::json::Json;

use super::views::{EventList, EventPagination, EventView};
use crate::api::extract::{Auth, ParamReader, QueryPairs};
use crate::api::problem::ApiError;
use crate::api::AppState;

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

#[utoipa::path(
    get, path = "/v1/events", tag = "events",
    summary = "Read the audit log",
    description = "Requires `admin`. Every change, oldest first, with the record before and after it. \
        Poll with `after` set to the last `seq` seen to follow changes.",
    params(
        ("after" = Option<i64>, Query, description = "Only events with a greater `seq`"),
        ("limit" = Option<usize>, Query, description = "1-500 (default 50)"),
    ),
    responses((status = 200, description = "Events", body = EventList))
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Json<EventList>, ApiError> {
    let mut p = ParamReader::new(&pairs);
    let after = p.parsed("after", |s| s.parse::<i64>().ok().filter(|n| *n >= 0).ok_or("must be a non-negative integer".into()));
    let limit = p.parsed("limit", |s| {
        s.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or(format!("must be an integer from 1 to {MAX_LIMIT}"))
    });
    p.finish()?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let mut events = state.service.list_events(&actor, after.unwrap_or(0), limit + 1).await?;
    let has_more = events.len() > limit;
    events.truncate(limit);
    let next_after = events.last().map(|e| e.seq);
    Ok(Json(EventList {
        data: events.iter().map(EventView::from).collect(),
        pagination: EventPagination { limit, has_more, next_after },
    }))
}
