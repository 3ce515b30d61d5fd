//! Custom field definitions: typed, optionally required keys of the
//! `custom_fields` object of clients and matters.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::contract::{Contract, Field, Kind, VERSION};
use super::field::FieldError;
use super::ids::CustomFieldId;
use super::input::{kind_of, Reader};
use super::record::{RecordFields, RecordKind};
use super::time::CalendarDate;

pub const ENTITY: Field = Field::new("entity", Kind::Enum(&["client", "matter"]), "Fixed at creation.");
pub const KEY: Field = Field::new(
    "key",
    Kind::Text { max: 64 },
    "Fixed at creation: a lowercase letter, then lowercase letters, digits or `_`.",
)
.example("preferred_language");
pub const LABEL: Field = Field::new("label", Kind::Text { max: 100 }, "").example("Preferred language");
pub const TYPE: Field = Field::new("type", Kind::Enum(&["text", "number", "boolean", "date", "enum", "json"]), "Fixed at creation.");
pub const OPTIONS: Field = Field::new("options", Kind::Strings { max_items: 100, max_chars: 100 }, "The values of an `enum` field.");
pub const REQUIRED: Field = Field::new("required", Kind::Bool, "Whether every record must have a value.");

/// A custom field definition's writable fields.
pub const DEFINITION: Contract = Contract {
    name: "CustomFieldWrite",
    doc: "A custom field definition.",
    fields: &[ENTITY, KEY, LABEL, TYPE, OPTIONS, REQUIRED, VERSION],
    required: &["entity", "key", "label", "type"],
};

pub const READ_ONLY: &[&str] = &["id", "created_at", "updated_at", "deleted_at", "version"];
/// Fixed at creation: changing them would silently reinterpret stored values.
pub const IMMUTABLE: &[&str] = &["entity", "key", "type"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Entity {
    Client,
    Matter,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Client => "client",
            Entity::Matter => "matter",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Entity::Client, Entity::Matter].into_iter().find(|e| e.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Text,
    Number,
    Boolean,
    Date,
    Enum,
    Json,
}

impl FieldType {
    pub const ALL: [FieldType; 6] =
        [FieldType::Text, FieldType::Number, FieldType::Boolean, FieldType::Date, FieldType::Enum, FieldType::Json];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Enum => "enum",
            FieldType::Json => "json",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldFields {
    pub entity: Entity,
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub options: Option<Vec<String>>,
    pub required: bool,
}

impl RecordFields for CustomFieldFields {
    const KIND: RecordKind = RecordKind::CustomField;
    type Id = CustomFieldId;

    /// One live definition per key per entity.
    fn unique_key(&self) -> Option<String> {
        Some(format!("{}:{}", self.entity.as_str(), self.key))
    }
}

impl CustomFieldFields {
    pub fn to_document(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    /// Whether `value` is acceptable for this field; the message says why not.
    pub fn check(&self, value: &Value) -> Result<(), String> {
        let ok = match (self.field_type, value) {
            (FieldType::Text, Value::String(_)) => true,
            (FieldType::Number, Value::Number(_)) => true,
            (FieldType::Boolean, Value::Bool(_)) => true,
            (FieldType::Date, Value::String(s)) => {
                return CalendarDate::parse(s).map(|_| ()).ok_or_else(|| "must be a date as YYYY-MM-DD".into())
            }
            (FieldType::Enum, Value::String(s)) => {
                let options = self.options.as_deref().unwrap_or_default();
                return if options.iter().any(|o| o == s) {
                    Ok(())
                } else {
                    Err(format!("must be one of: {}", options.join(", ")))
                };
            }
            (FieldType::Json, _) => true,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(format!("must be {} (custom field `{}` is of type {}), not {}", type_noun(self.field_type), self.key, self.field_type.as_str(), kind_of(value)))
        }
    }

    /// The JSON value a query-string value stands for, under this field's type.
    pub fn query_value(&self, raw: &str) -> Result<Value, String> {
        let value = match self.field_type {
            FieldType::Number => raw.parse::<f64>().ok().filter(|f| f.is_finite()).map(number_value),
            FieldType::Boolean => match raw {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            FieldType::Json => serde_json::from_str(raw).ok(),
            _ => Some(Value::String(raw.to_string())),
        };
        let value = value.ok_or_else(|| format!("must be {}", type_noun(self.field_type)))?;
        self.check(&value)?;
        Ok(value)
    }
}

/// A number as JSON, integral values as integers (`2.0` is stored as `2`), so
/// equal numbers have one spelling.
pub fn number_value(f: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if f.fract() == 0.0 && f.abs() < EXACT {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// Values of number fields in one spelling (see [`number_value`]), so stored
/// values and filters compare equal whichever way a client wrote them.
pub fn normalize(definitions: &[CustomFieldFields], values: &mut Map<String, Value>) {
    for def in definitions.iter().filter(|d| d.field_type == FieldType::Number) {
        if let Some(v) = values.get_mut(&def.key) {
            if let Some(f) = v.as_f64().filter(|_| v.is_f64()) {
                *v = number_value(f);
            }
        }
    }
}

fn type_noun(t: FieldType) -> &'static str {
    match t {
        FieldType::Text => "a string",
        FieldType::Number => "a number",
        FieldType::Boolean => "a boolean",
        FieldType::Date => "a date as YYYY-MM-DD",
        FieldType::Enum => "one of its options",
        FieldType::Json => "JSON",
    }
}

/// Checks a record's custom fields against its entity's definitions: every
/// defined key's value has its type, and every required key is present.
/// Undefined keys are not checked (dialects keep their extra fields there).
pub fn validate(definitions: &[CustomFieldFields], values: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for def in definitions {
        let path = format!("custom_fields.{}", def.key);
        match values.get(&def.key) {
            Some(value) => {
                if let Err(message) = def.check(value) {
                    errors.push(FieldError::new(path, message));
                }
            }
            None if def.required => errors.push(FieldError::new(path, "is required by this firm's custom field definition")),
            None => {}
        }
    }
    errors
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Parses a whole definition. With `current`, the immutable fields must keep
/// their values.
pub fn parse_definition(doc: &Map<String, Value>, current: Option<&CustomFieldFields>) -> Result<CustomFieldFields, Vec<FieldError>> {
    let mut r = Reader::new(doc).with_read_only(READ_ONLY);
    let entity = r.parsed(ENTITY.name, |s| Entity::parse(s).ok_or_else(|| "must be `client` or `matter`".into()));
    let key = r.parsed(KEY.name, |s| {
        if valid_key(s) {
            Ok(s.to_string())
        } else {
            Err("must be 1-64 characters: a lowercase letter, then lowercase letters, digits or `_`".into())
        }
    });
    let field_type = r.parsed(TYPE.name, |s| {
        FieldType::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| "must be one of: text, number, boolean, date, enum, json".into())
    });
    let label = r.text_of(&LABEL);
    let required = r.bool(REQUIRED.name).unwrap_or(false);
    let options = read_options(&mut r);
    for (field, present) in [(ENTITY.name, entity.is_some()), (KEY.name, key.is_some()), (TYPE.name, field_type.is_some()), (LABEL.name, label.is_some())] {
        if !present && !r.has_error(field) {
            r.error(field, "is required");
        }
    }
    match (field_type, &options) {
        (Some(FieldType::Enum), None) if !r.has_error("options") => r.error("options", "is required for an enum field"),
        (Some(t), Some(_)) if t != FieldType::Enum => r.error("options", "is only for enum fields"),
        _ => {}
    }
    if let Some(current) = current {
        let same = [
            ("entity", entity.map(|e| e == current.entity)),
            ("key", key.as_ref().map(|k| *k == current.key)),
            ("type", field_type.map(|t| t == current.field_type)),
        ];
        for (field, unchanged) in same {
            if unchanged == Some(false) {
                r.error(field, "cannot change after creation; create a new field instead");
            }
        }
    }
    r.finish()?;
    match (entity, key, field_type, label) {
        (Some(entity), Some(key), Some(field_type), Some(label)) => {
            Ok(CustomFieldFields { entity, key, label, field_type, options, required })
        }
        _ => Err(vec![FieldError::new("key", "is required")]),
    }
}

fn read_options(r: &mut Reader<'_>) -> Option<Vec<String>> {
    if !r.is_present("options") {
        r.value("options");
        return None;
    }
    let items = r.array(OPTIONS.name, OPTIONS.max_items());
    let mut options: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str().map(|s| super::text::required(s, OPTIONS.max_chars())) {
            Some(Ok(option)) if !options.contains(&option) => options.push(option),
            Some(Ok(_)) => r.error(format!("options[{i}]"), "repeats an earlier option"),
            Some(Err(message)) => r.error(format!("options[{i}]"), message),
            None => r.error(format!("options[{i}]"), "must be a string"),
        }
    }
    if options.is_empty() && !r.has_error("options") {
        r.error("options", "must list at least one option");
    }
    Some(options)
}
