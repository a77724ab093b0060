//! How the SOA serial moves under each policy.

use store::{NewZone, SerialPolicy, ZoneKind};
use wire::{Rtype, Serial};

use crate::fixture::*;

/// A store with example.com created with SOA serial `serial`.
fn example_with_serial(policy: SerialPolicy, serial: u32) -> Fixture {
    let f = Fixture::new();
    let mut zone = example_zone(policy);
    zone.rrsets[0] = rrset("@", Rtype::SOA, 3600, &[&example_soa(serial)]);
    f.store.create_zone(zone, &meta(NOW)).unwrap();
    f
}

/// Changes www's A record to a new address and returns the new serial.
fn touch(f: &Fixture, now: u64, octet: u8) -> Serial {
    let address = format!("192.0.2.{octet}");
    let applied = f
        .apply_at(vec![replace("www", Rtype::A, 300, &[&address])], now)
        .unwrap();
    assert_eq!(applied.to, f.serial());
    applied.to
}

#[test]
fn increment_adds_one_and_wraps_from_4294967295_to_0() {
    let f = example_with_serial(SerialPolicy::Increment, u32::MAX - 1);
    assert_eq!(touch(&f, NOW, 1), Serial(u32::MAX));
    assert_eq!(touch(&f, NOW, 2), Serial(0));
    assert_eq!(touch(&f, NOW, 3), Serial(1));
    let soa = f.store.zone_records(&name("example.com")).unwrap()[0].clone();
    assert_eq!(
        soa.to_string(),
        format!("example.com. 3600 IN SOA {}", example_soa(1))
    );
}

#[test]
fn date_policy_counts_within_a_day_and_starts_a_new_day_at_01() {
    let f = Fixture::new();
    f.store
        .create_zone(
            NewZone {
                name: name("example.com"),
                kind: ZoneKind::Master,
                serial_policy: SerialPolicy::Date,
                rrsets: Vec::new(),
                nameservers: vec![name("ns1.example.com")],
                serial: None,
                settings: Default::default(),
            },
            &meta(NOW),
        )
        .unwrap();
    assert_eq!(
        f.serial(),
        Serial(2024022901),
        "a new zone starts at YYYYMMDD01"
    );
    assert_eq!(touch(&f, NOW + 60, 1), Serial(2024022902));
    assert_eq!(touch(&f, NOW + 120, 2), Serial(2024022903));
    assert_eq!(touch(&f, NOW + DAY, 3), Serial(2024030101));
    assert_eq!(touch(&f, NOW + DAY + 1, 4), Serial(2024030102));
}

#[test]
fn date_policy_jumps_forward_from_an_older_serial() {
    let f = example_with_serial(SerialPolicy::Date, 2023010105);
    assert_eq!(touch(&f, NOW, 1), Serial(2024022901));
    // A small counter-style serial jumps too.
    let f = example_with_serial(SerialPolicy::Date, 7);
    assert_eq!(touch(&f, NOW, 1), Serial(2024022901));
}

#[test]
fn date_policy_keeps_incrementing_a_serial_beyond_today() {
    let f = example_with_serial(SerialPolicy::Date, 2030010105);
    assert_eq!(touch(&f, NOW, 1), Serial(2030010106));
    // Today's 99 changes used up: the serial still only moves forward.
    let f = example_with_serial(SerialPolicy::Date, 2024022999);
    assert_eq!(touch(&f, NOW, 1), Serial(2024023000));
    assert_eq!(touch(&f, NOW + DAY, 2), Serial(2024030101));
}

#[test]
fn an_soa_set_by_the_change_keeps_its_serial_only_when_newer_than_the_bump() {
    let f = example_with_serial(SerialPolicy::Increment, 10);
    let applied = f
        .apply(vec![replace("@", Rtype::SOA, 3600, &[&example_soa(1000)])])
        .unwrap();
    assert_eq!((applied.from, applied.to), (Serial(10), Serial(1000)));
    // Older than the current serial, with another field changed: bumped,
    // and the other field is taken.
    let older = "ns1.example.com. hostmaster.example.com. 5 7200 3600 604800 3600";
    let applied = f
        .apply(vec![replace("@", Rtype::SOA, 3600, &[older])])
        .unwrap();
    assert_eq!(applied.to, Serial(1001));
    assert_eq!(
        applied.added[0].to_string(),
        "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 1001 7200 3600 604800 3600"
    );
    // Numerically larger but more than 2^31 ahead is older in RFC 1982
    // terms: bumped.
    let wrapped = 1001u32.wrapping_add(0x8000_0001);
    let applied = f
        .apply(vec![
            replace(
                "@",
                Rtype::SOA,
                3600,
                &[&format!(
                    "ns1.example.com. hostmaster.example.com. {wrapped} 7200 3600 604800 3600"
                )],
            ),
            replace("www", Rtype::A, 300, &["192.0.2.42"]),
        ])
        .unwrap();
    assert_eq!(applied.to, Serial(1002));
}

#[test]
fn a_newer_soa_serial_alone_is_a_change() {
    let f = example_with_serial(SerialPolicy::Increment, 10);
    let applied = f
        .apply(vec![replace("@", Rtype::SOA, 3600, &[&example_soa(11)])])
        .unwrap();
    assert_eq!((applied.from, applied.to), (Serial(10), Serial(11)));
    assert_eq!(applied.removed.len(), 1);
    assert_eq!(applied.added.len(), 1);
    assert_eq!(
        f.store
            .history(&name("example.com"), 10, None)
            .unwrap()
            .len(),
        2
    );
}
