//! Pieces every reply shares: size limits, header bits, OPT, error replies.

use wire::header::{HEADER_LEN, flags};
use wire::request::{EdnsRequest, Malformed, Request, option_code};
use wire::writer::Writer;
use wire::{Opcode, Rcode, Rtype};
use zone::Transport;

use crate::client::Client;
use crate::served::Served;

/// Smallest UDP payload any client must accept (RFC 1035 §2.3.4; RFC 6891
/// §6.2.3 says to treat smaller advertised sizes as 512).
pub const MIN_UDP_PAYLOAD: u16 = 512;

/// Largest response for this request: 512 without EDNS over UDP, the smaller
/// of the client's and our payload size with it, 64 KiB over TCP.
pub(crate) fn response_limit(
    served: &Served,
    request: &Request<'_>,
    transport: Transport,
) -> usize {
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
pub(crate) fn reply_bits(request: &Request<'_>) -> u16 {
    let h = request.header;
    flags::QR | (h.bits & (0x7800 | flags::RD | flags::CD))
}

/// Length of the OPT record we will append (0 without EDNS).
pub(crate) fn opt_len(served: &Served, request: &Request<'_>) -> usize {
    match request.edns {
        None => 0,
        Some(edns) => 11 + edns_options(served, &edns).len(),
    }
}

/// Our EDNS options for a request: NSID when asked for and configured;
/// the client's EDNS Client Subnet echoed (RFC 7871 §7.2.1: FAMILY, SOURCE
/// PREFIX-LENGTH and ADDRESS as sent, SCOPE PREFIX-LENGTH as set on the
/// request once its view was chosen, 0 when the answer does not depend on
/// the client's subnet).
pub(crate) fn edns_options(served: &Served, edns: &EdnsRequest) -> OptionBytes {
    let mut options = OptionBytes::default();
    if edns.nsid
        && let Some(nsid) = &served.settings.nsid
    {
        options.push(option_code::NSID, nsid);
    }
    if let Some(subnet) = &edns.client_subnet {
        let address_len = usize::from(subnet.source_prefix).div_ceil(8);
        let mut data = [0u8; 20];
        data[..2].copy_from_slice(&subnet.family.to_be_bytes());
        data[2] = subnet.source_prefix;
        data[3] = subnet.scope_prefix;
        data[4..4 + address_len].copy_from_slice(&subnet.address[..address_len]);
        options.push(option_code::CLIENT_SUBNET, &data[..4 + address_len]);
    }
    options
}

/// Encoded EDNS options, inline up to a small size.
pub(crate) struct OptionBytes {
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
    /// Appends an option whole, or not at all when it does not fit (a cut
    /// option would be malformed).
    fn push(&mut self, code: u16, data: &[u8]) {
        let room = self.bytes.len() - self.len;
        if data.len() + 4 > room {
            return;
        }
        self.bytes[self.len..self.len + 2].copy_from_slice(&code.to_be_bytes());
        self.bytes[self.len + 2..self.len + 4].copy_from_slice(&(data.len() as u16).to_be_bytes());
        self.bytes[self.len + 4..self.len + 4 + data.len()].copy_from_slice(data);
        self.len += 4 + data.len();
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// Appends our OPT record to a response built by hand.
pub(crate) fn append_opt(served: &Served, edns: &EdnsRequest, rcode: Rcode, out: &mut Vec<u8>) {
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
pub(crate) fn error_response(
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
pub(crate) fn format_error(
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
    // The opcode is judged before the rest (RFC 8906 §8.1.4): one we do not
    // implement gets NOTIMP however its sections look. The one-question rule
    // of RFC 9619 belongs to QUERY; a header-only DSO or STATUS is no
    // format error.
    let rcode = match h.opcode() {
        Opcode::QUERY | Opcode::NOTIFY | Opcode::UPDATE => Rcode::FORMERR,
        _ => Rcode::NOTIMP,
    };
    let bits = flags::QR | (h.bits & (0x7800 | flags::RD | flags::CD)) | rcode.header_bits() as u16;
    writer.finish(h.id, bits);
}
