//! Bounds on the HTTP side: at most [`MAX_CONNECTIONS`] connections at
//! once (more wait in the kernel's listen backlog), and a connection that
//! moves no octet either way for [`IDLE_TIMEOUT`] is closed, so slow or
//! silent clients cannot pin the node's descriptors and memory.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// HTTP connections served at once.
pub const MAX_CONNECTIONS: usize = 256;

/// A connection with no progress for this long is closed (keep-alive
/// clients reconnect).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A TCP listener that hands out at most [`MAX_CONNECTIONS`] connections.
pub struct CappedListener {
    inner: tokio::net::TcpListener,
    permits: Arc<Semaphore>,
}

impl CappedListener {
    /// Wraps `inner`.
    pub fn new(inner: tokio::net::TcpListener) -> CappedListener {
        CappedListener {
            inner,
            permits: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
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
                    return (IdleLimited::new(stream, IDLE_TIMEOUT, permit), address);
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
/// made progress for its idle time, and holds its connection slot.
pub struct IdleLimited<S> {
    stream: S,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    _permit: Option<OwnedSemaphorePermit>,
}

impl<S> IdleLimited<S> {
    /// Wraps `stream`, closing it after `idle` without progress.
    pub fn new(stream: S, idle: Duration, permit: Option<OwnedSemaphorePermit>) -> IdleLimited<S> {
        IdleLimited {
            stream,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
            _permit: permit,
        }
    }

    /// The stream inside.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    fn progressed(&mut self) {
        let next = Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }

    /// `Pending` while time is left (the deadline will wake the task), the
    /// timeout error once it is spent.
    fn check_idle<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "HTTP connection idle for too long",
            ))),
            Poll::Pending => Poll::Pending,
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
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(result) => {
                this.progressed();
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
                this.progressed();
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
    async fn connections_beyond_the_cap_wait_for_a_slot() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut capped = CappedListener {
            inner: listener,
            permits: Arc::new(Semaphore::new(1)),
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
