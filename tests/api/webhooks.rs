//! Webhooks over real HTTP, to a real receiver on 127.0.0.1: subscriptions,
//! Standard Webhooks signatures (verified with the `standardwebhooks`
//! library), filters, the loop guard, retries, disabling, the delivery log,
//! the outbound guard, and tenancy.

use std::time::Duration;

use clientele::domain::webhook::{AllowedHosts, RetrySchedule};
use clientele::service::webhooks::WebhookSettings;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{error_fields, expect_problem, expect_status, TestApp};
use crate::services::receiver::{Received, Receiver};
use crate::support::{events, key_id};

crate::store_tests!(
    a_subscription_shows_its_secret_once_and_never_in_events,
    subscription_fields_are_validated,
    a_pattern_that_matches_no_type_lists_the_valid_ones,
    webhook_routes_need_admin,
    another_firms_webhooks_are_not_found,
    a_change_is_delivered_signed_as_standard_webhooks_verifies,
    an_update_carries_the_fields_it_replaced,
    patterns_choose_the_events_sent,
    the_loop_guard_leaves_out_the_excluded_keys_changes,
    a_firms_webhooks_never_see_another_firms_events,
    a_refused_write_sends_nothing,
    failed_attempts_are_retried_with_the_same_webhook_id,
    gone_disables_the_subscription_at_once,
    a_subscription_failing_past_the_limit_is_disabled,
    a_rotated_secret_signs_beside_the_new_one,
    a_ping_is_delivered_signed,
    a_failed_delivery_can_be_sent_again,
    the_delivery_log_filters_by_status_and_pages,
    a_disabled_subscription_is_sent_nothing,
    a_name_that_resolves_to_a_private_address_is_never_connected_to,
    a_slow_receiver_does_not_hold_up_another,
    subscription_changes_are_versioned_and_logged,
    a_clients_history_is_newest_first_and_paged,
    history_needs_the_records_read_scope_and_stays_in_the_firm,
    a_matters_history_outlives_its_deletion,
    events_filter_by_type_resource_type_and_id,
    metrics_show_the_webhook_queue,
    finished_deliveries_are_purged_after_the_firms_retention,
);

const WAIT: Duration = Duration::from_secs(15);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Delivery as the tests want it: local receivers allowed, quick retries.
fn settings() -> WebhookSettings {
    WebhookSettings {
        allowed_hosts: AllowedHosts::new(["127.0.0.1".to_string()]),
        resolve: vec![("rebind.test".to_string(), "127.0.0.2".parse().unwrap())],
        timeout: Duration::from_secs(3),
        schedule: RetrySchedule(vec![ms(100), ms(100), ms(100)]),
        poll: ms(50),
        ..WebhookSettings::default()
    }
}

async fn delivering(app: TestApp) -> TestApp {
    app.with_webhooks(settings()).await
}

/// Subscribes `url` to `events` with the admin key; returns the answer's `data`.
async fn subscribe(app: &TestApp, url: &str, events: Value) -> Value {
    let body = expect_status(app.post("/v1/webhooks", &app.admin_key, &json!({"url": url, "events": events})).await, StatusCode::CREATED).await;
    body["data"].clone()
}

fn secret(webhook: &Value) -> String {
    webhook["secret"].as_str().expect("secret").to_string()
}

fn path(webhook: &Value) -> String {
    format!("/v1/webhooks/{}", webhook["id"].as_str().expect("id"))
}

/// Whether the Standard Webhooks library (as a receiver would use it)
/// accepts this request with this secret.
fn verifies(secret: &str, received: &Received) -> bool {
    use std::io::Write;
    let headers: serde_json::Map<String, Value> =
        ["webhook-id", "webhook-timestamp", "webhook-signature"].iter().map(|h| (h.to_string(), json!(received.header(h)))).collect();
    let input = json!({"secret": secret, "headers": headers, "body": received.body});
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/verify_webhook.py");
    let mut child = std::process::Command::new("python3")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("run python3 scripts/verify_webhook.py");
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let status = child.wait().unwrap();
    assert_ne!(status.code(), Some(2), "install the Standard Webhooks library: pip install standardwebhooks");
    status.success()
}

/// The subscription's deliveries (newest first), once `done` holds for them.
async fn deliveries_when(app: &TestApp, webhook: &Value, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let page = expect_status(app.get(&format!("{}/deliveries", path(webhook)), &app.admin_key).await, StatusCode::OK).await;
        let items = page["data"].as_array().unwrap().clone();
        if done(&items) {
            return items;
        }
        assert!(tokio::time::Instant::now() < deadline, "deliveries never settled: {items:?}");
        tokio::time::sleep(ms(50)).await;
    }
}

async fn webhook_now(app: &TestApp, webhook: &Value) -> Value {
    expect_status(app.get(&path(webhook), &app.admin_key).await, StatusCode::OK).await["data"].clone()
}

async fn a_subscription_shows_its_secret_once_and_never_in_events(app: TestApp) {
    let webhook = subscribe(&app, "https://hooks.example.com/hook", json!(["client.*"])).await;
    let secret = secret(&webhook);
    let raw = secret.strip_prefix("whsec_").expect("whsec_ prefix");
    use base64::Engine;
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(raw).expect("base64").len(), 32);
    assert_eq!(webhook["enabled"], true);
    assert_eq!(webhook["events"], json!(["client.*"]));
    let got = webhook_now(&app, &webhook).await;
    assert!(got.get("secret").is_none(), "{got}");
    let list = expect_status(app.get("/v1/webhooks", &app.admin_key).await, StatusCode::OK).await;
    assert!(!list.to_string().contains(&secret));
    let rotated = expect_status(app.post(&format!("{}/rotate-secret", path(&webhook)), &app.admin_key, &json!({})).await, StatusCode::OK).await;
    let new_secret = rotated["data"]["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    let log = serde_json::to_string(&events(&app, &app.admin_key).await).unwrap();
    assert!(log.contains("webhook.created") && log.contains("webhook.secret_rotated"), "{log}");
    assert!(!log.contains(raw) && !log.contains(new_secret.strip_prefix("whsec_").unwrap()), "a secret is in the audit log");
    let dump = app.dump_tables(&["events"]).await;
    assert!(!dump.contains(raw), "a secret is in the events table");
}

async fn subscription_fields_are_validated(app: TestApp) {
    let cases = [
        (json!({"events": ["*"]}), "url"),
        (json!({"url": "http://127.0.0.1:9/"}), "events"),
        (json!({"url": "http://hooks.example.com/", "events": ["*"]}), "url"),
        (json!({"url": "https://10.0.0.1/", "events": ["*"]}), "url"),
        (json!({"url": "https://169.254.169.254/latest", "events": ["*"]}), "url"),
        (json!({"url": "https://[::1]/", "events": ["*"]}), "url"),
        (json!({"url": "http://127.0.0.2:9/", "events": ["*"]}), "url"),
        (json!({"url": "https://user:pw@hooks.example.com/", "events": ["*"]}), "url"),
        (json!({"url": "ftp://hooks.example.com/", "events": ["*"]}), "url"),
        (json!({"url": 5, "events": ["*"]}), "url"),
        (json!({"url": "https://hooks.example.com/", "events": []}), "events"),
        (json!({"url": "https://hooks.example.com/", "events": "client.*"}), "events"),
        (json!({"url": "https://hooks.example.com/", "events": [7]}), "events[0]"),
        (json!({"url": "https://hooks.example.com/", "events": ["*"], "enabled": "yes"}), "enabled"),
        (json!({"url": "https://hooks.example.com/", "events": ["*"], "exclude_actor_keys": ["nope"]}), "exclude_actor_keys[0]"),
        (json!({"url": "https://hooks.example.com/", "events": ["*"], "description": "x".repeat(501)}), "description"),
        (json!({"url": "https://hooks.example.com/", "events": ["*"], "secret": "whsec_mine"}), "secret"),
        (json!({"url": "https://hooks.example.com/", "events": ["*"], "colour": "red"}), "colour"),
    ];
    for (body, field) in cases {
        let problem = expect_problem(app.post("/v1/webhooks", &app.admin_key, &body).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert!(error_fields(&problem).contains(&field.to_string()), "{body} → {problem}");
    }
    let listed = expect_status(app.get("/v1/webhooks", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(listed["data"], json!([]), "a refused subscription was created");
    let ok = json!({"url": "https://hooks.example.com/x", "events": ["*"], "description": "CRM", "enabled": false});
    let created = expect_status(app.post("/v1/webhooks", &app.admin_key, &ok).await, StatusCode::CREATED).await;
    assert_eq!(created["data"]["enabled"], false);
}

async fn a_pattern_that_matches_no_type_lists_the_valid_ones(app: TestApp) {
    let body = json!({"url": "https://hooks.example.com/", "events": ["client.*", "client.exploded", "invoice.*"]});
    let problem = expect_problem(app.post("/v1/webhooks", &app.admin_key, &body).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert_eq!(problem["errors"][0]["field"], "events");
    assert!(message.contains("client.exploded") && message.contains("invoice.*"), "{message}");
    assert!(message.contains("client.(created|") && message.contains("lead.(converted|") && message.contains("webhook.("), "{message}");
}

async fn webhook_routes_need_admin(app: TestApp) {
    let webhook = subscribe(&app, "https://hooks.example.com/hook", json!(["*"])).await;
    let key = app.key("clients:read,clients:write,matters:read").await;
    let id = path(&webhook);
    let delivery = format!("{id}/deliveries/msg_01JD3M9ZK6Q4T0V8X2Y5B7C9EF");
    let body = json!({"url": "https://hooks.example.com/", "events": ["*"]});
    for (method, route) in [
        (Method::POST, "/v1/webhooks".to_string()),
        (Method::GET, "/v1/webhooks".to_string()),
        (Method::GET, id.clone()),
        (Method::PATCH, id.clone()),
        (Method::DELETE, id.clone()),
        (Method::POST, format!("{id}/rotate-secret")),
        (Method::POST, format!("{id}/ping")),
        (Method::GET, format!("{id}/deliveries")),
        (Method::GET, delivery.clone()),
        (Method::POST, format!("{delivery}/retry")),
    ] {
        let response = app.request(method.clone(), &route, &key).json(&body).send().await.unwrap();
        expect_problem(response, StatusCode::FORBIDDEN, "insufficient_scope").await;
    }
    assert_eq!(webhook_now(&app, &webhook).await["version"], 1, "a refused request changed the subscription");
}

async fn another_firms_webhooks_are_not_found(app: TestApp) {
    let app = delivering(app).await;
    let receiver = Receiver::start().await;
    let webhook = subscribe(&app, &receiver.url, json!(["webhook.*"])).await;
    let ping = expect_status(app.post(&format!("{}/ping", path(&webhook)), &app.admin_key, &json!({})).await, StatusCode::ACCEPTED).await;
    receiver.wait_for(1, WAIT).await;
    let other = app.other_firm().await;
    let id = path(&webhook);
    let delivery = format!("{id}/deliveries/{}", ping["data"]["id"].as_str().unwrap());
    for (method, route) in [
        (Method::GET, id.clone()),
        (Method::PATCH, id.clone()),
        (Method::DELETE, id.clone()),
        (Method::POST, format!("{id}/rotate-secret")),
        (Method::POST, format!("{id}/ping")),
        (Method::GET, format!("{id}/deliveries")),
        (Method::GET, delivery.clone()),
        (Method::POST, format!("{delivery}/retry")),
    ] {
        let response = app.request(method, &route, &other).json(&json!({"enabled": false})).send().await.unwrap();
        expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    let theirs = expect_status(app.get("/v1/webhooks", &other).await, StatusCode::OK).await;
    assert_eq!(theirs["data"], json!([]));
    assert_eq!(webhook_now(&app, &webhook).await["version"], 1);
    assert_eq!(receiver.settle(ms(300)).await.len(), 1, "another firm's ping or retry was sent");
}

async fn a_change_is_delivered_signed_as_standard_webhooks_verifies(app: TestApp) {
    let app = delivering(app).await;
    let receiver = Receiver::start().await;
    let webhook = subscribe(&app, &receiver.url, json!(["client.*"])).await;
    let client = app.person("Ada", "Lovelace").await;
    let got = receiver.wait_for(1, WAIT).await;
    let request = &got[0];
    assert!(verifies(&secret(&webhook), request), "the library refused the signature: {request:?}");
    let mut tampered = request.clone();
    tampered.body = tampered.body.replace("Lovelace", "Byron");
    assert!(!verifies(&secret(&webhook), &tampered), "a changed body still verified");
    assert!(request.header("webhook-id").starts_with("msg_"));
    let timestamp: i64 = request.header("webhook-timestamp").parse().expect("unix seconds");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((now - timestamp).abs() < 60, "{timestamp} vs {now}");
    assert!(request.header("content-type").starts_with("application/json"));
    let body = request.json();
    assert_eq!(body["type"], "client.created");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    let data = &body["data"];
    assert_eq!(data["resource_type"], "client");
    assert_eq!(data["resource_id"], client["id"]);
    assert_eq!(data["object"]["last_name"], "Lovelace");
    assert_eq!(data["previous"], Value::Null);
    assert_eq!(data["actor"]["key_id"], json!(key_id(&app, &app.admin_key).await));
    let log = events(&app, &app.admin_key).await;
    let event = log.iter().find(|e| e["type"] == "client.created").unwrap();
    assert_eq!(data["event_seq"], event["seq"]);
    let deliveries = deliveries_when(&app, &webhook, |d| d.iter().any(|x| x["status"] == "delivered")).await;
    assert_eq!(deliveries[0]["id"], json!(request.header("webhook-id")));
    assert_eq!(deliveries[0]["attempts"][0]["http_status"], 200);
}

async fn an_update_carries_the_fields_it_replaced(app: TestApp) {
    let app = delivering(app).await;
    let receiver = Receiver::start().await;
    let client = app.person("Grace", "Hopper").await;
    subscribe(&app, &receiver.url, json!(["client.updated"])).await;
    let path = format!("/v1/clients/{}", client["id"].as_str().unwrap());
    expect_status(app.patch(&path, &app.admin_key, &json!({"last_name": "Murray", "phone": "+12125550187"})).await, StatusCode::OK).await;
    let body = receiver.wait_for(1, WAIT).await[0].json();
    assert_eq!(body["type"], "client.updated");
    let previous = &body["data"]["previous"];
    assert_eq!(previous["last_name"], "Hopper");
    assert_eq!(previous["version"], 1);
    assert!(previous.get("phone").is_some_and(Value::is_null), "{previous}");
    assert!(previous.get("first_name").is_none(), "an unchanged field is in previous: {previous}");
    assert_eq!(body["data"]["object"]["last_name"], "Murray");
}

async fn patterns_choose_the_events_sent(app: TestApp) {
    let app = delivering(app).await;
    let (matters, everything) = (Receiver::start().await, Receiver::start().await);
    subscribe(&app, &matters.url, json!(["matter.created"])).await;
    subscribe(&app, &everything.url, json!(["*"])).await;
    let client = app.person("Alan", "Turing").await;
    let matter = json!({"client_id": client["id"], "title": "Estate"});
    let matter = expect_status(app.post("/v1/matters", &app.admin_key, &matter).await, StatusCode::CREATED).await;
    let path = format!("/v1/matters/{}", matter["data"]["id"].as_str().unwrap());
    expect_status(app.patch(&path, &app.admin_key, &json!({"title": "Estate of A. T."})).await, StatusCode::OK).await;
    everything.wait_for(3, WAIT).await;
    let types: Vec<Value> = matters.settle(ms(300)).await.iter().map(|r| r.json()["type"].clone()).collect();
    assert_eq!(types, vec![json!("matter.created")]);
    // Several attempts are in flight at once, so arrivals are sorted by event.
    let mut all: Vec<Value> = everything.received().iter().map(|r| r.json()).collect();
    all.sort_by_key(|b| b["data"]["event_seq"].as_i64());
    let all: Vec<&Value> = all.iter().map(|b| &b["type"]).collect();
    assert_eq!(all, vec!["client.created", "matter.created", "matter.updated"], "a subscription is not sent its own creation");
}

async fn the_loop_guard_leaves_out_the_excluded_keys_changes(app: TestApp) {
    let app = delivering(app).await;
    let receiver = Receiver::start().await;
    let integration = app.key("clients:read,clients:write").await;
    let body = json!({"url": receiver.url, "events": ["client.*"], "exclude_actor_keys": [key_id(&app, &integration).await]});
    expect_status(app.post("/v1/webhooks", &app.admin_key, &body).await, StatusCode::CREATED).await;
    let mine = json!({"first_name": "Echo", "last_name": "Back", "email": "echo@example.com"});
    expect_status(app.post("/v1/clients", &integration, &mine).await, StatusCode::CREATED).await;
    let person = app.person("Someone", "Else").await;
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(receiver.settle(ms(300)).await.len(), 1, "the excluded key's change was sent");
    assert_eq!(got[0].json()["data"]["resource_id"], person["id"]);
}

async fn a_firms_webhooks_never_see_another_firms_events(app: TestApp) {
    let app = delivering(app).await;
    let (mine, theirs) = (Receiver::start().await, Receiver::start().await);
    subscribe(&app, &mine.url, json!(["*"])).await;
    let other = app.other_firm().await;
    let body = json!({"url": theirs.url, "events": ["*"]});
    expect_status(app.post("/v1/webhooks", &other, &body).await, StatusCode::CREATED).await;
    let theirs_client = json!({"first_name": "Their", "last_name": "Client"});
    expect_status(app.post("/v1/clients", &other, &theirs_client).await, StatusCode::CREATED).await;
    let my_client = app.person("My", "Client").await;
    mine.wait_for(1, WAIT).await;
    theirs.wait_for(1, WAIT).await;
    let mine_got: Vec<Value> = mine.settle(ms(300)).await.iter().map(|r| r.json()).collect();
    assert_eq!(mine_got.len(), 1, "{mine_got:?}");
    assert_eq!(mine_got[0]["data"]["resource_id"], my_client["id"]);
    let theirs_got = theirs.received();
    assert!(theirs_got.iter().all(|r| !r.body.contains(my_client["id"].as_str().unwrap())), "another firm's change reached this firm's webhook");
}

async fn a_refused_write_sends_nothing(app: TestApp) {
    let app = delivering(app).await;
    let receiver = Receiver::start().await;
    subscribe(&app, &receiver.url, json!(["client.*"])).await;
    let body = json!({"first_name": "Once", "last_name": "Only", "email": "once@example.com"});
    expect_status(app.post("/v1/clients", &app.admin_key, &body).await, StatusCode::CREATED).await;
    let twin = json!({"first_name": "Twice", "last_name": "Never", "email": "ONCE@example.com"});
    expect_problem(app.post("/v1/clients", &app.admin_key, &twin).await, StatusCode::CONFLICT, "duplicate_email").await;
    receiver.wait_for(1, WAIT).await;
    let got = receiver.settle(ms(400)).await;
    assert_eq!(got.len(), 1);
    assert!(!got[0].body.contains("Twice"));
}

async fn failed_attempts_are_retried_with_the_same_webhook_id(app: TestApp) {
    let app = delivering(app).await;
    let receiver = Receiver::start().await;
    receiver.answer_next(&[500, 503]);
    let webhook = subscribe(&app, &receiver.url, json!(["client.created"])).await;
    app.person("Retry", "Me").await;
    let got = receiver.wait_for(3, WAIT).await;
    let ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert!(got.iter().all(|r| verifies(&secret(&webhook), r)));
    let done = deliveries_when(&app, &webhook, |d| d.first().is_some_and(|x| x["status"] == "delivered")).await;
    let attempts = done[0]["attempts"].as_array().unwrap();
    let statuses: Vec<&Value> = attempts.iter().map(|a| &a["http_status"]).collect();
    assert_eq!(statuses, vec![&json!(500), &json!(503), &json!(200)]);
    assert_eq!(done[0]["attempt_count"], 3);
    assert!(attempts.iter().all(|a| a["latency_ms"].is_i64() && a["at"].is_string()));
}

async fn gone_disables_the_subscription_at_once(app: TestApp) {
    let app = delivering(app).await;
    let receiver = Receiver::start().await;
    receiver.answer_always(410);
    let webhook = subscribe(&app, &receiver.url, json!(["client.*"])).await;
    app.person("Gone", "Away").await;
    let done = deliveries_when(&app, &webhook, |d| d.first().is_some_and(|x| x["status"] == "failed")).await;
    assert_eq!(done[0]["attempt_count"], 1, "a 410 was retried");
    // The outcome is written first, then the subscription turned off.
    let deadline = tokio::time::Instant::now() + WAIT;
    while webhook_now(&app, &webhook).await["enabled"] == true {
        assert!(tokio::time::Instant::now() < deadline, "never disabled");
        tokio::time::sleep(ms(20)).await;
    }
    let now = webhook_now(&app, &webhook).await;
    assert!(now["disabled_reason"].as_str().unwrap().contains("410"));
    let log = events(&app, &app.admin_key).await;
    let disabled = log.iter().find(|e| e["type"] == "webhook.disabled").expect("a webhook.disabled event");
    assert_eq!(disabled["resource_id"], webhook["id"]);
    app.person("Not", "Sent").await;
    assert_eq!(receiver.settle(ms(400)).await.len(), 1);
}

async fn a_subscription_failing_past_the_limit_is_disabled(app: TestApp) {
    let settings = WebhookSettings {
        schedule: RetrySchedule(vec![ms(150); 20]),
        disable_after: ms(1000),
        ..settings()
    };
    let app = app.with_webhooks(settings).await;
    let receiver = Receiver::start().await;
    receiver.answer_always(500);
    let webhook = subscribe(&app, &receiver.url, json!(["client.*"])).await;
    app.person("Always", "Failing").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while webhook_now(&app, &webhook).await["enabled"] == true {
        assert!(tokio::time::Instant::now() < deadline, "never disabled");
        tokio::time::sleep(ms(50)).await;
    }
    let now = webhook_now(&app, &webhook).await;
    assert!(now["disabled_reason"].as_str().unwrap().contains("failed"), "{now}");
    assert!(events(&app, &app.admin_key).await.iter().any(|e| e["type"] == "webhook.disabled"));
    // Enabling it again clears the reason, and starts the time over: its
    // next failure does not disable it at once.
    let enabled = expect_status(app.patch(&path(&webhook), &app.admin_key, &json!({"enabled": true})).await, StatusCode::OK).await;
    assert_eq!(enabled["data"]["disabled_reason"], Value::Null);
    app.person("Failing", "Again").await;
    deliveries_when(&app, &webhook, |d| d.first().is_some_and(|x| x["attempt_count"].as_i64() >= Some(1))).await;
    tokio::time::sleep(ms(100)).await;
    assert_eq!(webhook_now(&app, &webhook).await["enabled"], true, "disabled again by its old run of failures");
}

async fn a_rotated_secret_signs_beside_the_new_one(app: TestApp) {
    let app = delivering(app).await;
    let receiver = Receiver::start().await;
    let webhook = subscribe(&app, &receiver.url, json!(["client.*"])).await;
    let old = secret(&webhook);
    let rotated = expect_status(app.post(&format!("{}/rotate-secret", path(&webhook)), &app.admin_key, &json!({})).await, StatusCode::OK).await;
    let new = rotated["data"]["secret"].as_str().unwrap().to_string();
    app.person("Two", "Signatures").await;
    let request = &receiver.wait_for(1, WAIT).await[0];
    assert_eq!(request.header("webhook-signature").split(' ').count(), 2, "{request:?}");
    assert!(verifies(&old, request) && verifies(&new, request));
    assert!(!verifies("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", request));
    // A second rotation ends the oldest secret at once.
    let again = expect_status(app.post(&format!("{}/rotate-secret", path(&webhook)), &app.admin_key, &json!({})).await, StatusCode::OK).await;
    let newest = again["data"]["secret"].as_str().unwrap().to_string();
    app.person("Still", "Two").await;
    let request = &receiver.wait_for(2, WAIT).await[1];
    assert!(verifies(&newest, request) && verifies(&new, request) && !verifies(&old, request));
}

async fn a_ping_is_delivered_signed(app: TestApp) {
    let app = delivering(app).await;
    let receiver = Receiver::start().await;
    let webhook = subscribe(&app, &receiver.url, json!(["matter.created"])).await;
    let queued = expect_status(app.post(&format!("{}/ping", path(&webhook)), &app.admin_key, &json!({})).await, StatusCode::ACCEPTED).await;
    assert_eq!(queued["data"]["event_type"], "webhook.ping");
    assert_eq!(queued["data"]["status"], "pending");
    let request = &receiver.wait_for(1, WAIT).await[0];
    assert!(verifies(&secret(&webhook), request));
    assert_eq!(request.json()["type"], "webhook.ping");
    assert_eq!(request.json()["data"]["webhook_id"], webhook["id"]);
    assert_eq!(request.header("webhook-id"), queued["data"]["id"].as_str().unwrap());
}

async fn a_failed_delivery_can_be_sent_again(app: TestApp) {
    let app = app.with_webhooks(WebhookSettings { schedule: RetrySchedule(vec![]), ..settings() }).await;
    let receiver = Receiver::start().await;
    receiver.answer_next(&[500]);
    let webhook = subscribe(&app, &receiver.url, json!(["client.*"])).await;
    app.person("Second", "Chance").await;
    let failed = deliveries_when(&app, &webhook, |d| d.first().is_some_and(|x| x["status"] == "failed")).await;
    let id = failed[0]["id"].as_str().unwrap();
    let retry = format!("{}/deliveries/{id}/retry", path(&webhook));
    let queued = expect_status(app.post(&retry, &app.admin_key, &json!({})).await, StatusCode::ACCEPTED).await;
    assert_eq!(queued["data"]["status"], "pending");
    let got = receiver.wait_for(2, WAIT).await;
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    let done = deliveries_when(&app, &webhook, |d| d.first().is_some_and(|x| x["status"] == "delivered")).await;
    assert_eq!(done[0]["attempt_count"], 2);
    let missing = format!("{}/deliveries/msg_01JD3M9ZK6Q4T0V8X2Y5B7C9EF/retry", path(&webhook));
    expect_problem(app.post(&missing, &app.admin_key, &json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
    let garbage = format!("{}/deliveries/nonsense/retry", path(&webhook));
    expect_problem(app.post(&garbage, &app.admin_key, &json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
}

async fn the_delivery_log_filters_by_status_and_pages(app: TestApp) {
    let app = app.with_webhooks(WebhookSettings { schedule: RetrySchedule(vec![]), ..settings() }).await;
    let receiver = Receiver::start().await;
    receiver.answer_next(&[500]);
    let webhook = subscribe(&app, &receiver.url, json!(["client.created"])).await;
    for i in 0..4 {
        app.person("Logged", &format!("Person{i}")).await;
    }
    deliveries_when(&app, &webhook, |d| d.len() == 4 && d.iter().all(|x| x["status"] != "pending")).await;
    let base = format!("{}/deliveries", path(&webhook));
    let failed = expect_status(app.get(&format!("{base}?status=failed"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(failed["data"].as_array().unwrap().len(), 1);
    assert_eq!(failed["data"][0]["attempts"][0]["http_status"], 500);
    let first = expect_status(app.get(&format!("{base}?limit=3"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(first["data"].as_array().unwrap().len(), 3);
    let cursor = first["pagination"]["next_cursor"].as_str().expect("a next page");
    let second = expect_status(app.get(&format!("{base}?limit=3&cursor={cursor}"), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert_eq!(second["pagination"]["next_cursor"], Value::Null);
    let seqs: Vec<i64> = first["data"].as_array().unwrap().iter().chain(second["data"].as_array().unwrap()).map(|d| d["event_seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "not newest first: {seqs:?}");
    for bad in ["status=lost", "limit=0", "limit=101", "cursor=abc", "colour=red"] {
        expect_problem(app.get(&format!("{base}?{bad}"), &app.admin_key).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
}

async fn a_disabled_subscription_is_sent_nothing(app: TestApp) {
    let app = delivering(app).await;
    let receiver = Receiver::start().await;
    let webhook = subscribe(&app, &receiver.url, json!(["client.*"])).await;
    expect_status(app.patch(&path(&webhook), &app.admin_key, &json!({"enabled": false})).await, StatusCode::OK).await;
    app.person("Quiet", "Please").await;
    assert!(receiver.settle(ms(400)).await.is_empty());
    expect_status(app.patch(&path(&webhook), &app.admin_key, &json!({"enabled": true})).await, StatusCode::OK).await;
    let after = app.person("Loud", "Again").await;
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(got[0].json()["data"]["resource_id"], after["id"]);
    expect_status(app.delete(&path(&webhook), &app.admin_key).await, StatusCode::NO_CONTENT).await;
    app.person("After", "Delete").await;
    assert_eq!(receiver.settle(ms(400)).await.len(), 1);
    expect_problem(app.get(&path(&webhook), &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
}

async fn a_name_that_resolves_to_a_private_address_is_never_connected_to(app: TestApp) {
    let app = delivering(app).await;
    // A listener where the guard must not let a request go: 127.0.0.2, a
    // loopback address outside the allow list, that `rebind.test` resolves to.
    let trap = tokio::net::TcpListener::bind("127.0.0.2:0").await.expect("bind 127.0.0.2");
    let port = trap.local_addr().unwrap().port();
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while trap.accept().await.is_ok() {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let webhook = subscribe(&app, &format!("https://rebind.test:{port}/hook"), json!(["client.*"])).await;
    app.person("Not", "Forged").await;
    let done = deliveries_when(&app, &webhook, |d| d.first().is_some_and(|x| x["attempt_count"].as_i64() >= Some(1))).await;
    let error = done[0]["attempts"][0]["error"].as_str().unwrap();
    assert!(error.contains("refused") && error.contains("127.0.0.2"), "{error}");
    assert_eq!(done[0]["attempts"][0]["http_status"], Value::Null);
    tokio::time::sleep(ms(200)).await;
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0, "the guard let a connection through");
}

async fn a_slow_receiver_does_not_hold_up_another(app: TestApp) {
    let app = delivering(app).await;
    let (slow, fast) = (Receiver::start().await, Receiver::start().await);
    slow.delay(Duration::from_secs(2));
    subscribe(&app, &slow.url, json!(["client.*"])).await;
    subscribe(&app, &fast.url, json!(["client.*"])).await;
    for i in 0..20 {
        app.person("Many", &format!("Client{i}")).await;
    }
    fast.wait_for(20, Duration::from_secs(5)).await;
    assert!(slow.received().len() < 20, "the slow receiver kept up, so this shows nothing");
}

async fn subscription_changes_are_versioned_and_logged(app: TestApp) {
    let webhook = subscribe(&app, "https://hooks.example.com/a", json!(["client.*"])).await;
    let p = path(&webhook);
    let stale = app.request(Method::PATCH, &p, &app.admin_key).header("if-match", "\"7\"").json(&json!({"description": "x"})).send().await.unwrap();
    expect_problem(stale, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    let fresh = app.request(Method::PATCH, &p, &app.admin_key).header("if-match", "\"1\"").json(&json!({"description": "CRM sync", "events": ["*"]})).send().await.unwrap();
    let updated = expect_status(fresh, StatusCode::OK).await;
    assert_eq!(updated["data"]["version"], 2);
    assert_eq!(updated["data"]["events"], json!(["*"]));
    assert_eq!(updated["data"]["url"], "https://hooks.example.com/a");
    let refused = app.patch(&p, &app.admin_key, &json!({"url": "http://hooks.example.com/"})).await;
    expect_problem(refused, StatusCode::BAD_REQUEST, "invalid_request").await;
    expect_status(app.delete(&p, &app.admin_key).await, StatusCode::NO_CONTENT).await;
    let types: Vec<String> = events(&app, &app.admin_key)
        .await
        .iter()
        .filter(|e| e["resource_type"] == "webhook")
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(types, vec!["webhook.created", "webhook.updated", "webhook.deleted"]);
}

async fn client_history(app: &TestApp, id: &Value, key: &str, query: &str) -> reqwest::Response {
    app.get(&format!("/v1/clients/{}/history{query}", id.as_str().unwrap()), key).await
}

async fn a_clients_history_is_newest_first_and_paged(app: TestApp) {
    let client = app.person("Hist", "Ory").await;
    let other = app.person("Not", "Mine").await;
    let path = format!("/v1/clients/{}", client["id"].as_str().unwrap());
    for name in ["One", "Two", "Three"] {
        expect_status(app.patch(&path, &app.admin_key, &json!({"last_name": name})).await, StatusCode::OK).await;
    }
    expect_status(app.patch(&format!("/v1/clients/{}", other["id"].as_str().unwrap()), &app.admin_key, &json!({"last_name": "X"})).await, StatusCode::OK).await;
    let first = expect_status(client_history(&app, &client["id"], &app.admin_key, "?limit=3").await, StatusCode::OK).await;
    let types: Vec<&str> = first["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, vec!["client.updated"; 3]);
    assert_eq!(first["data"][0]["after"]["last_name"], "Three");
    assert_eq!(first["data"][0]["before"]["last_name"], "Two");
    assert!(first["data"][0]["actor_key_id"].is_string());
    let cursor = first["pagination"]["next_cursor"].as_str().expect("more");
    let rest = expect_status(client_history(&app, &client["id"], &app.admin_key, &format!("?limit=3&cursor={cursor}")).await, StatusCode::OK).await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    assert_eq!(rest["data"][0]["type"], "client.created");
    assert_eq!(rest["pagination"]["has_more"], false);
    for bad in ["?limit=0", "?cursor=x", "?after=1"] {
        expect_problem(client_history(&app, &client["id"], &app.admin_key, bad).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
}

async fn history_needs_the_records_read_scope_and_stays_in_the_firm(app: TestApp) {
    let client = app.person("Scoped", "History").await;
    let matters_only = app.key("matters:read").await;
    expect_problem(client_history(&app, &client["id"], &matters_only, "").await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let reader = app.key("clients:read").await;
    expect_status(client_history(&app, &client["id"], &reader, "").await, StatusCode::OK).await;
    let other = app.other_firm().await;
    expect_problem(client_history(&app, &client["id"], &other, "").await, StatusCode::NOT_FOUND, "not_found").await;
    expect_problem(client_history(&app, &json!("cli_nonsense"), &app.admin_key, "").await, StatusCode::NOT_FOUND, "not_found").await;
    let matter = json!({"client_id": client["id"], "title": "Scoped"});
    let matter = expect_status(app.post("/v1/matters", &app.admin_key, &matter).await, StatusCode::CREATED).await;
    let history = format!("/v1/matters/{}/history", matter["data"]["id"].as_str().unwrap());
    expect_problem(app.get(&history, &reader).await, StatusCode::FORBIDDEN, "insufficient_scope").await;
    expect_problem(app.get(&history, &other).await, StatusCode::NOT_FOUND, "not_found").await;
}

async fn a_matters_history_outlives_its_deletion(app: TestApp) {
    let client = app.person("Matter", "Owner").await;
    let matter = json!({"client_id": client["id"], "title": "Short lived"});
    let matter = expect_status(app.post("/v1/matters", &app.admin_key, &matter).await, StatusCode::CREATED).await;
    let path = format!("/v1/matters/{}", matter["data"]["id"].as_str().unwrap());
    expect_status(app.delete(&path, &app.admin_key).await, StatusCode::NO_CONTENT).await;
    expect_problem(app.get(&path, &app.admin_key).await, StatusCode::NOT_FOUND, "not_found").await;
    let history = expect_status(app.get(&format!("{path}/history"), &app.admin_key).await, StatusCode::OK).await;
    let types: Vec<&str> = history["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, vec!["matter.deleted", "matter.created"]);
}

async fn events_filter_by_type_resource_type_and_id(app: TestApp) {
    let client = app.person("Filter", "Me").await;
    let matter = json!({"client_id": client["id"], "title": "Filtered"});
    expect_status(app.post("/v1/matters", &app.admin_key, &matter).await, StatusCode::CREATED).await;
    let types = |page: &Value| -> Vec<String> { page["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_string()).collect() };
    let clients = expect_status(app.get("/v1/events?type=client.*", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(types(&clients), vec!["client.created"]);
    let two = expect_status(app.get("/v1/events?type=client.created,matter.created", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(types(&two), vec!["client.created", "matter.created"]);
    let matters = expect_status(app.get("/v1/events?resource_type=matter", &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(types(&matters), vec!["matter.created"]);
    let one = expect_status(app.get(&format!("/v1/events?resource_id={}", client["id"].as_str().unwrap()), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(types(&one), vec!["client.created"]);
    let problem = expect_problem(app.get("/v1/events?type=client.exploded", &app.admin_key).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), vec!["type"]);
    expect_problem(app.get("/v1/events?resource_type=client%27%20OR%201=1", &app.admin_key).await, StatusCode::BAD_REQUEST, "invalid_request").await;
}

async fn metrics_show_the_webhook_queue(app: TestApp) {
    let app = delivering(app).await;
    let receiver = Receiver::start().await;
    subscribe(&app, &receiver.url, json!(["client.*"])).await;
    app.person("Metric", "Ally").await;
    receiver.wait_for(1, WAIT).await;
    tokio::time::sleep(ms(200)).await;
    let text = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("clientele_webhook_queue_depth 0"), "{text}");
    assert!(text.contains("clientele_webhook_oldest_pending_seconds 0"), "{text}");
    assert!(text.contains("clientele_webhook_attempts_total{outcome=\"delivered\"} 1"), "{text}");
}

async fn finished_deliveries_are_purged_after_the_firms_retention(app: TestApp) {
    let app = delivering(app).await;
    let receiver = Receiver::start().await;
    let webhook = subscribe(&app, &receiver.url, json!(["client.*"])).await;
    app.person("Kept", "Awhile").await;
    deliveries_when(&app, &webhook, |d| d.first().is_some_and(|x| x["status"] == "delivered")).await;
    let day = 24 * 60 * 60 * 1000;
    let now = clientele::domain::time::Timestamp::now();
    app.service.purge_expired(now.plus_millis(29 * day)).await.unwrap();
    assert_eq!(deliveries_when(&app, &webhook, |_| true).await.len(), 1, "purged before the retention ended");
    app.service.purge_expired(now.plus_millis(31 * day)).await.unwrap();
    assert!(deliveries_when(&app, &webhook, |_| true).await.is_empty(), "kept past the retention");
    let dump = app.dump_tables(&["webhook_attempts", "webhook_deliveries"]).await;
    assert!(dump.trim().is_empty(), "attempts or deliveries outlived the retention: {dump}");
}
