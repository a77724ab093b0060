//! `$ORIGIN`, `$TTL`, `$INCLUDE`, `$GENERATE` and unknown directives.

use std::fs;
use std::path::Path;

use crate::{lines, origin, parse_err, parse_ok, render};

#[test]
fn origin_directive_is_relative_to_the_current_origin() {
    let zone = parse_ok(
        "$TTL 60\n$ORIGIN sub\nwww A 192.0.2.1\n$ORIGIN deeper\n@ A 192.0.2.2\n$ORIGIN example.org.\nx A 192.0.2.3\n",
    );
    let owners: Vec<String> = zone
        .records
        .iter()
        .map(|r| r.record.owner.to_string())
        .collect();
    assert_eq!(
        owners,
        vec![
            "www.sub.example.com.",
            "deeper.sub.example.com.",
            "x.example.org."
        ]
    );
}

#[test]
fn origin_directive_applies_to_rdata_names() {
    let zone = parse_ok("$TTL 60\n$ORIGIN example.net.\n@ MX 10 mail\n");
    assert_eq!(
        lines(&zone),
        vec!["example.net. 60 IN MX 10 mail.example.net."]
    );
}

#[test]
fn ttl_directive_takes_units_and_is_case_insensitive() {
    let zone = parse_ok("$ttl 1d\na A 192.0.2.1\n");
    assert_eq!(zone.records[0].record.ttl, 86_400);
}

#[test]
fn directives_check_their_arguments() {
    assert_eq!(
        parse_err("$TTL\n"),
        vec!["test.zone:1: expected a TTL after $TTL, found the end of the line"]
    );
    assert_eq!(
        parse_err("$TTL 1h extra\n"),
        vec!["test.zone:1: unexpected \"extra\" after the arguments of $TTL"]
    );
    assert_eq!(
        parse_err("$TTL 1x\n"),
        vec!["test.zone:1: `1x` is not a TTL (expected seconds or units such as 1h30m)"]
    );
    assert_eq!(
        parse_err("$ORIGIN a..b\n"),
        vec!["test.zone:1: bad domain name \"a..b\": empty label"]
    );
    assert_eq!(
        parse_err("$TTL 2147483648\n"),
        vec!["test.zone:1: TTL `2147483648` is larger than 2147483647 seconds"]
    );
    assert_eq!(
        parse_err("$INCLUDE\n"),
        vec!["test.zone:1: expected a file name after $INCLUDE, found the end of the line"]
    );
    assert_eq!(
        parse_err("$INCLUDE a b c\n"),
        vec!["test.zone:1: unexpected \"c\" after the arguments of $INCLUDE"]
    );
    assert_eq!(
        parse_err("$ORIGIN\n"),
        vec!["test.zone:1: expected a domain name after $ORIGIN, found the end of the line"]
    );
}

#[test]
fn unknown_directive_is_an_error() {
    assert_eq!(
        parse_err("$DATE 20240101\n"),
        vec!["test.zone:1: unknown directive $DATE"]
    );
}

/// Writes files into a temporary directory and parses `main.zone` there.
fn with_files(
    files: &[(&str, &str)],
) -> (
    tempfile::TempDir,
    Result<zonefile::ZoneFile, Vec<zonefile::Diagnostic>>,
) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(path, text).unwrap();
    }
    let result = zonefile::parse_file(&dir.path().join("main.zone"), &origin());
    (dir, result)
}

#[test]
fn include_without_origin_uses_the_current_origin_and_restores_it() {
    let (_dir, result) = with_files(&[
        (
            "main.zone",
            "$TTL 60\n$ORIGIN sub\nbefore A 192.0.2.1\n$INCLUDE parts/hosts.zone\n  TXT \"owner restored\"\n",
        ),
        ("parts/hosts.zone", "$ORIGIN inner\nhost A 192.0.2.2\n"),
    ]);
    let zone = result.unwrap();
    assert_eq!(
        lines(&zone),
        vec![
            "before.sub.example.com. 60 IN A 192.0.2.1",
            "host.inner.sub.example.com. 60 IN A 192.0.2.2",
            "before.sub.example.com. 60 IN TXT \"owner restored\"",
        ]
    );
    assert!(zone.records[1].location.file.ends_with("parts/hosts.zone"));
    assert_eq!(zone.records[1].location.line, 2);
}

#[test]
fn include_with_origin_reads_the_file_under_that_origin() {
    let (_dir, result) = with_files(&[
        (
            "main.zone",
            "$TTL 60\n$INCLUDE \"hosts.zone\" lab\nafter A 192.0.2.9\n",
        ),
        ("hosts.zone", "@ A 192.0.2.1\nwww CNAME @\n"),
    ]);
    let zone = result.unwrap();
    assert_eq!(
        lines(&zone),
        vec![
            "lab.example.com. 60 IN A 192.0.2.1",
            "www.lab.example.com. 60 IN CNAME lab.example.com.",
            "after.example.com. 60 IN A 192.0.2.9",
        ]
    );
}

#[test]
fn include_paths_are_relative_to_the_including_file() {
    let (_dir, result) = with_files(&[
        ("main.zone", "$TTL 60\n$INCLUDE a/first.zone\n"),
        ("a/first.zone", "$INCLUDE b/second.zone\n"),
        ("a/b/second.zone", "deep A 192.0.2.1\n"),
    ]);
    assert_eq!(
        lines(&result.unwrap()),
        vec!["deep.example.com. 60 IN A 192.0.2.1"]
    );
}

#[test]
fn include_loops_are_detected() {
    let (_dir, result) = with_files(&[
        ("main.zone", "$TTL 60\n$INCLUDE other.zone\n"),
        ("other.zone", "x A 192.0.2.1\n$INCLUDE main.zone\n"),
    ]);
    let errors = result.unwrap_err();
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    let text = errors[0].to_string();
    assert!(text.contains("other.zone:2: $INCLUDE loop: "), "{text}");
    assert!(text.ends_with("main.zone is already being read"), "{text}");
}

#[test]
fn include_depth_is_capped() {
    let mut files: Vec<(String, String)> = (0..20)
        .map(|i| (format!("f{i}.zone"), format!("$INCLUDE f{}.zone\n", i + 1)))
        .collect();
    files.push(("main.zone".into(), "$INCLUDE f0.zone\n".into()));
    files.push(("f20.zone".into(), "x 60 A 192.0.2.1\n".into()));
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let (_dir, result) = with_files(&borrowed);
    let errors = result.unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .to_string()
            .ends_with("$INCLUDE nested more than 16 files deep"),
        "{}",
        errors[0]
    );
}

#[test]
fn missing_include_names_the_file_and_the_line() {
    let (_dir, result) = with_files(&[("main.zone", "$TTL 60\n\n$INCLUDE nowhere.zone\n")]);
    let errors = result.unwrap_err();
    let text = errors[0].to_string();
    assert!(text.contains("main.zone:3: cannot read "), "{text}");
    assert!(text.contains("nowhere.zone"), "{text}");
}

#[test]
fn include_of_a_directory_is_refused() {
    let (_dir, result) = with_files(&[("main.zone", "$INCLUDE sub\n"), ("sub/x", "")]);
    assert!(
        result.unwrap_err()[0]
            .to_string()
            .ends_with("not a regular file")
    );
}

#[test]
fn parse_str_resolves_includes_next_to_its_name() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("part.zone"), "p A 192.0.2.1\n").unwrap();
    let name = dir.path().join("virtual.zone");
    let zone = zonefile::parse_str("$TTL 60\n$INCLUDE part.zone\n", &origin(), &name).unwrap();
    assert_eq!(lines(&zone), vec!["p.example.com. 60 IN A 192.0.2.1"]);
}

#[test]
fn untrusted_text_may_not_include_files() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("secret.zone"), "s A 192.0.2.9\n").unwrap();
    let name = dir.path().join("upload.zone");
    for directive in ["$INCLUDE secret.zone", "$include /etc/passwd"] {
        let text = format!("$TTL 60\nok A 192.0.2.1\n{directive}\n");
        let errors = zonefile::parse_untrusted(text.as_bytes(), &origin(), &name).unwrap_err();
        let message = errors[0].to_string();
        assert!(
            message.contains("upload.zone:3: $INCLUDE is not allowed"),
            "{message}"
        );
        assert!(
            !message.contains("192.0.2.9") && !message.contains("root:"),
            "{message}"
        );
    }
    // `$GENERATE` cannot make an upload blow up: the records stop at the
    // limit with one error.
    let mut text = String::from("$TTL 60\n");
    for i in 0..20 {
        text.push_str(&format!("$GENERATE 0-65535 h{i}-$ A 192.0.2.1\n"));
    }
    let errors = zonefile::parse_untrusted(text.as_bytes(), &origin(), &name).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].to_string().contains("more than 1000000 records"),
        "{}",
        errors[0]
    );
    // The same text from a trusted file reads the include.
    let zone = zonefile::parse_str("$TTL 60\n$INCLUDE secret.zone\n", &origin(), &name).unwrap();
    assert_eq!(lines(&zone), vec!["s.example.com. 60 IN A 192.0.2.9"]);
}

#[test]
fn generate_follows_the_bind_documentation_example() {
    // ARM: "$GENERATE 1-2 host$ A 10.0.0.$" gives host1 and host2.
    let zone = parse_ok("$TTL 60\n$GENERATE 1-2 host$ A 10.0.0.$\n");
    assert_eq!(
        lines(&zone),
        vec![
            "host1.example.com. 60 IN A 10.0.0.1",
            "host2.example.com. 60 IN A 10.0.0.2"
        ]
    );
    assert!(zone.records.iter().all(|r| r.location.line == 2));
}

#[test]
fn generate_arm_reverse_zone_example() {
    let text = "$TTL 60\n$ORIGIN 0.0.192.IN-ADDR.ARPA.\n$GENERATE 1-2 @ NS SERVER$.EXAMPLE.\n$GENERATE 1-3 $ CNAME $.0\n";
    let zone = zonefile::parse_str(
        text,
        &"0.0.192.in-addr.arpa.".parse().unwrap(),
        Path::new("rev"),
    )
    .unwrap();
    assert_eq!(
        lines(&zone),
        vec![
            "0.0.192.IN-ADDR.ARPA. 60 IN NS SERVER1.EXAMPLE.",
            "0.0.192.IN-ADDR.ARPA. 60 IN NS SERVER2.EXAMPLE.",
            "1.0.0.192.IN-ADDR.ARPA. 60 IN CNAME 1.0.0.0.192.IN-ADDR.ARPA.",
            "2.0.0.192.IN-ADDR.ARPA. 60 IN CNAME 2.0.0.0.192.IN-ADDR.ARPA.",
            "3.0.0.192.IN-ADDR.ARPA. 60 IN CNAME 3.0.0.0.192.IN-ADDR.ARPA.",
        ]
    );
}

#[test]
fn generate_modifiers_offset_width_and_base() {
    let zone = parse_ok(
        "$TTL 60\n$GENERATE 1-2 h${0,3,d} A 10.0.0.${16,2,x}\n$GENERATE 10-11 x${0,0,X} TXT \"$$${-10}\"\n",
    );
    assert_eq!(
        lines(&zone),
        vec![
            "h001.example.com. 60 IN A 10.0.0.11",
            "h002.example.com. 60 IN A 10.0.0.12",
            "xA.example.com. 60 IN TXT \"$0\"",
            "xB.example.com. 60 IN TXT \"$1\"",
        ]
    );
}

#[test]
fn generate_nibble_mode_builds_ip6_arpa_labels() {
    let origin: wire::Name = "8.b.d.0.1.0.0.2.ip6.arpa.".parse().unwrap();
    let text = "$TTL 60\n$GENERATE 26-27 ${0,3,n} PTR host$.example.com.\n";
    let zone = zonefile::parse_str(text, &origin, Path::new("rev6")).unwrap();
    assert_eq!(
        lines(&zone),
        vec![
            "a.1.8.b.d.0.1.0.0.2.ip6.arpa. 60 IN PTR host26.example.com.",
            "b.1.8.b.d.0.1.0.0.2.ip6.arpa. 60 IN PTR host27.example.com.",
        ]
    );
}

#[test]
fn generate_takes_ttl_class_step_and_several_rdata_tokens() {
    let zone = parse_ok("$GENERATE 0-4/2 mx$ 300 IN MX 10 mail$\n");
    assert_eq!(
        lines(&zone),
        vec![
            "mx0.example.com. 300 IN MX 10 mail0.example.com.",
            "mx2.example.com. 300 IN MX 10 mail2.example.com.",
            "mx4.example.com. 300 IN MX 10 mail4.example.com.",
        ]
    );
}

#[test]
fn generate_quoted_rhs_is_split_like_bind() {
    let zone = parse_ok("$TTL 60\n$GENERATE 1-1 m$ MX \"10 mail$\"\n");
    assert_eq!(
        lines(&zone),
        vec!["m1.example.com. 60 IN MX 10 mail1.example.com."]
    );
}

#[test]
fn generate_escaped_dollar_is_literal() {
    let zone = parse_ok("$TTL 60\n$GENERATE 1-1 a\\$$ TXT x\n");
    assert_eq!(
        zone.records[0].record.owner.to_string(),
        "a\\$1.example.com."
    );
}

#[test]
fn generate_range_is_capped() {
    let errors = parse_err("$TTL 60\n$GENERATE 0-65536 h$ A 10.0.0.1\n");
    assert_eq!(
        errors,
        vec!["test.zone:2: $GENERATE range has 65537 iterations; at most 65536 are allowed"]
    );
    let zone = parse_ok("$TTL 60\n$GENERATE 1-65536 h$ TXT x\n");
    assert_eq!(zone.records.len(), 65_536);
}

#[test]
fn generate_errors_are_reported_once() {
    let errors = parse_err("$TTL 60\n$GENERATE 1-100 h$ A 10.0.0.$$\n");
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("test.zone:2: bad A RDATA: "),
        "{}",
        errors[0]
    );
    assert_eq!(
        parse_err("$GENERATE 5-1 h$ A 10.0.0.1\n"),
        vec![
            "test.zone:1: bad $GENERATE range \"5-1\": expected START-STOP or START-STOP/STEP with START <= STOP and STEP >= 1"
        ]
    );
    assert_eq!(
        parse_err("$GENERATE 1-2 h${1,2,q} A 10.0.0.1\n"),
        vec![
            "test.zone:1: bad $GENERATE template \"h${1,2,q}\": the base of a ${offset,width,base} modifier must be one of d, o, x, X, n, N"
        ]
    );
    assert_eq!(
        parse_err("$TTL 60\n$GENERATE 1-2 h${-5,0,x} A 10.0.0.1\n"),
        vec![
            "test.zone:2: $GENERATE template \"h${-5,0,x}\" gives the negative value -4, which only base d can show"
        ]
    );
    assert_eq!(
        parse_err("$GENERATE 1-2 h$ A\n"),
        vec!["test.zone:1: expected RDATA after the $GENERATE type, found the end of the line"]
    );
}

#[test]
fn pasted_records_take_the_zones_default_ttl_until_a_ttl_line() {
    let name = std::path::PathBuf::from("pasted");
    let text = "www A 192.0.2.1\nmail 60 A 192.0.2.2\n$TTL 120\nftp A 192.0.2.3\n";
    let zone =
        zonefile::parse_records_untrusted(text.as_bytes(), &origin(), &name, 900, 10).unwrap();
    assert_eq!(
        lines(&zone),
        vec![
            "www.example.com. 900 IN A 192.0.2.1",
            "mail.example.com. 60 IN A 192.0.2.2",
            "ftp.example.com. 120 IN A 192.0.2.3"
        ]
    );
    let errors = zonefile::parse_records_untrusted(
        b"$INCLUDE /etc/passwd\nx A 192.0.2.1\ny A 192.0.2.2\n",
        &origin(),
        &name,
        900,
        1,
    )
    .unwrap_err();
    let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        all.iter().any(|e| e.contains("$INCLUDE is not allowed")),
        "{all:?}"
    );
    assert!(
        all.iter().any(|e| e.contains("more than 1 records")),
        "{all:?}"
    );
}

#[test]
fn a_review_lists_reading_errors_and_zone_checks_together() {
    let name = std::path::PathBuf::from("upload");
    let text = "$TTL 60\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n@ NS ns1\nns1 A 192.0.2.1\n\
                bad A 999.0.0.1\nwww CNAME ns1\nwww TXT \"clash\"\n";
    let (zone, diagnostics) = zonefile::review_untrusted(text.as_bytes(), &origin(), &name);
    assert!(zone.is_none());
    let all: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    assert!(all[0].contains("upload:5"), "{all:?}");
    assert!(
        all.iter().any(|e| e.contains("has a CNAME and other data")),
        "{all:?}"
    );
    // A failed line may be the missing SOA: absences are not reported then.
    let (_, diagnostics) = zonefile::review_untrusted(
        b"$TTL 60\n@ SOA ns1 broken\n@ NS ns1\nns1 A 192.0.2.1\n",
        &origin(),
        &name,
    );
    assert!(
        diagnostics
            .iter()
            .all(|d| !d.to_string().contains("no SOA")),
        "{diagnostics:?}"
    );
    // Nothing wrong: the zone, and its warnings.
    let (zone, diagnostics) = zonefile::review_untrusted(
        b"$TTL 60\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n@ NS ns1\nns1 A 192.0.2.1\n",
        &origin(),
        &name,
    );
    assert!(zone.is_some(), "{diagnostics:?}");
}
