//! Any bytes as a zone file: parsing and checking must not panic.
//! tests/fuzz_corpus.rs replays this target's corpus on stable.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // $INCLUDE reads other files; arbitrary paths (/dev/zero) are not the
    // parser's problem and would only slow the fuzzer down.
    if text.to_ascii_uppercase().contains("$INCLUDE") {
        return;
    }
    let origin = "fuzz.test.".parse().unwrap();
    if let Ok(file) = zonefile::parse_str(text, &origin, Path::new("/nonexistent/fuzz.zone")) {
        let _ = zonefile::check(&file);
        let records = file.records.into_iter().map(|r| r.record).collect();
        let _ = zone::Zone::build(&origin, records, zone::BuildOptions::default());
    }
});
