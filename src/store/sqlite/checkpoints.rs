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
//! [`PAUSE`] apart, so a busy writer's WAL holds about that long of writes.

use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::internal;
use crate::store::StoreResult;

/// The least time between two checkpoints.
const PAUSE: Duration = Duration::from_millis(100);

pub struct Checkpointer {
    nudge: SyncSender<()>,
}

impl Checkpointer {
    /// Starts the checkpoint thread on its own connection to `path`.
    pub fn start(path: &Path) -> StoreResult<Self> {
        let conn = Connection::open(path).map_err(internal)?;
        // FULL: the database file is synced before the WAL may be reused.
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;").map_err(internal)?;
        let (nudge, nudged) = sync_channel(1);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(conn, nudged))
            .map_err(|e| crate::store::StoreError::Internal(format!("spawn the checkpoint thread: {e}")))?;
        Ok(Self { nudge })
    }

    /// Asks for a checkpoint soon; returns at once.
    pub fn nudge(&self) {
        let _ = self.nudge.try_send(());
    }
}

/// Ends when the writer (holding the nudge) is gone.
fn run(conn: Connection, nudged: Receiver<()>) {
    let mut last = Instant::now() - PAUSE;
    while nudged.recv().is_ok() {
        if let Some(wait) = PAUSE.checked_sub(last.elapsed()) {
            std::thread::sleep(wait);
        }
        last = Instant::now();
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "WAL checkpoint failed; the next write tries again");
        }
    }
}
