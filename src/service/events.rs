//! The audit log, readable by admins.

use super::{Actor, Service, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::event::Event;

impl Service {
    /// Events after `after_seq`, oldest first.
    pub async fn list_events(&self, actor: &Actor, after_seq: i64, limit: usize) -> ServiceResult<Vec<Event>> {
        actor.require(Scope::Admin)?;
        Ok(self.store.list_events(actor.firm.id, after_seq, limit).await?)
    }
}
