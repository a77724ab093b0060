//! libFuzzer driver of the `update` check: the check itself is in
//! fuzz/checks/update.rs, shared with tests/fuzz_corpus.rs, which replays this
//! target's corpus on stable.

#![no_main]

#[path = "../checks/base_zone.rs"]
mod base_zone;
#[path = "../checks/update.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
