//! Schema migrations, embedded in the binary and applied in order, each in its
//! own transaction together with its bookkeeping row.

use rusqlite::Connection;

use super::internal;
use crate::store::StoreResult;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../../../migrations/sqlite/0002_records.sql")),
    (3, include_str!("../../../migrations/sqlite/0003_idempotency.sql")),
    (4, include_str!("../../../migrations/sqlite/0004_company_links.sql")),
];

pub fn apply(conn: &mut Connection) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             applied_at INTEGER NOT NULL
         )",
    )
    .map_err(internal)?;
    for (version, sql) in MIGRATIONS {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(internal)?;
        let applied: bool = tx
            .query_row("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)", [version], |r| {
                r.get(0)
            })
            .map_err(internal)?;
        if !applied {
            tx.execute_batch(sql).map_err(internal)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                [*version, crate::domain::time::Timestamp::now().millis()],
            )
            .map_err(internal)?;
        }
        tx.commit().map_err(internal)?;
    }
    Ok(())
}
