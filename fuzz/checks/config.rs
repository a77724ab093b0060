//! The configuration target's check (fuzz/fuzz_targets/config.rs; replayed
//! on stable by tests/fuzz_corpus.rs): any text as a configuration file.
//! Parsing and validation must not panic; an accepted configuration must
//! list its effective settings, and the error of a refused one must name
//! something.

/// Runs the check on one input.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match config::Config::parse(text, None) {
        Ok(config) => {
            let settings = config.effective_settings();
            assert!(
                !settings.is_empty(),
                "an accepted configuration lists its settings"
            );
        }
        Err(error) => {
            assert!(!error.to_string().is_empty(), "a refusal says why");
        }
    }
}
