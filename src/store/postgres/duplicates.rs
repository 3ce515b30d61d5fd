//! The match keys of candidate duplicates: kept with every client write, and
//! read in groups (SQL in `store::sql`).

use deadpool_postgres::GenericClient;

use super::db_error;
use super::queries::{Param, Postgres};
use crate::domain::client::Client;
use crate::domain::ids::{ClientId, FirmId};
use crate::store::sql::{self, Sql};
use crate::store::{MatchGroup, MatchQuery, StoreResult};

async fn rows(c: &impl GenericClient, sql: &Sql<'_>) -> StoreResult<Vec<tokio_postgres::Row>> {
    let st = c.prepare_cached(&sql.text).await.map_err(db_error)?;
    let params: Vec<Param> = sql.params.iter().map(|p| p as Param).collect();
    c.query(&st, &params).await.map_err(db_error)
}

/// Writes the client's keys anew (none once it is deleted), in the
/// transaction that wrote the client.
pub async fn write_match_keys(c: &impl GenericClient, client: &Client, replacing: bool) -> StoreResult<()> {
    if replacing {
        rows(c, &sql::delete_match_keys(&Postgres, client)).await?;
    }
    for insert in sql::insert_match_keys(&Postgres, client) {
        rows(c, &insert).await?;
    }
    Ok(())
}

pub async fn match_groups(c: &impl GenericClient, firm: FirmId, q: &MatchQuery) -> StoreResult<Vec<MatchGroup>> {
    let kind = q.kind.as_str();
    let keys = rows(c, &sql::shared_match_keys(&Postgres, firm, kind, q.after.as_deref(), q.inclusive, q.limit)).await?;
    let mut groups = Vec::with_capacity(keys.len());
    for row in keys {
        let (key, size): (String, i64) = (row.get(0), row.get(1));
        let members = rows(c, &sql::match_key_members(&Postgres, firm, kind, &key, q.max_members)).await?;
        let members = members.iter().map(|r| (ClientId::from_uuid(r.get(0)), r.get(1))).collect();
        groups.push(MatchGroup { key, size: size as u64, members });
    }
    Ok(groups)
}
