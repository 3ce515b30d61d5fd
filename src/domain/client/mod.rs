//! Clients: the people and companies a firm serves.

pub mod contract;
mod document;
pub mod match_keys;
pub mod merge;
pub mod query;

pub use document::{merge_patch, parse_document, read_custom_fields, to_document, READ_ONLY};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::email::Email;
use super::ids::{ClientId, FirmId};
use super::phone::Phone;
use super::record::{Reference, Target};
use super::text;
use super::time::{CalendarDate, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientKind {
    #[default]
    Person,
    Company,
}

impl ClientKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ClientKind::Person => "person",
            ClientKind::Company => "company",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "person" => Some(ClientKind::Person),
            "company" => Some(ClientKind::Company),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabeledEmail {
    pub address: Email,
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabeledPhone {
    pub number: Phone,
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabeledAddress {
    pub label: Option<String>,
    #[serde(flatten)]
    pub address: Address,
}

/// Everything about a client that a request may set: the writable state.
/// Held values are already valid; [`parse_document`] is the only way to make one
/// from input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClientFields {
    pub kind: ClientKind,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The name of a company; for a person the display name is derived instead.
    pub company_name: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub address: Option<Address>,
    pub other_emails: Vec<LabeledEmail>,
    pub other_phones: Vec<LabeledPhone>,
    pub other_addresses: Vec<LabeledAddress>,
    pub date_of_birth: Option<CalendarDate>,
    pub company_id: Option<ClientId>,
    pub status: String,
    pub tags: Vec<String>,
    pub source: Option<String>,
    pub notes: Option<String>,
    /// Another system's id for the client, unique per firm.
    pub external_id: Option<String>,
    pub custom_fields: Map<String, Value>,
}

impl ClientFields {
    /// Display name: a company's name, or a person's first and last name.
    pub fn display_name(&self) -> String {
        match self.kind {
            ClientKind::Company => self.company_name.clone().unwrap_or_default(),
            ClientKind::Person => {
                let parts = [self.first_name.as_deref(), self.last_name.as_deref()];
                parts.into_iter().flatten().collect::<Vec<_>>().join(" ")
            }
        }
    }

    /// Sort key for `sort=last_name`: a person's last name, a company's name.
    pub fn last_name_key(&self) -> String {
        let base = match self.kind {
            ClientKind::Person => self.last_name.as_deref().unwrap_or_default(),
            ClientKind::Company => self.company_name.as_deref().unwrap_or_default(),
        };
        text::fold(base)
    }

    pub fn name_key(&self) -> String {
        text::fold(&self.display_name())
    }

    /// The records these fields refer to: a person's company.
    pub fn references(&self) -> Vec<Reference> {
        self.company_id
            .map(|id| Reference { on: "client", field: "company_id", target: Target::Company, id: id.as_uuid() })
            .into_iter()
            .collect()
    }

    /// What `q` searches: the folded display name and email, then the phone's
    /// digits. Fields are joined by a newline, which a query can't contain, so a
    /// match never straddles two fields.
    pub fn search_text(&self) -> String {
        let mut out = text::fold(&self.display_name());
        if let Some(email) = &self.email {
            out.push('\n');
            out.push_str(&email.folded());
        }
        if let Some(phone) = &self.phone {
            out.push('\n');
            out.push_str(&phone.digits());
        }
        out
    }
}

/// A stored client.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: ClientId,
    pub firm_id: FirmId,
    /// Per-table integer id, for dialects whose ids are integers.
    pub seq: i64,
    pub fields: ClientFields,
    pub matters_count: i64,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
    /// The client this one was merged into: then it is a tombstone (also
    /// `deleted_at`), never live again.
    pub merged_into: Option<ClientId>,
}

impl Client {
    /// The record as the audit log keeps it.
    pub fn snapshot(&self) -> Value {
        let mut doc = to_document(&self.fields);
        doc.insert("id".into(), Value::String(self.id.to_string()));
        doc.insert("name".into(), Value::String(self.fields.display_name()));
        doc.insert("version".into(), self.version.into());
        doc.insert("created_at".into(), Value::String(self.created_at.to_string()));
        doc.insert("updated_at".into(), Value::String(self.updated_at.to_string()));
        if let Some(t) = self.deleted_at {
            doc.insert("deleted_at".into(), Value::String(t.to_string()));
        }
        if let Some(id) = self.merged_into {
            doc.insert("merged_into".into(), Value::String(id.to_string()));
        }
        Value::Object(doc)
    }
}
