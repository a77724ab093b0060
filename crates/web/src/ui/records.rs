//! A zone's page: its RRsets, paged and searchable, and the forms that add,
//! edit and delete records through the write path.

use super::auth::{UiSession, check_form};
use super::rows::{RecordRow, relative};
use super::views::{InView, SideRow, ViewTab, known_view, side_rows, tabs};
use super::*;

pub(super) struct RrsetRow {
    /// The owner relative to the zone (`@` for the apex).
    name: String,
    /// The owner, absolute.
    owner: String,
    ttl: u32,
    rtype: String,
    editable: bool,
    records: Vec<RecordRow>,
}

/// The record form's fields as typed, and an error per field.
#[derive(Default)]
pub(super) struct RecordFormView {
    name: String,
    ttl: String,
    rtype: String,
    content: String,
    comment: String,
    errors: FieldErrors,
}

#[derive(Default, Debug)]
pub(super) struct FieldErrors {
    name: Option<String>,
    ttl: Option<String>,
    rtype: Option<String>,
    content: Option<String>,
}

pub(super) struct Saved {
    from: u32,
    to: u32,
    removed: Vec<String>,
    added: Vec<String>,
}

#[derive(Template)]
#[template(path = "ui/zone.html")]
pub(super) struct ZonePage {
    nav: Option<SessionView>,
    session: SessionView,
    zone: String,
    url: String,
    kind: &'static str,
    serial: u32,
    total: usize,
    writable: bool,
    read_only: Option<String>,
    saved: Option<Saved>,
    form: RecordFormView,
    query: String,
    rrsets: Vec<RrsetRow>,
    page: usize,
    pages: usize,
    first_page: Option<String>,
    prev_page: Option<String>,
    next_page: Option<String>,
    last_page: Option<String>,
    /// Base and views, on a node with views.
    tabs: Vec<ViewTab>,
    /// The view shown; `None`: the base.
    view: Option<String>,
    /// In a view: each (name, type) with the base's set and the view's.
    side: Vec<SideRow>,
    /// In a view: the base's serial.
    base_serial: u32,
}

#[derive(Deserialize, Default)]
pub(super) struct ZoneQuery {
    q: Option<String>,
    page: Option<usize>,
    saved: Option<u32>,
    view: Option<String>,
}

/// One page (1-based, clamped to the last) of a zone's RRsets matching
/// `needle`, and how many match in all: from the store, which pages in
/// SQL, or from the served snapshot for zones kept elsewhere.
pub(super) async fn load_page(
    state: &AppState,
    zone: &Name,
    origin: &Origin,
    needle: &str,
    page: usize,
) -> Result<(Vec<StoredRrset>, usize, usize), String> {
    let page = page.max(1);
    match origin {
        Origin::Store(_) => {
            let store = Arc::clone(state.manager.store());
            let name = zone.clone();
            let needle = needle.to_string();
            blocking(move || {
                let read = |page: usize| {
                    store
                        .rrsets_page(&name, &needle, (page - 1) * PAGE_SIZE, PAGE_SIZE)
                        .map_err(|e| e.to_string())
                };
                let first = read(page)?;
                let last = first.total.div_ceil(PAGE_SIZE).max(1);
                if page > last {
                    let again = read(last)?;
                    return Ok((again.rrsets, again.total, last));
                }
                Ok((first.rrsets, first.total, page))
            })
            .await
        }
        Origin::Elsewhere(_) => {
            let Some(snapshot) = state.manager.replicator_in(zone, None).current(zone) else {
                return Ok((Vec::new(), 0, 1));
            };
            let mut sets: Vec<StoredRrset> = Vec::new();
            for record in snapshot.records() {
                let content = api::convert::content_text(record.rtype, &record.rdata);
                let stored = store::StoredRecord {
                    rdata: record.rdata,
                    content,
                    disabled: false,
                };
                match sets.last_mut() {
                    Some(set) if set.name == record.owner && set.rtype == record.rtype => {
                        set.records.push(stored);
                    }
                    _ => sets.push(StoredRrset {
                        name: record.owner,
                        rtype: record.rtype,
                        ttl: record.ttl,
                        records: vec![stored],
                        comments: Vec::new(),
                    }),
                }
            }
            // The same search as the store's listing.
            sets.retain(|set| store::search_matches(zone, needle, &set.name, set.rtype));
            let total = sets.len();
            let page = page.min(total.div_ceil(PAGE_SIZE).max(1));
            let shown = sets
                .into_iter()
                .skip((page - 1) * PAGE_SIZE)
                .take(PAGE_SIZE)
                .collect();
            Ok((shown, total, page))
        }
    }
}

/// The page for a zone the store could not read.
fn unavailable(session: &UiSession, error: String) -> Response {
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        Some(session.view.clone()),
        "Zone unavailable",
        error,
        "/ui/",
    )
}

pub(super) async fn render_zone(
    state: &AppState,
    session: &UiSession,
    zone: &Name,
    query: ZoneQuery,
    status: StatusCode,
    form: RecordFormView,
) -> Response {
    let origin = match find_zone(state, zone).await {
        Ok(Some(origin)) => origin,
        Ok(None) => return not_found(&session.view, &zone.to_string()),
        Err(e) => {
            return unavailable(session, e);
        }
    };
    let view = match known_view(state, session, zone, query.view.as_deref()) {
        Ok(view) => view,
        Err(page) => return *page,
    };
    let (kind, serial, writable, read_only) = match &origin {
        // The forms are shown to those who may use them.
        Origin::Store(info) => (
            "primary (store)",
            info.serial.0,
            session.rights.may_write_zone(zone, view.as_deref()),
            None,
        ),
        Origin::Elsewhere(other) => {
            let serial = state
                .manager
                .replicator_in(zone, None)
                .current(zone)
                .map_or(0, |z| z.serial().0);
            match other {
                Elsewhere::File(path) => (
                    "primary (file)",
                    serial,
                    false,
                    Some(format!(
                        "Served from the zone file {}: edit the file and reload, or import it into the store.",
                        path.display()
                    )),
                ),
                Elsewhere::Secondary(_) => (
                    "secondary",
                    serial,
                    false,
                    Some("A secondary zone, copied from its primaries: change it there.".into()),
                ),
            }
        }
    };
    let needle = query
        .q
        .clone()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let in_store_view = view
        .as_deref()
        .filter(|_| matches!(origin, Origin::Store(_)));
    let loaded = match in_store_view {
        Some(name) => side_rows(state, zone, name, &needle, query.page.unwrap_or(1))
            .await
            .map(|(rows, total, page, serial)| (Vec::new(), rows, total, page, serial)),
        None => load_page(state, zone, &origin, &needle, query.page.unwrap_or(1))
            .await
            .map(|(sets, total, page)| (sets, Vec::new(), total, page, None)),
    };
    let (sets, side, total, page, view_serial) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            return unavailable(session, e);
        }
    };
    let (serial, base_serial) = match view_serial {
        Some(own) => (own, serial),
        None => (serial, serial),
    };
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page_url = |n: usize| {
        let mut url = format!("{}?page={n}", zone_url(zone));
        if !needle.is_empty() {
            url.push_str(&format!("&q={}", url_encode(&needle)));
        }
        if let Some(view) = in_store_view {
            url.push_str(&format!("&view={}", url_encode(view)));
        }
        url
    };
    let rrsets = sets
        .iter()
        .filter(|set| !set.records.is_empty())
        .map(|set| RrsetRow {
            name: relative(&set.name, zone),
            owner: set.name.to_string(),
            ttl: set.ttl,
            rtype: set.rtype.to_string(),
            editable: set.rtype != Rtype::SOA,
            records: set
                .records
                .iter()
                .map(|r| RecordRow::new(set, r, None))
                .collect(),
        })
        .collect();
    let saved = match (query.saved, &origin) {
        (Some(serial), Origin::Store(_)) => {
            let store = Arc::clone(state.manager.store());
            let name = zone.clone();
            let in_view = in_store_view.map(str::to_string);
            blocking(move || {
                store
                    .change_head_in(&name, in_view.as_deref(), Serial(serial), DIFF_LINES + 1)
                    .map_err(|e| e.to_string())
            })
            .await
            .ok()
            .flatten()
            .map(|change| {
                let (removed, added) = head_lines(
                    (&change.removed, change.entry.removed_count),
                    (&change.added, change.entry.added_count),
                );
                Saved {
                    from: change.entry.serial_from.0,
                    to: change.entry.serial_to.0,
                    removed,
                    added,
                }
            })
        }
        _ => None,
    };
    render(
        status,
        &ZonePage {
            nav: Some(session.view.clone()),
            session: session.view.clone(),
            zone: zone.to_string(),
            url: zone_url(zone),
            kind,
            serial,
            total,
            writable,
            read_only,
            saved,
            form,
            query: needle.clone(),
            rrsets,
            page,
            pages,
            first_page: (page > 2).then(|| page_url(1)),
            prev_page: (page > 1).then(|| page_url(page - 1)),
            next_page: (page < pages).then(|| page_url(page + 1)),
            last_page: (page + 1 < pages).then(|| page_url(pages)),
            tabs: tabs(state, zone, in_store_view),
            view: in_store_view.map(str::to_string),
            side,
            base_serial,
        },
    )
}

pub(super) async fn zone_page(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    Query(query): Query<ZoneQuery>,
) -> Response {
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session.view, &zone);
    };
    let ttl = zone_default_ttl(&state, &name).await;
    render_zone(
        &state,
        &session,
        &name,
        query,
        StatusCode::OK,
        RecordFormView {
            ttl: ttl.to_string(),
            ..RecordFormView::default()
        },
    )
    .await
}

/// The TTL new records of `zone` get: its default TTL (settings page),
/// else [`manage::settings::FALLBACK_TTL`]; one indexed read.
pub(super) async fn zone_default_ttl(state: &AppState, zone: &Name) -> u32 {
    let manager = Arc::clone(&state.manager);
    let zone = zone.clone();
    blocking(move || Ok(manager.default_ttl(&zone)))
        .await
        .unwrap_or(DEFAULT_TTL)
}

#[derive(Deserialize)]
pub(super) struct RecordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    ttl: String,
    #[serde(default)]
    rtype: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    old_name: String,
    #[serde(default)]
    old_rtype: String,
    #[serde(default)]
    old_content: String,
    /// The view whose copy the form changes; empty: the base.
    #[serde(default)]
    view: String,
}

impl RecordForm {
    /// The view the form changes, if any.
    fn in_view(&self) -> Option<String> {
        Some(self.view.clone()).filter(|v| !v.is_empty())
    }

    fn view(&self) -> RecordFormView {
        RecordFormView {
            name: self.name.clone(),
            ttl: self.ttl.clone(),
            rtype: self.rtype.clone(),
            content: self.content.clone(),
            comment: self.comment.clone(),
            errors: FieldErrors::default(),
        }
    }
}

/// A record as typed in the form: owner relative to the zone (or `@`, or
/// absolute with a final dot), TTL (default the zone's default TTL), type, and content in
/// zone-file syntax with names relative to the zone.
#[derive(Debug)]
pub(super) struct ParsedRecord {
    name: Name,
    ttl: u32,
    rtype: Rtype,
    rdata: Vec<u8>,
}

pub(super) fn parse_record(
    zone: &Name,
    form: &RecordForm,
    default_ttl: u32,
) -> Result<ParsedRecord, FieldErrors> {
    let mut errors = FieldErrors::default();
    let text = form.name.trim();
    let name = if text.is_empty() || text == "@" {
        Some(zone.clone())
    } else {
        match Name::from_text(text, Some(zone)) {
            Ok(name) if name.is_subdomain_of(zone) => Some(name.to_lowercase()),
            Ok(name) => {
                errors.name = Some(format!("{name} is not inside the zone {zone}"));
                None
            }
            Err(e) => {
                errors.name = Some(format!("`{text}` is not a valid name: {e}"));
                None
            }
        }
    };
    let ttl_text = form.ttl.trim();
    let ttl = if ttl_text.is_empty() {
        Some(default_ttl)
    } else {
        // Seconds, or BIND's units as in zone files (`1h`, `1h30m`, `2d`).
        match ttl_text.parse::<wire::Ttl>() {
            Ok(ttl) if ttl.0 <= i32::MAX as u32 => Some(ttl.0),
            _ => {
                errors.ttl = Some(format!(
                    "`{ttl_text}` is not a TTL: seconds from 0 to 2147483647, or units as in 1h30m"
                ));
                None
            }
        }
    };
    let rtype = match form.rtype.trim().to_ascii_uppercase().parse::<Rtype>() {
        Ok(rtype) if !rtype.is_meta() && rtype != Rtype::SOA => Some(rtype),
        Ok(rtype) if rtype == Rtype::SOA => {
            errors.rtype = Some(
                "The SOA record is kept by the server: its serial moves on every change".into(),
            );
            None
        }
        _ => {
            errors.rtype = Some(format!(
                "`{}` is not a record type (A, AAAA, CNAME, MX, TXT, …)",
                form.rtype.trim()
            ));
            None
        }
    };
    let rdata = rtype.and_then(
        |rtype| match typed_rdata(rtype, form.content.trim(), zone) {
            Ok(rdata) => Some(rdata),
            Err(e) => {
                errors.content = Some(format!("Not valid {rtype} data: {e}"));
                None
            }
        },
    );
    match (name, ttl, rtype, rdata) {
        (Some(name), Some(ttl), Some(rtype), Some(rdata)) => Ok(ParsedRecord {
            name,
            ttl,
            rtype,
            rdata,
        }),
        _ => Err(errors),
    }
}

/// RDATA from what a person typed: zone-file syntax, except that a TXT or
/// SPF value with no quotes at all is one string as typed (`v=spf1 mx
/// -all` is one SPF policy, not three strings), cut into 255-octet
/// character-strings when longer (RFC 7208 §3.3, DKIM keys). Quoted input
/// keeps its strings exactly.
fn typed_rdata(rtype: Rtype, content: &str, zone: &Name) -> Result<Vec<u8>, String> {
    if (rtype == Rtype::TXT || rtype == Rtype::SPF) && !content.is_empty() && !content.contains('"')
    {
        let mut rdata = Vec::with_capacity(content.len() + content.len() / 255 + 1);
        for chunk in content.as_bytes().chunks(255) {
            rdata.push(chunk.len() as u8);
            rdata.extend_from_slice(chunk);
        }
        return Ok(rdata);
    }
    zonefile::parse_rdata(rtype, content, zone).map_err(|e| e.to_string())
}

/// The field a refusal of the write path concerns, with its message.
pub(super) fn refusal_errors(error: &ManageError) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let text = error.to_string();
    match error {
        ManageError::Refused(WriteError::Validation { reason, .. }) => match reason {
            // A CNAME clash is about the name: another type lives there.
            ValidationReason::OutsideZone { .. }
            | ValidationReason::CnameAtApex
            | ValidationReason::CnameAndOtherData { .. } => {
                errors.name = Some(text);
            }
            ValidationReason::TtlTooLarge { .. } => errors.ttl = Some(text),
            ValidationReason::MetaType | ValidationReason::ClassNotIn { .. } => {
                errors.rtype = Some(text);
            }
            _ => errors.content = Some(text),
        },
        _ => errors.content = Some(text),
    }
    errors
}

pub(super) fn input(rdata: Vec<u8>) -> RecordInput {
    RecordInput {
        rdata,
        content: None,
        disabled: false,
    }
}

/// Applies `changes` as the session's user; on success, 303 to the zone
/// page showing the diff; on refusal, the form again with the message.
#[allow(clippy::too_many_arguments)]
pub(super) async fn write(
    state: &AppState,
    session: &UiSession,
    zone: &Name,
    changes: Vec<RrsetChange>,
    comment: &str,
    form: RecordFormView,
    edit: Option<(String, String, String)>,
    view: Option<String>,
) -> Response {
    let meta = ChangeMeta {
        author: session.view.user.clone(),
        source: Source::Ui,
        comment: Some(comment.trim().to_string()).filter(|c| !c.is_empty()),
        now: now(),
    };
    match state
        .manager
        .apply_in(zone, view.as_deref(), ChangeSet { changes }, meta)
        .await
    {
        Ok(applied) => {
            tracing::info!(zone = %zone, view, user = %session.view.user, serial = applied.to.0, "zone changed in the web UI");
            let in_view = view
                .as_deref()
                .map(|v| format!("view={}&", url_encode(v)))
                .unwrap_or_default();
            Redirect::to(&format!(
                "{}?{in_view}saved={}",
                zone_url(zone),
                applied.to.0
            ))
            .into_response()
        }
        Err(error) => {
            let form = RecordFormView {
                errors: refusal_errors(&error),
                ..form
            };
            match edit {
                Some((old_name, old_rtype, old_content)) => render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &EditPage {
                        nav: Some(session.view.clone()),
                        session: session.view.clone(),
                        zone: zone.to_string(),
                        url: zone_url(zone),
                        old_name,
                        old_rtype,
                        old_content,
                        form,
                        view,
                    },
                ),
                None => {
                    render_zone(
                        state,
                        session,
                        zone,
                        ZoneQuery {
                            view,
                            ..ZoneQuery::default()
                        },
                        StatusCode::UNPROCESSABLE_ENTITY,
                        form,
                    )
                    .await
                }
            }
        }
    }
}

pub(super) async fn add_record(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<RecordForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session.view, &zone);
    };
    let default_ttl = zone_default_ttl(&state, &name).await;
    let record = match parse_record(&name, &form, default_ttl) {
        Ok(record) => record,
        Err(errors) => {
            let view = RecordFormView {
                errors,
                ..form.view()
            };
            return render_zone(
                &state,
                &session,
                &name,
                ZoneQuery {
                    view: form.in_view(),
                    ..ZoneQuery::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
                view,
            )
            .await;
        }
    };
    let change = RrsetChange {
        name: record.name,
        rtype: record.rtype,
        op: RrsetOp::Extend {
            ttl: record.ttl,
            records: vec![input(record.rdata)],
        },
        comments: None,
    };
    write(
        &state,
        &session,
        &name,
        vec![change],
        &form.comment,
        form.view(),
        None,
        form.in_view(),
    )
    .await
}

/// The stored record named by a delete or edit form: absolute owner, type,
/// and content as the store shows it.
pub(super) fn stored_record(
    zone: &Name,
    owner: &str,
    rtype: &str,
    content: &str,
) -> Option<(Name, Rtype, Vec<u8>)> {
    let owner = Name::from_text(owner, None).ok()?.to_lowercase();
    let rtype = rtype.parse::<Rtype>().ok()?;
    let rdata = zonefile::parse_rdata(rtype, content, zone).ok()?;
    Some((owner, rtype, rdata))
}

pub(super) async fn delete_record(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<RecordForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session.view, &zone);
    };
    let Some((owner, rtype, rdata)) = stored_record(&name, &form.name, &form.rtype, &form.content)
    else {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(session.view.clone()),
            "Not deleted",
            "The record to delete was not recognised.",
            &zone_url(&name),
        );
    };
    let change = RrsetChange {
        name: owner,
        rtype,
        op: RrsetOp::Prune {
            records: vec![input(rdata)],
        },
        comments: None,
    };
    write(
        &state,
        &session,
        &name,
        vec![change],
        &form.comment,
        RecordFormView {
            ttl: zone_default_ttl(&state, &name).await.to_string(),
            ..RecordFormView::default()
        },
        None,
        form.in_view(),
    )
    .await
}

#[derive(Template)]
#[template(path = "ui/edit.html")]
pub(super) struct EditPage {
    nav: Option<SessionView>,
    session: SessionView,
    zone: String,
    url: String,
    old_name: String,
    old_rtype: String,
    old_content: String,
    form: RecordFormView,
    /// The view whose copy is edited; `None`: the base.
    view: Option<String>,
}

/// The record an edit or delete link names.
#[derive(Deserialize)]
pub(super) struct EditQuery {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) rtype: String,
    #[serde(default)]
    pub(super) content: String,
    #[serde(default)]
    pub(super) view: String,
}

/// The stored RRset `owner`/`rtype` of `zone` (in `view`'s copy, or the
/// base), read for a page about one of its records; `None` when there is
/// none or the store cannot be read.
pub(super) async fn current_rrset(
    state: &AppState,
    zone: &Name,
    owner: &Name,
    rtype: Rtype,
    view: Option<String>,
) -> Option<StoredRrset> {
    let store = Arc::clone(state.manager.store());
    let zone_name = zone.clone();
    let at = owner.clone();
    let sets = blocking(move || match &view {
        // The sets at that name alone: what a million-record zone costs
        // is one name's rows.
        None => store
            .rrsets_at(&zone_name, &std::iter::once(at).collect())
            .map_err(|e| e.to_string()),
        Some(view) => store
            .rrsets_in_view(&zone_name, view)
            .map(|sets| sets.map(|s| s.merged()).unwrap_or_default())
            .map_err(|e| e.to_string()),
    })
    .await
    .unwrap_or_default();
    sets.into_iter()
        .find(|s| s.name == *owner && s.rtype == rtype)
}

pub(super) async fn edit_page(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    Query(query): Query<EditQuery>,
) -> Response {
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session.view, &zone);
    };
    let Ok(true) = kept_in_store(&state, &name).await else {
        return not_found(&session.view, &zone);
    };
    let Some((owner, rtype, _)) = stored_record(&name, &query.name, &query.rtype, &query.content)
    else {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(session.view.clone()),
            "Cannot edit",
            "The record to edit was not recognised.",
            &zone_url(&name),
        );
    };
    let view = match known_view(&state, &session, &name, Some(&query.view)) {
        Ok(view) => view,
        Err(page) => return *page,
    };
    let ttl = current_rrset(&state, &name, &owner, rtype, view.clone())
        .await
        .map_or(DEFAULT_TTL, |s| s.ttl);
    render(
        StatusCode::OK,
        &EditPage {
            nav: Some(session.view.clone()),
            session: session.view.clone(),
            zone: name.to_string(),
            url: zone_url(&name),
            old_name: owner.to_string(),
            old_rtype: rtype.to_string(),
            old_content: query.content.clone(),
            form: RecordFormView {
                name: relative(&owner, &name),
                ttl: ttl.to_string(),
                rtype: rtype.to_string(),
                content: query.content,
                comment: String::new(),
                errors: FieldErrors::default(),
            },
            view,
        },
    )
}

pub(super) async fn edit_record(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<RecordForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session.view, &zone);
    };
    let old = (
        form.old_name.clone(),
        form.old_rtype.clone(),
        form.old_content.clone(),
    );
    let Some((old_owner, old_rtype, old_rdata)) =
        stored_record(&name, &form.old_name, &form.old_rtype, &form.old_content)
    else {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(session.view.clone()),
            "Cannot edit",
            "The record to edit was not recognised.",
            &zone_url(&name),
        );
    };
    let default_ttl = zone_default_ttl(&state, &name).await;
    let record = match parse_record(&name, &form, default_ttl) {
        Ok(record) => record,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &EditPage {
                    nav: Some(session.view.clone()),
                    session: session.view.clone(),
                    zone: name.to_string(),
                    url: zone_url(&name),
                    old_name: old.0,
                    old_rtype: old.1,
                    old_content: old.2,
                    form: RecordFormView {
                        errors,
                        ..form.view()
                    },
                    view: form.in_view(),
                },
            );
        }
    };
    // One change: the old record leaves its set, the new one joins its own
    // (the same set, or another) with the TTL given.
    let changes = vec![
        RrsetChange {
            name: old_owner,
            rtype: old_rtype,
            op: RrsetOp::Prune {
                records: vec![input(old_rdata)],
            },
            comments: None,
        },
        RrsetChange {
            name: record.name,
            rtype: record.rtype,
            op: RrsetOp::Extend {
                ttl: record.ttl,
                records: vec![input(record.rdata)],
            },
            comments: None,
        },
    ];
    write(
        &state,
        &session,
        &name,
        changes,
        &form.comment,
        form.view(),
        Some(old),
        form.in_view(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_forms_parse_relative_names_and_report_each_field() {
        let zone: Name = "example.test.".parse().unwrap();
        let form = |name: &str, ttl: &str, rtype: &str, content: &str| RecordForm {
            csrf: String::new(),
            name: name.into(),
            ttl: ttl.into(),
            rtype: rtype.into(),
            content: content.into(),
            comment: String::new(),
            old_name: String::new(),
            old_rtype: String::new(),
            old_content: String::new(),
            view: String::new(),
        };
        let ok = parse_record(&zone, &form("www", "", "mx", "10 mail"), DEFAULT_TTL).unwrap();
        assert_eq!(ok.name, "www.example.test.".parse().unwrap());
        assert_eq!(ok.ttl, DEFAULT_TTL);
        assert_eq!(ok.rtype, Rtype::MX);
        assert_eq!(
            api::convert::content_text(Rtype::MX, &ok.rdata),
            "10 mail.example.test."
        );
        let apex = parse_record(&zone, &form("@", "60", "A", "192.0.2.1"), DEFAULT_TTL).unwrap();
        assert_eq!(apex.name, zone);
        let errors =
            parse_record(&zone, &form("www.other.", "x", "A", "1.2.3"), DEFAULT_TTL).unwrap_err();
        assert!(errors.name.unwrap().contains("not inside"));
        assert!(errors.ttl.unwrap().contains("not a TTL"));
        assert!(errors.content.unwrap().contains("Not valid A data"));
        let errors = parse_record(&zone, &form("www", "60", "NOPE", "x"), DEFAULT_TTL).unwrap_err();
        assert!(errors.rtype.unwrap().contains("not a record type"));
        let errors = parse_record(&zone, &form("@", "60", "SOA", "x"), DEFAULT_TTL).unwrap_err();
        assert!(errors.rtype.unwrap().contains("kept by the server"));
    }
}
