//! Typed identifiers.
//!
//! Inside, every id is a UUIDv7 (time-ordered, so inserts stay index-friendly).
//! Outside, the canonical API shows it type-prefixed in Crockford base32
//! (`cli_01J…`), so an id pasted into the wrong place is caught by its prefix.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// Why a string is not an id of the expected type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected an id of the form {prefix}_ followed by 26 base32 characters")]
pub struct IdParseError {
    pub prefix: &'static str,
}

/// What every typed id offers, for code generic over record kinds.
pub trait TypedId: Copy + Eq + fmt::Display + fmt::Debug + FromStr<Err = IdParseError> + Send + Sync + 'static {
    const PREFIX: &'static str;
    fn from_uuid(uuid: Uuid) -> Self;
    fn as_uuid(&self) -> Uuid;
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A fresh, time-ordered id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(Uuid::from_bytes(bytes))
            }

            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
        }

        impl TypedId for $name {
            const PREFIX: &'static str = $prefix;

            fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}_{}", $prefix, ulid::Ulid(self.0.as_u128()))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_prefixed(s, $prefix).map(Self).ok_or(IdParseError { prefix: $prefix })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

fn parse_prefixed(s: &str, prefix: &str) -> Option<Uuid> {
    let rest = s.strip_prefix(prefix)?.strip_prefix('_')?;
    // 26 base32 digits hold 130 bits; a leading digit above 7 overflows 128.
    if rest.len() != 26 || !rest.starts_with(|c: char| ('0'..='7').contains(&c)) {
        return None;
    }
    ulid::Ulid::from_string(rest).ok().map(|u| Uuid::from_u128(u.0))
}

typed_id!(
    /// A firm: the tenant every other record belongs to.
    FirmId, "firm");
typed_id!(
    /// An API key (its id, never its secret).
    KeyId, "key");
typed_id!(
    /// A client (person or company).
    ClientId, "cli");
typed_id!(
    /// An audit event.
    EventId, "evt");
typed_id!(
    /// A matter (case, deal) of a client.
    MatterId, "mat");
typed_id!(
    /// A note on a client or a matter.
    NoteId, "note");
typed_id!(
    /// An intake lead.
    LeadId, "lead");
typed_id!(
    /// A staff user.
    UserId, "usr");
typed_id!(
    /// A custom field definition.
    CustomFieldId, "cfd");
typed_id!(
    /// A custom action (a link in a UI that calls back with a nonce).
    CustomActionId, "cact");
typed_id!(
    /// A public intake token (the capability to post leads).
    IntakeTokenId, "itk");
typed_id!(
    /// A single-use custom action nonce.
    NonceId, "non");
typed_id!(
    /// A webhook subscription.
    WebhookId, "wh");
typed_id!(
    /// A signed-in user's session (its id, never its token).
    SessionId, "ses");
typed_id!(
    /// One event sent to one webhook subscription (its `webhook-id`), or a ping.
    DeliveryId, "msg");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        let id = ClientId::generate();
        let text = id.to_string();
        assert!(text.starts_with("cli_"));
        assert_eq!(text.len(), 30);
        assert_eq!(text.parse::<ClientId>().unwrap(), id);
        assert_eq!(text.to_lowercase().parse::<ClientId>().unwrap(), id);
    }

    #[test]
    fn rejects_wrong_prefix_and_garbage() {
        let id = ClientId::generate().to_string();
        assert!(id.replace("cli_", "mat_").parse::<ClientId>().is_err());
        assert!("cli_".parse::<ClientId>().is_err());
        assert!("cli_01".parse::<ClientId>().is_err());
        assert!("cli_ZZZZZZZZZZZZZZZZZZZZZZZZZZ".parse::<ClientId>().is_err());
        assert!("cli_01J00000000000000000000000💥".parse::<ClientId>().is_err());
    }
}
