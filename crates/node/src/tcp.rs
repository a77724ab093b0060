//! DNS over TCP (RFC 7766) on tokio: two-octet length prefix, several
//! queries per connection (pipelined; answers go out as they are ready),
//! an idle timeout and a cap on connections. At a stop the listener is
//! closed (new connections are refused), and each connection answers the
//! queries it has received, finishes a transfer under way, and closes
//! instead of waiting for more; the node waits for them
//! ([`crate::shutdown`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use answer::view::Views;
use answer::{Client, Outcome, Scratch};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
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
    /// Connections open now.
    pub open: AtomicU64,
}

impl ConnectionStats {
    /// Counters for a node that keeps at most `max_connections` open.
    pub fn new(max_connections: usize) -> ConnectionStats {
        ConnectionStats {
            permits: Arc::new(Semaphore::new(max_connections)),
            accepted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            open: AtomicU64::new(0),
        }
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
                tracing::debug!(%peer, error = %e, "TCP connection ended");
            }
            context.stats.open.fetch_sub(1, Ordering::Relaxed);
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
