//! Clientele as a deployment: real server processes on PostgreSQL, several at
//! once, and through a database outage.

#[path = "../services/mod.rs"]
mod services;
mod backup;
mod events;
mod fresh_machine;
mod import_export;
mod logs;
mod outage;
mod process;
mod shutdown;
mod sqlite_owner;
mod two_nodes;
mod vendor_import;
mod webhooks;
