//! RFC 2136 dynamic updates from BIND's `nsupdate`: signed with hmac-md5
//! and hmac-sha256, over UDP and TCP; prerequisite failures and their
//! RCODEs; unsigned, wrongly signed and unauthorised updates refused with
//! nothing changed; the change journaled with source `update` and kept
//! across a restart.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Process, ask, free_port, hadns_binary, require_program, soa_serial};
use wire::{Rcode, Rtype};

const MD5_SECRET: &str = "bWQ1LXNlY3JldC1mb3ItbnN1cGRhdGU=";
const SHA256_SECRET: &str = "c2hhMjU2LXNlY3JldC1mb3ItbnN1cGRhdGUtdGVzdHM=";

/// A node with the store zone `dyn.test.` (imported from a file before the
/// first start) and the file zone `static.test.`.
struct Node {
    dir: PathBuf,
    port: u16,
    process: Option<Process>,
}

impl Node {
    fn new(root: &Path) -> Node {
        let dir = root.to_path_buf();
        let port = free_port();
        std::fs::write(
            dir.join("dyn.zone"),
            "$ORIGIN dyn.test.\n$TTL 300\n@ SOA ns1 hostmaster 10 60 30 600 60\n@ NS ns1\n\
             ns1 A 127.0.0.1\nold A 192.0.2.50\nmulti A 192.0.2.60\nmulti A 192.0.2.61\nmulti TXT \"hello\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("static.zone"),
            "$ORIGIN static.test.\n$TTL 300\n@ SOA ns1 hostmaster 1 60 30 600 60\n@ NS ns1\nns1 A 127.0.0.1\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("hadns.toml"),
            format!(
                "version = 1\n[node]\ndata_dir = \"data\"\n[dns]\nlisten = [\"127.0.0.1:{port}\"]\nbuiltin_zones = false\nudp_workers = 1\n\
                 [[key]]\nname = \"ddns-md5\"\nalgorithm = \"hmac-md5\"\nsecret = \"{MD5_SECRET}\"\n\
                 [[key]]\nname = \"ddns-256\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{SHA256_SECRET}\"\n\
                 [[key]]\nname = \"other\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{SHA256_SECRET}\"\n\
                 [[zone]]\nname = \"dyn.test\"\nallow_update = [\"key ddns-md5\", \"key ddns-256\"]\nallow_transfer = [\"127.0.0.1\"]\n\
                 [[zone]]\nname = \"static.test\"\nfile = \"static.zone\"\n"
            ),
        )
        .unwrap();
        let output = Command::new(hadns_binary())
            .args([
                "import",
                "dyn.zone",
                "--origin",
                "dyn.test",
                "-c",
                "hadns.toml",
            ])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "import failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
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
        let mut command = Command::new(hadns_binary());
        command
            .args(["serve", "-c", "hadns.toml"])
            .current_dir(&self.dir)
            .env("HADNS_LOG", "info");
        let mut process = Process::start("hadns", command, &self.dir.join("hadns.log"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while soa_serial(self.address(), "dyn.test.").is_none() {
            assert!(
                !process.has_exited() && Instant::now() < deadline,
                "node did not start:\n{}",
                process.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        self.process = Some(process);
    }

    fn stop(&mut self) {
        if let Some(process) = self.process.take() {
            process.signal("TERM");
            let mut process = process;
            assert_eq!(process.wait_exit(Duration::from_secs(10)), Some(0));
        }
    }

    fn serial(&self) -> u32 {
        soa_serial(self.address(), "dyn.test.").expect("dyn.test. answers")
    }

    /// Every record of the zone, as the server answers an AXFR.
    fn contents(&self) -> Vec<String> {
        let (records, _) = common::axfr(self.address(), "dyn.test.", None)
            .unwrap_or_else(|e| panic!("AXFR failed: {e}"));
        let mut lines: Vec<String> = records
            .iter()
            .map(|r| format!("{} {} {} {:?}", r.owner, r.ttl, r.rtype, r.rdata))
            .collect();
        lines.sort();
        lines.dedup();
        lines
    }

    /// Runs nsupdate with `script` (server and zone lines are added);
    /// returns whether it succeeded and what it printed.
    fn nsupdate(&self, key: Option<&str>, tcp: bool, script: &str) -> (bool, String) {
        let program = require_program("nsupdate", "bind9-dnsutils");
        let mut command = Command::new(program);
        if let Some(key) = key {
            command.arg("-y").arg(key);
        }
        if tcp {
            command.arg("-v");
        }
        command.args(["-t", "5"]);
        let input = format!(
            "server 127.0.0.1 {}\nzone dyn.test\n{script}\nsend\n",
            self.port
        );
        run(command, &input)
    }
}

/// Runs a command with `input` on stdin, within 20 seconds.
fn run(mut command: Command, input: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nsupdate");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("nsupdate did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

fn md5_key() -> String {
    format!("hmac-md5:ddns-md5:{MD5_SECRET}")
}

fn sha256_key() -> String {
    format!("hmac-sha256:ddns-256:{SHA256_SECRET}")
}

fn a_records(node: &Node, name: &str) -> Vec<String> {
    let answer = ask(node.address(), name, Rtype::A);
    assert_eq!(answer.rcode, Rcode::NOERROR, "{name}: {answer:?}");
    let mut out: Vec<String> = answer
        .answer
        .iter()
        .map(|r| format!("{r:?}"))
        .filter(|text| text.split_whitespace().nth(3) == Some("A"))
        .map(|text| text.rsplit(' ').next().unwrap_or_default().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn signed_updates_add_and_delete_over_udp_and_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::new(dir.path());
    node.start();
    let start = node.serial();
    assert_eq!(start, 10);

    // hmac-md5 over UDP: add two records in one update.
    let (ok, out) = node.nsupdate(
        Some(&md5_key()),
        false,
        "update add www.dyn.test. 300 A 192.0.2.1\nupdate add www.dyn.test. 300 A 192.0.2.2",
    );
    assert!(ok, "{out}");
    assert_eq!(
        a_records(&node, "www.dyn.test."),
        ["192.0.2.1", "192.0.2.2"]
    );
    assert_eq!(node.serial(), start + 1, "one update, one serial step");

    // hmac-sha256 over TCP: delete one record, then a whole RRset, then a name.
    let (ok, out) = node.nsupdate(
        Some(&sha256_key()),
        true,
        "update delete www.dyn.test. A 192.0.2.1",
    );
    assert!(ok, "{out}");
    assert_eq!(a_records(&node, "www.dyn.test."), ["192.0.2.2"]);
    let (ok, out) = node.nsupdate(Some(&sha256_key()), true, "update delete old.dyn.test. A");
    assert!(ok, "{out}");
    assert_eq!(
        ask(node.address(), "old.dyn.test.", Rtype::A).rcode,
        Rcode::NXDOMAIN
    );
    let (ok, out) = node.nsupdate(Some(&md5_key()), false, "update delete multi.dyn.test.");
    assert!(ok, "{out}");
    assert_eq!(
        ask(node.address(), "multi.dyn.test.", Rtype::TXT).rcode,
        Rcode::NXDOMAIN
    );
    assert_eq!(node.serial(), start + 4);

    // A CNAME cannot join other data (RFC 2136 §3.4.2.2: ignored), and an
    // update that changes nothing moves no serial.
    let before = node.contents();
    let (ok, out) = node.nsupdate(
        Some(&md5_key()),
        false,
        "update add www.dyn.test. 300 CNAME ns1.dyn.test.",
    );
    assert!(ok, "{out}");
    assert_eq!(node.contents(), before);
    assert_eq!(node.serial(), start + 4);

    // The journal says who changed what, and the changes outlive a restart.
    let store = store::Store::open(&dir.path().join("data/hadns.db")).unwrap();
    let history = store
        .history(&"dyn.test.".parse().unwrap(), 10, None)
        .unwrap();
    assert_eq!(history.len(), 5, "import + four updates: {history:?}");
    assert!(
        history[..4]
            .iter()
            .all(|e| e.source == store::Source::Update)
    );
    assert_eq!(history[0].author, "key ddns-md5.");
    assert_eq!(history[1].author, "key ddns-256.");
    drop(store);
    node.stop();
    node.start();
    assert_eq!(node.serial(), start + 4);
    assert_eq!(a_records(&node, "www.dyn.test."), ["192.0.2.2"]);
}

#[test]
fn failed_prerequisites_answer_their_rcodes_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::new(dir.path());
    node.start();
    let before = node.contents();
    let cases = [
        // RFC 2136 §3.2.5 rcodes, one per kind of prerequisite.
        ("prereq nxdomain old.dyn.test.", "YXDOMAIN"),
        ("prereq yxdomain missing.dyn.test.", "NXDOMAIN"),
        ("prereq yxrrset old.dyn.test. AAAA", "NXRRSET"),
        ("prereq nxrrset old.dyn.test. A", "YXRRSET"),
        ("prereq yxrrset old.dyn.test. A 192.0.2.99", "NXRRSET"),
        // Value-dependent: the whole RRset must match, not a subset.
        ("prereq yxrrset multi.dyn.test. A 192.0.2.60", "NXRRSET"),
        // Outside the zone: NOTZONE.
        ("prereq yxdomain www.elsewhere.test.", "NOTZONE"),
    ];
    for (prerequisite, rcode) in cases {
        let script = format!("{prerequisite}\nupdate add new.dyn.test. 300 A 192.0.2.7");
        let (ok, out) = node.nsupdate(Some(&md5_key()), false, &script);
        assert!(!ok, "{prerequisite} should fail: {out}");
        assert!(
            out.contains(&format!("update failed: {rcode}")),
            "{prerequisite}: expected {rcode}, nsupdate said: {out}"
        );
        assert_eq!(node.contents(), before, "{prerequisite} changed the zone");
    }
    // The prerequisites hold: the update goes through.
    let (ok, out) = node.nsupdate(
        Some(&md5_key()),
        false,
        "prereq yxrrset multi.dyn.test. A 192.0.2.60\nprereq yxrrset multi.dyn.test. A 192.0.2.61\n\
         prereq nxdomain new.dyn.test.\nprereq yxrrset old.dyn.test. A\n\
         update add new.dyn.test. 300 A 192.0.2.7",
    );
    assert!(ok, "{out}");
    assert_eq!(a_records(&node, "new.dyn.test."), ["192.0.2.7"]);
}

#[test]
fn unsigned_wrongly_signed_and_unauthorised_updates_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::new(dir.path());
    node.start();
    let before = node.contents();
    let add = "update add evil.dyn.test. 300 A 192.0.2.66";

    let (ok, out) = node.nsupdate(None, false, add);
    assert!(!ok && out.contains("REFUSED"), "unsigned: {out}");
    let (ok, out) = node.nsupdate(None, true, add);
    assert!(!ok && out.contains("REFUSED"), "unsigned over TCP: {out}");

    // The right key name with the wrong secret: BADSIG, which nsupdate
    // reports as a TSIG failure.
    let wrong = "hmac-md5:ddns-md5:d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==";
    let (ok, out) = node.nsupdate(Some(wrong), false, add);
    assert!(!ok, "wrong secret: {out}");
    assert!(
        out.to_lowercase().contains("tsig") || out.contains("NOTAUTH"),
        "wrong secret: {out}"
    );

    // A valid key the zone does not list.
    let other = format!("hmac-sha256:other:{SHA256_SECRET}");
    let (ok, out) = node.nsupdate(Some(&other), false, add);
    assert!(!ok && out.contains("REFUSED"), "unlisted key: {out}");

    assert_eq!(node.contents(), before);

    // A zone served from a file takes no updates: NOTAUTH.
    let program = require_program("nsupdate", "bind9-dnsutils");
    let mut command = Command::new(program);
    command.args(["-y", &md5_key(), "-t", "5"]);
    let (ok, out) = run(
        command,
        &format!(
            "server 127.0.0.1 {}\nzone static.test\nupdate add x.static.test. 300 A 192.0.2.1\nsend\n",
            node.port
        ),
    );
    assert!(!ok && out.contains("NOTAUTH"), "file zone: {out}");
}
