//! The limiter on a clock the tests turn by hand.

use std::net::IpAddr;
use std::sync::Arc;

use super::*;

fn wire(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

fn rr(owner: &[u8], rtype: u16, rdata: &[u8]) -> Vec<u8> {
    let mut out = owner.to_vec();
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&300u32.to_be_bytes());
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(rdata);
    out
}

/// A reply: `flags` are the third and fourth header octets.
fn reply(flags: [u8; 2], qname: &str, qtype: u16, sections: [&[Vec<u8>]; 3]) -> Vec<u8> {
    let mut out = vec![0x12, 0x34, 0x80 | flags[0], flags[1], 0, 1];
    for section in sections {
        out.extend_from_slice(&(section.len() as u16).to_be_bytes());
    }
    out.extend_from_slice(&wire(qname));
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    for section in sections {
        for record in section {
            out.extend_from_slice(record);
        }
    }
    out
}

const AA: u8 = 0x04;
const A: u16 = 1;
const NS: u16 = 2;
const SOA: u16 = 6;

fn answer(qname: &str) -> Vec<u8> {
    let a = rr(&[0xC0, 12], A, &[192, 0, 2, 1]);
    reply([AA, 0], qname, A, [&[a], &[], &[]])
}

fn nxdomain(qname: &str, zone: &str) -> Vec<u8> {
    let soa = rr(&wire(zone), SOA, &[0; 22]);
    reply([AA, 3], qname, A, [&[], &[soa], &[]])
}

fn referral(qname: &str, cut: &str) -> Vec<u8> {
    let ns = rr(&wire(cut), NS, &wire("ns.example.net"));
    reply([0, 0], qname, A, [&[], &[ns], &[]])
}

fn nodata(qname: &str, qtype: u16) -> Vec<u8> {
    let soa = rr(&wire("example.com"), SOA, &[0; 22]);
    reply([AA, 0], qname, qtype, [&[], &[soa], &[]])
}

fn servfail(qname: &str) -> Vec<u8> {
    reply([0, 2], qname, A, [&[], &[], &[]])
}

fn settings(rate: u32, slip: u8) -> Settings {
    Settings {
        rates: Rates {
            responses: rate,
            nodata: rate,
            nxdomains: rate,
            referrals: rate,
            errors: rate,
        },
        slip,
        ..Settings::default()
    }
}

fn limiter(settings: Settings) -> Limiter {
    Limiter::with_table(settings, Arc::default(), 7, 1 << 12)
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

/// How `count` copies of `reply` from `client` at `now` fare: (sent
/// whole, slipped, dropped).
fn flood(limiter: &Limiter, now: u64, client: IpAddr, reply: &[u8], count: usize) -> [usize; 3] {
    let mut out = [0; 3];
    for _ in 0..count {
        match limiter.judge(now, client, reply) {
            None
            | Some(Limited {
                action: Action::Logged,
                ..
            }) => out[0] += 1,
            Some(Limited {
                action: Action::Slipped,
                ..
            }) => out[1] += 1,
            Some(Limited {
                action: Action::Dropped,
                ..
            }) => out[2] += 1,
        }
    }
    out
}

#[test]
fn an_account_answers_its_rate_then_limits() {
    let limiter = limiter(settings(5, 0));
    let client = ip("192.0.2.1");
    let www = answer("www.example.com");
    for _ in 0..5 {
        assert_eq!(limiter.judge(100, client, &www), None);
    }
    let sixth = limiter.judge(100, client, &www).expect("over the rate");
    assert_eq!(sixth.kind, Kind::Answer);
    assert_eq!(sixth.action, Action::Dropped);
    assert!(sixth.started, "the first limited response starts limiting");
    let seventh = limiter.judge(100, client, &www).expect("still over");
    assert!(!seventh.started, "logged once, not per response");
    assert_eq!(limiter.counters().get(Kind::Answer, Action::Dropped), 2);
}

#[test]
fn a_steady_client_under_its_rate_is_never_limited() {
    let limiter = limiter(settings(10, 2));
    let client = ip("192.0.2.1");
    let www = answer("www.example.com");
    for second in 0..60 {
        assert_eq!(flood(&limiter, 1000 + second, client, &www, 10), [10, 0, 0]);
    }
}

#[test]
fn a_continuing_flood_stays_limited_and_the_window_is_the_recovery_time() {
    let limiter = limiter(settings(5, 0));
    let client = ip("192.0.2.1");
    let www = answer("www.example.com");
    // One second of credit, then the debt reaches -window × rate.
    assert_eq!(flood(&limiter, 100, client, &www, 200), [5, 0, 195]);
    for second in 101..110 {
        assert_eq!(flood(&limiter, second, client, &www, 50), [0, 0, 50]);
    }
    // Quiet from 110: the debt (-75) is paid off 5 a second, so at
    // 110 + 15 the balance is back to 0 and one more response is over.
    assert_eq!(flood(&limiter, 124, client, &www, 1), [0, 0, 1]);
    let limiter = self::limiter(settings(5, 0));
    assert_eq!(flood(&limiter, 100, client, &www, 200), [5, 0, 195]);
    assert_eq!(flood(&limiter, 115, client, &www, 1), [0, 0, 1]);
    assert_eq!(flood(&limiter, 116, client, &www, 5), [4, 0, 1]);
}

#[test]
fn window_bounds_the_debt() {
    let mut short = settings(10, 0);
    short.window = 2;
    let limiter = limiter(short);
    let client = ip("192.0.2.1");
    let www = answer("www.example.com");
    assert_eq!(flood(&limiter, 100, client, &www, 10_000), [10, 0, 9990]);
    // Debt at most 20: after 3 quiet seconds the account is in credit.
    assert_eq!(flood(&limiter, 103, client, &www, 10), [10, 0, 0]);
}

#[test]
fn slip_sends_every_nth_limited_response_truncated() {
    for (slip, expected) in [(0u8, 0usize), (1, 100), (2, 50), (3, 33), (10, 10)] {
        let limiter = limiter(settings(1, slip));
        let www = answer("www.example.com");
        let [sent, slipped, dropped] = flood(&limiter, 100, ip("192.0.2.1"), &www, 101);
        assert_eq!(sent, 1);
        assert_eq!(slipped, expected, "slip {slip}");
        assert_eq!(dropped, 100 - expected, "slip {slip}");
    }
}

#[test]
fn ipv4_clients_are_grouped_by_their_prefix() {
    let limiter = limiter(settings(3, 0));
    let www = answer("www.example.com");
    assert_eq!(flood(&limiter, 100, ip("192.0.2.1"), &www, 3), [3, 0, 0]);
    assert_eq!(flood(&limiter, 100, ip("192.0.2.254"), &www, 1), [0, 0, 1]);
    assert_eq!(flood(&limiter, 100, ip("192.0.3.1"), &www, 3), [3, 0, 0]);
    let mut narrow = settings(3, 0);
    narrow.ipv4_prefix_length = 32;
    let limiter = self::limiter(narrow);
    assert_eq!(flood(&limiter, 100, ip("192.0.2.1"), &www, 3), [3, 0, 0]);
    assert_eq!(flood(&limiter, 100, ip("192.0.2.2"), &www, 3), [3, 0, 0]);
}

#[test]
fn ipv6_clients_are_grouped_by_their_prefix() {
    let limiter = limiter(settings(3, 0));
    let www = answer("www.example.com");
    assert_eq!(
        flood(&limiter, 100, ip("2001:db8:0:1::1"), &www, 3),
        [3, 0, 0]
    );
    // Same /56 (only the last 8 bits of the fourth group differ).
    assert_eq!(
        flood(&limiter, 100, ip("2001:db8:0:ff::9"), &www, 1),
        [0, 0, 1]
    );
    assert_eq!(
        flood(&limiter, 100, ip("2001:db8:0:100::1"), &www, 3),
        [3, 0, 0]
    );
    // An IPv4-mapped address is its IPv4 client.
    assert_eq!(flood(&limiter, 100, ip("192.0.2.1"), &www, 3), [3, 0, 0]);
    assert_eq!(
        flood(&limiter, 100, ip("::ffff:192.0.2.7"), &www, 1),
        [0, 0, 1]
    );
    assert_eq!(
        prefix_of(limiter.settings(), ip("2001:db8:0:1ff::1")),
        (ip("2001:db8:0:100::"), 56)
    );
    assert_eq!(
        prefix_of(limiter.settings(), ip("192.0.2.77")),
        (ip("192.0.2.0"), 24)
    );
}

#[test]
fn nxdomain_is_keyed_by_zone_so_random_names_share_an_account() {
    let limiter = limiter(settings(10, 0));
    let client = ip("192.0.2.1");
    let mut outcome = [0; 3];
    for i in 0..100 {
        let reply = nxdomain(&format!("r{i}.example.com"), "example.com");
        let [a, b, c] = flood(&limiter, 100, client, &reply, 1);
        outcome = [outcome[0] + a, outcome[1] + b, outcome[2] + c];
    }
    assert_eq!(outcome, [10, 0, 90]);
    // Another zone is another account.
    let other = nxdomain("x.example.org", "example.org");
    assert_eq!(flood(&limiter, 100, client, &other, 1), [1, 0, 0]);
}

#[test]
fn answers_are_keyed_by_name_and_type_and_nodata_by_name() {
    let limiter = limiter(settings(2, 0));
    let client = ip("192.0.2.1");
    assert_eq!(
        flood(&limiter, 100, client, &answer("a.example.com"), 2),
        [2, 0, 0]
    );
    assert_eq!(
        flood(&limiter, 100, client, &answer("b.example.com"), 2),
        [2, 0, 0]
    );
    // Case does not make another account (0x20 randomisation).
    assert_eq!(
        flood(&limiter, 100, client, &answer("A.Example.COM"), 1),
        [0, 0, 1]
    );
    // NODATA for any type of one name is one account, not the answer's.
    assert_eq!(
        flood(&limiter, 100, client, &nodata("a.example.com", 16), 2),
        [2, 0, 0]
    );
    assert_eq!(
        flood(&limiter, 100, client, &nodata("a.example.com", 99), 1),
        [0, 0, 1]
    );
}

#[test]
fn referrals_are_keyed_by_the_delegation_and_errors_share_one_account() {
    let limiter = limiter(settings(2, 0));
    let client = ip("192.0.2.1");
    let one = referral("a.sub.example.com", "sub.example.com");
    let two = referral("b.sub.example.com", "sub.example.com");
    assert_eq!(flood(&limiter, 100, client, &one, 2), [2, 0, 0]);
    assert_eq!(flood(&limiter, 100, client, &two, 1), [0, 0, 1]);
    assert_eq!(
        flood(&limiter, 100, client, &servfail("x.example.com"), 2),
        [2, 0, 0]
    );
    assert_eq!(
        flood(&limiter, 100, client, &servfail("y.example.org"), 1),
        [0, 0, 1]
    );
    assert_eq!(limiter.counters().get(Kind::Referral, Action::Dropped), 1);
    assert_eq!(limiter.counters().get(Kind::Error, Action::Dropped), 1);
}

#[test]
fn each_kind_has_its_own_rate_and_zero_leaves_it_unlimited() {
    let mut own = settings(100, 0);
    own.rates.nxdomains = 2;
    own.rates.errors = 0;
    let limiter = limiter(own);
    let client = ip("192.0.2.1");
    assert_eq!(
        flood(
            &limiter,
            100,
            client,
            &nxdomain("x.example.com", "example.com"),
            3
        ),
        [2, 0, 1]
    );
    assert_eq!(
        flood(&limiter, 100, client, &answer("www.example.com"), 100),
        [100, 0, 0]
    );
    assert_eq!(
        flood(&limiter, 100, client, &servfail("www.example.com"), 1000),
        [1000, 0, 0]
    );
}

#[test]
fn exempt_clients_are_never_limited() {
    let mut exempt = settings(1, 0);
    let rule = crate::acl::parse_match_rule("192.0.2.0/24").expect("a rule");
    exempt.exempt = MatchList::compile(&[rule], &|_| None).expect("compiles");
    let limiter = limiter(exempt);
    let www = answer("www.example.com");
    assert_eq!(flood(&limiter, 100, ip("192.0.2.9"), &www, 50), [50, 0, 0]);
    assert_eq!(flood(&limiter, 100, ip("198.51.100.9"), &www, 2), [1, 0, 1]);
}

#[test]
fn log_only_counts_but_sends() {
    let mut logging = settings(1, 2);
    logging.log_only = true;
    let limiter = limiter(logging);
    let www = answer("www.example.com");
    assert_eq!(flood(&limiter, 100, ip("192.0.2.9"), &www, 10), [10, 0, 0]);
    assert_eq!(limiter.counters().get(Kind::Answer, Action::Logged), 9);
    assert_eq!(limiter.counters().get(Kind::Answer, Action::Dropped), 0);
}

#[test]
fn other_opcodes_are_never_limited() {
    let limiter = limiter(settings(1, 0));
    let mut notify = answer("example.com");
    notify[2] |= 4 << 3;
    assert_eq!(
        flood(&limiter, 100, ip("192.0.2.9"), &notify, 10),
        [10, 0, 0]
    );
}

#[test]
fn a_colliding_key_cannot_reset_a_flood_in_debt() {
    // One account for everything: every key collides.
    let limiter = Limiter::with_table(settings(10, 0), Arc::default(), 7, 1);
    let flooder = ip("192.0.2.1");
    let www = answer("www.example.com");
    assert_eq!(flood(&limiter, 100, flooder, &www, 100), [10, 0, 90]);
    // Another client's responses land on the flood's account: it shares
    // the debt rather than starting the account afresh…
    let other = ip("198.51.100.1");
    assert_eq!(
        flood(&limiter, 100, other, &answer("a.example.org"), 1),
        [0, 0, 1]
    );
    // …so the flood stays limited.
    assert_eq!(flood(&limiter, 101, flooder, &www, 100), [0, 0, 100]);
}

#[test]
fn a_small_table_under_a_flood_and_steady_traffic_does_not_under_limit_the_flood() {
    let limiter = Limiter::with_table(settings(10, 0), Arc::default(), 11, 16);
    let flooder = ip("192.0.2.1");
    let www = answer("www.example.com");
    let mut flood_sent = 0;
    for second in 0..20u64 {
        for i in 0..100 {
            flood_sent += flood(&limiter, 1000 + second, flooder, &www, 1)[0];
            // Steady clients on many other keys, colliding all the time.
            let name = format!("n{}.example.org", (second * 100 + i) % 500);
            flood(
                &limiter,
                1000 + second,
                ip("198.51.100.1"),
                &answer(&name),
                1,
            );
        }
    }
    // 20 s at 10/s is 200 at most; BIND's accounting gives the flood one
    // second of credit and then keeps it in debt.
    assert!(flood_sent <= 200, "the flood got {flood_sent} answers");
    assert!(flood_sent >= 10, "the first second's credit: {flood_sent}");
}

#[test]
fn classification_reads_kind_and_key_from_the_reply() {
    let www = classify(&answer("www.example.com")).expect("a query reply");
    assert_eq!(www.kind, Kind::Answer);
    let nx1 = classify(&nxdomain("a.example.com", "example.com")).expect("nx");
    let nx2 = classify(&nxdomain("b.EXAMPLE.com", "Example.com")).expect("nx");
    assert_eq!(nx1, nx2);
    assert_eq!(nx1.kind, Kind::Nxdomain);
    let cut = classify(&referral("a.sub.example.com", "sub.example.com")).expect("referral");
    assert_eq!(cut.kind, Kind::Referral);
    assert_eq!(
        classify(&nodata("a.example.com", 28)).map(|r| r.kind),
        Some(Kind::Nodata)
    );
    assert_eq!(
        classify(&servfail("a.example.com")),
        Some(Response {
            kind: Kind::Error,
            key: 0
        })
    );
}

#[test]
fn nothing_received_panics_the_classifier() {
    let www = answer("www.example.com");
    for cut in 0..www.len() {
        let _ = classify(&www[..cut]);
        let mut copy = www[..cut].to_vec();
        slip_reply(&mut copy);
    }
    let nx = nxdomain("a.example.com", "example.com");
    for i in 12..nx.len() {
        let mut broken = nx.clone();
        broken[i] = 0xFF;
        let _ = classify(&broken);
        slip_reply(&mut broken.clone());
        broken[i] = 0xC0;
        let _ = classify(&broken);
        slip_reply(&mut broken);
    }
}

#[test]
fn a_slipped_reply_is_the_question_with_tc_and_the_opt() {
    let opt = {
        let mut opt = vec![0, 0, 41, 0x04, 0xD0, 0, 0, 0x80, 0];
        opt.extend_from_slice(&[0, 4, 0, 3, 0, 0]);
        opt
    };
    let a = rr(&[0xC0, 12], A, &[192, 0, 2, 1]);
    let mut full = reply([AA, 0], "www.example.com", A, [&[a], &[], &[opt]]);
    slip_reply(&mut full);
    let question = wire("www.example.com").len() + 4;
    assert_eq!(full.len(), 12 + question + 11);
    assert_eq!(full[2] & 0x02, 0x02, "TC");
    assert_eq!(&full[4..12], &[0, 1, 0, 0, 0, 0, 0, 1]);
    // The OPT keeps its payload size and DO bit, without options.
    assert_eq!(
        &full[12 + question..],
        &[0, 0, 41, 0x04, 0xD0, 0, 0, 0x80, 0, 0, 0]
    );
    let mut plain = answer("www.example.com");
    slip_reply(&mut plain);
    assert_eq!(plain.len(), 12 + question);
    assert_eq!(&plain[4..12], &[0, 1, 0, 0, 0, 0, 0, 0]);
}
