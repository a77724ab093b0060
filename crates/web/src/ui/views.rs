//! A store zone's page seen through one view: the base RRsets and the
//! view's own side by side, each editable. The record forms of the zone
//! page carry the view (a hidden field) and so change the view's copy; the
//! two buttons here hide a base RRset in the view or give the view the
//! base's set back.

use super::auth::{UiSession, check_form};
use super::rows::{RecordRow, relative};
use super::*;

/// A link to the zone page in one view (or the base).
pub(super) struct ViewTab {
    /// Shown text.
    pub(super) label: String,
    /// The page's URL.
    pub(super) url: String,
    /// The page being shown.
    pub(super) current: bool,
}

/// What a view serves at one (name, type).
pub(super) enum InView {
    /// The base's set.
    Same,
    /// Its own set, in place of the base's (or where the base has none).
    Own,
    /// Nothing: the view hides the base's set.
    Hidden,
}

/// One (name, type) with the base's set and the view's beside it.
pub(super) struct SideRow {
    /// Owner relative to the zone.
    pub(super) name: String,
    /// Owner, absolute.
    pub(super) owner: String,
    pub(super) rtype: String,
    /// The base's TTL and records (none: the base has no such set).
    pub(super) base_ttl: Option<u32>,
    pub(super) base: Vec<RecordRow>,
    pub(super) in_view: InView,
    /// The view's own TTL and records when it has its own.
    pub(super) own_ttl: u32,
    pub(super) own: Vec<RecordRow>,
    /// Not the SOA (which the server keeps).
    pub(super) editable: bool,
}

/// A view named in a page's query or form, checked against the
/// configuration: empty is none; a name no `[[view]]` has is the page that
/// says so (404).
pub(super) fn known_view(
    state: &AppState,
    session: &UiSession,
    zone: &Name,
    view: Option<&str>,
) -> Result<Option<String>, Box<Response>> {
    match view.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(name) if state.manager.views().contains(&name) => Ok(Some(name.to_string())),
        Some(name) => Err(Box::new(message(
            StatusCode::NOT_FOUND,
            Some(session.view.clone()),
            "No such view",
            format!("The configuration defines no view `{name}`."),
            &zone_url(zone),
        ))),
    }
}

/// The tabs of a zone page: the base, then each view in match order.
/// Empty on a node without views.
pub(super) fn tabs(state: &AppState, zone: &Name, current: Option<&str>) -> Vec<ViewTab> {
    let views = state.manager.views();
    if views.is_empty() {
        return Vec::new();
    }
    let base = ViewTab {
        label: "Base (every view)".into(),
        url: zone_url(zone),
        current: current.is_none(),
    };
    std::iter::once(base)
        .chain(views.into_iter().map(|view| ViewTab {
            label: format!("View {view}"),
            url: format!("{}?view={}", zone_url(zone), url_encode(view)),
            current: current == Some(view),
        }))
        .collect()
}

/// The rows of one page (1-based, clamped) of a zone seen through `view`
/// whose owner, type or content (base's or view's) matches `needle`, the
/// number of matching rows, the page shown, and the view's serial.
pub(super) async fn side_rows(
    state: &AppState,
    zone: &Name,
    view: &str,
    needle: &str,
    page: usize,
) -> Result<(Vec<SideRow>, usize, usize, Option<u32>), String> {
    let store = Arc::clone(state.manager.store());
    let (name, view_name) = (zone.clone(), view.to_string());
    let (sets, serial) = blocking(move || {
        let sets = store
            .rrsets_in_view(&name, &view_name)
            .map_err(|e| e.to_string())?;
        let serial = store
            .serial_in(&name, Some(&view_name))
            .map_err(|e| e.to_string())?;
        Ok((sets, serial))
    })
    .await?;
    let Some(sets) = sets else {
        return Ok((Vec::new(), 0, 1, serial.map(|s| s.0)));
    };
    let mut keys: Vec<(Name, Rtype)> = sets
        .base
        .iter()
        .filter(|s| !s.records.is_empty())
        .map(|s| (s.name.clone(), s.rtype))
        .chain(sets.own.iter().map(|o| (o.name.clone(), o.rtype)))
        .collect();
    keys.sort_by(|a, b| {
        let not_soa = |k: &(Name, Rtype)| k.1 != Rtype::SOA || k.0 != *zone;
        not_soa(a)
            .cmp(&not_soa(b))
            .then_with(|| a.0.cmp(&b.0))
            .then(a.1.cmp(&b.1))
    });
    keys.dedup();
    // Filtered before the rows are made, and the base's sets found by key
    // (not by a scan of the base per row, which on a large zone would be
    // quadratic).
    keys.retain(|(owner, rtype)| store::search_matches(zone, needle, owner, *rtype));
    let base_sets: std::collections::HashMap<(&Name, Rtype), &StoredRrset> = sets
        .base
        .iter()
        .filter(|s| !s.records.is_empty())
        .map(|s| ((&s.name, s.rtype), s))
        .collect();
    let rows_of = |set: &StoredRrset| -> Vec<RecordRow> {
        set.records
            .iter()
            .map(|r| RecordRow::new(set, r, Some(view)))
            .collect()
    };
    let mut rows: Vec<SideRow> = keys
        .into_iter()
        .map(|(owner, rtype)| {
            let base = base_sets.get(&(&owner, rtype)).copied();
            let own = sets.own(&owner, rtype);
            SideRow {
                name: relative(&owner, zone),
                owner: owner.to_string(),
                rtype: rtype.to_string(),
                base_ttl: base.map(|s| s.ttl),
                base: base.map(rows_of).unwrap_or_default(),
                in_view: match own {
                    None => InView::Same,
                    Some(None) => InView::Hidden,
                    Some(Some(_)) => InView::Own,
                },
                own_ttl: own.flatten().map_or(0, |s| s.ttl),
                own: own.flatten().map(rows_of).unwrap_or_default(),
                editable: rtype != Rtype::SOA,
            }
        })
        .collect();
    let total = rows.len();
    let last = total.div_ceil(PAGE_SIZE).max(1);
    let page = page.clamp(1, last);
    let shown = rows
        .drain(..)
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    Ok((shown, total, page, serial.map(|s| s.0)))
}

/// The form of the "hide in this view" and "use the base's" buttons.
#[derive(Deserialize)]
pub(super) struct ViewRrsetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    view: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    rtype: String,
    /// `hide` or `base`.
    #[serde(default)]
    action: String,
}

/// Hides a base RRset in a view, or gives the view the base's set back
/// (its own set is dropped; the base's is served there again).
pub(super) async fn view_rrset(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<ViewRrsetForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session.view, &zone);
    };
    let view = match known_view(&state, &session, &name, Some(&form.view)) {
        Ok(Some(view)) => view,
        Ok(None) => {
            return message(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(session.view.clone()),
                "Not changed",
                "No view was named.",
                &zone_url(&name),
            );
        }
        Err(page) => return *page,
    };
    let back = format!("{}?view={}", zone_url(&name), url_encode(&view));
    let (Ok(owner), Ok(rtype)) = (
        Name::from_text(&form.name, None).map(|n| n.to_lowercase()),
        form.rtype.parse::<Rtype>(),
    ) else {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(session.view.clone()),
            "Not changed",
            "The RRset was not recognised.",
            &back,
        );
    };
    let meta = ChangeMeta {
        author: session.view.user.clone(),
        source: Source::Ui,
        comment: None,
        now: now(),
    };
    let result = match form.action.as_str() {
        "hide" => {
            let change = RrsetChange {
                name: owner,
                rtype,
                op: RrsetOp::Delete,
                comments: None,
            };
            let changes = ChangeSet {
                changes: vec![change],
            };
            state
                .manager
                .apply_in(&name, Some(&view), changes, meta)
                .await
        }
        "base" => {
            state
                .manager
                .follow_base(&name, &view, owner, rtype, meta)
                .await
        }
        _ => {
            return message(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(session.view.clone()),
                "Not changed",
                "Unknown action.",
                &back,
            );
        }
    };
    match result {
        Ok(applied) => {
            tracing::info!(zone = %name, view, user = %session.view.user, serial = applied.to.0, "view changed in the web UI");
            Redirect::to(&format!("{back}&saved={}", applied.to.0)).into_response()
        }
        Err(error) => message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(session.view.clone()),
            "Not changed",
            error.to_string(),
            &back,
        ),
    }
}
