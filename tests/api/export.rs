//! Streaming exports: NDJSON and CSV, filters, formula neutralisation, many
//! pages, scopes and tenancy, and a round trip back through a batch.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{expect_problem, expect_status, TestApp};

crate::store_tests!(
    ndjson_exports_every_matching_client_oldest_first,
    csv_has_the_documented_columns_and_neutralises_formulas,
    an_export_walks_every_page,
    exports_need_the_read_scope_and_stay_in_the_firm,
    bad_export_parameters_are_400,
    an_exported_firm_imports_back_equal,
    matters_export_as_csv,
);

async fn export(app: &TestApp, path: &str, key: &str) -> (String, String) {
    let response = app.get(path, key).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    (content_type, response.text().await.unwrap())
}

fn lines(body: &str) -> Vec<Value> {
    body.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

async fn batch_create(app: &TestApp, key: &str, docs: Vec<Value>) {
    let operations: Vec<Value> = docs.into_iter().map(|d| json!({"op": "create", "data": d})).collect();
    let answer = expect_status(app.post("/v1/clients/batch", key, &json!({"operations": operations})).await, StatusCode::OK).await;
    assert!(answer["data"].as_array().unwrap().iter().all(|r| r["status"] == 201), "{answer}");
}

async fn ndjson_exports_every_matching_client_oldest_first(app: TestApp) {
    let first = app.create_client(json!({"first_name": "First", "last_name": "One", "tags": ["vip"]})).await;
    app.create_client(json!({"first_name": "Second", "last_name": "Two"})).await;
    let third = app.create_client(json!({"first_name": "Third", "last_name": "Three", "tags": ["vip"]})).await;
    let (content_type, body) = export(&app, "/v1/clients/export", &app.admin_key).await;
    assert_eq!(content_type, "application/x-ndjson");
    let all = lines(&body);
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["id"], first["id"]);
    assert_eq!(all[0], first, "an exported client is its canonical view");
    let (_, vip) = export(&app, "/v1/clients/export?tags=vip", &app.admin_key).await;
    let ids: Vec<Value> = lines(&vip).iter().map(|c| c["id"].clone()).collect();
    assert_eq!(ids, vec![first["id"].clone(), third["id"].clone()]);
    let (_, none) = export(&app, "/v1/clients/export?q=nobody", &app.admin_key).await;
    assert_eq!(none, "");
}

async fn csv_has_the_documented_columns_and_neutralises_formulas(app: TestApp) {
    app.create_client(json!({
        "first_name": "=HYPERLINK(\"http://evil.example\")", "last_name": "@SUM(A1)", "phone": "+12125550187",
        "address": {"line1": "1 Elm St", "city": "Springfield"}, "tags": ["a", "b"],
        "other_emails": [{"address": "w@example.com", "label": "work"}], "notes": "line one\nline, two", "external_id": "-7"
    }))
    .await;
    let (content_type, body) = export(&app, "/v1/clients/export?format=csv", &app.admin_key).await;
    assert_eq!(content_type, "text/csv; charset=utf-8");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    for column in ["id", "first_name", "email", "phone", "address.line1", "address.city", "other_emails", "tags", "external_id", "created_at"] {
        assert!(header.contains(&column.to_string()), "{column} missing from {header:?}");
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let cell = |name: &str| rows[0][header.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(cell("first_name"), "'=HYPERLINK(\"http://evil.example\")");
    assert_eq!(cell("last_name"), "'@SUM(A1)");
    assert_eq!(cell("phone"), "'+12125550187");
    assert_eq!(cell("external_id"), "'-7");
    assert_eq!(cell("address.city"), "Springfield");
    assert_eq!(cell("tags"), "a; b");
    assert_eq!(cell("other_emails"), "w@example.com (work)");
    assert_eq!(cell("notes"), "line one\nline, two");
    for line in body.lines() {
        assert!(!line.starts_with('=') && !line.starts_with('@'), "a row starts with a formula: {line}");
    }
}

async fn an_export_walks_every_page(app: TestApp) {
    for chunk in 0..2 {
        let docs = (0..650).map(|i| json!({"first_name": "Bulk", "last_name": format!("{chunk}-{i}")})).collect();
        batch_create(&app, &app.admin_key, docs).await;
    }
    let (_, body) = export(&app, "/v1/clients/export", &app.admin_key).await;
    let all = lines(&body);
    assert_eq!(all.len(), 1300);
    let mut ids: Vec<&str> = all.iter().map(|c| c["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1300, "a client was exported twice");
    let (_, csv) = export(&app, "/v1/clients/export?format=csv", &app.admin_key).await;
    assert_eq!(csv::Reader::from_reader(csv.as_bytes()).records().count(), 1300);
}

async fn exports_need_the_read_scope_and_stay_in_the_firm(app: TestApp) {
    app.person("Mine", "Only").await;
    let other = app.other_firm().await;
    let theirs = json!({"first_name": "Their", "last_name": "Client"});
    expect_status(app.post("/v1/clients", &other, &theirs).await, StatusCode::CREATED).await;
    let (_, body) = export(&app, "/v1/clients/export", &app.admin_key).await;
    assert_eq!(lines(&body).len(), 1);
    assert!(!body.contains("Their"));
    let writer = app.key("clients:write").await;
    expect_problem(app.get("/v1/clients/export", &writer).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let clients_only = app.key("clients:read").await;
    expect_problem(app.get("/v1/matters/export", &clients_only).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let anonymous = app.http.get(app.url("/v1/clients/export")).send().await.unwrap();
    expect_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

async fn bad_export_parameters_are_400(app: TestApp) {
    for bad in ["format=xlsx", "limit=10", "cursor=abc", "colour=red", "kind=robot", "created_since=yesterday"] {
        expect_problem(app.get(&format!("/v1/clients/export?{bad}"), &app.admin_key).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    expect_problem(app.get("/v1/matters/export?status=lost", &app.admin_key).await, StatusCode::BAD_REQUEST, "invalid_request").await;
}

async fn an_exported_firm_imports_back_equal(app: TestApp) {
    batch_create(&app, &app.admin_key, vec![
        json!({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "+12125550187",
               "address": {"line1": "1 Elm St", "city": "London"}, "tags": ["vip"], "notes": "a\nb", "external_id": "e-1",
               "other_emails": [{"address": "ada@work.example", "label": "work"}], "date_of_birth": "1815-12-10"}),
        json!({"kind": "company", "name": "Analytical Engines Ltd", "status": "inactive"}),
    ])
    .await;
    let (_, body) = export(&app, "/v1/clients/export", &app.admin_key).await;
    let exported = lines(&body);
    let target = app.other_firm().await;
    let owned = ["id", "version", "created_at", "updated_at", "matters_count", "name", "firm_id"];
    let docs: Vec<Value> = exported
        .iter()
        .map(|c| {
            let mut doc = c.as_object().unwrap().clone();
            let company = doc["kind"] == "company";
            doc.retain(|k, _| !owned.contains(&k.as_str()) || (company && k == "name"));
            Value::Object(doc)
        })
        .collect();
    batch_create(&app, &target, docs).await;
    let (_, again) = export(&app, "/v1/clients/export", &target).await;
    let strip = |c: &Value| {
        let mut c = c.as_object().unwrap().clone();
        for k in ["id", "created_at", "updated_at"] {
            c.remove(k);
        }
        Value::Object(c)
    };
    // The batch made them at once, so their creation order is the store's.
    let sorted = |list: Vec<Value>| {
        let mut list: Vec<Value> = list.iter().map(strip).collect();
        list.sort_by_key(|c| c["name"].as_str().unwrap_or_default().to_string());
        list
    };
    let (before, after) = (sorted(exported), sorted(lines(&again)));
    assert_eq!(before, after);
}

async fn matters_export_as_csv(app: TestApp) {
    let client = app.person("Matter", "Owner").await;
    for (title, value) in [("=cmd|' /C calc'!A0", 500000), ("Estate", 0)] {
        let body = json!({"client_id": client["id"], "title": title, "projected_value": {"amount": value, "currency": "USD"}, "external_id": format!("m-{value}")});
        expect_status(app.post("/v1/matters", &app.admin_key, &body).await, StatusCode::CREATED).await;
    }
    let (_, body) = export(&app, "/v1/matters/export?format=csv", &app.admin_key).await;
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert!(header.contains(&"projected_value.amount".to_string()) && header.contains(&"client_id".to_string()));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let title = header.iter().position(|h| h == "title").unwrap();
    assert_eq!(&rows[0][title], "'=cmd|' /C calc'!A0");
    let (_, one) = export(&app, "/v1/matters/export?external_id=m-0", &app.admin_key).await;
    assert_eq!(lines(&one).len(), 1);
    assert_eq!(lines(&one)[0]["title"], "Estate");
}
