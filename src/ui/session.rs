//! Web UI sessions, CSRF tokens and login rate limiting: the pure part,
//! driven by the caller's `now` (Unix seconds), so it is tested without
//! clocks or sockets.
//!
//! A session is a random 256-bit identifier in an HttpOnly, SameSite=Strict
//! cookie, mapped here to its user and its CSRF token (another random 256
//! bits, put into every form and checked on every state-changing request).
//! Sessions live in memory: a restarted node asks operators to log in
//! again, and nothing secret is written to disk. Failed logins are counted
//! per client address; past [`MAX_FAILURES`] within [`FAILURE_WINDOW`],
//! that address may not try again until the window has moved on.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

/// A session ends after this long without a request.
pub(crate) const IDLE_TIMEOUT: u64 = 8 * 3600;
/// A session ends this long after login, however busy.
pub(crate) const ABSOLUTE_TIMEOUT: u64 = 24 * 3600;
/// At most this many sessions at once; the oldest make way.
pub(crate) const MAX_SESSIONS: usize = 10_000;
/// Failed logins allowed from one address within [`FAILURE_WINDOW`].
pub(crate) const MAX_FAILURES: usize = 5;
/// The window (seconds) over which failed logins are counted.
pub(crate) const FAILURE_WINDOW: u64 = 300;
/// At most this many addresses are tracked for failures (the oldest make way).
const MAX_TRACKED: usize = 100_000;

/// A logged-in user, as a request sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SessionView {
    /// The user's name.
    pub user: String,
    /// The token every form of this session carries.
    pub csrf: String,
}

#[derive(Debug)]
struct Session {
    user: String,
    csrf: String,
    created: u64,
    last_seen: u64,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<String, Session>,
    failures: HashMap<IpAddr, VecDeque<u64>>,
}

/// Every session of the node, and the failed-login counts.
#[derive(Default)]
pub(crate) struct Sessions {
    inner: Mutex<Inner>,
}

/// Why a login may not be tried now.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TooManyFailures {
    /// Seconds until the next try is allowed.
    pub retry_after: u64,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain maps behind, still
        // consistent enough to use.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a session for `user`; returns its identifier (for the
    /// cookie) and its view.
    pub(crate) fn create(&self, user: &str, now: u64) -> (String, SessionView) {
        let id = random_token();
        let csrf = random_token();
        let mut inner = self.lock();
        inner.sessions.retain(|_, s| alive(s, now));
        if inner.sessions.len() >= MAX_SESSIONS
            && let Some(oldest) = inner
                .sessions
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(id, _)| id.clone())
        {
            inner.sessions.remove(&oldest);
        }
        inner.sessions.insert(
            id.clone(),
            Session {
                user: user.to_string(),
                csrf: csrf.clone(),
                created: now,
                last_seen: now,
            },
        );
        (
            id,
            SessionView {
                user: user.to_string(),
                csrf,
            },
        )
    }

    /// The live session with identifier `id`, marked as used at `now`.
    pub(crate) fn get(&self, id: &str, now: u64) -> Option<SessionView> {
        let mut inner = self.lock();
        let session = inner.sessions.get_mut(id)?;
        if !alive(session, now) {
            inner.sessions.remove(id);
            return None;
        }
        session.last_seen = now;
        Some(SessionView {
            user: session.user.clone(),
            csrf: session.csrf.clone(),
        })
    }

    /// Ends the session `id` (logout).
    pub(crate) fn remove(&self, id: &str) {
        self.lock().sessions.remove(id);
    }

    /// Ends every session of `user` but `keep` (its password was reset, or
    /// it was disabled: pass `""` to keep none).
    pub(crate) fn remove_user_except(&self, user: &str, keep: &str) {
        self.lock()
            .sessions
            .retain(|id, s| s.user != user || id == keep);
    }

    /// Whether `client` may try to log in at `now`.
    pub(crate) fn login_allowed(&self, client: IpAddr, now: u64) -> Result<(), TooManyFailures> {
        let mut inner = self.lock();
        let Some(failures) = inner.failures.get_mut(&client) else {
            return Ok(());
        };
        while failures.front().is_some_and(|&t| t + FAILURE_WINDOW <= now) {
            failures.pop_front();
        }
        if failures.len() < MAX_FAILURES {
            if failures.is_empty() {
                inner.failures.remove(&client);
            }
            return Ok(());
        }
        let oldest = failures.front().copied().unwrap_or(now);
        Err(TooManyFailures {
            retry_after: (oldest + FAILURE_WINDOW).saturating_sub(now).max(1),
        })
    }

    /// Counts a failed login from `client`.
    pub(crate) fn login_failed(&self, client: IpAddr, now: u64) {
        let mut inner = self.lock();
        if inner.failures.len() >= MAX_TRACKED && !inner.failures.contains_key(&client) {
            inner
                .failures
                .retain(|_, f| f.back().is_some_and(|&t| t + FAILURE_WINDOW > now));
            if inner.failures.len() >= MAX_TRACKED {
                // Under a flood of addresses, forget one to stay bounded.
                if let Some(any) = inner.failures.keys().next().copied() {
                    inner.failures.remove(&any);
                }
            }
        }
        let failures = inner.failures.entry(client).or_default();
        failures.push_back(now);
        while failures.len() > MAX_FAILURES {
            failures.pop_front();
        }
    }

    /// Forgets the failures of `client` after a successful login.
    pub(crate) fn login_succeeded(&self, client: IpAddr) {
        self.lock().failures.remove(&client);
    }
}

fn alive(session: &Session, now: u64) -> bool {
    now < session.last_seen.saturating_add(IDLE_TIMEOUT)
        && now < session.created.saturating_add(ABSOLUTE_TIMEOUT)
}

/// 256 random bits from the operating system, as 64 hex digits.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The OS random source failing is not something a node can serve
    // through; getrandom documents it as unrecoverable in practice.
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two tokens in time that depends only on their lengths.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn sessions_expire_when_idle_and_after_the_absolute_limit() {
        let sessions = Sessions::default();
        let (id, view) = sessions.create("admin", 1_000);
        assert_eq!(view.user, "admin");
        assert_eq!(view.csrf.len(), 64);
        assert_eq!(
            sessions.get(&id, 1_000 + IDLE_TIMEOUT - 1),
            Some(view.clone())
        );
        // Used just now, so the idle clock restarted.
        assert!(sessions.get(&id, 1_000 + IDLE_TIMEOUT + 10).is_some());
        assert!(sessions.get(&id, 1_000 + 2 * IDLE_TIMEOUT + 20).is_none());

        let (busy, _) = sessions.create("admin", 0);
        let mut now = 0;
        while now + 3600 < ABSOLUTE_TIMEOUT {
            now += 3600;
            assert!(sessions.get(&busy, now).is_some());
        }
        assert!(sessions.get(&busy, ABSOLUTE_TIMEOUT).is_none());
    }

    #[test]
    fn logout_and_user_changes_end_sessions() {
        let sessions = Sessions::default();
        let (a, _) = sessions.create("alice", 0);
        let (b, _) = sessions.create("bob", 0);
        let (a2, _) = sessions.create("alice", 0);
        assert_ne!(a, a2, "every session gets its own identifier");
        sessions.remove(&a);
        assert!(sessions.get(&a, 1).is_none());
        assert!(
            sessions.get(&a2, 1).is_some(),
            "only the session logged out"
        );
        assert!(sessions.get(&b, 1).is_some());
        assert!(sessions.get("not-a-session", 1).is_none());
        let (a3, _) = sessions.create("alice", 0);
        sessions.remove_user_except("alice", &a3);
        assert!(sessions.get(&a2, 1).is_none());
        assert!(sessions.get(&a3, 1).is_some());
        assert!(sessions.get(&b, 1).is_some(), "other users keep theirs");
        sessions.remove_user_except("alice", "");
        assert!(sessions.get(&a3, 1).is_none());
    }

    #[test]
    fn failed_logins_are_limited_per_address_and_forgotten_in_time() {
        let sessions = Sessions::default();
        for t in 0..MAX_FAILURES as u64 {
            assert_eq!(sessions.login_allowed(CLIENT, 10 + t), Ok(()));
            sessions.login_failed(CLIENT, 10 + t);
        }
        assert_eq!(
            sessions.login_allowed(CLIENT, 20),
            Err(TooManyFailures {
                retry_after: 10 + FAILURE_WINDOW - 20
            })
        );
        assert_eq!(sessions.login_allowed(OTHER, 20), Ok(()), "per address");
        assert_eq!(sessions.login_allowed(CLIENT, 10 + FAILURE_WINDOW), Ok(()));
        sessions.login_failed(CLIENT, 10 + FAILURE_WINDOW);
        sessions.login_succeeded(CLIENT);
        for t in 0..MAX_FAILURES as u64 - 1 {
            sessions.login_failed(CLIENT, 1_000 + t);
        }
        assert_eq!(sessions.login_allowed(CLIENT, 1_010), Ok(()));
    }

    #[test]
    fn tokens_compare_only_when_equal() {
        let token = random_token();
        assert!(same_token(&token, &token.clone()));
        assert!(!same_token(&token, &random_token()));
        assert!(!same_token(&token, &token[1..]));
        assert!(!same_token("", "x"));
    }
}
