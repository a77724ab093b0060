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
    /// The user's credential stamp at login (`Store::credential_stamp`):
    /// the session ends when the store's differs.
    pub stamp: [u8; 16],
    /// Whether the user is an admin now: the navigation links the admin
    /// pages for admins only. Set on every request from the store's
    /// rights (`UiSession`), false until then.
    pub admin: bool,
}

#[derive(Debug)]
struct Session {
    user: String,
    csrf: String,
    stamp: [u8; 16],
    created: u64,
    last_seen: u64,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<String, Session>,
    failures: HashMap<IpAddr, VecDeque<u64>>,
}

/// Every session of the node, and the failed-login counts.
pub(crate) struct Sessions {
    inner: Mutex<Inner>,
    password_checks: tokio::sync::Semaphore,
}

/// Password checks run at once at most (each takes a core for a while).
const PASSWORD_CHECKS_AT_ONCE: usize = 2;

impl Default for Sessions {
    fn default() -> Sessions {
        Sessions {
            inner: Mutex::default(),
            password_checks: tokio::sync::Semaphore::new(PASSWORD_CHECKS_AT_ONCE),
        }
    }
}

/// Failed logins are counted per IPv4 address, and per /64 for IPv6.
fn failure_key(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(
                u128::from(v6) & !((1u128 << 64) - 1),
            )),
        },
        v4 => v4,
    }
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
    pub(crate) fn create(&self, user: &str, stamp: [u8; 16], now: u64) -> (String, SessionView) {
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
                stamp,
                created: now,
                last_seen: now,
            },
        );
        (
            id,
            SessionView {
                user: user.to_string(),
                csrf,
                stamp,
                admin: false,
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
            stamp: session.stamp,
            admin: false,
        })
    }

    /// Gives session `id` a new credential stamp (its user just changed
    /// their own password and stays logged in here).
    pub(crate) fn restamp(&self, id: &str, stamp: [u8; 16]) {
        if let Some(session) = self.lock().sessions.get_mut(id) {
            session.stamp = stamp;
        }
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

    /// Starts a login attempt from `client` at `now`: refused when the
    /// address (an IPv6 client by its /64, which one host usually holds
    /// whole) has used up its failures; otherwise the attempt counts as a
    /// failure at once, so attempts sent in parallel cannot all slip through
    /// before their results are in, and [`Sessions::login_succeeded`] takes
    /// it back.
    pub(crate) fn begin_login(&self, client: IpAddr, now: u64) -> Result<(), TooManyFailures> {
        let key = failure_key(client);
        let mut inner = self.lock();
        if inner.failures.len() >= MAX_TRACKED && !inner.failures.contains_key(&key) {
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
        let failures = inner.failures.entry(key).or_default();
        while failures.front().is_some_and(|&t| t + FAILURE_WINDOW <= now) {
            failures.pop_front();
        }
        if failures.len() >= MAX_FAILURES {
            let oldest = failures.front().copied().unwrap_or(now);
            return Err(TooManyFailures {
                retry_after: (oldest + FAILURE_WINDOW).saturating_sub(now).max(1),
            });
        }
        failures.push_back(now);
        Ok(())
    }

    /// Forgets the failures of `client` after a successful login.
    pub(crate) fn login_succeeded(&self, client: IpAddr) {
        self.lock().failures.remove(&failure_key(client));
    }

    /// Waits for a turn to check a password: Argon2 is deliberately
    /// costly, and a burst of logins must not take every CPU.
    pub(crate) async fn password_check_turn(&self) -> tokio::sync::SemaphorePermit<'_> {
        // The semaphore is never closed, so acquiring cannot fail.
        self.password_checks
            .acquire()
            .await
            .expect("the password-check semaphore is never closed")
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
        let (id, view) = sessions.create("admin", [0; 16], 1_000);
        assert_eq!(view.user, "admin");
        assert_eq!(view.csrf.len(), 64);
        assert_eq!(
            sessions.get(&id, 1_000 + IDLE_TIMEOUT - 1),
            Some(view.clone())
        );
        // Used just now, so the idle clock restarted.
        assert!(sessions.get(&id, 1_000 + IDLE_TIMEOUT + 10).is_some());
        assert!(sessions.get(&id, 1_000 + 2 * IDLE_TIMEOUT + 20).is_none());

        let (busy, _) = sessions.create("admin", [0; 16], 0);
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
        let (a, _) = sessions.create("alice", [0; 16], 0);
        let (b, _) = sessions.create("bob", [0; 16], 0);
        let (a2, _) = sessions.create("alice", [0; 16], 0);
        assert_ne!(a, a2, "every session gets its own identifier");
        sessions.remove(&a);
        assert!(sessions.get(&a, 1).is_none());
        assert!(
            sessions.get(&a2, 1).is_some(),
            "only the session logged out"
        );
        assert!(sessions.get(&b, 1).is_some());
        assert!(sessions.get("not-a-session", 1).is_none());
        let (a3, _) = sessions.create("alice", [0; 16], 0);
        sessions.remove_user_except("alice", &a3);
        assert!(sessions.get(&a2, 1).is_none());
        assert!(sessions.get(&a3, 1).is_some());
        assert!(sessions.get(&b, 1).is_some(), "other users keep theirs");
        sessions.remove_user_except("alice", "");
        assert!(sessions.get(&a3, 1).is_none());
    }

    #[test]
    fn login_attempts_are_limited_per_address_and_forgotten_in_time() {
        let sessions = Sessions::default();
        // Five attempts pass (each counted at once, as a failure)…
        for t in 0..MAX_FAILURES as u64 {
            assert_eq!(sessions.begin_login(CLIENT, 10 + t), Ok(()));
        }
        // …the sixth waits until the first leaves the window.
        assert_eq!(
            sessions.begin_login(CLIENT, 20),
            Err(TooManyFailures {
                retry_after: 10 + FAILURE_WINDOW - 20
            })
        );
        assert_eq!(sessions.begin_login(OTHER, 20), Ok(()), "per address");
        assert_eq!(sessions.begin_login(CLIENT, 10 + FAILURE_WINDOW), Ok(()));
        // A success takes the count back.
        sessions.login_succeeded(CLIENT);
        for t in 0..MAX_FAILURES as u64 {
            assert_eq!(sessions.begin_login(CLIENT, 1_000 + t), Ok(()));
        }
        assert!(sessions.begin_login(CLIENT, 1_010).is_err());
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let sessions = Sessions::default();
        for i in 0..MAX_FAILURES {
            let address: IpAddr = format!("2001:db8:1:2::{i:x}").parse().unwrap();
            assert!(sessions.begin_login(address, 0).is_ok());
        }
        let same_64: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        assert!(sessions.begin_login(same_64, 1).is_err());
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(sessions.begin_login(other_64, 1).is_ok());
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(failure_key(mapped), CLIENT);
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
