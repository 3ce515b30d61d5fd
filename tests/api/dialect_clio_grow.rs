//! The clio_grow dialect (docs/dialects/clio-grow.md): every seed example replayed, on both stores.

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{expect_status, TestApp};
use crate::records::{created, keys_of, new_matter, ok, sorted, text};
use crate::support::{id, instant};

crate::store_tests!(
    contacts_replay_the_seed,
    a_company_contact_is_typed_company,
    contact_matters_need_matters_read,
    contact_query_searches_names_emails_and_phones,
    contact_notes_replay_the_seed,
    matter_notes_replay_the_seed,
    note_bodies_are_checked,
    custom_actions_replay_the_seed,
    custom_action_bodies_are_checked,
    a_nonce_works_once_on_clio_routes,
    a_bad_nonce_is_403_on_every_route,
    inbox_leads_replay_the_seed,
    inbox_leads_filter_by_state_and_query,
    inbox_lead_list_needs_a_valid_state,
    inbox_lead_bodies_are_checked,
    matters_replay_the_seed,
    matter_statuses_map_to_clio_statuses,
    matters_filter_by_inbox_lead,
    matter_contacts_need_clients_read,
    users_replay_the_seed,
    who_am_i_is_the_keys_user,
    ids_filter_every_list,
    ids_must_be_at_most_50_positive_integers,
    created_since_and_updated_since_filter,
    page_token_walks_visit_every_record_once,
    a_bad_page_token_is_400,
    unknown_query_parameters_are_ignored,
    path_ids_that_name_nothing_are_404,
    missing_or_bad_keys_are_401_on_every_route,
    scopes_guard_every_route,
    another_firms_records_are_404_on_every_route,
    another_firms_records_are_never_listed,
    rate_limited_requests_are_429,
    bad_bodies_are_400_413_or_415,
    idempotency_keys_replay_and_refuse_reuse,
    method_not_allowed_is_in_the_clio_shape,
    openapi_documents_every_route,
);

const API: &str = "/compat/clio-grow/api/v1";

fn at(path: &str) -> String {
    format!("{API}{path}")
}

/// The Crockford base32 part of a canonical id (`cli_01ARZ…` → `01ARZ…`).
fn global(canonical: &str) -> String {
    canonical.split_once('_').expect("a prefixed id").1.to_string()
}

async fn cg_get(app: &TestApp, path: &str, key: &str, params: &[(&str, &str)]) -> Response {
    app.request(Method::GET, &at(path), key).query(params).send().await.expect("send")
}

async fn cg_post(app: &TestApp, path: &str, key: &str, body: &Value) -> Response {
    app.post(&at(path), key, body).await
}

/// A 200 list with the admin key: the whole body (`data` and `meta`).
async fn cg_list(app: &TestApp, path: &str, params: &[(&str, &str)]) -> Value {
    expect_status(cg_get(app, path, &app.admin_key, params).await, StatusCode::OK).await
}

/// A 200 with the admin key: `data`.
async fn cg_data(app: &TestApp, path: &str) -> Value {
    ok(cg_get(app, path, &app.admin_key, &[]).await).await
}

/// The integer ids of a list body.
fn seqs(body: &Value) -> Vec<i64> {
    body["data"].as_array().unwrap_or_else(|| panic!("no data array: {body}")).iter().map(seq).collect()
}

fn seq(record: &Value) -> i64 {
    record["id"].as_i64().unwrap_or_else(|| panic!("id is not an integer: {record}"))
}

/// Asserts Clio's error body with this status, `type` and canonical `code`; returns `error`.
async fn clio_error(response: Response, status: StatusCode, kind: &str, code: &str) -> Value {
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = expect_status(response, status).await;
    assert_eq!(content_type, "application/json", "{body}");
    let error = &body["error"];
    assert_eq!(error["type"], kind, "{body}");
    assert_eq!(error["code"], code, "{body}");
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    error.clone()
}

/// The sorted `details[].field` of a Clio error.
fn detail_fields(error: &Value) -> Vec<String> {
    let fields = error["details"].as_array().unwrap_or_else(|| panic!("no details: {error}"));
    sorted(fields.iter().map(|d| d["field"].as_str().unwrap_or_default().to_string()).collect())
}

async fn invalid(response: Response) -> Vec<String> {
    detail_fields(&clio_error(response, StatusCode::BAD_REQUEST, "ValidationError", "invalid_request").await)
}

async fn forbidden(response: Response) {
    clio_error(response, StatusCode::FORBIDDEN, "ForbiddenError", "insufficient_scope").await;
}

async fn not_found(response: Response) {
    clio_error(response, StatusCode::NOT_FOUND, "RecordNotFound", "not_found").await;
}

fn assert_time(record: &Value, field: &str) {
    instant(text(record, field));
}

fn strings(fields: &[&str]) -> Vec<String> {
    sorted(fields.iter().map(|f| f.to_string()).collect())
}

/// Every id a walk of `path` (with its query) visits, following `meta.paging.next`.
async fn walk(app: &TestApp, path: &str, key: &str) -> Vec<i64> {
    let mut url = at(path);
    let mut seen = Vec::new();
    for _ in 0..100 {
        let page = expect_status(app.get(&url, key).await, StatusCode::OK).await;
        seen.extend(seqs(&page));
        match page["meta"]["paging"]["next"].as_str() {
            Some(next) => {
                assert!(next.starts_with(API) && next.contains("page_token="), "{next}");
                url = next.to_string();
            }
            None => {
                assert_eq!(page["meta"]["paging"], json!({}), "the last page has empty paging: {page}");
                return seen;
            }
        }
    }
    panic!("the page_token walk never ended");
}

/// The contact with this canonical client id, found in the contacts list.
async fn contact_of(app: &TestApp, client_id: &str) -> Value {
    let body = cg_list(app, "/contacts", &[("limit", "100")]).await;
    let found = body["data"].as_array().expect("data").iter().find(|c| c["global_id"] == global(client_id)).cloned();
    found.unwrap_or_else(|| panic!("client {client_id} not listed: {body}"))
}

/// A matter's integer id, from the Clio matters list.
async fn matter_seq(app: &TestApp, matter_id: &str) -> i64 {
    let body = cg_list(app, "/matters", &[("limit", "100")]).await;
    let found = body["data"].as_array().expect("data").iter().find(|m| m["global_id"] == global(matter_id)).map(seq);
    found.unwrap_or_else(|| panic!("matter {matter_id} not listed: {body}"))
}

/// A person via the canonical API; returns its `data`.
async fn person(app: &TestApp, first: &str, last: &str) -> Value {
    app.person(first, last).await
}

/// A person and its Clio contact id.
async fn contact(app: &TestApp, first: &str, last: &str) -> (Value, i64) {
    let client = person(app, first, last).await;
    let contact = contact_of(app, &id(&client)).await;
    (client, seq(&contact))
}

/// A matter of a new person, and its Clio id.
async fn a_matter(app: &TestApp) -> (Value, i64) {
    let client = person(app, "Mae", "Tter").await;
    let matter = new_matter(app, &id(&client), "Doe v. Roe", json!({})).await;
    let n = matter_seq(app, &id(&matter)).await;
    (matter, n)
}

/// A lead created through Clio Grow; returns its `data`.
async fn lead(app: &TestApp, first: &str) -> Value {
    created(cg_post(app, "/inbox_leads", &app.admin_key, &json!({"data": {"first_name": first, "last_name": "Lead"}})).await).await
}

/// A user via the canonical API and its Clio id.
async fn user(app: &TestApp, first: &str) -> (Value, i64) {
    let email = format!("{}.{}@example.com", first.to_lowercase(), ulid::Ulid::new());
    let body = json!({"first_name": first, "last_name": "Doe", "email": email});
    let user = created(app.post("/v1/users", &app.admin_key, &body).await).await;
    let list = cg_list(app, "/users", &[("limit", "100")]).await;
    let n = list["data"].as_array().expect("data").iter().find(|u| u["global_id"] == global(&id(&user))).map(seq);
    (user.clone(), n.unwrap_or_else(|| panic!("user not listed: {list}")))
}

async fn custom_action(app: &TestApp, label: &str) -> Value {
    let body = json!({"data": {"label": label, "ui_reference": "matters/show", "target_url": "https://example.com/click"}});
    created(cg_post(app, "/custom_actions", &app.admin_key, &body).await).await
}

async fn contacts_replay_the_seed(app: TestApp) {
    let client = app
        .create_client(json!({
            "first_name": "John", "last_name": "Doe", "email": "john@example.com", "phone": "+15551234567",
            "other_emails": [{"address": "jd@work.example.com", "label": "work"}],
            "other_phones": [{"number": "+15557654321", "label": "mobile"}],
            "address": {"line1": "123 Main St", "line2": "Apt 4", "city": "San Francisco", "region": "CA", "postal_code": "94102", "country": "USA"},
            "status": "inactive",
            "custom_fields": {"clio_id": 456},
        }))
        .await;
    let matter = new_matter(&app, &id(&client), "Injury", json!({})).await;
    let listed = contact_of(&app, &id(&client)).await;
    let expected = ["id", "global_id", "clio_id", "name", "first_name", "last_name", "emails", "phone_numbers", "type", "status", "matters", "addresses", "created_at", "updated_at"];
    assert_eq!(keys_of(&listed), strings(&expected), "{listed}");
    assert!(seq(&listed) > 0);
    assert_eq!(listed["global_id"], global(&id(&client)));
    assert_eq!(listed["clio_id"], 456);
    assert_eq!(listed["name"], "John Doe");
    assert_eq!(listed["first_name"], "John");
    assert_eq!(listed["last_name"], "Doe");
    assert_eq!(listed["emails"], json!(["john@example.com", "jd@work.example.com"]));
    assert_eq!(listed["phone_numbers"], json!(["+15551234567", "+15557654321"]));
    assert_eq!(listed["type"], "Person");
    assert_eq!(listed["status"], "inactive");
    assert_eq!(listed["matters"], json!([{"id": matter_seq(&app, &id(&matter)).await}]));
    assert_eq!(
        listed["addresses"],
        json!([{"street": "123 Main St\nApt 4", "city": "San Francisco", "province": "CA", "postal_code": "94102", "country": "USA"}])
    );
    assert_time(&listed, "created_at");
    assert_time(&listed, "updated_at");
    // A contact created via /v1 is reachable by its integer id.
    let fetched = cg_data(&app, &format!("/contacts/{}", seq(&listed))).await;
    assert_eq!(fetched, listed);
    // The list's envelope.
    let body = cg_list(&app, "/contacts", &[]).await;
    assert_eq!(keys_of(&body), strings(&["data", "meta"]));
    assert_eq!(body["meta"], json!({"paging": {}}));
    // Without a clio_id custom field (or one that isn't an integer) it is null.
    let plain = contact_of(&app, &id(&person(&app, "Pat", "Plain").await)).await;
    assert!(plain["clio_id"].is_null() && plain["matters"] == json!([]) && plain["addresses"] == json!([]), "{plain}");
}

async fn a_company_contact_is_typed_company(app: TestApp) {
    let company = app.create_client(json!({"kind": "company", "name": "Acme LLP"})).await;
    let contact = contact_of(&app, &id(&company)).await;
    assert_eq!(contact["type"], "Company");
    assert_eq!(contact["name"], "Acme LLP");
    assert!(contact["first_name"].is_null() && contact["emails"] == json!([]), "{contact}");
}

async fn contact_matters_need_matters_read(app: TestApp) {
    let (client, n) = contact(&app, "Ann", "Lee").await;
    new_matter(&app, &id(&client), "Estate", json!({})).await;
    let reader = app.key("clients:read").await;
    let contact = ok(cg_get(&app, &format!("/contacts/{n}"), &reader, &[]).await).await;
    assert_eq!(contact["matters"], json!([]), "{contact}");
    let both = app.key("clients:read,matters:read").await;
    let contact = ok(cg_get(&app, &format!("/contacts/{n}"), &both, &[]).await).await;
    assert_eq!(contact["matters"].as_array().map(Vec::len), Some(1), "{contact}");
}

async fn contact_query_searches_names_emails_and_phones(app: TestApp) {
    let (_, zed) = contact(&app, "Zed", "Quark").await;
    app.create_client(json!({"first_name": "Amy", "last_name": "Pond", "email": "amy@tardis.example", "phone": "+15559990000"})).await;
    let amy = seq(&cg_list(&app, "/contacts", &[("query", "tardis")]).await["data"][0]);
    assert_eq!(seqs(&cg_list(&app, "/contacts", &[("query", "quark")]).await), vec![zed]);
    assert_eq!(seqs(&cg_list(&app, "/contacts", &[("query", "555 999")]).await), vec![amy]);
    assert_eq!(seqs(&cg_list(&app, "/contacts", &[("query", "nobody-like-this")]).await), Vec::<i64>::new());
}

fn assert_note(note: &Value) {
    assert_eq!(keys_of(note), strings(&["id", "global_id", "subject", "body", "created_at", "updated_at"]), "{note}");
    assert!(seq(note) > 0);
    assert_time(note, "created_at");
    assert_time(note, "updated_at");
}

async fn contact_notes_replay_the_seed(app: TestApp) {
    let (client, n) = contact(&app, "Nora", "Notes").await;
    let body = json!({"data": {"subject": "Follow-up call", "body": "Discussed project timeline and next steps."}});
    let note = created(cg_post(&app, &format!("/contacts/{n}/notes"), &app.admin_key, &body).await).await;
    assert_note(&note);
    assert_eq!(note["subject"], "Follow-up call");
    assert_eq!(note["body"], "Discussed project timeline and next steps.");
    let list = cg_list(&app, &format!("/contacts/{n}/notes"), &[]).await;
    assert_eq!(list["data"], json!([note.clone()]));
    assert_eq!(list["meta"], json!({"paging": {}}));
    // Visible through the canonical API.
    let canonical = expect_status(app.get(&format!("/v1/clients/{}/notes", id(&client)), &app.admin_key).await, StatusCode::OK).await;
    let first = &canonical["data"][0];
    assert_eq!(global(text(first, "id")), text(&note, "global_id"));
    assert_eq!(first["subject"], "Follow-up call");
    // A note made through /v1 shows here too.
    app.post(&format!("/v1/clients/{}/notes", id(&client)), &app.admin_key, &json!({"body": "from v1"})).await;
    assert_eq!(seqs(&cg_list(&app, &format!("/contacts/{n}/notes"), &[]).await).len(), 2);
}

async fn matter_notes_replay_the_seed(app: TestApp) {
    let (matter, n) = a_matter(&app).await;
    let body = json!({"data": {"subject": "API request", "body": "Making a matter note from the API"}});
    let note = created(cg_post(&app, &format!("/matters/{n}/notes"), &app.admin_key, &body).await).await;
    assert_note(&note);
    assert_eq!(note["subject"], "API request");
    assert_eq!(note["body"], "Making a matter note from the API");
    let list = cg_list(&app, &format!("/matters/{n}/notes"), &[]).await;
    assert_eq!(list["data"], json!([note.clone()]));
    let canonical = expect_status(app.get(&format!("/v1/matters/{}/notes", id(&matter)), &app.admin_key).await, StatusCode::OK).await;
    assert_eq!(global(text(&canonical["data"][0], "id")), text(&note, "global_id"));
    // A subject is optional.
    let bare = created(cg_post(&app, &format!("/matters/{n}/notes"), &app.admin_key, &json!({"data": {"body": "just a body"}})).await).await;
    assert!(bare["subject"].is_null(), "{bare}");
}

async fn note_bodies_are_checked(app: TestApp) {
    let (_, n) = contact(&app, "Bo", "Dee").await;
    let path = format!("/contacts/{n}/notes");
    assert_eq!(invalid(cg_post(&app, &path, &app.admin_key, &json!({"data": {"subject": "no body"}})).await).await, ["body"]);
    assert_eq!(invalid(cg_post(&app, &path, &app.admin_key, &json!({"data": {"body": "x", "color": "red"}})).await).await, ["color"]);
    assert_eq!(invalid(cg_post(&app, &path, &app.admin_key, &json!({"body": "unwrapped"})).await).await, ["body"]);
    assert_eq!(invalid(cg_post(&app, &path, &app.admin_key, &json!({})).await).await, ["data"]);
    assert_eq!(invalid(cg_post(&app, &path, &app.admin_key, &json!({"data": "text"})).await).await, ["data"]);
    assert_eq!(invalid(cg_post(&app, &path, &app.admin_key, &json!({"data": {"body": 5}})).await).await, ["body"]);
    assert_eq!(cg_list(&app, &path, &[]).await["data"], json!([]), "refused notes store nothing");
}

async fn custom_actions_replay_the_seed(app: TestApp) {
    let body = json!({"data": {"label": "Send Email", "ui_reference": "matters/show"}});
    let action = created(cg_post(&app, "/custom_actions", &app.admin_key, &body).await).await;
    let expected = ["id", "global_id", "label", "ui_reference", "target_url", "created_at", "updated_at"];
    assert_eq!(keys_of(&action), strings(&expected), "{action}");
    assert!(seq(&action) > 0);
    assert_eq!(action["label"], "Send Email");
    assert_eq!(action["ui_reference"], "matters/show");
    assert!(action["target_url"].is_null());
    assert_time(&action, "created_at");
    assert_time(&action, "updated_at");
    let with_url = custom_action(&app, "Open in CRM").await;
    assert_eq!(with_url["target_url"], "https://example.com/click");
    let list = cg_list(&app, "/custom_actions", &[]).await;
    assert_eq!(list["data"], json!([action.clone(), with_url.clone()]), "oldest first");
    assert_eq!(list["meta"], json!({"paging": {}}));
    // The same action through the canonical API.
    let canonical = ok(app.get(&format!("/v1/custom-actions/cact_{}", text(&action, "global_id")), &app.admin_key).await).await;
    assert_eq!(canonical["label"], "Send Email");
    // Any valid key may list them.
    let reader = app.key("clients:read").await;
    assert_eq!(seqs(&expect_status(cg_get(&app, "/custom_actions", &reader, &[]).await, StatusCode::OK).await).len(), 2);
}

async fn custom_action_bodies_are_checked(app: TestApp) {
    let cases = [
        (json!({}), vec!["label", "ui_reference"]),
        (json!({"label": "x", "ui_reference": "bills/show"}), vec!["ui_reference"]),
        (json!({"label": "x", "ui_reference": "contacts/show", "target_url": "http://evil.example/"}), vec!["target_url"]),
        (json!({"label": "x", "ui_reference": "contacts/show", "icon": "y"}), vec!["icon"]),
    ];
    for (data, fields) in cases {
        let response = cg_post(&app, "/custom_actions", &app.admin_key, &json!({"data": data})).await;
        assert_eq!(invalid(response).await, fields, "{data}");
    }
    assert_eq!(cg_list(&app, "/custom_actions", &[]).await["data"], json!([]));
}

/// Issues a nonce for a Clio custom action through the canonical API.
async fn nonce(app: &TestApp, action: &Value) -> String {
    let path = format!("/v1/custom-actions/cact_{}/nonces", text(action, "global_id"));
    let issued = created(app.post(&path, &app.admin_key, &json!({})).await).await;
    text(&issued, "nonce").to_string()
}

async fn a_nonce_works_once_on_clio_routes(app: TestApp) {
    let action = custom_action(&app, "Open").await;
    let reader = app.key("clients:read").await;
    let code = nonce(&app, &action).await;
    let first = cg_get(&app, "/contacts", &reader, &[("custom_action_nonce", &code)]).await;
    expect_status(first, StatusCode::OK).await;
    let again = cg_get(&app, "/contacts", &reader, &[("custom_action_nonce", &code)]).await;
    clio_error(again, StatusCode::FORBIDDEN, "ForbiddenError", "invalid_nonce").await;
    // The next link of a page never carries the nonce on.
    for i in 0..3 {
        person(&app, "Page", &format!("P{i}")).await;
    }
    let code = nonce(&app, &action).await;
    let page = expect_status(cg_get(&app, "/contacts", &reader, &[("custom_action_nonce", &code), ("limit", "2")]).await, StatusCode::OK).await;
    let next = text(&page["meta"]["paging"], "next");
    assert!(!next.contains("custom_action_nonce"), "{next}");
    expect_status(app.get(next, &reader).await, StatusCode::OK).await;
    // On a write too, and a refused nonce stops the write.
    let code = nonce(&app, &action).await;
    let url = format!("{}?custom_action_nonce={code}", at("/inbox_leads"));
    created(app.post(&url, &app.admin_key, &json!({"data": {"first_name": "Nonce"}})).await).await;
    let refused = app.post(&url, &app.admin_key, &json!({"data": {"first_name": "Twice"}})).await;
    clio_error(refused, StatusCode::FORBIDDEN, "ForbiddenError", "invalid_nonce").await;
    let leads = cg_list(&app, "/inbox_leads", &[("state", "untriaged")]).await;
    assert_eq!(seqs(&leads).len(), 1, "{leads}");
}

/// Every Clio Grow route, as (method, path) with these ids filled in.
fn every_route(contact: i64, matter: i64, lead: i64, user: i64) -> Vec<(Method, String)> {
    vec![
        (Method::GET, "/contacts".into()),
        (Method::GET, format!("/contacts/{contact}")),
        (Method::GET, format!("/contacts/{contact}/notes")),
        (Method::POST, format!("/contacts/{contact}/notes")),
        (Method::GET, "/custom_actions".into()),
        (Method::POST, "/custom_actions".into()),
        (Method::GET, "/inbox_leads?state=untriaged".into()),
        (Method::POST, "/inbox_leads".into()),
        (Method::GET, format!("/inbox_leads/{lead}")),
        (Method::GET, "/matters".into()),
        (Method::GET, format!("/matters/{matter}")),
        (Method::GET, format!("/matters/{matter}/notes")),
        (Method::POST, format!("/matters/{matter}/notes")),
        (Method::GET, "/users".into()),
        (Method::GET, "/users/who_am_i".into()),
        (Method::GET, format!("/users/{user}")),
    ]
}

/// A valid body for each POST route.
fn body_for(path: &str) -> Value {
    if path.ends_with("/notes") {
        json!({"data": {"subject": "s", "body": "b"}})
    } else if path.starts_with("/custom_actions") {
        json!({"data": {"label": "L", "ui_reference": "contacts/show"}})
    } else {
        json!({"data": {"first_name": "Lee"}})
    }
}

async fn send(app: &TestApp, method: &Method, path: &str, key: Option<&str>, extra_query: &str) -> Response {
    let sep = if path.contains('?') { '&' } else { '?' };
    let url = if extra_query.is_empty() { at(path) } else { format!("{}{sep}{extra_query}", at(path)) };
    let mut request = app.http.request(method.clone(), app.url(&url));
    if let Some(key) = key {
        request = request.header("X-Api-Key", key);
    }
    if *method == Method::POST {
        request = request.json(&body_for(path));
    }
    request.send().await.expect("send")
}

/// Records of every kind, for the every-route tests: (contact, matter, lead, user) ids.
async fn one_of_each(app: &TestApp) -> (i64, i64, i64, i64) {
    let (client, contact) = contact(app, "Each", "One").await;
    let m = new_matter(app, &id(&client), "Each", json!({})).await;
    let lead = seq(&lead(app, "Each").await);
    let (_, user) = user(app, "Each").await;
    (contact, matter_seq(app, &id(&m)).await, lead, user)
}

async fn a_bad_nonce_is_403_on_every_route(app: TestApp) {
    let (c, m, l, u) = one_of_each(&app).await;
    for (method, path) in every_route(c, m, l, u) {
        let response = send(&app, &method, &path, Some(&app.admin_key), "custom_action_nonce=can_nope").await;
        clio_error(response, StatusCode::FORBIDDEN, "ForbiddenError", "invalid_nonce").await;
    }
}

fn assert_lead(lead: &Value) {
    let expected = ["id", "global_id", "first_name", "last_name", "email", "phone_number", "state", "created_at", "updated_at", "from_message", "from_source"];
    assert_eq!(keys_of(lead), strings(&expected), "{lead}");
    assert!(seq(lead) > 0);
    assert_time(lead, "created_at");
    assert_time(lead, "updated_at");
}

async fn inbox_leads_replay_the_seed(app: TestApp) {
    let body = json!({"data": {
        "first_name": "Jane", "last_name": "Smith", "from_message": "I'm interested in your services",
        "from_source": "website_chat", "email": "jane@example.com", "phone_number": "+15551234567",
    }});
    let lead = created(cg_post(&app, "/inbox_leads", &app.admin_key, &body).await).await;
    assert_lead(&lead);
    assert_eq!(lead["first_name"], "Jane");
    assert_eq!(lead["last_name"], "Smith");
    assert_eq!(lead["email"], "jane@example.com");
    assert_eq!(lead["phone_number"], "+15551234567");
    assert_eq!(lead["state"], "untriaged");
    assert_eq!(lead["from_message"], "I'm interested in your services");
    assert_eq!(lead["from_source"], "website_chat");
    let fetched = cg_data(&app, &format!("/inbox_leads/{}", seq(&lead))).await;
    assert_eq!(fetched, lead);
    let list = cg_list(&app, "/inbox_leads", &[("state", "untriaged")]).await;
    assert_eq!(list["data"], json!([lead.clone()]));
    assert_eq!(list["meta"], json!({"paging": {}}));
    // The same lead through the canonical API, with canonical names.
    let canonical = ok(app.get(&format!("/v1/leads/lead_{}", text(&lead, "global_id")), &app.admin_key).await).await;
    assert_eq!(canonical["message"], "I'm interested in your services");
    assert_eq!(canonical["source"], "website_chat");
    assert_eq!(canonical["phone"], "+15551234567");
}

async fn inbox_leads_filter_by_state_and_query(app: TestApp) {
    let kept = lead(&app, "Kept").await;
    let dropped = lead(&app, "Dropped").await;
    let path = format!("/v1/leads/lead_{}", text(&dropped, "global_id"));
    ok(app.patch(&path, &app.admin_key, &json!({"state": "ignored"})).await).await;
    assert_eq!(seqs(&cg_list(&app, "/inbox_leads", &[("state", "untriaged")]).await), vec![seq(&kept)]);
    let ignored = cg_list(&app, "/inbox_leads", &[("state", "ignored")]).await;
    assert_eq!(seqs(&ignored), vec![seq(&dropped)]);
    assert_eq!(ignored["data"][0]["state"], "ignored");
    assert_eq!(seqs(&cg_list(&app, "/inbox_leads", &[("state", "untriaged"), ("query", "kEpT")]).await), vec![seq(&kept)]);
    assert_eq!(seqs(&cg_list(&app, "/inbox_leads", &[("state", "untriaged"), ("query", "dropped")]).await), Vec::<i64>::new());
}

async fn inbox_lead_list_needs_a_valid_state(app: TestApp) {
    for params in [vec![], vec![("state", "converted")], vec![("state", "open")], vec![("state", "untriaged"), ("state", "ignored")]] {
        let response = cg_get(&app, "/inbox_leads", &app.admin_key, &params).await;
        assert_eq!(invalid(response).await, ["state"], "{params:?}");
    }
}

async fn inbox_lead_bodies_are_checked(app: TestApp) {
    let cases = [
        // A lead needs a name, an email or a phone number.
        (json!({}), vec!["email"]),
        (json!({"first_name": "A", "email": "nope"}), vec!["email"]),
        (json!({"first_name": "A", "phone_number": "12"}), vec!["phone_number"]),
        (json!({"first_name": "A", "from_message": 7, "from_source": ["x"]}), vec!["from_message", "from_source"]),
        (json!({"first_name": "A", "phone": "+15551234567", "state": "ignored"}), vec!["phone", "state"]),
    ];
    for (data, fields) in cases {
        let response = cg_post(&app, "/inbox_leads", &app.admin_key, &json!({"data": data})).await;
        assert_eq!(invalid(response).await, fields, "{data}");
    }
    assert_eq!(cg_list(&app, "/inbox_leads", &[("state", "untriaged")]).await["data"], json!([]));
}

fn assert_matter_contact(contact: &Value, client: &Value, n: i64) {
    assert_eq!(keys_of(contact), strings(&["id", "full_name", "phone_number", "primary_email", "address"]), "{contact}");
    assert_eq!(contact["id"], n);
    assert_eq!(contact["full_name"], format!("{} {}", text(client, "first_name"), text(client, "last_name")));
    assert_eq!(contact["primary_email"], client["email"]);
    assert_eq!(contact["phone_number"], client["phone"]);
}

async fn matters_replay_the_seed(app: TestApp) {
    let jane = app
        .create_client(json!({
            "first_name": "Jane", "last_name": "Doe", "email": "jane@example.com", "phone": "+15551234567",
            "address": {"line1": "123 Main St", "city": "San Francisco", "region": "CA", "postal_code": "94102", "country": "USA"},
        }))
        .await;
    let (sam, sam_seq) = contact(&app, "Sam", "Contact").await;
    let jane_seq = seq(&contact_of(&app, &id(&jane)).await);
    let matter = new_matter(&app, &id(&jane), "Doe v. Roe", json!({
        "description": "Personal injury case", "practice_area": "Personal Injury", "location": "Main Office",
        "hired_date": "2024-04-01", "projected_value": {"amount": 500000, "currency": "USD"},
        "primary_contact_id": id(&sam),
        "custom_fields": {"clio_id": 456, "first_letter_sent_date": "2024-03-01T09:00:00Z", "first_appointment_created_at": "2024-02-15T14:00:00Z"},
    }))
    .await;
    let n = matter_seq(&app, &id(&matter)).await;
    let got = cg_data(&app, &format!("/matters/{n}")).await;
    let expected = [
        "id", "title", "description", "created_at", "updated_at", "clio_id", "global_id", "projected_value", "first_letter_sent_date",
        "first_appointment_created_at", "inbox_lead_id", "hired_date", "location", "type", "status", "status_category", "client", "primary_contact",
    ];
    assert_eq!(keys_of(&got), strings(&expected), "{got}");
    assert_eq!(got["id"], n);
    assert_eq!(got["global_id"], global(&id(&matter)));
    assert_eq!(got["description"], "Personal injury case");
    assert_eq!(got["title"], "Doe v. Roe");
    assert_eq!(got["clio_id"], 456);
    assert_eq!(got["projected_value"], 500000);
    assert_eq!(got["first_letter_sent_date"], "2024-03-01T09:00:00Z");
    assert_eq!(got["first_appointment_created_at"], "2024-02-15T14:00:00Z");
    assert!(got["inbox_lead_id"].is_null());
    assert_eq!(got["hired_date"], "2024-04-01");
    assert_eq!(got["location"], "Main Office");
    assert_eq!(got["type"], "Personal Injury");
    assert_eq!(got["status"], "Open");
    assert_eq!(got["status_category"], "intake");
    assert_time(&got, "created_at");
    assert_time(&got, "updated_at");
    assert_matter_contact(&got["client"], &jane, jane_seq);
    assert_eq!(
        got["client"]["address"],
        json!({"street": "123 Main St", "city": "San Francisco", "province": "CA", "postal_code": "94102", "country": "USA"})
    );
    assert_matter_contact(&got["primary_contact"], &sam, sam_seq);
    assert!(got["primary_contact"]["address"].is_null());
    let list = cg_list(&app, "/matters", &[]).await;
    assert_eq!(list["data"], json!([got]));
    assert_eq!(list["meta"], json!({"paging": {}}));
    // Without extras, the optional fields are null and the client is the primary contact.
    let (plain, plain_seq) = a_matter(&app).await;
    let plain_view = cg_data(&app, &format!("/matters/{plain_seq}")).await;
    for field in ["description", "clio_id", "projected_value", "first_letter_sent_date", "first_appointment_created_at", "hired_date", "location", "type"] {
        assert!(plain_view[field].is_null(), "{field}: {plain_view}");
    }
    assert_eq!(plain_view["primary_contact"], plain_view["client"]);
    assert_eq!(plain_view["global_id"], global(&id(&plain)));
}

async fn matter_statuses_map_to_clio_statuses(app: TestApp) {
    let client = person(&app, "Stat", "Us").await;
    for (status, clio, category) in [("open", "Open", "intake"), ("pending", "Pending", "pending"), ("closed", "Closed", "closed")] {
        let m = new_matter(&app, &id(&client), status, json!({"status": status})).await;
        let view = cg_data(&app, &format!("/matters/{}", matter_seq(&app, &id(&m)).await)).await;
        assert_eq!((view["status"].as_str(), view["status_category"].as_str()), (Some(clio), Some(category)), "{view}");
    }
}

async fn matters_filter_by_inbox_lead(app: TestApp) {
    let (_, _) = a_matter(&app).await;
    let converted = lead(&app, "Conv").await;
    let other = lead(&app, "Other").await;
    let path = format!("/v1/leads/lead_{}/convert", text(&converted, "global_id"));
    let done = created(app.post(&path, &app.admin_key, &json!({"client": {"last_name": "Lead"}, "matter": {"title": "From the inbox"}})).await).await;
    let n = matter_seq(&app, text(&done["matter"], "id")).await;
    let from_lead = cg_data(&app, &format!("/matters/{n}")).await;
    assert_eq!(from_lead["inbox_lead_id"], seq(&converted));
    let lead_seq = seq(&converted).to_string();
    assert_eq!(seqs(&cg_list(&app, "/matters", &[("inbox_lead_id", &lead_seq)]).await), vec![n]);
    assert_eq!(seqs(&cg_list(&app, "/matters", &[("inbox_lead_id", &seq(&other).to_string())]).await), Vec::<i64>::new());
    assert_eq!(seqs(&cg_list(&app, "/matters", &[("inbox_lead_id", "999999")]).await), Vec::<i64>::new());
    assert_eq!(seqs(&cg_list(&app, "/matters", &[("submitted_only", "true")]).await), vec![n]);
    assert_eq!(seqs(&cg_list(&app, "/matters", &[("submitted_only", "false")]).await).len(), 2);
    // A converted lead shows as such, and leaves the untriaged inbox.
    assert_eq!(cg_data(&app, &format!("/inbox_leads/{lead_seq}")).await["state"], "converted");
    assert_eq!(seqs(&cg_list(&app, "/inbox_leads", &[("state", "untriaged")]).await), vec![seq(&other)]);
    for (name, value) in [("inbox_lead_id", "abc"), ("inbox_lead_id", "0"), ("submitted_only", "maybe")] {
        assert_eq!(invalid(cg_get(&app, "/matters", &app.admin_key, &[(name, value)]).await).await, [name]);
    }
    // Lead ids are the inbox's: a key that can't read leads neither sees nor filters by them.
    let reader = app.key("matters:read").await;
    let view = ok(cg_get(&app, &format!("/matters/{n}"), &reader, &[]).await).await;
    assert!(view["inbox_lead_id"].is_null(), "{view}");
    let refused = cg_get(&app, "/matters", &reader, &[("inbox_lead_id", &lead_seq)]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

async fn matter_contacts_need_clients_read(app: TestApp) {
    let (_, n) = a_matter(&app).await;
    let reader = app.key("matters:read").await;
    let view = ok(cg_get(&app, &format!("/matters/{n}"), &reader, &[]).await).await;
    assert!(view["client"].is_null() && view["primary_contact"].is_null(), "{view}");
    let list = expect_status(cg_get(&app, "/matters", &reader, &[]).await, StatusCode::OK).await;
    assert!(list["data"][0]["client"].is_null(), "{list}");
}

async fn users_replay_the_seed(app: TestApp) {
    let (created_user, n) = user(&app, "Jane").await;
    let got = cg_data(&app, &format!("/users/{n}")).await;
    let expected = ["id", "global_id", "first_name", "last_name", "email", "created_at", "updated_at", "account"];
    assert_eq!(keys_of(&got), strings(&expected), "{got}");
    assert_eq!(got["id"], n);
    assert_eq!(got["first_name"], "Jane");
    assert_eq!(got["last_name"], "Doe");
    assert_eq!(got["email"], created_user["email"]);
    assert_time(&got, "created_at");
    assert_time(&got, "updated_at");
    assert_eq!(keys_of(&got["account"]), strings(&["id", "firm_name"]));
    assert!(got["account"]["id"].as_i64().is_some_and(|n| n > 0), "{got}");
    assert_eq!(got["account"]["firm_name"], "Test Firm");
    let list = cg_list(&app, "/users", &[]).await;
    assert_eq!(list["data"], json!([got.clone()]));
    assert_eq!(list["meta"], json!({"paging": {}}));
    // Another firm is another account.
    let other = app.other_firm().await;
    let body = json!({"first_name": "Olga", "last_name": "Other", "email": "olga@example.com"});
    created(app.post("/v1/users", &other, &body).await).await;
    let theirs = expect_status(cg_get(&app, "/users", &other, &[]).await, StatusCode::OK).await;
    assert_eq!(theirs["data"][0]["account"]["firm_name"], "Other Firm");
    assert_ne!(theirs["data"][0]["account"]["id"], got["account"]["id"]);
}

async fn who_am_i_is_the_keys_user(app: TestApp) {
    let (u, n) = user(&app, "Mia").await;
    let body = json!({"name": "personal", "scopes": ["clients:read"], "user_id": id(&u)});
    let key = created(app.post("/v1/api-keys", &app.admin_key, &body).await).await;
    let me = ok(cg_get(&app, "/users/who_am_i", text(&key, "secret"), &[]).await).await;
    assert_eq!(me["id"], n);
    assert_eq!(me["first_name"], "Mia");
    assert_eq!(me["account"]["firm_name"], "Test Firm");
    // The firm's initial admin key belongs to no user.
    not_found(cg_get(&app, "/users/who_am_i", &app.admin_key, &[]).await).await;
}

/// `path` with `ids[]` for each of `ids`.
async fn listed_with_ids(app: &TestApp, path: &str, extra: &[(&str, &str)], ids: &[i64]) -> Vec<i64> {
    let texts: Vec<String> = ids.iter().map(i64::to_string).collect();
    let mut params: Vec<(&str, &str)> = extra.to_vec();
    params.extend(texts.iter().map(|t| ("ids[]", t.as_str())));
    let mut found = seqs(&cg_list(app, path, &params).await);
    found.sort_unstable();
    found
}

async fn ids_filter_every_list(app: TestApp) {
    let mut contacts = Vec::new();
    let mut first_client = None;
    for i in 0..3 {
        let (client, n) = contact(&app, "Id", &format!("Filter{i}")).await;
        first_client.get_or_insert(client);
        contacts.push(n);
    }
    let want = vec![contacts[0], contacts[2]];
    assert_eq!(listed_with_ids(&app, "/contacts", &[], &[contacts[0], contacts[2]]).await, want);
    // Comma-separated values work too.
    let joined = format!("{},{}", contacts[0], contacts[2]);
    assert_eq!(seqs(&cg_list(&app, "/contacts", &[("ids[]", &joined)]).await).len(), 2);
    let client = id(&first_client.expect("a client"));
    let matters: Vec<i64> = {
        let mut out = Vec::new();
        for t in ["A", "B"] {
            out.push(matter_seq(&app, &id(&new_matter(&app, &client, t, json!({})).await)).await);
        }
        out
    };
    assert_eq!(listed_with_ids(&app, "/matters", &[], &matters[..1]).await, vec![matters[0]]);
    let leads = [seq(&lead(&app, "A").await), seq(&lead(&app, "B").await)];
    assert_eq!(listed_with_ids(&app, "/inbox_leads", &[("state", "untriaged")], &leads[1..]).await, vec![leads[1]]);
    let (_, u1) = user(&app, "Ua").await;
    user(&app, "Ub").await;
    assert_eq!(listed_with_ids(&app, "/users", &[], &[u1]).await, vec![u1]);
    let actions = [seq(&custom_action(&app, "A").await), seq(&custom_action(&app, "B").await)];
    assert_eq!(listed_with_ids(&app, "/custom_actions", &[], &actions[..1]).await, vec![actions[0]]);
    let note_path = format!("/contacts/{}/notes", contacts[0]);
    let mut notes = Vec::new();
    for b in ["one", "two"] {
        notes.push(seq(&created(cg_post(&app, &note_path, &app.admin_key, &json!({"data": {"body": b}})).await).await));
    }
    assert_eq!(listed_with_ids(&app, &note_path, &[], &notes[1..]).await, vec![notes[1]]);
    // An id of another kind names nothing here.
    assert_eq!(listed_with_ids(&app, "/contacts", &[], &[999_999]).await, Vec::<i64>::new());
}

async fn ids_must_be_at_most_50_positive_integers(app: TestApp) {
    let fifty: Vec<String> = (1..=50).map(|n| n.to_string()).collect();
    let mut params: Vec<(&str, &str)> = fifty.iter().map(|n| ("ids[]", n.as_str())).collect();
    expect_status(cg_get(&app, "/contacts", &app.admin_key, &params).await, StatusCode::OK).await;
    params.push(("ids[]", "51"));
    assert_eq!(invalid(cg_get(&app, "/contacts", &app.admin_key, &params).await).await, ["ids[]"]);
    for bad in ["abc", "0", "-3", "1.5"] {
        assert_eq!(invalid(cg_get(&app, "/users", &app.admin_key, &[("ids[]", bad)]).await).await, ["ids[]"], "{bad}");
    }
    // Clio's name is `ids[]`; plain `ids` is not a parameter here, and
    // unknown parameters are ignored, as Clio ignores them (issue 17.4).
    expect_status(cg_get(&app, "/contacts", &app.admin_key, &[("ids", "1")]).await, StatusCode::OK).await;
}

async fn created_since_and_updated_since_filter(app: TestApp) {
    let (old, old_seq) = contact(&app, "Old", "One").await;
    let old_lead = seq(&lead(&app, "Old").await);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let since = time::OffsetDateTime::now_utc();
    let since_text = crate::support::rfc3339(since);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (_, new_seq) = contact(&app, "New", "One").await;
    let new_lead = seq(&lead(&app, "New").await);
    assert_eq!(seqs(&cg_list(&app, "/contacts", &[("created_since", &since_text)]).await), vec![new_seq]);
    assert_eq!(seqs(&cg_list(&app, "/inbox_leads", &[("state", "untriaged"), ("created_since", &since_text)]).await), vec![new_lead]);
    assert_eq!(seqs(&cg_list(&app, "/contacts", &[("updated_since", &since_text)]).await), vec![new_seq]);
    // Touching the old records brings them into updated_since, not created_since.
    ok(app.patch(&format!("/v1/clients/{}", id(&old)), &app.admin_key, &json!({"notes": "touched"})).await).await;
    let mut touched = seqs(&cg_list(&app, "/contacts", &[("updated_since", &since_text)]).await);
    touched.sort_unstable();
    let mut want = vec![old_seq, new_seq];
    want.sort_unstable();
    assert_eq!(touched, want);
    assert_eq!(seqs(&cg_list(&app, "/contacts", &[("created_since", &since_text)]).await), vec![new_seq]);
    let lead_path = format!("/v1/leads/lead_{}", text(&cg_data(&app, &format!("/inbox_leads/{old_lead}")).await, "global_id"));
    ok(app.patch(&lead_path, &app.admin_key, &json!({"first_name": "Older"})).await).await;
    let mut leads = seqs(&cg_list(&app, "/inbox_leads", &[("state", "untriaged"), ("updated_since", &since_text)]).await);
    leads.sort_unstable();
    let mut want = vec![old_lead, new_lead];
    want.sort_unstable();
    assert_eq!(leads, want);
    // A date alone means its midnight; a far-future instant matches nothing.
    assert_eq!(seqs(&cg_list(&app, "/contacts", &[("created_since", "2000-01-01")]).await).len(), 2);
    assert!(seqs(&cg_list(&app, "/matters", &[("updated_since", "2999-01-01T00:00:00Z")]).await).is_empty());
    for bad in ["yesterday", "2024-13-01"] {
        assert_eq!(invalid(cg_get(&app, "/contacts", &app.admin_key, &[("created_since", bad)]).await).await, ["created_since"]);
        assert_eq!(invalid(cg_get(&app, "/users", &app.admin_key, &[("updated_since", bad)]).await).await, ["updated_since"]);
    }
}

async fn page_token_walks_visit_every_record_once(app: TestApp) {
    let mut contacts = Vec::new();
    let mut clients = Vec::new();
    for i in 0..5 {
        let client = person(&app, "Walk", &format!("W{i}")).await;
        clients.push(id(&client));
    }
    for client in &clients {
        contacts.push(seq(&contact_of(&app, client).await));
    }
    assert_eq!(walk(&app, "/contacts?limit=2", &app.admin_key).await, contacts, "oldest first, each once");
    // Filters are kept on every page.
    let kept = walk(&app, &format!("/contacts?limit=1&ids[]={}&ids[]={}", contacts[1], contacts[3]), &app.admin_key).await;
    assert_eq!(kept, vec![contacts[1], contacts[3]]);
    let mut matters = Vec::new();
    for t in ["a", "b", "c"] {
        matters.push(matter_seq(&app, &id(&new_matter(&app, &clients[0], t, json!({})).await)).await);
    }
    assert_eq!(walk(&app, "/matters?limit=2", &app.admin_key).await, matters);
    let mut leads = Vec::new();
    for f in ["a", "b", "c"] {
        leads.push(seq(&lead(&app, f).await));
    }
    assert_eq!(walk(&app, "/inbox_leads?state=untriaged&limit=2", &app.admin_key).await, leads);
    let mut users = Vec::new();
    for f in ["Ua", "Ub", "Uc"] {
        users.push(user(&app, f).await.1);
    }
    assert_eq!(walk(&app, "/users?limit=2", &app.admin_key).await, users);
    let mut actions = Vec::new();
    for l in ["a", "b", "c"] {
        actions.push(seq(&custom_action(&app, l).await));
    }
    assert_eq!(walk(&app, "/custom_actions?limit=2", &app.admin_key).await, actions);
    for parent in [format!("/contacts/{}/notes", contacts[0]), format!("/matters/{}/notes", matters[0])] {
        let mut notes = Vec::new();
        for b in ["a", "b", "c"] {
            notes.push(seq(&created(cg_post(&app, &parent, &app.admin_key, &json!({"data": {"body": b}})).await).await));
        }
        assert_eq!(walk(&app, &format!("{parent}?limit=2"), &app.admin_key).await, notes);
    }
}

async fn a_bad_page_token_is_400(app: TestApp) {
    for path in ["/contacts", "/matters", "/users", "/custom_actions"] {
        assert_eq!(invalid(cg_get(&app, path, &app.admin_key, &[("page_token", "not-a-token")]).await).await, ["page_token"], "{path}");
    }
    let lead_params = [("state", "untriaged"), ("page_token", "eyJ4IjoxfQ")];
    assert_eq!(invalid(cg_get(&app, "/inbox_leads", &app.admin_key, &lead_params).await).await, ["page_token"]);
    for bad in ["0", "101", "x"] {
        assert_eq!(invalid(cg_get(&app, "/contacts", &app.admin_key, &[("limit", bad)]).await).await, ["limit"]);
    }
}

/// As Clio ignores them (issue 17.4: jQuery's `_=` cache-buster must work);
/// `/v1` still refuses them.
async fn unknown_query_parameters_are_ignored(app: TestApp) {
    let (c, m, l, u) = one_of_each(&app).await;
    for (method, path) in every_route(c, m, l, u) {
        let plain = send(&app, &method, &path, Some(&app.admin_key), "").await.status();
        let busted = send(&app, &method, &path, Some(&app.admin_key), "colour=red&_=1767225600000").await.status();
        assert_eq!(busted, plain, "{method} {path}");
        assert_ne!(busted, StatusCode::BAD_REQUEST, "{method} {path}");
    }
}

async fn path_ids_that_name_nothing_are_404(app: TestApp) {
    a_matter(&app).await;
    for path in ["/contacts/{}", "/contacts/{}/notes", "/inbox_leads/{}", "/matters/{}", "/matters/{}/notes", "/users/{}"] {
        for bad in ["999999", "0", "-1", "abc", "1.0"] {
            let response = cg_get(&app, &path.replace("{}", bad), &app.admin_key, &[]).await;
            not_found(response).await;
        }
    }
    for path in ["/contacts/999999/notes", "/matters/999999/notes", "/contacts/abc/notes"] {
        not_found(cg_post(&app, path, &app.admin_key, &json!({"data": {"body": "x"}})).await).await;
    }
}

async fn missing_or_bad_keys_are_401_on_every_route(app: TestApp) {
    let (c, m, l, u) = one_of_each(&app).await;
    // Failed authentications are rate limited per address (30 a minute), so
    // each route is tried once, alternately without a key and with a bad one.
    for (i, (method, path)) in every_route(c, m, l, u).into_iter().enumerate() {
        let key = if i % 2 == 0 { None } else { Some("clt_not_a_real_key") };
        let response = send(&app, &method, &path, key, "").await;
        clio_error(response, StatusCode::UNAUTHORIZED, "AuthenticationError", "unauthorized").await;
    }
    // Bearer works as well as X-Api-Key.
    let response = app.http.get(app.url(&at("/contacts"))).bearer_auth(&app.admin_key).send().await.expect("send");
    expect_status(response, StatusCode::OK).await;
}

async fn scopes_guard_every_route(app: TestApp) {
    let (c, m, l, u) = one_of_each(&app).await;
    // Each route needs its scope; a key with every other scope is refused.
    let needs = [
        ("clients:read", vec![(Method::GET, "/contacts".to_string()), (Method::GET, format!("/contacts/{c}"))]),
        ("notes:read", vec![(Method::GET, format!("/contacts/{c}/notes")), (Method::GET, format!("/matters/{m}/notes"))]),
        ("notes:write", vec![(Method::POST, format!("/contacts/{c}/notes")), (Method::POST, format!("/matters/{m}/notes"))]),
        ("leads:read", vec![(Method::GET, "/inbox_leads?state=untriaged".to_string()), (Method::GET, format!("/inbox_leads/{l}"))]),
        ("leads:write", vec![(Method::POST, "/inbox_leads".to_string())]),
        ("matters:read", vec![(Method::GET, "/matters".to_string()), (Method::GET, format!("/matters/{m}"))]),
        ("users:read", vec![(Method::GET, "/users".to_string()), (Method::GET, format!("/users/{u}"))]),
        ("admin", vec![(Method::POST, "/custom_actions".to_string())]),
    ];
    let all = ["clients:read", "clients:write", "matters:read", "matters:write", "notes:read", "notes:write", "leads:read", "leads:write", "users:read"];
    for (scope, routes) in &needs {
        let others: Vec<&str> = all.iter().copied().filter(|s| s != scope).collect();
        let without = app.key(&others.join(",")).await;
        let with = app.key(if *scope == "admin" { "clients:read" } else { scope }).await;
        for (method, path) in routes {
            forbidden(send(&app, method, path, Some(&without), "").await).await;
            if *scope != "admin" {
                let response = send(&app, method, path, Some(&with), "").await;
                assert!(response.status().is_success(), "{scope} should allow {method} {path}: {}", response.status());
            }
        }
    }
    // Listing custom actions and who_am_i need no scope.
    let minimal = app.key("clients:read").await;
    expect_status(send(&app, &Method::GET, "/custom_actions", Some(&minimal), "").await, StatusCode::OK).await;
    not_found(send(&app, &Method::GET, "/users/who_am_i", Some(&minimal), "").await).await;
}

async fn another_firms_records_are_404_on_every_route(app: TestApp) {
    let (c, m, l, u) = one_of_each(&app).await;
    let other = app.other_firm().await;
    for (method, path) in every_route(c, m, l, u) {
        let id_route = ["/contacts/", "/inbox_leads/", "/matters/", "/users/"]
            .iter()
            .any(|p| path.starts_with(p) && !path.contains("who_am_i"));
        if id_route {
            not_found(send(&app, &method, &path, Some(&other), "").await).await;
        }
    }
    // Nothing was written to our records through theirs.
    assert!(cg_list(&app, &format!("/contacts/{c}/notes"), &[]).await["data"].as_array().is_some_and(Vec::is_empty));
    assert!(cg_list(&app, &format!("/matters/{m}/notes"), &[]).await["data"].as_array().is_some_and(Vec::is_empty));
}

async fn another_firms_records_are_never_listed(app: TestApp) {
    let (c, m, l, u) = one_of_each(&app).await;
    custom_action(&app, "Ours").await;
    let other = app.other_firm().await;
    for (path, n) in [("/contacts", c), ("/matters", m), ("/inbox_leads?state=untriaged", l), ("/users", u), ("/custom_actions", 0)] {
        let body = expect_status(send(&app, &Method::GET, path, Some(&other), "").await, StatusCode::OK).await;
        assert_eq!(body["data"], json!([]), "{path}: {body}");
        if n > 0 {
            let body = expect_status(send(&app, &Method::GET, path, Some(&other), &format!("ids[]={n}")).await, StatusCode::OK).await;
            assert_eq!(body["data"], json!([]), "{path}: {body}");
        }
    }
}

async fn rate_limited_requests_are_429(app: TestApp) {
    let body = json!({"name": "limited", "scopes": ["clients:read"], "rate_limit_per_minute": 1});
    let key = created(app.post("/v1/api-keys", &app.admin_key, &body).await).await;
    let secret = text(&key, "secret");
    expect_status(cg_get(&app, "/contacts", secret, &[]).await, StatusCode::OK).await;
    let response = cg_get(&app, "/contacts", secret, &[]).await;
    assert!(response.headers().get("retry-after").is_some(), "429 carries Retry-After");
    clio_error(response, StatusCode::TOO_MANY_REQUESTS, "RateLimitError", "rate_limited").await;
}

async fn bad_bodies_are_400_413_or_415(app: TestApp) {
    for path in ["/inbox_leads", "/custom_actions"] {
        let url = app.url(&at(path));
        let malformed = app.http.post(&url).header("X-Api-Key", &app.admin_key).header("content-type", "application/json").body("{nope").send().await.expect("send");
        clio_error(malformed, StatusCode::BAD_REQUEST, "ValidationError", "malformed_json").await;
        let array = app.http.post(&url).header("X-Api-Key", &app.admin_key).json(&json!([1])).send().await.expect("send");
        clio_error(array, StatusCode::BAD_REQUEST, "ValidationError", "malformed_json").await;
        let text_body = app.http.post(&url).header("X-Api-Key", &app.admin_key).header("content-type", "text/plain").body("hi").send().await.expect("send");
        clio_error(text_body, StatusCode::UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaTypeError", "unsupported_media_type").await;
        let huge = json!({"data": {"label": "x".repeat(1_100_000)}});
        let too_large = app.http.post(&url).header("X-Api-Key", &app.admin_key).json(&huge).send().await.expect("send");
        clio_error(too_large, StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLargeError", "payload_too_large").await;
    }
}

async fn idempotency_keys_replay_and_refuse_reuse(app: TestApp) {
    let url = app.url(&at("/inbox_leads"));
    let post = |first: &'static str| {
        app.http.post(&url).header("X-Api-Key", &app.admin_key).header("Idempotency-Key", "clio-1").json(&json!({"data": {"first_name": first}})).send()
    };
    let first = created(post("Once").await.expect("send")).await;
    let again = created(post("Once").await.expect("send")).await;
    assert_eq!(first, again, "a retry gets the first response");
    let reused = post("Other").await.expect("send");
    clio_error(reused, StatusCode::UNPROCESSABLE_ENTITY, "UnprocessableEntityError", "idempotency_key_reused").await;
    assert_eq!(seqs(&cg_list(&app, "/inbox_leads", &[("state", "untriaged")]).await), vec![seq(&first)]);
}

async fn method_not_allowed_is_in_the_clio_shape(app: TestApp) {
    let response = app.delete(&at("/contacts"), &app.admin_key).await;
    clio_error(response, StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowedError", "method_not_allowed").await;
    let response = app.get(&at("/nowhere"), &app.admin_key).await;
    clio_error(response, StatusCode::NOT_FOUND, "RecordNotFound", "not_found").await;
}

async fn openapi_documents_every_route(app: TestApp) {
    let doc = expect_status(app.get("/openapi.json", "").await, StatusCode::OK).await;
    let paths = doc["paths"].as_object().expect("paths");
    let ours: Vec<(&String, &Value)> = paths.iter().filter(|(p, _)| p.starts_with("/compat/clio-grow/")).collect();
    let expected = [
        ("/contacts", vec!["get"]),
        ("/contacts/{id}", vec!["get"]),
        ("/contacts/{contact_id}/notes", vec!["get", "post"]),
        ("/custom_actions", vec!["get", "post"]),
        ("/inbox_leads", vec!["get", "post"]),
        ("/inbox_leads/{id}", vec!["get"]),
        ("/matters", vec!["get"]),
        ("/matters/{id}", vec!["get"]),
        ("/matters/{matter_id}/notes", vec!["get", "post"]),
        ("/users", vec!["get"]),
        ("/users/who_am_i", vec!["get"]),
        ("/users/{id}", vec!["get"]),
    ];
    assert_eq!(ours.len(), expected.len(), "{:?}", ours.iter().map(|(p, _)| p).collect::<Vec<_>>());
    for (path, methods) in expected {
        let item = &paths[&at(path)];
        for method in methods {
            let op = &item[method];
            assert_eq!(op["tags"], json!(["clio-grow"]), "{method} {path}");
            let responses = op["responses"].as_object().expect("responses");
            let mut wanted = vec!["400", "401", "403", "429", "500", "503"];
            wanted.push(if method == "post" { "201" } else { "200" });
            if path.contains('{') || path.ends_with("who_am_i") {
                wanted.push("404");
            }
            if method == "post" {
                wanted.extend(["409", "413", "415", "422"]);
            }
            for status in wanted {
                let schema = &responses[status]["content"]["application/json"]["schema"]["$ref"];
                let name = schema.as_str().unwrap_or_else(|| panic!("{method} {path} {status} has no JSON body: {}", responses[status]));
                assert!(name.contains("ClioGrow"), "{method} {path} {status}: {name}");
            }
        }
    }
}
