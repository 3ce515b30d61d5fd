//! Logging: JSON lines on stdout, one per request plus warnings and errors.
//! Fields are ids, routes, statuses and timings; never emails, phone numbers,
//! notes or bodies.

use std::fmt::{self, Write as _};
use std::io::BufWriter;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

use crate::domain::time::Timestamp;

/// Lines queued for the writer thread; when it falls this far behind,
/// requests wait for it rather than lose lines.
const QUEUED_LINES: usize = 64 * 1024;

/// Installs the JSON logger. Lines go to stdout from a thread of their own,
/// through a buffer it flushes whenever it has written everything queued: one
/// `write` per line on the request path was about 4% of a point read's CPU
/// (bench/README.md). Keep the guard until exit; dropping it writes out what
/// is still queued. `None` when a logger was already installed.
#[must_use]
pub fn init(filter: &str) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("log-writer")
        .finish(BufWriter::new(std::io::stdout()));
    let installed = tracing_subscriber::fmt()
        .event_format(JsonLine)
        .with_env_filter(filter)
        .with_writer(writer)
        .try_init();
    installed.ok().map(|()| guard)
}

/// One event as one flat JSON object:
/// `{"timestamp":"2026-11-27T08:00:00.000Z","level":"INFO","message":"request",
/// "request_id":"…",…,"target":"clientele::api::middleware"}`.
///
/// Written straight into the line, where tracing-subscriber's JSON format
/// goes through serde and a formatted clock: that was 11% of a point read's
/// instructions (bench/README.md). Span fields are not logged; we use none.
pub struct JsonLine;

impl<S, N> FormatEvent<S, N> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, _: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let mut line = String::with_capacity(256);
        let metadata = event.metadata();
        let _ = write!(line, "{{\"timestamp\":\"{}\",\"level\":\"{}\"", Timestamp::now(), metadata.level());
        event.record(&mut Fields { line: &mut line });
        line.push_str(",\"target\":");
        push_json_str(&mut line, metadata.target());
        line.push_str("}\n");
        writer.write_str(&line)
    }
}

/// Appends each field as `,"name":value`.
struct Fields<'a> {
    line: &'a mut String,
}

impl Fields<'_> {
    fn key(&mut self, field: &Field) {
        self.line.push(',');
        push_json_str(self.line, field.name());
        self.line.push(':');
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        push_json_str(self.line, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.line.push_str(if value { "true" } else { "false" });
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        let _ = write!(self.line, "{value}");
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        let _ = write!(self.line, "{value}");
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field);
        if value.is_finite() {
            let _ = write!(self.line, "{value}");
        } else {
            // JSON has no NaN or infinity.
            self.line.push_str("null");
        }
    }

    /// Everything else, including `%value` (Display) and the message, as a string.
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.key(field);
        self.line.push('"');
        let _ = write!(Escaped(self.line), "{value:?}");
        self.line.push('"');
    }
}

fn push_json_str(line: &mut String, value: &str) {
    line.push('"');
    let _ = Escaped(line).write_str(value);
    line.push('"');
}

/// Writes what it is given as the inside of a JSON string.
struct Escaped<'a>(&'a mut String);

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut plain = 0;
        for (i, c) in s.char_indices() {
            let escape = match c {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                c if (c as u32) < 0x20 => "",
                _ => continue,
            };
            self.0.push_str(&s[plain..i]);
            if escape.is_empty() {
                let _ = write!(self.0, "\\u{:04x}", c as u32);
            } else {
                self.0.push_str(escape);
            }
            plain = i + c.len_utf8();
        }
        self.0.push_str(&s[plain..]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use serde_json::Value;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn lines_of(emit: impl FnOnce()) -> Vec<Value> {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt().event_format(JsonLine).with_writer(move || sink.clone()).finish();
        tracing::subscriber::with_default(subscriber, emit);
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
    }

    #[test]
    fn an_event_is_one_flat_json_line_with_typed_fields() {
        let id = "01JD";
        let lines = lines_of(|| {
            tracing::info!(request_id = %id, status = 201u16, latency_ms = 1.5, ok = true, delta = -3i64, "request");
        });
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["message"], "request");
        assert_eq!(line["request_id"], "01JD");
        assert_eq!(line["status"], 201);
        assert_eq!(line["latency_ms"], 1.5);
        assert_eq!(line["ok"], true);
        assert_eq!(line["delta"], -3);
        assert_eq!(line["target"], module_path!());
        let stamp = line["timestamp"].as_str().unwrap();
        assert!(time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339).is_ok(), "{stamp}");
    }

    #[test]
    fn strings_are_escaped_and_non_finite_numbers_are_null() {
        let odd = "quote\" back\\ nl\n tab\t bell\u{7} é 🦀 </script>";
        let lines = lines_of(|| {
            tracing::warn!(error = %odd, text = odd, ratio = f64::NAN, "it said {odd}");
        });
        let line = &lines[0];
        assert_eq!(line["error"], odd);
        assert_eq!(line["text"], odd);
        assert_eq!(line["message"], format!("it said {odd}"));
        assert!(line["ratio"].is_null());
    }
}
