//! Logging: JSON lines on stdout, one per request plus warnings and errors.
//! Fields are ids, routes, statuses and timings; never emails, phone numbers,
//! notes or bodies.

use std::io::BufWriter;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

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
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_env_filter(filter)
        .with_writer(writer)
        .try_init();
    installed.ok().map(|()| guard)
}
