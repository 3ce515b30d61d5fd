//! Matters: a client's cases or deals.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::read_custom_fields;
use super::contract::{Contract, Field, Kind, CUSTOM_FIELDS, EXTERNAL_ID, VERSION};
use super::field::FieldError;
use super::ids::{ClientId, LeadId, MatterId};
use super::input::Reader;
use super::record::{search_text, RecordFields, RecordKind, Reference, Target};
use super::time::CalendarDate;

pub const CLIENT_ID: Field = Field::new("client_id", Kind::Id { prefix: "cli" }, "A live client of the firm.");
pub const TITLE: Field = Field::new("title", Kind::Text { max: 200 }, "").example("Purchase of 12 Elm St");
pub const DESCRIPTION: Field = Field::new("description", Kind::Multiline { max: 10_000 }, "");
pub const STATUS: Field = Field::new("status", Kind::Enum(&["open", "pending", "closed"]), "`open` (the default), `pending` or `closed`.");
pub const PRACTICE_AREA: Field = Field::new("practice_area", Kind::Text { max: 100 }, "").example("Real estate");
pub const PROJECTED_VALUE: Field = Field::new("projected_value", Kind::Object(&MONEY), "");
pub const LOCATION: Field = Field::new("location", Kind::Text { max: 200 }, "");
pub const HIRED_DATE: Field = Field::new("hired_date", Kind::Date, "").example("2026-03-01");
pub const PRIMARY_CONTACT_ID: Field = Field::new("primary_contact_id", Kind::Id { prefix: "cli" }, "A live client of the firm.");
pub const AMOUNT: Field = Field::new("amount", Kind::Integer { min: 0, max: i64::MAX }, "In minor units (cents).").example("250000");
pub const CURRENCY: Field = Field::new("currency", Kind::Text { max: 3 }, "ISO 4217.").example("USD");

pub const MONEY: Contract = Contract { name: "MoneyWrite", doc: "An amount of money.", fields: &[AMOUNT, CURRENCY], required: &["amount", "currency"] };

/// A matter's writable fields.
pub const MATTER: Contract = Contract {
    name: "MatterWrite",
    doc: "The writable fields of a matter: the body of `POST` and `PUT`, and (every field optional, `null` clearing) \
          of `PATCH`.",
    fields: &[CLIENT_ID, TITLE, DESCRIPTION, STATUS, PRACTICE_AREA, PROJECTED_VALUE, LOCATION, HIRED_DATE, PRIMARY_CONTACT_ID, EXTERNAL_ID, CUSTOM_FIELDS, VERSION],
    required: &["client_id", "title"],
};

/// Fields a response shows but a request may not set.
pub const READ_ONLY: &[&str] = &["id", "lead_id", "created_at", "updated_at", "deleted_at", "version"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MatterStatus {
    #[default]
    Open,
    Pending,
    Closed,
}

impl MatterStatus {
    pub const ALL: [MatterStatus; 3] = [MatterStatus::Open, MatterStatus::Pending, MatterStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            MatterStatus::Open => "open",
            MatterStatus::Pending => "pending",
            MatterStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// An amount of money in minor units (cents) of an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount: i64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatterFields {
    /// `None` only once the client was erased and the matter kept
    /// (docs/privacy.md, "Erasure": detached).
    pub client_id: Option<ClientId>,
    pub title: String,
    pub description: Option<String>,
    pub status: MatterStatus,
    pub practice_area: Option<String>,
    pub projected_value: Option<Money>,
    pub location: Option<String>,
    pub hired_date: Option<CalendarDate>,
    pub primary_contact_id: Option<ClientId>,
    /// The lead this matter came from; set only by converting a lead.
    pub lead_id: Option<LeadId>,
    /// Another system's id for the matter, unique per firm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub custom_fields: Map<String, Value>,
}

impl RecordFields for MatterFields {
    const KIND: RecordKind = RecordKind::Matter;
    type Id = MatterId;

    fn parent(&self) -> Option<uuid::Uuid> {
        self.client_id.map(|c| c.as_uuid())
    }

    fn search_text(&self) -> String {
        search_text([Some(self.title.as_str()), self.description.as_deref()])
    }

    fn unique_key(&self) -> Option<String> {
        self.external_id.clone()
    }

    fn references(&self) -> Vec<Reference> {
        let on = "matter";
        let mut links: Vec<Reference> =
            self.client_id.iter().map(|c| Reference { on, field: "client_id", target: Target::Client, id: c.as_uuid() }).collect();
        if let Some(contact) = self.primary_contact_id {
            links.push(Reference { on, field: "primary_contact_id", target: Target::Client, id: contact.as_uuid() });
        }
        if let Some(lead) = self.lead_id {
            links.push(Reference { on, field: "lead_id", target: Target::Record(RecordKind::Lead), id: lead.as_uuid() });
        }
        links
    }
}

impl MatterFields {
    /// The writable document (what a PATCH merges into).
    pub fn to_document(&self) -> Map<String, Value> {
        let mut doc = match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        doc.remove("lead_id");
        doc
    }
}

/// Parses a whole matter document. `lead_id` is carried over from the stored
/// matter (or set by a lead conversion); requests cannot set it.
pub fn parse_matter(doc: &Map<String, Value>, lead_id: Option<LeadId>) -> Result<MatterFields, Vec<FieldError>> {
    parse_with(doc, lead_id, false)
}

/// Parses a new document for a stored matter. One detached from an erased
/// client may stay without a client (or be given a live one).
pub fn parse_matter_change(doc: &Map<String, Value>, current: &MatterFields) -> Result<MatterFields, Vec<FieldError>> {
    parse_with(doc, current.lead_id, current.client_id.is_none())
}

fn parse_with(doc: &Map<String, Value>, lead_id: Option<LeadId>, detached: bool) -> Result<MatterFields, Vec<FieldError>> {
    let mut r = Reader::new(doc).with_read_only(READ_ONLY);
    let client_id = r.parsed(CLIENT_ID.name, |s| s.parse::<ClientId>().map_err(|e| e.to_string()));
    if client_id.is_none() && !detached && !r.has_error(CLIENT_ID.name) {
        r.error(CLIENT_ID.name, "is required");
    }
    let title = r.text_of(&TITLE);
    if title.is_none() && !r.has_error(TITLE.name) {
        r.error(TITLE.name, "is required");
    }
    let status = r.parsed(STATUS.name, |s| MatterStatus::parse(s).ok_or_else(|| "must be `open`, `pending` or `closed`".into()));
    let fields = MatterFields {
        client_id,
        title: title.unwrap_or_default(),
        description: r.text_of(&DESCRIPTION),
        status: status.unwrap_or_default(),
        practice_area: r.text_of(&PRACTICE_AREA),
        projected_value: read_money(&mut r, PROJECTED_VALUE.name),
        location: r.text_of(&LOCATION),
        hired_date: r.parsed(HIRED_DATE.name, |s| CalendarDate::parse(s).ok_or_else(|| "must be a date as YYYY-MM-DD".into())),
        primary_contact_id: r.parsed(PRIMARY_CONTACT_ID.name, |s| s.parse::<ClientId>().map_err(|e| e.to_string())),
        lead_id,
        external_id: r.text_of(&EXTERNAL_ID),
        custom_fields: read_custom_fields(&mut r),
    };
    r.finish()?;
    Ok(fields)
}

fn read_money(r: &mut Reader<'_>, name: &'static str) -> Option<Money> {
    let obj = r.object(name)?;
    let mut inner = Reader::nested(obj, r.path_of(name));
    let amount = inner.integer(AMOUNT.name);
    if amount.is_some_and(|a| a < 0) {
        inner.error_at(AMOUNT.name, "must not be negative");
    }
    let currency = inner.parsed(CURRENCY.name, |s| {
        if s.len() == 3 && s.chars().all(|c| c.is_ascii_uppercase()) {
            Ok(s.to_string())
        } else {
            Err("must be an ISO 4217 code such as `USD`".into())
        }
    });
    for (field, value) in [(AMOUNT.name, amount.is_some()), (CURRENCY.name, currency.is_some())] {
        if !value && !inner.has_error(field) {
            inner.error_at(field, "is required");
        }
    }
    match inner.finish() {
        Ok(()) => Some(Money { amount: amount?, currency: currency? }),
        Err(errors) => {
            r.absorb(errors);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<MatterFields, Vec<String>> {
        parse_matter(v.as_object().unwrap(), None).map_err(|e| e.into_iter().map(|e| e.field).collect())
    }

    #[test]
    fn requires_client_and_title_and_checks_money() {
        let errors = parse(json!({"projected_value": {"amount": -1, "currency": "usd"}, "lead_id": "x"})).unwrap_err();
        assert_eq!(errors, ["client_id", "title", "projected_value.amount", "projected_value.currency", "lead_id"]);
    }

    #[test]
    fn defaults_status_to_open() {
        let id = ClientId::generate().to_string();
        let m = parse(json!({"client_id": id, "title": "Estate"})).unwrap();
        assert_eq!(m.status, MatterStatus::Open);
        assert!(m.to_document().get("lead_id").is_none());
    }
}
