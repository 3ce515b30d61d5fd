//! The SQLite store's statements.

use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use super::internal;
use super::prepared::{Prepared, Ready};
use super::search::{self, FirstPage, HitCounts, Search};
use super::rows::{self, to_json, FIRM_COLUMNS, KEY_COLUMNS};
use crate::domain::api_key::{ApiKey, SecretHash};
use crate::domain::client::query::{ClientFilter, ClientQuery, SearchTerm};
use crate::domain::client::Client;
use crate::domain::event::Event;
use crate::domain::firm::{Firm, FirmSettings};
use crate::domain::ids::{ClientId, FirmId, KeyId, UserId};
use crate::domain::record::{Record, RecordFilter, RecordKind, RecordQuery, Reference, Target};
use crate::domain::time::Timestamp;
use crate::store::sql::{self, like_pattern, Sql, SqlDialect, SqlList, SqlValue, CLIENT_COLUMNS, RECORD_COLUMNS};
use crate::store::erasure;
use crate::store::{Erasure, Found, IdempotencyRecord, Link, StoreError, StoreResult, StoredResponse, Unique, Write};

/// The dialect writes are built in (they search nothing).
pub(super) const WRITES: Sqlite = Sqlite { search: Search::EachRow };

/// SQLite's SQL, with the plan chosen for this query's search (`q`).
pub(super) struct Sqlite {
    search: Search,
}

impl SqlDialect for Sqlite {
    fn placeholder(&self, n: usize) -> String {
        format!("?{n}")
    }

    fn bytes_contain(&self, sql: &mut Sql, column: &str, text: &str) {
        sql.push(&format!("instr({column}, CAST(")).bind(SqlValue::Text(text.to_string())).push(" AS BLOB)) > 0");
    }

    fn has_tags(&self, sql: &mut Sql, tags: &[String]) {
        sql.push("NOT EXISTS (SELECT 1 FROM json_each(").bind(SqlValue::List(SqlList::Text(tags.to_vec())));
        sql.push(") AS wanted WHERE NOT EXISTS (SELECT 1 FROM json_each(c.tags) AS has WHERE has.value = wanted.value))");
    }

    fn any_of(&self, sql: &mut Sql, column: &str, values: SqlList) {
        // Ids are blobs here; the list carries them as hex.
        let value = if matches!(values, SqlList::Id(_)) { "unhex(value)" } else { "value" };
        sql.push(&format!("{column} IN (SELECT {value} FROM json_each("));
        sql.bind(SqlValue::List(values)).push("))");
    }

    fn contains(&self, sql: &mut Sql, term: &SearchTerm) {
        if matches!(self.search, Search::InIndex) {
            sql.push("clients_fts MATCH ").bind(SqlValue::Text(search::fts_phrase(term.as_str())));
        } else {
            // The search text and the term are both case-folded, so LIKE's
            // ASCII case-insensitivity finds exactly what the index finds.
            sql.push("c.search_text LIKE ").bind(SqlValue::Text(like_pattern(term.as_str()))).push(" ESCAPE '\\'");
        }
    }

    fn custom_field_equals(&self, sql: &mut Sql, key: &str, value: &serde_json::Value) {
        // `->` yields the value's minified JSON text, as serde_json writes it.
        sql.push("(c.custom_fields -> ").bind(SqlValue::Text(format!("$.\"{key}\""))).push(") = ");
        sql.bind(SqlValue::Text(value.to_string()));
    }

    fn doc_field(&self, field: &str) -> String {
        format!("json_extract(r.doc, '$.{field}')")
    }

    fn json_literal(&self, json: &str) -> String {
        format!("'{}'", json.replace('\'', "''"))
    }

    fn avoids_statement_journals(&self) -> bool {
        true
    }

    fn sorts_keys_first(&self) -> bool {
        // Up to 2,000 hits are sorted; the rest walk an index in order.
        matches!(self.search, Search::Hits { .. })
    }

    fn clients_source(&self, sql: &mut Sql, filter: &ClientFilter) -> bool {
        match &self.search {
            Search::Hits { seqs, exact } => {
                // CROSS JOIN makes SQLite loop over the hits first.
                sql.push(" FROM json_each(").bind(SqlValue::Text(seqs.clone()));
                sql.push(") AS m CROSS JOIN clients c ON c.seq = m.value");
                // Candidates still need the term tested (`contains`).
                *exact
            }
            Search::InIndex => {
                // CROSS JOIN makes SQLite loop over the index's hits first. A
                // term alone needs only `firm_id` of each live hit, which
                // `clients_live_seq` holds in a twentieth of the table's
                // pages (migration 15); SQLite would pick the table.
                let rows = if filter.is_search_alone() { "clients c INDEXED BY clients_live_seq" } else { "clients c" };
                sql.push(&format!(" FROM clients_fts CROSS JOIN {rows} ON c.seq = clients_fts.rowid"));
                false
            }
            Search::EachRow => {
                sql.push(" FROM clients c");
                false
            }
        }
    }
}

/// A unique violation as the index it broke, like PostgreSQL's constraint
/// name. SQLite's error names the index's columns, not the index
/// ("UNIQUE constraint failed: clients.firm_id, clients.email_key"), so the
/// unique index of that table with those columns is looked up in the schema.
fn duplicate_or_internal(conn: &Connection, e: rusqlite::Error) -> StoreError {
    if e.sqlite_error_code() != Some(rusqlite::ErrorCode::ConstraintViolation) {
        return internal(e);
    }
    let index = violated_index(conn, &e.to_string()).unwrap_or_default();
    StoreError::Duplicate(Unique::of_index(&index))
}

fn violated_index(conn: &Connection, message: &str) -> Option<String> {
    let columns = message.split_once("constraint failed: ")?.1;
    let table = columns.split_once('.')?.0;
    let names: Option<Vec<&str>> = columns.split(", ").map(|c| c.split_once('.').map(|(_, name)| name)).collect();
    let sql = "SELECT il.name FROM pragma_index_list(?1) AS il WHERE il.\"unique\" = 1 AND \
               (SELECT group_concat(ii.name, ', ') FROM (SELECT name FROM pragma_index_info(il.name) ORDER BY seqno) AS ii) = ?2";
    conn.query_row(sql, params![table, names?.join(", ")], |r| r.get(0)).ok()
}

/// Appends an event with the firm's next event number; `before` and `after`
/// are its documents as JSON.
fn insert_event(conn: &Connection, e: &Event, before: Option<&str>, after: Option<&str>) -> StoreResult<()> {
    // Not `UPDATE … RETURNING`, which needs a statement journal (see
    // `index_for_search`); the one writer makes the two statements atomic.
    conn.prepare_cached("UPDATE firms SET event_seq = event_seq + 1 WHERE id = ?1")
        .and_then(|mut st| st.execute([e.firm_id.as_bytes()]))
        .map_err(internal)?;
    let firm_seq: i64 = conn
        .prepare_cached("SELECT event_seq FROM firms WHERE id = ?1")
        .and_then(|mut st| st.query_row([e.firm_id.as_bytes()], |r| r.get(0)))
        .map_err(internal)?;
    conn.prepare_cached(
        "INSERT INTO events (id, firm_id, firm_seq, kind, resource_type, resource_id, actor_key_id, actor_user_id, request_id, before, after, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .and_then(|mut st| {
        st.execute(params![
            e.id.as_bytes(),
            e.firm_id.as_bytes(),
            firm_seq,
            e.kind,
            e.resource_type,
            e.resource_id,
            e.actor_key_id.as_ref().map(|k| k.as_bytes()),
            e.actor_user_id.as_ref().map(|u| u.as_bytes()),
            e.request_id,
            before,
            after,
            e.created_at.millis(),
        ])
    })
    .map_err(internal)?;
    Ok(())
}

fn insert_firm(conn: &Connection, firm: &Firm) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO firms (id, name, settings, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![firm.id.as_bytes(), firm.name, to_json(&firm.settings), firm.created_at.millis()],
    )
    .map_err(internal)?;
    Ok(())
}

fn update_firm_settings(conn: &Connection, id: FirmId, settings: &FirmSettings) -> StoreResult<()> {
    conn.execute("UPDATE firms SET settings = ?1 WHERE id = ?2", params![to_json(settings), id.as_bytes()]).map_err(internal)?;
    Ok(())
}

pub fn get_firm(conn: &Connection, id: FirmId) -> StoreResult<Option<Firm>> {
    conn.prepare_cached(&format!("SELECT {FIRM_COLUMNS} FROM firms f WHERE f.id = ?1"))
        .and_then(|mut st| st.query_row([id.as_bytes()], |r| rows::firm(r, 0)).optional())
        .map_err(internal)
}

pub fn list_firms(conn: &Connection) -> StoreResult<Vec<Firm>> {
    let mut st = conn.prepare(&format!("SELECT {FIRM_COLUMNS} FROM firms f ORDER BY f.seq")).map_err(internal)?;
    let firms = st.query_map([], |r| rows::firm(r, 0)).map_err(internal)?;
    firms.collect::<Result<_, _>>().map_err(internal)
}

fn write_key(conn: &Connection, k: &ApiKey) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO api_keys (id, firm_id, name, prefix, secret_hash, scopes, created_at, expires_at, user_id, rate_limit_per_minute)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            k.id.as_bytes(),
            k.firm_id.as_bytes(),
            k.name,
            k.prefix,
            k.secret_hash.0.as_slice(),
            k.scopes.to_list(),
            k.created_at.millis(),
            k.expires_at.map(Timestamp::millis),
            k.user_id.as_ref().map(|u| u.as_bytes()),
            k.rate_limit_per_minute,
        ],
    )
    .map_err(|e| duplicate_or_internal(conn, e))?;
    Ok(())
}

pub fn find_key(conn: &Connection, hash: &SecretHash) -> StoreResult<Option<(ApiKey, Firm)>> {
    let sql = format!(
        "SELECT {KEY_COLUMNS}, {FIRM_COLUMNS} FROM api_keys k JOIN firms f ON f.id = k.firm_id WHERE k.secret_hash = ?1"
    );
    conn.prepare_cached(&sql)
        .and_then(|mut st| {
            st.query_row([hash.0.as_slice()], |r| Ok((rows::key(r)?, rows::firm(r, rows::KEY_COLUMN_COUNT)?))).optional()
        })
        .map_err(internal)
}

pub fn get_key(conn: &Connection, firm: FirmId, id: KeyId) -> StoreResult<Option<ApiKey>> {
    conn.prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM api_keys k WHERE k.firm_id = ?1 AND k.id = ?2"))
        .and_then(|mut st| st.query_row([firm.as_bytes(), id.as_bytes()], rows::key).optional())
        .map_err(internal)
}

pub fn list_keys(conn: &Connection, firm: FirmId) -> StoreResult<Vec<ApiKey>> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys k WHERE k.firm_id = ?1 ORDER BY k.created_at, k.id");
    let mut st = conn.prepare_cached(&sql).map_err(internal)?;
    let keys = st.query_map([firm.as_bytes()], rows::key).map_err(internal)?;
    keys.collect::<Result<_, _>>().map_err(internal)
}

fn revoke_key(conn: &Connection, firm: FirmId, id: KeyId, at: Timestamp) -> StoreResult<()> {
    let changed = conn
        .execute(
            "UPDATE api_keys SET revoked_at = ?1 WHERE firm_id = ?2 AND id = ?3 AND revoked_at IS NULL",
            params![at.millis(), firm.as_bytes(), id.as_bytes()],
        )
        .map_err(internal)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

fn touch_key(conn: &Connection, id: KeyId, at: Timestamp) -> StoreResult<()> {
    conn.prepare_cached("UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2")
        .and_then(|mut st| st.execute(params![at.millis(), id.as_bytes()]))
        .map_err(internal)?;
    Ok(())
}

/// Runs a one-row insert and returns the new row's `seq` (its rowid).
fn insert_returning_seq(conn: &Connection, sql: &Sql<'_>) -> StoreResult<i64> {
    conn.prepare_cached(&sql.text)
        .and_then(|mut st| st.execute(params_from_iter(sql.params.iter())))
        .map_err(|e| duplicate_or_internal(conn, e))?;
    Ok(conn.last_insert_rowid())
}

/// Inserts a new client with its search entry and match keys, from what
/// was prepared for it; returns its `seq`.
fn insert_client(conn: &Connection, client: &Client, ready: Option<&Ready>) -> StoreResult<i64> {
    let Some(Ready::NewClient { insert, search_text, match_keys }) = ready else {
        return Err(StoreError::Internal(format!("client {} reached the writer unprepared", client.id)));
    };
    insert.run(conn).map_err(|e| duplicate_or_internal(conn, e))?;
    let seq = conn.last_insert_rowid();
    index_for_search(conn, seq, search_text)?;
    for key in match_keys {
        key.run(conn).map_err(internal)?;
    }
    search::note_if_late(conn, seq, client.created_at.millis())?;
    Ok(seq)
}

/// Adds a new client to the search index. Not a trigger: a statement
/// with a trigger needs a statement journal, and FTS5 flushes its pending
/// entries at each one (migration 12). Updates and deletes keep theirs.
fn index_for_search(conn: &Connection, seq: i64, search_text: &str) -> StoreResult<()> {
    conn.prepare_cached("INSERT INTO clients_fts (rowid, search_text) VALUES (?1, ?2)")
        .and_then(|mut st| st.execute(params![seq, search_text]))
        .map_err(internal)?;
    Ok(())
}

/// Runs a compare-and-set update: `VersionMismatch` if no row was at the
/// expected version.
fn update_at_version(conn: &Connection, sql: &Sql<'_>) -> StoreResult<()> {
    let changed = conn
        .prepare_cached(&sql.text)
        .and_then(|mut st| st.execute(params_from_iter(sql.params.iter())))
        .map_err(|e| duplicate_or_internal(conn, e))?;
    if changed == 0 {
        return Err(StoreError::VersionMismatch);
    }
    Ok(())
}

pub fn get_client(conn: &Connection, firm: FirmId, id: ClientId) -> StoreResult<Option<Client>> {
    conn.prepare_cached(&format!("SELECT {CLIENT_COLUMNS} FROM clients c WHERE c.id = ?1 AND c.firm_id = ?2"))
        .and_then(|mut st| st.query_row([id.as_bytes(), firm.as_bytes()], rows::client).optional())
        .map_err(internal)
}

pub fn deleted_clients(conn: &Connection, firm: FirmId, before: Timestamp, limit: usize) -> StoreResult<Vec<Client>> {
    let sql = format!(
        "SELECT {CLIENT_COLUMNS} FROM clients c WHERE c.firm_id = ?1 AND c.deleted_at IS NOT NULL AND c.deleted_at < ?2 \
         ORDER BY c.deleted_at LIMIT ?3"
    );
    let mut st = conn.prepare_cached(&sql).map_err(internal)?;
    let rows = st.query_map(params![firm.as_bytes(), before.millis(), limit as i64], rows::client).map_err(internal)?;
    rows.collect::<Result<_, _>>().map_err(internal)
}

fn purge_client(conn: &Connection, firm: FirmId, id: ClientId, version: i64) -> StoreResult<()> {
    purge_children(conn, firm, id.as_uuid())?;
    let gone = conn
        .execute(
            "DELETE FROM clients WHERE firm_id = ?1 AND id = ?2 AND version = ?3 AND deleted_at IS NOT NULL",
            params![firm.as_bytes(), id.as_bytes(), version],
        )
        .map_err(internal)?;
    if gone == 0 {
        return Err(StoreError::VersionMismatch);
    }
    Ok(())
}

/// Runs the statements of `store::erasure`; the one writer makes them and
/// the service's reading of what to erase a consistent whole, but for what
/// was linked in between (`leftover`). The pages they free are zeroed
/// (`secure_delete`, set on every connection).
fn erase_clients(conn: &Connection, erasure: &Erasure) -> StoreResult<()> {
    execute(conn, &erasure::delete_records(&WRITES, erasure))?;
    for i in 0..erasure.clients.len() {
        if execute(conn, &erasure::delete_client(&WRITES, erasure, i))? == 0 {
            return Err(StoreError::VersionMismatch);
        }
    }
    if !run_query(conn, &erasure::leftover(&WRITES, erasure), |_| Ok(()))?.is_empty() {
        return Err(StoreError::VersionMismatch);
    }
    for sql in erasure::redact_events(&WRITES, erasure).iter().chain(&erasure::drop_deliveries(&WRITES, erasure)) {
        execute(conn, sql)?;
    }
    if let Some(sql) = erasure::forget_responses(&WRITES, erasure) {
        execute(conn, &sql)?;
    }
    Ok(())
}

fn execute(conn: &Connection, sql: &Sql<'_>) -> StoreResult<usize> {
    conn.execute(&sql.text, rusqlite::params_from_iter(sql.params.iter())).map_err(internal)
}

fn run_query<T>(
    conn: &Connection,
    sql: &Sql<'_>,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> StoreResult<Vec<T>> {
    let mut st = conn.prepare_cached(&sql.text).map_err(internal)?;
    let rows = st.query_map(params_from_iter(sql.params.iter()), map).map_err(internal)?;
    rows.collect::<Result<_, _>>().map_err(internal)
}

pub fn list_clients(conn: &Connection, firm: FirmId, query: &ClientQuery, counts: &HitCounts) -> StoreResult<Vec<Client>> {
    let page_of = |search| run_query(conn, &sql::list_clients(&Sqlite { search }, firm, query), rows::client);
    if !search::walks_newest_first(query) {
        return page_of(search::plan(conn, &query.filter, false, counts)?);
    }
    let (hits, exact) = match search::plan_first_page(conn, &query.filter, counts)? {
        FirstPage::Plan(search) => return page_of(search),
        FirstPage::Walk { query, exact } => (query, exact),
    };
    match search::newest_first(conn, query, (&hits, exact), page_of)? {
        Some(page) => Ok(page),
        None => page_of(search::plan(conn, &query.filter, false, counts)?),
    }
}

pub fn count_clients(conn: &Connection, firm: FirmId, filter: &ClientFilter, at_most: Option<u64>, counts: &HitCounts) -> StoreResult<u64> {
    let dialect = Sqlite { search: search::plan(conn, filter, true, counts)? };
    let counts = run_query(conn, &sql::count_clients(&dialect, firm, filter, at_most), |r| r.get::<_, i64>(0))?;
    Ok(counts.first().copied().unwrap_or(0) as u64)
}

/// Runs a transaction's writes in order, checks the references they made
/// against what the transaction leaves, then inserts its events, in the order
/// [`crate::store::Store::apply`] gives (the caller's savepoint makes it all
/// or nothing).
pub fn apply(conn: &Connection, prepared: &Prepared) -> StoreResult<Vec<i64>> {
    let mut seqs = Vec::new();
    for (write, ready) in prepared.writes() {
        match write {
            Write::InsertClient { client, .. } => seqs.push(insert_client(conn, client, ready)?),
            Write::UpdateClient { client, expected_version, .. } => {
                update_at_version(conn, &sql::update_client(&WRITES, client, *expected_version))?;
                super::duplicates::write_match_keys(conn, client, true)?
            }
            Write::InsertRecord { record, .. } => seqs.push(insert_returning_seq(conn, &sql::insert_record(&WRITES, record))?),
            Write::UpdateRecord { record, expected_version, .. } => {
                update_at_version(conn, &sql::update_record(&WRITES, record, *expected_version))?
            }
            Write::PurgeRecord { firm, id, version } => purge_record(conn, *firm, *id, *version)?,
            Write::PurgeClient { firm, id, version } => purge_client(conn, *firm, *id, *version)?,
            Write::EraseClients(erasure) => erase_clients(conn, erasure)?,
            Write::RequireUnredacted { firm, seqs } => {
                if !run_query(conn, &erasure::redacted_among(&WRITES, *firm, seqs), |_| Ok(()))?.is_empty() {
                    return Err(StoreError::VersionMismatch);
                }
            }
            Write::InsertFirm(firm) => insert_firm(conn, firm)?,
            Write::UpdateFirmSettings { firm, settings } => update_firm_settings(conn, *firm, settings)?,
            Write::RequireLive { firm, reference } => {
                Link { reference: *reference, kept: false }.verdict(find_target(conn, *firm, reference)?)?
            }
            Write::RequireNoLiveMatters { firm, client } => require_none(conn, LIVE_MATTERS, *firm, *client)?,
            Write::RequireNoDependants { firm, client } => require_none(conn, DEPENDANTS, *firm, *client)?,
            Write::InsertKey(key) => write_key(conn, key)?,
            Write::RevokeKey { firm, id, at } => revoke_key(conn, *firm, *id, *at)?,
            Write::RevokeUserKeys { firm, user, at } => revoke_user_keys(conn, *firm, *user, *at)?,
            Write::TouchKey { id, at } => touch_key(conn, *id, *at)?,
            Write::ClaimIdempotencyKey { scope, key, request_hash, at } => claim_idempotency_key(conn, scope, key, request_hash, *at)?,
            Write::KeepIdempotentResponse { scope, key, request_hash, at, response } => {
                keep_idempotent_response(conn, scope, key, request_hash, *at, response)?
            }
            Write::SignIn(write) => super::sign_in::apply(conn, write)?,
            Write::Event(_) => {}
            webhook => {
                super::webhooks::apply(conn, webhook)?;
            }
        }
    }
    for (firm, links) in prepared.writes().filter_map(|(write, _)| write.links()) {
        for link in links {
            link.verdict(find_target(conn, firm, &link.reference)?)?;
        }
    }
    for (write, ready) in prepared.writes() {
        if let Write::Event(event) = write {
            let Some(Ready::Event { before, after }) = ready else {
                return Err(StoreError::Internal(format!("event {} reached the writer unprepared", event.id)));
            };
            insert_event(conn, event, before.as_deref(), after.as_deref())?;
        }
    }
    Ok(seqs)
}

/// What `reference` names, in whatever firm. The single writer makes this
/// check and the rest of the transaction atomic.
fn find_target(conn: &Connection, firm: FirmId, reference: &Reference) -> StoreResult<Option<Found>> {
    let table = match reference.target {
        Target::Client | Target::Company => "clients",
        Target::Record(_) => "records",
    };
    let sql = format!("SELECT firm_id = ?1, kind, deleted_at IS NULL FROM {table} WHERE id = ?2");
    conn.prepare_cached(&sql)
        .and_then(|mut st| {
            st.query_row(params![firm.as_bytes(), reference.id.as_bytes()], |r| {
                Ok(Found { same_firm: r.get(0)?, kind: r.get(1)?, live: r.get(2)? })
            })
            .optional()
        })
        .map_err(internal)
}

/// Erases the records whose parent is `parent`, and theirs (notes on a matter).
fn purge_children(conn: &Connection, firm: FirmId, parent: uuid::Uuid) -> StoreResult<()> {
    conn.prepare_cached(
        "DELETE FROM records WHERE firm_id = ?1 AND parent_id IN (SELECT id FROM records WHERE firm_id = ?1 AND parent_id = ?2)",
    )
    .and_then(|mut st| st.execute(params![firm.as_bytes(), parent.as_bytes()]))
    .map_err(internal)?;
    conn.prepare_cached("DELETE FROM records WHERE firm_id = ?1 AND parent_id = ?2")
        .and_then(|mut st| st.execute(params![firm.as_bytes(), parent.as_bytes()]))
        .map_err(internal)?;
    Ok(())
}

fn purge_record(conn: &Connection, firm: FirmId, id: uuid::Uuid, version: i64) -> StoreResult<()> {
    purge_children(conn, firm, id)?;
    let gone = conn
        .prepare_cached("DELETE FROM records WHERE firm_id = ?1 AND id = ?2 AND version = ?3")
        .and_then(|mut st| st.execute(params![firm.as_bytes(), id.as_bytes(), version]))
        .map_err(internal)?;
    if gone == 0 {
        return Err(StoreError::VersionMismatch);
    }
    Ok(())
}

const LIVE_MATTERS: &str = "SELECT 1 FROM records WHERE firm_id = ?1 AND parent_id = ?2 AND kind = 'matter' AND deleted_at IS NULL LIMIT 1";
/// A live record whose parent is the client, or a live person of that company.
const DEPENDANTS: &str = "SELECT 1 FROM records WHERE firm_id = ?1 AND parent_id = ?2 AND deleted_at IS NULL \
    UNION ALL SELECT 1 FROM clients WHERE firm_id = ?1 AND company_id = ?2 AND deleted_at IS NULL LIMIT 1";

/// `VersionMismatch` if `sql` (over the firm and the client) finds a row.
fn require_none(conn: &Connection, sql: &str, firm: FirmId, client: ClientId) -> StoreResult<()> {
    let open: Option<i64> = conn
        .prepare_cached(sql)
        .and_then(|mut st| st.query_row([firm.as_bytes(), client.as_bytes()], |r| r.get(0)).optional())
        .map_err(internal)?;
    match open {
        Some(_) => Err(StoreError::VersionMismatch),
        None => Ok(()),
    }
}

fn revoke_user_keys(conn: &Connection, firm: FirmId, user: UserId, at: Timestamp) -> StoreResult<()> {
    conn.prepare_cached("UPDATE api_keys SET revoked_at = ?1 WHERE firm_id = ?2 AND user_id = ?3 AND revoked_at IS NULL")
        .and_then(|mut st| st.execute(params![at.millis(), firm.as_bytes(), user.as_bytes()]))
        .map_err(internal)?;
    Ok(())
}

pub fn get_record(conn: &Connection, firm: FirmId, kind: RecordKind, id: uuid::Uuid) -> StoreResult<Option<Record>> {
    let sql = format!("SELECT {RECORD_COLUMNS} FROM records r WHERE r.id = ?1 AND r.firm_id = ?2 AND r.kind = ?3");
    conn.prepare_cached(&sql)
        .and_then(|mut st| st.query_row(params![id.as_bytes(), firm.as_bytes(), kind.as_str()], rows::record).optional())
        .map_err(internal)
}

pub fn find_record(conn: &Connection, kind: RecordKind, unique_key: &str) -> StoreResult<Option<Record>> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM records r WHERE r.kind = ?1 AND r.unique_key = ?2 AND r.deleted_at IS NULL"
    );
    conn.prepare_cached(&sql)
        .and_then(|mut st| st.query_row(params![kind.as_str(), unique_key], rows::record).optional())
        .map_err(internal)
}

pub fn list_records(conn: &Connection, firm: FirmId, kind: RecordKind, query: &RecordQuery) -> StoreResult<Vec<Record>> {
    let dialect = Sqlite { search: Search::EachRow };
    run_query(conn, &sql::list_records(&dialect, firm, kind, query), rows::record)
}

pub fn count_records(conn: &Connection, firm: FirmId, kind: RecordKind, filter: &RecordFilter, at_most: Option<u64>) -> StoreResult<u64> {
    let dialect = Sqlite { search: Search::EachRow };
    let counts = run_query(conn, &sql::count_records(&dialect, firm, kind, filter, at_most), |r| r.get::<_, i64>(0))?;
    Ok(counts.first().copied().unwrap_or(0) as u64)
}

pub fn deleted_records(conn: &Connection, firm: FirmId, before: Timestamp, limit: usize) -> StoreResult<Vec<Record>> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM records r WHERE r.firm_id = ?1 AND r.deleted_at IS NOT NULL AND r.deleted_at < ?2 \
         ORDER BY r.deleted_at LIMIT ?3"
    );
    let mut st = conn.prepare_cached(&sql).map_err(internal)?;
    let rows = st.query_map(params![firm.as_bytes(), before.millis(), limit as i64], rows::record).map_err(internal)?;
    rows.collect::<Result<_, _>>().map_err(internal)
}

pub fn idempotency_record(conn: &Connection, scope: [u8; 32], key: &str) -> StoreResult<Option<IdempotencyRecord>> {
    let row = conn
        .prepare_cached("SELECT request_hash, status, headers, body, created_at FROM idempotency_keys WHERE scope = ?1 AND key = ?2")
        .and_then(|mut st| {
            st.query_row(params![scope.as_slice(), key], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Option<u16>>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, Option<Vec<u8>>>(3)?, r.get::<_, i64>(4)?))
            })
            .optional()
        })
        .map_err(internal)?;
    let Some((hash, status, headers, body, created_at)) = row else { return Ok(None) };
    let request_hash: [u8; 32] = hash.try_into().map_err(|_| StoreError::Internal("stored request hash is not 32 bytes".into()))?;
    let response = match status {
        Some(status) => {
            let headers = headers.map(|h| serde_json::from_str(&h)).transpose().map_err(|e| StoreError::Internal(e.to_string()))?;
            Some(StoredResponse { status, headers: headers.unwrap_or_default(), body: body.unwrap_or_default() })
        }
        None => None,
    };
    Ok(Some(IdempotencyRecord { request_hash, created_at: Timestamp::from_millis(created_at), response }))
}

fn claim_idempotency_key(conn: &Connection, scope: &[u8; 32], key: &str, hash: &[u8; 32], at: Timestamp) -> StoreResult<()> {
    conn.prepare_cached("INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES (?1, ?2, ?3, ?4)")
        .and_then(|mut st| st.execute(params![scope.as_slice(), key, hash.as_slice(), at.millis()]))
        .map_err(|e| duplicate_or_internal(conn, e))?;
    Ok(())
}

fn keep_idempotent_response(conn: &Connection, scope: &[u8; 32], key: &str, hash: &[u8; 32], at: Timestamp, response: &StoredResponse) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO idempotency_keys (scope, key, request_hash, created_at, status, headers, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (scope, key) DO UPDATE SET status = excluded.status, headers = excluded.headers, body = excluded.body
         WHERE idempotency_keys.status IS NULL AND idempotency_keys.request_hash = excluded.request_hash",
    )
    .and_then(|mut st| {
        st.execute(params![scope.as_slice(), key, hash.as_slice(), at.millis(), response.status, to_json(&response.headers), response.body.as_slice()])
    })
    .map_err(internal)?;
    Ok(())
}

pub fn purge_idempotency_keys(conn: &Connection, before: Timestamp) -> StoreResult<u64> {
    let gone = conn
        .prepare_cached("DELETE FROM idempotency_keys WHERE created_at < ?1")
        .and_then(|mut st| st.execute([before.millis()]))
        .map_err(internal)?;
    Ok(gone as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fan-out's redaction check must find erased events through their
    /// partial index, not by reading each event: SQLite uses that index only
    /// if the query states the index's predicate as the migration wrote it.
    #[test]
    fn the_redaction_check_reads_the_index_of_erased_events() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrations::apply(&mut conn).unwrap();
        let sql = erasure::redacted_among(&WRITES, FirmId::generate(), &[1, 2, 3]);
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", sql.text))
            .unwrap()
            .query_map(params_from_iter(sql.params.iter()), |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(plan.iter().any(|step| step.contains("USING INDEX events_redacted")), "{plan:?}");
    }
}
