//! Request bytes in, response bytes out: the part of the query path that
//! knows the protocol and the policy but not the sockets.
//!
//! ```text
//!  bytes ─► wire::request::parse_into ─┬─ drop (runt, QR=1)
//!                                      ├─ FORMERR (malformed)
//!   TSIG present? ─► verify ───────────┼─ NOTAUTH + BADKEY/BADSIG/BADTIME (signed when the RFC says)
//!                                      │
//!   opcode QUERY ──────────────────────┼─ BADVERS / meta types / CHAOS / other classes
//!                                      ├─ AXFR, IXFR ─► transfer.rs: ACL ─► Outcome::Transfer (TCP)
//!                                      └─ query.rs: Catalog::find ─► precompiled (fast) | resolve + encode
//!   opcode NOTIFY ─► notify.rs: zone, ACL ─► Replication::notify_received
//!   other opcodes ─► NOTIMP
//!                                      every reply to a signed request is signed
//! ```
//!
//! [`respond`] is a pure function of the serving state, the request and the
//! client; transports call it from their own threads with their own
//! [`Scratch`], so it takes no lock and, once the scratch buffers have
//! grown, allocates nothing on the query path.

pub mod acl;
mod catalog;
mod chaos;
mod notify;
mod query;
pub mod refusal;
mod reply;
mod transfer;
pub mod update;
pub mod view;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use wire::request::{self, ParseFailure, Request};
use wire::tsig::{self, Keyring, ResponseSigner, VerifiedRequest};
use wire::{Class, Name, Opcode, Rcode, Rtype, Serial};
use zone::{Resolution, Transport, Zone};

pub use catalog::{Catalog, Entry};

use crate::acl::{MatchList, Requester};
use crate::refusal::{Asked, Reason, Refusal};
use crate::reply::{error_response, format_error, response_limit};

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

/// Who may do what with one zone.
#[derive(Clone, Debug, Default)]
pub struct ZonePolicy {
    /// Who may AXFR/IXFR the zone.
    pub allow_transfer: MatchList,
    /// For secondary zones, who may NOTIFY us (the primaries, and the key
    /// they sign with); `None` for zones we are primary for.
    pub allow_notify: Option<MatchList>,
    /// For zones kept in the store, who may send RFC 2136 updates; `None`
    /// where updates are not taken (zone files, secondaries): NOTAUTH.
    pub allow_update: Option<MatchList>,
}

/// What the replication layer offers the query path.
pub trait Replication: Send + Sync {
    /// An accepted NOTIFY for `apex` (RFC 1996 §3.7): check the primary soon.
    fn notify_received(&self, apex: &Name, from: SocketAddr);
}

/// Everything a request is answered from. Immutable; the server publishes a
/// new one to change anything.
#[derive(Clone, Default)]
pub struct Served {
    /// The zones.
    pub catalog: Catalog,
    /// Answering settings.
    pub settings: Settings,
    /// TSIG keys.
    pub keyring: Keyring,
    /// Per-zone access rules, by lower-case apex.
    pub policies: HashMap<Name, ZonePolicy>,
    /// Where accepted NOTIFYs go.
    pub replication: Option<Arc<dyn Replication>>,
}

impl Served {
    /// The policy of the zone with this apex (refuse-all when none is set).
    pub fn policy(&self, apex: &Name) -> ZonePolicyRef<'_> {
        ZonePolicyRef(self.policies.get(apex))
    }
}

/// A zone's policy, or the default one (refuse everything).
#[derive(Clone, Copy)]
pub struct ZonePolicyRef<'a>(Option<&'a ZonePolicy>);

impl ZonePolicyRef<'_> {
    fn may_transfer(&self, who: Requester<'_>) -> bool {
        self.0.is_some_and(|p| p.allow_transfer.allows(who))
    }

    /// Why `may_transfer` refused `who`.
    fn transfer_refusal(&self, who: Requester<'_>) -> Reason {
        self.0
            .map_or(Reason::Acl, |p| Reason::of_acl(&p.allow_transfer, who))
    }

    fn notify(&self) -> Option<&MatchList> {
        self.0.and_then(|p| p.allow_notify.as_ref())
    }

    fn update(&self) -> Option<&MatchList> {
        self.0.and_then(|p| p.allow_update.as_ref())
    }
}

/// Who asked, and how.
#[derive(Clone, Copy, Debug)]
pub struct Client {
    /// Source address and port.
    pub address: SocketAddr,
    /// Transport the request came on.
    pub transport: Transport,
    /// The time, in seconds since the Unix epoch (TSIG time checks).
    pub now: u64,
}

/// An accepted zone transfer request, for the transport to stream.
pub struct TransferTicket {
    /// The snapshot to send.
    pub zone: Arc<Zone>,
    /// AXFR or IXFR.
    pub qtype: Rtype,
    /// For IXFR, the serial the client holds.
    pub client_serial: Option<Serial>,
    /// The request's ID, echoed in every message.
    pub id: u16,
    /// The request's question section, echoed in the first message.
    pub question: Vec<u8>,
    /// Signs every message when the request was signed.
    pub signer: Option<ResponseSigner>,
    /// Who asked, for the transfer log.
    pub client: SocketAddr,
    /// The verified TSIG key the request was signed with.
    pub key: Option<Name>,
}

impl fmt::Debug for TransferTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TransferTicket({} {} from {:?})",
            self.zone.apex(),
            self.qtype,
            self.client_serial
        )
    }
}

/// What the transport should do with the request.
#[derive(Debug)]
pub enum Outcome {
    /// Send the bytes written to `out`.
    Reply,
    /// Send nothing.
    Drop,
    /// Stream a zone transfer (TCP only).
    Transfer(Box<TransferTicket>),
    /// Apply a dynamic update, then reply (see [`update::UpdateTicket::reply`]).
    Update(Box<update::UpdateTicket>),
}

impl Outcome {
    /// Whether this is [`Outcome::Reply`].
    pub fn is_reply(&self) -> bool {
        matches!(self, Outcome::Reply)
    }
}

/// Per-worker buffers reused from query to query.
#[derive(Default)]
pub struct Scratch {
    resolution: Resolution,
    refusal: Option<Refusal>,
}

impl Scratch {
    /// The request just answered, when it was refused for who sent it (a
    /// failed TSIG check, an ACL): for the transport's security log.
    pub fn take_refusal(&mut self) -> Option<Refusal> {
        self.refusal.take()
    }
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
    match request::parse_into(bytes, &mut request) {
        Ok(()) => {}
        Err(ParseFailure::Drop(_)) => return (Outcome::Drop, 0),
        Err(ParseFailure::Malformed(malformed)) => {
            format_error(base, bytes, &malformed, client, out);
            return (Outcome::Reply, 0);
        }
    }
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
        Ok((served, index, _)) => (served, index),
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
        Class::IN => query::answer(served, request, client, scratch, limit, out),
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

#[cfg(test)]
mod tests;
