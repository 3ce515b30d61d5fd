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

/// Writes the keys of new clients (none for a deleted one), in the
/// transaction that wrote them: one statement for them all.
pub async fn insert_match_keys(c: &impl GenericClient, clients: &[&Client]) -> StoreResult<()> {
    let (mut firms, mut kinds, mut keys, mut ids, mut names) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for client in clients.iter().filter(|c| c.deleted_at.is_none()) {
        let (name, client_keys) = crate::domain::client::match_keys::match_keys(&client.fields);
        for (kind, key) in client_keys {
            firms.push(client.firm_id.as_uuid());
            kinds.push(kind.as_str());
            keys.push(key);
            ids.push(client.id.as_uuid());
            names.push(name.clone());
        }
    }
    if keys.is_empty() {
        return Ok(());
    }
    let st = c
        .prepare_cached(
            "INSERT INTO client_match_keys (firm_id, kind, key, client_id, name)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[])",
        )
        .await
        .map_err(db_error)?;
    let params: [Param; 5] = [&firms, &kinds, &keys, &ids, &names];
    c.execute(&st, &params).await.map_err(db_error)?;
    Ok(())
}

/// Writes the client's keys anew (none once it is deleted), in the
/// transaction that wrote the client.
pub async fn write_match_keys(c: &impl GenericClient, client: &Client, replacing: bool) -> StoreResult<()> {
    if replacing {
        rows(c, &sql::delete_match_keys(&Postgres, client)).await?;
    }
    insert_match_keys(c, &[client]).await
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
