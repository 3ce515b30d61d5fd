//! The HTTP envelope: bodies, media types, routes, request ids, caching, the
//! operational routes, and hostile or odd input that must never break the server.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{error_fields, expect_problem, expect_status, TestApp};
use crate::support::{fetch, header, id, list, list_ids, list_raw, path_of};

crate::store_tests!(
    malformed_json_is_400_malformed_json,
    a_json_body_that_is_not_an_object_is_400_malformed_json,
    a_body_not_sent_as_json_is_415,
    a_body_over_one_mebibyte_is_413,
    an_unknown_route_is_a_404_problem,
    a_wrong_method_is_405_with_an_allow_header,
    merge_patch_json_is_accepted_on_patch,
    every_problem_carries_the_request_id_of_its_response,
    a_sane_x_request_id_is_echoed,
    a_garbage_x_request_id_is_replaced,
    api_responses_are_not_cacheable,
    health_and_readiness_answer_200,
    the_openapi_document_lists_every_route_and_schema,
    problem_type_uris_resolve_to_their_description,
    injection_strings_are_stored_and_searched_literally,
    absurd_page_sizes_are_400_naming_limit,
    an_unknown_query_parameter_is_400_naming_it,
    a_malformed_cursor_is_400_naming_cursor,
    odd_unicode_names_round_trip_exactly_and_are_searchable,
);

async fn post_raw(app: &TestApp, content_type: Option<&str>, body: impl Into<reqwest::Body>) -> reqwest::Response {
    let mut request = app.request(Method::POST, "/v1/clients", &app.admin_key).body(body);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    request.send().await.expect("send")
}

async fn malformed_json_is_400_malformed_json(app: TestApp) {
    for body in ["{\"first_name\": ", "{first_name: 'Ann'}", "", "{\"a\": 1} trailing"] {
        expect_problem(post_raw(&app, Some("application/json"), body).await, StatusCode::BAD_REQUEST, "malformed_json").await;
    }
    assert_eq!(list(&app, &[]).await["data"], json!([]));
}

async fn a_json_body_that_is_not_an_object_is_400_malformed_json(app: TestApp) {
    for body in ["[{\"first_name\": \"Ann\", \"last_name\": \"Lee\"}]", "\"Ann\"", "42", "null"] {
        expect_problem(post_raw(&app, Some("application/json"), body).await, StatusCode::BAD_REQUEST, "malformed_json").await;
    }
}

async fn a_body_not_sent_as_json_is_415(app: TestApp) {
    let body = r#"{"first_name": "Ann", "last_name": "Lee"}"#;
    for content_type in [None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("application/jsonx")] {
        let response = post_raw(&app, content_type, body).await;
        expect_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    }
    assert_eq!(list(&app, &[]).await["data"], json!([]));
    let with_charset = post_raw(&app, Some("application/json; charset=utf-8"), body).await;
    expect_status(with_charset, StatusCode::CREATED).await;
}

async fn a_body_over_one_mebibyte_is_413(app: TestApp) {
    let body = json!({"first_name": "Ann", "last_name": "Lee", "notes": "x".repeat(1024 * 1024 + 10)}).to_string();
    let response = post_raw(&app, Some("application/json"), body).await;
    expect_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert_eq!(list(&app, &[]).await["data"], json!([]));
}

async fn an_unknown_route_is_a_404_problem(app: TestApp) {
    for path in ["/v1/nope", "/nope", "/v1/clients/not-an-id", "/v2/clients", "/v1/clients/cli_01J00000000000000000000000/nope"] {
        expect_problem(app.get(path, &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    let anonymous = app.http.get(app.url("/nope")).send().await.unwrap();
    expect_problem(anonymous, StatusCode::NOT_FOUND, "not_found").await;
}

async fn a_wrong_method_is_405_with_an_allow_header(app: TestApp) {
    let response = app.put("/v1/clients", &app.admin_key, &json!({})).await;
    let allow = header(&response, "allow").to_ascii_uppercase();
    expect_problem(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    assert!(allow.contains("GET") && allow.contains("POST"), "RFC 9110 requires Allow on a 405; got {allow:?}");
    let client = app.person("Ann", "Lee").await;
    let response = app.post(&path_of(&client), &app.admin_key, &json!({})).await;
    expect_problem(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    let response = app.delete("/v1/api-keys", &app.admin_key).await;
    expect_problem(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}

async fn merge_patch_json_is_accepted_on_patch(app: TestApp) {
    let client = app.person("Ann", "Lee").await;
    let response = app
        .request(Method::PATCH, &path_of(&client), &app.admin_key)
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"last_name": "Smith"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(expect_status(response, StatusCode::OK).await["data"]["last_name"], "Smith");
    assert_eq!(fetch(&app, &client).await["name"], "Ann Smith");
}

async fn every_problem_carries_the_request_id_of_its_response(app: TestApp) {
    let responses = vec![
        app.get("/v1/nope", &app.admin_key).await,
        app.get("/v1/clients", "clt_wrong").await,
        app.post("/v1/clients", &app.admin_key, &json!({})).await,
        app.put("/v1/clients", &app.admin_key, &json!({})).await,
        post_raw(&app, Some("text/plain"), "x").await,
        post_raw(&app, Some("application/json"), "{").await,
        app.get("/v1/clients/cli_01J00000000000000000000000", &app.admin_key).await,
    ];
    for response in responses {
        let request_id = header(&response, "x-request-id");
        let body: Value = response.json().await.unwrap();
        assert!(!request_id.is_empty(), "no x-request-id header; body {body}");
        assert_eq!(body["request_id"], request_id, "{body}");
    }
}

async fn a_sane_x_request_id_is_echoed(app: TestApp) {
    let ok = app.request(Method::GET, "/v1/clients", &app.admin_key).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(header(&ok, "x-request-id"), "abc-123");
    let problem = app.request(Method::GET, "/v1/nope", &app.admin_key).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(header(&problem, "x-request-id"), "abc-123");
    assert_eq!(problem.json::<Value>().await.unwrap()["request_id"], "abc-123");
}

async fn a_garbage_x_request_id_is_replaced(app: TestApp) {
    let too_long = "a".repeat(129);
    for garbage in ["has spaces in it", too_long.as_str(), "semi;colon", "<script>"] {
        let response = app.request(Method::GET, "/v1/nope", &app.admin_key).header("x-request-id", garbage).send().await.unwrap();
        let echoed = header(&response, "x-request-id");
        assert!(!echoed.is_empty() && echoed != garbage, "{garbage:?} came back as {echoed:?}");
        assert_eq!(response.json::<Value>().await.unwrap()["request_id"], echoed);
    }
    let longest = "b".repeat(128);
    let response = app.request(Method::GET, "/healthz", &app.admin_key).header("x-request-id", &longest).send().await.unwrap();
    assert_eq!(header(&response, "x-request-id"), longest, "128 characters is still a sane id");
}

async fn api_responses_are_not_cacheable(app: TestApp) {
    let client = app.person("Ann", "Lee").await;
    let responses = vec![
        app.get("/v1/clients", &app.admin_key).await,
        app.get(&path_of(&client), &app.admin_key).await,
        app.get("/v1/me", &app.admin_key).await,
        app.get("/v1/nope", &app.admin_key).await,
        app.get("/v1/clients", "").await,
        app.post("/v1/clients", &app.admin_key, &json!({"first_name": "Bo", "last_name": "Ek"})).await,
    ];
    for response in responses {
        assert_eq!(header(&response, "cache-control"), "no-store", "{} {}", response.url(), response.status());
    }
}

async fn health_and_readiness_answer_200(app: TestApp) {
    for path in ["/healthz", "/readyz"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(expect_status(response, StatusCode::OK).await, json!({"status": "ok"}), "{path}");
    }
}

async fn the_openapi_document_lists_every_route_and_schema(app: TestApp) {
    let response = app.http.get(app.url("/openapi.json")).send().await.unwrap();
    assert!(header(&response, "content-type").starts_with("application/json"));
    let doc = expect_status(response, StatusCode::OK).await;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().expect("paths");
    let routes = ["/v1/clients", "/v1/clients/{id}", "/v1/clients/{id}/restore", "/v1/api-keys", "/v1/api-keys/{id}",
        "/v1/me", "/v1/events", "/healthz", "/readyz"];
    for route in routes {
        assert!(paths.contains_key(route), "{route} is not documented; paths: {:?}", paths.keys().collect::<Vec<_>>());
    }
    for (route, methods) in [("/v1/clients", &["get", "post"][..]), ("/v1/clients/{id}", &["get", "patch", "put", "delete"][..])] {
        for method in methods {
            assert!(paths[route][method].is_object(), "{method} {route} is not documented");
        }
    }
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for schema in ["Problem", "ClientView"] {
        assert!(schemas.contains_key(schema), "schema {schema} missing");
    }
}

async fn problem_type_uris_resolve_to_their_description(app: TestApp) {
    let page = expect_status(app.http.get(app.url("/problems/duplicate_email")).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(page["code"], "duplicate_email");
    assert_eq!(page["status"], 409);
    assert!(page["title"].as_str().is_some_and(|t| !t.is_empty()) && page["description"].as_str().is_some_and(|d| !d.is_empty()));
    // A problem's `type` leads to the same page.
    let problem = expect_problem(app.get("/v1/nope", &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
    let described = expect_status(app.http.get(app.url(problem["type"].as_str().unwrap())).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(described["code"], "not_found");
    expect_problem(app.http.get(app.url("/problems/no_such_thing")).send().await.unwrap(), StatusCode::NOT_FOUND, "not_found").await;
}

async fn injection_strings_are_stored_and_searched_literally(app: TestApp) {
    let names = ["'; DROP TABLE clients;--", "100% Pure", "1000 Pure", "snake_case", "snakeXcase", "back\\slash", "backslash"];
    let mut by_name = std::collections::HashMap::new();
    for last in names {
        let client = app.create_client(json!({"first_name": "Q", "last_name": last, "tags": ["vip"], "source": last})).await;
        assert_eq!(fetch(&app, &client).await["last_name"], last);
        by_name.insert(last, id(&client));
    }
    let only = |last: &str| vec![by_name[last].clone()];
    assert_eq!(list_ids(&app, &[("q", "%")]).await, only("100% Pure"));
    assert_eq!(list_ids(&app, &[("q", "100%")]).await, only("100% Pure"));
    assert_eq!(list_ids(&app, &[("q", "_")]).await, only("snake_case"));
    assert_eq!(list_ids(&app, &[("q", "snake_case")]).await, only("snake_case"));
    assert_eq!(list_ids(&app, &[("q", "\\")]).await, only("back\\slash"));
    assert_eq!(list_ids(&app, &[("q", "'; DROP TABLE clients;--")]).await, only("'; DROP TABLE clients;--"));
    assert_eq!(list_ids(&app, &[("q", "' OR '1'='1")]).await, Vec::<String>::new());
    for tags in ["%", "_", "vi%", "' OR 1=1 --"] {
        assert_eq!(list_ids(&app, &[("tags", tags)]).await, Vec::<String>::new(), "tags={tags}");
    }
    assert_eq!(list_ids(&app, &[("status", "'; DROP TABLE clients;--")]).await, Vec::<String>::new());
    let page = list(&app, &[("include_total", "true")]).await;
    assert_eq!(page["pagination"]["total"], names.len(), "every client is still there");
}

async fn absurd_page_sizes_are_400_naming_limit(app: TestApp) {
    for limit in ["0", "101", "-1", "abc", "99999999999999999999", "1.5"] {
        let problem = expect_problem(list_raw(&app, &app.admin_key, &[("limit", limit)]).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(error_fields(&problem), ["limit"], "limit={limit:?}");
    }
    assert_eq!(list(&app, &[("limit", "100")]).await["pagination"]["limit"], 100);
    assert_eq!(list(&app, &[("limit", "1")]).await["pagination"]["limit"], 1);
}

async fn an_unknown_query_parameter_is_400_naming_it(app: TestApp) {
    let problem = expect_problem(list_raw(&app, &app.admin_key, &[("statuss", "active")]).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), ["statuss"]);
    let response = list_raw(&app, &app.admin_key, &[("limit", "5"), ("page", "2"), ("per_page", "5")]).await;
    let mut fields = error_fields(&expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await);
    fields.sort();
    assert_eq!(fields, ["page", "per_page"]);
}

async fn a_malformed_cursor_is_400_naming_cursor(app: TestApp) {
    let not_json = "bm90IGpzb24"; // base64url of "not json"
    let long = "A".repeat(5000);
    for cursor in ["not-a-cursor", "!!!", not_json, "eyJzIjoiLWNyZWF0ZWRfYXQifQ", long.as_str()] {
        let response = list_raw(&app, &app.admin_key, &[("cursor", cursor)]).await;
        let problem = expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(error_fields(&problem), ["cursor"], "cursor={cursor:?}");
    }
}

async fn odd_unicode_names_round_trip_exactly_and_are_searchable(app: TestApp) {
    let people = [
        ("😀", "Smiley 🎉", "🎉"),
        ("محمد", "العلي", "العلي"),
        ("Zoe\u{0308}", "Bjo\u{0308}rk", "bjo\u{0308}rk"),
        ("小明", "王", "王"),
        ("Дмитрий", "Иванов", "иванов"),
        ("Ünal", "Straße", "STRAßE"),
    ];
    let mut created = Vec::new();
    for (first, last, _) in people {
        let client = app.create_client(json!({"first_name": first, "last_name": last})).await;
        let fetched = fetch(&app, &client).await;
        assert_eq!(fetched["first_name"], first);
        assert_eq!(fetched["last_name"], last);
        assert_eq!(fetched["name"], format!("{first} {last}"));
        created.push(id(&client));
    }
    for (i, (_, _, query)) in people.iter().enumerate() {
        assert_eq!(list_ids(&app, &[("q", query)]).await, vec![created[i].clone()], "q={query}");
    }
}
