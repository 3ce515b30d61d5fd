//! `POST /v1/clients/{id}/merge`: parse, call the service, render.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use super::clients::client_id;
use super::views::ClientView;
use crate::api::extract::{etag, precondition, Auth, JsonObject, PathId};
use crate::api::json::Json;
use crate::api::problem::{ApiError, Problem};
use crate::api::written::{written, CANONICAL_OWNED};
use crate::api::AppState;
use crate::domain::api_key::Scope;
use crate::domain::client::merge::Prefer;
use crate::domain::ids::ClientId;
use crate::domain::input::Reader;
use crate::service::merges::{MergeRequest, Merged, MAX_SOURCES};
use crate::service::{Actor, ServiceError};

/// The body of a merge.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ClientMerge {
    /// The clients to merge into this one: 1 to 50, distinct, not this one,
    /// live, of this firm and of this client's kind.
    #[schema(example = json!(["cli_01J9ZQ4R8Y6V2K3M5N7P9Q1S3T"]))]
    from: Vec<String>,
    /// Only compute the result and what would move; change nothing.
    #[serde(default)]
    dry_run: Option<bool>,
    /// Whose value wins a field several clients have: `target` (default:
    /// this client, then `from` in order) or `newest` (most recently updated first).
    #[schema(value_type = Option<String>, example = "target")]
    prefer: Option<String>,
    /// Per field (`first_name`, `email`, … or `custom_fields.<key>`), the
    /// client (this one or one of `from`) whose value wins, even a blank one.
    #[schema(value_type = Option<Object>, example = json!({"email": "cli_01J9ZQ4R8Y6V2K3M5N7P9Q1S3T"}))]
    fields: Option<Map<String, Value>>,
}

/// The ids of what moved to the target (or would).
#[derive(Serialize, ToSchema)]
pub struct MergeMoves {
    /// Matters (only for a key with `matters:read`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matters: Option<Vec<String>>,
    /// Notes on the merged clients (only with `notes:read`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<String>>,
    /// Leads converted into them (only with `leads:read`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leads: Option<Vec<String>>,
    /// People whose company was merged (only with `clients:read`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub people: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct MergeView<'a> {
    /// The target as it is after the merge (or would be).
    pub client: ClientView<'a>,
    pub dry_run: bool,
    /// The clients merged into it, now tombstones whose reads answer 404
    /// with `merged_into`.
    pub merged: Vec<String>,
    pub moved: MergeMoves,
}

#[derive(Serialize, ToSchema)]
pub struct MergeEnvelope<'a> {
    pub data: MergeView<'a>,
}

#[utoipa::path(
    post, path = "/v1/clients/{id}/merge", tag = "clients",
    summary = "Merge duplicate clients into this one",
    description = "Requires `clients:write`. The target keeps its id; the matters, notes and leads of the clients in \
        `from` (and the people of a merged company) move to it; other emails, phones, addresses and tags are united; \
        blank fields are filled, custom fields merged, by `prefer` and `fields`. The merged clients become tombstones: \
        reading one answers 404 with `merged_into`. One transaction, with a `client.merged` event for each. \
        `dry_run` shows the outcome and changes nothing.",
    params(("id" = String, Path, description = "The target client's id (`cli_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the target must still have")),
    request_body(content = ClientMerge, content_type = "application/json"),
    responses(
        (status = 200, description = "Merged (or, with `dry_run`, what a merge would do)", body = MergeEnvelope, headers(("ETag" = String))),
        (status = 400, description = "Bad `from` (none, more than 50, repeated, the target, another kind), `prefer` or `fields`; or the merged record breaks a limit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The target or a source is not a live client of this firm; `merged_into` names where a merged one went", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`duplicate_email` or `duplicate_external_id`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not match the target", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn merge(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, headers: HeaderMap, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    let target = client_id(&id)?;
    let pre = precondition(&headers, None)?;
    let request = merge_request(&body)?;
    let merged = state.service.merge_clients(&actor, target, request, pre).await?;
    let mut response = Json(json!({ "data": view(&actor, &merged) })).into_response();
    if let Ok(tag) = HeaderValue::from_str(&etag(merged.client.version)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    Ok((StatusCode::OK, response).into_response())
}

fn merge_request(body: &Map<String, Value>) -> Result<MergeRequest, ServiceError> {
    let mut r = Reader::new(body);
    let mut from = Vec::new();
    let items = r.array("from", MAX_SOURCES);
    if r.is_present("from") && items.is_empty() && !r.has_error("from") {
        r.error("from", "must name at least one client to merge into this one");
    }
    for (i, item) in items.iter().enumerate() {
        match item.as_str().map(str::parse::<ClientId>) {
            Some(Ok(id)) => from.push(id),
            _ => r.error(format!("from[{i}]"), "must be a client id (`cli_…`)"),
        }
    }
    if !r.is_present("from") {
        r.error("from", "is required");
    }
    let dry_run = r.bool("dry_run").unwrap_or(false);
    let prefer = r.parsed("prefer", |s| Prefer::parse(s).ok_or_else(|| "must be `target` or `newest`".to_string())).unwrap_or_default();
    let mut picks = Vec::new();
    for (field, value) in r.object("fields").into_iter().flatten() {
        match value.as_str().map(str::parse::<ClientId>) {
            Some(Ok(id)) => picks.push((field.clone(), id)),
            _ => r.error(format!("fields.{field}"), "must be a client id (`cli_…`)"),
        }
    }
    r.finish().map_err(ServiceError::Invalid)?;
    Ok(MergeRequest { from, dry_run, prefer, picks })
}

/// The merged client as the key may see it, and the ids of what moved,
/// each list only for a key that may read that kind.
fn view<'a>(actor: &Actor, merged: &'a Merged) -> Value {
    let ids = |scope: Scope, ids: Vec<String>| actor.scopes.allows(scope).then_some(ids);
    let moved = MergeMoves {
        matters: ids(Scope::MattersRead, merged.matters.iter().map(|(_, m)| m.id().to_string()).collect()),
        notes: ids(Scope::NotesRead, merged.notes.iter().map(|(_, n)| n.id().to_string()).collect()),
        leads: ids(Scope::LeadsRead, merged.leads.iter().map(|(_, l)| l.id().to_string()).collect()),
        people: ids(Scope::ClientsRead, merged.people.iter().map(|(_, p)| p.id.to_string()).collect()),
    };
    json!({
        "client": written(actor, Scope::ClientsRead, ClientView::from(&merged.client), CANONICAL_OWNED),
        "dry_run": merged.dry_run,
        "merged": merged.sources.iter().map(|s| s.id.to_string()).collect::<Vec<_>>(),
        "moved": moved,
    })
}
