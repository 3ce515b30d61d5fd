//! The single writer thread and its group commit.
//!
//! Each batch first runs every queued job back to back in one transaction.
//! Only if one of them fails does the writer roll the batch back and run it
//! again with every job in its own savepoint, so one failing write never
//! undoes another. The first pass is the common case and avoids what a
//! savepoint per job costs: at each one FTS5 writes its pending index entries
//! out as a new segment (to be merged later) and changed pages go to a
//! sub-journal (creates 2,594 → 2,976/s; bench/README.md). Jobs are
//! therefore `Fn`: pure functions of what they captured, safe to run twice.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::{internal, lock};
use crate::store::{StoreError, StoreResult};

/// Jobs taken into one transaction at most; bounds how long one commit holds
/// the others back.
pub(super) const MAX_BATCH: usize = 512;
/// Jobs that may wait for the writer before callers wait to enqueue.
const QUEUE: usize = 4096;

/// One caller's write.
struct Job {
    /// Runs the job's statements, keeping their result for `finish`; returns
    /// whether they succeeded. May run twice.
    work: Box<dyn Fn(&Connection) -> bool + Send>,
    /// Tells the caller how its transaction ended. Runs once.
    finish: Box<dyn FnOnce(StoreResult<()>) + Send>,
}

pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread. `ended` runs after each transaction ends
    /// (committed or not), before any of its callers hears back.
    pub fn start(conn: Connection, ended: impl Fn(&Connection) + Send + 'static) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, queue, ended))
            .expect("spawn the SQLite writer thread");
        Self { jobs }
    }

    /// Runs `work` in the next transaction and returns its result once that
    /// transaction has committed (durably), or the commit's error.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl Fn(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (reply, answer) = oneshot::channel();
        let slot: Arc<Mutex<Option<StoreResult<T>>>> = Arc::new(Mutex::new(None));
        let kept = slot.clone();
        let job = Job {
            work: Box::new(move |conn| {
                // A run that panics leaves nothing behind from an earlier run.
                *lock(&kept) = None;
                let result = work(conn);
                let ok = result.is_ok();
                *lock(&kept) = Some(result);
                ok
            }),
            finish: Box::new(move |commit| {
                let result = lock(&slot).take().unwrap_or_else(|| Err(StoreError::Internal("a write panicked".into())));
                let _ = reply.send(commit.and(result));
            }),
        };
        self.jobs.send(job).await.map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Internal("the writer dropped a job".into()))?
    }
}

fn run(conn: Connection, mut queue: mpsc::Receiver<Job>, ended: impl Fn(&Connection)) {
    while let Some(first) = queue.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcome = match commit_together(&conn, &batch) {
            Some(outcome) => outcome,
            None => commit_each_in_savepoint(&conn, &batch),
        };
        ended(&conn);
        for job in batch {
            (job.finish)(outcome.clone());
        }
    }
}

/// Runs every job in one transaction without savepoints and commits it.
/// `None` when a job failed: the transaction is rolled back, for the batch to
/// run again job by job.
fn commit_together(conn: &Connection, batch: &[Job]) -> Option<StoreResult<()>> {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE").map_err(internal) {
        return Some(Err(e));
    }
    let all_ok = batch.iter().all(|job| catch_unwind(AssertUnwindSafe(|| (job.work)(conn))).unwrap_or(false));
    if !all_ok {
        rollback(conn);
        return None;
    }
    Some(commit(conn))
}

/// Runs every job in its own savepoint, so a failing job undoes only its own
/// changes, and commits what succeeded.
fn commit_each_in_savepoint(conn: &Connection, batch: &[Job]) -> StoreResult<()> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(internal)?;
    for job in batch {
        if let Err(e) = in_savepoint(conn, &job.work) {
            rollback(conn);
            return Err(e);
        }
    }
    commit(conn)
}

fn commit(conn: &Connection) -> StoreResult<()> {
    let outcome = conn.execute_batch("COMMIT").map_err(internal);
    if outcome.is_err() {
        rollback(conn);
    }
    outcome
}

fn rollback(conn: &Connection) {
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
}

/// Runs `work` inside a savepoint, undoing just its own changes if it fails
/// or panics. Errs only when the savepoint itself cannot be opened or closed.
fn in_savepoint(conn: &Connection, work: &(dyn Fn(&Connection) -> bool + Send)) -> StoreResult<()> {
    conn.execute_batch("SAVEPOINT job").map_err(internal)?;
    let ok = catch_unwind(AssertUnwindSafe(|| work(conn))).unwrap_or(false);
    let end = if ok { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
    conn.execute_batch(end).map_err(internal)
}
