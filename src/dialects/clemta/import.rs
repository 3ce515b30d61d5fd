//! A contact saved from Clemta's Get or List Contacts, as a canonical
//! person: its body read as Create reads one, without what the server owns
//! and without the company, which Clemta's answers don't show.

use serde_json::{Map, Value};

use crate::dialects::common::without;
use crate::dialects::import::Problems;

use super::writes::{read_contact, Body};

const OWNED: &[&str] = &["id", "created_at", "updated_at"];

pub(crate) fn contact(record: Map<String, Value>) -> Result<Map<String, Value>, Problems> {
    let (doc, errors) = read_contact(&without(&record, OWNED), Body::Shown);
    if errors.is_empty() { Ok(doc) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_shown_contact_keeps_its_type_copies_and_billing() {
        let saved = json!({"id": "0190f3a2-5b7c-7d8e-9f01-23456789abcd", "created_at": 1640995200, "updated_at": 1640995200,
            "type": "vendor", "status": "active", "full_name": "Ada Lovelace", "email": null, "description": "Supplier",
            "cc_emails": ["a@example.com"], "bcc_emails": [], "billing": {"tax_id": "GB123"}});
        let doc = contact(saved.as_object().unwrap().clone()).unwrap();
        assert_eq!((doc["first_name"].as_str(), doc["last_name"].as_str(), doc["notes"].as_str()), (Some("Ada"), Some("Lovelace"), Some("Supplier")));
        assert_eq!(doc["custom_fields"], json!({"contact_type": "vendor", "cc_emails": ["a@example.com"], "bcc_emails": [], "billing": {"tax_id": "GB123"}}));
        assert!(doc.get("company_id").is_none());
        let unnamed = contact(json!({"type": "customer"}).as_object().unwrap().clone()).unwrap_err();
        assert_eq!(unnamed[0].field, "full_name");
    }
}
