//! The steps every request takes, from bytes to an [`Outcome`]: parse,
//! verify TSIG, choose the view, route by opcode, type and class, sign.

use wire::header::flags;
use wire::request::{self, ParseFailure, Request};
use wire::tsig::{self, ResponseSigner, VerifiedRequest};
use wire::{Class, Name, Opcode, Rcode, Rtype};

use crate::acl::Requester;
use crate::client::{Client, Scratch};
use crate::outcome::Outcome;
use crate::refusal::{Asked, Reason, Refusal};
use crate::reply::{error_response, format_error, response_limit};
use crate::served::Served;
use crate::stats::Facts;
use crate::{chaos, notify, query, transfer, update, view};

/// Answers one request. `out` receives the response when the outcome is
/// [`Outcome::Reply`].
pub fn respond(
    served: &Served,
    bytes: &[u8],
    client: &Client,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Outcome {
    respond_with(served, bytes, client, scratch, out, |_, _, _| {
        Ok((served, 0, None))
    })
    .0
}

/// Answers one request on a node with views: the request is answered from
/// the serving state of the first view that matches it (by its verified
/// TSIG key, its source address, or its EDNS Client Subnet from a trusted
/// resolver; see [`view::Views::select`]), and REFUSED when none does.
/// `served[i]` is view `i`'s state; without views, `served[0]` answers
/// everything. Returns the outcome and the index of the view that answered
/// (a transfer or update ticket belongs to that view's zones).
pub fn respond_in_views<S: std::ops::Deref<Target = Served>>(
    views: &view::Views,
    served: &[S],
    bytes: &[u8],
    client: &Client,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> (Outcome, usize) {
    let Some(base) = served.first() else {
        return (Outcome::Drop, 0);
    };
    if views.is_empty() {
        return (respond(base, bytes, client, scratch, out), 0);
    }
    respond_with(base, bytes, client, scratch, out, |request, key, _| {
        let ecs = request.edns.as_ref().and_then(|e| e.client_subnet.as_ref());
        let chosen = views.select(client.address.ip(), key, ecs);
        match chosen.index.and_then(|i| served.get(i).map(|s| (i, s))) {
            Some((index, state)) => Ok((&**state, index, chosen.ecs_scope)),
            None => Err(chosen.ecs_scope),
        }
    })
}

/// The steps every request takes: parse (FORMERR or drop), verify TSIG,
/// pick the serving state with `choose` (its index and the ECS scope that
/// decided it; REFUSED when it gives none, with the scope that decided
/// that), set the ECS scope (0 when none), dispatch, sign. `base` answers
/// what comes before the choice (its settings and keys are the node's).
fn respond_with<'s>(
    base: &'s Served,
    bytes: &[u8],
    client: &Client,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
    choose: impl FnOnce(
        &Request<'_>,
        Option<&Name>,
        &Client,
    ) -> Result<(&'s Served, usize, Option<u8>), Option<u8>>,
) -> (Outcome, usize) {
    let mut request = Request::empty();
    scratch.facts = Facts::default();
    match request::parse_into(bytes, &mut request) {
        Ok(()) => {}
        Err(ParseFailure::Drop(_)) => return (Outcome::Drop, 0),
        Err(ParseFailure::Malformed(malformed)) => {
            format_error(base, bytes, &malformed, client, out);
            return (Outcome::Reply, 0);
        }
    }
    scratch.facts = facts_of(&request);
    let limit = response_limit(base, &request, client.transport);
    let verified = match request.tsig_offset {
        None => None,
        // A signed request (RFC 8945 §5.2): verify before anything else,
        // and sign whatever we answer with the same key.
        Some(tsig_offset) => {
            match tsig::verify_request(bytes, tsig_offset, &base.keyring, client.now) {
                Ok(verified) => Some(verified),
                Err(failure) => {
                    scratch.refusal = Some(Refusal {
                        asked: Asked::of(request.opcode(), request.qtype),
                        zone: Name::from_wire(request.qname()).unwrap_or_else(|_| Name::root()),
                        key: failure.key_name().cloned(),
                        reason: Reason::of_tsig(&failure),
                    });
                    error_response(base, &request, failure.rcode(), limit, out);
                    if failure.sign_response(out, client.now, limit).is_err() {
                        // No room for even the error TSIG: the bare NOTAUTH says enough.
                    }
                    return (Outcome::Reply, 0);
                }
            }
        }
    };
    let mut signer = verified.as_ref().map(VerifiedRequest::response_signer);
    let reserve = signer.as_ref().map_or(0, ResponseSigner::record_len);
    let key = verified.as_ref().map(|v| v.key().name());
    let chosen = choose(&request, key, client);
    let scope = match &chosen {
        Ok((_, _, scope)) | Err(scope) => *scope,
    };
    if let Some(subnet) = request.edns.as_mut().and_then(|e| e.client_subnet.as_mut()) {
        subnet.scope_prefix = scope.unwrap_or(0);
    }
    let (served, index) = match chosen {
        Ok((served, index, _)) => {
            scratch.facts.view = u16::try_from(index).ok();
            (served, index)
        }
        Err(_) => {
            // No view admits this client. A transfer, UPDATE or NOTIFY so
            // refused goes to the security log; plain queries from outside
            // every view are ordinary traffic for a split-horizon server.
            let asked = Asked::of(request.opcode(), request.qtype);
            if asked != Asked::Query {
                scratch.refusal = Some(Refusal {
                    asked,
                    zone: Name::from_wire(request.qname()).unwrap_or_else(|_| Name::root()),
                    key: key.cloned(),
                    reason: Reason::NoView,
                });
            }
            error_response(
                base,
                &request,
                Rcode::REFUSED,
                limit.saturating_sub(reserve),
                out,
            );
            if let Some(signer) = signer.as_mut() {
                let _ = signer.sign(out, client.now, limit);
            }
            return (Outcome::Reply, 0);
        }
    };
    let outcome = dispatch(
        served,
        &request,
        client,
        verified.as_ref(),
        scratch,
        limit.saturating_sub(reserve),
        out,
    );
    let outcome = match (outcome, signer) {
        (outcome, None) => outcome,
        (Outcome::Reply, Some(mut signer)) => {
            // Room for the record was kept free, so signing cannot run out
            // of space; an unsigned reply would be refused by the client.
            let _ = signer.sign(out, client.now, limit);
            Outcome::Reply
        }
        (Outcome::Transfer(mut ticket), Some(signer)) => {
            ticket.signer = Some(signer);
            Outcome::Transfer(ticket)
        }
        (Outcome::Update(mut ticket), Some(signer)) => {
            ticket.signer = Some(signer);
            Outcome::Update(ticket)
        }
        (Outcome::Drop, Some(_)) => Outcome::Drop,
    };
    (outcome, index)
}

/// What the counters and the query log need of a parsed request.
fn facts_of(request: &Request<'_>) -> Facts {
    let bits = request.header.bits;
    Facts {
        parsed: true,
        opcode: request.opcode().0,
        qtype: request.qtype.0,
        qclass: request.qclass.0,
        qname_end: request.qname_end as u16,
        recursion_desired: bits & flags::RD != 0,
        checking_disabled: bits & flags::CD != 0,
        edns: request.edns.is_some(),
        udp_payload: request.edns.as_ref().map_or(0, |e| e.udp_payload),
        dnssec_ok: request.edns.as_ref().is_some_and(|e| e.dnssec_ok),
        extended_rcode: 0,
        view: None,
    }
}

/// Routes a well-formed (and, when signed, verified) request.
fn dispatch(
    served: &Served,
    request: &Request<'_>,
    client: &Client,
    verified: Option<&VerifiedRequest>,
    scratch: &mut Scratch,
    limit: usize,
    out: &mut Vec<u8>,
) -> Outcome {
    let requester = Requester {
        address: client.address.ip(),
        key: verified.map(|v| v.key().name()),
    };
    match request.opcode() {
        Opcode::QUERY => {}
        Opcode::NOTIFY => {
            let refused = &mut scratch.refusal;
            notify::answer(served, request, client, requester, refused, limit, out);
            return Outcome::Reply;
        }
        Opcode::UPDATE => {
            let refused = &mut scratch.refusal;
            return update::request(served, request, client, requester, refused, limit, out);
        }
        _ => {
            error_response(served, request, Rcode::NOTIMP, limit, out);
            return Outcome::Reply;
        }
    }
    if let Some(edns) = request.edns
        && edns.version > 0
    {
        // RFC 6891 §6.1.3: we speak version 0 only.
        error_response(served, request, Rcode::BADVERS, limit, out);
        scratch.facts.extended_rcode = Rcode::BADVERS.extended_bits();
        return Outcome::Reply;
    }
    match request.qtype {
        Rtype::AXFR | Rtype::IXFR => {
            let refused = &mut scratch.refusal;
            return transfer::request(served, request, client, requester, refused, limit, out);
        }
        Rtype::MAILA | Rtype::MAILB => {
            error_response(served, request, Rcode::NOTIMP, limit, out);
            return Outcome::Reply;
        }
        t if t.is_meta() && t != Rtype::ANY => {
            // OPT, TSIG, TKEY and other meta-types cannot be asked for
            // (RFC 6895 §3.1).
            error_response(served, request, Rcode::FORMERR, limit, out);
            return Outcome::Reply;
        }
        _ => {}
    }
    match request.qclass {
        Class::IN => query::answer(served, request, client, requester, scratch, limit, out),
        Class::CH => {
            chaos::answer(served, request, limit, out);
            Outcome::Reply
        }
        _ => {
            error_response(served, request, Rcode::REFUSED, limit, out);
            Outcome::Reply
        }
    }
}
