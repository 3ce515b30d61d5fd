//! Clemta's Contacts API (`../shared/seeds/clemta-contacts.txt`), at
//! `/compat/clemta/contacts`. A contact is a person client belonging to a
//! company client (`company_id`); ids are the record's UUID; times are Unix
//! seconds; every answer is `{success, message, data}` (and `error` on
//! failure). `type`, `cc_emails`, `bcc_emails` and `billing` have no canonical
//! field and live in `custom_fields`. Choices the seed leaves open:
//! docs/dialects/clemta.md.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use crate::api::json::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::common::{custom, int_param, refuse_unknown, unix_seconds, MAX_PAGE_NUMBER};
use crate::api::problem::Problem;
use crate::api::extract::{Auth, JsonObject, ParamReader, PathId, QueryPairs};
use crate::api::problem::ApiError;
use crate::api::AppState;
use crate::api::written::written;
use crate::domain::api_key::Scope;
use crate::domain::client::query::{ClientFilter, ClientSort, SortField};
use crate::domain::client::{parse_document, Client, ClientKind};
use crate::domain::email::Email;
use crate::domain::field::FieldError;
use crate::domain::firm::FirmSettings;
use crate::domain::ids::ClientId;
use crate::domain::text;
use crate::service::clients::ListRequest;
use crate::service::ServiceError;

const TAG: &str = "clemta";

/// The body fields of Create Contact.
const KNOWN: &[&str] = &["type", "full_name", "email", "company_id", "status", "description", "cc_emails", "bcc_emails", "billing"];
/// The keys of `billing`, as the seed documents them.
const BILLING: &[&str] = &[
    "email", "phone", "phone_code", "iso_code", "country", "address_1", "address_2", "postal_code", "district", "state", "province", "tax_id",
];
const TYPES: &[&str] = &["customer", "vendor"];

/// Where the vendor-only fields are kept in the canonical `custom_fields`.
const TYPE_KEY: &str = "contact_type";
const CC_KEY: &str = "cc_emails";
const BCC_KEY: &str = "bcc_emails";
const BILLING_KEY: &str = "billing";

const DEFAULT_LIMIT: u64 = 20;
const MAX_LIMIT: u64 = 100;
const MAX_COPY_ADDRESSES: usize = 50;
const MAX_BILLING_CHARS: usize = 200;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create, list)).routes(routes!(get))
}

/// Clemta's error body: `{"success": false, "message", "data": null,
/// "error": {"code", "details"}}`, codes in capitals.
pub fn error(problem: &Problem) -> (StatusCode, Value) {
    let (status, code, message) = vendor_code(problem);
    let mut error = json!({"code": code, "details": details(problem)});
    if let Some(id) = &problem.request_id {
        error["request_id"] = Value::String(id.clone());
    }
    (status, json!({"success": false, "message": message, "data": null, "error": error}))
}

/// Status, code and message for a problem. The seed documents only 400 for a
/// bad request, so a body that isn't a JSON object is a 400 `INVALID_REQUEST`
/// too (not 415).
fn vendor_code(p: &Problem) -> (StatusCode, String, String) {
    let (status, code, message) = match p.code {
        "invalid_request" | "malformed_json" | "unsupported_media_type" => (StatusCode::BAD_REQUEST, "INVALID_REQUEST", "Invalid request data"),
        "payload_too_large" => (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "Request body too large"),
        "unauthorized" => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Unauthorized"),
        "insufficient_scope" => (StatusCode::FORBIDDEN, "FORBIDDEN", "Forbidden"),
        "not_found" if p.detail.starts_with("No company ") => (StatusCode::NOT_FOUND, "COMPANY_NOT_FOUND", "Company not found"),
        "not_found" if p.detail.starts_with("No contact ") => (StatusCode::NOT_FOUND, "NOT_FOUND", "Contact not found"),
        "not_found" => (StatusCode::NOT_FOUND, "NOT_FOUND", "Not found"),
        "duplicate_email" => (StatusCode::CONFLICT, "CONFLICT", "Email already in use"),
        "rate_limited" => (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "Too many requests"),
        "service_unavailable" | "overloaded" | "request_timeout" => {
            (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "Service unavailable")
        }
        "internal_error" => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "Internal server error"),
        other => return (p.status(), other.to_uppercase(), p.title.to_string()),
    };
    (status, code.to_string(), message.to_string())
}

/// A sentence: the problem's detail, or `Field 'x' …` for each bad field
/// (named as the caller wrote it).
fn details(p: &Problem) -> String {
    if p.field_errors().is_empty() {
        return p.detail.clone();
    }
    let mut lines: Vec<String> = Vec::new();
    for e in p.field_errors() {
        let line = format!("Field '{}' {}", vendor_field(&e.field), e.message);
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    lines.join("; ")
}

/// A canonical field name as Clemta calls it.
fn vendor_field(field: &str) -> &str {
    match field {
        "first_name" | "last_name" => "full_name",
        "notes" => "description",
        "custom_fields.contact_type" => "type",
        _ => match field.strip_prefix("custom_fields.") {
            Some(rest) if [CC_KEY, BCC_KEY, BILLING_KEY].iter().any(|k| rest.starts_with(k)) => rest,
            _ => field,
        },
    }
}

/// Billing details, each a string; only the keys sent are shown.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[schema(as = ClemtaBilling)]
pub struct Billing {
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iso_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address_1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address_2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    district: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    province: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tax_id: Option<String>,
}

impl Billing {
    /// The stored billing object's known string keys (anything else another
    /// surface may have put there is not Clemta's to show).
    fn from_stored(stored: Option<&Value>) -> Self {
        let Some(Value::Object(stored)) = stored else { return Self::default() };
        let known: Map<String, Value> =
            stored.iter().filter(|(k, v)| BILLING.contains(&k.as_str()) && v.is_string()).map(|(k, v)| (k.clone(), v.clone())).collect();
        serde_json::from_value(Value::Object(known)).unwrap_or_default()
    }
}

/// A contact, as Create and Get return it.
#[derive(Serialize, ToSchema)]
#[schema(as = ClemtaContact)]
pub struct ContactView {
    /// The record's UUID.
    #[schema(example = "0190f3a2-5b7c-7d8e-9f01-23456789abcd")]
    id: String,
    /// Unix seconds.
    #[schema(example = 1640995200)]
    created_at: i64,
    /// Unix seconds.
    #[schema(example = 1640995200)]
    updated_at: i64,
    /// `customer` or `vendor`.
    #[serde(rename = "type")]
    #[schema(example = "customer")]
    contact_type: String,
    #[schema(example = "active")]
    status: String,
    #[schema(example = "John Doe")]
    full_name: String,
    email: Option<String>,
    description: Option<String>,
    cc_emails: Vec<String>,
    bcc_emails: Vec<String>,
    billing: Billing,
}

impl ContactView {
    fn new(c: &Client) -> Self {
        let f = &c.fields;
        let contact_type = custom(c, TYPE_KEY).and_then(Value::as_str).filter(|t| TYPES.contains(t));
        Self {
            id: c.id.as_uuid().hyphenated().to_string(),
            created_at: unix_seconds(c.created_at),
            updated_at: unix_seconds(c.updated_at),
            // A firm's client that never said otherwise is its customer.
            contact_type: contact_type.unwrap_or("customer").to_string(),
            status: f.status.clone(),
            full_name: f.display_name(),
            email: f.email.as_ref().map(|e| e.as_str().to_string()),
            description: f.notes.clone(),
            cc_emails: strings(custom(c, CC_KEY)),
            bcc_emails: strings(custom(c, BCC_KEY)),
            billing: Billing::from_stored(custom(c, BILLING_KEY)),
        }
    }
}

fn strings(stored: Option<&Value>) -> Vec<String> {
    let items = stored.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    items.iter().filter_map(Value::as_str).map(str::to_string).collect()
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClemtaContactEnvelope)]
pub struct ContactEnvelope {
    #[schema(example = true)]
    success: bool,
    #[schema(example = "Contact created successfully")]
    message: &'static str,
    data: ContactView,
}

impl ContactEnvelope {
    fn new(message: &'static str, client: &Client) -> Self {
        Self { success: true, message, data: ContactView::new(client) }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClemtaPagination)]
pub struct Pagination {
    page: u64,
    limit: u64,
    total: u64,
    has_more: bool,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClemtaContactList)]
pub struct ContactList {
    #[schema(example = true)]
    success: bool,
    #[schema(example = "Contacts retrieved successfully")]
    message: &'static str,
    data: Vec<ContactView>,
    pagination: Pagination,
}

/// The body of Create Contact.
#[derive(Serialize, ToSchema)]
#[schema(as = ClemtaContactWrite)]
#[allow(dead_code)]
pub struct ContactWrite {
    /// `customer` or `vendor`.
    #[serde(rename = "type")]
    #[schema(example = "customer")]
    contact_type: String,
    /// First and last name, separated by a space.
    #[schema(example = "John Doe")]
    full_name: String,
    #[schema(example = "john@example.com")]
    email: String,
    /// The company's UUID (or canonical `cli_…` id): a company client of the firm.
    company_id: String,
    /// One of the firm's client statuses (default `active`).
    status: Option<String>,
    description: Option<String>,
    cc_emails: Option<Vec<String>>,
    bcc_emails: Option<Vec<String>>,
    billing: Option<Billing>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClemtaErrorDetail)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// `INVALID_REQUEST`, `UNAUTHORIZED`, `FORBIDDEN`, `COMPANY_NOT_FOUND`,
    /// `NOT_FOUND`, `CONFLICT`, `RATE_LIMITED`, `SERVICE_UNAVAILABLE`, `INTERNAL_ERROR`.
    #[schema(example = "INVALID_REQUEST")]
    code: String,
    #[schema(example = "Field 'email' is required")]
    details: String,
    /// The request's id, to quote when asking for help.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClemtaError)]
#[allow(dead_code)]
pub struct ErrorBody {
    #[schema(example = false)]
    success: bool,
    #[schema(example = "Invalid request data")]
    message: String,
    /// Always `null`.
    #[schema(value_type = Option<Object>)]
    data: Option<Value>,
    error: ErrorDetail,
}

/// A client named by its UUID or its canonical `cli_…` id.
fn client_ref(raw: &str) -> Option<ClientId> {
    let raw = raw.trim();
    uuid::Uuid::try_parse(raw).map(ClientId::from_uuid).ok().or_else(|| raw.parse().ok())
}

/// A Create Contact body as a canonical person document. Reports every bad
/// field at once: the vendor-only ones checked here, the rest by the
/// canonical rules.
fn to_canonical(body: &Map<String, Value>, firm: &FirmSettings) -> Result<Map<String, Value>, ApiError> {
    let mut errors = Vec::new();
    if let Err(ServiceError::Invalid(unknown)) = refuse_unknown(body, KNOWN) {
        errors.extend(unknown);
    }
    // In the seed's order, so `details` reads like the documentation.
    let contact_type = contact_type(body, &mut errors);
    let mut doc = person(body, &mut errors);
    doc.insert("custom_fields".into(), Value::Object(vendor_only(body, contact_type, &mut errors)));
    if errors.is_empty() {
        return Ok(doc);
    }
    if let Err(more) = parse_document(&doc, firm) {
        let fresh: Vec<_> = more.into_iter().filter(|e| !errors.iter().any(|seen| vendor_field(&seen.field) == vendor_field(&e.field))).collect();
        errors.extend(fresh);
    }
    Err(ServiceError::Invalid(errors).into())
}

/// The canonical fields of the person: names, email, company, status, notes.
fn person(body: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("kind".into(), "person".into());
    if let Some(full_name) = required(body, "full_name", errors) {
        match full_name.trim().rsplit_once(char::is_whitespace) {
            Some((first, last)) => {
                doc.insert("first_name".into(), first.trim_end().into());
                doc.insert("last_name".into(), last.into());
            }
            None => errors.push(FieldError::new("full_name", "must have a first and a last name separated by a space")),
        }
    }
    if let Some(email) = required(body, "email", errors) {
        doc.insert("email".into(), email.into());
    }
    if let Some(company) = required(body, "company_id", errors) {
        // An id that names no client still goes to the service, whose
        // company check answers it (404) after every field is valid.
        let id = client_ref(company).unwrap_or(ClientId::from_uuid(uuid::Uuid::nil()));
        doc.insert("company_id".into(), id.to_string().into());
    }
    for (from, to) in [("status", "status"), ("description", "notes")] {
        if let Some(value) = body.get(from) {
            doc.insert(to.into(), value.clone());
        }
    }
    doc
}

/// `type`: `customer` or `vendor`.
fn contact_type<'a>(body: &'a Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<&'a str> {
    let t = required(body, "type", errors)?;
    if TYPES.contains(&t) {
        return Some(t);
    }
    errors.push(FieldError::new("type", "must be either customer or vendor"));
    None
}

/// The fields with no canonical home, as they are kept in `custom_fields`.
fn vendor_only(body: &Map<String, Value>, contact_type: Option<&str>, errors: &mut Vec<FieldError>) -> Map<String, Value> {
    let mut kept = Map::new();
    if let Some(t) = contact_type {
        kept.insert(TYPE_KEY.into(), t.into());
    }
    for key in [CC_KEY, BCC_KEY] {
        if let Some(list) = email_list(body, key, errors) {
            kept.insert(key.into(), list);
        }
    }
    if let Some(billing) = billing(body, errors) {
        kept.insert(BILLING_KEY.into(), billing);
    }
    kept
}

/// A required string field; absent, null, empty or not a string is an error.
fn required<'a>(body: &'a Map<String, Value>, name: &'static str, errors: &mut Vec<FieldError>) -> Option<&'a str> {
    match body.get(name) {
        None | Some(Value::Null) => errors.push(FieldError::new(name, "is required")),
        Some(Value::String(s)) if s.trim().is_empty() => errors.push(FieldError::new(name, "must not be empty")),
        Some(Value::String(s)) => return Some(s),
        Some(_) => errors.push(FieldError::new(name, "must be a string")),
    }
    None
}

/// `cc_emails` / `bcc_emails`: an array of email addresses, kept as written (trimmed).
fn email_list(body: &Map<String, Value>, name: &'static str, errors: &mut Vec<FieldError>) -> Option<Value> {
    let items = match body.get(name)? {
        Value::Null => return None,
        Value::Array(items) if items.len() > MAX_COPY_ADDRESSES => {
            errors.push(FieldError::new(name, format!("must have at most {MAX_COPY_ADDRESSES} addresses")));
            return None;
        }
        Value::Array(items) => items,
        _ => {
            errors.push(FieldError::new(name, "must be an array of email addresses"));
            return None;
        }
    };
    let mut kept = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str().map(Email::parse) {
            Some(Ok(email)) => kept.push(Value::String(email.as_str().to_string())),
            Some(Err(message)) => errors.push(FieldError::new(format!("{name}[{i}]"), message)),
            None => errors.push(FieldError::new(format!("{name}[{i}]"), "must be a string (an email address)")),
        }
    }
    Some(Value::Array(kept))
}

/// `billing`: an object of the documented keys, each a string (`email` a
/// valid address); `null` or empty values are left out.
fn billing(body: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<Value> {
    let fields = match body.get("billing")? {
        Value::Null => return None,
        Value::Object(fields) => fields,
        _ => {
            errors.push(FieldError::new("billing", "must be an object"));
            return None;
        }
    };
    let mut kept = Map::new();
    for (key, value) in fields {
        let path = format!("billing.{}", key.chars().take(64).collect::<String>());
        if !BILLING.contains(&key.as_str()) {
            errors.push(FieldError::new(path, "is not a known field"));
            continue;
        }
        let cleaned = match value {
            Value::Null => continue,
            Value::String(s) if key == "email" => Email::parse(s).map(|e| Some(e.as_str().to_string())),
            Value::String(s) => text::clean(s, MAX_BILLING_CHARS, false),
            _ => Err("must be a string".to_string()),
        };
        match cleaned {
            Ok(Some(v)) => {
                kept.insert(key.clone(), Value::String(v));
            }
            Ok(None) => {}
            Err(message) => errors.push(FieldError::new(path, message)),
        }
    }
    (!kept.is_empty()).then_some(Value::Object(kept))
}

/// The service's company check names `company_id`; Clemta answers it with 404.
fn company_not_found(e: ServiceError) -> ServiceError {
    match e {
        ServiceError::Invalid(errors) if errors.iter().any(|e| e.field == "company_id") => ServiceError::NotFound("company"),
        other => other,
    }
}

#[utoipa::path(
    post, path = "/contacts", tag = TAG,
    summary = "Create Contact",
    description = "Requires `clients:write`. Creates a person belonging to a company client of the firm. \
        `type`, `cc_emails`, `bcc_emails` and `billing` are kept in the client's `custom_fields` \
        (`contact_type`, `cc_emails`, `bcc_emails`, `billing`).",
    request_body(content = ContactWrite, content_type = "application/json"),
    responses(
        (status = 200, description = "Contact created successfully", body = ContactEnvelope),
        (status = 400, description = "`INVALID_REQUEST`: missing or invalid fields, or a body that is not a JSON object", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`: invalid or missing API key", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: the key lacks `clients:write`", body = ErrorBody),
        (status = 404, description = "`COMPANY_NOT_FOUND`: `company_id` names no company client of the firm", body = ErrorBody),
        (status = 409, description = "`CONFLICT`: another client of the firm has this email", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`: the body is over 1 MiB", body = ErrorBody),
        (status = 429, description = "`RATE_LIMITED`", body = ErrorBody),
        (status = 500, description = "`INTERNAL_ERROR`", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`", body = ErrorBody),
    )
)]
pub async fn create(State(state): State<AppState>, Auth(actor): Auth, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsWrite)?;
    let doc = to_canonical(&body, &actor.firm.settings)?;
    let client = state.service.create_client(&actor, &doc).await.map_err(company_not_found)?;
    const OWNED: &[&str] = &["id", "created_at", "updated_at"];
    let data = written(&actor, Scope::ClientsRead, ContactView::new(&client), OWNED);
    Ok(Json(serde_json::json!({ "success": true, "message": "Contact created successfully", "data": data })).into_response())
}

#[utoipa::path(
    get, path = "/contacts", tag = TAG,
    summary = "List Contacts",
    description = "Requires `clients:read`. The firm's person clients, newest first, in numbered pages.",
    params(
        ("page" = Option<u64>, Query, description = "Page number (default 1)"),
        ("limit" = Option<u64>, Query, description = "Contacts per page (default 20, max 100)"),
        ("company_id" = Option<String>, Query, description = "Only the contacts of this company (UUID or `cli_…`)"),
    ),
    responses(
        (status = 200, description = "Contacts retrieved successfully", body = ContactList),
        (status = 400, description = "`INVALID_REQUEST`: an unknown or invalid parameter", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`: invalid or missing API key", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: the key lacks `clients:read`", body = ErrorBody),
        (status = 429, description = "`RATE_LIMITED`", body = ErrorBody),
        (status = 500, description = "`INTERNAL_ERROR`", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsRead)?;
    let mut p = ParamReader::new(&pairs);
    let page = int_param(&mut p, "page", 1, MAX_PAGE_NUMBER).unwrap_or(1);
    let limit = int_param(&mut p, "limit", 1, MAX_LIMIT).unwrap_or(DEFAULT_LIMIT);
    // An id that names no client filters to nothing, as an unknown company would.
    let company_id = p.get("company_id").map(|raw| client_ref(raw).unwrap_or(ClientId::from_uuid(uuid::Uuid::nil())));
    p.finish()?;
    let request = ListRequest {
        filter: ClientFilter { kind: Some(ClientKind::Person), company_id, ..ClientFilter::default() },
        sort: ClientSort { field: SortField::CreatedAt, descending: true },
        cursor: None,
        offset: (page - 1) * limit,
        limit: Some(limit as usize),
        include_total: true,
    };
    let found = state.service.list_clients(&actor, request).await?;
    let total = found.total.unwrap_or_default();
    let list = ContactList {
        success: true,
        message: "Contacts retrieved successfully",
        data: found.items.iter().map(ContactView::new).collect(),
        pagination: Pagination { page, limit, total, has_more: page * limit < total },
    };
    Ok(Json(list).into_response())
}

#[utoipa::path(
    get, path = "/contacts/{id}", tag = TAG,
    summary = "Get Contact",
    description = "Requires `clients:read`. A person client of the firm, in the shape Create Contact returns.",
    params(("id" = String, Path, description = "The contact's UUID (or canonical `cli_…` id)")),
    responses(
        (status = 200, description = "Contact retrieved successfully", body = ContactEnvelope),
        (status = 401, description = "`UNAUTHORIZED`: invalid or missing API key", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: the key lacks `clients:read`", body = ErrorBody),
        (status = 404, description = "`NOT_FOUND`: no such contact in the firm (also another firm's, or a company)", body = ErrorBody),
        (status = 429, description = "`RATE_LIMITED`", body = ErrorBody),
        (status = 500, description = "`INTERNAL_ERROR`", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`", body = ErrorBody),
    )
)]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    actor.require(Scope::ClientsRead)?;
    let not_found = || ServiceError::NotFound("contact");
    let id = client_ref(&id).ok_or_else(not_found)?;
    let client = state.service.get_client(&actor, id).await.map_err(|e| match e {
        ServiceError::NotFound(_) => not_found(),
        other => other,
    })?;
    if client.fields.kind != ClientKind::Person {
        return Err(not_found().into());
    }
    Ok(Json(ContactEnvelope::new("Contact retrieved successfully", &client)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(body: Value) -> Result<Map<String, Value>, Vec<String>> {
        match to_canonical(body.as_object().unwrap(), &FirmSettings::default()) {
            Ok(doc) => Ok(doc),
            Err(ApiError::Service(ServiceError::Invalid(errors))) => Err(errors.into_iter().map(|e| vendor_field(&e.field).to_string()).collect()),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn full_name_splits_at_the_last_space() {
        let id = ClientId::generate();
        let doc = canonical(json!({"type": "vendor", "full_name": " Mary  Ann Lee ", "email": "m@example.com", "company_id": id.to_string()})).unwrap();
        assert_eq!(doc["first_name"], "Mary  Ann");
        assert_eq!(doc["last_name"], "Lee");
        assert_eq!(doc["company_id"], id.to_string());
        assert_eq!(doc["custom_fields"], json!({"contact_type": "vendor"}));
    }

    #[test]
    fn every_bad_field_is_reported_once() {
        let fields = canonical(json!({
            "full_name": "Cher", "email": "nope", "status": "vip", "cc_emails": ["a@example.com", 3],
            "billing": {"email": "x", "fax": "1"}, "extra": true
        }))
        .unwrap_err();
        assert_eq!(fields, ["extra", "type", "full_name", "company_id", "cc_emails[1]", "billing.email", "billing.fax", "email", "status"]);
    }

    #[test]
    fn canonical_names_become_clemtas() {
        assert_eq!(vendor_field("last_name"), "full_name");
        assert_eq!(vendor_field("notes"), "description");
        assert_eq!(vendor_field("custom_fields.billing.email"), "billing.email");
        assert_eq!(vendor_field("custom_fields.other"), "custom_fields.other");
    }
}
