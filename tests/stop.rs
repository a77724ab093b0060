//! A graceful stop (SIGTERM): a node stops accepting new connections and
//! datagrams at once, finishes the AXFR it is streaming — whole and
//! intact — and exits 0 within its five-second grace.
//!
//! The zone has 50,000 TXT records of some 150 octets (8 MB of transfer,
//! more than the kernel's largest socket send buffer, 4 MiB here), and the
//! client reads through a 4 KiB receive buffer, so the server is still
//! writing when the signal comes; the test checks that premise in the log.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::{free_port, query, start_hadns, udp_exchange, wait_for_zone};
use wire::{Message, Rcode, Rtype};

const RECORDS: usize = 50_000;

/// Reads one length-prefixed DNS message.
fn read_message(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len)?;
    let mut bytes = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut bytes)?;
    Ok(bytes)
}

/// The AXFR's records in `message`, checked: our ID, NOERROR.
fn records_of(bytes: &[u8], id: u16) -> Vec<wire::Record> {
    let message = Message::parse(bytes).expect("a well-formed AXFR message");
    assert_eq!(message.header.id, id);
    assert_eq!(message.rcode(), Rcode::NOERROR);
    message.answer
}

#[test]
fn sigterm_finishes_the_transfer_under_way_refuses_new_connections_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let server: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut zone = String::from(
        "$ORIGIN big.test.\n$TTL 300\n@ SOA ns1 hostmaster 1 60 30 600 60\n@ NS ns1\nns1 A 127.0.0.1\n",
    );
    let filler = "x".repeat(140);
    for i in 0..RECORDS {
        zone.push_str(&format!("t{i} TXT \"{i:08}{filler}\"\n"));
    }
    std::fs::write(d.join("big.zone"), zone).unwrap();
    std::fs::write(
        d.join("hadns.toml"),
        format!(
            "version = 1\n[node]\ndata_dir = \"data\"\n[dns]\nlisten = [\"{server}\"]\nbuiltin_zones = false\nudp_workers = 1\n\
             [[zone]]\nname = \"big.test\"\nfile = \"big.zone\"\nallow_transfer = [\"127.0.0.1\"]\n"
        ),
    )
    .unwrap();
    let mut node = start_hadns(
        d,
        "big",
        &[
            "--config".to_string(),
            d.join("hadns.toml").display().to_string(),
        ],
    );
    wait_for_zone(server, "big.test.", Duration::from_secs(60), &mut node);

    // A client with a small receive window, so the server blocks on it.
    let socket = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )
    .unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket
        .connect_timeout(&server.into(), Duration::from_secs(5))
        .unwrap();
    let mut stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let id = 0x5107;
    let request = query(id, "big.test.", Rtype::AXFR, 0, None);
    let mut framed = (request.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&request);
    stream.write_all(&framed).unwrap();
    let first = read_message(&mut stream).expect("the transfer's first message");
    let mut records = records_of(&first, id);
    assert_eq!(records[0].rtype, Rtype::SOA);

    // SIGTERM while the transfer is under way.
    let mark = node.log_mark();
    node.signal("TERM");
    let signalled = Instant::now();
    node.wait_for_log(mark, &["SIGTERM: stopping"], 1, Duration::from_secs(5));

    // New connections are refused at once (the listener is closed) and
    // datagrams go unanswered.
    let refused = loop {
        match TcpStream::connect_timeout(&server, Duration::from_millis(500)) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break true,
            _ if signalled.elapsed() > Duration::from_secs(3) => break false,
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    assert!(refused, "new TCP connections still accepted after SIGTERM");
    let soa = query(0x0a01, "big.test.", Rtype::SOA, 0, None);
    assert_eq!(
        udp_exchange(server, &soa, Duration::from_millis(300)),
        None,
        "a UDP query answered after SIGTERM"
    );

    // The transfer goes on to its closing SOA, every record in it.
    let mut messages = 1;
    loop {
        let bytes = read_message(&mut stream)
            .unwrap_or_else(|e| panic!("the AXFR broke off after {messages} messages: {e}"));
        messages += 1;
        let answer = records_of(&bytes, id);
        let closing = answer.last().is_some_and(|r| r.rtype == Rtype::SOA);
        records.extend(answer);
        if closing {
            break;
        }
        assert!(messages < 100_000, "no closing SOA");
    }
    // SOA, NS, ns1 A, the TXTs, the closing SOA.
    assert_eq!(records.len(), RECORDS + 4, "records in the transfer");
    let mut seen = vec![false; RECORDS];
    for record in records.iter().filter(|r| r.rtype == Rtype::TXT) {
        // TXT RDATA: one length octet, then the text, which starts with the index.
        let index: usize = std::str::from_utf8(&record.rdata[1..9])
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(record.rdata.len(), 1 + 8 + 140);
        assert!(!seen[index], "t{index} twice");
        seen[index] = true;
    }
    assert!(seen.iter().all(|s| *s), "a TXT record is missing");
    let mut end = [0u8; 1];
    assert_eq!(
        stream.read(&mut end).unwrap_or(0),
        0,
        "the connection stays open"
    );

    let code = node.wait_exit(Duration::from_secs(15));
    let took = signalled.elapsed();
    assert_eq!(
        code,
        Some(0),
        "exit after SIGTERM; log:\n{}",
        node.log_tail(30)
    );
    assert!(
        took < Duration::from_secs(8),
        "took {took:?} to exit (the grace is 5 s)"
    );
    println!("{messages} messages after SIGTERM; exited {took:?} after the signal");

    // The premise: the transfer was still being written when the stop began.
    let log = node.log_text();
    let log = &log[mark..];
    let stopping = log.find("SIGTERM: stopping").unwrap();
    let waiting = log
        .find("waiting for the connections and transfers under way")
        .expect("the stop waited for work under way");
    let done = log
        .find("transfer out done")
        .expect("the transfer out finished");
    assert!(stopping < waiting && waiting < done, "{log}");
    assert!(log.contains("stopped"), "{log}");
}

#[test]
fn sigterm_writes_the_secondary_timers_last() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (primary_port, secondary_port) = (free_port(), free_port());
    let primary_address: SocketAddr = format!("127.0.0.1:{primary_port}").parse().unwrap();
    let secondary_address: SocketAddr = format!("127.0.0.1:{secondary_port}").parse().unwrap();
    let head = |port: u16| {
        format!(
            "version = 1\n[node]\ndata_dir = \"data\"\n[dns]\nlisten = [\"127.0.0.1:{port}\"]\nbuiltin_zones = false\nudp_workers = 1\n"
        )
    };
    std::fs::create_dir_all(d.join("p")).unwrap();
    std::fs::create_dir_all(d.join("s")).unwrap();
    std::fs::write(
        d.join("p/t.zone"),
        "$ORIGIN t.test.\n$TTL 300\n@ SOA ns1 hostmaster 5 60 30 600 60\n@ NS ns1\nns1 A 127.0.0.1\n",
    )
    .unwrap();
    std::fs::write(
        d.join("p/hadns.toml"),
        format!(
            "{}[[zone]]\nname = \"t.test\"\nfile = \"t.zone\"\nallow_transfer = [\"127.0.0.1\"]\n",
            head(primary_port)
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("s/hadns.toml"),
        format!(
            "{}[[zone]]\nname = \"t.test\"\nrole = \"secondary\"\nprimaries = [\"{primary_address}\"]\n",
            head(secondary_port)
        ),
    )
    .unwrap();
    let config = |name: &str| {
        vec![
            "--config".to_string(),
            d.join(name).join("hadns.toml").display().to_string(),
        ]
    };
    let mut primary = start_hadns(&d.join("p"), "p", &config("p"));
    wait_for_zone(
        primary_address,
        "t.test.",
        Duration::from_secs(20),
        &mut primary,
    );
    let mut secondary = start_hadns(&d.join("s"), "s", &config("s"));
    common::wait_for_serial(
        secondary_address,
        "t.test.",
        5,
        Duration::from_secs(20),
        &mut secondary,
    );
    let timers = std::fs::read_dir(d.join("s/data/zones"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "timers"))
        .expect("the secondary's timers file");
    // Modification times: the file must be written again after the signal.
    std::thread::sleep(Duration::from_millis(50));
    let before_signal = std::time::SystemTime::now();
    std::thread::sleep(Duration::from_millis(50));
    secondary.signal("TERM");
    assert_eq!(
        secondary.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        secondary.log_tail(30)
    );
    let written = std::fs::metadata(&timers).unwrap().modified().unwrap();
    assert!(
        written > before_signal,
        "the timers were not written at the stop"
    );
    let text = std::fs::read_to_string(&timers).unwrap();
    assert!(text.lines().any(|l| l == "serial = 5"), "{text}");
    assert!(
        text.lines()
            .any(|l| l == format!("primary = {primary_address}")),
        "the last primary is kept: {text}"
    );
    assert!(secondary.log_text().contains("timers_saved=1"));
}
