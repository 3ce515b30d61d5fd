//! Between SQLite rows and domain values.

use rusqlite::types::{ToSqlOutput, Value as SqliteValue};
use rusqlite::{Row, ToSql};
use serde::de::DeserializeOwned;

use crate::domain::api_key::{ApiKey, Scopes, SecretHash};
use crate::domain::client::{Client, ClientFields, ClientKind};
use crate::domain::credential::{Credentials, PasswordHash, Session, TokenHash};
use crate::domain::email::Email;
use crate::domain::event::Event;
use crate::domain::firm::Firm;
use crate::domain::ids::{ClientId, EventId, FirmId, KeyId, SessionId, UserId};
use crate::domain::record::{Record, RecordKind};
use crate::domain::phone::Phone;
use crate::domain::time::{CalendarDate, Timestamp};
use crate::store::sql::{SqlList, SqlValue};

impl ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            SqlValue::Null => ToSqlOutput::Owned(SqliteValue::Null),
            SqlValue::Json(t) => ToSqlOutput::Borrowed(t.as_str().into()),
            SqlValue::Int(i) => ToSqlOutput::Owned(SqliteValue::Integer(*i)),
            SqlValue::Text(t) => ToSqlOutput::Borrowed(t.as_str().into()),
            SqlValue::Id(u) => ToSqlOutput::Borrowed(u.as_bytes().as_slice().into()),
            SqlValue::List(list) => ToSqlOutput::Owned(SqliteValue::Text(json_list(list))),
        })
    }
}

/// A list parameter as the JSON array `json_each` reads (ids as hex, for `unhex`).
fn json_list(list: &SqlList) -> String {
    let json = match list {
        SqlList::Int(v) => serde_json::to_string(v),
        SqlList::Text(v) => serde_json::to_string(v),
        SqlList::Id(v) => serde_json::to_string(&v.iter().map(|u| u.simple().to_string()).collect::<Vec<_>>()),
    };
    json.unwrap_or_else(|_| "[]".into())
}

/// A stored value that doesn't decode is corruption, not user error.
fn corrupt(column: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("stored {what} does not decode").into(),
    )
}

pub fn id_bytes(row: &Row<'_>, i: usize) -> rusqlite::Result<[u8; 16]> {
    let bytes: Vec<u8> = row.get(i)?;
    bytes.try_into().map_err(|_| corrupt(i, "id"))
}

fn opt_id_bytes(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<[u8; 16]>> {
    let bytes: Option<Vec<u8>> = row.get(i)?;
    bytes.map(|b| b.try_into().map_err(|_| corrupt(i, "id"))).transpose()
}

// JSON columns are parsed from the text SQLite holds, without copying it
// into a `String` first.
fn json<T: DeserializeOwned>(row: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    serde_json::from_str(row.get_ref(i)?.as_str()?).map_err(|_| corrupt(i, "JSON"))
}

fn opt_json<T: DeserializeOwned>(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<T>> {
    let text = row.get_ref(i)?.as_str_or_null()?;
    text.map(|t| serde_json::from_str(t).map_err(|_| corrupt(i, "JSON"))).transpose()
}

fn opt_time(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(row.get::<_, Option<i64>>(i)?.map(Timestamp::from_millis))
}

pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Reads a row selected with [`crate::store::sql::CLIENT_COLUMNS`].
pub fn client(row: &Row<'_>) -> rusqlite::Result<Client> {
    let kind = ClientKind::parse(row.get_ref(3)?.as_str()?).ok_or_else(|| corrupt(3, "kind"))?;
    let email = row.get_ref(7)?.as_str_or_null()?;
    let dob = row.get_ref(13)?.as_str_or_null()?;
    let fields = ClientFields {
        kind,
        first_name: row.get(4)?,
        last_name: row.get(5)?,
        company_name: if kind == ClientKind::Company { Some(row.get(6)?) } else { None },
        email: email.map(|e| Email::parse(e).map_err(|_| corrupt(7, "email"))).transpose()?,
        phone: row.get::<_, Option<String>>(8)?.map(Phone::from_stored),
        address: opt_json(row, 9)?,
        other_emails: json(row, 10)?,
        other_phones: json(row, 11)?,
        other_addresses: json(row, 12)?,
        date_of_birth: dob.map(|d| CalendarDate::parse(d).ok_or_else(|| corrupt(13, "date"))).transpose()?,
        company_id: opt_id_bytes(row, 14)?.map(ClientId::from_bytes),
        status: row.get(15)?,
        tags: json(row, 16)?,
        source: row.get(17)?,
        notes: row.get(18)?,
        external_id: row.get(25)?,
        custom_fields: json(row, 19)?,
    };
    Ok(Client {
        seq: row.get(0)?,
        id: ClientId::from_bytes(id_bytes(row, 1)?),
        firm_id: FirmId::from_bytes(id_bytes(row, 2)?),
        fields,
        matters_count: row.get(20)?,
        version: row.get(21)?,
        created_at: Timestamp::from_millis(row.get(22)?),
        updated_at: Timestamp::from_millis(row.get(23)?),
        deleted_at: opt_time(row, 24)?,
        merged_into: opt_id_bytes(row, 26)?.map(ClientId::from_bytes),
    })
}

pub const FIRM_COLUMNS: &str = "f.id, f.name, f.settings, f.created_at, f.seq";

pub fn firm(row: &Row<'_>, at: usize) -> rusqlite::Result<Firm> {
    Ok(Firm {
        id: FirmId::from_bytes(id_bytes(row, at)?),
        seq: row.get(at + 4)?,
        name: row.get(at + 1)?,
        settings: json(row, at + 2)?,
        created_at: Timestamp::from_millis(row.get(at + 3)?),
    })
}

pub const KEY_COLUMNS: &str = "k.id, k.firm_id, k.name, k.prefix, k.secret_hash, k.scopes, k.created_at, \
    k.last_used_at, k.expires_at, k.revoked_at, k.user_id, k.rate_limit_per_minute";
pub const KEY_COLUMN_COUNT: usize = 12;

pub fn key(row: &Row<'_>) -> rusqlite::Result<ApiKey> {
    let hash: Vec<u8> = row.get(4)?;
    let scopes: String = row.get(5)?;
    Ok(ApiKey {
        id: KeyId::from_bytes(id_bytes(row, 0)?),
        firm_id: FirmId::from_bytes(id_bytes(row, 1)?),
        name: row.get(2)?,
        prefix: row.get(3)?,
        secret_hash: SecretHash(hash.try_into().map_err(|_| corrupt(4, "hash"))?),
        scopes: Scopes::parse_list(&scopes).map_err(|_| corrupt(5, "scopes"))?,
        created_at: Timestamp::from_millis(row.get(6)?),
        last_used_at: opt_time(row, 7)?,
        expires_at: opt_time(row, 8)?,
        revoked_at: opt_time(row, 9)?,
        user_id: opt_id_bytes(row, 10)?.map(UserId::from_bytes),
        rate_limit_per_minute: row.get(11)?,
    })
}

pub const EVENT_COLUMNS: &str =
    "firm_seq, id, firm_id, kind, resource_type, resource_id, actor_key_id, request_id, before, after, created_at, actor_user_id";

pub fn event(row: &Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        seq: row.get(0)?,
        id: EventId::from_bytes(id_bytes(row, 1)?),
        firm_id: FirmId::from_bytes(id_bytes(row, 2)?),
        kind: row.get(3)?,
        resource_type: row.get(4)?,
        resource_id: row.get(5)?,
        actor_key_id: opt_id_bytes(row, 6)?.map(KeyId::from_bytes),
        request_id: row.get(7)?,
        before: opt_json(row, 8)?,
        after: opt_json(row, 9)?,
        created_at: Timestamp::from_millis(row.get(10)?),
        actor_user_id: opt_id_bytes(row, 11)?.map(UserId::from_bytes),
    })
}

/// Reads a row selected with [`crate::store::sql::RECORD_COLUMNS`].
pub fn record(row: &Row<'_>) -> rusqlite::Result<Record> {
    let kind: String = row.get(3)?;
    Ok(Record {
        seq: row.get(0)?,
        id: uuid::Uuid::from_bytes(id_bytes(row, 1)?),
        firm_id: FirmId::from_bytes(id_bytes(row, 2)?),
        kind: RecordKind::parse(&kind).ok_or_else(|| corrupt(3, "record kind"))?,
        parent_id: opt_id_bytes(row, 4)?.map(uuid::Uuid::from_bytes),
        unique_key: row.get(5)?,
        doc: json(row, 6)?,
        search_text: row.get(7)?,
        version: row.get(8)?,
        created_at: Timestamp::from_millis(row.get(9)?),
        updated_at: Timestamp::from_millis(row.get(10)?),
        deleted_at: opt_time(row, 11)?,
    })
}

/// Reads `store::sign_in::CREDENTIAL_COLUMNS` from `at`; `None` when they
/// are null (a user without a password).
pub fn credentials(row: &Row<'_>, at: usize) -> rusqlite::Result<Option<Credentials>> {
    let Some(hash) = row.get::<_, Option<String>>(at)? else { return Ok(None) };
    Ok(Some(Credentials { hash: PasswordHash(hash), failed_attempts: row.get(at + 1)?, locked_until: opt_time(row, at + 2)? }))
}

/// Reads `store::sign_in::SESSION_COLUMNS` from `at`.
pub fn session(row: &Row<'_>, at: usize) -> rusqlite::Result<Session> {
    Ok(Session {
        id: SessionId::from_bytes(id_bytes(row, at)?),
        firm_id: FirmId::from_bytes(id_bytes(row, at + 1)?),
        user_id: UserId::from_bytes(id_bytes(row, at + 2)?),
        token_hash: TokenHash(row.get(at + 3)?),
        created_at: Timestamp::from_millis(row.get(at + 4)?),
        expires_at: Timestamp::from_millis(row.get(at + 5)?),
    })
}
