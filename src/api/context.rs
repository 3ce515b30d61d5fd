//! What one request carries through its handling: its id (for logs, events
//! and problems) and the slot its rate-limit decision waits in for the
//! response headers. It imports nothing else of `api`, so extractors,
//! middleware and problems can all use it without using each other.

use std::sync::{Arc, Mutex};

use axum::http::request::Parts;

use crate::service::rate_limit::Decision;

tokio::task_local! {
    pub(crate) static REQUEST_ID: String;
}

/// The id of the request being served on this task, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Where the request's rate-limit decision waits for the response headers
/// (the `rate_limit_headers` middleware writes them).
#[derive(Clone, Default)]
pub struct RateSlot(Arc<Mutex<Option<Decision>>>);

impl RateSlot {
    pub(crate) fn fill(parts: &Parts, decision: Decision) {
        if let Some(slot) = parts.extensions.get::<RateSlot>() {
            *slot.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(decision);
        }
    }

    pub fn take(&self) -> Option<Decision> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}
