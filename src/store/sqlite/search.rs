//! How a client search (`q`) is answered on SQLite: which rows the trigram
//! index is asked for, and whether its answer needs checking row by row.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};

use super::internal;
use crate::domain::client::query::{ClientFilter, ClientQuery, SearchTerm, SortField};
use crate::domain::client::Client;
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
    /// Rows as the index finds them: a common term in a count. A count cut
    /// short reads no more hits than it counts, and a whole one looks each
    /// up by `seq` (at 1M clients 3–9× faster than `seq IN (hits)`, which
    /// builds the hit list first and then scans the firm's rows).
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

/// Whether [`newest_first`] can answer this list: a first page, newest
/// first, of an indexable search (the order lists and searches default to).
pub fn walks_newest_first(query: &ClientQuery) -> bool {
    let indexable = query.filter.search.as_ref().is_some_and(|t| t.is_indexable());
    let newest = query.sort.field == SortField::CreatedAt && query.sort.descending;
    indexable && newest && query.after.is_none() && query.offset == 0
}

/// How a first page, newest first ([`walks_newest_first`]), is found.
pub enum FirstPage {
    /// As any other page.
    Plan(Search),
    /// By [`newest_first`], over the hits of this FTS5 query: the term's
    /// matches when `exact`, else candidates that `LIKE` then checks.
    Walk { query: String, exact: bool },
}

/// Candidates below which fetching and sorting them all is cheaper than a
/// walk: the index reads its lists backwards only by loading them whole
/// (about 0.4 ms for the few thousand entries of a mid term's trigrams at
/// 100k clients, against 2.5 µs a candidate).
const WALK_ABOVE: usize = 150;
/// A term in at least one client of this many is dense enough for walking
/// the sort order and testing rows (about 25 × this many rows a page),
/// which costs less than loading the term's lists backwards.
const DENSE_ONE_IN: usize = 16;

/// Chooses between the plan any page gets and a walk: a term with a rare
/// trigram has its few candidates fetched and sorted, a dense term walks
/// the sort order, and the terms between (where both of those read
/// thousands of rows) walk the hits.
pub fn plan_first_page(conn: &Connection, filter: &ClientFilter, counts: &HitCounts) -> StoreResult<FirstPage> {
    let Some(term) = filter.search.as_ref().filter(|t| t.is_indexable()) else {
        return Ok(FirstPage::Plan(plan(conn, filter, false, counts)?));
    };
    let counted = counted_trigrams(conn, term, counts)?.unwrap_or_default();
    let rarest = counted.first().map_or(0, |(rows, _)| *rows);
    if rarest < WALK_ABOVE || counts.dense(conn, term)? {
        return Ok(FirstPage::Plan(plan(conn, filter, false, counts)?));
    }
    // The index reads each list of the query whole to walk it backwards, so
    // a rare trigram alone is cheaper than the term with its common ones,
    // unless most of its rows don't hold the term.
    let alone = match counted.first() {
        Some((rows, trigram)) if counted.len() > 1 => *rows < HITS_BELOW || mostly_hits(conn, counts, trigram, term)?,
        _ => false,
    };
    Ok(match alone {
        true => FirstPage::Walk { query: fts_phrase(&counted[0].1), exact: false },
        false => FirstPage::Walk { query: fts_phrase(term.as_str()), exact: true },
    })
}

/// Candidates a walk may read for each hit it finds.
const CANDIDATES_A_HIT: usize = 4;

/// Whether at least one row in [`CANDIDATES_A_HIT`] of `trigram`'s holds
/// `term` (which is not dense, so its count is exact).
fn mostly_hits(conn: &Connection, counts: &HitCounts, trigram: &str, term: &SearchTerm) -> StoreResult<bool> {
    let (hits, _) = counts.wide(conn, term.as_str())?;
    let (rows, enough) = counts.wide(conn, trigram)?;
    Ok(rows < enough && rows <= CANDIDATES_A_HIT * hits)
}

/// Hits read in the first step of [`newest_first`]; each next step reads
/// twice as many.
const WALK_FIRST: usize = 64;
/// Hits [`newest_first`] reads before it leaves the search to [`plan`]: a
/// term common in other firms but rare in this one.
const WALK_MOST: usize = 4 * HITS_BELOW;

/// # Newest first
///
/// The first page of a search in `-created_at` order, from the index's hits
/// (of `hits`, an FTS5 query: the term's matches if `exact`, else
/// candidates) in descending `seq` (the order the index keeps them in), a step at a
/// time, each step's rows filtered and sorted by `page_of` (a
/// [`Search::Hits`] list of them). It stops once it holds a page and no
/// client below the step can beat the page's last: none was created after
/// the ceiling of the client just below (`clients_late`, migration 14).
/// Clients are inserted in nearly the order of their `created_at`, so that
/// is a step or two whatever the term's number of hits, where sorting every
/// hit cost about 2.5 µs a hit and walking the sort order about N ÷ hits
/// rows a match. `None` after [`WALK_MOST`] hits without a page.
pub fn newest_first(
    conn: &Connection,
    query: &ClientQuery,
    (hits, exact): (&str, bool),
    mut page_of: impl FnMut(Search) -> StoreResult<Vec<Client>>,
) -> StoreResult<Option<Vec<Client>>> {
    let (mut below, mut step, mut read) = (i64::MAX, WALK_FIRST.max(2 * query.limit), 0);
    let mut page: Vec<Client> = Vec::with_capacity(2 * query.limit);
    loop {
        let seqs = hits_below(conn, hits, below, step)?;
        read += seqs.len();
        page.extend(page_of(Search::Hits { seqs: to_json(&seqs)?, exact })?);
        // As the list's `ORDER BY created_at DESC, id DESC`.
        page.sort_unstable_by(|a, b| (b.created_at.millis(), b.id).cmp(&(a.created_at.millis(), a.id)));
        page.truncate(query.limit);
        let Some(&lowest) = seqs.last().filter(|_| seqs.len() == step) else { return Ok(Some(page)) };
        if let Some(last) = page.get(query.limit.saturating_sub(1)).filter(|_| page.len() == query.limit) {
            match ceiling_below(conn, lowest)? {
                Some(ceiling) if ceiling >= last.created_at.millis() => {}
                _ => return Ok(Some(page)),
            }
        }
        if read >= WALK_MOST {
            return Ok(None);
        }
        (below, step) = (lowest, step * 2);
    }
}

/// Up to `n` of the index's hits for `phrase` below `seq`, highest first.
fn hits_below(conn: &Connection, phrase: &str, seq: i64, n: usize) -> StoreResult<Vec<i64>> {
    let mut st = conn
        .prepare_cached("SELECT rowid FROM clients_fts WHERE clients_fts MATCH ?1 AND rowid < ?2 ORDER BY rowid DESC LIMIT ?3")
        .map_err(internal)?;
    st.query_map(params![phrase, seq, n as i64], |r| r.get::<_, i64>(0))
        .and_then(|rows| rows.collect())
        .map_err(internal)
}

/// The ceiling of the client just below `seq`: the latest `created_at`
/// among the clients below `seq`. `None` when there is none.
fn ceiling_below(conn: &Connection, seq: i64) -> StoreResult<Option<i64>> {
    conn.prepare_cached(
        "SELECT coalesce(l.ceiling, c.created_at) FROM clients c LEFT JOIN clients_late l ON l.seq = c.seq \
         WHERE c.seq < ?1 ORDER BY c.seq DESC LIMIT 1",
    )
    .and_then(|mut st| st.query_row(params![seq], |r| r.get::<_, i64>(0)).optional())
    .map_err(internal)
}

/// Notes a client the writer just inserted as late if a client below it was
/// created after it. Two statements, not one `INSERT … SELECT`: that could
/// insert several rows, so it would need a statement journal, at which FTS5
/// writes out its pending entries (migration 12).
pub fn note_if_late(conn: &Connection, seq: i64, created_at: i64) -> StoreResult<()> {
    match ceiling_below(conn, seq)? {
        Some(ceiling) if ceiling > created_at => conn
            .prepare_cached("INSERT INTO clients_late (seq, ceiling) VALUES (?1, ?2)")
            .and_then(|mut st| st.execute(params![seq, ceiling]))
            .map(|_| ())
            .map_err(internal),
        _ => Ok(()),
    }
}

/// A quoted FTS5 phrase over the trigram index: a substring match.
pub fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The rarest of the term's trigrams as an FTS5 query, when it has fewer
/// than [`HITS_BELOW`] rows and the term has more than two (with two or
/// fewer the whole term costs no more to look up): alone when it has fewer
/// than [`WALK_ABOVE`], else with the next rarest (so that two lists narrow
/// the candidates), but then a common second list costs most of the lookup.
///
/// Every trigram is a substring of the term, so the rows holding both are a
/// superset of the rows holding the term, whichever two are picked: stale
/// counts can only make the lookup slower, never its answer wrong.
fn rarest_trigrams(conn: &Connection, term: &SearchTerm, counts: &HitCounts) -> StoreResult<Option<String>> {
    let Some(counted) = counted_trigrams(conn, term, counts)?.filter(|c| c.len() > 2) else { return Ok(None) };
    Ok(match counted[0].0 {
        rows if rows < WALK_ABOVE => Some(fts_phrase(&counted[0].1)),
        rows if rows < HITS_BELOW => Some(format!("{} AND {}", fts_phrase(&counted[0].1), fts_phrase(&counted[1].1))),
        _ => None,
    })
}

/// The term's distinct trigrams with their rows (capped at
/// [`HITS_BELOW`]), rarest first; `None` for a term too short to have one.
fn counted_trigrams(conn: &Connection, term: &SearchTerm, counts: &HitCounts) -> StoreResult<Option<Vec<(usize, String)>>> {
    let chars: Vec<char> = term.as_str().chars().collect();
    let mut trigrams: Vec<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
    trigrams.sort_unstable();
    trigrams.dedup();
    if trigrams.is_empty() {
        return Ok(None);
    }
    let mut counted = Vec::with_capacity(trigrams.len());
    for trigram in trigrams {
        counted.push((counts.get(conn, &trigram)?, trigram));
    }
    counted.sort_unstable();
    Ok(Some(counted))
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
    /// [`HitCounts::wide`]'s counts, with their cap.
    wide: HashMap<String, (usize, usize)>,
}

impl Counted {
    fn new() -> Self {
        Self { since: Instant::now(), rows: HashMap::new(), wide: HashMap::new() }
    }
}

impl HitCounts {
    pub fn new() -> Self {
        Self { counted: Mutex::new(Counted::new()) }
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
        if counted.rows.len() + counted.wide.len() >= MAX_COUNTED || counted.since.elapsed() > FORGET_AFTER {
            *counted = Counted::new();
        }
        counted.rows.get(text).copied()
    }

    /// Whether at least one client in [`DENSE_ONE_IN`] (over all firms)
    /// holds `term`.
    fn dense(&self, conn: &Connection, term: &SearchTerm) -> StoreResult<bool> {
        let (rows, enough) = self.wide(conn, term.as_str())?;
        Ok(rows >= enough)
    }

    /// A text's rows (over all firms) up to one in [`DENSE_ONE_IN`] of all
    /// clients (at least [`HITS_BELOW`]), with that cap; counted on first use:
    /// up to 62,500 hits at 1M clients, some 10 ms once in [`FORGET_AFTER`].
    fn wide(&self, conn: &Connection, text: &str) -> StoreResult<(usize, usize)> {
        self.known(text);
        if let Some(known) = self.lock().wide.get(text) {
            return Ok(*known);
        }
        let clients: i64 = conn.query_row("SELECT coalesce(max(seq), 0) FROM clients", [], |r| r.get(0)).map_err(internal)?;
        let enough = (clients as usize / DENSE_ONE_IN).max(HITS_BELOW);
        let rows = conn
            .prepare_cached("SELECT count(*) FROM (SELECT 1 FROM clients_fts WHERE clients_fts MATCH ?1 LIMIT ?2)")
            .and_then(|mut st| st.query_row(params![fts_phrase(text), enough as i64], |r| r.get::<_, i64>(0)))
            .map_err(internal)? as usize;
        self.lock().wide.insert(text.to_string(), (rows, enough));
        Ok((rows, enough))
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

#[cfg(test)]
mod tests {
    use rusqlite::Connection;
    use serde_json::json;

    use super::super::prepared::Prepared;
    use super::super::{migrations, queries};
    use super::*;
    use crate::domain::client::parse_document;
    use crate::domain::client::query::ClientSort;
    use crate::domain::firm::FirmSettings;
    use crate::domain::ids::{ClientId, FirmId};
    use crate::domain::time::Timestamp;
    use crate::store::Write;

    /// Firms are not needed here: their foreign keys are off.
    fn migrated() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations::apply(&mut conn).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        conn
    }

    fn insert(conn: &Connection, firm: FirmId, n: u64, created_at: i64, deleted: bool) -> Client {
        insert_named(conn, firm, (&format!("Quill{n}"), "Walker"), created_at, deleted)
    }

    fn insert_named(conn: &Connection, firm: FirmId, (first, last): (&str, &str), created_at: i64, deleted: bool) -> Client {
        let doc = json!({"kind": "person", "first_name": first, "last_name": last});
        let fields = parse_document(doc.as_object().unwrap(), &FirmSettings::default()).unwrap();
        let at = Timestamp::from_millis(created_at);
        let client = Client {
            id: ClientId::generate(),
            firm_id: firm,
            seq: 0,
            fields,
            matters_count: 0,
            version: 1,
            created_at: at,
            updated_at: at,
            deleted_at: deleted.then_some(at),
            merged_into: None,
        };
        queries::apply(conn, &Prepared::new(vec![Write::insert_client(&client)])).unwrap();
        client
    }

    /// Clients of `firm` and of another, inserted out of the order of their
    /// `created_at` by `insert`; returns `firm`'s live ones, newest first.
    fn out_of_order(conn: &Connection, (firm, other): (FirmId, FirmId), insert: impl Fn(&Connection, FirmId, u64, i64, bool) -> Client) -> Vec<Client> {
        let mut ours = Vec::new();
        for n in 0..600u64 {
            let jitter = (n * 7919 % 13) as i64;
            let created_at = match n % 50 {
                7 => 1_000 + (n as i64) * 10 + 4_000,
                23 => 1_000,
                _ => 1_000 + (n as i64) * 10 - jitter,
            };
            let (owner, deleted) = if n % 3 == 1 { (other, false) } else { (firm, n % 17 == 0) };
            let client = insert(conn, owner, n, created_at, deleted);
            if owner == firm && !deleted {
                ours.push(client);
            }
        }
        let late: i64 = conn.query_row("SELECT count(*) FROM clients_late", [], |r| r.get(0)).unwrap();
        assert!(late > 100, "the inserts were meant to be out of order ({late} late)");
        ours.sort_by(|a, b| (b.created_at.millis(), b.id).cmp(&(a.created_at.millis(), a.id)));
        ours
    }

    fn first_pages_match(conn: &Connection, firm: FirmId, term: &str, ours: &[Client], exact: bool) {
        for limit in [1, 5, 25, 100, 500] {
            let filter = ClientFilter { search: SearchTerm::new(term), ..ClientFilter::default() };
            let query = ClientQuery { filter, sort: ClientSort::default(), after: None, offset: 0, limit };
            assert!(walks_newest_first(&query));
            let walk = plan_first_page(conn, &query.filter, &HitCounts::new()).unwrap();
            assert!(matches!(walk, FirstPage::Walk { exact: e, .. } if e == exact), "{term} walks its {} hits", if exact { "own" } else { "candidate" });
            let page = queries::list_clients(conn, firm, &query, &HitCounts::new()).unwrap();
            let got: Vec<ClientId> = page.iter().map(|c| c.id).collect();
            let want: Vec<ClientId> = ours.iter().take(limit).map(|c| c.id).collect();
            assert_eq!(got, want, "page of {limit}");
        }
    }

    /// Clients inserted out of the order of their `created_at`: mostly
    /// nearly in order, some created long before their insert, and some
    /// "from the future", created after every client inserted after them.
    /// The walk must find exactly the page that sorting every hit finds.
    /// 600 hits of a rare trigram: too many to sort, too few to walk the
    /// sort order, so the walk reads candidates.
    #[test]
    fn the_newest_first_walk_finds_the_page_that_sorting_every_hit_finds() {
        let conn = migrated();
        let firm = FirmId::generate();
        let ours = out_of_order(&conn, (firm, FirmId::generate()), insert);
        first_pages_match(&conn, firm, "quill", &ours, false);
    }

    /// Each of the term's trigrams is in thousands of clients that do not
    /// hold the term: the walk reads the term's own hits.
    #[test]
    fn a_term_of_common_trigrams_walks_its_own_hits_to_the_same_page() {
        let conn = migrated();
        let firm = FirmId::generate();
        for n in 0..2_100 {
            insert_named(&conn, firm, ("Quiver", "Guild-Stilt"), n, false);
        }
        let quilt = |conn: &Connection, owner, n, created_at, deleted| insert_named(conn, owner, (&format!("Quilt{n}"), "Walker"), 100_000 + created_at, deleted);
        let ours = out_of_order(&conn, (firm, FirmId::generate()), quilt);
        first_pages_match(&conn, firm, "quilt", &ours, true);
    }

    #[test]
    fn a_client_inserted_after_a_later_one_is_noted_with_the_latest_created_at_below_it() {
        let conn = migrated();
        let firm = FirmId::generate();
        for (n, created_at) in [5_000, 9_000, 7_000, 8_000, 9_500, 9_400].into_iter().enumerate() {
            insert(&conn, firm, n as u64, created_at, false);
        }
        let late: Vec<(i64, i64)> = conn
            .prepare("SELECT seq, ceiling FROM clients_late ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(late, vec![(3, 9_000), (4, 9_000), (6, 9_500)]);
        // What migration 14 computes for rows already there is the same.
        conn.execute("DELETE FROM clients_late", []).unwrap();
        let backfill = include_str!("../../../migrations/sqlite/0014_clients_late.sql");
        let insert = &backfill[backfill.find("INSERT INTO clients_late").unwrap()..backfill.find("-- A purged").unwrap()];
        conn.execute_batch(insert).unwrap();
        let again: i64 = conn.query_row("SELECT count(*) FROM clients_late WHERE (seq, ceiling) IN (VALUES (3, 9000), (4, 9000), (6, 9500))", [], |r| r.get(0)).unwrap();
        let all: i64 = conn.query_row("SELECT count(*) FROM clients_late", [], |r| r.get(0)).unwrap();
        assert_eq!((again, all), (3, 3));
    }
}
