//! The log is for operators: it must never hold personal data.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::process::{cli, Node};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_hold_request_facts_but_no_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("logs.db").display());
    let key = cli(&db, &["firms", "create", "--name", "Quiet Logs"])["admin_key"]["secret"].as_str().unwrap().to_string();
    let log = dir.path().join("server.log");
    let node = Node::start_logging(&db, &log).await;
    let http = reqwest::Client::new();
    let secret_bits = ["zelda.private@example.com", "+16615550199", "Confidential divorce matter", "Zeldanna"];
    let body = json!({
        "first_name": "Zeldanna", "last_name": "Quill", "email": secret_bits[0],
        "phone": "(661) 555-0199", "notes": secret_bits[2]
    });
    let created = http
        .post(format!("{}/v1/clients", node.base))
        .header("X-Api-Key", &key)
        .header("X-Request-Id", "trace-me-123")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    // Searches and failures carry personal data in the query and body too.
    let search = http.get(format!("{}/v1/clients?q=zelda.private@example.com", node.base)).header("X-Api-Key", &key).send().await.unwrap();
    assert_eq!(search.status(), StatusCode::OK);
    let dup = http.post(format!("{}/v1/clients", node.base)).header("X-Api-Key", &key).json(&body).send().await.unwrap();
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    let bad = http
        .post(format!("{}/v1/clients", node.base))
        .header("X-Api-Key", &key)
        .header("Content-Type", "application/json")
        .body(format!("{{\"first_name\": \"{}\", ", secret_bits[3]))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    drop(node);

    let text = std::fs::read_to_string(&log).unwrap();
    for bit in secret_bits {
        assert!(!text.contains(bit), "the log contains `{bit}`:\n{text}");
    }
    assert!(!text.contains(&key), "the log contains the API key");
    // What it should hold: one JSON line per request with its facts.
    let lines: Vec<Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let traced = lines.iter().find(|l| l["request_id"] == "trace-me-123").expect("the request's log line");
    assert_eq!(traced["route"], "/v1/clients");
    assert_eq!(traced["status"], 201);
    assert!(traced["latency_ms"].is_number());
}
