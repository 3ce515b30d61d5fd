//! Erasure of a client (GDPR article 17), irreversible: what it removes,
//! redacts and keeps is docs/privacy.md's "Erasure".
//!
//! It is planned from what the service reads, over a set of clients (the
//! one named, and those that stand for the same person: [`Service::erasure_set`]),
//! and committed as one transaction that the store refuses
//! (`VersionMismatch`) if any of it changed meanwhile; then it is planned again.

use serde_json::json;

use super::change::Versioned;
use super::precondition::{until_settled, Round};
use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::client::query::{ClientFilter, ClientQuery, ClientSort};
use crate::domain::client::Client;
use crate::domain::erasure::{identifying_texts, EraseRequest, MatterDisposal};
use crate::domain::ids::ClientId;
use crate::domain::lead::LeadFields;
use crate::domain::matter::MatterFields;
use crate::domain::note::NoteFields;
use crate::domain::record::{RecordFields, RecordFilter, Stored};
use crate::store::{Erasure, StoreError, Write};

/// Records one erasure may remove or detach, at most: beyond, the caller
/// erases some of them first (a matter at a time, say).
pub const MAX_ERASED_RECORDS: usize = 10_000;

/// What an erasure removed (counts and ids only: nothing about the person).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    pub client: ClientId,
    pub matters: MatterDisposal,
    pub notes: usize,
    pub leads: usize,
    /// Matters removed (`erase`) or kept without a client (`detach`).
    pub matter_count: usize,
}

/// What one erasure does, as planned from one reading.
struct Plan {
    writes: Vec<Write>,
    erased: Erased,
}

impl Service {
    /// Erases a client and everything that holds its data. Admin only; the
    /// body must name the client again (`confirm`).
    pub async fn erase_client(&self, actor: &Actor, id: ClientId, request: EraseRequest) -> ServiceResult<Erased> {
        actor.require(Scope::Admin)?;
        if request.confirm != id {
            // Still 404 for an id that names no client of this firm.
            self.store.get_client(actor.firm.id, id).await?.ok_or(ServiceError::NotFound("client"))?;
            return Err(ServiceError::invalid("confirm", "must be the id of the client being erased"));
        }
        let request = &request;
        until_settled("client", || async move {
            let clients = self.erasure_set(actor, id).await?;
            let plan = self.plan_erasure(actor, id, &clients, request.matters).await?;
            match self.commit(plan.writes).await {
                Ok(_) => Ok(Round::Done(plan.erased)),
                Err(StoreError::VersionMismatch) => Ok(Round::Raced),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    /// The clients an erasure of `id` removes: the client itself, live or
    /// soft-deleted, and every tombstone merged into it, directly or through
    /// another tombstone (a merged client's tombstones keep pointing at it
    /// when it is merged in turn): they all hold the same person's data.
    async fn erasure_set(&self, actor: &Actor, id: ClientId) -> ServiceResult<Vec<Client>> {
        let client = self.store.get_client(actor.firm.id, id).await?.ok_or(ServiceError::NotFound("client"))?;
        if let Some(into) = client.merged_into {
            // Like every other route on a tombstone; the person is erased
            // from the client it was merged into.
            return Err(self.merged_error(actor, into).await);
        }
        let mut clients = vec![client];
        let mut frontier = vec![id];
        while !frontier.is_empty() {
            let filter = ClientFilter { merged: true, merged_into: std::mem::take(&mut frontier), ..ClientFilter::default() };
            let limit = MAX_ERASED_RECORDS + 1 - clients.len();
            let query = ClientQuery { filter, sort: ClientSort::default(), after: None, offset: 0, limit };
            for tombstone in self.store.list_clients(actor.firm.id, &query).await? {
                // A cycle can't be made by merging, but a walk must end regardless.
                if !clients.iter().any(|c| c.id == tombstone.id) {
                    frontier.push(tombstone.id);
                    clients.push(tombstone);
                }
            }
            if clients.len() > MAX_ERASED_RECORDS {
                return Err(ServiceError::invalid("id", format!("more than {MAX_ERASED_RECORDS} clients were merged into the client")));
            }
        }
        Ok(clients)
    }

    /// The writes of erasing `clients` (`id` first), from one reading of what they hold.
    async fn plan_erasure(&self, actor: &Actor, id: ClientId, clients: &[Client], matters: MatterDisposal) -> ServiceResult<Plan> {
        let mut removed: Vec<(uuid::Uuid, String)> = Vec::new();
        let (mut notes, mut leads, mut kept) = (0, 0, Vec::new());
        let mut texts = Vec::new();
        for client in clients {
            let on_client = self.every::<NoteFields>(actor, client_filter(client)).await?;
            notes += on_client.len();
            removed.extend(on_client.iter().map(ids_of));
            let of_client = self.every::<LeadFields>(actor, lead_filter(client)).await?;
            leads += of_client.len();
            removed.extend(of_client.iter().map(ids_of));
            let client_matters = self.every::<MatterFields>(actor, client_filter(client)).await?;
            match matters {
                MatterDisposal::Erase => {
                    for matter in &client_matters {
                        let filter = RecordFilter { parent_id: Some(matter.id), any_state: true, ..RecordFilter::default() };
                        let on_matter = self.every::<NoteFields>(actor, filter).await?;
                        notes += on_matter.len();
                        removed.extend(on_matter.iter().map(ids_of));
                        removed.push(ids_of(matter));
                    }
                }
                MatterDisposal::Detach => kept.extend(client_matters.iter().cloned()),
            }
            if removed.len() + kept.len() > MAX_ERASED_RECORDS {
                return Err(ServiceError::invalid("id", format!("the client has more than {MAX_ERASED_RECORDS} records; erase some first")));
            }
            texts.extend(identifying_texts(client));
        }
        let matter_count = match matters {
            MatterDisposal::Erase => removed.iter().filter(|(_, public)| public.starts_with("mat_")).count(),
            MatterDisposal::Detach => kept.len(),
        };
        let removed_ids: Vec<uuid::Uuid> = removed.iter().map(|(id, _)| *id).collect();
        let mut writes = Vec::new();
        for matter in &kept {
            let mut next = detached(matter, clients, &removed_ids);
            next.follow(matter);
            writes.push(Versioned::replace(matter, &next));
            writes.push(Write::Event(Versioned::event(actor, "updated", matter, &next)));
        }
        let mut resources: Vec<String> = clients.iter().map(|c| c.id.to_string()).collect();
        resources.extend(removed.iter().map(|(_, public)| public.clone()));
        texts.extend(resources.iter().cloned());
        texts.extend(clients.iter().map(|c| c.id.as_uuid().hyphenated().to_string()));
        texts.extend(removed.iter().map(|(id, _)| id.hyphenated().to_string()));
        let erasure = Erasure {
            firm: actor.firm.id,
            clients: clients.iter().map(|c| (c.id, c.version)).collect(),
            records: removed_ids,
            resources,
            texts,
        };
        let erased = Erased { client: id, matters, notes, leads, matter_count };
        writes.push(Write::EraseClients(erasure));
        writes.push(Write::Event(erased_event(actor, &erased)));
        Ok(Plan { writes, erased })
    }

    /// Every record of kind `F` the filter names, live or deleted, up to the bound.
    async fn every<F: RecordFields>(&self, actor: &Actor, filter: RecordFilter) -> ServiceResult<Vec<Stored<F>>> {
        self.all::<F>(actor, filter, MAX_ERASED_RECORDS + 1).await
    }
}

fn client_filter(client: &Client) -> RecordFilter {
    RecordFilter { parent_id: Some(client.id.as_uuid()), any_state: true, ..RecordFilter::default() }
}

fn lead_filter(client: &Client) -> RecordFilter {
    RecordFilter { equals: vec![("client_id", vec![client.id.to_string()])], any_state: true, ..RecordFilter::default() }
}

fn ids_of<F: RecordFields>(record: &Stored<F>) -> (uuid::Uuid, String) {
    (record.id, F::KIND.public_id(record.id))
}

/// A kept matter without its links to what the erasure removes.
fn detached(matter: &Stored<MatterFields>, clients: &[Client], erased: &[uuid::Uuid]) -> Stored<MatterFields> {
    let erased_client = |id: &Option<ClientId>| id.is_some_and(|id| clients.iter().any(|c| c.id == id));
    let mut next = matter.clone();
    next.fields.client_id = None;
    if erased_client(&next.fields.primary_contact_id) {
        next.fields.primary_contact_id = None;
    }
    if next.fields.lead_id.is_some_and(|lead| erased.contains(&lead.as_uuid())) {
        next.fields.lead_id = None;
    }
    next
}

/// `client.erased`: what was done, in counts; nothing about the person.
fn erased_event(actor: &Actor, erased: &Erased) -> crate::domain::event::Event {
    let after = json!({
        "matters": erased.matters.as_str(),
        "counts": { "notes": erased.notes, "leads": erased.leads, "matters": erased.matter_count },
    });
    actor.event("client.erased", "client", erased.client.to_string(), None, Some(after))
}
