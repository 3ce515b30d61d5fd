//! SQL shared by both stores: the list query for clients, built from a
//! [`ClientQuery`] with the few fragments where SQLite and PostgreSQL differ
//! supplied by a [`SqlDialect`].

use uuid::Uuid;

use crate::domain::client::query::{ClientFilter, ClientQuery, SortField, SortValue};
use crate::domain::ids::FirmId;
use crate::domain::record::{RecordFilter, RecordKind, RecordQuery};

/// A bound parameter.
#[derive(Debug, Clone)]
pub enum SqlValue {
    Int(i64),
    Text(String),
    Id(Uuid),
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
    /// A condition that custom field `key` of `c` equals `value`. `key` has
    /// been checked to be a plain custom field key.
    fn custom_field_equals(&self, sql: &mut Sql, key: &str, value: &serde_json::Value);
    /// A top-level field of `r.doc` (a record's document) as text. `field` is
    /// a name from code, never from a request.
    fn doc_field(&self, field: &str) -> String;
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
    fn any_of(&mut self, column: &str, values: SqlList) -> &mut Self {
        let dialect = self.dialect;
        dialect.any_of(self, column, values);
        self
    }
}

/// Columns of `clients`, in the order row readers expect.
pub const CLIENT_COLUMNS: &str = "c.seq, c.id, c.firm_id, c.kind, c.first_name, c.last_name, c.name, \
    c.email, c.phone, c.address, c.other_emails, c.other_phones, c.other_addresses, c.date_of_birth, \
    c.company_id, c.status, c.tags, c.source, c.notes, c.custom_fields, \
    (SELECT count(*) FROM records m WHERE m.parent_id = c.id AND m.kind = 'matter' AND m.deleted_at IS NULL), c.version, \
    c.created_at, c.updated_at, c.deleted_at";

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

/// `SELECT count(*) …` over the same filter.
pub fn count_clients<'d>(dialect: &'d dyn SqlDialect, firm: FirmId, filter: &ClientFilter) -> Sql<'d> {
    let mut sql = Sql::new(dialect, "SELECT count(*)");
    let searched = dialect.clients_source(&mut sql, filter);
    where_clause(&mut sql, firm, filter, searched);
    sql
}

fn where_clause(sql: &mut Sql<'_>, firm: FirmId, f: &ClientFilter, searched: bool) {
    // `deleted_at IS NULL` is spelled out so the partial indexes apply.
    sql.push(" WHERE c.firm_id = ").bind(SqlValue::Id(firm.as_uuid())).push(" AND c.deleted_at IS NULL");
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

pub fn count_records<'d>(dialect: &'d dyn SqlDialect, firm: FirmId, kind: RecordKind, filter: &RecordFilter) -> Sql<'d> {
    let mut sql = Sql::new(dialect, "SELECT count(*) FROM records r");
    record_where(&mut sql, firm, kind, filter);
    sql
}

fn record_where(sql: &mut Sql<'_>, firm: FirmId, kind: RecordKind, f: &RecordFilter) {
    sql.push(" WHERE r.firm_id = ").bind(SqlValue::Id(firm.as_uuid()));
    sql.push(" AND r.kind = ").bind(SqlValue::Text(kind.as_str().into()));
    match f.deleted_at {
        Some(t) => sql.push(" AND r.deleted_at = ").bind(SqlValue::Int(t.millis())),
        None => sql.push(" AND r.deleted_at IS NULL"),
    };
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
