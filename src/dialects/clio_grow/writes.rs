//! What Clio Grow's request bodies share: the `{"data": {...}}` wrapper.

use serde_json::{Map, Value};

use crate::api::problem::ApiError;
use crate::dialects::common::refuse_unknown;
use crate::domain::contract::{Contract, Field, Kind};
use crate::service::ServiceError;

/// The `data` field of a create body: an object of `fields`.
pub(super) const fn data(fields: &'static Contract) -> Field {
    Field::new("data", Kind::Object(fields), "")
}

/// The `data` object of a create body (`{"data": {...}}`).
pub(super) fn data_object(body: Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    refuse_unknown(&body, &["data"])?;
    match body.into_iter().next() {
        Some((_, Value::Object(data))) => Ok(data),
        Some(_) => Err(ServiceError::invalid("data", "must be an object").into()),
        None => Err(ServiceError::invalid("data", "is required").into()),
    }
}
