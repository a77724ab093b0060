//! The API target's check (fuzz/fuzz_targets/api_json.rs; replayed on
//! stable by tests/fuzz_corpus.rs): any bytes as the JSON body of a zone
//! PATCH (first octet even) or a zone POST (odd). Reading and converting
//! must not panic, and a body we accept must come back the same after a
//! round trip through our own JSON.

use api::pdns::{ZoneCreate, ZonePatch};

const NOW: u64 = 1_700_000_000;

/// Runs the check on one input.
pub fn check(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let Ok(patch) = serde_json::from_slice::<ZonePatch>(body) else {
            return;
        };
        let accepted = api::convert::patch_changes(&patch.rrsets, NOW);
        let again: ZonePatch = serde_json::from_slice(&serde_json::to_vec(&patch).unwrap())
            .expect("our own JSON of a PATCH body reads back");
        assert_eq!(again, patch);
        assert_eq!(
            api::convert::patch_changes(&again.rrsets, NOW).is_ok(),
            accepted.is_ok(),
            "the round trip changes nothing of the verdict"
        );
    } else {
        let Ok(create) = serde_json::from_slice::<ZoneCreate>(body) else {
            return;
        };
        let _ = api::convert::new_zone(&create, store::SerialPolicy::default(), NOW);
        let again: ZoneCreate = serde_json::from_slice(&serde_json::to_vec(&create).unwrap())
            .expect("our own JSON of a POST body reads back");
        assert_eq!(again, create);
    }
}
