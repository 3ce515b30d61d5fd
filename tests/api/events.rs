//! The audit log: one event per change, in order, with who made it and the
//! record before and after; nothing for refused or empty writes; no secrets.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{error_fields, expect_problem, expect_status, TestApp};
use crate::support::{events, events_since, header, id, key_id, last_seq, path_of};

crate::store_tests!(
    a_clients_lifecycle_is_logged_in_order_with_before_and_after,
    each_event_names_the_request_that_made_it,
    refused_writes_log_nothing,
    a_write_that_changes_nothing_logs_nothing_and_keeps_the_version,
    key_creation_and_revocation_are_logged_without_secrets,
    after_and_limit_page_through_the_log,
    bad_event_parameters_are_400,
);

async fn a_clients_lifecycle_is_logged_in_order_with_before_and_after(app: TestApp) {
    let writer = app.key("clients:read,clients:write").await;
    let writer_id = key_id(&app, &writer).await;
    let start = last_seq(&app).await;

    let created = expect_status(app.post("/v1/clients", &writer, &json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"})).await, StatusCode::CREATED).await["data"].clone();
    let path = path_of(&created);
    let patched = expect_status(app.patch(&path, &writer, &json!({"last_name": "Smith"})).await, StatusCode::OK).await["data"].clone();
    let replaced = expect_status(app.put(&path, &writer, &json!({"first_name": "Ann", "last_name": "Jones"})).await, StatusCode::OK).await["data"].clone();
    expect_status(app.delete(&path, &writer).await, StatusCode::NO_CONTENT).await;
    let restored = expect_status(app.post(&format!("{path}/restore"), &writer, &json!({})).await, StatusCode::OK).await["data"].clone();

    let log = events_since(&app, start).await;
    let kinds: Vec<&str> = log.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["client.created", "client.updated", "client.replaced", "client.deleted", "client.restored"]);
    for (i, event) in log.iter().enumerate() {
        assert_eq!(event["resource_type"], "client");
        assert_eq!(event["resource_id"], created["id"]);
        assert_eq!(event["actor_key_id"], writer_id.as_str(), "{event}");
        assert_eq!(event["after"]["version"], i as i64 + 1, "{event}");
        assert_eq!(event["after"]["id"], created["id"]);
        assert!(event["id"].as_str().unwrap().starts_with("evt_"));
        if i > 0 {
            assert_eq!(event["before"], log[i - 1]["after"], "event {i}'s before is the previous after");
            assert!(event["seq"].as_i64() > log[i - 1]["seq"].as_i64());
            assert!(event["created_at"].as_str() >= log[i - 1]["created_at"].as_str());
        }
    }
    assert!(log[0]["before"].is_null());
    for (event, response) in [(&log[0], &created), (&log[1], &patched), (&log[2], &replaced), (&log[4], &restored)] {
        for field in ["name", "first_name", "last_name", "email", "version", "updated_at", "created_at"] {
            assert_eq!(event["after"][field], response[field], "{field} in {event}");
        }
    }
    assert_eq!(log[2]["after"]["email"], Value::Null, "PUT cleared the email");
    assert!(log[3]["before"]["deleted_at"].is_null() && log[3]["after"]["deleted_at"].is_string(), "{}", log[3]);
    assert!(log[4]["after"]["deleted_at"].is_null(), "{}", log[4]);
}

async fn each_event_names_the_request_that_made_it(app: TestApp) {
    let start = last_seq(&app).await;
    let response = app
        .request(Method::POST, "/v1/clients", &app.admin_key)
        .header("x-request-id", "import-42")
        .json(&json!({"first_name": "Ann", "last_name": "Lee"}))
        .send()
        .await
        .unwrap();
    let client = expect_status(response, StatusCode::CREATED).await["data"].clone();
    let response = app.patch(&path_of(&client), &app.admin_key, &json!({"last_name": "Smith"})).await;
    let generated = header(&response, "x-request-id");
    expect_status(response, StatusCode::OK).await;
    let log = events_since(&app, start).await;
    assert_eq!(log[0]["request_id"], "import-42");
    assert_eq!(log[1]["request_id"], generated.as_str());
}

async fn refused_writes_log_nothing(app: TestApp) {
    let reader = app.key("clients:read").await;
    let ann = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"})).await;
    let bo = app.create_client(json!({"first_name": "Bo", "last_name": "Ek", "email": "bo@example.com"})).await;
    let start = last_seq(&app).await;
    let path = path_of(&ann);

    expect_problem(app.post("/v1/clients", &app.admin_key, &json!({"first_name": "X"})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    let duplicate = json!({"first_name": "X", "last_name": "Y", "email": "ANN@example.com"});
    expect_problem(app.post("/v1/clients", &app.admin_key, &duplicate).await, StatusCode::CONFLICT, "duplicate_email").await;
    expect_problem(app.patch(&path_of(&bo), &app.admin_key, &json!({"email": "ann@example.com"})).await, StatusCode::CONFLICT, "duplicate_email").await;
    expect_problem(app.patch(&path, &app.admin_key, &json!({"status": "vip"})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    expect_problem(app.patch(&path, &app.admin_key, &json!({"last_name": "Z", "version": 9})).await, StatusCode::CONFLICT, "version_conflict").await;
    let stale = app.request(Method::PATCH, &path, &app.admin_key).header("if-match", "\"9\"").json(&json!({"last_name": "Z"})).send().await.unwrap();
    expect_problem(stale, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    let stale = app.request(Method::DELETE, &path, &app.admin_key).header("if-match", "\"9\"").send().await.unwrap();
    expect_problem(stale, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    expect_problem(app.put(&path, &reader, &json!({"first_name": "A", "last_name": "B"})).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    expect_problem(app.post("/v1/api-keys", &app.admin_key, &json!({"scopes": ["nope"]})).await, StatusCode::BAD_REQUEST, "invalid_request").await;

    assert_eq!(events_since(&app, start).await, Vec::<Value>::new());
}

async fn a_write_that_changes_nothing_logs_nothing_and_keeps_the_version(app: TestApp) {
    let client = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "tags": ["vip"],
        "address": {"city": "Austin"}})).await;
    let path = path_of(&client);
    let start = last_seq(&app).await;
    let same = json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "tags": ["vip"], "address": {"city": "Austin"}});
    for body in [json!({}), json!({"last_name": "Lee"}), json!({"first_name": "  Ann  "}), same.clone()] {
        let response = app.patch(&path, &app.admin_key, &body).await;
        assert_eq!(header(&response, "etag"), "\"1\"", "{body}");
        let data = expect_status(response, StatusCode::OK).await["data"].clone();
        assert_eq!(data, client, "no-op PATCH {body} changed the client");
    }
    let data = expect_status(app.put(&path, &app.admin_key, &same).await, StatusCode::OK).await["data"].clone();
    assert_eq!(data["version"], 1, "a PUT of the same document is no change");
    let data = expect_status(app.post(&format!("{path}/restore"), &app.admin_key, &json!({})).await, StatusCode::OK).await["data"].clone();
    assert_eq!(data, client, "restoring a live client is no change");
    assert_eq!(events_since(&app, start).await, Vec::<Value>::new());
}

async fn key_creation_and_revocation_are_logged_without_secrets(app: TestApp) {
    let admin_id = key_id(&app, &app.admin_key).await;
    let start = last_seq(&app).await;
    let created = expect_status(app.post("/v1/api-keys", &app.admin_key, &json!({"name": "CI", "scopes": ["clients:read"]})).await, StatusCode::CREATED).await["data"].clone();
    let secret = created["secret"].as_str().unwrap().to_string();
    expect_status(app.delete(&format!("/v1/api-keys/{}", id(&created)), &app.admin_key).await, StatusCode::OK).await;

    let log = events_since(&app, start).await;
    let kinds: Vec<&str> = log.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["api_key.created", "api_key.revoked"]);
    for event in &log {
        assert_eq!(event["resource_type"], "api_key");
        assert_eq!(event["resource_id"], created["id"]);
        assert_eq!(event["actor_key_id"], admin_id.as_str());
    }
    assert!(log[0]["before"].is_null());
    assert_eq!(log[0]["after"]["scopes"], json!(["clients:read"]));
    assert_eq!(log[0]["after"]["name"], "CI");
    assert!(log[1]["before"]["revoked_at"].is_null() && log[1]["after"]["revoked_at"].is_string(), "{}", log[1]);
    let text = serde_json::to_string(&events(&app, &app.admin_key).await).unwrap();
    assert!(!text.contains(&secret), "a secret is in the audit log");
    assert!(!text.contains(&secret[12..]), "part of a secret is in the audit log");
    assert!(!text.contains(&app.admin_key[12..]), "the admin secret is in the audit log");
    assert!(!text.contains("secret") && !text.contains("hash"), "{text}");
}

async fn after_and_limit_page_through_the_log(app: TestApp) {
    for i in 0..7 {
        app.person("Page", &format!("N{i}")).await;
    }
    let all = events(&app, &app.admin_key).await;
    assert!(all.len() >= 9, "firm creation + 7 clients: {}", all.len());
    let mut walked = Vec::new();
    let mut after = 0;
    loop {
        let page = expect_status(app.get(&format!("/v1/events?limit=2&after={after}"), &app.admin_key).await, StatusCode::OK).await;
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 2);
        assert_eq!(page["pagination"]["limit"], 2);
        walked.extend(data.iter().cloned());
        if page["pagination"]["has_more"] != true {
            break;
        }
        after = page["pagination"]["next_after"].as_i64().expect("next_after");
    }
    assert_eq!(walked, all, "pages of two give the whole log once, in order");
    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let third = seqs[2];
    let rest = expect_status(app.get(&format!("/v1/events?after={third}"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(rest["data"].as_array().unwrap(), &all[3..]);
    let beyond = expect_status(app.get(&format!("/v1/events?after={}", seqs.last().unwrap()), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(beyond["data"], json!([]));
    assert_eq!(beyond["pagination"]["has_more"], false);
}

async fn bad_event_parameters_are_400(app: TestApp) {
    for (query, field) in [("limit=0", "limit"), ("limit=501", "limit"), ("limit=x", "limit"), ("after=-1", "after"), ("after=x", "after"), ("since=1", "since")] {
        let problem = expect_problem(app.get(&format!("/v1/events?{query}"), &app.admin_key).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(error_fields(&problem), [field], "{query}");
    }
}
