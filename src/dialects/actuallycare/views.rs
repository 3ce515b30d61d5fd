//! ActuallyCare's shapes of a client and of a page of clients.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::api::written::written;
use crate::dialects::common::custom;
use crate::domain::api_key::Scope;
use crate::domain::client::{Client, ClientKind};
use crate::domain::phone::{Phone, Region};

use super::writes::VENDOR_ONLY;

/// Whether the client buys, sells, or both.
#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
#[schema(as = ActuallycareClientType)]
pub enum ClientType {
    Buyer,
    Seller,
    Both,
}

impl ClientType {
    pub(super) const EXPECTED: &'static str = "must be one of buyer, seller, both";

    pub(super) fn parse(s: &str) -> Option<Self> {
        match s {
            "buyer" => Some(ClientType::Buyer),
            "seller" => Some(ClientType::Seller),
            "both" => Some(ClientType::Both),
            _ => None,
        }
    }

    pub(super) fn as_str(self) -> &'static str {
        match self {
            ClientType::Buyer => "buyer",
            ClientType::Seller => "seller",
            ClientType::Both => "both",
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycarePropertyPreferences)]
pub struct PropertyPreferences {
    #[schema(value_type = Option<f64>, example = 3)]
    pub(super) bedrooms_min: Option<Value>,
    #[schema(value_type = Option<f64>, example = 2)]
    pub(super) bathrooms_min: Option<Value>,
    #[schema(value_type = Option<f64>, example = 1800)]
    pub(super) square_feet_min: Option<Value>,
    pub(super) property_types: Option<Vec<String>>,
}

impl PropertyPreferences {
    /// The stored object's well-typed parts (another surface may have stored
    /// anything under this key; it is shown there as it is).
    pub(super) fn from_stored(value: &Value) -> Option<Self> {
        let obj = value.as_object()?;
        let number = |key: &str| obj.get(key).filter(|v| v.is_number()).cloned();
        Some(Self {
            bedrooms_min: number("bedrooms_min"),
            bathrooms_min: number("bathrooms_min"),
            square_feet_min: number("square_feet_min"),
            property_types: obj.get("property_types").and_then(strings),
        })
    }
}

/// A client, as every operation returns it.
#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareClient)]
pub struct ClientView {
    #[schema(example = "a3f8c1d2-6b4e-4a9f-8d27-95c0e3b1f684")]
    pub(super) id: String,
    /// The agent responsible for the client (kept as given).
    pub(super) user_id: Option<String>,
    pub(super) first_name: Option<String>,
    pub(super) last_name: Option<String>,
    /// Only for a company client (made through another surface), which has no first or last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) company_name: Option<String>,
    pub(super) email: Option<String>,
    /// National form for numbers of the firm's (North American) phone region
    /// (`(661) 555-0142`, an extension as ` x89`), else E.164; a number that
    /// can't exist exactly as it was written.
    #[schema(example = "(661) 555-0142")]
    pub(super) phone: Option<String>,
    pub(super) client_type: Option<ClientType>,
    /// `active`, `inactive` or `closed` (the firm's client statuses).
    #[schema(example = "active")]
    pub(super) status: String,
    #[schema(example = "Zillow")]
    pub(super) source: Option<String>,
    #[schema(value_type = Option<f64>, example = 350000)]
    pub(super) budget_min: Option<Value>,
    #[schema(value_type = Option<f64>, example = 475000)]
    pub(super) budget_max: Option<Value>,
    /// `[]` when unset, as the seed shows an array.
    pub(super) preferred_locations: Vec<String>,
    /// `{}` when unset, as the seed shows an object.
    #[schema(value_type = PropertyPreferences)]
    pub(super) property_preferences: Value,
    pub(super) pre_approved: Option<bool>,
    #[schema(value_type = Option<f64>, example = 460000)]
    pub(super) pre_approval_amount: Option<Value>,
    pub(super) notes: Option<String>,
    pub(super) tags: Vec<String>,
    /// The client's other custom fields (the ones above are not repeated here).
    #[schema(value_type = Object)]
    pub(super) custom_fields: Map<String, Value>,
    /// Send it back with PUT to make the update conditional on it.
    #[schema(example = 1)]
    pub(super) version: i64,
    #[schema(example = "2026-07-01T22:49:27.331Z")]
    pub(super) created_at: String,
    #[schema(example = "2026-07-01T22:49:27.331Z")]
    pub(super) updated_at: String,
}

impl ClientView {
    pub(super) fn new(c: &Client, region: &Region) -> Self {
        let f = &c.fields;
        let number = |key: &str| custom(c, key).filter(|v| v.is_number()).cloned();
        let text = |key: &str| custom(c, key).and_then(Value::as_str).map(str::to_string);
        Self {
            id: c.id.as_uuid().hyphenated().to_string(),
            user_id: text("user_id"),
            first_name: f.first_name.clone(),
            last_name: f.last_name.clone(),
            company_name: (f.kind == ClientKind::Company).then(|| f.company_name.clone()).flatten(),
            email: f.email.as_ref().map(|e| e.as_str().to_string()),
            phone: f.phone.as_ref().map(|p| phone_view(p, region)),
            client_type: custom(c, "client_type").and_then(Value::as_str).and_then(ClientType::parse),
            status: f.status.clone(),
            source: f.source.clone(),
            budget_min: number("budget_min"),
            budget_max: number("budget_max"),
            // Code written for the seed calls `.map` and reads keys without
            // checking for null: an unset collection is an empty one.
            preferred_locations: custom(c, "preferred_locations").and_then(strings).unwrap_or_default(),
            property_preferences: custom(c, "property_preferences")
                .and_then(PropertyPreferences::from_stored)
                .and_then(|p| serde_json::to_value(p).ok())
                .unwrap_or_else(|| Value::Object(Map::new())),
            pre_approved: custom(c, "pre_approved").and_then(Value::as_bool),
            pre_approval_amount: number("pre_approval_amount"),
            notes: f.notes.clone(),
            tags: f.tags.clone(),
            custom_fields: crate::dialects::common::custom_fields_shown(c)
                .into_iter()
                .filter(|(k, _)| !VENDOR_ONLY.contains(&k.as_str()))
                .collect(),
            version: c.version,
            created_at: c.created_at.to_string(),
            updated_at: c.updated_at.to_string(),
        }
    }
}

/// `(661) 555-0142 x89` for a number of the firm's (North American) region;
/// E.164 otherwise (which reads back as the same number either way); a
/// number that can't exist as it was written.
pub(super) fn phone_view(phone: &Phone, region: &Region) -> String {
    phone.shown(Some(region), " x")
}

pub(super) fn strings(value: &Value) -> Option<Vec<String>> {
    value.as_array()?.iter().map(|s| s.as_str().map(str::to_string)).collect()
}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareClientEnvelope)]
pub struct ClientEnvelope {
    #[schema(example = true)]
    pub(super) success: bool,
    pub(super) data: ClientView,
}

impl ClientEnvelope {
    pub(super) fn new(client: &Client, region: &Region) -> Self {
        Self { success: true, data: ClientView::new(client, region) }
    }
}

/// A written client in the envelope, as `actor` may see it ([`crate::api::written`]).
pub(super) fn written_envelope(actor: &crate::service::Actor, client: &Client) -> Value {
    serde_json::json!({ "success": true, "data": shown(actor, client) })
}

/// What a write shows a key that may not read clients ([`crate::api::written`]).
const OWNED: &[&str] = &["id", "version", "created_at", "updated_at"];

/// The fields the server owns, which a PUT may send back unchanged
/// ([`crate::api::echoed`]); `version` is the PUT's precondition instead.
pub(super) const READ_ONLY: &[&str] = &["id", "company_name", "created_at", "updated_at"];

/// `client` as `actor` may see it.
pub(super) fn shown(actor: &crate::service::Actor, client: &Client) -> Value {
    let view = ClientView::new(client, &actor.firm.settings.phone_region());
    written(actor, Scope::ClientsRead, view, OWNED)
}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareMeta)]
pub struct Meta {
    #[schema(example = 1)]
    pub(super) page: u64,
    #[schema(example = 25)]
    pub(super) limit: u64,
    #[schema(example = 42)]
    pub(super) total: u64,
    #[serde(rename = "totalPages")]
    #[schema(example = 2)]
    pub(super) total_pages: u64,
    #[serde(rename = "hasMore")]
    #[schema(example = true)]
    pub(super) has_more: bool,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareClientPage)]
pub struct ClientPage {
    pub(super) clients: Vec<ClientView>,
    pub(super) meta: Meta,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareClientList)]
pub struct ClientList {
    #[schema(example = true)]
    pub(super) success: bool,
    pub(super) data: ClientPage,
}

/// Always empty: the client is gone.
#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareEmpty)]
pub struct Empty {}

#[derive(Serialize, ToSchema)]
#[schema(as = ActuallycareDeleted)]
pub struct Deleted {
    #[schema(example = true)]
    pub(super) success: bool,
    pub(super) data: Empty,
    #[schema(example = "2026-07-15T14:32:10.000Z")]
    pub(super) timestamp: String,
}
