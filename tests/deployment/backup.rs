//! The SQLite online backup documented in docs/deployment.md.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::process::{cli, Node, BIN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_online_backup_copies_a_live_database() {
    let dir = tempfile::tempdir().unwrap();
    let live = format!("sqlite://{}", dir.path().join("live.db").display());
    let firm = cli(&live, &["firms", "create", "--name", "Backed Up"]);
    let key = firm["admin_key"]["secret"].as_str().unwrap().to_string();
    let node = Node::start(&live, &[]).await;
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for i in 0..25 {
        let response = http
            .post(format!("{}/v1/clients", node.base))
            .header("X-Api-Key", &key)
            .json(&json!({"first_name": "Saved", "last_name": format!("N{i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        ids.push(response.json::<Value>().await.unwrap()["data"]["id"].as_str().unwrap().to_string());
    }

    // While the node keeps serving.
    let copy = dir.path().join("copy.db");
    let output = Command::new(BIN).args(["backup", "--to", copy.to_str().unwrap(), "--database-url", &live]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    drop(node);

    let restored = Node::start(&format!("sqlite://{}", copy.display()), &[]).await;
    for id in &ids {
        let response = http.get(format!("{}/v1/clients/{id}", restored.base)).header("X-Api-Key", &key).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{id} missing from the backup");
    }
    // Backing up onto an existing file is refused rather than overwriting it.
    let again = Command::new(BIN).args(["backup", "--to", copy.to_str().unwrap(), "--database-url", &live]).output().unwrap();
    assert!(!again.status.success());
}
