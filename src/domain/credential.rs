//! How staff users sign in: passwords (argon2id), the lockout after repeated
//! failures, and sessions (a random cookie token, kept only as a hash, and
//! the CSRF token derived from it). docs/security.md, "Console sign-in", is the model.

use std::fmt;

use argon2::password_hash::{PasswordHash as Phc, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::api_key::{Scope, Scopes};
use super::ids::{FirmId, SessionId, UserId};
use super::time::Timestamp;
use super::user::Role;

/// Passwords are at least this many characters (NIST SP 800-63B asks for 8
/// at the least; a staff account that reads clients' records merits more).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// And at most this many, so hashing stays bounded.
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Failed sign-ins in a row that lock an account...
pub const MAX_FAILURES: i64 = 5;
/// ...for this long (milliseconds); then it starts over.
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;
/// How long a session lasts from sign-in, however active it is.
pub const SESSION_MS: i64 = 12 * 60 * 60 * 1000;

/// A password as presented: never logged, never kept.
pub struct Password(String);

impl Password {
    /// A new password: only its length is ruled on (no composition rules,
    /// as NIST advises).
    pub fn new(text: &str) -> Result<Self, String> {
        let chars = text.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(format!("must be at least {MIN_PASSWORD_CHARS} characters"));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(format!("must be at most {MAX_PASSWORD_CHARS} characters"));
        }
        Ok(Self(text.to_string()))
    }

    /// A password presented to be checked: any text of a bounded length.
    pub fn presented(text: &str) -> Option<Self> {
        (text.chars().count() <= MAX_PASSWORD_CHARS).then(|| Self(text.to_string()))
    }

    /// Its argon2id hash (the crate's defaults: 19 MiB, 2 passes, as OWASP
    /// recommends), in the PHC string format. Costly: call off the runtime.
    pub fn hash(&self) -> PasswordHash {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
        let phc = Argon2::default().hash_password(self.0.as_bytes(), &salt).expect("argon2 hashes any password");
        PasswordHash(phc.to_string())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// A stored password hash (PHC string).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl PasswordHash {
    /// Whether `password` is the one hashed. Costly: call off the runtime.
    pub fn verify(&self, password: &Password) -> bool {
        Phc::new(&self.0).is_ok_and(|phc| Argon2::default().verify_password(password.0.as_bytes(), &phc).is_ok())
    }

    /// A hash no password matches, verified when there is no user to check
    /// against, so that an unknown email costs what a wrong password does.
    pub fn decoy() -> &'static PasswordHash {
        static DECOY: std::sync::OnceLock<PasswordHash> = std::sync::OnceLock::new();
        DECOY.get_or_init(|| Password("decoy password nobody has".into()).hash())
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// A user's password and sign-in record.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub hash: PasswordHash,
    /// Failed sign-ins since the last success or lockout.
    pub failed_attempts: i64,
    pub locked_until: Option<Timestamp>,
}

impl Credentials {
    pub fn is_locked_at(&self, now: Timestamp) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }

    /// Whether one more failure locks the account.
    pub fn next_failure_locks(&self) -> bool {
        self.failed_attempts + 1 >= MAX_FAILURES
    }
}

/// The scopes a role's sessions have. Members work with the firm's records;
/// owners and admins also manage keys, users, fields and webhooks.
pub fn role_scopes(role: Role) -> Scopes {
    match role {
        Role::Owner | Role::Admin => Scopes::new(vec![Scope::Admin]),
        Role::Member => Scopes::new(vec![
            Scope::ClientsRead,
            Scope::ClientsWrite,
            Scope::MattersRead,
            Scope::MattersWrite,
            Scope::NotesRead,
            Scope::NotesWrite,
            Scope::LeadsRead,
            Scope::LeadsWrite,
            Scope::UsersRead,
        ]),
    }
}

/// A random secret of 32 bytes, shown as unpadded base64url: a session's
/// cookie token or its CSRF token.
pub struct Token(String);

impl Token {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A presented token, if it has a token's shape.
    pub fn parse(presented: &str) -> Option<Self> {
        let ok = presented.len() == 43 && presented.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(presented.to_string()))
    }

    /// What the store keeps: the SHA-256 of the token, in hex. The token has
    /// 256 random bits, so a fast hash is enough.
    pub fn hash(&self) -> TokenHash {
        let digest = Sha256::digest(self.0.as_bytes());
        TokenHash(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The CSRF token of the session this is the token of: derived from the
    /// token, so every tab of the session gets the same one, and nothing
    /// more is kept. A page of another site can't read the cookie, so it
    /// can't derive it either.
    pub fn csrf_token(&self) -> String {
        let digest = Sha256::new().chain_update(b"clientele csrf\n").chain_update(self.0.as_bytes()).finalize();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
    }

    /// Whether `presented` is [`Token::csrf_token`], compared in constant time.
    pub fn csrf_matches(&self, presented: &str) -> bool {
        bool::from(subtle::ConstantTimeEq::ct_eq(presented.trim().as_bytes(), self.csrf_token().as_bytes()))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(pub String);

impl TokenHash {
    /// Compared in constant time.
    pub fn matches(&self, other: &TokenHash) -> bool {
        bool::from(subtle::ConstantTimeEq::ct_eq(self.0.as_bytes(), other.0.as_bytes()))
    }
}

/// A signed-in user's session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: SessionId,
    pub firm_id: FirmId,
    pub user_id: UserId,
    pub token_hash: TokenHash,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl Session {
    pub fn is_live_at(&self, now: Timestamp) -> bool {
        self.expires_at > now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let hash = Password::new("correct horse battery").unwrap().hash();
        assert!(hash.0.starts_with("$argon2id$"));
        assert!(hash.verify(&Password::presented("correct horse battery").unwrap()));
        assert!(!hash.verify(&Password::presented("correct horse batterY").unwrap()));
        assert!(!PasswordHash::decoy().verify(&Password::presented("correct horse battery").unwrap()));
    }

    #[test]
    fn passwords_are_bounded_in_characters() {
        assert!(Password::new("short").is_err());
        assert!(Password::new(&"é".repeat(12)).is_ok());
        assert!(Password::new(&"x".repeat(257)).is_err());
    }

    #[test]
    fn tokens_parse_and_hash_stably() {
        let token = Token::generate();
        let again = Token::parse(token.expose()).unwrap();
        assert!(again.hash().matches(&token.hash()));
        assert!(Token::parse("not a token").is_none());
        assert!(!Token::generate().hash().matches(&token.hash()));
        assert!(token.csrf_matches(&again.csrf_token()));
        assert!(!token.csrf_matches(&Token::generate().csrf_token()));
        assert!(!token.csrf_matches(""));
    }

    #[test]
    fn members_lack_admin() {
        assert!(!role_scopes(Role::Member).allows(Scope::Admin));
        assert!(role_scopes(Role::Member).allows(Scope::ClientsWrite));
        assert!(role_scopes(Role::Owner).allows(Scope::UsersRead));
    }
}
