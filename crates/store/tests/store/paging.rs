//! Paged, searchable listings of a zone's RRsets (the web UI's zone page),
//! and the migration that gives RRsets written before it their order keys.

use store::{SerialPolicy, Store};
use wire::Rtype;

use crate::fixture::{Fixture, extend, name};

/// (owner, type) of a page.
fn keys(page: &store::RrsetPage) -> Vec<(String, Rtype)> {
    page.rrsets
        .iter()
        .map(|s| (s.name.to_string(), s.rtype))
        .collect()
}

fn page(f: &Fixture, search: &str, offset: usize, limit: usize) -> store::RrsetPage {
    f.store
        .rrsets_page(&name("example.com"), search, offset, limit)
        .expect("a page")
}

#[test]
fn pages_come_in_canonical_order_with_the_soa_first() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    // Names whose wire forms sort differently from canonical order.
    f.apply(vec![
        extend("z", Rtype::A, 60, &["192.0.2.50"]),
        extend("a.z", Rtype::A, 60, &["192.0.2.51"]),
        extend("Ab", Rtype::TXT, 60, &["\"Mixed Case Owner\""]),
    ])
    .unwrap();
    let all = page(&f, "", 0, 100);
    let expected = [
        ("example.com.", Rtype::SOA),
        ("example.com.", Rtype::NS),
        ("example.com.", Rtype::MX),
        ("ab.example.com.", Rtype::TXT),
        ("alias.example.com.", Rtype::CNAME),
        ("mail.example.com.", Rtype::A),
        ("www.example.com.", Rtype::A),
        ("z.example.com.", Rtype::A),
        ("a.z.example.com.", Rtype::A),
    ];
    assert_eq!(
        keys(&all),
        expected
            .iter()
            .map(|(n, t)| (n.to_string(), *t))
            .collect::<Vec<_>>()
    );
    assert_eq!(all.total, expected.len());
    assert_eq!(all.rrsets[6].records.len(), 2, "www has both its records");

    // Pages split that order.
    let second = page(&f, "", 3, 3);
    assert_eq!(keys(&second), keys(&all)[3..6].to_vec());
    assert_eq!(second.total, expected.len());
    assert!(page(&f, "", 100, 3).rrsets.is_empty());
}

#[test]
fn search_is_a_name_prefix_under_the_zone_or_a_type() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.apply(vec![
        extend("mail5", Rtype::A, 60, &["192.0.2.51"]),
        extend("mail50", Rtype::A, 60, &["192.0.2.52"]),
        extend("x.mail50", Rtype::A, 60, &["192.0.2.53"]),
        extend("www.sub", Rtype::A, 60, &["192.0.2.54"]),
        extend("wwwx.sub", Rtype::TXT, 60, &["\"t\""]),
        extend("under_score", Rtype::TXT, 60, &["\"100% sure\""]),
    ])
    .unwrap();
    let owners = |search: &str| -> Vec<String> {
        let found = page(&f, search, 0, 100);
        assert_eq!(found.total, found.rrsets.len(), "total of {search:?}");
        found.rrsets.iter().map(|s| s.name.to_string()).collect()
    };
    let names = |list: &[&str]| list.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    assert_eq!(
        owners("MAIL5"),
        names(&[
            "mail5.example.com.",
            "mail50.example.com.",
            "x.mail50.example.com."
        ]),
        "the leftmost label is a prefix, any case, with the names below"
    );
    assert_eq!(owners("mail5.example.com."), owners("mail5"), "absolute");
    assert_eq!(
        owners("mail5.example.com"),
        owners("mail5"),
        "the zone's name dropped"
    );
    assert_eq!(
        owners("www.sub"),
        names(&["www.sub.example.com.", "wwwx.sub.example.com."]),
        "labels but the leftmost match exactly"
    );
    assert_eq!(
        owners("under_"),
        names(&["under_score.example.com."]),
        "no wildcards"
    );
    assert_eq!(owners("ww"), names(&["www.example.com."]));
    assert_eq!(
        owners("cname"),
        names(&["alias.example.com."]),
        "a type mnemonic matches that type"
    );
    assert!(
        owners("mail5.elsewhere.").is_empty(),
        "a name outside the zone"
    );
    assert!(owners("192.0.2.10").is_empty(), "contents are not searched");
    assert_eq!(
        owners("example.com.").len(),
        page(&f, "", 0, 100).total,
        "the apex: all"
    );
    // Pages of a search split its order.
    let second = page(&f, "mail5", 1, 1);
    assert_eq!(
        keys(&second),
        vec![("mail50.example.com.".to_string(), Rtype::A)]
    );
    assert_eq!(second.total, 3);
    assert!(
        f.store
            .rrsets_page(&name("unknown.test"), "", 0, 10)
            .unwrap()
            .rrsets
            .is_empty()
    );
}

#[test]
fn a_store_from_before_the_order_keys_gets_them_when_opened() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let before = keys(&page(&f, "", 0, 100));
    let path = f.path.clone();
    drop(f.store);
    // Back to schema 1: the columns and index migration 2 added are gone,
    // and so is every later step's table and column (4: tsig_keys;
    // 6: audit_log; 7: zone_options; 8: grants, users.role, api_tokens.zones;
    // 9: zone_counts and its trigger).
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute_batch(
            "DROP TABLE tsig_keys;
             DROP TABLE audit_log;
             DROP TABLE zone_options;
             DROP TABLE grants;
             DROP TRIGGER zone_counts_view_delete;
             DROP TABLE zone_counts;
             ALTER TABLE users DROP COLUMN role;
             ALTER TABLE api_tokens DROP COLUMN zones;
             DROP INDEX rrsets_order;
             ALTER TABLE rrsets DROP COLUMN sort_key;
             ALTER TABLE rrsets DROP COLUMN owner_text;
             PRAGMA user_version = 1;",
        )
        .unwrap();
    drop(connection);
    let store = Store::open(&path).unwrap();
    let after = store.rrsets_page(&name("example.com"), "", 0, 100).unwrap();
    assert_eq!(keys(&after), before);
    assert_eq!(
        store
            .rrsets_page(&name("example.com"), "mail", 0, 100)
            .unwrap()
            .total,
        1,
        "sort keys filled in too (the search is a range of them)"
    );
}

#[test]
fn a_cursor_reads_what_rrsets_and_zone_records_read_a_chunk_at_a_time() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.apply(vec![
        extend("z", Rtype::A, 60, &["192.0.2.50"]),
        extend("a.z", Rtype::A, 60, &["192.0.2.51"]),
        extend("Ab", Rtype::TXT, 60, &["\"Mixed Case Owner\""]),
    ])
    .unwrap();
    let zone = name("example.com");
    let whole = f.store.rrsets(&zone).unwrap();
    for chunk in [1, 2, 3, 100] {
        let mut cursor = f
            .store
            .rrset_cursor(&zone, store::RrsetFilter::default())
            .unwrap()
            .expect("the zone is there");
        let mut read = Vec::new();
        loop {
            let sets = cursor.next_chunk(chunk).unwrap();
            if sets.is_empty() {
                break;
            }
            read.extend(sets);
        }
        assert_eq!(read, whole, "chunks of {chunk}");
        let mut cursor = f
            .store
            .rrset_cursor(&zone, store::RrsetFilter::default())
            .unwrap()
            .unwrap();
        let mut served = Vec::new();
        loop {
            let records = cursor.next_served(chunk).unwrap();
            if records.is_empty() {
                break;
            }
            served.extend(records);
        }
        assert_eq!(
            served,
            f.store.zone_records(&zone).unwrap(),
            "served, chunks of {chunk}"
        );
    }
    let only = |name_text: Option<&str>, rtype: Option<Rtype>| -> Vec<(String, Rtype)> {
        let filter = store::RrsetFilter {
            name: name_text.map(name),
            rtype,
        };
        let mut cursor = f.store.rrset_cursor(&zone, filter).unwrap().unwrap();
        let mut keys = Vec::new();
        loop {
            let sets = cursor.next_chunk(2).unwrap();
            if sets.is_empty() {
                break;
            }
            keys.extend(sets.iter().map(|s| (s.name.to_string(), s.rtype)));
        }
        keys
    };
    assert_eq!(
        only(Some("EXAMPLE.com"), None),
        [
            ("example.com.".to_string(), Rtype::SOA),
            ("example.com.".to_string(), Rtype::NS),
            ("example.com.".to_string(), Rtype::MX)
        ]
    );
    assert_eq!(
        only(None, Some(Rtype::A)).len(),
        whole.iter().filter(|s| s.rtype == Rtype::A).count()
    );
    assert_eq!(
        only(Some("www.example.com."), Some(Rtype::A)),
        [("www.example.com.".to_string(), Rtype::A)]
    );
    assert!(only(Some("nothing.example.com."), None).is_empty());
    assert!(
        f.store
            .rrset_cursor(&name("unknown.test"), store::RrsetFilter::default())
            .unwrap()
            .is_none()
    );
}
