//! The HTTP test suite: the real router over real HTTP on a real database,
//! run once per store.

#[path = "../services/mod.rs"]
mod services;
mod helpers;
mod support;
mod records;

mod auth;
mod browsers;
mod batch;
mod clients_crud;
mod concurrency;
mod connections;
mod custom_actions;
mod custom_fields;
mod dialect_actuallycare;
mod dialect_calmintake;
mod dialect_clemta;
mod dialect_clio_grow;
mod dialect_full_engage;
mod dialects;
mod erasure;
mod duplicates;
mod events;
mod export;
mod forgiving_input;
mod http_errors;
mod idempotency;
mod leads;
mod lists;
mod matters;
mod merges;
mod notes;
mod person_export;
mod openapi;
mod operations;
mod pages;
mod phones;
mod point_reads;
mod rate_limits;
mod read_modify_write;
mod retention;
mod security;
mod sessions;
mod tenancy;
mod updates;
mod users;
mod validation;
mod webhooks;
