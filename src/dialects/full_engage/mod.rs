//! Full Engage's Clients API (`../shared/seeds/full-engage-clients.txt`), at
//! `/compat/full-engage/api/v1/clients`. Ids are the client's UUID; a client
//! has one `name` (a person's first and last name, split at the last space,
//! or a company's name); lists page by `limit`/`offset` and answer
//! `{data, total}`. Choices the seed leaves open: docs/dialects/full-engage.md.

mod errors;
mod views;
pub(crate) mod import;
mod writes;
mod clients;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::AppState;
use crate::dialects::Description;

pub use errors::error;

const TAG: &str = "full-engage";

/// Codes as canonical ones; pages by `limit` and `offset`.
pub const DESCRIPTION: Description = Description { error_schema: "FullEngageError", code: str::to_string, pages: None };

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(clients::list, clients::create)).routes(routes!(clients::get, clients::update, clients::delete))
}
