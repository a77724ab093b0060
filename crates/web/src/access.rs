//! Who may use which route: one table per surface ([`api_need`] for the
//! REST API, [`ui_need`] for the web UI) and one judgement
//! ([`judge`]) of a caller's [`Rights`] against what the route needs.
//!
//! ```text
//!  request ─► API: Reader/Writer (X-API-Key → token → its user's Rights ∩ token)
//!          └► UI:  UiSession (cookie → session → its user's Rights)
//!                    │ matched route template + method ─► Need (tables below)
//!                    │ {zone} of the path, `view` of the query
//!                    ▼
//!                  judge ─► Ok, or Hidden (404, as for a zone that does not
//!                           exist) or Forbidden (403, naming who and what)
//! ```
//!
//! The rule for zones: a zone the caller may not read does not exist for
//! it (404, the same answer as for an unknown zone), so names of other
//! customers' zones cannot be probed; a zone it may read but not change,
//! and routes above its role, are a 403 that says why. Lists (zones,
//! search, cluster, views) leave out the zones the caller may not read.
//! A route missing from a table needs an admin: a new route is closed
//! until someone decides who may use it.

use axum::http::Method;
use store::Rights;
use wire::Name;

/// What a route asks of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Need {
    /// Any valid token or session; the handler shows only what the caller
    /// may read.
    Caller,
    /// Reading the path's `{zone}` (in the query's `view`).
    ReadZone,
    /// Changing the records of the path's `{zone}` (in the query's `view`).
    WriteZone,
    /// NOTIFY or a new transfer of the path's `{zone}`: admins and
    /// operators.
    OperateZone,
    /// Admins and operators, server-wide.
    Operator,
    /// Admins only.
    Admin,
}

/// What each API route needs, by method and route template (as routed,
/// e.g. `/api/v1/servers/localhost/zones/{zone}`). Routes that take no
/// token (discovery, OpenAPI, health, metrics) never ask.
pub(crate) fn api_need(method: &Method, route: &str) -> Need {
    const ZONES: &str = "/api/v1/servers/localhost/zones";
    let zone_route = route.strip_prefix(ZONES);
    match (method.as_str(), route, zone_route) {
        (_, _, Some("")) if method == Method::GET => Need::Caller,
        (_, _, Some("")) => Need::Admin,
        ("GET", _, Some("/{zone}" | "/{zone}/export" | "/{zone}/history")) => Need::ReadZone,
        ("GET", _, Some("/{zone}/history/{serial}" | "/{zone}/settings")) => Need::ReadZone,
        // PUT with zone settings needs an admin besides: zones::put_zone.
        ("PATCH" | "PUT", _, Some("/{zone}")) => Need::WriteZone,
        ("POST", _, Some("/{zone}/revert")) => Need::WriteZone,
        ("PUT", _, Some("/{zone}/notify" | "/{zone}/axfr-retrieve")) => Need::OperateZone,
        ("DELETE", _, Some("/{zone}")) => Need::Admin,
        (
            "GET",
            "/api/v1/servers"
            | "/api/v1/servers/localhost"
            | "/api/v1/servers/localhost/search-data"
            | "/api/v1/cluster"
            | "/api/v1/views"
            | "/api/v1/views/{view}",
            _,
        ) => Need::Caller,
        // `reload`, `sync` and `stop` need an admin besides: control::control.
        ("POST", "/api/v1/control", _) => Need::Operator,
        // Configuration, statistics, TSIG keys, zone settings (PUT), the
        // audit log, and anything not listed.
        _ => Need::Admin,
    }
}

/// What each web UI page and form needs, by method and route template
/// (`crate::ui::routes`). The login page, static files and redirects do
/// not take a session and never ask.
pub(crate) fn ui_need(method: &Method, route: &str) -> Need {
    let get = method == Method::GET;
    match route {
        // The cluster page lists only what the caller may read; one's own
        // account is everyone's.
        "/ui/"
        | "/ui/cluster"
        | "/ui/cluster/live"
        | "/ui/logout"
        | "/ui/account"
        | "/ui/account/password"
        | "/ui/account/sessions/revoke"
        | "/ui/account/tokens"
        | "/ui/account/tokens/revoke" => Need::Caller,
        // NOTIFY one secondary, or check or transfer a secondary zone again
        // (the zone is in the form): what operators do for every zone.
        "/ui/cluster/notify" | "/ui/cluster/{action}" | "/ui/cluster/peer-retransfer" => {
            Need::Operator
        }
        "/ui/zones/{zone}" | "/ui/zones/{zone}/history" => Need::ReadZone,
        // The edit page is a form that changes the zone: shown to writers.
        "/ui/zones/{zone}/records"
        | "/ui/zones/{zone}/records/delete"
        | "/ui/zones/{zone}/view-rrset"
        | "/ui/zones/{zone}/edit"
        | "/ui/zones/{zone}/bulk"
        | "/ui/zones/{zone}/revert" => Need::WriteZone,
        // Zone creation, deletion and settings, imports, users and tokens,
        // the audit log.
        "/ui/zones" | "/ui/zones/{zone}/delete" | "/ui/import" => Need::Admin,
        _ if get && route.starts_with("/ui/static/") => Need::Caller,
        _ => Need::Admin,
    }
}

/// Why a caller was turned away.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The zone is not the caller's to read: answered as if it did not
    /// exist (404).
    Hidden(Name),
    /// The caller may not do this (403); the text names who and what.
    Forbidden(String),
}

/// Judges `rights` against `need`, for the path's `zone` (if the route
/// has one) in `view`; `action` names the route in messages
/// (`PUT /api/v1/servers/localhost/tsigkeys/{tsigkey_id}`).
pub(crate) fn judge(
    need: Need,
    rights: &Rights,
    zone: Option<&Name>,
    view: Option<&str>,
    action: &str,
) -> Result<(), Refusal> {
    let in_view = view.map(|v| format!(" in view `{v}`")).unwrap_or_default();
    let zone_need = |zone: Option<&Name>| match zone {
        Some(zone) => Ok(zone.to_lowercase()),
        // A zone route without a zone: the router would not have matched.
        None => Err(Refusal::Forbidden(format!(
            "Forbidden: {action} names no zone"
        ))),
    };
    match need {
        Need::Caller => Ok(()),
        Need::Admin if rights.is_admin() => Ok(()),
        Need::Admin => Err(Refusal::Forbidden(format!(
            "Forbidden: {} may not use {action}: it is for admins",
            rights.who()
        ))),
        Need::Operator if rights.is_operator() => Ok(()),
        Need::Operator => Err(Refusal::Forbidden(format!(
            "Forbidden: {} may not use {action}: it is for operators and admins",
            rights.who()
        ))),
        Need::ReadZone | Need::WriteZone | Need::OperateZone => {
            let zone = zone_need(zone)?;
            if !rights.may_read_zone(&zone, view) {
                return Err(Refusal::Hidden(zone));
            }
            match need {
                Need::WriteZone if !rights.may_write_zone(&zone, view) => {
                    Err(Refusal::Forbidden(format!(
                        "Forbidden: {} may not change zone `{zone}`{in_view}",
                        rights.who()
                    )))
                }
                Need::OperateZone if !rights.may_operate_zone(&zone) => {
                    Err(Refusal::Forbidden(format!(
                        "Forbidden: {} may not send NOTIFY for or transfer zone `{zone}`: that is for operators and admins",
                        rights.who()
                    )))
                }
                _ => Ok(()),
            }
        }
    }
}

/// The `view` parameter of a query string, if any (percent-decoded).
pub(crate) fn query_view(query: Option<&str>) -> Option<String> {
    let query = query?;
    let pairs: Vec<(String, String)> = query_pairs(query);
    pairs
        .into_iter()
        .find(|(key, _)| key == "view")
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// The pairs of a query string, through axum's own query parser.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    let uri = format!("/?{query}");
    let Ok(uri) = uri.parse::<axum::http::Uri>() else {
        return Vec::new();
    };
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|q| q.0)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::Role;

    #[test]
    fn unlisted_routes_need_an_admin() {
        assert_eq!(api_need(&Method::GET, "/api/v1/new-thing"), Need::Admin);
        assert_eq!(ui_need(&Method::GET, "/ui/new-page"), Need::Admin);
        assert_eq!(
            api_need(&Method::GET, "/api/v1/servers/localhost/zones"),
            Need::Caller
        );
        assert_eq!(
            api_need(&Method::POST, "/api/v1/servers/localhost/zones"),
            Need::Admin
        );
    }

    #[test]
    fn a_zone_the_caller_may_not_read_is_hidden_one_it_may_read_is_forbidden() {
        let zone: Name = "a.test.".parse().unwrap();
        let bob = Rights::of_role("bob", Role::User);
        assert_eq!(
            judge(Need::WriteZone, &bob, Some(&zone), None, "PATCH x"),
            Err(Refusal::Hidden(zone.clone()))
        );
        let ops = Rights::of_role("ops", Role::Operator);
        assert_eq!(judge(Need::WriteZone, &ops, Some(&zone), None, "x"), Ok(()));
        assert_eq!(
            judge(Need::Admin, &ops, None, None, "GET /ui/users"),
            Err(Refusal::Forbidden(
                "Forbidden: user `ops` may not use GET /ui/users: it is for admins".into()
            ))
        );
    }

    #[test]
    fn the_view_comes_from_the_query() {
        assert_eq!(
            query_view(Some("a=1&view=in%20side")),
            Some("in side".into())
        );
        assert_eq!(query_view(Some("view=")), None);
        assert_eq!(query_view(None), None);
    }
}
