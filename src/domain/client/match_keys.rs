//! The keys that candidate duplicates share (docs/privacy.md, "Finding
//! duplicates"), computed once per write and kept beside the client by the
//! store, and the trigram similarity that compares names within a block.

use std::collections::{BTreeSet, HashSet};

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use super::ClientFields;

/// What a match key says two clients share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchKind {
    /// The same address in any email field (canonical, case-folded).
    Email,
    /// The same number in any phone field (its digits).
    Phone,
    /// The same normalised name and date of birth.
    NameDob,
    /// A block of clients with the same email domain (not a public mail
    /// provider's) and the same initial, whose names are then compared.
    Domain,
    /// A block with the same phone prefix (all but the last 4 digits) and initial.
    PhonePrefix,
}

impl MatchKind {
    /// In the order the duplicates list walks them.
    pub const ALL: [MatchKind; 5] = [MatchKind::Email, MatchKind::Phone, MatchKind::NameDob, MatchKind::Domain, MatchKind::PhonePrefix];

    pub const fn as_str(self) -> &'static str {
        match self {
            MatchKind::Email => "email",
            MatchKind::Phone => "phone",
            MatchKind::NameDob => "name_dob",
            MatchKind::Domain => "domain",
            MatchKind::PhonePrefix => "phone_prefix",
        }
    }

    /// Whether sharing the key is a candidate by itself, or only makes a
    /// block whose names are compared.
    pub const fn is_exact(self) -> bool {
        matches!(self, MatchKind::Email | MatchKind::Phone | MatchKind::NameDob)
    }
}

/// Domains whose mailboxes belong to unrelated people: sharing one says
/// nothing, and their blocks would be most of the firm.
const PUBLIC_MAIL: &[&str] = &[
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "hotmail.com", "hotmail.co.uk", "outlook.com",
    "live.com", "msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "gmx.com", "gmx.de", "gmx.net", "web.de",
    "proton.me", "protonmail.com", "mail.com", "yandex.ru", "qq.com", "163.com", "orange.fr", "free.fr", "btinternet.com",
    "comcast.net", "verizon.net", "att.net", "example.com", "example.org", "example.net",
];

/// Digits a phone prefix leaves off (the line number within an exchange).
const PREFIX_DROPS: usize = 4;
/// Digits a prefix keeps at least, so that it is more than a country code.
const MIN_PREFIX: usize = 6;

/// A name as duplicates compare it: compatibility-decomposed, without
/// accents and marks, case-folded, letters and digits only, one space
/// between words (`José  O'Brien` is `jose o brien`).
pub fn normalise_name(name: &str) -> String {
    let folded: String = caseless::default_case_fold_str(name);
    let mut out = String::with_capacity(folded.len());
    for c in folded.nfkd() {
        if c.general_category_group() == GeneralCategoryGroup::Mark {
            continue;
        }
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.trim_end().to_string()
}

/// The client's match keys, each once: `(kind, key)`, and its normalised
/// display name (what similarity compares).
pub fn match_keys(f: &ClientFields) -> (String, Vec<(MatchKind, String)>) {
    let name = normalise_name(&f.display_name());
    let mut keys = BTreeSet::new();
    let emails = f.email.iter().chain(f.other_emails.iter().map(|e| &e.address));
    let phones: Vec<String> = f.phone.iter().chain(f.other_phones.iter().map(|p| &p.number)).map(|p| p.digits()).filter(|d| d.len() >= 7).collect();
    // Blocks go by the initial of the name sorted by (a person's last name).
    let sort_name = match &f.last_name {
        Some(last) => normalise_name(last),
        None => name.clone(),
    };
    let initial = sort_name.chars().next();
    for email in emails {
        let key = email.key();
        if let (Some(initial), Some((_, domain))) = (initial, key.rsplit_once('@')) {
            if !PUBLIC_MAIL.contains(&domain) {
                keys.insert((MatchKind::Domain, format!("{domain} {initial}")));
            }
        }
        keys.insert((MatchKind::Email, key));
    }
    for digits in phones {
        if let Some(initial) = initial.filter(|_| digits.len() >= MIN_PREFIX + PREFIX_DROPS) {
            keys.insert((MatchKind::PhonePrefix, format!("{} {initial}", &digits[..digits.len() - PREFIX_DROPS])));
        }
        keys.insert((MatchKind::Phone, digits));
    }
    if let Some(dob) = f.date_of_birth.filter(|_| !name.is_empty()) {
        keys.insert((MatchKind::NameDob, format!("{name} {dob}")));
    }
    (name, keys.into_iter().collect())
}

/// Trigram similarity as PostgreSQL's pg_trgm defines it: each word padded
/// with two spaces before and one after, its 3-character windows, and the
/// shared share of both sets (|A ∩ B| / |A ∪ B|), from 0 to 1.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (ta, tb) = (trigrams(a), trigrams(b));
    if ta.is_empty() || tb.is_empty() {
        return 0.0;
    }
    let shared = ta.intersection(&tb).count();
    shared as f64 / (ta.len() + tb.len() - shared) as f64
}

fn trigrams(s: &str) -> HashSet<[char; 3]> {
    let mut set = HashSet::new();
    for word in s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let padded: Vec<char> = [' ', ' '].into_iter().chain(word.chars().flat_map(char::to_lowercase)).chain([' ']).collect();
        for w in padded.windows(3) {
            set.insert([w[0], w[1], w[2]]);
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise_without_accents_case_or_punctuation() {
        assert_eq!(normalise_name("  José  O'Brien "), "jose o brien");
        assert_eq!(normalise_name("STRAßE"), "strasse");
        assert_eq!(normalise_name("Zoë"), "zoe");
    }

    #[test]
    fn similarity_is_pg_trgms() {
        assert_eq!(similarity("john smith", "john smith"), 1.0);
        // pg_trgm: similarity('jon smith', 'john smith') = 0.6153846
        assert!((similarity("jon smith", "john smith") - 8.0 / 13.0).abs() < 1e-9);
        assert!(similarity("jane smith", "jane smyth") > 0.5);
        assert!(similarity("jane smith", "robert brown") < 0.1);
        assert_eq!(similarity("", "x"), 0.0);
    }
}
