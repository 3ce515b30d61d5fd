//! Exports: every client or matter matching a list's filters, a page at a
//! time, in a keyset walk (docs/bulk.md says what a walk sees).
//!
//! The walk goes by creation time and id, oldest first, each page starting
//! after the last record of the one before. So a record is exported at most
//! once; one created during the walk is in it (it sorts last); one changed
//! during it is exported as it was when its page was read; one deleted
//! before its page was read is not in it.

use super::clients::typed_custom_filters;
use super::{Actor, Service, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::client::query::{ClientFilter, ClientQuery, ClientSort, Position, SortField};
use crate::domain::client::Client;
use crate::domain::custom_field::Entity;
use crate::domain::matter::MatterFields;
use crate::domain::record::{RecordFilter, RecordKind, RecordQuery, RecordSort, Stored};
use crate::domain::time::Timestamp;

/// Records read per page of an export.
pub const EXPORT_PAGE: usize = 500;

const OLDEST_FIRST: ClientSort = ClientSort { field: SortField::CreatedAt, descending: false };

/// Where a client export is: its filter, typed once, and the last record sent.
pub struct ClientWalk {
    filter: ClientFilter,
    after: Option<Position>,
    done: bool,
}

pub struct MatterWalk {
    filter: RecordFilter,
    after: Option<(Timestamp, uuid::Uuid)>,
    done: bool,
}

impl Service {
    /// Starts a client export; checks the scope and the filter.
    pub async fn start_client_export(&self, actor: &Actor, mut filter: ClientFilter) -> ServiceResult<ClientWalk> {
        actor.require(Scope::ClientsRead)?;
        if !filter.custom.is_empty() {
            let definitions = self.custom_field_definitions(actor, Entity::Client).await?;
            filter.custom_values = typed_custom_filters(&definitions, &filter.custom)?;
        }
        Ok(ClientWalk { filter, after: None, done: false })
    }

    /// The next page of a client export; empty when it is over.
    pub async fn next_clients(&self, actor: &Actor, walk: &mut ClientWalk) -> ServiceResult<Vec<Client>> {
        if walk.done {
            return Ok(Vec::new());
        }
        let query = ClientQuery { filter: walk.filter.clone(), sort: OLDEST_FIRST, after: walk.after.take(), offset: 0, limit: EXPORT_PAGE };
        let page = self.store.list_clients(actor.firm.id, &query).await?;
        walk.done = page.len() < EXPORT_PAGE;
        walk.after = page.last().map(|c| c.position(&OLDEST_FIRST));
        Ok(page)
    }

    pub async fn start_matter_export(&self, actor: &Actor, filter: RecordFilter) -> ServiceResult<MatterWalk> {
        actor.require(Scope::MattersRead)?;
        Ok(MatterWalk { filter, after: None, done: false })
    }

    pub async fn next_matters(&self, actor: &Actor, walk: &mut MatterWalk) -> ServiceResult<Vec<Stored<MatterFields>>> {
        if walk.done {
            return Ok(Vec::new());
        }
        let sort = RecordSort { by_updated: false, descending: false };
        let query = RecordQuery { filter: walk.filter.clone(), sort, after: walk.after.take(), limit: EXPORT_PAGE };
        let page = self.store.list_records(actor.firm.id, RecordKind::Matter, &query).await?;
        walk.done = page.len() < EXPORT_PAGE;
        walk.after = page.last().map(|r| (r.created_at, r.id));
        page.into_iter().map(Stored::from_record).collect::<Result<_, _>>().map_err(super::ServiceError::Internal)
    }

    /// The keys of the firm's custom fields of `entity`, in order (the
    /// `cf.<key>` columns of a CSV export).
    pub async fn custom_field_keys(&self, actor: &Actor, entity: Entity) -> ServiceResult<Vec<String>> {
        let mut keys: Vec<String> = self.custom_field_definitions(actor, entity).await?.into_iter().map(|d| d.key).collect();
        keys.sort();
        Ok(keys)
    }
}
