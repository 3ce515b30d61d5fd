//! What a write answers a key that may not read what it wrote.
//!
//! Write does not imply read (a web form's `clients:write` key must not be
//! able to read a client back by PATCHing it with `{}`). So on every
//! surface, a create, update, replace, restore or conversion answers a key
//! without the resource's read scope with the fields the server owns only:
//! the record's id (and the surface's other id forms), its version, and its
//! times. That is what the key needs to refer to the record again, and it
//! reveals nothing the key didn't send. A key with the read scope gets the
//! whole record, as before.

use serde::Serialize;
use serde_json::Value;

use crate::domain::api_key::Scope;
use crate::service::Actor;

/// The server-owned fields of the canonical views.
pub const CANONICAL_OWNED: &[&str] = &["id", "version", "created_at", "updated_at"];

/// `view` as `actor` may see it after writing it: whole with `read`, else
/// only its `owned` fields.
pub fn written(actor: &Actor, read: Scope, view: impl Serialize, owned: &[&str]) -> Value {
    let mut value = serde_json::to_value(view).unwrap_or(Value::Null);
    if !actor.scopes.allows(read) {
        if let Value::Object(fields) = &mut value {
            fields.retain(|name, _| owned.contains(&name.as_str()));
        }
    }
    value
}
