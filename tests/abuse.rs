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
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&"127.0.0.2:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    socket
        .connect_timeout(&dns.into(), Duration::from_secs(2))
        .unwrap();
    let mut other: TcpStream = socket.into();
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
