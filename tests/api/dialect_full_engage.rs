//! The full_engage dialect (docs/dialects/full-engage.md): every seed example replayed, on both stores.

use clientele::domain::ids::ClientId;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{expect_status, TestApp};

crate::store_tests!(
    sending_the_name_back_unchanged_keeps_how_it_is_split,
    seed_list_examples_answer_data_and_total,
    seed_get_example_answers_the_client,
    seed_create_examples_answer_201_with_the_new_client,
    seed_update_example_changes_only_the_fields_sent,
    seed_delete_example_answers_success,
    a_name_is_a_first_and_a_last_name,
    a_company_made_elsewhere_is_named_and_renamed_by_its_name,
    bad_input_is_invalid_request_naming_each_field,
    missing_or_unknown_keys_are_unauthorized_on_every_route,
    ids_that_are_not_a_live_uuid_of_the_firm_are_not_found,
    another_firms_client_is_not_found_on_every_route,
    scopes_are_enforced_on_every_route,
    a_key_over_its_rate_limit_gets_429_in_the_vendor_shape,
    limit_and_offset_page_and_total_counts_every_match,
    lists_sort_by_each_field_both_ways,
    lists_search_by_name_or_phone_and_filter_by_statuses,
    clients_are_the_same_on_every_surface,
    deleting_a_client_with_open_matters_is_a_conflict,
    every_route_is_documented_with_its_errors_in_the_vendor_shape,
);

const CLIENTS: &str = "/compat/full-engage/api/v1/clients";

fn path(id: &str) -> String {
    format!("{CLIENTS}/{id}")
}

/// A request as the seed sends it: `Authorization: Bearer`.
fn call(app: &TestApp, method: Method, path: &str, key: &str) -> reqwest::RequestBuilder {
    app.http.request(method, app.url(path)).header("Authorization", format!("Bearer {key}"))
}

async fn send(app: &TestApp, method: Method, path: &str, key: &str, body: Option<&Value>) -> Response {
    let mut request = call(app, method, path, key);
    if let Some(body) = body {
        request = request.header("Content-Type", "application/json").body(body.to_string());
    }
    request.send().await.expect("send")
}

/// Asserts Full Engage's error body with this status and code; returns it.
async fn expect_error(response: Response, status: StatusCode, code: &str) -> Value {
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = expect_status(response, status).await;
    assert_eq!(content_type, "application/json", "body: {body}");
    assert_eq!(body["code"], code, "body: {body}");
    assert!(body["error"].as_str().is_some_and(|m| !m.is_empty()), "body: {body}");
    body
}

fn detail_fields(error: &Value) -> Vec<String> {
    let mut fields: Vec<String> =
        error["details"].as_array().map(|d| d.iter().map(|e| e["field"].as_str().unwrap().to_string()).collect()).unwrap_or_default();
    fields.sort();
    fields
}

fn assert_rfc3339(value: &Value) {
    let s = value.as_str().unwrap_or_else(|| panic!("not a string: {value}"));
    assert!(time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok(), "not RFC 3339: {s}");
}

/// The seed's client: `{id, name, phone, status, notes, createdAt, updatedAt}`.
fn assert_client_shape(c: &Value) {
    let keys: Vec<&String> = c.as_object().unwrap_or_else(|| panic!("not an object: {c}")).keys().collect();
    assert_eq!(keys.len(), 7, "{c}");
    let id = c["id"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().hyphenated().to_string(), id);
    assert!(c["name"].as_str().is_some_and(|n| !n.is_empty()), "{c}");
    assert!(c["phone"].is_string() || c["phone"].is_null(), "{c}");
    assert!(c["status"].is_string(), "{c}");
    assert!(c["notes"].is_string() || c["notes"].is_null(), "{c}");
    assert_rfc3339(&c["createdAt"]);
    assert_rfc3339(&c["updatedAt"]);
}

async fn create(app: &TestApp, body: Value) -> Value {
    let created = expect_status(send(app, Method::POST, CLIENTS, &app.admin_key, Some(&body)).await, StatusCode::CREATED).await;
    assert_client_shape(&created["data"]);
    created["data"].clone()
}

async fn get_data(app: &TestApp, id: &str) -> Value {
    expect_status(send(app, Method::GET, &path(id), &app.admin_key, None).await, StatusCode::OK).await["data"].clone()
}

async fn patch(app: &TestApp, id: &str, body: Value) -> Response {
    send(app, Method::PATCH, &path(id), &app.admin_key, Some(&body)).await
}

async fn list(app: &TestApp, query: &str) -> Value {
    let body = expect_status(send(app, Method::GET, &format!("{CLIENTS}?{query}"), &app.admin_key, None).await, StatusCode::OK).await;
    assert!(body["total"].is_u64(), "{body}");
    for c in body["data"].as_array().unwrap() {
        assert_client_shape(c);
    }
    body
}

fn names(page: &Value) -> Vec<String> {
    page["data"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect()
}

/// `/v1/clients/cli_…` of a dialect id.
fn canonical_path(uuid: &str) -> String {
    format!("/v1/clients/{}", ClientId::from_uuid(uuid.parse().unwrap()))
}

/// The dialect's id of a canonical `cli_…` id.
fn dialect_id(canonical: &Value) -> String {
    canonical.as_str().unwrap().parse::<ClientId>().expect("a cli_ id").as_uuid().hyphenated().to_string()
}

/// Four clients whose names, phones and statuses sort differently.
async fn four(app: &TestApp) -> Vec<Value> {
    let mut made = Vec::new();
    for (name, phone, status) in [
        ("Carol King", "+1 555-3000", "inactive"),
        ("alice Smith", "+1 555-4000", "active"),
        ("Bob Jones", "+1 555-1000", "closed"),
        ("Dave Brown", "+1 555-2000", "active"),
    ] {
        made.push(create(app, json!({"name": name, "phone": phone, "status": status})).await);
    }
    made
}

async fn seed_list_examples_answer_data_and_total(app: TestApp) {
    let made = four(&app).await;
    // cURL: List clients.
    let response = call(&app, Method::GET, CLIENTS, &app.admin_key).send().await.unwrap();
    let body = expect_status(response, StatusCode::OK).await;
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    assert_eq!(body["total"], 4);
    assert_eq!(body["data"].as_array().unwrap().to_vec(), made, "oldest first by default");
    // cURL: List with filters.
    let response = call(&app, Method::GET, &format!("{CLIENTS}?status=active&sortBy=name&sortOrder=asc&limit=10"), &app.admin_key).send().await.unwrap();
    let body = expect_status(response, StatusCode::OK).await;
    assert_eq!(names(&body), ["alice Smith", "Dave Brown"]);
    assert_eq!(body["total"], 2);
    // JavaScript: `${BASE_URL}/clients?limit=10&sortOrder=desc`.
    let response = call(&app, Method::GET, &format!("{CLIENTS}?limit=10&sortOrder=desc"), &app.admin_key).send().await.unwrap();
    let js = expect_status(response, StatusCode::OK).await;
    assert_eq!(js["data"].as_array().unwrap().iter().rev().cloned().collect::<Vec<_>>(), made, "newest first");
    assert_eq!(js["total"], 4);
    // Python: params={"limit": 10, "sortOrder": "desc"}.
    let response = call(&app, Method::GET, CLIENTS, &app.admin_key).query(&[("limit", "10"), ("sortOrder", "desc")]).send().await.unwrap();
    assert_eq!(expect_status(response, StatusCode::OK).await, js);
}

async fn seed_get_example_answers_the_client(app: TestApp) {
    let made = create(&app, json!({"name": "John Doe", "phone": "+1 555-1234"})).await;
    let uuid = made["id"].as_str().unwrap();
    let response = call(&app, Method::GET, &path(uuid), &app.admin_key).send().await.unwrap();
    let body = expect_status(response, StatusCode::OK).await;
    assert_eq!(body, json!({"data": made}));
}

async fn seed_create_examples_answer_201_with_the_new_client(app: TestApp) {
    // cURL: -d '{"name":"John Doe","phone":"+1 555-1234"}'
    let response = call(&app, Method::POST, CLIENTS, &app.admin_key)
        .header("Content-Type", "application/json")
        .body(r#"{"name":"John Doe","phone":"+1 555-1234"}"#)
        .send()
        .await
        .unwrap();
    let curl = expect_status(response, StatusCode::CREATED).await;
    // JavaScript: JSON.stringify({name: "John Doe", phone: "+1 555-1234"}).
    let response = call(&app, Method::POST, CLIENTS, &app.admin_key)
        .header("Content-Type", "application/json")
        .body(r#"{"name":"John Doe","phone":"+1 555-1234"}"#)
        .send()
        .await
        .unwrap();
    let js = expect_status(response, StatusCode::CREATED).await;
    // Python: json={"name": "John Doe", "phone": "+1 555-1234"}.
    let response = call(&app, Method::POST, CLIENTS, &app.admin_key)
        .header("Content-Type", "application/json")
        .body(r#"{"name": "John Doe", "phone": "+1 555-1234"}"#)
        .send()
        .await
        .unwrap();
    let py = expect_status(response, StatusCode::CREATED).await;
    let mut ids = Vec::new();
    for created in [curl, js, py] {
        assert_eq!(created.as_object().unwrap().len(), 1, "{created}");
        let c = &created["data"];
        assert_client_shape(c);
        // Seven digits after +1 can't exist: kept and shown as written (issue 17).
        assert_eq!((c["name"].as_str(), c["phone"].as_str()), (Some("John Doe"), Some("+1 555-1234")));
        assert_eq!((c["status"].as_str(), c["notes"].clone()), (Some("active"), Value::Null));
        assert_eq!(c["createdAt"], c["updatedAt"]);
        assert_eq!(get_data(&app, c["id"].as_str().unwrap()).await, *c);
        ids.push(c["id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 3);
    // With every field.
    let c = create(&app, json!({"name": "Jane Roe", "phone": "(661) 555-0142", "status": "inactive", "notes": "Prefers email"})).await;
    assert_eq!((c["phone"].as_str(), c["status"].as_str(), c["notes"].as_str()), (Some("+16615550142"), Some("inactive"), Some("Prefers email")));
}

async fn seed_update_example_changes_only_the_fields_sent(app: TestApp) {
    let made = create(&app, json!({"name": "John Doe", "phone": "+1 555-1234"})).await;
    let uuid = made["id"].as_str().unwrap();
    let response = call(&app, Method::PATCH, &path(uuid), &app.admin_key)
        .header("Content-Type", "application/json")
        .body(r#"{"status":"inactive","notes":"No longer active"}"#)
        .send()
        .await
        .unwrap();
    let body = expect_status(response, StatusCode::OK).await;
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    let c = &body["data"];
    assert_client_shape(c);
    assert_eq!((c["status"].as_str(), c["notes"].as_str()), (Some("inactive"), Some("No longer active")));
    assert_eq!((c["id"].clone(), c["name"].clone(), c["phone"].clone(), c["createdAt"].clone()), (made["id"].clone(), made["name"].clone(), made["phone"].clone(), made["createdAt"].clone()));
    assert_ne!(c["updatedAt"], made["updatedAt"]);
    assert_eq!(get_data(&app, uuid).await, *c);
    // Null clears phone and notes; an empty body changes nothing.
    let cleared = expect_status(patch(&app, uuid, json!({"phone": null, "notes": null})).await, StatusCode::OK).await["data"].clone();
    assert_eq!((cleared["phone"].clone(), cleared["notes"].clone()), (Value::Null, Value::Null));
    let same = expect_status(patch(&app, uuid, json!({})).await, StatusCode::OK).await["data"].clone();
    assert_eq!(same, cleared);
}

async fn seed_delete_example_answers_success(app: TestApp) {
    let made = create(&app, json!({"name": "John Doe", "phone": "+1 555-1234"})).await;
    let uuid = made["id"].as_str().unwrap();
    let response = call(&app, Method::DELETE, &path(uuid), &app.admin_key).send().await.unwrap();
    assert_eq!(expect_status(response, StatusCode::OK).await, json!({"success": true}));
    expect_error(send(&app, Method::GET, &path(uuid), &app.admin_key, None).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_error(send(&app, Method::DELETE, &path(uuid), &app.admin_key, None).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_error(patch(&app, uuid, json!({"notes": "x"})).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(list(&app, "").await, json!({"data": [], "total": 0}));
}

async fn a_name_is_a_first_and_a_last_name(app: TestApp) {
    let made = create(&app, json!({"name": "  Mary Ann   Smith "})).await;
    assert_eq!(made["name"], "Mary Ann Smith");
    let canonical = expect_status(app.get(&canonical_path(made["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!((canonical["first_name"].as_str(), canonical["last_name"].as_str()), (Some("Mary Ann"), Some("Smith")));
    // No name is refused (a single name is a person known by it: issue 17.1,
    // tests/api/integrations.rs).
    for name in [json!("   "), json!(null), json!(42)] {
        let error = expect_error(send(&app, Method::POST, CLIENTS, &app.admin_key, Some(&json!({"name": name}))).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(detail_fields(&error), ["name"], "{name}");
    }
    let error = expect_error(send(&app, Method::POST, CLIENTS, &app.admin_key, Some(&json!({"phone": "+1 555-1234"}))).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(detail_fields(&error), ["name"]);
    // Renaming splits again; a rename to no name is refused and changes nothing.
    let uuid = made["id"].as_str().unwrap();
    let renamed = expect_status(patch(&app, uuid, json!({"name": "Mary Jones"})).await, StatusCode::OK).await["data"].clone();
    assert_eq!(renamed["name"], "Mary Jones");
    for name in [json!("  "), json!(null)] {
        let error = expect_error(patch(&app, uuid, json!({"name": name})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(detail_fields(&error), ["name"]);
    }
    assert_eq!(get_data(&app, uuid).await, renamed);
    // A name too long for the canonical fields is named as `name`.
    let long = format!("{} {}", "A".repeat(300), "B");
    let error = expect_error(send(&app, Method::POST, CLIENTS, &app.admin_key, Some(&json!({"name": long}))).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(detail_fields(&error), ["name"]);
}

async fn a_company_made_elsewhere_is_named_and_renamed_by_its_name(app: TestApp) {
    let company = app.create_client(json!({"kind": "company", "name": "Acme", "phone": "+1 555-9999"})).await;
    let uuid = dialect_id(&company["id"]);
    let c = get_data(&app, &uuid).await;
    assert_client_shape(&c);
    assert_eq!((c["name"].as_str(), c["phone"].as_str()), (Some("Acme"), Some("+1 555-9999")));
    let renamed = expect_status(patch(&app, &uuid, json!({"name": "Acme Holdings"})).await, StatusCode::OK).await["data"].clone();
    assert_eq!(renamed["name"], "Acme Holdings");
    let one_word = expect_status(patch(&app, &uuid, json!({"name": "Acmeco"})).await, StatusCode::OK).await["data"].clone();
    assert_eq!(one_word["name"], "Acmeco", "a company's name is one string");
    let canonical = expect_status(app.get(&format!("/v1/clients/{}", company["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!((canonical["kind"].as_str(), canonical["name"].as_str(), canonical["first_name"].clone()), (Some("company"), Some("Acmeco"), Value::Null));
    let error = expect_error(patch(&app, &uuid, json!({"name": null})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(detail_fields(&error), ["name"]);
}

async fn bad_input_is_invalid_request_naming_each_field(app: TestApp) {
    let key = &app.admin_key;
    let body = json!({"name": "A B", "phone": "call me", "status": "gone", "notes": 5, "email": "a@b.c"});
    let error = expect_error(send(&app, Method::POST, CLIENTS, key, Some(&body)).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(detail_fields(&error), ["email"], "unknown fields first: {error}");
    let body = json!({"name": "A B", "phone": "call me", "status": "gone", "notes": 5});
    let error = expect_error(send(&app, Method::POST, CLIENTS, key, Some(&body)).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(detail_fields(&error), ["notes", "phone", "status"]);
    for detail in error["details"].as_array().unwrap() {
        assert!(detail["message"].is_string());
    }
    // `status: null` is the default status (issue 17.4, tests/api/forgiving_input.rs).
    let error = expect_error(send(&app, Method::POST, CLIENTS, key, Some(&json!({"name": "A B", "status": 3}))).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(detail_fields(&error), ["status"]);
    expect_error(send(&app, Method::POST, CLIENTS, key, Some(&json!("John Doe"))).await, StatusCode::BAD_REQUEST, "malformed_json").await;
    let malformed = call(&app, Method::POST, CLIENTS, key).header("Content-Type", "application/json").body("{\"name\":").send().await.unwrap();
    expect_error(malformed, StatusCode::BAD_REQUEST, "malformed_json").await;
    let text = call(&app, Method::POST, CLIENTS, key).header("Content-Type", "text/plain").body("hi").send().await.unwrap();
    expect_error(text, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    let id = create(&app, json!({"name": "A B"})).await["id"].as_str().unwrap().to_string();
    let error = expect_error(patch(&app, &id, json!({"status": "gone", "version": 1})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(detail_fields(&error), ["version"]);
    let error = expect_error(patch(&app, &id, json!({"status": "gone"})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(detail_fields(&error), ["status"]);
    for query in ["limit=0", "limit=101", "limit=ten", "offset=-1", "sortBy=email", "sortOrder=up", "status=active,gone", "query=x&query=y"] {
        let response = send(&app, Method::GET, &format!("{CLIENTS}?{query}"), key, None).await;
        let error = expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(detail_fields(&error).len(), 1, "{query}: {error}");
    }
    assert_eq!(list(&app, "").await["total"], 1, "nothing invalid was stored");
}

async fn missing_or_unknown_keys_are_unauthorized_on_every_route(app: TestApp) {
    let made = create(&app, json!({"name": "John Doe"})).await;
    let id = made["id"].as_str().unwrap();
    let routes = [(Method::GET, CLIENTS.to_string()), (Method::POST, CLIENTS.to_string()), (Method::GET, path(id)), (Method::PATCH, path(id)), (Method::DELETE, path(id))];
    for auth in [None, Some("Bearer ba_a1b2c3d4e5f6..."), Some("Basic dXNlcjpwYXNz")] {
        for (method, route) in &routes {
            let mut request = app.http.request(method.clone(), app.url(route)).json(&json!({"name": "Eve Doe"}));
            if let Some(auth) = auth {
                request = request.header("Authorization", auth);
            }
            expect_error(request.send().await.unwrap(), StatusCode::UNAUTHORIZED, "unauthorized").await;
        }
    }
    assert_eq!(get_data(&app, id).await, made);
}

async fn ids_that_are_not_a_live_uuid_of_the_firm_are_not_found(app: TestApp) {
    let made = create(&app, json!({"name": "John Doe"})).await;
    let canonical = ClientId::from_uuid(made["id"].as_str().unwrap().parse().unwrap()).to_string();
    for id in ["UUID_HERE", "1", &canonical, &uuid::Uuid::now_v7().to_string()] {
        for method in [Method::GET, Method::PATCH, Method::DELETE] {
            let body = (method == Method::PATCH).then(|| json!({"notes": "x"}));
            expect_error(send(&app, method, &path(id), &app.admin_key, body.as_ref()).await, StatusCode::NOT_FOUND, "not_found").await;
        }
    }
}

async fn another_firms_client_is_not_found_on_every_route(app: TestApp) {
    let ours = create(&app, json!({"name": "John Doe"})).await;
    let id = ours["id"].as_str().unwrap();
    let other = app.other_firm().await;
    expect_error(send(&app, Method::GET, &path(id), &other, None).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_error(send(&app, Method::PATCH, &path(id), &other, Some(&json!({"notes": "mine"}))).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_error(send(&app, Method::DELETE, &path(id), &other, None).await, StatusCode::NOT_FOUND, "not_found").await;
    let theirs = expect_status(send(&app, Method::GET, CLIENTS, &other, None).await, StatusCode::OK).await;
    assert_eq!(theirs, json!({"data": [], "total": 0}));
    expect_status(send(&app, Method::POST, CLIENTS, &other, Some(&json!({"name": "John Doe"}))).await, StatusCode::CREATED).await;
    assert_eq!(get_data(&app, id).await, ours);
    assert_eq!(list(&app, "").await["total"], 1);
}

async fn scopes_are_enforced_on_every_route(app: TestApp) {
    let id = create(&app, json!({"name": "John Doe"})).await["id"].as_str().unwrap().to_string();
    let read = app.key("clients:read").await;
    expect_error(send(&app, Method::POST, CLIENTS, &read, Some(&json!({"name": "A B"}))).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    expect_error(send(&app, Method::POST, CLIENTS, &read, Some(&json!({"name": "A"}))).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    expect_error(send(&app, Method::PATCH, &path(&id), &read, Some(&json!({"notes": "x"}))).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    expect_error(send(&app, Method::DELETE, &path(&id), &read, None).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    expect_status(send(&app, Method::GET, &path(&id), &read, None).await, StatusCode::OK).await;
    expect_status(send(&app, Method::GET, CLIENTS, &read, None).await, StatusCode::OK).await;
    let notes = app.key("notes:read").await;
    expect_error(send(&app, Method::GET, CLIENTS, &notes, None).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    expect_error(send(&app, Method::GET, &path(&id), &notes, None).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let write = app.key("clients:write").await;
    expect_status(send(&app, Method::PATCH, &path(&id), &write, Some(&json!({"notes": "x"}))).await, StatusCode::OK).await;
    // A rename needs no read scope either (issue 17.7; it used to need `clients:read`).
    let renamed = expect_status(send(&app, Method::PATCH, &path(&id), &write, Some(&json!({"name": "Jo Doe"}))).await, StatusCode::OK).await;
    assert_eq!(renamed["data"]["id"], id.as_str(), "{renamed}");
    assert!(renamed["data"].get("name").is_none(), "a write-only key is not shown the client: {renamed}");
    let current = expect_status(send(&app, Method::GET, &path(&id), &read, None).await, StatusCode::OK).await;
    assert_eq!(current["data"]["name"], "Jo Doe");
    let both = app.key("clients:read,clients:write").await;
    expect_status(send(&app, Method::PATCH, &path(&id), &both, Some(&json!({"name": "Jo Doe"}))).await, StatusCode::OK).await;
    expect_status(send(&app, Method::DELETE, &path(&id), &write, None).await, StatusCode::OK).await;
}

async fn a_key_over_its_rate_limit_gets_429_in_the_vendor_shape(app: TestApp) {
    let body = json!({"name": "limited", "scopes": ["clients:read", "clients:write"], "rate_limit_per_minute": 2});
    let created = expect_status(app.post("/v1/api-keys", &app.admin_key, &body).await, StatusCode::CREATED).await;
    let key = created["data"]["secret"].as_str().unwrap().to_string();
    for _ in 0..2 {
        expect_status(send(&app, Method::GET, CLIENTS, &key, None).await, StatusCode::OK).await;
    }
    let some_id = uuid::Uuid::now_v7().to_string();
    for (method, route, body) in [
        (Method::GET, CLIENTS.to_string(), None),
        (Method::POST, CLIENTS.to_string(), Some(json!({"name": "John Doe"}))),
        (Method::GET, path(&some_id), None),
        (Method::PATCH, path(&some_id), Some(json!({"notes": "x"}))),
        (Method::DELETE, path(&some_id), None),
    ] {
        let response = send(&app, method, &route, &key, body.as_ref()).await;
        let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry_after >= 1);
        expect_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    }
    assert_eq!(list(&app, "").await["total"], 0, "the refused create stored nothing");
}

async fn limit_and_offset_page_and_total_counts_every_match(app: TestApp) {
    let mut made = Vec::new();
    for i in 0..7 {
        made.push(create(&app, json!({"name": format!("Client Number{i}")})).await);
    }
    let mut seen = Vec::new();
    for offset in [0, 3, 6] {
        let page = list(&app, &format!("limit=3&offset={offset}")).await;
        assert_eq!(page["total"], 7);
        seen.extend(page["data"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(seen, made);
    let beyond = list(&app, "limit=3&offset=50").await;
    assert_eq!(beyond, json!({"data": [], "total": 7}));
    assert_eq!(list(&app, "").await["data"].as_array().unwrap().len(), 7, "default limit 50");
    assert_eq!(list(&app, "limit=100&offset=0").await["data"].as_array().unwrap().len(), 7);
    assert_eq!(list(&app, "limit=1").await["data"].as_array().unwrap().len(), 1);
    let filtered = list(&app, "limit=1&query=Number3").await;
    assert_eq!((names(&filtered), filtered["total"].clone()), (vec!["Client Number3".to_string()], json!(1)));
}

async fn lists_sort_by_each_field_both_ways(app: TestApp) {
    four(&app).await;
    let cases = [
        ("sortBy=name", vec!["alice Smith", "Bob Jones", "Carol King", "Dave Brown"]),
        ("sortBy=phone", vec!["Bob Jones", "Dave Brown", "Carol King", "alice Smith"]),
        ("sortBy=createdAt", vec!["Carol King", "alice Smith", "Bob Jones", "Dave Brown"]),
        ("", vec!["Carol King", "alice Smith", "Bob Jones", "Dave Brown"]),
    ];
    for (query, expected) in cases {
        assert_eq!(names(&list(&app, &format!("{query}&sortOrder=asc")).await), expected, "{query} asc");
        let mut reversed = expected.clone();
        reversed.reverse();
        assert_eq!(names(&list(&app, &format!("{query}&sortOrder=desc")).await), reversed, "{query} desc");
    }
    // By status: active, active, closed, inactive (ties in a stable order).
    let by_status = list(&app, "sortBy=status").await;
    let statuses: Vec<&str> = by_status["data"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["active", "active", "closed", "inactive"]);
    let desc = list(&app, "sortBy=status&sortOrder=desc").await;
    let statuses: Vec<&str> = desc["data"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["inactive", "closed", "active", "active"]);
    // Sorting pages consistently with offset.
    let first = names(&list(&app, "sortBy=name&limit=2").await);
    let second = names(&list(&app, "sortBy=name&limit=2&offset=2").await);
    assert_eq!([first, second].concat(), ["alice Smith", "Bob Jones", "Carol King", "Dave Brown"]);
}

async fn lists_search_by_name_or_phone_and_filter_by_statuses(app: TestApp) {
    four(&app).await;
    let cases = [
        ("query=smith", vec!["alice Smith"]),
        ("query=BOB", vec!["Bob Jones"]),
        ("query=555-2000", vec!["Dave Brown"]),
        ("query=%2B1%20555-3000", vec!["Carol King"]),
        ("query=nobody", vec![]),
        ("status=active", vec!["alice Smith", "Dave Brown"]),
        ("status=active,inactive", vec!["Carol King", "alice Smith", "Dave Brown"]),
        ("status=active&status=closed", vec!["alice Smith", "Bob Jones", "Dave Brown"]),
        ("status=inactive,closed&query=o", vec!["Carol King", "Bob Jones"]),
        ("status=", vec!["Carol King", "alice Smith", "Bob Jones", "Dave Brown"]),
    ];
    for (query, expected) in cases {
        let page = list(&app, query).await;
        assert_eq!(names(&page), expected, "{query}");
        assert_eq!(page["total"], expected.len(), "{query}");
    }
}

async fn clients_are_the_same_on_every_surface(app: TestApp) {
    let made = create(&app, json!({"name": "John Doe", "phone": "+1 555-1234", "status": "inactive", "notes": "Hi"})).await;
    let canonical = expect_status(app.get(&canonical_path(made["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!((canonical["kind"].as_str(), canonical["first_name"].as_str(), canonical["last_name"].as_str()), (Some("person"), Some("John"), Some("Doe")));
    assert_eq!((canonical["phone"].as_str(), canonical["status"].as_str(), canonical["notes"].as_str()), (Some("+1 555-1234"), Some("inactive"), Some("Hi")));
    assert_eq!(canonical["phone_verified"], false, "seven digits after +1 can't exist: kept as written, marked unverified");
    assert_eq!((canonical["created_at"].clone(), canonical["updated_at"].clone()), (made["createdAt"].clone(), made["updatedAt"].clone()));
    // Made canonically (with fields this dialect doesn't show), read and changed here.
    let person = app.create_client(json!({"first_name": "Ana", "last_name": "Ruiz", "email": "ana@example.com", "tags": ["vip"]})).await;
    let uuid = dialect_id(&person["id"]);
    let here = get_data(&app, &uuid).await;
    assert_client_shape(&here);
    assert_eq!((here["name"].as_str(), here["phone"].clone()), (Some("Ana Ruiz"), Value::Null));
    expect_status(patch(&app, &uuid, json!({"name": "Ana Maria Ruiz", "notes": "x"})).await, StatusCode::OK).await;
    let canonical = expect_status(app.get(&format!("/v1/clients/{}", person["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!((canonical["first_name"].as_str(), canonical["last_name"].as_str()), (Some("Ana Maria"), Some("Ruiz")));
    assert_eq!((canonical["email"].as_str(), canonical["tags"].clone()), (Some("ana@example.com"), json!(["vip"])), "fields not shown here are kept");
    // Deleted here, gone canonically.
    expect_status(send(&app, Method::DELETE, &path(&uuid), &app.admin_key, None).await, StatusCode::OK).await;
    assert_eq!(app.get(&format!("/v1/clients/{}", person["id"].as_str().unwrap()), &app.admin_key).await.status(), StatusCode::NOT_FOUND);
}

async fn deleting_a_client_with_open_matters_is_a_conflict(app: TestApp) {
    let made = create(&app, json!({"name": "John Doe"})).await;
    let id = made["id"].as_str().unwrap();
    let client_id = ClientId::from_uuid(id.parse().unwrap()).to_string();
    expect_status(app.post("/v1/matters", &app.admin_key, &json!({"client_id": client_id, "title": "Estate"})).await, StatusCode::CREATED).await;
    expect_error(send(&app, Method::DELETE, &path(id), &app.admin_key, None).await, StatusCode::CONFLICT, "client_has_open_matters").await;
    assert_eq!(get_data(&app, id).await, made);
}

async fn every_route_is_documented_with_its_errors_in_the_vendor_shape(app: TestApp) {
    let doc = expect_status(app.http.get(app.url("/openapi.json")).send().await.unwrap(), StatusCode::OK).await;
    let routes = [
        (CLIENTS.to_string(), "get", vec!["200", "400", "401", "403", "429"]),
        (CLIENTS.to_string(), "post", vec!["201", "400", "401", "403", "409", "429"]),
        (format!("{CLIENTS}/{{id}}"), "get", vec!["200", "401", "403", "404", "429"]),
        (format!("{CLIENTS}/{{id}}"), "patch", vec!["200", "400", "401", "403", "404", "429"]),
        (format!("{CLIENTS}/{{id}}"), "delete", vec!["200", "401", "403", "404", "409", "429"]),
    ];
    for (route, method, statuses) in routes {
        let op = &doc["paths"][&route][method];
        assert_eq!(op["tags"], json!(["full-engage"]), "{method} {route}");
        for status in statuses {
            let schema = &op["responses"][status]["content"]["application/json"]["schema"]["$ref"];
            let expected = if status.starts_with('2') { schema.as_str().unwrap().to_string() } else { "#/components/schemas/FullEngageError".into() };
            assert_eq!(schema.as_str(), Some(expected.as_str()), "{method} {route} {status}");
        }
    }
    for schema in ["FullEngageClient", "FullEngageClientList", "FullEngageDeleted", "FullEngageClientCreate", "FullEngageClientUpdate"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}

async fn sending_the_name_back_unchanged_keeps_how_it_is_split(app: TestApp) {
    let made = app.create_client(json!({"first_name": "Jean", "last_name": "de la Cruz"})).await;
    let id = dialect_id(&made["id"]);
    let read = get_data(&app, &id).await;
    assert_eq!(read["name"], "Jean de la Cruz");
    // A read-modify-write sends every field back.
    let body = json!({"name": read["name"], "status": "inactive"});
    expect_status(patch(&app, &id, body).await, StatusCode::OK).await;
    let canonical = expect_status(app.get(&canonical_path(&id), &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!((canonical["first_name"].as_str(), canonical["last_name"].as_str()), (Some("Jean"), Some("de la Cruz")));
    assert_eq!(canonical["status"], "inactive");
    // A changed name is split again.
    expect_status(patch(&app, &id, json!({"name": "Jean Paul Sartre"})).await, StatusCode::OK).await;
    let canonical = expect_status(app.get(&canonical_path(&id), &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!((canonical["first_name"].as_str(), canonical["last_name"].as_str()), (Some("Jean Paul"), Some("Sartre")));
}
