//! Purging soft-deleted records once the firm's retention period is over.

use super::{Actor, Service, ServiceResult};
use crate::domain::time::Timestamp;
use crate::domain::record::{RecordFilter, RecordKind, RecordQuery, RecordSort};
use crate::store::{StoreError, Write};

const BATCH: usize = 500;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// How long an issued nonce is kept before it is erased, used or not.
const NONCE_KEEP_MS: i64 = 60 * 60 * 1000;

impl Service {
    /// Erases, in every firm, the clients deleted longer ago than the firm's
    /// retention as of `now`; returns how many. Each purge is an event with no
    /// snapshot (the point is that the data is gone). Safe to run on several
    /// nodes at once: a client is purged only if it is still the deleted
    /// version that was read.
    pub async fn purge_expired(&self, now: Timestamp) -> ServiceResult<usize> {
        let mut purged = 0;
        for firm in self.store.list_firms().await? {
            let cutoff = now.plus_millis(-(i64::from(firm.settings.retention_days) * DAY_MS));
            let system = Actor::operator(firm.clone());
            loop {
                let batch = self.store.deleted_clients(firm.id, cutoff, BATCH).await?;
                for client in &batch {
                    let event = system.event("client.purged", "client", client.id.to_string(), None, None);
                    let purge = Write::PurgeClient { firm: firm.id, id: client.id, version: client.version };
                    match self.commit(vec![purge, Write::Event(event)]).await {
                        Ok(_) => purged += 1,
                        // Restored or purged by another node meanwhile.
                        Err(StoreError::VersionMismatch) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                if batch.len() < BATCH {
                    break;
                }
            }
            purged += self.purge_records(&system, cutoff).await?;
            // Upkeep, not a change to firm data: no event.
            self.store.purge_deliveries(firm.id, cutoff).await?;
            self.purge_stale_nonces(&system, now).await?;
        }
        Ok(purged)
    }

    /// Erases the firm's records (matters, notes, …) deleted before `cutoff`,
    /// with the records that belong to them (a matter's notes).
    async fn purge_records(&self, system: &Actor, cutoff: Timestamp) -> ServiceResult<usize> {
        let mut purged = 0;
        loop {
            let batch = self.store.deleted_records(system.firm.id, cutoff, BATCH).await?;
            for record in &batch {
                let kind = record.kind.as_str();
                let event = system.event(&format!("{kind}.purged"), kind, record.kind.public_id(record.id), None, None);
                let purge = Write::PurgeRecord { firm: system.firm.id, id: record.id, version: record.version };
                match self.commit(vec![purge, Write::Event(event)]).await {
                    Ok(_) => purged += 1,
                    Err(StoreError::VersionMismatch) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if batch.len() < BATCH {
                return Ok(purged);
            }
        }
    }

    /// Nonces never presented expire after a minute; they are erased an hour
    /// after issue, without an event (they were never data anyone kept).
    async fn purge_stale_nonces(&self, system: &Actor, now: Timestamp) -> ServiceResult<usize> {
        let filter = RecordFilter { created_before: Some(now.plus_millis(-NONCE_KEEP_MS)), ..RecordFilter::default() };
        let mut purged = 0;
        loop {
            let query = RecordQuery { filter: filter.clone(), sort: RecordSort::default(), after: None, limit: BATCH };
            let batch = self.store.list_records(system.firm.id, RecordKind::Nonce, &query).await?;
            for record in &batch {
                let purge = Write::PurgeRecord { firm: system.firm.id, id: record.id, version: record.version };
                match self.commit(vec![purge]).await {
                    Ok(_) | Err(StoreError::VersionMismatch) => purged += 1,
                    Err(e) => return Err(e.into()),
                }
            }
            if batch.len() < BATCH {
                return Ok(purged);
            }
        }
    }
}
