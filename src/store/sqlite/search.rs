//! How a client search (`q`) is answered on SQLite: which rows the trigram
//! index is asked for, and whether its answer needs checking row by row.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};

use super::internal;
use crate::domain::client::query::{ClientFilter, SearchTerm};
use crate::store::{StoreError, StoreResult};

/// How a client search is answered. The trigram index finds a rare term's
/// rows outright; for a common term, walking the sort order and testing each
/// row finds a page of matches after a few rows, where fetching every hit
/// would touch a large share of the table.
pub enum Search {
    /// Test each row with `LIKE`: a common term in a list, or a term too
    /// short for the trigram index.
    EachRow,
    /// Rows the index found (a JSON array of `seq`s, fewer than
    /// [`HITS_BELOW`]), fetched and sorted. `exact` when they are the term's
    /// matches; otherwise they are candidates, which `LIKE` then checks.
    Hits { seqs: String, exact: bool },
    /// Rows in the index's hits: a common term in a count, which must visit
    /// every match anyway.
    InIndex,
}

/// Trigram hits (over all firms) below which a search is answered from the
/// hits themselves. Fetching h hits costs about h row reads; a walk of the
/// sort order costs about page × rows ÷ h, so the crossover is near
/// √(page × rows): 1,600 at 100k clients, 5,000 at 1M. At 2,000 and 1M
/// clients the worst case is a walk of about 12,500 rows for a page of 25.
/// Hits are counted over all firms: a term common elsewhere but rare in this
/// firm walks this firm's rows (see bench/README.md).
const HITS_BELOW: usize = 2_000;

/// Chooses how to answer `filter`'s search. A term whose rarest trigrams are
/// rare is looked up by those two alone (the index then reads two short
/// lists instead of every list of the term, some of which may hold most
/// clients), and the few candidates are checked with `LIKE`. Otherwise the
/// index is asked for the whole term once, and up to [`HITS_BELOW`] hits are
/// used as they are.
pub fn plan(conn: &Connection, filter: &ClientFilter, counting: bool, counts: &HitCounts) -> StoreResult<Search> {
    let Some(term) = filter.search.as_ref().filter(|t| t.is_indexable()) else { return Ok(Search::EachRow) };
    if let Some(rarest) = rarest_trigrams(conn, term, counts)? {
        let candidates = index_hits(conn, &rarest)?;
        if candidates.len() < HITS_BELOW {
            return Ok(Search::Hits { seqs: to_json(&candidates)?, exact: false });
        }
    }
    // A term already seen to be common is not asked about again: at 1M
    // clients, finding that `smith` has 2,000 hits was two thirds of a search
    // for it, and each next page of the search asked again.
    if counts.known(term.as_str()).is_none_or(|rows| rows < HITS_BELOW) {
        let hits = index_hits(conn, &fts_phrase(term.as_str()))?;
        if hits.len() < HITS_BELOW {
            return Ok(Search::Hits { seqs: to_json(&hits)?, exact: true });
        }
        counts.remember(term.as_str(), hits.len());
    }
    Ok(if counting { Search::InIndex } else { Search::EachRow })
}

/// A quoted FTS5 phrase over the trigram index: a substring match.
pub fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The two rarest of the term's trigrams as an FTS5 query, when at least one
/// of them has fewer than [`HITS_BELOW`] rows and the term has more than two
/// (with two or fewer the whole term costs no more to look up).
///
/// Every trigram is a substring of the term, so the rows holding both are a
/// superset of the rows holding the term, whichever two are picked: stale
/// counts can only make the lookup slower, never its answer wrong.
fn rarest_trigrams(conn: &Connection, term: &SearchTerm, counts: &HitCounts) -> StoreResult<Option<String>> {
    let chars: Vec<char> = term.as_str().chars().collect();
    let mut trigrams: Vec<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
    trigrams.sort_unstable();
    trigrams.dedup();
    if trigrams.len() <= 2 {
        return Ok(None);
    }
    let mut counted = Vec::with_capacity(trigrams.len());
    for trigram in trigrams {
        counted.push((counts.get(conn, &trigram)?, trigram));
    }
    counted.sort_unstable();
    Ok((counted[0].0 < HITS_BELOW).then(|| format!("{} AND {}", fts_phrase(&counted[0].1), fts_phrase(&counted[1].1))))
}

/// Rowids (`clients.seq`) the index matches for `query`, at most [`HITS_BELOW`].
fn index_hits(conn: &Connection, query: &str) -> StoreResult<Vec<i64>> {
    let mut st = conn.prepare_cached("SELECT rowid FROM clients_fts WHERE clients_fts MATCH ?1 LIMIT ?2").map_err(internal)?;
    st.query_map(params![query, HITS_BELOW as i64], |r| r.get::<_, i64>(0))
        .and_then(|rows| rows.collect())
        .map_err(internal)
}

fn to_json(seqs: &[i64]) -> StoreResult<String> {
    serde_json::to_string(seqs).map_err(|e| StoreError::Internal(e.to_string()))
}

/// Trigrams counted lately before the counts are forgotten: their only use is
/// to pick which trigrams to look up, so an old count costs speed, not
/// correctness.
const FORGET_AFTER: Duration = Duration::from_secs(600);
/// Counts kept at most (a few MB); past it they are all forgotten at once.
const MAX_COUNTED: usize = 100_000;

/// Rows (over all firms) the index holds for a text, capped at
/// [`HITS_BELOW`]: for trigrams, counted on first use; for searched terms,
/// remembered once one is found common. Shared by every read connection.
///
/// Only the choice of plan depends on these counts, never a search's answer:
/// every plan returns exactly the matching rows, so a stale count makes a
/// search slower, not wrong.
pub struct HitCounts {
    counted: Mutex<Counted>,
}

struct Counted {
    since: Instant,
    rows: HashMap<String, usize>,
}

impl HitCounts {
    pub fn new() -> Self {
        Self { counted: Mutex::new(Counted { since: Instant::now(), rows: HashMap::new() }) }
    }

    /// A trigram's rows, counted now if not known.
    fn get(&self, conn: &Connection, trigram: &str) -> StoreResult<usize> {
        if let Some(rows) = self.known(trigram) {
            return Ok(rows);
        }
        // Counted outside the lock: two readers may count the same trigram.
        let rows = conn
            .prepare_cached("SELECT count(*) FROM (SELECT 1 FROM clients_fts WHERE clients_fts MATCH ?1 LIMIT ?2)")
            .and_then(|mut st| st.query_row(params![fts_phrase(trigram), HITS_BELOW as i64], |r| r.get::<_, i64>(0)))
            .map_err(internal)? as usize;
        self.remember(trigram, rows);
        Ok(rows)
    }

    fn known(&self, text: &str) -> Option<usize> {
        let mut counted = self.lock();
        if counted.rows.len() >= MAX_COUNTED || counted.since.elapsed() > FORGET_AFTER {
            *counted = Counted { since: Instant::now(), rows: HashMap::new() };
        }
        counted.rows.get(text).copied()
    }

    fn remember(&self, text: &str, rows: usize) {
        self.lock().rows.insert(text.to_string(), rows.min(HITS_BELOW));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counted> {
        // The map is a cache of plain numbers: whatever a panicking holder
        // left in it is still usable.
        self.counted.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for HitCounts {
    fn default() -> Self {
        Self::new()
    }
}
