//! A zone's history (journal entries with their diffs) and revert, with a
//! preview of the inverse change before it is applied.

use super::auth::{UiSession, check_form};
use super::views::known_view;
use super::*;

pub(super) struct HistoryEntry {
    from: u32,
    to: u32,
    when: String,
    author: String,
    source: &'static str,
    comment: Option<String>,
    removed: Vec<String>,
    added: Vec<String>,
    /// The view whose copy it changed; `None`: the base.
    view: Option<String>,
}

#[derive(Template)]
#[template(path = "ui/history.html")]
pub(super) struct HistoryPage {
    nav: Option<SessionView>,
    zone: String,
    url: String,
    writable: bool,
    /// The serial served now (reverting to it would change nothing).
    current: u32,
    entries: Vec<HistoryEntry>,
    older: Option<String>,
    /// The view whose history this is; `None`: the base's.
    view: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct HistoryQuery {
    before: Option<u32>,
    view: Option<String>,
}

pub(super) async fn history_page(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Response {
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session.view, &zone);
    };
    let Ok(Some(Origin::Store(info))) = find_zone(&state, &name).await else {
        return not_found(&session.view, &zone);
    };
    let view = match known_view(&state, &session, &name, query.view.as_deref()) {
        Ok(view) => view,
        Err(page) => return *page,
    };
    let store = Arc::clone(state.manager.store());
    let zone_name = name.clone();
    let in_view = view.clone();
    let loaded = blocking(move || {
        let view = in_view.as_deref();
        let current = store
            .serial_in(&zone_name, view)
            .map_err(|e| e.to_string())?;
        // The first lines of each change only (and one line more, so the
        // SOA whose serial alone moved can be left out): an import's
        // entry holds the whole zone.
        let entries = store
            .history_heads_in(
                &zone_name,
                view,
                HISTORY_PAGE + 1,
                query.before.map(Serial),
                DIFF_LINES + 1,
            )
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for head in entries.iter().take(HISTORY_PAGE) {
            let entry = &head.entry;
            let (removed, added) = head_lines(
                (&head.removed, entry.removed_count),
                (&head.added, entry.added_count),
            );
            out.push(HistoryEntry {
                from: entry.serial_from.0,
                to: entry.serial_to.0,
                when: time_text(entry.changed_at),
                author: entry.author.clone(),
                source: entry.source.as_str(),
                comment: entry.comment.clone(),
                removed,
                added,
                view: entry.view.clone(),
            });
        }
        let more = entries.len() > HISTORY_PAGE;
        Ok((out, more, current))
    })
    .await;
    match loaded {
        Ok((entries, more, current)) => {
            let in_view = view
                .as_deref()
                .map(|v| format!("&view={}", url_encode(v)))
                .unwrap_or_default();
            let older = more
                .then(|| {
                    entries
                        .last()
                        .map(|e| format!("{}/history?before={}{in_view}", zone_url(&name), e.to))
                })
                .flatten();
            render(
                StatusCode::OK,
                &HistoryPage {
                    nav: Some(session.view.clone()),
                    zone: name.to_string(),
                    url: zone_url(&name),
                    // Reverting a view's copy is not offered: the store
                    // reverts the base (which the views follow).
                    writable: view.is_none(),
                    current: current.map_or(info.serial.0, |s| s.0),
                    entries,
                    older,
                    view,
                },
            )
        }
        Err(e) => message(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(session.view.clone()),
            "History unavailable",
            e,
            &zone_url(&name),
        ),
    }
}

#[derive(Template)]
#[template(path = "ui/revert.html")]
pub(super) struct RevertPage {
    nav: Option<SessionView>,
    session: SessionView,
    zone: String,
    url: String,
    target: u32,
    from: u32,
    to: u32,
    removed: Vec<String>,
    added: Vec<String>,
}

#[derive(Deserialize)]
pub(super) struct RevertQuery {
    serial: Option<u32>,
}

pub(super) fn soa_serial(records: &[Record]) -> Option<u32> {
    records
        .iter()
        .find(|r| r.rtype == Rtype::SOA)
        .and_then(|r| wire::rdata::soa_numbers(&r.rdata))
        .map(|n| n[0])
}

pub(super) async fn revert_page(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    Query(query): Query<RevertQuery>,
) -> Response {
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session.view, &zone);
    };
    let Some(target) = query.serial else {
        return Redirect::to(&format!("{}/history", zone_url(&name))).into_response();
    };
    let store = Arc::clone(state.manager.store());
    let zone_name = name.clone();
    let at = now();
    let preview = blocking(move || {
        store
            .preview_revert(&zone_name, Serial(target), at)
            .map_err(|e| e.to_string())
    })
    .await;
    match preview {
        Ok((removed, added)) => {
            let from = soa_serial(&removed).unwrap_or(0);
            let to = soa_serial(&added).unwrap_or(from);
            render(
                StatusCode::OK,
                &RevertPage {
                    nav: Some(session.view.clone()),
                    session: session.view.clone(),
                    zone: name.to_string(),
                    url: zone_url(&name),
                    target,
                    from,
                    to,
                    removed: change_lines(&removed, &added).0,
                    added: change_lines(&removed, &added).1,
                },
            )
        }
        Err(e) => message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(session.view.clone()),
            "Cannot revert",
            e,
            &format!("{}/history", zone_url(&name)),
        ),
    }
}

#[derive(Deserialize)]
pub(super) struct RevertForm {
    #[serde(default)]
    csrf: String,
    serial: u32,
    #[serde(default)]
    comment: String,
}

pub(super) async fn revert(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<RevertForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session.view, &zone);
    };
    let meta = ChangeMeta {
        author: session.view.user.clone(),
        source: Source::Ui,
        comment: Some(if form.comment.trim().is_empty() {
            format!("revert to serial {}", form.serial)
        } else {
            form.comment.trim().to_string()
        }),
        now: now(),
    };
    let mut event =
        super::audit::ui_event(&session, store::AuditAction::ZoneRevert, &name.to_string());
    event.detail = format!("to serial {}", form.serial);
    let reverted = state
        .manager
        .audited(
            event,
            state.manager.revert(&name, Serial(form.serial), meta),
        )
        .await;
    match reverted {
        Ok(applied) => {
            tracing::info!(zone = %name, user = %session.view.user, to = form.serial, serial = applied.to.0, "zone reverted in the web UI");
            Redirect::to(&format!("{}?saved={}", zone_url(&name), applied.to.0)).into_response()
        }
        Err(e) => message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(session.view.clone()),
            "Not reverted",
            e.to_string(),
            &format!("{}/history", zone_url(&name)),
        ),
    }
}
