//! CHAOS-class identification queries, as BIND answers them:
//! `version.bind`/`version.server` and `hostname.bind`/`id.server`
//! (RFC 4892 §2 for `id.server`).

use wire::header::flags;
use wire::writer::{Owner, Writer};
use wire::{Class, Rcode, Rtype};

use crate::reply::{edns_options, error_response, reply_bits};
use crate::served::Served;
use wire::request::Request;

const VERSION_BIND: &[u8] = b"\x07version\x04bind\x00";
const VERSION_SERVER: &[u8] = b"\x07version\x06server\x00";
const HOSTNAME_BIND: &[u8] = b"\x08hostname\x04bind\x00";
const ID_SERVER: &[u8] = b"\x02id\x06server\x00";

/// Answers a CHAOS query: TXT for the names we know (REFUSED when the
/// operator hid them), REFUSED for any other name.
pub(crate) fn answer(served: &Served, request: &Request<'_>, limit: usize, out: &mut Vec<u8>) {
    let qname = request.qname();
    let text = if qname == VERSION_BIND || qname == VERSION_SERVER {
        served.settings.version.as_deref()
    } else if qname == HOSTNAME_BIND || qname == ID_SERVER {
        served.settings.identity.as_deref()
    } else {
        None
    };
    let Some(text) = text else {
        error_response(served, request, Rcode::REFUSED, limit, out);
        return;
    };
    let mut rdata = Vec::with_capacity(text.len() + 2);
    for chunk in text.as_bytes().chunks(255) {
        rdata.push(chunk.len() as u8);
        rdata.extend_from_slice(chunk);
    }
    if rdata.is_empty() {
        rdata.push(0);
    }
    let opt_len = request
        .edns
        .map_or(0, |e| 11 + edns_options(served, &e).len());
    let mut writer = Writer::new(out, limit.saturating_sub(opt_len));
    let mut bits = reply_bits(request) | flags::AA;
    let _ = writer.question_raw(request.question_bytes());
    if matches!(request.qtype, Rtype::TXT | Rtype::ANY)
        && writer
            .record(Owner::Question, Rtype::TXT, Class::CH, 0, &rdata)
            .is_err()
    {
        bits |= flags::TC;
    }
    writer.set_limit(limit);
    if let Some(edns) = request.edns {
        let options = edns_options(served, &edns);
        let _ = writer.opt(
            served.settings.edns_udp_payload,
            0,
            0,
            edns.dnssec_ok,
            options.as_slice(),
        );
    }
    writer.finish(request.header.id, bits);
}
