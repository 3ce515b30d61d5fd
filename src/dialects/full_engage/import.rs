//! A client saved from Full Engage's List or Get Client, as a canonical
//! person: `name` split as Create splits it, without what the server owns.

use serde_json::{Map, Value};

use crate::dialects::common::without;
use crate::dialects::import::{problems, Problems};
use crate::domain::client::ClientKind;

use super::views::OWNED;
use super::writes::to_canonical;

pub(crate) fn client(record: Map<String, Value>) -> Result<Map<String, Value>, Problems> {
    let mut doc = to_canonical(without(&record, OWNED), ClientKind::Person).map_err(problems)?;
    doc.insert("kind".into(), "person".into());
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_listed_client_is_a_person_named_as_create_names_one() {
        let saved = json!({"id": "a3f8c1d2-6b4e-4a9f-8d27-95c0e3b1f684", "name": "John Doe", "phone": "+1 555-1234",
            "status": "active", "notes": null, "createdAt": "2026-07-15T14:32:10.000Z", "updatedAt": "2026-07-15T14:32:10.000Z"});
        let doc = client(saved.as_object().unwrap().clone()).unwrap();
        assert_eq!(Value::Object(doc), json!({"first_name": "John", "last_name": "Doe", "phone": "+1 555-1234", "status": "active",
            "notes": null, "kind": "person"}));
    }
}
