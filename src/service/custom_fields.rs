//! Custom field definitions: admins define them, any key reads them, and
//! client and matter writes are checked against them.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::change::Changed;
use super::precondition::Precondition;
use super::records::{RecordListRequest, RecordPage};
use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::client::merge_patch;
use crate::domain::custom_field::{normalize, parse_definition, validate, CustomFieldFields, Entity};
use crate::domain::ids::CustomFieldId;
use crate::domain::record::{RecordFilter, Stored};

pub type CustomField = Stored<CustomFieldFields>;

tokio::task_local! {
    /// Set while a batch runs: the firm's definitions, read once for all its
    /// operations. A batch is checked against the definitions as they were
    /// when it began.
    pub(crate) static BATCH_DEFINITIONS: Arc<BatchDefinitions>;
}

/// The definitions a batch read, per entity.
#[derive(Default)]
pub(crate) struct BatchDefinitions {
    client: tokio::sync::OnceCell<Vec<CustomFieldFields>>,
    matter: tokio::sync::OnceCell<Vec<CustomFieldFields>>,
}

/// Definitions per entity a firm may have.
pub const MAX_DEFINITIONS: usize = 200;

impl Service {
    pub async fn create_custom_field(&self, actor: &Actor, doc: &Map<String, Value>) -> ServiceResult<CustomField> {
        actor.require(Scope::Admin)?;
        let fields = parse_definition(doc, None).map_err(ServiceError::Invalid)?;
        let filter = RecordFilter { equals: vec![("entity", vec![fields.entity.as_str().into()])], ..RecordFilter::default() };
        if self.count_of::<CustomFieldFields>(actor, &filter).await? >= MAX_DEFINITIONS as u64 {
            return Err(ServiceError::invalid("entity", format!("already has the maximum of {MAX_DEFINITIONS} custom fields")));
        }
        self.insert(actor, fields, Vec::new()).await
    }

    /// Any key of the firm may read definitions: integrations need them to
    /// write valid custom fields.
    pub async fn get_custom_field(&self, actor: &Actor, id: CustomFieldId) -> ServiceResult<CustomField> {
        self.live(actor, id).await
    }

    pub async fn list_custom_fields(&self, actor: &Actor, request: RecordListRequest) -> ServiceResult<RecordPage<CustomFieldFields>> {
        self.list(actor, request).await
    }

    /// Label, options and `required` may change; entity, key and type may not.
    pub async fn update_custom_field(&self, actor: &Actor, id: CustomFieldId, patch: &Map<String, Value>, pre: Precondition) -> ServiceResult<CustomField> {
        actor.require(Scope::Admin)?;
        let patch = Value::Object(patch.clone());
        self.change::<Stored<CustomFieldFields>>(actor, id, &pre, "updated", false, |current| {
            let mut doc = Value::Object(current.fields.to_document());
            merge_patch(&mut doc, &patch);
            let fields = parse_definition(doc.as_object().unwrap_or(&Map::new()), Some(&current.fields)).map_err(ServiceError::Invalid)?;
            Ok((fields != current.fields).then(|| Changed::to(Stored { fields, ..current.clone() })))
        })
        .await
    }

    pub async fn delete_custom_field(&self, actor: &Actor, id: CustomFieldId, pre: Precondition) -> ServiceResult<()> {
        actor.require(Scope::Admin)?;
        self.soft_delete::<CustomFieldFields>(actor, id, &pre).await
    }

    /// The firm's live definitions for one entity (read once per batch).
    pub(crate) async fn custom_field_definitions(&self, actor: &Actor, entity: Entity) -> ServiceResult<Vec<CustomFieldFields>> {
        let Ok(batch) = BATCH_DEFINITIONS.try_with(Arc::clone) else {
            return self.read_definitions(actor, entity).await;
        };
        let read = match entity {
            Entity::Client => &batch.client,
            Entity::Matter => &batch.matter,
        };
        read.get_or_try_init(|| self.read_definitions(actor, entity)).await.cloned()
    }

    async fn read_definitions(&self, actor: &Actor, entity: Entity) -> ServiceResult<Vec<CustomFieldFields>> {
        let filter = RecordFilter { equals: vec![("entity", vec![entity.as_str().into()])], ..RecordFilter::default() };
        let defs = self.all::<CustomFieldFields>(actor, filter, MAX_DEFINITIONS).await?;
        Ok(defs.into_iter().map(|d| d.fields).collect())
    }
}

/// Brings a record's custom fields to their definitions: numbers in one
/// spelling, then every defined key checked. Errors name `custom_fields.<key>`.
pub(crate) fn apply_definitions(definitions: &[CustomFieldFields], values: &mut Map<String, Value>) -> ServiceResult<()> {
    normalize(definitions, values);
    let errors = validate(definitions, values);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(errors))
    }
}
