//! Vendor dialects: each seed API of `../shared/seeds`, spoken over the same
//! service. A dialect parses its vendor's requests into canonical documents,
//! calls the service, and renders the vendor's shapes; it holds no rules and
//! no SQL. Errors are made once, as problems, and re-rendered in the vendor's
//! error shape on the way out ([`vendor_errors`]).

pub mod actuallycare;
pub mod calmintake;
pub mod clemta;
pub mod clio_grow;
pub mod common;
pub mod full_engage;
pub mod import;
pub mod paging;

use axum::http::StatusCode;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;

use crate::api::problem::Problem;
use crate::api::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Calmintake,
    Actuallycare,
    ClioGrow,
    FullEngage,
    Clemta,
}

impl Dialect {
    pub const ALL: [Dialect; 5] = [Dialect::Calmintake, Dialect::Actuallycare, Dialect::ClioGrow, Dialect::FullEngage, Dialect::Clemta];

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Calmintake => "calmintake",
            Dialect::Actuallycare => "actuallycare",
            Dialect::ClioGrow => "clio-grow",
            Dialect::FullEngage => "full-engage",
            Dialect::Clemta => "clemta",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Where the dialect is always mounted.
    pub fn prefix(self) -> String {
        format!("/compat/{}", self.name())
    }

    /// Whether the vendor's paths can be served at `/` beside `/v1`:
    /// ActuallyCare's `/v1/clients` is the canonical API's own path.
    pub fn can_mount_at_root(self) -> bool {
        self != Dialect::Actuallycare
    }

    /// The dialect's routes, with the vendor's own paths (relative to its mount).
    pub fn routes(self) -> OpenApiRouter<AppState> {
        match self {
            Dialect::Calmintake => calmintake::routes(),
            Dialect::Actuallycare => actuallycare::routes(),
            Dialect::ClioGrow => clio_grow::routes(),
            Dialect::FullEngage => full_engage::routes(),
            Dialect::Clemta => clemta::routes(),
        }
    }

    pub fn description(self) -> &'static Description {
        match self {
            Dialect::Calmintake => &calmintake::DESCRIPTION,
            Dialect::Actuallycare => &actuallycare::DESCRIPTION,
            Dialect::ClioGrow => &clio_grow::DESCRIPTION,
            Dialect::FullEngage => &full_engage::DESCRIPTION,
            Dialect::Clemta => &clemta::DESCRIPTION,
        }
    }

    /// How the OpenAPI document shows the dialect's errors.
    pub fn error_shape(self) -> crate::api::openapi::ErrorShape {
        let d = self.description();
        crate::api::openapi::ErrorShape { content_type: "application/json", schema: d.error_schema, code: d.code }
    }

    /// The vendor's error response for a problem.
    fn render_error(self, problem: &Problem) -> (StatusCode, Value) {
        match self {
            Dialect::Calmintake => calmintake::error(problem),
            Dialect::Actuallycare => actuallycare::error(problem),
            Dialect::ClioGrow => clio_grow::error(problem),
            Dialect::FullEngage => full_engage::error(problem),
            Dialect::Clemta => clemta::error(problem),
        }
    }
}

/// What the shared machinery reads of a dialect: how its errors are named
/// and documented, and how its lists page.
pub struct Description {
    /// The OpenAPI schema of its error body.
    pub error_schema: &'static str,
    /// Its code for a canonical problem code (`unauthorized` → `UNAUTHORIZED`).
    pub code: fn(&str) -> String,
    /// Its numbered pages, if it pages so.
    pub pages: Option<paging::NumberedPages>,
}

impl std::str::FromStr for Dialect {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|d| d.name()).collect();
            format!("unknown dialect `{s}`; one of: {}", names.join(", "))
        })
    }
}

/// Every dialect at `/compat/<name>`, and `root` (if any) also at `/`. A root
/// dialect that can't be mounted there ([`Dialect::can_mount_at_root`]; the
/// command line refuses it) is served under `/compat` only.
pub fn routes(root: Option<Dialect>) -> (OpenApiRouter<AppState>, Option<axum::Router<AppState>>) {
    let mut mounted = OpenApiRouter::new();
    for dialect in Dialect::ALL {
        mounted = mounted.nest(&dialect.prefix(), dialect.routes());
    }
    // The root mount serves the same handlers; the OpenAPI document lists
    // them once, under `/compat/<name>`.
    let root = root.filter(|d| d.can_mount_at_root()).map(|d| d.routes().split_for_parts().0);
    (mounted, root)
}

/// Which dialect a request path speaks, if any.
pub fn dialect_of(path: &str, root: Option<Dialect>) -> Option<Dialect> {
    if let Some(rest) = path.strip_prefix("/compat/") {
        let name = rest.split('/').next().unwrap_or("");
        return Dialect::parse(name);
    }
    let canonical = ["/v1/", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/problems/", "/console", "/assets/"];
    let is_canonical = path == "/v1" || canonical.iter().any(|p| path.starts_with(p));
    root.filter(|_| !is_canonical)
}

/// Problems on dialect paths in the vendor's error shape (`root`: the
/// dialect also mounted at `/`, if any).
pub fn reshape(root: Option<Dialect>) -> crate::api::problem::Reshape {
    std::sync::Arc::new(move |path: &str, problem: &Problem| dialect_of(path, root).map(|d| d.render_error(problem)))
}
