//! API keys: how they are presented and checked, what each scope allows, and
//! the key-management routes.

use clientele::domain::api_key::Secret;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{error_fields, expect_problem, expect_status, TestApp};
use crate::support::{header, key_id, path_of, rfc3339};

crate::store_tests!(
    a_keys_use_is_recorded_once_however_often_it_is_used,
    a_key_revoked_on_another_node_is_refused_there_within_a_second,
    no_key_is_401_with_www_authenticate,
    malformed_mistyped_and_unknown_keys_are_401,
    a_key_works_as_x_api_key_and_as_bearer_token,
    a_read_key_can_read_but_not_write,
    a_write_only_key_can_create_but_not_read,
    only_admin_keys_manage_keys_and_read_events,
    me_shows_firm_key_and_scopes_without_secret,
    creating_a_key_shows_its_secret_once,
    a_key_needs_known_scopes_and_a_future_expiry,
    a_revoked_key_is_refused_at_once,
    an_expired_key_is_refused,
);

async fn unauthorized(response: reqwest::Response) {
    let challenge = header(&response, "www-authenticate");
    expect_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert!(challenge.to_ascii_lowercase().starts_with("bearer"), "WWW-Authenticate: {challenge:?}");
}

async fn forbidden(response: reqwest::Response) {
    expect_problem(response, StatusCode::FORBIDDEN, "insufficient_scope").await;
}

async fn create_key(app: &TestApp, body: Value) -> Value {
    expect_status(app.post("/v1/api-keys", &app.admin_key, &body).await, StatusCode::CREATED).await["data"].clone()
}

async fn no_key_is_401_with_www_authenticate(app: TestApp) {
    for (method, path) in [(Method::GET, "/v1/clients"), (Method::POST, "/v1/clients"), (Method::GET, "/v1/me"), (Method::GET, "/v1/events")] {
        let response = app.http.request(method, app.url(path)).json(&json!({})).send().await.unwrap();
        unauthorized(response).await;
    }
}

async fn malformed_mistyped_and_unknown_keys_are_401(app: TestApp) {
    let mut mistyped: Vec<char> = app.admin_key.chars().collect();
    mistyped[10] = if mistyped[10] == 'a' { 'b' } else { 'a' };
    let mistyped: String = mistyped.into_iter().collect();
    let unknown = Secret::generate().expose().to_string();
    let wrong_prefix = app.admin_key.replacen("clt_", "ghp_", 1);
    let truncated = &app.admin_key[..39];
    for key in ["hello", "clt_short", "", &mistyped, &unknown, &wrong_prefix, truncated] {
        unauthorized(app.get("/v1/clients", key).await).await;
    }
    let bearer_unknown = app.http.get(app.url("/v1/clients")).bearer_auth(&unknown).send().await.unwrap();
    unauthorized(bearer_unknown).await;
    let basic = app.http.get(app.url("/v1/clients")).basic_auth("user", Some(&app.admin_key)).send().await.unwrap();
    unauthorized(basic).await;
}

async fn a_key_works_as_x_api_key_and_as_bearer_token(app: TestApp) {
    expect_status(app.get("/v1/clients", &app.admin_key).await, StatusCode::OK).await;
    let bearer = app.http.get(app.url("/v1/clients")).bearer_auth(&app.admin_key).send().await.unwrap();
    expect_status(bearer, StatusCode::OK).await;
    let lower = app.http.get(app.url("/v1/me")).header("authorization", format!("bearer {}", app.admin_key)).send().await.unwrap();
    expect_status(lower, StatusCode::OK).await;
}

async fn a_read_key_can_read_but_not_write(app: TestApp) {
    let reader = app.key("clients:read").await;
    let client = app.person("Ann", "Lee").await;
    let path = path_of(&client);
    expect_status(app.get("/v1/clients", &reader).await, StatusCode::OK).await;
    expect_status(app.get(&path, &reader).await, StatusCode::OK).await;
    forbidden(app.post("/v1/clients", &reader, &json!({"first_name": "Bo", "last_name": "Ek"})).await).await;
    forbidden(app.patch(&path, &reader, &json!({"last_name": "Smith"})).await).await;
    forbidden(app.put(&path, &reader, &json!({"first_name": "Bo", "last_name": "Ek"})).await).await;
    forbidden(app.delete(&path, &reader).await).await;
    forbidden(app.post(&format!("{path}/restore"), &reader, &json!({})).await).await;
    let after = expect_status(app.get(&path, &reader).await, StatusCode::OK).await["data"].clone();
    assert_eq!(after, client, "a refused write changed the client");
    let total = expect_status(app.get("/v1/clients?include_total=true", &reader).await, StatusCode::OK).await;
    assert_eq!(total["pagination"]["total"], 1);
}

async fn a_write_only_key_can_create_but_not_read(app: TestApp) {
    let writer = app.key("clients:write").await;
    let created = expect_status(app.post("/v1/clients", &writer, &json!({"first_name": "Bo", "last_name": "Ek"})).await, StatusCode::CREATED).await;
    let path = path_of(&created["data"]);
    forbidden(app.get(&path, &writer).await).await;
    forbidden(app.get("/v1/clients", &writer).await).await;
    expect_status(app.patch(&path, &writer, &json!({"last_name": "Berg"})).await, StatusCode::OK).await;
}

async fn only_admin_keys_manage_keys_and_read_events(app: TestApp) {
    let admin_key_id = key_id(&app, &app.admin_key).await;
    let non_admin = app.key("clients:read,clients:write,matters:read,users:read").await;
    forbidden(app.get("/v1/api-keys", &non_admin).await).await;
    forbidden(app.post("/v1/api-keys", &non_admin, &json!({"scopes": ["admin"]})).await).await;
    forbidden(app.get(&format!("/v1/api-keys/{admin_key_id}"), &non_admin).await).await;
    forbidden(app.delete(&format!("/v1/api-keys/{admin_key_id}"), &non_admin).await).await;
    forbidden(app.get("/v1/events", &non_admin).await).await;
    expect_status(app.get("/v1/clients", &app.admin_key).await, StatusCode::OK).await; // admin untouched
    // A key may look at itself (that is what /v1/me shows).
    let own_id = key_id(&app, &non_admin).await;
    expect_status(app.get(&format!("/v1/api-keys/{own_id}"), &non_admin).await, StatusCode::OK).await;
}

async fn me_shows_firm_key_and_scopes_without_secret(app: TestApp) {
    let reader = app.key("clients:read").await;
    let response = app.get("/v1/me", &reader).await;
    let text = response.text().await.unwrap();
    assert!(!text.contains(&reader), "the secret leaked into /v1/me");
    let me: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(me["data"]["firm"]["id"], app.firm_id);
    assert_eq!(me["data"]["firm"]["name"], "Test Firm");
    assert_eq!(me["data"]["scopes"], json!(["clients:read"]));
    assert_eq!(me["data"]["key"]["scopes"], json!(["clients:read"]));
    assert!(me["data"]["key"]["id"].as_str().unwrap().starts_with("key_"));
    assert_eq!(me["data"]["key"]["prefix"], &reader[..10]);
    assert!(me["data"]["key"].get("secret").is_none());
    let admin = expect_status(app.get("/v1/me", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(admin["data"]["scopes"], json!(["admin"]));
    assert_ne!(admin["data"]["key"]["id"], me["data"]["key"]["id"]);
}

async fn creating_a_key_shows_its_secret_once(app: TestApp) {
    let response = app.post("/v1/api-keys", &app.admin_key, &json!({"name": "Zapier", "scopes": ["clients:read", "clients:write"]})).await;
    let location = header(&response, "location");
    let key = expect_status(response, StatusCode::CREATED).await["data"].clone();
    let secret = key["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("clt_") && secret.len() == 40, "{secret}");
    assert_eq!(location, format!("/v1/api-keys/{}", key["id"].as_str().unwrap()));
    assert_eq!(key["name"], "Zapier");
    assert_eq!(key["scopes"], json!(["clients:read", "clients:write"]));
    assert!(key["revoked_at"].is_null());
    for path in ["/v1/api-keys".to_string(), location.clone()] {
        let text = app.get(&path, &app.admin_key).await.text().await.unwrap();
        assert!(text.contains(key["id"].as_str().unwrap()), "{path}: {text}");
        assert!(!text.contains(&secret) && !text.contains("\"secret\""), "{path} shows the secret: {text}");
    }
    // The new secret works as a key.
    expect_status(app.get("/v1/clients", &secret).await, StatusCode::OK).await;
}

async fn a_key_needs_known_scopes_and_a_future_expiry(app: TestApp) {
    let past = rfc3339(time::OffsetDateTime::now_utc() - time::Duration::hours(1));
    let cases = [
        (json!({"scopes": []}), vec!["scopes"]),
        (json!({"name": "no scopes"}), vec!["scopes"]),
        (json!({"scopes": ["clients:delete"]}), vec!["scopes[0]"]),
        (json!({"scopes": ["clients:read", 7]}), vec!["scopes[1]"]),
        (json!({"scopes": "admin"}), vec!["scopes"]),
        (json!({"scopes": ["clients:read"], "expires_at": past}), vec!["expires_at"]),
        (json!({"scopes": ["clients:read"], "expires_at": "tomorrow"}), vec!["expires_at"]),
        (json!({"scopes": ["clients:read"], "secret": "clt_mine"}), vec!["secret"]),
    ];
    for (body, fields) in cases {
        let problem = expect_problem(app.post("/v1/api-keys", &app.admin_key, &body).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(error_fields(&problem), fields, "{body}");
    }
    let keys = expect_status(app.get("/v1/api-keys", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(keys["data"].as_array().unwrap().len(), 1, "only the initial admin key: {keys}");
}

async fn a_revoked_key_is_refused_at_once(app: TestApp) {
    let doomed = create_key(&app, json!({"scopes": ["clients:read"]})).await;
    let secret = doomed["secret"].as_str().unwrap().to_string();
    let path = format!("/v1/api-keys/{}", doomed["id"].as_str().unwrap());
    expect_status(app.get("/v1/clients", &secret).await, StatusCode::OK).await;
    let revoked = expect_status(app.delete(&path, &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    assert!(revoked.get("secret").is_none());
    unauthorized(app.get("/v1/clients", &secret).await).await;
    unauthorized(app.get("/v1/me", &secret).await).await;
    // The record stays, marked revoked; revoking again changes nothing.
    let listed = expect_status(app.get(&path, &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!(listed["revoked_at"], revoked["revoked_at"]);
    let again = expect_status(app.delete(&path, &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!(again["revoked_at"], revoked["revoked_at"]);
}

async fn an_expired_key_is_refused(app: TestApp) {
    let expires = time::OffsetDateTime::now_utc() + time::Duration::milliseconds(2000);
    let key = create_key(&app, json!({"scopes": ["clients:read"], "expires_at": rfc3339(expires)})).await;
    assert_eq!(key["expires_at"], rfc3339(expires));
    let secret = key["secret"].as_str().unwrap().to_string();
    expect_status(app.get("/v1/clients", &secret).await, StatusCode::OK).await;
    let wait = expires - time::OffsetDateTime::now_utc() + time::Duration::milliseconds(300);
    tokio::time::sleep(std::time::Duration::from_millis(wait.whole_milliseconds().clamp(0, 3000) as u64)).await;
    unauthorized(app.get("/v1/clients", &secret).await).await;
}

/// Another node on the same database: its own service, so its own key cache.
async fn second_node(app: &TestApp) -> String {
    app.second_node(clientele::service::Limits::default()).await
}

async fn a_key_revoked_on_another_node_is_refused_there_within_a_second(app: TestApp) {
    let other = second_node(&app).await;
    let doomed = create_key(&app, json!({"scopes": ["clients:read"]})).await;
    let secret = doomed["secret"].as_str().unwrap().to_string();
    let get = |base: String| {
        let (http, secret) = (app.http.clone(), secret.clone());
        async move { http.get(format!("{base}/v1/clients")).header("X-Api-Key", secret).send().await.unwrap() }
    };
    // The other node has verified (and cached) the key.
    assert_eq!(get(other.clone()).await.status(), StatusCode::OK);
    let path = format!("/v1/api-keys/{}", doomed["id"].as_str().unwrap());
    expect_status(app.delete(&path, &app.admin_key).await, StatusCode::OK).await;
    // Refused at once where it was revoked, and on the other node once its
    // cache entry (at most 1 s old) has expired.
    unauthorized(app.get("/v1/clients", &secret).await).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    unauthorized(get(other).await).await;
}

async fn a_keys_use_is_recorded_once_however_often_it_is_used(app: TestApp) {
    let key = create_key(&app, json!({"scopes": ["clients:read"]})).await;
    let (secret, path) = (key["secret"].as_str().unwrap().to_string(), format!("/v1/api-keys/{}", key["id"].as_str().unwrap()));
    assert!(key["last_used_at"].is_null(), "{key}");
    expect_status(app.get("/v1/clients", &secret).await, StatusCode::OK).await;
    // Recorded off the request path: wait for it.
    let mut first = Value::Null;
    for _ in 0..50 {
        first = expect_status(app.get(&path, &app.admin_key).await, StatusCode::OK).await["data"]["last_used_at"].clone();
        if first.is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    }
    assert!(first.is_string(), "last_used_at was never recorded");
    // Within the minute, further uses (cached key or not) write nothing more.
    for _ in 0..5 {
        expect_status(app.get("/v1/clients", &secret).await, StatusCode::OK).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    expect_status(app.get("/v1/clients", &secret).await, StatusCode::OK).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let later = expect_status(app.get(&path, &app.admin_key).await, StatusCode::OK).await["data"]["last_used_at"].clone();
    assert_eq!(later, first);
}
