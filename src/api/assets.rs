//! The pages the server serves to people: the console (`/console`) and the
//! API reference (`/docs`), with their scripts and styles under `/assets/`.
//!
//! Every file is compiled into the binary (`include_bytes!`), so the pages
//! work offline and nothing is fetched at build or run time. They are plain
//! HTML, CSS and ES modules: no bundler, no Node to build. Each page is sent
//! with a strict Content-Security-Policy: scripts and styles only from this
//! origin, none inline.
//!
//! For working on the pages, `CLIENTELE_ASSETS_DIR=<dir>` makes the server
//! read them from `<dir>` (the repository's `assets/`) on every request
//! instead, so an edit shows on reload without a rebuild.
//! Only the files the table below lists are in the binary: a new file is
//! added to it.

use std::borrow::Cow;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use super::problem::ApiError;
use super::AppState;

/// The Content-Security-Policy of every page and asset.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

macro_rules! assets {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $path)) as &[u8])),*]
    };
}

/// Every file under `/assets/`, by path.
static ASSETS: &[(&str, &[u8])] = assets![
    "console/index.html",
    "console/api.js",
    "console/app.css",
    "console/app.js",
    "console/client_form.js",
    "console/client_view.js",
    "console/clients.js",
    "console/custom_fields.js",
    "console/edit_support.js",
    "console/events.js",
    "console/fields.js",
    "console/history.js",
    "console/keys.js",
    "console/leads.js",
    "console/matter_form.js",
    "console/matter_view.js",
    "console/matters.js",
    "console/notes.js",
    "console/people.js",
    "console/pickers.js",
    "console/router.js",
    "console/ui.js",
    "console/users.js",
    "console/webhooks.js",
    "docs/index.html",
    "docs/docs.css",
    "docs/docs.js",
    "docs/h.js",
    "docs/markdown.js",
    "docs/schema.js",
    "docs/search.js",
    "docs/tryit.js",
];

/// The routes of the pages. Not in the OpenAPI document: they are for
/// browsers, not API clients (`/docs` is listed, by `system`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/console", get(console))
        .route("/assets/{*path}", get(asset))
}

/// A browser that opens the server is sent to the console; anything else
/// asking for `/` gets the JSON 404 it always did.
async fn root(headers: HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with("text/html")));
    if wants_html {
        Redirect::to("/console").into_response()
    } else {
        ApiError::RouteNotFound.into_response()
    }
}

async fn console() -> Response {
    page("console/index.html")
}

/// The API reference page.
pub fn docs() -> Response {
    page("docs/index.html")
}

async fn asset(Path(path): Path<String>) -> Response {
    match read(&path) {
        Some(body) => {
            let cache = if cfg!(debug_assertions) { "no-cache" } else { "public, max-age=300" };
            respond(content_type(&path), cache, body)
        }
        None => ApiError::RouteNotFound.into_response(),
    }
}

fn page(path: &str) -> Response {
    match read(path) {
        // Pages are always revalidated, so a new binary's page never meets
        // an old script.
        Some(body) => respond("text/html; charset=utf-8", "no-cache", body),
        None => ApiError::RouteNotFound.into_response(),
    }
}

fn respond(content_type: &'static str, cache: &'static str, body: Cow<'static, [u8]>) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// An asset's bytes: a listed one from the binary, or any file under
/// `CLIENTELE_ASSETS_DIR` when that is set (a path of plain names only).
fn read(path: &str) -> Option<Cow<'static, [u8]>> {
    if let Some(dir) = std::env::var_os("CLIENTELE_ASSETS_DIR") {
        let plain = |s: &str| !s.starts_with('.') && !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !path.split('/').all(plain) {
            return None;
        }
        return std::fs::read(std::path::Path::new(&dir).join(path)).ok().map(Cow::Owned);
    }
    ASSETS.iter().find(|(p, _)| *p == path).map(|(_, body)| Cow::Borrowed(*body))
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_asset_has_a_known_type() {
        for (path, _) in ASSETS {
            assert_ne!(content_type(path), "application/octet-stream", "{path}");
        }
    }

    /// A file left out of the table works with `CLIENTELE_ASSETS_DIR` and
    /// breaks the page in the binary.
    #[test]
    fn every_file_under_assets_is_listed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        for dir in std::fs::read_dir(&root).unwrap() {
            let dir = dir.unwrap();
            for file in std::fs::read_dir(dir.path()).unwrap() {
                let path = format!("{}/{}", dir.file_name().to_string_lossy(), file.unwrap().file_name().to_string_lossy());
                assert!(ASSETS.iter().any(|(p, _)| *p == path), "{path} is not in ASSETS");
            }
        }
    }

    #[test]
    fn pages_load_no_inline_script_or_style() {
        for (path, body) in ASSETS.iter().filter(|(p, _)| p.ends_with(".html")) {
            let text = std::str::from_utf8(body).unwrap();
            assert!(!text.contains("<style"), "{path} has an inline style block");
            assert!(!text.contains(" style="), "{path} has a style attribute");
            for script in text.split("<script").skip(1) {
                assert!(script.split('>').next().unwrap().contains("src="), "{path} has an inline script");
            }
        }
    }
}
