//! `$GENERATE` ranges and templates, with BIND's semantics.
//!
//! A template is raw token text in which `$` stands for the iterator and
//! `${offset[,width[,base]]}` for the iterator plus `offset`, zero-padded to
//! `width` and written in `base`: `d` decimal, `o` octal, `x`/`X` hex, and
//! `n`/`N` nibbles (hex digits least significant first, separated by dots,
//! as for `ip6.arpa`; the width counts the dots too). `$$` and `\$` give a
//! literal `$`; other escapes are kept for the name or RDATA reader.

/// Most iterations one `$GENERATE` may ask for.
pub const MAX_ITERATIONS: u64 = 65_536;

/// Widest field a modifier may ask for. BIND's buffer is 128 characters.
const MAX_WIDTH: usize = 128;

/// A parsed `START-STOP[/STEP]` range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    start: u32,
    stop: u32,
    step: u32,
}

impl Range {
    /// Parses `START-STOP` or `START-STOP/STEP` (decimal, `START <= STOP`,
    /// `STEP >= 1`).
    pub fn parse(text: &str) -> Option<Range> {
        let (bounds, step) = match text.split_once('/') {
            Some((bounds, step)) => (bounds, decimal(step)?),
            None => (text, 1),
        };
        let (start, stop) = bounds.split_once('-')?;
        let (start, stop) = (decimal(start)?, decimal(stop)?);
        (start <= stop && step >= 1).then_some(Range { start, stop, step })
    }

    /// How many values the range yields.
    pub fn count(&self) -> u64 {
        u64::from(self.stop - self.start) / u64::from(self.step) + 1
    }

    /// The values of the range.
    pub fn values(&self) -> impl Iterator<Item = u32> + use<> {
        (self.start..=self.stop).step_by(self.step as usize)
    }
}

/// A plain unsigned decimal number (no sign, no spaces).
fn decimal(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// How a modifier writes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    Decimal,
    Octal,
    LowerHex,
    UpperHex,
    LowerNibble,
    UpperNibble,
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Text copied as it is.
    Literal(Vec<u8>),
    /// The iterator, transformed.
    Counter {
        offset: i64,
        width: usize,
        base: Base,
    },
}

/// A compiled `$GENERATE` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// Why a template's value could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegativeValue(pub i64);

impl Template {
    /// Compiles raw token text; the error says what is wrong with it.
    pub fn parse(raw: &[u8]) -> Result<Template, &'static str> {
        let mut pieces = Vec::new();
        let mut literal = Vec::new();
        let mut pos = 0;
        while pos < raw.len() {
            match raw[pos] {
                b'\\' => {
                    // Keep the escape whole; `\$` thereby reaches the name
                    // reader as an escaped (literal) dollar sign.
                    literal.extend_from_slice(&raw[pos..(pos + 2).min(raw.len())]);
                    pos += 2;
                }
                b'$' if raw.get(pos + 1) == Some(&b'$') => {
                    literal.push(b'$');
                    pos += 2;
                }
                b'$' => {
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    let (counter, next) = parse_modifier(raw, pos + 1)?;
                    pieces.push(counter);
                    pos = next;
                }
                byte => {
                    literal.push(byte);
                    pos += 1;
                }
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(Template { pieces })
    }

    /// Writes the template for iterator value `value` into `out` (cleared).
    pub fn render(&self, value: u32, out: &mut Vec<u8>) -> Result<(), NegativeValue> {
        out.clear();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(text) => out.extend_from_slice(text),
                &Piece::Counter {
                    offset,
                    width,
                    base,
                } => {
                    let value = i64::from(value) + offset;
                    if value < 0 && base != Base::Decimal {
                        return Err(NegativeValue(value));
                    }
                    let text = match base {
                        Base::Decimal => format!("{value:0width$}"),
                        Base::Octal => format!("{value:0width$o}"),
                        Base::LowerHex => format!("{value:0width$x}"),
                        Base::UpperHex => format!("{value:0width$X}"),
                        Base::LowerNibble => nibbles(value, width, false),
                        Base::UpperNibble => nibbles(value, width, true),
                    };
                    out.extend_from_slice(text.as_bytes());
                }
            }
        }
        Ok(())
    }
}

/// Parses what follows a `$` at `pos`: nothing, or `{offset[,width[,base]]}`.
/// Returns the counter and the position after it.
fn parse_modifier(raw: &[u8], pos: usize) -> Result<(Piece, usize), &'static str> {
    let plain = Piece::Counter {
        offset: 0,
        width: 0,
        base: Base::Decimal,
    };
    if raw.get(pos) != Some(&b'{') {
        return Ok((plain, pos));
    }
    let body_start = pos + 1;
    let close = raw[body_start..]
        .iter()
        .position(|&b| b == b'}')
        .ok_or("unclosed ${ modifier")?;
    let body = std::str::from_utf8(&raw[body_start..body_start + close])
        .map_err(|_| "bad characters in a ${...} modifier")?;
    let mut fields = body.split(',');
    let offset_text = fields.next().unwrap_or_default();
    let offset = offset_text
        .parse::<i64>()
        .ok()
        .filter(|o| o.unsigned_abs() <= u64::from(u32::MAX))
        .ok_or("the offset of a ${offset,width,base} modifier must be a number")?;
    let width = match fields.next() {
        None => 0,
        Some(text) => {
            let width = decimal(text)
                .ok_or("the width of a ${offset,width,base} modifier must be a number")?
                as usize;
            if width > MAX_WIDTH {
                return Err("the width of a ${offset,width,base} modifier is larger than 128");
            }
            width
        }
    };
    let base = match fields.next() {
        None => Base::Decimal,
        Some("d") => Base::Decimal,
        Some("o") => Base::Octal,
        Some("x") => Base::LowerHex,
        Some("X") => Base::UpperHex,
        Some("n") => Base::LowerNibble,
        Some("N") => Base::UpperNibble,
        Some(_) => {
            return Err(
                "the base of a ${offset,width,base} modifier must be one of d, o, x, X, n, N",
            );
        }
    };
    if fields.next().is_some() {
        return Err("a ${...} modifier has at most three fields: offset, width, base");
    }
    Ok((
        Piece::Counter {
            offset,
            width,
            base,
        },
        body_start + close + 1,
    ))
}

/// BIND's nibble format: hex digits from the least significant up, each a
/// label, separated by dots; zero nibbles are added until `width`
/// characters (dots included) are written. As in BIND, a width that ends on
/// a separator leaves a trailing dot.
fn nibbles(value: i64, width: usize, upper: bool) -> String {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut value = value.max(0) as u64;
    let mut width = width;
    let mut out = String::new();
    loop {
        out.push(char::from(digits[(value & 0xf) as usize]));
        value >>= 4;
        width = width.saturating_sub(1);
        if width > 0 || value != 0 {
            out.push('.');
            width = width.saturating_sub(1);
        }
        if value == 0 && width == 0 {
            return out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str, value: u32) -> String {
        let mut out = Vec::new();
        Template::parse(template.as_bytes())
            .unwrap()
            .render(value, &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn ranges_parse_like_bind() {
        assert_eq!(
            Range::parse("1-2").unwrap().values().collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(
            Range::parse("0-10/5").unwrap().values().collect::<Vec<_>>(),
            vec![0, 5, 10]
        );
        assert_eq!(Range::parse("0-9/5").unwrap().count(), 2);
        assert_eq!(Range::parse("7-7").unwrap().count(), 1);
        for bad in [
            "2-1",
            "1",
            "-1-2",
            "1-2/0",
            "a-b",
            "1-2/",
            " 1-2",
            "1-99999999999",
        ] {
            assert_eq!(Range::parse(bad), None, "{bad}");
        }
        assert_eq!(Range::parse("0-4294967295").unwrap().count(), 1 << 32);
    }

    #[test]
    fn dollar_is_the_iterator() {
        assert_eq!(render("host$", 1), "host1");
        assert_eq!(render("10.0.0.$", 2), "10.0.0.2");
        assert_eq!(render("$.$", 3), "3.3");
    }

    #[test]
    fn modifiers_follow_the_bind_documentation() {
        // ARM: "${-20,3,d} subtracts 20 from the current value and prints
        // the result as a decimal in a zero-padded field of width 3".
        assert_eq!(render("${-20,3,d}", 25), "005");
        assert_eq!(render("${0,3,d}", 1), "001");
        assert_eq!(render("${16,2,x}", 1), "11");
        assert_eq!(render("${16,4,X}", 250), "010A");
        assert_eq!(render("${0,3,o}", 8), "010");
        assert_eq!(render("${10}", 1), "11");
        assert_eq!(render("${1,0}", 5), "6");
        assert_eq!(render("${-5}", 1), "-4");
    }

    #[test]
    fn nibble_mode_reverses_hex_digits_into_labels() {
        assert_eq!(render("${0,0,n}", 0x1a), "a.1");
        assert_eq!(render("${0,0,N}", 0x1a), "A.1");
        assert_eq!(render("${0,3,n}", 0x1a), "a.1");
        assert_eq!(render("${0,5,n}", 0x1a), "a.1.0");
        assert_eq!(render("${0,7,n}", 0xabc), "c.b.a.0");
        // BIND leaves a trailing separator when the width ends on one.
        assert_eq!(render("${0,4,n}", 0x1a), "a.1.");
        assert_eq!(render("${0,0,n}", 0), "0");
    }

    #[test]
    fn literal_dollars_and_escapes() {
        assert_eq!(render("a$$b", 1), "a$b");
        assert_eq!(render("a\\$b", 1), "a\\$b");
        assert_eq!(render("\\065$", 1), "\\0651");
    }

    #[test]
    fn malformed_modifiers_are_rejected() {
        for bad in [
            "${",
            "${1",
            "${x}",
            "${1,y}",
            "${1,2,q}",
            "${1,2,d,4}",
            "${1,999}",
            "${99999999999}",
        ] {
            assert!(Template::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn negative_values_need_decimal() {
        let template = Template::parse(b"${-5,0,x}").unwrap();
        assert_eq!(template.render(1, &mut Vec::new()), Err(NegativeValue(-4)));
    }
}
