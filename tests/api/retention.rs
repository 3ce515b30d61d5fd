//! Soft-deleted clients stay restorable for the firm's retention, then are purged.

use clientele::domain::time::Timestamp;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{expect_problem, expect_status, TestApp};

crate::store_tests!(deleted_clients_are_purged_after_retention_and_not_before);

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

async fn deleted_clients_are_purged_after_retention_and_not_before(app: TestApp) {
    let old = app.person("Old", "Deleted").await;
    let kept = app.person("Live", "Client").await;
    let old_path = format!("/v1/clients/{}", old["id"].as_str().unwrap());
    expect_status(app.delete(&old_path, &app.admin_key).await, StatusCode::NO_CONTENT).await;

    // A day later (retention is 30 days) nothing is purged.
    assert_eq!(app.service.purge_expired(Timestamp::now().plus_millis(DAY_MS)).await.unwrap(), 0);
    // After the retention period the deleted client is erased, the live one untouched.
    assert_eq!(app.service.purge_expired(Timestamp::now().plus_millis(31 * DAY_MS)).await.unwrap(), 1);
    expect_problem(app.post(&format!("{old_path}/restore"), &app.admin_key, &json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_status(app.get(&format!("/v1/clients/{}", kept["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await;

    let events = expect_status(app.get("/v1/events?limit=500", &app.admin_key).await, StatusCode::OK).await;
    let purge = events["data"].as_array().unwrap().iter().find(|e| e["type"] == "client.purged").expect("a purge event");
    assert_eq!(purge["resource_id"], old["id"]);
    assert!(purge["before"].is_null() && purge["after"].is_null(), "a purge keeps no copy of the data");
}
