//! The catalog zone a primary produces (RFC 9432, version 2): one zone
//! that lists every zone the primary serves from its store, so that
//! secondaries that consume catalogs (BIND's `catalog-zones`, Knot's
//! `catalog-role: interpret`) start and stop serving member zones by
//! themselves.
//!
//! ```text
//!  catalog.example.                 SOA  invalid. invalid. SERIAL …
//!  catalog.example.                 NS   invalid.
//!  version.catalog.example.         TXT  "2"
//!  <id>.zones.catalog.example.      PTR  member.example.
//!  group.<id>.zones.catalog.example. TXT "<group>"     (when configured)
//! ```
//!
//! The catalog is derived, not stored: the [`crate::Manager`] rebuilds it
//! from the store's zone list after each create or delete, under the same
//! write lock, and hands it to the replicator as a primary zone whose serial
//! moves by one on each change ([`next_serial`]), so the replicator
//! journals the difference (IXFR) and NOTIFYs like for any zone. At start
//! the catalog is rebuilt and compared with the copy the previous run
//! persisted, so a change committed just before a crash still reaches the
//! consumers.
//!
//! This module is pure: members in, records out.

use std::sync::Arc;

use answer::acl::MatchList;
use replicate::driver::NotifyTarget;
use sha1::{Digest, Sha1};
use wire::name::NameError;
use wire::tsig::Key;
use wire::{Class, Name, Record, Rtype, Serial};

/// What the configuration's `[catalog]` asks for, keys and lists resolved.
#[derive(Clone, Debug)]
pub struct CatalogSetup {
    /// The catalog zone's apex.
    pub apex: Name,
    /// The `group` property every member gets (RFC 9432 §4.4.2).
    pub group: Option<String>,
    /// Primary zones read from files that are members too, with their
    /// groups (`include_files = true`); empty otherwise.
    pub files: Vec<Member>,
    /// NOTIFY targets, each with its own key or the catalog's `notify_key`.
    pub notify: Vec<NotifyTarget>,
    /// Key that signs the catalog's NOTIFYs.
    pub notify_key: Option<Arc<Key>>,
    /// Who may transfer the catalog, and ask for its SOA.
    pub allow_transfer: MatchList,
    /// Who may ask anything else about it.
    pub allow_query: MatchList,
}

/// One member zone of the catalog.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Member {
    /// The member zone's apex.
    pub zone: Name,
    /// Its `group` property.
    pub group: Option<String>,
}

/// TTL of every catalog record: consumers read the catalog by transfer,
/// never through resolvers, so nothing should be cached.
const TTL: u32 = 0;
/// SOA timers: NOTIFY does the work; refresh and retry are the fallback
/// when a NOTIFY is lost. Expire is long because a consumer whose catalog
/// expires may drop every member zone.
const REFRESH: u32 = 300;
const RETRY: u32 = 60;
const EXPIRE: u32 = 2_419_200;
const MINIMUM: u32 = 0;

/// The member id of `zone` (the `<id>` label in `<id>.zones.<catalog>`):
/// the SHA-1 of the lower-case wire form of its name, in hex, as BIND's
/// and PowerDNS's producers and RFC 9432's own example make it.
/// Deterministic, so a member keeps its id for as long as it is listed
/// (a consumer drops and re-transfers a zone whose id changes, RFC 9432
/// §5.4), and a producer restarted from nothing gives the same ids.
pub fn member_id(zone: &Name) -> String {
    let digest = Sha1::digest(zone.to_lowercase().as_wire());
    let mut id = String::with_capacity(digest.len() * 2);
    for octet in digest {
        id.push_str(&format!("{octet:02x}"));
    }
    id
}

/// The catalog zone's records at `serial` for `members` (in any order;
/// a zone listed twice is listed once). Fails only when `apex` is too long
/// to hold member names below it.
pub fn records(apex: &Name, serial: Serial, members: &[Member]) -> Result<Vec<Record>, NameError> {
    let apex = apex.to_lowercase();
    let invalid = Name::from_wire(b"\x07invalid\x00")?;
    let record = |owner: Name, rtype: Rtype, rdata: Vec<u8>| Record {
        owner,
        rtype,
        class: Class::IN,
        ttl: TTL,
        rdata,
    };
    let mut soa = Vec::new();
    soa.extend_from_slice(invalid.as_wire());
    soa.extend_from_slice(invalid.as_wire());
    for value in [serial.0, REFRESH, RETRY, EXPIRE, MINIMUM] {
        soa.extend_from_slice(&value.to_be_bytes());
    }
    let mut out = vec![
        record(apex.clone(), Rtype::SOA, soa),
        // RFC 9432 §4: an NS record is needed for a valid zone; `invalid.`
        // makes sure nothing ever sends queries for it anywhere.
        record(apex.clone(), Rtype::NS, invalid.as_wire().to_vec()),
        // §4.2.1: exactly one version record.
        record(
            apex.prepend_label(b"version")?,
            Rtype::TXT,
            character_string(b"2"),
        ),
    ];
    let zones = apex.prepend_label(b"zones")?;
    let mut members: Vec<&Member> = members.iter().collect();
    members.sort_by(|a, b| a.zone.cmp(&b.zone));
    members.dedup_by(|a, b| a.zone == b.zone);
    for member in members {
        let owner = zones.prepend_label(member_id(&member.zone).as_bytes())?;
        if let Some(group) = &member.group {
            out.push(record(
                owner.prepend_label(b"group")?,
                Rtype::TXT,
                character_string(group.as_bytes()),
            ));
        }
        out.push(record(
            owner,
            Rtype::PTR,
            member.zone.to_lowercase().as_wire().to_vec(),
        ));
    }
    Ok(out)
}

/// The serial of a catalog rebuilt from the store: the last one published
/// if the content is the same, one more if it changed (RFC 1982), and the
/// current Unix time for a catalog never published on this node, so a
/// producer that lost its data directory still starts above what the
/// consumers hold.
pub fn next_serial(last: Option<Serial>, changed: bool, unix_now: u64) -> Serial {
    match last {
        Some(serial) if changed => serial + 1,
        Some(serial) => serial,
        None => Serial(unix_now as u32),
    }
}

/// One TXT character-string; longer text is cut at 255 octets (the
/// configuration refuses such groups).
fn character_string(text: &[u8]) -> Vec<u8> {
    let text = &text[..text.len().min(255)];
    let mut out = Vec::with_capacity(text.len() + 1);
    out.push(text.len() as u8);
    out.extend_from_slice(text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        text.parse().unwrap()
    }

    #[test]
    fn member_ids_are_the_sha1_of_the_lower_case_wire_name() {
        // RFC 9432 §4.1's example id (BIND's documentation uses the same):
        // the SHA-1 of `domain.example.`'s wire form.
        assert_eq!(
            member_id(&name("domain.example.")),
            "5960775ba382e7a4e09263fc06e7c00569b6a05c"
        );
        assert_eq!(
            member_id(&name("EXAMPLE.com.")),
            member_id(&name("example.com."))
        );
        assert_ne!(
            member_id(&name("example.net.")),
            member_id(&name("example.com."))
        );
    }

    #[test]
    fn catalog_has_soa_ns_one_version_and_a_ptr_per_member() {
        let members = [
            Member {
                zone: name("b.example."),
                group: Some("external".into()),
            },
            Member {
                zone: name("A.example."),
                group: None,
            },
            Member {
                zone: name("a.example."),
                group: None,
            },
        ];
        let records = records(&name("Catalog.hadns."), Serial(7), &members).unwrap();
        let count = |rtype: Rtype| records.iter().filter(|r| r.rtype == rtype).count();
        assert_eq!(count(Rtype::SOA), 1);
        assert_eq!(count(Rtype::NS), 1);
        assert_eq!(count(Rtype::PTR), 2, "a zone listed twice is one member");
        let version: Vec<_> = records
            .iter()
            .filter(|r| r.owner == name("version.catalog.hadns."))
            .collect();
        assert_eq!(version.len(), 1);
        assert_eq!(version[0].rdata, b"\x012");
        let soa = records.iter().find(|r| r.rtype == Rtype::SOA).unwrap();
        assert_eq!(wire::rdata::soa_numbers(&soa.rdata).unwrap()[0], 7);
        let id = member_id(&name("b.example."));
        let ptr = records
            .iter()
            .find(|r| r.owner == name(&format!("{id}.zones.catalog.hadns.")))
            .unwrap();
        assert_eq!(ptr.rdata, name("b.example.").as_wire());
        let group = records
            .iter()
            .find(|r| r.owner == name(&format!("group.{id}.zones.catalog.hadns.")))
            .unwrap();
        assert_eq!(group.rdata, b"\x08external");
        assert!(records.iter().all(|r| r.ttl == 0));
        // The records make a zone.
        zone::Zone::build(
            &name("catalog.hadns."),
            records,
            zone::BuildOptions::default(),
        )
        .unwrap();
    }

    #[test]
    fn serial_moves_only_when_the_catalog_changes() {
        assert_eq!(
            next_serial(Some(Serial(5)), false, 1_700_000_000),
            Serial(5)
        );
        assert_eq!(next_serial(Some(Serial(5)), true, 1_700_000_000), Serial(6));
        assert_eq!(next_serial(Some(Serial(u32::MAX)), true, 0), Serial(0));
        assert_eq!(
            next_serial(None, true, 1_700_000_000),
            Serial(1_700_000_000)
        );
    }

    #[test]
    fn an_apex_too_long_for_member_names_is_an_error() {
        let label = "a".repeat(63);
        // 204 octets: the member's PTR owner fits (251), its group's does not.
        let long = format!("{label}.{label}.{label}.abcdefghij.");
        let member = |group: Option<&str>| Member {
            zone: name("x."),
            group: group.map(String::from),
        };
        assert!(records(&name(&long), Serial(1), &[member(None)]).is_ok());
        assert!(records(&name(&long), Serial(1), &[member(Some("g"))]).is_err());
    }
}
