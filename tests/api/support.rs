//! Small helpers shared by the behaviour modules: listing, ids, events.

use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

use crate::helpers::{expect_status, TestApp};

/// The `id` of a record as a `String`.
pub fn id(record: &Value) -> String {
    record["id"].as_str().expect("record has an id").to_string()
}

/// The ids of a list page's `data`, in order.
pub fn ids(page: &Value) -> Vec<String> {
    page["data"].as_array().expect("data is an array").iter().map(id).collect()
}

/// `/v1/clients/{id}` of a record.
pub fn path_of(record: &Value) -> String {
    format!("/v1/clients/{}", id(record))
}

/// `GET /v1/clients` with these query parameters (URL-encoded here).
pub async fn list_raw(app: &TestApp, key: &str, params: &[(&str, &str)]) -> Response {
    app.request(Method::GET, "/v1/clients", key).query(params).send().await.expect("send")
}

/// `GET /v1/clients` with the admin key; asserts 200 and returns the page.
pub async fn list(app: &TestApp, params: &[(&str, &str)]) -> Value {
    expect_status(list_raw(app, &app.admin_key, params).await, StatusCode::OK).await
}

/// Ids of every live client matching `params` (one page of up to 100).
pub async fn list_ids(app: &TestApp, params: &[(&str, &str)]) -> Vec<String> {
    let mut all = params.to_vec();
    all.push(("limit", "100"));
    ids(&list(app, &all).await)
}

/// Every id a `next_cursor` walk visits with these parameters.
pub async fn walk(app: &TestApp, params: &[(&str, &str)]) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let mut query = params.to_vec();
        if let Some(c) = &cursor {
            query.push(("cursor", c));
        }
        let page = list(app, &query).await;
        seen.extend(ids(&page));
        match page["pagination"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return seen,
        }
    }
    panic!("the cursor walk never ended");
}

/// `GET` a client with the admin key; asserts 200 and returns `data`.
pub async fn fetch(app: &TestApp, record: &Value) -> Value {
    expect_status(app.get(&path_of(record), &app.admin_key).await, StatusCode::OK).await["data"].clone()
}

/// Every event of the firm the key belongs to, oldest first.
pub async fn events(app: &TestApp, key: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let page = expect_status(app.get(&format!("/v1/events?limit=500&after={after}"), key).await, StatusCode::OK).await;
        let data = page["data"].as_array().expect("data").clone();
        all.extend(data);
        match page["pagination"]["next_after"].as_i64() {
            Some(next) if page["pagination"]["has_more"] == true => after = next,
            _ => return all,
        }
    }
}

/// The `seq` of the main firm's latest event (0 if none).
pub async fn last_seq(app: &TestApp) -> i64 {
    events(app, &app.admin_key).await.last().and_then(|e| e["seq"].as_i64()).unwrap_or(0)
}

/// The main firm's events after `seq`.
pub async fn events_since(app: &TestApp, seq: i64) -> Vec<Value> {
    events(app, &app.admin_key).await.into_iter().filter(|e| e["seq"].as_i64().unwrap() > seq).collect()
}

/// The id (`key_…`) of an API key, from `/v1/me`.
pub async fn key_id(app: &TestApp, key: &str) -> String {
    let me = expect_status(app.get("/v1/me", key).await, StatusCode::OK).await;
    me["data"]["key"]["id"].as_str().expect("key id").to_string()
}

/// A header's value as text ("" when absent).
pub fn header(response: &Response, name: &str) -> String {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

/// An instant as RFC 3339 (UTC, milliseconds), as the API writes them.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Parses an RFC 3339 instant the API returned.
pub fn instant(text: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).expect("RFC 3339")
}
