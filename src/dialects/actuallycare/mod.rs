//! ActuallyCare's Clients API (`../shared/seeds/actuallycare-clients.md`), at
//! `/compat/actuallycare/v1/clients`. Ids are the client's UUID; responses
//! are `{"success": true, "data": …}`; pages are numbered (`page`, `limit`).
//! The real-estate fields the canonical model lacks (`client_type`, budgets,
//! pre-approval, …) live in `custom_fields` under the same keys, so every
//! surface sees them. Choices the seed leaves open: docs/dialects/actuallycare.md.

mod errors;
mod views;
pub(crate) mod import;
mod writes;
mod clients;

use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::AppState;
use crate::dialects::Description;
use crate::dialects::paging::NumberedPages;

pub use errors::error;

const TAG: &str = "actuallycare";

/// How its lists page.
const PAGES: NumberedPages = NumberedPages { page: "page", size: "limit", default_size: 25 };

pub const DESCRIPTION: Description = Description {
    error_schema: "ActuallycareError",
    code: errors::code_name,
    pages: Some(PAGES),
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(clients::list, clients::create)).routes(routes!(clients::get, clients::update, clients::delete))
}

/// A field, whether a (non-null) value of it is valid, and what to say if not.
type Check = (&'static str, fn(&Value) -> bool, &'static str);
