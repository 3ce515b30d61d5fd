//! The PostgreSQL store's statements.

use deadpool_postgres::GenericClient;
use serde_json::Value;
use tokio_postgres::types::ToSql;

use super::db_error;
use super::rows::{self, EVENT_COLUMNS, FIRM_COLUMNS, KEY_COLUMNS};
use crate::domain::api_key::{ApiKey, SecretHash};
use crate::domain::client::query::{ClientFilter, ClientQuery, SearchTerm};
use crate::domain::client::Client;
use crate::domain::event::Event;
use crate::domain::firm::Firm;
use crate::domain::ids::{ClientId, FirmId, KeyId};
use crate::domain::time::Timestamp;
use crate::store::sql::{self, like_pattern, Sql, SqlDialect, SqlValue, CLIENT_COLUMNS};
use crate::store::{StoreError, StoreResult};

struct Postgres;

impl SqlDialect for Postgres {
    fn placeholder(&self, n: usize) -> String {
        format!("${n}")
    }

    fn has_tag(&self, sql: &mut Sql, tag: &str) {
        sql.push("c.tags @> jsonb_build_array(").bind(SqlValue::Text(tag.to_string())).push("::text)");
    }

    fn contains(&self, sql: &mut Sql, term: &SearchTerm) {
        // The pg_trgm GIN index answers this for terms of 3+ characters.
        sql.push("c.search_text LIKE ").bind(SqlValue::Text(like_pattern(term.as_str()))).push(" ESCAPE '\\'");
    }
}

type Param<'a> = &'a (dyn ToSql + Sync);

fn json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Appends an event with the firm's next event number. Taking the number
/// locks the firm's counter row until commit, so it must be the last statement
/// of its transaction: the lock is then held only while committing, and the
/// firm's events are numbered in commit order.
async fn insert_event(c: &impl GenericClient, e: &Event) -> StoreResult<()> {
    let firm_seq: i64 = c
        .query_one("UPDATE firms SET event_seq = event_seq + 1 WHERE id = $1 RETURNING event_seq", &[&e.firm_id.as_uuid()])
        .await
        .map_err(db_error)?
        .get(0);
    let actor = e.actor_key_id.map(|k| k.as_uuid());
    let params: [Param; 11] = [
        &e.id.as_uuid(), &e.firm_id.as_uuid(), &firm_seq, &e.kind, &e.resource_type, &e.resource_id,
        &actor, &e.request_id, &e.before, &e.after, &e.created_at.millis(),
    ];
    let st = c
        .prepare_cached(
            "INSERT INTO events (id, firm_id, firm_seq, kind, resource_type, resource_id, actor_key_id, request_id, before, after, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .await
        .map_err(db_error)?;
    c.execute(&st, &params).await.map_err(db_error)?;
    Ok(())
}

pub async fn create_firm(c: &impl GenericClient, firm: &Firm, keys: &[ApiKey], events: &[Event]) -> StoreResult<()> {
    c.execute(
        "INSERT INTO firms (id, name, settings, created_at) VALUES ($1, $2, $3, $4)",
        &[&firm.id.as_uuid(), &firm.name, &json(&firm.settings), &firm.created_at.millis()],
    )
    .await
    .map_err(db_error)?;
    for key in keys {
        write_key(c, key).await?;
    }
    for event in events {
        insert_event(c, event).await?;
    }
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
    c.execute(
        "INSERT INTO api_keys (id, firm_id, name, prefix, secret_hash, scopes, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[&k.id.as_uuid(), &k.firm_id.as_uuid(), &k.name, &k.prefix, &hash, &k.scopes.to_list(), &k.created_at.millis(), &expires],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

pub async fn insert_key(c: &impl GenericClient, key: &ApiKey, event: &Event) -> StoreResult<()> {
    write_key(c, key).await?;
    insert_event(c, event).await
}

pub async fn find_key(c: &impl GenericClient, hash: &SecretHash) -> StoreResult<Option<(ApiKey, Firm)>> {
    let st = c
        .prepare_cached(&format!(
            "SELECT {KEY_COLUMNS}, {FIRM_COLUMNS} FROM api_keys k JOIN firms f ON f.id = k.firm_id WHERE k.secret_hash = $1"
        ))
        .await
        .map_err(db_error)?;
    let row = c.query_opt(&st, &[&hash.0.as_slice()]).await.map_err(db_error)?;
    row.map(|r| Ok((rows::key(&r)?, rows::firm(&r, 10)?))).transpose()
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

pub async fn revoke_key(c: &impl GenericClient, firm: FirmId, id: KeyId, at: Timestamp, event: &Event) -> StoreResult<()> {
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
    insert_event(c, event).await
}

pub async fn touch_key(c: &impl GenericClient, id: KeyId, at: Timestamp) -> StoreResult<()> {
    let st = c.prepare_cached("UPDATE api_keys SET last_used_at = $1 WHERE id = $2").await.map_err(db_error)?;
    c.execute(&st, &[&at.millis(), &id.as_uuid()]).await.map_err(db_error)?;
    Ok(())
}

/// The columns a client write sets, and their values for `c`.
const CLIENT_WRITE_COLUMNS: [&str; 24] = [
    "kind", "first_name", "last_name", "name", "email", "email_key", "phone", "address", "other_emails",
    "other_phones", "other_addresses", "date_of_birth", "company_id", "status", "tags", "source", "notes",
    "custom_fields", "version", "updated_at", "deleted_at", "sort_name", "sort_last_name", "search_text",
];

fn client_values(c: &Client) -> Vec<Box<dyn ToSql + Sync + Send>> {
    let f = &c.fields;
    vec![
        Box::new(f.kind.as_str().to_string()),
        Box::new(f.first_name.clone()),
        Box::new(f.last_name.clone()),
        Box::new(f.display_name()),
        Box::new(f.email.as_ref().map(|e| e.as_str().to_string())),
        Box::new(f.email.as_ref().map(|e| e.key())),
        Box::new(f.phone.as_ref().map(|p| p.as_str().to_string())),
        Box::new(f.address.as_ref().map(json)),
        Box::new(json(&f.other_emails)),
        Box::new(json(&f.other_phones)),
        Box::new(json(&f.other_addresses)),
        Box::new(f.date_of_birth.map(|d| d.to_string())),
        Box::new(f.company_id.map(|id| id.as_uuid())),
        Box::new(f.status.clone()),
        Box::new(json(&f.tags)),
        Box::new(f.source.clone()),
        Box::new(f.notes.clone()),
        Box::new(Value::Object(f.custom_fields.clone())),
        Box::new(c.version),
        Box::new(c.updated_at.millis()),
        Box::new(c.deleted_at.map(Timestamp::millis)),
        Box::new(f.name_key()),
        Box::new(f.last_name_key()),
        Box::new(f.search_text()),
    ]
}

fn as_params(values: &[Box<dyn ToSql + Sync + Send>]) -> Vec<Param<'_>> {
    values.iter().map(|v| v.as_ref() as Param).collect()
}

pub async fn insert_client(c: &impl GenericClient, client: &Client, event: &Event) -> StoreResult<i64> {
    let n = CLIENT_WRITE_COLUMNS.len();
    let placeholders: Vec<String> = (1..=n + 3).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO clients ({}, id, firm_id, created_at) VALUES ({}) RETURNING seq",
        CLIENT_WRITE_COLUMNS.join(", "),
        placeholders.join(", ")
    );
    let mut values = client_values(client);
    values.push(Box::new(client.id.as_uuid()));
    values.push(Box::new(client.firm_id.as_uuid()));
    values.push(Box::new(client.created_at.millis()));
    let st = c.prepare_cached(&sql).await.map_err(db_error)?;
    let seq: i64 = c.query_one(&st, &as_params(&values)).await.map_err(db_error)?.get(0);
    insert_event(c, event).await?;
    Ok(seq)
}

pub async fn get_client(c: &impl GenericClient, firm: FirmId, id: ClientId) -> StoreResult<Option<Client>> {
    let st = c
        .prepare_cached(&format!("SELECT {CLIENT_COLUMNS} FROM clients c WHERE c.id = $1 AND c.firm_id = $2"))
        .await
        .map_err(db_error)?;
    c.query_opt(&st, &[&id.as_uuid(), &firm.as_uuid()]).await.map_err(db_error)?.map(|r| rows::client(&r)).transpose()
}

pub async fn update_client(c: &impl GenericClient, client: &Client, expected_version: i64, event: &Event) -> StoreResult<()> {
    let n = CLIENT_WRITE_COLUMNS.len();
    let sets: Vec<String> = CLIENT_WRITE_COLUMNS.iter().enumerate().map(|(i, col)| format!("{col} = ${}", i + 1)).collect();
    let sql = format!(
        "UPDATE clients SET {} WHERE id = ${} AND firm_id = ${} AND version = ${}",
        sets.join(", "),
        n + 1,
        n + 2,
        n + 3
    );
    let mut values = client_values(client);
    values.push(Box::new(client.id.as_uuid()));
    values.push(Box::new(client.firm_id.as_uuid()));
    values.push(Box::new(expected_version));
    let st = c.prepare_cached(&sql).await.map_err(db_error)?;
    if c.execute(&st, &as_params(&values)).await.map_err(db_error)? == 0 {
        return Err(StoreError::VersionMismatch);
    }
    insert_event(c, event).await
}

pub async fn deleted_clients(c: &impl GenericClient, firm: FirmId, before: Timestamp, limit: usize) -> StoreResult<Vec<Client>> {
    let sql = format!(
        "SELECT {CLIENT_COLUMNS} FROM clients c WHERE c.firm_id = $1 AND c.deleted_at IS NOT NULL AND c.deleted_at < $2 \
         ORDER BY c.deleted_at LIMIT $3"
    );
    let rows = c.query(&sql, &[&firm.as_uuid(), &before.millis(), &(limit as i64)]).await.map_err(db_error)?;
    rows.iter().map(rows::client).collect()
}

pub async fn purge_client(c: &impl GenericClient, firm: FirmId, id: ClientId, version: i64, event: &Event) -> StoreResult<()> {
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
    insert_event(c, event).await
}

async fn run_query<T>(c: &impl GenericClient, sql: &Sql<'_>, map: impl Fn(&tokio_postgres::Row) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    let params: Vec<Param> = sql.params.iter().map(|p| p as Param).collect();
    let st = c.prepare_cached(&sql.text).await.map_err(db_error)?;
    let rows = c.query(&st, &params).await.map_err(db_error)?;
    rows.iter().map(map).collect()
}

pub async fn list_clients(c: &impl GenericClient, firm: FirmId, query: &ClientQuery) -> StoreResult<Vec<Client>> {
    run_query(c, &sql::list_clients(&Postgres, firm, query), rows::client).await
}

pub async fn count_clients(c: &impl GenericClient, firm: FirmId, filter: &ClientFilter) -> StoreResult<u64> {
    let counts = run_query(c, &sql::count_clients(&Postgres, firm, filter), |r| Ok(r.get::<_, i64>(0))).await?;
    Ok(counts.first().copied().unwrap_or(0) as u64)
}

pub async fn list_events(c: &impl GenericClient, firm: FirmId, after_seq: i64, limit: usize) -> StoreResult<Vec<Event>> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE firm_id = $1 AND firm_seq > $2 ORDER BY firm_seq LIMIT $3");
    let st = c.prepare_cached(&sql).await.map_err(db_error)?;
    let rows = c.query(&st, &[&firm.as_uuid(), &after_seq, &(limit as i64)]).await.map_err(db_error)?;
    rows.iter().map(rows::event).collect()
}
