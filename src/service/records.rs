//! What every record kind shares: reading a live record, inserting one with
//! its event, soft delete and restore (changes through [`Service::change`]),
//! and keyset lists. The per-kind services add their rules on top.

use uuid::Uuid;

use super::change::{Changed, Versioned};
use super::paging::{Counting, Total};
use super::precondition::Precondition;
use super::{cursor, paging, Actor, Service, ServiceError, ServiceResult};
use crate::domain::ids::TypedId;
use crate::domain::record::{RecordFields, RecordFilter, RecordQuery, RecordSort, Stored};
use crate::domain::time::Timestamp;
use crate::store::Write;

/// A list request for one record kind.
#[derive(Debug, Clone, Default)]
pub struct RecordListRequest {
    pub filter: RecordFilter,
    pub sort: RecordSort,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
    pub count: Counting,
}

pub struct RecordPage<F> {
    pub items: Vec<Stored<F>>,
    pub next_cursor: Option<String>,
    pub limit: usize,
    pub total: Option<Total>,
}

/// The `<kind>.created` event of a new record.
pub(crate) fn created_event<F: RecordFields>(actor: &Actor, record: &Stored<F>) -> crate::domain::event::Event {
    let kind = F::KIND.as_str();
    actor.event(&format!("{kind}.created"), kind, record.id().to_string(), None, Some(record.snapshot()))
}


pub(crate) fn decode<F: RecordFields>(record: crate::domain::record::Record) -> ServiceResult<Stored<F>> {
    Stored::from_record(record).map_err(ServiceError::Internal)
}

impl Service {
    /// A record of the actor's firm, deleted or not.
    pub(crate) async fn stored<F: RecordFields>(&self, actor: &Actor, id: Uuid) -> ServiceResult<Option<Stored<F>>> {
        self.store.get_record(actor.firm.id, F::KIND, id).await?.map(decode).transpose()
    }

    /// A live record of the actor's firm, or `NotFound`.
    pub(crate) async fn live<F: RecordFields>(&self, actor: &Actor, id: F::Id) -> ServiceResult<Stored<F>> {
        match self.stored::<F>(actor, id.as_uuid()).await? {
            Some(r) if r.is_live() => Ok(r),
            _ => Err(Stored::<F>::not_found()),
        }
    }

    /// Inserts a new record with its `<kind>.created` event and `guards`.
    pub(crate) async fn insert<F: RecordFields>(&self, actor: &Actor, fields: F, guards: Vec<Write>) -> ServiceResult<Stored<F>> {
        self.insert_new(actor, Stored::new(actor.firm.id, fields), guards).await
    }

    /// Inserts `record`, new, with its `<kind>.created` event and `guards`.
    pub(crate) async fn insert_new<F: RecordFields>(&self, actor: &Actor, mut record: Stored<F>, guards: Vec<Write>) -> ServiceResult<Stored<F>> {
        let event = created_event(actor, &record);
        let mut writes = guards;
        writes.push(Write::insert_record(&record));
        writes.push(Write::Event(event));
        let seqs = self.commit(writes).await.map_err(Stored::<F>::refused)?;
        record.seq = seqs.last().copied().unwrap_or_default();
        Ok(record)
    }

    /// Soft delete, restorable until the firm's retention purges it.
    pub(crate) async fn soft_delete<F: RecordFields>(&self, actor: &Actor, id: F::Id, pre: &Precondition) -> ServiceResult<()> {
        let now = Timestamp::now();
        self.change::<Stored<F>>(actor, id, pre, "deleted", false, |current| {
            Ok(Some(Changed::to(Stored { deleted_at: Some(now), ..current.clone() })))
        })
        .await
        .map(|_| ())
    }

    /// Undoes a soft delete; restoring a live record changes nothing.
    pub(crate) async fn restore<F: RecordFields>(
        &self,
        actor: &Actor,
        id: F::Id,
        guards: impl Fn(&Stored<F>) -> Vec<Write>,
    ) -> ServiceResult<Stored<F>> {
        self.change::<Stored<F>>(actor, id, &Precondition::default(), "restored", true, |current| {
            Ok(current.deleted_at.is_some().then(|| Changed {
                next: Stored { deleted_at: None, ..current.clone() },
                writes: guards(current),
            }))
        })
        .await
    }

    /// One page of the actor's firm's live records of kind `F`.
    pub(crate) async fn list<F: RecordFields>(&self, actor: &Actor, request: RecordListRequest) -> ServiceResult<RecordPage<F>> {
        let limit = paging::page_size(request.limit)?;
        let after = request.cursor.as_deref().map(|c| cursor::decode_record(c, request.sort)).transpose()?;
        let query = RecordQuery { filter: request.filter, sort: request.sort, after, limit: limit + 1 };
        let mut items = self
            .store
            .list_records(actor.firm.id, F::KIND, &query)
            .await?
            .into_iter()
            .map(decode)
            .collect::<ServiceResult<Vec<Stored<F>>>>()?;
        let next_cursor = paging::cut(&mut items, limit).map(|last| cursor::encode_record(query.sort, query.sort.key_of(last), last.id));
        let total = self.total(request.count, |at_most| self.store.count_records(actor.firm.id, F::KIND, &query.filter, at_most)).await?;
        Ok(RecordPage { items, next_cursor, limit, total })
    }

    /// Every live record of kind `F` matching `filter`, up to `max` (for small
    /// sets such as a firm's custom field definitions).
    pub(crate) async fn all<F: RecordFields>(&self, actor: &Actor, filter: RecordFilter, max: usize) -> ServiceResult<Vec<Stored<F>>> {
        let query = RecordQuery { filter, sort: RecordSort::default(), after: None, limit: max };
        self.store.list_records(actor.firm.id, F::KIND, &query).await?.into_iter().map(decode).collect()
    }
}

impl Service {
    /// How many live records of kind `F` match `filter`.
    pub(crate) async fn count_of<F: RecordFields>(&self, actor: &Actor, filter: &RecordFilter) -> ServiceResult<u64> {
        Ok(self.store.count_records(actor.firm.id, F::KIND, filter, None).await?)
    }
}

impl Service {
    /// The live record of kind `F` with this per-table integer id (the ids
    /// integer-id dialects show), in the actor's firm.
    pub async fn record_id_by_seq<F: RecordFields>(&self, actor: &Actor, seq: i64) -> ServiceResult<F::Id> {
        let filter = RecordFilter { seqs: vec![seq], ..RecordFilter::default() };
        let found = self.all::<F>(actor, filter, 1).await?;
        found.first().map(|r| r.id()).ok_or(ServiceError::NotFound(F::KIND.as_str()))
    }
}
