//! OpenAPI request schemas made from the domain's field contracts
//! (`domain::contract`), so the document says exactly what the parsers take.

use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr};

use crate::domain::contract::{Contract, Field, Kind};

/// The schema of a body with `contract`'s fields. A field the body may leave
/// out may also be `null`, which clears it in a merge patch.
pub fn schema(contract: &Contract) -> Schema {
    object_schema(contract, contract.required)
}

/// The schema of a patch of `contract`'s fields: every one optional (the
/// fields required at creation stay as they are when left out).
pub fn patch_schema(contract: &Contract) -> Schema {
    object_schema(contract, &[])
}

/// `ClientWrite` → `ClientPatch`: the name of a contract's patch schema.
pub fn patch_name(contract: &Contract) -> String {
    format!("{}Patch", contract.name.strip_suffix("Write").unwrap_or(contract.name))
}

fn object_schema(contract: &Contract, required_fields: &[&str]) -> Schema {
    let mut object = ObjectBuilder::new().schema_type(Type::Object).description(Some(contract.doc));
    for field in contract.fields {
        let required = required_fields.contains(&field.name);
        object = object.property(field.name, property(field, required));
        if required {
            object = object.required(field.name);
        }
    }
    Schema::Object(object.build())
}

fn property(field: &Field, required: bool) -> RefOr<Schema> {
    let types = |t: Type| if required { SchemaType::from(t) } else { SchemaType::from_iter([t, Type::Null]) };
    let text = |max: Option<usize>| ObjectBuilder::new().schema_type(types(Type::String)).max_length(max);
    let doc = (!field.doc.is_empty()).then_some(field.doc);
    let built = match field.kind {
        Kind::Text { max } | Kind::Name { max } | Kind::Multiline { max } => text(Some(max)),
        Kind::Email => text(Some(254)).format(Some(SchemaFormat::KnownFormat(KnownFormat::Email))),
        Kind::Phone | Kind::Status => text(Some(64)),
        Kind::Date => text(None).format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        Kind::Instant => text(None).format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        Kind::Enum(values) => text(None).enum_values(Some(values.iter().copied())),
        Kind::Id { prefix } => text(Some(64)).examples([format!("{prefix}_01J9Z8X7W6V5T4S3R2Q1P0N9M8")]),
        Kind::Bool => ObjectBuilder::new().schema_type(types(Type::Boolean)),
        Kind::Integer { min, max } => ObjectBuilder::new()
            .schema_type(types(Type::Integer))
            .minimum(Some(min as f64))
            .maximum(Some(max as f64)),
        Kind::Number { min } => ObjectBuilder::new().schema_type(types(Type::Number)).minimum(Some(min)),
        Kind::CustomFields { max_keys } => ObjectBuilder::new().schema_type(types(Type::Object)).max_properties(Some(max_keys)),
        Kind::Json => ObjectBuilder::new(),
        Kind::Object(inner) => return nullable(Ref::from_schema_name(inner.name).into(), required, doc),
        Kind::Objects { of, max_items } => {
            let items: RefOr<Schema> = Ref::from_schema_name(of.name).into();
            let array = ArrayBuilder::new().schema_type(types(Type::Array)).items(items).max_items(Some(max_items));
            return RefOr::T(Schema::Array(array.description(doc).build()));
        }
        Kind::Strings { max_items, max_chars } => {
            let item = ObjectBuilder::new().schema_type(Type::String).max_length(Some(max_chars));
            let array = ArrayBuilder::new().schema_type(types(Type::Array)).items(item).max_items(Some(max_items));
            return RefOr::T(Schema::Array(array.description(doc).build()));
        }
    };
    let built = match field.example {
        Some(example) => built.examples([example_value(field, example)]),
        None => built,
    };
    let built = built.description(doc);
    RefOr::T(Schema::Object(built.build()))
}

/// An example as the JSON the field takes: a number for a numeric field
/// (a string there would contradict the schema it illustrates).
fn example_value(field: &Field, example: &str) -> serde_json::Value {
    match field.kind {
        Kind::Integer { .. } | Kind::Number { .. } => serde_json::from_str(example).unwrap_or_else(|_| example.into()),
        _ => example.into(),
    }
}

/// A reference that may also be `null`.
fn nullable(reference: RefOr<Schema>, required: bool, doc: Option<&str>) -> RefOr<Schema> {
    if required {
        return reference;
    }
    let null = ObjectBuilder::new().schema_type(Type::Null).build();
    let one_of = utoipa::openapi::schema::OneOfBuilder::new().item(reference).item(null).description(doc);
    RefOr::T(Schema::OneOf(one_of.build()))
}

/// The contracts of the objects inside `contract`, each with its own schema.
pub fn nested(contract: &Contract, out: &mut Vec<(String, RefOr<Schema>)>) {
    for field in contract.fields {
        let inner = match field.kind {
            Kind::Object(inner) | Kind::Objects { of: inner, .. } => inner,
            _ => continue,
        };
        if !out.iter().any(|(name, _)| name == inner.name) {
            out.push((inner.name.to_string(), RefOr::T(schema(inner))));
            nested(inner, out);
        }
    }
}

/// A request body type for the OpenAPI document whose schema is made from a
/// contract: `contract_body!(ClientWrite, CLIENT)`; with `patch`, the body of
/// a `PATCH`, where nothing is required: `contract_body!(ClientPatch, CLIENT, patch)`.
#[macro_export]
macro_rules! contract_body {
    ($ty:ident, $contract:expr) => {
        $crate::contract_body!(@body $ty, $contract, schema, std::borrow::Cow::Borrowed($contract.name));
    };
    ($ty:ident, $contract:expr, patch) => {
        $crate::contract_body!(@body $ty, $contract, patch_schema, std::borrow::Cow::Owned($crate::api::contract::patch_name(&$contract)));
    };
    (@body $ty:ident, $contract:expr, $schema:ident, $name:expr) => {
        /// A request body; its schema is made from its contract.
        pub struct $ty;

        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::RefOr::T($crate::api::contract::$schema(&$contract))
            }
        }

        impl utoipa::ToSchema for $ty {
            fn name() -> std::borrow::Cow<'static, str> {
                $name
            }

            fn schemas(out: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
                $crate::api::contract::nested(&$contract, out);
            }
        }
    };
}
