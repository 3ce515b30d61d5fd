//! The match keys of candidate duplicates: kept with every client write, and
//! read in groups (SQL in `store::sql`).

use rusqlite::{params_from_iter, Connection};

use super::internal;
use super::queries::WRITES;
use crate::domain::client::Client;
use crate::domain::ids::{ClientId, FirmId};
use crate::store::sql::{self, Sql};
use crate::store::{MatchGroup, MatchQuery, StoreResult};

fn execute(conn: &Connection, sql: &Sql<'_>) -> StoreResult<()> {
    conn.prepare_cached(&sql.text).and_then(|mut st| st.execute(params_from_iter(sql.params.iter()))).map_err(internal)?;
    Ok(())
}

/// Writes the client's keys anew (none once it is deleted), in the
/// transaction that wrote the client.
pub fn write_match_keys(conn: &Connection, client: &Client, replacing: bool) -> StoreResult<()> {
    if replacing {
        execute(conn, &sql::delete_match_keys(&WRITES, client))?;
    }
    for insert in sql::insert_match_keys(&WRITES, client) {
        execute(conn, &insert)?;
    }
    Ok(())
}

pub fn match_groups(conn: &Connection, firm: FirmId, q: &MatchQuery) -> StoreResult<Vec<MatchGroup>> {
    let kind = q.kind.as_str();
    let shared = sql::shared_match_keys(&WRITES, firm, kind, q.after.as_deref(), q.inclusive, q.limit);
    let keys: Vec<(String, i64)> = conn
        .prepare_cached(&shared.text)
        .and_then(|mut st| st.query_map(params_from_iter(shared.params.iter()), |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .map_err(internal)?;
    let mut groups = Vec::with_capacity(keys.len());
    for (key, size) in keys {
        let members = sql::match_key_members(&WRITES, firm, kind, &key, q.max_members);
        let members: Vec<(ClientId, String)> = conn
            .prepare_cached(&members.text)
            .and_then(|mut st| {
                st.query_map(params_from_iter(members.params.iter()), |r| {
                    let id: Vec<u8> = r.get(0)?;
                    let id = uuid::Uuid::from_slice(&id).map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, Box::new(e)))?;
                    Ok((ClientId::from_uuid(id), r.get(1)?))
                })?
                .collect()
            })
            .map_err(internal)?;
        groups.push(MatchGroup { key, size: size as u64, members });
    }
    Ok(groups)
}
