//! What browsers and everyday tools send: cross-origin requests (CORS
//! preflights and the requests after them), a UTF-8 byte order mark before a
//! JSON body, a trailing slash on a route.

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{expect_status, TestApp};
use crate::support::header;

crate::store_tests!(
    cors_is_off_by_default_except_for_public_intake,
    a_configured_origin_passes_the_preflight_and_reads_the_answer,
    an_origin_not_configured_gets_no_cors_headers,
    a_star_allows_every_origin_without_credentials,
    public_intake_allows_any_origin_without_credentials,
    a_json_body_may_start_with_a_byte_order_mark,
    a_trailing_slash_is_the_same_route,
);

const APP_ORIGIN: &str = "https://app.example.com";

/// This app's service on a second listener with `--cors-origins` set.
async fn with_origins(app: &TestApp, origins: &[&str]) -> String {
    let values: Vec<String> = origins.iter().map(|o| o.to_string()).collect();
    let http = clientele::api::HttpOptions { cors: clientele::api::cors::CorsOrigins::from_values(&values), ..Default::default() };
    crate::helpers::serve_with(app.service.clone(), clientele::server::Options { http, ..Default::default() }).await
}

/// A browser's preflight for `method` on `path` from `origin`.
async fn preflight(app: &TestApp, base: &str, path: &str, origin: &str, method: &str) -> Response {
    app.http
        .request(Method::OPTIONS, format!("{base}{path}"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", "x-api-key, content-type")
        .send()
        .await
        .expect("send")
}

async fn intake_token(app: &TestApp) -> String {
    let token = expect_status(app.post("/v1/intake-tokens", &app.admin_key, &json!({"name": "Website"})).await, StatusCode::CREATED).await;
    token["data"]["token"].as_str().or(token["token"].as_str()).expect("token").to_string()
}

fn assert_no_cors(response: &Response) {
    for name in ["access-control-allow-origin", "access-control-allow-methods", "access-control-allow-credentials"] {
        assert!(response.headers().get(name).is_none(), "{name}: {:?}", response.headers());
    }
}

async fn cors_is_off_by_default_except_for_public_intake(app: TestApp) {
    let response = preflight(&app, &app.base, "/v1/clients", APP_ORIGIN, "POST").await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_no_cors(&response);
    let get = app.request(Method::GET, "/v1/clients", &app.admin_key).header("Origin", APP_ORIGIN).send().await.unwrap();
    assert_no_cors(&get);
    expect_status(get, StatusCode::OK).await;
    let token = intake_token(&app).await;
    let response = preflight(&app, &app.base, &format!("/v1/intake/{token}"), APP_ORIGIN, "POST").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&response, "access-control-allow-origin"), "*");
}

async fn a_configured_origin_passes_the_preflight_and_reads_the_answer(app: TestApp) {
    let base = with_origins(&app, &[APP_ORIGIN, "http://localhost:3000"]).await;
    for (path, method) in [("/v1/clients", "POST"), ("/compat/calmintake/api/v1/clients", "GET"), ("/compat/full-engage/v1/clients/x", "PATCH")] {
        let response = preflight(&app, &base, path, APP_ORIGIN, method).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{path}");
        assert_eq!(header(&response, "access-control-allow-origin"), APP_ORIGIN);
        assert!(header(&response, "access-control-allow-methods").contains(method), "{path}");
        assert_eq!(header(&response, "access-control-allow-headers"), "x-api-key, content-type");
        assert!(response.headers().get_all("vary").iter().any(|v| v.to_str().unwrap().contains("Origin")));
        assert!(response.headers().get("access-control-allow-credentials").is_none());
    }
    let created = app
        .http
        .post(format!("{base}/v1/clients"))
        .header("Origin", "http://LOCALHOST:3000")
        .header("X-Api-Key", &app.admin_key)
        .json(&json!({"first_name": "Ann", "last_name": "Lee"}))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&created, "access-control-allow-origin"), "http://LOCALHOST:3000");
    let exposed = header(&created, "access-control-expose-headers");
    for name in ["ETag", "Location", "X-Request-Id", "RateLimit"] {
        assert!(exposed.contains(name), "{exposed}");
    }
    expect_status(created, StatusCode::CREATED).await;
    // Errors are readable too, so a page can show what was wrong.
    let refused = app.http.get(format!("{base}/v1/clients")).header("Origin", APP_ORIGIN).send().await.unwrap();
    assert_eq!(header(&refused, "access-control-allow-origin"), APP_ORIGIN);
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}

async fn an_origin_not_configured_gets_no_cors_headers(app: TestApp) {
    let base = with_origins(&app, &[APP_ORIGIN]).await;
    for origin in ["https://evil.example", "https://app.example.com.evil.example", "null"] {
        let response = preflight(&app, &base, "/v1/clients", origin, "POST").await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{origin}");
        assert_no_cors(&response);
        let get = app.http.get(format!("{base}/v1/clients")).header("Origin", origin).header("X-Api-Key", &app.admin_key).send().await.unwrap();
        assert_no_cors(&get);
        assert!(get.headers().get_all("vary").iter().any(|v| v.to_str().unwrap().contains("Origin")));
    }
}

async fn a_star_allows_every_origin_without_credentials(app: TestApp) {
    let base = with_origins(&app, &["*"]).await;
    let response = preflight(&app, &base, "/v1/clients", "https://anyone.example", "DELETE").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&response, "access-control-allow-origin"), "*");
    assert!(response.headers().get("access-control-allow-credentials").is_none());
    let get = app.http.get(format!("{base}/v1/clients")).header("Origin", "https://anyone.example").header("X-Api-Key", &app.admin_key).send().await.unwrap();
    assert_eq!(header(&get, "access-control-allow-origin"), "*");
    expect_status(get, StatusCode::OK).await;
}

async fn public_intake_allows_any_origin_without_credentials(app: TestApp) {
    let token = intake_token(&app).await;
    let path = format!("/v1/intake/{token}");
    let response = preflight(&app, &app.base, &path, "https://lawfirm.example", "POST").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&response, "access-control-allow-origin"), "*");
    assert_eq!(header(&response, "access-control-allow-methods"), "POST");
    assert!(response.headers().get("access-control-allow-credentials").is_none());
    let submitted = app
        .http
        .post(app.url(&path))
        .header("Origin", "https://lawfirm.example")
        .form(&[("first_name", "Dana"), ("email", "dana@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(header(&submitted, "access-control-allow-origin"), "*");
    assert!(submitted.headers().get("access-control-allow-credentials").is_none());
    expect_status(submitted, StatusCode::ACCEPTED).await;
}

async fn post_bytes(app: &TestApp, path: &str, body: Vec<u8>) -> Response {
    app.request(Method::POST, path, &app.admin_key).header("content-type", "application/json").body(body).send().await.unwrap()
}

fn with_bom(body: &Value) -> Vec<u8> {
    [&b"\xEF\xBB\xBF"[..], body.to_string().as_bytes()].concat()
}

async fn a_json_body_may_start_with_a_byte_order_mark(app: TestApp) {
    let created = expect_status(post_bytes(&app, "/v1/clients", with_bom(&json!({"first_name": "Ann", "last_name": "Lee"}))).await, StatusCode::CREATED).await;
    assert_eq!(created["data"]["first_name"], "Ann", "{created}");
    let dialect = post_bytes(&app, "/compat/calmintake/api/v1/clients", with_bom(&json!({"first_name": "Bo", "last_name": "Ng"}))).await;
    assert_eq!(expect_status(dialect, StatusCode::CREATED).await["data"]["first_name"], "Bo");
    // Only a leading mark: one inside the document is still not JSON.
    let inside = [&b"{\"first_name\": \"Cy\", \xEF\xBB\xBF\"last_name\": \"Oh\"}"[..]].concat();
    crate::helpers::expect_problem(post_bytes(&app, "/v1/clients", inside).await, StatusCode::BAD_REQUEST, "malformed_json").await;
}

async fn a_trailing_slash_is_the_same_route(app: TestApp) {
    let ann = app.person("Ann", "Lee").await;
    let id = ann["id"].as_str().unwrap();
    let listed = expect_status(app.get("/v1/clients/?limit=5", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1), "{listed}");
    let one = expect_status(app.get(&format!("/v1/clients/{id}/"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(one["data"]["id"], id);
    let calm = expect_status(app.get("/compat/calmintake/api/v1/clients/", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(calm["data"].as_array().map(Vec::len), Some(1), "{calm}");
    let created = app.post("/compat/calmintake/api/v1/clients/", &app.admin_key, &json!({"first_name": "Bo", "last_name": "Ng"})).await;
    expect_status(created, StatusCode::CREATED).await;
}
