//! Integration tests of the zonefile crate, compiled into one binary.

mod checks;
mod directives;
mod errors;
mod fixtures;
mod never_panics;
mod rdata;
mod records;

use std::path::Path;

use wire::Name;
use zonefile::{Diagnostic, ZoneFile};

/// The origin most tests use.
pub fn origin() -> Name {
    "example.com.".parse().unwrap()
}

/// Parses zone text named `test.zone` with origin example.com.
pub fn parse(text: &str) -> Result<ZoneFile, Vec<Diagnostic>> {
    zonefile::parse_str(text, &origin(), Path::new("test.zone"))
}

/// Parses zone text that must be free of errors.
pub fn parse_ok(text: &str) -> ZoneFile {
    match parse(text) {
        Ok(zone) => zone,
        Err(errors) => panic!("unexpected errors:\n{}", render(&errors)),
    }
}

/// Parses zone text that must fail, and returns the errors as text.
pub fn parse_err(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(zone) => panic!("expected errors, got {} records", zone.records.len()),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

/// Diagnostics one per line.
pub fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().map(|d| format!("{d}\n")).collect()
}

/// `owner ttl class type rdata` lines of a zone, for compact assertions.
pub fn lines(zone: &ZoneFile) -> Vec<String> {
    zone.records.iter().map(|r| r.record.to_string()).collect()
}
