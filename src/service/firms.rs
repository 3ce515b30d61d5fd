//! Firms: created by the operator (CLI, or the first start of the server).

use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Secret;
use crate::domain::firm::{Firm, FirmSettings};
use crate::domain::ids::FirmId;
use crate::domain::text;
use crate::domain::time::Timestamp;
use crate::store::Write;

/// A new firm and the admin key made with it; the secret is shown only now.
pub struct NewFirm {
    pub firm: Firm,
    pub admin_key: super::keys::NewKey,
}

impl Service {
    /// Creates a firm with an admin key, in one transaction.
    pub async fn create_firm(&self, name: &str) -> ServiceResult<NewFirm> {
        let name = text::required(name, 200).map_err(|m| ServiceError::invalid("name", m))?;
        let firm = Firm { id: FirmId::generate(), seq: 0, name, settings: FirmSettings::default(), created_at: Timestamp::now() };
        let operator = Actor::operator(firm.clone());
        let secret = Secret::generate();
        let key = super::keys::new_key(&firm, Some("initial admin key".into()), operator.scopes.clone(), None, None, &secret);
        let writes = vec![
            Write::InsertFirm(firm.clone()),
            Write::InsertKey(key.clone()),
            Write::Event(operator.event("firm.created", "firm", firm.id.to_string(), None, Some(firm_snapshot(&firm)))),
            Write::Event(operator.event("api_key.created", "api_key", key.id.to_string(), None, Some(super::keys::snapshot(&key)))),
        ];
        self.commit(writes).await?;
        Ok(NewFirm { firm, admin_key: super::keys::NewKey { key, secret } })
    }

    pub async fn list_firms(&self) -> ServiceResult<Vec<Firm>> {
        Ok(self.store.list_firms().await?)
    }

    pub async fn get_firm(&self, id: FirmId) -> ServiceResult<Firm> {
        self.store.get_firm(id).await?.ok_or(ServiceError::NotFound("firm"))
    }

    /// Sets the requests a minute each of a firm's keys may make (unless a
    /// key has its own limit); `None` returns the firm to the server default.
    pub async fn set_firm_rate_limit(&self, id: FirmId, per_minute: Option<u32>) -> ServiceResult<Firm> {
        if per_minute.is_some_and(|n| !(1..=super::keys::MAX_RATE_LIMIT).contains(&n)) {
            return Err(ServiceError::invalid("rate_limit_per_minute", format!("must be from 1 to {}", super::keys::MAX_RATE_LIMIT)));
        }
        let before = self.get_firm(id).await?;
        let mut after = before.clone();
        after.settings.rate_limit_per_minute = per_minute;
        let operator = Actor::operator(after.clone());
        let event = operator.event("firm.updated", "firm", id.to_string(), Some(firm_snapshot(&before)), Some(firm_snapshot(&after)));
        self.commit(vec![Write::UpdateFirmSettings { firm: id, settings: after.settings.clone() }, Write::Event(event)]).await?;
        self.keys.clear();
        Ok(after)
    }

    /// The operator acting on a firm from the command line, with every scope.
    pub async fn operator(&self, firm: FirmId) -> ServiceResult<Actor> {
        let firm = self.get_firm(firm).await?;
        Ok(Actor::operator(firm))
    }
}

fn firm_snapshot(firm: &Firm) -> serde_json::Value {
    serde_json::json!({ "id": firm.id, "name": firm.name, "settings": firm.settings })
}
