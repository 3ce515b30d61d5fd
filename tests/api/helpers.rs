//! Spawns the real application on a free port over a fresh database, and
//! gives tests a small typed client for it.

use std::sync::Arc;

use clientele::server::Options;
use clientele::service::Service;
use clientele::store::postgres::{PgSettings, PgStore};
use clientele::store::sqlite::SqliteStore;
use clientele::store::Store;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

/// The stores every HTTP test runs against.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the PostgreSQL tests make their databases; each test gets its own.
use crate::services::postgres_admin_url;

/// A fresh, uniquely named PostgreSQL database; returns its URL and name.
async fn fresh_postgres_database() -> (String, String) {
    let admin = postgres_admin_url();
    let name = format!("clientele_t_{}", ulid::Ulid::new().to_string().to_lowercase());
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .expect("connect to PostgreSQL (see tests/services)");
    tokio::spawn(connection);
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create test database");
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    (format!("{base}/{name}"), name)
}

/// Drops a test's database, even while its server still holds connections.
fn drop_postgres_database(name: String) {
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            if let Ok((client, connection)) = tokio_postgres::connect(&postgres_admin_url(), tokio_postgres::NoTls).await {
                tokio::spawn(connection);
                let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
            }
        });
    })
    .join();
}

/// A PostgreSQL database made for one test.
pub struct PostgresDatabase {
    pub url: String,
    pub name: String,
}

/// Opens a fresh store of this kind; for PostgreSQL also its database.
pub async fn fresh_store(backend: Backend, dir: &std::path::Path) -> (Arc<dyn Store>, Option<PostgresDatabase>) {
    match backend {
        Backend::Sqlite => (Arc::new(SqliteStore::open(&dir.join("clientele.db")).expect("open SQLite store")), None),
        Backend::Postgres => {
            let (url, name) = fresh_postgres_database().await;
            let store = PgStore::open(&url, &PgSettings::default()).await.expect("open PostgreSQL store");
            (Arc::new(store), Some(PostgresDatabase { url, name }))
        }
    }
}

/// Serves `service` on a free port with the stack `clientele serve` runs,
/// default options; returns its base URL.
pub async fn serve(service: Service) -> String {
    serve_with(service, Options::default()).await
}

pub async fn serve_with(service: Service, options: Options) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { clientele::server::run(listener, service, &options, std::future::pending()).await });
    format!("http://{addr}")
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    /// Admin key of the test's main firm.
    pub admin_key: String,
    pub firm_id: String,
    pub service: Service,
    postgres_database: Option<PostgresDatabase>,
    _dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(database) = self.postgres_database.take() {
            drop_postgres_database(database.name);
        }
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, postgres_database) = fresh_store(backend, dir.path()).await;
        let service = Service::new(store);
        let firm = service.create_firm("Test Firm").await.expect("create firm");
        let base = serve(service.clone()).await;
        Self {
            base,
            http: reqwest::Client::new(),
            admin_key: firm.admin_key.secret.expose().to_string(),
            firm_id: firm.firm.id.to_string(),
            service,
            postgres_database,
            _dir: dir,
        }
    }

    /// The SQLite database file, when this app runs on SQLite.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        self.postgres_database.is_none().then(|| self._dir.path().join("clientele.db"))
    }

    /// Another node on the same store, with its own limits and caches;
    /// returns its base URL.
    pub async fn second_node(&self, limits: clientele::service::Limits) -> String {
        serve(Service::with_limits(self.service.store(), limits)).await
    }

    /// This app with webhook delivery on: a new node on the same store with
    /// `settings` and its dispatcher, which the app's requests then go to.
    pub async fn with_webhooks(mut self, settings: clientele::service::webhooks::WebhookSettings) -> Self {
        let service = Service::new(self.service.store()).with_webhook_settings(settings);
        clientele::service::dispatch::start(service.clone()).expect("start the dispatcher");
        self.base = serve(service.clone()).await;
        self.service = service;
        self
    }

    /// A second store on the test's database, opened as a restarted server
    /// would open it (migrations included).
    pub async fn open_store_again(&self) -> Arc<dyn Store> {
        match &self.postgres_database {
            None => Arc::new(SqliteStore::open(&self._dir.path().join("clientele.db")).expect("open SQLite store")),
            Some(database) => Arc::new(PgStore::open(&database.url, &PgSettings::default()).await.expect("open PostgreSQL store")),
        }
    }

    /// Runs one statement on the test's database behind the server's back
    /// (to set up states the API refuses to make): `sqlite` or `postgres`,
    /// whichever store the app runs on.
    pub async fn raw_sql(&self, sqlite: &str, postgres: &str) {
        match &self.postgres_database {
            None => {
                let conn = rusqlite::Connection::open(self._dir.path().join("clientele.db")).expect("open the database");
                conn.busy_timeout(std::time::Duration::from_secs(5)).expect("busy timeout");
                conn.execute_batch(sqlite).expect("run the statement");
            }
            Some(database) => {
                let (client, connection) = tokio_postgres::connect(&database.url, tokio_postgres::NoTls).await.expect("connect");
                tokio::spawn(connection);
                client.batch_execute(postgres).await.expect("run the statement");
            }
        }
    }

    /// Every value of every table of the test's database, as text: to prove
    /// something is stored nowhere.
    pub async fn dump_database(&self) -> String {
        self.dump_tables(&[]).await
    }

    /// Every value of these tables (all, if none are named), as text; blobs
    /// and `bytea` as hex.
    pub async fn dump_tables(&self, only: &[&str]) -> String {
        let wanted = |table: &str| only.is_empty() || only.contains(&table);
        match &self.postgres_database {
            None => {
                let path = self._dir.path().join("clientele.db");
                let conn = rusqlite::Connection::open(&path).expect("open the database");
                let tables: Vec<String> = conn
                    .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
                    .unwrap()
                    .query_map([], |r| r.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                let mut out = String::new();
                for table in tables.into_iter().filter(|t| wanted(t)) {
                    let mut st = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
                    let columns = st.column_count();
                    let mut rows = st.query([]).unwrap();
                    while let Some(row) = rows.next().unwrap() {
                        for i in 0..columns {
                            use rusqlite::types::ValueRef;
                            match row.get_ref(i).unwrap() {
                                ValueRef::Text(t) => out.push_str(&String::from_utf8_lossy(t)),
                                ValueRef::Blob(b) => out.push_str(&hex(b)),
                                ValueRef::Integer(n) => out.push_str(&n.to_string()),
                                _ => {}
                            }
                            out.push('\t');
                        }
                        out.push('\n');
                    }
                }
                out
            }
            Some(database) => {
                let (client, connection) = tokio_postgres::connect(&database.url, tokio_postgres::NoTls).await.expect("connect");
                tokio::spawn(connection);
                let tables = client
                    .query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", &[])
                    .await
                    .expect("list tables");
                let mut out = String::new();
                for table in tables {
                    let name: String = table.get(0);
                    if !wanted(&name) {
                        continue;
                    }
                    // Every row as text; bytea renders as hex (`\x…`).
                    let rows = client.query(&format!("SELECT t::text FROM \"{name}\" t"), &[]).await.expect("read table");
                    for row in rows {
                        out.push_str(&row.get::<_, String>(0));
                        out.push('\n');
                    }
                }
                out
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with `key` as `X-Api-Key`.
    pub fn request(&self, method: Method, path: &str, key: &str) -> RequestBuilder {
        self.http.request(method, self.url(path)).header("X-Api-Key", key)
    }

    pub async fn get(&self, path: &str, key: &str) -> Response {
        self.request(Method::GET, path, key).send().await.expect("send")
    }

    pub async fn post(&self, path: &str, key: &str, body: &Value) -> Response {
        self.request(Method::POST, path, key).json(body).send().await.expect("send")
    }

    pub async fn patch(&self, path: &str, key: &str, body: &Value) -> Response {
        self.request(Method::PATCH, path, key).json(body).send().await.expect("send")
    }

    pub async fn put(&self, path: &str, key: &str, body: &Value) -> Response {
        self.request(Method::PUT, path, key).json(body).send().await.expect("send")
    }

    pub async fn delete(&self, path: &str, key: &str) -> Response {
        self.request(Method::DELETE, path, key).send().await.expect("send")
    }

    /// A new key of the main firm with these scopes (comma-separated).
    pub async fn key(&self, scopes: &str) -> String {
        let scopes: Vec<&str> = scopes.split(',').collect();
        let response = self.post("/v1/api-keys", &self.admin_key, &json!({"scopes": scopes})).await;
        let body = expect_status(response, StatusCode::CREATED).await;
        body["data"]["secret"].as_str().expect("secret").to_string()
    }

    /// Another firm in the same server: its admin key.
    pub async fn other_firm(&self) -> String {
        let firm = self.service.create_firm("Other Firm").await.expect("create firm");
        firm.admin_key.secret.expose().to_string()
    }

    /// Creates a client with the admin key and returns its `data`.
    pub async fn create_client(&self, body: Value) -> Value {
        let response = self.post("/v1/clients", &self.admin_key, &body).await;
        expect_status(response, StatusCode::CREATED).await["data"].clone()
    }

    /// A person with a unique name and email.
    pub async fn person(&self, first: &str, last: &str) -> Value {
        let email = format!("{}.{}.{}@example.com", first.to_lowercase(), last.to_lowercase(), ulid::Ulid::new());
        self.create_client(json!({"first_name": first, "last_name": last, "email": email})).await
    }
}

/// The client collections of the dialects, for tests that walk several.
pub mod dialect_clients {
    pub const CALMINTAKE: &str = "/compat/calmintake/api/v1/clients";
    pub const ACTUALLYCARE: &str = "/compat/actuallycare/v1/clients";
    pub const FULL_ENGAGE: &str = "/compat/full-engage/api/v1/clients";
    pub const CLEMTA: &str = "/compat/clemta/contacts";
    pub const CLIO_CONTACTS: &str = "/compat/clio-grow/api/v1/contacts";
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Asserts the status (showing the body if it differs) and returns the JSON body.
pub async fn expect_status(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("body is not JSON: {text}"))
    }
}

/// Asserts a problem+json response with this status and code; returns it.
pub async fn expect_problem(response: Response, status: StatusCode, code: &str) -> Value {
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = expect_status(response, status).await;
    assert_eq!(content_type, "application/problem+json", "body: {body}");
    assert_eq!(body["code"], code, "body: {body}");
    assert_eq!(body["status"], status.as_u16(), "body: {body}");
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(), "body: {body}");
    body
}

/// The `field` names of a validation problem's `errors`.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| e["field"].as_str().unwrap_or_default().to_string()).collect())
        .unwrap_or_default()
}

/// Runs each named `async fn(TestApp)` once per store.
#[macro_export]
macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await).await;
                }
            )*
        }
    };
}
