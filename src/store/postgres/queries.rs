//! The PostgreSQL store's statements.

use deadpool_postgres::GenericClient;
use serde_json::Value;
use tokio_postgres::types::ToSql;

use super::db_error;
use super::rows::{self, FIRM_COLUMNS, KEY_COLUMNS};
use crate::domain::api_key::{ApiKey, SecretHash};
use crate::domain::client::query::{ClientFilter, ClientQuery, SearchTerm};
use crate::domain::client::Client;
use crate::domain::event::Event;
use crate::domain::firm::Firm;
use crate::domain::ids::{ClientId, FirmId, KeyId, UserId};
use crate::domain::record::{Record, RecordFilter, RecordKind, RecordQuery, Reference, Target};
use crate::domain::time::Timestamp;
use crate::store::sql::{self, like_pattern, Sql, SqlDialect, SqlList, SqlValue, CLIENT_COLUMNS, RECORD_COLUMNS};
use crate::store::erasure;
use crate::store::{Erasure, Found, IdempotencyRecord, Link, StoreError, StoreResult, StoredResponse, Write};

pub(super) struct Postgres;

impl SqlDialect for Postgres {
    fn placeholder(&self, n: usize) -> String {
        format!("${n}")
    }

    fn bytes_contain(&self, sql: &mut Sql, column: &str, text: &str) {
        sql.push("position(convert_to(").bind(SqlValue::Text(text.to_string()));
        sql.push(&format!(", 'UTF8') in {column}) > 0"));
    }

    fn has_tags(&self, sql: &mut Sql, tags: &[String]) {
        let wanted = serde_json::to_string(tags).unwrap_or_else(|_| "[]".into());
        sql.push("c.tags @> (").bind(SqlValue::Text(wanted)).push("::text)::jsonb");
    }

    fn any_of(&self, sql: &mut Sql, column: &str, values: SqlList) {
        sql.push(column).push(" = ANY(").bind(SqlValue::List(values)).push(")");
    }

    fn contains(&self, sql: &mut Sql, term: &SearchTerm) {
        // The pg_trgm GIN index answers this for terms of 3+ characters.
        sql.push("c.search_text LIKE ").bind(SqlValue::Text(like_pattern(term.as_str()))).push(" ESCAPE '\\'");
    }

    fn custom_field_equals(&self, sql: &mut Sql, key: &str, value: &Value) {
        sql.push("(c.custom_fields -> (").bind(SqlValue::Text(key.to_string())).push("::text)) = (");
        sql.bind(SqlValue::Text(value.to_string())).push("::text)::jsonb");
    }

    fn lock_skipping_locked(&self) -> &'static str {
        " FOR UPDATE SKIP LOCKED"
    }

    fn doc_field(&self, field: &str) -> String {
        format!("(r.doc ->> '{field}')")
    }

    fn json_literal(&self, json: &str) -> String {
        format!("'{}'::jsonb", json.replace('\'', "''"))
    }
}

pub(super) type Param<'a> = &'a (dyn ToSql + Sync);

fn json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Appends a transaction's events, in order, without their numbers:
/// [`number_events`] gives them the firm's next ones (in `seq` order) once
/// the transaction has committed. One statement for them all.
async fn insert_events(c: &impl GenericClient, events: &[&Event]) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let ids: Vec<uuid::Uuid> = events.iter().map(|e| e.id.as_uuid()).collect();
    let firms: Vec<uuid::Uuid> = events.iter().map(|e| e.firm_id.as_uuid()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let types: Vec<&str> = events.iter().map(|e| e.resource_type.as_str()).collect();
    let resources: Vec<&str> = events.iter().map(|e| e.resource_id.as_str()).collect();
    let actors: Vec<Option<uuid::Uuid>> = events.iter().map(|e| e.actor_key_id.map(|k| k.as_uuid())).collect();
    let requests: Vec<Option<&str>> = events.iter().map(|e| e.request_id.as_deref()).collect();
    let befores: Vec<Option<&Value>> = events.iter().map(|e| e.before.as_ref()).collect();
    let afters: Vec<Option<&Value>> = events.iter().map(|e| e.after.as_ref()).collect();
    let times: Vec<i64> = events.iter().map(|e| e.created_at.millis()).collect();
    let users: Vec<Option<uuid::Uuid>> = events.iter().map(|e| e.actor_user_id.map(|u| u.as_uuid())).collect();
    let params: [Param; 11] = [&ids, &firms, &kinds, &types, &resources, &actors, &requests, &befores, &afters, &times, &users];
    // In the order given (identity values are drawn in the sorted order).
    let st = c
        .prepare_cached(
            "INSERT INTO events (id, firm_id, kind, resource_type, resource_id, actor_key_id, request_id, before, after, created_at, actor_user_id)
             SELECT id, firm_id, kind, resource_type, resource_id, actor_key_id, request_id, before, after, created_at, actor_user_id
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::jsonb[], $9::jsonb[], $10::bigint[], $11::uuid[])
                  WITH ORDINALITY AS e (id, firm_id, kind, resource_type, resource_id, actor_key_id, request_id, before, after, created_at, actor_user_id, n)
             ORDER BY n",
        )
        .await
        .map_err(db_error)?;
    c.execute(&st, &params).await.map_err(db_error)?;
    Ok(())
}

/// Most clients one insert statement writes. Runs are cut into powers of
/// two up to this, so a connection prepares at most seven shapes.
const CLIENTS_PER_INSERT: usize = 64;

/// Inserts a run of new clients at the head of `writes` (with the events
/// between them, which [`apply`] inserts last) in a few statements instead
/// of two per client; `None` unless the run has two clients or more.
async fn insert_client_run(c: &impl GenericClient, writes: &[Write], seqs: &mut Vec<i64>) -> StoreResult<Option<usize>> {
    let run = writes.iter().take_while(|w| matches!(w, Write::InsertClient { .. } | Write::Event(_))).count();
    let clients: Vec<&Client> = writes[..run]
        .iter()
        .filter_map(|w| match w {
            Write::InsertClient { client, .. } => Some(client),
            _ => None,
        })
        .collect();
    if clients.len() < 2 {
        return Ok(None);
    }
    let mut rest = clients.as_slice();
    while !rest.is_empty() {
        let n = CLIENTS_PER_INSERT.min(1 << rest.len().ilog2());
        let sql = sql::insert_clients(&Postgres, &rest[..n]);
        let st = c.prepare_cached(&sql.text).await.map_err(db_error)?;
        seqs.extend(query_rows(c, &st, &sql, |r| Ok(r.get::<_, i64>(0))).await?);
        rest = &rest[n..];
    }
    super::duplicates::insert_match_keys(c, &clients).await?;
    Ok(Some(run))
}

/// Names the advisory locks that number events, one per firm (the
/// two-integer lock space, apart from the migration lock's).
const NUMBERING_LOCKS: i32 = 0x0c11e;

/// Gives the firm's committed events that have no number yet the firm's next
/// numbers, in the order they were inserted.
///
/// Numbers are given out by one transaction at a time per firm, over every
/// node (the firm's advisory lock), each continuing from the firm's counter;
/// only committed events can be seen to be numbered, and a number is seen
/// only once its transaction commits. So a reader never sees a gap that
/// fills later: the guarantee a counter row locked by every write gave,
/// without making the firm's writes commit one at a time. An event of a
/// write that conflicted with an earlier one was inserted after that one
/// committed, so it is numbered after it.
pub async fn number_events(conn: &mut deadpool_postgres::Object, firm: FirmId) -> StoreResult<()> {
    if !has_unnumbered_events(conn, firm).await? {
        return Ok(());
    }
    let tx = conn.transaction().await.map_err(db_error)?;
    let lock = i32::from_be_bytes(firm.as_uuid().as_bytes()[12..].try_into().expect("4 bytes"));
    tx.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&NUMBERING_LOCKS, &lock]).await.map_err(db_error)?;
    // A statement of its own, so its snapshot includes every numbering that
    // committed before the lock was ours.
    let st = tx
        .prepare_cached(
            "WITH pending AS (
                 SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM events WHERE firm_id = $1 AND firm_seq IS NULL
             ), numbered AS (
                 UPDATE events e SET firm_seq = f.event_seq + p.n FROM pending p, firms f
                 WHERE e.seq = p.seq AND f.id = $1
                 RETURNING e.firm_seq
             )
             UPDATE firms SET event_seq = (SELECT max(firm_seq) FROM numbered)
             WHERE id = $1 AND EXISTS (SELECT 1 FROM numbered)",
        )
        .await
        .map_err(db_error)?;
    tx.execute(&st, &[&firm.as_uuid()]).await.map_err(db_error)?;
    tx.commit().await.map_err(db_error)
}

async fn has_unnumbered_events(c: &impl GenericClient, firm: FirmId) -> StoreResult<bool> {
    let st = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM events WHERE firm_id = $1 AND firm_seq IS NULL)")
        .await
        .map_err(db_error)?;
    Ok(c.query_one(&st, &[&firm.as_uuid()]).await.map_err(db_error)?.get(0))
}

async fn insert_firm(c: &impl GenericClient, firm: &Firm) -> StoreResult<()> {
    c.execute(
        "INSERT INTO firms (id, name, settings, created_at) VALUES ($1, $2, $3, $4)",
        &[&firm.id.as_uuid(), &firm.name, &json(&firm.settings), &firm.created_at.millis()],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

pub async fn get_firm(c: &impl GenericClient, id: FirmId) -> StoreResult<Option<Firm>> {
    let st = c.prepare_cached(&format!("SELECT {FIRM_COLUMNS} FROM firms f WHERE f.id = $1")).await.map_err(db_error)?;
    c.query_opt(&st, &[&id.as_uuid()]).await.map_err(db_error)?.map(|r| rows::firm(&r, 0)).transpose()
}

pub async fn list_firms(c: &impl GenericClient) -> StoreResult<Vec<Firm>> {
    let rows = c.query(&format!("SELECT {FIRM_COLUMNS} FROM firms f ORDER BY f.seq"), &[]).await.map_err(db_error)?;
    rows.iter().map(|r| rows::firm(r, 0)).collect()
}

async fn write_key(c: &impl GenericClient, k: &ApiKey) -> StoreResult<()> {
    let hash = k.secret_hash.0.to_vec();
    let expires = k.expires_at.map(Timestamp::millis);
    let user = k.user_id.map(|u| u.as_uuid());
    let rate = k.rate_limit_per_minute.and_then(|n| i32::try_from(n).ok());
    c.execute(
        "INSERT INTO api_keys (id, firm_id, name, prefix, secret_hash, scopes, created_at, expires_at, user_id, rate_limit_per_minute)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[&k.id.as_uuid(), &k.firm_id.as_uuid(), &k.name, &k.prefix, &hash, &k.scopes.to_list(), &k.created_at.millis(), &expires, &user, &rate],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

pub async fn find_key(c: &impl GenericClient, hash: &SecretHash) -> StoreResult<Option<(ApiKey, Firm)>> {
    let st = c
        .prepare_cached(&format!(
            "SELECT {KEY_COLUMNS}, {FIRM_COLUMNS} FROM api_keys k JOIN firms f ON f.id = k.firm_id WHERE k.secret_hash = $1"
        ))
        .await
        .map_err(db_error)?;
    let row = c.query_opt(&st, &[&hash.0.as_slice()]).await.map_err(db_error)?;
    row.map(|r| Ok((rows::key(&r)?, rows::firm(&r, rows::KEY_COLUMN_COUNT)?))).transpose()
}

pub async fn get_key(c: &impl GenericClient, firm: FirmId, id: KeyId) -> StoreResult<Option<ApiKey>> {
    let st = c
        .prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM api_keys k WHERE k.firm_id = $1 AND k.id = $2"))
        .await
        .map_err(db_error)?;
    c.query_opt(&st, &[&firm.as_uuid(), &id.as_uuid()]).await.map_err(db_error)?.map(|r| rows::key(&r)).transpose()
}

pub async fn list_keys(c: &impl GenericClient, firm: FirmId) -> StoreResult<Vec<ApiKey>> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys k WHERE k.firm_id = $1 ORDER BY k.created_at, k.id");
    let rows = c.query(&sql, &[&firm.as_uuid()]).await.map_err(db_error)?;
    rows.iter().map(rows::key).collect()
}

async fn revoke_key(c: &impl GenericClient, firm: FirmId, id: KeyId, at: Timestamp) -> StoreResult<()> {
    let changed = c
        .execute(
            "UPDATE api_keys SET revoked_at = $1 WHERE firm_id = $2 AND id = $3 AND revoked_at IS NULL",
            &[&at.millis(), &firm.as_uuid(), &id.as_uuid()],
        )
        .await
        .map_err(db_error)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

async fn touch_key(c: &impl GenericClient, id: KeyId, at: Timestamp) -> StoreResult<()> {
    let st = c.prepare_cached("UPDATE api_keys SET last_used_at = $1 WHERE id = $2").await.map_err(db_error)?;
    c.execute(&st, &[&at.millis(), &id.as_uuid()]).await.map_err(db_error)?;
    Ok(())
}

/// Runs an insert that returns the new row's `seq`.
async fn insert_returning_seq(c: &impl GenericClient, sql: &Sql<'_>) -> StoreResult<i64> {
    let st = c.prepare_cached(&sql.text).await.map_err(db_error)?;
    let params: Vec<Param> = sql.params.iter().map(|p| p as Param).collect();
    Ok(c.query_one(&st, &params).await.map_err(db_error)?.get(0))
}

/// Runs a compare-and-set update: `VersionMismatch` if no row was at the
/// expected version.
async fn update_at_version(c: &impl GenericClient, sql: &Sql<'_>) -> StoreResult<()> {
    let st = c.prepare_cached(&sql.text).await.map_err(db_error)?;
    let params: Vec<Param> = sql.params.iter().map(|p| p as Param).collect();
    if c.execute(&st, &params).await.map_err(db_error)? == 0 {
        return Err(StoreError::VersionMismatch);
    }
    Ok(())
}

pub async fn get_client(c: &impl GenericClient, firm: FirmId, id: ClientId) -> StoreResult<Option<Client>> {
    let st = c
        .prepare_cached(&format!("SELECT {CLIENT_COLUMNS} FROM clients c WHERE c.id = $1 AND c.firm_id = $2"))
        .await
        .map_err(db_error)?;
    c.query_opt(&st, &[&id.as_uuid(), &firm.as_uuid()]).await.map_err(db_error)?.map(|r| rows::client(&r)).transpose()
}

pub async fn deleted_clients(c: &impl GenericClient, firm: FirmId, before: Timestamp, limit: usize) -> StoreResult<Vec<Client>> {
    let sql = format!(
        "SELECT {CLIENT_COLUMNS} FROM clients c WHERE c.firm_id = $1 AND c.deleted_at IS NOT NULL AND c.deleted_at < $2 \
         ORDER BY c.deleted_at LIMIT $3"
    );
    let rows = c.query(&sql, &[&firm.as_uuid(), &before.millis(), &(limit as i64)]).await.map_err(db_error)?;
    rows.iter().map(rows::client).collect()
}

async fn purge_client(c: &impl GenericClient, firm: FirmId, id: ClientId, version: i64) -> StoreResult<()> {
    purge_children(c, firm, id.as_uuid()).await?;
    let gone = c
        .execute(
            "DELETE FROM clients WHERE firm_id = $1 AND id = $2 AND version = $3 AND deleted_at IS NOT NULL",
            &[&firm.as_uuid(), &id.as_uuid(), &version],
        )
        .await
        .map_err(db_error)?;
    if gone == 0 {
        return Err(StoreError::VersionMismatch);
    }
    Ok(())
}

/// Runs the statements of `store::erasure`. The firm's webhook cursors are
/// locked first, in the fan-out's order: a fan-out under way (it holds its
/// cursors from its first statement) commits before the erasure drops
/// deliveries, which then sees its deliveries; a later one waits, and then
/// finds its events redacted (`Write::RequireUnredacted`). The clients' rows
/// next: a writer linking a record to one of them holds it `FOR SHARE`, so
/// the erasure waits for it and then sees its record (`leftover`), and any
/// later one finds the client gone.
async fn erase_clients(c: &impl GenericClient, erasure: &Erasure) -> StoreResult<()> {
    c.execute("SELECT 1 FROM webhook_cursors WHERE firm_id = $1 ORDER BY webhook_id FOR UPDATE", &[&erasure.firm.as_uuid()])
        .await
        .map_err(db_error)?;
    let ids: Vec<uuid::Uuid> = erasure.clients.iter().map(|(id, _)| id.as_uuid()).collect();
    c.execute("SELECT 1 FROM clients WHERE firm_id = $1 AND id = ANY($2) FOR UPDATE", &[&erasure.firm.as_uuid(), &ids])
        .await
        .map_err(db_error)?;
    execute(c, &erasure::delete_records(&Postgres, erasure)).await?;
    for i in 0..erasure.clients.len() {
        if execute(c, &erasure::delete_client(&Postgres, erasure, i)).await? == 0 {
            return Err(StoreError::VersionMismatch);
        }
    }
    if !run_query(c, &erasure::leftover(&Postgres, erasure), |_| Ok(())).await?.is_empty() {
        return Err(StoreError::VersionMismatch);
    }
    for sql in erasure::redact_events(&Postgres, erasure).iter().chain(&erasure::drop_deliveries(&Postgres, erasure)) {
        execute(c, sql).await?;
    }
    if let Some(sql) = erasure::forget_responses(&Postgres, erasure) {
        execute(c, &sql).await?;
    }
    Ok(())
}

async fn execute(c: &impl GenericClient, sql: &Sql<'_>) -> StoreResult<u64> {
    let params: Vec<Param> = sql.params.iter().map(|p| p as Param).collect();
    c.execute(sql.text.as_str(), &params).await.map_err(db_error)
}

async fn run_query<T>(c: &impl GenericClient, sql: &Sql<'_>, map: impl Fn(&tokio_postgres::Row) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    let st = c.prepare_cached(&sql.text).await.map_err(db_error)?;
    query_rows(c, &st, sql, map).await
}

/// Runs a client list or count. One with a search gets a statement of its
/// own, which PostgreSQL plans for its parameters, where a cached statement
/// soon gets a generic plan: a rare term is best found through the trigram
/// index and a common one by walking the sort order, and the generic plan,
/// blind to the term, walks the sort order for every term (a rare one at
/// 100k clients: 65 ms, against 1 ms through the index; bench/README.md).
async fn run_client_query<T>(
    c: &impl GenericClient,
    sql: &Sql<'_>,
    filter: &ClientFilter,
    map: impl Fn(&tokio_postgres::Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let st = match filter.search {
        Some(_) => c.prepare(&sql.text).await,
        None => c.prepare_cached(&sql.text).await,
    }
    .map_err(db_error)?;
    query_rows(c, &st, sql, map).await
}

async fn query_rows<T>(
    c: &impl GenericClient,
    st: &tokio_postgres::Statement,
    sql: &Sql<'_>,
    map: impl Fn(&tokio_postgres::Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let params: Vec<Param> = sql.params.iter().map(|p| p as Param).collect();
    let rows = c.query(st, &params).await.map_err(db_error)?;
    rows.iter().map(map).collect()
}

pub async fn list_clients(c: &impl GenericClient, firm: FirmId, query: &ClientQuery) -> StoreResult<Vec<Client>> {
    run_client_query(c, &sql::list_clients(&Postgres, firm, query), &query.filter, rows::client).await
}

pub async fn count_clients(c: &impl GenericClient, firm: FirmId, filter: &ClientFilter, at_most: Option<u64>) -> StoreResult<u64> {
    let counts = run_client_query(c, &sql::count_clients(&Postgres, firm, filter, at_most), filter, |r| Ok(r.get::<_, i64>(0))).await?;
    Ok(counts.first().copied().unwrap_or(0) as u64)
}

/// Runs a transaction's writes in order, checks the references they made
/// against what the transaction leaves, then inserts its events, in the order
/// [`crate::store::Store::apply`] gives and explains.
pub async fn apply(c: &impl GenericClient, writes: &[Write]) -> StoreResult<Vec<i64>> {
    if super::delivery_batches::only_outcomes(writes) {
        super::delivery_batches::commit_lazily(c).await?;
    }
    let mut seqs = Vec::new();
    let mut rest = writes;
    while let Some(write) = rest.first() {
        if let Some(n) = super::delivery_batches::apply_run(c, rest).await? {
            rest = &rest[n..];
            continue;
        }
        if let Some(n) = insert_client_run(c, rest, &mut seqs).await? {
            rest = &rest[n..];
            continue;
        }
        rest = &rest[1..];
        match write {
            Write::InsertClient { client, .. } => {
                seqs.push(insert_returning_seq(c, &sql::insert_client(&Postgres, client)).await?);
                super::duplicates::write_match_keys(c, client, false).await?
            }
            Write::UpdateClient { client, expected_version, .. } => {
                update_at_version(c, &sql::update_client(&Postgres, client, *expected_version)).await?;
                super::duplicates::write_match_keys(c, client, true).await?
            }
            Write::InsertRecord { record, .. } => seqs.push(insert_returning_seq(c, &sql::insert_record(&Postgres, record)).await?),
            Write::UpdateRecord { record, expected_version, .. } => {
                update_at_version(c, &sql::update_record(&Postgres, record, *expected_version)).await?
            }
            Write::PurgeRecord { firm, id, version } => purge_record(c, *firm, *id, *version).await?,
            Write::PurgeClient { firm, id, version } => purge_client(c, *firm, *id, *version).await?,
            Write::EraseClients(erasure) => erase_clients(c, erasure).await?,
            Write::RequireUnredacted { firm, seqs } => {
                if !run_query(c, &erasure::redacted_among(&Postgres, *firm, seqs), |_| Ok(())).await?.is_empty() {
                    return Err(StoreError::VersionMismatch);
                }
            }
            Write::InsertFirm(firm) => insert_firm(c, firm).await?,
            Write::UpdateFirmSettings { firm, settings } => update_firm_settings(c, *firm, settings).await?,
            Write::RequireLive { firm, reference } => {
                Link { reference: *reference, kept: false }.verdict(find_target(c, *firm, reference).await?)?
            }
            Write::RequireNoLiveMatters { firm, client } => require_no_live_matters(c, *firm, *client).await?,
            Write::RequireNoDependants { firm, client } => require_none(c, DEPENDANTS, *firm, *client).await?,
            Write::InsertKey(key) => write_key(c, key).await?,
            Write::RevokeKey { firm, id, at } => revoke_key(c, *firm, *id, *at).await?,
            Write::RevokeUserKeys { firm, user, at } => revoke_user_keys(c, *firm, *user, *at).await?,
            Write::TouchKey { id, at } => touch_key(c, *id, *at).await?,
            Write::ClaimIdempotencyKey { scope, key, request_hash, at } => claim_idempotency_key(c, scope, key, request_hash, *at).await?,
            Write::KeepIdempotentResponse { scope, key, request_hash, at, response } => {
                keep_idempotent_response(c, scope, key, request_hash, *at, response).await?
            }
            Write::SignIn(write) => super::sign_in::apply(c, write).await?,
            Write::Event(_) => {}
            webhook => {
                super::webhooks::apply(c, webhook).await?;
            }
        }
    }
    for (firm, links) in writes.iter().filter_map(Write::links) {
        for link in links {
            link.verdict(find_target(c, firm, &link.reference).await?)?;
        }
    }
    let events: Vec<&Event> = writes
        .iter()
        .filter_map(|w| match w {
            Write::Event(event) => Some(event),
            _ => None,
        })
        .collect();
    insert_events(c, &events).await?;
    Ok(seqs)
}

/// Erases the records whose parent is `parent`, and theirs (notes on a matter).
async fn purge_children(c: &impl GenericClient, firm: FirmId, parent: uuid::Uuid) -> StoreResult<()> {
    c.execute(
        "DELETE FROM records WHERE firm_id = $1 AND parent_id IN (SELECT id FROM records WHERE firm_id = $1 AND parent_id = $2)",
        &[&firm.as_uuid(), &parent],
    )
    .await
    .map_err(db_error)?;
    c.execute("DELETE FROM records WHERE firm_id = $1 AND parent_id = $2", &[&firm.as_uuid(), &parent])
        .await
        .map_err(db_error)?;
    Ok(())
}

async fn purge_record(c: &impl GenericClient, firm: FirmId, id: uuid::Uuid, version: i64) -> StoreResult<()> {
    purge_children(c, firm, id).await?;
    let gone = c
        .execute("DELETE FROM records WHERE firm_id = $1 AND id = $2 AND version = $3", &[&firm.as_uuid(), &id, &version])
        .await
        .map_err(db_error)?;
    if gone == 0 {
        return Err(StoreError::VersionMismatch);
    }
    Ok(())
}

/// What `reference` names, in whatever firm. FOR SHARE holds off a
/// concurrent delete (an UPDATE of the row) until we commit, and re-checks
/// the row if such a delete committed first.
async fn find_target(c: &impl GenericClient, firm: FirmId, reference: &Reference) -> StoreResult<Option<Found>> {
    let sql = match reference.target {
        Target::Client | Target::Company => "SELECT firm_id = $1, kind, deleted_at IS NULL FROM clients WHERE id = $2 FOR SHARE",
        Target::Record(_) => "SELECT firm_id = $1, kind, deleted_at IS NULL FROM records WHERE id = $2 FOR SHARE",
    };
    let st = c.prepare_cached(sql).await.map_err(db_error)?;
    let row = c.query_opt(&st, &[&firm.as_uuid(), &reference.id]).await.map_err(db_error)?;
    Ok(row.map(|r| Found { same_firm: r.get(0), kind: r.get(1), live: r.get(2) }))
}

async fn require_no_live_matters(c: &impl GenericClient, firm: FirmId, client: ClientId) -> StoreResult<()> {
    require_none(c, "SELECT 1 FROM records WHERE firm_id = $1 AND parent_id = $2 AND kind = 'matter' AND deleted_at IS NULL LIMIT 1", firm, client)
        .await
}

/// A live record whose parent is the client, or a live person of that company.
const DEPENDANTS: &str = "SELECT 1 FROM records WHERE firm_id = $1 AND parent_id = $2 AND deleted_at IS NULL \
    UNION ALL SELECT 1 FROM clients WHERE firm_id = $1 AND company_id = $2 AND deleted_at IS NULL LIMIT 1";

/// `VersionMismatch` if `sql` (over the firm and the client) finds a row.
async fn require_none(c: &impl GenericClient, sql: &str, firm: FirmId, client: ClientId) -> StoreResult<()> {
    // Runs after the client's own UPDATE, which waited for any writer holding
    // the client FOR SHARE; this statement's snapshot then sees what it wrote.
    let open = c.query_opt(sql, &[&firm.as_uuid(), &client.as_uuid()]).await.map_err(db_error)?;
    match open {
        Some(_) => Err(StoreError::VersionMismatch),
        None => Ok(()),
    }
}

async fn revoke_user_keys(c: &impl GenericClient, firm: FirmId, user: UserId, at: Timestamp) -> StoreResult<()> {
    c.execute(
        "UPDATE api_keys SET revoked_at = $1 WHERE firm_id = $2 AND user_id = $3 AND revoked_at IS NULL",
        &[&at.millis(), &firm.as_uuid(), &user.as_uuid()],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

pub async fn get_record(c: &impl GenericClient, firm: FirmId, kind: RecordKind, id: uuid::Uuid) -> StoreResult<Option<Record>> {
    let sql = format!("SELECT {RECORD_COLUMNS} FROM records r WHERE r.id = $1 AND r.firm_id = $2 AND r.kind = $3");
    let st = c.prepare_cached(&sql).await.map_err(db_error)?;
    let row = c.query_opt(&st, &[&id, &firm.as_uuid(), &kind.as_str()]).await.map_err(db_error)?;
    row.map(|r| rows::record(&r)).transpose()
}

pub async fn find_record(c: &impl GenericClient, kind: RecordKind, unique_key: &str) -> StoreResult<Option<Record>> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM records r WHERE r.kind = $1 AND r.unique_key = $2 AND r.deleted_at IS NULL"
    );
    let st = c.prepare_cached(&sql).await.map_err(db_error)?;
    let row = c.query_opt(&st, &[&kind.as_str(), &unique_key]).await.map_err(db_error)?;
    row.map(|r| rows::record(&r)).transpose()
}

pub async fn list_records(c: &impl GenericClient, firm: FirmId, kind: RecordKind, query: &RecordQuery) -> StoreResult<Vec<Record>> {
    run_query(c, &sql::list_records(&Postgres, firm, kind, query), rows::record).await
}

pub async fn count_records(c: &impl GenericClient, firm: FirmId, kind: RecordKind, filter: &RecordFilter, at_most: Option<u64>) -> StoreResult<u64> {
    let counts = run_query(c, &sql::count_records(&Postgres, firm, kind, filter, at_most), |r| Ok(r.get::<_, i64>(0))).await?;
    Ok(counts.first().copied().unwrap_or(0) as u64)
}

pub async fn deleted_records(c: &impl GenericClient, firm: FirmId, before: Timestamp, limit: usize) -> StoreResult<Vec<Record>> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM records r WHERE r.firm_id = $1 AND r.deleted_at IS NOT NULL AND r.deleted_at < $2 \
         ORDER BY r.deleted_at LIMIT $3"
    );
    let rows = c.query(&sql, &[&firm.as_uuid(), &before.millis(), &(limit as i64)]).await.map_err(db_error)?;
    rows.iter().map(rows::record).collect()
}

pub async fn idempotency_record(c: &impl GenericClient, scope: [u8; 32], key: &str) -> StoreResult<Option<IdempotencyRecord>> {
    let st = c
        .prepare_cached("SELECT request_hash, status, headers, body, created_at FROM idempotency_keys WHERE scope = $1 AND key = $2")
        .await
        .map_err(db_error)?;
    let Some(row) = c.query_opt(&st, &[&scope.as_slice(), &key]).await.map_err(db_error)? else { return Ok(None) };
    let stored_hash: Vec<u8> = row.get(0);
    let status: Option<i32> = row.get(1);
    let headers: Option<Value> = row.get(2);
    let body: Option<Vec<u8>> = row.get(3);
    let created_at: i64 = row.get(4);
    let request_hash: [u8; 32] = stored_hash.try_into().map_err(|_| StoreError::Internal("stored request hash is not 32 bytes".into()))?;
    let response = match status {
        Some(status) => {
            let headers = headers.map(serde_json::from_value).transpose().map_err(|e| StoreError::Internal(e.to_string()))?;
            let status = u16::try_from(status).map_err(|_| StoreError::Internal("stored status out of range".into()))?;
            Some(StoredResponse { status, headers: headers.unwrap_or_default(), body: body.unwrap_or_default() })
        }
        None => None,
    };
    Ok(Some(IdempotencyRecord { request_hash, created_at: Timestamp::from_millis(created_at), response }))
}

async fn claim_idempotency_key(c: &impl GenericClient, scope: &[u8; 32], key: &str, hash: &[u8; 32], at: Timestamp) -> StoreResult<()> {
    let st = c
        .prepare_cached("INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ($1, $2, $3, $4)")
        .await
        .map_err(db_error)?;
    c.execute(&st, &[&scope.as_slice(), &key, &hash.as_slice(), &at.millis()]).await.map_err(db_error)?;
    Ok(())
}

async fn keep_idempotent_response(
    c: &impl GenericClient,
    scope: &[u8; 32],
    key: &str,
    hash: &[u8; 32],
    at: Timestamp,
    response: &StoredResponse,
) -> StoreResult<()> {
    let st = c
        .prepare_cached(
            "INSERT INTO idempotency_keys (scope, key, request_hash, created_at, status, headers, body) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (scope, key) DO UPDATE SET status = excluded.status, headers = excluded.headers, body = excluded.body
             WHERE idempotency_keys.status IS NULL AND idempotency_keys.request_hash = excluded.request_hash",
        )
        .await
        .map_err(db_error)?;
    let status = i32::from(response.status);
    let params: [Param; 7] = [&scope.as_slice(), &key, &hash.as_slice(), &at.millis(), &status, &json(&response.headers), &response.body];
    c.execute(&st, &params).await.map_err(db_error)?;
    Ok(())
}

pub async fn purge_idempotency_keys(c: &impl GenericClient, before: Timestamp) -> StoreResult<u64> {
    c.execute("DELETE FROM idempotency_keys WHERE created_at < $1", &[&before.millis()]).await.map_err(db_error)
}

async fn update_firm_settings(c: &impl GenericClient, id: FirmId, settings: &crate::domain::firm::FirmSettings) -> StoreResult<()> {
    c.execute("UPDATE firms SET settings = $1 WHERE id = $2", &[&json(settings), &id.as_uuid()]).await.map_err(db_error)?;
    Ok(())
}
