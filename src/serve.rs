//! Running a node: load the zones, bind the sockets, start the UDP workers,
//! the tokio side (TCP, replication, control socket, signals), reload on
//! SIGHUP, stop on SIGTERM.
//!
//! ```text
//!            ┌──────── Arc<ArcSwap<Served>> ─────────────┐
//!  load ───► │ catalog + settings + keys + zone policies  │ ◄── Replicator::publish (transfers in,
//!            └──────┬──────────────────────┬──────────────┘     zone file reloads), one at a time
//!          UDP worker threads        tokio: TCP connections ──► AXFR/IXFR out (Replicator)
//!      (recvmmsg → respond → sendmmsg)   replication tasks (secondaries, NOTIFY out)
//!                                        control socket (hadns ctl), signals
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use answer::{Served, Settings, ZonePolicy};
use anyhow::{Context, bail};
use arc_swap::ArcSwap;
use replicate::driver::{DriverSettings, PrimaryOutcome, Replicator, ZoneSetup};
use wire::Name;
use wire::tsig::Keyring;

use crate::manage::{Elsewhere, ManagedLane, Manager, ZoneRules};
use crate::tcp::{self, Limits};
use crate::udp;
use crate::zones::{self, Source, ZoneSpec};

/// A zone kept in step with its secondaries (or its primaries).
pub struct Replicated {
    /// How it replicates.
    pub setup: ZoneSetup,
    /// For a primary, the zone file it is read from.
    pub file: Option<PathBuf>,
}

/// Everything needed to run a node.
pub struct Plan {
    /// DNS listen addresses (UDP and TCP on each).
    pub listen: Vec<SocketAddr>,
    /// Zones served as read, without journal or NOTIFY (command-line zones,
    /// the example and built-in zones).
    pub static_zones: Vec<ZoneSpec>,
    /// Zones under replication (from the configuration file).
    pub replicated: Vec<Replicated>,
    /// Answering settings.
    pub settings: Settings,
    /// TSIG keys.
    pub keyring: Keyring,
    /// Per-zone access rules.
    pub policies: HashMap<Name, ZonePolicy>,
    /// Where journals, copies and the control socket live.
    pub data_dir: PathBuf,
    /// UDP worker threads per listen address (0: one per CPU).
    pub udp_workers: usize,
    /// TCP limits.
    pub tcp: Limits,
    /// Replication tunables.
    pub replication: DriverSettings,
    /// The store and the API, on a node that keeps zones in a store.
    pub store: Option<StorePlan>,
    /// `[[view]]`s, in match order. Empty: one default view serves
    /// `replicated` under `policies`. Otherwise every replicated zone is in
    /// a view, and each view has its own served state and replicator (its
    /// journals and copies under `data_dir/views/NAME/`); the static zones
    /// are served in every view.
    pub views: Vec<ViewPlan>,
}

/// One `[[view]]`: who it serves and its zones.
pub struct ViewPlan {
    /// Its matching rules (and name).
    pub view: answer::view::View,
    /// Its zones under replication.
    pub replicated: Vec<Replicated>,
    /// Their access rules.
    pub policies: HashMap<Name, ZonePolicy>,
}

/// One served state with the replicator that publishes it: the node's
/// only one without views, else one per view.
pub struct Lane {
    /// The view's name; `None` for the default view.
    pub view: Option<String>,
    /// What its queries are answered from.
    pub state: Arc<ArcSwap<Served>>,
    /// Its zones' replication.
    pub replicator: Arc<Replicator>,
    /// Its file-backed and secondary zones (for reloads).
    pub replicated: Vec<Replicated>,
}

/// The store side of a node: zones kept in SQLite, changed through the API
/// and dynamic updates.
pub struct StorePlan {
    /// The database file.
    pub path: PathBuf,
    /// Rules of the store zones named by `[[zone]]`, by (view, zone).
    pub declared: HashMap<(Option<String>, Name), ZoneRules>,
    /// Rules of the other store zones (`[zone_defaults]`).
    pub defaults: ZoneRules,
    /// Zones configured as zone files or secondaries.
    pub elsewhere: HashMap<Name, Elsewhere>,
    /// HTTP address of the API and web UI.
    pub api: Option<SocketAddr>,
    /// The embedded default: put the example zone in an empty store.
    pub seed_example: bool,
    /// The node's name, shown by the API.
    pub node_name: String,
    /// The configuration's `[[key]]`s (the store's are added at start).
    pub configured_keys: Keyring,
    /// Match-list `key NAME`s naming no `[[key]]`: warned about at start
    /// unless the store has the key.
    pub unconfigured_keys: Vec<config::UnconfiguredKey>,
    /// The effective settings `GET …/config` shows (no secrets).
    pub effective_config: Vec<(String, String)>,
    /// Web origins allowed to call the API from a browser (CORS).
    pub cors_origins: Vec<String>,
}

/// What one lane is made from: its view (none for the default), its
/// replicated zones, their rules, and the directory of its journals.
type LanePlan = (
    Option<answer::view::View>,
    Vec<Replicated>,
    HashMap<Name, ZonePolicy>,
    PathBuf,
);

/// Runs the node until SIGTERM or SIGINT.
pub fn run(plan: Plan) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut plan = plan;
    let lane_plans: Vec<LanePlan> = if plan.views.is_empty() {
        vec![(
            None,
            std::mem::take(&mut plan.replicated),
            std::mem::take(&mut plan.policies),
            plan.data_dir.clone(),
        )]
    } else {
        std::mem::take(&mut plan.views)
            .into_iter()
            .map(|v| {
                let dir = plan.data_dir.join("views").join(&v.view.name);
                (Some(v.view), v.replicated, v.policies, dir)
            })
            .collect()
    };
    let mut matchers = Vec::new();
    let mut lanes = Vec::new();
    // Every zone must load, or the node does not start.
    let mut failures = Vec::new();
    for (view, replicated, policies, dir) in lane_plans {
        let state = Arc::new(ArcSwap::from_pointee(Served {
            settings: plan.settings.clone(),
            keyring: plan.keyring.clone(),
            policies,
            ..Served::default()
        }));
        let setups: Vec<ZoneSetup> = replicated.iter().map(|r| r.setup.clone()).collect();
        let replicator =
            Replicator::new(Arc::clone(&state), &dir, setups, plan.replication.clone())?;
        replicator.update_served(|served| served.replication = Some(replicator.clone()));
        // A view's own zone of the same name wins over a built-in one.
        for spec in plan
            .static_zones
            .iter()
            .filter(|s| !replicated.iter().any(|r| r.setup.apex == s.origin))
        {
            match load_logged(spec) {
                Ok(zone) => replicator.publish(&spec.origin, Some(Arc::new(zone))),
                Err(e) => failures.push(e),
            }
        }
        for zone in replicated.iter().filter(|r| r.file.is_some()) {
            let spec = ZoneSpec {
                origin: zone.setup.apex.clone(),
                source: Source::File(zone.file.clone().expect("filtered")),
            };
            if let Err(e) = load_primary(&replicator, &spec) {
                failures.push(e);
            }
        }
        let name = view.as_ref().map(|v| v.name.clone());
        if let Some(view) = view {
            matchers.push(view);
        }
        lanes.push(Lane {
            view: name,
            state,
            replicator,
            replicated,
        });
    }
    let views = Arc::new(answer::view::Views::new(matchers));
    let lanes = Arc::new(lanes);
    // The store's zones are served in every lane (every view).
    let managed: Vec<ManagedLane> = lanes
        .iter()
        .map(|lane| ManagedLane {
            view: lane.view.clone(),
            replicator: Arc::clone(&lane.replicator),
        })
        .collect();
    let manager = match &plan.store {
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
    crate::memory::release_free_memory();
    let zone_count: usize = lanes.iter().map(|l| l.state.load().catalog.len()).sum();

    let workers = if plan.udp_workers == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        plan.udp_workers
    };
    let mut udp_sockets = Vec::new();
    let mut tcp_listeners = Vec::new();
    for &address in &plan.listen {
        let first = udp::bind(address).with_context(|| format!("cannot bind UDP {address}"))?;
        // With port 0 the kernel picks one; every worker and TCP must share it.
        let address = first.local_addr()?;
        let wildcard = address.ip().is_unspecified();
        udp_sockets.push((first, wildcard));
        for _ in 1..workers {
            udp_sockets.push((
                udp::bind(address).with_context(|| format!("cannot bind UDP {address}"))?,
                wildcard,
            ));
        }
        tcp_listeners
            .push(tcp::bind(address).with_context(|| format!("cannot bind TCP {address}"))?);
        tracing::info!(%address, udp_workers = workers, "listening");
    }

    let api_listener = match plan.store.as_ref().and_then(|s| s.api) {
        Some(address) => Some(
            std::net::TcpListener::bind(address)
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .with_context(|| format!("cannot bind the API to {address}"))?,
        ),
        None => None,
    };
    let (update_sender, update_receiver) = tokio::sync::mpsc::channel::<udp::UdpUpdate>(1024);
    let update_sender = manager.as_ref().map(|_| update_sender);

    let shutdown = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    let mut wake_handles = Vec::new();
    for (i, (socket, wildcard)) in udp_sockets.into_iter().enumerate() {
        wake_handles.push(
            socket
                .try_clone()
                .context("cannot duplicate a UDP socket")?,
        );
        let worker = udp::Worker {
            socket,
            wildcard,
            lanes: lanes.iter().map(|l| Arc::clone(&l.state)).collect(),
            views: Arc::clone(&views),
            shutdown: Arc::clone(&shutdown),
            updates: update_sender.clone(),
        };
        threads.push(
            std::thread::Builder::new()
                .name(format!("udp-{i}"))
                .spawn(move || worker.run())
                .context("cannot start a UDP worker thread")?,
        );
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("hadns-io")
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let static_zones = plan.static_zones;
    let data_dir = plan.data_dir;
    let result = runtime.block_on(async {
        let connections = Arc::new(tokio::sync::Semaphore::new(plan.tcp.max_connections));
        for listener in tcp_listeners {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            tokio::spawn(tcp::serve(
                listener,
                Arc::clone(&lanes),
                Arc::clone(&views),
                manager.clone(),
                plan.tcp,
                Arc::clone(&connections),
            ));
        }
        if let Some(manager) = &manager {
            tokio::spawn(udp_updates(update_receiver, Arc::clone(manager)));
        }
        if let (Some(listener), Some(manager), Some(store_plan)) =
            (api_listener, &manager, &plan.store)
        {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            let address = listener.local_addr()?;
            let settings = crate::http::HttpSettings {
                node_name: store_plan.node_name.clone(),
                started,
                effective_config: store_plan.effective_config.clone(),
                cors_origins: store_plan.cors_origins.clone(),
            };
            tokio::spawn(crate::http::serve(listener, Arc::clone(manager), settings));
            tracing::info!(%address, "API listening");
        }
        for lane in lanes.iter() {
            lane.replicator.start();
        }
        let reloader = Reloader {
            static_zones,
            lanes: Arc::clone(&lanes),
        };
        let reloader = Arc::new(reloader);
        if lanes.iter().any(|l| !l.replicated.is_empty()) || manager.is_some() {
            match crate::control::listen(
                &data_dir,
                Arc::clone(&lanes),
                Arc::clone(&reloader),
                manager.clone(),
            ) {
                Ok(path) => tracing::info!(socket = %path.display(), "control socket ready"),
                Err(e) => tracing::warn!(error = %e, "no control socket"),
            }
        }
        tracing::info!(
            zones = zone_count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "ready"
        );
        // The security log counts what its rate limit holds back; this
        // reports a flood's count even when the flood has stopped.
        tokio::spawn(async {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tick.tick().await;
                crate::seclog::flush();
            }
        });
        signals(&reloader).await
    });
    shutdown.store(true, Ordering::Relaxed);
    for socket in &wake_handles {
        udp::wake_for_shutdown(socket);
    }
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    for thread in threads {
        let _ = thread.join();
    }
    tracing::info!("stopped");
    result
}

/// Answers the dynamic updates the UDP workers hand over, each once its
/// change is committed (or refused).
async fn udp_updates(
    mut receiver: tokio::sync::mpsc::Receiver<udp::UdpUpdate>,
    manager: Arc<Manager>,
) {
    while let Some(update) = receiver.recv().await {
        // In order: the writer takes one change at a time anyway.
        let reply = manager.update(*update.ticket, update.lane).await;
        udp::send_one(&update.socket, &reply, update.to, update.from);
    }
}

/// Opens the store, serves its zones, and creates the first user and API
/// token (and the example zone for the embedded default) on first start.
fn open_store(plan: &StorePlan, lanes: Vec<ManagedLane>) -> anyhow::Result<Arc<Manager>> {
    let store = store::Store::open(&plan.path)
        .with_context(|| format!("cannot open the store {}", plan.path.display()))?;
    let store = Arc::new(store);
    if plan.seed_example && store.zones()?.is_empty() {
        crate::bootstrap::seed_example(&store)?;
    }
    if plan.api.is_some() && store.users()?.is_empty() {
        let data_dir = plan.path.parent().unwrap_or(std::path::Path::new("."));
        crate::bootstrap::first_user(&store, data_dir, plan.api)?;
    }
    let keys = Arc::new(crate::keys::KeyManager::new(
        Arc::clone(&store),
        plan.configured_keys.clone(),
        lanes.iter().map(|l| Arc::clone(&l.replicator)).collect(),
    ));
    let stored_keys = keys
        .start(&plan.unconfigured_keys)
        .context("cannot read the TSIG keys of the store")?;
    let manager = Manager::new(
        store,
        lanes,
        plan.declared.clone(),
        plan.defaults.clone(),
        plan.elsewhere.clone(),
        keys,
    );
    let count = manager.start().map_err(anyhow::Error::msg)?;
    tracing::info!(zones = count, tsig_keys = stored_keys, store = %plan.path.display(), "store opened");
    Ok(manager)
}

/// What a reload (SIGHUP or `hadns ctl reload`) re-reads.
pub struct Reloader {
    static_zones: Vec<ZoneSpec>,
    lanes: Arc<Vec<Lane>>,
}

impl Reloader {
    /// Re-reads every file-backed zone. A zone that fails keeps its current
    /// snapshot and the failure is logged; the others are replaced, their
    /// changes journaled and announced by NOTIFY.
    pub fn reload(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for lane in self.lanes.iter() {
            for spec in self.static_zones.iter().filter(|s| {
                matches!(s.source, Source::File(_))
                    && !lane.replicated.iter().any(|r| r.setup.apex == s.origin)
            }) {
                match load_logged(spec) {
                    Ok(zone) => lane.replicator.publish(&spec.origin, Some(Arc::new(zone))),
                    Err(e) => {
                        tracing::error!(zone = %spec.origin, "reload failed, keeping the loaded copy: {e}");
                        failures.push(e);
                    }
                }
            }
            for zone in lane.replicated.iter().filter(|r| r.file.is_some()) {
                let spec = ZoneSpec {
                    origin: zone.setup.apex.clone(),
                    source: Source::File(zone.file.clone().expect("filtered")),
                };
                if let Err(e) = load_primary(&lane.replicator, &spec) {
                    tracing::error!(zone = %spec.origin, view = lane.view.as_deref().unwrap_or("-"), "reload failed, keeping the loaded copy: {e}");
                    failures.push(e);
                }
            }
        }
        crate::memory::release_free_memory();
        tracing::info!(failed = failures.len(), "reload done");
        failures
    }
}

/// Waits for signals: SIGHUP reloads, SIGTERM and SIGINT return.
async fn signals(reloader: &Arc<Reloader>) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                let reloader = Arc::clone(reloader);
                // Parsing a big zone is CPU work; keep it off the I/O threads.
                let _ = tokio::task::spawn_blocking(move || reloader.reload()).await;
            }
            _ = terminate.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
        }
    }
}

/// Loads a zone, logging its warnings; the error text lists every reason.
fn load_logged(spec: &ZoneSpec) -> Result<zone::Zone, String> {
    let started = Instant::now();
    match zones::load(spec) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                tracing::warn!(zone = %spec.origin, "{warning}");
            }
            tracing::info!(
                zone = %spec.origin,
                serial = loaded.zone.serial().0,
                records = loaded.zone.record_count(),
                heap_kib = loaded.zone.heap_bytes() / 1024,
                elapsed_ms = started.elapsed().as_millis() as u64,
                source = %spec.source,
                "zone loaded"
            );
            Ok(loaded.zone)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Loads a primary zone file and hands it to the replicator, which
/// journals the difference and sends NOTIFYs.
fn load_primary(replicator: &Arc<Replicator>, spec: &ZoneSpec) -> Result<(), String> {
    let zone = load_logged(spec)?;
    match replicator.primary_loaded(&spec.origin, zone) {
        Ok(PrimaryOutcome::Published(serial)) => {
            tracing::info!(zone = %spec.origin, serial = serial.0, "zone published");
            Ok(())
        }
        Ok(PrimaryOutcome::Unchanged(serial)) => {
            tracing::info!(zone = %spec.origin, serial = serial.0, "zone unchanged");
            Ok(())
        }
        Err(e) => Err(format!("zone {}: {e}", spec.origin)),
    }
}
