//! PostgreSQL numbers a firm's events after their writes commit. A write that
//! loses the database between its commit and the numbering leaves its event
//! unnumbered; it must be numbered, in order and without a gap, before any
//! reader sees anything after it.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::process::{cli, connect, Database, Node};

/// Undoes the numbering of the firm's latest event: the state a write leaves
/// when the database goes away right after its commit.
async fn unnumber_latest(db: &tokio_postgres::Client) {
    db.batch_execute(
        "UPDATE events SET firm_seq = NULL WHERE (firm_id, firm_seq) IN (SELECT firm_id, max(firm_seq) FROM events GROUP BY firm_id);
         UPDATE firms SET event_seq = event_seq - 1;",
    )
    .await
    .expect("unnumber the latest event");
}

async fn events(http: &reqwest::Client, node: &Node, key: &str) -> Vec<Value> {
    let response = http.get(format!("{}/v1/events?limit=500", node.base)).header("X-Api-Key", key).send().await.expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.expect("json")["data"].as_array().expect("data").clone()
}

async fn create(http: &reqwest::Client, node: &Node, key: &str, last: &str) -> String {
    let body = json!({"first_name": "Ada", "last_name": last});
    let response = http.post(format!("{}/v1/clients", node.base)).header("X-Api-Key", key).json(&body).send().await.expect("send");
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.expect("json")["data"]["id"].as_str().expect("id").to_string()
}

fn assert_contiguous(log: &[Value]) {
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().expect("seq")).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "events numbered 1, 2, 3, … without gaps");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_left_unnumbered_is_numbered_before_anything_after_it_is_read() {
    let db = Database::create().await;
    cli(&db.url, &["migrate"]);
    let firm = cli(&db.url, &["firms", "create", "--name", "Numbering LLP"]);
    let key = firm["admin_key"]["secret"].as_str().expect("secret").to_string();
    let node = Node::start(&db.url, &[]).await;
    let http = reqwest::Client::new();
    let sql = connect(&db.url).await;

    // Read path: the unnumbered event is numbered by the next read of the log.
    let first = create(&http, &node, &key, "First").await;
    let before = events(&http, &node, &key).await;
    unnumber_latest(&sql).await;
    let after = events(&http, &node, &key).await;
    assert_eq!(after, before, "the same events with the same numbers");
    assert_eq!(after.last().expect("events")["resource_id"], first.as_str());

    // Write path: the next write in the firm numbers it first, then its own.
    let second = create(&http, &node, &key, "Second").await;
    unnumber_latest(&sql).await;
    unnumber_latest(&sql).await;
    let third = create(&http, &node, &key, "Third").await;
    let log = events(&http, &node, &key).await;
    assert_contiguous(&log);
    let last_three: Vec<&str> = log[log.len() - 3..].iter().map(|e| e["resource_id"].as_str().expect("resource_id")).collect();
    assert_eq!(last_three, [first.as_str(), second.as_str(), third.as_str()], "in the order they were written");
}
