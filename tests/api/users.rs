//! Users (staff): CRUD by admins, `users:read`, email uniqueness, keys that
//! belong to a user, `/v1/users/me`, the actor's user in events, revoking a
//! deleted user's keys, and tenancy (docs/domain.md, "Users").

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{expect_problem, expect_status, TestApp};
use crate::records::{actor_key_id, actor_user_id, created, forbidden, get_query, kinds, no_content, not_found, ok, page, page_id_set, page_ids, refused_fields, sorted, text, walk_at};
use crate::support::{events_since, header, id, ids, key_id, last_seq};

crate::store_tests!(
    create_answers_201_with_a_member_by_default,
    get_list_patch_and_delete_a_user,
    user_fields_are_validated,
    unknown_and_read_only_fields_are_refused,
    emails_are_unique_in_the_firm_case_insensitively,
    a_deleted_users_email_can_be_reused,
    user_lists_page_with_cursors_and_totals,
    users_read_can_read_but_not_write,
    other_scopes_cannot_read_users,
    a_key_can_belong_to_a_user,
    users_me_answers_the_keys_user_without_needing_a_scope,
    users_me_is_404_for_a_key_without_a_user,
    a_key_cannot_belong_to_another_firms_or_a_missing_user,
    events_record_the_actors_user,
    deleting_a_user_revokes_their_keys,
    user_changes_are_logged_as_events,
    another_firms_user_is_404_and_never_listed,
);

async fn new_user(app: &TestApp, first: &str, last: &str, email: &str) -> Value {
    created(app.post("/v1/users", &app.admin_key, &json!({"first_name": first, "last_name": last, "email": email})).await).await
}

fn user_path(user: &Value) -> String {
    format!("/v1/users/{}", text(user, "id"))
}

/// Creates a key for `user_id` with these scopes; returns the whole created key (with `secret`).
async fn key_for(app: &TestApp, user_id: &str, scopes: &[&str]) -> Value {
    let body = json!({"name": "personal", "scopes": scopes, "user_id": user_id});
    created(app.post("/v1/api-keys", &app.admin_key, &body).await).await
}

async fn create_answers_201_with_a_member_by_default(app: TestApp) {
    let response = app.post("/v1/users", &app.admin_key, &json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@firm.example"})).await;
    let location = header(&response, "location");
    let user = created(response).await;
    assert!(text(&user, "id").starts_with("usr_"), "{user}");
    assert_eq!(location, user_path(&user));
    assert_eq!(user["first_name"], "Ann");
    assert_eq!(user["last_name"], "Lee");
    assert_eq!(user["email"], "ann@firm.example");
    assert_eq!(user["role"], "member");
    assert_eq!(user["version"], 1);
    assert!(user["created_at"].is_string() && user["updated_at"].is_string());
    for role in ["owner", "admin", "member"] {
        let body = json!({"first_name": "R", "last_name": role, "email": format!("{role}@firm.example"), "role": role});
        assert_eq!(created(app.post("/v1/users", &app.admin_key, &body).await).await["role"], role);
    }
}

async fn get_list_patch_and_delete_a_user(app: TestApp) {
    let ann = new_user(&app, "Ann", "Lee", "ann@firm.example").await;
    let bo = new_user(&app, "Bo", "Ek", "bo@firm.example").await;
    assert_eq!(ok(app.get(&user_path(&ann), &app.admin_key).await).await, ann);
    assert_eq!(page_id_set(&app, "/v1/users", &[]).await, sorted(vec![id(&ann), id(&bo)]));
    let patched = ok(app.patch(&user_path(&ann), &app.admin_key, &json!({"role": "admin", "last_name": "Smith"})).await).await;
    assert_eq!(patched["role"], "admin");
    assert_eq!(patched["last_name"], "Smith");
    assert_eq!(patched["first_name"], "Ann");
    assert_eq!(patched["email"], "ann@firm.example");
    assert_eq!(patched["version"], 2);
    assert_eq!(ok(app.get(&user_path(&ann), &app.admin_key).await).await, patched);
    no_content(app.delete(&user_path(&ann), &app.admin_key).await).await;
    not_found(app.get(&user_path(&ann), &app.admin_key).await).await;
    not_found(app.patch(&user_path(&ann), &app.admin_key, &json!({"role": "member"})).await).await;
    not_found(app.delete(&user_path(&ann), &app.admin_key).await).await;
    assert_eq!(page_ids(&app, "/v1/users", &[]).await, [id(&bo)]);
    not_found(app.get("/v1/users/usr_01J00000000000000000000000", &app.admin_key).await).await;
}

async fn user_fields_are_validated(app: TestApp) {
    let with = |extra: Value| {
        let mut body = json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@firm.example"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (json!({"first_name": null}), vec!["first_name"]),
        (json!({"last_name": ""}), vec!["last_name"]),
        (json!({"email": null}), vec!["email"]),
        (json!({"email": "not-an-email"}), vec!["email"]),
        (json!({"first_name": "n".repeat(101)}), vec!["first_name"]),
        (json!({"last_name": "n".repeat(101)}), vec!["last_name"]),
        (json!({"role": "superuser"}), vec!["role"]),
        (json!({"role": "Admin"}), vec!["role"]),
    ];
    for (extra, fields) in cases {
        assert_eq!(refused_fields(app.post("/v1/users", &app.admin_key, &with(extra.clone())).await).await, fields, "{extra}");
    }
    assert_eq!(refused_fields(app.post("/v1/users", &app.admin_key, &json!({})).await).await, ["email", "first_name", "last_name"]);
    assert!(page_ids(&app, "/v1/users", &[]).await.is_empty(), "refused creates stored nothing");
    let user = new_user(&app, "Ann", "Lee", "ann@firm.example").await;
    assert_eq!(refused_fields(app.patch(&user_path(&user), &app.admin_key, &json!({"role": "boss"})).await).await, ["role"]);
    assert_eq!(refused_fields(app.patch(&user_path(&user), &app.admin_key, &json!({"email": null})).await).await, ["email"]);
}

async fn unknown_and_read_only_fields_are_refused(app: TestApp) {
    let base = json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@firm.example"});
    for (field, value) in [("password", json!("hunter2")), ("id", json!("usr_01J00000000000000000000000")), ("created_at", json!("2024-01-01T00:00:00.000Z"))] {
        let mut body = base.clone();
        body[field] = value.clone();
        assert_eq!(refused_fields(app.post("/v1/users", &app.admin_key, &body).await).await, [field], "{field}");
    }
    let user = new_user(&app, "Ann", "Lee", "ann@firm.example").await;
    assert_eq!(refused_fields(app.patch(&user_path(&user), &app.admin_key, &json!({"password": "x"})).await).await, ["password"]);
}

async fn emails_are_unique_in_the_firm_case_insensitively(app: TestApp) {
    let ann = new_user(&app, "Ann", "Lee", "ann@firm.example").await;
    let bo = new_user(&app, "Bo", "Ek", "bo@firm.example").await;
    let dup = json!({"first_name": "Other", "last_name": "Ann", "email": "ANN@Firm.Example"});
    expect_problem(app.post("/v1/users", &app.admin_key, &dup).await, StatusCode::CONFLICT, "duplicate_email").await;
    expect_problem(app.patch(&user_path(&bo), &app.admin_key, &json!({"email": "Ann@firm.example"})).await, StatusCode::CONFLICT, "duplicate_email").await;
    assert_eq!(ok(app.get(&user_path(&bo), &app.admin_key).await).await, bo);
    // A user keeping their own email (in another case) is no conflict.
    let same = ok(app.patch(&user_path(&ann), &app.admin_key, &json!({"email": "ANN@firm.example"})).await).await;
    assert_eq!(same["id"], ann["id"]);
    // Users and clients are separate: a client may have a user's email.
    app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "email": "bo@firm.example"})).await;
    assert_eq!(page_ids(&app, "/v1/users", &[]).await.len(), 2);
}

async fn a_deleted_users_email_can_be_reused(app: TestApp) {
    let ann = new_user(&app, "Ann", "Lee", "ann@firm.example").await;
    no_content(app.delete(&user_path(&ann), &app.admin_key).await).await;
    let again = new_user(&app, "Ann", "Lee", "ann@firm.example").await;
    assert_ne!(again["id"], ann["id"]);
}

async fn user_lists_page_with_cursors_and_totals(app: TestApp) {
    let mut all = Vec::new();
    for i in 0..5 {
        all.push(id(&new_user(&app, "U", &format!("N{i}"), &format!("u{i}@firm.example")).await));
    }
    assert_eq!(walk_at(&app, "/v1/users", &[("limit", "2"), ("sort", "created_at")]).await, all);
    let page = page(&app, "/v1/users", &[("include_total", "true"), ("limit", "2")]).await;
    assert_eq!(page["pagination"]["total"], 5);
    assert_eq!(page["pagination"]["has_more"], true);
}

async fn users_read_can_read_but_not_write(app: TestApp) {
    let reader = app.key("users:read").await;
    let user = new_user(&app, "Ann", "Lee", "ann@firm.example").await;
    assert_eq!(ids(&expect_status(app.get("/v1/users", &reader).await, StatusCode::OK).await), [id(&user)]);
    assert_eq!(ok(app.get(&user_path(&user), &reader).await).await, user);
    forbidden(app.post("/v1/users", &reader, &json!({"first_name": "X", "last_name": "Y", "email": "x@firm.example"})).await).await;
    forbidden(app.patch(&user_path(&user), &reader, &json!({"role": "owner"})).await).await;
    forbidden(app.delete(&user_path(&user), &reader).await).await;
    assert_eq!(ok(app.get(&user_path(&user), &app.admin_key).await).await, user);
    assert_eq!(page_ids(&app, "/v1/users", &[]).await.len(), 1);
}

async fn other_scopes_cannot_read_users(app: TestApp) {
    let user = new_user(&app, "Ann", "Lee", "ann@firm.example").await;
    let everything_else = app.key("clients:read,clients:write,matters:read,matters:write,notes:read,notes:write,leads:read,leads:write").await;
    forbidden(app.get("/v1/users", &everything_else).await).await;
    forbidden(app.get(&user_path(&user), &everything_else).await).await;
    forbidden(app.post("/v1/users", &everything_else, &json!({"first_name": "X", "last_name": "Y", "email": "x@firm.example"})).await).await;
}

async fn a_key_can_belong_to_a_user(app: TestApp) {
    let user = new_user(&app, "Ann", "Lee", "ann@firm.example").await;
    let key = key_for(&app, text(&user, "id"), &["clients:read"]).await;
    assert!(text(&key, "id").starts_with("key_"), "{key}");
    assert_eq!(key["user_id"], user["id"], "API keys show user_id: {key}");
    let fetched = ok(app.get(&format!("/v1/api-keys/{}", text(&key, "id")), &app.admin_key).await).await;
    assert_eq!(fetched["user_id"], user["id"], "{fetched}");
    let plain = created(app.post("/v1/api-keys", &app.admin_key, &json!({"scopes": ["clients:read"]})).await).await;
    assert!(plain["user_id"].is_null(), "{plain}");
    let secret = text(&key, "secret").to_string();
    expect_status(app.get("/v1/clients", &secret).await, StatusCode::OK).await;
    assert_eq!(ok(app.get("/v1/users/me", &secret).await).await["id"], user["id"]);
    // The key keeps only its own scopes, whatever the user's role.
    ok(app.patch(&user_path(&user), &app.admin_key, &json!({"role": "owner"})).await).await;
    forbidden(app.post("/v1/clients", &secret, &json!({"first_name": "X", "last_name": "Y"})).await).await;
}

async fn users_me_answers_the_keys_user_without_needing_a_scope(app: TestApp) {
    let ann = new_user(&app, "Ann", "Lee", "ann@firm.example").await;
    new_user(&app, "Bo", "Ek", "bo@firm.example").await;
    let key = key_for(&app, text(&ann, "id"), &["clients:read"]).await;
    let me = ok(app.get("/v1/users/me", text(&key, "secret")).await).await;
    assert_eq!(me, ok(app.get(&user_path(&ann), &app.admin_key).await).await);
    // Even a key whose scopes have nothing to do with users.
    let key = key_for(&app, text(&ann, "id"), &["leads:write"]).await;
    assert_eq!(ok(app.get("/v1/users/me", text(&key, "secret")).await).await["id"], ann["id"]);
    // It follows changes to the user.
    ok(app.patch(&user_path(&ann), &app.admin_key, &json!({"role": "owner"})).await).await;
    assert_eq!(ok(app.get("/v1/users/me", text(&key, "secret")).await).await["role"], "owner");
}

async fn users_me_is_404_for_a_key_without_a_user(app: TestApp) {
    new_user(&app, "Ann", "Lee", "ann@firm.example").await;
    not_found(app.get("/v1/users/me", &app.admin_key).await).await;
    let reader = app.key("users:read").await;
    not_found(app.get("/v1/users/me", &reader).await).await;
    let unrelated = app.key("clients:read").await;
    not_found(app.get("/v1/users/me", &unrelated).await).await;
    expect_problem(app.http.get(app.url("/v1/users/me")).send().await.unwrap(), StatusCode::UNAUTHORIZED, "unauthorized").await;
}

async fn a_key_cannot_belong_to_another_firms_or_a_missing_user(app: TestApp) {
    let other = app.other_firm().await;
    let theirs = created(app.post("/v1/users", &other, &json!({"first_name": "T", "last_name": "U", "email": "t@other.example"})).await).await;
    let deleted = new_user(&app, "Gone", "Away", "gone@firm.example").await;
    no_content(app.delete(&user_path(&deleted), &app.admin_key).await).await;
    for user_id in [id(&theirs), "usr_01J00000000000000000000000".to_string(), id(&deleted), "nonsense".to_string()] {
        let response = app.post("/v1/api-keys", &app.admin_key, &json!({"scopes": ["clients:read"], "user_id": user_id})).await;
        assert_eq!(refused_fields(response).await, ["user_id"], "{user_id}");
    }
    let keys = expect_status(app.get("/v1/api-keys", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(keys["data"].as_array().unwrap().len(), 1, "only the admin key: {keys}");
}

async fn events_record_the_actors_user(app: TestApp) {
    let user = new_user(&app, "Ann", "Lee", "ann@firm.example").await;
    let key = key_for(&app, text(&user, "id"), &["clients:read", "clients:write"]).await;
    let secret = text(&key, "secret").to_string();
    let start = last_seq(&app).await;
    let client = created(app.post("/v1/clients", &secret, &json!({"first_name": "Dana", "last_name": "Cole"})).await).await;
    ok(app.patch(&format!("/v1/clients/{}", id(&client)), &secret, &json!({"last_name": "Smith"})).await).await;
    app.person("By", "Admin").await;
    let log = events_since(&app, start).await;
    assert_eq!(kinds(&log), ["client.created", "client.updated", "client.created"]);
    for event in &log[..2] {
        assert_eq!(actor_user_id(event), user["id"], "{event}");
        assert_eq!(actor_key_id(event), key["id"], "{event}");
    }
    assert!(actor_user_id(&log[2]).is_null(), "the admin key has no user: {}", log[2]);
    assert_eq!(actor_key_id(&log[2]), key_id(&app, &app.admin_key).await.as_str());
}

async fn deleting_a_user_revokes_their_keys(app: TestApp) {
    let ann = new_user(&app, "Ann", "Lee", "ann@firm.example").await;
    let bo = new_user(&app, "Bo", "Ek", "bo@firm.example").await;
    let first = key_for(&app, text(&ann, "id"), &["clients:read"]).await;
    let second = key_for(&app, text(&ann, "id"), &["users:read"]).await;
    let bos = key_for(&app, text(&bo, "id"), &["clients:read"]).await;
    let unowned = app.key("clients:read").await;
    for key in [&first, &second, &bos] {
        expect_status(app.get("/v1/me", text(key, "secret")).await, StatusCode::OK).await;
    }
    let start = last_seq(&app).await;
    no_content(app.delete(&user_path(&ann), &app.admin_key).await).await;
    for key in [&first, &second] {
        expect_problem(app.get("/v1/clients", text(key, "secret")).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        expect_problem(app.get("/v1/me", text(key, "secret")).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let record = ok(app.get(&format!("/v1/api-keys/{}", text(key, "id")), &app.admin_key).await).await;
        assert!(record["revoked_at"].is_string(), "{record}");
    }
    // Other users' keys and keys without a user keep working.
    expect_status(app.get("/v1/clients", text(&bos, "secret")).await, StatusCode::OK).await;
    expect_status(app.get("/v1/clients", &unowned).await, StatusCode::OK).await;
    let log = events_since(&app, start).await;
    let types = kinds(&log);
    assert!(types.contains(&"user.deleted".to_string()), "{types:?}");
    assert_eq!(types.iter().filter(|t| *t == "api_key.revoked").count(), 2, "{types:?}");
}

async fn user_changes_are_logged_as_events(app: TestApp) {
    let admin_id = key_id(&app, &app.admin_key).await;
    let start = last_seq(&app).await;
    let user = new_user(&app, "Ann", "Lee", "ann@firm.example").await;
    ok(app.patch(&user_path(&user), &app.admin_key, &json!({"role": "admin"})).await).await;
    no_content(app.delete(&user_path(&user), &app.admin_key).await).await;
    let log = events_since(&app, start).await;
    assert_eq!(kinds(&log), ["user.created", "user.updated", "user.deleted"]);
    for event in &log {
        assert_eq!(event["resource_type"], "user");
        assert_eq!(event["resource_id"], user["id"]);
        assert_eq!(actor_key_id(event), admin_id.as_str());
    }
    assert_eq!(log[1]["before"]["role"], "member");
    assert_eq!(log[1]["after"]["role"], "admin");
}

async fn another_firms_user_is_404_and_never_listed(app: TestApp) {
    let other = app.other_firm().await;
    let user = new_user(&app, "Secret", "Staffer", "secret@firm.example").await;
    let path = user_path(&user);
    for p in [path.clone(), "/v1/users/usr_01J00000000000000000000000".to_string()] {
        not_found(app.get(&p, &other).await).await;
        not_found(app.patch(&p, &other, &json!({"role": "owner"})).await).await;
        not_found(app.delete(&p, &other).await).await;
    }
    assert_eq!(ok(app.get(&path, &app.admin_key).await).await, user);
    let theirs = expect_status(get_query(&app, "/v1/users", &other, &[("include_total", "true")]).await, StatusCode::OK).await;
    assert!(!ids(&theirs).contains(&id(&user)), "{theirs}");
    assert_eq!(theirs["pagination"]["total"], 0);
    // Emails are unique per firm only.
    let same = json!({"first_name": "Other", "last_name": "Person", "email": "secret@firm.example"});
    created(app.post("/v1/users", &other, &same).await).await;
    assert_eq!(page_ids(&app, "/v1/users", &[]).await, [id(&user)]);
}
