//! The clemta dialect (docs/dialects/clemta.md): the seed's Create Contact
//! example replayed, each error it lists, reading back, scopes and tenancy,
//! and the same record through `/v1`, on both stores.
//!
//! The seed's addresses read "[email protected]": that is the docs site's
//! Cloudflare email obfuscation, not a value; the tests use real addresses.

use std::str::FromStr;

use clientele::domain::ids::ClientId;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{expect_status, TestApp};

const CONTACTS: &str = "/compat/clemta/contacts";

crate::store_tests!(
    the_seed_example_answers_the_documented_response,
    get_reads_back_what_create_returned,
    list_pages_the_firms_contacts,
    each_missing_required_field_is_400_naming_it,
    every_invalid_field_is_listed_in_one_400,
    malformed_or_non_json_bodies_are_400,
    missing_or_invalid_keys_are_401,
    a_company_id_that_is_no_company_of_the_firm_is_404,
    validation_comes_before_the_company_check,
    a_duplicate_email_is_409_conflict,
    keys_without_the_scope_are_403_on_every_route,
    another_firms_contacts_are_not_found_or_listed,
    unknown_contact_ids_are_404,
    a_contact_is_the_same_record_through_v1,
    clients_made_elsewhere_read_as_contacts_with_defaults,
    full_name_splits_at_the_last_space,
    a_retried_create_with_an_idempotency_key_creates_once,
    every_route_is_documented_under_the_clemta_tag,
);

fn contact_path(id: &str) -> String {
    format!("{CONTACTS}/{id}")
}

/// The UUID of a canonical `cli_…` id.
fn uuid_of(cli: &str) -> String {
    ClientId::from_str(cli).unwrap().as_uuid().hyphenated().to_string()
}

/// The canonical `cli_…` id of a UUID.
fn cli_of(uuid: &str) -> String {
    ClientId::from_uuid(uuid::Uuid::parse_str(uuid).unwrap()).to_string()
}

/// A company client of the main firm, made through `/v1`: its `cli_…` id.
async fn company(app: &TestApp, name: &str) -> String {
    app.create_client(json!({"kind": "company", "name": name})).await["id"].as_str().unwrap().to_string()
}

/// A minimal valid body for `company` (a UUID) with this email.
fn body(company: &str, email: &str) -> Value {
    json!({"type": "customer", "full_name": "Ann Lee", "email": email, "company_id": company})
}

async fn create(app: &TestApp, body: &Value) -> Value {
    let response = expect_status(app.post(CONTACTS, &app.admin_key, body).await, StatusCode::OK).await;
    assert_eq!(response["success"], true, "{response}");
    assert_eq!(response["message"], "Contact created successfully");
    response["data"].clone()
}

/// Asserts Clemta's error body and returns it.
async fn expect_error(response: Response, status: StatusCode, code: &str) -> Value {
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = expect_status(response, status).await;
    assert_eq!(content_type, "application/json", "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
    assert!(body.as_object().unwrap().contains_key("data"), "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert!(body["error"]["details"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    body
}

fn details(body: &Value) -> &str {
    body["error"]["details"].as_str().unwrap()
}

async fn person_count(app: &TestApp) -> u64 {
    let listed = expect_status(app.get("/v1/clients?kind=person&include_total=true", &app.admin_key).await, StatusCode::OK).await;
    listed["pagination"]["total"].as_u64().unwrap_or_else(|| panic!("no total: {listed}"))
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

async fn the_seed_example_answers_the_documented_response(app: TestApp) {
    let company = uuid_of(&company(&app, "Doe Holdings").await);
    // The seed's curl example, with real addresses for the obfuscated ones
    // and a real company's id for `64b8f1a2e4b0c8d9f0123456`.
    let seed = r#"{
    "type": "customer",
    "full_name": "John Doe",
    "email": "john.doe@example.com",
    "company_id": "COMPANY",
    "description": "Primary contact for the company",
    "cc_emails": ["jane.doe@example.com"],
    "billing": {
      "email": "billing@example.com",
      "phone": "1234567890",
      "phone_code": "+1",
      "iso_code": "US",
      "country": "United States",
      "address_1": "123 Main Street",
      "postal_code": "12345",
      "state": "CA"
    }
  }"#
    .replace("COMPANY", &company);
    let before = now_seconds();
    let response = app
        .http
        .post(app.url(CONTACTS))
        .header("X-API-Key", &app.admin_key)
        .header("Content-Type", "application/json")
        .body(seed)
        .send()
        .await
        .unwrap();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = expect_status(response, StatusCode::OK).await;
    assert_eq!(content_type, "application/json");
    let data = &body["data"];
    let id = data["id"].as_str().expect("string id");
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().hyphenated().to_string(), id, "a hyphenated UUID");
    let created_at = data["created_at"].as_i64().expect("integer created_at");
    assert!((before - 1..=now_seconds() + 1).contains(&created_at), "unix seconds: {created_at}");
    assert_eq!(data["updated_at"], created_at);
    assert_eq!(
        body,
        json!({
            "success": true,
            "message": "Contact created successfully",
            "data": {
                "id": id,
                "created_at": created_at,
                "updated_at": created_at,
                "type": "customer",
                "status": "active",
                "full_name": "John Doe",
                "email": "john.doe@example.com",
                "description": "Primary contact for the company",
                "cc_emails": ["jane.doe@example.com"],
                "bcc_emails": [],
                "billing": {
                    "email": "billing@example.com",
                    "phone": "1234567890",
                    "phone_code": "+1",
                    "iso_code": "US",
                    "country": "United States",
                    "address_1": "123 Main Street",
                    "postal_code": "12345",
                    "state": "CA"
                }
            }
        })
    );
}

async fn get_reads_back_what_create_returned(app: TestApp) {
    let company = uuid_of(&company(&app, "Acme").await);
    let full = json!({
        "type": "vendor", "full_name": "Ann Lee", "email": "ann@example.com", "company_id": company, "status": "inactive",
        "description": "Supplies paper", "cc_emails": ["a@example.com", "b@example.com"], "bcc_emails": ["c@example.com"],
        "billing": {"address_2": "Suite 5", "district": "Kadikoy", "province": "Istanbul", "tax_id": "TR123"}
    });
    let created = create(&app, &full).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!((created["type"].as_str(), created["status"].as_str()), (Some("vendor"), Some("inactive")));
    assert_eq!(created["bcc_emails"], json!(["c@example.com"]));
    let simple = id.replace('-', "");
    for form in [id.to_string(), cli_of(id), simple] {
        let read = expect_status(app.get(&contact_path(&form), &app.admin_key).await, StatusCode::OK).await;
        assert_eq!(read, json!({"success": true, "message": "Contact retrieved successfully", "data": created}), "{form}");
    }
}

async fn list_pages_the_firms_contacts(app: TestApp) {
    let acme = uuid_of(&company(&app, "Acme").await);
    let globex = uuid_of(&company(&app, "Globex").await);
    for n in 0..3 {
        create(&app, &body(&acme, &format!("acme{n}@example.com"))).await;
    }
    let globex_contact = create(&app, &body(&globex, "g@example.com")).await;
    let all = expect_status(app.get(&format!("{CONTACTS}?limit=3"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!((all["success"].as_bool(), all["message"].as_str()), (Some(true), Some("Contacts retrieved successfully")));
    assert_eq!(all["pagination"], json!({"page": 1, "limit": 3, "total": 4, "has_more": true}), "companies are not contacts");
    assert_eq!(all["data"][0], globex_contact, "newest first, in the Create shape");
    let second = expect_status(app.get(&format!("{CONTACTS}?limit=3&page=2"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert_eq!(second["pagination"]["has_more"], false);
    let of_globex = expect_status(app.get(&format!("{CONTACTS}?company_id={globex}"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(of_globex["data"], json!([globex_contact]));
    // Unknown parameters are ignored, as the vendor ignores them (issue 17.4).
    let busted = expect_status(app.get(&format!("{CONTACTS}?limit=3&colour=red"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(busted["pagination"]["total"], 4);
    let of_nothing = expect_status(app.get(&format!("{CONTACTS}?company_id=nope"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(of_nothing["pagination"]["total"], 0);
    for (query, field) in [("limit=101", "limit"), ("limit=0", "limit"), ("page=0", "page"), ("page=x", "page")] {
        let body = expect_error(app.get(&format!("{CONTACTS}?{query}"), &app.admin_key).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
        assert!(details(&body).starts_with(&format!("Field '{field}' ")), "{query}: {body}");
    }
}

async fn each_missing_required_field_is_400_naming_it(app: TestApp) {
    let company = uuid_of(&company(&app, "Acme").await);
    for field in ["type", "full_name", "email", "company_id"] {
        for absent in [None, Some(Value::Null)] {
            let mut sent = body(&company, "ann@example.com");
            match &absent {
                None => {
                    sent.as_object_mut().unwrap().remove(field);
                }
                Some(null) => sent[field] = null.clone(),
            }
            let response = app.post(CONTACTS, &app.admin_key, &sent).await;
            let error = expect_error(response, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
            assert_eq!(error["message"], "Invalid request data");
            assert_eq!(details(&error), format!("Field '{field}' is required"), "{absent:?}");
        }
    }
    let error = expect_error(app.post(CONTACTS, &app.admin_key, &json!({})).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert_eq!(
        details(&error),
        "Field 'type' is required; Field 'full_name' is required; Field 'email' is required; Field 'company_id' is required"
    );
    assert_eq!(person_count(&app).await, 0, "a refused write stores nothing");
}

async fn every_invalid_field_is_listed_in_one_400(app: TestApp) {
    let company = uuid_of(&company(&app, "Acme").await);
    let bad = json!({
        "type": "partner", "full_name": " ", "email": "not-an-email", "company_id": company, "status": "vip",
        "description": "x".repeat(10_001), "cc_emails": ["ok@example.com", "nope"], "bcc_emails": "x@example.com",
        "billing": {"email": "billing", "phone": 5, "fax": "1"}, "kind": "company"
    });
    let error = expect_error(app.post(CONTACTS, &app.admin_key, &bad).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    let listed = details(&error);
    for field in [
        "type", "full_name", "email", "status", "description", "cc_emails[1]", "bcc_emails", "billing.email", "billing.phone", "billing.fax",
        "kind",
    ] {
        assert!(listed.contains(&format!("Field '{field}' ")), "{field} not in {listed}");
    }
    assert!(listed.contains("Field 'type' must be either customer or vendor"), "{listed}");
    assert!(!listed.contains("first_name") && !listed.contains("custom_fields") && !listed.contains("notes"), "caller's names only: {listed}");
    assert_eq!(listed.matches("Field 'full_name'").count(), 1, "{listed}");
    for (field, value) in [("type", json!(3)), ("full_name", json!("   ")), ("cc_emails", json!([{}])), ("billing", json!("CA"))] {
        let mut sent = body(&company, "ann@example.com");
        sent[field] = value;
        let error = expect_error(app.post(CONTACTS, &app.admin_key, &sent).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
        assert!(details(&error).starts_with(&format!("Field '{field}")), "{field}: {error}");
    }
    assert_eq!(person_count(&app).await, 0, "a refused write stores nothing");
}

async fn malformed_or_non_json_bodies_are_400(app: TestApp) {
    let response = app.request(Method::POST, CONTACTS, &app.admin_key).header("content-type", "application/json").body("{\"type\":").send().await.unwrap();
    let error = expect_error(response, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert_eq!(error["message"], "Invalid request data");
    let response = app.request(Method::POST, CONTACTS, &app.admin_key).header("content-type", "application/json").body("[1]").send().await.unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    let response = app.request(Method::POST, CONTACTS, &app.admin_key).body("type=customer").send().await.unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
}

async fn missing_or_invalid_keys_are_401(app: TestApp) {
    let company = uuid_of(&company(&app, "Acme").await);
    let contact = create(&app, &body(&company, "ann@example.com")).await;
    let read = contact_path(contact["id"].as_str().unwrap());
    for key in [None, Some("your_api_key_here")] {
        let requests = [
            app.http.post(app.url(CONTACTS)).json(&body(&company, "b@example.com")),
            app.http.get(app.url(CONTACTS)),
            app.http.get(app.url(&read)),
        ];
        for request in requests {
            let request = match key {
                Some(key) => request.header("X-API-Key", key),
                None => request,
            };
            let error = expect_error(request.send().await.unwrap(), StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
            assert_eq!(error["message"], "Unauthorized");
        }
    }
    assert_eq!(person_count(&app).await, 1);
}

async fn a_company_id_that_is_no_company_of_the_firm_is_404(app: TestApp) {
    let person = app.person("Pat", "Person").await["id"].as_str().unwrap().to_string();
    let gone = company(&app, "Gone Inc").await;
    expect_status(app.delete(&format!("/v1/clients/{gone}"), &app.admin_key).await, StatusCode::NO_CONTENT).await;
    let other_key = app.other_firm().await;
    let theirs = expect_status(app.post("/v1/clients", &other_key, &json!({"kind": "company", "name": "Theirs"})).await, StatusCode::CREATED).await;
    let theirs = theirs["data"]["id"].as_str().unwrap().to_string();
    let unknown = [
        "64b8f1a2e4b0c8d9f0123456".to_string(),
        uuid::Uuid::now_v7().to_string(),
        ClientId::generate().to_string(),
        uuid_of(&person),
        person.clone(),
        uuid_of(&gone),
        uuid_of(&theirs),
        theirs.clone(),
    ];
    for company_id in unknown {
        let response = app.post(CONTACTS, &app.admin_key, &body(&company_id, "ann@example.com")).await;
        let error = expect_error(response, StatusCode::NOT_FOUND, "COMPANY_NOT_FOUND").await;
        assert_eq!(error["message"], "Company not found", "{company_id}");
    }
    assert_eq!(person_count(&app).await, 1, "only the person made above");
}

async fn validation_comes_before_the_company_check(app: TestApp) {
    let mut sent = body(&uuid::Uuid::now_v7().to_string(), "not-an-email");
    sent["type"] = json!("partner");
    let error = expect_error(app.post(CONTACTS, &app.admin_key, &sent).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert!(details(&error).contains("Field 'email' ") && details(&error).contains("Field 'type' "), "{error}");
}

async fn a_duplicate_email_is_409_conflict(app: TestApp) {
    let company = uuid_of(&company(&app, "Acme").await);
    create(&app, &body(&company, "ann@example.com")).await;
    let error = expect_error(app.post(CONTACTS, &app.admin_key, &body(&company, "ANN@example.com")).await, StatusCode::CONFLICT, "CONFLICT").await;
    assert_eq!(error["message"], "Email already in use");
    assert_eq!(person_count(&app).await, 1);
}

async fn keys_without_the_scope_are_403_on_every_route(app: TestApp) {
    let company = uuid_of(&company(&app, "Acme").await);
    let contact = create(&app, &body(&company, "ann@example.com")).await;
    let read = contact_path(contact["id"].as_str().unwrap());
    let reader = app.key("clients:read").await;
    let error = expect_error(app.post(CONTACTS, &reader, &body(&company, "b@example.com")).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    assert_eq!(error["message"], "Forbidden");
    // The scope is checked before the body, so a key learns nothing from it.
    expect_error(app.post(CONTACTS, &reader, &json!({})).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    expect_status(app.get(&read, &reader).await, StatusCode::OK).await;
    let writer = app.key("clients:write").await;
    create_with(&app, &writer, &body(&company, "c@example.com")).await;
    expect_error(app.get(&read, &writer).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    expect_error(app.get(CONTACTS, &writer).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    expect_error(app.get(&contact_path("nope"), &writer).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    expect_error(app.get(&format!("{CONTACTS}?limit=0"), &writer).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
}

async fn create_with(app: &TestApp, key: &str, body: &Value) -> Value {
    expect_status(app.post(CONTACTS, key, body).await, StatusCode::OK).await["data"].clone()
}

async fn another_firms_contacts_are_not_found_or_listed(app: TestApp) {
    let ours = uuid_of(&company(&app, "Acme").await);
    let contact = create(&app, &body(&ours, "ann@example.com")).await;
    let id = contact["id"].as_str().unwrap();
    let other = app.other_firm().await;
    for form in [id.to_string(), cli_of(id)] {
        let error = expect_error(app.get(&contact_path(&form), &other).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
        assert_eq!(error["message"], "Contact not found");
    }
    let listed = expect_status(app.get(CONTACTS, &other).await, StatusCode::OK).await;
    assert_eq!((listed["data"].clone(), listed["pagination"]["total"].clone()), (json!([]), json!(0)));
    let listed = expect_status(app.get(&format!("{CONTACTS}?company_id={ours}"), &other).await, StatusCode::OK).await;
    assert_eq!(listed["pagination"]["total"], 0);
    // Our company is no company of theirs.
    expect_error(app.post(CONTACTS, &other, &body(&ours, "x@example.com")).await, StatusCode::NOT_FOUND, "COMPANY_NOT_FOUND").await;
    // And the same email is free in another firm.
    let theirs = expect_status(app.post("/v1/clients", &other, &json!({"kind": "company", "name": "Theirs"})).await, StatusCode::CREATED).await;
    let theirs = uuid_of(theirs["data"]["id"].as_str().unwrap());
    create_with(&app, &other, &body(&theirs, "ann@example.com")).await;
    let unchanged = expect_status(app.get(&contact_path(id), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(unchanged["data"], contact);
}

async fn unknown_contact_ids_are_404(app: TestApp) {
    let acme = company(&app, "Acme").await;
    let unknown = [uuid::Uuid::now_v7().to_string(), "64b8f1a2e4b0c8d9f0123456".into(), "cli_01HABC".into(), uuid_of(&acme), acme];
    for id in unknown {
        let error = expect_error(app.get(&contact_path(&id), &app.admin_key).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
        assert_eq!(error["message"], "Contact not found", "{id}: {error}");
    }
    for path in ["/compat/clemta/nothing", "/compat/clemta/contacts/%FF"] {
        let error = expect_error(app.get(path, &app.admin_key).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
        assert_eq!(error["message"], "Not found", "{path}");
    }
}

async fn a_contact_is_the_same_record_through_v1(app: TestApp) {
    let company_cli = company(&app, "Doe Holdings").await;
    let sent = json!({
        "type": "vendor", "full_name": "John Doe", "email": "john.doe@example.com", "company_id": company_cli,
        "description": "Primary contact", "cc_emails": ["jane.doe@example.com"], "bcc_emails": ["audit@example.com"],
        "billing": {"email": "billing@example.com", "state": "CA"}
    });
    let contact = create(&app, &sent).await;
    let cli = cli_of(contact["id"].as_str().unwrap());
    let canonical = expect_status(app.get(&format!("/v1/clients/{cli}"), &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!(canonical["kind"], "person");
    assert_eq!((canonical["first_name"].as_str(), canonical["last_name"].as_str()), (Some("John"), Some("Doe")));
    assert_eq!(canonical["email"], "john.doe@example.com");
    assert_eq!(canonical["notes"], "Primary contact");
    assert_eq!(canonical["status"], "active");
    assert_eq!(canonical["company_id"], company_cli.as_str());
    assert_eq!(
        canonical["custom_fields"],
        json!({
            "contact_type": "vendor", "cc_emails": ["jane.doe@example.com"], "bcc_emails": ["audit@example.com"],
            "billing": {"email": "billing@example.com", "state": "CA"}
        })
    );
    let found = expect_status(app.get("/v1/clients?q=john.doe@example", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(found["data"][0]["id"], cli.as_str());
    let of_company = expect_status(app.get(&format!("/v1/clients?company_id={company_cli}"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(of_company["data"][0]["id"], cli.as_str());
    // A change through /v1 shows through Clemta, and the times stay Unix seconds.
    let patch = json!({"last_name": "Doe-Smith", "custom_fields": {"contact_type": "customer", "billing": {"state": "NY"}}});
    let patched = expect_status(app.patch(&format!("/v1/clients/{cli}"), &app.admin_key, &patch).await, StatusCode::OK).await["data"].clone();
    let read = expect_status(app.get(&contact_path(contact["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!((read["full_name"].as_str(), read["type"].as_str()), (Some("John Doe-Smith"), Some("customer")));
    assert_eq!(read["billing"], json!({"email": "billing@example.com", "state": "NY"}));
    assert_eq!(read["created_at"], contact["created_at"]);
    let updated = clientele::domain::time::Timestamp::parse(patched["updated_at"].as_str().unwrap()).unwrap();
    assert_eq!(read["updated_at"].as_i64().unwrap(), updated.millis().div_euclid(1000));
}

async fn clients_made_elsewhere_read_as_contacts_with_defaults(app: TestApp) {
    let person = app.create_client(json!({"first_name": "Kim", "last_name": "Park", "custom_fields": {"cc_emails": "not a list", "billing": {"fax": "1", "state": 5, "country": "KR"}}})).await;
    let read = expect_status(app.get(&contact_path(&uuid_of(person["id"].as_str().unwrap())), &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!(read["type"], "customer");
    assert_eq!(read["full_name"], "Kim Park");
    assert_eq!((read["email"].clone(), read["description"].clone()), (Value::Null, Value::Null));
    assert_eq!((read["cc_emails"].clone(), read["bcc_emails"].clone()), (json!([]), json!([])));
    assert_eq!(read["billing"], json!({"country": "KR"}), "only the documented string keys");
}

async fn full_name_splits_at_the_last_space(app: TestApp) {
    let company = uuid_of(&company(&app, "Acme").await);
    let mut sent = body(&company, "mary@example.com");
    sent["full_name"] = json!("  Mary Ann   van Lee ");
    let contact = create(&app, &sent).await;
    assert_eq!(contact["full_name"], "Mary Ann   van Lee");
    let canonical = expect_status(app.get(&format!("/v1/clients/{}", cli_of(contact["id"].as_str().unwrap())), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!((canonical["data"]["first_name"].as_str(), canonical["data"]["last_name"].as_str()), (Some("Mary Ann   van"), Some("Lee")));
    // A single name is a person known by it (issue 17.1): the canonical last name.
    sent["full_name"] = json!(" Cher ");
    sent["email"] = json!("cher@example.com");
    let contact = create(&app, &sent).await;
    assert_eq!(contact["full_name"], "Cher");
    let canonical = expect_status(app.get(&format!("/v1/clients/{}", cli_of(contact["id"].as_str().unwrap())), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!((canonical["data"]["first_name"].clone(), canonical["data"]["last_name"].as_str()), (Value::Null, Some("Cher")));
    let got = expect_status(app.get(&format!("{CONTACTS}/{}", contact["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(got["data"]["full_name"], "Cher");
}

async fn a_retried_create_with_an_idempotency_key_creates_once(app: TestApp) {
    let company = uuid_of(&company(&app, "Acme").await);
    let send = || app.request(Method::POST, CONTACTS, &app.admin_key).header("Idempotency-Key", "contact-1").json(&body(&company, "ann@example.com")).send();
    let first = expect_status(send().await.unwrap(), StatusCode::OK).await;
    let again = expect_status(send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(first, again);
    assert_eq!(person_count(&app).await, 1);
}

async fn every_route_is_documented_under_the_clemta_tag(app: TestApp) {
    let doc = expect_status(app.http.get(app.url("/openapi.json")).send().await.unwrap(), StatusCode::OK).await;
    let routes = [
        ("/compat/clemta/contacts", "post", &["200", "400", "401", "403", "404", "409", "429"][..]),
        ("/compat/clemta/contacts", "get", &["200", "400", "401", "403", "429"][..]),
        ("/compat/clemta/contacts/{id}", "get", &["200", "401", "403", "404", "429"][..]),
    ];
    for (path, method, statuses) in routes {
        let operation = &doc["paths"][path][method];
        assert_eq!(operation["tags"], json!(["clemta"]), "{method} {path}");
        for status in statuses {
            let content = &operation["responses"][status]["content"]["application/json"]["schema"]["$ref"];
            assert!(content.as_str().is_some_and(|r| r.contains("Clemta")), "{method} {path} {status}: {operation}");
        }
    }
    let schemas = &doc["components"]["schemas"];
    for name in ["ClemtaContact", "ClemtaContactEnvelope", "ClemtaContactList", "ClemtaContactWrite", "ClemtaBilling", "ClemtaError"] {
        assert!(schemas.get(name).is_some(), "{name} missing");
    }
    let required = &schemas["ClemtaContactWrite"]["required"];
    for field in ["type", "full_name", "email", "company_id"] {
        assert!(required.as_array().unwrap().contains(&json!(field)), "{field} required: {required}");
    }
}
