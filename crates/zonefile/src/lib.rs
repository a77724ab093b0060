//! RFC 1035 master files with BIND's extensions, read into records, and
//! named-checkzone-style checks of the result.
//!
//! ```text
//!   bytes ──► lexer ──► entries (tokens, escapes kept, file:line)
//!                          │
//!                          ├─ $ORIGIN $TTL $INCLUDE $GENERATE ──► loader state
//!                          │     ($INCLUDE and $GENERATE feed entries back in)
//!                          ▼
//!              owner · TTL · class · type   (defaults: RFC 1035 §5.1, RFC 2308)
//!                          │ RDATA tokens
//!                          ▼
//!                  TokenScanner (our domain::base::scan::Scanner)
//!                          │
//!                          ▼
//!              domain ZoneRecordData::scan ──► compose ──► wire RDATA
//!                          │
//!                          ▼
//!              ZoneFile { origin, records with file:line } ──► check() ──► diagnostics
//! ```
//!
//! Input is read as bytes, never as `str`: octets outside ASCII are allowed
//! in quoted strings and names and reach the RDATA as they are (names see
//! them as `\DDD`). Nothing here panics on any input; errors are collected
//! (up to [`MAX_ERRORS`]) with the `file:line` of the token at fault, so a
//! command like `hadns zone check` can print them all.
//!
//! Supported syntax: `$ORIGIN`, `$TTL` (with units like `1h30m`),
//! `$INCLUDE file [origin]` (relative to the including file's directory,
//! origin and owner restored afterwards, loops and depth > 16 refused),
//! BIND's `$GENERATE` (see [`generate`](crate#generate)), TTL and class in
//! either order, class IN only, types by mnemonic or `TYPEnnn`, and RDATA in
//! `domain`'s presentation formats or RFC 3597's `\# LENGTH HEX`.
//!
//! # `$GENERATE`
//!
//! `$GENERATE start-stop[/step] lhs [ttl] [class] type rhs…` creates one
//! record per value. In `lhs` and every `rhs` token, `$` is the value and
//! `${offset[,width[,base]]}` the value plus `offset`, zero-padded to
//! `width`, in base `d`, `o`, `x`, `X`, or `n`/`N` (nibbles, least
//! significant first, dot-separated, as BIND writes them). `$$` and `\$`
//! are a literal `$`. A single quoted `rhs` is expanded and split into
//! tokens again, as BIND does; at most 65,536 values per directive.

mod check;
mod diagnostic;
mod fast;
mod file;
mod generate;
mod lexer;
mod load;
mod scanner;
mod split;
mod write;

use std::path::Path;

use wire::Name;

pub use check::check;
pub use diagnostic::{Diagnostic, Location, Problem, Severity};
pub use file::{SourcedRecord, ZoneFile};
pub use generate::MAX_ITERATIONS as MAX_GENERATE_ITERATIONS;
pub use lexer::{LexError, MAX_TOKEN_LEN};
pub use load::{MAX_ERRORS, MAX_INCLUDE_DEPTH};
pub use scanner::{RdataSyntaxError, parse_rdata};
pub use write::write_zone;

/// Reads the zone file at `path` with initial origin `origin`.
///
/// Returns every error found (up to [`MAX_ERRORS`]) if there is any.
/// `$INCLUDE` paths are relative to the directory of the file naming them.
pub fn parse_file(path: &Path, origin: &Name) -> Result<ZoneFile, Vec<Diagnostic>> {
    let mut loader = load::Loader::new(origin);
    match std::fs::read(path) {
        Ok(bytes) => loader.load_top(path, &bytes),
        Err(error) => loader.cannot_read(path, error),
    }
    loader.finish()
}

/// Reads zone file text; `name_for_errors` names it in diagnostics and its
/// directory is where relative `$INCLUDE` paths are looked up.
pub fn parse_str(
    text: &str,
    origin: &Name,
    name_for_errors: &Path,
) -> Result<ZoneFile, Vec<Diagnostic>> {
    parse_bytes(text.as_bytes(), origin, name_for_errors)
}

/// The most records [`parse_untrusted`] makes (exact duplicates, dropped
/// at the end, count towards it).
pub const MAX_UNTRUSTED_RECORDS: usize = 1_000_000;

/// Reads zone file text from an untrusted source (an upload): like
/// [`parse_bytes`], but `$INCLUDE` is an error instead of reading a file,
/// and at most [`MAX_UNTRUSTED_RECORDS`] records are made.
pub fn parse_untrusted(
    bytes: &[u8],
    origin: &Name,
    name_for_errors: &Path,
) -> Result<ZoneFile, Vec<Diagnostic>> {
    parse_untrusted_with_limit(bytes, origin, name_for_errors, MAX_UNTRUSTED_RECORDS)
}

/// Like [`parse_untrusted`], making at most `max_records` records: for a
/// caller whose other doors carry fewer (the REST API, whose JSON bodies
/// are capped), so that a few `$GENERATE` lines cannot make more.
pub fn parse_untrusted_with_limit(
    bytes: &[u8],
    origin: &Name,
    name_for_errors: &Path,
    max_records: usize,
) -> Result<ZoneFile, Vec<Diagnostic>> {
    let mut loader = load::Loader::new(origin);
    loader.forbid_includes();
    loader.limit_records(max_records);
    loader.load_top(name_for_errors, bytes);
    loader.finish()
}

/// Every problem of zone file text from an untrusted source, at once: the
/// reading errors of [`parse_untrusted`] and the findings of [`check`] on
/// the records that could be read, so that a person fixing an upload sees
/// all of them in one round instead of the checks only after the last
/// syntax error is gone. Returns the zone when nothing is an error, and
/// the diagnostics (warnings too) in file order either way.
///
/// Where a line could not be read, findings about something *missing*
/// (no SOA, no apex NS, an NS target without addresses, missing glue) are
/// left out: the line that failed may be the one that supplies it.
pub fn review_untrusted(
    bytes: &[u8],
    origin: &Name,
    name_for_errors: &Path,
) -> (Option<ZoneFile>, Vec<Diagnostic>) {
    let mut loader = load::Loader::new(origin);
    loader.forbid_includes();
    loader.limit_records(MAX_UNTRUSTED_RECORDS);
    loader.load_top(name_for_errors, bytes);
    let (zone, mut diagnostics) = loader.finish_partial();
    let unreadable = !diagnostics.is_empty();
    diagnostics.extend(check(&zone).into_iter().filter(|d| {
        !(unreadable
            && matches!(
                d.problem,
                Problem::MissingSoa(_)
                    | Problem::MissingApexNs(_)
                    | Problem::NsTargetWithoutAddress(_)
                    | Problem::MissingGlue { .. }
            ))
    }));
    // File order: a finding without a line (about the whole zone) first.
    diagnostics.sort_by_key(|d| d.location.as_ref().map(|l| l.line));
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    ((!has_errors).then_some(zone), diagnostics)
}

/// Records pasted into an existing zone `origin` by someone who may not
/// read this machine's files: zone file syntax (relative names, `@`,
/// `$TTL`, `$ORIGIN`, `$GENERATE`; no `$INCLUDE`), records without a TTL
/// taking `default_ttl`, at most `max_records` of them. No zone checks run:
/// the records join a zone whose other records the caller's write path
/// checks them with.
pub fn parse_records_untrusted(
    bytes: &[u8],
    origin: &Name,
    name_for_errors: &Path,
    default_ttl: u32,
    max_records: usize,
) -> Result<ZoneFile, Vec<Diagnostic>> {
    let mut loader = load::Loader::new(origin);
    loader.forbid_includes();
    loader.limit_records(max_records);
    loader.default_ttl(default_ttl);
    loader.load_top(name_for_errors, bytes);
    loader.finish()
}

/// Like [`parse_str`], for contents that need not be UTF-8.
pub fn parse_bytes(
    bytes: &[u8],
    origin: &Name,
    name_for_errors: &Path,
) -> Result<ZoneFile, Vec<Diagnostic>> {
    let mut loader = load::Loader::new(origin);
    loader.load_top(name_for_errors, bytes);
    loader.finish()
}
