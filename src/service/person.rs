//! Access and portability (GDPR articles 15 and 20): everything held about
//! one client, read from the store a page at a time so that a surface can
//! stream it as one document (docs/privacy.md, "Access and portability").
//!
//! The walk reads, in this order: the client's matters, the notes on the
//! client and on each matter, the leads converted into the client, the
//! custom-field definitions its and its matters' values use, then the events
//! about each of those records. Soft-deleted records are included: they are
//! still held until purged. Memory is one page plus the ids of the records
//! whose events are still to be read (a few dozen bytes each).

use std::collections::BTreeSet;

use uuid::Uuid;

use super::records::decode;
use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::client::Client;
use crate::domain::custom_field::{CustomFieldFields, Entity};
use crate::domain::event::Event;
use crate::domain::ids::ClientId;
use crate::domain::lead::LeadFields;
use crate::domain::matter::MatterFields;
use crate::domain::note::NoteFields;
use crate::domain::record::{RecordFields, RecordFilter, RecordQuery, RecordSort, Stored};
use crate::domain::time::Timestamp;
use crate::store::EventQuery;

/// Records (or events) read per page of a person's export.
pub const PERSON_PAGE: usize = 500;

/// One page of a person's export. Every section comes at least once (maybe
/// empty), in the order of [`Part::SECTIONS`].
pub enum Part {
    Matters(Vec<Stored<MatterFields>>),
    Notes(Vec<Stored<NoteFields>>),
    Leads(Vec<Stored<LeadFields>>),
    CustomFields(Vec<Stored<CustomFieldFields>>),
    Events(Vec<Event>),
}

impl Part {
    pub const SECTIONS: [&'static str; 5] = ["matters", "notes", "leads", "custom_fields", "events"];

    pub fn section(&self) -> &'static str {
        match self {
            Part::Matters(_) => "matters",
            Part::Notes(_) => "notes",
            Part::Leads(_) => "leads",
            Part::CustomFields(_) => "custom_fields",
            Part::Events(_) => "events",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Part::Matters(v) => v.len(),
            Part::Notes(v) => v.len(),
            Part::Leads(v) => v.len(),
            Part::CustomFields(v) => v.len(),
            Part::Events(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Matters,
    ClientNotes,
    /// Notes on the n-th matter.
    MatterNotes(usize),
    Leads,
    CustomFields,
    /// Events about the n-th record.
    Events(usize),
    Done,
}

/// Where a person's export is.
pub struct PersonWalk {
    pub client: Client,
    pub generated_at: Timestamp,
    stage: Stage,
    after: Option<(Timestamp, Uuid)>,
    after_seq: Option<i64>,
    matters: Vec<Uuid>,
    /// The records whose events are exported: (resource type, public id).
    resources: Vec<(&'static str, String)>,
    client_keys: BTreeSet<String>,
    matter_keys: BTreeSet<String>,
}

impl Service {
    /// Starts the export of everything held about a client, deleted or not
    /// (until it is purged). Needs `admin`.
    pub async fn start_person_export(&self, actor: &Actor, id: ClientId) -> ServiceResult<PersonWalk> {
        actor.require(Scope::Admin)?;
        let client = self.store.get_client(actor.firm.id, id).await?.ok_or(ServiceError::NotFound("client"))?;
        let client_keys = client.fields.custom_fields.keys().cloned().collect();
        Ok(PersonWalk {
            resources: vec![("client", client.id.to_string())],
            client,
            generated_at: Timestamp::now(),
            stage: Stage::Matters,
            after: None,
            after_seq: None,
            matters: Vec::new(),
            client_keys,
            matter_keys: BTreeSet::new(),
        })
    }

    /// The next page of a person's export; `None` when it is over.
    pub async fn next_person_part(&self, actor: &Actor, walk: &mut PersonWalk) -> ServiceResult<Option<Part>> {
        let client = walk.client.id.as_uuid();
        let part = match walk.stage {
            Stage::Done => return Ok(None),
            Stage::Matters => {
                let page = self.held::<MatterFields>(actor, walk, RecordFilter { parent_id: Some(client), ..held() }).await?;
                for m in &page {
                    walk.matters.push(m.id);
                    walk.matter_keys.extend(m.fields.custom_fields.keys().cloned());
                }
                Part::Matters(page)
            }
            Stage::ClientNotes => Part::Notes(self.held(actor, walk, RecordFilter { parent_id: Some(client), ..held() }).await?),
            Stage::MatterNotes(n) => {
                let filter = RecordFilter { parent_id: walk.matters.get(n).copied(), ..held() };
                Part::Notes(self.held(actor, walk, filter).await?)
            }
            Stage::Leads => {
                let filter = RecordFilter { equals: vec![("client_id", vec![walk.client.id.to_string()])], ..held() };
                Part::Leads(self.held(actor, walk, filter).await?)
            }
            Stage::CustomFields => Part::CustomFields(self.used_definitions(actor, walk).await?),
            Stage::Events(n) => {
                let (kind, id) = walk.resources[n].clone();
                let query = EventQuery {
                    from_seq: walk.after_seq,
                    resource_type: Some(kind.to_string()),
                    resource_id: Some(id),
                    limit: PERSON_PAGE,
                    ..EventQuery::default()
                };
                let page = self.store.list_events(actor.firm.id, &query).await?;
                walk.after_seq = page.last().map(|e| e.seq);
                if page.len() < PERSON_PAGE {
                    walk.after_seq = None;
                    walk.stage = if n + 1 < walk.resources.len() { Stage::Events(n + 1) } else { Stage::Done };
                }
                return Ok(Some(Part::Events(page)));
            }
        };
        if part.len() < PERSON_PAGE || walk.stage == Stage::CustomFields {
            walk.after = None;
            walk.stage = next_stage(walk.stage, walk.matters.len());
        }
        Ok(Some(part))
    }

    /// A page of the records of kind `F` the filter matches, live or not,
    /// oldest first after the walk's position; each is noted for its events.
    async fn held<F: RecordFields>(&self, actor: &Actor, walk: &mut PersonWalk, filter: RecordFilter) -> ServiceResult<Vec<Stored<F>>> {
        let query = RecordQuery { filter, sort: RecordSort::default(), after: walk.after.take(), limit: PERSON_PAGE };
        let page: Vec<Stored<F>> =
            self.store.list_records(actor.firm.id, F::KIND, &query).await?.into_iter().map(decode).collect::<ServiceResult<_>>()?;
        walk.after = page.last().map(|r| (r.created_at, r.id));
        walk.resources.extend(page.iter().map(|r| (F::KIND.as_str(), r.id().to_string())));
        Ok(page)
    }

    /// The live definitions whose keys the client's or its matters' values use.
    async fn used_definitions(&self, actor: &Actor, walk: &mut PersonWalk) -> ServiceResult<Vec<Stored<CustomFieldFields>>> {
        let filter = RecordFilter::default();
        let all = self.all::<CustomFieldFields>(actor, filter, super::custom_fields::MAX_DEFINITIONS * 2).await?;
        let used: Vec<Stored<CustomFieldFields>> = all
            .into_iter()
            .filter(|d| match d.fields.entity {
                Entity::Client => walk.client_keys.contains(&d.fields.key),
                Entity::Matter => walk.matter_keys.contains(&d.fields.key),
            })
            .collect();
        walk.resources.extend(used.iter().map(|d| ("custom_field", d.id().to_string())));
        Ok(used)
    }
}

/// A filter over live and soft-deleted records alike.
fn held() -> RecordFilter {
    RecordFilter { any_state: true, ..RecordFilter::default() }
}

fn next_stage(stage: Stage, matters: usize) -> Stage {
    match stage {
        Stage::Matters => Stage::ClientNotes,
        Stage::ClientNotes if matters > 0 => Stage::MatterNotes(0),
        Stage::MatterNotes(n) if n + 1 < matters => Stage::MatterNotes(n + 1),
        Stage::ClientNotes | Stage::MatterNotes(_) => Stage::Leads,
        Stage::Leads => Stage::CustomFields,
        Stage::CustomFields => Stage::Events(0),
        Stage::Events(_) | Stage::Done => Stage::Done,
    }
}
