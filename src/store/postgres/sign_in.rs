//! Console sign-in on PostgreSQL: binds and runs the SQL of `store::sign_in`.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::db_error;
use super::queries::Postgres;
use super::webhooks::{execute, params};
use super::rows::{self, FIRM_COLUMNS};
use crate::domain::credential::{Credentials, Session, TokenHash};
use crate::domain::firm::Firm;
use crate::domain::ids::{FirmId, UserId};
use crate::domain::record::Record;
use crate::domain::time::Timestamp;
use crate::store::sign_in::{self as sql, RECORD_COLUMN_COUNT, SESSION_COLUMN_COUNT};
use crate::store::sql::Sql;
use crate::store::{SignInWrite, StoreResult};

async fn one(c: &impl GenericClient, sql: &Sql<'_>) -> StoreResult<Option<Row>> {
    let st = c.prepare_cached(&sql.text).await.map_err(db_error)?;
    c.query_opt(&st, &params(sql)).await.map_err(db_error)
}

pub async fn find_user(c: &impl GenericClient, firm: FirmId, email_key: &str) -> StoreResult<Option<(Record, Option<Credentials>)>> {
    let row = one(c, &sql::find_user(&Postgres, firm, email_key)).await?;
    row.map(|r| Ok((rows::record(&r)?, rows::credentials(&r, RECORD_COLUMN_COUNT)?))).transpose()
}

pub async fn credentials(c: &impl GenericClient, firm: FirmId, user: UserId) -> StoreResult<Option<Credentials>> {
    let row = one(c, &sql::credentials(&Postgres, firm, user)).await?;
    Ok(row.map(|r| rows::credentials(&r, 0)).transpose()?.flatten())
}

pub async fn find_session(c: &impl GenericClient, token: &TokenHash) -> StoreResult<Option<(Session, Firm, Record)>> {
    let row = one(c, &sql::find_session(&Postgres, FIRM_COLUMNS, token)).await?;
    let firm_at = RECORD_COLUMN_COUNT + SESSION_COLUMN_COUNT;
    row.map(|r| Ok((rows::session(&r, RECORD_COLUMN_COUNT)?, rows::firm(&r, firm_at)?, rows::record(&r)?))).transpose()
}

pub async fn apply(c: &impl GenericClient, write: &SignInWrite) -> StoreResult<()> {
    for statement in sql::write(&Postgres, write) {
        execute(c, &statement).await?;
    }
    Ok(())
}

pub async fn purge_sessions(c: &impl GenericClient, now: Timestamp) -> StoreResult<u64> {
    execute(c, &sql::purge_sessions(&Postgres, now)).await
}
