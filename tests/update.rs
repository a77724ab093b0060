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
             ns1 A 127.0.0.1\nold A 192.0.2.50\nmulti A 192.0.2.60\nmulti A 192.0.2.61\nmulti TXT \"hello\"\n\
             alias CNAME ns1\nsub NS ns1.sub\nsub NS ns2.sub\nns1.sub A 192.0.2.91\nns2.sub A 192.0.2.92\n\
             mx MX 10 mail1\nmx MX 20 mail2\nmail1 A 192.0.2.25\nmail2 A 192.0.2.26\n\
             _sip._tcp SRV 0 5 5060 sip1\n_sip._tcp SRV 0 5 5060 sip2\nsip1 A 192.0.2.31\nsip2 A 192.0.2.32\n\
             ptr PTR host1.example.\nptr PTR host2.example.\nd DNAME target.example.\n",
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

    /// One RRset's records in presentation form, sorted, as an AXFR shows
    /// them (empty when the set does not exist).
    fn rrset(&self, owner: &str, rtype: &str) -> Vec<String> {
        let (records, _) = common::axfr(self.address(), "dyn.test.", None)
            .unwrap_or_else(|e| panic!("AXFR failed: {e}"));
        let owner: wire::Name = owner.parse().unwrap();
        let rtype: Rtype = rtype.parse().unwrap();
        let mut set: Vec<String> = records
            .iter()
            .filter(|r| r.owner == owner && r.rtype == rtype)
            .map(|r| r.rdata_text().to_string())
            .collect();
        set.sort();
        set.dedup();
        set
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

/// Every RFC 2136 form that carries a type but no RDATA (class ANY or NONE,
/// RDLENGTH 0), as nsupdate sends them, for each type whose RDATA holds a
/// name (these were FORMERR: the parser read empty RDATA as a name).
#[test]
fn every_rfc2136_form_works_for_name_bearing_types_from_nsupdate() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::new(dir.path());
    node.start();
    let cases: [(&str, &str, &[&str]); 6] = [
        ("alias.dyn.test.", "CNAME", &["ns1.dyn.test."]),
        (
            "sub.dyn.test.",
            "NS",
            &["ns1.sub.dyn.test.", "ns2.sub.dyn.test."],
        ),
        (
            "mx.dyn.test.",
            "MX",
            &["10 mail1.dyn.test.", "20 mail2.dyn.test."],
        ),
        (
            "_sip._tcp.dyn.test.",
            "SRV",
            &["0 5 5060 sip1.dyn.test.", "0 5 5060 sip2.dyn.test."],
        ),
        (
            "ptr.dyn.test.",
            "PTR",
            &["host1.example.", "host2.example."],
        ),
        ("d.dyn.test.", "DNAME", &["target.example."]),
    ];
    for (i, (name, rtype, records)) in cases.into_iter().enumerate() {
        let tcp = i % 2 == 1;
        let key = if tcp { sha256_key() } else { md5_key() };
        assert_eq!(node.rrset(name, rtype), records, "{rtype} fixture");
        // §2.4.1 "RRset exists" (class ANY, no RDATA) holds: the add goes in.
        let marker = format!("yx-{}.dyn.test.", rtype.to_lowercase());
        let (ok, out) = node.nsupdate(
            Some(&key),
            tcp,
            &format!("prereq yxrrset {name} {rtype}\nupdate add {marker} 300 TXT ok"),
        );
        assert!(ok, "yxrrset {name} {rtype}: {out}");
        assert_eq!(node.rrset(&marker, "TXT"), ["\"ok\""]);
        // §2.4.3 "RRset does not exist" (class NONE, no RDATA) fails: YXRRSET.
        let before = node.contents();
        let (ok, out) = node.nsupdate(
            Some(&key),
            tcp,
            &format!("prereq nxrrset {name} {rtype}\nupdate add nx.dyn.test. 300 TXT no"),
        );
        assert!(
            !ok && out.contains("YXRRSET"),
            "nxrrset {name} {rtype}: {out}"
        );
        assert_eq!(
            node.contents(),
            before,
            "a failed prerequisite changed the zone"
        );
        // §2.5.4 delete one RR (class NONE, its RDATA).
        if let [first, rest @ ..] = records
            && !rest.is_empty()
        {
            let (ok, out) = node.nsupdate(
                Some(&key),
                tcp,
                &format!("update delete {name} {rtype} {first}"),
            );
            assert!(ok, "delete one {rtype}: {out}");
            assert_eq!(node.rrset(name, rtype), rest);
        }
        // §2.5.2 delete the RRset (class ANY, no RDATA).
        let (ok, out) = node.nsupdate(Some(&key), tcp, &format!("update delete {name} {rtype}"));
        assert!(ok, "delete {name} {rtype}: {out}");
        assert!(
            node.rrset(name, rtype).is_empty(),
            "{name} {rtype} still there"
        );
        // Now the set is gone: nxrrset holds and yxrrset fails with NXRRSET.
        let (ok, out) = node.nsupdate(
            Some(&key),
            tcp,
            &format!(
                "prereq nxrrset {name} {rtype}\nupdate add nx-{}.dyn.test. 300 TXT ok",
                rtype.to_lowercase()
            ),
        );
        assert!(ok, "nxrrset after delete {rtype}: {out}");
        let (ok, out) = node.nsupdate(
            Some(&key),
            tcp,
            &format!("prereq yxrrset {name} {rtype}\nupdate add no.dyn.test. 300 TXT no"),
        );
        assert!(
            !ok && out.contains("NXRRSET"),
            "yxrrset after delete {rtype}: {out}"
        );
    }

    // §3.4.2.3/§3.4.2.4: deleting the apex SOA or NS RRset, or the SOA RR,
    // is ignored: NOERROR, both still served, no serial step.
    let serial = node.serial();
    let soa = node.rrset("dyn.test.", "SOA");
    let ns = node.rrset("dyn.test.", "NS");
    for script in [
        "update delete dyn.test. SOA".to_string(),
        "update delete dyn.test. NS".to_string(),
        format!("update delete dyn.test. SOA {}", soa[0]),
        "update delete dyn.test. NS ns1.dyn.test.".to_string(),
    ] {
        let (ok, out) = node.nsupdate(Some(&md5_key()), false, &script);
        assert!(ok, "{script}: {out}");
        assert_eq!(node.serial(), serial, "{script} moved the serial");
        assert_eq!(node.rrset("dyn.test.", "SOA"), soa, "{script}");
        assert_eq!(node.rrset("dyn.test.", "NS"), ns, "{script}");
    }
    // Prerequisites on the apex's own sets.
    let (ok, out) = node.nsupdate(
        Some(&md5_key()),
        true,
        "prereq yxrrset dyn.test. SOA\nprereq yxrrset dyn.test. NS\nupdate add apex-ok.dyn.test. 300 TXT ok",
    );
    assert!(ok, "{out}");
    let (ok, out) = node.nsupdate(Some(&md5_key()), true, "prereq nxrrset dyn.test. SOA");
    assert!(!ok && out.contains("YXRRSET"), "{out}");
}

/// dnspython, an independent client: `replace()` (delete the RRset, then
/// add) of MX, NS, SRV and PTR sets, `delete(name, type)`, and
/// `present`/`absent` prerequisites on name-bearing types, over UDP and TCP.
#[test]
fn dnspython_replace_delete_and_prerequisites_on_name_bearing_types() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::new(dir.path());
    node.start();
    let script = r#"
import sys
import dns.query, dns.rcode, dns.tsig, dns.tsigkeyring, dns.update

port, secret = int(sys.argv[1]), sys.argv[2]
keyring = dns.tsigkeyring.from_text({"ddns-256.": secret})

def update():
    return dns.update.UpdateMessage("dyn.test.", keyring=keyring, keyname="ddns-256.",
                                    keyalgorithm=dns.tsig.HMAC_SHA256)

def send(label, message, tcp):
    query = dns.query.tcp if tcp else dns.query.udp
    reply = query(message, "127.0.0.1", port=port, timeout=5)
    print(label + "\t" + dns.rcode.to_text(reply.rcode()))

u = update(); u.replace("mx", 300, "MX", "30 mail2.dyn.test."); send("replace MX", u, False)
u = update(); u.replace("sub", 300, "NS", "ns2.sub.dyn.test."); send("replace NS", u, True)
u = update(); u.replace("_sip._tcp", 300, "SRV", "1 1 5061 sip2.dyn.test."); send("replace SRV", u, False)
u = update(); u.replace("ptr", 300, "PTR", "host3.example."); send("replace PTR", u, True)
u = update(); u.present("alias", "CNAME"); u.absent("alias", "A"); u.add("py", 300, "TXT", "ok")
send("present CNAME, absent A", u, False)
u = update(); u.present("ns1", "CNAME"); u.add("no", 300, "TXT", "no"); send("present missing CNAME", u, True)
u = update(); u.absent("d", "DNAME"); u.add("no", 300, "TXT", "no"); send("absent existing DNAME", u, False)
u = update(); u.delete("d", "DNAME"); send("delete DNAME", u, True)
u = update(); u.delete("alias", "CNAME"); send("delete CNAME", u, False)
u = update(); u.delete("dyn.test.", "SOA"); u.delete("dyn.test.", "NS"); send("delete apex SOA and NS", u, True)
"#;
    let output = Command::new(common::python_tool("python3"))
        .arg("-c")
        .arg(script)
        .arg(node.port.to_string())
        .arg(SHA256_SECRET)
        .output()
        .expect("run dnspython");
    let printed = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "dnspython failed: {printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rcodes: Vec<(&str, &str)> = printed.lines().filter_map(|l| l.split_once('\t')).collect();
    assert_eq!(
        rcodes,
        [
            ("replace MX", "NOERROR"),
            ("replace NS", "NOERROR"),
            ("replace SRV", "NOERROR"),
            ("replace PTR", "NOERROR"),
            ("present CNAME, absent A", "NOERROR"),
            ("present missing CNAME", "NXRRSET"),
            ("absent existing DNAME", "YXRRSET"),
            ("delete DNAME", "NOERROR"),
            ("delete CNAME", "NOERROR"),
            ("delete apex SOA and NS", "NOERROR"),
        ]
    );
    assert_eq!(node.rrset("mx.dyn.test.", "MX"), ["30 mail2.dyn.test."]);
    assert_eq!(node.rrset("sub.dyn.test.", "NS"), ["ns2.sub.dyn.test."]);
    assert_eq!(
        node.rrset("_sip._tcp.dyn.test.", "SRV"),
        ["1 1 5061 sip2.dyn.test."]
    );
    assert_eq!(node.rrset("ptr.dyn.test.", "PTR"), ["host3.example."]);
    assert_eq!(node.rrset("py.dyn.test.", "TXT"), ["\"ok\""]);
    assert!(node.rrset("no.dyn.test.", "TXT").is_empty());
    assert!(node.rrset("d.dyn.test.", "DNAME").is_empty());
    assert!(node.rrset("alias.dyn.test.", "CNAME").is_empty());
    assert_eq!(node.rrset("dyn.test.", "NS"), ["ns1.dyn.test."]);
    assert_eq!(node.rrset("dyn.test.", "SOA").len(), 1);
}

/// Refused and failed-TSIG requests are logged at the default level with
/// client, zone, key and reason, as BIND's security category does; a
/// transfer out names its client and key.
#[test]
fn refused_updates_transfers_and_notifies_are_logged_with_who_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::new(dir.path());
    node.start();
    let add = "update add evil.dyn.test. 300 A 192.0.2.66";
    assert!(!node.nsupdate(None, false, add).0);
    let wrong = "hmac-md5:ddns-md5:d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==";
    assert!(!node.nsupdate(Some(wrong), false, add).0);
    let other = format!("hmac-sha256:other:{SHA256_SECRET}");
    assert!(!node.nsupdate(Some(&other), true, add).0);
    // An AXFR from an address allow_transfer does not list, and a NOTIFY
    // for a zone this node is primary for.
    let dig = require_program("dig", "bind9-dnsutils");
    let port = node.port.to_string();
    let refused = Command::new(&dig)
        .args([
            "-b",
            "127.0.0.2",
            "-p",
            &port,
            "@127.0.0.1",
            "dyn.test.",
            "AXFR",
            "+tries=1",
            "+time=5",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&refused.stdout).contains("Transfer failed"));
    let notify = Command::new(&dig)
        .args([
            "-p",
            &port,
            "@127.0.0.1",
            "dyn.test.",
            "SOA",
            "+opcode=notify",
            "+tries=1",
            "+time=5",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&notify.stdout).contains("REFUSED"));
    // And one transfer that is allowed.
    common::axfr(node.address(), "dyn.test.", None).expect("AXFR from 127.0.0.1");

    let log_path = dir.path().join("hadns.log");
    let deadline = Instant::now() + Duration::from_secs(5);
    let wanted = [
        "request=UPDATE reason=unsigned",
        "key=ddns-md5. request=UPDATE reason=BADSIG",
        "key=other. request=UPDATE reason=not allowed by the zone's ACL",
        "client=127.0.0.2",
        "key=- request=AXFR reason=not allowed by the zone's ACL",
        "request=NOTIFY reason=not taken",
        "transfer out done",
    ];
    loop {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let refusals: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("request refused"))
            .collect();
        let missing: Vec<&&str> = wanted
            .iter()
            .filter(|w| !log.lines().any(|l| l.contains(**w)))
            .collect();
        if missing.is_empty() {
            assert!(
                refusals
                    .iter()
                    .all(|l| l.contains(" INFO ") && l.contains("zone=dyn.test."))
            );
            assert!(refusals.iter().all(|l| l.contains("client=127.0.0.")));
            let transfer = log
                .lines()
                .find(|l| l.contains("transfer out done"))
                .unwrap();
            assert!(
                transfer.contains("client=127.0.0.1:") && transfer.contains("key=-"),
                "{transfer}"
            );
            assert!(
                !log.contains(SHA256_SECRET) && !log.contains(MD5_SECRET),
                "a secret was logged"
            );
            break;
        }
        assert!(Instant::now() < deadline, "not logged: {missing:?}\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
