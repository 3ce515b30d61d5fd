//! Authenticating API keys.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::rate_limit::{Decision, Quota};
use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::{ApiKey, Secret, SecretHash};
use crate::domain::firm::Firm;
use crate::domain::time::Timestamp;
use crate::store::Write;

/// `last_used_at` is written at most this often per key, so reads stay reads.
const TOUCH_EVERY_MS: i64 = 60_000;

/// How long a verified key is used without asking the store again, unless
/// configured (`--key-cache-ttl-ms`). Changes made through this process
/// (revoking a key, deleting a user, a firm's settings) empty the cache at
/// once; another node's (or the CLI's) are seen within this time. Expiry is
/// checked on every request.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(1);
/// Keys kept at most; past it the cache starts over (a bound, not an LRU:
/// a server rarely sees this many distinct keys within a second).
const KEY_CACHE_MAX: usize = 10_000;

/// Keys recently found in the store, by secret hash: most requests then
/// skip the key lookup (measured in BENCHMARKS.md).
pub(crate) struct KeyCache {
    entries: Mutex<HashMap<[u8; 32], Cached>>,
    /// Zero: every request asks the store.
    ttl: Duration,
}

struct Cached {
    key: ApiKey,
    firm: Firm,
    fetched: Instant,
}

impl KeyCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { entries: Mutex::default(), ttl }
    }

    fn get(&self, hash: &SecretHash) -> Option<(ApiKey, Firm)> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let cached = entries.get(&hash.0)?;
        (cached.fetched.elapsed() < self.ttl).then(|| (cached.key.clone(), cached.firm.clone()))
    }

    fn put(&self, hash: &SecretHash, key: &ApiKey, firm: &Firm) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= KEY_CACHE_MAX {
            entries.clear();
        }
        entries.insert(hash.0, Cached { key: key.clone(), firm: firm.clone(), fetched: Instant::now() });
    }

    /// Notes a key's use on its cached copy, leaving the copy's age alone (so
    /// it is still re-read within [`KEY_CACHE_TTL`] of when it was read).
    fn touched(&self, hash: &SecretHash, at: Timestamp) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cached) = entries.get_mut(&hash.0) {
            cached.key.last_used_at = Some(at);
        }
    }

    /// Forgets every key: after a change to keys, users or firms.
    pub(crate) fn clear(&self) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

impl Service {
    /// The actor behind a presented secret. Every failure looks the same to
    /// the caller: a malformed, unknown, revoked or expired key is just invalid.
    pub async fn authenticate(&self, presented: &str, request_id: Option<String>) -> ServiceResult<Actor> {
        let secret = Secret::parse(presented.trim()).ok_or(ServiceError::Unauthenticated)?;
        let hash = secret.hash();
        let (key, firm) = match self.keys.get(&hash) {
            Some(found) => found,
            None => {
                let found = self.store.find_key(&hash).await?.ok_or(ServiceError::Unauthenticated)?;
                self.keys.put(&hash, &found.0, &found.1);
                found
            }
        };
        let now = Timestamp::now();
        if !key.secret_hash.matches(&hash) || !key.is_usable_at(now) {
            return Err(ServiceError::Unauthenticated);
        }
        if key.last_used_at.is_none_or(|t| now.millis() - t.millis() >= TOUCH_EVERY_MS) {
            // The cached copy learns of the touch too, or every request until
            // it expires would write one.
            self.keys.touched(&hash, now);
            let store = self.store.clone();
            let id = key.id;
            tokio::spawn(async move {
                if let Err(e) = store.apply(vec![Write::TouchKey { id, at: now }]).await {
                    tracing::warn!(error = %e, "could not record key use");
                }
            });
        }
        Ok(Actor { firm, key_id: Some(key.id), user_id: key.user_id, session: None, scopes: key.scopes, rate_limit: key.rate_limit_per_minute, request_id })
    }
}

impl Service {
    /// Takes one request from the actor's key's budget: the key's own limit,
    /// else its firm's, else the server's. The operator is never limited.
    pub async fn check_rate(&self, actor: &Actor) -> Option<Decision> {
        // A signed-in user's sessions share one budget, as a key's requests do.
        let bucket = match (actor.key_id, actor.session, actor.user_id) {
            (Some(key), _, _) => format!("key:{key}"),
            (None, Some(_), Some(user)) => format!("user:{user}"),
            _ => return None,
        };
        let per_minute = actor.rate_limit.or(actor.firm.settings.rate_limit_per_minute).unwrap_or(self.limits.per_key_per_minute);
        Some(self.limits.limiter.check(&bucket, Quota::per_minute(per_minute)).await)
    }

    /// Counts a failed authentication from a client address; past the quota
    /// the caller answers 429 instead of 401. Valid keys from the same address
    /// are not held back (an office behind one NAT shares an address).
    pub async fn record_failed_auth(&self, address: &str) -> Decision {
        self.limits.limiter.check(&format!("auth:{address}"), self.failed_auth_quota()).await
    }

    fn failed_auth_quota(&self) -> Quota {
        Quota::per_minute(self.limits.failed_auth_per_minute)
    }
}

impl Service {
    /// Counts a sign-in attempt from a client address against the quota of
    /// failed authentication: every attempt costs an argon2 verification, so
    /// all of them are limited, not only the failures.
    pub async fn record_sign_in_attempt(&self, address: &str) -> Decision {
        self.limits.limiter.check(&format!("sign_in:{address}"), self.failed_auth_quota()).await
    }
}
