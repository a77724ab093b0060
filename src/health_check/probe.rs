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
    let deadline = Instant::now() + timeout;
    let failed = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            format!("timed out after {}", seconds(timeout))
        }
        _ => io_text(&e),
    };
    let mut stream = TcpStream::connect_timeout(&url.address, timeout).map_err(failed)?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
        url.path, url.address
    );
    stream.set_write_timeout(Some(timeout)).map_err(failed)?;
    stream.write_all(request.as_bytes()).map_err(failed)?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("timed out after {}", seconds(timeout)));
        }
        stream.set_read_timeout(Some(left)).map_err(failed)?;
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                raw.extend_from_slice(&chunk[..n]);
                if raw.len() > MAX_HEALTH_BODY {
                    return Err(format!("the answer is over {MAX_HEALTH_BODY} octets"));
                }
                if response_complete(&raw) {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(failed(e)),
        }
    }
    let (status, body) = parse_response(&raw)?;
    if status != 200 {
        let text = String::from_utf8_lossy(&body);
        let text: String = text.chars().take(200).collect();
        return Err(format!("HTTP {status}: {}", text.trim()));
    }
    Ok(body)
}

/// Whether `raw` holds a whole response (head, and the body its
/// Content-Length or last chunk promises); without either, the server's
/// close ends it.
fn response_complete(raw: &[u8]) -> bool {
    let Some(end) = find(raw, b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let body = &raw[end + 4..];
    if head.contains("transfer-encoding: chunked") {
        return body.ends_with(b"0\r\n\r\n");
    }
    head.lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .is_some_and(|length| body.len() >= length)
}

/// The status and body of a complete HTTP/1.1 response.
pub fn parse_response(raw: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let not_http = || "not an HTTP response".to_string();
    let end = find(raw, b"\r\n\r\n").ok_or_else(not_http)?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| not_http())?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or_else(not_http)?;
    if !status_line.starts_with("HTTP/1.") {
        return Err(not_http());
    }
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(not_http)?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        if name == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked") {
            chunked = true;
        } else if name == "content-length" {
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| "a bad Content-Length".to_string())?,
            );
        }
    }
    let body = &raw[end + 4..];
    if chunked {
        return dechunk(body)
            .ok_or_else(|| "a broken chunked body".to_string())
            .map(|b| (status, b));
    }
    match length {
        Some(length) => body
            .get(..length)
            .map(|b| (status, b.to_vec()))
            .ok_or_else(|| "the body is shorter than its Content-Length".to_string()),
        None => Ok((status, body.to_vec())),
    }
}

/// Undoes the chunked transfer coding (RFC 9112 §7.1).
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = find(rest, b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size.checked_add(2)?..)?;
    }
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

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
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
    fn http_responses_are_read_with_length_chunks_or_close() {
        let (status, body) =
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}extra").unwrap();
        assert_eq!((status, body.as_slice()), (200, b"{}".as_slice()));
        let (_, body) = parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(body, b"abcde");
        let (status, body) = parse_response(b"HTTP/1.0 404 Not Found\r\n\r\nno").unwrap();
        assert_eq!((status, body.as_slice()), (404, b"no".as_slice()));
    }

    #[test]
    fn broken_http_is_an_error_not_a_panic() {
        for raw in [
            b"".as_slice(),
            b"SSH-2.0-OpenSSH\r\n\r\n",
            b"HTTP/1.1 abc\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nshort",
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        ] {
            assert!(
                parse_response(raw).is_err(),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

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
