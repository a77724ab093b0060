//! What kind of response a reply is, and the name that keys its account,
//! read from the reply's own bytes (RFC 1035 §4.1): no allocation, nothing
//! parsed beyond the header, the question and, for NXDOMAIN and referrals,
//! one owner name in the authority section. Also the slipped form of a
//! reply: its header and question with TC=1.
//!
//! Names are hashed label by label with ASCII case folded, so a query
//! with randomised case (0x20) and one without share their account, and
//! a name split across a compression pointer hashes as the same name
//! written out.

use super::kind::Kind;

/// The kind of a response and the hash of what keys its account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response {
    /// Its kind.
    pub kind: Kind,
    /// The hash of its key: the qname and qtype of an answer, the qname
    /// of NODATA, the zone (the SOA owner) of NXDOMAIN, the delegation
    /// (the NS owner) of a referral, nothing for errors.
    pub key: u64,
}

/// Header flag bits in the third octet.
const AA: u8 = 0x04;
const TC: u8 = 0x02;
/// At most this many labels and pointers are followed in one name (a
/// name has at most 127 labels; a loop of pointers ends here).
const MAX_STEPS: usize = 160;
/// The RR type of OPT (RFC 6891).
const OPT: u16 = 41;

fn count(message: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([message[at], message[at + 1]]))
}

/// The kind and key of `reply`; `None` for what is never limited: replies
/// to other opcodes than QUERY (NOTIFY, UPDATE), and octets too short for
/// a header.
pub fn classify(reply: &[u8]) -> Option<Response> {
    if reply.len() < 12 {
        return None;
    }
    let opcode = (reply[2] >> 3) & 0x0F;
    if opcode != 0 {
        return None;
    }
    let rcode = reply[3] & 0x0F;
    let error = Response {
        kind: Kind::Error,
        key: 0,
    };
    if rcode != 0 && rcode != 3 {
        // BIND: every error but NXDOMAIN is one response, whatever asked.
        return Some(error);
    }
    if count(reply, 4) != 1 {
        return Some(error);
    }
    let Some((qname, question_end)) = hash_name(reply, 12) else {
        return Some(error);
    };
    let Some(qtype) = reply.get(question_end..question_end + 2) else {
        return Some(error);
    };
    let qtype = u16::from_be_bytes([qtype[0], qtype[1]]);
    let answers = count(reply, 6);
    let authority = count(reply, 8);
    let sections = question_end + 4;
    let response = if rcode == 3 {
        // NXDOMAIN: by zone, so a flood of random names in one zone is one
        // account. The zone is the owner of the SOA in the authority
        // section (RFC 2308 §3), after any CNAMEs that led here.
        let zone = skip_records(reply, sections, answers)
            .filter(|_| authority > 0)
            .and_then(|at| hash_name(reply, at))
            .map_or(qname, |(hash, _)| hash);
        Response {
            kind: Kind::Nxdomain,
            key: zone,
        }
    } else if answers > 0 {
        Response {
            kind: Kind::Answer,
            key: mix(qname, u64::from(qtype)),
        }
    } else if reply[2] & AA == 0 && authority > 0 {
        // A referral: by the delegation, the owner of its NS RRset.
        let cut = hash_name(reply, sections).map_or(qname, |(hash, _)| hash);
        Response {
            kind: Kind::Referral,
            key: cut,
        }
    } else {
        // NODATA: by name, whatever type was asked (as BIND).
        Response {
            kind: Kind::Nodata,
            key: qname,
        }
    };
    Some(response)
}

/// Turns `reply` into its slipped form: header and question only, TC=1
/// (RFC 1035 §4.1.1: the client retries over TCP), with an empty OPT when
/// the reply had one, as a response to an EDNS query should (RFC 6891
/// §7). A reply whose question cannot be read keeps its header alone.
pub fn slip_reply(reply: &mut Vec<u8>) {
    if reply.len() < 12 {
        return;
    }
    let question_end = if count(reply, 4) == 1 {
        skip_name(reply, 12)
            .map(|end| end + 4)
            .filter(|&end| end <= reply.len())
    } else {
        None
    };
    let opt = question_end.and_then(|end| find_opt(reply, end));
    reply.truncate(question_end.unwrap_or(12));
    if question_end.is_none() {
        reply[4..6].copy_from_slice(&0u16.to_be_bytes());
    }
    reply[2] |= TC;
    reply[6..10].fill(0);
    reply[10..12].copy_from_slice(&u16::from(opt.is_some()).to_be_bytes());
    if let Some((class, ttl)) = opt {
        reply.push(0);
        reply.extend_from_slice(&OPT.to_be_bytes());
        reply.extend_from_slice(&class);
        reply.extend_from_slice(&ttl);
        reply.extend_from_slice(&[0, 0]);
    }
}

/// The CLASS (payload size) and TTL (extended RCODE, version, flags) of
/// the OPT record among the RRs after the question, if there is one.
fn find_opt(message: &[u8], question_end: usize) -> Option<([u8; 2], [u8; 4])> {
    let before = count(message, 6) + count(message, 8);
    let mut at = skip_records(message, question_end, before)?;
    for _ in 0..count(message, 10) {
        let fixed = skip_name(message, at)?;
        let header = message.get(fixed..fixed + 10)?;
        if u16::from_be_bytes([header[0], header[1]]) == OPT {
            return Some((
                [header[2], header[3]],
                [header[4], header[5], header[6], header[7]],
            ));
        }
        at = fixed + 10 + usize::from(u16::from_be_bytes([header[8], header[9]]));
    }
    None
}

/// Where the RR after `records` RRs starting at `at` begins.
fn skip_records(message: &[u8], mut at: usize, records: usize) -> Option<usize> {
    for _ in 0..records {
        let fixed = skip_name(message, at)?;
        let header = message.get(fixed..fixed + 10)?;
        at = fixed + 10 + usize::from(u16::from_be_bytes([header[8], header[9]]));
    }
    (at <= message.len()).then_some(at)
}

/// Where the name at `at` ends in place (after its root label or its
/// first pointer).
fn skip_name(message: &[u8], mut at: usize) -> Option<usize> {
    for _ in 0..MAX_STEPS {
        let len = *message.get(at)?;
        match len {
            0 => return Some(at + 1),
            l if l & 0xC0 == 0xC0 => return (at + 2 <= message.len()).then_some(at + 2),
            l if l & 0xC0 == 0 => at += 1 + usize::from(l),
            _ => return None,
        }
    }
    None
}

/// The hash of the name at `at` (pointers followed, case folded), and
/// where it ends in place.
fn hash_name(message: &[u8], mut at: usize) -> Option<(u64, usize)> {
    let mut hash = 0u64;
    let mut end = None;
    for _ in 0..MAX_STEPS {
        let len = *message.get(at)?;
        match len {
            0 => return Some((mix(hash, 0), end.unwrap_or(at + 1))),
            l if l & 0xC0 == 0xC0 => {
                let low = *message.get(at + 1)?;
                end.get_or_insert(at + 2);
                at = (usize::from(l & 0x3F) << 8) | usize::from(low);
            }
            l if l & 0xC0 == 0 => {
                let label = message.get(at + 1..at + 1 + usize::from(l))?;
                hash = mix(hash, u64::from(l));
                for chunk in label.chunks(8) {
                    let mut word = [0u8; 8];
                    word[..chunk.len()].copy_from_slice(chunk);
                    hash = mix(hash, fold_case(u64::from_le_bytes(word)));
                }
                at += 1 + usize::from(l);
            }
            _ => return None,
        }
    }
    None
}

/// ASCII upper case to lower case in eight octets at once: a byte gets
/// 0x20 added when it is in `A`..=`Z` (top bit clear, ≥ 0x41, ≤ 0x5A).
fn fold_case(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low7 = word & !HIGH;
    let at_least_a = low7 + (0x80 - u64::from(b'A')) * ONES;
    let above_z = low7 + (0x80 - u64::from(b'Z') - 1) * ONES;
    let upper = at_least_a & !above_z & !word & HIGH;
    word | (upper >> 2)
}

/// One step of the hash (a multiply-rotate mix, as FxHash's, strong enough
/// for a table whose index is then scrambled by [`finish`]).
pub(super) fn mix(hash: u64, value: u64) -> u64 {
    (hash.rotate_left(5) ^ value).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

/// Spreads every input bit over the word (MurmurHash3's finaliser), so the
/// low bits index the table and the high bits make the tag.
pub(super) fn finish(mut hash: u64) -> u64 {
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_case_lowers_letters_only() {
        let text = *b"AZaz@[`{";
        let folded = fold_case(u64::from_le_bytes(text)).to_le_bytes();
        assert_eq!(&folded, b"azaz@[`{");
        let high = [0xC1u8, 0xDA, b'Q', 0x7F, 0, 0x40, 0x5B, b'M'];
        let folded = fold_case(u64::from_le_bytes(high)).to_le_bytes();
        assert_eq!(folded, [0xC1, 0xDA, b'q', 0x7F, 0, 0x40, 0x5B, b'm']);
    }

    #[test]
    fn a_name_hashes_the_same_through_a_pointer() {
        // "www.example.com" written out at 0, and "www" + pointer to
        // "example.com" (at offset 4 of the first).
        let mut message = b"\x03www\x07example\x03com\x00".to_vec();
        let second = message.len();
        message.extend_from_slice(b"\x03WWW\xC0\x04");
        let (a, end_a) = hash_name(&message, 0).expect("written out");
        let (b, end_b) = hash_name(&message, second).expect("compressed");
        assert_eq!(a, b);
        assert_eq!(end_a, second);
        assert_eq!(end_b, message.len());
    }

    #[test]
    fn pointer_loops_and_truncation_end_without_a_hash() {
        assert_eq!(hash_name(b"\xC0\x00", 0), None);
        assert_eq!(hash_name(b"\x05ab", 0), None);
        assert_eq!(skip_name(b"\x03ab", 0), None);
        assert_eq!(classify(&[0; 11]), None);
    }
}
