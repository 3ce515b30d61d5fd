//! The CSV layout of clients and matters (docs/bulk.md): one column per
//! field of the canonical view, nested objects flattened (`address.line1`),
//! lists joined, custom fields as `cf.<key>`. Export writes rows from views
//! with it, import reads documents back from rows, so the two round-trip.

use serde_json::{Map, Value};

/// What goes between the items of a list column.
pub const LIST_SEPARATOR: &str = "; ";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    /// A top-level field, as text.
    Field(&'static str),
    /// A field of a nested object (`address.city`).
    Nested(&'static str, &'static str),
    /// A list of objects, one field of each, joined (`other_emails`).
    Joined(&'static str, &'static str),
    /// A list of strings, joined (`tags`).
    Strings(&'static str),
    /// A custom field (`cf.<key>`); non-text values as JSON.
    Custom(String),
}

/// The columns of one kind of record.
#[derive(Debug, Clone)]
pub struct Layout(Vec<Column>);

const ADDRESS: [&str; 6] = ["line1", "line2", "city", "region", "postal_code", "country"];

impl Layout {
    pub fn clients(custom_keys: &[String]) -> Self {
        let mut columns: Vec<Column> = ["id", "kind", "first_name", "last_name", "name", "email", "phone"].map(Column::Field).into();
        columns.extend(ADDRESS.map(|f| Column::Nested("address", f)));
        columns.push(Column::Joined("other_emails", "address"));
        columns.push(Column::Joined("other_phones", "number"));
        columns.extend(["date_of_birth", "company_id", "status"].map(Column::Field));
        columns.push(Column::Strings("tags"));
        columns.extend(["source", "notes", "external_id", "version", "created_at", "updated_at"].map(Column::Field));
        columns.extend(custom_keys.iter().map(|k| Column::Custom(k.clone())));
        Layout(columns)
    }

    pub fn matters(custom_keys: &[String]) -> Self {
        let mut columns: Vec<Column> = ["id", "client_id", "title", "description", "status", "practice_area"].map(Column::Field).into();
        columns.extend(["amount", "currency"].map(|f| Column::Nested("projected_value", f)));
        columns.extend(
            ["location", "hired_date", "primary_contact_id", "lead_id", "external_id", "version", "created_at", "updated_at"]
                .map(Column::Field),
        );
        columns.extend(custom_keys.iter().map(|k| Column::Custom(k.clone())));
        Layout(columns)
    }

    pub fn header(&self) -> Vec<String> {
        self.0.iter().map(Column::name).collect()
    }

    /// A view (the JSON of a canonical read) as one row, every cell safe to
    /// open in a spreadsheet.
    pub fn row(&self, view: &Value) -> Vec<String> {
        self.0.iter().map(|c| neutralise(c.cell(view))).collect()
    }
}

impl Column {
    fn name(&self) -> String {
        match self {
            Column::Field(f) | Column::Joined(f, _) | Column::Strings(f) => f.to_string(),
            Column::Nested(object, f) => format!("{object}.{f}"),
            Column::Custom(key) => format!("cf.{key}"),
        }
    }

    fn cell(&self, view: &Value) -> String {
        match self {
            Column::Field(f) => text(&view[*f]),
            Column::Nested(object, f) => text(&view[*object][*f]),
            Column::Joined(list, f) => items(&view[*list]).map(|item| labelled(text(&item[*f]), &item["label"])).collect::<Vec<_>>().join(LIST_SEPARATOR),
            Column::Strings(list) => items(&view[*list]).map(text).collect::<Vec<_>>().join(LIST_SEPARATOR),
            Column::Custom(key) => text(&view["custom_fields"][key.as_str()]),
        }
    }
}

/// `value (label)`, or the value alone.
fn labelled(value: String, label: &Value) -> String {
    match label.as_str() {
        Some(label) if !label.is_empty() => format!("{value} ({label})"),
        _ => value,
    }
}

fn items(list: &Value) -> impl Iterator<Item = &Value> {
    list.as_array().into_iter().flatten()
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What a spreadsheet may read as the start of a formula, and the quote
/// that marks a cell as text.
const QUOTED: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// Neutralises spreadsheet formulas (OWASP "CSV injection"): a cell that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
/// `'`, which spreadsheets show as text; so does one that starts with `'`
/// itself, so that [`restore`] can tell the two apart on import.
pub fn neutralise(cell: String) -> String {
    if cell.starts_with(QUOTED) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// The cell as it was before [`neutralise`].
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(QUOTED) => rest,
        _ => cell,
    }
}

/// A row read back into a document a create (or merge patch) takes: columns
/// by header name, empty cells left out, server-owned columns (`id`,
/// `version`, times, `name` of a person) dropped. Unknown columns are kept
/// under their own name, so the create refuses them and says which.
pub fn document(header: &[String], row: &[String]) -> Map<String, Value> {
    let mut doc = Map::new();
    for (name, cell) in header.iter().zip(row) {
        let cell = restore(cell.trim_end_matches(['\r', '\n']));
        if cell.is_empty() || matches!(name.as_str(), "id" | "version" | "created_at" | "updated_at" | "lead_id") {
            continue;
        }
        put(&mut doc, name, cell);
    }
    // A person's `name` is derived; only a company's is written.
    if doc.get("kind").and_then(Value::as_str) != Some("company") {
        doc.remove("name");
    }
    doc
}

fn put(doc: &mut Map<String, Value>, name: &str, cell: &str) {
    let split = |s: &str| s.split(';').map(str::trim).filter(|x| !x.is_empty()).map(|x| Value::String(x.to_string())).collect::<Vec<_>>();
    match name {
        "tags" => {
            doc.insert(name.into(), Value::Array(split(cell)));
        }
        "other_emails" | "other_phones" => {
            let field = if name == "other_emails" { "address" } else { "number" };
            let entry = |v: Value| {
                let text = v.as_str().unwrap_or_default();
                let mut entry = Map::new();
                match text.strip_suffix(')').and_then(|t| t.split_once(" (")) {
                    Some((value, label)) => {
                        entry.insert(field.to_string(), Value::String(value.to_string()));
                        entry.insert("label".to_string(), Value::String(label.to_string()));
                    }
                    None => {
                        entry.insert(field.to_string(), v);
                    }
                }
                Value::Object(entry)
            };
            let list = split(cell).into_iter().map(entry).collect();
            doc.insert(name.into(), Value::Array(list));
        }
        "projected_value.amount" => nested(doc, "projected_value", "amount", cell.parse::<i64>().map(Value::from).unwrap_or(Value::String(cell.into()))),
        _ => match name.split_once('.') {
            Some(("cf", key)) => nested(doc, "custom_fields", key, serde_json::from_str(cell).unwrap_or(Value::String(cell.into()))),
            Some((object, field)) => nested(doc, object, field, Value::String(cell.into())),
            None => {
                doc.insert(name.into(), Value::String(cell.into()));
            }
        },
    }
}

fn nested(doc: &mut Map<String, Value>, object: &str, field: &str, value: Value) {
    let entry = doc.entry(object.to_string()).or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(map) = entry {
        map.insert(field.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formulas_are_neutralised_and_restored() {
        for bad in ["=1+1", "+1555", "-2", "@SUM(A1)", "\tx", "\rx"] {
            let safe = neutralise(bad.to_string());
            assert!(safe.starts_with('\''), "{bad:?}");
            assert_eq!(restore(&safe), bad);
        }
        assert_eq!(neutralise("plain".into()), "plain");
        assert_eq!(restore("'quoted"), "'quoted");
        for tricky in ["'=1", "'quoted", "''"] {
            assert_eq!(restore(&neutralise(tricky.to_string())), tricky);
        }
    }

    #[test]
    fn a_view_round_trips_through_a_row() {
        let view = json!({
            "id": "cli_x", "kind": "person", "first_name": "Ada", "last_name": "Lovelace", "name": "Ada Lovelace",
            "email": "ada@example.com", "phone": "+15551234567", "address": {"line1": "1 Elm St", "city": "Springfield"},
            "other_emails": [{"address": "a@work.example", "label": "work"}, {"address": "b@example.com"}],
            "other_phones": [], "tags": ["vip", "new"], "status": "active", "external_id": "crm-1",
            "custom_fields": {"score": 7, "tier": "gold"}, "version": 3
        });
        let layout = Layout::clients(&["score".into(), "tier".into()]);
        let header = layout.header();
        assert!(header.contains(&"address.line1".to_string()) && header.contains(&"cf.tier".to_string()));
        let row = layout.row(&view);
        assert_eq!(row[header.iter().position(|h| h == "phone").unwrap()], "'+15551234567");
        assert_eq!(row[header.iter().position(|h| h == "other_emails").unwrap()], "a@work.example (work); b@example.com");
        let doc = document(&header, &row);
        assert_eq!(doc["phone"], "+15551234567");
        assert_eq!(doc["address"]["city"], "Springfield");
        assert_eq!(doc["tags"], json!(["vip", "new"]));
        assert_eq!(doc["other_emails"], json!([{"address": "a@work.example", "label": "work"}, {"address": "b@example.com"}]));
        assert_eq!(doc["custom_fields"], json!({"score": 7, "tier": "gold"}));
        assert!(doc.get("id").is_none() && doc.get("name").is_none() && doc.get("version").is_none());
    }
}
