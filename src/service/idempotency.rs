//! Idempotency keys: a retried POST gets the first attempt's response
//! instead of running twice.

use super::{Service, ServiceError, ServiceResult};
use crate::domain::time::Timestamp;
use crate::store::{Claim, StoredResponse};

/// Keys are kept at least this long (then purged).
pub const KEEP_MS: i64 = 24 * 60 * 60 * 1000;
/// A first attempt still unfinished after this long is taken to have died
/// (a crashed node) and its key may be claimed by a retry.
pub const ABANDONED_AFTER_MS: i64 = 60 * 1000;
pub const MAX_KEY_LEN: usize = 255;

/// An `Idempotency-Key` as it is kept: hashed, because callers put all sorts
/// in it (a custom action's nonce, once), and nothing a caller sends is kept
/// in the clear. Prefixed, so the hash is not that of the bare value (a
/// nonce's or token's own hash is its lookup key).
fn stored(key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new().chain_update(b"idempotency-key\0").chain_update(key.as_bytes()).finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What to do with a request carrying an idempotency key.
pub enum Outcome {
    /// Run it, then record its response.
    Run,
    /// Answer with the first attempt's response.
    Replay(StoredResponse),
}

impl Service {
    pub async fn claim_idempotency_key(&self, scope: [u8; 32], key: &str, request_hash: [u8; 32]) -> ServiceResult<Outcome> {
        if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ServiceError::invalid(
                "Idempotency-Key",
                format!("must be 1-{MAX_KEY_LEN} visible ASCII characters (a UUID is a good choice)"),
            ));
        }
        let now = Timestamp::now();
        let claim = self.store.claim_idempotency_key(scope, &stored(key), request_hash, now, now.plus_millis(-ABANDONED_AFTER_MS)).await?;
        match claim {
            Claim::Claimed => Ok(Outcome::Run),
            Claim::InProgress { request_hash: first } | Claim::Completed { request_hash: first, .. } if first != request_hash => {
                Err(ServiceError::IdempotencyKeyReused)
            }
            Claim::InProgress { .. } => Err(ServiceError::IdempotencyInProgress),
            Claim::Completed { response, .. } => Ok(Outcome::Replay(response)),
        }
    }

    pub async fn complete_idempotency_key(&self, scope: [u8; 32], key: &str, response: &StoredResponse) -> ServiceResult<()> {
        Ok(self.store.complete_idempotency_key(scope, &stored(key), response).await?)
    }

    pub async fn release_idempotency_key(&self, scope: [u8; 32], key: &str) -> ServiceResult<()> {
        Ok(self.store.release_idempotency_key(scope, &stored(key)).await?)
    }

    /// Erases keys older than [`KEEP_MS`].
    pub async fn purge_idempotency_keys(&self, now: Timestamp) -> ServiceResult<u64> {
        Ok(self.store.purge_idempotency_keys(now.plus_millis(-KEEP_MS)).await?)
    }
}
