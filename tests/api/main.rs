//! The HTTP test suite: the real router over real HTTP on a real database,
//! run once per store.

mod helpers;
mod support;

mod auth;
mod clients_crud;
mod concurrency;
mod events;
mod http_errors;
mod lists;
mod retention;
mod tenancy;
mod updates;
mod validation;
