//! Audit events: one per mutation, written in the mutation's transaction.

use serde_json::Value;

use super::ids::{EventId, FirmId, KeyId, UserId};
use super::time::Timestamp;

#[derive(Debug, Clone)]
pub struct Event {
    pub id: EventId,
    /// Position in the firm's event log (1, 2, 3, … per firm, in commit order),
    /// assigned by the store when written (0 before).
    pub seq: i64,
    pub firm_id: FirmId,
    /// `client.created`, `api_key.revoked`, …
    pub kind: String,
    pub resource_type: String,
    /// The affected record's public id (`cli_…`).
    pub resource_id: String,
    /// The key that made the change; `None` for the CLI and the server itself.
    pub actor_key_id: Option<KeyId>,
    /// The staff user the key belongs to, if any.
    pub actor_user_id: Option<UserId>,
    pub request_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub created_at: Timestamp,
}
