//! Records saved from a vendor's API, read into canonical create documents:
//! what `clientele import --from VENDOR` sends through the batch API, so a
//! firm can carry its data over from the system it leaves.
//!
//! The input is what that vendor's list (or get) endpoint answers, in the
//! shapes of `../shared/seeds/` (and of this server's dialects, which speak
//! them). Each record is read as that dialect reads a full update of it:
//! the fields the vendor's server owns (times, counts, its ids) are left
//! out, and the vendor's own id becomes the record's `external_id`, so a
//! second import of the same data updates rather than duplicates, and
//! matters find their client by it. A vendor's create-time requirements
//! (CalmIntake's first name, ActuallyCare's `client_type`, Clemta's
//! `company_id`) are not asked of records that already exist over there;
//! the canonical rules still apply, on the server. Decisions: docs/bulk.md,
//! "Importing from a vendor".

use serde_json::{Map, Value};

use super::Dialect;
use crate::domain::field::FieldError;

/// A record's problems, field by field, in the vendor's field names.
pub type Problems = Vec<FieldError>;

/// What the records are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Records {
    Clients,
    Matters,
}

/// Whether the vendor's documents show a list of `records` to import.
pub fn offers(dialect: Dialect, records: Records) -> bool {
    records == Records::Clients || dialect == Dialect::ClioGrow
}

/// The records in one saved answer: its list (or its one record, for a
/// saved get), wherever the vendor puts it. `Err` says what was expected.
pub fn records(dialect: Dialect, answer: Value) -> Result<Vec<Value>, String> {
    let data = match answer {
        Value::Array(items) => return Ok(items),
        Value::Object(mut top) => top.remove("data"),
        _ => None,
    };
    // ActuallyCare nests its list: `{"data": {"clients": [...], "meta": ...}}`.
    let data = match (dialect, data) {
        (Dialect::Actuallycare, Some(Value::Object(mut inner))) if inner.contains_key("clients") => inner.remove("clients"),
        (_, data) => data,
    };
    match data {
        Some(Value::Array(items)) => Ok(items),
        Some(record @ Value::Object(_)) => Ok(vec![record]),
        _ => Err(format!("is not a saved {} answer: its records are expected {}", dialect.name(), where_records_are(dialect))),
    }
}

fn where_records_are(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Actuallycare => "under data.clients (a list) or data (one client)",
        _ => "under data (a list, or one record)",
    }
}

/// One saved record as a canonical create document.
pub fn client(dialect: Dialect, record: Value) -> Result<Map<String, Value>, Problems> {
    let record = object(record)?;
    let id = vendor_id(&record);
    let mut doc = match dialect {
        Dialect::Calmintake => super::calmintake::import::client(record),
        Dialect::Actuallycare => super::actuallycare::import::client(record),
        Dialect::ClioGrow => super::clio_grow::import::contact(record),
        Dialect::FullEngage => super::full_engage::import::client(record),
        Dialect::Clemta => super::clemta::import::contact(record),
    }?;
    finish(&mut doc, id);
    Ok(doc)
}

/// One saved matter as a canonical create document, its client named by
/// `client_external_id` (the vendor's id of it); amounts the vendor shows
/// without a currency are in `currency`.
pub fn matter(dialect: Dialect, record: Value, currency: &str) -> Result<Map<String, Value>, Problems> {
    let record = object(record)?;
    let id = vendor_id(&record);
    let mut doc = match dialect {
        Dialect::ClioGrow => super::clio_grow::import::matter(record, currency),
        _ => Err(vec![FieldError::new("", format!("{}'s documents show no list of matters", dialect.name()))]),
    }?;
    finish(&mut doc, id);
    Ok(doc)
}

/// A dialect's refusal as the record's problems.
pub(super) fn problems(error: crate::service::ServiceError) -> Problems {
    match error {
        crate::service::ServiceError::Invalid(errors) => errors,
        other => vec![FieldError::new("", other.to_string())],
    }
}

fn object(record: Value) -> Result<Map<String, Value>, Problems> {
    match record {
        Value::Object(record) => Ok(record),
        _ => Err(vec![FieldError::new("", "is not a record (a JSON object)")]),
    }
}

/// The vendor's id of a record, as text: a string, or Clio's integer.
pub(super) fn vendor_id(record: &Map<String, Value>) -> Option<String> {
    record.get("id").and_then(id_text)
}

/// A vendor id as text: a non-blank string (trimmed), or an integer.
pub(super) fn id_text(id: &Value) -> Option<String> {
    match id {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The vendor's id as the `external_id` (unless the record carries one of
/// its own, as one exported from Clientele does), and unset values left
/// out: a create document has nothing to clear, and an upsert's update
/// keeps what the record doesn't say.
fn finish(doc: &mut Map<String, Value>, id: Option<String>) {
    if let (false, Some(id)) = (doc.get(super::common::EXTERNAL_ID).is_some_and(|v| !v.is_null()), id) {
        doc.insert(super::common::EXTERNAL_ID.into(), id.into());
    }
    drop_unset(doc);
}

fn drop_unset(doc: &mut Map<String, Value>) {
    doc.retain(|_, v| !v.is_null());
    if let Some(Value::Object(custom)) = doc.get_mut("custom_fields") {
        custom.retain(|_, v| !v.is_null());
        if custom.is_empty() {
            doc.remove("custom_fields");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn records_are_found_where_each_vendor_puts_them() {
        let page = json!({"data": [{"id": "a"}, {"id": "b"}], "pagination": {"page": 1}});
        assert_eq!(records(Dialect::Calmintake, page).unwrap().len(), 2);
        let nested = json!({"success": true, "data": {"clients": [{"id": "a"}], "meta": {}}});
        assert_eq!(records(Dialect::Actuallycare, nested).unwrap().len(), 1);
        let one = json!({"data": {"id": 1}});
        assert_eq!(records(Dialect::ClioGrow, one).unwrap(), [json!({"id": 1})]);
        assert_eq!(records(Dialect::FullEngage, json!([{"id": "x"}])).unwrap().len(), 1);
        let error = records(Dialect::Clemta, json!({"success": false, "data": null})).unwrap_err();
        assert!(error.contains("under data"), "{error}");
    }

    #[test]
    fn the_vendor_id_becomes_the_external_id_unless_one_is_carried() {
        let mut doc = json!({"last_name": "Doe", "notes": null, "custom_fields": {"a": null}}).as_object().unwrap().clone();
        finish(&mut doc, Some("123".into()));
        assert_eq!(Value::Object(doc), json!({"last_name": "Doe", "external_id": "123"}));
        let mut carried = json!({"last_name": "Doe", "external_id": "crm-9"}).as_object().unwrap().clone();
        finish(&mut carried, Some("123".into()));
        assert_eq!(carried["external_id"], "crm-9");
        assert_eq!(vendor_id(json!({"id": 42}).as_object().unwrap()).as_deref(), Some("42"));
        assert_eq!(vendor_id(json!({"id": " "}).as_object().unwrap()), None);
    }

    #[test]
    fn only_clio_grow_offers_matters() {
        assert!(offers(Dialect::ClioGrow, Records::Matters));
        assert!(!offers(Dialect::Calmintake, Records::Matters));
        assert!(Dialect::ALL.iter().all(|d| offers(*d, Records::Clients)));
    }
}
