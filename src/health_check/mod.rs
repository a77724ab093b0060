//! `hadns check`: a keepalived `MISC_CHECK` that fails a node that is dead
//! *or stale*. It asks the node like a client would, compares serials with
//! the primary, and reads the node's own `/health`; it prints one line and
//! exits 0 (healthy), 1 (unhealthy) or 2 (usage: bad arguments, unreadable
//! configuration).
//!
//! ```text
//!  arguments + --config + --key-file ──plan.rs (pure)──► Plan
//!       │
//!       ├─ /health (if --max-behind or --all-zones from it) ──probe.rs http_get
//!       ├─ per zone: SOA over UDP (and TCP) ──probe.rs exchange──► verdict.rs judge_soa
//!       ├─ per zone: the primary's SOA (TSIG) ────────────────────► verdict.rs judge_lag
//!       ├─ /health states and time behind ─────────────────────────► verdict.rs judge_health
//!       └─ canary ─────────────────────────────────────────────────► verdict.rs judge_canary
//!                                                   Report ──► one line, exit code
//! ```
//!
//! A primary that does not answer at all does not fail the check: the
//! secondaries keep serving while their primary is down (that is what
//! they are for), and expiry takes a copy out of service when the outage
//! lasts; the line says the lag was not checked. A primary that answers
//! without a usable serial (REFUSED, a TSIG error) does fail it: the
//! check cannot vouch for the zone, and the operator must hear of it.

mod plan;
mod probe;
mod verdict;

use std::process::ExitCode;

use config::Config;
use wire::{Message, Name, Rtype};

pub use plan::CheckArgs;
use plan::{Plan, UsageError, Zones};
use probe::{ExchangeError, Question};
use verdict::{Problem, Report, Transport};

/// The exit code of a usage error.
const USAGE: u8 = 2;

/// Runs `hadns check`: prints one line, returns 0, 1 or 2.
pub fn check_command(args: CheckArgs) -> ExitCode {
    let plan = match prepare(&args) {
        Ok(plan) => plan,
        Err(e) => {
            println!("usage error: {e}");
            return ExitCode::from(USAGE);
        }
    };
    match run(&plan) {
        Ok(report) => {
            println!("{}", report.line());
            ExitCode::from(report.exit_code())
        }
        Err(e) => {
            println!("usage error: {e}");
            ExitCode::from(USAGE)
        }
    }
}

/// Prints a command-line error of `hadns check` (clap's) as its one line.
pub fn usage_line(error: &clap::Error) -> ExitCode {
    let text = error.to_string();
    let first = text
        .lines()
        .map(|l| l.trim().trim_start_matches("error: "))
        .find(|l| !l.is_empty())
        .unwrap_or("bad arguments");
    println!("usage error: {first} (see hadns check --help)");
    ExitCode::from(USAGE)
}

/// Reads the files the arguments name and makes the plan.
fn prepare(args: &CheckArgs) -> Result<Plan, UsageError> {
    let config = match &args.config {
        Some(path) => Some(Config::load(path).map_err(|e| UsageError(format!("--config: {e}")))?),
        None => None,
    };
    let key_file =
        match &args.key_file {
            Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
                UsageError(format!("--key-file: cannot read {}: {e}", path.display()))
            })?),
            None => None,
        };
    plan::plan(args, config.as_ref(), key_file.as_deref())
}

/// Asks every question of the plan and judges the answers. A usage error
/// comes back only when `/health` lists a secondary zone the plan has no
/// primary for.
fn run(plan: &Plan) -> Result<Report, UsageError> {
    let mut report = Report {
        transports: if plan.tcp {
            vec![Transport::Udp, Transport::Tcp]
        } else {
            vec![Transport::Udp]
        },
        ..Report::default()
    };
    let health = match &plan.health {
        Some(url) if plan.needs_health() => {
            match probe::http_get(url, plan.timeout).and_then(|body| {
                serde_json::from_slice::<api::health::Health>(&body)
                    .map_err(|e| format!("not the /health JSON: {e}"))
            }) {
                Ok(health) => Some(health),
                Err(error) => {
                    report.problems.push(Problem::HealthUnreadable {
                        url: url.to_string(),
                        error,
                    });
                    return Ok(report);
                }
            }
        }
        _ => None,
    };
    let zones = match (&plan.zones, &health) {
        (Zones::Listed(names), _) => names.clone(),
        (Zones::FromHealth, Some(health)) => match verdict::zones_in(health) {
            Ok(names) if names.is_empty() => {
                report.problems.push(Problem::NoZones {
                    url: plan
                        .health
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                });
                return Ok(report);
            }
            Ok(names) => names,
            Err(error) => {
                report.problems.push(Problem::HealthUnreadable {
                    url: plan
                        .health
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    error,
                });
                return Ok(report);
            }
        },
        (Zones::FromHealth, None) => Vec::new(),
    };
    // The zones, as a client sees them.
    let mut serials = Vec::with_capacity(zones.len());
    for zone in &zones {
        let mut serial = None;
        let mut served = true;
        for &transport in &report.transports.clone() {
            let question = Question::new(zone, Rtype::SOA, None);
            match probe::exchange(plan.server, &question, transport, plan.timeout) {
                Ok(reply) => match verdict::judge_soa(zone, transport, &reply) {
                    Ok(s) => {
                        serial = serial.or(Some(s));
                    }
                    Err(problem) => {
                        report.problems.push(problem);
                        served = false;
                    }
                },
                Err(error) => {
                    // Down (or unreachable over this transport): asking
                    // about the other zones would only add timeouts.
                    report.problems.push(no_answer(plan, transport, error));
                    return Ok(report);
                }
            }
        }
        if served {
            report.zones_loaded += 1;
        }
        if let Some(serial) = serial.filter(|_| served) {
            serials.push((zone.clone(), serial));
        }
    }
    // Their serials against the primaries'.
    if let Some(max) = plan.max_lag {
        check_lag(plan, max, &serials, health.as_ref(), &mut report)?;
    }
    // The node's own account: served, and not behind for too long.
    if let Some(health) = &health {
        let (problems, longest) = verdict::judge_health(health, &zones, plan.max_behind);
        report.problems.extend(problems);
        report.behind_checked = plan.max_behind.is_some();
        report.longest_behind = longest;
    }
    if let Some(canary) = &plan.canary {
        for &transport in &report.transports.clone() {
            let question = Question::new(&canary.name, canary.rtype, None);
            match probe::exchange(plan.server, &question, transport, plan.timeout) {
                Ok(reply) => match verdict::judge_canary(canary, transport, &reply) {
                    Ok(found) => report.canary = Some(found),
                    Err(problem) => report.problems.push(problem),
                },
                Err(error) => {
                    report.problems.push(no_answer(plan, transport, error));
                    return Ok(report);
                }
            }
        }
    }
    Ok(report)
}

fn no_answer(plan: &Plan, transport: Transport, error: ExchangeError) -> Problem {
    Problem::NoAnswer {
        server: plan.server,
        transport,
        error: error.to_string(),
    }
}

/// Compares each zone's serial with its primary's.
fn check_lag(
    plan: &Plan,
    max: u32,
    serials: &[(Name, wire::Serial)],
    health: Option<&api::health::Health>,
    report: &mut Report,
) -> Result<(), UsageError> {
    let mut largest = 0;
    let mut compared = 0;
    let mut silent = Vec::new();
    for (zone, ours) in serials {
        let Some(primary) = plan.primary_for(zone) else {
            // The node is the zone's primary (its configuration or its
            // /health says so): nothing to lag behind.
            if plan.configured_primary_zones.contains(zone) || is_primary_in(health, zone) {
                continue;
            }
            return Err(UsageError(format!(
                "--max-lag: no primary to compare zone {zone} with; give --primary ADDR[:PORT]"
            )));
        };
        let mut question = Question::new(zone, Rtype::SOA, primary.key.clone());
        let reply = match probe::exchange(primary.address, &question, Transport::Udp, plan.timeout)
        {
            Ok(reply) => reply,
            Err(_) => {
                silent.push(format!("{zone} ({})", primary.address));
                continue;
            }
        };
        let theirs = question
            .verify(&reply)
            .and_then(|()| Message::parse(&reply).map_err(|e| format!("a malformed answer: {e}")))
            .and_then(|message| verdict::primary_serial(zone, &message));
        let theirs = match theirs {
            Ok(serial) => serial,
            Err(why) => {
                report.problems.push(Problem::PrimaryAnswer {
                    zone: zone.clone(),
                    primary: primary.address,
                    why,
                });
                continue;
            }
        };
        compared += 1;
        match verdict::judge_lag(zone, *ours, theirs, max) {
            Ok(lag) => largest = largest.max(lag),
            Err(problem) => report.problems.push(problem),
        }
    }
    if compared > 0 {
        report.largest_lag = Some(largest);
    }
    if !silent.is_empty() {
        report.notes.push(format!(
            "serial lag not checked: no answer from the primary for {}",
            silent.join(", ")
        ));
    }
    Ok(())
}

/// Whether the node's `/health` has `zone` as a primary zone.
fn is_primary_in(health: Option<&api::health::Health>, zone: &Name) -> bool {
    health.is_some_and(|h| {
        h.zones.iter().any(|z| {
            z.role == "primary"
                && Name::from_text(&z.zone, Some(&Name::root()))
                    .is_ok_and(|n| n.to_lowercase() == *zone)
        })
    })
}
