//! libFuzzer driver of the `transfer_in` check: the check itself is in
//! fuzz/checks/transfer_in.rs, shared with tests/fuzz_corpus.rs, which replays this
//! target's corpus on stable.

#![no_main]

#[path = "../checks/base_zone.rs"]
mod base_zone;
#[path = "../checks/transfer_in.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
