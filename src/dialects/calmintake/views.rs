//! CalmIntake's shapes of a client, its matters and a page of clients.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::domain::client::{Address, Client};
use crate::domain::matter::MatterStatus;
use crate::service::matters::MatterSummary;

/// CalmIntake's address: `state` and `zip` for the canonical `region` and `postal_code`.
#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeAddress)]
pub struct AddressView {
    pub(super) line1: Option<String>,
    pub(super) line2: Option<String>,
    pub(super) city: Option<String>,
    pub(super) state: Option<String>,
    pub(super) zip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) country: Option<String>,
}

impl From<&Address> for AddressView {
    fn from(a: &Address) -> Self {
        Self {
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            state: a.region.clone(),
            zip: a.postal_code.clone(),
            country: a.country.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeMatter)]
pub struct MatterView {
    #[schema(example = "mat_01HXYZ")]
    pub(super) id: String,
    pub(super) title: String,
    /// `active` (open), `pending` or `closed`.
    #[schema(value_type = CalmintakeMatterStatusName, example = "active")]
    pub(super) status: &'static str,
    pub(super) practice_area: Option<String>,
}

impl From<&MatterSummary> for MatterView {
    fn from(m: &MatterSummary) -> Self {
        let status = match m.status {
            MatterStatus::Open => "active",
            MatterStatus::Pending => "pending",
            MatterStatus::Closed => "closed",
        };
        Self { id: m.id.to_string(), title: m.title.clone(), status, practice_area: m.practice_area.clone() }
    }
}

/// What a write shows a key that may not read clients ([`crate::api::written`]).
pub(super) const OWNED: &[&str] = &["id", "created_at", "updated_at"];

/// The fields the server owns, which a read-modify-write may send back
/// unchanged ([`crate::api::echoed`]).
pub(super) const READ_ONLY: &[&str] = &["id", "created_at", "updated_at", "matters_count", "matters"];

/// A client, as Get, Create and Update return it.

#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeClient)]
pub struct ClientView {
    #[schema(example = "cli_01HABC")]
    pub(super) id: String,
    pub(super) first_name: Option<String>,
    pub(super) last_name: Option<String>,
    pub(super) email: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) date_of_birth: Option<String>,
    pub(super) address: Option<AddressView>,
    pub(super) notes: Option<String>,
    #[schema(value_type = Object)]
    pub(super) custom_fields: Map<String, Value>,
    /// On Get and Update, for a key that may read the client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) matters: Option<Vec<MatterView>>,
    pub(super) matters_count: i64,
    pub(super) created_at: String,
    pub(super) updated_at: String,
}

impl ClientView {
    pub(super) fn new(c: &Client, matters: Option<&[MatterSummary]>) -> Self {
        let f = &c.fields;
        Self {
            id: c.id.to_string(),
            first_name: f.first_name.clone(),
            last_name: f.last_name.clone(),
            email: f.email.as_ref().map(|e| e.as_str().to_string()),
            phone: f.phone.as_ref().map(|p| p.as_str().to_string()),
            date_of_birth: f.date_of_birth.map(|d| d.to_string()),
            address: f.address.as_ref().map(AddressView::from),
            notes: f.notes.clone(),
            custom_fields: crate::dialects::common::custom_fields_shown(c),
            matters: matters.map(|ms| ms.iter().map(MatterView::from).collect()),
            matters_count: c.matters_count,
            created_at: c.created_at.to_string(),
            updated_at: c.updated_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeClientEnvelope)]
pub struct ClientEnvelope {
    pub(super) data: ClientView,
}

/// A client as List shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeClientSummary)]
pub struct ClientSummary {
    pub(super) id: String,
    pub(super) first_name: Option<String>,
    pub(super) last_name: Option<String>,
    pub(super) email: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) matters_count: i64,
    pub(super) created_at: String,
}

impl From<&Client> for ClientSummary {
    fn from(c: &Client) -> Self {
        let f = &c.fields;
        Self {
            id: c.id.to_string(),
            first_name: f.first_name.clone(),
            last_name: f.last_name.clone(),
            email: f.email.as_ref().map(|e| e.as_str().to_string()),
            phone: f.phone.as_ref().map(|p| p.as_str().to_string()),
            matters_count: c.matters_count,
            created_at: c.created_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakePagination)]
pub struct Pagination {
    pub(super) page: u64,
    pub(super) per_page: u64,
    pub(super) total: u64,
    pub(super) has_more: bool,
}

#[derive(Serialize, ToSchema)]
#[schema(as = CalmintakeClientList)]
pub struct ClientList {
    pub(super) data: Vec<ClientSummary>,
    pub(super) pagination: Pagination,
}

crate::names!(CalmintakeMatterStatusName, "`active` (open), `pending` or `closed`.", ["active", "pending", "closed"].map(String::from));
