//! NOTIFY out (RFC 1996): the message, the acknowledgement check and the
//! retry schedule, without I/O.

use std::time::Duration;

use wire::header::{Header, flags};
use wire::writer::{Owner, Section, Writer};
use wire::{Class, Message, Name, Opcode, Rcode, Record, Rtype};

/// How often and how patiently a NOTIFY is repeated until acknowledged
/// (RFC 1996 §3.6 asks for retransmission with back-off).
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Sends in all, the first included.
    pub attempts: u32,
    /// Wait for an answer to the first send; doubles after each.
    pub first_timeout: Duration,
}

impl Default for RetryPolicy {
    /// Five sends, waiting 1, 2, 4, 8 and 16 s: about half a minute in all,
    /// close to BIND's behaviour.
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            first_timeout: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// How long to wait for the answer to send number `attempt` (0-based).
    pub fn timeout(&self, attempt: u32) -> Duration {
        self.first_timeout.saturating_mul(1 << attempt.min(16))
    }
}

/// A NOTIFY for `apex` with the current SOA in the answer section (a hint
/// RFC 1996 §3.7 allows), unsigned; the caller adds TSIG when configured.
pub fn message(id: u16, apex: &Name, soa: Option<&Record>) -> Vec<u8> {
    let mut buf = Vec::with_capacity(512);
    let mut writer = Writer::new(&mut buf, 512);
    // Cannot fail: one name and one SOA always fit in 512 octets.
    let _ = writer.question(apex.as_wire(), Rtype::SOA, Class::IN, true);
    if let Some(soa) = soa {
        writer.set_section(Section::Answer);
        let _ = writer.record(Owner::Question, Rtype::SOA, Class::IN, soa.ttl, &soa.rdata);
    }
    let mut header = Header::default();
    header.set_opcode(Opcode::NOTIFY);
    header.set_flag(flags::AA, true);
    writer.finish(id, header.bits);
    buf
}

/// Why a reply does not acknowledge our NOTIFY.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// Not a response to our message (ID, opcode, QR or question differ).
    #[error("not a reply to our NOTIFY")]
    Unrelated,
    /// The secondary answered with an error (REFUSED, NOTAUTH, …).
    #[error("the secondary answered {0}")]
    Rcode(Rcode),
    /// The reply does not parse.
    #[error("malformed reply: {0}")]
    Malformed(String),
}

/// Checks that `reply` acknowledges the NOTIFY with `id` for `apex`.
pub fn check_ack(reply: &[u8], id: u16, apex: &Name) -> Result<(), AckError> {
    let message = Message::parse(reply).map_err(|e| AckError::Malformed(e.to_string()))?;
    let h = message.header;
    if h.id != id || !h.flag(flags::QR) || h.opcode() != Opcode::NOTIFY {
        return Err(AckError::Unrelated);
    }
    if let Some(q) = message.question()
        && q.qname != *apex
    {
        return Err(AckError::Unrelated);
    }
    match message.rcode() {
        Rcode::NOERROR => Ok(()),
        other => Err(AckError::Rcode(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_message_has_opcode_aa_question_and_soa() {
        let apex: Name = "example.".parse().unwrap();
        let soa = Record {
            owner: apex.clone(),
            rtype: Rtype::SOA,
            class: Class::IN,
            ttl: 60,
            rdata: [apex.as_wire(), apex.as_wire(), &[0, 0, 0, 7], &[0; 16]].concat(),
        };
        let bytes = message(77, &apex, Some(&soa));
        let m = Message::parse(&bytes).unwrap();
        assert_eq!(m.header.opcode(), Opcode::NOTIFY);
        assert!(m.header.flag(flags::AA) && !m.header.flag(flags::QR));
        assert_eq!(m.questions[0].qtype, Rtype::SOA);
        assert_eq!(m.answer[0].rdata, soa.rdata);
    }

    #[test]
    fn acknowledgements_are_checked() {
        let apex: Name = "example.".parse().unwrap();
        let mut reply = message(77, &apex, None);
        reply[2] |= 0x80;
        assert_eq!(check_ack(&reply, 77, &apex), Ok(()));
        assert_eq!(check_ack(&reply, 78, &apex), Err(AckError::Unrelated));
        assert_eq!(
            check_ack(&reply, 77, &"other.".parse().unwrap()),
            Err(AckError::Unrelated)
        );
        reply[3] = (reply[3] & 0xF0) | 5;
        assert_eq!(
            check_ack(&reply, 77, &apex),
            Err(AckError::Rcode(Rcode::REFUSED))
        );
        assert!(matches!(
            check_ack(&reply[..5], 77, &apex),
            Err(AckError::Malformed(_))
        ));
    }

    #[test]
    fn retries_back_off() {
        let p = RetryPolicy::default();
        assert_eq!(p.timeout(0), Duration::from_secs(1));
        assert_eq!(p.timeout(4), Duration::from_secs(16));
    }
}
