//! The canonical API's response bodies (and documented request bodies). Domain
//! types are never serialised directly: these views are the contract.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::domain::api_key::ApiKey;
use crate::domain::client::{Address, Client, ClientFields};
use crate::domain::email::Email;
use crate::domain::ids::ClientId;
use crate::domain::phone::Phone;
use crate::domain::time::{CalendarDate, Timestamp};
use crate::domain::event::Event;
use crate::service::paging::Total;

#[derive(Serialize, ToSchema)]
pub struct AddressView {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    /// State, province or county.
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

impl From<&Address> for AddressView {
    fn from(a: &Address) -> Self {
        Self {
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            region: a.region.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LabeledEmailView {
    #[schema(example = "ann@work.example")]
    pub address: String,
    #[schema(example = "work")]
    pub label: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LabeledPhoneView {
    /// As `phone`: E.164 (`;ext=` and an extension), or as written when unverified.
    #[schema(example = "+15557654321")]
    pub number: String,
    pub label: Option<String>,
    /// As `phone_verified`.
    pub verified: bool,
}

#[derive(Serialize, ToSchema)]
pub struct LabeledAddressView {
    pub label: Option<String>,
    #[serde(flatten)]
    pub address: AddressView,
}

// It borrows from the client and writes ids, dates and times straight into
// the JSON: every read renders one (bench/README.md).
/// A client as the canonical API shows it.
#[derive(Serialize, ToSchema)]
pub struct ClientView<'a> {
    #[schema(value_type = String, example = "cli_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    pub id: Shown<ClientId>,
    /// `person` or `company`.
    #[schema(value_type = crate::api::openapi::ClientKindName, example = "person")]
    pub kind: &'static str,
    /// Display name: a company's name, or a person's first and last name.
    #[schema(example = "David Johnson")]
    pub name: String,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    #[schema(value_type = Option<String>)]
    pub email: Option<Shown<&'a Email>>,
    /// E.164, with an extension as `;ext=12` (RFC 3966); a number that
    /// can't exist in its country's plan exactly as it was written.
    #[schema(value_type = Option<String>, example = "+12125550187;ext=12")]
    pub phone: Option<Shown<&'a Phone>>,
    /// Whether `phone` can exist in its country's numbering plan (null
    /// without a phone). An unverified phone is kept as written.
    pub phone_verified: Option<bool>,
    pub address: Option<AddressView>,
    pub other_emails: Vec<LabeledEmailView>,
    pub other_phones: Vec<LabeledPhoneView>,
    pub other_addresses: Vec<LabeledAddressView>,
    /// `YYYY-MM-DD`.
    #[schema(value_type = Option<String>)]
    pub date_of_birth: Option<Shown<CalendarDate>>,
    /// The company (a client of kind `company`) this person belongs to.
    #[schema(value_type = Option<String>)]
    pub company_id: Option<Shown<ClientId>>,
    #[schema(example = "active")]
    pub status: &'a str,
    pub tags: &'a [String],
    pub source: Option<&'a str>,
    /// Internal notes, never shown to the client.
    pub notes: Option<&'a str>,
    /// Another system's id for the client.
    #[schema(example = "crm-000123")]
    pub external_id: Option<&'a str>,
    #[schema(value_type = Object)]
    pub custom_fields: &'a Map<String, Value>,
    pub matters_count: i64,
    /// Increases with every change; also the ETag.
    pub version: i64,
    #[schema(value_type = String)]
    pub created_at: Shown<Timestamp>,
    #[schema(value_type = String)]
    pub updated_at: Shown<Timestamp>,
}

/// A value serialised as its `Display` text, without an intermediate `String`.
pub struct Shown<T>(pub T);

impl<T: std::fmt::Display> Serialize for Shown<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'a> From<&'a Client> for ClientView<'a> {
    fn from(c: &'a Client) -> Self {
        let f: &ClientFields = &c.fields;
        Self {
            id: Shown(c.id),
            kind: f.kind.as_str(),
            name: f.display_name(),
            first_name: f.first_name.as_deref(),
            last_name: f.last_name.as_deref(),
            email: f.email.as_ref().map(Shown),
            phone: f.phone.as_ref().map(Shown),
            phone_verified: f.phone.as_ref().map(Phone::is_verified),
            address: f.address.as_ref().map(AddressView::from),
            other_emails: f
                .other_emails
                .iter()
                .map(|e| LabeledEmailView { address: e.address.to_string(), label: e.label.clone() })
                .collect(),
            other_phones: f
                .other_phones
                .iter()
                .map(|p| LabeledPhoneView { number: p.number.to_string(), label: p.label.clone(), verified: p.number.is_verified() })
                .collect(),
            other_addresses: f
                .other_addresses
                .iter()
                .map(|a| LabeledAddressView { label: a.label.clone(), address: AddressView::from(&a.address) })
                .collect(),
            date_of_birth: f.date_of_birth.map(Shown),
            company_id: f.company_id.map(Shown),
            status: &f.status,
            tags: &f.tags,
            source: f.source.as_deref(),
            notes: f.notes.as_deref(),
            external_id: f.external_id.as_deref(),
            custom_fields: &f.custom_fields,
            matters_count: c.matters_count,
            version: c.version,
            created_at: Shown(c.created_at),
            updated_at: Shown(c.updated_at),
        }
    }
}

crate::contract_body!(ClientWrite, crate::domain::client::contract::CLIENT);
crate::contract_body!(ClientPatch, crate::domain::client::contract::CLIENT, patch);

#[derive(Serialize, ToSchema)]
pub struct ClientEnvelope<'a> {
    pub data: ClientView<'a>,
}

#[derive(Serialize, ToSchema)]
pub struct Pagination {
    pub limit: usize,
    pub has_more: bool,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Matching records in all pages; only with `include_total`. With
    /// `include_total=true` it is exact up to the server's limit (10,000 by
    /// default), and past it is that limit with `total_exact: false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Whether `total` counts every match (false: more than `total` match;
    /// `include_total=exact` counts them all). Only with `total`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_exact: Option<bool>,
}

impl Pagination {
    /// A page's pagination without a total.
    pub fn uncounted(limit: usize, next_cursor: Option<String>) -> Self {
        Self { limit, has_more: next_cursor.is_some(), next_cursor, total: None, total_exact: None }
    }

    /// A page's pagination with the total it was asked for, if any.
    pub fn counted(limit: usize, next_cursor: Option<String>, total: Option<Total>) -> Self {
        Self { total: total.map(|t| t.count), total_exact: total.map(|t| t.exact), ..Self::uncounted(limit, next_cursor) }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ClientList<'a> {
    pub data: Vec<ClientView<'a>>,
    pub pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyView {
    #[schema(example = "key_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    pub id: String,
    pub name: Option<String>,
    /// The secret's first characters, to tell keys apart.
    #[schema(example = "clt_a1B2c3")]
    pub prefix: String,
    #[schema(value_type = Vec<crate::api::openapi::ScopeName>, example = json!(["clients:read", "clients:write"]))]
    pub scopes: Vec<&'static str>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    /// The staff user this key acts for, if any.
    pub user_id: Option<String>,
    /// The key's own rate limit (requests a minute), if it has one.
    pub rate_limit_per_minute: Option<u32>,
    /// Only in the response that creates the key: store it now, it is never shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<&ApiKey> for ApiKeyView {
    fn from(k: &ApiKey) -> Self {
        Self {
            id: k.id.to_string(),
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            scopes: k.scopes.iter().map(|s| s.as_str()).collect(),
            created_at: k.created_at.to_string(),
            last_used_at: k.last_used_at.map(|t| t.to_string()),
            expires_at: k.expires_at.map(|t| t.to_string()),
            revoked_at: k.revoked_at.map(|t| t.to_string()),
            user_id: k.user_id.map(|u| u.to_string()),
            rate_limit_per_minute: k.rate_limit_per_minute,
            secret: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyEnvelope {
    pub data: ApiKeyView,
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyList {
    pub data: Vec<ApiKeyView>,
    pub pagination: Pagination,
}

crate::contract_body!(ApiKeyCreate, crate::domain::api_key::contract::KEY);

#[derive(Serialize, ToSchema)]
pub struct FirmView {
    pub id: String,
    pub name: String,
    pub default_phone_region: String,
    pub client_statuses: Vec<String>,
    pub retention_days: u32,
}

#[derive(Serialize, ToSchema)]
pub struct MeView {
    pub firm: FirmView,
    /// The key making the request; `null` for a console session.
    pub key: Option<ApiKeyView>,
    /// The staff user the key belongs to, or who signed in; `null` for a
    /// key of no user.
    pub user: Option<super::record_views::UserView>,
    #[schema(value_type = Vec<crate::api::openapi::ScopeName>)]
    pub scopes: Vec<&'static str>,
}

#[derive(Serialize, ToSchema)]
pub struct MeEnvelope {
    pub data: MeView,
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub id: String,
    /// Position in the firm's event log; pass the last one seen as `after`.
    pub seq: i64,
    #[schema(example = "client.updated")]
    #[serde(rename = "type")]
    pub kind: String,
    pub resource_type: String,
    pub resource_id: String,
    /// The key that made the change; null for the operator's CLI.
    pub actor_key_id: Option<String>,
    /// The staff user the key belongs to, if any.
    pub actor_user_id: Option<String>,
    pub request_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    pub created_at: String,
}

impl From<&Event> for EventView {
    fn from(e: &Event) -> Self {
        Self {
            id: e.id.to_string(),
            seq: e.seq,
            kind: e.kind.clone(),
            resource_type: e.resource_type.clone(),
            resource_id: e.resource_id.clone(),
            actor_key_id: e.actor_key_id.map(|k| k.to_string()),
            actor_user_id: e.actor_user_id.map(|u| u.to_string()),
            request_id: e.request_id.clone(),
            before: e.before.clone(),
            after: e.after.clone(),
            created_at: e.created_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventList {
    pub data: Vec<EventView>,
    pub pagination: EventPagination,
}

#[derive(Serialize, ToSchema)]
pub struct EventPagination {
    pub limit: usize,
    pub has_more: bool,
    /// Pass as `after` for the next page.
    pub next_after: Option<i64>,
}

/// A record as `fields=` chose it: `id` and the fields named, nothing else.
#[derive(ToSchema)]
#[allow(dead_code)] // documents responses; handlers render the chosen fields as JSON
pub struct SparseRecord {
    #[schema(example = "cli_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    id: String,
}

/// The whole record, or with `fields=` only the chosen ones.
fn full_or_sparse(full: &str) -> utoipa::openapi::schema::AnyOfBuilder {
    use utoipa::openapi::schema::AnyOfBuilder;
    use utoipa::openapi::Ref;
    AnyOfBuilder::new()
        .item(Ref::from_schema_name(full))
        .item(Ref::from_schema_name("SparseRecord"))
        .description(Some("The whole record; with `fields=`, only `id` and the fields named."))
}

fn list_of(item: utoipa::openapi::schema::AnyOfBuilder) -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new().items(item).build()
}

fn client_or_sparse() -> utoipa::openapi::schema::AnyOfBuilder {
    full_or_sparse("ClientView")
}

fn clients_or_sparse() -> utoipa::openapi::schema::Array {
    list_of(client_or_sparse())
}

fn matter_or_sparse() -> utoipa::openapi::schema::AnyOfBuilder {
    full_or_sparse("MatterView")
}

fn matters_or_sparse() -> utoipa::openapi::schema::Array {
    list_of(matter_or_sparse())
}

/// A client read with optional `fields=` (and `expand=matters`).
#[derive(ToSchema)]
#[allow(dead_code)] // documents responses
pub struct ClientReadEnvelope {
    #[schema(schema_with = client_or_sparse)]
    data: serde_json::Value,
}

/// A page of clients read with optional `fields=`.
#[derive(ToSchema)]
#[allow(dead_code)] // documents responses
pub struct ClientReadList {
    #[schema(schema_with = clients_or_sparse)]
    data: serde_json::Value,
    pagination: Pagination,
}

/// A matter read with optional `fields=`.
#[derive(ToSchema)]
#[allow(dead_code)] // documents responses
pub struct MatterReadEnvelope {
    #[schema(schema_with = matter_or_sparse)]
    data: serde_json::Value,
}

/// A page of matters read with optional `fields=`.
#[derive(ToSchema)]
#[allow(dead_code)] // documents responses
pub struct MatterReadList {
    #[schema(schema_with = matters_or_sparse)]
    data: serde_json::Value,
    pagination: Pagination,
}
