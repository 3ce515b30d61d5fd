//! Erasure of a person's data (GDPR article 17): the request, and what
//! stands in for erased data where a record of the change must stay.
//! docs/privacy.md ("Erasure") says what is removed and what remains.

use serde_json::{json, Map, Value};

use super::client::Client;
use super::contract::{Contract, Field, Kind};
use super::field::FieldError;
use super::ids::ClientId;
use super::input::Reader;

pub const CONFIRM: Field =
    Field::new("confirm", Kind::Id { prefix: "cli" }, "The id of the client being erased, again: erasure can't be undone.")
        .example("cli_01J9Z3Q4X5R6S7T8V9W0XYZABC");
pub const MATTERS: Field = Field::new(
    "matters",
    Kind::Enum(&["detach", "erase"]),
    "What happens to the client's matters: `detach` (the default) keeps them, with their notes, without a client; \
     `erase` removes them and their notes too.",
);

/// The body of `POST /v1/clients/{id}/erase`.
pub const ERASE: Contract = Contract {
    name: "ClientErase",
    doc: "Erases a client for good: the client, its notes and leads, and (with `matters: erase`) its matters.",
    fields: &[CONFIRM, MATTERS],
    required: &["confirm"],
};

/// What becomes of an erased client's matters, which the firm may have to
/// keep by law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatterDisposal {
    /// Kept, with their own fields and notes, and no client.
    #[default]
    Detach,
    /// Removed with their notes.
    Erase,
}

impl MatterDisposal {
    pub fn as_str(self) -> &'static str {
        match self {
            MatterDisposal::Detach => "detach",
            MatterDisposal::Erase => "erase",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EraseRequest {
    /// The id the caller typed to confirm; the service compares it.
    pub confirm: ClientId,
    pub matters: MatterDisposal,
}

pub fn parse_request(body: &Map<String, Value>) -> Result<EraseRequest, Vec<FieldError>> {
    let mut r = Reader::new(body);
    let confirm = r.parsed(CONFIRM.name, |s| s.parse::<ClientId>().map_err(|_| "must be a client id (`cli_…`)".to_string()));
    if confirm.is_none() && !r.has_error(CONFIRM.name) {
        r.error_at(CONFIRM.name, "is required: the id of the client being erased");
    }
    let matters = r.parsed(MATTERS.name, |s| match s {
        "detach" => Ok(MatterDisposal::Detach),
        "erase" => Ok(MatterDisposal::Erase),
        _ => Err("must be `detach` or `erase`".to_string()),
    });
    r.finish()?;
    match confirm {
        Some(confirm) => Ok(EraseRequest { confirm, matters: matters.unwrap_or_default() }),
        None => Err(vec![FieldError::new(CONFIRM.name, "is required")]),
    }
}

/// What stands in an event's `before` and `after` once the data they held
/// is erased: the event's type, time, resource and actor stay.
pub fn redaction_marker() -> Value {
    json!({ "redacted": true })
}

/// The marker as stored (compact JSON). The stores' partial index of erased
/// events (`events_redacted`) names it literally, and so does the query that
/// uses that index.
pub const REDACTION_MARKER: &str = r#"{"redacted":true}"#;

/// Whether an event's data was erased (its `before` or `after` is the marker).
pub fn is_redacted(before: Option<&Value>, after: Option<&Value>) -> bool {
    let marker = redaction_marker();
    before == Some(&marker) || after == Some(&marker)
}

/// The texts by which a stored response may carry a client's data when it
/// names none of the erased records by id (a dialect's integer ids): its
/// emails, as given and folded, its phones as stored, and its display name.
pub fn identifying_texts(client: &Client) -> Vec<String> {
    let f = &client.fields;
    let emails = f.email.iter().chain(f.other_emails.iter().map(|e| &e.address));
    let phones = f.phone.iter().chain(f.other_phones.iter().map(|p| &p.number));
    let mut texts: Vec<String> = emails.flat_map(|e| [e.as_str().to_string(), e.folded()]).collect();
    texts.extend(phones.map(|p| p.as_str().to_string()));
    texts.push(f.display_name());
    texts.retain(|t| t.chars().count() >= 3);
    texts.sort();
    texts.dedup();
    texts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_marker_is_the_marker_as_compact_json() {
        assert_eq!(redaction_marker().to_string(), REDACTION_MARKER);
    }

    fn parse(v: Value) -> Result<EraseRequest, Vec<String>> {
        parse_request(v.as_object().unwrap()).map_err(|e| e.into_iter().map(|e| e.field).collect())
    }

    #[test]
    fn matters_default_to_detach() {
        let id = ClientId::generate();
        assert_eq!(parse(json!({"confirm": id.to_string()})).unwrap().matters, MatterDisposal::Detach);
        assert_eq!(parse(json!({"confirm": id.to_string(), "matters": "erase"})).unwrap().matters, MatterDisposal::Erase);
    }

    #[test]
    fn every_bad_field_is_named() {
        assert_eq!(parse(json!({})).unwrap_err(), ["confirm"]);
        assert_eq!(parse(json!({"confirm": 7, "matters": "keep", "x": 1})).unwrap_err(), ["confirm", "matters", "x"]);
    }
}
