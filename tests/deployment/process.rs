//! Running the real `clientele` binary, and private PostgreSQL databases and
//! clusters for it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_clientele");

pub fn admin_url() -> String {
    std::env::var("CLIENTELE_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

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

/// A PostgreSQL cluster of the test's own, which it may stop and start without
/// disturbing other tests. Removed when dropped.
pub struct PrivateCluster {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
}

impl PrivateCluster {
    pub fn start() -> Self {
        let bin = postgres_bin_dir();
        let dir = std::env::temp_dir().join(format!("clientele-pg-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&dir).expect("cluster dir");
        as_postgres_owner(&dir);
        let data = dir.join("data");
        run_pg(&bin.join("initdb"), &["-D", path(&data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        let cluster = Self { port: free_port(), dir, bin };
        cluster.up();
        cluster
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn up(&self) {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, path(&self.dir));
        let log = self.dir.join("log");
        run_pg(&self.bin.join("pg_ctl"), &["-D", path(&self.dir.join("data")), "-o", &options, "-l", path(&log), "-w", "start"]);
    }

    /// Stops the server at once, dropping every connection (`-m fast`).
    pub fn down(&self) {
        run_pg(&self.bin.join("pg_ctl"), &["-D", path(&self.dir.join("data")), "-m", "fast", "-w", "stop"]);
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.down();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn postgres_bin_dir() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(root).expect("PostgreSQL installed").flatten().map(|e| e.path()).collect();
    versions.sort();
    versions.pop().expect("a PostgreSQL version").join("bin")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}

/// PostgreSQL refuses to run as root; as root, its files belong to `postgres`.
fn as_postgres_owner(dir: &Path) {
    if is_root() {
        let status = Command::new("chown").args(["-R", "postgres:postgres", path(dir)]).status().expect("chown");
        assert!(status.success());
    }
}

fn run_pg(program: &Path, args: &[&str]) {
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", path(program)]);
        c
    } else {
        Command::new(program)
    };
    let output = command.args(args).output().expect("run a PostgreSQL tool");
    assert!(output.status.success(), "{program:?} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}
