//! `clientele import --from VENDOR`: answers saved from each dialect's list
//! (and get) endpoints, imported into another firm, read back through the
//! same dialect the same, but for what the server owns; a second import
//! updates rather than duplicates; the seeds' own example answers import.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::import_export::{summary, Setup};

/// Each vendor's list path, its one client path, and the fields its views
/// show that the server owns (differing between firms by nature).
const VENDORS: &[(&str, &str, &[&str])] = &[
    ("calmintake", "/compat/calmintake/api/v1/clients", &["id", "created_at", "updated_at", "matters_count", "matters"]),
    ("actuallycare", "/compat/actuallycare/v1/clients", &["id", "created_at", "updated_at", "version"]),
    ("clio-grow", "/compat/clio-grow/api/v1/contacts", &["id", "global_id", "created_at", "updated_at", "matters"]),
    ("full-engage", "/compat/full-engage/api/v1/clients", &["id", "createdAt", "updatedAt"]),
    ("clemta", "/compat/clemta/contacts", &["id", "created_at", "updated_at"]),
];

/// The records of a saved answer.
fn listed(vendor: &str, answer: &Value) -> Vec<Value> {
    let list = if vendor == "actuallycare" { &answer["data"]["clients"] } else { &answer["data"] };
    list.as_array().unwrap_or_else(|| panic!("{vendor}: no list in {answer}")).clone()
}

/// Records without what the server owns, by name; the vendor id each was
/// imported under (its external_id, which vendors without such a field
/// show in custom_fields) taken out too.
fn comparable(records: Vec<Value>, owned: &[&str]) -> BTreeMap<String, Value> {
    records
        .into_iter()
        .map(|mut r| {
            let object = r.as_object_mut().unwrap();
            for field in owned {
                object.remove(*field);
            }
            if let Some(Value::Object(custom)) = object.get_mut("custom_fields") {
                custom.remove("external_id");
            }
            let name = ["name", "full_name", "last_name"].iter().find_map(|k| object.get(*k).and_then(Value::as_str)).unwrap_or_default();
            (name.to_string(), r)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_vendors_saved_answers_import_into_another_firm_and_read_back_the_same() {
    let setup = Setup::start().await;
    let source = setup.firm("Leaving LLP");
    let people = vec![
        json!({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "+1 661 555 0123",
               "address": {"line1": "1 Elm St", "line2": "Suite 2", "city": "Springfield", "region": "IL", "postal_code": "62701", "country": "US"},
               "other_emails": [{"address": "ada@work.example"}], "other_phones": [{"number": "+1 661 555 0142"}],
               "date_of_birth": "1815-12-10", "status": "inactive", "source": "referral", "notes": "Prefers mail", "tags": ["vip"]}),
        json!({"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"}),
        json!({"last_name": "Cher", "notes": "One name"}),
    ];
    setup.create(&source, "clients", people).await;
    setup.send(&source, reqwest::Method::POST, "/compat/actuallycare/v1/clients", Some(json!({"first_name": "Michael", "last_name": "Torres",
        "client_type": "buyer", "budget_min": 350000, "preferred_locations": ["Bakersfield"], "pre_approved": true}))).await;
    for (vendor, path, owned) in VENDORS {
        let target = setup.firm(&format!("Arriving {vendor}"));
        // Two pages, saved one after the other in one file.
        let mut answers = Vec::new();
        let mut shown = Vec::new();
        for page in ["page=1&limit=3&per_page=3", "page=2&limit=3&per_page=3"] {
            let query = if *vendor == "clio-grow" || *vendor == "full-engage" { "" } else { page };
            let answer = setup.send(&source, reqwest::Method::GET, &format!("{path}?{query}"), None).await;
            shown.extend(listed(vendor, &answer));
            answers.push(answer.to_string());
            if query.is_empty() {
                break;
            }
        }
        assert_eq!(shown.len(), 4, "{vendor}: every client saved");
        let file = setup.path(&format!("{vendor}.json"));
        std::fs::write(&file, answers.join("\n")).unwrap();
        let output = setup.run(&target, &["import", "clients", file.to_str().unwrap(), "--from", vendor]);
        assert!(output.status.success(), "{vendor}: {}", String::from_utf8_lossy(&output.stderr));
        assert_eq!((summary(&output)["created"].as_u64(), summary(&output)["rejected"].as_u64()), (Some(4), Some(0)), "{vendor}");

        let copied = listed(vendor, &setup.send(&target, reqwest::Method::GET, path, None).await);
        let ids: Vec<Value> = shown.iter().map(|r| r["id"].clone()).map(|id| if id.is_number() { id.to_string().into() } else { id }).collect();
        let canonical = setup.send(&target, reqwest::Method::GET, "/v1/clients", None).await;
        let mut carried: Vec<Value> = canonical["data"].as_array().unwrap().iter().map(|c| c["external_id"].clone()).collect();
        carried.sort_by_key(|v| v.to_string());
        let mut expected_ids = ids.clone();
        expected_ids.sort_by_key(|v| v.to_string());
        assert_eq!(carried, expected_ids, "{vendor}: each vendor id is the copy's external_id");
        assert_eq!(comparable(copied, owned), comparable(shown, owned), "{vendor}: read back the same");

        // A second import of the answers (saved again: a new file, not a
        // replay of the first sending) updates the same clients.
        std::fs::remove_file(&file).unwrap();
        std::fs::write(&file, answers.join("\n")).unwrap();
        let checkpoint_free = setup.run(&target, &["import", "clients", file.to_str().unwrap(), "--from", vendor]);
        assert!(checkpoint_free.status.success(), "{vendor}: {}", String::from_utf8_lossy(&checkpoint_free.stderr));
        assert_eq!((summary(&checkpoint_free)["created"].as_u64(), summary(&checkpoint_free)["updated"].as_u64()), (Some(0), Some(4)), "{vendor}");
        let total = setup.send(&target, reqwest::Method::GET, "/v1/clients?include_total=true", None).await;
        assert_eq!(total["pagination"]["total"], 4, "{vendor}: no duplicates");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_get_client_carries_every_field_and_clio_matters_find_their_contacts() {
    let setup = Setup::start().await;
    let source = setup.firm("Leaving LLP");
    let target = setup.firm("Arriving LLP");
    let created = setup.create(&source, "clients", vec![json!({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
        "phone": "+1 661 555 0123", "date_of_birth": "1815-12-10", "notes": "Prefers mail",
        "address": {"line1": "1 Elm St", "city": "Springfield", "region": "IL", "postal_code": "62701"}})]).await;
    let id = created[0]["id"].as_str().unwrap();
    setup.create(&source, "matters", vec![json!({"client_id": id, "title": "Estate of Lovelace", "description": "Probate",
        "status": "pending", "practice_area": "Probate", "projected_value": {"amount": 500000, "currency": "CAD"}, "hired_date": "2026-03-01"})]).await;

    // CalmIntake's Get Client shows what its list leaves out.
    let one = format!("/compat/calmintake/api/v1/clients/{id}");
    let saved = setup.send(&source, reqwest::Method::GET, &one, None).await;
    let file = setup.path("calmintake-get.json");
    std::fs::write(&file, saved.to_string()).unwrap();
    let output = setup.run(&target, &["import", "clients", file.to_str().unwrap(), "--from", "calmintake"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let copy = setup.send(&target, reqwest::Method::GET, "/v1/clients?external_id=".to_string().as_str().replace("=", &format!("={id}")).as_str(), None).await;
    let copy = &copy["data"][0];
    for field in ["first_name", "last_name", "email", "phone", "date_of_birth", "notes", "address"] {
        assert_eq!(copy[field], created[0][field], "{field}");
    }

    // Clio Grow: contacts first, then the matters naming them by Clio id.
    let contacts = setup.send(&source, reqwest::Method::GET, "/compat/clio-grow/api/v1/contacts", None).await;
    let matters = setup.send(&source, reqwest::Method::GET, "/compat/clio-grow/api/v1/matters", None).await;
    let clio = setup.firm("Arriving from Clio LLP");
    for (kind, answer) in [("clients", &contacts), ("matters", &matters)] {
        let file = setup.path(&format!("clio-{kind}.json"));
        std::fs::write(&file, answer.to_string()).unwrap();
        let output = setup.run(&clio, &["import", kind, file.to_str().unwrap(), "--from", "clio-grow", "--currency", "cad"]);
        assert!(output.status.success(), "{kind}: {}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(summary(&output)["created"], 1, "{kind}");
    }
    let copied = setup.send(&clio, reqwest::Method::GET, "/compat/clio-grow/api/v1/matters", None).await;
    let strip = |m: &Value| {
        let mut m = m.clone();
        for owned in ["id", "global_id", "created_at", "updated_at"] {
            m.as_object_mut().unwrap().remove(owned);
        }
        for contact in ["client", "primary_contact"] {
            m[contact].as_object_mut().unwrap().remove("id");
        }
        m
    };
    assert_eq!(strip(&copied["data"][0]), strip(&matters["data"][0]));
    let v1 = setup.send(&clio, reqwest::Method::GET, "/v1/matters", None).await;
    assert_eq!(v1["data"][0]["projected_value"], json!({"amount": 500000, "currency": "CAD"}));

    // CalmIntake shows no matter list to import from.
    let output = setup.run(&clio, &["import", "matters", file.to_str().unwrap(), "--from", "calmintake"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no list of matters"), "{}", String::from_utf8_lossy(&output.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeds_example_answers_import_as_they_are() {
    let setup = Setup::start().await;
    let seeds = [
        ("calmintake", json!({"data": [
            {"id": "cli_01HABC", "first_name": "David", "last_name": "Johnson", "email": "david.johnson@example.com", "phone": "+15551234567", "matters_count": 2, "created_at": "2024-03-07T14:00:00Z"},
            {"id": "cli_01HBBB", "first_name": "Maria", "last_name": "Martinez", "email": "maria.m@example.com", "phone": "+15559876543", "matters_count": 1, "created_at": "2024-03-05T09:00:00Z"}],
            "pagination": {"page": 1, "per_page": 20, "total": 87, "has_more": true}}), 2),
        ("actuallycare", json!({"success": true, "data": {"clients": [
            {"id": "a3f8c1d2-6b4e-4a9f-8d27-95c0e3b1f684", "first_name": "Michael", "last_name": "Torres", "email": "michael.torres@gmail.com",
             "phone": "(661) 555-0142", "client_type": "buyer", "status": "active", "source": "Zillow", "budget_min": 350000, "budget_max": 475000}],
            "meta": {"page": 1, "limit": 25, "total": 42, "totalPages": 2, "hasMore": true}}}), 1),
        ("clio-grow", json!({"data": [{"id": 123, "global_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "clio_id": 456, "name": "John Doe", "first_name": "John",
            "last_name": "Doe", "emails": ["john@example.com"], "phone_numbers": ["+15551234567"], "type": "Person", "status": "active",
            "matters": [{"id": 0}], "addresses": [{"street": "123 Main St", "city": "San Francisco", "province": "CA", "postal_code": "94102", "country": "USA"}],
            "created_at": "2024-01-15T10:30:00Z", "updated_at": "2024-02-20T14:45:00Z"}], "meta": {"paging": {}}}), 1),
        ("full-engage", json!({"data": [{"id": "9b2f0c1e-2d3a-4b5c-8d7e-0f1a2b3c4d5e", "name": "John Doe", "phone": "+1 555-1234", "status": "active",
            "notes": null, "createdAt": "2026-07-15T14:32:10.000Z", "updatedAt": "2026-07-15T14:32:10.000Z"}], "total": 1}), 1),
        ("clemta", json!({"success": true, "message": "Contact retrieved", "data": {"id": "0190f3a2-5b7c-7d8e-9f01-23456789abcd",
            "created_at": 123, "updated_at": 123, "type": "customer", "status": "active", "full_name": "Jane Roe", "email": "jane@example.com",
            "description": "Met at the fair", "cc_emails": [], "bcc_emails": [], "billing": {}}}), 1),
    ];
    for (vendor, answer, n) in seeds {
        let key = setup.firm(&format!("From {vendor}"));
        let file = setup.path(&format!("{vendor}-seed.json"));
        std::fs::write(&file, answer.to_string()).unwrap();
        let output = setup.run(&key, &["import", "clients", file.to_str().unwrap(), "--from", vendor]);
        assert!(output.status.success(), "{vendor}: {}", String::from_utf8_lossy(&output.stderr));
        assert_eq!((summary(&output)["created"].as_u64(), summary(&output)["rejected"].as_u64()), (Some(n), Some(0)), "{vendor}");
    }
}
