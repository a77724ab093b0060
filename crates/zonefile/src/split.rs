//! Where a large zone file can be cut in two, so that both halves are read
//! at once (one thread each), and what the second half starts with.
//!
//! A cut must fall where the lexer would start an entry of its own: a line
//! start outside parentheses, on a line that names its owner (a line
//! starting with white space takes the previous record's owner). Finding
//! that needs the parentheses, quotes, escapes and comments of everything
//! before it: a byte loop much cheaper than lexing. Whatever could make
//! the halves depend on each other in a way this does not model sends the
//! file the serial way: anything the lexer would report as an error before
//! the cut, or a directive there other than `$TTL` and `$ORIGIN`, or no
//! `$TTL` at all (without one, a record's default TTL is the last TTL
//! written, which the cut would hide).

/// A cut: the second half is `bytes[at..]`, starting at line `line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cut {
    /// Byte offset of the first entry of the second half.
    pub at: usize,
    /// Its line number (1-based).
    pub line: u32,
    /// Byte offsets and lines of the directive entries before the cut.
    pub directives: Vec<(usize, u32)>,
    /// Entries before and after the cut (records, roughly): for sizing.
    pub entries: (usize, usize),
}

/// Finds a cut near the middle of `bytes`, or `None` when the file should
/// be read serially.
pub(crate) fn find_cut(bytes: &[u8]) -> Option<Cut> {
    let middle = bytes.len() / 2;
    let mut depth = 0usize;
    let mut line = 1u32;
    let mut pos = 0;
    let mut directives = Vec::new();
    let mut entries_before = 0;
    let mut line_start = true;
    while pos < bytes.len() {
        if line_start {
            line_start = false;
            match bytes[pos] {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b')' => {}
                b'$' => directives.push((pos, line)),
                _ if pos >= middle => {
                    // Lines after it, for sizing; what they hold is the
                    // second reader's business.
                    let after = bytes[pos..].iter().filter(|&&b| b == b'\n').count();
                    return Some(Cut {
                        at: pos,
                        line,
                        directives,
                        entries: (entries_before, after.max(1)),
                    });
                }
                _ => {}
            }
            // Counted per line starting with a token: close enough to
            // the number of records to size their vectors.
            if !matches!(bytes[pos], b' ' | b'\t' | b'\r' | b'\n' | b';') {
                entries_before += 1;
            }
        }
        match bytes[pos] {
            b'\n' => {
                line = line.checked_add(1)?;
                // Inside parentheses a new line continues the entry.
                line_start = depth == 0;
                pos += 1;
            }
            b';' => {
                pos += bytes[pos..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .unwrap_or(bytes.len() - pos);
            }
            b'(' => {
                depth += 1;
                pos += 1;
            }
            b')' => {
                // An unbalanced one is a lexer error: not modelled here.
                depth = depth.checked_sub(1)?;
                pos += 1;
            }
            b'"' => {
                // Quoted strings end on their line (else a lexer error).
                pos += 1;
                loop {
                    match bytes.get(pos)? {
                        b'"' => break,
                        b'\n' => return None,
                        b'\\' if bytes.get(pos + 1).is_some_and(|&b| b != b'\n') => pos += 2,
                        b'\\' => return None,
                        _ => pos += 1,
                    }
                }
                pos += 1;
            }
            b'\\' => match bytes.get(pos + 1) {
                Some(b'\n') | None => return None,
                Some(_) => pos += 2,
            },
            _ => pos += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_an_owner_line_after_the_middle() {
        let text = b"$TTL 1\na A 1.2.3.4\nb A 1.2.3.4\n  A 1.2.3.5\nc A 1.2.3.4\n";
        let cut = find_cut(text).unwrap();
        assert_eq!(&text[cut.at..cut.at + 1], b"c");
        assert_eq!(cut.line, 5);
        assert_eq!(cut.directives, vec![(0, 1)]);
    }

    #[test]
    fn never_inside_parentheses_or_after_lexer_errors() {
        let text = b"$TTL 1\n@ SOA a b (\n1\n2\n3\n4\n5\nx\ny\nz\n)\nq A 1.2.3.4\n";
        let cut = find_cut(text).unwrap();
        assert_eq!(&text[cut.at..cut.at + 1], b"q");
        // A parenthesis closed mid-line does not start an entry there.
        let text = b"$TTL 1\n@ SOA a b (\n1 2 3 4\n5 ) q\nr A 1.2.3.4\ns A 1.2.3.4\n";
        let cut = find_cut(text).unwrap();
        assert_eq!(&text[cut.at..cut.at + 1], b"r");
        assert_eq!(find_cut(b"a TXT \"open\nb A 1.2.3.4\nc A 1.2.3.4\n"), None);
        assert_eq!(find_cut(b"a TXT ) \nb A 1.2.3.4\nc A 1.2.3.4\n"), None);
        assert_eq!(find_cut(b"a TXT \\\nb A 1.2.3.4\nc A 1.2.3.4\n"), None);
        // Comments and quotes hide parentheses.
        let text = b"a TXT \"(\" ; (\nb A 1.2.3.4\nc A 1.2.3.4\nd A 1.2.3.4\n";
        assert!(find_cut(text).is_some());
    }
}
