//! `/v1/events`: the firm's audit log; and each client's and matter's
//! history.

use axum::extract::State;

use super::views::{EventList, EventPagination, EventView, Pagination};
use super::webhook_views::HistoryList;
use super::webhooks::page_size;
use crate::api::extract::{Auth, ParamReader, PathId, QueryPairs};
use crate::api::json::Json;
use crate::api::problem::ApiError;
use crate::api::AppState;
use crate::service::events::{EventFilter, Subject};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;
const HISTORY_LIMIT: usize = 25;
const MAX_TYPES: usize = 50;

#[utoipa::path(
    get, path = "/v1/events", tag = "events",
    summary = "Read the audit log",
    description = "Requires `admin`. Every change, oldest first, with the record before and after it. \
        Poll with `after` set to the last `seq` seen to follow changes, or subscribe to webhooks.",
    params(
        ("after" = Option<i64>, Query, minimum = 0, description = "Only events with a greater `seq`"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 500, description = "1-500 (default 50)"),
        ("type" = Option<String>, Query, description = "Comma-separated event types or patterns (`client.*`, `lead.converted`, `*`)"),
        ("resource_type" = Option<String>, Query, description = "Only events about this kind of record (`client`, `matter`, …)"),
        ("resource_id" = Option<String>, Query, description = "Only events about this record (`cli_…`)"),
    ),
    responses((status = 200, description = "Events", body = EventList))
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Json<EventList>, ApiError> {
    let mut p = ParamReader::new(&pairs);
    let after = p.parsed("after", |s| s.parse::<i64>().ok().filter(|n| *n >= 0).ok_or("must be a non-negative integer".into()));
    let limit = p.parsed("limit", |s| {
        s.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or(format!("must be an integer from 1 to {MAX_LIMIT}"))
    });
    let filter = event_filter(&mut p);
    p.finish()?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let mut events = state.service.list_events(&actor, after.unwrap_or(0), &filter, limit + 1).await?;
    let has_more = events.len() > limit;
    events.truncate(limit);
    let next_after = events.last().map(|e| e.seq);
    Ok(Json(EventList {
        data: events.iter().map(EventView::from).collect(),
        pagination: EventPagination { limit, has_more, next_after },
    }))
}

fn event_filter(p: &mut ParamReader<'_>) -> EventFilter {
    let types: Vec<String> = p.list("type").into_iter().map(str::to_string).collect();
    if types.len() > MAX_TYPES {
        p.error("type", format!("must list at most {MAX_TYPES} types"));
    }
    let plain = |s: &str| {
        if s.is_empty() || s.len() > 64 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            Err("must be a record kind such as client or matter".to_string())
        } else {
            Ok(s.to_string())
        }
    };
    let resource_type = p.parsed("resource_type", plain);
    let resource_id = p.parsed("resource_id", plain);
    EventFilter { types, resource_type, resource_id }
}

#[utoipa::path(
    get, path = "/v1/clients/{id}/history", tag = "clients",
    summary = "A client's history",
    description = "Requires `clients:read`. The client's events, newest first, with the record before and after \
        each change and who made it; also for a deleted client, until it is purged.",
    params(
        ("id" = String, Path, description = "Client id (`cli_…`)"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "One page of events", body = HistoryList),
        (status = 404, description = "No such client in this firm", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn client_history(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, QueryPairs(pairs): QueryPairs) -> Result<Json<HistoryList>, ApiError> {
    let subject = Subject::Client(super::records::path_id(&id, "client")?);
    history(&state, &actor, subject, &pairs).await
}

#[utoipa::path(
    get, path = "/v1/matters/{id}/history", tag = "matters",
    summary = "A matter's history",
    description = "Requires `matters:read`. The matter's events, newest first, with the record before and after \
        each change and who made it; also for a deleted matter, until it is purged.",
    params(
        ("id" = String, Path, description = "Matter id (`mat_…`)"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "One page of events", body = HistoryList),
        (status = 404, description = "No such matter in this firm", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn matter_history(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, QueryPairs(pairs): QueryPairs) -> Result<Json<HistoryList>, ApiError> {
    let subject = Subject::Matter(super::records::path_id(&id, "matter")?);
    history(&state, &actor, subject, &pairs).await
}

async fn history(state: &AppState, actor: &crate::service::Actor, subject: Subject, pairs: &[(String, String)]) -> Result<Json<HistoryList>, ApiError> {
    let mut p = ParamReader::new(pairs);
    let limit = p.parsed("limit", page_size).unwrap_or(HISTORY_LIMIT);
    let before = p.parsed("cursor", |s| s.parse::<i64>().ok().filter(|n| *n > 0).ok_or("is not a cursor this server issued".to_string()));
    p.finish()?;
    let mut events = state.service.history(actor, subject, before, limit + 1).await?;
    let has_more = events.len() > limit;
    events.truncate(limit);
    let next_cursor = if has_more { events.last().map(|e| e.seq.to_string()) } else { None };
    Ok(Json(HistoryList { data: events.iter().map(EventView::from).collect(), pagination: Pagination::uncounted(limit, next_cursor) }))
}
