//! `Idempotency-Key` on POST: replay, mismatch, concurrency, scope, expiry.

use std::sync::Arc;

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{expect_problem, TestApp};
use crate::support::{events_since, last_seq, list};

crate::store_tests!(
    a_retry_with_the_same_key_and_body_replays_the_first_response_byte_for_byte,
    the_same_key_with_another_body_is_422_and_changes_nothing,
    concurrent_requests_with_one_key_run_once,
    a_refused_request_is_replayed_too_but_a_server_error_is_not_kept,
    keys_belong_to_the_credential_that_sent_them,
    a_malformed_key_is_400,
    keys_are_forgotten_after_a_day,
    every_post_route_honours_the_key,
    a_replayed_secret_is_never_stored_or_shown_again,
    a_change_whose_response_was_lost_is_never_made_twice,
);

async fn post(app: &TestApp, path: &str, key: &str, idempotency_key: &str, body: &Value) -> Response {
    app.request(reqwest::Method::POST, path, key).header("idempotency-key", idempotency_key).json(body).send().await.unwrap()
}

/// Status, the headers a replay keeps, and the exact body bytes.
async fn snapshot(response: Response) -> (StatusCode, Option<String>, Option<String>, Vec<u8>) {
    let status = response.status();
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_string());
    let (location, etag) = (header("location"), header("etag"));
    (status, location, etag, response.bytes().await.unwrap().to_vec())
}

async fn client_count(app: &TestApp) -> usize {
    list(app, &[("limit", "100")]).await["data"].as_array().unwrap().len()
}

async fn a_retry_with_the_same_key_and_body_replays_the_first_response_byte_for_byte(app: TestApp) {
    let body = json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"});
    let start = last_seq(&app).await;
    let first = post(&app, "/v1/clients", &app.admin_key, "k-1", &body).await;
    assert_eq!(first.headers()["idempotent-replayed"], "false");
    let first = snapshot(first).await;
    assert_eq!(first.0, StatusCode::CREATED);
    for _ in 0..3 {
        let again = post(&app, "/v1/clients", &app.admin_key, "k-1", &body).await;
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        assert_eq!(snapshot(again).await, first);
    }
    assert_eq!(client_count(&app).await, 1);
    assert_eq!(events_since(&app, start).await.len(), 1, "the retries wrote nothing");
}

async fn the_same_key_with_another_body_is_422_and_changes_nothing(app: TestApp) {
    let body = json!({"first_name": "Ann", "last_name": "Lee"});
    assert_eq!(post(&app, "/v1/clients", &app.admin_key, "k-2", &body).await.status(), StatusCode::CREATED);
    let other = json!({"first_name": "Bo", "last_name": "Ek"});
    expect_problem(post(&app, "/v1/clients", &app.admin_key, "k-2", &other).await, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused").await;
    // Another path with the same key is another request too.
    let lead = json!({"first_name": "Ann"});
    expect_problem(post(&app, "/v1/leads", &app.admin_key, "k-2", &lead).await, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused").await;
    assert_eq!(client_count(&app).await, 1);
}

async fn concurrent_requests_with_one_key_run_once(app: TestApp) {
    let app = Arc::new(app);
    let body = json!({"first_name": "Race", "last_name": "Once", "email": "race@example.com"});
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (app, body) = (app.clone(), body.clone());
            tokio::spawn(async move { snapshot(post(&app, "/v1/clients", &app.admin_key, "k-race", &body).await).await })
        })
        .collect();
    let mut created = Vec::new();
    for task in tasks {
        let (status, location, etag, bytes) = task.await.unwrap();
        match status {
            StatusCode::CREATED => created.push((location, etag, bytes)),
            StatusCode::CONFLICT => {
                let problem: Value = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(problem["code"], "idempotency_in_progress", "{problem}");
            }
            other => panic!("unexpected {other}: {}", String::from_utf8_lossy(&bytes)),
        }
    }
    assert!(!created.is_empty());
    assert!(created.windows(2).all(|w| w[0] == w[1]), "every 201 is the same response");
    assert_eq!(client_count(&app).await, 1);
    // Once the first attempt is done, a retry gets its response.
    let (status, _, _, bytes) = snapshot(post(&app, "/v1/clients", &app.admin_key, "k-race", &body).await).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(bytes, created[0].2);
}

async fn a_refused_request_is_replayed_too_but_a_server_error_is_not_kept(app: TestApp) {
    let bad = json!({"first_name": "Ann"});
    let first = snapshot(post(&app, "/v1/clients", &app.admin_key, "k-bad", &bad).await).await;
    assert_eq!(first.0, StatusCode::BAD_REQUEST);
    assert_eq!(snapshot(post(&app, "/v1/clients", &app.admin_key, "k-bad", &bad).await).await, first);
    // A 401 is not kept: the same key works once the credential is right.
    let body = json!({"first_name": "Ann", "last_name": "Lee"});
    let wrong = post(&app, "/v1/clients", "clt_wrongwrongwrongwrongwrongwrong000000", "k-auth", &body).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(post(&app, "/v1/clients", &app.admin_key, "k-auth", &body).await.status(), StatusCode::CREATED);
}

async fn keys_belong_to_the_credential_that_sent_them(app: TestApp) {
    let other_key = app.key("clients:write,clients:read").await;
    let other_firm = app.other_firm().await;
    let body = json!({"first_name": "Ann", "last_name": "Lee"});
    for key in [&app.admin_key, &other_key, &other_firm] {
        assert_eq!(post(&app, "/v1/clients", key, "shared", &body).await.status(), StatusCode::CREATED);
    }
    assert_eq!(client_count(&app).await, 2, "two keys of this firm each created one");
}

async fn a_malformed_key_is_400(app: TestApp) {
    let body = json!({"first_name": "Ann", "last_name": "Lee"});
    for key in ["", &"k".repeat(256), "has space"] {
        let problem = expect_problem(post(&app, "/v1/clients", &app.admin_key, key, &body).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
    }
    assert_eq!(client_count(&app).await, 0);
}

async fn keys_are_forgotten_after_a_day(app: TestApp) {
    let body = json!({"first_name": "Ann", "last_name": "Lee"});
    assert_eq!(post(&app, "/v1/clients", &app.admin_key, "k-old", &body).await.status(), StatusCode::CREATED);
    let now = clientele::domain::time::Timestamp::now();
    assert_eq!(app.service.purge_idempotency_keys(now.plus_millis(23 * 3_600_000)).await.unwrap(), 0, "kept a day");
    assert_eq!(app.service.purge_idempotency_keys(now.plus_millis(25 * 3_600_000)).await.unwrap(), 1);
    assert_eq!(post(&app, "/v1/clients", &app.admin_key, "k-old", &body).await.status(), StatusCode::CREATED);
    assert_eq!(client_count(&app).await, 2);
}

async fn every_post_route_honours_the_key(app: TestApp) {
    let client = app.person("Ann", "Lee").await;
    let client_id = client["id"].as_str().unwrap();
    let routes = [
        ("/v1/matters".to_string(), json!({"client_id": client_id, "title": "Estate"})),
        (format!("/v1/clients/{client_id}/notes"), json!({"body": "Called."})),
        ("/v1/leads".to_string(), json!({"first_name": "Jo"})),
        ("/v1/users".to_string(), json!({"first_name": "Jo", "last_name": "Ek", "email": "jo@firm.example"})),
    ];
    for (path, body) in routes {
        let first = snapshot(post(&app, &path, &app.admin_key, &format!("k{path}"), &body).await).await;
        assert_eq!(first.0, StatusCode::CREATED, "{path}");
        assert_eq!(snapshot(post(&app, &path, &app.admin_key, &format!("k{path}"), &body).await).await, first, "{path}");
    }
}

async fn a_replayed_secret_is_never_stored_or_shown_again(app: TestApp) {
    let body = json!({"name": "zapier", "scopes": ["clients:read"]});
    let first: Value = post(&app, "/v1/api-keys", &app.admin_key, "k-secret", &body).await.json().await.unwrap();
    let secret = first["data"]["secret"].as_str().unwrap().to_string();
    let again = post(&app, "/v1/api-keys", &app.admin_key, "k-secret", &body).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["data"]["id"], first["data"]["id"], "the same key, not a second one");
    assert!(again["data"]["secret"].is_null(), "{again}");
    assert!(!again.to_string().contains(&secret));
    // Intake tokens alike.
    let first: Value = post(&app, "/v1/intake-tokens", &app.admin_key, "k-token", &json!({"name": "web"})).await.json().await.unwrap();
    let again: Value = post(&app, "/v1/intake-tokens", &app.admin_key, "k-token", &json!({"name": "web"})).await.json().await.unwrap();
    assert_eq!(again["data"]["id"], first["data"]["id"]);
    assert!(first["data"]["token"].is_string() && again["data"]["token"].is_null(), "{again}");
}

/// The state a crash between the change's commit and the keeping of its
/// response leaves: the key claimed with the change, no response, a while
/// ago. With the key claimed before the change (not with it), this state
/// was indistinguishable from an abandoned request and was run again.
async fn a_change_whose_response_was_lost_is_never_made_twice(app: TestApp) {
    let body = json!({"first_name": "Ann", "last_name": "Lee", "email": "lost@example.com"});
    assert_eq!(post(&app, "/v1/clients", &app.admin_key, "k-lost", &body).await.status(), StatusCode::CREATED);
    let forget = "UPDATE idempotency_keys SET status = NULL, headers = NULL, body = NULL, created_at = created_at - 120000";
    app.raw_sql(forget, forget).await;
    let start = last_seq(&app).await;
    for _ in 0..3 {
        let problem =
            expect_problem(post(&app, "/v1/clients", &app.admin_key, "k-lost", &body).await, StatusCode::CONFLICT, "idempotency_response_lost")
                .await;
        assert!(problem["detail"].as_str().unwrap().contains("was applied"), "{problem}");
    }
    assert_eq!(client_count(&app).await, 1);
    assert!(events_since(&app, start).await.is_empty(), "the retries changed nothing");
}
