//! Contacts and matters saved from Clio Grow's List or Get, as canonical
//! documents. Clio Grow takes no contact or matter writes, so these are read
//! from its views: the first of each list (emails, phone numbers,
//! addresses) is the primary one, the rest the client's others; `clio_id`
//! and the dates Clio keeps are custom fields, as this dialect stores them.
//! A matter's client is named by the contact's Clio id (`client.id`),
//! which the contacts' import made their `external_id`.

use serde_json::{json, Map, Value};

use crate::dialects::common::{refuse_unknown, split_full_name};
use crate::dialects::import::{id_text, problems, Problems};
use crate::domain::field::FieldError;

const CONTACT_FIELDS: &[&str] = &[
    "id", "global_id", "clio_id", "name", "first_name", "last_name", "emails", "phone_numbers", "type", "status", "matters",
    "addresses", "created_at", "updated_at",
];

const MATTER_FIELDS: &[&str] = &[
    "id", "title", "description", "created_at", "updated_at", "clio_id", "global_id", "projected_value", "first_letter_sent_date",
    "first_appointment_created_at", "inbox_lead_id", "hired_date", "location", "type", "status", "status_category", "client",
    "primary_contact",
];

/// The longest canonical matter title; a description standing in is cut to it.
const MAX_TITLE: usize = 200;

pub(crate) fn contact(record: Map<String, Value>) -> Result<Map<String, Value>, Problems> {
    refuse_unknown(&record, CONTACT_FIELDS).map_err(problems)?;
    let mut errors = Vec::new();
    let mut doc = Map::new();
    let company = record.get("type").and_then(Value::as_str) == Some("Company");
    if company {
        doc.insert("kind".into(), "company".into());
        copy(&record, "name", &mut doc, "name");
    } else {
        doc.insert("kind".into(), "person".into());
        copy(&record, "first_name", &mut doc, "first_name");
        copy(&record, "last_name", &mut doc, "last_name");
        let unnamed = ["first_name", "last_name"].iter().all(|k| doc.get(*k).is_none_or(Value::is_null));
        if let (true, Some(Value::String(name))) = (unnamed, record.get("name")) {
            let (first, last) = split_full_name(name);
            doc.insert("first_name".into(), first.into());
            doc.insert("last_name".into(), last.into());
        }
    }
    copy(&record, "status", &mut doc, "status");
    let emails = strings(&record, "emails", &mut errors);
    primary_and_others(emails, &mut doc, ("email", "other_emails", "address"));
    let phones = strings(&record, "phone_numbers", &mut errors);
    primary_and_others(phones, &mut doc, ("phone", "other_phones", "number"));
    addresses(&record, &mut doc, &mut errors);
    if let Some(clio_id) = record.get("clio_id").filter(|v| !v.is_null()) {
        doc.insert("custom_fields".into(), json!({ "clio_id": clio_id }));
    }
    if errors.is_empty() { Ok(doc) } else { Err(errors) }
}

pub(crate) fn matter(record: Map<String, Value>, currency: &str) -> Result<Map<String, Value>, Problems> {
    refuse_unknown(&record, MATTER_FIELDS).map_err(problems)?;
    let mut errors = Vec::new();
    let mut doc = Map::new();
    match record.get("client").and_then(|c| c.get("id")).and_then(id_text) {
        Some(client) => {
            doc.insert("client_external_id".into(), client.into());
        }
        None => errors.push(FieldError::new("client.id", "is required: the matter's contact (a key without clients:read saves matters without it)")),
    }
    let title = match record.get("title").and_then(Value::as_str).filter(|t| !t.trim().is_empty()) {
        Some(title) => title.to_string(),
        None => match record.get("description").and_then(Value::as_str).and_then(|d| d.lines().find(|l| !l.trim().is_empty())) {
            Some(line) => line.trim().chars().take(MAX_TITLE).collect(),
            None => format!("Clio Grow matter {}", record.get("id").and_then(id_text).unwrap_or_default()),
        },
    };
    doc.insert("title".into(), title.into());
    for (from, to) in [("description", "description"), ("hired_date", "hired_date"), ("location", "location"), ("type", "practice_area")] {
        copy(&record, from, &mut doc, to);
    }
    match record.get("status") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            doc.insert("status".into(), s.to_ascii_lowercase().into());
        }
        Some(_) => errors.push(FieldError::new("status", "must be Open, Pending or Closed")),
    }
    match record.get("projected_value") {
        None | Some(Value::Null) => {}
        Some(amount) if amount.is_i64() => {
            doc.insert("projected_value".into(), json!({"amount": amount, "currency": currency}));
        }
        Some(_) => errors.push(FieldError::new("projected_value", "must be an integer (cents)")),
    }
    let custom: Map<String, Value> = ["clio_id", "first_letter_sent_date", "first_appointment_created_at"]
        .iter()
        .filter_map(|k| record.get(*k).filter(|v| !v.is_null()).map(|v| (k.to_string(), v.clone())))
        .collect();
    if !custom.is_empty() {
        doc.insert("custom_fields".into(), Value::Object(custom));
    }
    if errors.is_empty() { Ok(doc) } else { Err(errors) }
}

fn copy(record: &Map<String, Value>, from: &str, doc: &mut Map<String, Value>, to: &str) {
    if let Some(value) = record.get(from) {
        doc.insert(to.into(), value.clone());
    }
}

/// A list of strings (absent or null: none).
fn strings(record: &Map<String, Value>, key: &'static str, errors: &mut Vec<FieldError>) -> Vec<Value> {
    match record.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items.clone(),
        Some(_) => {
            errors.push(FieldError::new(key, "must be an array of strings"));
            Vec::new()
        }
    }
}

/// The first of `items` as the primary field, the rest as labelled others.
fn primary_and_others(mut items: Vec<Value>, doc: &mut Map<String, Value>, (primary, others, key): (&str, &str, &str)) {
    if items.is_empty() {
        return;
    }
    let rest: Vec<Value> = items.split_off(1).into_iter().map(|v| json!({ key: v })).collect();
    doc.insert(primary.into(), items.remove(0));
    if !rest.is_empty() {
        doc.insert(others.into(), rest.into());
    }
}

/// Clio's addresses (`street` holding both lines, `province`) as canonical ones.
fn addresses(record: &Map<String, Value>, doc: &mut Map<String, Value>, errors: &mut Vec<FieldError>) {
    let items = match record.get("addresses") {
        None | Some(Value::Null) => return,
        Some(Value::Array(items)) => items,
        Some(_) => return errors.push(FieldError::new("addresses", "must be an array of addresses")),
    };
    let mut canonical = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(address) = item.as_object() else {
            errors.push(FieldError::new(format!("addresses[{i}]"), "must be an address (an object)"));
            continue;
        };
        let mut lines = Map::new();
        if let Some(Value::String(street)) = address.get("street") {
            let (one, two) = street.split_once('\n').map_or((street.as_str(), None), |(a, b)| (a, Some(b)));
            lines.insert("line1".into(), one.into());
            if let Some(two) = two {
                lines.insert("line2".into(), two.into());
            }
        }
        for (from, to) in [("city", "city"), ("province", "region"), ("postal_code", "postal_code"), ("country", "country")] {
            copy(address, from, &mut lines, to);
        }
        canonical.push(Value::Object(lines));
    }
    primary_and_others(canonical, doc, ("address", "other_addresses", "address"));
    // Another address is its lines beside its label, not nested.
    if let Some(Value::Array(others)) = doc.get_mut("other_addresses") {
        for other in others.iter_mut() {
            if let Some(lines) = other.get_mut("address").map(Value::take) {
                *other = lines;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_contact_reads_into_a_person_with_its_lists_split() {
        let saved = json!({"id": 123, "global_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "clio_id": 456, "name": "John Doe",
            "first_name": "John", "last_name": "Doe", "emails": ["john@example.com", "jd@work.example"], "phone_numbers": ["+15551234567"],
            "type": "Person", "status": "Hired", "matters": [{"id": 0}],
            "addresses": [{"street": "123 Main St\nSuite 4", "city": "San Francisco", "province": "CA", "postal_code": "94102", "country": "USA"},
                          {"street": "1 Oak", "city": "Reno"}],
            "created_at": "2024-01-15T10:30:00Z", "updated_at": "2024-02-20T14:45:00Z"});
        let doc = contact(saved.as_object().unwrap().clone()).unwrap();
        assert_eq!(Value::Object(doc), json!({"kind": "person", "first_name": "John", "last_name": "Doe", "status": "Hired",
            "email": "john@example.com", "other_emails": [{"address": "jd@work.example"}], "phone": "+15551234567",
            "address": {"line1": "123 Main St", "line2": "Suite 4", "city": "San Francisco", "region": "CA", "postal_code": "94102", "country": "USA"},
            "other_addresses": [{"line1": "1 Oak", "city": "Reno"}], "custom_fields": {"clio_id": 456}}));
    }

    #[test]
    fn a_company_keeps_its_name_and_a_bare_name_is_split() {
        let company = contact(json!({"id": 1, "name": "Acme LLC", "type": "Company"}).as_object().unwrap().clone()).unwrap();
        assert_eq!((company["kind"].as_str(), company["name"].as_str()), (Some("company"), Some("Acme LLC")));
        let person = contact(json!({"id": 2, "name": "Mary Ann Smith", "type": "Person"}).as_object().unwrap().clone()).unwrap();
        assert_eq!((person["first_name"].as_str(), person["last_name"].as_str()), (Some("Mary Ann"), Some("Smith")));
        let odd = contact(json!({"id": 3, "emails": "x@example.com", "shoe_size": 9}).as_object().unwrap().clone()).unwrap_err();
        assert_eq!(odd[0].field, "shoe_size");
    }

    #[test]
    fn the_seeds_matter_names_its_client_by_clio_id() {
        let saved = json!({"id": 789, "description": "Personal injury case", "created_at": "2024-01-15T10:30:00Z", "clio_id": 456,
            "global_id": "01ARZ", "projected_value": 500000, "first_letter_sent_date": "2024-03-01T09:00:00Z",
            "inbox_lead_id": 321, "hired_date": "2024-04-01", "location": "Main Office", "type": "Personal Injury", "status": "Open",
            "status_category": "intake", "client": {"id": 123, "full_name": "Jane Doe"}, "primary_contact": {"id": 123}});
        let doc = matter(saved.as_object().unwrap().clone(), "USD").unwrap();
        assert_eq!(Value::Object(doc), json!({"client_external_id": "123", "title": "Personal injury case",
            "description": "Personal injury case", "hired_date": "2024-04-01", "location": "Main Office", "practice_area": "Personal Injury",
            "status": "open", "projected_value": {"amount": 500000, "currency": "USD"},
            "custom_fields": {"clio_id": 456, "first_letter_sent_date": "2024-03-01T09:00:00Z"}}));
        let orphan = matter(json!({"id": 1, "client": null}).as_object().unwrap().clone(), "USD").unwrap_err();
        assert_eq!(orphan[0].field, "client.id");
    }
}
