//! Spawns the real application on a free port over a fresh database, and
//! gives tests a small typed client for it.

use std::sync::Arc;

use clientele::service::Service;
use clientele::store::sqlite::SqliteStore;
use clientele::store::Store;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

/// The stores every HTTP test runs against.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    /// Admin key of the test's main firm.
    pub admin_key: String,
    pub firm_id: String,
    pub backend: Backend,
    pub db_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_path = dir.path().join("clientele.db");
        let store: Arc<dyn Store> = match backend {
            Backend::Sqlite => Arc::new(SqliteStore::open(&db_path).expect("open SQLite store")),
        };
        let service = Service::new(store);
        let firm = service.create_firm("Test Firm").await.expect("create firm");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = clientele::api::router(service);
        tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        Self {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            admin_key: firm.admin_key.secret.expose().to_string(),
            firm_id: firm.firm.id.to_string(),
            backend,
            db_path,
            _dir: dir,
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
        let store: Arc<dyn Store> = match self.backend {
            Backend::Sqlite => Arc::new(SqliteStore::open(&self.db_path).expect("open")),
        };
        let firm = Service::new(store).create_firm("Other Firm").await.expect("create firm");
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
    };
}
