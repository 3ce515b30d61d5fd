//! The HTTP test suite: the real router over real HTTP on a real database,
//! run once per store.

mod helpers;

mod clients_crud;
mod concurrency;
mod retention;
