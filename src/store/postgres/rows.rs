//! Between PostgreSQL rows and domain values.

use bytes::BytesMut;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::Row;
use uuid::Uuid;

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
use crate::store::{StoreError, StoreResult};

impl ToSql for SqlValue {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            SqlValue::Null => Ok(IsNull::Yes),
            // jsonb's binary form: a version byte, then the text.
            SqlValue::Json(text) => {
                out.extend_from_slice(&[1]);
                out.extend_from_slice(text.as_bytes());
                Ok(IsNull::No)
            }
            SqlValue::Int(i) => i.to_sql(ty, out),
            SqlValue::Text(t) => t.to_sql(ty, out),
            SqlValue::Id(u) => u.to_sql(ty, out),
            SqlValue::List(SqlList::Int(v)) => v.to_sql(ty, out),
            SqlValue::List(SqlList::Text(v)) => v.to_sql(ty, out),
            SqlValue::List(SqlList::Id(v)) => v.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        <i64 as ToSql>::accepts(ty)
            || <String as ToSql>::accepts(ty)
            || <Uuid as ToSql>::accepts(ty)
            || <Vec<i64> as ToSql>::accepts(ty)
            || <Vec<String> as ToSql>::accepts(ty)
            || <Vec<Uuid> as ToSql>::accepts(ty)
            || *ty == Type::JSONB
    }

    to_sql_checked!();
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Internal(format!("stored {what} does not decode"))
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> StoreResult<T> {
    row.try_get(i).map_err(|e| StoreError::Internal(format!("column {i}: {e}")))
}

fn json<T: DeserializeOwned>(row: &Row, i: usize) -> StoreResult<T> {
    serde_json::from_value(get::<Value>(row, i)?).map_err(|_| corrupt("JSON"))
}

fn opt_json<T: DeserializeOwned>(row: &Row, i: usize) -> StoreResult<Option<T>> {
    get::<Option<Value>>(row, i)?.map(|v| serde_json::from_value(v).map_err(|_| corrupt("JSON"))).transpose()
}

fn opt_time(row: &Row, i: usize) -> StoreResult<Option<Timestamp>> {
    Ok(get::<Option<i64>>(row, i)?.map(Timestamp::from_millis))
}

/// Reads a row selected with [`crate::store::sql::CLIENT_COLUMNS`].
pub fn client(row: &Row) -> StoreResult<Client> {
    let kind = ClientKind::parse(get::<&str>(row, 3)?).ok_or_else(|| corrupt("kind"))?;
    let email: Option<String> = get(row, 7)?;
    let dob: Option<String> = get(row, 13)?;
    let fields = ClientFields {
        kind,
        first_name: get(row, 4)?,
        last_name: get(row, 5)?,
        company_name: if kind == ClientKind::Company { Some(get(row, 6)?) } else { None },
        email: email.map(|e| Email::parse(&e).map_err(|_| corrupt("email"))).transpose()?,
        phone: get::<Option<String>>(row, 8)?.map(Phone::from_stored),
        address: opt_json(row, 9)?,
        other_emails: json(row, 10)?,
        other_phones: json(row, 11)?,
        other_addresses: json(row, 12)?,
        date_of_birth: dob.map(|d| CalendarDate::parse(&d).ok_or_else(|| corrupt("date"))).transpose()?,
        company_id: get::<Option<Uuid>>(row, 14)?.map(ClientId::from_uuid),
        status: get(row, 15)?,
        tags: json(row, 16)?,
        source: get(row, 17)?,
        notes: get(row, 18)?,
        external_id: get(row, 25)?,
        custom_fields: json(row, 19)?,
    };
    Ok(Client {
        seq: get(row, 0)?,
        id: ClientId::from_uuid(get(row, 1)?),
        firm_id: FirmId::from_uuid(get(row, 2)?),
        fields,
        matters_count: get(row, 20)?,
        version: get(row, 21)?,
        created_at: Timestamp::from_millis(get(row, 22)?),
        updated_at: Timestamp::from_millis(get(row, 23)?),
        deleted_at: opt_time(row, 24)?,
        merged_into: get::<Option<Uuid>>(row, 26)?.map(ClientId::from_uuid),
    })
}

pub const FIRM_COLUMNS: &str = "f.id, f.name, f.settings, f.created_at, f.seq";

pub fn firm(row: &Row, at: usize) -> StoreResult<Firm> {
    Ok(Firm {
        id: FirmId::from_uuid(get(row, at)?),
        seq: get(row, at + 4)?,
        name: get(row, at + 1)?,
        settings: json(row, at + 2)?,
        created_at: Timestamp::from_millis(get(row, at + 3)?),
    })
}

pub const KEY_COLUMNS: &str = "k.id, k.firm_id, k.name, k.prefix, k.secret_hash, k.scopes, k.created_at, \
    k.last_used_at, k.expires_at, k.revoked_at, k.user_id, k.rate_limit_per_minute";
pub const KEY_COLUMN_COUNT: usize = 12;

pub fn key(row: &Row) -> StoreResult<ApiKey> {
    let hash: Vec<u8> = get(row, 4)?;
    Ok(ApiKey {
        id: KeyId::from_uuid(get(row, 0)?),
        firm_id: FirmId::from_uuid(get(row, 1)?),
        name: get(row, 2)?,
        prefix: get(row, 3)?,
        secret_hash: SecretHash(hash.try_into().map_err(|_| corrupt("hash"))?),
        scopes: Scopes::parse_list(get(row, 5)?).map_err(|_| corrupt("scopes"))?,
        created_at: Timestamp::from_millis(get(row, 6)?),
        last_used_at: opt_time(row, 7)?,
        expires_at: opt_time(row, 8)?,
        revoked_at: opt_time(row, 9)?,
        user_id: get::<Option<Uuid>>(row, 10)?.map(UserId::from_uuid),
        rate_limit_per_minute: get::<Option<i32>>(row, 11)?.and_then(|n| u32::try_from(n).ok()),
    })
}

pub const EVENT_COLUMNS: &str =
    "firm_seq, id, firm_id, kind, resource_type, resource_id, actor_key_id, request_id, before, after, created_at, actor_user_id";

pub fn event(row: &Row) -> StoreResult<Event> {
    Ok(Event {
        seq: get(row, 0)?,
        id: EventId::from_uuid(get(row, 1)?),
        firm_id: FirmId::from_uuid(get(row, 2)?),
        kind: get(row, 3)?,
        resource_type: get(row, 4)?,
        resource_id: get(row, 5)?,
        actor_key_id: get::<Option<Uuid>>(row, 6)?.map(KeyId::from_uuid),
        request_id: get(row, 7)?,
        before: get(row, 8)?,
        after: get(row, 9)?,
        created_at: Timestamp::from_millis(get(row, 10)?),
        actor_user_id: get::<Option<Uuid>>(row, 11)?.map(UserId::from_uuid),
    })
}

/// Reads a row selected with [`crate::store::sql::RECORD_COLUMNS`].
pub fn record(row: &Row) -> StoreResult<Record> {
    Ok(Record {
        seq: get(row, 0)?,
        id: get(row, 1)?,
        firm_id: FirmId::from_uuid(get(row, 2)?),
        kind: RecordKind::parse(get::<&str>(row, 3)?).ok_or_else(|| corrupt("record kind"))?,
        parent_id: get(row, 4)?,
        unique_key: get(row, 5)?,
        doc: get(row, 6)?,
        search_text: get(row, 7)?,
        version: get(row, 8)?,
        created_at: Timestamp::from_millis(get(row, 9)?),
        updated_at: Timestamp::from_millis(get(row, 10)?),
        deleted_at: opt_time(row, 11)?,
    })
}

/// Reads `store::sign_in::CREDENTIAL_COLUMNS` from `at`; `None` when they
/// are null (a user without a password).
pub fn credentials(row: &Row, at: usize) -> StoreResult<Option<Credentials>> {
    let Some(hash) = get::<Option<String>>(row, at)? else { return Ok(None) };
    Ok(Some(Credentials { hash: PasswordHash(hash), failed_attempts: get(row, at + 1)?, locked_until: opt_time(row, at + 2)? }))
}

/// Reads `store::sign_in::SESSION_COLUMNS` from `at`.
pub fn session(row: &Row, at: usize) -> StoreResult<Session> {
    Ok(Session {
        id: SessionId::from_uuid(get(row, at)?),
        firm_id: FirmId::from_uuid(get(row, at + 1)?),
        user_id: UserId::from_uuid(get(row, at + 2)?),
        token_hash: TokenHash(get(row, at + 3)?),
        created_at: Timestamp::from_millis(get(row, at + 4)?),
        expires_at: Timestamp::from_millis(get(row, at + 5)?),
    })
}
