//! The web UI: server-rendered pages (askama templates in `templates/ui/`,
//! the stylesheet and a vendored htmx in `static/ui/`) on the API's HTTP
//! port, under `/ui/`.
//!
//! ```text
//!  browser ─► /ui/… ─► UiSession (cookie → Sessions; else 303 to /ui/login)
//!                      POST: same-origin check + CSRF token of the session
//!          ─► handler: reads from the Store (blocking threads), writes through
//!                      Manager::apply / create_zone / delete_zone / revert
//!                      (source `ui`, author = the user), the same write path
//!                      as the API and UPDATE
//!                      administration and zone creation, deletion, revert and
//!                      import are audited (audit.rs: the event commits with the
//!                      store write it describes); /ui/audit reads the log,
//!                      /ui/account changes one's password and ends sessions
//!          ◄─ HTML; a refused change re-renders its form (422) with the
//!             write path's message beside the field it concerns
//! ```
//!
//! Every form works without JavaScript; htmx (`hx-boost`) only swaps pages
//! in place. Pages are served with a strict Content-Security-Policy (no
//! inline script or style), `X-Frame-Options: DENY` and `no-store`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use store::{
    ChangeMeta, ChangeSet, NewZone, RecordInput, RrsetChange, RrsetOp, Source, StoredRrset,
    ValidationReason, WriteError, ZoneKind,
};
use wire::{Name, Record, Rtype, Serial};

use crate::state::{AppState, now};
use manage::{Elsewhere, ManageError};

mod account;
mod audit;
mod auth;
mod bulk;
mod cluster;
mod history;
mod import;
mod records;
mod removal;
pub(crate) mod routes;
mod rows;
pub(crate) mod session;
mod settings;
mod users;
mod views;
mod zones;

use session::{SessionView, same_token};

/// The session cookie's name.
const COOKIE: &str = "hadns_session";
/// RRsets per page of a zone.
const PAGE_SIZE: usize = 100;
/// History entries per page.
const HISTORY_PAGE: usize = 25;
/// TTL of a record added without one, when the zone's own default cannot
/// be read (zones kept elsewhere have none).
const DEFAULT_TTL: u32 = manage::settings::FALLBACK_TTL;

/// Renders a page with `status`.
fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a UI template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}

/// A page that says what went wrong, with a way back.
#[derive(Template)]
#[template(path = "ui/message.html")]
struct MessagePage {
    nav: Option<SessionView>,
    heading: String,
    text: String,
    back: String,
}

fn message(
    status: StatusCode,
    nav: Option<SessionView>,
    heading: &str,
    text: impl Into<String>,
    back: &str,
) -> Response {
    render(
        status,
        &MessagePage {
            nav,
            heading: heading.to_string(),
            text: text.into(),
            back: back.to_string(),
        },
    )
}

/// A zone in a URL path: its name with the final dot, `=XX`-escaped like
/// the API's zone ids.
fn zone_url(zone: &Name) -> String {
    format!("/ui/zones/{}", api::convert::zone_id(zone))
}

/// A domain name typed into a form, with or without its final dot,
/// lower-cased; `if_empty` is the message for an empty field.
fn typed_name(text: &str, if_empty: &str) -> Result<Name, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(if_empty.to_string());
    }
    Name::from_text(text, Some(&Name::root()))
        .map(|name| name.to_lowercase())
        .map_err(|e| format!("`{text}` is not a domain name: {e}"))
}

fn parse_zone(text: &str) -> Result<Name, String> {
    api::convert::parse_zone_id(text)
        .map(|n| n.to_lowercase())
        .map_err(|e| e.to_string())
}

/// Percent-encodes a query-string value.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Runs blocking store work.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| format!("internal error: {e}"))?
}

/// Lines of a diff shown per side; an import of a large zone is one change
/// of as many records, which a page should not list in full.
const DIFF_LINES: usize = 50;

/// Both sides of a change as diff lines, without the SOA when only its
/// serial moved: every change moves it, the page says from which serial
/// to which, and repeating two SOA lines on every entry hides what
/// changed. An SOA whose other fields changed stays, serial and all.
fn change_lines(removed: &[Record], added: &[Record]) -> (Vec<String>, Vec<String>) {
    head_lines((removed, removed.len()), (added, added.len()))
}

/// [`change_lines`] of the first records of each side (at least
/// `DIFF_LINES + 1` of them, or all) and how many each side holds: what
/// the history page has read of a change (`Store::history_heads_in`).
fn head_lines(
    (removed, removed_total): (&[Record], usize),
    (added, added_total): (&[Record], usize),
) -> (Vec<String>, Vec<String>) {
    let soa = |records: &[Record]| records.iter().position(|r| r.rtype == Rtype::SOA);
    let (skip_removed, skip_added) = match (soa(removed), soa(added)) {
        (Some(old), Some(new)) if only_serial_differs(&removed[old], &added[new]) => {
            (Some(old), Some(new))
        }
        _ => (None, None),
    };
    // Without copying either side: an import's entry holds the whole zone.
    let side = |records: &[Record], total: usize, skip: Option<usize>| {
        let kept = total.max(records.len()) - usize::from(skip.is_some());
        let mut lines: Vec<String> = records
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != skip)
            .take(DIFF_LINES)
            .map(|(_, r)| record_line(r))
            .collect();
        if kept > DIFF_LINES {
            lines.push(format!("… and {} more records", kept - DIFF_LINES));
        }
        lines
    };
    (
        side(removed, removed_total, skip_removed),
        side(added, added_total, skip_added),
    )
}

/// Whether two SOA records are the same but for their serial.
fn only_serial_differs(old: &Record, new: &Record) -> bool {
    let mut a = old.rdata.clone();
    let mut b = new.rdata.clone();
    old.owner == new.owner
        && old.ttl == new.ttl
        && wire::rdata::set_soa_serial(&mut a, 0)
        && wire::rdata::set_soa_serial(&mut b, 0)
        && a == b
}

/// A served record as one line of a diff.
fn record_line(record: &Record) -> String {
    format!(
        "{} {} {} {}",
        record.owner,
        record.ttl,
        record.rtype,
        api::convert::content_text(record.rtype, &record.rdata)
    )
}

/// Where a zone shown in the UI comes from.
enum Origin {
    Store(Box<store::ZoneInfo>),
    Elsewhere(Elsewhere),
}

async fn find_zone(state: &AppState, zone: &Name) -> Result<Option<Origin>, String> {
    if let Some(other) = state.manager.elsewhere().get(zone) {
        return Ok(Some(Origin::Elsewhere(other.clone())));
    }
    let store = Arc::clone(state.manager.store());
    let name = zone.clone();
    let info = blocking(move || store.zone(&name).map_err(|e| e.to_string())).await?;
    Ok(info.map(|info| Origin::Store(Box::new(info))))
}

/// Whether `zone` is a zone whose records the store keeps (not one served
/// from a file or as a secondary): a row read, not the record count
/// [`find_zone`] reports, for pages and forms that work on a few names of
/// what may be a very large zone.
async fn kept_in_store(state: &AppState, zone: &Name) -> Result<bool, String> {
    if state.manager.elsewhere().contains_key(zone) {
        return Ok(false);
    }
    let store = Arc::clone(state.manager.store());
    let name = zone.clone();
    let kind = blocking(move || store.zone_kind(&name).map_err(|e| e.to_string())).await?;
    Ok(kind.is_some_and(|k| k != ZoneKind::Slave))
}

fn not_found(view: &SessionView, zone: &str) -> Response {
    message(
        StatusCode::NOT_FOUND,
        Some(view.clone()),
        "No such zone",
        // The name is absolute: its final dot ends the sentence too.
        format!("This node serves no zone {}.", zone.trim_end_matches('.')),
        "/ui/",
    )
}

/// Writes an event that comes with no store change (a login, a logout, a
/// session ended): on its own, logged if it cannot be written — the
/// action itself has happened and is not undone for it.
pub(super) async fn record_event(state: &AppState, event: store::AuditEvent) {
    let store = Arc::clone(state.manager.store());
    let action = event.action;
    if let Err(e) = blocking(move || store.audit(&event).map_err(|e| e.to_string())).await {
        tracing::error!(action = %action, error = %e, "an audit event could not be written");
    }
}

/// Runs blocking store `work` with `event` attached ([`store::Store::audited`]):
/// its write and the event commit together; a refusal is logged as a
/// failure with its reason.
pub(super) async fn audited<T: Send + 'static>(
    state: &AppState,
    event: store::AuditEvent,
    work: impl FnOnce(&store::Store) -> Result<T, WriteError> + Send + 'static,
) -> Result<T, String> {
    let store = Arc::clone(state.manager.store());
    blocking(move || {
        store
            .audited(event, || work(&store))
            .map_err(|e| e.to_string())
    })
    .await
}

/// A Unix time as `YYYY-MM-DD HH:MM:SS UTC`.
fn time_text(unix: u64) -> String {
    let (year, month, day, hour, minute, second) = wire::time::civil(unix);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02} UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(time_text(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(time_text(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(time_text(1_795_622_020), "2026-11-25 15:53:40 UTC");
    }

    #[test]
    fn a_serial_only_soa_change_leaves_the_diff() {
        let zone: Name = "example.test.".parse().unwrap();
        let soa = |serial: u32, refresh: u32| {
            let text = format!("ns1 hostmaster {serial} {refresh} 600 86400 60");
            Record {
                owner: zone.clone(),
                rtype: Rtype::SOA,
                class: wire::Class::IN,
                ttl: 300,
                rdata: zonefile::parse_rdata(Rtype::SOA, &text, &zone).unwrap(),
            }
        };
        let a = Record {
            owner: "www.example.test.".parse().unwrap(),
            rtype: Rtype::A,
            class: wire::Class::IN,
            ttl: 300,
            rdata: vec![192, 0, 2, 1],
        };
        let (removed, added) = change_lines(&[soa(1, 3600)], &[soa(2, 3600), a.clone()]);
        assert!(removed.is_empty(), "{removed:?}");
        assert_eq!(added, vec!["www.example.test. 300 A 192.0.2.1".to_string()]);
        // A change of the SOA's timers is shown, with its serials.
        let (removed, added) = change_lines(&[soa(1, 3600)], &[soa(2, 7200), a]);
        assert_eq!(removed.len(), 1);
        assert!(removed[0].contains(" 1 3600 "), "{removed:?}");
        assert!(added[0].contains(" 2 7200 "), "{added:?}");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(url_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(url_encode("www.example."), "www.example.");
    }
}
