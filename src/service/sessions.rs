//! Console sign-in: staff users sign in with their firm, email and password,
//! and get a session whose scopes follow their role (docs/security.md,
//! "Console sign-in").

use serde_json::json;

use super::users::User;
use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::{Scope, Scopes};
use crate::domain::credential::{role_scopes, Credentials, Password, PasswordHash, Session, Token, SESSION_MS};
use crate::domain::email::Email;
use crate::domain::firm::Firm;
use crate::domain::ids::{FirmId, SessionId, UserId};
use crate::domain::time::Timestamp;
use crate::store::{SignInWrite, Write};

/// A live session, with its user and the token that names it (the
/// cookie's value, shown once at sign-in).
#[derive(Debug)]
pub struct SignedIn {
    pub session: Session,
    pub token: Token,
    pub user: User,
    pub actor: Actor,
}

impl SignedIn {
    pub fn scopes(&self) -> &Scopes {
        &self.actor.scopes
    }
}

impl Service {
    /// Signs a user in. Every failure looks the same (401): an unknown firm
    /// or email, a user without a password, a wrong password, a locked
    /// account. Each costs one argon2 verification, so timing tells nothing.
    pub async fn sign_in(&self, firm: &str, email: &str, password: &str, request_id: Option<String>) -> ServiceResult<SignedIn> {
        let presented = Password::presented(password).ok_or(ServiceError::SignInFailed)?;
        let found = self.sign_in_candidate(firm, email).await?;
        let now = Timestamp::now();
        let Some((firm, user, credentials)) = found else {
            verify(PasswordHash::decoy().clone(), presented).await?;
            return Err(ServiceError::SignInFailed);
        };
        if credentials.is_locked_at(now) {
            // Checked all the same, so that a lock (which only an account
            // that exists can have) takes as long to answer as a guess.
            verify(PasswordHash::decoy().clone(), presented).await?;
            tracing::info!(user = %user.id(), "sign-in refused: the account is locked");
            return Err(ServiceError::SignInFailed);
        }
        let (firm_id, user_id) = (firm.id, UserId::from_uuid(user.id));
        if !verify(credentials.hash.clone(), presented).await? {
            self.commit(vec![Write::SignIn(SignInWrite::Failed { firm: firm_id, user: user_id, at: now })]).await?;
            let locks = credentials.next_failure_locks();
            tracing::info!(user = %user_id, locked = locks, "sign-in failed: wrong password");
            return Err(ServiceError::SignInFailed);
        }
        let token = Token::generate();
        let session = Session {
            id: SessionId::generate(),
            firm_id,
            user_id,
            token_hash: token.hash(),
            created_at: now,
            expires_at: Timestamp::from_millis(now.millis() + SESSION_MS),
        };
        let actor = session_actor(firm, &user, &session, request_id);
        let event = actor.event("session.created", "session", session.id.to_string(), None, Some(snapshot(&session)));
        self.commit(vec![
            Write::SignIn(SignInWrite::Succeeded { firm: firm_id, user: user_id }),
            Write::SignIn(SignInWrite::InsertSession(session.clone())),
            Write::Event(event),
        ])
        .await?;
        Ok(SignedIn { session, token, user, actor })
    }

    /// The firm, its live user with this email, and their password, if all
    /// three exist.
    async fn sign_in_candidate(&self, firm: &str, email: &str) -> ServiceResult<Option<(Firm, User, Credentials)>> {
        let (Ok(firm_id), Ok(email)) = (firm.trim().parse::<FirmId>(), Email::parse(email.trim())) else { return Ok(None) };
        let Some(firm) = self.store.get_firm(firm_id).await? else { return Ok(None) };
        let Some((record, Some(credentials))) = self.store.find_user_sign_in(firm_id, &email.key()).await? else { return Ok(None) };
        Ok(Some((firm, super::records::decode(record)?, credentials)))
    }

    /// The session a cookie's token names, if it is live and its user is.
    pub async fn authenticate_session(&self, presented: &str, request_id: Option<String>) -> ServiceResult<SignedIn> {
        let token = Token::parse(presented.trim()).ok_or(ServiceError::Unauthenticated)?;
        let hash = token.hash();
        let (session, firm, record) = self.store.find_session(&hash).await?.ok_or(ServiceError::Unauthenticated)?;
        if !session.token_hash.matches(&hash) || !session.is_live_at(Timestamp::now()) || record.deleted_at.is_some() {
            return Err(ServiceError::Unauthenticated);
        }
        let user = super::records::decode(record)?;
        let actor = session_actor(firm, &user, &session, request_id);
        Ok(SignedIn { session, token, user, actor })
    }

    /// Erases sessions that have expired (upkeep).
    pub async fn purge_sessions(&self, now: Timestamp) -> ServiceResult<u64> {
        Ok(self.store.purge_sessions(now).await?)
    }

    /// Ends the actor's own session.
    pub async fn sign_out(&self, actor: &Actor) -> ServiceResult<()> {
        let id = actor.session.ok_or(ServiceError::NotFound("session"))?;
        let event = actor.event("session.deleted", "session", id.to_string(), None, None);
        self.commit(vec![Write::SignIn(SignInWrite::DeleteSession { firm: actor.firm.id, id }), Write::Event(event)]).await?;
        Ok(())
    }

    /// Sets a user's password: an admin's for anyone else (no current
    /// password needed), or a user's own, always with their current one (a
    /// session left open, an admin's too, can't lock its owner out). Every
    /// other session of the user ends.
    pub async fn set_password(&self, actor: &Actor, id: UserId, current: Option<&str>, password: &str) -> ServiceResult<()> {
        let own = actor.user_id == Some(id);
        if !own {
            actor.require(Scope::Admin)?;
        }
        let user = self.live_user(actor, id).await?;
        let new = Password::new(password).map_err(|m| ServiceError::invalid("password", m))?;
        match current {
            Some(current) => self.check_current_password(actor, id, current).await?,
            None if own => return Err(ServiceError::invalid("current_password", "is required to change your own password")),
            None => {}
        }
        let hash = tokio::task::spawn_blocking(move || new.hash()).await.map_err(|e| ServiceError::Internal(e.to_string()))?;
        let firm = actor.firm.id;
        let except = actor.session.filter(|_| own);
        let event = actor.event("user.password_set", "user", user.id().to_string(), None, None);
        self.commit(vec![
            Write::SignIn(SignInWrite::SetPassword { firm, user: id, hash, at: Timestamp::now() }),
            Write::SignIn(SignInWrite::EndUserSessions { firm, user: id, except }),
            Write::Event(event),
        ])
        .await?;
        Ok(())
    }

    async fn check_current_password(&self, actor: &Actor, id: UserId, current: &str) -> ServiceResult<()> {
        let wrong = || ServiceError::invalid("current_password", "is not your current password");
        let presented = Password::presented(current).ok_or_else(wrong)?;
        let hash = match self.store.credentials(actor.firm.id, id).await? {
            Some(credentials) => credentials.hash,
            None => PasswordHash::decoy().clone(),
        };
        if verify(hash, presented).await? {
            Ok(())
        } else {
            Err(wrong())
        }
    }
}

/// Checks a password off the runtime's threads (argon2 takes tens of ms).
async fn verify(hash: PasswordHash, password: Password) -> ServiceResult<bool> {
    tokio::task::spawn_blocking(move || hash.verify(&password)).await.map_err(|e| ServiceError::Internal(e.to_string()))
}

fn session_actor(firm: Firm, user: &User, session: &Session, request_id: Option<String>) -> Actor {
    Actor {
        firm,
        key_id: None,
        user_id: Some(session.user_id),
        session: Some(session.id),
        scopes: role_scopes(user.fields.role),
        rate_limit: None,
        request_id,
    }
}

/// A session in its events: never its tokens.
fn snapshot(session: &Session) -> serde_json::Value {
    json!({
        "id": session.id.to_string(),
        "user_id": session.user_id.to_string(),
        "created_at": session.created_at.to_string(),
        "expires_at": session.expires_at.to_string(),
    })
}
