//! The small zone the UPDATE and transfer checks start from: every kind of
//! node (apex, CNAME, wildcard, delegation with glue, MX) in a few lines.

use std::path::Path;
use std::sync::OnceLock;

use zone::{BuildOptions, Zone};

/// The zone's origin.
pub const ORIGIN: &str = "fz.test.";

const TEXT: &str = "$ORIGIN fz.test.\n$TTL 300\n\
@ SOA ns hostmaster 10 7200 3600 1209600 60\n@ NS ns\n@ MX 10 mail\n\
ns A 192.0.2.53\nmail A 192.0.2.25\nwww A 192.0.2.1\nwww AAAA 2001:db8::1\n\
alias CNAME www\n*.wild TXT \"w\"\nsub NS ns.sub\nns.sub A 192.0.2.54\n";

/// The zone, built once.
pub fn zone() -> &'static Zone {
    static ZONE: OnceLock<Zone> = OnceLock::new();
    ZONE.get_or_init(|| {
        let origin = ORIGIN.parse().unwrap();
        let file = zonefile::parse_str(TEXT, &origin, Path::new("fz.test.zone")).unwrap();
        let records = file.records.into_iter().map(|r| r.record).collect();
        Zone::build(&origin, records, BuildOptions::default()).unwrap()
    })
}

/// The zone's records in canonical order, as a comparable list.
pub fn listed(zone: &Zone) -> Vec<String> {
    zone.canonical_records()
        .map(|r| format!("{} {} {} {:?}", r.owner, r.rtype, r.ttl, r.rdata))
        .collect()
}
