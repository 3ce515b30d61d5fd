//! Prometheus metrics, kept in this process: requests by route and status, a
//! latency histogram per route, rate-limit rejections, and the store's
//! connection pool. Served as text at `GET /metrics`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use crate::store::PoolStatus;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// What one route template has seen.
#[derive(Default)]
struct RouteMetrics {
    /// (method, status) → requests; a handful of entries per route.
    requests: Vec<(&'static str, u16, u64)>,
    latency: Histogram,
}

/// Route template → its metrics. Looked up by `&str`, so counting a request
/// allocates nothing once its route has been seen.
static REGISTRY: LazyLock<Mutex<HashMap<String, RouteMetrics>>> = LazyLock::new(Mutex::default);

/// Counts one finished request. Routes are templates (`/v1/clients/{id}`),
/// so the label set stays small and holds no personal data.
pub fn observe(method: &str, route: &str, status: u16, elapsed: Duration) {
    // Methods outside HTTP's usual set are one label, so no caller can grow the map.
    const KNOWN: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"];
    let method = KNOWN.iter().copied().find(|m| *m == method).unwrap_or("OTHER");
    let mut registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let metrics = match registry.get_mut(route) {
        Some(metrics) => metrics,
        None => registry.entry(route.to_string()).or_default(),
    };
    match metrics.requests.iter_mut().find(|(m, s, _)| *m == method && *s == status) {
        Some((_, _, n)) => *n += 1,
        None => metrics.requests.push((method, status, 1)),
    }
    let histogram = &mut metrics.latency;
    let seconds = elapsed.as_secs_f64();
    for (i, bound) in BUCKETS.iter().enumerate() {
        if seconds <= *bound {
            histogram.counts[i] += 1;
        }
    }
    histogram.count += 1;
    histogram.sum += seconds;
}

/// The Prometheus text exposition of every metric.
pub fn render(pool: PoolStatus) -> String {
    let registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    // Sorted, so the exposition reads the same from one scrape to the next.
    let mut routes: Vec<(&String, &RouteMetrics)> = registry.iter().collect();
    routes.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut requests: Vec<(&str, &String, u16, u64)> =
        routes.iter().flat_map(|(route, m)| m.requests.iter().map(move |(method, status, n)| (*method, *route, *status, *n))).collect();
    requests.sort_unstable();
    let mut out = String::new();
    out.push_str("# HELP clientele_http_requests_total HTTP requests by method, route template and status.\n");
    out.push_str("# TYPE clientele_http_requests_total counter\n");
    let mut limited = 0;
    for (method, route, status, n) in requests {
        let _ = writeln!(out, "clientele_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}", escape(route));
        if status == 429 {
            limited += n;
        }
    }
    out.push_str("# HELP clientele_http_request_duration_seconds Time to answer, by route template.\n");
    out.push_str("# TYPE clientele_http_request_duration_seconds histogram\n");
    for (route, metrics) in routes {
        let (route, h) = (escape(route), &metrics.latency);
        for (bound, count) in BUCKETS.iter().zip(h.counts) {
            let _ = writeln!(out, "clientele_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "clientele_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", h.count);
        let _ = writeln!(out, "clientele_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
        let _ = writeln!(out, "clientele_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
    }
    out.push_str("# HELP clientele_rate_limited_total Requests refused with 429 (API keys, failed logins, intake forms).\n");
    out.push_str("# TYPE clientele_rate_limited_total counter\n");
    let _ = writeln!(out, "clientele_rate_limited_total {limited}");
    out.push_str("# HELP clientele_store_connections Database connections of this process, by state.\n");
    out.push_str("# TYPE clientele_store_connections gauge\n");
    let _ = writeln!(out, "clientele_store_connections{{state=\"open\"}} {}", pool.open);
    let _ = writeln!(out, "clientele_store_connections{{state=\"idle\"}} {}", pool.idle);
    out.push_str("# HELP clientele_store_connections_max The most database connections this process opens (or keeps idle, on SQLite).\n");
    out.push_str("# TYPE clientele_store_connections_max gauge\n");
    let _ = writeln!(out, "clientele_store_connections_max {}", pool.max);
    out
}

/// The webhook dispatcher's counters, and the queue (when the store
/// answered).
pub fn render_webhooks(out: &mut String, webhooks: &crate::service::webhooks::Webhooks, queue: Option<crate::store::QueueStatus>) {
    use std::sync::atomic::Ordering::Relaxed;
    let o = &webhooks.outcomes;
    out.push_str("# HELP clientele_webhook_attempts_total Webhook delivery attempts by this process, by outcome.\n");
    out.push_str("# TYPE clientele_webhook_attempts_total counter\n");
    for (outcome, n) in [("delivered", &o.delivered), ("retrying", &o.retrying), ("failed", &o.failed), ("cancelled", &o.cancelled)] {
        let _ = writeln!(out, "clientele_webhook_attempts_total{{outcome=\"{outcome}\"}} {}", n.load(Relaxed));
    }
    let Some(queue) = queue else { return };
    out.push_str("# HELP clientele_webhook_queue_depth Webhook deliveries pending (due or waiting for a retry), on every node.\n");
    out.push_str("# TYPE clientele_webhook_queue_depth gauge\n");
    let _ = writeln!(out, "clientele_webhook_queue_depth {}", queue.pending);
    out.push_str("# HELP clientele_webhook_oldest_pending_seconds Age of the oldest pending webhook delivery (0 when none).\n");
    out.push_str("# TYPE clientele_webhook_oldest_pending_seconds gauge\n");
    let age = queue.oldest_pending.map_or(0.0, |t| (crate::domain::time::Timestamp::now().millis() - t.millis()).max(0) as f64 / 1000.0);
    let _ = writeln!(out, "clientele_webhook_oldest_pending_seconds {age}");
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
