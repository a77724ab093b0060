//! libFuzzer driver of the `api_json` check: the check itself is in
//! fuzz/checks/api_json.rs, shared with tests/fuzz_corpus.rs, which replays this
//! target's corpus on stable.

#![no_main]

#[path = "../checks/api_json.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
