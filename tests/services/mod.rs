//! The PostgreSQL and Redis the test suites use, shared by `tests/api` and
//! `tests/deployment` (each includes this file).
//!
//! A configured URL (`CLIENTELE_TEST_POSTGRES_URL`, `CLIENTELE_TEST_REDIS_URL`)
//! is used as it is. Without one, a server already answering on the default
//! port (5432, 6379) is used. Without that, the first test that needs one
//! starts a throwaway server of the test process's own, in a temporary
//! directory on a free port, and a reaper stops it and removes its files when
//! the test process exits. So `cargo test` passes on a machine where the
//! servers are installed but not running; where they are not installed, the
//! tests that need them fail naming the Debian packages.

#![allow(dead_code)] // each suite uses a part

pub mod receiver;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
const DEFAULT_REDIS: &str = "redis://127.0.0.1:6379";

/// The cluster the PostgreSQL tests make their databases in.
pub fn postgres_admin_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| url_of("CLIENTELE_TEST_POSTGRES_URL", DEFAULT_POSTGRES, || answers(5432), start_throwaway_postgres)).clone()
}

/// The Redis the shared rate-limit tests use.
pub fn redis_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| url_of("CLIENTELE_TEST_REDIS_URL", DEFAULT_REDIS, || redis_answers(6379), start_throwaway_redis)).clone()
}

/// The configured URL, else the default if it answers, else a throwaway's.
fn url_of(variable: &str, default: &str, default_answers: impl FnOnce() -> bool, start: impl FnOnce() -> Throwaway) -> String {
    if let Ok(url) = std::env::var(variable) {
        return url;
    }
    if default_answers() {
        return default.to_string();
    }
    let url = start().url;
    eprintln!("tests: nothing answers at {default} and {variable} is not set; started a throwaway server at {url}");
    url
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

pub fn answers(port: u16) -> bool {
    TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), Duration::from_millis(500)).is_ok()
}

/// Whether a Redis answers `PING` on this port (not just anything listening).
pub fn redis_answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok() && stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

/// A PostgreSQL cluster of the test process's own, which a test may stop and
/// start without disturbing others. Removed when dropped.
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
        // As many connections as the whole HTTP suite opens at once, and no
        // fsync: nothing here must survive the machine.
        let options =
            format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300", self.port, path(&self.dir));
        let log = self.dir.join("log");
        run_pg(&self.bin.join("pg_ctl"), &["-D", path(&self.dir.join("data")), "-o", &options, "-l", path(&log), "-w", "start"]);
    }

    /// Stops the server at once, dropping every connection (`-m fast`).
    pub fn down(&self) {
        run_pg(&self.bin.join("pg_ctl"), &["-D", path(&self.dir.join("data")), "-m", "fast", "-w", "stop"]);
    }

    /// A shell command that stops the cluster and removes its files.
    fn stop_command(&self) -> String {
        let pg_ctl = self.bin.join("pg_ctl");
        let stop = format!("{} -D {} -m immediate -w stop", path(&pg_ctl), path(&self.dir.join("data")));
        let stop = if is_root() { format!("runuser -u postgres -- {stop}") } else { stop };
        format!("{stop} >/dev/null 2>&1; rm -rf {}", path(&self.dir))
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.down();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A server that lives until this process exits: its URL and its files.
pub struct Throwaway {
    pub url: String,
    pub dir: PathBuf,
}

/// Starts a PostgreSQL cluster that lives until this process exits.
pub fn start_throwaway_postgres() -> Throwaway {
    let cluster = PrivateCluster::start();
    reap_at_exit(&cluster.stop_command());
    let throwaway = Throwaway { url: cluster.url(), dir: cluster.dir.clone() };
    std::mem::forget(cluster); // the reaper stops it
    throwaway
}

/// Starts `redis-server` on a free port (no persistence) that lives until
/// this process exits.
pub fn start_throwaway_redis() -> Throwaway {
    let server = find_program("redis-server", &[]).unwrap_or_else(|| {
        panic!(
            "Redis is not running on 127.0.0.1:6379 and `redis-server` is not installed: install the Debian package \
             `redis-server` (apt-get install redis-server), or set CLIENTELE_TEST_REDIS_URL"
        )
    });
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("clientele-redis-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).expect("redis dir");
    let pidfile = dir.join("redis.pid");
    let status = Command::new(&server)
        .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no", "--daemonize", "yes"])
        .args(["--dir", path(&dir), "--pidfile", path(&pidfile), "--logfile", path(&dir.join("log"))])
        .stdin(Stdio::null())
        .status()
        .expect("run redis-server");
    assert!(status.success(), "redis-server did not start (logs in {})", dir.display());
    let began = Instant::now();
    while !redis_answers(port) {
        assert!(began.elapsed() < Duration::from_secs(10), "redis-server on port {port} did not answer (logs in {})", dir.display());
        std::thread::sleep(Duration::from_millis(20));
    }
    reap_at_exit(&format!("kill $(cat {pid}) 2>/dev/null; sleep 0.2; rm -rf {dir}", pid = path(&pidfile), dir = path(&dir)));
    Throwaway { url: format!("redis://127.0.0.1:{port}"), dir }
}

/// Runs `cleanup` (a shell command) once this process has exited, however it
/// exits: from a process of its own session, so a Ctrl-C of the test run
/// does not take it down before it has cleaned up.
fn reap_at_exit(cleanup: &str) {
    let script = format!("while kill -0 {} 2>/dev/null; do sleep 0.5; done; {cleanup}", std::process::id());
    Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the reaper of a throwaway server (setsid, from util-linux)");
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `name` on the PATH or in one of `dirs`.
fn find_program(name: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    let path_dirs = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default();
    dirs.iter().chain(path_dirs.iter()).map(|d| d.join(name)).find(|p| p.is_file())
}

/// Where `initdb` and `pg_ctl` are: Debian keeps them out of the PATH, in
/// `/usr/lib/postgresql/<version>/bin` (the newest wins).
fn postgres_bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| dir.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.sort();
    versions.reverse();
    find_program("initdb", &versions).and_then(|initdb| {
        let bin = initdb.parent()?.to_path_buf();
        bin.join("pg_ctl").is_file().then_some(bin)
    })
    .unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not running on 127.0.0.1:5432 and `initdb`/`pg_ctl` are not installed: install the Debian \
             package `postgresql` (apt-get install postgresql), or set CLIENTELE_TEST_POSTGRES_URL"
        )
    })
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
