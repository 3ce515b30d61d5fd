//! Running the real `clientele` binary, and private PostgreSQL databases and
//! clusters for it.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_clientele");

pub use crate::services::{free_port, postgres_admin_url as admin_url, PrivateCluster};

/// A connection to `url`, driven on its own task.
pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(conn);
    client
}

/// A fresh database in the shared test cluster, dropped when this is dropped.
pub struct Database {
    pub url: String,
    name: String,
}

impl Database {
    pub async fn create() -> Self {
        let admin = admin_url();
        let name = format!("clientele_t_{}", ulid::Ulid::new().to_string().to_lowercase());
        let client = connect(&admin).await;
        client.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create database");
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin);
        Self { url: format!("{base}/{name}"), name }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let _ = Command::new("psql").args([&admin_url(), "-qc", &sql]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}

/// Runs a CLI command against `database_url` and parses its JSON output.
pub fn cli(database_url: &str, args: &[&str]) -> Value {
    let output = Command::new(BIN).args(args).args(["--database-url", database_url]).output().expect("run clientele");
    assert!(output.status.success(), "clientele {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("CLI prints JSON")
}

/// A `clientele serve` process, killed when dropped.
pub struct Node {
    pub base: String,
    child: Child,
}

impl Node {
    pub async fn start(database_url: &str, extra: &[&str]) -> Self {
        Self::spawn(database_url, extra, "warn", Stdio::null()).await
    }

    /// A node logging at `info` into `log`.
    pub async fn start_logging(database_url: &str, log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("log file");
        Self::spawn(database_url, &[], "info", Stdio::from(file)).await
    }

    async fn spawn(database_url: &str, extra: &[&str], level: &str, stdout: Stdio) -> Self {
        let port = free_port();
        let child = Command::new(BIN)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--database-url", database_url, "--log", level])
            .args(extra)
            .stdout(stdout)
            .stderr(Stdio::null())
            .spawn()
            .expect("start clientele");
        let node = Self { base: format!("http://127.0.0.1:{port}"), child };
        node.wait_ready(Duration::from_secs(20)).await;
        node
    }

    pub async fn wait_ready(&self, limit: Duration) {
        let started = Instant::now();
        let http = reqwest::Client::new();
        while started.elapsed() < limit {
            if let Ok(r) = http.get(format!("{}/readyz", self.base)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("node at {} not ready within {limit:?}", self.base);
    }
}

impl Node {
    /// Sends SIGTERM and waits (at most `limit`) for the process to exit.
    pub fn terminate(&mut self, limit: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for clientele") {
                return status;
            }
            assert!(started.elapsed() < limit, "clientele did not exit within {limit:?} of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
