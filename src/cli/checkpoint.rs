//! What an import keeps beside its input: which file it is (for resuming
//! and for the batches' idempotency keys), the checkpoint of how far it got,
//! and the rejects file.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::import::{beside, Line};
use super::source::{Format, Kind};

/// Which file this is, as far as resuming and idempotency keys go.
pub(super) struct FileIdentity {
    pub(super) path: String,
    pub(super) size: u64,
    pub(super) modified_ns: u64,
}

impl FileIdentity {
    pub(super) fn of(path: &Path) -> Result<Self, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if !meta.is_file() {
            return Err(format!("{} is not a file", path.display()));
        }
        let canonical = std::fs::canonicalize(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let modified_ns = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_nanos() as u64).unwrap_or(0);
        Ok(Self { path: canonical.display().to_string(), size: meta.len(), modified_ns })
    }

    /// The `Idempotency-Key` of a batch: the same file (unchanged), the same
    /// first row and the same body make the same key, so a batch sent again
    /// is answered from the server's record (kept 24 hours) instead of being
    /// applied twice. `salt` counts lost answers (a fresh key each time).
    pub(super) fn idempotency_key(&self, kind: Kind, first_row: u64, salt: u32, body: &[u8]) -> String {
        let mut hash = Sha256::new();
        for part in [self.path.as_bytes(), &self.size.to_be_bytes(), &self.modified_ns.to_be_bytes(), kind.as_str().as_bytes(), &first_row.to_be_bytes(), &salt.to_be_bytes()] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
        hash.update(body);
        let digest = hash.finalize();
        let hex: String = digest.iter().take(24).map(|b| format!("{b:02x}")).collect();
        format!("clientele-import-{hex}")
    }
}

/// Where an import is: the last row whose whole batch was answered.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Checkpoint {
    pub(super) file: String,
    pub(super) size: u64,
    pub(super) modified_ns: u64,
    pub(super) kind: Kind,
    pub(super) format: Format,
    /// `--map` and `--upsert-by`: resuming with others would send the
    /// interrupted batch differently (under another key).
    pub(super) options: String,
    pub(super) batch_size: u64,
    pub(super) last_row: u64,
}

impl Checkpoint {
    pub(super) fn load(path: &Path) -> Result<Option<Self>, String> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("{} is not an import checkpoint ({e}); delete it to start over", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Written whole or not at all (a new file renamed over the old).
    pub(super) fn save(&self, path: &Path) -> Result<(), String> {
        let temporary = beside(path, ".tmp");
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(&temporary, bytes)
            .and_then(|()| std::fs::rename(&temporary, path))
            .map_err(|e| format!("cannot write the checkpoint {}: {e}", path.display()))
    }

    pub(super) fn matches(&self, file: &FileIdentity, kind: Kind, format: Format, options: &str, path: &Path) -> Result<(), String> {
        let why = if self.size != file.size || self.modified_ns != file.modified_ns {
            "the file changed since (size or modification time): resuming would skip the wrong rows"
        } else if self.kind != kind || self.format != format {
            "it is of an import of another kind or format"
        } else if self.options != options {
            "it was written with other --map or --upsert-by options; resume with the same ones"
        } else {
            return Ok(());
        };
        Err(format!("cannot resume from {}: {why}. Delete it to import the file from the start", path.display()))
    }
}

/// The rejects file: `row,field,message`, one line per thing wrong.
pub(super) struct Rejects {
    pub(super) writer: csv::Writer<std::fs::File>,
    pub(super) path: PathBuf,
    /// Rows with at least one line.
    pub(super) rows: u64,
    pub(super) last: Option<u64>,
}

impl Rejects {
    /// Creates the file; resuming after row `n`, keeps its lines of rows up
    /// to `n` (those after are sent again, and rejected again if they are).
    pub(super) fn open(path: &Path, resume_after: Option<u64>) -> Result<Self, String> {
        let mut kept: Vec<csv::StringRecord> = Vec::new();
        if let Some(after) = resume_after.filter(|n| *n > 0) {
            if let Ok(mut reader) = csv::Reader::from_path(path) {
                for record in reader.records().flatten() {
                    if record.get(0).and_then(|r| r.parse::<u64>().ok()).is_some_and(|r| r <= after) {
                        kept.push(record);
                    }
                }
            }
        }
        let file = std::fs::File::create(path).map_err(|e| format!("cannot write the rejects file {}: {e}", path.display()))?;
        let mut rejects = Self { writer: csv::Writer::from_writer(file), path: path.to_path_buf(), rows: 0, last: None };
        rejects.writer.write_record(["row", "field", "message"]).map_err(|e| rejects.error(e))?;
        for record in &kept {
            let row = record.get(0).and_then(|r| r.parse::<u64>().ok());
            if row != rejects.last {
                rejects.rows += 1;
                rejects.last = row;
            }
            rejects.writer.write_record(record).map_err(|e| rejects.error(e))?;
        }
        rejects.writer.flush().map_err(|e| rejects.error(e))?;
        Ok(rejects)
    }

    /// Writes one batch's lines (in row order) and flushes them.
    pub(super) fn write(&mut self, lines: &[Line]) -> Result<(), String> {
        for (row, field, message) in lines {
            if Some(*row) != self.last {
                self.rows += 1;
                self.last = Some(*row);
            }
            self.writer.write_record([row.to_string().as_str(), field, message]).map_err(|e| self.error(e))?;
        }
        self.writer.flush().map_err(|e| self.error(e))
    }

    fn error(&self, e: impl std::fmt::Display) -> String {
        format!("cannot write the rejects file {}: {e}", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_follow_the_file_the_row_and_the_body() {
        let file = FileIdentity { path: "/data/clients.csv".into(), size: 10, modified_ns: 1 };
        let key = file.idempotency_key(Kind::Clients, 1, 0, b"{}");
        assert_eq!(key, file.idempotency_key(Kind::Clients, 1, 0, b"{}"));
        assert!(key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic()));
        assert_ne!(key, file.idempotency_key(Kind::Clients, 501, 0, b"{}"));
        assert_ne!(key, file.idempotency_key(Kind::Clients, 1, 1, b"{}"));
        assert_ne!(key, file.idempotency_key(Kind::Clients, 1, 0, b"{ }"));
        let touched = FileIdentity { modified_ns: 2, ..file };
        assert_ne!(key, touched.idempotency_key(Kind::Clients, 1, 0, b"{}"));
    }
}
