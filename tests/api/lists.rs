//! Listing clients: page size, sorts, filters, search, totals, keyset cursors
//! and the `Link` header.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{error_fields, expect_problem, expect_status, TestApp};
use crate::support::{header, id, ids, instant, list, list_ids, list_raw, path_of, walk};

crate::store_tests!(
    the_default_page_is_25_newest_first,
    limit_sets_the_page_size,
    each_sort_orders_the_list,
    status_filter_matches_any_listed_status,
    tags_filter_matches_clients_with_all_tags,
    kind_and_company_id_filters,
    created_since_and_before_accept_instants_and_dates,
    updated_since_and_before_accept_instants_and_dates,
    ids_filter_takes_at_most_100_ids,
    q_searches_name_email_and_phone_case_insensitively,
    q_answers_alike_for_terms_with_few_or_thousands_of_index_hits,
    q_never_finds_clients_holding_only_pieces_of_the_term,
    include_total_counts_every_match_and_is_absent_otherwise,
    include_total_true_is_exact_up_to_the_servers_limit_and_says_more_than_past_it,
    next_cursor_walks_every_sort_without_duplicates_or_gaps,
    a_cursor_is_refused_with_another_sort,
    the_link_header_points_at_the_next_page,
    deleted_clients_never_appear_in_lists_or_totals,
);

async fn pause() {
    tokio::time::sleep(Duration::from_millis(3)).await;
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Asserts a 400 whose only bad parameter is `field`.
async fn refused(app: &TestApp, params: &[(&str, &str)], field: &str) {
    let problem = expect_problem(list_raw(app, &app.admin_key, params).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(error_fields(&problem), [field], "{params:?}");
}

async fn the_default_page_is_25_newest_first(app: TestApp) {
    let mut created = Vec::new();
    for i in 0..30 {
        created.push(id(&app.person("Page", &format!("N{i:02}")).await));
    }
    let page = list(&app, &[]).await;
    let newest_first: Vec<String> = created.iter().rev().take(25).cloned().collect();
    assert_eq!(ids(&page), newest_first);
    assert_eq!(page["pagination"]["limit"], 25);
    assert_eq!(page["pagination"]["has_more"], true);
    assert!(page["pagination"]["next_cursor"].is_string());
}

async fn limit_sets_the_page_size(app: TestApp) {
    for i in 0..5 {
        app.person("Lim", &format!("N{i}")).await;
    }
    let page = list(&app, &[("limit", "2")]).await;
    assert_eq!(ids(&page).len(), 2);
    assert_eq!(page["pagination"]["has_more"], true);
    let page = list(&app, &[("limit", "5")]).await;
    assert_eq!(ids(&page).len(), 5);
    assert_eq!(page["pagination"]["has_more"], false, "exactly one full page has no next");
    assert!(page["pagination"]["next_cursor"].is_null());
}

/// The key a sort orders by, as the API user sees it.
fn sort_key(client: &Value, field: &str) -> String {
    let folded = |v: &Value| v.as_str().unwrap_or_default().to_lowercase();
    match field {
        "created_at" | "updated_at" => client[field].as_str().unwrap().to_string(),
        "last_name" if client["kind"] == "company" => folded(&client["name"]),
        "last_name" => folded(&client["last_name"]),
        "name" => folded(&client["name"]),
        other => panic!("no sort {other}"),
    }
}

async fn each_sort_orders_the_list(app: TestApp) {
    let people = [("Zed", "adams"), ("amy", "Young"), ("Bob", "Baker"), ("carl", "baker"), ("Dee", "Xu"), ("Eve", "Mills")];
    let mut created = Vec::new();
    for (first, last) in people {
        created.push(app.create_client(json!({"first_name": first, "last_name": last})).await);
        pause().await;
    }
    for name in ["Nimbus Corp", "acme ltd"] {
        created.push(app.create_client(json!({"kind": "company", "name": name})).await);
        pause().await;
    }
    // Touch them in another order, so updated_at differs from created_at.
    for client in created.iter().rev().step_by(2) {
        expect_status(app.patch(&path_of(client), &app.admin_key, &json!({"notes": "touched"})).await, StatusCode::OK).await;
        pause().await;
    }
    for sort in ["created_at", "-created_at", "updated_at", "-updated_at", "last_name", "-last_name", "name", "-name"] {
        let field = sort.trim_start_matches('-');
        let page = list(&app, &[("sort", sort), ("limit", "100")]).await;
        let keys: Vec<String> = page["data"].as_array().unwrap().iter().map(|c| sort_key(c, field)).collect();
        let mut expected = keys.clone();
        expected.sort();
        if sort.starts_with('-') {
            expected.reverse();
        }
        assert_eq!(keys, expected, "sort={sort}");
        assert_eq!(keys.len(), created.len());
    }
    let oldest_first = ids(&list(&app, &[("sort", "created_at")]).await);
    assert_eq!(oldest_first, created.iter().map(id).collect::<Vec<_>>());
    refused(&app, &[("sort", "email")], "sort").await;
    refused(&app, &[("sort", "--name")], "sort").await;
}

async fn status_filter_matches_any_listed_status(app: TestApp) {
    let mut by_status = std::collections::HashMap::new();
    for status in ["active", "inactive", "closed"] {
        let c = app.create_client(json!({"first_name": "S", "last_name": status, "status": status})).await;
        by_status.insert(status, id(&c));
    }
    assert_eq!(list_ids(&app, &[("status", "inactive")]).await, [by_status["inactive"].clone()]);
    let both = sorted(list_ids(&app, &[("status", "inactive,closed")]).await);
    assert_eq!(both, sorted(vec![by_status["inactive"].clone(), by_status["closed"].clone()]));
    assert_eq!(list_ids(&app, &[("status", "vip")]).await, Vec::<String>::new());
}

async fn tags_filter_matches_clients_with_all_tags(app: TestApp) {
    let mk = |tags: Value| json!({"first_name": "T", "last_name": "Tagged", "tags": tags});
    let xy = id(&app.create_client(mk(json!(["x", "y"]))).await);
    let x = id(&app.create_client(mk(json!(["x"]))).await);
    let yxz = id(&app.create_client(mk(json!(["y", "x", "z"]))).await);
    app.create_client(mk(json!([]))).await;
    app.create_client(mk(json!(["xy", "yx"]))).await;
    assert_eq!(sorted(list_ids(&app, &[("tags", "x,y")]).await), sorted(vec![xy.clone(), yxz.clone()]));
    assert_eq!(sorted(list_ids(&app, &[("tags", "x")]).await), sorted(vec![xy.clone(), x, yxz.clone()]));
    assert_eq!(list_ids(&app, &[("tags", "x,y,z")]).await, [yxz]);
    assert_eq!(list_ids(&app, &[("tags", "x,nope")]).await, Vec::<String>::new());
}

async fn kind_and_company_id_filters(app: TestApp) {
    let acme = app.create_client(json!({"kind": "company", "name": "Acme"})).await;
    let ann = app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "company_id": acme["id"]})).await;
    let bo = app.person("Bo", "Ek").await;
    assert_eq!(list_ids(&app, &[("kind", "company")]).await, [id(&acme)]);
    assert_eq!(sorted(list_ids(&app, &[("kind", "person")]).await), sorted(vec![id(&ann), id(&bo)]));
    assert_eq!(list_ids(&app, &[("company_id", acme["id"].as_str().unwrap())]).await, [id(&ann)]);
    refused(&app, &[("kind", "robot")], "kind").await;
    refused(&app, &[("company_id", "acme")], "company_id").await;
}

/// Three clients created a few milliseconds apart.
async fn three_in_a_row(app: &TestApp) -> [Value; 3] {
    let a = app.person("Time", "A").await;
    pause().await;
    let b = app.person("Time", "B").await;
    pause().await;
    let c = app.person("Time", "C").await;
    [a, b, c]
}

fn today_and_tomorrow() -> (String, String) {
    let today = time::OffsetDateTime::now_utc().date();
    (today.to_string(), today.next_day().unwrap().to_string())
}

async fn created_since_and_before_accept_instants_and_dates(app: TestApp) {
    let [a, b, c] = three_in_a_row(&app).await;
    let all = sorted(vec![id(&a), id(&b), id(&c)]);
    let at_b = b["created_at"].as_str().unwrap();
    assert_eq!(sorted(list_ids(&app, &[("created_since", at_b)]).await), sorted(vec![id(&b), id(&c)]), "since is inclusive");
    assert_eq!(list_ids(&app, &[("created_before", at_b)]).await, [id(&a)], "before is exclusive");
    // The same instant written with another offset.
    let offset = instant(at_b).to_offset(time::UtcOffset::from_hms(2, 0, 0).unwrap());
    let plus_two = offset.format(&time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(list_ids(&app, &[("created_before", &plus_two)]).await, [id(&a)], "{plus_two}");
    let (today, tomorrow) = today_and_tomorrow();
    assert_eq!(sorted(list_ids(&app, &[("created_since", &today)]).await), all);
    assert_eq!(sorted(list_ids(&app, &[("created_before", &tomorrow)]).await), all);
    assert_eq!(list_ids(&app, &[("created_since", &tomorrow)]).await, Vec::<String>::new());
    assert_eq!(list_ids(&app, &[("created_before", &today)]).await, Vec::<String>::new());
    assert_eq!(list_ids(&app, &[("created_since", at_b), ("created_before", c["created_at"].as_str().unwrap())]).await, [id(&b)]);
    refused(&app, &[("created_since", "yesterday")], "created_since").await;
    refused(&app, &[("created_before", "2024-02-30")], "created_before").await;
}

async fn updated_since_and_before_accept_instants_and_dates(app: TestApp) {
    let [a, b, c] = three_in_a_row(&app).await;
    pause().await;
    let touched = expect_status(app.patch(&path_of(&a), &app.admin_key, &json!({"notes": "later"})).await, StatusCode::OK).await["data"].clone();
    let at = touched["updated_at"].as_str().unwrap();
    assert_eq!(list_ids(&app, &[("updated_since", at)]).await, [id(&a)]);
    assert_eq!(sorted(list_ids(&app, &[("updated_before", at)]).await), sorted(vec![id(&b), id(&c)]));
    let (today, tomorrow) = today_and_tomorrow();
    assert_eq!(list_ids(&app, &[("updated_since", &today)]).await.len(), 3);
    assert_eq!(list_ids(&app, &[("updated_since", &tomorrow)]).await, Vec::<String>::new());
    assert_eq!(list_ids(&app, &[("updated_before", &today)]).await, Vec::<String>::new());
    refused(&app, &[("updated_since", "1 hour ago")], "updated_since").await;
}

async fn ids_filter_takes_at_most_100_ids(app: TestApp) {
    let a = app.person("Id", "A").await;
    app.person("Id", "B").await;
    let c = app.person("Id", "C").await;
    let pair = format!("{},{}", id(&a), id(&c));
    assert_eq!(sorted(list_ids(&app, &[("ids", &pair)]).await), sorted(vec![id(&a), id(&c)]));
    // 100 ids (98 of them unknown) are fine; 101 are not.
    let mut hundred: Vec<String> = (0..98).map(|_| clientele::domain::ids::ClientId::generate().to_string()).collect();
    hundred.extend([id(&a), id(&c)]);
    assert_eq!(sorted(list_ids(&app, &[("ids", &hundred.join(","))]).await), sorted(vec![id(&a), id(&c)]));
    hundred.push(clientele::domain::ids::ClientId::generate().to_string());
    refused(&app, &[("ids", &hundred.join(","))], "ids").await;
    refused(&app, &[("ids", "not-an-id")], "ids").await;
}

async fn q_searches_name_email_and_phone_case_insensitively(app: TestApp) {
    let mary = id(&app.create_client(json!({"first_name": "Mary", "last_name": "Johnson", "email": "mj@alpha.example.com"})).await);
    let bob = id(&app.create_client(json!({"first_name": "Bob", "last_name": "Smith", "email": "bob@example.org"})).await);
    let ann = id(&app.create_client(json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "phone": "(661) 555-0142"})).await);
    let acme = id(&app.create_client(json!({"kind": "company", "name": "Acme Widgets"})).await);
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("JOHN", vec![mary.clone()]),
        ("johnson", vec![mary.clone()]),
        ("example.org", vec![bob.clone()]),
        ("BOB@EXAMPLE", vec![bob.clone()]),
        ("ee", vec![ann.clone()]),
        ("ann lee", vec![ann.clone()]),
        ("widget", vec![acme.clone()]),
        ("555-0142", vec![ann.clone()]),
        ("(661) 555", vec![ann.clone()]),
        ("+1 661 555 0142", vec![ann.clone()]),
        ("nobody", vec![]),
    ];
    for (q, expected) in cases {
        assert_eq!(list_ids(&app, &[("q", q)]).await, expected, "q={q}");
    }
    assert_eq!(sorted(list_ids(&app, &[("q", "example")]).await), sorted(vec![mary, bob, ann]));
    refused(&app, &[("q", &"a".repeat(201))], "q").await;
}

/// Creates clients `0..count` through the service (as many API requests
/// would), 32 at a time; `doc(i)` is client `i`'s body.
async fn create_many(app: &TestApp, key: &str, count: usize, doc: fn(usize) -> Value) {
    let actor = app.service.authenticate(key, None).await.expect("authenticate");
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (service, actor, next) = (app.service.clone(), actor.clone(), next.clone());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let Value::Object(body) = doc(i) else { unreachable!("bodies are objects") };
                service.create_client(&actor, &body).await.expect("create client");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("create task");
    }
}

/// The stores answer a term with few index hits from the hits and a term with
/// thousands by walking the list order (bench/README.md); both must give
/// every match, in order, and nothing of another firm. Clients with the
/// common term are the active ones, and with the rare term the tagged ones,
/// so filters the search doesn't touch say what it should find.
async fn q_answers_alike_for_terms_with_few_or_thousands_of_index_hits(app: TestApp) {
    const COUNT: usize = 2_400;
    create_many(&app, &app.admin_key, COUNT, |i| {
        let (status, domain) = if i % 10 == 0 { ("closed", "plain") } else { ("active", "commonterm") };
        let (last, tags) = if i % 300 == 1 { ("Quillfeather", json!(["rare"])) } else { ("Walker", json!([])) };
        json!({"first_name": format!("C{i}"), "last_name": last, "email": format!("c{i}@{domain}.example"), "status": status, "tags": tags})
    })
    .await;
    let other = app.other_firm().await;
    let theirs = app.post("/v1/clients", &other, &json!({"first_name": "Quill", "last_name": "Quillfeather", "email": "q@commonterm.example"})).await;
    expect_status(theirs, StatusCode::CREATED).await;

    let active = walk(&app, &[("limit", "100"), ("status", "active")]).await;
    assert_eq!(active.len(), COUNT - COUNT / 10);
    assert_eq!(walk(&app, &[("limit", "100"), ("q", "commonterm")]).await, active, "a common term, newest first");
    let page = list(&app, &[("q", "COMMONTERM"), ("include_total", "true")]).await;
    assert_eq!(ids(&page), active[..25].to_vec());
    assert_eq!(page["pagination"]["total"], active.len());
    // A count that stops early reads the index's hits in its own order.
    let capped = app.second_node(clientele::service::Limits { count_exact_up_to: 1_000, ..Default::default() }).await;
    let at_least = pagination_at(&app, &capped, &app.admin_key, "/v1/clients", &[("q", "commonterm"), ("include_total", "true")]).await;
    assert_eq!((&at_least["total"], &at_least["total_exact"]), (&json!(1_000), &json!(false)));
    let exact = pagination_at(&app, &capped, &app.admin_key, "/v1/clients", &[("q", "commonterm"), ("include_total", "exact")]).await;
    assert_eq!(exact["total"], active.len());
    let by_name = walk(&app, &[("limit", "100"), ("q", "commonterm"), ("sort", "last_name")]).await;
    assert_eq!(by_name, walk(&app, &[("limit", "100"), ("status", "active"), ("sort", "last_name")]).await, "by last name");

    let tagged = walk(&app, &[("limit", "100"), ("tags", "rare")]).await;
    assert_eq!(tagged.len(), COUNT / 300);
    let rare = list(&app, &[("q", "quillfeather"), ("include_total", "true"), ("limit", "100")]).await;
    assert_eq!(ids(&rare), tagged, "a rare term, newest first");
    assert_eq!(rare["pagination"]["total"], tagged.len());
    // A rare term's hits are sorted by key, then read: page by page, in any order.
    assert_eq!(walk(&app, &[("limit", "3"), ("q", "quillfeather")]).await, tagged, "a rare term, page by page");
    for sort in ["name", "-name", "last_name", "updated_at"] {
        let by_search = walk(&app, &[("limit", "3"), ("q", "quillfeather"), ("sort", sort)]).await;
        assert_eq!(by_search, walk(&app, &[("limit", "3"), ("tags", "rare"), ("sort", sort)]).await, "sort={sort}");
    }

    // Counts of the common term alone (on SQLite, through `clients_live_seq`)
    // and with another filter (through the table) leave a deleted client out.
    expect_status(app.delete(&format!("/v1/clients/{}", active[0]), &app.admin_key).await, StatusCode::NO_CONTENT).await;
    for params in [vec![("q", "commonterm")], vec![("q", "commonterm"), ("status", "active")]] {
        for counting in ["true", "exact"] {
            let page = list(&app, &[params.clone(), vec![("include_total", counting)]].concat()).await;
            assert_eq!(page["pagination"]["total"], active.len() - 1, "{params:?}, include_total={counting}");
        }
    }
}

/// The SQLite store may look a term up by a few of its trigrams and check
/// the rows it gets back; a client holding every trigram of `abcab` (in
/// "abca xcab") but not the term must not be among the matches or the total.
async fn q_never_finds_clients_holding_only_pieces_of_the_term(app: TestApp) {
    let whole = id(&app.create_client(json!({"first_name": "Abcab", "last_name": "Stone"})).await);
    app.create_client(json!({"first_name": "Abca", "last_name": "Xcab"})).await;
    app.create_client(json!({"first_name": "Cab", "last_name": "Bca", "email": "abc@pieces.example"})).await;
    let other = app.other_firm().await;
    let theirs = app.post("/v1/clients", &other, &json!({"first_name": "Abcab", "last_name": "Theirs"})).await;
    expect_status(theirs, StatusCode::CREATED).await;
    for q in ["abcab", "ABCAB", "abcab stone", "bcab s"] {
        let page = list(&app, &[("q", q), ("include_total", "true")]).await;
        assert_eq!(ids(&page), std::slice::from_ref(&whole), "q={q}");
        assert_eq!(page["pagination"]["total"], 1, "q={q}");
    }
}

async fn include_total_counts_every_match_and_is_absent_otherwise(app: TestApp) {
    for i in 0..30 {
        let status = if i % 3 == 0 { "closed" } else { "active" };
        app.create_client(json!({"first_name": "Tot", "last_name": format!("N{i}"), "status": status})).await;
    }
    for counting in ["true", "exact"] {
        let page = list(&app, &[("include_total", counting), ("limit", "10")]).await;
        assert_eq!(ids(&page).len(), 10);
        assert_eq!((&page["pagination"]["total"], &page["pagination"]["total_exact"]), (&json!(30), &json!(true)), "{counting}");
        let closed = list(&app, &[("include_total", counting), ("limit", "3"), ("status", "closed")]).await;
        assert_eq!(closed["pagination"]["total"], 10);
    }
    for params in [vec![], vec![("include_total", "false")]] {
        let page = list(&app, &params).await;
        assert!(page["pagination"].get("total").is_none(), "{params:?}: {}", page["pagination"]);
        assert!(page["pagination"].get("total_exact").is_none(), "{params:?}: {}", page["pagination"]);
    }
    refused(&app, &[("include_total", "maybe")], "include_total").await;
    refused(&app, &[("include_total", "EXACT")], "include_total").await;
}

/// A list's pagination, on the node at `base`.
async fn pagination_at(app: &TestApp, base: &str, key: &str, path: &str, params: &[(&str, &str)]) -> Value {
    let response = app.http.get(format!("{base}{path}")).query(params).header("X-Api-Key", key).send().await.expect("send");
    expect_status(response, StatusCode::OK).await["pagination"].clone()
}

/// `include_total=true` counts up to the server's limit (5 here, 10,000 by
/// default) and past it answers the limit with `total_exact: false`; `exact` and the
/// vendors' numbered pages count every match; and a firm's count never
/// holds another firm's clients.
async fn include_total_true_is_exact_up_to_the_servers_limit_and_says_more_than_past_it(app: TestApp) {
    let capped = app.second_node(clientele::service::Limits { count_exact_up_to: 5, ..Default::default() }).await;
    let mut first = None;
    for i in 0..7 {
        let status = if i < 5 { "active" } else { "closed" };
        let client = app.create_client(json!({"first_name": "Capped", "last_name": format!("N{i}"), "status": status})).await;
        first.get_or_insert(id(&client));
    }
    let other = app.other_firm().await;
    for i in 0..2 {
        expect_status(app.post("/v1/clients", &other, &json!({"first_name": "Capped", "last_name": format!("T{i}")})).await, StatusCode::CREATED).await;
    }
    let total = |p: &Value| (p["total"].clone(), p["total_exact"].clone());
    let key = app.admin_key.clone();
    for filter in [("status", "active,closed"), ("q", "capped")] {
        let at_least = pagination_at(&app, &capped, &key, "/v1/clients", &[filter, ("include_total", "true"), ("limit", "2")]).await;
        assert_eq!(total(&at_least), (json!(5), json!(false)), "{filter:?}: {at_least}");
        assert_eq!(at_least["has_more"], true);
        let exact = pagination_at(&app, &capped, &key, "/v1/clients", &[filter, ("include_total", "exact")]).await;
        assert_eq!(total(&exact), (json!(7), json!(true)), "{filter:?}");
        let default_limit = pagination_at(&app, &app.base, &key, "/v1/clients", &[filter, ("include_total", "true")]).await;
        assert_eq!(total(&default_limit), (json!(7), json!(true)), "{filter:?}, on a node counting up to 10,000");
        let theirs = pagination_at(&app, &capped, &other, "/v1/clients", &[filter, ("include_total", "true")]).await;
        assert_eq!(total(&theirs), (json!(2), json!(true)), "{filter:?}, the other firm");
    }
    let at_the_limit = pagination_at(&app, &capped, &key, "/v1/clients", &[("status", "active"), ("include_total", "true")]).await;
    assert_eq!(total(&at_the_limit), (json!(5), json!(true)), "exactly as many as the limit is exact");

    for n in 0..6 {
        crate::records::new_matter(&app, first.as_deref().expect("a client"), &format!("Capped matter {n}"), json!({})).await;
    }
    let matters = pagination_at(&app, &capped, &key, "/v1/matters", &[("include_total", "true")]).await;
    assert_eq!(total(&matters), (json!(5), json!(false)));
    let matters = pagination_at(&app, &capped, &key, "/v1/matters", &[("include_total", "exact")]).await;
    assert_eq!(total(&matters), (json!(6), json!(true)));
    let theirs = pagination_at(&app, &capped, &other, "/v1/matters", &[("include_total", "exact")]).await;
    assert_eq!(total(&theirs), (json!(0), json!(true)), "the other firm has no matters");

    let numbered = pagination_at(&app, &capped, &key, "/compat/clemta/contacts", &[("limit", "2")]).await;
    assert_eq!(numbered["total"], 7, "a vendor's numbered pages count every match: {numbered}");
}

async fn next_cursor_walks_every_sort_without_duplicates_or_gaps(app: TestApp) {
    // Repeated names and same-millisecond creations make ties every sort must break.
    let lasts = ["Adams", "baker", "Baker", "adams", "Clark"];
    let mut everyone = HashSet::new();
    for i in 0..23 {
        let client = app.create_client(json!({"first_name": "W", "last_name": lasts[i % lasts.len()]})).await;
        everyone.insert(id(&client));
    }
    for sort in ["created_at", "-created_at", "updated_at", "-updated_at", "last_name", "-last_name", "name", "-name"] {
        let walked = walk(&app, &[("sort", sort), ("limit", "4")]).await;
        let unique: HashSet<String> = walked.iter().cloned().collect();
        assert_eq!(unique.len(), walked.len(), "sort={sort}: duplicates in {walked:?}");
        assert_eq!(unique, everyone, "sort={sort}: gaps");
        assert_eq!(walked, list_ids(&app, &[("sort", sort)]).await, "sort={sort}: pages differ from one big page");
    }
    // A filter is kept across pages.
    let bakers = walk(&app, &[("q", "baker"), ("limit", "2"), ("sort", "name")]).await;
    assert_eq!(bakers.len(), 10);
}

async fn a_cursor_is_refused_with_another_sort(app: TestApp) {
    for i in 0..3 {
        app.person("Cur", &format!("N{i}")).await;
    }
    let page = list(&app, &[("sort", "last_name"), ("limit", "1")]).await;
    let cursor = page["pagination"]["next_cursor"].as_str().unwrap();
    refused(&app, &[("sort", "name"), ("limit", "1"), ("cursor", cursor)], "cursor").await;
    refused(&app, &[("sort", "-last_name"), ("cursor", cursor)], "cursor").await;
    refused(&app, &[("cursor", cursor)], "cursor").await;
    let next = list(&app, &[("sort", "last_name"), ("limit", "1"), ("cursor", cursor)]).await;
    assert_eq!(ids(&next).len(), 1);
}

async fn the_link_header_points_at_the_next_page(app: TestApp) {
    for i in 0..5 {
        app.person("Link", &format!("N{i}")).await;
    }
    let response = list_raw(&app, &app.admin_key, &[("sort", "name"), ("limit", "2"), ("q", "link n")]).await;
    let link = header(&response, "link");
    let page = expect_status(response, StatusCode::OK).await;
    let cursor = page["pagination"]["next_cursor"].as_str().unwrap();
    assert!(link.ends_with("rel=\"next\""), "{link}");
    let target = link.trim_start_matches('<').split('>').next().unwrap().to_string();
    let encoded: String = form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
    assert!(target.contains(&format!("cursor={encoded}")), "{link}");
    let followed = expect_status(app.get(&target, &app.admin_key).await, StatusCode::OK).await;
    let by_cursor = list(&app, &[("sort", "name"), ("limit", "2"), ("q", "link n"), ("cursor", cursor)]).await;
    assert_eq!(ids(&followed), ids(&by_cursor));
    let last = list_raw(&app, &app.admin_key, &[("sort", "name"), ("limit", "5")]).await;
    assert_eq!(header(&last, "link"), "", "the last page has no next link");
}

async fn deleted_clients_never_appear_in_lists_or_totals(app: TestApp) {
    let mut live = Vec::new();
    let mut gone = Vec::new();
    for i in 0..6 {
        let client = app.create_client(json!({"first_name": "Del", "last_name": format!("N{i}"), "tags": ["t"], "status": "closed"})).await;
        if i % 3 == 0 {
            expect_status(app.delete(&path_of(&client), &app.admin_key).await, StatusCode::NO_CONTENT).await;
            gone.push(id(&client));
        } else {
            live.push(id(&client));
        }
    }
    let all_ids = [live.clone(), gone.clone()].concat().join(",");
    let queries: Vec<Vec<(&str, &str)>> = vec![
        vec![("include_total", "true")],
        vec![("include_total", "true"), ("q", "del")],
        vec![("include_total", "true"), ("tags", "t"), ("status", "closed")],
        vec![("include_total", "true"), ("ids", all_ids.as_str())],
        vec![("include_total", "true"), ("sort", "-updated_at")],
    ];
    for query in queries {
        let page = list(&app, &query).await;
        assert_eq!(sorted(ids(&page)), sorted(live.clone()), "{query:?}");
        assert_eq!(page["pagination"]["total"], live.len(), "{query:?}");
    }
    let walked = walk(&app, &[("limit", "1"), ("sort", "name")]).await;
    assert_eq!(sorted(walked), sorted(live));
}
