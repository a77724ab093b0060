//! A store zone's settings page (`/ui/zones/{zone}/settings`): the SOA's
//! MNAME, RNAME and timers, the default TTL of new records, the serial
//! policy, NOTIFY targets and key, allow-transfer, allow-update and the
//! catalog group. Saved at once through `Manager::save_settings`; a field
//! the zone's `[[zone]]` writes is shown read-only with the file's value.

use manage::settings::{Field, FieldMessage, SettingsInput, rname_text};
use manage::{SettingsError, SettingsView};

use super::auth::{UiSession, check_form};
use super::*;

/// One field of the page.
pub(super) struct FieldRow {
    /// Form name and element id suffix (`set-<id>`).
    id: &'static str,
    label: &'static str,
    /// What the field holds: as typed, as stored, or the file's value.
    value: String,
    /// A list, one element per line.
    multiline: bool,
    /// What applies when the field is left empty, or how to write it.
    hint: String,
    /// Set in hadns.toml: shown read-only.
    read_only: bool,
    error: Option<String>,
    warning: Option<String>,
}

/// A group of fields under a heading.
pub(super) struct Section {
    heading: &'static str,
    fields: Vec<FieldRow>,
}

#[derive(Template)]
#[template(path = "ui/settings.html")]
pub(super) struct SettingsPage {
    nav: Option<SessionView>,
    session: SessionView,
    zone: String,
    url: String,
    serial: u32,
    /// The stored serial policy, or the typed one after a refusal.
    serial_policy: String,
    policy_read_only: bool,
    policy_error: Option<String>,
    sections: Vec<Section>,
    /// After a save: what it did.
    saved: Option<String>,
    /// Errors were found: nothing was saved.
    refused: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct SettingsQuery {
    /// The serial a save moved to; 0 when the SOA did not change.
    saved: Option<u32>,
}

/// The form as posted.
#[derive(Deserialize, Default)]
pub(super) struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    mname: String,
    #[serde(default)]
    rname: String,
    #[serde(default)]
    refresh: String,
    #[serde(default)]
    retry: String,
    #[serde(default)]
    expire: String,
    #[serde(default)]
    minimum: String,
    #[serde(default)]
    default_ttl: String,
    #[serde(default)]
    serial_policy: String,
    #[serde(default)]
    notify: String,
    #[serde(default)]
    notify_key: String,
    #[serde(default)]
    allow_transfer: String,
    #[serde(default)]
    allow_update: String,
    #[serde(default)]
    catalog_group: String,
}

impl SettingsForm {
    fn input(&self) -> SettingsInput {
        SettingsInput {
            mname: self.mname.clone(),
            rname: self.rname.clone(),
            refresh: self.refresh.clone(),
            retry: self.retry.clone(),
            expire: self.expire.clone(),
            minimum: self.minimum.clone(),
            default_ttl: self.default_ttl.clone(),
            serial_policy: self.serial_policy.clone(),
            notify: self.notify.clone(),
            notify_key: self.notify_key.clone(),
            allow_transfer: self.allow_transfer.clone(),
            allow_update: self.allow_update.clone(),
            catalog_group: self.catalog_group.clone(),
        }
    }
}

/// The stored settings as the form shows them.
fn stored_input(view: &SettingsView) -> SettingsInput {
    let lines = |list: &Option<Vec<String>>| match list {
        Some(list) if list.is_empty() => "none".to_string(),
        Some(list) => list.join("\n"),
        None => String::new(),
    };
    let options = &view.options;
    SettingsInput {
        mname: view.soa.mname.to_string(),
        rname: rname_text(&view.soa.rname),
        refresh: view.soa.refresh.to_string(),
        retry: view.soa.retry.to_string(),
        expire: view.soa.expire.to_string(),
        minimum: view.soa.minimum.to_string(),
        default_ttl: options
            .default_ttl
            .map(|t| t.to_string())
            .unwrap_or_default(),
        serial_policy: view.serial_policy.to_string(),
        notify: lines(&options.notify),
        notify_key: options
            .notify_key
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        // A stored empty match list would be "nobody": written `none`
        // when saved, so never empty here.
        allow_transfer: options
            .allow_transfer
            .as_ref()
            .map(|l| l.join("\n"))
            .unwrap_or_default(),
        allow_update: options
            .allow_update
            .as_ref()
            .map(|l| l.join("\n"))
            .unwrap_or_default(),
        catalog_group: options.catalog_group.clone().unwrap_or_default(),
    }
}

/// A configured list as a hint: its elements, or what an empty one means.
fn listed(list: &[String], empty: &str) -> String {
    if list.is_empty() {
        empty.to_string()
    } else {
        list.join(", ")
    }
}

/// The page's sections from the settings, the values shown (`shown`), and
/// messages per field.
fn sections(view: &SettingsView, shown: &SettingsInput, messages: &[FieldMessage]) -> Vec<Section> {
    let message = |field: Field| {
        messages
            .iter()
            .find(|m| m.field == field)
            .map(|m| m.text.clone())
    };
    let warning = |field: Field| {
        view.warnings
            .iter()
            .find(|m| m.field == field)
            .map(|m| m.text.clone())
    };
    let configured = &view.configured;
    let written = view.written;
    let row = |field: Field, label: &'static str, value: &str, hint: String| FieldRow {
        id: field.id(),
        label,
        value: value.to_string(),
        multiline: false,
        hint,
        read_only: false,
        error: message(field),
        warning: warning(field),
    };
    let units = "Seconds, or units as in 1h30m, 2d, 1w.".to_string();
    // A rule field: the file's value read-only when hadns.toml writes it,
    // else the stored value with what applies when it is left empty.
    let rule = |field: Field,
                label: &'static str,
                value: &str,
                is_written: bool,
                file: String,
                syntax: &str,
                multiline: bool| {
        if is_written {
            FieldRow {
                value: file.clone(),
                hint: format!("Set in hadns.toml ([[zone]]): {file}. Change it there and reload."),
                read_only: true,
                multiline,
                ..row(field, label, "", String::new())
            }
        } else {
            FieldRow {
                multiline,
                ..row(
                    field,
                    label,
                    value,
                    format!("{syntax} Empty: the configuration's value applies ({file})."),
                )
            }
        }
    };
    vec![
        Section {
            heading: "Start of authority (SOA)",
            fields: vec![
                row(
                    Field::Mname,
                    "Primary name server (MNAME)",
                    &shown.mname,
                    "A domain name, e.g. ns1.example.com.".into(),
                ),
                row(
                    Field::Rname,
                    "Responsible person's mailbox (RNAME)",
                    &shown.rname,
                    "An e-mail address (hostmaster@example.com) or its name form (hostmaster.example.com.).".into(),
                ),
                row(Field::Refresh, "Refresh", &shown.refresh, units.clone()),
                row(Field::Retry, "Retry", &shown.retry, units.clone()),
                row(Field::Expire, "Expire", &shown.expire, units.clone()),
                row(
                    Field::Minimum,
                    "Minimum (negative-caching TTL)",
                    &shown.minimum,
                    "How long resolvers cache \"no such name\" (RFC 2308). ".to_string() + &units,
                ),
            ],
        },
        Section {
            heading: "Records",
            fields: vec![row(
                Field::DefaultTtl,
                "Default TTL of new records",
                &shown.default_ttl,
                format!(
                    "{units} Empty: {} (the SOA minimum is the negative-caching time, not a record TTL).",
                    manage::settings::FALLBACK_TTL
                ),
            )],
        },
        Section {
            heading: "Replication and access",
            fields: vec![
                rule(
                    Field::Notify,
                    "NOTIFY targets",
                    &shown.notify,
                    written.notify,
                    listed(&configured.notify, "none"),
                    "One per line: 192.0.2.2, 192.0.2.2:5300, or either followed by key NAME; none for no targets.",
                    true,
                ),
                rule(
                    Field::NotifyKey,
                    "TSIG key signing NOTIFYs",
                    &shown.notify_key,
                    written.notify_key,
                    configured
                        .notify_key
                        .clone()
                        .unwrap_or_else(|| "unsigned".into()),
                    "A key name ([[key]] or made through /tsigkeys).",
                    false,
                ),
                rule(
                    Field::AllowTransfer,
                    "Allow transfer (AXFR/IXFR)",
                    &shown.allow_transfer,
                    written.allow_transfer,
                    listed(&configured.allow_transfer, "nobody"),
                    "One per line: addresses or prefixes (! to exclude), key NAME, any, none.",
                    true,
                ),
                rule(
                    Field::AllowUpdate,
                    "Allow dynamic update (RFC 2136)",
                    &shown.allow_update,
                    written.allow_update,
                    listed(&configured.allow_update, "nobody"),
                    "Same syntax as allow transfer; prefer key NAME (addresses can be spoofed).",
                    true,
                ),
            ],
        },
        Section {
            heading: "Catalog zone (RFC 9432)",
            fields: vec![rule(
                Field::CatalogGroup,
                "Catalog group",
                &shown.catalog_group,
                written.catalog_group,
                configured
                    .catalog_group
                    .clone()
                    .unwrap_or_else(|| "[catalog] group, if any".into()),
                "The member's group property; consumers pick their settings by it.",
                false,
            )],
        },
    ]
}

/// Reads the settings of `zone` for the page, or the page saying why not.
async fn load(
    state: &AppState,
    session: &UiSession,
    zone: &Name,
) -> Result<SettingsView, Response> {
    let manager = Arc::clone(&state.manager);
    let name = zone.clone();
    let read = tokio::task::spawn_blocking(move || manager.zone_settings(&name)).await;
    match read {
        Ok(Ok(view)) => Ok(view),
        Ok(Err(ManageError::Refused(WriteError::NoSuchZone(_)))) => {
            Err(not_found(&session.view, &zone.to_string()))
        }
        Ok(Err(e)) => Err(message(
            StatusCode::CONFLICT,
            Some(session.view.clone()),
            "No settings here",
            format!("{e}"),
            &zone_url(zone),
        )),
        Err(e) => Err(message(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(session.view.clone()),
            "Settings unavailable",
            format!("internal error: {e}"),
            &zone_url(zone),
        )),
    }
}

fn page(
    session: &UiSession,
    zone: &Name,
    view: &SettingsView,
    shown: &SettingsInput,
    messages: &[FieldMessage],
    saved: Option<String>,
) -> SettingsPage {
    SettingsPage {
        nav: Some(session.view.clone()),
        session: session.view.clone(),
        zone: zone.to_string(),
        url: zone_url(zone),
        serial: view.serial,
        serial_policy: if view.written.serial_policy {
            view.configured.serial_policy.clone()
        } else {
            shown.serial_policy.trim().to_ascii_lowercase()
        },
        policy_read_only: view.written.serial_policy,
        policy_error: messages
            .iter()
            .find(|m| m.field == Field::SerialPolicy)
            .map(|m| m.text.clone()),
        sections: sections(view, shown, messages),
        saved,
        refused: !messages.is_empty(),
    }
}

pub(super) async fn settings_page(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    Query(query): Query<SettingsQuery>,
) -> Response {
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session.view, &zone);
    };
    let view = match load(&state, &session, &name).await {
        Ok(view) => view,
        Err(page) => return page,
    };
    let saved = query.saved.map(|serial| match serial {
        0 => "Saved. The SOA did not change, so the serial did not move.".to_string(),
        serial => {
            format!("Saved: the SOA changed, serial now {serial}; secondaries were notified.")
        }
    });
    let shown = stored_input(&view);
    render(
        StatusCode::OK,
        &page(&session, &name, &view, &shown, &[], saved),
    )
}

pub(super) async fn save_settings(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<SettingsForm>,
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
        comment: Some("zone settings".to_string()),
        now: now(),
    };
    let input = form.input();
    let event = super::audit::ui_event(
        &session,
        store::AuditAction::ZoneSettings,
        &name.to_string(),
    );
    match state
        .manager
        .audited(
            event,
            state.manager.save_settings(&name, input.clone(), meta),
        )
        .await
    {
        Ok(saved) => {
            let serial = saved.applied.map_or(0, |a| a.to.0);
            tracing::info!(zone = %name, user = %session.view.user, serial, "zone settings saved in the web UI");
            Redirect::to(&format!("{}/settings?saved={serial}", zone_url(&name))).into_response()
        }
        Err(SettingsError::Invalid(messages)) => {
            let view = match load(&state, &session, &name).await {
                Ok(view) => view,
                Err(page) => return page,
            };
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&session, &name, &view, &input, &messages, None),
            )
        }
        Err(SettingsError::Manage(ManageError::Refused(WriteError::NoSuchZone(_)))) => {
            not_found(&session.view, &zone)
        }
        Err(SettingsError::Manage(e)) => {
            let view = match load(&state, &session, &name).await {
                Ok(view) => view,
                Err(page) => return page,
            };
            // A refusal of the write path concerns the SOA, the only data
            // written: shown beside MNAME, the first SOA field.
            let messages = vec![FieldMessage {
                field: Field::Mname,
                text: e.to_string(),
            }];
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&session, &name, &view, &input, &messages, None),
            )
        }
    }
}
