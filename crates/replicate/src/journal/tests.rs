use std::fs;

use proptest::prelude::*;
use tempfile::TempDir;
use wire::{Class, Rtype};

use super::*;
use crate::record_encoding::tests::arbitrary_record;

fn apex() -> Name {
    "example.com.".parse().unwrap()
}

fn name(text: &str) -> Name {
    text.parse().unwrap()
}

fn soa(serial: u32) -> Record {
    let mut rdata = Vec::new();
    rdata.extend_from_slice(name("ns1.example.com.").as_wire());
    rdata.extend_from_slice(name("hostmaster.example.com.").as_wire());
    for value in [serial, 3600, 600, 86_400, 300] {
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

fn address(serial: u32) -> Record {
    Record {
        owner: name(&format!("host{serial}.example.com.")),
        rtype: Rtype::A,
        class: Class::IN,
        ttl: 300,
        rdata: serial.to_be_bytes().to_vec(),
    }
}

/// A diff in RFC 1995 condensed form: old SOA and one record out, new SOA
/// and one record in.
fn diff(from: u32, to: u32) -> Diff {
    Diff {
        from: Serial(from),
        to: Serial(to),
        changed_at: 1_700_000_000 + to as u64,
        removed: vec![soa(from), address(from)],
        added: vec![soa(to), address(to)],
    }
}

/// The diffs joining consecutive `serials`.
fn chain(serials: &[u32]) -> Vec<Diff> {
    serials
        .windows(2)
        .map(|pair| diff(pair[0], pair[1]))
        .collect()
}

fn open(path: &Path) -> (Journal, OpenReport) {
    Journal::open(path, &apex(), JournalLimits::default()).unwrap()
}

fn open_with(path: &Path, limits: JournalLimits) -> (Journal, OpenReport) {
    Journal::open(path, &apex(), limits).unwrap()
}

/// A journal at `<tempdir>/zones/example.com.jnl` holding `diffs`.
fn journal_with(diffs: &[Diff]) -> (TempDir, PathBuf, Journal) {
    let directory = TempDir::new().unwrap();
    let path = directory.path().join("zones").join("example.com.jnl");
    let (mut journal, _) = open(&path);
    for diff in diffs {
        journal.append(diff).unwrap();
    }
    (directory, path, journal)
}

/// A frame with a correct checksum around any payload.
fn raw_frame(payload: &[u8]) -> Vec<u8> {
    let length = (payload.len() as u32).to_be_bytes();
    let mut checksum = Crc32::new();
    checksum.update(&length);
    checksum.update(payload);
    let mut frame = length.to_vec();
    frame.extend_from_slice(&checksum.finish().to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

fn all_diffs(journal: &Journal) -> Vec<Diff> {
    match journal.first_serial() {
        Some(first) => journal.diffs_from(first).unwrap().unwrap(),
        None => Vec::new(),
    }
}

#[test]
fn appended_diffs_survive_reopen() {
    let diffs = chain(&[1, 2, 3, 4]);
    let directory = TempDir::new().unwrap();
    let path = directory.path().join("deep/er/example.com.jnl");
    let (mut journal, report) = open(&path);
    assert!(report.created);
    assert_eq!(report.entries, 0);
    for diff in &diffs {
        assert_eq!(journal.append(diff).unwrap(), None);
    }
    let size = journal.size_bytes();
    drop(journal);

    let (journal, report) = open(&path);
    assert_eq!(
        report,
        OpenReport {
            created: false,
            entries: 3,
            cut: None
        }
    );
    assert_eq!(journal.len(), 3);
    assert_eq!(journal.first_serial(), Some(Serial(1)));
    assert_eq!(journal.last_serial(), Some(Serial(4)));
    assert_eq!(journal.size_bytes(), size);
    assert_eq!(fs::metadata(&path).unwrap().len(), size);
    assert_eq!(all_diffs(&journal), diffs);
}

#[test]
fn journal_opens_for_the_apex_in_any_case() {
    let (_directory, path, journal) = journal_with(&chain(&[1, 2]));
    drop(journal);
    let (journal, _) =
        Journal::open(&path, &name("EXAMPLE.com."), JournalLimits::default()).unwrap();
    assert_eq!(journal.len(), 1);
}

#[test]
fn diffs_from_follows_the_chain_across_serial_wrap_around() {
    let serials = [4_294_967_294, 4_294_967_295, 0, 1, 2];
    let diffs = chain(&serials);
    let (_directory, path, journal) = journal_with(&diffs);
    for (index, &serial) in serials.iter().enumerate() {
        assert_eq!(
            journal.diffs_from(Serial(serial)).unwrap(),
            Some(diffs[index..].to_vec()),
            "from serial {serial}"
        );
    }
    for outside in [4_294_967_293, 3, 5, 0x7FFF_FFFF, 0x8000_0000] {
        assert_eq!(
            journal.diffs_from(Serial(outside)).unwrap(),
            None,
            "serial {outside}"
        );
    }
    drop(journal);
    let (journal, _) = open(&path);
    assert_eq!(
        journal.diffs_from(Serial(4_294_967_295)).unwrap(),
        Some(diffs[1..].to_vec())
    );
}

#[test]
fn newest_serial_needs_no_diffs_and_empty_journal_has_none() {
    let (_directory, _path, mut journal) = journal_with(&[]);
    assert_eq!(journal.diffs_from(Serial(7)).unwrap(), None);
    assert_eq!(journal.first_serial(), None);
    assert_eq!(journal.last_serial(), None);
    assert!(journal.is_empty());
    journal.append(&diff(7, 8)).unwrap();
    assert_eq!(journal.diffs_from(Serial(8)).unwrap(), Some(Vec::new()));
}

#[test]
fn serial_seen_twice_after_a_full_wrap_uses_the_newest_entry() {
    // Steps of 2^31 - 1 go once round the serial space and back to 0.
    let serials = [0, 0x7FFF_FFFF, 0xFFFF_FFFE, 0x7FFF_FFFD, 0xFFFF_FFFC, 0, 1];
    let diffs = chain(&serials);
    let (_directory, _path, journal) = journal_with(&diffs);
    assert_eq!(
        journal.diffs_from(Serial(0)).unwrap(),
        Some(diffs[5..].to_vec())
    );
}

#[test]
fn append_refuses_a_diff_that_does_not_continue_the_chain() {
    let (_directory, _path, mut journal) = journal_with(&chain(&[1, 2]));
    let size = journal.size_bytes();
    assert!(matches!(
        journal.append(&diff(5, 6)),
        Err(JournalError::ChainBreak {
            last: Serial(2),
            from: Serial(5)
        })
    ));
    assert!(matches!(
        journal.append(&diff(2, 2)),
        Err(JournalError::SerialNotNewer { .. })
    ));
    // Exactly 2^31 apart: not comparable, so not newer (RFC 1982 §3.2).
    assert!(matches!(
        journal.append(&diff(2, 0x8000_0002)),
        Err(JournalError::SerialNotNewer { .. })
    ));
    assert!(matches!(
        journal.append(&diff(2, 1)),
        Err(JournalError::SerialNotNewer { .. })
    ));
    assert_eq!(journal.len(), 1);
    assert_eq!(journal.size_bytes(), size);
}

#[test]
fn torn_tail_at_every_offset_is_cut_and_appending_resumes() {
    let diffs = chain(&[1, 2, 3, 4]);
    let (_directory, path, journal) = journal_with(&diffs);
    let last_offset = journal.entries[2].offset;
    drop(journal);
    let full = fs::read(&path).unwrap();

    for cut_at in last_offset as usize..full.len() {
        fs::write(&path, &full[..cut_at]).unwrap();
        let (mut journal, report) = open(&path);
        let expected_cut = (cut_at as u64 > last_offset).then(|| TailCut {
            offset: last_offset,
            bytes: cut_at as u64 - last_offset,
            entries: 1,
            damage: EntryDamage::Incomplete,
        });
        assert_eq!(report.cut, expected_cut, "file cut at {cut_at}");
        assert_eq!(report.entries, 2);
        assert_eq!(fs::metadata(&path).unwrap().len(), last_offset);
        assert_eq!(all_diffs(&journal), diffs[..2]);

        journal.append(&diffs[2]).unwrap();
        drop(journal);
        let (journal, report) = open(&path);
        assert_eq!(report.cut, None, "after re-append, cut at {cut_at}");
        assert_eq!(all_diffs(&journal), diffs);
    }
}

#[test]
fn flipped_bit_anywhere_in_the_last_entry_cuts_exactly_that_entry() {
    let diffs = chain(&[1, 2, 3, 4]);
    let (_directory, path, journal) = journal_with(&diffs);
    let last = journal.entries[2];
    drop(journal);
    let full = fs::read(&path).unwrap();

    for index in last.offset as usize..full.len() {
        let mut damaged = full.clone();
        damaged[index] ^= 0x01;
        fs::write(&path, &damaged).unwrap();
        let (mut journal, report) = open(&path);
        let cut = report.cut.expect("a flipped bit is always detected");
        assert_eq!(cut.offset, last.offset, "bit flipped at {index}");
        assert_eq!(cut.bytes, last.len);
        assert_eq!(cut.entries, 1);
        assert!(
            matches!(
                cut.damage,
                EntryDamage::Incomplete | EntryDamage::ChecksumMismatch
            ),
            "bit flipped at {index}: {:?}",
            cut.damage
        );
        assert_eq!(all_diffs(&journal), diffs[..2]);
        journal.append(&diffs[2]).unwrap();
        assert_eq!(all_diffs(&journal), diffs);
    }
}

#[test]
fn damage_in_a_middle_entry_drops_it_and_everything_after() {
    let diffs = chain(&[1, 2, 3, 4]);
    let (_directory, path, journal) = journal_with(&diffs);
    let middle = journal.entries[1];
    drop(journal);
    let mut bytes = fs::read(&path).unwrap();
    let full_len = bytes.len() as u64;
    bytes[middle.offset as usize + 20] ^= 0x40;
    fs::write(&path, &bytes).unwrap();

    let (journal, report) = open(&path);
    assert_eq!(
        report.cut,
        Some(TailCut {
            offset: middle.offset,
            bytes: full_len - middle.offset,
            entries: 2,
            damage: EntryDamage::ChecksumMismatch,
        })
    );
    assert_eq!(all_diffs(&journal), diffs[..1]);
}

#[test]
fn broken_chain_on_disk_is_cut_like_damage() {
    let (_directory, path, journal) = journal_with(&chain(&[1, 2, 3]));
    let end = journal.size_bytes();
    drop(journal);
    let mut bytes = fs::read(&path).unwrap();
    bytes.extend(encode_frame(&diff(5, 6)).unwrap());
    bytes.extend(encode_frame(&diff(6, 7)).unwrap());
    let full_len = bytes.len() as u64;
    fs::write(&path, &bytes).unwrap();

    let (mut journal, report) = open(&path);
    assert_eq!(
        report.cut,
        Some(TailCut {
            offset: end,
            bytes: full_len - end,
            entries: 2,
            damage: EntryDamage::ChainBreak {
                expected: Serial(3),
                found: Serial(5)
            },
        })
    );
    assert_eq!(journal.last_serial(), Some(Serial(3)));
    assert_eq!(fs::metadata(&path).unwrap().len(), end);
    journal.append(&diff(3, 4)).unwrap();
}

#[test]
fn stored_serial_that_does_not_advance_is_cut() {
    let (_directory, path, journal) = journal_with(&chain(&[1, 2]));
    let end = journal.size_bytes();
    drop(journal);
    let mut bytes = fs::read(&path).unwrap();
    bytes.extend(encode_frame(&diff(2, 2)).unwrap());
    fs::write(&path, &bytes).unwrap();
    let (_journal, report) = open(&path);
    let cut = report.cut.unwrap();
    assert_eq!(cut.offset, end);
    assert_eq!(
        cut.damage,
        EntryDamage::SerialNotNewer {
            from: Serial(2),
            to: Serial(2)
        }
    );
}

#[test]
fn checksummed_but_undecodable_entry_is_cut() {
    let (_directory, path, journal) = journal_with(&chain(&[1, 2]));
    let end = journal.size_bytes();
    drop(journal);
    // Serials 2 → 3 and five removed records announced, none present.
    let mut payload = Vec::new();
    payload.extend_from_slice(&2u32.to_be_bytes());
    payload.extend_from_slice(&3u32.to_be_bytes());
    payload.extend_from_slice(&0u64.to_be_bytes());
    payload.extend_from_slice(&5u32.to_be_bytes());
    payload.extend_from_slice(&0u32.to_be_bytes());
    let mut bytes = fs::read(&path).unwrap();
    bytes.extend(raw_frame(&payload));
    fs::write(&path, &bytes).unwrap();

    let (journal, report) = open(&path);
    let cut = report.cut.unwrap();
    assert_eq!(cut.offset, end);
    assert_eq!(cut.damage, EntryDamage::Undecodable(DecodeError::Truncated));
    assert_eq!(journal.len(), 1);
}

#[test]
fn journal_of_another_zone_is_refused() {
    let (_directory, path, journal) = journal_with(&chain(&[1, 2]));
    drop(journal);
    let error = Journal::open(&path, &name("example.org."), JournalLimits::default()).unwrap_err();
    match &error {
        JournalError::WrongZone {
            expected, found, ..
        } => {
            assert_eq!(*expected, name("example.org."));
            assert_eq!(*found, apex());
        }
        other => panic!("expected WrongZone, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("belongs to zone example.com., not example.org.")
    );
    // Refusing must not touch the file.
    let (journal, report) = open(&path);
    assert_eq!(report.cut, None);
    assert_eq!(journal.len(), 1);
}

#[test]
fn file_that_is_not_a_journal_is_refused() {
    let directory = TempDir::new().unwrap();
    let path = directory.path().join("example.com.jnl");
    fs::write(&path, b"$ORIGIN example.com.\n").unwrap();
    assert!(matches!(
        Journal::open(&path, &apex(), JournalLimits::default()),
        Err(JournalError::NotAJournal { .. })
    ));
    assert_eq!(fs::read(&path).unwrap(), b"$ORIGIN example.com.\n");
}

#[test]
fn damaged_header_or_unknown_version_is_refused() {
    let (_directory, path, journal) = journal_with(&chain(&[1, 2]));
    drop(journal);
    let original = fs::read(&path).unwrap();

    let mut damaged = original.clone();
    damaged[12] ^= 0x20; // a letter of the apex: same length, other name
    fs::write(&path, &damaged).unwrap();
    assert!(matches!(
        Journal::open(&path, &apex(), JournalLimits::default()),
        Err(JournalError::CorruptHeader { .. })
    ));

    let mut newer = original.clone();
    newer[8..10].copy_from_slice(&2u16.to_be_bytes());
    fs::write(&path, &newer).unwrap();
    assert!(matches!(
        Journal::open(&path, &apex(), JournalLimits::default()),
        Err(JournalError::UnsupportedVersion { version: 2, .. })
    ));

    fs::write(&path, &original[..original.len().min(14)]).unwrap();
    assert!(matches!(
        Journal::open(&path, &apex(), JournalLimits::default()),
        Err(JournalError::CorruptHeader { .. })
    ));
}

#[test]
fn empty_file_is_initialised_as_a_new_journal() {
    let directory = TempDir::new().unwrap();
    let path = directory.path().join("example.com.jnl");
    fs::write(&path, b"").unwrap();
    let (mut journal, report) = open(&path);
    assert!(report.created);
    journal.append(&diff(1, 2)).unwrap();
}

#[test]
fn zero_entry_limit_is_refused() {
    let directory = TempDir::new().unwrap();
    let limits = JournalLimits {
        max_bytes: 1 << 20,
        max_entries: 0,
    };
    assert!(matches!(
        Journal::open(&directory.path().join("j"), &apex(), limits),
        Err(JournalError::InvalidLimits)
    ));
}

#[test]
fn compaction_by_entry_count_keeps_the_newest_diffs() {
    let limits = JournalLimits {
        max_bytes: 1 << 30,
        max_entries: 10,
    };
    let serials: Vec<u32> = (100..=130).collect();
    let diffs = chain(&serials);
    let directory = TempDir::new().unwrap();
    let path = directory.path().join("example.com.jnl");
    let (mut journal, _) = open_with(&path, limits);
    let mut compactions = Vec::new();
    for (index, diff) in diffs.iter().enumerate() {
        if let Some(compaction) = journal.append(diff).unwrap() {
            compactions.push((index, compaction));
        }
        assert!(journal.len() <= limits.max_entries);
        assert_eq!(journal.size_bytes(), fs::metadata(&path).unwrap().len());
        let kept = &diffs[index + 1 - journal.len()..=index];
        assert_eq!(all_diffs(&journal), kept, "after append {index}");
    }
    // The 11th append finds 10 entries and keeps the newest 5 (half the
    // limit), itself included.
    let (index, first) = compactions[0];
    assert_eq!(index, 10);
    assert_eq!(first.dropped_entries, 6);
    assert_eq!(first.entries, 5);
    assert!(first.bytes_after < first.bytes_before);

    let first_kept = journal.first_serial().unwrap();
    assert_eq!(journal.last_serial(), Some(Serial(130)));
    assert_eq!(journal.diffs_from(Serial(first_kept.0 - 1)).unwrap(), None);
    assert_eq!(journal.diffs_from(Serial(100)).unwrap(), None);
    let kept = journal.len();
    drop(journal);

    let (journal, report) = open_with(&path, limits);
    assert_eq!(report.cut, None);
    assert_eq!(journal.len(), kept);
    assert_eq!(all_diffs(&journal), diffs[diffs.len() - kept..]);
    assert!(!durable::temporary_path(&path).exists());
}

#[test]
fn compaction_by_size_stays_within_the_byte_limit() {
    let limits = JournalLimits {
        max_bytes: 4096,
        max_entries: 10_000,
    };
    let directory = TempDir::new().unwrap();
    let path = directory.path().join("example.com.jnl");
    let (mut journal, _) = open_with(&path, limits);
    let mut diffs = Vec::new();
    let mut compacted = 0;
    for serial in 1..60u32 {
        let mut diff = diff(serial, serial + 1);
        diff.added.push(Record {
            owner: name("text.example.com."),
            rtype: Rtype::TXT,
            class: Class::IN,
            ttl: 60,
            rdata: vec![b'x'; 150],
        });
        if let Some(compaction) = journal.append(&diff).unwrap() {
            compacted += 1;
            assert!(compaction.bytes_after <= limits.max_bytes / 2);
        }
        diffs.push(diff);
        assert!(journal.size_bytes() <= limits.max_bytes);
        assert_eq!(journal.size_bytes(), fs::metadata(&path).unwrap().len());
        assert_eq!(all_diffs(&journal), diffs[diffs.len() - journal.len()..]);
    }
    assert!(compacted >= 2);
    let kept = journal.len();
    drop(journal);
    let (journal, report) = open_with(&path, limits);
    assert_eq!(report.cut, None);
    assert_eq!(all_diffs(&journal), diffs[diffs.len() - kept..]);
}

#[test]
fn diff_larger_than_the_limit_is_refused_and_nothing_changes() {
    let limits = JournalLimits {
        max_bytes: 512,
        max_entries: 100,
    };
    let directory = TempDir::new().unwrap();
    let path = directory.path().join("example.com.jnl");
    let (mut journal, _) = open_with(&path, limits);
    journal.append(&diff(1, 2)).unwrap();
    let size = journal.size_bytes();
    let mut huge = diff(2, 3);
    huge.added.push(Record {
        owner: apex(),
        rtype: Rtype::TXT,
        class: Class::IN,
        ttl: 60,
        rdata: vec![b'x'; 600],
    });
    assert!(matches!(
        journal.append(&huge),
        Err(JournalError::EntryTooLarge { max_bytes: 512, .. })
    ));
    assert_eq!(journal.len(), 1);
    assert_eq!(fs::metadata(&path).unwrap().len(), size);
}

#[test]
fn unencodable_record_is_refused_and_nothing_changes() {
    let (_directory, path, mut journal) = journal_with(&chain(&[1, 2]));
    let size = journal.size_bytes();
    let mut bad = diff(2, 3);
    bad.added[1].rdata = vec![0; 70_000];
    assert!(matches!(
        journal.append(&bad),
        Err(JournalError::Encode(EncodeError::RdataTooLong { .. }))
    ));
    assert_eq!(fs::metadata(&path).unwrap().len(), size);
}

#[test]
fn reset_leaves_only_the_header() {
    let (_directory, path, mut journal) = journal_with(&chain(&[1, 2, 3]));
    journal.reset().unwrap();
    let header_len = encode_header(&apex()).len() as u64;
    assert!(journal.is_empty());
    assert_eq!(journal.size_bytes(), header_len);
    assert_eq!(fs::metadata(&path).unwrap().len(), header_len);
    assert_eq!(journal.diffs_from(Serial(1)).unwrap(), None);
    // After a reset the history may start anywhere.
    journal.append(&diff(50, 51)).unwrap();
    drop(journal);
    let (journal, report) = open(&path);
    assert_eq!(report.cut, None);
    assert_eq!(all_diffs(&journal), chain(&[50, 51]));
}

#[test]
fn read_time_damage_is_reported_not_returned() {
    let (_directory, path, journal) = journal_with(&chain(&[1, 2, 3]));
    let second = journal.entries[1];
    let mut bytes = fs::read(&path).unwrap();
    bytes[second.offset as usize + 30] ^= 0x01;
    fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        journal.diffs_from(Serial(1)),
        Err(JournalError::CorruptEntry {
            damage: EntryDamage::ChecksumMismatch,
            ..
        })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_file_contents_open_without_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let directory = TempDir::new().unwrap();
        let path = directory.path().join("example.com.jnl");
        fs::write(&path, &bytes).unwrap();
        let _ = Journal::open(&path, &apex(), JournalLimits::default());
    }

    #[test]
    fn garbage_after_good_entries_is_cut_and_the_good_ones_kept(
        garbage in proptest::collection::vec(any::<u8>(), 1..600),
    ) {
        let diffs = chain(&[1, 2, 3]);
        let (_directory, path, journal) = journal_with(&diffs);
        drop(journal);
        let mut bytes = fs::read(&path).unwrap();
        bytes.extend_from_slice(&garbage);
        fs::write(&path, &bytes).unwrap();
        let (mut journal, report) = open(&path);
        prop_assert!(report.cut.is_some());
        prop_assert_eq!(all_diffs(&journal), diffs);
        journal.append(&diff(3, 4)).unwrap();
    }

    #[test]
    fn any_damage_keeps_a_prefix_of_the_chain(
        position in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let diffs = chain(&[1, 2, 3, 4, 5]);
        let (_directory, path, journal) = journal_with(&diffs);
        let header_len = journal.header.len();
        drop(journal);
        let mut bytes = fs::read(&path).unwrap();
        let index = header_len + position.index(bytes.len() - header_len);
        bytes[index] ^= mask;
        fs::write(&path, &bytes).unwrap();
        let (journal, report) = open(&path);
        prop_assert!(report.cut.is_some());
        let kept = all_diffs(&journal);
        prop_assert_eq!(&kept[..], &diffs[..kept.len()]);
        prop_assert!(kept.len() < diffs.len());
    }

    #[test]
    fn entries_round_trip(
        from in any::<u32>(),
        step in 1u32..0x8000_0000,
        changed_at in any::<u64>(),
        removed in proptest::collection::vec(arbitrary_record(), 0..5),
        added in proptest::collection::vec(arbitrary_record(), 0..5),
    ) {
        let diff = Diff { from: Serial(from), to: Serial(from) + step, changed_at, removed, added };
        let frame = encode_frame(&diff).unwrap();
        prop_assert_eq!(decode_frame(&frame), Ok(diff));
    }

    #[test]
    fn any_payload_decodes_or_fails_without_panic(
        payload in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let _ = decode_frame(&raw_frame(&payload));
    }
}
