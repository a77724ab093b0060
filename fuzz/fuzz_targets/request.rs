//! Any bytes as a request, over UDP and TCP, against the differential test
//! zone, on a node without views and on one with views (by address, key and
//! trusted EDNS Client Subnet): answering must not panic, and every reply
//! must parse and echo the ID. tests/fuzz_corpus.rs replays this target's
//! corpus on stable.

#![no_main]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use answer::acl::{parse_match_rule, MatchList};
use answer::view::{View, Views};
use answer::{respond, respond_in_views, Catalog, Client, Scratch, Served, Settings};
use libfuzzer_sys::fuzz_target;
use zone::{BuildOptions, Transport, Zone};

const ZONE: &str = include_str!("../../tests/data/diff/diff.test.zone");

fn served() -> &'static Served {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED.get_or_init(|| {
        let origin = "diff.test.".parse().unwrap();
        let file = zonefile::parse_str(ZONE, &origin, Path::new("diff.test.zone")).unwrap();
        let zone = Zone::build(
            &origin,
            file.records.into_iter().map(|r| r.record).collect(),
            BuildOptions::default(),
        )
        .unwrap();
        let mut catalog = Catalog::new();
        catalog.insert(Arc::new(zone));
        let settings = Settings {
            nsid: Some(b"fuzz".to_vec()),
            version: Some("v".into()),
            ..Settings::default()
        };
        Served {
            catalog,
            settings,
            ..Served::default()
        }
    })
}

fn views() -> &'static Views {
    static VIEWS: OnceLock<Views> = OnceLock::new();
    VIEWS.get_or_init(|| {
        let list = |items: &[&str]| {
            let rules: Vec<_> = items.iter().map(|i| parse_match_rule(i).unwrap()).collect();
            MatchList::compile(&rules, &|_| None).unwrap()
        };
        Views::new(vec![
            View::new("keyed", list(&[]), vec!["k.".parse().unwrap()], None),
            View::new(
                "geo",
                list(&["!10.1.128.0/17", "10.0.0.0/8", "2001:db8::/32"]),
                vec![],
                Some(list(&["127.0.0.0/8"])),
            ),
            View::new("rest", list(&["!198.51.100.0/24", "any"]), vec![], None),
        ])
    })
}

fuzz_target!(|data: &[u8]| {
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    for transport in [Transport::Udp, Transport::Tcp] {
        let client = Client {
            address: "127.0.0.1:53000".parse().unwrap(),
            transport,
            now: 0,
        };
        if respond(served(), data, &client, &mut scratch, &mut out).is_reply() {
            let reply = wire::Message::parse(&out).expect("replies always parse");
            assert_eq!(reply.header.id.to_be_bytes(), [data[0], data[1]]);
            if transport == Transport::Udp {
                assert!(out.len() <= 1232);
            }
        }
        let lanes = [served(), served(), served()];
        let (outcome, view) =
            respond_in_views(views(), &lanes, data, &client, &mut scratch, &mut out);
        assert!(view < lanes.len());
        if outcome.is_reply() {
            let reply = wire::Message::parse(&out).expect("replies always parse");
            assert_eq!(reply.header.id.to_be_bytes(), [data[0], data[1]]);
        }
    }
});
