//! Running a node: load the zones into lanes ([`load`]), then bind the
//! sockets and serve ([`serve`]): the UDP workers, the tokio side (TCP,
//! replication, control socket, signals), reload on SIGHUP, a graceful
//! stop on SIGTERM, SIGINT or `hadns ctl stop` ([`crate::shutdown`]).
//! Between the two the binary opens what the node does not know (the
//! store, the HTTP server, which reaches [`Loaded::controller`]) over the
//! loaded lanes and hands them in as [`Services`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime};

use answer::view::Views;
use answer::{Served, Settings, ZonePolicy};
use anyhow::Context;
use arc_swap::ArcSwap;
use replicate::driver::{DriverSettings, Replicator, ZoneSetup};
use wire::Name;
use wire::tsig::Keyring;

use crate::catalog_consumer::{CatalogConsumer, Consumer};
use crate::control::Controller;
use crate::hooks::{ControlHooks, UpdateSink};
use crate::lane::{Lane, Replicated, load_logged, load_primary};
use crate::metrics::{NodeMetrics, Observed};
use crate::querylog::{self, QueryLog};
use crate::reload::{ConfigSource, Definition, LaneDefinition, Reloader};
use crate::shutdown::{STOP_GRACE, Shutdown};
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
    /// Response Rate Limiting of the default view (`[rrl]`); `None`, or
    /// settings that limit nothing, turn it off. Views have their own.
    pub rrl: Option<answer::rrl::Settings>,
}

/// One `[[view]]`: who it serves and its zones.
pub struct ViewPlan {
    /// Its matching rules (and name).
    pub view: answer::view::View,
    /// Its zones under replication.
    pub replicated: Vec<Replicated>,
    /// Their access rules.
    pub policies: HashMap<Name, ZonePolicy>,
    /// Its Response Rate Limiting; `None` (or nothing limited) for none.
    pub rrl: Option<answer::rrl::Settings>,
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
    controller: Arc<Controller>,
}

impl Loaded {
    /// The node's counters and query log.
    pub fn observed(&self) -> &Observed {
        &self.observed
    }

    /// The control commands' dispatch over these lanes, for transports
    /// the binary starts (the HTTP API); its stop request is the node's.
    pub fn controller(&self) -> Arc<Controller> {
        Arc::clone(&self.controller)
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
    /// Told of the node's turning points (privilege drop, service manager).
    pub lifecycle: Option<Arc<dyn Lifecycle>>,
}

/// What the binary does at a node's turning points: give up its
/// privileges once the sockets that may need them are bound, and tell a
/// service manager (systemd) when the node is ready and when it stops.
pub trait Lifecycle: Send + Sync {
    /// Every DNS socket is bound and no query has been read yet (no UDP
    /// worker, no runtime); an error stops the node before it answers.
    fn bound(&self) -> anyhow::Result<()>;
    /// Zones loaded, sockets bound: the node answers.
    fn ready(&self);
    /// A stop was asked for (SIGTERM, SIGINT); the node shuts down.
    fn stopping(&self);
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
    Option<answer::rrl::Settings>,
);

/// Loads every zone into its lane: the lanes' served states and
/// replicators, the static zones in each, the primary zone files. A zone
/// that fails is named in [`Loaded::failures`].
pub fn load(plan: Plan) -> anyhow::Result<Loaded> {
    let started = Instant::now();
    let started_at = SystemTime::now();
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
        rate: Arc::default(),
        rrl: Arc::default(),
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
            plan.rrl.take(),
        )]
    } else {
        std::mem::take(&mut plan.views)
            .into_iter()
            .map(|v| {
                let dir = plan.data_dir.join("views").join(&v.view.name);
                (Some(v.view), v.replicated, v.policies, dir, v.rrl)
            })
            .collect()
    };
    let mut matchers = Vec::new();
    let mut lanes = Vec::new();
    for (view, replicated, policies, dir, rrl) in lane_plans {
        // One table per view that limits, its counters the node's.
        let rrl = rrl
            .filter(answer::rrl::Settings::is_active)
            .map(|settings| {
                Arc::new(answer::rrl::Limiter::new(
                    settings,
                    Arc::clone(&observed.rrl),
                ))
            });
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
            zone.compile();
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
            rrl,
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
    let controller = Arc::new(Controller::new(
        Arc::clone(&lanes),
        started_at,
        Arc::new(Shutdown::default()),
        NodeMetrics::new(observed.clone(), Arc::clone(&lanes)),
    ));
    Ok(Loaded {
        controller,
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

/// Binds the DNS sockets and serves the loaded lanes until SIGTERM,
/// SIGINT or `hadns ctl stop`, with the writer and tasks `services`
/// brings; then stops gracefully: no new query, connection or transfer,
/// and up to [`STOP_GRACE`] for those under way, timers saved.
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
        controller,
        ..
    } = loaded;
    let stop = Arc::clone(controller.shutdown());
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
    let lifecycle = services.lifecycle.clone();
    if let Some(lifecycle) = &lifecycle {
        // Before any thread reads a packet: nothing from the network is
        // handled with the privileges the binding needed.
        lifecycle.bound()?;
    }

    let (update_sender, update_receiver) = tokio::sync::mpsc::channel::<udp::UdpUpdate>(1024);
    let update_sender = services.updates.as_ref().map(|_| update_sender);

    let udp_stop = Arc::new(AtomicBool::new(false));
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
            rrl: lanes.iter().map(|l| l.rrl.clone()).collect(),
            views: Arc::clone(&views),
            shutdown: Arc::clone(&udp_stop),
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
        // Signals are caught from here on: a SIGTERM while starting is a
        // stop like any other.
        let mut signals = Signals::new()?;
        for listener in tcp_listeners {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            let (slot, counters) = observed.queries.tcp_slot();
            tokio::spawn(tcp::serve(
                listener,
                Arc::clone(&lanes),
                Arc::clone(&views),
                services.updates.clone(),
                plan.tcp,
                Arc::new(tcp::Context {
                    observer: Observer {
                        slot,
                        counters,
                        log: observed.query_log.producer(slot),
                        views: !views.load().is_empty(),
                    },
                    stats: Arc::clone(&observed.tcp),
                    stop: Arc::clone(&stop),
                }),
            ));
        }
        if let Some(updates) = &services.updates {
            tokio::spawn(udp_updates(update_receiver, Arc::clone(updates)));
        }
        let replicates = definition.lanes.iter().any(|l| !l.replicated.is_empty());
        let reloader = Arc::new(Reloader::new(
            Arc::clone(&lanes),
            Arc::clone(&views),
            definition,
            stamps,
            services.config.clone(),
        ));
        // Before the tasks: the HTTP API runs control commands too.
        controller.wire(Arc::clone(&reloader), services.control.clone());
        for task in services.tasks {
            task();
        }
        for lane in lanes.iter() {
            lane.replicator.start();
        }
        for consumer in consumers {
            tokio::spawn(consumer.run());
        }
        if replicates || services.control.is_some() || services.config.is_some() {
            match crate::control::socket::listen(&data_dir, Arc::clone(&controller)) {
                Ok(path) => tracing::info!(socket = %path.display(), "control socket ready"),
                Err(e) => tracing::warn!(error = %e, "no control socket"),
            }
        }
        tracing::info!(
            zones = zone_count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "ready"
        );
        if let Some(lifecycle) = &lifecycle {
            lifecycle.ready();
        }
        // The security log counts what its rate limit holds back; this
        // reports a flood's count even when the flood has stopped. The
        // same tick samples the query count for `status`'s queries/s.
        let (queries, rate) = (Arc::clone(&observed.queries), Arc::clone(&observed.rate));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tick.tick().await;
                rate.sample(Instant::now(), queries.totals().answered());
                crate::seclog::flush();
            }
        });
        signals
            .until_stop(&reloader, &stop, &observed.query_log)
            .await;
        if let Some(lifecycle) = &lifecycle {
            // At the request, not at the end of the grace period.
            lifecycle.stopping();
        }
        // No new datagrams are answered from here; TCP listeners and the
        // HTTP server saw the request and stop accepting.
        udp_stop.store(true, Ordering::Relaxed);
        for socket in &wake_handles {
            udp::wake_for_shutdown(socket);
        }
        finish_work_under_way(&lanes, &stop, &mut signals).await;
        crate::seclog::flush();
        anyhow::Ok(())
    });
    udp_stop.store(true, Ordering::Relaxed);
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

/// The signals a node acts on.
struct Signals {
    hangup: tokio::signal::unix::Signal,
    user1: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            hangup: signal(SignalKind::hangup())?,
            user1: signal(SignalKind::user_defined1())?,
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Serves signals until a stop is requested: SIGHUP reloads, SIGUSR1
    /// reopens the query log (after logrotate moved it), SIGTERM and
    /// SIGINT request the stop, and `hadns ctl stop` requests it through
    /// the controller.
    async fn until_stop(
        &mut self,
        reloader: &Arc<Reloader>,
        stop: &Shutdown,
        query_log: &QueryLog,
    ) {
        loop {
            tokio::select! {
                _ = self.hangup.recv() => {
                    let reloader = Arc::clone(reloader);
                    // Parsing a big zone is CPU work; keep it off the I/O threads.
                    // The outcome is logged by the reload itself.
                    let _ = tokio::task::spawn_blocking(move || reloader.reload()).await;
                }
                _ = self.user1.recv() => query_log.reopen(),
                _ = self.terminate.recv() => {
                    tracing::info!("SIGTERM: stopping");
                    break;
                }
                _ = self.interrupt.recv() => {
                    tracing::info!("SIGINT: stopping");
                    break;
                }
                _ = stop.requested() => break,
            }
        }
        stop.request();
    }

    /// A second SIGTERM or SIGINT: stop without waiting any longer.
    async fn again(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}

/// The middle of a graceful stop: replication starts nothing new; TCP
/// queries and transfers out, HTTP requests and control sessions under
/// way (each a [`crate::shutdown::Hold`]) and transfers in (applied and
/// persisted) get up to [`STOP_GRACE`] to finish, or until a second
/// SIGTERM or SIGINT; then every secondary zone's timers are written.
async fn finish_work_under_way(lanes: &[Lane], stop: &Arc<Shutdown>, signals: &mut Signals) {
    for lane in lanes {
        lane.replicator.stop();
    }
    let work = stop.in_flight()
        + lanes
            .iter()
            .map(|l| l.replicator.transfers_in_running())
            .sum::<usize>();
    if work > 0 {
        tracing::info!(
            under_way = work,
            grace_ms = STOP_GRACE.as_millis() as u64,
            "waiting for the connections and transfers under way"
        );
    }
    let all_done = async {
        stop.drained().await;
        for lane in lanes {
            lane.replicator.transfers_in_finished().await;
        }
    };
    let waited = Instant::now();
    let finished = tokio::select! {
        done = tokio::time::timeout(STOP_GRACE, all_done) => done.is_ok(),
        _ = signals.again() => {
            tracing::warn!("second signal: stopping without waiting");
            false
        }
    };
    if !finished {
        tracing::warn!(
            connections = stop.in_flight(),
            transfers_in = lanes
                .iter()
                .map(|l| l.replicator.transfers_in_running())
                .sum::<usize>(),
            "stopping with work still under way"
        );
    }
    let saved: usize = lanes.iter().map(|l| l.replicator.save_all_timers()).sum();
    tracing::info!(
        waited_ms = waited.elapsed().as_millis() as u64,
        timers_saved = saved,
        "work under way finished"
    );
}
