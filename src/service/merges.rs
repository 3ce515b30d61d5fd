//! Merging duplicate clients: the sources become tombstones pointing at the
//! target, which takes their values, matters, notes, leads and people, all in
//! one transaction whose version checks make a concurrent edit either win
//! (and the merge is planned again) or fail.

use super::change::Versioned;
use super::custom_fields::apply_definitions;
use super::leads::Lead;
use super::matters::{Matter, MAX_CASCADE};
use super::notes::Note;
use super::precondition::{until_settled, Precondition, Round};
use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::client::merge::{merge, Candidate, Prefer, PICKABLE};
use crate::domain::client::query::{ClientFilter, ClientQuery, ClientSort};
use crate::domain::client::{parse_document, to_document, Client, ClientFields};
use crate::domain::custom_field::Entity;
use crate::domain::field::FieldError;
use crate::domain::ids::ClientId;
use crate::domain::lead::LeadFields;
use crate::domain::matter::MatterFields;
use crate::domain::note::NoteFields;
use crate::domain::record::{RecordFields, RecordFilter, Stored};
use crate::domain::time::Timestamp;
use crate::store::{StoreError, Write};
use serde_json::Value;

/// Sources one merge may take.
pub const MAX_SOURCES: usize = 50;

/// A merge as every surface hands it over.
#[derive(Debug, Clone, Default)]
pub struct MergeRequest {
    pub from: Vec<ClientId>,
    pub dry_run: bool,
    pub prefer: Prefer,
    /// A field (or `custom_fields.<key>`) and the client whose value wins it.
    pub picks: Vec<(String, ClientId)>,
}

/// What a merge made (or, dry, would make). Each move is the record as it
/// was read and as it is written.
pub struct Merged {
    pub client: Client,
    /// The sources as they were read.
    pub sources: Vec<Client>,
    pub matters: Vec<(Matter, Matter)>,
    pub notes: Vec<(Note, Note)>,
    pub leads: Vec<(Lead, Lead)>,
    /// People whose company was a source.
    pub people: Vec<(Client, Client)>,
    /// Nothing was written.
    pub dry_run: bool,
}

impl Service {
    /// Merges `request.from` into `target`. `pre` (the target's `If-Match`)
    /// pins the target's version; without it a merge that lost a race to an
    /// edit of any client or record it touches is planned again from what
    /// is stored then, so nothing the edit wrote is lost.
    pub async fn merge_clients(&self, actor: &Actor, target: ClientId, request: MergeRequest, pre: Precondition) -> ServiceResult<Merged> {
        actor.require(Scope::ClientsWrite)?;
        check_request(target, &request)?;
        let (request, pre) = (&request, &pre);
        until_settled("client", || async move {
            let current = self.live_client(actor, target).await?;
            pre.check(current.version)?;
            let plan = self.plan_merge(actor, &current, request).await?;
            if request.dry_run {
                return Ok(Round::Done(plan));
            }
            match self.commit(merge_writes(actor, &current, &plan)).await {
                Ok(_) => Ok(Round::Done(plan)),
                Err(StoreError::VersionMismatch) if pre.is_pinned() && self.live_client(actor, target).await?.version != current.version => {
                    Err(pre.lost_race(plan.client.version))
                }
                Err(StoreError::VersionMismatch) => Ok(Round::Raced),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    /// `NotFound` for a client merged into `into`, with `into`'s integer id
    /// for the surfaces that show those.
    pub(crate) async fn merged_error(&self, actor: &Actor, into: ClientId) -> ServiceError {
        match self.store.get_client(actor.firm.id, into).await {
            Ok(Some(target)) => ServiceError::Merged { into, into_seq: target.seq },
            Ok(None) => ServiceError::NotFound("client"),
            Err(e) => e.into(),
        }
    }

    /// `NotFound` for the integer id of a client, saying where it went if
    /// it was merged.
    pub(crate) async fn merged_by_seq(&self, actor: &Actor, seq: i64) -> ServiceError {
        let filter = ClientFilter { seqs: vec![seq], merged: true, ..ClientFilter::default() };
        let query = ClientQuery { filter, sort: ClientSort::default(), after: None, offset: 0, limit: 1 };
        match self.store.list_clients(actor.firm.id, &query).await {
            Ok(found) => match found.first().and_then(|c| c.merged_into) {
                Some(into) => self.merged_error(actor, into).await,
                None => ServiceError::NotFound("client"),
            },
            Err(e) => e.into(),
        }
    }

    /// Reads the sources and what moves, and computes the merged target.
    async fn plan_merge(&self, actor: &Actor, target: &Client, request: &MergeRequest) -> ServiceResult<Merged> {
        let mut sources = Vec::with_capacity(request.from.len());
        for (i, id) in request.from.iter().enumerate() {
            let source = self.live_client(actor, *id).await?;
            if source.fields.kind != target.fields.kind {
                let message = format!("is a {}; a {} can only be merged with clients of its kind", source.fields.kind.as_str(), target.fields.kind.as_str());
                return Err(ServiceError::invalid(&format!("from[{i}]"), message));
            }
            sources.push(source);
        }
        let mut ordered: Vec<&Client> = std::iter::once(target).chain(sources.iter()).collect();
        if request.prefer == Prefer::Newest {
            ordered.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
        }
        let candidates: Vec<Candidate<'_>> = ordered.iter().map(|c| Candidate { id: c.id, fields: &c.fields }).collect();
        let fields = self.checked(actor, merge(&target.fields, &candidates, &request.picks)).await?;
        let mut client = Client { fields, merged_into: None, ..target.clone() };
        client.version = target.version + 1;
        client.updated_at = Timestamp::now().max(target.updated_at);
        let mut plan = Merged { client, sources: Vec::new(), matters: Vec::new(), notes: Vec::new(), leads: Vec::new(), people: Vec::new(), dry_run: request.dry_run };
        for source in &sources {
            self.plan_moves(actor, source.id, target.id, &mut plan).await?;
        }
        plan.sources = sources;
        plan.client.matters_count = target.matters_count + plan.matters.len() as i64;
        Ok(plan)
    }

    /// The merged fields as a write would take them: the limits of the
    /// contract (ten other emails …) and the custom-field definitions.
    async fn checked(&self, actor: &Actor, fields: ClientFields) -> ServiceResult<ClientFields> {
        let mut fields = parse_document(&to_document(&fields), &actor.firm.settings).map_err(ServiceError::Invalid)?;
        let definitions = self.custom_field_definitions(actor, Entity::Client).await?;
        apply_definitions(&definitions, &mut fields.custom_fields)?;
        Ok(fields)
    }

    /// The live matters, notes and leads of `source`, and the people of its
    /// company, each changed to name `target`.
    async fn plan_moves(&self, actor: &Actor, source: ClientId, target: ClientId, plan: &mut Merged) -> ServiceResult<()> {
        let by_parent = || RecordFilter { parent_id: Some(source.as_uuid()), ..RecordFilter::default() };
        for matter in self.bounded::<MatterFields>(actor, by_parent()).await? {
            let mut fields = matter.fields.clone();
            fields.client_id = Some(target);
            if fields.primary_contact_id == Some(source) {
                fields.primary_contact_id = Some(target);
            }
            plan.matters.push(moved(matter, fields));
        }
        for note in self.bounded::<NoteFields>(actor, by_parent()).await? {
            let fields = NoteFields { client_id: Some(target), ..note.fields.clone() };
            plan.notes.push(moved(note, fields));
        }
        let by_client = RecordFilter { equals: vec![("client_id", vec![source.to_string()])], ..RecordFilter::default() };
        for lead in self.bounded::<LeadFields>(actor, by_client).await? {
            let fields = LeadFields { client_id: Some(target), ..lead.fields.clone() };
            plan.leads.push(moved(lead, fields));
        }
        let filter = ClientFilter { company_id: Some(source), ..ClientFilter::default() };
        let query = ClientQuery { filter, sort: ClientSort::default(), after: None, offset: 0, limit: MAX_CASCADE + 1 };
        let people = self.store.list_clients(actor.firm.id, &query).await?;
        if people.len() > MAX_CASCADE {
            return Err(too_many(source, "people"));
        }
        for person in people {
            let fields = ClientFields { company_id: Some(target), ..person.fields.clone() };
            plan.people.push(moved(person, fields));
        }
        Ok(())
    }

    /// The live records of kind `F` matching `filter`, at most [`MAX_CASCADE`].
    async fn bounded<F: RecordFields>(&self, actor: &Actor, filter: RecordFilter) -> ServiceResult<Vec<Stored<F>>> {
        let found = self.all::<F>(actor, filter, MAX_CASCADE + 1).await?;
        if found.len() > MAX_CASCADE {
            return Err(ServiceError::invalid("from", format!("a source has more than {MAX_CASCADE} {}s; move some first", F::KIND.as_str())));
        }
        Ok(found)
    }
}

fn too_many(source: ClientId, what: &str) -> ServiceError {
    ServiceError::invalid("from", format!("{source} has more than {MAX_CASCADE} {what}; move some first"))
}

/// `current` with `fields`, stamped as its next version.
fn moved<R: Versioned + HasFields>(current: R, fields: R::Fields) -> (R, R) {
    let mut next = current.with_fields(fields);
    next.follow(&current);
    (current, next)
}

/// Records whose fields a move replaces.
trait HasFields: Sized {
    type Fields;
    fn with_fields(&self, fields: Self::Fields) -> Self;
}

impl HasFields for Client {
    type Fields = ClientFields;
    fn with_fields(&self, fields: ClientFields) -> Self {
        Client { fields, ..self.clone() }
    }
}

impl<F: RecordFields> HasFields for Stored<F> {
    type Fields = F;
    fn with_fields(&self, fields: F) -> Self {
        Stored { fields, ..self.clone() }
    }
}

/// Each move's write, and its `<kind>.updated` event.
fn moves<R: Versioned>(actor: &Actor, pairs: &[(R, R)], writes: &mut Vec<Write>, events: &mut Vec<Write>) {
    for (current, next) in pairs {
        writes.push(R::replace(current, next));
        events.push(Write::Event(R::event(actor, "updated", current, next)));
    }
}

/// What a request must be before anything is read: 1 to 50 distinct
/// sources other than the target, and picks of known fields among them.
fn check_request(target: ClientId, request: &MergeRequest) -> ServiceResult<()> {
    let mut errors = Vec::new();
    if request.from.is_empty() {
        errors.push(FieldError::new("from", "must name at least one client to merge into this one"));
    }
    if request.from.len() > MAX_SOURCES {
        errors.push(FieldError::new("from", format!("names {} clients; at most {MAX_SOURCES} can be merged at once", request.from.len())));
    }
    for (i, id) in request.from.iter().enumerate() {
        if *id == target {
            errors.push(FieldError::new(format!("from[{i}]"), "is the target; a client can't be merged into itself"));
        } else if request.from[..i].contains(id) {
            errors.push(FieldError::new(format!("from[{i}]"), "is named twice"));
        }
    }
    for (field, id) in &request.picks {
        let known = PICKABLE.contains(&field.as_str()) || field.strip_prefix("custom_fields.").is_some_and(|k| !k.is_empty());
        if !known {
            errors.push(FieldError::new(format!("fields.{field}"), format!("is not a field a merge can pick; one of {} or custom_fields.<key>", PICKABLE.join(", "))));
        } else if *id != target && !request.from.contains(id) {
            errors.push(FieldError::new(format!("fields.{field}"), "must name the target or one of `from`"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

/// The batch of a merge: sources tombstoned first (freeing their emails and
/// external ids for the target), the target, the moves, then the checks that
/// nothing was added to a source meanwhile, and the events.
fn merge_writes(actor: &Actor, target: &Client, plan: &Merged) -> Vec<Write> {
    let mut writes = Vec::new();
    let mut events = Vec::new();
    for current in &plan.sources {
        let mut tombstone = Client { deleted_at: Some(plan.client.updated_at), merged_into: Some(target.id), ..current.clone() };
        tombstone.follow(current);
        writes.push(Write::update_client(current, &tombstone));
        events.push(Write::Event(Client::event(actor, "merged", current, &tombstone)));
    }
    writes.push(Write::update_client(target, &plan.client));
    let mut merged = Client::event(actor, "merged", target, &plan.client);
    if let Some(Value::Object(doc)) = &mut merged.after {
        doc.insert("merged_from".into(), plan.sources.iter().map(|s| Value::String(s.id.to_string())).collect());
    }
    events.push(Write::Event(merged));
    moves(actor, &plan.matters, &mut writes, &mut events);
    moves(actor, &plan.notes, &mut writes, &mut events);
    moves(actor, &plan.leads, &mut writes, &mut events);
    moves(actor, &plan.people, &mut writes, &mut events);
    // After the moves: whatever still depends on a source was added meanwhile.
    writes.extend(plan.sources.iter().map(|s| Write::RequireNoDependants { firm: actor.firm.id, client: s.id }));
    writes.extend(events);
    writes
}
