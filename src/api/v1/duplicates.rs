//! `GET /v1/clients/duplicates`: groups of candidate duplicates, cursor-paged.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::views::{ClientView, Pagination};
use crate::api::extract::{Auth, ParamReader, QueryPairs};
use crate::api::json::Json;
use crate::api::problem::{ApiError, Problem};
use crate::api::AppState;
use crate::service::duplicates::{DuplicateGroup, REASONS};
use crate::service::paging::MAX_PAGE;

crate::names!(
    DuplicateReasonName,
    "Why a group's clients may be one person (docs/privacy.md, \"Finding duplicates\").",
    REASONS.iter().map(|r| r.to_string())
);

#[derive(Serialize, ToSchema)]
pub struct DuplicateGroupView<'a> {
    #[schema(value_type = DuplicateReasonName, example = "same_email")]
    pub reason: &'static str,
    /// How likely the group is one person, from 0 to 1: 1 for the same email, 0.95 for the same name and
    /// date of birth, 0.9 for the same phone, 0.8 times the names' trigram similarity for similar names.
    #[schema(example = 1.0)]
    pub score: f64,
    /// How many live clients share the key (`clients` shows at most 10, oldest id first).
    pub size: u64,
    pub clients: Vec<ClientView<'a>>,
}

impl<'a> From<&'a DuplicateGroup> for DuplicateGroupView<'a> {
    fn from(g: &'a DuplicateGroup) -> Self {
        Self { reason: g.reason, score: g.score, size: g.size, clients: g.clients.iter().map(ClientView::from).collect() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DuplicateList<'a> {
    pub data: Vec<DuplicateGroupView<'a>>,
    pub pagination: Pagination,
}

#[utoipa::path(
    get, path = "/v1/clients/duplicates", tag = "clients", operation_id = "clients_duplicates",
    summary = "Find candidate duplicates",
    description = "Requires `clients:read`. Groups of live clients that may be one person, each with a reason and \
        a score: the same email in any email field (case-insensitively), the same phone in any phone field, the \
        same normalised name and date of birth, or similar names (trigram similarity ≥ 0.5) with a shared email \
        domain or phone prefix. Grouped by reason, then by the key they share; a pair may appear under several \
        reasons. Follow `pagination.next_cursor`; a page may hold fewer groups than `limit` and still have more.",
    params(
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Groups per page, 1-100 (default 25)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of groups", body = DuplicateList),
        (status = 400, description = "A bad parameter or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `clients:read`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let mut p = ParamReader::new(&pairs);
    let limit = p.parsed("limit", |s| {
        s.parse::<usize>().ok().filter(|n| (1..=MAX_PAGE).contains(n)).ok_or(format!("must be an integer from 1 to {MAX_PAGE}"))
    });
    let cursor = p.get("cursor").map(str::to_string);
    p.finish()?;
    let page = state.service.find_duplicates(&actor, cursor.as_deref(), limit).await?;
    let list = DuplicateList {
        data: page.groups.iter().map(DuplicateGroupView::from).collect(),
        pagination: Pagination::uncounted(page.limit, page.next_cursor),
    };
    let link = list.pagination.next_cursor.as_ref().map(|c| super::clients::next_link("/v1/clients/duplicates", &pairs, c));
    let mut response = Json(list).into_response();
    if let Some(link) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}
