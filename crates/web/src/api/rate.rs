//! Requests per API token: a token bucket each, refilled at
//! `[api] requests_per_second` and holding twice that, so a script that
//! loops on the API (or a leaked token) cannot starve the node's writer and
//! the other clients. Over the rate, 429 with `Retry-After`.
//!
//! The bucket arithmetic is pure (the time is passed in); the map of
//! buckets is touched once per authenticated request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Tokens not heard from for this long are forgotten (their bucket would
/// be full again anyway).
const FORGET_AFTER: Duration = Duration::from_secs(600);

/// One token's bucket.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    /// Requests it may make now (fractions accumulate).
    allowance: f64,
    /// When `allowance` was last brought up to date.
    updated: Instant,
}

/// The buckets of every token seen, by token name.
#[derive(Debug)]
pub struct TokenRates {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl TokenRates {
    /// `per_second` requests a second for each token, bursts of twice
    /// that; 0: no limit.
    pub fn new(per_second: u32) -> TokenRates {
        let per_second = if per_second == 0 {
            f64::INFINITY
        } else {
            f64::from(per_second)
        };
        TokenRates {
            per_second,
            burst: per_second * 2.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `token`'s bucket at `now`, or says how long
    /// until one is there.
    pub fn admit(&self, token: &str, now: Instant) -> Result<(), Duration> {
        if self.per_second.is_infinite() {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 10_000 {
            // Only tokens the store knows get here; forgetting idle ones
            // keeps the map to the tokens in use.
            buckets.retain(|_, b| now.saturating_duration_since(b.updated) < FORGET_AFTER);
        }
        let bucket = buckets.entry(token.to_string()).or_insert(Bucket {
            allowance: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.allowance = (bucket.allowance + elapsed * self.per_second).min(self.burst);
        bucket.updated = now;
        if bucket.allowance >= 1.0 {
            bucket.allowance -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.allowance) / self.per_second,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_gets_its_burst_then_its_rate_and_others_are_not_affected() {
        let rates = TokenRates::new(10);
        let start = Instant::now();
        let admitted = (0..100)
            .filter(|_| rates.admit("loop", start).is_ok())
            .count();
        assert_eq!(admitted, 20, "a burst of twice the rate");
        let wait = rates.admit("loop", start).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        assert!(
            rates.admit("other", start).is_ok(),
            "another token has its own bucket"
        );
        // One second later: ten more, not twenty.
        let later = start + Duration::from_secs(1);
        let admitted = (0..100)
            .filter(|_| rates.admit("loop", later).is_ok())
            .count();
        assert_eq!(admitted, 10);
        // A long pause fills the bucket to the burst, no more.
        let much_later = later + Duration::from_secs(3600);
        let admitted = (0..100)
            .filter(|_| rates.admit("loop", much_later).is_ok())
            .count();
        assert_eq!(admitted, 20);
    }

    #[test]
    fn zero_is_no_limit() {
        let rates = TokenRates::new(0);
        let now = Instant::now();
        assert!((0..100_000).all(|_| rates.admit("any", now).is_ok()));
    }
}
