//! Domain names in uncompressed wire form (RFC 1035 §3.1).
//!
//! A [`Name`] always holds an absolute name: a sequence of length-prefixed
//! labels ending in the empty root label. Equality, hashing and ordering are
//! case-insensitive as RFC 4343 requires; ordering is the canonical order of
//! RFC 4034 §6.1, which is also the order NSEC chains and zone diffs use.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Longest name on the wire, root label included (RFC 1035 §3.1).
pub const MAX_NAME_LEN: usize = 255;
/// Longest single label (RFC 1035 §3.1).
pub const MAX_LABEL_LEN: usize = 63;
/// Most labels a name can have: 127 one-octet labels plus the root.
pub const MAX_LABELS: usize = 128;

/// Why a name could not be read, from text or from the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// A label is longer than 63 octets.
    #[error("label longer than 63 octets")]
    LabelTooLong,
    /// The whole name is longer than 255 octets.
    #[error("name longer than 255 octets")]
    NameTooLong,
    /// Two dots in a row, or a dot at the start of a name other than the root.
    #[error("empty label")]
    EmptyLabel,
    /// A backslash escape that is not `\X` or `\DDD` with DDD ≤ 255.
    #[error("bad escape sequence")]
    BadEscape,
    /// A relative name (or `@`) where no origin is known.
    #[error("relative name with no origin to complete it")]
    RelativeWithoutOrigin,
    /// The name runs past the end of the message.
    #[error("name runs past the end of the message")]
    Truncated,
    /// A compression pointer that does not point strictly backwards.
    #[error("compression pointer does not point backwards")]
    BadPointer,
    /// A compression pointer where compression is not allowed.
    #[error("compression pointer where none is allowed")]
    UnexpectedPointer,
    /// Label types 0b01 and 0b10 (RFC 6891 §5 deprecated extended labels).
    #[error("unsupported label type")]
    BadLabelType,
    /// The empty string is not a name.
    #[error("empty name")]
    Empty,
}

/// An absolute domain name in uncompressed wire form.
#[derive(Clone)]
pub struct Name {
    wire: Box<[u8]>,
}

impl Name {
    /// The root name `.`.
    pub fn root() -> Name {
        Name {
            wire: Box::new([0]),
        }
    }

    /// Takes an uncompressed wire-form name that must fill `wire` exactly.
    pub fn from_wire(wire: &[u8]) -> Result<Name, NameError> {
        let end = validate_uncompressed(wire, 0)?;
        if end != wire.len() {
            return Err(NameError::Truncated);
        }
        Ok(Name { wire: wire.into() })
    }

    /// Reads a possibly compressed name at `start` of `message`.
    ///
    /// Returns the name and the offset just past it in the message (after the
    /// first pointer, when the name is compressed). Pointers must point
    /// strictly before the segment that contains them, which rules out loops.
    pub fn parse_compressed(message: &[u8], start: usize) -> Result<(Name, usize), NameError> {
        let mut out = [0u8; MAX_NAME_LEN];
        let (len, end) = read_compressed(message, start, &mut out)?;
        Ok((
            Name {
                wire: out[..len].into(),
            },
            end,
        ))
    }

    /// Reads an uncompressed name at `start` of `message` (where RFC 3597 or
    /// the protocol forbids compression) and returns it with the offset past it.
    pub fn parse_uncompressed(message: &[u8], start: usize) -> Result<(Name, usize), NameError> {
        let end = validate_uncompressed(message, start)?;
        Ok((
            Name {
                wire: message[start..end].into(),
            },
            end,
        ))
    }

    /// Parses presentation format (RFC 1035 §5.1): `\X` and `\DDD` escapes,
    /// `@` for the origin, names without a final dot relative to `origin`.
    pub fn from_text(text: &str, origin: Option<&Name>) -> Result<Name, NameError> {
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        if text == "@" {
            return origin.cloned().ok_or(NameError::RelativeWithoutOrigin);
        }
        if text == "." {
            return Ok(Name::root());
        }
        let bytes = text.as_bytes();
        let mut out: Vec<u8> = Vec::with_capacity(bytes.len() + 2);
        let mut label_start = 0usize;
        out.push(0);
        let mut i = 0;
        let mut absolute = false;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b'.' => {
                    let label_len = out.len() - label_start - 1;
                    if label_len == 0 {
                        return Err(NameError::EmptyLabel);
                    }
                    out[label_start] = label_len as u8;
                    if i + 1 == bytes.len() {
                        absolute = true;
                    } else {
                        label_start = out.len();
                        out.push(0);
                    }
                    i += 1;
                    continue;
                }
                b'\\' => {
                    let (octet, used) = unescape(&bytes[i + 1..])?;
                    out.push(octet);
                    i += 1 + used;
                }
                _ => {
                    out.push(c);
                    i += 1;
                }
            }
            if out.len() - label_start - 1 > MAX_LABEL_LEN {
                return Err(NameError::LabelTooLong);
            }
        }
        if !absolute {
            let label_len = out.len() - label_start - 1;
            if label_len == 0 {
                return Err(NameError::EmptyLabel);
            }
            out[label_start] = label_len as u8;
            let origin = origin.ok_or(NameError::RelativeWithoutOrigin)?;
            out.extend_from_slice(origin.as_wire());
        } else {
            out.push(0);
        }
        if out.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong);
        }
        Ok(Name { wire: out.into() })
    }

    /// The uncompressed wire form, root label included.
    pub fn as_wire(&self) -> &[u8] {
        &self.wire
    }

    /// Length of the wire form in octets.
    pub fn wire_len(&self) -> usize {
        self.wire.len()
    }

    /// Whether this is the root name.
    pub fn is_root(&self) -> bool {
        self.wire.len() == 1
    }

    /// Whether the first label is the asterisk label `*` (RFC 4592 §2.1.1).
    pub fn is_wildcard(&self) -> bool {
        self.wire.len() >= 2 && self.wire[0] == 1 && self.wire[1] == b'*'
    }

    /// Number of labels, not counting the root label.
    pub fn label_count(&self) -> usize {
        label_count(&self.wire)
    }

    /// The labels from left to right, without the root label.
    pub fn labels(&self) -> Labels<'_> {
        Labels {
            wire: &self.wire,
            pos: 0,
        }
    }

    /// The name with its first label removed; `None` for the root.
    pub fn parent(&self) -> Option<Name> {
        if self.is_root() {
            return None;
        }
        let skip = 1 + self.wire[0] as usize;
        Some(Name {
            wire: self.wire[skip..].into(),
        })
    }

    /// The suffix made of the last `count` labels (plus the root).
    pub fn suffix(&self, count: usize) -> Name {
        Name {
            wire: suffix_wire(&self.wire, count).into(),
        }
    }

    /// Whether `self` is `other` or lies below it (label-aligned, case-insensitive).
    pub fn is_subdomain_of(&self, other: &Name) -> bool {
        is_subdomain_wire(&self.wire, &other.wire)
    }

    /// A lower-cased copy (ASCII letters only, RFC 4343).
    pub fn to_lowercase(&self) -> Name {
        let mut wire = self.wire.clone();
        lowercase_wire_in_place(&mut wire);
        Name { wire }
    }

    /// `*.` followed by this name; fails only when the result is too long.
    pub fn wildcard_child(&self) -> Result<Name, NameError> {
        self.prepend_label(b"*")
    }

    /// A new name with `label` in front of this one.
    pub fn prepend_label(&self, label: &[u8]) -> Result<Name, NameError> {
        if label.is_empty() {
            return Err(NameError::EmptyLabel);
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(NameError::LabelTooLong);
        }
        if self.wire.len() + 1 + label.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong);
        }
        let mut wire = Vec::with_capacity(self.wire.len() + 1 + label.len());
        wire.push(label.len() as u8);
        wire.extend_from_slice(label);
        wire.extend_from_slice(&self.wire);
        Ok(Name { wire: wire.into() })
    }

    /// Replaces the suffix `old` (which `self` must be under) by `new`, as a
    /// DNAME substitution does (RFC 6672 §2.2).
    pub fn replace_suffix(&self, old: &Name, new: &Name) -> Result<Name, NameError> {
        debug_assert!(self.is_subdomain_of(old));
        let prefix_len = self.wire.len() - old.wire.len();
        let total = prefix_len + new.wire.len();
        if total > MAX_NAME_LEN {
            return Err(NameError::NameTooLong);
        }
        let mut wire = Vec::with_capacity(total);
        wire.extend_from_slice(&self.wire[..prefix_len]);
        wire.extend_from_slice(&new.wire);
        Ok(Name { wire: wire.into() })
    }

    /// The part of the name in front of `apex`, in wire form without a root
    /// label (empty for the apex itself). `self` must be under `apex`.
    pub fn relative_to<'a>(&'a self, apex: &Name) -> &'a [u8] {
        &self.wire[..self.wire.len() - apex.wire.len()]
    }

    /// Compares in canonical DNS order (RFC 4034 §6.1).
    pub fn canonical_cmp(&self, other: &Name) -> Ordering {
        canonical_cmp_wire(&self.wire, &other.wire)
    }

    /// Exact, case-sensitive comparison of the wire forms.
    pub fn eq_exact(&self, other: &Name) -> bool {
        self.wire == other.wire
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.wire.eq_ignore_ascii_case(&other.wire)
    }
}

impl Eq for Name {}

impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.wire.iter() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> Ordering {
        self.canonical_cmp(other)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str(".");
        }
        for label in self.labels() {
            write_label(f, label)?;
            f.write_str(".")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}

impl std::str::FromStr for Name {
    type Err = NameError;

    /// Parses a name, treating it as absolute whether or not it ends in a dot.
    fn from_str(s: &str) -> Result<Name, NameError> {
        Name::from_text(s, Some(&Name::root()))
    }
}

/// Writes a name given in uncompressed wire form in presentation form, as
/// [`Name`]'s `Display` does, without making a `Name` (the query log
/// writes one per line). Stops at the root label or at the end of
/// `wire`; a label running past the end is written as far as it goes.
pub fn write_wire_text(out: &mut impl fmt::Write, wire: &[u8]) -> fmt::Result {
    let mut rest = wire;
    let mut any = false;
    while let Some((&len, tail)) = rest.split_first() {
        if len == 0 {
            break;
        }
        let label = &tail[..usize::from(len).min(tail.len())];
        write_label(out, label)?;
        out.write_char('.')?;
        any = true;
        rest = &tail[label.len()..];
    }
    if !any {
        out.write_char('.')?;
    }
    Ok(())
}

/// Writes one label in presentation form, escaping what RFC 1035 §5.1 and
/// common practice (BIND, Knot) escape.
fn write_label(f: &mut impl fmt::Write, label: &[u8]) -> fmt::Result {
    for &b in label {
        match b {
            b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                f.write_char('\\')?;
                f.write_char(b as char)?;
            }
            0x21..=0x7e => f.write_char(b as char)?,
            _ => write!(f, "\\{b:03}")?,
        }
    }
    Ok(())
}

/// Decodes the escape after a backslash; returns the octet and how many
/// input bytes the escape used (not counting the backslash).
pub fn unescape(rest: &[u8]) -> Result<(u8, usize), NameError> {
    match rest.first() {
        None => Err(NameError::BadEscape),
        Some(d) if d.is_ascii_digit() => {
            if rest.len() < 3 || !rest[1].is_ascii_digit() || !rest[2].is_ascii_digit() {
                return Err(NameError::BadEscape);
            }
            let value = (rest[0] - b'0') as u32 * 100
                + (rest[1] - b'0') as u32 * 10
                + (rest[2] - b'0') as u32;
            if value > 255 {
                return Err(NameError::BadEscape);
            }
            Ok((value as u8, 3))
        }
        Some(&c) => Ok((c, 1)),
    }
}

/// Iterator over the labels of a name, left to right, root excluded.
pub struct Labels<'a> {
    wire: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let len = *self.wire.get(self.pos)? as usize;
        if len == 0 {
            return None;
        }
        let label = &self.wire[self.pos + 1..self.pos + 1 + len];
        self.pos += 1 + len;
        Some(label)
    }
}

/// Checks an uncompressed name at `start` and returns the offset past it.
pub fn validate_uncompressed(message: &[u8], start: usize) -> Result<usize, NameError> {
    let mut pos = start;
    loop {
        let len = *message.get(pos).ok_or(NameError::Truncated)? as usize;
        match len & 0xC0 {
            0x00 => {}
            0xC0 => return Err(NameError::UnexpectedPointer),
            _ => return Err(NameError::BadLabelType),
        }
        if pos + 1 + len > message.len() {
            return Err(NameError::Truncated);
        }
        pos += 1 + len;
        if pos - start > MAX_NAME_LEN {
            return Err(NameError::NameTooLong);
        }
        if len == 0 {
            return Ok(pos);
        }
    }
}

/// Reads a possibly compressed name at `start` into `out` and returns its
/// length and the offset just past it in the message.
pub fn read_compressed(
    message: &[u8],
    start: usize,
    out: &mut [u8; MAX_NAME_LEN],
) -> Result<(usize, usize), NameError> {
    let mut pos = start;
    let mut len = 0usize;
    let mut end = None;
    // Every pointer must point before the start of the segment it sits in,
    // so the segments strictly move backwards and no loop is possible.
    let mut segment_start = start;
    loop {
        let b = *message.get(pos).ok_or(NameError::Truncated)?;
        match b & 0xC0 {
            0x00 => {
                let label_len = b as usize;
                if len + 1 + label_len > MAX_NAME_LEN {
                    return Err(NameError::NameTooLong);
                }
                if pos + 1 + label_len > message.len() {
                    return Err(NameError::Truncated);
                }
                out[len..len + 1 + label_len].copy_from_slice(&message[pos..pos + 1 + label_len]);
                len += 1 + label_len;
                pos += 1 + label_len;
                if label_len == 0 {
                    return Ok((len, end.unwrap_or(pos)));
                }
            }
            0xC0 => {
                let low = *message.get(pos + 1).ok_or(NameError::Truncated)?;
                let target = (((b & 0x3F) as usize) << 8) | low as usize;
                if target >= segment_start {
                    return Err(NameError::BadPointer);
                }
                if end.is_none() {
                    end = Some(pos + 2);
                }
                segment_start = target;
                pos = target;
            }
            _ => return Err(NameError::BadLabelType),
        }
    }
}

/// Skips a possibly compressed name and returns the offset past it, checking
/// only its framing (the pointer target is not followed).
pub fn skip_compressed(message: &[u8], start: usize) -> Result<usize, NameError> {
    let mut pos = start;
    loop {
        let b = *message.get(pos).ok_or(NameError::Truncated)?;
        match b & 0xC0 {
            0x00 => {
                let len = b as usize;
                if pos + 1 + len > message.len() {
                    return Err(NameError::Truncated);
                }
                pos += 1 + len;
                if pos - start > MAX_NAME_LEN {
                    return Err(NameError::NameTooLong);
                }
                if len == 0 {
                    return Ok(pos);
                }
            }
            0xC0 => {
                if pos + 2 > message.len() {
                    return Err(NameError::Truncated);
                }
                return Ok(pos + 2);
            }
            _ => return Err(NameError::BadLabelType),
        }
    }
}

/// Number of labels in a wire-form name, root not counted.
pub fn label_count(wire: &[u8]) -> usize {
    let mut count = 0;
    let mut pos = 0;
    while pos < wire.len() && wire[pos] != 0 {
        count += 1;
        pos += 1 + wire[pos] as usize;
    }
    count
}

/// The last `count` labels of a wire-form name, root included.
pub fn suffix_wire(wire: &[u8], count: usize) -> &[u8] {
    let total = label_count(wire);
    let mut skip = total.saturating_sub(count);
    let mut pos = 0;
    while skip > 0 {
        pos += 1 + wire[pos] as usize;
        skip -= 1;
    }
    &wire[pos..]
}

/// Whether wire name `name` equals or lies below `ancestor`, case-insensitively.
pub fn is_subdomain_wire(name: &[u8], ancestor: &[u8]) -> bool {
    if ancestor.len() > name.len() {
        return false;
    }
    let offset = name.len() - ancestor.len();
    if !name[offset..].eq_ignore_ascii_case(ancestor) {
        return false;
    }
    // The match must start on a label boundary of `name`.
    let mut pos = 0;
    while pos < offset {
        pos += 1 + name[pos] as usize;
    }
    pos == offset
}

/// Lower-cases the letters of a wire-form name in place, leaving the length
/// octets alone (they are below 64 and so never ASCII letters).
pub fn lowercase_wire_in_place(wire: &mut [u8]) {
    wire.make_ascii_lowercase();
}

/// A key whose plain lexicographic order is the canonical order of names
/// (RFC 4034 §6.1): labels from the right, each octet lower-cased and
/// stored as `octet + 1`, each label closed by 0. Sorting many names by
/// keys computed once is far cheaper than comparing names pairwise.
pub fn canonical_key(wire: &[u8]) -> Vec<u16> {
    let mut offsets = [0u8; MAX_LABELS];
    let count = label_offsets(wire, &mut offsets);
    let mut key = Vec::with_capacity(wire.len());
    for &offset in offsets[..count].iter().rev() {
        for &b in label_at(wire, offset as usize) {
            key.push(b.to_ascii_lowercase() as u16 + 1);
        }
        key.push(0);
    }
    key
}

/// The first eight symbols of a name's [`canonical_key`] packed into one
/// integer that never contradicts canonical order: when the prefixes of
/// two names differ, the names compare the same way; when they are equal,
/// the names must be compared in full ([`canonical_cmp_wire`]). Sorting
/// many names by `(prefix, name)` thus compares integers almost always.
///
/// `wire` may be a name without its last labels (relative to an apex all
/// the names share): the order of such parts is the order of the names.
/// A symbol is the lower-cased octet plus one, or 0 at the end of a label;
/// octets 254 and 255 both become 255, and the prefix stops right after
/// such a symbol (zeros follow), so that names differing only there tie
/// instead of comparing by what comes after.
pub fn canonical_prefix(wire: &[u8]) -> u64 {
    let mut offsets = [0u8; MAX_LABELS];
    let count = label_offsets(wire, &mut offsets);
    let mut prefix = 0u64;
    let mut used = 0u32;
    let mut push = |symbol: u8| {
        if used == 8 {
            return false;
        }
        prefix |= u64::from(symbol) << (56 - 8 * used);
        used += 1;
        symbol != u8::MAX
    };
    for &offset in offsets[..count].iter().rev() {
        for &b in label_at(wire, offset as usize) {
            if !push(b.to_ascii_lowercase().saturating_add(1)) {
                return prefix;
            }
        }
        if !push(0) {
            return prefix;
        }
    }
    prefix
}

/// Canonical order of two wire-form names (RFC 4034 §6.1).
pub fn canonical_cmp_wire(a: &[u8], b: &[u8]) -> Ordering {
    let mut a_offsets = [0u8; MAX_LABELS];
    let mut b_offsets = [0u8; MAX_LABELS];
    let a_count = label_offsets(a, &mut a_offsets);
    let b_count = label_offsets(b, &mut b_offsets);
    let mut i = a_count;
    let mut j = b_count;
    while i > 0 && j > 0 {
        i -= 1;
        j -= 1;
        let la = label_at(a, a_offsets[i] as usize);
        let lb = label_at(b, b_offsets[j] as usize);
        let ord = cmp_label(la, lb);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a_count.cmp(&b_count)
}

fn label_at(wire: &[u8], offset: usize) -> &[u8] {
    let len = wire[offset] as usize;
    &wire[offset + 1..offset + 1 + len]
}

fn cmp_label(a: &[u8], b: &[u8]) -> Ordering {
    for (x, y) in a.iter().zip(b.iter()) {
        let ord = x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase());
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.len().cmp(&b.len())
}

/// Fills `offsets` with the start of each non-root label; returns the count.
fn label_offsets(wire: &[u8], offsets: &mut [u8; MAX_LABELS]) -> usize {
    let mut count = 0;
    let mut pos = 0;
    while pos < wire.len() && wire[pos] != 0 && count < MAX_LABELS {
        offsets[count] = pos as u8;
        count += 1;
        pos += 1 + wire[pos] as usize;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        s.parse().unwrap()
    }

    #[test]
    fn wire_text_matches_display_without_a_name() {
        for text in [".", "example.com.", "a\\.b.c.", "x\\032y.test.", "\\@.\\$."] {
            let name = Name::from_text(text, None).unwrap();
            let mut out = String::new();
            write_wire_text(&mut out, name.as_wire()).unwrap();
            assert_eq!(out, name.to_string(), "{text}");
        }
        let mut out = String::new();
        write_wire_text(&mut out, &[5, b'a', b'b']).unwrap();
        assert_eq!(out, "ab.", "a label cut short is written as far as it goes");
    }

    #[test]
    fn text_round_trips_with_escapes() {
        let name = Name::from_text("a\\.b.c\\032d.example.", None).unwrap();
        assert_eq!(name.label_count(), 3);
        assert_eq!(name.to_string(), "a\\.b.c\\032d.example.");
        assert_eq!(n(".").to_string(), ".");
    }

    #[test]
    fn relative_names_take_the_origin() {
        let origin = n("example.com.");
        assert_eq!(
            Name::from_text("www", Some(&origin)).unwrap(),
            n("www.example.com.")
        );
        assert_eq!(Name::from_text("@", Some(&origin)).unwrap(), origin);
        assert_eq!(
            Name::from_text("www", None),
            Err(NameError::RelativeWithoutOrigin)
        );
    }

    #[test]
    fn bad_text_is_rejected() {
        assert_eq!(Name::from_text("a..b.", None), Err(NameError::EmptyLabel));
        assert_eq!(Name::from_text(".a.", None), Err(NameError::EmptyLabel));
        assert_eq!(
            Name::from_text(&format!("{}.", "a".repeat(64)), None),
            Err(NameError::LabelTooLong)
        );
        let long = format!("{}.", vec!["a".repeat(63); 4].join("."));
        assert_eq!(Name::from_text(&long, None), Err(NameError::NameTooLong));
        assert_eq!(Name::from_text("a\\256.", None), Err(NameError::BadEscape));
        assert_eq!(Name::from_text("a\\", None), Err(NameError::BadEscape));
    }

    #[test]
    fn comparison_ignores_case() {
        assert_eq!(n("WWW.Example.COM."), n("www.example.com."));
        assert!(n("a.b.EXAMPLE.").is_subdomain_of(&n("example.")));
        assert!(!n("aexample.").is_subdomain_of(&n("example.")));
        assert!(n("x.").is_subdomain_of(&Name::root()));
    }

    #[test]
    fn canonical_order_matches_rfc4034_example() {
        // RFC 4034 §6.1 lists these in canonical order.
        let ordered = [
            "example.",
            "a.example.",
            "yljkjljk.a.example.",
            "Z.a.example.",
            "zABC.a.EXAMPLE.",
            "z.example.",
            "\\001.z.example.",
            "*.z.example.",
            "\\200.z.example.",
        ];
        for pair in ordered.windows(2) {
            let a = Name::from_text(pair[0], None).unwrap();
            let b = Name::from_text(pair[1], None).unwrap();
            assert_eq!(
                a.canonical_cmp(&b),
                Ordering::Less,
                "{} < {}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn compressed_names_are_followed_and_loops_rejected() {
        // "example." at 0, then "www" + pointer to 0 at 9.
        let mut msg = vec![7];
        msg.extend_from_slice(b"example");
        msg.push(0);
        msg.extend_from_slice(&[3, b'w', b'w', b'w', 0xC0, 0]);
        let (name, end) = Name::parse_compressed(&msg, 9).unwrap();
        assert_eq!(name, n("www.example."));
        assert_eq!(end, msg.len());
        // A pointer to itself.
        let looping = [0xC0, 0];
        assert_eq!(
            Name::parse_compressed(&looping, 0).unwrap_err(),
            NameError::BadPointer
        );
        // A forward pointer.
        let forward = [0xC0, 2, 0];
        assert_eq!(
            Name::parse_compressed(&forward, 0).unwrap_err(),
            NameError::BadPointer
        );
        // Two pointers bouncing between each other.
        let bounce = [1, b'a', 0xC0, 4, 1, b'b', 0xC0, 0];
        assert!(Name::parse_compressed(&bounce, 4).is_err());
    }

    #[test]
    fn dname_substitution() {
        let qname = n("a.b.old.example.");
        let new = qname
            .replace_suffix(&n("old.example."), &n("new.test."))
            .unwrap();
        assert_eq!(new, n("a.b.new.test."));
    }

    proptest::proptest! {
        #[test]
        fn text_form_round_trips(labels in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 1..20), 0..6)) {
            let mut wire = Vec::new();
            for label in &labels {
                wire.push(label.len() as u8);
                wire.extend_from_slice(label);
            }
            wire.push(0);
            let name = Name::from_wire(&wire).unwrap();
            let text = name.to_string();
            let again = Name::from_text(&text, None).unwrap();
            proptest::prop_assert!(again.eq_exact(&name));
        }

        #[test]
        fn canonical_prefixes_never_contradict_canonical_cmp(
            a in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(vec![0u8, 1, b'a', b'B', b'b', b'z', 0x7f, 0xfe, 0xff]), 1..6), 0..4),
            b in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(vec![0u8, 1, b'a', b'A', b'b', b'z', 0x7f, 0xfe, 0xff]), 1..6), 0..4),
        ) {
            let build = |labels: &Vec<Vec<u8>>| {
                let mut wire = Vec::new();
                for label in labels {
                    wire.push(label.len() as u8);
                    wire.extend_from_slice(label);
                }
                wire.push(0);
                Name::from_wire(&wire).unwrap()
            };
            let (x, y) = (build(&a), build(&b));
            let order = x.canonical_cmp(&y);
            let prefixes = canonical_prefix(x.as_wire()).cmp(&canonical_prefix(y.as_wire()));
            proptest::prop_assert!(prefixes == Ordering::Equal || prefixes == order);
            // Without the root label (relative to it) the order is the same.
            let (rx, ry) = (&x.as_wire()[..x.wire_len() - 1], &y.as_wire()[..y.wire_len() - 1]);
            let relative = canonical_prefix(rx).cmp(&canonical_prefix(ry));
            proptest::prop_assert!(relative == Ordering::Equal || relative == order);
            proptest::prop_assert_eq!(canonical_cmp_wire(rx, ry), order);
        }

        #[test]
        fn canonical_keys_order_like_canonical_cmp(
            a in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(vec![0u8, 1, b'a', b'B', b'b', b'z', 0x7f, 0xff]), 1..4), 0..4),
            b in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(vec![0u8, 1, b'a', b'A', b'b', b'z', 0x7f, 0xff]), 1..4), 0..4),
        ) {
            let build = |labels: &Vec<Vec<u8>>| {
                let mut wire = Vec::new();
                for label in labels {
                    wire.push(label.len() as u8);
                    wire.extend_from_slice(label);
                }
                wire.push(0);
                Name::from_wire(&wire).unwrap()
            };
            let (x, y) = (build(&a), build(&b));
            proptest::prop_assert_eq!(canonical_key(x.as_wire()).cmp(&canonical_key(y.as_wire())), x.canonical_cmp(&y));
        }

        #[test]
        fn canonical_order_is_consistent_with_equality(a in "[a-cA-C]{1,3}(\\.[a-c]{1,3}){0,3}", b in "[a-cA-C]{1,3}(\\.[a-c]{1,3}){0,3}") {
            let x: Name = a.parse().unwrap();
            let y: Name = b.parse().unwrap();
            proptest::prop_assert_eq!(x.canonical_cmp(&y) == Ordering::Equal, x == y);
            proptest::prop_assert_eq!(x.canonical_cmp(&y), y.canonical_cmp(&x).reverse());
        }
    }
}
