//! `import --from VENDOR`: answers saved from a vendor's list (or get)
//! endpoint, one after another in a file (one answer, pages concatenated,
//! or one a line), read record by record into create documents by the
//! dialect's reading of them ([`crate::dialects::import`]). One answer is
//! held at a time: a vendor's page, at most a few hundred records.

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::dialects::import::{self, Records};
use crate::dialects::Dialect;

use super::source::{open_skipping_bom, Content, Kind, Row};

type Answers = serde_json::StreamDeserializer<'static, serde_json::de::IoRead<BufReader<File>>, Value>;

pub struct SavedSource {
    dialect: Dialect,
    kind: Kind,
    /// The currency of amounts the vendor shows without one.
    currency: String,
    answers: Answers,
    /// The rest of the answer being read.
    pending: VecDeque<Value>,
    /// Answers read so far.
    answer: u64,
    /// Records read so far.
    number: u64,
    path: PathBuf,
}

pub fn records(kind: Kind) -> Records {
    match kind {
        Kind::Clients => Records::Clients,
        Kind::Matters => Records::Matters,
    }
}

impl SavedSource {
    pub fn open(path: &Path, dialect: Dialect, kind: Kind, currency: &str) -> Result<Self, String> {
        if !import::offers(dialect, records(kind)) {
            return Err(format!("{}'s API documents show no list of {} to import from; only its clients", dialect.name(), kind.as_str()));
        }
        Ok(Self {
            dialect,
            kind,
            currency: currency.to_string(),
            answers: answers(path)?,
            pending: VecDeque::new(),
            answer: 0,
            number: 0,
            path: path.to_path_buf(),
        })
    }

    pub fn next_row(&mut self) -> Result<Option<Row>, String> {
        loop {
            if let Some(record) = self.pending.pop_front() {
                self.number += 1;
                let read = match self.kind {
                    Kind::Clients => import::client(self.dialect, record),
                    Kind::Matters => import::matter(self.dialect, record, &self.currency),
                };
                let content = match read {
                    Ok(doc) => Content::Document(doc),
                    Err(problems) => Content::Unreadable(problems.into_iter().map(|e| (e.field, e.message)).collect()),
                };
                return Ok(Some(Row { number: self.number, content }));
            }
            match next_answer(&mut self.answers, self.dialect, &self.path, &mut self.answer)? {
                Some(records) => self.pending = records.into(),
                None => return Ok(None),
            }
        }
    }
}

fn answers(path: &Path) -> Result<Answers, String> {
    Ok(serde_json::Deserializer::from_reader(open_skipping_bom(path)?).into_iter())
}

/// The records of the next answer in the file, `None` at its end.
fn next_answer(answers: &mut Answers, dialect: Dialect, path: &Path, answer: &mut u64) -> Result<Option<Vec<Value>>, String> {
    let Some(next) = answers.next() else { return Ok(None) };
    *answer += 1;
    let value = next.map_err(|e| format!("{}: answer {} is not valid JSON: {e}", path.display(), *answer))?;
    import::records(dialect, value).map(Some).map_err(|why| format!("{}: answer {} {why}", path.display(), *answer))
}

/// The records in the file, counted without reading them into documents.
pub fn count(path: &Path, dialect: Dialect) -> Result<u64, String> {
    let mut answers = answers(path)?;
    let mut answer = 0;
    let mut n = 0;
    while let Some(records) = next_answer(&mut answers, dialect, path, &mut answer)? {
        n += records.len() as u64;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn pages_one_after_another_are_read_record_by_record() {
        let page = |ids: &[&str]| json!({"data": ids.iter().map(|id| json!({"id": id, "name": format!("Jo {id}")})).collect::<Vec<_>>(), "total": 3});
        let saved = file(&format!("\u{feff}{}\n{}", page(&["a", "b"]), page(&["c"])));
        let mut source = SavedSource::open(saved.path(), Dialect::FullEngage, Kind::Clients, "USD").unwrap();
        let mut ids = Vec::new();
        while let Some(row) = source.next_row().unwrap() {
            let Content::Document(doc) = row.content else { panic!("row {} unread", row.number) };
            ids.push((row.number, doc["external_id"].as_str().unwrap().to_string()));
        }
        assert_eq!(ids, [(1, "a".into()), (2, "b".into()), (3, "c".into())]);
        assert_eq!(count(saved.path(), Dialect::FullEngage).unwrap(), 3);
    }

    #[test]
    fn a_bad_record_is_a_rejected_row_and_a_bad_answer_stops_the_file() {
        let saved = file(r#"{"data": [{"id": "a", "name": "Jo"}, {"id": "b", "name": 7}]} {"error": "nope"}"#);
        let mut source = SavedSource::open(saved.path(), Dialect::FullEngage, Kind::Clients, "USD").unwrap();
        assert!(matches!(source.next_row().unwrap().unwrap().content, Content::Document(_)));
        let second = source.next_row().unwrap().unwrap();
        assert!(matches!(&second.content, Content::Unreadable(e) if e[0].0 == "name"), "{second:?}");
        let error = source.next_row().unwrap_err();
        assert!(error.contains("answer 2 is not a saved full-engage answer"), "{error}");
        let refused = SavedSource::open(saved.path(), Dialect::Calmintake, Kind::Matters, "USD").err().unwrap();
        assert!(refused.contains("no list of matters"), "{refused}");
    }
}
