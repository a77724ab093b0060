//! RDATA text → wire RDATA, through `domain`'s presentation-format parsers.
//!
//! [`TokenScanner`] implements `domain::base::scan::Scanner` over the tokens
//! of one entry, so that `ZoneRecordData::scan` can read any type `domain`
//! knows; names are completed with our origin by `wire::Name::from_text`.
//! The scanned RDATA is then composed, uncompressed, into a `Vec<u8>`.

use bytes::{BufMut, Bytes, BytesMut};
use domain::base::charstr::CharStr;
use domain::base::iana::Rtype as DomainRtype;
use domain::base::rdata::ComposeRecordData;
use domain::base::scan::{ConvertSymbols, EntrySymbol, Scanner, ScannerError, Symbol};
use domain::dep::octseq::str::Str;
use domain::rdata::{Txt, ZoneRecordData};
use wire::{Name, NameError, Rtype};

use crate::lexer::{self, LexError, Lexer, Token};

/// A domain name as `domain`'s RDATA types hold it.
type DomainName = domain::base::Name<Bytes>;

/// Largest RDATA a record can carry (its length is a 16-bit field).
const MAX_RDATA_LEN: usize = 65_535;

/// Longest character string (RFC 1035 §3.3: one length octet).
const MAX_CHARSTR_LEN: usize = 255;

/// Why RDATA text could not be turned into wire RDATA.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RdataSyntaxError {
    /// A field `domain`'s parser for the type rejected, with its reason.
    #[error("{reason}{}", near_suffix(.near))]
    Field {
        /// What the type's parser objected to.
        reason: &'static str,
        /// The token being read when it failed.
        near: Option<String>,
    },
    /// The entry ended before the type's fields did.
    #[error("the RDATA ends too early: more fields expected")]
    EndOfEntry,
    /// A field is longer than its type allows.
    #[error("a field is longer than its type allows{}", near_suffix(.near))]
    FieldTooLong {
        /// The token being read when it failed.
        near: Option<String>,
    },
    /// Tokens left over after the type's last field.
    #[error("unexpected data after the end of the RDATA{}", near_suffix(.near))]
    TrailingData {
        /// The first token left over.
        near: Option<String>,
    },
    /// A domain name in the RDATA is malformed.
    #[error("bad domain name \"{text}\": {source}")]
    Name {
        /// The name as written.
        text: String,
        /// What is wrong with it.
        source: NameError,
    },
    /// A character string longer than 255 octets (RFC 1035 §3.3).
    #[error("character string \"{0}\" is longer than 255 octets")]
    CharStrTooLong(String),
    /// A token with `\` followed by something other than a character or
    /// three decimal digits of value at most 255.
    #[error("bad escape sequence in \"{0}\"")]
    BadEscape(String),
    /// Bytes that are not UTF-8 where characters are expected.
    #[error("invalid UTF-8 in \"{0}\"")]
    InvalidUtf8(String),
    /// Non-printable or non-ASCII text where only ASCII is allowed.
    #[error("\"{0}\" contains characters other than printable ASCII")]
    NotAscii(String),
    /// A type `domain` has no presentation format for, written without the
    /// RFC 3597 generic syntax.
    #[error(
        "type {0} has no known presentation format; write its RDATA as \\# LENGTH HEX (RFC 3597)"
    )]
    NoPresentationFormat(Rtype),
    /// RFC 3597 generic RDATA that does not fit the layout of its (known) type.
    #[error("the generic RDATA does not match the layout of type {0}")]
    GenericMismatch(Rtype),
    /// RDATA longer than 65535 octets.
    #[error("RDATA is {0} octets long; at most 65535 fit in a record")]
    TooLong(usize),
    /// OPT, TSIG, AXFR, ANY and the other meta types (RFC 6895 §3.1).
    #[error("{0} is a meta type and cannot appear in a zone")]
    MetaType(Rtype),
    /// The text could not be split into tokens.
    #[error(transparent)]
    Lex(#[from] LexError),
    /// The text holds more than one entry (a line break outside parentheses).
    #[error("RDATA text continues on another line outside parentheses")]
    MultipleEntries,
}

/// ` (at "TOKEN")` when the token is known.
fn near_suffix(near: &Option<String>) -> String {
    match near {
        Some(token) => format!(" (at \"{token}\")"),
        None => String::new(),
    }
}

impl RdataSyntaxError {
    /// Adds the token being read to errors that do not name one yet.
    fn near(mut self, token: Option<&Token<'_>>) -> RdataSyntaxError {
        if let RdataSyntaxError::Field { near, .. } | RdataSyntaxError::FieldTooLong { near } =
            &mut self
            && near.is_none()
        {
            *near = token.map(Token::excerpt);
        }
        self
    }
}

impl ScannerError for RdataSyntaxError {
    fn custom(reason: &'static str) -> Self {
        RdataSyntaxError::Field { reason, near: None }
    }

    fn end_of_entry() -> Self {
        RdataSyntaxError::EndOfEntry
    }

    fn short_buf() -> Self {
        RdataSyntaxError::FieldTooLong { near: None }
    }

    fn trailing_tokens() -> Self {
        RdataSyntaxError::TrailingData { near: None }
    }
}

/// Parses the RDATA of one record from presentation text, such as the
/// content strings of the REST API (`10 mail.example.com.`, `"some text"`).
///
/// Relative names and `@` are completed with `origin`. The text may use
/// parentheses and comments like a zone file line, and the RFC 3597 form
/// `\# LENGTH HEX` for any type. Returns uncompressed wire RDATA.
pub fn parse_rdata(rtype: Rtype, text: &str, origin: &Name) -> Result<Vec<u8>, RdataSyntaxError> {
    let mut lexer = Lexer::new(text.as_bytes(), 1);
    let mut tokens = Vec::new();
    match lexer.next_entry(&mut tokens) {
        None => {}
        Some(Err((error, _))) => return Err(error.into()),
        Some(Ok(_)) => {
            let mut rest = Vec::new();
            if lexer.next_entry(&mut rest).is_some() {
                return Err(RdataSyntaxError::MultipleEntries);
            }
        }
    }
    scan_rdata(rtype, &tokens, origin, &mut Vec::new()).map_err(|failure| failure.error)
}

/// An RDATA error and the line of the token it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RdataFailure {
    /// What went wrong.
    pub error: RdataSyntaxError,
    /// The line of the offending token, when there was one.
    pub line: Option<u32>,
}

/// Parses the RDATA tokens of one record into uncompressed wire RDATA.
///
/// The common types go through [`fast`](crate::fast) first, which writes
/// into `scratch` (reused from record to record, so the result is copied
/// out at its exact size); whatever it declines, errors included, is read
/// by `domain`.
pub(crate) fn scan_rdata(
    rtype: Rtype,
    tokens: &[Token<'_>],
    origin: &Name,
    scratch: &mut Vec<u8>,
) -> Result<Vec<u8>, RdataFailure> {
    let generic = tokens.first().is_some_and(|t| t.is_keyword("\\#"));
    if !generic && crate::fast::rdata(rtype, tokens, origin, scratch) {
        return Ok(scratch.as_slice().to_vec());
    }
    scan_rdata_with_domain(rtype, tokens, origin)
}

/// Parses the RDATA tokens of one record with `domain`'s parsers.
pub(crate) fn scan_rdata_with_domain(
    rtype: Rtype,
    tokens: &[Token<'_>],
    origin: &Name,
) -> Result<Vec<u8>, RdataFailure> {
    let fail = |error, line| RdataFailure { error, line };
    if rtype.is_meta() {
        return Err(fail(
            RdataSyntaxError::MetaType(rtype),
            tokens.first().map(|t| t.line),
        ));
    }
    let generic = tokens.first().is_some_and(|t| t.is_keyword("\\#"));
    let soa_in_seconds;
    let tokens = if rtype == Rtype::SOA && !generic {
        soa_in_seconds = soa_timers_in_seconds(tokens);
        soa_in_seconds.as_deref().unwrap_or(tokens)
    } else {
        tokens
    };
    let mut scanner = TokenScanner {
        tokens,
        next: 0,
        origin,
    };
    let rdata = match scan_known_or_generic(rtype, generic, &mut scanner) {
        Ok(rdata) => rdata,
        Err(error) => {
            let token = scanner.current_token();
            return Err(fail(
                error.near(token),
                token.or(tokens.last()).map(|t| t.line),
            ));
        }
    };
    if let Some(extra) = tokens.get(scanner.next) {
        let error = RdataSyntaxError::TrailingData {
            near: Some(extra.excerpt()),
        };
        return Err(fail(error, Some(extra.line)));
    }
    if rdata.len() > MAX_RDATA_LEN {
        return Err(fail(
            RdataSyntaxError::TooLong(rdata.len()),
            tokens.first().map(|t| t.line),
        ));
    }
    Ok(rdata)
}

/// BIND accepts TTL units (`1h`, `2w`) in the SOA's refresh, retry,
/// expire and minimum fields; `domain` wants seconds. Returns the tokens
/// with those fields rewritten, or `None` when none uses units.
fn soa_timers_in_seconds<'a>(tokens: &[Token<'a>]) -> Option<Vec<Token<'a>>> {
    let timers = tokens.get(3..7)?;
    let has_units = |token: &Token<'_>| {
        token.text.first().is_some_and(u8::is_ascii_digit)
            && token.text.iter().any(u8::is_ascii_alphabetic)
    };
    if !timers.iter().any(has_units) {
        return None;
    }
    let mut rewritten = tokens.to_vec();
    for token in &mut rewritten[3..7] {
        if has_units(token) {
            // A malformed value stays as written for `domain` to reject.
            if let Ok(seconds) = token.presentation().parse::<wire::Ttl>() {
                token.text = seconds.0.to_string().into_bytes().into();
            }
        }
    }
    Some(rewritten)
}

/// Runs the right `domain` parser for `rtype` and composes its result.
fn scan_known_or_generic(
    rtype: Rtype,
    generic: bool,
    scanner: &mut TokenScanner<'_, '_>,
) -> Result<Vec<u8>, RdataSyntaxError> {
    let mut out = Vec::new();
    if rtype == Rtype(99) && !generic {
        // SPF (RFC 4408 §3.1.1) has exactly the TXT format; `domain` only
        // knows it by number.
        let Ok(()) = Txt::scan(scanner)?.compose_rdata(&mut out);
        return Ok(out);
    }
    if !generic && !has_presentation_format(rtype) {
        return Err(RdataSyntaxError::NoPresentationFormat(rtype));
    }
    let data = ZoneRecordData::<Bytes, DomainName>::scan(DomainRtype::from_int(rtype.0), scanner)?;
    let Ok(()) = data.compose_rdata(&mut out);
    if let ZoneRecordData::Unknown(_) = data {
        // RFC 3597 §5: generic RDATA of a known type must be valid RDATA of it.
        wire::rdata::validate(rtype, &out).map_err(|_| RdataSyntaxError::GenericMismatch(rtype))?;
    }
    Ok(out)
}

/// Whether `domain` 0.12's `ZoneRecordData::scan` reads `rtype` in its own
/// presentation format (the `zone` types of its `rdata_types!` list).
fn has_presentation_format(rtype: Rtype) -> bool {
    matches!(
        rtype.0,
        1..=9 // A NS MD MF CNAME SOA MB MG MR
            | 12..=17 // PTR HINFO MINFO MX TXT RP
            | 28 // AAAA
            | 33 // SRV
            | 35 // NAPTR
            | 39 // DNAME
            | 43..=48 // DS SSHFP IPSECKEY RRSIG NSEC DNSKEY
            | 50..=52 // NSEC3 NSEC3PARAM TLSA
            | 59..=61 // CDS CDNSKEY OPENPGPKEY
            | 63..=65 // ZONEMD SVCB HTTPS
            | 257 // CAA
    )
}

/// A `Scanner` over the RDATA tokens of one entry.
struct TokenScanner<'t, 'a> {
    tokens: &'t [Token<'a>],
    /// Index of the next token to hand out.
    next: usize,
    /// What relative names are completed with.
    origin: &'t Name,
}

impl<'t, 'a> TokenScanner<'t, 'a> {
    /// Hands out the next token, or fails because the entry has ended.
    fn take(&mut self) -> Result<&'t Token<'a>, RdataSyntaxError> {
        let token = self
            .tokens
            .get(self.next)
            .ok_or(RdataSyntaxError::EndOfEntry)?;
        self.next += 1;
        Ok(token)
    }

    /// The token read last, which is the one a failure concerns.
    fn current_token(&self) -> Option<&'t Token<'a>> {
        self.next.checked_sub(1).and_then(|i| self.tokens.get(i))
    }

    /// The octets of the next token, escapes decoded.
    fn take_octets(&mut self) -> Result<Vec<u8>, RdataSyntaxError> {
        let token = self.take()?;
        token
            .octets()
            .map_err(|_| RdataSyntaxError::BadEscape(token.excerpt()))
    }
}

/// Reads the symbol at `pos` of raw token text; returns it and the
/// position after it.
///
/// Escaped octets outside printable ASCII become `DecimalEscape`, as if
/// written `\DDD`. Unescaped bytes outside ASCII must form UTF-8 characters.
fn symbol_at(token: &Token<'_>, pos: usize) -> Result<(Symbol, usize), RdataSyntaxError> {
    let raw: &[u8] = &token.text;
    let bad_escape = || RdataSyntaxError::BadEscape(token.excerpt());
    let byte = *raw.get(pos).ok_or_else(bad_escape)?;
    if byte == b'\\' {
        let escaped = *raw.get(pos + 1).ok_or_else(bad_escape)?;
        if escaped.is_ascii_digit() {
            let (octet, next) = lexer::decode_octet(raw, pos).map_err(|_| bad_escape())?;
            return Ok((Symbol::DecimalEscape(octet), next));
        }
        let symbol = if (0x20..0x7f).contains(&escaped) {
            Symbol::SimpleEscape(escaped)
        } else {
            Symbol::DecimalEscape(escaped)
        };
        return Ok((symbol, pos + 2));
    }
    if byte.is_ascii() {
        return Ok((Symbol::Char(char::from(byte)), pos + 1));
    }
    let width = match byte {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 0,
    };
    let invalid = || RdataSyntaxError::InvalidUtf8(token.excerpt());
    let bytes = raw
        .get(pos..pos + width)
        .filter(|_| width > 0)
        .ok_or_else(invalid)?;
    let text = std::str::from_utf8(bytes).map_err(|_| invalid())?;
    let ch = text.chars().next().ok_or_else(invalid)?;
    Ok((Symbol::Char(ch), pos + width))
}

/// Calls `op` with every symbol of `token`.
fn for_each_symbol(
    token: &Token<'_>,
    mut op: impl FnMut(Symbol) -> Result<(), RdataSyntaxError>,
) -> Result<(), RdataSyntaxError> {
    let mut pos = 0;
    while pos < token.text.len() {
        let (symbol, next) = symbol_at(token, pos)?;
        op(symbol)?;
        pos = next;
    }
    Ok(())
}

/// Name completion: presentation text → `wire::Name` → `domain` name.
fn domain_name(token: &Token<'_>, origin: &Name) -> Result<DomainName, RdataSyntaxError> {
    let text = token.presentation();
    let name = Name::from_text(&text, Some(origin)).map_err(|source| RdataSyntaxError::Name {
        text: token.excerpt(),
        source,
    })?;
    DomainName::from_octets(Bytes::copy_from_slice(name.as_wire())).map_err(|_| {
        RdataSyntaxError::Field {
            reason: "invalid domain name",
            near: Some(token.excerpt()),
        }
    })
}

impl Scanner for TokenScanner<'_, '_> {
    type Octets = Bytes;
    type OctetsBuilder = BytesMut;
    type Name = DomainName;
    type Error = RdataSyntaxError;

    fn has_space(&self) -> bool {
        self.tokens.get(self.next).is_none_or(|t| t.space_before)
    }

    fn continues(&mut self) -> bool {
        self.next < self.tokens.len()
    }

    fn scan_symbols<F>(&mut self, mut op: F) -> Result<(), Self::Error>
    where
        F: FnMut(Symbol) -> Result<(), Self::Error>,
    {
        let token = self.take()?;
        for_each_symbol(token, &mut op)
    }

    fn scan_entry_symbols<F>(&mut self, mut op: F) -> Result<(), Self::Error>
    where
        F: FnMut(EntrySymbol) -> Result<(), Self::Error>,
    {
        while self.continues() {
            let token = self.take()?;
            for_each_symbol(token, |symbol| op(EntrySymbol::Symbol(symbol)))?;
            op(EntrySymbol::EndOfToken)?;
        }
        Ok(())
    }

    fn convert_token<C: ConvertSymbols<Symbol, Self::Error>>(
        &mut self,
        mut convert: C,
    ) -> Result<Self::Octets, Self::Error> {
        let token = self.take()?;
        let mut out = BytesMut::new();
        for_each_symbol(token, |symbol| {
            if let Some(data) = convert.process_symbol(symbol)? {
                out.extend_from_slice(data);
            }
            Ok(())
        })?;
        if let Some(data) = convert.process_tail()? {
            out.extend_from_slice(data);
        }
        Ok(out.freeze())
    }

    fn convert_entry<C: ConvertSymbols<EntrySymbol, Self::Error>>(
        &mut self,
        mut convert: C,
    ) -> Result<Self::Octets, Self::Error> {
        // Like `domain`'s own scanners, no `EndOfToken` goes to the
        // converter: base64 and hex may be split into tokens anywhere.
        let mut out = BytesMut::new();
        while self.continues() {
            let token = self.take()?;
            for_each_symbol(token, |symbol| {
                if let Some(data) = convert.process_symbol(EntrySymbol::Symbol(symbol))? {
                    out.extend_from_slice(data);
                }
                Ok(())
            })?;
        }
        if let Some(data) = convert.process_tail()? {
            out.extend_from_slice(data);
        }
        Ok(out.freeze())
    }

    fn scan_octets(&mut self) -> Result<Self::Octets, Self::Error> {
        self.take_octets().map(Bytes::from)
    }

    fn scan_svcb_octets(&mut self) -> Result<Self::Octets, Self::Error> {
        // The lexer already joined `key="quoted value"` into one token.
        self.scan_octets()
    }

    fn scan_ascii_str<F, T>(&mut self, op: F) -> Result<T, Self::Error>
    where
        F: FnOnce(&str) -> Result<T, Self::Error>,
    {
        let octets = self.take_octets()?;
        let not_ascii = || self.current_token().map(Token::excerpt).unwrap_or_default();
        if !octets.iter().all(|b| (0x20..0x7f).contains(b)) {
            return Err(RdataSyntaxError::NotAscii(not_ascii()));
        }
        let text =
            std::str::from_utf8(&octets).map_err(|_| RdataSyntaxError::NotAscii(not_ascii()))?;
        op(text)
    }

    fn scan_name(&mut self) -> Result<Self::Name, Self::Error> {
        let token = self.take()?;
        domain_name(token, self.origin)
    }

    fn scan_charstr(&mut self) -> Result<CharStr<Self::Octets>, Self::Error> {
        let octets = self.take_octets()?;
        let too_long = || {
            RdataSyntaxError::CharStrTooLong(
                self.current_token().map(Token::excerpt).unwrap_or_default(),
            )
        };
        if octets.len() > MAX_CHARSTR_LEN {
            return Err(too_long());
        }
        CharStr::from_octets(Bytes::from(octets)).map_err(|_| too_long())
    }

    fn scan_string(&mut self) -> Result<Str<Self::Octets>, Self::Error> {
        let octets = self.take_octets()?;
        Str::from_utf8(Bytes::from(octets)).map_err(|_| {
            RdataSyntaxError::InvalidUtf8(
                self.current_token().map(Token::excerpt).unwrap_or_default(),
            )
        })
    }

    fn scan_charstr_entry(&mut self) -> Result<Self::Octets, Self::Error> {
        if !self.continues() {
            return Err(RdataSyntaxError::EndOfEntry);
        }
        let mut out = BytesMut::new();
        while self.continues() {
            let octets = self.take_octets()?;
            let Ok(len) = u8::try_from(octets.len()) else {
                let text = self.current_token().map(Token::excerpt).unwrap_or_default();
                return Err(RdataSyntaxError::CharStrTooLong(text));
            };
            out.put_u8(len);
            out.extend_from_slice(&octets);
        }
        Ok(out.freeze())
    }

    fn scan_opt_unknown_marker(&mut self) -> Result<bool, Self::Error> {
        let marker = self
            .tokens
            .get(self.next)
            .is_some_and(|t| t.is_keyword("\\#"));
        if marker {
            self.next += 1;
        }
        Ok(marker)
    }

    fn octets_builder(&mut self) -> Result<Self::OctetsBuilder, Self::Error> {
        Ok(BytesMut::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `has_presentation_format` must list exactly the types `domain`'s
    /// `ZoneRecordData::scan` knows, or some types would be refused
    /// (or sent to `domain` only to be refused there).
    #[test]
    fn presentation_format_list_matches_domain() {
        let origin: Name = "example.".parse().unwrap();
        for number in (0..=300).chain([32768, 65534]) {
            let rtype = Rtype(number);
            if rtype.is_meta() || number == 99 {
                continue;
            }
            let mut scanner = TokenScanner {
                tokens: &[],
                next: 0,
                origin: &origin,
            };
            let result = ZoneRecordData::<Bytes, DomainName>::scan(
                DomainRtype::from_int(number),
                &mut scanner,
            );
            let unknown = matches!(
                result,
                Err(RdataSyntaxError::Field {
                    reason: "unknown record type with concrete data",
                    ..
                })
            );
            assert_eq!(has_presentation_format(rtype), !unknown, "type {rtype}");
        }
    }
}
