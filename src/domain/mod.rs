//! Domain types and rules: what a valid client, key or firm is, independent of
//! HTTP and of storage.

pub mod api_key;
pub mod client;
pub mod email;
pub mod event;
pub mod field;
pub mod firm;
pub mod ids;
pub mod input;
pub mod phone;
pub mod text;
pub mod time;
