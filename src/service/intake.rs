//! Public intake: web forms post leads with a per-firm, revocable token and
//! no API key.

use serde_json::{Map, Value};

use super::records::{RecordListRequest, RecordPage};
use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::{Scope, Scopes};
use crate::domain::custom_action::{code_hash, random_code, IntakeTokenFields};
use crate::domain::ids::IntakeTokenId;
use crate::domain::lead::parse_intake;
use crate::domain::record::{RecordKind, Stored};
use crate::service::rate_limit::Quota;

pub type IntakeToken = Stored<IntakeTokenFields>;

pub const TOKEN_PREFIX: &str = "intk_";
/// Leads a minute one token may post on average, and at once.
pub const INTAKE_PER_MINUTE: u32 = 20;
pub const INTAKE_BURST: u32 = 10;

impl Service {
    /// A new token; the returned secret is shown once and stored only hashed.
    pub async fn create_intake_token(&self, actor: &Actor, name: Option<String>) -> ServiceResult<(IntakeToken, String)> {
        actor.require(Scope::Admin)?;
        let token = random_code(TOKEN_PREFIX);
        let fields = IntakeTokenFields { name, prefix: token[..TOKEN_PREFIX.len() + 4].to_string(), token_hash: code_hash(&token) };
        let record = self.insert(actor, fields, Vec::new()).await?;
        Ok((record, token))
    }

    pub async fn list_intake_tokens(&self, actor: &Actor, request: RecordListRequest) -> ServiceResult<RecordPage<IntakeTokenFields>> {
        actor.require(Scope::Admin)?;
        self.list(actor, request).await
    }

    pub async fn revoke_intake_token(&self, actor: &Actor, id: IntakeTokenId) -> ServiceResult<()> {
        actor.require(Scope::Admin)?;
        self.soft_delete::<IntakeTokenFields>(actor, id, &Default::default()).await
    }

    /// Creates an untriaged lead from a public form. An unknown or revoked
    /// token is `NotFound`; each token has its own rate limit.
    pub async fn submit_intake(&self, token: &str, doc: &Map<String, Value>, request_id: Option<String>) -> ServiceResult<()> {
        let unknown = || ServiceError::NotFound("intake form");
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 64 {
            return Err(unknown());
        }
        let record = self.store.find_record(RecordKind::IntakeToken, &code_hash(token)).await?.ok_or_else(unknown)?;
        let quota = Quota { per_minute: INTAKE_PER_MINUTE, burst: INTAKE_BURST };
        let decision = self.limits.limiter.check(&format!("intake:{}", record.id), quota).await;
        if !decision.allowed {
            return Err(ServiceError::RateLimited { retry_after_secs: decision.retry_after_secs });
        }
        let firm = self.store.get_firm(record.firm_id).await?.ok_or_else(unknown)?;
        let actor = Actor { request_id, scopes: Scopes::new(vec![Scope::LeadsWrite]), ..Actor::operator(firm) };
        let fields = parse_intake(doc, &actor.firm.settings).map_err(ServiceError::Invalid)?;
        self.insert(&actor, fields, Vec::new()).await.map(|_| ())
    }
}
