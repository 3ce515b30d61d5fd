//! `GET /v1/clients/export` and `/v1/matters/export`: every record a list's
//! filters match, streamed as NDJSON or CSV a page at a time (constant
//! memory), in the keyset walk `service::export` describes.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::clients::client_filter;
use super::record_views::MatterView;
use super::records::list_request;
use super::views::ClientView;
use crate::api::extract::{Auth, ParamReader, QueryPairs};
use crate::api::problem::{ApiError, Problem};
use crate::api::AppState;
use crate::domain::custom_field::Entity;
use crate::domain::ids::MatterId;
use crate::domain::tabular::Layout;
use crate::service::ServiceError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Ndjson,
    Csv,
}

fn format(p: &mut ParamReader<'_>) -> Format {
    p.parsed("format", |s| match s {
        "ndjson" => Ok(Format::Ndjson),
        "csv" => Ok(Format::Csv),
        _ => Err("must be ndjson or csv".to_string()),
    })
    .unwrap_or(Format::Ndjson)
}

#[utoipa::path(
    get, path = "/v1/clients/export", tag = "clients", operation_id = "clients_export",
    summary = "Export clients (NDJSON or CSV)",
    description = "Requires `clients:read`. Every client the list filters match, oldest first, streamed: NDJSON (one \
        client view a line, the default) or CSV (the column layout of docs/bulk.md; cells that a spreadsheet would read \
        as a formula start with `'`). A keyset walk by creation time: each client at most once, as it was when its page \
        was read; clients created meanwhile are included.",
    params(
        ("format" = inline(Option<crate::api::openapi::ExportFormatName>), Query, description = "`ndjson` (default) or `csv`"),
        ("q" = Option<String>, Query, description = "As for the list"),
        ("status" = Option<String>, Query, description = "As for the list"),
        ("tags" = Option<String>, Query, description = "As for the list"),
        ("kind" = inline(Option<crate::api::openapi::ClientKindName>), Query, description = "As for the list"),
        ("company_id" = Option<String>, Query, description = "As for the list"),
        ("external_id" = Option<String>, Query, description = "As for the list"),
        ("ids" = Option<String>, Query, description = "As for the list"),
        ("created_since" = Option<String>, Query, description = "As for the list"),
        ("created_before" = Option<String>, Query, description = "As for the list"),
        ("updated_since" = Option<String>, Query, description = "As for the list"),
        ("updated_before" = Option<String>, Query, description = "As for the list"),
        ("email" = Option<String>, Query, description = "As for the list"),
        ("cf" = Option<Vec<String>>, Query, description = super::clients::CF_DOC),
    ),
    responses(
        (status = 200, description = "The clients, one per line or row", content((String = "application/x-ndjson"), (String = "text/csv"))),
        (status = 400, description = "A bad filter", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn clients(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let mut p = ParamReader::new(&pairs);
    let format = format(&mut p);
    let filter = client_filter(&mut p);
    p.finish()?;
    let walk = state.service.start_client_export(&actor, filter).await?;
    let layout = match format {
        Format::Csv => Some(Layout::clients(&state.service.custom_field_keys(&actor, Entity::Client).await?)),
        Format::Ndjson => None,
    };
    let pages = stream::unfold((state, actor, walk, layout, true), |(state, actor, mut walk, layout, first)| async move {
        let page = match state.service.next_clients(&actor, &mut walk).await {
            Ok(page) if page.is_empty() && !first => return None,
            Ok(page) => page,
            Err(e) => return Some((Err(failed(e)), (state, actor, walk, layout, false))),
        };
        let views = page.iter().map(|c| serde_json::to_value(ClientView::from(c)).unwrap_or_default());
        let chunk = encode(layout.as_ref(), first, views);
        Some((Ok(chunk), (state, actor, walk, layout, false)))
    });
    Ok(streamed(format, "clients", Body::from_stream(pages)))
}

#[utoipa::path(
    get, path = "/v1/matters/export", tag = "matters", operation_id = "matters_export",
    summary = "Export matters (NDJSON or CSV)",
    description = "Requires `matters:read`. Every matter the list filters match, oldest first, streamed like the \
        client export.",
    params(
        ("format" = inline(Option<crate::api::openapi::ExportFormatName>), Query, description = "`ndjson` (default) or `csv`"),
        ("client_id" = Option<String>, Query, description = "As for the list"),
        ("status" = inline(Option<Vec<crate::api::openapi::MatterStatusName>>), Query, description = "As for the list"),
        ("practice_area" = Option<String>, Query, description = "As for the list"),
        ("external_id" = Option<String>, Query, description = "As for the list"),
        ("q" = Option<String>, Query, description = "As for the list"),
    ),
    responses(
        (status = 200, description = "The matters, one per line or row", content((String = "application/x-ndjson"), (String = "text/csv"))),
        (status = 400, description = "A bad filter", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn matters(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let mut p = ParamReader::new(&pairs);
    let format = format(&mut p);
    let mut request = list_request::<MatterId>(&mut p);
    if request.limit.is_some() || request.cursor.is_some() {
        p.error("limit", "an export has no pages: leave out limit and cursor");
    }
    super::matters::matter_filter(&mut p, &mut request.filter);
    p.finish()?;
    let walk = state.service.start_matter_export(&actor, request.filter).await?;
    let layout = match format {
        Format::Csv => Some(Layout::matters(&state.service.custom_field_keys(&actor, Entity::Matter).await?)),
        Format::Ndjson => None,
    };
    let pages = stream::unfold((state, actor, walk, layout, true), |(state, actor, mut walk, layout, first)| async move {
        let page = match state.service.next_matters(&actor, &mut walk).await {
            Ok(page) if page.is_empty() && !first => return None,
            Ok(page) => page,
            Err(e) => return Some((Err(failed(e)), (state, actor, walk, layout, false))),
        };
        let views = page.iter().map(|m| serde_json::to_value(MatterView::from(m)).unwrap_or_default());
        Some((Ok(encode(layout.as_ref(), first, views)), (state, actor, walk, layout, false)))
    });
    Ok(streamed(format, "matters", Body::from_stream(pages)))
}

/// A page as NDJSON lines, or CSV rows (after the header, on the first page).
fn encode(layout: Option<&Layout>, first: bool, views: impl Iterator<Item = serde_json::Value>) -> Bytes {
    let Some(layout) = layout else {
        let mut out = Vec::new();
        for view in views {
            out.extend(view.to_string().into_bytes());
            out.push(b'\n');
        }
        return Bytes::from(out);
    };
    let mut csv = csv::WriterBuilder::new().from_writer(Vec::new());
    if first {
        let _ = csv.write_record(layout.header());
    }
    for view in views {
        let _ = csv.write_record(layout.row(&view));
    }
    Bytes::from(csv.into_inner().unwrap_or_default())
}

/// A failure after the answer started: the stream ends with an error, so the
/// connection is cut and the caller sees an incomplete body, never a short
/// export that looks whole.
pub(crate) fn failed(e: ServiceError) -> std::io::Error {
    tracing::warn!(error = %e, "export failed part-way");
    std::io::Error::other("the export failed part-way")
}

fn streamed(format: Format, name: &str, body: Body) -> Response {
    let (content_type, extension) = match format {
        Format::Ndjson => ("application/x-ndjson", "ndjson"),
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.{extension}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    response
}
