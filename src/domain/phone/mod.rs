//! Phone numbers: told apart into numbers that can exist in their country's
//! numbering plan (kept in E.164, with any extension) and numbers that
//! can't (kept exactly as written, marked unverified). Neither is ever
//! turned into a different number.
//!
//! The written forms are read here, not by libphonenumber's parser, which
//! changes some numbers while reading them (`+33 1 23 45 67 89` came out as
//! `+3323456789`, `020 7946 0958` for a US firm as `+102079460958`, a number
//! that looks valid). The `phonenumber` crate is kept only for its tables of
//! regions and country calling codes; the plan rules are `plans`.

mod plans;

use std::fmt;

use phonenumber::metadata::DATABASE;

use super::input::Reader;

/// A phone number as the API keeps it.
///
/// Stored and shown canonically as its text: `+12125550187`, with an
/// extension `+12125550187;ext=12` (RFC 3966's form), or, for a number that
/// can't exist, the text the caller wrote (`+1 555-1234`). Which of the two a
/// stored text is follows from the text itself (see [`Phone::from_stored`]).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Phone {
    text: String,
    verified: bool,
}

/// A number as read from its written form.
struct Reading {
    /// The country calling code and the digits after it, when known.
    number: Option<(u16, String)>,
    extension: Option<String>,
    /// Why the number cannot exist, if it cannot.
    impossible: Option<String>,
}

/// Fewer digits than this are not a phone number in any form people write
/// (the shortest local numbers have 7).
const MIN_DIGITS: usize = 7;
const MAX_INPUT: usize = 64;
const MAX_EXTENSION: usize = 10;
/// How an extension is written, longest first; compared lower-cased.
const EXTENSION_MARKERS: &[&str] = &[";ext=", "extension", "ext.", "ext", "x", "#"];

impl Phone {
    /// Reads any common written form; a number without a country code is
    /// in `region`. A number that can't exist is kept as written, unverified;
    /// only text that is no phone number at all is an error.
    pub fn parse(input: &str, region: &Region) -> Result<Self, String> {
        let text = input.trim();
        let reading = read(text, region)?;
        Ok(match (&reading.number, reading.impossible) {
            (Some((code, nsn)), None) => Self { text: canonical(*code, nsn, reading.extension.as_deref()), verified: true },
            _ => Self { text: text.to_string(), verified: false },
        })
    }

    /// As [`Phone::parse`], but a number that can't exist is an error saying
    /// why: for surfaces that promise E.164.
    pub fn parse_existing(input: &str, region: &Region) -> Result<Self, String> {
        let reading = read(input.trim(), region)?;
        match reading.impossible {
            Some(why) => Err(format!("is not a number that can exist: it {why}")),
            None => Self::parse(input, region),
        }
    }

    /// The canonical text: E.164 (`;ext=` and the extension), or as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the number can exist in its country's plan. An unverified
    /// number is shown exactly as it was written.
    pub fn is_verified(&self) -> bool {
        self.verified
    }

    /// The number in E.164, without its extension, when verified.
    pub fn e164(&self) -> Option<&str> {
        self.verified.then(|| self.text.split(';').next().unwrap_or(&self.text))
    }

    /// The extension of a verified number.
    pub fn extension(&self) -> Option<&str> {
        if !self.verified {
            return None;
        }
        self.text.split_once(";ext=").map(|(_, ext)| ext)
    }

    /// The number as a free-text surface shows it: an unverified number as
    /// written; a verified one in E.164, or in North American national form
    /// (`(661) 555-0142`) when it is a +1 number and `national_in` a +1
    /// region, with its extension after `extension_prefix` (` x89`).
    pub fn shown(&self, national_in: Option<&Region>, extension_prefix: &str) -> String {
        let Some(e164) = self.e164() else { return self.text.clone() };
        let nanp = |r: &Region| r.calling_code() == Some(1) && self.country_code() == Some(1);
        let number = match e164.strip_prefix("+1") {
            Some(n) if national_in.is_some_and(nanp) && n.len() == 10 => format!("({}) {}-{}", &n[..3], &n[3..6], &n[6..]),
            _ => e164.to_string(),
        };
        match self.extension() {
            Some(ext) => format!("{number}{extension_prefix}{ext}"),
            None => number,
        }
    }

    /// The country calling code of a verified number.
    pub fn country_code(&self) -> Option<u16> {
        let digits = self.e164()?.trim_start_matches('+');
        split_country_code(digits).map(|(code, _)| code)
    }

    /// The number's digits (without a verified number's extension), which
    /// is what phone search matches against, for both kinds.
    pub fn digits(&self) -> String {
        self.e164().unwrap_or(&self.text).chars().filter(char::is_ascii_digit).collect()
    }

    /// Rebuilds a value read back from storage. A text in canonical form
    /// whose number can exist is verified; anything else was kept as
    /// written. (So a text stored before numbers were checked, such as
    /// `+15551234`, now reads as unverified, as it should.)
    pub fn from_stored(text: String) -> Self {
        let canonical_form = text.strip_prefix('+').is_some_and(|rest| {
            let (number, extension) = rest.split_once(";ext=").unwrap_or((rest, "1"));
            [number, extension].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        });
        let verified = canonical_form && read(&text, &Region::default()).is_ok_and(|r| r.impossible.is_none());
        Self { text, verified }
    }
}

fn canonical(code: u16, nsn: &str, extension: Option<&str>) -> String {
    match extension {
        Some(ext) => format!("+{code}{nsn};ext={ext}"),
        None => format!("+{code}{nsn}"),
    }
}

/// Reads `text`: its extension, whether it is international, its country
/// code, the digits after it, and whether those can exist.
fn read(text: &str, region: &Region) -> Result<Reading, String> {
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    if text.chars().count() > MAX_INPUT {
        return Err(format!("must be at most {MAX_INPUT} characters"));
    }
    let (main, extension) = split_extension(text);
    let international = main.starts_with('+');
    // `+44 (0)20 …`: the trunk prefix some write in brackets is not dialled.
    let main = if international { main.replacen("(0)", "", 1) } else { main.to_string() };
    let body = main.strip_prefix('+').unwrap_or(&main);
    if !body.chars().all(|c| c.is_ascii_digit() || c.is_whitespace() || "-.()/".contains(c)) {
        return Err("is not a phone number: write digits, spaces and `+ - . ( ) /`, and an extension as `x12` or `ext. 12`".into());
    }
    let digits: String = body.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < MIN_DIGITS {
        return Err(format!("is not a phone number: it has fewer than {MIN_DIGITS} digits"));
    }
    if digits.len() > plans::MAX_DIGITS {
        return Err(format!("is not a phone number: it has more than {} digits", plans::MAX_DIGITS));
    }
    let international_digits = match international {
        true => Some(digits.as_str()),
        false => digits.strip_prefix(region.international_prefix()),
    };
    let number = match international_digits {
        Some(digits) => Some(split_country_code(digits).ok_or("is not a phone number: no country has this calling code")?),
        None => region.national(&digits),
    };
    let impossible = match &number {
        Some((code, nsn)) => plans::check(*code, nsn).err(),
        None => Some("is written without a country code, and the firm's phone region is unknown".into()),
    };
    Ok(Reading { number, extension, impossible })
}

/// `(661) 555-0142 x89` → (`(661) 555-0142`, `89`).
fn split_extension(text: &str) -> (&str, Option<String>) {
    let digits_from = text.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let extension = &text[digits_from..];
    if extension.is_empty() || extension.len() > MAX_EXTENSION {
        return (text, None);
    }
    let before = text[..digits_from].trim_end_matches([' ', '.', ':']);
    let lower = before.to_ascii_lowercase();
    for marker in EXTENSION_MARKERS {
        if lower.ends_with(marker) {
            let main = before[..before.len() - marker.len()].trim_end();
            // `x` alone must follow the number, not be a letter of a word.
            if !main.is_empty() && main.ends_with(|c: char| c.is_ascii_digit() || c == ' ' || c == ')') {
                return (main, Some(extension.to_string()));
            }
        }
    }
    (text, None)
}

/// `442079460958` → (44, `2079460958`): country codes are prefix-free, so
/// the first of one to three digits that names a country is the one.
fn split_country_code(digits: &str) -> Option<(u16, String)> {
    (1..=3.min(digits.len())).find_map(|n| {
        let code: u16 = digits[..n].parse().ok()?;
        DATABASE.by_code(&code).map(|_| (code, digits[n..].to_string()))
    })
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for Phone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Phone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::from_stored(String::deserialize(d)?))
    }
}

/// `phone_verified` (an item's `verified`) is what the server found about the
/// number, as the views show it. A document may carry it back (a
/// read-modify-write, an export imported) when it agrees with the number in
/// the same document; otherwise it is refused, as read-only.
pub fn read_verified(r: &mut Reader<'_>, name: &'static str, phone_field: &str, phone: Option<&Phone>) {
    let Some(sent) = r.bool(name) else { return };
    if r.has_error(phone_field) {
        return;
    }
    match phone.map(Phone::is_verified) {
        Some(found) if found == sent => {}
        Some(found) => r.error_at(name, format!("is read-only: this number is {}", if found { "verified" } else { "unverified" })),
        None => r.error_at(name, format!("is read-only: there is no `{phone_field}`")),
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

    /// The region's country calling code (1 for the US and Canada).
    pub fn calling_code(&self) -> Option<u16> {
        DATABASE.by_id(self.code().as_str()).map(|m| m.country_code())
    }

    fn international_prefix(&self) -> &'static str {
        self.calling_code().and_then(plans::plan).map_or("00", |p| p.international_prefix)
    }

    /// A national number's country code and digits after it: the trunk
    /// prefix dropped (for NANP, a leading 1 only before ten more digits).
    fn national(&self, digits: &str) -> Option<(u16, String)> {
        let code = self.calling_code()?;
        let trunk = match plans::plan(code) {
            Some(plan) => plan.trunk_prefix.map(str::to_string),
            None => DATABASE.by_id(self.code().as_str()).and_then(|m| m.national_prefix()).map(str::to_string),
        };
        let nsn = match trunk.as_deref() {
            Some("1") if code == 1 => digits.strip_prefix('1').filter(|rest| rest.len() == 10).unwrap_or(digits),
            Some(trunk) if !trunk.is_empty() => digits.strip_prefix(trunk).unwrap_or(digits),
            _ => digits,
        };
        Some((code, nsn.to_string()))
    }
}

impl Default for Region {
    fn default() -> Self {
        Self(phonenumber::country::Id::US)
    }
}

#[cfg(test)]
mod tests;
