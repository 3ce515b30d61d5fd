//! ActuallyCare's Clients API (`../shared/seeds/actuallycare-clients.md`), at
//! `/compat/actuallycare/v1/clients`. Ids are the client's UUID; responses
//! are `{"success": true, "data": …}`; pages are numbered (`page`, `limit`).
//! The real-estate fields the canonical model lacks (`client_type`, budgets,
//! pre-approval, …) live in `custom_fields` under the same keys, so every
//! surface sees them. Choices the seed leaves open: docs/dialects/actuallycare.md.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use crate::api::json::Json;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::common::{custom, int_param, refuse_unknown, uuid_client_id, MAX_PAGE_NUMBER};
use crate::api::problem::Problem;
use crate::api::extract::{precondition, Auth, JsonObject, ParamReader, PathId, QueryPairs};
use crate::api::problem::ApiError;
use crate::api::AppState;
use crate::api::written::written;
use crate::domain::api_key::Scope;
use crate::domain::client::query::{ClientFilter, ClientSort, SortField};
use crate::domain::client::{parse_document, Client, ClientKind};
use crate::domain::field::FieldError;
use crate::domain::firm::FirmSettings;
use crate::domain::phone::{Phone, Region};
use crate::domain::time::Timestamp;
use crate::service::clients::ListRequest;
use crate::service::precondition::Precondition;
use crate::service::ServiceError;

const TAG: &str = "actuallycare";
const DEFAULT_LIMIT: u64 = 25;
const MAX_LIMIT: u64 = 100;

/// ActuallyCare's fields that the canonical model lacks: kept in
/// `custom_fields` under these keys and shown top-level.
const VENDOR_ONLY: &[&str] = &[
    "client_type",
    "budget_min",
    "budget_max",
    "preferred_locations",
    "property_preferences",
    "pre_approved",
    "pre_approval_amount",
    "user_id",
];

/// Body fields that are canonical fields under the same name.
const CANONICAL: &[&str] = &["first_name", "last_name", "email", "phone", "status", "source", "notes", "tags", "custom_fields"];

const PREFERENCE_MINIMUMS: &[&str] = &["bedrooms_min", "bathrooms_min", "square_feet_min"];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(get, update, delete))
}

/// ActuallyCare's error codes, one per kind of failure.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = ActuallycareErrorCode)]
pub enum ErrorCode {
    ValidationError,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    ServiceUnavailable,
    InternalError,
}

impl ErrorCode {
    /// By status: every 4xx the list doesn't name (a malformed or oversized
    /// body, a wrong method) is a request to fix, so `VALIDATION_ERROR`.
    fn of(status: u16) -> Self {
        match status {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            409 | 412 => ErrorCode::Conflict,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::ServiceUnavailable,
            400..=499 => ErrorCode::ValidationError,
            _ => ErrorCode::InternalError,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareFieldError)]
pub struct FieldDetail {
    #[schema(example = "client_type")]
    field: String,
    #[schema(example = "must be one of buyer, seller, both")]
    message: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareErrorDetail)]
pub struct ErrorDetail {
    code: ErrorCode,
    #[schema(example = "client_type must be one of buyer, seller, both")]
    message: String,
    /// For `VALIDATION_ERROR`: each bad field and what is wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Vec<FieldDetail>>,
    /// The id of the request, to quote when asking for help.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

/// ActuallyCare's error envelope.
#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareError)]
pub struct ErrorBody {
    #[schema(example = false)]
    success: bool,
    error: ErrorDetail,
    /// When the error happened (RFC 3339, UTC).
    #[schema(example = "2026-07-15T14:32:10.000Z")]
    timestamp: String,
}

/// `{"success": false, "error": {"code", "message", "details"}, "timestamp"}`.
pub fn error(problem: &Problem) -> (StatusCode, Value) {
    let details: Vec<FieldDetail> =
        problem.field_errors().iter().map(|e| FieldDetail { field: vendor_field(&e.field), message: e.message.clone() }).collect();
    let message = if details.is_empty() {
        problem.detail.clone()
    } else {
        details.iter().map(|d| format!("{} {}", d.field, d.message)).collect::<Vec<_>>().join("; ")
    };
    let body = ErrorBody {
        success: false,
        error: ErrorDetail {
            code: ErrorCode::of(problem.status),
            message,
            details: (!details.is_empty()).then_some(details),
            request_id: problem.request_id.clone(),
        },
        timestamp: Timestamp::now().to_string(),
    };
    (problem.status(), serde_json::to_value(body).unwrap_or_default())
}

/// A field as the caller wrote it: vendor-only fields are top-level here,
/// though the service names them inside `custom_fields`.
fn vendor_field(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("custom_fields.") {
        let key = rest.split(['.', '[']).next().unwrap_or(rest);
        if VENDOR_ONLY.contains(&key) {
            return rest.to_string();
        }
    }
    field.to_string()
}

/// Whether the client buys, sells, or both.
#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
#[schema(as = ActuallycareClientType)]
pub enum ClientType {
    Buyer,
    Seller,
    Both,
}

impl ClientType {
    const EXPECTED: &'static str = "must be one of buyer, seller, both";

    fn parse(s: &str) -> Option<Self> {
        match s {
            "buyer" => Some(ClientType::Buyer),
            "seller" => Some(ClientType::Seller),
            "both" => Some(ClientType::Both),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            ClientType::Buyer => "buyer",
            ClientType::Seller => "seller",
            ClientType::Both => "both",
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycarePropertyPreferences)]
pub struct PropertyPreferences {
    #[schema(value_type = Option<f64>, example = 3)]
    bedrooms_min: Option<Value>,
    #[schema(value_type = Option<f64>, example = 2)]
    bathrooms_min: Option<Value>,
    #[schema(value_type = Option<f64>, example = 1800)]
    square_feet_min: Option<Value>,
    property_types: Option<Vec<String>>,
}

impl PropertyPreferences {
    /// The stored object's well-typed parts (another surface may have stored
    /// anything under this key; it is shown there as it is).
    fn from_stored(value: &Value) -> Option<Self> {
        let obj = value.as_object()?;
        let number = |key: &str| obj.get(key).filter(|v| v.is_number()).cloned();
        Some(Self {
            bedrooms_min: number("bedrooms_min"),
            bathrooms_min: number("bathrooms_min"),
            square_feet_min: number("square_feet_min"),
            property_types: obj.get("property_types").and_then(strings),
        })
    }
}

/// A client, as every operation returns it.
#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareClient)]
pub struct ClientView {
    #[schema(example = "a3f8c1d2-6b4e-4a9f-8d27-95c0e3b1f684")]
    id: String,
    /// The agent responsible for the client (kept as given).
    user_id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    /// Only for a company client (made through another surface), which has no first or last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    company_name: Option<String>,
    email: Option<String>,
    /// National form for numbers of the firm's phone region (`(661) 555-0142`), else E.164.
    #[schema(example = "(661) 555-0142")]
    phone: Option<String>,
    client_type: Option<ClientType>,
    /// `active`, `inactive` or `closed` (the firm's client statuses).
    #[schema(example = "active")]
    status: String,
    #[schema(example = "Zillow")]
    source: Option<String>,
    #[schema(value_type = Option<f64>, example = 350000)]
    budget_min: Option<Value>,
    #[schema(value_type = Option<f64>, example = 475000)]
    budget_max: Option<Value>,
    preferred_locations: Option<Vec<String>>,
    property_preferences: Option<PropertyPreferences>,
    pre_approved: Option<bool>,
    #[schema(value_type = Option<f64>, example = 460000)]
    pre_approval_amount: Option<Value>,
    notes: Option<String>,
    tags: Vec<String>,
    /// The client's other custom fields (the ones above are not repeated here).
    #[schema(value_type = Object)]
    custom_fields: Map<String, Value>,
    /// Send it back with PUT to make the update conditional on it.
    #[schema(example = 1)]
    version: i64,
    #[schema(example = "2026-07-01T22:49:27.331Z")]
    created_at: String,
    #[schema(example = "2026-07-01T22:49:27.331Z")]
    updated_at: String,
}

impl ClientView {
    fn new(c: &Client, region: &Region) -> Self {
        let f = &c.fields;
        let number = |key: &str| custom(c, key).filter(|v| v.is_number()).cloned();
        let text = |key: &str| custom(c, key).and_then(Value::as_str).map(str::to_string);
        Self {
            id: c.id.as_uuid().hyphenated().to_string(),
            user_id: text("user_id"),
            first_name: f.first_name.clone(),
            last_name: f.last_name.clone(),
            company_name: (f.kind == ClientKind::Company).then(|| f.company_name.clone()).flatten(),
            email: f.email.as_ref().map(|e| e.as_str().to_string()),
            phone: f.phone.as_ref().map(|p| phone_view(p, region)),
            client_type: custom(c, "client_type").and_then(Value::as_str).and_then(ClientType::parse),
            status: f.status.clone(),
            source: f.source.clone(),
            budget_min: number("budget_min"),
            budget_max: number("budget_max"),
            preferred_locations: custom(c, "preferred_locations").and_then(strings),
            property_preferences: custom(c, "property_preferences").and_then(PropertyPreferences::from_stored),
            pre_approved: custom(c, "pre_approved").and_then(Value::as_bool),
            pre_approval_amount: number("pre_approval_amount"),
            notes: f.notes.clone(),
            tags: f.tags.clone(),
            custom_fields: f.custom_fields.iter().filter(|(k, _)| !VENDOR_ONLY.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect(),
            version: c.version,
            created_at: c.created_at.to_string(),
            updated_at: c.updated_at.to_string(),
        }
    }
}

/// `(661) 555-0142` for a valid number of the firm's region; E.164 otherwise
/// (which reads back as the same number either way).
fn phone_view(phone: &Phone, region: &Region) -> String {
    phonenumber::parse(None, phone.as_str())
        .ok()
        .filter(|n| n.is_valid() && n.country().id().is_some_and(|id| AsRef::<str>::as_ref(&id) == region.code()))
        .map(|n| n.format().mode(phonenumber::Mode::National).to_string())
        .unwrap_or_else(|| phone.as_str().to_string())
}

fn strings(value: &Value) -> Option<Vec<String>> {
    value.as_array()?.iter().map(|s| s.as_str().map(str::to_string)).collect()
}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareClientEnvelope)]
pub struct ClientEnvelope {
    #[schema(example = true)]
    success: bool,
    data: ClientView,
}

impl ClientEnvelope {
    fn new(client: &Client, region: &Region) -> Self {
        Self { success: true, data: ClientView::new(client, region) }
    }
}

/// A written client in the envelope, as `actor` may see it ([`crate::api::written`]).
fn written_envelope(actor: &crate::service::Actor, client: &Client) -> Value {
    const OWNED: &[&str] = &["id", "version", "created_at", "updated_at"];
    let view = ClientView::new(client, &actor.firm.settings.phone_region());
    serde_json::json!({ "success": true, "data": written(actor, Scope::ClientsRead, view, OWNED) })
}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareMeta)]
pub struct Meta {
    #[schema(example = 1)]
    page: u64,
    #[schema(example = 25)]
    limit: u64,
    #[schema(example = 42)]
    total: u64,
    #[serde(rename = "totalPages")]
    #[schema(example = 2)]
    total_pages: u64,
    #[serde(rename = "hasMore")]
    #[schema(example = true)]
    has_more: bool,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareClientPage)]
pub struct ClientPage {
    clients: Vec<ClientView>,
    meta: Meta,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareClientList)]
pub struct ClientList {
    #[schema(example = true)]
    success: bool,
    data: ClientPage,
}

/// Always empty: the client is gone.
#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareEmpty)]
pub struct Empty {}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareDeleted)]
pub struct Deleted {
    #[schema(example = true)]
    success: bool,
    data: Empty,
    #[schema(example = "2026-07-15T14:32:10.000Z")]
    timestamp: String,
}

/// The body of Create.
#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareClientCreate)]
#[allow(dead_code)] // documents the body; requests are read as JSON objects
pub struct ClientCreate {
    #[schema(example = "Jordan")]
    first_name: String,
    #[schema(example = "Lee")]
    last_name: String,
    #[schema(format = Email)]
    email: Option<String>,
    /// Any common format; a number without country code is in the firm's region.
    #[schema(example = "(661) 555-0142")]
    phone: Option<String>,
    client_type: ClientType,
    /// `active` (the default), `inactive` or `closed`.
    #[schema(required = false, example = "active")]
    status: String,
    source: Option<String>,
    #[schema(minimum = 0)]
    budget_min: Option<f64>,
    #[schema(minimum = 0)]
    budget_max: Option<f64>,
    preferred_locations: Option<Vec<String>>,
    property_preferences: Option<PropertyPreferencesWrite>,
    pre_approved: Option<bool>,
    #[schema(minimum = 0)]
    pre_approval_amount: Option<f64>,
    notes: Option<String>,
    tags: Option<Vec<String>>,
    /// Any UUID (the agent responsible).
    user_id: Option<String>,
    /// Other custom fields.
    #[schema(required = false, value_type = Object)]
    custom_fields: Map<String, Value>,
}

/// The body of Update: only the fields sent change, and `null` clears one.
#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareClientUpdate)]
#[allow(dead_code)] // documents the body; requests are read as JSON objects
pub struct ClientUpdate {
    #[schema(required = false)]
    first_name: String,
    #[schema(required = false)]
    last_name: String,
    #[schema(format = Email)]
    email: Option<String>,
    phone: Option<String>,
    /// Can be changed, not cleared.
    #[schema(required = false)]
    client_type: ClientType,
    #[schema(required = false, example = "inactive")]
    status: String,
    source: Option<String>,
    #[schema(minimum = 0)]
    budget_min: Option<f64>,
    #[schema(minimum = 0)]
    budget_max: Option<f64>,
    preferred_locations: Option<Vec<String>>,
    /// Merged key by key.
    property_preferences: Option<PropertyPreferencesWrite>,
    pre_approved: Option<bool>,
    #[schema(minimum = 0)]
    pre_approval_amount: Option<f64>,
    notes: Option<String>,
    /// Replaces the client's tags.
    tags: Option<Vec<String>>,
    user_id: Option<String>,
    /// Merged key by key; a key set to `null` is removed.
    #[schema(required = false, value_type = Object)]
    custom_fields: Map<String, Value>,
    /// The version the update is based on: 409 `CONFLICT` if it is no longer current.
    #[schema(required = false, minimum = 1, example = 3)]
    version: i64,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycarePropertyPreferencesWrite)]
#[allow(dead_code)] // documents the body
pub struct PropertyPreferencesWrite {
    #[schema(minimum = 0)]
    bedrooms_min: Option<f64>,
    #[schema(minimum = 0)]
    bathrooms_min: Option<f64>,
    #[schema(minimum = 0)]
    square_feet_min: Option<f64>,
    property_types: Option<Vec<String>>,
}

/// What a body is for: a new client (of a firm with these settings) or a
/// merge patch of one.
#[derive(Clone, Copy)]
enum Write<'a> {
    Create(&'a FirmSettings),
    Update,
}

/// The canonical document (or merge patch) for an ActuallyCare body: its own
/// fields checked and moved into `custom_fields`, the rest as they are.
fn to_canonical(mut body: Map<String, Value>, write: Write<'_>) -> Result<Map<String, Value>, ApiError> {
    let creating = matches!(write, Write::Create(_));
    let known: Vec<&str> = CANONICAL.iter().chain(VENDOR_ONLY).copied().collect();
    refuse_unknown(&body, &known)?;
    // A client always has a status: null would silently reset it to the default.
    if body.get("status").is_some_and(Value::is_null) {
        return Err(ServiceError::invalid("status", "must be a status (active, inactive or closed), not null").into());
    }
    let mut custom = match body.remove("custom_fields") {
        None => Map::new(),
        Some(Value::Null) if creating => Map::new(),
        Some(Value::Object(custom)) => custom,
        Some(_) => return Err(ServiceError::invalid("custom_fields", "must be an object (set a key to null to remove it)").into()),
    };
    for key in VENDOR_ONLY {
        if let Some(value) = body.remove(*key) {
            custom.insert((*key).to_string(), value);
        }
    }
    let mut errors = check_vendor_fields(&custom, creating);
    if !errors.is_empty() {
        // Report the canonical fields' problems in the same response.
        if let Write::Create(settings) = write {
            body.insert("kind".into(), "person".into());
            errors.extend(parse_document(&body, settings).err().unwrap_or_default());
        }
        return Err(ServiceError::Invalid(errors).into());
    }
    if !custom.is_empty() {
        body.insert("custom_fields".into(), Value::Object(custom));
    }
    Ok(body)
}

/// A field, whether a (non-null) value of it is valid, and what to say if not.
type Check = (&'static str, fn(&Value) -> bool, &'static str);

/// The types of ActuallyCare's own fields (which the service, seeing only
/// custom fields, cannot know).
fn check_vendor_fields(custom: &Map<String, Value>, creating: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match custom.get("client_type") {
        Some(Value::String(s)) if ClientType::parse(s).is_some() => {}
        None if !creating => {}
        None | Some(Value::Null) => errors.push(FieldError::new("client_type", format!("is required and {}", ClientType::EXPECTED))),
        Some(_) => errors.push(FieldError::new("client_type", ClientType::EXPECTED)),
    }
    let checks: [Check; 6] = [
        ("budget_min", is_amount, "must be a number of at least 0"),
        ("budget_max", is_amount, "must be a number of at least 0"),
        ("pre_approval_amount", is_amount, "must be a number of at least 0"),
        ("pre_approved", Value::is_boolean, "must be true or false"),
        ("preferred_locations", |v| strings(v).is_some(), "must be an array of strings"),
        ("user_id", |v| v.as_str().is_some_and(|s| uuid::Uuid::try_parse(s).is_ok()), "must be a UUID"),
    ];
    for (key, valid, message) in checks {
        // `null` removes the field (on create: leaves it out).
        if custom.get(key).is_some_and(|v| !v.is_null() && !valid(v)) {
            errors.push(FieldError::new(key, message));
        }
    }
    match custom.get("property_preferences") {
        None | Some(Value::Null) => {}
        Some(Value::Object(prefs)) => check_preferences(prefs, &mut errors),
        Some(_) => errors.push(FieldError::new("property_preferences", "must be an object")),
    }
    errors
}

fn check_preferences(prefs: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    for (key, value) in prefs {
        let field = format!("property_preferences.{}", key.chars().take(64).collect::<String>());
        if value.is_null() {
            continue;
        }
        if PREFERENCE_MINIMUMS.contains(&key.as_str()) {
            if !is_amount(value) {
                errors.push(FieldError::new(field, "must be a number of at least 0"));
            }
        } else if key == "property_types" {
            if strings(value).is_none() {
                errors.push(FieldError::new(field, "must be an array of strings"));
            }
        } else {
            errors.push(FieldError::new(field, "is not a known field"));
        }
    }
}

fn is_amount(value: &Value) -> bool {
    value.as_f64().is_some_and(|n| n >= 0.0)
}

#[utoipa::path(
    get, path = "/v1/clients", tag = TAG,
    summary = "List all clients",
    description = "Requires `clients:read`. Numbered pages of the firm's clients, newest first.",
    params(
        ("client_type" = Option<ClientType>, Query, description = "Only clients of this type"),
        ("status" = Option<String>, Query, description = "Only clients with this status: `active`, `inactive` or `closed`"),
        ("page" = Option<u64>, Query, minimum = 1, description = "Page number (default 1)"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Clients per page (default 25, max 100)"),
    ),
    responses(
        (status = 200, description = "A page: clients under `data.clients`, pagination under `data.meta`", body = ClientList),
        (status = 400, description = "`VALIDATION_ERROR`: a bad or unknown parameter", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`: missing or invalid API key", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: the key lacks `clients:read`", body = ErrorBody),
        (status = 429, description = "`RATE_LIMITED`: wait `Retry-After` seconds", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        (status = 500, description = "`INTERNAL_ERROR`", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsRead).map_err(ApiError::from)?;
    let settings = &actor.firm.settings;
    let mut p = ParamReader::new(&pairs);
    let client_type = p.parsed("client_type", |s| ClientType::parse(s).ok_or_else(|| ClientType::EXPECTED.to_string()));
    let status = p.parsed("status", |s| {
        if settings.allows_status(s) {
            Ok(s.to_string())
        } else {
            Err(format!("must be one of: {}", settings.client_statuses.join(", ")))
        }
    });
    let page = int_param(&mut p, "page", 1, MAX_PAGE_NUMBER).unwrap_or(1);
    let limit = int_param(&mut p, "limit", 1, MAX_LIMIT).unwrap_or(DEFAULT_LIMIT);
    p.finish()?;
    let filter = ClientFilter {
        statuses: status.into_iter().collect(),
        custom: client_type.map(|t| ("client_type".to_string(), t.as_str().to_string())).into_iter().collect(),
        ..ClientFilter::default()
    };
    let request = ListRequest {
        filter,
        sort: ClientSort { field: SortField::CreatedAt, descending: true },
        cursor: None,
        offset: (page - 1) * limit,
        limit: Some(limit as usize),
        include_total: true,
    };
    let found = state.service.list_clients(&actor, request).await?;
    let total = found.total.unwrap_or_default();
    let region = settings.phone_region();
    let data = ClientPage {
        clients: found.items.iter().map(|c| ClientView::new(c, &region)).collect(),
        meta: Meta { page, limit, total, total_pages: total.div_ceil(limit), has_more: page * limit < total },
    };
    Ok(Json(ClientList { success: true, data }).into_response())
}

#[utoipa::path(
    post, path = "/v1/clients", tag = TAG,
    summary = "Create new client",
    description = "Requires `clients:write`. `first_name`, `last_name` and `client_type` are required.",
    request_body(content = ClientCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "Client created", body = ClientEnvelope),
        (status = 400, description = "`VALIDATION_ERROR`: missing or invalid fields, listed in `details`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: the key lacks `clients:write`", body = ErrorBody),
        (status = 409, description = "`CONFLICT`: another client has this email, or a request with this `Idempotency-Key` is running", body = ErrorBody),
        (status = 413, description = "`VALIDATION_ERROR`: body over 1 MiB", body = ErrorBody),
        (status = 415, description = "`VALIDATION_ERROR`: body not sent as JSON", body = ErrorBody),
        (status = 422, description = "`VALIDATION_ERROR`: this `Idempotency-Key` was used with another request", body = ErrorBody),
        (status = 429, description = "`RATE_LIMITED`", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        (status = 500, description = "`INTERNAL_ERROR`", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`", body = ErrorBody),
    )
)]
pub async fn create(State(state): State<AppState>, Auth(actor): Auth, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsWrite).map_err(ApiError::from)?;
    let mut doc = to_canonical(body, Write::Create(&actor.firm.settings))?;
    doc.insert("kind".into(), "person".into());
    let client = state.service.create_client(&actor, &doc).await?;
    Ok((StatusCode::CREATED, Json(written_envelope(&actor, &client))).into_response())
}

#[utoipa::path(
    get, path = "/v1/clients/{id}", tag = TAG,
    summary = "Get client by ID",
    description = "Requires `clients:read`.",
    params(("id" = String, Path, description = "The client's UUID")),
    responses(
        (status = 200, description = "Client found", body = ClientEnvelope),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: the key lacks `clients:read`", body = ErrorBody),
        (status = 404, description = "`NOT_FOUND`, also for another firm's client", body = ErrorBody),
        (status = 429, description = "`RATE_LIMITED`", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        (status = 500, description = "`INTERNAL_ERROR`", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`", body = ErrorBody),
    )
)]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsRead).map_err(ApiError::from)?;
    let client = state.service.get_client(&actor, uuid_client_id(&id)?).await?;
    Ok(Json(ClientEnvelope::new(&client, &actor.firm.settings.phone_region())).into_response())
}

#[utoipa::path(
    put, path = "/v1/clients/{id}", tag = TAG,
    summary = "Update client",
    description = "Requires `clients:write`. Only the fields sent change (`null` clears one); \
        with `version`, only if it is still the client's current version.",
    params(("id" = String, Path, description = "The client's UUID")),
    request_body(content = ClientUpdate, content_type = "application/json"),
    responses(
        (status = 200, description = "Client updated", body = ClientEnvelope),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: the key lacks `clients:write`", body = ErrorBody),
        (status = 404, description = "`NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`CONFLICT`: `version` is not current, or another client has this email", body = ErrorBody),
        (status = 413, description = "`VALIDATION_ERROR`: body over 1 MiB", body = ErrorBody),
        (status = 415, description = "`VALIDATION_ERROR`: body not sent as JSON", body = ErrorBody),
        (status = 429, description = "`RATE_LIMITED`", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        (status = 500, description = "`INTERNAL_ERROR`", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`", body = ErrorBody),
    )
)]
pub async fn update(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, JsonObject(mut body): JsonObject) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsWrite).map_err(ApiError::from)?;
    let id = uuid_client_id(&id)?;
    let pre = precondition(&HeaderMap::new(), Some(&mut body))?;
    let patch = to_canonical(body, Write::Update)?;
    let client = state.service.update_client(&actor, id, &patch, pre).await?;
    Ok(Json(written_envelope(&actor, &client)).into_response())
}

#[utoipa::path(
    delete, path = "/v1/clients/{id}", tag = TAG,
    summary = "Delete client",
    description = "Requires `clients:write`. A client with open or pending matters can't be deleted.",
    params(("id" = String, Path, description = "The client's UUID")),
    responses(
        (status = 200, description = "Client deleted", body = Deleted),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: the key lacks `clients:write`", body = ErrorBody),
        (status = 404, description = "`NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`CONFLICT`: the client has open or pending matters", body = ErrorBody),
        (status = 429, description = "`RATE_LIMITED`", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        (status = 500, description = "`INTERNAL_ERROR`", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`", body = ErrorBody),
    )
)]
pub async fn delete(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsWrite).map_err(ApiError::from)?;
    state.service.delete_client(&actor, uuid_client_id(&id)?, Precondition::default()).await?;
    Ok(Json(Deleted { success: true, data: Empty {}, timestamp: Timestamp::now().to_string() }).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_fields_come_out_of_custom_fields() {
        let body = serde_json::json!({"first_name": "A", "last_name": "B", "client_type": "buyer", "budget_min": 1});
        let settings = FirmSettings::default();
        let doc = to_canonical(body.as_object().unwrap().clone(), Write::Create(&settings)).unwrap();
        assert_eq!(doc["custom_fields"]["client_type"], "buyer");
        assert!(!doc.contains_key("client_type"));
        assert_eq!(vendor_field("custom_fields.budget_min"), "budget_min");
        assert_eq!(vendor_field("custom_fields.other"), "custom_fields.other");
    }

    #[test]
    fn client_type_is_required_on_create_only() {
        let body = serde_json::json!({"first_name": "A"});
        let settings = FirmSettings::default();
        assert!(to_canonical(body.as_object().unwrap().clone(), Write::Create(&settings)).is_err());
        assert!(to_canonical(body.as_object().unwrap().clone(), Write::Update).is_ok());
    }

    #[test]
    fn phones_of_the_region_read_nationally() {
        let us = Region::default();
        let phone = Phone::parse("+1 661 555 0142", &us).unwrap();
        assert_eq!(phone_view(&phone, &us), "(661) 555-0142");
        assert_eq!(phone_view(&phone, &Region::parse("GB").unwrap()), "+16615550142");
        let short = Phone::parse("+1 555-1234", &us).unwrap();
        assert_eq!(phone_view(&short, &us), "+15551234");
    }
}
