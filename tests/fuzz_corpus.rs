//! Replays the fuzzers' corpora (fuzz/corpus/*) as ordinary tests on
//! stable, with the same checks as the fuzz targets in fuzz/fuzz_targets/:
//! nothing panics, every reply parses and echoes the request ID, UDP
//! replies respect the payload limit.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use answer::acl::{MatchList, parse_match_rule};
use answer::view::{View, Views};
use answer::{Catalog, Client, Scratch, Served, Settings, respond, respond_in_views};
use zone::{BuildOptions, Transport, Zone};

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn served() -> Served {
    let origin = "diff.test.".parse().unwrap();
    let text = include_str!("data/diff/diff.test.zone");
    let file = zonefile::parse_str(text, &origin, Path::new("diff.test.zone")).unwrap();
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
}

/// The views the fuzz target answers through as well.
fn views() -> Views {
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
}

#[test]
fn request_corpus_replays_cleanly() {
    let served = served();
    let views = views();
    let lanes = [&served, &served, &served];
    let inputs = corpus("request");
    assert!(inputs.len() >= 20, "the request corpus is missing");
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    for (path, data) in &inputs {
        for transport in [Transport::Udp, Transport::Tcp] {
            let client = Client {
                address: "127.0.0.1:53000".parse().unwrap(),
                transport,
                now: 0,
            };
            if respond(&served, data, &client, &mut scratch, &mut out).is_reply() {
                let reply = wire::Message::parse(&out)
                    .unwrap_or_else(|e| panic!("{}: reply does not parse: {e}", path.display()));
                assert_eq!(
                    reply.header.id.to_be_bytes(),
                    [data[0], data[1]],
                    "{}",
                    path.display()
                );
                if transport == Transport::Udp {
                    assert!(out.len() <= 1232, "{}", path.display());
                }
            }
            let (outcome, view) =
                respond_in_views(&views, &lanes, data, &client, &mut scratch, &mut out);
            assert!(view < lanes.len(), "{}", path.display());
            if outcome.is_reply() {
                let reply = wire::Message::parse(&out)
                    .unwrap_or_else(|e| panic!("{}: reply does not parse: {e}", path.display()));
                assert_eq!(reply.header.id.to_be_bytes(), [data[0], data[1]]);
            }
        }
    }
}

#[test]
fn zonefile_corpus_replays_cleanly() {
    let inputs = corpus("zonefile");
    assert!(!inputs.is_empty(), "the zonefile corpus is missing");
    let origin = "fuzz.test.".parse().unwrap();
    for (_, data) in &inputs {
        let Ok(text) = std::str::from_utf8(data) else {
            continue;
        };
        if text.to_ascii_uppercase().contains("$INCLUDE") {
            continue;
        }
        if let Ok(file) = zonefile::parse_str(text, &origin, Path::new("/nonexistent/fuzz.zone")) {
            let _ = zonefile::check(&file);
            let records = file.records.into_iter().map(|r| r.record).collect();
            let _ = Zone::build(&origin, records, BuildOptions::default());
        }
    }
}

// The newer targets keep their checks in fuzz/checks/, one file each,
// shared by the fuzz target and this replay: they cannot drift apart.

#[path = "../fuzz/checks/api_json.rs"]
mod api_json_check;
#[path = "../fuzz/checks/base_zone.rs"]
mod base_zone;
#[path = "../fuzz/checks/catalog.rs"]
mod catalog_check;
#[path = "../fuzz/checks/config.rs"]
mod config_check;
#[path = "../fuzz/checks/transfer_in.rs"]
mod transfer_in_check;
#[path = "../fuzz/checks/tsig.rs"]
mod tsig_check;
#[path = "../fuzz/checks/update.rs"]
mod update_check;

/// Runs `check` on every input of `target`'s corpus (at least `minimum`
/// of them), naming the input that fails.
fn replay(target: &str, minimum: usize, check: fn(&[u8])) {
    let inputs = corpus(target);
    assert!(
        inputs.len() >= minimum,
        "the {target} corpus has {} inputs, fewer than {minimum}",
        inputs.len()
    );
    // Inputs that once failed, kept apart so that `cargo fuzz cmin` (which
    // keeps only what adds coverage) cannot drop them.
    let regressions = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut inputs = inputs;
    if regressions.is_dir() {
        for entry in std::fs::read_dir(&regressions).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            inputs.push((path, bytes));
        }
    }
    for (path, data) in &inputs {
        let outcome = std::panic::catch_unwind(|| check(data));
        assert!(
            outcome.is_ok(),
            "{} fails the {target} check",
            path.display()
        );
    }
}

#[test]
fn update_corpus_replays_cleanly() {
    replay("update", 500, update_check::check);
}

#[test]
fn transfer_in_corpus_replays_cleanly() {
    replay("transfer_in", 500, transfer_in_check::check);
}

#[test]
fn tsig_corpus_replays_cleanly() {
    replay("tsig", 100, tsig_check::check);
}

#[test]
fn config_corpus_replays_cleanly() {
    replay("config", 1000, config_check::check);
}

#[test]
fn catalog_corpus_replays_cleanly() {
    replay("catalog", 1000, catalog_check::check);
}

#[test]
fn api_json_corpus_replays_cleanly() {
    replay("api_json", 1000, api_json_check::check);
}
