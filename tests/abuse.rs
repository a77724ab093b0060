//! Attacks on the node's connection slots, reproduced: DNS-over-TCP
//! clients that send pipelined queries and never read their answers, one
//! source opening every slot, and HTTP clients that trickle a request one
//! octet at a time. Each test shows a real client still served and the
//! node's counters naming what it did.
//!
//! Everything talks to 127.0.0.0/8; every loop is bounded in count and time.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use common::{Process, free_port, http_request, query, start_hadns, tcp_exchange, wait_for_zone};
use wire::Rtype;

/// A zone whose `big` TXT answer is about 2 KB: a few thousand
/// unread answers fill a connection's buffers quickly.
fn zone_text() -> String {
    let chunk = "x".repeat(250);
    let strings: Vec<String> = (0..8).map(|i| format!("\"{i}{chunk}\"")).collect();
    format!(
        "$ORIGIN abuse.test.\n$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 60\n@ NS ns\n\
         ns A 127.0.0.1\nwww A 192.0.2.1\nbig TXT {}\n",
        strings.join(" ")
    )
}

/// Starts a node serving abuse.test with `dns_extra` in `[dns]`; DNS on
/// 127.0.0.1, metrics on another port. Returns (process, dns, metrics).
fn start_node(dir: &Path, dns_extra: &str) -> (Process, SocketAddr, SocketAddr) {
    let zone = dir.join("abuse.test.zone");
    std::fs::write(&zone, zone_text()).unwrap();
    let dns: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let metrics: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let config = dir.join("hadns.toml");
    std::fs::write(
        &config,
        format!(
            "version = 1\n[node]\ndata_dir = \"data\"\n[dns]\nlisten = [\"{dns}\"]\n\
             builtin_zones = false\nudp_workers = 1\n{dns_extra}\n\
             [metrics]\nlisten = \"{metrics}\"\n\
             [[zone]]\nname = \"abuse.test\"\nfile = \"{}\"\n",
            zone.display()
        ),
    )
    .unwrap();
    let mut process = start_hadns(
        dir,
        "hadns",
        &["--config".into(), config.display().to_string()],
    );
    wait_for_zone(dns, "abuse.test.", Duration::from_secs(20), &mut process);
    (process, dns, metrics)
}

/// The value of `hadns_tcp_connections_total{result="RESULT"}`.
fn tcp_connections(metrics: SocketAddr, result: &str) -> u64 {
    let text = http_request(metrics, "GET", "/metrics", &[], None).text();
    let wanted = format!("hadns_tcp_connections_total{{result=\"{result}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&wanted))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {wanted} in the metrics:\n{text}"))
}

/// One framed query for `name`.
fn framed(id: u16, name: &str, rtype: Rtype) -> Vec<u8> {
    let q = query(id, name, rtype, 0, None);
    let mut out = (q.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&q);
    out
}

/// A client connection that sends pipelined queries for the big answer
/// until the node stops taking them (its buffers full of answers nobody
/// reads), and then never reads: at most 20,000 queries and 5 s.
fn flood_without_reading(dns: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(dns).unwrap();
    stream.set_nonblocking(true).unwrap();
    let one = framed(1, "big.abuse.test.", Rtype::TXT);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut sent = 0;
    let mut blocked_since: Option<Instant> = None;
    let mut writer = &stream;
    while sent < 20_000 && Instant::now() < deadline {
        match writer.write(&one) {
            Ok(n) if n == one.len() => {
                sent += 1;
                blocked_since = None;
            }
            // A part of a query: the next write starts a new frame on a
            // broken stream, which is fine for an attacker; stop here.
            Ok(_) => break,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                let since = *blocked_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_millis(300) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => break,
        }
    }
    stream
}

#[test]
fn clients_that_never_read_do_not_hold_the_tcp_slots() {
    let dir = tempfile::tempdir().unwrap();
    let (_node, dns, metrics) =
        start_node(dir.path(), "tcp_idle_timeout = 1\ntcp_max_connections = 20");
    // Every slot taken by a connection that floods and never reads.
    let attackers: Vec<TcpStream> = (0..20).map(|_| flood_without_reading(dns)).collect();
    // A real client is answered within a bounded time: the node cuts the
    // stalled connections off at the write deadline (1 s without
    // progress) and the slots come free. Without the deadline, never.
    let started = Instant::now();
    let request = query(7, "www.abuse.test.", Rtype::A, 0, None);
    let mut answered = None;
    while started.elapsed() < Duration::from_secs(20) {
        if let Some(reply) = tcp_exchange(dns, &request, Duration::from_secs(2)) {
            answered = Some(reply);
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let reply = answered.expect("a real TCP client must be served while 20 clients never read");
    assert_eq!(&reply[..2], &7u16.to_be_bytes());
    assert!(
        tcp_connections(metrics, "write_timeout") >= 1,
        "the node says it closed connections that read nothing"
    );
    drop(attackers);
}

#[test]
fn one_source_cannot_take_every_tcp_slot() {
    let dir = tempfile::tempdir().unwrap();
    let (_node, dns, metrics) = start_node(
        dir.path(),
        "tcp_idle_timeout = 30\ntcp_max_connections = 20\ntcp_max_connections_per_client = 5",
    );
    // Twenty idle connections from 127.0.0.1: five are kept, the rest closed.
    let held: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(dns).unwrap()).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while tcp_connections(metrics, "refused_client") < 15 {
        assert!(
            Instant::now() < deadline,
            "the node did not close 15 connections over the per-client cap"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(tcp_connections(metrics, "refused_client"), 15);
    // Another source is served at once (on Linux all of 127/8 is local).
    let mut other = connect_from("127.0.0.2", dns);
    other
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    other
        .write_all(&framed(9, "www.abuse.test.", Rtype::A))
        .unwrap();
    let mut length = [0u8; 2];
    other
        .read_exact(&mut length)
        .expect("another source is answered");
    let mut reply = vec![0u8; u16::from_be_bytes(length) as usize];
    other.read_exact(&mut reply).unwrap();
    assert_eq!(&reply[..2], &9u16.to_be_bytes());
    drop(held);
}

/// A TCP connection to `to` from the local address `from` (all of
/// 127.0.0.0/8 is local on Linux), so that tests can be several clients.
fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&format!("{from}:0").parse::<SocketAddr>().unwrap().into())
        .unwrap();
    socket
        .connect_timeout(&to.into(), Duration::from_secs(2))
        .unwrap();
    socket.into()
}

/// Sends `head` then `trickle` one octet every 2 s on a new connection
/// to `api`, until the node closes it or 45 s pass; returns how long the
/// node took and what it answered.
fn trickle(
    from: &str,
    api: SocketAddr,
    head: String,
    trickle: &'static [u8],
) -> (Duration, String) {
    let mut stream = connect_from(from, api);
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let started = Instant::now();
    stream.write_all(head.as_bytes()).unwrap();
    let mut answered = Vec::new();
    for &octet in trickle.iter().cycle().take(45 * 10) {
        if started.elapsed() > Duration::from_secs(45) {
            break;
        }
        // Ten reads of 100 ms, then one more octet.
        for _ in 0..20 {
            let mut buffer = [0u8; 4096];
            match stream.read(&mut buffer) {
                Ok(0) => {
                    return (
                        started.elapsed(),
                        String::from_utf8_lossy(&answered).into_owned(),
                    );
                }
                Ok(n) => answered.extend_from_slice(&buffer[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => {
                    return (
                        started.elapsed(),
                        String::from_utf8_lossy(&answered).into_owned(),
                    );
                }
            }
        }
        if stream.write_all(&[octet]).is_err() {
            return (
                started.elapsed(),
                String::from_utf8_lossy(&answered).into_owned(),
            );
        }
    }
    panic!("the node kept a trickling connection for 45 s; it answered {answered:?}");
}

#[test]
fn http_clients_that_trickle_or_crowd_do_not_shut_out_the_api() {
    let root = tempfile::tempdir().unwrap();
    let node = common::ApiNode::start(root.path(), "api", "");
    node.create_zone("web.test.", serde_json::json!([]));
    let api = node.api;
    // A head that never ends, one octet every 2 s: never idle for the
    // 60 s idle timeout, cut off at the 20 s head deadline.
    let head = std::thread::spawn(move || {
        trickle(
            "127.0.0.3",
            api,
            "GET /api HTTP/1.1\r\nHost: a\r\nX-Slow: ".to_string(),
            b"abc",
        )
    });
    // A body announced as 1000 octets, sent one octet every 2 s, with a
    // valid key: the read fails after the 20 s grace, the reply is an
    // error and the connection closes.
    let token = node.token.clone();
    let body = std::thread::spawn(move || {
        trickle(
            "127.0.0.4",
            api,
            format!(
                "PATCH /api/v1/servers/localhost/zones/web.test. HTTP/1.1\r\nHost: a\r\n\
                 X-API-Key: {token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            ),
            b" ",
        )
    });
    // One address crowding the port: 32 connections are kept, more are
    // closed at once; another address is served all along.
    // The kernel's accept queue is first in, first out: the 33rd is
    // accepted after the 32 before it, whatever the timing.
    let crowd: Vec<TcpStream> = (0..32).map(|_| TcpStream::connect(api).unwrap()).collect();
    let mut extra = TcpStream::connect(api).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = extra.write_all(b"GET /api HTTP/1.1\r\nHost: a\r\n\r\n");
    let mut buffer = [0u8; 64];
    assert_eq!(
        extra.read(&mut buffer).unwrap_or(0),
        0,
        "a 33rd connection from one address is closed"
    );
    let mut other = connect_from("127.0.0.2", api);
    other
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    other
        .write_all(b"GET /api HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    let _ = other.read_to_string(&mut reply);
    assert!(
        reply.starts_with("HTTP/1.1 200"),
        "another address is served: {reply}"
    );
    drop(crowd);

    let (took, answered) = head.join().unwrap();
    assert!(
        took >= Duration::from_secs(18) && took < Duration::from_secs(30),
        "a trickled head is closed at its 20 s deadline, not after {took:?}"
    );
    assert!(
        answered.is_empty(),
        "nothing is answered to half a head: {answered}"
    );
    let (took, answered) = body.join().unwrap();
    assert!(
        took >= Duration::from_secs(18) && took < Duration::from_secs(30),
        "a trickled body is cut off after the 20 s grace, not after {took:?}"
    );
    assert!(
        answered.starts_with("HTTP/1.1 4"),
        "a trickled body gets an error: {answered}"
    );
    // And the API still answers a normal request afterwards.
    let zones = node.request(
        "GET",
        "/api/v1/servers/localhost/zones",
        Some(&node.token),
        &[],
        None,
    );
    assert_eq!(zones.status, 200);
}

#[test]
fn an_api_token_over_its_rate_gets_429_and_others_go_on() {
    let root = tempfile::tempdir().unwrap();
    let node = common::ApiNode::start(root.path(), "rate", "requests_per_second = 5\n");
    // The first token loops: a burst of 10 passes, then 429 with Retry-After.
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..30 {
        let reply = node.request(
            "GET",
            "/api/v1/servers/localhost/zones",
            Some(&node.token),
            &[],
            None,
        );
        if reply.status == 429 {
            retry_after = reply.header("retry-after").map(str::to_string);
            assert!(
                reply.error().contains("over 5 requests a second"),
                "{}",
                reply.text()
            );
        }
        statuses.push(reply.status);
    }
    let passed = statuses.iter().filter(|s| **s == 200).count();
    assert!(
        (10..=13).contains(&passed),
        "a burst of 10 (and what refilled meanwhile): {statuses:?}"
    );
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    // Another token has its own allowance.
    let output = std::process::Command::new(common::hadns_binary())
        .args(["token", "create", "second", "--read-only", "--data-dir"])
        .arg(node.dir.join("data"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    // The secret is the one line on standard output.
    let other = text.trim().to_string();
    let reply = node.request(
        "GET",
        "/api/v1/servers/localhost/zones",
        Some(&other),
        &[],
        None,
    );
    assert_eq!(
        reply.status,
        200,
        "another token is not limited: {}",
        reply.text()
    );
    // And after a pause the first token is served again.
    std::thread::sleep(Duration::from_millis(1200));
    let reply = node.request(
        "GET",
        "/api/v1/servers/localhost/zones",
        Some(&node.token),
        &[],
        None,
    );
    assert_eq!(reply.status, 200);
}

#[test]
fn an_api_write_growing_an_rrset_past_the_bound_is_refused_and_changes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let node = common::ApiNode::start(root.path(), "rrset", "");
    node.create_zone("big.test.", serde_json::json!([]));
    let body = |count: u32| {
        let records: Vec<serde_json::Value> = (0..count)
            .map(|i| serde_json::json!({"content": format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255), "disabled": false}))
            .collect();
        serde_json::json!({"rrsets": [{"name": "many.big.test.", "type": "A", "ttl": 60,
            "changetype": "REPLACE", "records": records}]})
        .to_string()
    };
    let path = "/api/v1/servers/localhost/zones/big.test.";
    let at_bound = node.request("PATCH", path, Some(&node.token), &[], Some(&body(4096)));
    assert_eq!(at_bound.status, 204, "{}", at_bound.text());
    let over = node.request("PATCH", path, Some(&node.token), &[], Some(&body(4097)));
    assert_eq!(over.status, 422, "{}", over.text());
    assert!(
        over.error().contains("at most 4096 records"),
        "{}",
        over.error()
    );
    let zone = node
        .request("GET", path, Some(&node.token), &[], None)
        .json();
    let many = zone["rrsets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "many.big.test.")
        .unwrap();
    assert_eq!(
        many["records"].as_array().unwrap().len(),
        4096,
        "the refused write changed nothing"
    );
}
