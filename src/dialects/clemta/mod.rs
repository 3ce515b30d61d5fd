//! Clemta's Contacts API (`../shared/seeds/clemta-contacts.txt`), at
//! `/compat/clemta/contacts`. A contact is a person client belonging to a
//! company client (`company_id`); ids are the record's UUID; times are Unix
//! seconds; every answer is `{success, message, data}` (and `error` on
//! failure). `type`, `cc_emails`, `bcc_emails` and `billing` have no canonical
//! field and live in `custom_fields`. Choices the seed leaves open:
//! docs/dialects/clemta.md.

mod errors;
mod views;
pub(crate) mod import;
mod writes;
mod contacts;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::AppState;
use crate::dialects::Description;
use crate::dialects::paging::NumberedPages;

pub use errors::error;

const TAG: &str = "clemta";

/// How its lists page.
const PAGES: NumberedPages = NumberedPages { page: "page", size: "limit", default_size: 20 };

pub const DESCRIPTION: Description = Description {
    error_schema: "ClemtaError",
    code: errors::code_name,
    pages: Some(PAGES),
};
pub(super) const TYPES: &[&str] = &["customer", "vendor"];

/// Where the vendor-only fields are kept in the canonical `custom_fields`.
pub(super) const TYPE_KEY: &str = "contact_type";
pub(super) const CC_KEY: &str = "cc_emails";
pub(super) const BCC_KEY: &str = "bcc_emails";
pub(super) const BILLING_KEY: &str = "billing";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(contacts::create, contacts::list)).routes(routes!(contacts::get))
}
