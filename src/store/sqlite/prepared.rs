//! What a transaction's writes need that takes no connection, worked out by
//! the caller before the writes reach the writer thread.
//!
//! Everything the one writer does holds every other write back. Building a
//! new client's row (its JSON columns, sort keys, folded email), its search
//! text and its match keys, and serialising each event's `before` and
//! `after`, needs no database, and took about a fifth of the writer's CPU in
//! an import (82 → 66 µs a row once moved; bench/README.md, "Fourth pass").
//! So the caller's thread does it, and the writer only binds and steps.

use rusqlite::{params_from_iter, Connection};

use super::queries::WRITES;
use super::rows::to_json;
use crate::store::sql::{self, Sql, SqlValue};
use crate::store::Write;

/// A transaction's writes, each with what was worked out for it.
pub struct Prepared {
    writes: Vec<(Write, Option<Ready>)>,
}

/// The connection-free part of one write.
pub enum Ready {
    NewClient { insert: Statement, search_text: String, match_keys: Vec<Statement> },
    Event { before: Option<String>, after: Option<String> },
}

/// A statement's text and parameters, without the dialect that built it.
pub struct Statement {
    text: String,
    params: Vec<SqlValue>,
}

impl From<Sql<'_>> for Statement {
    fn from(sql: Sql<'_>) -> Self {
        Self { text: sql.text, params: sql.params }
    }
}

impl Statement {
    /// Runs it (cached by its text); returns the rows it changed.
    pub fn run(&self, conn: &Connection) -> rusqlite::Result<usize> {
        conn.prepare_cached(&self.text)?.execute(params_from_iter(self.params.iter()))
    }
}

impl Prepared {
    pub fn new(writes: Vec<Write>) -> Self {
        let writes = writes
            .into_iter()
            .map(|write| {
                let ready = ready(&write);
                (write, ready)
            })
            .collect();
        Self { writes }
    }

    pub fn writes(&self) -> impl Iterator<Item = (&Write, Option<&Ready>)> {
        self.writes.iter().map(|(write, ready)| (write, ready.as_ref()))
    }
}

fn ready(write: &Write) -> Option<Ready> {
    match write {
        Write::InsertClient { client, .. } => Some(Ready::NewClient {
            insert: sql::insert_client(&WRITES, client).into(),
            search_text: client.fields.search_text(),
            match_keys: sql::insert_match_keys(&WRITES, client).into_iter().map(Statement::from).collect(),
        }),
        Write::Event(event) => Some(Ready::Event { before: event.before.as_ref().map(to_json), after: event.after.as_ref().map(to_json) }),
        _ => None,
    }
}
