//! `clientele import clients|matters FILE`: every row of a CSV or NDJSON file
//! written through the batch API of a running server (non-atomic batches),
//! so validation, events and webhooks are exactly those of any other write.
//! Rows the server (or the reader) refuses go to a rejects file and the
//! import goes on. docs/bulk.md is the user's guide.
//!
//! Resuming: after each batch is answered, a checkpoint next to the input
//! records the last row of it. Each batch is sent under an `Idempotency-Key`
//! derived from the file (path, size, modification time), the batch's first
//! row and its body, so the batch a kill interrupted, sent again by
//! `--resume`, gets the server's first answer instead of being applied twice.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::checkpoint::{Checkpoint, FileIdentity, Rejects};
use super::dry_run::Checker;
use super::progress::{thousands, Counts, Progress};
use super::remote::{Patience, Remote, RemoteArgs};
use super::send::{self, Op, Sender, Sent};
use super::resolve::{ClientIndex, Reference};
use super::saved::SavedSource;
use super::source::{self, Content, Format, Kind, Row, Source, CLIENT_REFERENCES};
use crate::dialects::Dialect;
use crate::domain::custom_field::{CustomFieldFields, FieldType};
use crate::domain::email::Email;

/// Rows per batch unless `--batch-size` says otherwise.
pub const DEFAULT_BATCH: u64 = 500;
/// The largest batch body sent: the server takes 8 MiB, less room to spare.
pub(super) const MAX_BODY: usize = 8 * 1024 * 1024 - 64 * 1024;
/// The longest `external_id` a match may carry (as the server checks).
const MAX_EXTERNAL_ID: usize = 255;

/// The field `--upsert-by` matches records on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MatchField {
    Email,
    #[value(name = "external_id", alias = "external-id")]
    ExternalId,
}

impl MatchField {
    fn name(self) -> &'static str {
        match self {
            MatchField::Email => "email",
            MatchField::ExternalId => "external_id",
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// What the file holds: `clients` or `matters`.
    #[arg(value_enum)]
    pub kind: Kind,
    /// The CSV or NDJSON file.
    pub file: PathBuf,
    /// The file's format; by default its extension says (.csv; .ndjson or .jsonl).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Read the input column (or NDJSON field) COLUMN as FIELD; `COLUMN=` leaves it out. Repeatable.
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub maps: Vec<String>,
    /// Update the record this field of the row matches, or create it (an upsert). Default: create every row.
    #[arg(long, value_enum, value_name = "FIELD")]
    pub upsert_by: Option<MatchField>,
    /// Read, map and check every row (against the firm's settings and custom fields) without writing anything.
    #[arg(long, conflicts_with = "resume")]
    pub dry_run: bool,
    /// Read FILE as answers saved from this vendor's API (its list or get responses, one after another):
    /// calmintake, actuallycare, clio-grow, full-engage or clemta. The vendor's id of each record becomes its
    /// external_id, and --upsert-by is external_id unless given.
    #[arg(long, value_name = "VENDOR", value_parser = vendor, conflicts_with_all = ["format", "maps"])]
    pub from: Option<Dialect>,
    /// With --from: the currency of amounts the vendor shows without one (Clio Grow's projected_value).
    #[arg(long, value_name = "CODE", default_value = "USD", value_parser = currency, requires = "from")]
    pub currency: String,
    /// Where rejected rows are written (CSV: row,field,message). Default: FILE.rejects.csv
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Go on from the checkpoint an interrupted import of this file left.
    #[arg(long)]
    pub resume: bool,
    /// The checkpoint file. Default: FILE.clientele-checkpoint
    #[arg(long, value_name = "PATH")]
    pub checkpoint: Option<PathBuf>,
    /// Rows per batch request, 1 to 1000 [default: 500].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub batch_size: Option<u64>,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// What an import did, printed as JSON on stdout.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub kind: &'static str,
    pub file: String,
    pub dry_run: bool,
    /// Rows in the file.
    pub rows: u64,
    /// Rows a `--resume` skipped (done by the interrupted run).
    pub skipped: u64,
    pub created: u64,
    pub updated: u64,
    /// Dry run: rows that passed every local check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked: Option<u64>,
    /// Rows rejected, by this run and (on `--resume`) the interrupted one.
    pub rejected: u64,
    /// Rows with every cell empty, skipped.
    pub blank: u64,
    /// Batches the server answered from its record of an earlier sending.
    pub replayed_batches: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejects_file: Option<String>,
    pub seconds: f64,
}

fn vendor(name: &str) -> Result<Dialect, String> {
    Dialect::parse(name).ok_or_else(|| format!("one of: {}", Dialect::ALL.map(Dialect::name).join(", ")))
}

fn currency(code: &str) -> Result<String, String> {
    let valid = code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic());
    valid.then(|| code.to_ascii_uppercase()).ok_or_else(|| "an ISO 4217 code of three letters (USD, CAD, EUR …)".to_string())
}

pub async fn run(mut args: ImportArgs) -> Result<Summary, String> {
    let started = Instant::now();
    // Saved answers are JSON; the checkpoint's options name the vendor.
    let format = match args.format.or_else(|| Format::of_path(&args.file)) {
        _ if args.from.is_some() => Format::Ndjson,
        Some(format) => format,
        None => return Err(format!("say --format csv or --format ndjson: the name {} does not", args.file.display())),
    };
    if args.from.is_some() && args.upsert_by.is_none() {
        args.upsert_by = Some(MatchField::ExternalId);
    }
    let maps = source::parse_maps(&args.maps)?;
    if args.kind == Kind::Matters && args.upsert_by == Some(MatchField::Email) {
        return Err("matters are matched by external_id only: use --upsert-by external_id".into());
    }
    let identity = FileIdentity::of(&args.file)?;
    let checkpoint_path = args.checkpoint.clone().unwrap_or_else(|| beside(&args.file, ".clientele-checkpoint"));
    let rejects_path = args.rejects.clone().unwrap_or_else(|| beside(&args.file, ".rejects.csv"));
    let options = format!("maps={:?} upsert_by={:?}", args.maps, args.upsert_by.map(MatchField::name))
        + &args.from.map(|d| format!(" from={} currency={}", d.name(), args.currency)).unwrap_or_default();
    let mut batch_size = args.batch_size.unwrap_or(DEFAULT_BATCH);
    let mut start_after = 0;
    if !args.dry_run {
        match Checkpoint::load(&checkpoint_path)? {
            Some(checkpoint) if args.resume => {
                checkpoint.matches(&identity, args.kind, format, &options, &checkpoint_path)?;
                if args.batch_size.is_some_and(|n| n != checkpoint.batch_size) {
                    eprintln!("note: resuming with the interrupted import's --batch-size {}, so its batches are sent again as they were", checkpoint.batch_size);
                }
                batch_size = checkpoint.batch_size;
                start_after = checkpoint.last_row;
                eprintln!("resuming after row {} (checkpoint {})", thousands(start_after), checkpoint_path.display());
            }
            Some(checkpoint) => {
                return Err(format!(
                    "{} exists: an import of this file stopped after row {}. Run the same command with --resume to go on from there, or delete the checkpoint to start over",
                    checkpoint_path.display(),
                    checkpoint.last_row
                ))
            }
            None if args.resume => eprintln!("no checkpoint at {}: starting from the first row", checkpoint_path.display()),
            None => {}
        }
    }
    // Opening the file checks its header (and every --map) before the server is asked anything.
    let mut source = match args.from {
        Some(vendor) => Source::Saved(SavedSource::open(&args.file, vendor, args.kind, &args.currency)?),
        None => Source::open(&args.file, format, args.kind, &maps)?,
    };
    let remote = Remote::from_env(&args.remote.server)?;
    let me = remote.get("/v1/me", Patience::Short).await.map_err(|f| f.to_string())?.json()?;
    let scopes: Vec<&str> = me["data"]["scopes"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let write_scope = format!("{}:write", args.kind.as_str());
    if !args.dry_run && !scopes.iter().any(|s| *s == write_scope || *s == "admin") {
        return Err(format!("the API key in CLIENTELE_API_KEY lacks the {write_scope} scope (it has: {})", scopes.join(", ")));
    }
    let definitions = custom_field_definitions(&remote, args.kind).await?;
    source.set_text_custom_fields(
        definitions.iter().filter(|d| matches!(d.field_type, FieldType::Text | FieldType::Enum | FieldType::Date)).map(|d| d.key.clone()).collect(),
    );
    let checker = args.dry_run.then(|| Checker::new(args.kind, args.upsert_by.is_some(), &me["data"]["firm"], definitions));
    let total = match args.from {
        Some(vendor) => super::saved::count(&args.file, vendor)?,
        None => source::count(&args.file, format)?,
    };
    let rejects = Rejects::open(&rejects_path, args.resume.then_some(start_after))?;
    let summary = Summary { kind: args.kind.as_str(), file: args.file.display().to_string(), dry_run: args.dry_run, rows: total, ..Summary::default() };
    let checkpoint = (!args.dry_run).then(|| Checkpoint {
        file: identity.path.clone(),
        size: identity.size,
        modified_ns: identity.modified_ns,
        kind: args.kind,
        format,
        options,
        batch_size,
        last_row: start_after,
    });
    let sender = Sender { remote: Arc::new(remote), kind: args.kind, upsert_by: args.upsert_by, identity: Arc::new(identity) };
    let mut import = Import {
        kind: args.kind,
        upsert_by: args.upsert_by,
        sender: Arc::new(sender),
        index: ClientIndex::default(),
        checker,
        rejects,
        summary,
        done_to: start_after,
    };
    let mut progress = Progress::new("rows", Some(total), 0);
    let walked = import.walk(&mut source, batch_size as usize, start_after, checkpoint, &checkpoint_path, &mut progress).await;
    progress.end_line();
    walked?;
    if !args.dry_run {
        let _ = std::fs::remove_file(&checkpoint_path);
    }
    let mut summary = import.summary;
    summary.rejected = import.rejects.rows;
    summary.seconds = (started.elapsed().as_secs_f64() * 100.0).round() / 100.0;
    if summary.rejected > 0 {
        summary.rejects_file = Some(rejects_path.display().to_string());
        eprintln!("{} rows rejected: see {}", thousands(summary.rejected), rejects_path.display());
    } else if args.rejects.is_none() {
        let _ = std::fs::remove_file(&rejects_path);
    }
    if summary.replayed_batches > 0 {
        eprintln!(
            "{} batches were answered from the server's record of an earlier sending (within 24 hours), not applied again",
            summary.replayed_batches
        );
    }
    Ok(summary)
}

/// `FILE` + `suffix`, beside it.
pub(super) fn beside(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A rejected row's complaint: row, field, message.
pub(super) type Line = (u64, String, String);

/// One batch's place in the file, and the rows refused before sending.
struct Batch {
    last_row: u64,
    /// Rows read up to the end of this batch.
    done: u64,
    lines: Vec<Line>,
}

/// A batch sent and not yet booked.
struct InFlight {
    batch: Batch,
    keys: HashSet<String>,
    answer: tokio::task::JoinHandle<Result<Sent, String>>,
}

/// Where an import records how far it is.
struct Book<'a> {
    checkpoint: Option<Checkpoint>,
    checkpoint_path: &'a Path,
    progress: &'a mut Progress,
}

struct Import {
    kind: Kind,
    upsert_by: Option<MatchField>,
    sender: Arc<Sender>,
    index: ClientIndex,
    /// Set for a dry run: checks rows instead of sending them.
    checker: Option<Checker>,
    rejects: Rejects,
    summary: Summary,
    /// The last row of the last batch answered.
    done_to: u64,
}

impl Import {
    async fn walk(
        &mut self,
        source: &mut Source,
        batch_size: usize,
        start_after: u64,
        checkpoint: Option<Checkpoint>,
        checkpoint_path: &Path,
        progress: &mut Progress,
    ) -> Result<(), String> {
        let mut carried: Option<Row> = None;
        let mut done = 0;
        if start_after > 0 {
            while let Some(row) = source.next_row()? {
                if row.number > start_after {
                    carried = Some(row);
                    break;
                }
                done += 1;
            }
            self.summary.skipped = done;
            *progress = Progress::new("rows", Some(self.summary.rows), done);
        }
        progress.tick(&Counts { done, rejected: self.rejects.rows });
        let mut book = Book { checkpoint, checkpoint_path, progress };
        let mut flight: VecDeque<InFlight> = VecDeque::new();
        loop {
            let mut rows: Vec<Row> = carried.take().into_iter().collect();
            while rows.len() < batch_size {
                match source.next_row()? {
                    Some(row) => rows.push(row),
                    None => break,
                }
            }
            let Some(last_row) = rows.last().map(|r| r.number) else { break };
            done += rows.len() as u64;
            let (ops, mut lines) = self.prepare(rows).await?;
            if self.checker.is_some() {
                self.check(&ops, &mut lines);
                self.land(Batch { last_row, done, lines }, Sent::default(), &mut book)?;
                continue;
            }
            let keys = send::batch_identities(&ops);
            while flight.len() >= send::IN_FLIGHT || flight.iter().any(|f| !f.keys.is_disjoint(&keys)) {
                let Some(front) = flight.pop_front() else { break };
                self.land_answer(front, &mut book).await?;
            }
            let sender = self.sender.clone();
            let answer = tokio::spawn(async move { sender.send(ops).await });
            flight.push_back(InFlight { batch: Batch { last_row, done, lines }, keys, answer });
        }
        while let Some(front) = flight.pop_front() {
            self.land_answer(front, &mut book).await?;
        }
        book.progress.finish(&Counts { done, rejected: self.rejects.rows });
        Ok(())
    }

    /// Waits for the oldest batch in flight and books it.
    async fn land_answer(&mut self, flight: InFlight, book: &mut Book<'_>) -> Result<(), String> {
        let sent = match flight.answer.await {
            Ok(Ok(sent)) => sent,
            Ok(Err(failure)) => return Err(self.fatal(&failure)),
            Err(e) => return Err(self.fatal(&format!("sending a batch failed: {e}"))),
        };
        self.land(flight.batch, sent, book)
    }

    /// Books a batch, in file order: its tallies, its rejects, the checkpoint
    /// (so a resumed import starts after it) and the progress line.
    fn land(&mut self, batch: Batch, sent: Sent, book: &mut Book<'_>) -> Result<(), String> {
        self.summary.created += sent.created;
        self.summary.updated += sent.updated;
        self.summary.replayed_batches += sent.replayed_batches;
        let mut lines = batch.lines;
        lines.extend(sent.lines);
        lines.sort_by_key(|l| l.0);
        self.rejects.write(&lines)?;
        self.done_to = batch.last_row;
        if let Some(checkpoint) = book.checkpoint.as_mut() {
            checkpoint.last_row = batch.last_row;
            checkpoint.save(book.checkpoint_path)?;
        }
        book.progress.tick(&Counts { done: batch.done, rejected: self.rejects.rows });
        Ok(())
    }

    /// A dry run's checks of one batch's operations, against the firm's
    /// settings and custom fields.
    fn check(&mut self, ops: &[Op], lines: &mut Vec<Line>) {
        let Some(checker) = self.checker.as_mut() else { return };
        let checked = self.summary.checked.get_or_insert(0);
        for op in ops {
            let errors = checker.check(op.row, op.value["data"].as_object().unwrap_or(&Map::new()));
            if errors.is_empty() {
                *checked += 1;
            }
            lines.extend(errors.into_iter().map(|(f, m)| (op.row, f, m)));
        }
    }

    /// Reads and resolves one batch of rows: its operations, and the
    /// complaints about rows that could not become one.
    async fn prepare(&mut self, rows: Vec<Row>) -> Result<(Vec<Op>, Vec<Line>), String> {
        let mut lines: Vec<Line> = Vec::new();
        let mut docs: Vec<(u64, Map<String, Value>)> = Vec::new();
        for row in rows {
            match row.content {
                Content::Document(doc) => docs.push((row.number, doc)),
                Content::Unreadable(errors) => lines.extend(errors.into_iter().map(|(f, m)| (row.number, f, m))),
                Content::Blank => self.summary.blank += 1,
            }
        }
        if self.kind == Kind::Matters {
            docs = self.resolve_clients(docs, &mut lines).await?;
        }
        let mut ops = Vec::with_capacity(docs.len());
        for (row, doc) in docs {
            match self.operation(doc) {
                Ok(value) => ops.push(Op { row, value }),
                Err((field, message)) => lines.push((row, field.to_string(), message)),
            }
        }
        Ok((ops, lines))
    }

    /// The batch operation for a row: a create, or an upsert matched on `--upsert-by`.
    fn operation(&self, doc: Map<String, Value>) -> Result<Value, (&'static str, String)> {
        let Some(by) = self.upsert_by else { return Ok(json!({"op": "create", "data": doc})) };
        let field = by.name();
        let value = match doc.get(field) {
            None | Some(Value::Null) => return Err((field, format!("is required to match on (--upsert-by {field})"))),
            Some(Value::String(s)) if s.trim().is_empty() => return Err((field, format!("is required to match on (--upsert-by {field})"))),
            Some(Value::String(s)) => s.trim().to_string(),
            Some(_) => return Err((field, "must be a string".into())),
        };
        match by {
            MatchField::Email => {
                Email::parse(&value).map_err(|m| (field, m))?;
            }
            MatchField::ExternalId if value.chars().count() > MAX_EXTERNAL_ID => {
                return Err((field, format!("must be at most {MAX_EXTERNAL_ID} characters")));
            }
            MatchField::ExternalId => {}
        }
        Ok(json!({"op": "upsert", "match": {field: value}, "data": doc}))
    }

    /// Puts each matter's `client_id` in place of its `client_email` or
    /// `client_external_id`; rows whose client is not found are rejected.
    async fn resolve_clients(&mut self, docs: Vec<(u64, Map<String, Value>)>, lines: &mut Vec<Line>) -> Result<Vec<(u64, Map<String, Value>)>, String> {
        let mut refs: Vec<Option<(&'static str, Reference)>> = Vec::with_capacity(docs.len());
        let mut kept = Vec::with_capacity(docs.len());
        for (row, mut doc) in docs {
            let given: Vec<(&'static str, Value)> = CLIENT_REFERENCES.iter().filter_map(|f| doc.remove(*f).filter(|v| !v.is_null()).map(|v| (*f, v))).collect();
            let has_id = doc.get("client_id").is_some_and(|v| !v.is_null());
            let reference = match given.as_slice() {
                [] => None,
                [(field, value)] if !has_id => match value.as_str().map(|s| Reference::parse(field, s)) {
                    Some(Ok(reference)) => Some((*field, reference)),
                    Some(Err(message)) => {
                        lines.push((row, field.to_string(), message));
                        continue;
                    }
                    None => {
                        lines.push((row, field.to_string(), "must be a string".into()));
                        continue;
                    }
                },
                [(field, _), ..] => {
                    let message = "give only one of client_id, client_email and client_external_id (leave the others out with --map COLUMN=)";
                    lines.push((row, field.to_string(), message.into()));
                    continue;
                }
            };
            refs.push(reference);
            kept.push((row, doc));
        }
        let wanted: Vec<&Reference> = refs.iter().flatten().map(|(_, r)| r).collect();
        if !wanted.is_empty() {
            if let Err(failure) = self.index.look_up(&self.sender.remote, wanted).await {
                return Err(self.fatal(&format!("looking up the matters' clients: {failure}")));
            }
        }
        let mut resolved = Vec::with_capacity(kept.len());
        for ((row, mut doc), reference) in kept.into_iter().zip(refs) {
            if let Some((field, reference)) = reference {
                match self.index.get(&reference) {
                    Some(id) => {
                        doc.insert("client_id".into(), Value::String(id.to_string()));
                    }
                    None => {
                        let what = if field == "client_email" { "email" } else { "external_id" };
                        lines.push((row, field.to_string(), format!("no client of this firm has this {what}")));
                        continue;
                    }
                }
            }
            resolved.push((row, doc));
        }
        Ok(resolved)
    }

    /// A fatal error's message, with how to go on.
    fn fatal(&self, what: &str) -> String {
        if self.done_to > 0 {
            format!("{what}. Rows up to {} are done; run the same command with --resume to go on from there", self.done_to)
        } else {
            format!("{what}. Run the same command again (with --resume) once that is fixed")
        }
    }
}

/// The firm's custom field definitions for records of `kind`.
async fn custom_field_definitions(remote: &Remote, kind: Kind) -> Result<Vec<CustomFieldFields>, String> {
    let entity = match kind {
        Kind::Clients => "client",
        Kind::Matters => "matter",
    };
    let mut definitions = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("entity", entity).append_pair("limit", "100");
        if let Some(c) = &cursor {
            query.append_pair("cursor", c);
        }
        let page = remote.get(&format!("/v1/custom-fields?{}", query.finish()), Patience::Long).await.map_err(|f| format!("reading the custom fields: {f}"))?.json()?;
        for item in page["data"].as_array().into_iter().flatten() {
            definitions.push(serde_json::from_value::<CustomFieldFields>(item.clone()).map_err(|e| format!("reading the custom fields: {e}"))?);
        }
        match page["pagination"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return Ok(definitions),
        }
    }
}
