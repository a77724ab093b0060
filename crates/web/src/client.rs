//! A small blocking HTTP/1.1 client for hadns's own needs: `hadns check`
//! GETs a node's `/health`, `hadns ctl --server` POSTs control commands to
//! its API, and the cluster page asks a peer node (`[[peer]]`) to transfer
//! a zone again the same way. Plain HTTP, one request per connection
//! (`Connection: close`), one deadline for the whole exchange, a cap on
//! the body. Everything received is checked before it is used; nothing
//! here panics on what a server sends. (A client crate would bring a TLS
//! stack and an async runtime for these two requests.)

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// One request.
pub struct Request<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The path (and query).
    pub path: &'a str,
    /// Headers besides `Host`, `Connection` and `Content-Length`.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body, if any.
    pub body: Option<&'a [u8]>,
}

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The connection could not be made (refused, no route, …).
    #[error("{0}")]
    Connect(std::io::Error),
    /// The deadline passed.
    #[error("timed out")]
    Timeout,
    /// Sending or receiving failed after connecting.
    #[error("{0}")]
    Io(std::io::Error),
    /// The answer is longer than the caller accepts.
    #[error("the answer is over {0} octets")]
    TooLarge(usize),
    /// The answer is not HTTP/1.x, or its framing is broken.
    #[error("{0}")]
    Malformed(String),
}

/// Sends `request` to `address` and reads the whole answer within
/// `timeout`: its status and body (at most `max_body` octets).
pub fn exchange(
    address: SocketAddr,
    request: &Request,
    timeout: Duration,
    max_body: usize,
) -> Result<(u16, Vec<u8>), HttpError> {
    let deadline = Instant::now() + timeout;
    let timed_out = |e: &std::io::Error| {
        matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        )
    };
    let mut stream = TcpStream::connect_timeout(&address, timeout).map_err(|e| {
        if timed_out(&e) {
            HttpError::Timeout
        } else {
            HttpError::Connect(e)
        }
    })?;
    let failed = |e: std::io::Error| {
        if timed_out(&e) {
            HttpError::Timeout
        } else {
            HttpError::Io(e)
        }
    };
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n",
        request.method, request.path
    );
    for (name, value) in request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = request.body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(request.body.unwrap_or_default());
    stream.set_write_timeout(Some(timeout)).map_err(failed)?;
    stream.write_all(&bytes).map_err(failed)?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HttpError::Timeout);
        }
        stream.set_read_timeout(Some(left)).map_err(failed)?;
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                raw.extend_from_slice(&chunk[..n]);
                if raw.len() > max_body {
                    return Err(HttpError::TooLarge(max_body));
                }
                if response_complete(&raw) {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(failed(e)),
        }
    }
    parse_response(&raw).map_err(HttpError::Malformed)
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

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
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
}
