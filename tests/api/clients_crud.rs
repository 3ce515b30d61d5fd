use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{expect_problem, expect_status, TestApp};

crate::store_tests!(create_then_get_returns_the_same_client, soft_delete_hides_and_restore_brings_back);

async fn create_then_get_returns_the_same_client(app: TestApp) {
    let response = app
        .post("/v1/clients", &app.admin_key, &json!({"first_name": "David", "last_name": "Johnson", "email": "david@example.com", "phone": "(555) 123-4567"}))
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let created = expect_status(response, StatusCode::CREATED).await["data"].clone();
    assert_eq!(location, format!("/v1/clients/{}", created["id"].as_str().unwrap()));
    assert_eq!(etag, "\"1\"");
    assert_eq!(created["phone"], "+15551234567");
    assert_eq!(created["name"], "David Johnson");
    let fetched = expect_status(app.get(&location, &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!(fetched, created);
}

async fn soft_delete_hides_and_restore_brings_back(app: TestApp) {
    let client = app.person("Ann", "Lee").await;
    let path = format!("/v1/clients/{}", client["id"].as_str().unwrap());
    expect_status(app.delete(&path, &app.admin_key).await, StatusCode::NO_CONTENT).await;
    expect_problem(app.get(&path, &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
    let restored = expect_status(app.post(&format!("{path}/restore"), &app.admin_key, &json!({})).await, StatusCode::OK).await;
    assert_eq!(restored["data"]["version"], 3);
    expect_status(app.get(&path, &app.admin_key).await, StatusCode::OK).await;
}
