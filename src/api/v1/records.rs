//! What the record routes share: ids from paths, list parameters, and
//! rendering one record or a page.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use crate::api::json::Json;
use serde::Serialize;

use super::clients::next_link;
use super::select::Fields;
use super::views::Pagination;
use crate::api::extract::{etag, ParamReader};
use crate::api::problem::ApiError;
use crate::domain::client::query::SearchTerm;
use crate::domain::ids::TypedId;
use crate::domain::record::{RecordFilter, RecordSort, Stored};
use crate::domain::time::Timestamp;
use crate::service::paging::MAX_PAGE;
use crate::service::records::{RecordListRequest, RecordPage};
use crate::service::ServiceError;

const MAX_QUERY_CHARS: usize = 200;

/// An id that doesn't parse can't name a record: a plain 404.
pub fn path_id<I: TypedId>(raw: &str, what: &'static str) -> Result<I, ApiError> {
    raw.parse().map_err(|_| ApiError::Service(ServiceError::NotFound(what)))
}

/// `{"data": view}` with the record's `ETag`.
pub fn one(status: StatusCode, view: impl Serialize, version: i64) -> Response {
    let mut response = (status, Json(serde_json::json!({ "data": view }))).into_response();
    if let Ok(tag) = HeaderValue::from_str(&etag(version)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

/// `201 Created` with `Location`.
pub fn created(view: impl Serialize, version: i64, location: String) -> Response {
    let mut response = one(StatusCode::CREATED, view, version);
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// A page as `{"data": [...], "pagination": {...}}` with a `Link` to the next.
pub fn page<F, V>(path: &str, pairs: &[(String, String)], page: &RecordPage<F>, fields: &Fields) -> Response
where
    V: Serialize + for<'a> From<&'a Stored<F>>,
{
    let data: Vec<serde_json::Value> = page.items.iter().map(|r| fields.render(&V::from(r))).collect();
    let pagination = Pagination::counted(page.limit, page.next_cursor.clone(), page.total);
    let mut response = Json(serde_json::json!({ "data": data, "pagination": pagination })).into_response();
    if let Some(Ok(link)) = page.next_cursor.as_ref().map(|c| HeaderValue::from_str(&next_link(path, pairs, c))) {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}

/// The list parameters every record list takes: `limit`, `cursor`, `sort`,
/// `include_total`, `ids`, `created_since/before`, `updated_since/before`, `q`.
pub fn list_request<I: TypedId>(p: &mut ParamReader<'_>) -> RecordListRequest {
    let limit = p.parsed("limit", |s| {
        s.parse::<usize>().ok().filter(|n| (1..=MAX_PAGE).contains(n)).ok_or(format!("must be an integer from 1 to {MAX_PAGE}"))
    });
    let sort = p.parsed("sort", |s| RecordSort::parse(s).ok_or("must be created_at or updated_at, optionally prefixed with -".into()));
    let cursor = p.get("cursor").map(str::to_string);
    let count = p.parsed("include_total", super::clients::parse_counting);
    let search = p.parsed("q", |s| {
        if s.chars().count() > MAX_QUERY_CHARS {
            return Err(format!("must be at most {MAX_QUERY_CHARS} characters"));
        }
        if s.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(SearchTerm::new(s))
    });
    let mut instant = |name| p.parsed(name, |s| Timestamp::parse(s).ok_or("must be an RFC 3339 timestamp or YYYY-MM-DD".into()));
    let (created_since, created_before) = (instant("created_since"), instant("created_before"));
    let (updated_since, updated_before) = (instant("updated_since"), instant("updated_before"));
    let ids = ids::<I>(p);
    RecordListRequest {
        filter: RecordFilter {
            ids,
            created_since,
            created_before,
            updated_since,
            updated_before,
            search: search.flatten(),
            ..RecordFilter::default()
        },
        sort: sort.unwrap_or(RecordSort { by_updated: false, descending: true }),
        cursor,
        limit,
        count: count.unwrap_or_default(),
    }
}

fn ids<I: TypedId>(p: &mut ParamReader<'_>) -> Vec<uuid::Uuid> {
    let raw = p.list("ids");
    let mut ids = Vec::with_capacity(raw.len());
    for text in raw {
        match text.parse::<I>() {
            Ok(id) => ids.push(id.as_uuid()),
            Err(e) => p.error("ids", format!("`{}`: {e}", text.chars().take(40).collect::<String>())),
        }
    }
    ids
}

/// A comma-separated filter whose values must each pass `valid`.
pub fn one_of(p: &mut ParamReader<'_>, name: &'static str, allowed: &[&str]) -> Option<(&'static str, Vec<String>)> {
    let values: Vec<String> = p.list(name).into_iter().map(str::to_string).collect();
    if let Some(bad) = values.iter().find(|v| !allowed.contains(&v.as_str())) {
        p.error(name, format!("`{}` is not one of: {}", bad.chars().take(40).collect::<String>(), allowed.join(", ")));
        return None;
    }
    (!values.is_empty()).then_some((name, values))
}

/// A single-valued exact-match filter on a typed id.
pub fn id_filter<I: TypedId>(p: &mut ParamReader<'_>, name: &'static str) -> Option<(&'static str, Vec<String>)> {
    let id = p.parsed(name, |s| s.parse::<I>().map_err(|e| e.to_string()))?;
    Some((name, vec![id.to_string()]))
}
