//! The zones page: every zone of the node with its state; creating and
//! deleting store zones.

use super::auth::{UiSession, check_form};
use super::*;

pub(super) struct ZoneRow {
    name: String,
    url: String,
    kind: &'static str,
    serial: u32,
    records: usize,
    last_change: String,
    secondaries: String,
    writable: bool,
}

#[derive(Default)]
pub(super) struct CreateForm {
    name: String,
    nameservers: String,
    name_error: Option<String>,
    ns_error: Option<String>,
}

#[derive(Template)]
#[template(path = "ui/zones.html")]
pub(super) struct ZonesPage {
    nav: Option<SessionView>,
    session: SessionView,
    zones: Vec<ZoneRow>,
    form: CreateForm,
    default_nameservers: String,
    /// What was just done (a zone deleted), said above the list.
    notice: Option<String>,
}

/// The zones page's query: `?deleted=ZONE` after a deletion.
#[derive(Deserialize, Default)]
pub(super) struct ZonesQuery {
    #[serde(default)]
    deleted: String,
}

/// "2/2 in step", "1/2 in step", or "—" without NOTIFY targets.
pub(super) fn secondaries_text(state: &AppState, zone: &Name, serial: Serial) -> String {
    let Some(status) = state.manager.replicator_in(zone, None).status(zone) else {
        return "—".into();
    };
    if status.notify.is_empty() {
        return "—".into();
    }
    let in_step = status
        .notify
        .iter()
        .filter(|(_, t)| t.serial == Some(serial) && t.acknowledged.is_some() && t.error.is_none())
        .count();
    format!("{in_step}/{} in step", status.notify.len())
}

/// The zones `rights` may read, by name.
pub(super) async fn zone_rows(
    state: &AppState,
    rights: &store::Rights,
) -> Result<Vec<ZoneRow>, String> {
    let store = Arc::clone(state.manager.store());
    let stored = blocking(move || store.zones().map_err(|e| e.to_string())).await?;
    let elsewhere = state.manager.elsewhere();
    // A secondary created through the API: its data is the transferred
    // copy, read-only here; the configuration wins on a name clash.
    let (secondaries, stored): (Vec<_>, Vec<_>) = stored
        .into_iter()
        .filter(|info| !elsewhere.contains_key(&info.name))
        .partition(|info| info.kind == store::ZoneKind::Slave);
    let mut rows: Vec<ZoneRow> = stored
        .into_iter()
        .map(|info| ZoneRow {
            url: zone_url(&info.name),
            kind: "primary (store)",
            serial: info.serial.0,
            records: info.records,
            last_change: info
                .last_change
                .as_ref()
                .map(|c| {
                    format!(
                        "{} by {} ({})",
                        time_text(c.changed_at),
                        c.author,
                        c.source.as_str()
                    )
                })
                .unwrap_or_default(),
            secondaries: secondaries_text(state, &info.name, info.serial),
            // Deleting a zone is an admin's.
            writable: rights.is_admin(),
            name: info.name.to_string(),
        })
        .collect();
    for info in secondaries {
        let name = &info.name;
        let current = state.manager.replicator_in(name, None).current(name);
        let serial = current.as_ref().map(|z| z.serial());
        rows.push(ZoneRow {
            name: name.to_string(),
            url: zone_url(name),
            kind: "secondary (API)",
            serial: serial.map_or(0, |s| s.0),
            records: current.as_ref().map_or(0, |z| z.record_count()),
            last_change: String::new(),
            secondaries: "—".into(),
            writable: false,
        });
    }
    for (name, other) in elsewhere.iter() {
        let current = state.manager.replicator_in(name, None).current(name);
        let serial = current.as_ref().map(|z| z.serial());
        rows.push(ZoneRow {
            name: name.to_string(),
            url: zone_url(name),
            kind: match other {
                Elsewhere::File(_) => "primary (file)",
                Elsewhere::Secondary(_) => "secondary",
            },
            serial: serial.map_or(0, |s| s.0),
            records: current.as_ref().map_or(0, |z| z.record_count()),
            last_change: String::new(),
            secondaries: serial.map_or_else(|| "—".into(), |s| secondaries_text(state, name, s)),
            writable: false,
        });
    }
    rows.retain(|row| parse_zone(&row.name).is_ok_and(|zone| rights.may_read_zone(&zone, None)));
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

pub(super) async fn render_zones(
    state: &AppState,
    session: &UiSession,
    status: StatusCode,
    form: CreateForm,
) -> Response {
    render_zones_noting(state, session, status, form, None).await
}

/// The zones page with `notice` above the list.
async fn render_zones_noting(
    state: &AppState,
    session: &UiSession,
    status: StatusCode,
    form: CreateForm,
    notice: Option<String>,
) -> Response {
    match zone_rows(state, &session.rights).await {
        Ok(zones) => {
            let defaults = &state.manager.rules(&Name::root()).nameservers;
            render(
                status,
                &ZonesPage {
                    nav: Some(session.view.clone()),
                    session: session.view.clone(),
                    zones,
                    form,
                    default_nameservers: defaults
                        .iter()
                        .map(Name::to_string)
                        .collect::<Vec<_>>()
                        .join(" "),
                    notice,
                },
            )
        }
        Err(e) => message(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(session.view.clone()),
            "Zones unavailable",
            e,
            "/ui/",
        ),
    }
}

pub(super) async fn zones_page(
    State(state): State<AppState>,
    session: UiSession,
    query: Result<Query<ZonesQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    // After a deletion (redirected here, so a reload does not post again).
    let notice = query
        .ok()
        .map(|q| q.0.deleted)
        .filter(|zone| !zone.is_empty())
        .map(|zone| format!("Zone {zone} deleted."));
    render_zones_noting(
        &state,
        &session,
        StatusCode::OK,
        CreateForm::default(),
        notice,
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct CreateZoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    nameservers: String,
}

pub(super) async fn create_zone(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CreateZoneForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let mut shown = CreateForm {
        name: form.name.clone(),
        nameservers: form.nameservers.clone(),
        ..CreateForm::default()
    };
    let name = match typed_name(&form.name, "Give the zone's name, e.g. example.com") {
        Ok(name) => name,
        Err(e) => {
            shown.name_error = Some(e);
            return render_zones(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
        }
    };
    if let Some(other) = state.manager.elsewhere().get(&name) {
        shown.name_error = Some(format!(
            "{name} is already served by this node ({}).",
            other.describe()
        ));
        return render_zones(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    }
    let mut nameservers = Vec::new();
    for ns in form
        .nameservers
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
    {
        match typed_name(ns, "") {
            Ok(n) => nameservers.push(n),
            Err(e) => {
                shown.ns_error = Some(e);
                return render_zones(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, shown)
                    .await;
            }
        }
    }
    let rules = state.manager.rules(&name);
    if nameservers.is_empty() {
        nameservers = rules.nameservers.clone();
    }
    if nameservers.is_empty() {
        shown.ns_error = Some(
            "A zone needs at least one name server (this node has no [zone_defaults] nameservers)."
                .into(),
        );
        return render_zones(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    }
    let new = NewZone {
        name: name.clone(),
        kind: ZoneKind::Master,
        serial_policy: rules.serial_policy,
        rrsets: Vec::new(),
        nameservers,
        serial: None,
        settings: Default::default(),
    };
    let meta = ChangeMeta {
        author: session.view.user.clone(),
        source: Source::Ui,
        comment: Some("zone created in the web UI".into()),
        now: now(),
    };
    match state.manager.create_zone(new, meta).await {
        Ok(applied) => {
            tracing::info!(zone = %name, user = %session.view.user, serial = applied.to.0, "zone created in the web UI");
            Redirect::to(&format!("{}?saved={}", zone_url(&name), applied.to.0)).into_response()
        }
        Err(e) => {
            shown.name_error = Some(e.to_string());
            render_zones(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, shown).await
        }
    }
}

#[derive(Template)]
#[template(path = "ui/delete_zone.html")]
pub(super) struct DeleteZonePage {
    nav: Option<SessionView>,
    session: SessionView,
    zone: String,
    url: String,
    records: usize,
    error: Option<String>,
}

pub(super) async fn delete_zone_page(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
) -> Response {
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session.view, &zone);
    };
    match find_zone(&state, &name).await {
        Ok(Some(Origin::Store(info))) => render(
            StatusCode::OK,
            &DeleteZonePage {
                nav: Some(session.view.clone()),
                session: session.view.clone(),
                zone: name.to_string(),
                url: zone_url(&name),
                records: info.records,
                error: None,
            },
        ),
        _ => not_found(&session.view, &zone),
    }
}

#[derive(Deserialize)]
pub(super) struct DeleteZoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
}

pub(super) async fn delete_zone(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<DeleteZoneForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session.view, &zone);
    };
    let Ok(Some(Origin::Store(info))) = find_zone(&state, &name).await else {
        return not_found(&session.view, &zone);
    };
    let typed = form
        .confirm
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let wanted = name.to_string();
    if typed != wanted.trim_end_matches('.') {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &DeleteZonePage {
                nav: Some(session.view.clone()),
                session: session.view.clone(),
                zone: wanted.clone(),
                url: zone_url(&name),
                records: info.records,
                error: Some(format!("Type {wanted} to confirm.")),
            },
        );
    }
    match state.manager.delete_zone(&name).await {
        Ok(()) => {
            tracing::info!(zone = %name, user = %session.view.user, "zone deleted in the web UI");
            Redirect::to(&format!("/ui/?deleted={}", url_encode(&name.to_string()))).into_response()
        }
        Err(e) => message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(session.view.clone()),
            "Not deleted",
            e.to_string(),
            &zone_url(&name),
        ),
    }
}
