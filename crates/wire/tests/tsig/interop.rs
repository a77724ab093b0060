//! Interoperability with BIND's `dig` and `nsupdate` and Knot's `kdig`: a
//! responder built on `wire::tsig` runs in threads on 127.0.0.1, verifies
//! what the real tools send and signs its answers, and the tools say
//! whether those signatures verify.
//!
//! Each test also checks that the tools do complain when a signature is
//! broken (a "tampering" responder), so a pass means verification happened.
//!
//! The tools come from Debian's bind9-dnsutils and knot-dnsutils, which
//! scripts/test installs; when they are missing these tests fail, they never
//! skip. All traffic stays on loopback, every wait is bounded, and the only
//! processes ended are the tools these tests started.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use wire::header::flags;
use wire::request::{self, Parsed, Request};
use wire::tsig::{Algorithm, Key, Keyring, ResponseSigner, verify_request};
use wire::writer::{Owner, Section, Writer};
use wire::{Class, Name, Opcode, Rcode, Rtype};

use super::{SECRET_BASE64, key};

const KEY_NAME: &str = "hadns-interop.";
/// How long a tool may run before the test gives up on it.
const TOOL_TIMEOUT: Duration = Duration::from_secs(20);
/// Messages in a test zone transfer.
const TRANSFER_MESSAGES: usize = 120;
/// Records in it: SOA, three A records per message, SOA.
const TRANSFER_RECORDS: usize = 2 + 3 * TRANSFER_MESSAGES;

/// The algorithms tried with every tool: BIND's old default, the SHA-1
/// and SHA-2 ends of the range, and the mandatory hmac-sha256.
const ALGORITHMS: [Algorithm; 4] = [
    Algorithm::HmacMd5,
    Algorithm::HmacSha1,
    Algorithm::HmacSha256,
    Algorithm::HmacSha512,
];

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// The path of `program`, or a failure saying how to install it.
fn tool(program: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin".into(), "/usr/sbin".into()])
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{program}` is not installed: run scripts/test (it installs the Debian package `{package}`), or apt-get install {package}"
            )
        })
}

/// How the responder signs the messages of a zone transfer.
#[derive(Clone, Copy, Debug)]
enum TransferSigning {
    /// Every message, as RFC 8945 §5.3.1 asks.
    Every,
    /// Only the first message, every `n`-th and the last.
    EveryNth(usize),
}

/// How the responder behaves.
#[derive(Clone, Copy, Debug)]
struct Behaviour {
    /// Signing of zone transfers.
    transfer: TransferSigning,
    /// After signing, change a header bit of the response (or of this
    /// message of a transfer), as an attacker on the path would.
    tamper: Option<usize>,
    /// Seconds our clock is ahead of the tool's.
    clock_skew: u64,
}

impl Behaviour {
    const HONEST: Behaviour = Behaviour {
        transfer: TransferSigning::Every,
        tamper: None,
        clock_skew: 0,
    };
}

/// What the responder did, one line per request.
type Log = Arc<Mutex<Vec<String>>>;

/// A UDP and a TCP responder on 127.0.0.1 that verify TSIG and sign their
/// answers; stopped and joined when dropped.
struct Responder {
    udp_port: u16,
    tcp_port: u16,
    log: Log,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Responder {
    fn start(keys: &[Key], behaviour: Behaviour) -> Responder {
        let keyring: Arc<Keyring> = Arc::new(keys.iter().cloned().collect());
        let log: Log = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind UDP on loopback");
        udp.set_read_timeout(Some(Duration::from_millis(50)))
            .expect("set a UDP read timeout");
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind TCP on loopback");
        tcp.set_nonblocking(true)
            .expect("make the listener non-blocking");
        let udp_port = udp.local_addr().unwrap().port();
        let tcp_port = tcp.local_addr().unwrap().port();
        let server = Server {
            keyring,
            log: log.clone(),
            behaviour,
        };
        let udp_thread = {
            let (server, stop) = (server.clone(), stop.clone());
            std::thread::spawn(move || server.serve_udp(&udp, &stop))
        };
        let tcp_thread = {
            let stop = stop.clone();
            std::thread::spawn(move || server.serve_tcp(&tcp, &stop))
        };
        Responder {
            udp_port,
            tcp_port,
            log,
            stop,
            threads: vec![udp_thread, tcp_thread],
        }
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Asserts that every request so far verified, and how many came.
    fn assert_verified(&self, count: usize, what: &str) {
        let log = self.log();
        assert_eq!(log.len(), count, "{what}: responder log {log:?}");
        assert!(
            log.iter()
                .all(|line| line.starts_with(&format!("verified {KEY_NAME}"))),
            "{what}: responder log {log:?}"
        );
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// The answering half of the responder, shared by its two threads.
#[derive(Clone)]
struct Server {
    keyring: Arc<Keyring>,
    log: Log,
    behaviour: Behaviour,
}

impl Server {
    fn serve_udp(&self, socket: &UdpSocket, stop: &AtomicBool) {
        let mut buf = [0u8; 65535];
        while !stop.load(Ordering::Relaxed) {
            let Ok((len, peer)) = socket.recv_from(&mut buf) else {
                continue;
            };
            let request = &buf[..len];
            for reply in self.answer(request, udp_payload(request)) {
                let _ = socket.send_to(&reply, peer);
            }
        }
    }

    fn serve_tcp(&self, listener: &TcpListener, stop: &AtomicBool) {
        while !stop.load(Ordering::Relaxed) {
            match listener.accept() {
                Ok((stream, _)) => self.serve_connection(stream),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    fn serve_connection(&self, mut stream: TcpStream) {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        loop {
            let mut len = [0u8; 2];
            if stream.read_exact(&mut len).is_err() {
                return;
            }
            let mut message = vec![0u8; usize::from(u16::from_be_bytes(len))];
            if stream.read_exact(&mut message).is_err() {
                return;
            }
            for reply in self.answer(&message, 65535) {
                let mut framed = (reply.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(&reply);
                if stream.write_all(&framed).is_err() {
                    return;
                }
            }
        }
    }

    fn note(&self, line: String) {
        self.log.lock().unwrap().push(line);
    }

    /// Answers one request, tampering with the answer if told to.
    fn answer(&self, bytes: &[u8], limit: usize) -> Vec<Vec<u8>> {
        let mut messages = self.honest_answer(bytes, limit);
        if let Some(index) = self.behaviour.tamper
            && let Some(last) = messages.len().checked_sub(1)
        {
            tamper(&mut messages[index.min(last)]);
        }
        messages
    }

    /// Verifies the request's TSIG, then builds the response messages and
    /// signs them, or the TSIG error response.
    fn honest_answer(&self, bytes: &[u8], limit: usize) -> Vec<Vec<u8>> {
        let Parsed::Ok(request) = request::parse(bytes) else {
            self.note("unparsable request".into());
            return Vec::new();
        };
        let now = unix_now() + self.behaviour.clock_skew;
        let Some(tsig_offset) = request.tsig_offset else {
            self.note("unsigned request".into());
            return vec![build(&request, Rcode::REFUSED, &[])];
        };
        let verified = match verify_request(bytes, tsig_offset, &self.keyring, now) {
            Ok(verified) => verified,
            Err(failure) => {
                self.note(format!("refused: {failure}"));
                let mut reply = build(&request, failure.rcode(), &[]);
                failure
                    .sign_response(&mut reply, now, limit)
                    .expect("the error TSIG record fits");
                return vec![reply];
            }
        };
        self.note(format!(
            "verified {} {:?} {}",
            verified.key().name(),
            request.opcode(),
            request.qtype
        ));
        let mut signer = verified.response_signer();
        if request.qtype == Rtype::AXFR {
            transfer(&request, &mut signer, now, self.behaviour.transfer)
        } else {
            let answers = if request.opcode() == Opcode::UPDATE {
                Vec::new()
            } else {
                vec![soa(&request)]
            };
            let mut reply = build(&request, Rcode::NOERROR, &answers);
            signer
                .sign(&mut reply, now, limit)
                .expect("the TSIG record fits");
            vec![reply]
        }
    }
}

/// The UDP payload size the request's OPT record advertises (512 without).
fn udp_payload(request: &[u8]) -> usize {
    match request::parse(request) {
        Parsed::Ok(parsed) => parsed
            .edns
            .map_or(512, |edns| usize::from(edns.udp_payload).max(512)),
        _ => 512,
    }
}

/// A record for the answer section: type and RDATA.
type Answer = (Rtype, Vec<u8>);

/// The SOA record of the zone the question names.
fn soa(request: &Request<'_>) -> Answer {
    let apex = Name::from_wire(request.qname()).unwrap();
    let mut rdata = Vec::new();
    rdata.extend_from_slice(apex.prepend_label(b"ns").unwrap().as_wire());
    rdata.extend_from_slice(apex.prepend_label(b"hostmaster").unwrap().as_wire());
    for value in [2_024_010_101_u32, 3600, 600, 86400, 300] {
        rdata.extend_from_slice(&value.to_be_bytes());
    }
    (Rtype::SOA, rdata)
}

/// A response to `request` with `answers` owned by the question name:
/// question copied, QR and AA set, the opcode and RD kept.
fn build(request: &Request<'_>, rcode: Rcode, answers: &[Answer]) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut writer = Writer::new(&mut buf, 65535);
    writer.question_raw(request.question_bytes()).unwrap();
    writer.set_section(Section::Answer);
    for (rtype, rdata) in answers {
        writer
            .record(Owner::Question, *rtype, Class::IN, 3600, rdata)
            .unwrap();
    }
    let kept = request.header.bits & (flags::RD | 0x7800);
    let bits = flags::QR | flags::AA | kept | u16::from(rcode.header_bits());
    writer.finish(request.header.id, bits);
    buf
}

/// An AXFR of the question's zone in [`TRANSFER_MESSAGES`] messages: the
/// SOA first, three A records per message, the SOA last (RFC 5936 §2.2).
fn transfer(
    request: &Request<'_>,
    signer: &mut ResponseSigner,
    now: u64,
    signing: TransferSigning,
) -> Vec<Vec<u8>> {
    let soa = soa(request);
    let apex = Name::from_wire(request.qname()).unwrap();
    let mut messages = Vec::with_capacity(TRANSFER_MESSAGES);
    for index in 0..TRANSFER_MESSAGES {
        let last = index + 1 == TRANSFER_MESSAGES;
        let mut buf = Vec::new();
        let mut writer = Writer::new(&mut buf, 65535);
        writer.question_raw(request.question_bytes()).unwrap();
        writer.set_section(Section::Answer);
        if index == 0 {
            writer
                .record(Owner::Question, soa.0, Class::IN, 3600, &soa.1)
                .unwrap();
        }
        for host in 0..3u8 {
            let owner = apex
                .prepend_label(format!("host{index}-{host}").as_bytes())
                .unwrap();
            writer
                .record(
                    Owner::Name(owner.as_wire()),
                    Rtype::A,
                    Class::IN,
                    3600,
                    &[192, 0, 2, host],
                )
                .unwrap();
        }
        if last {
            writer
                .record(Owner::Question, soa.0, Class::IN, 3600, &soa.1)
                .unwrap();
        }
        writer.finish(request.header.id, flags::QR | flags::AA);
        let sign = match signing {
            TransferSigning::Every => true,
            TransferSigning::EveryNth(n) => index % n == 0 || last,
        };
        if sign {
            signer
                .sign(&mut buf, now, 65535)
                .expect("the TSIG record fits");
        } else {
            signer
                .pass_unsigned(&buf)
                .expect("few enough unsigned messages in a row");
        }
        messages.push(buf);
    }
    messages
}

/// Sets the AD bit in the header: a change the MAC covers that leaves
/// the message well formed.
fn tamper(message: &mut [u8]) {
    message[3] ^= 0x20;
}

/// What a tool printed.
struct Run {
    success: bool,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The output for failure messages, without the A records of
    /// transfers.
    fn text(&self) -> String {
        let stdout: Vec<&str> = self
            .stdout
            .lines()
            .filter(|line| !line.contains("\tIN\tA\t"))
            .collect();
        format!("stdout:\n{}\nstderr:\n{}", stdout.join("\n"), self.stderr)
    }
}

/// Runs `command` with `input` on its standard input, killing it (through
/// its own handle) if it outlives the timeout.
fn run(mut command: Command, input: &str) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(input.as_bytes())
        .expect("write the tool's input");
    drop(stdin);
    // Read both pipes on threads so a long transfer listing cannot fill a
    // pipe and stall the tool.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + TOOL_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the tool") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {TOOL_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        success: status.success(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// The `-y` argument all three tools take: `algorithm:name:secret`.
fn key_argument(algorithm: Algorithm) -> String {
    format!("{}:{KEY_NAME}:{SECRET_BASE64}", algorithm.short_name())
}

fn dig(port: u16, algorithm: Algorithm, qtype: &str, options: &[&str]) -> Run {
    let mut command = Command::new(tool("dig", "bind9-dnsutils"));
    command
        .args(["@127.0.0.1", "-p", &port.to_string()])
        .args(["-y", &key_argument(algorithm)])
        .args(["example.", qtype, "+time=5", "+tries=1", "+norecurse"])
        .args(options);
    run(command, "")
}

fn kdig(port: u16, algorithm: Algorithm, qtype: &str, options: &[&str]) -> Run {
    let mut command = Command::new(tool("kdig", "knot-dnsutils"));
    command
        .args(["@127.0.0.1", "-p", &port.to_string()])
        .args(["-y", &key_argument(algorithm)])
        .args(["example.", qtype, "+timeout=5", "+retry=0", "+norecurse"])
        .args(options);
    run(command, "")
}

fn nsupdate(port: u16, algorithm: Algorithm, options: &[&str]) -> Run {
    let mut command = Command::new(tool("nsupdate", "bind9-dnsutils"));
    command
        .args(["-y", &key_argument(algorithm), "-t", "5"])
        .args(options);
    let script = format!(
        "server 127.0.0.1 {port}\nzone example.\nupdate add new.example. 300 A 192.0.2.7\nsend\n"
    );
    run(command, &script)
}

/// dig verified the TSIG of a single response.
fn assert_dig_verified(run: &Run, what: &str) {
    let text = run.text();
    assert!(run.success, "{what}: dig failed\n{text}");
    assert!(
        run.stdout.contains(";; TSIG PSEUDOSECTION:"),
        "{what}: no TSIG in dig's output\n{text}"
    );
    assert!(
        !text.contains("Couldn't verify") && !text.contains("could not be validated"),
        "{what}: dig could not verify\n{text}"
    );
    assert!(
        run.stdout.contains("status: NOERROR"),
        "{what}: not NOERROR\n{text}"
    );
    assert!(
        run.stdout.contains("hostmaster.example."),
        "{what}: no SOA answer\n{text}"
    );
}

/// dig verified every signed message of a transfer, and got all of it.
fn assert_dig_transfer_verified(run: &Run, what: &str) {
    let text = run.text();
    assert!(run.success, "{what}: dig failed\n{text}");
    assert!(
        !text.contains("Couldn't verify") && !text.contains("could not be validated"),
        "{what}: dig could not verify\n{text}"
    );
    let size = format!("XFR size: {TRANSFER_RECORDS} records (messages {TRANSFER_MESSAGES},");
    assert!(
        run.stdout.contains(&size),
        "{what}: incomplete transfer\n{text}"
    );
}

/// dig refused a signature: it prints "tsig verify failure" and a warning.
fn assert_dig_refused(run: &Run, what: &str) {
    let text = run.text();
    assert!(
        text.contains("Couldn't verify signature: tsig verify failure")
            && text.contains("WARNING -- Some TSIG could not be validated"),
        "{what}: dig accepted a tampered signature\n{text}"
    );
}

/// kdig verified the TSIG of a single response.
fn assert_kdig_verified(run: &Run, what: &str) {
    let text = run.text();
    assert!(run.success, "{what}: kdig failed\n{text}");
    assert!(
        run.stdout.contains(";; TSIG PSEUDOSECTION:"),
        "{what}: no TSIG in kdig's output\n{text}"
    );
    assert!(
        !run.stderr.contains(";; WARNING") && !run.stderr.contains(";; ERROR"),
        "{what}: kdig complains\n{text}"
    );
    assert!(
        run.stdout.contains("status: NOERROR"),
        "{what}: not NOERROR\n{text}"
    );
    assert!(
        run.stdout.contains("hostmaster.example."),
        "{what}: no SOA answer\n{text}"
    );
}

#[test]
fn dig_requests_verify_and_our_responses_verify_in_dig() {
    for algorithm in ALGORITHMS {
        let responder = Responder::start(&[key(KEY_NAME, algorithm)], Behaviour::HONEST);
        let udp = dig(responder.udp_port, algorithm, "SOA", &[]);
        assert_dig_verified(&udp, &format!("dig UDP {algorithm}"));
        let tcp = dig(responder.tcp_port, algorithm, "SOA", &["+tcp"]);
        assert_dig_verified(&tcp, &format!("dig TCP {algorithm}"));
        responder.assert_verified(2, &format!("dig {algorithm}"));
    }
}

#[test]
fn kdig_requests_verify_and_our_responses_verify_in_kdig() {
    for algorithm in ALGORITHMS {
        let responder = Responder::start(&[key(KEY_NAME, algorithm)], Behaviour::HONEST);
        let udp = kdig(responder.udp_port, algorithm, "SOA", &[]);
        assert_kdig_verified(&udp, &format!("kdig UDP {algorithm}"));
        let tcp = kdig(responder.tcp_port, algorithm, "SOA", &["+tcp"]);
        assert_kdig_verified(&tcp, &format!("kdig TCP {algorithm}"));
        responder.assert_verified(2, &format!("kdig {algorithm}"));
    }
}

#[test]
fn nsupdate_requests_verify_and_our_responses_verify_in_nsupdate() {
    for algorithm in [Algorithm::HmacMd5, Algorithm::HmacSha256] {
        let responder = Responder::start(&[key(KEY_NAME, algorithm)], Behaviour::HONEST);
        for (options, port) in [
            ([].as_slice(), responder.udp_port),
            (&["-v"][..], responder.tcp_port),
        ] {
            let run = nsupdate(port, algorithm, options);
            let text = run.text();
            assert!(run.success, "nsupdate {algorithm} {options:?}\n{text}");
            assert!(
                !text.contains("TSIG") && !text.contains("error"),
                "nsupdate {algorithm} {options:?} complains\n{text}"
            );
        }
        let log = responder.log();
        assert!(
            log.len() == 2 && log.iter().all(|line| line.contains("Opcode(5)")),
            "nsupdate {algorithm}: {log:?}"
        );
        responder.assert_verified(2, &format!("nsupdate {algorithm}"));
    }
    // And it notices a broken signature.
    let algorithm = Algorithm::HmacSha256;
    let tampering = Behaviour {
        tamper: Some(0),
        ..Behaviour::HONEST
    };
    let responder = Responder::start(&[key(KEY_NAME, algorithm)], tampering);
    let run = nsupdate(responder.udp_port, algorithm, &[]);
    assert!(
        !run.success && run.text().contains("tsig verify failure"),
        "nsupdate accepted a tampered response\n{}",
        run.text()
    );
}

#[test]
fn tampered_responses_are_refused_by_dig_and_kdig() {
    // The other tests look for the absence of complaints; this one shows
    // the tools do complain when our signature does not cover the message.
    let algorithm = Algorithm::HmacSha256;
    let tampering = Behaviour {
        tamper: Some(0),
        ..Behaviour::HONEST
    };
    let responder = Responder::start(&[key(KEY_NAME, algorithm)], tampering);
    assert_dig_refused(&dig(responder.udp_port, algorithm, "SOA", &[]), "dig UDP");
    assert_dig_refused(
        &dig(responder.tcp_port, algorithm, "SOA", &["+tcp"]),
        "dig TCP",
    );
    let kdig_run = kdig(responder.udp_port, algorithm, "SOA", &[]);
    assert!(
        kdig_run.stderr.contains("failed to verify TSIG"),
        "kdig accepted a tampered signature\n{}",
        kdig_run.text()
    );
}

#[test]
fn transfer_streams_verify_in_dig_message_by_message() {
    let algorithm = Algorithm::HmacSha256;
    for signing in [TransferSigning::Every, TransferSigning::EveryNth(50)] {
        let honest = Behaviour {
            transfer: signing,
            ..Behaviour::HONEST
        };
        let responder = Responder::start(&[key(KEY_NAME, algorithm)], honest);
        let run = dig(responder.tcp_port, algorithm, "AXFR", &[]);
        assert_dig_transfer_verified(&run, &format!("dig AXFR {signing:?}"));
        responder.assert_verified(1, &format!("dig AXFR {signing:?}"));

        // Message 60 is signed in the first stream and unsigned in the
        // second, where the signature of message 100 covers it: dig must
        // notice either way, which shows it checks the chain past the
        // first message, unsigned messages included.
        let tampering = Behaviour {
            transfer: signing,
            tamper: Some(60),
            ..Behaviour::HONEST
        };
        let responder = Responder::start(&[key(KEY_NAME, algorithm)], tampering);
        let run = dig(responder.tcp_port, algorithm, "AXFR", &[]);
        assert_dig_refused(&run, &format!("dig AXFR {signing:?} tampered"));
    }
}

#[test]
fn transfer_streams_verify_in_kdig() {
    // kdig 3.2 checks the TSIG of the first message of a transfer only
    // (a later tampered message goes unnoticed), so this covers the first
    // response digest; dig covers the chain.
    let algorithm = Algorithm::HmacSha512;
    for signing in [TransferSigning::Every, TransferSigning::EveryNth(50)] {
        let honest = Behaviour {
            transfer: signing,
            ..Behaviour::HONEST
        };
        let responder = Responder::start(&[key(KEY_NAME, algorithm)], honest);
        let run = kdig(responder.tcp_port, algorithm, "AXFR", &[]);
        let text = run.text();
        assert!(run.success, "kdig AXFR {signing:?}\n{text}");
        assert!(
            !run.stderr.contains(";; WARNING") && !run.stderr.contains(";; ERROR"),
            "kdig AXFR {signing:?} complains\n{text}"
        );
        let received = format!("({TRANSFER_MESSAGES} messages, {TRANSFER_RECORDS} records)");
        assert!(
            run.stdout.contains(&received),
            "kdig AXFR {signing:?}: incomplete transfer\n{text}"
        );
        responder.assert_verified(1, &format!("kdig AXFR {signing:?}"));
    }
    let tampering = Behaviour {
        tamper: Some(0),
        ..Behaviour::HONEST
    };
    let responder = Responder::start(&[key(KEY_NAME, algorithm)], tampering);
    let run = kdig(responder.tcp_port, algorithm, "AXFR", &[]);
    assert!(
        run.stderr.contains("failed to verify TSIG"),
        "kdig accepted a tampered first message\n{}",
        run.text()
    );
}

#[test]
fn unknown_key_and_wrong_secret_get_unsigned_badkey_and_badsig() {
    // The responder knows the key name only with another algorithm.
    let responder = Responder::start(&[key(KEY_NAME, Algorithm::HmacSha512)], Behaviour::HONEST);
    let run = dig(responder.udp_port, Algorithm::HmacSha256, "SOA", &[]);
    let text = run.text();
    assert!(
        text.contains("status: NOTAUTH") && text.contains(" 300 0 ") && text.contains("BADKEY"),
        "dig should show NOTAUTH and an unsigned BADKEY TSIG\n{text}"
    );
    // kdig folds the TSIG error into the status it prints.
    let run = kdig(responder.udp_port, Algorithm::HmacSha256, "SOA", &[]);
    let text = run.text();
    assert!(
        text.contains("status: BADKEY") && text.contains(" 300 0 "),
        "kdig should show BADKEY and an unsigned TSIG\n{text}"
    );
    let log = responder.log();
    assert!(
        log.len() == 2
            && log
                .iter()
                .all(|l| l.starts_with("refused: unknown TSIG key")),
        "{log:?}"
    );

    // Same name and algorithm, another secret.
    let other = Key::new(
        KEY_NAME.parse().unwrap(),
        Algorithm::HmacSha256,
        b"not the secret dig has".to_vec(),
    );
    let responder = Responder::start(&[other], Behaviour::HONEST);
    let run = dig(responder.udp_port, Algorithm::HmacSha256, "SOA", &[]);
    let text = run.text();
    assert!(
        text.contains("status: NOTAUTH") && text.contains("BADSIG"),
        "dig should show NOTAUTH and BADSIG\n{text}"
    );
    let log = responder.log();
    assert!(
        log.len() == 1 && log[0].starts_with("refused: TSIG MAC with key"),
        "{log:?}"
    );
}

#[test]
fn skewed_clock_gets_a_signed_badtime_that_dig_and_kdig_verify() {
    let algorithm = Algorithm::HmacSha256;
    let skewed = Behaviour {
        clock_skew: 1000,
        ..Behaviour::HONEST
    };
    let responder = Responder::start(&[key(KEY_NAME, algorithm)], skewed);
    // dig checks the MAC of a BADTIME response before reporting the skew
    // (and reports "tsig verify failure" instead when the MAC is wrong).
    let run = dig(responder.udp_port, algorithm, "SOA", &[]);
    let text = run.text();
    assert!(
        text.contains("status: NOTAUTH")
            && text.contains("BADTIME")
            && text.contains("Couldn't verify signature: clocks are unsynchronized"),
        "dig should report an authenticated BADTIME\n{text}"
    );
    // kdig likewise says "out of time window" only for a valid MAC.
    let run = kdig(responder.udp_port, algorithm, "SOA", &[]);
    let text = run.text();
    assert!(
        text.contains("status: BADTIME") && run.stderr.contains("TSIG out of time window"),
        "kdig should report an authenticated BADTIME\n{text}"
    );
    let log = responder.log();
    assert!(
        log.len() == 2
            && log
                .iter()
                .all(|l| l.starts_with("refused: request signed at")),
        "{log:?}"
    );

    let tampering = Behaviour {
        tamper: Some(0),
        ..skewed
    };
    let responder = Responder::start(&[key(KEY_NAME, algorithm)], tampering);
    assert_dig_refused(
        &dig(responder.udp_port, algorithm, "SOA", &[]),
        "dig, tampered BADTIME",
    );
    let run = kdig(responder.udp_port, algorithm, "SOA", &[]);
    assert!(
        run.stderr.contains("failed to verify TSIG"),
        "kdig accepted a tampered BADTIME\n{}",
        run.text()
    );
}

#[test]
#[should_panic(expected = "run scripts/test (it installs the Debian package `no-such-package`)")]
fn a_missing_tool_fails_and_says_how_to_install_it() {
    tool("hadns-no-such-tool", "no-such-package");
}
