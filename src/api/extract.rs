//! Extractors that turn an HTTP request into domain inputs, failing with
//! problem responses: the API key's actor, a JSON object body, query parameters.

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde_json::{Map, Value};

use super::context::{current_request_id, RateSlot};
use super::problem::ApiError;
use super::AppState;
use crate::domain::field::FieldError;
use crate::service::precondition::{IfMatch, Precondition};
use crate::service::rate_limit::Decision;
use crate::service::{Actor, ServiceError};

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY: usize = 1024 * 1024;
/// A batch of writes may be larger.
pub const MAX_BATCH_BODY: usize = 8 * MAX_BODY;

/// The largest body a request to `path` may have.
pub fn body_limit(path: &str) -> usize {
    if path.ends_with("/batch") {
        MAX_BATCH_BODY
    } else {
        MAX_BODY
    }
}

/// The authenticated caller, from `X-Api-Key`, `Authorization: Bearer` or
/// the console's session cookie (`credentials`).
pub struct Auth(pub Actor);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let authenticated = super::credentials::authenticate(state, &parts.method, &parts.headers, current_request_id()).await;
        let actor = match authenticated {
            Ok(actor) => actor,
            Err(ServiceError::Unauthenticated) => {
                let decision = state.service.record_failed_auth(&client_address(parts)).await;
                return Err(if decision.allowed { ServiceError::Unauthenticated.into() } else { rate_limited(parts, decision) });
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(decision) = state.service.check_rate(&actor).await {
            RateSlot::fill(parts, decision);
            if !decision.allowed {
                return Err(ServiceError::RateLimited { retry_after_secs: decision.retry_after_secs }.into());
            }
        }
        // A custom action's nonce, wherever it is presented, is checked and
        // used up before the request does anything.
        if let Some(nonce) = query_value(parts.uri.query(), NONCE_PARAM) {
            state.service.consume_nonce(&actor, &nonce).await?;
        }
        Ok(Auth(actor))
    }
}

/// The client's address (as [`client_address`] reads it).
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(parts)))
    }
}

/// The client's address, for limiting failed authentication. Behind a proxy
/// every client shares the proxy's address; see docs/security.md.
pub(crate) fn client_address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn rate_limited(parts: &Parts, decision: Decision) -> ApiError {
    RateSlot::fill(parts, decision);
    ServiceError::RateLimited { retry_after_secs: decision.retry_after_secs }.into()
}

/// The query parameter that carries a custom action nonce (Clio Grow's name).
pub const NONCE_PARAM: &str = "custom_action_nonce";

fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    decode_form(query?.as_bytes()).ok()?.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The one credential a request presents: an `X-Api-Key` or an
/// `Authorization: Bearer` header. More than one (both headers, or either
/// twice) is refused rather than resolved: whichever one the server picked,
/// a proxy or a log in front of it might have read the other.
pub fn presented_key(headers: &HeaderMap) -> Result<Option<&str>, ServiceError> {
    let mut keys = headers.get_all("x-api-key").iter();
    let mut authorizations = headers.get_all(header::AUTHORIZATION).iter();
    let (key, authorization) = (keys.next(), authorizations.next());
    if keys.next().is_some() || authorizations.next().is_some() || (key.is_some() && authorization.is_some()) {
        return Err(ServiceError::invalid(
            "Authorization",
            "send exactly one credential: one `X-Api-Key` header or one `Authorization: Bearer` header",
        ));
    }
    if let Some(key) = key {
        return Ok(key.to_str().ok());
    }
    let Some(auth) = authorization.and_then(|v| v.to_str().ok()) else { return Ok(None) };
    let Some((scheme, token)) = auth.split_once(' ') else { return Ok(None) };
    Ok(scheme.eq_ignore_ascii_case("bearer").then_some(token.trim()))
}

/// The single `{id}` segment of a path. A segment that doesn't even decode
/// (invalid percent-encoding or UTF-8) names nothing: 404, as problem+json.
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<String>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(id)) => Ok(PathId(id)),
            Err(_) => Err(ApiError::RouteNotFound),
        }
    }
}

/// The two segments of a path such as `/v1/webhooks/{id}/deliveries/{delivery_id}`.
pub struct PathIds(pub String, pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<(String, String)>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path((a, b))) => Ok(PathIds(a, b)),
            Err(_) => Err(ApiError::RouteNotFound),
        }
    }
}

/// A request body that must be a JSON object.
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        json_object(request, MAX_BODY).await.map(JsonObject)
    }
}

/// A batch's body: a JSON object of at most [`MAX_BATCH_BODY`] bytes.
pub struct BatchObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for BatchObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        json_object(request, MAX_BATCH_BODY).await.map(BatchObject)
    }
}

/// A JSON object body of at most `limit` bytes.
async fn json_object(request: Request, limit: usize) -> Result<Map<String, Value>, ApiError> {
    if !is_json(request.headers()) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > DRAIN_LIMIT) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let bytes = read_body(request.into_body(), limit).await?;
    // Windows tools (PowerShell, Notepad) start UTF-8 files with a byte order
    // mark; RFC 8259 lets a parser ignore it, and serde_json would not.
    let json = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match serde_json::from_slice::<Value>(json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::NotAnObject),
        Err(e) => Err(ApiError::MalformedJson(e.to_string())),
    }
}

/// Bodies up to this size are read to the end even when refused, so the
/// client (still sending) gets the 413 instead of a connection reset; larger
/// ones are refused unread.
const DRAIN_LIMIT: usize = 2 * MAX_BATCH_BODY;

/// The body if it is at most `limit` bytes, else `PayloadTooLarge`.
pub async fn read_body(body: axum::body::Body, limit: usize) -> Result<Bytes, ApiError> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut kept = bytes::BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::MalformedJson(format!("the body could not be read: {e}")))?;
        let Ok(data) = frame.into_data() else { continue };
        seen += data.len();
        if seen > DRAIN_LIMIT {
            break;
        }
        if seen <= limit {
            kept.extend_from_slice(&data);
        }
    }
    if seen > limit {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    Ok(kept.freeze())
}

/// A small body from a public web form: JSON, or an HTML form's
/// `application/x-www-form-urlencoded` (every value a string; a name given
/// twice is refused rather than silently merged).
pub struct FormOrJson(pub Map<String, Value>);

/// Public forms are short; a larger body is refused before it is read.
pub const MAX_FORM_BODY: usize = 64 * 1024;

impl<S: Send + Sync> FromRequest<S> for FormOrJson {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        // The same size limit whatever the body's type.
        if is_json(request.headers()) {
            return json_object(request, MAX_FORM_BODY).await.map(FormOrJson);
        }
        let essence = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        if essence.as_deref() != Some("application/x-www-form-urlencoded") {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = read_body(request.into_body(), MAX_FORM_BODY).await?;
        let mut map = Map::new();
        for (key, value) in decode_form(&bytes).map_err(|e| ServiceError::Invalid(vec![e]))? {
            if map.contains_key(&key) {
                return Err(ServiceError::invalid(&key, "must be given once").into());
            }
            map.insert(key, Value::String(value));
        }
        Ok(FormOrJson(map))
    }
}

/// `application/x-www-form-urlencoded` pairs (a body or a query string),
/// refusing any name or value that does not decode to UTF-8: replacing the
/// bad bytes would store something other than what was sent.
fn decode_form(input: &[u8]) -> Result<Vec<(String, String)>, FieldError> {
    let decode = |raw: &[u8]| -> Option<String> {
        let spaced: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
        String::from_utf8(percent_encoding::percent_decode(&spaced).collect()).ok()
    };
    let mut pairs = Vec::new();
    for piece in input.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(at) => (&piece[..at], &piece[at + 1..]),
            None => (piece, &b""[..]),
        };
        let Some(name) = decode(name) else {
            return Err(FieldError::new(String::from_utf8_lossy(name).chars().take(64).collect::<String>(), "is not valid UTF-8"));
        };
        let Some(value) = decode(value) else {
            return Err(FieldError::new(name.chars().take(64).collect::<String>(), "is not valid UTF-8"));
        };
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// `application/json`, `application/merge-patch+json` or any other `+json`.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Query parameters in order, repeats kept (a dialect may use `ids[]=1&ids[]=2`).
/// A route that reads no parameter may still take it as `QueryPairs(_)`, so a
/// malformed query or a control character is refused there as everywhere.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let pairs = decode_form(query.as_bytes()).map_err(|e| ServiceError::Invalid(vec![e]))?;
        // No filter, search or id ever holds a control character (and
        // PostgreSQL refuses a NUL in text): refuse them up front.
        let bad: Vec<FieldError> = pairs
            .iter()
            .filter(|(k, v)| k.chars().chain(v.chars()).any(char::is_control))
            .map(|(k, _)| FieldError::new(k.chars().filter(|c| !c.is_control()).take(64).collect::<String>(), "must not contain control characters"))
            .collect();
        if !bad.is_empty() {
            return Err(ServiceError::Invalid(bad).into());
        }
        Ok(QueryPairs(pairs))
    }
}

/// Values a multi-valued query parameter (`status`, `tags`, `ids` …, and
/// the `cf.*` filters together) may carry. Stores answer any number of them
/// with one bound list (the SQL does not grow with them), so this bound is
/// about what a sensible filter is, not about what the database can take.
pub const MAX_LIST_VALUES: usize = 100;

/// Reads query parameters one by one and reports every problem together,
/// unknown parameters included (a misspelt filter must not silently match all).
///
/// An empty value (`page=`, `limit=&offset=`) is no value: what forms and
/// query builders send for a field left blank.
pub struct ParamReader<'a> {
    pairs: &'a [(String, String)],
    seen: HashSet<&'a str>,
    errors: Vec<FieldError>,
    ignore_unknown: bool,
}

impl<'a> ParamReader<'a> {
    pub fn new(pairs: &'a [(String, String)]) -> Self {
        // Checked by [`Auth`] on every route.
        let seen = HashSet::from([NONCE_PARAM]);
        Self { pairs, seen, errors: Vec::new(), ignore_unknown: false }
    }

    /// A reader that lets unknown parameters pass, as the vendors' APIs do
    /// (jQuery's `_=<timestamp>` cache-buster); `/v1` refuses them.
    pub fn ignoring_unknown(mut self) -> Self {
        self.ignore_unknown = true;
        self
    }

    /// Every `prefix<name>=value` pair, as `(name, value)`; more than
    /// [`MAX_LIST_VALUES`] of them is an error naming `prefix*`.
    pub fn prefixed(&mut self, prefix: &str) -> Vec<(&'a str, &'a str)> {
        let found: Vec<(&'a str, &'a str)> = self
            .pairs
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|name| (name, v.as_str())))
            .collect();
        for (k, _) in self.pairs.iter().filter(|(k, _)| k.starts_with(prefix)) {
            self.seen.insert(k.as_str());
        }
        if found.len() > MAX_LIST_VALUES {
            self.error(&format!("{prefix}*"), format!("at most {MAX_LIST_VALUES} such filters (got {})", found.len()));
            return Vec::new();
        }
        found
    }

    /// Every value of a parameter that may be repeated, as given (no comma
    /// splitting: a value may hold commas); an empty one is no value.
    pub fn repeated(&mut self, name: &'a str) -> Vec<&'a str> {
        self.seen.insert(name);
        self.pairs.iter().filter(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.as_str()).collect()
    }

    /// A single-valued parameter; given twice is an error.
    pub fn get(&mut self, name: &'a str) -> Option<&'a str> {
        self.seen.insert(name);
        let mut values = self.pairs.iter().filter(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            self.error(name, "must be given once");
        }
        first
    }

    /// A parameter turned into a value by `parse`.
    pub fn parsed<T>(&mut self, name: &'a str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let raw = self.get(name)?;
        match parse(raw) {
            Ok(v) => Some(v),
            Err(message) => {
                self.error(name, message);
                None
            }
        }
    }

    pub fn is_present(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, v)| k == name && !v.trim().is_empty())
    }

    /// A comma-separated list; repeats of the parameter add to it. More than
    /// [`MAX_LIST_VALUES`] values is an error naming the parameter.
    pub fn list(&mut self, name: &'a str) -> Vec<&'a str> {
        self.seen.insert(name);
        let values: Vec<&'a str> = self
            .pairs
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        if values.len() > MAX_LIST_VALUES {
            self.error(name, format!("must list at most {MAX_LIST_VALUES} values (got {})", values.len()));
            return Vec::new();
        }
        values
    }

    pub fn error(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(name, message));
    }

    pub fn finish(mut self) -> Result<(), ServiceError> {
        let mut unknown: Vec<&str> = if self.ignore_unknown {
            Vec::new()
        } else {
            self.pairs.iter().map(|(k, _)| k.as_str()).filter(|k| !self.seen.contains(k)).collect()
        };
        unknown.sort_unstable();
        unknown.dedup();
        for name in unknown {
            self.errors.push(FieldError::new(name, "is not a known query parameter"));
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(self.errors))
        }
    }
}

/// The write preconditions of a request: `If-Match` and a body's `version`,
/// which is taken out of the body here.
pub fn precondition(headers: &HeaderMap, body: Option<&mut Map<String, Value>>) -> Result<Precondition, ServiceError> {
    let if_match = headers.get(header::IF_MATCH).map(|v| parse_if_match(v.to_str().unwrap_or("")));
    let version = match body.and_then(|b| b.remove("version")) {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_i64().is_some_and(|v| v > 0) => n.as_i64(),
        Some(_) => return Err(ServiceError::invalid("version", "must be a positive integer")),
    };
    Ok(Precondition { if_match, version })
}

/// `*`, or a list of entity tags. Weak tags never match (If-Match compares
/// strongly), and neither does anything that isn't one of our tags.
fn parse_if_match(value: &str) -> IfMatch {
    if value.trim() == "*" {
        return IfMatch::Any;
    }
    let versions = value
        .split(',')
        .filter_map(|tag| tag.trim().strip_prefix('"')?.strip_suffix('"')?.parse().ok())
        .collect();
    IfMatch::Versions(versions)
}

/// The ETag of a versioned record.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_forms() {
        assert_eq!(parse_if_match("*"), IfMatch::Any);
        assert_eq!(parse_if_match("\"3\", \"4\""), IfMatch::Versions(vec![3, 4]));
        assert_eq!(parse_if_match("W/\"3\""), IfMatch::Versions(vec![]));
        assert_eq!(parse_if_match("garbage"), IfMatch::Versions(vec![]));
    }
}
