//! Full Engage's create and update bodies, read into canonical documents: one `name` for a person's two.

use serde_json::{Map, Value};

use crate::dialects::common::refuse_unknown_in;
use crate::domain::client::ClientKind;
use crate::domain::client::contract as canonical;
use crate::domain::contract::{Contract, Field, FieldMap, Kind};
use crate::domain::field::FieldError;
use crate::service::ServiceError;

/// A person's two names, or a company's name, in one field.
const NAME: Field = Field::new(
    "name",
    Kind::Name { max: 401 },
    "A person's first and last name (everything before the last space is the first name, the last word the \
     last name; a single word is a person known by one name), or a company's name.",
)
.example("John Doe");
const PHONE: Field = Field { doc: "Any common format; a number without country code is in the firm's region.", example: Some("+1 555-1234"), ..canonical::PHONE };
const STATUS: Field = Field { doc: "`active` (the default) or `inactive` (or another of the firm's statuses).", ..canonical::STATUS };
const FIELDS: &[Field] = &[NAME, PHONE, STATUS, canonical::NOTES];

/// The body of Create.
pub(super) const CREATE: Contract = Contract { name: "FullEngageClientCreate", doc: "The body of Create Client.", fields: FIELDS, required: &["name"] };

/// The body of Update: only the fields sent change; `null` clears `phone` or `notes`.
pub(super) const UPDATE: Contract = Contract {
    name: "FullEngageClientUpdate",
    doc: "The body of Update Client: only the fields sent change; `null` clears `phone` or `notes`.",
    fields: FIELDS,
    required: &[],
};

/// Full Engage's names of canonical fields, both ways: its `name` is a
/// person's two.
pub(super) const NAMES: FieldMap = FieldMap(&[("name", "first_name"), ("name", "last_name")]);

crate::contract_body!(ClientCreate, CREATE);
crate::contract_body!(ClientUpdate, UPDATE);

/// `name` as a person's first name (none for a single name) and last name.
fn split_name(value: &Value) -> Result<(Option<String>, String), FieldError> {
    let Value::String(name) = value else {
        return Err(FieldError::new("name", if value.is_null() { "is required" } else { "must be a string" }));
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(FieldError::new("name", "is required"));
    }
    // Shown back as written.
    let (first, last) = crate::dialects::common::split_full_name(name);
    Ok((first.map(str::to_string), last.to_string()))
}

/// The canonical fields for a body's `name`: a company's name, or a person's
/// first and last name.
fn name_fields(value: &Value, kind: ClientKind, doc: &mut Map<String, Value>) -> Result<(), ServiceError> {
    match kind {
        ClientKind::Company => {
            if !value.is_string() {
                return Err(ServiceError::invalid("name", if value.is_null() { "is required" } else { "must be a string" }));
            }
            doc.insert("name".into(), value.clone());
        }
        ClientKind::Person => {
            let (first, last) = split_name(value).map_err(|e| ServiceError::Invalid(vec![e]))?;
            doc.insert("first_name".into(), first.map_or(Value::Null, Value::from));
            doc.insert("last_name".into(), last.into());
        }
    }
    Ok(())
}

/// The canonical document (or merge patch) for a Full Engage body; `kind` is
/// the client's (a new client is a person).
pub(super) fn to_canonical(mut body: Map<String, Value>, kind: ClientKind) -> Result<Map<String, Value>, ServiceError> {
    refuse_unknown_in(&body, &UPDATE)?;
    // `status: null` is the default status (`active`): on a create it is
    // left out, in a merge patch it removes the status, which the canonical
    // parser then sets to the firm's default.
    if let Some(name) = body.remove("name") {
        name_fields(&name, kind, &mut body)?;
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_splits_at_its_last_space() {
        assert_eq!(split_name(&"John Doe".into()).unwrap(), (Some("John".into()), "Doe".into()));
        assert_eq!(split_name(&"  Mary Ann  Smith ".into()).unwrap(), (Some("Mary Ann".into()), "Smith".into()));
        assert_eq!(split_name(&" Cher ".into()).unwrap(), (None, "Cher".into()));
        assert!(split_name(&"   ".into()).is_err());
        assert!(split_name(&Value::Null).is_err());
        assert!(split_name(&3.into()).is_err());
    }
}
