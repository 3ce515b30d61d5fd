//! What Clio Grow's resources show alike: global ids, addresses, and the
//! vendor fields kept in custom fields.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::domain::client::Address;

/// The Crockford base32 part of a canonical id (`cli_01ARZ…` → `01ARZ…`).
pub(super) fn global_id(canonical: &str) -> String {
    canonical.split_once('_').map_or(canonical, |(_, rest)| rest).to_string()
}

/// A custom field holding an integer (or an integer written as a string).
pub(super) fn custom_integer(custom: &Map<String, Value>, key: &str) -> Option<i64> {
    match custom.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A custom field holding a string.
pub(super) fn custom_string(custom: &Map<String, Value>, key: &str) -> Option<String> {
    custom.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Clio's address: `street` (both lines), `province` and `postal_code`.
#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowAddress)]
pub struct AddressView {
    #[schema(example = "123 Main St")]
    pub(super) street: Option<String>,
    #[schema(example = "San Francisco")]
    pub(super) city: Option<String>,
    #[schema(example = "CA")]
    pub(super) province: Option<String>,
    #[schema(example = "94102")]
    pub(super) postal_code: Option<String>,
    #[schema(example = "USA")]
    pub(super) country: Option<String>,
}

impl From<&Address> for AddressView {
    fn from(a: &Address) -> Self {
        let street = match (&a.line1, &a.line2) {
            (Some(one), Some(two)) => Some(format!("{one}\n{two}")),
            (one, two) => one.clone().or_else(|| two.clone()),
        };
        Self {
            street,
            city: a.city.clone(),
            province: a.region.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn street_joins_both_lines() {
        let a = Address { line1: Some("1 Main".into()), line2: Some("Suite 2".into()), ..Address::default() };
        assert_eq!(AddressView::from(&a).street.as_deref(), Some("1 Main\nSuite 2"));
        let b = Address { line2: Some("Suite 2".into()), ..Address::default() };
        assert_eq!(AddressView::from(&b).street.as_deref(), Some("Suite 2"));
    }

    #[test]
    fn global_id_is_the_base32_part() {
        assert_eq!(global_id("cli_01ARZ3NDEKTSV4RRFFQ69G5FAV"), "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    }
}
