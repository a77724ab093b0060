//! Entries → records: owner and TTL defaulting, directives, includes and
//! duplicate removal. Errors are collected, not returned at the first one.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use wire::{Class, Name, Record, Rtype, Ttl};

use crate::diagnostic::{Diagnostic, Location, Problem};
use crate::file::{SourcedRecord, ZoneFile};
use crate::generate::{self, NegativeValue, Range, Template};
use crate::lexer::{Entry, Lexer, Token};
use crate::scanner::{self, RdataFailure};
use crate::split::Cut;

/// Errors collected before parsing gives up.
pub const MAX_ERRORS: usize = 100;

/// Deepest `$INCLUDE` nesting accepted (the top file is depth 0).
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// The state that lives across files: TTL defaults, the records so far and
/// the findings.
pub(crate) struct Loader {
    /// The zone's origin as given by the caller.
    apex: Name,
    /// The value of the last `$TTL`.
    default_ttl: Option<u32>,
    /// The last TTL written on a record (or taken from the SOA MINIMUM),
    /// used when there is no `$TTL` (RFC 1035 §5.1).
    last_ttl: Option<u32>,
    /// The records so far, duplicates included: [`drop_duplicates`]
    /// removes those at the end, in one pass over all of them.
    records: Vec<SourcedRecord>,
    errors: Vec<Diagnostic>,
    /// Canonical paths of the files being read, outermost first.
    include_stack: Vec<PathBuf>,
    /// Set once [`MAX_ERRORS`] is exceeded.
    gave_up: bool,
    /// Whether `$INCLUDE` may read files (not for text from the network).
    includes_allowed: bool,
    /// The most records this load may make (`$GENERATE` makes many from
    /// one line); `None`: no limit.
    max_records: Option<usize>,
    /// Where the RDATA of each record is written before it is copied out
    /// at its exact size.
    scratch: Vec<u8>,
    /// Whether a large top file may be read in two halves at once.
    parallel: bool,
}

/// Files shorter than this are read serially: a second thread would not
/// pay for itself.
const PARALLEL_MIN_LEN: usize = 1 << 20;

/// What is local to one file: RFC 1035 §5.1 restores these after an
/// `$INCLUDE`.
struct FileState {
    path: Arc<PathBuf>,
    origin: Name,
    last_owner: Option<Name>,
}

/// The fields before the RDATA.
#[derive(Clone, Copy)]
struct RecordHeader {
    ttl: Option<u32>,
    rtype: Rtype,
}

impl Loader {
    /// A loader for a zone with origin `apex`.
    pub fn new(apex: &Name) -> Loader {
        Loader {
            apex: apex.clone(),
            default_ttl: None,
            last_ttl: None,
            records: Vec::new(),
            errors: Vec::new(),
            include_stack: Vec::new(),
            gave_up: false,
            includes_allowed: true,
            max_records: None,
            scratch: Vec::new(),
            parallel: true,
        }
    }

    /// Reads the top file serially (for comparing both ways in tests).
    #[cfg(test)]
    pub fn serial(&mut self) {
        self.parallel = false;
    }

    /// Refuses `$INCLUDE`: the text came from someone who may not read
    /// this machine's files (a zone file uploaded through the web UI).
    pub fn forbid_includes(&mut self) {
        self.includes_allowed = false;
    }

    /// Stops with an error once `max` records are made (untrusted text,
    /// where a few `$GENERATE` lines could otherwise ask for billions).
    /// Exact duplicates count: they are only dropped at the end.
    pub fn limit_records(&mut self, max: usize) {
        self.max_records = Some(max);
    }

    /// Starts as if the text began with `$TTL ttl`: records without a TTL
    /// take it until a `$TTL` line says otherwise (records pasted into an
    /// existing zone, which has a default TTL of its own).
    pub fn default_ttl(&mut self, ttl: u32) {
        self.default_ttl = Some(ttl);
    }

    /// Parses the top file's bytes.
    pub fn load_top(&mut self, path: &Path, bytes: &[u8]) {
        if let Ok(canonical) = std::fs::canonicalize(path) {
            self.include_stack.push(canonical);
        }
        let origin = self.apex.clone();
        self.load(Arc::new(path.to_path_buf()), bytes, origin, 0);
    }

    /// Records the failure to read the top file.
    pub fn cannot_read(&mut self, path: &Path, error: std::io::Error) {
        let problem = Problem::CannotRead {
            path: path.to_path_buf(),
            source: Arc::new(error),
        };
        self.errors.push(Diagnostic::error(None, problem));
    }

    /// The zone, or every error found.
    pub fn finish(mut self) -> Result<ZoneFile, Vec<Diagnostic>> {
        if self.errors.is_empty() {
            drop_duplicates(&mut self.records);
            Ok(ZoneFile {
                origin: self.apex,
                records: self.records,
            })
        } else {
            Err(self.errors)
        }
    }

    /// The records read, even where some lines failed, and every error.
    pub fn finish_partial(mut self) -> (ZoneFile, Vec<Diagnostic>) {
        drop_duplicates(&mut self.records);
        (
            ZoneFile {
                origin: self.apex,
                records: self.records,
            },
            self.errors,
        )
    }

    /// Records an error at `file:line`, or gives up after [`MAX_ERRORS`].
    fn error(&mut self, file: &Arc<PathBuf>, line: u32, problem: Problem) {
        if self.gave_up {
            return;
        }
        let location = Location {
            file: Arc::clone(file),
            line,
        };
        if self.errors.len() >= MAX_ERRORS {
            self.gave_up = true;
            self.errors.push(Diagnostic::error(
                Some(location),
                Problem::TooManyErrors(MAX_ERRORS),
            ));
            return;
        }
        self.errors.push(Diagnostic::error(Some(location), problem));
    }

    /// Parses one file's bytes, starting with `origin` and no owner.
    fn load(&mut self, path: Arc<PathBuf>, bytes: &[u8], origin: Name, depth: usize) {
        // Editors on Windows like to start files with a UTF-8 byte order
        // mark; it would otherwise glue itself to the first token.
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        if depth == 0
            && self.parallel
            && self.max_records.is_none()
            && bytes.len() >= PARALLEL_MIN_LEN
        {
            if let Some(cut) = crate::split::find_cut(bytes)
                && self.load_halves(&path, bytes, &origin, &cut)
            {
                return;
            }
            // Sized from a count of lines, so that a large zone's records
            // are not copied from one doubled vector to the next.
            let lines = bytes.iter().filter(|&&b| b == b'\n').count();
            self.records.reserve(lines);
        }
        self.load_part(path, bytes, 1, origin, depth);
    }

    /// Reads the two halves of a top file at once, the second on a thread
    /// of its own, when the state at the cut is known: the `$TTL` and
    /// `$ORIGIN` lines before it, read again here. Returns `false`, having
    /// read nothing, when it is not (the caller then reads serially).
    fn load_halves(&mut self, path: &Arc<PathBuf>, bytes: &[u8], origin: &Name, cut: &Cut) -> bool {
        let mut origin_at_cut = origin.clone();
        let mut ttl_at_cut = self.default_ttl;
        let mut tokens = Vec::new();
        for &(at, line) in &cut.directives {
            let Some(Ok(_)) = Lexer::new(&bytes[at..], line).next_entry(&mut tokens) else {
                return false;
            };
            let word = tokens[0].presentation().to_ascii_uppercase();
            match (word.as_str(), &tokens[1..]) {
                ("$ORIGIN", [argument]) => match name(argument, &origin_at_cut) {
                    Ok(next) => origin_at_cut = next,
                    Err(_) => return false,
                },
                ("$TTL", [argument]) => match Ttl::from_str(&argument.presentation()) {
                    Ok(ttl) => ttl_at_cut = Some(ttl.0),
                    Err(_) => return false,
                },
                // `$INCLUDE` and `$GENERATE` (and errors) are left to the
                // serial reading, which keeps their order with the rest.
                _ => return false,
            }
        }
        let Some(ttl_at_cut) = ttl_at_cut else {
            return false;
        };
        let mut second = Loader {
            apex: self.apex.clone(),
            default_ttl: Some(ttl_at_cut),
            last_ttl: None,
            records: Vec::with_capacity(cut.entries.1),
            errors: Vec::new(),
            include_stack: self.include_stack.clone(),
            gave_up: false,
            includes_allowed: self.includes_allowed,
            max_records: self.max_records,
            scratch: Vec::new(),
            parallel: false,
        };
        // Room for both halves, so that appending the second copies no
        // record of the first.
        self.records.reserve(cut.entries.0 + cut.entries.1);
        let (first_half, second_half) = bytes.split_at(cut.at);
        let finished = std::thread::scope(|scope| {
            let worker = scope.spawn(|| {
                second.load_part(Arc::clone(path), second_half, cut.line, origin_at_cut, 0);
                second
            });
            self.load_part(Arc::clone(path), first_half, 1, origin.clone(), 0);
            worker.join()
        });
        match finished {
            Ok(second) => self.append(second),
            // The second half's reading cannot panic; should it, it is
            // read again here.
            Err(_) => self.load_part(Arc::clone(path), second_half, cut.line, origin.clone(), 0),
        }
        true
    }

    /// Takes what a loader of the rest of the file found, as if this one
    /// had read on: its records, and its errors up to [`MAX_ERRORS`] in all.
    fn append(&mut self, mut rest: Loader) {
        self.records.append(&mut rest.records);
        for diagnostic in rest.errors {
            if self.gave_up {
                break;
            }
            match diagnostic.location {
                Some(location) => self.error(&location.file, location.line, diagnostic.problem),
                None => self.errors.push(diagnostic),
            }
        }
        if rest.gave_up && !self.gave_up {
            self.gave_up = true;
        }
    }

    /// Parses `bytes`, whose first line is `first_line`, starting with
    /// `origin` and no owner.
    fn load_part(
        &mut self,
        path: Arc<PathBuf>,
        bytes: &[u8],
        first_line: u32,
        origin: Name,
        depth: usize,
    ) {
        let mut state = FileState {
            path,
            origin,
            last_owner: None,
        };
        let mut lexer = Lexer::new(bytes, first_line);
        let mut tokens = Vec::new();
        while let Some(next) = lexer.next_entry(&mut tokens) {
            if self.gave_up {
                return;
            }
            match next {
                Err((error, line)) => self.error(&state.path, line, Problem::Lex(error)),
                Ok(entry) => self.entry(&mut state, entry, &tokens, depth),
            }
        }
    }

    /// Handles one entry: a directive or a record.
    fn entry(&mut self, state: &mut FileState, entry: Entry, tokens: &[Token<'_>], depth: usize) {
        let Some(first) = tokens.first() else { return };
        if !entry.inherits_owner && !first.quoted && first.text.first() == Some(&b'$') {
            self.directive(state, tokens, depth);
            return;
        }
        let (owner, rest) = if entry.inherits_owner {
            match &state.last_owner {
                Some(owner) => (owner.clone(), tokens),
                None => return self.error(&state.path, entry.line, Problem::NoPreviousOwner),
            }
        } else {
            match self.owner(first, state) {
                Ok(owner) => (owner, &tokens[1..]),
                Err(problem) => return self.error(&state.path, first.line, problem),
            }
        };
        state.last_owner = Some(owner.clone());
        match record_header(rest, entry.line) {
            Ok((header, rdata)) => {
                self.record(&state.path, entry.line, owner, header, rdata, &state.origin)
            }
            Err((problem, line)) => self.error(&state.path, line, problem),
        }
    }

    /// The owner named by `token`: written in wire form straight from the
    /// token's bytes when it is plain, and the previous owner's copy when
    /// the two are the same (consecutive records of one name), so that most
    /// records cost one allocation for their owner.
    fn owner(&mut self, token: &Token<'_>, state: &FileState) -> Result<Name, Problem> {
        self.scratch.clear();
        if !crate::fast::push_name(token, &state.origin, &mut self.scratch) {
            return name(token, &state.origin);
        }
        if let Some(last) = &state.last_owner
            && last.as_wire() == self.scratch.as_slice()
        {
            return Ok(last.clone());
        }
        Name::from_wire(&self.scratch).or_else(|_| name(token, &state.origin))
    }

    /// Reads the RDATA, settles the TTL and keeps the record unless it
    /// duplicates an earlier one.
    fn record(
        &mut self,
        file: &Arc<PathBuf>,
        line: u32,
        owner: Name,
        header: RecordHeader,
        rdata_tokens: &[Token<'_>],
        origin: &Name,
    ) {
        let rtype = header.rtype;
        let rdata = match scanner::scan_rdata(rtype, rdata_tokens, origin, &mut self.scratch) {
            Ok(rdata) => rdata,
            Err(RdataFailure { error, line: at }) => {
                return self.error(
                    file,
                    at.unwrap_or(line),
                    Problem::Rdata {
                        rtype,
                        source: error,
                    },
                );
            }
        };
        let ttl = match header.ttl {
            Some(ttl) => {
                self.last_ttl = Some(ttl);
                ttl
            }
            None => match self.default_ttl.or(self.last_ttl) {
                Some(ttl) => ttl,
                None => {
                    // BIND's rule: with no $TTL, a SOA without TTL takes its
                    // MINIMUM, which then serves as the last TTL.
                    let minimum = (rtype == Rtype::SOA)
                        .then(|| wire::rdata::soa_numbers(&rdata).map(|numbers| numbers[4]))
                        .flatten()
                        .map(|minimum| minimum.min(Ttl::MAX.0));
                    match minimum {
                        Some(minimum) => {
                            self.last_ttl = Some(minimum);
                            minimum
                        }
                        None => return self.error(file, line, Problem::NoTtl),
                    }
                }
            },
        };
        let record = Record {
            owner,
            rtype,
            class: Class::IN,
            ttl,
            rdata,
        };
        if self
            .max_records
            .is_some_and(|max| self.records.len() >= max)
        {
            let max = self.max_records.unwrap_or_default();
            self.error(file, line, Problem::TooManyRecords(max));
            // One error says it; the rest of the text is not read.
            self.gave_up = true;
            return;
        }
        let location = Location {
            file: Arc::clone(file),
            line,
        };
        self.records.push(SourcedRecord { record, location });
    }

    /// Dispatches a `$WORD` entry.
    fn directive(&mut self, state: &mut FileState, tokens: &[Token<'_>], depth: usize) {
        let first = &tokens[0];
        let word = first.presentation().to_ascii_uppercase();
        let arguments = &tokens[1..];
        match word.as_str() {
            "$ORIGIN" => self.origin_directive(state, first.line, arguments),
            "$TTL" => self.ttl_directive(state, first.line, arguments),
            "$INCLUDE" => self.include_directive(state, first.line, arguments, depth),
            "$GENERATE" => self.generate_directive(state, first.line, arguments),
            _ => self.error(
                &state.path,
                first.line,
                Problem::UnknownDirective(first.excerpt()),
            ),
        }
    }

    /// `$ORIGIN name`, relative to the current origin.
    fn origin_directive(&mut self, state: &mut FileState, line: u32, arguments: &[Token<'_>]) {
        let Some(argument) = arguments.first() else {
            return self.error(
                &state.path,
                line,
                expected("a domain name after $ORIGIN", None),
            );
        };
        if let Some(extra) = arguments.get(1) {
            return self.error(&state.path, extra.line, trailing("$ORIGIN", extra));
        }
        match name(argument, &state.origin) {
            Ok(origin) => state.origin = origin,
            Err(problem) => self.error(&state.path, argument.line, problem),
        }
    }

    /// `$TTL ttl` (RFC 2308 §4), with BIND's units.
    fn ttl_directive(&mut self, state: &FileState, line: u32, arguments: &[Token<'_>]) {
        let Some(argument) = arguments.first() else {
            return self.error(&state.path, line, expected("a TTL after $TTL", None));
        };
        if let Some(extra) = arguments.get(1) {
            return self.error(&state.path, extra.line, trailing("$TTL", extra));
        }
        match Ttl::from_str(&argument.presentation()) {
            Ok(ttl) => self.default_ttl = Some(ttl.0),
            Err(error) => self.error(&state.path, argument.line, Problem::BadTtl(error)),
        }
    }

    /// `$INCLUDE file [origin]`: the file is read with the given origin (or
    /// the current one) and no owner; this file's origin and owner are
    /// untouched by it (RFC 1035 §5.1).
    fn include_directive(
        &mut self,
        state: &FileState,
        line: u32,
        arguments: &[Token<'_>],
        depth: usize,
    ) {
        if !self.includes_allowed {
            return self.error(&state.path, line, Problem::IncludeNotAllowed);
        }
        let Some(file_token) = arguments.first() else {
            return self.error(
                &state.path,
                line,
                expected("a file name after $INCLUDE", None),
            );
        };
        if let Some(extra) = arguments.get(2) {
            return self.error(&state.path, extra.line, trailing("$INCLUDE", extra));
        }
        let origin = match arguments.get(1) {
            Some(token) => match name(token, &state.origin) {
                Ok(origin) => origin,
                Err(problem) => return self.error(&state.path, token.line, problem),
            },
            None => state.origin.clone(),
        };
        let relative = match file_token.octets().map(String::from_utf8) {
            Ok(Ok(text)) => PathBuf::from(text),
            _ => {
                return self.error(
                    &state.path,
                    line,
                    Problem::IncludePathNotUtf8(file_token.excerpt()),
                );
            }
        };
        let path = match state.path.parent() {
            Some(directory) if relative.is_relative() => directory.join(&relative),
            _ => relative,
        };
        if depth + 1 > MAX_INCLUDE_DEPTH {
            return self.error(
                &state.path,
                line,
                Problem::IncludeTooDeep(MAX_INCLUDE_DEPTH),
            );
        }
        let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if self.include_stack.contains(&canonical) {
            return self.error(&state.path, line, Problem::IncludeLoop(path));
        }
        let bytes = match read_regular_file(&path) {
            Ok(bytes) => bytes,
            Err(problem) => return self.error(&state.path, line, problem),
        };
        self.include_stack.push(canonical);
        self.load(Arc::new(path), &bytes, origin, depth + 1);
        self.include_stack.pop();
    }

    /// `$GENERATE range lhs [ttl] [class] type rhs`, as BIND reads it.
    ///
    /// The first error stops the directive: it would repeat for every value.
    fn generate_directive(&mut self, state: &FileState, line: u32, arguments: &[Token<'_>]) {
        let generation = match Generation::compile(arguments, line) {
            Ok(generation) => generation,
            Err((problem, at)) => return self.error(&state.path, at, problem),
        };
        let mut owner_text = Vec::new();
        let mut rdata_texts = vec![Vec::new(); generation.rdata.len()];
        for value in generation.range.values() {
            if let Err((problem, at)) = generation.expand(value, &mut owner_text, &mut rdata_texts)
            {
                return self.error(&state.path, at, problem);
            }
            let errors_before = self.errors.len();
            self.generated_record(state, line, &generation, &owner_text, &rdata_texts);
            if self.errors.len() > errors_before || self.gave_up {
                return;
            }
        }
    }

    /// Adds the record of one `$GENERATE` value from its expanded texts.
    fn generated_record(
        &mut self,
        state: &FileState,
        line: u32,
        generation: &Generation<'_, '_>,
        owner_text: &[u8],
        rdata_texts: &[Vec<u8>],
    ) {
        let (_, owner_source) = generation.owner;
        let owner_token = owner_source.with_text(owner_text);
        let owner = match name(&owner_token, &state.origin) {
            Ok(owner) => owner,
            Err(problem) => return self.error(&state.path, owner_source.line, problem),
        };
        let mut tokens = Vec::with_capacity(rdata_texts.len());
        if let ([text], [(_, source)]) = (rdata_texts, generation.rdata.as_slice())
            && source.quoted
        {
            // BIND expands a quoted RDATA and then splits it into tokens,
            // which is how `"10 mail$"` becomes MX RDATA.
            if let Some(Err((error, at))) = Lexer::new(text, source.line).next_entry(&mut tokens) {
                return self.error(&state.path, at, Problem::Lex(error));
            }
        } else {
            tokens.extend(
                rdata_texts
                    .iter()
                    .zip(&generation.rdata)
                    .map(|(text, (_, source))| source.with_text(text)),
            );
        }
        self.record(
            &state.path,
            line,
            owner,
            generation.header,
            &tokens,
            &state.origin,
        );
    }
}

/// A `$GENERATE` directive with its templates compiled, each beside the
/// token it came from.
struct Generation<'t, 'a> {
    range: Range,
    owner: (Template, &'t Token<'a>),
    header: RecordHeader,
    rdata: Vec<(Template, &'t Token<'a>)>,
}

impl<'t, 'a> Generation<'t, 'a> {
    /// Reads the directive's arguments; errors carry the line at fault.
    fn compile(arguments: &'t [Token<'a>], line: u32) -> Result<Self, (Problem, u32)> {
        let Some(range_token) = arguments.first() else {
            return Err((expected("a range after $GENERATE", None), line));
        };
        let Some(owner_token) = arguments.get(1) else {
            return Err((
                expected("an owner template after the $GENERATE range", None),
                line,
            ));
        };
        let range = Range::parse(&range_token.presentation()).ok_or_else(|| {
            (
                Problem::GenerateRange(range_token.excerpt()),
                range_token.line,
            )
        })?;
        if range.count() > generate::MAX_ITERATIONS {
            let problem = Problem::GenerateTooLarge {
                count: range.count(),
                limit: generate::MAX_ITERATIONS,
            };
            return Err((problem, range_token.line));
        }
        let (header, rhs) = record_header(&arguments[2..], line)?;
        if rhs.is_empty() {
            return Err((expected("RDATA after the $GENERATE type", None), line));
        }
        let compile = |token: &'t Token<'a>| {
            Template::parse(&token.text)
                .map(|template| (template, token))
                .map_err(|reason| {
                    (
                        Problem::GenerateTemplate {
                            template: token.excerpt(),
                            reason,
                        },
                        token.line,
                    )
                })
        };
        let owner = compile(owner_token)?;
        let rdata = rhs.iter().map(compile).collect::<Result<Vec<_>, _>>()?;
        Ok(Generation {
            range,
            owner,
            header,
            rdata,
        })
    }

    /// Writes the owner and RDATA texts for `value` into the buffers.
    fn expand(
        &self,
        value: u32,
        owner_text: &mut Vec<u8>,
        rdata_texts: &mut [Vec<u8>],
    ) -> Result<(), (Problem, u32)> {
        let negative = |token: &Token<'_>, NegativeValue(value)| {
            (
                Problem::GenerateNegative {
                    template: token.excerpt(),
                    value,
                },
                token.line,
            )
        };
        let (template, token) = &self.owner;
        template
            .render(value, owner_text)
            .map_err(|e| negative(token, e))?;
        for ((template, token), out) in self.rdata.iter().zip(rdata_texts) {
            template
                .render(value, out)
                .map_err(|e| negative(token, e))?;
        }
        Ok(())
    }
}

/// Reads a file that must be a regular file (not a FIFO or a device that
/// would block or never end).
fn read_regular_file(path: &Path) -> Result<Vec<u8>, Problem> {
    let cannot_read = |error| Problem::CannotRead {
        path: path.to_path_buf(),
        source: Arc::new(error),
    };
    let metadata = std::fs::metadata(path).map_err(cannot_read)?;
    if !metadata.is_file() {
        return Err(Problem::NotAFile(path.to_path_buf()));
    }
    std::fs::read(path).map_err(cannot_read)
}

/// A name token completed with `origin`.
fn name(token: &Token<'_>, origin: &Name) -> Result<Name, Problem> {
    Name::from_text(&token.presentation(), Some(origin)).map_err(|source| Problem::BadName {
        text: token.excerpt(),
        source,
    })
}

/// "expected WHAT, found TOKEN" (or the end of the line).
fn expected(what: &'static str, found: Option<&Token<'_>>) -> Problem {
    Problem::Expected {
        expected: what,
        found: found.map(Token::excerpt),
    }
}

/// A token after the complete arguments of `directive`.
fn trailing(directive: &'static str, extra: &Token<'_>) -> Problem {
    Problem::TrailingTokens {
        directive,
        found: extra.excerpt(),
    }
}

/// Reads `[ttl] [class] type` (TTL and class in either order) and returns
/// them with the RDATA tokens. Errors carry the line of the token at fault.
fn record_header<'t, 'a>(
    tokens: &'t [Token<'a>],
    entry_line: u32,
) -> Result<(RecordHeader, &'t [Token<'a>]), (Problem, u32)> {
    let mut ttl = None;
    let mut class_seen = false;
    for (index, token) in tokens.iter().enumerate() {
        let text = token.presentation();
        let starts_with_digit = text.as_bytes().first().is_some_and(u8::is_ascii_digit);
        if starts_with_digit && ttl.is_none() {
            let value =
                Ttl::from_str(&text).map_err(|error| (Problem::BadTtl(error), token.line))?;
            ttl = Some(value.0);
            continue;
        }
        if !class_seen && let Ok(class) = Class::from_str(&text) {
            if class != Class::IN {
                return Err((Problem::UnsupportedClass(token.excerpt()), token.line));
            }
            class_seen = true;
            continue;
        }
        let Ok(rtype) = Rtype::from_str(&text) else {
            return Err((
                expected(still_expected(ttl.is_some(), class_seen), Some(token)),
                token.line,
            ));
        };
        if rtype.is_meta() {
            return Err((Problem::MetaType(rtype), token.line));
        }
        return Ok((RecordHeader { ttl, rtype }, &tokens[index + 1..]));
    }
    let line = tokens.last().map_or(entry_line, |t| t.line);
    Err((
        expected(still_expected(ttl.is_some(), class_seen), None),
        line,
    ))
}

/// What may still come before the type, given what has been read.
fn still_expected(ttl_seen: bool, class_seen: bool) -> &'static str {
    match (ttl_seen, class_seen) {
        (false, false) => "a TTL, class or type",
        (true, false) => "a class or type",
        (false, true) => "a TTL or type",
        (true, true) => "a type",
    }
}

/// Removes every record equal to an earlier one in owner (ignoring ASCII
/// case), type and RDATA, as BIND and Knot do, keeping the first.
///
/// One pass after reading instead of a hash map kept while reading: the
/// records are hashed, the hashes sorted with their indices, and only
/// records sharing a hash are compared. The map held a heap vector per
/// hash and cost more memory and time than the records' own parsing.
pub(crate) fn drop_duplicates(records: &mut Vec<SourcedRecord>) {
    let Ok(count) = u32::try_from(records.len()) else {
        // More than four billion records do not fit in memory anyway;
        // this only keeps the indices below honest.
        return;
    };
    let mut keys: Vec<(u64, u32)> = records
        .iter()
        .zip(0..count)
        .map(|(r, index)| (record_hash(&r.record), index))
        .collect();
    keys.sort_unstable();
    let mut duplicate = vec![false; records.len()];
    let mut any = false;
    let mut run_indices = Vec::new();
    for run in keys.chunk_by(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
        // Sorting the run by content (stably, so the first of equal
        // records stays first) keeps even a run of colliding hashes
        // O(k log k) instead of comparing every pair.
        run_indices.clear();
        run_indices.extend(run.iter().map(|&(_, index)| index as usize));
        run_indices.sort_by(|&a, &b| content_cmp(&records[a].record, &records[b].record));
        for pair in run_indices.windows(2) {
            let (kept, later) = (&records[pair[0]].record, &records[pair[1]].record);
            if content_cmp(kept, later).is_eq() {
                duplicate[pair[1]] = true;
                any = true;
            }
        }
    }
    drop(keys);
    if any {
        let mut flags = duplicate.into_iter();
        records.retain(|_| !flags.next().unwrap_or(false));
    }
}

/// Orders records by owner (ASCII case ignored), type and RDATA: equal
/// exactly when they are duplicates of each other.
fn content_cmp(a: &Record, b: &Record) -> std::cmp::Ordering {
    let owner = |r: &'_ Record| {
        r.owner
            .as_wire()
            .iter()
            .map(u8::to_ascii_lowercase)
            .collect::<Vec<_>>()
    };
    a.rtype
        .cmp(&b.rtype)
        .then_with(|| a.rdata.cmp(&b.rdata))
        .then_with(|| {
            if a.owner == b.owner {
                std::cmp::Ordering::Equal
            } else {
                owner(a).cmp(&owner(b))
            }
        })
}

/// A 64-bit hash of what makes a record a duplicate: owner (lower-cased),
/// type and RDATA. Not for an adversary's input to collide on cheaply
/// mattering: collisions only cost a comparison each.
fn record_hash(record: &Record) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |h: u64, word: u64| (h.rotate_left(5) ^ word).wrapping_mul(K);
    let mut h = mix(0, u64::from(record.rtype.0));
    for &byte in record.owner.as_wire() {
        h = mix(h, u64::from(byte.to_ascii_lowercase()));
    }
    let mut words = record.rdata.chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        h = mix(h, u64::from_le_bytes(bytes));
    }
    for &byte in words.remainder() {
        h = mix(h, u64::from(byte));
    }
    mix(h, record.rdata.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `text` both ways: in halves (when it can be cut) and serially.
    fn both_ways(
        text: &str,
    ) -> (
        Result<ZoneFile, Vec<Diagnostic>>,
        Result<ZoneFile, Vec<Diagnostic>>,
    ) {
        let origin: Name = "example.test.".parse().unwrap();
        let read = |parallel: bool| {
            let mut loader = Loader::new(&origin);
            if !parallel {
                loader.serial();
            }
            loader.load_top(Path::new("big.zone"), text.as_bytes());
            loader.finish()
        };
        (read(true), read(false))
    }

    /// Diagnostics as printed.
    fn texts(diagnostics: &[Diagnostic]) -> Vec<String> {
        diagnostics.iter().map(ToString::to_string).collect()
    }

    /// A zone file over the size read in halves, with `middle` in the middle.
    fn big(head: &str, middle: &str, tail: &str) -> String {
        let mut text = String::from(head);
        let mut n = 0;
        while text.len() < PARALLEL_MIN_LEN / 2 + 1000 {
            text.push_str(&format!(
                "h{n} A 192.0.2.{}\n  AAAA 2001:db8::{n:x}\nt{n} 60 TXT \"a;b(c\" ( \"x\"\n \"y\" ) ; note\n",
                n % 256
            ));
            n += 1;
        }
        text.push_str(middle);
        while text.len() < PARALLEL_MIN_LEN + 2000 {
            text.push_str(&format!("m{n} MX 10 h{}\nh{} A 192.0.2.1\n", n / 2, n / 3));
            n += 1;
        }
        text.push_str(tail);
        text
    }

    const HEAD: &str = "$TTL 300\n@ SOA ns host ( 1 2 3 4 5 )\n@ NS ns\nns A 192.0.2.1\n";

    #[test]
    fn halves_read_like_the_whole() {
        let text = big(
            HEAD,
            "$ORIGIN sub.example.test.\n$TTL 60\nx A 192.0.2.7\n",
            "$GENERATE 1-3 g$ A 192.0.2.$\n",
        );
        assert!(crate::split::find_cut(text.as_bytes()).is_some());
        let (parallel, serial) = both_ways(&text);
        let parallel = parallel.unwrap();
        assert_eq!(parallel, serial.unwrap());
        // The second half knew the origin and TTL of the first.
        let last = &parallel.records.last().unwrap().record;
        assert_eq!(last.owner.to_string(), "g3.sub.example.test.");
        assert_eq!(last.ttl, 60);
    }

    #[test]
    fn errors_of_both_halves_come_in_file_order() {
        let text = big(HEAD, "bad A 192.0.2\n", "worse A x\n  A y\n");
        let (parallel, serial) = both_ways(&text);
        let errors = parallel.unwrap_err();
        assert_eq!(errors.len(), 3);
        assert_eq!(texts(&errors), texts(&serial.unwrap_err()));
        // More than MAX_ERRORS in all: cut off at the same place.
        let many = "q A x\n".repeat(70);
        let text = big(HEAD, &many, &many);
        let (parallel, serial) = both_ways(&text);
        let errors = parallel.unwrap_err();
        assert_eq!(errors.len(), MAX_ERRORS + 1);
        assert_eq!(texts(&errors), texts(&serial.unwrap_err()));
    }

    #[test]
    fn files_that_cannot_be_cut_are_read_serially() {
        // No $TTL: the last TTL written carries over the cut.
        let text = big("@ SOA ns host 1 2 3 4 5\n@ NS ns\n", "", "");
        let (parallel, serial) = both_ways(&text);
        assert_eq!(parallel.unwrap(), serial.unwrap());
        // An unterminated quote before the middle.
        let text = big(HEAD, "", "").replacen("\"a;b(c\"", "\"open", 1);
        let (parallel, serial) = both_ways(&text);
        assert_eq!(texts(&parallel.unwrap_err()), texts(&serial.unwrap_err()));
    }
}
