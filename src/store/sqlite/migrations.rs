//! Schema migrations, embedded in the binary and applied in order, each in its
//! own transaction together with its bookkeeping row.

use rusqlite::Connection;

use super::internal;
use crate::domain::email::Email;
use crate::store::StoreResult;

/// One migration: a script, or a step that needs Rust (to recompute
/// something SQL can't).
enum Step {
    Sql(&'static str),
    Rust(fn(&Connection) -> StoreResult<()>),
}

const MIGRATIONS: &[(i64, Step)] = &[
    (1, Step::Sql(include_str!("../../../migrations/sqlite/0001_init.sql"))),
    (2, Step::Sql(include_str!("../../../migrations/sqlite/0002_records.sql"))),
    (3, Step::Sql(include_str!("../../../migrations/sqlite/0003_idempotency.sql"))),
    (4, Step::Sql(include_str!("../../../migrations/sqlite/0004_company_links.sql"))),
    (5, Step::Rust(rekey_emails)),
    (6, Step::Sql(include_str!("../../../migrations/sqlite/0006_webhooks.sql"))),
    (7, Step::Sql(include_str!("../../../migrations/sqlite/0007_external_ids.sql"))),
    (8, Step::Sql(include_str!("../../../migrations/sqlite/0008_merges.sql"))),
    (9, Step::Rust(duplicates)),
    (10, Step::Sql(include_str!("../../../migrations/sqlite/0010_merged_into_index.sql"))),
    (11, Step::Sql(include_str!("../../../migrations/sqlite/0011_sign_in.sql"))),
    (12, Step::Sql(include_str!("../../../migrations/sqlite/0012_search_index_without_insert_trigger.sql"))),
    (13, Step::Sql(include_str!("../../../migrations/sqlite/0013_events_redacted.sql"))),
    (14, Step::Sql(include_str!("../../../migrations/sqlite/0014_clients_late.sql"))),
    (15, Step::Sql(include_str!("../../../migrations/sqlite/0015_clients_live_seq.sql"))),
];

pub fn apply(conn: &mut Connection) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             applied_at INTEGER NOT NULL
         )",
    )
    .map_err(internal)?;
    for (version, step) in MIGRATIONS {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(internal)?;
        let applied: bool = tx
            .query_row("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)", [version], |r| {
                r.get(0)
            })
            .map_err(internal)?;
        if !applied {
            match step {
                Step::Sql(sql) => tx.execute_batch(sql).map_err(internal)?,
                Step::Rust(run) => run(&tx)?,
            }
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

/// Email keys were once only lower-cased; they are now canonical
/// ([`Email::key`]). Recomputes the stored keys of clients and users, except
/// where the new key would make two live ones of a firm collide: those keep
/// their old key (and stay distinct, as they were).
fn rekey_emails(conn: &Connection) -> StoreResult<()> {
    let rekey = |select: &str, update: &str| -> StoreResult<usize> {
        let rows: Vec<(Vec<u8>, Option<String>, Option<String>)> = conn
            .prepare(select)
            .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect())
            .map_err(internal)?;
        let mut kept = 0;
        for (id, email, stored) in rows {
            let Some(key) = email.and_then(|e| Email::parse(&e).ok()).map(|e| e.key()) else { continue };
            if stored.as_deref() != Some(key.as_str()) && conn.execute(update, rusqlite::params![key, id]).map_err(internal)? == 0 {
                kept += 1;
            }
        }
        Ok(kept)
    };
    let kept = rekey(
        "SELECT id, email, email_key FROM clients WHERE email IS NOT NULL",
        "UPDATE clients SET email_key = ?1 WHERE id = ?2 AND (deleted_at IS NOT NULL OR NOT EXISTS (
             SELECT 1 FROM clients o WHERE o.firm_id = clients.firm_id AND o.email_key = ?1 AND o.deleted_at IS NULL AND o.id <> ?2))",
    )? + rekey(
        "SELECT id, json_extract(doc, '$.email'), unique_key FROM records WHERE kind = 'user'",
        "UPDATE records SET unique_key = ?1 WHERE id = ?2 AND (deleted_at IS NOT NULL OR NOT EXISTS (
             SELECT 1 FROM records o WHERE o.kind = 'user' AND o.firm_id = records.firm_id AND o.unique_key = ?1
                 AND o.deleted_at IS NULL AND o.id <> ?2))",
    )?;
    if kept > 0 {
        tracing::warn!(kept, "email keys left in their old form: the canonical form would make them collide with another");
    }
    Ok(())
}

/// The match keys of candidate duplicates, for the live clients already there.
fn duplicates(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch(include_str!("../../../migrations/sqlite/0009_duplicates.sql")).map_err(internal)?;
    let select = format!("SELECT {} FROM clients c WHERE c.deleted_at IS NULL", crate::store::sql::CLIENT_COLUMNS);
    let mut st = conn.prepare(&select).map_err(internal)?;
    let mut rows = st.query([]).map_err(internal)?;
    while let Some(row) = rows.next().map_err(internal)? {
        let client = super::rows::client(row).map_err(internal)?;
        super::duplicates::write_match_keys(conn, &client, false)?;
    }
    Ok(())
}
