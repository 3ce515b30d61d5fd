//! Batch writes and external ids: per-operation results, atomic rollback,
//! upsert matching, idempotency, limits, scopes and tenancy.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{error_fields, expect_problem, expect_status, TestApp};
use crate::support::{events, events_since, last_seq, list_ids};

crate::store_tests!(
    each_operation_is_answered_in_order,
    an_operation_that_fails_at_commit_leaves_the_others_written,
    an_atomic_batch_is_all_or_nothing,
    an_atomic_batch_applies_every_operation_in_one_go,
    an_atomic_batch_touches_each_record_once,
    upserts_match_email_case_insensitively_and_external_ids,
    external_ids_are_unique_per_firm_and_filterable,
    a_batch_is_idempotent_under_its_key,
    batch_limits_are_clear,
    batch_operations_need_their_scopes,
    a_batch_never_reaches_another_firm,
    matters_batch_by_external_id,
    vendors_without_the_field_carry_external_id_in_custom_fields,
);

async fn batch(app: &TestApp, path: &str, key: &str, body: Value) -> Vec<Value> {
    let answer = expect_status(app.post(path, key, &body).await, StatusCode::OK).await;
    answer["data"].as_array().expect("data").clone()
}

fn statuses(results: &[Value]) -> Vec<i64> {
    results.iter().map(|r| r["status"].as_i64().unwrap()).collect()
}

async fn client_count(app: &TestApp) -> usize {
    list_ids(app, &[]).await.len()
}

async fn each_operation_is_answered_in_order(app: TestApp) {
    let ada = app.create_client(json!({"first_name": "Ada", "last_name": "L", "email": "ada@example.com"})).await;
    let before = events(&app, &app.admin_key).await.len();
    let results = batch(&app, "/v1/clients/batch", &app.admin_key, json!({"operations": [
        {"op": "create", "data": {"first_name": "Grace", "last_name": "H", "external_id": "crm-1"}},
        {"op": "create", "data": {"first_name": "No last name"}},
        {"op": "upsert", "match": {"email": "ada@example.com"}, "data": {"last_name": "Lovelace"}},
        {"op": "upsert", "match": {"email": "new@example.com"}, "data": {"first_name": "New", "last_name": "Person"}},
        {"op": "update", "match": {"external_id": "crm-1"}, "data": {"tags": ["vip"]}},
        {"op": "update", "id": "cli_01JD3M9ZK6Q4T0V8X2Y5B7C9EF", "data": {"notes": "x"}},
        {"op": "update", "id": ada["id"], "data": {"notes": "stale"}, "if_match": 1},
        {"op": "delete", "match": {"external_id": "crm-1"}},
    ]}))
    .await;
    assert_eq!(statuses(&results), vec![201, 400, 200, 201, 200, 404, 409, 204]);
    assert_eq!(results[0]["data"]["external_id"], "crm-1");
    assert_eq!(error_fields(&results[1]["problem"]), vec!["last_name"]);
    assert_eq!(results[1]["problem"]["code"], "invalid_request");
    assert_eq!(results[2]["data"]["id"], ada["id"]);
    assert_eq!(results[2]["data"]["last_name"], "Lovelace");
    assert_eq!(results[3]["data"]["email"], "new@example.com");
    assert_eq!(results[4]["data"]["tags"], json!(["vip"]));
    assert_eq!(results[6]["problem"]["code"], "version_conflict");
    let types: Vec<String> = events(&app, &app.admin_key).await[before..].iter().map(|e| e["type"].as_str().unwrap().to_string()).collect();
    let mut sorted = types.clone();
    sorted.sort();
    assert_eq!(sorted, vec!["client.created", "client.created", "client.deleted", "client.updated", "client.updated"], "{types:?}");
    assert_eq!(client_count(&app).await, 2, "Ada and New remain");
}

/// A taken email is found only when the store writes the row; the rest of a
/// non-atomic batch is still written, each with its event, numbered without
/// gaps (on PostgreSQL the run's one transaction fails and is applied again
/// one operation at a time).
async fn an_operation_that_fails_at_commit_leaves_the_others_written(app: TestApp) {
    app.create_client(json!({"first_name": "Ada", "last_name": "L", "email": "ada@example.com"})).await;
    let start = last_seq(&app).await;
    let results = batch(&app, "/v1/clients/batch", &app.admin_key, json!({"operations": [
        {"op": "create", "data": {"first_name": "Grace", "last_name": "H", "email": "grace@example.com"}},
        {"op": "create", "data": {"first_name": "Ada", "last_name": "Again", "email": "ADA@example.com"}},
        {"op": "create", "data": {"first_name": "Alan", "last_name": "T", "external_id": "crm-7"}},
    ]}))
    .await;
    assert_eq!(statuses(&results), vec![201, 409, 201]);
    assert_eq!(results[1]["problem"]["code"], "duplicate_email");
    assert_eq!(client_count(&app).await, 3, "Ada, Grace and Alan");
    let log = events_since(&app, start).await;
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, vec![start + 1, start + 2], "{log:?}");
    let mut written: Vec<&str> = log.iter().map(|e| e["resource_id"].as_str().unwrap()).collect();
    written.sort();
    let mut created = vec![results[0]["data"]["id"].as_str().unwrap(), results[2]["data"]["id"].as_str().unwrap()];
    created.sort();
    assert_eq!(written, created);
    assert!(log.iter().all(|e| e["type"] == "client.created"), "{log:?}");
}

async fn an_atomic_batch_is_all_or_nothing(app: TestApp) {
    let ada = app.create_client(json!({"first_name": "Ada", "last_name": "L", "email": "ada@example.com"})).await;
    let before = events(&app, &app.admin_key).await.len();
    let results = batch(&app, "/v1/clients/batch", &app.admin_key, json!({"atomic": true, "operations": [
        {"op": "create", "data": {"first_name": "Grace", "last_name": "H"}},
        {"op": "update", "id": ada["id"], "data": {"last_name": "Changed"}},
        {"op": "create", "data": {"first_name": "Taken", "last_name": "Email", "email": "ADA@example.com"}},
        {"op": "create", "data": {"first_name": "Never", "last_name": "Made"}},
    ]}))
    .await;
    assert_eq!(statuses(&results), vec![424, 424, 409, 424]);
    assert_eq!(results[2]["problem"]["code"], "duplicate_email");
    assert_eq!(results[0]["problem"]["code"], "batch_aborted");
    assert_eq!(events(&app, &app.admin_key).await.len(), before, "an aborted batch wrote events");
    assert_eq!(client_count(&app).await, 1);
    let now = expect_status(app.get(&format!("/v1/clients/{}", ada["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(now["data"]["last_name"], "L");
    assert_eq!(now["data"]["version"], 1);
}

async fn an_atomic_batch_applies_every_operation_in_one_go(app: TestApp) {
    let ada = app.create_client(json!({"first_name": "Ada", "last_name": "L"})).await;
    let gone = app.create_client(json!({"first_name": "Gone", "last_name": "Soon"})).await;
    let results = batch(&app, "/v1/clients/batch", &app.admin_key, json!({"atomic": true, "operations": [
        {"op": "create", "data": {"first_name": "One", "last_name": "A", "email": "one@example.com"}},
        {"op": "create", "data": {"first_name": "Two", "last_name": "B", "external_id": "x-2"}},
        {"op": "update", "id": ada["id"], "data": {"last_name": "Lovelace"}, "if_match": 1},
        {"op": "delete", "id": gone["id"]},
        {"op": "upsert", "match": {"external_id": "x-3"}, "data": {"first_name": "Three", "last_name": "C"}},
    ]}))
    .await;
    assert_eq!(statuses(&results), vec![201, 201, 200, 204, 201]);
    assert_eq!(results[2]["data"]["version"], 2);
    assert_eq!(client_count(&app).await, 4);
    let log = events(&app, &app.admin_key).await;
    assert_eq!(log.iter().filter(|e| e["type"] == "client.created").count(), 5);
    assert!(log.iter().any(|e| e["type"] == "client.deleted" && e["resource_id"] == gone["id"]));
}

async fn an_atomic_batch_touches_each_record_once(app: TestApp) {
    let ada = app.create_client(json!({"first_name": "Ada", "last_name": "L"})).await;
    let results = batch(&app, "/v1/clients/batch", &app.admin_key, json!({"atomic": true, "operations": [
        {"op": "update", "id": ada["id"], "data": {"last_name": "One"}},
        {"op": "update", "id": ada["id"], "data": {"last_name": "Two"}},
    ]}))
    .await;
    assert_eq!(statuses(&results), vec![424, 400]);
    let twins = batch(&app, "/v1/clients/batch", &app.admin_key, json!({"atomic": true, "operations": [
        {"op": "create", "data": {"first_name": "A", "last_name": "A", "external_id": "same"}},
        {"op": "create", "data": {"first_name": "B", "last_name": "B", "external_id": "same"}},
    ]}))
    .await;
    assert_eq!(statuses(&twins), vec![424, 409]);
    assert_eq!(twins[1]["problem"]["code"], "duplicate_external_id");
    // Not atomic, the same record may be written twice, in order.
    let ordered = batch(&app, "/v1/clients/batch", &app.admin_key, json!({"operations": [
        {"op": "update", "id": ada["id"], "data": {"last_name": "One"}},
        {"op": "update", "id": ada["id"], "data": {"last_name": "Two"}},
    ]}))
    .await;
    assert_eq!(statuses(&ordered), vec![200, 200]);
    assert_eq!(ordered[1]["data"]["last_name"], "Two");
    assert_eq!(ordered[1]["data"]["version"], 3);
}

async fn upserts_match_email_case_insensitively_and_external_ids(app: TestApp) {
    let ada = app.create_client(json!({"first_name": "Ada", "last_name": "L", "email": "Ada.Lovelace@Example.com", "external_id": "e-1"})).await;
    for atomic in [false, true] {
        let results = batch(&app, "/v1/clients/batch", &app.admin_key, json!({"atomic": atomic, "operations": [
            {"op": "upsert", "match": {"email": "ada.lovelace@EXAMPLE.COM"}, "data": {"source": format!("atomic {atomic}")}},
        ]}))
        .await;
        assert_eq!(statuses(&results), vec![200], "{results:?}");
        assert_eq!(results[0]["data"]["id"], ada["id"]);
    }
    let by_external = batch(&app, "/v1/clients/batch", &app.admin_key, json!({"operations": [
        {"op": "upsert", "match": {"external_id": "e-1"}, "data": {"tags": ["matched"]}},
        {"op": "upsert", "match": {"external_id": "e-2"}, "data": {"first_name": "New", "last_name": "One"}},
    ]}))
    .await;
    assert_eq!(statuses(&by_external), vec![200, 201]);
    assert_eq!(by_external[0]["data"]["id"], ada["id"]);
    assert_eq!(by_external[1]["data"]["external_id"], "e-2", "an upsert's new record keeps what it was matched on");
    let by_email = expect_status(app.get("/v1/clients?email=ADA.lovelace@example.COM", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(by_email["data"].as_array().unwrap().len(), 1);
    assert_eq!(by_email["data"][0]["id"], ada["id"]);
    expect_problem(app.get("/v1/clients?email=not-an-email", &app.admin_key).await, StatusCode::BAD_REQUEST, "invalid_request").await;
}

async fn external_ids_are_unique_per_firm_and_filterable(app: TestApp) {
    let first = app.create_client(json!({"first_name": "A", "last_name": "A", "external_id": "crm-7"})).await;
    let twin = app.post("/v1/clients", &app.admin_key, &json!({"first_name": "B", "last_name": "B", "external_id": "crm-7"})).await;
    expect_problem(twin, StatusCode::CONFLICT, "duplicate_external_id").await;
    let found = expect_status(app.get("/v1/clients?external_id=crm-7", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    assert_eq!(found["data"][0]["id"], first["id"]);
    let too_long = app.post("/v1/clients", &app.admin_key, &json!({"first_name": "C", "last_name": "C", "external_id": "x".repeat(256)})).await;
    let problem = expect_problem(too_long, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), vec!["external_id"]);
    // Another firm may use the same external id.
    let other = app.other_firm().await;
    let theirs = app.post("/v1/clients", &other, &json!({"first_name": "T", "last_name": "T", "external_id": "crm-7"})).await;
    expect_status(theirs, StatusCode::CREATED).await;
    let mine = expect_status(app.get("/v1/clients?external_id=crm-7", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(mine["data"].as_array().unwrap().len(), 1);
    // A deleted client frees its external id.
    expect_status(app.delete(&format!("/v1/clients/{}", first["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::NO_CONTENT).await;
    app.create_client(json!({"first_name": "B", "last_name": "B", "external_id": "crm-7"})).await;
}

async fn a_batch_is_idempotent_under_its_key(app: TestApp) {
    for atomic in [false, true] {
        let body = json!({"atomic": atomic, "operations": [{"op": "create", "data": {"first_name": "Once", "last_name": format!("{atomic}")}}]});
        let key = format!("batch-{atomic}");
        let first = app.request(reqwest::Method::POST, "/v1/clients/batch", &app.admin_key).header("idempotency-key", &key).json(&body).send().await.unwrap();
        let first = expect_status(first, StatusCode::OK).await;
        let again = app.request(reqwest::Method::POST, "/v1/clients/batch", &app.admin_key).header("idempotency-key", &key).json(&body).send().await.unwrap();
        let again = expect_status(again, StatusCode::OK).await;
        assert_eq!(first, again);
    }
    assert_eq!(client_count(&app).await, 2);
}

async fn batch_limits_are_clear(app: TestApp) {
    let many: Vec<Value> = (0..1001).map(|i| json!({"op": "create", "data": {"first_name": "M", "last_name": format!("{i}")}})).collect();
    let problem = expect_problem(app.post("/v1/clients/batch", &app.admin_key, &json!({"operations": many})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), vec!["operations"]);
    let huge = json!({"operations": [{"op": "create", "data": {"first_name": "H", "last_name": "H", "notes": "x".repeat(9 * 1024 * 1024)}}]});
    expect_problem(app.post("/v1/clients/batch", &app.admin_key, &huge).await, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    for bad in [json!({"operations": "all"}), json!({"operations": [{"op": "merge"}]}), json!({"operations": [], "atomic": "yes"})] {
        expect_problem(app.post("/v1/clients/batch", &app.admin_key, &bad).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    let raw = app.request(reqwest::Method::POST, "/v1/clients/batch", &app.admin_key).header("content-type", "application/json").body("{\"operations\": [").send().await.unwrap();
    expect_problem(raw, StatusCode::BAD_REQUEST, "malformed_json").await;
    assert_eq!(client_count(&app).await, 0);
}

async fn batch_operations_need_their_scopes(app: TestApp) {
    let reader = app.key("clients:read").await;
    let results = batch(&app, "/v1/clients/batch", &reader, json!({"operations": [{"op": "create", "data": {"first_name": "A", "last_name": "B"}}]})).await;
    assert_eq!(statuses(&results), vec![403]);
    assert_eq!(results[0]["problem"]["code"], "insufficient_scope");
    let writer = app.key("clients:write").await;
    let results = batch(&app, "/v1/clients/batch", &writer, json!({"operations": [{"op": "create", "data": {"first_name": "A", "last_name": "B", "email": "w@example.com"}}]})).await;
    assert_eq!(statuses(&results), vec![201]);
    let data = results[0]["data"].as_object().unwrap();
    let mut shown: Vec<&str> = data.keys().map(String::as_str).collect();
    shown.sort();
    assert_eq!(shown, vec!["created_at", "id", "updated_at", "version"], "a write-only key read back what it wrote");
    let matters = batch(&app, "/v1/matters/batch", &writer, json!({"operations": [{"op": "create", "data": {"client_id": data["id"], "title": "T"}}]})).await;
    assert_eq!(statuses(&matters), vec![403]);
    let unauthenticated = app.http.post(app.url("/v1/clients/batch")).json(&json!({"operations": []})).send().await.unwrap();
    expect_problem(unauthenticated, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

async fn a_batch_never_reaches_another_firm(app: TestApp) {
    let other = app.other_firm().await;
    let theirs = expect_status(app.post("/v1/clients", &other, &json!({"first_name": "T", "last_name": "T", "email": "their@example.com", "external_id": "t-1"})).await, StatusCode::CREATED).await;
    let their_id = theirs["data"]["id"].clone();
    let results = batch(&app, "/v1/clients/batch", &app.admin_key, json!({"operations": [
        {"op": "update", "id": their_id, "data": {"last_name": "Hacked"}},
        {"op": "delete", "id": their_id},
        {"op": "update", "match": {"external_id": "t-1"}, "data": {"last_name": "Hacked"}},
        {"op": "upsert", "match": {"email": "their@example.com"}, "data": {"first_name": "Mine", "last_name": "Now"}},
    ]}))
    .await;
    assert_eq!(statuses(&results), vec![404, 404, 404, 201]);
    assert_ne!(results[3]["data"]["id"], their_id, "an upsert matched another firm's client");
    let still = expect_status(app.get(&format!("/v1/clients/{}", their_id.as_str().unwrap()), &other).await, StatusCode::OK).await;
    assert_eq!(still["data"]["last_name"], "T");
    assert_eq!(still["data"]["version"], 1);
    let matters = batch(&app, "/v1/matters/batch", &app.admin_key, json!({"operations": [{"op": "create", "data": {"client_id": their_id, "title": "X"}}]})).await;
    assert_eq!(statuses(&matters), vec![400]);
}

async fn matters_batch_by_external_id(app: TestApp) {
    let client = app.person("Matter", "Owner").await;
    let results = batch(&app, "/v1/matters/batch", &app.admin_key, json!({"atomic": true, "operations": [
        {"op": "upsert", "match": {"external_id": "m-1"}, "data": {"client_id": client["id"], "title": "First"}},
        {"op": "create", "data": {"client_id": client["id"], "title": "Second", "external_id": "m-2"}},
    ]}))
    .await;
    assert_eq!(statuses(&results), vec![201, 201]);
    assert_eq!(results[0]["data"]["external_id"], "m-1");
    let again = batch(&app, "/v1/matters/batch", &app.admin_key, json!({"operations": [
        {"op": "upsert", "match": {"external_id": "m-1"}, "data": {"title": "First, renamed"}},
        {"op": "create", "data": {"client_id": client["id"], "title": "Twin", "external_id": "m-2"}},
    ]}))
    .await;
    assert_eq!(statuses(&again), vec![200, 409], "{again:?}");
    let atomic_twin = batch(&app, "/v1/matters/batch", &app.admin_key, json!({"atomic": true, "operations": [
        {"op": "create", "data": {"client_id": client["id"], "title": "Twin", "external_id": "m-2"}},
    ]}))
    .await;
    assert_eq!(statuses(&atomic_twin), vec![409], "{atomic_twin:?}");
    assert_eq!(again[0]["data"]["id"], results[0]["data"]["id"]);
    assert_eq!(again[1]["problem"]["code"], "duplicate_external_id");
    let by_email = json!({"operations": [{"op": "upsert", "match": {"email": "x@example.com"}, "data": {}}]});
    let problem = expect_problem(app.post("/v1/matters/batch", &app.admin_key, &by_email).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), vec!["operations[0].match.email"]);
    let found = expect_status(app.get("/v1/matters?external_id=m-2", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
}

async fn vendors_without_the_field_carry_external_id_in_custom_fields(app: TestApp) {
    let client = app.create_client(json!({"first_name": "Ext", "last_name": "Ernal", "external_id": "crm-9"})).await;
    let path = format!("/compat/calmintake/api/v1/clients/{}", client["id"].as_str().unwrap());
    let calm = expect_status(app.get(&path, &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(calm["data"]["custom_fields"]["external_id"], "crm-9", "{calm}");
    let body = json!({"first_name": "Via", "last_name": "Dialect", "client_type": "buyer", "custom_fields": {"external_id": "ac-1"}});
    let created = app.request(reqwest::Method::POST, "/compat/actuallycare/v1/clients", &app.admin_key).json(&body).send().await.unwrap();
    let created = expect_status(created, StatusCode::CREATED).await;
    assert_eq!(created["data"]["custom_fields"]["external_id"], "ac-1", "{created}");
    let canonical = expect_status(app.get("/v1/clients?external_id=ac-1", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(canonical["data"].as_array().unwrap().len(), 1);
    assert_eq!(canonical["data"][0]["custom_fields"], json!({"client_type": "buyer"}), "external_id stayed in custom_fields");
}
