//! The client document: the JSON form of a client's writable state.
//!
//! Create, replace and merge-patch all end here. A PATCH is applied to the
//! stored document with RFC 7396 and the result is parsed like a PUT body, so
//! nested objects (`address`, `custom_fields`) merge exactly as the RFC says and
//! every write passes through the same rules.

use serde_json::{Map, Value};

use super::{Address, ClientFields, ClientKind, LabeledAddress, LabeledEmail, LabeledPhone};
use super::contract::*;
use crate::domain::contract::{Field, Kind};
use crate::domain::email::Email;
use crate::domain::field::FieldError;
use crate::domain::firm::FirmSettings;
use crate::domain::ids::ClientId;
use crate::domain::input::Reader;
use crate::domain::phone::{self, Phone};
use crate::domain::text;
use crate::domain::time::CalendarDate;

const MAX_CUSTOM_KEY: usize = 64;
const MAX_CUSTOM_BYTES: usize = 16 * 1024;
const MAX_CUSTOM_DEPTH: usize = 8;

/// Fields a response shows but a request may not set.
pub const READ_ONLY: &[&str] =
    &["id", "firm_id", "matters_count", "created_at", "updated_at", "deleted_at", "matters"];

/// Parses a whole client document (a create or replace body, or a stored
/// document with a merge patch applied). Reports every bad field at once.
pub fn parse_document(doc: &Map<String, Value>, firm: &FirmSettings) -> Result<ClientFields, Vec<FieldError>> {
    let mut r = Reader::new(doc).with_read_only(READ_ONLY);
    let kind = r.parsed(KIND.name, |s| ClientKind::parse(s).ok_or_else(|| "must be `person` or `company`".into()));
    let kind = kind.unwrap_or_default();
    let first_name = r.text_of(&FIRST_NAME);
    let last_name = r.text_of(&LAST_NAME);
    let company_name = r.text_of(&COMPANY_NAME);
    check_names(&mut r, kind, &first_name, &last_name, &company_name);

    let region = firm.phone_region();
    // In the order errors are reported: email, then phone.
    let email = r.parsed(EMAIL.name, Email::parse);
    let phone = r.parsed(PHONE.name, |s| Phone::parse(s, &region));
    phone::read_verified(&mut r, "phone_verified", PHONE.name, phone.as_ref());
    let fields = ClientFields {
        kind,
        first_name,
        last_name,
        company_name,
        email,
        phone,
        address: read_address(&mut r, ADDRESS.name),
        other_emails: read_other_emails(&mut r),
        other_phones: read_other_phones(&mut r, firm),
        other_addresses: read_other_addresses(&mut r),
        date_of_birth: r.parsed(DATE_OF_BIRTH.name, parse_birth_date),
        company_id: r.parsed(COMPANY_ID.name, |s| s.parse::<ClientId>().map_err(|e| e.to_string())),
        status: read_status(&mut r, firm),
        tags: read_tags(&mut r),
        source: r.text_of(&SOURCE),
        notes: r.text_of(&NOTES),
        external_id: r.text_of(&EXTERNAL_ID),
        custom_fields: read_custom_fields(&mut r),
    };
    if fields.kind == ClientKind::Company && fields.company_id.is_some() {
        r.error(COMPANY_ID.name, "only a person can belong to a company");
    }
    r.finish()?;
    Ok(fields)
}

fn check_names(
    r: &mut Reader<'_>,
    kind: ClientKind,
    first: &Option<String>,
    last: &Option<String>,
    company: &Option<String>,
) {
    match kind {
        ClientKind::Person => {
            // A person known by a single name (Cher) has only a last name:
            // the name they are sorted and found by.
            if last.is_none() && !has_error(r, LAST_NAME.name) {
                r.error(LAST_NAME.name, "is required for a person");
            }
            if company.is_some() {
                r.error(COMPANY_NAME.name, "is derived from first_name and last_name for a person; set those instead");
            }
        }
        ClientKind::Company => {
            if company.is_none() && !has_error(r, COMPANY_NAME.name) {
                r.error(COMPANY_NAME.name, "is required for a company");
            }
            for (field, value) in [(FIRST_NAME.name, first), (LAST_NAME.name, last)] {
                if value.is_some() {
                    r.error(field, "is not used for a company; send null");
                }
            }
        }
    }
}

/// A field that failed its own check already has an error; don't add a second.
fn has_error(r: &Reader<'_>, field: &str) -> bool {
    r.has_error(field)
}

fn parse_birth_date(s: &str) -> Result<CalendarDate, String> {
    let date = CalendarDate::parse(s).ok_or("must be a date as YYYY-MM-DD")?;
    if date.is_after_today() {
        return Err("must not be in the future".into());
    }
    Ok(date)
}

fn read_status(r: &mut Reader<'_>, firm: &FirmSettings) -> String {
    let status = r.parsed(STATUS.name, |s| {
        if firm.allows_status(s) {
            Ok(s.to_string())
        } else {
            Err(format!("must be one of: {}", firm.client_statuses.join(", ")))
        }
    });
    status.unwrap_or_else(|| firm.default_status().to_string())
}

fn read_address(r: &mut Reader<'_>, name: &'static str) -> Option<Address> {
    let obj = r.object(name)?;
    let mut inner = Reader::nested(obj, r.path_of(name));
    let address = address_fields(&mut inner);
    match inner.finish() {
        Ok(()) => (address != Address::default()).then_some(address),
        Err(errors) => {
            r.absorb(errors);
            None
        }
    }
}

fn address_fields(r: &mut Reader<'_>) -> Address {
    Address {
        line1: r.text_of(&LINE1),
        line2: r.text_of(&LINE2),
        city: r.text_of(&CITY),
        region: r.text_of(&REGION),
        postal_code: r.text_of(&POSTAL_CODE),
        country: r.text_of(&COUNTRY),
    }
}

/// Reads each item of an array of objects with `read_item`, collecting errors
/// under `name[i]`.
fn read_items<T>(
    r: &mut Reader<'_>,
    field: &Field,
    mut read_item: impl FnMut(&mut Reader<'_>) -> Option<T>,
) -> Vec<T> {
    let base = r.path_of(field.name);
    let mut out = Vec::new();
    for (i, item) in r.array(field.name, field.max_items()).iter().enumerate() {
        let path = format!("{base}[{i}]");
        let Value::Object(obj) = item else {
            r.error(path, "must be an object");
            continue;
        };
        let mut inner = Reader::nested(obj, path);
        let value = read_item(&mut inner);
        match inner.finish() {
            Ok(()) => out.extend(value),
            Err(errors) => r.absorb(errors),
        }
    }
    out
}

fn read_other_emails(r: &mut Reader<'_>) -> Vec<LabeledEmail> {
    read_items(r, &OTHER_EMAILS, |item| {
        let label = item.text_of(&LABEL);
        let address = item.parsed(EMAIL_ADDRESS.name, Email::parse);
        if address.is_none() && !item.has_error(EMAIL_ADDRESS.name) {
            item.error_at(EMAIL_ADDRESS.name, "is required");
        }
        Some(LabeledEmail { address: address?, label })
    })
}

fn read_other_phones(r: &mut Reader<'_>, firm: &FirmSettings) -> Vec<LabeledPhone> {
    let region = firm.phone_region();
    read_items(r, &OTHER_PHONES, |item| {
        let label = item.text_of(&LABEL);
        let number = item.parsed(PHONE_NUMBER.name, |s| Phone::parse(s, &region));
        if number.is_none() && !item.has_error(PHONE_NUMBER.name) {
            item.error_at(PHONE_NUMBER.name, "is required");
        }
        phone::read_verified(item, "verified", PHONE_NUMBER.name, number.as_ref());
        Some(LabeledPhone { number: number?, label })
    })
}

fn read_other_addresses(r: &mut Reader<'_>) -> Vec<LabeledAddress> {
    read_items(r, &OTHER_ADDRESSES, |item| {
        let label = item.text_of(&LABEL);
        let address = address_fields(item);
        Some(LabeledAddress { label, address })
    })
}

fn read_tags(r: &mut Reader<'_>) -> Vec<String> {
    let base = r.path_of(TAGS.name);
    let mut tags: Vec<String> = Vec::new();
    for (i, item) in r.array(TAGS.name, TAGS.max_items()).iter().enumerate() {
        let path = format!("{base}[{i}]");
        let Value::String(raw) = item else {
            r.error(path, "must be a string");
            continue;
        };
        match text::clean(raw, TAGS.max_chars(), false) {
            Ok(Some(tag)) if tag.contains(',') => r.error(path, "must not contain a comma"),
            Ok(Some(tag)) if !tags.contains(&tag) => tags.push(tag),
            Ok(Some(_)) => {} // a repeated tag adds nothing
            Ok(None) => r.error(path, "must not be empty"),
            Err(msg) => r.error(path, msg),
        }
    }
    tags
}

pub fn read_custom_fields(r: &mut Reader<'_>) -> Map<String, Value> {
    let Some(obj) = r.object(CUSTOM_FIELDS.name) else {
        return Map::new();
    };
    let Kind::CustomFields { max_keys } = CUSTOM_FIELDS.kind else { unreachable!("custom_fields holds custom fields") };
    if obj.len() > max_keys {
        r.error(CUSTOM_FIELDS.name, format!("must have at most {max_keys} keys"));
        return Map::new();
    }
    let mut ok = true;
    for (key, value) in obj {
        let path = format!("custom_fields.{key}");
        if !valid_custom_key(key) {
            r.error(path, format!("key must be 1-{MAX_CUSTOM_KEY} characters of letters, digits, `_`, `-` or `.`"));
            ok = false;
        } else if let Err(msg) = check_json_value(value, 0) {
            r.error(path, msg);
            ok = false;
        }
    }
    let size = serde_json::to_vec(obj).map(|v| v.len()).unwrap_or(usize::MAX);
    if size > MAX_CUSTOM_BYTES {
        r.error(CUSTOM_FIELDS.name, format!("must be at most {MAX_CUSTOM_BYTES} bytes of JSON"));
        ok = false;
    }
    // Null values are dropped: in a merge patch they delete the key.
    let kept = obj.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone()));
    if ok { kept.collect() } else { Map::new() }
}

fn valid_custom_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_CUSTOM_KEY
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn check_json_value(value: &Value, depth: usize) -> Result<(), String> {
    if depth > MAX_CUSTOM_DEPTH {
        return Err(format!("must nest at most {MAX_CUSTOM_DEPTH} levels deep"));
    }
    match value {
        Value::String(s) => text::clean(s, NOTES.max_chars(), true).map(|_| ()),
        Value::Array(items) => items.iter().try_for_each(|v| check_json_value(v, depth + 1)),
        Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            // Keys are text too (and PostgreSQL's jsonb refuses a NUL in one).
            text::clean(k, MAX_CUSTOM_KEY, false).map_err(|m| format!("has a key that {m}"))?;
            check_json_value(v, depth + 1)
        }),
        _ => Ok(()),
    }
}

/// The writable state as a document; `parse_document(to_document(f)) == f`.
pub fn to_document(f: &ClientFields) -> Map<String, Value> {
    let mut doc = Map::new();
    let mut put = |key: &str, value: Value| {
        doc.insert(key.to_string(), value);
    };
    put(KIND.name, f.kind.as_str().into());
    match f.kind {
        ClientKind::Person => {
            put(FIRST_NAME.name, opt(&f.first_name));
            put(LAST_NAME.name, opt(&f.last_name));
        }
        ClientKind::Company => put(COMPANY_NAME.name, opt(&f.company_name)),
    }
    put(EMAIL.name, f.email.as_ref().map(|e| e.as_str().into()).unwrap_or(Value::Null));
    put(PHONE.name, f.phone.as_ref().map(|p| p.as_str().into()).unwrap_or(Value::Null));
    put(ADDRESS.name, json(&f.address));
    put(OTHER_EMAILS.name, json(&f.other_emails));
    put(OTHER_PHONES.name, json(&f.other_phones));
    put(OTHER_ADDRESSES.name, json(&f.other_addresses));
    put(DATE_OF_BIRTH.name, f.date_of_birth.map(|d| d.to_string().into()).unwrap_or(Value::Null));
    put(COMPANY_ID.name, f.company_id.map(|id| id.to_string().into()).unwrap_or(Value::Null));
    put(STATUS.name, f.status.clone().into());
    put(TAGS.name, json(&f.tags));
    put(SOURCE.name, opt(&f.source));
    put(NOTES.name, opt(&f.notes));
    put(EXTERNAL_ID.name, opt(&f.external_id));
    put(CUSTOM_FIELDS.name, Value::Object(f.custom_fields.clone()));
    doc
}

fn opt(value: &Option<String>) -> Value {
    value.clone().map(Value::String).unwrap_or(Value::Null)
}

fn json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// RFC 7396 JSON merge patch, applied in place.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target) = target else { return };
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<ClientFields, Vec<FieldError>> {
        parse_document(v.as_object().unwrap(), &FirmSettings::default())
    }

    fn error_fields(v: Value) -> Vec<String> {
        parse(v).unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_full_person_round_trips() {
        let f = parse(json!({
            "first_name": "David", "last_name": "Johnson", "email": "d@example.com",
            "phone": "(555) 123-4567", "date_of_birth": "1985-06-15",
            "address": {"line1": "123 Main St", "city": "Austin", "region": "TX", "postal_code": "78701"},
            "other_emails": [{"address": "w@example.com", "label": "work"}],
            "tags": ["vip", "vip", "referral"], "custom_fields": {"language": "en", "drop": null}
        }))
        .unwrap();
        assert_eq!(f.phone.as_ref().unwrap().as_str(), "+15551234567");
        assert_eq!(f.tags, ["vip", "referral"]);
        assert_eq!(f.status, "active");
        assert!(!f.custom_fields.contains_key("drop"));
        let again = parse(Value::Object(to_document(&f))).unwrap();
        assert_eq!(again, f);
    }

    #[test]
    fn reports_every_bad_field_together() {
        let fields = error_fields(json!({
            "first_name": "", "email": "nope", "phone": "abc", "date_of_birth": "1985-13-01",
            "status": "vip", "tags": [1], "bogus": 1, "id": "cli_x",
            "address": {"zip": "1"}, "other_phones": [{"label": "x"}]
        }));
        assert_eq!(
            fields,
            [
                "last_name", "email", "phone", "address.zip", "other_phones[0].number",
                "date_of_birth", "status", "tags[0]", "bogus", "id"
            ]
        );
    }

    #[test]
    fn company_rules() {
        assert!(parse(json!({"kind": "company", "name": "Acme"})).is_ok());
        assert_eq!(error_fields(json!({"kind": "company"})), ["name"]);
        assert_eq!(error_fields(json!({"kind": "company", "name": "A", "first_name": "x"})), ["first_name"]);
        assert_eq!(error_fields(json!({"first_name": "a", "last_name": "b", "name": "c"})), ["name"]);
        let id = ClientId::generate().to_string();
        assert_eq!(error_fields(json!({"kind": "company", "name": "A", "company_id": id})), ["company_id"]);
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({"a": {"b": 1, "c": 2}, "d": [1, 2], "e": 1});
        merge_patch(&mut doc, &json!({"a": {"b": null, "x": 3}, "d": [3], "e": null}));
        assert_eq!(doc, json!({"a": {"c": 2, "x": 3}, "d": [3]}));
    }
}
