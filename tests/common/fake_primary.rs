//! A primary inside the test: serves a zone (and a journal from an older
//! version) over UDP SOA queries and TCP transfers the way hadns would —
//! built on hadns's own transfer encoder — then breaks it as told.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wire::{Message, Name, Rtype};

/// How the fake primary answers transfer requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Answer correctly.
    None,
    /// Send the first message of the transfer, then hang up.
    HangUpMidway,
    /// Answer IXFR with a difference that deletes a record nobody has.
    CorruptIxfr,
    /// Announce a newer serial, then answer a transfer with the opening
    /// SOA and A records without end (500 a message, at most 4 million or
    /// 60 s), never the closing SOA.
    Endless,
    /// Announce a newer serial, then answer a transfer with a framed
    /// message of bytes that are no DNS message.
    Garbage,
    /// Announce a newer serial, then transfer the older zone (a lower
    /// serial than the secondary's copy).
    LowerSerial,
    /// Announce a newer serial, then transfer a whole zone whose
    /// `flood` name holds 5,000 A records (one RRset past the bound).
    BigRrset,
}

impl Misbehaviour {
    /// Whether the SOA answer claims a serial the zone does not have.
    fn announces_newer(self) -> bool {
        matches!(
            self,
            Misbehaviour::Endless
                | Misbehaviour::Garbage
                | Misbehaviour::LowerSerial
                | Misbehaviour::BigRrset
        )
    }
}

/// A primary inside the test: serves `zone` (and a journal from `older`)
/// the way hadns would, then breaks it as told.
pub struct FakePrimary {
    /// Where it listens (UDP and TCP).
    pub address: SocketAddr,
    stop: Arc<AtomicBool>,
    /// The transfer types asked of it, in order.
    pub transfers: Arc<Mutex<Vec<Rtype>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl FakePrimary {
    /// Starts serving `zone` on a free loopback port.
    pub fn start(
        zone: Arc<zone::Zone>,
        older: Option<Arc<zone::Zone>>,
        behaviour: Arc<Mutex<Misbehaviour>>,
    ) -> FakePrimary {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = tcp.local_addr().unwrap();
        let udp = UdpSocket::bind(address).unwrap();
        udp.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        tcp.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let transfers = Arc::new(Mutex::new(Vec::new()));
        let mut threads = Vec::new();
        {
            let (zone, stop, behaviour) = (zone.clone(), stop.clone(), behaviour.clone());
            threads.push(std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while !stop.load(Ordering::Relaxed) {
                    let Ok((len, from)) = udp.recv_from(&mut buf) else {
                        continue;
                    };
                    let Ok(request) = Message::parse(&buf[..len]) else {
                        continue;
                    };
                    let mut soa = zone.soa_record();
                    if behaviour.lock().unwrap().announces_newer() {
                        // The serial is the first of the five numbers that end
                        // the SOA RDATA.
                        let at = soa.rdata.len() - 20;
                        let serial = u32::from_be_bytes(soa.rdata[at..at + 4].try_into().unwrap());
                        let mut rdata = soa.rdata.to_vec();
                        rdata[at..at + 4].copy_from_slice(&(serial + 10).to_be_bytes());
                        soa.rdata = rdata;
                    }
                    let mut out = Vec::new();
                    let mut w = wire::writer::Writer::new(&mut out, 512);
                    let q = &request.questions[0];
                    let _ = w.question(q.qname.as_wire(), q.qtype, q.qclass, true);
                    w.set_section(wire::writer::Section::Answer);
                    let _ = w.record(
                        wire::writer::Owner::Question,
                        Rtype::SOA,
                        wire::Class::IN,
                        soa.ttl,
                        &soa.rdata,
                    );
                    w.finish(request.header.id, 0x8400);
                    let _ = udp.send_to(&out, from);
                }
            }));
        }
        {
            let (stop, transfers) = (stop.clone(), transfers.clone());
            threads.push(std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Ok((mut stream, _)) = tcp.accept() else {
                        std::thread::sleep(Duration::from_millis(20));
                        continue;
                    };
                    stream.set_nonblocking(false).unwrap();
                    stream
                        .set_read_timeout(Some(Duration::from_secs(2)))
                        .unwrap();
                    let mut len = [0u8; 2];
                    if stream.read_exact(&mut len).is_err() {
                        continue;
                    }
                    let mut m = vec![0u8; u16::from_be_bytes(len) as usize];
                    if stream.read_exact(&mut m).is_err() {
                        continue;
                    }
                    let Ok(request) = Message::parse(&m) else {
                        continue;
                    };
                    let q = &request.questions[0];
                    transfers.lock().unwrap().push(q.qtype);
                    let question = [
                        q.qname.as_wire(),
                        &q.qtype.0.to_be_bytes(),
                        &1u16.to_be_bytes(),
                    ]
                    .concat();
                    let frame = replicate::xfr_out::MessageFrame {
                        id: request.header.id,
                        question: &question,
                    };
                    let mode = *behaviour.lock().unwrap();
                    match mode {
                        Misbehaviour::Endless => {
                            endless(&mut stream, request.header.id, &question, &zone, None);
                            continue;
                        }
                        Misbehaviour::BigRrset => {
                            endless(&mut stream, request.header.id, &question, &zone, Some(5000));
                            continue;
                        }
                        Misbehaviour::Garbage => {
                            let mut junk = request.header.id.to_be_bytes().to_vec();
                            junk.extend((0..300u32).map(|i| (i * 7919 % 251) as u8));
                            let mut framed = (junk.len() as u16).to_be_bytes().to_vec();
                            framed.extend_from_slice(&junk);
                            let _ = stream.write_all(&framed);
                            continue;
                        }
                        _ => {}
                    }
                    let zone = match (mode, &older) {
                        (Misbehaviour::LowerSerial, Some(old)) => old.clone(),
                        _ => zone.clone(),
                    };
                    let plan = match (q.qtype, &older) {
                        (Rtype::IXFR, Some(old)) if mode != Misbehaviour::LowerSerial => {
                            let mut changes = replicate::diff::between(old, &zone);
                            if mode == Misbehaviour::CorruptIxfr {
                                let mut bogus = changes
                                    .added
                                    .iter()
                                    .find(|r| r.rtype == Rtype::A)
                                    .unwrap()
                                    .clone();
                                bogus.owner = "nobody-has-this.rep.test.".parse().unwrap();
                                changes.removed.push(bogus);
                            }
                            replicate::xfr_out::Plan::Incremental(vec![replicate::Diff::new(
                                old.serial(),
                                zone.serial(),
                                changes.removed,
                                changes.added,
                            )])
                        }
                        _ => replicate::xfr_out::Plan::Full,
                    };
                    let sent = AtomicUsize::new(0);
                    let _ = replicate::xfr_out::stream(&zone, &plan, frame, |message| {
                        if mode == Misbehaviour::HangUpMidway && sent.load(Ordering::Relaxed) == 1 {
                            return false;
                        }
                        sent.fetch_add(1, Ordering::Relaxed);
                        let mut framed = (message.len() as u16).to_be_bytes().to_vec();
                        framed.extend_from_slice(message);
                        stream.write_all(&framed).is_ok()
                    });
                    // Dropping the stream hangs up.
                }
            }));
        }
        FakePrimary {
            address,
            stop,
            transfers,
            threads,
        }
    }
}

impl Drop for FakePrimary {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// The zone `rep.test.` of a zone file's text.
pub fn build(text: &str) -> Arc<zone::Zone> {
    let origin: Name = "rep.test.".parse().unwrap();
    let file = zonefile::parse_str(text, &origin, Path::new("z")).unwrap();
    Arc::new(
        zone::Zone::build(
            &origin,
            file.records.into_iter().map(|r| r.record).collect(),
            zone::BuildOptions::default(),
        )
        .unwrap(),
    )
}

/// Sends the opening SOA of `zone`, then A records at `flood` for ever
/// (bounded: 4 million records or 60 s) until the peer hangs up; or, with
/// `count`, that many A records, then the rest of the zone under the
/// announced serial, and the closing SOA.
fn endless(
    stream: &mut std::net::TcpStream,
    id: u16,
    question: &[u8],
    zone: &zone::Zone,
    count: Option<u32>,
) {
    use wire::writer::{Owner, Section, Writer};
    let started = std::time::Instant::now();
    let mut soa = zone.soa_record();
    if count.is_some() {
        // The serial the SOA answer announced: ours plus ten.
        let at = soa.rdata.len() - 20;
        let serial = u32::from_be_bytes(soa.rdata[at..at + 4].try_into().unwrap());
        soa.rdata[at..at + 4].copy_from_slice(&(serial + 10).to_be_bytes());
    }
    let owner = Name::from_text("flood", Some(zone.apex())).unwrap();
    let limit = count.unwrap_or(4_000_000);
    let mut sent = 0u32;
    let mut first = true;
    while sent < limit && started.elapsed() < Duration::from_secs(60) {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, 65_535);
        let _ = w.question_raw(question);
        w.set_section(Section::Answer);
        if first {
            let _ = w.record(
                Owner::Question,
                Rtype::SOA,
                wire::Class::IN,
                soa.ttl,
                &soa.rdata,
            );
            first = false;
        }
        for _ in 0..500 {
            if sent == limit {
                break;
            }
            let _ = w.record(
                Owner::Name(owner.as_wire()),
                Rtype::A,
                wire::Class::IN,
                60,
                &sent.to_be_bytes(),
            );
            sent += 1;
        }
        if sent == limit && count.is_some() {
            for record in zone.canonical_records().filter(|r| r.rtype != Rtype::SOA) {
                let _ = w.record(
                    Owner::Name(record.owner.as_wire()),
                    record.rtype,
                    wire::Class::IN,
                    record.ttl,
                    &record.rdata,
                );
            }
            let _ = w.record(
                Owner::Question,
                Rtype::SOA,
                wire::Class::IN,
                soa.ttl,
                &soa.rdata,
            );
        }
        w.finish(id, 0x8400);
        let mut framed = (out.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&out);
        if stream.write_all(&framed).is_err() {
            return;
        }
    }
}
