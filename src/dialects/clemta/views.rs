//! Clemta's shapes of a contact, one and many.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::dialects::common::{custom, unix_seconds};
use crate::domain::client::Client;

use super::writes::is_billing_key;
use super::{BCC_KEY, BILLING_KEY, CC_KEY, TYPES, TYPE_KEY};

/// Billing details, each a string; only the keys sent are shown.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[schema(as = ClemtaBilling)]
pub struct Billing {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) phone_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) iso_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) address_1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) address_2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) district: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) province: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tax_id: Option<String>,
}

impl Billing {
    /// The stored billing object's known string keys (anything else another
    /// surface may have put there is not Clemta's to show).
    pub(super) fn from_stored(stored: Option<&Value>) -> Self {
        let Some(Value::Object(stored)) = stored else { return Self::default() };
        let known: Map<String, Value> =
            stored.iter().filter(|(k, v)| is_billing_key(k) && v.is_string()).map(|(k, v)| (k.clone(), v.clone())).collect();
        serde_json::from_value(Value::Object(known)).unwrap_or_default()
    }
}

/// A contact, as Create and Get return it.
#[derive(Serialize, ToSchema)]
#[schema(as = ClemtaContact)]
pub struct ContactView {
    /// The record's UUID.
    #[schema(example = "0190f3a2-5b7c-7d8e-9f01-23456789abcd")]
    pub(super) id: String,
    /// Unix seconds.
    #[schema(example = 1640995200)]
    pub(super) created_at: i64,
    /// Unix seconds.
    #[schema(example = 1640995200)]
    pub(super) updated_at: i64,
    /// `customer` or `vendor`.
    #[serde(rename = "type")]
    #[schema(value_type = ClemtaContactTypeName, example = "customer")]
    pub(super) contact_type: String,
    #[schema(example = "active")]
    pub(super) status: String,
    #[schema(example = "John Doe")]
    pub(super) full_name: String,
    pub(super) email: Option<String>,
    pub(super) description: Option<String>,
    pub(super) cc_emails: Vec<String>,
    pub(super) bcc_emails: Vec<String>,
    pub(super) billing: Billing,
}

impl ContactView {
    pub(super) fn new(c: &Client) -> Self {
        let f = &c.fields;
        let contact_type = custom(c, TYPE_KEY).and_then(Value::as_str).filter(|t| TYPES.contains(t));
        Self {
            id: c.id.as_uuid().hyphenated().to_string(),
            created_at: unix_seconds(c.created_at),
            updated_at: unix_seconds(c.updated_at),
            // A firm's client that never said otherwise is its customer.
            contact_type: contact_type.unwrap_or("customer").to_string(),
            status: f.status.clone(),
            full_name: f.display_name(),
            email: f.email.as_ref().map(|e| e.as_str().to_string()),
            description: f.notes.clone(),
            cc_emails: strings(custom(c, CC_KEY)),
            bcc_emails: strings(custom(c, BCC_KEY)),
            billing: Billing::from_stored(custom(c, BILLING_KEY)),
        }
    }
}

fn strings(stored: Option<&Value>) -> Vec<String> {
    let items = stored.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    items.iter().filter_map(Value::as_str).map(str::to_string).collect()
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClemtaContactEnvelope)]
pub struct ContactEnvelope {
    #[schema(example = true)]
    pub(super) success: bool,
    #[schema(example = "Contact created successfully")]
    pub(super) message: &'static str,
    pub(super) data: ContactView,
}

impl ContactEnvelope {
    pub(super) fn new(message: &'static str, client: &Client) -> Self {
        Self { success: true, message, data: ContactView::new(client) }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClemtaPagination)]
pub struct Pagination {
    pub(super) page: u64,
    pub(super) limit: u64,
    pub(super) total: u64,
    pub(super) has_more: bool,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClemtaContactList)]
pub struct ContactList {
    #[schema(example = true)]
    pub(super) success: bool,
    #[schema(example = "Contacts retrieved successfully")]
    pub(super) message: &'static str,
    pub(super) data: Vec<ContactView>,
    pub(super) pagination: Pagination,
}

crate::names!(ClemtaContactTypeName, "`customer` or `vendor`.", TYPES.iter().map(|t| t.to_string()));
