//! Firms are sealed from each other: another firm's records look exactly like
//! records that do not exist, and nothing of one firm leaks into another's lists.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{error_fields, expect_problem, expect_status, TestApp};
use crate::support::{events, fetch, id, ids, key_id, list_raw, path_of};

crate::store_tests!(
    another_firms_client_is_404_like_a_missing_one_for_every_operation,
    another_firm_cannot_restore_a_deleted_client,
    another_firm_never_sees_clients_in_lists_search_ids_or_totals,
    emails_are_unique_per_firm_only,
    another_firms_api_keys_are_404,
    another_firms_events_hold_none_of_this_firms_changes,
    company_id_cannot_point_into_another_firm,
);

/// A problem body without its per-request parts, for comparing shapes.
fn shape(mut problem: Value) -> Value {
    problem.as_object_mut().unwrap().remove("request_id");
    problem
}

async fn not_found(response: reqwest::Response) -> Value {
    shape(expect_problem(response, StatusCode::NOT_FOUND, "not_found").await)
}

async fn another_firms_client_is_404_like_a_missing_one_for_every_operation(app: TestApp) {
    let other = app.other_firm().await;
    let client = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"})).await;
    let theirs = path_of(&client);
    let missing = "/v1/clients/cli_01J00000000000000000000000";
    let put_body = json!({"first_name": "Eve", "last_name": "Hacker"});
    for path in [theirs.as_str(), missing] {
        let expected = not_found(app.get(missing, &other).await).await;
        assert_eq!(not_found(app.get(path, &other).await).await, expected, "GET {path}");
        assert_eq!(not_found(app.patch(path, &other, &json!({"last_name": "Owned"})).await).await, expected, "PATCH {path}");
        assert_eq!(not_found(app.put(path, &other, &put_body).await).await, expected, "PUT {path}");
        assert_eq!(not_found(app.delete(path, &other).await).await, expected, "DELETE {path}");
        assert_eq!(not_found(app.post(&format!("{path}/restore"), &other, &json!({})).await).await, expected, "restore {path}");
    }
    // With preconditions too: an If-Match must not reveal the record either.
    let response = app.request(reqwest::Method::PATCH, &theirs, &other).header("if-match", "\"1\"").json(&json!({"last_name": "X"})).send().await.unwrap();
    not_found(response).await;
    assert_eq!(fetch(&app, &client).await, client, "another firm changed the client");
}

async fn another_firm_cannot_restore_a_deleted_client(app: TestApp) {
    let other = app.other_firm().await;
    let client = app.person("Ann", "Lee").await;
    expect_status(app.delete(&path_of(&client), &app.admin_key).await, StatusCode::NO_CONTENT).await;
    not_found(app.post(&format!("{}/restore", path_of(&client)), &other, &json!({})).await).await;
    not_found(app.get(&path_of(&client), &app.admin_key).await).await;
    let restored = expect_status(app.post(&format!("{}/restore", path_of(&client)), &app.admin_key, &json!({})).await, StatusCode::OK).await;
    assert_eq!(restored["data"]["version"], 3, "only this firm's delete and restore changed it");
}

async fn another_firm_never_sees_clients_in_lists_search_ids_or_totals(app: TestApp) {
    let other = app.other_firm().await;
    let mut mine = Vec::new();
    for i in 0..5 {
        let c = app.create_client(json!({"first_name": "Secret", "last_name": format!("Client{i}"), "email": format!("s{i}@mine.example"),
            "phone": "(661) 555-0142", "tags": ["vip"]}))
        .await;
        mine.push(id(&c));
    }
    let theirs = expect_status(app.post("/v1/clients", &other, &json!({"first_name": "Their", "last_name": "Own"})).await, StatusCode::CREATED).await;
    let their_id = id(&theirs["data"]);
    let joined = mine.join(",");
    let queries: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("include_total", "true")],
        vec![("q", "secret")],
        vec![("q", "mine.example")],
        vec![("q", "555-0142")],
        vec![("tags", "vip")],
        vec![("ids", joined.as_str())],
        vec![("ids", joined.as_str()), ("include_total", "true")],
        vec![("sort", "last_name")],
    ];
    for query in queries {
        let page = expect_status(list_raw(&app, &other, &query).await, StatusCode::OK).await;
        let seen = ids(&page);
        assert!(seen.iter().all(|i| *i == their_id), "{query:?} leaked {seen:?}");
        if let Some(total) = page["pagination"]["total"].as_u64() {
            assert_eq!(total, seen.len() as u64, "{query:?}: the total counts another firm's clients");
        }
    }
    let all = expect_status(list_raw(&app, &other, &[("include_total", "true")]).await, StatusCode::OK).await;
    assert_eq!(ids(&all), vec![their_id.clone()]);
    assert_eq!(all["pagination"]["total"], 1);
    // And the other way round.
    let page = expect_status(list_raw(&app, &app.admin_key, &[("include_total", "true")]).await, StatusCode::OK).await;
    assert_eq!(page["pagination"]["total"], 5);
    assert!(!ids(&page).contains(&their_id));
}

async fn emails_are_unique_per_firm_only(app: TestApp) {
    let other = app.other_firm().await;
    let body = json!({"first_name": "Ann", "last_name": "Lee", "email": "shared@example.com"});
    app.create_client(body.clone()).await;
    let theirs = expect_status(app.post("/v1/clients", &other, &body).await, StatusCode::CREATED).await;
    assert_eq!(theirs["data"]["email"], "shared@example.com");
    // Still unique within each firm.
    expect_problem(app.post("/v1/clients", &other, &body).await, StatusCode::CONFLICT, "duplicate_email").await;
    expect_problem(app.post("/v1/clients", &app.admin_key, &body).await, StatusCode::CONFLICT, "duplicate_email").await;
}

async fn another_firms_api_keys_are_404(app: TestApp) {
    let other = app.other_firm().await;
    let reader = app.key("clients:read").await;
    let reader_id = key_id(&app, &reader).await;
    let admin_id = key_id(&app, &app.admin_key).await;
    for key_id in [&reader_id, &admin_id] {
        let path = format!("/v1/api-keys/{key_id}");
        let missing = expect_problem(app.get("/v1/api-keys/key_01J00000000000000000000000", &other).await, StatusCode::NOT_FOUND, "not_found").await;
        assert_eq!(shape(expect_problem(app.get(&path, &other).await, StatusCode::NOT_FOUND, "not_found").await), shape(missing));
        expect_problem(app.delete(&path, &other).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    let listed = expect_status(app.get("/v1/api-keys", &other).await, StatusCode::OK).await;
    let listed_ids: Vec<String> = listed["data"].as_array().unwrap().iter().map(id).collect();
    assert!(!listed_ids.contains(&reader_id) && !listed_ids.contains(&admin_id), "{listed}");
    // The keys still work: the other firm's DELETE revoked nothing.
    expect_status(app.get("/v1/clients", &reader).await, StatusCode::OK).await;
    let key = expect_status(app.get(&format!("/v1/api-keys/{reader_id}"), &app.admin_key).await, StatusCode::OK).await;
    assert!(key["data"]["revoked_at"].is_null());
}

async fn another_firms_events_hold_none_of_this_firms_changes(app: TestApp) {
    let other = app.other_firm().await;
    let client = app.person("Ann", "Lee").await;
    expect_status(app.patch(&path_of(&client), &app.admin_key, &json!({"last_name": "Smith"})).await, StatusCode::OK).await;
    app.key("clients:read").await;
    let mine: Vec<String> = events(&app, &app.admin_key).await.iter().map(|e| e["resource_id"].as_str().unwrap().to_string()).collect();
    assert!(mine.contains(&id(&client)));
    let theirs = events(&app, &other).await;
    assert!(!theirs.is_empty(), "the other firm has its own creation events");
    for event in &theirs {
        let resource = event["resource_id"].as_str().unwrap().to_string();
        assert!(!mine.contains(&resource), "the other firm sees {event}");
        assert_ne!(resource, app.firm_id);
    }
    let text = serde_json::to_string(&theirs).unwrap();
    assert!(!text.contains(&id(&client)) && !text.contains("Smith"), "{text}");
}

async fn company_id_cannot_point_into_another_firm(app: TestApp) {
    let other = app.other_firm().await;
    let their_company = expect_status(app.post("/v1/clients", &other, &json!({"kind": "company", "name": "Theirs Inc"})).await, StatusCode::CREATED).await;
    let company_id = their_company["data"]["id"].clone();
    let body = json!({"first_name": "Ann", "last_name": "Lee", "company_id": company_id});
    let problem = expect_problem(app.post("/v1/clients", &app.admin_key, &body).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), ["company_id"]);
    let client = app.person("Bo", "Ek").await;
    let response = app.patch(&path_of(&client), &app.admin_key, &json!({"company_id": company_id})).await;
    assert_eq!(error_fields(&expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await), ["company_id"]);
    // Nor can the company_id filter reach into another firm.
    let page = expect_status(list_raw(&app, &app.admin_key, &[("company_id", company_id.as_str().unwrap())]).await, StatusCode::OK).await;
    assert_eq!(page["data"], json!([]));
}
