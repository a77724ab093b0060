//! Running a node: load the zones into lanes ([`load`]), then bind the
//! sockets and serve ([`serve`]): the UDP workers, the tokio side (TCP,
//! replication, control socket, signals), reload on SIGHUP, stop on
//! SIGTERM. Between the two the binary opens what the node does not know
//! (the store, the HTTP server) over the loaded lanes and hands them in as
//! [`Services`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use answer::view::Views;
use answer::{Served, Settings, ZonePolicy};
use anyhow::Context;
use arc_swap::ArcSwap;
use replicate::driver::{DriverSettings, Replicator, ZoneSetup};
use wire::Name;
use wire::tsig::Keyring;

use crate::catalog_consumer::{CatalogConsumer, Consumer};
use crate::hooks::{ControlHooks, UpdateSink};
use crate::lane::{Lane, Replicated, load_logged, load_primary};
use crate::querylog::{self, QueryLog};
use crate::reload::{ConfigSource, Definition, LaneDefinition, Reloader};
use crate::stats::QueryStats;
use crate::tcp::{self, Limits};
use crate::udp::{self, Observer};
use crate::zones::{Source, ZoneSpec};

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
    /// `[[view]]`s, in match order. Empty: one default view serves
    /// `replicated` under `policies`. Otherwise every replicated zone is in
    /// a view, and each view has its own served state and replicator (its
    /// journals and copies under `data_dir/views/NAME/`); the static zones
    /// are served in every view.
    pub views: Vec<ViewPlan>,
    /// Catalog zones consumed (RFC 9432), each also a secondary zone in
    /// `replicated`; their members are added in the default lane (the
    /// configuration refuses consumers on a node with views).
    pub catalog_consumers: Vec<CatalogConsumer>,
    /// The query log (`[log]`); its `views` are filled in from `views`.
    pub query_log: querylog::Settings,
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

impl Plan {
    /// What a reload may change of this plan (everything but the sockets,
    /// threads, data directory, replication tunables and consumed
    /// catalogs), with `keyring` as the keys every lane serves.
    pub fn definition(&self, keyring: Keyring) -> Definition {
        let lanes = if self.views.is_empty() {
            vec![LaneDefinition {
                view: None,
                replicated: self.replicated.clone(),
                policies: self.policies.clone(),
            }]
        } else {
            self.views
                .iter()
                .map(|v| LaneDefinition {
                    view: Some(v.view.clone()),
                    replicated: v.replicated.clone(),
                    policies: v.policies.clone(),
                })
                .collect()
        };
        Definition {
            static_zones: self.static_zones.clone(),
            settings: self.settings.clone(),
            keyring,
            lanes,
        }
    }
}

/// The lanes of a node, loaded and ready to serve.
pub struct Loaded {
    lanes: Arc<Vec<Lane>>,
    views: Arc<ArcSwap<Views>>,
    failures: Vec<String>,
    started: Instant,
    listen: Vec<SocketAddr>,
    definition: Definition,
    stamps: crate::reload::FileStamps,
    data_dir: PathBuf,
    udp_workers: usize,
    tcp: Limits,
    consumers: Vec<Arc<Consumer>>,
    observed: Observed,
}

/// What the node counts and logs, for the metrics endpoint and the
/// control commands: made at load, so the HTTP side can be built before
/// the sockets are bound.
#[derive(Clone)]
pub struct Observed {
    /// Query counters (one slot per UDP worker, one for TCP).
    pub queries: Arc<QueryStats>,
    /// The query log.
    pub query_log: Arc<QueryLog>,
    /// TCP connection counters.
    pub tcp: Arc<tcp::ConnectionStats>,
    /// When the node started loading.
    pub started: std::time::SystemTime,
}

impl Loaded {
    /// The node's counters and query log.
    pub fn observed(&self) -> &Observed {
        &self.observed
    }

    /// The lanes, in view order (one when there are no views).
    pub fn lanes(&self) -> &Arc<Vec<Lane>> {
        &self.lanes
    }

    /// Why zones failed to load (each message names the zone); a node
    /// with failures should not be served.
    pub fn failures(&self) -> &[String] {
        &self.failures
    }
}

/// What the node is given beside its lanes.
#[derive(Default)]
pub struct Services {
    /// Where RFC 2136 updates go; without one, no lane takes updates.
    pub updates: Option<Arc<dyn UpdateSink>>,
    /// `hadns ctl` commands about zones the node does not keep (`sync`);
    /// with one, the control socket is opened even with no replicated zone.
    pub control: Option<Arc<dyn ControlHooks>>,
    /// Started in the runtime once the DNS sockets are bound (the HTTP
    /// server): each may `tokio::spawn`.
    pub tasks: Vec<Box<dyn FnOnce() + Send>>,
    /// Where a reload reads the configuration again; without one, a
    /// reload re-reads the zone files that changed.
    pub config: Option<Arc<dyn ConfigSource>>,
}

/// The socket side of a [`Plan`].
struct ServePlan {
    listen: Vec<SocketAddr>,
    udp_workers: usize,
    tcp: Limits,
}

/// What one lane is made from: its view (none for the default), its
/// replicated zones, their rules, and the directory of its journals.
type LanePlan = (
    Option<answer::view::View>,
    Vec<Replicated>,
    HashMap<Name, ZonePolicy>,
    PathBuf,
);

/// Loads every zone into its lane: the lanes' served states and
/// replicators, the static zones in each, the primary zone files. A zone
/// that fails is named in [`Loaded::failures`].
pub fn load(plan: Plan) -> anyhow::Result<Loaded> {
    let started = Instant::now();
    let mut plan = plan;
    // Counter slots before any zone enters a catalog: each zone's
    // counters get one per UDP socket (workers × addresses) and one for TCP.
    let udp_sockets = workers_per_address(plan.udp_workers) * plan.listen.len();
    answer::stats::set_counter_slots(udp_sockets + 1);
    let view_names: Vec<Option<String>> = if plan.views.is_empty() {
        vec![None]
    } else {
        plan.views
            .iter()
            .map(|v| Some(v.view.name.clone()))
            .collect()
    };
    let mut log_settings = plan.query_log.clone();
    log_settings.views = view_names.iter().flatten().cloned().collect();
    let observed = Observed {
        queries: QueryStats::new(udp_sockets, view_names),
        query_log: QueryLog::start(log_settings, udp_sockets + 1)
            .context("cannot start the query log writer")?,
        tcp: Arc::new(tcp::ConnectionStats::new(plan.tcp.max_connections)),
        started: std::time::SystemTime::now(),
    };
    let definition = plan.definition(plan.keyring.clone());
    let stamps = crate::reload::stamp_files(&definition);
    // Each static zone is read once and shared by every lane.
    let mut statics: Vec<(ZoneSpec, Arc<zone::Zone>)> = Vec::new();
    // Every zone must load, or the node does not start.
    let mut failures = Vec::new();
    for spec in &plan.static_zones {
        match load_logged(spec) {
            Ok(zone) => statics.push((spec.clone(), Arc::new(zone))),
            Err(e) => failures.push(e),
        }
    }
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
        for (spec, zone) in statics
            .iter()
            .filter(|(s, _)| !replicated.iter().any(|r| r.setup.apex == s.origin))
        {
            replicator.publish(&spec.origin, Some(Arc::clone(zone)));
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
        });
    }
    let views = Arc::new(ArcSwap::from_pointee(answer::view::Views::new(matchers)));
    // Members of consumed catalogs, from the catalogs' persisted copies:
    // a restarted node serves them at once, before the first transfer.
    let consumers: Vec<Arc<Consumer>> = match lanes.first() {
        Some(lane) => std::mem::take(&mut plan.catalog_consumers)
            .into_iter()
            .map(|setup| {
                let consumer = Arc::new(Consumer::new(setup, Arc::clone(&lane.replicator)));
                consumer.provision_saved();
                consumer
            })
            .collect(),
        None => Vec::new(),
    };
    let lanes = Arc::new(lanes);
    Ok(Loaded {
        lanes,
        views,
        failures,
        started,
        listen: plan.listen,
        definition,
        stamps,
        data_dir: plan.data_dir,
        udp_workers: plan.udp_workers,
        tcp: plan.tcp,
        consumers,
        observed,
    })
}

/// UDP workers per listen address: `configured`, or one per CPU for 0.
fn workers_per_address(configured: usize) -> usize {
    if configured == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        configured
    }
}

/// Binds the DNS sockets and serves the loaded lanes until SIGTERM or
/// SIGINT, with the writer and tasks `services` brings.
pub fn serve(loaded: Loaded, services: Services) -> anyhow::Result<()> {
    let Loaded {
        lanes,
        views,
        started,
        listen,
        definition,
        stamps,
        data_dir,
        udp_workers,
        tcp,
        consumers,
        observed,
        ..
    } = loaded;
    let plan = ServePlan {
        listen,
        udp_workers,
        tcp,
    };
    crate::memory::release_free_memory();
    let zone_count: usize = lanes.iter().map(|l| l.state.load().catalog.len()).sum();

    let workers = workers_per_address(plan.udp_workers);
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

    let (update_sender, update_receiver) = tokio::sync::mpsc::channel::<udp::UdpUpdate>(1024);
    let update_sender = services.updates.as_ref().map(|_| update_sender);

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
            observer: Observer {
                slot: i,
                counters: observed.queries.udp_slot(i),
                log: observed.query_log.producer(i),
                views: !views.load().is_empty(),
            },
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
    let result = runtime.block_on(async {
        for listener in tcp_listeners {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            let (slot, counters) = observed.queries.tcp_slot();
            tokio::spawn(tcp::serve(
                listener,
                Arc::clone(&lanes),
                Arc::clone(&views),
                services.updates.clone(),
                plan.tcp,
                Arc::new(Observer {
                    slot,
                    counters,
                    log: observed.query_log.producer(slot),
                    views: !views.load().is_empty(),
                }),
                Arc::clone(&observed.tcp),
            ));
        }
        if let Some(updates) = &services.updates {
            tokio::spawn(udp_updates(update_receiver, Arc::clone(updates)));
        }
        for task in services.tasks {
            task();
        }
        for lane in lanes.iter() {
            lane.replicator.start();
        }
        for consumer in consumers {
            tokio::spawn(consumer.run());
        }
        let replicates = definition.lanes.iter().any(|l| !l.replicated.is_empty());
        let reloader = Arc::new(Reloader::new(
            Arc::clone(&lanes),
            Arc::clone(&views),
            definition,
            stamps,
            services.config.clone(),
        ));
        if replicates || services.control.is_some() || services.config.is_some() {
            match crate::control::listen(
                &data_dir,
                Arc::clone(&lanes),
                Arc::clone(&reloader),
                services.control.clone(),
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
        signals(&reloader, &observed.query_log).await
    });
    shutdown.store(true, Ordering::Relaxed);
    for socket in &wake_handles {
        udp::wake_for_shutdown(socket);
    }
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    for thread in threads {
        let _ = thread.join();
    }
    observed.query_log.stop();
    tracing::info!("stopped");
    result
}

/// Answers the dynamic updates the UDP workers hand over, each once its
/// change is committed (or refused).
async fn udp_updates(
    mut receiver: tokio::sync::mpsc::Receiver<udp::UdpUpdate>,
    updates: Arc<dyn UpdateSink>,
) {
    while let Some(update) = receiver.recv().await {
        // In order: the writer takes one change at a time anyway.
        let reply = updates.update(*update.ticket, update.lane).await;
        udp::send_one(&update.socket, &reply, update.to, update.from);
    }
}

/// Waits for signals: SIGHUP reloads, SIGUSR1 reopens the query log
/// (after logrotate moved it), SIGTERM and SIGINT return.
async fn signals(reloader: &Arc<Reloader>, query_log: &QueryLog) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangup = signal(SignalKind::hangup())?;
    let mut user1 = signal(SignalKind::user_defined1())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                let reloader = Arc::clone(reloader);
                // Parsing a big zone is CPU work; keep it off the I/O threads.
                // The outcome is logged by the reload itself.
                let _ = tokio::task::spawn_blocking(move || reloader.reload()).await;
            }
            _ = user1.recv() => query_log.reopen(),
            _ = terminate.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
        }
    }
}
