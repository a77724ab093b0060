//! The catalog target's check (fuzz/fuzz_targets/catalog.rs; replayed on
//! stable by tests/fuzz_corpus.rs): any text as the zone file of a catalog
//! zone (RFC 9432) at `catalog.invalid.`. Reading its members must not
//! panic; members come out sorted and unique, and the changes between any
//! two member sets, applied, lead from one to the other.

use std::path::Path;

use replicate::catalog::{changes, members};

/// Runs the check on one input.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.to_ascii_uppercase().contains("$INCLUDE") {
        return;
    }
    let apex = "catalog.invalid.".parse().unwrap();
    let Ok(file) = zonefile::parse_str(text, &apex, Path::new("/nonexistent/catalog.zone")) else {
        return;
    };
    let records: Vec<wire::Record> = file.records.into_iter().map(|r| r.record).collect();
    let Ok(found) = members(&apex, &records) else {
        return;
    };
    let names: Vec<String> = found.iter().map(|m| m.zone.to_string()).collect();
    for pair in found.windows(2) {
        assert!(pair[0] < pair[1], "members sorted: {names:?}");
        assert!(
            pair[0].zone != pair[1].zone,
            "a zone is a member once: {names:?}"
        );
    }
    // From nothing to the set, and from the set to its first half.
    let grown = changes(&[], &found);
    assert_eq!(grown.added.len(), found.len(), "every member is new");
    let half = &found[..found.len() / 2];
    let shrunk = changes(&found, half);
    assert_eq!(shrunk.removed.len(), found.len() - half.len());
}
