//! `/api/v1/contacts/{contact_id}/notes` and `/api/v1/matters/{matter_id}/notes`.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::AppState;
use crate::api::extract::{Auth, JsonObject, PathId, QueryPairs};
use crate::api::json::Json;
use crate::api::problem::ApiError;
use crate::api::written::written;
use crate::dialects::common::{refuse_unknown_in, seq_id};
use crate::domain::api_key::Scope;
use crate::domain::contract::{Contract, Field};
use crate::domain::matter::MatterFields;
use crate::domain::note::NoteParent;
use crate::domain::note;
use crate::service::notes::Note;
use crate::service::{Actor, Service};

use super::TAG;
use super::errors::ErrorBody;
use super::paging::{ListParams, Meta};
use super::views::global_id;
use super::writes::{data, data_object};

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowNote)]
pub struct NoteView {
    #[schema(example = 123)]
    id: i64,
    #[schema(example = "01ARZ3NDEKTSV4RRFFQ69G5FAV")]
    global_id: String,
    #[schema(example = "API request")]
    subject: Option<String>,
    #[schema(example = "Making a matter note from the API")]
    body: String,
    #[schema(example = "2024-01-15T10:30:00Z")]
    created_at: String,
    #[schema(example = "2024-02-20T14:45:00Z")]
    updated_at: String,
}

impl From<&Note> for NoteView {
    fn from(n: &Note) -> Self {
        Self {
            id: n.seq,
            global_id: global_id(&n.id().to_string()),
            subject: n.fields.subject.clone(),
            body: n.fields.body.clone(),
            created_at: n.created_at.to_string(),
            updated_at: n.updated_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowNoteEnvelope)]
pub struct NoteEnvelope {
    data: NoteView,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowNoteList)]
pub struct NoteList {
    data: Vec<NoteView>,
    meta: Meta,
}

const NOTE_FIELDS: Contract = Contract {
    name: "ClioGrowNoteFieldsWrite",
    doc: "A note's fields.",
    fields: &[
        Field { example: Some("Follow-up call"), ..note::SUBJECT },
        Field { example: Some("Discussed project timeline and next steps."), ..note::BODY },
    ],
    required: &["body"],
};

const NOTE: Contract = Contract { name: "ClioGrowNoteWrite", doc: "The body of Create Note.", fields: &[data(&NOTE_FIELDS)], required: &["data"] };

crate::contract_body!(NoteWrite, NOTE);

/// A contact's or matter's notes.
enum Parent {
    Contact,
    Matter,
}

/// The parent named by an integer id (404 if it isn't a live one of the firm).
async fn parent(service: &Service, actor: &Actor, which: Parent, raw: &str) -> Result<NoteParent, ApiError> {
    Ok(match which {
        Parent::Contact => NoteParent::Client(service.client_id_by_seq(actor, seq_id(raw, "client")?).await?),
        Parent::Matter => NoteParent::Matter(service.record_id_by_seq::<MatterFields>(actor, seq_id(raw, "matter")?).await?),
    })
}

async fn list_notes(state: AppState, actor: Actor, which: Parent, id: String, path: &str, pairs: &[(String, String)]) -> Result<Response, ApiError> {
    let mut p = crate::dialects::common::params(pairs);
    let params = ListParams::read(&mut p);
    p.finish()?;
    actor.require(Scope::NotesRead)?;
    let parent = parent(&state.service, &actor, which, &id).await?;
    let page = state.service.list_notes(&actor, parent, params.records()).await?;
    let data = page.items.iter().map(NoteView::from).collect();
    Ok(Json(NoteList { data, meta: Meta::new(path, pairs, page.next_cursor.as_deref()) }).into_response())
}

async fn create_note(state: AppState, actor: Actor, which: Parent, id: String, pairs: &[(String, String)], body: serde_json::Map<String, serde_json::Value>) -> Result<Response, ApiError> {
    crate::dialects::common::params(pairs).finish()?;
    let data = data_object(body)?;
    refuse_unknown_in(&data, &NOTE_FIELDS)?;
    actor.require(Scope::NotesWrite)?;
    let parent = parent(&state.service, &actor, which, &id).await?;
    let note = state.service.create_note(&actor, parent, &data).await?;
    let data = written(&actor, Scope::NotesRead, NoteView::from(&note), super::OWNED);
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "data": data }))).into_response())
}

/// The list and create handlers of one parent's notes: the two parents'
/// differ only in their paths and words.
macro_rules! note_routes {
    ($parent:expr, $list:ident, $create:ident, path = $path:literal, id = $id:literal, one = $one:literal,
     list = $list_summary:literal, create = $create_summary:literal, missing = $missing:literal) => {
        #[utoipa::path(
            get, path = $path, tag = TAG,
            summary = $list_summary,
            description = "Requires `notes:read`. Oldest first; follow `meta.paging.next` for the next page.",
            params(
                ($id = i64, Path, description = $one),
                ("page_token" = Option<String>, Query, description = "Opaque token for cursor-based pagination"),
                ("created_since" = Option<String>, Query, description = "Created on or after this time (ISO-8601)"),
                ("updated_since" = Option<String>, Query, description = "Updated on or after this time (ISO-8601)"),
                ("ids[]" = Option<Vec<i64>>, Query, description = "Filter by note ids (max 50)"),
                ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25); not in Clio's reference"),
                ("custom_action_nonce" = Option<String>, Query, description = "A custom action's single-use nonce; 403 if invalid"),
            ),
            responses(
                (status = 200, description = "A page of notes", body = NoteList),
                (status = 400, description = "`ValidationError`", body = ErrorBody),
                (status = 404, description = $missing, body = ErrorBody),
            )
        )]
        pub async fn $list(
            State(state): State<AppState>,
            Auth(actor): Auth,
            PathId(id): PathId,
            OriginalUri(uri): OriginalUri,
            QueryPairs(pairs): QueryPairs,
        ) -> Result<Response, ApiError> {
            list_notes(state, actor, $parent, id, uri.path(), &pairs).await
        }

        #[utoipa::path(
            post, path = $path, tag = TAG,
            summary = $create_summary,
            description = "Requires `notes:write`. `body` is required.",
            params(
                ($id = i64, Path, description = $one),
                ("custom_action_nonce" = Option<String>, Query, description = "A custom action's single-use nonce; 403 if invalid"),
            ),
            request_body(content = NoteWrite, content_type = "application/json"),
            responses(
                (status = 201, description = "Created", body = NoteEnvelope),
                (status = 400, description = "`ValidationError`: missing, unknown or invalid fields, or malformed JSON", body = ErrorBody),
                (status = 404, description = $missing, body = ErrorBody),
                (status = 409, description = "`ConflictError`: a request with this `Idempotency-Key` is still running", body = ErrorBody),
                (status = 413, description = "`PayloadTooLargeError`", body = ErrorBody),
                (status = 415, description = "`UnsupportedMediaTypeError`", body = ErrorBody),
                (status = 422, description = "`UnprocessableEntityError`: the `Idempotency-Key` was used with another request", body = ErrorBody),
            )
        )]
        pub async fn $create(
            State(state): State<AppState>,
            Auth(actor): Auth,
            PathId(id): PathId,
            QueryPairs(pairs): QueryPairs,
            JsonObject(body): JsonObject,
        ) -> Result<Response, ApiError> {
            create_note(state, actor, $parent, id, &pairs, body).await
        }
    };
}

note_routes!(
    Parent::Contact, list_contact_notes, create_contact_note,
    path = "/api/v1/contacts/{contact_id}/notes", id = "contact_id", one = "The contact's integer id",
    list = "List a Contact's Notes", create = "Create a Note for a Contact",
    missing = "`RecordNotFound`: no such contact in this firm"
);

note_routes!(
    Parent::Matter, list_matter_notes, create_matter_note,
    path = "/api/v1/matters/{matter_id}/notes", id = "matter_id", one = "The matter's integer id",
    list = "List a Matter's Notes", create = "Create a Note for a Matter",
    missing = "`RecordNotFound`: no such matter in this firm"
);
