//! SQL shared by both stores: the writes of clients and records (their
//! columns and values, once), and the list queries, built from a
//! [`ClientQuery`] or [`RecordQuery`] with the few fragments where SQLite and
//! PostgreSQL differ supplied by a [`SqlDialect`]. Each store only binds and
//! runs them.

use uuid::Uuid;

use crate::domain::client::query::{ClientFilter, ClientQuery, SortField, SortValue};
use crate::domain::client::Client;
use crate::domain::ids::FirmId;
use crate::domain::record::{Record, RecordFilter, RecordKind, RecordQuery};
use crate::domain::time::Timestamp;

/// A bound parameter.
#[derive(Debug, Clone)]
pub enum SqlValue {
    Null,
    Int(i64),
    Text(String),
    Id(Uuid),
    /// A JSON document, already serialised (`TEXT` in SQLite, `jsonb` in
    /// PostgreSQL).
    Json(String),
    /// Any number of values as one parameter (a JSON array in SQLite, an
    /// array in PostgreSQL), so a filter on many values is still one
    /// condition of constant depth.
    List(SqlList),
}

#[derive(Debug, Clone)]
pub enum SqlList {
    Int(Vec<i64>),
    Text(Vec<String>),
    Id(Vec<Uuid>),
}

/// Where SQLite and PostgreSQL disagree.
pub trait SqlDialect: Sync {
    /// The n-th (1-based) placeholder.
    fn placeholder(&self, n: usize) -> String;
    /// A condition that `c` (the clients table) has every one of `tags`.
    fn has_tags(&self, sql: &mut Sql, tags: &[String]);
    /// A condition that `column` equals one of `values`.
    fn any_of(&self, sql: &mut Sql, column: &str, values: SqlList);
    /// A condition that `c.search_text` contains `term`.
    fn contains(&self, sql: &mut Sql, term: &crate::domain::client::query::SearchTerm);
    /// The `FROM` clause over `clients c`. A dialect may answer the search here
    /// (by driving the query from a search index) and return true, so the
    /// `WHERE` clause leaves it out.
    fn clients_source(&self, sql: &mut Sql, _filter: &ClientFilter) -> bool {
        sql.push(" FROM clients c");
        false
    }
    /// Whether a page is best found by sorting the matches' keys alone and
    /// then reading the page's rows: when many rows are sorted, not read in
    /// order from an index (SQLite's sorter copies whole rows).
    fn sorts_keys_first(&self) -> bool {
        false
    }
    /// Whether writes are built so that no statement needs a statement
    /// journal: one row per statement, no `RETURNING` (the new `seq` is the
    /// connection's last rowid instead). SQLite's are: there every statement
    /// with a statement journal makes FTS5 write its pending entries out as
    /// a segment of their own, once or twice per client (bench/README.md,
    /// "Where an import's time goes").
    fn avoids_statement_journals(&self) -> bool {
        false
    }
    /// A condition that custom field `key` of `c` equals `value`. `key` has
    /// been checked to be a plain custom field key.
    fn custom_field_equals(&self, sql: &mut Sql, key: &str, value: &serde_json::Value);
    /// A top-level field of `r.doc` (a record's document) as text. `field` is
    /// a name from code, never from a request.
    fn doc_field(&self, field: &str) -> String;
    /// A JSON document from code (never from a request) as a literal, as the
    /// store's JSON columns compare with it.
    fn json_literal(&self, json: &str) -> String;
    /// What ends a `SELECT` of rows to claim, so that writers on several
    /// nodes pass over each other's rows instead of waiting (PostgreSQL's
    /// `FOR UPDATE SKIP LOCKED`; SQLite has one writer).
    fn lock_skipping_locked(&self) -> &'static str {
        ""
    }
    /// A condition that the bytes of `column` (a blob) contain `text`'s UTF-8.
    fn bytes_contain(&self, sql: &mut Sql, column: &str, text: &str);
}

/// SQL text with its parameters.
pub struct Sql<'d> {
    pub text: String,
    pub params: Vec<SqlValue>,
    dialect: &'d dyn SqlDialect,
}

impl<'d> Sql<'d> {
    pub fn new(dialect: &'d dyn SqlDialect, text: &str) -> Self {
        Self { text: text.to_string(), params: Vec::new(), dialect }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: SqlValue) -> &mut Self {
        self.params.push(value);
        let placeholder = self.dialect.placeholder(self.params.len());
        self.text.push_str(&placeholder);
        self
    }

    /// Appends `column` equals one of `values`, as one condition.
    pub fn any_of(&mut self, column: &str, values: SqlList) -> &mut Self {
        let dialect = self.dialect;
        dialect.any_of(self, column, values);
        self
    }
}

impl SqlValue {
    fn json<T: serde::Serialize>(value: &T) -> Self {
        SqlValue::Json(serde_json::to_string(value).unwrap_or_else(|_| "null".into()))
    }

    pub fn text(value: Option<&str>) -> Self {
        value.map_or(SqlValue::Null, |s| SqlValue::Text(s.to_string()))
    }

    fn millis(value: Option<Timestamp>) -> Self {
        value.map_or(SqlValue::Null, |t| SqlValue::Int(t.millis()))
    }
}

/// The columns a client write sets, with their values for `c`.
fn client_row(c: &Client) -> [(&'static str, SqlValue); 26] {
    let f = &c.fields;
    [
        ("kind", SqlValue::Text(f.kind.as_str().into())),
        ("first_name", SqlValue::text(f.first_name.as_deref())),
        ("last_name", SqlValue::text(f.last_name.as_deref())),
        ("name", SqlValue::Text(f.display_name())),
        ("email", SqlValue::text(f.email.as_ref().map(|e| e.as_str()))),
        ("email_key", f.email.as_ref().map_or(SqlValue::Null, |e| SqlValue::Text(e.key()))),
        ("phone", SqlValue::text(f.phone.as_ref().map(|p| p.as_str()))),
        ("address", f.address.as_ref().map_or(SqlValue::Null, SqlValue::json)),
        ("other_emails", SqlValue::json(&f.other_emails)),
        ("other_phones", SqlValue::json(&f.other_phones)),
        ("other_addresses", SqlValue::json(&f.other_addresses)),
        ("date_of_birth", f.date_of_birth.map_or(SqlValue::Null, |d| SqlValue::Text(d.to_string()))),
        ("company_id", f.company_id.map_or(SqlValue::Null, |id| SqlValue::Id(id.as_uuid()))),
        ("status", SqlValue::Text(f.status.clone())),
        ("tags", SqlValue::json(&f.tags)),
        ("source", SqlValue::text(f.source.as_deref())),
        ("notes", SqlValue::text(f.notes.as_deref())),
        ("external_id", SqlValue::text(f.external_id.as_deref())),
        ("custom_fields", SqlValue::json(&f.custom_fields)),
        ("version", SqlValue::Int(c.version)),
        ("updated_at", SqlValue::Int(c.updated_at.millis())),
        ("deleted_at", SqlValue::millis(c.deleted_at)),
        ("sort_name", SqlValue::Text(f.name_key())),
        ("sort_last_name", SqlValue::Text(f.last_name_key())),
        ("search_text", SqlValue::Text(f.search_text())),
        ("merged_into", c.merged_into.map_or(SqlValue::Null, |id| SqlValue::Id(id.as_uuid()))),
    ]
}

/// The columns a record write sets, with their values for `r`.
fn record_row(r: &Record) -> [(&'static str, SqlValue); 7] {
    [
        ("parent_id", r.parent_id.map_or(SqlValue::Null, SqlValue::Id)),
        ("unique_key", SqlValue::text(r.unique_key.as_deref())),
        ("doc", SqlValue::json(&r.doc)),
        ("search_text", SqlValue::Text(r.search_text.clone())),
        ("version", SqlValue::Int(r.version)),
        ("updated_at", SqlValue::Int(r.updated_at.millis())),
        ("deleted_at", SqlValue::millis(r.deleted_at)),
    ]
}

/// `INSERT INTO table (columns) VALUES (…), (…) RETURNING seq` for rows with
/// the same columns; RETURNING gives the `seq`s in the order of the rows
/// (PostgreSQL inserts and returns them in that order). Where
/// [`SqlDialect::avoids_statement_journals`], no RETURNING, and one row per
/// statement (several would open a statement journal too).
fn insert_rows<'d>(dialect: &'d dyn SqlDialect, table: &str, rows: impl IntoIterator<Item = Vec<(&'static str, SqlValue)>>) -> Sql<'d> {
    let mut sql = Sql::new(dialect, "");
    for (n, row) in rows.into_iter().enumerate() {
        let (columns, values): (Vec<&str>, Vec<SqlValue>) = row.into_iter().unzip();
        if n == 0 {
            sql.push(&format!("INSERT INTO {table} ({}) VALUES (", columns.join(", ")));
        } else {
            sql.push(", (");
        }
        for (i, value) in values.into_iter().enumerate() {
            sql.push(if i > 0 { ", " } else { "" }).bind(value);
        }
        sql.push(")");
    }
    if !dialect.avoids_statement_journals() {
        sql.push(" RETURNING seq");
    }
    sql
}

/// `UPDATE table SET … WHERE id = … AND firm_id = … AND version = expected`.
fn update<'d>(dialect: &'d dyn SqlDialect, table: &str, row: impl IntoIterator<Item = (&'static str, SqlValue)>, id: Uuid, firm: FirmId, expected_version: i64) -> Sql<'d> {
    let mut sql = Sql::new(dialect, &format!("UPDATE {table} SET "));
    for (i, (column, value)) in row.into_iter().enumerate() {
        sql.push(if i > 0 { ", " } else { "" }).push(column).push(" = ").bind(value);
    }
    sql.push(" WHERE id = ").bind(SqlValue::Id(id));
    sql.push(" AND firm_id = ").bind(SqlValue::Id(firm.as_uuid()));
    sql.push(" AND version = ").bind(SqlValue::Int(expected_version));
    sql
}

/// Inserts a client; the statement returns its `seq`.
pub fn insert_client<'d>(dialect: &'d dyn SqlDialect, c: &Client) -> Sql<'d> {
    insert_clients(dialect, &[c])
}

/// Inserts clients in one statement (at least one); it returns their `seq`s
/// in order.
pub fn insert_clients<'d>(dialect: &'d dyn SqlDialect, clients: &[&Client]) -> Sql<'d> {
    let rows = clients.iter().map(|c| {
        let keys = [
            ("id", SqlValue::Id(c.id.as_uuid())),
            ("firm_id", SqlValue::Id(c.firm_id.as_uuid())),
            ("created_at", SqlValue::Int(c.created_at.millis())),
        ];
        client_row(c).into_iter().chain(keys).collect()
    });
    insert_rows(dialect, "clients", rows)
}

/// Writes `c` over the stored client if that is still at `expected_version`
/// (no row changed: it is not).
pub fn update_client<'d>(dialect: &'d dyn SqlDialect, c: &Client, expected_version: i64) -> Sql<'d> {
    update(dialect, "clients", client_row(c), c.id.as_uuid(), c.firm_id, expected_version)
}

/// Inserts a record; the statement returns its `seq`.
pub fn insert_record<'d>(dialect: &'d dyn SqlDialect, r: &Record) -> Sql<'d> {
    let keys = [
        ("id", SqlValue::Id(r.id)),
        ("firm_id", SqlValue::Id(r.firm_id.as_uuid())),
        ("kind", SqlValue::Text(r.kind.as_str().into())),
        ("created_at", SqlValue::Int(r.created_at.millis())),
    ];
    insert_rows(dialect, "records", [record_row(r).into_iter().chain(keys).collect()])
}

/// Writes `r` over the stored record of its kind if that is still at
/// `expected_version`.
pub fn update_record<'d>(dialect: &'d dyn SqlDialect, r: &Record, expected_version: i64) -> Sql<'d> {
    let mut sql = update(dialect, "records", record_row(r), r.id, r.firm_id, expected_version);
    sql.push(" AND kind = ").bind(SqlValue::Text(r.kind.as_str().into()));
    sql
}

/// Columns of `clients`, in the order row readers expect.
pub const CLIENT_COLUMNS: &str = "c.seq, c.id, c.firm_id, c.kind, c.first_name, c.last_name, c.name, \
    c.email, c.phone, c.address, c.other_emails, c.other_phones, c.other_addresses, c.date_of_birth, \
    c.company_id, c.status, c.tags, c.source, c.notes, c.custom_fields, \
    (SELECT count(*) FROM records m WHERE m.parent_id = c.id AND m.kind = 'matter' AND m.deleted_at IS NULL), c.version, \
    c.created_at, c.updated_at, c.deleted_at, c.external_id, c.merged_into";

fn sort_column(field: SortField) -> &'static str {
    match field {
        SortField::CreatedAt => "c.created_at",
        SortField::UpdatedAt => "c.updated_at",
        SortField::LastName => "c.sort_last_name",
        SortField::Name => "c.sort_name",
        // Unindexed: only offset-paged dialects sort by these.
        SortField::Phone => "COALESCE(c.phone, '')",
        SortField::Status => "c.status",
    }
}

fn sort_value(value: &SortValue) -> SqlValue {
    match value {
        SortValue::Millis(ms) => SqlValue::Int(*ms),
        SortValue::Text(t) => SqlValue::Text(t.clone()),
    }
}

/// `SELECT … FROM clients c WHERE … ORDER BY … LIMIT …` for one page.
pub fn list_clients<'d>(dialect: &'d dyn SqlDialect, firm: FirmId, query: &ClientQuery) -> Sql<'d> {
    let keys_first = dialect.sorts_keys_first();
    let mut sql = if keys_first {
        Sql::new(dialect, &format!("SELECT {CLIENT_COLUMNS} FROM clients c WHERE c.seq IN (SELECT c.seq"))
    } else {
        Sql::new(dialect, &format!("SELECT {CLIENT_COLUMNS}"))
    };
    let searched = dialect.clients_source(&mut sql, &query.filter);
    where_clause(&mut sql, firm, &query.filter, searched);
    let column = sort_column(query.sort.field);
    let (cmp, dir) = if query.sort.descending { ("<", "DESC") } else { (">", "ASC") };
    if let Some(after) = &query.after {
        sql.push(&format!(" AND ({column}, c.id) {cmp} ("));
        sql.bind(sort_value(&after.value)).push(", ").bind(SqlValue::Id(after.id.as_uuid())).push(")");
    }
    let order = format!(" ORDER BY {column} {dir}, c.id {dir}");
    sql.push(&order).push(" LIMIT ");
    sql.bind(SqlValue::Int(query.limit as i64));
    if query.offset > 0 {
        sql.push(" OFFSET ").bind(SqlValue::Int(query.offset as i64));
    }
    if keys_first {
        sql.push(")").push(&order);
    }
    sql
}

/// `SELECT count(*) …` over the same filter, of at most `at_most` rows.
pub fn count_clients<'d>(dialect: &'d dyn SqlDialect, firm: FirmId, filter: &ClientFilter, at_most: Option<u64>) -> Sql<'d> {
    let mut sql = Sql::new(dialect, count_head(at_most));
    let searched = dialect.clients_source(&mut sql, filter);
    where_clause(&mut sql, firm, filter, searched);
    count_tail(&mut sql, at_most);
    sql
}

/// A count stops at `at_most` rows by counting a subquery cut to them: the
/// database then stops reading once it has them.
fn count_head(at_most: Option<u64>) -> &'static str {
    if at_most.is_some() {
        "SELECT count(*) FROM (SELECT 1 AS one"
    } else {
        "SELECT count(*)"
    }
}

fn count_tail(sql: &mut Sql<'_>, at_most: Option<u64>) {
    if let Some(n) = at_most {
        sql.push(" LIMIT ").bind(SqlValue::Int(i64::try_from(n).unwrap_or(i64::MAX))).push(") AS capped");
    }
}

fn where_clause(sql: &mut Sql<'_>, firm: FirmId, f: &ClientFilter, searched: bool) {
    // `deleted_at IS NULL` is spelled out so the partial indexes apply.
    sql.push(" WHERE c.firm_id = ").bind(SqlValue::Id(firm.as_uuid()));
    sql.push(if f.merged { " AND c.merged_into IS NOT NULL" } else { " AND c.deleted_at IS NULL" });
    if !f.statuses.is_empty() {
        sql.push(" AND ").any_of("c.status", SqlList::Text(f.statuses.clone()));
    }
    if let Some(kind) = f.kind {
        sql.push(" AND c.kind = ").bind(SqlValue::Text(kind.as_str().into()));
    }
    if let Some(company) = f.company_id {
        sql.push(" AND c.company_id = ").bind(SqlValue::Id(company.as_uuid()));
    }
    let ranges = [
        ("c.created_at >= ", f.created_since),
        ("c.created_at < ", f.created_before),
        ("c.updated_at >= ", f.updated_since),
        ("c.updated_at < ", f.updated_before),
    ];
    for (condition, bound) in ranges {
        if let Some(t) = bound {
            sql.push(" AND ").push(condition).bind(SqlValue::Int(t.millis()));
        }
    }
    if !f.ids.is_empty() {
        sql.push(" AND ").any_of("c.id", SqlList::Id(f.ids.iter().map(|id| id.as_uuid()).collect()));
    }
    if !f.seqs.is_empty() {
        sql.push(" AND ").any_of("c.seq", SqlList::Int(f.seqs.clone()));
    }
    if !f.merged_into.is_empty() {
        sql.push(" AND ").any_of("c.merged_into", SqlList::Id(f.merged_into.iter().map(|id| id.as_uuid()).collect()));
    }
    if !f.external_ids.is_empty() {
        sql.push(" AND ").any_of("c.external_id", SqlList::Text(f.external_ids.clone()));
    }
    if !f.email_keys.is_empty() {
        sql.push(" AND ").any_of("c.email_key", SqlList::Text(f.email_keys.clone()));
    }
    let dialect = sql.dialect;
    if !f.tags.is_empty() {
        sql.push(" AND ");
        dialect.has_tags(sql, &f.tags);
    }
    for (key, value) in &f.custom_values {
        sql.push(" AND ");
        dialect.custom_field_equals(sql, key, value);
    }
    if let Some(term) = f.search.as_ref().filter(|_| !searched) {
        sql.push(" AND ");
        dialect.contains(sql, term);
    }
}

/// `term` as a LIKE pattern matching it anywhere, with `\` as the escape.
pub fn like_pattern(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Columns of `records`, in the order row readers expect.
pub const RECORD_COLUMNS: &str = "r.seq, r.id, r.firm_id, r.kind, r.parent_id, r.unique_key, r.doc, r.search_text, \
    r.version, r.created_at, r.updated_at, r.deleted_at";

/// One page of a firm's live records of one kind.
pub fn list_records<'d>(dialect: &'d dyn SqlDialect, firm: FirmId, kind: RecordKind, query: &RecordQuery) -> Sql<'d> {
    let mut sql = Sql::new(dialect, &format!("SELECT {RECORD_COLUMNS} FROM records r"));
    record_where(&mut sql, firm, kind, &query.filter);
    let column = if query.sort.by_updated { "r.updated_at" } else { "r.created_at" };
    let (cmp, dir) = if query.sort.descending { ("<", "DESC") } else { (">", "ASC") };
    if let Some((at, id)) = &query.after {
        sql.push(&format!(" AND ({column}, r.id) {cmp} ("));
        sql.bind(SqlValue::Int(at.millis())).push(", ").bind(SqlValue::Id(*id)).push(")");
    }
    sql.push(&format!(" ORDER BY {column} {dir}, r.id {dir} LIMIT "));
    sql.bind(SqlValue::Int(query.limit as i64));
    sql
}

pub fn count_records<'d>(dialect: &'d dyn SqlDialect, firm: FirmId, kind: RecordKind, filter: &RecordFilter, at_most: Option<u64>) -> Sql<'d> {
    let mut sql = Sql::new(dialect, count_head(at_most));
    sql.push(" FROM records r");
    record_where(&mut sql, firm, kind, filter);
    count_tail(&mut sql, at_most);
    sql
}

fn record_where(sql: &mut Sql<'_>, firm: FirmId, kind: RecordKind, f: &RecordFilter) {
    sql.push(" WHERE r.firm_id = ").bind(SqlValue::Id(firm.as_uuid()));
    sql.push(" AND r.kind = ").bind(SqlValue::Text(kind.as_str().into()));
    match f.deleted_at {
        _ if f.any_state => {}
        Some(t) => {
            sql.push(" AND r.deleted_at = ").bind(SqlValue::Int(t.millis()));
        }
        None => {
            sql.push(" AND r.deleted_at IS NULL");
        }
    }
    if let Some(parent) = f.parent_id {
        sql.push(" AND r.parent_id = ").bind(SqlValue::Id(parent));
    }
    if !f.ids.is_empty() {
        sql.push(" AND ").any_of("r.id", SqlList::Id(f.ids.clone()));
    }
    if !f.seqs.is_empty() {
        sql.push(" AND ").any_of("r.seq", SqlList::Int(f.seqs.clone()));
    }
    let dialect = sql.dialect;
    for (field, values) in &f.equals {
        sql.push(" AND ").any_of(&dialect.doc_field(field), SqlList::Text(values.clone()));
    }
    let ranges = [
        ("r.created_at >= ", f.created_since),
        ("r.created_at < ", f.created_before),
        ("r.updated_at >= ", f.updated_since),
        ("r.updated_at < ", f.updated_before),
    ];
    for (condition, bound) in ranges {
        if let Some(t) = bound {
            sql.push(" AND ").push(condition).bind(SqlValue::Int(t.millis()));
        }
    }
    if let Some(term) = &f.search {
        sql.push(" AND r.search_text LIKE ").bind(SqlValue::Text(like_pattern(term.as_str()))).push(" ESCAPE '\\'");
    }
}

/// Forgets a client's match keys (before writing them again, or for good).
pub fn delete_match_keys<'d>(dialect: &'d dyn SqlDialect, c: &Client) -> Sql<'d> {
    let mut sql = Sql::new(dialect, "DELETE FROM client_match_keys WHERE client_id = ");
    sql.bind(SqlValue::Id(c.id.as_uuid()));
    sql
}

/// Inserts a live client's match keys, one statement per key (several rows
/// in one would open a statement journal on SQLite; PostgreSQL writes keys
/// with an `unnest` of its own); none for a deleted client.
pub fn insert_match_keys<'d>(dialect: &'d dyn SqlDialect, c: &Client) -> Vec<Sql<'d>> {
    if c.deleted_at.is_some() {
        return Vec::new();
    }
    let (name, keys) = crate::domain::client::match_keys::match_keys(&c.fields);
    keys.into_iter()
        .map(|(kind, key)| {
            let mut sql = Sql::new(dialect, "INSERT INTO client_match_keys (firm_id, kind, key, client_id, name) VALUES (");
            sql.bind(SqlValue::Id(c.firm_id.as_uuid())).push(", ").bind(SqlValue::Text(kind.as_str().into())).push(", ");
            sql.bind(SqlValue::Text(key)).push(", ").bind(SqlValue::Id(c.id.as_uuid())).push(", ");
            sql.bind(SqlValue::Text(name.clone())).push(")");
            sql
        })
        .collect()
}

/// Keys of `kind` that two or more of the firm's clients share, in key
/// order after `after` (from `after` itself when `inclusive`), with how many share each.
pub fn shared_match_keys<'d>(dialect: &'d dyn SqlDialect, firm: FirmId, kind: &str, after: Option<&str>, inclusive: bool, limit: usize) -> Sql<'d> {
    let mut sql = Sql::new(dialect, "SELECT key, count(*) FROM client_match_keys WHERE firm_id = ");
    sql.bind(SqlValue::Id(firm.as_uuid())).push(" AND kind = ").bind(SqlValue::Text(kind.into()));
    if let Some(after) = after {
        sql.push(if inclusive { " AND key >= " } else { " AND key > " }).bind(SqlValue::Text(after.into()));
    }
    sql.push(" GROUP BY key HAVING count(*) > 1 ORDER BY key LIMIT ").bind(SqlValue::Int(limit as i64));
    sql
}

/// The clients (id, normalised name) sharing one key, by id, at most `limit`.
pub fn match_key_members<'d>(dialect: &'d dyn SqlDialect, firm: FirmId, kind: &str, key: &str, limit: usize) -> Sql<'d> {
    let mut sql = Sql::new(dialect, "SELECT client_id, name FROM client_match_keys WHERE firm_id = ");
    sql.bind(SqlValue::Id(firm.as_uuid())).push(" AND kind = ").bind(SqlValue::Text(kind.into()));
    sql.push(" AND key = ").bind(SqlValue::Text(key.into()));
    sql.push(" ORDER BY client_id LIMIT ").bind(SqlValue::Int(limit as i64));
    sql
}
