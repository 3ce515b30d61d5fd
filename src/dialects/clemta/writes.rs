//! Clemta's Create Contact body, read into a canonical person: `type`, copies and billing live in `custom_fields`.

use serde_json::{Map, Value};

use crate::api::problem::ApiError;
use crate::dialects::common::refuse_unknown_in;
use crate::domain::client::contract as canonical;
use crate::domain::client::parse_document;
use crate::domain::contract::{Contract, Field, FieldMap, Kind};
use crate::domain::email::Email;
use crate::domain::field::FieldError;
use crate::domain::firm::FirmSettings;
use crate::domain::ids::ClientId;
use crate::domain::text;
use crate::service::ServiceError;

use super::contacts::client_ref;
use super::{BCC_KEY, BILLING_KEY, CC_KEY, TYPES, TYPE_KEY};

const MAX_COPY_ADDRESSES: usize = 50;
const MAX_BILLING_CHARS: usize = 200;
const BILLING_LINE: Kind = Kind::Text { max: MAX_BILLING_CHARS };

/// The keys of `billing`, as the seed documents them.
const BILLING: Contract = Contract {
    name: "ClemtaBillingWrite",
    doc: "Billing details, each a string; kept in the contact's custom fields.",
    fields: &[
        Field::new("email", BILLING_LINE, ""),
        Field::new("phone", BILLING_LINE, ""),
        Field::new("phone_code", BILLING_LINE, ""),
        Field::new("iso_code", BILLING_LINE, ""),
        Field::new("country", BILLING_LINE, ""),
        Field::new("address_1", BILLING_LINE, ""),
        Field::new("address_2", BILLING_LINE, ""),
        Field::new("postal_code", BILLING_LINE, ""),
        Field::new("district", BILLING_LINE, ""),
        Field::new("state", BILLING_LINE, ""),
        Field::new("province", BILLING_LINE, ""),
        Field::new("tax_id", BILLING_LINE, ""),
    ],
    required: &[],
};

/// Whether `key` is one of `billing`'s.
pub(super) fn is_billing_key(key: &str) -> bool {
    BILLING.accepts(key)
}

const COPIES: Kind = Kind::Strings { max_items: MAX_COPY_ADDRESSES, max_chars: 254 };

/// The body of Create Contact.
pub(super) const CONTACT: Contract = Contract {
    name: "ClemtaContactWrite",
    doc: "The body of Create Contact.",
    fields: &[
        Field::new("type", Kind::Enum(TYPES), "`customer` or `vendor`.").example("customer"),
        Field::new("full_name", Kind::Name { max: 401 }, "First and last name, separated by a space; or a single name.").example("John Doe"),
        Field { doc: "", example: Some("john@example.com"), ..canonical::EMAIL },
        Field::new("company_id", Kind::Text { max: 64 }, "The company's UUID (or canonical `cli_…` id): a company client of the firm."),
        canonical::STATUS,
        Field { name: "description", ..canonical::NOTES },
        Field::new("cc_emails", COPIES, ""),
        Field::new("bcc_emails", COPIES, ""),
        Field::new("billing", Kind::Object(&BILLING), ""),
    ],
    required: &["type", "full_name", "email", "company_id"],
};

/// Clemta's names of canonical fields, both ways.
pub(super) const NAMES: FieldMap = FieldMap(&[
    ("full_name", "first_name"),
    ("full_name", "last_name"),
    ("description", "notes"),
    ("type", "custom_fields.contact_type"),
    ("cc_emails", "custom_fields.cc_emails"),
    ("bcc_emails", "custom_fields.bcc_emails"),
    ("billing", "custom_fields.billing"),
]);

crate::contract_body!(ContactWrite, CONTACT);

/// What a contact body is: one sent to Create Contact, or one Clemta showed
/// (saved from its API, to import), which has no `company_id` to give and
/// may have no email.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Body {
    Create,
    Shown,
}

/// A Create Contact body as a canonical person document. Reports every bad
/// field at once: the vendor-only ones checked here, the rest by the
/// canonical rules.
pub(super) fn to_canonical(body: &Map<String, Value>, firm: &FirmSettings) -> Result<Map<String, Value>, ApiError> {
    let (doc, mut errors) = read_contact(body, Body::Create);
    if errors.is_empty() {
        return Ok(doc);
    }
    if let Err(more) = parse_document(&doc, firm) {
        let vendor = |e: &FieldError| NAMES.vendor_name(&e.field);
        let fresh: Vec<_> = more.into_iter().filter(|e| !errors.iter().any(|seen| vendor(seen) == vendor(e))).collect();
        errors.extend(fresh);
    }
    Err(ServiceError::Invalid(errors).into())
}

/// A contact body's canonical person document, and what is wrong with it
/// by Clemta's own rules.
pub(super) fn read_contact(body: &Map<String, Value>, kind: Body) -> (Map<String, Value>, Vec<FieldError>) {
    let mut errors = Vec::new();
    if let Err(ServiceError::Invalid(unknown)) = refuse_unknown_in(body, &CONTACT) {
        errors.extend(unknown);
    }
    // In the seed's order, so `details` reads like the documentation.
    let contact_type = contact_type(body, &mut errors);
    let mut doc = person(body, kind, &mut errors);
    doc.insert("custom_fields".into(), Value::Object(vendor_only(body, contact_type, &mut errors)));
    (doc, errors)
}

/// The canonical fields of the person: names, email, company, status, notes.
fn person(body: &Map<String, Value>, kind: Body, errors: &mut Vec<FieldError>) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("kind".into(), "person".into());
    if let Some(full_name) = required(body, "full_name", errors) {
        let (first, last) = crate::dialects::common::split_full_name(full_name);
        doc.insert("first_name".into(), first.into());
        doc.insert("last_name".into(), last.into());
    }
    if kind == Body::Shown {
        if let Some(email) = body.get("email") {
            doc.insert("email".into(), email.clone());
        }
    } else if let Some(email) = required(body, "email", errors) {
        doc.insert("email".into(), email.into());
    }
    if let Some(company) = (kind == Body::Create).then(|| required(body, "company_id", errors)).flatten() {
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
        if !is_billing_key(key) {
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

    use super::*;

    fn canonical(body: Value) -> Result<Map<String, Value>, Vec<String>> {
        match to_canonical(body.as_object().unwrap(), &FirmSettings::default()) {
            Ok(doc) => Ok(doc),
            Err(ApiError::Service(ServiceError::Invalid(errors))) => Err(errors.into_iter().map(|e| NAMES.vendor_name(&e.field)).collect()),
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
            "full_name": "   ", "email": "nope", "status": "vip", "cc_emails": ["a@example.com", 3],
            "billing": {"email": "x", "fax": "1"}, "extra": true
        }))
        .unwrap_err();
        assert_eq!(fields, ["extra", "type", "full_name", "company_id", "cc_emails[1]", "billing.email", "billing.fax", "email", "status"]);
    }

    #[test]
    fn canonical_names_become_clemtas() {
        assert_eq!(NAMES.vendor_name("last_name"), "full_name");
        assert_eq!(NAMES.vendor_name("notes"), "description");
        assert_eq!(NAMES.vendor_name("custom_fields.billing.email"), "billing.email");
        assert_eq!(NAMES.vendor_name("custom_fields.contact_type"), "type");
        assert_eq!(NAMES.vendor_name("custom_fields.other"), "custom_fields.other");
    }
}
