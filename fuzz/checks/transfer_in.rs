//! The transfer target's check (fuzz/fuzz_targets/transfer_in.rs; replayed
//! on stable by tests/fuzz_corpus.rs): any bytes as the TCP stream a
//! secondary reads after asking for an IXFR (first octet odd) or AXFR of the
//! base zone — two-octet length, message, and again. Reading must not panic;
//! a complete IXFR applied as patches over the copy must give the same
//! records as the same differences applied to the record set and built
//! afresh, as the secondary does for large changes.

// Declared at the crate root by the fuzz target and by the replay.
use crate::base_zone;

use replicate::diff::RecordSet;
use replicate::xfr_in::{Incoming, Received, Request};
use zone::{BuildOptions, Zone};

/// Runs the check on one input.
pub fn check(data: &[u8]) {
    let Some((&first, mut rest)) = data.split_first() else {
        return;
    };
    let base = base_zone::zone();
    let request = if first & 1 == 1 {
        Request::Ixfr(base.serial())
    } else {
        Request::Axfr
    };
    let mut incoming = Incoming::new(base.apex(), request);
    let received = loop {
        let Some((length, after)) = rest.split_first_chunk::<2>() else {
            return;
        };
        let length = u16::from_be_bytes(*length) as usize;
        let Some((message, after)) = (after.len() >= length).then(|| after.split_at(length)) else {
            return;
        };
        rest = after;
        let Ok(message) = wire::Message::parse(message) else {
            return;
        };
        match incoming.feed(&message) {
            Ok(Some(received)) => break received,
            Ok(None) => {}
            Err(_) => return,
        }
    };
    match received {
        Received::Full { records, .. } => {
            let _ = Zone::build(base.apex(), records, BuildOptions::default());
        }
        Received::Incremental(diffs) => {
            let mut patched: Option<Zone> = None;
            let mut applied = true;
            let mut set = Some(RecordSet::from_records(base.canonical_records()));
            for diff in &diffs {
                match patched
                    .as_ref()
                    .unwrap_or(base)
                    .apply(&diff.removed, &diff.added)
                {
                    Ok(next) => patched = Some(next),
                    Err(_) => applied = false,
                }
                set = set.and_then(|mut s| s.apply(&diff.removed, &diff.added).ok().map(|()| s));
            }
            let fresh = set.and_then(|s| {
                Zone::build(base.apex(), s.into_records(), BuildOptions::default()).ok()
            });
            if let (true, Some(fresh)) = (applied, fresh) {
                let patched = patched.as_ref().unwrap_or(base);
                assert_eq!(
                    base_zone::listed(patched),
                    base_zone::listed(&fresh),
                    "patched and rebuilt copies differ"
                );
            }
        }
        Received::UpToDate(_) => {}
    }
}
