//! Response Rate Limiting against a running `hadns serve`: one source
//! flooding one name over UDP gets about the configured rate of answers
//! and the configured share of truncated (TC=1) replies, its /24
//! neighbour is limited with it, another /24 is answered in full, TCP is
//! never limited, and the metrics count what was dropped and slipped.
//!
//! Every loop is bounded in count and time; everything is on 127.0.0.0/8.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{
    free_port, hadns_binary, http_request, query, start_hadns, tcp_exchange, wait_for_zone,
};
use wire::Rtype;

const ZONE: &str = "$ORIGIN rrl.test.
$TTL 300
@ SOA ns hostmaster 1 7200 3600 1209600 60
@ NS ns
ns A 127.0.0.1
www A 192.0.2.1
";

/// Credits a second per account, and the rest of `[rrl]`.
const RATE: usize = 20;
const SLIP: usize = 2;
const WINDOW: u64 = 5;
/// The flood: this many queries, one every `FLOOD_GAP`.
const FLOOD: usize = 2000;
const FLOOD_GAP: Duration = Duration::from_micros(1000);

/// What came back to one socket: full answers and truncated replies.
#[derive(Debug, Default)]
struct Tally {
    full: usize,
    truncated: usize,
}

impl Tally {
    fn count(&mut self, reply: &[u8]) {
        assert!(reply.len() >= 12, "a reply with a header: {reply:?}");
        assert_eq!(reply[3] & 0x0F, 0, "NOERROR: {reply:?}");
        if reply[2] & 0x02 != 0 {
            assert_eq!(&reply[6..8], &[0, 0], "a slipped reply has no answer");
            self.truncated += 1;
        } else {
            assert_eq!(&reply[6..8], &[0, 1], "the answer");
            self.full += 1;
        }
    }
}

fn drain(socket: &UdpSocket, tally: &mut Tally, until: Instant) {
    let mut buffer = [0u8; 4096];
    while Instant::now() < until {
        let wait = until.saturating_duration_since(Instant::now());
        socket
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
            .unwrap();
        match socket.recv(&mut buffer) {
            Ok(n) => tally.count(&buffer[..n]),
            Err(_) => return,
        }
    }
}

/// Sends `count` queries for www from `socket`, `gap` apart, counting the
/// replies as they come and for `linger` after the last.
fn ask_many(socket: &UdpSocket, count: usize, gap: Duration, linger: Duration) -> Tally {
    let mut tally = Tally::default();
    let mut buffer = [0u8; 4096];
    socket.set_nonblocking(true).unwrap();
    let started = Instant::now();
    for i in 0..count {
        let request = query(i as u16, "www.rrl.test.", Rtype::A, 0, Some((1232, false)));
        socket.send(&request).expect("send");
        while let Ok(n) = socket.recv(&mut buffer) {
            tally.count(&buffer[..n]);
        }
        // Pace by the clock, not by sleeps that add up.
        let due = started + gap * (i as u32 + 1);
        while Instant::now() < due {
            std::hint::spin_loop();
        }
    }
    socket.set_nonblocking(false).unwrap();
    drain(socket, &mut tally, Instant::now() + linger);
    tally
}

fn client(from: &str, server: SocketAddr) -> UdpSocket {
    let socket = UdpSocket::bind((from, 0)).unwrap_or_else(|e| panic!("bind {from}: {e}"));
    socket.connect(server).unwrap();
    socket
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sample {name} in:\n{text}"))
}

fn write_config(dir: &Path, dns: SocketAddr, metrics: SocketAddr) -> std::path::PathBuf {
    let zone = dir.join("rrl.test.zone");
    std::fs::write(&zone, ZONE).unwrap();
    let config = dir.join("hadns.toml");
    std::fs::write(
        &config,
        format!(
            "version = 1\n\
             [node]\ndata_dir = \"{data}\"\n\
             [dns]\nlisten = [\"{dns}\"]\nudp_workers = 2\n\
             [metrics]\nlisten = \"{metrics}\"\n\
             [rrl]\nresponses_per_second = {RATE}\nslip = {SLIP}\nwindow = {WINDOW}\n\
             [[zone]]\nname = \"rrl.test\"\nfile = \"{zone}\"\n",
            data = dir.join("data").display(),
            zone = zone.display(),
        ),
    )
    .unwrap();
    config
}

#[test]
fn a_udp_flood_is_limited_to_its_rate_with_slipped_replies_while_others_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let dns: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let metrics: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let config = write_config(dir.path(), dns, metrics);
    let mut node = start_hadns(
        dir.path(),
        "hadns",
        &["--config".to_string(), config.display().to_string()],
    );
    wait_for_zone(dns, "rrl.test.", Duration::from_secs(30), &mut node);
    // The start-up probe's SOA answers are another account (another qtype).

    let flooder = client("127.0.0.1", dns);
    let started = Instant::now();
    let flood = ask_many(&flooder, FLOOD, FLOOD_GAP, Duration::from_millis(300));
    let seconds = started.elapsed().as_secs_f64();

    // BIND's accounting: one second of credit, then the flood's debt
    // keeps it limited; at most `RATE` answers in each second it spans.
    let cap = RATE * (seconds.ceil() as usize + 1);
    assert!(
        flood.full <= cap,
        "{} full answers in {seconds:.2}s at {RATE}/s (cap {cap}): {flood:?}",
        flood.full
    );
    assert!(
        flood.full >= RATE / 2,
        "the first second's credit was not answered: {flood:?}"
    );
    let limited = FLOOD - flood.full;
    let expected_slips = limited / SLIP;
    assert!(
        flood.truncated.abs_diff(expected_slips) <= limited / 10,
        "slip {SLIP}: {} truncated of {limited} limited: {flood:?}",
        flood.truncated
    );

    // Still in debt (window {WINDOW}s): the flooder's /24 neighbour is
    // limited with it; another /24 is answered in full.
    let neighbour = client("127.0.0.2", dns);
    let near = ask_many(
        &neighbour,
        10,
        Duration::from_millis(20),
        Duration::from_millis(200),
    );
    assert_eq!(
        near.full, 0,
        "127.0.0.2 shares 127.0.0.0/24's account: {near:?}"
    );
    let elsewhere = client("127.0.1.1", dns);
    let far = ask_many(
        &elsewhere,
        10,
        Duration::from_millis(20),
        Duration::from_millis(500),
    );
    assert_eq!(far.full, 10, "127.0.1.0/24 is another account: {far:?}");

    // TCP is never limited, even for the flooding prefix.
    for id in 0..30u16 {
        let reply = tcp_exchange(
            dns,
            &query(id, "www.rrl.test.", Rtype::A, 0, None),
            Duration::from_secs(5),
        )
        .expect("a TCP answer");
        assert_eq!(reply[2] & 0x02, 0, "no TC over TCP");
        assert_eq!(&reply[6..8], &[0, 1], "the answer over TCP");
    }

    let text = http_request(metrics, "GET", "/metrics", &[], None).text();
    let slipped = metric(
        &text,
        "hadns_rrl_limited_responses_total{kind=\"answer\",action=\"slipped\"}",
    );
    let dropped = metric(
        &text,
        "hadns_rrl_limited_responses_total{kind=\"answer\",action=\"dropped\"}",
    );
    let received_slips = (flood.truncated + near.truncated) as f64;
    assert_eq!(
        slipped, received_slips,
        "every slip counted, none lost on lo"
    );
    assert!(
        dropped >= (limited - flood.truncated) as f64,
        "dropped {dropped}, limited {limited}, slipped {}",
        flood.truncated
    );
    assert_eq!(
        metric(
            &text,
            "hadns_rrl_limited_responses_total{kind=\"nxdomain\",action=\"dropped\"}"
        ),
        0.0
    );
    let log = node.log_text();
    assert!(
        log.contains("response rate limiting started for a client prefix")
            && log.contains("127.0.0.0/24"),
        "the security log names the prefix:\n{log}"
    );
    eprintln!(
        "flood: {FLOOD} queries in {seconds:.2}s at {RATE}/s, slip {SLIP}: {} answered, {} truncated, {} dropped",
        flood.full,
        flood.truncated,
        FLOOD - flood.full - flood.truncated
    );
}

#[test]
fn config_check_names_a_bad_rrl_setting_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "version = 1\n[rrl]\nresponses_per_second = 5\nslip = 11\n",
    )
    .unwrap();
    let output = Command::new(hadns_binary())
        .args(["config", "check"])
        .arg(&config)
        .output()
        .expect("run hadns config check");
    assert!(!output.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains(":4:") && text.contains("rrl.slip"), "{text}");
}
