//! A client saved from ActuallyCare's List or Get client, as a canonical
//! document: its body as Update (PUT) reads it, without what the server
//! owns. A company (made through another surface) shows only
//! `company_name`, and comes back a company.

use serde_json::{Map, Value};

use crate::dialects::common::without;
use crate::dialects::import::{problems, Problems};

use super::views::READ_ONLY;
use super::writes::{to_canonical, Write};

pub(crate) fn client(record: Map<String, Value>) -> Result<Map<String, Value>, Problems> {
    let company = record.get("company_name").and_then(Value::as_str).filter(|s| !s.trim().is_empty()).map(str::to_string);
    let mut body = without(&record, READ_ONLY);
    // The version is the vendor's count of its own changes; a client made
    // elsewhere shows no `client_type`, which Update would refuse to clear.
    body.remove("version");
    body.retain(|_, v| !v.is_null());
    let mut doc = to_canonical(body, Write::Update).map_err(problems)?;
    let named = |key: &str| doc.get(key).is_some_and(|v| !v.is_null());
    match company {
        Some(name) if !named("first_name") && !named("last_name") => {
            doc.insert("kind".into(), "company".into());
            doc.insert("name".into(), name.into());
        }
        _ => {
            doc.insert("kind".into(), "person".into());
        }
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_seeds_listed_client_keeps_its_real_estate_fields_in_custom_fields() {
        let saved = json!({"id": "a3f8c1d2-6b4e-4a9f-8d27-95c0e3b1f684", "first_name": "Michael", "last_name": "Torres",
            "email": "michael.torres@gmail.com", "phone": "(661) 555-0142", "client_type": "buyer", "status": "active",
            "source": "Zillow", "budget_min": 350000, "budget_max": 475000, "preferred_locations": [], "property_preferences": {},
            "tags": [], "custom_fields": {}, "version": 3, "created_at": "2026-07-01T22:49:27.331Z", "updated_at": "2026-07-01T22:49:27.331Z"});
        let doc = client(saved.as_object().unwrap().clone()).unwrap();
        assert_eq!(doc["custom_fields"]["client_type"], "buyer");
        assert_eq!(doc["custom_fields"]["budget_max"], 475000);
        assert_eq!(doc["custom_fields"]["preferred_locations"], Value::Null, "an empty list is an unset one");
        assert_eq!(doc["source"], "Zillow");
        assert_eq!(doc["kind"], "person");
        assert!(doc.get("version").is_none() && doc.get("id").is_none());
    }

    #[test]
    fn a_company_shown_by_its_name_comes_back_a_company() {
        let saved = json!({"id": "a3f8c1d2-6b4e-4a9f-8d27-95c0e3b1f684", "first_name": null, "last_name": null,
            "company_name": "Acme Realty", "status": "active", "client_type": null});
        let doc = client(saved.as_object().unwrap().clone()).unwrap();
        assert_eq!((doc["kind"].as_str(), doc["name"].as_str()), (Some("company"), Some("Acme Realty")));
    }
}
