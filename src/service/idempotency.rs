//! Idempotency keys: a retried POST gets the first attempt's response
//! instead of running twice.
//!
//! The key is claimed in the transaction of the request's first write, with
//! that write (`Write::ClaimIdempotencyKey`): so either the change and the
//! claim commit together, or neither does, and a retry after a crash at any
//! moment finds the key claimed exactly when the change was made. The
//! response is kept right after, for the retries to replay. Should the
//! process die between the two, a retry learns that the change was made
//! (`idempotency_response_lost`) and never makes it a second time. A request
//! that changes nothing claims nothing; its response (a 400, say) is kept
//! all the same.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::{Service, ServiceError, ServiceResult};
use crate::domain::time::Timestamp;
use crate::store::{IdempotencyRecord, StoreResult, StoredResponse, Write};

/// Keys are kept at least this long (then purged).
pub const KEEP_MS: i64 = 24 * 60 * 60 * 1000;
/// A claimed key without a response younger than this belongs to a request
/// still being answered; an older one, to a request whose response was lost.
pub const ANSWERING_MS: i64 = 60 * 1000;
pub const MAX_KEY_LEN: usize = 255;

/// What to do with a request carrying an idempotency key.
pub enum Outcome {
    /// Run it, with the key pending ([`Service::with_idempotency`]).
    Run(Arc<Pending>),
    /// Answer with the first attempt's response.
    Replay(StoredResponse),
}

/// The idempotency key of a request being served, until its first write
/// claims it.
pub struct Pending {
    pub scope: [u8; 32],
    /// The key as it is kept (hashed).
    key: String,
    request_hash: [u8; 32],
    /// Set once a write has carried the claim into a committed transaction.
    claimed: AtomicBool,
}

impl Pending {
    /// Whether a write of the request committed (the key is claimed).
    pub fn claimed(&self) -> bool {
        self.claimed.load(Ordering::Acquire)
    }

    fn claim(&self) -> Write {
        Write::ClaimIdempotencyKey { scope: self.scope, key: self.key.clone(), request_hash: self.request_hash, at: Timestamp::now() }
    }
}

tokio::task_local! {
    static PENDING: Arc<Pending>;
}

impl Service {
    /// What `key` (of the credential `scope`) says of a request with this
    /// hash: run it, replay the first response, or refuse.
    pub async fn check_idempotency_key(&self, scope: [u8; 32], key: &str, request_hash: [u8; 32]) -> ServiceResult<Outcome> {
        if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ServiceError::invalid(
                "Idempotency-Key",
                format!("must be 1-{MAX_KEY_LEN} visible ASCII characters (a UUID is a good choice)"),
            ));
        }
        let key = stored(key);
        let Some(record) = self.store.idempotency_record(scope, &key).await? else {
            return Ok(Outcome::Run(Arc::new(Pending { scope, key, request_hash, claimed: AtomicBool::new(false) })));
        };
        match record {
            IdempotencyRecord { request_hash: first, .. } if first != request_hash => Err(ServiceError::IdempotencyKeyReused),
            IdempotencyRecord { response: Some(response), .. } => Ok(Outcome::Replay(response)),
            IdempotencyRecord { created_at, .. } if Timestamp::now().millis() - created_at.millis() < ANSWERING_MS => {
                Err(ServiceError::IdempotencyInProgress)
            }
            IdempotencyRecord { .. } => Err(ServiceError::IdempotencyResponseLost),
        }
    }

    /// Runs `request` with `pending` claimed by its first write.
    pub async fn with_idempotency<F: Future>(&self, pending: Arc<Pending>, request: F) -> F::Output {
        PENDING.scope(pending, request).await
    }

    /// Keeps the response of a pending request for its retries (unless one is
    /// kept already).
    pub async fn keep_idempotent_response(&self, pending: &Pending, response: StoredResponse) -> ServiceResult<()> {
        let keep = Write::KeepIdempotentResponse {
            scope: pending.scope,
            key: pending.key.clone(),
            request_hash: pending.request_hash,
            at: Timestamp::now(),
            response,
        };
        Ok(self.store.apply(vec![keep]).await.map(|_| ())?)
    }

    /// Every change the service makes: `writes` in one transaction, with the
    /// pending idempotency key of the request (if any, and not yet claimed).
    pub(crate) async fn commit(&self, mut writes: Vec<Write>) -> StoreResult<Vec<i64>> {
        let claiming = PENDING.try_with(Arc::clone).ok().filter(|p| !p.claimed.swap(true, Ordering::AcqRel));
        if let Some(pending) = &claiming {
            // First, so a request that lost the race to its twin fails on the
            // key, not on what the twin wrote (the same email, say).
            writes.insert(0, pending.claim());
        }
        if let Ok(deferred) = super::batch::DEFERRED.try_with(Arc::clone) {
            // An atomic batch being planned: committed with the others.
            let inserts = writes.iter().filter(|w| matches!(w, Write::InsertClient { .. } | Write::InsertRecord { .. })).count();
            deferred.lock().unwrap_or_else(|p| p.into_inner()).extend(writes);
            return Ok(vec![0; inserts]);
        }
        let events = writes.iter().any(|w| matches!(w, Write::Event(_)));
        let result = self.store.apply(writes).await;
        if events && result.is_ok() {
            // The dispatcher has events to look at.
            self.webhooks.wake.notify_one();
        }
        if let (Some(pending), Err(_)) = (&claiming, &result) {
            // Rolled back: the next write of the request carries the claim.
            pending.claimed.store(false, Ordering::Release);
        }
        result
    }

    /// Commits what an atomic batch gathered, in one transaction. If it
    /// fails, a claim of the request's key it carried is undone, so the
    /// batch planned again claims it again.
    pub(crate) async fn commit_gathered(&self, writes: Vec<Write>) -> StoreResult<()> {
        let claims = writes.iter().any(|w| matches!(w, Write::ClaimIdempotencyKey { .. }));
        let events = writes.iter().any(|w| matches!(w, Write::Event(_)));
        let result = self.store.apply(writes).await.map(|_| ());
        match &result {
            Ok(()) if events => self.webhooks.wake.notify_one(),
            Err(_) if claims => {
                if let Ok(pending) = PENDING.try_with(Arc::clone) {
                    pending.claimed.store(false, Ordering::Release);
                }
            }
            _ => {}
        }
        result
    }

    /// Claims the request's idempotency key now, in a transaction of its own,
    /// if it has one not yet claimed (before a batch whose operations commit
    /// separately).
    pub(crate) async fn claim_idempotency_key_now(&self) -> StoreResult<()> {
        let unclaimed = PENDING.try_with(|p| !p.claimed()).unwrap_or(false);
        if unclaimed {
            self.commit(Vec::new()).await?;
        }
        Ok(())
    }

    /// Erases keys older than [`KEEP_MS`].
    pub async fn purge_idempotency_keys(&self, now: Timestamp) -> ServiceResult<u64> {
        Ok(self.store.purge_idempotency_keys(now.plus_millis(-KEEP_MS)).await?)
    }
}

/// An `Idempotency-Key` as it is kept: hashed, because callers put all sorts
/// in it (a custom action's nonce, once), and nothing a caller sends is kept
/// in the clear. Prefixed, so the hash is not that of the bare value (a
/// nonce's or token's own hash is its lookup key).
fn stored(key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new().chain_update(b"idempotency-key\0").chain_update(key.as_bytes()).finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
