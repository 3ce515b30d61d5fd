//! The pages for people: `/` sends a browser to the console, `/console`
//! and `/docs` are served from the binary with a strict CSP, and `/assets/`
//! serves only the files it lists.

use reqwest::StatusCode;

use crate::helpers::{expect_problem, TestApp};
use crate::support::header;

crate::store_tests!(
    a_browser_opening_the_root_is_sent_to_the_console_and_an_api_client_gets_json,
    pages_are_sent_with_a_strict_content_security_policy,
    assets_are_served_with_their_types_and_nothing_else_is,
);

async fn a_browser_opening_the_root_is_sent_to_the_console_and_an_api_client_gets_json(app: TestApp) {
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let browser = no_redirects.get(app.url("/")).header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8").send().await.unwrap();
    assert_eq!(browser.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&browser, "location"), "/console");
    let api_client = app.http.get(app.url("/")).header("Accept", "application/json").send().await.unwrap();
    expect_problem(api_client, StatusCode::NOT_FOUND, "not_found").await;
    expect_problem(app.http.get(app.url("/")).send().await.unwrap(), StatusCode::NOT_FOUND, "not_found").await;
}

async fn pages_are_sent_with_a_strict_content_security_policy(app: TestApp) {
    for path in ["/console", "/docs"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&response, "content-type"), "text/html; charset=utf-8", "{path}");
        let csp = header(&response, "content-security-policy");
        for directive in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "connect-src 'self'"] {
            assert!(csp.contains(directive), "{path}: {directive} missing from {csp}");
        }
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        let page = response.text().await.unwrap();
        assert!(page.contains("<script type=\"module\" src=\"/assets/"), "{path} loads its script from /assets/");
        assert!(!page.contains("http://") && !page.contains("https://"), "{path} loads nothing from elsewhere");
    }
}

async fn assets_are_served_with_their_types_and_nothing_else_is(app: TestApp) {
    let script = app.http.get(app.url("/assets/console/app.js")).send().await.unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(header(&script, "content-type"), "text/javascript; charset=utf-8");
    assert!(!header(&script, "content-security-policy").is_empty());
    let style = app.http.get(app.url("/assets/docs/docs.css")).send().await.unwrap();
    assert_eq!(header(&style, "content-type"), "text/css; charset=utf-8");
    for path in ["/assets/console/missing.js", "/assets/../Cargo.toml", "/assets/%2e%2e/Cargo.toml", "/assets/console/", "/assets/"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    }
}
