//! The HTTP/1.1 server: our own accept loop over hyper, so that a connection costs only what it
//! holds and a client cannot hold one forever.
//!
//! - The app is built once; each connection shares it (one `Arc` clone, nothing rebuilt).
//! - A connection waiting for its next request is closed after `idle_timeout`; once its first
//!   byte has come, the headers must be complete within `header_timeout` (answered `408`, then
//!   closed). Both clocks run only between requests, as Go's `IdleTimeout` and
//!   `ReadHeaderTimeout` do, so a long answer (an event stream, a slow send) is never cut.
//! - A request body must have arrived whole within `body_timeout` of the request (answered `408`
//!   with `connection: close`).
//! - At most `max_connections` are served at once; further clients wait in the listen backlog
//!   (bound with `backlog`, not the kernel's 128) until one ends.
//!
//! axum's own `serve` has none of these, and re-materialises the router for every connection.

use crate::error::ApiError;
use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use bytes::Bytes;
use futures_util::task::AtomicWaker;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Sleep;
use tower::ServiceExt;

/// Connection limits; every one is a setting (README, "Configuration").
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// From a request's first byte to the end of its headers.
    pub header_timeout: Duration,
    /// From a request's headers to the end of its body.
    pub body_timeout: Duration,
    /// A connection with no request under way and nothing sent is closed after this.
    pub idle_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
        }
    }
}

/// Binds `addr` (host:port; the first address it resolves to) with a listen backlog of
/// `backlog` connections.
pub async fn bind(addr: &str, backlog: u32) -> io::Result<TcpListener> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: no address"));
    for a in tokio::net::lookup_host(addr).await? {
        let socket = if a.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(a).and_then(|()| socket.listen(backlog)) {
            Ok(l) => return Ok(l),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Serves `app` on `listener` until `shutdown` resolves; then stops accepting, lets each
/// connection finish the request it is on, and returns when all have closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let limits = Arc::new(limits);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let http = hyper::server::conn::http1::Builder::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => s.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept: go on shortly.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let conn = Arc::new(ConnState::new());
        let io = TokioIo::new(Watched::new(stream, conn.clone(), limits.clone()));
        let service = ConnService {
            app: app.clone(),
            conn,
            body_timeout: limits.body_timeout,
        };
        let served = graceful.watch(http.serve_connection(io, service));
        metrics::gauge!("wuts_http_connections_open").increment(1.0);
        tokio::spawn(async move {
            if let Err(e) = served.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            metrics::gauge!("wuts_http_connections_open").decrement(1.0);
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

const NONE: u64 = u64::MAX;

/// What a connection's reader and its requests share.
struct ConnState {
    epoch: Instant,
    /// Requests dispatched whose answer has not finished.
    in_flight: AtomicUsize,
    /// When (ms since `epoch`) the connection last became idle.
    idle_since: AtomicU64,
    /// When the first byte of the next request came, or `NONE`.
    head_since: AtomicU64,
    /// The reader's task, woken when an answer ends so the idle clock starts.
    reader: AtomicWaker,
}

impl ConnState {
    fn new() -> Self {
        Self {
            epoch: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            head_since: AtomicU64::new(NONE),
            reader: AtomicWaker::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn at(&self, ms: u64) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.epoch + Duration::from_millis(ms))
    }
}

/// One request's answer in flight; dropped (with the response body) when it has been sent.
struct InFlight(Arc<ConnState>);

impl InFlight {
    fn enter(conn: Arc<ConnState>) -> Self {
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        conn.head_since.store(NONE, Ordering::Release);
        Self(conn)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let c = &self.0;
        c.idle_since.store(c.now_ms(), Ordering::Release);
        c.head_since.store(NONE, Ordering::Release);
        c.in_flight.fetch_sub(1, Ordering::AcqRel);
        c.reader.wake();
    }
}

/// The socket as hyper sees it: reads are watched for the idle and header clocks.
struct Watched {
    inner: TcpStream,
    conn: Arc<ConnState>,
    limits: Arc<ServerLimits>,
    timer: Pin<Box<Sleep>>,
    timer_at: u64,
}

/// Sent when a request's headers did not arrive in time.
fn header_timeout_answer() -> Vec<u8> {
    let body = format!(
        r#"{{"success":false,"error":"the request headers did not arrive in time","error_code":"REQUEST_TIMEOUT","timestamp":"{}"}}"#,
        wuts_core::time::now_rfc3339()
    );
    format!(
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

impl Watched {
    fn new(inner: TcpStream, conn: Arc<ConnState>, limits: Arc<ServerLimits>) -> Self {
        Self {
            inner,
            conn,
            limits,
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
            timer_at: NONE,
        }
    }

    /// With no request under way: has the idle or the header clock run out? (Arms the timer.)
    fn expired(&mut self, cx: &mut Context<'_>) -> Option<bool> {
        self.conn.reader.register(cx.waker());
        if self.conn.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let head = self.conn.head_since.load(Ordering::Acquire);
        let (due, in_header) = if head != NONE {
            (head + self.limits.header_timeout.as_millis() as u64, true)
        } else {
            let idle = self.conn.idle_since.load(Ordering::Acquire);
            (idle + self.limits.idle_timeout.as_millis() as u64, false)
        };
        if due != self.timer_at {
            self.timer_at = due;
            let at = self.conn.at(due);
            self.timer.as_mut().reset(at);
        }
        self.timer.as_mut().poll(cx).is_ready().then_some(in_header)
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let c = &self.conn;
                if buf.filled().len() > before
                    && c.in_flight.load(Ordering::Acquire) == 0
                    && c.head_since.load(Ordering::Acquire) == NONE
                {
                    c.head_since.store(c.now_ms(), Ordering::Release);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match self.expired(cx) {
                None => Poll::Pending,
                Some(in_header) => {
                    if in_header {
                        metrics::counter!("wuts_http_timeouts_total", "kind" => "header")
                            .increment(1);
                        // Nothing is being written between requests: a best-effort answer.
                        let _ = self.inner.try_write(&header_timeout_answer());
                        Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "request headers timed out",
                        )))
                    } else {
                        metrics::counter!("wuts_http_timeouts_total", "kind" => "idle")
                            .increment(1);
                        // End of stream: hyper closes an idle connection quietly.
                        Poll::Ready(Ok(()))
                    }
                }
            },
        }
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// One connection's service: the shared app, each request's body deadline, and the in-flight
/// mark held until its answer has been sent.
#[derive(Clone)]
struct ConnService {
    app: Router,
    conn: Arc<ConnState>,
    body_timeout: Duration,
}

impl hyper::service::Service<Request<Incoming>> for ConnService {
    type Response = Response<Answer>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let mark = InFlight::enter(self.conn.clone());
        let late = Arc::new(AtomicBool::new(false));
        let req = req.map(|b| Deadline {
            inner: b,
            timer: Box::pin(tokio::time::sleep(self.body_timeout)),
            late: late.clone(),
        });
        let app = self.app.clone();
        Box::pin(async move {
            let res = app.oneshot(req).await.unwrap_or_else(|e| match e {});
            let res = if late.load(Ordering::Acquire) {
                metrics::counter!("wuts_http_timeouts_total", "kind" => "body").increment(1);
                let mut r = ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "REQUEST_TIMEOUT",
                    "the request body did not arrive in time",
                )
                .into_response();
                r.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                r
            } else {
                res
            };
            Ok(res.map(|inner| Answer { inner, _mark: mark }))
        })
    }
}

/// A request body that fails once its deadline has passed.
struct Deadline {
    inner: Incoming,
    timer: Pin<Box<Sleep>>,
    late: Arc<AtomicBool>,
}

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(f) => Poll::Ready(f.map(|r| r.map_err(Into::into))),
            Poll::Pending => {
                if self.timer.as_mut().poll(cx).is_ready() {
                    self.late.store(true, Ordering::Release);
                    return Poll::Ready(Some(Err("request body timed out".into())));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that holds its request's in-flight mark until hyper has sent (and dropped) it.
struct Answer {
    inner: Body,
    _mark: InFlight,
}

impl HttpBody for Answer {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
