//! Running a node: load the zones, bind the sockets, start the UDP workers
//! and the tokio side (TCP, signals), reload on SIGHUP, stop on SIGTERM.
//!
//! ```text
//!            ┌──────── Arc<ArcSwap<Served>> ────────┐
//!  load ───► │ catalog (zones) + answering settings  │ ◄─── reload (SIGHUP) swaps a new one
//!            └──────┬──────────────────────┬─────────┘
//!          UDP worker threads        tokio: TCP connections
//!      (recvmmsg → respond → sendmmsg)   (length-prefixed, pipelined)
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use answer::{Catalog, Served, Settings};
use anyhow::{Context, bail};
use arc_swap::ArcSwap;

use crate::tcp::{self, Limits};
use crate::udp;
use crate::zones::{self, Source, ZoneSpec};

/// Everything needed to run a node.
pub struct Plan {
    /// DNS listen addresses (UDP and TCP on each).
    pub listen: Vec<SocketAddr>,
    /// Zones to serve.
    pub zones: Vec<ZoneSpec>,
    /// Answering settings.
    pub settings: Settings,
    /// UDP worker threads per listen address (0: one per CPU).
    pub udp_workers: usize,
    /// TCP limits.
    pub tcp: Limits,
}

/// Runs the node until SIGTERM or SIGINT.
pub fn run(plan: Plan) -> anyhow::Result<()> {
    let started = Instant::now();
    let catalog = load_all(&plan.zones)?;
    let zone_count = catalog.len();
    let state = Arc::new(ArcSwap::from_pointee(Served {
        catalog,
        settings: plan.settings.clone(),
    }));

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
            state: Arc::clone(&state),
            shutdown: Arc::clone(&shutdown),
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
        let connections = Arc::new(tokio::sync::Semaphore::new(plan.tcp.max_connections));
        for listener in tcp_listeners {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            tokio::spawn(tcp::serve(
                listener,
                Arc::clone(&state),
                plan.tcp,
                Arc::clone(&connections),
            ));
        }
        tracing::info!(
            zones = zone_count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "ready"
        );
        signals(&plan.zones, &state).await
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

/// Waits for signals: SIGHUP reloads, SIGTERM and SIGINT return.
async fn signals(zones: &[ZoneSpec], state: &Arc<ArcSwap<Served>>) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                let zones = zones.to_vec();
                let state = Arc::clone(state);
                // Parsing a big zone is CPU work; keep it off the I/O threads.
                let _ = tokio::task::spawn_blocking(move || reload(&zones, &state)).await;
            }
            _ = terminate.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
        }
    }
}

/// Loads every zone; any failure stops the start with every reason.
fn load_all(zones: &[ZoneSpec]) -> anyhow::Result<Catalog> {
    let mut catalog = Catalog::new();
    let mut failures = Vec::new();
    for spec in zones {
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
                catalog.insert(loaded.zone);
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    if !failures.is_empty() {
        bail!("{}", failures.join("\n"));
    }
    crate::memory::release_free_memory();
    Ok(catalog)
}

/// Re-reads every file-backed zone. A zone that fails keeps its current
/// snapshot and the failure is logged; the others are replaced.
pub fn reload(zones: &[ZoneSpec], state: &Arc<ArcSwap<Served>>) {
    let current = state.load_full();
    let mut catalog = current.catalog.clone();
    let mut changed = 0;
    for spec in zones.iter().filter(|s| matches!(s.source, Source::File(_))) {
        match zones::load(spec) {
            Ok(loaded) => {
                let serial = loaded.zone.serial();
                let previous = catalog.insert(loaded.zone);
                changed += 1;
                tracing::info!(zone = %spec.origin, serial = serial.0, previous = previous.map(|z| z.serial().0), "zone reloaded");
            }
            Err(e) => {
                tracing::error!(zone = %spec.origin, "reload failed, keeping the loaded copy: {e}")
            }
        }
    }
    state.store(Arc::new(Served {
        catalog,
        settings: current.settings.clone(),
    }));
    drop(current);
    crate::memory::release_free_memory();
    tracing::info!(zones = changed, "reload done");
}
