//! Accepting connections and serving HTTP on them, with the two timeouts a
//! slow or idle client must not be able to dodge:
//!
//! - **header read**: once a request's first byte has arrived, its head
//!   (request line and headers) must be complete within this time, or the
//!   connection is closed (slowloris sends one header line now and then);
//!   a new connection must send its first request's head within it too;
//! - **keep-alive idle**: a connection with no request in flight is closed
//!   after this long without a new request's first byte.
//!
//! hyper has one timer for both (its header read timeout also runs while a
//! kept-alive connection waits), so both are kept here, in HTTP/1.1 (the only
//! protocol served), per connection, by a [`Watch`] that the connection's
//! reads and its requests move between phases. The request itself is bounded
//! by the request timeout middleware.
//!
//! A phase change touches only atomics: the connection's task is not woken
//! for it (three wake-ups a request cost 15% of `/healthz`'s throughput).
//! Instead the task never sleeps longer than the shorter timeout, and on
//! waking reads the phase and sleeps again until the deadline it implies, so
//! each deadline is kept to the millisecond all the same.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

use super::unread::Leftover;

/// How long a client may take, per connection.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub header_read_timeout: Duration,
    pub keep_alive_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self { header_read_timeout: Duration::from_secs(10), keep_alive_timeout: Duration::from_secs(30) }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops
/// accepting, lets every connection finish the request it is serving, and
/// returns once all are closed.
pub async fn serve(listener: TcpListener, app: Router, limits: ConnectionLimits, shutdown: impl Future<Output = ()>) {
    let (stop, stopping) = watch::channel(false);
    let open = Arc::new(Open::default());
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let guard = open.enter();
        let (app, stopping) = (app.clone(), stopping.clone());
        tokio::spawn(async move {
            serve_connection(stream, remote, app, limits, stopping).await;
            drop(guard);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    open.all_closed().await;
}

/// After a failed accept: a connection reset before we took it is nothing;
/// anything else (out of file descriptors) is worth a pause.
async fn accept_failed(e: io::Error) {
    use io::ErrorKind::*;
    if matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        return;
    }
    tracing::error!(error = %e, "accept failed; pausing");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn serve_connection(stream: TcpStream, remote: SocketAddr, app: Router, limits: ConnectionLimits, mut stopping: watch::Receiver<bool>) {
    let watch = Arc::new(Watch::new());
    let io = TokioIo::new(Watched { inner: stream, watch: watch.clone() });
    let requests = watch.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let busy = requests.busy();
        let leftover = Leftover::default();
        let mut request = request.map(|body| leftover.watch(body));
        request.extensions_mut().insert(ConnectInfo(remote));
        let response = tower::ServiceExt::oneshot(app.clone(), request);
        async move {
            let response = match response.await {
                Ok(response) => Ok(leftover.settle(response).await),
                Err(never) => Err(never),
            };
            drop(busy);
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // Our timers, not hyper's (see the module's head).
    builder.header_read_timeout(None);
    let mut connection = pin!(builder.serve_connection(io, service));
    let mut closing = false;
    let longest_sleep = limits.header_read_timeout.min(limits.keep_alive_timeout);
    loop {
        let wake = Instant::now() + longest_sleep;
        let deadline = watch.deadline(limits).map_or(wake, |d| d.min(wake));
        tokio::select! {
            _ = connection.as_mut() => return,
            _ = tokio::time::sleep_until(deadline.into()) => {
                // The phase may have moved on since the deadline was taken.
                if watch.deadline(limits).is_none_or(|d| d > Instant::now()) {
                    continue;
                }
                match watch.phase() {
                    // Closes at once, between requests.
                    Phase::Idle if !closing => {
                        closing = true;
                        connection.as_mut().graceful_shutdown();
                    }
                    // A head still incomplete (or a close that did not
                    // happen): drop the connection.
                    Phase::Idle | Phase::Head => return,
                    Phase::Busy => {}
                }
            }
            changed = stopping.changed(), if !closing => {
                if changed.is_err() || *stopping.borrow() {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No request in flight and no byte of the next one yet.
    Idle,
    /// The next request has begun arriving.
    Head,
    /// At least one request is being served.
    Busy,
}

/// Where one connection is, shared by its reads, its requests and its task
/// (all of which run on the connection's one task, one after another).
struct Watch {
    started: Instant,
    phase: AtomicU8,
    /// When the current phase began, in ms since `started`.
    since_ms: AtomicU64,
    in_flight: AtomicUsize,
    /// Whether the connection has served a request (a fresh one waits for
    /// its first head under the header read timeout, not the idle one).
    served: AtomicU8,
}

const IDLE: u8 = 0;
const HEAD: u8 = 1;
const BUSY: u8 = 2;

impl Watch {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            phase: AtomicU8::new(IDLE),
            since_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            served: AtomicU8::new(0),
        }
    }

    fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Acquire) {
            IDLE => Phase::Idle,
            HEAD => Phase::Head,
            _ => Phase::Busy,
        }
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn enter(&self, phase: u8) {
        self.since_ms.store(self.now_ms(), Ordering::Release);
        self.phase.store(phase, Ordering::Release);
    }

    /// Bytes arrived: between requests, the next one has begun. (Only a
    /// first byte starts the clock: later ones must not push it back.)
    fn read_some(&self) {
        if self.phase.load(Ordering::Acquire) == IDLE {
            self.enter(HEAD);
        }
    }

    /// A request is being served until the guard drops.
    fn busy(self: &Arc<Self>) -> Busy {
        if self.in_flight.fetch_add(1, Ordering::AcqRel) == 0 {
            self.served.store(1, Ordering::Release);
            self.enter(BUSY);
        }
        Busy(self.clone())
    }

    /// When the current phase runs out, if it can.
    fn deadline(&self, limits: ConnectionLimits) -> Option<Instant> {
        let limit = match self.phase() {
            Phase::Idle if self.served.load(Ordering::Acquire) == 1 => limits.keep_alive_timeout,
            Phase::Idle | Phase::Head => limits.header_read_timeout,
            Phase::Busy => return None,
        };
        let since = Duration::from_millis(self.since_ms.load(Ordering::Acquire));
        Some(self.started + since + limit)
    }
}

struct Busy(Arc<Watch>);

impl Drop for Busy {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.enter(IDLE);
        }
    }
}

/// A connection whose reads tell its [`Watch`] when a request begins.
struct Watched {
    inner: TcpStream,
    watch: Arc<Watch>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.watch.read_some();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Counts open connections, so shutdown can wait for the last.
#[derive(Default)]
struct Open {
    count: AtomicUsize,
    closed: Notify,
}

struct OpenGuard(Arc<Open>);

impl Open {
    fn enter(self: &Arc<Self>) -> OpenGuard {
        self.count.fetch_add(1, Ordering::AcqRel);
        OpenGuard(self.clone())
    }

    async fn all_closed(&self) {
        loop {
            let notified = self.closed.notified();
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.closed.notify_waiters();
        }
    }
}
