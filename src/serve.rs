//! `hadns serve`: the configuration and the command line turned into a
//! node's [`node::Plan`], and the wiring of a node: its lanes loaded, the
//! primary's writer ([`manage::Manager`]) opened over them when the node
//! keeps zones in a store, the HTTP server ([`web::serve`]) beside, and the
//! node served with the writer as its update sink and control hooks.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use answer::ZonePolicy;
use answer::acl::MatchList;
use anyhow::{Context, bail};
use config::{Config, Role, SerialPolicy};
use manage::{Elsewhere, KeyManager, ManagedLane, Manager, NodeHooks};
use node::zones::{Source, ZoneSpec};
use replicate::driver::{DriverSettings, NotifyTarget, RoleSetup, ZoneSetup};
use replicate::journal::JournalLimits;
use replicate::secondary::TimerBounds;
use wire::Name;
use wire::tsig::{Key, Keyring};

use crate::privilege;
use crate::sd_notify::{self, Notifier};

/// `hadns serve`'s options.
#[derive(clap::Args, Clone)]
pub struct ServeArgs {
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

/// Runs `hadns serve`.
pub fn serve_command(args: ServeArgs) -> anyhow::Result<ExitCode> {
    // systemd's socket, reached before a chroot could hide its path.
    let notifier = Arc::new(Notifier::from_env());
    let (args, confinement) = confine(args)?;
    // Read with the user's ids: a reload reads the same files after the drop.
    let built = {
        let _as_user = confinement.as_user()?;
        build(&args)?
    };
    run(built, args, confinement, notifier)?;
    Ok(ExitCode::SUCCESS)
}

/// Reads `[node]` of the configuration (user, group, chroot), looks the
/// account up and enters the chroot; returns the command line with the
/// configuration file as seen from there.
fn confine(mut args: ServeArgs) -> anyhow::Result<(ServeArgs, privilege::Confinement)> {
    let node = match &args.config {
        Some(path) => Config::load(path).map_err(anyhow::Error::msg)?.node,
        None => Config::default().node,
    };
    let confinement = privilege::Confinement::prepare(&node)?;
    if let Some(path) = &args.config
        && let Some(inside) = confinement.enter_chroot(path)?
    {
        args.config = Some(inside);
    }
    Ok((args, confinement))
}

/// The node's turning points: privileges dropped once its sockets are
/// bound, systemd told when it is ready and when it stops.
struct Turns {
    confinement: privilege::Confinement,
    notifier: Arc<Notifier>,
}

impl node::Lifecycle for Turns {
    fn bound(&self) -> anyhow::Result<()> {
        self.confinement.drop_privileges()
    }

    fn ready(&self) {
        self.notifier.notify(sd_notify::state::READY);
    }

    fn stopping(&self) {
        self.notifier.notify(sd_notify::state::STOPPING);
    }
}

/// A NOTIFY target as the file spells it.
fn notify_text(target: &config::NotifyTarget) -> String {
    config::typed::notify_target_text(target)
}

/// What a configuration (and the command line) make of a node: what it
/// serves, and its store's rules. Built at start and again by each reload.
struct Built {
    config: Config,
    plan: node::Plan,
    store: Option<StorePlan>,
}

/// Reads and checks the configuration and turns it, with the command
/// line, into a node's plan; the error names the file and line of a
/// configuration error.
fn build(args: &ServeArgs) -> anyhow::Result<Built> {
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
    // Each target signed with its own key, if it names one (the
    // configuration checked that every key named is a [[key]]).
    let targets = |list: &[config::NotifyTarget]| -> Vec<NotifyTarget> {
        list.iter()
            .map(|t| NotifyTarget {
                address: t.address,
                key: key(&t.key),
            })
            .collect()
    };
    let mut view_plans = Vec::with_capacity(config.views.len());
    for view in &config.views {
        let compile = |rules: &[config::MatchRule], key: &str| {
            MatchList::compile(rules, &lookup)
                .map_err(|e| anyhow::anyhow!("view {}: {key}: {e}", view.name))
        };
        view_plans.push(node::ViewPlan {
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
            rrl: rrl_settings(&view.rrl, &lookup)
                .map_err(|e| anyhow::anyhow!("view {}: rrl.exempt_clients: {e}", view.name))?,
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
                    notify: targets(&zone.notify),
                    notify_key: key(&zone.notify_key),
                    notify_ns: zone.notify_ns,
                    policy: manage::store_zone_policy(
                        compile(&zone.allow_transfer, "allow_transfer")?,
                        compile(&zone.allow_update, "allow_update")?,
                    ),
                    serial_policy: store_serial_policy(zone.serial_policy),
                    nameservers: config.zone_defaults.nameservers.clone(),
                    catalog_group: zone.catalog_group.clone(),
                    written: zone.written,
                    configured: manage::settings::ConfiguredText {
                        notify: zone.notify.iter().map(notify_text).collect(),
                        notify_key: zone.notify_key.as_ref().map(ToString::to_string),
                        allow_transfer: config::typed::match_list_text(&zone.allow_transfer),
                        allow_update: config::typed::match_list_text(&zone.allow_update),
                        serial_policy: store_serial_policy(zone.serial_policy).to_string(),
                        catalog_group: zone.catalog_group.clone(),
                    },
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
        replicated.push(node::Replicated {
            setup: ZoneSetup {
                apex: zone.name.clone(),
                role,
                notify: targets(&zone.notify),
                notify_key: key(&zone.notify_key),
                notify_ns: zone.notify_ns,
                catalog: None,
            },
            file: zone.file.clone(),
        });
    }
    let catalog_consumers = consumers(
        &config,
        &keyring,
        &mut replicated,
        &mut policies,
        &mut elsewhere,
    )?;
    let defaults = &config.zone_defaults;
    let compile_default = |rules: &[config::MatchRule], key: &str| {
        MatchList::compile(rules, &lookup).map_err(|e| anyhow::anyhow!("zone_defaults.{key}: {e}"))
    };
    warn_address_updates("zone_defaults", &defaults.allow_update);
    let default_rules = manage::ZoneRules {
        notify: targets(&defaults.notify),
        notify_key: key(&defaults.notify_key),
        notify_ns: defaults.notify_ns,
        policy: manage::store_zone_policy(
            compile_default(&defaults.allow_transfer, "allow_transfer")?,
            compile_default(&defaults.allow_update, "allow_update")?,
        ),
        serial_policy: store_serial_policy(defaults.serial_policy),
        nameservers: defaults.nameservers.clone(),
        catalog_group: None,
        // [zone_defaults] is what a zone's own settings override.
        written: config::WrittenKeys::default(),
        configured: manage::settings::ConfiguredText {
            notify: defaults.notify.iter().map(notify_text).collect(),
            notify_key: defaults.notify_key.as_ref().map(ToString::to_string),
            allow_transfer: config::typed::match_list_text(&defaults.allow_transfer),
            allow_update: config::typed::match_list_text(&defaults.allow_update),
            serial_policy: store_serial_policy(defaults.serial_policy).to_string(),
            catalog_group: None,
        },
    };
    // A node with a store: any node run from a configuration file, and the
    // embedded default. `--zone` alone (tests, benchmarks) has none.
    // With views, the store's zones are served in every view.
    let api_address = match (args.api_listen, embedded_default) {
        (Some(address), _) => Some(address),
        (None, true) => Some(DEFAULT_API_LISTEN.parse().expect("valid address")),
        (None, false) => config.api.listen,
    };
    let catalog = match &config.catalog.produce {
        None => None,
        Some(apex) => {
            let c = &config.catalog;
            let compile = |rules: &[config::MatchRule], key: &str| {
                MatchList::compile(rules, &lookup)
                    .map_err(|e| anyhow::anyhow!("catalog.{key}: {e}"))
            };
            let files = if c.include_files {
                manage::catalog::file_members(&config.zones, c.group.as_deref())
            } else {
                Default::default()
            };
            Some(manage::CatalogSetup {
                apex: apex.clone(),
                group: c.group.clone(),
                files,
                notify: targets(&c.notify),
                notify_key: key(&c.notify_key),
                allow_transfer: compile(&c.allow_transfer, "allow_transfer")?,
                allow_query: compile(&c.allow_query, "allow_query")?,
            })
        }
    };
    let store = (args.config.is_some() || embedded_default).then(|| StorePlan {
        path: config.node.data_dir.join(manage::STORE_FILE),
        rules: manage::Rules {
            declared,
            defaults: default_rules,
            elsewhere: Arc::new(elsewhere),
            catalog,
        },
        api: api_address,
        seed_example: embedded_default,
        node_name: config.node.name.clone(),
        configured_keys: keyring.clone(),
        unconfigured_keys: config.unconfigured_keys.clone(),
        effective_config: effective_config(&config, args, api_address),
        cors_origins: config.api.cors_origins.clone(),
        api_requests_per_second: config.api.requests_per_second,
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
        for builtin in node::zones::builtin() {
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
    let plan = node::Plan {
        listen,
        static_zones,
        replicated,
        settings,
        keyring,
        policies,
        data_dir: config.node.data_dir.clone(),
        udp_workers: args.udp_workers.unwrap_or(config.dns.udp_workers),
        tcp: node::tcp::Limits {
            idle_timeout: config.dns.tcp_idle_timeout.max(Duration::from_millis(100)),
            max_connections: config.dns.tcp_max_connections,
            max_connections_per_client: config.dns.tcp_max_connections_per_client,
        },
        replication: driver_settings(&config.replication),
        views: view_plans,
        catalog_consumers,
        query_log: node::querylog::Settings {
            enabled: config.log.queries,
            path: config.node.data_dir.join(&config.log.query_file),
            max_size: config.log.max_size,
            keep: config.log.keep,
            format: if config.log.json {
                node::querylog::Format::Json
            } else {
                node::querylog::Format::Text
            },
            views: Vec::new(),
        },
        rrl: rrl_settings(&config.rrl, &lookup)
            .map_err(|e| anyhow::anyhow!("rrl.exempt_clients: {e}"))?,
    };
    Ok(Built {
        config,
        plan,
        store,
    })
}

/// The limiter's settings from `[rrl]` or a view's `rrl`; `None` when it
/// limits nothing. `lookup` resolves `[[acl]]` names in `exempt_clients`.
fn rrl_settings<'a>(
    rrl: &config::RrlConfig,
    lookup: &dyn Fn(&str) -> Option<&'a [config::MatchRule]>,
) -> Result<Option<answer::rrl::Settings>, String> {
    if !rrl.is_active() {
        return Ok(None);
    }
    Ok(Some(answer::rrl::Settings {
        rates: answer::rrl::Rates {
            responses: rrl.responses_per_second,
            nodata: rrl.nodata_per_second,
            nxdomains: rrl.nxdomains_per_second,
            referrals: rrl.referrals_per_second,
            errors: rrl.errors_per_second,
        },
        slip: rrl.slip,
        window: rrl.window,
        ipv4_prefix_length: rrl.ipv4_prefix_length,
        ipv6_prefix_length: rrl.ipv6_prefix_length,
        exempt: MatchList::compile(&rrl.exempt_clients, lookup).map_err(|e| e.to_string())?,
        log_only: rrl.log_only,
    }))
}

/// The `[[catalog_consumer]]`s: each catalog becomes a secondary zone
/// (added to `replicated`, with its NOTIFY policy), and a consumer that
/// provisions its members from the templates.
fn consumers(
    config: &Config,
    keyring: &Keyring,
    replicated: &mut Vec<node::Replicated>,
    policies: &mut HashMap<Name, ZonePolicy>,
    elsewhere: &mut HashMap<Name, Elsewhere>,
) -> anyhow::Result<Vec<node::CatalogConsumer>> {
    let template = |t: &config::MemberTemplate| -> anyhow::Result<node::MemberTemplate> {
        // As for a [[zone]] without allow_notify: the primaries' addresses.
        let rules: Vec<config::MatchRule> = t
            .primaries
            .iter()
            .map(|p| config::MatchRule {
                negated: false,
                element: config::MatchElement::Prefix(p.ip().into()),
            })
            .collect();
        Ok(node::MemberTemplate {
            primaries: t.primaries.clone(),
            key: t.key.as_ref().and_then(|n| keyring.get(n).cloned()),
            allow_notify: MatchList::compile(&rules, &|_| None)
                .map_err(|e| anyhow::anyhow!("catalog_consumer: allow_notify: {e}"))?,
        })
    };
    let mut out = Vec::new();
    for c in &config.catalog_consumers {
        let default = template(&c.template)?;
        let apex = c.zone.to_lowercase();
        policies.insert(
            apex.clone(),
            ZonePolicy {
                // The catalog is read here, not passed on.
                allow_transfer: MatchList::none(),
                allow_notify: Some(default.allow_notify.clone()),
                allow_update: None,
            },
        );
        elsewhere.insert(
            apex.clone(),
            manage::Elsewhere::Secondary(c.template.primaries.clone()),
        );
        replicated.push(node::Replicated {
            setup: ZoneSetup {
                apex: apex.clone(),
                role: RoleSetup::Secondary {
                    primaries: default.primaries.clone(),
                    key: default.key.clone(),
                },
                notify: Vec::new(),
                notify_key: None,
                notify_ns: false,
                catalog: None,
            },
            file: None,
        });
        let mut groups = HashMap::new();
        for g in &c.groups {
            if let Some(name) = &g.group {
                groups.insert(name.clone(), template(g)?);
            }
        }
        out.push(node::CatalogConsumer {
            apex,
            template: default,
            groups,
        });
    }
    Ok(out)
}

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
        max_transfers_out_per_client: r.max_transfers_out_per_client,
        transfer_in: replicate::driver::TransferInLimits {
            max_records: r.max_transfer_records,
            max_bytes: r.max_transfer_size,
        },
        transfer_timeout: r.transfer_timeout,
        after_load: Some(node::memory::release_free_memory),
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

/// The store side of a node: zones kept in SQLite, changed through the API
/// and dynamic updates.
struct StorePlan {
    /// The database file.
    path: PathBuf,
    /// What the configuration says of the store's zones.
    rules: manage::Rules,
    /// HTTP address of the API and web UI.
    api: Option<SocketAddr>,
    /// The embedded default: put the example zone in an empty store.
    seed_example: bool,
    /// The node's name, shown by the API.
    node_name: String,
    /// The configuration's `[[key]]`s (the store's are added at start).
    configured_keys: Keyring,
    /// Match-list `key NAME`s naming no `[[key]]`: warned about at start
    /// unless the store has the key.
    unconfigured_keys: Vec<config::UnconfiguredKey>,
    /// The effective settings `GET …/config` shows (no secrets).
    effective_config: Vec<(String, String)>,
    /// Web origins allowed to call the API from a browser (CORS).
    cors_origins: Vec<String>,
    /// Requests a second per API token.
    api_requests_per_second: u32,
}

/// Loads the node's lanes, opens the store over them, and serves until
/// SIGTERM or SIGINT. Every zone must load and the store must open, or the
/// node does not start (the error lists every reason).
fn run(
    built: Built,
    args: ServeArgs,
    confinement: privilege::Confinement,
    notifier: Arc<Notifier>,
) -> anyhow::Result<()> {
    let Built {
        config,
        plan,
        store,
    } = built;
    let started = Instant::now();
    let health_listen = config.health.listen;
    let metrics_listen = config.metrics.listen;
    let node_name = config.node.name.clone();
    // The `[[peer]]`s the cluster page acts on; a reload replaces them.
    let peers: web::Peers = Arc::new(std::sync::RwLock::new(config.peers.clone()));
    confinement.prepare_data_dir(&config.node.data_dir)?;
    // Loaded and opened with the user's ids: what is created is the user's.
    let as_user = confinement.as_user()?;
    // Before anything in the data directory is opened; held until exit.
    let _data_dir_lock = crate::data_dir::lock(&config.node.data_dir)?;
    let loaded = node::load(plan)?;
    let mut failures = loaded.failures().to_vec();
    let node_metrics =
        node::metrics::NodeMetrics::new(loaded.observed().clone(), Arc::clone(loaded.lanes()));
    let metrics = web::Metrics::new(node_metrics.clone());
    // The store's zones are served in every lane (every view).
    let managed: Vec<ManagedLane> = loaded
        .lanes()
        .iter()
        .map(|lane| ManagedLane {
            view: lane.view.clone(),
            replicator: Arc::clone(&lane.replicator),
        })
        .collect();
    let health_lanes = managed.clone();
    let manager = match &store {
        Some(store_plan) => match open_store(store_plan, managed) {
            Ok(manager) => Some(manager),
            Err(e) => {
                failures.push(format!("{e:#}"));
                None
            }
        },
        None => None,
    };
    if !failures.is_empty() {
        bail!("{}", failures.join("\n"));
    }
    drop(as_user);
    let mut services = node::Services {
        config: Some(Arc::new(Reload {
            args,
            running: std::sync::Mutex::new(config),
            manager: manager.clone(),
            notifier: Arc::clone(&notifier),
            peers: Arc::clone(&peers),
        })),
        lifecycle: Some(Arc::new(Turns {
            confinement,
            notifier,
        })),
        ..node::Services::default()
    };
    if let Some(manager) = &manager {
        let hooks = Arc::new(NodeHooks(Arc::clone(manager)));
        services.updates = Some(hooks.clone());
        services.control = Some(hooks);
    }
    if let (Some(manager), Some(store_plan)) = (&manager, &store)
        && let Some(address) = store_plan.api
    {
        let settings = web::HttpSettings {
            node_name: store_plan.node_name.clone(),
            started,
            effective_config: store_plan.effective_config.clone(),
            cors_origins: store_plan.cors_origins.clone(),
            api_requests_per_second: store_plan.api_requests_per_second,
            metrics: Arc::clone(&metrics),
            node_metrics,
            control: Some(loaded.controller()),
            peers,
        };
        let manager = Arc::clone(manager);
        http_listener(&mut services, address, "the API", move |listener| {
            web::serve(listener, manager, settings)
        })?;
    }
    if let Some(address) = health_listen {
        // `[health] listen`: GET /health alone, for nodes without the API
        // (or with the API kept off the network the balancers are on).
        let source = Arc::new(web::HealthSource::new(node_name, health_lanes));
        http_listener(&mut services, address, "[health] listen", move |listener| {
            web::serve_health(listener, source)
        })?;
    }
    if let Some(address) = metrics_listen {
        // `[metrics] listen`: GET /metrics alone, for nodes without the API.
        http_listener(
            &mut services,
            address,
            "[metrics] listen",
            move |listener| web::serve_metrics(listener, metrics),
        )?;
    }
    node::serve(loaded, services)
}

/// Binds an HTTP listener on `address` now (before any privilege drop)
/// and serves it with `serve` once the runtime runs; `what` names it in
/// the error and the log.
fn http_listener<F, Served>(
    services: &mut node::Services,
    address: std::net::SocketAddr,
    what: &'static str,
    serve: F,
) -> anyhow::Result<()>
where
    F: FnOnce(tokio::net::TcpListener) -> Served + Send + 'static,
    Served: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = std::net::TcpListener::bind(address)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .with_context(|| format!("cannot bind {what} to {address}"))?;
    services.tasks.push(Box::new(move || {
        match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => {
                if let Ok(address) = listener.local_addr() {
                    tracing::info!(%address, listener = what, "HTTP listening");
                }
                tokio::spawn(serve(listener));
            }
            Err(e) => tracing::error!(error = %e, "cannot serve {what}"),
        }
    }));
    Ok(())
}

/// Opens the store, serves its zones, and creates the first user and API
/// token (and the example zone for the embedded default) on first start.
fn open_store(plan: &StorePlan, lanes: Vec<ManagedLane>) -> anyhow::Result<Arc<Manager>> {
    let store = store::Store::open(&plan.path)
        .with_context(|| format!("cannot open the store {}", plan.path.display()))?;
    let store = Arc::new(store);
    if plan.seed_example && store.zones()?.is_empty() {
        manage::bootstrap::seed_example(&store)?;
    }
    if plan.api.is_some() && store.users()?.is_empty() {
        let data_dir = plan.path.parent().unwrap_or(std::path::Path::new("."));
        manage::bootstrap::first_user(&store, data_dir, plan.api)?;
    }
    let keys = Arc::new(KeyManager::new(
        Arc::clone(&store),
        plan.configured_keys.clone(),
        lanes.iter().map(|l| Arc::clone(&l.replicator)).collect(),
    ));
    let stored_keys = keys
        .start(&plan.unconfigured_keys)
        .context("cannot read the TSIG keys of the store")?;
    let manager = Manager::new(store, lanes, plan.rules.clone(), keys);
    let count = manager.start().map_err(anyhow::Error::msg)?;
    tracing::info!(zones = count, tsig_keys = stored_keys, store = %plan.path.display(), "store opened");
    Ok(manager)
}

/// A reload (SIGHUP, `hadns ctl reload`): the configuration read again
/// with the same command line, checked whole, then applied to the node
/// and to the store's rules. Nothing changes unless all of it is valid.
struct Reload {
    /// The command line the node was started with (its overrides stay).
    args: ServeArgs,
    /// The configuration running now.
    running: std::sync::Mutex<Config>,
    /// The store's writer, when the node has a store.
    manager: Option<Arc<Manager>>,
    /// systemd hears when a reload starts and ends.
    notifier: Arc<Notifier>,
    /// The `[[peer]]`s the web UI reads, replaced by each reload.
    peers: web::Peers,
}

impl node::ConfigSource for Reload {
    fn reload(&self, node: &node::Reloader) -> Result<Vec<String>, String> {
        self.notifier.notify(sd_notify::state::RELOADING);
        let outcome = self.reload_now(node);
        self.notifier.notify(sd_notify::state::READY);
        outcome
    }
}

impl Reload {
    /// The reload itself: the whole configuration checked, then applied.
    fn reload_now(&self, node: &node::Reloader) -> Result<Vec<String>, String> {
        let built = build(&self.args).map_err(|e| format!("{e:#}"))?;
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let later = restart_only_changes(&running, &built.config)?;
        let rules = built.store.as_ref().map(|s| s.rules.clone());
        if let (Some(manager), Some(rules)) = (&self.manager, &rules) {
            manager.check_rules(rules)?;
        }
        let configured = built.plan.keyring.clone();
        let keyring = match &self.manager {
            Some(manager) => manager
                .keys()
                .merged_with(&configured)
                .map_err(|e| format!("cannot read the store's TSIG keys: {e}"))?,
            None => configured.clone(),
        };
        let mut done = node.apply(built.plan.definition(keyring))?;
        if let (Some(manager), Some(rules)) = (&self.manager, rules) {
            done.extend(manager.reconfigure(rules));
            manager.keys().set_configured(configured);
        }
        done.extend(later);
        if built.config.peers != running.peers {
            *self.peers.write().unwrap_or_else(|e| e.into_inner()) = built.config.peers.clone();
            done.push(format!("[[peer]]s: {} now", built.config.peers.len()));
        }
        *running = built.config;
        Ok(done)
    }
}

/// What changed between `running` and `next` that a reload does not
/// apply: the sockets, threads, data directory, HTTP server and
/// replication tunables take effect at the next restart (each is named
/// in the reload's reply). A change to the catalogs consumed is refused:
/// applying the rest without it would leave their members half-configured.
fn restart_only_changes(running: &Config, next: &Config) -> Result<Vec<String>, String> {
    if format!("{:?}", running.catalog_consumers) != format!("{:?}", next.catalog_consumers) {
        return Err(
            "[[catalog_consumer]] changed: consuming other catalogs needs a restart".to_string(),
        );
    }
    const AT_RESTART: &[&str] = &[
        "node.name",
        "node.data_dir",
        "node.user",
        "node.group",
        "node.chroot",
        "dns.listen",
        "dns.udp_workers",
        "dns.tcp_idle_timeout",
        "dns.tcp_max_connections",
        "dns.tcp_max_connections_per_client",
        "api.listen",
        "api.cors_origins",
        "api.requests_per_second",
        "health.listen",
        "metrics.listen",
        "log.queries",
        "log.query_file",
        "log.max_size",
        "log.keep",
        "log.format",
    ];
    let before: HashMap<String, String> = running.effective_settings().into_iter().collect();
    let mut later: Vec<String> = next
        .effective_settings()
        .into_iter()
        .filter(|(name, value)| {
            AT_RESTART.contains(&name.as_str()) && before.get(name) != Some(value)
        })
        .map(|(name, _)| format!("{name} changed: takes effect at the next restart"))
        .collect();
    if format!("{:?}", running.replication) != format!("{:?}", next.replication) {
        later.push("[replication] changed: takes effect at the next restart".to_string());
    }
    // The limiters' tables are made at start, one per view.
    let rrl_changed = running.rrl != next.rrl
        || running.views.len() != next.views.len()
        || running
            .views
            .iter()
            .zip(&next.views)
            .any(|(a, b)| a.rrl != b.rrl);
    if rrl_changed {
        later.push("[rrl] changed: takes effect at the next restart".to_string());
    }
    Ok(later)
}
