//! Numbering a firm's events after their writes commit: one numbering
//! transaction for every write of the firm that committed before it began.
//!
//! [`queries::number_events`] numbers all of a firm's committed, unnumbered
//! events at once, one transaction at a time per firm (its advisory lock),
//! and each such transaction waits for its commit to reach disk. When every
//! write ran its own numbering, a firm's writes queued on that lock, most
//! numbering only their own event: about one write per disk flush. Here the
//! writes of a node that commit while a numbering runs wait for it to end,
//! and the next numbering (run by one of them) numbers them all.
//!
//! A write asks (takes a ticket) after it commits. A numbering records the
//! tickets handed out before it starts; its statement's snapshot, taken
//! after, sees each of their events. So a write whose ticket a finished
//! numbering recorded is numbered, and returns.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use deadpool_postgres::Pool;

use super::queries;
use crate::domain::ids::FirmId;

#[derive(Default)]
pub(super) struct Numbering {
    firms: Mutex<HashMap<FirmId, Arc<Rounds>>>,
}

#[derive(Default)]
struct Rounds {
    /// Tickets handed out: writes of the firm that committed and asked.
    asked: AtomicU64,
    /// The last ticket a finished numbering covered; held while one runs.
    covered: tokio::sync::Mutex<u64>,
}

impl Numbering {
    /// Returns once the firm's events committed so far are numbered (or a
    /// numbering failed: the write stands, and the next write or read of
    /// the firm's events numbers them; until then no reader sees them).
    pub(super) async fn after_commit(&self, pool: &Pool, firm: FirmId) {
        let rounds = self.rounds(firm);
        let ticket = rounds.asked.fetch_add(1, Ordering::SeqCst) + 1;
        let mut covered = rounds.covered.lock().await;
        if *covered >= ticket {
            return;
        }
        let upto = rounds.asked.load(Ordering::SeqCst);
        let numbered = match pool.get().await {
            Ok(mut conn) => queries::number_events(&mut conn, firm).await,
            Err(e) => Err(super::pool_error(e)),
        };
        match numbered {
            Ok(()) => *covered = upto,
            Err(e) => tracing::warn!(firm_id = %firm, error = %e, "events not numbered yet; the next write or read of them will"),
        }
    }

    fn rounds(&self, firm: FirmId) -> Arc<Rounds> {
        let mut firms = self.firms.lock().unwrap_or_else(|p| p.into_inner());
        firms.entry(firm).or_default().clone()
    }
}
