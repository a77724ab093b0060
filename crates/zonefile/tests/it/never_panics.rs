//! The parser must not panic, whatever it is fed.

use std::path::Path;

use proptest::prelude::*;
use wire::Rtype;

use crate::origin;

/// Pieces of zone syntax, so random input reaches past the lexer.
const VOCABULARY: &[&str] = &[
    "$ORIGIN",
    "$TTL",
    "$GENERATE",
    "$INCLUDE",
    "$BOGUS",
    "@",
    "(",
    ")",
    ";",
    "\"",
    "\\",
    "\\#",
    "\n",
    " ",
    "\t",
    "IN",
    "CH",
    "CLASS1",
    "A",
    "AAAA",
    "SOA",
    "NS",
    "TXT",
    "MX",
    "SRV",
    "CAA",
    "HTTPS",
    "SVCB",
    "NSEC",
    "RRSIG",
    "DS",
    "TYPE65534",
    "ANY",
    "1-3",
    "0-70000",
    "$",
    "${0,3,n}",
    "${-9,2,x}",
    "${",
    "10",
    "1h",
    "4294967296",
    "a.b",
    "..",
    "x\\.y",
    "\\065",
    "\\999",
    "42949672950w42949672950w",
    "alpn=\"h2,h3\"",
    "mandatory=alpn",
    "192.0.2.1",
    "2001:db8::1",
    "ns1",
    "hostmaster",
    "0a000001",
    "-",
    "\u{e9}",
];

fn zone_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(VOCABULARY), 0..60)
        .prop_map(|parts| parts.join(" "))
}

fn run(bytes: &[u8]) {
    let dir = Path::new("/nonexistent-fuzz-dir/fuzz.zone");
    if let Ok(zone) = zonefile::parse_bytes(bytes, &origin(), dir) {
        let _ = zonefile::check(&zone);
    }
}

/// 2000 cases per property, or `PROPTEST_CASES` when set (for long runs).
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        run(&bytes);
    }

    #[test]
    fn arbitrary_strings_never_panic(text in ".{0,300}") {
        let _ = zonefile::parse_str(&text, &origin(), Path::new("/nonexistent-fuzz-dir/fuzz.zone"));
    }

    #[test]
    fn zone_like_text_never_panics(text in zone_like()) {
        run(text.as_bytes());
        run(format!("$TTL 60\n@ {text}").as_bytes());
    }

    #[test]
    fn rdata_text_never_panics(rtype in 0u16..300, text in zone_like()) {
        let _ = zonefile::parse_rdata(Rtype(rtype), &text, &origin());
    }
}
