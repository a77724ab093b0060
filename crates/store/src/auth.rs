//! Users and API tokens.
//!
//! Passwords are stored as Argon2id PHC strings (`$argon2id$v=19$…`), which
//! carry their own salt and cost, so a hash made with one cost still
//! verifies after the cost changes. Hashing runs outside the database
//! lock: it is slow on purpose.
//!
//! A token secret is `hadns_` followed by 64 hex digits: 256 bits from the
//! operating system. It is returned once, when created; the store keeps
//! only its SHA-256 digest, which is enough because the secret is random
//! and long (a slow hash protects guessable passwords, not 256-bit keys).

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, Params};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;
use subtle::ConstantTimeEq;

use crate::error::{StoreError, WriteError};
use crate::store::{Store, unix_time};

/// The prefix of every token secret, so that leaked secrets are easy to
/// recognise (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "hadns_";

/// A fixed salt for the hash computed when a user does not exist, so that
/// an unknown name costs as much time as a wrong password.
const UNKNOWN_USER_SALT: &[u8; 16] = b"hadns-no-such-us";

/// Argon2 cost for new password hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordCost {
    /// The argon2 crate's defaults (19 MiB, 2 passes, 1 lane: the OWASP
    /// recommendation for Argon2id).
    fn default() -> PasswordCost {
        PasswordCost {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            parallelism: Params::DEFAULT_P_COST,
        }
    }
}

impl PasswordCost {
    /// The cheapest cost Argon2 accepts. For tests only: it makes password
    /// hashes fast to guess.
    pub const MINIMUM: PasswordCost = PasswordCost {
        memory_kib: Params::MIN_M_COST,
        iterations: Params::MIN_T_COST,
        parallelism: Params::MIN_P_COST,
    };

    /// The argon2 parameters, if Argon2 accepts them.
    pub(crate) fn params(self) -> Result<Params, StoreError> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(StoreError::PasswordCost)
    }
}

/// A user account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The login name.
    pub name: String,
    /// A disabled user can neither log in nor use its tokens.
    pub disabled: bool,
    /// Unix time of creation.
    pub created_at: u64,
}

/// What a token allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Reading only.
    Read,
    /// Reading and changing.
    Write,
}

impl Scope {
    /// The name stored in the database: `read` or `write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a user may do in general.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything.
    Admin,
    /// The records of every zone, and NOTIFY/retransfer; no users, TSIG
    /// keys, zone creation or deletion, zone settings.
    Operator,
    /// Only the zones its grants name.
    User,
}

impl Role {
    /// The name stored and shown: `admin`, `operator` or `user`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::User => "user",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role the store does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}` (expected admin, operator or user)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "operator" => Ok(Role::Operator),
            "user" => Ok(Role::User),
            _ => Err(UnknownRole(s.to_string())),
        }
    }
}

/// A token scope the store does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown token scope `{0}` (expected read or write)")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Scope, UnknownScope> {
        match s.to_ascii_lowercase().as_str() {
            "read" => Ok(Scope::Read),
            "write" => Ok(Scope::Write),
            _ => Err(UnknownScope(s.to_string())),
        }
    }
}

/// An API token, without its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    /// Its name.
    pub name: String,
    /// The user it acts as.
    pub user: String,
    /// What it allows.
    pub scope: Scope,
    /// The zones it is limited to (apexes, lower-case); empty: every zone
    /// its user may reach.
    pub zones: Vec<wire::Name>,
    /// Unix time of creation.
    pub created_at: u64,
    /// Unix time it was revoked, if it was.
    pub revoked_at: Option<u64>,
}

impl Store {
    /// Adds a user with a password, as an admin (what every user was
    /// before roles; [`Store::add_user_with_role`] gives another role).
    pub fn add_user(&self, name: &str, password: &str) -> Result<(), WriteError> {
        self.add_user_with_role(name, password, Role::Admin)
    }

    /// Adds a user with a password and a role.
    pub fn add_user_with_role(
        &self,
        name: &str,
        password: &str,
        role: Role,
    ) -> Result<(), WriteError> {
        if name.is_empty() {
            return Err(WriteError::EmptyUserName);
        }
        let hash = self.hash_password(password)?;
        self.write(
            || format!("adding user `{name}`"),
            |tx| {
                let exists: Option<i64> = tx
                    .query_row("SELECT id FROM users WHERE name = ?1", [name], |r| r.get(0))
                    .optional()?;
                if exists.is_some() {
                    return Err(WriteError::UserExists(name.to_string()));
                }
                tx.execute(
                    "INSERT INTO users (name, password_hash, role) VALUES (?1, ?2, ?3)",
                    params![name, hash, role.as_str()],
                )?;
                Ok(())
            },
        )
    }

    /// The user, if the name exists, the password is right and the user is
    /// not disabled. An unknown name is hashed too, so that it takes as
    /// long as a wrong password.
    pub fn check_password(&self, name: &str, password: &str) -> Result<Option<User>, StoreError> {
        let found = self.read(
            || format!("reading user `{name}`"),
            |tx| {
                Ok(tx
                    .query_row(
                        "SELECT password_hash, disabled, created_at FROM users WHERE name = ?1",
                        [name],
                        |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?, r.get(2)?)),
                    )
                    .optional()?)
            },
        )?;
        let argon2 = Argon2::from(self.password_params.clone());
        let Some((hash, disabled, created_at)) = found else {
            // Same work as a verification, result thrown away.
            let _ =
                PasswordHasher::<argon2::password_hash::phc::PasswordHash>::hash_password_with_salt(
                    &argon2,
                    password.as_bytes(),
                    UNKNOWN_USER_SALT,
                );
            return Ok(None);
        };
        match argon2.verify_password(password.as_bytes(), hash.as_str()) {
            Ok(()) if !disabled => Ok(Some(User {
                name: name.to_string(),
                disabled,
                created_at: unix_time(created_at),
            })),
            Ok(()) | Err(argon2::password_hash::Error::PasswordInvalid) => Ok(None),
            Err(error) => Err(StoreError::corrupt(format!(
                "password hash of user `{name}`: {error}"
            ))),
        }
    }

    /// A value that changes whenever the user's password does, or `None`
    /// when the user does not exist or is disabled: a web session taken
    /// with one stamp ends when the stamp changes (a password reset from
    /// any process, `hadns user passwd` included). Derived from the stored
    /// hash; it reveals nothing usable about the password.
    pub fn credential_stamp(&self, name: &str) -> Result<Option<[u8; 16]>, StoreError> {
        let found = self.read(
            || format!("reading user `{name}`"),
            |tx| {
                Ok(tx
                    .query_row(
                        "SELECT password_hash, disabled FROM users WHERE name = ?1",
                        [name],
                        |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)),
                    )
                    .optional()?)
            },
        )?;
        Ok(match found {
            Some((hash, false)) => {
                let digest = Sha256::digest(hash.as_bytes());
                let mut stamp = [0u8; 16];
                stamp.copy_from_slice(&digest[..16]);
                Some(stamp)
            }
            _ => None,
        })
    }

    /// Sets a user's password.
    pub fn set_password(&self, name: &str, password: &str) -> Result<(), WriteError> {
        let hash = self.hash_password(password)?;
        self.write(
            || format!("setting the password of `{name}`"),
            |tx| {
                let changed = tx.execute(
                    "UPDATE users SET password_hash = ?1 WHERE name = ?2",
                    params![hash, name],
                )?;
                if changed == 0 {
                    return Err(WriteError::NoSuchUser(name.to_string()));
                }
                Ok(())
            },
        )
    }

    /// Disables or re-enables a user (and with it, its tokens).
    pub fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<(), WriteError> {
        self.write(
            || format!("changing user `{name}`"),
            |tx| {
                let changed = tx.execute(
                    "UPDATE users SET disabled = ?1 WHERE name = ?2",
                    params![disabled, name],
                )?;
                if changed == 0 {
                    return Err(WriteError::NoSuchUser(name.to_string()));
                }
                Ok(())
            },
        )
    }

    /// Deletes a user and its API tokens; returns how many of them were
    /// still active. The history keeps the user's name on the changes it made.
    /// The only user cannot be deleted (nobody could sign in after).
    pub fn delete_user(&self, name: &str) -> Result<usize, WriteError> {
        self.write(
            || format!("deleting user `{name}`"),
            |tx| {
                let users: i64 = tx.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
                let id: Option<i64> = tx
                    .query_row("SELECT id FROM users WHERE name = ?1", params![name], |r| {
                        r.get(0)
                    })
                    .optional()?;
                let Some(id) = id else {
                    return Err(WriteError::NoSuchUser(name.to_string()));
                };
                if users <= 1 {
                    return Err(WriteError::LastUser(name.to_string()));
                }
                let active: i64 = tx.query_row(
                    "SELECT count(*) FROM api_tokens WHERE user_id = ?1 AND revoked_at IS NULL",
                    params![id],
                    |r| r.get(0),
                )?;
                tx.execute("DELETE FROM api_tokens WHERE user_id = ?1", params![id])?;
                tx.execute("DELETE FROM users WHERE id = ?1", params![id])?;
                Ok(active as usize)
            },
        )
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read(
            || "listing users".to_string(),
            |tx| {
                let mut statement =
                    tx.prepare("SELECT name, disabled, created_at FROM users ORDER BY name")?;
                let users = statement
                    .query_map([], |r| {
                        Ok(User {
                            name: r.get(0)?,
                            disabled: r.get(1)?,
                            created_at: unix_time(r.get(2)?),
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(users)
            },
        )
    }

    /// Creates a token for `user` and returns its secret, which is shown
    /// this once and never stored.
    pub fn create_token(&self, name: &str, user: &str, scope: Scope) -> Result<String, WriteError> {
        self.create_token_for_zones(name, user, scope, &[])
    }

    /// Creates a token for `user` that reaches only `zones` (none: every
    /// zone its user may reach) and returns its secret. The zones need not
    /// exist: a limit only ever takes rights away.
    pub fn create_token_for_zones(
        &self,
        name: &str,
        user: &str,
        scope: Scope,
        zones: &[wire::Name],
    ) -> Result<String, WriteError> {
        // One apex per line, as the zone settings keep their lists.
        let zones: Vec<String> = zones
            .iter()
            .map(|zone| zone.to_lowercase().to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let zones = zones.join("\n");
        if name.is_empty() {
            return Err(WriteError::EmptyTokenName);
        }
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).map_err(WriteError::Randomness)?;
        let mut secret = String::with_capacity(TOKEN_PREFIX.len() + 64);
        secret.push_str(TOKEN_PREFIX);
        for octet in random {
            secret.push_str(&format!("{octet:02x}"));
        }
        let digest = Sha256::digest(secret.as_bytes()).to_vec();
        self.write(
            || format!("creating API token `{name}`"),
            |tx| {
                let user_id: i64 = tx
                    .query_row("SELECT id FROM users WHERE name = ?1", [user], |r| r.get(0))
                    .optional()?
                    .ok_or_else(|| WriteError::NoSuchUser(user.to_string()))?;
                let taken: Option<i64> = tx
                    .query_row(
                        "SELECT id FROM api_tokens WHERE name = ?1 AND revoked_at IS NULL",
                        [name],
                        |r| r.get(0),
                    )
                    .optional()?;
                if taken.is_some() {
                    return Err(WriteError::TokenExists(name.to_string()));
                }
                tx.execute(
                    "INSERT INTO api_tokens (name, user_id, secret_sha256, scope, zones)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![name, user_id, digest, scope.as_str(), zones],
                )?;
                Ok(())
            },
        )?;
        Ok(secret)
    }

    /// The token a secret belongs to, unless it is unknown, revoked, or
    /// its user is disabled.
    pub fn check_token(&self, secret: &str) -> Result<Option<TokenInfo>, StoreError> {
        let digest = Sha256::digest(secret.as_bytes());
        let found = self.read(
            || "checking an API token".to_string(),
            |tx| {
                // The lookup compares SHA-256 digests, which a caller
                // cannot steer towards a stored one octet by octet.
                Ok(tx
                    .query_row(
                        "SELECT t.name, u.name, t.scope, t.created_at, t.secret_sha256, u.disabled,
                                t.zones
                         FROM api_tokens t JOIN users u ON u.id = t.user_id
                         WHERE t.secret_sha256 = ?1 AND t.revoked_at IS NULL",
                        [digest.as_slice()],
                        |r| {
                            Ok((
                                r.get::<_, String>(0)?,
                                r.get::<_, String>(1)?,
                                r.get::<_, String>(2)?,
                                r.get::<_, i64>(3)?,
                                r.get::<_, Vec<u8>>(4)?,
                                r.get::<_, bool>(5)?,
                                r.get::<_, String>(6)?,
                            ))
                        },
                    )
                    .optional()?)
            },
        )?;
        let Some((name, user, scope, created_at, stored, disabled, zones)) = found else {
            return Ok(None);
        };
        // Constant-time comparison as well, so that no code path compares
        // secret material with an early exit.
        if !bool::from(stored.as_slice().ct_eq(digest.as_slice())) || disabled {
            return Ok(None);
        }
        let scope = scope
            .parse()
            .map_err(|e| StoreError::corrupt(format!("API token `{name}`: {e}")))?;
        let zones = token_zones(&name, &zones)?;
        Ok(Some(TokenInfo {
            name,
            user,
            scope,
            zones,
            created_at: unix_time(created_at),
            revoked_at: None,
        }))
    }

    /// Revokes the active token with this name; it stays listed, revoked.
    pub fn revoke_token(&self, name: &str) -> Result<(), WriteError> {
        self.write(
            || format!("revoking API token `{name}`"),
            |tx| {
                let changed = tx.execute(
                    "UPDATE api_tokens SET revoked_at = unixepoch()
                     WHERE name = ?1 AND revoked_at IS NULL",
                    [name],
                )?;
                if changed == 0 {
                    return Err(WriteError::NoSuchToken(name.to_string()));
                }
                Ok(())
            },
        )
    }

    /// Revokes the active token `name` if it acts for `user` (a user ending
    /// one of their own tokens): a token of another user is
    /// [`WriteError::NoSuchToken`] like one that does not exist, so the
    /// answer says nothing of other users' tokens.
    pub fn revoke_token_of(&self, user: &str, name: &str) -> Result<(), WriteError> {
        self.write(
            || format!("revoking API token `{name}` of user `{user}`"),
            |tx| {
                let changed = tx.execute(
                    "UPDATE api_tokens SET revoked_at = unixepoch()
                     WHERE name = ?1 AND revoked_at IS NULL
                       AND user_id = (SELECT id FROM users WHERE name = ?2)",
                    [name, user],
                )?;
                if changed == 0 {
                    return Err(WriteError::NoSuchToken(name.to_string()));
                }
                Ok(())
            },
        )
    }

    /// Every token, revoked ones included, oldest first; never the secrets.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        self.read(
            || "listing API tokens".to_string(),
            |tx| {
                let mut statement = tx.prepare(
                    "SELECT t.name, u.name, t.scope, t.created_at, t.revoked_at, t.zones
                     FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id",
                )?;
                let rows = statement
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, i64>(3)?,
                            r.get::<_, Option<i64>>(4)?,
                            r.get::<_, String>(5)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                rows.into_iter()
                    .map(|(name, user, scope, created_at, revoked_at, zones)| {
                        let scope = scope
                            .parse()
                            .map_err(|e| StoreError::corrupt(format!("API token `{name}`: {e}")))?;
                        let zones = token_zones(&name, &zones)?;
                        Ok(TokenInfo {
                            name,
                            user,
                            scope,
                            zones,
                            created_at: unix_time(created_at),
                            revoked_at: revoked_at.map(unix_time),
                        })
                    })
                    .collect()
            },
        )
    }

    /// A PHC string for `password` with the store's cost and a fresh salt.
    fn hash_password(&self, password: &str) -> Result<String, WriteError> {
        if password.is_empty() {
            return Err(WriteError::EmptyPassword);
        }
        let argon2 = Argon2::from(self.password_params.clone());
        let hash: argon2::password_hash::phc::PasswordHash = argon2
            .hash_password(password.as_bytes())
            .map_err(WriteError::PasswordHash)?;
        Ok(hash.to_string())
    }
}

/// A token's zone list as stored: one apex per line, none for no limit.
fn token_zones(token: &str, text: &str) -> Result<Vec<wire::Name>, StoreError> {
    text.lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            wire::Name::from_text(line, Some(&wire::Name::root())).map_err(|e| {
                StoreError::corrupt(format!("API token `{token}` names zone `{line}`: {e}"))
            })
        })
        .collect()
}
