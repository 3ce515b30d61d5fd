//! Staff users.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::email::Email;
use super::contract::{Contract, Field, Kind, VERSION};
use super::field::FieldError;
use super::ids::UserId;
use super::input::Reader;
use super::record::{search_text, RecordFields, RecordKind};

pub const FIRST_NAME: Field = Field::new("first_name", Kind::Name { max: 100 }, "").example("Ada");
pub const LAST_NAME: Field = Field::new("last_name", Kind::Name { max: 100 }, "").example("Lovelace");
pub const EMAIL: Field = Field::new("email", Kind::Email, "Unique among the firm's users.").example("ada@firm.example");
pub const ROLE: Field = Field::new("role", Kind::Enum(&["owner", "admin", "member"]), "`member` by default.");

/// A staff user's writable fields.
pub const USER: Contract = Contract {
    name: "UserWrite",
    doc: "The writable fields of a staff user.",
    fields: &[FIRST_NAME, LAST_NAME, EMAIL, ROLE, VERSION],
    required: &["first_name", "last_name", "email"],
};

pub const READ_ONLY: &[&str] = &["id", "created_at", "updated_at", "deleted_at", "version"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    #[default]
    Member,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserFields {
    pub first_name: String,
    pub last_name: String,
    pub email: Email,
    pub role: Role,
}

impl RecordFields for UserFields {
    const KIND: RecordKind = RecordKind::User;
    type Id = UserId;

    /// One live user per email (in its canonical form) per firm.
    fn unique_key(&self) -> Option<String> {
        Some(self.email.key())
    }

    fn search_text(&self) -> String {
        let email = self.email.folded();
        search_text([Some(self.first_name.as_str()), Some(self.last_name.as_str()), Some(email.as_str())])
    }
}

impl UserFields {
    pub fn to_document(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }
}

pub fn parse_user(doc: &Map<String, Value>) -> Result<UserFields, Vec<FieldError>> {
    let mut r = Reader::new(doc).with_read_only(READ_ONLY);
    let first_name = r.text_of(&FIRST_NAME);
    let last_name = r.text_of(&LAST_NAME);
    let email = r.parsed(EMAIL.name, Email::parse);
    let role = r.parsed(ROLE.name, |s| {
        Role::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| "must be `owner`, `admin` or `member`".into())
    });
    for (field, present) in [(FIRST_NAME.name, first_name.is_some()), (LAST_NAME.name, last_name.is_some()), (EMAIL.name, email.is_some())] {
        if !present && !r.has_error(field) {
            r.error(field, "is required");
        }
    }
    r.finish()?;
    match (first_name, last_name, email) {
        (Some(first_name), Some(last_name), Some(email)) => Ok(UserFields { first_name, last_name, email, role: role.unwrap_or_default() }),
        _ => Err(vec![FieldError::new("email", "is required")]),
    }
}
