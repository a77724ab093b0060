//! The query log: one line per query, written by a thread of its own.
//!
//! ```text
//!  UDP worker i ──try_send(Entry)──► bounded queue i ─┐
//!  TCP tasks ─────try_send(Entry)──► bounded queue n ─┼─► writer thread: format, write,
//!                (full: drop, count)                  │   rotate at max_size (query.log.1 … .keep),
//!                                                     │   reopen on SIGUSR1
//! ```
//!
//! The query path copies a fixed-size [`Entry`] (the question name's wire
//! octets, the request's [`Facts`], the client, sizes and times) into its
//! own queue and goes on: it never formats, allocates or waits. A full
//! queue drops the entry and counts it (`hadns_querylog_dropped_total`).
//! Each queue has one producer (a worker) or the TCP tasks, and the one
//! consumer, so no queue is contended between workers.
//!
//! Lines are written whole: the writer rotates only between lines, so no
//! file holds half a line. Text lines read
//!
//! ```text
//! 2026-12-07T16:30:00.123456Z 127.0.0.1#53211 default example.test. IN A +RD,DO edns=1232 NOERROR 64 35us
//! ```
//!
//! time (RFC 3339, µs, UTC), client address#port, view (`default` on a
//! node without views, `-` when no view admitted the client), question
//! name, class, type, flags (`RD`, `DO`, `CD`, `TCP`; `-` when none),
//! EDNS payload size (`edns=-` without EDNS), RCODE, answer size in
//! octets, and the time from receipt to reply in µs. `format = "json"`
//! writes the same fields as one JSON object per line.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use answer::stats::Facts;
use wire::{Class, Rcode, Rtype};
use zone::Transport;

/// Entries each queue holds: at 100,000 queries a second on one worker,
/// 80 ms of queries while the writer sleeps (it wakes every 10 ms).
const QUEUE: usize = 8192;
/// How long the writer sleeps when every queue is empty.
const IDLE: Duration = Duration::from_millis(10);

/// How lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One space-separated line (see the module doc).
    Text,
    /// One JSON object per line.
    Json,
}

/// Where and how the log is written.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Whether queries are logged at start (`hadns ctl querylog on|off`
    /// switches it at run time).
    pub enabled: bool,
    /// The file.
    pub path: PathBuf,
    /// Rotate before a line would take the file past this size.
    pub max_size: u64,
    /// Rotated files kept (`query.log.1` newest … `query.log.<keep>`).
    pub keep: u32,
    /// Line format.
    pub format: Format,
    /// The views' names in lane order; empty on a node without views.
    pub views: Vec<String>,
}

/// One query, as the query path hands it over: fixed size, no heap.
pub struct Entry {
    /// Receipt time, µs since the Unix epoch.
    pub time_us: u64,
    /// Receipt to reply, µs.
    pub latency_us: u32,
    /// The client.
    pub client: SocketAddr,
    /// The transport.
    pub transport: Transport,
    /// The request, as `respond` read it.
    pub facts: Facts,
    /// The reply's RCODE (12 bits).
    pub rcode: u16,
    /// The reply's size in octets.
    pub size: u16,
    /// The question name's wire octets (`qname[..qname_len]`).
    pub qname: [u8; 255],
    /// Length of the question name.
    pub qname_len: u8,
}

impl Entry {
    /// An entry for `request` answered with `reply`.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        facts: &Facts,
        request: &[u8],
        reply: &[u8],
        client: SocketAddr,
        transport: Transport,
        time_us: u64,
        latency_us: u32,
    ) -> Entry {
        let mut qname = [0u8; 255];
        let end = usize::from(facts.qname_end).min(request.len());
        let name = request.get(12..end).unwrap_or(&[]);
        let len = name.len().min(255);
        qname[..len].copy_from_slice(&name[..len]);
        Entry {
            time_us,
            latency_us,
            client,
            transport,
            facts: *facts,
            rcode: facts.rcode(reply),
            size: reply.len().min(usize::from(u16::MAX)) as u16,
            qname,
            qname_len: len as u8,
        }
    }
}

/// A producer's end: one per UDP worker, one shared by the TCP tasks.
pub struct Producer {
    log: Arc<QueryLog>,
    queue: SyncSender<Entry>,
    dropped: AtomicU64,
}

impl Producer {
    /// Whether queries are being logged now (one relaxed load of a flag
    /// that changes only on `querylog on|off`).
    #[inline]
    pub fn enabled(&self) -> bool {
        self.log.enabled.load(Ordering::Relaxed)
    }

    /// Hands an entry to the writer, or drops and counts it when the
    /// queue is full.
    #[inline]
    pub fn log(&self, entry: Entry) {
        match self.queue.try_send(entry) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The log's shared state: the switch, the counters, and the writer.
pub struct QueryLog {
    enabled: AtomicBool,
    reopen: AtomicBool,
    stop: AtomicBool,
    written: AtomicU64,
    producers: Mutex<Vec<Arc<Producer>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl QueryLog {
    /// Starts the writer thread and makes `producers` queues for it. The
    /// file is opened at the first line, so a log that stays off creates
    /// nothing.
    pub fn start(settings: Settings, producers: usize) -> io::Result<Arc<QueryLog>> {
        let log = Arc::new(QueryLog {
            enabled: AtomicBool::new(settings.enabled),
            reopen: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            written: AtomicU64::new(0),
            producers: Mutex::new(Vec::new()),
            writer: Mutex::new(None),
        });
        let mut receivers = Vec::new();
        let mut made = Vec::new();
        for _ in 0..producers.max(1) {
            let (sender, receiver) = sync_channel(QUEUE);
            receivers.push(receiver);
            made.push(Arc::new(Producer {
                log: Arc::clone(&log),
                queue: sender,
                dropped: AtomicU64::new(0),
            }));
        }
        *lock(&log.producers) = made;
        let writer_log = Arc::clone(&log);
        let handle = std::thread::Builder::new()
            .name("query-log".into())
            .spawn(move || writer_log.run(settings, receivers))?;
        *lock(&log.writer) = Some(handle);
        Ok(log)
    }

    /// Producer `i` (UDP worker `i`; the last is the TCP tasks').
    pub fn producer(&self, i: usize) -> Arc<Producer> {
        let producers = lock(&self.producers);
        Arc::clone(&producers[i.min(producers.len() - 1)])
    }

    /// Switches logging on or off; returns whether it was on.
    pub fn set_enabled(&self, on: bool) -> bool {
        self.enabled.swap(on, Ordering::Relaxed)
    }

    /// Whether logging is on.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Closes and reopens the file before the next line (SIGUSR1, after
    /// logrotate moved it away).
    pub fn reopen(&self) {
        self.reopen.store(true, Ordering::Relaxed);
    }

    /// Lines written so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Entries dropped because a queue was full.
    pub fn dropped(&self) -> u64 {
        lock(&self.producers)
            .iter()
            .map(|p| p.dropped.load(Ordering::Relaxed))
            .sum()
    }

    /// Writes what is queued, flushes and stops the writer.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = lock(&self.writer).take() {
            let _ = handle.join();
        }
    }

    fn run(&self, settings: Settings, receivers: Vec<Receiver<Entry>>) {
        let mut file = LogFile::new(&settings);
        let mut line = String::with_capacity(256);
        let mut clock = Clock::default();
        loop {
            // Read before draining, so entries queued before a stop are
            // written.
            let stopping = self.stop.load(Ordering::Relaxed);
            if self.reopen.swap(false, Ordering::Relaxed) {
                file.close();
            }
            let mut any = false;
            for receiver in &receivers {
                while let Ok(entry) = receiver.try_recv() {
                    any = true;
                    line.clear();
                    format_entry(
                        &entry,
                        settings.format,
                        &settings.views,
                        &mut clock,
                        &mut line,
                    );
                    match file.write_line(line.as_bytes()) {
                        Ok(()) => {
                            self.written.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            tracing::warn!(file = %settings.path.display(), error = %e, "query log write failed");
                            file.close();
                        }
                    }
                }
            }
            if !any {
                file.flush();
                if stopping {
                    return;
                }
                std::thread::sleep(IDLE);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The open log file and its size; rotates by renaming.
struct LogFile {
    path: PathBuf,
    max_size: u64,
    keep: u32,
    out: Option<BufWriter<File>>,
    size: u64,
}

impl LogFile {
    fn new(settings: &Settings) -> LogFile {
        LogFile {
            path: settings.path.clone(),
            max_size: settings.max_size.max(1),
            keep: settings.keep,
            out: None,
            size: 0,
        }
    }

    fn open(&mut self) -> io::Result<&mut BufWriter<File>> {
        if self.out.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            // Queries name clients and what they asked: the log is the
            // node user's alone, as the rest of its files.
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(&self.path)?;
            self.size = file.metadata()?.len();
            self.out = Some(BufWriter::with_capacity(64 * 1024, file));
        }
        Ok(self.out.as_mut().expect("just opened"))
    }

    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        self.open()?;
        // Rotate before a line that would take the file past the limit (a
        // line longer than the limit alone still goes into a file of its
        // own: no line is split).
        if self.size > 0 && self.size + line.len() as u64 > self.max_size {
            self.rotate()?;
            self.open()?;
        }
        let out = self.out.as_mut().expect("open");
        out.write_all(line)?;
        self.size += line.len() as u64;
        Ok(())
    }

    /// `query.log` → `query.log.1` → … → `query.log.<keep>` (the oldest
    /// falls off); with `keep = 0` the full file is removed.
    fn rotate(&mut self) -> io::Result<()> {
        if let Some(mut out) = self.out.take() {
            out.flush()?;
        }
        let numbered = |n: u32| -> PathBuf {
            let mut name = self.path.as_os_str().to_owned();
            name.push(format!(".{n}"));
            PathBuf::from(name)
        };
        if self.keep == 0 {
            remove_if_present(&self.path)?;
        } else {
            remove_if_present(&numbered(self.keep))?;
            for n in (1..self.keep).rev() {
                rename_if_present(&numbered(n), &numbered(n + 1))?;
            }
            std::fs::rename(&self.path, numbered(1))?;
        }
        self.size = 0;
        Ok(())
    }

    fn flush(&mut self) {
        if let Some(out) = self.out.as_mut()
            && let Err(e) = out.flush()
        {
            tracing::warn!(file = %self.path.display(), error = %e, "query log flush failed");
        }
    }

    fn close(&mut self) {
        self.flush();
        self.out = None;
    }
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn rename_if_present(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::rename(from, to) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut String, n: u64) {
    push_padded(out, n, 1);
}

/// Appends `n` in decimal with at least `width` digits (zero-padded).
fn push_padded(out: &mut String, mut n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    while n > 0 || digits.len() - at < width {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    // ASCII digits: pushed as chars, with no UTF-8 check of the slice.
    for &digit in &digits[at..] {
        out.push(char::from(digit));
    }
}

/// The date and time up to the second, made once a second (every line in
/// that second shares it).
#[derive(Default)]
pub struct Clock {
    second: Option<u64>,
    text: String,
}

impl Clock {
    /// `YYYY-MM-DDTHH:MM:SS` of Unix second `second`.
    fn prefix(&mut self, second: u64) -> &str {
        if self.second != Some(second) {
            use std::fmt::Write as _;
            let (year, month, day, hour, minute, sec) = wire::time::civil(second);
            self.text.clear();
            let _ = write!(
                self.text,
                "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{sec:02}"
            );
            self.second = Some(second);
        }
        &self.text
    }
}

/// Appends one line (with its newline) for `entry`; `views` names the
/// lanes (empty: a node without views). The text form allocates nothing
/// once `out` has grown: this runs once per query on the writer thread.
pub fn format_entry(
    entry: &Entry,
    format: Format,
    views: &[String],
    clock: &mut Clock,
    out: &mut String,
) {
    use std::fmt::Write as _;
    let facts = &entry.facts;
    let view = match facts.view {
        _ if views.is_empty() => "default",
        Some(v) => views.get(usize::from(v)).map_or("-", String::as_str),
        None => "-",
    };
    let qname = &entry.qname[..usize::from(entry.qname_len)];
    let micros = entry.time_us % 1_000_000;
    let flag_list = [
        (facts.recursion_desired, "RD"),
        (facts.dnssec_ok, "DO"),
        (facts.checking_disabled, "CD"),
        (entry.transport == Transport::Tcp, "TCP"),
    ];
    match format {
        Format::Text => {
            // Numbers by hand: `fmt` costs more than the rest of the line.
            out.push_str(clock.prefix(entry.time_us / 1_000_000));
            out.push('.');
            push_padded(out, micros, 6);
            out.push_str("Z ");
            match entry.client.ip() {
                std::net::IpAddr::V4(ip) => {
                    for (i, octet) in ip.octets().iter().enumerate() {
                        if i > 0 {
                            out.push('.');
                        }
                        push_decimal(out, u64::from(*octet));
                    }
                }
                ip => {
                    let _ = write!(out, "{ip}");
                }
            }
            out.push('#');
            push_decimal(out, u64::from(entry.client.port()));
            out.push(' ');
            out.push_str(view);
            out.push(' ');
            if facts.parsed {
                let _ = wire::name::write_wire_text(out, qname);
                let _ = write!(out, " {} {} ", Class(facts.qclass), Rtype(facts.qtype));
            } else {
                out.push_str("- - - ");
            }
            let mut first = true;
            for (set, name) in flag_list {
                if set {
                    out.push(if first { '+' } else { ',' });
                    out.push_str(name);
                    first = false;
                }
            }
            if first {
                out.push('-');
            }
            if facts.edns {
                out.push_str(" edns=");
                push_decimal(out, u64::from(facts.udp_payload));
            } else {
                out.push_str(" edns=-");
            }
            let _ = write!(out, " {} ", Rcode(entry.rcode));
            push_decimal(out, u64::from(entry.size));
            out.push(' ');
            push_decimal(out, u64::from(entry.latency_us));
            out.push_str("us\n");
        }
        Format::Json => {
            let mut name = String::new();
            let _ = wire::name::write_wire_text(&mut name, qname);
            let time = format!("{}.{micros:06}Z", clock.prefix(entry.time_us / 1_000_000));
            let flags: Vec<&str> = flag_list
                .iter()
                .filter(|(set, _)| *set)
                .map(|(_, name)| *name)
                .collect();
            let value = serde_json::json!({
                "time": time,
                "client": entry.client.ip().to_string(),
                "port": entry.client.port(),
                "view": view,
                "qname": facts.parsed.then_some(name),
                "qclass": facts.parsed.then(|| Class(facts.qclass).to_string()),
                "qtype": facts.parsed.then(|| Rtype(facts.qtype).to_string()),
                "flags": flags,
                "edns_size": facts.edns.then_some(facts.udp_payload),
                "rcode": Rcode(entry.rcode).to_string(),
                "size": entry.size,
                "latency_us": entry.latency_us,
            });
            let _ = writeln!(out, "{value}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(transport: Transport, parsed: bool) -> Entry {
        let mut request = vec![0u8; 12];
        request.extend_from_slice(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
        let facts = Facts {
            parsed,
            qtype: 1,
            qclass: 1,
            qname_end: 29,
            recursion_desired: true,
            dnssec_ok: transport == Transport::Tcp,
            edns: transport == Transport::Tcp,
            udp_payload: 1232,
            ..Facts::default()
        };
        let mut reply = vec![0u8; 61];
        reply[3] = 3;
        Entry::new(
            &facts,
            &request,
            &reply,
            "192.0.2.7:53211".parse().unwrap(),
            transport,
            1_796_660_690_000_042,
            35,
        )
    }

    #[test]
    fn text_lines_carry_every_field() {
        let mut clock = Clock::default();
        let mut out = String::new();
        format_entry(
            &entry(Transport::Udp, true),
            Format::Text,
            &[],
            &mut clock,
            &mut out,
        );
        format_entry(
            &entry(Transport::Tcp, true),
            Format::Text,
            &["in".into()],
            &mut clock,
            &mut out,
        );
        format_entry(
            &entry(Transport::Udp, false),
            Format::Text,
            &[],
            &mut clock,
            &mut out,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "2026-12-07T16:24:50.000042Z 192.0.2.7#53211 default www.example.com. IN A +RD edns=- NXDOMAIN 61 35us"
        );
        assert_eq!(
            lines[1],
            "2026-12-07T16:24:50.000042Z 192.0.2.7#53211 - www.example.com. IN A +RD,DO,TCP edns=1232 NXDOMAIN 61 35us"
        );
        assert_eq!(
            lines[2],
            "2026-12-07T16:24:50.000042Z 192.0.2.7#53211 default - - - +RD edns=- NXDOMAIN 61 35us"
        );
    }

    #[test]
    fn numbers_are_written_in_decimal_with_their_padding() {
        let mut out = String::new();
        for (n, width) in [
            (0, 1),
            (7, 1),
            (42, 6),
            (65535, 1),
            (999_999, 6),
            (u64::MAX, 1),
        ] {
            push_padded(&mut out, n, width);
            out.push(' ');
        }
        assert_eq!(out, format!("0 7 000042 65535 999999 {} ", u64::MAX));
    }

    #[test]
    fn rotation_keeps_keep_files_and_never_splits_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.log");
        let mut file = LogFile::new(&Settings {
            enabled: true,
            path: path.clone(),
            max_size: 25,
            keep: 2,
            format: Format::Text,
            views: Vec::new(),
        });
        for i in 0..10 {
            file.write_line(format!("line number {i:02}\n").as_bytes())
                .unwrap();
        }
        file.close();
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        // 15-octet lines, 25-octet files: one line each; the newest three kept.
        assert_eq!(read(&path), "line number 09\n");
        assert_eq!(read(&dir.path().join("q.log.1")), "line number 08\n");
        assert_eq!(read(&dir.path().join("q.log.2")), "line number 07\n");
        assert!(!dir.path().join("q.log.3").exists());
    }
}
