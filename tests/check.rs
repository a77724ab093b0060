//! `hadns check` (issue [9/13]) against real hadns processes on loopback:
//! a healthy secondary, a zone not served, a secondary that goes stale
//! because its primary stops admitting its transfers and then catches up,
//! an expired copy, a dead server, canaries, a primary that answers only
//! signed queries, `--tcp`, usage errors, and the `/health` the check
//! reads, over the API port and over `[health] listen`.
//!
//! Every run must print exactly one line on stdout; exit 0 healthy, 1
//! unhealthy, 2 usage error.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{ApiNode, Process, free_port, hadns_binary, http_request, start_hadns};
use wire::{Message, Rtype};

const SECRET: &str = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";
const WRONG: &str = "d3JvbmdrZXl3cm9uZ2tleXdyb25na2V5d3Jvbmc=";

/// What one `hadns check` run said.
#[derive(Debug)]
struct Verdict {
    code: i32,
    line: String,
}

/// Runs `hadns check ARGS` and insists on exactly one line on stdout.
fn check(args: &[&str]) -> Verdict {
    let output = Command::new(hadns_binary())
        .arg("check")
        .args(args)
        .output()
        .expect("run hadns check");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 on stdout");
    assert!(
        stdout.ends_with('\n') && stdout.lines().count() == 1,
        "hadns check {args:?} must print exactly one line, printed {stdout:?} (stderr {:?})",
        String::from_utf8_lossy(&output.stderr)
    );
    Verdict {
        code: output.status.code().expect("exited, not killed"),
        line: stdout.trim_end().to_string(),
    }
}

/// Runs the check until `done` holds for its verdict, for at most `limit`.
fn check_until(args: &[&str], limit: Duration, done: impl Fn(&Verdict) -> bool) -> Verdict {
    let deadline = Instant::now() + limit;
    loop {
        let verdict = check(args);
        if done(&verdict) {
            return verdict;
        }
        assert!(
            Instant::now() < deadline,
            "hadns check {args:?} still says {verdict:?} after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn zone_text(serial: u32, expire: u32) -> String {
    format!(
        "$ORIGIN chk.test.\n$TTL 300\n@ SOA ns1 hostmaster {serial} 1 1 {expire} 60\n@ NS ns1\nns1 A 127.0.0.1\n\
         www A 192.0.2.1\n@ MX 10 Mail.chk.test.\nmail A 192.0.2.25\n"
    )
}

/// A hadns node with its own directory, configuration and ports.
struct Node {
    dir: PathBuf,
    dns: SocketAddr,
    process: Option<Process>,
}

impl Node {
    /// A node named `name` whose configuration is the common head
    /// (loopback DNS, short replication bounds, the `xfr` key) and `body`.
    fn new(root: &Path, name: &str, body: &str) -> Node {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let dns: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let node = Node {
            dir,
            dns,
            process: None,
        };
        node.configure(name, body);
        node
    }

    fn config_path(&self) -> PathBuf {
        self.dir.join("hadns.toml")
    }

    fn configure(&self, name: &str, body: &str) {
        let config = format!(
            "version = 1\n[node]\nname = \"{name}\"\ndata_dir = \"data\"\n\
             [dns]\nlisten = [\"{}\"]\nbuiltin_zones = false\nudp_workers = 1\n\
             [replication]\nmin_refresh = 1\nmin_retry = 1\nmin_expire = 1\n\
             [[key]]\nname = \"xfr\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{SECRET}\"\n{body}",
            self.dns
        );
        std::fs::write(self.config_path(), config).unwrap();
    }

    fn start(&mut self) {
        let name = self.dir.file_name().unwrap().to_string_lossy().to_string();
        self.process = Some(start_hadns(
            &self.dir,
            &name,
            &[
                "--config".to_string(),
                self.config_path().display().to_string(),
            ],
        ));
    }

    fn process(&mut self) -> &mut Process {
        self.process.as_mut().expect("started")
    }

    fn log(&self) -> String {
        self.process
            .as_ref()
            .map(Process::log_text)
            .unwrap_or_default()
    }

    fn stop(&mut self) {
        self.process = None;
    }

    /// `hadns ctl ARGS` against this node; the reply must be a success.
    fn ctl(&self, args: &[&str]) -> String {
        let output = Command::new(hadns_binary())
            .arg("ctl")
            .args(args)
            .arg("--data-dir")
            .arg(self.dir.join("data"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "ctl {args:?}: {text}{}\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
        text
    }

    fn server(&self) -> String {
        self.dns.to_string()
    }
}

/// A primary of chk.test. from a zone file, NOTIFYing `secondary` with the
/// key, `extra` added to its `[[zone]]`.
fn primary_zone(secondary: SocketAddr, allow_transfer: &str, extra: &str) -> String {
    format!(
        "[[zone]]\nname = \"chk.test\"\nfile = \"zone.db\"\nnotify = [\"{secondary}\"]\nnotify_key = \"xfr\"\n\
         allow_transfer = [{allow_transfer}]\n{extra}"
    )
}

/// A secondary of chk.test. copying from `primary` with the key, with
/// `/health` on `health`.
fn secondary_zone(primary: SocketAddr, health: SocketAddr) -> String {
    format!(
        "[health]\nlisten = \"{health}\"\n\
         [[zone]]\nname = \"chk.test\"\nrole = \"secondary\"\nprimaries = [\"{primary}\"]\nprimary_key = \"xfr\"\n"
    )
}

fn wait_for_serial(node: &mut Node, serial: u32, limit: Duration) {
    let server = node.server();
    let args = ["--server", &server, "--zone", "chk.test"];
    let deadline = Instant::now() + limit;
    loop {
        if served_serial(node.dns) == Some(serial) && check(&args).code == 0 {
            return;
        }
        let exited = node.process().has_exited();
        assert!(
            !exited && Instant::now() < deadline,
            "{} did not serve chk.test. at serial {serial} within {limit:?}:\n{}",
            node.dir.display(),
            node.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The serial of chk.test. a node answers over UDP, if it answers one.
fn served_serial(server: SocketAddr) -> Option<u32> {
    let query = common::query(1, "chk.test.", Rtype::SOA, 0, None);
    let reply = common::udp_exchange(server, &query, Duration::from_millis(500))?;
    let message = Message::parse(&reply).ok()?;
    message
        .answer
        .iter()
        .find(|r| r.rtype == Rtype::SOA)
        .and_then(|r| wire::rdata::soa_numbers(&r.rdata))
        .map(|numbers| numbers[0])
}

fn health_json(address: SocketAddr, path: &str) -> serde_json::Value {
    let response = http_request(address, "GET", path, &[], None);
    assert_eq!(response.status, 200, "GET {path}: {}", response.text());
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.contains("application/json")),
        "{:?}",
        response.headers
    );
    response.json()
}

/// The `/health` entry of chk.test.
fn chk_entry(health: &serde_json::Value) -> serde_json::Value {
    health["zones"]
        .as_array()
        .expect("zones is a list")
        .iter()
        .find(|z| z["zone"] == "chk.test.")
        .cloned()
        .unwrap_or_else(|| panic!("chk.test. is not in {health}"))
}

/// Every field of a zone's `/health` entry, with its JSON type.
fn assert_zone_shape(entry: &serde_json::Value) {
    let object = entry.as_object().expect("an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "behind_seconds",
            "expires_at",
            "last_check",
            "last_error",
            "primary_serial",
            "role",
            "serial",
            "state",
            "view",
            "zone"
        ],
        "{entry}"
    );
    assert!(
        entry["zone"].is_string() && entry["role"].is_string(),
        "{entry}"
    );
    assert!(
        ["ok", "behind", "expired", "not loaded"].contains(&entry["state"].as_str().unwrap_or("")),
        "{entry}"
    );
    for number in [
        "serial",
        "primary_serial",
        "behind_seconds",
        "last_check",
        "expires_at",
    ] {
        assert!(
            entry[number].is_null() || entry[number].is_u64(),
            "{number}: {entry}"
        );
    }
}

/// A primary that answers only queries signed with `xfr` (its one view
/// matches that key alone), and a secondary of it with `/health` on
/// `[health] listen`: healthy over UDP and TCP, the primary's serial asked
/// with the key from each source (`--key`, `--key-file`, `--key-name`,
/// the zone's own `primary_key`) and refused without it, zones not served,
/// canaries, and the health listener's answers.
#[test]
fn a_healthy_secondary_of_a_tsig_only_primary() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let health: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut secondary = Node::new(root, "s", "");
    let mut primary = Node::new(
        root,
        "p",
        &format!(
            "[[view]]\nname = \"keyed\"\nmatch_keys = [\"xfr\"]\n{}view = \"keyed\"\n",
            primary_zone(secondary.dns, "\"key xfr\"", "")
        ),
    );
    secondary.configure("s", &secondary_zone(primary.dns, health));
    std::fs::write(primary.dir.join("zone.db"), zone_text(7, 600)).unwrap();
    primary.start();
    secondary.start();
    wait_for_serial(&mut secondary, 7, Duration::from_secs(30));
    let (s, p) = (secondary.server(), primary.server());
    let key = format!("xfr:hmac-sha256:{SECRET}");

    let healthy = check(&[
        "--server",
        &s,
        "--zone",
        "chk.test",
        "--tcp",
        "--primary",
        &p,
        "--key",
        &key,
    ]);
    assert_eq!(
        (healthy.code, healthy.line.as_str()),
        (0, "ok: 1 zone loaded over UDP and TCP, serial lag ≤ 0"),
        "{}",
        secondary.log()
    );

    // The primary refuses the unsigned SOA query (no view matches it).
    let unsigned = check(&["--server", &s, "--zone", "chk.test", "--primary", &p]);
    assert_eq!(unsigned.code, 1, "{unsigned:?}");
    assert!(
        unsigned.line.starts_with("unhealthy: primary ")
            && unsigned.line.contains("REFUSED")
            && unsigned.line.contains("--key"),
        "{unsigned:?}"
    );
    // Signed with the wrong secret: the answer fails TSIG.
    let wrong = check(&[
        "--server",
        &s,
        "--zone",
        "chk.test",
        "--primary",
        &p,
        "--key",
        &format!("xfr:hmac-sha256:{WRONG}"),
    ]);
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(wrong.line.contains("TSIG"), "{wrong:?}");
    // The key from a file, from the configuration by name, and the zone's
    // own primary and key from the configuration.
    let key_file = root.join("xfr.key");
    std::fs::write(&key_file, format!("# the transfer key\n{key}\n")).unwrap();
    let from_file = check(&[
        "--server",
        &s,
        "--zone",
        "chk.test",
        "--primary",
        &p,
        "--key-file",
        key_file.to_str().unwrap(),
    ]);
    assert_eq!(from_file.code, 0, "{from_file:?}");
    let config = secondary.config_path();
    let config = config.to_str().unwrap();
    let by_name = check(&[
        "--config",
        config,
        "--zone",
        "chk.test",
        "--primary",
        &p,
        "--key-name",
        "xfr",
    ]);
    assert_eq!(by_name.code, 0, "{by_name:?}");
    let derived = check(&[
        "--config",
        config,
        "--all-zones",
        "--max-lag",
        "0",
        "--max-behind",
        "5",
    ]);
    assert_eq!(
        (derived.code, derived.line.as_str()),
        (0, "ok: 1 zone loaded, serial lag ≤ 0, none behind"),
        "server, zones (from [health] listen), primary and key all from --config"
    );

    // A zone the node does not serve, alone and beside a served one.
    let missing = check(&["--server", &s, "--zone", "nope.test"]);
    assert_eq!(
        (missing.code, missing.line.as_str()),
        (
            1,
            "unhealthy: zone nope.test. answered REFUSED over UDP (not served here)"
        )
    );
    let one_of_two = check(&[
        "--server",
        &s,
        "--zone",
        "chk.test",
        "--zone",
        "nope.test",
        "--tcp",
    ]);
    assert_eq!(one_of_two.code, 1, "{one_of_two:?}");
    assert!(
        one_of_two.line.ends_with("(and 1 more problem)"),
        "UDP and TCP: {one_of_two:?}"
    );

    // Canaries: a match, a mismatch, names compared without case.
    let canary = check(&[
        "--server",
        &s,
        "--name",
        "www.chk.test",
        "--type",
        "A",
        "--expect",
        "192.0.2.1",
        "--tcp",
    ]);
    assert_eq!(
        (canary.code, canary.line.as_str()),
        (0, "ok: canary www.chk.test. A 192.0.2.1")
    );
    let mismatch = check(&[
        "--server",
        &s,
        "--zone",
        "chk.test",
        "--name",
        "www.chk.test",
        "--expect",
        "192.0.2.99",
    ]);
    assert_eq!(
        (mismatch.code, mismatch.line.as_str()),
        (
            1,
            "unhealthy: canary www.chk.test. A is 192.0.2.1, expected 192.0.2.99"
        )
    );
    let mx = check(&[
        "--server",
        &s,
        "--name",
        "chk.test",
        "--type",
        "MX",
        "--expect",
        "10 mail.CHK.test.",
    ]);
    assert_eq!(mx.code, 0, "{mx:?}");
    let nxdomain = check(&["--server", &s, "--name", "gone.chk.test", "--type", "A"]);
    assert_eq!(
        (nxdomain.code, nxdomain.line.as_str()),
        (1, "unhealthy: canary gone.chk.test. A answered NXDOMAIN")
    );

    // `[health] listen` serves GET /health and nothing else.
    let document = health_json(health, "/health");
    assert_eq!(document["node"], "s");
    assert_eq!(document["status"], "ok");
    assert!(document["time"].is_u64());
    let entry = chk_entry(&document);
    assert_zone_shape(&entry);
    assert_eq!(entry["role"], "secondary");
    assert_eq!(entry["state"], "ok");
    assert_eq!(entry["serial"], 7);
    assert!(
        entry["behind_seconds"].is_null() && entry["primary_serial"].is_null(),
        "{entry}"
    );
    assert!(
        entry["last_check"].is_u64() && entry["expires_at"].is_u64(),
        "{entry}"
    );
    assert_eq!(
        http_request(health, "GET", "/api/v1/cluster", &[], None).status,
        404
    );
    assert_eq!(
        http_request(health, "POST", "/health", &[], Some(b"{}")).status,
        405
    );
    let by_url = check(&[
        "--server",
        &s,
        "--zone",
        "chk.test",
        "--health",
        &format!("http://{health}/health"),
        "--max-behind",
        "0",
    ]);
    assert_eq!(
        (by_url.code, by_url.line.as_str()),
        (0, "ok: 1 zone loaded, none behind")
    );
}

/// The stale secondary: the primary stops admitting its transfers
/// (allow_transfer edited, `hadns ctl reload`) and then changes the zone,
/// so the secondary sees the newer serial (NOTIFY, SOA) but cannot have
/// it. `--max-lag 0` fails at once, `--max-behind 1` once it has been
/// behind for more than a second; both pass again once a transfer is
/// admitted and brings it level.
#[test]
fn a_stale_secondary_fails_max_lag_and_max_behind_until_it_catches_up() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let health: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut secondary = Node::new(root, "s", "");
    let mut primary = Node::new(root, "p", &primary_zone(secondary.dns, "\"key xfr\"", ""));
    secondary.configure("s", &secondary_zone(primary.dns, health));
    std::fs::write(primary.dir.join("zone.db"), zone_text(1, 600)).unwrap();
    primary.start();
    secondary.start();
    wait_for_serial(&mut secondary, 1, Duration::from_secs(30));
    let (s, p) = (secondary.server(), primary.server());
    let key = format!("xfr:hmac-sha256:{SECRET}");
    let health_url = health.to_string();
    let lag = [
        "--server",
        &s,
        "--zone",
        "chk.test",
        "--primary",
        &p,
        "--key",
        &key,
        "--max-lag",
        "0",
    ];
    let behind = [
        "--server",
        &s,
        "--zone",
        "chk.test",
        "--health",
        &health_url,
        "--max-behind",
        "1",
    ];
    assert_eq!(check(&lag).code, 0);
    assert_eq!(check(&behind).code, 0);

    // The primary no longer admits the secondary, then the zone changes.
    primary.configure("p", &primary_zone(secondary.dns, "\"192.0.2.99\"", ""));
    primary.ctl(&["reload"]);
    std::fs::write(primary.dir.join("zone.db"), zone_text(2, 600)).unwrap();
    primary.ctl(&["reload"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let entry = loop {
        let entry = chk_entry(&health_json(health, "/health"));
        if entry["state"] == "behind" {
            break entry;
        }
        assert!(
            Instant::now() < deadline,
            "the secondary never saw itself behind: {entry}\n{}",
            secondary.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_zone_shape(&entry);
    assert_eq!(
        (entry["serial"].as_u64(), entry["primary_serial"].as_u64()),
        (Some(1), Some(2))
    );
    assert!(entry["behind_seconds"].is_u64(), "{entry}");
    let zone_status = secondary.ctl(&["zone-status", "chk.test"]);
    assert!(zone_status.contains("behind: since "), "{zone_status}");
    assert!(
        zone_status.contains("the primary has serial 2"),
        "{zone_status}"
    );

    let lagging = check(&lag);
    assert_eq!(
        (lagging.code, lagging.line.as_str()),
        (
            1,
            "unhealthy: zone chk.test. serial 1 is 1 behind the primary's 2 (max lag 0)"
        )
    );
    assert_eq!(
        check(&[
            "--server",
            &s,
            "--zone",
            "chk.test",
            "--primary",
            &p,
            "--key",
            &key,
            "--max-lag",
            "1"
        ])
        .code,
        0
    );
    // Behind, but not yet for long: a generous limit passes and says so.
    let lenient = check(&[
        "--server",
        &s,
        "--zone",
        "chk.test",
        "--health",
        &health_url,
        "--max-behind",
        "600",
    ]);
    assert_eq!(lenient.code, 0, "{lenient:?}");
    assert!(
        lenient.line.starts_with("ok: 1 zone loaded, behind ≤ "),
        "{lenient:?}"
    );
    let stale = check_until(&behind, Duration::from_secs(15), |v| v.code != 0);
    assert_eq!(stale.code, 1, "{stale:?}");
    assert!(
        stale
            .line
            .starts_with("unhealthy: zone chk.test. has been behind its primary for ")
            && stale
                .line
                .ends_with("s (serial 1, the primary has 2; max 1 s)"),
        "{stale:?}"
    );

    // The primary admits it again and changes the zone once more: the
    // NOTIFY brings the transfer, and both checks pass.
    primary.configure("p", &primary_zone(secondary.dns, "\"key xfr\"", ""));
    primary.ctl(&["reload"]);
    std::fs::write(primary.dir.join("zone.db"), zone_text(3, 600)).unwrap();
    primary.ctl(&["reload"]);
    let caught_up = check_until(&lag, Duration::from_secs(20), |v| v.code == 0);
    assert_eq!(caught_up.line, "ok: 1 zone loaded, serial lag ≤ 0");
    let level = check_until(&behind, Duration::from_secs(10), |v| v.code == 0);
    assert_eq!(level.line, "ok: 1 zone loaded, none behind");
    let entry = chk_entry(&health_json(health, "/health"));
    assert_eq!(
        (entry["state"].as_str(), entry["serial"].as_u64()),
        (Some("ok"), Some(3))
    );
    assert!(entry["behind_seconds"].is_null(), "{entry}");
}

/// A primary that goes away: the lag cannot be checked (and that does not
/// fail the secondary, which keeps serving), until the copy expires and
/// the check fails on SERVFAIL and on the node's own /health.
#[test]
fn an_expired_copy_fails_but_a_silent_primary_alone_does_not() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let health: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut secondary = Node::new(root, "s", "");
    let mut primary = Node::new(root, "p", &primary_zone(secondary.dns, "\"key xfr\"", ""));
    secondary.configure("s", &secondary_zone(primary.dns, health));
    // Expire 5 s: refresh is 1 s, so the copy is at most a second old
    // when the primary stops, and has four left.
    std::fs::write(primary.dir.join("zone.db"), zone_text(1, 5)).unwrap();
    primary.start();
    secondary.start();
    wait_for_serial(&mut secondary, 1, Duration::from_secs(30));
    let (s, p) = (secondary.server(), primary.server());
    let key = format!("xfr:hmac-sha256:{SECRET}");
    primary.stop();
    let silent = check(&[
        "--server",
        &s,
        "--zone",
        "chk.test",
        "--primary",
        &p,
        "--key",
        &key,
    ]);
    assert_eq!(
        (silent.code, silent.line.as_str()),
        (
            0,
            format!(
                "ok: 1 zone loaded; serial lag not checked: no answer from the primary for chk.test. ({p})"
            )
            .as_str()
        ),
        "a primary that is down must not take its secondaries out of service"
    );
    let expired = check_until(
        &["--server", &s, "--zone", "chk.test"],
        Duration::from_secs(20),
        |v| v.code != 0,
    );
    assert_eq!(
        (expired.code, expired.line.as_str()),
        (
            1,
            "unhealthy: zone chk.test. answered SERVFAIL over UDP (expired or not loaded)"
        ),
        "{}",
        secondary.log()
    );
    let entry = chk_entry(&health_json(health, "/health"));
    assert_eq!(entry["state"], "expired", "{entry}");
    assert_eq!(entry["serial"], 1, "the old copy's serial is still shown");
    let with_health = check(&[
        "--server",
        &s,
        "--zone",
        "chk.test",
        "--health",
        &health.to_string(),
        "--max-behind",
        "60",
    ]);
    assert_eq!(with_health.code, 1);
    assert_eq!(
        with_health.line,
        "unhealthy: zone chk.test. answered SERVFAIL over UDP (expired or not loaded) (and 1 more problem)"
    );
}

/// A port nobody listens on fails at once; a server that swallows the
/// query fails when the timeout runs out, not later.
#[test]
fn a_dead_server_fails_within_the_timeout() {
    let closed = format!("127.0.0.1:{}", free_port());
    let refused = check(&["--server", &closed, "--zone", "chk.test"]);
    assert_eq!(refused.code, 1);
    assert_eq!(
        refused.line,
        format!("unhealthy: no answer from {closed} over UDP: connection refused")
    );
    let refused_tcp = check(&["--server", &closed, "--zone", "chk.test", "--tcp"]);
    assert_eq!(refused_tcp.code, 1, "{refused_tcp:?}");

    // Bound but never read: the query vanishes.
    let black_hole = UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = black_hole.local_addr().unwrap().to_string();
    let started = Instant::now();
    let silent = check(&[
        "--server",
        &address,
        "--zone",
        "chk.test",
        "--timeout",
        "1s",
    ]);
    let took = started.elapsed();
    assert_eq!(
        (silent.code, silent.line.as_str()),
        (
            1,
            format!("unhealthy: no answer from {address} over UDP: timed out after 1s").as_str()
        )
    );
    assert!(
        took < Duration::from_secs(5),
        "took {took:?} with a 1 s timeout"
    );
    // The canary of a dead server fails the same way.
    let canary = check(&[
        "--server",
        &address,
        "--name",
        "www.chk.test",
        "--timeout",
        "200ms",
    ]);
    assert_eq!(canary.code, 1, "{canary:?}");
    assert!(canary.line.ends_with("timed out after 200ms"), "{canary:?}");
    drop(black_hole);
}

/// Bad arguments and unreadable configurations exit 2 with one line.
#[test]
fn usage_errors_exit_2_with_one_line() {
    let root = tempfile::tempdir().unwrap();
    let bad_config = root.path().join("bad.toml");
    std::fs::write(&bad_config, "version = 1\n[dns]\nlisne = 3\n").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![], "usage error: --server ADDR[:PORT] is required"),
        (
            vec!["--server", "127.0.0.1"],
            "usage error: nothing to check",
        ),
        (
            vec!["--server", "not-an-address", "--zone", "x"],
            "usage error: --server: ",
        ),
        (
            vec!["--server", "127.0.0.1", "--zone", "x", "--bogus"],
            "usage error: unexpected argument '--bogus'",
        ),
        (
            vec!["--server", "127.0.0.1", "--zone", "x", "--max-lag", "-1"],
            "usage error: ",
        ),
        (
            vec!["--server", "127.0.0.1", "--zone", "x", "--max-lag", "1"],
            "usage error: --max-lag: no primary",
        ),
        (
            vec!["--server", "127.0.0.1", "--zone", "x", "--max-behind", "1"],
            "usage error: --max-behind reads",
        ),
        (
            vec![
                "--server",
                "127.0.0.1",
                "--zone",
                "x",
                "--primary",
                "127.0.0.1",
                "--key",
                "xfr",
            ],
            "usage error: --key: ",
        ),
        (
            vec!["--server", "127.0.0.1", "--zone", "x", "--timeout", "soon"],
            "usage error: --timeout soon",
        ),
        (
            vec!["--server", "127.0.0.1", "--type", "A"],
            "usage error: ",
        ),
        (
            vec!["--config", "/nonexistent/hadns.toml", "--all-zones"],
            "usage error: --config: ",
        ),
        (
            vec!["--config", bad_config.to_str().unwrap(), "--all-zones"],
            "usage error: --config: ",
        ),
        (
            vec![
                "--server",
                "127.0.0.1",
                "--zone",
                "x",
                "--primary",
                "127.0.0.1",
                "--key-file",
                "/nonexistent/key",
            ],
            "usage error: --key-file: cannot read",
        ),
    ];
    for (args, start) in cases {
        let verdict = check(&args);
        assert_eq!(verdict.code, 2, "{args:?}: {verdict:?}");
        assert!(verdict.line.starts_with(start), "{args:?}: {verdict:?}");
    }
    // Help is not an error.
    let help = Command::new(hadns_binary())
        .args(["check", "--help"])
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--max-behind"));
}

/// `/health` on the API port: no key needed, the node's zones (a zone
/// file and a zone kept in the store), and `hadns check --all-zones` from
/// a configuration whose zones only /health can list.
#[test]
fn health_on_the_api_port_lists_every_zone_without_a_key() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    std::fs::create_dir_all(root.join("p")).unwrap();
    std::fs::write(root.join("p/zone.db"), zone_text(4, 600)).unwrap();
    let node = ApiNode::start(
        root,
        "p",
        "[[zone]]\nname = \"chk.test\"\nfile = \"zone.db\"\n[[zone]]\nname = \"store.test\"\n",
    );
    let created = node.send(
        "POST",
        "/api/v1/servers/localhost/zones",
        &serde_json::json!({"name": "store.test.", "kind": "Native", "nameservers": ["ns1.store.test."]}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let document = health_json(node.api, "/health");
    assert_eq!(document["node"], "p");
    assert_eq!(document["status"], "ok");
    let zones = document["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 2, "{document}");
    for entry in zones {
        assert_zone_shape(entry);
        assert_eq!(entry["role"], "primary", "{entry}");
        assert_eq!(entry["state"], "ok", "{entry}");
        assert!(
            entry["serial"].is_u64() && entry["expires_at"].is_null(),
            "{entry}"
        );
    }
    assert_eq!(chk_entry(&document)["serial"], 4);
    // A key changes nothing, and the OpenAPI document describes it.
    let keyed = node.get("/health");
    assert_eq!(keyed.status, 200);
    let openapi = node.get_json("/api/openapi.json");
    assert!(
        openapi["paths"]["/health"]["get"].is_object(),
        "/health is documented"
    );

    let config = node.dir.join("hadns.toml");
    let all = check(&[
        "--config",
        config.to_str().unwrap(),
        "--all-zones",
        "--max-behind",
        "0",
    ]);
    assert_eq!(
        (all.code, all.line.as_str()),
        (0, "ok: 2 zones loaded, none behind"),
        "the store zone comes from /health on [api] listen"
    );
    // A zone /health does not know fails when /health is asked.
    let dns = node.dns.to_string();
    let api = node.api.to_string();
    let unknown = check(&[
        "--server",
        &dns,
        "--zone",
        "nope.test",
        "--health",
        &api,
        "--max-behind",
        "0",
    ]);
    assert_eq!(unknown.code, 1);
    assert_eq!(
        unknown.line,
        "unhealthy: zone nope.test. answered REFUSED over UDP (not served here) (and 1 more problem)"
    );
}
