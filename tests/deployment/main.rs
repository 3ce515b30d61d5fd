//! Clientele as a deployment: real server processes on PostgreSQL, several at
//! once, and through a database outage.

mod backup;
mod events;
mod logs;
mod outage;
mod process;
mod shutdown;
mod sqlite_owner;
mod two_nodes;
