//! Custom actions: CRUD by admins, reads by any key, `target_url` rules,
//! single-use nonces checked on any request, and tenancy
//! (docs/domain.md, "Custom actions").

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{expect_problem, expect_status, TestApp};
use crate::records::{created, forbidden, kinds, no_content, not_found, ok, page, page_id_set, page_ids, refused_fields, sorted, text};
use crate::support::{events_since, header, id, ids, instant, last_seq};

crate::store_tests!(
    create_answers_201_with_the_action,
    get_list_patch_and_delete_an_action,
    only_admins_write_actions_and_any_key_reads_them,
    action_fields_are_validated,
    target_url_must_be_https_or_http_to_localhost,
    target_url_is_optional,
    a_nonce_works_once,
    an_unknown_nonce_is_403,
    an_expired_nonce_is_403,
    another_firms_nonce_is_403_and_stays_theirs,
    a_refused_nonce_stops_the_request,
    nonces_are_issued_only_for_live_actions_of_the_firm,
    action_changes_are_logged_as_events,
    another_firms_action_is_404_and_never_listed,
    a_nonce_dies_with_its_action,
);

fn action_body() -> Value {
    json!({"label": "Open in DMS", "ui_reference": "contacts/show", "target_url": "https://dms.example.com/open"})
}

async fn new_action(app: &TestApp) -> Value {
    created(app.post("/v1/custom-actions", &app.admin_key, &action_body()).await).await
}

fn action_path(action: &Value) -> String {
    format!("/v1/custom-actions/{}", text(action, "id"))
}

async fn issue_nonce(app: &TestApp, key: &str, action: &Value) -> Value {
    created(app.post(&format!("{}/nonces", action_path(action)), key, &json!({})).await).await
}

/// `method path?custom_action_nonce=nonce` with `key`.
async fn with_nonce(app: &TestApp, method: Method, path: &str, key: &str, nonce: &str, body: Option<&Value>) -> reqwest::Response {
    let mut request = app.request(method, path, key).query(&[("custom_action_nonce", nonce)]);
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("send")
}

async fn invalid_nonce(response: reqwest::Response) {
    expect_problem(response, StatusCode::FORBIDDEN, "invalid_nonce").await;
}

async fn create_answers_201_with_the_action(app: TestApp) {
    let response = app.post("/v1/custom-actions", &app.admin_key, &action_body()).await;
    let location = header(&response, "location");
    let action = created(response).await;
    assert!(text(&action, "id").starts_with("cact_"), "{action}");
    assert_eq!(location, action_path(&action));
    assert_eq!(action["label"], "Open in DMS");
    assert_eq!(action["ui_reference"], "contacts/show");
    assert_eq!(action["target_url"], "https://dms.example.com/open");
    assert_eq!(action["version"], 1);
    assert!(action["created_at"].is_string() && action["updated_at"].is_string());
    for reference in ["matters/show", "leads/show"] {
        let body = json!({"label": reference, "ui_reference": reference, "target_url": "https://x.example/"});
        assert_eq!(created(app.post("/v1/custom-actions", &app.admin_key, &body).await).await["ui_reference"], reference);
    }
}

async fn get_list_patch_and_delete_an_action(app: TestApp) {
    let first = new_action(&app).await;
    let second = new_action(&app).await;
    assert_eq!(ok(app.get(&action_path(&first), &app.admin_key).await).await, first);
    assert_eq!(page_id_set(&app, "/v1/custom-actions", &[]).await, sorted(vec![id(&first), id(&second)]));
    let patched = ok(app.patch(&action_path(&first), &app.admin_key, &json!({"label": "Open matter", "ui_reference": "matters/show"})).await).await;
    assert_eq!(patched["label"], "Open matter");
    assert_eq!(patched["ui_reference"], "matters/show");
    assert_eq!(patched["target_url"], first["target_url"]);
    assert_eq!(patched["version"], 2);
    assert_eq!(ok(app.get(&action_path(&first), &app.admin_key).await).await, patched);
    no_content(app.delete(&action_path(&first), &app.admin_key).await).await;
    not_found(app.get(&action_path(&first), &app.admin_key).await).await;
    not_found(app.patch(&action_path(&first), &app.admin_key, &json!({"label": "X"})).await).await;
    assert_eq!(page_ids(&app, "/v1/custom-actions", &[]).await, [id(&second)]);
    not_found(app.get("/v1/custom-actions/cact_01J00000000000000000000000", &app.admin_key).await).await;
}

async fn only_admins_write_actions_and_any_key_reads_them(app: TestApp) {
    let action = new_action(&app).await;
    let path = action_path(&action);
    let writer = app.key("clients:read,clients:write,matters:write,leads:write").await;
    let narrow = app.key("notes:read").await;
    forbidden(app.post("/v1/custom-actions", &writer, &action_body()).await).await;
    forbidden(app.patch(&path, &writer, &json!({"label": "X"})).await).await;
    forbidden(app.delete(&path, &writer).await).await;
    for key in [&writer, &narrow] {
        assert_eq!(ids(&expect_status(app.get("/v1/custom-actions", key).await, StatusCode::OK).await), [id(&action)]);
        assert_eq!(ok(app.get(&path, key).await).await, action);
    }
}

async fn action_fields_are_validated(app: TestApp) {
    let with = |k: &str, v: Value| {
        let mut body = action_body();
        if v.is_null() {
            body.as_object_mut().unwrap().remove(k);
        } else {
            body[k] = v;
        }
        body
    };
    let cases = [
        ("label", Value::Null),
        ("label", json!("")),
        ("label", json!("l".repeat(101))),
        ("ui_reference", json!("clients/show")),
        ("ui_reference", json!("contacts/edit")),
        ("ui_reference", json!(3)),
        ("color", json!("red")),
        ("id", json!("cact_01J00000000000000000000000")),
    ];
    for (field, value) in cases {
        let body = with(field, value.clone());
        assert_eq!(refused_fields(app.post("/v1/custom-actions", &app.admin_key, &body).await).await, [field], "{field} = {value}");
    }
    assert!(page_ids(&app, "/v1/custom-actions", &[]).await.is_empty(), "refused creates stored nothing");
    let action = new_action(&app).await;
    assert_eq!(refused_fields(app.patch(&action_path(&action), &app.admin_key, &json!({"label": null})).await).await, ["label"]);
    assert_eq!(refused_fields(app.patch(&action_path(&action), &app.admin_key, &json!({"color": "red"})).await).await, ["color"]);
}

async fn target_url_must_be_https_or_http_to_localhost(app: TestApp) {
    let long = format!("https://example.com/{}", "a".repeat(2_000));
    let refused = [
        json!("ftp://example.com/file"),
        json!("not a url"),
        json!("example.com/path"),
        json!("/relative/path"),
        json!("http://example.com/"),
        json!("http://localhost.example.com/"),
        json!("javascript:alert(1)"),
        json!("https://"),
        json!("https://user:secret@example.com/"),
        json!("http://user@localhost/"),
        json!("http://localhost:80@evil.example/"),
        json!(long),
        json!(42),
    ];
    for url in refused {
        let mut body = action_body();
        body["target_url"] = url.clone();
        let shown = url.to_string().chars().take(60).collect::<String>();
        assert_eq!(refused_fields(app.post("/v1/custom-actions", &app.admin_key, &body).await).await, ["target_url"], "{shown}");
    }
    // An empty string is no URL, as null is (issue 17.4: what forms send).
    let mut body = action_body();
    body["target_url"] = json!("");
    let made = expect_status(app.post("/v1/custom-actions", &app.admin_key, &body).await, StatusCode::CREATED).await;
    assert_eq!(made["data"]["target_url"], Value::Null, "{made}");
    let accepted = [
        "https://example.com",
        "https://dms.example.com/open?client={id}",
        "http://localhost",
        "http://localhost:3000/hook",
    ];
    for url in accepted {
        let mut body = action_body();
        body["target_url"] = json!(url);
        let action = created(app.post("/v1/custom-actions", &app.admin_key, &body).await).await;
        assert_eq!(action["target_url"], url);
    }
    let action = new_action(&app).await;
    let response = app.patch(&action_path(&action), &app.admin_key, &json!({"target_url": "http://example.com"})).await;
    assert_eq!(refused_fields(response).await, ["target_url"]);
}

async fn target_url_is_optional(app: TestApp) {
    let action = created(app.post("/v1/custom-actions", &app.admin_key, &json!({"label": "Intake", "ui_reference": "leads/show"})).await).await;
    assert!(action["target_url"].is_null(), "{action}");
    let set = ok(app.patch(&action_path(&action), &app.admin_key, &json!({"target_url": "https://example.com/x"})).await).await;
    assert_eq!(set["target_url"], "https://example.com/x");
    let cleared = ok(app.patch(&action_path(&action), &app.admin_key, &json!({"target_url": null})).await).await;
    assert!(cleared["target_url"].is_null(), "{cleared}");
}

/// A nonce past its 60 s: the test moves the stored expiry into the past
/// rather than wait for it.
async fn an_expired_nonce_is_403(app: TestApp) {
    use clientele::domain::custom_action::{code_hash, NonceFields};
    use clientele::domain::record::{RecordKind, Stored};
    use clientele::domain::time::Timestamp;
    use clientele::store::Write;

    let action = new_action(&app).await;
    let (fresh, aged) = (issue_nonce(&app, &app.admin_key, &action).await, issue_nonce(&app, &app.admin_key, &action).await);
    let store = app.service.store();
    let record = store.find_record(RecordKind::Nonce, &code_hash(text(&aged, "nonce"))).await.unwrap().expect("the nonce is stored");
    let original: Stored<NonceFields> = Stored::from_record(record).unwrap();
    let mut nonce = original.clone();
    nonce.fields.expires_at = Timestamp::now().plus_millis(-1);
    store.apply(vec![Write::update_record(&original, &nonce)]).await.unwrap();
    let before = last_seq(&app).await;
    invalid_nonce(with_nonce(&app, Method::GET, "/v1/clients", &app.admin_key, text(&aged, "nonce"), None).await).await;
    assert!(events_since(&app, before).await.is_empty(), "a refused nonce records no use");
    // The other nonce, still in its time, works.
    expect_status(with_nonce(&app, Method::GET, "/v1/clients", &app.admin_key, text(&fresh, "nonce"), None).await, StatusCode::OK).await;
}

async fn a_nonce_works_once(app: TestApp) {
    let action = new_action(&app).await;
    let before = time::OffsetDateTime::now_utc();
    let issued = issue_nonce(&app, &app.admin_key, &action).await;
    let nonce = text(&issued, "nonce").to_string();
    assert!(!nonce.is_empty());
    assert_eq!(issued["custom_action_id"], action["id"]);
    let expires = instant(text(&issued, "expires_at"));
    let lifetime = expires - before;
    assert!(lifetime > time::Duration::seconds(50) && lifetime <= time::Duration::seconds(65), "valid about 60 seconds: {lifetime}");
    let reader = app.key("clients:read").await;
    expect_status(with_nonce(&app, Method::GET, "/v1/clients", &reader, &nonce, None).await, StatusCode::OK).await;
    invalid_nonce(with_nonce(&app, Method::GET, "/v1/clients", &reader, &nonce, None).await).await;
    invalid_nonce(with_nonce(&app, Method::GET, "/v1/clients", &app.admin_key, &nonce, None).await).await;
    // Two nonces are independent.
    let first = issue_nonce(&app, &app.admin_key, &action).await;
    let second = issue_nonce(&app, &app.admin_key, &action).await;
    assert_ne!(first["nonce"], second["nonce"]);
    expect_status(with_nonce(&app, Method::GET, "/v1/me", &reader, text(&second, "nonce"), None).await, StatusCode::OK).await;
    expect_status(with_nonce(&app, Method::GET, "/v1/clients", &reader, text(&first, "nonce"), None).await, StatusCode::OK).await;
    // Requests without a nonce are unaffected.
    expect_status(app.get("/v1/clients", &reader).await, StatusCode::OK).await;
}

async fn an_unknown_nonce_is_403(app: TestApp) {
    new_action(&app).await;
    for nonce in ["nope", "0000000000000000000000000000", ""] {
        invalid_nonce(with_nonce(&app, Method::GET, "/v1/clients", &app.admin_key, nonce, None).await).await;
    }
}

async fn another_firms_nonce_is_403_and_stays_theirs(app: TestApp) {
    let other = app.other_firm().await;
    let theirs = created(app.post("/v1/custom-actions", &other, &action_body()).await).await;
    let issued = issue_nonce(&app, &other, &theirs).await;
    let nonce = text(&issued, "nonce").to_string();
    invalid_nonce(with_nonce(&app, Method::GET, "/v1/clients", &app.admin_key, &nonce, None).await).await;
    // Trying it from the wrong firm did not use it up.
    expect_status(with_nonce(&app, Method::GET, "/v1/clients", &other, &nonce, None).await, StatusCode::OK).await;
    invalid_nonce(with_nonce(&app, Method::GET, "/v1/clients", &other, &nonce, None).await).await;
}

async fn a_refused_nonce_stops_the_request(app: TestApp) {
    let action = new_action(&app).await;
    let client = app.person("Ann", "Lee").await;
    let body = json!({"first_name": "Should", "last_name": "NotExist"});
    let start = last_seq(&app).await;
    invalid_nonce(with_nonce(&app, Method::POST, "/v1/clients", &app.admin_key, "bogus", Some(&body)).await).await;
    let path = format!("/v1/clients/{}", id(&client));
    invalid_nonce(with_nonce(&app, Method::PATCH, &path, &app.admin_key, "bogus", Some(&json!({"last_name": "Changed"}))).await).await;
    invalid_nonce(with_nonce(&app, Method::DELETE, &path, &app.admin_key, "bogus", None).await).await;
    assert_eq!(events_since(&app, start).await, Vec::<Value>::new());
    let page = page(&app, "/v1/clients", &[("include_total", "true")]).await;
    assert_eq!(page["pagination"]["total"], 1);
    assert_eq!(ok(app.get(&path, &app.admin_key).await).await, client);
    // A valid nonce lets a write through, once.
    let issued = issue_nonce(&app, &app.admin_key, &action).await;
    created(with_nonce(&app, Method::POST, "/v1/clients", &app.admin_key, text(&issued, "nonce"), Some(&body)).await).await;
    let again = json!({"first_name": "Second", "last_name": "Try"});
    invalid_nonce(with_nonce(&app, Method::POST, "/v1/clients", &app.admin_key, text(&issued, "nonce"), Some(&again)).await).await;
    assert_eq!(crate::records::page(&app, "/v1/clients", &[("include_total", "true")]).await["pagination"]["total"], 2);
}

async fn nonces_are_issued_only_for_live_actions_of_the_firm(app: TestApp) {
    let other = app.other_firm().await;
    let action = new_action(&app).await;
    not_found(app.post(&format!("{}/nonces", action_path(&action)), &other, &json!({})).await).await;
    not_found(app.post("/v1/custom-actions/cact_01J00000000000000000000000/nonces", &app.admin_key, &json!({})).await).await;
    no_content(app.delete(&action_path(&action), &app.admin_key).await).await;
    not_found(app.post(&format!("{}/nonces", action_path(&action)), &app.admin_key, &json!({})).await).await;
}

async fn action_changes_are_logged_as_events(app: TestApp) {
    let start = last_seq(&app).await;
    let action = new_action(&app).await;
    ok(app.patch(&action_path(&action), &app.admin_key, &json!({"label": "Renamed"})).await).await;
    no_content(app.delete(&action_path(&action), &app.admin_key).await).await;
    let log = events_since(&app, start).await;
    assert_eq!(kinds(&log).len(), 3, "{log:?}");
    for (event, verb) in log.iter().zip(["created", "updated", "deleted"]) {
        assert!(event["type"].as_str().unwrap().ends_with(&format!(".{verb}")), "{event}");
        assert_eq!(event["resource_id"], action["id"]);
    }
}

async fn another_firms_action_is_404_and_never_listed(app: TestApp) {
    let other = app.other_firm().await;
    let action = new_action(&app).await;
    let path = action_path(&action);
    for p in [path.clone(), "/v1/custom-actions/cact_01J00000000000000000000000".to_string()] {
        not_found(app.get(&p, &other).await).await;
        not_found(app.patch(&p, &other, &json!({"label": "Owned"})).await).await;
        not_found(app.delete(&p, &other).await).await;
    }
    assert_eq!(ok(app.get(&path, &app.admin_key).await).await, action);
    let listed = expect_status(app.get("/v1/custom-actions", &other).await, StatusCode::OK).await;
    assert_eq!(listed["data"], json!([]));
    let theirs = created(app.post("/v1/custom-actions", &other, &action_body()).await).await;
    assert_eq!(page_ids(&app, "/v1/custom-actions", &[]).await, [id(&action)]);
    not_found(app.get(&action_path(&theirs), &app.admin_key).await).await;
}

async fn a_nonce_dies_with_its_action(app: TestApp) {
    let action = new_action(&app).await;
    let issued = issue_nonce(&app, &app.admin_key, &action).await;
    let nonce = text(&issued, "nonce").to_string();
    let deleted = app.delete(&action_path(&action), &app.admin_key).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let response = app.get(&format!("/v1/clients?custom_action_nonce={nonce}"), &app.admin_key).await;
    crate::helpers::expect_problem(response, StatusCode::FORBIDDEN, "invalid_nonce").await;
}
