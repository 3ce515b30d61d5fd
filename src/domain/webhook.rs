//! Webhooks: subscriptions to a firm's events, the deliveries made to them,
//! and the Standard Webhooks signature (https://www.standardwebhooks.com).
//! docs/webhooks.md is the receiver's side of this.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use super::contract::{Contract, Field, Kind, VERSION};
use super::event::Event;
use super::field::FieldError;
use super::ids::{DeliveryId, FirmId, KeyId, WebhookId};
use super::input::Reader;
use super::record::{RecordFields, RecordKind};
use super::time::Timestamp;
use super::web_url::{is_public, WebUrl};

const MAX_URL: usize = 2_000;
const MAX_PATTERNS: usize = 50;
const MAX_EXCLUDED_KEYS: usize = 50;

pub const URL: Field = Field::new(
    "url",
    Kind::Text { max: MAX_URL },
    "Where deliveries are POSTed: `https://…`, to a public address (hosts the operator allows with \
     `--webhook-allow-hosts` may use `http://` and private addresses).",
)
.example("https://hooks.example.com/clientele");
pub const EVENTS: Field = Field::new(
    "events",
    Kind::Strings { max_items: MAX_PATTERNS, max_chars: 60 },
    "Event types to send, or patterns over them: `*`, `client.*`, `matter.created`. Each must match at least one type \
     (see the `webhooks` section of this document).",
)
.example("client.*");
pub const DESCRIPTION: Field = Field::new("description", Kind::Text { max: 500 }, "What the subscription is for.").example("CRM sync");
pub const ENABLED: Field = Field::new("enabled", Kind::Bool, "Whether deliveries are made (default true).");
pub const EXCLUDE_ACTOR_KEYS: Field = Field::new(
    "exclude_actor_keys",
    Kind::Strings { max_items: MAX_EXCLUDED_KEYS, max_chars: 40 },
    "API key ids (`key_…`) whose changes are not sent: give an integration's own key so that what it writes back \
     does not set it off again.",
)
.example("key_01J9Z3Q4X5R6S7T8V9W0XYZABC");

/// A subscription's writable fields.
pub const WEBHOOK: Contract = Contract {
    name: "WebhookWrite",
    doc: "A webhook subscription.",
    fields: &[URL, EVENTS, DESCRIPTION, ENABLED, EXCLUDE_ACTOR_KEYS, VERSION],
    required: &["url", "events"],
};

pub const READ_ONLY: &[&str] =
    &["id", "created_at", "updated_at", "deleted_at", "version", "secret", "disabled_reason", "object"];

/// What happens to each kind of record, as its event types say
/// (`<kind>.<action>`): only what the server writes.
const TYPES: &[(&str, &[&str])] = &[
    ("api_key", &["created", "revoked"]),
    ("client", &["created", "updated", "replaced", "deleted", "restored", "merged", "purged", "erased"]),
    ("custom_action", &["created", "updated", "deleted", "purged"]),
    ("custom_field", &["created", "updated", "deleted", "purged"]),
    ("firm", &["created", "updated"]),
    ("intake_token", &["created", "deleted", "purged"]),
    ("lead", &["created", "updated", "converted"]),
    ("matter", &["created", "updated", "replaced", "deleted", "restored", "purged"]),
    ("nonce", &["created", "used"]),
    ("note", &["created", "updated", "deleted", "restored", "purged"]),
    ("session", &["created", "deleted"]),
    ("user", &["created", "updated", "deleted", "purged", "password_set"]),
    ("webhook", &["created", "updated", "deleted", "purged", "secret_rotated", "disabled"]),
];

/// Every event type the server writes to the log, and so can deliver.
pub fn event_types() -> &'static [String] {
    static ALL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let mut types: Vec<String> =
            TYPES.iter().flat_map(|(kind, actions)| actions.iter().map(move |action| format!("{kind}.{action}"))).collect();
        types.sort();
        types
    })
}

/// The type of the test delivery `POST /v1/webhooks/{id}/ping` sends; it is
/// sent whatever the subscription's patterns.
pub const PING: &str = "webhook.ping";

/// Whether `pattern` (`*`, `<kind>.*` or a type) covers `event_type`.
pub fn matches(pattern: &str, event_type: &str) -> bool {
    match pattern.strip_suffix(".*") {
        _ if pattern == "*" => true,
        Some(kind) => event_type.split_once('.').is_some_and(|(k, _)| k == kind),
        None => pattern == event_type,
    }
}

/// Whether any of `patterns` covers `event_type`.
pub fn matches_any(patterns: &[String], event_type: &str) -> bool {
    patterns.iter().any(|p| matches(p, event_type))
}

/// Checks event type patterns: each must cover at least one type.
pub fn check_patterns(field: &str, patterns: &[String]) -> Result<(), FieldError> {
    let unknown: Vec<&str> = patterns.iter().map(String::as_str).filter(|p| !event_types().iter().any(|t| matches(p, t))).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = unknown.iter().take(5).copied().collect();
    let more = if unknown.len() > shown.len() { format!(" and {} more", unknown.len() - shown.len()) } else { String::new() };
    Err(FieldError::new(field, format!("{}{more} matches no event type; valid: `*`, `<kind>.*`, or {}", shown.join(", "), type_list())))
}

/// Every event type, grouped by kind: `client.(created|updated|…)`.
fn type_list() -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for t in event_types() {
        let (kind, action) = t.split_once('.').unwrap_or((t, ""));
        match groups.last_mut() {
            Some((k, actions)) if *k == kind => actions.push(action),
            _ => groups.push((kind, vec![action])),
        }
    }
    groups.iter().map(|(kind, actions)| format!("{kind}.({})", actions.join("|"))).collect::<Vec<_>>().join(", ")
}

/// Which hosts the operator lets webhooks reach over plain HTTP and at
/// non-public addresses (`--webhook-allow-hosts`), for development and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts(Vec<String>);

impl AllowedHosts {
    /// Hosts as URLs name them; a bare IPv6 address gets its brackets.
    pub fn new(hosts: impl IntoIterator<Item = String>) -> Self {
        let host = |h: String| {
            let h = h.trim().to_lowercase();
            if h.parse::<std::net::Ipv6Addr>().is_ok() {
                format!("[{h}]")
            } else {
                h
            }
        };
        AllowedHosts(hosts.into_iter().map(host).filter(|h| !h.is_empty()).collect())
    }

    pub fn allows(&self, host: &str) -> bool {
        self.0.iter().any(|h| h == host)
    }
}

/// A signing secret: `whsec_` and the base64 of 32 random bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Secret {
    pub key: String,
    /// When a rotated-out secret stops signing; `None` for the current one.
    pub expires_at: Option<Timestamp>,
}

impl Secret {
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        Secret { key: format!("whsec_{}", BASE64.encode(bytes)), expires_at: None }
    }
}

/// How long a rotated-out secret keeps signing beside the new one.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3_600_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookFields {
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub exclude_actor_keys: Vec<KeyId>,
    /// Why the server turned the subscription off (a `410 Gone`, or days of
    /// failures); cleared when someone enables it again.
    #[serde(default)]
    pub disabled_reason: Option<String>,
    /// Newest first. Never shown, not even in events.
    pub secrets: Vec<Secret>,
}

impl RecordFields for WebhookFields {
    const KIND: RecordKind = RecordKind::Webhook;
    type Id = WebhookId;
    const SECRET_FIELDS: &'static [&'static str] = &["secrets"];
}

impl WebhookFields {
    /// The fields as a writer sees them (no secrets, no server state).
    pub fn to_document(&self) -> Map<String, Value> {
        let mut doc = Map::new();
        doc.insert("url".into(), json!(self.url));
        doc.insert("events".into(), json!(self.events));
        doc.insert("description".into(), json!(self.description));
        doc.insert("enabled".into(), json!(self.enabled));
        doc.insert("exclude_actor_keys".into(), json!(self.exclude_actor_keys));
        doc
    }

    /// The secrets that sign now: the current one, and a rotated-out one
    /// until it expires.
    pub fn signing_keys(&self, now: Timestamp) -> Vec<&str> {
        self.secrets.iter().filter(|s| s.expires_at.is_none_or(|t| t > now)).map(|s| s.key.as_str()).collect()
    }

    /// Whether an event is sent to this subscription.
    pub fn wants(&self, event: &Event) -> bool {
        self.enabled
            && matches_any(&self.events, &event.kind)
            && !event.actor_key_id.is_some_and(|key| self.exclude_actor_keys.contains(&key))
    }
}

/// Parses a subscription's writable fields; the secrets are the server's.
/// Enabling a subscription clears why the server had disabled it.
pub fn parse_webhook(
    doc: &Map<String, Value>,
    hosts: &AllowedHosts,
    secrets: Vec<Secret>,
    disabled_reason: Option<String>,
) -> Result<WebhookFields, Vec<FieldError>> {
    let mut r = Reader::new(doc).with_read_only(READ_ONLY);
    let url = r.parsed(URL.name, |s| check_url(s, hosts));
    let events = strings(&mut r, &EVENTS);
    if let Some(events) = &events {
        if events.is_empty() {
            r.error(EVENTS.name, "must name at least one event type or pattern");
        } else if let Err(e) = check_patterns(EVENTS.name, events) {
            r.absorb(vec![e]);
        }
    }
    let description = r.text_of(&DESCRIPTION);
    let enabled = r.bool(ENABLED.name).unwrap_or(true);
    let keys = strings(&mut r, &EXCLUDE_ACTOR_KEYS).unwrap_or_default();
    let mut exclude = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        match key.parse::<KeyId>() {
            Ok(id) if !exclude.contains(&id) => exclude.push(id),
            Ok(_) => {}
            Err(e) => r.error(format!("exclude_actor_keys[{i}]"), e.to_string()),
        }
    }
    for (field, present) in [(URL.name, url.is_some()), (EVENTS.name, events.is_some())] {
        if !present && !r.has_error(field) {
            r.error(field, "is required");
        }
    }
    r.finish()?;
    match (url, events) {
        (Some(url), Some(events)) => Ok(WebhookFields {
            url,
            events,
            description,
            enabled,
            exclude_actor_keys: exclude,
            disabled_reason: if enabled { None } else { disabled_reason },
            secrets,
        }),
        _ => Err(vec![FieldError::new("url", "is required")]),
    }
}

/// A list of strings, each at most the field's length.
fn strings<'a>(r: &mut Reader<'a>, field: &'a Field) -> Option<Vec<String>> {
    if !r.is_present(field.name) {
        r.value(field.name);
        return None;
    }
    let mut out = Vec::new();
    for (i, item) in r.array(field.name, field.max_items()).iter().enumerate() {
        match item.as_str() {
            Some(s) if !s.is_empty() && s.chars().count() <= field.max_chars() => {
                if !out.iter().any(|o: &String| o == s) {
                    out.push(s.to_string());
                }
            }
            _ => r.error(format!("{}[{i}]", field.name), format!("must be a string of 1 to {} characters", field.max_chars())),
        }
    }
    Some(out)
}

/// An endpoint must be `https://` to a host that is not a private address,
/// unless the operator allowed the host. A name is checked again for what it
/// resolves to at each delivery.
pub fn check_url(s: &str, hosts: &AllowedHosts) -> Result<String, String> {
    let url = WebUrl::parse(s, MAX_URL)?;
    if hosts.allows(&url.host) {
        return Ok(s.to_string());
    }
    if !url.secure {
        return Err("must use https:// (http:// only to hosts allowed with --webhook-allow-hosts)".into());
    }
    if url.ip().is_some_and(|ip| !is_public(ip)) || url.host == "localhost" || url.host.ends_with(".localhost") {
        return Err("must not be a loopback, private, link-local or metadata address".into());
    }
    Ok(s.to_string())
}

/// The `webhook-signature` header: one `v1,<base64 HMAC-SHA256>` per key, of
/// `{id}.{timestamp}.{body}`, separated by spaces.
pub fn signature(keys: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .filter_map(|key| {
            let secret = BASE64.decode(key.strip_prefix("whsec_").unwrap_or(key)).ok()?;
            let mut mac = Hmac::<Sha256>::new_from_slice(&secret).ok()?;
            mac.update(format!("{id}.{timestamp}.").as_bytes());
            mac.update(body);
            Some(format!("v1,{}", BASE64.encode(mac.finalize().into_bytes())))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The body delivered for an event: its type, time, and what changed.
pub fn payload(event: &Event) -> String {
    let body = json!({
        "type": event.kind,
        "timestamp": event.created_at.to_string(),
        "data": {
            "event_seq": event.seq,
            "resource_type": event.resource_type,
            "resource_id": event.resource_id,
            "object": event.after,
            "previous": previous(event.before.as_ref(), event.after.as_ref()),
            "actor": {"key_id": event.actor_key_id, "user_id": event.actor_user_id},
        }
    });
    body.to_string()
}

/// The fields whose values the change replaced, with their old values; the
/// whole record before when nothing is left after.
fn previous(before: Option<&Value>, after: Option<&Value>) -> Value {
    match (before, after) {
        (Some(Value::Object(before)), Some(Value::Object(after))) => {
            let mut changed: Map<String, Value> =
                before.iter().filter(|(k, v)| after.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
            for key in after.keys().filter(|k| !before.contains_key(*k)) {
                changed.insert(key.clone(), Value::Null);
            }
            Value::Object(changed)
        }
        (Some(before), None) => before.clone(),
        _ => Value::Null,
    }
}

/// The body of a ping.
pub fn ping_payload(webhook: WebhookId, at: Timestamp) -> String {
    json!({"type": PING, "timestamp": at.to_string(), "data": {"webhook_id": webhook}}).to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its first attempt or a retry.
    Pending,
    Delivered,
    /// Every scheduled attempt failed.
    Failed,
    /// Not sent: its subscription was disabled or deleted first.
    Cancelled,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 4] = [Self::Pending, Self::Delivered, Self::Failed, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// One event (or a ping) to be sent to one subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub firm_id: FirmId,
    pub webhook_id: WebhookId,
    /// The event's `seq` in its firm's log; `None` for a ping.
    pub event_seq: Option<i64>,
    pub event_type: String,
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempt_count: i64,
    pub next_attempt_at: Option<Timestamp>,
    /// Set while a node is making an attempt; the claim it holds.
    pub lease_until: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Oldest first (filled in by the reads that show them).
    pub attempts: Vec<Attempt>,
}

impl Delivery {
    pub fn new(firm_id: FirmId, webhook_id: WebhookId, event_seq: Option<i64>, event_type: &str, payload: String, at: Timestamp) -> Self {
        Delivery {
            id: DeliveryId::generate(),
            firm_id,
            webhook_id,
            event_seq,
            event_type: event_type.to_string(),
            payload,
            status: DeliveryStatus::Pending,
            attempt_count: 0,
            next_attempt_at: Some(at),
            lease_until: None,
            created_at: at,
            updated_at: at,
            attempts: Vec::new(),
        }
    }
}

/// One try at a delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// 1 for the first attempt.
    pub n: i64,
    pub at: Timestamp,
    pub http_status: Option<u16>,
    pub latency_ms: i64,
    /// Why it failed without an HTTP status (refused address, timeout, …).
    pub error: Option<String>,
    /// The start of what the receiver answered (at most [`MAX_RESPONSE`] bytes).
    pub response: Option<String>,
}

/// How much of a receiver's answer is kept.
pub const MAX_RESPONSE: usize = 1024;

/// When to try again after a failed attempt: the delay after each attempt,
/// from the first. Past the last, the delivery has failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(pub Vec<Duration>);

impl Default for RetrySchedule {
    /// Close to Standard Webhooks': at once, then 5 s, 5 min, 30 min, 2 h,
    /// 5 h, 10 h and 10 h (8 attempts over about 27.6 hours).
    fn default() -> Self {
        let s = Duration::from_secs;
        RetrySchedule(vec![s(5), s(300), s(1800), s(7200), s(18_000), s(36_000), s(36_000)])
    }
}

impl RetrySchedule {
    /// Parses `5s,5m,30m,2h` (units ms, s, m, h).
    pub fn parse(s: &str) -> Result<Self, String> {
        s.split(',')
            .map(|part| {
                let part = part.trim();
                let (digits, unit) = part.split_at(part.find(|c: char| !c.is_ascii_digit()).unwrap_or(part.len()));
                let n: u64 = digits.parse().map_err(|_| format!("`{part}` is not a duration such as 5s, 5m or 2h"))?;
                let ms = match unit {
                    "ms" => n,
                    "s" => n * 1_000,
                    "m" => n * 60_000,
                    "h" => n * 3_600_000,
                    _ => return Err(format!("`{part}` needs a unit: ms, s, m or h")),
                };
                Ok(Duration::from_millis(ms))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(RetrySchedule)
    }

    /// The delay before the attempt after attempt `n` (1-based), with up to
    /// 10% jitter either way, or `None` when no attempt is left.
    pub fn after_attempt(&self, n: i64) -> Option<Duration> {
        let base = *self.0.get(usize::try_from(n - 1).ok()?)?;
        let jitter = rand::random_range(0.9..1.1);
        Some(base.mul_f64(jitter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/webhooks.md's table of event types is this list, no more, no less.
    #[test]
    fn the_documented_event_types_are_the_ones_written() {
        let doc = include_str!("../../docs/webhooks.md");
        let table = doc.split("| kind | types |").nth(1).unwrap().split("\n\n").next().unwrap();
        let mut documented: Vec<&str> = table.split('`').skip(1).step_by(2).collect();
        documented.sort();
        assert_eq!(documented, event_types().iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn patterns_cover_types() {
        assert!(matches("*", "client.created"));
        assert!(matches("client.*", "client.updated"));
        assert!(!matches("client.*", "custom_field.created"));
        assert!(matches("lead.converted", "lead.converted"));
        assert!(!matches("lead.converted", "lead.created"));
        assert!(check_patterns("events", &["client.*".into(), "matter.created".into(), "*".into()]).is_ok());
        let err = check_patterns("events", &["client.exploded".into()]).unwrap_err();
        assert!(err.message.contains("client.exploded") && err.message.contains("client.(created|"), "{}", err.message);
        assert!(err.message.chars().count() < 1000, "{}", err.message);
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification's test vectors.
        let key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let sig = signature(&[key], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert_eq!(signature(&[key, key], "m", 1, b"{}").split(' ').count(), 2);
    }

    #[test]
    fn urls_must_be_public_https_unless_allowed() {
        let none = AllowedHosts::default();
        let local = AllowedHosts::new(["127.0.0.1".to_string()]);
        assert!(check_url("https://hooks.example.com/x", &none).is_ok());
        assert!(check_url("http://hooks.example.com/x", &none).is_err());
        assert!(check_url("https://127.0.0.1/x", &none).is_err());
        assert!(check_url("https://169.254.169.254/latest", &none).is_err());
        assert!(check_url("https://[::1]/x", &none).is_err());
        assert!(check_url("https://localhost/x", &none).is_err());
        assert!(check_url("http://127.0.0.1:9/x", &local).is_ok());
        assert!(check_url("http://127.0.0.2:9/x", &local).is_err());
        assert!(check_url("http://[::1]:9/x", &AllowedHosts::new(["::1".to_string()])).is_ok());
    }

    #[test]
    fn schedules_parse_and_end() {
        let s = RetrySchedule::parse("100ms, 1s,2m,1h").unwrap();
        assert_eq!(s.0[0], Duration::from_millis(100));
        assert_eq!(s.0[3], Duration::from_secs(3600));
        assert!(s.after_attempt(4).is_some() && s.after_attempt(5).is_none());
        assert!(RetrySchedule::parse("5").is_err() && RetrySchedule::parse("5d").is_err());
        assert_eq!(RetrySchedule::default().0.len(), 7);
    }
}
