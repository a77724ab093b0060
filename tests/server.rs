//! The running server over real sockets: transports, reload, refusal to
//! start on bad input, replies from the right address.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use common::{Process, query, start_hadns, tcp_exchange, udp_exchange, wait_for_zone};
use wire::header::flags;
use wire::{Message, Rcode, Rtype};

const ZONE: &str = "$ORIGIN srv.test.
$TTL 300
@ SOA ns hostmaster 1 7200 3600 1209600 60
@ NS ns
ns A 127.0.0.1
www A 192.0.2.1
";

fn write_zone(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("srv.test.zone");
    std::fs::write(&path, text).unwrap();
    path
}

fn start(dir: &Path, zone: &Path, listen: &str, extra: &[&str]) -> Process {
    let mut args = vec![
        "--zone".to_string(),
        format!("srv.test.={}", zone.display()),
        "--listen".into(),
        listen.into(),
        "--udp-workers".into(),
        "2".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    start_hadns(dir, "hadns", &args)
}

fn serial(server: SocketAddr) -> u32 {
    let reply = udp_exchange(
        server,
        &query(7, "srv.test.", Rtype::SOA, 0, None),
        Duration::from_secs(2),
    )
    .expect("SOA answer");
    let msg = Message::parse(&reply).unwrap();
    wire::rdata::soa_numbers(&msg.answer[0].rdata).unwrap()[0]
}

#[test]
fn tcp_carries_pipelined_queries_on_one_connection() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write_zone(dir.path(), ZONE);
    let port = common::free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut server = start(dir.path(), &zone, &addr.to_string(), &[]);
    wait_for_zone(addr, "srv.test.", Duration::from_secs(10), &mut server);

    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // Three queries in one write (RFC 7766 §6.2.1.1 pipelining).
    let mut batch = Vec::new();
    for id in [1u16, 2, 3] {
        let q = query(id, "www.srv.test.", Rtype::A, 0, None);
        batch.extend_from_slice(&(q.len() as u16).to_be_bytes());
        batch.extend_from_slice(&q);
    }
    stream.write_all(&batch).unwrap();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let mut len = [0u8; 2];
        stream.read_exact(&mut len).unwrap();
        let mut reply = vec![0u8; u16::from_be_bytes(len) as usize];
        stream.read_exact(&mut reply).unwrap();
        let msg = Message::parse(&reply).unwrap();
        assert_eq!(msg.answer.len(), 1);
        ids.push(msg.header.id);
    }
    ids.sort();
    assert_eq!(ids, [1, 2, 3]);
}

#[test]
fn idle_tcp_connections_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write_zone(dir.path(), ZONE);
    let config = dir.path().join("hadns.toml");
    let port = common::free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    std::fs::write(
        &config,
        format!("version = 1\n[dns]\nlisten = [\"{addr}\"]\ntcp_idle_timeout = 1\ntcp_max_connections = 2\nbuiltin_zones = false\n"),
    )
    .unwrap();
    let mut server = start_hadns(
        dir.path(),
        "hadns",
        &[
            "--config".into(),
            config.display().to_string(),
            "--zone".into(),
            format!("srv.test.={}", zone.display()),
        ],
    );
    wait_for_zone(addr, "srv.test.", Duration::from_secs(10), &mut server);

    let mut idle = TcpStream::connect(addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 1];
    // The server closes the connection: read returns 0 (EOF).
    assert_eq!(idle.read(&mut buf).unwrap_or(0), 0);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(4),
        "closed after {waited:?}"
    );

    // With the cap of two, a third simultaneous connection is closed at once.
    let _a = TcpStream::connect(addr).unwrap();
    let _b = TcpStream::connect(addr).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let q = query(9, "www.srv.test.", Rtype::A, 0, None);
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    let _ = c.write_all(&framed);
    let got = c.read(&mut buf).unwrap_or(0);
    assert_eq!(got, 0, "over-limit connection must be closed, not served");
    drop((_a, _b));
    // UDP is unaffected.
    assert!(udp_exchange(addr, &q, Duration::from_secs(2)).is_some());
}

#[test]
fn sighup_reloads_and_a_broken_file_keeps_the_old_copy() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write_zone(dir.path(), ZONE);
    let port = common::free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut server = start(dir.path(), &zone, &addr.to_string(), &[]);
    wait_for_zone(addr, "srv.test.", Duration::from_secs(10), &mut server);
    assert_eq!(serial(addr), 1);

    write_zone(
        dir.path(),
        &ZONE
            .replace(" 1 7200", " 2 7200")
            .replace("192.0.2.1", "192.0.2.2"),
    );
    server.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    while serial(addr) != 2 {
        assert!(
            Instant::now() < deadline,
            "reload not seen:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let reply = udp_exchange(
        addr,
        &query(8, "www.srv.test.", Rtype::A, 0, None),
        Duration::from_secs(2),
    )
    .unwrap();
    assert_eq!(
        Message::parse(&reply).unwrap().answer[0].rdata,
        [192, 0, 2, 2]
    );

    // A broken file: the server keeps answering from serial 2 and says why.
    write_zone(
        dir.path(),
        "$ORIGIN srv.test.\n@ SOA ns hostmaster 3 7200 3600 1209600 60\nwww A not-an-address\n",
    );
    server.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.log_text().contains("reload failed") {
        assert!(
            Instant::now() < deadline,
            "no reload failure logged:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(serial(addr), 2);
    assert!(
        server.log_text().contains("srv.test.zone:3"),
        "the log names file:line:\n{}",
        server.log_text()
    );
}

#[test]
fn a_bad_zone_at_start_stops_the_server_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write_zone(dir.path(), &format!("{ZONE}www CNAME elsewhere.example.\n"));
    let mut server = start(
        dir.path(),
        &zone,
        &format!("127.0.0.1:{}", common::free_port()),
        &[],
    );
    let code = server.wait_exit(Duration::from_secs(10));
    assert_eq!(code, Some(1), "{}", server.log_text());
    let log = server.log_text();
    // The diagnostic names the file and the line of one of the clashing records.
    assert!(
        (log.contains("srv.test.zone:6") || log.contains("srv.test.zone:7"))
            && log.contains("CNAME"),
        "{log}"
    );
}

#[test]
fn a_bad_config_stops_the_server_with_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hadns.toml");
    std::fs::write(
        &config,
        "version = 1\n[dns]\nlisten = [\"127.0.0.1:53\"]\nudp_workers = \"many\"\n",
    )
    .unwrap();
    let mut server = start_hadns(
        dir.path(),
        "hadns",
        &["--config".into(), config.display().to_string()],
    );
    assert_eq!(server.wait_exit(Duration::from_secs(10)), Some(1));
    let log = server.log_text();
    assert!(
        log.contains(&format!("{}:4: `dns.udp_workers`", config.display())),
        "{log}"
    );
}

#[test]
fn wildcard_socket_replies_from_the_address_the_query_was_sent_to() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write_zone(dir.path(), ZONE);
    let port = common::free_port();
    let mut server = start(dir.path(), &zone, &format!("0.0.0.0:{port}"), &[]);
    wait_for_zone(
        format!("127.0.0.1:{port}").parse().unwrap(),
        "srv.test.",
        Duration::from_secs(10),
        &mut server,
    );
    // 127.0.0.2 is a loopback address the client is not bound to: without
    // IP_PKTINFO the kernel would answer from 127.0.0.1.
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    for target in ["127.0.0.2", "127.0.0.3"] {
        let to: SocketAddr = format!("{target}:{port}").parse().unwrap();
        client
            .send_to(&query(3, "www.srv.test.", Rtype::A, 0, None), to)
            .unwrap();
        let mut buf = [0u8; 512];
        let (_, from) = client.recv_from(&mut buf).unwrap();
        assert_eq!(from, to, "reply must come from the query's destination");
    }
}

#[test]
fn ipv6_loopback_is_served_on_udp_and_tcp() {
    if UdpSocket::bind("[::1]:0").is_err() {
        panic!("this machine has no IPv6 loopback; hadns's IPv6 path cannot be tested");
    }
    let dir = tempfile::tempdir().unwrap();
    let zone = write_zone(dir.path(), ZONE);
    let port = common::free_port();
    let v4: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let v6: SocketAddr = format!("[::1]:{port}").parse().unwrap();
    let mut server = start(
        dir.path(),
        &zone,
        &v4.to_string(),
        &["--listen", &v6.to_string()],
    );
    wait_for_zone(v4, "srv.test.", Duration::from_secs(10), &mut server);
    let socket = UdpSocket::bind("[::1]:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    socket
        .send_to(&query(4, "www.srv.test.", Rtype::A, 0, None), v6)
        .unwrap();
    let mut buf = [0u8; 512];
    let (len, from) = socket.recv_from(&mut buf).unwrap();
    assert_eq!(from, v6);
    assert_eq!(Message::parse(&buf[..len]).unwrap().answer.len(), 1);
    let reply = tcp_exchange(
        v6,
        &query(5, "www.srv.test.", Rtype::A, 0, None),
        Duration::from_secs(2),
    )
    .unwrap();
    assert_eq!(Message::parse(&reply).unwrap().answer.len(), 1);
}

#[test]
fn malformed_packets_do_not_stop_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write_zone(dir.path(), ZONE);
    let port = common::free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut server = start(dir.path(), &zone, &addr.to_string(), &[]);
    wait_for_zone(addr, "srv.test.", Duration::from_secs(10), &mut server);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let good = query(1, "www.srv.test.", Rtype::A, 0, None);
    let mut bad: Vec<Vec<u8>> = vec![vec![], vec![0; 3], good[..11].to_vec(), good[..20].to_vec()];
    let mut loop_query = good[..12].to_vec();
    loop_query.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
    bad.push(loop_query);
    let mut seed = 0x2545F491u32;
    for _ in 0..2000 {
        let mut q = good.clone();
        for _ in 0..3 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let at = seed as usize % q.len();
            q[at] = (seed >> 8) as u8;
        }
        bad.push(q);
    }
    for packet in &bad {
        socket.send_to(packet, addr).unwrap();
    }
    // Over TCP too: a length prefix that promises more than is sent, then close.
    if let Ok(mut s) = TcpStream::connect(addr) {
        let _ = s.write_all(&[0x01, 0x00, 1, 2, 3]);
    }
    let reply = tcp_exchange(addr, &good, Duration::from_secs(3)).expect("still answers over TCP");
    assert_eq!(Message::parse(&reply).unwrap().rcode(), Rcode::NOERROR);
    let reply = udp_exchange(addr, &good, Duration::from_secs(3)).expect("still answers over UDP");
    let msg = Message::parse(&reply).unwrap();
    assert!(msg.header.flag(flags::AA));
    assert!(!server.has_exited(), "{}", server.log_text());
}

/// RFC 8906 §8.1.4 as `dig` sends it: a header-only request (`+header-only`,
/// no question) with an opcode other than QUERY, NOTIFY or UPDATE is NOTIMP,
/// over UDP and TCP; a header-only QUERY is FORMERR.
#[test]
fn header_only_requests_with_unknown_opcodes_get_notimp_from_dig() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write_zone(dir.path(), ZONE);
    let port = common::free_port();
    let address: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut server = start(dir.path(), &zone, &address.to_string(), &[]);
    wait_for_zone(address, "srv.test.", Duration::from_secs(10), &mut server);
    let dig = common::require_program("dig", "bind9-dnsutils");
    let status = |opcode: u8, tcp: bool| {
        let mut command = std::process::Command::new(&dig);
        command.args([
            "-p",
            &port.to_string(),
            "@127.0.0.1",
            "+header-only",
            &format!("+opcode={opcode}"),
            "+tries=1",
            "+time=5",
        ]);
        if tcp {
            command.arg("+tcp");
        }
        let output = command.output().expect("run dig");
        let text = String::from_utf8_lossy(&output.stdout).to_string();
        text.lines()
            .find_map(|l| l.split("status: ").nth(1))
            .and_then(|rest| rest.split(',').next())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no status from dig: {text}"))
    };
    for opcode in [1, 2, 3, 6, 7, 15] {
        assert_eq!(status(opcode, false), "NOTIMP", "opcode {opcode} over UDP");
        assert_eq!(status(opcode, true), "NOTIMP", "opcode {opcode} over TCP");
    }
    assert_eq!(status(0, false), "FORMERR");
}
