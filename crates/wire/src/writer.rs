//! Building messages with name compression (RFC 1035 §4.1.4) under a size
//! limit.
//!
//! A [`Writer`] appends to a caller-owned buffer, so the query path reuses
//! one buffer per worker and allocates nothing. Every record is written
//! atomically: when it does not fit the limit, the buffer and the
//! compression table are rolled back to where the record began and
//! [`Full`] is returned, which is what truncation (RFC 2181 §9) needs.
//!
//! For precompiled answers the writer can also log the position of every
//! compression pointer it emits, so the answer can later be relocated behind
//! a question of a different length.

use crate::header::{HEADER_LEN, Header};
use crate::name::MAX_NAME_LEN;
use crate::rdata::{self, Field};
use crate::types::{Class, Rtype};

/// Label positions remembered inline; a message that needs more (zone
/// transfers, big answers) moves to a hashed table.
const INLINE_TARGETS: usize = 24;
/// Slots of the hashed table (a power of two).
const HASHED_SLOTS: usize = 8192;
/// Most label positions remembered in all; later names are still written,
/// only less compressed. Keeps the hashed table under 75 % full.
const MAX_COMPRESSION_ENTRIES: usize = HASHED_SLOTS * 3 / 4;
/// Pointers can address only the first 16 KiB of a message.
const MAX_POINTER_TARGET: usize = 0x3FFF;

/// The message has reached its size limit; nothing of the last item was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

/// The message sections, in wire order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// Answer section (prerequisites in UPDATE).
    Answer = 0,
    /// Authority section (updates in UPDATE).
    Authority = 1,
    /// Additional section.
    Additional = 2,
}

/// How a record's owner name is written.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'n> {
    /// A name in uncompressed wire form, compressed against what is written.
    Name(&'n [u8]),
    /// A pointer to the question name at offset 12, whatever it is: the owner
    /// of wildcard-synthesised records (RFC 4592 §2.2.1) and of exact matches.
    Question,
}

/// A position in the message to roll back to.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    len: usize,
    compression: CompressionMark,
    counts: [u16; 3],
    pointers: usize,
}

/// Where earlier names sit, so later ones can point at them.
///
/// Small messages (almost every answer) use a short inline list scanned
/// linearly, which costs nothing to set up. Once a message has more names
/// than that, every position also goes into a hash table keyed by the name
/// that starts there, so a zone transfer's thousands of names are found in
/// one probe instead of a scan.
struct Compression {
    inline: [u16; INLINE_TARGETS],
    inline_len: usize,
    hashed: Option<Box<Hashed>>,
}

/// The hash table of [`Compression`]: slots of (hash, offset), offset 0
/// meaning empty (no name starts inside the header), and the order slots
/// were filled in, so a rollback can empty them again in reverse.
struct Hashed {
    slots: Vec<(u32, u16)>,
    filled: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
struct CompressionMark {
    inline_len: usize,
    hashed_len: Option<usize>,
}

/// FNV-1a over a name's octets, letters lower-cased, root label included:
/// the same value whether the name is read from an uncompressed suffix or
/// from the message through its pointers.
fn name_hash(octets: impl Iterator<Item = u8>) -> u32 {
    let mut hash: u32 = 0x811C_9DC5;
    for b in octets {
        hash ^= b.to_ascii_lowercase() as u32;
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// The octets of the name at `pos` in `buf`, pointers followed.
fn name_octets(buf: &[u8], mut pos: usize) -> impl Iterator<Item = u8> + '_ {
    let mut remaining_in_label: usize = 0;
    let mut steps = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        loop {
            if done || steps > MAX_NAME_LEN * 2 {
                return None;
            }
            steps += 1;
            if remaining_in_label > 0 {
                remaining_in_label -= 1;
                let b = buf[pos];
                pos += 1;
                return Some(b);
            }
            let b = buf[pos];
            if b & 0xC0 == 0xC0 {
                pos = (((b & 0x3F) as usize) << 8) | buf[pos + 1] as usize;
                continue;
            }
            pos += 1;
            remaining_in_label = b as usize;
            if b == 0 {
                done = true;
            }
            return Some(b);
        }
    })
}

impl Compression {
    fn new() -> Compression {
        Compression {
            inline: [0; INLINE_TARGETS],
            inline_len: 0,
            hashed: None,
        }
    }

    fn len(&self) -> usize {
        match &self.hashed {
            Some(h) => INLINE_TARGETS + h.filled.len(),
            None => self.inline_len,
        }
    }

    fn mark(&self) -> CompressionMark {
        CompressionMark {
            inline_len: self.inline_len,
            hashed_len: self.hashed.as_ref().map(|h| h.filled.len()),
        }
    }

    fn rollback(&mut self, mark: CompressionMark) {
        match mark.hashed_len {
            None => self.hashed = None,
            Some(len) => {
                if let Some(h) = self.hashed.as_mut() {
                    while h.filled.len() > len {
                        let slot = h.filled.pop().unwrap_or(0);
                        h.slots[slot as usize] = (0, 0);
                    }
                }
            }
        }
        self.inline_len = mark.inline_len;
    }

    /// Remembers that a name starts at `offset` in `buf`.
    fn insert(&mut self, buf: &[u8], offset: u16) {
        if self.hashed.is_none() {
            if self.inline_len < INLINE_TARGETS {
                self.inline[self.inline_len] = offset;
                self.inline_len += 1;
                return;
            }
            let mut hashed = Box::new(Hashed {
                slots: vec![(0, 0); HASHED_SLOTS],
                filled: Vec::with_capacity(256),
            });
            for &earlier in &self.inline[..self.inline_len] {
                hashed.put(name_hash(name_octets(buf, earlier as usize)), earlier);
            }
            // The inline entries now live in the table too; `filled` counts
            // only what came after, so rolling back to before the switch
            // simply drops the table.
            hashed.filled.clear();
            self.hashed = Some(hashed);
        }
        if let Some(h) = self.hashed.as_mut() {
            h.put(name_hash(name_octets(buf, offset as usize)), offset);
        }
    }
}

impl Hashed {
    fn put(&mut self, hash: u32, offset: u16) {
        let mask = HASHED_SLOTS - 1;
        let mut slot = hash as usize & mask;
        while self.slots[slot].1 != 0 {
            slot = (slot + 1) & mask;
        }
        self.slots[slot] = (hash, offset);
        self.filled.push(slot as u32);
    }
}

/// Appends a DNS message to a buffer, compressing names.
pub struct Writer<'a> {
    buf: &'a mut Vec<u8>,
    limit: usize,
    compression: Compression,
    /// Targets at or above this offset are not remembered (precompiled
    /// answers keep room for relocation).
    compression_ceiling: usize,
    counts: [u16; 3],
    qdcount: u16,
    section: Section,
    pointer_log: Option<&'a mut Vec<u16>>,
}

impl<'a> Writer<'a> {
    /// Starts a message in `buf` (cleared) that may grow to `limit` octets.
    pub fn new(buf: &'a mut Vec<u8>, limit: usize) -> Writer<'a> {
        buf.clear();
        buf.extend_from_slice(&[0u8; HEADER_LEN]);
        Writer {
            buf,
            limit: limit.max(HEADER_LEN),
            compression: Compression::new(),
            compression_ceiling: MAX_POINTER_TARGET,
            counts: [0; 3],
            qdcount: 0,
            section: Section::Answer,
            pointer_log: None,
        }
    }

    /// Records the position of every compression pointer written from now
    /// on into `log`, and keeps pointer targets low enough that the message
    /// can later be shifted by up to 255 octets.
    pub fn log_pointers(&mut self, log: &'a mut Vec<u16>) {
        log.clear();
        self.pointer_log = Some(log);
        self.compression_ceiling = MAX_POINTER_TARGET - MAX_NAME_LEN;
    }

    /// Current length of the message.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing but the header has been written.
    pub fn is_empty(&self) -> bool {
        self.buf.len() == HEADER_LEN
    }

    /// The size limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Changes the size limit (never below what is already written).
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit.max(self.buf.len());
    }

    /// Octets still available under the limit.
    pub fn remaining(&self) -> usize {
        self.limit.saturating_sub(self.buf.len())
    }

    /// Records written so far in each section.
    pub fn counts(&self) -> [u16; 3] {
        self.counts
    }

    /// Writes a question whose name is uncompressed wire form. When
    /// `offer_whole_name` is false the full question name is not offered as
    /// a compression target (only its parents), which precompiled wildcard
    /// answers need because the real question differs from the wildcard.
    pub fn question(
        &mut self,
        qname: &[u8],
        qtype: Rtype,
        qclass: Class,
        offer_whole_name: bool,
    ) -> Result<(), Full> {
        if self.buf.len() + qname.len() + 4 > self.limit {
            return Err(Full);
        }
        let start = self.buf.len();
        self.buf.extend_from_slice(qname);
        self.remember_labels(start, qname.len(), if offer_whole_name { 0 } else { 1 });
        self.buf.extend_from_slice(&qtype.0.to_be_bytes());
        self.buf.extend_from_slice(&qclass.0.to_be_bytes());
        self.qdcount += 1;
        Ok(())
    }

    /// Copies a question section verbatim from a request (one question of
    /// `bytes`), offering its name for compression.
    pub fn question_raw(&mut self, bytes: &[u8]) -> Result<(), Full> {
        if self.buf.len() + bytes.len() > self.limit || bytes.len() < 5 {
            return Err(Full);
        }
        let start = self.buf.len();
        self.buf.extend_from_slice(bytes);
        self.remember_labels(start, bytes.len() - 4, 0);
        self.qdcount += 1;
        Ok(())
    }

    /// Selects the section the next records go to; sections only move forward.
    pub fn set_section(&mut self, section: Section) {
        debug_assert!(section >= self.section);
        self.section = section;
    }

    /// The section records currently go to.
    pub fn section(&self) -> Section {
        self.section
    }

    /// A position to roll back to.
    pub fn mark(&self) -> Mark {
        Mark {
            len: self.buf.len(),
            compression: self.compression.mark(),
            counts: self.counts,
            pointers: self.pointer_log.as_ref().map_or(0, |l| l.len()),
        }
    }

    /// Forgets everything written after `mark`.
    pub fn rollback(&mut self, mark: Mark) {
        self.buf.truncate(mark.len);
        self.compression.rollback(mark.compression);
        self.counts = mark.counts;
        if let Some(log) = self.pointer_log.as_mut() {
            log.truncate(mark.pointers);
        }
    }

    /// Appends one record to the current section. RDATA names are
    /// compressed for the RFC 1035 types only (RFC 3597 §4).
    pub fn record(
        &mut self,
        owner: Owner<'_>,
        rtype: Rtype,
        class: Class,
        ttl: u32,
        rdata: &[u8],
    ) -> Result<(), Full> {
        let mark = self.mark();
        let result = self.record_inner(owner, rtype, class, ttl, rdata);
        if result.is_err() {
            self.rollback(mark);
        }
        result
    }

    fn record_inner(
        &mut self,
        owner: Owner<'_>,
        rtype: Rtype,
        class: Class,
        ttl: u32,
        rdata: &[u8],
    ) -> Result<(), Full> {
        match owner {
            Owner::Name(name) => self.name(name, true)?,
            Owner::Question => self.pointer(HEADER_LEN)?,
        }
        self.reserve(10)?;
        self.buf.extend_from_slice(&rtype.0.to_be_bytes());
        self.buf.extend_from_slice(&class.0.to_be_bytes());
        self.buf.extend_from_slice(&ttl.to_be_bytes());
        let rdlen_pos = self.buf.len();
        self.buf.extend_from_slice(&[0, 0]);
        match rdata::compression_layout(rtype) {
            Some(layout) => self.compressed_rdata(layout, rdata)?,
            None => {
                self.reserve(rdata.len())?;
                self.buf.extend_from_slice(rdata);
            }
        }
        let rdlen = self.buf.len() - rdlen_pos - 2;
        if rdlen > u16::MAX as usize {
            return Err(Full);
        }
        self.buf[rdlen_pos..rdlen_pos + 2].copy_from_slice(&(rdlen as u16).to_be_bytes());
        self.counts[self.section as usize] += 1;
        Ok(())
    }

    fn compressed_rdata(&mut self, layout: &[Field], rdata: &[u8]) -> Result<(), Full> {
        let mut pos = 0;
        for field in layout {
            match *field {
                Field::Name => {
                    let Ok(end) = crate::name::validate_uncompressed(rdata, pos) else {
                        // Stored RDATA is validated on the way in; copy
                        // anything odd verbatim rather than fail.
                        return self.raw(&rdata[pos..]);
                    };
                    self.name(&rdata[pos..end], true)?;
                    pos = end;
                }
                Field::Fixed(n) => {
                    let end = (pos + n).min(rdata.len());
                    self.raw(&rdata[pos..end])?;
                    pos = end;
                }
                Field::CharStr => {
                    let len = rdata.get(pos).map_or(0, |&l| l as usize + 1);
                    let end = (pos + len).min(rdata.len());
                    self.raw(&rdata[pos..end])?;
                    pos = end;
                }
                Field::Rest => {
                    self.raw(&rdata[pos..])?;
                    pos = rdata.len();
                }
            }
        }
        if pos < rdata.len() {
            self.raw(&rdata[pos..])?;
        }
        Ok(())
    }

    fn raw(&mut self, bytes: &[u8]) -> Result<(), Full> {
        self.reserve(bytes.len())?;
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// Appends an OPT pseudo-record (RFC 6891 §6.1.2) to the additional
    /// section. `options` is already-encoded option data.
    pub fn opt(
        &mut self,
        udp_payload: u16,
        extended_rcode: u8,
        version: u8,
        dnssec_ok: bool,
        options: &[u8],
    ) -> Result<(), Full> {
        let needed = 11 + options.len();
        if self.buf.len() + needed > self.limit {
            return Err(Full);
        }
        self.buf.push(0);
        self.buf.extend_from_slice(&Rtype::OPT.0.to_be_bytes());
        self.buf.extend_from_slice(&udp_payload.to_be_bytes());
        let flags: u16 = if dnssec_ok { 0x8000 } else { 0 };
        self.buf.push(extended_rcode);
        self.buf.push(version);
        self.buf.extend_from_slice(&flags.to_be_bytes());
        self.buf
            .extend_from_slice(&(options.len() as u16).to_be_bytes());
        self.buf.extend_from_slice(options);
        self.counts[Section::Additional as usize] += 1;
        Ok(())
    }

    /// Appends a record that is already in wire form (for instance a TSIG
    /// record) to the additional section, uncounted until `finish`.
    pub fn raw_record(&mut self, bytes: &[u8]) -> Result<(), Full> {
        self.raw(bytes)?;
        self.counts[Section::Additional as usize] += 1;
        Ok(())
    }

    /// Writes the header (with the section counts) and returns the length.
    pub fn finish(self, id: u16, bits: u16) -> usize {
        let header = Header {
            id,
            bits,
            qdcount: self.qdcount,
            ancount: self.counts[0],
            nscount: self.counts[1],
            arcount: self.counts[2],
        };
        self.buf[..HEADER_LEN].copy_from_slice(&header.to_bytes());
        self.buf.len()
    }

    fn reserve(&self, n: usize) -> Result<(), Full> {
        if self.buf.len() + n > self.limit {
            Err(Full)
        } else {
            Ok(())
        }
    }

    fn pointer(&mut self, target: usize) -> Result<(), Full> {
        self.reserve(2)?;
        let at = self.buf.len();
        self.buf
            .extend_from_slice(&(0xC000u16 | target as u16).to_be_bytes());
        if let Some(log) = self.pointer_log.as_mut() {
            log.push(at as u16);
        }
        Ok(())
    }

    /// Writes a name, compressed against earlier names when `compress`.
    pub fn name(&mut self, name: &[u8], compress: bool) -> Result<(), Full> {
        let mut suffix = 0;
        while suffix < name.len() && name[suffix] != 0 {
            if compress && let Some(target) = self.find(&name[suffix..]) {
                self.reserve(suffix + 2)?;
                let start = self.buf.len();
                self.buf.extend_from_slice(&name[..suffix]);
                self.pointer(target)?;
                // Only now is the name complete in the buffer (the hashed
                // table reads it from there).
                self.remember_labels(start, suffix, 0);
                return Ok(());
            }
            suffix += 1 + name[suffix] as usize;
        }
        self.reserve(name.len())?;
        let start = self.buf.len();
        self.buf.extend_from_slice(name);
        if compress {
            self.remember_labels(start, name.len(), 0);
        }
        Ok(())
    }

    /// Offers the labels of the name written at `start` (`len` octets, which
    /// may end in a pointer or just before one) for compression, skipping the
    /// first `skip` labels.
    fn remember_labels(&mut self, start: usize, len: usize, skip: usize) {
        let mut pos = 0;
        let mut index = 0;
        while pos < len && self.buf[start + pos] != 0 {
            let at = start + pos;
            if at >= self.compression_ceiling || self.compression.len() >= MAX_COMPRESSION_ENTRIES {
                return;
            }
            if index >= skip {
                self.compression.insert(self.buf, at as u16);
            }
            pos += 1 + self.buf[start + pos] as usize;
            index += 1;
        }
    }

    /// Finds an offset where `suffix` (uncompressed, non-root) was written.
    fn find(&self, suffix: &[u8]) -> Option<usize> {
        if let Some(hashed) = &self.compression.hashed {
            let hash = name_hash(suffix.iter().copied());
            let mask = HASHED_SLOTS - 1;
            let mut slot = hash as usize & mask;
            loop {
                let (h, offset) = hashed.slots[slot];
                if offset == 0 {
                    return None;
                }
                if h == hash && self.name_at_equals(offset as usize, suffix) {
                    return Some(offset as usize);
                }
                slot = (slot + 1) & mask;
            }
        }
        let first = suffix[0];
        for &offset in &self.compression.inline[..self.compression.inline_len] {
            let offset = offset as usize;
            if self.buf[offset] == first && self.name_at_equals(offset, suffix) {
                return Some(offset);
            }
        }
        None
    }

    fn name_at_equals(&self, mut pos: usize, suffix: &[u8]) -> bool {
        let mut s = 0;
        // The buffer only holds names we wrote, whose pointers go backwards;
        // the bound is a guard, not a limit ever reached.
        for _ in 0..MAX_NAME_LEN {
            let b = self.buf[pos];
            if b & 0xC0 == 0xC0 {
                pos = (((b & 0x3F) as usize) << 8) | self.buf[pos + 1] as usize;
                continue;
            }
            let len = b as usize;
            if s >= suffix.len() || suffix[s] as usize != len {
                return false;
            }
            if len == 0 {
                return true;
            }
            if !self.buf[pos + 1..pos + 1 + len].eq_ignore_ascii_case(&suffix[s + 1..s + 1 + len]) {
                return false;
            }
            pos += 1 + len;
            s += 1 + len;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;
    use crate::name::Name;

    fn wire(s: &str) -> Vec<u8> {
        s.parse::<Name>().unwrap().as_wire().to_vec()
    }

    #[test]
    fn names_are_compressed_and_parse_back() {
        let mut buf = Vec::new();
        let mut w = Writer::new(&mut buf, 512);
        w.question(&wire("www.example.com."), Rtype::MX, Class::IN, true)
            .unwrap();
        let mut mx = vec![0, 10];
        mx.extend_from_slice(&wire("mail.example.com."));
        w.record(Owner::Question, Rtype::MX, Class::IN, 300, &mx)
            .unwrap();
        w.set_section(Section::Additional);
        w.record(
            Owner::Name(&wire("mail.example.com.")),
            Rtype::A,
            Class::IN,
            300,
            &[192, 0, 2, 1],
        )
        .unwrap();
        let len = w.finish(7, 0x8400);
        // Question 17+4, MX: ptr 2 + 10 + (2 + "mail"+ptr = 7), A: ptr 2 + 10 + 4.
        assert_eq!(len, 12 + 21 + 21 + 16);
        let msg = Message::parse(&buf).unwrap();
        assert_eq!(msg.answer[0].owner, "www.example.com.".parse().unwrap());
        assert_eq!(msg.answer[0].rdata, mx);
        assert_eq!(
            msg.additional[0].owner,
            "mail.example.com.".parse().unwrap()
        );
    }

    #[test]
    fn a_record_that_does_not_fit_leaves_no_trace() {
        let mut buf = Vec::new();
        let mut w = Writer::new(&mut buf, 12 + 21 + 16 + 8);
        w.question(&wire("www.example.com."), Rtype::A, Class::IN, true)
            .unwrap();
        w.record(Owner::Question, Rtype::A, Class::IN, 60, &[1, 2, 3, 4])
            .unwrap();
        let before = w.len();
        assert_eq!(
            w.record(Owner::Question, Rtype::A, Class::IN, 60, &[1, 2, 3, 5]),
            Err(Full)
        );
        assert_eq!(w.len(), before);
        assert_eq!(w.counts(), [1, 0, 0]);
    }

    #[test]
    fn many_names_switch_to_the_hashed_table_and_stay_compressed() {
        let mut buf = Vec::new();
        let mut w = Writer::new(&mut buf, 65535);
        w.question(&wire("example.com."), Rtype::AXFR, Class::IN, true)
            .unwrap();
        let mut owners = Vec::new();
        for i in 0..400 {
            owners.push(wire(&format!("host{i}.sub{}.example.com.", i % 7)));
        }
        for owner in &owners {
            w.record(Owner::Name(owner), Rtype::A, Class::IN, 60, &[192, 0, 2, 1])
                .unwrap();
        }
        // Every owner repeats: each must now be a bare pointer (2 octets).
        let len = w.len();
        for owner in &owners {
            w.record(Owner::Name(owner), Rtype::A, Class::IN, 60, &[192, 0, 2, 2])
                .unwrap();
        }
        assert_eq!(w.len() - len, 400 * (2 + 10 + 4));
        w.finish(1, 0x8000);
        let msg = Message::parse(&buf).unwrap();
        assert_eq!(msg.answer.len(), 800);
        assert_eq!(
            msg.answer[799].owner,
            "host399.sub0.example.com.".parse().unwrap()
        );

        // Rolling back to before the switch forgets every later name.
        let mut buf = Vec::new();
        let mut w = Writer::new(&mut buf, 65535);
        w.question(&wire("example.com."), Rtype::AXFR, Class::IN, true)
            .unwrap();
        let mark = w.mark();
        for owner in &owners {
            w.record(Owner::Name(owner), Rtype::A, Class::IN, 60, &[192, 0, 2, 1])
                .unwrap();
        }
        w.rollback(mark);
        let len = w.len();
        w.record(
            Owner::Name(&owners[5]),
            Rtype::A,
            Class::IN,
            60,
            &[192, 0, 2, 1],
        )
        .unwrap();
        // host5.sub5 is written in full again, with only example.com. compressed.
        assert_eq!(w.len() - len, (1 + 5 + 1 + 4 + 2) + 10 + 4);
        w.finish(1, 0x8000);
        assert!(Message::parse(&buf).is_ok());
    }

    #[test]
    fn srv_targets_are_not_compressed() {
        let mut buf = Vec::new();
        let mut w = Writer::new(&mut buf, 512);
        w.question(&wire("_sip._udp.example.com."), Rtype::SRV, Class::IN, true)
            .unwrap();
        let mut srv = vec![0, 1, 0, 2, 0x13, 0xc4];
        srv.extend_from_slice(&wire("example.com."));
        w.record(Owner::Question, Rtype::SRV, Class::IN, 60, &srv)
            .unwrap();
        let len = w.finish(1, 0x8400);
        // The SRV target is written in full (13 octets), not as a pointer.
        assert_eq!(len, 12 + 27 + 2 + 10 + 6 + 13);
    }

    #[test]
    fn pointer_log_and_wildcard_question() {
        let mut buf = Vec::new();
        let mut log = Vec::new();
        let mut w = Writer::new(&mut buf, 512);
        w.log_pointers(&mut log);
        w.question(&wire("*.example.com."), Rtype::CNAME, Class::IN, false)
            .unwrap();
        let target = wire("*.example.com.");
        w.record(Owner::Question, Rtype::CNAME, Class::IN, 60, &target)
            .unwrap();
        w.finish(1, 0);
        // Owner pointer at 31; the target compresses to "\001*" + pointer to
        // "example.com." at 14, never to offset 12.
        assert_eq!(log, vec![31, 45]);
        assert_eq!(&buf[43..47], &[1, b'*', 0xC0, 14]);
    }
}
