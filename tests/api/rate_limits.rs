//! Rate limits per API key (and per firm), announced on every response;
//! failed authentication limited per address; shared through Redis.

use std::sync::Arc;

use clientele::service::rate_limit::RateLimiter;
use clientele::service::Limits;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{expect_problem, expect_status, TestApp};

crate::store_tests!(
    every_response_announces_the_policy_and_what_is_left,
    a_key_past_its_limit_gets_429_with_retry_after_and_others_do_not,
    a_firm_limit_applies_to_its_keys_without_their_own,
    failed_authentication_is_limited_per_address_but_valid_keys_pass,
    nodes_sharing_redis_share_a_key_budget,
    without_redis_the_server_keeps_serving_and_limits_locally,
);

use crate::services::redis_url;

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

/// `r` of a `RateLimit: "default";r=N;t=T` header.
fn remaining(response: &reqwest::Response) -> u64 {
    let value = header(response, "ratelimit");
    let r = value.split(';').find_map(|p| p.strip_prefix("r=")).unwrap_or_else(|| panic!("no r in {value:?}"));
    r.parse().unwrap()
}

async fn limited_key(app: &TestApp, per_minute: u32) -> String {
    let body = json!({"name": "limited", "scopes": ["clients:read"], "rate_limit_per_minute": per_minute});
    let created = expect_status(app.post("/v1/api-keys", &app.admin_key, &body).await, StatusCode::CREATED).await;
    assert_eq!(created["data"]["rate_limit_per_minute"], per_minute);
    created["data"]["secret"].as_str().unwrap().to_string()
}

async fn every_response_announces_the_policy_and_what_is_left(app: TestApp) {
    let first = app.get("/v1/clients", &app.admin_key).await;
    assert_eq!(header(&first, "ratelimit-policy"), "\"default\";q=600;w=60");
    let before = remaining(&first);
    let second = app.get("/v1/clients", &app.admin_key).await;
    assert_eq!(remaining(&second), before - 1);
    assert!(header(&second, "ratelimit").ends_with(";t=1") || header(&second, "ratelimit").contains(";t="));
    // Errors carry them too.
    let missing = app.get("/v1/clients/cli_01J00000000000000000000000", &app.admin_key).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(remaining(&missing), before - 2);
}

async fn a_key_past_its_limit_gets_429_with_retry_after_and_others_do_not(app: TestApp) {
    let key = limited_key(&app, 3).await;
    for left in [2, 1, 0] {
        let response = app.get("/v1/clients", &key).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "ratelimit-policy"), "\"default\";q=3;w=60");
        assert_eq!(remaining(&response), left);
    }
    let refused = app.get("/v1/clients", &key).await;
    let retry_after: u64 = header(&refused, "retry-after").parse().unwrap();
    assert!((1..=20).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(remaining(&refused), 0);
    expect_problem(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // A refused write changes nothing.
    let write = app.post("/v1/clients", &key, &json!({"first_name": "A", "last_name": "B"})).await;
    assert_eq!(write.status(), StatusCode::TOO_MANY_REQUESTS);
    // Other keys have their own budgets.
    expect_status(app.get("/v1/clients", &app.admin_key).await, StatusCode::OK).await;
}

async fn a_firm_limit_applies_to_its_keys_without_their_own(app: TestApp) {
    let firm = app.firm_id.parse().unwrap();
    app.service.set_firm_rate_limit(firm, Some(2)).await.unwrap();
    let plain = app.key("clients:read").await;
    let own = limited_key(&app, 5).await;
    let statuses = |key: String| {
        let app = &app;
        async move {
            let mut out = Vec::new();
            for _ in 0..4 {
                out.push(app.get("/v1/clients", &key).await.status().as_u16());
            }
            out
        }
    };
    assert_eq!(statuses(plain).await, [200, 200, 429, 429]);
    assert_eq!(statuses(own).await, [200, 200, 200, 200], "a key's own limit wins over its firm's");
    // Other firms keep the server default.
    let other = app.other_firm().await;
    assert_eq!(header(&app.get("/v1/clients", &other).await, "ratelimit-policy"), "\"default\";q=600;w=60");
}

async fn failed_authentication_is_limited_per_address_but_valid_keys_pass(app: TestApp) {
    let bogus = "clt_000000000000000000000000000000AAAAAA";
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(app.get("/v1/clients", bogus).await.status().as_u16());
    }
    assert!(statuses[..30].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[30..].iter().all(|s| *s == 429), "{statuses:?}");
    let refused = app.http.get(app.url("/v1/clients")).send().await.unwrap();
    assert!(!header(&refused, "retry-after").is_empty());
    expect_problem(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    expect_status(app.get("/v1/clients", &app.admin_key).await, StatusCode::OK).await;
}

/// A second node: its own router and limiter, on the same database.
async fn second_node(app: &TestApp, limiter: RateLimiter) -> String {
    app.second_node(Limits { limiter, ..Limits::default() }).await
}

async fn get_on(app: &TestApp, base: &str, key: &str) -> reqwest::Response {
    app.http.get(format!("{base}/v1/clients")).header("x-api-key", key).send().await.unwrap()
}

async fn nodes_sharing_redis_share_a_key_budget(app: TestApp) {
    let key = limited_key(&app, 4).await;
    let a = second_node(&app, RateLimiter::with_redis(&redis_url()).unwrap()).await;
    let b = second_node(&app, RateLimiter::with_redis(&redis_url()).unwrap()).await;
    let mut statuses = Vec::new();
    for base in [&a, &b, &a, &b, &a, &b] {
        statuses.push(get_on(&app, base, &key).await.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429], "one budget across both nodes");
}

async fn without_redis_the_server_keeps_serving_and_limits_locally(app: TestApp) {
    let key = limited_key(&app, 2).await;
    let node = second_node(&app, RateLimiter::with_redis("redis://127.0.0.1:1").unwrap()).await;
    let app = Arc::new(app);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(get_on(&app, &node, &key).await.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 429], "fails open to a local limiter");
    let body: Value = get_on(&app, &node, &app.admin_key).await.json().await.unwrap();
    assert!(body["data"].is_array());
}
