//! Issue 17.3: an integration GETs a record, changes one field and sends the
//! whole object back. The server-owned fields it echoes unchanged are
//! ignored; a changed one is a 400 naming it. On `/v1` and every dialect that
//! updates, on both stores.

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::dialect_clients::{CALMINTAKE, ACTUALLYCARE, FULL_ENGAGE};
use crate::helpers::{error_fields, expect_problem, expect_status, TestApp};

crate::store_tests!(
    v1_put_and_patch_take_back_a_client_as_get_showed_it,
    v1_refuses_a_changed_server_owned_field_naming_it,
    v1_takes_back_expanded_matters_unchanged,
    a_write_only_key_may_echo_only_what_a_write_shows_it,
    calmintake_patch_takes_back_a_client_with_its_matters,
    actuallycare_put_takes_back_a_client_with_its_version,
    full_engage_patch_takes_back_a_client_as_get_showed_it,
);


async fn send(app: &TestApp, method: Method, path: &str, key: &str, body: &Value) -> Response {
    app.http.request(method, app.url(path)).header("Authorization", format!("Bearer {key}")).json(body).send().await.expect("send")
}

async fn get_data(app: &TestApp, path: &str) -> Value {
    expect_status(app.get(path, &app.admin_key).await, StatusCode::OK).await["data"].clone()
}

/// The vendor error's text, to find the field it names.
async fn refused(response: Response) -> String {
    expect_status(response, StatusCode::BAD_REQUEST).await.to_string()
}

async fn v1_put_and_patch_take_back_a_client_as_get_showed_it(app: TestApp) {
    let made = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "tags": ["vip"]})).await;
    let path = format!("/v1/clients/{}", made["id"].as_str().unwrap());
    let mut whole = get_data(&app, &path).await;
    whole["notes"] = json!("changed by PUT");
    let put = expect_status(app.put(&path, &app.admin_key, &whole).await, StatusCode::OK).await["data"].clone();
    assert_eq!((put["notes"].as_str(), put["version"].as_i64()), (Some("changed by PUT"), Some(2)), "{put}");
    assert_eq!((put["email"].as_str(), put["tags"].clone()), (Some("ann@example.com"), json!(["vip"])));

    // PATCH of the whole object, `version` included (it is the precondition).
    let mut whole = get_data(&app, &path).await;
    whole["notes"] = json!("changed by PATCH");
    let patched = expect_status(app.patch(&path, &app.admin_key, &whole).await, StatusCode::OK).await["data"].clone();
    assert_eq!((patched["notes"].as_str(), patched["version"].as_i64()), (Some("changed by PATCH"), Some(3)));
    assert_eq!(patched["created_at"], made["created_at"]);

    // Sent back with nothing changed, it changes nothing.
    let same = get_data(&app, &path).await;
    let again = expect_status(app.put(&path, &app.admin_key, &same).await, StatusCode::OK).await["data"].clone();
    assert_eq!(again, same);
}

async fn v1_refuses_a_changed_server_owned_field_naming_it(app: TestApp) {
    let made = app.person("Ann", "Lee").await;
    let path = format!("/v1/clients/{}", made["id"].as_str().unwrap());
    let whole = get_data(&app, &path).await;
    let changes = [
        ("created_at", json!("2020-01-01T00:00:00.000Z")),
        ("updated_at", json!("2020-01-01T00:00:00.000Z")),
        ("matters_count", json!(7)),
        ("id", json!("cli_01J00000000000000000000000")),
    ];
    for (field, value) in changes {
        let mut body = whole.clone();
        body[field] = value;
        for method in [Method::PUT, Method::PATCH] {
            let response = app.request(method.clone(), &path, &app.admin_key).json(&body).send().await.unwrap();
            let problem = expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
            assert_eq!(error_fields(&problem), [field], "{method} {problem}");
            assert!(problem.to_string().contains("read-only"), "{problem}");
        }
    }
    // A person's `name` is derived: unchanged it is ignored, changed it is refused.
    let mut body = whole.clone();
    body["name"] = json!("Someone Else");
    let problem = expect_problem(app.put(&path, &app.admin_key, &body).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), ["name"]);
    assert_eq!(get_data(&app, &path).await, whole, "nothing refused was changed");
}

async fn v1_takes_back_expanded_matters_unchanged(app: TestApp) {
    let made = app.person("Ann", "Lee").await;
    let id = made["id"].as_str().unwrap();
    expect_status(app.post("/v1/matters", &app.admin_key, &json!({"client_id": id, "title": "Lee v. Smith"})).await, StatusCode::CREATED).await;
    let path = format!("/v1/clients/{id}");
    let mut whole = get_data(&app, &format!("{path}?expand=matters")).await;
    assert_eq!(whole["matters"].as_array().map(Vec::len), Some(1), "{whole}");
    whole["notes"] = json!("with its matters");
    let put = expect_status(app.put(&path, &app.admin_key, &whole).await, StatusCode::OK).await["data"].clone();
    assert_eq!(put["notes"], "with its matters");
    // Matters are changed through their own routes, not through the client.
    let mut body = get_data(&app, &format!("{path}?expand=matters")).await;
    body["matters"] = json!([]);
    let problem = expect_problem(app.patch(&path, &app.admin_key, &body).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), ["matters"]);
    // A key that may not read matters can't echo them either.
    let clients_only = app.key("clients:read,clients:write").await;
    let mut body = get_data(&app, &format!("{path}?expand=matters")).await;
    body.as_object_mut().unwrap().remove("version");
    let problem = expect_problem(app.patch(&path, &clients_only, &body).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), ["matters"]);
}

async fn a_write_only_key_may_echo_only_what_a_write_shows_it(app: TestApp) {
    let made = app.person("Ann", "Lee").await;
    let path = format!("/v1/clients/{}", made["id"].as_str().unwrap());
    let writer = app.key("clients:write").await;
    // What a write answers it: ids, version and times.
    let owned = json!({"id": made["id"], "created_at": made["created_at"], "updated_at": made["updated_at"], "notes": "x"});
    let answered = expect_status(app.patch(&path, &writer, &owned).await, StatusCode::OK).await["data"].clone();
    assert!(answered.get("notes").is_none(), "{answered}");
    // Not what only a reader sees: comparing it would tell the key its value.
    let problem = expect_problem(app.patch(&path, &writer, &json!({"matters_count": 0})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), ["matters_count"]);
}

async fn calmintake_patch_takes_back_a_client_with_its_matters(app: TestApp) {
    let body = json!({"first_name": "David", "last_name": "Johnson", "email": "david@example.com",
        "address": {"line1": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701"}, "custom_fields": {"language": "en"}});
    let made = expect_status(send(&app, Method::POST, CALMINTAKE, &app.admin_key, &body).await, StatusCode::CREATED).await["data"].clone();
    let id = made["id"].as_str().unwrap();
    let matter = json!({"client_id": id, "title": "Johnson v. Smith", "practice_area": "personal_injury"});
    expect_status(app.post("/v1/matters", &app.admin_key, &matter).await, StatusCode::CREATED).await;
    let path = format!("{CALMINTAKE}/{id}");
    let mut whole = get_data(&app, &path).await;
    assert_eq!(whole["matters"].as_array().map(Vec::len), Some(1), "{whole}");
    whole["notes"] = json!("Prefers email");
    let patched = expect_status(send(&app, Method::PATCH, &path, &app.admin_key, &whole).await, StatusCode::OK).await["data"].clone();
    assert_eq!(patched["notes"], "Prefers email");
    assert_eq!((patched["matters"].clone(), patched["matters_count"].clone()), (whole["matters"].clone(), json!(1)));
    assert_eq!((patched["address"].clone(), patched["custom_fields"].clone()), (whole["address"].clone(), whole["custom_fields"].clone()));

    for (field, value) in [("matters_count", json!(0)), ("matters", json!([])), ("created_at", json!("2020-01-01T00:00:00.000Z"))] {
        let mut body = get_data(&app, &path).await;
        body[field] = value;
        let error = refused(send(&app, Method::PATCH, &path, &app.admin_key, &body).await).await;
        assert!(error.contains(&format!("\"field\":\"{field}\"")), "{field}: {error}");
    }
}

async fn actuallycare_put_takes_back_a_client_with_its_version(app: TestApp) {
    let body = json!({"first_name": "Jordan", "last_name": "Lee", "client_type": "buyer", "phone": "(661) 555-0142"});
    let made = expect_status(send(&app, Method::POST, ACTUALLYCARE, &app.admin_key, &body).await, StatusCode::CREATED).await["data"].clone();
    let path = format!("{ACTUALLYCARE}/{}", made["id"].as_str().unwrap());
    let mut whole = get_data(&app, &path).await;
    whole["notes"] = json!("Wants a garden");
    let put = expect_status(send(&app, Method::PUT, &path, &app.admin_key, &whole).await, StatusCode::OK).await["data"].clone();
    assert_eq!((put["notes"].as_str(), put["version"].as_i64()), (Some("Wants a garden"), Some(2)), "{put}");
    assert_eq!((put["preferred_locations"].clone(), put["property_preferences"].clone()), (json!([]), json!({})));
    // The empty collections sent back stored nothing.
    let cli = clientele::domain::ids::ClientId::from_uuid(uuid::Uuid::parse_str(made["id"].as_str().unwrap()).unwrap());
    let canonical = get_data(&app, &format!("/v1/clients/{cli}")).await;
    assert_eq!(canonical["custom_fields"], json!({"client_type": "buyer"}), "{canonical}");

    // A stale copy is still a conflict; a changed time is a 400.
    expect_status(send(&app, Method::PUT, &path, &app.admin_key, &whole).await, StatusCode::CONFLICT).await;
    let mut body = get_data(&app, &path).await;
    body["created_at"] = json!("2020-01-01T00:00:00.000Z");
    let error = refused(send(&app, Method::PUT, &path, &app.admin_key, &body).await).await;
    assert!(error.contains("created_at"), "{error}");
}

async fn full_engage_patch_takes_back_a_client_as_get_showed_it(app: TestApp) {
    let made = expect_status(send(&app, Method::POST, FULL_ENGAGE, &app.admin_key, &json!({"name": "Jean de la Cruz", "phone": "+1 555-1234"})).await, StatusCode::CREATED)
        .await["data"]
        .clone();
    let path = format!("{FULL_ENGAGE}/{}", made["id"].as_str().unwrap());
    let mut whole = get_data(&app, &path).await;
    whole["notes"] = json!("Call after 5");
    let patched = expect_status(send(&app, Method::PATCH, &path, &app.admin_key, &whole).await, StatusCode::OK).await["data"].clone();
    assert_eq!((patched["notes"].as_str(), patched["name"].as_str()), (Some("Call after 5"), Some("Jean de la Cruz")));
    assert_eq!(patched["createdAt"], made["createdAt"]);

    let mut body = get_data(&app, &path).await;
    body["createdAt"] = json!("2020-01-01T00:00:00.000Z");
    body["id"] = json!("0190f5a2-0000-7000-8000-000000000000");
    let error = expect_status(send(&app, Method::PATCH, &path, &app.admin_key, &body).await, StatusCode::BAD_REQUEST).await;
    let mut fields: Vec<&str> = error["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["createdAt", "id"], "{error}");
}
