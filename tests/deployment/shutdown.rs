//! SIGTERM drains: requests already being served are answered, the process
//! exits cleanly, and every acknowledged write is there after a restart.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::process::{cli, Node};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_answers_in_flight_requests_then_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("drain.db").display());
    let firm = cli(&url, &["firms", "create", "--name", "Draining"]);
    let key = firm["admin_key"]["secret"].as_str().unwrap().to_string();
    let mut node = Node::start(&url, &[]).await;
    let http = reqwest::Client::new();
    let writers: Vec<_> = (0..60)
        .map(|i| {
            let (http, base, key) = (http.clone(), node.base.clone(), key.clone());
            tokio::spawn(async move {
                let body = json!({"first_name": "Drain", "last_name": format!("N{i}")});
                let response = http.post(format!("{base}/v1/clients")).header("x-api-key", key).json(&body).send().await;
                match response {
                    Ok(r) => {
                        let status = r.status();
                        let body: Value = r.json().await.unwrap_or(Value::Null);
                        Some((status, body))
                    }
                    // Not accepted before the listener closed: never acknowledged.
                    Err(e) => {
                        assert!(e.is_connect() || e.is_request(), "unexpected failure: {e}");
                        None
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(15)).await;
    let status = node.terminate(Duration::from_secs(15));
    assert!(status.success(), "exit status {status}");
    let mut acknowledged = Vec::new();
    for writer in writers {
        if let Some((status, body)) = writer.await.unwrap() {
            assert_eq!(status, StatusCode::CREATED, "an in-flight request was not answered properly: {body}");
            acknowledged.push(body["data"]["id"].as_str().unwrap().to_string());
        }
    }
    drop(node);
    let restarted = Node::start(&url, &[]).await;
    for id in &acknowledged {
        let response = http.get(format!("{}/v1/clients/{id}", restarted.base)).header("x-api-key", &key).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "acknowledged {id} is missing after the restart");
    }
}
