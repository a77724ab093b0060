//! Store administration from the command line: users, API tokens, zone
//! import and export. These open the store file directly (SQLite lets them
//! run beside a node); after an import, a running node is told to re-read
//! the zone over its control socket.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use config::Config;
use store::{
    Access, AuditAction, AuditEvent, ChangeMeta, Grant, GrantTarget, Role, Scope, Source, Store,
    ZoneKind,
};
use wire::{Name, Record};

use config::namedconf;

/// Which node's store: `--config` or `--data-dir` (default `./hadns-data`).
#[derive(clap::Args, Clone, Debug)]
pub struct StoreArgs {
    /// The node's configuration (its data_dir holds the store).
    #[arg(long, short = 'c', global = true)]
    pub config: Option<PathBuf>,
    /// The node's data directory (instead of --config).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
}

impl StoreArgs {
    /// The configuration, if one was named.
    fn config(&self) -> anyhow::Result<Option<Config>> {
        match &self.config {
            Some(path) => Ok(Some(Config::load(path).map_err(anyhow::Error::msg)?)),
            None => Ok(None),
        }
    }

    /// The data directory.
    pub fn data_dir(&self) -> anyhow::Result<PathBuf> {
        Ok(match (&self.data_dir, self.config()?) {
            (Some(dir), _) => dir.clone(),
            (None, Some(config)) => config.node.data_dir_from_host(),
            (None, None) => Config::default().node.data_dir,
        })
    }

    fn open(&self) -> anyhow::Result<Store> {
        let dir = self.data_dir()?;
        crate::data_dir::tell_if_node_runs(&dir);
        let path = dir.join(manage::STORE_FILE);
        Store::open(&path).with_context(|| format!("cannot open the store {}", path.display()))
    }
}

/// `hadns user …`.
#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from standard input when it is
    /// not a terminal (one line); otherwise a random one is made and shown.
    Add {
        /// The user's name.
        name: String,
        /// `admin` (everything), `operator` (the records of every zone,
        /// NOTIFY and retransfer) or `user` (only the zones granted with
        /// `hadns user grant`).
        #[arg(long, default_value = "admin")]
        role: Role,
    },
    /// Set a user's role: admin, operator or user.
    Role {
        /// The user's name.
        name: String,
        /// admin, operator or user.
        role: Role,
    },
    /// Give a user (role `user`) read or write on a zone, or on every zone
    /// whose PowerDNS account is ACCOUNT; granting again changes the level.
    Grant {
        /// The user's name.
        name: String,
        /// The zone (kept in the store).
        #[arg(long, conflicts_with = "account", required_unless_present = "account")]
        zone: Option<String>,
        /// The account (the zones' PowerDNS `account` setting).
        #[arg(long)]
        account: Option<String>,
        /// Only this view's copy (default: the zone in every view).
        #[arg(long)]
        view: Option<String>,
        /// read or write.
        #[arg(long, default_value = "read")]
        access: Access,
    },
    /// Take back a user's grant on a zone or an account.
    Revoke {
        /// The user's name.
        name: String,
        /// The zone.
        #[arg(long, conflicts_with = "account", required_unless_present = "account")]
        zone: Option<String>,
        /// The account.
        #[arg(long)]
        account: Option<String>,
        /// The view the grant is for.
        #[arg(long)]
        view: Option<String>,
    },
    /// Set a user's password (read as for `add`).
    Passwd {
        /// The user's name.
        name: String,
    },
    /// Stop a user from signing in (their tokens stop working too).
    Disable {
        /// The user's name.
        name: String,
    },
    /// Delete a user and its API tokens (the history keeps its name on
    /// the changes it made). The only user cannot be deleted.
    Delete {
        /// The user's name.
        name: String,
    },
    /// Let a disabled user sign in again.
    Enable {
        /// The user's name.
        name: String,
    },
    /// List users (times in RFC 3339, UTC).
    List {
        /// One JSON array for scripts instead of the table.
        #[arg(long)]
        json: bool,
    },
}

/// `hadns token …`.
#[derive(clap::Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print its secret (shown this once only).
    ///
    /// On a store with no users yet, the user is created first with a
    /// random password, printed once.
    Create {
        /// A name for the token (unique among active tokens).
        name: String,
        /// The user it acts for (`hadns user list` shows them).
        #[arg(long, default_value = "admin")]
        user: String,
        /// Read-only: writes with it are refused (403).
        #[arg(long)]
        read_only: bool,
        /// Limit the token to this zone (repeat for more); without it,
        /// the token reaches every zone its user may.
        #[arg(long = "zone")]
        zones: Vec<String>,
    },
    /// List tokens, never their secrets (times in RFC 3339, UTC).
    List {
        /// One JSON array for scripts instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token.
    Revoke {
        /// The token's name.
        name: String,
    },
}

/// The audit event of a change made on the command line: the audit log's
/// user is `cli:` and the operating-system user who ran it (`SUDO_USER`
/// when run through sudo, else `USER`), with no client address.
fn cli_event(action: AuditAction, target: &str, detail: String) -> AuditEvent {
    let who = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".to_string());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    AuditEvent {
        detail,
        ..AuditEvent::new(now, &format!("cli:{who}"), action, target)
    }
}

/// Runs `hadns user …`.
pub fn user(command: UserCommand, store: &StoreArgs) -> anyhow::Result<ExitCode> {
    let store = store.open()?;
    match command {
        UserCommand::Add { name, role } => {
            let (password, generated) = password()?;
            store.audited(
                cli_event(AuditAction::UserCreate, &name, format!("role {role}")),
                || store.add_user_with_role(&name, &password, role),
            )?;
            if generated {
                println!("user `{name}` ({role}) created with password {password}");
            } else {
                println!("user `{name}` ({role}) created");
            }
        }
        UserCommand::Role { name, role } => {
            store.audited(
                cli_event(AuditAction::UserRole, &name, format!("role {role}")),
                || store.set_role(&name, role),
            )?;
            println!("user `{name}` is now {role}");
        }
        UserCommand::Grant {
            name,
            zone,
            account,
            view,
            access,
        } => {
            let target = grant_target(zone.as_deref(), account)?;
            let grant = Grant {
                target: target.clone(),
                view,
                access,
            };
            store.audited(
                cli_event(AuditAction::GrantAdd, &name, format!("{access} {target}")),
                || store.grant(&name, &grant),
            )?;
            println!("user `{name}` may {access} {target}");
        }
        UserCommand::Revoke {
            name,
            zone,
            account,
            view,
        } => {
            let target = grant_target(zone.as_deref(), account)?;
            store.audited(
                cli_event(AuditAction::GrantRevoke, &name, target.to_string()),
                || store.revoke_grant(&name, &target, view.as_deref()),
            )?;
            println!("user `{name}` no longer has {target}");
        }
        UserCommand::Passwd { name } => {
            let (password, generated) = password()?;
            store.audited(
                cli_event(AuditAction::PasswordReset, &name, String::new()),
                || store.set_password(&name, &password),
            )?;
            if generated {
                println!("password of `{name}` set to {password}");
            } else {
                println!("password of `{name}` changed");
            }
        }
        UserCommand::Disable { name } => {
            store.audited(
                cli_event(AuditAction::UserDisable, &name, String::new()),
                || store.set_user_disabled(&name, true),
            )?;
            println!("user `{name}` disabled");
        }
        UserCommand::Enable { name } => {
            store.audited(
                cli_event(AuditAction::UserEnable, &name, String::new()),
                || store.set_user_disabled(&name, false),
            )?;
            println!("user `{name}` enabled");
        }
        UserCommand::Delete { name } => {
            let tokens = store.audited(
                cli_event(AuditAction::UserDelete, &name, String::new()),
                || store.delete_user(&name),
            )?;
            println!("user `{name}` deleted, with {tokens} API token(s)");
        }
        UserCommand::List { json } => {
            let users = store.users()?;
            let access = store.user_access()?;
            let of = |name: &str| access.iter().find(|a| a.name == name);
            let grants_text = |name: &str| -> Vec<String> {
                of(name).map_or_else(Vec::new, |a| {
                    a.grants
                        .iter()
                        .map(|g| match &g.view {
                            Some(view) => format!("{} {} (view {view})", g.access, g.target),
                            None => format!("{} {}", g.access, g.target),
                        })
                        .collect()
                })
            };
            if json {
                let list: Vec<serde_json::Value> = users
                    .iter()
                    .map(|u| {
                        serde_json::json!({
                            "name": u.name,
                            "role": of(&u.name).map(|a| a.role.as_str()),
                            "grants": grants_text(&u.name),
                            "disabled": u.disabled,
                            "created_at": wire::time::rfc3339(u.created_at),
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for user in users {
                    let grants = grants_text(&user.name);
                    let grants = if grants.is_empty() {
                        String::new()
                    } else {
                        format!("\tgrants: {}", grants.join(", "))
                    };
                    println!(
                        "{}\t{}\t{}\tcreated {}{grants}",
                        user.name,
                        of(&user.name).map_or("?", |a| a.role.as_str()),
                        if user.disabled { "disabled" } else { "active" },
                        wire::time::rfc3339(user.created_at),
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `hadns token …`.
pub fn token(command: TokenCommand, store: &StoreArgs) -> anyhow::Result<ExitCode> {
    let store = store.open()?;
    match command {
        TokenCommand::Create {
            name,
            user,
            read_only,
            zones,
        } => {
            let zones = zones
                .iter()
                .map(|text| {
                    Name::from_text(text, Some(&Name::root()))
                        .with_context(|| format!("--zone {text}: not a domain name"))
                })
                .collect::<anyhow::Result<Vec<Name>>>()?;
            let scope = if read_only { Scope::Read } else { Scope::Write };
            if name.is_empty() {
                bail!("a token needs a name");
            }
            let users = store.users()?;
            if users.is_empty() {
                // A fresh store (no first start of a node with the API has
                // made `admin` yet): make the user the token acts for.
                let (password, _) = generated_password()?;
                store.audited(
                    cli_event(AuditAction::UserCreate, &user, "role admin".to_string()),
                    || store.add_user(&user, &password),
                )?;
                eprintln!(
                    "created user `{user}` with password {password} (no user existed; shown this once only)"
                );
            } else if !users.iter().any(|u| u.name == user) {
                let names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
                anyhow::bail!(
                    "no user `{user}` to create the token for; name one with --user ({}) or create it first with `hadns user add {user}`",
                    names.join(", ")
                );
            }
            let secret = store.audited(
                cli_event(
                    AuditAction::TokenCreate,
                    &name,
                    format!("scope {scope}, for user {user}"),
                ),
                || store.create_token_for_zones(&name, &user, scope, &zones),
            )?;
            let only = if zones.is_empty() {
                String::new()
            } else {
                let names: Vec<String> = zones.iter().map(Name::to_string).collect();
                format!(", only {}", names.join(" "))
            };
            eprintln!(
                "token `{name}` ({}{only}) for user `{user}`; this is the only time it is shown:",
                scope.as_str()
            );
            println!("{secret}");
        }
        TokenCommand::List { json } => {
            let tokens = store.tokens()?;
            if json {
                let list: Vec<serde_json::Value> = tokens
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "name": t.name,
                            "user": t.user,
                            "scope": t.scope.as_str(),
                            "zones": t.zones.iter().map(Name::to_string).collect::<Vec<_>>(),
                            "created_at": wire::time::rfc3339(t.created_at),
                            "revoked_at": t.revoked_at.map(wire::time::rfc3339),
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for token in tokens {
                    let state = match token.revoked_at {
                        Some(at) => format!("revoked {}", wire::time::rfc3339(at)),
                        None => "active".to_string(),
                    };
                    println!(
                        "{}\t{}\t{}\tcreated {}\t{state}",
                        token.name,
                        token.user,
                        token.scope.as_str(),
                        wire::time::rfc3339(token.created_at)
                    );
                }
            }
        }
        TokenCommand::Revoke { name } => {
            store.audited(
                cli_event(AuditAction::TokenRevoke, &name, String::new()),
                || store.revoke_token(&name),
            )?;
            println!("token `{name}` revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What `--zone` or `--account` names (clap makes sure one is given).
fn grant_target(zone: Option<&str>, account: Option<String>) -> anyhow::Result<GrantTarget> {
    match (zone, account) {
        (Some(zone), _) => Ok(GrantTarget::Zone(
            Name::from_text(zone, Some(&Name::root()))
                .with_context(|| format!("--zone {zone}: not a domain name"))?,
        )),
        (None, Some(account)) => Ok(GrantTarget::Account(account)),
        (None, None) => bail!("name a --zone or an --account"),
    }
}

/// A password from standard input, or a new random one (`true`).
fn password() -> anyhow::Result<(String, bool)> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return generated_password();
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok((password, false))
}

/// A new random password (32 hex digits), and `true`: it was made here.
fn generated_password() -> anyhow::Result<(String, bool)> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok((bytes.iter().map(|b| format!("{b:02x}")).collect(), true))
}

/// What `hadns import` reads.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// A zone file (with --origin).
    pub file: Option<PathBuf>,
    /// The zone's origin, for a zone file.
    #[arg(long, short = 'o')]
    pub origin: Option<String>,
    /// Import every primary zone of this BIND configuration instead.
    #[arg(long, conflicts_with_all = ["file", "origin"])]
    pub named_conf: Option<PathBuf>,
    /// PowerDNS kind of the zones created (native or master).
    #[arg(long, default_value = "master")]
    pub kind: String,
    /// Journal comment (default: the file imported).
    #[arg(long)]
    pub comment: Option<String>,
}

/// One zone to import, read and checked.
struct Parsed {
    origin: Name,
    file: PathBuf,
    records: Vec<Record>,
}

/// Runs `hadns import`: every file is read and checked first; a file with
/// errors imports nothing (and with --named-conf, no zone is imported
/// unless all of them read cleanly).
pub fn import(args: ImportArgs, store_args: &StoreArgs) -> anyhow::Result<ExitCode> {
    let kind: ZoneKind = match args.kind.to_ascii_lowercase().as_str() {
        "native" => ZoneKind::Native,
        "master" | "primary" => ZoneKind::Master,
        other => bail!("--kind {other}: expected native or master"),
    };
    let wanted: Vec<(Name, PathBuf)> = match (&args.named_conf, &args.file, &args.origin) {
        (Some(conf), _, _) => {
            let found = namedconf::read(conf).map_err(anyhow::Error::msg)?;
            for note in &found.skipped {
                eprintln!("skipped: {note}");
            }
            if found.zones.is_empty() {
                bail!("{} names no primary zone", conf.display());
            }
            found
                .zones
                .into_iter()
                .map(|z| {
                    Name::from_text(&z.name, Some(&Name::root()))
                        .map(|n| (n, z.file))
                        .map_err(|e| {
                            anyhow::anyhow!("{}: bad zone name `{}`: {e}", z.location, z.name)
                        })
                })
                .collect::<anyhow::Result<_>>()?
        }
        (None, Some(file), Some(origin)) => {
            let origin = Name::from_text(origin, Some(&Name::root()))
                .with_context(|| format!("bad origin `{origin}`"))?;
            vec![(origin, file.clone())]
        }
        (None, Some(_), None) => bail!("a zone file needs --origin"),
        (None, None, _) => bail!("name a zone file (with --origin) or --named-conf FILE"),
    };
    if let Some(config) = store_args.config()? {
        for (origin, _) in &wanted {
            if let Some(zone) = config
                .zones
                .iter()
                .find(|z| z.name.to_lowercase() == origin.to_lowercase())
                && (zone.file.is_some() || zone.role == config::Role::Secondary)
            {
                bail!(
                    "zone {origin} is configured as a zone file or a secondary, not kept in the store"
                );
            }
        }
    }
    let mut parsed = Vec::new();
    let mut failed = false;
    for (origin, file) in wanted {
        match read_zone(&origin, &file) {
            Ok(records) => parsed.push(Parsed {
                origin,
                file,
                records,
            }),
            Err(report) => {
                failed = true;
                eprint!("{report}");
            }
        }
    }
    if failed {
        eprintln!("nothing imported");
        return Ok(ExitCode::FAILURE);
    }
    let data_dir = store_args.data_dir()?;
    let store = store_args.open()?;
    let author = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "hadns import".into());
    let mut code = ExitCode::SUCCESS;
    for zone in parsed {
        let meta = ChangeMeta {
            author: author.clone(),
            source: Source::Import,
            comment: Some(
                args.comment
                    .clone()
                    .unwrap_or_else(|| format!("imported from {}", zone.file.display())),
            ),
            now: node::clock::unix_now(),
        };
        let count = zone.records.len();
        match store.import(&zone.origin, zone.records, kind, &meta) {
            Ok(applied) if applied.from == applied.to && applied.from.0 != 0 => {
                println!("zone {}: unchanged at serial {}", zone.origin, applied.to);
            }
            Ok(applied) => {
                println!(
                    "zone {}: imported {count} records, serial {} (was {})",
                    zone.origin, applied.to, applied.from
                );
                tell_running_node(&data_dir, &zone.origin);
            }
            Err(e) => {
                eprintln!("zone {}: not imported: {e}", zone.origin);
                code = ExitCode::FAILURE;
            }
        }
    }
    Ok(code)
}

/// Reads and checks a zone file; the error text lists every problem.
fn read_zone(origin: &Name, file: &Path) -> Result<Vec<Record>, String> {
    let mut report = String::new();
    let parsed = match zonefile::parse_file(file, origin) {
        Ok(parsed) => parsed,
        Err(diagnostics) => {
            for d in diagnostics {
                report.push_str(&format!("{d}\n"));
            }
            return Err(report);
        }
    };
    let diagnostics = zonefile::check(&parsed);
    for d in &diagnostics {
        report.push_str(&format!("{d}\n"));
    }
    if diagnostics.iter().any(zonefile::Diagnostic::is_error) {
        return Err(report);
    }
    eprint!("{report}");
    Ok(parsed.records.into_iter().map(|r| r.record).collect())
}

/// Asks a node running on this data directory to serve the new data.
fn tell_running_node(data_dir: &Path, zone: &Name) {
    if !data_dir.join(node::control::socket::SOCKET_NAME).exists() {
        return;
    }
    match node::control::socket::request(data_dir, &format!("sync {zone}")) {
        Ok((true, _, rest)) => print!("running node: {rest}"),
        Ok((false, first, _)) => eprintln!("running node: {first}"),
        // A socket left by a node that is not running: nothing to tell.
        Err(_) => {}
    }
}

/// Runs `hadns export ZONE`: the served records as a zone file.
pub fn export(zone: &str, view: Option<&str>, store_args: &StoreArgs) -> anyhow::Result<ExitCode> {
    let zone = Name::from_text(zone, Some(&Name::root()))
        .with_context(|| format!("bad zone name `{zone}`"))?;
    let store = store_args.open()?;
    if store.zone(&zone)?.is_none() {
        bail!("no zone {zone} in the store");
    }
    let records = match view {
        None => store.zone_records(&zone)?,
        Some(view) if store.views()?.iter().any(|v| v == view) => {
            store.zone_records_in_view(&zone, view)?
        }
        Some(view) => bail!("the store knows no view `{view}`"),
    };
    print!("{}", zonefile::write_zone(&zone.to_lowercase(), &records));
    Ok(ExitCode::SUCCESS)
}
