//! What a request authenticates with: an API key (`X-Api-Key` or
//! `Authorization: Bearer`), or else the console's session cookie, which
//! must come with its CSRF token on any request that may change something
//! (docs/security.md, "Console sign-in").

use axum::http::{header, HeaderMap, HeaderValue, Method};

use super::extract::presented_key;
use super::AppState;
use crate::domain::credential::SESSION_MS;
use crate::service::{Actor, ServiceError};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "clientele_session";
/// The header a cookie-authenticated change carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The caller behind a request, or `Unauthenticated` (no credential, or an
/// invalid one), or `CsrfTokenInvalid`.
pub async fn authenticate(state: &AppState, method: &Method, headers: &HeaderMap, request_id: Option<String>) -> Result<Actor, ServiceError> {
    if let Some(presented) = presented_key(headers)? {
        return state.service.authenticate(presented, request_id).await;
    }
    let cookie = session_cookie(headers).ok_or(ServiceError::Unauthenticated)?;
    let session = state.service.authenticate_session(cookie, request_id).await?;
    if !is_safe(method) {
        let presented = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if !presented.is_some_and(|csrf| session.token.csrf_matches(csrf)) {
            return Err(ServiceError::CsrfTokenInvalid);
        }
    }
    Ok(session.actor)
}

/// Methods a browser may send from another site's page without a preflight
/// and that change nothing here.
fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The session cookie's value, from however many `Cookie` headers.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
}

/// The `Set-Cookie` that starts a session: `HttpOnly`, `SameSite=Strict`,
/// and `Secure` when the request came over TLS (as the proxy that ended it
/// says with `X-Forwarded-Proto: https`; the server itself speaks HTTP).
pub fn start_cookie(token: &str, request: &HeaderMap) -> HeaderValue {
    let secure = if over_tls(request) { "; Secure" } else { "" };
    let max_age = SESSION_MS / 1000;
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}");
    HeaderValue::from_str(&cookie).expect("a token is a valid header value")
}

/// The `Set-Cookie` that ends a session in the browser.
pub fn end_cookie(request: &HeaderMap) -> HeaderValue {
    let secure = if over_tls(request) { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure}");
    HeaderValue::from_str(&cookie).expect("a valid header value")
}

fn over_tls(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("theme=dark; clientele_session=abc"));
        headers.append(header::COOKIE, HeaderValue::from_static("other=1"));
        assert_eq!(session_cookie(&headers), Some("abc"));
        assert_eq!(session_cookie(&HeaderMap::new()), None);
    }

    #[test]
    fn cookies_are_secure_only_behind_tls() {
        let mut headers = HeaderMap::new();
        assert!(!start_cookie("t", &headers).to_str().unwrap().contains("Secure"));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        let cookie = start_cookie("t", &headers);
        let cookie = cookie.to_str().unwrap();
        assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    }
}
