//! A PostgreSQL restart under load: requests during the outage get a prompt
//! 503 problem, the node recovers by itself, and no acknowledged write is lost.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::process::{cli, Node, PrivateCluster};

/// Outcome of one request made during the run.
struct Outcome {
    status: StatusCode,
    elapsed: Duration,
    body: Value,
    email: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_under_load_gives_503s_then_recovers_without_losing_writes() {
    let pg = PrivateCluster::start();
    let url = pg.url();
    let firm = cli(&url, &["firms", "create", "--name", "Outage & Co"]);
    let key = firm["admin_key"]["secret"].as_str().unwrap().to_string();
    // The writers far exceed the default per-key rate limit; this test is
    // about the store outage, so the limit is lifted out of its way.
    let args = [
        "--db-connect-timeout-ms", "1000", "--db-statement-timeout-ms", "2000", "--db-pool-size", "8",
        "--rate-limit-per-minute", "1000000",
    ];
    let node = Node::start(&url, &args).await;

    let running = Arc::new(AtomicBool::new(true));
    let outcomes = Arc::new(Mutex::new(Vec::<Outcome>::new()));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (running, outcomes, http, key, base) = (running.clone(), outcomes.clone(), http.clone(), key.clone(), node.base.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while running.load(Ordering::Relaxed) {
                    n += 1;
                    let email = format!("w{w}.n{n}@example.com");
                    let started = Instant::now();
                    let response = http
                        .post(format!("{base}/v1/clients"))
                        .header("X-Api-Key", &key)
                        .json(&json!({"first_name": "Load", "last_name": format!("W{w}"), "email": email}))
                        .send()
                        .await
                        .expect("the node answers (no hang, no dropped connection)");
                    let status = response.status();
                    let body = response.json().await.unwrap_or(Value::Null);
                    outcomes.lock().unwrap().push(Outcome { status, elapsed: started.elapsed(), body, email });
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(1)).await;
    pg.down();
    let outage_started = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during: Vec<(StatusCode, Value)> = {
        let all = outcomes.lock().unwrap();
        all.iter().rev().take(8).map(|o| (o.status, o.body.clone())).collect()
    };
    pg.up();
    let outage = outage_started.elapsed();

    // Recovery by itself: a create succeeds again within a few seconds.
    let recovered = async {
        loop {
            let last = outcomes.lock().unwrap().last().map(|o| o.status);
            if last == Some(StatusCode::CREATED) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(15), recovered).await.expect("the node recovers after PostgreSQL returns");
    tokio::time::sleep(Duration::from_millis(500)).await;
    running.store(false, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }

    let outcomes = std::mem::take(&mut *outcomes.lock().unwrap());
    // During the outage: 503 problem+json, never a 500.
    assert!(!during.is_empty());
    for (status, body) in &during {
        assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "during the outage: {body}");
        assert_eq!(body["code"], "service_unavailable");
    }
    assert!(outcomes.iter().all(|o| o.status != StatusCode::INTERNAL_SERVER_ERROR), "a 500 was returned");
    let unexpected: Vec<_> = outcomes
        .iter()
        .filter(|o| o.status != StatusCode::CREATED && o.status != StatusCode::SERVICE_UNAVAILABLE)
        .map(|o| (o.status, o.body.clone()))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
    // Within the request timeouts (connect 1 s + statement 2 s), never a hang.
    let slowest = outcomes.iter().map(|o| o.elapsed).max().unwrap();
    assert!(slowest < Duration::from_secs(8), "slowest request took {slowest:?} (outage {outage:?})");

    // Every acknowledged write is there, as acknowledged.
    let acknowledged: Vec<&Outcome> = outcomes.iter().filter(|o| o.status == StatusCode::CREATED).collect();
    assert!(acknowledged.len() > 10, "too little load to prove anything: {}", acknowledged.len());
    for o in &acknowledged {
        let id = o.body["data"]["id"].as_str().unwrap();
        let response = http.get(format!("{}/v1/clients/{id}", node.base)).header("X-Api-Key", &key).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "acknowledged client {id} is missing");
        let stored: Value = response.json().await.unwrap();
        assert_eq!(stored["data"]["email"], o.email.as_str());
    }
}
