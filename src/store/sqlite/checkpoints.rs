//! WAL checkpoints on a thread of their own.
//!
//! SQLite's automatic checkpoint runs inside the `COMMIT` that takes the WAL
//! past 1,000 pages, on the writer thread: every write queued behind it
//! waits while the WAL is copied into the database and that file is synced
//! (10% of the writer's time in an import; bench/README.md). So the writer's
//! connection has automatic checkpoints off and, after each transaction,
//! nudges this thread, which runs a `PASSIVE` checkpoint (one that never
//! waits for, nor holds up, the writer or a reader). Nudges that arrive
//! while one runs make one more, not one each, and checkpoints are at least
//! [`PAUSE`] apart.
//!
//! A WAL is only reused from its start once a checkpoint has copied all of
//! it, and one that runs beside a busy writer never does: the writer has
//! added frames meanwhile. The WAL would grow without end (and the kernel
//! zero every new block of it: 12% of an import's time at 1M rows). Even a
//! wholly copied WAL starts over only if no reader still reads from it,
//! and a server that is always reading (an import plans each row with
//! reads) always has one. So when a checkpoint finds more than [`LONG_WAL`]
//! frames, the writer finishes the job between two transactions, where
//! nothing can be added (only what came since that checkpoint is left to
//! copy), with a `RESTART` checkpoint: it also waits, up to
//! [`RESTART_WAIT`], for the readers of the WAL, so that the next write
//! starts it over.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::{internal, BUSY_TIMEOUT};
use crate::store::StoreResult;

/// The least time between two checkpoints.
const PAUSE: Duration = Duration::from_millis(100);
/// WAL frames (pages) past which the writer completes a checkpoint: 16 MB.
const LONG_WAL: i64 = 4096;
/// How long the writer waits for a checkpoint to be its turn and for old
/// readers (a backup, say); if they take longer, a later transaction tries
/// again.
const RESTART_WAIT: Duration = Duration::from_millis(250);

pub struct Checkpointer {
    nudge: SyncSender<()>,
    /// The last checkpoint found a long WAL.
    behind: Arc<AtomicBool>,
}

impl Checkpointer {
    /// Starts the checkpoint thread on its own connection to `path`.
    pub fn start(path: &Path) -> StoreResult<Self> {
        let conn = Connection::open(path).map_err(internal)?;
        // FULL: the database file is synced before the WAL may be reused.
        conn.execute_batch("PRAGMA synchronous = FULL;").map_err(internal)?;
        let (nudge, nudged) = sync_channel(1);
        let behind = Arc::new(AtomicBool::new(false));
        let flag = behind.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(conn, nudged, &flag))
            .map_err(|e| crate::store::StoreError::Internal(format!("spawn the checkpoint thread: {e}")))?;
        Ok(Self { nudge, behind })
    }

    /// Called by the writer after each transaction, on its connection:
    /// completes a checkpoint if the WAL is long, and asks for one soon.
    pub fn after_transaction(&self, writer: &Connection) {
        if self.behind.swap(false, Ordering::Relaxed) {
            // Setting a busy timeout only records it; it cannot fail.
            let _ = writer.busy_timeout(RESTART_WAIT);
            let restarted = writer.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0));
            let _ = writer.busy_timeout(BUSY_TIMEOUT);
            match restarted {
                Ok(0) => {}
                Ok(_) => tracing::debug!("WAL not started over: readers of older snapshots; a later transaction tries again"),
                Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; a later transaction tries again"),
            }
        }
        let _ = self.nudge.try_send(());
    }
}

/// Copies what it can of the WAL into the database; returns the frames
/// the WAL holds.
fn checkpoint(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
}

/// Ends when the writer (holding the nudge) is gone.
fn run(conn: Connection, nudged: Receiver<()>, behind: &AtomicBool) {
    let mut last: Option<Instant> = None;
    while nudged.recv().is_ok() {
        if let Some(wait) = last.and_then(|at| PAUSE.checked_sub(at.elapsed())) {
            std::thread::sleep(wait);
        }
        last = Some(Instant::now());
        match checkpoint(&conn) {
            Ok(frames) => behind.store(frames > LONG_WAL, Ordering::Relaxed),
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; the next write tries again"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes 120 MB in transactions of 400 KB at about 100 MB/s (an
    /// import's pace), with a reader always reading, and checks that the
    /// WAL started over rather than holding it all.
    #[test]
    fn a_busy_writer_beside_constant_readers_keeps_the_wal_short() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL);",
            )
            .unwrap();
        writer.busy_timeout(BUSY_TIMEOUT).unwrap();
        let checkpoints = Checkpointer::start(&path).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let reading = {
            let (path, stop) = (path.clone(), stop.clone());
            std::thread::spawn(move || {
                let reader = Connection::open(&path).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    reader.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0)).unwrap();
                }
            })
        };
        for _ in 0..300 {
            std::thread::sleep(Duration::from_millis(4));
            writer.execute_batch("BEGIN IMMEDIATE").unwrap();
            for _ in 0..100 {
                writer.execute("INSERT INTO t (b) VALUES (zeroblob(4000))", []).unwrap();
            }
            writer.execute_batch("COMMIT").unwrap();
            checkpoints.after_transaction(&writer);
        }
        stop.store(true, Ordering::Relaxed);
        reading.join().unwrap();
        let wal = std::fs::metadata(dir.path().join("wal.db-wal")).unwrap().len();
        assert!(wal < 60 * 1024 * 1024, "the WAL grew to {wal} bytes of the 120 MB written");
    }
}
