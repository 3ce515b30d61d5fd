//! Records: every kind of firm data other than clients (matters, notes, leads,
//! users, custom field definitions, custom actions, intake tokens, nonces).
//!
//! Each kind has its own typed fields struct implementing [`RecordFields`];
//! [`Stored`] adds what every record has (id, version, timestamps). Stores keep
//! them all in one shape, [`Record`]: the fields as a JSON document plus the few
//! columns queries need. See docs/domain.md for why.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::client::query::SearchTerm;
use super::ids::{FirmId, TypedId};
use super::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Matter,
    Note,
    Lead,
    User,
    CustomField,
    CustomAction,
    IntakeToken,
    Nonce,
    Webhook,
}

impl RecordKind {
    pub const ALL: [RecordKind; 9] = [
        RecordKind::Matter,
        RecordKind::Note,
        RecordKind::Lead,
        RecordKind::User,
        RecordKind::CustomField,
        RecordKind::CustomAction,
        RecordKind::IntakeToken,
        RecordKind::Nonce,
        RecordKind::Webhook,
    ];

    /// The name used in storage, events and error messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            RecordKind::Matter => "matter",
            RecordKind::Note => "note",
            RecordKind::Lead => "lead",
            RecordKind::User => "user",
            RecordKind::CustomField => "custom_field",
            RecordKind::CustomAction => "custom_action",
            RecordKind::IntakeToken => "intake_token",
            RecordKind::Nonce => "nonce",
            RecordKind::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The public, prefixed form of a record id of this kind.
    pub fn public_id(self, id: Uuid) -> String {
        use super::ids::*;
        match self {
            RecordKind::Matter => MatterId::from_uuid(id).to_string(),
            RecordKind::Note => NoteId::from_uuid(id).to_string(),
            RecordKind::Lead => LeadId::from_uuid(id).to_string(),
            RecordKind::User => UserId::from_uuid(id).to_string(),
            RecordKind::CustomField => CustomFieldId::from_uuid(id).to_string(),
            RecordKind::CustomAction => CustomActionId::from_uuid(id).to_string(),
            RecordKind::IntakeToken => IntakeTokenId::from_uuid(id).to_string(),
            RecordKind::Nonce => NonceId::from_uuid(id).to_string(),
            RecordKind::Webhook => WebhookId::from_uuid(id).to_string(),
        }
    }
}

/// What a reference must name: a client, a company-kind client, or a record
/// of one kind, always of the referring record's firm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Client,
    Company,
    Record(RecordKind),
}

impl Target {
    /// What a reference that fails its check was expected to name.
    pub fn expectation(self) -> &'static str {
        match self {
            Target::Client => "does not refer to a live client of this firm",
            Target::Company => "does not refer to a company client of this firm",
            Target::Record(RecordKind::Matter) => "does not refer to a live matter of this firm",
            Target::Record(RecordKind::Lead) => "does not refer to a live lead of this firm",
            Target::Record(RecordKind::User) => "does not refer to a live user of this firm",
            Target::Record(_) => "does not refer to a live record of this firm",
        }
    }
}

/// One record's link to another, as its fields declare it. The store checks
/// every reference a write makes inside that write's transaction
/// (`store::Write`), so no path into the store can link one firm's records
/// to another's, or to something that isn't there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    /// The kind of the referring record (`client`, `matter` …).
    pub on: &'static str,
    pub field: &'static str,
    pub target: Target,
    pub id: Uuid,
}

/// The typed fields of one record kind.
pub trait RecordFields: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync + 'static {
    const KIND: RecordKind;
    type Id: TypedId;
    /// Fields derived from a secret (a token's hash): stored, for lookup,
    /// but never shown, not even in events ([`Stored::snapshot`]).
    const SECRET_FIELDS: &'static [&'static str] = &[];

    /// The record this one belongs to (a matter's client, a note's subject).
    fn parent(&self) -> Option<Uuid> {
        None
    }

    /// A value unique among the firm's live records of this kind.
    fn unique_key(&self) -> Option<String> {
        None
    }

    /// Case-folded text that `q=` searches.
    fn search_text(&self) -> String {
        String::new()
    }

    /// The records these fields refer to.
    fn references(&self) -> Vec<Reference> {
        Vec::new()
    }
}

/// A record of kind `F` as the service handles it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<F> {
    pub id: Uuid,
    pub firm_id: FirmId,
    /// Per-table sequence number (integer ids for dialects).
    pub seq: i64,
    pub fields: F,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
}

impl<F: RecordFields> Stored<F> {
    /// A new record, version 1, created now.
    pub fn new(firm_id: FirmId, fields: F) -> Self {
        let now = Timestamp::now();
        Self {
            id: Uuid::now_v7(),
            firm_id,
            seq: 0,
            fields,
            version: 1,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        }
    }

    pub fn id(&self) -> F::Id {
        F::Id::from_uuid(self.id)
    }

    pub fn is_live(&self) -> bool {
        self.deleted_at.is_none()
    }

    /// The fields as a JSON object.
    pub fn document(&self) -> Map<String, Value> {
        match serde_json::to_value(&self.fields) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    /// The record as events show it: its fields (less the secret ones) plus
    /// id, version and times.
    pub fn snapshot(&self) -> Value {
        let mut doc = self.document();
        for field in F::SECRET_FIELDS {
            doc.remove(*field);
        }
        doc.insert("id".into(), Value::String(self.id().to_string()));
        doc.insert("version".into(), self.version.into());
        doc.insert("created_at".into(), Value::String(self.created_at.to_string()));
        doc.insert("updated_at".into(), Value::String(self.updated_at.to_string()));
        if let Some(t) = self.deleted_at {
            doc.insert("deleted_at".into(), Value::String(t.to_string()));
        }
        Value::Object(doc)
    }

    pub fn to_record(&self) -> Record {
        Record {
            kind: F::KIND,
            id: self.id,
            firm_id: self.firm_id,
            seq: self.seq,
            parent_id: self.fields.parent(),
            unique_key: self.fields.unique_key(),
            doc: Value::Object(self.document()),
            search_text: self.fields.search_text(),
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            deleted_at: self.deleted_at,
        }
    }

    /// Decodes a stored record; an error means corruption (or a kind mix-up).
    pub fn from_record(record: Record) -> Result<Self, String> {
        if record.kind != F::KIND {
            return Err(format!("expected a {}, found a {}", F::KIND.as_str(), record.kind.as_str()));
        }
        let fields = serde_json::from_value(record.doc)
            .map_err(|e| format!("stored {} does not decode: {e}", F::KIND.as_str()))?;
        Ok(Self {
            id: record.id,
            firm_id: record.firm_id,
            seq: record.seq,
            fields,
            version: record.version,
            created_at: record.created_at,
            updated_at: record.updated_at,
            deleted_at: record.deleted_at,
        })
    }
}

/// A record as stores keep it.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub kind: RecordKind,
    pub id: Uuid,
    pub firm_id: FirmId,
    pub seq: i64,
    pub parent_id: Option<Uuid>,
    pub unique_key: Option<String>,
    pub doc: Value,
    pub search_text: String,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
}

/// Which live records of one kind a list wants.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub parent_id: Option<Uuid>,
    /// Any of these ids (empty: no restriction).
    pub ids: Vec<Uuid>,
    /// Any of these per-table integer ids (integer-id dialects).
    pub seqs: Vec<i64>,
    /// Top-level document fields that must hold one of the given strings.
    pub equals: Vec<(&'static str, Vec<String>)>,
    pub created_since: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
    pub updated_since: Option<Timestamp>,
    pub updated_before: Option<Timestamp>,
    pub search: Option<SearchTerm>,
    /// Instead of live records, those soft-deleted at exactly this instant
    /// (records deleted together with their parent).
    pub deleted_at: Option<Timestamp>,
    /// Live and soft-deleted records alike (everything still held: what a
    /// person's export shows and an erasure removes); `deleted_at` then has
    /// no effect.
    pub any_state: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecordSort {
    pub by_updated: bool,
    pub descending: bool,
}

impl RecordSort {
    pub fn parse(s: &str) -> Option<Self> {
        let (descending, field) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let by_updated = match field {
            "created_at" => false,
            "updated_at" => true,
            _ => return None,
        };
        Some(Self { by_updated, descending })
    }

    pub fn to_param(self) -> String {
        let field = if self.by_updated { "updated_at" } else { "created_at" };
        if self.descending {
            format!("-{field}")
        } else {
            field.to_string()
        }
    }

    /// The sort key of a record under this sort.
    pub fn key_of<F>(self, record: &Stored<F>) -> Timestamp {
        if self.by_updated {
            record.updated_at
        } else {
            record.created_at
        }
    }
}

/// One page of a keyset walk over records.
#[derive(Debug, Clone, Default)]
pub struct RecordQuery {
    pub filter: RecordFilter,
    pub sort: RecordSort,
    /// Start after this (sort key, id).
    pub after: Option<(Timestamp, Uuid)>,
    pub limit: usize,
}

/// Folds texts into one search text, skipping absent ones.
pub fn search_text<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    parts.into_iter().flatten().map(super::text::fold).collect::<Vec<_>>().join("\n")
}
