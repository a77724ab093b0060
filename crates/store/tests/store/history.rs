//! The journal: history, single changes, the changes since a serial, and
//! reverts.

use store::{ChangeMeta, ChangeSet, RrsetOp, SerialPolicy, Source, WriteError};
use wire::{Record, Rtype, Serial};

use crate::fixture::*;

/// example.com after three changes (serials 2, 3, 4), with the served
/// records at serial 2.
struct Story {
    f: Fixture,
    at_2: Vec<Record>,
    at_4: Vec<Record>,
}

/// Builds the [`Story`].
fn story() -> Story {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let zone = name("example.com");
    let by = |author: &str, comment: &str, now: u64| ChangeMeta {
        author: author.to_string(),
        source: Source::Ui,
        comment: Some(comment.to_string()),
        now,
    };
    let apply =
        |changes, meta: ChangeMeta| f.store.apply(&zone, &ChangeSet { changes }, &meta).unwrap();
    apply(
        vec![replace("www", Rtype::A, 300, &["192.0.2.3"])],
        by("bob", "move www", NOW + 10),
    );
    let at_2 = f.store.zone_records(&zone).unwrap();
    apply(
        vec![
            replace("txt", Rtype::TXT, 60, &["\"hello\""]),
            change("mail", Rtype::A, RrsetOp::Delete),
        ],
        by("carol", "tidy", NOW + 20),
    );
    apply(
        vec![
            change(
                "www",
                Rtype::A,
                RrsetOp::Replace {
                    ttl: 300,
                    records: vec![disabled(Rtype::A, "192.0.2.3")],
                },
            ),
            replace("www", Rtype::AAAA, 300, &["2001:db8::1"]),
            replace(
                "@",
                Rtype::SOA,
                1800,
                &["ns1.example.com. hostmaster.example.com. 3 7200 900 604800 300"],
            ),
        ],
        by("dave", "ipv6 only", NOW + 30),
    );
    let at_4 = f.store.zone_records(&zone).unwrap();
    Story { f, at_2, at_4 }
}

/// The records without the SOA.
fn without_soa(records: &[Record]) -> Vec<String> {
    served_text(
        &records
            .iter()
            .filter(|r| r.rtype != Rtype::SOA)
            .cloned()
            .collect::<Vec<_>>(),
    )
}

/// The SOA with its serial zeroed, in text.
fn soa_fields(records: &[Record]) -> String {
    let mut soa = records
        .iter()
        .find(|r| r.rtype == Rtype::SOA)
        .unwrap()
        .clone();
    wire::rdata::set_soa_serial(&mut soa.rdata, 0);
    soa.to_string()
}

#[test]
fn history_is_newest_first_with_who_when_and_why() {
    let s = story();
    let zone = name("example.com");
    let history = s.f.store.history(&zone, 100, None).unwrap();
    let serials: Vec<(u32, u32)> = history
        .iter()
        .map(|e| (e.serial_from.0, e.serial_to.0))
        .collect();
    assert_eq!(serials, [(3, 4), (2, 3), (1, 2), (0, 1)]);
    let newest = &history[0];
    assert_eq!(newest.author, "dave");
    assert_eq!(newest.source, Source::Ui);
    assert_eq!(newest.changed_at, NOW + 30);
    assert_eq!(newest.comment.as_deref(), Some("ipv6 only"));
    // Removed: old SOA and the now disabled A; added: new SOA and the AAAA.
    assert_eq!((newest.removed_count, newest.added_count), (2, 2));
    let creation = &history[3];
    assert_eq!(
        (creation.author.as_str(), creation.source),
        ("alice", Source::Api)
    );
    assert_eq!(creation.removed_count, 0);
    assert_eq!(creation.added_count, 8);

    let first_two = s.f.store.history(&zone, 2, None).unwrap();
    assert_eq!(first_two, history[..2]);
    let older = s.f.store.history(&zone, 100, Some(Serial(3))).unwrap();
    assert_eq!(older, history[2..]);
    let page = s.f.store.history(&zone, 1, Some(Serial(3))).unwrap();
    assert_eq!(page, history[2..3]);
    // A serial the journal never produced pages by RFC 1982 order.
    let all = s.f.store.history(&zone, 100, Some(Serial(1000))).unwrap();
    assert_eq!(all, history);
    assert!(
        s.f.store
            .history(&name("example.org"), 10, None)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn change_returns_exactly_the_records_removed_and_added() {
    let s = story();
    let zone = name("example.com");
    let change = s.f.store.change(&zone, Serial(3)).unwrap().unwrap();
    assert_eq!(change.entry.author, "carol");
    assert_eq!(
        change
            .removed
            .iter()
            .map(Record::to_string)
            .collect::<Vec<_>>(),
        [
            "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2 10800 3600 604800 3600",
            "mail.example.com. 300 IN A 192.0.2.10",
        ]
    );
    assert_eq!(
        change
            .added
            .iter()
            .map(Record::to_string)
            .collect::<Vec<_>>(),
        [
            "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 3 10800 3600 604800 3600",
            "txt.example.com. 60 IN TXT \"hello\"",
        ]
    );
    let latest = s.f.store.change(&zone, Serial(4)).unwrap().unwrap();
    assert_eq!(
        latest
            .added
            .iter()
            .map(Record::to_string)
            .collect::<Vec<_>>(),
        [
            "example.com. 1800 IN SOA ns1.example.com. hostmaster.example.com. 4 7200 900 604800 300",
            "www.example.com. 300 IN AAAA 2001:db8::1",
        ]
    );
    assert!(s.f.store.change(&zone, Serial(99)).unwrap().is_none());
}

#[test]
fn changes_since_a_serial_lead_to_the_current_one_oldest_first() {
    let s = story();
    let zone = name("example.com");
    let since_2 = s.f.store.changes_since(&zone, Serial(2)).unwrap().unwrap();
    let serials: Vec<(u32, u32)> = since_2
        .iter()
        .map(|c| (c.entry.serial_from.0, c.entry.serial_to.0))
        .collect();
    assert_eq!(serials, [(2, 3), (3, 4)]);
    assert_eq!(
        s.f.store
            .changes_since(&zone, Serial(1))
            .unwrap()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        s.f.store.changes_since(&zone, Serial(4)).unwrap(),
        Some(Vec::new())
    );
    assert_eq!(s.f.store.changes_since(&zone, Serial(0)).unwrap(), None);
    assert_eq!(s.f.store.changes_since(&zone, Serial(77)).unwrap(), None);
}

#[test]
fn revert_restores_old_content_as_a_new_change_matching_its_preview() {
    let s = story();
    let zone = name("example.com");
    let history_before = s.f.store.history(&zone, 100, None).unwrap();
    let preview =
        s.f.store
            .preview_revert(&zone, Serial(2), NOW + 40)
            .unwrap();
    let applied = s.f.store.revert(&zone, Serial(2), &meta(NOW + 40)).unwrap();
    assert_eq!((applied.from, applied.to), (Serial(4), Serial(5)));
    assert_eq!((applied.removed.clone(), applied.added.clone()), preview);

    let now = s.f.store.zone_records(&zone).unwrap();
    assert_eq!(without_soa(&now), without_soa(&s.at_2));
    assert_eq!(soa_fields(&now), soa_fields(&s.at_2));
    assert_eq!(s.f.serial(), Serial(5));

    // History is kept, with the revert on top.
    let history = s.f.store.history(&zone, 100, None).unwrap();
    assert_eq!(history[1..], history_before[..]);
    assert_eq!(
        (history[0].serial_from, history[0].serial_to),
        (Serial(4), Serial(5))
    );
    assert_eq!(history[0].comment.as_deref(), Some("revert to serial 2"));
    let entry = s.f.store.change(&zone, Serial(5)).unwrap().unwrap();
    assert_eq!(entry.removed, applied.removed);
    assert_eq!(entry.added, applied.added);

    // The A record that was disabled is served again, stored once.
    let www =
        s.f.store
            .rrsets(&zone)
            .unwrap()
            .into_iter()
            .find(|r| r.name == name("www.example.com") && r.rtype == Rtype::A)
            .unwrap();
    assert_eq!(www.records.len(), 1);
    assert!(!www.records[0].disabled);

    // A revert can itself be reverted.
    s.f.store.revert(&zone, Serial(4), &meta(NOW + 50)).unwrap();
    let again = s.f.store.zone_records(&zone).unwrap();
    assert_eq!(without_soa(&again), without_soa(&s.at_4));
    assert_eq!(s.f.serial(), Serial(6));
}

#[test]
fn revert_keeps_records_disabled_since_then_stored() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let zone = name("example.com");
    f.apply(vec![replace("www", Rtype::A, 300, &["192.0.2.3"])])
        .unwrap();
    let op = RrsetOp::Extend {
        ttl: 300,
        records: vec![disabled(Rtype::A, "192.0.2.200")],
    };
    f.apply(vec![change("www", Rtype::A, op)]).unwrap();
    f.store.revert(&zone, Serial(1), &meta(NOW)).unwrap();
    let www = f
        .store
        .rrsets(&zone)
        .unwrap()
        .into_iter()
        .find(|r| r.name == name("www.example.com") && r.rtype == Rtype::A)
        .unwrap();
    let records: Vec<(&str, bool)> = www
        .records
        .iter()
        .map(|r| (r.content.as_str(), r.disabled))
        .collect();
    assert_eq!(
        records,
        [
            ("192.0.2.1", false),
            ("192.0.2.2", false),
            ("192.0.2.200", true)
        ]
    );
}

#[test]
fn revert_to_a_serial_the_journal_does_not_reach_is_refused() {
    let s = story();
    let zone = name("example.com");
    let before = s.f.dump();
    for serial in [Serial(77), Serial(0)] {
        let error = s.f.store.revert(&zone, serial, &meta(NOW)).unwrap_err();
        assert!(
            matches!(error, WriteError::HistoryTooShort { serial: s, .. } if s == serial),
            "{error}"
        );
        assert!(s.f.store.preview_revert(&zone, serial, NOW).is_err());
    }
    assert_eq!(
        s.f.store
            .revert(&zone, Serial(77), &meta(NOW))
            .unwrap_err()
            .to_string(),
        "the history of example.com. does not reach back to serial 77"
    );
    assert_eq!(s.f.dump(), before);
}

#[test]
fn revert_to_the_current_serial_changes_nothing() {
    let s = story();
    let before = s.f.dump();
    let applied =
        s.f.store
            .revert(&name("example.com"), Serial(4), &meta(NOW))
            .unwrap();
    assert_eq!((applied.from, applied.to), (Serial(4), Serial(4)));
    assert!(applied.added.is_empty());
    assert_eq!(s.f.dump(), before);
}

#[test]
fn a_change_previewed_writes_nothing_and_matches_what_it_then_does() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let zone = name("example.com");
    let before = f.dump();
    let history = f.store.history(&zone, 100, None).unwrap().len();
    let changes = ChangeSet {
        changes: vec![
            replace("www", Rtype::A, 120, &["192.0.2.9"]),
            change("mail", Rtype::A, RrsetOp::Delete),
        ],
    };
    let (removed, added) = f.store.preview(&zone, &changes, NOW + 5).unwrap();
    assert_eq!(f.dump(), before, "a preview wrote to the store");
    assert_eq!(f.store.history(&zone, 100, None).unwrap().len(), history);
    let applied = f.store.apply(&zone, &changes, &meta(NOW + 5)).unwrap();
    assert_eq!((removed, added), (applied.removed, applied.added));
    // What apply refuses, the preview refuses too, and still writes nothing.
    let after = f.dump();
    let refused = ChangeSet {
        changes: vec![replace("www", Rtype::CNAME, 60, &["other.example.net."])],
    };
    assert!(matches!(
        f.store.preview(&zone, &refused, NOW + 6),
        Err(WriteError::Validation { .. })
    ));
    assert_eq!(f.dump(), after);
}

#[test]
fn rrsets_at_reads_the_sets_of_the_names_asked_for() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let zone = name("example.com");
    let names = [name("www.example.com"), name("nowhere.example.com")]
        .into_iter()
        .collect();
    let sets = f.store.rrsets_at(&zone, &names).unwrap();
    assert!(!sets.is_empty());
    assert!(sets.iter().all(|s| s.name == name("www.example.com")));
    let everything = f.store.rrsets(&zone).unwrap();
    for set in &sets {
        let stored = everything
            .iter()
            .find(|e| e.name == set.name && e.rtype == set.rtype)
            .unwrap();
        assert_eq!((stored.ttl, &stored.records), (set.ttl, &set.records));
    }
    assert!(
        f.store
            .rrsets_at(&name("nope.test"), &names)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn zone_kind_reads_the_row_alone() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    assert_eq!(
        f.store.zone_kind(&name("example.com")).unwrap(),
        Some(store::ZoneKind::Master)
    );
    assert_eq!(
        f.store.zone_kind(&name("EXAMPLE.com")).unwrap(),
        Some(store::ZoneKind::Master)
    );
    assert_eq!(f.store.zone_kind(&name("nope.test")).unwrap(), None);
}

#[test]
fn history_pages_read_the_first_records_of_each_change() {
    let s = story();
    let zone = name("example.com");
    let history = s.f.store.history(&zone, 100, None).unwrap();
    // A change of many records: only its first ones are read.
    let many: Vec<String> = (1..=200).map(|i| format!("192.0.2.{}", i % 250)).collect();
    let texts: Vec<&str> = many.iter().map(String::as_str).collect();
    s.f.apply(vec![extend(
        "bulk",
        Rtype::A,
        60,
        &texts[..200.min(texts.len())],
    )])
    .unwrap();
    let heads = s.f.store.history_heads_in(&zone, None, 3, None, 5).unwrap();
    assert_eq!(heads.len(), 3);
    let newest = &heads[0];
    assert_eq!(newest.entry.added_count, 201, "the SOA and 200 addresses");
    assert_eq!(newest.added.len(), 5, "only the first five read");
    let full =
        s.f.store
            .change(&zone, newest.entry.serial_to)
            .unwrap()
            .unwrap();
    assert_eq!(
        newest.added[..],
        full.added[..5],
        "the same records, in order"
    );
    assert_eq!(newest.removed[..], full.removed[..], "all of a short side");
    // Entries and paging are history's.
    let entries: Vec<_> = heads[1..].iter().map(|h| h.entry.clone()).collect();
    assert_eq!(entries, history[..2]);
    let older =
        s.f.store
            .history_heads_in(&zone, None, 100, Some(history[1].serial_to), 50)
            .unwrap();
    assert_eq!(
        older.iter().map(|h| h.entry.clone()).collect::<Vec<_>>(),
        history[2..]
    );
    for head in &older {
        let change =
            s.f.store
                .change(&zone, head.entry.serial_to)
                .unwrap()
                .unwrap();
        assert_eq!(
            (head.removed.clone(), head.added.clone()),
            (change.removed, change.added)
        );
    }
    // The confirmation of one change reads its head too.
    let one =
        s.f.store
            .change_head_in(&zone, None, newest.entry.serial_to, 2)
            .unwrap()
            .unwrap();
    assert_eq!(
        (one.entry.clone(), one.added.len()),
        (newest.entry.clone(), 2)
    );
    assert!(
        s.f.store
            .change_head_in(&zone, None, Serial(999), 2)
            .unwrap()
            .is_none()
    );
}
