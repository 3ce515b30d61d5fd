//! The CalmIntake dialect (docs/dialects/calmintake.md): every seed example
//! replayed as written, each error it lists, paging, scopes and tenancy, on
//! both stores.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{expect_status, TestApp};

const CLIENTS: &str = "/compat/calmintake/api/v1/clients";

fn client_path(id: &str) -> String {
    format!("{CLIENTS}/{id}")
}

/// Asserts CalmIntake's error body and returns it.
async fn expect_error(response: reqwest::Response, status: StatusCode, code: &str) -> Value {
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = expect_status(response, status).await;
    assert_eq!(content_type, "application/json", "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    body
}

fn detail_fields(body: &Value) -> Vec<String> {
    body["error"]["details"].as_array().map(|d| d.iter().map(|e| e["field"].as_str().unwrap_or("").to_string()).collect()).unwrap_or_default()
}

/// The seed's full request body example.
fn full_example() -> Value {
    json!({
        "first_name": "David",
        "last_name": "Johnson",
        "email": "david.johnson@example.com",
        "phone": "+15551234567",
        "date_of_birth": "1985-06-15",
        "address": {"line1": "123 Main St", "line2": "Apt 4B", "city": "Austin", "state": "TX", "zip": "78701"},
        "notes": "Referred by Martinez Law",
        "custom_fields": {"referral_source": "existing_client", "language": "en"}
    })
}

async fn create(app: &TestApp, body: &Value) -> Value {
    expect_status(app.post(CLIENTS, &app.admin_key, body).await, StatusCode::CREATED).await["data"].clone()
}

crate::store_tests!(
    the_curl_create_example_works_as_written,
    the_full_request_example_answers_the_documented_response,
    list_answers_numbered_pages_with_totals,
    list_sorts_by_created_at_or_last_name_in_either_order,
    list_searches_by_name_or_email,
    list_refuses_bad_page_parameters,
    get_includes_the_summaries_of_the_clients_matters_for_clients_read,
    the_patch_example_changes_only_the_fields_sent,
    missing_names_are_invalid_request_naming_each_field,
    malformed_and_unknown_input_is_invalid_request,
    duplicate_email_is_409_on_create_and_update,
    missing_or_wrong_keys_are_401,
    keys_without_the_scope_are_403,
    unknown_ids_are_client_not_found,
    another_firms_clients_are_not_found_and_not_listed,
    a_client_is_the_same_record_through_v1,
    writes_through_the_dialect_are_audited,
);

async fn the_curl_create_example_works_as_written(app: TestApp) {
    let response = app
        .http
        .post(app.url(CLIENTS))
        .header("X-Api-Key", &app.admin_key)
        .header("Content-Type", "application/json")
        .body(r#"{
"first_name": "David",
"last_name": "Johnson",
"email": "david.johnson@example.com",
"phone": "+15551234567"
}"#)
        .send()
        .await
        .unwrap();
    let data = expect_status(response, StatusCode::CREATED).await["data"].clone();
    assert!(data["id"].as_str().unwrap().starts_with("cli_"));
    assert_eq!(data["first_name"], "David");
    assert_eq!(data["last_name"], "Johnson");
    assert_eq!(data["email"], "david.johnson@example.com");
    assert_eq!(data["phone"], "+15551234567");
    assert_eq!(data["matters_count"], 0);
}

async fn the_full_request_example_answers_the_documented_response(app: TestApp) {
    let data = create(&app, &full_example()).await;
    let documented = [
        "id", "first_name", "last_name", "email", "phone", "date_of_birth", "address", "notes", "custom_fields", "matters_count",
        "created_at", "updated_at",
    ];
    let keys: Vec<&str> = data.as_object().unwrap().keys().map(String::as_str).collect();
    for key in documented {
        assert!(keys.contains(&key), "{key} missing from {data}");
    }
    assert_eq!(data["date_of_birth"], "1985-06-15");
    assert_eq!(data["address"], json!({"line1": "123 Main St", "line2": "Apt 4B", "city": "Austin", "state": "TX", "zip": "78701"}));
    assert_eq!(data["notes"], "Referred by Martinez Law");
    assert_eq!(data["custom_fields"], json!({"referral_source": "existing_client", "language": "en"}));
    assert!(clientele::domain::time::Timestamp::parse(data["created_at"].as_str().unwrap()).is_some());
    assert_eq!(data["created_at"], data["updated_at"]);
}

async fn list_answers_numbered_pages_with_totals(app: TestApp) {
    for n in 0..5 {
        create(&app, &json!({"first_name": "Page", "last_name": format!("P{n}")})).await;
    }
    let first = expect_status(app.get(&format!("{CLIENTS}?per_page=2"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(first["pagination"], json!({"page": 1, "per_page": 2, "total": 5, "has_more": true}));
    let last = expect_status(app.get(&format!("{CLIENTS}?per_page=2&page=3"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(last["pagination"], json!({"page": 3, "per_page": 2, "total": 5, "has_more": false}));
    assert_eq!(last["data"].as_array().unwrap().len(), 1);
    let beyond = expect_status(app.get(&format!("{CLIENTS}?per_page=2&page=9"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(beyond["data"], json!([]));
    let default = expect_status(app.get(CLIENTS, &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(default["pagination"]["per_page"], 20);
    let item = &default["data"][0];
    let keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
    for key in ["id", "first_name", "last_name", "email", "phone", "matters_count", "created_at"] {
        assert!(keys.contains(&key), "{key} missing from {item}");
    }
    // Every client appears on exactly one page.
    let mut seen = Vec::new();
    for page in 1..=3 {
        let body = expect_status(app.get(&format!("{CLIENTS}?per_page=2&page={page}"), &app.admin_key).await, StatusCode::OK).await;
        seen.extend(body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()));
    }
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (5, 5));
}

async fn list_sorts_by_created_at_or_last_name_in_either_order(app: TestApp) {
    for last in ["Brown", "Adams", "Clark"] {
        create(&app, &json!({"first_name": "S", "last_name": last})).await;
    }
    let names = |body: &Value| body["data"].as_array().unwrap().iter().map(|c| c["last_name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let newest_first = expect_status(app.get(CLIENTS, &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(names(&newest_first), ["Clark", "Adams", "Brown"]);
    let oldest_first = expect_status(app.get(&format!("{CLIENTS}?order=asc"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(names(&oldest_first), ["Brown", "Adams", "Clark"]);
    let by_name = expect_status(app.get(&format!("{CLIENTS}?sort=last_name&order=asc"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(names(&by_name), ["Adams", "Brown", "Clark"]);
    let by_name_desc = expect_status(app.get(&format!("{CLIENTS}?sort=last_name"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(names(&by_name_desc), ["Clark", "Brown", "Adams"]);
}

async fn list_searches_by_name_or_email(app: TestApp) {
    create(&app, &json!({"first_name": "Maria", "last_name": "Martinez", "email": "maria.m@example.com"})).await;
    create(&app, &json!({"first_name": "David", "last_name": "Johnson", "email": "dj@example.com"})).await;
    for term in ["martinez", "MARIA.M@", "Maria Mart"] {
        let body = expect_status(app.request(Method::GET, CLIENTS, &app.admin_key).query(&[("search", term)]).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(body["pagination"]["total"], 1, "{term}: {body}");
        assert_eq!(body["data"][0]["last_name"], "Martinez");
    }
}

async fn list_refuses_bad_page_parameters(app: TestApp) {
    // An unknown parameter is ignored, as the vendor ignores it (issue 17.4).
    expect_status(app.get(&format!("{CLIENTS}?colour=red"), &app.admin_key).await, StatusCode::OK).await;
    for query in ["per_page=101", "per_page=0", "page=0", "page=x", "sort=email", "order=up"] {
        let body = expect_error(app.get(&format!("{CLIENTS}?{query}"), &app.admin_key).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        let name = query.split('=').next().unwrap();
        assert_eq!(detail_fields(&body), [name], "{query}: {body}");
    }
}

async fn get_includes_the_summaries_of_the_clients_matters_for_clients_read(app: TestApp) {
    let client = create(&app, &full_example()).await;
    let id = client["id"].as_str().unwrap();
    let matter = json!({"client_id": id, "title": "Johnson v. Smith", "practice_area": "personal_injury"});
    let matter = expect_status(app.post("/v1/matters", &app.admin_key, &matter).await, StatusCode::CREATED).await["data"].clone();
    let body = expect_status(app.get(&client_path(id), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(
        body["data"]["matters"],
        json!([{"id": matter["id"], "title": "Johnson v. Smith", "status": "active", "practice_area": "personal_injury"}])
    );
    assert_eq!(body["data"]["matters_count"], 1);
    assert_eq!(body["data"]["address"]["zip"], "78701");
    // `clients:read` is the client's full details, its matters' summaries
    // included, as the seed says (issue 17.2; it used to need `matters:read`).
    let reader = app.key("clients:read").await;
    let read = expect_status(app.get(&client_path(id), &reader).await, StatusCode::OK).await;
    assert_eq!(read["data"]["matters"], body["data"]["matters"], "{read}");
    assert_eq!(read["data"]["matters_count"], 1);
    // Nothing more of a matter than the summary: the rest needs `matters:read`.
    let shown = read["data"]["matters"][0].as_object().unwrap();
    let mut keys: Vec<&str> = shown.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["id", "practice_area", "status", "title"]);
    // Another firm's key sees neither the client nor its matters.
    let other = app.other_firm().await;
    expect_status(app.get(&client_path(id), &other).await, StatusCode::NOT_FOUND).await;
}

async fn the_patch_example_changes_only_the_fields_sent(app: TestApp) {
    let client = create(&app, &full_example()).await;
    let id = client["id"].as_str().unwrap();
    let patch = json!({
        "phone": "+15550001111",
        "address": {"line1": "456 Oak Ave", "city": "Austin", "state": "TX", "zip": "78702"},
        "notes": "Moved to new address. Preferred contact: phone."
    });
    let data = expect_status(app.patch(&client_path(id), &app.admin_key, &patch).await, StatusCode::OK).await["data"].clone();
    assert_eq!(data["phone"], "+15550001111");
    assert_eq!(data["address"], json!({"line1": "456 Oak Ave", "line2": "Apt 4B", "city": "Austin", "state": "TX", "zip": "78702"}));
    assert_eq!(data["notes"], "Moved to new address. Preferred contact: phone.");
    assert_eq!(data["email"], "david.johnson@example.com");
    assert_eq!(data["custom_fields"], client["custom_fields"]);
    assert_eq!(data["matters"], json!([]), "Update answers the Get schema");
    let read = expect_status(app.get(&client_path(id), &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!(read["address"], data["address"]);
    // null clears.
    let cleared = expect_status(app.patch(&client_path(id), &app.admin_key, &json!({"notes": null})).await, StatusCode::OK).await;
    assert_eq!(cleared["data"]["notes"], Value::Null);
}

async fn missing_names_are_invalid_request_naming_each_field(app: TestApp) {
    let body = expect_error(app.post(CLIENTS, &app.admin_key, &json!({"email": "x@example.com"})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(detail_fields(&body), ["first_name", "last_name"]);
    let bad = json!({"first_name": "A", "last_name": "B", "email": "nope", "phone": "abc", "date_of_birth": "1985-13-01", "address": {"zip": 5}});
    let body = expect_error(app.post(CLIENTS, &app.admin_key, &bad).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    let fields = detail_fields(&body);
    for field in ["email", "phone", "date_of_birth", "address.zip"] {
        assert!(fields.contains(&field.to_string()), "{field} not in {fields:?}");
    }
    let listed = expect_status(app.get(CLIENTS, &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(listed["pagination"]["total"], 0, "a refused write stored nothing");
}

async fn malformed_and_unknown_input_is_invalid_request(app: TestApp) {
    let response = app.request(Method::POST, CLIENTS, &app.admin_key).header("content-type", "application/json").body("{\"first_name\":").send().await.unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = app.request(Method::POST, CLIENTS, &app.admin_key).body("first_name=A").send().await.unwrap();
    expect_error(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_request").await;
    let unknown = json!({"first_name": "A", "last_name": "B", "kind": "company", "address": {"street": "x"}});
    let body = expect_error(app.post(CLIENTS, &app.admin_key, &unknown).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(detail_fields(&body), ["kind"]);
    for key in ["street", "region", "postal_code"] {
        let nested = json!({"first_name": "A", "last_name": "B", "address": {key: "x"}});
        let body = expect_error(app.post(CLIENTS, &app.admin_key, &nested).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(detail_fields(&body), ["address"]);
        assert!(body["error"]["details"][0]["message"].as_str().unwrap().contains(key), "{body}");
    }
    let bidi = json!({"first_name": "A", "last_name": "\u{202e}Tables"});
    let body = expect_error(app.post(CLIENTS, &app.admin_key, &bidi).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(detail_fields(&body), ["last_name"]);
    let injection = json!({"first_name": "Robert'); DROP TABLE clients;--", "last_name": "Tables"});
    let data = create(&app, &injection).await;
    assert_eq!(data["first_name"], "Robert'); DROP TABLE clients;--");
}

async fn duplicate_email_is_409_on_create_and_update(app: TestApp) {
    create(&app, &full_example()).await;
    let again = json!({"first_name": "Dave", "last_name": "J", "email": "DAVID.JOHNSON@example.com"});
    expect_error(app.post(CLIENTS, &app.admin_key, &again).await, StatusCode::CONFLICT, "duplicate_email").await;
    let other = create(&app, &json!({"first_name": "Other", "last_name": "Person"})).await;
    let patch = json!({"email": "david.johnson@example.com"});
    expect_error(app.patch(&client_path(other["id"].as_str().unwrap()), &app.admin_key, &patch).await, StatusCode::CONFLICT, "duplicate_email").await;
}

async fn missing_or_wrong_keys_are_401(app: TestApp) {
    let response = app.http.get(app.url(CLIENTS)).send().await.unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let response = app.http.post(app.url(CLIENTS)).header("X-Api-Key", "ch_live_sk_abc123xyz").json(&full_example()).send().await.unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

async fn keys_without_the_scope_are_403(app: TestApp) {
    let client = create(&app, &full_example()).await;
    let path = client_path(client["id"].as_str().unwrap());
    let reader = app.key("clients:read").await;
    expect_error(app.post(CLIENTS, &reader, &json!({"first_name": "A", "last_name": "B"})).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    expect_error(app.patch(&path, &reader, &json!({"notes": "x"})).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let writer = app.key("matters:read").await;
    expect_error(app.get(CLIENTS, &writer).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    expect_error(app.get(&path, &writer).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
}

async fn unknown_ids_are_client_not_found(app: TestApp) {
    for id in ["cli_01HABC", "01HABC", "cli_00000000000000000000000000", "%FF"] {
        expect_error(app.get(&client_path(id), &app.admin_key).await, StatusCode::NOT_FOUND, "client_not_found").await;
    }
    expect_error(app.patch(&client_path("cli_01HABC"), &app.admin_key, &json!({"notes": "x"})).await, StatusCode::NOT_FOUND, "client_not_found").await;
}

async fn another_firms_clients_are_not_found_and_not_listed(app: TestApp) {
    let client = create(&app, &full_example()).await;
    let path = client_path(client["id"].as_str().unwrap());
    let other = app.other_firm().await;
    // Another firm's client is indistinguishable from a missing one (see
    // docs/dialects/calmintake.md on the seed's 403 `forbidden`).
    expect_error(app.get(&path, &other).await, StatusCode::NOT_FOUND, "client_not_found").await;
    expect_error(app.patch(&path, &other, &json!({"notes": "mine now"})).await, StatusCode::NOT_FOUND, "client_not_found").await;
    let listed = expect_status(app.get(CLIENTS, &other).await, StatusCode::OK).await;
    assert_eq!(listed["pagination"]["total"], 0);
    let unchanged = expect_status(app.get(&path, &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(unchanged["data"]["notes"], "Referred by Martinez Law");
}

async fn a_client_is_the_same_record_through_v1(app: TestApp) {
    let data = create(&app, &full_example()).await;
    let id = data["id"].as_str().unwrap();
    let canonical = expect_status(app.get(&format!("/v1/clients/{id}"), &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!(canonical["kind"], "person");
    assert_eq!(canonical["address"]["region"], "TX");
    assert_eq!(canonical["address"]["postal_code"], "78701");
    assert_eq!(canonical["custom_fields"], data["custom_fields"]);
    expect_status(app.patch(&format!("/v1/clients/{id}"), &app.admin_key, &json!({"address": {"region": "CA"}})).await, StatusCode::OK).await;
    let read = expect_status(app.get(&client_path(id), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(read["data"]["address"]["state"], "CA");
}

async fn writes_through_the_dialect_are_audited(app: TestApp) {
    let data = create(&app, &full_example()).await;
    let id = data["id"].as_str().unwrap();
    expect_status(app.patch(&client_path(id), &app.admin_key, &json!({"notes": "n"})).await, StatusCode::OK).await;
    let events = expect_status(app.get("/v1/events?limit=100", &app.admin_key).await, StatusCode::OK).await;
    let kinds: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource_id"] == id)
        .map(|e| e["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["client.created", "client.updated"], "{events}");
}
