//! The audit log page (`/ui/audit`): who did what, when, from where, and
//! whether it worked, newest first, filtered by user, action, target and
//! dates, in keyset pages; and the audit events of the UI's own actions.

use store::{AuditAction, AuditEvent, AuditFilter, AuditOutcome};

use super::auth::UiSession;
use super::*;

/// Events per page.
const AUDIT_PAGE: usize = 50;

/// The audit event of `action` on `target` by the session's user, from
/// its client, now.
pub(super) fn ui_event(session: &UiSession, action: AuditAction, target: &str) -> AuditEvent {
    AuditEvent {
        client: session.client,
        ..AuditEvent::new(now(), &session.view.user, action, target)
    }
}

/// The page's query: the filters as typed, and the page's cursor.
#[derive(Deserialize, Default)]
pub(super) struct AuditQuery {
    #[serde(default)]
    user: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: String,
    /// First day shown, `YYYY-MM-DD` (UTC).
    #[serde(default)]
    from: String,
    /// Last day shown, `YYYY-MM-DD` (UTC), included.
    #[serde(default)]
    to: String,
    /// Only events older than this id (the next page).
    before: Option<u64>,
}

pub(super) struct AuditRow {
    when: String,
    user: String,
    token: Option<String>,
    client: String,
    action: &'static str,
    target: String,
    detail: String,
    failed: bool,
}

/// An action in the filter's list.
pub(super) struct ActionChoice {
    name: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "ui/audit.html")]
pub(super) struct AuditPage {
    nav: Option<SessionView>,
    user: String,
    target: String,
    from: String,
    to: String,
    actions: Vec<ActionChoice>,
    rows: Vec<AuditRow>,
    /// The next (older) page's URL.
    older: Option<String>,
    /// The first page's URL, on later pages.
    newest: Option<String>,
    error: Option<String>,
}

/// Unix time of 00:00 UTC on `YYYY-MM-DD`, if it is a date.
fn day_start(text: &str) -> Option<u64> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    // A day past the month's end (31 April) is not a date.
    let unix = u64::try_from(days).ok()? * wire::time::SECONDS_PER_DAY;
    let (y2, m2, d2) = wire::time::civil_from_days(unix / wire::time::SECONDS_PER_DAY);
    (y2 as i64 == year && i64::from(m2) == month && i64::from(d2) == day).then_some(unix)
}

impl AuditQuery {
    /// The store's filter, or what is wrong with a field.
    fn filter(&self) -> Result<AuditFilter, String> {
        let text = |value: &str| Some(value.trim().to_string()).filter(|v| !v.is_empty());
        let date = |value: &str, what: &str| match text(value) {
            None => Ok(None),
            Some(v) => day_start(&v)
                .map(Some)
                .ok_or_else(|| format!("`{v}` is not a date (YYYY-MM-DD) for “{what}”.")),
        };
        let action = match text(&self.action) {
            None => None,
            Some(name) => Some(
                name.parse::<AuditAction>()
                    .map_err(|_| format!("`{name}` is not an action."))?,
            ),
        };
        Ok(AuditFilter {
            user: text(&self.user),
            action,
            target: text(&self.target),
            from: date(&self.from, "from")?,
            // The last day is included: up to the next day's start.
            to: date(&self.to, "to")?.map(|start| start + wire::time::SECONDS_PER_DAY),
        })
    }

    /// This page's URL with `before` set to `cursor` (or unset).
    fn url(&self, cursor: Option<u64>) -> String {
        let mut url = format!(
            "/ui/audit?user={}&action={}&target={}&from={}&to={}",
            url_encode(self.user.trim()),
            url_encode(self.action.trim()),
            url_encode(self.target.trim()),
            url_encode(self.from.trim()),
            url_encode(self.to.trim()),
        );
        if let Some(before) = cursor {
            url.push_str(&format!("&before={before}"));
        }
        url
    }
}

pub(super) async fn audit_page(
    State(state): State<AppState>,
    session: UiSession,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    // Admins only: `access::ui_need` lets no one else reach this page.
    let query = query.map(|q| q.0).unwrap_or_default();
    let mut page = AuditPage {
        nav: Some(session.view.clone()),
        user: query.user.clone(),
        target: query.target.clone(),
        from: query.from.clone(),
        to: query.to.clone(),
        actions: AuditAction::ALL
            .into_iter()
            .map(|a| ActionChoice {
                name: a.as_str(),
                selected: a.as_str() == query.action.trim(),
            })
            .collect(),
        rows: Vec::new(),
        older: None,
        newest: query.before.map(|_| query.url(None)),
        error: None,
    };
    let filter = match query.filter() {
        Ok(filter) => filter,
        Err(e) => {
            page.error = Some(e);
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let store = Arc::clone(state.manager.store());
    let before = query.before;
    let found = blocking(move || {
        store
            .audit_events(&filter, before, AUDIT_PAGE)
            .map_err(|e| e.to_string())
    })
    .await;
    match found {
        Ok(events) => {
            page.older = events.older.map(|cursor| query.url(Some(cursor)));
            page.rows = events
                .records
                .into_iter()
                .map(|record| {
                    let event = record.event;
                    AuditRow {
                        when: time_text(event.at),
                        user: event.user,
                        token: event.token,
                        client: event.client.map(|c| c.to_string()).unwrap_or_default(),
                        action: event.action.as_str(),
                        target: event.target,
                        detail: event.detail,
                        failed: event.outcome == AuditOutcome::Failure,
                    }
                })
                .collect();
            render(StatusCode::OK, &page)
        }
        Err(e) => message(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(session.view.clone()),
            "Audit log unavailable",
            e,
            "/ui/",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_as_utc_days() {
        assert_eq!(day_start("1970-01-01"), Some(0));
        assert_eq!(day_start("2000-02-29"), Some(951_782_400));
        assert_eq!(day_start(" 2026-11-25 "), Some(1_795_564_800));
        for refused in [
            "",
            "2026-02-30",
            "2025-02-29",
            "2026-13-01",
            "26-1-1x",
            "today",
        ] {
            assert_eq!(day_start(refused), None, "{refused}");
        }
    }

    #[test]
    fn the_last_day_is_included_and_bad_filters_are_named() {
        let query = AuditQuery {
            from: "2026-11-25".into(),
            to: "2026-11-25".into(),
            action: "zone.create".into(),
            ..AuditQuery::default()
        };
        let filter = query.filter().unwrap();
        assert_eq!(filter.from, Some(1_795_564_800));
        assert_eq!(filter.to, Some(1_795_564_800 + 86_400));
        assert_eq!(filter.action, Some(AuditAction::ZoneCreate));
        let bad = AuditQuery {
            to: "yesterday".into(),
            ..AuditQuery::default()
        };
        assert!(bad.filter().unwrap_err().contains("yesterday"));
        let page_two = AuditQuery {
            user: "a b".into(),
            ..AuditQuery::default()
        }
        .url(Some(7));
        assert_eq!(
            page_two,
            "/ui/audit?user=a%20b&action=&target=&from=&to=&before=7"
        );
    }
}
