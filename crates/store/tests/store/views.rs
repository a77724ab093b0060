//! Zones in views: base RRsets every view shares, a view's own RRsets in
//! place of (or hiding) the base's, each view with its own serial and
//! journal entries; a base change reaching the views that do not override
//! it.

use store::{ChangeSet, RrsetOp, SerialPolicy, Store, WriteError};
use wire::{Rtype, Serial};

use crate::fixture::{Fixture, NOW, change, extend, meta, name, replace, served_text};

fn in_view(f: &Fixture, view: &str) -> Vec<String> {
    served_text(
        &f.store
            .zone_records_in_view(&name("example.com"), view)
            .unwrap(),
    )
}

fn serial_of(records: &[String]) -> u32 {
    let soa = records
        .iter()
        .find(|r| r.contains(" SOA "))
        .expect("an SOA");
    soa.split_whitespace().nth(6).unwrap().parse().unwrap()
}

fn apply_in(
    f: &Fixture,
    view: &str,
    changes: Vec<store::RrsetChange>,
) -> Result<store::Applied, WriteError> {
    f.store.apply_in_view(
        &name("example.com"),
        view,
        &ChangeSet { changes },
        &meta(NOW),
    )
}

/// Journal rows of a view (or the base, `None`), straight from SQLite.
fn journal_rows(f: &Fixture, view: Option<&str>) -> i64 {
    let connection = rusqlite::Connection::open(&f.path).unwrap();
    match view {
        None => connection
            .query_row(
                "SELECT count(*) FROM journal WHERE view_id IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap(),
        Some(v) => connection
            .query_row(
                "SELECT count(*) FROM journal j JOIN views v ON v.id = j.view_id WHERE v.name = ?1",
                [v],
                |r| r.get(0),
            )
            .unwrap(),
    }
}

fn with_views() -> Fixture {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.store.sync_views(&["internal", "external"], NOW).unwrap();
    f
}

#[test]
fn a_views_own_rrset_replaces_the_base_one_there_only() {
    let f = with_views();
    let base_before = f.served();
    let applied = apply_in(
        &f,
        "internal",
        vec![replace("www", Rtype::A, 60, &["10.0.0.1"])],
    )
    .unwrap();
    assert_eq!((applied.from, applied.to), (Serial(1), Serial(2)));
    let internal = in_view(&f, "internal");
    assert!(
        internal.contains(&"www.example.com. 60 IN A 10.0.0.1".to_string()),
        "{internal:#?}"
    );
    assert!(
        !internal
            .iter()
            .any(|r| r.starts_with("www.example.com. 300 IN A"))
    );
    assert_eq!(serial_of(&internal), 2, "the view's own serial");
    assert_eq!(f.served(), base_before, "the base is untouched");
    assert_eq!(f.serial(), Serial(1));
    assert_eq!(
        in_view(&f, "external"),
        base_before,
        "a view with nothing of its own is the base"
    );
    assert_eq!(
        (
            journal_rows(&f, Some("internal")),
            journal_rows(&f, Some("external"))
        ),
        (1, 0)
    );
    // Hiding: the view deletes the CNAME the base keeps.
    apply_in(
        &f,
        "internal",
        vec![change("alias", Rtype::CNAME, RrsetOp::Delete)],
    )
    .unwrap();
    assert!(
        !in_view(&f, "internal")
            .iter()
            .any(|r| r.starts_with("alias."))
    );
    assert!(f.served().iter().any(|r| r.starts_with("alias.")));
    assert_eq!(serial_of(&in_view(&f, "internal")), 3);
}

#[test]
fn a_base_change_reaches_the_views_that_do_not_override_it() {
    let f = with_views();
    apply_in(
        &f,
        "internal",
        vec![replace("www", Rtype::A, 60, &["10.0.0.1"])],
    )
    .unwrap();
    // mail is not overridden: internal gets the change with its own serial.
    let (base, views) = f
        .store
        .apply_with_views(
            &name("example.com"),
            &ChangeSet {
                changes: vec![replace("mail", Rtype::A, 300, &["192.0.2.99"])],
            },
            &meta(NOW),
        )
        .unwrap();
    assert_eq!((base.from, base.to), (Serial(1), Serial(2)));
    assert_eq!(
        views.len(),
        1,
        "only the view with data of its own is listed"
    );
    assert_eq!(views[0].0, "internal");
    assert_eq!((views[0].1.from, views[0].1.to), (Serial(2), Serial(3)));
    let internal = in_view(&f, "internal");
    assert!(internal.contains(&"mail.example.com. 300 IN A 192.0.2.99".to_string()));
    assert!(
        internal.contains(&"www.example.com. 60 IN A 10.0.0.1".to_string()),
        "its own www stays"
    );
    assert_eq!(
        in_view(&f, "external"),
        f.served(),
        "external is the base, serial 2"
    );
    // www is overridden in internal: a base change to it does not reach it.
    let (_, views) = f
        .store
        .apply_with_views(
            &name("example.com"),
            &ChangeSet {
                changes: vec![replace("www", Rtype::A, 300, &["192.0.2.77"])],
            },
            &meta(NOW),
        )
        .unwrap();
    assert!(views.is_empty(), "{views:?}");
    assert_eq!(serial_of(&in_view(&f, "internal")), 3);
    assert!(in_view(&f, "internal").contains(&"www.example.com. 60 IN A 10.0.0.1".to_string()));
    // Setting the view's set back to the base's makes it shared again.
    apply_in(
        &f,
        "internal",
        vec![replace("www", Rtype::A, 300, &["192.0.2.77"])],
    )
    .unwrap();
    let (_, views) = f
        .store
        .apply_with_views(
            &name("example.com"),
            &ChangeSet {
                changes: vec![replace("www", Rtype::A, 300, &["192.0.2.78"])],
            },
            &meta(NOW),
        )
        .unwrap();
    assert_eq!(
        views.len(),
        1,
        "www is shared again, so the change reaches internal"
    );
    assert!(in_view(&f, "internal").contains(&"www.example.com. 300 IN A 192.0.2.78".to_string()));
}

#[test]
fn refused_changes_in_or_through_views_write_nothing() {
    let f = with_views();
    // In internal, mail becomes a CNAME (its A hidden there).
    apply_in(
        &f,
        "internal",
        vec![
            change("mail", Rtype::A, RrsetOp::Delete),
            replace("mail", Rtype::CNAME, 60, &["www.example.com."]),
        ],
    )
    .unwrap();
    let before = f.dump();
    // Unknown view.
    let e = apply_in(
        &f,
        "nowhere",
        vec![replace("www", Rtype::A, 60, &["10.0.0.9"])],
    )
    .unwrap_err();
    assert!(
        matches!(e, WriteError::NoSuchView(ref v) if v == "nowhere"),
        "{e}"
    );
    // A base change that breaks CNAME exclusivity in one view only.
    let e = f
        .store
        .apply_with_views(
            &name("example.com"),
            &ChangeSet {
                changes: vec![extend("mail", Rtype::TXT, 60, &["\"hello\""])],
            },
            &meta(NOW),
        )
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("in view internal: mail.example.com. "),
        "{e}"
    );
    // A change in a view checked as the whole view.
    let e = apply_in(
        &f,
        "internal",
        vec![extend("mail", Rtype::A, 60, &["10.0.0.5"])],
    )
    .unwrap_err();
    assert!(matches!(e, WriteError::Validation { .. }), "{e}");
    assert_eq!(f.dump(), before, "nothing written");
    // The views survive reopening the store.
    drop(f.store);
    let store = Store::open(&f.path).unwrap();
    let records = store
        .zone_records_in_view(&name("example.com"), "internal")
        .unwrap();
    assert!(
        records
            .iter()
            .any(|r| r.rtype == Rtype::CNAME && r.owner == name("mail.example.com"))
    );
}

#[test]
fn a_base_revert_reaches_the_views_too() {
    let f = with_views();
    apply_in(
        &f,
        "internal",
        vec![replace("www", Rtype::A, 60, &["10.0.0.1"])],
    )
    .unwrap();
    f.apply(vec![replace("mail", Rtype::A, 300, &["192.0.2.99"])])
        .unwrap();
    assert_eq!(serial_of(&in_view(&f, "internal")), 3);
    // Back to base serial 1: mail returns in internal as well, by a new
    // serial of its own and a journal entry.
    let before = journal_rows(&f, Some("internal"));
    f.store
        .revert(&name("example.com"), Serial(1), &meta(NOW))
        .unwrap();
    let internal = in_view(&f, "internal");
    assert!(
        internal.contains(&"mail.example.com. 300 IN A 192.0.2.10".to_string()),
        "{internal:#?}"
    );
    assert!(internal.contains(&"www.example.com. 60 IN A 10.0.0.1".to_string()));
    assert_eq!(serial_of(&internal), 4);
    assert_eq!(journal_rows(&f, Some("internal")), before + 1);
}

#[test]
fn each_views_history_leads_from_the_base_to_its_own_serial() {
    let f = with_views();
    let zone = name("example.com");
    // Base 1 → 2, which both views (the base still) share.
    f.store
        .apply(
            &zone,
            &ChangeSet {
                changes: vec![replace("mail", Rtype::A, 300, &["192.0.2.98"])],
            },
            &meta(NOW),
        )
        .unwrap();
    // internal 2 → 3 of its own; then base 2 → 3, carried to internal 3 → 4.
    apply_in(
        &f,
        "internal",
        vec![replace("www", Rtype::A, 60, &["10.0.0.1"])],
    )
    .unwrap();
    f.store
        .apply(
            &zone,
            &ChangeSet {
                changes: vec![replace("mail", Rtype::A, 300, &["192.0.2.99"])],
            },
            &meta(NOW),
        )
        .unwrap();
    assert_eq!(f.store.serial_in(&zone, None).unwrap(), Some(Serial(3)));
    assert_eq!(
        f.store.serial_in(&zone, Some("internal")).unwrap(),
        Some(Serial(4))
    );
    assert_eq!(
        f.store.serial_in(&zone, Some("external")).unwrap(),
        Some(Serial(3)),
        "a view with nothing of its own has the base's serial"
    );
    let steps = |view: Option<&str>, from: u32| -> Vec<(u32, u32, Option<String>)> {
        f.store
            .changes_since_in(&zone, view, Serial(from))
            .unwrap()
            .expect("the journal reaches back")
            .into_iter()
            .map(|c| (c.entry.serial_from.0, c.entry.serial_to.0, c.entry.view))
            .collect()
    };
    let internal = Some("internal".to_string());
    assert_eq!(
        steps(Some("internal"), 1),
        vec![
            (1, 2, None),
            (2, 3, internal.clone()),
            (3, 4, internal.clone())
        ],
        "the base's entries before the view's first, then the view's own"
    );
    assert_eq!(steps(Some("external"), 1), vec![(1, 2, None), (2, 3, None)]);
    assert_eq!(steps(None, 2), vec![(2, 3, None)]);
    // The entries carry the records that make the view's copy: applying
    // them to the view's copy at 2 gives its copy now.
    let carried = f
        .store
        .change_in(&zone, Some("internal"), Serial(4))
        .unwrap()
        .expect("the carried entry");
    assert!(
        served_text(&carried.added).contains(&"mail.example.com. 300 IN A 192.0.2.99".to_string())
    );
    let history: Vec<(u32, Option<String>)> = f
        .store
        .history_in(&zone, Some("internal"), 10, None)
        .unwrap()
        .into_iter()
        .map(|e| (e.serial_to.0, e.view))
        .collect();
    assert_eq!(
        history,
        vec![(4, internal.clone()), (3, internal), (2, None), (1, None)],
        "newest first, naming the view"
    );
    assert!(
        f.store
            .history(&zone, 10, None)
            .unwrap()
            .iter()
            .all(|e| e.view.is_none())
    );
    let rrsets = f
        .store
        .rrsets_in_view(&zone, "internal")
        .unwrap()
        .expect("known zone and view");
    assert!(
        matches!(rrsets.own(&name("www.example.com"), Rtype::A), Some(Some(set)) if set.ttl == 60)
    );
    assert!(rrsets.own(&name("mail.example.com"), Rtype::A).is_none());
    assert!(
        rrsets
            .merged()
            .iter()
            .any(|s| s.name == name("www.example.com") && s.ttl == 60)
    );
    assert!(f.store.rrsets_in_view(&zone, "nowhere").unwrap().is_none());
    assert_eq!(f.store.views().unwrap(), vec!["internal", "external"]);
}

#[test]
fn a_views_first_own_data_gets_its_own_serial_even_when_nothing_served_changes() {
    let f = with_views();
    let zone = name("example.com");
    // A disabled record is stored, not served: still the view's own set.
    let applied = apply_in(
        &f,
        "internal",
        vec![change(
            "mail",
            Rtype::A,
            RrsetOp::Extend {
                ttl: 300,
                records: vec![crate::fixture::disabled(Rtype::A, "10.0.0.99")],
            },
        )],
    )
    .unwrap();
    assert_eq!((applied.from, applied.to), (Serial(1), Serial(2)));
    assert_eq!(
        f.store.serial_in(&zone, Some("internal")).unwrap(),
        Some(Serial(2))
    );
    // A base change to that set now reaches the view as its own change,
    // keeping its disabled record, and the view's history leads there.
    let (_, views) = f
        .store
        .apply_with_views(
            &zone,
            &ChangeSet {
                changes: vec![extend("mail", Rtype::A, 300, &["192.0.2.11"])],
            },
            &meta(NOW),
        )
        .unwrap();
    assert!(
        views.is_empty(),
        "internal keeps its own mail set: {views:?}"
    );
    let steps: Vec<(u32, u32)> = f
        .store
        .changes_since_in(&zone, Some("internal"), Serial(1))
        .unwrap()
        .expect("the chain reaches back")
        .iter()
        .map(|c| (c.entry.serial_from.0, c.entry.serial_to.0))
        .collect();
    assert_eq!(steps, vec![(1, 2)]);
    assert!(
        !in_view(&f, "internal").contains(&"mail.example.com. 300 IN A 192.0.2.11".to_string()),
        "the view's own set, not the base's"
    );
}

#[test]
fn the_bases_soa_fields_reach_views_with_their_own_serial() {
    let f = with_views();
    let zone = name("example.com");
    apply_in(
        &f,
        "internal",
        vec![replace("www", Rtype::A, 60, &["10.0.0.1"])],
    )
    .unwrap();
    let soa = crate::fixture::example_soa(1).replace("hostmaster", "dns-admin");
    let (base, views) = f
        .store
        .apply_with_views(
            &zone,
            &ChangeSet {
                changes: vec![replace("@", Rtype::SOA, 3600, &[&soa])],
            },
            &meta(NOW),
        )
        .unwrap();
    assert_eq!((base.from, base.to), (Serial(1), Serial(2)));
    assert_eq!(views.len(), 1, "{views:?}");
    assert_eq!((views[0].1.from, views[0].1.to), (Serial(2), Serial(3)));
    let internal = in_view(&f, "internal");
    let view_soa = internal.iter().find(|r| r.contains(" SOA ")).unwrap();
    assert!(view_soa.contains("dns-admin.example.com."), "{view_soa}");
    assert_eq!(serial_of(&internal), 3, "the view's own serial, moved on");
}

#[test]
fn a_views_soa_follows_the_base() {
    let f = with_views();
    let soa = crate::fixture::example_soa(7).replace("hostmaster", "dns-admin");
    let error = apply_in(
        &f,
        "internal",
        vec![replace("@", Rtype::SOA, 3600, &[&soa])],
    )
    .expect_err("a view's SOA is not its own");
    assert!(error.to_string().contains("follows the base's"), "{error}");
    assert_eq!(
        f.store
            .serial_in(&name("example.com"), Some("internal"))
            .unwrap(),
        Some(Serial(1))
    );
    assert_eq!(journal_rows(&f, Some("internal")), 0, "nothing written");
}
