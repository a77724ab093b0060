//! The cluster page: every replicated zone, its NOTIFY targets with the
//! serial each answers now and its lag, and a secondary zone's refresh
//! state (the same facts as `GET /api/v1/cluster`), with the actions an
//! operator takes from there: NOTIFY one target now, and for a secondary
//! zone of this node, check its primaries or transfer it again.
//!
//! The page itself answers at once, without asking the targets anything;
//! the part with the zones then fetches itself again with the targets'
//! serials (`/ui/cluster/live`, htmx, every few seconds), so a slow or
//! dead secondary never holds the page up. Without JavaScript,
//! `?probe=1` asks while rendering.

use std::net::SocketAddr;

use api::own::NotifyTarget;
use store::AuditAction;

use super::auth::{UiSession, check_form};
use super::*;

pub(super) struct TargetRow {
    address: String,
    /// The `[[peer]]` (a hadns node) at this address, if it is one.
    peer: Option<String>,
    serial: String,
    state: String,
    /// `ok`, `lagging` or `failing` for the row's colour, or empty.
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
    session: SessionView,
    node: String,
    zones: Vec<ClusterZone>,
    /// Whether the targets were asked for their serials.
    probed: bool,
    notice: Option<String>,
}

/// The zones part alone, for htmx to swap in.
#[derive(Template)]
#[template(path = "ui/cluster_zones.html")]
pub(super) struct ClusterZones {
    session: SessionView,
    zones: Vec<ClusterZone>,
    probed: bool,
}

fn maybe_time(unix: Option<u64>) -> String {
    unix.map_or_else(|| "never".to_string(), time_text)
}

fn maybe_number(value: Option<u32>) -> String {
    value.map_or_else(|| "—".to_string(), |v| v.to_string())
}

/// What a target's row says about it, and its colour: whether it serves
/// the zone's serial (asked just now), how far behind it is, or why it
/// could not be asked; a NOTIFY that failed is said too, but a target in
/// step is in step whatever became of the last NOTIFY.
fn target_state(target: &NotifyTarget, probed: bool) -> (String, &'static str) {
    let (mut text, class) = match (&target.probe_error, target.lag) {
        (Some(why), _) => (why.clone(), "failing"),
        (None, Some(0)) => ("in step".to_string(), "ok"),
        (None, Some(1)) => ("1 serial behind".to_string(), "lagging"),
        (None, Some(lag)) => (format!("{lag} serials behind"), "lagging"),
        (None, None) if probed => ("not asked: this node has no serial yet".to_string(), ""),
        (None, None) => ("asking…".to_string(), ""),
    };
    if let Some(why) = &target.error {
        text.push_str(&format!("; last NOTIFY failed: {why}"));
    }
    (text, class)
}

/// When the target acknowledged a NOTIFY, and for which serial: an
/// acknowledgement of an older serial is not one of the newest NOTIFY.
fn acknowledgement(target: &NotifyTarget) -> String {
    match (target.acknowledged_serial, target.acknowledged_at) {
        (Some(acked), Some(at)) if Some(acked) == target.notified_serial => {
            format!("serial {acked} at {}", time_text(at))
        }
        (Some(acked), Some(at)) => {
            format!("not yet (serial {acked} at {})", time_text(at))
        }
        _ if target.notified_serial.is_some() => "not yet".to_string(),
        _ => "never".to_string(),
    }
}

/// Every replicated zone as the page shows it.
async fn cluster_zones(
    state: &AppState,
    rights: &store::Rights,
    probe: bool,
) -> (String, Vec<ClusterZone>) {
    let cluster = crate::api::cluster::cluster_state(state, rights, probe).await;
    let peers = state
        .settings
        .peers
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
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
                .iter()
                .map(|t| {
                    let (state, class) = target_state(t, probe);
                    TargetRow {
                        address: t.address.clone(),
                        peer: t
                            .address
                            .parse::<SocketAddr>()
                            .ok()
                            .and_then(|a| peers.iter().find(|p| p.dns == a))
                            .map(|p| p.name.clone()),
                        serial: maybe_number(t.serial),
                        state,
                        class,
                        notified: maybe_number(t.notified_serial),
                        acknowledged: acknowledgement(t),
                    }
                })
                .collect();
            ClusterZone {
                name: zone.zone,
                view: zone.view,
                url,
                role: zone.role,
                serial: maybe_number(zone.serial),
                journal: zone.journal.map(|j| match (j.entries, j.first_serial) {
                    (0, _) | (_, None) => "empty: secondaries transfer it whole".to_string(),
                    (1, Some(first)) => format!("1 change, IXFR from serial {first}"),
                    (n, Some(first)) => format!("{n} changes, IXFR from serial {first}"),
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
    (cluster.node, zones)
}

#[derive(Deserialize, Default)]
pub(super) struct ClusterQuery {
    /// Ask the targets while rendering (the page without JavaScript).
    #[serde(default)]
    probe: Option<String>,
    /// The action just done, for its notice: `notify`, `refresh`,
    /// `retransfer`.
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    zone: Option<String>,
    #[serde(default)]
    target: Option<String>,
}

impl ClusterQuery {
    /// The notice for the action just done, built from checked values only
    /// (a link cannot make the page say anything else).
    fn notice(&self) -> Option<String> {
        let zone = parse_zone(self.zone.as_deref()?).ok()?;
        match self.done.as_deref()? {
            "notify" => {
                let target: SocketAddr = self.target.as_deref()?.parse().ok()?;
                Some(format!("NOTIFY for {zone} sent to {target}."))
            }
            "refresh" => Some(format!(
                "{zone}: its primaries are being asked for their serial."
            )),
            "retransfer" => Some(format!("{zone}: a full transfer (AXFR) was started.")),
            "peer-retransfer" => {
                let peer = self.target.as_deref()?;
                // Only a name the configuration has (checked by the caller
                // of `done`), never free text: see `peer_name_is_plain`.
                peer_name_is_plain(peer)
                    .then(|| format!("{peer}: a full transfer (AXFR) of {zone} was started there."))
            }
            _ => None,
        }
    }
}

pub(super) async fn cluster_page(
    State(state): State<AppState>,
    session: UiSession,
    Query(query): Query<ClusterQuery>,
) -> Response {
    let probed = query.probe.is_some();
    let (node, zones) = cluster_zones(&state, &session.rights, probed).await;
    render(
        StatusCode::OK,
        &ClusterPage {
            nav: Some(session.view.clone()),
            session: session.view.clone(),
            node,
            zones,
            probed,
            notice: query.notice(),
        },
    )
}

/// The zones part with the targets' serials asked for just now.
pub(super) async fn cluster_live(State(state): State<AppState>, session: UiSession) -> Response {
    let (_, zones) = cluster_zones(&state, &session.rights, true).await;
    render(
        StatusCode::OK,
        &ClusterZones {
            session: session.view.clone(),
            zones,
            probed: true,
        },
    )
}

#[derive(Deserialize)]
pub(super) struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    view: String,
    #[serde(default)]
    target: String,
}

/// The page that says an action could not be done.
fn not_done(session: &UiSession, why: String) -> Response {
    message(
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(session.view.clone()),
        "Not done",
        why,
        "/ui/cluster",
    )
}

/// Back to the cluster page, saying what was done (to which target or
/// peer).
fn done(action: &str, zone: &Name, target: Option<&str>) -> Response {
    let mut url = format!(
        "/ui/cluster?done={action}&zone={}",
        url_encode(&zone.to_string())
    );
    if let Some(target) = target {
        url.push_str(&format!("&target={}", url_encode(target)));
    }
    Redirect::to(&url).into_response()
}

/// Whether a peer's name can be said back on the page as it is: letters,
/// digits and `-_.` only (a name from the URL is shown only then).
fn peer_name_is_plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// How long a peer has to answer a request.
const PEER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Deserialize)]
pub(super) struct PeerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    peer: String,
}

/// POST: ask a peer (a hadns node of `[[peer]]`) to transfer a zone again
/// in full, through its API's `POST /api/v1/control` with the token in
/// the peer's `token_file`: DNS has no message for it.
pub(super) async fn peer_retransfer(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<PeerForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let zone = match parse_zone(&form.zone) {
        Ok(zone) => zone,
        Err(e) => return not_done(&session, format!("`{}`: {e}", form.zone)),
    };
    let peer = state
        .settings
        .peers
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|p| p.name == form.peer)
        .cloned();
    let Some(peer) = peer else {
        return not_done(
            &session,
            format!("This node has no [[peer]] named `{}`.", form.peer),
        );
    };
    let mut event =
        super::audit::ui_event(&session, AuditAction::ZoneRetransfer, &zone.to_string());
    event.detail = format!("on peer {}", peer.name);
    let zone_text = zone.to_string();
    let asked = blocking(move || ask_peer_to_retransfer(&peer, &zone_text)).await;
    match asked {
        Ok(()) => {
            tracing::info!(zone = %zone, peer = %form.peer, user = %session.view.user, "peer asked to transfer again from the web UI");
            record_event(&state, event).await;
            let name = Some(form.peer.as_str()).filter(|n| peer_name_is_plain(n));
            done("peer-retransfer", &zone, name)
        }
        Err(why) => {
            record_event(&state, event.failed(&why)).await;
            not_done(&session, why)
        }
    }
}

/// The request to `peer`'s control endpoint, and what its answer means.
fn ask_peer_to_retransfer(peer: &config::PeerConfig, zone: &str) -> Result<(), String> {
    let token = std::fs::read_to_string(&peer.token_file).map_err(|e| {
        format!(
            "cannot read the token of peer {} ({}): {e}",
            peer.name,
            peer.token_file.display()
        )
    })?;
    let token = token.trim();
    let body = serde_json::json!({"command": "retransfer", "zone": zone}).to_string();
    let headers = [
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
        ("X-API-Key", token),
    ];
    let request = crate::client::Request {
        method: "POST",
        path: "/api/v1/control",
        headers: &headers,
        body: Some(body.as_bytes()),
    };
    let (status, answer) = crate::client::exchange(peer.api, &request, PEER_TIMEOUT, 64 * 1024)
        .map_err(|e| format!("peer {} ({}) did not answer: {e}", peer.name, peer.api))?;
    let said = serde_json::from_slice::<serde_json::Value>(&answer)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(&answer).chars().take(200).collect());
    match status {
        200 => Ok(()),
        401 | 403 => Err(format!(
            "peer {} refused the token in {}: {said}",
            peer.name,
            peer.token_file.display()
        )),
        _ => Err(format!("peer {} answered HTTP {status}: {said}", peer.name)),
    }
}

/// The replicator of the form's view (or the base's), and the zone.
fn action_zone<'a>(
    state: &'a AppState,
    form: &ActionForm,
) -> Result<(Name, &'a Arc<replicate::driver::Replicator>), String> {
    let zone = parse_zone(&form.zone).map_err(|e| format!("`{}`: {e}", form.zone))?;
    let view = Some(form.view.as_str()).filter(|v| !v.is_empty());
    if let Some(view) = view
        && !state.manager.views().contains(&view)
    {
        return Err(format!("This node has no view {view}."));
    }
    Ok((zone.clone(), state.manager.replicator_in(&zone, view)))
}

/// POST: NOTIFY one target of one zone now.
pub(super) async fn notify_target(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<ActionForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let (zone, replicator) = match action_zone(&state, &form) {
        Ok(found) => found,
        Err(why) => return not_done(&session, why),
    };
    let Ok(target) = form.target.parse::<SocketAddr>() else {
        return not_done(
            &session,
            format!("`{}` is not an address and port.", form.target),
        );
    };
    match replicator.notify_target_now(&zone, target) {
        Some(true) => {
            tracing::info!(zone = %zone, %target, user = %session.view.user, "NOTIFY sent from the web UI");
            let mut event =
                super::audit::ui_event(&session, AuditAction::ZoneNotify, &zone.to_string());
            event.detail = format!("to {target}");
            record_event(&state, event).await;
            done("notify", &zone, Some(&target.to_string()))
        }
        Some(false) => not_done(
            &session,
            format!("{target} is not a NOTIFY target of {zone}."),
        ),
        None => not_done(&session, format!("{zone} is not replicated on this node.")),
    }
}

/// POST: a secondary zone of this node checks its primaries now
/// (`action=refresh`) or transfers the whole zone again
/// (`action=retransfer`).
pub(super) async fn secondary_action(
    State(state): State<AppState>,
    session: UiSession,
    Path(action): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<ActionForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let (zone, replicator) = match action_zone(&state, &form) {
        Ok(found) => found,
        Err(why) => return not_done(&session, why),
    };
    let (started, audited) = match action.as_str() {
        "refresh" => (replicator.refresh_now(&zone), AuditAction::ZoneRefresh),
        "retransfer" => (
            replicator.retransfer_now(&zone),
            AuditAction::ZoneRetransfer,
        ),
        _ => return not_done(&session, format!("No action `{action}`.")),
    };
    if started {
        tracing::info!(zone = %zone, action, user = %session.view.user, "secondary zone action from the web UI");
        record_event(
            &state,
            super::audit::ui_event(&session, audited, &zone.to_string()),
        )
        .await;
        done(&action, &zone, None)
    } else {
        not_done(
            &session,
            format!("{zone} is not a secondary zone of this node."),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> NotifyTarget {
        NotifyTarget {
            address: "192.0.2.2:53".into(),
            notified_serial: Some(5),
            acknowledged_at: Some(1_795_622_020),
            acknowledged_serial: Some(5),
            error: None,
            serial: Some(5),
            lag: Some(0),
            probe_error: None,
        }
    }

    #[test]
    fn a_target_in_step_is_in_step_in_the_good_colour() {
        assert_eq!(target_state(&target(), true), ("in step".into(), "ok"));
        let failed = NotifyTarget {
            error: Some("no answer".into()),
            ..target()
        };
        let (text, class) = target_state(&failed, true);
        assert_eq!(class, "ok");
        assert!(text.starts_with("in step; last NOTIFY failed"), "{text}");
        let behind = NotifyTarget {
            lag: Some(3),
            ..target()
        };
        assert_eq!(
            target_state(&behind, true),
            ("3 serials behind".into(), "lagging")
        );
        let refused = NotifyTarget {
            lag: None,
            serial: None,
            probe_error: Some("does not serve the zone (answered REFUSED)".into()),
            ..target()
        };
        assert_eq!(
            target_state(&refused, true),
            (
                "does not serve the zone (answered REFUSED)".into(),
                "failing"
            )
        );
        let unasked = NotifyTarget {
            lag: None,
            serial: None,
            ..target()
        };
        assert_eq!(target_state(&unasked, false).0, "asking…");
    }

    #[test]
    fn an_acknowledgement_names_its_serial() {
        assert_eq!(
            acknowledgement(&target()),
            "serial 5 at 2026-11-25 15:53:40 UTC"
        );
        let older = NotifyTarget {
            notified_serial: Some(6),
            ..target()
        };
        assert_eq!(
            acknowledgement(&older),
            "not yet (serial 5 at 2026-11-25 15:53:40 UTC)"
        );
        let none = NotifyTarget {
            acknowledged_at: None,
            acknowledged_serial: None,
            ..target()
        };
        assert_eq!(acknowledgement(&none), "not yet");
    }

    #[test]
    fn peer_names_are_said_back_only_when_plain() {
        assert!(peer_name_is_plain("ns2.dc-1"));
        assert!(!peer_name_is_plain("ns2 <b>"));
        assert!(!peer_name_is_plain(""));
        let query = ClusterQuery {
            probe: None,
            done: Some("peer-retransfer".into()),
            zone: Some("c.test".into()),
            target: Some("ns2".into()),
        };
        assert_eq!(
            query.notice().as_deref(),
            Some("ns2: a full transfer (AXFR) of c.test. was started there.")
        );
    }

    #[test]
    fn notices_come_from_checked_values_only() {
        let query = |done: &str, zone: &str, target: &str| ClusterQuery {
            probe: None,
            done: Some(done.into()),
            zone: Some(zone.into()),
            target: Some(target.into()),
        };
        assert_eq!(
            query("notify", "c.test", "127.0.0.1:53")
                .notice()
                .as_deref(),
            Some("NOTIFY for c.test. sent to 127.0.0.1:53.")
        );
        assert_eq!(query("notify", "c.test", "<b>hi</b>").notice(), None);
        assert_eq!(query("other", "c.test", "").notice(), None);
    }
}
