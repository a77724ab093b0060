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
//! moves on each change ([`next_serial`]), so the replicator
//! journals the difference (IXFR) and NOTIFYs like for any zone. At start
//! the catalog is rebuilt and compared with the copy the previous run
//! persisted, so a change committed just before a crash still reaches the
//! consumers.
//!
//! This module is pure: members in, records out.

use std::collections::BTreeMap;
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
    /// groups (`include_files = true`), by the view that defines them
    /// (`None` without views): a view's catalog lists only its own file
    /// zones. Empty without `include_files`.
    pub files: BTreeMap<Option<String>, Vec<Member>>,
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
    /// Its member id (the `<id>` label), see [`Member::file`] and
    /// [`Member::store`].
    pub id: String,
    /// Its `group` property.
    pub group: Option<String>,
}

impl Member {
    /// A zone read from a file: its id is [`member_id`] of its name alone,
    /// as it has no identity beyond its name.
    pub fn file(zone: Name, group: Option<String>) -> Member {
        Member {
            id: member_id(&zone),
            zone,
            group,
        }
    }

    /// A store zone with row id `row` (`store::ZoneInfo::id`): its id is
    /// [`store_member_id`], new when the zone is deleted and created again.
    pub fn store(zone: Name, row: i64, group: Option<String>) -> Member {
        Member {
            id: store_member_id(&zone, row),
            zone,
            group,
        }
    }
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

/// The member id of a zone read from a file (the `<id>` label in
/// `<id>.zones.<catalog>`): the SHA-1 of the lower-case wire form of its
/// name, in hex, as BIND's and PowerDNS's producers and RFC 9432's own
/// example make it. Deterministic, so a member keeps its id for as long as
/// it is listed, and a producer restarted from nothing gives the same ids.
pub fn member_id(zone: &Name) -> String {
    hex_sha1(&[zone.to_lowercase().as_wire()])
}

/// The member id of a store zone with row id `row`: the SHA-1 of the
/// lower-case wire form of its name followed by the row id (8 octets,
/// big-endian), in hex. The row id is stable while the zone exists and
/// never given again (the store's ids are AUTOINCREMENT), so a zone
/// deleted and created again gets a new id: a consumer that missed the
/// deletion (BIND reads the catalog at most every `min-update-interval`)
/// still sees a member whose id changed, which RFC 9432 §5.4 and §5.6 say
/// is a new zone to transfer from scratch, rather than keep serving the
/// old zone's copy until it expires (its serial may be higher).
pub fn store_member_id(zone: &Name, row: i64) -> String {
    hex_sha1(&[zone.to_lowercase().as_wire(), &row.to_be_bytes()])
}

/// The SHA-1 of the concatenated `parts`, in lower-case hex.
fn hex_sha1(parts: &[&[u8]]) -> String {
    let mut hasher = Sha1::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
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
        let owner = zones.prepend_label(member.id.as_bytes())?;
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

/// The serial of a catalog rebuilt from the store.
///
/// `dump` is the serial of the copy last published (in memory, or
/// persisted by the previous run), `journal` the newest serial in the
/// catalog's IXFR journal, `same_as_dump` whether the rebuilt content is
/// that copy's. The dump's serial is kept only when the content is the
/// same and the journal holds nothing newer: a crash between the journal
/// append and the dump leaves a journaled serial whose content this run
/// does not know, so it must not be given to other content. Otherwise the
/// serial is the newer (RFC 1982) of one more than the newest known and
/// the current Unix time, so it never repeats nor goes backwards while
/// either record survives, and a producer that lost both starts from the
/// clock, above what consumers hold unless more changes than seconds
/// went by (a limitation: consumers then need their catalog reloaded).
pub fn next_serial(
    dump: Option<Serial>,
    journal: Option<Serial>,
    same_as_dump: bool,
    unix_now: u64,
) -> Serial {
    let last = match (dump, journal) {
        (Some(d), Some(j)) if j.is_newer_than(d) => Some(j),
        (Some(d), _) => Some(d),
        (None, j) => j,
    };
    let clock = Serial(unix_now as u32);
    match last {
        Some(last) if same_as_dump && Some(last) == dump => last,
        Some(last) if clock.is_newer_than(last + 1) => clock,
        Some(last) => last + 1,
        None => clock,
    }
}

/// The members `include_files` adds, by view: every primary `[[zone]]`
/// read from a file, under the view that defines it (`None` without
/// views), with its `catalog_group` or `default_group`. A view's catalog
/// lists its own file zones only: another view's are not served there,
/// and may be a different zone of the same name with its own group.
pub fn file_members(
    zones: &[config::ZoneConfig],
    default_group: Option<&str>,
) -> BTreeMap<Option<String>, Vec<Member>> {
    let mut by_view: BTreeMap<Option<String>, Vec<Member>> = BTreeMap::new();
    for zone in zones
        .iter()
        .filter(|z| z.role == config::Role::Primary && z.file.is_some())
    {
        let group = zone
            .catalog_group
            .clone()
            .or_else(|| default_group.map(String::from));
        by_view
            .entry(zone.view.clone())
            .or_default()
            .push(Member::file(zone.name.to_lowercase(), group));
    }
    for members in by_view.values_mut() {
        members.sort();
    }
    by_view
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
    fn a_store_zone_created_again_is_a_new_member() {
        let zone = name("Example.com.");
        // The same row (the same zone, before and after a restart): the
        // same id, whatever the name's case.
        assert_eq!(
            store_member_id(&zone, 7),
            store_member_id(&name("example.com."), 7)
        );
        assert_eq!(
            Member::store(zone.clone(), 7, None).id,
            store_member_id(&zone, 7)
        );
        // Deleted and created again (a new row): a new id, which consumers
        // take as a new zone (RFC 9432 §5.6).
        assert_ne!(store_member_id(&zone, 7), store_member_id(&zone, 8));
        // The name and the row both count: SHA-1 of wire name ‖ row id.
        let mut input = name("example.com.").as_wire().to_vec();
        input.extend_from_slice(&7i64.to_be_bytes());
        assert_eq!(store_member_id(&zone, 7), hex_sha1(&[&input]));
        // A zone file has no row: its id is the name's alone.
        assert_eq!(Member::file(zone.clone(), None).id, member_id(&zone));
        assert_ne!(member_id(&zone), store_member_id(&zone, 7));
    }

    #[test]
    fn catalog_has_soa_ns_one_version_and_a_ptr_per_member() {
        let members = [
            Member::file(name("b.example."), Some("external".into())),
            Member::file(name("A.example."), None),
            Member::file(name("a.example."), None),
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
    fn serial_moves_only_when_the_catalog_changes_and_never_back() {
        const NOW: u64 = 1_700_000_000;
        let s = |n: u32| Some(Serial(n));
        // Unchanged content, nothing newer journaled: the same serial,
        // even one ahead of the clock.
        assert_eq!(next_serial(s(5), s(5), true, NOW), Serial(5));
        assert_eq!(
            next_serial(s(1_800_000_000), s(1_800_000_000), true, NOW),
            Serial(1_800_000_000)
        );
        // Changed: the clock when it is ahead, else one more.
        assert_eq!(next_serial(s(5), s(5), false, NOW), Serial(1_700_000_000));
        let ahead = 1_700_000_100;
        assert_eq!(
            next_serial(s(ahead), s(ahead), false, NOW),
            Serial(ahead + 1)
        );
        assert_eq!(
            next_serial(s(1_699_999_999), None, false, NOW),
            Serial(1_700_000_000)
        );
        // Same second: one more than the clock's value already used.
        assert_eq!(
            next_serial(s(1_700_000_000), None, false, NOW),
            Serial(1_700_000_001)
        );
        // Wrap-around (RFC 1982): u32::MAX + 1 is 0, which is newer.
        assert_eq!(next_serial(s(u32::MAX), None, false, 5), Serial(5));
        assert_eq!(
            next_serial(s(u32::MAX), None, false, u64::from(u32::MAX)),
            Serial(0)
        );
        // The dump lost but the journal kept: above the journal, not the
        // clock, when bulk changes pushed past the Unix time.
        assert_eq!(next_serial(None, s(ahead), false, NOW), Serial(ahead + 1));
        assert_eq!(next_serial(None, s(ahead), true, NOW), Serial(ahead + 1));
        // A crash between journal append and dump: the journal is newer
        // than the dump, so even content equal to the dump gets a new
        // serial, never the journaled one (whose content may differ).
        assert_eq!(
            next_serial(s(ahead), s(ahead + 1), true, NOW),
            Serial(ahead + 2)
        );
        assert_eq!(
            next_serial(s(ahead), s(ahead + 1), false, NOW),
            Serial(ahead + 2)
        );
        // An older journal (reset, or trimmed) does not pull it back.
        assert_eq!(next_serial(s(ahead), s(3), false, NOW), Serial(ahead + 1));
        // Never published: the clock.
        assert_eq!(next_serial(None, None, false, NOW), Serial(1_700_000_000));
    }

    #[test]
    fn each_view_lists_only_its_own_file_zones() {
        let config = config::Config::parse(
            r#"version = 1
[[view]]
name = "a"
match_clients = ["127.0.0.2"]
[[view]]
name = "b"
match_clients = ["any"]
[[zone]]
name = "only-a.test"
view = "a"
file = "/nonexistent/only-a.zone"
[[zone]]
name = "both.test"
view = "a"
file = "/nonexistent/both-a.zone"
catalog_group = "from-a"
[[zone]]
name = "both.test"
view = "b"
file = "/nonexistent/both-b.zone"
"#,
            None,
        )
        .unwrap();
        let files = file_members(&config.zones, Some("default"));
        let group = |g: &str| Some(g.to_string());
        assert_eq!(
            files.get(&Some("a".into())).unwrap(),
            &vec![
                Member::file(name("both.test."), group("from-a")),
                Member::file(name("only-a.test."), group("default")),
            ]
        );
        assert_eq!(
            files.get(&Some("b".into())).unwrap(),
            &vec![Member::file(name("both.test."), group("default"))],
            "view b has its own copy and group, and not view a's zones"
        );
        assert_eq!(files.len(), 2);
    }

    #[test]
    fn an_apex_too_long_for_member_names_is_an_error() {
        let label = "a".repeat(63);
        // 204 octets: the member's PTR owner fits (251), its group's does not.
        let long = format!("{label}.{label}.{label}.abcdefghij.");
        let member = |group: Option<&str>| Member::file(name("x."), group.map(String::from));
        assert!(records(&name(&long), Serial(1), &[member(None)]).is_ok());
        assert!(records(&name(&long), Serial(1), &[member(Some("g"))]).is_err());
    }
}
