//! Matters: a client's cases and deals.

use serde_json::{Map, Value};

use super::change::Changed;
use super::precondition::Precondition;
use super::records::{RecordListRequest, RecordPage};
use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::client::merge_patch;
use super::custom_fields::apply_definitions;
use crate::domain::custom_field::Entity;
use crate::domain::ids::{ClientId, MatterId};
use crate::domain::matter::{parse_matter, parse_matter_change, MatterFields, MatterStatus};
use crate::domain::record::{RecordFields, RecordFilter, Stored};
use crate::store::Write;

pub type Matter = Stored<MatterFields>;

/// What a client's details say of one of its matters: what names it, not
/// what `matters:read` guards (description, value, custom fields).
#[derive(Debug, Clone, PartialEq)]
pub struct MatterSummary {
    pub id: MatterId,
    pub title: String,
    pub status: MatterStatus,
    pub practice_area: Option<String>,
}

impl MatterSummary {
    fn of(m: &Matter) -> Self {
        Self { id: m.id(), title: m.fields.title.clone(), status: m.fields.status, practice_area: m.fields.practice_area.clone() }
    }
}

/// At most this many matters are embedded in a client (`expand=matters`).
pub const MAX_CLIENT_MATTERS: usize = 100;
/// At most this many closed matters are deleted (and restored) with their
/// client in one transaction; a client with more must have them deleted first.
pub const MAX_CASCADE: usize = 1_000;

impl Service {
    pub async fn create_matter(&self, actor: &Actor, doc: &Map<String, Value>) -> ServiceResult<Matter> {
        actor.require(Scope::MattersWrite)?;
        let mut fields = parse_matter(doc, None).map_err(ServiceError::Invalid)?;
        let definitions = self.custom_field_definitions(actor, Entity::Matter).await?;
        apply_definitions(&definitions, &mut fields.custom_fields)?;
        self.insert(actor, fields, Vec::new()).await
    }

    pub async fn get_matter(&self, actor: &Actor, id: MatterId) -> ServiceResult<Matter> {
        actor.require(Scope::MattersRead)?;
        self.live(actor, id).await
    }

    /// JSON merge patch (RFC 7396) of the matter's writable fields.
    pub async fn update_matter(&self, actor: &Actor, id: MatterId, patch: &Map<String, Value>, pre: Precondition) -> ServiceResult<Matter> {
        actor.require(Scope::MattersWrite)?;
        let patch = Value::Object(patch.clone());
        self.write_matter(actor, id, &pre, "updated", |current| {
            let mut doc = Value::Object(current.fields.to_document());
            merge_patch(&mut doc, &patch);
            Ok(doc.as_object().cloned().unwrap_or_default())
        })
        .await
    }

    /// Replaces every writable field; absent ones return to their defaults.
    pub async fn replace_matter(&self, actor: &Actor, id: MatterId, doc: &Map<String, Value>, pre: Precondition) -> ServiceResult<Matter> {
        actor.require(Scope::MattersWrite)?;
        self.write_matter(actor, id, &pre, "replaced", |_| Ok(doc.clone())).await
    }

    pub async fn delete_matter(&self, actor: &Actor, id: MatterId, pre: Precondition) -> ServiceResult<()> {
        actor.require(Scope::MattersWrite)?;
        self.soft_delete::<MatterFields>(actor, id, &pre).await
    }

    /// Undoes a soft delete, if the matter's client is still there.
    pub async fn restore_matter(&self, actor: &Actor, id: MatterId) -> ServiceResult<Matter> {
        actor.require(Scope::MattersWrite)?;
        let firm = actor.firm.id;
        self.restore::<MatterFields>(actor, id, |m| {
            let client = m.fields.references().into_iter().filter(|r| r.field == "client_id");
            client.map(|reference| Write::RequireLive { firm, reference }).collect()
        })
        .await
    }

    pub async fn list_matters(&self, actor: &Actor, request: RecordListRequest) -> ServiceResult<RecordPage<MatterFields>> {
        actor.require(Scope::MattersRead)?;
        self.list(actor, request).await
    }

    /// A client's live matters, oldest first (at most [`MAX_CLIENT_MATTERS`]).
    pub async fn client_matters(&self, actor: &Actor, client: ClientId) -> ServiceResult<Vec<Matter>> {
        actor.require(Scope::MattersRead)?;
        let filter = RecordFilter { parent_id: Some(client.as_uuid()), ..RecordFilter::default() };
        self.all(actor, filter, MAX_CLIENT_MATTERS).await
    }

    /// The summaries of a client's live matters, oldest first (at most
    /// [`MAX_CLIENT_MATTERS`]): part of the client's full details, so they
    /// need only `clients:read` (CalmIntake's Get shows them so).
    pub async fn client_matter_summaries(&self, actor: &Actor, client: ClientId) -> ServiceResult<Vec<MatterSummary>> {
        actor.require(Scope::ClientsRead)?;
        let filter = RecordFilter { parent_id: Some(client.as_uuid()), ..RecordFilter::default() };
        let matters = self.all::<MatterFields>(actor, filter, MAX_CLIENT_MATTERS).await?;
        Ok(matters.iter().map(MatterSummary::of).collect())
    }

    async fn write_matter(
        &self,
        actor: &Actor,
        id: MatterId,
        pre: &Precondition,
        action: &str,
        new_doc: impl Fn(&Matter) -> ServiceResult<Map<String, Value>>,
    ) -> ServiceResult<Matter> {
        let definitions = self.custom_field_definitions(actor, Entity::Matter).await?;
        self.change::<Stored<MatterFields>>(actor, id, pre, action, false, |current| {
            let mut fields = parse_matter_change(&new_doc(current)?, &current.fields).map_err(ServiceError::Invalid)?;
            apply_definitions(&definitions, &mut fields.custom_fields)?;
            if fields == current.fields {
                return Ok(None);
            }
            Ok(Some(Changed::to(Stored { fields, ..current.clone() })))
        })
        .await
    }
}

/// Whether a matter keeps its client from being deleted.
pub fn is_open(matter: &Matter) -> bool {
    matter.fields.status != MatterStatus::Closed
}
