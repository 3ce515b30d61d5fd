//! The last touches to the document, made on its JSON once every route has
//! added its part: rules that hold for the whole API, applied in one place so
//! that no handler's annotation can forget them.

use serde_json::{json, Value};
use utoipa::openapi::OpenApi;

/// String properties that end like a timestamp but are not one: a Clio Grow
/// matter's custom field is whatever text the firm stored.
const NOT_INSTANTS: &[(&str, &str)] = &[("ClioGrowMatter", "first_appointment_created_at")];

/// The document as `GET /openapi.json` serves it.
pub fn render(doc: &OpenApi) -> String {
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    tidy(&mut doc);
    serde_json::to_string(&doc).unwrap_or_default()
}

fn tidy(doc: &mut Value) {
    // Relative, so it is wherever the document was fetched from: one binary
    // serves many hosts, and a client (or the fuzzer) is pointed at one.
    doc["servers"] = json!([{"url": "/", "description": "The server this document was fetched from"}]);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for operation in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.values_mut()) {
            for parameter in operation.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
                if let Some(schema) = parameter.get_mut("schema") {
                    not_null(schema);
                }
            }
        }
    }
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for (name, schema) in schemas.iter_mut() {
            mark_instants(name, schema);
        }
    }
}

/// A parameter is present or absent, never JSON `null`: utoipa types an
/// `Option` one as `["string", "null"]`, which clients then send or check as
/// null (httpx and openapi-core fail on it).
fn not_null(schema: &mut Value) {
    let Some(types) = schema.get("type").and_then(Value::as_array) else {
        return;
    };
    let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
    schema["type"] = match kept.as_slice() {
        [one] => one.clone(),
        _ => Value::Array(kept),
    };
}

/// Every instant in a response is RFC 3339 (docs/decisions.md); its
/// properties are named `…_at`, `…At` or `timestamp` throughout, and only
/// instants are: this says so with `format: date-time`, so generated clients
/// parse them as instants.
fn mark_instants(schema_name: &str, schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(properties) = object.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, property) in properties.iter_mut() {
            if is_instant_name(name) && !NOT_INSTANTS.contains(&(schema_name, name.as_str())) {
                mark_instant(property);
            }
            mark_instants(schema_name, property);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = object.get_mut(key) {
            mark_instants(schema_name, inner);
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for inner in object.get_mut(key).and_then(Value::as_array_mut).into_iter().flatten() {
            mark_instants(schema_name, inner);
        }
    }
}

fn is_instant_name(name: &str) -> bool {
    name.ends_with("_at") || name.ends_with("At") || name == "timestamp"
}

/// Adds `format: date-time` to a string (or string-or-null) schema that has
/// no format; a Unix-seconds integer (Clemta's) is left as it is.
fn mark_instant(property: &mut Value) {
    let Some(object) = property.as_object_mut() else {
        return;
    };
    if let Some(alternatives) = object.get_mut("oneOf").and_then(Value::as_array_mut) {
        alternatives.iter_mut().for_each(mark_instant);
        return;
    }
    let is_string = match object.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
        _ => false,
    };
    if is_string && !object.contains_key("format") {
        object.insert("format".into(), Value::String("date-time".into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nullable_parameter_becomes_a_plain_one() {
        let mut schema = json!({"type": ["string", "null"]});
        not_null(&mut schema);
        assert_eq!(schema, json!({"type": "string"}));
    }

    #[test]
    fn timestamps_get_a_format_and_other_fields_do_not() {
        let mut schema = json!({"properties": {
            "created_at": {"type": "string"},
            "revoked_at": {"type": ["string", "null"]},
            "createdAt": {"type": "string"},
            "updated_at": {"type": "integer"},
            "name": {"type": "string"},
            "inner": {"type": "object", "properties": {"timestamp": {"type": "string"}}},
        }});
        mark_instants("X", &mut schema);
        let p = &schema["properties"];
        assert_eq!(p["created_at"]["format"], "date-time");
        assert_eq!(p["revoked_at"]["format"], "date-time");
        assert_eq!(p["createdAt"]["format"], "date-time");
        assert_eq!(p["inner"]["properties"]["timestamp"]["format"], "date-time");
        assert!(p["updated_at"].get("format").is_none());
        assert!(p["name"].get("format").is_none());
        let mut custom = json!({"properties": {"first_appointment_created_at": {"type": "string"}}});
        mark_instants("ClioGrowMatter", &mut custom);
        assert!(custom["properties"]["first_appointment_created_at"].get("format").is_none());
    }
}
