//! Users and API tokens: add users (with a random password shown once),
//! reset passwords, disable and enable users (ending their sessions),
//! delete users (after a confirmation page; their tokens go with them),
//! set roles and give or take back grants on zones and accounts, create
//! tokens (shown once) with a scope and an optional zone list, revoke
//! tokens. Admins only (`crate::access::ui_need`).

use store::{Access, AuditAction, Grant, GrantTarget, Role, Scope};

use super::audit::ui_event;
use super::auth::{UiSession, check_form};
use super::*;

pub(super) struct UserRow {
    name: String,
    disabled: bool,
    created: String,
    /// `admin`, `operator` or `user`.
    role: &'static str,
    grants: Vec<GrantRow>,
}

/// One grant of a user, as listed with a button that takes it back.
pub(super) struct GrantRow {
    /// `zone` or `account`.
    kind: &'static str,
    /// The zone's name or the account.
    target: String,
    /// The view, empty for every view.
    view: String,
    access: &'static str,
}

pub(super) struct TokenRow {
    name: String,
    user: String,
    scope: &'static str,
    /// The zones it is limited to, or `every zone of its user`.
    zones: String,
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
        let access = store.user_access().map_err(|e| e.to_string())?;
        let tokens = store.tokens().map_err(|e| e.to_string())?;
        Ok((users, access, tokens))
    })
    .await;
    match loaded {
        Ok((users, access, tokens)) => render(
            status,
            &UsersPage {
                nav: Some(session.view.clone()),
                session: session.view.clone(),
                users: users
                    .into_iter()
                    .map(|u| {
                        let found = access.iter().find(|a| a.name == u.name);
                        UserRow {
                            created: time_text(u.created_at),
                            role: found.map_or("?", |a| a.role.as_str()),
                            grants: found.map_or_else(Vec::new, |a| {
                                a.grants.iter().map(grant_row).collect()
                            }),
                            name: u.name,
                            disabled: u.disabled,
                        }
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
                        zones: if t.zones.is_empty() {
                            "every zone of its user".to_string()
                        } else {
                            t.zones
                                .iter()
                                .map(Name::to_string)
                                .collect::<Vec<_>>()
                                .join(" ")
                        },
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

/// The add-user form: a name and a role.
#[derive(Deserialize)]
pub(super) struct NewUserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

/// A grant as listed on the page.
fn grant_row(grant: &Grant) -> GrantRow {
    let (kind, target) = match &grant.target {
        GrantTarget::Zone(zone) => ("zone", zone.to_string()),
        GrantTarget::Account(account) => ("account", account.clone()),
    };
    GrantRow {
        kind,
        target,
        view: grant.view.clone().unwrap_or_default(),
        access: grant.access.as_str(),
    }
}

/// A new random password: 128 bits as 32 hex digits.
fn new_password() -> String {
    session::random_token()[..32].to_string()
}

pub(super) async fn add_user(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<NewUserForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    // A form without a role (as before roles) adds a `user`, who sees
    // nothing until granted: the safe default.
    let role = if form.role.trim().is_empty() {
        Role::User
    } else {
        match form.role.parse::<Role>() {
            Ok(role) => role,
            Err(e) => return refused(&state, &session, e.to_string()).await,
        }
    };
    let name = form.name.trim().to_string();
    let password = new_password();
    let (user, secret) = (name.clone(), password.clone());
    let mut event = ui_event(&session, AuditAction::UserCreate, &name);
    event.detail = format!("role {role}");
    match audited(&state, event, move |store| {
        store.add_user_with_role(&user, &secret, role)
    })
    .await
    {
        Ok(()) => {
            tracing::info!(user = %name, role = %role, by = %session.view.user, "user added in the web UI");
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
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) scope: String,
    /// Zone names separated by spaces or commas; empty: no limit.
    #[serde(default)]
    pub(super) zones: String,
}

impl TokenForm {
    /// The scope and zone list asked for, or why they cannot be.
    pub(super) fn scope_and_zones(&self) -> Result<(Scope, Vec<Name>), String> {
        let scope = self
            .scope
            .parse::<Scope>()
            .map_err(|_| format!("`{}` is not a scope (read or write)", self.scope))?;
        let zones = self
            .zones
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
            .map(|text| typed_name(text, "").map_err(|e| format!("Zones: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((scope, zones))
    }
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
    let (scope, zones) = match form.scope_and_zones() {
        Ok(asked) => asked,
        Err(why) => return refused(&state, &session, why).await,
    };
    let (name, user) = (form.name.trim().to_string(), session.view.user.clone());
    let token_name = name.clone();
    let mut event = ui_event(&session, AuditAction::TokenCreate, &name);
    event.detail = if zones.is_empty() {
        format!("scope {scope}")
    } else {
        format!("scope {scope}, {} zones", zones.len())
    };
    match audited(&state, event, move |store| {
        store.create_token_for_zones(&token_name, &user, scope, &zones)
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

/// The role form: a user and its new role.
#[derive(Deserialize)]
pub(super) struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

/// `POST /ui/users/role`: sets a user's role; not one's own (an admin who
/// demoted themselves could not undo it).
pub(super) async fn set_role(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<RoleForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let role = match form.role.parse::<Role>() {
        Ok(role) => role,
        Err(e) => return refused(&state, &session, e.to_string()).await,
    };
    if form.name == session.view.user {
        return refused(
            &state,
            &session,
            "You cannot change your own role: log in as another admin to do it.".into(),
        )
        .await;
    }
    let user = form.name.clone();
    let mut event = ui_event(&session, AuditAction::UserRole, &form.name);
    event.detail = format!("role {role}");
    match audited(&state, event, move |store| store.set_role(&user, role)).await {
        Ok(()) => {
            tracing::info!(user = %form.name, role = %role, by = %session.view.user, "role set in the web UI");
            let notice = format!("{} is now {}.", form.name, role_phrase(role));
            render_users_noting(&state, &session, StatusCode::OK, None, None, Some(notice)).await
        }
        Err(e) => refused(&state, &session, e).await,
    }
}

/// A role in a sentence.
fn role_phrase(role: Role) -> &'static str {
    match role {
        Role::Admin => "an admin",
        Role::Operator => "an operator",
        Role::User => "a user (only granted zones)",
    }
}

/// The grant form: a user, a zone or an account, a view, an access level.
#[derive(Deserialize)]
pub(super) struct GrantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    /// `zone` or `account`.
    #[serde(default)]
    kind: String,
    /// The zone's name or the account.
    #[serde(default)]
    target: String,
    /// A view, empty for every view.
    #[serde(default)]
    view: String,
    /// `read` or `write` (ignored when taking a grant back).
    #[serde(default)]
    access: String,
}

impl GrantForm {
    /// The zone or account the form names.
    fn target(&self) -> Result<GrantTarget, String> {
        match self.kind.as_str() {
            "" | "zone" => {
                typed_name(&self.target, "Name the zone to grant.").map(GrantTarget::Zone)
            }
            "account" => Ok(GrantTarget::Account(self.target.trim().to_string())),
            other => Err(format!("`{other}` is neither zone nor account")),
        }
    }

    /// The view, if one is named.
    fn view(&self) -> Option<String> {
        Some(self.view.trim().to_string()).filter(|v| !v.is_empty())
    }
}

/// `POST /ui/users/grant`: gives a user read or write on a zone or an
/// account's zones (or changes the level of the grant it has there).
pub(super) async fn grant(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<GrantForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let target = match form.target() {
        Ok(target) => target,
        Err(e) => return refused(&state, &session, e).await,
    };
    let access = match form.access.parse::<Access>() {
        Ok(access) => access,
        Err(e) => return refused(&state, &session, e.to_string()).await,
    };
    let grant = Grant {
        target,
        view: form.view(),
        access,
    };
    let (user, given) = (form.name.clone(), grant.clone());
    let mut event = ui_event(&session, AuditAction::GrantAdd, &form.name);
    event.detail = format!(
        "{} {}{}",
        grant.access,
        grant.target,
        grant
            .view
            .as_deref()
            .map(|v| format!(" in view {v}"))
            .unwrap_or_default()
    );
    match audited(&state, event, move |store| store.grant(&user, &given)).await {
        Ok(()) => {
            tracing::info!(user = %form.name, target = %grant.target, access = %grant.access, by = %session.view.user, "grant given in the web UI");
            let notice = sentence(format!(
                "{} may now {} {}",
                form.name,
                access_verb(access),
                grant.target
            ));
            render_users_noting(&state, &session, StatusCode::OK, None, None, Some(notice)).await
        }
        Err(e) => refused(&state, &session, e).await,
    }
}

/// `text` ended by a period, unless it ends with a zone's final dot
/// already.
fn sentence(text: String) -> String {
    if text.ends_with('.') {
        text
    } else {
        text + "."
    }
}

/// What an access level lets one do, in a sentence.
fn access_verb(access: Access) -> &'static str {
    match access {
        Access::Read => "read",
        Access::Write => "read and change",
    }
}

/// `POST /ui/users/revoke-grant`: takes a grant back.
pub(super) async fn revoke_grant(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<GrantForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let target = match form.target() {
        Ok(target) => target,
        Err(e) => return refused(&state, &session, e).await,
    };
    let (user, taken, view) = (form.name.clone(), target.clone(), form.view());
    let mut event = ui_event(&session, AuditAction::GrantRevoke, &form.name);
    event.detail = format!(
        "{target}{}",
        view.as_deref()
            .map(|v| format!(" in view {v}"))
            .unwrap_or_default()
    );
    match audited(&state, event, move |store| {
        store.revoke_grant(&user, &taken, view.as_deref())
    })
    .await
    {
        Ok(()) => {
            tracing::info!(user = %form.name, target = %target, by = %session.view.user, "grant revoked in the web UI");
            let notice = sentence(format!("{} no longer has {target}", form.name));
            render_users_noting(&state, &session, StatusCode::OK, None, None, Some(notice)).await
        }
        Err(e) => refused(&state, &session, e).await,
    }
}
