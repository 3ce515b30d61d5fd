//! Full Engage's shape of a client, one and many.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::json::Json;
use crate::api::written::written;
use crate::domain::api_key::Scope;
use crate::domain::client::Client;

/// A client, as every operation returns it.
#[derive(Serialize, ToSchema)]
#[schema(as = FullEngageClient)]
#[serde(rename_all = "camelCase")]
pub struct ClientView {
    #[schema(example = "a3f8c1d2-6b4e-4a9f-8d27-95c0e3b1f684")]
    pub(super) id: String,
    /// A person's first and last name, or a company's name.
    #[schema(example = "John Doe")]
    pub(super) name: String,
    /// E.164 (an extension as ` x12`) for a number that can exist in its
    /// country's plan; otherwise exactly as it was written.
    #[schema(example = "+1 555-1234")]
    pub(super) phone: Option<String>,
    /// `active` or `inactive` (or another of the firm's client statuses).
    #[schema(example = "active")]
    pub(super) status: String,
    pub(super) notes: Option<String>,
    #[schema(example = "2026-07-15T14:32:10.000Z")]
    pub(super) created_at: String,
    #[schema(example = "2026-07-15T14:32:10.000Z")]
    pub(super) updated_at: String,
}

impl From<&Client> for ClientView {
    fn from(c: &Client) -> Self {
        let f = &c.fields;
        Self {
            id: c.id.as_uuid().hyphenated().to_string(),
            name: f.display_name(),
            phone: f.phone.as_ref().map(|p| p.shown(None, " x")),
            status: f.status.clone(),
            notes: f.notes.clone(),
            created_at: c.created_at.to_string(),
            updated_at: c.updated_at.to_string(),
        }
    }
}

/// The fields the server owns: all a write shows a key that may not read
/// clients, and all a read-modify-write may send back unchanged.
pub(super) const OWNED: &[&str] = &["id", "createdAt", "updatedAt"];

/// A written client in the envelope, as `actor` may see it ([`crate::api::written`]).
pub(super) fn written_envelope(actor: &crate::service::Actor, client: &Client) -> Json<Value> {
    Json(serde_json::json!({ "data": written(actor, Scope::ClientsRead, ClientView::from(client), OWNED) }))
}

#[derive(Serialize, ToSchema)]
#[schema(as = FullEngageClientEnvelope)]
pub struct ClientEnvelope {
    pub(super) data: ClientView,
}

impl ClientEnvelope {
    pub(super) fn of(client: &Client) -> Json<Self> {
        Json(Self { data: ClientView::from(client) })
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = FullEngageClientList)]
pub struct ClientList {
    pub(super) data: Vec<ClientView>,
    /// Every client that matches, across all pages.
    #[schema(example = 42)]
    pub(super) total: u64,
}

#[derive(Serialize, ToSchema)]
#[schema(as = FullEngageDeleted)]
pub struct Deleted {
    #[schema(example = true)]
    pub(super) success: bool,
}
