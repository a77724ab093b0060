//! Zone files under `testdata/`, named by their verdict:
//! `*.valid.zone` parse and check without errors, `*.warning.zone` parse and
//! check with warnings only, `*.invalid.zone` fail to parse or fail the
//! checks. A line `; expect: TEXT` in an invalid or warning fixture names
//! text that one of its diagnostics must contain.

use std::fs;
use std::path::{Path, PathBuf};

use zonefile::{Diagnostic, Severity};

use crate::{origin, render};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// Parse errors, or else check findings.
fn diagnostics(path: &Path) -> Vec<Diagnostic> {
    match zonefile::parse_file(path, &origin()) {
        Ok(zone) => zonefile::check(&zone),
        Err(errors) => errors,
    }
}

fn expectations(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("; expect: "))
        .map(str::to_string)
        .collect()
}

fn fixtures(suffix: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir(testdata())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .ends_with(suffix)
        })
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no {suffix} fixtures");
    paths
}

#[test]
fn valid_fixtures_have_no_findings() {
    for path in fixtures(".valid.zone") {
        let found = diagnostics(&path);
        assert!(found.is_empty(), "{}:\n{}", path.display(), render(&found));
    }
}

#[test]
fn warning_fixtures_have_warnings_only() {
    for path in fixtures(".warning.zone") {
        let found = diagnostics(&path);
        assert!(!found.is_empty(), "{} has no findings", path.display());
        assert!(
            found.iter().all(|d| d.severity == Severity::Warning),
            "{}:\n{}",
            path.display(),
            render(&found)
        );
        check_expectations(&path, &found);
    }
}

#[test]
fn invalid_fixtures_have_errors() {
    for path in fixtures(".invalid.zone") {
        let found = diagnostics(&path);
        assert!(
            found.iter().any(Diagnostic::is_error),
            "{} has no errors:\n{}",
            path.display(),
            render(&found)
        );
        check_expectations(&path, &found);
    }
}

fn check_expectations(path: &Path, found: &[Diagnostic]) {
    let expected = expectations(path);
    assert!(
        !expected.is_empty(),
        "{} has no `; expect:` line",
        path.display()
    );
    let shown = render(found);
    for text in expected {
        assert!(
            shown.contains(&text),
            "{}: no diagnostic contains {text:?}:\n{shown}",
            path.display()
        );
    }
}

#[test]
fn full_example_zone_parses_and_checks_clean() {
    let path = testdata().join("example.com.zone");
    let zone = zonefile::parse_file(&path, &origin())
        .unwrap_or_else(|errors| panic!("{}", render(&errors)));
    let found = zonefile::check(&zone);
    assert!(found.is_empty(), "{}", render(&found));
    let mut types: Vec<String> = zone
        .records
        .iter()
        .map(|r| r.record.rtype.to_string())
        .collect();
    types.sort();
    types.dedup();
    for rtype in [
        "SOA",
        "NS",
        "A",
        "AAAA",
        "CNAME",
        "DNAME",
        "MX",
        "TXT",
        "SRV",
        "PTR",
        "CAA",
        "NAPTR",
        "SSHFP",
        "TLSA",
        "HINFO",
        "DS",
        "DNSKEY",
        "RRSIG",
        "NSEC",
        "NSEC3",
        "NSEC3PARAM",
        "HTTPS",
        "SVCB",
        "SPF",
        "TYPE65534",
    ] {
        assert!(
            types.iter().any(|t| t == rtype),
            "example.com.zone has no {rtype}: {types:?}"
        );
    }
}
