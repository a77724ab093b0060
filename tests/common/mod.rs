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
pub fn free_port() -> u16 {
    for _ in 0..100 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind UDP");
        let port = udp.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
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
    let mut command = Command::new(hadns_binary());
    command.arg("serve").args(args).env("HADNS_LOG", "info");
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
