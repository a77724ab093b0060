//! Changing many RRsets of a zone at once: delete the selected RRsets, set
//! their TTL, or add records pasted in zone file syntax. Each is previewed
//! as the diff it makes (the store plans it without writing), then applied
//! as one change: one serial, one journal entry, one NOTIFY.
//!
//! The form carries its selection as repeated `rrset` fields (`OWNER TYPE`),
//! which is why it is read as a list of pairs rather than a struct.

use std::collections::BTreeSet;

use super::auth::{UiSession, check_form};
use super::*;

/// The most records one paste may add: a paste is typed or copied by a
/// person; whole zones go through the import.
const MAX_PASTED: usize = 10_000;

/// What the bulk form asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    /// Delete the selected RRsets.
    Delete,
    /// Give the selected RRsets a new TTL.
    Ttl,
    /// Add the pasted records to their RRsets.
    Paste,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Delete => "delete",
            Action::Ttl => "ttl",
            Action::Paste => "paste",
        }
    }
}

/// The bulk form as posted.
#[derive(Debug, Default)]
struct BulkForm {
    csrf: String,
    action: String,
    ttl: String,
    /// The selected RRsets as posted (`OWNER TYPE`).
    rrsets: Vec<String>,
    records: String,
    comment: String,
    /// `apply` once previewed; anything else previews.
    stage: String,
}

impl BulkForm {
    fn read(pairs: Vec<(String, String)>) -> BulkForm {
        let mut form = BulkForm::default();
        for (key, value) in pairs {
            match key.as_str() {
                "csrf" => form.csrf = value,
                "action" => form.action = value,
                "ttl" => form.ttl = value,
                "rrset" => form.rrsets.push(value),
                "records" => form.records = value,
                "comment" => form.comment = value,
                "stage" => form.stage = value,
                _ => {}
            }
        }
        form
    }
}

#[derive(Template)]
#[template(path = "ui/bulk.html")]
pub(super) struct BulkPage {
    nav: Option<SessionView>,
    session: SessionView,
    zone: String,
    url: String,
    heading: String,
    action: &'static str,
    ttl: String,
    rrsets: Vec<String>,
    records: String,
    comment: String,
    /// Why nothing can be done as asked; the form to fix it is shown.
    errors: Vec<String>,
    /// The change previewed: serials and both sides of the diff.
    preview: Option<BulkPreview>,
}

pub(super) struct BulkPreview {
    from: u32,
    to: u32,
    removed: Vec<String>,
    added: Vec<String>,
}

/// The selected RRsets, parsed: `OWNER TYPE`, the owner absolute.
fn selection(zone: &Name, posted: &[String]) -> Result<Vec<(Name, Rtype)>, Vec<String>> {
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    for text in posted {
        let Some((owner, rtype)) = text.trim().rsplit_once(' ') else {
            errors.push(format!("`{text}` does not name an RRset"));
            continue;
        };
        match (Name::from_text(owner.trim(), None), rtype.parse::<Rtype>()) {
            (Ok(owner), Ok(rtype)) if owner.is_subdomain_of(zone) => {
                if rtype == Rtype::SOA {
                    errors
                        .push("The SOA record is kept by the server; it cannot be selected".into());
                } else if !keys.contains(&(owner.to_lowercase(), rtype)) {
                    keys.push((owner.to_lowercase(), rtype));
                }
            }
            _ => errors.push(format!("`{text}` does not name an RRset of {zone}")),
        }
    }
    if keys.is_empty() && errors.is_empty() {
        errors.push("Select at least one RRset (the boxes beside the names).".into());
    }
    if errors.is_empty() {
        Ok(keys)
    } else {
        Err(errors)
    }
}

/// Pasted records grouped into one "add to the RRset" per (owner, type),
/// in the order they first appear; each set takes the TTL of its first
/// record, as RFC 2181 §5.2 wants one TTL per RRset.
fn pasted_changes(
    zone: &Name,
    text: &str,
    default_ttl: u32,
) -> Result<Vec<RrsetChange>, Vec<String>> {
    if text.trim().is_empty() {
        return Err(vec!["Paste at least one record.".into()]);
    }
    let label = std::path::PathBuf::from("pasted");
    let parsed =
        zonefile::parse_records_untrusted(text.as_bytes(), zone, &label, default_ttl, MAX_PASTED)
            .map_err(|diagnostics| {
            diagnostics
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        })?;
    let mut changes: Vec<RrsetChange> = Vec::new();
    let mut errors = Vec::new();
    for sourced in parsed.records {
        let record = sourced.record;
        if record.rtype == Rtype::SOA {
            errors.push(format!(
                "{}: the SOA record is kept by the server (its timers are zone settings)",
                sourced.location
            ));
            continue;
        }
        let owner = record.owner.to_lowercase();
        match changes
            .iter_mut()
            .find(|c| c.name == owner && c.rtype == record.rtype)
        {
            Some(RrsetChange {
                op: RrsetOp::Extend { records, .. },
                ..
            }) => records.push(records::input(record.rdata)),
            _ => changes.push(RrsetChange {
                name: owner,
                rtype: record.rtype,
                op: RrsetOp::Extend {
                    ttl: record.ttl,
                    records: vec![records::input(record.rdata)],
                },
                comments: None,
            }),
        }
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(errors)
    }
}

/// POST: preview a bulk change, or apply one previewed.
pub(super) async fn bulk(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    headers: HeaderMap,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let form = BulkForm::read(pairs);
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session.view, &zone);
    };
    let Ok(true) = kept_in_store(&state, &name).await else {
        return not_found(&session.view, &zone);
    };
    let action = match form.action.as_str() {
        "delete" => Action::Delete,
        "ttl" => Action::Ttl,
        "paste" => Action::Paste,
        other => {
            return message(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(session.view.clone()),
                "Nothing changed",
                format!("The form asked for `{other}`, which is not a bulk change."),
                &zone_url(&name),
            );
        }
    };
    let mut page = BulkPage {
        nav: Some(session.view.clone()),
        session: session.view.clone(),
        zone: name.to_string(),
        url: zone_url(&name),
        heading: String::new(),
        action: action.as_str(),
        ttl: form.ttl.trim().to_string(),
        rrsets: form.rrsets.clone(),
        records: form.records.clone(),
        comment: form.comment.clone(),
        errors: Vec::new(),
        preview: None,
    };
    let changes = match changes_for(&state, &name, action, &form, &mut page).await {
        Ok(changes) => changes,
        Err(errors) => {
            page.errors = errors;
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let changes = ChangeSet { changes };
    if form.stage == "apply" {
        let meta = ChangeMeta {
            author: session.view.user.clone(),
            source: Source::Ui,
            comment: Some(form.comment.trim().to_string()).filter(|c| !c.is_empty()),
            now: now(),
        };
        return match state.manager.apply_in(&name, None, changes, meta).await {
            Ok(applied) => {
                tracing::info!(zone = %name, user = %session.view.user, action = action.as_str(), serial = applied.to.0, "bulk change in the web UI");
                Redirect::to(&format!("{}?saved={}", zone_url(&name), applied.to.0)).into_response()
            }
            Err(e) => {
                page.errors = vec![e.to_string()];
                render(StatusCode::UNPROCESSABLE_ENTITY, &page)
            }
        };
    }
    let store = Arc::clone(state.manager.store());
    let zone_name = name.clone();
    let at = now();
    let preview = blocking(move || {
        store
            .preview(&zone_name, &changes, at)
            .map_err(|e| e.to_string())
    })
    .await;
    match preview {
        Ok((removed, added)) => {
            let from = history::soa_serial(&removed).unwrap_or(0);
            let to = history::soa_serial(&added).unwrap_or(from);
            let (removed, added) = change_lines(&removed, &added);
            page.preview = Some(BulkPreview {
                from,
                to,
                removed,
                added,
            });
            render(StatusCode::OK, &page)
        }
        Err(e) => {
            page.errors = vec![e];
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// The change a bulk form asks for, and the page's heading for it.
async fn changes_for(
    state: &AppState,
    zone: &Name,
    action: Action,
    form: &BulkForm,
    page: &mut BulkPage,
) -> Result<Vec<RrsetChange>, Vec<String>> {
    if action == Action::Paste {
        let changes = pasted_changes(zone, &form.records, DEFAULT_TTL)?;
        let count: usize = changes
            .iter()
            .map(|c| match &c.op {
                RrsetOp::Extend { records, .. } => records.len(),
                _ => 0,
            })
            .sum();
        page.heading = format!(
            "Add {count} pasted record{} to {zone}",
            if count == 1 { "" } else { "s" }
        );
        return Ok(changes);
    }
    let keys = selection(zone, &form.rrsets)?;
    let sets = if keys.len() == 1 { "RRset" } else { "RRsets" };
    if action == Action::Delete {
        page.heading = format!("Delete {} {sets} of {zone}", keys.len());
        return Ok(keys
            .into_iter()
            .map(|(name, rtype)| RrsetChange {
                name,
                rtype,
                op: RrsetOp::Delete,
                comments: None,
            })
            .collect());
    }
    let ttl = match form.ttl.trim().parse::<wire::Ttl>() {
        Ok(ttl) if ttl.0 <= i32::MAX as u32 => ttl.0,
        _ => {
            return Err(vec![format!(
                "`{}` is not a TTL: seconds from 0 to 2147483647, or units as in 1h30m",
                form.ttl.trim()
            )]);
        }
    };
    page.heading = format!("Set the TTL of {} {sets} of {zone} to {ttl}", keys.len());
    // The sets as stored now, read at the selected names only.
    let store = Arc::clone(state.manager.store());
    let zone_name = zone.clone();
    let names: BTreeSet<Name> = keys.iter().map(|(n, _)| n.clone()).collect();
    let stored = blocking(move || {
        store
            .rrsets_at(&zone_name, &names)
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| vec![e])?;
    let mut changes = Vec::new();
    let mut gone = Vec::new();
    for (name, rtype) in keys {
        match stored.iter().find(|s| s.name == name && s.rtype == rtype) {
            Some(set) => changes.push(RrsetChange {
                name,
                rtype,
                op: RrsetOp::Replace {
                    ttl,
                    // Each record as it is, disabled ones too.
                    records: set
                        .records
                        .iter()
                        .map(|r| RecordInput {
                            rdata: r.rdata.clone(),
                            content: Some(r.content.clone()),
                            disabled: r.disabled,
                        })
                        .collect(),
                },
                comments: None,
            }),
            None => gone.push(format!("{name} {rtype} is no longer in the zone")),
        }
    }
    if gone.is_empty() {
        Ok(changes)
    } else {
        Err(gone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> Name {
        "example.test.".parse().unwrap()
    }

    #[test]
    fn the_selection_names_rrsets_of_the_zone_and_never_the_soa() {
        let picked = selection(
            &zone(),
            &[
                "www.example.test. A".into(),
                "WWW.example.test. A".into(),
                "example.test. MX".into(),
            ],
        )
        .unwrap();
        assert_eq!(
            picked,
            vec![
                ("www.example.test.".parse().unwrap(), Rtype::A),
                ("example.test.".parse().unwrap(), Rtype::MX)
            ]
        );
        let errors = selection(
            &zone(),
            &["example.test. SOA".into(), "www.other. A".into()],
        )
        .unwrap_err();
        assert!(errors[0].contains("SOA"), "{errors:?}");
        assert!(
            errors[1].contains("not name an RRset of example.test."),
            "{errors:?}"
        );
        assert!(selection(&zone(), &[]).unwrap_err()[0].contains("Select at least one"));
    }

    #[test]
    fn pasted_records_join_their_sets_with_the_first_ttl() {
        let changes = pasted_changes(
            &zone(),
            "www A 192.0.2.1\nwww 60 A 192.0.2.2\nmail.example.test. 300 MX 10 mx\n",
            900,
        )
        .unwrap();
        let shape: Vec<(String, Rtype, u32, usize)> = changes
            .iter()
            .map(|c| match &c.op {
                RrsetOp::Extend { ttl, records } => {
                    (c.name.to_string(), c.rtype, *ttl, records.len())
                }
                other => panic!("not an extend: {other:?}"),
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("www.example.test.".into(), Rtype::A, 900, 2),
                ("mail.example.test.".into(), Rtype::MX, 300, 1)
            ]
        );
        let errors =
            pasted_changes(&zone(), "@ SOA ns1 h 1 2 3 4 5\nbad A 1.2.3\n", 900).unwrap_err();
        assert!(errors.iter().any(|e| e.contains("pasted:2")), "{errors:?}");
        let errors = pasted_changes(&zone(), "@ SOA ns1 h 1 2 3 4 5\n", 900).unwrap_err();
        assert!(errors[0].contains("kept by the server"), "{errors:?}");
        assert!(pasted_changes(&zone(), "  \n", 900).is_err());
    }
}
