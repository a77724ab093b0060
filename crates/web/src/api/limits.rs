//! Bounds on the HTTP side, so slow or silent clients cannot pin the
//! node's descriptors and memory (slowloris and its kin):
//! - at most [`MAX_CONNECTIONS`] connections at once (more wait in the
//!   kernel's listen backlog), and [`MAX_CONNECTIONS_PER_CLIENT`] from one
//!   address (more are closed at once);
//! - a connection that moves no octet either way for [`IDLE_TIMEOUT`] is
//!   closed;
//! - a request's head (request line and headers) must arrive whole within
//!   [`HEAD_DEADLINE`] of its first octet, however steadily it trickles;
//! - its body must keep up [`BODY_MIN_RATE`] after [`BODY_GRACE`]
//!   ([`read_body_in_time`]), as Apache's mod_reqtimeout does: a large
//!   upload over a slow link passes, one octet every 45 s does not.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// HTTP connections served at once.
pub const MAX_CONNECTIONS: usize = 256;

/// HTTP connections served at once from one client address (a browser
/// opens six; the tools one or two).
pub const MAX_CONNECTIONS_PER_CLIENT: usize = 32;

/// A connection with no progress for this long is closed (keep-alive
/// clients reconnect).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A request's head must be complete this long after its first octet.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(20);

/// A request body may take this long before [`BODY_MIN_RATE`] applies.
pub const BODY_GRACE: Duration = Duration::from_secs(20);

/// Octets per second a body must average after [`BODY_GRACE`].
pub const BODY_MIN_RATE: u64 = 16 * 1024;

/// A TCP listener that hands out at most [`MAX_CONNECTIONS`] connections,
/// [`MAX_CONNECTIONS_PER_CLIENT`] per client address.
pub struct CappedListener {
    inner: tokio::net::TcpListener,
    permits: Arc<Semaphore>,
    clients: Arc<ClientCounts>,
    per_client: usize,
}

impl CappedListener {
    /// Wraps `inner`.
    pub fn new(inner: tokio::net::TcpListener) -> CappedListener {
        CappedListener {
            inner,
            permits: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
            clients: Arc::default(),
            per_client: MAX_CONNECTIONS_PER_CLIENT,
        }
    }
}

/// Connections open per client address (touched at accept and close).
#[derive(Default)]
pub struct ClientCounts(Mutex<HashMap<IpAddr, usize>>);

/// One connection's place in its client's count, given back on drop.
pub struct ClientSlot {
    counts: Arc<ClientCounts>,
    address: IpAddr,
}

impl ClientCounts {
    fn admit(self: &Arc<Self>, address: IpAddr, limit: usize) -> Option<ClientSlot> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(address).or_insert(0);
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(ClientSlot {
            counts: Arc::clone(self),
            address,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.counts.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

impl axum::serve::Listener for CappedListener {
    type Io = IdleLimited<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // Wait for a free slot before taking a connection off the backlog.
        // Never closed; without a permit the connection is served anyway.
        let permit = Arc::clone(&self.permits).acquire_owned().await.ok();
        loop {
            match self.inner.accept().await {
                Ok((stream, address)) => {
                    let Some(slot) = self.clients.admit(address.ip(), self.per_client) else {
                        tracing::debug!(client = %address, "HTTP connections of this client at the cap; closing one");
                        drop(stream);
                        continue;
                    };
                    let mut io = IdleLimited::new(stream, IDLE_TIMEOUT, permit);
                    io.head_deadline = Some(HEAD_DEADLINE);
                    io.slot = Some(slot);
                    return (io, address);
                }
                Err(e) => {
                    // Out of descriptors and the like: back off, do not spin.
                    tracing::warn!(error = %e, "HTTP accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// A stream that fails with `TimedOut` once neither a read nor a write has
/// made progress for its idle time, or a request head has taken longer
/// than its deadline; it holds its connection slots.
pub struct IdleLimited<S> {
    stream: S,
    idle: Duration,
    /// How long a request head may take from its first octet (`None`:
    /// only the idle time applies).
    head_deadline: Option<Duration>,
    deadline: Pin<Box<Sleep>>,
    head: Head,
    _permit: Option<OwnedSemaphorePermit>,
    slot: Option<ClientSlot>,
}

/// Where the connection is in a request's head, found by looking for the
/// empty line that ends it (`\n\n` or `\n\r\n`; HTTP/1 parsers accept
/// bare LF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Head {
    /// Between requests: the next octet read starts a head.
    Awaited,
    /// In a head begun at `started`; `newlines` tracks the line ending
    /// just read (1: a `\n`, 2: a `\n\r`).
    Reading { started: Instant, newlines: u8 },
    /// The head is whole (the body, if any, follows; its pace is
    /// [`read_body_in_time`]'s business) until the reply is written.
    Done,
}

impl<S> IdleLimited<S> {
    /// Wraps `stream`, closing it after `idle` without progress. The head
    /// deadline is off until set.
    pub fn new(stream: S, idle: Duration, permit: Option<OwnedSemaphorePermit>) -> IdleLimited<S> {
        IdleLimited {
            stream,
            idle,
            head_deadline: None,
            deadline: Box::pin(tokio::time::sleep(idle)),
            head: Head::Awaited,
            _permit: permit,
            slot: None,
        }
    }

    /// The stream inside.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Octets came in: follow the head, and move the deadline.
    fn received(&mut self, octets: &[u8]) {
        for &octet in octets {
            self.head = match (self.head, octet) {
                (Head::Done, _) => break,
                (Head::Awaited, b'\n') => Head::Reading {
                    started: Instant::now(),
                    newlines: 1,
                },
                (Head::Awaited, _) => Head::Reading {
                    started: Instant::now(),
                    newlines: 0,
                },
                (
                    Head::Reading {
                        newlines: 1 | 2, ..
                    },
                    b'\n',
                ) => Head::Done,
                (
                    Head::Reading {
                        started,
                        newlines: 1,
                    },
                    b'\r',
                ) => Head::Reading {
                    started,
                    newlines: 2,
                },
                (Head::Reading { started, .. }, b'\n') => Head::Reading {
                    started,
                    newlines: 1,
                },
                (Head::Reading { started, .. }, _) => Head::Reading {
                    started,
                    newlines: 0,
                },
            };
        }
        self.progressed();
    }

    /// A reply went out: the next octet read begins another request.
    fn sent(&mut self) {
        self.head = Head::Awaited;
        self.progressed();
    }

    fn progressed(&mut self) {
        let mut next = Instant::now() + self.idle;
        if let (Head::Reading { started, .. }, Some(limit)) = (self.head, self.head_deadline) {
            next = next.min(started + limit);
        }
        self.deadline.as_mut().reset(next);
    }

    /// `Pending` while time is left (the deadline will wake the task), the
    /// timeout error once it is spent.
    fn check_idle<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                let why = match self.head {
                    Head::Reading { .. } => "HTTP request head not complete in time",
                    _ => "HTTP connection idle for too long",
                };
                Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, why)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Middleware: the request body, when a handler reads it, must keep up
/// [`BODY_MIN_RATE`] after [`BODY_GRACE`] counted from the request's
/// arrival, or the read fails (the handler answers with an error and the
/// connection is closed, its body unread). Nothing is read here: a body a
/// handler refuses unread (no API key, say) costs nothing.
pub async fn read_body_in_time(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let timed = PacedBody {
        inner: body.into_data_stream(),
        started: Instant::now(),
        received: 0,
        timer: Box::pin(tokio::time::sleep(BODY_GRACE)),
    };
    next.run(Request::from_parts(parts, Body::from_stream(timed)))
        .await
}

/// A body stream that fails once it falls behind its pace.
struct PacedBody {
    inner: axum::body::BodyDataStream,
    started: Instant,
    received: u64,
    timer: Pin<Box<Sleep>>,
}

impl PacedBody {
    /// When the octets received so far must have come by.
    fn due(&self) -> Instant {
        self.started + BODY_GRACE + Duration::from_millis(self.received * 1000 / BODY_MIN_RATE)
    }
}

impl futures_core::Stream for PacedBody {
    type Item = Result<bytes::Bytes, axum::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.received += chunk.len() as u64;
                let due = this.due();
                this.timer.as_mut().reset(due);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(other) => Poll::Ready(other),
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    tracing::debug!(received = this.received, "a request body came too slowly");
                    Poll::Ready(Some(Err(axum::Error::new(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "the request body came too slowly ({} octets in {} s; at least \
                             {BODY_MIN_RATE} octets/s after {} s)",
                            this.received,
                            this.started.elapsed().as_secs(),
                            BODY_GRACE.as_secs()
                        ),
                    )))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

use std::future::Future as _;

impl<S: AsyncRead + Unpin> AsyncRead for IdleLimited<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(result) => {
                this.received(&buf.filled()[before..]);
                Poll::Ready(result)
            }
            Poll::Pending => this.check_idle(cx),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleLimited<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_write(cx, buf) {
            Poll::Ready(result) => {
                this.sent();
                Poll::Ready(result)
            }
            Poll::Pending => this.check_idle(cx),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_flush(cx) {
            Poll::Ready(result) => Poll::Ready(result),
            Poll::Pending => this.check_idle(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_silent_peer_is_cut_off_and_a_talking_one_is_not() {
        let idle = Duration::from_millis(1000);
        let (client, server) = tokio::io::duplex(64);
        let mut server = IdleLimited::new(server, idle, None);
        let mut client = client;
        // Talking keeps the connection open past the idle time (5 × 250 ms).
        let talker = tokio::spawn(async move {
            for _ in 0..5 {
                client.write_all(b"x").await.unwrap();
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            client
        });
        let mut got = [0u8; 5];
        server.read_exact(&mut got).await.unwrap();
        let last_read = std::time::Instant::now();
        assert_eq!(&got, b"xxxxx");
        let _client = talker.await.unwrap();
        // Then silence: the read fails with TimedOut `idle` after the last
        // octet (the client stays connected, so this is no EOF).
        let mut byte = [0u8; 1];
        let error = server.read(&mut byte).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(last_read.elapsed() >= Duration::from_millis(900));
    }

    #[tokio::test]
    async fn a_trickled_head_is_cut_off_at_its_deadline_though_it_moves() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut server = IdleLimited::new(server, Duration::from_millis(1000), None);
        server.head_deadline = Some(Duration::from_millis(1500));
        // One octet every 200 ms: never idle, never a whole head.
        let trickler = tokio::spawn(async move {
            for _ in 0..40 {
                if client.write_all(b"G").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        let started = std::time::Instant::now();
        let mut byte = [0u8; 1];
        let error = loop {
            match server.read(&mut byte).await {
                Ok(_) => continue,
                Err(e) => break e,
            }
        };
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(1300) && took < Duration::from_millis(4000),
            "{took:?}"
        );
        trickler.abort();
    }

    #[tokio::test]
    async fn a_whole_head_then_a_slow_reply_and_a_second_request_are_not_cut_off() {
        let (mut client, server) = tokio::io::duplex(1024);
        let mut server = IdleLimited::new(server, Duration::from_millis(2000), None);
        server.head_deadline = Some(Duration::from_millis(500));
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut head = [0u8; 27];
        server.read_exact(&mut head).await.unwrap();
        assert_eq!(server.head, Head::Done);
        // The handler takes longer than the head deadline: no read fails,
        // the head being whole.
        let waiting = tokio::spawn(async move {
            let mut byte = [0u8; 1];
            let result = server.read(&mut byte).await.map(|n| (n, byte[0]));
            (server, result)
        });
        tokio::time::sleep(Duration::from_millis(900)).await;
        client.write_all(b"P").await.unwrap();
        let (mut server, result) = waiting.await.unwrap();
        assert_eq!(result.unwrap(), (1, b'P'));
        // A reply starts the next request afresh: a bare-LF head is whole.
        server.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        assert_eq!(server.head, Head::Awaited);
        client.write_all(b"GET / HTTP/1.0\n\n").await.unwrap();
        let mut second = [0u8; 16];
        server.read_exact(&mut second).await.unwrap();
        assert_eq!(server.head, Head::Done);
    }

    #[test]
    fn a_client_at_its_cap_gets_no_more_slots_until_one_closes() {
        let counts: Arc<ClientCounts> = Arc::default();
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        let first = counts.admit(one, 2).unwrap();
        let _second = counts.admit(one, 2).unwrap();
        assert!(counts.admit(one, 2).is_none());
        assert!(counts.admit("192.0.2.2".parse().unwrap(), 2).is_some());
        drop(first);
        assert!(counts.admit(one, 2).is_some());
    }

    #[tokio::test]
    async fn connections_beyond_the_cap_wait_for_a_slot() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut capped = CappedListener {
            inner: listener,
            permits: Arc::new(Semaphore::new(1)),
            clients: Arc::default(),
            per_client: 10,
        };
        let _a = tokio::net::TcpStream::connect(address).await.unwrap();
        let _b = tokio::net::TcpStream::connect(address).await.unwrap();
        let (first, _) = axum::serve::Listener::accept(&mut capped).await;
        // The second is not handed out while the first holds the only slot…
        let waiting = tokio::time::timeout(
            Duration::from_millis(200),
            axum::serve::Listener::accept(&mut capped),
        )
        .await;
        assert!(
            waiting.is_err(),
            "no second connection while the slot is taken"
        );
        // …and is once it is free.
        drop(first);
        let second = tokio::time::timeout(
            Duration::from_secs(2),
            axum::serve::Listener::accept(&mut capped),
        )
        .await;
        assert!(second.is_ok());
    }
}
