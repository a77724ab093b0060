//! Deleting a record: a page that names the record (and says when it is
//! the last of its set) and takes a reason for the history, before
//! anything is removed. The removal itself is `records::delete_record`.

use super::auth::UiSession;
use super::records::{EditQuery, current_rrset, stored_record};
use super::views::known_view;
use super::*;

#[derive(Template)]
#[template(path = "ui/delete_record.html")]
pub(super) struct DeleteRecordPage {
    nav: Option<SessionView>,
    session: SessionView,
    zone: String,
    url: String,
    /// The owner as stored (absolute), for the form.
    owner: String,
    /// The owner relative to the zone, for people.
    name: String,
    rtype: String,
    content: String,
    ttl: u32,
    /// The RRset has no other record: deleting this one deletes the set.
    last: bool,
    view: Option<String>,
}

/// GET of a record's delete link: the confirmation page; with no record
/// named, back to the zone.
pub(super) async fn delete_record_page(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    Query(query): Query<EditQuery>,
) -> Response {
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session.view, &zone);
    };
    if query.name.is_empty() {
        return Redirect::to(&zone_url(&name)).into_response();
    }
    let Ok(true) = kept_in_store(&state, &name).await else {
        return not_found(&session.view, &zone);
    };
    let view = match known_view(&state, &session, &name, Some(&query.view)) {
        Ok(view) => view,
        Err(page) => return *page,
    };
    let gone = |text: &str| {
        message(
            StatusCode::NOT_FOUND,
            Some(session.view.clone()),
            "No such record",
            text.to_string(),
            &zone_url(&name),
        )
    };
    let Some((owner, rtype, rdata)) =
        stored_record(&name, &query.name, &query.rtype, &query.content)
    else {
        return gone("The record to delete was not recognised.");
    };
    let Some(set) = current_rrset(&state, &name, &owner, rtype, view.clone()).await else {
        return gone("The record is no longer in the zone: someone may have deleted it already.");
    };
    let Some(record) = set.records.iter().find(|r| r.rdata == rdata) else {
        return gone("The record is no longer in the zone: someone may have changed it already.");
    };
    render(
        StatusCode::OK,
        &DeleteRecordPage {
            nav: Some(session.view.clone()),
            session: session.view.clone(),
            zone: name.to_string(),
            url: zone_url(&name),
            owner: owner.to_string(),
            name: super::rows::relative(&owner, &name),
            rtype: rtype.to_string(),
            content: record.content.clone(),
            ttl: set.ttl,
            last: set.records.len() == 1,
            view,
        },
    )
}
