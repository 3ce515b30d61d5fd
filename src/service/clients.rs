//! Clients: every rule about creating, changing, deleting and listing them.

use serde_json::{Map, Value};

use super::change::{Changed, Versioned};
use super::custom_fields::apply_definitions;
use super::matters::{is_open, MAX_CASCADE};
use super::precondition::{until_settled, Precondition, Round};
use super::paging::{Counting, Total};
use super::{cursor, paging, Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::client::query::{ClientFilter, ClientQuery, ClientSort};
use crate::domain::client::{merge_patch, parse_document, to_document, Client, ClientFields};
use crate::domain::custom_field::{CustomFieldFields, Entity};
use crate::domain::field::FieldError;
use crate::domain::ids::ClientId;
use crate::domain::matter::MatterFields;
use crate::domain::record::{RecordFilter, Stored};
use crate::domain::time::Timestamp;
use crate::store::{StoreError, Write};

/// A list request as every surface hands it over.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub filter: ClientFilter,
    pub sort: ClientSort,
    pub cursor: Option<String>,
    pub offset: u64,
    pub limit: Option<usize>,
    pub count: Counting,
}

pub struct Page {
    pub items: Vec<Client>,
    pub next_cursor: Option<String>,
    pub limit: usize,
    pub total: Option<Total>,
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
            merged_into: None,
        };
        let event = actor.event("client.created", "client", client.id.to_string(), None, Some(client.snapshot()));
        let seqs = self.commit(vec![Write::insert_client(&client), Write::Event(event)]).await?;
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
        patch_of: impl Fn(&Client) -> ServiceResult<Map<String, Value>>,
    ) -> ServiceResult<Client> {
        actor.require(Scope::ClientsWrite)?;
        let definitions = self.custom_field_definitions(actor, Entity::Client).await?;
        self.write_client(actor, id, &pre, "updated", |current| {
            let patch = Value::Object(patch_of(current)?);
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
        self.replace_client_with(actor, id, pre, |_| Ok(doc.clone())).await
    }

    /// A replacement made from the client it replaces (a surface that takes
    /// back the server-owned fields it showed, when they are unchanged).
    pub async fn replace_client_with(
        &self,
        actor: &Actor,
        id: ClientId,
        pre: Precondition,
        doc_of: impl Fn(&Client) -> ServiceResult<Map<String, Value>>,
    ) -> ServiceResult<Client> {
        actor.require(Scope::ClientsWrite)?;
        let definitions = self.custom_field_definitions(actor, Entity::Client).await?;
        self.write_client(actor, id, &pre, "replaced", |current| {
            let mut fields = parse(actor, &Value::Object(doc_of(current)?))?;
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
        let pre = &pre;
        until_settled("client", || async move {
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
            let mut next = Client { deleted_at: Some(now), ..current.clone() };
            next.follow(&current);
            let mut writes = vec![Write::update_client(&current, &next)];
            writes.extend(cascade(actor, &matters, "deleted", Some(now)));
            // After the client's own update and the cascade, so a matter opened
            // (or moved here) meanwhile is seen, and the delete is retried.
            writes.push(Write::RequireNoLiveMatters { firm: actor.firm.id, client: id });
            writes.push(Write::Event(Client::event(actor, "deleted", &current, &next)));
            match self.commit(writes).await {
                Ok(_) => Ok(Round::Done(())),
                Err(StoreError::VersionMismatch) if pre.is_pinned() && self.live_client(actor, id).await?.version != current.version => {
                    Err(pre.lost_race(next.version))
                }
                Err(StoreError::VersionMismatch) => Ok(Round::Raced),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    /// Undoes a soft delete, with the matters deleted together with the
    /// client. Restoring a live client changes nothing.
    pub async fn restore_client(&self, actor: &Actor, id: ClientId) -> ServiceResult<Client> {
        actor.require(Scope::ClientsWrite)?;
        until_settled("client", || async move {
            let current = self.store.get_client(actor.firm.id, id).await?.ok_or(ServiceError::NotFound("client"))?;
            if let Some(into) = current.merged_into {
                // A tombstone's matters, notes and email are the target's now.
                return Err(self.merged_error(actor, into).await);
            }
            let Some(deleted_at) = current.deleted_at else { return Ok(Round::Done(current)) };
            let filter = RecordFilter { parent_id: Some(id.as_uuid()), deleted_at: Some(deleted_at), ..RecordFilter::default() };
            let matters = self.all::<MatterFields>(actor, filter, MAX_CASCADE).await?;
            let mut next = Client { deleted_at: None, ..current.clone() };
            next.follow(&current);
            let mut writes = vec![Write::update_client(&current, &next)];
            writes.push(Write::Event(Client::event(actor, "restored", &current, &next)));
            writes.extend(cascade(actor, &matters, "restored", None));
            match self.commit(writes).await {
                Ok(_) => {
                    next.matters_count = matters.len() as i64;
                    Ok(Round::Done(next))
                }
                Err(StoreError::VersionMismatch) => Ok(Round::Raced),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    pub async fn list_clients(&self, actor: &Actor, mut request: ListRequest) -> ServiceResult<Page> {
        actor.require(Scope::ClientsRead)?;
        if !request.filter.custom.is_empty() {
            let definitions = self.custom_field_definitions(actor, Entity::Client).await?;
            request.filter.custom_values = typed_custom_filters(&definitions, &request.filter.custom)?;
        }
        let limit = paging::page_size(request.limit)?;
        let after = request.cursor.as_deref().map(|c| cursor::decode(c, &request.sort)).transpose()?;
        let query = ClientQuery {
            filter: request.filter,
            sort: request.sort,
            after,
            offset: request.offset,
            limit: limit + 1,
        };
        let mut items = self.store.list_clients(actor.firm.id, &query).await?;
        let next_cursor = paging::cut(&mut items, limit).map(|last| cursor::encode(&query.sort, &last.position(&query.sort)));
        let total = self.total(request.count, |at_most| self.store.count_clients(actor.firm.id, &query.filter, at_most)).await?;
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
        match found.first() {
            Some(c) => Ok(c.id),
            None => Err(self.merged_by_seq(actor, seq).await),
        }
    }

    /// The live client, or why not: a merged one's 404 names where it went.
    pub(crate) async fn live_client(&self, actor: &Actor, id: ClientId) -> ServiceResult<Client> {
        match self.store.get_client(actor.firm.id, id).await? {
            Some(c) if c.deleted_at.is_none() => Ok(c),
            Some(Client { merged_into: Some(into), .. }) => Err(self.merged_error(actor, into).await),
            _ => Err(ServiceError::NotFound("client")),
        }
    }

    /// Read-modify-write of a live client's fields by `new_fields`.
    async fn write_client(
        &self,
        actor: &Actor,
        id: ClientId,
        pre: &Precondition,
        action: &str,
        new_fields: impl Fn(&Client) -> ServiceResult<ClientFields>,
    ) -> ServiceResult<Client> {
        let changed = self.change::<Client>(actor, id, pre, action, false, |current| {
            let fields = new_fields(current)?;
            Ok((fields != current.fields).then(|| Changed::to(Client { fields, ..current.clone() })))
        });
        match changed.await {
            // Say where a merged client went, as a read does.
            Err(ServiceError::NotFound(_)) => Err(self.live_client(actor, id).await.err().unwrap_or(ServiceError::NotFound("client"))),
            other => other,
        }
    }
}

/// The matters deleted (or restored) with their client: each stamped with
/// `deleted_at` and its event.
fn cascade(actor: &Actor, matters: &[Stored<MatterFields>], action: &str, deleted_at: Option<Timestamp>) -> Vec<Write> {
    let mut writes = Vec::with_capacity(matters.len() * 2);
    for matter in matters {
        let mut next = Stored { deleted_at, ..matter.clone() };
        next.follow(matter);
        writes.push(Write::update_record(matter, &next));
        writes.push(Write::Event(Stored::event(actor, action, matter, &next)));
    }
    writes
}

/// `cf.<key>=value` filters as JSON values: typed by the key's definition,
/// or a string when the key has none.
pub(crate) fn typed_custom_filters(definitions: &[CustomFieldFields], raw: &[(String, String)]) -> ServiceResult<Vec<(String, Value)>> {
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
