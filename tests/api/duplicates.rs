//! `GET /v1/clients/duplicates`: every rule (email in any field, phone, name
//! and date of birth, similar names within a domain or phone prefix), keys
//! kept in step with writes, paging, scopes and tenancy (docs/privacy.md,
//! "Finding duplicates").

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{expect_problem, expect_status, TestApp};
use crate::records::text;

crate::store_tests!(
    the_same_email_in_any_email_field_is_a_group,
    the_same_phone_in_any_phone_field_is_a_group,
    the_same_normalised_name_and_birth_date_is_a_group,
    similar_names_sharing_a_domain_or_phone_prefix_are_a_group,
    the_groups_follow_changes_deletes_and_restores,
    groups_page_with_a_cursor_each_once,
    bad_parameters_are_400,
    duplicates_need_clients_read_and_stay_in_the_firm,
    clients_written_before_the_migration_are_found_after_it,
    match_keys_go_with_the_client_row,
);

async fn create(app: &TestApp, body: Value) -> String {
    text(&app.create_client(body).await, "id").to_string()
}

/// Every group, walking all pages, as (reason, set of client ids, score).
async fn all_groups(app: &TestApp, key: &str) -> Vec<(String, BTreeSet<String>, f64)> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let path = match &cursor {
            Some(c) => format!("/v1/clients/duplicates?limit=3&cursor={c}"),
            None => "/v1/clients/duplicates?limit=3".to_string(),
        };
        let page = expect_status(app.get(&path, key).await, StatusCode::OK).await;
        for g in page["data"].as_array().unwrap() {
            let ids = g["clients"].as_array().unwrap().iter().map(|c| text(c, "id").to_string()).collect();
            out.push((text(g, "reason").to_string(), ids, g["score"].as_f64().unwrap()));
        }
        match page["pagination"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => {
                assert_eq!(page["pagination"]["has_more"], false);
                return out;
            }
        }
    }
    panic!("the walk did not end");
}

fn with_reason(groups: &[(String, BTreeSet<String>, f64)], reason: &str) -> Vec<(BTreeSet<String>, f64)> {
    groups.iter().filter(|g| g.0 == reason).map(|g| (g.1.clone(), g.2)).collect()
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

async fn the_same_email_in_any_email_field_is_a_group(app: TestApp) {
    let a = create(&app, json!({"first_name": "Dana", "last_name": "Cole", "email": "Dana.Cole@Acme-Law.com"})).await;
    let b = create(&app, json!({"first_name": "D", "last_name": "Smith", "other_emails": [{"address": "dana.cole@acme-law.COM", "label": "work"}]})).await;
    create(&app, json!({"first_name": "Someone", "last_name": "Else", "email": "else@elsewhere.org"})).await;
    let groups = all_groups(&app, &app.admin_key).await;
    assert_eq!(with_reason(&groups, "same_email"), vec![(set(&[&a, &b]), 1.0)]);
    assert_eq!(groups.len(), 1, "nothing else is a candidate: {groups:?}");
}

async fn the_same_phone_in_any_phone_field_is_a_group(app: TestApp) {
    let a = create(&app, json!({"first_name": "Ann", "last_name": "Lee", "phone": "+1 212 555 0187"})).await;
    let b = create(&app, json!({"first_name": "Bo", "last_name": "Chen", "other_phones": [{"number": "(212) 555-0187", "label": "home"}]})).await;
    create(&app, json!({"first_name": "Cy", "last_name": "Park", "phone": "+44 20 7946 0958"})).await;
    let groups = all_groups(&app, &app.admin_key).await;
    assert_eq!(with_reason(&groups, "same_phone"), vec![(set(&[&a, &b]), 0.9)]);
}

async fn the_same_normalised_name_and_birth_date_is_a_group(app: TestApp) {
    let a = create(&app, json!({"first_name": "José", "last_name": "Álvarez", "date_of_birth": "1980-01-02"})).await;
    let b = create(&app, json!({"first_name": "jose", "last_name": "ALVAREZ", "date_of_birth": "1980-01-02"})).await;
    create(&app, json!({"first_name": "José", "last_name": "Álvarez", "date_of_birth": "1981-01-02"})).await;
    create(&app, json!({"first_name": "José", "last_name": "Álvarez"})).await;
    let groups = all_groups(&app, &app.admin_key).await;
    assert_eq!(with_reason(&groups, "same_name_and_date_of_birth"), vec![(set(&[&a, &b]), 0.95)]);
}

async fn similar_names_sharing_a_domain_or_phone_prefix_are_a_group(app: TestApp) {
    let john = create(&app, json!({"first_name": "John", "last_name": "Smith", "email": "john@acme-law.com"})).await;
    let jon = create(&app, json!({"first_name": "Jon", "last_name": "Smith", "email": "jsmith@acme-law.com"})).await;
    // Same domain, another name: not a candidate.
    create(&app, json!({"first_name": "Sarah", "last_name": "Stone", "email": "sarah@acme-law.com"})).await;
    // A public mail provider says nothing.
    create(&app, json!({"first_name": "John", "last_name": "Smith", "email": "john.smith@gmail.com"})).await;
    create(&app, json!({"first_name": "Jon", "last_name": "Smith", "email": "jon.smith@gmail.com"})).await;
    let mary = create(&app, json!({"first_name": "Mary", "last_name": "Jones", "phone": "+12125550101"})).await;
    let marie = create(&app, json!({"first_name": "Marie", "last_name": "Jones", "phone": "+12125550199"})).await;
    let groups = all_groups(&app, &app.admin_key).await;
    let by_domain = with_reason(&groups, "similar_name_same_email_domain");
    assert_eq!(by_domain.iter().map(|g| g.0.clone()).collect::<Vec<_>>(), vec![set(&[&john, &jon])]);
    assert!(by_domain[0].1 > 0.4 && by_domain[0].1 < 0.8, "0.8 × similarity: {}", by_domain[0].1);
    let by_prefix = with_reason(&groups, "similar_name_same_phone_prefix");
    assert_eq!(by_prefix.iter().map(|g| g.0.clone()).collect::<Vec<_>>(), vec![set(&[&mary, &marie])]);
    assert_eq!(groups.len(), 2, "{groups:?}");
}

async fn the_groups_follow_changes_deletes_and_restores(app: TestApp) {
    let a = create(&app, json!({"first_name": "Kim", "last_name": "Ode", "phone": "+12125550123"})).await;
    let b = create(&app, json!({"first_name": "Lou", "last_name": "Ray", "phone": "+12125550123"})).await;
    assert_eq!(with_reason(&all_groups(&app, &app.admin_key).await, "same_phone").len(), 1);
    expect_status(app.delete(&format!("/v1/clients/{b}"), &app.admin_key).await, StatusCode::NO_CONTENT).await;
    assert!(all_groups(&app, &app.admin_key).await.is_empty(), "a deleted client is no candidate");
    expect_status(app.post(&format!("/v1/clients/{b}/restore"), &app.admin_key, &json!({})).await, StatusCode::OK).await;
    assert_eq!(with_reason(&all_groups(&app, &app.admin_key).await, "same_phone"), vec![(set(&[&a, &b]), 0.9)]);
    expect_status(app.patch(&format!("/v1/clients/{a}"), &app.admin_key, &json!({"phone": "+442079460958"})).await, StatusCode::OK).await;
    assert!(all_groups(&app, &app.admin_key).await.is_empty(), "a changed phone leaves the group");
    expect_status(app.patch(&format!("/v1/clients/{a}"), &app.admin_key, &json!({"other_phones": [{"number": "+12125550123"}]})).await, StatusCode::OK).await;
    assert_eq!(with_reason(&all_groups(&app, &app.admin_key).await, "same_phone"), vec![(set(&[&a, &b]), 0.9)]);
}

async fn groups_page_with_a_cursor_each_once(app: TestApp) {
    let mut expected = Vec::new();
    let mut creates = Vec::new();
    for i in 0..7 {
        let phone = format!("+1212555{:04}", 1000 + i);
        for who in ["A", "B"] {
            creates.push(json!({"op": "create", "data": {"first_name": who, "last_name": format!("{who}{i}x{i}"), "phone": phone}}));
        }
        expected.push(phone);
    }
    let email = "shared@firm-domain.com";
    creates.push(json!({"op": "create", "data": {"first_name": "E", "last_name": "One", "email": email}}));
    creates.push(json!({"op": "create", "data": {"first_name": "E", "last_name": "Two", "other_emails": [{"address": email}]}}));
    let answer = expect_status(app.post("/v1/clients/batch", &app.admin_key, &json!({"operations": creates})).await, StatusCode::OK).await;
    assert!(answer["data"].as_array().unwrap().iter().all(|r| r["status"] == 201), "{answer}");
    let groups = all_groups(&app, &app.admin_key).await;
    let reasons: Vec<&str> = groups.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(reasons[0], "same_email", "reasons in order: {reasons:?}");
    let phones = with_reason(&groups, "same_phone");
    assert_eq!(phones.len(), 7, "{groups:?}");
    let distinct: BTreeSet<BTreeSet<String>> = phones.iter().map(|g| g.0.clone()).collect();
    assert_eq!(distinct.len(), 7, "each group once");
    assert!(phones.iter().all(|g| g.0.len() == 2));
    // The first page is full and says more follow, with a Link.
    let first = app.get("/v1/clients/duplicates?limit=2", &app.admin_key).await;
    assert!(first.headers()["link"].to_str().unwrap().contains("rel=\"next\""));
    let first = expect_status(first, StatusCode::OK).await;
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    assert_eq!(first["pagination"]["has_more"], true);
    assert_eq!(first["data"][0]["size"], 2);
    let shown = first["data"][0]["clients"].as_array().unwrap();
    assert!(shown.iter().any(|c| c["email"] == email) && shown.iter().all(|c| c["version"] == 1), "clients are shown as the list shows them");
}

async fn bad_parameters_are_400(app: TestApp) {
    for query in ["limit=0", "limit=101", "limit=x", "cursor=nonsense", "cursor=eyJyIjo5OSwiayI6bnVsbCwicyI6MH0", "sort=name", "q=x"] {
        let response = app.get(&format!("/v1/clients/duplicates?{query}"), &app.admin_key).await;
        expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
}

async fn duplicates_need_clients_read_and_stay_in_the_firm(app: TestApp) {
    let a = create(&app, json!({"first_name": "Pat", "last_name": "Doe", "email": "pat@doe-family.net"})).await;
    let b = create(&app, json!({"first_name": "P", "last_name": "Doe", "other_emails": [{"address": "pat@doe-family.net"}]})).await;
    let writer = app.key("clients:write").await;
    expect_problem(app.get("/v1/clients/duplicates", &writer).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let unauthenticated = app.http.get(app.url("/v1/clients/duplicates")).send().await.unwrap();
    expect_problem(unauthenticated, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let reader = app.key("clients:read").await;
    assert_eq!(with_reason(&all_groups(&app, &reader).await, "same_email"), vec![(set(&[&a, &b]), 1.0)]);
    // Another firm with the same address: neither firm sees the other's client.
    let other = app.other_firm().await;
    let theirs = json!({"first_name": "Pat", "last_name": "Doe", "email": "pat@doe-family.net"});
    expect_status(app.post("/v1/clients", &other, &theirs).await, StatusCode::CREATED).await;
    assert!(all_groups(&app, &other).await.is_empty());
    assert_eq!(with_reason(&all_groups(&app, &app.admin_key).await, "same_email"), vec![(set(&[&a, &b]), 1.0)]);
    let other_pair = json!({"first_name": "Pat", "last_name": "Doe", "other_emails": [{"address": "PAT@doe-family.net"}]});
    let theirs_b = expect_status(app.post("/v1/clients", &other, &other_pair).await, StatusCode::CREATED).await;
    let their_groups: Vec<_> = all_groups(&app, &other).await.into_iter().filter(|g| g.0 == "same_email").collect();
    assert_eq!(their_groups.len(), 1);
    assert!(their_groups[0].1.contains(text(&theirs_b["data"], "id")) && !their_groups[0].1.contains(&a));
}

async fn clients_written_before_the_migration_are_found_after_it(app: TestApp) {
    let a = create(&app, json!({"first_name": "Old", "last_name": "Timer", "phone": "+12125550177"})).await;
    let b = create(&app, json!({"first_name": "New", "last_name": "Comer", "other_phones": [{"number": "+12125550177"}]})).await;
    let gone = create(&app, json!({"first_name": "Gone", "last_name": "Since", "phone": "+12125550177"})).await;
    expect_status(app.delete(&format!("/v1/clients/{gone}"), &app.admin_key).await, StatusCode::NO_CONTENT).await;
    // As if the database predated the migration: no table, the migration not applied.
    app.raw_sql(
        "DROP TRIGGER client_match_keys_gone; DROP TABLE client_match_keys; DELETE FROM schema_migrations WHERE version = 9;",
        "DROP TABLE client_match_keys; DELETE FROM schema_migrations WHERE version = 11;",
    )
    .await;
    let _restarted = app.open_store_again().await;
    assert_eq!(with_reason(&all_groups(&app, &app.admin_key).await, "same_phone"), vec![(set(&[&a, &b]), 0.9)]);
}

/// The keys are personal data: a client's row going by any path (purge,
/// erasure) takes them with it.
async fn match_keys_go_with_the_client_row(app: TestApp) {
    create(&app, json!({"first_name": "Quinn", "last_name": "Vale", "email": "quinn.vale@vale-family.org", "phone": "+12125550166"})).await;
    let keys = app.dump_tables(&["client_match_keys"]).await;
    assert!(keys.contains("quinn.vale@vale-family.org") && keys.contains("12125550166") && keys.contains("quinn vale"), "{keys}");
    app.raw_sql("DELETE FROM clients", "DELETE FROM clients").await;
    assert_eq!(app.dump_tables(&["client_match_keys"]).await, "");
}
