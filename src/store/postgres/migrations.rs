//! Schema migrations for PostgreSQL, applied under an advisory lock so that
//! several nodes starting at once apply each exactly once.

use deadpool_postgres::{Object, Transaction};

use super::db_error;
use crate::domain::email::Email;
use crate::store::StoreResult;

/// One migration: a script, or a step that needs Rust (to recompute
/// something SQL can't).
enum Step {
    Sql(&'static str),
    RekeyEmails,
    /// The duplicates' match keys, then their values for the clients there.
    Duplicates,
}

const MIGRATIONS: &[(i64, Step)] = &[
    (1, Step::Sql(include_str!("../../../migrations/postgres/0001_init.sql"))),
    (2, Step::Sql(include_str!("../../../migrations/postgres/0002_records.sql"))),
    (3, Step::Sql(include_str!("../../../migrations/postgres/0003_idempotency.sql"))),
    (4, Step::Sql(include_str!("../../../migrations/postgres/0004_event_numbering.sql"))),
    (5, Step::Sql(include_str!("../../../migrations/postgres/0005_search_statistics.sql"))),
    (6, Step::Sql(include_str!("../../../migrations/postgres/0006_company_links.sql"))),
    (7, Step::RekeyEmails),
    (8, Step::Sql(include_str!("../../../migrations/postgres/0008_webhooks.sql"))),
    (9, Step::Sql(include_str!("../../../migrations/postgres/0009_external_ids.sql"))),
    (10, Step::Sql(include_str!("../../../migrations/postgres/0010_merges.sql"))),
    (11, Step::Duplicates),
    (12, Step::Sql(include_str!("../../../migrations/postgres/0012_merged_into_index.sql"))),
    (13, Step::Sql(include_str!("../../../migrations/postgres/0013_deliveries_fillfactor.sql"))),
    (14, Step::Sql(include_str!("../../../migrations/postgres/0014_sign_in.sql"))),
    (15, Step::Sql(include_str!("../../../migrations/postgres/0015_events_redacted.sql"))),
];
/// An arbitrary constant naming Clientele's migration lock.
const LOCK_KEY: i64 = 0x0c11e17e1e;

pub async fn apply(conn: &mut Object) -> StoreResult<()> {
    let tx = conn.transaction().await.map_err(db_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY]).await.map_err(db_error)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version bigint PRIMARY KEY, applied_at bigint NOT NULL)")
        .await
        .map_err(db_error)?;
    for (version, step) in MIGRATIONS {
        let applied = tx
            .query_opt("SELECT 1 FROM schema_migrations WHERE version = $1", &[version])
            .await
            .map_err(db_error)?
            .is_some();
        if !applied {
            match step {
                Step::Sql(sql) => tx.batch_execute(sql).await.map_err(db_error)?,
                Step::RekeyEmails => rekey_emails(&tx).await?,
                Step::Duplicates => duplicates(&tx).await?,
            }
            let now = crate::domain::time::Timestamp::now().millis();
            tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", &[version, &now])
                .await
                .map_err(db_error)?;
        }
    }
    tx.commit().await.map_err(db_error)
}

/// Email keys were once only lower-cased; they are now canonical
/// ([`Email::key`]). Recomputes the stored keys of clients and users, except
/// where the new key would make two live ones of a firm collide: those keep
/// their old key (and stay distinct, as they were).
async fn rekey_emails(tx: &Transaction<'_>) -> StoreResult<()> {
    let mut kept = 0;
    let tables = [
        (
            "SELECT id, email, email_key FROM clients WHERE email IS NOT NULL",
            "UPDATE clients c SET email_key = $1 WHERE id = $2 AND (deleted_at IS NOT NULL OR NOT EXISTS (
                 SELECT 1 FROM clients o WHERE o.firm_id = c.firm_id AND o.email_key = $1 AND o.deleted_at IS NULL AND o.id <> $2))",
        ),
        (
            "SELECT id, doc ->> 'email', unique_key FROM records WHERE kind = 'user'",
            "UPDATE records r SET unique_key = $1 WHERE id = $2 AND (deleted_at IS NOT NULL OR NOT EXISTS (
                 SELECT 1 FROM records o WHERE o.kind = 'user' AND o.firm_id = r.firm_id AND o.unique_key = $1
                     AND o.deleted_at IS NULL AND o.id <> $2))",
        ),
    ];
    for (select, update) in tables {
        for row in tx.query(select, &[]).await.map_err(db_error)? {
            let (id, email, stored): (uuid::Uuid, Option<String>, Option<String>) = (row.get(0), row.get(1), row.get(2));
            let Some(key) = email.and_then(|e| Email::parse(&e).ok()).map(|e| e.key()) else { continue };
            if stored.as_deref() != Some(key.as_str()) && tx.execute(update, &[&key, &id]).await.map_err(db_error)? == 0 {
                kept += 1;
            }
        }
    }
    if kept > 0 {
        tracing::warn!(kept, "email keys left in their old form: the canonical form would make them collide with another");
    }
    Ok(())
}

/// The match keys of candidate duplicates, for the live clients already there.
async fn duplicates(tx: &Transaction<'_>) -> StoreResult<()> {
    tx.batch_execute(include_str!("../../../migrations/postgres/0011_duplicates.sql")).await.map_err(db_error)?;
    // A page at a time, so a large table is not held in memory at once.
    let select = format!(
        "SELECT {} FROM clients c WHERE c.deleted_at IS NULL AND c.seq > $1 ORDER BY c.seq LIMIT 10000",
        crate::store::sql::CLIENT_COLUMNS
    );
    let mut after = 0_i64;
    loop {
        let rows = tx.query(&select, &[&after]).await.map_err(db_error)?;
        for row in &rows {
            let client = super::rows::client(row)?;
            after = client.seq;
            super::duplicates::write_match_keys(tx, &client, false).await?;
        }
        if rows.len() < 10000 {
            return Ok(());
        }
    }
}
