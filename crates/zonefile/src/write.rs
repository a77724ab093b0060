//! Records → master file text, as `hadns export` and the API's export
//! endpoint write it.
//!
//! Owner names are written in full (absolute, with their final dot) so the
//! text means the same under any `$ORIGIN`; RDATA is in presentation form
//! ([`wire::rdata::RdataText`]), RFC 3597 generic form where there is none.
//! The output reads back with [`crate::parse_str`] to the same records.

use std::fmt::Write as _;

use wire::rdata::RdataText;
use wire::{Name, Record, Rtype};

/// Writes a zone's records as a master file: the SOA first, then the other
/// records in the order given (callers pass canonical order).
pub fn write_zone(apex: &Name, records: &[Record]) -> String {
    let mut out = String::with_capacity(64 * records.len() + 64);
    let _ = writeln!(out, "$ORIGIN {apex}");
    let is_soa = |r: &Record| r.rtype == Rtype::SOA && r.owner == *apex;
    for record in records.iter().filter(|r| is_soa(r)) {
        write_record(&mut out, record);
    }
    for record in records.iter().filter(|r| !is_soa(r)) {
        write_record(&mut out, record);
    }
    out
}

/// One record on one line.
fn write_record(out: &mut String, record: &Record) {
    let _ = writeln!(
        out,
        "{}\t{}\tIN\t{}\t{}",
        record.owner,
        record.ttl,
        record.rtype,
        RdataText {
            rtype: record.rtype,
            rdata: &record.rdata,
        }
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn written_zone_reads_back_to_the_same_records() {
        let apex: Name = "w.test.".parse().unwrap();
        let text = "$ORIGIN w.test.\n$TTL 300\n@ SOA ns1 hostmaster 7 60 30 600 60\n@ NS ns1\n\
                    ns1 A 192.0.2.1\nwww AAAA 2001:db8::1\n@ MX 10 mail\n@ TXT \"a \\\"quoted\\\" text\" \"two\"\n\
                    _sip._tcp SRV 0 5 5060 sip\n@ CAA 0 issue \"ca.example\"\nx TYPE65534 \\# 3 010203\n\
                    sp\\032ace A 192.0.2.9\n";
        let file = crate::parse_str(text, &apex, Path::new("w")).unwrap();
        let records: Vec<Record> = file.records.into_iter().map(|r| r.record).collect();
        let written = write_zone(&apex, &records);
        assert!(
            written.lines().nth(1).unwrap().contains("\tSOA\t"),
            "{written}"
        );
        let again = crate::parse_str(&written, &apex, Path::new("written")).unwrap();
        let mut again: Vec<Record> = again.records.into_iter().map(|r| r.record).collect();
        let mut records = records;
        records.sort_by(|a, b| (&a.owner, a.rtype, &a.rdata).cmp(&(&b.owner, b.rtype, &b.rdata)));
        again.sort_by(|a, b| (&a.owner, a.rtype, &a.rdata).cmp(&(&b.owner, b.rtype, &b.rdata)));
        assert_eq!(records, again, "{written}");
    }
}
