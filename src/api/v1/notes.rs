//! Notes: `/v1/clients/{id}/notes`, `/v1/matters/{id}/notes`, `/v1/notes/{id}`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::record_views::{NoteEnvelope, NoteList, NotePatch, NoteView, NoteWrite};
use super::records::{created, list_request, one, page, path_id};
use super::select::Fields;
use crate::api::extract::{precondition, Auth, JsonObject, ParamReader, PathId, QueryPairs};
use crate::api::problem::{ApiError, Problem};
use crate::api::written::{written, CANONICAL_OWNED};
use crate::domain::api_key::Scope;
use crate::api::AppState;
use crate::domain::ids::NoteId;
use crate::domain::note::NoteParent;

fn note_id(raw: &str) -> Result<NoteId, ApiError> {
    path_id(raw, "note")
}

fn client_parent(raw: &str) -> Result<NoteParent, ApiError> {
    path_id(raw, "client").map(NoteParent::Client)
}

fn matter_parent(raw: &str) -> Result<NoteParent, ApiError> {
    path_id(raw, "matter").map(NoteParent::Matter)
}

async fn create_on(state: &AppState, actor: &crate::service::Actor, parent: NoteParent, body: &serde_json::Map<String, serde_json::Value>) -> Result<Response, ApiError> {
    let note = state.service.create_note(actor, parent, body).await?;
    Ok(created(written(actor, Scope::NotesRead, NoteView::from(&note), CANONICAL_OWNED), note.version, format!("/v1/notes/{}", note.id())))
}

async fn list_on(state: &AppState, actor: &crate::service::Actor, parent: NoteParent, path: &str, pairs: &[(String, String)]) -> Result<Response, ApiError> {
    let mut p = ParamReader::new(pairs);
    let request = list_request::<NoteId>(&mut p);
    p.finish()?;
    let notes = state.service.list_notes(actor, parent, request).await?;
    Ok(page::<_, NoteView>(path, pairs, &notes, &Fields::default()))
}

#[utoipa::path(
    post, path = "/v1/clients/{id}/notes", tag = "notes",
    summary = "Add a note to a client",
    description = "Requires `notes:write`.",
    params(("id" = String, Path, description = "Client id (`cli_…`)")),
    request_body(content = NoteWrite, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = NoteEnvelope, headers(("Location" = String), ("ETag" = String))),
        (status = 404, description = "No such client in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_for_client(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    create_on(&state, &actor, client_parent(&id)?, &body).await
}

#[utoipa::path(
    get, path = "/v1/clients/{id}/notes", tag = "notes",
    summary = "List a client's notes",
    description = "Requires `notes:read`. Takes the common list parameters (`limit`, `cursor`, `sort`, `q`, …).",
    params(("id" = String, Path, description = "Client id (`cli_…`)"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("q" = Option<String>, Query, description = "Substring of subject or body")),
    responses(
        (status = 200, description = "One page of notes", body = NoteList),
        (status = 404, description = "No such client in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_for_client(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let parent = client_parent(&id)?;
    list_on(&state, &actor, parent, &format!("/v1/clients/{id}/notes"), &pairs).await
}

#[utoipa::path(
    post, path = "/v1/matters/{id}/notes", tag = "notes",
    summary = "Add a note to a matter",
    description = "Requires `notes:write`.",
    params(("id" = String, Path, description = "Matter id (`mat_…`)")),
    request_body(content = NoteWrite, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = NoteEnvelope, headers(("Location" = String), ("ETag" = String))),
        (status = 404, description = "No such matter in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_for_matter(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    create_on(&state, &actor, matter_parent(&id)?, &body).await
}

#[utoipa::path(
    get, path = "/v1/matters/{id}/notes", tag = "notes",
    summary = "List a matter's notes",
    description = "Requires `notes:read`.",
    params(("id" = String, Path, description = "Matter id (`mat_…`)"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("q" = Option<String>, Query, description = "Substring of subject or body")),
    responses(
        (status = 200, description = "One page of notes", body = NoteList),
        (status = 404, description = "No such matter in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_for_matter(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let parent = matter_parent(&id)?;
    list_on(&state, &actor, parent, &format!("/v1/matters/{id}/notes"), &pairs).await
}

#[utoipa::path(
    get, path = "/v1/notes/{id}", tag = "notes",
    summary = "Get a note",
    description = "Requires `notes:read`.",
    params(("id" = String, Path, description = "Note id (`note_…`)")),
    responses(
        (status = 200, description = "The note", body = NoteEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such note in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    let note = state.service.get_note(&actor, note_id(&id)?).await?;
    Ok(one(StatusCode::OK, written(&actor, Scope::NotesRead, NoteView::from(&note), CANONICAL_OWNED), note.version))
}

#[utoipa::path(
    patch, path = "/v1/notes/{id}", tag = "notes",
    summary = "Update a note (JSON merge patch)",
    description = "Requires `notes:write`.",
    params(("id" = String, Path, description = "Note id (`note_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the note must still have")),
    request_body(content = NotePatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The updated note", body = NoteEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such note in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`version_conflict`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`precondition_failed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Auth(actor): Auth,
    PathId(id): PathId,
    headers: HeaderMap,
    JsonObject(mut body): JsonObject,
) -> Result<Response, ApiError> {
    let id = note_id(&id)?;
    let pre = precondition(&headers, Some(&mut body))?;
    let note = state.service.update_note(&actor, id, &body, pre).await?;
    Ok(one(StatusCode::OK, written(&actor, Scope::NotesRead, NoteView::from(&note), CANONICAL_OWNED), note.version))
}

#[utoipa::path(
    delete, path = "/v1/notes/{id}", tag = "notes",
    summary = "Delete a note (soft)",
    description = "Requires `notes:write`.",
    params(("id" = String, Path, description = "Note id (`note_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the note must still have")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such note in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not match (`precondition_failed`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    let id = note_id(&id)?;
    let pre = precondition(&headers, None)?;
    state.service.delete_note(&actor, id, pre).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/v1/notes/{id}/restore", tag = "notes",
    summary = "Restore a deleted note",
    description = "Requires `notes:write`.",
    params(("id" = String, Path, description = "Note id (`note_…`)")),
    responses(
        (status = 200, description = "The restored note", body = NoteEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such note", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn restore(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    let note = state.service.restore_note(&actor, note_id(&id)?).await?;
    Ok(one(StatusCode::OK, written(&actor, Scope::NotesRead, NoteView::from(&note), CANONICAL_OWNED), note.version))
}
