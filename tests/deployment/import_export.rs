//! `clientele import` and `clientele export` against a real server on
//! PostgreSQL: CSV edge cases and rejects, export → import round trips into
//! another firm, `--resume` after `kill -9`, matters finding their clients.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::process::{cli, free_port, Database, Node, BIN};

/// A server on a fresh database, and firms on it.
pub(crate) struct Setup {
    node: Node,
    db: Database,
    http: reqwest::Client,
    dir: tempfile::TempDir,
}

impl Setup {
    pub(crate) async fn start() -> Self {
        let db = Database::create().await;
        cli(&db.url, &["migrate"]);
        let node = Node::start(&db.url, &["--deliver-webhooks", "false"]).await;
        Self { node, db, http: reqwest::Client::new(), dir: tempfile::tempdir().unwrap() }
    }

    /// A new firm's admin key.
    pub(crate) fn firm(&self, name: &str) -> String {
        let firm = cli(&self.db.url, &["firms", "create", "--name", name]);
        firm["admin_key"]["secret"].as_str().expect("secret").to_string()
    }

    pub(crate) fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    /// `clientele <args> --server …` with the key in the environment.
    pub(crate) fn run(&self, key: &str, args: &[&str]) -> Output {
        self.command(key, args).output().expect("run clientele")
    }

    fn command(&self, key: &str, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command.args(args).args(["--server", &self.node.base]).env("CLIENTELE_API_KEY", key).env_remove("CLIENTELE_SERVER");
        command
    }

    pub(crate) async fn send(&self, key: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.node.base)).header("X-Api-Key", key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("send");
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {value}");
        value
    }

    /// Creates records through the batch API, atomically; their views.
    pub(crate) async fn create(&self, key: &str, kind: &str, records: Vec<Value>) -> Vec<Value> {
        let operations: Vec<Value> = records.into_iter().map(|data| json!({"op": "create", "data": data})).collect();
        let answer = self.send(key, reqwest::Method::POST, &format!("/v1/{kind}/batch"), Some(json!({"atomic": true, "operations": operations}))).await;
        answer["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                assert_eq!(r["status"], 201, "{r}");
                r["data"].clone()
            })
            .collect()
    }

    /// Every record of the firm, through the export (the CLI's own).
    fn export(&self, key: &str, kind: &str, format: &str) -> Vec<u8> {
        let output = self.run(key, &["export", kind, "--format", format]);
        assert!(output.status.success(), "export failed: {}", String::from_utf8_lossy(&output.stderr));
        output.stdout
    }

    fn export_json(&self, key: &str, kind: &str) -> Vec<Value> {
        let body = self.export(key, kind, "ndjson");
        body.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).expect("an NDJSON line")).collect()
    }
}

/// The summary an import prints on stdout.
pub(crate) fn summary(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!("no summary: {}\nstderr: {}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
    })
}

/// The rejects file as row → [(field, message)].
fn rejects(path: &Path) -> BTreeMap<u64, Vec<(String, String)>> {
    let mut reader = csv::Reader::from_path(path).expect("a rejects file");
    assert_eq!(reader.headers().unwrap(), vec!["row", "field", "message"]);
    let mut rows: BTreeMap<u64, Vec<(String, String)>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        rows.entry(record[0].parse().unwrap()).or_default().push((record[1].to_string(), record[2].to_string()));
    }
    rows
}

fn by_external_id(records: Vec<Value>) -> BTreeMap<String, Value> {
    records.into_iter().map(|r| (r["external_id"].as_str().expect("external_id").to_string(), r)).collect()
}

/// A view without what the server owns (ids, versions, times, counts).
fn content(mut view: Value) -> Value {
    for owned in ["id", "version", "created_at", "updated_at", "matters_count"] {
        view.as_object_mut().unwrap().remove(owned);
    }
    view
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_with_edge_cases_imports_its_good_rows_and_rejects_the_bad_by_row() {
    let setup = Setup::start().await;
    let key = setup.firm("Edge Cases LLP");
    // A BOM, `;` between cells, quoted `;` and `,`, an embedded newline,
    // doubled quotes, a neutralised formula, a blank row and bad rows.
    let file = setup.path("clients.csv");
    let text = "\u{feff}first_name;last_name;email;notes;tags;external_id;address.city;date_of_birth\n\
        Ada;\"Lovelace; Countess\";ada@example.com;\"first line\nsecond line\";\"vip; new\";crm-1;\"London, UK\";1815-12-10\n\
        Grace;Hopper;grace@example.com;'=SUM(A1);;crm-2;;\n\
        No;;not-an-email;;;crm-3;;\n\
        ;;;;;;;\n\
        Too;Many;many@example.com;;;crm-5;;;surplus\n\
        Chloé;\"Zhao \"\"CZ\"\"\";chloe@example.com;;;crm-6;\"Beijing, CN\";\n\
        Dup;Email;ADA@example.com;;;crm-7;;\n\
        Future;Born;future@example.com;;;crm-8;;2999-01-01\n";
    std::fs::write(&file, text).unwrap();
    let output = setup.run(&key, &["import", "clients", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3), "rejected rows exit 3: {}", String::from_utf8_lossy(&output.stderr));
    let stats = summary(&output);
    assert_eq!((stats["rows"].as_u64(), stats["created"].as_u64(), stats["rejected"].as_u64(), stats["blank"].as_u64()), (Some(8), Some(3), Some(4), Some(1)), "{stats}");

    let clients = by_external_id(setup.export_json(&key, "clients"));
    assert_eq!(clients.keys().collect::<Vec<_>>(), vec!["crm-1", "crm-2", "crm-6"]);
    let ada = &clients["crm-1"];
    assert_eq!(ada["last_name"], "Lovelace; Countess");
    assert_eq!(ada["notes"], "first line\nsecond line");
    assert_eq!(ada["tags"], json!(["vip", "new"]));
    assert_eq!(ada["address"]["city"], "London, UK");
    assert_eq!(ada["date_of_birth"], "1815-12-10");
    assert_eq!(clients["crm-2"]["notes"], "=SUM(A1)", "a neutralised formula is restored");
    assert_eq!(clients["crm-6"]["first_name"], "Chloé");
    assert_eq!(clients["crm-6"]["last_name"], "Zhao \"CZ\"");

    let rejected = rejects(&setup.path("clients.csv.rejects.csv"));
    assert_eq!(rejected.keys().copied().collect::<Vec<_>>(), vec![3, 5, 7, 8], "{rejected:?}");
    let fields = |row: u64| rejected[&row].iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>();
    assert_eq!(fields(3), vec!["last_name", "email"]);
    assert!(rejected[&3][1].1.contains("not a valid email"), "{rejected:?}");
    assert_eq!(fields(5), vec![""]);
    assert!(rejected[&5][0].1.contains("9 cells"), "{rejected:?}");
    assert_eq!(fields(7), vec!["email"]);
    assert!(rejected[&7][0].1.starts_with("duplicate_email"), "{rejected:?}");
    assert_eq!(fields(8), vec!["date_of_birth"]);

    // `,` between cells, CRLF line ends, a quoted comma; --map renames a
    // column and leaves one out. A dry run checks without writing.
    let file = setup.path("people.txt");
    std::fs::write(&file, "Given,Surname,Internal\r\nAlan,\"Turing, A.\",x\r\nBad,,y\r\n").unwrap();
    let maps = ["--map", "Given=first_name", "--map", "Surname=last_name", "--map", "Internal="];
    let rejects_file = setup.path("people-rejects.csv");
    let mut args = vec!["import", "clients", file.to_str().unwrap(), "--format", "csv", "--rejects", rejects_file.to_str().unwrap(), "--dry-run"];
    args.extend(maps);
    let dry = setup.run(&key, &args);
    assert_eq!(dry.status.code(), Some(3), "{}", String::from_utf8_lossy(&dry.stderr));
    assert_eq!(summary(&dry)["checked"], 1);
    assert_eq!(rejects(&rejects_file)[&2], vec![("last_name".to_string(), "is required for a person".to_string())]);
    assert_eq!(setup.export_json(&key, "clients").len(), 3, "a dry run wrote");
    args.retain(|a| *a != "--dry-run");
    let real = setup.run(&key, &args);
    assert_eq!(real.status.code(), Some(3));
    assert_eq!(summary(&real)["created"], 1);
    let clients = by_external_id(setup.export_json(&key, "clients").into_iter().map(|mut c| {
        if c["external_id"].is_null() {
            c["external_id"] = json!("none");
        }
        c
    }).collect());
    assert_eq!(clients["none"]["last_name"], "Turing, A.");

    // An unknown column is refused before anything is sent.
    std::fs::write(&file, "first_name,last_name,Nickname\nA,B,C\n").unwrap();
    let unknown = setup.run(&key, &["import", "clients", file.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("`Nickname` is not a client field"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_import_into_another_firm_round_trips() {
    let setup = Setup::start().await;
    let source = setup.firm("Source LLP");
    let definitions = [
        json!({"entity": "client", "key": "tier", "label": "Tier", "type": "text"}),
        json!({"entity": "client", "key": "score", "label": "Score", "type": "number"}),
        json!({"entity": "client", "key": "vip", "label": "VIP", "type": "boolean"}),
    ];
    let ndjson_target = setup.firm("NDJSON Target LLP");
    let csv_target = setup.firm("CSV Target LLP");
    for key in [&source, &ndjson_target, &csv_target] {
        for definition in &definitions {
            setup.send(key, reqwest::Method::POST, "/v1/custom-fields", Some(definition.clone())).await;
        }
    }
    setup
        .create(&source, "clients", vec![
            json!({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "+1 661 555 0123",
                   "address": {"line1": "1 Elm St", "city": "Springfield", "region": "IL", "postal_code": "62701", "country": "US"},
                   "other_emails": [{"address": "ada@work.example", "label": "work"}, {"address": "ada@home.example"}],
                   "other_phones": [{"number": "+1 661 555 0142", "label": "mobile"}],
                   "other_addresses": [{"label": "summer", "city": "Lake Como", "country": "IT"}],
                   "tags": ["vip", "early"], "status": "inactive", "source": "referral", "notes": "=HYPERLINK(\"x\")\nsecond line",
                   "date_of_birth": "1815-12-10", "external_id": "crm-1", "custom_fields": {"tier": "12345", "score": 7, "vip": true}}),
            json!({"kind": "company", "name": "Acme, Inc.", "email": "info@acme.example", "tags": ["b2b"], "external_id": "crm-2",
                   "custom_fields": {"tier": "gold", "score": 2.5}}),
            json!({"first_name": "Grace", "last_name": "Hopper; RADM", "notes": "+1 is not a formula", "external_id": "crm-3"}),
            json!({"first_name": "Émile", "last_name": "Zola", "external_id": "crm-4", "custom_fields": {"vip": false}}),
        ])
        .await;
    let original = setup.export_json(&source, "clients");
    assert_eq!(original.len(), 4);

    // NDJSON carries every field: the import is the export, exactly.
    let file = setup.path("clients.ndjson");
    std::fs::write(&file, setup.export(&source, "clients", "ndjson")).unwrap();
    let output = setup.run(&ndjson_target, &["import", "clients", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(summary(&output)["created"], 4);
    let copied = by_external_id(setup.export_json(&ndjson_target, "clients").into_iter().map(content).collect());
    let expected = by_external_id(original.iter().cloned().map(content).collect());
    assert_eq!(copied, expected);

    // CSV: equal on every column CSV has; other_addresses it cannot carry.
    let file = setup.path("clients.csv");
    let exported = setup.export(&source, "clients", "csv");
    std::fs::write(&file, &exported).unwrap();
    let output = setup.run(&csv_target, &["import", "clients", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(summary(&output)["created"], 4);
    let table = |bytes: &[u8]| {
        let mut reader = csv::Reader::from_reader(bytes);
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        assert!(header.contains(&"cf.tier".to_string()) && header.contains(&"other_emails".to_string()), "{header:?}");
        let rows: BTreeMap<String, BTreeMap<String, String>> = reader
            .records()
            .map(|r| {
                let row: BTreeMap<String, String> = header
                    .iter()
                    .cloned()
                    .zip(r.unwrap().iter().map(str::to_string))
                    .filter(|(h, _)| !matches!(h.as_str(), "id" | "version" | "created_at" | "updated_at"))
                    .collect();
                (row["external_id"].clone(), row)
            })
            .collect();
        (header, rows)
    };
    let (header, rows) = table(&exported);
    let (copied_header, copied_rows) = table(&setup.export(&csv_target, "clients", "csv"));
    assert_eq!(header, copied_header);
    assert_eq!(rows, copied_rows);
    assert_eq!(rows["crm-1"]["notes"], "'=HYPERLINK(\"x\")\nsecond line", "neutralised in the file");
    let via_csv = by_external_id(setup.export_json(&csv_target, "clients"));
    assert_eq!(via_csv["crm-1"]["notes"], "=HYPERLINK(\"x\")\nsecond line", "and restored by the import");
    assert_eq!(via_csv["crm-1"]["custom_fields"], json!({"tier": "12345", "score": 7, "vip": true}));
    assert_eq!(via_csv["crm-1"]["other_addresses"], json!([]), "CSV has no other_addresses");
    let mut without_addresses = expected["crm-1"].clone();
    without_addresses["other_addresses"] = json!([]);
    assert_eq!(content(via_csv["crm-1"].clone()), without_addresses);
    for id in ["crm-2", "crm-3", "crm-4"] {
        assert_eq!(content(via_csv[id].clone()), expected[id], "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_import_resumed_puts_every_row_in_exactly_once() {
    let setup = Setup::start().await;
    let key = setup.firm("Resume LLP");
    let file = setup.path("many.csv");
    let mut text = String::from("first_name,last_name,external_id\n");
    const ROWS: usize = 5000;
    for i in 1..=ROWS {
        text.push_str(&format!("Row,N{i:05},x{i:05}\n"));
    }
    std::fs::write(&file, text).unwrap();
    let checkpoint = setup.path("many.csv.clientele-checkpoint");
    let args = ["import", "clients", file.to_str().unwrap(), "--batch-size", "100"];
    let started = Instant::now();
    let mut import = setup.command(&key, &args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start the import");
    // Part-way: once a fifth is done, at a moment within a batch.
    loop {
        let done = std::fs::read(&checkpoint).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok()).and_then(|c| c["last_row"].as_u64());
        if done.is_some_and(|n| n >= 1000) {
            break;
        }
        assert!(import.try_wait().unwrap().is_none(), "the import ended before it was killed");
        assert!(started.elapsed() < Duration::from_secs(20), "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(u64::from(started.elapsed().subsec_millis() % 40)));
    import.kill().expect("kill -9");
    import.wait().unwrap();
    let stopped_at: Value = serde_json::from_slice(&std::fs::read(&checkpoint).unwrap()).unwrap();
    let stopped_at = stopped_at["last_row"].as_u64().unwrap();
    assert!(stopped_at < ROWS as u64, "killed after the end");

    // Without --resume, the checkpoint is in the way.
    let refused = setup.run(&key, &args);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--resume"));

    let mut resumed_args = args.to_vec();
    resumed_args.push("--resume");
    let resumed = setup.run(&key, &resumed_args);
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    let stats = summary(&resumed);
    assert_eq!(stats["skipped"].as_u64(), Some(stopped_at), "{stats}");
    assert_eq!(stats["created"].as_u64().unwrap() + stopped_at, ROWS as u64, "{stats}");
    // The batches the kill interrupted (the CLI keeps up to three in flight;
    // those that reached the server) are answered from the server's
    // idempotency record, not applied again.
    assert!(stats["replayed_batches"].as_u64().unwrap() <= 3, "{stats}");
    assert!(!checkpoint.exists(), "a finished import leaves no checkpoint");

    let clients = setup.export_json(&key, "clients");
    assert_eq!(clients.len(), ROWS, "every row exactly once");
    let external_ids: HashSet<&str> = clients.iter().map(|c| c["external_id"].as_str().unwrap()).collect();
    let names: HashSet<&str> = clients.iter().map(|c| c["last_name"].as_str().unwrap()).collect();
    assert_eq!((external_ids.len(), names.len()), (ROWS, ROWS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matters_find_their_clients_by_external_id_or_email() {
    let setup = Setup::start().await;
    let key = setup.firm("Matters LLP");
    let clients = setup
        .create(&key, "clients", vec![
            json!({"first_name": "Ada", "last_name": "L", "external_id": "c-1"}),
            json!({"first_name": "Bob", "last_name": "M", "external_id": "c-2", "email": "bob@example.com"}),
            json!({"kind": "company", "name": "Commas, Ltd.", "external_id": "c,3"}),
        ])
        .await;
    let id_of = |x: &str| clients.iter().find(|c| c["external_id"] == x).unwrap()["id"].as_str().unwrap().to_string();

    let file = setup.path("matters.csv");
    std::fs::write(
        &file,
        "title,client_external_id,status,projected_value.amount,projected_value.currency,external_id\n\
         Estate,c-1,open,150000,USD,m-1\n\
         Contract,c-2,pending,,,m-2\n\
         Dispute,\"c,3\",,,,m-3\n\
         Orphan,c-404,,,,m-4\n\
         Second for Ada,c-1,closed,,,m-5\n",
    )
    .unwrap();
    let output = setup.run(&key, &["import", "matters", file.to_str().unwrap(), "--batch-size", "2"]);
    assert_eq!(output.status.code(), Some(3), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(summary(&output)["created"], 4);
    let rejected = rejects(&setup.path("matters.csv.rejects.csv"));
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[&4], vec![("client_external_id".to_string(), "no client of this firm has this external_id".to_string())]);
    let matters = by_external_id(setup.export_json(&key, "matters"));
    assert_eq!(matters.len(), 4);
    assert_eq!(matters["m-1"]["client_id"], id_of("c-1"));
    assert_eq!(matters["m-1"]["projected_value"], json!({"amount": 150000, "currency": "USD"}));
    assert_eq!(matters["m-2"]["client_id"], id_of("c-2"));
    assert_eq!(matters["m-2"]["status"], "pending");
    assert_eq!(matters["m-3"]["client_id"], id_of("c,3"));
    assert_eq!(matters["m-5"]["client_id"], id_of("c-1"));

    // NDJSON by email, upserted by external id: m-1 moves to Bob and is
    // updated, not duplicated; m-6 is new.
    let file = setup.path("matters.ndjson");
    std::fs::write(
        &file,
        "{\"title\": \"Estate (moved)\", \"client_email\": \"BOB@example.com\", \"external_id\": \"m-1\"}\n\
         {\"title\": \"New\", \"client_email\": \"bob@example.com\", \"external_id\": \"m-6\"}\n",
    )
    .unwrap();
    let output = setup.run(&key, &["import", "matters", file.to_str().unwrap(), "--upsert-by", "external_id"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stats = summary(&output);
    assert_eq!((stats["created"].as_u64(), stats["updated"].as_u64()), (Some(1), Some(1)), "{stats}");
    let matters = by_external_id(setup.export_json(&key, "matters"));
    assert_eq!(matters.len(), 5);
    assert_eq!(matters["m-1"]["client_id"], id_of("c-2"));
    assert_eq!(matters["m-1"]["title"], "Estate (moved)");
    assert_eq!(matters["m-6"]["client_id"], id_of("c-2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_server_or_a_key_the_cli_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("clients.csv");
    std::fs::write(&file, "first_name,last_name\nA,B\n").unwrap();
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let run = |key: Option<&str>, args: &[&str]| {
        let mut command = Command::new(BIN);
        command.args(args).args(["--server", &nowhere]).env_remove("CLIENTELE_API_KEY").env_remove("CLIENTELE_SERVER");
        if let Some(key) = key {
            command.env("CLIENTELE_API_KEY", key);
        }
        command.output().unwrap()
    };
    for args in [&["import", "clients", file.to_str().unwrap()][..], &["export", "clients"]] {
        let unreachable = run(Some("clt_nothing"), args);
        assert_eq!(unreachable.status.code(), Some(1), "{args:?}");
        assert!(String::from_utf8_lossy(&unreachable.stderr).contains("unreachable"), "{}", String::from_utf8_lossy(&unreachable.stderr));
        let keyless = run(None, args);
        assert_eq!(keyless.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&keyless.stderr).contains("CLIENTELE_API_KEY"));
    }
    assert!(!dir.path().join("clients.csv.clientele-checkpoint").exists());
}
