//! Progress on stderr: one line redrawn in place on a terminal, a plain line
//! every few seconds otherwise (a log, a pipe, CI).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often a terminal line is redrawn, and a plain line written.
const REDRAW: Duration = Duration::from_millis(200);
const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub struct Progress {
    /// What is counted, for the line (`rows`, `clients`).
    noun: &'static str,
    /// Rows in the whole input, when known.
    total: Option<u64>,
    /// Rows done before this run began (skipped by `--resume`).
    before: u64,
    started: Instant,
    last: Option<Instant>,
    terminal: bool,
    /// A line is on screen without its newline.
    drawn: bool,
}

pub struct Counts {
    /// Rows done, the skipped ones included.
    pub done: u64,
    pub rejected: u64,
}

impl Progress {
    pub fn new(noun: &'static str, total: Option<u64>, before: u64) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let started = Instant::now();
        // On a terminal the line shows at once; in a log, the first comes
        // after a while (a short run writes only its final line).
        let last = (!terminal).then_some(started);
        Self { noun, total, before, started, last, terminal, drawn: false }
    }

    /// Shows the counts if it is time to.
    pub fn tick(&mut self, counts: &Counts) {
        let due = match self.last {
            None => true,
            Some(last) => last.elapsed() >= if self.terminal { REDRAW } else { PLAIN_EVERY },
        };
        if due {
            self.show(counts);
        }
    }

    /// Shows the final counts, and ends the line.
    pub fn finish(&mut self, counts: &Counts) {
        self.show(counts);
        self.end_line();
    }

    /// Ends a redrawn line, so what is printed next starts on its own.
    pub fn end_line(&mut self) {
        if self.drawn {
            eprintln!();
            self.drawn = false;
        }
    }

    fn show(&mut self, counts: &Counts) {
        self.last = Some(Instant::now());
        let line = self.line(counts);
        let mut err = std::io::stderr().lock();
        if self.terminal {
            // `\x1b[K` clears what a longer line before left.
            let _ = write!(err, "\r{line}\x1b[K");
            self.drawn = true;
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    fn line(&self, counts: &Counts) -> String {
        let elapsed = self.started.elapsed().as_secs_f64();
        let this_run = counts.done.saturating_sub(self.before);
        let rate = if elapsed > 0.05 { this_run as f64 / elapsed } else { 0.0 };
        let mut line = match self.total {
            Some(total) if total > 0 => {
                let percent = (counts.done as f64 * 100.0 / total as f64).min(100.0);
                format!("{} {}/{} ({percent:.0}%)", self.noun, thousands(counts.done), thousands(total))
            }
            _ => format!("{} {}", self.noun, thousands(counts.done)),
        };
        line.push_str(&format!(" · {}/s", thousands(rate.round() as u64)));
        if let Some(total) = self.total {
            if rate > 0.0 && counts.done < total {
                line.push_str(&format!(" · ETA {}", duration((total - counts.done) as f64 / rate)));
            }
        }
        line.push_str(&format!(" · {} elapsed", duration(elapsed)));
        if counts.rejected > 0 {
            line.push_str(&format!(" · {} rejected", thousands(counts.rejected)));
        }
        line
    }
}

/// `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `42s`, `3m05s`, `1h02m`.
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_durations_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(duration(4.4), "4s");
        assert_eq!(duration(185.0), "3m05s");
        assert_eq!(duration(3720.0), "1h02m");
    }

    #[test]
    fn the_line_has_rate_eta_and_rejects() {
        let mut p = Progress::new("rows", Some(1000), 0);
        p.started = Instant::now() - Duration::from_secs(10);
        let line = p.line(&Counts { done: 500, rejected: 3 });
        assert!(line.starts_with("rows 500/1,000 (50%) · 50/s · ETA 10s"), "{line}");
        assert!(line.ends_with("3 rejected"), "{line}");
        let unknown = Progress::new("clients", None, 0).line(&Counts { done: 7, rejected: 0 });
        assert!(unknown.starts_with("clients 7 · "), "{unknown}");
    }
}
