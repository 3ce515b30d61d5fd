//! Console sign-in on SQLite: binds and runs the SQL of `store::sign_in`.

use rusqlite::{params_from_iter, Connection, OptionalExtension};

use super::queries::WRITES;
use super::rows::{self, FIRM_COLUMNS};
use super::internal;
use super::webhooks::execute;
use crate::domain::credential::{Credentials, Session, TokenHash};
use crate::domain::firm::Firm;
use crate::domain::ids::{FirmId, UserId};
use crate::domain::record::Record;
use crate::domain::time::Timestamp;
use crate::store::sign_in::{self as sql, RECORD_COLUMN_COUNT, SESSION_COLUMN_COUNT};
use crate::store::sql::Sql;
use crate::store::{SignInWrite, StoreResult};

fn one<T>(conn: &Connection, sql: &Sql<'_>, map: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>) -> StoreResult<Option<T>> {
    let mut st = conn.prepare_cached(&sql.text).map_err(internal)?;
    st.query_row(params_from_iter(sql.params.iter()), map).optional().map_err(internal)
}

pub fn find_user(conn: &Connection, firm: FirmId, email_key: &str) -> StoreResult<Option<(Record, Option<Credentials>)>> {
    one(conn, &sql::find_user(&WRITES, firm, email_key), |r| Ok((rows::record(r)?, rows::credentials(r, RECORD_COLUMN_COUNT)?)))
}

pub fn credentials(conn: &Connection, firm: FirmId, user: UserId) -> StoreResult<Option<Credentials>> {
    Ok(one(conn, &sql::credentials(&WRITES, firm, user), |r| rows::credentials(r, 0))?.flatten())
}

pub fn find_session(conn: &Connection, token: &TokenHash) -> StoreResult<Option<(Session, Firm, Record)>> {
    let firm_at = RECORD_COLUMN_COUNT + SESSION_COLUMN_COUNT;
    one(conn, &sql::find_session(&WRITES, FIRM_COLUMNS, token), |r| {
        Ok((rows::session(r, RECORD_COLUMN_COUNT)?, rows::firm(r, firm_at)?, rows::record(r)?))
    })
}

pub fn apply(conn: &Connection, write: &SignInWrite) -> StoreResult<()> {
    for statement in sql::write(&WRITES, write) {
        execute(conn, &statement)?;
    }
    Ok(())
}

pub fn purge_sessions(conn: &Connection, now: Timestamp) -> StoreResult<u64> {
    Ok(execute(conn, &sql::purge_sessions(&WRITES, now))? as u64)
}

