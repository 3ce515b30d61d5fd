//! Clio Grow's API (`../shared/seeds/clio-grow-api.txt`), at
//! `/compat/clio-grow/api/v1/…`: contacts, their notes, custom actions, inbox
//! leads, matters, their notes and users. Records are named by per-table
//! integer ids (plus `global_id`, the canonical id's base32 part); lists page
//! with an opaque `page_token` (the canonical cursor) and filter by `ids[]`,
//! `created_since` and `updated_since`; bodies are wrapped in `{"data": …}`.
//! Choices the seed leaves open: docs/dialects/clio-grow.md.

mod contacts;
mod custom_actions;
mod errors;
mod leads;
mod matters;
mod notes;
mod paging;
mod users;
mod views;
pub(crate) mod import;
mod writes;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::AppState;
use crate::dialects::Description;

pub use errors::error;

const TAG: &str = "clio-grow";

/// Codes as canonical ones; pages by `page_token`.
pub const DESCRIPTION: Description = Description { error_schema: "ClioGrowError", code: str::to_string, pages: None };

/// What a write shows a key that may not read the record ([`crate::api::written`]).
const OWNED: &[&str] = &["id", "global_id", "created_at", "updated_at"];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(contacts::list))
        .routes(routes!(contacts::get))
        .routes(routes!(notes::list_contact_notes, notes::create_contact_note))
        .routes(routes!(custom_actions::list, custom_actions::create))
        .routes(routes!(leads::list, leads::create))
        .routes(routes!(leads::get))
        .routes(routes!(matters::list))
        .routes(routes!(matters::get))
        .routes(routes!(notes::list_matter_notes, notes::create_matter_note))
        .routes(routes!(users::list))
        .routes(routes!(users::who_am_i))
        .routes(routes!(users::get))
}
