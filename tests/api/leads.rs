//! Leads, the intake inbox: CRUD, list filters, conversion into a client (and
//! matter), public intake tokens and their rate limit, scopes, tenancy and
//! events (docs/domain.md, "Leads").

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{expect_problem, expect_status, TestApp};
use crate::records::{
    actor_key_id, created, forbidden, get_query, kinds, matter_path, not_found, ok, page, page_id_set, page_ids, refused_fields, sorted,
    text, walk_at,
};
use crate::support::{events, events_since, header, id, ids, key_id, last_seq};

crate::store_tests!(
    create_answers_201_with_an_untriaged_lead,
    get_returns_what_create_returned,
    a_lead_needs_a_name_email_or_phone,
    lead_fields_are_validated,
    unknown_and_read_only_fields_are_refused,
    list_filters_by_state,
    q_searches_name_email_phone_and_message,
    lead_lists_page_with_cursors_and_totals,
    patch_can_ignore_a_lead_but_not_convert_it,
    convert_without_a_matter_creates_a_client,
    convert_with_a_matter_creates_both,
    convert_body_overrides_client_fields,
    a_lead_without_both_names_needs_them_in_the_client_body,
    converting_twice_is_409,
    converting_into_a_used_email_is_409_and_changes_nothing,
    a_refused_conversion_matter_changes_nothing,
    convert_needs_leads_clients_and_for_a_matter_matters_write,
    scopes_guard_leads,
    another_firms_lead_is_404_and_never_listed,
    lead_changes_are_logged_as_events,
    an_intake_token_is_shown_once,
    only_admins_manage_intake_tokens,
    public_intake_accepts_json_without_an_api_key,
    public_intake_accepts_a_form,
    public_intake_refuses_unknown_fields,
    public_intake_refuses_empty_or_wrongly_typed_submissions,
    unknown_and_revoked_tokens_are_404,
    another_firms_intake_tokens_are_invisible,
    a_burst_past_the_limit_is_429_with_retry_after,
);

async fn new_lead(app: &TestApp, body: Value) -> Value {
    created(app.post("/v1/leads", &app.admin_key, &body).await).await
}

fn lead_path(lead: &Value) -> String {
    format!("/v1/leads/{}", text(lead, "id"))
}

fn convert_path(lead: &Value) -> String {
    format!("{}/convert", lead_path(lead))
}

async fn convert(app: &TestApp, key: &str, lead: &Value, body: Value) -> Response {
    app.post(&convert_path(lead), key, &body).await
}

async fn client_total(app: &TestApp) -> u64 {
    page(app, "/v1/clients", &[("include_total", "true")]).await["pagination"]["total"].as_u64().expect("total")
}

async fn new_token(app: &TestApp, name: &str) -> Value {
    created(app.post("/v1/intake-tokens", &app.admin_key, &json!({"name": name})).await).await
}

/// `POST /v1/intake/{token}` with a JSON body and no API key.
async fn intake(app: &TestApp, token: &str, body: &Value) -> Response {
    app.http.post(app.url(&format!("/v1/intake/{token}"))).json(body).send().await.expect("send")
}

/// Revoking answers the token (200) or nothing (204); either is fine.
async fn revoke_token(app: &TestApp, key: &str, token: &Value) -> Response {
    app.delete(&format!("/v1/intake-tokens/{}", text(token, "id")), key).await
}

async fn create_answers_201_with_an_untriaged_lead(app: TestApp) {
    let response = app
        .post("/v1/leads", &app.admin_key, &json!({"first_name": "Dana", "last_name": "Cole", "email": "dana@example.com",
            "phone": "(661) 555-0142", "message": "I need help with a lease.", "source": "website"}))
        .await;
    let location = header(&response, "location");
    let lead = created(response).await;
    assert!(text(&lead, "id").starts_with("lead_"), "{lead}");
    assert_eq!(location, lead_path(&lead));
    assert_eq!(lead["state"], "untriaged");
    assert_eq!(lead["phone"], "+16615550142", "phones are normalised like clients'");
    assert_eq!(lead["email"], "dana@example.com");
    assert_eq!(lead["message"], "I need help with a lease.");
    assert_eq!(lead["source"], "website");
    for field in ["client_id", "matter_id", "converted_at"] {
        assert!(lead[field].is_null(), "{field}: {lead}");
    }
    assert_eq!(lead["version"], 1);
}

async fn get_returns_what_create_returned(app: TestApp) {
    let lead = new_lead(&app, json!({"email": "only@example.com", "custom_fields": {"utm": "spring"}})).await;
    assert_eq!(lead["custom_fields"], json!({"utm": "spring"}));
    assert_eq!(ok(app.get(&lead_path(&lead), &app.admin_key).await).await, lead);
    not_found(app.get("/v1/leads/lead_01J00000000000000000000000", &app.admin_key).await).await;
}

async fn a_lead_needs_a_name_email_or_phone(app: TestApp) {
    for body in [json!({}), json!({"message": "hello"}), json!({"source": "web", "first_name": null})] {
        expect_problem(app.post("/v1/leads", &app.admin_key, &body).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    for body in [json!({"first_name": "A"}), json!({"last_name": "B"}), json!({"email": "c@example.com"}), json!({"phone": "+16615550142"})] {
        new_lead(&app, body).await;
    }
    let lead = new_lead(&app, json!({"email": "d@example.com"})).await;
    expect_problem(app.patch(&lead_path(&lead), &app.admin_key, &json!({"email": null})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
}

async fn lead_fields_are_validated(app: TestApp) {
    let cases = [
        (json!({"first_name": "n".repeat(101), "email": "a@example.com"}), "first_name"),
        (json!({"first_name": "A", "last_name": "n".repeat(101)}), "last_name"),
        (json!({"first_name": "A", "email": "not an email"}), "email"),
        (json!({"first_name": "A", "phone": "12"}), "phone"),
        (json!({"first_name": "A", "message": "m".repeat(10_001)}), "message"),
        (json!({"first_name": "A", "source": "s".repeat(101)}), "source"),
        (json!({"first_name": "A", "state": "converted"}), "state"),
        (json!({"first_name": "A", "state": "spam"}), "state"),
    ];
    for (body, field) in cases {
        assert_eq!(refused_fields(app.post("/v1/leads", &app.admin_key, &body).await).await, [field], "{field}");
    }
    let ignored = new_lead(&app, json!({"first_name": "A", "state": "ignored"})).await;
    assert_eq!(ignored["state"], "ignored");
    assert_eq!(page(&app, "/v1/leads", &[("include_total", "true")]).await["pagination"]["total"], 1);
}

async fn unknown_and_read_only_fields_are_refused(app: TestApp) {
    let cases = [
        ("nickname", json!("D")),
        ("client_id", json!("cli_01J00000000000000000000000")),
        ("matter_id", json!("mat_01J00000000000000000000000")),
        ("converted_at", json!("2024-01-01T00:00:00.000Z")),
        ("id", json!("lead_01J00000000000000000000000")),
    ];
    for (field, value) in cases.clone() {
        let response = app.post("/v1/leads", &app.admin_key, &json!({"first_name": "A", field: value})).await;
        assert_eq!(refused_fields(response).await, [field], "POST {field}");
    }
    let lead = new_lead(&app, json!({"first_name": "A"})).await;
    for (field, value) in cases {
        let response = app.patch(&lead_path(&lead), &app.admin_key, &json!({field: value})).await;
        assert_eq!(refused_fields(response).await, [field], "PATCH {field}");
    }
}

async fn list_filters_by_state(app: TestApp) {
    let a = id(&new_lead(&app, json!({"first_name": "A"})).await);
    let b = new_lead(&app, json!({"first_name": "B"})).await;
    let c = new_lead(&app, json!({"first_name": "C", "last_name": "Doe", "email": "c@example.com"})).await;
    ok(app.patch(&lead_path(&b), &app.admin_key, &json!({"state": "ignored"})).await).await;
    created(convert(&app, &app.admin_key, &c, json!({})).await).await;
    let (b, c) = (id(&b), id(&c));
    assert_eq!(page_ids(&app, "/v1/leads", &[("state", "untriaged")]).await, vec![a.clone()]);
    assert_eq!(page_ids(&app, "/v1/leads", &[("state", "ignored")]).await, vec![b.clone()]);
    assert_eq!(page_ids(&app, "/v1/leads", &[("state", "converted")]).await, vec![c.clone()]);
    assert_eq!(page_id_set(&app, "/v1/leads", &[("state", "untriaged,ignored")]).await, sorted(vec![a.clone(), b.clone()]));
    assert_eq!(page_id_set(&app, "/v1/leads", &[]).await, sorted(vec![a, b, c]));
}

async fn q_searches_name_email_phone_and_message(app: TestApp) {
    let by_name = id(&new_lead(&app, json!({"first_name": "Marguerite", "last_name": "Oduya"})).await);
    let by_email = id(&new_lead(&app, json!({"email": "zed.quill@example.org"})).await);
    let by_phone = id(&new_lead(&app, json!({"phone": "(661) 555-0199"})).await);
    let by_message = id(&new_lead(&app, json!({"first_name": "X", "message": "My landlord kept the DEPOSIT"})).await);
    assert_eq!(page_ids(&app, "/v1/leads", &[("q", "marguer")]).await, vec![by_name.clone()]);
    assert_eq!(page_ids(&app, "/v1/leads", &[("q", "ODUYA")]).await, [by_name]);
    assert_eq!(page_ids(&app, "/v1/leads", &[("q", "quill@")]).await, [by_email]);
    assert_eq!(page_ids(&app, "/v1/leads", &[("q", "5550199")]).await, [by_phone]);
    assert_eq!(page_ids(&app, "/v1/leads", &[("q", "deposit")]).await, [by_message]);
    assert!(page_ids(&app, "/v1/leads", &[("q", "zebra")]).await.is_empty());
}

async fn lead_lists_page_with_cursors_and_totals(app: TestApp) {
    let mut all = Vec::new();
    for i in 0..6 {
        all.push(id(&new_lead(&app, json!({"first_name": format!("L{i}")})).await));
    }
    assert_eq!(walk_at(&app, "/v1/leads", &[("limit", "4"), ("sort", "created_at")]).await, all);
    let page = page(&app, "/v1/leads", &[("include_total", "true"), ("limit", "2")]).await;
    assert_eq!(page["pagination"]["total"], 6);
    assert_eq!(page["pagination"]["has_more"], true);
    let newest_first: Vec<String> = all.iter().rev().take(2).cloned().collect();
    assert_eq!(ids(&page), newest_first, "the default sort is newest first");
}

async fn patch_can_ignore_a_lead_but_not_convert_it(app: TestApp) {
    let lead = new_lead(&app, json!({"first_name": "Dana", "message": "hi"})).await;
    let path = lead_path(&lead);
    let ignored = ok(app.patch(&path, &app.admin_key, &json!({"state": "ignored"})).await).await;
    assert_eq!(ignored["state"], "ignored");
    assert_eq!(ignored["message"], "hi");
    assert_eq!(ignored["version"], 2);
    let back = ok(app.patch(&path, &app.admin_key, &json!({"state": "untriaged", "last_name": "Cole"})).await).await;
    assert_eq!(back["state"], "untriaged");
    assert_eq!(back["last_name"], "Cole");
    assert_eq!(refused_fields(app.patch(&path, &app.admin_key, &json!({"state": "converted"})).await).await, ["state"]);
    assert_eq!(ok(app.get(&path, &app.admin_key).await).await, back, "the refused PATCH changed nothing");
}

async fn convert_without_a_matter_creates_a_client(app: TestApp) {
    let lead = new_lead(&app, json!({"first_name": "Dana", "last_name": "Cole", "email": "dana@example.com",
        "phone": "(661) 555-0142", "source": "website", "custom_fields": {"referrer": "Bob"}, "message": "help"}))
    .await;
    let response = convert(&app, &app.admin_key, &lead, json!({})).await;
    let location = header(&response, "location");
    let data = created(response).await;
    let client = &data["client"];
    let converted = &data["lead"];
    assert!(text(client, "id").starts_with("cli_"), "{data}");
    assert_eq!(location, format!("/v1/clients/{}", text(client, "id")));
    assert_eq!(client["kind"], "person");
    assert_eq!(client["first_name"], "Dana");
    assert_eq!(client["last_name"], "Cole");
    assert_eq!(client["email"], "dana@example.com");
    assert_eq!(client["phone"], "+16615550142");
    assert_eq!(client["source"], "website");
    assert_eq!(client["custom_fields"], json!({"referrer": "Bob"}));
    assert_eq!(client["matters_count"], 0);
    assert!(data["matter"].is_null(), "{data}");
    assert_eq!(converted["id"], lead["id"]);
    assert_eq!(converted["state"], "converted");
    assert_eq!(converted["client_id"], client["id"]);
    assert!(converted["matter_id"].is_null());
    assert!(converted["converted_at"].is_string(), "{converted}");
    assert_eq!(ok(app.get(&lead_path(&lead), &app.admin_key).await).await, *converted);
    assert_eq!(ok(app.get(&location, &app.admin_key).await).await, *client);
    assert_eq!(client_total(&app).await, 1);
}

async fn convert_with_a_matter_creates_both(app: TestApp) {
    let lead = new_lead(&app, json!({"first_name": "Dana", "last_name": "Cole", "email": "dana@example.com"})).await;
    let body = json!({"matter": {"title": "Cole lease dispute", "practice_area": "Real Estate", "status": "pending"}});
    let data = created(convert(&app, &app.admin_key, &lead, body).await).await;
    let (client, matter, converted) = (&data["client"], &data["matter"], &data["lead"]);
    assert!(text(matter, "id").starts_with("mat_"), "{data}");
    assert_eq!(matter["lead_id"], lead["id"]);
    assert_eq!(matter["client_id"], client["id"]);
    assert_eq!(matter["title"], "Cole lease dispute");
    assert_eq!(matter["practice_area"], "Real Estate");
    assert_eq!(matter["status"], "pending");
    assert_eq!(converted["state"], "converted");
    assert_eq!(converted["client_id"], client["id"]);
    assert_eq!(converted["matter_id"], matter["id"]);
    assert_eq!(ok(app.get(&matter_path(matter), &app.admin_key).await).await, *matter);
    let fetched = ok(app.get(&format!("/v1/clients/{}", text(client, "id")), &app.admin_key).await).await;
    assert_eq!(fetched["matters_count"], 1);
    assert_eq!(fetched["email"], "dana@example.com");
    // The lead_id filter finds it.
    assert_eq!(page_ids(&app, "/v1/matters", &[("lead_id", text(&lead, "id"))]).await, [id(matter)]);
}

async fn convert_body_overrides_client_fields(app: TestApp) {
    let lead = new_lead(&app, json!({"first_name": "Dana", "last_name": "Cole", "email": "dana@example.com", "source": "website"})).await;
    let body = json!({"client": {"email": "dana.cole@work.example", "last_name": "Cole-Smith", "tags": ["referral"]}});
    let data = created(convert(&app, &app.admin_key, &lead, body).await).await;
    assert_eq!(data["client"]["email"], "dana.cole@work.example");
    assert_eq!(data["client"]["last_name"], "Cole-Smith");
    assert_eq!(data["client"]["first_name"], "Dana");
    assert_eq!(data["client"]["source"], "website");
    assert_eq!(data["client"]["tags"], json!(["referral"]));
    // A bad client field in the body is a 400 and converts nothing.
    let other = new_lead(&app, json!({"first_name": "Eli", "last_name": "Doe"})).await;
    let problem = expect_problem(convert(&app, &app.admin_key, &other, json!({"client": {"email": "nope"}})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert!(crate::helpers::error_fields(&problem).iter().any(|f| f.contains("email")), "{problem}");
    assert_eq!(ok(app.get(&lead_path(&other), &app.admin_key).await).await["state"], "untriaged");
    // A matter in the body may not name its own client.
    let problem = expect_problem(
        convert(&app, &app.admin_key, &other, json!({"matter": {"title": "T", "client_id": data["client"]["id"]}})).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    assert!(crate::helpers::error_fields(&problem).iter().any(|f| f.contains("client_id")), "{problem}");
    assert_eq!(client_total(&app).await, 1);
}

async fn a_lead_without_both_names_needs_them_in_the_client_body(app: TestApp) {
    let lead = new_lead(&app, json!({"first_name": "Dana", "email": "dana@example.com"})).await;
    let problem = expect_problem(convert(&app, &app.admin_key, &lead, json!({})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(crate::helpers::error_fields(&problem), ["client.last_name"]);
    // Client and matter problems are reported together.
    let response = convert(&app, &app.admin_key, &lead, json!({"matter": {"status": "bogus"}})).await;
    let fields = refused_fields(response).await;
    assert!(fields.contains(&"client.last_name".to_string()) && fields.iter().any(|f| f.starts_with("matter.")), "{fields:?}");
    assert_eq!(ok(app.get(&lead_path(&lead), &app.admin_key).await).await, lead, "refused conversions change nothing");
    assert_eq!(client_total(&app).await, 0);
    let data = created(convert(&app, &app.admin_key, &lead, json!({"client": {"last_name": "Cole"}})).await).await;
    assert_eq!(data["client"]["name"], "Dana Cole");
    assert_eq!(data["client"]["email"], "dana@example.com");
    // A lead with only an email needs a last name (a person may have only
    // that: issue 17.1).
    let only_email = new_lead(&app, json!({"email": "eli@example.com"})).await;
    let fields = refused_fields(convert(&app, &app.admin_key, &only_email, json!({})).await).await;
    assert_eq!(fields, ["client.last_name"]);
    created(convert(&app, &app.admin_key, &only_email, json!({"client": {"first_name": "Eli", "last_name": "Ng"}})).await).await;
}

async fn converting_twice_is_409(app: TestApp) {
    let lead = new_lead(&app, json!({"first_name": "Dana", "last_name": "Doe", "email": "dana@example.com"})).await;
    let first = created(convert(&app, &app.admin_key, &lead, json!({})).await).await;
    expect_problem(convert(&app, &app.admin_key, &lead, json!({})).await, StatusCode::CONFLICT, "lead_already_converted").await;
    let body = json!({"client": {"email": "another@example.com"}, "matter": {"title": "Again"}});
    expect_problem(convert(&app, &app.admin_key, &lead, body).await, StatusCode::CONFLICT, "lead_already_converted").await;
    assert_eq!(client_total(&app).await, 1);
    assert_eq!(ok(app.get(&lead_path(&lead), &app.admin_key).await).await, first["lead"]);
    assert!(page_ids(&app, "/v1/matters", &[]).await.is_empty());
}

async fn converting_into_a_used_email_is_409_and_changes_nothing(app: TestApp) {
    app.create_client(json!({"first_name": "Existing", "last_name": "Client", "email": "dana@example.com"})).await;
    let lead = new_lead(&app, json!({"first_name": "Dana", "last_name": "Doe", "email": "DANA@example.com"})).await;
    let start = last_seq(&app).await;
    expect_problem(convert(&app, &app.admin_key, &lead, json!({})).await, StatusCode::CONFLICT, "duplicate_email").await;
    expect_problem(convert(&app, &app.admin_key, &lead, json!({"matter": {"title": "T"}})).await, StatusCode::CONFLICT, "duplicate_email").await;
    let other = new_lead(&app, json!({"first_name": "Eli", "last_name": "Doe"})).await;
    let overridden = json!({"client": {"email": "Dana@Example.com"}});
    expect_problem(convert(&app, &app.admin_key, &other, overridden).await, StatusCode::CONFLICT, "duplicate_email").await;
    let still = ok(app.get(&lead_path(&lead), &app.admin_key).await).await;
    assert_eq!(still, lead, "the lead is unchanged");
    assert_eq!(still["state"], "untriaged");
    assert_eq!(client_total(&app).await, 1, "no client was created");
    assert!(page_ids(&app, "/v1/matters", &[]).await.is_empty(), "no matter was created");
    let log = events_since(&app, start).await;
    assert_eq!(kinds(&log), ["lead.created"], "only the second lead's creation is logged");
    // Overriding the email gets it through.
    let data = created(convert(&app, &app.admin_key, &lead, json!({"client": {"email": "dana.new@example.com"}})).await).await;
    assert_eq!(data["lead"]["state"], "converted");
}

async fn a_refused_conversion_matter_changes_nothing(app: TestApp) {
    let lead = new_lead(&app, json!({"first_name": "Dana", "last_name": "Doe", "email": "dana@example.com"})).await;
    let response = convert(&app, &app.admin_key, &lead, json!({"matter": {"status": "bogus"}})).await;
    let problem = expect_problem(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert!(!crate::helpers::error_fields(&problem).is_empty(), "{problem}");
    assert_eq!(ok(app.get(&lead_path(&lead), &app.admin_key).await).await, lead);
    assert_eq!(client_total(&app).await, 0);
}

async fn convert_needs_leads_clients_and_for_a_matter_matters_write(app: TestApp) {
    let lead = new_lead(&app, json!({"first_name": "Dana", "last_name": "Doe", "email": "dana@example.com"})).await;
    let leads_only = app.key("leads:read,leads:write").await;
    let clients_only = app.key("clients:read,clients:write,matters:write").await;
    let no_matters = app.key("leads:write,clients:write").await;
    let everything = app.key("leads:write,clients:write,matters:write").await;
    forbidden(convert(&app, &leads_only, &lead, json!({})).await).await;
    forbidden(convert(&app, &clients_only, &lead, json!({})).await).await;
    forbidden(convert(&app, &no_matters, &lead, json!({"matter": {"title": "T"}})).await).await;
    assert_eq!(client_total(&app).await, 0);
    assert_eq!(ok(app.get(&lead_path(&lead), &app.admin_key).await).await["state"], "untriaged");
    created(convert(&app, &everything, &lead, json!({"matter": {"title": "T"}})).await).await;
    assert_eq!(ok(app.get(&lead_path(&lead), &app.admin_key).await).await["state"], "converted");
    let second = new_lead(&app, json!({"first_name": "Eli", "last_name": "Doe"})).await;
    created(convert(&app, &no_matters, &second, json!({})).await).await;
}

async fn scopes_guard_leads(app: TestApp) {
    let lead = new_lead(&app, json!({"first_name": "Dana"})).await;
    let path = lead_path(&lead);
    let clients_only = app.key("clients:read,clients:write").await;
    let reader = app.key("leads:read").await;
    let writer = app.key("leads:write").await;
    forbidden(app.get("/v1/leads", &clients_only).await).await;
    forbidden(app.get(&path, &clients_only).await).await;
    forbidden(app.get("/v1/leads", &writer).await).await;
    for key in [&clients_only, &reader] {
        forbidden(app.post("/v1/leads", key, &json!({"first_name": "X"})).await).await;
        forbidden(app.patch(&path, key, &json!({"state": "ignored"})).await).await;
    }
    assert_eq!(ok(app.get(&path, &reader).await).await, lead);
    assert_eq!(ids(&expect_status(app.get("/v1/leads", &reader).await, StatusCode::OK).await), [id(&lead)]);
    created(app.post("/v1/leads", &writer, &json!({"first_name": "W"})).await).await;
    ok(app.patch(&path, &writer, &json!({"state": "ignored"})).await).await;
}

async fn another_firms_lead_is_404_and_never_listed(app: TestApp) {
    let other = app.other_firm().await;
    let lead = new_lead(&app, json!({"first_name": "Secret", "email": "secret@example.com"})).await;
    let theirs = lead_path(&lead);
    let missing = "/v1/leads/lead_01J00000000000000000000000".to_string();
    for path in [&theirs, &missing] {
        not_found(app.get(path, &other).await).await;
        not_found(app.patch(path, &other, &json!({"state": "ignored"})).await).await;
        not_found(app.post(&format!("{path}/convert"), &other, &json!({})).await).await;
    }
    assert_eq!(ok(app.get(&theirs, &app.admin_key).await).await, lead);
    let their_lead = created(app.post("/v1/leads", &other, &json!({"first_name": "Theirs"})).await).await;
    for query in [vec![], vec![("q", "secret")], vec![("state", "untriaged")], vec![("include_total", "true")]] {
        let page = expect_status(get_query(&app, "/v1/leads", &other, &query).await, StatusCode::OK).await;
        assert_eq!(ids(&page).into_iter().filter(|i| *i != id(&their_lead)).count(), 0, "{query:?}: {page}");
    }
    assert_eq!(page_ids(&app, "/v1/leads", &[]).await, [id(&lead)]);
}

async fn lead_changes_are_logged_as_events(app: TestApp) {
    let writer = app.key("leads:read,leads:write,clients:write,matters:write").await;
    let writer_id = key_id(&app, &writer).await;
    let start = last_seq(&app).await;
    let lead = created(app.post("/v1/leads", &writer, &json!({"first_name": "Dana", "last_name": "Doe", "email": "dana@example.com"})).await).await;
    ok(app.patch(&lead_path(&lead), &writer, &json!({"state": "ignored"})).await).await;
    let data = created(convert(&app, &writer, &lead, json!({"matter": {"title": "T"}})).await).await;
    let log = events_since(&app, start).await;
    let lead_events: Vec<Value> = log.iter().filter(|e| e["resource_type"] == "lead").cloned().collect();
    assert_eq!(kinds(&lead_events), ["lead.created", "lead.updated", "lead.converted"]);
    for event in &lead_events {
        assert_eq!(event["resource_id"], lead["id"]);
        assert_eq!(actor_key_id(event), writer_id.as_str());
    }
    assert_eq!(lead_events[2]["before"]["state"], "ignored");
    assert_eq!(lead_events[2]["after"]["state"], "converted");
    assert_eq!(lead_events[2]["after"]["client_id"], data["client"]["id"]);
    // The conversion's events are consecutive: nothing else interleaves a single transaction.
    let convert_at = log.iter().position(|e| e["type"] == "lead.converted").unwrap();
    assert!(log[convert_at..].iter().all(|e| ["lead", "client", "matter"].contains(&e["resource_type"].as_str().unwrap())), "{log:?}");
}

async fn an_intake_token_is_shown_once(app: TestApp) {
    let response = app.post("/v1/intake-tokens", &app.admin_key, &json!({"name": "Website form"})).await;
    let token = created(response).await;
    assert!(text(&token, "id").starts_with("itk_"), "{token}");
    let secret = text(&token, "token").to_string();
    assert!(secret.starts_with("intk_") && secret.len() > 16, "{secret}");
    assert_eq!(token["name"], "Website form");
    assert!(token["created_at"].is_string());
    let response = app.get("/v1/intake-tokens", &app.admin_key).await;
    let listed_text = response.text().await.unwrap();
    assert!(!listed_text.contains(&secret) && !listed_text.contains(&secret[5..]), "the list shows the token: {listed_text}");
    let listed: Value = serde_json::from_str(&listed_text).unwrap();
    let data = listed["data"].as_array().expect("data");
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], token["id"]);
    assert_eq!(data[0]["name"], "Website form");
    assert!(data[0].get("token").is_none(), "{listed}");
    // Nor is the secret in the audit log.
    let log = serde_json::to_string(&events(&app, &app.admin_key).await).unwrap();
    assert!(!log.contains(&secret), "the token is in the audit log");
    // The token is made by the server.
    assert_eq!(refused_fields(app.post("/v1/intake-tokens", &app.admin_key, &json!({"name": "x", "token": "intk_mine"})).await).await, ["token"]);
}

async fn only_admins_manage_intake_tokens(app: TestApp) {
    let token = new_token(&app, "Website").await;
    let leads = app.key("leads:read,leads:write,clients:read,clients:write").await;
    forbidden(app.post("/v1/intake-tokens", &leads, &json!({"name": "Mine"})).await).await;
    forbidden(app.get("/v1/intake-tokens", &leads).await).await;
    forbidden(revoke_token(&app, &leads, &token).await).await;
    // The token still works.
    expect_status(intake(&app, text(&token, "token"), &json!({"first_name": "Still"})).await, StatusCode::ACCEPTED).await;
}

async fn public_intake_accepts_json_without_an_api_key(app: TestApp) {
    let token = new_token(&app, "Website").await;
    let body = json!({"first_name": "Dana", "last_name": "Cole", "email": "dana@example.com", "phone": "(661) 555-0142",
        "message": "Please call me", "source": "contact page"});
    let response = intake(&app, text(&token, "token"), &body).await;
    assert_eq!(expect_status(response, StatusCode::ACCEPTED).await, json!({"data": {"received": true}}));
    let page = page(&app, "/v1/leads", &[]).await;
    let data = page["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{page}");
    let lead = &data[0];
    assert_eq!(lead["state"], "untriaged");
    assert_eq!(lead["first_name"], "Dana");
    assert_eq!(lead["last_name"], "Cole");
    assert_eq!(lead["email"], "dana@example.com");
    assert_eq!(lead["phone"], "+16615550142");
    assert_eq!(lead["message"], "Please call me");
    assert_eq!(lead["source"], "contact page");
    // A key is not needed, and one is not a substitute for the token either.
    not_found(app.post("/v1/intake/intk_notatoken", &app.admin_key, &body).await).await;
}

async fn public_intake_accepts_a_form(app: TestApp) {
    let token = new_token(&app, "Website").await;
    let response = app
        .http
        .post(app.url(&format!("/v1/intake/{}", text(&token, "token"))))
        .form(&[("first_name", "Eli"), ("email", "eli@example.com"), ("message", "Hello & welcome = yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(expect_status(response, StatusCode::ACCEPTED).await, json!({"data": {"received": true}}));
    let leads = page(&app, "/v1/leads", &[("state", "untriaged")]).await;
    let lead = &leads["data"][0];
    assert_eq!(lead["first_name"], "Eli");
    assert_eq!(lead["email"], "eli@example.com");
    assert_eq!(lead["message"], "Hello & welcome = yes");
    // Unknown form fields are refused too.
    let response = app
        .http
        .post(app.url(&format!("/v1/intake/{}", text(&token, "token"))))
        .form(&[("first_name", "Eli"), ("website", "http://spam.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused_fields(response).await, ["website"]);
}

async fn public_intake_refuses_unknown_fields(app: TestApp) {
    let token = new_token(&app, "Website").await;
    let secret = text(&token, "token").to_string();
    for (field, value) in [("custom_fields", json!({"a": 1})), ("state", json!("ignored")), ("client_id", json!("cli_01J00000000000000000000000")), ("nickname", json!("x"))] {
        let response = intake(&app, &secret, &json!({"first_name": "Dana", field: value})).await;
        assert_eq!(refused_fields(response).await, [field], "{field}");
    }
    assert!(page_ids(&app, "/v1/leads", &[]).await.is_empty(), "refused submissions store nothing");
}

async fn public_intake_refuses_empty_or_wrongly_typed_submissions(app: TestApp) {
    let token = new_token(&app, "Website").await;
    let secret = text(&token, "token").to_string();
    expect_problem(intake(&app, &secret, &json!({})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    expect_problem(intake(&app, &secret, &json!({"message": "only a message"})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(refused_fields(intake(&app, &secret, &json!({"first_name": 5})).await).await, ["first_name"]);
    assert!(page_ids(&app, "/v1/leads", &[]).await.is_empty());
}

async fn unknown_and_revoked_tokens_are_404(app: TestApp) {
    let body = json!({"first_name": "Dana"});
    not_found(intake(&app, "intk_0000000000000000000000000000", &body).await).await;
    not_found(intake(&app, "garbage", &body).await).await;
    let token = new_token(&app, "Website").await;
    let kept = new_token(&app, "Kiosk").await;
    let secret = text(&token, "token").to_string();
    expect_status(intake(&app, &secret, &body).await, StatusCode::ACCEPTED).await;
    let response = revoke_token(&app, &app.admin_key, &token).await;
    assert!(response.status() == StatusCode::OK || response.status() == StatusCode::NO_CONTENT, "revoke: {}", response.status());
    not_found(intake(&app, &secret, &body).await).await;
    assert_eq!(page_ids(&app, "/v1/leads", &[]).await.len(), 1, "only the submission before revocation");
    expect_status(intake(&app, text(&kept, "token"), &body).await, StatusCode::ACCEPTED).await;
    not_found(app.delete("/v1/intake-tokens/itk_01J00000000000000000000000", &app.admin_key).await).await;
}

async fn another_firms_intake_tokens_are_invisible(app: TestApp) {
    let other = app.other_firm().await;
    let token = new_token(&app, "Website").await;
    let listed = expect_status(app.get("/v1/intake-tokens", &other).await, StatusCode::OK).await;
    assert_eq!(listed["data"], json!([]));
    not_found(revoke_token(&app, &other, &token).await).await;
    // The token still works and its leads belong to this firm only.
    expect_status(intake(&app, text(&token, "token"), &json!({"first_name": "Mine"})).await, StatusCode::ACCEPTED).await;
    assert_eq!(page_ids(&app, "/v1/leads", &[]).await.len(), 1);
    let theirs = expect_status(app.get("/v1/leads", &other).await, StatusCode::OK).await;
    assert_eq!(theirs["data"], json!([]));
}

async fn a_burst_past_the_limit_is_429_with_retry_after(app: TestApp) {
    let token = new_token(&app, "Website").await;
    let other_token = new_token(&app, "Kiosk").await;
    let secret = text(&token, "token").to_string();
    let mut accepted = 0;
    let mut limited = None;
    for i in 0..15 {
        let response = intake(&app, &secret, &json!({"first_name": format!("Burst{i}")})).await;
        match response.status() {
            StatusCode::ACCEPTED => {
                assert!(limited.is_none(), "accepted again right after a 429");
                accepted += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => {
                let retry_after = header(&response, "retry-after");
                let problem = expect_problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
                let seconds: u64 = retry_after.parse().unwrap_or_else(|_| panic!("Retry-After {retry_after:?}: {problem}"));
                assert!((1..=60).contains(&seconds), "Retry-After {seconds}");
                limited.get_or_insert(i);
            }
            other => panic!("unexpected {other}: {}", response.text().await.unwrap()),
        }
    }
    assert!(limited.is_some(), "15 submissions at once were all accepted");
    assert!((10..=11).contains(&accepted), "burst 10 (plus at most one refill): {accepted} accepted");
    let total = page(&app, "/v1/leads", &[("include_total", "true")]).await["pagination"]["total"].as_u64().unwrap();
    assert_eq!(total, accepted, "limited submissions store nothing");
    // The limit is per token.
    expect_status(intake(&app, text(&other_token, "token"), &json!({"first_name": "Other"})).await, StatusCode::ACCEPTED).await;
}
