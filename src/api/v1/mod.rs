//! The canonical API, `/v1`.

pub mod clients;
pub mod events;
pub mod keys;
pub mod views;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(clients::list, clients::create))
        .routes(routes!(clients::get, clients::update, clients::replace, clients::delete))
        .routes(routes!(clients::restore))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::get, keys::revoke))
        .routes(routes!(keys::me))
        .routes(routes!(events::list))
}
