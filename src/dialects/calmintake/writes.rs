//! CalmIntake's Create and Update bodies, read into canonical documents.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::api::problem::ApiError;
use crate::dialects::common::refuse_unknown;
use crate::service::ServiceError;

/// The body of Create and Update.
#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeClientWrite)]
#[allow(dead_code)]
pub struct ClientWrite {
    /// Required on create.
    first_name: Option<String>,
    /// Required on create.
    last_name: Option<String>,
    email: Option<String>,
    /// E.164, or a national number in the firm's default region.
    phone: Option<String>,
    /// YYYY-MM-DD.
    date_of_birth: Option<String>,
    /// `line1`, `line2`, `city`, `state`, `zip` (and optionally `country`).
    #[schema(value_type = Object)]
    address: Option<Value>,
    notes: Option<String>,
    #[schema(value_type = Object)]
    custom_fields: Option<Map<String, Value>>,
}

const WRITABLE: &[&str] = &["first_name", "last_name", "email", "phone", "date_of_birth", "address", "notes", "custom_fields"];
const ADDRESS: &[&str] = &["line1", "line2", "city", "state", "zip", "country"];

/// The canonical document (or merge patch) for a CalmIntake body.
pub(super) fn to_canonical(mut body: Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    refuse_unknown(&body, WRITABLE)?;
    if let Some(Value::Object(address)) = body.get_mut("address") {
        // Reported on `address` itself: `address.region` would read back as
        // `address.state` through the renaming of canonical field names.
        let unknown: Vec<_> = address
            .keys()
            .filter(|k| !ADDRESS.contains(&k.as_str()))
            .map(|k| {
                let key: String = k.chars().take(64).collect();
                crate::domain::field::FieldError::new("address", format!("`{key}` is not a known field (line1, line2, city, state, zip, country)"))
            })
            .collect();
        if !unknown.is_empty() {
            return Err(ServiceError::Invalid(unknown).into());
        }
        for (from, to) in [("state", "region"), ("zip", "postal_code")] {
            if let Some(value) = address.remove(from) {
                address.insert(to.into(), value);
            }
        }
    }
    body.insert("kind".into(), "person".into());
    Ok(body)
}
