//! What every record kind shares: reading a live record, inserting one with
//! its event, the compare-and-set change loop, soft delete and restore, and
//! keyset lists. The per-kind services add their rules on top.

use uuid::Uuid;

use super::clients::{backoff, Precondition, DEFAULT_PAGE, MAX_ATTEMPTS, MAX_PAGE};
use super::{cursor, Actor, Service, ServiceError, ServiceResult};
use crate::domain::ids::TypedId;
use crate::domain::record::{RecordFields, RecordFilter, RecordKind, RecordQuery, RecordSort, Stored};
use crate::domain::time::Timestamp;
use crate::store::{StoreError, Unique, Write};

/// A list request for one record kind.
#[derive(Debug, Clone, Default)]
pub struct RecordListRequest {
    pub filter: RecordFilter,
    pub sort: RecordSort,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
    pub include_total: bool,
}

pub struct RecordPage<F> {
    pub items: Vec<Stored<F>>,
    pub next_cursor: Option<String>,
    pub limit: usize,
    pub total: Option<u64>,
}

/// The outcome of a change: the new state, plus writes that must commit with
/// it (guards on referenced records, cascades).
pub struct Changed<F> {
    pub next: Stored<F>,
    pub writes: Vec<Write>,
}

impl<F> Changed<F> {
    pub fn to(next: Stored<F>) -> Self {
        Self { next, writes: Vec::new() }
    }
}

/// How a store error reads for a record kind.
pub(crate) fn record_error(kind: RecordKind, e: StoreError) -> ServiceError {
    match e {
        StoreError::Duplicate(Unique::RecordKey) => match kind {
            RecordKind::User => ServiceError::DuplicateEmail,
            RecordKind::CustomField => ServiceError::DuplicateKey,
            _ => ServiceError::Internal(format!("unexpected duplicate {}", kind.as_str())),
        },
        other => other.into(),
    }
}

fn not_found(kind: RecordKind) -> ServiceError {
    ServiceError::NotFound(match kind {
        RecordKind::Matter => "matter",
        RecordKind::Note => "note",
        RecordKind::Lead => "lead",
        RecordKind::User => "user",
        RecordKind::CustomField => "custom field",
        RecordKind::CustomAction => "custom action",
        RecordKind::IntakeToken => "intake token",
        RecordKind::Nonce => "nonce",
    })
}

fn decode<F: RecordFields>(record: crate::domain::record::Record) -> ServiceResult<Stored<F>> {
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
            _ => Err(not_found(F::KIND)),
        }
    }

    /// Inserts a new record with its `<kind>.created` event and `guards`.
    pub(crate) async fn insert<F: RecordFields>(&self, actor: &Actor, fields: F, guards: Vec<Write>) -> ServiceResult<Stored<F>> {
        let mut record = Stored::new(actor.firm.id, fields);
        let event = self.created_event(actor, &record);
        let mut writes = guards;
        writes.push(Write::insert_record(&record));
        writes.push(Write::Event(event));
        let seqs = self.store.apply(writes).await.map_err(|e| record_error(F::KIND, e))?;
        record.seq = seqs.last().copied().unwrap_or_default();
        Ok(record)
    }

    pub(crate) fn created_event<F: RecordFields>(&self, actor: &Actor, record: &Stored<F>) -> crate::domain::event::Event {
        let kind = F::KIND.as_str();
        actor.event(&format!("{kind}.created"), kind, record.id().to_string(), None, Some(record.snapshot()))
    }

    pub(crate) fn changed_event<F: RecordFields>(
        &self,
        actor: &Actor,
        action: &str,
        before: &Stored<F>,
        after: &Stored<F>,
    ) -> crate::domain::event::Event {
        let kind = F::KIND.as_str();
        actor.event(&format!("{kind}.{action}"), kind, after.id().to_string(), Some(before.snapshot()), Some(after.snapshot()))
    }

    /// The one path every change to a record takes: read, check
    /// preconditions, compute the new state (`None`: nothing changes), then
    /// compare-and-set with the event `<kind>.<action>`. A lost race is
    /// retried unless the caller pinned a version.
    pub(crate) async fn change<F: RecordFields>(
        &self,
        actor: &Actor,
        id: F::Id,
        pre: &Precondition,
        action: &str,
        include_deleted: bool,
        change: impl Fn(&Stored<F>) -> ServiceResult<Option<Changed<F>>>,
    ) -> ServiceResult<Stored<F>> {
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                backoff(attempt).await;
            }
            let current = match self.stored::<F>(actor, id.as_uuid()).await? {
                Some(r) if include_deleted || r.is_live() => r,
                _ => return Err(not_found(F::KIND)),
            };
            pre.check(current.version)?;
            let Some(Changed { mut next, writes: extra }) = change(&current)? else {
                return Ok(current);
            };
            next.version = current.version + 1;
            // Never let updated_at go backwards, even if clocks differ between nodes.
            next.updated_at = Timestamp::now().max(current.updated_at);
            let event = self.changed_event(actor, action, &current, &next);
            let mut writes = vec![Write::update_record(&current, &next)];
            writes.extend(extra);
            writes.push(Write::Event(event));
            match self.store.apply(writes).await {
                Ok(_) => return Ok(next),
                Err(StoreError::VersionMismatch) if pre.is_pinned() => return Err(pre.lost_race(next.version)),
                Err(StoreError::VersionMismatch) => continue,
                Err(e) => return Err(record_error(F::KIND, e)),
            }
        }
        Err(ServiceError::Unavailable(format!("the {} is being changed too often to update; retry", F::KIND.as_str())))
    }

    /// Soft delete, restorable until the firm's retention purges it.
    pub(crate) async fn soft_delete<F: RecordFields>(&self, actor: &Actor, id: F::Id, pre: &Precondition) -> ServiceResult<()> {
        let now = Timestamp::now();
        self.change::<F>(actor, id, pre, "deleted", false, |current| {
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
        self.change::<F>(actor, id, &Precondition::default(), "restored", true, |current| {
            Ok(current.deleted_at.is_some().then(|| Changed {
                next: Stored { deleted_at: None, ..current.clone() },
                writes: guards(current),
            }))
        })
        .await
    }

    /// One page of the actor's firm's live records of kind `F`.
    pub(crate) async fn list<F: RecordFields>(&self, actor: &Actor, request: RecordListRequest) -> ServiceResult<RecordPage<F>> {
        let limit = request.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ServiceError::invalid("limit", format!("must be between 1 and {MAX_PAGE}")));
        }
        let after = request.cursor.as_deref().map(|c| cursor::decode_record(c, request.sort)).transpose()?;
        let query = RecordQuery { filter: request.filter, sort: request.sort, after, limit: limit + 1 };
        let mut items = self
            .store
            .list_records(actor.firm.id, F::KIND, &query)
            .await?
            .into_iter()
            .map(decode)
            .collect::<ServiceResult<Vec<Stored<F>>>>()?;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| cursor::encode_record(query.sort, query.sort.key_of(last), last.id))
        } else {
            None
        };
        let total = if request.include_total {
            Some(self.store.count_records(actor.firm.id, F::KIND, &query.filter).await?)
        } else {
            None
        };
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
        Ok(self.store.count_records(actor.firm.id, F::KIND, filter).await?)
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
