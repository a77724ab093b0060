//! Propagation benchmark: a change on a hadns primary (zone file rewritten,
//! SIGHUP) until the new answer is visible on two hadns secondaries
//! (NOTIFY + IXFR, TSIG hmac-sha256), over 100 successive changes, all on
//! loopback. Prints p50, p99 and max.
//!
//! Run: `cargo bench --bench propagation`. Not a test: it asserts nothing
//! about speed; the numbers go in the closing notes and docs.

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";
const CHANGES: usize = 100;

struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(dir: &Path, config: &str) -> Guard {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("hadns.toml"), config).unwrap();
    let log = std::fs::File::create(dir.join("log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_hadns"))
        .args(["serve", "--config"])
        .arg(dir.join("hadns.toml"))
        .env("HADNS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    Guard(child)
}

fn zone(serial: u32, value: u32) -> String {
    format!(
        "$ORIGIN prop.test.\n$TTL 300\n@ SOA ns hostmaster {serial} 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\nwww TXT \"v{value}\"\n"
    )
}

/// The TXT value a server answers for www.prop.test., if any.
fn answer(socket: &UdpSocket, server: SocketAddr, id: u16) -> Option<String> {
    let mut q = vec![(id >> 8) as u8, id as u8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    q.extend_from_slice(b"\x03www\x04prop\x04test\x00\x00\x10\x00\x01");
    socket.send_to(&q, server).ok()?;
    let mut buf = [0u8; 512];
    let deadline = Instant::now() + Duration::from_millis(200);
    while Instant::now() < deadline {
        let (len, from) = socket.recv_from(&mut buf).ok()?;
        if from == server && buf[..2] == q[..2] {
            let msg = wire::Message::parse(&buf[..len]).ok()?;
            return msg
                .answer
                .first()
                .map(|r| String::from_utf8_lossy(&r.rdata[1..]).into_owned());
        }
    }
    None
}

fn main() {
    // `cargo test --benches` runs bench targets too: skip the measurement there.
    // `cargo bench` passes --bench; `cargo test --all-targets` runs bench
    // targets without it, and must not spend minutes measuring.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let address = |i: usize| -> SocketAddr { format!("127.0.0.1:{}", ports[i]).parse().unwrap() };
    let common = |name: &str, port: u16| {
        format!(
            "version = 1\n[node]\nname = \"{name}\"\ndata_dir = \"data\"\n[dns]\nlisten = [\"127.0.0.1:{port}\"]\nbuiltin_zones = false\nudp_workers = 1\n\
             [[key]]\nname = \"xfr\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{KEY}\"\n"
        )
    };
    let primary_dir = root.path().join("p");
    std::fs::create_dir_all(&primary_dir).unwrap();
    std::fs::write(primary_dir.join("zone.db"), zone(1, 0)).unwrap();
    let primary = start(
        &primary_dir,
        &(common("p", ports[0])
            + &format!(
                "[[zone]]\nname = \"prop.test\"\nfile = \"zone.db\"\nnotify = [\"{}\", \"{}\"]\nnotify_key = \"xfr\"\nallow_transfer = [\"key xfr\"]\n",
                address(1),
                address(2)
            )),
    );
    let mut secondaries = Vec::new();
    for (i, &port) in ports.iter().enumerate().skip(1) {
        secondaries.push(start(
            &root.path().join(format!("s{i}")),
            &(common(&format!("s{i}"), port)
                + &format!("[[zone]]\nname = \"prop.test\"\nrole = \"secondary\"\nprimaries = [\"{}\"]\nprimary_key = \"xfr\"\n", address(0))),
        ));
    }
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let wait_for = |value: u32, limit: Duration| -> Option<Duration> {
        let started = Instant::now();
        let expected = format!("v{value}");
        let mut seen = [false; 2];
        let mut id = 0u16;
        while started.elapsed() < limit {
            for (i, done) in seen.iter_mut().enumerate() {
                if !*done {
                    id = id.wrapping_add(1);
                    *done =
                        answer(&socket, address(i + 1), id).as_deref() == Some(expected.as_str());
                }
            }
            if seen.iter().all(|s| *s) {
                return Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        None
    };
    wait_for(0, Duration::from_secs(20)).expect("initial transfer to both secondaries");

    let mut samples = Vec::with_capacity(CHANGES);
    for i in 1..=CHANGES as u32 {
        std::fs::write(primary_dir.join("zone.db"), zone(1 + i, i)).unwrap();
        let started = Instant::now();
        let status = Command::new("kill")
            .arg("-HUP")
            .arg(primary.0.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        match wait_for(i, Duration::from_secs(10)) {
            Some(_) => samples.push(started.elapsed()),
            None => panic!("change {i} did not reach both secondaries within 10 s"),
        }
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    println!(
        "propagation to 2 secondaries over {} changes: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        samples.len(),
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
        samples.last().unwrap().as_secs_f64() * 1000.0
    );
    drop(secondaries);
    drop(primary);
}
