//! Changing clients: merge-patch and replace semantics, versions and
//! preconditions, email uniqueness, kinds and companies, deleted clients.

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{error_fields, expect_problem, expect_status, TestApp};
use crate::support::{fetch, header, id, list_ids, path_of};

crate::store_tests!(
    patch_leaves_absent_fields_unchanged,
    patch_null_clears_a_field,
    patch_merges_nested_address,
    patch_merges_custom_fields_and_null_deletes_a_key,
    patch_replaces_arrays_whole,
    put_replaces_every_field,
    etag_is_the_version_and_increments_on_every_change,
    if_match_with_the_current_etag_succeeds,
    stale_if_match_is_412_and_changes_nothing,
    if_match_star_matches_any_live_client,
    a_stale_body_version_is_409_and_the_current_one_succeeds,
    if_none_match_with_the_current_etag_is_304,
    duplicate_email_on_create_is_409_case_insensitively,
    patching_to_another_clients_email_is_409,
    a_deleted_clients_email_is_free_and_restoring_it_then_conflicts,
    changing_a_person_into_a_company_needs_names_swapped,
    a_person_can_belong_to_a_live_company,
    a_deleted_client_is_404_for_every_change,
    restoring_a_live_client_changes_nothing,
);

async fn ok(response: Response) -> Value {
    expect_status(response, StatusCode::OK).await["data"].clone()
}

async fn ann(app: &TestApp) -> Value {
    app.create_client(json!({
        "first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "phone": "+16615550142",
        "address": {"line1": "1 Main St", "city": "Austin", "region": "TX"}, "status": "inactive",
        "tags": ["vip", "referral"], "source": "web", "notes": "likes tea", "date_of_birth": "1985-06-15",
        "custom_fields": {"language": "en", "tier": 2}
    }))
    .await
}

fn with_if_match(app: &TestApp, method: Method, path: &str, tag: &str) -> reqwest::RequestBuilder {
    app.request(method, path, &app.admin_key).header("if-match", tag)
}

async fn patch_leaves_absent_fields_unchanged(app: TestApp) {
    let before = ann(&app).await;
    let after = ok(app.patch(&path_of(&before), &app.admin_key, &json!({"last_name": "Smith"})).await).await;
    assert_eq!(after["last_name"], "Smith");
    assert_eq!(after["name"], "Ann Smith");
    for field in ["first_name", "email", "phone", "address", "status", "tags", "source", "notes", "date_of_birth", "custom_fields", "created_at"] {
        assert_eq!(after[field], before[field], "{field}");
    }
    assert_eq!(fetch(&app, &before).await, after);
}

async fn patch_null_clears_a_field(app: TestApp) {
    let client = ann(&app).await;
    let body = json!({"email": null, "phone": null, "address": null, "notes": null, "date_of_birth": null, "tags": null});
    let after = ok(app.patch(&path_of(&client), &app.admin_key, &body).await).await;
    for field in ["email", "phone", "address", "notes", "date_of_birth"] {
        assert!(after[field].is_null(), "{field} not cleared: {after}");
    }
    assert_eq!(after["tags"], json!([]));
    assert_eq!(after["first_name"], "Ann");
    // A required field cannot be cleared.
    let response = app.patch(&path_of(&client), &app.admin_key, &json!({"last_name": null})).await;
    assert_eq!(error_fields(&expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await), ["last_name"]);
    // null status falls back to the default.
    assert_eq!(ok(app.patch(&path_of(&client), &app.admin_key, &json!({"status": null})).await).await["status"], "active");
}

async fn patch_merges_nested_address(app: TestApp) {
    let client = ann(&app).await;
    let after = ok(app.patch(&path_of(&client), &app.admin_key, &json!({"address": {"city": "Dallas", "region": null}})).await).await;
    assert_eq!(after["address"]["line1"], "1 Main St");
    assert_eq!(after["address"]["city"], "Dallas");
    assert!(after["address"]["region"].is_null());
}

async fn patch_merges_custom_fields_and_null_deletes_a_key(app: TestApp) {
    let client = ann(&app).await;
    let body = json!({"custom_fields": {"tier": null, "team": "north", "language": "fr"}});
    let after = ok(app.patch(&path_of(&client), &app.admin_key, &body).await).await;
    assert_eq!(after["custom_fields"], json!({"language": "fr", "team": "north"}));
}

async fn patch_replaces_arrays_whole(app: TestApp) {
    let client = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "tags": ["a", "b", "c"],
        "other_emails": [{"address": "a@example.com", "label": "work"}, {"address": "b@example.com"}]})).await;
    let body = json!({"tags": ["d"], "other_emails": [{"address": "c@example.com"}]});
    let after = ok(app.patch(&path_of(&client), &app.admin_key, &body).await).await;
    assert_eq!(after["tags"], json!(["d"]));
    assert_eq!(after["other_emails"], json!([{"address": "c@example.com", "label": null}]));
}

async fn put_replaces_every_field(app: TestApp) {
    let client = ann(&app).await;
    let after = ok(app.put(&path_of(&client), &app.admin_key, &json!({"first_name": "Ann", "last_name": "Jones"})).await).await;
    assert_eq!(after["last_name"], "Jones");
    assert_eq!(after["status"], "active", "status returns to its default");
    for field in ["email", "phone", "address", "source", "notes", "date_of_birth"] {
        assert!(after[field].is_null(), "{field} survived the PUT: {after}");
    }
    assert_eq!(after["tags"], json!([]));
    assert_eq!(after["custom_fields"], json!({}));
    assert_eq!(after["id"], client["id"]);
    assert_eq!(after["created_at"], client["created_at"]);
    assert_eq!(fetch(&app, &client).await, after);
}

async fn etag_is_the_version_and_increments_on_every_change(app: TestApp) {
    let response = app.post("/v1/clients", &app.admin_key, &json!({"first_name": "Ann", "last_name": "Lee"})).await;
    assert_eq!(header(&response, "etag"), "\"1\"");
    let client = expect_status(response, StatusCode::CREATED).await["data"].clone();
    let path = path_of(&client);
    let mut last = client["updated_at"].as_str().unwrap().to_string();
    for (version, body) in [(2, json!({"last_name": "B"})), (3, json!({"notes": "x"})), (4, json!({"tags": ["t"]}))] {
        let response = app.patch(&path, &app.admin_key, &body).await;
        assert_eq!(header(&response, "etag"), format!("\"{version}\""));
        let data = ok(response).await;
        assert_eq!(data["version"], version);
        assert!(data["updated_at"].as_str().unwrap() >= last.as_str(), "updated_at went backwards");
        last = data["updated_at"].as_str().unwrap().to_string();
    }
    let response = app.put(&path, &app.admin_key, &json!({"first_name": "Ann", "last_name": "Lee"})).await;
    assert_eq!(header(&response, "etag"), "\"5\"");
    let response = app.get(&path, &app.admin_key).await;
    assert_eq!(header(&response, "etag"), "\"5\"");
    assert_eq!(ok(response).await["version"], 5);
    expect_status(app.delete(&path, &app.admin_key).await, StatusCode::NO_CONTENT).await;
    let response = app.post(&format!("{path}/restore"), &app.admin_key, &json!({})).await;
    assert_eq!(header(&response, "etag"), "\"7\"", "delete and restore are changes too");
}

async fn if_match_with_the_current_etag_succeeds(app: TestApp) {
    let client = ann(&app).await;
    let path = path_of(&client);
    let response = with_if_match(&app, Method::PATCH, &path, "\"1\"").json(&json!({"last_name": "Smith"})).send().await.unwrap();
    assert_eq!(ok(response).await["version"], 2);
    let response = with_if_match(&app, Method::PUT, &path, "\"2\"").json(&json!({"first_name": "A", "last_name": "B"})).send().await.unwrap();
    assert_eq!(ok(response).await["version"], 3);
    let response = with_if_match(&app, Method::PATCH, &path, "\"1\", \"3\"").json(&json!({"notes": "n"})).send().await.unwrap();
    assert_eq!(ok(response).await["version"], 4, "any of several tags may match");
    let response = with_if_match(&app, Method::DELETE, &path, "\"4\"").send().await.unwrap();
    expect_status(response, StatusCode::NO_CONTENT).await;
}

async fn stale_if_match_is_412_and_changes_nothing(app: TestApp) {
    let client = ann(&app).await;
    let path = path_of(&client);
    let current = ok(app.patch(&path, &app.admin_key, &json!({"notes": "v2"})).await).await;
    for tag in ["\"1\"", "W/\"2\"", "garbage", "\"3\""] {
        let response = with_if_match(&app, Method::PATCH, &path, tag).json(&json!({"last_name": "Smith"})).send().await.unwrap();
        expect_problem(response, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    }
    let response = with_if_match(&app, Method::PUT, &path, "\"1\"").json(&json!({"first_name": "A", "last_name": "B"})).send().await.unwrap();
    expect_problem(response, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    let response = with_if_match(&app, Method::DELETE, &path, "\"1\"").send().await.unwrap();
    expect_problem(response, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    assert_eq!(fetch(&app, &client).await, current);
}

async fn if_match_star_matches_any_live_client(app: TestApp) {
    let client = ann(&app).await;
    let path = path_of(&client);
    expect_status(app.patch(&path, &app.admin_key, &json!({"notes": "v2"})).await, StatusCode::OK).await;
    let response = with_if_match(&app, Method::PATCH, &path, "*").json(&json!({"last_name": "Smith"})).send().await.unwrap();
    assert_eq!(ok(response).await["version"], 3);
    let missing = with_if_match(&app, Method::PATCH, "/v1/clients/cli_01J00000000000000000000000", "*").json(&json!({"notes": "x"})).send().await.unwrap();
    expect_problem(missing, StatusCode::NOT_FOUND, "not_found").await;
}

async fn a_stale_body_version_is_409_and_the_current_one_succeeds(app: TestApp) {
    let client = ann(&app).await;
    let path = path_of(&client);
    expect_status(app.patch(&path, &app.admin_key, &json!({"notes": "v2"})).await, StatusCode::OK).await;
    let stale = app.patch(&path, &app.admin_key, &json!({"last_name": "Smith", "version": 1})).await;
    expect_problem(stale, StatusCode::CONFLICT, "version_conflict").await;
    let stale = app.put(&path, &app.admin_key, &json!({"first_name": "A", "last_name": "B", "version": 1})).await;
    expect_problem(stale, StatusCode::CONFLICT, "version_conflict").await;
    assert_eq!(fetch(&app, &client).await["last_name"], "Lee");
    let current = ok(app.patch(&path, &app.admin_key, &json!({"last_name": "Smith", "version": 2})).await).await;
    assert_eq!(current["last_name"], "Smith");
    assert_eq!(current["version"], 3);
    let bad = app.patch(&path, &app.admin_key, &json!({"version": "3"})).await;
    assert_eq!(error_fields(&expect_problem(bad, StatusCode::BAD_REQUEST, "invalid_request").await), ["version"]);
}

async fn if_none_match_with_the_current_etag_is_304(app: TestApp) {
    let client = ann(&app).await;
    let path = path_of(&client);
    let response = app.request(Method::GET, &path, &app.admin_key).header("if-none-match", "\"1\"").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&response, "etag"), "\"1\"");
    assert!(response.text().await.unwrap().is_empty());
    expect_status(app.patch(&path, &app.admin_key, &json!({"notes": "v2"})).await, StatusCode::OK).await;
    let response = app.request(Method::GET, &path, &app.admin_key).header("if-none-match", "\"1\"").send().await.unwrap();
    assert_eq!(ok(response).await["version"], 2, "a changed client is sent in full");
}

async fn duplicate_email_on_create_is_409_case_insensitively(app: TestApp) {
    app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "email": "A@X.com"})).await;
    for email in ["a@x.com", "A@X.COM", " a@X.com "] {
        let body = json!({"first_name": "Bo", "last_name": "Ek", "email": email});
        expect_problem(app.post("/v1/clients", &app.admin_key, &body).await, StatusCode::CONFLICT, "duplicate_email").await;
    }
    assert_eq!(list_ids(&app, &[]).await.len(), 1);
    // Other emails are not primary emails: they may repeat.
    app.create_client(json!({"first_name": "Cy", "last_name": "Ek", "email": "cy@x.com", "other_emails": [{"address": "a@x.com"}]})).await;
}

async fn patching_to_another_clients_email_is_409(app: TestApp) {
    app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"})).await;
    let bo = app.create_client(json!({"first_name": "Bo", "last_name": "Ek", "email": "bo@example.com"})).await;
    let response = app.patch(&path_of(&bo), &app.admin_key, &json!({"email": "Ann@Example.com"})).await;
    expect_problem(response, StatusCode::CONFLICT, "duplicate_email").await;
    let response = app.put(&path_of(&bo), &app.admin_key, &json!({"first_name": "Bo", "last_name": "Ek", "email": "ann@example.com"})).await;
    expect_problem(response, StatusCode::CONFLICT, "duplicate_email").await;
    assert_eq!(fetch(&app, &bo).await, bo);
    // Changing the case of one's own email is not a conflict.
    assert_eq!(ok(app.patch(&path_of(&bo), &app.admin_key, &json!({"email": "BO@example.com"})).await).await["email"], "BO@example.com");
}

async fn a_deleted_clients_email_is_free_and_restoring_it_then_conflicts(app: TestApp) {
    let old = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"})).await;
    expect_status(app.delete(&path_of(&old), &app.admin_key).await, StatusCode::NO_CONTENT).await;
    let new = app.create_client(json!({"first_name": "Ann", "last_name": "New", "email": "ann@example.com"})).await;
    let restore = app.post(&format!("{}/restore", path_of(&old)), &app.admin_key, &json!({})).await;
    expect_problem(restore, StatusCode::CONFLICT, "duplicate_email").await;
    expect_problem(app.get(&path_of(&old), &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(list_ids(&app, &[]).await, [id(&new)]);
    // Once the email is free again, the restore goes through.
    expect_status(app.patch(&path_of(&new), &app.admin_key, &json!({"email": null})).await, StatusCode::OK).await;
    let restored = ok(app.post(&format!("{}/restore", path_of(&old)), &app.admin_key, &json!({})).await).await;
    assert_eq!(restored["email"], "ann@example.com");
}

async fn changing_a_person_into_a_company_needs_names_swapped(app: TestApp) {
    let client = app.person("Ann", "Lee").await;
    let path = path_of(&client);
    let response = app.patch(&path, &app.admin_key, &json!({"kind": "company", "name": "Lee Holdings"})).await;
    let mut fields = error_fields(&expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await);
    fields.sort();
    assert_eq!(fields, ["first_name", "last_name"]);
    let response = app.patch(&path, &app.admin_key, &json!({"kind": "company", "first_name": null, "last_name": null})).await;
    assert_eq!(error_fields(&expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await), ["name"]);
    let body = json!({"kind": "company", "name": "Lee Holdings", "first_name": null, "last_name": null});
    let company = ok(app.patch(&path, &app.admin_key, &body).await).await;
    assert_eq!(company["kind"], "company");
    assert_eq!(company["name"], "Lee Holdings");
    assert!(company["first_name"].is_null() && company["last_name"].is_null());
    assert_eq!(company["email"], client["email"]);
}

async fn a_person_can_belong_to_a_live_company(app: TestApp) {
    let acme = app.create_client(json!({"kind": "company", "name": "Acme"})).await;
    let other = app.create_client(json!({"kind": "company", "name": "Other"})).await;
    let ann = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "company_id": acme["id"]})).await;
    assert_eq!(ann["company_id"], acme["id"]);
    let bo = app.person("Bo", "Ek").await;
    let bo = ok(app.patch(&path_of(&bo), &app.admin_key, &json!({"company_id": acme["id"]})).await).await;
    assert_eq!(bo["company_id"], acme["id"]);
    app.person("Cy", "Free").await;
    let mut members = list_ids(&app, &[("company_id", acme["id"].as_str().unwrap())]).await;
    members.sort();
    let mut expected = vec![id(&ann), id(&bo)];
    expected.sort();
    assert_eq!(members, expected);
    assert_eq!(list_ids(&app, &[("company_id", other["id"].as_str().unwrap())]).await, Vec::<String>::new());
    let response = app.patch(&path_of(&acme), &app.admin_key, &json!({"company_id": acme["id"]})).await;
    assert_eq!(error_fields(&expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await), ["company_id"]);
}

async fn a_deleted_client_is_404_for_every_change(app: TestApp) {
    let client = ann(&app).await;
    let path = path_of(&client);
    expect_status(app.delete(&path, &app.admin_key).await, StatusCode::NO_CONTENT).await;
    expect_problem(app.get(&path, &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_problem(app.patch(&path, &app.admin_key, &json!({"notes": "x"})).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_problem(app.put(&path, &app.admin_key, &json!({"first_name": "A", "last_name": "B"})).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_problem(app.delete(&path, &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
    let restored = ok(app.post(&format!("{path}/restore"), &app.admin_key, &json!({})).await).await;
    assert_eq!(restored["notes"], "likes tea", "the failed writes changed nothing");
    assert_eq!(restored["version"], 3);
}

async fn restoring_a_live_client_changes_nothing(app: TestApp) {
    let client = ann(&app).await;
    let response = app.post(&format!("{}/restore", path_of(&client)), &app.admin_key, &json!({})).await;
    assert_eq!(header(&response, "etag"), "\"1\"");
    assert_eq!(ok(response).await, client);
}
