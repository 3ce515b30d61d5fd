//! The single writer thread and its group commit.

use std::panic::{catch_unwind, AssertUnwindSafe};

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::internal;
use crate::store::{StoreError, StoreResult};

/// Jobs taken into one transaction at most; bounds how long one commit holds
/// the others back.
const MAX_BATCH: usize = 512;
/// Jobs that may wait for the writer before callers wait to enqueue.
const QUEUE: usize = 4096;

/// Tells a job's caller how its transaction ended.
type Completion = Box<dyn FnOnce(StoreResult<()>) + Send>;
/// Runs a job's statements (or, given `None`, fails it without running).
type Job = Box<dyn FnOnce(Option<&Connection>) -> Completion + Send>;

pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    pub fn start(conn: Connection) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, queue))
            .expect("spawn the SQLite writer thread");
        Self { jobs }
    }

    /// Runs `work` in the next transaction and returns its result once that
    /// transaction has committed (durably), or the commit's error.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = match conn {
                Some(conn) => in_savepoint(conn, work),
                None => Err(StoreError::Unavailable("could not start a transaction".into())),
            };
            Box::new(move |commit: StoreResult<()>| {
                let _ = reply.send(commit.and(result));
            })
        });
        self.jobs.send(job).await.map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Internal("the writer dropped a job".into()))?
    }
}

fn run(conn: Connection, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let began = conn.execute_batch("BEGIN IMMEDIATE").map_err(internal);
        let usable = began.is_ok().then_some(&conn);
        let completions: Vec<Completion> = batch.into_iter().map(|job| job(usable)).collect();
        let outcome = began.and_then(|()| conn.execute_batch("COMMIT").map_err(internal));
        if outcome.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for complete in completions {
            complete(outcome.clone());
        }
    }
}

/// Runs `work` inside a savepoint, undoing just its own changes if it fails
/// or panics.
fn in_savepoint<T>(conn: &Connection, work: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
    conn.execute_batch("SAVEPOINT job").map_err(internal)?;
    let result = catch_unwind(AssertUnwindSafe(|| work(conn)))
        .unwrap_or_else(|_| Err(StoreError::Internal("a write panicked".into())));
    let end = if result.is_ok() { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
    conn.execute_batch(end).map_err(internal)?;
    result
}
