//! The reader threads: a fixed set, each with a read connection of its own,
//! that run lists, counts and searches (work of milliseconds that must not
//! hold up the async threads).
//!
//! A fixed set rather than tokio's blocking pool: that pool starts a new
//! thread whenever none is idle at the instant of the call, and keeps each
//! for 10 s, so under load it grew to ~85 threads, each with allocator
//! caches of its own, and the server to 300 MB (bench/README.md). Here the
//! threads, connections and their page caches are counted once.
//!
//! Reads take turns on a few lanes (one per core): reads of one size are then
//! served whole, one after another, rather than each sharing the cores with
//! every other read under way, which made all of them late (a search's p99
//! at 64 connections 22 ms against 18). A read still running after
//! [`LANE_TIME`] gives up its lane and runs on beside the next ones, so a
//! count over half the firm never holds the page reads queued behind it; the
//! threads beyond the lanes are for such reads.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::lock;
use crate::store::{StoreError, StoreResult};

/// Reads that may wait for a thread before callers wait to enqueue.
const QUEUE: usize = 1024;

/// How long a read keeps its lane. Page reads and searches take well under
/// a millisecond of CPU; a count or an unindexed filter can take a second.
const LANE_TIME: Duration = Duration::from_millis(5);

/// SQLite virtual-machine steps between checks of a read's time (some tens
/// of microseconds).
const STEPS_BETWEEN_CHECKS: i32 = 10_000;

/// One read: given the thread's connection, or why it could not be opened.
type Job = Box<dyn FnOnce(StoreResult<&Connection>) + Send>;

pub struct Readers {
    jobs: mpsc::Sender<Job>,
    threads: usize,
    /// Connections the threads have open.
    open: Arc<AtomicUsize>,
}

impl Readers {
    /// Starts `threads` threads, taking turns on `lanes` lanes, that open
    /// their connection with `open` when first needed (and again after a
    /// failed open).
    pub fn start(threads: usize, lanes: usize, open: impl Fn() -> StoreResult<Connection> + Send + Sync + 'static) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        let opener = Arc::new(open);
        let open = Arc::new(AtomicUsize::new(0));
        let lanes = Arc::new(Lanes::new(lanes.clamp(1, threads.max(1))));
        for i in 0..threads {
            let (queue, opener, open, lanes) = (queue.clone(), opener.clone(), open.clone(), lanes.clone());
            std::thread::Builder::new()
                .name(format!("sqlite-reader-{i}"))
                .spawn(move || serve(&queue, &*opener, &open, &lanes))
                .expect("spawn a SQLite reader thread");
        }
        Self { jobs, threads, open }
    }

    /// How many threads there are, and how many have their connection open.
    pub fn connections(&self) -> (usize, usize) {
        (self.threads, self.open.load(Ordering::Relaxed))
    }

    /// Runs `f` on one of the reader threads and returns its result.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = reply.send(conn.and_then(f));
        });
        self.jobs.send(job).await.map_err(|_| StoreError::Unavailable("the readers have stopped".into()))?;
        answer.await.map_err(|_| StoreError::Internal("a read failed".into()))?
    }
}

/// One reader thread: takes a lane, then jobs, until the pool is dropped. It
/// keeps its lane from one job to the next unless a job gave it up.
fn serve(
    queue: &Mutex<mpsc::Receiver<Job>>,
    opener: &(dyn Fn() -> StoreResult<Connection> + Send + Sync),
    open: &AtomicUsize,
    lanes: &Arc<Lanes>,
) {
    let turn = Arc::new(Turn::default());
    let mut conn: Option<Connection> = None;
    let mut has_lane = false;
    loop {
        if !has_lane {
            lanes.take();
            has_lane = true;
        }
        let job = {
            let mut queue = lock(queue);
            match queue.blocking_recv() {
                Some(job) => job,
                None => {
                    lanes.give_back();
                    return;
                }
            }
        };
        if conn.is_none() {
            match opener().and_then(|mut opened| watch_time(&mut opened, &turn, lanes).map(|()| opened)) {
                Ok(opened) => {
                    conn = Some(opened);
                    open.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    job(Err(e));
                    continue;
                }
            }
        }
        if let Some(conn) = &conn {
            turn.begin();
            // A panicking read drops its reply (the caller sees an error), not
            // the thread. Its connection is left as a failed statement leaves it.
            let _ = catch_unwind(AssertUnwindSafe(|| job(Ok(conn))));
            has_lane = turn.end();
        }
    }
}

/// Makes reads on `conn` give up their lane once they have run for [`LANE_TIME`].
fn watch_time(conn: &mut Connection, turn: &Arc<Turn>, lanes: &Arc<Lanes>) -> StoreResult<()> {
    let (turn, lanes) = (turn.clone(), lanes.clone());
    conn.progress_handler(
        STEPS_BETWEEN_CHECKS,
        Some(move || {
            turn.give_up_if_late(&lanes);
            false // never interrupts the read
        }),
    )
    .map_err(|e| StoreError::Internal(e.to_string()))
}

/// Lanes free to run a read on.
struct Lanes {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Lanes {
    fn new(lanes: usize) -> Self {
        Self { free: Mutex::new(lanes), freed: Condvar::new() }
    }

    fn take(&self) {
        let mut free = lock(&self.free);
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
    }

    fn give_back(&self) {
        *lock(&self.free) += 1;
        self.freed.notify_one();
    }
}

/// A thread's read under way: whether it still holds its lane, and until when.
#[derive(Default)]
struct Turn {
    holds_lane: AtomicBool,
    /// When the lane is due back, as [`nanos_since`] counts.
    until: AtomicU64,
}

impl Turn {
    fn begin(&self) {
        self.until.store(nanos_since(Instant::now() + LANE_TIME), Ordering::Relaxed);
        self.holds_lane.store(true, Ordering::Release);
    }

    fn give_up_if_late(&self, lanes: &Lanes) {
        if self.holds_lane.load(Ordering::Acquire)
            && nanos_since(Instant::now()) > self.until.load(Ordering::Relaxed)
            && self.holds_lane.swap(false, Ordering::AcqRel)
        {
            lanes.give_back();
        }
    }

    /// Ends the read; whether the thread still holds its lane.
    fn end(&self) -> bool {
        self.holds_lane.swap(false, Ordering::AcqRel)
    }
}

fn nanos_since(at: Instant) -> u64 {
    static SINCE: OnceLock<Instant> = OnceLock::new();
    at.saturating_duration_since(*SINCE.get_or_init(Instant::now)).as_nanos() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_memory() -> StoreResult<Connection> {
        Connection::open_in_memory().map_err(|e| StoreError::Internal(e.to_string()))
    }

    fn select(n: i64) -> impl FnOnce(&Connection) -> StoreResult<i64> + Send + 'static {
        move |conn| conn.query_row("SELECT ?1 * 2", [n], |r| r.get(0)).map_err(|e| StoreError::Internal(e.to_string()))
    }

    #[tokio::test]
    async fn many_reads_share_one_connection_per_thread() {
        let opened = Arc::new(AtomicUsize::new(0));
        let counter = opened.clone();
        let readers = Arc::new(Readers::start(3, 3, move || {
            counter.fetch_add(1, Ordering::SeqCst);
            in_memory()
        }));
        let reads: Vec<_> = (0..200).map(|n| tokio::spawn({
            let readers = readers.clone();
            async move { readers.run(select(n)).await }
        })).collect();
        for (n, read) in reads.into_iter().enumerate() {
            assert_eq!(read.await.unwrap().unwrap(), 2 * n as i64);
        }
        assert!(opened.load(Ordering::SeqCst) <= 3, "opened {} connections", opened.load(Ordering::SeqCst));
        assert_eq!(readers.connections(), (3, opened.load(Ordering::SeqCst)));
    }

    #[tokio::test]
    async fn a_read_that_panics_fails_alone() {
        let readers = Readers::start(1, 1, in_memory);
        let panicked = readers.run(|_| -> StoreResult<()> { panic!("a bug in a query") }).await;
        assert!(matches!(panicked, Err(StoreError::Internal(_))), "{panicked:?}");
        assert_eq!(readers.run(select(21)).await.unwrap(), 42);
    }

    #[tokio::test]
    async fn a_connection_that_cannot_open_fails_the_read_and_is_tried_again() {
        let attempts = Arc::new(AtomicUsize::new(0));
        let counter = attempts.clone();
        let readers = Readers::start(1, 1, move || {
            if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(StoreError::Unavailable("disk gone".into()))
            } else {
                in_memory()
            }
        });
        assert!(matches!(readers.run(select(1)).await, Err(StoreError::Unavailable(_))));
        assert_eq!(readers.run(select(2)).await.unwrap(), 4);
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn reads_on_one_lane_run_one_at_a_time() {
        let readers = Arc::new(Readers::start(4, 1, in_memory));
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let reads: Vec<_> = (0..12)
            .map(|_| {
                let (readers, running, most) = (readers.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    readers
                        .run(move |_| {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(2));
                            running.fetch_sub(1, Ordering::SeqCst);
                            Ok(())
                        })
                        .await
                })
            })
            .collect();
        for read in reads {
            read.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_long_read_gives_up_its_lane_to_the_reads_behind_it() {
        let readers = Arc::new(Readers::start(2, 1, in_memory));
        let long = tokio::spawn({
            let readers = readers.clone();
            async move {
                readers
                    .run(|conn| {
                        let sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000) SELECT count(*) FROM c";
                        conn.query_row(sql, [], |r| r.get::<_, i64>(0)).map_err(|e| StoreError::Internal(e.to_string()))
                    })
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(readers.run(select(21)).await.unwrap(), 42);
        assert!(!long.is_finished(), "the long read ended first: make it longer");
        assert_eq!(long.await.unwrap().unwrap(), 20_000_000);
    }
}
