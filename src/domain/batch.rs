//! Batch writes (`POST /v1/clients/batch`, `/v1/matters/batch`): the request
//! body, read into operations with an error path per operation
//! (`operations[3].match.email`).

use serde_json::{Map, Value};

use super::email::Email;
use super::field::FieldError;
use super::input::{kind_of, Reader};

/// Operations one batch may hold.
pub const MAX_OPERATIONS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Create,
    Update,
    /// Update the record the `match` finds, or create one.
    Upsert,
    Delete,
}

impl OpKind {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "create" => Some(Self::Create),
            "update" => Some(Self::Update),
            "upsert" => Some(Self::Upsert),
            "delete" => Some(Self::Delete),
            _ => None,
        }
    }
}

/// How an operation finds its record without an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// The client whose primary email is this one (case-insensitively).
    Email(Email),
    ExternalId(String),
}

impl Match {
    /// The field of the record the match compares, and the value to set it
    /// to when an upsert creates the record.
    pub fn field(&self) -> (&'static str, Value) {
        match self {
            Match::Email(e) => ("email", Value::String(e.as_str().to_string())),
            Match::ExternalId(x) => ("external_id", Value::String(x.clone())),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub op: OpKind,
    /// The record's public id (`cli_…`, `mat_…`), unparsed: the kind decides.
    pub id: Option<String>,
    pub matching: Option<Match>,
    pub data: Option<Map<String, Value>>,
    /// The version the record must have (`version_conflict` otherwise).
    pub if_match: Option<i64>,
}

/// What a batch asks.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub operations: Vec<Operation>,
    /// All or nothing, in one transaction.
    pub atomic: bool,
}

/// Reads a batch body. `emails` says whether `match.email` is allowed (clients).
pub fn parse_batch(body: &Map<String, Value>, emails: bool) -> Result<Batch, Vec<FieldError>> {
    let mut r = Reader::new(body);
    let atomic = r.bool("atomic").unwrap_or(false);
    let items = match r.value("operations") {
        Some(Value::Array(items)) => items.as_slice(),
        Some(other) => {
            r.error("operations", format!("must be an array, not {}", kind_of(other)));
            &[]
        }
        None => {
            r.error("operations", "is required");
            &[]
        }
    };
    if items.len() > MAX_OPERATIONS {
        r.error("operations", format!("must have at most {MAX_OPERATIONS} operations (got {}); split the batch", items.len()));
    } else if items.is_empty() && !r.has_error("operations") {
        r.error("operations", "must have at least one operation");
    }
    let mut errors = Vec::new();
    let mut operations = Vec::with_capacity(items.len().min(MAX_OPERATIONS));
    for (i, item) in items.iter().take(MAX_OPERATIONS).enumerate() {
        match operation(item, &format!("operations[{i}]"), emails) {
            Ok(op) => operations.push(op),
            Err(e) => errors.extend(e),
        }
    }
    let finished = r.finish();
    if let Err(e) = finished {
        errors.splice(0..0, e);
    }
    if errors.is_empty() {
        Ok(Batch { operations, atomic })
    } else {
        Err(errors)
    }
}

fn operation(item: &Value, path: &str, emails: bool) -> Result<Operation, Vec<FieldError>> {
    let Value::Object(object) = item else {
        return Err(vec![FieldError::new(path, format!("must be an object, not {}", kind_of(item)))]);
    };
    let mut r = Reader::nested(object, path.to_string());
    let op = r.parsed("op", |s| OpKind::parse(s).ok_or_else(|| "must be create, update, upsert or delete".to_string()));
    let id = r.text("id", 40);
    // A `match` that is given but wrong has its own error; the shape checks
    // count it as given.
    let match_given = r.is_present("match");
    let matching = read_match(&mut r, path, emails);
    let data = r.object("data").cloned();
    let if_match = r.integer("if_match");
    if if_match.is_some_and(|v| v < 1) {
        r.error_at("if_match", "must be a version (1 or more)");
    }
    let op_ok = op.is_some();
    if !op_ok && !r.has_error("op") {
        r.error_at("op", "is required");
    }
    let op = op.unwrap_or(OpKind::Create);
    if op_ok {
        check_shape(&mut r, op, id.is_some(), match_given, data.is_some());
    }
    r.finish()?;
    Ok(Operation { op, id, matching, data, if_match })
}

/// Which of `id`, `match` and `data` each operation needs.
fn check_shape(r: &mut Reader<'_>, op: OpKind, id: bool, matching: bool, data: bool) {
    match op {
        OpKind::Create => {
            if id || matching {
                r.error_at("op", "create takes only `data` (use upsert to match an existing record)");
            }
        }
        OpKind::Upsert if !matching => r.error_at("match", "is required for upsert"),
        OpKind::Upsert if id => r.error_at("id", "upsert finds its record by `match`, not by id"),
        OpKind::Update | OpKind::Delete if id == matching => r.error_at("id", "give either `id` or `match`"),
        _ => {}
    }
    match op {
        OpKind::Delete if data => r.error_at("data", "delete takes no data"),
        OpKind::Create | OpKind::Update | OpKind::Upsert if !data => r.error_at("data", "is required"),
        _ => {}
    }
}

fn read_match(r: &mut Reader<'_>, path: &str, emails: bool) -> Option<Match> {
    let object = r.object("match")?;
    if !emails && object.contains_key("email") {
        r.error(format!("{path}.match.email"), "matters are matched by external_id only");
        return None;
    }
    let mut m = Reader::nested(object, format!("{path}.match"));
    let email = if emails { m.parsed("email", Email::parse) } else { None };
    let external = m.text("external_id", 255);
    let found = match (email, external) {
        (Some(e), None) => Some(Match::Email(e)),
        (None, Some(x)) => Some(Match::ExternalId(x)),
        (Some(_), Some(_)) => {
            m.error_at("email", "match on one field: email or external_id");
            None
        }
        (None, None) if m.has_error("email") || m.has_error("external_id") => None,
        (None, None) => {
            m.error_at(if emails { "email" } else { "external_id" }, if emails { "give email or external_id" } else { "is required" });
            None
        }
    };
    if let Err(errors) = m.finish() {
        r.absorb(errors);
        return None;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Batch, Vec<FieldError>> {
        parse_batch(v.as_object().unwrap(), true)
    }

    fn fields(v: Value) -> Vec<String> {
        parse(v).unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn operations_are_read_with_their_shapes() {
        let batch = parse(json!({"atomic": true, "operations": [
            {"op": "create", "data": {"first_name": "A"}},
            {"op": "upsert", "match": {"email": "A@Example.com"}, "data": {}},
            {"op": "update", "id": "cli_x", "data": {}, "if_match": 2},
            {"op": "delete", "match": {"external_id": "crm-1"}},
        ]}))
        .unwrap();
        assert!(batch.atomic);
        assert_eq!(batch.operations.len(), 4);
        assert!(matches!(&batch.operations[1].matching, Some(Match::Email(e)) if e.as_str() == "A@Example.com"));
        assert_eq!(batch.operations[2].if_match, Some(2));
    }

    #[test]
    fn each_bad_operation_is_named() {
        assert_eq!(fields(json!({})), vec!["operations"]);
        assert_eq!(fields(json!({"operations": []})), vec!["operations"]);
        assert_eq!(fields(json!({"operations": [{"op": "explode"}]})), vec!["operations[0].op"]);
        assert_eq!(fields(json!({"operations": [{"op": "create"}]})), vec!["operations[0].data"]);
        assert_eq!(fields(json!({"operations": [{"op": "upsert", "data": {}}]})), vec!["operations[0].match"]);
        assert_eq!(fields(json!({"operations": [{"op": "delete"}]})), vec!["operations[0].id"]);
        assert_eq!(fields(json!({"operations": [{"op": "delete", "id": "x", "match": {"external_id": "y"}}]})), vec!["operations[0].id"]);
        assert_eq!(fields(json!({"operations": [1, {"op": "create", "data": {}, "extra": 1}]})), vec!["operations[0]", "operations[1].extra"]);
        assert_eq!(fields(json!({"operations": [{"op": "upsert", "match": {"email": "nope"}, "data": {}}]})), vec!["operations[0].match.email"]);
        let many: Vec<Value> = (0..1001).map(|_| json!({"op": "create", "data": {}})).collect();
        assert_eq!(fields(json!({"operations": many})), vec!["operations"]);
        assert!(parse_batch(json!({"operations": [{"op": "upsert", "match": {"email": "a@b.c"}, "data": {}}]}).as_object().unwrap(), false).is_err());
    }
}
