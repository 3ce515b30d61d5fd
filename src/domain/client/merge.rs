//! Merging duplicate clients into one: which value of several wins, and what
//! is united. Pure; the service reads the clients and writes the outcome.

use serde_json::{Map, Value};

use super::{ClientFields, ClientKind, LabeledAddress, LabeledEmail, LabeledPhone};
use crate::domain::ids::ClientId;

/// Whose value wins a field that several of the merged clients have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Prefer {
    /// The target's, then the sources' in the order `from` names them.
    #[default]
    Target,
    /// The most recently updated client's first.
    Newest,
}

impl Prefer {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "target" => Some(Prefer::Target),
            "newest" => Some(Prefer::Newest),
            _ => None,
        }
    }
}

/// The single-valued fields `fields` may pick a winner for (besides
/// `custom_fields.<key>`). `name` is a company's name.
pub const PICKABLE: &[&str] = &[
    "first_name",
    "last_name",
    "name",
    "email",
    "phone",
    "address",
    "date_of_birth",
    "company_id",
    "status",
    "source",
    "notes",
    "external_id",
];

/// Names a person's or a company's name, which only a client of the
/// target's kind can give.
fn is_name(field: &str) -> bool {
    matches!(field, "first_name" | "last_name" | "name")
}

/// One of the clients being merged, as the merge sees it.
pub struct Candidate<'a> {
    pub id: ClientId,
    pub fields: &'a ClientFields,
}

/// Merges `candidates` (in order of preference; the target among them)
/// into the target's kind. `picks` maps a field (or `custom_fields.<key>`)
/// to the client whose value wins it, even a blank one; every other
/// single-valued field takes the first non-blank value in preference order.
/// Primary emails, phones and addresses that don't win stay as other ones;
/// the lists and tags are united, without repeats.
pub fn merge(target: &ClientFields, candidates: &[Candidate<'_>], picks: &[(String, ClientId)]) -> ClientFields {
    let by = Chooser { target_kind: target.kind, candidates, picks };
    let mut out = ClientFields {
        kind: target.kind,
        first_name: by.field("first_name", |f| f.first_name.clone()),
        last_name: by.field("last_name", |f| f.last_name.clone()),
        company_name: by.field("name", |f| f.company_name.clone()).filter(|_| target.kind == ClientKind::Company),
        email: by.field("email", |f| f.email.clone()),
        phone: by.field("phone", |f| f.phone.clone()),
        address: by.field("address", |f| f.address.clone()),
        date_of_birth: by.field("date_of_birth", |f| f.date_of_birth),
        company_id: by.field("company_id", |f| f.company_id),
        status: by.field("status", |f| Some(f.status.clone())).unwrap_or_else(|| target.status.clone()),
        source: by.field("source", |f| f.source.clone()),
        notes: by.field("notes", |f| f.notes.clone()),
        external_id: by.field("external_id", |f| f.external_id.clone()),
        custom_fields: by.custom_fields(),
        ..ClientFields::default()
    };
    unite(&mut out, candidates);
    out
}

struct Chooser<'a> {
    target_kind: ClientKind,
    candidates: &'a [Candidate<'a>],
    picks: &'a [(String, ClientId)],
}

impl<'a> Chooser<'a> {
    fn picked(&self, field: &str) -> Option<&'a Candidate<'a>> {
        let (_, id) = self.picks.iter().find(|(f, _)| f == field)?;
        self.candidates.iter().find(|c| c.id == *id)
    }

    /// The picked client's value, else the first one there is.
    fn field<T>(&self, field: &str, get: impl Fn(&ClientFields) -> Option<T>) -> Option<T> {
        if let Some(c) = self.picked(field) {
            return get(c.fields);
        }
        let pool = self.candidates.iter().filter(|c| !is_name(field) || c.fields.kind == self.target_kind);
        pool.into_iter().find_map(|c| get(c.fields))
    }

    /// Every key any candidate has: the picked client's value, else the
    /// first non-null one in preference order.
    fn custom_fields(&self) -> Map<String, Value> {
        let mut out = Map::new();
        for key in self.candidates.iter().flat_map(|c| c.fields.custom_fields.keys()) {
            if out.contains_key(key) {
                continue;
            }
            let value = self.field(&format!("custom_fields.{key}"), |f| f.custom_fields.get(key).filter(|v| !v.is_null()).cloned());
            if let Some(value) = value {
                out.insert(key.clone(), value);
            }
        }
        out
    }
}

/// Other emails, phones and addresses, and tags, of every candidate (their
/// primaries that didn't win included), once each.
fn unite(out: &mut ClientFields, candidates: &[Candidate<'_>]) {
    for c in candidates {
        let f = c.fields;
        let emails = f.email.iter().map(|e| LabeledEmail { address: e.clone(), label: None }).chain(f.other_emails.iter().cloned());
        for e in emails {
            let taken = out.email.as_ref().is_some_and(|p| p.key() == e.address.key())
                || out.other_emails.iter().any(|o| o.address.key() == e.address.key());
            if !taken {
                out.other_emails.push(e);
            }
        }
        let phones = f.phone.iter().map(|p| LabeledPhone { number: p.clone(), label: None }).chain(f.other_phones.iter().cloned());
        for p in phones {
            let taken = out.phone.as_ref() == Some(&p.number) || out.other_phones.iter().any(|o| o.number == p.number);
            if !taken {
                out.other_phones.push(p);
            }
        }
        let addresses = f.address.iter().map(|a| LabeledAddress { label: None, address: a.clone() }).chain(f.other_addresses.iter().cloned());
        for a in addresses {
            let taken = out.address.as_ref() == Some(&a.address) || out.other_addresses.iter().any(|o| o.address == a.address);
            if !taken {
                out.other_addresses.push(a);
            }
        }
        for tag in &f.tags {
            if !out.tags.contains(tag) {
                out.tags.push(tag.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::email::Email;

    fn person(first: &str, last: &str, email: Option<&str>) -> ClientFields {
        ClientFields {
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            email: email.map(|e| Email::parse(e).unwrap()),
            status: "active".into(),
            ..ClientFields::default()
        }
    }

    #[test]
    fn blanks_are_filled_and_losing_primaries_become_other_emails() {
        let target = ClientFields { email: None, ..person("Ann", "Lee", None) };
        let mut source = person("Anne", "Lee", Some("ann@example.com"));
        source.other_emails.push(LabeledEmail { address: Email::parse("ANN@example.com").unwrap(), label: None });
        source.tags = vec!["vip".into()];
        let (t, s) = (ClientId::generate(), ClientId::generate());
        let merged = merge(&target, &[Candidate { id: t, fields: &target }, Candidate { id: s, fields: &source }], &[]);
        assert_eq!(merged.first_name.as_deref(), Some("Ann"));
        assert_eq!(merged.email.as_ref().map(|e| e.as_str()), Some("ann@example.com"));
        assert!(merged.other_emails.is_empty(), "the same address, in another case, is not repeated");
        assert_eq!(merged.tags, ["vip"]);
        let picked = merge(&target, &[Candidate { id: t, fields: &target }, Candidate { id: s, fields: &source }], &[("first_name".into(), s)]);
        assert_eq!(picked.first_name.as_deref(), Some("Anne"));
    }

    #[test]
    fn a_company_gives_no_name_to_a_person() {
        let target = ClientFields { first_name: None, ..person("x", "Lee", None) };
        let company = ClientFields { kind: ClientKind::Company, company_name: Some("Acme".into()), first_name: None, last_name: None, ..person("", "", None) };
        let merged = merge(&target, &[Candidate { id: ClientId::generate(), fields: &target }, Candidate { id: ClientId::generate(), fields: &company }], &[]);
        assert_eq!(merged.first_name, None);
        assert_eq!(merged.company_name, None);
    }
}
