//! Two stateless nodes on one PostgreSQL behave as one server.

use std::collections::HashSet;
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::process::{cli, Database, Node};

struct Cluster {
    nodes: Vec<Node>,
    key: String,
    http: reqwest::Client,
    _db: Database,
}

impl Cluster {
    async fn start() -> Arc<Self> {
        let db = Database::create().await;
        cli(&db.url, &["migrate"]);
        let firm = cli(&db.url, &["firms", "create", "--name", "Two Nodes LLP"]);
        let key = firm["admin_key"]["secret"].as_str().expect("secret").to_string();
        let nodes = vec![Node::start(&db.url, &[]).await, Node::start(&db.url, &[]).await];
        Arc::new(Self { nodes, key, http: reqwest::Client::new(), _db: db })
    }

    /// Request `i` goes to node `i % 2`, so concurrent requests hit both.
    fn url(&self, i: usize, path: &str) -> String {
        format!("{}{path}", self.nodes[i % self.nodes.len()].base)
    }

    async fn send(&self, i: usize, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(i, path)).header("X-Api-Key", &self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("send");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_keep_emails_unique_versions_intact_and_events_in_one_order() {
    let cluster = Cluster::start().await;

    // Unique primary emails: 40 concurrent creates of one address through both nodes.
    let creates: Vec<_> = (0..40)
        .map(|i| {
            let c = cluster.clone();
            tokio::spawn(async move {
                let body = json!({"first_name": "Twin", "last_name": format!("{i}"), "email": "twin@example.com"});
                c.send(i, reqwest::Method::POST, "/v1/clients", Some(body)).await.0
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in creates {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT), "{statuses:?}");

    // No lost update: 30 merge patches, each adding its own key, through both nodes.
    let (_, created) = cluster.send(0, reqwest::Method::POST, "/v1/clients", Some(json!({"first_name": "Hot", "last_name": "Record"}))).await;
    let path = format!("/v1/clients/{}", created["data"]["id"].as_str().unwrap());
    let patches: Vec<_> = (0..30)
        .map(|i| {
            let (c, path) = (cluster.clone(), path.clone());
            tokio::spawn(async move {
                let body = json!({"custom_fields": {format!("k{i}"): i}});
                c.send(i, reqwest::Method::PATCH, &path, Some(body)).await.0
            })
        })
        .collect();
    for task in patches {
        assert_eq!(task.await.unwrap(), StatusCode::OK);
    }
    let (_, stored) = cluster.send(1, reqwest::Method::GET, &path, None).await;
    assert_eq!(stored["data"]["version"], 31);
    for i in 0..30 {
        assert_eq!(stored["data"]["custom_fields"][format!("k{i}")], i, "patch {i} lost");
    }

    // Exactly one winner for one If-Match across nodes.
    let contested: Vec<_> = (0..20)
        .map(|i| {
            let (c, path) = (cluster.clone(), path.clone());
            tokio::spawn(async move {
                let response = c
                    .http
                    .patch(c.url(i, &path))
                    .header("X-Api-Key", &c.key)
                    .header("If-Match", "\"31\"")
                    .json(&json!({"notes": format!("node writer {i}")}))
                    .send()
                    .await
                    .unwrap();
                response.status()
            })
        })
        .collect();
    let mut wins = 0;
    for task in contested {
        match task.await.unwrap() {
            StatusCode::OK => wins += 1,
            StatusCode::PRECONDITION_FAILED => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(wins, 1);

    // One order of events per firm: numbered 1..=N with no gap or repeat, the
    // same whichever node is asked.
    let mut seqs = Vec::new();
    let mut after = 0;
    loop {
        let (status, page) = cluster.send(seqs.len(), reqwest::Method::GET, &format!("/v1/events?after={after}&limit=500"), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let events = page["data"].as_array().unwrap();
        seqs.extend(events.iter().map(|e| e["seq"].as_i64().unwrap()));
        if !page["pagination"]["has_more"].as_bool().unwrap() {
            break;
        }
        after = *seqs.last().unwrap();
    }
    let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, expected);
    // firm + key creation, 1 client, 1 more client, 30 patches, 1 contested patch.
    assert_eq!(seqs.len(), 2 + 1 + 1 + 30 + 1);
    let (_, from_other) = cluster.send(1, reqwest::Method::GET, "/v1/events?limit=500", None).await;
    let ids: HashSet<&str> = from_other["data"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), seqs.len());
}
