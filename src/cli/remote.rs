//! The HTTP side of `import` and `export`: a running server at `--server`,
//! the API key from `CLIENTELE_API_KEY`, and retries of what a retry can fix
//! (the server unreachable for a moment, 429, 502-504, an idempotent request
//! still being answered).

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::Value;

/// Where the API key comes from (never a flag: flags show in process lists).
pub const KEY_VARIABLE: &str = "CLIENTELE_API_KEY";

/// How long to keep retrying before giving up.
#[derive(Debug, Clone, Copy)]
pub enum Patience {
    /// The first request: an unreachable server is reported at once.
    Short,
    /// During an import: ride out a restart or a brief outage.
    Long,
}

impl Patience {
    fn limit(self) -> Duration {
        match self {
            Patience::Short => Duration::from_secs(2),
            Patience::Long => Duration::from_secs(90),
        }
    }
}

/// Why a request failed for good.
#[derive(Debug)]
pub enum Failure {
    /// Nothing answered, or the connection broke.
    Unreachable(String),
    /// The server answered with a problem (or another non-success status).
    Refused { status: StatusCode, code: String, message: String, errors: Vec<(String, String)> },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unreachable(why) => write!(f, "{why}"),
            Failure::Refused { status, code, message, .. } if code.is_empty() => write!(f, "the server answered {status}: {message}"),
            Failure::Refused { status, code, message, .. } => write!(f, "the server answered {status} {code}: {message}"),
        }
    }
}

impl Failure {
    pub fn code(&self) -> &str {
        match self {
            Failure::Refused { code, .. } => code,
            Failure::Unreachable(_) => "",
        }
    }
}

/// A successful answer, read whole.
pub struct Answer {
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

impl Answer {
    pub fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("the server's answer is not JSON: {e}"))
    }

    /// Whether this is a replay of an idempotent request's first answer.
    pub fn replayed(&self) -> bool {
        self.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()) == Some("true")
    }
}

pub struct Remote {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Remote {
    /// A client of the server at `server`, with the key from the environment.
    pub fn from_env(server: &str) -> Result<Self, String> {
        let key = std::env::var(KEY_VARIABLE).ok().map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).ok_or_else(|| {
            format!("set {KEY_VARIABLE} to an API key of the firm (create one with `clientele keys create --firm … --scopes …`)")
        })?;
        let base = server.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!("--server `{server}` must be an http:// or https:// URL"));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(300))
            .user_agent(concat!("clientele-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("could not make an HTTP client: {e}"))?;
        Ok(Self { http, base, key })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET path` (with its query), the whole answer.
    pub async fn get(&self, path: &str, patience: Patience) -> Result<Answer, Failure> {
        self.send(patience, || self.http.get(self.url(path))).await
    }

    /// `GET path` as a stream: the response once its status is a success
    /// (read it with `chunk()`).
    pub async fn get_streamed(&self, path: &str, patience: Patience) -> Result<reqwest::Response, Failure> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = self.http.get(self.url(path)).header("X-Api-Key", &self.key).send().await;
            match sent {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let body = response.bytes().await.unwrap_or_default();
                    let failure = refused(status, &body);
                    match retry_after(status, failure.code(), &headers, attempt) {
                        Some(wait) if started.elapsed() + wait < patience.limit() => tokio::time::sleep(wait).await,
                        _ => return Err(failure),
                    }
                }
                Err(e) => {
                    let wait = backoff(attempt);
                    if started.elapsed() + wait >= patience.limit() {
                        return Err(self.unreachable(&e));
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// `POST path` with a JSON body under an `Idempotency-Key`, so a retry
    /// (ours, or a resumed import's) gets the first answer instead of
    /// applying the request twice.
    pub async fn post_idempotent(&self, path: &str, body: &[u8], idempotency_key: &str, patience: Patience) -> Result<Answer, Failure> {
        let body = bytes::Bytes::copy_from_slice(body);
        self.send(patience, || {
            self.http
                .post(self.url(path))
                .header(CONTENT_TYPE, "application/json")
                .header("Idempotency-Key", idempotency_key)
                .body(body.clone())
        })
        .await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn unreachable(&self, e: &reqwest::Error) -> Failure {
        let mut why = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(inner) = source {
            why = format!("{why}: {inner}");
            source = inner.source();
        }
        Failure::Unreachable(format!("the server at {} is unreachable ({why})", self.base))
    }

    async fn send(&self, patience: Patience, request: impl Fn() -> reqwest::RequestBuilder) -> Result<Answer, Failure> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Either a wait before the next attempt, or the end.
            let (wait, failure) = match request().header("X-Api-Key", &self.key).send().await {
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    match response.bytes().await {
                        Ok(body) if status.is_success() => return Ok(Answer { headers, body }),
                        Ok(body) => {
                            let failure = refused(status, &body);
                            match retry_after(status, failure.code(), &headers, attempt) {
                                Some(wait) => (wait, failure),
                                None => return Err(failure),
                            }
                        }
                        Err(e) => (backoff(attempt), self.unreachable(&e)),
                    }
                }
                Err(e) if e.is_builder() => return Err(Failure::Unreachable(format!("bad request to {}: {e}", self.base))),
                Err(e) => (backoff(attempt), self.unreachable(&e)),
            };
            if started.elapsed() + wait >= patience.limit() {
                return Err(failure);
            }
            tokio::time::sleep(wait).await;
        }
    }
}

/// A non-success answer as a failure, with the problem's code and message.
fn refused(status: StatusCode, body: &[u8]) -> Failure {
    let problem: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let code = problem["code"].as_str().unwrap_or_default().to_string();
    let errors: Vec<(String, String)> = problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (e["field"].as_str().unwrap_or_default().to_string(), e["message"].as_str().unwrap_or_default().to_string()))
        .collect();
    let message = if errors.is_empty() {
        problem["detail"].as_str().map(str::to_string).unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned())
    } else {
        errors.iter().map(|(field, message)| format!("{field} {message}")).collect::<Vec<_>>().join("; ")
    };
    Failure::Refused { status, code, message, errors }
}

/// How long to wait before retrying an answer a retry can fix; `None` for
/// one it cannot.
fn retry_after(status: StatusCode, code: &str, headers: &HeaderMap, attempt: u32) -> Option<Duration> {
    let retryable = matches!(status, StatusCode::TOO_MANY_REQUESTS | StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT)
        || (status == StatusCode::CONFLICT && code == "idempotency_in_progress");
    if !retryable {
        return None;
    }
    let told = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs);
    Some(told.unwrap_or_else(|| backoff(attempt)).min(Duration::from_secs(30)))
}

/// 0.2 s, 0.4 s, 0.8 s, … up to 5 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1 << attempt.saturating_sub(1).min(5))).min(Duration::from_secs(5))
}

/// Where the server is, for the commands that talk to one.
#[derive(clap::Args, Debug, Clone)]
pub struct RemoteArgs {
    /// The running Clientele server (the API key comes from CLIENTELE_API_KEY).
    #[arg(long, env = "CLIENTELE_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
}
