//! Staff users.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::email::Email;
use super::field::FieldError;
use super::ids::UserId;
use super::input::Reader;
use super::record::{search_text, RecordFields, RecordKind};

const MAX_NAME: usize = 100;

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
    let first_name = r.name("first_name", MAX_NAME);
    let last_name = r.name("last_name", MAX_NAME);
    let email = r.parsed("email", Email::parse);
    let role = r.parsed("role", |s| {
        Role::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| "must be `owner`, `admin` or `member`".into())
    });
    for (field, present) in [("first_name", first_name.is_some()), ("last_name", last_name.is_some()), ("email", email.is_some())] {
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
