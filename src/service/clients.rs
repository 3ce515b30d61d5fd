//! Clients: every rule about creating, changing, deleting and listing them.

use serde_json::{Map, Value};

use super::{cursor, Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::client::query::{ClientFilter, ClientQuery, ClientSort};
use crate::domain::client::{merge_patch, parse_document, to_document, Client, ClientFields};
use crate::domain::ids::ClientId;
use crate::domain::time::Timestamp;
use super::matters::{is_open, MAX_CASCADE};
use super::custom_fields::apply_definitions;
use crate::domain::custom_field::{CustomFieldFields, Entity};
use crate::domain::field::FieldError;
use crate::domain::matter::MatterFields;
use crate::domain::record::{RecordFilter, Stored};
use crate::store::{StoreError, Write};

/// Attempts at a read-modify-write that raced with another writer, when the
/// caller didn't pin a version (with a pinned version a race is the caller's
/// conflict to resolve). Every round has a winner, so N writers on one record
/// need at most N rounds; this bounds the pile-up on a pathologically hot one.
pub(crate) const MAX_ATTEMPTS: u32 = 64;
pub const MAX_PAGE: usize = 100;
pub const DEFAULT_PAGE: usize = 25;

/// Conditions a write must meet, from `If-Match` and a body's `version`.
#[derive(Debug, Clone, Default)]
pub struct Precondition {
    pub if_match: Option<IfMatch>,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IfMatch {
    /// `If-Match: *`: the record must exist.
    Any,
    /// Versions named by the entity tags; anything unparseable matches nothing.
    Versions(Vec<i64>),
}

impl Precondition {
    pub(crate) fn is_pinned(&self) -> bool {
        self.if_match.is_some() || self.version.is_some()
    }

    /// The error for a pinned write that lost a race to another writer.
    pub(crate) fn lost_race(&self, next_version: i64) -> ServiceError {
        match self.if_match {
            Some(_) => ServiceError::PreconditionFailed,
            None => ServiceError::VersionConflict { sent: self.version.unwrap_or_default(), current: next_version },
        }
    }

    pub(crate) fn check(&self, current: i64) -> ServiceResult<()> {
        if let Some(IfMatch::Versions(versions)) = &self.if_match {
            if !versions.contains(&current) {
                return Err(ServiceError::PreconditionFailed);
            }
        }
        match self.version {
            Some(sent) if sent != current => Err(ServiceError::VersionConflict { sent, current }),
            _ => Ok(()),
        }
    }
}

/// A list request as every surface hands it over.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub filter: ClientFilter,
    pub sort: ClientSort,
    pub cursor: Option<String>,
    pub offset: u64,
    pub limit: Option<usize>,
    pub include_total: bool,
}

pub struct Page {
    pub items: Vec<Client>,
    pub next_cursor: Option<String>,
    pub limit: usize,
    pub total: Option<u64>,
}

impl Page {
    pub fn has_more(&self) -> bool {
        self.next_cursor.is_some()
    }
}

impl Service {
    pub async fn create_client(&self, actor: &Actor, doc: &Map<String, Value>) -> ServiceResult<Client> {
        actor.require(Scope::ClientsWrite)?;
        let mut fields = parse_document(doc, &actor.firm.settings).map_err(ServiceError::Invalid)?;
        let definitions = self.custom_field_definitions(actor, Entity::Client).await?;
        apply_definitions(&definitions, &mut fields.custom_fields)?;
        let now = Timestamp::now();
        let mut client = Client {
            id: ClientId::generate(),
            firm_id: actor.firm.id,
            seq: 0,
            fields,
            matters_count: 0,
            version: 1,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        let event = actor.event("client.created", "client", client.id.to_string(), None, Some(client.snapshot()));
        let seqs = self.store.apply(vec![Write::insert_client(&client), Write::Event(event)]).await?;
        client.seq = seqs.first().copied().unwrap_or_default();
        Ok(client)
    }

    pub async fn get_client(&self, actor: &Actor, id: ClientId) -> ServiceResult<Client> {
        actor.require(Scope::ClientsRead)?;
        self.live_client(actor, id).await
    }

    /// JSON merge patch (RFC 7396) of the client's writable fields.
    pub async fn update_client(&self, actor: &Actor, id: ClientId, patch: &Map<String, Value>, pre: Precondition) -> ServiceResult<Client> {
        self.update_client_with(actor, id, pre, |_| Ok(patch.clone())).await
    }

    /// A merge patch made from the client it changes (for a surface whose
    /// fields map differently for a person and a company). Needs only
    /// `clients:write`: the client is read for the write, not shown.
    pub async fn update_client_with(
        &self,
        actor: &Actor,
        id: ClientId,
        pre: Precondition,
        patch_of: impl Fn(&ClientFields) -> ServiceResult<Map<String, Value>>,
    ) -> ServiceResult<Client> {
        actor.require(Scope::ClientsWrite)?;
        let definitions = self.custom_field_definitions(actor, Entity::Client).await?;
        self.write_client(actor, id, &pre, "client.updated", |current| {
            let patch = Value::Object(patch_of(&current.fields)?);
            let mut doc = Value::Object(to_document(&current.fields));
            merge_patch(&mut doc, &patch);
            let mut fields = parse(actor, &doc)?;
            apply_definitions(&definitions, &mut fields.custom_fields)?;
            Ok(fields)
        })
        .await
    }

    /// Replaces every writable field; absent ones return to their defaults.
    pub async fn replace_client(&self, actor: &Actor, id: ClientId, doc: &Map<String, Value>, pre: Precondition) -> ServiceResult<Client> {
        actor.require(Scope::ClientsWrite)?;
        let doc = Value::Object(doc.clone());
        let definitions = self.custom_field_definitions(actor, Entity::Client).await?;
        self.write_client(actor, id, &pre, "client.replaced", |_| {
            let mut fields = parse(actor, &doc)?;
            apply_definitions(&definitions, &mut fields.custom_fields)?;
            Ok(fields)
        })
        .await
    }

    /// Soft delete: the client disappears from reads and lists, restorable
    /// until the firm's retention period purges it. A client with open or
    /// pending matters can't be deleted; its closed matters are deleted with
    /// it, in the same transaction.
    pub async fn delete_client(&self, actor: &Actor, id: ClientId, pre: Precondition) -> ServiceResult<()> {
        actor.require(Scope::ClientsWrite)?;
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                backoff(attempt).await;
            }
            let current = self.live_client(actor, id).await?;
            pre.check(current.version)?;
            let filter = RecordFilter { parent_id: Some(id.as_uuid()), ..RecordFilter::default() };
            let matters = self.all::<MatterFields>(actor, filter, MAX_CASCADE + 1).await?;
            if matters.iter().any(is_open) {
                return Err(ServiceError::ClientHasOpenMatters);
            }
            if matters.len() > MAX_CASCADE {
                return Err(ServiceError::invalid("id", format!("the client has more than {MAX_CASCADE} matters; delete them first")));
            }
            let now = Timestamp::now().max(current.updated_at);
            let next = Client { deleted_at: Some(now), version: current.version + 1, updated_at: now, ..current.clone() };
            let mut writes = vec![Write::update_client(&current, &next)];
            for matter in &matters {
                let gone = Stored { deleted_at: Some(now), version: matter.version + 1, updated_at: now.max(matter.updated_at), ..matter.clone() };
                writes.push(Write::update_record(matter, &gone));
                writes.push(Write::Event(self.changed_event(actor, "deleted", matter, &gone)));
            }
            // After the client's own update and the cascade, so a matter opened
            // (or moved here) meanwhile is seen, and the delete is retried.
            writes.push(Write::RequireNoLiveMatters { firm: actor.firm.id, client: id });
            writes.push(Write::Event(actor.event("client.deleted", "client", id.to_string(), Some(current.snapshot()), Some(next.snapshot()))));
            match self.store.apply(writes).await {
                Ok(_) => return Ok(()),
                Err(StoreError::VersionMismatch) if pre.is_pinned() && self.live_client(actor, id).await?.version != current.version => {
                    return Err(pre.lost_race(next.version));
                }
                Err(StoreError::VersionMismatch) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Unavailable("the client is being changed too often to delete; retry".into()))
    }

    /// Undoes a soft delete, with the matters deleted together with the
    /// client. Restoring a live client changes nothing.
    pub async fn restore_client(&self, actor: &Actor, id: ClientId) -> ServiceResult<Client> {
        actor.require(Scope::ClientsWrite)?;
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                backoff(attempt).await;
            }
            let current = self.store.get_client(actor.firm.id, id).await?.ok_or(ServiceError::NotFound("client"))?;
            let Some(deleted_at) = current.deleted_at else { return Ok(current) };
            let filter = RecordFilter { parent_id: Some(id.as_uuid()), deleted_at: Some(deleted_at), ..RecordFilter::default() };
            let matters = self.all::<MatterFields>(actor, filter, MAX_CASCADE).await?;
            let now = Timestamp::now().max(current.updated_at);
            let mut next = Client { deleted_at: None, version: current.version + 1, updated_at: now, ..current.clone() };
            let mut writes = vec![Write::update_client(&current, &next)];
            writes.push(Write::Event(actor.event("client.restored", "client", id.to_string(), Some(current.snapshot()), Some(next.snapshot()))));
            for matter in &matters {
                let back = Stored { deleted_at: None, version: matter.version + 1, updated_at: now.max(matter.updated_at), ..matter.clone() };
                writes.push(Write::update_record(matter, &back));
                writes.push(Write::Event(self.changed_event(actor, "restored", matter, &back)));
            }
            match self.store.apply(writes).await {
                Ok(_) => {
                    next.matters_count = matters.len() as i64;
                    return Ok(next);
                }
                Err(StoreError::VersionMismatch) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Unavailable("the client is being changed too often to restore; retry".into()))
    }

    pub async fn list_clients(&self, actor: &Actor, mut request: ListRequest) -> ServiceResult<Page> {
        actor.require(Scope::ClientsRead)?;
        if !request.filter.custom.is_empty() {
            let definitions = self.custom_field_definitions(actor, Entity::Client).await?;
            request.filter.custom_values = typed_custom_filters(&definitions, &request.filter.custom)?;
        }
        let limit = request.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ServiceError::invalid("limit", format!("must be between 1 and {MAX_PAGE}")));
        }
        let after = request.cursor.as_deref().map(|c| cursor::decode(c, &request.sort)).transpose()?;
        let query = ClientQuery {
            filter: request.filter,
            sort: request.sort,
            after,
            offset: request.offset,
            limit: limit + 1,
        };
        let mut items = self.store.list_clients(actor.firm.id, &query).await?;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| cursor::encode(&query.sort, &last.position(&query.sort)))
        } else {
            None
        };
        let total = if request.include_total {
            Some(self.store.count_clients(actor.firm.id, &query.filter).await?)
        } else {
            None
        };
        Ok(Page { items, next_cursor, limit, total })
    }

    /// The live client with this per-table integer id (the id integer-id
    /// dialects show), in the actor's firm.
    pub async fn client_id_by_seq(&self, actor: &Actor, seq: i64) -> ServiceResult<ClientId> {
        let query = ClientQuery {
            filter: ClientFilter { seqs: vec![seq], ..ClientFilter::default() },
            sort: ClientSort::default(),
            after: None,
            offset: 0,
            limit: 1,
        };
        let found = self.store.list_clients(actor.firm.id, &query).await?;
        found.first().map(|c| c.id).ok_or(ServiceError::NotFound("client"))
    }

    async fn live_client(&self, actor: &Actor, id: ClientId) -> ServiceResult<Client> {
        match self.store.get_client(actor.firm.id, id).await? {
            Some(c) if c.deleted_at.is_none() => Ok(c),
            _ => Err(ServiceError::NotFound("client")),
        }
    }

    /// Read-modify-write of a live client's fields by `new_fields`.
    async fn write_client(
        &self,
        actor: &Actor,
        id: ClientId,
        pre: &Precondition,
        kind: &str,
        new_fields: impl Fn(&Client) -> ServiceResult<ClientFields>,
    ) -> ServiceResult<Client> {
        self.change_client(actor, id, pre, kind, false, |current| {
            let fields = new_fields(current)?;
            Ok((fields != current.fields).then(|| Client { fields, ..current.clone() }))
        })
        .await
    }

    /// The one path every change to a client takes: read, check preconditions,
    /// compute the new state (`None` means nothing changes), validate references,
    /// then compare-and-set with the event. A lost race is retried unless the
    /// caller pinned a version.
    async fn change_client(
        &self,
        actor: &Actor,
        id: ClientId,
        pre: &Precondition,
        kind: &str,
        include_deleted: bool,
        change: impl Fn(&Client) -> ServiceResult<Option<Client>>,
    ) -> ServiceResult<Client> {
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                backoff(attempt).await;
            }
            let current = match self.store.get_client(actor.firm.id, id).await? {
                Some(c) if include_deleted || c.deleted_at.is_none() => c,
                _ => return Err(ServiceError::NotFound("client")),
            };
            pre.check(current.version)?;
            let Some(mut next) = change(&current)? else {
                return Ok(current);
            };
            next.version = current.version + 1;
            // Never let updated_at go backwards, even if clocks differ between nodes.
            next.updated_at = Timestamp::now().max(current.updated_at);
            let event = actor.event(kind, "client", id.to_string(), Some(current.snapshot()), Some(next.snapshot()));
            match self.store.apply(vec![Write::update_client(&current, &next), Write::Event(event)]).await {
                Ok(_) => return Ok(next),
                Err(StoreError::VersionMismatch) if pre.is_pinned() => return Err(pre.lost_race(next.version)),
                Err(StoreError::VersionMismatch) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Unavailable("the client is being changed too often to update; retry".into()))
    }
}

/// A short random pause, so racing writers don't collide in lockstep again.
pub(crate) async fn backoff(attempt: u32) {
    use rand::Rng;
    let max_micros = 200 * u64::from(attempt.min(10));
    let pause = rand::rng().random_range(0..=max_micros);
    tokio::time::sleep(std::time::Duration::from_micros(pause)).await;
}

/// `cf.<key>=value` filters as JSON values: typed by the key's definition,
/// or a string when the key has none.
fn typed_custom_filters(definitions: &[CustomFieldFields], raw: &[(String, String)]) -> ServiceResult<Vec<(String, Value)>> {
    let mut errors = Vec::new();
    let mut typed = Vec::new();
    for (key, value) in raw {
        let param = format!("cf.{key}");
        if key.is_empty() || key.len() > 64 || !key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
            errors.push(FieldError::new(param, "must name a custom field key (letters, digits, `_`, `-`, `.`)"));
            continue;
        }
        match definitions.iter().find(|d| d.key == *key) {
            Some(def) => match def.query_value(value) {
                Ok(v) => typed.push((key.clone(), v)),
                Err(message) => errors.push(FieldError::new(param, message)),
            },
            None => typed.push((key.clone(), Value::String(value.clone()))),
        }
    }
    if errors.is_empty() {
        Ok(typed)
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

fn parse(actor: &Actor, doc: &Value) -> ServiceResult<ClientFields> {
    let empty = Map::new();
    let doc = doc.as_object().unwrap_or(&empty);
    parse_document(doc, &actor.firm.settings).map_err(ServiceError::Invalid)
}
