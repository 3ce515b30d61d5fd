//! CalmIntake's Clients API (`../shared/seeds/calmintake-clients.txt`), at
//! `/compat/calmintake/api/v1/clients`. Ids are the canonical `cli_…` ids;
//! pages are numbered (`page`, `per_page`); addresses say `state` and `zip`.
//! Choices the seed leaves open: docs/dialects/calmintake.md.

mod errors;
mod views;
pub(crate) mod import;
mod writes;
mod clients;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::AppState;
use crate::dialects::Description;
use crate::dialects::paging::NumberedPages;

pub use errors::error;

const TAG: &str = "calmintake";

/// How its lists page.
const PAGES: NumberedPages = NumberedPages { page: "page", size: "per_page", default_size: 20 };

pub const DESCRIPTION: Description = Description {
    error_schema: "CalmintakeError",
    code: errors::code_name,
    pages: Some(PAGES),
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(clients::list, clients::create)).routes(routes!(clients::get, clients::update))
}
