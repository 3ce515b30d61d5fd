//! Closed sets of names (kinds, statuses, roles, sort orders) as OpenAPI
//! `enum`s, so generated clients get a type instead of prose. The values come
//! from the domain, so the document can't list one the server refuses.

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

use crate::domain::api_key::Scope;
use crate::domain::client::query::SortField;
use crate::domain::contract::{Field, Kind};
use crate::domain::lead::LeadState;
use crate::domain::record::RecordSort;
use crate::domain::webhook::DeliveryStatus;

/// A string schema that takes only `values`.
pub fn names_schema(doc: &str, values: impl IntoIterator<Item = String>) -> RefOr<Schema> {
    let object = ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values)).description(Some(doc));
    RefOr::T(Schema::Object(object.build()))
}

/// The values an enum field of a contract takes.
pub fn field_values(field: &Field) -> Vec<String> {
    match field.kind {
        Kind::Enum(values) => values.iter().map(|v| v.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Each sort field ascending, then each with `-` (descending).
pub fn sort_values(fields: &[&str]) -> Vec<String> {
    fields.iter().map(|f| f.to_string()).chain(fields.iter().map(|f| format!("-{f}"))).collect()
}

/// A type for the OpenAPI document only, whose schema is a closed set of
/// names: `names!(MatterStatusName, "…", field_values(&STATUS))`. Use it as
/// a view field's `value_type`, or `inline(…)` as a parameter's type.
#[macro_export]
macro_rules! names {
    ($ty:ident, $doc:expr, $values:expr) => {
        #[doc = $doc]
        pub struct $ty;

        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::api::openapi::names_schema($doc, $values)
            }
        }

        impl utoipa::ToSchema for $ty {
            fn name() -> std::borrow::Cow<'static, str> {
                // `MatterStatusName` is `MatterStatus` in the document.
                std::borrow::Cow::Borrowed(stringify!($ty).trim_end_matches("Name"))
            }
        }
    };
}

names!(
    IncludeTotalName,
    "`false`, `true` (exact up to the server's limit; past it the limit, with `total_exact: false`) or `exact`.",
    ["false", "true", "exact"].map(String::from)
);
names!(ClientKindName, "`person` or `company`.", field_values(&crate::domain::client::contract::KIND));
names!(MatterStatusName, "`open`, `pending` or `closed`.", field_values(&crate::domain::matter::STATUS));
names!(
    LeadStateName,
    "`untriaged`, `ignored` or `converted`.",
    LeadState::ALL.iter().map(|s| s.as_str().to_string())
);
names!(UserRoleName, "`owner`, `admin` or `member`.", field_values(&crate::domain::user::ROLE));
names!(CustomFieldEntityName, "What a custom field is defined for.", field_values(&crate::domain::custom_field::ENTITY));
names!(CustomFieldTypeName, "A custom field's type.", field_values(&crate::domain::custom_field::TYPE));
names!(ScopeName, "An API key's scope.", Scope::ALL.iter().map(|s| s.as_str().to_string()));
names!(
    DeliveryStatusName,
    "`pending`, `delivered`, `failed` (every attempt failed) or `cancelled` (its subscription was disabled or deleted first).",
    DeliveryStatus::ALL.iter().map(|s| s.as_str().to_string())
);
names!(
    ClientSortName,
    "A field to order by, ascending; with `-` before it, descending.",
    sort_values(&SortField::CANONICAL.map(|f| f.as_str()))
);
names!(
    RecordSortName,
    "A field to order by, ascending; with `-` before it, descending.",
    [false, true].into_iter().flat_map(|descending| {
        [false, true].map(|by_updated| RecordSort { by_updated, descending }.to_param())
    })
);
names!(ExpandName, "`matters`.", ["matters".to_string()]);
names!(ExportFormatName, "`ndjson` or `csv`.", ["ndjson", "csv"].map(String::from));
names!(SortOrderName, "`asc` or `desc`.", ["asc", "desc"].map(String::from));
