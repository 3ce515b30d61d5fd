//! The one path every change to a stored record takes, clients and records
//! alike: read it, check the caller's preconditions, compute the new state,
//! then compare-and-set it with its event, again if another writer won.

use std::future::Future;

use super::precondition::{until_settled, Precondition, Round};
use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::client::Client;
use crate::domain::event::Event;
use crate::domain::ids::{ClientId, TypedId};
use crate::domain::record::{RecordFields, RecordKind, Stored};
use crate::domain::time::Timestamp;
use crate::store::{StoreError, Unique, Write};

/// The outcome of a change: the new state, plus writes that must commit with
/// it (guards on referenced records, cascades).
pub struct Changed<R> {
    pub next: R,
    pub writes: Vec<Write>,
}

impl<R> Changed<R> {
    pub fn to(next: R) -> Self {
        Self { next, writes: Vec::new() }
    }
}

/// What the change loop needs of a kind of stored record.
pub(crate) trait Versioned: Clone + Send + Sync + 'static {
    type Id: Copy + Send + Sync;
    /// The name in events (`client.updated`) and errors.
    const NAME: &'static str;

    fn version(&self) -> i64;
    fn is_live(&self) -> bool;
    /// Stamps `self` as the version after `current`. `updated_at` never goes
    /// backwards, even if the clocks of nodes differ.
    fn follow(&mut self, current: &Self);
    /// The write that replaces `current` with `next`, if `current` is still
    /// the stored version.
    fn replace(current: &Self, next: &Self) -> Write;
    /// The event of `actor` changing `before` into `after` by `action`.
    fn event(actor: &Actor, action: &str, before: &Self, after: &Self) -> Event;
    /// The record of the actor's firm with this id, deleted or not.
    fn read(service: &Service, actor: &Actor, id: Self::Id) -> impl Future<Output = ServiceResult<Option<Self>>> + Send;
    fn not_found() -> ServiceError;
    /// How a store error of this kind's write reads.
    fn refused(e: StoreError) -> ServiceError;
}

impl Versioned for Client {
    type Id = ClientId;
    const NAME: &'static str = "client";

    fn version(&self) -> i64 {
        self.version
    }

    fn is_live(&self) -> bool {
        self.deleted_at.is_none()
    }

    fn follow(&mut self, current: &Self) {
        self.version = current.version + 1;
        self.updated_at = Timestamp::now().max(current.updated_at);
    }

    fn replace(current: &Self, next: &Self) -> Write {
        Write::update_client(current, next)
    }

    fn event(actor: &Actor, action: &str, before: &Self, after: &Self) -> Event {
        actor.event(&format!("client.{action}"), "client", after.id.to_string(), Some(before.snapshot()), Some(after.snapshot()))
    }

    async fn read(service: &Service, actor: &Actor, id: ClientId) -> ServiceResult<Option<Self>> {
        Ok(service.store.get_client(actor.firm.id, id).await?)
    }

    fn not_found() -> ServiceError {
        ServiceError::NotFound("client")
    }

    fn refused(e: StoreError) -> ServiceError {
        e.into()
    }
}

impl<F: RecordFields> Versioned for Stored<F> {
    type Id = F::Id;
    const NAME: &'static str = F::KIND.as_str();

    fn version(&self) -> i64 {
        self.version
    }

    fn is_live(&self) -> bool {
        self.deleted_at.is_none()
    }

    fn follow(&mut self, current: &Self) {
        self.version = current.version + 1;
        self.updated_at = Timestamp::now().max(current.updated_at);
    }

    fn replace(current: &Self, next: &Self) -> Write {
        Write::update_record(current, next)
    }

    fn event(actor: &Actor, action: &str, before: &Self, after: &Self) -> Event {
        let kind = F::KIND.as_str();
        actor.event(&format!("{kind}.{action}"), kind, after.id().to_string(), Some(before.snapshot()), Some(after.snapshot()))
    }

    async fn read(service: &Service, actor: &Actor, id: F::Id) -> ServiceResult<Option<Self>> {
        service.stored::<F>(actor, id.as_uuid()).await
    }

    fn not_found() -> ServiceError {
        not_found(F::KIND)
    }

    fn refused(e: StoreError) -> ServiceError {
        record_error(F::KIND, e)
    }
}

impl Service {
    /// Changes a record by `change` (`None`: nothing changes, and the record
    /// is returned as it is), writing `<kind>.<action>` with it. A lost race
    /// is run again unless the caller pinned a version, whose race is theirs.
    pub(crate) async fn change<R: Versioned>(
        &self,
        actor: &Actor,
        id: R::Id,
        pre: &Precondition,
        action: &str,
        include_deleted: bool,
        change: impl Fn(&R) -> ServiceResult<Option<Changed<R>>>,
    ) -> ServiceResult<R> {
        let change = &change;
        until_settled(R::NAME, || async move {
            let current = match R::read(self, actor, id).await? {
                Some(r) if include_deleted || r.is_live() => r,
                _ => return Err(R::not_found()),
            };
            pre.check(current.version())?;
            let Some(Changed { mut next, writes: extra }) = change(&current)? else {
                return Ok(Round::Done(current));
            };
            next.follow(&current);
            let mut writes = vec![R::replace(&current, &next)];
            writes.extend(extra);
            writes.push(Write::Event(R::event(actor, action, &current, &next)));
            match self.commit(writes).await {
                Ok(_) => Ok(Round::Done(next)),
                Err(StoreError::VersionMismatch) if pre.is_pinned() => Err(pre.lost_race(next.version())),
                Err(StoreError::VersionMismatch) => Ok(Round::Raced),
                Err(e) => Err(R::refused(e)),
            }
        })
        .await
    }
}

/// How a store error reads for a record kind.
pub(crate) fn record_error(kind: RecordKind, e: StoreError) -> ServiceError {
    match e {
        StoreError::Duplicate(Unique::RecordKey) => match kind {
            RecordKind::User => ServiceError::DuplicateEmail,
            RecordKind::CustomField => ServiceError::DuplicateKey,
            RecordKind::Matter => ServiceError::DuplicateExternalId,
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
        RecordKind::Webhook => "webhook",
    })
}
