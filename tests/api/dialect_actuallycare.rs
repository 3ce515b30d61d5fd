//! The actuallycare dialect (docs/dialects/actuallycare.md): every seed example replayed, on both stores.

use clientele::domain::ids::ClientId;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{expect_status, TestApp};

crate::store_tests!(
    seed_list_examples_answer_clients_and_meta,
    seed_create_examples_answer_201_with_the_new_client,
    seed_get_examples_answer_every_real_estate_field,
    seed_update_examples_lock_on_version_then_validate_status,
    seed_delete_examples_answer_an_empty_data_and_a_timestamp,
    put_merges_the_fields_sent_and_null_clears_one,
    bad_input_is_a_validation_error_naming_each_field,
    missing_or_unknown_keys_are_unauthorized_on_every_route,
    ids_that_are_not_a_live_uuid_of_the_firm_are_not_found,
    another_firms_client_is_not_found_on_every_route,
    scopes_are_enforced_on_every_route,
    a_key_over_its_rate_limit_gets_429_in_the_vendor_shape,
    pages_report_total_total_pages_and_has_more,
    lists_filter_by_client_type_and_status,
    vendor_fields_are_custom_fields_on_every_surface,
    deleting_a_client_with_open_matters_is_a_conflict,
    every_route_is_documented_with_its_errors_in_the_vendor_shape,
);

const CLIENTS: &str = "/compat/actuallycare/v1/clients";

/// The seed's request bodies, byte for byte as each example sends them.
const CREATE_CURL: &str = r#"{
    "first_name": "Jordan",
    "last_name": "Lee",
    "client_type": "buyer"
  }"#;
const CREATE_JS: &str = r#"{"first_name":"Jordan","last_name":"Lee","client_type":"buyer"}"#;
const CREATE_PYTHON: &str = r#"{"first_name": "Jordan", "last_name": "Lee", "client_type": "buyer"}"#;
const UPDATE_CURL: &str = r#"{
    "email": "agent@example.com",
    "phone": "+1 661 555 0123",
    "status": "your-status",
    "version": 3
  }"#;
const UPDATE_JS: &str = r#"{"email":"agent@example.com","phone":"+1 661 555 0123","status":"your-status","version":3}"#;
const UPDATE_PYTHON: &str = r#"{"email": "agent@example.com", "phone": "+1 661 555 0123", "status": "your-status", "version": 3}"#;

fn path(id: &str) -> String {
    format!("{CLIENTS}/{id}")
}

/// A request as the seed sends it: `X-API-Key`.
fn call(app: &TestApp, method: Method, path: &str, key: &str) -> reqwest::RequestBuilder {
    app.http.request(method, app.url(path)).header("X-API-Key", key)
}

async fn send(app: &TestApp, method: Method, path: &str, key: &str, body: Option<&Value>) -> Response {
    let mut request = call(app, method, path, key);
    if let Some(body) = body {
        request = request.header("Content-Type", "application/json").body(body.to_string());
    }
    request.send().await.expect("send")
}

/// Asserts ActuallyCare's error envelope with this status and code; returns `error`.
async fn expect_error(response: Response, status: StatusCode, code: &str) -> Value {
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = expect_status(response, status).await;
    assert_eq!(content_type, "application/json", "body: {body}");
    assert_eq!(body["success"], false, "body: {body}");
    assert_eq!(body["error"]["code"], code, "body: {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "body: {body}");
    assert_rfc3339(&body["timestamp"]);
    body["error"].clone()
}

fn detail_fields(error: &Value) -> Vec<String> {
    error["details"].as_array().map(|d| d.iter().map(|e| e["field"].as_str().unwrap().to_string()).collect()).unwrap_or_default()
}

fn assert_rfc3339(value: &Value) {
    let s = value.as_str().unwrap_or_else(|| panic!("not a string: {value}"));
    assert!(time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok(), "not RFC 3339: {s}");
}

fn assert_uuid(value: &Value) -> uuid::Uuid {
    let s = value.as_str().unwrap_or_else(|| panic!("not a string: {value}"));
    let id = uuid::Uuid::parse_str(s).unwrap_or_else(|_| panic!("not a UUID: {s}"));
    assert_eq!(s, id.hyphenated().to_string(), "UUIDs are shown hyphenated, lower case");
    id
}

/// `/v1/clients/cli_…` of a dialect id.
fn canonical_path(uuid: &str) -> String {
    format!("/v1/clients/{}", ClientId::from_uuid(uuid.parse().unwrap()))
}

/// Creates a client through the dialect; returns `data`.
async fn create(app: &TestApp, body: Value) -> Value {
    let response = send(app, Method::POST, CLIENTS, &app.admin_key, Some(&body)).await;
    expect_status(response, StatusCode::CREATED).await["data"].clone()
}

async fn jordan(app: &TestApp) -> Value {
    create(app, json!({"first_name": "Jordan", "last_name": "Lee", "client_type": "buyer"})).await
}

/// The seed's richest client (the Get and Update example responses).
fn michael() -> Value {
    json!({
        "first_name": "Michael",
        "last_name": "Torres",
        "email": "michael.torres@gmail.com",
        "phone": "(661) 555-0142",
        "client_type": "buyer",
        "source": "Zillow",
        "budget_min": 350000,
        "budget_max": 475000,
        "preferred_locations": ["Bakersfield"],
        "property_preferences": {"bedrooms_min": 3, "bathrooms_min": 2.5, "square_feet_min": 1800, "property_types": ["single_family"]},
        "pre_approved": true,
        "pre_approval_amount": 460000,
        "notes": "Wants a yard",
        "tags": ["hot"],
        "user_id": "550e8400-e29b-41d4-a716-446655440000"
    })
}

async fn get_data(app: &TestApp, id: &str) -> Value {
    expect_status(send(app, Method::GET, &path(id), &app.admin_key, None).await, StatusCode::OK).await["data"].clone()
}

async fn put(app: &TestApp, id: &str, body: Value) -> Response {
    send(app, Method::PUT, &path(id), &app.admin_key, Some(&body)).await
}

/// Every field of a client as the seed documents it, with its type.
fn assert_client_shape(c: &Value) {
    assert_uuid(&c["id"]);
    for key in ["first_name", "last_name", "email", "phone", "source", "notes", "user_id"] {
        assert!(c[key].is_string() || c[key].is_null(), "{key}: {c}");
    }
    assert!(["buyer", "seller", "both"].contains(&c["client_type"].as_str().unwrap_or("buyer")), "{c}");
    assert!(c["status"].is_string(), "{c}");
    for key in ["budget_min", "budget_max", "pre_approval_amount"] {
        assert!(c[key].is_number() || c[key].is_null(), "{key}: {c}");
    }
    assert!(c["pre_approved"].is_boolean() || c["pre_approved"].is_null(), "{c}");
    assert!(c["preferred_locations"].is_array() || c["preferred_locations"].is_null(), "{c}");
    assert!(c["property_preferences"].is_object() || c["property_preferences"].is_null(), "{c}");
    assert!(c["tags"].is_array() && c["custom_fields"].is_object(), "{c}");
    assert!(c["version"].as_i64().is_some_and(|v| v >= 1), "{c}");
    assert_rfc3339(&c["created_at"]);
    assert_rfc3339(&c["updated_at"]);
}

async fn seed_list_examples_answer_clients_and_meta(app: TestApp) {
    let made = create(&app, michael()).await;
    // cURL, JavaScript and Python: the same request.
    for _example in ["curl", "javascript", "python"] {
        let response = call(&app, Method::GET, CLIENTS, &app.admin_key).send().await.unwrap();
        let body = expect_status(response, StatusCode::OK).await;
        assert_eq!(body["success"], true);
        let clients = body["data"]["clients"].as_array().unwrap();
        assert_eq!(clients.len(), 1);
        assert_client_shape(&clients[0]);
        assert_eq!(clients[0], made);
        assert_eq!(clients[0]["phone"], "(661) 555-0142");
        assert_eq!(clients[0]["budget_min"], 350000);
        assert_eq!(body["data"]["meta"], json!({"page": 1, "limit": 25, "total": 1, "totalPages": 1, "hasMore": false}));
    }
}

async fn seed_create_examples_answer_201_with_the_new_client(app: TestApp) {
    let mut ids = Vec::new();
    // The bodies as cURL's -d, JavaScript's JSON.stringify and Python's json= send them.
    for body in [CREATE_CURL, CREATE_JS, CREATE_PYTHON] {
        let response = call(&app, Method::POST, CLIENTS, &app.admin_key)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let created = expect_status(response, StatusCode::CREATED).await;
        assert_eq!(created["success"], true);
        let c = &created["data"];
        assert_client_shape(c);
        assert_eq!((c["first_name"].as_str(), c["last_name"].as_str()), (Some("Jordan"), Some("Lee")));
        assert_eq!(c["client_type"], "buyer");
        assert_eq!(c["status"], "active");
        assert_eq!(c["version"], 1);
        assert_eq!(c["email"], Value::Null);
        assert_eq!(c["created_at"], c["updated_at"]);
        ids.push(assert_uuid(&c["id"]));
        assert_eq!(get_data(&app, c["id"].as_str().unwrap()).await, *c);
    }
    ids.dedup();
    assert_eq!(ids.len(), 3);
}

async fn seed_get_examples_answer_every_real_estate_field(app: TestApp) {
    let made = create(&app, michael()).await;
    let id = made["id"].as_str().unwrap();
    for _example in ["curl", "javascript", "python"] {
        let response = call(&app, Method::GET, &path(id), &app.admin_key).send().await.unwrap();
        let body = expect_status(response, StatusCode::OK).await;
        assert_eq!(body["success"], true);
        let c = &body["data"];
        assert_client_shape(c);
        assert_eq!(c["email"], "michael.torres@gmail.com");
        assert_eq!(c["phone"], "(661) 555-0142");
        assert_eq!(c["client_type"], "buyer");
        assert_eq!(c["source"], "Zillow");
        assert_eq!((c["budget_min"].clone(), c["budget_max"].clone()), (json!(350000), json!(475000)));
        assert_eq!((c["pre_approved"].clone(), c["pre_approval_amount"].clone()), (json!(true), json!(460000)));
        assert_eq!(c["preferred_locations"], json!(["Bakersfield"]));
        assert_eq!(c["property_preferences"], michael()["property_preferences"]);
        assert_eq!(c["user_id"], "550e8400-e29b-41d4-a716-446655440000");
        assert_eq!((c["notes"].as_str(), c["tags"].clone()), (Some("Wants a yard"), json!(["hot"])));
        assert_eq!(c["custom_fields"], json!({}), "vendor fields are not repeated in custom_fields");
        assert_eq!(c["version"], 1);
    }
}

async fn seed_update_examples_lock_on_version_then_validate_status(app: TestApp) {
    for raw in [UPDATE_CURL, UPDATE_JS, UPDATE_PYTHON] {
        let body: Value = serde_json::from_str(raw).unwrap();
        // As written, on a new client (version 1): version 3 is not current.
        let fresh = jordan(&app).await;
        let id = fresh["id"].as_str().unwrap();
        let response = call(&app, Method::PUT, &path(id), &app.admin_key)
            .header("Content-Type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        let error = expect_error(response, StatusCode::CONFLICT, "CONFLICT").await;
        assert!(error["message"].as_str().unwrap().contains('3'), "{error}");
        assert_eq!(get_data(&app, id).await, fresh, "a refused update changes nothing");
        // At version 3 the lock passes and "your-status" is refused.
        for note in ["one", "two"] {
            expect_status(put(&app, id, json!({"notes": note})).await, StatusCode::OK).await;
        }
        let response = call(&app, Method::PUT, &path(id), &app.admin_key).header("Content-Type", "application/json").body(raw).send().await.unwrap();
        let error = expect_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
        assert_eq!(detail_fields(&error), ["status"]);
        assert!(error["details"][0]["message"].as_str().unwrap().contains("active, inactive, closed"), "{error}");
        // With one of the documented statuses it applies.
        let mut valid = body.clone();
        valid["status"] = json!("inactive");
        let updated = expect_status(put(&app, id, valid).await, StatusCode::OK).await;
        assert_eq!(updated["success"], true);
        let c = &updated["data"];
        assert_client_shape(c);
        assert_eq!((c["email"].as_str(), c["phone"].as_str(), c["status"].as_str()), (Some("agent@example.com"), Some("(661) 555-0123"), Some("inactive")));
        assert_eq!(c["version"], 4);
        assert_eq!((c["first_name"].as_str(), c["client_type"].as_str()), (Some("Jordan"), Some("buyer")), "fields not sent are kept");
        assert_ne!(c["updated_at"], c["created_at"]);
        // The email is now taken: the next example's client gets another.
        expect_status(put(&app, id, json!({"email": null})).await, StatusCode::OK).await;
    }
}

async fn seed_delete_examples_answer_an_empty_data_and_a_timestamp(app: TestApp) {
    for _example in ["curl", "javascript", "python"] {
        let id = jordan(&app).await["id"].as_str().unwrap().to_string();
        let response = call(&app, Method::DELETE, &path(&id), &app.admin_key).send().await.unwrap();
        let body = expect_status(response, StatusCode::OK).await;
        assert_eq!((body["success"].clone(), body["data"].clone()), (json!(true), json!({})));
        assert_rfc3339(&body["timestamp"]);
        expect_error(send(&app, Method::GET, &path(&id), &app.admin_key, None).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
        expect_error(send(&app, Method::DELETE, &path(&id), &app.admin_key, None).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
        expect_error(put(&app, &id, json!({"notes": "x"})).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    }
    let list = expect_status(send(&app, Method::GET, CLIENTS, &app.admin_key, None).await, StatusCode::OK).await;
    assert_eq!(list["data"]["meta"]["total"], 0);
}

async fn put_merges_the_fields_sent_and_null_clears_one(app: TestApp) {
    let made = create(&app, michael()).await;
    let id = made["id"].as_str().unwrap();
    let patch = json!({"budget_max": 500000, "property_preferences": {"bedrooms_min": 4}, "notes": null, "client_type": "both"});
    let c = expect_status(put(&app, id, patch).await, StatusCode::OK).await["data"].clone();
    assert_eq!((c["budget_min"].clone(), c["budget_max"].clone()), (json!(350000), json!(500000)));
    assert_eq!(c["property_preferences"]["bedrooms_min"], 4);
    assert_eq!(c["property_preferences"]["square_feet_min"], 1800, "nested objects merge");
    assert_eq!(c["notes"], Value::Null);
    assert_eq!(c["client_type"], "both");
    assert_eq!(c["version"], 2);
    // A null vendor field is removed; `version` that matches is accepted.
    let c = expect_status(put(&app, id, json!({"pre_approval_amount": null, "version": 2})).await, StatusCode::OK).await["data"].clone();
    assert_eq!(c["pre_approval_amount"], Value::Null);
    assert_eq!(c["pre_approved"], true);
    // An empty body changes nothing.
    let same = expect_status(put(&app, id, json!({})).await, StatusCode::OK).await["data"].clone();
    assert_eq!(same, c);
    // client_type can't be cleared.
    let error = expect_error(put(&app, id, json!({"client_type": null})).await, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    assert_eq!(detail_fields(&error), ["client_type"]);
    // Nor can status: null would silently reset a closed client to active.
    expect_status(put(&app, id, json!({"status": "closed"})).await, StatusCode::OK).await;
    let error = expect_error(put(&app, id, json!({"status": null})).await, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    assert_eq!(detail_fields(&error), ["status"]);
    let read = expect_status(app.get(&path(id), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(read["data"]["status"], "closed");
}

async fn bad_input_is_a_validation_error_naming_each_field(app: TestApp) {
    let key = &app.admin_key;
    let error = expect_error(send(&app, Method::POST, CLIENTS, key, Some(&json!({}))).await, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    let mut fields = detail_fields(&error);
    fields.sort();
    assert_eq!(fields, ["client_type", "first_name", "last_name"]);
    for detail in error["details"].as_array().unwrap() {
        assert!(detail["message"].is_string());
    }
    let bad = json!({
        "first_name": "A", "last_name": "B", "client_type": "renter", "budget_min": -1, "budget_max": "lots",
        "pre_approved": "yes", "preferred_locations": "Fresno", "user_id": "u1",
        "property_preferences": {"bedrooms_min": "3", "pool": true}, "email": "nope", "phone": "call me"
    });
    let error = expect_error(send(&app, Method::POST, CLIENTS, key, Some(&bad)).await, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    let mut fields = detail_fields(&error);
    fields.sort();
    let mut expected = vec![
        "budget_max", "budget_min", "client_type", "pre_approved", "preferred_locations",
        "property_preferences.bedrooms_min", "property_preferences.pool", "user_id", "email", "phone",
    ];
    expected.sort();
    assert_eq!(fields, expected, "every bad field at once: {error}");
    // The canonical rules apply to the canonical fields.
    let error = expect_error(
        send(&app, Method::POST, CLIENTS, key, Some(&json!({"first_name": "A", "last_name": "B", "client_type": "buyer", "email": "nope", "phone": "call me", "status": "gone"}))).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
    )
    .await;
    let mut fields = detail_fields(&error);
    fields.sort();
    assert_eq!(fields, ["email", "phone", "status"]);
    // Unknown fields, a version on create, a non-object body, malformed JSON, another media type.
    let error = expect_error(
        send(&app, Method::POST, CLIENTS, key, Some(&json!({"first_name": "A", "last_name": "B", "client_type": "buyer", "nickname": "Al", "version": 1}))).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
    )
    .await;
    let mut fields = detail_fields(&error);
    fields.sort();
    assert_eq!(fields, ["nickname", "version"]);
    let error = expect_error(send(&app, Method::POST, CLIENTS, key, Some(&json!({"first_name": "A", "last_name": "B", "client_type": "buyer", "custom_fields": []}))).await, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    assert_eq!(detail_fields(&error), ["custom_fields"]);
    expect_error(send(&app, Method::POST, CLIENTS, key, Some(&json!([1]))).await, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    let malformed = call(&app, Method::POST, CLIENTS, key).header("Content-Type", "application/json").body("{\"first_name\":").send().await.unwrap();
    expect_error(malformed, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    let text = call(&app, Method::POST, CLIENTS, key).header("Content-Type", "text/plain").body("hi").send().await.unwrap();
    expect_error(text, StatusCode::UNSUPPORTED_MEDIA_TYPE, "VALIDATION_ERROR").await;
    // A bad version.
    let id = jordan(&app).await["id"].as_str().unwrap().to_string();
    let error = expect_error(put(&app, &id, json!({"version": "3"})).await, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    assert_eq!(detail_fields(&error), ["version"]);
    // Bad list parameters.
    // (`sort` is not a parameter here: ignored, as unknown ones are, issue 17.4.)
    for query in ["page=0", "limit=0", "limit=101", "client_type=renter", "status=gone", "page=x"] {
        let response = send(&app, Method::GET, &format!("{CLIENTS}?{query}"), key, None).await;
        let error = expect_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
        assert_eq!(detail_fields(&error).len(), 1, "{query}: {error}");
    }
    let list = expect_status(send(&app, Method::GET, CLIENTS, key, None).await, StatusCode::OK).await;
    assert_eq!(list["data"]["meta"]["total"], 1, "nothing invalid was stored");
}

async fn missing_or_unknown_keys_are_unauthorized_on_every_route(app: TestApp) {
    let id = jordan(&app).await["id"].as_str().unwrap().to_string();
    let body = json!({"first_name": "A", "last_name": "B", "client_type": "buyer"});
    for key in [None, Some("ck_live_nope")] {
        for (method, route) in [(Method::GET, CLIENTS.to_string()), (Method::POST, CLIENTS.to_string()), (Method::GET, path(&id)), (Method::PUT, path(&id)), (Method::DELETE, path(&id))] {
            let mut request = app.http.request(method.clone(), app.url(&route)).json(&body);
            if let Some(key) = key {
                request = request.header("X-API-Key", key);
            }
            expect_error(request.send().await.unwrap(), StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
        }
    }
    assert_eq!(get_data(&app, &id).await["version"], 1);
}

async fn ids_that_are_not_a_live_uuid_of_the_firm_are_not_found(app: TestApp) {
    let made = jordan(&app).await;
    let canonical = ClientId::from_uuid(made["id"].as_str().unwrap().parse().unwrap()).to_string();
    for id in ["not-a-uuid", "123", &canonical, "00000000-0000-0000-0000-000000000000", &uuid::Uuid::now_v7().to_string()] {
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            let body = (method == Method::PUT).then(|| json!({"notes": "x"}));
            let response = send(&app, method, &path(id), &app.admin_key, body.as_ref()).await;
            expect_error(response, StatusCode::NOT_FOUND, "NOT_FOUND").await;
        }
    }
    // The simple (unhyphenated) form names the same client.
    let simple = made["id"].as_str().unwrap().replace('-', "");
    assert_eq!(get_data(&app, &simple).await["id"], made["id"]);
}

async fn another_firms_client_is_not_found_on_every_route(app: TestApp) {
    let ours = create(&app, michael()).await;
    let id = ours["id"].as_str().unwrap();
    let other = app.other_firm().await;
    expect_error(send(&app, Method::GET, &path(id), &other, None).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    expect_error(send(&app, Method::PUT, &path(id), &other, Some(&json!({"notes": "mine"}))).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    expect_error(send(&app, Method::DELETE, &path(id), &other, None).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let theirs = expect_status(send(&app, Method::GET, CLIENTS, &other, None).await, StatusCode::OK).await;
    assert_eq!(theirs["data"]["meta"]["total"], 0);
    // The other firm's create is its own; ours is untouched.
    let response = send(&app, Method::POST, CLIENTS, &other, Some(&michael())).await;
    expect_status(response, StatusCode::CREATED).await;
    assert_eq!(get_data(&app, id).await, ours);
}

async fn scopes_are_enforced_on_every_route(app: TestApp) {
    let id = jordan(&app).await["id"].as_str().unwrap().to_string();
    let read = app.key("clients:read").await;
    let body = json!({"first_name": "A", "last_name": "B", "client_type": "buyer"});
    expect_error(send(&app, Method::POST, CLIENTS, &read, Some(&body)).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    // Scope is checked before the body: a read-only key learns nothing from validation.
    expect_error(send(&app, Method::POST, CLIENTS, &read, Some(&json!({}))).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    expect_error(send(&app, Method::PUT, &path(&id), &read, Some(&json!({"notes": "x"}))).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    expect_error(send(&app, Method::DELETE, &path(&id), &read, None).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    expect_status(send(&app, Method::GET, &path(&id), &read, None).await, StatusCode::OK).await;
    expect_status(send(&app, Method::GET, CLIENTS, &read, None).await, StatusCode::OK).await;
    let matters = app.key("matters:read").await;
    expect_error(send(&app, Method::GET, CLIENTS, &matters, None).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    expect_error(send(&app, Method::GET, &path(&id), &matters, None).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let write = app.key("clients:write").await;
    expect_status(send(&app, Method::PUT, &path(&id), &write, Some(&json!({"notes": "x"}))).await, StatusCode::OK).await;
    expect_status(send(&app, Method::DELETE, &path(&id), &write, None).await, StatusCode::OK).await;
}

async fn a_key_over_its_rate_limit_gets_429_in_the_vendor_shape(app: TestApp) {
    let body = json!({"name": "limited", "scopes": ["clients:read", "clients:write"], "rate_limit_per_minute": 2});
    let created = expect_status(app.post("/v1/api-keys", &app.admin_key, &body).await, StatusCode::CREATED).await;
    let key = created["data"]["secret"].as_str().unwrap().to_string();
    for _ in 0..2 {
        expect_status(send(&app, Method::GET, CLIENTS, &key, None).await, StatusCode::OK).await;
    }
    for (method, route, body) in [
        (Method::GET, CLIENTS.to_string(), None),
        (Method::POST, CLIENTS.to_string(), Some(json!({"first_name": "A", "last_name": "B", "client_type": "buyer"}))),
        (Method::GET, path(&uuid::Uuid::now_v7().to_string()), None),
        (Method::PUT, path(&uuid::Uuid::now_v7().to_string()), Some(json!({"notes": "x"}))),
        (Method::DELETE, path(&uuid::Uuid::now_v7().to_string()), None),
    ] {
        let response = send(&app, method, &route, &key, body.as_ref()).await;
        let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry_after >= 1);
        expect_error(response, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    }
    let all = expect_status(send(&app, Method::GET, CLIENTS, &app.admin_key, None).await, StatusCode::OK).await;
    assert_eq!(all["data"]["meta"]["total"], 0, "the refused create stored nothing");
}

async fn pages_report_total_total_pages_and_has_more(app: TestApp) {
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(create(&app, json!({"first_name": format!("P{i}"), "last_name": "Page", "client_type": "seller"})).await["id"].clone());
    }
    made.reverse(); // newest first
    let mut seen = Vec::new();
    for (page, count, has_more) in [(1, 2, true), (2, 2, true), (3, 1, false)] {
        let response = send(&app, Method::GET, &format!("{CLIENTS}?limit=2&page={page}"), &app.admin_key, None).await;
        let body = expect_status(response, StatusCode::OK).await;
        assert_eq!(body["data"]["meta"], json!({"page": page, "limit": 2, "total": 5, "totalPages": 3, "hasMore": has_more}));
        let clients = body["data"]["clients"].as_array().unwrap();
        assert_eq!(clients.len(), count);
        seen.extend(clients.iter().map(|c| c["id"].clone()));
    }
    assert_eq!(seen, made);
    let beyond = expect_status(send(&app, Method::GET, &format!("{CLIENTS}?limit=2&page=9"), &app.admin_key, None).await, StatusCode::OK).await;
    assert_eq!(beyond["data"]["clients"], json!([]));
    assert_eq!(beyond["data"]["meta"], json!({"page": 9, "limit": 2, "total": 5, "totalPages": 3, "hasMore": false}));
    let all = expect_status(send(&app, Method::GET, &format!("{CLIENTS}?limit=100"), &app.admin_key, None).await, StatusCode::OK).await;
    assert_eq!(all["data"]["meta"], json!({"page": 1, "limit": 100, "total": 5, "totalPages": 1, "hasMore": false}));
}

async fn lists_filter_by_client_type_and_status(app: TestApp) {
    let buyer = create(&app, json!({"first_name": "B", "last_name": "Uyer", "client_type": "buyer"})).await;
    let seller = create(&app, json!({"first_name": "S", "last_name": "Eller", "client_type": "seller", "status": "inactive"})).await;
    let both = create(&app, json!({"first_name": "B", "last_name": "Oth", "client_type": "both", "status": "closed"})).await;
    app.person("No", "Type").await; // made elsewhere, without a client_type
    let ids = |body: &Value| body["data"]["clients"].as_array().unwrap().iter().map(|c| c["id"].clone()).collect::<Vec<_>>();
    for (query, expected) in [
        ("client_type=buyer", vec![buyer["id"].clone()]),
        ("client_type=seller", vec![seller["id"].clone()]),
        ("client_type=both", vec![both["id"].clone()]),
        ("status=inactive", vec![seller["id"].clone()]),
        ("status=closed&client_type=both", vec![both["id"].clone()]),
        ("status=closed&client_type=buyer", vec![]),
    ] {
        let body = expect_status(send(&app, Method::GET, &format!("{CLIENTS}?{query}"), &app.admin_key, None).await, StatusCode::OK).await;
        assert_eq!(ids(&body), expected, "{query}");
        assert_eq!(body["data"]["meta"]["total"], expected.len(), "{query}");
    }
    let active = expect_status(send(&app, Method::GET, &format!("{CLIENTS}?status=active"), &app.admin_key, None).await, StatusCode::OK).await;
    assert_eq!(active["data"]["meta"]["total"], 2);
    let untyped = active["data"]["clients"].as_array().unwrap().iter().find(|c| c["last_name"] == "Type").unwrap().clone();
    assert_eq!(untyped["client_type"], Value::Null);
    assert_client_shape(&untyped);
}

async fn vendor_fields_are_custom_fields_on_every_surface(app: TestApp) {
    // Made here, read canonically.
    let made = create(&app, michael()).await;
    let canonical = expect_status(app.get(&canonical_path(made["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!((canonical["first_name"].as_str(), canonical["phone"].as_str()), (Some("Michael"), Some("+16615550142")));
    assert_eq!((canonical["source"].as_str(), canonical["tags"].clone()), (Some("Zillow"), json!(["hot"])));
    let custom = &canonical["custom_fields"];
    for key in ["client_type", "budget_min", "budget_max", "preferred_locations", "property_preferences", "pre_approved", "pre_approval_amount", "user_id"] {
        assert_eq!(custom[key], michael()[key], "{key}");
    }
    assert_eq!(custom.as_object().unwrap().len(), 8);
    // Made canonically, read here; other custom fields pass through.
    let other = app
        .create_client(json!({"first_name": "Ana", "last_name": "Ruiz", "phone": "+44 20 7946 0958",
            "custom_fields": {"client_type": "seller", "budget_max": 900000, "pre_approved": "maybe", "referrer": "Bo"}}))
        .await;
    let uuid = dialect_id(&other["id"]);
    let c = get_data(&app, &uuid).await;
    assert_client_shape(&c);
    assert_eq!((c["client_type"].as_str(), c["budget_max"].clone()), (Some("seller"), json!(900000)));
    assert_eq!(c["pre_approved"], Value::Null, "a value of the wrong type is not shown here");
    assert_eq!(c["phone"], "+442079460958", "numbers outside the firm's region stay E.164");
    assert_eq!(c["custom_fields"], json!({"referrer": "Bo"}), "vendor keys are not repeated");
    // Written here through custom_fields too; top-level wins over custom_fields.
    let body = json!({"custom_fields": {"referrer": null, "lead_score": 7, "budget_min": 1}, "budget_min": 2});
    let c = expect_status(put(&app, &uuid, body).await, StatusCode::OK).await["data"].clone();
    assert_eq!(c["custom_fields"], json!({"lead_score": 7}));
    assert_eq!(c["budget_min"], 2);
    let canonical = expect_status(app.get(&format!("/v1/clients/{}", other["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!(canonical["custom_fields"], json!({"client_type": "seller", "budget_max": 900000, "budget_min": 2, "pre_approved": "maybe", "lead_score": 7}));
    // A canonical change shows here.
    app.patch(&format!("/v1/clients/{}", other["id"].as_str().unwrap()), &app.admin_key, &json!({"custom_fields": {"client_type": "both"}})).await;
    assert_eq!(get_data(&app, &uuid).await["client_type"], "both");
    // A company (made canonically) shows its name.
    let company = app.create_client(json!({"kind": "company", "name": "Acme Realty"})).await;
    let c = get_data(&app, &dialect_id(&company["id"])).await;
    assert_eq!((c["company_name"].as_str(), c["first_name"].clone()), (Some("Acme Realty"), Value::Null));
}

async fn deleting_a_client_with_open_matters_is_a_conflict(app: TestApp) {
    let made = jordan(&app).await;
    let id = made["id"].as_str().unwrap();
    let client_id = ClientId::from_uuid(id.parse().unwrap()).to_string();
    let matter = app.post("/v1/matters", &app.admin_key, &json!({"client_id": client_id, "title": "Purchase"})).await;
    expect_status(matter, StatusCode::CREATED).await;
    expect_error(send(&app, Method::DELETE, &path(id), &app.admin_key, None).await, StatusCode::CONFLICT, "CONFLICT").await;
    assert_eq!(get_data(&app, id).await["id"], made["id"]);
}

/// The dialect's id (hyphenated UUID) of a canonical `cli_…` id.
fn dialect_id(canonical: &Value) -> String {
    canonical.as_str().unwrap().parse::<ClientId>().expect("a cli_ id").as_uuid().hyphenated().to_string()
}

async fn every_route_is_documented_with_its_errors_in_the_vendor_shape(app: TestApp) {
    let doc = expect_status(app.http.get(app.url("/openapi.json")).send().await.unwrap(), StatusCode::OK).await;
    let routes = [
        (CLIENTS.to_string(), "get", vec!["200", "400", "401", "403", "429"]),
        (CLIENTS.to_string(), "post", vec!["201", "400", "401", "403", "409", "429"]),
        (format!("{CLIENTS}/{{id}}"), "get", vec!["200", "401", "403", "404", "429"]),
        (format!("{CLIENTS}/{{id}}"), "put", vec!["200", "400", "401", "403", "404", "409", "429"]),
        (format!("{CLIENTS}/{{id}}"), "delete", vec!["200", "401", "403", "404", "409", "429"]),
    ];
    for (route, method, statuses) in routes {
        let op = &doc["paths"][&route][method];
        assert_eq!(op["tags"], json!(["actuallycare"]), "{method} {route}");
        for status in statuses {
            let schema = &op["responses"][status]["content"]["application/json"]["schema"]["$ref"];
            let expected = if status.starts_with('2') { schema.as_str().unwrap().to_string() } else { "#/components/schemas/ActuallycareError".into() };
            assert_eq!(schema.as_str(), Some(expected.as_str()), "{method} {route} {status}");
        }
    }
    for schema in ["ActuallycareClient", "ActuallycareClientList", "ActuallycareDeleted", "ActuallycareClientCreate", "ActuallycareClientUpdate"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}
