//! The account page (`/ui/account`): the logged-in user changes their own
//! password (the current one required), sees their sessions — where and
//! with what each logged in, when it was last used — ending any of them,
//! or all but this one, and makes and revokes their own API tokens (which
//! act with at most their rights). Every change is audited.

use store::AuditAction;

use super::audit::ui_event;
use super::auth::{UiSession, check_form};
use super::session::short_user_agent;
use super::users::TokenForm;
use super::*;

/// The shortest new password accepted, in characters. The users page
/// makes 32-character random ones; a chosen one must not be trivially
/// short either.
pub(super) const MIN_PASSWORD_CHARS: usize = 12;

pub(super) struct SessionRow {
    handle: String,
    started: String,
    last_seen: String,
    client: String,
    agent: String,
    current: bool,
}

/// One of the user's own API tokens, as listed.
pub(super) struct OwnToken {
    name: String,
    scope: &'static str,
    /// The zones it is limited to, or "every zone you may reach".
    zones: String,
    created: String,
    active: bool,
}

/// A token just made: its secret, shown this once.
pub(super) struct NewToken {
    name: String,
    secret: String,
}

/// What the password form shows again after a refusal.
#[derive(Default)]
pub(super) struct PasswordForm {
    current_error: Option<String>,
    new_error: Option<String>,
}

#[derive(Template)]
#[template(path = "ui/account.html")]
pub(super) struct AccountPage {
    nav: Option<SessionView>,
    session: SessionView,
    sessions: Vec<SessionRow>,
    form: PasswordForm,
    notice: Option<String>,
    min_password: usize,
    tokens: Vec<OwnToken>,
    new_token: Option<NewToken>,
    token_error: Option<String>,
}

/// The token part of the page: a secret to show once, or why a token was
/// not made.
#[derive(Default)]
pub(super) struct TokenOutcome {
    new_token: Option<NewToken>,
    token_error: Option<String>,
}

async fn render_account(
    state: &AppState,
    session: &UiSession,
    status: StatusCode,
    form: PasswordForm,
    notice: Option<String>,
) -> Response {
    render_account_with(
        state,
        session,
        status,
        form,
        notice,
        TokenOutcome::default(),
    )
    .await
}

async fn render_account_with(
    state: &AppState,
    session: &UiSession,
    status: StatusCode,
    form: PasswordForm,
    notice: Option<String>,
    outcome: TokenOutcome,
) -> Response {
    let store = Arc::clone(state.manager.store());
    let user = session.view.user.clone();
    let tokens = blocking(move || store.tokens().map_err(|e| e.to_string()))
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.user == user)
        .map(|t| OwnToken {
            scope: t.scope.as_str(),
            zones: if t.zones.is_empty() {
                "every zone you may reach".to_string()
            } else {
                t.zones
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            },
            created: time_text(t.created_at),
            active: t.revoked_at.is_none(),
            name: t.name,
        })
        .collect();
    let sessions = state
        .sessions
        .of_user(&session.view.user, &session.id, now())
        .into_iter()
        .map(|s| SessionRow {
            started: time_text(s.created),
            last_seen: time_text(s.last_seen),
            client: s
                .origin
                .client
                .map_or_else(|| "unknown".to_string(), |c| c.to_string()),
            agent: short_user_agent(&s.origin.user_agent),
            current: s.current,
            handle: s.handle,
        })
        .collect();
    render(
        status,
        &AccountPage {
            nav: Some(session.view.clone()),
            session: session.view.clone(),
            sessions,
            form,
            notice,
            min_password: MIN_PASSWORD_CHARS,
            tokens,
            new_token: outcome.new_token,
            token_error: outcome.token_error,
        },
    )
}

/// `?done=` after a change (redirected, so a reload does not post again).
#[derive(Deserialize, Default)]
pub(super) struct AccountQuery {
    #[serde(default)]
    done: String,
}

pub(super) async fn account_page(
    State(state): State<AppState>,
    session: UiSession,
    query: Result<Query<AccountQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let notice = match query.map(|q| q.0.done).unwrap_or_default().as_str() {
        "password" => Some("Password changed; your other sessions have ended.".to_string()),
        "revoked" => Some("Session ended.".to_string()),
        "others" => Some("Your other sessions have ended.".to_string()),
        "token-revoked" => Some("Token revoked.".to_string()),
        _ => None,
    };
    render_account(
        &state,
        &session,
        StatusCode::OK,
        PasswordForm::default(),
        notice,
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct PasswordChange {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

/// What is wrong with a new password, if anything.
fn new_password_problem(current: &str, new: &str, repeat: &str) -> Option<String> {
    if new.chars().count() < MIN_PASSWORD_CHARS {
        Some(format!(
            "Choose a password of at least {MIN_PASSWORD_CHARS} characters."
        ))
    } else if new != repeat {
        Some("The two new passwords differ.".to_string())
    } else if new == current {
        Some("The new password is the current one.".to_string())
    } else {
        None
    }
}

/// `POST /ui/account/password`.
pub(super) async fn change_password(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<PasswordChange>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let user = session.view.user.clone();
    let event = ui_event(&session, AuditAction::PasswordChange, &user);
    if let Some(problem) = new_password_problem(&form.current, &form.new, &form.repeat) {
        let shown = PasswordForm {
            new_error: Some(problem),
            ..PasswordForm::default()
        };
        return render_account(
            &state,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            shown,
            None,
        )
        .await;
    }
    // A wrong current password is a guess like a wrong login: it counts
    // against the address's limit, so this form cannot be used to guess
    // faster than the login page.
    let client = session
        .client
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    if let Err(limited) = state.sessions.begin_login(client, now()) {
        let shown = PasswordForm {
            current_error: Some(format!(
                "Too many wrong passwords from your address; try again in {} seconds.",
                limited.retry_after
            )),
            ..PasswordForm::default()
        };
        return render_account(&state, &session, StatusCode::TOO_MANY_REQUESTS, shown, None).await;
    }
    let store = Arc::clone(state.manager.store());
    let (name, current) = (user.clone(), form.current.clone());
    let turn = state.sessions.password_check_turn().await;
    let checked = blocking(move || {
        store
            .check_password(&name, &current)
            .map_err(|e| e.to_string())
    })
    .await;
    drop(turn);
    match checked {
        Ok(Some(_)) => state.sessions.login_succeeded(client),
        Ok(None) => {
            record_event(&state, event.failed("wrong current password")).await;
            let shown = PasswordForm {
                current_error: Some("This is not your current password.".into()),
                ..PasswordForm::default()
            };
            return render_account(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                shown,
                None,
            )
            .await;
        }
        Err(e) => {
            return message(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some(session.view.clone()),
                "Password not changed",
                e,
                "/ui/account",
            );
        }
    }
    let (name, new) = (user.clone(), form.new);
    let changed = audited(&state, event, move |store| {
        store.set_password(&name, &new)?;
        // The new stamp, so this session goes on (the others end).
        Ok(store.credential_stamp(&name)?)
    })
    .await;
    match changed {
        Ok(stamp) => {
            if let Some(stamp) = stamp {
                state.sessions.restamp(&session.id, stamp);
            }
            let ended = state.sessions.remove_user_except(&user, &session.id);
            tracing::info!(user = %user, ended, "password changed on the account page");
            Redirect::to("/ui/account?done=password").into_response()
        }
        Err(e) => {
            let shown = PasswordForm {
                new_error: Some(e),
                ..PasswordForm::default()
            };
            render_account(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                shown,
                None,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct RevokeForm {
    #[serde(default)]
    csrf: String,
    /// The session's handle; empty: every session but this one.
    #[serde(default)]
    session: String,
}

/// `POST /ui/account/sessions/revoke`: ends one of the user's sessions, or
/// (without `session`) all but this one.
pub(super) async fn revoke_session(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<RevokeForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let user = session.view.user.clone();
    let mut event = ui_event(&session, AuditAction::SessionRevoke, &user);
    if form.session.is_empty() {
        let ended = state.sessions.remove_user_except(&user, &session.id);
        event.detail = format!("every other session ({ended})");
        record_event(&state, event).await;
        return Redirect::to("/ui/account?done=others").into_response();
    }
    let listed = state.sessions.of_user(&user, &session.id, now());
    let Some(found) = listed.iter().find(|s| same_token(&s.handle, &form.session)) else {
        record_event(&state, event.failed("no such session")).await;
        return render_account(
            &state,
            &session,
            StatusCode::NOT_FOUND,
            PasswordForm::default(),
            Some("That session has already ended.".to_string()),
        )
        .await;
    };
    event.detail = format!(
        "{} from {}",
        short_user_agent(&found.origin.user_agent),
        found
            .origin
            .client
            .map_or_else(|| "unknown".to_string(), |c| c.to_string())
    );
    let was_current = found.current;
    state.sessions.remove_handle(&user, &form.session);
    record_event(&state, event).await;
    if was_current {
        // Ending this very session is a logout.
        return Redirect::to("/ui/login").into_response();
    }
    Redirect::to("/ui/account?done=revoked").into_response()
}

/// `POST /ui/account/tokens`: a token acting for the logged-in user (so
/// with at most their rights), read-only or read-write, optionally limited
/// to some zones; its secret is shown once.
pub(super) async fn create_own_token(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<TokenForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let refuse = |why: String| TokenOutcome {
        new_token: None,
        token_error: Some(why),
    };
    let (scope, zones) = match form.scope_and_zones() {
        Ok(asked) => asked,
        Err(why) => {
            return render_account_with(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                PasswordForm::default(),
                None,
                refuse(why),
            )
            .await;
        }
    };
    let name = form.name.trim().to_string();
    let (token_name, user) = (name.clone(), session.view.user.clone());
    let mut event = ui_event(&session, AuditAction::TokenCreate, &name);
    event.detail = if zones.is_empty() {
        format!("scope {scope}, own token")
    } else {
        format!("scope {scope}, {} zones, own token", zones.len())
    };
    match audited(&state, event, move |store| {
        store.create_token_for_zones(&token_name, &user, scope, &zones)
    })
    .await
    {
        Ok(secret) => {
            tracing::info!(token = %name, user = %session.view.user, scope = %scope, "own API token created in the web UI");
            let outcome = TokenOutcome {
                new_token: Some(NewToken { name, secret }),
                token_error: None,
            };
            render_account_with(
                &state,
                &session,
                StatusCode::OK,
                PasswordForm::default(),
                None,
                outcome,
            )
            .await
        }
        Err(e) => {
            render_account_with(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                PasswordForm::default(),
                None,
                refuse(e),
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct OwnTokenRevoke {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// `POST /ui/account/tokens/revoke`: revokes one of the user's own tokens
/// (another user's is refused as unknown).
pub(super) async fn revoke_own_token(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<OwnTokenRevoke>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let (name, user) = (form.name.clone(), session.view.user.clone());
    let event = ui_event(&session, AuditAction::TokenRevoke, &form.name);
    match audited(&state, event, move |store| {
        store.revoke_token_of(&user, &name)
    })
    .await
    {
        Ok(()) => Redirect::to("/ui/account?done=token-revoked").into_response(),
        Err(e) => {
            let outcome = TokenOutcome {
                new_token: None,
                token_error: Some(e),
            };
            render_account_with(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                PasswordForm::default(),
                None,
                outcome,
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_must_be_long_repeated_and_new() {
        let long = "correct horse battery";
        assert_eq!(new_password_problem("old", long, long), None);
        assert!(
            new_password_problem("old", "short", "short")
                .unwrap()
                .contains("12")
        );
        assert!(
            new_password_problem("old", long, "correct horse battery!")
                .unwrap()
                .contains("differ")
        );
        assert!(
            new_password_problem(long, long, long)
                .unwrap()
                .contains("current")
        );
    }
}
