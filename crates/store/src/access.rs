//! Roles and per-zone rights: what a user (and a token acting for it) may
//! read and change.
//!
//! ```text
//!  users.role ──► admin     everything: users, tokens, TSIG keys, config,
//!             │             control, zone create/delete and settings
//!             ├─► operator  read and change the records of every zone,
//!             │             NOTIFY and retransfer; no users, keys, zone
//!             │             create/delete
//!             └─► user      only what `grants` give it:
//!                   grants (zone | account, optional view, read | write)
//!  api_tokens.scope, api_tokens.zones ──► a token's rights are its user's,
//!                   cut down to its scope and, if it has one, its zone list
//! ```
//!
//! [`Rights`] is the answer, computed once per request from the store
//! ([`Store::user_rights`], then [`Rights::for_token`] for a token) and
//! asked with pure methods; the web API and UI decide with it alone. An
//! account grant names PowerDNS's `account` setting of zones (what
//! PowerDNS-Admin calls an account): it covers every store zone whose
//! `account` is that text, also zones given the account later.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use rusqlite::{OptionalExtension, params};
use wire::Name;

use crate::auth::{Role, Scope, TokenInfo};
use crate::error::{StoreError, WriteError};
use crate::store::Store;

/// What a grant allows on its zones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// Reading the zone: its records, history and export.
    Read,
    /// Reading and changing its records.
    Write,
}

impl Access {
    /// The name stored and shown: `read` or `write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An access level the store does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad access level `{0}` (expected read or write)")]
pub struct UnknownAccess(pub String);

impl FromStr for Access {
    type Err = UnknownAccess;

    fn from_str(s: &str) -> Result<Access, UnknownAccess> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read" => Ok(Access::Read),
            "write" => Ok(Access::Write),
            _ => Err(UnknownAccess(s.to_string())),
        }
    }
}

/// What a grant is on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GrantTarget {
    /// One zone of the store, by apex.
    Zone(Name),
    /// Every store zone whose PowerDNS `account` is this text.
    Account(String),
}

impl fmt::Display for GrantTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GrantTarget::Zone(zone) => write!(f, "zone {zone}"),
            GrantTarget::Account(account) => write!(f, "account `{account}`"),
        }
    }
}

/// A right given to a `user`: read or write on a zone or an account's
/// zones, in every view or in one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grant {
    /// The zone or account.
    pub target: GrantTarget,
    /// Only this view's copy; `None`: the base data and every view.
    pub view: Option<String>,
    /// What it allows.
    pub access: Access,
}

/// One zone a user may reach, with the grant's view and access (account
/// grants resolved to their zones).
#[derive(Clone, Debug, PartialEq, Eq)]
struct ZoneRight {
    zone: Name,
    view: Option<String>,
    access: Access,
}

/// What one caller (a web session's user, or an API token) may do:
/// computed once per request, asked with pure methods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rights {
    /// The user's name.
    user: String,
    /// The user's role.
    role: Role,
    /// For [`Role::User`]: the zones its grants reach.
    zones: Vec<ZoneRight>,
    /// The token's scope; a session has [`Scope::Write`].
    scope: Scope,
    /// The token's name, when the caller is a token (for messages).
    token: Option<String>,
    /// The zones the token is limited to; `None`: no limit.
    only: Option<BTreeSet<Name>>,
}

impl Rights {
    /// The rights of a user with `role` and no grants, as a session has
    /// them (for tests and for roles that need no grants).
    pub fn of_role(user: &str, role: Role) -> Rights {
        Rights {
            user: user.to_string(),
            role,
            zones: Vec::new(),
            scope: Scope::Write,
            token: None,
            only: None,
        }
    }

    /// These rights (the token's user's) cut down to what `token` allows:
    /// its scope and its zone list.
    pub fn for_token(mut self, token: &TokenInfo) -> Rights {
        self.scope = token.scope;
        self.token = Some(token.name.clone());
        if !token.zones.is_empty() {
            self.only = Some(token.zones.iter().map(Name::to_lowercase).collect());
        }
        self
    }

    /// The user's name.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The user's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Who is asking, for messages: ``user `bob` `` or ``user `bob` (token `ci`)``.
    pub fn who(&self) -> String {
        match &self.token {
            Some(token) => format!("user `{}` (token `{token}`)", self.user),
            None => format!("user `{}`", self.user),
        }
    }

    /// Whether the caller may write at all (a read-only token may not).
    pub fn may_write(&self) -> bool {
        self.scope == Scope::Write
    }

    /// Whether the caller may do what only admins do: users, tokens,
    /// TSIG keys, configuration, control, zone creation and deletion,
    /// zone settings. A token limited to some zones is not, even an
    /// admin's: server-wide actions reach every zone.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin && self.only.is_none()
    }

    /// Whether the caller may act on the whole server's replication
    /// (cluster actions, `hadns ctl` commands that only read): admins and
    /// operators, without a zone limit.
    pub fn is_operator(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Operator) && self.only.is_none()
    }

    /// Whether a token's zone list lets it reach `zone`.
    fn within_limit(&self, zone: &Name) -> bool {
        self.only.as_ref().is_none_or(|only| only.contains(zone))
    }

    /// The best access a grant gives on `zone` in `view` (`None`: the base
    /// data, which only a grant for every view covers).
    fn granted(&self, zone: &Name, view: Option<&str>) -> Option<Access> {
        self.zones
            .iter()
            .filter(|right| {
                right.zone == *zone && right.view.as_deref().is_none_or(|v| Some(v) == view)
            })
            .map(|right| right.access)
            .max()
    }

    /// Whether the caller may read `zone` (in `view`, or its base data
    /// with `None`).
    pub fn may_read_zone(&self, zone: &Name, view: Option<&str>) -> bool {
        let zone = zone.to_lowercase();
        self.within_limit(&zone)
            && match self.role {
                Role::Admin | Role::Operator => true,
                Role::User => self.granted(&zone, view).is_some(),
            }
    }

    /// Whether the caller may read `zone` in some view or in its base
    /// data: what a zone list shows (a grant limited to one view lists
    /// the zone; reading it then takes that view).
    pub fn may_see_zone(&self, zone: &Name) -> bool {
        let zone = zone.to_lowercase();
        self.within_limit(&zone)
            && match self.role {
                Role::Admin | Role::Operator => true,
                Role::User => self.zones.iter().any(|right| right.zone == zone),
            }
    }

    /// Whether the caller may change the records of `zone` (in `view`, or
    /// its base data with `None`).
    pub fn may_write_zone(&self, zone: &Name, view: Option<&str>) -> bool {
        let zone = zone.to_lowercase();
        self.may_write()
            && self.within_limit(&zone)
            && match self.role {
                Role::Admin | Role::Operator => true,
                Role::User => self.granted(&zone, view) == Some(Access::Write),
            }
    }

    /// Whether the caller may send NOTIFY for `zone` or have it
    /// transferred again: admins and operators with a token that writes
    /// and reaches the zone.
    pub fn may_operate_zone(&self, zone: &Name) -> bool {
        self.may_write()
            && self.within_limit(&zone.to_lowercase())
            && matches!(self.role, Role::Admin | Role::Operator)
    }
}

/// A user as the users page and `hadns user list` show it: role and grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserAccess {
    /// The user's name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Its grants, by target (meaningful for [`Role::User`]; kept for the
    /// others, so that a role can be changed back without losing them).
    pub grants: Vec<Grant>,
}

impl Store {
    /// Sets a user's role. Its sessions and tokens act with the new role
    /// from their next request.
    pub fn set_role(&self, user: &str, role: Role) -> Result<(), WriteError> {
        self.write(
            || format!("setting the role of `{user}`"),
            |tx| {
                let changed = tx.execute(
                    "UPDATE users SET role = ?1 WHERE name = ?2",
                    params![role.as_str(), user],
                )?;
                if changed == 0 {
                    return Err(WriteError::NoSuchUser(user.to_string()));
                }
                Ok(())
            },
        )
    }

    /// Gives `user` a grant, or changes the access of the grant it has on
    /// the same target and view. Refused, writing nothing, for an unknown
    /// user, a zone not in the store, an unknown view or an empty account.
    pub fn grant(&self, user: &str, grant: &Grant) -> Result<(), WriteError> {
        self.write(
            || format!("granting {} to `{user}`", grant.target),
            |tx| {
                let GrantKeys {
                    user_id,
                    zone_id,
                    account,
                    view_id,
                } = grant_keys(tx, user, grant)?;
                tx.execute(
                    "DELETE FROM grants WHERE user_id = ?1 AND ifnull(zone_id, 0) = ifnull(?2, 0)
                     AND ifnull(account, '') = ifnull(?3, '') AND ifnull(view_id, 0) = ifnull(?4, 0)",
                    params![user_id, zone_id, account, view_id],
                )?;
                tx.execute(
                    "INSERT INTO grants (user_id, zone_id, account, view_id, access)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![user_id, zone_id, account, view_id, grant.access.as_str()],
                )?;
                Ok(())
            },
        )
    }

    /// Takes back the grant `user` has on `target` in `view` (whatever its
    /// access). Refused if there is none.
    pub fn revoke_grant(
        &self,
        user: &str,
        target: &GrantTarget,
        view: Option<&str>,
    ) -> Result<(), WriteError> {
        let probe = Grant {
            target: target.clone(),
            view: view.map(str::to_string),
            access: Access::Read,
        };
        self.write(
            || format!("revoking {target} from `{user}`"),
            |tx| {
                let GrantKeys {
                    user_id,
                    zone_id,
                    account,
                    view_id,
                } = grant_keys(tx, user, &probe)?;
                let removed = tx.execute(
                    "DELETE FROM grants WHERE user_id = ?1 AND ifnull(zone_id, 0) = ifnull(?2, 0)
                     AND ifnull(account, '') = ifnull(?3, '') AND ifnull(view_id, 0) = ifnull(?4, 0)",
                    params![user_id, zone_id, account, view_id],
                )?;
                if removed == 0 {
                    return Err(WriteError::NoSuchGrant {
                        user: user.to_string(),
                        target: target.to_string(),
                    });
                }
                Ok(())
            },
        )
    }

    /// Every user with its role and grants, by name.
    pub fn user_access(&self) -> Result<Vec<UserAccess>, StoreError> {
        self.read(
            || "listing roles and grants".to_string(),
            |tx| {
                let mut users = tx.prepare("SELECT id, name, role FROM users ORDER BY name")?;
                let rows = users
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let mut grants = tx.prepare(
                    "SELECT z.name, g.account, v.name, g.access FROM grants g
                     LEFT JOIN zones z ON z.id = g.zone_id LEFT JOIN views v ON v.id = g.view_id
                     WHERE g.user_id = ?1",
                )?;
                let mut out = Vec::with_capacity(rows.len());
                for (id, name, role) in rows {
                    let role = role
                        .parse()
                        .map_err(|e| StoreError::corrupt(format!("user `{name}`: {e}")))?;
                    let raw = grants
                        .query_map([id], |r| {
                            Ok((
                                r.get::<_, Option<Vec<u8>>>(0)?,
                                r.get::<_, Option<String>>(1)?,
                                r.get::<_, Option<String>>(2)?,
                                r.get::<_, String>(3)?,
                            ))
                        })?
                        .collect::<Result<Vec<_>, _>>()?;
                    let mut list = raw
                        .into_iter()
                        .map(|(zone, account, view, access)| {
                            let target = match (zone, account) {
                                (Some(zone), _) => GrantTarget::Zone(decode_name(&zone)?),
                                (None, Some(account)) => GrantTarget::Account(account),
                                (None, None) => {
                                    return Err(StoreError::corrupt(format!(
                                        "a grant of `{name}` names neither zone nor account"
                                    )));
                                }
                            };
                            Ok(Grant {
                                target,
                                view,
                                access: access.parse().map_err(|e| {
                                    StoreError::corrupt(format!("a grant of `{name}`: {e}"))
                                })?,
                            })
                        })
                        .collect::<Result<Vec<_>, StoreError>>()?;
                    list.sort();
                    out.push(UserAccess {
                        name,
                        role,
                        grants: list,
                    });
                }
                Ok(out)
            },
        )
    }

    /// The rights of `user` as a session has them, or `None` when it does
    /// not exist or is disabled. Account grants are resolved to the zones
    /// that have the account now.
    pub fn user_rights(&self, user: &str) -> Result<Option<Rights>, StoreError> {
        self.read(
            || format!("reading the rights of `{user}`"),
            |tx| {
                let found: Option<(i64, String)> = tx
                    .query_row(
                        "SELECT id, role FROM users WHERE name = ?1 AND disabled = 0",
                        [user],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let Some((id, role)) = found else {
                    return Ok(None);
                };
                let role: Role = role
                    .parse()
                    .map_err(|e| StoreError::corrupt(format!("user `{user}`: {e}")))?;
                let mut statement = tx.prepare_cached(
                    "SELECT z.name, v.name, g.access FROM grants g
                     JOIN zones z ON z.id = g.zone_id
                                  OR (g.account IS NOT NULL AND z.account = g.account)
                     LEFT JOIN views v ON v.id = g.view_id
                     WHERE g.user_id = ?1",
                )?;
                let raw = statement
                    .query_map([id], |r| {
                        Ok((
                            r.get::<_, Vec<u8>>(0)?,
                            r.get::<_, Option<String>>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let zones = raw
                    .into_iter()
                    .map(|(zone, view, access)| {
                        Ok(ZoneRight {
                            zone: decode_name(&zone)?,
                            view,
                            access: access.parse().map_err(|e| {
                                StoreError::corrupt(format!("a grant of `{user}`: {e}"))
                            })?,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                let mut rights = Rights::of_role(user, role);
                rights.zones = zones;
                Ok(Some(rights))
            },
        )
    }
}

/// What identifies a grant's row: user id, zone id or account, view id.
struct GrantKeys {
    user_id: i64,
    zone_id: Option<i64>,
    account: Option<String>,
    view_id: Option<i64>,
}

/// The keys a grant is stored with. Refuses an unknown user, zone or
/// view, and an empty account.
fn grant_keys(
    tx: &rusqlite::Transaction<'_>,
    user: &str,
    grant: &Grant,
) -> Result<GrantKeys, WriteError> {
    let user_id: i64 = tx
        .query_row("SELECT id FROM users WHERE name = ?1", [user], |r| r.get(0))
        .optional()?
        .ok_or_else(|| WriteError::NoSuchUser(user.to_string()))?;
    let (zone_id, account) = match &grant.target {
        GrantTarget::Zone(zone) => {
            let zone = zone.to_lowercase();
            let id: i64 = tx
                .query_row(
                    "SELECT id FROM zones WHERE name = ?1",
                    [zone.as_wire()],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| WriteError::NoSuchZone(zone.clone()))?;
            (Some(id), None)
        }
        GrantTarget::Account(account) => {
            if account.trim().is_empty() {
                return Err(WriteError::EmptyAccount);
            }
            (None, Some(account.clone()))
        }
    };
    let view_id = match &grant.view {
        None => None,
        Some(view) => Some(
            tx.query_row("SELECT id FROM views WHERE name = ?1", [view], |r| r.get(0))
                .optional()?
                .ok_or_else(|| WriteError::NoSuchView(view.clone()))?,
        ),
    };
    Ok(GrantKeys {
        user_id,
        zone_id,
        account,
        view_id,
    })
}

/// A zone name as stored (wire form).
fn decode_name(wire: &[u8]) -> Result<Name, StoreError> {
    Name::from_wire(wire)
        .map_err(|e| StoreError::corrupt(format!("a grant names an unreadable zone: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        Name::from_text(text, Some(&Name::root())).unwrap()
    }

    fn user_with(grants: &[(&str, Option<&str>, Access)]) -> Rights {
        let mut rights = Rights::of_role("bob", Role::User);
        rights.zones = grants
            .iter()
            .map(|(zone, view, access)| ZoneRight {
                zone: name(zone),
                view: view.map(str::to_string),
                access: *access,
            })
            .collect();
        rights
    }

    fn token(scope: Scope, zones: &[&str]) -> TokenInfo {
        TokenInfo {
            name: "ci".into(),
            user: "bob".into(),
            scope,
            zones: zones.iter().map(|z| name(z)).collect(),
            created_at: 0,
            revoked_at: None,
        }
    }

    #[test]
    fn admins_and_operators_reach_every_zone_users_only_granted_ones() {
        let a = name("a.test");
        for role in [Role::Admin, Role::Operator] {
            let rights = Rights::of_role("x", role);
            assert!(rights.may_read_zone(&a, None) && rights.may_write_zone(&a, Some("v")));
            assert!(rights.may_operate_zone(&a) && rights.is_operator());
            assert_eq!(rights.is_admin(), role == Role::Admin);
        }
        let bob = user_with(&[
            ("a.test", None, Access::Write),
            ("b.test", None, Access::Read),
        ]);
        assert!(bob.may_write_zone(&a, None));
        assert!(
            bob.may_write_zone(&name("A.TEST"), Some("inside")),
            "case-blind, every view"
        );
        assert!(bob.may_read_zone(&name("b.test"), None));
        assert!(!bob.may_write_zone(&name("b.test"), None));
        assert!(!bob.may_read_zone(&name("c.test"), None));
        assert!(!bob.may_operate_zone(&a) && !bob.is_operator() && !bob.is_admin());
    }

    #[test]
    fn a_view_grant_covers_that_view_only() {
        let bob = user_with(&[("a.test", Some("inside"), Access::Write)]);
        let a = name("a.test");
        assert!(bob.may_write_zone(&a, Some("inside")));
        assert!(!bob.may_read_zone(&a, None), "not the base data");
        assert!(bob.may_see_zone(&a), "listed all the same");
        assert!(!bob.may_see_zone(&name("b.test")));
        assert!(!bob.may_read_zone(&a, Some("outside")));
    }

    #[test]
    fn a_token_is_its_user_cut_down_to_its_scope_and_zones() {
        let a = name("a.test");
        let b = name("b.test");
        let read = Rights::of_role("root", Role::Admin).for_token(&token(Scope::Read, &[]));
        assert!(read.may_read_zone(&a, None) && !read.may_write_zone(&a, None));
        assert!(!read.may_write() && !read.may_operate_zone(&a));
        let limited =
            Rights::of_role("root", Role::Admin).for_token(&token(Scope::Write, &["a.test"]));
        assert!(limited.may_write_zone(&a, None));
        assert!(!limited.may_read_zone(&b, None));
        assert!(!limited.is_admin(), "a zone-limited token is no admin");
        // The limit never adds what the user lacks.
        let bob = user_with(&[("b.test", None, Access::Read)])
            .for_token(&token(Scope::Write, &["a.test", "b.test"]));
        assert!(!bob.may_read_zone(&a, None));
        assert!(!bob.may_write_zone(&b, None));
        assert_eq!(bob.who(), "user `bob` (token `ci`)");
    }

    #[test]
    fn roles_and_levels_parse_and_name_what_is_wrong() {
        assert_eq!("Operator".parse::<Role>(), Ok(Role::Operator));
        assert_eq!(
            "root".parse::<Role>().unwrap_err().to_string(),
            "unknown role `root` (expected admin, operator or user)"
        );
        assert_eq!("WRITE".parse::<Access>(), Ok(Access::Write));
        assert_eq!(
            "all".parse::<Access>().unwrap_err().to_string(),
            "bad access level `all` (expected read or write)"
        );
    }
}
