//! Server-owned fields sent back by a read-modify-write.
//!
//! An integration GETs a record, changes a field and sends the whole object
//! back, `id`, times and counts included. Refusing those makes every such
//! client strip them first; accepting any value would let a caller believe
//! it had set them. So, on every surface: a read-only field whose value is
//! exactly what the caller was shown is taken out and ignored, and one that
//! differs stays a 400 naming it.
//!
//! "What the caller was shown" is the record as [`crate::api::written`] lets
//! the caller see it: a key without the read scope can echo only the fields
//! a write answers it anyway (ids, version, times), so the comparison tells
//! it nothing it may not read.

use serde_json::{Map, Value};

use crate::domain::field::FieldError;
use crate::service::ServiceError;

/// Takes each of `read_only` out of `body` when it equals `shown`'s value
/// of it; every one that differs (or that `shown` lacks) is an error.
pub fn take_echoed(body: &mut Map<String, Value>, shown: &Value, read_only: &[&str]) -> Result<(), ServiceError> {
    let mut errors = Vec::new();
    for name in read_only {
        let Some(sent) = body.get(*name) else { continue };
        if shown.get(*name) == Some(sent) {
            body.remove(*name);
        } else {
            errors.push(FieldError::new(*name, "is read-only and set by the server: send the value you were given, or leave it out"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_values_are_taken_out_and_different_ones_named() {
        let shown = json!({"id": "a", "created_at": "t", "matters_count": 2});
        let mut body = json!({"id": "a", "created_at": "t", "notes": "x"}).as_object().unwrap().clone();
        take_echoed(&mut body, &shown, &["id", "created_at", "matters_count"]).unwrap();
        assert_eq!(Value::Object(body), json!({"notes": "x"}));

        let mut body = json!({"id": "b", "matters_count": 2, "updated_at": "u"}).as_object().unwrap().clone();
        let Err(ServiceError::Invalid(errors)) = take_echoed(&mut body, &shown, &["id", "matters_count", "updated_at"]) else {
            panic!("a different id and an unshown field are refused")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["id", "updated_at"]);
    }
}
