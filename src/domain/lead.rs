//! Intake leads: people who asked to become clients, not yet triaged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::read_custom_fields;
use super::email::Email;
use super::contract::{Contract, Field, Kind, CUSTOM_FIELDS, VERSION};
use super::field::FieldError;
use super::firm::FirmSettings;
use super::ids::{ClientId, LeadId, MatterId};
use super::input::Reader;
use super::phone::Phone;
use super::record::{search_text, RecordFields, RecordKind, Reference, Target};
use super::time::Timestamp;

pub const FIRST_NAME: Field = Field::new("first_name", Kind::Name { max: 100 }, "").example("Dana");
pub const LAST_NAME: Field = Field::new("last_name", Kind::Name { max: 100 }, "").example("Doe");
pub const EMAIL: Field = Field::new("email", Kind::Email, "").example("dana@example.com");
pub const PHONE: Field = Field::new("phone", Kind::Phone, "Any common format; stored as E.164 when it can exist in its country's plan, else as written (`phone_verified` false).");
pub const MESSAGE: Field = Field::new("message", Kind::Multiline { max: 10_000 }, "");
pub const SOURCE: Field = Field::new("source", Kind::Text { max: 100 }, "").example("Website");
pub const STATE: Field = Field::new("state", Kind::Enum(&["untriaged", "ignored"]), "Triage: `untriaged` (the default) or `ignored`.");

/// A lead's writable fields.
pub const LEAD: Contract = Contract {
    name: "LeadWrite",
    doc: "The writable fields of a lead. A lead needs at least one of `first_name`, `last_name`, `email` or `phone`.",
    fields: &[FIRST_NAME, LAST_NAME, EMAIL, PHONE, MESSAGE, SOURCE, CUSTOM_FIELDS, STATE, VERSION],
    required: &[],
};

pub const CONVERT_CLIENT: Field = Field::new("client", Kind::Object(&super::client::contract::CLIENT), "Client fields overriding those taken from the lead.");
pub const CONVERT_MATTER: Field = Field::new(
    "matter",
    Kind::Object(&super::matter::MATTER),
    "A matter to open for the new client (its fields without `client_id`).",
);

/// The body of a lead's conversion.
pub const CONVERT: Contract = Contract {
    name: "LeadConvert",
    doc: "What converting a lead makes: a client from the lead (with these overrides), and a matter if asked.",
    fields: &[CONVERT_CLIENT, CONVERT_MATTER],
    required: &[],
};

/// What a public intake form may send.
pub const INTAKE: Contract = Contract {
    name: "IntakeSubmission",
    doc: "A submission of a public intake form (JSON, or `application/x-www-form-urlencoded`, every value a string). \
          It needs at least one of `first_name`, `last_name`, `email` or `phone`.",
    fields: &[FIRST_NAME, LAST_NAME, EMAIL, PHONE, MESSAGE, SOURCE],
    required: &[],
};

pub const READ_ONLY: &[&str] =
    &["id", "client_id", "matter_id", "converted_at", "created_at", "updated_at", "deleted_at", "version"];

/// The fields a public intake form may send.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LeadState {
    #[default]
    Untriaged,
    Ignored,
    Converted,
}

impl LeadState {
    pub const ALL: [LeadState; 3] = [LeadState::Untriaged, LeadState::Ignored, LeadState::Converted];

    pub fn as_str(self) -> &'static str {
        match self {
            LeadState::Untriaged => "untriaged",
            LeadState::Ignored => "ignored",
            LeadState::Converted => "converted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadFields {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub message: Option<String>,
    pub source: Option<String>,
    pub custom_fields: Map<String, Value>,
    pub state: LeadState,
    pub client_id: Option<ClientId>,
    pub matter_id: Option<MatterId>,
    pub converted_at: Option<Timestamp>,
}

impl RecordFields for LeadFields {
    const KIND: RecordKind = RecordKind::Lead;
    type Id = LeadId;

    fn search_text(&self) -> String {
        let digits = self.phone.as_ref().map(|p| p.digits());
        let email = self.email.as_ref().map(|e| e.folded());
        search_text([
            self.first_name.as_deref(),
            self.last_name.as_deref(),
            email.as_deref(),
            digits.as_deref(),
            self.message.as_deref(),
        ])
    }

    /// Set by conversion, in the transaction that makes the client and matter.
    fn references(&self) -> Vec<Reference> {
        let client = self.client_id.map(|id| Reference { on: "lead", field: "client_id", target: Target::Client, id: id.as_uuid() });
        let matter = self
            .matter_id
            .map(|id| Reference { on: "lead", field: "matter_id", target: Target::Record(RecordKind::Matter), id: id.as_uuid() });
        client.into_iter().chain(matter).collect()
    }
}

impl LeadFields {
    /// The writable document (what a PATCH merges into).
    pub fn to_document(&self) -> Map<String, Value> {
        let mut doc = match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        for field in ["client_id", "matter_id", "converted_at"] {
            doc.remove(field);
        }
        doc
    }
}

/// Parses a whole lead document. Conversion links are carried over from the
/// stored lead; `state` may move between untriaged and ignored only.
pub fn parse_lead(doc: &Map<String, Value>, firm: &FirmSettings, current: Option<&LeadFields>) -> Result<LeadFields, Vec<FieldError>> {
    let mut r = Reader::new(doc).with_read_only(READ_ONLY);
    let region = firm.phone_region();
    let state = r.parsed(STATE.name, |s| match LeadState::parse(s) {
        Some(LeadState::Converted) => Err("becomes `converted` only through POST /v1/leads/{id}/convert".into()),
        Some(state) => Ok(state),
        None => Err("must be `untriaged` or `ignored`".into()),
    });
    // In the order errors are reported.
    let (first_name, last_name) = (r.text_of(&FIRST_NAME), r.text_of(&LAST_NAME));
    let email = r.parsed(EMAIL.name, Email::parse);
    let phone = r.parsed(PHONE.name, |s| Phone::parse(s, &region));
    super::phone::read_verified(&mut r, "phone_verified", PHONE.name, phone.as_ref());
    let lead = LeadFields {
        first_name,
        last_name,
        email,
        phone,
        message: r.text_of(&MESSAGE),
        source: r.text_of(&SOURCE),
        custom_fields: read_custom_fields(&mut r),
        state: state.unwrap_or_default(),
        client_id: current.and_then(|c| c.client_id),
        matter_id: current.and_then(|c| c.matter_id),
        converted_at: current.and_then(|c| c.converted_at),
    };
    let named = [&lead.first_name, &lead.last_name].iter().any(|v| v.is_some());
    if !named && lead.email.is_none() && lead.phone.is_none() && !["first_name", "last_name", "email", "phone"].iter().any(|f| r.has_error(f)) {
        r.error("email", "a lead needs at least one of first_name, last_name, email or phone");
    }
    r.finish()?;
    Ok(lead)
}

/// Parses what a public intake form sends: only the fields of [`INTAKE`], all strings.
pub fn parse_intake(doc: &Map<String, Value>, firm: &FirmSettings) -> Result<LeadFields, Vec<FieldError>> {
    let mut errors = Vec::new();
    for key in doc.keys().filter(|k| !INTAKE.accepts(k)) {
        errors.push(FieldError::new(key.clone(), "is not a field this form accepts"));
    }
    match parse_lead(doc, firm, None) {
        Ok(lead) if errors.is_empty() => Ok(lead),
        Ok(_) => Err(errors),
        Err(more) => {
            let mut all: Vec<FieldError> = more.into_iter().filter(|e| INTAKE.accepts(&e.field)).collect();
            all.extend(errors);
            if all.is_empty() {
                all.push(FieldError::new("email", "a lead needs at least one of first_name, last_name, email or phone"));
            }
            Err(all)
        }
    }
}
