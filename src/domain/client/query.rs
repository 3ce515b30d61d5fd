//! What a list of clients asks for, independent of how it arrives (canonical
//! query string, a dialect's parameters) and of how a store answers it.

use super::ClientKind;
use crate::domain::ids::ClientId;
use crate::domain::text;
use crate::domain::time::Timestamp;

#[derive(Debug, Clone, Default)]
pub struct ClientFilter {
    /// Any of these statuses.
    pub statuses: Vec<String>,
    /// All of these tags.
    pub tags: Vec<String>,
    pub kind: Option<ClientKind>,
    pub company_id: Option<ClientId>,
    pub created_since: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
    pub updated_since: Option<Timestamp>,
    pub updated_before: Option<Timestamp>,
    /// Any of these ids.
    pub ids: Vec<ClientId>,
    /// Any of these per-table integer ids (integer-id dialects).
    pub seqs: Vec<i64>,
    /// Any of these external ids.
    pub external_ids: Vec<String>,
    /// Any of these primary emails, in their canonical form (`Email::key`).
    pub email_keys: Vec<String>,
    pub search: Option<SearchTerm>,
    /// Custom fields that must equal these values (`cf.<key>=value`), as the
    /// request gave them; the service types them by their definitions.
    pub custom: Vec<(String, String)>,
    /// `custom`, typed: each key must hold exactly this JSON value.
    pub custom_values: Vec<(String, serde_json::Value)>,
    /// Merged tombstones instead of live clients (to say where an integer
    /// id went, or what an erasure reaches; never a list a caller asks for).
    pub merged: bool,
    /// With `merged`: only the tombstones merged into any of these.
    pub merged_into: Vec<ClientId>,
}

impl ClientFilter {
    /// Whether this asks for the live clients holding a search term, and
    /// nothing else narrows them.
    pub fn is_search_alone(&self) -> bool {
        // Every field named, so a new one can't be forgotten here.
        let ClientFilter {
            statuses,
            tags,
            kind,
            company_id,
            created_since,
            created_before,
            updated_since,
            updated_before,
            ids,
            seqs,
            external_ids,
            email_keys,
            search,
            custom,
            custom_values,
            merged,
            merged_into,
        } = self;
        let lists_empty = statuses.is_empty() && tags.is_empty() && ids.is_empty() && seqs.is_empty();
        let keys_empty = external_ids.is_empty() && email_keys.is_empty() && custom.is_empty() && custom_values.is_empty();
        let unbounded = [created_since, created_before, updated_since, updated_before].iter().all(|t| t.is_none());
        search.is_some() && lists_empty && keys_empty && unbounded && kind.is_none() && company_id.is_none() && !merged && merged_into.is_empty()
    }
}

/// A case-insensitive substring to find in a client's name or email, or, when
/// the query looks like a phone number, digits to find in the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerm(String);

/// Shortest term a trigram index can answer; shorter ones are scanned.
pub const INDEXED_TERM_CHARS: usize = 3;

impl SearchTerm {
    pub fn new(query: &str) -> Option<Self> {
        let query = query.trim();
        let phone_like = query.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let digits: String = query.chars().filter(char::is_ascii_digit).collect();
        let term = if phone_like && !digits.is_empty() { digits } else { text::fold(query) };
        (!term.is_empty()).then_some(Self(term))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_indexable(&self) -> bool {
        self.0.chars().count() >= INDEXED_TERM_CHARS
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    UpdatedAt,
    LastName,
    Name,
    /// Offset-paged dialects only (no index backs these orders).
    Phone,
    Status,
}

impl SortField {
    pub fn as_str(&self) -> &'static str {
        match self {
            SortField::CreatedAt => "created_at",
            SortField::UpdatedAt => "updated_at",
            SortField::LastName => "last_name",
            SortField::Name => "name",
            SortField::Phone => "phone",
            SortField::Status => "status",
        }
    }

    /// Whether the sort key is an instant (else it is text).
    pub fn is_instant(&self) -> bool {
        matches!(self, SortField::CreatedAt | SortField::UpdatedAt)
    }

    /// The canonical API's sort fields (each backed by an index).
    pub const CANONICAL: [SortField; 4] = [SortField::CreatedAt, SortField::UpdatedAt, SortField::LastName, SortField::Name];

    pub fn parse(s: &str) -> Option<Self> {
        Self::CANONICAL.into_iter().find(|f| f.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientSort {
    pub field: SortField,
    pub descending: bool,
}

impl Default for ClientSort {
    /// Newest first.
    fn default() -> Self {
        Self { field: SortField::CreatedAt, descending: true }
    }
}

impl ClientSort {
    /// `created_at`, `-created_at`, `last_name`, …
    pub fn parse(s: &str) -> Option<Self> {
        let (descending, name) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        SortField::parse(name).map(|field| Self { field, descending })
    }

    pub fn to_param(&self) -> String {
        format!("{}{}", if self.descending { "-" } else { "" }, self.field.as_str())
    }
}

/// The sort key of one record: where a keyset page starts after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortValue {
    Millis(i64),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub value: SortValue,
    pub id: ClientId,
}

impl super::Client {
    /// This record's position under `sort`, for the next page's cursor.
    pub fn position(&self, sort: &ClientSort) -> Position {
        let value = match sort.field {
            SortField::CreatedAt => SortValue::Millis(self.created_at.millis()),
            SortField::UpdatedAt => SortValue::Millis(self.updated_at.millis()),
            SortField::LastName => SortValue::Text(self.fields.last_name_key()),
            SortField::Name => SortValue::Text(self.fields.name_key()),
            SortField::Phone => SortValue::Text(self.fields.phone.as_ref().map(|p| p.as_str().to_string()).unwrap_or_default()),
            SortField::Status => SortValue::Text(self.fields.status.clone()),
        };
        Position { value, id: self.id }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ClientQuery {
    pub filter: ClientFilter,
    pub sort: ClientSort,
    /// Start after this record (keyset pagination).
    pub after: Option<Position>,
    /// Skip this many (offset pagination, for dialects that page by number).
    pub offset: u64,
    pub limit: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_like_queries_search_digits() {
        assert_eq!(SearchTerm::new("(555) 123").unwrap().as_str(), "555123");
        assert_eq!(SearchTerm::new("  JOHN ").unwrap().as_str(), "john");
        assert_eq!(SearchTerm::new("john5").unwrap().as_str(), "john5");
        assert!(SearchTerm::new("   ").is_none());
        assert!(SearchTerm::new("()").is_some());
    }

    #[test]
    fn sort_parses_direction() {
        assert_eq!(ClientSort::parse("-name"), Some(ClientSort { field: SortField::Name, descending: true }));
        assert!(ClientSort::parse("email").is_none());
    }
}
