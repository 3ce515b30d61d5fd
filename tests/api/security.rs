//! Findings of the outside attack (issue 15), each pinned by a test that fails
//! without its fix: credentials, idempotency scope, body limits, input that
//! does not decode.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{error_fields, expect_problem, expect_status, hex, TestApp};
use crate::support::{events, list_ids};

crate::store_tests!(
    two_credentials_are_refused_and_act_as_neither,
    two_api_key_headers_are_refused,
    idempotency_follows_the_key_not_the_header_that_carried_it,
    an_intake_json_body_over_the_form_limit_is_413,
    a_form_field_that_is_not_utf8_is_400_and_stores_nothing,
    a_query_parameter_that_is_not_utf8_is_400,
    a_multi_valued_filter_past_its_maximum_is_400_naming_it,
    a_filter_of_the_maximum_size_is_answered_on_every_list,
    converting_a_lead_checks_company_id_like_a_create,
    a_foreign_company_id_already_stored_is_refused_on_the_next_write,
    a_link_made_earlier_survives_its_company_being_deleted,
    every_reference_a_write_makes_is_checked_on_every_surface,
    email_lookalikes_are_one_address_for_clients_users_and_leads,
    the_migration_recomputes_stored_email_keys,
    no_secret_or_its_hash_is_kept_in_events_or_stored_responses,
    invisible_names_are_refused_on_every_surface,
    target_urls_with_bad_ports_or_invisible_characters_are_refused,
    a_key_revoked_on_another_node_stops_within_that_nodes_cache_ttl,
    an_idle_kept_alive_connection_is_closed_after_the_keep_alive_timeout,
    a_request_head_sent_slowly_is_cut_off_at_the_header_read_timeout,
    a_connection_that_sends_nothing_is_closed_at_the_header_read_timeout,
    metrics_can_require_a_token,
    metrics_can_live_on_their_own_address,
    a_write_only_key_gets_back_only_what_the_server_owns_on_every_surface,
);

async fn new_token(app: &TestApp) -> String {
    let body = expect_status(app.post("/v1/intake-tokens", &app.admin_key, &json!({"name": "Web"})).await, StatusCode::CREATED).await;
    body["data"]["token"].as_str().expect("token").to_string()
}

async fn lead_count(app: &TestApp) -> usize {
    let page = expect_status(app.get("/v1/leads?limit=100", &app.admin_key).await, StatusCode::OK).await;
    page["data"].as_array().expect("data").len()
}

async fn two_credentials_are_refused_and_act_as_neither(app: TestApp) {
    let other = app.other_firm().await;
    let body = json!({"first_name": "Ann", "last_name": "Lee"});
    for (first, second) in [(&app.admin_key, &other), (&other, &app.admin_key)] {
        let response = app
            .http
            .post(app.url("/v1/clients"))
            .header("X-Api-Key", first.as_str())
            .header("Authorization", format!("Bearer {second}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(error_fields(&problem), ["Authorization"]);
    }
    // Not even a read picks one of them.
    let response = app
        .http
        .get(app.url("/v1/clients"))
        .header("X-Api-Key", app.admin_key.as_str())
        .header("Authorization", format!("Bearer {}", app.admin_key))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert!(list_ids(&app, &[]).await.is_empty(), "nothing was created in this firm");
    let theirs = expect_status(app.get("/v1/clients", &other).await, StatusCode::OK).await;
    assert_eq!(theirs["data"], json!([]), "nothing was created in the other firm");
}

async fn two_api_key_headers_are_refused(app: TestApp) {
    let other = app.other_firm().await;
    let response = app
        .http
        .post(app.url("/v1/clients"))
        .header("X-Api-Key", app.admin_key.as_str())
        .header("X-Api-Key", other.as_str())
        .json(&json!({"first_name": "Ann", "last_name": "Lee"}))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = app
        .http
        .get(app.url("/v1/clients"))
        .header("Authorization", format!("Bearer {}", app.admin_key))
        .header("Authorization", format!("Bearer {other}"))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert!(list_ids(&app, &[]).await.is_empty());
}

async fn idempotency_follows_the_key_not_the_header_that_carried_it(app: TestApp) {
    let body = json!({"first_name": "Ann", "last_name": "Lee"});
    let first = app
        .http
        .post(app.url("/v1/clients"))
        .header("X-Api-Key", app.admin_key.as_str())
        .header("Idempotency-Key", "spelling")
        .json(&body)
        .send()
        .await
        .unwrap();
    let first = expect_status(first, StatusCode::CREATED).await;
    let retry = app
        .http
        .post(app.url("/v1/clients"))
        .header("Authorization", format!("bearer   {}", app.admin_key))
        .header("Idempotency-Key", "spelling")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(retry.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(expect_status(retry, StatusCode::CREATED).await, first);
    assert_eq!(list_ids(&app, &[]).await.len(), 1, "one client, however the key was presented");
}

async fn an_intake_json_body_over_the_form_limit_is_413(app: TestApp) {
    let token = new_token(&app).await;
    let message = "x".repeat(65 * 1024);
    let body = json!({"first_name": "Ann", "last_name": "Lee", "message": message});
    let response = app.http.post(app.url(&format!("/v1/intake/{token}"))).json(&body).send().await.unwrap();
    expect_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    let form = format!("first_name=Ann&last_name=Lee&message={message}");
    let response = app
        .http
        .post(app.url(&format!("/v1/intake/{token}")))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert_eq!(lead_count(&app).await, 0);
}

async fn a_form_field_that_is_not_utf8_is_400_and_stores_nothing(app: TestApp) {
    let token = new_token(&app).await;
    for form in ["first_name=%ff%fe&last_name=Lee", "first_name=Ann&last_name=Lee&message=caf%e9", "na%ffme=Ann"] {
        let response = app
            .http
            .post(app.url(&format!("/v1/intake/{token}")))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        let problem = expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("UTF-8"), "{form}: {problem}");
    }
    // Percent-encoded UTF-8 is fine.
    let response = app
        .http
        .post(app.url(&format!("/v1/intake/{token}")))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("first_name=Jos%C3%A9&last_name=Lee+Ng")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let leads = expect_status(app.get("/v1/leads", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(leads["data"].as_array().unwrap().len(), 1);
    assert_eq!(leads["data"][0]["first_name"], "José");
    assert_eq!(leads["data"][0]["last_name"], "Lee Ng");
    let created: Vec<Value> = events(&app, &app.admin_key).await.into_iter().filter(|e| e["type"] == "lead.created").collect();
    assert_eq!(created.len(), 1);
}

async fn a_query_parameter_that_is_not_utf8_is_400(app: TestApp) {
    for query in ["q=%ff", "status=act%c3", "%fe=1"] {
        let response = app.request(Method::GET, &format!("/v1/clients?{query}"), &app.admin_key).send().await.unwrap();
        expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
}

/// `name=v0&name=v1&…` with `n` values.
fn repeated(name: &str, n: usize) -> String {
    (0..n).map(|i| format!("{name}=t{i}")).collect::<Vec<_>>().join("&")
}

async fn a_multi_valued_filter_past_its_maximum_is_400_naming_it(app: TestApp) {
    let ids = (0..101).map(|_| "cli_01J00000000000000000000000").collect::<Vec<_>>().join(",");
    let cases = [
        ("/v1/clients", repeated("tags", 999), "tags"),
        ("/v1/clients", repeated("status", 101), "status"),
        ("/v1/clients", format!("ids={ids}"), "ids"),
        ("/v1/clients", (0..101).map(|i| format!("cf.k{i}=1")).collect::<Vec<_>>().join("&"), "cf.*"),
        ("/v1/matters", repeated("status", 101), "status"),
        ("/compat/full-engage/api/v1/clients", format!("status={}", (0..101).map(|i| format!("s{i}")).collect::<Vec<_>>().join(",")), "status"),
    ];
    for (path, query, name) in cases {
        let response = app.request(Method::GET, &format!("{path}?{query}"), &app.admin_key).send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {name}: {body}");
        let text = body.to_string();
        assert!(text.contains(&format!("\"{name}")) || text.contains(&format!(" {name} ")) || text.contains(name), "{path} names {name}: {body}");
        assert!(text.contains("at most 100"), "{path} {name}: {body}");
    }
}

async fn a_filter_of_the_maximum_size_is_answered_on_every_list(app: TestApp) {
    // A client holds at most 50 tags, so 100 wanted tags match nobody.
    let tagged = app.create_client(json!({"first_name": "Tia", "last_name": "Tagged", "tags": (0..50).map(|i| format!("t{i}")).collect::<Vec<_>>()})).await;
    let plain = app.person("Pat", "Plain").await;
    let page = expect_status(app.get(&format!("/v1/clients?{}", repeated("tags", 50)), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(crate::support::ids(&page), [tagged["id"].as_str().unwrap()]);
    let page = expect_status(app.get(&format!("/v1/clients?{}", repeated("tags", 100)), &app.admin_key).await, StatusCode::OK).await;
    assert!(page["data"].as_array().unwrap().is_empty(), "{page}");
    let both = format!("ids={},{}", tagged["id"].as_str().unwrap(), plain["id"].as_str().unwrap());
    let page = expect_status(app.get(&format!("/v1/clients?{both}&{}", repeated("status", 99)), &app.admin_key).await, StatusCode::OK).await;
    assert!(page["data"].as_array().unwrap().is_empty(), "no client has a status t0..t98: {page}");
    let page = expect_status(app.get(&format!("/v1/clients?{both}&status=active&include_total=true"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(page["pagination"]["total"], 2);
    let matter = expect_status(app.post("/v1/matters", &app.admin_key, &json!({"client_id": tagged["id"], "title": "Sale"})).await, StatusCode::CREATED).await;
    let statuses = (0..100).map(|i| ["status=closed", "status=pending", "status=open"][i % 3]).collect::<Vec<_>>().join("&");
    let matters = expect_status(app.get(&format!("/v1/matters?{statuses}"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(crate::support::ids(&matters), [matter["data"]["id"].as_str().unwrap()]);
}

/// A problem without its per-request parts, for comparing two of them.
fn shape(mut problem: Value) -> Value {
    problem.as_object_mut().unwrap().remove("request_id");
    problem
}

async fn new_lead(app: &TestApp) -> String {
    let lead = expect_status(app.post("/v1/leads", &app.admin_key, &json!({"first_name": "Lia", "last_name": "Lead"})).await, StatusCode::CREATED).await;
    lead["data"]["id"].as_str().unwrap().to_string()
}

async fn converting_a_lead_checks_company_id_like_a_create(app: TestApp) {
    let other = app.other_firm().await;
    let theirs = expect_status(app.post("/v1/clients", &other, &json!({"kind": "company", "name": "Theirs Inc"})).await, StatusCode::CREATED).await;
    let person = app.person("Pat", "Person").await;
    let gone = app.create_client(json!({"kind": "company", "name": "Gone Ltd"})).await;
    expect_status(app.delete(&format!("/v1/clients/{}", gone["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::NO_CONTENT).await;
    let candidates = [
        ("another firm's company", theirs["data"]["id"].clone()),
        ("no client", json!("cli_01J00000000000000000000000")),
        ("a person", person["id"].clone()),
        ("a deleted company", gone["id"].clone()),
    ];
    let mut shapes = Vec::new();
    for (what, company_id) in candidates {
        let lead = new_lead(&app).await;
        let response = app.post(&format!("/v1/leads/{lead}/convert"), &app.admin_key, &json!({"client": {"company_id": company_id}})).await;
        let problem = expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(error_fields(&problem), ["client.company_id"], "{what}: {problem}");
        shapes.push(shape(problem));
        let body = json!({"first_name": "Ann", "last_name": "Lee", "company_id": company_id});
        let problem = expect_problem(app.post("/v1/clients", &app.admin_key, &body).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(error_fields(&problem), ["company_id"], "{what}: {problem}");
        let lead_now = expect_status(app.get(&format!("/v1/leads/{lead}"), &app.admin_key).await, StatusCode::OK).await;
        assert_eq!(lead_now["data"]["state"], "untriaged", "{what}: the lead was not converted");
    }
    assert!(shapes.windows(2).all(|w| w[0] == w[1]), "a missing, foreign, person or deleted company reads alike: {shapes:?}");
    let clients = list_ids(&app, &[]).await;
    assert_eq!(clients, [person["id"].as_str().unwrap()], "no conversion made a client");
    // A company of this firm converts.
    let ours = app.create_client(json!({"kind": "company", "name": "Ours LLP"})).await;
    let lead = new_lead(&app).await;
    let done = expect_status(app.post(&format!("/v1/leads/{lead}/convert"), &app.admin_key, &json!({"client": {"company_id": ours["id"]}})).await, StatusCode::CREATED).await;
    assert_eq!(done["data"]["client"]["company_id"], ours["id"]);
}

async fn a_foreign_company_id_already_stored_is_refused_on_the_next_write(app: TestApp) {
    let other = app.other_firm().await;
    let theirs = expect_status(app.post("/v1/clients", &other, &json!({"kind": "company", "name": "Theirs Inc"})).await, StatusCode::CREATED).await;
    let theirs_id: clientele::domain::ids::ClientId = theirs["data"]["id"].as_str().unwrap().parse().unwrap();
    let person = app.person("Pat", "Person").await;
    let person_id: clientele::domain::ids::ClientId = person["id"].as_str().unwrap().parse().unwrap();
    // What an earlier release could store; never read through the server, so
    // no cache holds the person without it.
    app.raw_sql(
        &format!("UPDATE clients SET company_id = X'{}' WHERE id = X'{}'", hex(theirs_id.as_bytes()), hex(person_id.as_bytes())),
        &format!("UPDATE clients SET company_id = '{}' WHERE id = '{}'", theirs_id.as_uuid(), person_id.as_uuid()),
    )
    .await;
    let path = format!("/v1/clients/{}", person["id"].as_str().unwrap());
    let mut keep = json!({"first_name": "Pat", "last_name": "Person", "company_id": theirs["data"]["id"], "phone": "+15551234567"});
    let problem = expect_problem(app.put(&path, &app.admin_key, &keep).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), ["company_id"]);
    let problem = expect_problem(app.patch(&path, &app.admin_key, &json!({"phone": "+15551234567"})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), ["company_id"]);
    // Clearing it works.
    keep["company_id"] = Value::Null;
    let fixed = expect_status(app.put(&path, &app.admin_key, &keep).await, StatusCode::OK).await;
    assert_eq!(fixed["data"]["company_id"], Value::Null);
}

async fn a_link_made_earlier_survives_its_company_being_deleted(app: TestApp) {
    let company = app.create_client(json!({"kind": "company", "name": "Acme"})).await;
    let person = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "company_id": company["id"]})).await;
    expect_status(app.delete(&format!("/v1/clients/{}", company["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::NO_CONTENT).await;
    let path = format!("/v1/clients/{}", person["id"].as_str().unwrap());
    let changed = expect_status(app.patch(&path, &app.admin_key, &json!({"phone": "+15551234567"})).await, StatusCode::OK).await;
    assert_eq!(changed["data"]["company_id"], company["id"], "the link stays");
    // But it can't be made anew to the deleted company.
    let other = app.person("Bo", "Ek").await;
    let response = app.patch(&format!("/v1/clients/{}", other["id"].as_str().unwrap()), &app.admin_key, &json!({"company_id": company["id"]})).await;
    assert_eq!(error_fields(&expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await), ["company_id"]);
}

async fn every_reference_a_write_makes_is_checked_on_every_surface(app: TestApp) {
    let other = app.other_firm().await;
    let theirs = expect_status(app.post("/v1/clients", &other, &json!({"first_name": "Eve", "last_name": "Theirs"})).await, StatusCode::CREATED).await;
    let their_id = theirs["data"]["id"].clone();
    let ours = app.person("Ann", "Ours").await;
    // A matter's client and primary contact.
    for body in [json!({"client_id": their_id, "title": "T"}), json!({"client_id": ours["id"], "title": "T", "primary_contact_id": their_id})] {
        let problem = expect_problem(app.post("/v1/matters", &app.admin_key, &body).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert!(error_fields(&problem).iter().all(|f| f == "client_id" || f == "primary_contact_id"), "{problem}");
    }
    let matter = expect_status(app.post("/v1/matters", &app.admin_key, &json!({"client_id": ours["id"], "title": "T"})).await, StatusCode::CREATED).await;
    let path = format!("/v1/matters/{}", matter["data"]["id"].as_str().unwrap());
    for patch in [json!({"client_id": their_id}), json!({"primary_contact_id": their_id})] {
        expect_problem(app.patch(&path, &app.admin_key, &patch).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    // A converted lead's matter.
    let lead = new_lead(&app).await;
    let body = json!({"matter": {"title": "From lead", "primary_contact_id": their_id}});
    let problem = expect_problem(app.post(&format!("/v1/leads/{lead}/convert"), &app.admin_key, &body).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), ["matter.primary_contact_id"]);
    // Clemta's company_id.
    let their_company = expect_status(app.post("/v1/clients", &other, &json!({"kind": "company", "name": "Theirs Inc"})).await, StatusCode::CREATED).await;
    let their_uuid = their_company["data"]["id"].as_str().unwrap().parse::<clientele::domain::ids::ClientId>().unwrap().as_uuid();
    let body = json!({"full_name": "Ann Lee", "type": "customer", "email": "ann.clemta@example.com", "company_id": their_uuid.to_string()});
    let response = app.post("/compat/clemta/contacts", &app.admin_key, &body).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["code"], "COMPANY_NOT_FOUND");
    // Nothing of the other firm was touched, and nothing here points there.
    let dump = app.dump_database().await;
    let their_hex = hex(their_uuid.as_bytes());
    let clients_pointing = dump.lines().filter(|l| l.contains(&their_hex) || l.contains(&their_uuid.to_string())).count();
    assert_eq!(clients_pointing, 1, "only the other firm's own row names its company");
}

/// Pairs of addresses that are one mailbox, the second as the first's twin.
const TWINS: [(&str, &str); 4] = [
    ("full@twins.example", "ｆｕｌｌ@twins.example"),
    ("sam@twins.example", "ſam@twins.example"),
    ("strasse@twins.example", "STRAßE@twins.example"),
    ("ann@xn--bcher-kva.example", "Ann@Bücher.example"),
];

async fn email_lookalikes_are_one_address_for_clients_users_and_leads(app: TestApp) {
    for (plain, twin) in TWINS {
        let first = app.create_client(json!({"first_name": "A", "last_name": "One", "email": plain})).await;
        let response = app.post("/v1/clients", &app.admin_key, &json!({"first_name": "B", "last_name": "Two", "email": twin})).await;
        expect_problem(response, StatusCode::CONFLICT, "duplicate_email").await;
        let other = app.person("C", "Three").await;
        let response = app.patch(&format!("/v1/clients/{}", other["id"].as_str().unwrap()), &app.admin_key, &json!({"email": twin})).await;
        expect_problem(response, StatusCode::CONFLICT, "duplicate_email").await;
        // A lead with the twin converts into a duplicate: refused the same way.
        let lead = expect_status(app.post("/v1/leads", &app.admin_key, &json!({"first_name": "L", "last_name": "Ead", "email": twin})).await, StatusCode::CREATED).await;
        let response = app.post(&format!("/v1/leads/{}/convert", lead["data"]["id"].as_str().unwrap()), &app.admin_key, &json!({})).await;
        expect_problem(response, StatusCode::CONFLICT, "duplicate_email").await;
        // Users too.
        let user = json!({"first_name": "U", "last_name": "One", "email": plain, "role": "member"});
        expect_status(app.post("/v1/users", &app.admin_key, &user).await, StatusCode::CREATED).await;
        let user = json!({"first_name": "U", "last_name": "Two", "email": twin, "role": "member"});
        expect_problem(app.post("/v1/users", &app.admin_key, &user).await, StatusCode::CONFLICT, "duplicate_email").await;
        // What is shown is what was written.
        assert_eq!(first["email"], plain);
    }
    let kept = app.create_client(json!({"first_name": "D", "last_name": "Four", "email": "Straße@Bücher.example"})).await;
    assert_eq!(kept["email"], "Straße@Bücher.example", "the address is stored and shown as written");
}

async fn the_migration_recomputes_stored_email_keys(app: TestApp) {
    let client = app.create_client(json!({"first_name": "A", "last_name": "One", "email": "ſam@twins.example"})).await;
    let client_id: clientele::domain::ids::ClientId = client["id"].as_str().unwrap().parse().unwrap();
    // The key an earlier release stored (lower-cased only), and its migration undone.
    app.raw_sql(
        &format!(
            "UPDATE clients SET email_key = 'ſam@twins.example' WHERE id = X'{}'; DELETE FROM schema_migrations WHERE version = 5",
            hex(client_id.as_bytes())
        ),
        &format!(
            "UPDATE clients SET email_key = 'ſam@twins.example' WHERE id = '{}'; DELETE FROM schema_migrations WHERE version = 7",
            client_id.as_uuid()
        ),
    )
    .await;
    let response = app.post("/v1/clients", &app.admin_key, &json!({"first_name": "B", "last_name": "Two", "email": "sam@twins.example"})).await;
    let twin = expect_status(response, StatusCode::CREATED).await;
    expect_status(app.delete(&format!("/v1/clients/{}", twin["data"]["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::NO_CONTENT).await;
    // A restart migrates the old key: the twin is a duplicate again.
    let _restarted = app.open_store_again().await;
    let response = app.post("/v1/clients", &app.admin_key, &json!({"first_name": "B", "last_name": "Two", "email": "sam@twins.example"})).await;
    expect_problem(response, StatusCode::CONFLICT, "duplicate_email").await;
}

/// A secret in the forms it could be kept in: as sent, and its SHA-256 in hex.
fn forms_of(secret: &str) -> Vec<String> {
    use sha2::Digest;
    vec![secret.to_string(), hex(&sha2::Sha256::digest(secret.as_bytes()))]
}

/// `POST` with an `Idempotency-Key`, twice (the second a replay); the first body.
async fn post_twice(app: &TestApp, path: &str, body: &Value, idempotency_key: &str) -> Value {
    let send = || app.request(Method::POST, path, &app.admin_key).header("Idempotency-Key", idempotency_key).json(body).send();
    let first = expect_status(send().await.unwrap(), StatusCode::CREATED).await;
    let replay = send().await.unwrap();
    assert_eq!(replay.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    first
}

async fn no_secret_or_its_hash_is_kept_in_events_or_stored_responses(app: TestApp) {
    let mut secrets = vec![app.admin_key.clone()];
    let key = post_twice(&app, "/v1/api-keys", &json!({"name": "k", "scopes": ["clients:read"]}), "mint-key").await;
    secrets.push(key["data"]["secret"].as_str().unwrap().to_string());
    let token = post_twice(&app, "/v1/intake-tokens", &json!({"name": "Web"}), "mint-token").await;
    let token = token["data"]["token"].as_str().unwrap().to_string();
    secrets.push(token.clone());
    let action = expect_status(
        app.post("/v1/custom-actions", &app.admin_key, &json!({"label": "Open", "target_url": "https://example.com/a", "ui_reference": "contacts/show"})).await,
        StatusCode::CREATED,
    )
    .await;
    let nonce_path = format!("/v1/custom-actions/{}/nonces", action["data"]["id"].as_str().unwrap());
    let nonce = post_twice(&app, &nonce_path, &json!({}), "mint-nonce").await;
    let nonce = nonce["data"]["nonce"].as_str().unwrap().to_string();
    secrets.push(nonce.clone());
    // Use them: a nonce and the token, each under an Idempotency-Key too.
    let used = app
        .request(Method::POST, &format!("/v1/clients?custom_action_nonce={nonce}"), &app.admin_key)
        .header("Idempotency-Key", nonce.as_str())
        .json(&json!({"first_name": "Ann", "last_name": "Lee"}))
        .send()
        .await
        .unwrap();
    expect_status(used, StatusCode::CREATED).await;
    let intake = app
        .http
        .post(app.url(&format!("/v1/intake/{token}")))
        .header("Idempotency-Key", "form-1")
        .json(&json!({"first_name": "Eli", "last_name": "Form"}))
        .send()
        .await
        .unwrap();
    assert!(intake.status().is_success());
    let kept = app.dump_tables(&["events", "idempotency_keys"]).await;
    assert!(kept.contains("intake_token.created") && kept.contains("nonce.used"), "the dump has the events");
    for secret in &secrets {
        for form in forms_of(secret) {
            assert!(!kept.contains(&form), "events or stored responses hold a secret ({}…) or its hash", &secret[..8]);
        }
    }
}

async fn invisible_names_are_refused_on_every_surface(app: TestApp) {
    for name in ["\u{200B}", "\u{FEFF}", "Ann\u{200B}", "\u{2060}\u{2060}", "Ev\u{202E}e"] {
        let cases = [
            ("/v1/clients", json!({"first_name": name, "last_name": "Lee"}), "first_name"),
            ("/v1/clients", json!({"kind": "company", "name": name}), "name"),
            ("/v1/leads", json!({"first_name": "Ann", "last_name": name}), "last_name"),
            ("/v1/users", json!({"first_name": name, "last_name": "Lee", "email": "u@firm.example", "role": "member"}), "first_name"),
        ];
        for (path, body, field) in cases {
            let problem = expect_problem(app.post(path, &app.admin_key, &body).await, StatusCode::BAD_REQUEST, "invalid_request").await;
            assert_eq!(error_fields(&problem), [field], "{path} {name:?}: {problem}");
        }
        let response = app.post("/compat/clemta/contacts", &app.admin_key, &json!({"full_name": format!("{name} Lee"), "type": "customer"})).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "clemta {name:?}");
    }
    assert!(list_ids(&app, &[]).await.is_empty(), "nothing was created");
    // Joiners inside a name that needs them are kept.
    let persian = "\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645}";
    let kept = app.create_client(json!({"first_name": persian, "last_name": "Rahimi"})).await;
    assert_eq!(kept["first_name"], persian);
}

async fn target_urls_with_bad_ports_or_invisible_characters_are_refused(app: TestApp) {
    for url in ["https://ex\u{202e}ample.com", "https://ex\u{200b}ample.com/", "http://localhost:99999/", "http://localhost:0/", "https://example.com:99999/"] {
        let body = json!({"label": "Open", "ui_reference": "contacts/show", "target_url": url});
        let problem = expect_problem(app.post("/v1/custom-actions", &app.admin_key, &body).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert_eq!(error_fields(&problem), ["target_url"], "{url:?}");
        let response = app.post("/compat/clio-grow/api/v1/custom_actions", &app.admin_key, &json!({"data": body})).await;
        let status = response.status();
        assert_eq!(status, StatusCode::BAD_REQUEST, "clio-grow {url:?}: {}", response.text().await.unwrap());
    }
    let fine = json!({"label": "Open", "ui_reference": "contacts/show", "target_url": "http://localhost:65535/x"});
    expect_status(app.post("/v1/custom-actions", &app.admin_key, &fine).await, StatusCode::CREATED).await;
}

async fn a_key_revoked_on_another_node_stops_within_that_nodes_cache_ttl(app: TestApp) {
    use clientele::service::Limits;
    use std::time::Duration;
    let key = expect_status(app.post("/v1/api-keys", &app.admin_key, &json!({"scopes": ["clients:read"]})).await, StatusCode::CREATED).await;
    let secret = key["data"]["secret"].as_str().unwrap().to_string();
    let strict = app.second_node(Limits { key_cache_ttl: Duration::ZERO, ..Limits::default() }).await;
    let cached = app.second_node(Limits { key_cache_ttl: Duration::from_millis(300), ..Limits::default() }).await;
    let get_on = |base: &str| app.http.get(format!("{base}/v1/clients")).header("X-Api-Key", secret.as_str()).send();
    for base in [&strict, &cached] {
        assert_eq!(get_on(base).await.unwrap().status(), StatusCode::OK, "both nodes know the key");
    }
    // Revoked on the main node: another node for both.
    expect_status(app.delete(&format!("/v1/api-keys/{}", key["data"]["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(get_on(&strict).await.unwrap().status(), StatusCode::UNAUTHORIZED, "a node without the cache refuses at once");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(get_on(&cached).await.unwrap().status(), StatusCode::UNAUTHORIZED, "and one with it once its TTL has passed");
}

mod raw {
    //! Raw sockets, for what an HTTP client library hides.
    use std::time::{Duration, Instant};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    pub async fn connect(base: &str) -> TcpStream {
        TcpStream::connect(base.trim_start_matches("http://")).await.expect("connect")
    }

    /// Reads one response (head and a `Content-Length` body) off `stream`.
    pub async fn response(stream: &mut TcpStream) -> String {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await.expect("a response in time").expect("read");
            assert!(n > 0, "closed before a whole response: {}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
                    .unwrap_or(0);
                if got.len() >= end + 4 + length {
                    return text;
                }
            }
        }
    }

    /// How long until the server closes `stream` (reading and dropping
    /// anything it sends), or `None` if it stays open for `limit`.
    pub async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
        let started = Instant::now();
        let mut buf = [0u8; 1024];
        loop {
            match tokio::time::timeout(limit.saturating_sub(started.elapsed()), stream.read(&mut buf)).await {
                Err(_) => return None,
                Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
                Ok(Ok(_)) => continue,
            }
        }
    }

    pub async fn send(stream: &mut TcpStream, text: &str) -> std::io::Result<()> {
        stream.write_all(text.as_bytes()).await
    }
}

fn limits(header_read_secs: u64, keep_alive_secs: u64) -> clientele::server::connections::ConnectionLimits {
    use std::time::Duration;
    clientele::server::connections::ConnectionLimits {
        header_read_timeout: Duration::from_secs(header_read_secs),
        keep_alive_timeout: Duration::from_secs(keep_alive_secs),
    }
}

const HEALTH: &str = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

async fn an_idle_kept_alive_connection_is_closed_after_the_keep_alive_timeout(app: TestApp) {
    use std::time::Duration;
    let base = crate::helpers::serve_with(app.service.clone(), clientele::server::Options { connections: limits(30, 1), ..Default::default() }).await;
    let mut stream = raw::connect(&base).await;
    // Requests closer together than the timeout share the connection.
    for _ in 0..3 {
        raw::send(&mut stream, HEALTH).await.unwrap();
        assert!(raw::response(&mut stream).await.starts_with("HTTP/1.1 200"));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let closed = raw::closed_within(&mut stream, Duration::from_secs(5)).await;
    let closed = closed.expect("an idle connection is closed");
    assert!(closed < Duration::from_millis(1500), "closed after {closed:?}, past the 1 s keep-alive timeout");
}

async fn a_request_head_sent_slowly_is_cut_off_at_the_header_read_timeout(app: TestApp) {
    use std::time::{Duration, Instant};
    let base = crate::helpers::serve_with(app.service.clone(), clientele::server::Options { connections: limits(1, 30), ..Default::default() }).await;
    // Served once, so the connection is a kept-alive one.
    let mut stream = raw::connect(&base).await;
    raw::send(&mut stream, HEALTH).await.unwrap();
    raw::response(&mut stream).await;
    let started = Instant::now();
    raw::send(&mut stream, "GET /healthz HTTP/1.1\r\n").await.unwrap();
    let mut cut = false;
    for i in 0..12 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if raw::send(&mut stream, &format!("X-Slow-{i}: 1\r\n")).await.is_err() {
            cut = true;
            break;
        }
        if raw::closed_within(&mut stream, Duration::from_millis(1)).await.is_some() {
            cut = true;
            break;
        }
    }
    assert!(cut, "a head dribbled out over 3 s was never cut off");
    assert!(started.elapsed() < Duration::from_millis(2500), "cut only after {:?}", started.elapsed());
    // A head that is merely split, well within the limit, is served.
    let mut stream = raw::connect(&base).await;
    raw::send(&mut stream, "GET /healthz HTTP/1.1\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    raw::send(&mut stream, "Host: x\r\n\r\n").await.unwrap();
    assert!(raw::response(&mut stream).await.starts_with("HTTP/1.1 200"));
}

async fn a_connection_that_sends_nothing_is_closed_at_the_header_read_timeout(app: TestApp) {
    use std::time::Duration;
    let base = crate::helpers::serve_with(app.service.clone(), clientele::server::Options { connections: limits(1, 30), ..Default::default() }).await;
    let mut stream = raw::connect(&base).await;
    let closed = raw::closed_within(&mut stream, Duration::from_secs(5)).await.expect("a silent connection is closed");
    assert!(closed < Duration::from_millis(1800), "closed after {closed:?}");
}

async fn metrics_can_require_a_token(app: TestApp) {
    let http = clientele::api::HttpOptions {
        metrics: clientele::api::MetricsAccess { token: Some("s3cret-token".into()), elsewhere: false },
        ..Default::default()
    };
    let base = crate::helpers::serve_with(app.service.clone(), clientele::server::Options { http, ..Default::default() }).await;
    let get = |auth: Option<&str>| {
        let request = app.http.get(format!("{base}/metrics"));
        match auth {
            Some(value) => request.header("Authorization", value),
            None => request,
        }
        .send()
    };
    for refused in [None, Some("Bearer wrong"), Some("Bearer s3cret-tokenX"), Some("Basic s3cret-token")] {
        expect_problem(get(refused).await.unwrap(), StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let response = get(Some("Bearer s3cret-token")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("clientele_"));
    // The default stays open (a scraper on a private network).
    assert_eq!(app.http.get(app.url("/metrics")).send().await.unwrap().status(), StatusCode::OK);
}

async fn metrics_can_live_on_their_own_address(app: TestApp) {
    let http = clientele::api::HttpOptions { metrics: clientele::api::MetricsAccess { token: None, elsewhere: true }, ..Default::default() };
    let base = crate::helpers::serve_with(app.service.clone(), clientele::server::Options { http, ..Default::default() }).await;
    expect_problem(app.http.get(format!("{base}/metrics")).send().await.unwrap(), StatusCode::NOT_FOUND, "not_found").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let metrics = clientele::api::metrics_router(app.service.clone(), None);
    tokio::spawn(clientele::server::connections::serve(listener, metrics, Default::default(), std::future::pending()));
    let response = app.http.get(format!("http://{addr}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("clientele_"));
    // Nothing else is served there.
    assert_eq!(app.http.get(format!("http://{addr}/v1/clients")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
}

/// What a record written by an admin holds that a write-only key must not
/// see in any response.
const PRIVATE: [&str; 5] = ["hidden.ann", "PRIVATE-NOTE", "7654321", "CF-SECRET", "Annabel"];

/// A 2xx answer that names the record but holds none of [`PRIVATE`].
async fn shows_nothing_private(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{what}: {status} {text}");
    for private in PRIVATE {
        assert!(!text.contains(private), "{what} shows {private}: {text}");
    }
    serde_json::from_str(&text).unwrap()
}

async fn a_write_only_key_gets_back_only_what_the_server_owns_on_every_surface(app: TestApp) {
    let client = app
        .create_client(json!({"first_name": "Annabel", "last_name": "Lee", "email": "hidden.ann@example.com", "phone": "+15557654321",
            "notes": "PRIVATE-NOTE", "custom_fields": {"k": "CF-SECRET"}}))
        .await;
    let id = client["id"].as_str().unwrap().to_string();
    let uuid = id.parse::<clientele::domain::ids::ClientId>().unwrap().as_uuid().to_string();
    let writer = app.key("clients:write").await;
    // /v1: an empty PATCH, a PUT that changes nothing private, a restore.
    let body = shows_nothing_private(app.patch(&format!("/v1/clients/{id}"), &writer, &json!({})).await, "v1 PATCH").await;
    let mut owned: Vec<&str> = body["data"].as_object().unwrap().keys().map(String::as_str).collect();
    owned.sort_unstable();
    assert_eq!(owned, ["created_at", "id", "updated_at", "version"]);
    assert_eq!(body["data"]["id"], id.as_str());
    shows_nothing_private(app.patch(&format!("/v1/clients/{id}"), &writer, &json!({"tags": ["t"]})).await, "v1 PATCH tags").await;
    expect_status(app.delete(&format!("/v1/clients/{id}"), &writer).await, StatusCode::NO_CONTENT).await;
    shows_nothing_private(app.post(&format!("/v1/clients/{id}/restore"), &writer, &json!({})).await, "v1 restore").await;
    // The dialects.
    for (method, path, body) in [
        (Method::PATCH, format!("/compat/calmintake/api/v1/clients/{id}"), json!({})),
        (Method::PUT, format!("/compat/actuallycare/v1/clients/{uuid}"), json!({})),
        (Method::PATCH, format!("/compat/full-engage/api/v1/clients/{uuid}"), json!({})),
        (Method::PATCH, format!("/compat/full-engage/api/v1/clients/{uuid}"), json!({"name": "Annabel Lee"})),
    ] {
        let response = app.request(method.clone(), &path, &writer).json(&body).send().await.unwrap();
        shows_nothing_private(response, &format!("{method} {path}")).await;
    }
    // A write-only key sees its own creation only as ids and times too.
    let created = app.post("/v1/clients", &writer, &json!({"first_name": "Annabel", "last_name": "Two", "notes": "PRIVATE-NOTE"})).await;
    shows_nothing_private(created, "v1 create").await;
    let company = app.create_client(json!({"kind": "company", "name": "Acme"})).await;
    let company_uuid = company["id"].as_str().unwrap().parse::<clientele::domain::ids::ClientId>().unwrap().as_uuid().to_string();
    let body = json!({"full_name": "Annabel Three", "type": "customer", "email": "hidden.ann3@example.com", "company_id": company_uuid});
    shows_nothing_private(app.post("/compat/clemta/contacts", &writer, &body).await, "clemta create").await;
    // Matters, notes and leads, with their own write scopes.
    let matter = expect_status(
        app.post("/v1/matters", &app.admin_key, &json!({"client_id": id, "title": "Annabel's sale", "description": "PRIVATE-NOTE"})).await,
        StatusCode::CREATED,
    )
    .await;
    let matter_path = format!("/v1/matters/{}", matter["data"]["id"].as_str().unwrap());
    let matters = app.key("matters:write").await;
    shows_nothing_private(app.patch(&matter_path, &matters, &json!({})).await, "matter PATCH").await;
    let note = expect_status(app.post(&format!("/v1/clients/{id}/notes"), &app.admin_key, &json!({"body": "PRIVATE-NOTE"})).await, StatusCode::CREATED).await;
    let notes = app.key("notes:write").await;
    shows_nothing_private(app.patch(&format!("/v1/notes/{}", note["data"]["id"].as_str().unwrap()), &notes, &json!({})).await, "note PATCH").await;
    shows_nothing_private(app.post(&format!("/v1/clients/{id}/notes"), &notes, &json!({"body": "PRIVATE-NOTE again"})).await, "note create").await;
    let lead = expect_status(app.post("/v1/leads", &app.admin_key, &json!({"first_name": "Annabel", "message": "PRIVATE-NOTE"})).await, StatusCode::CREATED).await;
    let lead_path = format!("/v1/leads/{}", lead["data"]["id"].as_str().unwrap());
    let leads = app.key("leads:write,clients:write").await;
    shows_nothing_private(app.patch(&lead_path, &leads, &json!({})).await, "lead PATCH").await;
    let body = json!({"client": {"last_name": "Lead", "email": "hidden.ann.lead@example.com"}});
    let converted = shows_nothing_private(app.post(&format!("{lead_path}/convert"), &leads, &body).await, "convert").await;
    assert!(converted["data"]["client"]["id"].is_string() && converted["data"]["lead"]["id"].is_string(), "{converted}");
    shows_nothing_private(
        app.post("/compat/clio-grow/api/v1/inbox_leads", &leads, &json!({"data": {"first_name": "Annabel", "last_name": "Cg"}})).await,
        "clio-grow lead create",
    )
    .await;
    // A key with the read scope still gets the whole record.
    let both = app.key("clients:read,clients:write").await;
    let whole = expect_status(app.patch(&format!("/v1/clients/{id}"), &both, &json!({})).await, StatusCode::OK).await;
    assert_eq!(whole["data"]["email"], "hidden.ann@example.com");
}
