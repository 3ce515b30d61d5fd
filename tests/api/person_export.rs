//! `GET /v1/clients/{id}/export`: everything held about one person, with its
//! manifest; deleted clients within retention; many pages; admin only and
//! within the firm (docs/privacy.md, "Access and portability").

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{expect_problem, expect_status, TestApp};
use crate::records::{created, new_matter, ok, text};

crate::store_tests!(
    an_export_holds_everything_about_the_person,
    a_deleted_client_is_exported_with_its_deleted_matters,
    an_export_walks_many_pages_of_records_and_events,
    an_export_needs_admin_and_stays_in_the_firm,
    an_export_takes_no_parameters,
);

async fn export(app: &TestApp, id: &str) -> Value {
    let response = app.get(&format!("/v1/clients/{id}/export"), &app.admin_key).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).expect("one JSON document");
    body["data"].clone()
}

fn ids_of(doc: &Value, section: &str) -> BTreeSet<String> {
    doc[section].as_array().unwrap_or_else(|| panic!("{section} is an array: {doc}")).iter().map(|r| text(r, "id").to_string()).collect()
}

/// The manifest counts what each section holds.
fn check_manifest(doc: &Value) {
    let manifest = &doc["manifest"];
    assert!(manifest["generated_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{manifest}");
    assert_eq!(manifest["client_id"], doc["client"]["id"]);
    assert_eq!(manifest["counts"]["clients"], 1);
    for section in ["matters", "notes", "leads", "custom_fields", "events"] {
        assert_eq!(manifest["counts"][section], doc[section].as_array().unwrap().len(), "{section}");
    }
}

async fn an_export_holds_everything_about_the_person(app: TestApp) {
    let def = |entity: &str, key: &str| json!({"entity": entity, "key": key, "label": key, "type": "text"});
    let tier = created(app.post("/v1/custom-fields", &app.admin_key, &def("client", "tier")).await).await;
    let court = created(app.post("/v1/custom-fields", &app.admin_key, &def("matter", "court")).await).await;
    created(app.post("/v1/custom-fields", &app.admin_key, &def("client", "unused")).await).await;
    let lead = created(app.post("/v1/leads", &app.admin_key, &json!({"first_name": "Dana", "last_name": "Cole", "email": "dana@example.com"})).await).await;
    let converted = created(app.post(&format!("/v1/leads/{}/convert", text(&lead, "id")), &app.admin_key, &json!({"matter": {"title": "Lease"}})).await).await;
    let client = converted["client"].clone();
    let id = text(&client, "id").to_string();
    ok(app.patch(&format!("/v1/clients/{id}"), &app.admin_key, &json!({"custom_fields": {"tier": "gold"}})).await).await;
    let matter = new_matter(&app, &id, "Estate", json!({"custom_fields": {"court": "High"}})).await;
    let note = created(app.post(&format!("/v1/clients/{id}/notes"), &app.admin_key, &json!({"body": "Called"})).await).await;
    let matter_note = created(app.post(&format!("/v1/matters/{}/notes", text(&matter, "id")), &app.admin_key, &json!({"body": "Filed"})).await).await;
    // Someone else's records stay out.
    let other = app.person("Other", "Person").await;
    new_matter(&app, text(&other, "id"), "Theirs", json!({})).await;
    created(app.post(&format!("/v1/clients/{}/notes", text(&other, "id")), &app.admin_key, &json!({"body": "Not hers"})).await).await;

    let doc = export(&app, &id).await;
    assert_eq!(doc["client"]["id"], client["id"]);
    assert_eq!(doc["client"]["custom_fields"]["tier"], "gold");
    assert_eq!(doc["client"]["deleted_at"], Value::Null);
    let matters = ids_of(&doc, "matters");
    assert_eq!(matters, BTreeSet::from([text(&converted["matter"], "id").to_string(), text(&matter, "id").to_string()]));
    assert_eq!(ids_of(&doc, "notes"), BTreeSet::from([text(&note, "id").to_string(), text(&matter_note, "id").to_string()]));
    assert_eq!(ids_of(&doc, "leads"), BTreeSet::from([text(&lead, "id").to_string()]));
    assert_eq!(doc["leads"][0]["state"], "converted");
    assert_eq!(ids_of(&doc, "custom_fields"), BTreeSet::from([text(&tier, "id").to_string(), text(&court, "id").to_string()]));
    check_manifest(&doc);

    // Every event about each of these records, and no other.
    let mut records: BTreeSet<String> = [id.clone()].into();
    for section in ["matters", "notes", "leads", "custom_fields"] {
        records.extend(ids_of(&doc, section));
    }
    let events = doc["events"].as_array().unwrap();
    let about: BTreeSet<String> = events.iter().map(|e| text(e, "resource_id").to_string()).collect();
    assert_eq!(about, records, "each record has its events, nobody else's are there");
    let types: Vec<&str> = events.iter().map(|e| text(e, "type")).collect();
    for wanted in ["client.created", "client.updated", "matter.created", "note.created", "lead.created", "lead.converted", "custom_field.created"] {
        assert!(types.contains(&wanted), "{wanted} in {types:?}");
    }
    let log = expect_status(app.get("/v1/events?limit=500", &app.admin_key).await, StatusCode::OK).await;
    let expected = log["data"].as_array().unwrap().iter().filter(|e| records.contains(text(e, "resource_id"))).count();
    assert_eq!(events.len(), expected);
}

async fn a_deleted_client_is_exported_with_its_deleted_matters(app: TestApp) {
    let client = app.person("Gone", "Away").await;
    let id = text(&client, "id").to_string();
    let matter = new_matter(&app, &id, "Closed case", json!({"status": "closed"})).await;
    created(app.post(&format!("/v1/clients/{id}/notes"), &app.admin_key, &json!({"body": "Before leaving"})).await).await;
    expect_status(app.delete(&format!("/v1/clients/{id}"), &app.admin_key).await, StatusCode::NO_CONTENT).await;
    expect_problem(app.get(&format!("/v1/clients/{id}"), &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;

    let doc = export(&app, &id).await;
    assert!(doc["client"]["deleted_at"].is_string(), "{}", doc["client"]);
    assert_eq!(doc["client"]["email"], client["email"]);
    assert_eq!(doc["matters"][0]["id"], matter["id"]);
    assert!(doc["matters"][0]["deleted_at"].is_string(), "the matter deleted with its client is still held");
    assert_eq!(doc["notes"].as_array().unwrap().len(), 1);
    let types: Vec<&str> = doc["events"].as_array().unwrap().iter().map(|e| text(e, "type")).collect();
    assert!(types.contains(&"client.deleted") && types.contains(&"matter.deleted"), "{types:?}");
    check_manifest(&doc);
}

async fn an_export_walks_many_pages_of_records_and_events(app: TestApp) {
    let client = app.person("Busy", "Person").await;
    let id = text(&client, "id").to_string();
    // More than a page (500) of matters, and of events about the client itself.
    let creates: Vec<Value> = (0..510).map(|i| json!({"op": "create", "data": {"client_id": id, "title": format!("M{i}"), "status": "closed"}})).collect();
    let answer = expect_status(app.post("/v1/matters/batch", &app.admin_key, &json!({"operations": creates})).await, StatusCode::OK).await;
    assert!(answer["data"].as_array().unwrap().iter().all(|r| r["status"] == 201));
    let updates: Vec<Value> = (0..505).map(|i| json!({"op": "update", "id": id, "data": {"source": format!("s{i}")}})).collect();
    let answer = expect_status(app.post("/v1/clients/batch", &app.admin_key, &json!({"operations": updates})).await, StatusCode::OK).await;
    assert!(answer["data"].as_array().unwrap().iter().all(|r| r["status"] == 200), "{}", answer["data"][0]);

    let doc = export(&app, &id).await;
    assert_eq!(ids_of(&doc, "matters").len(), 510);
    let events = doc["events"].as_array().unwrap();
    let about_client: Vec<i64> = events.iter().filter(|e| e["resource_id"] == client["id"]).map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(about_client.len(), 506, "created, then 505 updates");
    assert!(about_client.windows(2).all(|w| w[0] < w[1]), "oldest first, each once");
    assert_eq!(events.len(), 506 + 510);
    check_manifest(&doc);
}

async fn an_export_needs_admin_and_stays_in_the_firm(app: TestApp) {
    let client = app.person("Private", "Person").await;
    let path = format!("/v1/clients/{}/export", text(&client, "id"));
    let reader = app.key("clients:read,matters:read,notes:read,leads:read").await;
    expect_problem(app.get(&path, &reader).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let other = app.other_firm().await;
    expect_problem(app.get(&path, &other).await, StatusCode::NOT_FOUND, "not_found").await;
    let theirs = expect_status(app.post("/v1/clients", &other, &json!({"first_name": "Their", "last_name": "Client"})).await, StatusCode::CREATED).await;
    expect_problem(app.get(&format!("/v1/clients/{}/export", text(&theirs["data"], "id")), &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_problem(app.get("/v1/clients/cli_nonsense/export", &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
    let unauthenticated = app.http.get(app.url(&path)).send().await.unwrap();
    expect_problem(unauthenticated, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // Reading is no change: no event is written.
    let before = expect_status(app.get("/v1/events?limit=500", &app.admin_key).await, StatusCode::OK).await;
    export(&app, text(&client, "id")).await;
    let after = expect_status(app.get("/v1/events?limit=500", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(before["data"].as_array().unwrap().len(), after["data"].as_array().unwrap().len());
}

async fn an_export_takes_no_parameters(app: TestApp) {
    let client = app.person("Plain", "Person").await;
    let path = format!("/v1/clients/{}/export?format=csv", text(&client, "id"));
    expect_problem(app.get(&path, &app.admin_key).await, StatusCode::BAD_REQUEST, "invalid_request").await;
}
