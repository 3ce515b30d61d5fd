//! Domain types and rules: what a valid client, key or firm is, independent of
//! HTTP and of storage.

pub mod api_key;
pub mod batch;
pub mod client;
pub mod credential;
pub mod contract;
pub mod email;
pub mod erasure;
pub mod event;
pub mod field;
pub mod firm;
pub mod custom_action;
pub mod custom_field;
pub mod ids;
pub mod input;
pub mod lead;
pub mod matter;
pub mod note;
pub mod phone;
pub mod record;
pub mod tabular;
pub mod text;
pub mod time;
pub mod user;
pub mod web_url;
pub mod webhook;
