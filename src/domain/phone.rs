//! Phone numbers, normalised to E.164.

use std::fmt;

/// A phone number in E.164 form (`+15551234567`).
///
/// Parsing is libphonenumber's (national formats, trunk prefixes, `00`/`011`
/// international prefixes, the firm's default region). Acceptance is by length,
/// not by allocation: fictional ranges such as 555 numbers, which the vendor
/// documents use in their examples, must be accepted, so a number is taken when
/// its country code exists and its digits are a plausible length.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Phone(String);

/// E.164 allows at most 15 digits; fewer than 8 (country code included) is
/// never a reachable number anywhere.
const MIN_DIGITS: usize = 8;
const MAX_DIGITS: usize = 15;
const MAX_INPUT: usize = 64;

impl Phone {
    pub fn parse(input: &str, default_region: &Region) -> Result<Self, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        if s.len() > MAX_INPUT {
            return Err(format!("must be at most {MAX_INPUT} characters"));
        }
        if !s.chars().any(|c| c.is_ascii_digit()) {
            return Err("is not a phone number".into());
        }
        let number = phonenumber::parse(Some(default_region.0), s)
            .map_err(|_| "is not a valid phone number".to_string())?;
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        let digits = e164.chars().filter(|c| c.is_ascii_digit()).count();
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
            return Err("is not a valid phone number: wrong number of digits".into());
        }
        Ok(Self(e164))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Just the digits, which is what phone search matches against.
    pub fn digits(&self) -> String {
        self.0.chars().filter(|c| c.is_ascii_digit()).collect()
    }

    /// Rebuilds a value read back from storage, where it was already normalised.
    pub fn from_stored(e164: String) -> Self {
        Self(e164)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Phone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Phone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self(String::deserialize(d)?))
    }
}

/// An ISO 3166-1 region whose national phone formats apply to numbers written
/// without a country code.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Region(phonenumber::country::Id);

impl Region {
    pub fn parse(code: &str) -> Option<Self> {
        code.trim().to_ascii_uppercase().parse().ok().map(Self)
    }

    pub fn code(&self) -> String {
        let id: &str = self.0.as_ref();
        id.to_string()
    }
}

impl Default for Region {
    fn default() -> Self {
        Self(phonenumber::country::Id::US)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(s: &str) -> Result<String, String> {
        Phone::parse(s, &Region::default()).map(|p| p.0)
    }

    #[test]
    fn normalises_common_forms() {
        assert_eq!(us("+15551234567").unwrap(), "+15551234567");
        assert_eq!(us("(661) 555-0142").unwrap(), "+16615550142");
        assert_eq!(us("+1 661 555 0123").unwrap(), "+16615550123");
        assert_eq!(us("1-661-555-0123").unwrap(), "+16615550123");
        assert_eq!(us("+1 555-1234").unwrap(), "+15551234");
        assert_eq!(us("+44 20 7946 0958").unwrap(), "+442079460958");
    }

    #[test]
    fn applies_the_default_region() {
        let gb = Region::parse("gb").unwrap();
        assert_eq!(Phone::parse("020 7946 0958", &gb).unwrap().0, "+442079460958");
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "call me", "12", "+999 1234567", "+1 234567890123456789", "'; DROP TABLE clients;--"] {
            assert!(us(bad).is_err(), "{bad}");
        }
    }
}
