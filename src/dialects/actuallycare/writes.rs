//! ActuallyCare's create and update bodies, read into canonical documents: the real-estate fields live in `custom_fields`.

use serde_json::{Map, Value};

use crate::dialects::common::refuse_unknown_in;
use crate::domain::client::contract as canonical;
use crate::domain::client::parse_document;
use crate::domain::contract::{Contract, Field, FieldMap, Kind};
use crate::domain::field::FieldError;
use crate::domain::firm::FirmSettings;
use crate::service::ServiceError;

use super::Check;
use super::views::{ClientType, strings};

/// ActuallyCare's fields that the canonical model lacks: kept in
/// `custom_fields` under these keys and shown top-level.
pub(super) const VENDOR_ONLY: &[&str] = &[
    "client_type",
    "budget_min",
    "budget_max",
    "preferred_locations",
    "property_preferences",
    "pre_approved",
    "pre_approval_amount",
    "user_id",
];

/// ActuallyCare's names of canonical fields, both ways: its own fields are
/// custom fields of the same key.
pub(super) const NAMES: FieldMap = FieldMap(&[
    ("client_type", "custom_fields.client_type"),
    ("budget_min", "custom_fields.budget_min"),
    ("budget_max", "custom_fields.budget_max"),
    ("preferred_locations", "custom_fields.preferred_locations"),
    ("property_preferences", "custom_fields.property_preferences"),
    ("pre_approved", "custom_fields.pre_approved"),
    ("pre_approval_amount", "custom_fields.pre_approval_amount"),
    ("user_id", "custom_fields.user_id"),
]);

const PREFERENCE_MINIMUMS: &[&str] = &["bedrooms_min", "bathrooms_min", "square_feet_min"];

const AMOUNT: Kind = Kind::Number { min: 0.0 };
const CLIENT_TYPE: Field = Field::new("client_type", Kind::Enum(&["buyer", "seller", "both"]), "Required on create; can be changed, not cleared.");
const PHONE: Field = Field {
    doc: "Any common format; a number without country code is in the firm's region.",
    example: Some("(661) 555-0142"),
    ..canonical::PHONE
};
const STATUS: Field = Field { doc: "`active` (the default), `inactive` or `closed`; not `null`.", ..canonical::STATUS };
const TAGS: Field = Field { doc: "Replaces the client's tags.", ..canonical::TAGS };
const CUSTOM_FIELDS: Field = Field { doc: "Other custom fields, merged key by key (a key set to `null` is removed).", ..canonical::CUSTOM_FIELDS };

const PREFERENCES: Contract = Contract {
    name: "ActuallycarePropertyPreferencesWrite",
    doc: "What the client looks for; merged key by key.",
    fields: &[
        Field::new("bedrooms_min", AMOUNT, ""),
        Field::new("bathrooms_min", AMOUNT, ""),
        Field::new("square_feet_min", AMOUNT, ""),
        Field::new("property_types", Kind::Strings { max_items: 20, max_chars: 100 }, ""),
    ],
    required: &[],
};

/// The fields of Create and Update, and those only one of them takes.
macro_rules! fields {
    ($($more:expr),*) => {
        &[
            canonical::FIRST_NAME,
            canonical::LAST_NAME,
            canonical::EMAIL,
            PHONE,
            CLIENT_TYPE,
            STATUS,
            canonical::SOURCE,
            Field::new("budget_min", AMOUNT, ""),
            Field::new("budget_max", AMOUNT, ""),
            Field::new("preferred_locations", Kind::Strings { max_items: 50, max_chars: 200 }, ""),
            Field::new("property_preferences", Kind::Object(&PREFERENCES), ""),
            Field::new("pre_approved", Kind::Bool, ""),
            Field::new("pre_approval_amount", AMOUNT, ""),
            canonical::NOTES,
            TAGS,
            Field::new("user_id", Kind::Text { max: 64 }, "Any UUID (the agent responsible)."),
            CUSTOM_FIELDS,
            $($more),*
        ]
    };
}

/// The body of Create.
pub(super) const CREATE: Contract = Contract {
    name: "ActuallycareClientCreate",
    doc: "The body of Create new client.",
    fields: fields!(),
    required: &["first_name", "last_name", "client_type"],
};

/// The body of Update (PUT).
pub(super) const UPDATE: Contract = Contract {
    name: "ActuallycareClientUpdate",
    doc: "The body of Update client: only the fields sent change (`null` clears one); with `version`, only if it is \
          still the client's current version (409 `CONFLICT` if not).",
    fields: fields!(canonical::VERSION),
    required: &[],
};

crate::contract_body!(ClientCreate, CREATE);
crate::contract_body!(ClientUpdate, UPDATE);

/// What a body is for: a new client (of a firm with these settings) or a
/// merge patch of one.
#[derive(Clone, Copy)]
pub(super) enum Write<'a> {
    Create(&'a FirmSettings),
    Update,
}

/// The canonical document (or merge patch) for an ActuallyCare body: its own
/// fields checked and moved into `custom_fields`, the rest as they are.
pub(super) fn to_canonical(mut body: Map<String, Value>, write: Write<'_>) -> Result<Map<String, Value>, ServiceError> {
    let creating = matches!(write, Write::Create(_));
    refuse_unknown_in(&body, &CREATE)?;
    // A client always has a status: null would silently reset it to the default.
    if body.get("status").is_some_and(Value::is_null) {
        return Err(ServiceError::invalid("status", "must be a status (active, inactive or closed), not null"));
    }
    let mut custom = match body.remove("custom_fields") {
        None => Map::new(),
        Some(Value::Null) if creating => Map::new(),
        Some(Value::Object(custom)) => custom,
        Some(_) => return Err(ServiceError::invalid("custom_fields", "must be an object (set a key to null to remove it)")),
    };
    for key in VENDOR_ONLY {
        if let Some(value) = body.remove(*key) {
            custom.insert((*key).to_string(), value);
        }
    }
    unset_empty(&mut custom);
    // ActuallyCare's document requires a first name, as the canonical model doesn't.
    let mut errors: Vec<FieldError> = if creating { crate::dialects::common::first_name_missing(&body).into_iter().collect() } else { Vec::new() };
    errors.extend(check_vendor_fields(&custom, creating));
    if !errors.is_empty() {
        // Report the canonical fields' problems in the same response.
        if let Write::Create(settings) = write {
            body.insert("kind".into(), "person".into());
            errors.extend(parse_document(&body, settings).err().unwrap_or_default());
        }
        return Err(ServiceError::Invalid(errors));
    }
    if let Some(external) = custom.remove(crate::dialects::common::EXTERNAL_ID) {
        body.insert(crate::dialects::common::EXTERNAL_ID.into(), external);
    }
    if !custom.is_empty() {
        body.insert("custom_fields".into(), Value::Object(custom));
    }
    Ok(body)
}

/// Empty values are unset ones: `[]` and `{}` are how an unset
/// `preferred_locations` and `property_preferences` are shown (sent back,
/// they unset them rather than store an empty value other surfaces would
/// show), and `"user_id": ""` is what a form sends for no agent.
fn unset_empty(custom: &mut Map<String, Value>) {
    for key in ["preferred_locations", "property_preferences", "user_id"] {
        if let Some(value) = custom.get_mut(key) {
            let empty = match value {
                Value::Array(items) => items.is_empty(),
                Value::Object(keys) => keys.is_empty(),
                Value::String(s) => s.trim().is_empty(),
                _ => false,
            };
            if empty {
                *value = Value::Null;
            }
        }
    }
}

/// The types of ActuallyCare's own fields (which the service, seeing only
/// custom fields, cannot know).
fn check_vendor_fields(custom: &Map<String, Value>, creating: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match custom.get("client_type") {
        Some(Value::String(s)) if ClientType::parse(s).is_some() => {}
        None if !creating => {}
        None | Some(Value::Null) => errors.push(FieldError::new("client_type", format!("is required and {}", ClientType::EXPECTED))),
        Some(_) => errors.push(FieldError::new("client_type", ClientType::EXPECTED)),
    }
    let checks: [Check; 6] = [
        ("budget_min", is_amount, "must be a number of at least 0"),
        ("budget_max", is_amount, "must be a number of at least 0"),
        ("pre_approval_amount", is_amount, "must be a number of at least 0"),
        ("pre_approved", Value::is_boolean, "must be true or false"),
        ("preferred_locations", |v| strings(v).is_some(), "must be an array of strings"),
        ("user_id", |v| v.as_str().is_some_and(|s| uuid::Uuid::try_parse(s).is_ok()), "must be a UUID"),
    ];
    for (key, valid, message) in checks {
        // `null` removes the field (on create: leaves it out).
        if custom.get(key).is_some_and(|v| !v.is_null() && !valid(v)) {
            errors.push(FieldError::new(key, message));
        }
    }
    match custom.get("property_preferences") {
        None | Some(Value::Null) => {}
        Some(Value::Object(prefs)) => check_preferences(prefs, &mut errors),
        Some(_) => errors.push(FieldError::new("property_preferences", "must be an object")),
    }
    errors
}

fn check_preferences(prefs: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    for (key, value) in prefs {
        let field = format!("property_preferences.{}", key.chars().take(64).collect::<String>());
        if value.is_null() {
            continue;
        }
        if PREFERENCE_MINIMUMS.contains(&key.as_str()) {
            if !is_amount(value) {
                errors.push(FieldError::new(field, "must be a number of at least 0"));
            }
        } else if key == "property_types" {
            if strings(value).is_none() {
                errors.push(FieldError::new(field, "must be an array of strings"));
            }
        } else {
            errors.push(FieldError::new(field, "is not a known field"));
        }
    }
}

fn is_amount(value: &Value) -> bool {
    value.as_f64().is_some_and(|n| n >= 0.0)
}

#[cfg(test)]
mod tests {
    use super::super::errors::vendor_field;
    use super::super::views::phone_view;
    use super::*;
    use crate::domain::phone::{Phone, Region};

    #[test]
    fn vendor_fields_come_out_of_custom_fields() {
        let body = serde_json::json!({"first_name": "A", "last_name": "B", "client_type": "buyer", "budget_min": 1});
        let settings = FirmSettings::default();
        let doc = to_canonical(body.as_object().unwrap().clone(), Write::Create(&settings)).unwrap();
        assert_eq!(doc["custom_fields"]["client_type"], "buyer");
        assert!(!doc.contains_key("client_type"));
        assert_eq!(vendor_field("custom_fields.budget_min"), "budget_min");
        assert_eq!(vendor_field("custom_fields.other"), "custom_fields.other");
    }

    #[test]
    fn client_type_is_required_on_create_only() {
        let body = serde_json::json!({"first_name": "A"});
        let settings = FirmSettings::default();
        assert!(to_canonical(body.as_object().unwrap().clone(), Write::Create(&settings)).is_err());
        assert!(to_canonical(body.as_object().unwrap().clone(), Write::Update).is_ok());
    }

    #[test]
    fn phones_of_the_region_read_nationally() {
        let us = Region::default();
        let phone = Phone::parse("+1 661 555 0142", &us).unwrap();
        assert_eq!(phone_view(&phone, &us), "(661) 555-0142");
        assert_eq!(phone_view(&phone, &Region::parse("GB").unwrap()), "+16615550142");
        // Seven digits after +1 can't exist: shown as written.
        let short = Phone::parse("+1 555-1234", &us).unwrap();
        assert_eq!(phone_view(&short, &us), "+1 555-1234");
        let extension = Phone::parse("(661) 555-0142 x89", &us).unwrap();
        assert_eq!(phone_view(&extension, &us), "(661) 555-0142 x89");
    }
}
