//! `POST /v1/clients/{id}/merge`: what moves and what is united, tombstones
//! and where they point, dry runs, bad input, tenancy, scopes, events, and
//! merges racing edits.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::dialect_clients::{ACTUALLYCARE, CALMINTAKE, CLEMTA, CLIO_CONTACTS, FULL_ENGAGE};
use crate::helpers::{error_fields, expect_problem, expect_status, TestApp};
use crate::support::{events_since, fetch, id, last_seq, list_ids, path_of};

crate::store_tests!(
    a_merge_moves_matters_notes_and_leads_and_unites_the_fields,
    a_merged_client_is_a_404_that_says_where_it_went,
    fields_pick_the_winner_even_the_email_a_source_held,
    prefer_newest_takes_the_most_recently_updated_value,
    a_dry_run_shows_the_outcome_and_changes_nothing,
    a_merge_writes_client_merged_for_each_client_in_one_transaction,
    bad_merge_requests_are_400_and_change_nothing,
    merged_deleted_and_missing_sources_are_404,
    another_firms_ids_are_404_and_change_nothing,
    merging_needs_clients_write,
    a_stale_if_match_is_412,
    edits_racing_a_merge_are_never_lost,
    notes_added_while_merging_end_up_on_the_target,
    every_dialect_says_where_a_merged_client_went,
    merging_companies_moves_their_people,
    a_tombstone_is_purged_after_retention,
);

async fn merge(app: &TestApp, target: &Value, body: Value) -> reqwest::Response {
    app.post(&format!("{}/merge", path_of(target)), &app.admin_key, &body).await
}

async fn merged(app: &TestApp, target: &Value, body: Value) -> Value {
    expect_status(merge(app, target, body).await, StatusCode::OK).await["data"].clone()
}

async fn matter(app: &TestApp, client: &Value) -> Value {
    let body = json!({"client_id": id(client), "title": "Estate"});
    expect_status(app.post("/v1/matters", &app.admin_key, &body).await, StatusCode::CREATED).await["data"].clone()
}

async fn note(app: &TestApp, client: &Value) -> Value {
    let path = format!("{}/notes", path_of(client));
    expect_status(app.post(&path, &app.admin_key, &json!({"body": "called"})).await, StatusCode::CREATED).await["data"].clone()
}

async fn get_data(app: &TestApp, path: &str) -> Value {
    expect_status(app.get(path, &app.admin_key).await, StatusCode::OK).await["data"].clone()
}

async fn a_merge_moves_matters_notes_and_leads_and_unites_the_fields(app: TestApp) {
    let target = app
        .create_client(json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "tags": ["vip"],
            "other_emails": [{"address": "ANN.LEE@example.com", "label": "work"}], "custom_fields": {"tier": "gold"}}))
        .await;
    let lead = expect_status(app.post("/v1/leads", &app.admin_key, &json!({"first_name": "Anne", "last_name": "Lee", "email": "anne@example.com"})).await, StatusCode::CREATED).await;
    let converted = expect_status(app.post(&format!("/v1/leads/{}/convert", lead["data"]["id"].as_str().unwrap()), &app.admin_key, &json!({})).await, StatusCode::CREATED).await;
    let source = converted["data"]["client"].clone();
    let source = expect_status(
        app.patch(&path_of(&source), &app.admin_key, &json!({"phone": "+15551234567", "tags": ["new", "vip"], "date_of_birth": "1980-02-03",
            "other_emails": [{"address": "ann.lee@example.com", "label": null}], "custom_fields": {"tier": "silver", "ref": "Bob"}})).await,
        StatusCode::OK,
    )
    .await["data"]
        .clone();
    let (m, n) = (matter(&app, &source).await, note(&app, &source).await);
    let out = merged(&app, &target, json!({"from": [id(&source)]})).await;
    let client = &out["client"];
    assert_eq!(out["dry_run"], false);
    assert_eq!(out["merged"], json!([id(&source)]));
    assert_eq!(out["moved"]["matters"], json!([id(&m)]));
    assert_eq!(out["moved"]["notes"], json!([id(&n)]));
    assert_eq!(out["moved"]["leads"], json!([lead["data"]["id"]]));
    assert_eq!(client["id"], target["id"], "the target keeps its id");
    assert_eq!(client["first_name"], "Ann", "the target's value wins by default");
    assert_eq!(client["email"], "ann@example.com");
    assert_eq!(client["phone"], "+15551234567", "a blank is filled");
    assert_eq!(client["date_of_birth"], "1980-02-03");
    assert_eq!(client["tags"], json!(["vip", "new"]));
    assert_eq!(client["custom_fields"], json!({"tier": "gold", "ref": "Bob"}));
    let others: Vec<&str> = client["other_emails"].as_array().unwrap().iter().map(|e| e["address"].as_str().unwrap()).collect();
    assert_eq!(others, ["ANN.LEE@example.com", "anne@example.com"], "united without a case-folded repeat; the source's primary kept");
    assert_eq!(client["matters_count"], 1);
    assert_eq!(client["version"], target["version"].as_i64().unwrap() + 1);
    assert_eq!(fetch(&app, &target).await, *client, "the answer is what is stored");
    assert_eq!(get_data(&app, &format!("/v1/matters/{}", id(&m))).await["client_id"], target["id"]);
    assert_eq!(get_data(&app, &format!("/v1/notes/{}", id(&n))).await["client_id"], target["id"]);
    assert_eq!(get_data(&app, &format!("/v1/leads/{}", lead["data"]["id"].as_str().unwrap())).await["client_id"], target["id"]);
    let notes = get_data(&app, &format!("{}/notes", path_of(&target))).await;
    assert_eq!(notes.as_array().unwrap().len(), 1);
    assert_eq!(list_ids(&app, &[]).await, [id(&target)], "the tombstone is in no list");
    assert!(list_ids(&app, &[("q", "anne@example")]).await.is_empty(), "nor in search");
    assert!(list_ids(&app, &[("ids", &id(&source))]).await.is_empty());
    // The tombstone freed its email: another client may take it.
    app.create_client(json!({"last_name": "New", "email": "anne@example.com"})).await;
}

async fn a_merged_client_is_a_404_that_says_where_it_went(app: TestApp) {
    let (target, source) = (app.person("Ann", "Lee").await, app.person("Anne", "Lee").await);
    merged(&app, &target, json!({"from": [id(&source)]})).await;
    let path = path_of(&source);
    for response in [
        app.get(&path, &app.admin_key).await,
        app.patch(&path, &app.admin_key, &json!({"last_name": "X"})).await,
        app.put(&path, &app.admin_key, &json!({"last_name": "X"})).await,
        app.delete(&path, &app.admin_key).await,
        app.post(&format!("{path}/restore"), &app.admin_key, &json!({})).await,
    ] {
        let problem = expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
        assert_eq!(problem["merged_into"], target["id"], "{problem}");
    }
    // Merged again: the first tombstone points at the second hop.
    let last = app.person("Ann", "Lee-Final").await;
    merged(&app, &last, json!({"from": [id(&target)]})).await;
    let hop = expect_problem(app.get(&path_of(&target), &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(hop["merged_into"], last["id"]);
    let plain = expect_problem(app.get("/v1/clients/cli_01J00000000000000000000000", &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
    assert!(plain.get("merged_into").is_none(), "{plain}");
}

async fn fields_pick_the_winner_even_the_email_a_source_held(app: TestApp) {
    let target = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "custom_fields": {"tier": "gold"}})).await;
    let source = app.create_client(json!({"first_name": "Anne", "last_name": "Lee", "email": "anne@example.com", "custom_fields": {"tier": "silver"}})).await;
    let body = json!({"from": [id(&source)], "fields": {"email": id(&source), "first_name": id(&source), "custom_fields.tier": id(&source)}});
    let client = merged(&app, &target, body).await["client"].clone();
    assert_eq!(client["email"], "anne@example.com", "the source's email moves in the same transaction it is freed");
    assert_eq!(client["first_name"], "Anne");
    assert_eq!(client["custom_fields"]["tier"], "silver");
    assert_eq!(client["other_emails"][0]["address"], "ann@example.com", "the target's own email is kept as another one");
    let taken = app.post("/v1/clients", &app.admin_key, &json!({"last_name": "Dup", "email": "ANNE@example.com"})).await;
    expect_problem(taken, StatusCode::CONFLICT, "duplicate_email").await;
}

async fn prefer_newest_takes_the_most_recently_updated_value(app: TestApp) {
    let target = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "source": "web"})).await;
    let source = app.create_client(json!({"first_name": "Anne", "last_name": "Lee"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    expect_status(app.patch(&path_of(&source), &app.admin_key, &json!({"notes": "newer"})).await, StatusCode::OK).await;
    let client = merged(&app, &target, json!({"from": [id(&source)], "prefer": "newest"})).await["client"].clone();
    assert_eq!(client["first_name"], "Anne");
    assert_eq!(client["notes"], "newer");
    assert_eq!(client["source"], "web", "a blank of the newest is filled from the others");
}

async fn a_dry_run_shows_the_outcome_and_changes_nothing(app: TestApp) {
    let target = app.create_client(json!({"first_name": "Ann", "last_name": "Lee"})).await;
    let source = app.create_client(json!({"first_name": "Anne", "last_name": "Lee", "phone": "+15551234567"})).await;
    let m = matter(&app, &source).await;
    let (target, source) = (fetch(&app, &target).await, fetch(&app, &source).await);
    let seq = last_seq(&app).await;
    let out = merged(&app, &target, json!({"from": [id(&source)], "dry_run": true})).await;
    assert_eq!(out["dry_run"], true);
    assert_eq!(out["client"]["phone"], "+15551234567");
    assert_eq!(out["client"]["matters_count"], 1);
    assert_eq!(out["moved"]["matters"], json!([id(&m)]));
    assert_eq!(fetch(&app, &target).await, target);
    assert_eq!(fetch(&app, &source).await, source);
    assert_eq!(get_data(&app, &format!("/v1/matters/{}", id(&m))).await["client_id"], source["id"]);
    assert!(events_since(&app, seq).await.is_empty(), "a dry run writes no event");
}

async fn a_merge_writes_client_merged_for_each_client_in_one_transaction(app: TestApp) {
    let target = app.person("Ann", "Lee").await;
    let (a, b) = (app.person("Anne", "Lee").await, app.person("Annie", "Lee").await);
    let m = matter(&app, &a).await;
    let seq = last_seq(&app).await;
    merged(&app, &target, json!({"from": [id(&a), id(&b)]})).await;
    let log = events_since(&app, seq).await;
    let seen: Vec<(String, String)> = log.iter().map(|e| (e["type"].as_str().unwrap().into(), e["resource_id"].as_str().unwrap().into())).collect();
    for who in [&a, &b, &target] {
        assert!(seen.contains(&("client.merged".into(), id(who))), "{seen:?}");
    }
    assert!(seen.contains(&("matter.updated".into(), id(&m))), "{seen:?}");
    assert_eq!(seen.len(), 4, "{seen:?}");
    let source_event = log.iter().find(|e| e["resource_id"] == a["id"]).unwrap();
    assert_eq!(source_event["after"]["merged_into"], target["id"]);
    let target_event = log.iter().find(|e| e["resource_id"] == target["id"]).unwrap();
    assert_eq!(target_event["after"]["merged_from"], json!([id(&a), id(&b)]));
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (seq + 1..=seq + 4).collect::<Vec<_>>(), "numbered together, with no gap");
}

async fn bad_merge_requests_are_400_and_change_nothing(app: TestApp) {
    let target = app.person("Ann", "Lee").await;
    let source = app.person("Anne", "Lee").await;
    let company = app.create_client(json!({"kind": "company", "name": "Lee Ltd"})).await;
    let url = app.url(&format!("{}/merge", path_of(&target)));
    let raw = app.http.post(&url).header("x-api-key", &app.admin_key).header("content-type", "application/json").body("{\"from\": [").send().await.unwrap();
    expect_problem(raw, StatusCode::BAD_REQUEST, "malformed_json").await;
    let many: Vec<String> = (0..51).map(|_| "cli_01J00000000000000000000000".to_string()).collect();
    let cases = [
        (json!({}), "from"),
        (json!({"from": []}), "from"),
        (json!({"from": id(&source)}), "from"),
        (json!({"from": [42]}), "from[0]"),
        (json!({"from": ["nope"]}), "from[0]"),
        (json!({"from": many}), "from"),
        (json!({"from": [id(&target)]}), "from[0]"),
        (json!({"from": [id(&source), id(&source)]}), "from[1]"),
        (json!({"from": [id(&company)]}), "from[0]"),
        (json!({"from": [id(&source)], "prefer": "oldest"}), "prefer"),
        (json!({"from": [id(&source)], "dry_run": "yes"}), "dry_run"),
        (json!({"from": [id(&source)], "fields": {"kind": id(&source)}}), "fields.kind"),
        (json!({"from": [id(&source)], "fields": {"email": id(&company)}}), "fields.email"),
        (json!({"from": [id(&source)], "fields": {"email": 7}}), "fields.email"),
        (json!({"from": [id(&source)], "fields": []}), "fields"),
        (json!({"from": [id(&source)], "into": "x"}), "into"),
    ];
    for (body, field) in cases {
        let problem = expect_problem(merge(&app, &target, body.clone()).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert!(error_fields(&problem).contains(&field.to_string()), "{body}: {problem}");
    }
    let over = json!({"from": [id(&source)], "fields": {}});
    // Eleven other emails between them: over the limit, named.
    let emails = |n: usize, tag: &str| (0..n).map(|i| json!({"address": format!("{tag}{i}@example.com")})).collect::<Vec<_>>();
    expect_status(app.patch(&path_of(&target), &app.admin_key, &json!({"other_emails": emails(6, "t")})).await, StatusCode::OK).await;
    expect_status(app.patch(&path_of(&source), &app.admin_key, &json!({"other_emails": emails(5, "s")})).await, StatusCode::OK).await;
    let (target, source) = (fetch(&app, &target).await, fetch(&app, &source).await);
    let problem = expect_problem(merge(&app, &target, over).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert!(error_fields(&problem).iter().any(|f| f.starts_with("other_emails")), "{problem}");
    assert_eq!(fetch(&app, &target).await, target);
    assert_eq!(fetch(&app, &source).await, source);
}

async fn merged_deleted_and_missing_sources_are_404(app: TestApp) {
    let target = app.person("Ann", "Lee").await;
    let (gone, deleted, live) = (app.person("A", "Lee").await, app.person("B", "Lee").await, app.person("C", "Lee").await);
    merged(&app, &target, json!({"from": [id(&gone)]})).await;
    expect_status(app.delete(&path_of(&deleted), &app.admin_key).await, StatusCode::NO_CONTENT).await;
    let again = expect_problem(merge(&app, &target, json!({"from": [id(&gone)]})).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(again["merged_into"], target["id"]);
    expect_problem(merge(&app, &target, json!({"from": [id(&live), id(&deleted)]})).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_problem(merge(&app, &target, json!({"from": ["cli_01J00000000000000000000000"]})).await, StatusCode::NOT_FOUND, "not_found").await;
    let missing = json!({"id": "cli_01J00000000000000000000000"});
    expect_problem(merge(&app, &missing, json!({"from": [id(&live)]})).await, StatusCode::NOT_FOUND, "not_found").await;
    let into_tombstone = expect_problem(merge(&app, &gone, json!({"from": [id(&live)]})).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(into_tombstone["merged_into"], target["id"]);
    assert_eq!(fetch(&app, &live).await, live, "a failed merge changed nothing");
    expect_problem(app.post(&format!("{}/restore", path_of(&gone)), &app.admin_key, &json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
}

async fn another_firms_ids_are_404_and_change_nothing(app: TestApp) {
    let other = app.other_firm().await;
    let (target, source) = (app.person("Ann", "Lee").await, app.person("Anne", "Lee").await);
    let theirs = expect_status(app.post("/v1/clients", &other, &json!({"last_name": "Theirs"})).await, StatusCode::CREATED).await["data"].clone();
    let as_other = app.post(&format!("{}/merge", path_of(&target)), &other, &json!({"from": [id(&theirs)]})).await;
    expect_problem(as_other, StatusCode::NOT_FOUND, "not_found").await;
    let into_theirs = app.post(&format!("{}/merge", path_of(&theirs)), &other, &json!({"from": [id(&source)]})).await;
    expect_problem(into_theirs, StatusCode::NOT_FOUND, "not_found").await;
    expect_problem(merge(&app, &target, json!({"from": [id(&theirs)]})).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(fetch(&app, &target).await, target);
    assert_eq!(fetch(&app, &source).await, source);
    let still = expect_status(app.get(&path_of(&theirs), &other).await, StatusCode::OK).await["data"].clone();
    assert_eq!(still, theirs);
}

async fn merging_needs_clients_write(app: TestApp) {
    let (target, a, b) = (app.person("Ann", "Lee").await, app.person("A", "Lee").await, app.person("B", "Lee").await);
    let reader = app.key("clients:read,matters:write").await;
    let denied = app.post(&format!("{}/merge", path_of(&target)), &reader, &json!({"from": [id(&a)]})).await;
    expect_problem(denied, StatusCode::FORBIDDEN, "insufficient_scope").await;
    assert_eq!(fetch(&app, &a).await, a);
    let writer = app.key("clients:write").await;
    let done = expect_status(app.post(&format!("{}/merge", path_of(&target)), &writer, &json!({"from": [id(&a)]})).await, StatusCode::OK).await;
    assert!(done["data"]["client"].get("email").is_none(), "a write-only key sees only what a write answers: {done}");
    assert!(done["data"]["moved"].get("matters").is_none(), "nor the ids of matters it may not read");
    let both = app.key("clients:read,clients:write").await;
    let shown = expect_status(app.post(&format!("{}/merge", path_of(&target)), &both, &json!({"from": [id(&b)]})).await, StatusCode::OK).await;
    assert_eq!(shown["data"]["client"]["id"], target["id"]);
    assert_eq!(shown["data"]["moved"]["people"], json!([]));
}

async fn a_stale_if_match_is_412(app: TestApp) {
    let (target, source) = (app.person("Ann", "Lee").await, app.person("Anne", "Lee").await);
    expect_status(app.patch(&path_of(&target), &app.admin_key, &json!({"notes": "edited"})).await, StatusCode::OK).await;
    let url = format!("{}/merge", path_of(&target));
    let stale = app.request(reqwest::Method::POST, &url, &app.admin_key).header("if-match", "\"1\"").json(&json!({"from": [id(&source)]})).send().await.unwrap();
    expect_problem(stale, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    assert_eq!(fetch(&app, &source).await, source);
    let fresh = app.request(reqwest::Method::POST, &url, &app.admin_key).header("if-match", "\"2\"").json(&json!({"from": [id(&source)]})).send().await.unwrap();
    expect_status(fresh, StatusCode::OK).await;
}

/// A PATCH of the source racing the merge either lands before it (and its
/// value is merged) or finds the source merged; never a 200 whose change is lost.
async fn edits_racing_a_merge_are_never_lost(app: TestApp) {
    for round in 0..8 {
        let target = app.person("Ann", "Lee").await;
        let source = app.person("Anne", "Lee").await;
        let tag = format!("t{round}");
        let (path, edit) = (path_of(&source), json!({"tags": [tag], "source": "edit"}));
        let (patched, done) = tokio::join!(app.patch(&path, &app.admin_key, &edit), merge(&app, &target, json!({"from": [id(&source)]})));
        let patch_status = patched.status();
        let client = expect_status(done, StatusCode::OK).await["data"]["client"].clone();
        let has_tag = client["tags"].as_array().unwrap().iter().any(|t| t == &json!(tag));
        match patch_status {
            StatusCode::OK => assert!(has_tag && client["source"] == "edit", "round {round}: an acknowledged edit was lost: {client}"),
            StatusCode::NOT_FOUND => assert!(!has_tag, "round {round}"),
            other => panic!("round {round}: the edit got {other}"),
        }
        assert_eq!(fetch(&app, &target).await, client, "round {round}");
    }
}

/// A note created on the source while it is merged either fails or ends up
/// on the target: never left behind on the tombstone.
async fn notes_added_while_merging_end_up_on_the_target(app: TestApp) {
    for round in 0..8 {
        let target = app.person("Ann", "Lee").await;
        let source = app.person("Anne", "Lee").await;
        let path = format!("{}/notes", path_of(&source));
        let body = json!({"body": "raced"});
        let (created, done) = tokio::join!(app.post(&path, &app.admin_key, &body), merge(&app, &target, json!({"from": [id(&source)]})));
        expect_status(done, StatusCode::OK).await;
        let notes = get_data(&app, &format!("{}/notes", path_of(&target))).await;
        match created.status() {
            StatusCode::CREATED => {
                let note = created.json::<Value>().await.unwrap()["data"].clone();
                assert_eq!(get_data(&app, &format!("/v1/notes/{}", id(&note))).await["client_id"], target["id"], "round {round}");
                assert_eq!(notes.as_array().unwrap().len(), 1, "round {round}");
            }
            status => {
                assert!(status.is_client_error(), "round {round}: {status}");
                assert!(notes.as_array().unwrap().is_empty(), "round {round}");
            }
        }
    }
}

async fn every_dialect_says_where_a_merged_client_went(app: TestApp) {
    let (target, source) = (app.person("Ann", "Lee").await, app.person("Anne", "Lee").await);
    let target_seq = clio_id(&app, &target).await;
    let source_seq = clio_id(&app, &source).await;
    merged(&app, &target, json!({"from": [id(&source)]})).await;
    let uuid = |client: &Value| uuid_of(&id(client));
    let cases = [
        (format!("{CALMINTAKE}/{}", id(&source)), "/error/merged_into", json!(id(&target))),
        (format!("{ACTUALLYCARE}/{}", uuid(&source)), "/error/merged_into", json!(uuid(&target))),
        (format!("{FULL_ENGAGE}/{}", uuid(&source)), "/mergedInto", json!(uuid(&target))),
        (format!("{CLEMTA}/{}", uuid(&source)), "/error/merged_into", json!(uuid(&target))),
        (format!("{CLIO_CONTACTS}/{source_seq}"), "/error/merged_into", json!(target_seq)),
    ];
    for (path, pointer, expected) in cases {
        let response = app.get(&path, &app.admin_key).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body.pointer(pointer), Some(&expected), "{path}: {body}");
    }
}

/// A contact's integer id in Clio Grow.
async fn merging_companies_moves_their_people(app: TestApp) {
    let target = app.create_client(json!({"kind": "company", "name": "Lee Ltd"})).await;
    let source = app.create_client(json!({"kind": "company", "name": "Lee Limited"})).await;
    let staff = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "company_id": id(&source)})).await;
    let already = app.create_client(json!({"first_name": "Bo", "last_name": "Lee", "company_id": id(&target)})).await;
    let before = last_seq(&app).await;
    merged(&app, &target, json!({"from": [id(&source)]})).await;
    let person = get_data(&app, &path_of(&staff)).await;
    assert_eq!(person["company_id"], target["id"], "{person}");
    assert_eq!(person["version"], 2, "the move is a change like any other: {person}");
    let mut people = list_ids(&app, &[("company_id", id(&target).as_str())]).await;
    people.sort();
    let mut expected = vec![id(&staff), id(&already)];
    expected.sort();
    assert_eq!(people, expected);
    assert!(list_ids(&app, &[("company_id", id(&source).as_str())]).await.is_empty());
    let moved = events_since(&app, before).await;
    assert!(moved.iter().any(|e| e["type"] == "client.updated" && e["resource_id"] == staff["id"]), "{moved:?}");
}

/// A tombstone is a deleted client: after the firm's retention it is purged
/// like one, and its id is then a plain 404.
async fn a_tombstone_is_purged_after_retention(app: TestApp) {
    const DAY_MS: i64 = 24 * 60 * 60 * 1000;
    let (target, source) = (app.person("Ann", "Lee").await, app.person("Anne", "Lee").await);
    merged(&app, &target, json!({"from": [id(&source)]})).await;
    let now = clientele::domain::time::Timestamp::now();
    assert_eq!(app.service.purge_expired(now.plus_millis(DAY_MS)).await.unwrap(), 0, "kept within the retention");
    let kept = expect_problem(app.get(&path_of(&source), &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(kept["merged_into"], target["id"]);
    assert_eq!(app.service.purge_expired(now.plus_millis(31 * DAY_MS)).await.unwrap(), 1);
    let purged = expect_problem(app.get(&path_of(&source), &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
    assert!(purged.get("merged_into").is_none(), "{purged}");
    get_data(&app, &path_of(&target)).await;
}

async fn clio_id(app: &TestApp, client: &Value) -> i64 {
    let global = id(client).split_once('_').unwrap().1.to_string();
    let list = get_full(app, &format!("{CLIO_CONTACTS}?limit=100")).await;
    let found = list["data"].as_array().unwrap().iter().find(|c| c["global_id"] == json!(global)).cloned();
    found.and_then(|c| c["id"].as_i64()).unwrap_or_else(|| panic!("{list}"))
}

async fn get_full(app: &TestApp, path: &str) -> Value {
    expect_status(app.get(path, &app.admin_key).await, StatusCode::OK).await
}

/// The hyphenated UUID of a canonical id (what the UUID dialects show).
fn uuid_of(canonical: &str) -> String {
    let id: clientele::domain::ids::ClientId = canonical.parse().unwrap();
    id.as_uuid().hyphenated().to_string()
}
