//! The OpenAPI document as SDK generators read it: unique operation ids,
//! parameters they can express, enums, instants, page limits and required
//! fields that say what the server takes (scripts/check_openapi runs the
//! validators and generators themselves).

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{error_fields, expect_problem, expect_status, TestApp};
use crate::records::{get_query, page_ids};
use crate::support::id;

crate::store_tests!(
    every_operation_has_a_unique_identifier_for_generated_code,
    public_routes_declare_no_security_and_the_document_names_its_server_and_license,
    conditional_headers_are_plain_strings_and_if_none_match_is_declared,
    page_sizes_declare_the_range_the_server_takes,
    closed_sets_are_enums_of_exactly_what_the_server_takes,
    every_timestamp_is_a_date_time,
    custom_field_filters_are_one_repeatable_cf_parameter,
    creates_require_what_the_server_needs_and_patches_nothing,
    the_cli_prints_the_document_the_server_serves,
    every_enum_value_a_list_declares_is_taken,
);

async fn document(app: &TestApp) -> Value {
    expect_status(app.http.get(app.url("/openapi.json")).send().await.unwrap(), StatusCode::OK).await
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// `(method, path, operation)` for every operation, webhooks included.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for section in ["paths", "webhooks"] {
        for (path, item) in doc[section].as_object().expect(section) {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    all.push((method.to_string(), path.clone(), op.clone()));
                }
            }
        }
    }
    all
}

fn parameter<'a>(doc: &'a Value, path: &str, method: &str, name: &str) -> &'a Value {
    let parameters = doc["paths"][path][method]["parameters"].as_array().unwrap_or_else(|| panic!("{method} {path} has no parameters"));
    parameters.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().unwrap_or_else(|| panic!("not an array: {value}")).iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

async fn every_operation_has_a_unique_identifier_for_generated_code(app: TestApp) {
    let doc = document(&app).await;
    let mut seen = HashSet::new();
    for (method, path, op) in operations(&doc) {
        let op_id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        // One identifier in any language: generators name methods after it.
        assert!(
            op_id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && op_id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{method} {path}: {op_id}"
        );
        assert!(seen.insert(op_id.to_string()), "{op_id} is used twice ({method} {path})");
    }
    let op_id = |path: &str, method: &str| doc["paths"][path][method]["operationId"].as_str().unwrap().to_string();
    assert_eq!(op_id("/compat/clio-grow/api/v1/contacts", "get"), "clio_grow_list_contacts");
    assert_eq!(op_id("/compat/clio-grow/api/v1/inbox_leads", "post"), "clio_grow_create_inbox_lead");
    assert_eq!(op_id("/v1/clients/export", "get"), "clients_export");
    assert_eq!(op_id("/v1/matters/batch", "post"), "matters_batch");
}

async fn public_routes_declare_no_security_and_the_document_names_its_server_and_license(app: TestApp) {
    let doc = document(&app).await;
    assert_eq!(doc["servers"][0]["url"], "/");
    assert_eq!(doc["info"]["license"]["identifier"], "Apache-2.0");
    for (method, path, op) in operations(&doc) {
        let public = !path.starts_with("/v1/") && !path.starts_with("/compat/")
            || path.starts_with("/v1/intake/")
            || path == "/v1/sessions"
            || !path.starts_with('/');
        let security = op["security"].as_array().unwrap_or_else(|| panic!("{method} {path} declares no security"));
        if public {
            assert!(security.is_empty(), "{method} {path} is public: {security:?}");
        } else {
            assert_eq!(security, &vec![json!({"api_key": []}), json!({"bearer": []}), json!({"session": []})], "{method} {path}");
        }
    }
    // What the document says public is: no key needed.
    for path in ["/healthz", "/readyz", "/openapi.json"] {
        assert_eq!(app.http.get(app.url(path)).send().await.unwrap().status(), StatusCode::OK, "{path}");
    }
    // Signing in needs no credential: a wrong one is a 401 of its own.
    let sign_in = app.http.post(app.url("/v1/sessions")).json(&json!({"firm_id": app.firm_id, "email": "a@b.example", "password": "x"}));
    assert_eq!(sign_in.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

async fn conditional_headers_are_plain_strings_and_if_none_match_is_declared(app: TestApp) {
    let doc = document(&app).await;
    let mut if_match = 0;
    for (method, path, op) in operations(&doc) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            // A parameter is sent or not, never JSON null.
            assert!(!p["schema"]["type"].as_array().is_some_and(|t| t.contains(&json!("null"))), "{method} {path} {}", p["name"]);
            if p["name"] == "If-Match" {
                assert_eq!(p["schema"], json!({"type": "string"}), "{method} {path}");
                if_match += 1;
            }
        }
        if op["responses"].get("304").is_some() {
            assert_eq!(parameter(&doc, &path, &method, "If-None-Match")["schema"], json!({"type": "string"}), "{method} {path}");
        }
    }
    assert!(if_match >= 10, "If-Match is declared on the conditional writes ({if_match})");
    // The declared header does what it says.
    let client = app.person("Ada", "Lovelace").await;
    let path = format!("/v1/clients/{}", id(&client));
    let etag = app.get(&path, &app.admin_key).await.headers()["etag"].to_str().unwrap().to_string();
    let response = app.request(reqwest::Method::GET, &path, &app.admin_key).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
}

async fn page_sizes_declare_the_range_the_server_takes(app: TestApp) {
    let doc = document(&app).await;
    let mut checked = 0;
    for (method, path, op) in operations(&doc) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            if ["limit", "per_page"].contains(&p["name"].as_str().unwrap()) && !path.contains("full-engage") {
                let most = if path == "/v1/events" { 500 } else { 100 };
                assert_eq!((&p["schema"]["minimum"], &p["schema"]["maximum"]), (&json!(1), &json!(most)), "{method} {path}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "{checked}");
    // The bounds are the server's: just outside them is a 400, on them a page.
    for (path, most) in [("/v1/clients", 100), ("/v1/events", 500), ("/v1/matters", 100)] {
        for refused in ["0".to_string(), (most + 1).to_string()] {
            let problem = expect_problem(get_query(&app, path, &app.admin_key, &[("limit", &refused)]).await, StatusCode::BAD_REQUEST, "invalid_request").await;
            assert_eq!(error_fields(&problem), ["limit"], "{path} limit={refused}");
        }
        for taken in ["1".to_string(), most.to_string()] {
            expect_status(get_query(&app, path, &app.admin_key, &[("limit", &taken)]).await, StatusCode::OK).await;
        }
    }
}

async fn closed_sets_are_enums_of_exactly_what_the_server_takes(app: TestApp) {
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];
    let values = |schema: &Value| strings(&schema["enum"]);
    assert_eq!(values(&schemas["ClientKind"]), ["person", "company"]);
    assert_eq!(schemas["ClientView"]["properties"]["kind"]["$ref"], "#/components/schemas/ClientKind");
    assert_eq!(values(&schemas["MatterStatus"]), ["open", "pending", "closed"]);
    assert_eq!(values(&schemas["LeadState"]), ["untriaged", "ignored", "converted"]);
    assert_eq!(values(&schemas["UserRole"]), ["owner", "admin", "member"]);
    assert_eq!(values(&schemas["DeliveryStatus"]).len(), 4);
    let types = values(&schemas["CustomFieldType"]);
    assert_eq!(types, ["text", "number", "boolean", "date", "enum", "json"]);
    // Every custom field type the document lists can be defined.
    for (n, field_type) in types.iter().enumerate() {
        let mut body = json!({"entity": "client", "key": format!("f{n}"), "label": "F", "type": field_type});
        if field_type == "enum" {
            body["options"] = json!(["a", "b"]);
        }
        let made = expect_status(app.post("/v1/custom-fields", &app.admin_key, &body).await, StatusCode::CREATED).await;
        assert_eq!(made["data"]["type"], *field_type);
    }
    // Every sort the lists declare is taken, and a value outside them is not.
    app.person("Ada", "Lovelace").await;
    for (path, sorts) in [("/v1/clients", 8), ("/v1/matters", 4), ("/v1/leads", 4)] {
        let declared = strings(&parameter(&doc, path, "get", "sort")["schema"]["enum"]);
        assert_eq!(declared.len(), sorts, "{path}: {declared:?}");
        for sort in &declared {
            expect_status(get_query(&app, path, &app.admin_key, &[("sort", sort)]).await, StatusCode::OK).await;
        }
        let problem = expect_problem(get_query(&app, path, &app.admin_key, &[("sort", "email")]).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(error_fields(&problem), ["sort"]);
    }
    let kind = &parameter(&doc, "/v1/clients", "get", "kind")["schema"];
    assert_eq!(values(kind), ["person", "company"]);
    let status = &parameter(&doc, "/v1/matters", "get", "status")["schema"];
    assert_eq!((status["type"].as_str(), values(&status["items"])), (Some("array"), vec!["open".into(), "pending".into(), "closed".into()]));
    // A list given as repeated parameters, as generators send an array.
    let repeated = get_query(&app, "/v1/matters", &app.admin_key, &[("status", "open"), ("status", "closed")]).await;
    expect_status(repeated, StatusCode::OK).await;
}

async fn every_timestamp_is_a_date_time(app: TestApp) {
    let doc = document(&app).await;
    let mut checked = 0;
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let mut objects = vec![schema.clone()];
        objects.extend(schema["allOf"].as_array().into_iter().flatten().cloned());
        for object in objects {
            for (field, property) in object["properties"].as_object().into_iter().flatten() {
                let instant = field.ends_with("_at") || field.ends_with("At") || field == "timestamp";
                let text = property["type"] == "string" || property["type"].as_array().is_some_and(|t| t.contains(&json!("string")));
                if instant && text && field != "first_appointment_created_at" {
                    assert_eq!(property["format"], "date-time", "{name}.{field}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 30, "{checked}");
    // And what the server sends is one.
    let client = app.person("Ada", "Lovelace").await;
    let at = client["created_at"].as_str().unwrap();
    assert!(at.len() == 24 && at.ends_with('Z') && at.as_bytes()[10] == b'T', "{at}");
}

async fn custom_field_filters_are_one_repeatable_cf_parameter(app: TestApp) {
    let doc = document(&app).await;
    let list = &doc["paths"]["/v1/clients"]["get"]["parameters"];
    assert!(!list.as_array().unwrap().iter().any(|p| p["name"].as_str().unwrap().contains('{')), "no templated parameter names");
    let cf = parameter(&doc, "/v1/clients", "get", "cf");
    assert_eq!(cf["schema"], json!({"type": "array", "items": {"type": "string"}}));
    assert_eq!(parameter(&doc, "/v1/clients/export", "get", "cf")["schema"], cf["schema"]);

    for (key, field_type) in [("tier", "text"), ("seats", "number")] {
        let body = json!({"entity": "client", "key": key, "label": key, "type": field_type});
        expect_status(app.post("/v1/custom-fields", &app.admin_key, &body).await, StatusCode::CREATED).await;
    }
    let gold = app.create_client(json!({"first_name": "G", "last_name": "Old", "custom_fields": {"tier": "gold:plus", "seats": 3}})).await;
    app.create_client(json!({"first_name": "S", "last_name": "Ilver", "custom_fields": {"tier": "silver", "seats": 3}})).await;
    let gold = id(&gold);
    // Split at the first colon: a value may hold more.
    assert_eq!(page_ids(&app, "/v1/clients", &[("cf", "tier:gold:plus")]).await, [gold.clone()]);
    assert_eq!(page_ids(&app, "/v1/clients", &[("cf", "tier:gold:plus"), ("cf", "seats:3")]).await, [gold.clone()]);
    assert_eq!(page_ids(&app, "/v1/clients", &[("cf", "seats:3")]).await.len(), 2);
    // The older form means the same, and both combine.
    assert_eq!(page_ids(&app, "/v1/clients", &[("cf.tier", "gold:plus"), ("cf", "seats:3")]).await, [gold.clone()]);
    assert!(page_ids(&app, "/v1/clients", &[("cf", "tier:bronze")]).await.is_empty());
    // An empty one (a form's blank field) filters nothing.
    assert_eq!(page_ids(&app, "/v1/clients", &[("cf", ""), ("cf", "tier:gold:plus")]).await, [gold.clone()]);
    for bad in ["tier", ":gold"] {
        let problem = expect_problem(get_query(&app, "/v1/clients", &app.admin_key, &[("cf", bad)]).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(error_fields(&problem), ["cf"], "cf={bad}");
    }
    let many: Vec<(&str, String)> = (0..101).map(|n| ("cf", format!("k{n}:v"))).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let problem = expect_problem(get_query(&app, "/v1/clients", &app.admin_key, &many).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), ["cf"]);
    // The export takes the same filter.
    let export = app.http.get(app.url("/v1/clients/export")).query(&[("cf", "tier:gold:plus")]).header("X-Api-Key", &app.admin_key);
    let text = export.send().await.unwrap().text().await.unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
}

fn required(doc: &Value, schema: &str) -> Vec<String> {
    doc["components"]["schemas"][schema]["required"].as_array().map(|_| strings(&doc["components"]["schemas"][schema]["required"])).unwrap_or_default()
}

fn body_schema(doc: &Value, path: &str, method: &str) -> String {
    let content = doc["paths"][path][method]["requestBody"]["content"].as_object().unwrap();
    let reference = content.values().next().unwrap()["schema"]["$ref"].as_str().unwrap();
    reference.rsplit('/').next().unwrap().to_string()
}

async fn creates_require_what_the_server_needs_and_patches_nothing(app: TestApp) {
    let doc = document(&app).await;
    // A merge patch may leave out anything.
    for path in ["/v1/clients/{id}", "/v1/matters/{id}", "/v1/users/{id}", "/v1/custom-fields/{id}", "/v1/webhooks/{id}",
        "/v1/notes/{id}", "/v1/leads/{id}", "/v1/custom-actions/{id}", "/compat/calmintake/api/v1/clients/{id}"] {
        let schema = body_schema(&doc, path, "patch");
        assert!(schema.ends_with("Patch"), "PATCH {path}: {schema}");
        assert!(required(&doc, &schema).is_empty(), "PATCH {path}: {schema} requires {:?}", required(&doc, &schema));
    }
    // CalmIntake's create needs the names, and nothing else.
    let calm = "/compat/calmintake/api/v1/clients";
    let schema = body_schema(&doc, calm, "post");
    assert_eq!(required(&doc, &schema), ["first_name", "last_name"]);
    expect_status(app.post(calm, &app.admin_key, &json!({"first_name": "Ann", "last_name": "Lee"})).await, StatusCode::CREATED).await;
    let response = app.post(calm, &app.admin_key, &json!({"first_name": "Ann"})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("last_name"));
    // A canonical create with exactly the declared fields is taken; each
    // declared field left out is a 400 naming it.
    let client = app.person("Ada", "Lovelace").await;
    let matter = json!({"client_id": id(&client), "title": "Estate"});
    for (path, schema, body) in [
        ("/v1/matters", "MatterWrite", matter),
        ("/v1/users", "UserWrite", json!({"first_name": "Sam", "last_name": "Staff", "email": "sam@example.com"})),
        ("/v1/custom-fields", "CustomFieldWrite", json!({"entity": "client", "key": "tier", "label": "Tier", "type": "text"})),
    ] {
        assert_eq!(body_schema(&doc, path, "post"), schema);
        let declared = required(&doc, schema);
        let mut sent: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
        sent.sort();
        let mut wanted = declared.clone();
        wanted.sort();
        assert_eq!(sent, wanted, "{path}");
        for field in &declared {
            let mut less = body.clone();
            less.as_object_mut().unwrap().remove(field);
            let problem = expect_problem(app.post(path, &app.admin_key, &less).await, StatusCode::BAD_REQUEST, "invalid_request").await;
            assert!(error_fields(&problem).contains(field), "{path} without {field}: {problem}");
        }
        expect_status(app.post(path, &app.admin_key, &body).await, StatusCode::CREATED).await;
    }
}

async fn the_cli_prints_the_document_the_server_serves(app: TestApp) {
    let served = document(&app).await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_clientele")).arg("openapi").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, served);
}

/// The values a parameter's schema allows, if it is a closed set (or an
/// array of one).
fn enum_values(p: &Value) -> Option<Vec<String>> {
    let schema = &p["schema"];
    let values = if schema["type"] == "array" { &schema["items"]["enum"] } else { &schema["enum"] };
    values.as_array().map(|_| strings(values))
}

async fn every_enum_value_a_list_declares_is_taken(app: TestApp) {
    let doc = document(&app).await;
    app.person("Ada", "Lovelace").await;
    let mut checked = 0;
    for (method, path, op) in operations(&doc) {
        if method != "get" || path.contains('{') || !path.starts_with('/') {
            continue;
        }
        let parameters = op["parameters"].as_array().cloned().unwrap_or_default();
        // A required parameter is given its first value throughout.
        let base: Vec<(String, String)> = parameters
            .iter()
            .filter(|p| p["required"] == true && p["in"] == "query")
            .map(|p| (p["name"].as_str().unwrap().to_string(), enum_values(p).expect("a required enum")[0].clone()))
            .collect();
        for p in parameters.iter().filter(|p| p["in"] == "query") {
            let name = p["name"].as_str().unwrap();
            for value in enum_values(p).into_iter().flatten() {
                let mut query: Vec<(&str, &str)> = base.iter().filter(|(n, _)| n != name).map(|(n, v)| (n.as_str(), v.as_str())).collect();
                query.push((name, &value));
                let response = get_query(&app, &path, &app.admin_key, &query).await;
                assert_eq!(response.status(), StatusCode::OK, "GET {path}?{name}={value}: {}", response.text().await.unwrap());
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "{checked}");
}
