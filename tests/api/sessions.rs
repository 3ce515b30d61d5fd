//! Console sign-in: passwords, sessions, the cookie, CSRF, lockout, roles
//! as scopes, sign-out, and tenancy (docs/security.md, "Console sign-in").

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{error_fields, expect_problem, expect_status, TestApp};
use crate::records::{created, sorted, text};
use crate::support::{events, header};

crate::store_tests!(
    signing_in_sets_a_strict_http_only_cookie_and_answers_the_user,
    the_cookie_is_secure_behind_tls,
    every_sign_in_failure_answers_the_same_401,
    five_failures_lock_the_account_until_it_opens_or_is_reset,
    a_cookie_request_that_changes_something_needs_the_csrf_token,
    a_role_gives_its_scopes,
    signing_out_ends_the_session,
    an_expired_session_is_refused,
    admins_set_passwords_and_users_change_their_own,
    changing_a_password_ends_the_users_other_sessions,
    deleting_a_user_ends_their_sessions,
    sign_in_bodies_are_validated,
    passwords_and_tokens_are_stored_only_as_hashes,
    sessions_keep_idempotency_keys_per_user,
    sign_ins_and_outs_are_audited,
    a_session_never_reaches_another_firm,
);

const PASSWORD: &str = "correct horse battery";

/// A staff user of the app's main firm with a password; returns the user.
async fn user_with_password(app: &TestApp, email: &str, role: &str) -> Value {
    let body = json!({"first_name": "Ada", "last_name": "Lovelace", "email": email, "role": role});
    let user = created(app.post("/v1/users", &app.admin_key, &body).await).await;
    set_password(app, &app.admin_key, &user, json!({"password": PASSWORD})).await;
    user
}

async fn set_password(app: &TestApp, key: &str, user: &Value, body: Value) {
    let response = app.put(&format!("/v1/users/{}/password", text(user, "id")), key, &body).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT, "{}", response.text().await.unwrap_or_default());
}

async fn sign_in_raw(app: &TestApp, firm: &str, email: &str, password: &str) -> Response {
    let body = json!({"firm_id": firm, "email": email, "password": password});
    app.http.post(app.url("/v1/sessions")).json(&body).send().await.expect("send")
}

/// A signed-in session: its cookie (`name=value`) and CSRF token.
struct Signed {
    cookie: String,
    csrf: String,
    body: Value,
}

async fn sign_in(app: &TestApp, email: &str) -> Signed {
    let response = sign_in_raw(app, &app.firm_id, email, PASSWORD).await;
    let set_cookie = header(&response, "set-cookie");
    let body = expect_status(response, StatusCode::CREATED).await;
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    Signed { cookie, csrf: text(&body["data"], "csrf_token").to_string(), body }
}

impl Signed {
    fn request(&self, app: &TestApp, method: Method, path: &str) -> RequestBuilder {
        app.http.request(method, app.url(path)).header("Cookie", &self.cookie)
    }

    /// A request that carries the CSRF token.
    fn change(&self, app: &TestApp, method: Method, path: &str) -> RequestBuilder {
        self.request(app, method, path).header("X-CSRF-Token", &self.csrf)
    }

    async fn get(&self, app: &TestApp, path: &str) -> Response {
        self.request(app, Method::GET, path).send().await.expect("send")
    }
}

async fn signing_in_sets_a_strict_http_only_cookie_and_answers_the_user(app: TestApp) {
    let user = user_with_password(&app, "ada@firm.example", "member").await;
    let response = sign_in_raw(&app, &app.firm_id, "ADA@Firm.Example", PASSWORD).await;
    let cookie = header(&response, "set-cookie");
    let body = expect_status(response, StatusCode::CREATED).await;
    assert!(cookie.starts_with("clientele_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{attribute} missing from {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP gets no Secure cookie: {cookie}");
    let data = &body["data"];
    assert!(text(data, "id").starts_with("ses_"));
    assert_eq!(data["user"]["id"], user["id"]);
    assert_eq!(data["user"]["email"], "ada@firm.example");
    assert_eq!(text(data, "csrf_token").len(), 43);
    assert!(data["expires_at"].is_string());
    assert!(data["scopes"].as_array().unwrap().contains(&json!("clients:read")));

    let signed = Signed { cookie: cookie.split(';').next().unwrap().to_string(), csrf: String::new(), body };
    let me = expect_status(signed.get(&app, "/v1/me").await, StatusCode::OK).await;
    assert_eq!(me["data"]["user"]["id"], user["id"]);
    assert_eq!(me["data"]["key"], Value::Null);
    let current = expect_status(signed.get(&app, "/v1/sessions/current").await, StatusCode::OK).await;
    assert_eq!(current["data"]["csrf_token"], signed.body["data"]["csrf_token"], "every tab of a session gets the same token");
    assert_eq!(current["data"]["id"], signed.body["data"]["id"]);
}

async fn the_cookie_is_secure_behind_tls(app: TestApp) {
    user_with_password(&app, "ada@firm.example", "member").await;
    let body = json!({"firm_id": app.firm_id, "email": "ada@firm.example", "password": PASSWORD});
    let response = app.http.post(app.url("/v1/sessions")).header("X-Forwarded-Proto", "https").json(&body).send().await.unwrap();
    assert!(header(&response, "set-cookie").contains("; Secure"));
}

async fn every_sign_in_failure_answers_the_same_401(app: TestApp) {
    user_with_password(&app, "ada@firm.example", "member").await;
    let no_password = json!({"first_name": "No", "last_name": "Password", "email": "np@firm.example"});
    created(app.post("/v1/users", &app.admin_key, &no_password).await).await;
    let other_firm = app.service.create_firm("Other").await.unwrap().firm.id.to_string();
    let attempts = [
        (app.firm_id.as_str(), "ada@firm.example", "wrong horse battery"),
        (app.firm_id.as_str(), "nobody@firm.example", PASSWORD),
        (app.firm_id.as_str(), "np@firm.example", PASSWORD),
        (other_firm.as_str(), "ada@firm.example", PASSWORD),
        ("firm_nonsense", "ada@firm.example", PASSWORD),
        (app.firm_id.as_str(), "not an email", PASSWORD),
    ];
    let mut details = Vec::new();
    for (firm, email, password) in attempts {
        let response = sign_in_raw(&app, firm, email, password).await;
        assert!(response.headers().get("set-cookie").is_none());
        let problem = expect_problem(response, StatusCode::UNAUTHORIZED, "sign_in_failed").await;
        details.push(problem["detail"].clone());
    }
    details.dedup();
    assert_eq!(details.len(), 1, "the failures must not tell each other apart: {details:?}");
}

async fn five_failures_lock_the_account_until_it_opens_or_is_reset(app: TestApp) {
    let user = user_with_password(&app, "ada@firm.example", "member").await;
    for _ in 0..4 {
        expect_problem(sign_in_raw(&app, &app.firm_id, "ada@firm.example", "wrong horse battery").await, StatusCode::UNAUTHORIZED, "sign_in_failed").await;
    }
    // A success before the fifth failure starts the count over.
    sign_in(&app, "ada@firm.example").await;
    for _ in 0..5 {
        expect_problem(sign_in_raw(&app, &app.firm_id, "ada@firm.example", "wrong horse battery").await, StatusCode::UNAUTHORIZED, "sign_in_failed").await;
    }
    let locked = sign_in_raw(&app, &app.firm_id, "ada@firm.example", PASSWORD).await;
    expect_problem(locked, StatusCode::UNAUTHORIZED, "sign_in_failed").await;

    // Fifteen minutes later (made so here) it opens again.
    app.raw_sql("UPDATE user_passwords SET locked_until = 1", "UPDATE user_passwords SET locked_until = 1").await;
    sign_in(&app, "ada@firm.example").await;

    // An admin's reset opens a locked account at once.
    for _ in 0..5 {
        sign_in_raw(&app, &app.firm_id, "ada@firm.example", "wrong horse battery").await;
    }
    expect_problem(sign_in_raw(&app, &app.firm_id, "ada@firm.example", PASSWORD).await, StatusCode::UNAUTHORIZED, "sign_in_failed").await;
    set_password(&app, &app.admin_key, &user, json!({"password": PASSWORD})).await;
    sign_in(&app, "ada@firm.example").await;
}

async fn a_cookie_request_that_changes_something_needs_the_csrf_token(app: TestApp) {
    user_with_password(&app, "ada@firm.example", "member").await;
    let signed = sign_in(&app, "ada@firm.example").await;
    let client = json!({"first_name": "Grace", "last_name": "Hopper"});
    let without = signed.request(&app, Method::POST, "/v1/clients").json(&client).send().await.unwrap();
    expect_problem(without, StatusCode::FORBIDDEN, "csrf_token_invalid").await;
    let wrong = signed.request(&app, Method::POST, "/v1/clients").header("X-CSRF-Token", "x".repeat(43)).json(&client).send().await.unwrap();
    expect_problem(wrong, StatusCode::FORBIDDEN, "csrf_token_invalid").await;
    let other = sign_in(&app, "ada@firm.example").await;
    let another_sessions = signed.request(&app, Method::POST, "/v1/clients").header("X-CSRF-Token", &other.csrf).json(&client).send().await.unwrap();
    expect_problem(another_sessions, StatusCode::FORBIDDEN, "csrf_token_invalid").await;
    let list = expect_status(signed.get(&app, "/v1/clients?include_total=true").await, StatusCode::OK).await;
    assert_eq!(list["pagination"]["total"], 0, "a refused request changes nothing");

    let with = signed.change(&app, Method::POST, "/v1/clients").json(&client).send().await.unwrap();
    let made = expect_status(with, StatusCode::CREATED).await;
    let path = format!("/v1/clients/{}", text(&made["data"], "id"));
    let patch = signed.request(&app, Method::PATCH, &path).header("Content-Type", "application/merge-patch+json").body(r#"{"status":"inactive"}"#);
    expect_problem(patch.send().await.unwrap(), StatusCode::FORBIDDEN, "csrf_token_invalid").await;
    expect_problem(signed.request(&app, Method::DELETE, &path).send().await.unwrap(), StatusCode::FORBIDDEN, "csrf_token_invalid").await;
    expect_status(signed.get(&app, &path).await, StatusCode::OK).await;
    // A key needs no CSRF token: a browser never adds one by itself.
    expect_status(app.patch(&path, &app.admin_key, &json!({"status": "inactive"})).await, StatusCode::OK).await;
}

async fn a_role_gives_its_scopes(app: TestApp) {
    user_with_password(&app, "member@firm.example", "member").await;
    user_with_password(&app, "admin@firm.example", "admin").await;
    let member = sign_in(&app, "member@firm.example").await;
    let admin = sign_in(&app, "admin@firm.example").await;
    let key = json!({"name": "k", "scopes": ["clients:read"]});
    let refused = member.change(&app, Method::POST, "/v1/api-keys").json(&key).send().await.unwrap();
    expect_problem(refused, StatusCode::FORBIDDEN, "insufficient_scope").await;
    expect_problem(member.get(&app, "/v1/events").await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    expect_status(member.get(&app, "/v1/users").await, StatusCode::OK).await;
    let lead = json!({"first_name": "Lee", "last_name": "Lead", "email": "lee@example.com"});
    expect_status(member.change(&app, Method::POST, "/v1/leads").json(&lead).send().await.unwrap(), StatusCode::CREATED).await;
    assert_eq!(admin.body["data"]["scopes"], json!(["admin"]));
    expect_status(admin.change(&app, Method::POST, "/v1/api-keys").json(&key).send().await.unwrap(), StatusCode::CREATED).await;
}

async fn signing_out_ends_the_session(app: TestApp) {
    user_with_password(&app, "ada@firm.example", "member").await;
    let signed = sign_in(&app, "ada@firm.example").await;
    let kept = sign_in(&app, "ada@firm.example").await;
    let no_token = signed.request(&app, Method::DELETE, "/v1/sessions/current").send().await.unwrap();
    expect_problem(no_token, StatusCode::FORBIDDEN, "csrf_token_invalid").await;
    let out = signed.change(&app, Method::DELETE, "/v1/sessions/current").send().await.unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(header(&out, "set-cookie").contains("Max-Age=0"));
    expect_problem(signed.get(&app, "/v1/me").await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    expect_problem(signed.get(&app, "/v1/sessions/current").await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    expect_status(kept.get(&app, "/v1/me").await, StatusCode::OK).await;
    // A key has no session to end.
    expect_problem(app.delete("/v1/sessions/current", &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
}

async fn an_expired_session_is_refused(app: TestApp) {
    user_with_password(&app, "ada@firm.example", "member").await;
    let signed = sign_in(&app, "ada@firm.example").await;
    app.raw_sql("UPDATE sessions SET expires_at = 1", "UPDATE sessions SET expires_at = 1").await;
    expect_problem(signed.get(&app, "/v1/clients").await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(app.service.purge_sessions(clientele::domain::time::Timestamp::now()).await.unwrap(), 1);
}

async fn admins_set_passwords_and_users_change_their_own(app: TestApp) {
    let ada = user_with_password(&app, "ada@firm.example", "member").await;
    let bob = user_with_password(&app, "bob@firm.example", "member").await;
    let short = app.put(&format!("/v1/users/{}/password", text(&ada, "id")), &app.admin_key, &json!({"password": "too short"})).await;
    assert_eq!(error_fields(&expect_problem(short, StatusCode::BAD_REQUEST, "invalid_request").await), ["password"]);
    let long = app.put(&format!("/v1/users/{}/password", text(&ada, "id")), &app.admin_key, &json!({"password": "x".repeat(257)})).await;
    expect_problem(long, StatusCode::BAD_REQUEST, "invalid_request").await;

    let signed = sign_in(&app, "ada@firm.example").await;
    let own = format!("/v1/users/{}/password", text(&ada, "id"));
    let put = |body: Value| signed.change(&app, Method::PUT, &own).json(&body).send();
    let missing = put(json!({"password": "a brand new passphrase"})).await.unwrap();
    assert_eq!(error_fields(&expect_problem(missing, StatusCode::BAD_REQUEST, "invalid_request").await), ["current_password"]);
    let wrong = put(json!({"current_password": "not it at all", "password": "a brand new passphrase"})).await.unwrap();
    assert_eq!(error_fields(&expect_problem(wrong, StatusCode::BAD_REQUEST, "invalid_request").await), ["current_password"]);
    let changed = put(json!({"current_password": PASSWORD, "password": "a brand new passphrase"})).await.unwrap();
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    expect_problem(sign_in_raw(&app, &app.firm_id, "ada@firm.example", PASSWORD).await, StatusCode::UNAUTHORIZED, "sign_in_failed").await;
    expect_status(sign_in_raw(&app, &app.firm_id, "ada@firm.example", "a brand new passphrase").await, StatusCode::CREATED).await;

    // An admin changing their own needs their current password too.
    let boss = user_with_password(&app, "boss@firm.example", "admin").await;
    let boss_session = sign_in(&app, "boss@firm.example").await;
    let own_reset = boss_session.change(&app, Method::PUT, &format!("/v1/users/{}/password", text(&boss, "id"))).json(&json!({"password": "a brand new passphrase"}));
    assert_eq!(error_fields(&expect_problem(own_reset.send().await.unwrap(), StatusCode::BAD_REQUEST, "invalid_request").await), ["current_password"]);

    // A member can't set another user's password, even knowing it.
    let bobs = format!("/v1/users/{}/password", text(&bob, "id"));
    let refused = signed.change(&app, Method::PUT, &bobs).json(&json!({"current_password": PASSWORD, "password": "taken over now!"})).send().await.unwrap();
    expect_problem(refused, StatusCode::FORBIDDEN, "insufficient_scope").await;
    expect_status(sign_in_raw(&app, &app.firm_id, "bob@firm.example", PASSWORD).await, StatusCode::CREATED).await;
    let unknown = app.put("/v1/users/usr_01JD3M9ZK6Q4T0V8X2Y5B7C9EF/password", &app.admin_key, &json!({"password": PASSWORD})).await;
    expect_problem(unknown, StatusCode::NOT_FOUND, "not_found").await;
}

async fn changing_a_password_ends_the_users_other_sessions(app: TestApp) {
    let ada = user_with_password(&app, "ada@firm.example", "member").await;
    let here = sign_in(&app, "ada@firm.example").await;
    let elsewhere = sign_in(&app, "ada@firm.example").await;
    let own = format!("/v1/users/{}/password", text(&ada, "id"));
    let body = json!({"current_password": PASSWORD, "password": "a brand new passphrase"});
    assert_eq!(here.change(&app, Method::PUT, &own).json(&body).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    expect_status(here.get(&app, "/v1/me").await, StatusCode::OK).await;
    expect_problem(elsewhere.get(&app, "/v1/me").await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // An admin's reset ends them all.
    set_password(&app, &app.admin_key, &ada, json!({"password": PASSWORD})).await;
    expect_problem(here.get(&app, "/v1/me").await, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

async fn deleting_a_user_ends_their_sessions(app: TestApp) {
    let ada = user_with_password(&app, "ada@firm.example", "admin").await;
    let signed = sign_in(&app, "ada@firm.example").await;
    let response = app.delete(&format!("/v1/users/{}", text(&ada, "id")), &app.admin_key).await;
    assert!(response.status().is_success(), "{}", response.status());
    expect_problem(signed.get(&app, "/v1/clients").await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    expect_problem(sign_in_raw(&app, &app.firm_id, "ada@firm.example", PASSWORD).await, StatusCode::UNAUTHORIZED, "sign_in_failed").await;
    let again = json!({"first_name": "Ada", "last_name": "Again", "email": "ada@firm.example"});
    created(app.post("/v1/users", &app.admin_key, &again).await).await;
    let no_old_password = sign_in_raw(&app, &app.firm_id, "ada@firm.example", PASSWORD).await;
    expect_problem(no_old_password, StatusCode::UNAUTHORIZED, "sign_in_failed").await;
}

async fn sign_in_bodies_are_validated(app: TestApp) {
    let post = |body: &str| app.http.post(app.url("/v1/sessions")).header("Content-Type", "application/json").body(body.to_string()).send();
    let missing = expect_problem(post("{}").await.unwrap(), StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(sorted(error_fields(&missing)), ["email", "firm_id", "password"]);
    let typed = expect_problem(post(r#"{"firm_id": 1, "email": [], "password": null, "extra": true}"#).await.unwrap(), StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(sorted(error_fields(&typed)), ["email", "extra", "firm_id", "password"]);
    expect_problem(post("{not json").await.unwrap(), StatusCode::BAD_REQUEST, "malformed_json").await;
    let form = app.http.post(app.url("/v1/sessions")).header("Content-Type", "application/x-www-form-urlencoded").body("email=a").send().await.unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "a cross-site form can't sign anyone in");
    let huge = sign_in_raw(&app, &app.firm_id, "ada@firm.example", &"x".repeat(10_000)).await;
    expect_problem(huge, StatusCode::UNAUTHORIZED, "sign_in_failed").await;
    let odd = sign_in_raw(&app, &app.firm_id, "'; DROP TABLE sessions; --@x.y", "\u{0}\u{202e}ü").await;
    expect_problem(odd, StatusCode::UNAUTHORIZED, "sign_in_failed").await;
    let bad_password_body = app.put("/v1/users/usr_01JD3M9ZK6Q4T0V8X2Y5B7C9EF/password", &app.admin_key, &json!({"password": 5, "role": "admin"})).await;
    assert_eq!(sorted(error_fields(&expect_problem(bad_password_body, StatusCode::BAD_REQUEST, "invalid_request").await)), ["password", "role"]);
}

async fn passwords_and_tokens_are_stored_only_as_hashes(app: TestApp) {
    let ada = user_with_password(&app, "ada@firm.example", "member").await;
    let signed = sign_in(&app, "ada@firm.example").await;
    let dump = app.dump_database().await;
    let token = signed.cookie.split_once('=').unwrap().1;
    assert!(!dump.contains(PASSWORD), "the password is stored");
    assert!(!dump.contains(token), "the session token is stored");
    assert!(!dump.contains(&signed.csrf), "the CSRF token is stored");
    assert!(dump.contains("$argon2id$"), "the password's argon2id hash is stored");
    let read = expect_status(app.get(&format!("/v1/users/{}", text(&ada, "id")), &app.admin_key).await, StatusCode::OK).await;
    assert!(!read.to_string().contains("argon2"), "{read}");
}

async fn sessions_keep_idempotency_keys_per_user(app: TestApp) {
    user_with_password(&app, "ada@firm.example", "member").await;
    user_with_password(&app, "bob@firm.example", "member").await;
    let ada = sign_in(&app, "ada@firm.example").await;
    let ada_again = sign_in(&app, "ada@firm.example").await;
    let bob = sign_in(&app, "bob@firm.example").await;
    let client = json!({"first_name": "Grace", "last_name": "Hopper"});
    let send = |s: &Signed| s.change(&app, Method::POST, "/v1/clients").header("Idempotency-Key", "same-key").json(&client).send();
    let first = expect_status(send(&ada).await.unwrap(), StatusCode::CREATED).await;
    let replay = send(&ada_again).await.unwrap();
    assert_eq!(header(&replay, "idempotent-replayed"), "true", "a user's sessions share their keys");
    assert_eq!(expect_status(replay, StatusCode::CREATED).await["data"]["id"], first["data"]["id"]);
    let bobs = send(&bob).await.unwrap();
    assert_eq!(header(&bobs, "idempotent-replayed"), "false", "another user's key is their own");
    assert_ne!(expect_status(bobs, StatusCode::CREATED).await["data"]["id"], first["data"]["id"]);
}

async fn sign_ins_and_outs_are_audited(app: TestApp) {
    let ada = user_with_password(&app, "ada@firm.example", "member").await;
    let signed = sign_in(&app, "ada@firm.example").await;
    signed.change(&app, Method::DELETE, "/v1/sessions/current").send().await.unwrap();
    let log = events(&app, &app.admin_key).await;
    let of = |kind: &str| log.iter().filter(|e| e["type"] == kind).cloned().collect::<Vec<_>>();
    let password_set = of("user.password_set");
    assert_eq!(password_set.len(), 1);
    assert_eq!(password_set[0]["resource_id"], ada["id"]);
    let created = of("session.created");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["resource_id"], signed.body["data"]["id"]);
    assert_eq!(of("session.deleted").len(), 1);
    let text = Value::Array(log).to_string();
    assert!(!text.contains("argon2") && !text.contains(&signed.csrf) && !text.contains(signed.cookie.split_once('=').unwrap().1));
}

async fn a_session_never_reaches_another_firm(app: TestApp) {
    user_with_password(&app, "ada@firm.example", "admin").await;
    let other_key = app.other_firm().await;
    let theirs = created(app.post("/v1/clients", &other_key, &json!({"first_name": "Their", "last_name": "Client"})).await).await;
    let their_user = created(app.post("/v1/users", &other_key, &json!({"first_name": "T", "last_name": "U", "email": "ada@firm.example"})).await).await;
    let signed = sign_in(&app, "ada@firm.example").await;
    expect_problem(signed.get(&app, &format!("/v1/clients/{}", text(&theirs, "id"))).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_problem(signed.get(&app, &format!("/v1/users/{}", text(&their_user, "id"))).await, StatusCode::NOT_FOUND, "not_found").await;
    let takeover = signed.change(&app, Method::PUT, &format!("/v1/users/{}/password", text(&their_user, "id"))).json(&json!({"password": PASSWORD}));
    expect_problem(takeover.send().await.unwrap(), StatusCode::NOT_FOUND, "not_found").await;
    let patch = signed.change(&app, Method::PATCH, &format!("/v1/clients/{}", text(&theirs, "id"))).json(&json!({"first_name": "Mine"}));
    expect_problem(patch.send().await.unwrap(), StatusCode::NOT_FOUND, "not_found").await;
    let list = expect_status(signed.get(&app, "/v1/clients").await, StatusCode::OK).await;
    assert!(list["data"].as_array().unwrap().is_empty());
    // The same email in the other firm is another user, without this password.
    let their_firm = expect_status(app.get("/v1/me", &other_key).await, StatusCode::OK).await["data"]["firm"]["id"].as_str().unwrap().to_string();
    expect_problem(sign_in_raw(&app, &their_firm, "ada@firm.example", PASSWORD).await, StatusCode::UNAUTHORIZED, "sign_in_failed").await;
}
