//! Clemta's Create Contact body, read into a canonical person: `type`, copies and billing live in `custom_fields`.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::api::problem::ApiError;
use crate::dialects::common::refuse_unknown;
use crate::domain::client::parse_document;
use crate::domain::email::Email;
use crate::domain::field::FieldError;
use crate::domain::firm::FirmSettings;
use crate::domain::ids::ClientId;
use crate::domain::text;
use crate::service::ServiceError;

use super::contacts::client_ref;
use super::errors::vendor_field;
use super::views::Billing;
use super::{BCC_KEY, BILLING_KEY, CC_KEY, TYPES, TYPE_KEY};

/// The body fields of Create Contact.
const KNOWN: &[&str] = &["type", "full_name", "email", "company_id", "status", "description", "cc_emails", "bcc_emails", "billing"];

/// The keys of `billing`, as the seed documents them.
pub(super) const BILLING: &[&str] = &[
    "email", "phone", "phone_code", "iso_code", "country", "address_1", "address_2", "postal_code", "district", "state", "province", "tax_id",
];

const MAX_COPY_ADDRESSES: usize = 50;
const MAX_BILLING_CHARS: usize = 200;

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

/// A Create Contact body as a canonical person document. Reports every bad
/// field at once: the vendor-only ones checked here, the rest by the
/// canonical rules.
pub(super) fn to_canonical(body: &Map<String, Value>, firm: &FirmSettings) -> Result<Map<String, Value>, ApiError> {
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
pub(super) fn person(body: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Map<String, Value> {
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
pub(super) fn contact_type<'a>(body: &'a Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<&'a str> {
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
pub(super) fn required<'a>(body: &'a Map<String, Value>, name: &'static str, errors: &mut Vec<FieldError>) -> Option<&'a str> {
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
pub(super) fn billing(body: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<Value> {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::errors::vendor_field;
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
