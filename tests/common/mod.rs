//! Shared pieces of the cross-crate tests: processes that are killed when
//! the test ends, free loopback ports, and a small DNS client.
//!
//! Tests talk only to loopback, end only processes they started (by PID,
//! through [`Process`]), and bound every wait in time.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wire::{Message, Name, Rcode, Rtype};

pub mod fake_primary;
pub mod webdriver;

/// A child process killed (SIGKILL, by PID) when dropped.
pub struct Process {
    /// What it is, for messages.
    pub name: String,
    child: Child,
    /// Where its stderr goes.
    pub log: PathBuf,
}

impl Process {
    /// Starts `command` with stdout and stderr going to `log`.
    pub fn start(name: &str, mut command: Command, log: &Path) -> Process {
        let file = std::fs::File::create(log).expect("create log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("clone log handle"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({command:?}): {e}"));
        Process {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
        }
    }

    /// The process ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The log so far, for failure messages.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether it has exited.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Sends a signal to this process (by its PID).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {} failed", self.pid());
    }

    /// Waits up to `limit` for the process to exit; returns its exit code.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free for both UDP and TCP right now.
///
/// Ports come from below the kernel's ephemeral range (32768 and up on
/// Linux), so a client socket some other test binds to port 0 cannot take
/// the port between this check and the server binding it; within one test
/// binary a counter hands out each port once.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const FIRST: u32 = 20_000;
    const SPAN: u32 = 12_000;
    let offset = std::process::id().wrapping_mul(2_654_435_761) % SPAN;
    for _ in 0..SPAN {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let port = (FIRST + (offset + n) % SPAN) as u16;
        if UdpSocket::bind(("127.0.0.1", port)).is_ok()
            && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
        {
            return port;
        }
    }
    panic!("no free loopback port found");
}

/// Fails the test with a clear message when a required program is missing.
/// The test command (scripts/test) installs them; a test never skips.
pub fn require_program(program: &str, package: &str) -> PathBuf {
    for dir in [
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
        "/usr/local/bin",
        "/usr/local/sbin",
    ] {
        let path = Path::new(dir).join(program);
        if path.exists() {
            return path;
        }
    }
    panic!(
        "`{program}` is not installed: run scripts/test (it installs the Debian package `{package}`), or apt-get install {package}"
    );
}

/// Path of the hadns binary under test.
pub fn hadns_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hadns"))
}

/// Starts `hadns serve` with `args`; logs to `dir/name.log`.
pub fn start_hadns(dir: &Path, name: &str, args: &[String]) -> Process {
    start_hadns_logging(dir, name, args, "info")
}

/// Like [`start_hadns`], logging at `filter` (`HADNS_LOG`: `debug`, `trace`…).
pub fn start_hadns_logging(dir: &Path, name: &str, args: &[String], filter: &str) -> Process {
    let mut command = Command::new(hadns_binary());
    // In the test's directory: a node without a configured data_dir uses
    // ./hadns-data, and two tests must not share one (the second would
    // be refused: one node per data directory).
    command
        .arg("serve")
        .args(args)
        .env("HADNS_LOG", filter)
        .current_dir(dir);
    Process::start(name, command, &dir.join(format!("{name}.log")))
}

/// Builds a query.
pub fn query(id: u16, qname: &str, qtype: Rtype, flags: u16, edns: Option<(u16, bool)>) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, u8::from(edns.is_some())]);
    m.extend_from_slice(Name::from_text(qname, None).expect("valid qname").as_wire());
    m.extend_from_slice(&qtype.0.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    if let Some((size, dnssec_ok)) = edns {
        m.push(0);
        m.extend_from_slice(&41u16.to_be_bytes());
        m.extend_from_slice(&size.to_be_bytes());
        m.extend_from_slice(&[0, 0]);
        m.extend_from_slice(&(if dnssec_ok { 0x8000u16 } else { 0 }).to_be_bytes());
        m.extend_from_slice(&[0, 0]);
    }
    m
}

/// Sends a query over UDP and waits up to `timeout` for the reply with its ID.
pub fn udp_exchange(server: SocketAddr, request: &[u8], timeout: Duration) -> Option<Vec<u8>> {
    let socket = UdpSocket::bind("127.0.0.1:0").ok()?;
    socket.set_read_timeout(Some(timeout)).ok()?;
    socket.send_to(request, server).ok()?;
    let mut buf = vec![0u8; 65535];
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        let (len, from) = socket.recv_from(&mut buf).ok()?;
        if from == server && len >= 2 && buf[..2] == request[..2] {
            return Some(buf[..len].to_vec());
        }
    }
    None
}

/// Sends a query over TCP and reads one reply.
pub fn tcp_exchange(server: SocketAddr, request: &[u8], timeout: Duration) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect_timeout(&server, timeout).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    let mut framed = (request.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(request);
    stream.write_all(&framed).ok()?;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).ok()?;
    let mut reply = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut reply).ok()?;
    Some(reply)
}

/// Waits until `server` answers SOA for `zone` authoritatively over UDP.
pub fn wait_for_zone(server: SocketAddr, zone: &str, limit: Duration, process: &mut Process) {
    let deadline = Instant::now() + limit;
    let mut id = 1u16;
    while Instant::now() < deadline {
        if process.has_exited() {
            panic!(
                "{} exited before serving {zone}:\n{}",
                process.name,
                process.log_text()
            );
        }
        id = id.wrapping_add(1);
        if let Some(reply) = udp_exchange(
            server,
            &query(id, zone, Rtype::SOA, 0, None),
            Duration::from_millis(200),
        ) && let Ok(msg) = Message::parse(&reply)
            && msg.rcode() == Rcode::NOERROR
            && msg.answer.iter().any(|r| r.rtype == Rtype::SOA)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "{} did not serve {zone} within {limit:?}:\n{}",
        process.name,
        process.log_text()
    );
}

/// Starts knotd serving `zones` ((origin, file) pairs) on `port`.
pub fn start_knot(dir: &Path, port: u16, zones: &[(&str, &Path)]) -> Process {
    let knotd = require_program("knotd", "knot");
    let run = dir.join("knot");
    std::fs::create_dir_all(&run).unwrap();
    let mut conf = format!(
        "server:\n    rundir: \"{run}\"\n    listen: 127.0.0.1@{port}\n    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n\
         log:\n  - target: stderr\n    any: info\n\
         database:\n    storage: \"{run}\"\n\
         template:\n  - id: default\n    storage: \"{run}\"\n    zonefile-sync: -1\n    journal-content: none\n    semantic-checks: off\n\
         zone:\n",
        run = run.display()
    );
    for (origin, file) in zones {
        conf.push_str(&format!(
            "  - domain: {origin}\n    file: \"{}\"\n",
            file.display()
        ));
    }
    let conf_path = run.join("knot.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let mut command = Command::new(knotd);
    command.arg("-c").arg(&conf_path);
    Process::start("knotd", command, &dir.join("knotd.log"))
}

// ---------------------------------------------------------------------------
// Replication peers: BIND and Knot configured by the test, log polling, a
// TSIG-signing AXFR client and record sets to compare servers with.
// ---------------------------------------------------------------------------

impl Process {
    /// The last `lines` lines of the log, for failure messages (BIND's
    /// debug log runs to thousands).
    pub fn log_tail(&self, lines: usize) -> String {
        let text = self.log_text();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// How much the process has logged so far; a starting point for
    /// [`Process::wait_for_log`].
    pub fn log_mark(&self) -> usize {
        std::fs::metadata(&self.log).map_or(0, |m| m.len() as usize)
    }

    /// Waits up to `limit` until `count` lines logged after `mark` each
    /// contain every one of `needles`; returns those lines. Fails the test
    /// with the log if the process exits or the time runs out.
    pub fn wait_for_log(
        &mut self,
        mark: usize,
        needles: &[&str],
        count: usize,
        limit: Duration,
    ) -> Vec<String> {
        let deadline = Instant::now() + limit;
        loop {
            let bytes = std::fs::read(&self.log).unwrap_or_default();
            let text = String::from_utf8_lossy(bytes.get(mark..).unwrap_or_default());
            let lines: Vec<String> = text
                .lines()
                .filter(|line| needles.iter().all(|n| line.contains(n)))
                .map(str::to_string)
                .collect();
            if lines.len() >= count {
                return lines;
            }
            let exited = self.has_exited();
            if exited || Instant::now() >= deadline {
                panic!(
                    "{} did not log {count} line(s) containing {needles:?} within {limit:?} (exited: {exited}); its log ends:\n{}",
                    self.name,
                    self.log_tail(200)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A TSIG key as the three servers and the tools spell it.
#[derive(Clone)]
pub struct TsigKey {
    /// Key name (no trailing dot).
    pub name: String,
    /// Algorithm.
    pub algorithm: wire::tsig::Algorithm,
    /// Base64 secret.
    pub secret: String,
}

impl TsigKey {
    /// The algorithm as BIND, Knot, hadns's config, dig and nsupdate name it.
    pub fn algorithm_name(&self) -> &'static str {
        self.algorithm.short_name()
    }

    /// `alg:name:secret`, for `dig -y` and `nsupdate -y`.
    pub fn dash_y(&self) -> String {
        format!("{}:{}:{}", self.algorithm_name(), self.name, self.secret)
    }

    /// The key for our own client.
    pub fn wire_key(&self) -> std::sync::Arc<wire::tsig::Key> {
        let name = Name::from_text(&self.name, Some(&Name::root())).expect("key name");
        std::sync::Arc::new(
            wire::tsig::Key::from_base64(name, self.algorithm, &self.secret).expect("key secret"),
        )
    }

    /// A `[[key]]` table for hadns.
    pub fn hadns_toml(&self) -> String {
        format!(
            "[[key]]\nname = \"{}\"\nalgorithm = \"{}\"\nsecret = \"{}\"\n",
            self.name,
            self.algorithm_name(),
            self.secret
        )
    }

    /// A `key` statement for named.conf.
    pub fn bind_statement(&self) -> String {
        format!(
            "key \"{}\" {{ algorithm {}; secret \"{}\"; }};\n",
            self.name,
            self.algorithm_name(),
            self.secret
        )
    }

    /// A `key:` list entry for knot.conf (under a `key:` section).
    pub fn knot_entry(&self) -> String {
        format!(
            "  - id: {}\n    algorithm: {}\n    secret: {}\n",
            self.name,
            self.algorithm_name(),
            self.secret
        )
    }
}

/// Starts BIND's `named` in the foreground (`-g`, logging to stderr with
/// debug level 3, which adds "got incremental response" to transfer logs)
/// on 127.0.0.1:`port`, with everything it writes under `dir/named`, no
/// recursion, no control channel, and `config_body` (keys, zones) after
/// the options.
pub fn start_named(dir: &Path, port: u16, config_body: &str) -> Process {
    let named = require_program("named", "bind9");
    let home = dir.join("named");
    std::fs::create_dir_all(&home).unwrap();
    let config = format!(
        "options {{\n  directory \"{home}\";\n  pid-file \"{home}/named.pid\";\n  session-keyfile \"{home}/session.key\";\n  managed-keys-directory \"{home}\";\n  listen-on port {port} {{ 127.0.0.1; }};\n  listen-on-v6 {{ none; }};\n  recursion no;\n  dnssec-validation no;\n}};\n\
         controls {{ }};\n{config_body}",
        home = home.display()
    );
    let path = home.join("named.conf");
    std::fs::write(&path, config).unwrap();
    let mut command = Command::new(named);
    command.arg("-g").arg("-d").arg("3").arg("-c").arg(&path);
    let mut process = Process::start("named", command, &dir.join("named.log"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !process.log_text().contains("all zones loaded") {
        let exited = process.has_exited();
        if exited || Instant::now() >= deadline {
            let log = process.log_tail(100);
            let hint = if log.contains("permission denied") {
                "\n(named cannot use its files: where AppArmor confines /usr/sbin/named to /etc/bind and /var/{lib,cache}/bind, these tests need that profile in complain mode)"
            } else {
                ""
            };
            panic!("named did not start (exited: {exited}); its log ends:\n{log}{hint}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    process
}

/// Starts knotd on 127.0.0.1:`port` with its run directory, storage and
/// control socket under `dir/knot`, followed by `sections` (`key:`,
/// `remote:`, `acl:`, `zone:`); zones inherit the default template, which
/// keeps zone files and journals in that directory.
pub fn start_knot_configured(dir: &Path, port: u16, sections: &str) -> Process {
    start_knot_with_templates(dir, port, "", "", sections)
}

/// [`start_knot_configured`] with more `template:` entries after the
/// default one (`templates`, each starting `  - id: …`, with its own
/// `storage`), for zones Knot adds by itself (catalog members). The
/// `key:`, `remote:` and `acl:` sections the templates name go in
/// `definitions`, which come before them; `zone:` goes in `sections`.
pub fn start_knot_with_templates(
    dir: &Path,
    port: u16,
    definitions: &str,
    templates: &str,
    sections: &str,
) -> Process {
    let knotd = require_program("knotd", "knot");
    let run = dir.join("knot");
    std::fs::create_dir_all(&run).unwrap();
    let config = format!(
        "server:\n    rundir: \"{run}\"\n    listen: 127.0.0.1@{port}\n    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n\
         log:\n  - target: stderr\n    any: info\n\
         database:\n    storage: \"{run}\"\n\
         control:\n    listen: \"{run}/knot.sock\"\n\
         {definitions}\
         template:\n  - id: default\n    storage: \"{run}\"\n{templates}\
         {sections}",
        run = run.display()
    );
    let path = run.join("knot.conf");
    std::fs::write(&path, config).unwrap();
    let mut command = Command::new(knotd);
    command.arg("-c").arg(&path);
    let mut process = Process::start("knotd", command, &dir.join("knotd.log"));
    process.wait_for_log(0, &["server started"], 1, Duration::from_secs(20));
    process
}

/// The SOA serial `server` answers for `zone` (UDP), if it answers one
/// authoritatively.
pub fn soa_serial(server: SocketAddr, zone: &str) -> Option<u32> {
    let reply = udp_exchange(
        server,
        &query(0x5e71, zone, Rtype::SOA, 0, None),
        Duration::from_millis(500),
    )?;
    let message = Message::parse(&reply).ok()?;
    if message.rcode() != Rcode::NOERROR || !message.header.flag(wire::header::flags::AA) {
        return None;
    }
    let soa = message.answer.iter().find(|r| r.rtype == Rtype::SOA)?;
    Some(wire::rdata::soa_numbers(&soa.rdata)?[0])
}

/// Waits up to `limit` until `process`, listening on `server`, serves
/// `zone` with SOA serial `serial`.
pub fn wait_for_serial(
    server: SocketAddr,
    zone: &str,
    serial: u32,
    limit: Duration,
    process: &mut Process,
) {
    let deadline = Instant::now() + limit;
    let mut seen = None;
    loop {
        seen = soa_serial(server, zone).or(seen);
        if seen == Some(serial) {
            return;
        }
        let exited = process.has_exited();
        if exited || Instant::now() >= deadline {
            panic!(
                "{} did not serve {zone} at serial {serial} within {limit:?} (last seen {seen:?}, exited: {exited}); its log ends:\n{}",
                process.name,
                process.log_tail(200)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A record as servers are compared on it: the owner lower-cased (RFC
/// 4343), type, class, TTL and RDATA exact.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ComparableRecord {
    owner: String,
    rtype: u16,
    class: u16,
    ttl: u32,
    rdata: Vec<u8>,
}

impl ComparableRecord {
    /// The record's TTL.
    pub fn ttl(&self) -> u32 {
        self.ttl
    }

    /// The record's RDATA.
    pub fn rdata(&self) -> &[u8] {
        &self.rdata
    }
}

impl From<&wire::Record> for ComparableRecord {
    fn from(record: &wire::Record) -> ComparableRecord {
        ComparableRecord {
            owner: record.owner.to_lowercase().to_string(),
            rtype: record.rtype.0,
            class: record.class.0,
            ttl: record.ttl,
            rdata: record.rdata.clone(),
        }
    }
}

impl std::fmt::Debug for ComparableRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = wire::rdata::RdataText {
            rtype: Rtype(self.rtype),
            rdata: &self.rdata,
        };
        write!(
            f,
            "{} {} {:?} {} {text}",
            self.owner,
            self.ttl,
            wire::Class(self.class),
            Rtype(self.rtype)
        )
    }
}

/// Records as a set, for comparing servers.
pub fn record_set<'a>(
    records: impl IntoIterator<Item = &'a wire::Record>,
) -> std::collections::BTreeSet<ComparableRecord> {
    records.into_iter().map(ComparableRecord::from).collect()
}

/// Fails the test when two record sets differ, listing what each has alone.
pub fn assert_same_records(
    what: &str,
    left_name: &str,
    left: &std::collections::BTreeSet<ComparableRecord>,
    right_name: &str,
    right: &std::collections::BTreeSet<ComparableRecord>,
) {
    if left != right {
        let only_left: Vec<_> = left.difference(right).collect();
        let only_right: Vec<_> = right.difference(left).collect();
        panic!(
            "{what}: {left_name} and {right_name} differ\nonly {left_name}: {only_left:#?}\nonly {right_name}: {only_right:#?}"
        );
    }
}

/// Transfers `zone` from `server` by AXFR over TCP, signed with `key` when
/// given; checks every message's ID, RCODE and TSIG (RFC 8945 §5.3.1: the
/// first and last signed). Returns the records with the closing SOA left
/// out, and the number of messages.
pub fn axfr(
    server: SocketAddr,
    zone: &str,
    key: Option<&TsigKey>,
) -> Result<(Vec<wire::Record>, usize), String> {
    let timeout = Duration::from_secs(10);
    let id = 0xa5f0;
    let mut request = query(id, zone, Rtype::AXFR, 0, None);
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let mut verifier = key.map(|k| {
        wire::tsig::sign_request(&mut request, k.wire_key(), now(), wire::tsig::DEFAULT_FUDGE)
            .expect("sign the AXFR request")
    });
    let mut stream = TcpStream::connect_timeout(&server, timeout)
        .map_err(|e| format!("connect {server}: {e}"))?;
    stream.set_read_timeout(Some(timeout)).unwrap();
    let mut framed = (request.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&request);
    stream
        .write_all(&framed)
        .map_err(|e| format!("send to {server}: {e}"))?;
    let mut records: Vec<wire::Record> = Vec::new();
    let mut messages = 0;
    loop {
        let mut len = [0u8; 2];
        stream
            .read_exact(&mut len)
            .map_err(|e| format!("{server} ended the AXFR early: {e}"))?;
        let mut bytes = vec![0u8; u16::from_be_bytes(len) as usize];
        stream
            .read_exact(&mut bytes)
            .map_err(|e| format!("{server} ended the AXFR early: {e}"))?;
        messages += 1;
        if let Some(verifier) = verifier.as_mut() {
            verifier
                .verify(&bytes, now())
                .map_err(|e| format!("message {messages} from {server}: TSIG: {e}"))?;
        }
        let message =
            Message::parse(&bytes).map_err(|e| format!("message {messages} from {server}: {e}"))?;
        if message.header.id != id || message.rcode() != Rcode::NOERROR {
            return Err(format!(
                "message {messages} from {server}: ID {} RCODE {}",
                message.header.id,
                message.rcode()
            ));
        }
        for record in message.answer {
            let closing = record.rtype == Rtype::SOA && !records.is_empty();
            if records.is_empty() && record.rtype != Rtype::SOA {
                return Err(format!("{server}: the AXFR does not start with the SOA"));
            }
            if closing {
                if let Some(verifier) = verifier.as_ref() {
                    verifier
                        .finish()
                        .map_err(|e| format!("{server}: TSIG: {e}"))?;
                }
                return Ok((records, messages));
            }
            records.push(record);
        }
    }
}

/// Runs `program` with `args` and `stdin`; returns its stdout, failing the
/// test (with stdout and stderr) when it exits unsuccessfully or takes
/// longer than `limit`.
pub fn run_tool(program: &Path, args: &[String], stdin: &str, limit: Duration) -> String {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    // Drained as the tool writes, so a long output (an IXFR) cannot fill
    // the pipe and stall the tool.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout_reader = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr_reader = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let stdout_bytes = stdout_reader.join().unwrap_or_default();
            let stderr_bytes = stderr_reader.join().unwrap_or_default();
            let stdout = String::from_utf8_lossy(&stdout_bytes).into_owned();
            let stderr = String::from_utf8_lossy(&stderr_bytes);
            assert!(
                status.success(),
                "{} {args:?} failed ({status}):\n{stdout}\n{stderr}",
                program.display()
            );
            return stdout;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{} {args:?} took longer than {limit:?}", program.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What a server answered to one question, as servers are compared on it.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    /// The RCODE.
    pub rcode: Rcode,
    /// Whether AA was set.
    pub authoritative: bool,
    /// The answer section as a set.
    pub answer: std::collections::BTreeSet<ComparableRecord>,
}

/// Asks `server` over TCP (no truncation to get in the way).
pub fn ask(server: SocketAddr, qname: &str, qtype: Rtype) -> Answer {
    let reply = tcp_exchange(
        server,
        &query(0x0a5c, qname, qtype, 0, None),
        Duration::from_secs(5),
    )
    .unwrap_or_else(|| panic!("{server} did not answer {qname} {qtype}"));
    let message = Message::parse(&reply)
        .unwrap_or_else(|e| panic!("{server} answered {qname} {qtype} with garbage: {e}"));
    Answer {
        rcode: message.rcode(),
        authoritative: message.header.flag(wire::header::flags::AA),
        answer: record_set(&message.answer),
    }
}

/// Runs `hadns ctl ARGS --data-dir DATA_DIR`; returns its output (the
/// command's success is not required: the caller checks the text).
pub fn hadns_ctl(data_dir: &Path, args: &[&str]) -> String {
    let output = Command::new(hadns_binary())
        .arg("ctl")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .expect("run hadns ctl");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

// ---------------------------------------------------------------------------
// HTTP: a small HTTP/1.1 client for the REST API tests (one request per
// connection, `Connection: close`), loopback only.
// ---------------------------------------------------------------------------

/// An HTTP response.
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header fields, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body (chunked transfer coding undone).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; fails the test when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "HTTP {} body is not JSON ({e}): {}",
                self.status,
                self.text()
            )
        })
    }

    /// The `error` message of a JSON error body; fails the test when the
    /// body is not one.
    pub fn error(&self) -> String {
        let json = self.json();
        json.get("error")
            .and_then(|e| e.as_str())
            .unwrap_or_else(|| panic!("HTTP {} body has no `error`: {json}", self.status))
            .to_string()
    }
}

/// Sends one HTTP/1.1 request to `server` and reads the whole response.
/// The body is written from another thread, so a server that answers
/// before reading all of it (413) is still heard.
pub fn http_request(
    server: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> HttpResponse {
    let timeout = Duration::from_secs(30);
    let mut stream = TcpStream::connect_timeout(&server, timeout)
        .unwrap_or_else(|e| panic!("cannot connect to {server}: {e}"));
    stream.set_read_timeout(Some(timeout)).unwrap();
    stream.set_write_timeout(Some(timeout)).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(body.unwrap_or_default());
    let mut writer = stream.try_clone().expect("clone the stream");
    let sender = std::thread::spawn(move || {
        // A server may answer and close before reading everything.
        let _ = writer.write_all(&request);
    });
    let mut raw = Vec::new();
    let mut buffer = [0u8; 65536];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                raw.extend_from_slice(&buffer[..n]);
                // Some servers (chromedriver) keep the connection open
                // despite `Connection: close`: stop at the response's end.
                if response_complete(&raw) {
                    break;
                }
            }
            // A reset after the response arrived (the server closed with
            // unread body octets) ends the response.
            Err(e) if !raw.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("{method} {path}: reading the response: {e}"),
        }
    }
    let _ = sender.join();
    parse_http_response(&raw).unwrap_or_else(|| {
        panic!(
            "{method} {path}: not an HTTP response: {}",
            String::from_utf8_lossy(&raw)
        )
    })
}

/// Parses a complete HTTP/1.1 response.
fn parse_http_response(raw: &[u8]) -> Option<HttpResponse> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        let mut out = Vec::new();
        let mut rest = body.as_slice();
        loop {
            let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
            let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            rest = &rest[line_end + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(rest.get(..size)?);
            rest = rest.get(size + 2..)?;
        }
        body = out;
    }
    Some(HttpResponse {
        status,
        headers,
        body,
    })
}

/// Whether `raw` holds a whole HTTP response: its head, and a body of the
/// length it declares (or a last chunk).
fn response_complete(raw: &[u8]) -> bool {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let body = &raw[end + 4..];
    if head.contains("transfer-encoding: chunked") {
        return body.ends_with(b"0\r\n\r\n");
    }
    head.lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .is_some_and(|length| body.len() >= length)
}

/// A hadns node with the API enabled.
pub struct ApiNode {
    /// Its directory (config, data, log).
    pub dir: PathBuf,
    /// DNS address (UDP and TCP).
    pub dns: SocketAddr,
    /// API address.
    pub api: SocketAddr,
    /// The running process.
    pub process: Process,
    /// The read-write token created at first start.
    pub token: String,
}

impl ApiNode {
    /// Starts a node named `name` under `root` with `body` appended to its
    /// configuration, and waits until its API answers.
    pub fn start(root: &Path, name: &str, body: &str) -> ApiNode {
        let dns: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        ApiNode::start_on(root, name, dns, body)
    }

    /// Like [`ApiNode::start`], with DNS on `dns`.
    pub fn start_on(root: &Path, name: &str, dns: SocketAddr, body: &str) -> ApiNode {
        ApiNode::start_logging(root, name, dns, body, "info")
    }

    /// Like [`ApiNode::start_on`], logging at `filter` (`HADNS_LOG`).
    pub fn start_logging(
        root: &Path,
        name: &str,
        dns: SocketAddr,
        body: &str,
        filter: &str,
    ) -> ApiNode {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let api: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let config = format!(
            "version = 1\n[node]\nname = \"{name}\"\ndata_dir = \"data\"\n\
             [dns]\nlisten = [\"{dns}\"]\nbuiltin_zones = false\nudp_workers = 1\n\
             [replication]\nmin_refresh = 1\nmin_retry = 1\nmin_expire = 1\n\
             [api]\nlisten = \"{api}\"\n{body}"
        );
        let config_path = dir.join("hadns.toml");
        std::fs::write(&config_path, config).unwrap();
        let mut process = start_hadns_logging(
            &dir,
            name,
            &["--config".to_string(), config_path.display().to_string()],
            filter,
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if process.has_exited() {
                panic!("{name} exited at start:\n{}", process.log_text());
            }
            if std::net::TcpStream::connect_timeout(&api, Duration::from_millis(200)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name}: no API within 30 s:\n{}",
                process.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let credentials = std::fs::read_to_string(dir.join("data/initial-credentials"))
            .expect("the first start writes the initial credentials");
        let token = credentials
            .lines()
            .find_map(|line| line.strip_prefix("api_token = "))
            .expect("an api_token line")
            .trim()
            .to_string();
        ApiNode {
            dir,
            dns,
            api,
            process,
            token,
        }
    }

    /// A request with `key` (or none).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        extra: &[(&str, &str)],
        body: Option<&str>,
    ) -> HttpResponse {
        let mut headers: Vec<(&str, &str)> = extra.to_vec();
        if let Some(key) = key {
            headers.push(("X-API-Key", key));
        }
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        http_request(self.api, method, path, &headers, body.map(str::as_bytes))
    }

    /// Creates `zone` (absolute) in the store with an NS set `ns1.<zone>`
    /// and `rrsets`, serials counting up from 1 (`soa_edit_api`
    /// INCREASE); checks the 201 and returns the zone.
    pub fn create_zone(&self, zone: &str, rrsets: serde_json::Value) -> serde_json::Value {
        let response = self.send(
            "POST",
            "/api/v1/servers/localhost/zones",
            &serde_json::json!({
                "name": zone,
                "kind": "Native",
                "nameservers": [format!("ns1.{zone}")],
                "masters": [],
                "soa_edit_api": "INCREASE",
                "rrsets": rrsets,
            }),
        );
        assert_eq!(response.status, 201, "create {zone}: {}", response.text());
        response.json()
    }

    /// A GET with the admin token.
    pub fn get(&self, path: &str) -> HttpResponse {
        self.request("GET", path, Some(&self.token), &[], None)
    }

    /// A request with the admin token and a JSON body.
    pub fn send(&self, method: &str, path: &str, body: &serde_json::Value) -> HttpResponse {
        self.request(
            method,
            path,
            Some(&self.token),
            &[],
            Some(&body.to_string()),
        )
    }

    /// A GET that must answer 200 with JSON.
    pub fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path);
        assert_eq!(response.status, 200, "GET {path}: {}", response.text());
        response.json()
    }

    /// The admin password the node wrote at its first start.
    pub fn initial_password(&self) -> String {
        std::fs::read_to_string(self.dir.join("data/initial-credentials"))
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("password = "))
            .expect("a password line")
            .trim()
            .to_string()
    }

    /// The store's database file.
    pub fn database(&self) -> PathBuf {
        self.dir.join("data/hadns.db")
    }
}

/// A hadns secondary of `zone` named `name` (directory `root/name`) on
/// loopback `port`, copying from the node on `primary` and signing its SOA
/// queries and transfers with `key` (so a primary with views answers it
/// from that key's view), taking NOTIFYs signed with the same key.
pub fn tsig_secondary(
    root: &Path,
    name: &str,
    port: u16,
    primary: u16,
    zone: &str,
    key: &TsigKey,
) -> Process {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("hadns.toml"),
        format!(
            "version = 1\n[node]\ndata_dir = \"data\"\n[dns]\nlisten = [\"127.0.0.1:{port}\"]\nbuiltin_zones = false\nudp_workers = 1\n\
             {key_table}\
             [[zone]]\nname = \"{zone}\"\nrole = \"secondary\"\nprimaries = [\"127.0.0.1:{primary}\"]\nprimary_key = \"{key_name}\"\n\
             allow_notify = [\"key {key_name}\"]\n",
            key_table = key.hadns_toml(),
            key_name = key.name,
        ),
    )
    .unwrap();
    start_hadns(
        &dir,
        name,
        &[
            "--config".to_string(),
            dir.join("hadns.toml").display().to_string(),
        ],
    )
}

/// A BIND `view` holding a secondary `zone` copied from hadns on loopback
/// `port`: the view matches requests signed with `key` and `clients`
/// (match-list elements, each ending in `;`), transfers with `key` and
/// takes NOTIFYs signed with it — so each hadns view's NOTIFY lands in the
/// BIND view of its key.
pub fn bind_secondary_view(
    name: &str,
    key: &TsigKey,
    clients: &str,
    zone: &str,
    port: u16,
) -> String {
    format!(
        "view \"{name}\" {{\n  match-clients {{ key \"{key_name}\"; {clients} }};\n  recursion no;\n\
         \x20 zone \"{zone}\" {{\n    type secondary;\n    file \"{name}.db\";\n\
         \x20   primaries {{ 127.0.0.1 port {port} key \"{key_name}\"; }};\n\
         \x20   allow-notify {{ key \"{key_name}\"; }};\n    notify no;\n  }};\n}};\n",
        key_name = key.name,
    )
}

/// BIND on loopback `named_port` with views `a` (key `a` or 127.0.0.2) and
/// `b` (key `b` or anyone not signing with `a`), each a secondary of
/// `zone` from hadns on `primary_port` that transfers with its view's key
/// ([`bind_secondary_view`]).
pub fn start_named_with_two_views(
    root: &Path,
    named_port: u16,
    zone: &str,
    primary_port: u16,
    a: &TsigKey,
    b: &TsigKey,
) -> Process {
    let config = format!(
        "{}{}{}{}",
        a.bind_statement(),
        b.bind_statement(),
        bind_secondary_view("a", a, "127.0.0.2;", zone, primary_port),
        bind_secondary_view(
            "b",
            b,
            &format!("!key \"{}\"; any;", a.name),
            zone,
            primary_port
        ),
    );
    start_named(root, named_port, &config)
}

/// A program from the Python tools virtualenv.
pub fn python_tool(program: &str) -> PathBuf {
    let root = std::env::var_os("HADNS_PYTHON_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/python-tools"));
    let path = root.join("bin").join(program);
    assert!(
        path.exists(),
        "`{}` is missing: run scripts/test, which installs tests/python-tools.txt into {}",
        path.display(),
        root.display()
    );
    path
}

/// Runs `hadns ARGS` in `dir` and waits for it.
pub fn hadns_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(hadns_binary())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run hadns")
}
