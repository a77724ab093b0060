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
    /// Names the session on the account page: not its identifier, which
    /// is the cookie's secret and never shown.
    handle: String,
    /// Where and with what it logged in.
    origin: SessionOrigin,
}

/// Where a session was started from, as the account page shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SessionOrigin {
    /// The client's address at login.
    pub client: Option<IpAddr>,
    /// The browser's `User-Agent` at login, at most [`MAX_USER_AGENT`]
    /// characters.
    pub user_agent: String,
}

/// The longest `User-Agent` kept with a session, in characters.
const MAX_USER_AGENT: usize = 256;

/// One of a user's sessions, as the account page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SessionInfo {
    /// What the page names it by (revoking takes this).
    pub handle: String,
    /// Unix time of the login.
    pub created: u64,
    /// Unix time of its latest request.
    pub last_seen: u64,
    /// Where it logged in from.
    pub origin: SessionOrigin,
    /// Whether it is the session asking.
    pub current: bool,
}

/// A session's identifier (its cookie's value) as a map key: equal only
/// when [`same_token`] says so. A lookup compares the cookie a client sent
/// with the identifiers whose hash it shares, and a plain string compare
/// would stop at the first octet that differs, telling a patient client
/// how much of a live identifier it has guessed.
#[derive(Clone, Debug)]
struct SessionId(String);

// Hashes the string, as `str` does: equal keys (equal strings) hash alike.
impl std::hash::Hash for SessionId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl SessionId {
    /// The key for a cookie's value.
    fn of(id: &str) -> SessionId {
        SessionId(id.to_string())
    }
}

impl PartialEq for SessionId {
    fn eq(&self, other: &SessionId) -> bool {
        same_token(&self.0, &other.0)
    }
}

// Equal exactly when the strings are, so `Hash` of the string agrees.
impl Eq for SessionId {}

#[derive(Default)]
struct Inner {
    sessions: HashMap<SessionId, Session>,
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

    /// Starts a session for `user` from an unknown origin; returns its
    /// identifier (for the cookie) and its view. The tests' shorthand.
    #[cfg(test)]
    pub(crate) fn create(&self, user: &str, stamp: [u8; 16], now: u64) -> (String, SessionView) {
        self.create_from(user, stamp, SessionOrigin::default(), now)
    }

    /// Starts a session for `user` logged in from `origin`; returns its
    /// identifier (for the cookie) and its view.
    pub(crate) fn create_from(
        &self,
        user: &str,
        stamp: [u8; 16],
        mut origin: SessionOrigin,
        now: u64,
    ) -> (String, SessionView) {
        if origin.user_agent.chars().count() > MAX_USER_AGENT {
            origin.user_agent = origin.user_agent.chars().take(MAX_USER_AGENT).collect();
        }
        let handle = random_token()[..16].to_string();
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
            SessionId::of(&id),
            Session {
                user: user.to_string(),
                csrf: csrf.clone(),
                stamp,
                created: now,
                last_seen: now,
                handle,
                origin,
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
        let key = SessionId::of(id);
        let session = inner.sessions.get_mut(&key)?;
        if !alive(session, now) {
            inner.sessions.remove(&key);
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
        if let Some(session) = self.lock().sessions.get_mut(&SessionId::of(id)) {
            session.stamp = stamp;
        }
    }

    /// Ends the session `id` (logout).
    pub(crate) fn remove(&self, id: &str) {
        self.lock().sessions.remove(&SessionId::of(id));
    }

    /// Ends every session of `user` but `keep` (its password was reset, or
    /// it was disabled: pass `""` to keep none); returns how many ended.
    pub(crate) fn remove_user_except(&self, user: &str, keep: &str) -> usize {
        let mut inner = self.lock();
        let before = inner.sessions.len();
        inner
            .sessions
            .retain(|id, s| s.user != user || same_token(&id.0, keep));
        before - inner.sessions.len()
    }

    /// The live sessions of `user` at `now`, the latest used first;
    /// `current` (the asking session's identifier) is marked.
    pub(crate) fn of_user(&self, user: &str, current: &str, now: u64) -> Vec<SessionInfo> {
        let inner = self.lock();
        let mut found: Vec<SessionInfo> = inner
            .sessions
            .iter()
            .filter(|(_, s)| s.user == user && alive(s, now))
            .map(|(id, s)| SessionInfo {
                handle: s.handle.clone(),
                created: s.created,
                last_seen: s.last_seen,
                origin: s.origin.clone(),
                current: same_token(&id.0, current),
            })
            .collect();
        found.sort_by(|a, b| {
            (b.current, b.last_seen, b.created).cmp(&(a.current, a.last_seen, a.created))
        });
        found
    }

    /// Ends the session of `user` named `handle` (from the account page:
    /// only one's own sessions can be named); whether there was one.
    pub(crate) fn remove_handle(&self, user: &str, handle: &str) -> bool {
        let mut inner = self.lock();
        let id = inner
            .sessions
            .iter()
            .find(|(_, s)| s.user == user && same_token(&s.handle, handle))
            .map(|(id, _)| id.clone());
        id.is_some_and(|id| inner.sessions.remove(&id).is_some())
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

/// A `User-Agent` shortened to the browser and its major version and the
/// system (`Chrome 131 on Linux`); an agent it does not recognise is cut
/// to 40 characters.
pub(crate) fn short_user_agent(agent: &str) -> String {
    let version_after = |marker: &str| {
        agent.find(marker).map(|at| {
            agent[at + marker.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
    };
    // Order matters: Edge and Opera say Chrome too, Chrome says Safari.
    let browsers = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("HeadlessChrome/", "Headless Chrome"),
        ("Chrome/", "Chrome"),
        ("CriOS/", "Chrome"),
        ("Version/", "Safari"),
        ("curl/", "curl"),
    ];
    let browser = browsers.iter().find_map(|(marker, name)| {
        version_after(marker).map(|version| {
            if version.is_empty() {
                name.to_string()
            } else {
                format!("{name} {version}")
            }
        })
    });
    let systems = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    let system = systems
        .iter()
        .find(|(marker, _)| agent.contains(marker))
        .map(|(_, name)| *name);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser,
        (None, _) if agent.trim().is_empty() => "unknown".to_string(),
        (None, _) => {
            let mut cut: String = agent.chars().take(40).collect();
            if agent.chars().count() > 40 {
                cut.push('…');
            }
            cut
        }
    }
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
    fn a_user_sees_their_own_sessions_and_ends_one_by_its_handle() {
        let sessions = Sessions::default();
        let origin = |client: &str, agent: &str| SessionOrigin {
            client: Some(client.parse().unwrap()),
            user_agent: agent.to_string(),
        };
        let (laptop, _) = sessions.create_from("alice", [0; 16], origin("192.0.2.1", "A"), 100);
        let (phone, _) = sessions.create_from("alice", [0; 16], origin("192.0.2.2", "B"), 200);
        let (bob, _) = sessions.create_from("bob", [0; 16], origin("192.0.2.3", "C"), 300);
        sessions.get(&laptop, 400);

        let listed = sessions.of_user("alice", &phone, 500);
        assert_eq!(listed.len(), 2, "not bob's");
        assert!(listed[0].current, "the asking session first");
        assert_eq!(listed[0].origin.client, Some("192.0.2.2".parse().unwrap()));
        assert_eq!((listed[1].created, listed[1].last_seen), (100, 400));
        assert!(!listed[1].current);
        assert_ne!(
            listed[1].handle, laptop,
            "the cookie's secret is never shown"
        );

        let bobs = sessions.of_user("bob", &bob, 500)[0].handle.clone();
        assert!(!sessions.remove_handle("alice", &bobs), "only one's own");
        assert!(sessions.get(&bob, 501).is_some());
        assert!(sessions.remove_handle("alice", &listed[1].handle));
        assert!(sessions.get(&laptop, 501).is_none(), "ended at once");
        assert!(sessions.get(&phone, 501).is_some());
        assert!(!sessions.remove_handle("alice", &listed[1].handle));

        // Everywhere else: all of alice's but this one.
        let (tablet, _) = sessions.create("alice", [0; 16], 600);
        assert_eq!(sessions.remove_user_except("alice", &phone), 1);
        assert!(sessions.get(&tablet, 601).is_none());
        assert_eq!(sessions.of_user("alice", &phone, 601).len(), 1);
        // Expired sessions are not listed.
        assert!(
            sessions
                .of_user("alice", &phone, 601 + IDLE_TIMEOUT)
                .is_empty()
        );
    }

    #[test]
    fn user_agents_are_shortened_to_browser_and_system() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.85 Safari/537.36",
                "Headless Chrome 131 on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
                "Edge 120 on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0",
                "Firefox 121 on macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
                "Safari 17 on iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
                "Chrome 120 on Android",
            ),
            ("curl/8.5.0", "curl 8"),
            ("", "unknown"),
            ("some-robot", "some-robot"),
        ];
        for (agent, short) in cases {
            assert_eq!(short_user_agent(agent), short, "{agent}");
        }
        assert_eq!(short_user_agent(&"x".repeat(100)).chars().count(), 41);
    }

    #[test]
    fn tokens_compare_only_when_equal() {
        let token = random_token();
        assert!(same_token(&token, &token.clone()));
        assert!(!same_token(&token, &random_token()));
        assert!(!same_token(&token, &token[1..]));
        assert!(!same_token("", "x"));
    }

    #[test]
    fn session_keys_are_equal_only_when_their_identifiers_are() {
        let id = random_token();
        assert_eq!(SessionId::of(&id), SessionId::of(&id.clone()));
        assert_ne!(SessionId::of(&id), SessionId::of(&id[..63]));
        let mut changed = id.clone().into_bytes();
        changed[63] = if changed[63] == b'0' { b'1' } else { b'0' };
        let changed = String::from_utf8(changed).unwrap();
        assert_ne!(SessionId::of(&id), SessionId::of(&changed));
        // Looked up through the map, a near miss finds nothing.
        let sessions = Sessions::default();
        let (id, _) = sessions.create("alice", [0; 16], 1);
        assert!(sessions.get(&id, 2).is_some());
        assert!(sessions.get(&id[..63], 2).is_none());
        assert!(sessions.get(&format!("{id}0"), 2).is_none());
    }
}
