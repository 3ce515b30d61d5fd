//! Reading a JSON object field by field, collecting every problem.
//!
//! Serde stops at the first error; a person fixing a request wants all of them.
//! A [`Reader`] hands out typed values field by field, records what was wrong
//! with each, and at the end reports fields it was never asked about as unknown.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::field::FieldError;
use super::contract::{Field, Kind};
use super::text;

pub struct Reader<'a> {
    object: &'a Map<String, Value>,
    path: String,
    seen: HashSet<&'a str>,
    read_only: &'static [&'static str],
    errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    pub fn new(object: &'a Map<String, Value>) -> Self {
        Self::nested(object, String::new())
    }

    /// A reader for an object inside another, whose errors name the full path.
    pub fn nested(object: &'a Map<String, Value>, path: String) -> Self {
        Self { object, path, seen: HashSet::new(), read_only: &[], errors: Vec::new() }
    }

    /// Fields the server owns: present in responses, refused in requests.
    pub fn with_read_only(mut self, fields: &'static [&'static str]) -> Self {
        self.read_only = fields;
        self
    }

    pub fn path_of(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    pub fn error(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    pub fn error_at(&mut self, name: &str, message: impl Into<String>) {
        let path = self.path_of(name);
        self.error(path, message);
    }

    pub fn absorb(&mut self, errors: Vec<FieldError>) {
        self.errors.extend(errors);
    }

    /// The raw value of a field; `None` when absent or null.
    pub fn value(&mut self, name: &'a str) -> Option<&'a Value> {
        self.seen.insert(name);
        self.object.get(name).filter(|v| !v.is_null())
    }

    /// Whether a field already has an error recorded against it.
    pub fn has_error(&self, name: &str) -> bool {
        let path = self.path_of(name);
        self.errors.iter().any(|e| e.field == path)
    }

    pub fn is_present(&self, name: &str) -> bool {
        self.object.get(name).is_some_and(|v| !v.is_null())
    }

    /// A string field, cleaned by [`text::clean`].
    pub fn text(&mut self, name: &'a str, max_chars: usize) -> Option<String> {
        self.text_with(name, max_chars, false)
    }

    /// A text field as its contract says: one line, a name, or lines; at
    /// most its length.
    pub fn text_of(&mut self, field: &Field) -> Option<String> {
        match field.kind {
            Kind::Name { max } => self.name(field.name, max),
            Kind::Multiline { max } => self.multiline_text(field.name, max),
            _ => self.text(field.name, field.max_chars()),
        }
    }

    /// A name field, cleaned by [`text::name`].
    pub fn name(&mut self, name: &'a str, max_chars: usize) -> Option<String> {
        let raw = self.str(name)?;
        match text::name(raw, max_chars) {
            Ok(v) => v,
            Err(msg) => {
                self.error_at(name, msg);
                None
            }
        }
    }

    /// A string field that may span lines (notes, descriptions).
    pub fn multiline_text(&mut self, name: &'a str, max_chars: usize) -> Option<String> {
        self.text_with(name, max_chars, true)
    }

    fn text_with(&mut self, name: &'a str, max_chars: usize, multiline: bool) -> Option<String> {
        let raw = self.str(name)?;
        match text::clean(raw, max_chars, multiline) {
            Ok(v) => v,
            Err(msg) => {
                self.error_at(name, msg);
                None
            }
        }
    }

    /// A string field turned into a domain value by `parse`. A blank string
    /// is no value, as absent or null is: what web forms send for a field
    /// left empty (`"email": ""`), as text fields already read it.
    pub fn parsed<T>(&mut self, name: &'a str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let raw = self.str(name).filter(|s| !s.trim().is_empty())?;
        match parse(raw) {
            Ok(v) => Some(v),
            Err(msg) => {
                self.error_at(name, msg);
                None
            }
        }
    }

    pub fn str(&mut self, name: &'a str) -> Option<&'a str> {
        match self.value(name)? {
            Value::String(s) => Some(s),
            other => {
                self.error_at(name, format!("must be a string, not {}", kind_of(other)));
                None
            }
        }
    }

    pub fn bool(&mut self, name: &'a str) -> Option<bool> {
        match self.value(name)? {
            Value::Bool(b) => Some(*b),
            other => {
                self.error_at(name, format!("must be a boolean, not {}", kind_of(other)));
                None
            }
        }
    }

    pub fn integer(&mut self, name: &'a str) -> Option<i64> {
        match self.value(name)? {
            Value::Number(n) if n.is_i64() => n.as_i64(),
            other => {
                self.error_at(name, format!("must be an integer, not {}", kind_of(other)));
                None
            }
        }
    }

    pub fn object(&mut self, name: &'a str) -> Option<&'a Map<String, Value>> {
        match self.value(name)? {
            Value::Object(o) => Some(o),
            other => {
                self.error_at(name, format!("must be an object, not {}", kind_of(other)));
                None
            }
        }
    }

    /// An array field of at most `max_items` items; absent or null is empty.
    pub fn array(&mut self, name: &'a str, max_items: usize) -> &'a [Value] {
        match self.value(name) {
            None => &[],
            Some(Value::Array(items)) if items.len() <= max_items => items,
            Some(Value::Array(items)) => {
                self.error_at(name, format!("must have at most {max_items} items (got {})", items.len()));
                &[]
            }
            Some(other) => {
                self.error_at(name, format!("must be an array, not {}", kind_of(other)));
                &[]
            }
        }
    }

    /// Ends reading: fields never asked for are reported as unknown (or read-only),
    /// and all collected errors are returned together.
    pub fn finish(mut self) -> Result<(), Vec<FieldError>> {
        let mut extra: Vec<&String> =
            self.object.keys().filter(|k| !self.seen.contains(k.as_str())).collect();
        extra.sort();
        for key in extra {
            let message = if self.read_only.contains(&key.as_str()) {
                "is read-only and set by the server"
            } else {
                "is not a known field"
            };
            self.error_at(key, message);
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

/// JSON type names for error messages.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_every_error_including_unknown_and_read_only_fields() {
        let body = json!({"a": 5, "b": "x", "id": "cli_1", "zzz": true});
        let obj = body.as_object().unwrap();
        let mut r = Reader::new(obj).with_read_only(&["id"]);
        assert_eq!(r.text("a", 10), None);
        assert_eq!(r.text("b", 10), Some("x".into()));
        let errors = r.finish().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["a", "id", "zzz"]);
        assert!(errors[1].message.contains("read-only"));
    }
}
