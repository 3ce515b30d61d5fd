//! API keys: minted, listed and revoked by admins.

use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::{ApiKey, Scope, Scopes, Secret};
use crate::domain::firm::Firm;
use crate::domain::ids::KeyId;
use crate::domain::time::Timestamp;

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
}

pub(super) fn new_key(firm: &Firm, name: Option<String>, scopes: Scopes, expires_at: Option<Timestamp>, secret: &Secret) -> ApiKey {
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
        let secret = Secret::generate();
        let key = new_key(&actor.firm, request.name, request.scopes, request.expires_at, &secret);
        let event = actor.event("api_key.created", "api_key", key.id.to_string(), None, Some(snapshot(&key)));
        self.store.insert_key(&key, &event).await?;
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
        match self.store.revoke_key(actor.firm.id, id, revoked.revoked_at.unwrap_or_else(Timestamp::now), &event).await {
            Ok(()) => Ok(revoked),
            // Revoked by someone else in the meantime: the outcome is the same.
            Err(crate::store::StoreError::NotFound) => self.get_key(actor, id).await,
            Err(e) => Err(e.into()),
        }
    }
}
