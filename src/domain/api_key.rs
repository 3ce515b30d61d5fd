//! API keys: scopes, the secret's format, and how it is checked.
//!
//! A secret looks like `clt_` + 30 random base62 characters + a 6-character
//! base62 CRC32 of the random part (GitHub's token format), so secret scanners
//! can recognise a leaked key and a mistyped key is refused before any lookup.
//! Only the SHA-256 of the secret is stored.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::ids::{FirmId, KeyId, UserId};
use super::time::Timestamp;

pub const SECRET_PREFIX: &str = "clt_";
const RANDOM_LEN: usize = 30;
const CHECKSUM_LEN: usize = 6;
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    ClientsRead,
    ClientsWrite,
    MattersRead,
    MattersWrite,
    NotesRead,
    NotesWrite,
    LeadsRead,
    LeadsWrite,
    UsersRead,
    /// Keys, users, custom fields, webhooks and firm settings; implies every
    /// other scope, since an admin could mint a key with any of them anyway.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 10] = [
        Scope::ClientsRead,
        Scope::ClientsWrite,
        Scope::MattersRead,
        Scope::MattersWrite,
        Scope::NotesRead,
        Scope::NotesWrite,
        Scope::LeadsRead,
        Scope::LeadsWrite,
        Scope::UsersRead,
        Scope::Admin,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Scope::ClientsRead => "clients:read",
            Scope::ClientsWrite => "clients:write",
            Scope::MattersRead => "matters:read",
            Scope::MattersWrite => "matters:write",
            Scope::NotesRead => "notes:read",
            Scope::NotesWrite => "notes:write",
            Scope::LeadsRead => "leads:read",
            Scope::LeadsWrite => "leads:write",
            Scope::UsersRead => "users:read",
            Scope::Admin => "admin",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| format!("unknown scope `{s}`"))
    }
}

/// A set of scopes, kept sorted and without repeats.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    pub fn new(mut scopes: Vec<Scope>) -> Self {
        scopes.sort();
        scopes.dedup();
        Self(scopes)
    }

    /// Parses a comma- or space-separated list.
    pub fn parse_list(text: &str) -> Result<Self, String> {
        let scopes = text
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(scopes))
    }

    pub fn allows(&self, wanted: Scope) -> bool {
        self.0.iter().any(|s| *s == wanted || *s == Scope::Admin)
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Space-separated, the stored form.
    pub fn to_list(&self) -> String {
        self.0.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }
}

/// An API key's record; never holds the secret itself.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: KeyId,
    pub firm_id: FirmId,
    pub name: Option<String>,
    /// The first characters of the secret, shown in lists so people can tell keys apart.
    pub prefix: String,
    pub secret_hash: SecretHash,
    pub scopes: Scopes,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// The staff user this key acts for, if any.
    pub user_id: Option<UserId>,
    /// Requests a minute this key may make; `None`: the firm's or the server's limit.
    pub rate_limit_per_minute: Option<u32>,
}

impl ApiKey {
    pub fn is_usable_at(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| t > now)
    }
}

/// The SHA-256 of a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash(pub [u8; 32]);

impl SecretHash {
    /// Constant-time equality, so a comparison's duration says nothing about
    /// how much of a guess was right.
    pub fn matches(&self, other: &SecretHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

/// A key's secret, which exists in memory only while a key is created or a
/// request is authenticated.
pub struct Secret(String);

impl Secret {
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let random: String =
            (0..RANDOM_LEN).map(|_| BASE62[rng.random_range(0..BASE62.len())] as char).collect();
        let checksum = checksum(&random);
        Self(format!("{SECRET_PREFIX}{random}{checksum}"))
    }

    /// Accepts a presented secret only if its shape and checksum are right.
    pub fn parse(presented: &str) -> Option<Self> {
        let body = presented.strip_prefix(SECRET_PREFIX)?;
        if body.len() != RANDOM_LEN + CHECKSUM_LEN || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let (random, sum) = body.split_at(RANDOM_LEN);
        (checksum(random) == sum).then(|| Self(presented.to_string()))
    }

    pub fn hash(&self) -> SecretHash {
        SecretHash(Sha256::digest(self.0.as_bytes()).into())
    }

    pub fn display_prefix(&self) -> String {
        self.0[..SECRET_PREFIX.len() + 6].to_string()
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

fn checksum(random: &str) -> String {
    let mut n = crc32fast::hash(random.as_bytes()) as u64;
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}


/// The fields of a new API key.
pub mod contract {
    use crate::domain::contract::{Contract, Field, Kind};

    pub const NAME: Field = Field::new("name", Kind::Text { max: 100 }, "").example("Zapier integration");
    pub const SCOPES: Field = Field::new(
        "scopes",
        Kind::Strings { max_items: 10, max_chars: 20 },
        "Scope names: `clients:read`, `clients:write`, `matters:read`, `matters:write`, `notes:read`, `notes:write`, \
         `leads:read`, `leads:write`, `users:read`, `admin`.",
    );
    pub const EXPIRES_AT: Field = Field::new("expires_at", Kind::Instant, "The key stops working at this instant.");
    pub const USER_ID: Field = Field::new("user_id", Kind::Id { prefix: "usr" }, "A staff user the key acts for; events then name the user.");
    pub const RATE_LIMIT: Field = Field::new(
        "rate_limit_per_minute",
        Kind::Integer { min: 1, max: 1_000_000 },
        "Requests a minute for this key (default: the firm's, else the server's limit).",
    );

    pub const KEY: Contract = Contract {
        name: "ApiKeyCreate",
        doc: "The body of `POST /v1/api-keys`.",
        fields: &[NAME, SCOPES, EXPIRES_AT, USER_ID, RATE_LIMIT],
        required: &["scopes"],
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_parse_and_hash_stably() {
        let secret = Secret::generate();
        assert_eq!(secret.expose().len(), 4 + 30 + 6);
        let again = Secret::parse(secret.expose()).expect("valid");
        assert!(again.hash().matches(&secret.hash()));
    }

    #[test]
    fn a_typo_fails_the_checksum() {
        let secret = Secret::generate();
        let mut chars: Vec<char> = secret.expose().chars().collect();
        chars[10] = if chars[10] == 'a' { 'b' } else { 'a' };
        assert!(Secret::parse(&chars.into_iter().collect::<String>()).is_none());
        assert!(Secret::parse("clt_short").is_none());
        assert!(Secret::parse("ghp_0123456789012345678901234567890123456").is_none());
    }

    #[test]
    fn admin_implies_every_scope_but_write_does_not_imply_read() {
        let admin = Scopes::parse_list("admin").unwrap();
        assert!(Scope::ALL.iter().all(|s| admin.allows(*s)));
        let write = Scopes::parse_list("clients:write").unwrap();
        assert!(!write.allows(Scope::ClientsRead));
        assert!(Scopes::parse_list("clients:delete").is_err());
    }
}
