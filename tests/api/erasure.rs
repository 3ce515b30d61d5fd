//! `POST /v1/clients/{id}/erase`: what it removes, redacts and keeps, who may
//! do it, and that the person's data is afterwards nowhere in the database's
//! bytes (SQLite's file and WAL; every PostgreSQL table).

use std::time::Duration;

use clientele::domain::webhook::{AllowedHosts, RetrySchedule};
use clientele::service::webhooks::WebhookSettings;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{error_fields, expect_problem, expect_status, hex, TestApp};
use crate::services::receiver::Receiver;
use crate::support::{events, key_id};

crate::store_tests!(
    erasure_removes_the_client_its_notes_and_leads_and_detaches_its_matters,
    matters_erase_removes_the_matters_and_their_notes,
    events_about_erased_records_keep_type_time_and_actor_only,
    erasure_needs_admin_and_the_clients_id_again,
    bad_erase_bodies_are_400_and_change_nothing,
    another_firms_client_is_not_found_and_stays,
    a_deleted_client_can_be_erased,
    a_kept_idempotent_response_is_forgotten,
    the_erased_webhook_carries_no_personal_data,
    erased_data_is_nowhere_in_the_database,
    erasure_reaches_the_clients_merged_into_it,
    an_erasure_planned_before_a_change_is_refused_by_the_store,
);

/// A person whose every identifying value holds `token`, so that any copy
/// of it can be searched for.
struct Person {
    first: String,
    last: String,
    email: String,
    phone_written: String,
    phone_stored: String,
}

impl Person {
    fn new() -> Self {
        let token = ulid::Ulid::new().to_string().to_lowercase();
        let digits: String = token.bytes().map(|b| char::from(b'0' + b % 10)).take(4).collect();
        Self {
            first: format!("Zelda{}", &token[..10]),
            last: format!("Quintero{}", &token[10..20]),
            email: format!("Zelda.{token}@Example.com"),
            phone_written: format!("(212) 555-{digits}"),
            phone_stored: format!("+1212555{digits}"),
        }
    }

    /// Every text that must be gone: as written, and as stored (the folded
    /// email, the E.164 phone).
    fn needles(&self) -> Vec<String> {
        vec![
            self.first.clone(),
            self.last.clone(),
            self.first.to_lowercase(),
            self.last.to_lowercase(),
            self.email.clone(),
            self.email.to_lowercase(),
            self.phone_stored.clone(),
        ]
    }
}

async fn ok(response: reqwest::Response) -> Value {
    expect_status(response, StatusCode::OK).await["data"].clone()
}

async fn created(response: reqwest::Response) -> Value {
    expect_status(response, StatusCode::CREATED).await["data"].clone()
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

async fn erase(app: &TestApp, key: &str, client: &str, body: Value) -> reqwest::Response {
    app.post(&format!("/v1/clients/{client}/erase"), key, &body).await
}

/// A client with a note, a lead converted into it, and a matter with a note.
struct Fixture {
    client: String,
    note: String,
    lead: String,
    matter: String,
    matter_note: String,
}

async fn fixture(app: &TestApp, person: &Person) -> Fixture {
    let lead = created(app.post("/v1/leads", &app.admin_key, &json!({"first_name": person.first, "last_name": person.last, "email": person.email})).await).await;
    let converted = created(app.post(&format!("/v1/leads/{}/convert", id(&lead)), &app.admin_key, &json!({})).await).await;
    let client = id(&converted["client"]);
    let note = created(app.post(&format!("/v1/clients/{client}/notes"), &app.admin_key, &json!({"body": format!("Called {}", person.first)})).await).await;
    let matter = created(app.post("/v1/matters", &app.admin_key, &json!({"client_id": client, "title": "Lease review"})).await).await;
    let matter_note = created(app.post(&format!("/v1/matters/{}/notes", id(&matter)), &app.admin_key, &json!({"body": "Filed"})).await).await;
    Fixture { client, note: id(&note), lead: id(&lead), matter: id(&matter), matter_note: id(&matter_note) }
}

async fn status_of(app: &TestApp, path: &str) -> StatusCode {
    app.get(path, &app.admin_key).await.status()
}

async fn erasure_removes_the_client_its_notes_and_leads_and_detaches_its_matters(app: TestApp) {
    let f = fixture(&app, &Person::new()).await;
    let done = ok(erase(&app, &app.admin_key, &f.client, json!({"confirm": f.client})).await).await;
    assert_eq!(done, json!({"id": f.client, "matters": "detach", "notes_erased": 1, "leads_erased": 1, "matters_affected": 1}));
    assert_eq!(status_of(&app, &format!("/v1/clients/{}", f.client)).await, StatusCode::NOT_FOUND);
    assert_eq!(status_of(&app, &format!("/v1/notes/{}", f.note)).await, StatusCode::NOT_FOUND);
    assert_eq!(status_of(&app, &format!("/v1/leads/{}", f.lead)).await, StatusCode::NOT_FOUND);
    // Detached: kept with its own fields and notes, without a client.
    let matter = ok(app.get(&format!("/v1/matters/{}", f.matter), &app.admin_key).await).await;
    assert_eq!(matter["client_id"], Value::Null, "{matter}");
    assert_eq!(matter["title"], "Lease review");
    assert_eq!(status_of(&app, &format!("/v1/notes/{}", f.matter_note)).await, StatusCode::OK);
    // It can still be changed, and stays without a client.
    let changed = ok(app.patch(&format!("/v1/matters/{}", f.matter), &app.admin_key, &json!({"status": "closed"})).await).await;
    assert_eq!((changed["status"].as_str(), &changed["client_id"]), (Some("closed"), &Value::Null));
    // Erased once: a second erasure finds nothing.
    expect_problem(erase(&app, &app.admin_key, &f.client, json!({"confirm": f.client})).await, StatusCode::NOT_FOUND, "not_found").await;
}

async fn matters_erase_removes_the_matters_and_their_notes(app: TestApp) {
    let f = fixture(&app, &Person::new()).await;
    let done = ok(erase(&app, &app.admin_key, &f.client, json!({"confirm": f.client, "matters": "erase"})).await).await;
    assert_eq!(done, json!({"id": f.client, "matters": "erase", "notes_erased": 2, "leads_erased": 1, "matters_affected": 1}));
    assert_eq!(status_of(&app, &format!("/v1/matters/{}", f.matter)).await, StatusCode::NOT_FOUND);
    assert_eq!(status_of(&app, &format!("/v1/notes/{}", f.matter_note)).await, StatusCode::NOT_FOUND);
    assert_eq!(status_of(&app, &format!("/v1/leads/{}", f.lead)).await, StatusCode::NOT_FOUND);
}

async fn events_about_erased_records_keep_type_time_and_actor_only(app: TestApp) {
    let person = Person::new();
    let f = fixture(&app, &person).await;
    ok(app.patch(&format!("/v1/clients/{}", f.client), &app.admin_key, &json!({"phone": person.phone_written})).await).await;
    let before: Vec<Value> = events(&app, &app.admin_key).await;
    let admin = key_id(&app, &app.admin_key).await;
    ok(erase(&app, &app.admin_key, &f.client, json!({"confirm": f.client})).await).await;
    let after = events(&app, &app.admin_key).await;
    let erased = [&f.client, &f.note, &f.lead];
    for old in &before {
        let now = after.iter().find(|e| e["id"] == old["id"]).expect("no event is removed");
        for field in ["type", "resource_type", "resource_id", "actor_key_id", "created_at", "seq"] {
            assert_eq!(now[field], old[field], "{field} of {now}");
        }
        if erased.iter().any(|id| old["resource_id"] == id.as_str()) {
            for side in ["before", "after"] {
                let marker = if old[side].is_null() { Value::Null } else { json!({"redacted": true}) };
                assert_eq!(now[side], marker, "{now}");
            }
        } else if old["resource_id"] != f.matter.as_str() {
            assert_eq!(now, old);
        }
    }
    let new: Vec<&Value> = after.iter().filter(|e| !before.iter().any(|b| b["id"] == e["id"])).collect();
    let kinds: Vec<&str> = new.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["matter.updated", "client.erased"]);
    let detach = new[0];
    assert_eq!((&detach["before"]["client_id"], &detach["after"]["client_id"]), (&json!(f.client), &Value::Null));
    let event = new[1];
    assert_eq!(event["resource_id"], f.client.as_str());
    assert_eq!(event["actor_key_id"], admin.as_str());
    assert_eq!(event["before"], Value::Null);
    assert_eq!(event["after"], json!({"matters": "detach", "counts": {"notes": 1, "leads": 1, "matters": 1}}));
    let text = serde_json::to_string(&after).unwrap();
    for needle in person.needles() {
        assert!(!text.contains(&needle), "the log still holds {needle}");
    }
}

async fn erasure_needs_admin_and_the_clients_id_again(app: TestApp) {
    let f = fixture(&app, &Person::new()).await;
    for scopes in ["clients:read,clients:write", "clients:write,matters:write,notes:write,leads:write"] {
        let key = app.key(scopes).await;
        expect_problem(erase(&app, &key, &f.client, json!({"confirm": f.client})).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    }
    let other = app.person("Other", "Person").await;
    let problem = expect_problem(erase(&app, &app.admin_key, &f.client, json!({"confirm": id(&other)})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), ["confirm"]);
    assert_eq!(status_of(&app, &format!("/v1/clients/{}", f.client)).await, StatusCode::OK);
    assert_eq!(status_of(&app, &format!("/v1/clients/{}", id(&other))).await, StatusCode::OK);
}

async fn bad_erase_bodies_are_400_and_change_nothing(app: TestApp) {
    let f = fixture(&app, &Person::new()).await;
    let cases = [
        (json!({}), vec!["confirm"]),
        (json!({"confirm": 12}), vec!["confirm"]),
        (json!({"confirm": "not-an-id"}), vec!["confirm"]),
        (json!({"confirm": f.client, "matters": "keep"}), vec!["matters"]),
        (json!({"confirm": f.client, "matters": true}), vec!["matters"]),
        (json!({"confirm": f.client, "reason": "asked"}), vec!["reason"]),
    ];
    for (body, fields) in cases {
        let problem = expect_problem(erase(&app, &app.admin_key, &f.client, body.clone()).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(error_fields(&problem), fields, "{body}");
    }
    let path = format!("/v1/clients/{}/erase", f.client);
    for raw in ["{\"confirm\": ", "[1]", "\"x\""] {
        let response = app.request(Method::POST, &path, &app.admin_key).header("content-type", "application/json").body(raw).send().await.unwrap();
        expect_problem(response, StatusCode::BAD_REQUEST, "malformed_json").await;
    }
    let response = app.request(Method::POST, &path, &app.admin_key).header("content-type", "text/plain").body("{}").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(status_of(&app, &format!("/v1/clients/{}", f.client)).await, StatusCode::OK);
    assert_eq!(status_of(&app, &format!("/v1/notes/{}", f.note)).await, StatusCode::OK);
    let log = events(&app, &app.admin_key).await;
    assert!(log.iter().all(|e| e["type"] != "client.erased" && e["after"] != json!({"redacted": true})));
}

async fn another_firms_client_is_not_found_and_stays(app: TestApp) {
    let f = fixture(&app, &Person::new()).await;
    let other = app.other_firm().await;
    expect_problem(erase(&app, &other, &f.client, json!({"confirm": f.client})).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_problem(erase(&app, &other, &f.client, json!({"confirm": "cli_01J9Z3Q4X5R6S7T8V9W0XYZABC"})).await, StatusCode::NOT_FOUND, "not_found").await;
    let missing = "cli_01J9Z3Q4X5R6S7T8V9W0XYZABC";
    expect_problem(erase(&app, &app.admin_key, missing, json!({"confirm": missing})).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_problem(erase(&app, &app.admin_key, "nonsense", json!({"confirm": missing})).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(status_of(&app, &format!("/v1/clients/{}", f.client)).await, StatusCode::OK);
    assert_eq!(status_of(&app, &format!("/v1/notes/{}", f.note)).await, StatusCode::OK);
    let log = events(&app, &app.admin_key).await;
    assert!(log.iter().all(|e| e["type"] != "client.erased" && e["after"] != json!({"redacted": true})));
}

async fn a_deleted_client_can_be_erased(app: TestApp) {
    let client = id(&app.person("Gone", "Already").await);
    let path = format!("/v1/clients/{client}");
    let matter = created(app.post("/v1/matters", &app.admin_key, &json!({"client_id": client, "title": "Done", "status": "closed"})).await).await;
    let matter_path = format!("/v1/matters/{}", id(&matter));
    // Deleted with the client, and detached from it (deleted as it is).
    expect_status(app.delete(&path, &app.admin_key).await, StatusCode::NO_CONTENT).await;
    let done = ok(erase(&app, &app.admin_key, &client, json!({"confirm": client})).await).await;
    assert_eq!(done["matters_affected"], 1);
    expect_problem(app.post(&format!("{path}/restore"), &app.admin_key, &json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(status_of(&app, &matter_path).await, StatusCode::NOT_FOUND);
    let restored = ok(app.post(&format!("{matter_path}/restore"), &app.admin_key, &json!({})).await).await;
    assert_eq!((&restored["client_id"], &restored["deleted_at"]), (&Value::Null, &Value::Null), "{restored}");
}

async fn a_kept_idempotent_response_is_forgotten(app: TestApp) {
    let person = Person::new();
    let body = json!({"first_name": person.first, "last_name": person.last, "email": person.email});
    let send = || app.request(Method::POST, "/v1/clients", &app.admin_key).header("Idempotency-Key", "erase-me-1").json(&body).send();
    let first = created(send().await.unwrap()).await;
    let replay = created(send().await.unwrap()).await;
    assert_eq!(replay["id"], first["id"]);
    let client = id(&first);
    ok(erase(&app, &app.admin_key, &client, json!({"confirm": client})).await).await;
    // The key stays used: a retry is refused (in progress for the first
    // minute after the key's first use, then lost: docs/privacy.md), and
    // neither gets the person back nor makes the client again.
    let problem = expect_status(send().await.unwrap(), StatusCode::CONFLICT).await;
    assert!(["idempotency_in_progress", "idempotency_response_lost"].contains(&problem["code"].as_str().unwrap_or("")), "{problem}");
    assert!(!problem.to_string().contains(&person.email));
    let listed = ok(app.get(&format!("/v1/clients?email={}", person.email.to_lowercase()), &app.admin_key).await).await;
    assert_eq!(listed, json!([]));
}

fn pending_settings() -> WebhookSettings {
    WebhookSettings {
        allowed_hosts: AllowedHosts::new(["127.0.0.1".to_string()]),
        timeout: Duration::from_secs(3),
        // The first attempt fails; the next one is an hour away.
        schedule: RetrySchedule(vec![Duration::from_secs(3600)]),
        poll: Duration::from_millis(50),
        ..WebhookSettings::default()
    }
}

async fn subscribe(app: &TestApp, url: &str, events: Value) -> String {
    let body = created(app.post("/v1/webhooks", &app.admin_key, &json!({"url": url, "events": events})).await).await;
    id(&body)
}

async fn deliveries(app: &TestApp, webhook: &str) -> Vec<Value> {
    ok(app.get(&format!("/v1/webhooks/{webhook}/deliveries"), &app.admin_key).await).await.as_array().unwrap().clone()
}

async fn the_erased_webhook_carries_no_personal_data(app: TestApp) {
    let app = app.with_webhooks(pending_settings()).await;
    let receiver = Receiver::start().await;
    subscribe(&app, &receiver.url, json!(["client.erased"])).await;
    let person = Person::new();
    let f = fixture(&app, &person).await;
    ok(erase(&app, &app.admin_key, &f.client, json!({"confirm": f.client, "matters": "erase"})).await).await;
    let got = receiver.wait_for(1, Duration::from_secs(15)).await;
    let payload = got[0].json();
    assert_eq!(payload["type"], "client.erased");
    assert_eq!(payload["data"]["resource_id"], f.client.as_str());
    assert_eq!(payload["data"]["object"], json!({"matters": "erase", "counts": {"notes": 2, "leads": 1, "matters": 1}}));
    for needle in person.needles() {
        assert!(!got[0].body.contains(&needle), "{}", got[0].body);
    }
}

/// Every way the person's data is written down, then erased; then their
/// data must be in no byte of the database.
async fn erased_data_is_nowhere_in_the_database(app: TestApp) {
    let app = app.with_webhooks(pending_settings()).await;
    let receiver = Receiver::start().await;
    receiver.answer_always(500);
    let webhook = subscribe(&app, &receiver.url, json!(["*"])).await;
    let person = Person::new();
    // A lead converted into the client, a note and a matter (with a note).
    let f = fixture(&app, &person).await;
    let path = format!("/v1/clients/{}", f.client);
    // Updates, so that events hold the data before and after.
    ok(app.patch(&path, &app.admin_key, &json!({"phone": person.phone_written, "notes": format!("Prefers {}", person.first)})).await).await;
    ok(app.patch(&path, &app.admin_key, &json!({"other_emails": [{"address": person.email.replace("Zelda.", "z.")}]})).await).await;
    ok(app.patch(&path, &app.admin_key, &json!({"first_name": format!("{}x", person.first)})).await).await;
    ok(app.patch(&path, &app.admin_key, &json!({"first_name": person.first})).await).await;
    // An idempotent POST whose response is kept.
    let note = json!({"body": format!("Met {} {}", person.first, person.last)});
    let send = app.request(Method::POST, &format!("{path}/notes"), &app.admin_key).header("Idempotency-Key", "erase-bytes").json(&note);
    created(send.send().await.unwrap()).await;
    // A search and a read (the caches).
    let found = ok(app.get(&format!("/v1/clients?q={}", person.last.to_lowercase()), &app.admin_key).await).await;
    assert_eq!(found.as_array().map(Vec::len), Some(1));
    ok(app.get(&path, &app.admin_key).await).await;
    // Pending deliveries that carry it: every event so far fanned out (the
    // idempotent note's is the last) and tried once.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let settled = |d: &[Value]| {
        d.iter().filter(|d| d["event_type"] == "note.created").count() == 3 && d.iter().all(|d| d["status"] == "pending" && d["attempt_count"] == 1)
    };
    while !settled(&deliveries(&app, &webhook).await) {
        assert!(tokio::time::Instant::now() < deadline, "no pending delivery");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let dump = app.dump_database().await;
    assert!(dump.contains(&person.email) || dump.contains(&hex(person.email.as_bytes())), "the test writes nothing?");
    let files = sqlite_files(&app);
    if !files.is_empty() {
        assert!(files.iter().any(|f| holds(f, &person.phone_stored)), "the test writes nothing to the files?");
    }

    ok(erase(&app, &app.admin_key, &f.client, json!({"confirm": f.client, "matters": "erase"})).await).await;

    assert_eq!(status_of(&app, &path).await, StatusCode::NOT_FOUND);
    let left = deliveries(&app, &webhook).await;
    assert!(left.iter().all(|d| d["event_type"] != "client.created" && d["event_type"] != "note.created"), "{left:?}");
    let needles = person.needles();
    let dump = app.dump_database().await;
    for needle in &needles {
        assert!(!dump.contains(needle.as_str()), "a table still holds {needle}");
        assert!(!dump.contains(&hex(needle.as_bytes())), "a table still holds {needle} as bytes");
    }
    for file in sqlite_files(&app) {
        for needle in &needles {
            assert!(!holds(&file, needle), "{} still holds {needle}", file.to_string_lossy());
        }
    }
}

/// A tombstone merged into the client (directly, or into a client merged
/// into it later) is the same person: it goes with the erasure, bytes and all.
async fn erasure_reaches_the_clients_merged_into_it(app: TestApp) {
    let (person, duplicate, older) = (Person::new(), Person::new(), Person::new());
    let client_of = |p: &Person| json!({"first_name": p.first, "last_name": p.last, "email": p.email, "phone": p.phone_written});
    let target = id(&created(app.post("/v1/clients", &app.admin_key, &client_of(&person)).await).await);
    let source = id(&created(app.post("/v1/clients", &app.admin_key, &client_of(&duplicate)).await).await);
    let oldest = id(&created(app.post("/v1/clients", &app.admin_key, &client_of(&older)).await).await);
    let bystander = id(&created(app.post("/v1/clients", &app.admin_key, &json!({"first_name": "Bystander", "last_name": "Kept", "email": "by@example.com"})).await).await);
    // `oldest` into `source`, then `source` into `target`: the first
    // tombstone still names `source`.
    ok(app.post(&format!("/v1/clients/{source}/merge"), &app.admin_key, &json!({"from": [oldest]})).await).await;
    ok(app.post(&format!("/v1/clients/{target}/merge"), &app.admin_key, &json!({"from": [source]})).await).await;
    let merged = expect_problem(app.get(&format!("/v1/clients/{source}"), &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(merged["merged_into"], target.as_str(), "{merged}");
    // A tombstone is erased from the client it went into, not on its own.
    let refused = expect_problem(erase(&app, &app.admin_key, &source, json!({"confirm": source})).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(refused["merged_into"], target.as_str(), "{refused}");

    ok(erase(&app, &app.admin_key, &target, json!({"confirm": target})).await).await;

    for gone in [&target, &source, &oldest] {
        let problem = expect_problem(app.get(&format!("/v1/clients/{gone}"), &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
        assert_eq!(problem.get("merged_into"), None, "an erased tombstone points nowhere: {problem}");
    }
    assert_eq!(status_of(&app, &format!("/v1/clients/{bystander}")).await, StatusCode::OK);
    let needles: Vec<String> = [&person, &duplicate, &older].iter().flat_map(|p| p.needles()).collect();
    let dump = app.dump_database().await;
    for needle in &needles {
        assert!(!dump.contains(needle.as_str()) && !dump.contains(&hex(needle.as_bytes())), "a table still holds {needle}");
    }
    for file in sqlite_files(&app) {
        for needle in &needles {
            assert!(!holds(&file, needle), "{} still holds {needle}", file.to_string_lossy());
        }
    }
}

/// The SQLite database file and its WAL, when the app runs on SQLite.
fn sqlite_files(app: &TestApp) -> Vec<std::ffi::OsString> {
    let Some(db) = app.sqlite_path() else { return Vec::new() };
    let mut wal = db.clone().into_os_string();
    wal.push("-wal");
    vec![db.into_os_string(), wal]
}

fn holds(file: &std::ffi::OsStr, needle: &str) -> bool {
    let bytes = std::fs::read(file).unwrap_or_default();
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// What the store refuses, so that the service plans again: a client no
/// longer at the version read, and a record linked to the client that the
/// plan does not name (a note added meanwhile); and, after an erasure, a
/// webhook fan-out made from events read before it.
async fn an_erasure_planned_before_a_change_is_refused_by_the_store(app: TestApp) {
    use clientele::domain::ids::{ClientId, FirmId};
    use clientele::store::{Erasure, StoreError, Write};
    let client = app.person("Race", "Condition").await;
    let cid: ClientId = id(&client).parse().unwrap();
    let firm: FirmId = app.firm_id.parse().unwrap();
    let plan = |version: i64| Erasure { firm, clients: vec![(cid, version)], records: Vec::new(), resources: vec![cid.to_string()], texts: Vec::new() };
    let store = app.service.store();
    let stale = store.apply(vec![Write::EraseClients(plan(0))]).await;
    assert!(matches!(stale, Err(StoreError::VersionMismatch)), "{stale:?}");
    created(app.post(&format!("/v1/clients/{cid}/notes"), &app.admin_key, &json!({"body": "added meanwhile"})).await).await;
    let unplanned = store.apply(vec![Write::EraseClients(plan(1))]).await;
    assert!(matches!(unplanned, Err(StoreError::VersionMismatch)), "{unplanned:?}");
    assert_eq!(status_of(&app, &format!("/v1/clients/{cid}")).await, StatusCode::OK);
    // A fan-out that read the client's events before the erasure may not
    // queue deliveries made from them after it.
    let log = events(&app, &app.admin_key).await;
    let seqs: Vec<i64> = log.iter().filter(|e| e["resource_id"] == cid.to_string().as_str()).map(|e| e["seq"].as_i64().unwrap()).collect();
    let check = || Write::RequireUnredacted { firm, seqs: seqs.clone() };
    assert!(store.apply(vec![check()]).await.is_ok());
    // The service, planning from what it reads, erases both.
    let done = ok(erase(&app, &app.admin_key, &cid.to_string(), json!({"confirm": cid.to_string()})).await).await;
    assert_eq!(done["notes_erased"], 1);
    let late = store.apply(vec![check()]).await;
    assert!(matches!(late, Err(StoreError::VersionMismatch)), "{late:?}");
}
