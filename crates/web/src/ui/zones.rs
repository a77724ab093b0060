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
    /// The name servers inside the new zone, asked for their addresses.
    glue: Vec<GlueField>,
    /// Create the zone without the addresses (the operator adds them later).
    without_glue: bool,
}

/// The address field of a name server inside the zone being created.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct GlueField {
    /// Its place in the name server list: the field is `glue{index}`.
    index: usize,
    /// The name server.
    ns: String,
    /// What was typed.
    value: String,
    error: Option<String>,
}

/// The address records of the name servers inside `zone`, from the
/// `glue{i}` fields (addresses separated by spaces or commas) of the form,
/// `i` being the server's place in `nameservers`: without them such a
/// server is named by the zone's NS records but cannot be reached, which
/// `hadns zone check` (like named-checkzone) calls an error. `Err` carries
/// a field per in-zone server, each with its error when it has one.
fn glue_records(
    zone: &Name,
    nameservers: &[Name],
    given: &std::collections::HashMap<String, String>,
    without_glue: bool,
) -> Result<Vec<store::RrsetInput>, Vec<GlueField>> {
    let mut fields = Vec::new();
    let mut rrsets = Vec::new();
    let mut wrong = false;
    for (index, ns) in nameservers.iter().enumerate() {
        if !ns.is_subdomain_of(zone) {
            continue;
        }
        let value = given
            .get(&format!("glue{index}"))
            .map(|v| v.trim().to_string())
            .unwrap_or_default();
        let mut field = GlueField {
            index,
            ns: ns.to_string(),
            value: value.clone(),
            error: None,
        };
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for text in value
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
        {
            match text.parse::<IpAddr>() {
                Ok(IpAddr::V4(a)) => v4.push(store::RecordInput {
                    rdata: a.octets().to_vec(),
                    content: None,
                    disabled: false,
                }),
                Ok(IpAddr::V6(a)) => v6.push(store::RecordInput {
                    rdata: a.octets().to_vec(),
                    content: None,
                    disabled: false,
                }),
                Err(_) => {
                    field.error = Some(format!("`{text}` is not an IPv4 or IPv6 address"));
                }
            }
        }
        if field.error.is_none() && v4.is_empty() && v6.is_empty() && !without_glue {
            field.error = Some(format!(
                "{ns} is inside {zone}: give its addresses, or resolvers cannot reach it"
            ));
        }
        wrong |= field.error.is_some();
        for (rtype, records) in [(Rtype::A, v4), (Rtype::AAAA, v6)] {
            if !records.is_empty() {
                rrsets.push(store::RrsetInput {
                    name: ns.clone(),
                    rtype,
                    ttl: DEFAULT_TTL,
                    records,
                    comments: Vec::new(),
                });
            }
        }
        fields.push(field);
    }
    if wrong { Err(fields) } else { Ok(rrsets) }
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
    /// `on`: create the zone without addresses for in-zone name servers.
    #[serde(default)]
    without_glue: Option<String>,
    /// The `glue{i}` address fields, and anything else the form carries.
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
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
    shown.without_glue = form.without_glue.is_some();
    let glue = match glue_records(&name, &nameservers, &form.rest, shown.without_glue) {
        Ok(glue) => glue,
        Err(fields) => {
            shown.glue = fields;
            shown.ns_error =
                Some("Name servers inside the zone need their addresses (below).".to_string());
            return render_zones(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
        }
    };
    let new = NewZone {
        name: name.clone(),
        kind: ZoneKind::Master,
        serial_policy: rules.serial_policy,
        rrsets: glue,
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
    let event = super::audit::ui_event(&session, store::AuditAction::ZoneCreate, &name.to_string());
    let created = state
        .manager
        .audited(event, state.manager.create_zone(new, meta))
        .await;
    match created {
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
    let mut event =
        super::audit::ui_event(&session, store::AuditAction::ZoneDelete, &name.to_string());
    event.detail = format!("{} records", info.records);
    let deleted = state
        .manager
        .audited(event, state.manager.delete_zone(&name))
        .await;
    match deleted {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn given(fields: &[(&str, &str)]) -> std::collections::HashMap<String, String> {
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn in_zone_name_servers_are_asked_for_their_addresses() {
        let zone: Name = "web.test.".parse().unwrap();
        let servers: Vec<Name> = ["ns.example.net.", "ns1.web.test.", "ns2.web.test."]
            .iter()
            .map(|n| n.parse().unwrap())
            .collect();
        // Nothing given: a field for each in-zone server, none for the other.
        let fields = glue_records(&zone, &servers, &given(&[]), false).unwrap_err();
        assert_eq!(
            fields
                .iter()
                .map(|f| (f.index, f.ns.as_str()))
                .collect::<Vec<_>>(),
            vec![(1, "ns1.web.test."), (2, "ns2.web.test.")]
        );
        assert!(fields.iter().all(|f| {
            f.error
                .as_deref()
                .is_some_and(|e| e.contains("inside web.test."))
        }));
        // A bad address is named; the good field has no error.
        let fields = glue_records(
            &zone,
            &servers,
            &given(&[("glue1", "192.0.2.1"), ("glue2", "192.0.2.300")]),
            false,
        )
        .unwrap_err();
        assert_eq!(fields[0].error, None);
        assert!(
            fields[1]
                .error
                .as_deref()
                .unwrap()
                .contains("`192.0.2.300`")
        );
        // Both families, spaces or commas.
        let rrsets = glue_records(
            &zone,
            &servers,
            &given(&[("glue1", "192.0.2.1, 2001:db8::1"), ("glue2", "192.0.2.2")]),
            false,
        )
        .unwrap();
        let made: Vec<(String, Rtype, usize)> = rrsets
            .iter()
            .map(|r| (r.name.to_string(), r.rtype, r.records.len()))
            .collect();
        assert_eq!(
            made,
            vec![
                ("ns1.web.test.".into(), Rtype::A, 1),
                ("ns1.web.test.".into(), Rtype::AAAA, 1),
                ("ns2.web.test.".into(), Rtype::A, 1),
            ]
        );
        // Without them, when the operator says so.
        assert!(
            glue_records(&zone, &servers, &given(&[]), true)
                .unwrap()
                .is_empty()
        );
    }
}
