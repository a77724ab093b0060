//! One account of the limiter: a BIND-style credit balance packed into one
//! 64-bit word so the UDP workers can share the table without a lock, each
//! update a relaxed compare-and-swap.
//!
//! ```text
//!  63      60 59      52 51                32 31                      0
//! ┌─────────┬──────────┬────────────────────┬─────────────────────────┐
//! │ slipped │   tag    │  second (mod 2^20) │ balance (i32)           │
//! └─────────┴──────────┴────────────────────┴─────────────────────────┘
//! ```
//!
//! An account earns `rate` credits a second and pays one per response;
//! responses are limited while the balance is negative. It holds at most
//! one second of credit (`rate`) and at most `window` seconds of debt
//! (`-window × rate`), as BIND's accounts do: a flood that stops is
//! answered again `window` seconds later. `slipped` counts the limited
//! responses since the last slip, modulo `slip`.
//!
//! The tag is eight bits of the key's hash: another key that lands on the
//! same word (a collision) starts a fresh account there, unless the
//! account there is in debt, in which case the newcomer shares it. So a
//! collision can make a bucket stricter, never let a flood in debt start
//! again with fresh credit.

use std::sync::atomic::{AtomicU64, Ordering};

/// Seconds are kept modulo 2^20 (about 12 days): an account idle that
/// long is as good as new (its debt, at most `window` ≤ 3600 s, is paid).
const SECOND_BITS: u32 = 20;
const SECOND_MASK: u64 = (1 << SECOND_BITS) - 1;
/// Compare-and-swap attempts before a response is judged without storing
/// (only under a flood that hits one word from every worker at once).
const ATTEMPTS: usize = 4;

/// What one response did to its account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// Within the rate: send the response.
    Within,
    /// Over the rate.
    Limited {
        /// This one is the `slip`th limited response: send it truncated.
        slip: bool,
        /// The account was not in debt before: a prefix starts being
        /// limited (for the log).
        started: bool,
    },
}

/// The parameters of one response's account.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Terms {
    /// Credits a second (> 0).
    pub rate: u32,
    /// Seconds of debt at most (1..=3600).
    pub window: u32,
    /// Every `slip`th limited response is slipped; 0 never.
    pub slip: u8,
}

fn unpack(word: u64) -> (u8, u64, i64, u8) {
    let balance = i64::from(word as u32 as i32);
    let second = (word >> 32) & SECOND_MASK;
    let tag = (word >> 52) as u8;
    let slipped = (word >> 60) as u8;
    (tag, second, balance, slipped)
}

fn pack(tag: u8, second: u64, balance: i64, slipped: u8) -> u64 {
    let balance = balance.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32 as u32;
    u64::from(balance)
        | ((second & SECOND_MASK) << 32)
        | (u64::from(tag) << 52)
        | (u64::from(slipped & 0x0F) << 60)
}

/// The account in `old` after one more response with `tag` at `now`
/// (seconds), and how that response fares. `tag` must not be 0 (a zero
/// word is an unused bucket).
pub(crate) fn step(old: u64, tag: u8, now: u64, terms: Terms) -> (u64, State) {
    let rate = i64::from(terms.rate);
    let second = now & SECOND_MASK;
    let (old_tag, old_second, old_balance, old_slipped) = unpack(old);
    let age = second.wrapping_sub(old_second) & SECOND_MASK;
    let credit = |balance: i64| -> i64 {
        if age == 0 {
            balance
        } else {
            balance
                .saturating_add((age as i64).saturating_mul(rate))
                .min(rate)
        }
    };
    let (tag, balance, slipped, was_in_debt) = if old != 0 && old_tag == tag {
        (tag, credit(old_balance), old_slipped, old_balance < 0)
    } else if old != 0 && old_balance < 0 && age <= u64::from(terms.window) {
        // Someone else's account, still in debt: share it rather than
        // hand a flood that collides with us a fresh one (see the module
        // comment). It keeps its tag.
        (old_tag, credit(old_balance), old_slipped, true)
    } else {
        (tag, rate, 0, false)
    };
    let balance = balance - 1;
    if balance >= 0 {
        return (pack(tag, second, balance, slipped), State::Within);
    }
    let floor = -(i64::from(terms.window) * rate).min(i64::from(i32::MAX));
    let balance = balance.max(floor);
    let (slipped, slip) = match terms.slip {
        0 => (0, false),
        n => {
            let next = (slipped + 1) % n;
            (next, next == 0)
        }
    };
    let state = State::Limited {
        slip,
        started: !was_in_debt,
    };
    (pack(tag, second, balance, slipped), state)
}

/// Debits the account in `cell` for one response (see [`step`]).
pub(crate) fn debit(cell: &AtomicU64, tag: u8, now: u64, terms: Terms) -> State {
    let mut old = cell.load(Ordering::Relaxed);
    let mut state = State::Within;
    for _ in 0..ATTEMPTS {
        let (new, judged) = step(old, tag, now, terms);
        state = judged;
        if new == old {
            return state;
        }
        // Relaxed: the word is its own state; nothing else is published
        // through it.
        match cell.compare_exchange_weak(old, new, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return state,
            Err(current) => old = current,
        }
    }
    // Other workers won every time: judge by the last look.
    state
}
