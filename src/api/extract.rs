//! Extractors that turn an HTTP request into domain inputs, failing with
//! problem responses: the API key's actor, a JSON object body, query parameters.

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde_json::{Map, Value};

use super::middleware::current_request_id;
use super::problem::ApiError;
use super::AppState;
use crate::domain::field::FieldError;
use crate::service::clients::{IfMatch, Precondition};
use crate::service::{Actor, ServiceError};

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY: usize = 1024 * 1024;

/// The authenticated caller, from `X-Api-Key` or `Authorization: Bearer`.
pub struct Auth(pub Actor);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let presented = presented_key(&parts.headers).ok_or(ServiceError::Unauthenticated)?;
        let actor = state.service.authenticate(presented, current_request_id()).await?;
        Ok(Auth(actor))
    }
}

fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(key) = headers.get("x-api-key") {
        return key.to_str().ok();
    }
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
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

/// A request body that must be a JSON object.
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > MAX_BODY) {
            return Err(ApiError::PayloadTooLarge(MAX_BODY));
        }
        let limited = axum::body::to_bytes(request.into_body(), MAX_BODY);
        let bytes: Bytes = limited.await.map_err(|_| ApiError::PayloadTooLarge(MAX_BODY))?;
        let _ = state;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(JsonObject(map)),
            Ok(_) => Err(ApiError::NotAnObject),
            Err(e) => Err(ApiError::MalformedJson(e.to_string())),
        }
    }
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
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        Ok(QueryPairs(form_urlencoded::parse(query.as_bytes()).into_owned().collect()))
    }
}

/// Reads query parameters one by one and reports every problem together,
/// unknown parameters included (a misspelt filter must not silently match all).
pub struct ParamReader<'a> {
    pairs: &'a [(String, String)],
    seen: HashSet<&'a str>,
    errors: Vec<FieldError>,
}

impl<'a> ParamReader<'a> {
    pub fn new(pairs: &'a [(String, String)]) -> Self {
        Self { pairs, seen: HashSet::new(), errors: Vec::new() }
    }

    /// A single-valued parameter; given twice is an error.
    pub fn get(&mut self, name: &'a str) -> Option<&'a str> {
        self.seen.insert(name);
        let mut values = self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
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

    /// A comma-separated list; repeats of the parameter add to it.
    pub fn list(&mut self, name: &'a str) -> Vec<&'a str> {
        self.seen.insert(name);
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub fn error(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(name, message));
    }

    pub fn finish(mut self) -> Result<(), ServiceError> {
        let mut unknown: Vec<&str> =
            self.pairs.iter().map(|(k, _)| k.as_str()).filter(|k| !self.seen.contains(k)).collect();
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
