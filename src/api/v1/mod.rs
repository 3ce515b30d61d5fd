//! The canonical API, `/v1`.

pub mod batch;
pub mod clients;
pub mod custom_actions;
pub mod custom_fields;
pub mod erasure;
pub mod duplicates;
pub mod events;
pub mod export;
pub mod keys;
pub mod leads;
pub mod matters;
pub mod merges;
pub mod notes;
pub mod person;
pub mod record_views;
pub mod records;
pub mod sessions;
pub mod rendered;
pub mod select;
pub mod users;
pub mod views;
pub mod webhook_views;
pub mod webhooks;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(clients::list, clients::create))
        .routes(routes!(clients::get, clients::update, clients::replace, clients::delete))
        .routes(routes!(clients::restore))
        .routes(routes!(erasure::erase))
        .routes(routes!(merges::merge))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::get, keys::revoke))
        .routes(routes!(keys::me))
        .routes(routes!(events::list))
        .routes(routes!(matters::list, matters::create))
        .routes(routes!(matters::get, matters::update, matters::replace, matters::delete))
        .routes(routes!(matters::restore))
        .routes(routes!(notes::list_for_client, notes::create_for_client))
        .routes(routes!(notes::list_for_matter, notes::create_for_matter))
        .routes(routes!(notes::get, notes::update, notes::delete))
        .routes(routes!(notes::restore))
        .routes(routes!(leads::list, leads::create))
        .routes(routes!(leads::get, leads::update))
        .routes(routes!(leads::convert))
        .routes(routes!(leads::list_tokens, leads::create_token))
        .routes(routes!(leads::revoke_token))
        .routes(routes!(leads::intake))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::me))
        .routes(routes!(users::get, users::update, users::delete))
        .routes(routes!(sessions::set_password))
        .routes(routes!(sessions::create))
        .routes(routes!(sessions::current, sessions::delete))
        .routes(routes!(custom_fields::list, custom_fields::create))
        .routes(routes!(custom_fields::get, custom_fields::update, custom_fields::delete))
        .routes(routes!(custom_actions::list, custom_actions::create))
        .routes(routes!(custom_actions::get, custom_actions::update, custom_actions::delete))
        .routes(routes!(custom_actions::issue_nonce))
        .routes(routes!(export::clients))
        .routes(routes!(export::matters))
        .routes(routes!(person::export))
        .routes(routes!(duplicates::list))
        .routes(routes!(batch::clients))
        .routes(routes!(batch::matters))
        .routes(routes!(events::client_history))
        .routes(routes!(events::matter_history))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::ping))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::get_delivery))
        .routes(routes!(webhooks::retry))
}
