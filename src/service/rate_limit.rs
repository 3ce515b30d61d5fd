//! Rate limits: GCRA (the generic cell rate algorithm) per bucket — an API
//! key, a client address's failed logins, an intake form. Shared across nodes
//! through Redis when configured; in this process otherwise. If Redis stops
//! answering, each node falls back to its own limiter (fail open: a Redis
//! outage must not take the API down with it) and tries Redis again later.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::domain::time::Timestamp;

/// How many requests a bucket may make: `per_minute` on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub per_minute: u32,
    pub burst: u32,
}

impl Quota {
    pub fn per_minute(per_minute: u32) -> Self {
        Self { per_minute, burst: per_minute }
    }

    /// Microseconds between requests at the sustained rate.
    fn interval_us(self) -> i64 {
        (60_000_000 / i64::from(self.per_minute.max(1))).max(1)
    }

    /// How far ahead of schedule a bucket may run.
    fn tolerance_us(self) -> i64 {
        self.interval_us() * i64::from(self.burst.max(1) - 1)
    }
}

/// The outcome of one check, with what the `RateLimit` headers announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub quota: Quota,
    /// Requests left in the current burst.
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_secs: u64,
    /// Seconds to wait before retrying (0 when allowed).
    pub retry_after_secs: u64,
}

impl Decision {
    /// From how far (µs) the bucket's theoretical arrival time runs ahead of
    /// now after this check, and how long a refused request should wait.
    fn from_tat(quota: Quota, allowed: bool, ahead_us: i64, retry_us: i64) -> Self {
        let interval = quota.interval_us();
        let room = quota.tolerance_us() + interval - ahead_us;
        Decision {
            allowed,
            quota,
            remaining: u32::try_from((room / interval).max(0)).unwrap_or(u32::MAX),
            reset_secs: secs_ceil(ahead_us),
            retry_after_secs: if allowed { 0 } else { secs_ceil(retry_us).max(1) },
        }
    }
}

fn secs_ceil(us: i64) -> u64 {
    u64::try_from((us.max(0) + 999_999) / 1_000_000).unwrap_or(0)
}

/// Now, in microseconds since the epoch.
fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// GCRA in Redis: the same arithmetic as [`Local::check`], on Redis's clock
/// so every node agrees; times in microseconds. Returns {allowed, ahead, retry}.
const GCRA_LUA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
if new_tat - now > tolerance + interval then
  return {0, tat - now, new_tat - now - tolerance - interval}
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.floor((new_tat - now) / 1000) + 1000)
return {1, new_tat - now, 0}
"#;

/// After Redis fails, it is not tried again for this long.
const REDIS_BACKOFF_MS: i64 = 5_000;

pub struct RateLimiter {
    local: Local,
    redis: Option<Redis>,
}

struct Redis {
    conn: redis::aio::ConnectionManager,
    script: redis::Script,
    /// Until when (epoch ms) Redis is skipped after a failure.
    skip_until: AtomicI64,
}

impl RateLimiter {
    /// A limiter in this process only.
    pub fn local() -> Self {
        Self { local: Local::default(), redis: None }
    }

    /// A limiter shared through Redis at `url`. Connects lazily, so a server
    /// starts (and serves, limited locally) while Redis is down.
    pub fn with_redis(url: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("bad --redis-url: {e}"))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(250)))
            .set_response_timeout(Some(Duration::from_millis(100)))
            .set_number_of_retries(1);
        let conn = client.get_connection_manager_lazy(config).map_err(|e| format!("cannot use Redis: {e}"))?;
        let redis = Redis { conn, script: redis::Script::new(GCRA_LUA), skip_until: AtomicI64::new(0) };
        Ok(Self { local: Local::default(), redis: Some(redis) })
    }

    /// Takes one request from `bucket`.
    pub async fn check(&self, bucket: &str, quota: Quota) -> Decision {
        if let Some(redis) = &self.redis {
            let now = Timestamp::now().millis();
            if redis.skip_until.load(Ordering::Relaxed) <= now {
                match redis.check(bucket, quota).await {
                    Ok(decision) => return decision,
                    Err(e) => {
                        redis.skip_until.store(now + REDIS_BACKOFF_MS, Ordering::Relaxed);
                        tracing::warn!(error = %e, "Redis rate limiter unavailable; limiting locally");
                    }
                }
            }
        }
        self.local.check(bucket, quota, now_us())
    }
}

impl Redis {
    async fn check(&self, bucket: &str, quota: Quota) -> redis::RedisResult<Decision> {
        let mut conn = self.conn.clone();
        let (allowed, ahead, retry): (i64, i64, i64) = self
            .script
            .key(format!("clientele:rl:{bucket}"))
            .arg(quota.interval_us())
            .arg(quota.tolerance_us())
            .invoke_async(&mut conn)
            .await?;
        Ok(Decision::from_tat(quota, allowed == 1, ahead, retry))
    }
}

/// GCRA state of this process: per bucket, its theoretical arrival time (µs).
#[derive(Default)]
struct Local {
    tats: Mutex<HashMap<String, i64>>,
}

impl Local {
    fn check(&self, bucket: &str, quota: Quota, now: i64) -> Decision {
        let mut tats = self.tats.lock().unwrap_or_else(|e| e.into_inner());
        if tats.len() > 100_000 {
            tats.retain(|_, tat| *tat > now);
        }
        let tat = tats.get(bucket).copied().unwrap_or(now).max(now);
        let interval = quota.interval_us();
        let new_tat = tat + interval;
        if new_tat - now > quota.tolerance_us() + interval {
            return Decision::from_tat(quota, false, tat - now, new_tat - now - quota.tolerance_us() - interval);
        }
        tats.insert(bucket.to_string(), new_tat);
        Decision::from_tat(quota, true, new_tat - now, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_burst_then_the_rate() {
        let local = Local::default();
        let quota = Quota { per_minute: 60, burst: 3 };
        let decisions: Vec<Decision> = (0..4).map(|_| local.check("a", quota, 0)).collect();
        assert_eq!(decisions.iter().map(|d| d.allowed).collect::<Vec<_>>(), [true, true, true, false]);
        assert_eq!(decisions.iter().map(|d| d.remaining).collect::<Vec<_>>(), [2, 1, 0, 0]);
        assert_eq!(decisions[3].retry_after_secs, 1);
        assert!(local.check("b", quota, 0).allowed, "buckets are independent");
        assert!(!local.check("a", quota, 500_000).allowed, "half an interval later is still too soon");
        assert!(local.check("a", quota, 1_500_000).allowed, "one interval later there is room again");
    }

    #[test]
    fn high_rates_keep_their_precision() {
        let local = Local::default();
        let quota = Quota { per_minute: 120_000, burst: 1 };
        assert!(local.check("k", quota, 0).allowed);
        assert!(!local.check("k", quota, 400).allowed, "0.4 ms later is too soon at 2,000/s");
        assert!(local.check("k", quota, 500).allowed, "0.5 ms later is on schedule");
    }

    #[test]
    fn a_full_window_quota_allows_per_minute_at_once() {
        let local = Local::default();
        let quota = Quota::per_minute(600);
        assert_eq!((0..700).filter(|_| local.check("k", quota, 0).allowed).count(), 600);
        let d = local.check("k", quota, 0);
        assert!(!d.allowed);
        assert_eq!(d.reset_secs, 60);
    }
}
