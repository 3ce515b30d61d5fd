//! Issue 17.1, 17.4 and 17.6: what integrations moving from a vendor send and
//! expect. One-word names, empty strings and empty query parameters as
//! "not set", a null default, cache-busters, upper-case sort orders, and
//! ActuallyCare's collections never null. On both stores.

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::dialect_clients::{CALMINTAKE, ACTUALLYCARE, FULL_ENGAGE, CLEMTA, CLIO_CONTACTS};
use crate::helpers::{error_fields, expect_problem, expect_status, TestApp};

crate::store_tests!(
    a_one_word_name_is_a_person_known_by_it_on_every_surface,
    an_empty_string_is_an_unset_optional_field_on_every_surface,
    a_null_full_engage_status_is_the_default_status,
    empty_query_parameters_are_absent,
    dialect_paths_ignore_unknown_query_parameters_and_v1_refuses_them,
    sort_orders_are_case_insensitive_where_the_vendors_are,
    actuallycare_shows_unset_collections_empty_never_null,
);


fn bearer(app: &TestApp, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.http.request(method, app.url(path)).header("Authorization", format!("Bearer {}", app.admin_key))
}

async fn get(app: &TestApp, path: &str) -> Response {
    bearer(app, Method::GET, path).send().await.expect("send")
}

async fn send(app: &TestApp, method: Method, path: &str, body: &Value) -> Response {
    bearer(app, method, path).json(body).send().await.expect("send")
}

/// The canonical view of a client a dialect shows by UUID.
async fn canonical_of_uuid(app: &TestApp, uuid: &str) -> Value {
    let id = clientele::domain::ids::ClientId::from_uuid(uuid::Uuid::parse_str(uuid).unwrap());
    expect_status(app.get(&format!("/v1/clients/{id}"), &app.admin_key).await, StatusCode::OK).await["data"].clone()
}

async fn a_one_word_name_is_a_person_known_by_it_on_every_surface(app: TestApp) {
    // Full Engage: the name round-trips exactly, through a rename too.
    let cher = expect_status(send(&app, Method::POST, FULL_ENGAGE, &json!({"name": "Cher"})).await, StatusCode::CREATED).await["data"].clone();
    assert_eq!(cher["name"], "Cher");
    let uuid = cher["id"].as_str().unwrap();
    let canonical = canonical_of_uuid(&app, uuid).await;
    assert_eq!((canonical["kind"].as_str(), canonical["first_name"].clone(), canonical["last_name"].as_str()), (Some("person"), Value::Null, Some("Cher")));
    assert_eq!(canonical["name"], "Cher");
    let path = format!("{FULL_ENGAGE}/{uuid}");
    let renamed = expect_status(send(&app, Method::PATCH, &path, &json!({"name": "Cher Sarkisian"})).await, StatusCode::OK).await["data"].clone();
    assert_eq!(renamed["name"], "Cher Sarkisian");
    let again = expect_status(send(&app, Method::PATCH, &path, &json!({"name": "Cher"})).await, StatusCode::OK).await["data"].clone();
    assert_eq!(again["name"], "Cher");
    assert_eq!(canonical_of_uuid(&app, uuid).await["first_name"], Value::Null, "a single name again clears the first name");

    // The same person on the other surfaces: CalmIntake's two names, `/v1`'s PUT of its own GET.
    let cli = canonical["id"].as_str().unwrap();
    let calm = expect_status(get(&app, &format!("{CALMINTAKE}/{cli}")).await, StatusCode::OK).await["data"].clone();
    assert_eq!((calm["first_name"].clone(), calm["last_name"].as_str()), (Value::Null, Some("Cher")));
    let v1 = format!("/v1/clients/{cli}");
    let whole = expect_status(app.get(&v1, &app.admin_key).await, StatusCode::OK).await["data"].clone();
    let put = expect_status(app.put(&v1, &app.admin_key, &whole).await, StatusCode::OK).await["data"].clone();
    assert_eq!(put["name"], "Cher");

    // Clemta: a one-word `full_name`.
    let acme = app.create_client(json!({"kind": "company", "name": "Acme Inc"})).await;
    let company = acme["id"].as_str().unwrap();
    let body = json!({"type": "vendor", "full_name": "Acme", "email": "acme@example.com", "company_id": company});
    let contact = expect_status(send(&app, Method::POST, CLEMTA, &body).await, StatusCode::OK).await["data"].clone();
    assert_eq!(contact["full_name"], "Acme");
    assert_eq!(canonical_of_uuid(&app, contact["id"].as_str().unwrap()).await["last_name"], "Acme");
}

async fn an_empty_string_is_an_unset_optional_field_on_every_surface(app: TestApp) {
    // `/v1`: what a web form sends for the fields left empty.
    let blank = json!({"first_name": "Ann", "last_name": "Lee", "email": "", "phone": " ", "date_of_birth": "", "company_id": "", "notes": ""});
    let made = expect_status(app.post("/v1/clients", &app.admin_key, &blank).await, StatusCode::CREATED).await["data"].clone();
    for field in ["email", "phone", "date_of_birth", "company_id", "notes"] {
        assert_eq!(made[field], Value::Null, "{field}: {made}");
    }
    let path = format!("/v1/clients/{}", made["id"].as_str().unwrap());
    let set = expect_status(app.patch(&path, &app.admin_key, &json!({"email": "ann@example.com"})).await, StatusCode::OK).await["data"].clone();
    assert_eq!(set["email"], "ann@example.com");
    let cleared = expect_status(app.patch(&path, &app.admin_key, &json!({"email": ""})).await, StatusCode::OK).await["data"].clone();
    assert_eq!(cleared["email"], Value::Null, "an empty string clears, as null does");
    // A value that is there is still checked.
    let problem = expect_problem(app.patch(&path, &app.admin_key, &json!({"email": "nope"})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), ["email"]);

    // The dialects, through the same rules.
    let calm = json!({"first_name": "Bo", "last_name": "Ray", "email": "", "phone": "", "date_of_birth": ""});
    let calm = expect_status(send(&app, Method::POST, CALMINTAKE, &calm).await, StatusCode::CREATED).await["data"].clone();
    assert_eq!((calm["email"].clone(), calm["phone"].clone()), (Value::Null, Value::Null), "{calm}");
    let care = json!({"first_name": "Cy", "last_name": "Day", "client_type": "seller", "email": "", "phone": "", "user_id": ""});
    let care = expect_status(send(&app, Method::POST, ACTUALLYCARE, &care).await, StatusCode::CREATED).await["data"].clone();
    assert_eq!((care["email"].clone(), care["user_id"].clone()), (Value::Null, Value::Null), "{care}");
    let engage = expect_status(send(&app, Method::POST, FULL_ENGAGE, &json!({"name": "Di Fox", "phone": ""})).await, StatusCode::CREATED).await["data"].clone();
    assert_eq!(engage["phone"], Value::Null);
}

async fn a_null_full_engage_status_is_the_default_status(app: TestApp) {
    let made = expect_status(send(&app, Method::POST, FULL_ENGAGE, &json!({"name": "John Doe", "status": null})).await, StatusCode::CREATED).await["data"].clone();
    assert_eq!(made["status"], "active");
    let path = format!("{FULL_ENGAGE}/{}", made["id"].as_str().unwrap());
    let inactive = expect_status(send(&app, Method::PATCH, &path, &json!({"status": "inactive"})).await, StatusCode::OK).await["data"].clone();
    assert_eq!(inactive["status"], "inactive");
    let reset = expect_status(send(&app, Method::PATCH, &path, &json!({"status": null})).await, StatusCode::OK).await["data"].clone();
    assert_eq!(reset["status"], "active");
}

async fn empty_query_parameters_are_absent(app: TestApp) {
    let acme = app.create_client(json!({"kind": "company", "name": "Acme"})).await;
    app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "company_id": acme["id"], "custom_fields": {"client_type": "buyer"}})).await;
    let lists = [
        format!("{CALMINTAKE}?page=&per_page=&search=&sort=&order="),
        format!("{ACTUALLYCARE}?client_type=&status=&page=&limit="),
        format!("{FULL_ENGAGE}?limit=&offset=&query=&sortBy=&sortOrder=&status="),
        format!("{CLEMTA}?page=&limit=&company_id="),
        format!("{CLIO_CONTACTS}?page_token=&query=&limit="),
        "/v1/clients?limit=&cursor=&company_id=&sort=&q=".to_string(),
    ];
    for path in lists {
        let body = expect_status(get(&app, &path).await, StatusCode::OK).await;
        assert!(body.to_string().contains("Lee"), "{path}: {body}");
    }
}

async fn dialect_paths_ignore_unknown_query_parameters_and_v1_refuses_them(app: TestApp) {
    let made = app.person("Ann", "Lee").await;
    let cli = made["id"].as_str().unwrap();
    let uuid = cli.parse::<clientele::domain::ids::ClientId>().unwrap().as_uuid().hyphenated().to_string();
    let paths = [
        CALMINTAKE.to_string(),
        format!("{CALMINTAKE}/{cli}"),
        ACTUALLYCARE.to_string(),
        format!("{ACTUALLYCARE}/{uuid}"),
        FULL_ENGAGE.to_string(),
        format!("{FULL_ENGAGE}/{uuid}"),
        CLEMTA.to_string(),
        CLIO_CONTACTS.to_string(),
    ];
    for path in paths {
        let busted = format!("{path}?_=1767225600000");
        expect_status(get(&app, &busted).await, StatusCode::OK).await;
    }
    let problem = expect_problem(app.get("/v1/clients?_=1767225600000", &app.admin_key).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), ["_"]);
}

async fn sort_orders_are_case_insensitive_where_the_vendors_are(app: TestApp) {
    for (first, last) in [("Ann", "Adams"), ("Bo", "Brown"), ("Cy", "Clark")] {
        app.person(first, last).await;
    }
    let names = |body: &Value, key: &str| -> Vec<String> {
        body["data"].as_array().unwrap().iter().map(|c| c[key].as_str().unwrap_or_default().to_string()).collect()
    };
    let lower = expect_status(get(&app, &format!("{CALMINTAKE}?sort=last_name&order=desc")).await, StatusCode::OK).await;
    let upper = expect_status(get(&app, &format!("{CALMINTAKE}?sort=last_name&order=DESC")).await, StatusCode::OK).await;
    assert_eq!(names(&upper, "last_name"), ["Clark", "Brown", "Adams"]);
    assert_eq!(names(&upper, "last_name"), names(&lower, "last_name"));
    let upper = expect_status(get(&app, &format!("{FULL_ENGAGE}?sortBy=name&sortOrder=DESC")).await, StatusCode::OK).await;
    assert_eq!(names(&upper, "name"), ["Cy Clark", "Bo Brown", "Ann Adams"]);
    let mixed = expect_status(get(&app, &format!("{FULL_ENGAGE}?sortBy=name&sortOrder=Asc")).await, StatusCode::OK).await;
    assert_eq!(names(&mixed, "name"), ["Ann Adams", "Bo Brown", "Cy Clark"]);
    expect_status(get(&app, &format!("{FULL_ENGAGE}?sortOrder=down")).await, StatusCode::BAD_REQUEST).await;
}

async fn actuallycare_shows_unset_collections_empty_never_null(app: TestApp) {
    let body = json!({"first_name": "Jordan", "last_name": "Lee", "client_type": "buyer"});
    let made = expect_status(send(&app, Method::POST, ACTUALLYCARE, &body).await, StatusCode::CREATED).await["data"].clone();
    let got = expect_status(get(&app, &format!("{ACTUALLYCARE}/{}", made["id"].as_str().unwrap())).await, StatusCode::OK).await["data"].clone();
    let listed = expect_status(get(&app, ACTUALLYCARE).await, StatusCode::OK).await["data"]["clients"][0].clone();
    for view in [&made, &got, &listed] {
        assert_eq!(view["preferred_locations"], json!([]), "{view}");
        assert_eq!(view["property_preferences"], json!({}), "{view}");
        assert_eq!(view["tags"], json!([]), "{view}");
    }
    // A set collection is shown as it is.
    let path = format!("{ACTUALLYCARE}/{}", made["id"].as_str().unwrap());
    let set = json!({"preferred_locations": ["Valencia"], "property_preferences": {"bedrooms_min": 3}});
    let updated = expect_status(send(&app, Method::PUT, &path, &set).await, StatusCode::OK).await["data"].clone();
    assert_eq!(updated["preferred_locations"], json!(["Valencia"]));
    assert_eq!(updated["property_preferences"]["bedrooms_min"], 3);
}
