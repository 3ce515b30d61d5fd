//! SQL of an erasure ([`Write::EraseClients`](super::Write::EraseClients)),
//! shared by both stores, which run these statements in this order in the
//! erasure's transaction.

use super::sql::{Sql, SqlDialect, SqlList, SqlValue};
use super::Erasure;
use crate::domain::ids::FirmId;

fn firm(sql: &mut Sql<'_>, erasure: &Erasure) {
    sql.bind(SqlValue::Id(erasure.firm.as_uuid()));
}

fn resources(erasure: &Erasure) -> SqlList {
    SqlList::Text(erasure.resources.clone())
}

/// Removes the records erased with the clients (their notes and leads, and
/// erased matters with their notes).
pub fn delete_records<'d>(d: &'d dyn SqlDialect, erasure: &Erasure) -> Sql<'d> {
    let mut sql = Sql::new(d, "DELETE FROM records WHERE firm_id = ");
    firm(&mut sql, erasure);
    sql.push(" AND ").any_of("id", SqlList::Id(erasure.records.clone()));
    sql
}

/// Removes one client if it is still at `version`: one row, or none.
pub fn delete_client<'d>(d: &'d dyn SqlDialect, erasure: &Erasure, client: usize) -> Sql<'d> {
    let (id, version) = erasure.clients[client];
    let mut sql = Sql::new(d, "DELETE FROM clients WHERE firm_id = ");
    firm(&mut sql, erasure);
    sql.push(" AND id = ").bind(SqlValue::Id(id.as_uuid())).push(" AND version = ").bind(SqlValue::Int(version));
    sql
}

/// A row if a record still belongs to an erased client or record (one
/// linked to it after the service looked): the erasure must be planned again.
pub fn leftover<'d>(d: &'d dyn SqlDialect, erasure: &Erasure) -> Sql<'d> {
    let clients: Vec<uuid::Uuid> = erasure.clients.iter().map(|(id, _)| id.as_uuid()).collect();
    let client_ids: Vec<String> = erasure.clients.iter().map(|(id, _)| id.to_string()).collect();
    let mut sql = Sql::new(d, "SELECT 1 FROM records r WHERE r.firm_id = ");
    firm(&mut sql, erasure);
    sql.push(" AND (").any_of("r.parent_id", SqlList::Id(clients)).push(" OR ");
    sql.any_of("r.parent_id", SqlList::Id(erasure.records.clone()));
    sql.push(" OR (r.kind = 'lead' AND ").any_of(&d.doc_field("client_id"), SqlList::Text(client_ids)).push(")) LIMIT 1");
    sql
}

/// Replaces what the events about the erased records held, `before` then
/// `after`, with the redaction marker (where they held anything), as stored:
/// the form the index of erased events names (`redacted_among`).
pub fn redact_events<'d>(d: &'d dyn SqlDialect, erasure: &Erasure) -> [Sql<'d>; 2] {
    ["before", "after"].map(|column| {
        let mut sql = Sql::new(d, &format!("UPDATE events SET {column} = "));
        sql.bind(SqlValue::Json(crate::domain::erasure::REDACTION_MARKER.into())).push(" WHERE firm_id = ");
        firm(&mut sql, erasure);
        sql.push(&format!(" AND {column} IS NOT NULL AND ")).any_of("resource_id", resources(erasure));
        sql
    })
}

/// `SELECT`s the ids of the deliveries of events about the erased records.
fn deliveries_of_events<'d>(sql: &mut Sql<'d>, erasure: &Erasure) {
    sql.push("SELECT d.id FROM webhook_deliveries d WHERE d.firm_id = ");
    firm(sql, erasure);
    sql.push(" AND d.event_seq IN (SELECT e.firm_seq FROM events e WHERE e.firm_id = ");
    firm(sql, erasure);
    sql.push(" AND ").any_of("e.resource_id", resources(erasure)).push(")");
}

/// Drops the deliveries of events about the erased records, whatever their
/// status, with their attempts: their payloads carry what the events held.
pub fn drop_deliveries<'d>(d: &'d dyn SqlDialect, erasure: &Erasure) -> [Sql<'d>; 2] {
    let mut attempts = Sql::new(d, "DELETE FROM webhook_attempts WHERE delivery_id IN (");
    deliveries_of_events(&mut attempts, erasure);
    attempts.push(")");
    let mut deliveries = Sql::new(d, "DELETE FROM webhook_deliveries WHERE id IN (");
    deliveries_of_events(&mut deliveries, erasure);
    deliveries.push(")");
    [attempts, deliveries]
}

/// A row if one of these events of `firm` has been redacted. The marker is
/// written as a literal, not bound, so that both stores see the predicate of
/// their partial index of erased events (`events_redacted`) and use it.
pub fn redacted_among<'d>(d: &'d dyn SqlDialect, firm: FirmId, seqs: &[i64]) -> Sql<'d> {
    let marker = d.json_literal(crate::domain::erasure::REDACTION_MARKER);
    let mut sql = Sql::new(d, "SELECT 1 FROM events WHERE firm_id = ");
    sql.bind(SqlValue::Id(firm.as_uuid())).push(" AND ").any_of("firm_seq", SqlList::Int(seqs.to_vec()));
    sql.push(&format!(" AND (before = {marker} OR after = {marker}) LIMIT 1"));
    sql
}

/// Forgets the kept idempotent responses that contain any of the erased
/// records' ids or the client's identifying texts. The key stays claimed,
/// so a retry is told its change was made (`idempotency_response_lost`)
/// instead of making it again. Keys have no firm: every kept response is
/// searched, which the purge after a day bounds.
pub fn forget_responses<'d>(d: &'d dyn SqlDialect, erasure: &Erasure) -> Option<Sql<'d>> {
    if erasure.texts.is_empty() {
        return None;
    }
    let mut sql = Sql::new(d, "UPDATE idempotency_keys SET status = NULL, headers = NULL, body = NULL WHERE status IS NOT NULL AND (");
    for (i, text) in erasure.texts.iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        d.bytes_contain(&mut sql, "body", text);
    }
    sql.push(")");
    Some(sql)
}
