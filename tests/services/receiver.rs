//! A webhook receiver on 127.0.0.1 for the tests: it keeps every request it
//! gets and answers with the statuses it is told to.

#![allow(dead_code)] // each suite uses a part

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use tokio::sync::Notify;

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or_default()
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    /// Statuses for the next requests, then `usual`.
    next: VecDeque<u16>,
    usual: u16,
    delay: Duration,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    arrived: Arc<Notify>,
}

impl Receiver {
    /// A receiver answering 200 on `127.0.0.1`, at `url` (`…/hook`).
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the receiver");
        let url = format!("http://{}/hook", listener.local_addr().expect("address"));
        let receiver = Receiver { url, inner: Arc::new(Mutex::new(Inner { usual: 200, ..Inner::default() })), arrived: Arc::new(Notify::new()) };
        let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve the receiver") });
        receiver
    }

    /// Answers the next requests with `statuses`, in order, then as usual.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.inner.lock().unwrap().next.extend(statuses);
    }

    pub fn answer_always(&self, status: u16) {
        self.inner.lock().unwrap().usual = status;
    }

    /// Waits this long before answering each request.
    pub fn delay(&self, delay: Duration) {
        self.inner.lock().unwrap().delay = delay;
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// Waits until at least `n` requests arrived (panics after `limit`).
    pub async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let arrived = self.arrived.notified();
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("the receiver got {} of {n} requests in {limit:?}: {:?}", got.len(), got.iter().map(|r| &r.body).collect::<Vec<_>>());
            }
        }
    }

    /// Waits `quiet` and returns what arrived meanwhile (to show nothing more came).
    pub async fn settle(&self, quiet: Duration) -> Vec<Received> {
        tokio::time::sleep(quiet).await;
        self.received()
    }
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let headers = headers.iter().map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string())).collect();
    let (status, delay) = {
        let mut inner = receiver.inner.lock().unwrap();
        inner.received.push(Received { headers, body: String::from_utf8_lossy(&body).into_owned() });
        let status = inner.next.pop_front().unwrap_or(inner.usual);
        (status, inner.delay)
    };
    receiver.arrived.notify_waiters();
    tokio::time::sleep(delay).await;
    StatusCode::from_u16(status).unwrap_or(StatusCode::OK)
}
