//! Notes on a client or a matter.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::contract::{Contract, Field, Kind, VERSION};
use super::field::FieldError;
use super::ids::{ClientId, KeyId, MatterId, NoteId, UserId};
use super::input::Reader;
use super::record::{search_text, RecordFields, RecordKind, Reference, Target};

pub const SUBJECT: Field = Field::new("subject", Kind::Text { max: 200 }, "");
pub const BODY: Field = Field::new("body", Kind::Multiline { max: 100_000 }, "").example("Called about the closing date.");

/// A note's writable fields.
pub const NOTE: Contract = Contract {
    name: "NoteWrite",
    doc: "The writable fields of a note.",
    fields: &[SUBJECT, BODY, VERSION],
    required: &["body"],
};

pub const READ_ONLY: &[&str] =
    &["id", "client_id", "matter_id", "author", "created_at", "updated_at", "deleted_at", "version"];

/// Who wrote a note: the key, and the staff user it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Author {
    pub user_id: Option<UserId>,
    pub key_id: Option<KeyId>,
}

/// What a note is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteParent {
    Client(ClientId),
    Matter(MatterId),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteFields {
    pub client_id: Option<ClientId>,
    pub matter_id: Option<MatterId>,
    pub subject: Option<String>,
    pub body: String,
    pub author: Author,
}

impl RecordFields for NoteFields {
    const KIND: RecordKind = RecordKind::Note;
    type Id = NoteId;

    fn parent(&self) -> Option<uuid::Uuid> {
        self.client_id.map(|c| c.as_uuid()).or(self.matter_id.map(|m| m.as_uuid()))
    }

    fn search_text(&self) -> String {
        search_text([self.subject.as_deref(), Some(self.body.as_str())])
    }

    fn references(&self) -> Vec<Reference> {
        let client = self.client_id.map(|id| Reference { on: "note", field: "client_id", target: Target::Client, id: id.as_uuid() });
        let matter = self
            .matter_id
            .map(|id| Reference { on: "note", field: "matter_id", target: Target::Record(RecordKind::Matter), id: id.as_uuid() });
        client.into_iter().chain(matter).collect()
    }
}

/// The writable part of a note.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteContent {
    pub subject: Option<String>,
    pub body: String,
}

impl NoteFields {
    pub fn new(parent: NoteParent, content: NoteContent, author: Author) -> Self {
        let (client_id, matter_id) = match parent {
            NoteParent::Client(c) => (Some(c), None),
            NoteParent::Matter(m) => (None, Some(m)),
        };
        Self { client_id, matter_id, subject: content.subject, body: content.body, author }
    }

    pub fn to_document(&self) -> Map<String, Value> {
        let mut doc = Map::new();
        doc.insert("subject".into(), self.subject.clone().map_or(Value::Null, Value::String));
        doc.insert("body".into(), Value::String(self.body.clone()));
        doc
    }
}

pub fn parse_note(doc: &Map<String, Value>) -> Result<NoteContent, Vec<FieldError>> {
    let mut r = Reader::new(doc).with_read_only(READ_ONLY);
    let subject = r.text_of(&SUBJECT);
    let body = r.text_of(&BODY);
    if body.is_none() && !r.has_error(BODY.name) {
        r.error(BODY.name, "is required");
    }
    r.finish()?;
    Ok(NoteContent { subject, body: body.unwrap_or_default() })
}
