//! libFuzzer driver of the `tsig` check: the check itself is in
//! fuzz/checks/tsig.rs, shared with tests/fuzz_corpus.rs, which replays this
//! target's corpus on stable.

#![no_main]

#[path = "../checks/tsig.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
