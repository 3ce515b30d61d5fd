//! Reading a client by id after it changes. The SQLite store answers clients
//! it has read before from memory (src/store/sqlite/client_cache.rs), so each
//! test here reads the client first and then checks that every later change
//! shows at once, to its own firm only.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{expect_problem, expect_status, TestApp};
use crate::support::{id, path_of};

crate::store_tests!(
    a_read_client_shows_each_later_change_at_once,
    a_read_client_is_404_once_deleted_and_back_once_restored,
    a_read_client_stays_404_to_another_firm,
    a_read_clients_matters_count_follows_its_matters,
    reads_racing_writes_see_each_acknowledged_write_and_never_an_older_one,
);

async fn read(app: &TestApp, path: &str) -> Value {
    read_with(app, path, &app.admin_key).await
}

async fn read_with(app: &TestApp, path: &str, key: &str) -> Value {
    expect_status(app.get(path, key).await, StatusCode::OK).await["data"].clone()
}

async fn a_read_client_shows_each_later_change_at_once(app: TestApp) {
    let path = path_of(&app.person("Ann", "Lee").await);
    assert_eq!(read(&app, &path).await["version"], 1);
    for (i, notes) in ["first", "second", "third"].iter().enumerate() {
        expect_status(app.patch(&path, &app.admin_key, &json!({"notes": notes})).await, StatusCode::OK).await;
        let now = read(&app, &path).await;
        assert_eq!((now["notes"].as_str(), now["version"].as_i64()), (Some(*notes), Some(i as i64 + 2)), "{now}");
    }
    expect_status(app.put(&path, &app.admin_key, &json!({"first_name": "Ann", "last_name": "Moss"})).await, StatusCode::OK).await;
    let replaced = read(&app, &path).await;
    assert_eq!((replaced["last_name"].as_str(), replaced["notes"].as_str()), (Some("Moss"), None), "{replaced}");
    // A note on the client leaves it as it was.
    expect_status(app.post(&format!("{path}/notes"), &app.admin_key, &json!({"body": "Called"})).await, StatusCode::CREATED).await;
    assert_eq!(read(&app, &path).await, replaced);
}

async fn a_read_client_is_404_once_deleted_and_back_once_restored(app: TestApp) {
    let path = path_of(&app.person("Bo", "Ek").await);
    read(&app, &path).await;
    expect_status(app.delete(&path, &app.admin_key).await, StatusCode::NO_CONTENT).await;
    expect_problem(app.get(&path, &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_status(app.post(&format!("{path}/restore"), &app.admin_key, &json!({})).await, StatusCode::OK).await;
    assert_eq!(read(&app, &path).await["version"], 3);
}

async fn a_read_client_stays_404_to_another_firm(app: TestApp) {
    let other = app.other_firm().await;
    let path = path_of(&app.person("Cy", "Ng").await);
    let before = read(&app, &path).await;
    expect_problem(app.get(&path, &other).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_problem(app.patch(&path, &other, &json!({"notes": "mine"})).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_problem(app.delete(&path, &other).await, StatusCode::NOT_FOUND, "not_found").await;
    // The owner's read, made before and after, is unchanged by any of it.
    assert_eq!(read(&app, &path).await, before);
    expect_problem(app.get(&path, &other).await, StatusCode::NOT_FOUND, "not_found").await;
}

async fn a_read_clients_matters_count_follows_its_matters(app: TestApp) {
    let (ann, bo) = (app.person("Ann", "Lee").await, app.person("Bo", "Ek").await);
    let count = |path: String| {
        let app = &app;
        async move { read(app, &path).await["matters_count"].as_i64().expect("matters_count") }
    };
    assert_eq!(count(path_of(&ann)).await, 0);
    let matter = expect_status(app.post("/v1/matters", &app.admin_key, &json!({"client_id": id(&ann), "title": "Sale"})).await, StatusCode::CREATED).await["data"].clone();
    assert_eq!(count(path_of(&ann)).await, 1);
    let matter_path = format!("/v1/matters/{}", id(&matter));
    assert_eq!(count(path_of(&bo)).await, 0);
    // Moving the matter changes both clients' counts.
    expect_status(app.patch(&matter_path, &app.admin_key, &json!({"client_id": id(&bo)})).await, StatusCode::OK).await;
    assert_eq!((count(path_of(&ann)).await, count(path_of(&bo)).await), (0, 1));
    expect_status(app.delete(&matter_path, &app.admin_key).await, StatusCode::NO_CONTENT).await;
    assert_eq!(count(path_of(&bo)).await, 0);
}

/// Readers poll one client while a writer patches it. Every read that starts
/// after a PATCH was acknowledged shows that PATCH or a later one, and no
/// reader ever sees a version older than one it saw before (a read that raced
/// a write must not leave the replaced client behind to be served later).
async fn reads_racing_writes_see_each_acknowledged_write_and_never_an_older_one(app: TestApp) {
    let app = Arc::new(app);
    let path = path_of(&app.person("Di", "Fox").await);
    // The readers read as fast as they can: past the default rate limit.
    let body = json!({"name": "poller", "scopes": ["clients:read"], "rate_limit_per_minute": 1_000_000});
    let created = expect_status(app.post("/v1/api-keys", &app.admin_key, &body).await, StatusCode::CREATED).await;
    let poller = created["data"]["secret"].as_str().expect("secret").to_string();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (app, path, done, key) = (app.clone(), path.clone(), done.clone(), poller.clone());
            tokio::spawn(async move {
                let mut last = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let version = read_with(&app, &path, &key).await["version"].as_i64().expect("version");
                    assert!(version >= last, "read version {version} after {last}");
                    last = version;
                }
            })
        })
        .collect();
    for i in 0..40 {
        let written = expect_status(app.patch(&path, &app.admin_key, &json!({"notes": format!("n{i}")})).await, StatusCode::OK).await;
        let version = written["data"]["version"].as_i64().expect("version");
        let seen = read(&app, &path).await;
        assert!(seen["version"].as_i64() >= Some(version), "acknowledged version {version}, then read {seen}");
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    for reader in readers {
        reader.await.expect("reader");
    }
}
