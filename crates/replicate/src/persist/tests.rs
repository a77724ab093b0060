use std::fs;
use std::io::ErrorKind;

use proptest::prelude::*;
use tempfile::TempDir;
use wire::Class;
use zone::{BuildOptions, Zone};

use super::*;
use crate::crc32::crc32;
use crate::record_encoding::tests::arbitrary_name;

const ZONE_TEXT: &str = r#"
$ORIGIN example.com.
$TTL 3600
@               SOA     ns1 hostmaster 2024060101 7200 900 1209600 300
@               NS      ns1
@               NS      ns2.example.net.
@               MX      10 mail
@               TXT     "v=spf1 -all" "a second string"
@               CAA     0 issue "letsencrypt.org"
ns1             A       192.0.2.1
ns1             AAAA    2001:db8::1
mail            A       192.0.2.25
www             CNAME   @
_sip._tcp       SRV     10 60 5060 sip
sip             A       192.0.2.50
*               TXT     "wildcard"
Mixed.Case      A       192.0.2.9
sub             NS      ns.sub
ns.sub          A       192.0.2.53
sub             DS      12345 13 2 2BB183AF5F22588179A53B0A98631FAD1A292118E2D5C3D8B4A6D8E1C4A5B5E3
host            SSHFP   4 2 2BB183AF5F22588179A53B0A98631FAD1A292118E2D5C3D8B4A6D8E1C4A5B5E3
weird\.label    TXT     "a dot inside a label"
opaque          TYPE65534 \# 4 0A0B0C0D
"#;

fn apex() -> Name {
    "example.com.".parse().unwrap()
}

fn name(text: &str) -> Name {
    text.parse().unwrap()
}

fn parsed_records() -> Vec<Record> {
    let file = zonefile::parse_str(ZONE_TEXT, &apex(), Path::new("example.com.zone"))
        .unwrap_or_else(|errors| panic!("test zone does not parse: {errors:?}"));
    file.records
        .into_iter()
        .map(|sourced| sourced.record)
        .collect()
}

fn soa(serial: u32) -> Record {
    let mut rdata = Vec::new();
    rdata.extend_from_slice(name("ns1.example.com.").as_wire());
    rdata.extend_from_slice(name("hostmaster.example.com.").as_wire());
    for value in [serial, 7200, 900, 1_209_600, 300] {
        rdata.extend_from_slice(&value.to_be_bytes());
    }
    Record {
        owner: apex(),
        rtype: Rtype::SOA,
        class: Class::IN,
        ttl: 3600,
        rdata,
    }
}

fn address(owner: &str, last: u8) -> Record {
    Record {
        owner: name(owner),
        rtype: Rtype::A,
        class: Class::IN,
        ttl: 300,
        rdata: vec![192, 0, 2, last],
    }
}

/// A small zone at `serial`.
fn small_zone(serial: u32) -> Vec<Record> {
    vec![
        soa(serial),
        address("www.example.com.", 1),
        address("mail.example.com.", 2),
    ]
}

fn zone_path() -> (TempDir, PathBuf) {
    let directory = TempDir::new().unwrap();
    let path = ZoneFiles::in_data_dir(directory.path(), &apex()).zone;
    (directory, path)
}

#[test]
fn zone_dump_of_many_types_round_trips() {
    let records = parsed_records();
    let zone = Zone::build(&apex(), records.clone(), BuildOptions::default()).unwrap();
    let (_directory, path) = zone_path();
    write_zone(&path, zone.apex(), zone.serial(), zone.records()).unwrap();

    let dump = read_zone(&path).unwrap();
    assert_eq!(dump.apex, apex());
    assert_eq!(dump.serial, Serial(2_024_060_101));
    assert_eq!(dump.records, zone.records().collect::<Vec<_>>());
    let mut expected = records;
    let mut found = dump.records.clone();
    expected.sort_by(|a, b| (&a.owner, a.rtype.0, &a.rdata).cmp(&(&b.owner, b.rtype.0, &b.rdata)));
    found.sort_by(|a, b| (&a.owner, a.rtype.0, &a.rdata).cmp(&(&b.owner, b.rtype.0, &b.rdata)));
    assert_eq!(found, expected);

    let reloaded = Zone::build(&dump.apex, dump.records, BuildOptions::default()).unwrap();
    assert_eq!(reloaded.serial(), zone.serial());
    assert_eq!(reloaded.record_count(), zone.record_count());
}

#[test]
fn zone_dump_keeps_records_exactly_as_given() {
    let records = parsed_records();
    let (_directory, path) = zone_path();
    write_zone(&path, &apex(), Serial(2_024_060_101), records.clone()).unwrap();
    let dump = read_zone(&path).unwrap();
    assert_eq!(dump.records, records);
    // Case survives, not just case-insensitive equality.
    for (read, written) in dump.records.iter().zip(&records) {
        assert!(read.owner.eq_exact(&written.owner), "{}", written.owner);
    }
}

#[test]
fn truncated_dump_is_refused_at_every_length() {
    let (_directory, path) = zone_path();
    write_zone(&path, &apex(), Serial(7), small_zone(7)).unwrap();
    let full = fs::read(&path).unwrap();
    for len in 0..full.len() {
        fs::write(&path, &full[..len]).unwrap();
        let error = read_zone(&path).expect_err(&format!("dump cut to {len} octets"));
        assert!(
            error.to_string().contains("example.com.zone"),
            "error names the file: {error}"
        );
    }
    assert!(matches!(
        {
            fs::write(&path, &full[..5]).unwrap();
            read_zone(&path)
        },
        Err(PersistError::Truncated { len: 5, .. })
    ));
}

#[test]
fn flipped_bit_anywhere_in_the_dump_is_refused() {
    let (_directory, path) = zone_path();
    write_zone(&path, &apex(), Serial(7), small_zone(7)).unwrap();
    let full = fs::read(&path).unwrap();
    for index in 0..full.len() {
        for bit in 0..8 {
            let mut damaged = full.clone();
            damaged[index] ^= 1 << bit;
            fs::write(&path, &damaged).unwrap();
            assert!(
                read_zone(&path).is_err(),
                "bit {bit} of octet {index} flipped"
            );
        }
    }
}

#[test]
fn damage_inside_rdata_is_a_checksum_mismatch() {
    let (_directory, path) = zone_path();
    write_zone(&path, &apex(), Serial(7), small_zone(7)).unwrap();
    let mut bytes = fs::read(&path).unwrap();
    let last_rdata_octet = bytes.len() - TRAILER_LEN as usize - 1;
    bytes[last_rdata_octet] ^= 0x01;
    fs::write(&path, &bytes).unwrap();
    let error = read_zone(&path).unwrap_err();
    assert!(
        matches!(error, PersistError::ChecksumMismatch { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("checksum"));
}

#[test]
fn dump_whose_contents_disagree_with_its_header_is_refused() {
    // Hand-made, with a valid checksum: header serial 8, SOA serial 7.
    let (_directory, path) = zone_path();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&DUMP_FORMAT_VERSION.to_be_bytes());
    bytes.extend_from_slice(apex().as_wire());
    bytes.extend_from_slice(&8u32.to_be_bytes());
    for record in small_zone(7) {
        record_encoding::encode_record(&record, &mut bytes).unwrap();
    }
    bytes.extend_from_slice(&3u64.to_be_bytes());
    let checksum = crc32(&bytes);
    bytes.extend_from_slice(&checksum.to_be_bytes());
    fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        read_zone(&path),
        Err(PersistError::Inconsistent {
            problem: DumpProblem::SerialMismatch {
                claimed: Serial(8),
                found: Serial(7)
            },
            ..
        })
    ));
}

#[test]
fn other_files_and_versions_are_refused() {
    let (_directory, path) = zone_path();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, ZONE_TEXT).unwrap();
    assert!(matches!(
        read_zone(&path),
        Err(PersistError::NotAZoneDump { .. })
    ));

    write_zone(&path, &apex(), Serial(7), small_zone(7)).unwrap();
    let mut bytes = fs::read(&path).unwrap();
    bytes[8..10].copy_from_slice(&9u16.to_be_bytes());
    fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        read_zone(&path),
        Err(PersistError::UnsupportedVersion { version: 9, .. })
    ));

    fs::remove_file(&path).unwrap();
    match read_zone(&path) {
        Err(PersistError::File(error)) => {
            assert_eq!(error.action, FileAction::Open);
            assert_eq!(error.source.kind(), ErrorKind::NotFound);
        }
        other => panic!("expected a file error, got {other:?}"),
    }
}

#[test]
fn failed_write_leaves_the_old_dump_in_place() {
    let (_directory, path) = zone_path();
    write_zone(&path, &apex(), Serial(7), small_zone(7)).unwrap();
    let old = fs::read(&path).unwrap();
    let temporary = durable::temporary_path(&path);

    // Records that go wrong after part of the new dump is written.
    let mut out_of_zone = small_zone(8);
    out_of_zone.insert(2, address("www.example.org.", 3));
    assert!(matches!(
        write_zone(&path, &apex(), Serial(8), out_of_zone),
        Err(PersistError::Inconsistent {
            problem: DumpProblem::OutOfZone { .. },
            ..
        })
    ));
    let mut unencodable = small_zone(8);
    unencodable[2].rdata = vec![0; 70_000];
    assert!(matches!(
        write_zone(&path, &apex(), Serial(8), unencodable),
        Err(PersistError::Encode(_))
    ));
    assert!(matches!(
        write_zone(&path, &apex(), Serial(9), small_zone(8)),
        Err(PersistError::Inconsistent {
            problem: DumpProblem::SerialMismatch { .. },
            ..
        })
    ));
    assert!(matches!(
        write_zone(&path, &apex(), Serial(8), small_zone(8).into_iter().skip(1)),
        Err(PersistError::Inconsistent {
            problem: DumpProblem::NoSoa,
            ..
        })
    ));
    let mut two_soas = small_zone(8);
    two_soas.push(soa(8));
    assert!(matches!(
        write_zone(&path, &apex(), Serial(8), two_soas),
        Err(PersistError::Inconsistent {
            problem: DumpProblem::MultipleSoa,
            ..
        })
    ));

    assert_eq!(fs::read(&path).unwrap(), old);
    assert!(!temporary.exists());
    assert_eq!(read_zone(&path).unwrap().serial, Serial(7));
}

#[test]
fn crash_before_rename_leaves_the_old_dump_readable() {
    let (_directory, path) = zone_path();
    write_zone(&path, &apex(), Serial(7), small_zone(7)).unwrap();
    // What a crash between writing the temporary copy and renaming it
    // leaves behind: a half-written `.tmp` beside the old dump.
    let temporary = durable::temporary_path(&path);
    let mut partial = fs::read(&path).unwrap();
    partial.truncate(partial.len() / 2);
    fs::write(&temporary, &partial).unwrap();

    let dump = read_zone(&path).unwrap();
    assert_eq!(dump.serial, Serial(7));
    assert_eq!(dump.records, small_zone(7));

    write_zone(&path, &apex(), Serial(8), small_zone(8)).unwrap();
    assert!(!temporary.exists());
    assert_eq!(read_zone(&path).unwrap().records, small_zone(8));
}

fn full_timers() -> ZoneTimers {
    ZoneTimers {
        serial: Serial(4_294_967_295),
        last_refresh: 1_717_236_000,
        next_refresh: 1_717_239_600,
        expires_at: 1_718_445_600,
        last_transfer: Some(1_717_230_000),
        primary: Some("192.0.2.1:53".to_string()),
    }
}

#[test]
fn timers_round_trip_with_and_without_optional_fields() {
    let directory = TempDir::new().unwrap();
    let path = ZoneFiles::in_data_dir(directory.path(), &apex()).timers;
    let timers = full_timers();
    write_timers(&path, &timers).unwrap();
    assert_eq!(read_timers(&path).unwrap(), timers);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains("\nserial = 4294967295\n"), "{text}");
    assert!(text.contains("\nprimary = 192.0.2.1:53\n"), "{text}");

    let bare = ZoneTimers {
        last_transfer: None,
        primary: None,
        ..timers
    };
    write_timers(&path, &bare).unwrap();
    assert_eq!(read_timers(&path).unwrap(), bare);
    assert!(!fs::read_to_string(&path).unwrap().contains("primary"));
    assert!(!durable::temporary_path(&path).exists());
}

#[test]
fn hand_edited_timers_with_comments_and_spacing_are_read() {
    let directory = TempDir::new().unwrap();
    let path = directory.path().join("example.com.timers");
    fs::write(
        &path,
        "# edited by hand\n\n  format=1\nserial   =  5\r\nlast_refresh = 10\n\
         next_refresh = 20\nexpires_at = 30\n# primary unknown\n",
    )
    .unwrap();
    let timers = read_timers(&path).unwrap();
    assert_eq!(timers.serial, Serial(5));
    assert_eq!(timers.expires_at, 30);
    assert_eq!(timers.primary, None);
}

#[test]
fn malformed_timers_are_refused_with_the_line() {
    let directory = TempDir::new().unwrap();
    let path = directory.path().join("example.com.timers");
    let valid = "format = 1\nserial = 5\nlast_refresh = 10\nnext_refresh = 20\nexpires_at = 30\n";
    let cases: [(String, &str); 9] = [
        (
            format!("{valid}refersh = 5\n"),
            "line 6: unknown key `refersh`",
        ),
        (
            format!("{valid}serial = 6\n"),
            "line 6: key `serial` given twice",
        ),
        (
            valid.replace("= 10", "= -10"),
            "line 3: `last_refresh` must be a whole number",
        ),
        (
            valid.replace("= 10", "= +10"),
            "line 3: `last_refresh` must be a whole number",
        ),
        (
            valid.replace("serial = 5", "serial = 4294967296"),
            "line 2: `serial` must be",
        ),
        (
            valid.replace("= 20", "= 18446744073709551616"),
            "line 4: `next_refresh` must be",
        ),
        (
            valid.replace("format = 1", "format = 2"),
            "line 1: format 2 is not supported",
        ),
        (
            format!("{valid}just words\n"),
            "line 6: expected `key = value`",
        ),
        (
            valid.replace("expires_at = 30\n", ""),
            "has no `expires_at`",
        ),
    ];
    for (text, expected) in cases {
        fs::write(&path, &text).unwrap();
        let error = read_timers(&path).unwrap_err();
        assert!(
            error.to_string().contains(expected),
            "{error} should contain {expected:?}"
        );
    }
    fs::write(&path, valid.replace("format = 1\n", "")).unwrap();
    assert!(matches!(
        read_timers(&path),
        Err(PersistError::TimersMissingKey { key: "format", .. })
    ));
    fs::write(&path, [0xFF, 0xFE, 0x00]).unwrap();
    assert!(matches!(
        read_timers(&path),
        Err(PersistError::TimersNotText { .. })
    ));
    fs::write(&path, "#".repeat(MAX_TIMERS_LEN as usize + 1)).unwrap();
    assert!(matches!(
        read_timers(&path),
        Err(PersistError::TimersNotText { .. })
    ));
}

#[test]
fn primary_that_would_break_the_format_is_not_written() {
    let directory = TempDir::new().unwrap();
    let path = directory.path().join("example.com.timers");
    for primary in ["", " 192.0.2.1", "192.0.2.1\nserial = 1", "a\tb"] {
        let timers = ZoneTimers {
            primary: Some(primary.to_string()),
            ..full_timers()
        };
        assert!(matches!(
            write_timers(&path, &timers),
            Err(PersistError::UnwritablePrimary(_))
        ));
    }
    assert!(!path.exists());
}

#[test]
fn zone_file_stems_are_lower_case_escaped_and_never_paths() {
    let cases = [
        (".", "root"),
        ("Example.COM.", "example.com"),
        ("root.", "%72oot"),
        ("ROOT.", "%72oot"),
        ("root.example.", "root.example"),
        ("*.example.com.", "%2a.example.com"),
        ("a\\.b.example.", "a%2eb.example"),
        ("a/b.example.", "a%2fb.example"),
        (r"\.\.\\\.\.\\etc.", "%2e%2e%5c%2e%2e%5cetc"),
        ("50%.example.", "50%25.example"),
        ("_sip._tcp.example.", "%5fsip.%5ftcp.example"),
        ("x\\032y\\255.example.", "x%20y%ff.example"),
        ("xn--bcher-kva.example.", "xn--bcher-kva.example"),
    ];
    for (text, expected) in cases {
        let zone = Name::from_text(text, None).unwrap();
        assert_eq!(zone_file_stem(&zone), expected, "{text}");
    }
}

#[test]
fn very_long_zone_names_get_short_distinct_stems() {
    let label = "*".repeat(63);
    let first = Name::from_text(
        &format!("{label}.{label}.{label}.a{}.", "b".repeat(60)),
        None,
    )
    .unwrap();
    let second = Name::from_text(
        &format!("{label}.{label}.{label}.a{}.", "c".repeat(60)),
        None,
    )
    .unwrap();
    let (first, second) = (zone_file_stem(&first), zone_file_stem(&second));
    assert!(first.len() <= MAX_STEM_LEN && second.len() <= MAX_STEM_LEN);
    assert!(first.contains('~'));
    assert_ne!(first, second);
    assert!(first.starts_with("%2a%2a"));
}

#[test]
fn zone_files_sit_under_the_zones_directory() {
    let files = ZoneFiles::in_data_dir(Path::new("/var/lib/hadns"), &name("Example.com."));
    assert_eq!(
        files.zone,
        Path::new("/var/lib/hadns/zones/example.com.zone")
    );
    assert_eq!(
        files.timers,
        Path::new("/var/lib/hadns/zones/example.com.timers")
    );
    assert_eq!(
        files.journal,
        Path::new("/var/lib/hadns/zones/example.com.jnl")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_file_contents_read_as_a_dump_without_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        with_magic in any::<bool>(),
    ) {
        let (_directory, path) = zone_path();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut contents = Vec::new();
        if with_magic {
            contents.extend_from_slice(MAGIC);
            contents.extend_from_slice(&DUMP_FORMAT_VERSION.to_be_bytes());
        }
        contents.extend_from_slice(&bytes);
        fs::write(&path, &contents).unwrap();
        let _ = read_zone(&path);
    }

    #[test]
    fn any_file_contents_read_as_timers_without_panic(
        text in "(format|serial|last_refresh|expires_at|primary|[a-z=# ]{0,6}|[0-9]{0,22}| = |\n){0,30}",
    ) {
        let directory = TempDir::new().unwrap();
        let path = directory.path().join("t.timers");
        fs::write(&path, &text).unwrap();
        let _ = read_timers(&path);
    }

    #[test]
    fn stems_are_safe_and_distinguish_zones(first in arbitrary_name(), second in arbitrary_name()) {
        let stem = zone_file_stem(&first);
        prop_assert!(!stem.is_empty() && stem.len() <= MAX_STEM_LEN);
        prop_assert!(stem.bytes().all(|octet| matches!(octet, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'%' | b'~')));
        prop_assert!(!stem.starts_with('.') && !stem.contains(".."));
        prop_assert_eq!(&stem, &zone_file_stem(&first.to_lowercase()));
        if first != second {
            prop_assert_ne!(stem, zone_file_stem(&second));
        }
    }
}
