//! Behaviour under concurrent use: keyset walks while others write, and
//! optimistic locking under contention.

use std::collections::HashSet;
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{expect_status, TestApp};

crate::store_tests!(
    cursor_walk_visits_every_record_once_while_others_insert_and_delete,
    fifty_patches_with_the_same_if_match_have_exactly_one_winner,
    concurrent_patches_without_preconditions_lose_no_update,
    concurrent_creates_with_one_email_make_exactly_one_client,
    failing_writes_among_concurrent_ones_undo_only_themselves,
    a_client_deleted_while_matters_are_opened_never_keeps_an_open_matter,
    a_lead_converted_twice_at_once_converts_once_and_the_loser_hears_so,
);

async fn cursor_walk_visits_every_record_once_while_others_insert_and_delete(app: TestApp) {
    let app = Arc::new(app);
    let mut original = Vec::new();
    for i in 0..120 {
        original.push(app.person("Walker", &format!("N{i:03}")).await["id"].as_str().unwrap().to_string());
    }
    // Deleted while the walk runs: those may or may not be seen, the rest must be.
    let doomed: HashSet<String> = original.iter().step_by(10).cloned().collect();
    let writer = {
        let app = app.clone();
        let doomed: Vec<String> = doomed.iter().cloned().collect();
        tokio::spawn(async move {
            for (i, id) in doomed.iter().enumerate() {
                app.person("Inserted", &format!("During{i}")).await;
                expect_status(app.delete(&format!("/v1/clients/{id}"), &app.admin_key).await, StatusCode::NO_CONTENT).await;
                app.person("Inserted", &format!("After{i}")).await;
            }
        })
    };
    for sort in ["created_at", "-created_at", "last_name", "-updated_at"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/v1/clients?limit=7&sort={sort}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = expect_status(app.get(&path, &app.admin_key).await, StatusCode::OK).await;
            seen.extend(page["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()));
            match page["pagination"]["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "sort={sort}: a record was returned twice");
        // Updates move records under updated_at; only deletes do here, so every
        // record that stayed alive must be there under every sort.
        for id in original.iter().filter(|id| !doomed.contains(*id)) {
            assert!(unique.contains(id), "sort={sort}: {id} was skipped");
        }
    }
    writer.await.unwrap();
}

async fn fifty_patches_with_the_same_if_match_have_exactly_one_winner(app: TestApp) {
    let app = Arc::new(app);
    let client = app.person("Contested", "Record").await;
    let path = format!("/v1/clients/{}", client["id"].as_str().unwrap());
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (app, path) = (app.clone(), path.clone());
            tokio::spawn(async move {
                let response = app
                    .request(reqwest::Method::PATCH, &path, &app.admin_key)
                    .header("If-Match", "\"1\"")
                    .json(&json!({"notes": format!("writer {i}")}))
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                (status, response.json::<Value>().await.unwrap(), i)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (status, body, i) = task.await.unwrap();
        match status {
            StatusCode::OK => winners.push(i),
            StatusCode::PRECONDITION_FAILED => assert_eq!(body["code"], "precondition_failed"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let stored = expect_status(app.get(&path, &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!(stored["version"], 2);
    assert_eq!(stored["notes"], format!("writer {}", winners[0]));
}

async fn concurrent_patches_without_preconditions_lose_no_update(app: TestApp) {
    let app = Arc::new(app);
    let client = app.person("Many", "Writers").await;
    let path = format!("/v1/clients/{}", client["id"].as_str().unwrap());
    // Each writer sets its own custom field; merge patches on one record must all survive.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (app, path) = (app.clone(), path.clone());
            tokio::spawn(async move {
                let body = json!({"custom_fields": {format!("writer_{i}"): i}});
                expect_status(app.patch(&path, &app.admin_key, &body).await, StatusCode::OK).await;
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let stored = expect_status(app.get(&path, &app.admin_key).await, StatusCode::OK).await["data"].clone();
    assert_eq!(stored["version"], 21);
    for i in 0..20 {
        assert_eq!(stored["custom_fields"][format!("writer_{i}")], i, "update {i} was lost: {stored}");
    }
}

async fn concurrent_creates_with_one_email_make_exactly_one_client(app: TestApp) {
    let app = Arc::new(app);
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let email = if i % 2 == 0 { "same@example.com" } else { "SAME@example.com" };
                let body = json!({"first_name": "Twin", "last_name": format!("{i}"), "email": email});
                app.post("/v1/clients", &app.admin_key, &body).await.status()
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 1);
    let list = expect_status(app.get("/v1/clients?q=same@example.com&include_total=true", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(list["pagination"]["total"], 1);
}

/// The SQLite writer commits concurrent writes together and, when one of
/// them fails, runs the batch again with each in a savepoint: whichever way,
/// every acknowledged create exists with its event, and every refused one
/// left nothing behind.
async fn failing_writes_among_concurrent_ones_undo_only_themselves(app: TestApp) {
    let app = Arc::new(app);
    let before = crate::support::last_seq(&app).await;
    let tasks: Vec<_> = (0..80)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let email = if i % 2 == 0 { "taken@example.com".to_string() } else { format!("own{i}@example.com") };
                let body = json!({"first_name": "Batch", "last_name": format!("{i}"), "email": email});
                let response = app.post("/v1/clients", &app.admin_key, &body).await;
                let status = response.status();
                (status, response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut created = HashSet::new();
    for task in tasks {
        match task.await.unwrap() {
            (StatusCode::CREATED, body) => assert!(created.insert(body["data"]["id"].as_str().unwrap().to_string())),
            (StatusCode::CONFLICT, _) => {}
            (other, body) => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created.len(), 41, "40 own emails and one winner of the shared one");
    let listed: HashSet<String> = crate::support::walk(&app, &[("limit", "100"), ("q", "batch")]).await.into_iter().collect();
    assert_eq!(listed, created);
    let events = crate::support::events_since(&app, before).await;
    let created_events: HashSet<String> =
        events.iter().filter(|e| e["type"] == "client.created").map(|e| e["resource_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(created_events, created, "one event per acknowledged create, none for refused ones");
    assert_eq!(events.len(), 41);
}

/// Deleting a client and opening matters on it race: whichever order they
/// commit in, a deleted client never ends up with a live matter, and every
/// matter acknowledged with 201 exists.
async fn a_client_deleted_while_matters_are_opened_never_keeps_an_open_matter(app: TestApp) {
    let app = Arc::new(app);
    for round in 0..8 {
        let client = app.person("Race", &format!("R{round}")).await;
        let client_id = client["id"].as_str().unwrap().to_string();
        let openers: Vec<_> = (0..6)
            .map(|i| {
                let (app, client_id) = (app.clone(), client_id.clone());
                tokio::spawn(async move {
                    // Closed matters too: one made during the delete must not stay live on it.
                    let status = if i % 2 == 0 { "open" } else { "closed" };
                    let body = json!({"client_id": client_id, "title": format!("Matter {i}"), "status": status});
                    let response = app.post("/v1/matters", &app.admin_key, &body).await;
                    let status = response.status();
                    let body: Value = response.json().await.unwrap();
                    (status, body)
                })
            })
            .collect();
        let deleter = {
            let (app, client_id) = (app.clone(), client_id.clone());
            tokio::spawn(async move { app.delete(&format!("/v1/clients/{client_id}"), &app.admin_key).await.status() })
        };
        let mut acknowledged = Vec::new();
        for opener in openers {
            let (status, body) = opener.await.unwrap();
            match status {
                StatusCode::CREATED => acknowledged.push(body["data"]["id"].as_str().unwrap().to_string()),
                StatusCode::BAD_REQUEST => assert_eq!(body["errors"][0]["field"], "client_id", "{body}"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        let deleted = deleter.await.unwrap();
        assert!(matches!(deleted, StatusCode::NO_CONTENT | StatusCode::CONFLICT), "delete answered {deleted}");
        for id in &acknowledged {
            let status = app.get(&format!("/v1/matters/{id}"), &app.admin_key).await.status();
            // Acknowledged: live, or (closed and) deleted with its client.
            assert!(matches!(status, StatusCode::OK | StatusCode::NOT_FOUND), "{id}: {status}");
        }
        let client_status = app.get(&format!("/v1/clients/{client_id}"), &app.admin_key).await.status();
        let live: Value = app.get(&format!("/v1/matters?client_id={client_id}"), &app.admin_key).await.json().await.unwrap();
        if deleted == StatusCode::NO_CONTENT {
            assert_eq!(client_status, StatusCode::NOT_FOUND);
            assert_eq!(live["data"], json!([]), "a deleted client keeps live matters");
        } else {
            assert_eq!(client_status, StatusCode::OK);
            assert!(!acknowledged.is_empty(), "409 although no matter was opened");
        }
    }
}

async fn a_lead_converted_twice_at_once_converts_once_and_the_loser_hears_so(app: TestApp) {
    let app = Arc::new(app);
    for round in 0..5 {
        let body = json!({"first_name": "Twice", "last_name": format!("R{round}"), "email": format!("twice{round}@example.com")});
        let lead = expect_status(app.post("/v1/leads", &app.admin_key, &body).await, StatusCode::CREATED).await;
        let path = format!("/v1/leads/{}/convert", lead["data"]["id"].as_str().unwrap());
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (app, path) = (app.clone(), path.clone());
                tokio::spawn(async move {
                    let response = app.post(&path, &app.admin_key, &json!({})).await;
                    let status = response.status();
                    (status, response.json::<Value>().await.unwrap())
                })
            })
            .collect();
        let mut converted = 0;
        for task in tasks {
            let (status, body) = task.await.unwrap();
            match status {
                StatusCode::CREATED => converted += 1,
                StatusCode::CONFLICT => assert_eq!(body["code"], "lead_already_converted", "{body}"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!(converted, 1, "exactly one conversion wins");
    }
}
