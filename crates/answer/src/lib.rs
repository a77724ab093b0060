//! Request bytes in, response bytes out: the part of the query path that
//! knows the protocol but not the sockets.
//!
//! ```text
//!  bytes ─► wire::request::parse_into ─┬─ drop (runt, QR=1)
//!                                      ├─ FORMERR / NOTIMP / BADVERS / REFUSED
//!                                      ├─ CHAOS (version.bind, hostname.bind, id.server)
//!                                      └─ Catalog::find ─► Zone::precompiled ─► copy + fix-ups  (fast)
//!                                                      └─► Zone::resolve + encode + TC        (general)
//! ```
//!
//! [`respond`] is a pure function of the serving state, the request and the
//! client; transports call it from their own threads with their own
//! [`Scratch`], so it takes no lock and, once the scratch buffers have
//! grown, allocates nothing.

pub mod acl;
mod catalog;
mod chaos;

use std::net::SocketAddr;

use wire::header::{HEADER_LEN, flags};
use wire::request::{self, EdnsRequest, Malformed, ParseFailure, Request, option_code};
use wire::writer::Writer;
use wire::{Class, Opcode, Rcode, Rtype};
use zone::{QueryOptions, Resolution, Transport};

pub use catalog::Catalog;

/// Smallest UDP payload any client must accept (RFC 1035 §2.3.4; RFC 6891
/// §6.2.3 says to treat smaller advertised sizes as 512).
pub const MIN_UDP_PAYLOAD: u16 = 512;

/// Server-wide answering settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Our EDNS UDP payload size, advertised and used as the upper bound
    /// (default 1232, the DNS Flag Day 2020 value).
    pub edns_udp_payload: u16,
    /// Answer to CHAOS `version.bind`/`version.server`; `None` refuses.
    pub version: Option<String>,
    /// Answer to CHAOS `hostname.bind`/`id.server`; `None` refuses.
    pub identity: Option<String>,
    /// NSID option payload (RFC 5001); `None` sends none.
    pub nsid: Option<Vec<u8>>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            edns_udp_payload: 1232,
            version: None,
            identity: None,
            nsid: None,
        }
    }
}

/// Everything a query is answered from. Immutable; the server publishes a
/// new one to change anything.
#[derive(Clone, Default)]
pub struct Served {
    /// The zones.
    pub catalog: Catalog,
    /// Answering settings.
    pub settings: Settings,
}

/// Who asked, and how.
#[derive(Clone, Copy, Debug)]
pub struct Client {
    /// Source address and port.
    pub address: SocketAddr,
    /// Transport the request came on.
    pub transport: Transport,
}

/// What the transport should do with the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Send the bytes written to `out`.
    Reply,
    /// Send nothing.
    Drop,
}

/// Per-worker buffers reused from query to query.
#[derive(Default)]
pub struct Scratch {
    resolution: Resolution,
}

/// Answers one request. `out` receives the response when the outcome is
/// [`Outcome::Reply`].
pub fn respond(
    served: &Served,
    bytes: &[u8],
    client: &Client,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Outcome {
    let mut request = Request::empty();
    match request::parse_into(bytes, &mut request) {
        Ok(()) => {}
        Err(ParseFailure::Drop(_)) => return Outcome::Drop,
        Err(ParseFailure::Malformed(malformed)) => {
            format_error(served, bytes, &malformed, client, out);
            return Outcome::Reply;
        }
    }
    let limit = response_limit(served, &request, client.transport);

    if request.opcode() != Opcode::QUERY {
        // NOTIFY and UPDATE come with the replication and management layers.
        error_response(served, &request, Rcode::NOTIMP, limit, out);
        return Outcome::Reply;
    }
    if let Some(edns) = request.edns
        && edns.version > 0
    {
        // RFC 6891 §6.1.3: we speak version 0 only.
        error_response(served, &request, Rcode::BADVERS, limit, out);
        return Outcome::Reply;
    }
    match request.qtype {
        Rtype::AXFR | Rtype::IXFR => {
            // Zone transfers arrive with the replication layer; over UDP
            // AXFR is never allowed (RFC 5936 §4.2).
            let rcode = if client.transport == Transport::Udp && request.qtype == Rtype::AXFR {
                Rcode::FORMERR
            } else {
                Rcode::REFUSED
            };
            error_response(served, &request, rcode, limit, out);
            return Outcome::Reply;
        }
        Rtype::MAILA | Rtype::MAILB => {
            error_response(served, &request, Rcode::NOTIMP, limit, out);
            return Outcome::Reply;
        }
        t if t.is_meta() && t != Rtype::ANY => {
            // OPT, TSIG, TKEY and other meta-types cannot be asked for
            // (RFC 6895 §3.1).
            error_response(served, &request, Rcode::FORMERR, limit, out);
            return Outcome::Reply;
        }
        _ => {}
    }
    match request.qclass {
        Class::IN => {}
        Class::CH => {
            chaos::answer(served, &request, limit, out);
            return Outcome::Reply;
        }
        _ => {
            error_response(served, &request, Rcode::REFUSED, limit, out);
            return Outcome::Reply;
        }
    }

    let qname = request.qname();
    let Some(mut entry) = served.catalog.find(qname) else {
        error_response(served, &request, Rcode::REFUSED, limit, out);
        return Outcome::Reply;
    };
    if request.qtype == Rtype::DS
        && qname.len() == entry.apex().wire_len()
        && let Some(parent) = served.catalog.find_parent(qname)
    {
        entry = parent;
    }
    let Some(zone) = entry.zone() else {
        // Ours, but no usable copy: a secondary not yet transferred, or
        // expired (RFC 1035 §4.3.5: stop answering with stale data).
        error_response(served, &request, Rcode::SERVFAIL, limit, out);
        return Outcome::Reply;
    };
    let dnssec_ok = request.edns.is_some_and(|e| e.dnssec_ok);

    if !(dnssec_ok && zone.is_signed())
        && let Some(answer) = zone.precompiled(qname, request.qtype)
    {
        let opt_len = opt_len(served, &request);
        let total = HEADER_LEN + request.question_bytes().len() + answer.body_len() + opt_len;
        if total <= limit {
            let counts = answer.counts();
            let mut bits = reply_bits(&request);
            if answer.authoritative() {
                bits |= flags::AA;
            }
            let rcode = answer.rcode();
            bits |= rcode.header_bits() as u16;
            let header = wire::Header {
                id: request.header.id,
                bits,
                qdcount: 1,
                ancount: counts[0],
                nscount: counts[1],
                arcount: counts[2] + u16::from(opt_len > 0),
            };
            out.clear();
            out.extend_from_slice(&header.to_bytes());
            out.extend_from_slice(request.question_bytes());
            answer.append_to(out, request.qname_len);
            if let Some(edns) = request.edns {
                append_opt(served, &edns, rcode, out);
            }
            return Outcome::Reply;
        }
    }

    // The general path.
    let options = QueryOptions {
        dnssec_ok,
        transport: client.transport,
    };
    zone.resolve(qname, request.qtype, options, &mut scratch.resolution);
    let resolution = &scratch.resolution;
    let opt_len = opt_len(served, &request);
    let mut writer = Writer::new(out, limit - opt_len);
    let mut bits = reply_bits(&request);
    if writer.question_raw(request.question_bytes()).is_err() {
        // The question alone does not fit a 512-octet message: impossible
        // for a valid name, but answer with TC rather than nothing.
        error_response(served, &request, Rcode::NOERROR, limit, out);
        out[2] |= (flags::TC >> 8) as u8;
        return Outcome::Reply;
    }
    let after_question = writer.mark();
    if resolution.authoritative {
        bits |= flags::AA;
    }
    if zone.encode(resolution, &mut writer).is_err() {
        // RFC 2181 §9: the required data does not fit; send TC with empty
        // sections so the client retries over TCP.
        writer.rollback(after_question);
        bits |= flags::TC;
    }
    bits |= resolution.rcode.header_bits() as u16;
    writer.set_limit(limit);
    if let Some(edns) = request.edns {
        let options = edns_options(served, &edns);
        let _ = writer.opt(
            served.settings.edns_udp_payload,
            resolution.rcode.extended_bits(),
            0,
            edns.dnssec_ok,
            options.as_slice(),
        );
    }
    writer.finish(request.header.id, bits);
    Outcome::Reply
}

/// Largest response for this request: 512 without EDNS over UDP, the smaller
/// of the client's and our payload size with it, 64 KiB over TCP.
fn response_limit(served: &Served, request: &Request<'_>, transport: Transport) -> usize {
    match transport {
        Transport::Tcp => u16::MAX as usize,
        Transport::Udp => match request.edns {
            None => MIN_UDP_PAYLOAD as usize,
            Some(edns) => edns
                .udp_payload
                .max(MIN_UDP_PAYLOAD)
                .min(served.settings.edns_udp_payload.max(MIN_UDP_PAYLOAD))
                as usize,
        },
    }
}

/// Header bits every reply shares: QR, the opcode, RD and CD copied
/// (RFC 1035 §4.1.1, RFC 6840 §5.9).
fn reply_bits(request: &Request<'_>) -> u16 {
    let h = request.header;
    flags::QR | (h.bits & (0x7800 | flags::RD | flags::CD))
}

/// Length of the OPT record we will append (0 without EDNS).
fn opt_len(served: &Served, request: &Request<'_>) -> usize {
    match request.edns {
        None => 0,
        Some(edns) => 11 + edns_options(served, &edns).len(),
    }
}

/// Our EDNS options for a request: NSID when asked for and configured.
fn edns_options(served: &Served, edns: &EdnsRequest) -> OptionBytes {
    let mut options = OptionBytes::default();
    if edns.nsid
        && let Some(nsid) = &served.settings.nsid
    {
        options.push(option_code::NSID, nsid);
    }
    options
}

/// Encoded EDNS options, inline up to a small size.
struct OptionBytes {
    bytes: [u8; 260],
    len: usize,
}

impl Default for OptionBytes {
    fn default() -> OptionBytes {
        OptionBytes {
            bytes: [0; 260],
            len: 0,
        }
    }
}

impl OptionBytes {
    fn push(&mut self, code: u16, data: &[u8]) {
        let data = &data[..data.len().min(self.bytes.len() - self.len - 4)];
        self.bytes[self.len..self.len + 2].copy_from_slice(&code.to_be_bytes());
        self.bytes[self.len + 2..self.len + 4].copy_from_slice(&(data.len() as u16).to_be_bytes());
        self.bytes[self.len + 4..self.len + 4 + data.len()].copy_from_slice(data);
        self.len += 4 + data.len();
    }

    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn len(&self) -> usize {
        self.len
    }
}

/// Appends our OPT record to a response built by hand.
fn append_opt(served: &Served, edns: &EdnsRequest, rcode: Rcode, out: &mut Vec<u8>) {
    let options = edns_options(served, edns);
    out.push(0);
    out.extend_from_slice(&Rtype::OPT.0.to_be_bytes());
    out.extend_from_slice(&served.settings.edns_udp_payload.to_be_bytes());
    out.push(rcode.extended_bits());
    out.push(0);
    out.extend_from_slice(&(if edns.dnssec_ok { 0x8000u16 } else { 0 }).to_be_bytes());
    out.extend_from_slice(&(options.len() as u16).to_be_bytes());
    out.extend_from_slice(options.as_slice());
}

/// A response with only the question (and OPT): errors, BADVERS.
fn error_response(
    served: &Served,
    request: &Request<'_>,
    rcode: Rcode,
    limit: usize,
    out: &mut Vec<u8>,
) {
    let mut writer = Writer::new(out, limit);
    let _ = writer.question_raw(request.question_bytes());
    if let Some(edns) = request.edns {
        let options = edns_options(served, &edns);
        let _ = writer.opt(
            served.settings.edns_udp_payload,
            rcode.extended_bits(),
            0,
            edns.dnssec_ok,
            options.as_slice(),
        );
    }
    let bits = reply_bits(request) | rcode.header_bits() as u16;
    writer.finish(request.header.id, bits);
}

/// FORMERR for a request that could not be read: the question is echoed
/// when it was well formed, OPT when one was read (RFC 6891 §7).
fn format_error(
    served: &Served,
    bytes: &[u8],
    malformed: &Malformed,
    client: &Client,
    out: &mut Vec<u8>,
) {
    let limit = match (client.transport, malformed.edns) {
        (Transport::Tcp, _) => u16::MAX as usize,
        (Transport::Udp, None) => MIN_UDP_PAYLOAD as usize,
        (Transport::Udp, Some(e)) => e.udp_payload.clamp(
            MIN_UDP_PAYLOAD,
            served.settings.edns_udp_payload.max(MIN_UDP_PAYLOAD),
        ) as usize,
    };
    let mut writer = Writer::new(out, limit);
    if let Some(end) = malformed.question_end {
        let _ = writer.question_raw(&bytes[HEADER_LEN..end]);
    }
    if let Some(edns) = malformed.edns {
        let _ = writer.opt(served.settings.edns_udp_payload, 0, 0, edns.dnssec_ok, &[]);
    }
    let h = malformed.header;
    let bits = flags::QR
        | (h.bits & (0x7800 | flags::RD | flags::CD))
        | Rcode::FORMERR.header_bits() as u16;
    writer.finish(h.id, bits);
}

#[cfg(test)]
mod tests;
