//! Request bodies the application answered without reading to the end (a 413
//! refused unread, a 401 before the body was looked at, a handler that needs
//! no body).
//!
//! hyper, when a body is dropped unfinished, reads once more from what is
//! already buffered and, if the body has not ended, silently stops reading:
//! the response goes out as if the connection were kept alive, and the
//! client's next request on it is never answered. Whether the rest was
//! buffered is a race with the client's writes, so it failed now and then.
//! Here the outcome is decided instead: a small remainder is read and thrown
//! away, so the connection stays usable; anything else gets
//! `Connection: close`, so the client knows to open a new one.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, Response};
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};

/// The most of an unread body drained to keep its connection.
const DRAIN_BYTES: u64 = 64 * 1024;
/// How long the client may take to send that remainder.
const DRAIN_TIME: Duration = Duration::from_secs(1);

/// Where a request body that was dropped unfinished ends up.
#[derive(Clone, Default)]
pub(super) struct Leftover(Arc<Mutex<Option<Incoming>>>);

impl Leftover {
    /// `body`, watched: if the application drops it before its end, it is
    /// kept here for [`Leftover::settle`].
    pub(super) fn watch(&self, body: Incoming) -> Body {
        Body::new(Watched { inner: Some(body), ended: false, leftover: self.clone() })
    }

    /// Once the response is ready: drains a small unread remainder, or marks
    /// the response `Connection: close`.
    pub(super) async fn settle(&self, mut response: Response<Body>) -> Response<Body> {
        let unread = self.0.lock().map(|mut slot| slot.take()).unwrap_or(None);
        let Some(body) = unread else { return response };
        if !drain(body).await {
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// Reads `body` to its end if that is at most [`DRAIN_BYTES`] away and comes
/// within [`DRAIN_TIME`]; whether it did.
async fn drain(mut body: Incoming) -> bool {
    use http_body_util::BodyExt;
    if body.size_hint().lower() > DRAIN_BYTES {
        return false;
    }
    let read = async {
        let mut seen = 0u64;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            seen += frame.data_ref().map_or(0, |d| d.len() as u64);
            if seen > DRAIN_BYTES {
                return false;
            }
        }
        true
    };
    tokio::time::timeout(DRAIN_TIME, read).await.unwrap_or(false)
}

struct Watched {
    inner: Option<Incoming>,
    ended: bool,
    leftover: Leftover,
}

impl HttpBody for Watched {
    type Data = bytes::Bytes;
    type Error = hyper::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let Some(inner) = self.inner.as_mut() else { return Poll::Ready(None) };
        let polled = Pin::new(inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            self.ended = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.as_ref().map(HttpBody::size_hint).unwrap_or_default()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if self.is_end_stream() {
            return;
        }
        if let (Some(body), Ok(mut slot)) = (self.inner.take(), self.leftover.0.lock()) {
            *slot = Some(body);
        }
    }
}
