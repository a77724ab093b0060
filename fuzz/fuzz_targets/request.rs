//! Any bytes as a request, over UDP and TCP, against the differential test
//! zone: `respond` must not panic, and every reply must parse and echo the ID.
//! tests/fuzz_corpus.rs replays this target's corpus on stable.

#![no_main]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use answer::{respond, Catalog, Client, Scratch, Served, Settings};
use libfuzzer_sys::fuzz_target;
use zone::{BuildOptions, Transport, Zone};

const ZONE: &str = include_str!("../../tests/data/diff/diff.test.zone");

fn served() -> &'static Served {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED.get_or_init(|| {
        let origin = "diff.test.".parse().unwrap();
        let file = zonefile::parse_str(ZONE, &origin, Path::new("diff.test.zone")).unwrap();
        let zone = Zone::build(&origin, file.records.into_iter().map(|r| r.record).collect(), BuildOptions::default()).unwrap();
        let mut catalog = Catalog::new();
        catalog.insert(Arc::new(zone));
        let settings = Settings { nsid: Some(b"fuzz".to_vec()), version: Some("v".into()), ..Settings::default() };
        Served { catalog, settings, ..Served::default() }
    })
}

fuzz_target!(|data: &[u8]| {
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    for transport in [Transport::Udp, Transport::Tcp] {
        let client = Client { address: "127.0.0.1:53000".parse().unwrap(), transport, now: 0 };
        if respond(served(), data, &client, &mut scratch, &mut out).is_reply() {
            let reply = wire::Message::parse(&out).expect("replies always parse");
            assert_eq!(reply.header.id.to_be_bytes(), [data[0], data[1]]);
            if transport == Transport::Udp {
                assert!(out.len() <= 1232);
            }
        }
    }
});
