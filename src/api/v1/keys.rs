//! `/v1/api-keys` and `/v1/me`.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use crate::api::json::Json;
use serde_json::Value;

use super::views::{ApiKeyCreate, ApiKeyEnvelope, ApiKeyList, ApiKeyView, FirmView, MeEnvelope, MeView, Pagination};
use crate::api::extract::{PathId, Auth, JsonObject};
use crate::api::problem::{ApiError, Problem};
use crate::api::idempotency::Secrets;
use crate::api::AppState;
use crate::domain::api_key::contract;
use crate::domain::api_key::{Scope, Scopes};
use crate::domain::ids::{KeyId, UserId};
use crate::domain::input::Reader;
use crate::domain::time::Timestamp;
use crate::service::keys::KeyRequest;
use crate::service::ServiceError;

fn key_id(raw: &str) -> Result<KeyId, ApiError> {
    raw.parse().map_err(|_| ApiError::Service(ServiceError::NotFound("API key")))
}

#[utoipa::path(
    post, path = "/v1/api-keys", tag = "api keys",
    summary = "Create an API key",
    description = "Requires `admin`. The response is the only time the secret is shown.",
    request_body(content = ApiKeyCreate, content_type = "application/json"),
    responses((status = 201, description = "Created; `data.secret` holds the key", body = ApiKeyEnvelope))
)]
pub async fn create(State(state): State<AppState>, Auth(actor): Auth, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    actor.require(Scope::Admin)?;
    let request = key_request(&body)?;
    let new = state.service.create_key(&actor, request).await?;
    let mut view = ApiKeyView::from(&new.key);
    view.secret = Some(new.secret.expose().to_string());
    let mut response = (StatusCode::CREATED, Json(ApiKeyEnvelope { data: view })).into_response();
    response.extensions_mut().insert(Secrets(&["/data/secret"]));
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/api-keys/{}", new.key.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

fn key_request(body: &serde_json::Map<String, Value>) -> Result<KeyRequest, ServiceError> {
    let mut r = Reader::new(body).with_read_only(&["id", "prefix", "created_at", "last_used_at", "revoked_at", "secret"]);
    let name = r.text_of(&contract::NAME);
    let expires_at = r.parsed(contract::EXPIRES_AT.name, |s| Timestamp::parse(s).ok_or("must be an RFC 3339 timestamp".into()));
    let user_id = r.parsed(contract::USER_ID.name, |s| s.parse::<UserId>().map_err(|e| e.to_string()));
    let rate_limit_per_minute = r.integer(contract::RATE_LIMIT.name).map(|n| u32::try_from(n).unwrap_or(0));
    let mut scopes = Vec::new();
    if !r.is_present(contract::SCOPES.name) {
        r.error(contract::SCOPES.name, "is required");
    }
    for (i, item) in r.array(contract::SCOPES.name, Scope::ALL.len()).iter().enumerate() {
        match item.as_str().map(str::parse::<Scope>) {
            Some(Ok(scope)) => scopes.push(scope),
            Some(Err(message)) => r.error(format!("scopes[{i}]"), message),
            None => r.error(format!("scopes[{i}]"), "must be a string"),
        }
    }
    r.finish().map_err(ServiceError::Invalid)?;
    Ok(KeyRequest { name, scopes: Scopes::new(scopes), expires_at, user_id, rate_limit_per_minute })
}

#[utoipa::path(
    get, path = "/v1/api-keys", tag = "api keys",
    summary = "List API keys",
    description = "Requires `admin`. Every key of the firm, revoked ones included, oldest first; never secrets.",
    responses((status = 200, description = "The firm's keys", body = ApiKeyList))
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth) -> Result<Json<ApiKeyList>, ApiError> {
    let keys = state.service.list_keys(&actor).await?;
    let data: Vec<ApiKeyView> = keys.iter().map(ApiKeyView::from).collect();
    let pagination = Pagination::uncounted(data.len(), None);
    Ok(Json(ApiKeyList { data, pagination }))
}

#[utoipa::path(
    get, path = "/v1/api-keys/{id}", tag = "api keys",
    summary = "Get an API key",
    description = "Requires `admin`, except for the key making the request.",
    params(("id" = String, Path, description = "Key id (`key_…`)")),
    responses(
        (status = 200, description = "The key", body = ApiKeyEnvelope),
        (status = 404, description = "No such key in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Json<ApiKeyEnvelope>, ApiError> {
    let key = state.service.get_key(&actor, key_id(&id)?).await?;
    Ok(Json(ApiKeyEnvelope { data: ApiKeyView::from(&key) }))
}

#[utoipa::path(
    delete, path = "/v1/api-keys/{id}", tag = "api keys",
    summary = "Revoke an API key",
    description = "Requires `admin`. The key stops working at once; its record stays for the audit trail.",
    params(("id" = String, Path, description = "Key id (`key_…`)")),
    responses(
        (status = 200, description = "The revoked key", body = ApiKeyEnvelope),
        (status = 404, description = "No such key in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Json<ApiKeyEnvelope>, ApiError> {
    let key = state.service.revoke_key(&actor, key_id(&id)?).await?;
    Ok(Json(ApiKeyEnvelope { data: ApiKeyView::from(&key) }))
}

#[utoipa::path(
    get, path = "/v1/me", tag = "api keys",
    summary = "Who am I",
    description = "Any valid key or console session: its firm, the key (for a key), the staff user (if the key \
        belongs to one, or for a session) and the scopes.",
    responses((status = 200, description = "The caller", body = MeEnvelope))
)]
pub async fn me(State(state): State<AppState>, Auth(actor): Auth) -> Result<Json<MeEnvelope>, ApiError> {
    let key = match actor.key_id {
        Some(id) => Some(ApiKeyView::from(&state.service.get_key(&actor, id).await?)),
        None => None,
    };
    let user = match actor.user_id {
        Some(_) => Some(super::record_views::UserView::from(&state.service.current_user(&actor).await?)),
        None => None,
    };
    let settings = &actor.firm.settings;
    let firm = FirmView {
        id: actor.firm.id.to_string(),
        name: actor.firm.name.clone(),
        default_phone_region: settings.default_phone_region.clone(),
        client_statuses: settings.client_statuses.clone(),
        retention_days: settings.retention_days,
    };
    let scopes = actor.scopes.iter().map(|s| s.as_str()).collect();
    Ok(Json(MeEnvelope { data: MeView { firm, key, user, scopes } }))
}
