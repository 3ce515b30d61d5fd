//! Custom field definitions: CRUD by admins, reads by any key, their rules,
//! checking client and matter `custom_fields` against them, filtering clients
//! by `cf.<key>`, and tenancy (docs/domain.md, "Custom field definitions").

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{expect_problem, expect_status, TestApp};
use crate::records::{created, forbidden, get_query, kinds, new_matter, no_content, not_found, ok, page_id_set, page_ids, refused_fields, sorted, text};
use crate::support::{events_since, header, id, ids, last_seq, path_of};

crate::store_tests!(
    create_answers_201_with_defaults,
    get_list_patch_and_delete_a_definition,
    only_admins_write_definitions_and_any_key_reads_them,
    keys_are_unique_per_entity,
    definition_fields_are_validated,
    enum_needs_distinct_options_and_other_types_none,
    entity_key_and_type_cannot_change,
    client_custom_fields_must_match_their_types,
    enum_values_must_be_among_the_options,
    a_required_field_must_be_present,
    keys_without_a_definition_are_kept_as_given,
    clients_filter_by_a_text_custom_field,
    clients_filter_by_a_number_custom_field,
    clients_filter_by_a_boolean_custom_field,
    clients_filter_by_an_undefined_custom_field_as_a_string,
    matter_custom_fields_are_checked_against_matter_definitions,
    definition_changes_are_logged_as_events,
    another_firms_definitions_neither_apply_nor_show,
);

/// A filter value that cannot have the definition's type matches nothing:
/// either a 400 naming the parameter or an empty page (the spec leaves it open).
async fn refused_or_empty(app: &TestApp, param: &str, value: &str) {
    let response = get_query(app, "/v1/clients", &app.admin_key, &[(param, value)]).await;
    if response.status() == StatusCode::BAD_REQUEST {
        assert_eq!(refused_fields(response).await, [param]);
    } else {
        let page = expect_status(response, StatusCode::OK).await;
        assert_eq!(page["data"], json!([]), "{param}={value}");
    }
}

async fn define(app: &TestApp, body: Value) -> Value {
    created(app.post("/v1/custom-fields", &app.admin_key, &body).await).await
}

fn def_path(def: &Value) -> String {
    format!("/v1/custom-fields/{}", text(def, "id"))
}

async fn client_with(app: &TestApp, custom_fields: Value) -> reqwest::Response {
    let email = format!("c{}@example.com", ulid::Ulid::new());
    app.post("/v1/clients", &app.admin_key, &json!({"first_name": "Ann", "last_name": "Lee", "email": email, "custom_fields": custom_fields})).await
}

async fn create_answers_201_with_defaults(app: TestApp) {
    let response = app.post("/v1/custom-fields", &app.admin_key, &json!({"entity": "client", "key": "tier", "label": "Tier", "type": "number"})).await;
    let location = header(&response, "location");
    let def = created(response).await;
    assert!(text(&def, "id").starts_with("cfd_"), "{def}");
    assert_eq!(location, def_path(&def));
    assert_eq!(def["entity"], "client");
    assert_eq!(def["key"], "tier");
    assert_eq!(def["label"], "Tier");
    assert_eq!(def["type"], "number");
    assert_eq!(def["required"], false);
    assert!(def["options"].is_null(), "options only for enums: {def}");
    let enum_def = define(&app, json!({"entity": "matter", "key": "court", "label": "Court", "type": "enum", "options": ["district", "county"], "required": true})).await;
    assert_eq!(enum_def["options"], json!(["district", "county"]));
    assert_eq!(enum_def["required"], true);
    for (i, kind) in ["text", "boolean", "date", "json"].iter().enumerate() {
        let def = define(&app, json!({"entity": "client", "key": format!("k{i}"), "label": kind, "type": kind})).await;
        assert_eq!(def["type"], *kind);
    }
}

async fn get_list_patch_and_delete_a_definition(app: TestApp) {
    let tier = define(&app, json!({"entity": "client", "key": "tier", "label": "Tier", "type": "number"})).await;
    let court = define(&app, json!({"entity": "matter", "key": "court", "label": "Court", "type": "text"})).await;
    assert_eq!(ok(app.get(&def_path(&tier), &app.admin_key).await).await, tier);
    assert_eq!(page_id_set(&app, "/v1/custom-fields", &[]).await, sorted(vec![id(&tier), id(&court)]));
    let patched = ok(app.patch(&def_path(&tier), &app.admin_key, &json!({"label": "Service tier", "required": true})).await).await;
    assert_eq!(patched["label"], "Service tier");
    assert_eq!(patched["required"], true);
    assert_eq!(patched["key"], "tier");
    assert_eq!(patched["version"], 2);
    no_content(app.delete(&def_path(&tier), &app.admin_key).await).await;
    not_found(app.get(&def_path(&tier), &app.admin_key).await).await;
    assert_eq!(page_ids(&app, "/v1/custom-fields", &[]).await, [id(&court)]);
    // Once deleted, the key is free again and no longer checked.
    created(client_with(&app, json!({"tier": "not a number"})).await).await;
    define(&app, json!({"entity": "client", "key": "tier", "label": "Tier again", "type": "text"})).await;
}

async fn only_admins_write_definitions_and_any_key_reads_them(app: TestApp) {
    let def = define(&app, json!({"entity": "client", "key": "tier", "label": "Tier", "type": "number"})).await;
    let path = def_path(&def);
    let writer = app.key("clients:read,clients:write,matters:write,users:read").await;
    let narrow = app.key("leads:read").await;
    let body = json!({"entity": "client", "key": "other", "label": "Other", "type": "text"});
    forbidden(app.post("/v1/custom-fields", &writer, &body).await).await;
    forbidden(app.patch(&path, &writer, &json!({"label": "X"})).await).await;
    forbidden(app.delete(&path, &writer).await).await;
    for key in [&writer, &narrow] {
        assert_eq!(ids(&expect_status(app.get("/v1/custom-fields", key).await, StatusCode::OK).await), [id(&def)]);
        assert_eq!(ok(app.get(&path, key).await).await, def);
    }
}

async fn keys_are_unique_per_entity(app: TestApp) {
    define(&app, json!({"entity": "client", "key": "tier", "label": "Tier", "type": "number"})).await;
    let again = json!({"entity": "client", "key": "tier", "label": "Tier 2", "type": "text"});
    expect_problem(app.post("/v1/custom-fields", &app.admin_key, &again).await, StatusCode::CONFLICT, "duplicate_key").await;
    // The same key on the other entity is fine.
    define(&app, json!({"entity": "matter", "key": "tier", "label": "Tier", "type": "text"})).await;
    expect_problem(
        app.post("/v1/custom-fields", &app.admin_key, &json!({"entity": "matter", "key": "tier", "label": "T", "type": "number"})).await,
        StatusCode::CONFLICT,
        "duplicate_key",
    )
    .await;
    assert_eq!(page_ids(&app, "/v1/custom-fields", &[]).await.len(), 2);
}

async fn definition_fields_are_validated(app: TestApp) {
    let with = |k: &str, v: Value| {
        let mut body = json!({"entity": "client", "key": "tier", "label": "Tier", "type": "text"});
        if v.is_null() {
            body.as_object_mut().unwrap().remove(k);
        } else {
            body[k] = v;
        }
        body
    };
    let cases = [
        ("entity", json!("lead")),
        ("entity", Value::Null),
        ("key", json!("Tier")),
        ("key", json!("1tier")),
        ("key", json!("_tier")),
        ("key", json!("tier-level")),
        ("key", json!(format!("k{}", "a".repeat(64)))),
        ("key", Value::Null),
        ("label", Value::Null),
        ("label", json!("")),
        ("label", json!("l".repeat(101))),
        ("type", json!("integer")),
        ("type", Value::Null),
        ("required", json!("yes")),
        ("nickname", json!("x")),
        ("id", json!("cfd_01J00000000000000000000000")),
    ];
    for (field, value) in cases {
        let body = with(field, value.clone());
        assert_eq!(refused_fields(app.post("/v1/custom-fields", &app.admin_key, &body).await).await, [field], "{field} = {value}");
    }
    // The longest key is fine.
    define(&app, json!({"entity": "client", "key": format!("k{}", "a".repeat(63)), "label": "Long", "type": "text"})).await;
    define(&app, json!({"entity": "client", "key": "a1_b2", "label": "Digits", "type": "text"})).await;
}

async fn enum_needs_distinct_options_and_other_types_none(app: TestApp) {
    let base = json!({"entity": "client", "key": "level", "label": "Level", "type": "enum"});
    let with = |options: Value| {
        let mut body = base.clone();
        body["options"] = options;
        body
    };
    for bad in [None, Some(json!([])), Some(json!(["gold", "gold"])), Some(json!("gold")), Some(json!(["gold", 3]))] {
        let body = match &bad {
            None => base.clone(),
            Some(options) => with(options.clone()),
        };
        let fields = refused_fields(app.post("/v1/custom-fields", &app.admin_key, &body).await).await;
        assert!(!fields.is_empty() && fields.iter().all(|f| f.starts_with("options")), "{bad:?}: {fields:?}");
    }
    let text_with_options = json!({"entity": "client", "key": "lang", "label": "Language", "type": "text", "options": ["en"]});
    assert_eq!(refused_fields(app.post("/v1/custom-fields", &app.admin_key, &text_with_options).await).await, ["options"]);
    let def = define(&app, with(json!(["gold", "silver"]))).await;
    // Options can be changed, but not emptied.
    let changed = ok(app.patch(&def_path(&def), &app.admin_key, &json!({"options": ["gold", "silver", "bronze"]})).await).await;
    assert_eq!(changed["options"], json!(["gold", "silver", "bronze"]));
    let fields = refused_fields(app.patch(&def_path(&def), &app.admin_key, &json!({"options": []})).await).await;
    assert!(fields.iter().all(|f| f.starts_with("options")), "{fields:?}");
    assert_eq!(page_ids(&app, "/v1/custom-fields", &[]).await, [id(&def)]);
}

async fn entity_key_and_type_cannot_change(app: TestApp) {
    let def = define(&app, json!({"entity": "client", "key": "tier", "label": "Tier", "type": "number"})).await;
    let path = def_path(&def);
    for (field, value) in [("entity", json!("matter")), ("key", json!("level")), ("type", json!("text"))] {
        assert_eq!(refused_fields(app.patch(&path, &app.admin_key, &json!({field: value})).await).await, [field], "{field}");
    }
    let response = app.patch(&path, &app.admin_key, &json!({"key": "level", "type": "text", "label": "Level"})).await;
    assert_eq!(refused_fields(response).await, ["key", "type"]);
    assert_eq!(ok(app.get(&path, &app.admin_key).await).await, def, "refused PATCHes changed nothing");
    // Sending the current values is harmless.
    let same = ok(app.patch(&path, &app.admin_key, &json!({"label": "Tier!"})).await).await;
    assert_eq!(same["key"], "tier");
}

async fn define_client_fields(app: &TestApp) {
    define(app, json!({"entity": "client", "key": "tier", "label": "Tier", "type": "number"})).await;
    define(app, json!({"entity": "client", "key": "vip", "label": "VIP", "type": "boolean"})).await;
    define(app, json!({"entity": "client", "key": "since", "label": "Client since", "type": "date"})).await;
    define(app, json!({"entity": "client", "key": "lang", "label": "Language", "type": "text"})).await;
    define(app, json!({"entity": "client", "key": "level", "label": "Level", "type": "enum", "options": ["gold", "silver"]})).await;
    define(app, json!({"entity": "client", "key": "meta", "label": "Meta", "type": "json"})).await;
}

async fn client_custom_fields_must_match_their_types(app: TestApp) {
    define_client_fields(&app).await;
    let cases = [
        (json!({"tier": "high"}), "tier"),
        (json!({"tier": true}), "tier"),
        (json!({"vip": "yes"}), "vip"),
        (json!({"vip": 1}), "vip"),
        (json!({"since": "last year"}), "since"),
        (json!({"since": "2024-13-01"}), "since"),
        (json!({"lang": 5}), "lang"),
        (json!({"level": 1}), "level"),
    ];
    for (custom_fields, key) in cases {
        let fields = refused_fields(client_with(&app, custom_fields.clone()).await).await;
        assert_eq!(fields, [format!("custom_fields.{key}")], "{custom_fields}");
    }
    // Several at once: each is named.
    let fields = refused_fields(client_with(&app, json!({"tier": "x", "vip": "y", "lang": "en"})).await).await;
    assert_eq!(fields, ["custom_fields.tier", "custom_fields.vip"]);
    let good = json!({"tier": 2, "vip": true, "since": "2021-04-01", "lang": "en", "level": "gold", "meta": {"a": [1, 2]}});
    let client = created(client_with(&app, good.clone()).await).await;
    assert_eq!(client["custom_fields"], good);
    // PATCH is checked too, and null removes a key.
    let path = path_of(&client);
    assert_eq!(refused_fields(app.patch(&path, &app.admin_key, &json!({"custom_fields": {"tier": "3"}})).await).await, ["custom_fields.tier"]);
    let patched = ok(app.patch(&path, &app.admin_key, &json!({"custom_fields": {"tier": 3.5, "vip": null}})).await).await;
    assert_eq!(patched["custom_fields"]["tier"], 3.5);
    assert!(patched["custom_fields"].get("vip").is_none(), "{patched}");
    // PUT too.
    let put = app.put(&path, &app.admin_key, &json!({"first_name": "Ann", "last_name": "Lee", "custom_fields": {"since": 2020}})).await;
    assert_eq!(refused_fields(put).await, ["custom_fields.since"]);
}

async fn enum_values_must_be_among_the_options(app: TestApp) {
    define(&app, json!({"entity": "client", "key": "level", "label": "Level", "type": "enum", "options": ["gold", "silver"]})).await;
    for bad in [json!("bronze"), json!("Gold"), json!(""), json!(["gold"])] {
        assert_eq!(refused_fields(client_with(&app, json!({"level": bad})).await).await, ["custom_fields.level"], "{bad}");
    }
    let client = created(client_with(&app, json!({"level": "silver"})).await).await;
    assert_eq!(client["custom_fields"]["level"], "silver");
    let response = app.patch(&path_of(&client), &app.admin_key, &json!({"custom_fields": {"level": "platinum"}})).await;
    assert_eq!(refused_fields(response).await, ["custom_fields.level"]);
}

async fn a_required_field_must_be_present(app: TestApp) {
    define(&app, json!({"entity": "client", "key": "intake", "label": "Intake channel", "type": "text", "required": true})).await;
    assert_eq!(refused_fields(client_with(&app, json!({})).await).await, ["custom_fields.intake"]);
    assert_eq!(refused_fields(client_with(&app, json!({"other": 1})).await).await, ["custom_fields.intake"]);
    assert_eq!(refused_fields(client_with(&app, json!({"intake": null})).await).await, ["custom_fields.intake"]);
    let without = app.post("/v1/clients", &app.admin_key, &json!({"first_name": "No", "last_name": "Fields"})).await;
    assert_eq!(refused_fields(without).await, ["custom_fields.intake"]);
    let client = created(client_with(&app, json!({"intake": "phone"})).await).await;
    // The resulting record must still have it.
    let path = path_of(&client);
    let response = app.patch(&path, &app.admin_key, &json!({"custom_fields": {"intake": null}})).await;
    assert_eq!(refused_fields(response).await, ["custom_fields.intake"]);
    let response = app.put(&path, &app.admin_key, &json!({"first_name": "Ann", "last_name": "Lee"})).await;
    assert_eq!(refused_fields(response).await, ["custom_fields.intake"]);
    // A PATCH that leaves it alone is fine.
    ok(app.patch(&path, &app.admin_key, &json!({"last_name": "Smith"})).await).await;
    // Required client fields do not apply to matters.
    new_matter(&app, &id(&client), "T", json!({})).await;
}

async fn keys_without_a_definition_are_kept_as_given(app: TestApp) {
    define(&app, json!({"entity": "client", "key": "tier", "label": "Tier", "type": "number"})).await;
    let extra = json!({"favourite_colour": "blue", "legacy_id": 42, "flags": {"x": true}, "tier": 1});
    let client = created(client_with(&app, extra.clone()).await).await;
    assert_eq!(client["custom_fields"], extra);
    let fetched = ok(app.get(&path_of(&client), &app.admin_key).await).await;
    assert_eq!(fetched["custom_fields"], extra);
    // A key defined only for matters is undefined for clients.
    define(&app, json!({"entity": "matter", "key": "hours", "label": "Hours", "type": "number"})).await;
    let client = created(client_with(&app, json!({"hours": "many"})).await).await;
    assert_eq!(client["custom_fields"]["hours"], "many");
}

async fn clients_filter_by_a_text_custom_field(app: TestApp) {
    define(&app, json!({"entity": "client", "key": "lang", "label": "Language", "type": "text"})).await;
    let en = id(&created(client_with(&app, json!({"lang": "en"})).await).await);
    let en2 = id(&created(client_with(&app, json!({"lang": "en", "other": "x"})).await).await);
    created(client_with(&app, json!({"lang": "fr"})).await).await;
    created(client_with(&app, json!({})).await).await;
    assert_eq!(page_id_set(&app, "/v1/clients", &[("cf.lang", "en")]).await, sorted(vec![en.clone(), en2.clone()]));
    assert_eq!(page_ids(&app, "/v1/clients", &[("cf.lang", "de")]).await, Vec::<String>::new());
    let total = expect_status(get_query(&app, "/v1/clients", &app.admin_key, &[("cf.lang", "en"), ("include_total", "true")]).await, StatusCode::OK).await;
    assert_eq!(total["pagination"]["total"], 2);
}

async fn clients_filter_by_a_number_custom_field(app: TestApp) {
    define(&app, json!({"entity": "client", "key": "tier", "label": "Tier", "type": "number"})).await;
    let two = id(&created(client_with(&app, json!({"tier": 2})).await).await);
    created(client_with(&app, json!({"tier": 3})).await).await;
    created(client_with(&app, json!({"tier": 20})).await).await;
    assert_eq!(page_ids(&app, "/v1/clients", &[("cf.tier", "2")]).await, vec![two.clone()]);
    assert!(page_ids(&app, "/v1/clients", &[("cf.tier", "4")]).await.is_empty());
    // Typed by the definition: "2.0" is the number 2, and a word matches no number.
    assert_eq!(page_ids(&app, "/v1/clients", &[("cf.tier", "2.0")]).await, [two]);
    refused_or_empty(&app, "cf.tier", "two").await;
}

async fn clients_filter_by_a_boolean_custom_field(app: TestApp) {
    define(&app, json!({"entity": "client", "key": "vip", "label": "VIP", "type": "boolean"})).await;
    let yes = id(&created(client_with(&app, json!({"vip": true})).await).await);
    let no = id(&created(client_with(&app, json!({"vip": false})).await).await);
    created(client_with(&app, json!({})).await).await;
    assert_eq!(page_ids(&app, "/v1/clients", &[("cf.vip", "true")]).await, [yes]);
    assert_eq!(page_ids(&app, "/v1/clients", &[("cf.vip", "false")]).await, [no]);
    refused_or_empty(&app, "cf.vip", "maybe").await;
}

async fn clients_filter_by_an_undefined_custom_field_as_a_string(app: TestApp) {
    let blue = id(&created(client_with(&app, json!({"colour": "blue"})).await).await);
    created(client_with(&app, json!({"colour": "red"})).await).await;
    let numeric_string = id(&created(client_with(&app, json!({"code": "7"})).await).await);
    created(client_with(&app, json!({"code": 7})).await).await;
    assert_eq!(page_ids(&app, "/v1/clients", &[("cf.colour", "blue")]).await, [blue]);
    assert_eq!(page_ids(&app, "/v1/clients", &[("cf.code", "7")]).await, [numeric_string], "undefined keys compare as strings");
    assert!(page_ids(&app, "/v1/clients", &[("cf.missing", "x")]).await.is_empty());
}

async fn matter_custom_fields_are_checked_against_matter_definitions(app: TestApp) {
    define(&app, json!({"entity": "matter", "key": "hours", "label": "Hours", "type": "number"})).await;
    define(&app, json!({"entity": "matter", "key": "court", "label": "Court", "type": "enum", "options": ["district", "county"], "required": true})).await;
    define(&app, json!({"entity": "client", "key": "tier", "label": "Tier", "type": "number"})).await;
    let cid = id(&app.person("Ann", "Lee").await);
    let post = |custom_fields: Value| json!({"client_id": cid, "title": "T", "custom_fields": custom_fields});
    let cases = [
        (json!({"court": "district", "hours": "many"}), vec!["custom_fields.hours"]),
        (json!({"court": "supreme"}), vec!["custom_fields.court"]),
        (json!({"hours": 3}), vec!["custom_fields.court"]),
    ];
    for (custom_fields, fields) in cases {
        let response = app.post("/v1/matters", &app.admin_key, &post(custom_fields.clone())).await;
        assert_eq!(refused_fields(response).await, fields, "{custom_fields}");
    }
    let no_custom_fields = app.post("/v1/matters", &app.admin_key, &json!({"client_id": cid, "title": "T"})).await;
    assert_eq!(refused_fields(no_custom_fields).await, ["custom_fields.court"]);
    // Client definitions do not apply to matters.
    let matter = created(app.post("/v1/matters", &app.admin_key, &post(json!({"court": "county", "hours": 1.5, "tier": "not a number"}))).await).await;
    assert_eq!(matter["custom_fields"], json!({"court": "county", "hours": 1.5, "tier": "not a number"}));
    let path = format!("/v1/matters/{}", id(&matter));
    assert_eq!(refused_fields(app.patch(&path, &app.admin_key, &json!({"custom_fields": {"hours": "x"}})).await).await, ["custom_fields.hours"]);
    assert_eq!(refused_fields(app.patch(&path, &app.admin_key, &json!({"custom_fields": {"court": null}})).await).await, ["custom_fields.court"]);
}

async fn definition_changes_are_logged_as_events(app: TestApp) {
    let start = last_seq(&app).await;
    let def = define(&app, json!({"entity": "client", "key": "tier", "label": "Tier", "type": "number"})).await;
    ok(app.patch(&def_path(&def), &app.admin_key, &json!({"label": "Level"})).await).await;
    no_content(app.delete(&def_path(&def), &app.admin_key).await).await;
    let log = events_since(&app, start).await;
    assert_eq!(kinds(&log).len(), 3, "{log:?}");
    for (event, verb) in log.iter().zip(["created", "updated", "deleted"]) {
        assert!(event["type"].as_str().unwrap().ends_with(&format!(".{verb}")), "{event}");
        assert_eq!(event["resource_id"], def["id"]);
    }
}

async fn another_firms_definitions_neither_apply_nor_show(app: TestApp) {
    let other = app.other_firm().await;
    let theirs = created(app.post("/v1/custom-fields", &other, &json!({"entity": "client", "key": "tier", "label": "Tier", "type": "number", "required": true})).await).await;
    created(app.post("/v1/custom-fields", &other, &json!({"entity": "matter", "key": "court", "label": "Court", "type": "enum", "options": ["a"], "required": true})).await).await;
    // Their rules do not apply here.
    let client = created(client_with(&app, json!({"tier": "not a number"})).await).await;
    new_matter(&app, &id(&client), "T", json!({"custom_fields": {"court": "zzz"}})).await;
    created(app.post("/v1/clients", &app.admin_key, &json!({"first_name": "No", "last_name": "Tier"})).await).await;
    // Their definitions are invisible here and ours there.
    let mine = define(&app, json!({"entity": "client", "key": "tier", "label": "Our tier", "type": "text"})).await;
    assert_eq!(page_ids(&app, "/v1/custom-fields", &[]).await, [id(&mine)]);
    not_found(app.get(&def_path(&theirs), &app.admin_key).await).await;
    not_found(app.patch(&def_path(&theirs), &app.admin_key, &json!({"label": "Owned"})).await).await;
    not_found(app.delete(&def_path(&theirs), &app.admin_key).await).await;
    let listed = expect_status(app.get("/v1/custom-fields", &other).await, StatusCode::OK).await;
    assert!(!ids(&listed).contains(&id(&mine)), "{listed}");
    assert_eq!(ids(&listed).len(), 2);
    // And ours do not apply there: a text tier here, their number tier there.
    let their_client = app.post("/v1/clients", &other, &json!({"first_name": "T", "last_name": "U", "custom_fields": {"tier": "gold"}})).await;
    assert_eq!(refused_fields(their_client).await, ["custom_fields.tier"]);
    created(app.post("/v1/clients", &other, &json!({"first_name": "T", "last_name": "U", "custom_fields": {"tier": 1}})).await).await;
}
