//! The node's counters as Prometheus metrics (`hadns_…`), gathered at
//! scrape time: the query counters summed over the workers' slots, each
//! zone's counters from the served catalogs, replication state from the
//! replicators, transfer and NOTIFY counts, TCP connections and the query
//! log's own counts. [`NodeMetrics`] is a `prometheus-client` collector;
//! [`NodeMetrics::statistics`] gives the same numbers flat, named as
//! PowerDNS names them, for `…/statistics` and `hadns ctl stats`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use answer::rrl::{Action, Kind};
use answer::stats::{ZoneOutcome, ZoneTotals};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use wire::{Opcode, Rcode, Rtype};

use crate::lane::Lane;
use crate::querylog::QueryLog;
use crate::stats::{QTYPES, QueryStats, QueryTotals, RCODES, SIZE_BUCKETS};
use crate::tcp;

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
    /// Queries answered per second, recently.
    pub rate: Arc<RateMeter>,
    /// Responses limited by RRL, over every view's limiter.
    pub rrl: Arc<answer::rrl::Counters>,
}

/// Queries answered per second over the last [`RateMeter::WINDOW`]
/// seconds, from a sample of the total taken every second.
#[derive(Debug, Default)]
pub struct RateMeter {
    samples: std::sync::Mutex<std::collections::VecDeque<(std::time::Instant, u64)>>,
}

impl RateMeter {
    /// Seconds of samples kept.
    pub const WINDOW: usize = 10;

    /// Records the total answered so far, at `at`.
    pub fn sample(&self, at: std::time::Instant, total: u64) {
        let mut samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        samples.push_back((at, total));
        while samples.len() > Self::WINDOW + 1 {
            samples.pop_front();
        }
    }

    /// The rate between the oldest and newest sample; `None` before two.
    pub fn per_second(&self) -> Option<f64> {
        let samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        let (first, last) = (samples.front()?, samples.back()?);
        let seconds = last.0.duration_since(first.0).as_secs_f64();
        (seconds > 0.0).then(|| last.1.saturating_sub(first.1) as f64 / seconds)
    }
}

/// The node's metrics source.
#[derive(Clone)]
pub struct NodeMetrics {
    observed: Observed,
    lanes: Arc<Vec<Lane>>,
}

impl std::fmt::Debug for NodeMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeMetrics").finish_non_exhaustive()
    }
}

/// One zone's numbers.
#[derive(Clone, Debug)]
pub struct ZoneStats {
    /// The view (`None` on a node without views).
    pub view: Option<String>,
    /// The apex, in presentation form.
    pub zone: String,
    /// Query counters.
    pub totals: ZoneTotals,
    /// The serial served, if any.
    pub serial: Option<u32>,
    /// Seconds since the last successful check of a secondary.
    pub since_refresh: Option<f64>,
    /// Seconds until a secondary's copy expires.
    pub until_expiry: Option<f64>,
    /// How far a secondary's serial is behind its primary's (RFC 1982
    /// distance), 0 when level.
    pub serials_behind: Option<u32>,
    /// How long a secondary has been behind its primary, seconds.
    pub seconds_behind: Option<f64>,
    /// Journal entries kept.
    pub journal_entries: Option<usize>,
}

impl NodeMetrics {
    /// Metrics over a node's counters and lanes.
    pub fn new(observed: Observed, lanes: Arc<Vec<Lane>>) -> NodeMetrics {
        NodeMetrics { observed, lanes }
    }

    /// The query counters now.
    pub fn queries(&self) -> QueryTotals {
        self.observed.queries.totals()
    }

    /// The query log (for `querylog on|off`).
    pub fn query_log(&self) -> &Arc<crate::querylog::QueryLog> {
        &self.observed.query_log
    }

    /// When the node started.
    pub fn started(&self) -> SystemTime {
        self.observed.started
    }

    /// Whether any view limits its responses (RRL).
    pub fn rate_limiting(&self) -> bool {
        self.lanes.iter().any(|l| l.rrl.is_some())
    }

    /// Responses RRL met with `action`, over every kind and view.
    pub fn rrl_total(&self, action: Action) -> u64 {
        Kind::ALL
            .iter()
            .map(|&kind| self.observed.rrl.get(kind, action))
            .sum()
    }

    /// Queries answered per second recently (`None` in the first second).
    pub fn queries_per_second(&self) -> Option<f64> {
        self.observed.rate.per_second()
    }

    /// Every zone's numbers (or those of the zones named `only`), by view
    /// then name.
    pub fn zones(&self, only: Option<&wire::Name>) -> Vec<ZoneStats> {
        let now = SystemTime::now();
        let mut out = Vec::new();
        for lane in self.lanes.iter() {
            let served = lane.state.load();
            let mut entries: Vec<_> = served
                .catalog
                .entries()
                .filter(|e| only.is_none_or(|n| n.to_lowercase() == *e.apex()))
                .collect();
            entries.sort_by(|a, b| a.apex().cmp(b.apex()));
            for entry in entries {
                let status = lane.replicator.status(entry.apex());
                let secondary = status.as_ref().and_then(|s| s.secondary.as_ref());
                let seconds = |t: SystemTime, from: SystemTime| {
                    t.duration_since(from).map_or(0.0, |d| d.as_secs_f64())
                };
                out.push(ZoneStats {
                    view: lane.view.clone(),
                    zone: entry.apex().to_string(),
                    totals: entry.counters().totals(),
                    serial: entry.zone().map(|z| z.serial().0),
                    since_refresh: secondary
                        .and_then(|s| s.last_check)
                        .map(|t| seconds(now, t)),
                    until_expiry: secondary
                        .and_then(|s| s.expires_at)
                        .map(|t| seconds(t, now)),
                    serials_behind: secondary.map(|s| match (&s.behind, s.serial) {
                        (Some(b), Some(ours)) => b.primary_serial.0.wrapping_sub(ours.0),
                        _ => 0,
                    }),
                    seconds_behind: secondary
                        .map(|s| s.behind.as_ref().map_or(0.0, |b| seconds(now, b.since))),
                    journal_entries: status
                        .as_ref()
                        .and_then(|s| s.journal)
                        .map(|(_, _, entries)| entries),
                });
            }
        }
        out
    }

    /// The counters flat, as PowerDNS names them (`udp-queries`, …) plus
    /// hadns's own, for `GET …/statistics` and `hadns ctl stats`.
    pub fn statistics(&self) -> Vec<(String, u64)> {
        let q = self.queries();
        let x = replicate::metrics::snapshot();
        let tcp = &self.observed.tcp;
        let udp: u64 = q.queries.iter().map(|l| l[0]).sum();
        let tcp_queries: u64 = q.queries.iter().map(|l| l[1]).sum();
        let rcode = |r: Rcode| q.rcodes[usize::from(r.0)];
        let sum_transfers =
            |d: usize, o: usize| -> u64 { x.transfers[d].iter().map(|k| k[o]).sum() };
        let mut out: Vec<(String, u64)> = vec![
            ("udp-queries".into(), udp),
            ("tcp-queries".into(), tcp_queries),
            ("udp-answers".into(), udp),
            ("tcp-answers".into(), tcp_queries),
            ("udp-answers-bytes".into(), q.size_sums[0]),
            ("tcp-answers-bytes".into(), q.size_sums[1]),
            ("noerror-packets".into(), rcode(Rcode::NOERROR)),
            ("nxdomain-packets".into(), rcode(Rcode::NXDOMAIN)),
            ("servfail-packets".into(), rcode(Rcode::SERVFAIL)),
            ("refused-packets".into(), rcode(Rcode::REFUSED)),
            ("formerr-packets".into(), rcode(Rcode::FORMERR)),
            ("notimp-packets".into(), rcode(Rcode::NOTIMP)),
            ("truncated-packets".into(), q.truncated),
            ("dropped-packets".into(), q.dropped),
            ("edns-queries".into(), q.edns),
            ("dnssec-ok-queries".into(), q.dnssec_ok),
            (
                "tcp-connections".into(),
                tcp.accepted.load(Ordering::Relaxed),
            ),
            (
                "tcp-connections-refused".into(),
                tcp.refused.load(Ordering::Relaxed),
            ),
            (
                "tcp-connections-refused-client".into(),
                tcp.refused_client.load(Ordering::Relaxed),
            ),
            (
                "tcp-write-timeouts".into(),
                tcp.write_timeouts.load(Ordering::Relaxed),
            ),
            (
                "tcp-connections-open".into(),
                tcp.open.load(Ordering::Relaxed),
            ),
            ("transfers-in".into(), sum_transfers(0, 0)),
            (
                "transfers-in-failed".into(),
                sum_transfers(0, 1) + sum_transfers(0, 2),
            ),
            ("transfers-out".into(), sum_transfers(1, 0)),
            (
                "transfers-out-failed".into(),
                sum_transfers(1, 1) + sum_transfers(1, 2),
            ),
            ("transfer-in-bytes".into(), x.transfer_bytes[0]),
            ("transfer-out-bytes".into(), x.transfer_bytes[1]),
            ("notify-received".into(), x.notifies[0].iter().sum()),
            ("notify-sent".into(), x.notifies[1][0]),
            (
                "notify-sent-failed".into(),
                x.notifies[1][1] + x.notifies[1][2],
            ),
            ("rrl-dropped".into(), self.rrl_total(Action::Dropped)),
            ("rrl-slipped".into(), self.rrl_total(Action::Slipped)),
            ("rrl-logged".into(), self.rrl_total(Action::Logged)),
            ("querylog-lines".into(), self.observed.query_log.written()),
            ("querylog-dropped".into(), self.observed.query_log.dropped()),
        ];
        out.push((
            "uptime".into(),
            SystemTime::now()
                .duration_since(self.observed.started)
                .map_or(0, |d| d.as_secs()),
        ));
        out
    }
}

fn qtype_label(i: usize) -> String {
    if i == QTYPES - 1 {
        "other".to_string()
    } else {
        Rtype(i as u16).to_string()
    }
}

fn opcode_label(opcode: u8) -> String {
    match Opcode(opcode) {
        Opcode::QUERY => "QUERY".to_string(),
        Opcode::IQUERY => "IQUERY".to_string(),
        Opcode::STATUS => "STATUS".to_string(),
        Opcode::NOTIFY => "NOTIFY".to_string(),
        Opcode::UPDATE => "UPDATE".to_string(),
        Opcode(other) => format!("OPCODE{other}"),
    }
}

fn rcode_label(i: usize) -> String {
    if i == RCODES - 1 {
        "other".to_string()
    } else {
        Rcode(i as u16).to_string()
    }
}

fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    samples: &[(Vec<(&str, String)>, u64)],
) -> Result<(), std::fmt::Error> {
    let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, value) in samples {
        let family = metric.encode_family(labels)?;
        ConstCounter::new(*value).encode(family)?;
    }
    Ok(())
}

fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    samples: &[(Vec<(&str, String)>, f64)],
) -> Result<(), std::fmt::Error> {
    let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (labels, value) in samples {
        let family = metric.encode_family(labels)?;
        ConstGauge::new(*value).encode(family)?;
    }
    Ok(())
}

impl Collector for NodeMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let e = &mut encoder;
        let q = self.queries();
        let views = self.observed.queries.views();
        let view_label = |i: usize| -> String {
            match views.get(i) {
                Some(Some(name)) => name.clone(),
                Some(None) => "default".to_string(),
                None => "none".to_string(),
            }
        };
        const TRANSPORTS: [&str; 2] = ["udp", "tcp"];
        let mut samples = Vec::new();
        for (i, lane) in q.queries.iter().enumerate() {
            for (t, count) in lane.iter().enumerate() {
                if *count > 0 || i < views.len() {
                    samples.push((
                        vec![
                            ("view", view_label(i)),
                            ("transport", TRANSPORTS[t].to_string()),
                        ],
                        *count,
                    ));
                }
            }
        }
        counter(
            e,
            "hadns_queries",
            "Queries answered, by view (`none`: no view admitted the client) and transport.",
            &samples,
        )?;
        let samples: Vec<_> = q
            .qtypes
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (vec![("qtype", qtype_label(i))], *c))
            .collect();
        counter(
            e,
            "hadns_query_types",
            "Queries by question type.",
            &samples,
        )?;
        let samples: Vec<_> = q
            .opcodes
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (vec![("opcode", opcode_label(i as u8))], *c))
            .collect();
        counter(e, "hadns_query_opcodes", "Requests by opcode.", &samples)?;
        let samples: Vec<_> = q
            .rcodes
            .iter()
            .enumerate()
            .filter(|(i, c)| **c > 0 || *i == 0)
            .map(|(i, c)| (vec![("rcode", rcode_label(i))], *c))
            .collect();
        counter(e, "hadns_responses", "Responses by RCODE.", &samples)?;
        {
            let mut metric = e.encode_descriptor(
                "hadns_response_size_bytes",
                "Response sizes, by transport.",
                None,
                MetricType::Histogram,
            )?;
            for (t, counts) in q.sizes.iter().enumerate() {
                // Per-bucket counts: the encoder makes them cumulative.
                let buckets: Vec<(f64, u64)> = SIZE_BUCKETS
                    .iter()
                    .map(|b| *b as f64)
                    .chain([f64::INFINITY])
                    .zip(counts.iter().copied())
                    .collect();
                let total = counts.iter().sum();
                let labels = [("transport", TRANSPORTS[t])];
                let family = metric.encode_family(&labels)?;
                family_histogram(family, q.size_sums[t] as f64, total, &buckets)?;
            }
        }
        counter(
            e,
            "hadns_truncated_responses",
            "Responses sent with TC set.",
            &[(vec![], q.truncated)],
        )?;
        counter(
            e,
            "hadns_dropped_requests",
            "Requests that got no reply (malformed beyond a FORMERR, not queries, or dropped by Response Rate Limiting).",
            &[(vec![], q.dropped)],
        )?;
        let rrl = &self.observed.rrl;
        let samples: Vec<_> = Kind::ALL
            .iter()
            .flat_map(|&kind| {
                Action::ALL.iter().map(move |&action| {
                    (
                        vec![
                            ("kind", kind.name().to_string()),
                            ("action", action.name().to_string()),
                        ],
                        rrl.get(kind, action),
                    )
                })
            })
            .collect();
        counter(
            e,
            "hadns_rrl_limited_responses",
            "UDP responses over their Response Rate Limiting rate, by kind and what was done (`dropped`; `slipped`: sent truncated, TC=1; `logged`: sent, log_only).",
            &samples,
        )?;
        counter(
            e,
            "hadns_edns_requests",
            "Requests with EDNS (RFC 6891).",
            &[(vec![], q.edns)],
        )?;
        counter(
            e,
            "hadns_dnssec_ok_requests",
            "Requests with the DO bit.",
            &[(vec![], q.dnssec_ok)],
        )?;

        let tcp = &self.observed.tcp;
        gauge(
            e,
            "hadns_tcp_connections_open",
            "TCP connections open now.",
            &[(vec![], tcp.open.load(Ordering::Relaxed) as f64)],
        )?;
        counter(
            e,
            "hadns_tcp_connections",
            "TCP connections, by result (`refused`: closed at once at tcp_max_connections; `refused_client`: at tcp_max_connections_per_client; `write_timeout`: closed because the client read nothing for the idle timeout).",
            &[
                (
                    vec![("result", "accepted".to_string())],
                    tcp.accepted.load(Ordering::Relaxed),
                ),
                (
                    vec![("result", "refused".to_string())],
                    tcp.refused.load(Ordering::Relaxed),
                ),
                (
                    vec![("result", "refused_client".to_string())],
                    tcp.refused_client.load(Ordering::Relaxed),
                ),
                (
                    vec![("result", "write_timeout".to_string())],
                    tcp.write_timeouts.load(Ordering::Relaxed),
                ),
            ],
        )?;

        let x = replicate::metrics::snapshot();
        let mut samples = Vec::new();
        for (d, kinds) in x.transfers.iter().enumerate() {
            for (k, outcomes) in kinds.iter().enumerate() {
                for (o, count) in outcomes.iter().enumerate() {
                    samples.push((
                        vec![
                            ("direction", replicate::metrics::DIRECTIONS[d].to_string()),
                            ("type", replicate::metrics::KINDS[k].to_string()),
                            ("result", replicate::metrics::OUTCOMES[o].to_string()),
                        ],
                        *count,
                    ));
                }
            }
        }
        counter(
            e,
            "hadns_transfers",
            "Zone transfers, by direction (`in`: this node's secondary zones), type and result.",
            &samples,
        )?;
        let samples: Vec<_> = x
            .transfer_bytes
            .iter()
            .enumerate()
            .map(|(d, c)| {
                (
                    vec![("direction", replicate::metrics::DIRECTIONS[d].to_string())],
                    *c,
                )
            })
            .collect();
        counter(
            e,
            "hadns_transfer_bytes",
            "Zone transfer octets (messages with their TCP length prefixes), by direction.",
            &samples,
        )?;
        let mut samples = Vec::new();
        for (d, outcomes) in x.notifies.iter().enumerate() {
            for (o, count) in outcomes.iter().enumerate() {
                samples.push((
                    vec![
                        ("direction", replicate::metrics::DIRECTIONS[d].to_string()),
                        ("result", replicate::metrics::OUTCOMES[o].to_string()),
                    ],
                    *count,
                ));
            }
        }
        counter(
            e,
            "hadns_notify",
            "NOTIFY messages (RFC 1996): received and taken (`in`), or sent by result (`out`).",
            &samples,
        )?;

        let log = &self.observed.query_log;
        gauge(
            e,
            "hadns_querylog_enabled",
            "1 while queries are being logged.",
            &[(vec![], if log.is_enabled() { 1.0 } else { 0.0 })],
        )?;
        counter(
            e,
            "hadns_querylog_lines",
            "Query log lines written.",
            &[(vec![], log.written())],
        )?;
        counter(
            e,
            "hadns_querylog_dropped",
            "Query log lines dropped because the writer fell behind.",
            &[(vec![], log.dropped())],
        )?;
        gauge(
            e,
            "hadns_start_time_seconds",
            "When the node started, seconds since the Unix epoch.",
            &[(
                vec![],
                self.observed
                    .started
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64()),
            )],
        )?;

        // Per zone (BIND's zone-statistics).
        let zones = self.zones(None);
        let zone_labels = |z: &ZoneStats| -> Vec<(&str, String)> {
            vec![
                (
                    "view",
                    z.view.clone().unwrap_or_else(|| "default".to_string()),
                ),
                ("zone", z.zone.clone()),
            ]
        };
        let mut samples = Vec::new();
        for z in &zones {
            for (t, count) in [z.totals.udp, z.totals.tcp].iter().enumerate() {
                let mut labels = zone_labels(z);
                labels.push(("transport", TRANSPORTS[t].to_string()));
                samples.push((labels, *count));
            }
        }
        counter(
            e,
            "hadns_zone_queries",
            "Queries answered from each zone, by transport.",
            &samples,
        )?;
        let mut samples = Vec::new();
        for z in &zones {
            for (outcome, count) in ZoneOutcome::ALL.iter().zip(z.totals.outcomes) {
                let mut labels = zone_labels(z);
                labels.push(("result", outcome.label().to_string()));
                samples.push((labels, count));
            }
        }
        counter(
            e,
            "hadns_zone_responses",
            "Answers from each zone, by result (success: NOERROR with answers; nodata: NOERROR without, referrals included).",
            &samples,
        )?;
        let optional =
            |pick: &dyn Fn(&ZoneStats) -> Option<f64>| -> Vec<(Vec<(&str, String)>, f64)> {
                zones
                    .iter()
                    .filter_map(|z| pick(z).map(|v| (zone_labels(z), v)))
                    .collect()
            };
        gauge(
            e,
            "hadns_zone_serial",
            "The SOA serial each zone is served at.",
            &optional(&|z| z.serial.map(f64::from)),
        )?;
        gauge(
            e,
            "hadns_zone_seconds_since_refresh",
            "Seconds since a secondary zone's last successful check with its primary.",
            &optional(&|z| z.since_refresh),
        )?;
        gauge(
            e,
            "hadns_zone_seconds_until_expiry",
            "Seconds until a secondary zone's copy expires without a successful check.",
            &optional(&|z| z.until_expiry),
        )?;
        gauge(
            e,
            "hadns_zone_serials_behind_primary",
            "How many serials a secondary zone is behind the newest its primaries showed (0: level).",
            &optional(&|z| z.serials_behind.map(f64::from)),
        )?;
        gauge(
            e,
            "hadns_zone_seconds_behind_primary",
            "How long a secondary zone has been behind its primary (0: level).",
            &optional(&|z| z.seconds_behind),
        )?;
        gauge(
            e,
            "hadns_zone_journal_entries",
            "Entries in each zone's IXFR journal.",
            &optional(&|z| z.journal_entries.map(|n| n as f64)),
        )?;
        Ok(())
    }
}

fn family_histogram(
    mut metric: prometheus_client::encoding::MetricEncoder<'_>,
    sum: f64,
    count: u64,
    buckets: &[(f64, u64)],
) -> Result<(), std::fmt::Error> {
    metric.encode_histogram::<prometheus_client::encoding::NoLabelSet>(sum, count, buckets, None)
}
