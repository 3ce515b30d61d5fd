//! Phone numbers on every surface (issue 17, point 5): a number that can
//! exist in its country's plan is kept in E.164 with its extension; one that
//! can't is kept exactly as written and marked unverified, or refused where
//! the vendor promises E.164 (CalmIntake). Neither becomes another number.

use clientele::domain::ids::ClientId;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::dialect_clients::{CALMINTAKE, FULL_ENGAGE, ACTUALLYCARE};
use crate::helpers::{expect_status, TestApp};
use crate::support::list;

crate::store_tests!(
    the_seeds_fictional_555_numbers_can_exist_everywhere,
    a_uk_national_number_sent_to_a_us_firm_is_never_made_into_a_us_number,
    free_text_vendors_keep_a_number_that_cannot_exist_as_written,
    calmintake_refuses_a_number_that_cannot_exist_naming_phone,
    calmintake_lets_a_clients_own_unverified_phone_come_back_unchanged,
    extensions_are_kept_and_shown_in_each_dialects_style,
    search_by_digits_finds_both_kinds_and_only_in_the_firm,
    other_phones_and_leads_are_marked_the_same_way,
    the_marks_may_come_back_in_a_write_when_they_agree_with_the_number,
);


async fn created(app: &TestApp, path: &str, body: Value) -> Value {
    expect_status(app.post(path, &app.admin_key, &body).await, StatusCode::CREATED).await["data"].clone()
}

/// The canonical view of a client made through a dialect whose ids are UUIDs.
async fn canonical_of_uuid(app: &TestApp, uuid: &Value) -> Value {
    let id = ClientId::from_uuid(uuid.as_str().unwrap().parse().unwrap());
    expect_status(app.get(&format!("/v1/clients/{id}"), &app.admin_key).await, StatusCode::OK).await["data"].clone()
}

async fn canonical(app: &TestApp, id: &Value) -> Value {
    expect_status(app.get(&format!("/v1/clients/{}", id.as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await["data"].clone()
}

fn phone_and_mark(view: &Value) -> (Option<&str>, Option<bool>) {
    (view["phone"].as_str(), view["phone_verified"].as_bool())
}

async fn the_seeds_fictional_555_numbers_can_exist_everywhere(app: TestApp) {
    for number in ["+15551234567", "+15559876543", "+15550001111"] {
        let calm = created(&app, CALMINTAKE, json!({"first_name": "David", "last_name": "Johnson", "phone": number})).await;
        assert_eq!(calm["phone"], number);
        assert_eq!(phone_and_mark(&canonical(&app, &calm["id"]).await), (Some(number), Some(true)));
    }
    let v1 = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "phone": "(555) 123-4567"})).await;
    assert_eq!(phone_and_mark(&v1), (Some("+15551234567"), Some(true)));
    let care = created(&app, ACTUALLYCARE, json!({"first_name": "Jo", "last_name": "Lee", "client_type": "buyer", "phone": "(661) 555-0142"})).await;
    assert_eq!(care["phone"], "(661) 555-0142");
    assert_eq!(phone_and_mark(&canonical_of_uuid(&app, &care["id"]).await), (Some("+16615550142"), Some(true)));
}

async fn a_uk_national_number_sent_to_a_us_firm_is_never_made_into_a_us_number(app: TestApp) {
    let v1 = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "phone": "020 7946 0958"})).await;
    assert_eq!(phone_and_mark(&v1), (Some("020 7946 0958"), Some(false)));
    let fe = created(&app, FULL_ENGAGE, json!({"name": "Ben Ode", "phone": "020 7946 0958"})).await;
    assert_eq!(fe["phone"], "020 7946 0958");
    // With its country code it is the London number it is.
    let london = app.create_client(json!({"first_name": "Cy", "last_name": "Oh", "phone": "+44 20 7946 0958"})).await;
    assert_eq!(phone_and_mark(&london), (Some("+442079460958"), Some(true)));
    let dump = app.dump_tables(&["clients"]).await;
    assert!(!dump.contains("+102079460958"), "{dump}");
}

async fn free_text_vendors_keep_a_number_that_cannot_exist_as_written(app: TestApp) {
    // Full Engage's own example: seven digits after +1.
    let fe = created(&app, FULL_ENGAGE, json!({"name": "John Doe", "phone": "+1 555-1234"})).await;
    assert_eq!(fe["phone"], "+1 555-1234");
    assert_eq!(phone_and_mark(&canonical_of_uuid(&app, &fe["id"]).await), (Some("+1 555-1234"), Some(false)));
    let read = expect_status(app.get(&format!("{FULL_ENGAGE}/{}", fe["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(read["data"]["phone"], "+1 555-1234");
    // An area code starting with 1 can't exist either.
    let care = created(&app, ACTUALLYCARE, json!({"first_name": "Jo", "last_name": "Lee", "client_type": "buyer", "phone": "(123) 555-0142"})).await;
    assert_eq!(care["phone"], "(123) 555-0142");
    assert_eq!(phone_and_mark(&canonical_of_uuid(&app, &care["id"]).await), (Some("(123) 555-0142"), Some(false)));
    // Text that is no phone number at all is still refused.
    let refused = app.post(FULL_ENGAGE, &app.admin_key, &json!({"name": "A B", "phone": "call me"})).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
}

async fn calmintake_refuses_a_number_that_cannot_exist_naming_phone(app: TestApp) {
    for bad in ["020 7946 0958", "+1 555-1234", "+1 123 555 0142", "+1 661 055 0142"] {
        let response = app.post(CALMINTAKE, &app.admin_key, &json!({"first_name": "A", "last_name": "B", "phone": bad})).await;
        let body = expect_status(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["error"]["code"], "invalid_request", "{bad}: {body}");
        assert_eq!(body["error"]["details"][0]["field"], "phone", "{bad}: {body}");
        assert!(body["error"]["details"][0]["message"].as_str().unwrap().contains("can exist"), "{body}");
    }
    let calm = created(&app, CALMINTAKE, json!({"first_name": "A", "last_name": "B", "phone": "+16615550142"})).await;
    let path = format!("{CALMINTAKE}/{}", calm["id"].as_str().unwrap());
    let response = app.patch(&path, &app.admin_key, &json!({"phone": "020 7946 0958"})).await;
    assert_eq!(expect_status(response, StatusCode::BAD_REQUEST).await["error"]["details"][0]["field"], "phone");
    assert_eq!(canonical(&app, &calm["id"]).await["phone"], "+16615550142");
    assert_eq!(list(&app, &[]).await["data"].as_array().map(Vec::len), Some(1));
}

async fn calmintake_lets_a_clients_own_unverified_phone_come_back_unchanged(app: TestApp) {
    let fe = created(&app, FULL_ENGAGE, json!({"name": "John Doe", "phone": "+1 555-1234"})).await;
    let id = ClientId::from_uuid(fe["id"].as_str().unwrap().parse().unwrap()).to_string();
    let path = format!("{CALMINTAKE}/{id}");
    let got = expect_status(app.get(&path, &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!(got["phone"], "+1 555-1234");
    let patched = app.patch(&path, &app.admin_key, &json!({"phone": got["phone"], "notes": "called"})).await;
    assert_eq!(expect_status(patched, StatusCode::OK).await["data"]["notes"], "called");
    let changed = app.patch(&path, &app.admin_key, &json!({"phone": "+1 555-9999"})).await;
    assert_eq!(changed.status(), StatusCode::BAD_REQUEST);
}

async fn extensions_are_kept_and_shown_in_each_dialects_style(app: TestApp) {
    let v1 = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "phone": "+1 (212) 555-0187 ext. 12"})).await;
    assert_eq!(phone_and_mark(&v1), (Some("+12125550187;ext=12"), Some(true)));
    let calm = expect_status(app.get(&format!("{CALMINTAKE}/{}", v1["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(calm["data"]["phone"], "+12125550187;ext=12");
    let uuid = v1["id"].as_str().unwrap().parse::<ClientId>().unwrap().as_uuid().hyphenated().to_string();
    let fe = expect_status(app.get(&format!("{FULL_ENGAGE}/{uuid}"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(fe["data"]["phone"], "+12125550187 x12");
    let care = created(&app, ACTUALLYCARE, json!({"first_name": "Jo", "last_name": "Lee", "client_type": "buyer", "phone": "(661) 555-0142 x89"})).await;
    assert_eq!(care["phone"], "(661) 555-0142 x89");
    let read = expect_status(app.get(&format!("{ACTUALLYCARE}/{}", care["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(read["data"]["phone"], "(661) 555-0142 x89");
    assert_eq!(phone_and_mark(&canonical_of_uuid(&app, &care["id"]).await), (Some("+16615550142;ext=89"), Some(true)));
    // Sent back as the canonical view shows it, it is the same number.
    let path = format!("/v1/clients/{}", v1["id"].as_str().unwrap());
    let same = expect_status(app.patch(&path, &app.admin_key, &json!({"phone": "+12125550187;ext=12"})).await, StatusCode::OK).await;
    assert_eq!((same["data"]["phone"].as_str(), same["data"]["version"].as_i64()), (Some("+12125550187;ext=12"), v1["version"].as_i64()));
}

async fn search_by_digits_finds_both_kinds_and_only_in_the_firm(app: TestApp) {
    let short = app.create_client(json!({"first_name": "Sam", "last_name": "Short", "phone": "+1 555-1234"})).await;
    let real = app.create_client(json!({"first_name": "Rae", "last_name": "Real", "phone": "(661) 555-0142 x89"})).await;
    let found = |page: Value| page["data"].as_array().unwrap().iter().map(|c| c["id"].clone()).collect::<Vec<_>>();
    assert_eq!(found(list(&app, &[("q", "555-1234")]).await), [short["id"].clone()]);
    assert_eq!(found(list(&app, &[("q", "(661) 555-0142")]).await), [real["id"].clone()]);
    let other = app.other_firm().await;
    let theirs = expect_status(app.get("/v1/clients?q=5551234", &other).await, StatusCode::OK).await;
    assert_eq!(theirs["data"], json!([]));
}

async fn other_phones_and_leads_are_marked_the_same_way(app: TestApp) {
    let phones = json!([{"number": "+1 555-1234", "label": "old"}, {"number": "(661) 555-0142", "label": "cell"}]);
    let client = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "other_phones": phones})).await;
    assert_eq!(
        client["other_phones"],
        json!([{"number": "+1 555-1234", "label": "old", "verified": false}, {"number": "+16615550142", "label": "cell", "verified": true}])
    );
    let lead = expect_status(app.post("/v1/leads", &app.admin_key, &json!({"first_name": "Dana", "phone": "020 7946 0958"})).await, StatusCode::CREATED).await;
    assert_eq!(phone_and_mark(&lead["data"]), (Some("020 7946 0958"), Some(false)));
}

async fn the_marks_may_come_back_in_a_write_when_they_agree_with_the_number(app: TestApp) {
    let phones = json!([{"number": "+1 555-1234", "label": "old"}]);
    let made = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "phone": "(661) 555-0142", "other_phones": phones})).await;
    let path = format!("/v1/clients/{}", made["id"].as_str().unwrap());
    let mut doc = made.as_object().unwrap().clone();
    for owned in ["id", "name", "version", "created_at", "updated_at", "matters_count"] {
        doc.remove(owned);
    }
    let replaced = expect_status(app.put(&path, &app.admin_key, &Value::Object(doc.clone())).await, StatusCode::OK).await;
    assert_eq!(replaced["data"]["version"], made["version"], "the same document changes nothing");
    let patched = app.patch(&path, &app.admin_key, &json!({"phone": "+1 555-1234", "phone_verified": false})).await;
    assert_eq!(phone_and_mark(&expect_status(patched, StatusCode::OK).await["data"]), (Some("+1 555-1234"), Some(false)));
    // A mark that disagrees with the number is refused, naming it.
    let wrong = app.patch(&path, &app.admin_key, &json!({"phone": "(661) 555-0142", "phone_verified": false})).await;
    assert_eq!(crate::helpers::error_fields(&expect_status(wrong, StatusCode::BAD_REQUEST).await), ["phone_verified"]);
    doc.insert("other_phones".into(), json!([{"number": "(661) 555-0142", "verified": false}]));
    let wrong = app.put(&path, &app.admin_key, &Value::Object(doc)).await;
    assert_eq!(crate::helpers::error_fields(&expect_status(wrong, StatusCode::BAD_REQUEST).await), ["other_phones[0].verified"]);
}
