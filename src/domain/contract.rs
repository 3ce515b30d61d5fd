//! One contract per field: what each writable field of an entity accepts
//! (its name, kind and limits) and how it is documented, declared once.
//!
//! The parsers read their limits from these declarations (`Reader` takes a
//! [`Field`]), the OpenAPI request schemas are built from them
//! (`api::contract`), and each vendor dialect maps its own field names onto
//! them in both directions ([`FieldMap`]), so a validation error on a dialect
//! path names the field as the caller wrote it.

/// What a field holds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// One line of text, at most `max` characters.
    Text { max: usize },
    /// A person's or an organisation's name (`text::name`).
    Name { max: usize },
    /// Text that may span lines.
    Multiline { max: usize },
    Email,
    /// A phone number in any common format.
    Phone,
    /// `YYYY-MM-DD`.
    Date,
    /// An RFC 3339 instant.
    Instant,
    /// One of these values.
    Enum(&'static [&'static str]),
    /// The id of a record, with its prefix (`cli`).
    Id { prefix: &'static str },
    /// One of the firm's client statuses.
    Status,
    Bool,
    Integer { min: i64, max: i64 },
    /// A number, at least `min`.
    Number { min: f64 },
    /// An object of this contract's fields.
    Object(&'static Contract),
    /// A list of objects of this contract's fields.
    Objects { of: &'static Contract, max_items: usize },
    /// Distinct strings.
    Strings { max_items: usize, max_chars: usize },
    /// JSON values under plain keys (custom fields).
    CustomFields { max_keys: usize },
    /// Any JSON value.
    Json,
}

/// Another system's id for a record, unique per firm among live records of
/// its kind (clients, matters).
pub const EXTERNAL_ID: Field = Field::new(
    "external_id",
    Kind::Text { max: 255 },
    "Your own id for the record (another system's), unique per firm; find it with `external_id=`.",
)
.example("crm-000123");

/// One writable field.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    /// What someone writing a request needs to know of it.
    pub doc: &'static str,
    pub example: Option<&'static str>,
}

impl Field {
    pub const fn new(name: &'static str, kind: Kind, doc: &'static str) -> Self {
        Self { name, kind, doc, example: None }
    }

    pub const fn example(self, example: &'static str) -> Self {
        Self { example: Some(example), ..self }
    }

    /// The most characters a text field takes.
    pub fn max_chars(&self) -> usize {
        match self.kind {
            Kind::Text { max } | Kind::Name { max } | Kind::Multiline { max } => max,
            Kind::Strings { max_chars, .. } => max_chars,
            _ => usize::MAX,
        }
    }

    /// The most items a list field takes.
    pub fn max_items(&self) -> usize {
        match self.kind {
            Kind::Objects { max_items, .. } | Kind::Strings { max_items, .. } => max_items,
            _ => usize::MAX,
        }
    }
}

/// Not a field of the record but a condition on the write, sent in the body
/// (`If-Match`'s twin).
pub const VERSION: Field = Field::new(
    "version",
    Kind::Integer { min: 1, max: i64::MAX },
    "Optimistic locking: the write fails with 409 `version_conflict` unless this is the current version.",
);

/// The custom field values of a client, matter or lead.
pub const CUSTOM_FIELDS: Field = Field::new(
    "custom_fields",
    Kind::CustomFields { max_keys: 100 },
    "Up to 100 keys, 16 KiB of JSON; typed by the firm's definitions where they exist.",
);

/// The writable fields of one entity (or of an object inside one).
#[derive(Debug)]
pub struct Contract {
    /// The name of its schema in the OpenAPI document.
    pub name: &'static str,
    pub doc: &'static str,
    pub fields: &'static [Field],
    /// The fields a create must send.
    pub required: &'static [&'static str],
}

impl Contract {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Whether a body may send this field.
    pub fn accepts(&self, name: &str) -> bool {
        self.field(name).is_some()
    }
}

/// How a vendor dialect names canonical fields: pairs of (vendor path,
/// canonical path), dotted for nested fields (`address.zip` is
/// `address.postal_code`). Renames go both ways: a body's vendor names become
/// canonical ones, and a canonical field named in an error becomes the
/// vendor's again. A canonical field several vendor fields map onto (a
/// person's two names from one `name`) is named by the first pair.
#[derive(Debug, Clone, Copy)]
pub struct FieldMap(pub &'static [(&'static str, &'static str)]);

impl FieldMap {
    /// The vendor's name for a canonical field path (`address.postal_code`,
    /// `custom_fields.budget_min`, `other_emails[2].address`): the longest
    /// canonical prefix that the map renames, renamed.
    pub fn vendor_name(&self, canonical: &str) -> String {
        let best = self
            .0
            .iter()
            .filter(|(_, c)| is_prefix(c, canonical))
            .max_by_key(|(_, c)| c.len());
        match best {
            Some((vendor, c)) => format!("{vendor}{}", &canonical[c.len()..]),
            None => canonical.to_string(),
        }
    }

    /// The canonical path of a vendor field, if the map renames it.
    pub fn canonical_name(&self, vendor: &str) -> Option<&'static str> {
        self.0.iter().find(|(v, _)| *v == vendor).map(|(_, c)| *c)
    }

    /// Moves the values a body holds under vendor names to their canonical
    /// places: `zip` to `postal_code` inside `address` for
    /// `("address.zip", "address.postal_code")`, `budget_min` into
    /// `custom_fields` for `("budget_min", "custom_fields.budget_min")`.
    /// Pairs whose vendor field maps to several canonical ones (a name to be
    /// split) are the dialect's to apply.
    pub fn to_canonical(&self, body: &mut serde_json::Map<String, serde_json::Value>) {
        use serde_json::Value;
        for (vendor, canonical) in self.0 {
            if self.0.iter().filter(|(v, _)| v == vendor).count() > 1 {
                continue;
            }
            let (vendor_parent, vendor_key) = split_parent(vendor);
            let Some(value) = (match vendor_parent {
                None => body.remove(vendor_key),
                Some(parent) => body.get_mut(parent).and_then(Value::as_object_mut).and_then(|o| o.remove(vendor_key)),
            }) else {
                continue;
            };
            match split_parent(canonical) {
                (None, key) => {
                    body.insert(key.to_string(), value);
                }
                (Some(parent), key) => {
                    let entry = body.entry(parent).or_insert_with(|| Value::Object(Default::default()));
                    if let Value::Object(object) = entry {
                        object.insert(key.to_string(), value);
                    }
                }
            }
        }
    }
}

/// `a.b` as (`a`, `b`); a plain name has no parent.
fn split_parent(path: &str) -> (Option<&str>, &str) {
    match path.split_once('.') {
        Some((parent, key)) => (Some(parent), key),
        None => (None, path),
    }
}

/// Whether `prefix` is `path` or a dotted or indexed head of it.
fn is_prefix(prefix: &str, path: &str) -> bool {
    path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: FieldMap = FieldMap(&[("zip", "address.postal_code"), ("name", "first_name"), ("name", "last_name"), ("budget_min", "custom_fields.budget_min")]);

    #[test]
    fn vendor_names_follow_the_longest_renamed_prefix() {
        assert_eq!(MAP.vendor_name("address.postal_code"), "zip");
        assert_eq!(MAP.vendor_name("last_name"), "name");
        assert_eq!(MAP.vendor_name("custom_fields.budget_min"), "budget_min");
        assert_eq!(MAP.vendor_name("custom_fields.budget_minimum"), "custom_fields.budget_minimum");
        assert_eq!(MAP.vendor_name("email"), "email");
        assert_eq!(MAP.canonical_name("zip"), Some("address.postal_code"));
    }

    #[test]
    fn renames_move_values_to_their_canonical_places() {
        const NESTED: FieldMap = FieldMap(&[("address.zip", "address.postal_code"), ("budget_min", "custom_fields.budget_min"), ("name", "first_name"), ("name", "last_name")]);
        let mut body = serde_json::json!({"address": {"zip": "78701", "city": "Austin"}, "budget_min": 5, "name": "Ann Lee"});
        NESTED.to_canonical(body.as_object_mut().unwrap());
        assert_eq!(body, serde_json::json!({"address": {"postal_code": "78701", "city": "Austin"}, "custom_fields": {"budget_min": 5}, "name": "Ann Lee"}));
    }
}
