//! The network side of `hadns check`, in blocking std::net (one process,
//! a handful of questions: no runtime to start): a DNS question over UDP
//! or TCP with a deadline, TSIG-signed when a key is given, and one
//! HTTP/1.1 GET for the node's `/health`. Everything received is checked
//! before it is used; nothing here panics on what a peer sends.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use wire::tsig::{self, Key, ResponseVerifier};
use wire::writer::Writer;
use wire::{Class, Name, Rtype};

use super::plan::HealthUrl;
use super::verdict::Transport;
use web::client::{self as http_client, HttpError};

/// The EDNS payload size offered: the DNS Flag Day 2020 value, which
/// keeps answers out of IP fragmentation.
const EDNS_PAYLOAD: u16 = 1232;

/// The largest `/health` body read (some 200,000 zones).
const MAX_HEALTH_BODY: usize = 64 * 1024 * 1024;

/// A question to send: its wire form, its ID, and the verifier of the
/// signed answer when it was signed.
pub struct Question {
    bytes: Vec<u8>,
    id: u16,
    verifier: Option<ResponseVerifier>,
}

impl Question {
    /// `qname`/`qtype` in class IN with EDNS, signed with `key` if given.
    pub fn new(qname: &Name, qtype: Rtype, key: Option<Arc<Key>>) -> Question {
        let id = random_id();
        let mut bytes = Vec::with_capacity(512);
        let mut writer = Writer::new(&mut bytes, 65535);
        // A name of at most 255 octets and an OPT record always fit 64 KiB.
        let _ = writer.question(qname.as_wire(), qtype, Class::IN, true);
        let _ = writer.opt(EDNS_PAYLOAD, 0, 0, false, &[]);
        writer.finish(id, 0);
        let verifier = key.and_then(|key| {
            tsig::sign_request(&mut bytes, key, unix_now(), tsig::DEFAULT_FUDGE).ok()
        });
        Question {
            bytes,
            id,
            verifier,
        }
    }

    /// Checks the answer's TSIG when the question was signed.
    pub fn verify(&mut self, reply: &[u8]) -> Result<(), String> {
        match self.verifier.as_mut() {
            None => Ok(()),
            Some(verifier) => verifier
                .verify(reply, unix_now())
                .map(|_| ())
                .map_err(|e| format!("TSIG: {e}")),
        }
    }
}

/// Why no answer came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    /// Nothing within the timeout.
    #[error("timed out after {}", seconds(*.0))]
    Timeout(Duration),
    /// The socket failed (refused, unreachable…).
    #[error("{0}")]
    Io(String),
}

fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Asks `server` over `transport`; a truncated UDP answer is asked again
/// over TCP. Returns the answer with the question's ID. Each attempt has
/// `timeout`.
pub fn exchange(
    server: SocketAddr,
    question: &Question,
    transport: Transport,
    timeout: Duration,
) -> Result<Vec<u8>, ExchangeError> {
    match transport {
        Transport::Tcp => exchange_tcp(server, question, timeout),
        Transport::Udp => {
            let reply = exchange_udp(server, question, timeout)?;
            // TC (RFC 1035 §4.2.1): the whole answer is there over TCP.
            if reply.get(2).is_some_and(|bits| bits & 0x02 != 0) {
                exchange_tcp(server, question, timeout)
            } else {
                Ok(reply)
            }
        }
    }
}

fn exchange_udp(
    server: SocketAddr,
    question: &Question,
    timeout: Duration,
) -> Result<Vec<u8>, ExchangeError> {
    let io = |e: std::io::Error| ExchangeError::Io(io_text(&e));
    let local = match server.ip() {
        IpAddr::V4(_) => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0),
        IpAddr::V6(_) => SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 0),
    };
    let socket = UdpSocket::bind(local).map_err(io)?;
    // Connected: only the server's datagrams arrive, and an ICMP port
    // unreachable (nothing listening) ends the wait at once.
    socket.connect(server).map_err(io)?;
    socket.send(&question.bytes).map_err(io)?;
    let deadline = Instant::now() + timeout;
    let mut buf = vec![0u8; 65535];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ExchangeError::Timeout(timeout));
        }
        socket.set_read_timeout(Some(left)).map_err(io)?;
        match socket.recv(&mut buf) {
            Ok(len) => {
                // Someone else's answer (a late one to an earlier check
                // cannot reach this new socket, but be sure): keep waiting.
                if len >= 12 && buf[..2] == question.id.to_be_bytes() {
                    return Ok(buf[..len].to_vec());
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(ExchangeError::Timeout(timeout));
            }
            Err(e) => return Err(io(e)),
        }
    }
}

fn exchange_tcp(
    server: SocketAddr,
    question: &Question,
    timeout: Duration,
) -> Result<Vec<u8>, ExchangeError> {
    let deadline = Instant::now() + timeout;
    let failed = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            ExchangeError::Timeout(timeout)
        }
        _ => ExchangeError::Io(io_text(&e)),
    };
    let mut stream = TcpStream::connect_timeout(&server, timeout).map_err(failed)?;
    let _ = stream.set_nodelay(true);
    let mut framed = Vec::with_capacity(question.bytes.len() + 2);
    framed.extend_from_slice(&(question.bytes.len() as u16).to_be_bytes());
    framed.extend_from_slice(&question.bytes);
    stream
        .set_write_timeout(Some(remaining(deadline, timeout)?))
        .map_err(failed)?;
    stream.write_all(&framed).map_err(failed)?;
    let mut len = [0u8; 2];
    read_exact_by(&mut stream, &mut len, deadline, timeout)?;
    let mut reply = vec![0u8; u16::from_be_bytes(len) as usize];
    read_exact_by(&mut stream, &mut reply, deadline, timeout)?;
    if reply.len() < 12 || reply[..2] != question.id.to_be_bytes() {
        return Err(ExchangeError::Io("an answer with another ID".to_string()));
    }
    Ok(reply)
}

/// Time left before `deadline`, or the timeout error.
fn remaining(deadline: Instant, timeout: Duration) -> Result<Duration, ExchangeError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(ExchangeError::Timeout(timeout))
    } else {
        Ok(left)
    }
}

fn read_exact_by(
    stream: &mut TcpStream,
    buf: &mut [u8],
    deadline: Instant,
    timeout: Duration,
) -> Result<(), ExchangeError> {
    let mut filled = 0;
    while filled < buf.len() {
        stream
            .set_read_timeout(Some(remaining(deadline, timeout)?))
            .map_err(|e| ExchangeError::Io(io_text(&e)))?;
        match stream.read(&mut buf[filled..]) {
            Ok(0) => {
                return Err(ExchangeError::Io(
                    "the server closed the connection before answering".to_string(),
                ));
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(ExchangeError::Timeout(timeout));
            }
            Err(e) => return Err(ExchangeError::Io(io_text(&e))),
        }
    }
    Ok(())
}

/// GETs `url` (HTTP/1.1, `Connection: close`) within `timeout`; returns
/// the body of a 200 answer.
pub fn http_get(url: &HealthUrl, timeout: Duration) -> Result<Vec<u8>, String> {
    let request = http_client::Request {
        method: "GET",
        path: &url.path,
        headers: &[("Accept", "application/json")],
        body: None,
    };
    let (status, body) = http_client::exchange(url.address, &request, timeout, MAX_HEALTH_BODY)
        .map_err(|e| match e {
            HttpError::Timeout => format!("timed out after {}", seconds(timeout)),
            HttpError::Connect(e) | HttpError::Io(e) => io_text(&e),
            other => other.to_string(),
        })?;
    if status != 200 {
        let text = String::from_utf8_lossy(&body);
        let text: String = text.chars().take(200).collect();
        return Err(format!("HTTP {status}: {}", text.trim()));
    }
    Ok(body)
}

/// An I/O error as the line shows it: `connection refused`, without the
/// `(os error 111)` an operator has no use for.
fn io_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text.to_string(),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A query ID that is hard to guess (RFC 5452 §9.2): a forged answer must
/// not make a dead node look alive.
fn random_id() -> u16 {
    let mut bytes = [0u8; 2];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: the clock's nanoseconds still differ per run.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        return (nanos ^ (nanos >> 16)) as u16;
    }
    u16::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_is_a_query_with_edns_and_signed_when_keyed() {
        let apex = Name::from_text("example.com.", None).unwrap();
        let question = Question::new(&apex, Rtype::SOA, None);
        let message = wire::Message::parse(&question.bytes).unwrap();
        assert_eq!(message.header.id, question.id);
        assert_eq!(message.questions[0].qname, apex);
        assert_eq!(message.opt().map(|o| o.class.0), Some(EDNS_PAYLOAD));
        assert_eq!(message.tsig_offset, None);
        let key =
            super::super::plan::parse_key("xfr:hmac-sha256:c2VjcmV0c2VjcmV0c2VjcmV0").unwrap();
        let question = Question::new(&apex, Rtype::SOA, Some(key));
        assert!(question.verifier.is_some());
        let message = wire::Message::parse(&question.bytes).unwrap();
        assert!(message.tsig_offset.is_some(), "signed");
    }
}
