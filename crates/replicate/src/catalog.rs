//! Reading a catalog zone as a consumer (RFC 9432, version 2): the records
//! of a transferred catalog in, its member set out, and the difference
//! between two member sets. Pure: the node's consumer task
//! (`node::catalog_consumer`) adds and removes the zones.
//!
//! ```text
//!  catalog.example.                   SOA / NS           ignored
//!  version.catalog.example.           TXT "2"            exactly one, or the catalog is broken
//!  <id>.zones.catalog.example.        PTR member.        one member (one PTR per id)
//!  group.<id>.zones.catalog.example.  TXT "name"         the member's group (first string)
//!  anything else (coo, ext, …)                           ignored
//! ```
//!
//! A broken catalog yields [`BrokenCatalog`] and no member set: the
//! consumer keeps the last good one, so a bad transfer never removes zones.

use std::collections::{BTreeMap, HashMap, HashSet};

use wire::{Name, Record, Rtype};

/// Most members a catalog may list. A catalog above it is treated as
/// broken rather than trimmed: which members to drop would be arbitrary,
/// and each member costs a journal, a copy and a transfer task.
pub const MAX_MEMBERS: usize = 100_000;

/// One member zone as its catalog lists it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Member {
    /// The member zone's apex (lower case).
    pub zone: Name,
    /// Its unique id (the `<id>` label, lower case): a change of id means
    /// the zone must be transferred afresh (RFC 9432 §5.4).
    pub id: Vec<u8>,
    /// Its `group` property, if any (§4.4.2).
    pub group: Option<String>,
}

/// Why a catalog's member set could not be read; the consumer keeps the
/// members it had.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BrokenCatalog {
    /// No `version` TXT record (§4.2.1).
    #[error("no version TXT record")]
    NoVersion,
    /// More than one `version` TXT record.
    #[error("{0} version TXT records (exactly one is allowed)")]
    SeveralVersions(usize),
    /// A `version` this consumer does not read (only "2").
    #[error("unsupported schema version {0:?} (only \"2\" is read)")]
    UnsupportedVersion(String),
    /// A member PTR whose RDATA is not one uncompressed name.
    #[error("member {id}: PTR target is not a domain name")]
    BadTarget {
        /// The member's id label.
        id: String,
    },
    /// A member PTR naming the root, the catalog itself or a name in it.
    #[error("member {id}: {zone} cannot be a member zone")]
    ForbiddenMember {
        /// The member's id label.
        id: String,
        /// The name it points at.
        zone: Name,
    },
    /// Several PTR records under one id (§4.1: exactly one).
    #[error("member {id}: {count} PTR records (exactly one is allowed)")]
    SeveralTargets {
        /// The member's id label.
        id: String,
        /// How many.
        count: usize,
    },
    /// One zone listed under two ids (§4.1: a zone is listed once).
    #[error("zone {zone} is listed under two ids")]
    DuplicateZone {
        /// The zone.
        zone: Name,
    },
    /// More members than [`MAX_MEMBERS`].
    #[error("more than {MAX_MEMBERS} members")]
    TooManyMembers,
}

/// The member set of the catalog at `apex`, from its records (in any
/// order), sorted by zone name.
pub fn members<'a>(
    apex: &Name,
    records: impl IntoIterator<Item = &'a Record>,
) -> Result<Vec<Member>, BrokenCatalog> {
    let apex = apex.to_lowercase();
    // Both prepends fail only for an apex within a few octets of the
    // longest name, whose catalog could hold no member anyway.
    let (Ok(version_owner), Ok(zones)) =
        (apex.prepend_label(b"version"), apex.prepend_label(b"zones"))
    else {
        return Err(BrokenCatalog::NoVersion);
    };
    let zones_depth = zones.label_count();
    let mut versions = Vec::new();
    // id → PTR targets; id → first group string.
    let mut targets: BTreeMap<Vec<u8>, Vec<&'a [u8]>> = BTreeMap::new();
    let mut groups: HashMap<Vec<u8>, String> = HashMap::new();
    for record in records {
        let owner = &record.owner;
        if record.rtype == Rtype::TXT && *owner == version_owner {
            versions.push(record.rdata.as_slice());
            continue;
        }
        if !owner.is_subdomain_of(&zones) {
            continue;
        }
        let depth = owner.label_count();
        let mut labels = owner.labels();
        if record.rtype == Rtype::PTR && depth == zones_depth + 1 {
            let id = labels.next().unwrap_or_default().to_ascii_lowercase();
            targets.entry(id).or_default().push(&record.rdata);
            if targets.len() > MAX_MEMBERS {
                return Err(BrokenCatalog::TooManyMembers);
            }
        } else if record.rtype == Rtype::TXT && depth == zones_depth + 2 {
            let property = labels.next().unwrap_or_default();
            let id = labels.next().unwrap_or_default().to_ascii_lowercase();
            if property.eq_ignore_ascii_case(b"group")
                && let Some(text) = first_string(&record.rdata)
            {
                // Several group records: the first seen wins; a snapshot
                // lists records in a fixed order, so the choice is stable.
                groups.entry(id).or_insert(text);
            }
        }
        // Other properties (coo, ext, unknown ones) are ignored (§4.4).
    }
    match versions.as_slice() {
        [] => return Err(BrokenCatalog::NoVersion),
        [one] => {
            let text = first_string(one).unwrap_or_default();
            // Exactly one string "2": `"2" "x"` is not version 2.
            if text != "2" || one.len() != 2 {
                return Err(BrokenCatalog::UnsupportedVersion(text));
            }
        }
        several => return Err(BrokenCatalog::SeveralVersions(several.len())),
    }
    let mut out = Vec::with_capacity(targets.len());
    let mut seen: HashSet<Name> = HashSet::with_capacity(targets.len());
    for (id, rdatas) in targets {
        let id_text = String::from_utf8_lossy(&id).into_owned();
        let [rdata] = rdatas.as_slice() else {
            return Err(BrokenCatalog::SeveralTargets {
                id: id_text,
                count: rdatas.len(),
            });
        };
        let zone = Name::from_wire(rdata)
            .map_err(|_| BrokenCatalog::BadTarget {
                id: id_text.clone(),
            })?
            .to_lowercase();
        if zone.is_root() || zone.is_subdomain_of(&apex) {
            return Err(BrokenCatalog::ForbiddenMember { id: id_text, zone });
        }
        if !seen.insert(zone.clone()) {
            return Err(BrokenCatalog::DuplicateZone { zone });
        }
        let group = groups.remove(&id);
        out.push(Member { zone, id, group });
    }
    out.sort();
    Ok(out)
}

/// The first character-string of TXT RDATA as text (lossy UTF-8), if the
/// RDATA holds one whole.
fn first_string(rdata: &[u8]) -> Option<String> {
    let (&len, rest) = rdata.split_first()?;
    let text = rest.get(..len as usize)?;
    Some(String::from_utf8_lossy(text).into_owned())
}

/// What to do to go from one member set to another.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MemberChanges {
    /// Members to stop serving (gone, or changed id or group: re-added).
    pub removed: Vec<Member>,
    /// Members to start serving.
    pub added: Vec<Member>,
}

/// The changes from `old` to `new`. A member whose id or group changed is
/// both removed and added: a new id asks for a fresh transfer (RFC 9432
/// §5.4), and a new group may mean other primaries.
pub fn changes(old: &[Member], new: &[Member]) -> MemberChanges {
    let old_set: HashSet<&Member> = old.iter().collect();
    let new_set: HashSet<&Member> = new.iter().collect();
    MemberChanges {
        removed: old
            .iter()
            .filter(|m| !new_set.contains(m))
            .cloned()
            .collect(),
        added: new
            .iter()
            .filter(|m| !old_set.contains(m))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::Class;

    fn name(text: &str) -> Name {
        Name::from_text(text, Some(&Name::root())).unwrap()
    }

    fn record(owner: &str, rtype: Rtype, rdata: Vec<u8>) -> Record {
        Record {
            owner: name(owner),
            rtype,
            class: Class::IN,
            ttl: 0,
            rdata,
        }
    }

    fn txt(text: &str) -> Vec<u8> {
        let mut out = vec![text.len() as u8];
        out.extend_from_slice(text.as_bytes());
        out
    }

    fn ptr(target: &str) -> Vec<u8> {
        name(target).as_wire().to_vec()
    }

    fn catalog(extra: Vec<Record>) -> Vec<Record> {
        let mut out = vec![
            record("cat.", Rtype::NS, ptr("invalid.")),
            record("version.cat.", Rtype::TXT, txt("2")),
        ];
        out.extend(extra);
        out
    }

    fn member(zone: &str, id: &str, group: Option<&str>) -> Member {
        Member {
            zone: name(zone),
            id: id.as_bytes().to_vec(),
            group: group.map(str::to_string),
        }
    }

    #[test]
    fn members_with_groups_are_read() {
        let records = catalog(vec![
            record("b.zones.cat.", Rtype::PTR, ptr("Two.Example.")),
            record("a.zones.cat.", Rtype::PTR, ptr("one.example.")),
            record("group.a.zones.cat.", Rtype::TXT, txt("internal")),
            record("coo.b.zones.cat.", Rtype::PTR, ptr("other-cat.")),
            record("ext.cat.", Rtype::TXT, txt("ignored")),
        ]);
        assert_eq!(
            members(&name("cat."), &records),
            Ok(vec![
                member("one.example.", "a", Some("internal")),
                member("two.example.", "b", None),
            ])
        );
    }

    #[test]
    fn empty_catalog_has_no_members() {
        assert_eq!(members(&name("cat."), &catalog(vec![])), Ok(vec![]));
    }

    #[test]
    fn missing_version_is_broken() {
        let records = vec![record("a.zones.cat.", Rtype::PTR, ptr("one.example."))];
        assert_eq!(
            members(&name("cat."), &records),
            Err(BrokenCatalog::NoVersion)
        );
    }

    #[test]
    fn version_one_is_broken() {
        let records = vec![record("version.cat.", Rtype::TXT, txt("1"))];
        assert_eq!(
            members(&name("cat."), &records),
            Err(BrokenCatalog::UnsupportedVersion("1".into()))
        );
    }

    #[test]
    fn two_version_records_are_broken() {
        let records = catalog(vec![record("version.cat.", Rtype::TXT, txt("1"))]);
        assert_eq!(
            members(&name("cat."), &records),
            Err(BrokenCatalog::SeveralVersions(2))
        );
    }

    #[test]
    fn version_with_a_second_string_is_broken() {
        let mut rdata = txt("2");
        rdata.extend(txt("x"));
        let records = vec![record("version.cat.", Rtype::TXT, rdata)];
        assert!(matches!(
            members(&name("cat."), &records),
            Err(BrokenCatalog::UnsupportedVersion(_))
        ));
    }

    #[test]
    fn two_ptrs_under_one_id_are_broken() {
        let records = catalog(vec![
            record("a.zones.cat.", Rtype::PTR, ptr("one.example.")),
            record("a.zones.cat.", Rtype::PTR, ptr("two.example.")),
        ]);
        assert!(matches!(
            members(&name("cat."), &records),
            Err(BrokenCatalog::SeveralTargets { count: 2, .. })
        ));
    }

    #[test]
    fn one_zone_under_two_ids_is_broken() {
        let records = catalog(vec![
            record("a.zones.cat.", Rtype::PTR, ptr("one.example.")),
            record("b.zones.cat.", Rtype::PTR, ptr("ONE.example.")),
        ]);
        assert!(matches!(
            members(&name("cat."), &records),
            Err(BrokenCatalog::DuplicateZone { .. })
        ));
    }

    #[test]
    fn garbage_ptr_target_is_broken_not_a_panic() {
        for rdata in [vec![], vec![5, b'a'], vec![1, b'a', 0, 0], vec![0xc0, 0x0c]] {
            let records = catalog(vec![record("a.zones.cat.", Rtype::PTR, rdata)]);
            assert!(matches!(
                members(&name("cat."), &records),
                Err(BrokenCatalog::BadTarget { .. })
            ));
        }
    }

    #[test]
    fn catalog_itself_root_or_names_in_it_are_not_members() {
        for target in [".", "cat.", "x.zones.cat."] {
            let records = catalog(vec![record("a.zones.cat.", Rtype::PTR, ptr(target))]);
            assert!(
                matches!(
                    members(&name("cat."), &records),
                    Err(BrokenCatalog::ForbiddenMember { .. })
                ),
                "{target}"
            );
        }
    }

    #[test]
    fn records_outside_the_member_layout_are_ignored() {
        let records = catalog(vec![
            record("zones.cat.", Rtype::PTR, ptr("apex-of-zones.example.")),
            record("x.y.zones.cat.", Rtype::PTR, ptr("too-deep.example.")),
            record("elsewhere.", Rtype::PTR, ptr("outside.example.")),
            record("group.a.zones.cat.", Rtype::TXT, vec![9, b'x']),
            record("a.zones.cat.", Rtype::PTR, ptr("one.example.")),
        ]);
        assert_eq!(
            members(&name("cat."), &records),
            Ok(vec![member("one.example.", "a", None)])
        );
    }

    #[test]
    fn more_than_the_cap_is_broken() {
        let mut extra = Vec::new();
        for i in 0..=MAX_MEMBERS {
            extra.push(record(
                &format!("m{i}.zones.cat."),
                Rtype::PTR,
                ptr(&format!("z{i}.example.")),
            ));
        }
        assert_eq!(
            members(&name("cat."), &catalog(extra)),
            Err(BrokenCatalog::TooManyMembers)
        );
    }

    #[test]
    fn changes_remove_gone_and_readd_changed_members() {
        let old = vec![
            member("a.example.", "1", None),
            member("b.example.", "2", None),
            member("c.example.", "3", None),
        ];
        let new = vec![
            member("a.example.", "1", None),
            member("b.example.", "9", None),
            member("c.example.", "3", Some("g")),
            member("d.example.", "4", None),
        ];
        let c = changes(&old, &new);
        assert_eq!(
            c.removed,
            vec![
                member("b.example.", "2", None),
                member("c.example.", "3", None)
            ]
        );
        assert_eq!(
            c.added,
            vec![
                member("b.example.", "9", None),
                member("c.example.", "3", Some("g")),
                member("d.example.", "4", None),
            ]
        );
        assert_eq!(changes(&new, &new), MemberChanges::default());
    }
}
