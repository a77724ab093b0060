//! Framing and queries on the wire shared by the refresh task, transfers
//! and NOTIFY: TCP length prefixes with deadlines, the local address to
//! send from, and signed single-question queries.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use wire::tsig::{self, Key};
use wire::writer::{Owner, Section, Writer};
use wire::{Class, Name, Record, Rtype};

use super::unix;

pub(super) async fn write_framed<W: AsyncWrite + Unpin>(
    writer: &mut W,
    message: &[u8],
    timeout: Duration,
) -> std::io::Result<()> {
    let mut framed = Vec::with_capacity(message.len() + 2);
    framed.extend_from_slice(&(message.len() as u16).to_be_bytes());
    framed.extend_from_slice(message);
    tokio::time::timeout(timeout, writer.write_all(&framed))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "peer stopped reading"))?
}

pub(super) fn local_any(peer: SocketAddr) -> SocketAddr {
    match peer {
        SocketAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        SocketAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    }
}

/// Builds a query for `apex` (SOA, or a transfer), signed when `key` is set.
pub(super) fn build_query(
    apex: &Name,
    qtype: Rtype,
    authority: Option<&Record>,
    key: Option<Arc<Key>>,
    id: u16,
) -> (Vec<u8>, Option<tsig::ResponseVerifier>) {
    let mut buf = Vec::with_capacity(512);
    let mut writer = Writer::new(&mut buf, 65535);
    let _ = writer.question(apex.as_wire(), qtype, Class::IN, true);
    if let Some(soa) = authority {
        writer.set_section(Section::Authority);
        let _ = writer.record(Owner::Question, Rtype::SOA, Class::IN, soa.ttl, &soa.rdata);
    }
    writer.finish(id, 0);
    let verifier = key.and_then(|key| {
        tsig::sign_request(&mut buf, key, unix(SystemTime::now()), tsig::DEFAULT_FUDGE).ok()
    });
    (buf, verifier)
}

pub(super) async fn read_framed(
    stream: &mut TcpStream,
    timeout: Duration,
) -> std::io::Result<Vec<u8>> {
    let len = tokio::time::timeout(timeout, stream.read_u16())
        .await
        .map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::TimedOut, "the primary went quiet")
        })??;
    let mut message = vec![0u8; len as usize];
    tokio::time::timeout(timeout, stream.read_exact(&mut message))
        .await
        .map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::TimedOut, "the primary went quiet")
        })??;
    Ok(message)
}
