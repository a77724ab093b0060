//! Splitting master-file bytes into entries of tokens (RFC 1035 §5.1).
//!
//! The lexer works on bytes, not `str`: zone files may carry any octet in
//! quoted strings, and such octets are passed through to the RDATA as they
//! are. A token keeps its escapes (`\X`, `\DDD`) undecoded, because whether
//! `\.` is a label separator or an octet depends on who reads the token;
//! [`Token::octets`], [`Token::presentation`] and the RDATA scanner decode
//! them for their reader.
//!
//! An entry is one logical line: a newline ends it unless it sits inside
//! parentheses. Comments run from an unquoted `;` to the end of the line.
//! A quoted string directly after unquoted text (`alpn="h2,h3"`) joins that
//! text into one token, which is what SVCB parameters need; otherwise a
//! quoted string is a token of its own. Quoted strings cannot span lines.

use std::borrow::Cow;

/// Longest token we accept, in octets of source text. The longest real
/// tokens are base64 blocks of keys and certificates, far below this.
pub const MAX_TOKEN_LEN: usize = 65_536;

/// Why the source text could not be split into tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LexError {
    /// A `"` with no closing `"` before the end of the line.
    #[error("quoted string is not closed before the end of the line")]
    UnterminatedQuote,
    /// A `)` with no `(` open.
    #[error("closing parenthesis without an opening one")]
    UnbalancedClose,
    /// A `(` still open at the end of the input.
    #[error("opening parenthesis is never closed")]
    UnclosedParenthesis,
    /// A token longer than [`MAX_TOKEN_LEN`].
    #[error("token longer than {MAX_TOKEN_LEN} octets")]
    TokenTooLong,
    /// A backslash as the last character of a line or of the input.
    #[error("backslash at the end of a line escapes nothing")]
    DanglingEscape,
}

/// One token of an entry, escapes still in place.
#[derive(Debug, Clone)]
pub struct Token<'a> {
    /// The source text without the surrounding quotes.
    pub text: Cow<'a, [u8]>,
    /// Whether any part of the token was quoted. A quoted token is never a
    /// directive or the RFC 3597 marker `\#`: quoting makes it data.
    pub quoted: bool,
    /// The line the token starts on (1-based).
    pub line: u32,
    /// Whether white space (or a parenthesis, or a line break) came before it.
    pub space_before: bool,
}

/// A logical line: its tokens are handed back separately so their buffer
/// can be reused from one entry to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The line of the entry's first token.
    pub line: u32,
    /// Whether the line began with white space, meaning "same owner as the
    /// previous record" (RFC 1035 §5.1).
    pub inherits_owner: bool,
}

/// Reads entries from a byte buffer.
pub struct Lexer<'a> {
    input: &'a [u8],
    pos: usize,
    line: u32,
}

/// Characters that end an unquoted token.
fn ends_token(byte: u8) -> bool {
    matches!(
        byte,
        b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b')' | b'"'
    )
}

impl<'a> Lexer<'a> {
    /// A lexer whose first line is numbered `first_line`.
    pub fn new(input: &'a [u8], first_line: u32) -> Lexer<'a> {
        Lexer {
            input,
            pos: 0,
            line: first_line,
        }
    }

    /// Reads the next non-empty entry into `tokens` (cleared first).
    ///
    /// Returns `None` at the end of the input. After an error the lexer
    /// skips to the start of the next line, so the caller can report the
    /// error with its line and carry on.
    pub fn next_entry(
        &mut self,
        tokens: &mut Vec<Token<'a>>,
    ) -> Option<Result<Entry, (LexError, u32)>> {
        loop {
            tokens.clear();
            if self.pos >= self.input.len() {
                return None;
            }
            let inherits_owner = matches!(self.input[self.pos], b' ' | b'\t');
            match self.read_entry(tokens) {
                Ok(()) => {
                    if let Some(first) = tokens.first() {
                        return Some(Ok(Entry {
                            line: first.line,
                            inherits_owner,
                        }));
                    }
                    // A blank or comment-only line: keep going.
                }
                Err((error, line)) => {
                    tokens.clear();
                    self.skip_line();
                    return Some(Err((error, line)));
                }
            }
        }
    }

    /// Reads tokens until a newline outside parentheses or the end of input.
    fn read_entry(&mut self, tokens: &mut Vec<Token<'a>>) -> Result<(), (LexError, u32)> {
        let mut depth = 0usize;
        let mut open_line = self.line;
        let mut space_before = true;
        while let Some(&byte) = self.input.get(self.pos) {
            match byte {
                b'\n' => {
                    self.pos += 1;
                    self.line = self.line.saturating_add(1);
                    if depth == 0 {
                        return Ok(());
                    }
                    space_before = true;
                }
                b' ' | b'\t' | b'\r' => {
                    self.pos += 1;
                    space_before = true;
                }
                b';' => {
                    while self.input.get(self.pos).is_some_and(|&b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                b'(' => {
                    if depth == 0 {
                        open_line = self.line;
                    }
                    depth += 1;
                    self.pos += 1;
                    space_before = true;
                }
                b')' => {
                    if depth == 0 {
                        return Err((LexError::UnbalancedClose, self.line));
                    }
                    depth -= 1;
                    self.pos += 1;
                    space_before = true;
                }
                _ => {
                    let token = self.read_token(space_before)?;
                    tokens.push(token);
                    space_before = false;
                }
            }
        }
        if depth > 0 {
            return Err((LexError::UnclosedParenthesis, open_line));
        }
        Ok(())
    }

    /// Reads one token starting at the current position, which holds a
    /// byte that does not end a token, or a quote.
    fn read_token(&mut self, space_before: bool) -> Result<Token<'a>, (LexError, u32)> {
        let line = self.line;
        let mut text: Cow<'a, [u8]> = Cow::Borrowed(&[]);
        let mut quoted = false;
        loop {
            let segment = if self.input.get(self.pos) == Some(&b'"') {
                quoted = true;
                self.read_quoted(line)?
            } else {
                self.read_unquoted(line)?
            };
            if text.is_empty() {
                text = Cow::Borrowed(segment);
            } else {
                text.to_mut().extend_from_slice(segment);
            }
            if text.len() > MAX_TOKEN_LEN {
                return Err((LexError::TokenTooLong, line));
            }
            // Only unquoted text followed directly by a quote joins on
            // (`key="value"`); a closing quote always ends the token.
            let joins = !quoted && self.input.get(self.pos) == Some(&b'"');
            if !joins {
                return Ok(Token {
                    text,
                    quoted,
                    line,
                    space_before,
                });
            }
        }
    }

    /// Reads unquoted text up to the next byte that ends a token.
    fn read_unquoted(&mut self, line: u32) -> Result<&'a [u8], (LexError, u32)> {
        let start = self.pos;
        while let Some(&byte) = self.input.get(self.pos) {
            if byte == b'\\' {
                match self.input.get(self.pos + 1) {
                    None | Some(b'\n') => return Err((LexError::DanglingEscape, line)),
                    Some(_) => self.pos += 2,
                }
            } else if ends_token(byte) {
                break;
            } else {
                self.pos += 1;
            }
        }
        Ok(&self.input[start..self.pos])
    }

    /// Reads a quoted string (the current byte is the opening quote) and
    /// returns its contents without the quotes.
    fn read_quoted(&mut self, line: u32) -> Result<&'a [u8], (LexError, u32)> {
        let start = self.pos + 1;
        let mut pos = start;
        loop {
            match self.input.get(pos) {
                None | Some(b'\n') => return Err((LexError::UnterminatedQuote, line)),
                Some(b'"') => break,
                Some(b'\\') => match self.input.get(pos + 1) {
                    None | Some(b'\n') => return Err((LexError::UnterminatedQuote, line)),
                    Some(_) => pos += 2,
                },
                Some(_) => pos += 1,
            }
        }
        self.pos = pos + 1;
        Ok(&self.input[start..pos])
    }

    /// Moves past the next newline (or to the end of the input).
    fn skip_line(&mut self) {
        while let Some(&byte) = self.input.get(self.pos) {
            self.pos += 1;
            if byte == b'\n' {
                self.line = self.line.saturating_add(1);
                return;
            }
        }
    }
}

/// Why the escapes of a token could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadEscape;

impl Token<'_> {
    /// A token in this one's place with other text (an expanded template).
    pub fn with_text<'b>(&self, text: &'b [u8]) -> Token<'b> {
        Token {
            text: Cow::Borrowed(text),
            quoted: self.quoted,
            line: self.line,
            space_before: self.space_before,
        }
    }

    /// Whether the token is exactly `text` (unquoted, compared without
    /// regard to ASCII case).
    pub fn is_keyword(&self, text: &str) -> bool {
        !self.quoted && self.text.eq_ignore_ascii_case(text.as_bytes())
    }

    /// The octets the token stands for: escapes decoded, every other byte
    /// taken as it is.
    pub fn octets(&self) -> Result<Vec<u8>, BadEscape> {
        let raw: &[u8] = &self.text;
        let mut out = Vec::with_capacity(raw.len());
        let mut pos = 0;
        while pos < raw.len() {
            let (octet, next) = decode_octet(raw, pos)?;
            out.push(octet);
            pos = next;
        }
        Ok(out)
    }

    /// The token as printable ASCII presentation text: bytes outside ASCII
    /// become `\DDD` escapes, existing escapes stay as they are. This is
    /// the form `wire::Name::from_text` and the keyword parsers read.
    pub fn presentation(&self) -> Cow<'_, str> {
        let raw: &[u8] = &self.text;
        if raw.is_ascii() {
            // ASCII is UTF-8, so this cannot fail; the fallback is never taken.
            if let Ok(text) = std::str::from_utf8(raw) {
                return Cow::Borrowed(text);
            }
        }
        let mut out = String::with_capacity(raw.len() + 8);
        let mut pos = 0;
        while pos < raw.len() {
            let byte = raw[pos];
            if byte == b'\\' && pos + 1 < raw.len() {
                let escaped = raw[pos + 1];
                if escaped.is_ascii() {
                    out.push('\\');
                    out.push(escaped as char);
                } else {
                    out.push_str(&format!("\\{escaped:03}"));
                }
                pos += 2;
            } else {
                if byte.is_ascii() {
                    out.push(byte as char);
                } else {
                    out.push_str(&format!("\\{byte:03}"));
                }
                pos += 1;
            }
        }
        Cow::Owned(out)
    }

    /// A short printable form of the token for error messages.
    pub fn excerpt(&self) -> String {
        excerpt(&self.text)
    }
}

/// Decodes the octet at `pos` of raw token text, which may be an escape
/// (`\X` or `\DDD`, as `wire::name::unescape` reads them); returns it with
/// the position after it.
pub fn decode_octet(raw: &[u8], pos: usize) -> Result<(u8, usize), BadEscape> {
    match raw.get(pos) {
        None => Err(BadEscape),
        Some(b'\\') => {
            let (octet, used) = wire::name::unescape(&raw[pos + 1..]).map_err(|_| BadEscape)?;
            Ok((octet, pos + 1 + used))
        }
        Some(&byte) => Ok((byte, pos + 1)),
    }
}

/// Longest excerpt of source text quoted in an error message.
const EXCERPT_LEN: usize = 60;

/// A printable, shortened form of raw source text for error messages.
pub fn excerpt(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out: String = text
        .chars()
        .take(EXCERPT_LEN)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().nth(EXCERPT_LEN).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token as the tests look at it: text, quoted, line.
    type Seen = (String, bool, u32);

    /// One entry as the tests look at it, or the error in its place.
    type Lexed = Result<(Entry, Vec<Seen>), (LexError, u32)>;

    fn entries(text: &str) -> Vec<Lexed> {
        let mut lexer = Lexer::new(text.as_bytes(), 1);
        let mut tokens = Vec::new();
        let mut out = Vec::new();
        while let Some(next) = lexer.next_entry(&mut tokens) {
            out.push(next.map(|entry| {
                let texts = tokens
                    .iter()
                    .map(|t| {
                        (
                            String::from_utf8_lossy(&t.text).into_owned(),
                            t.quoted,
                            t.line,
                        )
                    })
                    .collect();
                (entry, texts)
            }));
        }
        out
    }

    fn texts(text: &str) -> Vec<Vec<String>> {
        entries(text)
            .into_iter()
            .map(|e| e.unwrap().1.into_iter().map(|(t, _, _)| t).collect())
            .collect()
    }

    #[test]
    fn parentheses_join_lines_and_comments_are_skipped() {
        let zone = "@ SOA ns host ( ; comment\n 1 ; serial\n 2 3 4 5 )\nwww A 1.2.3.4 ; tail\n";
        let all = entries(zone);
        assert_eq!(all.len(), 2);
        let (entry, tokens) = all[0].clone().unwrap();
        assert_eq!(entry.line, 1);
        assert_eq!(tokens.len(), 9);
        assert_eq!(tokens[4], ("1".to_string(), false, 2));
        assert_eq!(tokens[8], ("5".to_string(), false, 3));
        let (entry, _) = all[1].clone().unwrap();
        assert_eq!(entry.line, 4);
    }

    #[test]
    fn leading_white_space_marks_owner_inheritance() {
        let all = entries("a A 1.1.1.1\n\t\n  ; only a comment\n  AAAA ::1\n");
        assert_eq!(all.len(), 2);
        assert!(!all[0].clone().unwrap().0.inherits_owner);
        let (entry, tokens) = all[1].clone().unwrap();
        assert!(entry.inherits_owner);
        assert_eq!(entry.line, 4);
        assert_eq!(tokens[0].0, "AAAA");
    }

    #[test]
    fn quotes_keep_semicolons_spaces_and_escapes() {
        let all = texts(r#"a TXT "x; y" "say \"hi\"" "(paren)""#);
        assert_eq!(all[0][2], "x; y");
        assert_eq!(all[0][3], r#"say \"hi\""#);
        assert_eq!(all[0][4], "(paren)");
    }

    #[test]
    fn quoted_value_after_text_joins_the_token() {
        let all = texts(r#"a HTTPS 1 . alpn="h2,h3" port=443 "a""b""#);
        assert_eq!(
            all[0],
            vec!["a", "HTTPS", "1", ".", "alpn=h2,h3", "port=443", "a", "b"]
        );
    }

    #[test]
    fn escaped_specials_stay_in_the_token() {
        let all = texts(r"a\;b\(c\ d TXT x");
        assert_eq!(all[0][0], r"a\;b\(c\ d");
    }

    #[test]
    fn errors_carry_their_line_and_lexing_resumes() {
        let all = entries("a TXT \"open\nb A 1.2.3.4\nc ) x\nd A 1.2.3.4\ne (\n");
        assert_eq!(
            all[0].clone().unwrap_err(),
            (LexError::UnterminatedQuote, 1)
        );
        assert_eq!(all[1].clone().unwrap().0.line, 2);
        assert_eq!(all[2].clone().unwrap_err(), (LexError::UnbalancedClose, 3));
        assert_eq!(all[3].clone().unwrap().0.line, 4);
        assert_eq!(
            all[4].clone().unwrap_err(),
            (LexError::UnclosedParenthesis, 5)
        );
    }

    #[test]
    fn overlong_tokens_are_rejected() {
        let zone = format!("a TXT {}\nb A 1.2.3.4\n", "x".repeat(MAX_TOKEN_LEN + 1));
        let all = entries(&zone);
        assert_eq!(all[0].clone().unwrap_err(), (LexError::TokenTooLong, 1));
        assert_eq!(all[1].clone().unwrap().0.line, 2);
    }

    #[test]
    fn dangling_escape_is_an_error() {
        let all = entries("a TXT x\\\nb A 1.2.3.4");
        assert_eq!(all[0].clone().unwrap_err(), (LexError::DanglingEscape, 1));
        assert_eq!(all.len(), 2);
    }

    #[test]
    fn crlf_line_ends_are_white_space() {
        let all = texts("a A 1.2.3.4\r\nb A 5.6.7.8\r\n");
        assert_eq!(
            all,
            vec![vec!["a", "A", "1.2.3.4"], vec!["b", "A", "5.6.7.8"]]
        );
    }

    #[test]
    fn octets_and_presentation_decode_escapes() {
        let token = Token {
            text: Cow::Borrowed(b"a\\065\\.\xff"),
            quoted: false,
            line: 1,
            space_before: true,
        };
        assert_eq!(token.octets().unwrap(), b"aA.\xff");
        assert_eq!(token.presentation(), "a\\065\\.\\255");
        let bad = Token {
            text: Cow::Borrowed(b"\\25x"),
            quoted: false,
            line: 1,
            space_before: true,
        };
        assert_eq!(bad.octets(), Err(BadEscape));
        let big = Token {
            text: Cow::Borrowed(b"\\256"),
            quoted: false,
            line: 1,
            space_before: true,
        };
        assert_eq!(big.octets(), Err(BadEscape));
    }
}
