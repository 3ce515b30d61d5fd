//! What every dialect shares: the OpenAPI document, the root mount, vendor
//! error shapes for errors made outside any handler, and one record seen
//! through every surface.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{expect_problem, expect_status, TestApp};

const DIALECTS: [&str; 5] = ["calmintake", "actuallycare", "clio-grow", "full-engage", "clemta"];

crate::store_tests!(
    every_dialect_route_is_documented_and_tagged_with_its_dialect,
    a_root_dialect_answers_at_slash_and_v1_stays_canonical,
    unknown_dialect_paths_are_404_in_the_vendor_shape,
    rate_limited_requests_get_429_in_the_vendor_shape,
    oversized_bodies_get_413_in_the_vendor_shape,
    thousands_of_bad_fields_get_a_bounded_400_in_the_vendor_shape,
    one_client_is_one_record_through_every_surface,
    a_replayed_refusal_keeps_the_vendor_shape,
);

async fn every_dialect_route_is_documented_and_tagged_with_its_dialect(app: TestApp) {
    let doc = expect_status(app.http.get(app.url("/openapi.json")).send().await.unwrap(), StatusCode::OK).await;
    let paths = doc["paths"].as_object().unwrap();
    for dialect in DIALECTS {
        let prefix = format!("/compat/{dialect}/");
        let mine: Vec<(&String, &Value)> = paths.iter().filter(|(p, _)| p.starts_with(&prefix)).collect();
        assert!(!mine.is_empty(), "{dialect} has no documented routes");
        for (path, item) in mine {
            for (method, operation) in item.as_object().unwrap() {
                let tags = operation["tags"].as_array().unwrap_or_else(|| panic!("{method} {path} has no tags"));
                assert_eq!(tags, &vec![json!(dialect)], "{method} {path}");
                assert!(operation["responses"].as_object().is_some_and(|r| r.len() >= 2), "{method} {path} documents its errors");
            }
        }
    }
}

/// Serves the same service with CalmIntake also mounted at `/`.
async fn root_node(app: &TestApp) -> String {
    let options = clientele::server::Options { root_dialect: Some(clientele::dialects::Dialect::Calmintake), ..Default::default() };
    crate::helpers::serve_with(app.service.clone(), options).await
}

async fn a_root_dialect_answers_at_slash_and_v1_stays_canonical(app: TestApp) {
    let base = root_node(&app).await;
    let body = json!({"first_name": "David", "last_name": "Johnson", "email": "david.johnson@example.com", "phone": "+15551234567"});
    let response = app.http.post(format!("{base}/api/v1/clients")).header("X-Api-Key", &app.admin_key).json(&body).send().await.unwrap();
    let created = expect_status(response, StatusCode::CREATED).await["data"].clone();
    let id = created["id"].as_str().unwrap();
    // The same handler at its /compat mount, and the canonical API beside it.
    let compat = expect_status(app.get(&format!("/compat/calmintake/api/v1/clients/{id}"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(compat["data"]["email"], "david.johnson@example.com");
    let response = app.http.get(format!("{base}/v1/clients/{id}")).header("X-Api-Key", &app.admin_key).send().await.unwrap();
    assert_eq!(expect_status(response, StatusCode::OK).await["data"]["kind"], "person");
    let response = app.http.get(format!("{base}/v1/clients/cli_nope")).header("X-Api-Key", &app.admin_key).send().await.unwrap();
    expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    // Errors at the root speak the dialect.
    let response = app.http.get(format!("{base}/api/v1/clients/cli_nope")).header("X-Api-Key", &app.admin_key).send().await.unwrap();
    let body = expect_status(response, StatusCode::NOT_FOUND).await;
    assert_eq!(body["error"]["code"], "client_not_found");
    let response = app.http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// The error body of a dialect is JSON and not a problem document.
async fn expect_vendor_error(response: reqwest::Response, status: StatusCode, dialect: &str) -> Value {
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = expect_status(response, status).await;
    assert_eq!(content_type, "application/json", "{dialect}: {body}");
    assert!(body.get("type").is_none() && body.get("title").is_none(), "{dialect} answered a problem document: {body}");
    body
}

async fn unknown_dialect_paths_are_404_in_the_vendor_shape(app: TestApp) {
    for dialect in DIALECTS {
        let response = app.get(&format!("/compat/{dialect}/no/such/route"), &app.admin_key).await;
        expect_vendor_error(response, StatusCode::NOT_FOUND, dialect).await;
    }
    // A dialect that doesn't exist is simply a missing route.
    expect_problem(app.get("/compat/nosuch/clients", &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
}

/// A path of each dialect that a `clients:read` key may GET.
fn list_path(dialect: &str) -> &'static str {
    match dialect {
        "calmintake" => "/compat/calmintake/api/v1/clients",
        "actuallycare" => "/compat/actuallycare/v1/clients",
        "clio-grow" => "/compat/clio-grow/api/v1/contacts",
        "full-engage" => "/compat/full-engage/api/v1/clients",
        _ => "/compat/clemta/contacts",
    }
}

async fn rate_limited_requests_get_429_in_the_vendor_shape(app: TestApp) {
    for dialect in DIALECTS {
        let body = json!({"name": "tiny", "scopes": ["clients:read", "matters:read"], "rate_limit_per_minute": 1});
        let key = expect_status(app.post("/v1/api-keys", &app.admin_key, &body).await, StatusCode::CREATED).await;
        let key = key["data"]["secret"].as_str().unwrap();
        app.get(list_path(dialect), key).await;
        let response = app.get(list_path(dialect), key).await;
        assert!(response.headers().get("retry-after").is_some(), "{dialect}: Retry-After");
        assert!(response.headers().get("ratelimit").is_some(), "{dialect}: RateLimit");
        expect_vendor_error(response, StatusCode::TOO_MANY_REQUESTS, dialect).await;
    }
}

async fn oversized_bodies_get_413_in_the_vendor_shape(app: TestApp) {
    let huge = format!("{{\"notes\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let posts = [
        "/compat/calmintake/api/v1/clients",
        "/compat/actuallycare/v1/clients",
        "/compat/clio-grow/api/v1/inbox_leads",
        "/compat/full-engage/api/v1/clients",
        "/compat/clemta/contacts",
    ];
    for (dialect, path) in DIALECTS.iter().zip(posts) {
        let response = app
            .request(reqwest::Method::POST, path, &app.admin_key)
            .header("content-type", "application/json")
            .body(huge.clone())
            .send()
            .await
            .unwrap();
        expect_vendor_error(response, StatusCode::PAYLOAD_TOO_LARGE, dialect).await;
    }
}

async fn thousands_of_bad_fields_get_a_bounded_400_in_the_vendor_shape(app: TestApp) {
    let mut body = serde_json::Map::new();
    for i in 0..3000 {
        body.insert(format!("unknown_field_{i}_{}", "x".repeat(40)), json!(1));
    }
    let body = Value::Object(body);
    let posts = [
        "/compat/calmintake/api/v1/clients",
        "/compat/actuallycare/v1/clients",
        "/compat/full-engage/api/v1/clients",
        "/compat/clemta/contacts",
    ];
    for path in posts {
        let response = app.post(path, &app.admin_key, &body).await;
        let error = expect_vendor_error(response, StatusCode::BAD_REQUEST, path).await;
        assert!(error.to_string().len() < 64 * 1024, "{path}: {} bytes", error.to_string().len());
    }
    let problem = expect_problem(app.post("/v1/clients", &app.admin_key, &body).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 100);
    let detail = problem["detail"].as_str().unwrap();
    // 3,000 unknown fields and a missing last name (a first name is optional: issue 17.1).
    assert!(detail.starts_with("3001 field(s) are invalid") && detail.ends_with(" and 2981 more"), "{}", &detail[..80]);
}

/// A UUID-form id from a canonical `cli_…` one, through the `/v1` view of
/// another dialect's listing.
async fn one_client_is_one_record_through_every_surface(app: TestApp) {
    // Created through CalmIntake with a field only some dialects show.
    let body = json!({
        "first_name": "Jordan", "last_name": "Lee", "email": "jordan.lee@example.com", "phone": "+16615550142",
        "custom_fields": {"client_type": "buyer", "budget_min": 350000}
    });
    let created = expect_status(app.post("/compat/calmintake/api/v1/clients", &app.admin_key, &body).await, StatusCode::CREATED).await["data"].clone();
    let id = created["id"].as_str().unwrap();
    let canonical = expect_status(app.get(&format!("/v1/clients/{id}"), &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!(canonical["email"], "jordan.lee@example.com");

    // Each other dialect finds it in its list and shows the same person.
    let care = expect_status(app.get("/compat/actuallycare/v1/clients", &app.admin_key).await, StatusCode::OK).await;
    let care = &care["data"]["clients"][0];
    assert_eq!((care["first_name"].as_str(), care["email"].as_str()), (Some("Jordan"), Some("jordan.lee@example.com")));
    assert_eq!(care["client_type"], "buyer");
    assert_eq!(care["budget_min"], 350000);
    let uuid = care["id"].as_str().unwrap().to_string();

    let engage = expect_status(app.get(&format!("/compat/full-engage/api/v1/clients/{uuid}"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(engage["data"]["name"], "Jordan Lee");
    assert_eq!(engage["data"]["id"], uuid.as_str());

    let clemta = expect_status(app.get(&format!("/compat/clemta/contacts/{uuid}"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(clemta["data"]["full_name"], "Jordan Lee");
    assert_eq!(clemta["data"]["email"], "jordan.lee@example.com");

    let grow = expect_status(app.get("/compat/clio-grow/api/v1/contacts", &app.admin_key).await, StatusCode::OK).await;
    let contact = &grow["data"][0];
    assert_eq!(contact["name"], "Jordan Lee");
    assert_eq!(contact["emails"], json!(["jordan.lee@example.com"]));
    assert_eq!(contact["global_id"], id.trim_start_matches("cli_"));
    let seq = contact["id"].as_i64().expect("integer id");
    let one = expect_status(app.get(&format!("/compat/clio-grow/api/v1/contacts/{seq}"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(one["data"]["global_id"], contact["global_id"]);

    // A change through one dialect shows through all the others.
    let patch = json!({"status": "inactive", "notes": "No longer active"});
    expect_status(app.patch(&format!("/compat/full-engage/api/v1/clients/{uuid}"), &app.admin_key, &patch).await, StatusCode::OK).await;
    let canonical = expect_status(app.get(&format!("/v1/clients/{id}"), &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!((canonical["status"].as_str(), canonical["notes"].as_str()), (Some("inactive"), Some("No longer active")));
    let care = expect_status(app.get(&format!("/compat/actuallycare/v1/clients/{uuid}"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(care["data"]["status"], "inactive");
    assert_eq!(care["data"]["budget_min"], 350000, "vendor-only fields survive other dialects' writes");
    let calm = expect_status(app.get(&format!("/compat/calmintake/api/v1/clients/{id}"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(calm["data"]["notes"], "No longer active");
    assert_eq!(calm["data"]["custom_fields"]["client_type"], "buyer");
}

async fn a_replayed_refusal_keeps_the_vendor_shape(app: TestApp) {
    let send = || {
        app.request(reqwest::Method::POST, "/compat/calmintake/api/v1/clients", &app.admin_key)
            .header("Idempotency-Key", "refused-once")
            .json(&json!({"first_name": "Ann"}))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::BAD_REQUEST);
    let first: Value = first.json().await.unwrap();
    let replay = send().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.headers()["content-type"], "application/json");
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["error"]["code"], "invalid_request", "{replay}");
    assert_eq!(replay["error"]["details"], first["error"]["details"]);
}
