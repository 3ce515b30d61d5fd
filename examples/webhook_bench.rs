//! Webhook dispatcher benchmark: how many deliveries a second it makes to
//! local receivers, and how long a change takes from its commit to the
//! receivers, on SQLite and on PostgreSQL.
//!
//! ```text
//! cargo run --release --example webhook_bench -- --store sqlite
//! cargo run --release --example webhook_bench -- --store postgres --postgres postgres://postgres@127.0.0.1:5432
//! ```
//!
//! Everything runs in this process, as in `clientele serve`: the service and
//! its store, the dispatcher (`service::dispatch::start`), and the receivers
//! (one axum server per subscription on `127.0.0.1:0`, answering 204). Each
//! phase gets a store of its own: a temporary SQLite file, or a fresh
//! PostgreSQL database (`clientele_t_whbench_…`, dropped at the end; `.ci/run`
//! drops any an interrupted run leaves).
//!
//! 1. **Throughput.** A firm, its subscriptions (`client.*`), then `--count`
//!    client creates with the dispatcher not running, so the whole backlog
//!    (count × subscriptions deliveries) is waiting when it starts; timed from
//!    `dispatch::start` to the last delivery received.
//! 2. **Latency.** A fresh store, the dispatcher running; creates at a fixed
//!    `--rate` for `--seconds`, each in a task of its own (paced by a tokio
//!    interval, so a slow commit does not slow the rate). For every client,
//!    the instant its create returned (the commit) against the instant each
//!    receiver got its delivery (matched by `data.resource_id`).
//!
//! Prints a table per phase, and one `RESULT key=value …` line for scripts
//! (`bench/webhooks.sh`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use clap::{Parser, ValueEnum};
use serde_json::{json, Map, Value};

use clientele::config::StoreConfig;
use clientele::domain::webhook::AllowedHosts;
use clientele::server::open_store;
use clientele::service::webhooks::WebhookSettings;
use clientele::service::{dispatch, Actor, Service};

/// The server's allocator, so the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    Sqlite,
    Postgres,
}

impl std::fmt::Display for StoreKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StoreKind::Sqlite => "sqlite",
            StoreKind::Postgres => "postgres",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Phase {
    Throughput,
    Latency,
    Both,
}

#[derive(Parser, Debug)]
#[command(about = "Benchmark the webhook dispatcher against local receivers")]
struct Args {
    #[arg(long, value_enum, default_value = "sqlite")]
    store: StoreKind,
    /// The PostgreSQL cluster to create the benchmark's databases in.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    postgres: String,
    /// PostgreSQL: connections in the store's pool (the server's default).
    #[arg(long, default_value_t = 16)]
    db_pool_size: usize,
    #[arg(long, value_enum, default_value = "both")]
    phase: Phase,
    /// Subscriptions (each with a receiver of its own), all to `client.*`.
    #[arg(long, default_value_t = 3)]
    subscriptions: usize,
    /// Attempts in flight per subscription (`--webhook-per-subscription`).
    #[arg(long, default_value_t = 8)]
    per_subscription: usize,
    /// Attempts in flight in all (`--webhook-concurrency`).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// How often the dispatcher looks at the queue without a nudge, in ms.
    #[arg(long, default_value_t = 250)]
    poll_ms: u64,
    /// Throughput: clients created before the dispatcher starts.
    #[arg(long, default_value_t = 5_000)]
    count: usize,
    /// Throughput: creates in flight at once while writing the backlog.
    #[arg(long, default_value_t = 256)]
    writers: usize,
    /// Latency: creates a second.
    #[arg(long, default_value_t = 1_000)]
    rate: u64,
    /// Latency: seconds of writing.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Give up waiting for deliveries after this many seconds.
    #[arg(long, default_value_t = 120)]
    timeout_secs: u64,
    /// Progress (deliveries received, queue) on stderr every second.
    #[arg(long)]
    progress: bool,
    /// Latency: print the worst commit-to-receipt delay of each second of writes.
    #[arg(long)]
    timeline: bool,
    /// Keep each phase's database (SQLite file or PostgreSQL database) and
    /// print where it is, to look into afterwards.
    #[arg(long)]
    keep: bool,
}

// ---------------------------------------------------------------------------
// Receivers.

/// One subscription's receiver: counts requests, and notes when each client's
/// delivery arrived.
#[derive(Default)]
struct Hook {
    received: AtomicUsize,
    /// Deliveries of a client this receiver had already been sent.
    duplicates: AtomicUsize,
    unreadable: AtomicUsize,
    /// Client id -> when its (first) delivery arrived.
    arrivals: Mutex<HashMap<String, Instant>>,
}

impl Hook {
    fn reset(&self) {
        self.received.store(0, Ordering::SeqCst);
        self.duplicates.store(0, Ordering::SeqCst);
        self.unreadable.store(0, Ordering::SeqCst);
        self.arrivals.lock().unwrap().clear();
    }
}

#[derive(serde::Deserialize)]
struct Body {
    data: BodyData,
}

#[derive(serde::Deserialize)]
struct BodyData {
    resource_id: String,
}

async fn receive(State(hook): State<Arc<Hook>>, body: Bytes) -> StatusCode {
    // The body has been read whole by now: this is when it was received.
    let at = Instant::now();
    match serde_json::from_slice::<Body>(&body) {
        Ok(b) => {
            if hook.arrivals.lock().unwrap().insert(b.data.resource_id, at).is_some() {
                hook.duplicates.fetch_add(1, Ordering::Relaxed);
            }
        }
        Err(_) => {
            hook.unreadable.fetch_add(1, Ordering::Relaxed);
        }
    }
    hook.received.fetch_add(1, Ordering::Release);
    StatusCode::NO_CONTENT
}

/// Starts a receiver on a free port of 127.0.0.1; returns its URL.
async fn start_receiver(hook: Arc<Hook>) -> Result<String, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("bind a receiver: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(hook);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{addr}/hook"))
}

// ---------------------------------------------------------------------------
// Stores.

/// A store of the benchmark's own, removed when dropped (SQLite) or by
/// [`Scratch::remove`] (PostgreSQL).
enum Scratch {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

async fn admin_client(admin_url: &str) -> Result<tokio_postgres::Client, String> {
    let (client, conn) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("cannot connect to PostgreSQL at {admin_url}: {e}"))?;
    tokio::spawn(conn);
    Ok(client)
}

impl Scratch {
    /// A fresh store and its URL.
    async fn create(args: &Args) -> Result<(Scratch, String), String> {
        match args.store {
            StoreKind::Sqlite => {
                let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
                let url = format!("sqlite://{}", dir.path().join("webhooks.db").display());
                Ok((Scratch::Sqlite(dir), url))
            }
            StoreKind::Postgres => {
                let server = args.postgres.trim_end_matches('/');
                let admin_url = format!("{server}/postgres");
                let name = format!("clientele_t_whbench_{}", ulid::Ulid::new().to_string().to_lowercase());
                admin_client(&admin_url)
                    .await?
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .map_err(|e| format!("CREATE DATABASE {name}: {e}"))?;
                let url = format!("{server}/{name}");
                Ok((Scratch::Postgres { admin_url, name }, url))
            }
        }
    }

    async fn remove(self, keep: bool) {
        if keep {
            match self {
                Scratch::Sqlite(dir) => eprintln!("[webhook_bench] kept {}", dir.keep().join("webhooks.db").display()),
                Scratch::Postgres { name, .. } => eprintln!("[webhook_bench] kept database {name}"),
            }
            return;
        }
        if let Scratch::Postgres { admin_url, name } = self {
            if let Ok(client) = admin_client(&admin_url).await {
                if let Err(e) = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await {
                    eprintln!("[webhook_bench] could not drop {name}: {e}");
                }
            }
        }
    }
}

/// A store, a firm, its receivers and subscriptions: what both phases start from.
struct Setup {
    scratch: Scratch,
    service: Service,
    actor: Actor,
    hooks: Vec<Arc<Hook>>,
}

impl Setup {
    async fn new(args: &Args) -> Result<Setup, String> {
        let (scratch, url) = Scratch::create(args).await?;
        let config = StoreConfig {
            database_url: url,
            db_pool_size: args.db_pool_size,
            db_connect_timeout_ms: 3000,
            db_statement_timeout_ms: 5000,
        };
        let store = open_store(&config).await?;
        let settings = WebhookSettings {
            allowed_hosts: AllowedHosts::new(["127.0.0.1".to_string()]),
            concurrency: args.concurrency,
            per_subscription: args.per_subscription,
            poll: Duration::from_millis(args.poll_ms),
            ..WebhookSettings::default()
        };
        let service = Service::new(store).with_webhook_settings(settings);
        let firm = service.create_firm("Webhook Benchmark LLP").await.map_err(|e| e.to_string())?;
        let actor = Actor::operator(firm.firm);
        let mut hooks = Vec::new();
        for i in 0..args.subscriptions {
            let hook = Arc::new(Hook::default());
            let url = start_receiver(hook.clone()).await?;
            let doc = json!({"url": url, "events": ["client.*"], "description": format!("receiver {i}")});
            let doc = doc.as_object().cloned().unwrap_or_default();
            service.create_webhook(&actor, &doc).await.map_err(|e| format!("create_webhook: {e}"))?;
            hooks.push(hook);
        }
        Ok(Setup { scratch, service, actor, hooks })
    }

    fn received(&self) -> usize {
        self.hooks.iter().map(|h| h.received.load(Ordering::Acquire)).sum()
    }

    fn duplicates(&self) -> usize {
        self.hooks.iter().map(|h| h.duplicates.load(Ordering::Relaxed) + h.unreadable.load(Ordering::Relaxed)).sum()
    }

    /// Waits until the receivers have `n` deliveries in all, or `limit` has
    /// passed; whether they have.
    async fn wait_for(&self, n: usize, limit: Duration, progress: bool) -> bool {
        let started = Instant::now();
        let mut next_report = started + Duration::from_secs(1);
        loop {
            let got = self.received();
            if got >= n {
                return true;
            }
            if started.elapsed() > limit {
                return false;
            }
            if progress && Instant::now() >= next_report {
                next_report += Duration::from_secs(1);
                let queue = self.service.webhook_queue().await.map(|q| q.pending.to_string()).unwrap_or_else(|e| e.to_string());
                eprintln!("[webhook_bench] {:.1}s: received {got}/{n}, pending in the queue {queue}", started.elapsed().as_secs_f64());
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// What each receiver got and what the queue holds, for a run that timed out.
    async fn stuck(&self, expected_each: usize) -> String {
        let each: Vec<String> = self.hooks.iter().map(|h| h.received.load(Ordering::Acquire).to_string()).collect();
        let queue = match self.service.webhook_queue().await {
            Ok(q) => format!("{} pending, the oldest created {}", q.pending, q.oldest_pending.map_or_else(|| "-".to_string(), |t| t.to_string())),
            Err(e) => e.to_string(),
        };
        format!("receivers got {} of {expected_each} each; queue: {queue}", each.join(", "))
    }

    fn outcomes(&self) -> String {
        let o = &self.service.webhooks().outcomes;
        format!(
            "delivered {}, retrying {}, failed {}, cancelled {}",
            o.delivered.load(Ordering::Relaxed),
            o.retrying.load(Ordering::Relaxed),
            o.failed.load(Ordering::Relaxed),
            o.cancelled.load(Ordering::Relaxed)
        )
    }
}

fn client_doc(phase: &str, i: usize) -> Map<String, Value> {
    let doc = json!({
        "kind": "person",
        "first_name": "Webhook",
        "last_name": format!("Bench {phase} {i}"),
        "email": format!("wh.{phase}.{i}@example.org"),
        "phone": "(212) 555-0100",
        "tags": ["webhook-bench"],
    });
    doc.as_object().cloned().unwrap_or_default()
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Rows of a two-column table.
fn print_table(title: &str, rows: &[(&str, String)]) {
    println!("{title}");
    let width = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    for (k, v) in rows {
        println!("  {k:<width$}  {v}");
    }
    println!();
}

// ---------------------------------------------------------------------------
// Phases.

struct Throughput {
    deliveries_per_s: f64,
    seconds: f64,
    complete: bool,
}

async fn throughput(args: &Args) -> Result<Throughput, String> {
    let setup = Setup::new(args).await?;
    let (count, subs) = (args.count, args.subscriptions);

    // The backlog, with the dispatcher not running yet.
    let written_at = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..args.writers.max(1) {
        let (service, actor, next, failed) = (setup.service.clone(), setup.actor.clone(), next.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let mut first_error = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return first_error;
                }
                if let Err(e) = service.create_client(&actor, &client_doc("t", i)).await {
                    failed.fetch_add(1, Ordering::Relaxed);
                    first_error.get_or_insert_with(|| e.to_string());
                }
            }
        }));
    }
    for task in tasks {
        if let Some(e) = task.await.map_err(|e| e.to_string())? {
            return Err(format!("{} creates failed; one: {e}", failed.load(Ordering::Relaxed)));
        }
    }
    let write_secs = written_at.elapsed().as_secs_f64();
    let expected = count * subs;
    if setup.received() != 0 {
        return Err("deliveries arrived before the dispatcher started".into());
    }

    let started = Instant::now();
    let dispatcher = dispatch::start(setup.service.clone())?;
    let complete = setup.wait_for(expected, Duration::from_secs(args.timeout_secs), args.progress).await;
    let waited = started.elapsed();
    let stuck = if complete { None } else { Some(setup.stuck(count).await) };
    dispatcher.abort();

    // From the receivers' own clocks: the first and last arrival.
    let mut arrivals: Vec<Duration> = Vec::with_capacity(expected);
    for hook in &setup.hooks {
        arrivals.extend(hook.arrivals.lock().unwrap().values().map(|at| at.duration_since(started)));
    }
    arrivals.sort();
    let received = setup.received();
    let last = arrivals.last().copied().unwrap_or(waited);
    let seconds = last.as_secs_f64();
    let rate = received as f64 / seconds;
    // The middle 80% of arrivals: the rate once started, before the tail.
    let (p10, p90) = (arrivals.get(arrivals.len() / 10), arrivals.get(arrivals.len() * 9 / 10));
    let steady = match (p10, p90) {
        (Some(a), Some(b)) if b > a => format!("{:.0}/s", (arrivals.len() * 8 / 10) as f64 / (*b - *a).as_secs_f64()),
        _ => "-".into(),
    };
    let first = arrivals.first().map(|d| format!("{:.0} ms", d.as_secs_f64() * 1000.0)).unwrap_or_else(|| "-".into());

    let mut rows = vec![
        ("backlog written", format!("{count} creates in {write_secs:.2} s ({:.0}/s, {} at a time)", count as f64 / write_secs, args.writers)),
        ("deliveries received", format!("{received} of {expected}{}", if complete { "" } else { " (TIMED OUT)" })),
        ("first delivery after", first),
        ("last delivery after", format!("{seconds:.2} s")),
        ("deliveries/s", format!("{rate:.0} (middle 80% of arrivals: {steady})")),
        ("duplicates/unreadable", setup.duplicates().to_string()),
        ("dispatcher outcomes", setup.outcomes()),
    ];
    if let Some(stuck) = stuck {
        rows.push(("timed out with", stuck));
    }
    print_table(&format!("Throughput ({}): {count} creates queued before the dispatcher starts, {subs} subscriptions", args.store), &rows);
    setup.scratch.remove(args.keep).await;
    Ok(Throughput { deliveries_per_s: rate, seconds, complete })
}

struct Latency {
    write_rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    missing: usize,
    failed: usize,
}

async fn latency(args: &Args) -> Result<Latency, String> {
    let setup = Setup::new(args).await?;
    let subs = args.subscriptions;
    let dispatcher = dispatch::start(setup.service.clone())?;

    // Warm-up: connections to the receivers, prepared statements.
    let warm = 20;
    for i in 0..warm {
        setup.service.create_client(&setup.actor, &client_doc("w", i)).await.map_err(|e| e.to_string())?;
    }
    if !setup.wait_for(warm * subs, Duration::from_secs(30), false).await {
        return Err("the warm-up deliveries never arrived".into());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for hook in &setup.hooks {
        hook.reset();
    }

    // Creates at a fixed rate, each in its own task.
    let total = (args.rate * args.seconds) as usize;
    let commits: Arc<Mutex<Vec<(String, Instant, Duration)>>> = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sent = 0usize;
    while sent < total {
        tick.tick().await;
        let due = ((started.elapsed().as_secs_f64() * args.rate as f64) as usize).min(total);
        while sent < due {
            let scheduled = started + Duration::from_secs_f64(sent as f64 / args.rate as f64);
            let (service, actor, commits, failures) = (setup.service.clone(), setup.actor.clone(), commits.clone(), failures.clone());
            let doc = client_doc("l", sent);
            tasks.spawn(async move {
                match service.create_client(&actor, &doc).await {
                    Ok(client) => {
                        let at = Instant::now();
                        commits.lock().unwrap().push((client.id.to_string(), at, at.saturating_duration_since(scheduled)));
                    }
                    Err(e) => failures.lock().unwrap().push(e.to_string()),
                }
            });
            sent += 1;
        }
    }
    while tasks.join_next().await.is_some() {}
    let commits = std::mem::take(&mut *commits.lock().unwrap());
    let failures = std::mem::take(&mut *failures.lock().unwrap());
    let last_commit = commits.iter().map(|(_, at, _)| *at).max().unwrap_or(started);
    let write_secs = last_commit.duration_since(started).as_secs_f64();
    let write_rate = commits.len() as f64 / write_secs;

    let expected = commits.len() * subs;
    let complete = setup.wait_for(expected, Duration::from_secs(args.timeout_secs), args.progress).await;
    let stuck = if complete { None } else { Some(setup.stuck(commits.len()).await) };
    dispatcher.abort();

    let mut delays = Vec::with_capacity(expected);
    let mut worst_by_second = vec![f64::NEG_INFINITY; args.seconds as usize + 2];
    let mut missing = 0;
    for hook in &setup.hooks {
        let arrivals = hook.arrivals.lock().unwrap();
        for (id, committed, _) in &commits {
            let delay = match arrivals.get(id) {
                // Signed: a delivery can land a hair before the create's task
                // resumes to note its commit.
                Some(at) if at >= committed => at.duration_since(*committed).as_secs_f64() * 1000.0,
                Some(at) => -(committed.duration_since(*at).as_secs_f64() * 1000.0),
                None => {
                    missing += 1;
                    continue;
                }
            };
            delays.push(delay);
            let second = (committed.duration_since(started).as_secs() as usize).min(worst_by_second.len() - 1);
            worst_by_second[second] = worst_by_second[second].max(delay);
        }
    }
    if args.timeline {
        let worst: Vec<String> = worst_by_second.iter().filter(|d| d.is_finite()).map(|d| format!("{d:.0}")).collect();
        eprintln!("worst delay of each second of writes (ms): {}", worst.join(" "));
    }
    delays.sort_by(f64::total_cmp);
    let mut create_ms: Vec<f64> = commits.iter().map(|(_, _, d)| d.as_secs_f64() * 1000.0).collect();
    create_ms.sort_by(f64::total_cmp);
    let (p50, p99, max) = (percentile(&delays, 0.50), percentile(&delays, 0.99), delays.last().copied().unwrap_or(f64::NAN));

    let mut rows = vec![
        (
            "writes",
            format!(
                "{} creates at {}/s for {} s: {} committed in {write_secs:.2} s ({write_rate:.0}/s), {} failed",
                total,
                args.rate,
                args.seconds,
                commits.len(),
                failures.len()
            ),
        ),
        (
            "create, schedule to commit",
            format!("p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms", percentile(&create_ms, 0.5), percentile(&create_ms, 0.99), create_ms.last().copied().unwrap_or(f64::NAN)),
        ),
        ("deliveries received", format!("{} of {expected}{}", delays.len(), if complete { "" } else { " (TIMED OUT)" })),
        ("commit to receipt", format!("p50 {p50:.1} ms, p90 {:.1} ms, p99 {p99:.1} ms, max {max:.1} ms", percentile(&delays, 0.90))),
        ("duplicates/unreadable", setup.duplicates().to_string()),
        ("dispatcher outcomes", setup.outcomes()),
    ];
    if let Some(first) = failures.first() {
        rows.push(("first failure", first.clone()));
    }
    if let Some(stuck) = stuck {
        rows.push(("timed out with", stuck));
    }
    print_table(&format!("Latency ({}): {}/s for {} s, {subs} subscriptions, dispatcher running", args.store, args.rate, args.seconds), &rows);
    setup.scratch.remove(args.keep).await;
    Ok(Latency { write_rate, p50_ms: p50, p99_ms: p99, max_ms: max, missing, failed: failures.len() })
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let store = args.store;
    println!(
        "Webhook benchmark: store {store}, {} subscriptions, per_subscription {}, concurrency {}, poll {} ms, {} cores",
        args.subscriptions,
        args.per_subscription,
        args.concurrency,
        args.poll_ms,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );
    println!();
    let mut result = format!(
        "RESULT store={store} subscriptions={} per_subscription={} concurrency={} poll_ms={}",
        args.subscriptions, args.per_subscription, args.concurrency, args.poll_ms
    );
    if matches!(args.phase, Phase::Throughput | Phase::Both) {
        let t = throughput(&args).await?;
        result += &format!(
            " count={} deliveries_per_s={:.0} throughput_secs={:.2} throughput_complete={}",
            args.count, t.deliveries_per_s, t.seconds, t.complete
        );
    }
    if matches!(args.phase, Phase::Latency | Phase::Both) {
        let l = latency(&args).await?;
        result += &format!(
            " rate={} seconds={} write_rate={:.0} write_failed={} p50_ms={:.1} p99_ms={:.1} max_ms={:.1} missing={}",
            args.rate, args.seconds, l.write_rate, l.failed, l.p50_ms, l.p99_ms, l.max_ms, l.missing
        );
    }
    println!("{result}");
    Ok(())
}
