//! AXFR and IXFR requests (RFC 5936, RFC 1995): who may transfer what, and
//! the one-message answers; the stream itself is the transport's job.

use wire::request::Request;
use wire::writer::{Owner, Section, Writer};
use wire::{Class, Message, Name, Rcode, Rtype, Serial};
use zone::Transport;

use crate::acl::Requester;
use crate::client::Client;
use crate::outcome::{Outcome, TransferTicket};
use crate::refusal::{Asked, Reason, Refusal};
use crate::reply::{error_response, reply_bits};
use crate::served::Served;

/// Handles an AXFR or IXFR request; a refusal for who asked is recorded in
/// `refused` for the security log.
pub(crate) fn request(
    served: &Served,
    request: &Request<'_>,
    client: &Client,
    requester: Requester<'_>,
    refused: &mut Option<Refusal>,
    limit: usize,
    out: &mut Vec<u8>,
) -> Outcome {
    let mut refusal = |zone: &Name, reason: Reason| {
        *refused = Some(Refusal {
            asked: Asked::Transfer(request.qtype),
            zone: zone.clone(),
            key: requester.key.cloned(),
            reason,
        });
    };
    let refuse = |rcode: Rcode, out: &mut Vec<u8>| {
        error_response(served, request, rcode, limit, out);
        Outcome::Reply
    };
    if request.qclass != Class::IN {
        return refuse(Rcode::REFUSED, out);
    }
    if client.transport == Transport::Udp && request.qtype == Rtype::AXFR {
        // RFC 5936 §4.2: AXFR is a TCP affair.
        return refuse(Rcode::FORMERR, out);
    }
    let Ok(apex) = Name::from_wire(request.qname()) else {
        return refuse(Rcode::FORMERR, out);
    };
    let Some(entry) = served
        .catalog
        .find(request.qname())
        .filter(|e| e.apex() == &apex)
    else {
        // RFC 5936 §2.2.1: not authoritative for a zone with this apex.
        refusal(&apex, Reason::NotAuthoritative);
        return refuse(Rcode::NOTAUTH, out);
    };
    let policy = served.policy(&apex);
    if !policy.may_transfer(requester) {
        refusal(&apex, policy.transfer_refusal(requester));
        return refuse(Rcode::REFUSED, out);
    }
    let Some(zone) = entry.zone() else {
        return refuse(Rcode::SERVFAIL, out);
    };
    let client_serial = if request.qtype == Rtype::IXFR {
        // RFC 1995 §3: the client's SOA is in the authority section.
        match ixfr_serial(request.bytes, &apex) {
            Some(serial) => Some(serial),
            None => return refuse(Rcode::FORMERR, out),
        }
    } else {
        None
    };
    if client.transport == Transport::Udp {
        // IXFR over UDP (RFC 1995 §2): our SOA alone tells the client whether
        // it is current; if not, it comes back over TCP.
        let soa = zone.soa_record();
        let mut writer = Writer::new(out, limit);
        let _ = writer.question_raw(request.question_bytes());
        writer.set_section(Section::Answer);
        let _ = writer.record(Owner::Question, Rtype::SOA, Class::IN, soa.ttl, &soa.rdata);
        writer.finish(
            request.header.id,
            reply_bits(request) | wire::header::flags::AA,
        );
        return Outcome::Reply;
    }
    Outcome::Transfer(Box::new(TransferTicket {
        zone: zone.clone(),
        qtype: request.qtype,
        client_serial,
        id: request.header.id,
        question: request.question_bytes().to_vec(),
        signer: None,
        client: client.address,
        key: requester.key.cloned(),
    }))
}

/// The serial of the SOA for `apex` in an IXFR request's authority section.
fn ixfr_serial(bytes: &[u8], apex: &Name) -> Option<Serial> {
    let message = Message::parse(bytes).ok()?;
    message
        .authority
        .iter()
        .find(|r| r.rtype == Rtype::SOA && r.owner == *apex)
        .and_then(|r| wire::rdata::soa_numbers(&r.rdata))
        .map(|n| Serial(n[0]))
}
