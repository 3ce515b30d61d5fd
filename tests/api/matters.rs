//! Matters: CRUD, validation, list filters, the client's `matters_count`,
//! `expand=matters` and `fields=`, deleting clients that have matters,
//! preconditions, events, scopes and tenancy (docs/domain.md, "Matters").

use clientele::domain::time::Timestamp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{expect_problem, expect_status, TestApp};
use crate::records::{
    created, forbidden, keys_of, kinds, matter_path, new_matter, no_content, not_found, ok, page, page_id_set, page_ids, refused_fields, sorted,
    text, walk_at,
};
use crate::support::{events_since, header, id, ids, key_id, last_seq, path_of};

crate::store_tests!(
    create_answers_201_with_location_etag_and_defaults,
    get_returns_what_create_returned,
    patch_merges_and_null_clears,
    put_replaces_every_field,
    delete_is_soft_and_restore_brings_it_back,
    a_matter_can_move_to_another_client,
    title_is_required_and_bounded,
    status_must_be_open_pending_or_closed,
    projected_value_needs_a_non_negative_integer_amount_and_an_iso_currency,
    client_id_must_be_a_live_client_of_the_firm,
    primary_contact_id_must_be_a_live_client_of_the_firm,
    unknown_and_read_only_fields_are_refused,
    refused_writes_store_nothing,
    list_filters_by_client_id,
    list_filters_by_any_of_several_statuses,
    list_filters_by_practice_area,
    q_searches_title_and_description_case_insensitively,
    cursor_walk_visits_every_matter_once,
    include_total_counts_every_match,
    deleted_matters_are_not_listed,
    matters_count_follows_creates_deletes_restores_and_moves,
    expand_matters_lists_live_matters_oldest_first,
    fields_limits_a_clients_representation,
    fields_limits_a_matters_representation,
    an_unknown_fields_name_is_400,
    a_client_with_an_open_or_pending_matter_cannot_be_deleted,
    closed_matters_are_deleted_and_restored_with_their_client,
    purging_a_client_erases_its_matters,
    etag_and_if_match_preconditions,
    a_stale_body_version_is_409,
    matter_changes_are_logged_as_events,
    scopes_guard_matters,
    another_firms_matter_is_404_for_every_operation,
    another_firms_matters_are_never_listed,
);

async fn client_id(app: &TestApp) -> String {
    id(&app.person("Ann", "Lee").await)
}

async fn matters_count(app: &TestApp, client_id: &str) -> i64 {
    let client = ok(app.get(&format!("/v1/clients/{client_id}"), &app.admin_key).await).await;
    client["matters_count"].as_i64().unwrap_or_else(|| panic!("no matters_count: {client}"))
}

async fn create_answers_201_with_location_etag_and_defaults(app: TestApp) {
    let cid = client_id(&app).await;
    let response = app.post("/v1/matters", &app.admin_key, &json!({"client_id": cid, "title": "Smith v. Jones"})).await;
    let location = header(&response, "location");
    let etag = header(&response, "etag");
    let matter = created(response).await;
    assert!(text(&matter, "id").starts_with("mat_"), "{matter}");
    assert_eq!(location, matter_path(&matter));
    assert_eq!(etag, "\"1\"");
    assert_eq!(matter["client_id"], cid.as_str());
    assert_eq!(matter["title"], "Smith v. Jones");
    assert_eq!(matter["status"], "open", "status defaults to open");
    for field in ["description", "practice_area", "projected_value", "location", "hired_date", "primary_contact_id", "lead_id", "deleted_at"] {
        assert!(matter[field].is_null(), "{field} should be null: {matter}");
    }
    assert_eq!(matter["custom_fields"], json!({}));
    assert_eq!(matter["version"], 1);
    assert!(matter["created_at"].is_string() && matter["updated_at"].is_string());
}

async fn get_returns_what_create_returned(app: TestApp) {
    let cid = client_id(&app).await;
    let contact = id(&app.person("Bo", "Ek").await);
    let matter = new_matter(&app, &cid, "Estate of Lee", json!({
        "description": "Probate of the estate", "status": "pending", "practice_area": "Probate",
        "projected_value": {"amount": 250000, "currency": "USD"}, "location": "Austin, TX",
        "hired_date": "2024-03-15", "primary_contact_id": contact, "custom_fields": {"court": "Travis County"}
    }))
    .await;
    assert_eq!(matter["projected_value"], json!({"amount": 250000, "currency": "USD"}));
    assert_eq!(matter["hired_date"], "2024-03-15");
    assert_eq!(matter["primary_contact_id"], contact.as_str());
    let response = app.get(&matter_path(&matter), &app.admin_key).await;
    assert_eq!(header(&response, "etag"), "\"1\"");
    assert_eq!(ok(response).await, matter);
}

async fn patch_merges_and_null_clears(app: TestApp) {
    let cid = client_id(&app).await;
    let before = new_matter(&app, &cid, "Smith v. Jones", json!({
        "description": "Contract dispute", "practice_area": "Litigation", "location": "Austin",
        "projected_value": {"amount": 1000, "currency": "USD"}, "custom_fields": {"court": "District", "judge": "Hale"}
    }))
    .await;
    let path = matter_path(&before);
    let after = ok(app.patch(&path, &app.admin_key, &json!({"status": "pending"})).await).await;
    assert_eq!(after["status"], "pending");
    assert_eq!(after["version"], 2);
    for field in ["client_id", "title", "description", "practice_area", "location", "projected_value", "custom_fields", "created_at"] {
        assert_eq!(after[field], before[field], "PATCH changed {field}");
    }
    let after = ok(app.patch(&path, &app.admin_key, &json!({"description": null, "location": null})).await).await;
    assert!(after["description"].is_null() && after["location"].is_null(), "{after}");
    assert_eq!(after["practice_area"], "Litigation");
    // Objects merge (RFC 7396): the currency stays, a custom field key is removed by null.
    let after = ok(app.patch(&path, &app.admin_key, &json!({"projected_value": {"amount": 5000}, "custom_fields": {"judge": null, "room": "4B"}})).await).await;
    assert_eq!(after["projected_value"], json!({"amount": 5000, "currency": "USD"}));
    assert_eq!(after["custom_fields"], json!({"court": "District", "room": "4B"}));
    assert_eq!(ok(app.get(&path, &app.admin_key).await).await, after);
}

async fn put_replaces_every_field(app: TestApp) {
    let cid = client_id(&app).await;
    let before = new_matter(&app, &cid, "Smith v. Jones", json!({
        "description": "Contract dispute", "status": "pending", "practice_area": "Litigation", "location": "Austin",
        "projected_value": {"amount": 1000, "currency": "USD"}, "hired_date": "2024-01-02", "custom_fields": {"court": "District"}
    }))
    .await;
    let path = matter_path(&before);
    let after = ok(app.put(&path, &app.admin_key, &json!({"client_id": cid, "title": "Smith v. Jones (appeal)"})).await).await;
    assert_eq!(after["title"], "Smith v. Jones (appeal)");
    assert_eq!(after["status"], "open", "PUT without status resets it to the default");
    for field in ["description", "practice_area", "location", "projected_value", "hired_date"] {
        assert!(after[field].is_null(), "PUT kept {field}: {after}");
    }
    assert_eq!(after["custom_fields"], json!({}));
    assert_eq!(after["version"], 2);
    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["created_at"], before["created_at"]);
    // PUT needs the required fields like a create.
    assert_eq!(refused_fields(app.put(&path, &app.admin_key, &json!({"title": "No client"})).await).await, ["client_id"]);
    assert_eq!(refused_fields(app.put(&path, &app.admin_key, &json!({"client_id": cid})).await).await, ["title"]);
}

async fn delete_is_soft_and_restore_brings_it_back(app: TestApp) {
    let cid = client_id(&app).await;
    let matter = new_matter(&app, &cid, "Doomed", json!({})).await;
    let path = matter_path(&matter);
    no_content(app.delete(&path, &app.admin_key).await).await;
    not_found(app.get(&path, &app.admin_key).await).await;
    not_found(app.patch(&path, &app.admin_key, &json!({"title": "X"})).await).await;
    not_found(app.delete(&path, &app.admin_key).await).await;
    let restored = ok(app.post(&format!("{path}/restore"), &app.admin_key, &json!({})).await).await;
    assert_eq!(restored["version"], 3);
    assert!(restored["deleted_at"].is_null(), "{restored}");
    assert_eq!(restored["title"], "Doomed");
    assert_eq!(ok(app.get(&path, &app.admin_key).await).await, restored);
    not_found(app.post("/v1/matters/mat_01J00000000000000000000000/restore", &app.admin_key, &json!({})).await).await;
}

async fn a_matter_can_move_to_another_client(app: TestApp) {
    let ann = client_id(&app).await;
    let bo = id(&app.person("Bo", "Ek").await);
    let matter = new_matter(&app, &ann, "Moving", json!({})).await;
    let moved = ok(app.patch(&matter_path(&matter), &app.admin_key, &json!({"client_id": bo})).await).await;
    assert_eq!(moved["client_id"], bo.as_str());
    assert_eq!(page_ids(&app, "/v1/matters", &[("client_id", bo.as_str())]).await, [id(&matter)]);
    assert!(page_ids(&app, "/v1/matters", &[("client_id", ann.as_str())]).await.is_empty());
}

async fn title_is_required_and_bounded(app: TestApp) {
    let cid = client_id(&app).await;
    let app_ref = &app;
    let post = |body: Value| async move { app_ref.post("/v1/matters", &app_ref.admin_key, &body).await };
    assert_eq!(refused_fields(post(json!({"client_id": cid})).await).await, ["title"]);
    assert_eq!(refused_fields(post(json!({"client_id": cid, "title": ""})).await).await, ["title"]);
    assert_eq!(refused_fields(post(json!({"client_id": cid, "title": null})).await).await, ["title"]);
    assert_eq!(refused_fields(post(json!({"client_id": cid, "title": 7})).await).await, ["title"]);
    assert_eq!(refused_fields(post(json!({"client_id": cid, "title": "x".repeat(201)})).await).await, ["title"]);
    created(post(json!({"client_id": cid, "title": "x".repeat(200)})).await).await;
    assert_eq!(refused_fields(post(json!({"client_id": cid, "title": "T", "description": "d".repeat(10_001)})).await).await, ["description"]);
    assert_eq!(refused_fields(post(json!({"client_id": cid, "title": "T", "practice_area": "p".repeat(101)})).await).await, ["practice_area"]);
    assert_eq!(refused_fields(post(json!({"client_id": cid, "title": "T", "location": "l".repeat(201)})).await).await, ["location"]);
    assert_eq!(refused_fields(post(json!({"client_id": cid, "title": "T", "hired_date": "15/03/2024"})).await).await, ["hired_date"]);
    assert_eq!(refused_fields(post(json!({"client_id": cid, "title": "T", "hired_date": "2024-02-30"})).await).await, ["hired_date"]);
    // Both missing at once: every bad field is named.
    assert_eq!(refused_fields(post(json!({})).await).await, ["client_id", "title"]);
    let matter = new_matter(&app, &cid, "Fine", json!({})).await;
    assert_eq!(refused_fields(app.patch(&matter_path(&matter), &app.admin_key, &json!({"title": null})).await).await, ["title"]);
}

async fn status_must_be_open_pending_or_closed(app: TestApp) {
    let cid = client_id(&app).await;
    for status in ["open", "pending", "closed"] {
        assert_eq!(new_matter(&app, &cid, "T", json!({"status": status})).await["status"], status);
    }
    // An empty string is no status, as null is (issue 17.4): the default.
    assert_eq!(new_matter(&app, &cid, "T", json!({"status": ""})).await["status"], "open");
    for bad in [json!("archived"), json!("OPEN"), json!(1)] {
        let response = app.post("/v1/matters", &app.admin_key, &json!({"client_id": cid, "title": "T", "status": bad})).await;
        assert_eq!(refused_fields(response).await, ["status"], "{bad}");
    }
    let matter = new_matter(&app, &cid, "T", json!({})).await;
    assert_eq!(refused_fields(app.patch(&matter_path(&matter), &app.admin_key, &json!({"status": "done"})).await).await, ["status"]);
}

async fn projected_value_needs_a_non_negative_integer_amount_and_an_iso_currency(app: TestApp) {
    let cid = client_id(&app).await;
    let with = |value: Value| json!({"client_id": cid, "title": "T", "projected_value": value});
    let cases = [
        (json!({"amount": 100, "currency": "usd"}), "projected_value.currency"),
        (json!({"amount": 100, "currency": "US"}), "projected_value.currency"),
        (json!({"amount": 100, "currency": "USDX"}), "projected_value.currency"),
        (json!({"amount": -1, "currency": "USD"}), "projected_value.amount"),
        (json!({"amount": 10.5, "currency": "USD"}), "projected_value.amount"),
        (json!({"amount": "100", "currency": "USD"}), "projected_value.amount"),
    ];
    for (value, field) in cases {
        let response = app.post("/v1/matters", &app.admin_key, &with(value.clone())).await;
        assert_eq!(refused_fields(response).await, [field], "{value}");
    }
    // A projected value that is not an object at all.
    let fields = refused_fields(app.post("/v1/matters", &app.admin_key, &with(json!(100))).await).await;
    assert!(fields.iter().all(|f| f.starts_with("projected_value")) && !fields.is_empty(), "{fields:?}");
    let zero = new_matter(&app, &cid, "T", json!({"projected_value": {"amount": 0, "currency": "EUR"}})).await;
    assert_eq!(zero["projected_value"], json!({"amount": 0, "currency": "EUR"}));
    let none = new_matter(&app, &cid, "T", json!({"projected_value": null})).await;
    assert!(none["projected_value"].is_null());
}

async fn client_id_must_be_a_live_client_of_the_firm(app: TestApp) {
    let other = app.other_firm().await;
    let theirs = created(app.post("/v1/clients", &other, &json!({"first_name": "Their", "last_name": "Client"})).await).await;
    let deleted = app.person("Gone", "Away").await;
    no_content(app.delete(&path_of(&deleted), &app.admin_key).await).await;
    let bad_ids = [json!(id(&theirs)), json!("cli_01J00000000000000000000000"), json!(id(&deleted)), json!("nonsense"), json!(42), json!(null)];
    for bad in &bad_ids {
        let response = app.post("/v1/matters", &app.admin_key, &json!({"client_id": bad, "title": "T"})).await;
        assert_eq!(refused_fields(response).await, ["client_id"], "client_id {bad}");
    }
    let matter = new_matter(&app, &client_id(&app).await, "T", json!({})).await;
    for bad in &bad_ids {
        let response = app.patch(&matter_path(&matter), &app.admin_key, &json!({"client_id": bad})).await;
        assert_eq!(refused_fields(response).await, ["client_id"], "PATCH client_id {bad}");
    }
    let page = page(&app, "/v1/matters", &[("include_total", "true")]).await;
    assert_eq!(page["pagination"]["total"], 1, "{page}");
}

async fn primary_contact_id_must_be_a_live_client_of_the_firm(app: TestApp) {
    let other = app.other_firm().await;
    let theirs = created(app.post("/v1/clients", &other, &json!({"first_name": "Their", "last_name": "Client"})).await).await;
    let cid = client_id(&app).await;
    for bad in [json!(id(&theirs)), json!("cli_01J00000000000000000000000"), json!("x")] {
        let response = app.post("/v1/matters", &app.admin_key, &json!({"client_id": cid, "title": "T", "primary_contact_id": bad})).await;
        assert_eq!(refused_fields(response).await, ["primary_contact_id"], "{bad}");
    }
}

async fn unknown_and_read_only_fields_are_refused(app: TestApp) {
    let cid = client_id(&app).await;
    let with = |k: &str, v: Value| {
        let mut body = json!({"client_id": cid, "title": "T"});
        body[k] = v;
        body
    };
    let cases = [
        ("colour", json!("red")),
        ("lead_id", json!("lead_01J00000000000000000000000")),
        ("id", json!("mat_01J00000000000000000000000")),
        ("created_at", json!("2024-01-01T00:00:00.000Z")),
        ("updated_at", json!("2024-01-01T00:00:00.000Z")),
        ("deleted_at", json!("2024-01-01T00:00:00.000Z")),
    ];
    for (field, value) in cases.clone() {
        assert_eq!(refused_fields(app.post("/v1/matters", &app.admin_key, &with(field, value)).await).await, [field], "POST {field}");
    }
    let matter = new_matter(&app, &cid, "T", json!({})).await;
    for (field, value) in cases {
        let response = app.patch(&matter_path(&matter), &app.admin_key, &json!({field: value})).await;
        assert_eq!(refused_fields(response).await, [field], "PATCH {field}");
    }
    let response = app.post("/v1/matters", &app.admin_key, &json!({"client_id": cid, "title": "T", "colour": 1, "lead_id": "lead_01J00000000000000000000000", "status": "x"})).await;
    assert_eq!(refused_fields(response).await, ["colour", "lead_id", "status"]);
}

async fn refused_writes_store_nothing(app: TestApp) {
    let cid = client_id(&app).await;
    let matter = new_matter(&app, &cid, "Kept", json!({"description": "as is"})).await;
    let path = matter_path(&matter);
    let start = last_seq(&app).await;
    refused_fields(app.post("/v1/matters", &app.admin_key, &json!({"client_id": cid})).await).await;
    refused_fields(app.patch(&path, &app.admin_key, &json!({"title": "New", "status": "bogus"})).await).await;
    refused_fields(app.put(&path, &app.admin_key, &json!({"title": "New"})).await).await;
    assert_eq!(ok(app.get(&path, &app.admin_key).await).await, matter);
    assert_eq!(page_ids(&app, "/v1/matters", &[]).await, [id(&matter)]);
    assert_eq!(events_since(&app, start).await, Vec::<Value>::new());
}

async fn list_filters_by_client_id(app: TestApp) {
    let ann = client_id(&app).await;
    let bo = id(&app.person("Bo", "Ek").await);
    let a1 = id(&new_matter(&app, &ann, "A1", json!({})).await);
    let a2 = id(&new_matter(&app, &ann, "A2", json!({})).await);
    let b1 = id(&new_matter(&app, &bo, "B1", json!({})).await);
    assert_eq!(page_id_set(&app, "/v1/matters", &[("client_id", ann.as_str())]).await, sorted(vec![a1.clone(), a2.clone()]));
    assert_eq!(page_ids(&app, "/v1/matters", &[("client_id", bo.as_str())]).await, vec![b1.clone()]);
    assert_eq!(page_id_set(&app, "/v1/matters", &[]).await, sorted(vec![a1, a2, b1]));
    let page = page(&app, "/v1/matters", &[]).await;
    assert_eq!(page["pagination"]["has_more"], false);
    assert_eq!(page["pagination"]["limit"], 25);
}

async fn list_filters_by_any_of_several_statuses(app: TestApp) {
    let cid = client_id(&app).await;
    let open = id(&new_matter(&app, &cid, "O", json!({"status": "open"})).await);
    let pending = id(&new_matter(&app, &cid, "P", json!({"status": "pending"})).await);
    let closed = id(&new_matter(&app, &cid, "C", json!({"status": "closed"})).await);
    assert_eq!(page_ids(&app, "/v1/matters", &[("status", "open")]).await, vec![open.clone()]);
    assert_eq!(page_ids(&app, "/v1/matters", &[("status", "closed")]).await, vec![closed.clone()]);
    assert_eq!(page_id_set(&app, "/v1/matters", &[("status", "open,pending")]).await, sorted(vec![open.clone(), pending.clone()]));
    assert_eq!(page_id_set(&app, "/v1/matters", &[("status", "pending,closed")]).await, sorted(vec![pending, closed]));
}

async fn list_filters_by_practice_area(app: TestApp) {
    let cid = client_id(&app).await;
    let family = id(&new_matter(&app, &cid, "F", json!({"practice_area": "Family Law"})).await);
    let probate = id(&new_matter(&app, &cid, "P", json!({"practice_area": "Probate"})).await);
    new_matter(&app, &cid, "None", json!({})).await;
    assert_eq!(page_ids(&app, "/v1/matters", &[("practice_area", "Family Law")]).await, [family]);
    assert_eq!(page_ids(&app, "/v1/matters", &[("practice_area", "Probate")]).await, [probate]);
    assert!(page_ids(&app, "/v1/matters", &[("practice_area", "Tax")]).await.is_empty());
}

async fn q_searches_title_and_description_case_insensitively(app: TestApp) {
    let cid = client_id(&app).await;
    let by_title = id(&new_matter(&app, &cid, "Estate of Margaret Hollis", json!({})).await);
    let by_description = id(&new_matter(&app, &cid, "Untitled", json!({"description": "Dispute over the HOLLISTER lease"})).await);
    new_matter(&app, &cid, "Something else", json!({"description": "nothing to see", "practice_area": "Hollis"})).await;
    assert_eq!(page_ids(&app, "/v1/matters", &[("q", "margaret")]).await, vec![by_title.clone()]);
    assert_eq!(page_ids(&app, "/v1/matters", &[("q", "LEASE")]).await, vec![by_description.clone()]);
    assert_eq!(page_id_set(&app, "/v1/matters", &[("q", "hollis")]).await, sorted(vec![by_title.clone(), by_description]));
    assert_eq!(page_ids(&app, "/v1/matters", &[("q", "f M")]).await, [by_title], "substring across a space");
    assert!(page_ids(&app, "/v1/matters", &[("q", "zebra")]).await.is_empty());
    // Combined with another filter.
    assert!(page_ids(&app, "/v1/matters", &[("q", "hollis"), ("status", "closed")]).await.is_empty());
}

async fn cursor_walk_visits_every_matter_once(app: TestApp) {
    let cid = client_id(&app).await;
    let mut all = Vec::new();
    for i in 0..7 {
        all.push(id(&new_matter(&app, &cid, &format!("M{i}"), json!({})).await));
    }
    for sort in ["created_at", "-created_at", "updated_at", "-updated_at"] {
        let walked = walk_at(&app, "/v1/matters", &[("limit", "3"), ("sort", sort)]).await;
        assert_eq!(walked.len(), 7, "{sort}: {walked:?}");
        assert_eq!(sorted(walked.clone()), sorted(all.clone()), "{sort}");
        if sort == "created_at" {
            assert_eq!(walked, all, "oldest first");
        }
        if sort == "-created_at" {
            let newest_first: Vec<String> = all.iter().rev().cloned().collect();
            assert_eq!(walked, newest_first);
        }
    }
    let first = page(&app, "/v1/matters", &[("limit", "3")]).await;
    assert_eq!(first["data"].as_array().unwrap().len(), 3);
    assert_eq!(first["pagination"]["has_more"], true);
    let walked = walk_at(&app, "/v1/matters", &[("limit", "2"), ("status", "open"), ("client_id", cid.as_str())]).await;
    assert_eq!(walked.len(), 7);
}

async fn include_total_counts_every_match(app: TestApp) {
    let cid = client_id(&app).await;
    for i in 0..5 {
        new_matter(&app, &cid, &format!("M{i}"), json!({"status": if i < 3 { "open" } else { "closed" }})).await;
    }
    let all = page(&app, "/v1/matters", &[("include_total", "true"), ("limit", "2")]).await;
    assert_eq!(all["pagination"]["total"], 5);
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    let open = page(&app, "/v1/matters", &[("include_total", "true"), ("status", "open")]).await;
    assert_eq!(open["pagination"]["total"], 3);
    let plain = page(&app, "/v1/matters", &[]).await;
    assert!(plain["pagination"].get("total").is_none(), "total only when asked: {plain}");
}

async fn deleted_matters_are_not_listed(app: TestApp) {
    let cid = client_id(&app).await;
    let kept = id(&new_matter(&app, &cid, "Kept", json!({})).await);
    let gone = new_matter(&app, &cid, "Gone", json!({})).await;
    no_content(app.delete(&matter_path(&gone), &app.admin_key).await).await;
    assert_eq!(page_ids(&app, "/v1/matters", &[]).await, vec![kept.clone()]);
    assert_eq!(page_ids(&app, "/v1/matters", &[("q", "gone")]).await, Vec::<String>::new());
    assert_eq!(page_ids(&app, "/v1/matters", &[("client_id", cid.as_str())]).await, [kept]);
    let total = page(&app, "/v1/matters", &[("include_total", "true")]).await;
    assert_eq!(total["pagination"]["total"], 1);
}

async fn matters_count_follows_creates_deletes_restores_and_moves(app: TestApp) {
    let ann = client_id(&app).await;
    let bo = id(&app.person("Bo", "Ek").await);
    assert_eq!(matters_count(&app, &ann).await, 0);
    let first = new_matter(&app, &ann, "One", json!({})).await;
    assert_eq!(matters_count(&app, &ann).await, 1);
    let second = new_matter(&app, &ann, "Two", json!({"status": "closed"})).await;
    assert_eq!(matters_count(&app, &ann).await, 2, "closed matters are live matters");
    no_content(app.delete(&matter_path(&first), &app.admin_key).await).await;
    assert_eq!(matters_count(&app, &ann).await, 1);
    ok(app.post(&format!("{}/restore", matter_path(&first)), &app.admin_key, &json!({})).await).await;
    assert_eq!(matters_count(&app, &ann).await, 2);
    ok(app.patch(&matter_path(&second), &app.admin_key, &json!({"client_id": bo})).await).await;
    assert_eq!(matters_count(&app, &ann).await, 1);
    assert_eq!(matters_count(&app, &bo).await, 1);
    // The count also shows in lists.
    let page = page(&app, "/v1/clients", &[("ids", ann.as_str())]).await;
    assert_eq!(page["data"][0]["matters_count"], 1, "{page}");
}

async fn expand_matters_lists_live_matters_oldest_first(app: TestApp) {
    let cid = client_id(&app).await;
    let other_client = id(&app.person("Bo", "Ek").await);
    let first = new_matter(&app, &cid, "First", json!({})).await;
    let gone = new_matter(&app, &cid, "Gone", json!({})).await;
    let third = new_matter(&app, &cid, "Third", json!({"status": "closed"})).await;
    new_matter(&app, &other_client, "Not theirs", json!({})).await;
    no_content(app.delete(&matter_path(&gone), &app.admin_key).await).await;
    let client = ok(app.get(&format!("/v1/clients/{cid}?expand=matters"), &app.admin_key).await).await;
    let matters = client["matters"].as_array().unwrap_or_else(|| panic!("no matters: {client}"));
    assert_eq!(matters.iter().map(id).collect::<Vec<_>>(), [id(&first), id(&third)]);
    assert_eq!(matters[0], ok(app.get(&matter_path(&first), &app.admin_key).await).await, "expanded matters are whole matters");
    assert_eq!(client["matters_count"], 2);
    let plain = ok(app.get(&format!("/v1/clients/{cid}"), &app.admin_key).await).await;
    assert!(plain.get("matters").is_none(), "matters only when expanded: {plain}");
    let none = ok(app.get(&format!("/v1/clients/{other_client}?expand=matters"), &app.admin_key).await).await;
    assert_eq!(none["matters"].as_array().map(Vec::len), Some(1));
    let empty = id(&app.person("Cy", "Zed").await);
    let empty = ok(app.get(&format!("/v1/clients/{empty}?expand=matters"), &app.admin_key).await).await;
    assert_eq!(empty["matters"], json!([]));
}

async fn fields_limits_a_clients_representation(app: TestApp) {
    let client = app.person("Ann", "Lee").await;
    let one = ok(app.get(&format!("{}?fields=name,email", path_of(&client)), &app.admin_key).await).await;
    assert_eq!(keys_of(&one), ["email", "id", "name"]);
    assert_eq!(one["email"], client["email"]);
    assert_eq!(one["id"], client["id"]);
    let page = page(&app, "/v1/clients", &[("fields", "matters_count")]).await;
    for item in page["data"].as_array().unwrap() {
        assert_eq!(keys_of(item), ["id", "matters_count"], "{item}");
    }
    assert_eq!(ids(&page), [id(&client)]);
}

async fn fields_limits_a_matters_representation(app: TestApp) {
    let cid = client_id(&app).await;
    let matter = new_matter(&app, &cid, "Trimmed", json!({"practice_area": "Tax"})).await;
    let one = ok(app.get(&format!("{}?fields=title,status", matter_path(&matter)), &app.admin_key).await).await;
    assert_eq!(keys_of(&one), ["id", "status", "title"]);
    assert_eq!(one["title"], "Trimmed");
    let page = page(&app, "/v1/matters", &[("fields", "client_id"), ("practice_area", "Tax")]).await;
    let data = page["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0], json!({"id": matter["id"], "client_id": cid}));
    let just_id = ok(app.get(&format!("{}?fields=id", matter_path(&matter)), &app.admin_key).await).await;
    assert_eq!(keys_of(&just_id), ["id"]);
}

async fn an_unknown_fields_name_is_400(app: TestApp) {
    let client = app.person("Ann", "Lee").await;
    let matter = new_matter(&app, &id(&client), "T", json!({})).await;
    let paths = [
        format!("{}?fields=name,shoe_size", path_of(&client)),
        "/v1/clients?fields=shoe_size".to_string(),
        format!("{}?fields=title,shoe_size", matter_path(&matter)),
        "/v1/matters?fields=shoe_size".to_string(),
        // A matter field is not a client field.
        format!("{}?fields=practice_area", path_of(&client)),
    ];
    for path in paths {
        assert_eq!(refused_fields(app.get(&path, &app.admin_key).await).await, ["fields"], "{path}");
    }
}

async fn a_client_with_an_open_or_pending_matter_cannot_be_deleted(app: TestApp) {
    let client = app.person("Ann", "Lee").await;
    let cid = id(&client);
    let open = new_matter(&app, &cid, "Open", json!({"status": "open"})).await;
    new_matter(&app, &cid, "Closed", json!({"status": "closed"})).await;
    expect_problem(app.delete(&path_of(&client), &app.admin_key).await, StatusCode::CONFLICT, "client_has_open_matters").await;
    ok(app.patch(&matter_path(&open), &app.admin_key, &json!({"status": "pending"})).await).await;
    expect_problem(app.delete(&path_of(&client), &app.admin_key).await, StatusCode::CONFLICT, "client_has_open_matters").await;
    // Nothing changed.
    let still = ok(app.get(&path_of(&client), &app.admin_key).await).await;
    assert_eq!(still["version"], client["version"]);
    assert_eq!(still["matters_count"], 2);
    ok(app.get(&matter_path(&open), &app.admin_key).await).await;
    // Closing it (or moving it) makes the delete possible.
    ok(app.patch(&matter_path(&open), &app.admin_key, &json!({"status": "closed"})).await).await;
    no_content(app.delete(&path_of(&client), &app.admin_key).await).await;
}

async fn closed_matters_are_deleted_and_restored_with_their_client(app: TestApp) {
    let client = app.person("Ann", "Lee").await;
    let cid = id(&client);
    let kept_client = id(&app.person("Bo", "Ek").await);
    let elsewhere = new_matter(&app, &kept_client, "Elsewhere", json!({})).await;
    let closed = new_matter(&app, &cid, "Closed", json!({"status": "closed"})).await;
    let closed_too = new_matter(&app, &cid, "Closed too", json!({"status": "closed"})).await;
    let deleted_before = new_matter(&app, &cid, "Deleted earlier", json!({"status": "closed"})).await;
    no_content(app.delete(&matter_path(&deleted_before), &app.admin_key).await).await;

    no_content(app.delete(&path_of(&client), &app.admin_key).await).await;
    for matter in [&closed, &closed_too, &deleted_before] {
        not_found(app.get(&matter_path(matter), &app.admin_key).await).await;
    }
    assert_eq!(page_ids(&app, "/v1/matters", &[]).await, [id(&elsewhere)]);

    let restored = ok(app.post(&format!("{}/restore", path_of(&client)), &app.admin_key, &json!({})).await).await;
    assert_eq!(restored["matters_count"], 2);
    for matter in [&closed, &closed_too] {
        let back = ok(app.get(&matter_path(matter), &app.admin_key).await).await;
        assert_eq!(back["status"], "closed");
        assert!(back["deleted_at"].is_null(), "{back}");
    }
    // A matter deleted on its own before stays deleted.
    not_found(app.get(&matter_path(&deleted_before), &app.admin_key).await).await;
    assert_eq!(page_id_set(&app, "/v1/matters", &[]).await, sorted(vec![id(&elsewhere), id(&closed), id(&closed_too)]));
}

async fn purging_a_client_erases_its_matters(app: TestApp) {
    const DAY_MS: i64 = 24 * 60 * 60 * 1000;
    let client = app.person("Ann", "Lee").await;
    let kept = app.person("Bo", "Ek").await;
    let matter = new_matter(&app, &id(&client), "Closed", json!({"status": "closed"})).await;
    let kept_matter = new_matter(&app, &id(&kept), "Kept", json!({})).await;
    no_content(app.delete(&path_of(&client), &app.admin_key).await).await;
    app.service.purge_expired(Timestamp::now().plus_millis(31 * DAY_MS)).await.expect("purge");
    not_found(app.post(&format!("{}/restore", path_of(&client)), &app.admin_key, &json!({})).await).await;
    not_found(app.post(&format!("{}/restore", matter_path(&matter)), &app.admin_key, &json!({})).await).await;
    not_found(app.get(&matter_path(&matter), &app.admin_key).await).await;
    ok(app.get(&matter_path(&kept_matter), &app.admin_key).await).await;
}

async fn etag_and_if_match_preconditions(app: TestApp) {
    let cid = client_id(&app).await;
    let matter = new_matter(&app, &cid, "T", json!({})).await;
    let path = matter_path(&matter);
    let with = |method: Method, tag: &str| app.request(method, &path, &app.admin_key).header("if-match", tag.to_string());
    let stale = with(Method::PATCH, "\"7\"").json(&json!({"title": "Stale"})).send().await.unwrap();
    expect_problem(stale, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    let stale = with(Method::PUT, "\"7\"").json(&json!({"client_id": cid, "title": "Stale"})).send().await.unwrap();
    expect_problem(stale, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    let stale = with(Method::DELETE, "\"7\"").send().await.unwrap();
    expect_problem(stale, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    assert_eq!(ok(app.get(&path, &app.admin_key).await).await, matter, "a failed precondition changed the matter");

    let response = with(Method::PATCH, "\"1\"").json(&json!({"title": "Fresh"})).send().await.unwrap();
    assert_eq!(header(&response, "etag"), "\"2\"");
    assert_eq!(ok(response).await["title"], "Fresh");
    let response = app.get(&path, &app.admin_key).await;
    assert_eq!(header(&response, "etag"), "\"2\"");
    let stale = with(Method::PATCH, "\"1\"").json(&json!({"title": "Stale"})).send().await.unwrap();
    expect_problem(stale, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    no_content(with(Method::DELETE, "\"2\"").send().await.unwrap()).await;
}

async fn a_stale_body_version_is_409(app: TestApp) {
    let cid = client_id(&app).await;
    let matter = new_matter(&app, &cid, "T", json!({})).await;
    let path = matter_path(&matter);
    expect_problem(app.patch(&path, &app.admin_key, &json!({"title": "X", "version": 5})).await, StatusCode::CONFLICT, "version_conflict").await;
    expect_problem(app.put(&path, &app.admin_key, &json!({"client_id": cid, "title": "X", "version": 2})).await, StatusCode::CONFLICT, "version_conflict").await;
    let updated = ok(app.patch(&path, &app.admin_key, &json!({"title": "X", "version": 1})).await).await;
    assert_eq!(updated["version"], 2);
    let replaced = ok(app.put(&path, &app.admin_key, &json!({"client_id": cid, "title": "Y", "version": 2})).await).await;
    assert_eq!(replaced["version"], 3);
}

async fn matter_changes_are_logged_as_events(app: TestApp) {
    let writer = app.key("matters:read,matters:write").await;
    let writer_id = key_id(&app, &writer).await;
    let cid = client_id(&app).await;
    let start = last_seq(&app).await;
    let matter = created(app.post("/v1/matters", &writer, &json!({"client_id": cid, "title": "Logged"})).await).await;
    let path = matter_path(&matter);
    let patched = ok(app.patch(&path, &writer, &json!({"status": "pending"})).await).await;
    no_content(app.delete(&path, &writer).await).await;
    ok(app.post(&format!("{path}/restore"), &writer, &json!({})).await).await;
    let log = events_since(&app, start).await;
    assert_eq!(kinds(&log), ["matter.created", "matter.updated", "matter.deleted", "matter.restored"]);
    for event in &log {
        assert_eq!(event["resource_type"], "matter", "{event}");
        assert_eq!(event["resource_id"], matter["id"], "{event}");
        assert_eq!(crate::records::actor_key_id(event), writer_id.as_str(), "{event}");
    }
    assert!(log[0]["before"].is_null());
    assert_eq!(log[0]["after"]["title"], "Logged");
    assert_eq!(log[1]["before"]["status"], "open");
    assert_eq!(log[1]["after"]["status"], "pending");
    assert_eq!(log[1]["after"]["version"], patched["version"]);
    assert!(log[2]["after"]["deleted_at"].is_string(), "{}", log[2]);
    // A no-op PATCH logs nothing and keeps the version.
    let seq = last_seq(&app).await;
    let same = ok(app.patch(&path, &writer, &json!({"status": "pending"})).await).await;
    assert_eq!(same["version"], 4);
    assert_eq!(events_since(&app, seq).await, Vec::<Value>::new());
}

async fn scopes_guard_matters(app: TestApp) {
    let cid = client_id(&app).await;
    let matter = new_matter(&app, &cid, "Guarded", json!({})).await;
    let path = matter_path(&matter);
    let clients_only = app.key("clients:read,clients:write").await;
    let reader = app.key("matters:read").await;
    let writer = app.key("matters:write").await;
    let body = json!({"client_id": cid, "title": "New"});
    for key in [&clients_only] {
        forbidden(app.get("/v1/matters", key).await).await;
        forbidden(app.get(&path, key).await).await;
    }
    for key in [&clients_only, &reader] {
        forbidden(app.post("/v1/matters", key, &body).await).await;
        forbidden(app.patch(&path, key, &json!({"title": "X"})).await).await;
        forbidden(app.put(&path, key, &body).await).await;
        forbidden(app.delete(&path, key).await).await;
        forbidden(app.post(&format!("{path}/restore"), key, &json!({})).await).await;
    }
    assert_eq!(ok(app.get(&path, &reader).await).await, matter);
    assert_eq!(ids(&expect_status(app.get("/v1/matters", &reader).await, StatusCode::OK).await), [id(&matter)]);
    forbidden(app.get("/v1/matters", &writer).await).await;
    let made = created(app.post("/v1/matters", &writer, &body).await).await;
    ok(app.patch(&matter_path(&made), &writer, &json!({"title": "Renamed"})).await).await;
    assert_eq!(ok(app.get(&path, &app.admin_key).await).await, matter, "refused writes changed nothing");
}

async fn another_firms_matter_is_404_for_every_operation(app: TestApp) {
    let other = app.other_firm().await;
    let their_client = created(app.post("/v1/clients", &other, &json!({"first_name": "Their", "last_name": "Own"})).await).await;
    let cid = client_id(&app).await;
    let matter = new_matter(&app, &cid, "Secret", json!({})).await;
    let theirs = matter_path(&matter);
    let missing = "/v1/matters/mat_01J00000000000000000000000".to_string();
    for path in [&theirs, &missing] {
        not_found(app.get(path, &other).await).await;
        not_found(app.patch(path, &other, &json!({"title": "Owned"})).await).await;
        not_found(app.put(path, &other, &json!({"client_id": id(&their_client), "title": "Owned"})).await).await;
        not_found(app.delete(path, &other).await).await;
        not_found(app.post(&format!("{path}/restore"), &other, &json!({})).await).await;
    }
    // Nor can another firm restore one of this firm's deleted matters.
    no_content(app.delete(&theirs, &app.admin_key).await).await;
    not_found(app.post(&format!("{theirs}/restore"), &other, &json!({})).await).await;
    let restored = ok(app.post(&format!("{theirs}/restore"), &app.admin_key, &json!({})).await).await;
    assert_eq!(restored["version"], 3, "only this firm's delete and restore changed it");
    assert_eq!(restored["title"], "Secret");
    // And another firm cannot attach a matter to this firm's client.
    let response = app.post("/v1/matters", &other, &json!({"client_id": cid, "title": "Sneaky"})).await;
    assert_eq!(refused_fields(response).await, ["client_id"]);
}

async fn another_firms_matters_are_never_listed(app: TestApp) {
    let other = app.other_firm().await;
    let cid = client_id(&app).await;
    let mine = new_matter(&app, &cid, "Secret matter", json!({"practice_area": "Tax"})).await;
    let their_client = created(app.post("/v1/clients", &other, &json!({"first_name": "Their", "last_name": "Own"})).await).await;
    let theirs = created(app.post("/v1/matters", &other, &json!({"client_id": id(&their_client), "title": "Their matter"})).await).await;
    let queries: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("include_total", "true")],
        vec![("q", "secret")],
        vec![("client_id", cid.as_str())],
        vec![("practice_area", "Tax")],
        vec![("status", "open")],
    ];
    for query in queries {
        let page = expect_status(crate::records::get_query(&app, "/v1/matters", &other, &query).await, StatusCode::OK).await;
        let seen = ids(&page);
        assert!(!seen.contains(&id(&mine)), "{query:?} leaked {seen:?}");
        if let Some(total) = page["pagination"]["total"].as_u64() {
            assert_eq!(total, 1, "{query:?}");
        }
    }
    assert_eq!(page_ids(&app, "/v1/matters", &[]).await, [id(&mine)]);
    assert!(!page_ids(&app, "/v1/matters", &[]).await.contains(&id(&theirs)));
    // expand=matters on another firm's client is 404 too.
    not_found(app.get(&format!("/v1/clients/{cid}?expand=matters"), &other).await).await;
}
