//! A secondary zone made through the API (PowerDNS kind `Slave`): its
//! `masters` and transfer key read from the request.

use super::*;

/// Whether a `kind` names a secondary zone: `Slave` or `Secondary`, in
/// any case.
pub fn is_secondary_kind(text: &str) -> bool {
    matches!(text.parse::<ZoneKind>(), Ok(ZoneKind::Slave))
}

/// A secondary zone to create, read from a POST body with kind `Slave`.
#[derive(Clone, Debug)]
pub struct NewSecondary {
    /// The apex.
    pub name: Name,
    /// Where to transfer it from, in order of preference.
    pub primaries: Vec<std::net::SocketAddr>,
    /// The name of the TSIG key to transfer with, if any; whether such a
    /// key exists is for the caller to check.
    pub key: Option<Name>,
    /// The PowerDNS settings to keep (`masters` and the key among them).
    pub settings: ZoneSettings,
}

/// A POST body with kind `Slave` → the secondary zone to create. `masters`
/// is required and non-empty, each `ADDRESS` (port 53) or `ADDRESS:PORT`
/// (`[IPv6]:PORT`); `master_tsig_key_ids` names at most one key, used for
/// every primary; records cannot be given (they come from the primaries).
pub fn new_secondary(create: &ZoneCreate) -> Result<NewSecondary, ApiError> {
    let name = parse_absolute(&create.name).map_err(ApiError::Unprocessable)?;
    let refuse = |text: String| Err(ApiError::Unprocessable(text));
    if !create.rrsets.is_empty() || create.zone.is_some() || !create.nameservers.is_empty() {
        return refuse(format!(
            "kind {}: a secondary zone's records come from its primaries; \
             give no rrsets, zone or nameservers",
            create.kind
        ));
    }
    if create.masters.is_empty() {
        return refuse(format!(
            "masters: a secondary zone (kind {}) needs at least one primary to transfer from \
             (ADDRESS or ADDRESS:PORT)",
            create.kind
        ));
    }
    let mut primaries = Vec::with_capacity(create.masters.len());
    for (index, text) in create.masters.iter().enumerate() {
        match primary_address(text) {
            Some(address) => primaries.push(address),
            None => {
                return refuse(format!(
                    "masters[{index}]: '{text}' is not an IP address (ADDRESS or ADDRESS:PORT, \
                     [IPv6]:PORT)"
                ));
            }
        }
    }
    let mut settings = ZoneSettings::default();
    apply_settings(&SettingsRequest::of_create(create), &mut settings)?;
    let key = match settings.master_tsig_key_ids.as_slice() {
        [] => None,
        [id] => Some(
            Name::from_text(id, Some(&Name::root()))
                .map_err(|e| ApiError::Unprocessable(format!("master_tsig_key_ids[0]: {e}")))?
                .to_lowercase(),
        ),
        [_, ..] => {
            return refuse(
                "master_tsig_key_ids: a secondary zone transfers with one key, from every \
                 primary; name one"
                    .to_string(),
            );
        }
    };
    Ok(NewSecondary {
        name,
        primaries,
        key,
        settings,
    })
}

/// A primary's address as PowerDNS's `masters` writes it: `ADDRESS` (port
/// 53) or `ADDRESS:PORT` (`[IPv6]:PORT`); port 0 is refused.
pub fn primary_address(text: &str) -> Option<std::net::SocketAddr> {
    let address = match text.parse::<std::net::IpAddr>() {
        Ok(ip) => std::net::SocketAddr::new(ip, 53),
        Err(_) => text.parse::<std::net::SocketAddr>().ok()?,
    };
    (address.port() != 0).then_some(address)
}
