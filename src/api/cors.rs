//! Cross-origin requests from browsers (CORS): the vendors' own JavaScript
//! examples, and a firm's web form posting to its public intake endpoint.
//!
//! - The API answers the origins of `--cors-origins` (none by default, so a
//!   browser on another origin is refused as before).
//! - The public intake endpoint answers any origin: it is meant to be posted
//!   to from a firm's own site, and its token is the only capability.
//! - Credentials (cookies, HTTP auth) are never allowed: the API authenticates
//!   by header (`X-Api-Key`, `Authorization: Bearer`), which a browser sends
//!   cross-origin without them, and allowing them would only widen what a
//!   page may do with a visitor's ambient credentials.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// The path prefix of the public intake endpoint.
const PUBLIC_INTAKE: &str = "/v1/intake/";

/// How long a browser may reuse a preflight's answer.
const MAX_AGE_SECS: &str = "600";

const API_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
const INTAKE_METHODS: &str = "POST";

/// Response headers a page may read besides the CORS-safelisted ones.
const EXPOSED: &str = "ETag, Location, Link, Retry-After, RateLimit, RateLimit-Policy, X-Request-Id, Idempotent-Replayed";

/// A browser origin as sent in `Origin`: `scheme://host[:port]`, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    pub fn parse(text: &str) -> Result<Self, String> {
        let origin = text.trim().to_ascii_lowercase();
        let (scheme, rest) = origin.split_once("://").ok_or_else(|| format!("`{text}` is not an origin (https://host[:port])"))?;
        let plain_host = !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
        if !matches!(scheme, "http" | "https") || !plain_host {
            return Err(format!("`{text}` is not an origin: scheme://host[:port], no path"));
        }
        Ok(Self(origin))
    }
}

/// One value of `--cors-origins`: an origin, or `*`.
pub fn flag_value(text: &str) -> Result<String, String> {
    if text.trim() == "*" {
        return Ok("*".into());
    }
    Origin::parse(text).map(|o| o.0)
}

/// Which origins the API answers (`--cors-origins`).
#[derive(Debug, Clone, Default)]
pub enum CorsOrigins {
    /// Only the public intake endpoint answers other origins.
    #[default]
    None,
    /// `*`: every origin.
    Any,
    List(Arc<[Origin]>),
}

impl CorsOrigins {
    /// From the flag's values: origins, `*` among them meaning every origin.
    /// Values that are neither were refused when the flag was read
    /// ([`flag_value`]).
    pub fn from_values(values: &[String]) -> Self {
        if values.iter().any(|v| v.trim() == "*") {
            return Self::Any;
        }
        let list: Vec<Origin> = values.iter().filter_map(|v| Origin::parse(v).ok()).collect();
        if list.is_empty() { Self::None } else { Self::List(list.into()) }
    }

    fn allows(&self, origin: &str) -> bool {
        match self {
            Self::None => false,
            Self::Any => true,
            Self::List(list) => list.iter().any(|o| o.0.eq_ignore_ascii_case(origin)),
        }
    }
}

/// What a request from `Origin` may be answered with.
struct Grant {
    /// `*`, or the origin echoed (then the answer varies by `Origin`).
    allow_origin: HeaderValue,
    echoed: bool,
    methods: &'static str,
}

fn grant(origins: &CorsOrigins, path: &str, origin: &HeaderValue) -> Option<Grant> {
    let any = HeaderValue::from_static("*");
    if path.starts_with(PUBLIC_INTAKE) {
        return Some(Grant { allow_origin: any, echoed: false, methods: INTAKE_METHODS });
    }
    match origins {
        CorsOrigins::Any => Some(Grant { allow_origin: any, echoed: false, methods: API_METHODS }),
        _ if origins.allows(origin.to_str().ok()?) => Some(Grant { allow_origin: origin.clone(), echoed: true, methods: API_METHODS }),
        _ => None,
    }
}

/// Answers preflights of granted origins, and adds the CORS headers to the
/// responses they then get. Anything else passes through untouched (a
/// preflight from an origin not granted meets the router's 405).
pub async fn cors(State(origins): State<CorsOrigins>, request: Request, next: Next) -> Response {
    let Some(origin) = request.headers().get(header::ORIGIN).cloned() else { return next.run(request).await };
    let listed = matches!(origins, CorsOrigins::List(_));
    let Some(grant) = grant(&origins, request.uri().path(), &origin) else {
        let mut response = next.run(request).await;
        if listed {
            vary(response.headers_mut(), "Origin");
        }
        return response;
    };
    if request.method() == Method::OPTIONS && request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
        return preflight(request.headers(), &grant);
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    allow(headers, &grant);
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED));
    response
}

fn preflight(request: &HeaderMap, grant: &Grant) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    allow(headers, grant);
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(grant.methods));
    // Any request header may be sent: none of them is a credential a browser
    // would add on its own, and the vendors' examples send their own.
    if let Some(asked) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE_SECS));
    vary(headers, "Access-Control-Request-Method, Access-Control-Request-Headers");
    response
}

fn allow(headers: &mut HeaderMap, grant: &Grant) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, grant.allow_origin.clone());
    if grant.echoed {
        vary(headers, "Origin");
    }
}

fn vary(headers: &mut HeaderMap, names: &'static str) {
    headers.append(header::VARY, HeaderValue::from_static(names));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert_eq!(Origin::parse("https://App.Example.com").unwrap(), Origin("https://app.example.com".into()));
        assert!(Origin::parse("http://localhost:3000").is_ok());
        for bad in ["app.example.com", "https://app.example.com/", "https://a.example/path", "ftp://a.example", "https://"] {
            assert!(Origin::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_star_is_every_origin() {
        assert!(matches!(CorsOrigins::from_values(&["*".into()]), CorsOrigins::Any));
        assert!(matches!(CorsOrigins::from_values(&["https://a.example".into(), "*".into()]), CorsOrigins::Any));
        assert!(matches!(CorsOrigins::from_values(&[]), CorsOrigins::None));
        assert!(flag_value("https://a.example/x").is_err());
    }
}
