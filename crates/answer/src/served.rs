//! What a request is answered from: the serving state [`Served`] (zones,
//! settings, keys, per-zone policies) that the server publishes whole to
//! change anything.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use wire::tsig::Keyring;
use wire::{Name, Serial};

use crate::acl::{MatchList, Requester};
use crate::catalog::Catalog;
use crate::refusal::Reason;

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
    /// An accepted NOTIFY for `apex` (RFC 1996 §3.7): check the primary
    /// soon. `serial` is the serial of the SOA record the NOTIFY carried
    /// in its answer section, if any: a hint the secondary may use
    /// (RFC 1996 §3.7), never proof.
    fn notify_received(&self, apex: &Name, from: SocketAddr, serial: Option<Serial>);
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
    /// Zones only some clients may query (a catalog zone, RFC 9432 §7:
    /// its contents are for the consumers, not the world). Empty on most
    /// nodes, so the query path pays one length test for it.
    pub query_limits: Vec<QueryLimit>,
}

/// A zone whose queries are limited: a QUERY for a name in it is answered
/// when `allow_query` admits the client, or when it asks for the apex SOA
/// and the zone's `allow_transfer` admits it (secondaries check the serial
/// with a signed SOA query before they transfer); others are REFUSED.
#[derive(Clone, Debug)]
pub struct QueryLimit {
    /// The zone's apex (lower case).
    pub apex: Name,
    /// Who may ask anything.
    pub allow_query: MatchList,
}

impl Served {
    /// The policy of the zone with this apex (refuse-all when none is set).
    pub fn policy(&self, apex: &Name) -> ZonePolicyRef<'_> {
        ZonePolicyRef(self.policies.get(apex))
    }

    /// Whether `who` may ask about `qname` with `qtype` in the zone at
    /// `apex`, under [`Served::query_limits`]; `true` for every zone not
    /// listed there.
    pub(crate) fn may_query(
        &self,
        apex: &Name,
        qname: &[u8],
        qtype: wire::Rtype,
        who: Requester<'_>,
    ) -> bool {
        let Some(limit) = self.query_limits.iter().find(|l| &l.apex == apex) else {
            return true;
        };
        if limit.allow_query.allows(who) {
            return true;
        }
        // The request's qname is a lower-cased wire copy, as the apex is.
        qtype == wire::Rtype::SOA && qname == apex.as_wire() && self.policy(apex).may_transfer(who)
    }
}

/// A zone's policy, or the default one (refuse everything).
#[derive(Clone, Copy)]
pub struct ZonePolicyRef<'a>(Option<&'a ZonePolicy>);

impl ZonePolicyRef<'_> {
    pub(crate) fn may_transfer(&self, who: Requester<'_>) -> bool {
        self.0.is_some_and(|p| p.allow_transfer.allows(who))
    }

    /// Why `may_transfer` refused `who`.
    pub(crate) fn transfer_refusal(&self, who: Requester<'_>) -> Reason {
        self.0
            .map_or(Reason::Acl, |p| Reason::of_acl(&p.allow_transfer, who))
    }

    pub(crate) fn notify(&self) -> Option<&MatchList> {
        self.0.and_then(|p| p.allow_notify.as_ref())
    }

    pub(crate) fn update(&self) -> Option<&MatchList> {
        self.0.and_then(|p| p.allow_update.as_ref())
    }
}
