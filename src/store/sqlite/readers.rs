//! The reader threads: a fixed set, each with a read connection of its own,
//! that run lists, counts and searches (work of milliseconds that must not
//! hold up the async threads).
//!
//! A fixed set rather than tokio's blocking pool: that pool starts a new
//! thread whenever none is idle at the instant of the call, and keeps each
//! for 10 s, so under load it grew to ~85 threads, each with allocator
//! caches of its own, and the server to 300 MB (bench/README.md). Here the
//! threads, connections and their page caches are counted once.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::store::{StoreError, StoreResult};

/// Reads that may wait for a thread before callers wait to enqueue.
const QUEUE: usize = 1024;

/// One read: given the thread's connection, or why it could not be opened.
type Job = Box<dyn FnOnce(StoreResult<&Connection>) + Send>;

pub struct Readers {
    jobs: mpsc::Sender<Job>,
    threads: usize,
    /// Connections the threads have open.
    open: Arc<AtomicUsize>,
}

impl Readers {
    /// Starts `threads` threads that open their connection with `open` when
    /// first needed (and again after a failed open).
    pub fn start(threads: usize, open: impl Fn() -> StoreResult<Connection> + Send + Sync + 'static) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        let opener = Arc::new(open);
        let open = Arc::new(AtomicUsize::new(0));
        for i in 0..threads {
            let (queue, opener, open) = (queue.clone(), opener.clone(), open.clone());
            std::thread::Builder::new()
                .name(format!("sqlite-reader-{i}"))
                .spawn(move || serve(&queue, &*opener, &open))
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

/// One reader thread: takes jobs until the pool is dropped.
fn serve(queue: &Mutex<mpsc::Receiver<Job>>, opener: &(dyn Fn() -> StoreResult<Connection> + Send + Sync), open: &AtomicUsize) {
    let mut conn: Option<Connection> = None;
    loop {
        let job = {
            let mut queue = queue.lock().unwrap_or_else(|e| e.into_inner());
            match queue.blocking_recv() {
                Some(job) => job,
                None => return,
            }
        };
        if conn.is_none() {
            match opener() {
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
            // A panicking read drops its reply (the caller sees an error), not
            // the thread. Its connection is left as a failed statement leaves it.
            let _ = catch_unwind(AssertUnwindSafe(|| job(Ok(conn))));
        }
    }
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
        let readers = Arc::new(Readers::start(3, move || {
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
        let readers = Readers::start(1, in_memory);
        let panicked = readers.run(|_| -> StoreResult<()> { panic!("a bug in a query") }).await;
        assert!(matches!(panicked, Err(StoreError::Internal(_))), "{panicked:?}");
        assert_eq!(readers.run(select(21)).await.unwrap(), 42);
    }

    #[tokio::test]
    async fn a_connection_that_cannot_open_fails_the_read_and_is_tried_again() {
        let attempts = Arc::new(AtomicUsize::new(0));
        let counter = attempts.clone();
        let readers = Readers::start(1, move || {
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
}
