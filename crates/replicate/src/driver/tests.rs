//! The driver against real sockets and files.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use answer::Served;
use arc_swap::ArcSwap;
use tokio::net::UdpSocket;
use wire::{Message, Name, Serial};
use zone::{BuildOptions, Zone};

use super::notify_out::name_server_addresses;
use super::{
    DriverSettings, NotifyTarget, PrimaryOutcome, Replicator, RoleSetup, SerialPolicy, ZoneSetup,
};

#[test]
fn notify_ns_targets_skip_the_mname_and_unknown_addresses() {
    let origin: Name = "example.".parse().unwrap();
    let text = "$ORIGIN example.\n$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\n@ NS ns2\n@ NS ns.elsewhere.\nns1 A 192.0.2.1\nns2 A 192.0.2.2\nns2 AAAA 2001:db8::2\n";
    let file = zonefile::parse_str(text, &origin, Path::new("t")).unwrap();
    let zone = Zone::build(
        &origin,
        file.records.into_iter().map(|r| r.record).collect(),
        BuildOptions::default(),
    )
    .unwrap();
    let mut targets = name_server_addresses(&zone);
    targets.sort();
    assert_eq!(
        targets,
        vec![
            "192.0.2.2:53".parse().unwrap(),
            "[2001:db8::2]:53".parse().unwrap()
        ]
    );
}

/// A primary zone without NOTIFY targets, serials kept as given.
fn primary_setup(apex: &Name) -> ZoneSetup {
    ZoneSetup {
        apex: apex.clone(),
        role: RoleSetup::Primary {
            serial_policy: SerialPolicy::Keep,
        },
        notify: Vec::new(),
        notify_key: None,
        notify_ns: false,
        catalog: None,
    }
}

fn zone(apex: &Name, serial: u32, extra: &str) -> Zone {
    let text = format!("$TTL 60\n@ SOA ns h {serial} 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n{extra}");
    let file = zonefile::parse_str(&text, apex, Path::new("t.zone")).unwrap();
    Zone::build(
        apex,
        file.records.into_iter().map(|r| r.record).collect(),
        BuildOptions::default(),
    )
    .unwrap()
}

/// Regression: a primary zone file that changed while the node was
/// down is journaled and published at start, before the tokio runtime
/// exists. That used to panic in `tokio::spawn` and stop the node; now
/// the NOTIFY waits for `start`.
#[test]
fn a_change_found_at_start_is_notified_once_the_driver_starts() {
    let dir = tempfile::tempdir().unwrap();
    let target = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let apex: Name = "example.".parse().unwrap();
    let setup = ZoneSetup {
        apex: apex.clone(),
        role: RoleSetup::Primary {
            serial_policy: SerialPolicy::Keep,
        },
        notify: vec![NotifyTarget::new(target.local_addr().unwrap())],
        notify_key: None,
        notify_ns: false,
        catalog: None,
    };
    let new_replicator = || {
        Replicator::new(
            Arc::new(ArcSwap::from_pointee(Served::default())),
            dir.path(),
            vec![setup.clone()],
            DriverSettings::default(),
        )
        .unwrap()
    };
    // The previous run served (and persisted) serial 1.
    new_replicator()
        .primary_loaded(&apex, zone(&apex, 1, ""))
        .unwrap();

    // This run finds serial 2 in the file; no runtime exists yet.
    let replicator = new_replicator();
    let outcome = replicator
        .primary_loaded(&apex, zone(&apex, 2, "www A 192.0.2.2\n"))
        .unwrap();
    assert!(
        matches!(outcome, PrimaryOutcome::Published(s) if s == Serial(2)),
        "{outcome:?}"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let notify = runtime.block_on(async {
        target.set_nonblocking(true).unwrap();
        let target = UdpSocket::from_std(target).unwrap();
        replicator.start();
        let mut buf = [0u8; 512];
        let (len, _) = tokio::time::timeout(Duration::from_secs(10), target.recv_from(&mut buf))
            .await
            .expect("no NOTIFY within 10 s of start")
            .unwrap();
        Message::parse(&buf[..len]).unwrap()
    });
    assert_eq!(notify.header.opcode(), wire::Opcode::NOTIFY);
    assert_eq!(notify.question().unwrap().qname, apex);
    let soa = notify.answer.first().expect("SOA hint");
    assert_eq!(wire::rdata::soa_numbers(&soa.rdata).unwrap()[0], 2);
}

#[test]
fn first_checks_at_start_are_spread_more_the_more_zones_there_are() {
    use super::catch_up_spread;
    assert_eq!(catch_up_spread(0), Duration::from_millis(100));
    assert_eq!(catch_up_spread(1), Duration::from_millis(100));
    assert_eq!(catch_up_spread(5), Duration::from_millis(100));
    assert_eq!(catch_up_spread(50), Duration::from_secs(1));
    // As long as the SOA query rate needs for them all.
    assert_eq!(catch_up_spread(1_000_000), Duration::from_secs(20_000));
}

/// An unsigned answer to a signed NOTIFY is not the target's (RFC 8945
/// §5.3): an off-path spoofer who guessed the ID must not end the
/// retransmission with an unsigned REFUSED.
#[test]
fn an_unsigned_refusal_of_a_signed_notify_does_not_end_the_retransmission() {
    use super::notify_out::{NotifyError, send_notify};
    let apex: Name = "example.".parse().unwrap();
    let soa = zone(&apex, 7, "").soa_record();
    let key = Arc::new(wire::tsig::Key::new(
        "k.".parse().unwrap(),
        wire::tsig::Algorithm::HmacSha256,
        vec![7; 32],
    ));
    // Short waits, so the whole window passes quickly; the outcome, not
    // the timing, is asserted.
    let policy = crate::notify::RetryPolicy {
        first_timeout: Duration::from_millis(20),
        max_timeout: Duration::from_millis(20),
        min_window: Duration::from_millis(300),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (result, notifies) = runtime.block_on(async {
        let target = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let address = target.local_addr().unwrap();
        let spoofer = tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            let mut seen = Vec::new();
            while let Ok((len, from)) = target.recv_from(&mut buf).await {
                seen.push(u16::from_be_bytes([buf[0], buf[1]]));
                // Echo the question back as an unsigned REFUSED.
                let id = seen[seen.len() - 1];
                let mut reply = crate::notify::message(id, &apex_of(&buf[..len]), None);
                reply[2] |= 0x80;
                reply[3] = (reply[3] & 0xF0) | 5;
                let _ = target.send_to(&reply, from).await;
                if seen.len() >= 3 {
                    return seen;
                }
            }
            seen
        });
        let result = send_notify(
            &"example.".parse().unwrap(),
            &soa,
            address,
            Some(key),
            policy,
            Duration::ZERO,
        )
        .await;
        (result, spoofer.await.unwrap())
    });
    assert!(
        matches!(&result, Err(NotifyError::NoAnswer(last)) if last.contains("not signed")),
        "{result:?}"
    );
    assert!(notifies.len() >= 3, "sends went on: {notifies:?}");
    assert!(
        notifies.windows(2).all(|w| w[0] == w[1]),
        "one message ID for every send of a retransmission: {notifies:?}"
    );
}

fn apex_of(notify: &[u8]) -> Name {
    Message::parse(notify)
        .unwrap()
        .question()
        .unwrap()
        .qname
        .clone()
}

/// Deleting a zone stops its NOTIFYs, and a zone created again under the
/// same name starts with a clean NOTIFY status.
#[test]
fn a_deleted_zone_stops_its_notifies() {
    let dir = tempfile::tempdir().unwrap();
    let apex: Name = "example.".parse().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // A target that never answers: the NOTIFY stays in flight.
        let target = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let setup = ZoneSetup {
            apex: apex.clone(),
            role: RoleSetup::Primary {
                serial_policy: SerialPolicy::Keep,
            },
            notify: vec![NotifyTarget::new(target.local_addr().unwrap())],
            notify_key: None,
            notify_ns: false,
            catalog: None,
        };
        let replicator = Replicator::new(
            Arc::new(ArcSwap::from_pointee(Served::default())),
            dir.path(),
            vec![setup.clone()],
            DriverSettings::default(),
        )
        .unwrap();
        replicator.start();
        replicator
            .primary_loaded(&apex, zone(&apex, 1, ""))
            .unwrap();
        let mut buf = [0u8; 512];
        tokio::time::timeout(Duration::from_secs(10), target.recv_from(&mut buf))
            .await
            .expect("a NOTIFY goes out")
            .unwrap();
        let old = replicator.zone_state(&apex).unwrap();
        assert_eq!(super::lock(&old.notify_in_flight).len(), 1);

        replicator.forget_zone(&apex);
        assert!(
            super::lock(&old.notify_in_flight).is_empty(),
            "the retransmission was aborted"
        );
        assert!(old.removed.load(std::sync::atomic::Ordering::SeqCst));

        // The same name again: its own state, nothing of the old one's.
        replicator.add_zone(setup).unwrap();
        let new = replicator.zone_state(&apex).unwrap();
        assert!(!Arc::ptr_eq(&old, &new));
        let status = replicator.status(&apex).unwrap();
        assert_eq!(status.notify.len(), 1);
        assert!(status.notify[0].1.serial.is_none());
        assert!(status.notify[0].1.acknowledged.is_none());
    });
}

/// Two tasks must never share one zone's files: a zone added under a name
/// already replicated (a catalog's member, when a store zone of that name
/// is served at start) replaces it, and the old one is stopped.
#[test]
fn adding_a_zone_of_a_running_name_replaces_it_and_stops_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let apex: Name = "example.".parse().unwrap();
    let setup = primary_setup(&apex);
    let replicator = Replicator::new(
        Arc::new(ArcSwap::from_pointee(Served::default())),
        dir.path(),
        Vec::new(),
        DriverSettings::default(),
    )
    .unwrap();
    replicator.add_zone(setup.clone()).unwrap();
    let first = replicator.zone_state(&apex).expect("added");
    replicator.add_zone(setup).unwrap();
    let second = replicator.zone_state(&apex).expect("added again");
    assert!(!Arc::ptr_eq(&first, &second), "a new state");
    assert!(
        first.removed.load(std::sync::atomic::Ordering::SeqCst),
        "the old zone's task is told to stop"
    );
    assert!(!second.removed.load(std::sync::atomic::Ordering::SeqCst));
}

/// A reload's reconfiguration: an unchanged zone is left alone, new
/// NOTIFY targets and serial policy are swapped in without the zone
/// leaving service or its state being rebuilt, a role change replaces it.
#[test]
fn reconfiguring_a_zone_swaps_its_links_in_place() {
    use super::Reconfigured;
    let dir = tempfile::tempdir().unwrap();
    let apex: Name = "example.".parse().unwrap();
    let served = Arc::new(ArcSwap::from_pointee(Served::default()));
    let primary = |notify: Vec<NotifyTarget>, serial_policy| ZoneSetup {
        apex: apex.clone(),
        role: RoleSetup::Primary { serial_policy },
        notify,
        notify_key: None,
        notify_ns: false,
        catalog: None,
    };
    let replicator = Replicator::new(
        Arc::clone(&served),
        dir.path(),
        vec![primary(Vec::new(), SerialPolicy::Keep)],
        DriverSettings::default(),
    )
    .unwrap();
    replicator
        .primary_loaded(&apex, zone(&apex, 1, "www A 192.0.2.2"))
        .unwrap();
    let state_before = replicator.zone_state(&apex).unwrap();

    assert_eq!(
        replicator
            .reconfigure_zone(primary(Vec::new(), SerialPolicy::Keep))
            .unwrap(),
        Reconfigured::Unchanged
    );
    let target: std::net::SocketAddr = "127.0.0.1:5399".parse().unwrap();
    assert_eq!(
        replicator
            .reconfigure_zone(primary(vec![NotifyTarget::new(target)], SerialPolicy::Auto))
            .unwrap(),
        Reconfigured::Updated
    );
    // The same state, still served, with the new targets and policy.
    let state_after = replicator.zone_state(&apex).unwrap();
    assert!(Arc::ptr_eq(&state_before, &state_after));
    assert_eq!(replicator.current(&apex).unwrap().serial(), Serial(1));
    let status = replicator.status(&apex).unwrap();
    assert_eq!(
        status.notify.iter().map(|(a, _)| *a).collect::<Vec<_>>(),
        vec![target]
    );
    // Serial policy `auto` now holds: same serial, new content is bumped.
    assert_eq!(
        replicator
            .primary_loaded(&apex, zone(&apex, 1, "www A 192.0.2.3"))
            .unwrap(),
        PrimaryOutcome::Published(Serial(2))
    );

    // A role change replaces the zone.
    let secondary = ZoneSetup {
        apex: apex.clone(),
        role: RoleSetup::Secondary {
            primaries: vec![target],
            key: None,
        },
        notify: Vec::new(),
        notify_key: None,
        notify_ns: false,
        catalog: None,
    };
    assert_eq!(
        replicator.reconfigure_zone(secondary).unwrap(),
        Reconfigured::Replaced
    );
    assert!(!Arc::ptr_eq(
        &state_before,
        &replicator.zone_state(&apex).unwrap()
    ));
    let other: Name = "other.".parse().unwrap();
    assert_eq!(
        replicator
            .reconfigure_zone(ZoneSetup {
                apex: other,
                ..primary(Vec::new(), SerialPolicy::Keep)
            })
            .unwrap(),
        Reconfigured::Added
    );
}

/// Store writes publish versions patched over the served one; the
/// compaction thread replaces them with a whole, compiled zone once the
/// writes pause, and a write that lands while it runs is kept (rebased),
/// never lost to an older compacted copy.
#[test]
fn patched_versions_are_compacted_in_the_background_without_losing_writes() {
    let dir = tempfile::tempdir().unwrap();
    let apex: Name = "example.".parse().unwrap();
    let setup = primary_setup(&apex);
    let replicator = Replicator::new(
        Arc::new(ArcSwap::from_pointee(Served::default())),
        dir.path(),
        vec![setup],
        DriverSettings::default(),
    )
    .unwrap();
    replicator
        .primary_loaded(&apex, zone(&apex, 1, ""))
        .unwrap();
    let writes = 60u32;
    for n in 1..=writes {
        let served = replicator.current(&apex).unwrap();
        let old_soa = served.soa_record();
        let mut new_soa = old_soa.clone();
        wire::rdata::set_soa_serial(&mut new_soa.rdata, n + 1);
        let address = wire::Record {
            owner: format!("w{n}.example.").parse().unwrap(),
            rtype: wire::Rtype::A,
            class: wire::Class::IN,
            ttl: 60,
            rdata: vec![192, 0, 2, n as u8],
        };
        let removed = vec![old_soa];
        let added = vec![new_soa, address];
        let next = served.apply(&removed, &added).unwrap();
        // (A patch past an eighth of this tiny zone is built whole at once.)
        assert!(next.is_patched() || n > 30, "write {n} not patched");
        replicator
            .primary_changed(
                &apex,
                next,
                crate::Diff::new(Serial(n), Serial(n + 1), removed, added),
            )
            .unwrap();
        // Bursts with pauses: compactions start and land between writes.
        if n % 7 == 0 {
            std::thread::sleep(Duration::from_millis(150 + 50 * u64::from(n % 5)));
        }
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let served = loop {
        let served = replicator.current(&apex).unwrap();
        if !served.is_patched() && served.is_compiled() {
            break served;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still patched ({} names) after 20 s",
            served.patch_len()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(served.serial(), Serial(writes + 1));
    for n in 1..=writes {
        let name: Name = format!("w{n}.example.").parse().unwrap();
        assert_eq!(
            served.rdata_at(&name, wire::Rtype::A),
            vec![vec![192, 0, 2, n as u8]],
            "write {n} lost"
        );
    }
    assert_eq!(served.record_count(), 3 + writes as usize);
}
