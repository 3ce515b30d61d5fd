//! The service layer: every rule lives here, once, for every surface (the
//! canonical API, the vendor dialects and the CLI). It authorises the actor,
//! validates input into domain types, and asks the store for one transaction
//! per change, event included.

pub mod auth;
pub mod batch;
pub mod change;
pub mod clients;
pub mod cursor;
pub mod custom_actions;
pub mod custom_fields;
pub mod erasure;
pub mod duplicates;
pub mod events;
pub mod export;
pub mod firms;
pub mod idempotency;
pub mod intake;
pub mod keys;
pub mod leads;
pub mod matters;
pub mod merges;
pub mod notes;
pub mod person;
pub mod paging;
pub mod precondition;
pub mod rate_limit;
pub mod records;
pub mod retention;
pub mod sessions;
pub mod users;
pub mod dispatch;
pub mod webhooks;

use std::sync::Arc;

use serde_json::Value;

use crate::domain::api_key::{Scope, Scopes};
use crate::domain::event::Event;
use crate::domain::field::FieldError;
use crate::domain::firm::Firm;
use crate::domain::ids::{ClientId, EventId, KeyId, SessionId, UserId};
use crate::domain::time::Timestamp;
use crate::store::{Store, StoreError};

/// What went wrong, in terms every surface can render its own way.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("missing or invalid API key (or console session)")]
    Unauthenticated,
    /// A sign-in whose firm, email or password is wrong, or whose account
    /// is locked: which of them is not said.
    #[error("the firm, email or password is wrong, or the account is locked after repeated failures")]
    SignInFailed,
    /// A request authenticated by the session cookie that may change
    /// something came without the session's CSRF token.
    #[error("missing or wrong X-CSRF-Token")]
    CsrfTokenInvalid,
    #[error("the API key lacks the `{0}` scope")]
    InsufficientScope(Scope),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The client was merged into another (whose integer id is `into_seq`):
    /// not found, with where it went.
    #[error("the client was merged into {into}")]
    Merged { into: ClientId, into_seq: i64 },
    #[error("another record of this firm already has this email")]
    DuplicateEmail,
    #[error("a custom field with this key already exists for this entity")]
    DuplicateKey,
    #[error("another record of this firm already has this external_id")]
    DuplicateExternalId,
    /// An operation of an atomic batch failed, so this one was not applied.
    #[error("not applied: operation {failed} of this atomic batch failed, so none was applied")]
    BatchAborted { failed: usize },
    /// The client still has open or pending matters.
    #[error("the client has open or pending matters; close or move them first")]
    ClientHasOpenMatters,
    #[error("the lead has already been converted")]
    LeadAlreadyConverted,
    /// A `custom_action_nonce` that is unknown, used, expired or another firm's.
    #[error("the custom action nonce is invalid, used or expired")]
    InvalidNonce,
    /// The idempotency key was used before with a different request.
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    /// The first request with this idempotency key is still running.
    #[error("a request with this Idempotency-Key is still in progress")]
    IdempotencyInProgress,
    /// The first request with this idempotency key made its change, but its
    /// response was lost (the server stopped before keeping it).
    #[error("the request with this Idempotency-Key was applied, but its response was lost: the change is made; read the record instead of retrying")]
    IdempotencyResponseLost,
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
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
            StoreError::Duplicate(crate::store::Unique::ClientExternalId) => ServiceError::DuplicateExternalId,
            StoreError::MissingReference(r) => ServiceError::invalid(r.field, r.target.expectation()),
            // Another request with the same idempotency key changed it first.
            StoreError::Duplicate(crate::store::Unique::IdempotencyKey) => ServiceError::IdempotencyInProgress,
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
    /// The staff user the key belongs to, or who signed in, if any.
    pub user_id: Option<UserId>,
    /// The console session the request came with, if it came with one.
    pub session: Option<SessionId>,
    pub scopes: Scopes,
    /// The key's own rate limit (requests a minute), if it has one.
    pub rate_limit: Option<u32>,
    /// Carried into audit events so a change can be traced to its request.
    pub request_id: Option<String>,
}

impl Actor {
    /// The operator at the CLI, or the server itself: admin of one firm, no key.
    pub fn operator(firm: Firm) -> Self {
        Actor { firm, key_id: None, user_id: None, session: None, scopes: Scopes::new(vec![Scope::Admin]), rate_limit: None, request_id: None }
    }

    pub fn require(&self, scope: Scope) -> ServiceResult<()> {
        if self.scopes.allows(scope) {
            Ok(())
        } else {
            Err(ServiceError::InsufficientScope(scope))
        }
    }

    /// The audit event for a change this actor makes.
    pub fn event(&self, kind: &str, resource_type: &str, resource_id: String, before: Option<Value>, after: Option<Value>) -> Event {
        // Subscriptions are checked against this list (and the OpenAPI
        // document describes it): a type missing from it can't be asked for.
        debug_assert!(
            crate::domain::webhook::event_types().iter().any(|t| t == kind),
            "event type {kind} is missing from domain::webhook::event_types"
        );
        Event {
            id: EventId::generate(),
            seq: 0,
            firm_id: self.firm.id,
            kind: kind.to_string(),
            resource_type: resource_type.to_string(),
            resource_id,
            actor_key_id: self.key_id,
            actor_user_id: self.user_id,
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
    limits: Arc<Limits>,
    keys: Arc<auth::KeyCache>,
    webhooks: Arc<webhooks::Webhooks>,
}

/// Rate limits (the limiter and the server-wide defaults), and how far a
/// list's total is counted exactly.
pub struct Limits {
    pub limiter: rate_limit::RateLimiter,
    /// Requests a minute per API key unless the key or its firm says otherwise.
    pub per_key_per_minute: u32,
    /// Failed authentications a minute per client address.
    pub failed_auth_per_minute: u32,
    /// How long a verified API key is trusted without asking the store: the
    /// longest a key revoked on another node (or by the CLI) keeps working
    /// here. Zero asks the store on every request.
    pub key_cache_ttl: std::time::Duration,
    /// Matches `include_total=true` counts exactly; past it the total is
    /// this many, marked as not exact (`include_total=exact` counts them all).
    pub count_exact_up_to: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            limiter: rate_limit::RateLimiter::local(),
            per_key_per_minute: 600,
            failed_auth_per_minute: 30,
            key_cache_ttl: auth::KEY_CACHE_TTL,
            count_exact_up_to: paging::COUNT_EXACT_UP_TO,
        }
    }
}

impl Service {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_limits(store, Limits::default())
    }

    pub fn with_limits(store: Arc<dyn Store>, limits: Limits) -> Self {
        let keys = Arc::new(auth::KeyCache::new(limits.key_cache_ttl));
        let webhooks = Arc::new(webhooks::Webhooks::new(webhooks::WebhookSettings::default()));
        Self { store, limits: Arc::new(limits), keys, webhooks }
    }

    /// This service, delivering webhooks as `settings` say.
    pub fn with_webhook_settings(mut self, settings: webhooks::WebhookSettings) -> Self {
        self.webhooks = Arc::new(webhooks::Webhooks::new(settings));
        self
    }

    /// The store this service runs on (for a second node in tests and tools).
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    pub fn pool_status(&self) -> crate::store::PoolStatus {
        self.store.pool_status()
    }

    pub async fn ready(&self) -> ServiceResult<()> {
        Ok(self.store.ping().await?)
    }
}
