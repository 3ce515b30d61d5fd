//! Soft-deleted clients stay restorable for the firm's retention, then are purged.

use clientele::domain::time::Timestamp;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{expect_problem, expect_status, TestApp};

crate::store_tests!(
    deleted_clients_are_purged_after_retention_and_not_before,
    search_follows_renames_deletes_restores_and_purges,
);

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

/// The search index follows every change of a client's search text, and is
/// left consistent (on SQLite the store writes it itself, beside the row).
async fn search_follows_renames_deletes_restores_and_purges(app: TestApp) {
    let found = |q: &'static str| {
        let app = &app;
        async move { crate::support::list_ids(app, &[("q", q)]).await }
    };
    // No emails: `person`'s hold the names, which would match on their own.
    let named = |first: &str, last: &str| app.create_client(json!({"first_name": first, "last_name": last}));
    let renamed = named("Zorblat", "Quuxley").await;
    let purged = named("Vexmoor", "Quuxley").await;
    let restored = named("Tamsin", "Quuxley").await;
    let path = |c: &serde_json::Value| format!("/v1/clients/{}", c["id"].as_str().unwrap());

    expect_status(app.patch(&path(&renamed), &app.admin_key, &json!({"last_name": "Flimwright"})).await, StatusCode::OK).await;
    assert_eq!(found("flimwright").await, vec![renamed["id"].as_str().unwrap().to_string()]);
    assert_eq!(found("zorblat").await.len(), 1, "the unchanged first name still matches");
    assert_eq!(found("quuxley").await.len(), 2, "the old last name no longer matches the renamed client");

    for c in [&purged, &restored] {
        expect_status(app.delete(&path(c), &app.admin_key).await, StatusCode::NO_CONTENT).await;
    }
    assert!(found("quuxley").await.is_empty());
    expect_status(app.post(&format!("{}/restore", path(&restored)), &app.admin_key, &json!({})).await, StatusCode::OK).await;
    assert_eq!(found("quuxley").await, vec![restored["id"].as_str().unwrap().to_string()]);

    assert_eq!(app.service.purge_expired(Timestamp::now().plus_millis(31 * DAY_MS)).await.unwrap(), 1);
    assert!(found("vexmoor").await.is_empty());
    let again = named("Vexmoor", "Again").await;
    assert_eq!(found("vexmoor").await, vec![again["id"].as_str().unwrap().to_string()]);

    if let Some(db) = app.sqlite_path() {
        let conn = rusqlite::Connection::open(db).expect("open the database");
        conn.execute_batch("INSERT INTO clients_fts (clients_fts, rank) VALUES ('integrity-check', 1)")
            .expect("the search index matches the clients table");
    }
}
