//! Notes on clients and matters: creation under a parent, per-parent lists,
//! the note routes, authorship, validation, scopes, tenancy and events
//! (docs/domain.md, "Notes").

use clientele::domain::time::Timestamp;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{expect_status, TestApp};
use crate::records::{
    actor_key_id, created, forbidden, get_query, kinds, matter_path, new_matter, no_content, not_found, ok, page, page_id_set, page_ids,
    refused_fields, sorted, text, walk_at,
};
use crate::support::{events_since, header, id, ids, key_id, last_seq, path_of};

crate::store_tests!(
    a_note_on_a_client_names_its_parent_and_author,
    a_note_on_a_matter_names_its_parent,
    get_returns_what_create_returned,
    each_parent_lists_only_its_own_notes,
    note_lists_page_and_search_subject_and_body,
    patch_changes_subject_and_body_and_the_version,
    delete_is_soft_and_restore_brings_it_back,
    body_is_required_and_bounded,
    subject_is_bounded_and_nullable,
    unknown_and_read_only_fields_are_refused,
    a_missing_or_deleted_parent_is_404,
    scopes_guard_notes,
    another_firms_parent_is_404,
    another_firms_note_is_404_for_every_operation,
    note_changes_are_logged_as_events,
    if_match_and_version_preconditions,
    purging_a_client_erases_the_notes_on_it_and_on_its_matters,
    a_deleted_note_is_purged_after_retention_and_not_before,
);

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn client_notes(client_id: &str) -> String {
    format!("/v1/clients/{client_id}/notes")
}

fn matter_notes(matter_id: &str) -> String {
    format!("/v1/matters/{matter_id}/notes")
}

fn note_path(note: &Value) -> String {
    format!("/v1/notes/{}", text(note, "id"))
}

async fn post_note(app: &TestApp, parent_notes: &str, key: &str, body: Value) -> Response {
    app.post(parent_notes, key, &body).await
}

async fn new_note(app: &TestApp, parent_notes: &str, body: Value) -> Value {
    created(post_note(app, parent_notes, &app.admin_key, body).await).await
}

async fn a_note_on_a_client_names_its_parent_and_author(app: TestApp) {
    let writer = app.key("notes:read,notes:write").await;
    let writer_id = key_id(&app, &writer).await;
    let cid = id(&app.person("Ann", "Lee").await);
    let response = post_note(&app, &client_notes(&cid), &writer, json!({"subject": "First call", "body": "Wants a will drafted."})).await;
    let location = header(&response, "location");
    let note = created(response).await;
    assert!(text(&note, "id").starts_with("note_"), "{note}");
    assert_eq!(location, note_path(&note));
    assert_eq!(note["client_id"], cid.as_str());
    assert!(note["matter_id"].is_null(), "{note}");
    assert_eq!(note["subject"], "First call");
    assert_eq!(note["body"], "Wants a will drafted.");
    assert_eq!(note["author"], json!({"user_id": null, "key_id": writer_id}));
    assert_eq!(note["version"], 1);
    assert!(note["created_at"].is_string() && note["updated_at"].is_string());
    // The admin key is an author too.
    let admin_id = key_id(&app, &app.admin_key).await;
    let by_admin = new_note(&app, &client_notes(&cid), json!({"body": "Second"})).await;
    assert_eq!(by_admin["author"]["key_id"], admin_id.as_str());
    assert!(by_admin["subject"].is_null());
}

async fn a_note_on_a_matter_names_its_parent(app: TestApp) {
    let cid = id(&app.person("Ann", "Lee").await);
    let matter = new_matter(&app, &cid, "Estate", json!({})).await;
    let note = new_note(&app, &matter_notes(&id(&matter)), json!({"body": "Filed the petition."})).await;
    assert_eq!(note["matter_id"], matter["id"]);
    assert!(note["client_id"].is_null(), "the parent is the matter: {note}");
    assert_eq!(ok(app.get(&note_path(&note), &app.admin_key).await).await, note);
}

async fn get_returns_what_create_returned(app: TestApp) {
    let cid = id(&app.person("Ann", "Lee").await);
    let response = app.post(&client_notes(&cid), &app.admin_key, &json!({"subject": "S", "body": "B"})).await;
    assert_eq!(header(&response, "etag"), "\"1\"");
    let note = created(response).await;
    let response = app.get(&note_path(&note), &app.admin_key).await;
    assert_eq!(header(&response, "etag"), "\"1\"");
    assert_eq!(ok(response).await, note);
    not_found(app.get("/v1/notes/note_01J00000000000000000000000", &app.admin_key).await).await;
}

async fn each_parent_lists_only_its_own_notes(app: TestApp) {
    let ann = id(&app.person("Ann", "Lee").await);
    let bo = id(&app.person("Bo", "Ek").await);
    let matter = id(&new_matter(&app, &ann, "Estate", json!({})).await);
    let other_matter = id(&new_matter(&app, &bo, "Other", json!({})).await);
    let a1 = id(&new_note(&app, &client_notes(&ann), json!({"body": "a1"})).await);
    let a2 = id(&new_note(&app, &client_notes(&ann), json!({"body": "a2"})).await);
    let b1 = id(&new_note(&app, &client_notes(&bo), json!({"body": "b1"})).await);
    let m1 = id(&new_note(&app, &matter_notes(&matter), json!({"body": "m1"})).await);
    let o1 = id(&new_note(&app, &matter_notes(&other_matter), json!({"body": "o1"})).await);
    let ann_notes = page_id_set(&app, &client_notes(&ann), &[]).await;
    assert!(ann_notes.contains(&a1) && ann_notes.contains(&a2), "{ann_notes:?}");
    assert!(!ann_notes.contains(&b1) && !ann_notes.contains(&o1), "{ann_notes:?}");
    assert!(page_ids(&app, &client_notes(&bo), &[]).await.contains(&b1));
    assert!(!page_ids(&app, &client_notes(&bo), &[]).await.contains(&a1));
    assert_eq!(page_ids(&app, &matter_notes(&matter), &[]).await, [m1]);
    assert_eq!(page_ids(&app, &matter_notes(&other_matter), &[]).await, [o1]);
    let empty = id(&app.person("Cy", "Zed").await);
    let page = page(&app, &client_notes(&empty), &[]).await;
    assert_eq!(page["data"], json!([]));
    assert_eq!(page["pagination"]["has_more"], false);
}

async fn note_lists_page_and_search_subject_and_body(app: TestApp) {
    let cid = id(&app.person("Ann", "Lee").await);
    let path = client_notes(&cid);
    let mut all = Vec::new();
    for i in 0..5 {
        all.push(id(&new_note(&app, &path, json!({"subject": format!("Call {i}"), "body": format!("Routine note number {i}")})).await));
    }
    let by_subject = id(&new_note(&app, &path, json!({"subject": "Settlement OFFER", "body": "see attachment"})).await);
    let by_body = id(&new_note(&app, &path, json!({"body": "Client asked about the settlement amount"})).await);
    all.push(by_subject.clone());
    all.push(by_body.clone());
    let walked = walk_at(&app, &path, &[("limit", "3"), ("sort", "created_at")]).await;
    assert_eq!(walked, all, "oldest first, every note once");
    let total = page(&app, &path, &[("include_total", "true"), ("limit", "2")]).await;
    assert_eq!(total["pagination"]["total"], 7);
    assert_eq!(total["data"].as_array().unwrap().len(), 2);
    assert_eq!(page_id_set(&app, &path, &[("q", "settlement")]).await, sorted(vec![by_subject.clone(), by_body]));
    assert_eq!(page_ids(&app, &path, &[("q", "offer")]).await, [by_subject]);
    assert!(page_ids(&app, &path, &[("q", "zebra")]).await.is_empty());
}

async fn patch_changes_subject_and_body_and_the_version(app: TestApp) {
    let cid = id(&app.person("Ann", "Lee").await);
    let note = new_note(&app, &client_notes(&cid), json!({"subject": "Draft", "body": "First version"})).await;
    let path = note_path(&note);
    let after = ok(app.patch(&path, &app.admin_key, &json!({"body": "Second version"})).await).await;
    assert_eq!(after["body"], "Second version");
    assert_eq!(after["subject"], "Draft", "absent fields stay");
    assert_eq!(after["version"], 2);
    assert_eq!(after["author"], note["author"]);
    assert_eq!(after["client_id"], note["client_id"]);
    let after = ok(app.patch(&path, &app.admin_key, &json!({"subject": null})).await).await;
    assert!(after["subject"].is_null());
    assert_eq!(after["version"], 3);
    assert_eq!(ok(app.get(&path, &app.admin_key).await).await, after);
    // The author stays the note's creator even when another key edits it.
    let editor = app.key("notes:read,notes:write").await;
    let edited = ok(app.patch(&path, &editor, &json!({"body": "Third version"})).await).await;
    assert_eq!(edited["author"], note["author"]);
}

async fn delete_is_soft_and_restore_brings_it_back(app: TestApp) {
    let cid = id(&app.person("Ann", "Lee").await);
    let keep = new_note(&app, &client_notes(&cid), json!({"body": "keep"})).await;
    let note = new_note(&app, &client_notes(&cid), json!({"body": "doomed"})).await;
    let path = note_path(&note);
    no_content(app.delete(&path, &app.admin_key).await).await;
    not_found(app.get(&path, &app.admin_key).await).await;
    not_found(app.patch(&path, &app.admin_key, &json!({"body": "x"})).await).await;
    not_found(app.delete(&path, &app.admin_key).await).await;
    assert_eq!(page_ids(&app, &client_notes(&cid), &[]).await, [id(&keep)]);
    let restored = ok(app.post(&format!("{path}/restore"), &app.admin_key, &json!({})).await).await;
    assert_eq!(restored["version"], 3);
    assert_eq!(restored["body"], "doomed");
    assert_eq!(page_id_set(&app, &client_notes(&cid), &[]).await, sorted(vec![id(&keep), id(&note)]));
}

async fn body_is_required_and_bounded(app: TestApp) {
    let cid = id(&app.person("Ann", "Lee").await);
    let path = client_notes(&cid);
    for bad in [json!({}), json!({"body": ""}), json!({"body": null}), json!({"body": 5}), json!({"subject": "only"}), json!({"body": "b".repeat(100_001)})] {
        assert_eq!(refused_fields(post_note(&app, &path, &app.admin_key, bad.clone()).await).await, ["body"], "{}", &bad.to_string()[..bad.to_string().len().min(80)]);
    }
    created(post_note(&app, &path, &app.admin_key, json!({"body": "b".repeat(100_000)})).await).await;
    let note = new_note(&app, &path, json!({"body": "fine"})).await;
    assert_eq!(refused_fields(app.patch(&note_path(&note), &app.admin_key, &json!({"body": ""})).await).await, ["body"]);
    assert_eq!(refused_fields(app.patch(&note_path(&note), &app.admin_key, &json!({"body": null})).await).await, ["body"]);
    assert_eq!(page(&app, &path, &[("include_total", "true")]).await["pagination"]["total"], 2, "refused creates stored nothing");
}

async fn subject_is_bounded_and_nullable(app: TestApp) {
    let cid = id(&app.person("Ann", "Lee").await);
    let path = client_notes(&cid);
    let response = post_note(&app, &path, &app.admin_key, json!({"subject": "s".repeat(201), "body": "b"})).await;
    assert_eq!(refused_fields(response).await, ["subject"]);
    assert_eq!(refused_fields(post_note(&app, &path, &app.admin_key, json!({"subject": 3, "body": "b"})).await).await, ["subject"]);
    let ok_note = new_note(&app, &path, json!({"subject": "s".repeat(200), "body": "b"})).await;
    assert_eq!(ok_note["subject"].as_str().unwrap().len(), 200);
    let response = app.patch(&note_path(&ok_note), &app.admin_key, &json!({"subject": "s".repeat(201)})).await;
    assert_eq!(refused_fields(response).await, ["subject"]);
    assert!(new_note(&app, &path, json!({"subject": null, "body": "b"})).await["subject"].is_null());
}

async fn unknown_and_read_only_fields_are_refused(app: TestApp) {
    let cid = id(&app.person("Ann", "Lee").await);
    let matter = id(&new_matter(&app, &cid, "Estate", json!({})).await);
    let path = client_notes(&cid);
    let cases = [
        ("title", json!("x")),
        ("client_id", json!(cid)),
        ("matter_id", json!(matter)),
        ("author", json!({"user_id": null, "key_id": null})),
        ("id", json!("note_01J00000000000000000000000")),
        ("created_at", json!("2024-01-01T00:00:00.000Z")),
    ];
    for (field, value) in cases.clone() {
        let response = post_note(&app, &path, &app.admin_key, json!({"body": "b", field: value})).await;
        assert_eq!(refused_fields(response).await, [field], "POST {field}");
    }
    let note = new_note(&app, &path, json!({"body": "b"})).await;
    for (field, value) in cases {
        let response = app.patch(&note_path(&note), &app.admin_key, &json!({field: value})).await;
        assert_eq!(refused_fields(response).await, [field], "PATCH {field}");
    }
    assert_eq!(ok(app.get(&note_path(&note), &app.admin_key).await).await, note);
}

async fn a_missing_or_deleted_parent_is_404(app: TestApp) {
    let deleted = app.person("Gone", "Away").await;
    no_content(app.delete(&path_of(&deleted), &app.admin_key).await).await;
    let live = id(&app.person("Ann", "Lee").await);
    let deleted_matter = new_matter(&app, &live, "Gone", json!({})).await;
    no_content(app.delete(&matter_path(&deleted_matter), &app.admin_key).await).await;
    let parents = [
        client_notes("cli_01J00000000000000000000000"),
        client_notes(&id(&deleted)),
        matter_notes("mat_01J00000000000000000000000"),
        matter_notes(&id(&deleted_matter)),
    ];
    for parent in &parents {
        not_found(post_note(&app, parent, &app.admin_key, json!({"body": "b"})).await).await;
        not_found(app.get(parent, &app.admin_key).await).await;
    }
}

async fn scopes_guard_notes(app: TestApp) {
    let cid = id(&app.person("Ann", "Lee").await);
    let matter = id(&new_matter(&app, &cid, "Estate", json!({})).await);
    let note = new_note(&app, &client_notes(&cid), json!({"body": "b"})).await;
    let path = note_path(&note);
    let clients_only = app.key("clients:read,clients:write,matters:read,matters:write").await;
    let reader = app.key("notes:read").await;
    let writer = app.key("notes:read,notes:write").await;
    forbidden(app.get(&client_notes(&cid), &clients_only).await).await;
    forbidden(app.get(&matter_notes(&matter), &clients_only).await).await;
    forbidden(app.get(&path, &clients_only).await).await;
    for key in [&clients_only, &reader] {
        forbidden(post_note(&app, &client_notes(&cid), key, json!({"body": "x"})).await).await;
        forbidden(post_note(&app, &matter_notes(&matter), key, json!({"body": "x"})).await).await;
        forbidden(app.patch(&path, key, &json!({"body": "x"})).await).await;
        forbidden(app.delete(&path, key).await).await;
        forbidden(app.post(&format!("{path}/restore"), key, &json!({})).await).await;
    }
    assert_eq!(ok(app.get(&path, &reader).await).await, note);
    assert_eq!(ids(&expect_status(app.get(&client_notes(&cid), &reader).await, StatusCode::OK).await), [id(&note)]);
    // notes:* alone is enough to write notes on clients and matters.
    created(post_note(&app, &client_notes(&cid), &writer, json!({"body": "w"})).await).await;
    created(post_note(&app, &matter_notes(&matter), &writer, json!({"body": "w"})).await).await;
    assert_eq!(ok(app.get(&path, &app.admin_key).await).await, note, "refused writes changed nothing");
}

async fn another_firms_parent_is_404(app: TestApp) {
    let other = app.other_firm().await;
    let cid = id(&app.person("Ann", "Lee").await);
    let matter = id(&new_matter(&app, &cid, "Estate", json!({})).await);
    new_note(&app, &client_notes(&cid), json!({"body": "private"})).await;
    new_note(&app, &matter_notes(&matter), json!({"body": "private"})).await;
    for parent in [client_notes(&cid), matter_notes(&matter)] {
        not_found(post_note(&app, &parent, &other, json!({"body": "sneaky"})).await).await;
        not_found(app.get(&parent, &other).await).await;
    }
    assert_eq!(page(&app, &client_notes(&cid), &[("include_total", "true")]).await["pagination"]["total"], 1);
    assert_eq!(page(&app, &matter_notes(&matter), &[("include_total", "true")]).await["pagination"]["total"], 1);
}

async fn another_firms_note_is_404_for_every_operation(app: TestApp) {
    let other = app.other_firm().await;
    let cid = id(&app.person("Ann", "Lee").await);
    let note = new_note(&app, &client_notes(&cid), json!({"subject": "Secret", "body": "private"})).await;
    let theirs = note_path(&note);
    let missing = "/v1/notes/note_01J00000000000000000000000".to_string();
    for path in [&theirs, &missing] {
        not_found(app.get(path, &other).await).await;
        not_found(app.patch(path, &other, &json!({"body": "owned"})).await).await;
        not_found(app.delete(path, &other).await).await;
        not_found(app.post(&format!("{path}/restore"), &other, &json!({})).await).await;
    }
    no_content(app.delete(&theirs, &app.admin_key).await).await;
    not_found(app.post(&format!("{theirs}/restore"), &other, &json!({})).await).await;
    let restored = ok(app.post(&format!("{theirs}/restore"), &app.admin_key, &json!({})).await).await;
    assert_eq!(restored["version"], 3);
    assert_eq!(restored["body"], "private");
    // Their own notes lists never show it.
    let their_client = created(app.post("/v1/clients", &other, &json!({"first_name": "Their", "last_name": "Own"})).await).await;
    let page = expect_status(get_query(&app, &client_notes(&id(&their_client)), &other, &[("q", "private")]).await, StatusCode::OK).await;
    assert_eq!(page["data"], json!([]));
}

async fn note_changes_are_logged_as_events(app: TestApp) {
    let writer = app.key("notes:read,notes:write").await;
    let writer_id = key_id(&app, &writer).await;
    let cid = id(&app.person("Ann", "Lee").await);
    let start = last_seq(&app).await;
    let note = created(post_note(&app, &client_notes(&cid), &writer, json!({"body": "logged"})).await).await;
    let path = note_path(&note);
    ok(app.patch(&path, &writer, &json!({"body": "changed"})).await).await;
    no_content(app.delete(&path, &writer).await).await;
    ok(app.post(&format!("{path}/restore"), &writer, &json!({})).await).await;
    let log = events_since(&app, start).await;
    assert_eq!(kinds(&log), ["note.created", "note.updated", "note.deleted", "note.restored"]);
    for event in &log {
        assert_eq!(event["resource_type"], "note", "{event}");
        assert_eq!(event["resource_id"], note["id"], "{event}");
        assert_eq!(actor_key_id(event), writer_id.as_str(), "{event}");
    }
    assert!(log[0]["before"].is_null());
    assert_eq!(log[0]["after"]["body"], "logged");
    assert_eq!(log[1]["before"]["body"], "logged");
    assert_eq!(log[1]["after"]["body"], "changed");
    // Refused writes log nothing.
    let seq = last_seq(&app).await;
    refused_fields(app.patch(&path, &writer, &json!({"body": ""})).await).await;
    not_found(post_note(&app, &client_notes("cli_01J00000000000000000000000"), &writer, json!({"body": "x"})).await).await;
    assert_eq!(events_since(&app, seq).await, Vec::<Value>::new());
}

async fn if_match_and_version_preconditions(app: TestApp) {
    let cid = id(&app.person("Ann", "Lee").await);
    let note = new_note(&app, &client_notes(&cid), json!({"body": "b"})).await;
    let path = note_path(&note);
    let stale = app.request(reqwest::Method::PATCH, &path, &app.admin_key).header("if-match", "\"5\"").json(&json!({"body": "x"})).send().await.unwrap();
    crate::helpers::expect_problem(stale, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    let conflict = app.patch(&path, &app.admin_key, &json!({"body": "x", "version": 4})).await;
    crate::helpers::expect_problem(conflict, StatusCode::CONFLICT, "version_conflict").await;
    assert_eq!(ok(app.get(&path, &app.admin_key).await).await, note);
    let fresh = app.request(reqwest::Method::PATCH, &path, &app.admin_key).header("if-match", "\"1\"").json(&json!({"body": "x"})).send().await.unwrap();
    assert_eq!(ok(fresh).await["version"], 2);
}

async fn purging_a_client_erases_the_notes_on_it_and_on_its_matters(app: TestApp) {
    let client = app.person("Ann", "Lee").await;
    let kept_client = id(&app.person("Bo", "Ek").await);
    let matter = new_matter(&app, &id(&client), "Closed", json!({"status": "closed"})).await;
    let on_client = new_note(&app, &client_notes(&id(&client)), json!({"body": "on the client"})).await;
    let on_matter = new_note(&app, &matter_notes(&id(&matter)), json!({"body": "on the matter"})).await;
    let kept = new_note(&app, &client_notes(&kept_client), json!({"body": "kept"})).await;
    no_content(app.delete(&path_of(&client), &app.admin_key).await).await;
    app.service.purge_expired(Timestamp::now().plus_millis(31 * DAY_MS)).await.expect("purge");
    for note in [&on_client, &on_matter] {
        not_found(app.get(&note_path(note), &app.admin_key).await).await;
        not_found(app.post(&format!("{}/restore", note_path(note)), &app.admin_key, &json!({})).await).await;
    }
    assert_eq!(ok(app.get(&note_path(&kept), &app.admin_key).await).await, kept);
    let log = crate::support::events(&app, &app.admin_key).await;
    let purged: Vec<&Value> = log.iter().filter(|e| e["type"].as_str().unwrap_or("").ends_with(".purged")).collect();
    assert!(purged.iter().all(|e| e["before"].is_null() && e["after"].is_null()), "a purge keeps no copy: {purged:?}");
    assert!(purged.iter().any(|e| e["resource_id"] == client["id"]), "{purged:?}");
}

async fn a_deleted_note_is_purged_after_retention_and_not_before(app: TestApp) {
    let cid = id(&app.person("Ann", "Lee").await);
    let doomed = new_note(&app, &client_notes(&cid), json!({"body": "doomed"})).await;
    let kept = new_note(&app, &client_notes(&cid), json!({"body": "kept"})).await;
    no_content(app.delete(&note_path(&doomed), &app.admin_key).await).await;
    app.service.purge_expired(Timestamp::now().plus_millis(DAY_MS)).await.expect("purge");
    let restored = ok(app.post(&format!("{}/restore", note_path(&doomed)), &app.admin_key, &json!({})).await).await;
    assert_eq!(restored["body"], "doomed", "not purged within the retention period");
    no_content(app.delete(&note_path(&doomed), &app.admin_key).await).await;
    app.service.purge_expired(Timestamp::now().plus_millis(31 * DAY_MS)).await.expect("purge");
    not_found(app.post(&format!("{}/restore", note_path(&doomed)), &app.admin_key, &json!({})).await).await;
    assert_eq!(ok(app.get(&note_path(&kept), &app.admin_key).await).await, kept);
    let log = crate::support::events(&app, &app.admin_key).await;
    let purge = log.iter().find(|e| e["type"] == "note.purged").expect("a note.purged event");
    assert_eq!(purge["resource_id"], doomed["id"]);
    assert!(purge["before"].is_null() && purge["after"].is_null());
}
