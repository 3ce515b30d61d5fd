//! `fields=` (sparse fieldsets) and `expand=` on reads.

use serde::Serialize;
use serde_json::Value;

use crate::api::extract::ParamReader;

/// Which fields of a record to return; `None` means all.
#[derive(Debug, Clone, Default)]
pub struct Fields(Option<Vec<String>>);

impl Fields {
    /// Reads `fields=a,b` against the fields a record has; unknown names are
    /// errors. `id` is always returned.
    pub fn parse(p: &mut ParamReader<'_>, known: &[&str]) -> Self {
        if !p.is_present("fields") {
            p.list("fields");
            return Fields(None);
        }
        let mut chosen = vec!["id".to_string()];
        for name in p.list("fields") {
            if !known.contains(&name) {
                p.error("fields", format!("`{}` is not a field; choose from: {}", name.chars().take(40).collect::<String>(), known.join(", ")));
            } else if !chosen.iter().any(|c| c == name) {
                chosen.push(name.to_string());
            }
        }
        Fields(Some(chosen))
    }

    /// The record as JSON with only the chosen fields.
    pub fn render(&self, record: &impl Serialize) -> Value {
        let mut value = serde_json::to_value(record).unwrap_or(Value::Null);
        if let (Some(chosen), Value::Object(map)) = (&self.0, &mut value) {
            map.retain(|k, _| chosen.iter().any(|c| c == k));
        }
        value
    }

    /// Whether every field is returned (no `fields=`).
    pub fn is_all(&self) -> bool {
        self.0.is_none()
    }

    pub fn includes(&self, field: &str) -> bool {
        self.0.as_ref().is_none_or(|chosen| chosen.iter().any(|c| c == field))
    }
}

pub const CLIENT_FIELDS: &[&str] = &[
    "id", "kind", "name", "first_name", "last_name", "email", "phone", "phone_verified", "address", "other_emails", "other_phones",
    "other_addresses", "date_of_birth", "company_id", "status", "tags", "source", "notes", "external_id", "custom_fields",
    "matters_count", "version", "created_at", "updated_at", "matters",
];

pub const MATTER_FIELDS: &[&str] = &[
    "id", "client_id", "title", "description", "status", "practice_area", "projected_value", "location", "hired_date",
    "primary_contact_id", "lead_id", "external_id", "custom_fields", "version", "created_at", "updated_at",
];
