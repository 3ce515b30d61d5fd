//! The batch requests of an import: a batch's operations sent (split when
//! too large, resent without the ones the server cannot take), and what the
//! server answered, tallied. An import keeps a few batches in flight
//! ([`IN_FLIGHT`]), so the server writes one while the next is read and
//! sent; batches that touch the same record never overlap ([`identities`]),
//! so their order is the file's.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::checkpoint::FileIdentity;
use super::import::{Line, MatchField, MAX_BODY};
use super::remote::{Failure, Patience, Remote};
use super::source::Kind;
use crate::domain::email::Email;

/// Batch requests an import has sent and not yet had answered, at most.
/// Two already keep the server's writer busy while the CLI reads the next
/// rows and the server plans them; more only queue up.
pub(super) const IN_FLIGHT: usize = 3;

/// A batch operation, and the row it came from.
pub(super) struct Op {
    pub(super) row: u64,
    pub(super) value: Value,
}

/// What the server did with one batch's operations.
#[derive(Debug, Default)]
pub(super) struct Sent {
    pub(super) created: u64,
    pub(super) updated: u64,
    pub(super) replayed_batches: u64,
    pub(super) lines: Vec<Line>,
}

/// Sends the batches of one import; shared by the requests in flight.
pub(super) struct Sender {
    pub(super) remote: Arc<Remote>,
    pub(super) kind: Kind,
    pub(super) upsert_by: Option<MatchField>,
    pub(super) identity: Arc<FileIdentity>,
}

impl Sender {
    /// Sends operations in batches of at most 8 MiB and tallies the answers.
    /// Errs with what stopped the import.
    pub(super) async fn send(&self, ops: Vec<Op>) -> Result<Sent, String> {
        let mut sent = Sent::default();
        let lines = &mut sent.lines;
        let path = format!("/v1/{}/batch", self.kind.as_str());
        // Each entry: operations, and how many times their answer was lost.
        let mut queue: VecDeque<(Vec<Op>, u32)> = VecDeque::from([(ops, 0)]);
        while let Some((chunk, lost)) = queue.pop_front() {
            if chunk.is_empty() {
                continue;
            }
            let operations: Vec<&Value> = chunk.iter().map(|o| &o.value).collect();
            let body = serde_json::to_vec(&json!({"atomic": false, "operations": operations})).map_err(|e| e.to_string())?;
            if body.len() > MAX_BODY {
                if chunk.len() == 1 {
                    lines.push((chunk[0].row, String::new(), "is too large: a batch request carries at most 8 MiB".into()));
                } else {
                    let (first, second) = halves(chunk);
                    queue.push_front((second, lost));
                    queue.push_front((first, lost));
                }
                continue;
            }
            let key = self.identity.idempotency_key(self.kind, chunk[0].row, lost, &body);
            let answer = match self.remote.post_idempotent(&path, &body, &key, Patience::Long).await {
                Ok(answer) => answer,
                Err(Failure::Refused { status: StatusCode::BAD_REQUEST, code, errors, .. })
                    if code == "invalid_request" && !errors.is_empty() && errors.iter().all(|(f, _)| operation_index(f).is_some_and(|(i, _)| i < chunk.len())) =>
                {
                    // The batch named operations it cannot take at all: their
                    // rows are rejected, the others sent again without them.
                    let mut refused = HashSet::new();
                    for (field, message) in errors {
                        let Some((i, rest)) = operation_index(&field) else { continue };
                        refused.insert(i);
                        lines.push((chunk[i].row, rest.trim_start_matches("match.").trim_start_matches("data.").to_string(), message));
                    }
                    let rest: Vec<Op> = chunk.into_iter().enumerate().filter(|(i, _)| !refused.contains(i)).map(|(_, op)| op).collect();
                    queue.push_front((rest, lost));
                    continue;
                }
                Err(Failure::Refused { status: StatusCode::PAYLOAD_TOO_LARGE, .. }) if chunk.len() > 1 => {
                    let (first, second) = halves(chunk);
                    queue.push_front((second, lost));
                    queue.push_front((first, lost));
                    continue;
                }
                Err(failure) if failure.code() == "idempotency_response_lost" => {
                    if self.upsert_by.is_some() && lost < 3 {
                        // Upserts applied again change nothing more: send them
                        // again under a new key.
                        queue.push_front((chunk, lost + 1));
                    } else {
                        let message = "outcome unknown: the server stopped while applying this row's batch and lost its answer; check whether the record was written";
                        lines.extend(chunk.iter().map(|op| (op.row, String::new(), message.to_string())));
                    }
                    continue;
                }
                Err(failure) => return Err(failure.to_string()),
            };
            if answer.replayed() {
                sent.replayed_batches += 1;
            }
            let answered = answer.json()?;
            let results = answered["data"].as_array().filter(|r| r.len() == chunk.len()).ok_or_else(|| format!("the server's answer to a batch of {} operations is not one result per operation", chunk.len()))?;
            for (op, result) in chunk.iter().zip(results) {
                match result["status"].as_u64() {
                    Some(201) => sent.created += 1,
                    Some(200) => sent.updated += 1,
                    _ => lines.extend(problem_lines(op.row, &result["problem"])),
                }
            }
        }
        Ok(sent)
    }
}

fn halves(mut ops: Vec<Op>) -> (Vec<Op>, Vec<Op>) {
    let second = ops.split_off(ops.len() / 2);
    (ops, second)
}

/// `operations[12].match.email` → (12, `match.email`).
fn operation_index(field: &str) -> Option<(usize, &str)> {
    let rest = field.strip_prefix("operations[")?;
    let (index, rest) = rest.split_once(']')?;
    Some((index.parse().ok()?, rest.trim_start_matches('.')))
}

/// A per-operation problem as reject lines: one per field error, or one
/// for the problem (the field its code is about, when there is one).
fn problem_lines(row: u64, problem: &Value) -> Vec<Line> {
    let errors: Vec<Line> = problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (row, e["field"].as_str().unwrap_or_default().to_string(), e["message"].as_str().unwrap_or_default().to_string()))
        .collect();
    if !errors.is_empty() {
        return errors;
    }
    let code = problem["code"].as_str().unwrap_or("unknown");
    let field = match code {
        "duplicate_email" => "email",
        "duplicate_external_id" => "external_id",
        _ => "",
    };
    let detail = problem["detail"].as_str().unwrap_or("the server refused this row");
    vec![(row, field.to_string(), format!("{code}: {detail}"))]
}

/// What identifies the records an operation may touch: the email and
/// `external_id` it matches on or writes (as the server compares them).
pub(super) fn identities(op: &Op) -> Vec<String> {
    let mut keys = Vec::new();
    for part in ["match", "data"] {
        let object = &op.value[part];
        if let Some(email) = object["email"].as_str().and_then(|e| Email::parse(e).ok()) {
            keys.push(format!("email:{}", email.key()));
        }
        if let Some(external) = object["external_id"].as_str() {
            keys.push(format!("external_id:{}", external.trim()));
        }
    }
    keys
}

/// The identities of a batch's operations, to keep batches that share one
/// from overlapping.
pub(super) fn batch_identities(ops: &[Op]) -> HashSet<String> {
    ops.iter().flat_map(identities).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_errors_are_traced_to_their_operation() {
        assert_eq!(operation_index("operations[12].match.email"), Some((12, "match.email")));
        assert_eq!(operation_index("operations[0]"), Some((0, "")));
        assert_eq!(operation_index("atomic"), None);
    }

    #[test]
    fn batches_that_touch_one_record_share_an_identity() {
        let op = |value: Value| Op { row: 1, value };
        let create = op(json!({"op": "create", "data": {"email": "Ada@Example.com", "external_id": " crm-1 "}}));
        let upsert = op(json!({"op": "upsert", "match": {"email": "ada@example.com"}, "data": {}}));
        let other = op(json!({"op": "create", "data": {"email": "grace@example.com"}}));
        let first = batch_identities(&[create]);
        assert!(first.contains("external_id:crm-1"));
        assert!(!first.is_disjoint(&batch_identities(&[upsert])));
        assert!(first.is_disjoint(&batch_identities(&[other])));
    }

    #[test]
    fn problems_become_reject_lines() {
        let invalid = json!({"code": "invalid_request", "errors": [{"field": "last_name", "message": "is required for a person"}]});
        assert_eq!(problem_lines(4, &invalid), vec![(4, "last_name".to_string(), "is required for a person".to_string())]);
        let duplicate = json!({"code": "duplicate_email", "detail": "Another live client has it."});
        assert_eq!(problem_lines(5, &duplicate), vec![(5, "email".to_string(), "duplicate_email: Another live client has it.".to_string())]);
    }
}
