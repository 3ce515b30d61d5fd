//! Starting and stopping the HTTP server.

pub mod app;
pub mod connections;
mod unread;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::{redact, DatabaseUrl, ServeConfig, StoreConfig};
use crate::service::Service;
use crate::store::postgres::PgStore;
use crate::store::sqlite::{ServeLock, SqliteOptions, SqliteStore};
use crate::store::Store;

/// Opens the store a URL names, bringing its schema up to date.
pub async fn open_store(config: &StoreConfig) -> Result<Arc<dyn Store>, String> {
    open_store_with(config, SqliteOptions::default()).await
}

async fn open_store_with(config: &StoreConfig, sqlite: SqliteOptions) -> Result<Arc<dyn Store>, String> {
    match DatabaseUrl::parse(&config.database_url)? {
        DatabaseUrl::Sqlite(path) => {
            let store = SqliteStore::open_with(&path, sqlite).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
            Ok(Arc::new(store))
        }
        DatabaseUrl::Postgres(url) => {
            let store = PgStore::open(&url, &config.pg_settings())
                .await
                .map_err(|e| format!("cannot open {}: {e}", redact(&url)))?;
            Ok(Arc::new(store))
        }
    }
}

/// On a database with no firm, makes one and prints its admin key, once, to
/// stderr (never to the log).
pub async fn bootstrap(service: &Service) -> Result<(), String> {
    let firms = service.list_firms().await.map_err(|e| e.to_string())?;
    if !firms.is_empty() {
        return Ok(());
    }
    let new = service.create_firm("My firm").await.map_err(|e| e.to_string())?;
    eprintln!(
        "\nCreated firm {} with an admin API key. It is shown only this once; store it now:\n\n    {}\n",
        new.firm.id,
        new.admin_key.secret.expose()
    );
    Ok(())
}

pub async fn serve(config: ServeConfig) -> Result<(), String> {
    let _log = crate::telemetry::init(&config.log);
    // Held until the process ends.
    let _owner = match DatabaseUrl::parse(&config.store.database_url)? {
        DatabaseUrl::Sqlite(path) => Some(ServeLock::acquire(&path)?),
        DatabaseUrl::Postgres(_) => None,
    };
    let store = open_store_with(&config.store, SqliteOptions { client_cache: config.sqlite_client_cache }).await?;
    let service = Service::with_limits(store, config.limits()?).with_webhook_settings(config.webhooks.settings());
    bootstrap(&service).await?;
    spawn_purger(service.clone(), config.purge_interval_secs);
    if config.webhooks.deliver_webhooks {
        crate::service::dispatch::start(service.clone())?;
    }
    let listener = TcpListener::bind(config.bind).await.map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    if let Some(bind) = config.metrics_bind {
        let metrics = TcpListener::bind(bind).await.map_err(|e| format!("cannot listen on {bind} for metrics: {e}"))?;
        let app = crate::api::metrics_router(service.clone(), config.metrics_token.clone());
        tokio::spawn(connections::serve(metrics, app, connection_limits(&config), std::future::pending()));
        tracing::info!(bind = %bind, "metrics listening");
    }
    tracing::info!(
        bind = %config.bind,
        database_url = %redact(&config.store.database_url),
        version = env!("CARGO_PKG_VERSION"),
        "clientele listening"
    );
    let options = Options { http: config.http(), root_dialect: config.root_dialect, connections: connection_limits(&config) };
    run(listener, service, &options, shutdown_signal()).await;
    tracing::info!("clientele stopped");
    Ok(())
}

fn connection_limits(config: &ServeConfig) -> connections::ConnectionLimits {
    connections::ConnectionLimits {
        header_read_timeout: std::time::Duration::from_secs(config.header_read_timeout_secs),
        keep_alive_timeout: std::time::Duration::from_secs(config.keep_alive_timeout_secs),
    }
}

/// What `clientele serve` puts in front of the service.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub http: crate::api::HttpOptions,
    /// Also served at `/`.
    pub root_dialect: Option<crate::dialects::Dialect>,
    pub connections: connections::ConnectionLimits,
}

/// Serves `service` on `listener` the way `clientele serve` does (the
/// whole HTTP stack, the connection timeouts), until `shutdown` resolves and
/// the requests in flight are answered. Tests serve through this too.
pub async fn run(listener: TcpListener, service: Service, options: &Options, shutdown: impl Future<Output = ()>) {
    let app = app::app(service, &options.http, options.root_dialect);
    connections::serve(listener, app, options.connections, shutdown).await;
}

/// Purges expired soft-deleted records now and then, in the background.
fn spawn_purger(service: Service, every_secs: u64) {
    if every_secs == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(every_secs));
        loop {
            tick.tick().await;
            let now = crate::domain::time::Timestamp::now();
            match service.purge_expired(now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(purged = n, "purged expired deleted records"),
                Err(e) => tracing::warn!(error = %e, "purge failed; will retry"),
            }
            if let Err(e) = service.purge_idempotency_keys(now).await {
                tracing::warn!(error = %e, "idempotency key purge failed; will retry");
            }
            if let Err(e) = service.purge_sessions(now).await {
                tracing::warn!(error = %e, "expired session purge failed; will retry");
            }
        }
    });
}

/// Resolves on SIGTERM or Ctrl-C; in-flight requests then finish before exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: draining in-flight requests");
}
