//! The command line: `serve`, `migrate`, and the operator's firm and key
//! commands, which print JSON so they can be scripted; `import` and
//! `export`, which talk to a running server over HTTP (docs/bulk.md).

pub mod checkpoint;
pub mod dry_run;
pub mod export;
pub mod import;
pub mod progress;
pub mod remote;
pub mod resolve;
pub mod saved;
pub mod send;
pub mod source;

use clap::{Parser, Subcommand};
use serde_json::json;

use crate::config::{DatabaseUrl, ServeConfig, StoreConfig};
use crate::domain::api_key::Scopes;
use crate::domain::firm::Firm;
use crate::domain::ids::{FirmId, KeyId, UserId};
use crate::domain::time::Timestamp;
use crate::server::{open_store, serve};
use crate::service::keys::{KeyRequest, NewKey};
use crate::service::Service;

#[derive(Parser, Debug)]
#[command(name = "clientele", version, about = "Multi-tenant client-records API server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP server (applies migrations first).
    Serve(ServeConfig),
    /// Apply database migrations and exit.
    Migrate(StoreConfig),
    /// Copy a live SQLite database to a new file (online, consistent).
    Backup {
        /// The file to create.
        #[arg(long)]
        to: std::path::PathBuf,
        #[command(flatten)]
        store: StoreConfig,
    },
    /// Manage firms.
    #[command(subcommand)]
    Firms(FirmCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeyCommand),
    /// Import clients or matters from a CSV or NDJSON file into a running server.
    ///
    /// Exit status: 0 every row is in; 3 the import finished but some rows
    /// were rejected (see the rejects file); 1 a fatal error (the server
    /// unreachable, a bad key, an unreadable file); 2 bad arguments.
    Import(import::ImportArgs),
    /// Export clients or matters from a running server to stdout (NDJSON or CSV).
    Export(export::ExportArgs),
    /// Print the OpenAPI document (what `GET /openapi.json` serves) and exit.
    Openapi,
}

/// The exit status of an import that finished with rejected rows.
pub const EXIT_REJECTED: i32 = 3;

#[derive(Subcommand, Debug)]
pub enum FirmCommand {
    /// Create a firm and its first admin key.
    Create {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        store: StoreConfig,
    },
    /// List firms.
    List {
        #[command(flatten)]
        store: StoreConfig,
    },
    /// Change a firm's settings.
    Update {
        #[arg(long)]
        firm: FirmId,
        /// Requests a minute per key of this firm (keys with their own limit
        /// keep it); `default` returns to the server's `--rate-limit-per-minute`.
        #[arg(long)]
        rate_limit_per_minute: String,
        #[command(flatten)]
        store: StoreConfig,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create an API key; the JSON printed holds its secret, shown only now.
    Create {
        #[arg(long)]
        firm: FirmId,
        /// Comma-separated, e.g. `clients:read,clients:write`.
        #[arg(long)]
        scopes: String,
        #[arg(long)]
        name: Option<String>,
        /// RFC 3339 instant after which the key stops working.
        #[arg(long)]
        expires_at: Option<String>,
        /// The staff user (`usr_…`) the key acts for.
        #[arg(long)]
        user: Option<String>,
        /// Requests a minute for this key (default: the firm's, else the server's).
        #[arg(long)]
        rate_limit: Option<u32>,
        #[command(flatten)]
        store: StoreConfig,
    },
    /// List a firm's keys (never their secrets).
    List {
        #[arg(long)]
        firm: FirmId,
        #[command(flatten)]
        store: StoreConfig,
    },
    /// Revoke a key at once.
    Revoke {
        #[arg(long)]
        firm: FirmId,
        key: KeyId,
        #[command(flatten)]
        store: StoreConfig,
    },
}

pub async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(config) => serve(config).await,
        Command::Openapi => {
            println!("{}", crate::server::app::openapi_document());
            Ok(())
        }
        Command::Migrate(store) => {
            open_store(&store).await?;
            print(json!({"migrated": true}));
            Ok(())
        }
        Command::Backup { to, store } => backup(&store, &to),
        Command::Firms(cmd) => firms(cmd).await,
        Command::Keys(cmd) => keys(cmd).await,
        Command::Import(args) => {
            let summary = import::run(args).await?;
            println!("{}", serde_json::to_string_pretty(&summary).unwrap_or_default());
            if summary.rejected > 0 {
                std::process::exit(EXIT_REJECTED);
            }
            Ok(())
        }
        Command::Export(args) => export::run(args).await,
    }
}

async fn service(store: &StoreConfig) -> Result<Service, String> {
    Ok(Service::new(open_store(store).await?))
}

fn backup(store: &StoreConfig, to: &std::path::Path) -> Result<(), String> {
    match DatabaseUrl::parse(&store.database_url)? {
        DatabaseUrl::Sqlite(path) => {
            crate::store::sqlite::backup(&path, to).map_err(|e| e.to_string())?;
            print(json!({"backup": to.display().to_string()}));
            Ok(())
        }
        DatabaseUrl::Postgres(_) => Err("for PostgreSQL use pg_dump or your provider's backups; see docs/deployment.md".into()),
    }
}

fn print(value: serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
}

fn firm_json(firm: &Firm) -> serde_json::Value {
    json!({"id": firm.id, "name": firm.name, "created_at": firm.created_at, "settings": firm.settings})
}

fn key_json(key: &crate::domain::api_key::ApiKey, secret: Option<&str>) -> serde_json::Value {
    let mut value = json!({
        "id": key.id,
        "firm_id": key.firm_id,
        "name": key.name,
        "prefix": key.prefix,
        "scopes": key.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "user_id": key.user_id,
        "rate_limit_per_minute": key.rate_limit_per_minute,
    });
    if let Some(secret) = secret {
        value["secret"] = json!(secret);
    }
    value
}

fn new_key_json(new: &NewKey) -> serde_json::Value {
    key_json(&new.key, Some(new.secret.expose()))
}

async fn firms(cmd: FirmCommand) -> Result<(), String> {
    match cmd {
        FirmCommand::Create { name, store } => {
            let new = service(&store).await?.create_firm(&name).await.map_err(|e| describe(&e))?;
            print(json!({"firm": firm_json(&new.firm), "admin_key": new_key_json(&new.admin_key)}));
        }
        FirmCommand::Update { firm, rate_limit_per_minute, store } => {
            let limit = match rate_limit_per_minute.as_str() {
                "default" => None,
                n => Some(n.parse::<u32>().map_err(|_| format!("--rate-limit-per-minute `{n}` is not a number or `default`"))?),
            };
            let firm = service(&store).await?.set_firm_rate_limit(firm, limit).await.map_err(|e| describe(&e))?;
            print(firm_json(&firm));
        }
        FirmCommand::List { store } => {
            let firms = service(&store).await?.list_firms().await.map_err(|e| describe(&e))?;
            print(json!(firms.iter().map(firm_json).collect::<Vec<_>>()));
        }
    }
    Ok(())
}

async fn keys(cmd: KeyCommand) -> Result<(), String> {
    match cmd {
        KeyCommand::Create { firm, scopes, name, expires_at, user, rate_limit, store } => {
            let service = service(&store).await?;
            let actor = service.operator(firm).await.map_err(|e| describe(&e))?;
            let scopes = Scopes::parse_list(&scopes)?;
            let expires_at = expires_at
                .map(|t| Timestamp::parse(&t).ok_or_else(|| format!("--expires-at `{t}` is not an RFC 3339 timestamp")))
                .transpose()?;
            let user_id = user.map(|u| u.parse::<UserId>().map_err(|e| format!("--user: {e}"))).transpose()?;
            let new = service.create_key(&actor, KeyRequest { name, scopes, expires_at, user_id, rate_limit_per_minute: rate_limit }).await.map_err(|e| describe(&e))?;
            print(new_key_json(&new));
        }
        KeyCommand::List { firm, store } => {
            let service = service(&store).await?;
            let actor = service.operator(firm).await.map_err(|e| describe(&e))?;
            let keys = service.list_keys(&actor).await.map_err(|e| describe(&e))?;
            print(json!(keys.iter().map(|k| key_json(k, None)).collect::<Vec<_>>()));
        }
        KeyCommand::Revoke { firm, key, store } => {
            let service = service(&store).await?;
            let actor = service.operator(firm).await.map_err(|e| describe(&e))?;
            let key = service.revoke_key(&actor, key).await.map_err(|e| describe(&e))?;
            print(key_json(&key, None));
        }
    }
    Ok(())
}

/// An error as one line for the terminal, with each invalid field.
fn describe(e: &crate::service::ServiceError) -> String {
    match e {
        crate::service::ServiceError::Invalid(errors) => {
            errors.iter().map(|f| format!("{} {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}
