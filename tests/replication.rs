//! Replication between hadns nodes, and the fault cases: a wrong key, a
//! primary that is down, dies mid-transfer or sends a corrupt IXFR, a
//! damaged journal, a secondary killed with SIGKILL.
//!
//! The misbehaving primaries are a small server inside the test (built on
//! hadns's own transfer encoder, then broken on purpose).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::fake_primary::{FakePrimary, Misbehaviour, build};
use common::{Process, hadns_binary, query, udp_exchange};
use wire::{Message, Rcode, Rtype};

const KEY: &str = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";

fn zone_text(serial: u32, www: &str) -> String {
    format!(
        "$ORIGIN rep.test.\n$TTL 300\n@ SOA ns1 hostmaster {serial} 60 30 600 60\n@ NS ns1\nns1 A 127.0.0.1\nwww A {www}\nmail A 192.0.2.25\n"
    )
}

/// A hadns node with its own directory and config.
struct Node {
    dir: PathBuf,
    port: u16,
    process: Option<Process>,
}

impl Node {
    fn new(root: &Path, name: &str, body: &str) -> Node {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let port = common::free_port();
        let config = format!(
            "version = 1\n[node]\nname = \"{name}\"\ndata_dir = \"data\"\n[dns]\nlisten = [\"127.0.0.1:{port}\"]\nbuiltin_zones = false\nudp_workers = 1\n\
             [replication]\nmin_refresh = 1\nmin_retry = 1\nmin_expire = 1\n\
             [[key]]\nname = \"xfr\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{KEY}\"\n{body}"
        );
        std::fs::write(dir.join("hadns.toml"), config).unwrap();
        Node {
            dir,
            port,
            process: None,
        }
    }

    fn address(&self) -> SocketAddr {
        format!("127.0.0.1:{}", self.port).parse().unwrap()
    }

    fn start(&mut self) {
        let mut command = std::process::Command::new(hadns_binary());
        command
            .arg("serve")
            .arg("--config")
            .arg(self.dir.join("hadns.toml"))
            .env("HADNS_LOG", "info");
        let log = self
            .dir
            .join(format!("hadns-{}.log", Instant::now().elapsed().as_nanos()));
        self.process = Some(Process::start("hadns", command, &log));
    }

    fn process(&mut self) -> &mut Process {
        self.process.as_mut().expect("started")
    }

    fn log(&self) -> String {
        self.process
            .as_ref()
            .map(|p| p.log_text())
            .unwrap_or_default()
    }

    fn stop(&mut self) {
        self.process = None;
    }

    /// Runs `hadns ctl COMMAND rep.test` against this node.
    fn ctl(&self, command: &str) -> String {
        let output = std::process::Command::new(hadns_binary())
            .args(["ctl", command, "rep.test", "--data-dir"])
            .arg(self.dir.join("data"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "ctl {command}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits for the control socket, then asks for a refresh (a restarted
    /// secondary otherwise waits for its persisted refresh time).
    fn refresh(&mut self) {
        let socket = self.dir.join("data/control.sock");
        let log = self.log();
        eventually(
            Duration::from_secs(10),
            "the control socket",
            || socket.exists() && self.log().contains("ready"),
            || log.clone(),
        );
        self.ctl("refresh");
    }

    fn kill(&mut self) {
        if let Some(p) = &self.process {
            p.signal("KILL");
        }
        self.process = None;
    }
}

/// The zone's serial as a node answers it, or its RCODE.
fn soa(server: SocketAddr) -> Result<u32, Rcode> {
    let reply = udp_exchange(
        server,
        &query(1, "rep.test.", Rtype::SOA, 0, None),
        Duration::from_millis(500),
    )
    .ok_or(Rcode::SERVFAIL)?;
    let msg = Message::parse(&reply).map_err(|_| Rcode::FORMERR)?;
    match msg.answer.iter().find(|r| r.rtype == Rtype::SOA) {
        Some(r) => Ok(wire::rdata::soa_numbers(&r.rdata).unwrap()[0]),
        None => Err(msg.rcode()),
    }
}

fn a_record(server: SocketAddr, name: &str) -> Option<[u8; 4]> {
    let reply = udp_exchange(
        server,
        &query(2, name, Rtype::A, 0, None),
        Duration::from_millis(500),
    )?;
    let msg = Message::parse(&reply).ok()?;
    msg.answer
        .iter()
        .find(|r| r.rtype == Rtype::A)
        .map(|r| r.rdata[..4].try_into().unwrap())
}

/// Polls `check` until it holds or `limit` passes.
fn eventually(
    limit: Duration,
    what: &str,
    mut check: impl FnMut() -> bool,
    log: impl Fn() -> String,
) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("timed out waiting for {what}\n{}", log());
}

fn secondary_body(primary: SocketAddr, extra: &str) -> String {
    format!(
        "[[zone]]\nname = \"rep.test\"\nrole = \"secondary\"\nprimaries = [\"{primary}\"]\nprimary_key = \"xfr\"\n{extra}"
    )
}

#[test]
fn primary_secondary_tertiary_chain_carries_changes_by_ixfr() {
    let root = tempfile::tempdir().unwrap();
    let mut primary = Node::new(root.path(), "p", "");
    let mut secondary = Node::new(root.path(), "s", "");
    let mut tertiary = Node::new(root.path(), "t", &secondary_body(secondary.address(), ""));
    // The secondary passes changes on: NOTIFY to the tertiary, transfers to it.
    std::fs::write(
        secondary.dir.join("hadns.toml"),
        std::fs::read_to_string(secondary.dir.join("hadns.toml")).unwrap()
            + &secondary_body(
                primary.address(),
                &format!(
                    "notify = [\"{}\"]\nallow_transfer = [\"127.0.0.1\"]\n",
                    tertiary.address()
                ),
            ),
    )
    .unwrap();
    std::fs::write(primary.dir.join("zone.db"), zone_text(1, "192.0.2.1")).unwrap();
    std::fs::write(
        primary.dir.join("hadns.toml"),
        std::fs::read_to_string(primary.dir.join("hadns.toml")).unwrap()
            + &format!("[[zone]]\nname = \"rep.test\"\nfile = \"zone.db\"\nnotify = [\"{}\"]\nnotify_key = \"xfr\"\nallow_transfer = [\"key xfr\"]\n", secondary.address()),
    )
    .unwrap();
    primary.start();
    secondary.start();
    tertiary.start();
    let (p, s, t) = (primary.address(), secondary.address(), tertiary.address());
    eventually(
        Duration::from_secs(20),
        "the tertiary to copy serial 1",
        || soa(t) == Ok(1),
        || format!("{}\n{}", secondary.log(), tertiary.log()),
    );

    for serial in 2..=4u32 {
        let www = format!("192.0.2.{serial}");
        std::fs::write(primary.dir.join("zone.db"), zone_text(serial, &www)).unwrap();
        primary.process().signal("HUP");
        eventually(
            Duration::from_secs(20),
            "the change to reach the tertiary",
            || soa(t) == Ok(serial),
            || format!("{}\n{}\n{}", primary.log(), secondary.log(), tertiary.log()),
        );
        assert_eq!(
            a_record(t, "www.rep.test."),
            Some([192, 0, 2, serial as u8])
        );
    }
    assert_eq!(soa(p), Ok(4));
    assert_eq!(soa(s), Ok(4));
    // Changes travelled incrementally at both hops.
    assert!(primary.log().contains("kind=\"IXFR\""), "{}", primary.log());
    assert!(
        secondary.log().contains("request=Ixfr"),
        "{}",
        secondary.log()
    );
    assert!(
        secondary.log().contains("kind=\"IXFR\""),
        "{}",
        secondary.log()
    );
    assert!(
        tertiary.log().contains("request=Ixfr"),
        "{}",
        tertiary.log()
    );
}

#[test]
fn wrong_tsig_key_is_refused_and_the_secondary_keeps_its_copy() {
    let root = tempfile::tempdir().unwrap();
    let mut primary = Node::new(root.path(), "p", "");
    std::fs::write(primary.dir.join("zone.db"), zone_text(1, "192.0.2.1")).unwrap();
    let config = std::fs::read_to_string(primary.dir.join("hadns.toml")).unwrap();
    std::fs::write(
        primary.dir.join("hadns.toml"),
        config
            + "[[zone]]\nname = \"rep.test\"\nfile = \"zone.db\"\nallow_transfer = [\"key xfr\"]\n",
    )
    .unwrap();
    primary.start();
    let mut secondary = Node::new(root.path(), "s", &secondary_body(primary.address(), ""));
    secondary.start();
    let s = secondary.address();
    eventually(
        Duration::from_secs(20),
        "the first copy",
        || soa(s) == Ok(1),
        || secondary.log(),
    );
    secondary.stop();

    // Same key name, another secret: the primary answers NOTAUTH/BADSIG.
    let config = std::fs::read_to_string(secondary.dir.join("hadns.toml")).unwrap();
    std::fs::write(
        secondary.dir.join("hadns.toml"),
        config.replace(KEY, "d3JvbmdrZXl3cm9uZ2tleXdyb25na2V5d3Jvbmc="),
    )
    .unwrap();
    std::fs::write(primary.dir.join("zone.db"), zone_text(2, "192.0.2.2")).unwrap();
    primary.process().signal("HUP");
    eventually(
        Duration::from_secs(10),
        "the primary at serial 2",
        || soa(primary.address()) == Ok(2),
        || primary.log(),
    );
    secondary.start();
    secondary.refresh();
    eventually(
        Duration::from_secs(20),
        "a refused check",
        || secondary.log().contains("SOA check failed"),
        || secondary.log(),
    );
    assert_eq!(soa(s), Ok(1), "the old copy is still served");
    assert_eq!(a_record(s, "www.rep.test."), Some([192, 0, 2, 1]));
    let text = secondary.ctl("zone-status");
    assert!(
        text.contains("serial: 1") && text.contains("last error: TSIG"),
        "{text}"
    );
}

#[test]
fn secondary_serves_while_the_primary_is_down_then_expires_to_servfail() {
    let root = tempfile::tempdir().unwrap();
    let mut primary = Node::new(root.path(), "p", "");
    // expire 3 s (the test lowers min_expire to 1 s).
    let text = zone_text(1, "192.0.2.1").replace(" 1 60 30 600 60", " 1 1 1 3 60");
    std::fs::write(primary.dir.join("zone.db"), text).unwrap();
    let config = std::fs::read_to_string(primary.dir.join("hadns.toml")).unwrap();
    std::fs::write(
        primary.dir.join("hadns.toml"),
        config
            + "[[zone]]\nname = \"rep.test\"\nfile = \"zone.db\"\nallow_transfer = [\"key xfr\"]\n",
    )
    .unwrap();
    primary.start();
    let mut secondary = Node::new(root.path(), "s", &secondary_body(primary.address(), ""));
    secondary.start();
    let s = secondary.address();
    eventually(
        Duration::from_secs(20),
        "the first copy",
        || soa(s) == Ok(1),
        || secondary.log(),
    );
    primary.stop();
    let stopped = Instant::now();
    // Within the expire interval the copy is served.
    assert_eq!(a_record(s, "www.rep.test."), Some([192, 0, 2, 1]));
    eventually(
        Duration::from_secs(15),
        "SERVFAIL after expiry",
        || soa(s) == Err(Rcode::SERVFAIL),
        || secondary.log(),
    );
    assert!(
        stopped.elapsed() >= Duration::from_secs(2),
        "expired too early: {:?}",
        stopped.elapsed()
    );
    assert!(
        secondary.log().contains("zone expired"),
        "{}",
        secondary.log()
    );
    // The primary comes back: the zone is served again.
    primary.start();
    eventually(
        Duration::from_secs(20),
        "service after the primary returns",
        || soa(s) == Ok(1),
        || secondary.log(),
    );
}

#[test]
fn secondary_killed_with_sigkill_answers_at_once_from_its_copy() {
    let root = tempfile::tempdir().unwrap();
    let mut primary = Node::new(root.path(), "p", "");
    std::fs::write(primary.dir.join("zone.db"), zone_text(7, "192.0.2.7")).unwrap();
    let config = std::fs::read_to_string(primary.dir.join("hadns.toml")).unwrap();
    std::fs::write(
        primary.dir.join("hadns.toml"),
        config
            + "[[zone]]\nname = \"rep.test\"\nfile = \"zone.db\"\nallow_transfer = [\"key xfr\"]\n",
    )
    .unwrap();
    primary.start();
    let mut secondary = Node::new(root.path(), "s", &secondary_body(primary.address(), ""));
    secondary.start();
    let s = secondary.address();
    eventually(
        Duration::from_secs(20),
        "the first copy",
        || soa(s) == Ok(7),
        || secondary.log(),
    );
    secondary.kill();
    primary.stop();
    let restarted = Instant::now();
    secondary.start();
    eventually(
        Duration::from_secs(5),
        "an answer from the persisted copy",
        || soa(s) == Ok(7),
        || secondary.log(),
    );
    assert!(
        restarted.elapsed() < Duration::from_secs(3),
        "took {:?}",
        restarted.elapsed()
    );
    assert_eq!(a_record(s, "www.rep.test."), Some([192, 0, 2, 7]));
    assert!(
        secondary.log().contains("serving the persisted copy"),
        "{}",
        secondary.log()
    );
}

#[test]
fn a_journal_cut_mid_record_is_trimmed_at_start_and_axfr_still_works() {
    let root = tempfile::tempdir().unwrap();
    let mut primary = Node::new(root.path(), "p", "");
    std::fs::write(primary.dir.join("zone.db"), zone_text(1, "192.0.2.1")).unwrap();
    let config = std::fs::read_to_string(primary.dir.join("hadns.toml")).unwrap();
    std::fs::write(primary.dir.join("hadns.toml"), config + "[[zone]]\nname = \"rep.test\"\nfile = \"zone.db\"\nallow_transfer = [\"127.0.0.1\"]\n").unwrap();
    primary.start();
    let p = primary.address();
    eventually(
        Duration::from_secs(10),
        "serial 1",
        || soa(p) == Ok(1),
        || primary.log(),
    );
    for serial in 2..=3u32 {
        std::fs::write(
            primary.dir.join("zone.db"),
            zone_text(serial, &format!("192.0.2.{serial}")),
        )
        .unwrap();
        primary.process().signal("HUP");
        eventually(
            Duration::from_secs(10),
            "the reload",
            || soa(p) == Ok(serial),
            || primary.log(),
        );
    }
    primary.stop();
    let journal = primary.dir.join("data/zones/rep.test.jnl");
    let len = std::fs::metadata(&journal).unwrap().len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&journal)
        .unwrap();
    file.set_len(len - 7).unwrap();
    drop(file);
    primary.start();
    eventually(
        Duration::from_secs(10),
        "serial 3 after restart",
        || soa(p) == Ok(3),
        || primary.log(),
    );
    assert!(primary.log().contains("damaged tail"), "{}", primary.log());
    // The cut entry (2 → 3) is gone, so no IXFR reaches serial 3 from an
    // older serial: those clients get the whole zone, which still works.
    let axfr = transfer(p, Rtype::AXFR, None);
    assert_eq!(soa_serials(&axfr), vec![3, 3], "{axfr:?}");
    assert_eq!(axfr.len(), 6, "{axfr:?}");
    assert_eq!(soa_serials(&transfer(p, Rtype::IXFR, Some(2))), vec![3, 3]);
    // And the journal goes on from here: the next change is incremental.
    std::fs::write(primary.dir.join("zone.db"), zone_text(4, "192.0.2.4")).unwrap();
    primary.process().signal("HUP");
    eventually(
        Duration::from_secs(10),
        "serial 4",
        || soa(p) == Ok(4),
        || primary.log(),
    );
    assert_eq!(
        soa_serials(&transfer(p, Rtype::IXFR, Some(3))),
        vec![4, 3, 4, 4]
    );
}

fn soa_serials(records: &[wire::Record]) -> Vec<u32> {
    records
        .iter()
        .filter(|r| r.rtype == Rtype::SOA)
        .map(|r| wire::rdata::soa_numbers(&r.rdata).unwrap()[0])
        .collect()
}

/// Transfers rep.test. from `server` over TCP and returns every answer record.
fn transfer(server: SocketAddr, qtype: Rtype, serial: Option<u32>) -> Vec<wire::Record> {
    let mut q = query(5, "rep.test.", qtype, 0, None);
    if let Some(serial) = serial {
        q[9] = 1;
        q.extend_from_slice(&[0xC0, 12, 0, 6, 0, 1, 0, 0, 0, 0]);
        let mut rdata = vec![0, 0];
        rdata.extend_from_slice(&serial.to_be_bytes());
        rdata.extend_from_slice(&[0; 16]);
        q.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        q.extend_from_slice(&rdata);
    }
    let mut stream = std::net::TcpStream::connect(server).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    stream.write_all(&framed).unwrap();
    let mut records = Vec::new();
    let mut soas = 0;
    loop {
        let mut len = [0u8; 2];
        stream.read_exact(&mut len).unwrap();
        let mut m = vec![0u8; u16::from_be_bytes(len) as usize];
        stream.read_exact(&mut m).unwrap();
        let msg = Message::parse(&m).unwrap();
        assert_eq!(msg.rcode(), Rcode::NOERROR);
        for r in msg.answer {
            if r.rtype == Rtype::SOA {
                soas += 1;
            }
            records.push(r);
        }
        let first_serial = soa_serials(&records).first().copied();
        // Done when the last record is the current SOA again (or a lone SOA).
        let last_is_current = records.last().is_some_and(|r| {
            r.rtype == Rtype::SOA
                && Some(wire::rdata::soa_numbers(&r.rdata).unwrap()[0]) == first_serial
        });
        if (soas >= 2 && last_is_current) || (records.len() == 1 && serial.is_some()) {
            return records;
        }
    }
}

fn big_zone(serial: u32, www: &str) -> String {
    // Retry after one second, so the test sees the retry soon.
    let mut text = zone_text(serial, www).replace(" 60 30 600 60", " 60 1 600 60");
    for i in 0..3000 {
        text.push_str(&format!(
            "host{i} TXT \"padding to make the transfer span several messages {i}\"\n"
        ));
    }
    text
}

#[test]
fn primary_dying_mid_axfr_leaves_the_old_copy_and_the_secondary_retries() {
    let root = tempfile::tempdir().unwrap();
    let v1 = build(&big_zone(1, "192.0.2.1"));
    let v2 = build(&big_zone(2, "192.0.2.2"));
    let behaviour = Arc::new(Mutex::new(Misbehaviour::None));
    let first = FakePrimary::start(v1, None, behaviour.clone());
    let body = format!(
        "[[zone]]\nname = \"rep.test\"\nrole = \"secondary\"\nprimaries = [\"{}\"]\n",
        first.address
    );
    let mut secondary = Node::new(root.path(), "s", &body);
    secondary.start();
    let s = secondary.address();
    eventually(
        Duration::from_secs(20),
        "the first copy",
        || soa(s) == Ok(1),
        || secondary.log(),
    );
    secondary.stop();
    drop(first);

    // The primary now has serial 2 but dies after the first message.
    *behaviour.lock().unwrap() = Misbehaviour::HangUpMidway;
    let second = FakePrimary::start(v2, None, behaviour.clone());
    let config = std::fs::read_to_string(secondary.dir.join("hadns.toml")).unwrap();
    let old_primary = config
        .split("primaries = [\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    std::fs::write(
        secondary.dir.join("hadns.toml"),
        config.replace(&old_primary, &second.address.to_string()),
    )
    .unwrap();
    secondary.start();
    secondary.refresh();
    eventually(
        Duration::from_secs(20),
        "a failed transfer",
        || secondary.log().contains("transfer in failed"),
        || secondary.log(),
    );
    assert_eq!(soa(s), Ok(1), "the old copy stays");
    assert_eq!(a_record(s, "www.rep.test."), Some([192, 0, 2, 1]));
    // Once the primary behaves, the retry brings serial 2.
    *behaviour.lock().unwrap() = Misbehaviour::None;
    eventually(
        Duration::from_secs(20),
        "the retried transfer",
        || soa(s) == Ok(2),
        || secondary.log(),
    );
    assert!(second.transfers.lock().unwrap().len() >= 2);
}

#[test]
fn corrupt_ixfr_falls_back_to_axfr() {
    let root = tempfile::tempdir().unwrap();
    let v1 = build(&zone_text(1, "192.0.2.1"));
    let v2 = build(&zone_text(2, "192.0.2.2"));
    let behaviour = Arc::new(Mutex::new(Misbehaviour::None));
    let first = FakePrimary::start(v1.clone(), None, behaviour.clone());
    let mut secondary = Node::new(
        root.path(),
        "s",
        &format!(
            "[[zone]]\nname = \"rep.test\"\nrole = \"secondary\"\nprimaries = [\"{}\"]\n",
            first.address
        ),
    );
    secondary.start();
    let s = secondary.address();
    eventually(
        Duration::from_secs(20),
        "the first copy",
        || soa(s) == Ok(1),
        || secondary.log(),
    );
    secondary.stop();
    drop(first);

    *behaviour.lock().unwrap() = Misbehaviour::CorruptIxfr;
    let second = FakePrimary::start(v2, Some(v1), behaviour);
    let config = std::fs::read_to_string(secondary.dir.join("hadns.toml")).unwrap();
    let old_primary = config
        .split("primaries = [\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    std::fs::write(
        secondary.dir.join("hadns.toml"),
        config.replace(&old_primary, &second.address.to_string()),
    )
    .unwrap();
    secondary.start();
    secondary.refresh();
    eventually(
        Duration::from_secs(20),
        "serial 2 by AXFR",
        || soa(s) == Ok(2),
        || secondary.log(),
    );
    assert_eq!(a_record(s, "www.rep.test."), Some([192, 0, 2, 2]));
    let asked: Vec<Rtype> = second.transfers.lock().unwrap().clone();
    assert_eq!(
        asked,
        vec![Rtype::IXFR, Rtype::AXFR],
        "IXFR first, then AXFR after it failed"
    );
    let log = secondary.log();
    assert!(log.contains("IxfrUnusable"), "{log}");
    assert!(log.contains("serial=2 request=Axfr"), "{log}");
}

#[test]
fn serial_not_raised_keeps_the_old_version_and_says_why() {
    let root = tempfile::tempdir().unwrap();
    let mut primary = Node::new(root.path(), "p", "");
    std::fs::write(primary.dir.join("zone.db"), zone_text(5, "192.0.2.5")).unwrap();
    let config = std::fs::read_to_string(primary.dir.join("hadns.toml")).unwrap();
    std::fs::write(
        primary.dir.join("hadns.toml"),
        config + "[[zone]]\nname = \"rep.test\"\nfile = \"zone.db\"\n",
    )
    .unwrap();
    primary.start();
    let p = primary.address();
    eventually(
        Duration::from_secs(10),
        "serial 5",
        || soa(p) == Ok(5),
        || primary.log(),
    );
    std::fs::write(primary.dir.join("zone.db"), zone_text(5, "192.0.2.99")).unwrap();
    primary.process().signal("HUP");
    eventually(
        Duration::from_secs(10),
        "the refusal",
        || primary.log().contains("is not newer than"),
        || primary.log(),
    );
    assert_eq!(a_record(p, "www.rep.test."), Some([192, 0, 2, 5]));
}

/// Polls `check` every 10 ms until it holds, and says how long that took;
/// fails after `limit` (a loose bound: the figure itself is printed).
fn time_until(
    limit: Duration,
    what: &str,
    mut check: impl FnMut() -> bool,
    log: impl Fn() -> String,
) -> Duration {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check() {
            return started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("timed out waiting for {what}\n{}", log());
}

/// Appends `text` to a node's configuration file.
fn append_config(node: &Node, text: &str) {
    let path = node.dir.join("hadns.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(path, config + text).unwrap();
}

/// Issue [8/13] point 5: a secondary restarted after missing changes checks
/// its primary at start instead of waiting for its persisted refresh time
/// (an hour here), and the primary does not NOTIFY it, so only the check
/// at start can bring the change.
#[test]
fn a_restarted_secondary_catches_up_at_start() {
    let root = tempfile::tempdir().unwrap();
    let mut primary = Node::new(root.path(), "p", "");
    let hour = |serial: u32, www: &str| {
        zone_text(serial, www).replace(
            &format!(" {serial} 60 30 600 60"),
            &format!(" {serial} 3600 600 86400 60"),
        )
    };
    std::fs::write(primary.dir.join("zone.db"), hour(1, "192.0.2.1")).unwrap();
    append_config(
        &primary,
        "[[zone]]\nname = \"rep.test\"\nfile = \"zone.db\"\nallow_transfer = [\"key xfr\"]\n",
    );
    primary.start();
    let mut secondary = Node::new(root.path(), "s", &secondary_body(primary.address(), ""));
    secondary.start();
    let s = secondary.address();
    eventually(
        Duration::from_secs(20),
        "the first copy",
        || soa(s) == Ok(1),
        || secondary.log(),
    );
    secondary.kill();
    for serial in 2..=3u32 {
        std::fs::write(
            primary.dir.join("zone.db"),
            hour(serial, &format!("192.0.2.{serial}")),
        )
        .unwrap();
        primary.process().signal("HUP");
        eventually(
            Duration::from_secs(10),
            "the primary's new serial",
            || soa(primary.address()) == Ok(serial),
            || primary.log(),
        );
    }
    secondary.start();
    let took = time_until(
        Duration::from_secs(5),
        "the restarted secondary to serve serial 3",
        || soa(s) == Ok(3),
        || format!("{}\n{}", primary.log(), secondary.log()),
    );
    println!("restarted secondary served the new serial {took:?} after its start");
    assert_eq!(a_record(s, "www.rep.test."), Some([192, 0, 2, 3]));
    assert!(
        secondary.log().contains("request=Ixfr"),
        "{}",
        secondary.log()
    );
}

/// Issue [8/13] point 5: a NOTIFY target that is down when the zone
/// changes gets the NOTIFY once it comes back, within the zone's refresh
/// interval. The target is a socket of this test that starts answering
/// 20 s after the primary sent its first NOTIFY.
#[test]
fn a_notify_target_that_comes_back_gets_the_notify() {
    let root = tempfile::tempdir().unwrap();
    let mut primary = Node::new(root.path(), "p", "");
    let target_port = common::free_port();
    let target: SocketAddr = format!("127.0.0.1:{target_port}").parse().unwrap();
    std::fs::write(primary.dir.join("zone.db"), zone_text(1, "192.0.2.1")).unwrap();
    append_config(
        &primary,
        &format!("[[zone]]\nname = \"rep.test\"\nfile = \"zone.db\"\nnotify = [\"{target}\"]\n"),
    );
    primary.start();
    let p = primary.address();
    eventually(
        Duration::from_secs(10),
        "the primary",
        || soa(p) == Ok(1),
        || primary.log(),
    );
    std::thread::sleep(Duration::from_secs(20));
    let socket = UdpSocket::bind(target).unwrap();
    let back = Instant::now();
    socket
        .set_read_timeout(Some(Duration::from_secs(90)))
        .unwrap();
    let mut buf = [0u8; 1024];
    let (len, from) = socket
        .recv_from(&mut buf)
        .expect("a NOTIFY after the target came back");
    let took = back.elapsed();
    let notify = Message::parse(&buf[..len]).unwrap();
    assert_eq!(notify.header.opcode(), wire::Opcode::NOTIFY);
    // Acknowledge it: the same message as a response.
    let mut ack = buf[..len].to_vec();
    ack[2] |= 0x80;
    socket.send_to(&ack, from).unwrap();
    println!("NOTIFY reached the target {took:?} after it came back (down 20 s)");
    assert!(took < Duration::from_secs(61), "{took:?}");
    // The target's line names the serial and a time of acknowledgement
    // ("acknowledged -" until there is one) and no error.
    let acknowledged = |status: &str| {
        status.lines().any(|line| {
            line.starts_with(&format!("notify {target}: serial 1 acknowledged "))
                && !line.contains("acknowledged -")
                && !line.contains("error")
        })
    };
    eventually(
        Duration::from_secs(5),
        "the acknowledgement in zone-status",
        || acknowledged(&primary.ctl("zone-status")),
        || primary.ctl("zone-status"),
    );
}

/// Issue [8/13] point 5: a secondary started while its primary is down
/// serves the zone promptly once the primary starts: the check at start
/// ends at once on the ICMP port unreachable, and the NOTIFY the primary
/// sends at its own start is acted on at once. The secondary's retry
/// interval is a minute, so only the NOTIFY can explain a prompt copy.
#[test]
fn a_secondary_started_before_its_primary_serves_once_the_primary_starts() {
    let root = tempfile::tempdir().unwrap();
    let mut secondary = Node::new(root.path(), "s", "");
    let mut primary = Node::new(root.path(), "p", "");
    append_config(&secondary, &secondary_body(primary.address(), ""));
    let config = std::fs::read_to_string(secondary.dir.join("hadns.toml")).unwrap();
    std::fs::write(
        secondary.dir.join("hadns.toml"),
        config.replace("min_retry = 1\n", "min_retry = 60\n"),
    )
    .unwrap();
    std::fs::write(primary.dir.join("zone.db"), zone_text(5, "192.0.2.5")).unwrap();
    append_config(
        &primary,
        &format!(
            "[[zone]]\nname = \"rep.test\"\nfile = \"zone.db\"\nnotify = [\"{}\"]\nnotify_key = \"xfr\"\nallow_transfer = [\"key xfr\"]\n",
            secondary.address()
        ),
    );
    let started = Instant::now();
    secondary.start();
    eventually(
        Duration::from_secs(10),
        "the failed check at start",
        || secondary.log().contains("SOA check failed"),
        || secondary.log(),
    );
    println!(
        "the check at start failed {:?} after the secondary's start",
        started.elapsed()
    );
    assert!(
        secondary.log().contains("refused"),
        "the ICMP error ended the try: {}",
        secondary.log()
    );
    primary.start();
    let s = secondary.address();
    let took = time_until(
        Duration::from_secs(5),
        "the secondary to serve once the primary started",
        || soa(s) == Ok(5),
        || format!("{}\n{}", primary.log(), secondary.log()),
    );
    println!("secondary served {took:?} after the primary's start (process spawn)");
    assert!(
        secondary.log().contains("NOTIFY received"),
        "{}",
        secondary.log()
    );
}

/// Issue [8/13] point 6: each NOTIFY target is signed with its own key
/// (hmac-md5 for one secondary, hmac-sha256 for the other, each accepting
/// NOTIFY only with its key), and a target that does not know the key it
/// is sent is named, with the key, in a warning on the primary.
#[test]
fn notify_targets_are_signed_with_their_own_keys() {
    const MD5: &str = "bWQ1c2VjcmV0bWQ1c2VjcmV0";
    let md5_key =
        format!("[[key]]\nname = \"xfr-md5\"\nalgorithm = \"hmac-md5\"\nsecret = \"{MD5}\"\n");
    let root = tempfile::tempdir().unwrap();
    let mut primary = Node::new(root.path(), "p", "");
    let p = primary.address();
    // The SOA's refresh is an hour: only a NOTIFY brings a change soon.
    let hour = |serial: u32, www: &str| {
        zone_text(serial, www).replace(
            &format!(" {serial} 60 30 600 60"),
            &format!(" {serial} 3600 600 86400 60"),
        )
    };
    let mut md5 = Node::new(
        root.path(),
        "s-md5",
        &format!(
            "{md5_key}{}",
            secondary_body(p, "allow_notify = [\"key xfr-md5\"]\n")
                .replace("primary_key = \"xfr\"", "primary_key = \"xfr-md5\"")
        ),
    );
    let mut sha256 = Node::new(
        root.path(),
        "s-sha256",
        &secondary_body(p, "allow_notify = [\"key xfr\"]\n"),
    );
    let mut stranger = Node::new(root.path(), "s-stranger", &secondary_body(p, ""));
    std::fs::write(primary.dir.join("zone.db"), hour(1, "192.0.2.1")).unwrap();
    append_config(
        &primary,
        &format!(
            "{md5_key}[[key]]\nname = \"other\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{MD5}\"\n\
             [[zone]]\nname = \"rep.test\"\nfile = \"zone.db\"\n\
             notify = [\"{} key xfr-md5\", \"{}\", \"{} key other\"]\nnotify_key = \"xfr\"\n\
             allow_transfer = [\"key xfr\", \"key xfr-md5\"]\n",
            md5.address(),
            sha256.address(),
            stranger.address()
        ),
    );
    primary.start();
    md5.start();
    sha256.start();
    stranger.start();
    for node in [&md5, &sha256, &stranger] {
        let address = node.address();
        eventually(
            Duration::from_secs(20),
            "the first copies",
            || soa(address) == Ok(1),
            || node.log(),
        );
    }
    std::fs::write(primary.dir.join("zone.db"), hour(2, "192.0.2.2")).unwrap();
    primary.process().signal("HUP");
    let changed = Instant::now();
    for node in [&md5, &sha256] {
        let address = node.address();
        time_until(
            Duration::from_secs(10),
            "the NOTIFYed change",
            || soa(address) == Ok(2),
            || format!("{}\n{}", primary.log(), node.log()),
        );
        println!(
            "{} has serial 2 {:?} after the change",
            node.dir.file_name().unwrap().to_string_lossy(),
            changed.elapsed()
        );
        assert!(node.log().contains("NOTIFY received"), "{}", node.log());
    }
    // The stranger knows no key `other`: BADKEY, named on both sides.
    let target = stranger.address().to_string();
    eventually(
        Duration::from_secs(10),
        "the warning about the refused key",
        || {
            primary.log().lines().any(|line| {
                line.contains("WARN")
                    && line.contains("NOTIFY refused by the target's TSIG check")
                    && line.contains(&format!("target={target}"))
                    && line.contains("key=other.")
            })
        },
        || primary.log(),
    );
    assert!(
        stranger
            .log()
            .lines()
            .any(|line| line.contains("request refused")
                && line.contains("request=NOTIFY")
                && line.contains("key=other.")
                && line.contains("BADKEY")),
        "{}",
        stranger.log()
    );
    assert_eq!(
        soa(stranger.address()),
        Ok(1),
        "the stranger waits for its refresh"
    );
}
