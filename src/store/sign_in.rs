//! SQL of console sign-in, shared by both stores: users' password hashes
//! with their failure counts, and sessions. Each store binds and runs these
//! and decodes the rows: a user record's columns first (`RECORD_COLUMNS`,
//! [`RECORD_COLUMN_COUNT`] of them), then [`CREDENTIAL_COLUMNS`], or
//! [`SESSION_COLUMNS`] and the firm's.

use super::sql::{Sql, SqlDialect, SqlValue, RECORD_COLUMNS};
use super::SignInWrite;
use crate::domain::credential::{Session, TokenHash, LOCKOUT_MS, MAX_FAILURES};
use crate::domain::ids::{FirmId, UserId};
use crate::domain::time::Timestamp;

pub const RECORD_COLUMN_COUNT: usize = 12;
pub const CREDENTIAL_COLUMNS: &str = "p.password_hash, p.failed_attempts, p.locked_until";
pub const CREDENTIAL_COLUMN_COUNT: usize = 3;
pub const SESSION_COLUMNS: &str = "s.id, s.firm_id, s.user_id, s.token_hash, s.created_at, s.expires_at";
pub const SESSION_COLUMN_COUNT: usize = 6;

fn id(uuid: uuid::Uuid) -> SqlValue {
    SqlValue::Id(uuid)
}

/// The firm's live user with this unique key (folded email), and their
/// password's columns (all null when they have none).
pub fn find_user<'d>(d: &'d dyn SqlDialect, firm: FirmId, email_key: &str) -> Sql<'d> {
    let mut sql = Sql::new(d, &format!("SELECT {RECORD_COLUMNS}, {CREDENTIAL_COLUMNS} FROM records r "));
    sql.push("LEFT JOIN user_passwords p ON p.firm_id = r.firm_id AND p.user_id = r.id ");
    sql.push("WHERE r.kind = 'user' AND r.deleted_at IS NULL AND r.firm_id = ").bind(id(firm.as_uuid()));
    sql.push(" AND r.unique_key = ").bind(SqlValue::Text(email_key.to_string()));
    sql
}

/// One user's password columns.
pub fn credentials<'d>(d: &'d dyn SqlDialect, firm: FirmId, user: UserId) -> Sql<'d> {
    let mut sql = Sql::new(d, &format!("SELECT {CREDENTIAL_COLUMNS} FROM user_passwords p WHERE p.firm_id = "));
    sql.bind(id(firm.as_uuid())).push(" AND p.user_id = ").bind(id(user.as_uuid()));
    sql
}

/// The session with this token, whatever its state, with its user's record
/// (live or not) and the firm's columns (`firm_columns`, the store's own).
pub fn find_session<'d>(d: &'d dyn SqlDialect, firm_columns: &str, token: &TokenHash) -> Sql<'d> {
    let mut sql = Sql::new(d, &format!("SELECT {RECORD_COLUMNS}, {SESSION_COLUMNS}, {firm_columns} FROM sessions s "));
    sql.push("JOIN firms f ON f.id = s.firm_id ");
    sql.push("JOIN records r ON r.firm_id = s.firm_id AND r.id = s.user_id AND r.kind = 'user' ");
    sql.push("WHERE s.token_hash = ").bind(SqlValue::Text(token.0.clone()));
    sql
}

/// The statements of one sign-in write, in order.
pub fn write<'d>(d: &'d dyn SqlDialect, write: &SignInWrite) -> Vec<Sql<'d>> {
    match write {
        SignInWrite::SetPassword { firm, user, hash, at } => {
            let mut sql = Sql::new(d, "INSERT INTO user_passwords (firm_id, user_id, password_hash, failed_attempts, locked_until, updated_at) VALUES (");
            sql.bind(id(firm.as_uuid())).push(", ").bind(id(user.as_uuid())).push(", ").bind(SqlValue::Text(hash.0.clone()));
            sql.push(", 0, NULL, ").bind(SqlValue::Int(at.millis()));
            sql.push(") ON CONFLICT (firm_id, user_id) DO UPDATE SET password_hash = excluded.password_hash, ");
            sql.push("failed_attempts = 0, locked_until = NULL, updated_at = excluded.updated_at");
            vec![sql]
        }
        SignInWrite::Failed { firm, user, at } => vec![failed(d, *firm, *user, *at)],
        SignInWrite::Succeeded { firm, user } => {
            let mut sql = Sql::new(d, "UPDATE user_passwords SET failed_attempts = 0, locked_until = NULL WHERE firm_id = ");
            sql.bind(id(firm.as_uuid())).push(" AND user_id = ").bind(id(user.as_uuid()));
            vec![sql]
        }
        SignInWrite::InsertSession(session) => vec![insert_session(d, session)],
        SignInWrite::DeleteSession { firm, id: session } => {
            let mut sql = Sql::new(d, "DELETE FROM sessions WHERE firm_id = ");
            sql.bind(id(firm.as_uuid())).push(" AND id = ").bind(id(session.as_uuid()));
            vec![sql]
        }
        SignInWrite::EndUserSessions { firm, user, except } => {
            let mut sql = Sql::new(d, "DELETE FROM sessions WHERE firm_id = ");
            sql.bind(id(firm.as_uuid())).push(" AND user_id = ").bind(id(user.as_uuid()));
            if let Some(except) = except {
                sql.push(" AND id <> ").bind(id(except.as_uuid()));
            }
            vec![sql]
        }
        SignInWrite::Forget { firm, user } => {
            let statement = |table: &str| {
                let mut sql = Sql::new(d, &format!("DELETE FROM {table} WHERE firm_id = "));
                sql.bind(id(firm.as_uuid())).push(" AND user_id = ").bind(id(user.as_uuid()));
                sql
            };
            vec![statement("sessions"), statement("user_passwords")]
        }
    }
}

/// Counts a failure; the one that makes [`MAX_FAILURES`] locks the account
/// for [`LOCKOUT_MS`] and starts the count over.
fn failed(d: &dyn SqlDialect, firm: FirmId, user: UserId, at: Timestamp) -> Sql<'_> {
    let locks = format!("failed_attempts + 1 >= {MAX_FAILURES}");
    let mut sql = Sql::new(d, &format!("UPDATE user_passwords SET failed_attempts = CASE WHEN {locks} THEN 0 ELSE failed_attempts + 1 END, "));
    sql.push(&format!("locked_until = CASE WHEN {locks} THEN ")).bind(SqlValue::Int(at.millis() + LOCKOUT_MS));
    sql.push(" ELSE locked_until END WHERE firm_id = ").bind(id(firm.as_uuid()));
    sql.push(" AND user_id = ").bind(id(user.as_uuid()));
    sql
}

fn insert_session<'d>(d: &'d dyn SqlDialect, s: &Session) -> Sql<'d> {
    let mut sql = Sql::new(d, "INSERT INTO sessions (id, firm_id, user_id, token_hash, created_at, expires_at) VALUES (");
    sql.bind(id(s.id.as_uuid())).push(", ").bind(id(s.firm_id.as_uuid())).push(", ").bind(id(s.user_id.as_uuid()));
    sql.push(", ").bind(SqlValue::Text(s.token_hash.0.clone()));
    sql.push(", ").bind(SqlValue::Int(s.created_at.millis())).push(", ").bind(SqlValue::Int(s.expires_at.millis())).push(")");
    sql
}

/// Erases sessions that expired before `now` (upkeep, without events).
pub fn purge_sessions(d: &dyn SqlDialect, now: Timestamp) -> Sql<'_> {
    let mut sql = Sql::new(d, "DELETE FROM sessions WHERE expires_at <= ");
    sql.bind(SqlValue::Int(now.millis()));
    sql
}
