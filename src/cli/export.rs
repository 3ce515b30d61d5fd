//! `clientele export clients|matters`: the server's streamed export, copied
//! to stdout as it comes, with progress on stderr.

use std::io::Write;

use super::progress::{thousands, Counts, Progress};
use super::remote::{Patience, Remote, RemoteArgs};
use super::source::{Format, Kind};

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// What to export: `clients` or `matters`.
    #[arg(value_enum)]
    pub kind: Kind,
    /// NDJSON (every field) or CSV (the column layout of docs/bulk.md).
    #[arg(long, value_enum, default_value = "ndjson")]
    pub format: Format,
    /// A list filter, as the list endpoint takes it (`status=active`, `tags=vip`, `cf.tier=gold`). Repeatable.
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

pub async fn run(args: ExportArgs) -> Result<(), String> {
    let mut filters = Vec::with_capacity(args.filters.len());
    for filter in &args.filters {
        let (key, value) = filter.split_once('=').ok_or_else(|| format!("--filter `{filter}` must be KEY=VALUE"))?;
        let key = key.trim();
        if matches!(key, "format" | "limit" | "cursor" | "sort" | "include_total") || key.is_empty() {
            return Err(format!("--filter `{filter}`: `{key}` is not a filter"));
        }
        filters.push((key.to_string(), value.to_string()));
    }
    let query = |extra: &[(&str, &str)]| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in extra {
            q.append_pair(k, v);
        }
        for (k, v) in &filters {
            q.append_pair(k, v);
        }
        q.finish()
    };
    let remote = Remote::from_env(&args.remote.server)?;
    let kind = args.kind.as_str();
    // The total, for the progress line; an export goes on without it.
    let total = match remote.get(&format!("/v1/{kind}?{}", query(&[("limit", "1"), ("include_total", "exact")])), Patience::Short).await {
        Ok(answer) => answer.json().ok().and_then(|page| page["pagination"]["total"].as_u64()),
        Err(super::remote::Failure::Unreachable(why)) => return Err(why),
        Err(_) => None,
    };
    let mut response =
        remote.get_streamed(&format!("/v1/{kind}/export?{}", query(&[("format", args.format.as_str())])), Patience::Short).await.map_err(|f| f.to_string())?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
    let mut counter = RecordCounter::new(args.format);
    let mut progress = Progress::new(kind, total, 0);
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                let _ = out.flush();
                progress.end_line();
                return Err(format!(
                    "the export was cut off after {} {kind} ({e}): the output is incomplete; export again",
                    thousands(counter.records())
                ));
            }
        };
        counter.feed(&chunk);
        if let Err(e) = out.write_all(&chunk) {
            progress.end_line();
            return Err(format!("writing the export: {e}"));
        }
        progress.tick(&Counts { done: counter.records(), rejected: 0 });
    }
    out.flush().map_err(|e| format!("writing the export: {e}"))?;
    progress.finish(&Counts { done: counter.records(), rejected: 0 });
    Ok(())
}

/// Counts the records of an export as it streams: NDJSON lines, or CSV
/// rows (line ends outside quotes, less the header).
struct RecordCounter {
    format: Format,
    line_ends: u64,
    quoted: bool,
}

impl RecordCounter {
    fn new(format: Format) -> Self {
        Self { format, line_ends: 0, quoted: false }
    }

    fn feed(&mut self, bytes: &[u8]) {
        match self.format {
            Format::Ndjson => self.line_ends += bytes.iter().filter(|b| **b == b'\n').count() as u64,
            Format::Csv => {
                for &b in bytes {
                    match b {
                        b'"' => self.quoted = !self.quoted,
                        b'\n' if !self.quoted => self.line_ends += 1,
                        _ => {}
                    }
                }
            }
        }
    }

    fn records(&self) -> u64 {
        match self.format {
            Format::Ndjson => self.line_ends,
            Format::Csv => self.line_ends.saturating_sub(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_counted_across_chunks() {
        let mut csv = RecordCounter::new(Format::Csv);
        for chunk in [&b"id,notes\n1,\"two"[..], b"\nlines\"\n2,x\n"] {
            csv.feed(chunk);
        }
        assert_eq!(csv.records(), 2);
        let mut ndjson = RecordCounter::new(Format::Ndjson);
        ndjson.feed(b"{}\n{\"a\":\"\\n\"}\n");
        assert_eq!(ndjson.records(), 2);
    }
}
