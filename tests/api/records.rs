//! Helpers shared by the modules for the rest of the domain (matters, notes,
//! leads, users, custom fields, custom actions): generic list walks, record
//! creation and small assertions.

use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

use crate::helpers::{error_fields, expect_problem, expect_status, TestApp};
use crate::support::ids;

/// Asserts 201 and returns `data`.
pub async fn created(response: Response) -> Value {
    expect_status(response, StatusCode::CREATED).await["data"].clone()
}

/// Asserts 200 and returns `data`.
pub async fn ok(response: Response) -> Value {
    expect_status(response, StatusCode::OK).await["data"].clone()
}

/// Asserts a 204 with an empty body.
pub async fn no_content(response: Response) {
    assert_eq!(expect_status(response, StatusCode::NO_CONTENT).await, Value::Null);
}

/// Asserts a 404 `not_found` problem.
pub async fn not_found(response: Response) -> Value {
    expect_problem(response, StatusCode::NOT_FOUND, "not_found").await
}

/// Asserts a 403 `insufficient_scope` problem.
pub async fn forbidden(response: Response) {
    expect_problem(response, StatusCode::FORBIDDEN, "insufficient_scope").await;
}

/// Asserts a 400 `invalid_request` and returns the sorted names of the bad fields.
pub async fn refused_fields(response: Response) -> Vec<String> {
    let problem = expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let mut fields = error_fields(&problem);
    fields.sort();
    fields
}

/// `GET path` with these query parameters (URL-encoded here).
pub async fn get_query(app: &TestApp, path: &str, key: &str, params: &[(&str, &str)]) -> Response {
    app.request(Method::GET, path, key).query(params).send().await.expect("send")
}

/// `GET path?params` with the admin key; asserts 200 and returns the whole page.
pub async fn page(app: &TestApp, path: &str, params: &[(&str, &str)]) -> Value {
    expect_status(get_query(app, path, &app.admin_key, params).await, StatusCode::OK).await
}

/// The ids of one page (`limit=100`) of `path` with these parameters.
pub async fn page_ids(app: &TestApp, path: &str, params: &[(&str, &str)]) -> Vec<String> {
    let mut all = params.to_vec();
    all.push(("limit", "100"));
    ids(&page(app, path, &all).await)
}

/// `page_ids` sorted, for comparing sets.
pub async fn page_id_set(app: &TestApp, path: &str, params: &[(&str, &str)]) -> Vec<String> {
    sorted(page_ids(app, path, params).await)
}

/// Every id a `next_cursor` walk of `path` visits with these parameters.
pub async fn walk_at(app: &TestApp, path: &str, params: &[(&str, &str)]) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let mut query = params.to_vec();
        if let Some(c) = &cursor {
            query.push(("cursor", c));
        }
        let page = page(app, path, &query).await;
        seen.extend(ids(&page));
        match page["pagination"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => {
                assert_eq!(page["pagination"]["has_more"], false, "{page}");
                return seen;
            }
        }
    }
    panic!("the cursor walk never ended");
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The sorted keys of a JSON object.
pub fn keys_of(object: &Value) -> Vec<String> {
    sorted(object.as_object().unwrap_or_else(|| panic!("not an object: {object}")).keys().cloned().collect())
}

/// A string field as `&str`, panicking with the record when it is not one.
pub fn text<'a>(record: &'a Value, field: &str) -> &'a str {
    record[field].as_str().unwrap_or_else(|| panic!("{field} is not a string in {record}"))
}

/// Creates a matter for `client_id` with the admin key, `extra` merged into
/// `{"client_id", "title"}`; returns its `data`.
pub async fn new_matter(app: &TestApp, client_id: &str, title: &str, extra: Value) -> Value {
    let mut body = serde_json::json!({"client_id": client_id, "title": title});
    if let Some(extra) = extra.as_object() {
        for (k, v) in extra {
            body[k] = v.clone();
        }
    }
    created(app.post("/v1/matters", &app.admin_key, &body).await).await
}

/// `/v1/matters/{id}` of a matter.
pub fn matter_path(matter: &Value) -> String {
    format!("/v1/matters/{}", text(matter, "id"))
}

/// The user an event's actor acted for: "Events show `actor_key_id` and
/// `actor_user_id`" (the field is present, null for keys without a user).
pub fn actor_user_id(event: &Value) -> Value {
    assert!(event.get("actor_user_id").is_some(), "no actor_user_id: {event}");
    event["actor_user_id"].clone()
}

/// The key an event's actor used.
pub fn actor_key_id(event: &Value) -> Value {
    event["actor_key_id"].clone()
}

/// The `type`s of these events, in order.
pub fn kinds(log: &[Value]) -> Vec<String> {
    log.iter().map(|e| e["type"].as_str().unwrap_or_default().to_string()).collect()
}
