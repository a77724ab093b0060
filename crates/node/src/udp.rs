//! The UDP fast path: dedicated worker threads, each with its own
//! SO_REUSEPORT socket, reading and writing in batches with
//! `recvmmsg`/`sendmmsg`.
//!
//! ```text
//!  kernel ──recvmmsg (≤32)──► [request, source, destination] ──answer::respond──► [reply]
//!         ◄──sendmmsg──────── reply from the address the query was sent to (IP_PKTINFO)
//! ```
//!
//! Behind LVS in DR mode the service address lives on `lo` and the query
//! arrives for it; a socket bound to the wildcard address would otherwise
//! answer from the host's own address and the client would drop the reply.
//! So on wildcard sockets we ask the kernel for each datagram's destination
//! (IP_PKTINFO / IPV6_RECVPKTINFO) and send the reply from it.
//!
//! Workers block in `recvmmsg` without a timeout; [`wake_for_shutdown`]
//! ends the wait when the node stops.
//!
//! `nix` has `recvmmsg`/`sendmmsg`, but its `sendmmsg` shares one set of
//! control messages across the whole batch, which cannot carry a different
//! source address per reply; so this module calls libc directly. Every
//! `unsafe` block says why it is sound.

#![allow(unsafe_code)]

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use answer::stats::Facts;
use answer::{Client, Scratch, Served};
use arc_swap::{ArcSwap, Cache};
use socket2::{Domain, Protocol, Socket, Type};
use zone::Transport;

use crate::querylog;
use crate::stats::Counters;

/// Datagrams handled per system call.
const BATCH: usize = 32;
/// Largest request we read; larger datagrams are truncated by the kernel
/// and dropped (no query needs more; RFC 6891 makes 4096 the usual limit).
const RECEIVE_SIZE: usize = 8192;
/// Room for one IP_PKTINFO or IPV6_PKTINFO control message.
const CONTROL_SIZE: usize = 64;

/// Opens one SO_REUSEPORT UDP socket on `address` for a worker.
pub fn bind(address: SocketAddr) -> io::Result<UdpSocket> {
    let socket = Socket::new(
        Domain::for_address(address),
        Type::DGRAM,
        Some(Protocol::UDP),
    )?;
    socket.set_reuse_port(true)?;
    if address.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    // Best effort: a larger receive buffer rides out bursts; the kernel caps it.
    let _ = socket.set_recv_buffer_size(4 << 20);
    let _ = socket.set_send_buffer_size(4 << 20);
    if address.ip().is_unspecified() {
        enable_destination_info(&socket, address.is_ipv6())?;
    }
    socket.bind(&address.into())?;
    Ok(socket.into())
}

fn enable_destination_info(socket: &Socket, ipv6: bool) -> io::Result<()> {
    let on: libc::c_int = 1;
    let (level, option) = if ipv6 {
        (libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO)
    } else {
        (libc::IPPROTO_IP, libc::IP_PKTINFO)
    };
    // SAFETY: `on` is a live c_int and we pass its exact size; the fd is open.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            option,
            (&on as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Wakes a worker blocked in `recvmmsg` for good: a read shutdown makes
/// every later receive return at once. Linux does this for unconnected UDP
/// sockets too (and reports ENOTCONN, which is expected here). Blocking
/// without a receive timeout saves a timer per sleep on the query path.
pub fn wake_for_shutdown(socket: &UdpSocket) {
    // SAFETY: shutdown(2) on an open descriptor we own has no memory effects.
    unsafe {
        libc::shutdown(socket.as_raw_fd(), libc::SHUT_RD);
    }
}

/// One worker: owns its socket and runs until `shutdown` is set.
pub struct Worker {
    /// The worker's own socket.
    pub socket: UdpSocket,
    /// Whether replies must carry their source address (wildcard binding).
    pub wildcard: bool,
    /// The serving state of each view (one without views).
    pub lanes: Vec<Arc<ArcSwap<Served>>>,
    /// Each view's Response Rate Limiting, by lane; `None` where off.
    pub rrl: Vec<Option<Arc<answer::rrl::Limiter>>>,
    /// The views, in match order (empty: `lanes[0]` answers everything).
    /// Swapped whole by a reload (match lists); never between none and
    /// some.
    pub views: Arc<arc_swap::ArcSwap<answer::view::Views>>,
    /// Set to stop.
    pub shutdown: Arc<AtomicBool>,
    /// Where accepted dynamic updates go (the primary's writer); `None`
    /// where there is none.
    pub updates: Option<tokio::sync::mpsc::Sender<UdpUpdate>>,
    /// Its counters and query log queue.
    pub observer: Observer,
}

/// What a transport counts and logs into: one per UDP worker, one shared
/// by the TCP tasks (see [`crate::stats`] and [`crate::querylog`]).
pub struct Observer {
    /// The counter slot (UDP worker index; the last is TCP's).
    pub slot: usize,
    /// The slot's query counters.
    pub counters: Arc<Counters>,
    /// The query log queue.
    pub log: Arc<querylog::Producer>,
    /// Whether the node has views (a query no view admits is counted as
    /// such).
    pub views: bool,
}

impl Observer {
    /// Counts one request and logs it when the log is on. `received`:
    /// when the request was read, as Unix µs and as an instant (read only
    /// while the log is on).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn observe(
        &self,
        facts: &Facts,
        transport: Transport,
        request: &[u8],
        reply: Option<&[u8]>,
        client: SocketAddr,
        received: Option<(u64, Instant)>,
    ) {
        self.counters.record(facts, transport, reply, self.views);
        if let (Some(reply), Some((time_us, at))) = (reply, received) {
            let latency = at.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
            self.log.log(querylog::Entry::new(
                facts, request, reply, client, transport, time_us, latency,
            ));
        }
    }

    /// When a request read now was received, if the log is on (the clock
    /// is read only then).
    #[inline]
    pub fn receipt(&self) -> Option<(u64, Instant)> {
        self.log.enabled().then(|| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_micros() as u64);
            (now, Instant::now())
        })
    }
}

/// A dynamic update received over UDP, for the writer, which answers it
/// with [`send_one`] once the change is committed.
pub struct UdpUpdate {
    /// The accepted update.
    pub ticket: Box<answer::update::UpdateTicket>,
    /// The lane (view) that accepted it.
    pub lane: usize,
    /// A handle on the socket it arrived on.
    pub socket: Arc<UdpSocket>,
    /// The client.
    pub to: SocketAddr,
    /// The address it was sent to, for a wildcard socket.
    pub from: Option<IpAddr>,
}

/// Buffers for one batch. Boxed so the pointers inside the message headers
/// stay valid while the batch lives.
struct Batch {
    receive: Vec<[u8; RECEIVE_SIZE]>,
    receive_names: [libc::sockaddr_storage; BATCH],
    receive_control: [[u8; CONTROL_SIZE]; BATCH],
    receive_iov: [libc::iovec; BATCH],
    receive_headers: [libc::mmsghdr; BATCH],
    replies: Vec<Vec<u8>>,
    send_names: [libc::sockaddr_storage; BATCH],
    send_control: [[u8; CONTROL_SIZE]; BATCH],
    send_iov: [libc::iovec; BATCH],
    send_headers: [libc::mmsghdr; BATCH],
}

impl Batch {
    fn new() -> Box<Batch> {
        // SAFETY: every field is plain old data (integers, byte arrays, raw
        // pointers, C structs) for which all-zero bytes are a valid value;
        // the Vecs are replaced right after.
        let mut batch: Box<Batch> = Box::new(unsafe { zeroed::<BatchPod>() }.into_batch());
        batch.receive = vec![[0u8; RECEIVE_SIZE]; BATCH];
        batch.replies = (0..BATCH).map(|_| Vec::with_capacity(4096)).collect();
        batch
    }

    /// Points the receive headers at their buffers (the kernel rewrites the
    /// lengths on every call, so this runs before each `recvmmsg`).
    fn arm_receive(&mut self) {
        for i in 0..BATCH {
            self.receive_iov[i] = libc::iovec {
                iov_base: self.receive[i].as_mut_ptr().cast(),
                iov_len: RECEIVE_SIZE,
            };
            let header = &mut self.receive_headers[i].msg_hdr;
            header.msg_name = (&mut self.receive_names[i] as *mut libc::sockaddr_storage).cast();
            header.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            header.msg_iov = &mut self.receive_iov[i];
            header.msg_iovlen = 1;
            header.msg_control = self.receive_control[i].as_mut_ptr().cast();
            header.msg_controllen = CONTROL_SIZE as _;
            header.msg_flags = 0;
            self.receive_headers[i].msg_len = 0;
        }
    }
}

/// The zeroable part of [`Batch`]; the Vec fields are filled in after.
#[repr(C)]
struct BatchPod {
    receive_names: [libc::sockaddr_storage; BATCH],
    receive_control: [[u8; CONTROL_SIZE]; BATCH],
    receive_iov: [libc::iovec; BATCH],
    receive_headers: [libc::mmsghdr; BATCH],
    send_names: [libc::sockaddr_storage; BATCH],
    send_control: [[u8; CONTROL_SIZE]; BATCH],
    send_iov: [libc::iovec; BATCH],
    send_headers: [libc::mmsghdr; BATCH],
}

impl BatchPod {
    fn into_batch(self) -> Batch {
        Batch {
            receive: Vec::new(),
            receive_names: self.receive_names,
            receive_control: self.receive_control,
            receive_iov: self.receive_iov,
            receive_headers: self.receive_headers,
            replies: Vec::new(),
            send_names: self.send_names,
            send_control: self.send_control,
            send_iov: self.send_iov,
            send_headers: self.send_headers,
        }
    }
}

impl Worker {
    /// Serves until shutdown.
    pub fn run(self) {
        let fd = self.socket.as_raw_fd();
        let mut batch = Batch::new();
        let mut scratch = Scratch::for_slot(self.observer.slot);
        let mut caches: Vec<_> = self
            .lanes
            .iter()
            .map(|l| Cache::new(Arc::clone(l)))
            .collect();
        // The views' states for one batch, reused so a batch allocates nothing.
        let mut current: Vec<Arc<Served>> = Vec::with_capacity(caches.len());
        // Updates are rare; the handle for answering them is made once.
        let reply_socket = self
            .updates
            .as_ref()
            .and_then(|_| self.socket.try_clone().ok())
            .map(Arc::new);
        // A reload never adds the first view or removes the last.
        let single = self.views.load().is_empty();
        while !self.shutdown.load(Ordering::Relaxed) {
            batch.arm_receive();
            // SAFETY: the headers point into `batch`, which outlives the call;
            // each buffer's length is the one given in its iovec/namelen.
            let received = unsafe {
                libc::recvmmsg(
                    fd,
                    batch.receive_headers.as_mut_ptr(),
                    BATCH as libc::c_uint,
                    libc::MSG_WAITFORONE,
                    std::ptr::null_mut(),
                )
            };
            if received < 0 {
                let err = io::Error::last_os_error();
                match err.kind() {
                    io::ErrorKind::WouldBlock
                    | io::ErrorKind::TimedOut
                    | io::ErrorKind::Interrupted => continue,
                    _ => {
                        tracing::warn!(error = %err, "UDP receive failed");
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                }
            }
            // With views, every view's state for this batch; without, the
            // one state is read in place, as before views existed.
            current.clear();
            let views = (!single).then(|| self.views.load_full());
            if !single {
                current.extend(caches.iter_mut().map(|c| Arc::clone(c.load())));
            }
            let now = crate::clock::unix_now();
            let received_at = self.observer.receipt();
            let mut replies = 0;
            for i in 0..received as usize {
                let header = &batch.receive_headers[i].msg_hdr;
                if header.msg_flags & libc::MSG_TRUNC != 0 {
                    continue;
                }
                let Some(source) = socket_address(&batch.receive_names[i]) else {
                    continue;
                };
                let destination = if self.wildcard {
                    destination_of(header)
                } else {
                    None
                };
                let len = batch.receive_headers[i].msg_len as usize;
                let client = Client {
                    address: source,
                    transport: Transport::Udp,
                    now,
                };
                let request = &batch.receive[i][..len];
                let reply = &mut batch.replies[replies];
                let (outcome, lane) = if single {
                    let outcome =
                        answer::respond(caches[0].load(), request, &client, &mut scratch, reply);
                    (outcome, 0)
                } else {
                    answer::respond_in_views(
                        views.as_deref().expect("loaded for views"),
                        &current,
                        request,
                        &client,
                        &mut scratch,
                        reply,
                    )
                };
                if let Some(refusal) = scratch.take_refusal() {
                    crate::seclog::refused(source, &refusal);
                }
                match outcome {
                    answer::Outcome::Reply => {
                        if let Some(limiter) = self.rrl.get(lane).and_then(Option::as_deref)
                            && let Some(limited) = limiter.judge(now, source.ip(), reply)
                        {
                            if limited.started {
                                crate::seclog::rate_limited(
                                    source,
                                    limiter.settings(),
                                    limited,
                                    scratch.facts().qname(request),
                                );
                            }
                            match limited.action {
                                answer::rrl::Action::Dropped => {
                                    let facts = scratch.facts();
                                    self.observer.observe(
                                        facts,
                                        Transport::Udp,
                                        request,
                                        None,
                                        source,
                                        None,
                                    );
                                    continue;
                                }
                                answer::rrl::Action::Slipped => answer::rrl::slip_reply(reply),
                                answer::rrl::Action::Logged => {}
                            }
                        }
                        self.observer.observe(
                            scratch.facts(),
                            Transport::Udp,
                            request,
                            Some(reply),
                            source,
                            received_at,
                        );
                    }
                    answer::Outcome::Update(ticket) => {
                        if let (Some(updates), Some(socket)) = (&self.updates, &reply_socket) {
                            let update = UdpUpdate {
                                ticket,
                                lane,
                                socket: Arc::clone(socket),
                                to: source,
                                from: destination,
                            };
                            if updates.try_send(update).is_err() {
                                // The writer is overwhelmed; the client retries.
                                tracing::warn!(client = %source, "dynamic update dropped: writer queue full");
                            }
                        }
                        continue;
                    }
                    // Dropped, or a transfer (which never comes over UDP).
                    answer::Outcome::Drop | answer::Outcome::Transfer(_) => {
                        let facts = scratch.facts();
                        self.observer
                            .observe(facts, Transport::Udp, request, None, source, None);
                        continue;
                    }
                }
                prepare_send(&mut batch, replies, source, destination);
                replies += 1;
            }
            send_all(fd, &mut batch, replies);
        }
    }
}

/// Fills send slot `slot` for the reply already in `batch.replies[slot]`.
fn prepare_send(batch: &mut Batch, slot: usize, to: SocketAddr, from: Option<IpAddr>) {
    let name_len = write_socket_address(&mut batch.send_names[slot], to);
    let reply = &mut batch.replies[slot];
    batch.send_iov[slot] = libc::iovec {
        iov_base: reply.as_mut_ptr().cast(),
        iov_len: reply.len(),
    };
    let control_len = match from {
        Some(from) => write_source_control(&mut batch.send_control[slot], from),
        None => 0,
    };
    let header = &mut batch.send_headers[slot].msg_hdr;
    header.msg_name = (&mut batch.send_names[slot] as *mut libc::sockaddr_storage).cast();
    header.msg_namelen = name_len;
    header.msg_iov = &mut batch.send_iov[slot];
    header.msg_iovlen = 1;
    header.msg_control = if control_len > 0 {
        batch.send_control[slot].as_mut_ptr().cast()
    } else {
        std::ptr::null_mut()
    };
    header.msg_controllen = control_len as _;
    header.msg_flags = 0;
}

/// Sends `count` prepared replies, retrying after partial sends.
fn send_all(fd: libc::c_int, batch: &mut Batch, count: usize) {
    let mut sent = 0;
    while sent < count {
        // SAFETY: slots `sent..count` were prepared by `prepare_send` and
        // point into `batch`, which outlives the call.
        let n = unsafe {
            libc::sendmmsg(
                fd,
                batch.send_headers[sent..].as_mut_ptr(),
                (count - sent) as libc::c_uint,
                0,
            )
        };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            // A reply that cannot be sent (unreachable client, full buffer)
            // is dropped; the client retries. Skip it and go on.
            tracing::debug!(error = %err, "UDP send failed");
            sent += 1;
            continue;
        }
        sent += n as usize;
    }
}

/// Sends one datagram from `from` (when the socket is bound to a wildcard
/// address) to `to`: the reply to a dynamic update, sent outside the
/// batches.
pub fn send_one(socket: &UdpSocket, reply: &[u8], to: SocketAddr, from: Option<IpAddr>) {
    // SAFETY: all-zero is a valid sockaddr_storage and msghdr.
    let mut name: libc::sockaddr_storage = unsafe { zeroed() };
    let name_len = write_socket_address(&mut name, to);
    let mut control = [0u8; CONTROL_SIZE];
    let control_len = match from {
        Some(from) => write_source_control(&mut control, from),
        None => 0,
    };
    let mut iov = libc::iovec {
        iov_base: reply.as_ptr().cast_mut().cast(),
        iov_len: reply.len(),
    };
    // SAFETY: as above.
    let mut header: libc::msghdr = unsafe { zeroed() };
    header.msg_name = (&mut name as *mut libc::sockaddr_storage).cast();
    header.msg_namelen = name_len;
    header.msg_iov = &mut iov;
    header.msg_iovlen = 1;
    if control_len > 0 {
        header.msg_control = control.as_mut_ptr().cast();
        header.msg_controllen = control_len as _;
    }
    // SAFETY: every pointer in `header` refers to a local that outlives the
    // call; the kernel only reads the iovec's buffer (sendmsg does not
    // write to it despite the mutable pointer type).
    let sent = unsafe { libc::sendmsg(socket.as_raw_fd(), &header, 0) };
    if sent < 0 {
        tracing::debug!(error = %io::Error::last_os_error(), client = %to, "UDP send failed");
    }
}

/// Converts a kernel socket address.
fn socket_address(storage: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match storage.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in, and
            // sockaddr_storage is large and aligned enough for it.
            let sin =
                unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for sockaddr_in6.
            let sin6 = unsafe {
                &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// Writes a socket address for the kernel; returns its length.
fn write_socket_address(
    storage: &mut libc::sockaddr_storage,
    address: SocketAddr,
) -> libc::socklen_t {
    match address {
        SocketAddr::V4(v4) => {
            // SAFETY: sockaddr_storage is large and aligned enough for a
            // sockaddr_in; we write every field we rely on.
            let sin = unsafe {
                &mut *(storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>()
            };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = v4.port().to_be();
            sin.sin_addr = libc::in_addr {
                s_addr: u32::from(*v4.ip()).to_be(),
            };
            sin.sin_zero = [0; 8];
            size_of::<libc::sockaddr_in>() as libc::socklen_t
        }
        SocketAddr::V6(v6) => {
            // SAFETY: as above, for sockaddr_in6.
            let sin6 = unsafe {
                &mut *(storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = v6.port().to_be();
            sin6.sin6_flowinfo = v6.flowinfo();
            sin6.sin6_addr = libc::in6_addr {
                s6_addr: v6.ip().octets(),
            };
            sin6.sin6_scope_id = v6.scope_id();
            size_of::<libc::sockaddr_in6>() as libc::socklen_t
        }
    }
}

/// The address a datagram was sent to, from its IP_PKTINFO/IPV6_PKTINFO.
fn destination_of(header: &libc::msghdr) -> Option<IpAddr> {
    // SAFETY: `header` was filled by recvmmsg; its control pointer and
    // length describe our own buffer, and the CMSG_* macros stay within it.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(header);
        while !cmsg.is_null() {
            let c = &*cmsg;
            if c.cmsg_level == libc::IPPROTO_IP && c.cmsg_type == libc::IP_PKTINFO {
                let info =
                    std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::in_pktinfo>());
                return Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                    info.ipi_addr.s_addr,
                ))));
            }
            if c.cmsg_level == libc::IPPROTO_IPV6 && c.cmsg_type == libc::IPV6_PKTINFO {
                let info =
                    std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::in6_pktinfo>());
                return Some(IpAddr::V6(Ipv6Addr::from(info.ipi6_addr.s6_addr)));
            }
            cmsg = libc::CMSG_NXTHDR(header, cmsg);
        }
    }
    None
}

/// Writes a control message that sets the reply's source address; returns
/// the control length. The interface is left to routing (index 0).
fn write_source_control(buffer: &mut [u8; CONTROL_SIZE], from: IpAddr) -> usize {
    buffer.fill(0);
    let mut header: libc::msghdr = {
        // SAFETY: msghdr is plain old data; all-zero is a valid value.
        unsafe { zeroed() }
    };
    header.msg_control = buffer.as_mut_ptr().cast();
    match from {
        IpAddr::V4(ip) => {
            // SAFETY: CMSG_SPACE is a pure size computation.
            let space = unsafe { libc::CMSG_SPACE(size_of::<libc::in_pktinfo>() as u32) } as usize;
            header.msg_controllen = space as _;
            // SAFETY: the buffer is CONTROL_SIZE ≥ `space` bytes; CMSG_FIRSTHDR
            // returns its start, and the data write stays inside `space`.
            unsafe {
                let cmsg = libc::CMSG_FIRSTHDR(&header);
                (*cmsg).cmsg_level = libc::IPPROTO_IP;
                (*cmsg).cmsg_type = libc::IP_PKTINFO;
                (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<libc::in_pktinfo>() as u32) as _;
                let info = libc::in_pktinfo {
                    ipi_ifindex: 0,
                    ipi_spec_dst: libc::in_addr {
                        s_addr: u32::from(ip).to_be(),
                    },
                    ipi_addr: libc::in_addr { s_addr: 0 },
                };
                std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::in_pktinfo>(), info);
            }
            space
        }
        IpAddr::V6(ip) => {
            // SAFETY: as above, for in6_pktinfo.
            let space = unsafe { libc::CMSG_SPACE(size_of::<libc::in6_pktinfo>() as u32) } as usize;
            header.msg_controllen = space as _;
            // SAFETY: as above.
            unsafe {
                let cmsg = libc::CMSG_FIRSTHDR(&header);
                (*cmsg).cmsg_level = libc::IPPROTO_IPV6;
                (*cmsg).cmsg_type = libc::IPV6_PKTINFO;
                (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<libc::in6_pktinfo>() as u32) as _;
                let info = libc::in6_pktinfo {
                    ipi6_addr: libc::in6_addr {
                        s6_addr: ip.octets(),
                    },
                    ipi6_ifindex: 0,
                };
                std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::in6_pktinfo>(), info);
            }
            space
        }
    }
}
