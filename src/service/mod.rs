//! The service layer: every rule lives here, once, for every surface (the
//! canonical API, the vendor dialects and the CLI). It authorises the actor,
//! validates input into domain types, and asks the store for one transaction
//! per change, event included.

pub mod auth;
pub mod clients;
pub mod cursor;
pub mod events;
pub mod firms;
pub mod keys;
pub mod retention;

use std::sync::Arc;

use serde_json::Value;

use crate::domain::api_key::{Scope, Scopes};
use crate::domain::event::Event;
use crate::domain::field::FieldError;
use crate::domain::firm::Firm;
use crate::domain::ids::{EventId, KeyId};
use crate::domain::time::Timestamp;
use crate::store::{Store, StoreError};

/// What went wrong, in terms every surface can render its own way.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("missing or invalid API key")]
    Unauthenticated,
    #[error("the API key lacks the `{0}` scope")]
    InsufficientScope(Scope),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("another client of this firm already has this email")]
    DuplicateEmail,
    /// A `version` sent in the body is not the current one.
    #[error("version {sent} is not the current version {current}")]
    VersionConflict { sent: i64, current: i64 },
    /// An `If-Match` precondition did not hold.
    #[error("the If-Match precondition failed")]
    PreconditionFailed,
    #[error("the store is unavailable")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl ServiceError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(msg) => ServiceError::Unavailable(msg),
            StoreError::Duplicate(crate::store::Unique::ClientEmail) => ServiceError::DuplicateEmail,
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// Who is asking: an authenticated key of one firm, or the operator at the CLI.
#[derive(Debug, Clone)]
pub struct Actor {
    pub firm: Firm,
    pub key_id: Option<KeyId>,
    pub scopes: Scopes,
    /// Carried into audit events so a change can be traced to its request.
    pub request_id: Option<String>,
}

impl Actor {
    pub fn require(&self, scope: Scope) -> ServiceResult<()> {
        if self.scopes.allows(scope) {
            Ok(())
        } else {
            Err(ServiceError::InsufficientScope(scope))
        }
    }

    /// The audit event for a change this actor makes.
    pub fn event(&self, kind: &str, resource_type: &str, resource_id: String, before: Option<Value>, after: Option<Value>) -> Event {
        Event {
            id: EventId::generate(),
            seq: 0,
            firm_id: self.firm.id,
            kind: kind.to_string(),
            resource_type: resource_type.to_string(),
            resource_id,
            actor_key_id: self.key_id,
            request_id: self.request_id.clone(),
            before,
            after,
            created_at: Timestamp::now(),
        }
    }
}

/// The service: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Service {
    store: Arc<dyn Store>,
}

impl Service {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub async fn ready(&self) -> ServiceResult<()> {
        Ok(self.store.ping().await?)
    }
}
