//! `GET /v1/clients/{id}/export`: everything held about one person as one
//! JSON document, streamed a page at a time as `service::person` reads it.
//! The manifest comes last: its counts are of what the document holds.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::clients::client_id;
use super::record_views::{CustomFieldView, LeadView, MatterView, NoteView};
use super::views::{ClientView, EventView};
use crate::api::extract::{Auth, ParamReader, PathId, QueryPairs};
use crate::api::problem::{ApiError, Problem};
use crate::api::AppState;
use crate::domain::record::Stored;
use crate::domain::time::Timestamp;
use crate::service::person::{Part, PersonWalk};
use crate::service::Actor;

/// How many records of each kind the document holds.
#[derive(Serialize, ToSchema, Default)]
pub struct ExportCounts {
    pub clients: u64,
    pub matters: u64,
    pub notes: u64,
    pub leads: u64,
    pub custom_fields: u64,
    pub events: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ExportManifest {
    /// When the export started.
    pub generated_at: String,
    pub client_id: String,
    pub counts: ExportCounts,
}

/// Everything held about one person. Every record also shows `deleted_at`
/// (null when live).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documents the streamed body; the handler writes it a page at a time
pub struct PersonExport<'a> {
    pub client: ClientView<'a>,
    pub matters: Vec<MatterView>,
    /// Notes on the client and on its matters.
    pub notes: Vec<NoteView>,
    /// Leads converted into the client.
    pub leads: Vec<LeadView>,
    /// The definitions the client's and its matters' custom-field values use.
    pub custom_fields: Vec<CustomFieldView>,
    /// The events about each of these records, record by record, oldest first.
    pub events: Vec<EventView>,
    pub manifest: ExportManifest,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documents the streamed body
pub struct PersonExportEnvelope<'a> {
    pub data: PersonExport<'a>,
}

#[utoipa::path(
    get, path = "/v1/clients/{id}/export", tag = "clients", operation_id = "clients_export_person",
    summary = "Export everything held about one person (GDPR access and portability)",
    description = "Requires `admin`. One JSON document: the client, its matters, the notes on it and on its \
        matters, the leads converted into it, the custom-field definitions its values use, the events about each \
        of these records, and a manifest (last) with `generated_at` and counts per kind. Soft-deleted records are \
        included, and a soft-deleted client can be exported until it is purged. The body is streamed; a failure \
        part-way cuts the connection, so a short document never parses as whole.",
    params(("id" = String, Path, description = "Client id (`cli_…`)")),
    responses(
        (status = 200, description = "The document", body = PersonExportEnvelope),
        (status = 403, description = "The key lacks `admin`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn export(State(state): State<AppState>, Auth(actor): Auth, PathId(raw): PathId, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    ParamReader::new(&pairs).finish()?;
    let walk = state.service.start_person_export(&actor, client_id(&raw)?).await?;
    let head = format!("{{\"data\":{{\"client\":{}", record(&ClientView::from(&walk.client), walk.client.deleted_at));
    let writer = Writer { state, actor, walk, open: None, counts: ExportCounts { clients: 1, ..ExportCounts::default() }, done: false };
    let rest = stream::unfold(writer, |mut w| async move {
        if w.done {
            return None;
        }
        match w.state.service.next_person_part(&w.actor, &mut w.walk).await {
            Ok(Some(part)) => Some((Ok(w.part(&part)), w)),
            Ok(None) => {
                w.done = true;
                Some((Ok(w.end()), w))
            }
            Err(e) => {
                w.done = true;
                Some((Err(super::export::failed(e)), w))
            }
        }
    });
    let body = stream::iter([Ok::<Bytes, std::io::Error>(Bytes::from(head))]);
    let mut response = Body::from_stream(futures_util::StreamExt::chain(body, rest)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{raw}.json\"")) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

/// A view as JSON, with the record's `deleted_at`.
fn record(view: &impl Serialize, deleted_at: Option<Timestamp>) -> String {
    let mut value = serde_json::to_value(view).unwrap_or_default();
    if let Value::Object(fields) = &mut value {
        fields.insert("deleted_at".into(), deleted_at.map_or(Value::Null, |t| Value::String(t.to_string())));
    }
    value.to_string()
}

fn records<'a, F: 'a, V: Serialize + From<&'a Stored<F>>>(items: &'a [Stored<F>]) -> Vec<String> {
    items.iter().map(|r| record(&V::from(r), r.deleted_at)).collect()
}

/// Writes the document's sections as their pages come.
struct Writer {
    state: AppState,
    actor: Actor,
    walk: PersonWalk,
    /// The section being written, and whether it has an item yet.
    open: Option<(&'static str, bool)>,
    counts: ExportCounts,
    done: bool,
}

impl Writer {
    fn part(&mut self, part: &Part) -> Bytes {
        let mut out = String::new();
        let section = part.section();
        if self.open.map(|(s, _)| s) != Some(section) {
            if self.open.is_some() {
                out.push(']');
            }
            out.push_str(&format!(",\"{section}\":["));
            self.open = Some((section, false));
        }
        let (items, count) = match part {
            Part::Matters(v) => (records::<_, MatterView>(v), &mut self.counts.matters),
            Part::Notes(v) => (records::<_, NoteView>(v), &mut self.counts.notes),
            Part::Leads(v) => (records::<_, LeadView>(v), &mut self.counts.leads),
            Part::CustomFields(v) => (records::<_, CustomFieldView>(v), &mut self.counts.custom_fields),
            Part::Events(v) => (v.iter().map(|e| serde_json::to_string(&EventView::from(e)).unwrap_or_default()).collect(), &mut self.counts.events),
        };
        *count += items.len() as u64;
        for item in items {
            if let Some((_, started)) = &mut self.open {
                if *started {
                    out.push(',');
                }
                *started = true;
            }
            out.push_str(&item);
        }
        Bytes::from(out)
    }

    fn end(&mut self) -> Bytes {
        let mut out = String::from(if self.open.is_some() { "]" } else { "" });
        let manifest = ExportManifest {
            generated_at: self.walk.generated_at.to_string(),
            client_id: self.walk.client.id.to_string(),
            counts: std::mem::take(&mut self.counts),
        };
        out.push_str(&format!(",\"manifest\":{}}}}}", serde_json::to_string(&manifest).unwrap_or_default()));
        Bytes::from(out)
    }
}
