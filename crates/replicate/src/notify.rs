//! NOTIFY out (RFC 1996): the message, the acknowledgement check and the
//! retry schedule, without I/O.

use std::time::Duration;

use wire::header::{Header, flags};
use wire::writer::{Owner, Section, Writer};
use wire::{Class, Message, Name, Opcode, Rcode, Record, Rtype};

/// How a NOTIFY is repeated until acknowledged (RFC 1996 §3.6 asks for
/// retransmission with back-off): the wait for an answer starts at
/// `first_timeout`, doubles after each unanswered send up to `max_timeout`
/// (jittered by ±10 % there), and sends go on for a window, the zone's
/// refresh interval, after which the target's own refresh timer (RFC 1034
/// §4.3.5) finds the change anyway. An answer is listened for at most
/// [`ACK_WAIT`] after each send; the rest of the wait needs no socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait for an answer to the first send.
    pub first_timeout: Duration,
    /// The longest wait between two sends: a target that comes back is
    /// reached at most this long after it does.
    pub max_timeout: Duration,
    /// The shortest window, for zones whose refresh interval is shorter.
    pub min_window: Duration,
}

impl Default for RetryPolicy {
    /// Waits of 1, 2, 4, 8, 16, 32 s, then every 60 s, for at least half
    /// a minute (the whole of the old schedule) and otherwise the zone's
    /// refresh interval.
    fn default() -> RetryPolicy {
        RetryPolicy {
            first_timeout: Duration::from_secs(1),
            max_timeout: Duration::from_secs(60),
            min_window: Duration::from_secs(31),
        }
    }
}

impl RetryPolicy {
    /// How long to wait for the answer to send number `attempt` (0-based).
    pub fn timeout(&self, attempt: u32) -> Duration {
        self.first_timeout
            .saturating_mul(1 << attempt.min(16))
            .min(self.max_timeout)
    }

    /// The retransmission of one NOTIFY, the first send made at `now`,
    /// going on for `window` (the zone's refresh interval).
    pub fn start<T: Clock>(&self, now: T, window: Duration) -> Retransmission<T> {
        Retransmission {
            policy: *self,
            ends: now.plus(window.max(self.min_window)),
            sent: 0,
        }
    }
}

/// How long an acknowledgement is listened for after a send, at most: a
/// target that answers does so within a round trip, and a NOTIFY to a dead
/// target must not hold a socket (a file descriptor) for its whole window.
pub const ACK_WAIT: Duration = Duration::from_secs(4);

/// How far the waits at `max_timeout` are jittered either way: zones that
/// changed together would otherwise retransmit in lockstep for hours.
pub const RETRY_JITTER: f64 = 0.1;

/// A point in time the retry schedule can add to: `std::time::Instant`
/// in the driver, anything monotonic in tests.
pub trait Clock: Copy + Ord {
    /// `self + duration`.
    fn plus(self, duration: Duration) -> Self;
}

impl Clock for std::time::Instant {
    fn plus(self, duration: Duration) -> Self {
        self + duration
    }
}

impl Clock for std::time::SystemTime {
    fn plus(self, duration: Duration) -> Self {
        self + duration
    }
}

/// What to do once the wait after a send ends without an acknowledgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterWait {
    /// Send again.
    SendAgain,
    /// The window is over: give up (the target's refresh timer takes over).
    GiveUp,
}

/// How long to wait for an acknowledgement, and what then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait<T> {
    /// Until when an answer is listened for (the socket is held until
    /// then): at most [`ACK_WAIT`] after the send, never after `until`.
    pub listen_until: T,
    /// When to send again if no answer came.
    pub until: T,
    /// What to do if none came.
    pub then: AfterWait,
}

/// The retransmission state of one NOTIFY to one target, driven by `now`.
#[derive(Clone, Copy, Debug)]
pub struct Retransmission<T> {
    policy: RetryPolicy,
    ends: T,
    sent: u32,
}

impl<T: Clock> Retransmission<T> {
    /// Records a send made at `now` and says how long to listen for its
    /// acknowledgement and when to send again. `jitter`, in [0, 1), moves
    /// the waits at `max_timeout` by up to [`RETRY_JITTER`] either way
    /// (0.5: not at all); the shorter back-off waits are kept exact. The
    /// last send is listened for as long as the others.
    pub fn sent(&mut self, now: T, jitter: f64) -> Wait<T> {
        let mut timeout = self.policy.timeout(self.sent);
        if timeout >= self.policy.max_timeout {
            let jitter = if jitter.is_finite() {
                jitter.clamp(0.0, 1.0)
            } else {
                0.5
            };
            timeout = timeout.mul_f64(1.0 - RETRY_JITTER + 2.0 * RETRY_JITTER * jitter);
        }
        self.sent = self.sent.saturating_add(1);
        let until = now.plus(timeout);
        let then = if until >= self.ends {
            AfterWait::GiveUp
        } else {
            AfterWait::SendAgain
        };
        Wait {
            listen_until: now.plus(timeout.min(ACK_WAIT)),
            until,
            then,
        }
    }

    /// Sends made so far.
    pub fn sends(&self) -> u32 {
        self.sent
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
    fn retries_back_off_up_to_a_minute() {
        let p = RetryPolicy::default();
        assert_eq!(p.timeout(0), Duration::from_secs(1));
        assert_eq!(p.timeout(4), Duration::from_secs(16));
        assert_eq!(p.timeout(6), Duration::from_secs(60));
        assert_eq!(p.timeout(40), Duration::from_secs(60));
    }

    /// A simulated clock: seconds since the first send.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct Seconds(u64);

    impl Clock for Seconds {
        fn plus(self, d: Duration) -> Seconds {
            Seconds(self.0 + d.as_secs())
        }
    }

    /// Drives a retransmission against a target that answers from
    /// `back_at` on, with no answer before: returns the times of the sends
    /// and when the NOTIFY was acknowledged, if it was.
    fn run(window: Duration, back_at: u64) -> (Vec<u64>, Option<u64>) {
        let mut r = RetryPolicy::default().start(Seconds(0), window);
        let mut now = Seconds(0);
        let mut sends = Vec::new();
        loop {
            sends.push(now.0);
            if now.0 >= back_at {
                return (sends, Some(now.0));
            }
            let wait = r.sent(now, 0.5);
            assert!(wait.listen_until <= wait.until);
            assert!(wait.listen_until <= now.plus(ACK_WAIT));
            now = wait.until;
            if wait.then == AfterWait::GiveUp {
                return (sends, None);
            }
        }
    }

    #[test]
    fn a_target_down_for_two_minutes_is_reached_within_a_minute_of_its_return() {
        // Refresh one hour: a target back after 120 s gets the NOTIFY.
        let (sends, acknowledged) = run(Duration::from_secs(3600), 120);
        assert_eq!(&sends[..8], &[0, 1, 3, 7, 15, 31, 63, 123]);
        assert_eq!(acknowledged, Some(123));
        // Wherever in the window it comes back, the wait is at most 60 s.
        for back in [20, 121, 1000, 3500] {
            let (_, acknowledged) = run(Duration::from_secs(3600), back);
            let at = acknowledged.expect("reached within the window");
            assert!(
                at >= back && at - back <= 60,
                "back at {back}, reached at {at}"
            );
        }
    }

    #[test]
    fn sends_go_on_for_the_refresh_interval_then_stop() {
        let (sends, acknowledged) = run(Duration::from_secs(3600), u64::MAX);
        assert_eq!(acknowledged, None);
        let last = *sends.last().unwrap();
        assert!(last < 3600, "no send after the window: {last}");
        assert!(last + 60 >= 3600, "sends until the window ends: {last}");
        // 0, 1, 3, 7, 15, 31, then 63, 123, … 3543: once a minute.
        assert_eq!(sends.len(), 6 + 59);
    }

    #[test]
    fn a_short_refresh_still_gets_the_old_half_minute_of_retries() {
        let (sends, acknowledged) = run(Duration::from_secs(5), u64::MAX);
        assert_eq!(acknowledged, None);
        assert_eq!(sends, [0, 1, 3, 7, 15]);
        let (sends, _) = run(Duration::from_secs(60), u64::MAX);
        assert_eq!(sends, [0, 1, 3, 7, 15, 31]);
    }

    #[test]
    fn sockets_are_held_a_few_seconds_a_send_and_the_minute_waits_are_jittered() {
        let start = std::time::SystemTime::UNIX_EPOCH;
        let mut r = RetryPolicy::default().start(start, Duration::from_secs(3600));
        let mut now = start;
        let mut gaps = Vec::new();
        for send in 0..20 {
            let jitter = f64::from(send % 5) / 4.0 * 0.999;
            let wait = r.sent(now, jitter);
            let listen = wait.listen_until.duration_since(now).unwrap();
            let gap = wait.until.duration_since(now).unwrap();
            assert!(listen <= ACK_WAIT && listen <= gap, "send {send}");
            if send < 6 {
                assert_eq!(gap, Duration::from_secs(1 << send), "back-off exact");
                assert_eq!(listen, gap.min(ACK_WAIT));
            } else {
                assert!(
                    gap >= Duration::from_secs(54) && gap <= Duration::from_secs(66),
                    "send {send}: {gap:?}"
                );
                assert_eq!(listen, ACK_WAIT, "the socket is dropped after 4 s");
            }
            gaps.push(gap);
            now = wait.until;
        }
        assert!(gaps[6..].iter().any(|g| *g < Duration::from_secs(57)));
        assert!(gaps[6..].iter().any(|g| *g > Duration::from_secs(63)));
        // Out-of-range jitter is clamped, not trusted.
        let mut r = RetryPolicy::default().start(start, Duration::from_secs(3600));
        for _ in 0..6 {
            r.sent(start, 0.5);
        }
        let wait = r.sent(start, f64::NAN);
        assert_eq!(wait.until, start + Duration::from_secs(60));
        let wait = r.sent(start, 7.0);
        assert_eq!(wait.until, start + Duration::from_secs(66));
    }
}
