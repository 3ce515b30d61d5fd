//! Requests the server sends to addresses callers chose (webhook
//! deliveries), guarded against server-side request forgery (OWASP API7):
//! the host is resolved when the request is made, refused if any address
//! it resolves to is not public (unless the operator allowed the host), and
//! the connection goes to the addresses that were checked, so a name can't
//! be rebound between the check and the connection. No redirect is
//! followed, and only the start of the answer is read.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::domain::web_url::{is_public, WebUrl};
use crate::domain::webhook::AllowedHosts;

/// Why a request was not answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The guard refused the destination; no connection was made.
    #[error("refused: {0}")]
    Refused(String),
    #[error("timed out after {0} ms")]
    Timeout(u128),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("request failed: {0}")]
    Other(String),
}

/// What a receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// At most the first `max_body` bytes, as text.
    pub body: String,
}

/// The guarded HTTP client.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    guard: Arc<Guard>,
}

struct Guard {
    allowed: AllowedHosts,
    overrides: HashMap<String, Vec<IpAddr>>,
}

impl Guard {
    fn check(&self, host: &str, addrs: Vec<IpAddr>) -> Result<Vec<IpAddr>, String> {
        if addrs.is_empty() {
            return Err(format!("{host} resolves to no address"));
        }
        if self.allowed.allows(host) {
            return Ok(addrs);
        }
        // Every address, not just one: a name that also resolves privately
        // could be connected to there.
        match addrs.iter().find(|ip| !is_public(**ip)) {
            Some(ip) => Err(format!("{host} resolves to {ip}, which is not a public address")),
            None => Ok(addrs),
        }
    }
}

/// Resolves names for the client, through the guard.
struct GuardedResolver(Arc<Guard>);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.0.clone();
        let host = name.as_str().to_ascii_lowercase();
        Box::pin(async move {
            let addrs = match guard.overrides.get(&host) {
                Some(addrs) => addrs.clone(),
                None => tokio::net::lookup_host((host.as_str(), 0)).await?.map(|a| a.ip()).collect(),
            };
            let checked = guard.check(&host, addrs).map_err(GuardRefusal)?;
            let addrs: Addrs = Box::new(checked.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// The guard's refusal, told apart from other errors in the client's chain.
#[derive(Debug)]
struct GuardRefusal(String);

impl std::fmt::Display for GuardRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GuardRefusal {}

impl Outbound {
    pub fn new(allowed: AllowedHosts, overrides: &[(String, IpAddr)], timeout: Duration) -> Result<Self, String> {
        let mut by_host: HashMap<String, Vec<IpAddr>> = HashMap::new();
        for (host, ip) in overrides {
            by_host.entry(host.to_ascii_lowercase()).or_default().push(*ip);
        }
        let guard = Arc::new(Guard { allowed, overrides: by_host });
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver(guard.clone())))
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve and connect on its own, past the guard.
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("Clientele-Webhooks/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("cannot build the webhook HTTP client: {e}"))?;
        Ok(Outbound { client, guard })
    }

    /// POSTs a JSON `body` with `headers`; reads at most `max_body` bytes of
    /// the answer.
    pub async fn post(&self, url: &str, headers: &[(&str, String)], body: String, max_body: usize) -> Result<Answer, SendError> {
        let parsed = WebUrl::parse(url, 2_000).map_err(|e| SendError::Refused(format!("the URL {e}")))?;
        // Checked when the subscription was saved, and again here: the allow
        // list may have changed since.
        if !parsed.secure && !self.guard.allowed.allows(&parsed.host) {
            return Err(SendError::Refused(format!("http:// to {} (only https://, unless the host is allowed)", parsed.host)));
        }
        // The resolver never sees a literal address: check it here.
        if let Some(ip) = parsed.ip() {
            self.guard.check(&parsed.host, vec![ip]).map_err(SendError::Refused)?;
        }
        let started = Instant::now();
        let mut request = self.client.post(url).header("content-type", "application/json").body(body);
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let mut response = request.send().await.map_err(|e| classify(e, started))?;
        let status = response.status().as_u16();
        let mut kept = Vec::new();
        while kept.len() < max_body {
            match response.chunk().await {
                Ok(Some(chunk)) => kept.extend_from_slice(&chunk[..chunk.len().min(max_body - kept.len())]),
                Ok(None) => break,
                // The status is what counts; a body cut short is still an answer.
                Err(_) => break,
            }
        }
        Ok(Answer { status, body: String::from_utf8_lossy(&kept).into_owned() })
    }
}

fn classify(e: reqwest::Error, started: Instant) -> SendError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        if let Some(refusal) = err.downcast_ref::<GuardRefusal>() {
            return SendError::Refused(refusal.0.clone());
        }
        source = err.source();
    }
    if e.is_timeout() {
        SendError::Timeout(started.elapsed().as_millis())
    } else if e.is_connect() {
        SendError::Connect(innermost(&e))
    } else {
        SendError::Other(innermost(&e))
    }
}

/// The most specific message in an error's chain ("connection refused").
fn innermost(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        message = err.to_string();
        source = err.source();
    }
    message
}
