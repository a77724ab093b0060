//! DNS over TCP (RFC 7766) on tokio: two-octet length prefix, several
//! queries per connection (pipelined; answers go out as they are ready),
//! an idle timeout and a cap on connections, in all and per client.
//!
//! Nobody can hold the node's TCP slots by connecting and not reading:
//! a connection answers one query at a time, at most 16 KiB of answers
//! wait in its buffer, and every write and flush must make progress
//! within the idle timeout ([`WriteDeadline`]) or the connection is
//! closed — a client that sends pipelined queries and never reads its
//! replies is cut off once the socket's send buffer is full. One address
//! (an IPv6 /64) holds at most `max_connections_per_client` slots.
//!
//! At a stop the listener is
//! closed (new connections are refused), and each connection answers the
//! queries it has received, finishes a transfer under way, and closes
//! instead of waiting for more; the node waits for them
//! ([`crate::shutdown`]).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use answer::view::Views;
use answer::{Client, Outcome, Scratch};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};
use zone::Transport;

use crate::clock::unix_now;
use crate::hooks::UpdateSink;
use crate::lane::Lane;
use crate::shutdown::Shutdown;
use crate::udp::Observer;

/// TCP limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Close a connection with no complete query for this long.
    pub idle_timeout: Duration,
    /// Most connections at once; further ones are closed at once.
    pub max_connections: usize,
    /// Most connections at once from one client ([`client_key`]).
    pub max_connections_per_client: usize,
}

/// Connection counters (accept-time events, rare next to queries: plain
/// shared atomics), and the permits that cap how many are open.
#[derive(Debug)]
pub struct ConnectionStats {
    /// One permit per connection that may be open (`max_connections`),
    /// shared by every listener.
    pub permits: Arc<Semaphore>,
    /// Connections accepted.
    pub accepted: AtomicU64,
    /// Connections closed at once because `max_connections` were open.
    pub refused: AtomicU64,
    /// Connections closed at once because their client had
    /// `max_connections_per_client` open.
    pub refused_client: AtomicU64,
    /// Connections closed because a write made no progress in time (a
    /// client not reading its answers).
    pub write_timeouts: AtomicU64,
    /// Connections open now.
    pub open: AtomicU64,
    /// Connections open now per client, for the per-client cap. Touched
    /// at accept and close only, never per query.
    per_client: Mutex<HashMap<IpAddr, usize>>,
}

impl ConnectionStats {
    /// Counters for a node that keeps at most `max_connections` open.
    pub fn new(max_connections: usize) -> ConnectionStats {
        ConnectionStats {
            permits: Arc::new(Semaphore::new(max_connections)),
            accepted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            refused_client: AtomicU64::new(0),
            write_timeouts: AtomicU64::new(0),
            open: AtomicU64::new(0),
            per_client: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a connection from `peer` unless its client has `limit` open
    /// already; the slot is given back when the returned guard drops.
    fn admit(self: &Arc<Self>, peer: IpAddr, limit: usize) -> Option<ClientSlot> {
        let key = client_key(peer);
        let mut open = self.per_client.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(key).or_insert(0);
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(ClientSlot {
            stats: Arc::clone(self),
            key,
        })
    }
}

/// One connection's place in its client's count.
struct ClientSlot {
    stats: Arc<ConnectionStats>,
    key: IpAddr,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self
            .stats
            .per_client
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Whom a connection counts against: the IPv4 address, or the IPv6 /64
/// (one host or LAN usually holds a whole /64, so counting addresses
/// would let it take every slot). IPv4-mapped addresses count as IPv4.
pub fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

/// What every connection of the node shares: where it counts and logs,
/// its connection counters and cap, and the stop signal.
pub struct Context {
    /// The TCP counter slot and query log queue.
    pub observer: Observer,
    /// Connection counters and permits.
    pub stats: Arc<ConnectionStats>,
    /// Set when the node stops.
    pub stop: Arc<Shutdown>,
}

/// Opens a listening socket (SO_REUSEADDR so restarts do not wait).
pub fn bind(address: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    if address.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_tcp_nodelay(true)?;
    socket.bind(&address.into())?;
    socket.listen(1024)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// Accepts connections until a stop is requested (then closes the
/// listener) or the task is dropped.
pub async fn serve(
    listener: TcpListener,
    lanes: Arc<Vec<Lane>>,
    views: Arc<arc_swap::ArcSwap<Views>>,
    updates: Option<Arc<dyn UpdateSink>>,
    limits: Limits,
    context: Arc<Context>,
) {
    let stop = &context.stop;
    let stats = &context.stats;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.requested() => {
                // Dropping the listener closes it: new connections are refused.
                return;
            }
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "TCP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&stats.permits).try_acquire_owned() else {
            tracing::debug!(%peer, "TCP connection limit reached; closing");
            stats.refused.fetch_add(1, Ordering::Relaxed);
            drop(stream);
            continue;
        };
        let Some(client_slot) = stats.admit(peer.ip(), limits.max_connections_per_client) else {
            tracing::debug!(%peer, "TCP connection limit of this client reached; closing");
            stats.refused_client.fetch_add(1, Ordering::Relaxed);
            drop(stream);
            continue;
        };
        stats.accepted.fetch_add(1, Ordering::Relaxed);
        stats.open.fetch_add(1, Ordering::Relaxed);
        let lanes = Arc::clone(&lanes);
        let views = Arc::clone(&views);
        let updates = updates.clone();
        let hold = stop.hold();
        let context = Arc::clone(&context);
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let served = connection(stream, peer, lanes, views, updates, limits, &context);
            if let Err(e) = served.await {
                if e.kind() == io::ErrorKind::TimedOut {
                    context.stats.write_timeouts.fetch_add(1, Ordering::Relaxed);
                }
                tracing::debug!(%peer, error = %e, "TCP connection ended");
            }
            context.stats.open.fetch_sub(1, Ordering::Relaxed);
            drop(client_slot);
            drop(permit);
            drop(hold);
        });
    }
}

/// Serves one connection: reads length-prefixed messages and writes the
/// answers, flushing whenever no further query is already buffered; at a
/// stop, ends once no query is buffered.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    lanes: Arc<Vec<Lane>>,
    views: Arc<arc_swap::ArcSwap<Views>>,
    updates: Option<Arc<dyn UpdateSink>>,
    limits: Limits,
    context: &Context,
) -> std::io::Result<()> {
    let (read_half, write_half) = stream.into_split();
    let mut reader = BufReader::with_capacity(16 * 1024, read_half);
    let write_half = WriteDeadline::new(write_half, limits.idle_timeout);
    let mut writer = BufWriter::with_capacity(16 * 1024, write_half);
    let (observer, stop) = (&context.observer, &context.stop);
    let mut scratch = Scratch::for_slot(observer.slot);
    let mut request = Vec::with_capacity(512);
    let mut reply = Vec::with_capacity(4096);
    loop {
        let length = if reader.buffer().len() >= 2 {
            reader.read_u16().await?
        } else {
            writer.flush().await?;
            if stop.is_requested() {
                return Ok(());
            }
            let next = tokio::select! {
                next = tokio::time::timeout(limits.idle_timeout, reader.read_u16()) => next,
                // Waiting for a query that has not come: close now.
                _ = stop.requested() => return Ok(()),
            };
            match next {
                Ok(Ok(length)) => length,
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(()),
            }
        } as usize;
        request.resize(length, 0);
        match tokio::time::timeout(limits.idle_timeout, reader.read_exact(&mut request)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Ok(()),
        }
        let received_at = observer.receipt();
        let client = Client {
            address: peer,
            transport: Transport::Tcp,
            now: unix_now(),
        };
        let current_views = views.load();
        let (outcome, view) = if current_views.is_empty() {
            let served = lanes[0].state.load();
            let outcome = answer::respond(&served, &request, &client, &mut scratch, &mut reply);
            (outcome, 0)
        } else {
            let served: Vec<_> = lanes.iter().map(|l| l.state.load_full()).collect();
            answer::respond_in_views(
                &current_views,
                &served,
                &request,
                &client,
                &mut scratch,
                &mut reply,
            )
        };
        if let Some(refusal) = scratch.take_refusal() {
            crate::seclog::refused(peer, &refusal);
        }
        let facts = scratch.facts();
        match outcome {
            Outcome::Drop => {
                observer.observe(facts, Transport::Tcp, &request, None, peer, None);
                continue;
            }
            Outcome::Reply => {
                observer.observe(
                    facts,
                    Transport::Tcp,
                    &request,
                    Some(&reply),
                    peer,
                    received_at,
                );
                writer
                    .write_all(&(reply.len() as u16).to_be_bytes())
                    .await?;
                writer.write_all(&reply).await?;
            }
            Outcome::Update(ticket) => {
                // Only store zones get tickets, and they exist only where a
                // manager does.
                let Some(updates) = &updates else { continue };
                let reply = updates.update(*ticket, view).await;
                writer
                    .write_all(&(reply.len() as u16).to_be_bytes())
                    .await?;
                writer.write_all(&reply).await?;
            }
            Outcome::Transfer(ticket) => {
                // RFC 5936 §4.1: the connection may carry more requests after.
                writer.flush().await?;
                // The view that admitted the request owns the zone.
                let Some(lane) = lanes.get(view) else {
                    continue;
                };
                lane.replicator.serve_transfer(*ticket, &mut writer).await?;
            }
        }
    }
}

/// A writer whose every write, flush and shutdown must make progress
/// within `limit` of first waiting, else it fails with `TimedOut`: the
/// bound on how long a peer that does not read can hold a connection
/// (and the answers buffered for it). Progress of any size restarts the
/// clock, so a slow but reading secondary still gets a long transfer.
pub struct WriteDeadline<W> {
    inner: W,
    limit: Duration,
    timer: Pin<Box<Sleep>>,
    /// Whether the timer runs for the write now waiting.
    armed: bool,
}

impl<W> WriteDeadline<W> {
    /// Wraps `inner`.
    pub fn new(inner: W, limit: Duration) -> WriteDeadline<W> {
        WriteDeadline {
            inner,
            limit,
            timer: Box::pin(tokio::time::sleep(limit)),
            armed: false,
        }
    }

    /// Called when the inner writer is not ready: starts the clock on the
    /// first wait, and fails once it has run out.
    fn waiting<T>(&mut self, cx: &mut TaskContext<'_>) -> Poll<io::Result<T>> {
        if !self.armed {
            self.timer.as_mut().reset(Instant::now() + self.limit);
            self.armed = true;
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer read nothing for the whole write deadline",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progressed<T>(&mut self, result: T) -> Poll<T> {
        self.armed = false;
        Poll::Ready(result)
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(result) => this.progressed(result),
            Poll::Pending => this.waiting(cx),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(result) => this.progressed(result),
            Poll::Pending => this.waiting(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_shutdown(cx) {
            Poll::Ready(result) => this.progressed(result),
            Poll::Pending => this.waiting(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_count_by_address_and_ipv6_by_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
        assert_ne!(
            client_key("192.0.2.7".parse().unwrap()),
            client_key("192.0.2.8".parse().unwrap())
        );
    }

    #[test]
    fn a_client_gets_its_cap_and_its_slots_back() {
        let stats = Arc::new(ConnectionStats::new(100));
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        let two: IpAddr = "192.0.2.2".parse().unwrap();
        let first = stats.admit(one, 2).unwrap();
        let _second = stats.admit(one, 2).unwrap();
        assert!(stats.admit(one, 2).is_none(), "a third from one client");
        assert!(
            stats.admit(two, 2).is_some(),
            "another client is not affected"
        );
        drop(first);
        assert!(stats.admit(one, 2).is_some(), "a closed slot is given back");
    }

    #[tokio::test]
    async fn a_write_the_peer_never_reads_fails_at_the_deadline() {
        // A pipe with 64 octets of room that nobody reads.
        let (_peer, ours) = tokio::io::duplex(64);
        let mut writer = WriteDeadline::new(ours, Duration::from_millis(300));
        let started = std::time::Instant::now();
        let error = writer.write_all(&[0u8; 4096]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(250));
    }

    #[tokio::test]
    async fn a_slow_reader_keeps_its_connection() {
        let (mut peer, ours) = tokio::io::duplex(64);
        let mut writer = WriteDeadline::new(ours, Duration::from_millis(400));
        // 16 reads of 64 octets, 100 ms apart: 1.6 s in all, never 400 ms
        // without progress.
        let reader = tokio::spawn(async move {
            let mut got = 0;
            let mut buffer = [0u8; 64];
            while got < 1024 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                got += tokio::io::AsyncReadExt::read(&mut peer, &mut buffer)
                    .await
                    .unwrap();
            }
            got
        });
        writer.write_all(&[7u8; 1024]).await.unwrap();
        assert_eq!(reader.await.unwrap(), 1024);
    }
}
