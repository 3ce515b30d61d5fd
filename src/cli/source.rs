//! Reading an import file into documents, one row at a time: CSV in the
//! column layout of `domain::tabular` (quoted fields, embedded newlines, a
//! UTF-8 BOM, `,`, `;` or tab between cells, sniffed from the header), or
//! NDJSON (one record a line, as `export` writes them).

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde_json::{Map, Value};

use crate::domain::tabular::{self, Layout};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Clients,
    Matters,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Clients => "clients",
            Kind::Matters => "matters",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }

    /// The format a file's name says: `.csv`, `.tsv`; `.ndjson`, `.jsonl`, `.json`.
    pub fn of_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" | "tsv" => Some(Format::Csv),
            "ndjson" | "jsonl" | "json" => Some(Format::Ndjson),
            _ => None,
        }
    }
}

/// Columns (or NDJSON fields) that name a matter's client by another of its
/// fields; the import resolves them to `client_id`.
pub const CLIENT_REFERENCES: [&str; 2] = ["client_email", "client_external_id"];

/// What `--map column=field` asks: rename a column, or (`column=`) drop it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    pub from: String,
    pub to: Option<String>,
}

pub fn parse_maps(maps: &[String]) -> Result<Vec<Rename>, String> {
    maps.iter()
        .map(|m| {
            let (from, to) = m.rsplit_once('=').ok_or_else(|| format!("--map `{m}` must be COLUMN=FIELD (or COLUMN= to leave the column out)"))?;
            let from = from.trim();
            if from.is_empty() {
                return Err(format!("--map `{m}` names no column"));
            }
            let to = to.trim();
            Ok(Rename { from: from.to_string(), to: (!to.is_empty()).then(|| to.to_string()) })
        })
        .collect()
}

/// One row of the input.
#[derive(Debug)]
pub struct Row {
    /// CSV: the 1-based data row (the header is not counted; a row with an
    /// embedded newline is one row). NDJSON: the 1-based line number.
    pub number: u64,
    pub content: Content,
}

#[derive(Debug)]
pub enum Content {
    /// A create document (before a matter's client is resolved).
    Document(Map<String, Value>),
    /// What is wrong with the row, field by field (`""` for the row itself).
    Unreadable(Vec<(String, String)>),
    /// A row with every cell empty: skipped.
    Blank,
}

pub enum Source {
    Csv(CsvSource),
    Ndjson(NdjsonSource),
    Saved(super::saved::SavedSource),
}

impl Source {
    pub fn open(path: &Path, format: Format, kind: Kind, maps: &[Rename]) -> Result<Source, String> {
        match format {
            Format::Csv => CsvSource::open(path, kind, maps).map(Source::Csv),
            Format::Ndjson => NdjsonSource::open(path, kind, maps).map(Source::Ndjson),
        }
    }

    /// The keys of the firm's custom fields whose values are text (types
    /// text, enum, date): their CSV cells are taken as they are, never read
    /// as JSON (`12345` stays a string, as the definition wants).
    pub fn set_text_custom_fields(&mut self, keys: HashSet<String>) {
        if let Source::Csv(s) = self {
            s.text_custom = keys;
        }
    }

    /// The next row, `None` at the end; `Err` when the file cannot be read.
    pub fn next_row(&mut self) -> Result<Option<Row>, String> {
        match self {
            Source::Csv(s) => s.next_row(),
            Source::Ndjson(s) => s.next_row(),
            Source::Saved(s) => s.next_row(),
        }
    }
}

/// The rows of a file, counted without reading them into documents.
pub fn count(path: &Path, format: Format) -> Result<u64, String> {
    let reader = open_skipping_bom(path)?;
    match format {
        Format::Csv => {
            let (mut csv, _) = csv_reader(reader, path)?;
            let mut record = csv::ByteRecord::new();
            let mut n = 0;
            while csv.read_byte_record(&mut record).map_err(|e| read_error(path, e))? {
                n += 1;
            }
            Ok(n)
        }
        Format::Ndjson => {
            let mut n = 0;
            for line in reader.split(b'\n') {
                let line = line.map_err(|e| format!("reading {}: {e}", path.display()))?;
                if !line.trim_ascii().is_empty() {
                    n += 1;
                }
            }
            Ok(n)
        }
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

pub fn open_skipping_bom(path: &Path) -> Result<BufReader<File>, String> {
    let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let start = reader.fill_buf().map_err(|e| format!("reading {}: {e}", path.display()))?;
    if start.starts_with(BOM) {
        reader.consume(BOM.len());
    }
    Ok(reader)
}

fn read_error(path: &Path, e: csv::Error) -> String {
    format!("reading {}: {e}", path.display())
}

/// A CSV reader with the delimiter the header line uses.
fn csv_reader(mut reader: BufReader<File>, path: &Path) -> Result<(csv::Reader<BufReader<File>>, u8), String> {
    let start = reader.fill_buf().map_err(|e| format!("reading {}: {e}", path.display()))?;
    let delimiter = sniff_delimiter(start);
    let csv = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(true).from_reader(reader);
    Ok((csv, delimiter))
}

/// `,`, `;` or a tab: whichever the header line (up to its first newline
/// outside quotes) has most of, outside quotes; `,` when none.
pub fn sniff_delimiter(start: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in start {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(entry) = counts.iter_mut().find(|(d, _)| *d == b) {
                    entry.1 += 1;
                }
            }
            _ => {}
        }
    }
    counts.iter().filter(|(_, n)| *n > 0).max_by_key(|(_, n)| *n).map(|(d, _)| *d).unwrap_or(b',')
}

/// The column names an import of `kind` accepts (besides `cf.<key>`).
fn known_columns(kind: Kind) -> Vec<String> {
    match kind {
        Kind::Clients => Layout::clients(&[]).header(),
        Kind::Matters => {
            let mut columns = Layout::matters(&[]).header();
            columns.extend(CLIENT_REFERENCES.map(String::from));
            columns
        }
    }
}

fn is_known(known: &[String], name: &str) -> bool {
    known.iter().any(|k| k == name) || name.strip_prefix("cf.").is_some_and(|key| !key.is_empty())
}

pub struct CsvSource {
    csv: csv::Reader<BufReader<File>>,
    /// The column names after `--map`, of the columns kept.
    header: Vec<String>,
    /// Which input column each kept column is.
    kept: Vec<usize>,
    /// Cells in the header line.
    width: usize,
    record: csv::ByteRecord,
    number: u64,
    path: std::path::PathBuf,
    text_custom: HashSet<String>,
}

impl CsvSource {
    fn open(path: &Path, kind: Kind, maps: &[Rename]) -> Result<Self, String> {
        let (mut csv, _) = csv_reader(open_skipping_bom(path)?, path)?;
        let raw = csv.byte_headers().map_err(|e| read_error(path, e))?.clone();
        if raw.is_empty() || raw.iter().all(|c| c.trim_ascii().is_empty()) {
            return Err(format!("{} has no header line (the first line names the columns)", path.display()));
        }
        let names: Vec<String> = raw
            .iter()
            .enumerate()
            .map(|(i, c)| String::from_utf8(c.to_vec()).map(|s| s.trim().to_string()).map_err(|_| format!("column {} of the header is not UTF-8", i + 1)))
            .collect::<Result<_, _>>()?;
        let (header, kept) = map_columns(&names, kind, maps)?;
        Ok(Self {
            csv,
            header,
            kept,
            width: names.len(),
            record: csv::ByteRecord::new(),
            number: 0,
            path: path.to_path_buf(),
            text_custom: HashSet::new(),
        })
    }

    fn next_row(&mut self) -> Result<Option<Row>, String> {
        if !self.csv.read_byte_record(&mut self.record).map_err(|e| read_error(&self.path, e))? {
            return Ok(None);
        }
        self.number += 1;
        let number = self.number;
        if self.record.len() > self.width && self.record.iter().skip(self.width).any(|c| !c.trim_ascii().is_empty()) {
            let message = format!("has {} cells; the header has {}", self.record.len(), self.width);
            return Ok(Some(Row { number, content: Content::Unreadable(vec![(String::new(), message)]) }));
        }
        if self.record.iter().all(|c| c.trim_ascii().is_empty()) {
            return Ok(Some(Row { number, content: Content::Blank }));
        }
        let mut cells = Vec::with_capacity(self.kept.len());
        let mut errors = Vec::new();
        for (name, &i) in self.header.iter().zip(&self.kept) {
            // A short row (a spreadsheet drops trailing empty cells) has
            // empty cells for the rest.
            let bytes = self.record.get(i).unwrap_or_default();
            match std::str::from_utf8(bytes) {
                Ok(cell) => cells.push(cell.to_string()),
                Err(_) => {
                    errors.push((name.clone(), "is not valid UTF-8 (save the file as UTF-8)".to_string()));
                    cells.push(String::new());
                }
            }
        }
        if !errors.is_empty() {
            return Ok(Some(Row { number, content: Content::Unreadable(errors) }));
        }
        let mut doc = tabular::document(&self.header, &cells);
        for (name, cell) in self.header.iter().zip(&cells) {
            let Some(key) = name.strip_prefix("cf.").filter(|k| self.text_custom.contains(*k)) else { continue };
            let text = tabular::restore(cell.trim_end_matches(['\r', '\n']));
            if let (false, Some(Value::Object(custom))) = (text.is_empty(), doc.get_mut("custom_fields")) {
                custom.insert(key.to_string(), Value::String(text.to_string()));
            }
        }
        Ok(Some(Row { number, content: Content::Document(doc) }))
    }
}

/// The kept columns' names after `--map`, and their positions.
fn map_columns(names: &[String], kind: Kind, maps: &[Rename]) -> Result<(Vec<String>, Vec<usize>), String> {
    let mut mapped: Vec<Option<String>> = names.iter().map(|n| Some(n.clone())).collect();
    for rename in maps {
        let Some(i) = names.iter().position(|n| *n == rename.from) else {
            return Err(format!("--map {}=…: the header has no column `{}` (it has: {})", rename.from, rename.from, names.join(", ")));
        };
        mapped[i] = rename.to.clone();
    }
    let known = known_columns(kind);
    let mut seen = HashSet::new();
    let mut header = Vec::new();
    let mut kept = Vec::new();
    for (i, name) in mapped.into_iter().enumerate() {
        let Some(name) = name else { continue };
        if name.is_empty() {
            return Err(format!("column {} of the header has no name; name it with --map, or leave it out with --map =", i + 1));
        }
        if !is_known(&known, &name) {
            return Err(format!(
                "column `{name}` is not a {} field: rename it with --map '{name}=FIELD' or leave it out with --map '{name}=' (the fields: {}, cf.<key>)",
                singular(kind),
                known.join(", ")
            ));
        }
        if !seen.insert(name.clone()) {
            return Err(format!("two columns are `{name}`; leave one out with --map"));
        }
        header.push(name);
        kept.push(i);
    }
    Ok((header, kept))
}

fn singular(kind: Kind) -> &'static str {
    match kind {
        Kind::Clients => "client",
        Kind::Matters => "matter",
    }
}

pub struct NdjsonSource {
    reader: BufReader<File>,
    kind: Kind,
    maps: Vec<Rename>,
    line: Vec<u8>,
    number: u64,
    path: std::path::PathBuf,
}

impl NdjsonSource {
    fn open(path: &Path, kind: Kind, maps: &[Rename]) -> Result<Self, String> {
        let reader = open_skipping_bom(path)?;
        Ok(Self { reader, kind, maps: maps.to_vec(), line: Vec::new(), number: 0, path: path.to_path_buf() })
    }

    fn next_row(&mut self) -> Result<Option<Row>, String> {
        loop {
            self.line.clear();
            let read = self.reader.read_until(b'\n', &mut self.line).map_err(|e| format!("reading {}: {e}", self.path.display()))?;
            if read == 0 {
                return Ok(None);
            }
            self.number += 1;
            if self.line.trim_ascii().is_empty() {
                continue;
            }
            let content = match serde_json::from_slice::<Value>(self.line.trim_ascii()) {
                Ok(Value::Object(object)) => Content::Document(writable(object, self.kind, &self.maps)),
                Ok(other) => Content::Unreadable(vec![(String::new(), format!("is not a JSON object but {}", crate::domain::input::kind_of(&other)))]),
                Err(e) => Content::Unreadable(vec![(String::new(), format!("is not valid JSON: {e}"))]),
            };
            return Ok(Some(Row { number: self.number, content }));
        }
    }
}

/// A record as export writes it, as a create document: `--map` applied, the
/// fields the server owns left out.
pub fn writable(mut object: Map<String, Value>, kind: Kind, maps: &[Rename]) -> Map<String, Value> {
    for rename in maps {
        if let Some(value) = object.remove(&rename.from) {
            if let Some(to) = &rename.to {
                object.insert(to.clone(), value);
            }
        }
    }
    let owned: &[&str] = match kind {
        // `phone_verified` is the server's finding, which may differ on a
        // server whose firm has another phone region.
        Kind::Clients => &["id", "version", "created_at", "updated_at", "deleted_at", "matters_count", "phone_verified"],
        Kind::Matters => &["id", "version", "created_at", "updated_at", "deleted_at", "lead_id"],
    };
    for field in owned {
        object.remove(*field);
    }
    // A person's name is derived from first and last name.
    if kind == Kind::Clients && object.get("kind").and_then(Value::as_str) != Some("company") {
        object.remove("name");
    }
    object
}

/// Reads all of `reader` (for tests).
#[cfg(test)]
fn rows_of(text: &[u8], format: Format, kind: Kind, maps: &[Rename]) -> Vec<Row> {
    let dir = std::env::temp_dir().join(format!("clientele-source-{}", ulid::Ulid::new()));
    std::fs::write(&dir, text).unwrap();
    let mut source = Source::open(&dir, format, kind, maps).unwrap();
    let mut rows = Vec::new();
    while let Some(row) = source.next_row().unwrap() {
        rows.push(row);
    }
    assert_eq!(count(&dir, format).unwrap(), rows.len() as u64);
    let _ = std::fs::remove_file(&dir);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(row: &Row) -> &Map<String, Value> {
        match &row.content {
            Content::Document(d) => d,
            other => panic!("row {}: {other:?}", row.number),
        }
    }

    #[test]
    fn the_delimiter_is_sniffed_from_the_header() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1;2;3;4;5"), b',');
        assert_eq!(sniff_delimiter(b"a;b;\"c,d,e\"\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter(b"single"), b',');
    }

    #[test]
    fn csv_with_a_bom_semicolons_quotes_and_newlines() {
        let text = "\u{feff}first_name;last_name;notes;tags\nAda;\"Love;lace\";\"two\nlines\";\"vip; new\"\n;;;\nGrace;Hopper;;\n";
        let rows = rows_of(text.as_bytes(), Format::Csv, Kind::Clients, &[]);
        assert_eq!(rows.len(), 3);
        assert_eq!(doc(&rows[0])["last_name"], "Love;lace");
        assert_eq!(doc(&rows[0])["notes"], "two\nlines");
        assert_eq!(doc(&rows[0])["tags"], json!(["vip", "new"]));
        assert!(matches!(rows[1].content, Content::Blank));
        assert_eq!(rows[2].number, 3);
        assert_eq!(doc(&rows[2])["first_name"], "Grace");
    }

    #[test]
    fn columns_are_mapped_dropped_or_refused() {
        let maps = parse_maps(&["First=first_name".into(), "Surname=last_name".into(), "Ignore=".into()]).unwrap();
        let rows = rows_of(b"First,Surname,Ignore\nAda,L,x\n", Format::Csv, Kind::Clients, &maps);
        assert_eq!(doc(&rows[0]), json!({"first_name": "Ada", "last_name": "L"}).as_object().unwrap());
        let dir = std::env::temp_dir().join(format!("clientele-source-{}", ulid::Ulid::new()));
        std::fs::write(&dir, "first_name,Nickname\nA,B\n").unwrap();
        let error = Source::open(&dir, Format::Csv, Kind::Clients, &[]).err().unwrap();
        assert!(error.contains("`Nickname` is not a client field"), "{error}");
        let error = Source::open(&dir, Format::Csv, Kind::Clients, &parse_maps(&["Nick=first_name".into()]).unwrap()).err().unwrap();
        assert!(error.contains("no column `Nick`"), "{error}");
        let _ = std::fs::remove_file(&dir);
    }

    #[test]
    fn text_custom_fields_stay_text() {
        let dir = std::env::temp_dir().join(format!("clientele-source-{}", ulid::Ulid::new()));
        std::fs::write(&dir, "first_name,cf.zip,cf.score\nA,02134,7\nB,12345,8\n").unwrap();
        let mut source = Source::open(&dir, Format::Csv, Kind::Clients, &[]).unwrap();
        source.set_text_custom_fields(HashSet::from(["zip".to_string()]));
        let first = source.next_row().unwrap().unwrap();
        let second = source.next_row().unwrap().unwrap();
        assert_eq!(doc(&first)["custom_fields"], json!({"zip": "02134", "score": 7}));
        assert_eq!(doc(&second)["custom_fields"], json!({"zip": "12345", "score": 8}));
        let _ = std::fs::remove_file(&dir);
    }

    #[test]
    fn bad_rows_say_what_is_wrong() {
        let rows = rows_of(b"first_name,last_name\nA,B,C\n\xff,x\n", Format::Csv, Kind::Clients, &[]);
        assert!(matches!(&rows[0].content, Content::Unreadable(e) if e[0].1.contains("3 cells")));
        assert!(matches!(&rows[1].content, Content::Unreadable(e) if e[0].0 == "first_name"));
    }

    #[test]
    fn ndjson_drops_what_the_server_owns() {
        let text = b"{\"id\":\"cli_x\",\"kind\":\"person\",\"name\":\"A B\",\"first_name\":\"A\",\"version\":3,\"matters_count\":0}\n\n[1]\n{\"kind\":\"company\",\"name\":\"Acme\"}\nnot json\n";
        let rows = rows_of(text, Format::Ndjson, Kind::Clients, &[]);
        assert_eq!(rows.len(), 4);
        assert_eq!(doc(&rows[0]), json!({"kind": "person", "first_name": "A"}).as_object().unwrap());
        assert_eq!(rows[1].number, 3, "line numbers, blank lines counted");
        assert!(matches!(&rows[1].content, Content::Unreadable(_)));
        assert_eq!(doc(&rows[2])["name"], "Acme");
        assert!(matches!(&rows[3].content, Content::Unreadable(e) if e[0].1.contains("not valid JSON")));
    }
}
