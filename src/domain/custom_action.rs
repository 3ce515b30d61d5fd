//! Custom actions (from the Clio Grow seed): links a UI shows, which send the
//! user's browser to an integration's URL with a single-use nonce the
//! integration then presents back to prove the click happened.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::contract::{Contract, Field, Kind, VERSION};
use super::field::FieldError;
use super::ids::{CustomActionId, IntakeTokenId, NonceId};
use super::input::Reader;
use super::record::{RecordFields, RecordKind};
use super::time::Timestamp;

pub const LABEL: Field = Field::new("label", Kind::Text { max: 100 }, "").example("Open in DMS");
pub const UI_REFERENCE: Field = Field::new("ui_reference", Kind::Enum(UI_REFERENCES), "Where the action shows.");
pub const TARGET_URL: Field = Field::new(
    "target_url",
    Kind::Text { max: MAX_URL },
    "`https://…` (or `http://localhost…`), where the user's browser is sent with a nonce.",
)
.example("https://dms.example.com/open");
const MAX_URL: usize = 2_000;

/// A custom action's writable fields.
pub const ACTION: Contract = Contract {
    name: "CustomActionWrite",
    doc: "A custom action: a link shown in a vendor's UI.",
    fields: &[LABEL, UI_REFERENCE, TARGET_URL, VERSION],
    required: &["label", "ui_reference"],
};
/// How long a nonce is valid after it is issued.
pub const NONCE_TTL_MS: i64 = 60_000;

pub const READ_ONLY: &[&str] = &["id", "created_at", "updated_at", "deleted_at", "version"];
pub const UI_REFERENCES: &[&str] = &["contacts/show", "matters/show", "leads/show"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomActionFields {
    pub label: String,
    pub ui_reference: String,
    pub target_url: Option<String>,
}

impl RecordFields for CustomActionFields {
    const KIND: RecordKind = RecordKind::CustomAction;
    type Id = CustomActionId;
}

impl CustomActionFields {
    pub fn to_document(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }
}

pub fn parse_custom_action(doc: &Map<String, Value>) -> Result<CustomActionFields, Vec<FieldError>> {
    let mut r = Reader::new(doc).with_read_only(READ_ONLY);
    let label = r.text_of(&LABEL);
    let ui_reference = r.parsed(UI_REFERENCE.name, |s| {
        if UI_REFERENCES.contains(&s) {
            Ok(s.to_string())
        } else {
            Err(format!("must be one of: {}", UI_REFERENCES.join(", ")))
        }
    });
    let target_url = r.parsed(TARGET_URL.name, check_target_url);
    for (field, present) in [(LABEL.name, label.is_some()), (UI_REFERENCE.name, ui_reference.is_some())] {
        if !present && !r.has_error(field) {
            r.error(field, "is required");
        }
    }
    r.finish()?;
    match (label, ui_reference) {
        (Some(label), Some(ui_reference)) => Ok(CustomActionFields { label, ui_reference, target_url }),
        _ => Err(vec![FieldError::new("label", "is required")]),
    }
}

/// A browser is sent to this URL, so it must be a plain absolute web URL:
/// `https://`, or `http://` only to this machine (for development). The server
/// never fetches it, so there is no server-side request to forge.
fn check_target_url(s: &str) -> Result<String, String> {
    let url = super::web_url::WebUrl::parse(s, MAX_URL)?;
    if !url.secure && !matches!(url.host.as_str(), "localhost" | "127.0.0.1" | "[::1]") {
        return Err("must use https:// (http:// is allowed only for localhost)".into());
    }
    Ok(s.to_string())
}

/// A nonce issued for a custom action. Its `unique_key` is the SHA-256 of the
/// code, so the code itself is never stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NonceFields {
    pub custom_action_id: CustomActionId,
    pub code_hash: String,
    pub expires_at: Timestamp,
}

impl RecordFields for NonceFields {
    const KIND: RecordKind = RecordKind::Nonce;
    type Id = NonceId;
    const SECRET_FIELDS: &'static [&'static str] = &["code_hash"];

    fn unique_key(&self) -> Option<String> {
        Some(self.code_hash.clone())
    }
}

pub const TOKEN_NAME: Field = Field::new("name", Kind::Text { max: 100 }, "What the token is for.").example("Website form");

/// An intake token's writable fields.
pub const TOKEN: Contract = Contract { name: "IntakeTokenWrite", doc: "A new public intake token.", fields: &[TOKEN_NAME], required: &[] };

/// A public intake token: the capability to post leads to one firm. Its
/// `unique_key` is the SHA-256 of the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntakeTokenFields {
    pub name: Option<String>,
    /// The first characters of the token, so people can tell tokens apart.
    pub prefix: String,
    pub token_hash: String,
}

impl RecordFields for IntakeTokenFields {
    const KIND: RecordKind = RecordKind::IntakeToken;
    const SECRET_FIELDS: &'static [&'static str] = &["token_hash"];
    type Id = IntakeTokenId;

    fn unique_key(&self) -> Option<String> {
        Some(self.token_hash.clone())
    }
}

/// A fresh random code: `prefix` + 32 base62 characters.
pub fn random_code(prefix: &str) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let body: String = (0..32).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    format!("{prefix}{body}")
}

/// The stored form of a code: hex SHA-256.
pub fn code_hash(code: &str) -> String {
    Sha256::digest(code.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_urls_are_https_or_local_http() {
        assert!(check_target_url("https://example.com/hook?x=1").is_ok());
        assert!(check_target_url("http://localhost:8080/cb").is_ok());
        assert!(check_target_url("http://example.com/").is_err());
        assert!(check_target_url("ftp://example.com/").is_err());
        assert!(check_target_url("javascript:alert(1)").is_err());
        assert!(check_target_url("https://").is_err());
        assert!(check_target_url("https://user:pw@example.com/").is_err());
        assert!(check_target_url("http://localhost:80@evil.example/").is_err());
        assert!(check_target_url("http://localhost\\@evil.example/").is_err());
        assert!(check_target_url("http://[::1]:8080/x").is_ok());
        assert!(check_target_url("https://b\u{fc}cher.example/").is_ok());
        for bad in [
            "https://ex\u{202e}ample.com/",
            "https://ex\u{200b}ample.com/",
            "http://localhost:99999/",
            "http://localhost:0/",
            "https://example.com:/",
            "https://example.com:8o/",
            "https://exa%6dple.com/",
            "https://[::1/",
            "https://exa_mple.com/",
        ] {
            assert!(check_target_url(bad).is_err(), "{bad:?}");
        }
    }
}
