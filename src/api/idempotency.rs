//! `Idempotency-Key` on POST: the first response under a key is recorded and
//! replayed byte for byte to retries with the same request; the same key with
//! a different request is a 422; a retry while the first attempt runs is a
//! 409. The key is claimed by the request's first write, in its transaction
//! (`service::idempotency`).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::extract::{body_limit, presented_key, read_body};
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::service::idempotency::{Outcome, Pending};
use crate::domain::ids::{KeyId, UserId};
use crate::service::ServiceError;
use crate::store::StoredResponse;

pub static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
static REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Response headers kept with the body (the rest are per-response).
const KEPT_HEADERS: &[&str] = &["content-type", "location", "etag", "retry-after"];

pub async fn idempotency(State(state): State<AppState>, request: Request, next: Next) -> Result<Response, ApiError> {
    // Signing in changes nothing a retry could repeat; and a sign-in has no
    // credential yet, so its key would be shared by everyone.
    if request.method() != Method::POST || request.uri().path() == "/v1/sessions" {
        return Ok(next.run(request).await);
    }
    let Some(key) = request.headers().get(&IDEMPOTENCY_KEY).map(|v| v.to_str().map(str::to_string)) else {
        return Ok(next.run(request).await);
    };
    let key = key.unwrap_or_default();
    // Only a caller who could make the request may claim or replay a key: a
    // bad, revoked or ambiguous credential goes straight to the handler (and
    // its 401 or 400), costing no write here.
    let credential = match super::credentials::authenticate(&state, request.method(), request.headers(), None).await {
        Ok(actor) => Caller::of(&actor),
        Err(ServiceError::Unauthenticated) if !has_credential(request.headers()) => Caller::Anonymous,
        Err(_) => return Ok(next.run(request).await),
    };
    let (parts, body) = request.into_parts();
    let body = read_body(body, body_limit(parts.uri.path())).await?;
    let scope = scope_of(credential, parts.uri.path());
    let request_hash = request_hash(&parts.method, &parts.uri, &parts.headers, &body);
    match state.service.check_idempotency_key(scope, &key, request_hash).await? {
        Outcome::Replay(stored) => Ok(replay(stored)),
        Outcome::Run(pending) => {
            // Run and record in a task of its own, so a timeout or a client
            // that hangs up can't leave a change made with its response unkept.
            let request = Request::from_parts(parts, Body::from(body));
            let task = tokio::spawn(async move {
                let response = state.service.with_idempotency(pending.clone(), next.run(request)).await;
                record(&state, &pending, &key, request_hash, response).await
            });
            task.await.map_err(|e| ApiError::Service(ServiceError::Internal(format!("idempotent request failed: {e}"))))?
        }
    }
}

/// Whose idempotency keys a request uses.
enum Caller {
    Key(KeyId),
    /// A signed-in user, through any of their sessions.
    User(UserId),
    Anonymous,
}

impl Caller {
    fn of(actor: &crate::service::Actor) -> Self {
        match (actor.key_id, actor.user_id) {
            (Some(key), _) => Caller::Key(key),
            (None, Some(user)) => Caller::User(user),
            (None, None) => Caller::Anonymous,
        }
    }
}

fn has_credential(headers: &HeaderMap) -> bool {
    !matches!(presented_key(headers), Ok(None)) || super::credentials::session_cookie(headers).is_some()
}

/// Keys belong to the API key that sent them, by its id: however the secret
/// was presented (`X-Api-Key` or `Bearer`), a retry finds its first attempt.
/// A signed-in user's belong to the user. Without a credential they belong
/// to the path (the public intake form's token is in its path).
fn scope_of(caller: Caller, path: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    match caller {
        Caller::Key(id) => {
            hash.update(b"key:");
            hash.update(id.as_bytes());
        }
        Caller::User(id) => {
            hash.update(b"user:");
            hash.update(id.as_bytes());
        }
        Caller::Anonymous => {
            hash.update(b"path:");
            hash.update(path.as_bytes());
        }
    }
    hash.finalize().into()
}

fn request_hash(method: &Method, uri: &axum::http::Uri, headers: &HeaderMap, body: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    for part in [method.as_str().as_bytes(), b"\n", uri.to_string().as_bytes(), b"\n"] {
        hash.update(part);
    }
    if let Some(content_type) = headers.get(axum::http::header::CONTENT_TYPE) {
        hash.update(content_type.as_bytes());
    }
    hash.update(b"\n");
    hash.update(body);
    hash.finalize().into()
}

/// Keeps the response of a request that ran for its retries, unless it
/// failed in a way a retry could fix (5xx, 401, 429): then a request that
/// changed nothing leaves the key free, and one that did leaves it claimed
/// (a retry learns the change was made). A request that lost the key to a
/// twin answers as the twin's retry would.
async fn record(state: &AppState, pending: &Pending, key: &str, request_hash: [u8; 32], response: Response) -> Result<Response, ApiError> {
    let status = response.status();
    if !pending.claimed() && is_problem(&response, "idempotency_in_progress") {
        return match state.service.check_idempotency_key(pending.scope, key, request_hash).await {
            Ok(Outcome::Replay(stored)) => Ok(replay(stored)),
            _ => Ok(response),
        };
    }
    let retryable = status.is_server_error() || status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS;
    if retryable {
        return Ok(response);
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.map_err(|e| {
        ApiError::Service(crate::service::ServiceError::Internal(format!("could not buffer a response: {e}")))
    })?;
    let headers = KEPT_HEADERS
        .iter()
        .filter_map(|name| parts.headers.get(*name).and_then(|v| v.to_str().ok()).map(|v| (name.to_string(), v.to_string())))
        .collect();
    let kept_body = match parts.extensions.get::<Secrets>() {
        Some(secrets) => redact(&bytes, secrets.0),
        None => bytes.to_vec(),
    };
    let stored = StoredResponse { status: status.as_u16(), headers, body: kept_body };
    state.service.keep_idempotent_response(pending, stored).await?;
    parts.headers.insert(REPLAYED.clone(), HeaderValue::from_static("false"));
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// Marks a response that reveals a secret (a new API key, an intake token),
/// by the JSON pointers of the secrets: its replay has them as `null`, so no
/// secret is ever stored. A client that lost the first response learns which
/// record was made (and can revoke it) instead of getting a second one.
#[derive(Clone, Copy)]
pub struct Secrets(pub &'static [&'static str]);

fn redact(body: &[u8], pointers: &[&str]) -> Vec<u8> {
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(body) else { return Vec::new() };
    for pointer in pointers {
        if let Some(secret) = json.pointer_mut(pointer) {
            *secret = serde_json::Value::Null;
        }
    }
    serde_json::to_vec(&json).unwrap_or_default()
}

fn is_problem(response: &Response, code: &str) -> bool {
    response.extensions().get::<Problem>().is_some_and(|p| p.code == code)
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    // A replayed problem is a problem again, for a surface that renders its own.
    let is_problem = stored.headers.iter().any(|(name, value)| name == "content-type" && value == "application/problem+json");
    let problem = is_problem.then(|| Problem::from_json(&stored.body)).flatten();
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    headers.remove(axum::http::header::CONTENT_TYPE);
    for (name, value) in &stored.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::from_str(value)) {
            headers.insert(name, value);
        }
    }
    headers.insert(REPLAYED.clone(), HeaderValue::from_static("true"));
    if let Some(problem) = problem {
        response.extensions_mut().insert(problem);
    }
    response
}
