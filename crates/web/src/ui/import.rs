//! Importing a zone file: upload (or paste), a preview that lists every
//! error with its line (nothing written) or what the import will do, then
//! the import itself as one change through the write path.

use std::collections::BTreeMap;

use axum::extract::Multipart;

use super::auth::{UiSession, check_form};
use super::*;

/// What the preview shows.
pub(super) struct Preview {
    zone: String,
    records: usize,
    types: String,
    effect: String,
    warnings: Vec<String>,
    errors: Vec<String>,
}

impl Preview {
    /// A preview of a file that cannot be imported, listing why.
    fn refused(zone: &Name, errors: Vec<String>) -> Preview {
        Preview {
            zone: zone.to_string(),
            records: 0,
            types: String::new(),
            effect: String::new(),
            warnings: Vec::new(),
            errors,
        }
    }
}

#[derive(Template)]
#[template(path = "ui/import.html")]
pub(super) struct ImportPage {
    nav: Option<SessionView>,
    session: SessionView,
    origin: String,
    text: String,
    preview: Option<Preview>,
    error: Option<String>,
}

pub(super) async fn import_page(session: UiSession) -> Response {
    render(
        StatusCode::OK,
        &ImportPage {
            nav: Some(session.view.clone()),
            session: session.view.clone(),
            origin: String::new(),
            text: String::new(),
            preview: None,
            error: None,
        },
    )
}

/// The fields of the import form.
#[derive(Default)]
struct Upload {
    csrf: String,
    origin: String,
    stage: String,
    text: Vec<u8>,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, String> {
    let mut upload = Upload::default();
    let mut file: Option<Vec<u8>> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| format!("the form could not be read: {e}"))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| format!("the form could not be read: {e}"))?;
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "csrf" => upload.csrf = text(),
            "origin" => upload.origin = text(),
            "stage" => upload.stage = text(),
            "text" => upload.text = bytes.to_vec(),
            "file" if !bytes.is_empty() => file = Some(bytes.to_vec()),
            _ => {}
        }
    }
    // A chosen file wins over pasted text.
    if let Some(file) = file {
        upload.text = file;
    }
    Ok(upload)
}

pub(super) async fn import(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let page = |status, origin: String, text: String, preview, error| {
        render(
            status,
            &ImportPage {
                nav: Some(session.view.clone()),
                session: session.view.clone(),
                origin,
                text,
                preview,
                error,
            },
        )
    };
    let upload = match read_upload(multipart).await {
        Ok(upload) => upload,
        Err(e) => {
            return page(
                StatusCode::BAD_REQUEST,
                String::new(),
                String::new(),
                None,
                Some(e),
            );
        }
    };
    if let Some(refused) = check_form(&session, &headers, &upload.csrf) {
        return refused;
    }
    let origin = match typed_name(&upload.origin, "Give the zone's name (its origin).") {
        Ok(name) => name,
        Err(e) => {
            return page(
                StatusCode::UNPROCESSABLE_ENTITY,
                upload.origin.trim().to_string(),
                String::new(),
                None,
                Some(e),
            );
        }
    };
    if upload.text.iter().all(u8::is_ascii_whitespace) {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            origin.to_string(),
            String::new(),
            None,
            Some("Choose a zone file or paste one.".into()),
        );
    }
    if let Some(other) = state.manager.elsewhere().get(&origin) {
        let how = other.describe();
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            origin.to_string(),
            String::new(),
            None,
            Some(format!(
                "{origin} is served {how}; it cannot be imported into the store."
            )),
        );
    }
    // Diagnostics name the upload, not a path on this machine.
    let label = std::path::PathBuf::from(format!("{origin}zone"));
    // Reading errors and the zone checks together, so that one preview
    // lists every problem of the file.
    let (parsed, diagnostics) = zonefile::review_untrusted(&upload.text, &origin, &label);
    let text = String::from_utf8_lossy(&upload.text).into_owned();
    let (errors, warnings): (Vec<_>, Vec<_>) = diagnostics.iter().partition(|d| d.is_error());
    let Some(parsed) = parsed else {
        let preview = Preview::refused(&origin, errors.iter().map(ToString::to_string).collect());
        // The text goes back into the form, to be fixed there.
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            origin.to_string(),
            text,
            Some(preview),
            None,
        );
    };
    let records: Vec<Record> = parsed.records.into_iter().map(|r| r.record).collect();
    if upload.stage == "commit" {
        let meta = ChangeMeta {
            author: session.view.user.clone(),
            source: Source::Import,
            comment: Some("imported in the web UI".into()),
            now: now(),
        };
        let mut event = super::audit::ui_event(
            &session,
            store::AuditAction::ZoneImport,
            &origin.to_string(),
        );
        event.detail = format!("{} records", records.len());
        let imported = state
            .manager
            .audited(event, state.manager.import(&origin, records, meta))
            .await;
        return match imported {
            Ok(applied) => {
                tracing::info!(zone = %origin, user = %session.view.user, serial = applied.to.0, "zone imported in the web UI");
                Redirect::to(&format!("{}?saved={}", zone_url(&origin), applied.to.0))
                    .into_response()
            }
            Err(e) => page(
                StatusCode::UNPROCESSABLE_ENTITY,
                origin.to_string(),
                String::new(),
                None,
                Some(format!("Not imported: {e}")),
            ),
        };
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for record in &records {
        *counts.entry(record.rtype.to_string()).or_default() += 1;
    }
    let types = counts
        .iter()
        .map(|(t, n)| format!("{n} {t}"))
        .collect::<Vec<_>>()
        .join(", ");
    let effect = match find_zone(&state, &origin).await {
        Ok(Some(Origin::Store(info))) => format!(
            "This replaces the {} records of the existing zone (serial {}) as one change.",
            info.records, info.serial
        ),
        _ => "This creates the zone.".to_string(),
    };
    let preview = Preview {
        zone: origin.to_string(),
        records: records.len(),
        types,
        effect,
        warnings: warnings.iter().map(ToString::to_string).collect(),
        errors: Vec::new(),
    };
    page(
        StatusCode::OK,
        origin.to_string(),
        text,
        Some(preview),
        None,
    )
}
