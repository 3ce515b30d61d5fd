//! Staff users: admins manage them, `users:read` reads them.

use serde_json::{Map, Value};

use super::change::Changed;
use super::precondition::Precondition;
use super::records::{RecordListRequest, RecordPage};
use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::client::merge_patch;
use crate::domain::ids::UserId;
use crate::domain::record::Stored;
use crate::domain::time::Timestamp;
use crate::domain::user::{parse_user, UserFields};
use super::keys::snapshot as key_snapshot;
use crate::domain::api_key::ApiKey;
use crate::store::{SignInWrite, Write};

pub type User = Stored<UserFields>;

impl Service {
    pub async fn create_user(&self, actor: &Actor, doc: &Map<String, Value>) -> ServiceResult<User> {
        actor.require(Scope::Admin)?;
        let fields = parse_user(doc).map_err(ServiceError::Invalid)?;
        self.insert(actor, fields, Vec::new()).await
    }

    pub async fn get_user(&self, actor: &Actor, id: UserId) -> ServiceResult<User> {
        actor.require(Scope::UsersRead)?;
        self.live(actor, id).await
    }

    /// The user the actor's key belongs to; needs no scope.
    pub async fn current_user(&self, actor: &Actor) -> ServiceResult<User> {
        let id = actor.user_id.ok_or(ServiceError::NotFound("user for this API key"))?;
        self.live(actor, id).await
    }

    pub(crate) async fn live_user(&self, actor: &Actor, id: UserId) -> ServiceResult<User> {
        self.live(actor, id).await
    }

    pub async fn list_users(&self, actor: &Actor, request: RecordListRequest) -> ServiceResult<RecordPage<UserFields>> {
        actor.require(Scope::UsersRead)?;
        self.list(actor, request).await
    }

    pub async fn update_user(&self, actor: &Actor, id: UserId, patch: &Map<String, Value>, pre: Precondition) -> ServiceResult<User> {
        actor.require(Scope::Admin)?;
        let patch = Value::Object(patch.clone());
        self.change::<Stored<UserFields>>(actor, id, &pre, "updated", false, |current| {
            let mut doc = Value::Object(current.fields.to_document());
            merge_patch(&mut doc, &patch);
            let fields = parse_user(doc.as_object().unwrap_or(&Map::new())).map_err(ServiceError::Invalid)?;
            Ok((fields != current.fields).then(|| Changed::to(Stored { fields, ..current.clone() })))
        })
        .await
    }

    /// Soft-deletes the user and revokes their API keys in the same transaction.
    pub async fn delete_user(&self, actor: &Actor, id: UserId, pre: Precondition) -> ServiceResult<()> {
        actor.require(Scope::Admin)?;
        let now = Timestamp::now();
        let firm = actor.firm.id;
        // One event per key revoked; the revoke statement also catches a key
        // minted for the user meanwhile.
        let keys: Vec<_> = self.store.list_keys(firm).await?.into_iter().filter(|k| k.user_id == Some(id) && k.revoked_at.is_none()).collect();
        self.change::<Stored<UserFields>>(actor, id, &pre, "deleted", false, |current| {
            let mut writes = vec![Write::RevokeUserKeys { firm, user: id, at: now }, Write::SignIn(SignInWrite::Forget { firm, user: id })];
            for key in &keys {
                let revoked = ApiKey { revoked_at: Some(now), ..key.clone() };
                let event = actor.event("api_key.revoked", "api_key", key.id.to_string(), Some(key_snapshot(key)), Some(key_snapshot(&revoked)));
                writes.push(Write::Event(event));
            }
            Ok(Some(Changed { next: Stored { deleted_at: Some(now), ..current.clone() }, writes }))
        })
        .await?;
        self.keys.clear();
        Ok(())
    }
}
