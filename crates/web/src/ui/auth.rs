//! Logging in and out, the session of a request, and the checks every
//! state-changing form passes: same origin and the session's CSRF token.

use super::*;

/// The logged-in user of a request, admitted to the route it asked for;
/// without a live session the request is sent to the login page. The
/// user's rights are read from the store on every request and judged
/// against the route (`crate::access::ui_need`) here, before any handler
/// code runs.
pub(super) struct UiSession {
    /// The session's identifier (its cookie).
    pub(super) id: String,
    /// Its user and CSRF token.
    pub(super) view: SessionView,
    /// The client's address (for the audit log).
    pub(super) client: Option<IpAddr>,
    /// What its user may do now.
    pub(super) rights: store::Rights,
}

pub(super) fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

impl FromRequestParts<AppState> for UiSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // A page asked for without a session: back to it after the login.
        let asked = parts
            .uri
            .path_and_query()
            .map_or("/ui/", |p| p.as_str())
            .to_string();
        // A part of a page fetched by htmx (the cluster page's refresh) is
        // not a page: without a session the whole page goes to the login,
        // and back to that page after it, instead of the login form being
        // swapped into the part.
        let htmx_part =
            parts.headers.contains_key("hx-request") && !parts.headers.contains_key("hx-boosted");
        let page = if htmx_part {
            parts
                .headers
                .get("hx-current-url")
                .and_then(|v| v.to_str().ok())
                .and_then(|url| axum::http::Uri::try_from(url).ok())
                .and_then(|uri| uri.path_and_query().map(|p| p.as_str().to_string()))
                .unwrap_or_else(|| "/ui/".to_string())
        } else {
            asked.clone()
        };
        let to_login = || {
            let login = if parts.method == axum::http::Method::GET
                && page != "/ui/"
                && after_login(&page).is_some()
            {
                format!("/ui/login?next={}", super::url_encode(&page))
            } else {
                "/ui/login".to_string()
            };
            if htmx_part {
                let mut response = StatusCode::NO_CONTENT.into_response();
                if let Ok(value) = HeaderValue::from_str(&login) {
                    response.headers_mut().insert("hx-redirect", value);
                }
                response
            } else {
                Redirect::to(&login).into_response()
            }
        };
        let id = cookie_value(&parts.headers, COOKIE)
            .unwrap_or_default()
            .to_string();
        let id = id.as_str();
        let view = state.sessions.get(id, now()).ok_or_else(to_login)?;
        // The user may have been disabled or removed, or their password
        // changed, since (also by `hadns user` in another process): the
        // store decides on every request.
        let store = Arc::clone(state.manager.store());
        let user = view.user.clone();
        let active = blocking(move || store.credential_stamp(&user).map_err(|e| e.to_string()))
            .await
            .is_ok_and(|stamp| stamp == Some(view.stamp));
        if !active {
            state.sessions.remove(id);
            return Err(to_login());
        }
        let store = Arc::clone(state.manager.store());
        let user = view.user.clone();
        let Ok(Some(rights)) =
            blocking(move || store.user_rights(&user).map_err(|e| e.to_string())).await
        else {
            state.sessions.remove(id);
            return Err(to_login());
        };
        let mut view = view;
        view.admin = rights.is_admin();
        let route = parts
            .extensions
            .get::<axum::extract::MatchedPath>()
            .map_or_else(|| parts.uri.path().to_string(), |m| m.as_str().to_string());
        let need = crate::access::ui_need(&parts.method, &route);
        let zone_text = if route.contains("{zone}") {
            let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
                .await
                .map_err(IntoResponse::into_response)?;
            params
                .into_iter()
                .find(|(key, _)| key == "zone")
                .map(|(_, value)| value)
        } else {
            None
        };
        let zone = match &zone_text {
            Some(text) => match parse_zone(text) {
                Ok(zone) => Some(zone),
                Err(_) => return Err(not_found(&view, text)),
            },
            None => None,
        };
        // Pages read the view of their query; forms name theirs in the
        // body, which is not read here: a change is judged as one to the
        // base data (every view), so a grant limited to one view cannot be
        // stretched by putting that view in the URL of a form that changes
        // another.
        let in_view = match need {
            crate::access::Need::WriteZone => None,
            _ => crate::access::query_view(parts.uri.query()),
        };
        let action = format!("{} {route}", parts.method);
        match crate::access::judge(need, &rights, zone.as_ref(), in_view.as_deref(), &action) {
            Ok(()) => Ok(UiSession {
                id: id.to_string(),
                view,
                rights,
                client: parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|info| info.0.ip()),
            }),
            Err(crate::access::Refusal::Hidden(zone)) => Err(not_found(&view, &zone.to_string())),
            Err(crate::access::Refusal::Forbidden(text)) => Err(message(
                StatusCode::FORBIDDEN,
                Some(view),
                "Forbidden",
                text,
                "/ui/",
            )),
        }
    }
}

/// The refusal of a state-changing request from another origin (a browser names
/// it in `Origin`), or whose form lacks this session's CSRF token.
pub(super) fn check_form(session: &UiSession, headers: &HeaderMap, csrf: &str) -> Option<Response> {
    if let Some(refused) = check_origin(headers) {
        return Some(refused);
    }
    if same_token(csrf, &session.view.csrf) {
        None
    } else {
        Some(message(
            StatusCode::FORBIDDEN,
            Some(session.view.clone()),
            "Form refused",
            "The form did not carry this session's security token (CSRF); it may be stale or \
             forged. Reload the page and try again.",
            "/ui/",
        ))
    }
}

/// The refusal of a POST whose `Origin` is not this server.
pub(super) fn check_origin(headers: &HeaderMap) -> Option<Response> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Browsers send Origin on every cross-origin POST; without one the
        // request is not a cross-site form, and the CSRF token decides.
        return None;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or("");
    if !host.is_empty() && origin_host.eq_ignore_ascii_case(host) {
        None
    } else {
        Some(message(
            StatusCode::FORBIDDEN,
            None,
            "Form refused",
            format!("A form from {origin} may not change this server."),
            "/ui/",
        ))
    }
}

/// Where a login may lead: a UI page of this server, never another site
/// (`//host`, `/\\host` and absolute URLs are refused), so the login
/// form cannot be made into an open redirect.
fn after_login(next: &str) -> Option<&str> {
    let local = next.starts_with("/ui/")
        && !next.contains("//")
        && !next.contains('\\')
        && !next.starts_with("/ui/login")
        && !next.starts_with("/ui/logout")
        && next.chars().all(|c| !c.is_control());
    local.then_some(next)
}

#[derive(Template)]
#[template(path = "ui/login.html")]
pub(super) struct LoginPage {
    nav: Option<SessionView>,
    error: Option<String>,
    username: String,
    /// The page to go to after the login (checked by [`after_login`]).
    next: String,
}

/// `?next=` of the login page.
#[derive(Deserialize, Default)]
pub(super) struct LoginQuery {
    #[serde(default)]
    next: String,
}

pub(super) async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<axum::extract::Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    // An unreadable query string is no reason to refuse the login page.
    let next = query
        .ok()
        .and_then(|q| after_login(&q.0.next).map(str::to_string))
        .unwrap_or_default();
    let id = cookie_value(&headers, COOKIE).unwrap_or_default();
    if state.sessions.get(id, now()).is_some() {
        let to = if next.is_empty() { "/ui/" } else { &next };
        return Redirect::to(to).into_response();
    }
    render(
        StatusCode::OK,
        &LoginPage {
            nav: None,
            error: None,
            username: String::new(),
            next,
        },
    )
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub(super) async fn login(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<axum::Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    if let Some(refused) = check_origin(&headers) {
        return refused;
    }
    let client: IpAddr = client.ip();
    let at = now();
    let next = form
        .as_ref()
        .ok()
        .and_then(|f| after_login(&f.next).map(str::to_string))
        .unwrap_or_default();
    let page = |status, error: String, username: String| {
        render(
            status,
            &LoginPage {
                nav: None,
                error: Some(error),
                username,
                next: next.clone(),
            },
        )
    };
    // The attempt counts against the address from here on (a success
    // takes it back), so parallel guesses cannot outrun the limit.
    if let Err(limited) = state.sessions.begin_login(client, at) {
        let mut response = page(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed logins from your address; try again in {} seconds.",
                limited.retry_after
            ),
            String::new(),
        );
        if let Ok(value) = HeaderValue::from_str(&limited.retry_after.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    let Ok(axum::Form(form)) = form else {
        return page(
            StatusCode::BAD_REQUEST,
            "The login form was not readable.".into(),
            String::new(),
        );
    };
    let store = Arc::clone(state.manager.store());
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let login_event = store::AuditEvent {
        client: Some(client),
        detail: super::session::short_user_agent(&user_agent),
        ..store::AuditEvent::new(at, &form.username, store::AuditAction::Login, "")
    };
    let (name, password) = (form.username.clone(), form.password);
    let turn = state.sessions.password_check_turn().await;
    let checked = tokio::task::spawn_blocking(move || {
        let user = store.check_password(&name, &password)?;
        let stamp = match &user {
            Some(user) => store.credential_stamp(&user.name)?,
            None => None,
        };
        Ok::<_, store::StoreError>(user.zip(stamp))
    })
    .await;
    drop(turn);
    match checked {
        Ok(Ok(Some((user, stamp)))) => {
            state.sessions.login_succeeded(client);
            let origin = super::session::SessionOrigin {
                client: Some(client),
                user_agent,
            };
            let (id, _) = state.sessions.create_from(&user.name, stamp, origin, at);
            record_event(&state, login_event).await;
            tracing::info!(user = %user.name, client = %client, "web UI login");
            let to = if next.is_empty() { "/ui/" } else { &next };
            let mut response = Redirect::to(to).into_response();
            // The server itself speaks plain HTTP (keep it on loopback or
            // behind a TLS proxy); behind a proxy that says the browser used
            // HTTPS, the cookie is marked Secure so it never travels in clear.
            let over_tls = headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("https"));
            let secure = if over_tls { "; Secure" } else { "" };
            let cookie = format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict{secure}");
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Ok(Ok(None)) => {
            tracing::warn!(user = %form.username, client = %client, "web UI login failed");
            // The name tried is kept (it may be a user's, mistyped), never
            // the password.
            record_event(
                &state,
                login_event.failed("unknown user or wrong password, or disabled"),
            )
            .await;
            page(
                StatusCode::UNAUTHORIZED,
                "Unknown user or wrong password (or the user is disabled).".into(),
                form.username,
            )
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "web UI login: the user store could not be read");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The user store could not be read; see the server log.".into(),
                form.username,
            )
        }
        Err(e) => page(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("The login check failed: {e}"),
            form.username,
        ),
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(super) async fn logout(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    state.sessions.remove(&session.id);
    record_event(
        &state,
        store::AuditEvent {
            client: session.client,
            ..store::AuditEvent::new(now(), &session.view.user, store::AuditAction::Logout, "")
        },
    )
    .await;
    let mut response = Redirect::to("/ui/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("hadns_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_login_leads_only_to_this_servers_pages() {
        assert_eq!(after_login("/ui/cluster"), Some("/ui/cluster"));
        assert_eq!(
            after_login("/ui/zones/a.test.?page=2"),
            Some("/ui/zones/a.test.?page=2")
        );
        for refused in [
            "",
            "/",
            "//evil.example/ui/",
            "/ui//evil.example",
            "/\\evil.example",
            "/ui/\\evil",
            "https://evil.example/ui/",
            "/api/v1/servers",
            "/ui/login",
            "/ui/logout",
            "/ui/x\r\nSet-Cookie: a=b",
        ] {
            assert_eq!(after_login(refused), None, "{refused:?}");
        }
    }

    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; hadns_session=xyz; b=2"),
        );
        assert_eq!(cookie_value(&headers, COOKIE), Some("xyz"));
        assert_eq!(cookie_value(&headers, "c"), None);
    }
}
