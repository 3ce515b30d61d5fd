//! `/v1/clients`: parse, call the service, render.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use crate::api::json::{self, Json};
use serde_json::{Map, Value};

use super::record_views::MatterView;
use super::select::{Fields, CLIENT_FIELDS};
use super::views::{ClientEnvelope, ClientList, ClientReadEnvelope, ClientReadList, ClientPatch, ClientView, ClientWrite, Pagination};
use crate::api::extract::{PathId, etag, precondition, Auth, JsonObject, ParamReader, QueryPairs, MAX_LIST_VALUES};
use crate::api::problem::{ApiError, Problem};
use crate::api::echoed::take_echoed;
use crate::api::written::{written, CANONICAL_OWNED};
use crate::domain::api_key::Scope;
use crate::service::Actor;
use crate::api::AppState;
use crate::domain::client::query::{ClientFilter, ClientSort, SearchTerm};
use crate::domain::client::{Client, ClientKind};
use crate::domain::ids::ClientId;
use crate::domain::time::Timestamp;
use crate::service::clients::{ListRequest, Page};
use crate::service::paging::{Counting, MAX_PAGE};
use crate::service::ServiceError;

const MAX_QUERY_CHARS: usize = 200;

/// An id that doesn't parse can't name a client: that is a plain 404.
pub(crate) fn client_id(raw: &str) -> Result<ClientId, ApiError> {
    raw.parse().map_err(|_| ApiError::Service(ServiceError::NotFound("client")))
}

/// The server-owned fields of the view that a read-modify-write may send back.
const READ_ONLY: &[&str] = &["id", "matters_count", "created_at", "updated_at", "matters"];

/// `body` without the server-owned fields it echoes unchanged from `current`
/// ([`crate::api::echoed`]); a person's `name` (derived from the two names)
/// is taken out too when unchanged, and otherwise left for the parser's error.
/// `matters`: what `expand=matters` shows now, if the body echoes it.
fn echoed(actor: &Actor, body: &Map<String, Value>, current: &Client, matters: Option<&Value>) -> Result<Map<String, Value>, ServiceError> {
    let mut body = body.clone();
    let mut shown = written(actor, Scope::ClientsRead, ClientView::from(current), CANONICAL_OWNED);
    if let (Some(matters), Value::Object(fields)) = (matters, &mut shown) {
        fields.insert("matters".into(), matters.clone());
    }
    take_echoed(&mut body, &shown, READ_ONLY)?;
    let person = current.fields.kind == ClientKind::Person;
    if person && body.get("name") == shown.get("name") {
        body.remove("name");
    }
    Ok(body)
}

/// The client's matters as `expand=matters` shows them, when `body` echoes
/// them and the key may read them (they are not part of the record the
/// write reads, so they are read just before it).
async fn echoed_matters(state: &AppState, actor: &Actor, body: &Map<String, Value>, id: ClientId) -> Result<Option<Value>, ApiError> {
    let readable = actor.scopes.allows(Scope::ClientsRead) && actor.scopes.allows(Scope::MattersRead);
    if !body.contains_key("matters") || !readable {
        return Ok(None);
    }
    let matters = state.service.client_matters(actor, id).await?;
    Ok(Some(serde_json::to_value(matters.iter().map(MatterView::from).collect::<Vec<_>>()).unwrap_or_default()))
}

/// A written client, as `actor` may see it (see [`crate::api::written`]).
fn one(status: StatusCode, actor: &Actor, client: &Client) -> Response {
    let data = written(actor, Scope::ClientsRead, ClientView::from(client), CANONICAL_OWNED);
    let mut response = (status, Json(serde_json::json!({ "data": data }))).into_response();
    if let Ok(tag) = HeaderValue::from_str(&etag(client.version)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

#[utoipa::path(
    post, path = "/v1/clients", tag = "clients",
    summary = "Create a client",
    description = "Requires `clients:write`. Responds with the new client, its `Location` and `ETag`.",
    request_body(content = ClientWrite, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = ClientEnvelope,
            headers(("Location" = String, description = "URL of the new client"), ("ETag" = String))),
        (status = 409, description = "Another client of this firm has this email (`duplicate_email`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(State(state): State<AppState>, Auth(actor): Auth, JsonObject(body): JsonObject) -> Result<Response, ApiError> {
    let client = state.service.create_client(&actor, &body).await?;
    let mut response = one(StatusCode::CREATED, &actor, &client);
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/clients/{}", client.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

#[utoipa::path(
    get, path = "/v1/clients/{id}", tag = "clients",
    summary = "Get a client",
    description = "Requires `clients:read`. Honours `If-None-Match` with 304.",
    params(("id" = String, Path, description = "Client id (`cli_…`)"),
        ("If-None-Match" = Option<String>, Header, description = "ETags (or `*`) the caller holds: 304 if the client still has one"),
        ("fields" = Option<String>, Query, description = "Comma-separated fields to return (plus `id`)"),
        ("expand" = inline(Option<crate::api::openapi::ExpandName>), Query, description = "`matters`: embed the client's live matters (needs `matters:read`)")),
    responses(
        (status = 200, description = "The client", body = ClientReadEnvelope, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the ETag given in If-None-Match"),
        (status = 404, description = "No such client in this firm", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    PathId(id): PathId,
    QueryPairs(pairs): QueryPairs,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut p = ParamReader::new(&pairs);
    let fields = Fields::parse(&mut p, CLIENT_FIELDS);
    let expand_matters = match p.get("expand") {
        None => false,
        Some("matters") => true,
        Some(_) => {
            p.error("expand", "must be `matters`");
            false
        }
    };
    p.finish()?;
    let client = state.service.get_client(&actor, client_id(&id)?).await?;
    let tag = etag(client.version);
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == tag || t.trim() == "*"));
    if unchanged {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(value) = HeaderValue::from_str(&tag) {
            response.headers_mut().insert(header::ETAG, value);
        }
        return Ok(response);
    }
    let mut response = if fields.is_all() && !expand_matters {
        // The common case: the body last served for this version of the client.
        json::response(state.rendered_clients.body(&client).map_err(json::unserialisable)?)
    } else {
        let mut data = fields.render(&ClientView::from(&client));
        if expand_matters && fields.includes("matters") {
            let matters = state.service.client_matters(&actor, client.id).await?;
            data["matters"] = serde_json::to_value(matters.iter().map(MatterView::from).collect::<Vec<_>>()).unwrap_or_default();
        }
        Json(serde_json::json!({ "data": data })).into_response()
    };
    if let Ok(value) = HeaderValue::from_str(&tag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}

#[utoipa::path(
    patch, path = "/v1/clients/{id}", tag = "clients",
    summary = "Update a client (JSON merge patch)",
    description = "Requires `clients:write`. Absent fields stay, `null` clears, objects merge (RFC 7396). \
        `If-Match` or a body `version` pins the version the change is based on. Server-owned fields \
        (`id`, `created_at`, `updated_at`, `matters_count`, expanded `matters`) sent back as shown are ignored; changed, \
        they are a 400.",
    params(("id" = String, Path, description = "Client id (`cli_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the client must still have")),
    request_body(content = ClientPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The updated client", body = ClientEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such client in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`duplicate_email`, or `version_conflict` for a stale body `version`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not match (`precondition_failed`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Auth(actor): Auth,
    PathId(id): PathId,
    headers: HeaderMap,
    JsonObject(mut body): JsonObject,
) -> Result<Response, ApiError> {
    let id = client_id(&id)?;
    let pre = precondition(&headers, Some(&mut body))?;
    let matters = echoed_matters(&state, &actor, &body, id).await?;
    let client = state.service.update_client_with(&actor, id, pre, |current| echoed(&actor, &body, current, matters.as_ref())).await?;
    Ok(one(StatusCode::OK, &actor, &client))
}

#[utoipa::path(
    put, path = "/v1/clients/{id}", tag = "clients",
    summary = "Replace a client",
    description = "Requires `clients:write`. Every writable field is replaced; absent ones return to their defaults. \
        Server-owned fields sent back as shown are ignored; changed, they are a 400.",
    params(("id" = String, Path, description = "Client id (`cli_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the client must still have")),
    request_body(content = ClientWrite, content_type = "application/json"),
    responses(
        (status = 200, description = "The replaced client", body = ClientEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such client in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`duplicate_email` or `version_conflict`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not match", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn replace(
    State(state): State<AppState>,
    Auth(actor): Auth,
    PathId(id): PathId,
    headers: HeaderMap,
    JsonObject(mut body): JsonObject,
) -> Result<Response, ApiError> {
    let id = client_id(&id)?;
    let pre = precondition(&headers, Some(&mut body))?;
    let matters = echoed_matters(&state, &actor, &body, id).await?;
    let client = state.service.replace_client_with(&actor, id, pre, |current| echoed(&actor, &body, current, matters.as_ref())).await?;
    Ok(one(StatusCode::OK, &actor, &client))
}

#[utoipa::path(
    delete, path = "/v1/clients/{id}", tag = "clients",
    summary = "Delete a client (soft)",
    description = "Requires `clients:write`. The client is hidden at once and can be restored \
        until the firm's retention period ends.",
    params(("id" = String, Path, description = "Client id (`cli_…`)"),
        ("If-Match" = Option<String>, Header, description = "ETag the client must still have")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such client in this firm", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The client has open or pending matters (`client_has_open_matters`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not match", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    let id = client_id(&id)?;
    let pre = precondition(&headers, None)?;
    state.service.delete_client(&actor, id, pre).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/v1/clients/{id}/restore", tag = "clients",
    summary = "Restore a deleted client",
    description = "Requires `clients:write`. Restoring a client that isn't deleted changes nothing.",
    params(("id" = String, Path, description = "Client id (`cli_…`)")),
    responses(
        (status = 200, description = "The restored client", body = ClientEnvelope, headers(("ETag" = String))),
        (status = 404, description = "No such client (or it has been purged)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A live client has taken its email meanwhile (`duplicate_email`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn restore(State(state): State<AppState>, Auth(actor): Auth, PathId(id): PathId) -> Result<Response, ApiError> {
    let client = state.service.restore_client(&actor, client_id(&id)?).await?;
    Ok(one(StatusCode::OK, &actor, &client))
}

#[utoipa::path(
    get, path = "/v1/clients", tag = "clients",
    summary = "List and search clients",
    description = "Requires `clients:read`. Keyset-paginated: follow `pagination.next_cursor` (or the `Link` header) \
        with the same `sort`. Unknown parameters are refused.",
    params(
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "Page size, 1-100 (default 25)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("sort" = inline(Option<crate::api::openapi::ClientSortName>), Query, description = "`created_at`, `updated_at`, `last_name` or `name`; `-` prefix for descending (default `-created_at`)"),
        ("q" = Option<String>, Query, description = "Case-insensitive substring of name or email; a phone-like query matches phone digits"),
        ("status" = Option<String>, Query, description = "Comma-separated (or repeated); any of these statuses, at most 100"),
        ("tags" = Option<String>, Query, description = "Comma-separated (or repeated); clients with all of these tags, at most 100"),
        ("kind" = inline(Option<crate::api::openapi::ClientKindName>), Query, description = "`person` or `company`"),
        ("company_id" = Option<String>, Query, description = "People belonging to this company"),
        ("created_since" = Option<String>, Query, description = "RFC 3339 or YYYY-MM-DD; inclusive"),
        ("created_before" = Option<String>, Query, description = "RFC 3339 or YYYY-MM-DD; exclusive"),
        ("updated_since" = Option<String>, Query, description = "RFC 3339 or YYYY-MM-DD; inclusive"),
        ("updated_before" = Option<String>, Query, description = "RFC 3339 or YYYY-MM-DD; exclusive"),
        ("ids" = Option<String>, Query, description = "Comma-separated client ids, at most 100"),
        ("external_id" = Option<String>, Query, description = "Comma-separated external ids, at most 100"),
        ("email" = Option<String>, Query, description = "Comma-separated primary emails, matched case-insensitively (as for uniqueness), at most 100"),
        ("include_total" = inline(Option<crate::api::openapi::IncludeTotalName>), Query, description = "Also count all matching clients: `true` exactly up to the server's limit (10,000 by default) and past it answers that limit with `pagination.total_exact: false` (more match); `exact` counts every match, however long it takes"),
        ("cf" = Option<Vec<String>>, Query, description = CF_DOC),
        ("fields" = Option<String>, Query, description = "Comma-separated fields to return (plus `id`)"),
    ),
    responses((status = 200, description = "One page of clients", body = ClientReadList,
        headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))))
)]
pub async fn list(State(state): State<AppState>, Auth(actor): Auth, QueryPairs(pairs): QueryPairs) -> Result<Response, ApiError> {
    let (request, fields) = list_request(&pairs)?;
    let page = state.service.list_clients(&actor, request).await?;
    let link = page.next_cursor.as_ref().map(|c| next_link("/v1/clients", &pairs, c));
    let mut response = if fields.is_all() {
        // The common case, serialised straight from the views: building a
        // JSON tree first was most of a page's cost (allocation).
        Json(render_page(&page)).into_response()
    } else {
        let mut list = serde_json::to_value(render_page(&page)).unwrap_or_default();
        if let Some(items) = list["data"].as_array_mut() {
            for item in items.iter_mut() {
                *item = fields.render(item);
            }
        }
        Json(list).into_response()
    };
    if let Some(Ok(link)) = link.map(|l| HeaderValue::from_str(&l)) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

fn render_page(page: &Page) -> ClientList<'_> {
    ClientList {
        data: page.items.iter().map(ClientView::from).collect(),
        pagination: Pagination::counted(page.limit, page.next_cursor.clone(), page.total),
    }
}

/// The same query with the next cursor, as a relative `Link`.
pub fn next_link(path: &str, pairs: &[(String, String)], cursor: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(k, _)| k != "cursor") {
        query.append_pair(k, v);
    }
    query.append_pair("cursor", cursor);
    format!("<{path}?{}>; rel=\"next\"", query.finish())
}

fn list_request(pairs: &[(String, String)]) -> Result<(ListRequest, Fields), ServiceError> {
    let mut p = ParamReader::new(pairs);
    let limit = p.parsed("limit", |s| {
        s.parse::<usize>().ok().filter(|n| (1..=MAX_PAGE).contains(n)).ok_or(format!("must be an integer from 1 to {MAX_PAGE}"))
    });
    let sort = p.parsed("sort", |s| {
        ClientSort::parse(s).ok_or("must be created_at, updated_at, last_name or name, optionally prefixed with -".into())
    });
    let cursor = p.get("cursor").map(str::to_string);
    let count = p.parsed("include_total", parse_counting).unwrap_or_default();
    let filter = client_filter(&mut p);
    let fields = Fields::parse(&mut p, CLIENT_FIELDS);
    p.finish()?;
    let request = ListRequest { filter, sort: sort.unwrap_or_default(), cursor, offset: 0, limit, count };
    Ok((request, fields))
}

/// The filters of a client list (and an export): `q`, `kind`, `company_id`,
/// the time ranges, `status`, `tags`, `ids`, `external_id`, `cf.<key>`.
pub(crate) fn client_filter(p: &mut ParamReader<'_>) -> ClientFilter {
    let search = p.parsed("q", |s| {
        if s.chars().count() > MAX_QUERY_CHARS {
            return Err(format!("must be at most {MAX_QUERY_CHARS} characters"));
        }
        if s.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(SearchTerm::new(s))
    });
    let kind = p.parsed("kind", |s| ClientKind::parse(s).ok_or("must be person or company".into()));
    let company_id = p.parsed("company_id", |s| s.parse::<ClientId>().map_err(|e| e.to_string()));
    let mut instant = |name| p.parsed(name, |s| Timestamp::parse(s).ok_or("must be an RFC 3339 timestamp or YYYY-MM-DD".into()));
    let (created_since, created_before) = (instant("created_since"), instant("created_before"));
    let (updated_since, updated_before) = (instant("updated_since"), instant("updated_before"));
    let statuses: Vec<String> = p.list("status").into_iter().map(str::to_string).collect();
    let tags: Vec<String> = p.list("tags").into_iter().map(str::to_string).collect();
    let external_ids: Vec<String> = p.list("external_id").into_iter().map(str::to_string).collect();
    let mut email_keys = Vec::new();
    for email in p.list("email") {
        match crate::domain::email::Email::parse(email) {
            Ok(email) => email_keys.push(email.key()),
            Err(message) => p.error("email", message),
        }
    }
    let ids = parse_ids(p);
    let custom = custom_filters(p);
    ClientFilter {
        statuses,
        tags,
        kind,
        company_id,
        created_since,
        created_before,
        updated_since,
        updated_before,
        ids,
        seqs: Vec::new(),
        external_ids,
        email_keys,
        search: search.flatten(),
        custom,
        custom_values: Vec::new(),
        merged: false,
        merged_into: Vec::new(),
    }
}

/// What the OpenAPI document says of `cf`.
pub(crate) const CF_DOC: &str = "Clients whose custom field `key` equals `value`, given as `key:value` (typed by \
    the field's definition), repeated for several fields: `cf=tier:gold&cf=region:eu`. `cf.<key>=value` means the \
    same. At most 100 such filters.";

/// The custom-field filters: `cf=key:value` (one parameter, repeated: what
/// SDK generators can express) and `cf.<key>=value` (the older form).
fn custom_filters(p: &mut ParamReader<'_>) -> Vec<(String, String)> {
    let mut custom: Vec<(String, String)> = p.prefixed("cf.").into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    for pair in p.repeated("cf") {
        // Keys never hold a `:` (`domain::custom_field`), values may.
        match pair.split_once(':') {
            Some((key, value)) if !key.is_empty() => custom.push((key.to_string(), value.to_string())),
            _ => p.error("cf", "must be `key:value`"),
        }
    }
    if custom.len() > MAX_LIST_VALUES {
        p.error("cf", format!("at most {MAX_LIST_VALUES} custom field filters (got {})", custom.len()));
        custom.clear();
    }
    custom
}

fn parse_ids<'a>(p: &mut ParamReader<'a>) -> Vec<ClientId> {
    let raw = p.list("ids");
    let mut ids = Vec::with_capacity(raw.len());
    for text in raw {
        match text.parse() {
            Ok(id) => ids.push(id),
            Err(_) => p.error("ids", format!("`{}` is not a client id", text.chars().take(40).collect::<String>())),
        }
    }
    ids
}

/// `true`/`1` or `false`/`0`, for boolean query parameters.
/// `include_total`: `true` counts exactly up to the server's limit, then
/// says "more than"; `exact` counts every match.
pub(crate) fn parse_counting(s: &str) -> Result<Counting, String> {
    match s {
        "exact" => Ok(Counting::Exact),
        _ => match parse_bool(s) {
            Ok(true) => Ok(Counting::UpToLimit),
            Ok(false) => Ok(Counting::None),
            Err(_) => Err("must be true, false or exact".into()),
        },
    }
}

pub(crate) fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}
