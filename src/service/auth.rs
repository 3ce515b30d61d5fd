//! Authenticating API keys.

use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Secret;
use crate::domain::time::Timestamp;

/// `last_used_at` is written at most this often per key, so reads stay reads.
const TOUCH_EVERY_MS: i64 = 60_000;

impl Service {
    /// The actor behind a presented secret. Every failure looks the same to
    /// the caller: a malformed, unknown, revoked or expired key is just invalid.
    pub async fn authenticate(&self, presented: &str, request_id: Option<String>) -> ServiceResult<Actor> {
        let secret = Secret::parse(presented.trim()).ok_or(ServiceError::Unauthenticated)?;
        let hash = secret.hash();
        let (key, firm) = self.store.find_key(&hash).await?.ok_or(ServiceError::Unauthenticated)?;
        let now = Timestamp::now();
        if !key.secret_hash.matches(&hash) || !key.is_usable_at(now) {
            return Err(ServiceError::Unauthenticated);
        }
        if key.last_used_at.is_none_or(|t| now.millis() - t.millis() >= TOUCH_EVERY_MS) {
            let store = self.store.clone();
            let id = key.id;
            tokio::spawn(async move {
                if let Err(e) = store.touch_key(id, now).await {
                    tracing::warn!(error = %e, "could not record key use");
                }
            });
        }
        Ok(Actor { firm, key_id: Some(key.id), scopes: key.scopes, request_id })
    }
}
