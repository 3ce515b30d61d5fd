//! Clientele: a self-hosted, multi-tenant client-records API server.
//!
//! Layers, top to bottom: `api` (HTTP) and `cli` are surfaces; `service` holds
//! every rule; `domain` defines valid values; `store` persists them.

pub mod api;
pub mod cli;
pub mod config;
pub mod dialects;
pub mod domain;
pub mod server;
pub mod outbound;
pub mod service;
pub mod store;
pub mod telemetry;
