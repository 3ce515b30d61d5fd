//! API keys: minted, listed and revoked by admins.

use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::{ApiKey, Scope, Scopes, Secret};
use crate::domain::firm::Firm;
use crate::domain::ids::{KeyId, UserId};
use crate::domain::record::{RecordKind, Reference, Target};
use crate::domain::time::Timestamp;
use crate::store::{StoreError, Write};

/// The highest per-key or per-firm rate limit one may set (requests a minute).
pub const MAX_RATE_LIMIT: u32 = 1_000_000;

/// A key just made, with the secret that exists only in this value.
pub struct NewKey {
    pub key: ApiKey,
    pub secret: Secret,
}

/// What an admin asks for when minting a key.
pub struct KeyRequest {
    pub name: Option<String>,
    pub scopes: Scopes,
    pub expires_at: Option<Timestamp>,
    /// The staff user the key acts for.
    pub user_id: Option<UserId>,
    /// Requests a minute; `None`: the firm's or the server's limit.
    pub rate_limit_per_minute: Option<u32>,
}

pub(super) fn new_key(
    firm: &Firm,
    name: Option<String>,
    scopes: Scopes,
    expires_at: Option<Timestamp>,
    user_id: Option<UserId>,
    secret: &Secret,
) -> ApiKey {
    ApiKey {
        id: KeyId::generate(),
        firm_id: firm.id,
        name,
        prefix: secret.display_prefix(),
        secret_hash: secret.hash(),
        scopes,
        created_at: Timestamp::now(),
        last_used_at: None,
        expires_at,
        revoked_at: None,
        user_id,
        rate_limit_per_minute: None,
    }
}

/// A key as the audit log keeps it: never the secret or its hash.
pub(super) fn snapshot(key: &ApiKey) -> serde_json::Value {
    serde_json::json!({
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "scopes": key.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "user_id": key.user_id,
        "rate_limit_per_minute": key.rate_limit_per_minute,
    })
}

impl Service {
    pub async fn create_key(&self, actor: &Actor, request: KeyRequest) -> ServiceResult<NewKey> {
        actor.require(Scope::Admin)?;
        if request.scopes.is_empty() {
            return Err(ServiceError::invalid("scopes", "must name at least one scope"));
        }
        if request.expires_at.is_some_and(|t| t <= Timestamp::now()) {
            return Err(ServiceError::invalid("expires_at", "must be in the future"));
        }
        let no_such_user = || ServiceError::invalid("user_id", "is not a live user of this firm");
        if let Some(user) = request.user_id {
            self.live_user(actor, user).await.map_err(|e| match e {
                ServiceError::NotFound(_) => no_such_user(),
                other => other,
            })?;
        }
        let secret = Secret::generate();
        if request.rate_limit_per_minute.is_some_and(|n| !(1..=MAX_RATE_LIMIT).contains(&n)) {
            return Err(ServiceError::invalid("rate_limit_per_minute", format!("must be from 1 to {MAX_RATE_LIMIT}")));
        }
        let mut key = new_key(&actor.firm, request.name, request.scopes, request.expires_at, request.user_id, &secret);
        key.rate_limit_per_minute = request.rate_limit_per_minute;
        let event = actor.event("api_key.created", "api_key", key.id.to_string(), None, Some(snapshot(&key)));
        // The user must still be live when the key commits: a user deleted
        // meanwhile would otherwise keep a working key.
        let mut writes: Vec<Write> = key
            .user_id
            .map(|user| Write::RequireLive {
                firm: actor.firm.id,
                reference: Reference { on: "api_key", field: "user_id", target: Target::Record(RecordKind::User), id: user.as_uuid() },
            })
            .into_iter()
            .collect();
        writes.push(Write::InsertKey(key.clone()));
        writes.push(Write::Event(event));
        self.commit(writes).await.map_err(|e| match e {
            StoreError::MissingReference(_) => no_such_user(),
            other => other.into(),
        })?;
        Ok(NewKey { key, secret })
    }

    pub async fn list_keys(&self, actor: &Actor) -> ServiceResult<Vec<ApiKey>> {
        actor.require(Scope::Admin)?;
        Ok(self.store.list_keys(actor.firm.id).await?)
    }

    pub async fn get_key(&self, actor: &Actor, id: KeyId) -> ServiceResult<ApiKey> {
        // Any key may look itself up (`/v1/me`); other keys need admin.
        if actor.key_id != Some(id) {
            actor.require(Scope::Admin)?;
        }
        self.store.get_key(actor.firm.id, id).await?.ok_or(ServiceError::NotFound("API key"))
    }

    /// Revokes a key at once. Revoking twice is not an error: the key is revoked.
    pub async fn revoke_key(&self, actor: &Actor, id: KeyId) -> ServiceResult<ApiKey> {
        actor.require(Scope::Admin)?;
        let key = self.store.get_key(actor.firm.id, id).await?.ok_or(ServiceError::NotFound("API key"))?;
        if key.revoked_at.is_some() {
            return Ok(key);
        }
        let mut revoked = key.clone();
        revoked.revoked_at = Some(Timestamp::now());
        let event = actor.event("api_key.revoked", "api_key", id.to_string(), Some(snapshot(&key)), Some(snapshot(&revoked)));
        let revoke = Write::RevokeKey { firm: actor.firm.id, id, at: revoked.revoked_at.unwrap_or_else(Timestamp::now) };
        let result = self.commit(vec![revoke, Write::Event(event)]).await;
        self.keys.clear();
        match result {
            Ok(_) => Ok(revoked),
            // Revoked by someone else in the meantime: the outcome is the same.
            Err(crate::store::StoreError::NotFound) => self.get_key(actor, id).await,
            Err(e) => Err(e.into()),
        }
    }
}
