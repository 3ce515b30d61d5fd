//! Input rules for a client: every refusal is a 400 `invalid_request` naming
//! each bad field, and a refused request stores nothing.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{error_fields, expect_problem, expect_status, TestApp};
use crate::support::{fetch, list, path_of};

crate::store_tests!(
    a_person_needs_a_last_name,
    a_company_needs_a_name,
    name_is_refused_for_a_person,
    first_and_last_name_are_refused_for_a_company,
    email_must_be_a_valid_address,
    phone_must_be_a_plausible_number,
    phone_is_normalised_to_e164,
    date_of_birth_must_be_a_real_past_yyyy_mm_dd_date,
    status_must_be_one_of_the_firms_statuses,
    tags_must_be_at_most_fifty_short_strings,
    repeated_tags_are_collapsed,
    custom_fields_must_be_a_small_object_with_plain_keys,
    other_emails_and_other_phones_items_are_checked_by_path,
    text_fields_have_length_limits,
    control_characters_are_refused,
    unknown_fields_are_refused,
    read_only_fields_are_refused,
    every_bad_field_is_reported_in_one_response,
    company_id_must_name_a_company_of_this_firm,
    wrong_json_types_are_reported_per_field,
    refused_creates_store_nothing,
    a_refused_patch_or_put_changes_nothing,
);

/// A valid person with `extra` merged in.
fn person(extra: Value) -> Value {
    let mut body = json!({"first_name": "Ann", "last_name": "Lee"});
    for (k, v) in extra.as_object().expect("object") {
        body[k] = v.clone();
    }
    body
}

async fn live_count(app: &TestApp) -> u64 {
    list(app, &[("include_total", "true")]).await["pagination"]["total"].as_u64().expect("total")
}

/// POSTs `body`; asserts 400 `invalid_request` and that nothing was stored.
async fn refused(app: &TestApp, body: Value) -> Value {
    let before = live_count(app).await;
    let response = app.post("/v1/clients", &app.admin_key, &body).await;
    let problem = expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(live_count(app).await, before, "a refused create stored a client: {body}");
    problem
}

/// The sorted field names of the refusal of `body`.
async fn refused_fields(app: &TestApp, body: Value) -> Vec<String> {
    let mut fields = error_fields(&refused(app, body).await);
    fields.sort();
    fields
}

fn message(problem: &Value, field: &str) -> String {
    let errors = problem["errors"].as_array().expect("errors");
    let error = errors.iter().find(|e| e["field"] == field).unwrap_or_else(|| panic!("no error for {field}: {problem}"));
    error["message"].as_str().expect("message").to_string()
}

async fn accepted(app: &TestApp, body: Value) -> Value {
    expect_status(app.post("/v1/clients", &app.admin_key, &body).await, StatusCode::CREATED).await["data"].clone()
}

/// A person needs a last name; a person known by a single name has only
/// that (issue 17.1: one-word names on the dialects, and their round trip here).
async fn a_person_needs_a_last_name(app: TestApp) {
    assert_eq!(refused_fields(&app, json!({})).await, ["last_name"]);
    assert_eq!(refused_fields(&app, json!({"first_name": "Ann"})).await, ["last_name"]);
    assert_eq!(refused_fields(&app, json!({"first_name": "Ann", "last_name": "   "})).await, ["last_name"]);
    assert_eq!(refused_fields(&app, json!({"first_name": "\u{200B}", "last_name": "Lee"})).await, ["first_name"]);
    for first in [json!(null), json!("   ")] {
        let one = accepted(&app, json!({"first_name": first, "last_name": "Lee"})).await;
        assert_eq!((one["first_name"].clone(), one["name"].as_str()), (Value::Null, Some("Lee")));
    }
}

async fn a_company_needs_a_name(app: TestApp) {
    assert_eq!(refused_fields(&app, json!({"kind": "company"})).await, ["name"]);
    let acme = accepted(&app, json!({"kind": "company", "name": "Acme"})).await;
    assert_eq!(acme["name"], "Acme");
}

async fn name_is_refused_for_a_person(app: TestApp) {
    assert_eq!(refused_fields(&app, person(json!({"name": "Ann Lee"}))).await, ["name"]);
}

async fn first_and_last_name_are_refused_for_a_company(app: TestApp) {
    let body = json!({"kind": "company", "name": "Acme", "first_name": "Ann", "last_name": "Lee"});
    assert_eq!(refused_fields(&app, body).await, ["first_name", "last_name"]);
}

async fn email_must_be_a_valid_address(app: TestApp) {
    for bad in ["plain", "@example.com", "a@", "a@b", "a..b@x.com", "a b@x.com", "a@x..com", "<a>@x.com"] {
        assert_eq!(refused_fields(&app, person(json!({"email": bad}))).await, ["email"], "{bad}");
    }
    assert_eq!(accepted(&app, person(json!({"email": "a+tag@sub.example.co.uk"}))).await["email"], "a+tag@sub.example.co.uk");
}

async fn phone_must_be_a_plausible_number(app: TestApp) {
    for bad in ["call me", "12", "555-01", "+999 1234567", "+1 234567890123456789"] {
        assert_eq!(refused_fields(&app, person(json!({"phone": bad}))).await, ["phone"], "{bad}");
    }
}

async fn phone_is_normalised_to_e164(app: TestApp) {
    let client = accepted(&app, person(json!({"phone": "(661) 555-0142"}))).await;
    assert_eq!(client["phone"], "+16615550142");
    assert_eq!(fetch(&app, &client).await["phone"], "+16615550142");
}

async fn date_of_birth_must_be_a_real_past_yyyy_mm_dd_date(app: TestApp) {
    let next_year = time::OffsetDateTime::now_utc().year() + 1;
    let future = format!("{next_year}-01-01");
    for bad in ["15/06/1985", "1985-6-15", "1985-06-15T00:00:00Z", "June 15 1985", "1985-02-30", "1985-13-01", &future] {
        assert_eq!(refused_fields(&app, person(json!({"date_of_birth": bad}))).await, ["date_of_birth"], "{bad}");
    }
    let problem = refused(&app, person(json!({"date_of_birth": future}))).await;
    assert!(message(&problem, "date_of_birth").contains("future"), "{problem}");
    assert_eq!(accepted(&app, person(json!({"date_of_birth": "1985-06-15"}))).await["date_of_birth"], "1985-06-15");
}

async fn status_must_be_one_of_the_firms_statuses(app: TestApp) {
    for bad in ["vip", "Active", "deleted"] {
        assert_eq!(refused_fields(&app, person(json!({"status": bad}))).await, ["status"], "{bad:?}");
    }
    // An empty string is no status, as null is (issue 17.4): the default.
    assert_eq!(accepted(&app, person(json!({"status": ""}))).await["status"], "active");
    for good in ["active", "inactive", "closed"] {
        assert_eq!(accepted(&app, person(json!({"status": good}))).await["status"], good);
    }
    assert_eq!(accepted(&app, person(json!({}))).await["status"], "active", "the default status");
}

async fn tags_must_be_at_most_fifty_short_strings(app: TestApp) {
    assert_eq!(refused_fields(&app, person(json!({"tags": ["ok", 1]}))).await, ["tags[1]"]);
    assert_eq!(refused_fields(&app, person(json!({"tags": ["ok", null]}))).await, ["tags[1]"]);
    let fifty_one: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
    assert_eq!(refused_fields(&app, person(json!({"tags": fifty_one}))).await, ["tags"]);
    assert_eq!(refused_fields(&app, person(json!({"tags": ["x".repeat(65)]}))).await, ["tags[0]"]);
    let fifty_long: Vec<String> = (0..50).map(|i| format!("{i:02}{}", "x".repeat(62))).collect();
    assert_eq!(accepted(&app, person(json!({"tags": fifty_long.clone()}))).await["tags"], json!(fifty_long));
}

async fn repeated_tags_are_collapsed(app: TestApp) {
    let client = accepted(&app, person(json!({"tags": ["vip", "referral", "vip", " vip "]}))).await;
    assert_eq!(client["tags"], json!(["vip", "referral"]));
}

async fn custom_fields_must_be_a_small_object_with_plain_keys(app: TestApp) {
    assert_eq!(refused_fields(&app, person(json!({"custom_fields": "x"}))).await, ["custom_fields"]);
    assert_eq!(refused_fields(&app, person(json!({"custom_fields": [1, 2]}))).await, ["custom_fields"]);
    assert_eq!(refused_fields(&app, person(json!({"custom_fields": {"has space": 1}}))).await, ["custom_fields.has space"]);
    assert_eq!(refused_fields(&app, person(json!({"custom_fields": {"k$y": 1}}))).await, ["custom_fields.k$y"]);
    let long_key = "k".repeat(65);
    assert_eq!(refused_fields(&app, person(json!({"custom_fields": {long_key.clone(): 1}}))).await, [format!("custom_fields.{long_key}")]);
    // Four values of 5,000 characters: about 20 KiB of JSON, over the 16 KiB limit.
    let big: serde_json::Map<String, Value> = (0..4).map(|i| (format!("k{i}"), json!("v".repeat(5000)))).collect();
    assert_eq!(refused_fields(&app, person(json!({"custom_fields": big}))).await, ["custom_fields"]);
    // Three of them (about 15 KiB) fit.
    let fits: serde_json::Map<String, Value> = (0..3).map(|i| (format!("k{i}"), json!("v".repeat(5000)))).collect();
    assert_eq!(accepted(&app, person(json!({"custom_fields": fits.clone()}))).await["custom_fields"], Value::Object(fits));
    let plain = json!({"language": "en", "score.v2": 7, "nested": {"a": [1, true]}});
    assert_eq!(accepted(&app, person(json!({"custom_fields": plain.clone()}))).await["custom_fields"], plain);
}

async fn other_emails_and_other_phones_items_are_checked_by_path(app: TestApp) {
    let emails = json!([{"address": "ok@example.com", "label": "work"}, {"address": "nope"}]);
    assert_eq!(refused_fields(&app, person(json!({"other_emails": emails}))).await, ["other_emails[1].address"]);
    assert_eq!(refused_fields(&app, person(json!({"other_emails": [{"label": "home"}]}))).await, ["other_emails[0].address"]);
    assert_eq!(refused_fields(&app, person(json!({"other_emails": ["a@example.com"]}))).await, ["other_emails[0]"]);
    let phones = json!([{"number": "+1 661 555 0123"}, {"number": "12"}, {"number": "abc", "extra": 1}]);
    assert_eq!(
        refused_fields(&app, person(json!({"other_phones": phones}))).await,
        ["other_phones[1].number", "other_phones[2].extra", "other_phones[2].number"]
    );
    let many: Vec<Value> = (0..11).map(|i| json!({"address": format!("a{i}@example.com")})).collect();
    assert_eq!(refused_fields(&app, person(json!({"other_emails": many}))).await, ["other_emails"]);
    let ok = accepted(&app, person(json!({"other_phones": [{"number": "(661) 555-0142", "label": "cell"}]}))).await;
    assert_eq!(ok["other_phones"], json!([{"number": "+16615550142", "label": "cell", "verified": true}]));
}

async fn text_fields_have_length_limits(app: TestApp) {
    let n = |count: usize| "a".repeat(count);
    assert_eq!(refused_fields(&app, person(json!({"first_name": n(201)}))).await, ["first_name"]);
    assert_eq!(refused_fields(&app, person(json!({"last_name": n(201)}))).await, ["last_name"]);
    assert_eq!(refused_fields(&app, person(json!({"source": n(201)}))).await, ["source"]);
    assert_eq!(refused_fields(&app, person(json!({"notes": n(10_001)}))).await, ["notes"]);
    assert_eq!(refused_fields(&app, person(json!({"address": {"city": n(101)}}))).await, ["address.city"]);
    // Characters, not bytes: 200 two-byte characters fit.
    let created = accepted(&app, person(json!({"first_name": "é".repeat(200), "notes": n(10_000)}))).await;
    assert_eq!(created["first_name"], "é".repeat(200));
}

async fn control_characters_are_refused(app: TestApp) {
    assert_eq!(refused_fields(&app, person(json!({"first_name": "Ann\u{0000}"}))).await, ["first_name"]);
    assert_eq!(refused_fields(&app, person(json!({"last_name": "\u{202E}eeL"}))).await, ["last_name"]);
    assert_eq!(refused_fields(&app, person(json!({"first_name": "Ann\nMarie"}))).await, ["first_name"]);
    assert_eq!(refused_fields(&app, person(json!({"tags": ["a\u{0007}"]}))).await, ["tags[0]"]);
    assert_eq!(refused_fields(&app, person(json!({"custom_fields": {"k": "\u{0000}"}}))).await, ["custom_fields.k"]);
    // Notes may span lines.
    let created = accepted(&app, person(json!({"notes": "line one\nline two"}))).await;
    assert_eq!(created["notes"], "line one\nline two");
}

async fn unknown_fields_are_refused(app: TestApp) {
    let problem = refused(&app, person(json!({"nickname": "Annie"}))).await;
    assert_eq!(error_fields(&problem), ["nickname"]);
    assert!(message(&problem, "nickname").contains("is not a known field"), "{problem}");
    assert_eq!(refused_fields(&app, person(json!({"address": {"zip": "78701"}}))).await, ["address.zip"]);
}

async fn read_only_fields_are_refused(app: TestApp) {
    let values = [("id", json!("cli_01J00000000000000000000000")), ("created_at", json!("2024-01-01T00:00:00.000Z")),
        ("updated_at", json!("2024-01-01T00:00:00.000Z")), ("matters_count", json!(3))];
    for (field, value) in values {
        let problem = refused(&app, person(json!({field: value}))).await;
        assert_eq!(error_fields(&problem), [field]);
        assert!(message(&problem, field).contains("read-only"), "{problem}");
    }
}

async fn every_bad_field_is_reported_in_one_response(app: TestApp) {
    let body = json!({
        "first_name": "", "email": "nope", "phone": "abc", "date_of_birth": "1985-13-01", "status": "vip",
        "tags": [1], "bogus": 1, "id": "cli_x", "address": {"zip": "1"}, "other_phones": [{"label": "x"}]
    });
    let fields = refused_fields(&app, body).await;
    // `"first_name": ""` is no first name (issue 17.4); the missing last name is reported.
    let mut expected = ["address.zip", "bogus", "date_of_birth", "email", "id", "last_name",
        "other_phones[0].number", "phone", "status", "tags[0]"];
    expected.sort();
    assert_eq!(fields, expected);
}

async fn company_id_must_name_a_company_of_this_firm(app: TestApp) {
    let unknown = "cli_01J00000000000000000000000";
    assert_eq!(refused_fields(&app, person(json!({"company_id": unknown}))).await, ["company_id"]);
    assert_eq!(refused_fields(&app, person(json!({"company_id": "garbage"}))).await, ["company_id"]);
    let a_person = app.person("Not", "Company").await;
    assert_eq!(refused_fields(&app, person(json!({"company_id": a_person["id"]}))).await, ["company_id"]);
    let gone = accepted(&app, json!({"kind": "company", "name": "Gone Inc"})).await;
    expect_status(app.delete(&path_of(&gone), &app.admin_key).await, StatusCode::NO_CONTENT).await;
    assert_eq!(refused_fields(&app, person(json!({"company_id": gone["id"]}))).await, ["company_id"]);
    let acme = accepted(&app, json!({"kind": "company", "name": "Acme"})).await;
    let body = json!({"kind": "company", "name": "Sub", "company_id": acme["id"]});
    assert_eq!(refused_fields(&app, body).await, ["company_id"], "a company cannot belong to a company");
}

async fn wrong_json_types_are_reported_per_field(app: TestApp) {
    let body = json!({
        "first_name": 5, "last_name": true, "email": 42, "tags": "vip", "address": "1 Main St",
        "other_emails": {"address": "a@example.com"}, "custom_fields": [], "kind": 1
    });
    let fields = refused_fields(&app, body).await;
    assert_eq!(fields, ["address", "custom_fields", "email", "first_name", "kind", "last_name", "other_emails", "tags"]);
}

async fn refused_creates_store_nothing(app: TestApp) {
    for body in [json!({}), person(json!({"email": "nope"})), person(json!({"bogus": 1})), person(json!({"tags": "x"}))] {
        refused(&app, body).await;
    }
    let page = list(&app, &[("include_total", "true")]).await;
    assert_eq!(page["data"], json!([]));
    assert_eq!(page["pagination"]["total"], 0);
}

async fn a_refused_patch_or_put_changes_nothing(app: TestApp) {
    let client = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"})).await;
    let response = app.patch(&path_of(&client), &app.admin_key, &json!({"last_name": "Smith", "email": "nope"})).await;
    assert_eq!(error_fields(&expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await), ["email"]);
    let response = app.put(&path_of(&client), &app.admin_key, &json!({"first_name": "Bo", "last_name": "X", "status": "vip"})).await;
    assert_eq!(error_fields(&expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await), ["status"]);
    assert_eq!(fetch(&app, &client).await, client, "a refused write must leave the client as it was");
}
