//! Webhooks as a deployment: real server processes delivering to a real
//! receiver on 127.0.0.1. A server killed with `kill -9` in the middle of
//! deliveries loses no committed event once it is back, and never sends one
//! that did not commit; two nodes on one PostgreSQL share the work so that,
//! when nothing fails, every event arrives exactly once.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::process::{cli, Database, Node};
use crate::services::receiver::{Received, Receiver};

/// Quick retries, so a delivery whose attempt died with its node is not
/// waited for long: past the lease, the schedule applies as usual.
const RETRY_SCHEDULE: &str = "200ms,200ms,500ms,1s,1s,2s,2s,5s";

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(15)).build().expect("HTTP client")
}

/// The admin key of a new firm, made with the CLI as an operator would.
fn new_firm(database_url: &str, name: &str) -> String {
    let firm = cli(database_url, &["firms", "create", "--name", name]);
    firm["admin_key"]["secret"].as_str().expect("admin key secret").to_string()
}

async fn create_webhook(http: &reqwest::Client, base: &str, key: &str, url: &str, events: &[&str]) -> String {
    let response = http
        .post(format!("{base}/v1/webhooks"))
        .header("X-Api-Key", key)
        .json(&json!({"url": url, "events": events}))
        .send()
        .await
        .expect("send");
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["data"]["id"].as_str().expect("webhook id").to_string()
}

/// The firm's whole event log, every page, oldest first: what committed.
async fn committed_events(http: &reqwest::Client, base: &str, key: &str) -> Vec<Value> {
    let mut events: Vec<Value> = Vec::new();
    let mut after = 0;
    loop {
        let response =
            http.get(format!("{base}/v1/events?after={after}&limit=500")).header("X-Api-Key", key).send().await.expect("send");
        let status = response.status();
        let page: Value = response.json().await.expect("json");
        assert_eq!(status, StatusCode::OK, "{page}");
        events.extend(page["data"].as_array().expect("data").iter().cloned());
        if !page["pagination"]["has_more"].as_bool().expect("has_more") {
            break;
        }
        after = events.last().expect("a page with more has events")["seq"].as_i64().expect("seq");
    }
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().expect("seq")).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "the log is numbered 1, 2, 3, … without gaps");
    events
}

/// The subscription's whole delivery log, every page.
async fn delivery_log(http: &reqwest::Client, base: &str, key: &str, webhook: &str) -> Vec<Value> {
    let mut deliveries = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/v1/webhooks/{webhook}/deliveries?limit=100");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let response = http.get(url).header("X-Api-Key", key).send().await.expect("send");
        let status = response.status();
        let page: Value = response.json().await.expect("json");
        assert_eq!(status, StatusCode::OK, "{page}");
        deliveries.extend(page["data"].as_array().expect("data").iter().cloned());
        match page["pagination"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    deliveries
}

/// Waits (at most `limit`) until nothing is pending in the subscription's
/// delivery log: every attempt, including those whose node died, was made
/// again and its outcome written.
async fn wait_until_nothing_pending(http: &reqwest::Client, base: &str, key: &str, webhook: &str, limit: Duration) {
    let started = Instant::now();
    loop {
        let response = http
            .get(format!("{base}/v1/webhooks/{webhook}/deliveries?status=pending&limit=100"))
            .header("X-Api-Key", key)
            .send()
            .await
            .expect("send");
        let page: Value = response.json().await.expect("json");
        let pending = page["data"].as_array().expect("data");
        if pending.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "{} deliveries still pending after {limit:?}, e.g. {}",
            pending.len(),
            pending.iter().take(3).map(Value::to_string).collect::<Vec<_>>().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn event_seq(r: &Received) -> i64 {
    r.json()["data"]["event_seq"].as_i64().unwrap_or_else(|| panic!("a delivery without data.event_seq: {}", r.body))
}

/// Waits (at most `limit`) until the receiver has seen every one of `seqs`.
async fn wait_until_received(receiver: &Receiver, seqs: &BTreeSet<i64>, limit: Duration) -> Vec<Received> {
    let started = Instant::now();
    loop {
        let got = receiver.received();
        let seen: BTreeSet<i64> = got.iter().map(event_seq).collect();
        let missing: Vec<i64> = seqs.difference(&seen).copied().collect();
        if missing.is_empty() {
            return got;
        }
        assert!(
            started.elapsed() < limit,
            "after {limit:?} the receiver has not seen {} of {} committed events (event_seq {missing:?}); it got {} requests",
            missing.len(),
            seqs.len(),
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks each received request against the log: its event is in the log
/// (nothing that did not commit is sent), with the same type and record.
fn assert_matches_log(got: &[Received], log: &BTreeMap<i64, Value>) {
    for r in got {
        let body = r.json();
        let seq = event_seq(r);
        let event = log.get(&seq).unwrap_or_else(|| panic!("a delivery for event_seq {seq}, which is not in the event log: {}", r.body));
        assert_eq!(body["type"], event["type"], "delivery {} vs event {event}", r.body);
        assert_eq!(body["data"]["resource_id"], event["resource_id"], "delivery {} vs event {event}", r.body);
        assert!(r.header("webhook-id").starts_with("msg_"), "webhook-id {:?}", r.header("webhook-id"));
    }
}

/// The webhook-ids each event arrived with.
fn ids_by_seq(got: &[Received]) -> BTreeMap<i64, BTreeSet<String>> {
    let mut ids: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for r in got {
        ids.entry(event_seq(r)).or_default().insert(r.header("webhook-id").to_string());
    }
    ids
}

// ---------------------------------------------------------------------------
// kill -9 in the middle of deliveries
// ---------------------------------------------------------------------------

/// Client creates the writers aim to have acknowledged.
const CREATES: usize = 150;
const WRITERS: usize = 4;
/// The server is killed once this many creates were acknowledged.
const KILL_AFTER: usize = 50;
/// Each writer's pause after an acknowledged create.
const PACE: Duration = Duration::from_millis(20);

async fn kill_9_during_delivery_loses_no_event(database_url: &str) {
    let began = Instant::now();
    let key = new_firm(database_url, "Killed Mid-Delivery LLP");
    let receiver = Receiver::start().await;
    // Slow answers, so attempts are in flight (up to the per-subscription
    // limit) and a backlog is queued whenever the server is killed.
    receiver.delay(Duration::from_millis(50));
    // The lease of a claimed delivery is twice the timeout plus 10 s; a
    // short timeout keeps the wait for the dead node's leases to 12 s.
    let flags = [
        "--webhook-allow-hosts",
        "127.0.0.1",
        "--webhook-retry-schedule",
        RETRY_SCHEDULE,
        "--webhook-timeout-ms",
        "1000",
        "--webhook-poll-ms",
        "50",
        "--rate-limit-per-minute",
        "1000000",
    ];
    let node = Node::start(database_url, &flags).await;
    let http = http();
    let webhook = create_webhook(&http, &node.base, &key, &receiver.url, &["client.*"]).await;

    // Writers keep creating clients through whichever node is up until
    // CREATES were acknowledged. A request cut off by the kill is not
    // acknowledged; it may or may not have committed, and the log says which.
    let base = Arc::new(RwLock::new(node.base.clone()));
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (http, base, acknowledged, key) = (http.clone(), base.clone(), acknowledged.clone(), key.clone());
            tokio::spawn(async move {
                let mut cut_off = 0;
                for n in 0.. {
                    if acknowledged.lock().unwrap().len() >= CREATES {
                        break;
                    }
                    assert!(began.elapsed() < Duration::from_secs(60), "writer {w}: the creates took over 60 s");
                    let to = base.read().unwrap().clone();
                    let body = json!({"first_name": "Killed", "last_name": format!("W{w}N{n}")});
                    match http.post(format!("{to}/v1/clients")).header("X-Api-Key", &key).json(&body).send().await {
                        Ok(response) => {
                            let status = response.status();
                            let body: Value = response.json().await.unwrap_or(Value::Null);
                            assert_eq!(status, StatusCode::CREATED, "writer {w}: {body}");
                            acknowledged.lock().unwrap().push(body["data"]["id"].as_str().expect("client id").to_string());
                            // Paced (about 150 a second in all), so the kill
                            // comes part-way through the writes.
                            tokio::time::sleep(PACE).await;
                        }
                        Err(_) => {
                            // The server is down (killed) or was killed under this request.
                            cut_off += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
                cut_off
            })
        })
        .collect();

    // Part-way, with deliveries arriving and more queued: kill -9. Dropping
    // the node sends SIGKILL (`Child::kill`) and reaps it; the process gets
    // no chance to finish an attempt or write an outcome.
    let wait_started = Instant::now();
    while acknowledged.lock().unwrap().len() < KILL_AFTER || receiver.received().len() < 10 {
        assert!(wait_started.elapsed() < Duration::from_secs(30), "no deliveries under way within 30 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let acknowledged_at_kill = acknowledged.lock().unwrap().len();
    drop(node);
    assert!(acknowledged_at_kill < CREATES - 2 * WRITERS, "the writes were over before the kill ({acknowledged_at_kill} acknowledged)");
    let killed_at = Instant::now();
    let received_at_kill = receiver.received().len();

    // Restart on the same database (on SQLite, the kernel let go of the dead
    // server's lock on the file).
    let node = Node::start(database_url, &flags).await;
    *base.write().unwrap() = node.base.clone();
    let mut cut_off = 0;
    for writer in writers {
        cut_off += writer.await.expect("writer");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let writes_done = began.elapsed();

    // What committed: every client.* event in the log. Each acknowledged
    // create is among them.
    let log: BTreeMap<i64, Value> =
        committed_events(&http, &node.base, &key).await.into_iter().map(|e| (e["seq"].as_i64().expect("seq"), e)).collect();
    let wanted: BTreeSet<i64> =
        log.iter().filter(|(_, e)| e["type"].as_str().expect("type").starts_with("client.")).map(|(seq, _)| *seq).collect();
    let created: BTreeSet<&str> = log.values().filter(|e| e["type"] == "client.created").map(|e| e["resource_id"].as_str().unwrap()).collect();
    for id in &acknowledged {
        assert!(created.contains(id.as_str()), "acknowledged client {id} has no client.created in the log");
    }

    // Every committed event arrives, at least once.
    wait_until_received(&receiver, &wanted, Duration::from_secs(60)).await;
    let all_seen = killed_at.elapsed();
    // And the dead node's claims, once their leases ran out, were attempted
    // again and their outcomes written: nothing is left pending.
    wait_until_nothing_pending(&http, &node.base, &key, &webhook, Duration::from_secs(60)).await;
    // Everything received by now (a superset of what was waited for).
    let got = receiver.settle(Duration::from_millis(300)).await;

    assert_matches_log(&got, &log);
    let seen: BTreeSet<i64> = got.iter().map(event_seq).collect();
    assert_eq!(seen, wanted, "the receiver got exactly the committed client.* events");

    // One delivery per event and subscription, also across the kill: a
    // duplicate is the same delivery again (same webhook-id).
    let ids = ids_by_seq(&got);
    for (seq, ids) in &ids {
        assert_eq!(ids.len(), 1, "event_seq {seq} arrived as {} different deliveries: {ids:?}", ids.len());
    }
    // The delivery log agrees: one delivery per committed event, all delivered.
    let deliveries = delivery_log(&http, &node.base, &key, &webhook).await;
    let mut logged: Vec<i64> = deliveries.iter().map(|d| d["event_seq"].as_i64().expect("event_seq")).collect();
    logged.sort_unstable();
    assert_eq!(logged, wanted.iter().copied().collect::<Vec<_>>(), "one delivery per committed event in the delivery log");
    for d in &deliveries {
        assert_eq!(d["status"], "delivered", "{d}");
        let id = d["id"].as_str().unwrap();
        assert!(ids[&d["event_seq"].as_i64().unwrap()].contains(id), "delivery {id} is not what the receiver got");
    }

    // Duplicates are allowed: they are the at-least-once case, an attempt in
    // flight at the kill (the receiver may have had it, but no outcome was
    // written) made again once its lease ran out.
    let duplicates = got.len() - seen.len();
    let retried_after_kill: usize = deliveries.iter().filter(|d| d["attempt_count"].as_i64() != Some(1)).count();
    eprintln!(
        "kill -9 on {}: {} creates acknowledged ({} at the kill, {} requests cut off); {} committed client events; \
         {} requests received ({} at the kill), {} duplicates (event_seqs {:?}); {} deliveries with more than one \
         recorded attempt; writes took {:?}, every event seen {:?} after the kill, {:?} in all",
        if database_url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" },
        acknowledged.len(),
        acknowledged_at_kill,
        cut_off,
        wanted.len(),
        got.len(),
        received_at_kill,
        duplicates,
        got.iter().map(event_seq).fold(BTreeMap::<i64, usize>::new(), |mut m, s| {
            *m.entry(s).or_default() += 1;
            m
        })
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(s, _)| s)
        .collect::<Vec<_>>(),
        retried_after_kill,
        writes_done,
        all_seen,
        began.elapsed(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_delivery_loses_no_event_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("killed.db").display());
    kill_9_during_delivery_loses_no_event(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_delivery_loses_no_event_on_postgres() {
    let db = Database::create().await;
    cli(&db.url, &["migrate"]);
    kill_9_during_delivery_loses_no_event(&db.url).await;
}

// ---------------------------------------------------------------------------
// Two nodes on one PostgreSQL
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_deliver_every_event_once_on_postgres() {
    let began = Instant::now();
    let db = Database::create().await;
    cli(&db.url, &["migrate"]);
    let key = new_firm(&db.url, "Two Dispatchers LLP");
    let receiver = Receiver::start().await;
    let flags = ["--webhook-allow-hosts", "127.0.0.1", "--webhook-poll-ms", "50", "--rate-limit-per-minute", "1000000"];
    let nodes = Arc::new(vec![Node::start(&db.url, &flags).await, Node::start(&db.url, &flags).await]);
    let http = http();
    let webhook = create_webhook(&http, &nodes[0].base, &key, &receiver.url, &["*"]).await;

    // 300 changes, alternately through each node, 8 at a time: 100 creates,
    // then 2 patches of each client.
    const CLIENTS: usize = 100;
    const PATCHES: usize = 200;
    let send = |i: usize, method: reqwest::Method, path: String, body: Value| {
        let (http, nodes, key) = (http.clone(), nodes.clone(), key.clone());
        async move {
            let response =
                http.request(method, format!("{}{path}", nodes[i % 2].base)).header("X-Api-Key", key).json(&body).send().await.expect("send");
            let status = response.status();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let mut clients = Vec::new();
    for chunk in (0..CLIENTS).collect::<Vec<_>>().chunks(8) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|&i| tokio::spawn(send(i, reqwest::Method::POST, "/v1/clients".into(), json!({"first_name": "Twice", "last_name": format!("N{i}")}))))
            .collect();
        for task in batch {
            let (status, body) = task.await.unwrap();
            assert_eq!(status, StatusCode::CREATED, "{body}");
            clients.push(body["data"]["id"].as_str().expect("client id").to_string());
        }
    }
    for chunk in (0..PATCHES).collect::<Vec<_>>().chunks(8) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|&i| {
                let path = format!("/v1/clients/{}", clients[i % CLIENTS]);
                tokio::spawn(send(i, reqwest::Method::PATCH, path, json!({"notes": format!("change {i}")})))
            })
            .collect();
        for task in batch {
            let (status, body) = task.await.unwrap();
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }
    let writes_done = began.elapsed();

    // Every event after the subscription's own creation is sent to it.
    let events = committed_events(&http, &nodes[1].base, &key).await;
    let created = events
        .iter()
        .find(|e| e["type"] == "webhook.created" && e["resource_id"] == webhook.as_str())
        .expect("the webhook.created event")["seq"]
        .as_i64()
        .unwrap();
    let log: BTreeMap<i64, Value> = events.into_iter().map(|e| (e["seq"].as_i64().unwrap(), e)).collect();
    let wanted: BTreeSet<i64> = log.keys().copied().filter(|seq| *seq > created).collect();
    assert_eq!(wanted.len(), CLIENTS + PATCHES, "one event per change");

    receiver.wait_for(wanted.len(), Duration::from_secs(60)).await;
    wait_until_received(&receiver, &wanted, Duration::from_secs(60)).await;
    let all_seen = began.elapsed();
    wait_until_nothing_pending(&http, &nodes[0].base, &key, &webhook, Duration::from_secs(30)).await;
    // A little longer than several polls, so a second attempt of anything
    // would have shown.
    let got = receiver.settle(Duration::from_millis(1500)).await;

    assert_matches_log(&got, &log);
    let mut by_seq: HashMap<i64, usize> = HashMap::new();
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for r in &got {
        *by_seq.entry(event_seq(r)).or_default() += 1;
        *by_id.entry(r.header("webhook-id")).or_default() += 1;
    }
    let twice_by_seq: Vec<_> = by_seq.iter().filter(|(_, n)| **n > 1).collect();
    let twice_by_id: Vec<_> = by_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice_by_seq.is_empty(), "event_seqs that arrived more than once (seq, times): {twice_by_seq:?}");
    assert!(twice_by_id.is_empty(), "webhook-ids that arrived more than once (id, times): {twice_by_id:?}");
    assert_eq!(by_seq.keys().copied().collect::<BTreeSet<_>>(), wanted, "every committed event, and nothing else");
    assert_eq!(got.len(), wanted.len());
    assert_eq!(by_id.len(), wanted.len(), "one webhook-id per event");

    // The delivery log agrees: each delivered at the first attempt.
    let deliveries = delivery_log(&http, &nodes[1].base, &key, &webhook).await;
    assert_eq!(deliveries.len(), wanted.len(), "one delivery per event");
    for d in &deliveries {
        assert_eq!(d["status"], "delivered", "{d}");
        assert_eq!(d["attempt_count"], 1, "{d}");
    }

    // Who made the attempts: each node counts its own outcomes.
    let mut delivered_by = Vec::new();
    for node in nodes.iter() {
        let text = http.get(format!("{}/metrics", node.base)).send().await.expect("metrics").text().await.expect("text");
        let line = text.lines().find(|l| l.starts_with("clientele_webhook_attempts_total{outcome=\"delivered\"}"));
        let n: u64 = line.and_then(|l| l.rsplit(' ').next()).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no delivered count in\n{text}"));
        delivered_by.push(n);
    }
    assert_eq!(delivered_by.iter().sum::<u64>(), wanted.len() as u64, "attempts by node {delivered_by:?}");
    eprintln!(
        "two nodes: {} events, {} requests received, 0 duplicates; delivered by node: {delivered_by:?}; \
         writes took {writes_done:?}, every event seen at {all_seen:?}, {:?} in all",
        wanted.len(),
        got.len(),
        began.elapsed()
    );
}
