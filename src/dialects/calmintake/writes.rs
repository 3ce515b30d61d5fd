//! CalmIntake's Create and Update bodies, read into canonical documents: the
//! canonical client fields it has, its address saying `state` and `zip`.

use serde_json::{Map, Value};

use crate::dialects::common::refuse_unknown_in;
use crate::domain::client::contract as canonical;
use crate::domain::contract::{Contract, Field, FieldMap, Kind};
use crate::domain::field::FieldError;
use crate::domain::phone::{Phone, Region};
use crate::service::ServiceError;

const STATE: Field = Field { name: "state", ..canonical::REGION };
const ZIP: Field = Field { name: "zip", ..canonical::POSTAL_CODE };

const ADDRESS: Contract = Contract {
    name: "CalmintakeAddressWrite",
    doc: "A postal address, with `state` and `zip`.",
    fields: &[canonical::LINE1, canonical::LINE2, canonical::CITY, STATE, ZIP, canonical::COUNTRY],
    required: &[],
};

/// The body of Create and Update.
pub(super) const CLIENT: Contract = Contract {
    name: "CalmintakeClientWrite",
    doc: "The body of Create Client (first and last name required) and Update Client (only the fields sent change; \
          `null` clears one).",
    fields: &[
        canonical::FIRST_NAME,
        canonical::LAST_NAME,
        canonical::EMAIL,
        Field { doc: "E.164, or a national number in the firm's default region.", ..canonical::PHONE },
        canonical::DATE_OF_BIRTH,
        Field { kind: Kind::Object(&ADDRESS), ..canonical::ADDRESS },
        canonical::NOTES,
        canonical::CUSTOM_FIELDS,
    ],
    required: &["first_name", "last_name"],
};

/// CalmIntake's names of canonical fields, both ways.
pub(super) const NAMES: FieldMap = FieldMap(&[("address.state", "address.region"), ("address.zip", "address.postal_code")]);

crate::contract_body!(ClientWrite, CLIENT);
crate::contract_body!(ClientPatch, CLIENT, patch);

/// CalmIntake promises E.164, so a phone that can't exist in its country's
/// plan is refused, naming `phone`, where free-text surfaces keep it as
/// written. The client's own current phone is let through unchanged: a
/// read-modify-write of a client whose phone came in through such a surface.
/// (Text that is no phone number at all is left to the canonical rules.)
pub(super) fn require_e164(body: &Map<String, Value>, region: &Region, current: Option<&Phone>) -> Result<(), ServiceError> {
    let Some(Value::String(text)) = body.get(canonical::PHONE.name) else { return Ok(()) };
    let text = text.trim();
    if text.is_empty() || current.is_some_and(|p| p.as_str() == text) {
        return Ok(());
    }
    match Phone::parse_existing(text, region) {
        Err(why) if Phone::parse(text, region).is_ok() => Err(ServiceError::invalid(canonical::PHONE.name, why)),
        _ => Ok(()),
    }
}

/// The canonical document (or merge patch) for a CalmIntake body.
pub(super) fn to_canonical(mut body: Map<String, Value>) -> Result<Map<String, Value>, ServiceError> {
    refuse_unknown_in(&body, &CLIENT)?;
    if let Some(Value::Object(address)) = body.get("address") {
        // Reported on `address` itself: `address.region` would read back as
        // `address.state` through the renaming of canonical field names.
        let unknown: Vec<_> = address
            .keys()
            .filter(|k| !ADDRESS.accepts(k))
            .map(|k| {
                let key: String = k.chars().take(64).collect();
                FieldError::new("address", format!("`{key}` is not a known field (line1, line2, city, state, zip, country)"))
            })
            .collect();
        if !unknown.is_empty() {
            return Err(ServiceError::Invalid(unknown));
        }
    }
    NAMES.to_canonical(&mut body);
    crate::dialects::common::external_id_from_custom_fields(&mut body);
    body.insert("kind".into(), "person".into());
    Ok(body)
}
