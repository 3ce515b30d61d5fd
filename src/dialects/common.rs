//! What several dialects share: id and page parameters, custom-field
//! passthrough of vendor-only fields, and time formats.

use serde_json::{Map, Value};

use crate::api::extract::ParamReader;
use crate::api::problem::ApiError;
use crate::domain::client::Client;
use crate::domain::contract::Contract;
use crate::domain::time::Timestamp;
use crate::domain::api_key::Scope;
use crate::service::precondition::Precondition;
use crate::service::{Actor, Service, ServiceError};

/// The client a merged one went to, in the hyphenated UUID form the
/// UUID-id dialects show (`Problem::merged_into` holds the canonical id).
pub fn merged_into_uuid(problem: &crate::api::problem::Problem) -> Option<String> {
    let id: crate::domain::ids::ClientId = problem.merged_into.as_deref()?.parse().ok()?;
    Some(id.as_uuid().hyphenated().to_string())
}

/// A per-table integer id from a path. Anything else names nothing: 404.
pub fn seq_id(raw: &str, what: &'static str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|n| *n > 0).ok_or(ApiError::Service(ServiceError::NotFound(what)))
}

/// A UUID from a path (hyphenated or not). Anything else names nothing: 404.
pub fn uuid_id(raw: &str, what: &'static str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::try_parse(raw).map_err(|_| ApiError::Service(ServiceError::NotFound(what)))
}

/// A client named by its UUID (the UUID-id dialects). Anything else: 404.
pub fn uuid_client_id(raw: &str) -> Result<crate::domain::ids::ClientId, ApiError> {
    Ok(crate::domain::ids::ClientId::from_uuid(uuid_id(raw, "client")?))
}

/// Deletes the client a UUID-id dialect names (softly, as `/v1` does; 404
/// for another firm's, 409 while it has open matters).
pub async fn delete_client_by_uuid(service: &Service, actor: &Actor, raw: &str) -> Result<(), ApiError> {
    actor.require(Scope::ClientsWrite)?;
    service.delete_client(actor, uuid_client_id(raw)?, Precondition::default()).await?;
    Ok(())
}

/// The query parameters of a dialect route: unknown ones are ignored, as
/// the vendors ignore them (a cache-buster `_=` must not be a 400).
pub fn params(pairs: &[(String, String)]) -> ParamReader<'_> {
    ParamReader::new(pairs).ignoring_unknown()
}

/// `asc` or `desc`, in any case (`DESC`), as the vendors read them: whether descending.
pub fn sort_order(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "asc" => Ok(false),
        "desc" => Ok(true),
        _ => Err("must be asc or desc".into()),
    }
}

/// An integer query parameter within `min..=max`.
pub fn int_param(p: &mut ParamReader<'_>, name: &'static str, min: u64, max: u64) -> Option<u64> {
    p.parsed(name, |s| {
        s.trim().parse::<u64>().ok().filter(|n| (min..=max).contains(n)).ok_or(format!("must be an integer from {min} to {max}"))
    })
}

/// The largest page number accepted: beyond it an offset could not be a
/// real page of any firm (and would only make the database skip rows).
pub const MAX_PAGE_NUMBER: u64 = 1_000_000;

/// A custom field's value on a client.
pub fn custom<'a>(client: &'a Client, key: &str) -> Option<&'a Value> {
    client.fields.custom_fields.get(key)
}

/// Vendors without an external id field (CalmIntake, ActuallyCare) carry a
/// client's `external_id` as `custom_fields.external_id`, both ways.
pub const EXTERNAL_ID: &str = "external_id";

/// A client's custom fields as such a vendor shows them.
pub fn custom_fields_shown(client: &Client) -> Map<String, Value> {
    let mut shown = client.fields.custom_fields.clone();
    if let Some(external) = &client.fields.external_id {
        shown.insert(EXTERNAL_ID.to_string(), Value::String(external.clone()));
    }
    shown
}

/// Takes `custom_fields.external_id` of a vendor body out into the canonical
/// `external_id` (null clears it in a merge patch).
pub fn external_id_from_custom_fields(doc: &mut Map<String, Value>) {
    let taken = match doc.get_mut("custom_fields") {
        Some(Value::Object(custom)) => custom.remove(EXTERNAL_ID),
        _ => None,
    };
    if let Some(value) = taken {
        doc.insert(EXTERNAL_ID.to_string(), value);
    }
}

/// Moves the vendor-only `keys` of `body` into `custom_fields` (so nothing a
/// client sends is dropped and every surface sees it).
pub fn keep_in_custom_fields(body: &mut Map<String, Value>, doc: &mut Map<String, Value>, keys: &[&str]) {
    for key in keys {
        if let Some(value) = body.remove(*key) {
            let custom = doc.entry("custom_fields").or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(custom) = custom {
                custom.insert((*key).to_string(), value);
            }
        }
    }
}

/// A vendor whose document requires a person's first name (CalmIntake,
/// ActuallyCare) still refuses a new client without one, though the
/// canonical model lets a person known by a single name have none.
pub fn first_name_missing(doc: &Map<String, Value>) -> Option<crate::domain::field::FieldError> {
    let missing = match doc.get("first_name") {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(_) => false,
    };
    missing.then(|| crate::domain::field::FieldError::new("first_name", "is required"))
}

/// 400 when a new client's canonical document `doc` lacks the first name the
/// vendor requires, with every other fault of the document in the same answer.
pub fn require_first_name(actor: &Actor, doc: &Map<String, Value>) -> Result<(), ApiError> {
    let Some(missing) = first_name_missing(doc) else { return Ok(()) };
    actor.require(Scope::ClientsWrite)?;
    let others = crate::domain::client::parse_document(doc, &actor.firm.settings).err().unwrap_or_default();
    let mut errors = vec![missing];
    errors.extend(others.into_iter().filter(|e| e.field != "first_name"));
    Err(ServiceError::Invalid(errors).into())
}

/// A full name as a person's first name(s) and last name, split at its last
/// space: one word ("Cher", "Acme") is a person known by a single name, the
/// canonical last name, as the last word always is.
pub fn split_full_name(name: &str) -> (Option<&str>, &str) {
    let name = name.trim();
    name.rsplit_once(char::is_whitespace).map_or((None, name), |(first, last)| (Some(first.trim_end()), last))
}

/// Whole seconds since the Unix epoch.
pub fn unix_seconds(t: Timestamp) -> i64 {
    t.millis().div_euclid(1000)
}

/// `body` without `names` (to check the rest before the record is read).
pub fn without(body: &Map<String, Value>, names: &[&str]) -> Map<String, Value> {
    body.iter().filter(|(k, _)| !names.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// 400 naming each field of `body` the dialect doesn't know.
pub fn refuse_unknown(body: &Map<String, Value>, known: &[&str]) -> Result<(), ServiceError> {
    refuse_unless(body, |k| known.contains(&k))
}

/// 400 naming each field of `body` that `contract` has not.
pub fn refuse_unknown_in(body: &Map<String, Value>, contract: &Contract) -> Result<(), ServiceError> {
    refuse_unless(body, |k| contract.accepts(k))
}

fn refuse_unless(body: &Map<String, Value>, known: impl Fn(&str) -> bool) -> Result<(), ServiceError> {
    let errors: Vec<_> = body
        .keys()
        .filter(|k| !known(k))
        .map(|k| crate::domain::field::FieldError::new(k.chars().take(64).collect::<String>(), "is not a known field"))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(errors))
    }
}
