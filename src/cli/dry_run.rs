//! `import --dry-run`: each row checked as the server would check it, with
//! nothing written.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::source::Kind;
use crate::domain::custom_field::{self, CustomFieldFields};
use crate::domain::email::Email;
use crate::domain::firm::FirmSettings;

/// A dry run's checks of a row: the server's own document rules, with the
/// firm's settings and custom field definitions, and no two creates in the
/// file with the same email or external id. Not checked: uniqueness against
/// stored records, and that referenced records exist.
pub(super) struct Checker {
    kind: Kind,
    /// Upserts are merge patches of records not known here: only their
    /// match field is checked.
    upsert: bool,
    settings: FirmSettings,
    definitions: Vec<CustomFieldFields>,
    emails: HashMap<String, u64>,
    external_ids: HashMap<String, u64>,
}

impl Checker {
    pub(super) fn new(kind: Kind, upsert: bool, firm: &Value, definitions: Vec<CustomFieldFields>) -> Self {
        let mut settings = FirmSettings::default();
        if let Some(region) = firm["default_phone_region"].as_str() {
            settings.default_phone_region = region.to_string();
        }
        if let Some(statuses) = firm["client_statuses"].as_array() {
            settings.client_statuses = statuses.iter().filter_map(Value::as_str).map(str::to_string).collect();
        }
        Self { kind, upsert, settings, definitions, emails: HashMap::new(), external_ids: HashMap::new() }
    }

    pub(super) fn check(&mut self, row: u64, data: &Map<String, Value>) -> Vec<(String, String)> {
        if self.upsert {
            return Vec::new();
        }
        let parsed = match self.kind {
            Kind::Clients => crate::domain::client::parse_document(data, &self.settings).map(|f| f.custom_fields),
            Kind::Matters => crate::domain::matter::parse_matter(data, None).map(|f| f.custom_fields),
        };
        let errors = match parsed {
            Ok(mut custom) => {
                custom_field::normalize(&self.definitions, &mut custom);
                custom_field::validate(&self.definitions, &custom)
            }
            Err(errors) => errors,
        };
        let mut errors: Vec<(String, String)> = errors.into_iter().map(|e| (e.field, e.message)).collect();
        if !errors.is_empty() {
            return errors;
        }
        // Both unique per firm: a second create in the file would be refused.
        let email = data.get("email").and_then(Value::as_str).and_then(|e| Email::parse(e).ok()).map(|e| e.key());
        let external_id = data.get("external_id").and_then(Value::as_str).map(|x| x.trim().to_string()).filter(|x| !x.is_empty());
        if let Some(first) = email.as_ref().and_then(|key| self.emails.get(key)) {
            errors.push(("email".into(), format!("is also row {first}'s: it would be refused as a duplicate_email")));
        }
        if let Some(first) = external_id.as_ref().and_then(|x| self.external_ids.get(x)) {
            errors.push(("external_id".into(), format!("is also row {first}'s: it would be refused as a duplicate_external_id")));
        }
        if errors.is_empty() {
            if let Some(key) = email {
                self.emails.insert(key, row);
            }
            if let Some(x) = external_id {
                self.external_ids.insert(x, row);
            }
        }
        errors
    }
}
