//! The cluster page: every replicated zone, its NOTIFY targets with the
//! serial each answers now and its lag, and a secondary zone's refresh
//! state (the same facts as `GET /api/v1/cluster`).

use super::auth::UiSession;
use super::*;

pub(super) struct TargetRow {
    address: String,
    serial: String,
    state: String,
    /// `lagging` or `failing` for the row's colour, or empty.
    class: &'static str,
    notified: String,
    acknowledged: String,
}

pub(super) struct SecondaryRow {
    primaries: String,
    last_check: String,
    last_transfer: String,
    next_refresh: String,
    expires: String,
    error: Option<String>,
}

pub(super) struct ClusterZone {
    name: String,
    /// The view whose copy this is, on a node with views.
    view: Option<String>,
    url: String,
    role: String,
    serial: String,
    journal: Option<String>,
    targets: Vec<TargetRow>,
    secondary: Option<SecondaryRow>,
}

#[derive(Template)]
#[template(path = "ui/cluster.html")]
pub(super) struct ClusterPage {
    nav: Option<SessionView>,
    node: String,
    zones: Vec<ClusterZone>,
}

fn maybe_time(unix: Option<u64>) -> String {
    unix.map_or_else(|| "never".to_string(), time_text)
}

fn maybe_number(value: Option<u32>) -> String {
    value.map_or_else(|| "—".to_string(), |v| v.to_string())
}

pub(super) async fn cluster_page(State(state): State<AppState>, session: UiSession) -> Response {
    let cluster = crate::api::cluster::cluster_state(&state, &session.rights, true).await;
    let zones = cluster
        .zones
        .into_iter()
        .map(|zone| {
            let url = parse_zone(&zone.zone)
                .map(|n| match &zone.view {
                    Some(view) => format!("{}?view={}", zone_url(&n), url_encode(view)),
                    None => zone_url(&n),
                })
                .unwrap_or_default();
            let targets = zone
                .targets
                .into_iter()
                .map(|t| {
                    let (state, class) = match (&t.probe_error, t.lag, &t.error) {
                        (Some(why), _, _) => (format!("no answer: {why}"), "failing"),
                        (None, Some(0), None) => ("in step".to_string(), ""),
                        (None, Some(lag), _) => (format!("{lag} serials behind"), "lagging"),
                        (None, None, Some(why)) => (format!("NOTIFY failed: {why}"), "failing"),
                        (None, None, None) => ("unknown".to_string(), ""),
                    };
                    TargetRow {
                        address: t.address,
                        serial: maybe_number(t.serial),
                        state,
                        class,
                        notified: maybe_number(t.notified_serial),
                        acknowledged: maybe_time(t.acknowledged_at),
                    }
                })
                .collect();
            ClusterZone {
                name: zone.zone,
                view: zone.view,
                url,
                role: zone.role,
                serial: maybe_number(zone.serial),
                journal: zone.journal.map(|j| {
                    format!(
                        "{} changes, IXFR from serial {}",
                        j.entries,
                        maybe_number(j.first_serial)
                    )
                }),
                targets,
                secondary: zone.secondary.map(|s| SecondaryRow {
                    primaries: s.primaries.join(", "),
                    last_check: maybe_time(s.last_check),
                    last_transfer: maybe_time(s.last_transfer),
                    next_refresh: time_text(s.next_refresh),
                    expires: if s.expired {
                        "expired: answering SERVFAIL".to_string()
                    } else {
                        maybe_time(s.expires_at)
                    },
                    error: s.last_error,
                }),
            }
        })
        .collect();
    render(
        StatusCode::OK,
        &ClusterPage {
            nav: Some(session.view.clone()),
            node: cluster.node,
            zones,
        },
    )
}
