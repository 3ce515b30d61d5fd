//! Schema migrations for PostgreSQL, applied under an advisory lock so that
//! several nodes starting at once apply each exactly once.

use deadpool_postgres::Object;

use super::db_error;
use crate::store::StoreResult;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../../migrations/postgres/0001_init.sql")),
    (2, include_str!("../../../migrations/postgres/0002_records.sql")),
    (3, include_str!("../../../migrations/postgres/0003_idempotency.sql")),
    (4, include_str!("../../../migrations/postgres/0004_event_numbering.sql")),
    (5, include_str!("../../../migrations/postgres/0005_search_statistics.sql")),
    (6, include_str!("../../../migrations/postgres/0006_company_links.sql")),
];
/// An arbitrary constant naming Clientele's migration lock.
const LOCK_KEY: i64 = 0x0c11e17e1e;

pub async fn apply(conn: &mut Object) -> StoreResult<()> {
    let tx = conn.transaction().await.map_err(db_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY]).await.map_err(db_error)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version bigint PRIMARY KEY, applied_at bigint NOT NULL)")
        .await
        .map_err(db_error)?;
    for (version, sql) in MIGRATIONS {
        let applied = tx
            .query_opt("SELECT 1 FROM schema_migrations WHERE version = $1", &[version])
            .await
            .map_err(db_error)?
            .is_some();
        if !applied {
            tx.batch_execute(sql).await.map_err(db_error)?;
            let now = crate::domain::time::Timestamp::now().millis();
            tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", &[version, &now])
                .await
                .map_err(db_error)?;
        }
    }
    tx.commit().await.map_err(db_error)
}
