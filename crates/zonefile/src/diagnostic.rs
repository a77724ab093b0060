//! What the parser and the checks report: a problem, how serious it is,
//! and the `file:line` it concerns.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use wire::types::TtlError;
use wire::{Name, NameError, Rtype};

use crate::lexer::LexError;
use crate::scanner::RdataSyntaxError;

/// A place in a zone file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file as it was named (the top file's path as given, included
    /// files joined to the directory of their includer).
    pub file: Arc<PathBuf>,
    /// 1-based line number.
    pub line: u32,
}

impl fmt::Display for Location {
    /// `file:line`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// How serious a diagnostic is, as named-checkzone would treat it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The zone must not be loaded.
    Error,
    /// The zone loads, but something is probably not what was meant.
    Warning,
}

/// One finding about a zone file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Where it was found; `None` for findings about the zone as a whole
    /// (no SOA) or a file that could not be opened.
    pub location: Option<Location>,
    /// Error or warning.
    pub severity: Severity,
    /// What was found.
    pub problem: Problem,
}

impl Diagnostic {
    /// An error at `location`.
    pub fn error(location: Option<Location>, problem: Problem) -> Diagnostic {
        Diagnostic {
            location,
            severity: Severity::Error,
            problem,
        }
    }

    /// A warning at `location`.
    pub fn warning(location: Option<Location>, problem: Problem) -> Diagnostic {
        Diagnostic {
            location,
            severity: Severity::Warning,
            problem,
        }
    }

    /// Whether this is an error rather than a warning.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// `FILE:LINE: message`, with `warning: ` before the message of warnings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(location) = &self.location {
            write!(f, "{location}: ")?;
        }
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        write!(f, "{}", self.problem)
    }
}

impl std::error::Error for Diagnostic {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.problem)
    }
}

/// Everything the parser and the checks can find wrong.
///
/// The first group comes from reading the file (always errors); the second
/// from [`crate::check`] (errors or warnings, see each variant).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    // ---- Reading the file ----
    /// A zone file or included file could not be read.
    #[error("cannot read {path}: {source}")]
    CannotRead {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: Arc<std::io::Error>,
    },
    /// An included path names something other than a regular file.
    #[error("cannot read {0}: not a regular file")]
    NotAFile(PathBuf),
    /// The text could not be split into tokens.
    #[error(transparent)]
    Lex(#[from] LexError),
    /// A token that does not fit where it stands.
    #[error("expected {expected}, found {}", found_text(.found))]
    Expected {
        /// What would have fitted, e.g. "a TTL, class or type".
        expected: &'static str,
        /// The token found; `None` at the end of the line.
        found: Option<String>,
    },
    /// A malformed owner name or directive argument.
    #[error("bad domain name \"{text}\": {source}")]
    BadName {
        /// The name as written.
        text: String,
        /// What is wrong with it.
        source: NameError,
    },
    /// A malformed or too large TTL (RFC 2181 §8).
    #[error(transparent)]
    BadTtl(#[from] TtlError),
    /// A class other than IN.
    #[error("class {0} is not supported; zones are class IN")]
    UnsupportedClass(String),
    /// OPT, TSIG, AXFR, ANY or another meta type as a record type.
    #[error("{0} is a meta type and cannot appear in a zone file")]
    MetaType(Rtype),
    /// A record without TTL before any `$TTL`, explicit TTL or SOA.
    #[error("no TTL specified and no $TTL")]
    NoTtl,
    /// A line beginning with white space, with no earlier owner to repeat.
    #[error("the line starts with white space but there is no previous owner name to repeat")]
    NoPreviousOwner,
    /// The RDATA of a record could not be read.
    #[error("bad {rtype} RDATA: {source}")]
    Rdata {
        /// The record type.
        rtype: Rtype,
        /// What is wrong with the RDATA.
        source: RdataSyntaxError,
    },
    /// A `$WORD` that is not `$ORIGIN`, `$TTL`, `$INCLUDE` or `$GENERATE`.
    #[error("unknown directive {0}")]
    UnknownDirective(String),
    /// Tokens after the complete arguments of a directive.
    #[error("unexpected \"{found}\" after the arguments of {directive}")]
    TrailingTokens {
        /// The directive, e.g. `$TTL`.
        directive: &'static str,
        /// The first extra token.
        found: String,
    },
    /// A file includes itself, directly or through others.
    #[error("$INCLUDE loop: {0} is already being read")]
    IncludeLoop(PathBuf),
    /// Includes nested deeper than the limit.
    #[error("$INCLUDE nested more than {0} files deep")]
    IncludeTooDeep(usize),
    /// More records than an untrusted zone file may make.
    #[error("more than {0} records: an uploaded zone file may not make more")]
    TooManyRecords(usize),
    /// `$INCLUDE` in text that may not read files (an upload).
    #[error(
        "$INCLUDE is not allowed here: this zone file was uploaded, and may not read files on the server"
    )]
    IncludeNotAllowed,
    /// An include path that is not UTF-8 after decoding escapes.
    #[error("$INCLUDE path \"{0}\" is not valid UTF-8")]
    IncludePathNotUtf8(String),
    /// A `$GENERATE` range that is not `START-STOP[/STEP]` with
    /// `START <= STOP` and `STEP >= 1`.
    #[error(
        "bad $GENERATE range \"{0}\": expected START-STOP or START-STOP/STEP with START <= STOP and STEP >= 1"
    )]
    GenerateRange(String),
    /// A `$GENERATE` range with too many iterations.
    #[error("$GENERATE range has {count} iterations; at most {limit} are allowed")]
    GenerateTooLarge {
        /// Iterations the range asks for.
        count: u64,
        /// The limit.
        limit: u64,
    },
    /// A `$GENERATE` template with a malformed `${...}` modifier.
    #[error("bad $GENERATE template \"{template}\": {reason}")]
    GenerateTemplate {
        /// The template as written.
        template: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A `$GENERATE` modifier whose offset makes the value negative in a
    /// base that cannot show a sign.
    #[error(
        "$GENERATE template \"{template}\" gives the negative value {value}, which only base d can show"
    )]
    GenerateNegative {
        /// The template as written.
        template: String,
        /// The value it produced.
        value: i64,
    },
    /// Parsing stopped after this many errors.
    #[error("too many errors (more than {0}); giving up")]
    TooManyErrors(usize),

    // ---- Checking the zone ----
    /// Error: the apex has no SOA record.
    #[error("no SOA record at the apex {0}")]
    MissingSoa(Name),
    /// Error: the apex has more than one SOA record.
    #[error("more than one SOA record at the apex {0}")]
    MultipleSoa(Name),
    /// Error: a SOA record below the apex.
    #[error("SOA record at {owner}, which is not the apex {apex}")]
    SoaNotAtApex {
        /// The record's owner.
        owner: Name,
        /// The zone's apex.
        apex: Name,
    },
    /// Error: the apex has no NS records.
    #[error("no NS records at the apex {0}")]
    MissingApexNs(Name),
    /// Error: a record whose owner is neither the apex nor below it.
    #[error("{owner} is out of zone: it is not at or below the apex {apex}")]
    OutOfZone {
        /// The record's owner.
        owner: Name,
        /// The zone's apex.
        apex: Name,
    },
    /// Error: a CNAME beside other data (RFC 1034 §3.6.2, RFC 2181 §10.1).
    #[error("{owner} has a CNAME and other data ({rtype})")]
    CnameAndOtherData {
        /// The shared owner.
        owner: Name,
        /// The type of the other data.
        rtype: Rtype,
    },
    /// Error: more than one CNAME at a name (RFC 2181 §10.1).
    #[error("{0} has more than one CNAME record")]
    MultipleCnames(Name),
    /// Error: a CNAME at the apex, which must hold SOA and NS.
    #[error("CNAME at the apex {0}")]
    CnameAtApex(Name),
    /// Error: CNAME and DNAME at one name (RFC 6672 §2.4).
    #[error("{0} has both a CNAME and a DNAME")]
    DnameAndCname(Name),
    /// Error: more than one DNAME at a name (RFC 6672 §2.4).
    #[error("{0} has more than one DNAME record")]
    MultipleDnames(Name),
    /// Error: an NS target below a zone cut of this zone without glue.
    #[error(
        "missing glue: NS target {target} is below the delegation {cut} but has no A or AAAA records"
    )]
    MissingGlue {
        /// The NS target.
        target: Name,
        /// The zone cut it lies under.
        cut: Name,
    },
    /// Error: an NS target inside the zone (not below a cut) without
    /// address records.
    #[error("NS target {0} is in the zone but has no A or AAAA records")]
    NsTargetWithoutAddress(Name),
    /// Error: an NS target that is a CNAME in the zone (RFC 2181 §10.3).
    #[error("NS target {0} is a CNAME, which RFC 2181 §10.3 forbids")]
    NsTargetIsCname(Name),
    /// Warning: records of one rrset with different TTLs (RFC 2181 §5.2).
    #[error(
        "{owner} {rtype} has TTL {ttl} but its rrset started with TTL {rrset_ttl} (RFC 2181 §5.2)"
    )]
    TtlMismatch {
        /// The rrset's owner.
        owner: Name,
        /// The rrset's type.
        rtype: Rtype,
        /// This record's TTL.
        ttl: u32,
        /// The TTL of the first record of the rrset.
        rrset_ttl: u32,
    },
    /// Warning: data below a zone cut that is not glue, so never served.
    #[error("{owner} {rtype} is below the delegation {cut} and is not glue, so it is occluded")]
    OccludedByDelegation {
        /// The record's owner.
        owner: Name,
        /// The record's type.
        rtype: Rtype,
        /// The zone cut above it.
        cut: Name,
    },
    /// Warning: data below a DNAME, so never served (RFC 6672 §2.3).
    #[error("{owner} {rtype} is below the DNAME at {dname}, so it is occluded")]
    OccludedByDname {
        /// The record's owner.
        owner: Name,
        /// The record's type.
        rtype: Rtype,
        /// The owner of the DNAME.
        dname: Name,
    },
    /// Warning: an MX or SRV target that is a CNAME in the zone
    /// (RFC 2181 §10.3, RFC 2782).
    #[error("{rtype} target {target} of {owner} is a CNAME (RFC 2181 §10.3)")]
    TargetIsCname {
        /// MX or SRV.
        rtype: Rtype,
        /// The record's owner.
        owner: Name,
        /// The target.
        target: Name,
    },
}

/// `"token"` or `the end of the line`.
fn found_text(found: &Option<String>) -> String {
    match found {
        Some(token) => format!("\"{token}\""),
        None => "the end of the line".to_string(),
    }
}
