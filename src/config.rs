//! Configuration: one struct per command, from flags or `CLIENTELE_*`
//! environment variables (flags win).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

/// Where the data lives.
#[derive(Args, Debug, Clone)]
pub struct StoreConfig {
    /// `sqlite://PATH` (the default, an embedded file) or `postgres://…`.
    #[arg(long, env = "CLIENTELE_DATABASE_URL", default_value = "sqlite://clientele.db")]
    pub database_url: String,
    /// PostgreSQL: connections per node.
    #[arg(long, env = "CLIENTELE_DB_POOL_SIZE", default_value_t = 16)]
    pub db_pool_size: usize,
    /// PostgreSQL: limit on opening a connection or waiting for a free one, in ms.
    #[arg(long, env = "CLIENTELE_DB_CONNECT_TIMEOUT_MS", default_value_t = 3000)]
    pub db_connect_timeout_ms: u64,
    /// PostgreSQL: limit on any one statement, in ms.
    #[arg(long, env = "CLIENTELE_DB_STATEMENT_TIMEOUT_MS", default_value_t = 5000)]
    pub db_statement_timeout_ms: u64,
}

impl StoreConfig {
    pub fn pg_settings(&self) -> crate::store::postgres::PgSettings {
        crate::store::postgres::PgSettings {
            pool_size: self.db_pool_size.max(1),
            connect_timeout: std::time::Duration::from_millis(self.db_connect_timeout_ms),
            statement_timeout: std::time::Duration::from_millis(self.db_statement_timeout_ms),
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct ServeConfig {
    #[command(flatten)]
    pub store: StoreConfig,
    /// Address to listen on.
    #[arg(long, env = "CLIENTELE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Log filter (`info`, `debug`, `clientele=debug,info`, …).
    #[arg(long, env = "CLIENTELE_LOG", default_value = "info")]
    pub log: String,
    /// Seconds between purges of deleted records past their firm's retention (0: never).
    #[arg(long, env = "CLIENTELE_PURGE_INTERVAL_SECS", default_value_t = 3600)]
    pub purge_interval_secs: u64,
    /// Redis (`redis://host:6379`) to share rate limits across nodes; without
    /// it each node limits on its own. If Redis fails, nodes limit locally.
    #[arg(long, env = "CLIENTELE_REDIS_URL")]
    pub redis_url: Option<String>,
    /// Requests a minute per API key, unless the key or its firm has its own limit.
    #[arg(long, env = "CLIENTELE_RATE_LIMIT_PER_MINUTE", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_per_minute: u32,
    /// Failed authentications a minute per client address before 429s.
    #[arg(long, env = "CLIENTELE_FAILED_AUTH_PER_MINUTE", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub failed_auth_per_minute: u32,
    /// Milliseconds a verified API key is trusted without asking the
    /// database again: the longest a key revoked on another node, or with
    /// `clientele keys revoke`, keeps working here (0: ask on every request).
    #[arg(long, env = "CLIENTELE_KEY_CACHE_TTL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub key_cache_ttl_ms: u64,
    /// Matches `include_total=true` counts exactly; past it a list's total
    /// is this many with `total_exact: false`: more match
    /// (`include_total=exact` counts every match, at the cost of visiting each).
    #[arg(long, env = "CLIENTELE_COUNT_EXACT_UP_TO", default_value_t = crate::service::paging::COUNT_EXACT_UP_TO, value_parser = clap::value_parser!(u64).range(1..))]
    pub count_exact_up_to: u64,
    /// Seconds a request may take before it is answered 503 `request_timeout`.
    #[arg(long, env = "CLIENTELE_REQUEST_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_secs: u64,
    /// Requests handled at once; more are answered 503 at once rather than queued.
    #[arg(long, env = "CLIENTELE_MAX_CONCURRENT_REQUESTS", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_concurrent_requests: u64,
    /// Also serve this vendor dialect at `/` (calmintake, actuallycare,
    /// clio-grow, full-engage, clemta), so an integration needs only a new
    /// host. It is always served at `/compat/<name>` too.
    #[arg(long, env = "CLIENTELE_ROOT_DIALECT", value_parser = root_dialect)]
    pub root_dialect: Option<crate::dialects::Dialect>,
    /// Seconds a client may take to send a request's line and headers, from
    /// its first byte (and a new connection, from connecting); past it the
    /// connection is closed.
    #[arg(long, env = "CLIENTELE_HEADER_READ_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout_secs: u64,
    /// Seconds a kept-alive connection may sit idle between requests before
    /// it is closed.
    #[arg(long, env = "CLIENTELE_KEEP_ALIVE_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub keep_alive_timeout_secs: u64,
    /// Browser origins allowed to call the API cross-origin
    /// (`https://app.example.com`, comma-separated; `*` for any). None by
    /// default. The public intake endpoint allows any origin regardless.
    #[arg(long, env = "CLIENTELE_CORS_ORIGINS", value_delimiter = ',', value_parser = crate::api::cors::flag_value)]
    pub cors_origins: Vec<String>,
    /// Serve `/metrics` on this address only (e.g. `127.0.0.1:9090`, a
    /// monitoring network), not on `--bind`.
    #[arg(long, env = "CLIENTELE_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    /// Require `Authorization: Bearer <token>` on `/metrics`.
    #[arg(long, env = "CLIENTELE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// SQLite only: clients kept in memory for reads by id (about 1 KB
    /// each; 0 turns it off). Every write through this server updates it.
    #[arg(long, env = "CLIENTELE_SQLITE_CLIENT_CACHE", default_value_t = crate::store::sqlite::SqliteOptions::default().client_cache)]
    pub sqlite_client_cache: usize,
    #[command(flatten)]
    pub webhooks: WebhookConfig,
}

/// How webhooks are delivered.
#[derive(Args, Debug, Clone)]
pub struct WebhookConfig {
    /// Whether this node delivers webhooks. Turn it off on nodes that should
    /// only answer requests (others deliver), or where nothing may leave the
    /// machine (a fuzzing run).
    #[arg(long, env = "CLIENTELE_DELIVER_WEBHOOKS", default_value_t = true, action = clap::ArgAction::Set)]
    pub deliver_webhooks: bool,
    /// Hosts (names or addresses, comma-separated) webhooks may reach over
    /// plain `http://` and at loopback or private addresses, e.g.
    /// `127.0.0.1,hooks.internal`. Every other host must be `https://` and
    /// resolve to public addresses only.
    #[arg(long, env = "CLIENTELE_WEBHOOK_ALLOW_HOSTS", value_delimiter = ',')]
    pub webhook_allow_hosts: Vec<String>,
    /// `name=address` pairs (comma-separated) that webhook deliveries resolve
    /// without asking DNS (split-horizon setups; tests). The address is still
    /// checked like any other.
    #[arg(long, env = "CLIENTELE_WEBHOOK_RESOLVE", value_delimiter = ',', value_parser = resolve_pair)]
    pub webhook_resolve: Vec<(String, std::net::IpAddr)>,
    /// Milliseconds one delivery attempt may take, connecting included.
    #[arg(long, env = "CLIENTELE_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=120_000))]
    pub webhook_timeout_ms: u64,
    /// Delays before each retry, comma-separated (`ms`, `s`, `m`, `h`); after
    /// the last, a delivery has failed.
    #[arg(long, env = "CLIENTELE_WEBHOOK_RETRY_SCHEDULE", default_value = "5s,5m,30m,2h,5h,10h,10h", value_parser = retry_schedule)]
    pub webhook_retry_schedule: crate::domain::webhook::RetrySchedule,
    /// Delivery attempts in flight at once on this node.
    #[arg(long, env = "CLIENTELE_WEBHOOK_CONCURRENCY", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub webhook_concurrency: u64,
    /// Delivery attempts in flight at once to one subscription, on this node.
    #[arg(long, env = "CLIENTELE_WEBHOOK_CONCURRENCY_PER_SUBSCRIPTION", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub webhook_concurrency_per_subscription: u64,
    /// Hours of nothing but failed attempts after which a subscription is disabled.
    #[arg(long, env = "CLIENTELE_WEBHOOK_DISABLE_AFTER_HOURS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_disable_after_hours: u64,
    /// Milliseconds between looks at the queue when nothing on this node
    /// nudged it: the longest another node's change waits to be sent.
    #[arg(long, env = "CLIENTELE_WEBHOOK_POLL_MS", default_value_t = 250, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub webhook_poll_ms: u64,
}

impl WebhookConfig {
    pub fn settings(&self) -> crate::service::webhooks::WebhookSettings {
        use std::time::Duration;
        crate::service::webhooks::WebhookSettings {
            allowed_hosts: crate::domain::webhook::AllowedHosts::new(self.webhook_allow_hosts.iter().cloned()),
            resolve: self.webhook_resolve.clone(),
            timeout: Duration::from_millis(self.webhook_timeout_ms),
            schedule: self.webhook_retry_schedule.clone(),
            concurrency: self.webhook_concurrency as usize,
            per_subscription: self.webhook_concurrency_per_subscription as usize,
            poll: Duration::from_millis(self.webhook_poll_ms),
            disable_after: Duration::from_secs(self.webhook_disable_after_hours * 3600),
        }
    }
}

fn resolve_pair(s: &str) -> Result<(String, std::net::IpAddr), String> {
    let (name, addr) = s.split_once('=').ok_or("expected name=address")?;
    let addr = addr.trim().parse().map_err(|_| format!("`{addr}` is not an IP address"))?;
    Ok((name.trim().to_ascii_lowercase(), addr))
}

fn retry_schedule(s: &str) -> Result<crate::domain::webhook::RetrySchedule, String> {
    crate::domain::webhook::RetrySchedule::parse(s)
}

/// A dialect that may be mounted at `/`: one whose paths don't collide with
/// the canonical API's.
fn root_dialect(name: &str) -> Result<crate::dialects::Dialect, String> {
    let dialect: crate::dialects::Dialect = name.parse()?;
    if !dialect.can_mount_at_root() {
        return Err(format!(
            "{name}'s paths (/v1/…) are the canonical API's, so it can't be served at /; use {}",
            dialect.prefix()
        ));
    }
    Ok(dialect)
}

impl ServeConfig {
    pub fn limits(&self) -> Result<crate::service::Limits, String> {
        let limiter = match &self.redis_url {
            Some(url) => crate::service::rate_limit::RateLimiter::with_redis(url)?,
            None => crate::service::rate_limit::RateLimiter::local(),
        };
        Ok(crate::service::Limits {
            limiter,
            per_key_per_minute: self.rate_limit_per_minute,
            failed_auth_per_minute: self.failed_auth_per_minute,
            key_cache_ttl: std::time::Duration::from_millis(self.key_cache_ttl_ms),
            count_exact_up_to: self.count_exact_up_to,
        })
    }

    pub fn http(&self) -> crate::api::HttpOptions {
        crate::api::HttpOptions {
            request_timeout: std::time::Duration::from_secs(self.request_timeout_secs),
            max_concurrent_requests: usize::try_from(self.max_concurrent_requests).unwrap_or(usize::MAX),
            metrics: crate::api::MetricsAccess { token: self.metrics_token.clone(), elsewhere: self.metrics_bind.is_some() },
            cors: crate::api::cors::CorsOrigins::from_values(&self.cors_origins),
        }
    }

}

/// A parsed `--database-url`.
#[derive(Debug, Clone, PartialEq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_string()));
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        if path.is_empty() {
            return Err("the SQLite URL names no file; use sqlite://PATH".into());
        }
        if url.contains("://") && !url.starts_with("sqlite://") {
            return Err(format!("unsupported database URL scheme in `{}`; use sqlite:// or postgres://", redact(url)));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }
}

/// The URL with any password replaced, fit for logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        assert_eq!(DatabaseUrl::parse("sqlite://clientele.db").unwrap(), DatabaseUrl::Sqlite("clientele.db".into()));
        assert_eq!(DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(), DatabaseUrl::Sqlite("/tmp/x.db".into()));
        assert_eq!(DatabaseUrl::parse("data/x.db").unwrap(), DatabaseUrl::Sqlite("data/x.db".into()));
        assert!(matches!(DatabaseUrl::parse("postgres://u:p@h/db").unwrap(), DatabaseUrl::Postgres(_)));
        assert!(DatabaseUrl::parse("mysql://x").is_err());
    }

    #[test]
    fn root_dialect_refuses_paths_that_collide_with_v1() {
        assert_eq!(root_dialect("calmintake"), Ok(crate::dialects::Dialect::Calmintake));
        assert_eq!(root_dialect("full-engage"), Ok(crate::dialects::Dialect::FullEngage));
        assert!(root_dialect("actuallycare").unwrap_err().contains("/compat/actuallycare"));
        assert!(root_dialect("salesforce").unwrap_err().contains("unknown dialect"));
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://app:secret@db:5432/x"), "postgres://app:***@db:5432/x");
        assert_eq!(redact("sqlite://a.db"), "sqlite://a.db");
    }
}
