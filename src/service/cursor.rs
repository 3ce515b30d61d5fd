//! Opaque keyset cursors.
//!
//! A cursor names the last record of a page by its sort key and id, so the
//! next page starts right after it however many records were inserted or
//! deleted meanwhile, and page 1,000 costs what page 1 does. It is base64url
//! JSON: opaque by contract, readable when debugging. It carries the sort it was
//! made for, since a position under one order means nothing under another.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::ServiceError;
use crate::domain::client::query::{ClientSort, Position, SortValue};
use crate::domain::ids::ClientId;
use crate::domain::record::RecordSort;
use crate::domain::time::Timestamp;

#[derive(Serialize, Deserialize)]
struct Wire {
    /// The sort, as its query parameter (`-created_at`).
    s: String,
    /// The sort key: a number for instants, a string for names.
    v: serde_json::Value,
    id: ClientId,
}

const MAX_CURSOR_LEN: usize = 1024;

pub fn encode(sort: &ClientSort, position: &Position) -> String {
    let v = match &position.value {
        SortValue::Millis(ms) => serde_json::Value::from(*ms),
        SortValue::Text(t) => serde_json::Value::from(t.as_str()),
    };
    let wire = Wire { s: sort.to_param(), v, id: position.id };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&wire).unwrap_or_default())
}

pub fn decode(cursor: &str, sort: &ClientSort) -> Result<Position, ServiceError> {
    let bad = || ServiceError::invalid("cursor", "is not a cursor this server issued");
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if wire.s != sort.to_param() {
        return Err(ServiceError::invalid(
            "cursor",
            format!("was issued for sort={}; send the same sort with it", wire.s),
        ));
    }
    let value = match (&wire.v, sort.field.is_instant()) {
        (serde_json::Value::Number(n), true) => SortValue::Millis(n.as_i64().ok_or_else(bad)?),
        (serde_json::Value::String(s), false) => SortValue::Text(s.clone()),
        _ => return Err(bad()),
    };
    Ok(Position { value, id: wire.id })
}

/// A record cursor: the sort, the sort key in milliseconds and the id.
#[derive(Serialize, Deserialize)]
struct RecordWire {
    s: String,
    v: i64,
    id: uuid::Uuid,
}

pub fn encode_record(sort: RecordSort, key: Timestamp, id: uuid::Uuid) -> String {
    let wire = RecordWire { s: sort.to_param(), v: key.millis(), id };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&wire).unwrap_or_default())
}

pub fn decode_record(cursor: &str, sort: RecordSort) -> Result<(Timestamp, uuid::Uuid), ServiceError> {
    let bad = || ServiceError::invalid("cursor", "is not a cursor this server issued");
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let wire: RecordWire = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if wire.s != sort.to_param() {
        return Err(ServiceError::invalid(
            "cursor",
            format!("was issued for sort={}; send the same sort with it", wire.s),
        ));
    }
    Ok((Timestamp::from_millis(wire.v), wire.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::query::SortField;

    #[test]
    fn round_trips_and_checks_the_sort() {
        let sort = ClientSort { field: SortField::Name, descending: false };
        let pos = Position { value: SortValue::Text("ann lee".into()), id: ClientId::generate() };
        let cursor = encode(&sort, &pos);
        assert_eq!(decode(&cursor, &sort).unwrap(), pos);
        let other = ClientSort { field: SortField::Name, descending: true };
        assert!(decode(&cursor, &other).is_err());
        assert!(decode("not-a-cursor", &sort).is_err());
        assert!(decode("", &sort).is_err());
    }
}
