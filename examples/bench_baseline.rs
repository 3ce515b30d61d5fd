//! The benchmark's yardstick: a bare axum server that answers
//! `GET /v1/clients/{id}` with a client's JSON held in memory — no auth, no
//! database, no middleware. bench/run.sh measures it in the same run as
//! Clientele, so the ratio between the two shows what everything else costs.
//!
//!   bench_baseline --bind 127.0.0.1:PORT --ids FILE --body FILE
//!
//! Every id in FILE (one per line) answers the body in FILE (a real client's
//! `GET /v1/clients/{id}` response, fetched by run.sh); any other id is 404.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

struct Baseline {
    bodies: HashMap<String, Bytes>,
}

async fn client(State(state): State<Arc<Baseline>>, Path(id): Path<String>) -> Response {
    match state.bodies.get(&id) {
        Some(body) => ([(header::CONTENT_TYPE, "application/json")], body.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn arg(args: &[String], name: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| panic!("usage: bench_baseline --bind ADDR --ids FILE --body FILE (missing {name})"))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let ids = std::fs::read_to_string(arg(&args, "--ids")).expect("read ids");
    let body = Bytes::from(std::fs::read(arg(&args, "--body")).expect("read body"));
    let bodies = ids.lines().filter(|l| !l.is_empty()).map(|id| (id.to_string(), body.clone())).collect();
    let app = Router::new().route("/v1/clients/{id}", get(client)).with_state(Arc::new(Baseline { bodies }));
    let listener = tokio::net::TcpListener::bind(arg(&args, "--bind")).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
