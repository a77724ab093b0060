//! Error reporting: `FILE:LINE: message`, the line of the offending token,
//! all errors collected up to the cap.

use std::fs;

use crate::{origin, parse_err};

#[test]
fn error_names_file_line_and_what_was_expected() {
    let errors = parse_err("$TTL 60\nwww A 192.0.2.1\nbad INX 192.0.2.2\n");
    assert_eq!(
        errors,
        vec!["test.zone:3: expected a TTL, class or type, found \"INX\""]
    );
}

#[test]
fn error_inside_a_parenthesised_record_names_the_token_line() {
    let text = "$TTL 60\n@ SOA ns1 hostmaster (\n   2024010101\n   3600\n   nine-hundred\n   1209600 300 )\n";
    assert_eq!(
        parse_err(text),
        vec!["test.zone:5: bad SOA RDATA: expected decimal number (at \"nine-hundred\")"]
    );
}

#[test]
fn missing_fields_point_at_the_last_line_of_the_entry() {
    let errors = parse_err("$TTL 60\n@ SOA ns1 hostmaster (\n 1 2 3\n 4 )\n");
    assert_eq!(
        errors,
        vec!["test.zone:4: bad SOA RDATA: the RDATA ends too early: more fields expected"]
    );
}

#[test]
fn error_inside_an_included_file_names_that_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("main.zone"),
        "$TTL 60\n$INCLUDE inc.zone\nok A 192.0.2.1\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("inc.zone"),
        "a A 192.0.2.1\n\nb A 192.0.2.999\n",
    )
    .unwrap();
    let errors = zonefile::parse_file(&dir.path().join("main.zone"), &origin()).unwrap_err();
    assert_eq!(errors.len(), 1);
    let expected = format!("{}:3: bad A RDATA: ", dir.path().join("inc.zone").display());
    assert!(
        errors[0].to_string().starts_with(&expected),
        "{}",
        errors[0]
    );
}

#[test]
fn all_errors_are_collected() {
    let errors = parse_err("$TTL 60\na A 1\nb AAAA x\nc MX 10\nd A 192.0.2.1\ne CNAME a..b\n");
    let lines: Vec<&str> = errors
        .iter()
        .map(|e| e.split(':').nth(1).unwrap())
        .collect();
    assert_eq!(lines, vec!["2", "3", "4", "6"]);
}

#[test]
fn errors_stop_after_the_cap() {
    let text: String = (0..500).map(|i| format!("h{i} A bad\n")).collect();
    let errors = parse_err(&format!("$TTL 60\n{text}"));
    assert_eq!(errors.len(), zonefile::MAX_ERRORS + 1);
    assert!(
        errors
            .last()
            .unwrap()
            .ends_with("too many errors (more than 100); giving up")
    );
}

#[test]
fn lexer_errors_have_lines_too() {
    assert_eq!(
        parse_err("$TTL 60\na TXT \"open\nb A 192.0.2.1\n"),
        vec!["test.zone:2: quoted string is not closed before the end of the line"]
    );
    assert_eq!(
        parse_err("$TTL 60\na A 192.0.2.1 )\n"),
        vec!["test.zone:2: closing parenthesis without an opening one"]
    );
    assert_eq!(
        parse_err("$TTL 60\n\na SOA ( ns\n"),
        vec!["test.zone:3: opening parenthesis is never closed"]
    );
}

#[test]
fn unreadable_file_is_reported() {
    let errors =
        zonefile::parse_file(std::path::Path::new("/nonexistent/zone"), &origin()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .to_string()
            .starts_with("cannot read /nonexistent/zone: "),
        "{}",
        errors[0]
    );
    assert!(errors[0].location.is_none());
}

#[test]
fn diagnostics_expose_location_and_severity() {
    let errors = crate::parse("$TTL 60\n\nx 60 CH A 1.2.3.4\n").unwrap_err();
    let location = errors[0].location.as_ref().unwrap();
    assert_eq!(location.line, 3);
    assert_eq!(location.to_string(), "test.zone:3");
    assert!(errors[0].is_error());
    assert!(matches!(
        errors[0].problem,
        zonefile::Problem::UnsupportedClass(_)
    ));
}
