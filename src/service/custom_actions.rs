//! Custom actions and their single-use nonces.

use serde_json::{Map, Value};

use super::change::Changed;
use super::precondition::Precondition;
use super::records::{RecordListRequest, RecordPage};
use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::client::merge_patch;
use crate::domain::custom_action::{code_hash, parse_custom_action, random_code, CustomActionFields, NonceFields, NONCE_TTL_MS};
use crate::domain::ids::CustomActionId;
use crate::domain::record::{RecordKind, Reference, Stored, Target};
use crate::domain::time::Timestamp;
use crate::store::{StoreError, Write};

pub type CustomAction = Stored<CustomActionFields>;

pub const NONCE_PREFIX: &str = "can_";

/// A nonce just issued, with the code that exists only in this value.
pub struct IssuedNonce {
    pub code: String,
    pub custom_action_id: CustomActionId,
    pub expires_at: Timestamp,
}

impl Service {
    pub async fn create_custom_action(&self, actor: &Actor, doc: &Map<String, Value>) -> ServiceResult<CustomAction> {
        actor.require(Scope::Admin)?;
        let fields = parse_custom_action(doc).map_err(ServiceError::Invalid)?;
        self.insert(actor, fields, Vec::new()).await
    }

    pub async fn get_custom_action(&self, actor: &Actor, id: CustomActionId) -> ServiceResult<CustomAction> {
        self.live(actor, id).await
    }

    pub async fn list_custom_actions(&self, actor: &Actor, request: RecordListRequest) -> ServiceResult<RecordPage<CustomActionFields>> {
        self.list(actor, request).await
    }

    pub async fn update_custom_action(&self, actor: &Actor, id: CustomActionId, patch: &Map<String, Value>, pre: Precondition) -> ServiceResult<CustomAction> {
        actor.require(Scope::Admin)?;
        let patch = Value::Object(patch.clone());
        self.change::<Stored<CustomActionFields>>(actor, id, &pre, "updated", false, |current| {
            let mut doc = Value::Object(current.fields.to_document());
            merge_patch(&mut doc, &patch);
            let fields = parse_custom_action(doc.as_object().unwrap_or(&Map::new())).map_err(ServiceError::Invalid)?;
            Ok((fields != current.fields).then(|| Changed::to(Stored { fields, ..current.clone() })))
        })
        .await
    }

    pub async fn delete_custom_action(&self, actor: &Actor, id: CustomActionId, pre: Precondition) -> ServiceResult<()> {
        actor.require(Scope::Admin)?;
        self.soft_delete::<CustomActionFields>(actor, id, &pre).await
    }

    /// Issues a single-use nonce for a click on the action, valid 60 s.
    pub async fn issue_nonce(&self, actor: &Actor, id: CustomActionId) -> ServiceResult<IssuedNonce> {
        self.live::<CustomActionFields>(actor, id).await?;
        let code = random_code(NONCE_PREFIX);
        let expires_at = Timestamp::now().plus_millis(NONCE_TTL_MS);
        let fields = NonceFields { custom_action_id: id, code_hash: code_hash(&code), expires_at };
        self.insert(actor, fields, Vec::new()).await?;
        Ok(IssuedNonce { code, custom_action_id: id, expires_at })
    }

    /// Checks and uses up a nonce presented with a request. Unknown, used,
    /// expired and other firms' nonces all fail alike.
    pub async fn consume_nonce(&self, actor: &Actor, code: &str) -> ServiceResult<()> {
        if !code.starts_with(NONCE_PREFIX) || code.len() > 64 {
            return Err(ServiceError::InvalidNonce);
        }
        let record = self.store.find_record(RecordKind::Nonce, &code_hash(code)).await?;
        let Some(record) = record.filter(|r| r.firm_id == actor.firm.id) else {
            return Err(ServiceError::InvalidNonce);
        };
        let nonce: Stored<NonceFields> = Stored::from_record(record).map_err(ServiceError::Internal)?;
        if nonce.fields.expires_at <= Timestamp::now() {
            return Err(ServiceError::InvalidNonce);
        }
        let event = actor.event("nonce.used", "nonce", nonce.id().to_string(), Some(nonce.snapshot()), None);
        let action = nonce.fields.custom_action_id.as_uuid();
        let writes = vec![
            // A nonce dies with its action.
            Write::RequireLive {
                firm: actor.firm.id,
                reference: Reference { on: "nonce", field: "custom_action_nonce", target: Target::Record(RecordKind::CustomAction), id: action },
            },
            Write::PurgeRecord { firm: actor.firm.id, id: nonce.id, version: nonce.version },
            Write::Event(event),
        ];
        match self.commit(writes).await {
            Ok(_) => Ok(()),
            // Someone else used it first, or its action is gone.
            Err(StoreError::VersionMismatch | StoreError::MissingReference(_)) => Err(ServiceError::InvalidNonce),
            Err(e) => Err(e.into()),
        }
    }
}
