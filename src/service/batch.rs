//! Batches of client or matter writes, through the same service methods as
//! single requests (so validation, events and webhooks are the same).
//!
//! - Not atomic: each operation is applied on its own, in order; runs of
//!   operations on different records go at once, so they are committed
//!   together (by SQLite's writer, or here as one transaction that falls
//!   back to one per operation when it fails), one transaction per
//!   operation as seen from outside.
//! - Atomic: every operation is planned against the stored state (each
//!   record at most once per batch, so no operation depends on another's
//!   write), their writes are gathered instead of committed
//!   (`Service::commit` under [`DEFERRED`]), then committed in one
//!   transaction. If another writer changed a record meanwhile, the batch is
//!   planned again.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use super::custom_fields::BATCH_DEFINITIONS;
use super::precondition::Precondition;
use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::batch::{Match, OpKind, Operation};
use crate::domain::client::query::ClientFilter;
use crate::domain::client::Client;
use crate::domain::email::Email;
use crate::domain::ids::{ClientId, MatterId};
use crate::domain::record::{RecordFilter, RecordQuery, RecordSort, Stored};
use crate::domain::matter::MatterFields;
use crate::store::{StoreError, Write};

/// Times an atomic batch is planned again after losing a race.
const ATTEMPTS: usize = 3;

tokio::task_local! {
    /// Set while an atomic batch is planned: where `Service::commit` puts
    /// the writes instead of committing them.
    pub(crate) static DEFERRED: Arc<Mutex<Vec<Write>>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchKind {
    Clients,
    Matters,
}

/// A record a batch operation wrote.
pub enum Written {
    Client(Client),
    Matter(Stored<MatterFields>),
}

pub enum Done {
    Created(Written),
    Updated(Written),
    Deleted,
}

pub type OpResult = ServiceResult<Done>;

impl Service {
    /// Runs a batch; one result per operation, in order.
    pub async fn batch(&self, actor: &Actor, kind: BatchKind, operations: Vec<Operation>, atomic: bool) -> ServiceResult<Vec<OpResult>> {
        let batch = async {
            if atomic {
                self.atomic_batch(actor, kind, &operations).await
            } else {
                self.separate_batch(actor, kind, operations).await
            }
        };
        BATCH_DEFINITIONS.scope(Arc::default(), batch).await
    }

    async fn separate_batch(&self, actor: &Actor, kind: BatchKind, operations: Vec<Operation>) -> ServiceResult<Vec<OpResult>> {
        // The request's idempotency key is claimed before any operation, so
        // a retry after a crash never applies one twice.
        self.claim_idempotency_key_now().await?;
        let mut results: Vec<Option<OpResult>> = (0..operations.len()).map(|_| None).collect();
        for wave in waves(&operations) {
            if self.store.commits_concurrent_writes_together() {
                self.separate_wave(actor, kind, &operations, &wave, &mut results).await?;
            } else {
                self.grouped_wave(actor, kind, &operations, &wave, &mut results).await?;
            }
        }
        Ok(results.into_iter().map(|r| r.unwrap_or(Err(ServiceError::Internal("an operation did not run".into())))).collect())
    }

    /// Runs a wave's operations at once, each committing on its own.
    async fn separate_wave(&self, actor: &Actor, kind: BatchKind, operations: &[Operation], wave: &[usize], results: &mut [Option<OpResult>]) -> ServiceResult<()> {
        for outcome in self.run_wave(actor, kind, operations, wave, false).await? {
            keep(results, outcome);
        }
        Ok(())
    }

    /// Runs a wave's operations as one commit, for a store that commits each
    /// write on its own (PostgreSQL, where a transaction per operation makes
    /// a batch wait for a disk flush per row). Each operation is planned
    /// against the stored state with its writes gathered, as an atomic
    /// batch's are (no two operations of a wave touch one record), and the
    /// writes of those that planned are committed together. If that commit
    /// fails (a unique value or a version another writer got to first, say),
    /// nothing was written, and the wave runs again one commit per
    /// operation, which names the operations at fault.
    async fn grouped_wave(&self, actor: &Actor, kind: BatchKind, operations: &[Operation], wave: &[usize], results: &mut [Option<OpResult>]) -> ServiceResult<()> {
        let mut planned = self.run_wave(actor, kind, operations, wave, true).await?;
        // An operation that failed wrote nothing, whatever it had gathered.
        let writes: Vec<Write> = planned.iter_mut().filter(|(_, result, _)| result.is_ok()).flat_map(|(_, _, writes)| std::mem::take(writes)).collect();
        if !writes.is_empty() && self.commit_gathered(writes).await.is_err() {
            return self.separate_wave(actor, kind, operations, wave, results).await;
        }
        for outcome in planned {
            keep(results, outcome);
        }
        Ok(())
    }

    /// Runs a wave's operations, as many at once as the store takes, each
    /// on a task of its own with the batch's custom field definitions;
    /// `gather` keeps their writes instead of committing them.
    async fn run_wave(&self, actor: &Actor, kind: BatchKind, operations: &[Operation], wave: &[usize], gather: bool) -> ServiceResult<Vec<Outcome>> {
        let at_once = self.store.writes_at_once();
        let definitions = BATCH_DEFINITIONS.try_with(Arc::clone).unwrap_or_default();
        let mut outcomes = Vec::with_capacity(wave.len());
        let mut running = tokio::task::JoinSet::new();
        for &i in wave {
            if running.len() >= at_once {
                outcomes.push(next(&mut running).await?);
            }
            let (service, actor, op) = (self.clone(), actor.clone(), operations[i].clone());
            running.spawn(BATCH_DEFINITIONS.scope(definitions.clone(), async move {
                if !gather {
                    return (i, service.run_operation(&actor, kind, &op).await, Vec::new());
                }
                let (result, writes) = gathering(service.run_operation(&actor, kind, &op)).await;
                (i, result, writes)
            }));
        }
        while !running.is_empty() {
            outcomes.push(next(&mut running).await?);
        }
        Ok(outcomes)
    }

    async fn atomic_batch(&self, actor: &Actor, kind: BatchKind, operations: &[Operation]) -> ServiceResult<Vec<OpResult>> {
        if let Some((i, error)) = repeated_record(operations) {
            return Ok(aborted(operations.len(), i, error));
        }
        for _ in 0..ATTEMPTS {
            let planned = gathering(async {
                let mut results = Vec::with_capacity(operations.len());
                for op in operations {
                    let result = self.plan_atomic(actor, kind, op).await;
                    let failed = result.is_err();
                    results.push(result);
                    if failed {
                        break;
                    }
                }
                results
            });
            let (mut results, writes) = planned.await;
            if let Some(i) = results.iter().position(Result::is_err) {
                let error = results.swap_remove(i).err().unwrap_or(ServiceError::Internal("lost error".into()));
                return Ok(aborted(operations.len(), i, error));
            }
            match self.commit_gathered(writes).await {
                Ok(()) => return Ok(results),
                // Another writer got there between planning and commit.
                Err(StoreError::VersionMismatch | StoreError::Duplicate(_) | StoreError::MissingReference(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Unavailable("the batch kept conflicting with other writes; retry it".into()))
    }

    /// One operation of an atomic batch, with the unique checks the store
    /// would make at commit (so the operation that breaks one is named).
    async fn plan_atomic(&self, actor: &Actor, kind: BatchKind, op: &Operation) -> OpResult {
        if let Some(data) = &op.data {
            match kind {
                BatchKind::Clients => self.check_unique_client(actor, op, data).await?,
                BatchKind::Matters => self.check_unique_matter(actor, op, data).await?,
            }
        }
        self.run_operation(actor, kind, op).await
    }

    async fn check_unique_matter(&self, actor: &Actor, op: &Operation, data: &Map<String, Value>) -> ServiceResult<()> {
        let Some(external) = data.get("external_id").and_then(Value::as_str) else { return Ok(()) };
        let target = match op.op {
            OpKind::Create => None,
            _ => self.find_matter(actor, op).await?.map(|m| m.id),
        };
        match self.matter_by_external_id(actor, external).await? {
            Some(other) if Some(other.id) != target => Err(ServiceError::DuplicateExternalId),
            _ => Ok(()),
        }
    }

    async fn check_unique_client(&self, actor: &Actor, op: &Operation, data: &Map<String, Value>) -> ServiceResult<()> {
        let target = match op.op {
            OpKind::Create => None,
            _ => self.find_client(actor, op).await?.map(|c| c.id),
        };
        let email = data.get("email").and_then(Value::as_str).and_then(|e| Email::parse(e).ok());
        if let Some(email) = email {
            let filter = ClientFilter { email_keys: vec![email.key()], ..ClientFilter::default() };
            if self.first_client(actor, filter).await?.is_some_and(|c| Some(c.id) != target) {
                return Err(ServiceError::DuplicateEmail);
            }
        }
        if let Some(external) = data.get("external_id").and_then(Value::as_str) {
            let filter = ClientFilter { external_ids: vec![external.to_string()], ..ClientFilter::default() };
            if self.first_client(actor, filter).await?.is_some_and(|c| Some(c.id) != target) {
                return Err(ServiceError::DuplicateExternalId);
            }
        }
        Ok(())
    }

    async fn run_operation(&self, actor: &Actor, kind: BatchKind, op: &Operation) -> OpResult {
        let pre = Precondition { if_match: None, version: op.if_match };
        let data = op.data.clone().unwrap_or_default();
        match kind {
            BatchKind::Clients => {
                let target = match op.op {
                    OpKind::Create => None,
                    _ => self.find_client(actor, op).await?.map(|c| c.id),
                };
                match (op.op, target) {
                    (OpKind::Create, _) | (OpKind::Upsert, None) => {
                        Ok(Done::Created(Written::Client(self.create_client(actor, &with_match(data, op)).await?)))
                    }
                    (OpKind::Delete, Some(id)) => self.delete_client(actor, id, pre).await.map(|_| Done::Deleted),
                    (_, Some(id)) => Ok(Done::Updated(Written::Client(self.update_client(actor, id, &data, pre).await?))),
                    (_, None) => Err(ServiceError::NotFound("client")),
                }
            }
            BatchKind::Matters => {
                let target = match op.op {
                    OpKind::Create => None,
                    _ => self.find_matter(actor, op).await?.map(|m| m.id()),
                };
                match (op.op, target) {
                    (OpKind::Create, _) | (OpKind::Upsert, None) => {
                        Ok(Done::Created(Written::Matter(self.create_matter(actor, &with_match(data, op)).await?)))
                    }
                    (OpKind::Delete, Some(id)) => self.delete_matter(actor, id, pre).await.map(|_| Done::Deleted),
                    (_, Some(id)) => Ok(Done::Updated(Written::Matter(self.update_matter(actor, id, &data, pre).await?))),
                    (_, None) => Err(ServiceError::NotFound("matter")),
                }
            }
        }
    }

    /// The live client an operation names, by id or by match.
    async fn find_client(&self, actor: &Actor, op: &Operation) -> ServiceResult<Option<Client>> {
        actor.require(crate::domain::api_key::Scope::ClientsWrite)?;
        if let Some(id) = &op.id {
            let Ok(id) = id.parse::<ClientId>() else { return Ok(None) };
            return Ok(self.store.get_client(actor.firm.id, id).await?.filter(|c| c.deleted_at.is_none()));
        }
        let filter = match &op.matching {
            Some(Match::Email(e)) => ClientFilter { email_keys: vec![e.key()], ..ClientFilter::default() },
            Some(Match::ExternalId(x)) => ClientFilter { external_ids: vec![x.clone()], ..ClientFilter::default() },
            None => return Ok(None),
        };
        self.first_client(actor, filter).await
    }

    async fn first_client(&self, actor: &Actor, filter: ClientFilter) -> ServiceResult<Option<Client>> {
        let query = crate::domain::client::query::ClientQuery { filter, limit: 1, ..Default::default() };
        Ok(self.store.list_clients(actor.firm.id, &query).await?.into_iter().next())
    }

    async fn find_matter(&self, actor: &Actor, op: &Operation) -> ServiceResult<Option<Stored<MatterFields>>> {
        actor.require(crate::domain::api_key::Scope::MattersWrite)?;
        if let Some(id) = &op.id {
            let Ok(id) = id.parse::<MatterId>() else { return Ok(None) };
            return Ok(self.stored::<MatterFields>(actor, id.as_uuid()).await?.filter(|m| m.is_live()));
        }
        let Some(Match::ExternalId(x)) = &op.matching else { return Ok(None) };
        self.matter_by_external_id(actor, x).await
    }

    /// The live matter of the actor's firm with this external id.
    async fn matter_by_external_id(&self, actor: &Actor, external: &str) -> ServiceResult<Option<Stored<MatterFields>>> {
        actor.require(crate::domain::api_key::Scope::MattersWrite)?;
        let filter = RecordFilter { equals: vec![("external_id", vec![external.to_string()])], ..RecordFilter::default() };
        let query = RecordQuery { filter, sort: RecordSort::default(), after: None, limit: 1 };
        let found = self.store.list_records(actor.firm.id, crate::domain::record::RecordKind::Matter, &query).await?;
        found.into_iter().next().map(Stored::from_record).transpose().map_err(ServiceError::Internal)
    }
}

/// Runs `planning` with the writes `Service::commit` is given gathered
/// instead of committed, and returns them with its output.
async fn gathering<T>(planning: impl std::future::Future<Output = T>) -> (T, Vec<Write>) {
    let gathered = Arc::new(Mutex::new(Vec::new()));
    let output = DEFERRED.scope(gathered.clone(), planning).await;
    let writes = std::mem::take(&mut *gathered.lock().unwrap_or_else(|p| p.into_inner()));
    (output, writes)
}

/// An operation's index, result, and the writes it gathered (if planned).
type Outcome = (usize, OpResult, Vec<Write>);

/// Waits for one running operation.
async fn next(running: &mut tokio::task::JoinSet<Outcome>) -> ServiceResult<Outcome> {
    match running.join_next().await {
        Some(joined) => joined.map_err(|e| ServiceError::Internal(format!("a batch operation panicked: {e}"))),
        None => Err(ServiceError::Internal("no batch operation was running".into())),
    }
}

/// Keeps an operation's result in its place.
fn keep(results: &mut [Option<OpResult>], (i, result, _): Outcome) {
    results[i] = Some(result);
}

/// An upsert's new record carries the value it was matched on.
fn with_match(mut data: Map<String, Value>, op: &Operation) -> Map<String, Value> {
    if let Some(m) = &op.matching {
        let (field, value) = m.field();
        data.entry(field).or_insert(value);
    }
    data
}

/// What identifies the records an operation touches: its id, its match, and
/// the unique values it writes.
fn identities(op: &Operation) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(id) = &op.id {
        keys.push(format!("id:{}", id.to_ascii_lowercase()));
    }
    match &op.matching {
        Some(Match::Email(e)) => keys.push(format!("email:{}", e.key())),
        Some(Match::ExternalId(x)) => keys.push(format!("external_id:{x}")),
        None => {}
    }
    if let Some(data) = &op.data {
        if let Some(email) = data.get("email").and_then(Value::as_str).and_then(|e| Email::parse(e).ok()) {
            keys.push(format!("email:{}", email.key()));
        }
        if let Some(x) = data.get("external_id").and_then(Value::as_str) {
            keys.push(format!("external_id:{x}"));
        }
    }
    keys
}

/// Runs of operations that touch different records (indexes, in order).
fn waves(operations: &[Operation]) -> Vec<Vec<usize>> {
    let mut waves: Vec<Vec<usize>> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (i, op) in operations.iter().enumerate() {
        let keys = identities(op);
        if waves.is_empty() || keys.iter().any(|k| seen.contains(k)) {
            waves.push(Vec::new());
            seen.clear();
        }
        seen.extend(keys);
        waves.last_mut().map(|w| w.push(i));
    }
    waves
}

/// The first operation of an atomic batch that touches a record an earlier
/// one does, with why it can't be.
fn repeated_record(operations: &[Operation]) -> Option<(usize, ServiceError)> {
    let mut seen = HashSet::new();
    for (i, op) in operations.iter().enumerate() {
        for key in identities(op) {
            if !seen.insert(key.clone()) {
                let error = match key.split_once(':').map(|(k, _)| k) {
                    Some("email") if op.op == OpKind::Create => ServiceError::DuplicateEmail,
                    Some("external_id") if op.op == OpKind::Create => ServiceError::DuplicateExternalId,
                    _ => ServiceError::invalid(
                        &format!("operations[{i}]"),
                        "touches a record an earlier operation of this atomic batch does; an atomic batch changes each record once",
                    ),
                };
                return Some((i, error));
            }
        }
    }
    None
}

/// The results of an atomic batch that failed at operation `failed`.
fn aborted(count: usize, failed: usize, error: ServiceError) -> Vec<OpResult> {
    let mut error = Some(error);
    (0..count)
        .map(|i| if i == failed { Err(error.take().unwrap_or(ServiceError::BatchAborted { failed })) } else { Err(ServiceError::BatchAborted { failed }) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(v: Value) -> Operation {
        crate::domain::batch::parse_batch(json!({"operations": [v]}).as_object().unwrap(), true).unwrap().operations.remove(0)
    }

    #[test]
    fn operations_on_one_record_go_in_separate_waves() {
        let ops = vec![
            op(json!({"op": "create", "data": {"email": "a@example.com"}})),
            op(json!({"op": "create", "data": {"email": "b@example.com"}})),
            op(json!({"op": "upsert", "match": {"email": "A@EXAMPLE.com"}, "data": {}})),
            op(json!({"op": "create", "data": {"external_id": "x"}})),
        ];
        assert_eq!(waves(&ops), vec![vec![0, 1], vec![2, 3]]);
        assert_eq!(repeated_record(&ops).map(|(i, _)| i), Some(2));
    }
}
