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
//!
//! A commit is acknowledged only once it is on disk, but the writer does not
//! wait for the disk itself. Its connection commits with `synchronous =
//! NORMAL` (the WAL frames written, not synced) and hands the batch to the
//! sync thread, which `fdatasync`s the WAL and only then tells the callers;
//! meanwhile the writer runs the next batch. Batches that commit while a sync
//! is under way share the next one. An import waited on `fsync` a third of its
//! time when the writer synced each commit itself (bench/README.md). What this
//! gives up: another connection can read a transaction up to one sync before
//! its callers hear back, so an OS crash or power loss in that window can take
//! away something a reader saw, never something acknowledged. (A `kill -9`
//! loses nothing: the frames are in the OS's page cache.)

use std::fs::File;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc as std_mpsc;
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

/// A transaction's callers, waiting for its commit to be synced.
struct Settled {
    finishes: Vec<Box<dyn FnOnce(StoreResult<()>) + Send>>,
    outcome: StoreResult<()>,
}

pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread on `conn`, which it sets to commit without
    /// syncing, and the thread that syncs `wal` (the database's WAL file)
    /// after each commit. `ended` runs after each transaction ends
    /// (committed or not), before any of its callers hears back.
    pub fn start(conn: Connection, wal: File, ended: impl Fn(&Connection) + Send + 'static) -> StoreResult<Self> {
        conn.execute_batch("PRAGMA synchronous = NORMAL;").map_err(internal)?;
        let (jobs, queue) = mpsc::channel(QUEUE);
        let (settle, settled) = std_mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-sync".into())
            .spawn(move || sync_and_answer(&wal, &settled))
            .map_err(|e| StoreError::Internal(format!("spawn the SQLite sync thread: {e}")))?;
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, queue, ended, &settle))
            .map_err(|e| StoreError::Internal(format!("spawn the SQLite writer thread: {e}")))?;
        Ok(Self { jobs })
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

fn run(conn: Connection, mut queue: mpsc::Receiver<Job>, ended: impl Fn(&Connection), settle: &std_mpsc::Sender<Settled>) {
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
        let finishes = batch.into_iter().map(|job| job.finish).collect();
        if settle.send(Settled { finishes, outcome }).is_err() {
            tracing::error!("the SQLite sync thread has stopped; the writer stops");
            return;
        }
    }
}

/// Syncs the WAL once for every batch of commits that arrived since the last
/// sync, then answers their callers, in commit order. A failed sync fails
/// every commit it was for: they are in the database, but nobody may be told
/// they are safe.
fn sync_and_answer(wal: &File, settled: &std_mpsc::Receiver<Settled>) {
    while let Ok(first) = settled.recv() {
        let ready: Vec<Settled> = std::iter::once(first).chain(settled.try_iter()).collect();
        let synced = if ready.iter().any(|s| s.outcome.is_ok()) { wal.sync_data() } else { Ok(()) };
        if let Err(e) = &synced {
            tracing::error!(error = %e, "syncing the SQLite WAL failed; the commits it was for are answered with an error");
        }
        for Settled { finishes, outcome } in ready {
            let outcome = match (&synced, outcome) {
                (Err(e), Ok(())) => Err(StoreError::Unavailable(format!("the commit could not be synced to disk: {e}"))),
                (_, outcome) => outcome,
            };
            for finish in finishes {
                finish(outcome.clone());
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn writer_syncing(wal: impl FnOnce(&std::path::Path) -> File) -> (Writer, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("writer.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER);").unwrap();
        let wal = wal(&path.with_file_name("writer.db-wal"));
        (Writer::start(conn, wal, |_| {}).unwrap(), dir)
    }

    fn insert(x: i64) -> impl Fn(&Connection) -> StoreResult<i64> + Send + 'static {
        move |conn| conn.execute("INSERT INTO t VALUES (?1)", [x]).map(|_| x).map_err(internal)
    }

    #[tokio::test]
    async fn every_commit_is_answered_with_its_own_result_and_stored() {
        let (writer, dir) = writer_syncing(|wal| File::open(wal).unwrap());
        let answers: Vec<_> = (0..64).map(|x| writer.run(insert(x))).collect();
        for (x, answer) in answers.into_iter().enumerate() {
            assert_eq!(answer.await.unwrap(), x as i64);
        }
        let reader = Connection::open(dir.path().join("writer.db")).unwrap();
        let count: i64 = reader.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(count, 64);
    }

    /// `fsync` on a pipe fails (EINVAL): the commit happened, but its caller
    /// must not hear that it is safe.
    #[tokio::test]
    async fn a_commit_whose_sync_fails_is_answered_with_an_error() {
        let (_keep_open, pipe) = std::io::pipe().unwrap();
        let (writer, _dir) = writer_syncing(|_| File::from(std::os::fd::OwnedFd::from(pipe)));
        match writer.run(insert(1)).await {
            Err(StoreError::Unavailable(message)) => assert!(message.contains("synced"), "{message}"),
            other => panic!("expected the failed sync to be reported, got {other:?}"),
        }
    }
}
