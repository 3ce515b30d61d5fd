//! A client saved from CalmIntake's List or Get Client, as a canonical
//! document: its body as Update reads it, without what the server owns.

use serde_json::{Map, Value};

use crate::dialects::common::without;
use crate::dialects::import::{problems, Problems};

use super::views::READ_ONLY;
use super::writes::to_canonical;

pub(crate) fn client(record: Map<String, Value>) -> Result<Map<String, Value>, Problems> {
    to_canonical(without(&record, READ_ONLY)).map_err(problems)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_seeds_get_client_reads_into_its_canonical_fields() {
        let saved = json!({
            "id": "cli_01HABC", "first_name": "David", "last_name": "Johnson", "email": "david.johnson@example.com",
            "phone": "+15551234567", "date_of_birth": "1985-06-15",
            "address": {"line1": "123 Main St", "line2": "Apt 4B", "city": "Austin", "state": "TX", "zip": "78701"},
            "notes": "Referred by Martinez Law", "custom_fields": {"referral_source": "existing_client"},
            "matters": [{"id": "mat_01HXYZ", "title": "Johnson v. Smith"}], "matters_count": 1,
            "created_at": "2024-03-07T14:00:00Z", "updated_at": "2024-03-07T15:30:00Z"
        });
        let doc = client(saved.as_object().unwrap().clone()).unwrap();
        assert_eq!(doc["address"], json!({"line1": "123 Main St", "line2": "Apt 4B", "city": "Austin", "region": "TX", "postal_code": "78701"}));
        assert_eq!(doc["kind"], "person");
        assert!(doc.get("matters_count").is_none() && doc.get("created_at").is_none());
    }
}
