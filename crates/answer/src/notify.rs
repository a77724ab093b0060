//! NOTIFY in (RFC 1996 §3.7–3.10): accept it from a primary of a zone we
//! are secondary for, refuse it otherwise, and tell the replication layer.

use wire::header::flags;
use wire::request::Request;
use wire::writer::Writer;
use wire::{Message, Name, Rcode, Rtype, Serial};

use crate::acl::Requester;
use crate::client::Client;
use crate::refusal::{Asked, Reason, Refusal};
use crate::reply::{error_response, reply_bits};
use crate::served::Served;

/// Answers a NOTIFY request; a refusal for who sent it is recorded in
/// `refused` for the security log.
pub(crate) fn answer(
    served: &Served,
    request: &Request<'_>,
    client: &Client,
    requester: Requester<'_>,
    refused: &mut Option<Refusal>,
    limit: usize,
    out: &mut Vec<u8>,
) {
    if request.qtype != Rtype::SOA {
        // RFC 1996 §3.7: NOTIFY carries QTYPE=SOA for zone changes; other
        // types are not defined here.
        error_response(served, request, Rcode::NOTIMP, limit, out);
        return;
    }
    let Ok(apex) = Name::from_wire(request.qname()) else {
        error_response(served, request, Rcode::FORMERR, limit, out);
        return;
    };
    let exact = served
        .catalog
        .find(request.qname())
        .filter(|e| e.apex() == &apex);
    let mut refusal = |reason: Reason| {
        *refused = Some(Refusal {
            asked: Asked::Notify,
            zone: apex.clone(),
            key: requester.key.cloned(),
            reason,
        });
    };
    let rcode = match exact {
        // Not a zone we serve at all.
        None => {
            refusal(Reason::NotAuthoritative);
            Rcode::NOTAUTH
        }
        Some(_) => match served.policy(&apex).notify() {
            // We are the primary of this zone: nobody notifies us.
            None => {
                refusal(Reason::NotTaken);
                Rcode::REFUSED
            }
            // Not from one of our primaries (or not with their key): RFC 1996
            // §3.10 says to ignore it; REFUSED tells the sender plainly.
            Some(list) if !list.allows(requester) => {
                refusal(Reason::of_acl(list, requester));
                Rcode::REFUSED
            }
            Some(_) => {
                if let Some(replication) = &served.replication {
                    replication.notify_received(
                        &apex,
                        client.address,
                        announced_serial(request, &apex),
                    );
                }
                Rcode::NOERROR
            }
        },
    };
    let mut writer = Writer::new(out, limit);
    let _ = writer.question_raw(request.question_bytes());
    let mut bits = reply_bits(request) | rcode.header_bits() as u16;
    if rcode == Rcode::NOERROR {
        bits |= flags::AA;
    }
    writer.finish(request.header.id, bits);
}

/// The serial of the SOA record for `apex` in a NOTIFY's answer section
/// (RFC 1996 §3.7: "the SOA … in the answer section … may be used as a
/// hint"), if the message carries one and parses. NOTIFYs are rare, so
/// the general parser is fine here; a malformed answer section only
/// loses the hint, never the NOTIFY.
fn announced_serial(request: &Request<'_>, apex: &Name) -> Option<Serial> {
    let message = Message::parse(request.bytes).ok()?;
    message
        .answer
        .iter()
        .find(|r| r.rtype == Rtype::SOA && r.owner == *apex)
        .and_then(|r| wire::rdata::soa_numbers(&r.rdata))
        .map(|numbers| Serial(numbers[0]))
}
