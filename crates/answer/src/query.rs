//! Answering a QUERY for data: zone selection, the precompiled fast path,
//! the general path with truncation.

use wire::header::{HEADER_LEN, flags};
use wire::request::Request;
use wire::writer::Writer;
use wire::{Rcode, Rtype};
use zone::QueryOptions;

use crate::acl::Requester;
use crate::catalog::Entry;
use crate::client::{Client, Scratch};
use crate::outcome::Outcome;
use crate::reply::{append_opt, edns_options, error_response, opt_len, reply_bits};
use crate::served::Served;
use crate::stats::ZoneOutcome;

/// Answers an IN-class query for data, within `limit` octets.
pub(crate) fn answer(
    served: &Served,
    request: &Request<'_>,
    client: &Client,
    requester: Requester<'_>,
    scratch: &mut Scratch,
    limit: usize,
    out: &mut Vec<u8>,
) -> Outcome {
    let qname = request.qname();
    let Some(mut entry) = served.catalog.find(qname) else {
        error_response(served, request, Rcode::REFUSED, limit, out);
        return Outcome::Reply;
    };
    if !served.query_limits.is_empty()
        && !served.may_query(entry.apex(), qname, request.qtype, requester)
    {
        error_response(served, request, Rcode::REFUSED, limit, out);
        entry
            .counters()
            .record(scratch.slot, client.transport, ZoneOutcome::Refused);
        return Outcome::Reply;
    }
    if request.qtype == Rtype::DS
        && qname.len() == entry.apex().wire_len()
        && let Some(parent) = served.catalog.find_parent(qname)
    {
        entry = parent;
    }
    let outcome = answer_from(served, entry, request, client, scratch, limit, out);
    // The zone's own counters (BIND's zone-statistics): the reply's header
    // says how it went.
    entry
        .counters()
        .record(scratch.slot, client.transport, ZoneOutcome::of_reply(out));
    outcome
}

/// Answers from `entry`, the zone that holds the question.
fn answer_from(
    served: &Served,
    entry: &Entry,
    request: &Request<'_>,
    client: &Client,
    scratch: &mut Scratch,
    limit: usize,
    out: &mut Vec<u8>,
) -> Outcome {
    let qname = request.qname();
    let Some(zone) = entry.zone() else {
        // Ours, but no usable copy: a secondary not yet transferred, or
        // expired (RFC 1035 §4.3.5: stop answering with stale data).
        error_response(served, request, Rcode::SERVFAIL, limit, out);
        return Outcome::Reply;
    };
    let dnssec_ok = request.edns.is_some_and(|e| e.dnssec_ok);

    if !(dnssec_ok && zone.is_signed())
        && let Some(answer) = zone.precompiled(qname, request.qtype)
    {
        let opt_len = opt_len(served, request);
        let total = HEADER_LEN + request.question_bytes().len() + answer.body_len() + opt_len;
        if total <= limit {
            let counts = answer.counts();
            let mut bits = reply_bits(request);
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
    let opt_len = opt_len(served, request);
    let mut writer = Writer::new(out, limit.saturating_sub(opt_len));
    let mut bits = reply_bits(request);
    if writer.question_raw(request.question_bytes()).is_err() {
        // The question alone does not fit a 512-octet message: impossible
        // for a valid name, but answer with TC rather than nothing.
        error_response(served, request, Rcode::NOERROR, limit, out);
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
