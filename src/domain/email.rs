//! Email addresses.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use super::text;

/// A syntactically valid email address, as the client wrote it (trimmed):
/// that is what is stored and shown back. Uniqueness compares
/// [`Email::key`], its canonical form (see there).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Email(String);

const MAX_LEN: usize = 254;
const MAX_LOCAL: usize = 64;
const LOCAL_SPECIALS: &str = ".!#$%&'*+/=?^_`{|}~-";

impl Email {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        if s.len() > MAX_LEN {
            return Err(format!("must be at most {MAX_LEN} bytes"));
        }
        let (local, domain) = s.rsplit_once('@').ok_or("is not a valid email address: missing @")?;
        if !valid_local(local) {
            return Err("is not a valid email address: bad local part".into());
        }
        if !valid_domain(domain) {
            return Err("is not a valid email address: bad domain".into());
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The canonical form two addresses are compared in: two with the same
    /// key are the same mailbox for Clientele's purposes (uniqueness per
    /// firm). The local part is NFKC-normalised, fully case-folded (so `ß`
    /// is `ss`, `ſ` is `s`) and normalised again (Unicode's NFKC_Casefold
    /// closure: `ｆｕｌｌ` is `full`); the domain is in its IDNA ASCII form
    /// (`bücher.example` is `xn--bcher-kva.example`). A domain IDNA refuses
    /// is compared lower-cased.
    pub fn key(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or(("", &self.0));
        let local: String = caseless::default_case_fold_str(&local.nfkc().collect::<String>()).nfkc().collect();
        let domain = idna::domain_to_ascii(domain).unwrap_or_else(|_| text::fold(domain));
        format!("{local}@{domain}")
    }

    /// The address as search compares it (case-insensitively, as written).
    pub fn folded(&self) -> String {
        text::fold(&self.0)
    }
}

fn valid_local(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= MAX_LOCAL
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_alphanumeric() || LOCAL_SPECIALS.contains(c))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.chars().count() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && !labels.last().is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Email {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in ["david.johnson@example.com", "a+tag@sub.example.co.uk", "josé@exämple.de", "O'Brien@x.io"] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in ["", "plain", "@example.com", "a@", "a@b", "a..b@x.com", "a@-x.com", "a b@x.com", "a@x.123", "<a>@x.com", "a@x..com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_is_case_insensitive() {
        assert_eq!(Email::parse("A@Example.COM").unwrap().key(), "a@example.com");
    }

    #[test]
    fn key_folds_unicode_lookalikes_to_one_mailbox() {
        let key = |s: &str| Email::parse(s).unwrap().key();
        assert_eq!(key("ｆｕｌｌ@example.com"), key("full@example.com"), "full-width");
        assert_eq!(key("ſam@example.com"), key("sam@example.com"), "long s");
        assert_eq!(key("STRASSE@example.com"), key("straße@example.com"), "sharp s");
        assert_eq!(key("ann@bücher.example"), key("ann@xn--bcher-kva.example"), "IDNA");
        assert_eq!(key("ann@BÜCHER.example"), key("ann@xn--bcher-kva.example"), "IDNA folds case");
        assert_eq!(key("ann@ｅｘａｍｐｌｅ.com"), key("ann@example.com"), "full-width domain");
        assert_ne!(key("ann@example.com"), key("anne@example.com"));
    }

    #[test]
    fn the_address_is_kept_as_written() {
        assert_eq!(Email::parse(" Straße@Bücher.example ").unwrap().as_str(), "Straße@Bücher.example");
    }
}
