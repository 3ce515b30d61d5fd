//! Operating the server: metrics, request limits, header limits.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{expect_problem, expect_status, TestApp};

crate::store_tests!(
    metrics_count_requests_by_route_template_without_personal_data,
    metrics_count_rate_limit_rejections_and_show_the_pool,
    requests_past_the_concurrency_limit_are_shed_with_503,
    a_request_past_the_time_limit_is_503_request_timeout,
    too_many_headers_are_refused,
    control_characters_in_query_parameters_are_400_on_every_list,
);

async fn metrics(app: &TestApp) -> String {
    let response = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    response.text().await.unwrap()
}

async fn metrics_count_requests_by_route_template_without_personal_data(app: TestApp) {
    let client = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "email": "ann.secret@example.com"})).await;
    let id = client["id"].as_str().unwrap();
    expect_status(app.get(&format!("/v1/clients/{id}"), &app.admin_key).await, StatusCode::OK).await;
    expect_status(app.get("/v1/clients?q=ann.secret@example.com", &app.admin_key).await, StatusCode::OK).await;
    let text = metrics(&app).await;
    assert!(text.contains(r#"clientele_http_requests_total{method="GET",route="/v1/clients/{id}",status="200"}"#), "{text}");
    assert!(text.contains(r#"clientele_http_request_duration_seconds_bucket{route="/v1/clients",le="+Inf"}"#));
    for secret in ["ann.secret", id, "Lee"] {
        assert!(!text.contains(secret), "metrics leak {secret}");
    }
}

async fn metrics_count_rate_limit_rejections_and_show_the_pool(app: TestApp) {
    let count = |text: &str| -> u64 {
        text.lines().find_map(|l| l.strip_prefix("clientele_rate_limited_total ")).unwrap().parse().unwrap()
    };
    let before = count(&metrics(&app).await);
    let body = json!({"name": "tiny", "scopes": ["clients:read"], "rate_limit_per_minute": 1});
    let key = expect_status(app.post("/v1/api-keys", &app.admin_key, &body).await, StatusCode::CREATED).await;
    let key = key["data"]["secret"].as_str().unwrap();
    app.get("/v1/clients", key).await;
    expect_problem(app.get("/v1/clients", key).await, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let text = metrics(&app).await;
    assert!(count(&text) > before, "{text}");
    assert!(text.contains("clientele_store_connections{state=\"open\"}"));
    assert!(text.contains("clientele_store_connections_max "));
}

async fn node(app: &TestApp, http: clientele::api::HttpOptions) -> String {
    crate::helpers::serve_with(app.service.clone(), clientele::server::Options { http, ..Default::default() }).await
}

async fn requests_past_the_concurrency_limit_are_shed_with_503(app: TestApp) {
    let limits = clientele::api::HttpOptions { max_concurrent_requests: 0, ..Default::default() };
    let base = node(&app, limits).await;
    let response = app.http.get(format!("{base}/v1/clients")).header("x-api-key", &app.admin_key).send().await.unwrap();
    assert_eq!(response.headers()["retry-after"], "1");
    expect_problem(response, StatusCode::SERVICE_UNAVAILABLE, "overloaded").await;
}

async fn a_request_past_the_time_limit_is_503_request_timeout(app: TestApp) {
    let limits = clientele::api::HttpOptions { request_timeout: std::time::Duration::from_nanos(1), ..Default::default() };
    let base = node(&app, limits).await;
    let body = json!({"first_name": "Ann", "last_name": "Lee"});
    let response = app.http.post(format!("{base}/v1/clients")).header("x-api-key", &app.admin_key).json(&body).send().await.unwrap();
    expect_problem(response, StatusCode::SERVICE_UNAVAILABLE, "request_timeout").await;
}

async fn too_many_headers_are_refused(app: TestApp) {
    let mut request = app.http.get(app.url("/v1/clients")).header("x-api-key", &app.admin_key);
    for i in 0..150 {
        request = request.header(format!("x-filler-{i}"), "x");
    }
    let status = request.send().await.unwrap().status();
    assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
}

async fn control_characters_in_query_parameters_are_400_on_every_list(app: TestApp) {
    for path in ["/v1/clients?cf.code=%00", "/v1/matters?practice_area=a%00b", "/v1/leads?q=%07", "/v1/clients?q%00=x"] {
        let problem = expect_problem(app.get(path, &app.admin_key).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("control"), "{path}: {problem}");
    }
    let nested = json!({"first_name": "Ann", "last_name": "Lee", "custom_fields": {"x": {"a\u{0}b": 1}}});
    expect_problem(app.post("/v1/clients", &app.admin_key, &nested).await, StatusCode::BAD_REQUEST, "invalid_request").await;
}
