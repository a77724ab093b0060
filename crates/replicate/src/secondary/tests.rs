//! The refresh state machine and the query pacer, driven by hand-made times.

use super::*;

#[test]
fn soa_queries_are_paced_to_the_rate() {
    let start = SystemTime::UNIX_EPOCH;
    let mut pacer = QueryPacer::new(50);
    // 1000 zones due at the same instant go out over 20 s, 20 ms apart.
    let slots: Vec<SystemTime> = (0..1000).map(|_| pacer.reserve(start)).collect();
    assert_eq!(slots[0], start, "the first goes at once");
    for pair in slots.windows(2) {
        assert_eq!(
            pair[1].duration_since(pair[0]).unwrap(),
            Duration::from_millis(20)
        );
    }
    // After a quiet spell, a query goes at once again.
    let later = start + Duration::from_secs(60);
    assert_eq!(pacer.reserve(later), later);
    assert_eq!(
        pacer.reserve(later),
        later + Duration::from_millis(20),
        "no burst allowance: one slot per interval"
    );
}

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + seconds)
}

fn timers() -> Timers {
    Timers::from_soa(3600, 600, 86400 * 7, &TimerBounds::default())
}

/// `step` waits for the next refresh, jittered: between 90 % and 100 %
/// of `refresh` seconds after `from`.
fn assert_refresh_wait(step: Step, from: SystemTime, refresh: u64) {
    let Step::Wait { until } = step else {
        panic!("expected a wait, got {step:?}");
    };
    let after = until.duration_since(from).expect("after the check");
    let refresh = Duration::from_secs(refresh);
    assert!(
        after >= refresh.mul_f64(REFRESH_JITTER_LOW) && after <= refresh,
        "next refresh {after:?} after the check, refresh {refresh:?}"
    );
}

#[test]
fn a_new_zone_queries_then_transfers_with_axfr() {
    let mut s = Secondary::new(2, TimerBounds::default(), None, at(0));
    assert!(s.is_expired(at(0)), "no copy: not servable");
    assert_eq!(s.next_step(at(0)), Step::QuerySoa { primary: 0 });
    s.soa_answer(at(1), 0, Ok(Serial(5)));
    assert_eq!(
        s.next_step(at(1)),
        Step::Transfer {
            primary: 0,
            request: Request::Axfr
        }
    );
    s.transfer_done(at(2), 0, Ok((Serial(5), timers())));
    assert!(!s.is_expired(at(2)));
    assert_refresh_wait(s.next_step(at(3)), at(2), 3600);
}

#[test]
fn refresh_uses_ixfr_and_same_serial_just_reschedules() {
    let persisted = Persisted {
        serial: Serial(5),
        next_refresh: at(100),
        expires_at: at(100_000),
        last_transfer: None,
    };
    let mut s = Secondary::new(
        1,
        TimerBounds::default(),
        Some((persisted, timers())),
        at(0),
    );
    assert!(!s.is_expired(at(0)), "a persisted copy is served at once");
    assert_eq!(s.next_step(at(50)), Step::Wait { until: at(100) });
    assert_eq!(s.next_step(at(100)), Step::QuerySoa { primary: 0 });
    s.soa_answer(at(100), 0, Ok(Serial(5)));
    assert_refresh_wait(s.next_step(at(101)), at(100), 3600);
    assert_eq!(s.next_step(at(3700)), Step::QuerySoa { primary: 0 });
    s.soa_answer(at(3700), 0, Ok(Serial(6)));
    assert_eq!(
        s.next_step(at(3700)),
        Step::Transfer {
            primary: 0,
            request: Request::Ixfr(Serial(5))
        }
    );
}

#[test]
fn a_refused_soa_query_tries_the_transfer_and_fails_if_that_is_refused() {
    let mut s = Secondary::new(2, TimerBounds::default(), None, at(0));
    assert_eq!(s.next_step(at(0)), Step::QuerySoa { primary: 0 });
    s.soa_answer(at(0), 0, Err(Failure::SoaRefused("REFUSED".into())));
    assert_eq!(
        s.next_step(at(0)),
        Step::Transfer {
            primary: 0,
            request: Request::Axfr
        }
    );
    s.transfer_done(at(1), 0, Err(Failure::Refused("REFUSED".into())));
    assert_eq!(
        s.next_step(at(1)),
        Step::QuerySoa { primary: 1 },
        "the next primary, as for any failure"
    );
}

#[test]
fn a_failed_ixfr_falls_back_to_axfr_from_the_same_primary() {
    let persisted = Persisted {
        serial: Serial(5),
        next_refresh: at(0),
        expires_at: at(100_000),
        last_transfer: None,
    };
    let mut s = Secondary::new(
        2,
        TimerBounds::default(),
        Some((persisted, timers())),
        at(0),
    );
    s.next_step(at(0));
    s.soa_answer(at(0), 1, Ok(Serial(9)));
    assert_eq!(
        s.next_step(at(0)),
        Step::Transfer {
            primary: 1,
            request: Request::Ixfr(Serial(5))
        }
    );
    s.transfer_done(at(1), 1, Err(Failure::IxfrUnusable("corrupt".into())));
    assert_eq!(
        s.next_step(at(1)),
        Step::Transfer {
            primary: 1,
            request: Request::Axfr
        }
    );
    s.transfer_done(at(2), 1, Ok((Serial(9), timers())));
    assert_eq!(s.serial(), Some(Serial(9)));
}

#[test]
fn unreachable_primaries_are_tried_in_order_then_retry_then_expire() {
    let persisted = Persisted {
        serial: Serial(5),
        next_refresh: at(0),
        expires_at: at(4000),
        last_transfer: None,
    };
    let mut s = Secondary::new(
        2,
        TimerBounds::default(),
        Some((persisted, timers())),
        at(0),
    );
    assert_eq!(s.next_step(at(0)), Step::QuerySoa { primary: 0 });
    s.soa_answer(at(0), 0, Err(Failure::Unreachable("timeout".into())));
    assert_eq!(s.next_step(at(0)), Step::QuerySoa { primary: 1 });
    s.soa_answer(at(0), 1, Err(Failure::Unreachable("timeout".into())));
    assert_eq!(
        s.next_step(at(0)),
        Step::Wait { until: at(600) },
        "retry interval"
    );
    assert_eq!(s.status(at(0)).last_error.as_deref(), Some("timeout"));
    assert!(!s.is_expired(at(3999)));
    assert!(
        s.is_expired(at(4000)),
        "the copy expires when checks keep failing"
    );
    // A later success revives it.
    s.next_step(at(4000));
    s.soa_answer(at(4000), 0, Ok(Serial(5)));
    assert!(!s.is_expired(at(4001)));
}

#[test]
fn notify_during_a_check_triggers_another_check() {
    let persisted = Persisted {
        serial: Serial(5),
        next_refresh: at(1000),
        expires_at: at(100_000),
        last_transfer: None,
    };
    let mut s = Secondary::new(
        1,
        TimerBounds::default(),
        Some((persisted, timers())),
        at(0),
    );
    s.notify(at(10));
    assert_eq!(s.next_step(at(10)), Step::QuerySoa { primary: 0 });
    s.notify(at(11));
    s.soa_answer(at(12), 0, Ok(Serial(5)));
    assert_eq!(
        s.next_step(at(12)),
        Step::QuerySoa { primary: 0 },
        "the NOTIFY that came in meanwhile is honoured"
    );
}

#[test]
fn a_restarted_secondary_checks_at_once_but_keeps_its_expiry() {
    let persisted = Persisted {
        serial: Serial(5),
        next_refresh: at(3000),
        expires_at: at(100_000),
        last_transfer: Some(at(0)),
    };
    let mut s = Secondary::new(
        1,
        TimerBounds::default(),
        Some((persisted, timers())),
        at(10),
    );
    s.first_check_at(at(11));
    assert_eq!(s.next_step(at(10)), Step::Wait { until: at(11) });
    assert_eq!(s.next_step(at(11)), Step::QuerySoa { primary: 0 });
    assert_eq!(
        s.status(at(11)).last_check,
        None,
        "no check yet in this run"
    );
    assert_eq!(s.status(at(11)).expires_at, Some(at(100_000)));
    s.soa_answer(at(12), 0, Ok(Serial(7)));
    assert_eq!(
        s.next_step(at(12)),
        Step::Transfer {
            primary: 0,
            request: Request::Ixfr(Serial(5))
        }
    );
}

#[test]
fn overdue_zones_and_zones_without_a_copy_are_spread_too() {
    // Persisted refresh long past (the node was down): not at once, but
    // at the time the driver spread it to.
    let persisted = Persisted {
        serial: Serial(5),
        next_refresh: at(0),
        expires_at: at(100_000),
        last_transfer: None,
    };
    let mut s = Secondary::new(
        1,
        TimerBounds::default(),
        Some((persisted, timers())),
        at(5000),
    );
    s.first_check_at(at(5030));
    assert_eq!(s.next_step(at(5000)), Step::Wait { until: at(5030) });
    assert_eq!(s.next_step(at(5030)), Step::QuerySoa { primary: 0 });
    // No copy: due at once without the spread, spread with it.
    let mut s = Secondary::new(1, TimerBounds::default(), None, at(10));
    s.first_check_at(at(20));
    assert_eq!(s.next_step(at(10)), Step::Wait { until: at(20) });
    assert_eq!(s.next_step(at(20)), Step::QuerySoa { primary: 0 });
    // A check already under way is left alone.
    s.first_check_at(at(99));
    assert_eq!(s.next_step(at(21)), Step::QuerySoa { primary: 0 });
}

#[test]
fn a_stream_of_notifies_restarts_a_check_once_and_it_still_fails_over() {
    let persisted = Persisted {
        serial: Serial(5),
        next_refresh: at(0),
        expires_at: at(100_000),
        last_transfer: None,
    };
    let mut s = Secondary::new(
        2,
        TimerBounds::default(),
        Some((persisted, timers())),
        at(0),
    );
    assert_eq!(s.next_step(at(0)), Step::QuerySoa { primary: 0 });
    let mut restarts = 0;
    for i in 0..100 {
        s.notify(at(i));
        if s.restart_check() {
            restarts += 1;
            assert_eq!(s.next_step(at(i)), Step::QuerySoa { primary: 0 });
        }
    }
    assert_eq!(restarts, 1, "one restart per check, however many NOTIFYs");
    // The primary stays silent: the check fails over to the next one,
    // and NOTIFYs cannot restart that part of the same check either.
    s.soa_answer(at(100), 0, Err(Failure::Unreachable("timeout".into())));
    assert_eq!(s.next_step(at(100)), Step::QuerySoa { primary: 1 });
    for i in 100..200 {
        s.notify(at(i));
        assert!(!s.restart_check(), "NOTIFY {i} restarted the check again");
    }
    s.soa_answer(at(200), 1, Err(Failure::Unreachable("timeout".into())));
    assert_eq!(s.status(at(200)).last_error.as_deref(), Some("timeout"));
    // The NOTIFYs that came in meanwhile are answered by a new check
    // (RFC 1996 §3.7), which may be restarted once in its turn.
    assert_eq!(s.next_step(at(200)), Step::QuerySoa { primary: 0 });
    s.notify(at(201));
    assert!(s.restart_check());
    s.notify(at(202));
    assert!(!s.restart_check());
    // And it completes.
    s.soa_answer(at(203), 0, Ok(Serial(5)));
    assert_eq!(s.status(at(203)).last_check, Some(at(203)));
}

#[test]
fn refresh_after_a_success_is_jittered_within_bounds() {
    let persisted = Persisted {
        serial: Serial(5),
        next_refresh: at(0),
        expires_at: at(1_000_000),
        last_transfer: None,
    };
    let mut s = Secondary::new(
        1,
        TimerBounds::default(),
        Some((persisted, timers())),
        at(0),
    );
    let mut now = at(0);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..200 {
        assert_eq!(s.next_step(now), Step::QuerySoa { primary: 0 });
        s.soa_answer(now, 0, Ok(Serial(5)));
        let step = s.next_step(now);
        assert_refresh_wait(step, now, 3600);
        let Step::Wait { until } = step else {
            unreachable!()
        };
        seen.insert(until.duration_since(now).unwrap().as_secs());
        now = until;
    }
    assert!(seen.len() > 50, "the jitter varies: {seen:?}");
    assert!(seen.iter().any(|&s| s < 3600 - 180), "{seen:?}");
}

#[test]
fn a_notify_during_a_check_restarts_it_once() {
    let mut s = Secondary::new(1, TimerBounds::default(), None, at(0));
    assert!(!s.restart_check(), "nothing in flight");
    assert_eq!(s.next_step(at(0)), Step::QuerySoa { primary: 0 });
    assert!(!s.restart_check(), "no NOTIFY came");
    s.notify(at(1));
    assert!(s.restart_check());
    assert!(!s.restart_check(), "one NOTIFY, one restart");
    assert_eq!(s.next_step(at(1)), Step::QuerySoa { primary: 0 });
    s.soa_answer(at(1), 0, Ok(Serial(3)));
    assert_eq!(
        s.next_step(at(1)),
        Step::Transfer {
            primary: 0,
            request: Request::Axfr
        },
        "no second check: the restarted one answered the NOTIFY"
    );
    // A NOTIFY during a transfer does not abandon the transfer.
    s.notify(at(2));
    assert!(!s.restart_check());
}

#[test]
fn soa_timers_are_clamped() {
    let t = Timers::from_soa(1, 1, 1, &TimerBounds::default());
    assert_eq!(t.refresh, Duration::from_secs(300));
    assert_eq!(t.retry, Duration::from_secs(60));
    assert_eq!(t.expire, Duration::from_secs(3600));
    let t = Timers::from_soa(u32::MAX, u32::MAX, u32::MAX, &TimerBounds::default());
    assert_eq!(t.refresh, Duration::from_secs(28 * 86400));
}

fn copy_at(serial: u32) -> Option<(Persisted, Timers)> {
    Some((
        Persisted {
            serial: Serial(serial),
            next_refresh: at(0),
            expires_at: at(100_000),
            last_transfer: None,
        },
        timers(),
    ))
}

#[test]
fn a_newer_serial_at_the_primary_marks_the_zone_behind_until_a_transfer_levels_it() {
    let mut s = Secondary::new(1, TimerBounds::default(), copy_at(5), at(0));
    assert_eq!(s.status(at(0)).behind, None, "nothing seen yet");
    assert_eq!(s.next_step(at(0)), Step::QuerySoa { primary: 0 });
    s.soa_answer(at(10), 0, Ok(Serial(8)));
    let behind = s.status(at(10)).behind.expect("behind after a newer SOA");
    assert_eq!(behind.since, at(10));
    assert_eq!(behind.primary_serial, Serial(8));
    // The transfer fails: still behind, still counted from the first sight.
    s.transfer_done(at(11), 0, Err(Failure::Refused("REFUSED".into())));
    assert_eq!(s.status(at(11)).behind.map(|b| b.since), Some(at(10)));
    // The retry sees the same serial: `since` does not move.
    let Step::Wait { until } = s.next_step(at(11)) else {
        panic!("expected the retry wait")
    };
    assert_eq!(s.next_step(until), Step::QuerySoa { primary: 0 });
    s.soa_answer(until, 0, Ok(Serial(8)));
    let behind = s.status(until).behind.expect("still behind");
    assert_eq!(behind.since, at(10));
    assert_eq!(behind.duration(at(70)), Duration::from_secs(60));
    // A transfer to the serial seen brings the copy level.
    s.transfer_done(until, 0, Ok((Serial(8), timers())));
    assert_eq!(s.status(until).behind, None);
}

#[test]
fn a_transfer_short_of_a_newer_announced_serial_leaves_the_zone_behind() {
    let mut s = Secondary::new(1, TimerBounds::default(), copy_at(5), at(0));
    s.next_step(at(0));
    s.soa_answer(at(1), 0, Ok(Serial(6)));
    // While the transfer of 6 runs, the primary announces 7.
    s.notify(at(2));
    s.announced(at(2), Serial(7));
    s.transfer_done(at(3), 0, Ok((Serial(6), timers())));
    let behind = s.status(at(3)).behind.expect("6 is not level with 7");
    assert_eq!(behind.since, at(1), "behind since the first newer serial");
    assert_eq!(behind.primary_serial, Serial(7));
    // The NOTIFY's check follows at once and brings 7.
    assert_eq!(s.next_step(at(3)), Step::QuerySoa { primary: 0 });
    s.soa_answer(at(4), 0, Ok(Serial(7)));
    s.transfer_done(at(5), 0, Ok((Serial(7), timers())));
    assert_eq!(s.status(at(5)).behind, None);
}

#[test]
fn a_notify_with_a_newer_serial_marks_the_zone_behind_and_the_soa_check_decides() {
    let mut s = Secondary::new(1, TimerBounds::default(), copy_at(5), at(0));
    s.announced(at(1), Serial(5));
    assert_eq!(s.status(at(1)).behind, None, "the same serial is not news");
    s.announced(at(1), Serial(4));
    assert_eq!(s.status(at(1)).behind, None, "an older serial is not news");
    s.announced(at(2), Serial(9));
    assert_eq!(
        s.status(at(2)).behind.map(|b| (b.since, b.primary_serial)),
        Some((at(2), Serial(9)))
    );
    // The primary's own SOA answer says 5 after all (a stale or forged
    // NOTIFY): level again.
    s.notify(at(2));
    assert_eq!(s.next_step(at(2)), Step::QuerySoa { primary: 0 });
    s.soa_answer(at(3), 0, Ok(Serial(5)));
    assert_eq!(s.status(at(3)).behind, None);
}

#[test]
fn behind_follows_rfc_1982_serial_order_across_the_wrap() {
    let mut s = Secondary::new(1, TimerBounds::default(), copy_at(u32::MAX - 1), at(0));
    s.next_step(at(0));
    // 3 is newer than 2^32 - 2 in serial arithmetic.
    s.soa_answer(at(1), 0, Ok(Serial(3)));
    assert_eq!(
        s.status(at(1)).behind.map(|b| b.primary_serial),
        Some(Serial(3))
    );
    s.announced(at(2), Serial(u32::MAX));
    assert_eq!(
        s.status(at(2)).behind.map(|b| b.primary_serial),
        Some(Serial(3)),
        "2^32 - 1 is older than 3: the newest stays"
    );
    s.transfer_done(at(3), 0, Ok((Serial(3), timers())));
    assert_eq!(s.status(at(3)).behind, None);
}

#[test]
fn a_zone_without_a_copy_is_behind_once_its_primary_answers() {
    let mut s = Secondary::new(1, TimerBounds::default(), None, at(0));
    assert_eq!(s.next_step(at(0)), Step::QuerySoa { primary: 0 });
    s.soa_answer(at(0), 0, Err(Failure::Unreachable("timeout".into())));
    assert_eq!(
        s.status(at(0)).behind,
        None,
        "an unreachable primary says nothing about serials"
    );
    s.next_step(at(60));
    s.soa_answer(at(60), 0, Ok(Serial(1)));
    assert_eq!(s.status(at(60)).behind.map(|b| b.since), Some(at(60)));
    s.transfer_done(at(61), 0, Ok((Serial(1), timers())));
    assert_eq!(s.status(at(61)).behind, None);
}

#[test]
fn a_clock_stepped_back_moves_the_timers_back_with_it() {
    let mut s = Secondary::new(1, TimerBounds::default(), None, at(0));
    assert_eq!(s.next_step(at(0)), Step::QuerySoa { primary: 0 });
    s.soa_answer(at(1), 0, Ok(Serial(5)));
    let _ = s.next_step(at(1));
    s.transfer_done(at(2), 0, Ok((Serial(5), timers())));
    assert_refresh_wait(s.next_step(at(2)), at(2), 3600);
    // A day back: the next check is still within an hour of the new now,
    // and the copy expires a week after it, not a week and a day.
    let stepped = at(2) - Duration::from_secs(86_400) + Duration::from_secs(10);
    let Step::Wait { until } = s.next_step(stepped) else {
        panic!("a wait");
    };
    let wait = until.duration_since(stepped).unwrap();
    assert!(
        wait <= Duration::from_secs(3600),
        "next check {wait:?} after a step back"
    );
    let expires = s.status(stepped).expires_at.unwrap();
    assert!(expires.duration_since(stepped).unwrap() <= Duration::from_secs(7 * 86_400));
    assert!(!s.is_expired(stepped));
    // The check comes when the hour has run on the new clock.
    assert_eq!(s.next_step(until), Step::QuerySoa { primary: 0 });
}

#[test]
fn a_clock_stepped_forward_reads_as_time_passed_and_one_check_restores_the_copy() {
    let mut s = Secondary::new(1, TimerBounds::default(), None, at(0));
    let _ = s.next_step(at(0));
    s.soa_answer(at(1), 0, Ok(Serial(5)));
    let _ = s.next_step(at(1));
    s.transfer_done(at(2), 0, Ok((Serial(5), timers())));
    // Ten days on, past the week's expiry: check at once.
    let later = at(2) + Duration::from_secs(10 * 86_400);
    assert!(s.is_expired(later));
    assert_eq!(s.next_step(later), Step::QuerySoa { primary: 0 });
    s.soa_answer(later, 0, Ok(Serial(5)));
    assert!(!s.is_expired(later), "a confirmed copy is served again");
    assert_refresh_wait(s.next_step(later), later, 3600);
}
