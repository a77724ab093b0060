//! Rows the zone page and its view tabs share: a record with its edit
//! link, and an owner written relative to its zone.

use super::*;

/// A record as a row of the zone page.
pub(super) struct RecordRow {
    pub(super) content: String,
    pub(super) disabled: bool,
    /// The query string of its edit link.
    pub(super) query: String,
}

impl RecordRow {
    /// A record of `set` as a row, its edit link for view `view` (or the
    /// base).
    pub(super) fn new(set: &StoredRrset, record: &store::StoredRecord, view: Option<&str>) -> Self {
        let mut query = format!(
            "name={}&rtype={}&content={}",
            url_encode(&set.name.to_string()),
            url_encode(&set.rtype.to_string()),
            url_encode(&record.content)
        );
        if let Some(view) = view {
            query.push_str(&format!("&view={}", url_encode(view)));
        }
        RecordRow {
            content: record.content.clone(),
            disabled: record.disabled,
            query,
        }
    }
}

/// `owner` relative to `zone` (`@` for the apex), as zone files write it.
pub(super) fn relative(owner: &Name, zone: &Name) -> String {
    if owner == zone {
        return "@".into();
    }
    let text = owner.to_string();
    let suffix = format!(".{zone}");
    text.strip_suffix(&suffix)
        .map_or(text.clone(), str::to_string)
}
