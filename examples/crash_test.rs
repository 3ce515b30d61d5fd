//! Crash test: no acknowledged write is ever lost when `clientele serve` is
//! killed with SIGKILL (`kill -9`) in the middle of a write load.
//!
//! For each store (SQLite file, fresh PostgreSQL database) it starts the real
//! binary, runs `--writers` concurrent writers against it (creates, each with
//! an `Idempotency-Key` and half with a unique email, and merge patches of
//! `notes` + `tags`, half of the patches guarded by `If-Match`), kills the
//! server with SIGKILL at random moments `--kills` times, restarting it on the
//! same database each time, and finally checks, after one last kill and
//! restart, that every write that got a 2xx is stored exactly as acknowledged,
//! and that no create retried with its key after a kill made a second client.
//!
//! ```text
//! cargo build --all-targets
//! target/debug/examples/crash_test --short            # CI: both stores, 5 kills each
//! target/debug/examples/crash_test --store both       # full: 20 kills per store
//! ```
//!
//! Bookkeeping. Each writer owns the records it created, so the writes to one
//! record are sequential and in a known order. Every write carries a unique
//! token (in `notes` and `tags`) and is remembered as acknowledged (2xx with
//! its body), rejected (a 4xx: not applied), not sent (no connection could be
//! made: the server was down) or in doubt (the connection broke, a timeout, a
//! 5xx: it may or may not have been applied). At the end each record must
//! exist with its create's name and email, and its stored token must be that
//! of its last acknowledged write or of an in-doubt write made after it, at
//! the version acknowledged with that token. Every acknowledged write after
//! the one whose token is stored counts as lost; a missing record loses all
//! its acknowledged writes.
//!
//! Retries. A create in doubt is sent again, with the same `Idempotency-Key`,
//! until the server answers it: a 201 (replayed, or made now if the first
//! attempt never committed), or 409 `idempotency_response_lost` (made, its
//! response lost in the crash). Every create has a unique last name, and
//! half have no email, so only the key stops a retry from making a second
//! client: at the end, a last name held by two clients is a create made twice.
//!
//! Exit status: 0 when nothing was lost or made twice; 1 when a write was
//! lost or made twice, something else is inconsistent, or the server did not
//! come back; 2 when the run could
//! not prove anything (no binary, no kill, no acknowledged create or patch).
//! Described, with measured figures, in docs/deployment.md.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum StoreChoice {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Parser, Debug)]
#[command(about = "kill -9 `clientele serve` under write load and check that no acknowledged write is lost")]
struct Args {
    /// Which store to crash: sqlite, postgres or both. Default: both.
    #[arg(long, value_enum)]
    store: Option<StoreChoice>,
    /// SIGKILLs per store. Default: 20 (5 with --short).
    #[arg(long)]
    kills: Option<u32>,
    /// Concurrent writers. Default: 100.
    #[arg(long)]
    writers: Option<usize>,
    /// Mean time the server runs between a restart and the next kill; each
    /// interval is uniform in [0.05, 1.95] × this. Default: 2.0 (1.0 with --short).
    #[arg(long)]
    seconds_between_kills: Option<f64>,
    /// The `clientele` binary to crash.
    #[arg(long, default_value = "target/debug/clientele")]
    binary: PathBuf,
    /// CI preset: both stores, 5 kills each, 100 writers, 1 s between kills
    /// (explicit flags still win).
    #[arg(long)]
    short: bool,
    /// An existing PostgreSQL database to connect to for creating (and
    /// dropping) a fresh database of the run's own.
    #[arg(long, env = "CLIENTELE_TEST_POSTGRES_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres_url: String,
    /// Seed for the writers' choices and the kill times (random by default;
    /// the kills hit the server at different points of its work anyway).
    #[arg(long)]
    seed: Option<u64>,
    /// Keep the databases and server logs even when nothing was lost.
    #[arg(long)]
    keep: bool,
    /// Checks the checker: before verifying, rolls one record back to its
    /// create and deletes another, then exits 0 only if exactly those
    /// acknowledged writes are reported lost.
    #[arg(long)]
    self_check: bool,
}

struct Settings {
    stores: Vec<StoreChoice>,
    kills: u32,
    writers: usize,
    between: f64,
    binary: PathBuf,
    postgres_url: String,
    seed: u64,
    keep: bool,
    self_check: bool,
}

impl Settings {
    fn from(args: Args) -> Self {
        let store = args.store.unwrap_or(StoreChoice::Both);
        let stores = match store {
            StoreChoice::Both => vec![StoreChoice::Sqlite, StoreChoice::Postgres],
            one => vec![one],
        };
        Self {
            stores,
            kills: args.kills.unwrap_or(if args.short { 5 } else { 20 }),
            writers: args.writers.unwrap_or(100).max(1),
            between: args.seconds_between_kills.unwrap_or(if args.short { 1.0 } else { 2.0 }).max(0.01),
            binary: args.binary,
            postgres_url: args.postgres_url,
            seed: args.seed.unwrap_or_else(|| rand::rng().random()),
            keep: args.keep,
            self_check: args.self_check,
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let s = Settings::from(Args::parse());
    if !s.binary.exists() {
        eprintln!("crash_test: no binary at {} (run `cargo build --all-targets`, or pass --binary)", s.binary.display());
        std::process::exit(2);
    }
    eprintln!(
        "crash_test: binary {}, {} writers, {} kills per store, ~{:.2} s between kills, seed {}",
        s.binary.display(),
        s.writers,
        s.kills,
        s.between,
        s.seed
    );
    let started = Instant::now();
    let mut reports = Vec::new();
    for (i, store) in s.stores.iter().enumerate() {
        let report = match run_store(&s, *store, s.seed.wrapping_add(i as u64 * 0x9E37_79B9)).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("crash_test: {store:?}: {e}");
                println!("FAILED: {store:?}: {e}");
                std::process::exit(1);
            }
        };
        reports.push(report);
    }

    println!();
    println!("crash test report (seed {}, {} writers, {:.2} s mean between kills)", s.seed, s.writers, s.between);
    println!(
        "{:<9} {:>4} {:>5} {:>9} {:>8} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>5} {:>5} {:>4} {:>7}",
        "store",
        "runs",
        "kills",
        "creates+",
        "retried",
        "patches+",
        "in-doubt",
        "applied",
        "not-sent",
        "rejected",
        "records",
        "lost",
        "twice",
        "odd",
        "seconds"
    );
    let mut lost = 0;
    let mut twice = 0;
    let mut odd = 0;
    let mut proved = true;
    for r in &reports {
        println!(
            "{:<9} {:>4} {:>5} {:>9} {:>8} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>5} {:>5} {:>4} {:>7.1}",
            r.store,
            r.runs,
            r.kills,
            r.creates_acked,
            r.creates_retried,
            r.patches_acked,
            r.unknown,
            r.unknown_applied,
            r.not_sent,
            r.rejected,
            r.records_checked,
            r.lost,
            r.duplicates,
            r.anomalies,
            r.seconds
        );
        lost += r.lost;
        twice += r.duplicates;
        odd += r.anomalies;
        proved &= r.creates_acked > 0 && r.patches_acked > 0 && r.kills > 0;
    }
    println!("creates+/patches+: acknowledged with a 2xx; retried: in-doubt creates sent again with their Idempotency-Key and");
    println!("answered (replayed, made, or said made); twice: clients made a second time by such a retry;");
    println!("in-doubt: cut off by a kill (or a 5xx), may or may not be applied;");
    println!("applied: in-doubt patches found stored; not-sent: no connection (server down); rejected: 4xx (412 after an");
    println!("in-doubt patch applied, 429); records: acknowledged creates checked; odd: inconsistencies other than loss");
    println!("writes lost: {lost}   made twice: {twice}   ({:.1} s in all)", started.elapsed().as_secs_f64());
    if s.self_check {
        let injected: u64 = reports.iter().map(|r| r.injected).sum();
        let twins = reports.len() as u64;
        if lost == injected && odd == 0 && twice == twins && injected > 0 {
            println!("SELF-CHECK OK: the {injected} acknowledged writes undone on purpose were all reported lost, the {twins} creates made twice on purpose were found, and nothing else");
            return;
        }
        println!("SELF-CHECK FAILED: undid {injected} acknowledged writes and made {twins} creates twice on purpose, the check reported {lost} lost, {twice} twice and {odd} odd");
        std::process::exit(1);
    }
    if lost > 0 || odd > 0 || twice > 0 {
        println!("FAILED: acknowledged writes were lost, made twice, or are not stored as acknowledged (details above)");
        std::process::exit(1);
    }
    if !proved {
        println!("INCONCLUSIVE: a store saw no kill or no acknowledged create/patch");
        std::process::exit(2);
    }
    println!("OK: every acknowledged write survived");
}

struct Report {
    store: &'static str,
    runs: u32,
    kills: u32,
    creates_acked: u64,
    /// In-doubt creates retried with their key and acknowledged, or told
    /// their change was made.
    creates_retried: u64,
    duplicates: u64,
    patches_acked: u64,
    unknown: u64,
    unknown_applied: u64,
    not_sent: u64,
    rejected: u64,
    records_checked: u64,
    lost: u64,
    anomalies: u64,
    seconds: f64,
    /// Acknowledged writes undone on purpose by --self-check.
    injected: u64,
}

// ---------------------------------------------------------------------------
// The server process and its database.

/// A `clientele serve` process on a fixed database, killed and restarted at will.
struct Server {
    binary: PathBuf,
    database_url: String,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
    starts: u32,
}

impl Server {
    /// Starts the server and waits until `/readyz` answers 200. A port taken
    /// meanwhile (the process exits at once) gets a new port.
    async fn start(&mut self, base: &RwLock<String>) -> Result<Duration, String> {
        let began = Instant::now();
        for _attempt in 0..5 {
            let stderr_at = std::fs::metadata(self.dir.join("server.stderr")).map(|m| m.len() as usize).unwrap_or(0);
            let out = append(&self.dir.join("server.stdout"))?;
            let err = append(&self.dir.join("server.stderr"))?;
            let child = Command::new(&self.binary)
                .args(["serve", "--bind", &format!("127.0.0.1:{}", self.port), "--database-url", &self.database_url, "--log", "warn"])
                // Per-key rate limits would throttle the writers, who all
                // share one key, to a trickle (ignored by builds without them).
                .env("CLIENTELE_RATE_LIMIT_PER_MINUTE", "100000000")
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", self.binary.display()))?;
            self.child = Some(child);
            self.starts += 1;
            match self.wait_ready(Duration::from_secs(60)).await {
                Ok(()) => {
                    *base.write().unwrap() = format!("http://127.0.0.1:{}", self.port);
                    return Ok(began.elapsed());
                }
                Err(Exited(status)) => {
                    let all = tail(&self.dir.join("server.stderr"), usize::MAX);
                    let tail = all.get(stderr_at..).unwrap_or("").to_string();
                    if tail.contains("cannot listen") {
                        self.port = pick_port();
                        continue;
                    }
                    return Err(format!("the server exited during start ({status}); stderr ends with:\n{tail}"));
                }
                Err(TimedOut) => {
                    self.kill9();
                    return Err(format!("the server was not ready within 60 s; logs in {}", self.dir.display()));
                }
            }
        }
        Err("could not find a free port".into())
    }

    async fn wait_ready(&mut self, limit: Duration) -> Result<(), NotReady> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().expect("HTTP client");
        let url = format!("http://127.0.0.1:{}/readyz", self.port);
        let began = Instant::now();
        while began.elapsed() < limit {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(Exited(status.to_string()));
                }
            }
            if let Ok(r) = http.get(&url).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Err(TimedOut)
    }

    /// SIGKILL (`Child::kill` sends SIGKILL on Unix): no drain, no flush, no
    /// destructor runs.
    fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

enum NotReady {
    Exited(String),
    TimedOut,
}
use NotReady::{Exited, TimedOut};

fn append(path: &Path) -> Result<File, String> {
    OpenOptions::new().create(true).append(true).open(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn tail(path: &Path, bytes: usize) -> String {
    let mut text = String::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    let start = text.len().saturating_sub(bytes);
    let start = (start..text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
    text[start..].to_string()
}

/// A free port below the ephemeral range (32768+), so that while the server
/// is down no client socket is given its port.
fn pick_port() -> u16 {
    let mut rng = rand::rng();
    for _ in 0..200 {
        let port = rng.random_range(20_000..32_000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A fresh PostgreSQL database, named like the deployment tests' own
/// (`clientele_t_…`, so `.ci/run` drops any an interrupted run leaves behind).
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create(admin_url: &str) -> Result<Self, String> {
        let name = format!("clientele_t_crash_{}", ulid::Ulid::new().to_string().to_lowercase());
        let (client, conn) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
            .await
            .map_err(|e| format!("cannot connect to PostgreSQL at {admin_url}: {e}"))?;
        tokio::spawn(conn);
        client.batch_execute(&format!("CREATE DATABASE {name}")).await.map_err(|e| format!("CREATE DATABASE: {e}"))?;
        let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or_else(|| admin_url.to_string());
        Ok(Self { admin_url: admin_url.to_string(), url: format!("{base}/{}", name), name })
    }

    async fn drop_database(&self) {
        if let Ok((client, conn)) = tokio_postgres::connect(&self.admin_url, tokio_postgres::NoTls).await {
            tokio::spawn(conn);
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await;
        }
    }
}

// ---------------------------------------------------------------------------
// One store: start, load, kill, restart, …, verify.

async fn run_store(s: &Settings, store: StoreChoice, seed: u64) -> Result<Report, String> {
    let label = match store {
        StoreChoice::Sqlite => "sqlite",
        _ => "postgres",
    };
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("clientele-crash-{label}-{}", ulid::Ulid::new().to_string().to_lowercase()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let pg = match store {
        StoreChoice::Sqlite => None,
        _ => Some(PgDatabase::create(&s.postgres_url).await?),
    };
    let database_url = match &pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", dir.join("crash.db").display()),
    };
    let mut server = Server { binary: s.binary.clone(), database_url: database_url.clone(), dir: dir.clone(), port: pick_port(), child: None, starts: 0 };
    let base = Arc::new(RwLock::new(String::new()));
    server.start(&base).await?;
    let key = admin_key(&server)?;
    eprintln!("[{label}] database {database_url}, logs in {}", dir.display());

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(2))
        .pool_max_idle_per_host(s.writers)
        .build()
        .map_err(|e| e.to_string())?;
    let shared = Arc::new(Shared { base: base.clone(), key, http, stop: AtomicBool::new(false), acked: AtomicU64::new(0) });
    let writers: Vec<_> = (0..s.writers)
        .map(|w| tokio::spawn(writer(w, shared.clone(), seed.wrapping_mul(1_000_003).wrapping_add(w as u64))))
        .collect();

    // Kill at random moments; restart on the same database at once.
    let mut rng = StdRng::seed_from_u64(seed);
    let mut kills = 0;
    let mut quiet_runs = 0;
    for k in 1..=s.kills {
        let before = shared.acked.load(Ordering::Relaxed);
        let wait = s.between * rng.random_range(0.05..1.95);
        tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        let in_run = shared.acked.load(Ordering::Relaxed) - before;
        server.kill9();
        kills += 1;
        if in_run == 0 {
            quiet_runs += 1;
        }
        if k == s.kills {
            eprintln!("[{label}] kill {k}/{} after {wait:.2} s ({in_run} acks in that run); stopping the writers", s.kills);
            break;
        }
        let pause = rng.random_range(0..200);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let took = server.start(&base).await?;
        eprintln!(
            "[{label}] kill {k}/{} after {wait:.2} s ({in_run} acks in that run); down {pause} ms, ready again in {:.2} s",
            s.kills,
            took.as_secs_f64()
        );
    }
    if s.kills == 0 {
        tokio::time::sleep(Duration::from_secs_f64(s.between)).await;
    }

    // Stop the writers while the server is down (after the last kill), so
    // every acknowledged write is checked after a crash.
    shared.stop.store(true, Ordering::Relaxed);
    let mut logs = Vec::new();
    for w in writers {
        logs.push(w.await.map_err(|e| format!("a writer panicked: {e}"))?);
    }
    if server.child.is_none() {
        server.start(&base).await?;
    }
    let injected = if s.self_check { inject_losses(&shared, &logs, label).await? } else { 0 };
    let verdict = verify(&shared, &logs, label).await?;
    server.kill9();

    let count = |f: &dyn Fn(&Attempt) -> bool| logs.iter().flat_map(|l| l.attempts()).filter(|a| f(a)).count() as u64;
    let mut report = Report {
        store: label,
        runs: server.starts,
        kills,
        creates_acked: logs.iter().map(|l| l.records.len() as u64).sum(),
        creates_retried: logs.iter().map(|l| l.creates_retried + l.response_lost.len() as u64).sum(),
        duplicates: verdict.duplicates,
        patches_acked: count(&|a| a.kind == Kind::Patch && matches!(a.outcome, Outcome::Acked(_))),
        unknown: count(&|a| a.outcome == Outcome::Unknown) + logs.iter().map(|l| l.creates_unknown).sum::<u64>(),
        unknown_applied: verdict.unknown_applied,
        not_sent: count(&|a| a.outcome == Outcome::NotSent) + logs.iter().map(|l| l.creates_not_sent).sum::<u64>(),
        rejected: count(&|a| a.outcome == Outcome::Rejected) + logs.iter().map(|l| l.creates_rejected).sum::<u64>(),
        records_checked: verdict.checked,
        lost: verdict.lost,
        anomalies: verdict.anomalies,
        seconds: started.elapsed().as_secs_f64(),
        injected,
    };
    // Responses the writers did not expect (a 4xx other than 409/412, a 2xx
    // that does not echo the write) mean the load is not what it claims to be.
    for (status, body) in logs.iter().flat_map(|l| l.unexpected.iter()).take(20) {
        eprintln!("[{label}] ODD: unexpected response {status}: {body}");
    }
    report.anomalies += logs.iter().map(|l| l.unexpected.len() as u64).sum::<u64>();
    let throttled: u64 = logs.iter().map(|l| l.throttled).sum();
    if throttled > 0 {
        eprintln!("[{label}] note: {throttled} write(s) were refused with 429 (rate limit); counted as rejected");
    }
    if quiet_runs > 0 {
        eprintln!("[{label}] note: {quiet_runs} run(s) ended before any write was acknowledged");
    }
    let failed = report.lost > 0 || report.anomalies > 0 || report.duplicates > 0;
    if (failed && !s.self_check) || s.keep {
        eprintln!("[{label}] kept for inspection: database {database_url}, server logs in {}", dir.display());
    } else {
        if let Some(pg) = &pg {
            pg.drop_database().await;
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(report)
}

/// The admin key the server prints to stderr on its first start, or else one
/// made with `clientele firms create`.
fn admin_key(server: &Server) -> Result<String, String> {
    let stderr = tail(&server.dir.join("server.stderr"), 1 << 20);
    if let Some(key) = stderr.split_whitespace().find(|w| w.starts_with("clt_")) {
        return Ok(key.to_string());
    }
    let output = Command::new(&server.binary)
        .args(["firms", "create", "--name", "Crash Test LLP", "--database-url", &server.database_url])
        .output()
        .map_err(|e| e.to_string())?;
    let v: Value = serde_json::from_slice(&output.stdout).map_err(|e| format!("`firms create` printed no JSON: {e}"))?;
    v["admin_key"]["secret"].as_str().map(str::to_string).ok_or_else(|| "`firms create` printed no secret".into())
}

// ---------------------------------------------------------------------------
// Writers.

struct Shared {
    base: Arc<RwLock<String>>,
    key: String,
    http: reqwest::Client,
    stop: AtomicBool,
    acked: AtomicU64,
}

impl Shared {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.read().unwrap())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Create,
    Patch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// 2xx with the stored version.
    Acked(i64),
    /// 4xx: refused, so not applied.
    Rejected,
    /// No answer, or a 5xx: may or may not have been applied.
    Unknown,
    /// Never reached a server.
    NotSent,
}

/// One write to a record, in the order its writer made them.
#[derive(Debug)]
struct Attempt {
    kind: Kind,
    token: String,
    outcome: Outcome,
}

/// A record whose create was acknowledged, and every write made to it since.
#[derive(Debug)]
struct Record {
    id: String,
    email: Option<String>,
    last_name: String,
    attempts: Vec<Attempt>,
    /// The version `If-Match` is based on: the last one this writer saw.
    known_version: i64,
}

#[derive(Default)]
struct WriterLog {
    records: Vec<Record>,
    creates_unknown: u64,
    creates_not_sent: u64,
    creates_rejected: u64,
    /// 429s (rejected, so not applied): the server's rate limit.
    throttled: u64,
    /// In-doubt creates acknowledged when retried with their key.
    creates_retried: u64,
    /// Creates whose retry learned they were made but their response lost
    /// (`idempotency_response_lost`), by last name.
    response_lost: Vec<String>,
    unexpected: Vec<(u16, String)>,
}

impl WriterLog {
    fn attempts(&self) -> impl Iterator<Item = &Attempt> {
        self.records.iter().flat_map(|r| r.attempts.iter())
    }
}

/// What a request came back with.
enum Answer {
    Ok(Value),
    Refused(u16, String),
    Unanswered,
    /// No connection: the request never reached a server.
    NotSent,
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) if e.is_connect() => return Answer::NotSent,
        Err(_) => return Answer::Unanswered,
    };
    let status = response.status();
    if status.is_success() {
        // A 2xx whose body never arrived is not an acknowledgement we can use.
        match response.json::<Value>().await {
            Ok(body) => Answer::Ok(body),
            Err(_) => Answer::Unanswered,
        }
    } else if status.is_client_error() {
        Answer::Refused(status.as_u16(), response.text().await.unwrap_or_default())
    } else {
        Answer::Unanswered
    }
}

fn token_of(body: &Value) -> Option<&str> {
    body["tags"].as_array().and_then(|t| t.get(1)).and_then(Value::as_str)
}

fn content(token: &str) -> (String, Value) {
    (format!("crash test write {token}"), json!(["crash", token]))
}

/// A create and its `Idempotency-Key`: sent again, with the same key, while
/// its outcome is in doubt.
struct Create {
    key: String,
    token: String,
    /// Half the creates have none, so that nothing but the key stops a
    /// retried create from making a second client.
    email: Option<String>,
    /// Unique per create: how the end finds a client made twice.
    last_name: String,
    /// A retry of a create whose first attempt is in doubt.
    retry: bool,
}

/// Sends `create`; returns whether the server answered, and the create
/// again when it is (still) in doubt, to be retried with its key.
async fn send_create(shared: &Shared, log: &mut WriterLog, create: Create) -> (bool, Option<Create>) {
    let (notes, tags) = content(&create.token);
    let mut body = json!({"first_name": "Crash", "last_name": create.last_name, "notes": notes, "tags": tags});
    if let Some(email) = &create.email {
        body["email"] = json!(email);
    }
    let request =
        shared.http.post(shared.url("/v1/clients")).header("X-Api-Key", &shared.key).header("Idempotency-Key", &create.key).json(&body);
    match send(request).await {
        Answer::Ok(body) => {
            let data = &body["data"];
            let (Some(id), Some(version)) = (data["id"].as_str(), data["version"].as_i64()) else {
                log.unexpected.push((201, body.to_string()));
                return (true, None);
            };
            if data["email"] != json!(create.email) || token_of(data) != Some(create.token.as_str()) {
                log.unexpected.push((201, format!("the response does not echo the create: {body}")));
            }
            shared.acked.fetch_add(1, Ordering::Relaxed);
            log.creates_retried += u64::from(create.retry);
            let attempts = vec![Attempt { kind: Kind::Create, token: create.token, outcome: Outcome::Acked(version) }];
            let (email, last_name) = (create.email, create.last_name);
            log.records.push(Record { id: id.to_string(), email, last_name, attempts, known_version: version });
            (true, None)
        }
        // The first attempt made the client and the crash took its response:
        // the end checks that it exists, once.
        Answer::Refused(409, body) if body.contains("idempotency_response_lost") => {
            log.response_lost.push(create.last_name);
            (true, None)
        }
        // A claim without a response is "in progress" for a minute after a crash.
        Answer::Refused(409, body) if body.contains("idempotency_in_progress") => (false, Some(create)),
        Answer::Refused(429, _) => {
            log.creates_rejected += 1;
            log.throttled += 1;
            (false, None)
        }
        Answer::Refused(status, body) => {
            log.creates_rejected += 1;
            log.unexpected.push((status, body));
            (true, None)
        }
        Answer::Unanswered => {
            log.creates_unknown += 1;
            (false, Some(Create { retry: true, ..create }))
        }
        Answer::NotSent if create.retry => (false, Some(create)),
        Answer::NotSent => {
            log.creates_not_sent += 1;
            (false, None)
        }
    }
}

async fn writer(w: usize, shared: Arc<Shared>, seed: u64) -> WriterLog {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut log = WriterLog::default();
    let mut unexpected = Vec::new();
    let mut in_doubt: Option<Create> = None;
    let mut n: u64 = 0;
    while !shared.stop.load(Ordering::Relaxed) {
        n += 1;
        let token = format!("w{w}n{n}");
        let (notes, tags) = content(&token);
        let answered = if let Some(create) = in_doubt.take() {
            let (answered, again) = send_create(&shared, &mut log, create).await;
            in_doubt = again;
            answered
        } else if log.records.is_empty() || rng.random_bool(0.25) {
            let email = rng.random_bool(0.5).then(|| format!("crash.w{w}.n{n}@example.com"));
            let create = Create { key: format!("crash-{token}"), token, email, last_name: format!("Writer {w} #{n}"), retry: false };
            let (answered, again) = send_create(&shared, &mut log, create).await;
            in_doubt = again;
            answered
        } else {
            let i = rng.random_range(0..log.records.len());
            let if_match = rng.random_bool(0.5);
            let record = &mut log.records[i];
            let path = format!("/v1/clients/{}", record.id);
            let mut request = shared
                .http
                .patch(shared.url(&path))
                .header("X-Api-Key", &shared.key)
                .header("Content-Type", "application/merge-patch+json")
                .body(json!({"notes": notes, "tags": tags}).to_string());
            if if_match {
                request = request.header("If-Match", format!("\"{}\"", record.known_version));
            }
            match send(request).await {
                Answer::Ok(body) => {
                    let data = &body["data"];
                    let Some(version) = data["version"].as_i64() else {
                        unexpected.push((200, body.to_string()));
                        continue;
                    };
                    if token_of(data) != Some(token.as_str()) {
                        unexpected.push((200, format!("the response does not echo the patch: {body}")));
                    }
                    shared.acked.fetch_add(1, Ordering::Relaxed);
                    record.attempts.push(Attempt { kind: Kind::Patch, token, outcome: Outcome::Acked(version) });
                    record.known_version = version;
                    true
                }
                Answer::Refused(status, body) => {
                    let mut answered = true;
                    record.attempts.push(Attempt { kind: Kind::Patch, token, outcome: Outcome::Rejected });
                    if status == 412 || (status == 409 && body.contains("version_conflict")) {
                        // An earlier unknown patch did apply: learn the version.
                        let get = shared.http.get(shared.url(&path)).header("X-Api-Key", &shared.key);
                        if let Answer::Ok(body) = send(get).await {
                            if let Some(v) = body["data"]["version"].as_i64() {
                                record.known_version = v;
                            }
                        }
                    } else if status == 429 {
                        log.throttled += 1;
                        answered = false;
                    } else {
                        unexpected.push((status, body));
                    }
                    answered
                }
                Answer::Unanswered => {
                    record.attempts.push(Attempt { kind: Kind::Patch, token, outcome: Outcome::Unknown });
                    false
                }
                Answer::NotSent => {
                    record.attempts.push(Attempt { kind: Kind::Patch, token, outcome: Outcome::NotSent });
                    false
                }
            }
        };
        if !answered {
            // The server is down (or restarting): don't spin.
            tokio::time::sleep(Duration::from_millis(rng.random_range(20..60))).await;
        }
    }
    log.unexpected.append(&mut unexpected);
    log
}

// ---------------------------------------------------------------------------
// Verification.

struct Verdict {
    checked: u64,
    /// Clients made a second time by a retried create (same key).
    duplicates: u64,
    /// Patches with an unknown outcome whose value is the one stored.
    unknown_applied: u64,
    lost: u64,
    anomalies: u64,
}

async fn verify(shared: &Shared, logs: &[WriterLog], label: &str) -> Result<Verdict, String> {
    let records: Vec<&Record> = logs.iter().flat_map(|l| l.records.iter()).collect();
    let mut stored: HashMap<String, Value> = HashMap::with_capacity(records.len());
    for chunk in records.chunks(100) {
        let ids: Vec<&str> = chunk.iter().map(|r| r.id.as_str()).collect();
        let url = shared.url(&format!("/v1/clients?limit=100&ids={}", ids.join(",")));
        let body = get_json(shared, &url).await?;
        for c in body["data"].as_array().ok_or_else(|| format!("list answered without data: {body}"))? {
            if let Some(id) = c["id"].as_str() {
                stored.insert(id.to_string(), c.clone());
            }
        }
        // Anything the list left out: ask for it alone (404 = gone).
        let missing: Vec<&Record> = chunk.iter().copied().filter(|r| !stored.contains_key(&r.id)).collect();
        for r in missing {
            let response = shared
                .http
                .get(shared.url(&format!("/v1/clients/{}", r.id)))
                .header("X-Api-Key", &shared.key)
                .send()
                .await
                .map_err(|e| format!("verification GET failed: {e}"))?;
            if response.status().is_success() {
                let body: Value = response.json().await.map_err(|e| e.to_string())?;
                stored.insert(r.id.clone(), body["data"].clone());
            }
        }
    }

    let mut verdict = Verdict { checked: 0, duplicates: 0, unknown_applied: 0, lost: 0, anomalies: 0 };
    let mut shown = 0;
    let mut show = |line: String| {
        if shown < 30 {
            eprintln!("[{label}] {line}");
        }
        shown += 1;
    };
    for r in records {
        verdict.checked += 1;
        let acked = |from: usize| r.attempts[from..].iter().filter(|a| matches!(a.outcome, Outcome::Acked(_))).count() as u64;
        let Some(c) = stored.get(&r.id) else {
            verdict.lost += acked(0);
            show(format!("LOST: client {} ({}) is missing; its create and {} acknowledged patch(es) are gone", r.id, r.last_name, acked(1)));
            continue;
        };
        if c["email"] != json!(r.email) || c["last_name"] != r.last_name.as_str() || c["first_name"] != "Crash" {
            verdict.lost += 1;
            show(format!("LOST: client {} does not hold its acknowledged create ({:?}, {}): {c}", r.id, r.email, r.last_name));
        }
        let token = token_of(c).unwrap_or("");
        let version = c["version"].as_i64().unwrap_or(-1);
        let (notes, tags) = content(token);
        if c["notes"] != notes.as_str() || c["tags"] != tags {
            verdict.anomalies += 1;
            show(format!("ODD: client {} has notes {} and tags {} (half of a write?)", r.id, c["notes"], c["tags"]));
        }
        let Some(at) = r.attempts.iter().position(|a| a.token == token) else {
            verdict.lost += acked(0);
            show(format!("LOST: client {} holds `{token}`, a value none of its writes sent: {c}", r.id));
            continue;
        };
        let after = acked(at + 1);
        if after > 0 {
            verdict.lost += after;
            let last = r.attempts.iter().rev().find(|a| matches!(a.outcome, Outcome::Acked(_))).unwrap();
            show(format!(
                "LOST: client {} holds `{token}` (version {version}, attempt {} of {}, {:?}) but {after} later write(s) were acknowledged, the last `{}` as {:?}",
                r.id,
                at + 1,
                r.attempts.len(),
                r.attempts[at].outcome,
                last.token,
                last.outcome
            ));
            continue;
        }
        match r.attempts[at].outcome {
            Outcome::Acked(v) if v != version => {
                verdict.anomalies += 1;
                show(format!("ODD: client {} holds acknowledged `{token}` at version {version}, acknowledged as version {v}", r.id));
            }
            Outcome::Rejected => {
                verdict.anomalies += 1;
                show(format!("ODD: client {} holds `{token}`, from a write that was refused with a 4xx", r.id));
            }
            Outcome::NotSent => {
                verdict.anomalies += 1;
                show(format!("ODD: client {} holds `{token}`, from a write that never got a connection", r.id));
            }
            Outcome::Unknown => verdict.unknown_applied += 1,
            Outcome::Acked(_) => {}
        }
        let max_acked = r.attempts.iter().filter_map(|a| if let Outcome::Acked(v) = a.outcome { Some(v) } else { None }).max().unwrap_or(0);
        if version < max_acked {
            verdict.lost += 1;
            show(format!("LOST: client {} is at version {version}, below its acknowledged version {max_acked}", r.id));
        }
    }
    if shown > 30 {
        eprintln!("[{label}] … and {} more", shown - 30);
    }
    let (duplicates, missing) = count_twins(shared, logs, label).await?;
    verdict.duplicates = duplicates;
    verdict.anomalies += missing;
    Ok(verdict)
}

/// Every client of the firm, by last name (unique per create): a name held
/// twice is a create made twice; a create whose retry was told it was made
/// (`idempotency_response_lost`) must be there once. Returns (made twice,
/// said made but missing).
async fn count_twins(shared: &Shared, logs: &[WriterLog], label: &str) -> Result<(u64, u64), String> {
    let mut by_name: HashMap<String, u64> = HashMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let after = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = get_json(shared, &shared.url(&format!("/v1/clients?limit=100{after}"))).await?;
        for c in page["data"].as_array().ok_or_else(|| format!("list answered without data: {page}"))? {
            *by_name.entry(c["last_name"].as_str().unwrap_or("").to_string()).or_default() += 1;
        }
        match page["pagination"]["next_cursor"].as_str() {
            Some(next) if page["pagination"]["has_more"] == true => cursor = Some(next.to_string()),
            _ => break,
        }
    }
    let twins: Vec<(&String, &u64)> = by_name.iter().filter(|(_, n)| **n > 1).collect();
    for (name, n) in twins.iter().take(20) {
        eprintln!("[{label}] DUPLICATE: {n} clients named `{name}`, from one create and its retries");
    }
    let missing: Vec<&String> = logs.iter().flat_map(|l| l.response_lost.iter()).filter(|name| !by_name.contains_key(*name)).collect();
    for name in missing.iter().take(20) {
        eprintln!("[{label}] ODD: `{name}` was said to be made (idempotency_response_lost) but is not stored");
    }
    Ok((twins.iter().map(|(_, n)| **n - 1).sum(), missing.len() as u64))
}

/// For --self-check: undoes acknowledged writes behind the checker's back,
/// and makes one create twice, returning how many acknowledged writes it
/// should then report lost.
async fn inject_losses(shared: &Shared, logs: &[WriterLog], label: &str) -> Result<u64, String> {
    let acked = |r: &Record, from: usize| r.attempts[from..].iter().filter(|a| matches!(a.outcome, Outcome::Acked(_))).count() as u64;
    let records: Vec<&Record> = logs.iter().flat_map(|l| l.records.iter()).collect();
    let rolled = records.iter().find(|r| acked(r, 1) > 0).ok_or("no record with an acknowledged patch")?;
    let deleted = records.iter().find(|r| r.id != rolled.id).ok_or("fewer than two records")?;
    let (notes, tags) = content(&rolled.attempts[0].token);
    let patch = shared
        .http
        .patch(shared.url(&format!("/v1/clients/{}", rolled.id)))
        .header("X-Api-Key", &shared.key)
        .header("Content-Type", "application/merge-patch+json")
        .body(json!({"notes": notes, "tags": tags}).to_string());
    let delete = shared.http.delete(shared.url(&format!("/v1/clients/{}", deleted.id))).header("X-Api-Key", &shared.key);
    // What a retry that ignored its key would do: make the client again.
    let twin = shared
        .http
        .post(shared.url("/v1/clients"))
        .header("X-Api-Key", &shared.key)
        .json(&json!({"first_name": "Crash", "last_name": rolled.last_name}));
    for (what, request) in [("roll back", patch), ("delete", delete), ("make a twin", twin)] {
        let status = request.send().await.map_err(|e| e.to_string())?.status();
        if !status.is_success() {
            return Err(format!("self-check could not {what}: {status}"));
        }
    }
    let expected = acked(rolled, 1) + acked(deleted, 0);
    eprintln!(
        "[{label}] self-check: rolled {} back to its create ({} acknowledged patches undone), deleted {} ({} acknowledged writes), made {0}'s create twice",
        rolled.id,
        acked(rolled, 1),
        deleted.id,
        acked(deleted, 0)
    );
    Ok(expected)
}

async fn get_json(shared: &Shared, url: &str) -> Result<Value, String> {
    let response = shared.http.get(url).header("X-Api-Key", &shared.key).send().await.map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| format!("GET {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("GET {url}: {status} {body}"));
    }
    Ok(body)
}
