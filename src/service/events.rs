//! The audit log, readable by admins, and each record's history, readable by
//! whoever may read the record.

use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::event::Event;
use crate::domain::ids::{ClientId, MatterId};
use crate::domain::matter::MatterFields;
use crate::domain::webhook::{check_patterns, event_types, matches_any};
use crate::store::EventQuery;

/// Which events of the log to read.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Event types or patterns (`client.*`); empty means every type.
    pub types: Vec<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
}

/// A record whose history is asked for.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    Client(ClientId),
    Matter(MatterId),
}

impl Service {
    /// Events after `after_seq`, oldest first.
    pub async fn list_events(&self, actor: &Actor, after_seq: i64, filter: &EventFilter, limit: usize) -> ServiceResult<Vec<Event>> {
        actor.require(Scope::Admin)?;
        let query = EventQuery {
            from_seq: Some(after_seq),
            newest_first: false,
            types: expand(&filter.types)?,
            resource_type: filter.resource_type.clone(),
            resource_id: filter.resource_id.clone(),
            limit,
            numbered_only: false,
        };
        Ok(self.store.list_events(actor.firm.id, &query).await?)
    }

    /// A record's events, newest first, before the event `before` (a
    /// cursor). Deleted records keep their history until they are purged.
    pub async fn history(&self, actor: &Actor, subject: Subject, before: Option<i64>, limit: usize) -> ServiceResult<Vec<Event>> {
        let resource_id = match subject {
            Subject::Client(id) => {
                actor.require(Scope::ClientsRead)?;
                self.store.get_client(actor.firm.id, id).await?.ok_or(ServiceError::NotFound("client"))?;
                id.to_string()
            }
            Subject::Matter(id) => {
                actor.require(Scope::MattersRead)?;
                self.stored::<MatterFields>(actor, id.as_uuid()).await?.ok_or(ServiceError::NotFound("matter"))?;
                id.to_string()
            }
        };
        let query = EventQuery { from_seq: before, newest_first: true, resource_id: Some(resource_id), limit, ..EventQuery::default() };
        Ok(self.store.list_events(actor.firm.id, &query).await?)
    }
}

/// The event types `patterns` cover; none when they cover every type.
fn expand(patterns: &[String]) -> ServiceResult<Vec<String>> {
    if patterns.is_empty() {
        return Ok(Vec::new());
    }
    check_patterns("type", patterns).map_err(|e| ServiceError::Invalid(vec![e]))?;
    let types: Vec<String> = event_types().iter().filter(|t| matches_any(patterns, t)).cloned().collect();
    Ok(if types.len() == event_types().len() { Vec::new() } else { types })
}
