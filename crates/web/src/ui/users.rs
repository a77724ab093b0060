//! Users and API tokens: add users (with a random password shown once),
//! reset passwords, disable and enable users (ending their sessions),
//! delete users (after a confirmation page; their tokens go with them),
//! create tokens (shown once) with a scope, revoke tokens.

use store::{AuditAction, Scope};

use super::audit::{audited, ui_event};
use super::auth::{UiSession, check_form};
use super::*;

pub(super) struct UserRow {
    name: String,
    disabled: bool,
    created: String,
}

pub(super) struct TokenRow {
    name: String,
    user: String,
    scope: &'static str,
    created: String,
    state: String,
    active: bool,
}

/// A secret shown once, right after it was made.
pub(super) struct Shown {
    what: String,
    note: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "ui/users.html")]
pub(super) struct UsersPage {
    nav: Option<SessionView>,
    session: SessionView,
    users: Vec<UserRow>,
    tokens: Vec<TokenRow>,
    shown: Option<Shown>,
    error: Option<String>,
    /// What was just done, when it needs saying (a user deleted).
    notice: Option<String>,
}

async fn render_users(
    state: &AppState,
    session: &UiSession,
    status: StatusCode,
    shown: Option<Shown>,
    error: Option<String>,
) -> Response {
    render_users_noting(state, session, status, shown, error, None).await
}

/// The users page, with `notice` saying what was just done.
async fn render_users_noting(
    state: &AppState,
    session: &UiSession,
    status: StatusCode,
    shown: Option<Shown>,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let store = Arc::clone(state.manager.store());
    let loaded = blocking(move || {
        let users = store.users().map_err(|e| e.to_string())?;
        let tokens = store.tokens().map_err(|e| e.to_string())?;
        Ok((users, tokens))
    })
    .await;
    match loaded {
        Ok((users, tokens)) => render(
            status,
            &UsersPage {
                nav: Some(session.view.clone()),
                session: session.view.clone(),
                users: users
                    .into_iter()
                    .map(|u| UserRow {
                        created: time_text(u.created_at),
                        name: u.name,
                        disabled: u.disabled,
                    })
                    .collect(),
                tokens: tokens
                    .into_iter()
                    .map(|t| TokenRow {
                        scope: match t.scope {
                            Scope::Read => "read only",
                            Scope::Write => "read and write",
                        },
                        created: time_text(t.created_at),
                        state: t.revoked_at.map_or_else(
                            || "active".to_string(),
                            |at| format!("revoked {}", time_text(at)),
                        ),
                        active: t.revoked_at.is_none(),
                        name: t.name,
                        user: t.user,
                    })
                    .collect(),
                shown,
                error,
                notice,
            },
        ),
        Err(e) => message(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(session.view.clone()),
            "Users unavailable",
            e,
            "/ui/",
        ),
    }
}

/// The page again with why a change was refused.
async fn refused(state: &AppState, session: &UiSession, why: String) -> Response {
    render_users(
        state,
        session,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        Some(why),
    )
    .await
}

pub(super) async fn users_page(State(state): State<AppState>, session: UiSession) -> Response {
    render_users(&state, &session, StatusCode::OK, None, None).await
}

#[derive(Deserialize)]
pub(super) struct NameForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// A new random password: 128 bits as 32 hex digits.
fn new_password() -> String {
    session::random_token()[..32].to_string()
}

pub(super) async fn add_user(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<NameForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let name = form.name.trim().to_string();
    let password = new_password();
    let (user, secret) = (name.clone(), password.clone());
    let event = ui_event(&session, AuditAction::UserCreate, &name);
    match audited(&state, event, move |store| store.add_user(&user, &secret)).await {
        Ok(()) => {
            tracing::info!(user = %name, by = %session.view.user, "user added in the web UI");
            let shown = Shown {
                what: format!("User {name} added"),
                note: "Their password, shown only now:".into(),
                secret: password,
            };
            render_users(&state, &session, StatusCode::OK, Some(shown), None).await
        }
        Err(e) => refused(&state, &session, e).await,
    }
}

pub(super) async fn reset_password(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<NameForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let password = new_password();
    let (user, secret) = (form.name.clone(), password.clone());
    let event = ui_event(&session, AuditAction::PasswordReset, &form.name);
    match audited(&state, event, move |store| {
        store.set_password(&user, &secret)
    })
    .await
    {
        Ok(()) => {
            tracing::info!(user = %form.name, by = %session.view.user, "password reset in the web UI");
            // Other sessions of that user end; this one goes on if it is ours.
            state.sessions.remove_user_except(&form.name, &session.id);
            if form.name == session.view.user {
                let store = Arc::clone(state.manager.store());
                let user = form.name.clone();
                if let Ok(Some(stamp)) =
                    blocking(move || store.credential_stamp(&user).map_err(|e| e.to_string())).await
                {
                    state.sessions.restamp(&session.id, stamp);
                }
            }
            let shown = Shown {
                what: format!("New password for {}", form.name),
                note: "Shown only now; the user's other sessions have ended:".into(),
                secret: password,
            };
            render_users(&state, &session, StatusCode::OK, Some(shown), None).await
        }
        Err(e) => refused(&state, &session, e).await,
    }
}

#[derive(Deserialize)]
pub(super) struct StateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    disabled: bool,
}

pub(super) async fn set_user_state(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<StateForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    if form.name == session.view.user && form.disabled {
        return refused(
            &state,
            &session,
            "You cannot disable yourself: log in as another user to do it.".into(),
        )
        .await;
    }
    let (user, disabled) = (form.name.clone(), form.disabled);
    let action = if disabled {
        AuditAction::UserDisable
    } else {
        AuditAction::UserEnable
    };
    let event = ui_event(&session, action, &form.name);
    match audited(&state, event, move |store| {
        store.set_user_disabled(&user, disabled)
    })
    .await
    {
        Ok(()) => {
            tracing::info!(user = %form.name, disabled = form.disabled, by = %session.view.user, "user state changed in the web UI");
            if form.disabled {
                state.sessions.remove_user_except(&form.name, "");
            }
            render_users(&state, &session, StatusCode::OK, None, None).await
        }
        Err(e) => refused(&state, &session, e).await,
    }
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
}

pub(super) async fn create_token(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<TokenForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let Ok(scope) = form.scope.parse::<Scope>() else {
        return refused(
            &state,
            &session,
            format!("`{}` is not a scope (read or write)", form.scope),
        )
        .await;
    };
    let (name, user) = (form.name.trim().to_string(), session.view.user.clone());
    let token_name = name.clone();
    let mut event = ui_event(&session, AuditAction::TokenCreate, &name);
    event.detail = format!("scope {scope}");
    match audited(&state, event, move |store| {
        store.create_token(&token_name, &user, scope)
    })
    .await
    {
        Ok(secret) => {
            tracing::info!(token = %name, user = %session.view.user, scope = %scope, "API token created in the web UI");
            let shown = Shown {
                what: format!("Token {name} created"),
                note: "Copy it now: it is not kept and cannot be shown again.".into(),
                secret,
            };
            render_users(&state, &session, StatusCode::OK, Some(shown), None).await
        }
        Err(e) => refused(&state, &session, e).await,
    }
}

pub(super) async fn revoke_token(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<NameForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let name = form.name.clone();
    let event = ui_event(&session, AuditAction::TokenRevoke, &name);
    match audited(&state, event, move |store| store.revoke_token(&name)).await {
        Ok(()) => {
            tracing::info!(token = %form.name, by = %session.view.user, "API token revoked in the web UI");
            render_users(&state, &session, StatusCode::OK, None, None).await
        }
        Err(e) => refused(&state, &session, e).await,
    }
}

/// The user asked about on the confirmation page.
#[derive(Deserialize)]
pub(super) struct UserQuery {
    #[serde(default)]
    name: String,
}

#[derive(Template)]
#[template(path = "ui/delete_user.html")]
pub(super) struct DeleteUserPage {
    nav: Option<SessionView>,
    session: SessionView,
    name: String,
    /// The user's active API tokens.
    tokens: usize,
}

/// `GET /ui/users/delete?name=…`: what deleting the user does, and the
/// button that does it.
pub(super) async fn delete_user_page(
    State(state): State<AppState>,
    session: UiSession,
    Query(query): Query<UserQuery>,
) -> Response {
    let store = Arc::clone(state.manager.store());
    let name = query.name.clone();
    let found = blocking(move || {
        let exists = store
            .users()
            .map_err(|e| e.to_string())?
            .iter()
            .any(|u| u.name == name);
        let tokens = store
            .tokens()
            .map_err(|e| e.to_string())?
            .iter()
            .filter(|t| t.user == name && t.revoked_at.is_none())
            .count();
        Ok((exists, tokens))
    })
    .await;
    match found {
        Ok((true, tokens)) => render(
            StatusCode::OK,
            &DeleteUserPage {
                nav: Some(session.view.clone()),
                session: session.view.clone(),
                name: query.name,
                tokens,
            },
        ),
        Ok((false, _)) => refused(&state, &session, format!("no user `{}`", query.name)).await,
        Err(e) => refused(&state, &session, e).await,
    }
}

/// `POST /ui/users/delete`: deletes the user and its tokens, ends its
/// sessions; not oneself, not the only user.
pub(super) async fn delete_user(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<NameForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    if form.name == session.view.user {
        return refused(
            &state,
            &session,
            "You cannot delete yourself: log in as another user to do it.".into(),
        )
        .await;
    }
    let user = form.name.clone();
    let event = ui_event(&session, AuditAction::UserDelete, &user);
    match audited(&state, event, move |store| store.delete_user(&user)).await {
        Ok(tokens) => {
            tracing::info!(user = %form.name, tokens, by = %session.view.user, "user deleted in the web UI");
            state.sessions.remove_user_except(&form.name, "");
            let notice = format!(
                "User {} deleted; {tokens} API token{} stopped working.",
                form.name,
                if tokens == 1 { "" } else { "s" }
            );
            render_users_noting(&state, &session, StatusCode::OK, None, None, Some(notice)).await
        }
        Err(e) => refused(&state, &session, e).await,
    }
}
