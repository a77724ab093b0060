//! `hadns`: a high-availability authoritative DNS server.
//!
//! The binary is thin: it turns command lines and configuration into a
//! [`serve::Plan`] and runs it, or runs one of the validators. The protocol
//! lives in the library crates (`wire`, `zonefile`, `zone`, `answer`,
//! `config`); see ARCHITECTURE.md for the map.

mod admin;
mod bootstrap;
mod control;
mod http;
mod keys;
mod manage;
mod memory;
mod namedconf;
mod seclog;
mod serve;
mod tcp;
mod udp;
mod ui;
mod zones;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use std::collections::HashMap;

use answer::ZonePolicy;
use answer::acl::MatchList;
use config::{Config, Role, SerialPolicy};
use replicate::driver::{DriverSettings, RoleSetup, ZoneSetup};
use replicate::journal::JournalLimits;
use replicate::secondary::TimerBounds;
use wire::Name;
use wire::tsig::{Key, Keyring};

use crate::zones::{Source, ZoneSpec};

/// High-availability authoritative DNS server.
#[derive(Parser)]
#[command(name = "hadns", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a node. With no options: serve the example zone example.test. on
    /// 127.0.0.1:5353.
    Serve(ServeArgs),
    /// Zone file tools.
    #[command(subcommand)]
    Zone(ZoneCommand),
    /// Configuration tools.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Control a running node (over the control socket in its data_dir).
    Ctl(CtlArgs),
    /// Users of the web UI and API (in the node's store).
    User {
        #[command(subcommand)]
        command: admin::UserCommand,
        #[command(flatten)]
        store: admin::StoreArgs,
    },
    /// API tokens (in the node's store).
    Token {
        #[command(subcommand)]
        command: admin::TokenCommand,
        #[command(flatten)]
        store: admin::StoreArgs,
    },
    /// Import a zone file (or every primary zone of a named.conf) into the
    /// store, as one journal entry per zone.
    Import {
        #[command(flatten)]
        args: admin::ImportArgs,
        #[command(flatten)]
        store: admin::StoreArgs,
    },
    /// Print a store zone as a zone file.
    Export {
        /// The zone.
        zone: String,
        /// The view whose copy to print (its own RRsets in place of the
        /// base's); without it, the base.
        #[arg(long)]
        view: Option<String>,
        #[command(flatten)]
        store: admin::StoreArgs,
    },
}

#[derive(clap::Args)]
struct CtlArgs {
    /// status (every zone: role, serial, view), zone-status ZONE (timers,
    /// journal, NOTIFY targets), notify ZONE, refresh ZONE, retransfer ZONE,
    /// reload (re-read zone files), sync ZONE (re-read a store zone another
    /// process changed).
    command: String,
    /// The zone, for the per-zone commands.
    zone: Option<String>,
    /// The zone's view, on a node with views where it is in several.
    #[arg(long)]
    view: Option<String>,
    /// The node's configuration (to find its data_dir).
    #[arg(long, short = 'c')]
    config: Option<PathBuf>,
    /// The node's data directory (instead of --config).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Print the reply as one JSON document, for scripts.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Configuration file (TOML, see docs/configuration.md).
    #[arg(long, short = 'c')]
    config: Option<PathBuf>,
    /// Serve a zone file: ORIGIN=FILE (repeatable). Added to the config's zones.
    #[arg(long = "zone", value_name = "ORIGIN=FILE")]
    zones: Vec<String>,
    /// Listen address for UDP and TCP (repeatable); replaces the config's.
    #[arg(long = "listen", value_name = "ADDR:PORT")]
    listen: Vec<SocketAddr>,
    /// HTTP address of the API; replaces the config's `[api] listen`.
    #[arg(long, value_name = "ADDR:PORT")]
    api_listen: Option<SocketAddr>,
    /// UDP worker threads per address (default: one per CPU).
    #[arg(long)]
    udp_workers: Option<usize>,
    /// Do not serve the built-in localhost and loopback reverse zones.
    #[arg(long)]
    no_builtin_zones: bool,
}

#[derive(Subcommand)]
enum ZoneCommand {
    /// Check a zone file like named-checkzone: print every problem, exit 1
    /// on errors; on success print the serial and record count.
    Check {
        /// The zone file.
        file: PathBuf,
        /// The zone's origin (apex).
        #[arg(long, short = 'o')]
        origin: String,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Check a configuration file like named-checkconf.
    Check {
        /// The configuration file.
        file: PathBuf,
        /// Also load and check every zone file it names.
        #[arg(long, short = 'z')]
        zones: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Serve(args) => serve_command(args),
        Command::Zone(ZoneCommand::Check { file, origin }) => zone_check(&file, &origin),
        Command::Config(ConfigCommand::Check { file, zones }) => config_check(&file, zones),
        Command::Ctl(args) => ctl_command(args),
        Command::User { command, store } => admin::user(command, &store),
        Command::Token { command, store } => admin::token(command, &store),
        Command::Import { args, store } => admin::import(args, &store),
        Command::Export { zone, view, store } => admin::export(&zone, view.as_deref(), &store),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hadns: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("HADNS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}

fn serve_command(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let embedded_default = args.config.is_none() && args.zones.is_empty();
    let config = match &args.config {
        Some(path) => Config::load(path).map_err(anyhow::Error::msg)?,
        None => Config::default(),
    };
    refuse_unbuilt_features(&config)?;
    let keyring = keyring(&config);
    let mut replicated = Vec::new();
    let mut policies = HashMap::new();
    let mut declared = HashMap::new();
    let mut elsewhere = HashMap::new();
    let lookup = |name: &str| {
        config
            .acls
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.rules.as_slice())
    };
    let key = |name: &Option<Name>| name.as_ref().and_then(|n| keyring.get(n).cloned());
    let mut view_plans = Vec::with_capacity(config.views.len());
    for view in &config.views {
        let compile = |rules: &[config::MatchRule], key: &str| {
            MatchList::compile(rules, &lookup)
                .map_err(|e| anyhow::anyhow!("view {}: {key}: {e}", view.name))
        };
        view_plans.push(serve::ViewPlan {
            view: answer::view::View::new(
                &view.name,
                compile(&view.match_clients, "match_clients")?,
                view.match_keys.clone(),
                if view.match_ecs {
                    Some(compile(&view.ecs_trusted, "ecs_trusted")?)
                } else {
                    None
                },
            ),
            replicated: Vec::new(),
            policies: HashMap::new(),
        });
    }
    for zone in &config.zones {
        let compile = |rules: &[config::MatchRule], key: &str| {
            MatchList::compile(rules, &lookup)
                .map_err(|e| anyhow::anyhow!("zone {}: {key}: {e}", zone.name))
        };
        if zone.role == Role::Primary && zone.file.is_none() {
            // Kept in the store: the manager serves it with these rules.
            warn_address_updates(&zone.name.to_string(), &zone.allow_update);
            declared.insert(
                (zone.view.clone(), zone.name.to_lowercase()),
                manage::ZoneRules {
                    notify: zone.notify.clone(),
                    notify_key: key(&zone.notify_key),
                    notify_ns: zone.notify_ns,
                    policy: manage::store_zone_policy(
                        compile(&zone.allow_transfer, "allow_transfer")?,
                        compile(&zone.allow_update, "allow_update")?,
                    ),
                    serial_policy: store_serial_policy(zone.serial_policy),
                    nameservers: config.zone_defaults.nameservers.clone(),
                },
            );
            continue;
        }
        if zone.file.is_some() && !zone.allow_update.is_empty() {
            // The format allows it (BIND does), but a zone file has nowhere
            // durable to put the change: say so rather than act silently.
            tracing::warn!(
                zone = %zone.name,
                "allow_update is ignored for a zone read from a file: updates are answered NOTAUTH; omit `file` to keep the zone in the store and take updates"
            );
        }
        elsewhere.insert(
            zone.name.to_lowercase(),
            match (&zone.file, zone.role) {
                (Some(file), _) => manage::Elsewhere::File(file.clone()),
                (None, _) => manage::Elsewhere::Secondary(zone.primaries.clone()),
            },
        );
        let role = match zone.role {
            Role::Primary => RoleSetup::Primary {
                serial_policy: match zone.serial_policy {
                    SerialPolicy::Auto => replicate::driver::SerialPolicy::Auto,
                    _ => replicate::driver::SerialPolicy::Keep,
                },
            },
            Role::Secondary => RoleSetup::Secondary {
                primaries: zone.primaries.clone(),
                key: key(&zone.primary_key),
            },
        };
        // A zone in a view is that view's alone (refuse_unbuilt_features
        // made sure the view exists and holds only file and secondary zones).
        let (policies, replicated) = match zone
            .view
            .as_ref()
            .and_then(|v| view_plans.iter_mut().find(|p| p.view.name == *v))
        {
            Some(plan) => (&mut plan.policies, &mut plan.replicated),
            None => (&mut policies, &mut replicated),
        };
        policies.insert(
            zone.name.to_lowercase(),
            ZonePolicy {
                allow_transfer: compile(&zone.allow_transfer, "allow_transfer")?,
                allow_notify: match zone.role {
                    Role::Secondary => Some(compile(&zone.allow_notify, "allow_notify")?),
                    Role::Primary => None,
                },
                // Zone files and secondaries take no updates: NOTAUTH.
                allow_update: None,
            },
        );
        replicated.push(serve::Replicated {
            setup: ZoneSetup {
                apex: zone.name.clone(),
                role,
                notify: zone.notify.clone(),
                notify_key: key(&zone.notify_key),
                notify_ns: zone.notify_ns,
            },
            file: zone.file.clone(),
        });
    }
    let defaults = &config.zone_defaults;
    let compile_default = |rules: &[config::MatchRule], key: &str| {
        MatchList::compile(rules, &lookup).map_err(|e| anyhow::anyhow!("zone_defaults.{key}: {e}"))
    };
    warn_address_updates("zone_defaults", &defaults.allow_update);
    let default_rules = manage::ZoneRules {
        notify: defaults.notify.clone(),
        notify_key: key(&defaults.notify_key),
        notify_ns: defaults.notify_ns,
        policy: manage::store_zone_policy(
            compile_default(&defaults.allow_transfer, "allow_transfer")?,
            compile_default(&defaults.allow_update, "allow_update")?,
        ),
        serial_policy: store_serial_policy(defaults.serial_policy),
        nameservers: defaults.nameservers.clone(),
    };
    // A node with a store: any node run from a configuration file, and the
    // embedded default. `--zone` alone (tests, benchmarks) has none.
    // With views, the store's zones are served in every view.
    let api_address = match (args.api_listen, embedded_default) {
        (Some(address), _) => Some(address),
        (None, true) => Some(DEFAULT_API_LISTEN.parse().expect("valid address")),
        (None, false) => config.api.listen,
    };
    let store = (args.config.is_some() || embedded_default).then(|| serve::StorePlan {
        path: config.node.data_dir.join(STORE_FILE),
        declared,
        defaults: default_rules,
        elsewhere,
        api: api_address,
        seed_example: embedded_default,
        node_name: config.node.name.clone(),
        configured_keys: keyring.clone(),
        unconfigured_keys: config.unconfigured_keys.clone(),
        effective_config: effective_config(&config, &args, api_address),
        cors_origins: config.api.cors_origins.clone(),
    });
    let mut static_zones = Vec::new();
    for arg in &args.zones {
        let (origin, file) = arg
            .split_once('=')
            .with_context(|| format!("--zone {arg}: expected ORIGIN=FILE"))?;
        let origin = Name::from_text(origin, Some(&Name::root()))
            .with_context(|| format!("--zone {arg}: bad origin"))?;
        static_zones.push(ZoneSpec {
            origin,
            source: Source::File(PathBuf::from(file)),
        });
    }
    if config.dns.builtin_zones && !args.no_builtin_zones {
        for builtin in zones::builtin() {
            let taken = static_zones.iter().any(|z| z.origin == builtin.origin)
                || replicated.iter().any(|z| z.setup.apex == builtin.origin);
            if !taken {
                static_zones.push(builtin);
            }
        }
    }
    let listen = if args.listen.is_empty() {
        config.dns.listen.clone()
    } else {
        args.listen.clone()
    };
    let settings = answer::Settings {
        edns_udp_payload: config.dns.edns_udp_payload,
        version: config.dns.version.clone(),
        identity: config.dns.identity.clone(),
        nsid: config.dns.nsid.clone(),
    };
    let plan = serve::Plan {
        listen,
        static_zones,
        replicated,
        settings,
        keyring,
        policies,
        data_dir: config.node.data_dir.clone(),
        udp_workers: args.udp_workers.unwrap_or(config.dns.udp_workers),
        tcp: tcp::Limits {
            idle_timeout: config.dns.tcp_idle_timeout.max(Duration::from_millis(100)),
            max_connections: config.dns.tcp_max_connections,
        },
        replication: driver_settings(&config.replication),
        store,
        views: view_plans,
    };
    serve::run(plan)?;
    Ok(ExitCode::SUCCESS)
}

/// The store's file inside the data directory.
pub(crate) const STORE_FILE: &str = "hadns.db";

/// Where the embedded default serves HTTP.
const DEFAULT_API_LISTEN: &str = "127.0.0.1:8053";

/// The store's serial policy for a configured one (the configuration
/// refuses `keep` and `auto` for store zones).
fn store_serial_policy(policy: SerialPolicy) -> store::SerialPolicy {
    match policy {
        SerialPolicy::Date => store::SerialPolicy::Date,
        _ => store::SerialPolicy::Increment,
    }
}

/// Logs a warning when updates are allowed by address: RFC 2136 updates
/// with no TSIG can be forged by anyone who can spoof the address.
fn warn_address_updates(zone: &str, rules: &[config::MatchRule]) {
    if rules.iter().any(|r| {
        !r.negated
            && matches!(
                r.element,
                config::MatchElement::Prefix(_)
                    | config::MatchElement::Acl(_)
                    | config::MatchElement::Any
            )
    }) {
        tracing::warn!(
            zone,
            "allow_update admits clients by address; updates without TSIG can be forged by address spoofing"
        );
    }
}

/// Replication tunables from `[replication]`.
fn driver_settings(r: &config::ReplicationConfig) -> DriverSettings {
    DriverSettings {
        bounds: TimerBounds {
            refresh: r.refresh,
            retry: r.retry,
            expire: r.expire,
        },
        journal: JournalLimits {
            max_bytes: r.journal_max_size,
            max_entries: r.journal_max_entries,
        },
        max_transfers_out: r.max_transfers_out,
        transfer_timeout: r.transfer_timeout,
        after_load: Some(memory::release_free_memory),
        ..DriverSettings::default()
    }
}

/// The settings `GET …/config` shows: the configuration's, with the
/// command line's overrides (`--listen`, `--api-listen`, `--udp-workers`,
/// `--no-builtin-zones`) in place and the UDP worker count the node runs.
fn effective_config(
    config: &Config,
    args: &ServeArgs,
    api: Option<std::net::SocketAddr>,
) -> Vec<(String, String)> {
    let mut settings = config.effective_settings();
    let join = |list: &[std::net::SocketAddr]| {
        list.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (name, value) in &mut settings {
        match name.as_str() {
            "dns.listen" if !args.listen.is_empty() => *value = join(&args.listen),
            "api.listen" => *value = api.map_or_else(|| "none".to_string(), |a| a.to_string()),
            "dns.udp_workers" => {
                // 0 means one per CPU: show the count the node runs.
                let workers = args.udp_workers.unwrap_or(config.dns.udp_workers);
                let workers = if workers == 0 {
                    std::thread::available_parallelism().map_or(1, |n| n.get())
                } else {
                    workers
                };
                *value = workers.to_string();
            }
            "dns.builtin_zones" if args.no_builtin_zones => *value = "false".to_string(),
            _ => {}
        }
    }
    settings
}

/// The TSIG keys of the configuration.
fn keyring(config: &Config) -> Keyring {
    config
        .keys
        .iter()
        .map(|k| Key::new(k.name.clone(), k.algorithm, k.secret.clone()))
        .collect()
}

/// Refuses configuration this build accepts in its format but cannot act
/// on, rather than silently ignoring it: with `[[view]]`s, every zone read
/// from a file or copied as a secondary must name its view (as in BIND). A
/// zone kept in the store is served in every view; its `[[zone]]` may name
/// a view to give that view's copy its own transfer and NOTIFY rules.
fn refuse_unbuilt_features(config: &Config) -> anyhow::Result<()> {
    if config.views.is_empty() {
        return Ok(());
    }
    for zone in &config.zones {
        let in_store = zone.role == Role::Primary && zone.file.is_none();
        if zone.view.is_none() && !in_store {
            bail!(
                "zone {}: [[view]]s are configured, so every zone read from a file or copied as a secondary must name its view (`view = \"…\"`)",
                zone.name
            );
        }
    }
    Ok(())
}

fn ctl_command(args: CtlArgs) -> anyhow::Result<ExitCode> {
    let data_dir = match (&args.data_dir, &args.config) {
        (Some(dir), _) => dir.clone(),
        (None, Some(config)) => {
            Config::load(config)
                .map_err(anyhow::Error::msg)?
                .node
                .data_dir
        }
        (None, None) => Config::default().node.data_dir,
    };
    let mut command = if args.json {
        format!("json {}", args.command)
    } else {
        args.command.clone()
    };
    if let Some(zone) = &args.zone {
        command.push(' ');
        command.push_str(zone);
        if let Some(view) = &args.view {
            command.push(' ');
            command.push_str(view);
        }
    }
    Ok(if control::client(&data_dir, &command)? {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn zone_check(file: &std::path::Path, origin: &str) -> anyhow::Result<ExitCode> {
    let origin = Name::from_text(origin, Some(&Name::root()))
        .with_context(|| format!("bad origin `{origin}`"))?;
    let parsed = match zonefile::parse_file(file, &origin) {
        Ok(parsed) => parsed,
        Err(diagnostics) => {
            for d in &diagnostics {
                println!("{d}");
            }
            println!("zone {origin}/IN: not loaded due to errors");
            return Ok(ExitCode::FAILURE);
        }
    };
    let diagnostics = zonefile::check(&parsed);
    for d in &diagnostics {
        println!("{d}");
    }
    if diagnostics.iter().any(zonefile::Diagnostic::is_error) {
        println!("zone {origin}/IN: not loaded due to errors");
        return Ok(ExitCode::FAILURE);
    }
    let records = parsed.records.into_iter().map(|r| r.record).collect();
    let zone = zone::Zone::build(&origin, records, zone::BuildOptions { precompile: false })?;
    println!(
        "zone {origin}/IN: loaded serial {}, {} records",
        zone.serial(),
        zone.record_count()
    );
    println!("OK");
    Ok(ExitCode::SUCCESS)
}

fn config_check(file: &std::path::Path, check_zones: bool) -> anyhow::Result<ExitCode> {
    let config = match Config::load(file) {
        Ok(config) => config,
        Err(e) => {
            println!("{e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    // Not errors: such a key may be kept in the store, which the file
    // cannot show; the node warns at start if the store lacks it too.
    for reference in &config.unconfigured_keys {
        println!("warning: {}", reference.place);
    }
    let mut ok = true;
    if check_zones {
        for zone in &config.zones {
            let Some(path) = &zone.file else { continue };
            let spec = ZoneSpec {
                origin: zone.name.clone(),
                source: Source::File(path.clone()),
            };
            match zones::load(&spec) {
                Ok(loaded) => {
                    for w in &loaded.warnings {
                        println!("{w}");
                    }
                    println!(
                        "zone {}/IN: loaded serial {}",
                        zone.name,
                        loaded.zone.serial()
                    );
                }
                Err(e) => {
                    println!("{e}");
                    ok = false;
                }
            }
        }
    }
    if ok {
        println!("OK");
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::FAILURE)
    }
}
