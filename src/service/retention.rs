//! Purging soft-deleted records once the firm's retention period is over.

use super::{Actor, Service, ServiceResult};
use crate::domain::api_key::{Scope, Scopes};
use crate::domain::time::Timestamp;
use crate::store::StoreError;

const BATCH: usize = 500;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

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
            let system = Actor { firm: firm.clone(), key_id: None, scopes: Scopes::new(vec![Scope::Admin]), request_id: None };
            loop {
                let batch = self.store.deleted_clients(firm.id, cutoff, BATCH).await?;
                for client in &batch {
                    let event = system.event("client.purged", "client", client.id.to_string(), None, None);
                    match self.store.purge_client(firm.id, client.id, client.version, &event).await {
                        Ok(()) => purged += 1,
                        // Restored or purged by another node meanwhile.
                        Err(StoreError::VersionMismatch) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                if batch.len() < BATCH {
                    break;
                }
            }
        }
        Ok(purged)
    }
}
