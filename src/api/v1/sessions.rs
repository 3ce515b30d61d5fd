//! `/v1/sessions`: the console's sign-in and sign-out, and
//! `PUT /v1/users/{id}/password`.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::record_views::UserView;
use crate::api::credentials::{end_cookie, session_cookie, start_cookie};
use crate::api::extract::{Auth, ClientAddress, JsonObject, PathId};
use crate::api::json::Json;
use crate::api::problem::{ApiError, Problem};
use crate::api::AppState;
use crate::domain::input::Reader;
use crate::service::sessions::SignedIn;
use crate::service::ServiceError;

/// `POST /v1/sessions`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SessionCreate {
    /// The firm the user belongs to (emails are unique only within a firm).
    #[schema(example = "firm_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    firm_id: String,
    #[schema(example = "ada@firm.example")]
    email: String,
    #[schema(example = "correct horse battery staple", format = Password)]
    password: String,
}

/// `PUT /v1/users/{id}/password`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PasswordSet {
    /// 12 to 256 characters.
    #[schema(example = "correct horse battery staple", format = Password, min_length = 12, max_length = 256)]
    password: String,
    /// Required when a user changes their own password.
    #[schema(format = Password)]
    current_password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionView {
    pub id: String,
    pub user: UserView,
    /// Send it as `X-CSRF-Token` with every request that may change anything.
    pub csrf_token: String,
    /// What the user's role allows.
    #[schema(value_type = Vec<crate::api::openapi::ScopeName>)]
    pub scopes: Vec<&'static str>,
    pub expires_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionEnvelope {
    pub data: SessionView,
}

#[utoipa::path(
    post, path = "/v1/sessions", tag = "sessions",
    summary = "Sign in",
    description = "A staff user signs in with their firm, email and password, for the console. The answer \
        sets the session cookie (`HttpOnly`, `SameSite=Strict`, `Secure` behind TLS) and gives the CSRF token \
        that requests changing anything must carry as `X-CSRF-Token`. A wrong firm, email or password and a \
        locked account (5 failures in a row lock it for 15 minutes) all answer the same 401. Attempts from one \
        address are limited like failed authentication (`--failed-auth-per-minute`).",
    request_body(content = SessionCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "Signed in; the cookie is set", body = SessionEnvelope, headers(("Set-Cookie" = String))),
        (status = 400, description = "A field is missing or not a string, or an unknown field is sent (`invalid_request`), or the body is not a JSON object (`malformed_json`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong credentials or a locked account", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(State(state): State<AppState>, ClientAddress(address): ClientAddress, headers: HeaderMap, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    let mut r = Reader::new(&body);
    let firm = required(&mut r, "firm_id");
    let email = required(&mut r, "email");
    let password = required(&mut r, "password");
    r.finish().map_err(ServiceError::Invalid)?;
    let decision = state.service.record_sign_in_attempt(&address).await;
    if !decision.allowed {
        return Err(ServiceError::RateLimited { retry_after_secs: decision.retry_after_secs }.into());
    }
    let request_id = crate::api::context::current_request_id();
    let signed_in = state.service.sign_in(&firm, &email, &password, request_id).await?;
    let mut response = (StatusCode::CREATED, Json(SessionEnvelope { data: view(&signed_in) })).into_response();
    response.headers_mut().insert(header::SET_COOKIE, start_cookie(signed_in.token.expose(), &headers));
    Ok(response)
}

fn required(r: &mut Reader<'_>, name: &'static str) -> String {
    let value = r.str(name).map(str::to_string);
    if value.is_none() && !r.has_error(name) {
        r.error(name, "is required");
    }
    value.unwrap_or_default()
}

fn view(signed_in: &SignedIn) -> SessionView {
    SessionView {
        id: signed_in.session.id.to_string(),
        user: UserView::from(&signed_in.user),
        csrf_token: signed_in.token.csrf_token(),
        scopes: signed_in.scopes().iter().map(|s| s.as_str()).collect(),
        expires_at: signed_in.session.expires_at.to_string(),
    }
}

#[utoipa::path(
    get, path = "/v1/sessions/current", tag = "sessions",
    summary = "The current session",
    description = "The session the cookie names, with its CSRF token (the console reads it after a reload). \
        401 without a live session.",
    responses(
        (status = 200, description = "The session", body = SessionEnvelope),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn current(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<SessionEnvelope>, ApiError> {
    let cookie = session_cookie(&headers).ok_or(ServiceError::Unauthenticated)?;
    let session = state.service.authenticate_session(cookie, crate::api::context::current_request_id()).await?;
    Ok(Json(SessionEnvelope { data: view(&session) }))
}

#[utoipa::path(
    delete, path = "/v1/sessions/current", tag = "sessions",
    summary = "Sign out",
    description = "Ends the session the cookie names and clears the cookie. Needs `X-CSRF-Token`.",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The request came with an API key, not a session", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`csrf_token_invalid`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(State(state): State<AppState>, Auth(actor): Auth, headers: HeaderMap) -> Result<Response, ApiError> {
    state.service.sign_out(&actor).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, end_cookie(&headers))]).into_response())
}

#[utoipa::path(
    put, path = "/v1/users/{id}/password", tag = "users",
    summary = "Set a user's password",
    description = "An admin sets or resets another user's password with `{\"password\"}`. A user (an admin \
        too) changes their own with `{\"current_password\", \"password\"}`. Passwords have 12 to 256 characters. The user's other \
        sessions end; their failed sign-ins and lock are forgotten.",
    params(("id" = String, Path, description = "User id (`usr_…`)")),
    request_body(content = PasswordSet, content_type = "application/json"),
    responses(
        (status = 204, description = "Set"),
        (status = 400, description = "Too short or long, or a wrong `current_password`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Another user's password, without `admin`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_password(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, JsonObject(body): JsonObject) -> Result<StatusCode, ApiError> {
    let id = super::records::path_id(&id, "user")?;
    let mut r = Reader::new(&body);
    let password = required(&mut r, "password");
    let current = r.str("current_password").map(str::to_string);
    r.finish().map_err(ServiceError::Invalid)?;
    state.service.set_password(&actor, id, current.as_deref(), &password).await?;
    Ok(StatusCode::NO_CONTENT)
}
