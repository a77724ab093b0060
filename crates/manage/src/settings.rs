//! A store zone's settings page, without I/O: the fields as typed (the web
//! UI's form, the API's `/settings`) checked into an SOA and the zone's own
//! rules ([`store::ZoneOptions`]), and those rules merged with the
//! configuration's into the rules the zone is served with.
//!
//! ```text
//!  [[zone]] key written in hadns.toml ──► wins (the store's value is kept, unused)
//!  else the store's ZoneOptions value ──► used
//!  else [[zone]]'s default / [zone_defaults]
//! ```
//!
//! The SOA's MNAME, RNAME and timers are not options: they are the apex SOA
//! record itself, changed as one RRset (one journal entry, one serial
//! bump), so secondaries get them by IXFR like any change.

use std::sync::Arc;

use answer::acl::MatchList;
use config::WrittenKeys;
use replicate::driver::NotifyTarget;
use store::{SerialPolicy, ZoneOptions};
use wire::tsig::Key;
use wire::{Name, Ttl};

pub use crate::rules::ConfiguredText;
use crate::rules::ZoneRules;

/// TTL of new records when the zone sets no default TTL. Not the SOA
/// MINIMUM: since RFC 2308 §4 that field is the TTL of negative answers,
/// and BIND's old fallback to it for records (before `$TTL`) gave records
/// the negative-caching time; 3600 is what the store gives the SOA and NS
/// of a new zone.
pub const FALLBACK_TTL: u32 = 3600;

/// A field of the settings page; its [`Field::id`] is the form field's
/// name and the API's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// The SOA's MNAME (the primary name server).
    Mname,
    /// The SOA's RNAME (the mailbox of the person responsible).
    Rname,
    /// The SOA's REFRESH.
    Refresh,
    /// The SOA's RETRY.
    Retry,
    /// The SOA's EXPIRE.
    Expire,
    /// The SOA's MINIMUM (negative-caching TTL, RFC 2308).
    Minimum,
    /// The TTL pre-filled for new records.
    DefaultTtl,
    /// How the serial moves.
    SerialPolicy,
    /// NOTIFY targets.
    Notify,
    /// The key signing NOTIFYs.
    NotifyKey,
    /// Who may transfer.
    AllowTransfer,
    /// Who may update.
    AllowUpdate,
    /// The catalog member's `group`.
    CatalogGroup,
}

impl Field {
    /// The form field's name, the API's key.
    pub fn id(self) -> &'static str {
        match self {
            Field::Mname => "mname",
            Field::Rname => "rname",
            Field::Refresh => "refresh",
            Field::Retry => "retry",
            Field::Expire => "expire",
            Field::Minimum => "minimum",
            Field::DefaultTtl => "default_ttl",
            Field::SerialPolicy => "serial_policy",
            Field::Notify => "notify",
            Field::NotifyKey => "notify_key",
            Field::AllowTransfer => "allow_transfer",
            Field::AllowUpdate => "allow_update",
            Field::CatalogGroup => "catalog_group",
        }
    }
}

/// A message about one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldMessage {
    /// The field.
    pub field: Field,
    /// What is wrong, or worth a second look.
    pub text: String,
}

/// The fields as typed. Lists are one element per line or comma; an empty
/// rules field is "not set" (the configuration decides); `none` in
/// `notify` sets no targets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsInput {
    /// MNAME, a domain name (absolute; the final dot may be left out).
    pub mname: String,
    /// RNAME, `hostmaster@example.com` or `hostmaster.example.com.`.
    pub rname: String,
    /// REFRESH, seconds or units (`3h`).
    pub refresh: String,
    /// RETRY.
    pub retry: String,
    /// EXPIRE.
    pub expire: String,
    /// MINIMUM.
    pub minimum: String,
    /// Default TTL of new records; empty: not set.
    pub default_ttl: String,
    /// `increment`, `date` or `epoch`.
    pub serial_policy: String,
    /// NOTIFY targets.
    pub notify: String,
    /// Key name signing NOTIFYs; empty: not set.
    pub notify_key: String,
    /// allow-transfer match list.
    pub allow_transfer: String,
    /// allow-update match list.
    pub allow_update: String,
    /// Catalog group; empty: not set.
    pub catalog_group: String,
}

/// The SOA fields a person edits (the serial is the server's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoaFields {
    /// MNAME.
    pub mname: Name,
    /// RNAME.
    pub rname: Name,
    /// REFRESH, seconds.
    pub refresh: u32,
    /// RETRY, seconds.
    pub retry: u32,
    /// EXPIRE, seconds.
    pub expire: u32,
    /// MINIMUM, seconds.
    pub minimum: u32,
}

impl SoaFields {
    /// The fields of SOA RDATA (uncompressed), with its serial; `None` if
    /// it does not parse.
    pub fn from_rdata(rdata: &[u8]) -> Option<(SoaFields, u32)> {
        let (mname, end) = Name::parse_uncompressed(rdata, 0).ok()?;
        let (rname, _) = Name::parse_uncompressed(rdata, end).ok()?;
        let [serial, refresh, retry, expire, minimum] = wire::rdata::soa_numbers(rdata)?;
        Some((
            SoaFields {
                mname,
                rname,
                refresh,
                retry,
                expire,
                minimum,
            },
            serial,
        ))
    }

    /// SOA RDATA with these fields and `serial`.
    pub fn to_rdata(&self, serial: u32) -> Vec<u8> {
        let mut rdata = Vec::with_capacity(self.mname.wire_len() + self.rname.wire_len() + 20);
        rdata.extend_from_slice(self.mname.as_wire());
        rdata.extend_from_slice(self.rname.as_wire());
        for number in [serial, self.refresh, self.retry, self.expire, self.minimum] {
            rdata.extend_from_slice(&number.to_be_bytes());
        }
        rdata
    }

    /// What is legal but unwise (RFC 1912 §2.2): an EXPIRE that does not
    /// outlast REFRESH + RETRY lets a secondary expire the zone before it
    /// has tried again once; a RETRY longer than REFRESH retries less often
    /// than it refreshes.
    pub fn warnings(&self) -> Vec<FieldMessage> {
        let mut out = Vec::new();
        let sum = u64::from(self.refresh) + u64::from(self.retry);
        if u64::from(self.expire) < sum {
            out.push(FieldMessage {
                field: Field::Expire,
                text: format!(
                    "EXPIRE ({}) is smaller than REFRESH + RETRY ({sum}): a secondary may expire the zone before it retries (RFC 1912 §2.2)",
                    self.expire
                ),
            });
        }
        if self.retry > self.refresh {
            out.push(FieldMessage {
                field: Field::Retry,
                text: format!(
                    "RETRY ({}) is longer than REFRESH ({}): retries normally come sooner than refreshes (RFC 1912 §2.2)",
                    self.retry, self.refresh
                ),
            });
        }
        out
    }
}

/// The settings as checked: the SOA to serve, the serial policy (`None`:
/// the configuration sets it, left as it is) and the zone's own rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedSettings {
    /// The SOA's fields.
    pub soa: SoaFields,
    /// The serial policy, unless the configuration sets it.
    pub serial_policy: Option<SerialPolicy>,
    /// The zone's own rules. A field the configuration writes keeps the
    /// stored value (shown read-only, so not editable here).
    pub options: ZoneOptions,
}

/// RNAME as people write it: `hostmaster@example.com` for
/// `hostmaster.example.com.` (RFC 1035 §8: the first label is the local
/// part, so a dot in it is escaped in the name, `john\.doe`); the name
/// itself when its first label cannot be a mailbox's local part.
pub fn rname_text(rname: &Name) -> String {
    let mut labels = rname.labels();
    let Some(first) = labels.next() else {
        return rname.to_string();
    };
    let printable = first
        .iter()
        .all(|b| b.is_ascii_graphic() && *b != b'@' && *b != b'\\');
    if !printable || rname.label_count() < 2 {
        return rname.to_string();
    }
    let domain = rname.suffix(rname.label_count() - 1).to_string();
    format!(
        "{}@{}",
        String::from_utf8_lossy(first),
        domain.trim_end_matches('.')
    )
}

/// RNAME from `local@domain` or a name (absolute; final dot optional).
pub fn parse_rname(text: &str) -> Result<Name, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(
            "give the mailbox of the person responsible, e.g. hostmaster@example.com".into(),
        );
    }
    let Some((local, domain)) = text.rsplit_once('@') else {
        return parse_name(text);
    };
    if local.is_empty() || local.contains(['@', '\\']) || local.contains(char::is_whitespace) {
        return Err(format!(
            "`{text}` is not a mailbox (expected hostmaster@example.com)"
        ));
    }
    let domain = parse_name(domain).map_err(|e| format!("`{text}`: {e}"))?;
    // The local part is one label, its dots escaped (RFC 1035 §8).
    let label = local.replace('.', "\\.");
    Name::from_text(&format!("{label}.{domain}"), None)
        .map(|n| n.to_lowercase())
        .map_err(|e| format!("`{text}` is not a mailbox: {e}"))
}

/// An absolute domain name, the final dot optional.
fn parse_name(text: &str) -> Result<Name, String> {
    let text = text.trim();
    if text.is_empty() || text.contains(char::is_whitespace) || text.contains('@') {
        return Err(format!("`{text}` is not a domain name"));
    }
    Name::from_text(text, Some(&Name::root()))
        .map(|n| n.to_lowercase())
        .map_err(|e| format!("`{text}` is not a domain name: {e}"))
}

/// A TTL or SOA timer: seconds or units as in zone files (`1h30m`, `2d`),
/// at most 2147483647 (RFC 2181 §8).
pub fn parse_seconds(text: &str) -> Result<u32, String> {
    let text = text.trim();
    match text.parse::<Ttl>() {
        Ok(ttl) if ttl <= Ttl::MAX => Ok(ttl.0),
        _ => Err(format!(
            "`{text}` is not a time: seconds from 0 to 2147483647, or units as in 1h30m or 2d"
        )),
    }
}

/// The elements of a list field: split at line breaks and commas.
pub fn elements(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect()
}

/// Checks every field, collecting every error: all or nothing is saved.
/// Fields the configuration writes (`written`) are not read from `input`:
/// `stored` keeps their store value. `key_exists` says whether a TSIG key
/// (configuration or store) has a name.
pub fn check(
    input: &SettingsInput,
    stored: &ZoneOptions,
    written: WrittenKeys,
    key_exists: &dyn Fn(&Name) -> bool,
) -> Result<CheckedSettings, Vec<FieldMessage>> {
    let mut errors = Vec::new();
    let mname = take(&mut errors, Field::Mname, parse_name(&input.mname));
    let rname = take(&mut errors, Field::Rname, parse_rname(&input.rname));
    let refresh = take(&mut errors, Field::Refresh, parse_seconds(&input.refresh));
    let retry = take(&mut errors, Field::Retry, parse_seconds(&input.retry));
    let expire = take(&mut errors, Field::Expire, parse_seconds(&input.expire));
    let minimum = take(&mut errors, Field::Minimum, parse_seconds(&input.minimum));
    let default_ttl = take(
        &mut errors,
        Field::DefaultTtl,
        match input.default_ttl.trim() {
            "" => Ok(None),
            text => parse_seconds(text).map(Some),
        },
    );
    let serial_policy = if written.serial_policy {
        Some(None)
    } else {
        take(
            &mut errors,
            Field::SerialPolicy,
            input
                .serial_policy
                .trim()
                .parse::<SerialPolicy>()
                .map(Some)
                .map_err(|e| e.to_string()),
        )
    };
    let mut options = stored.clone();
    if !written.notify {
        let list = elements(&input.notify);
        let checked = if list.len() == 1 && list[0].eq_ignore_ascii_case("none") {
            Ok(Some(Vec::new()))
        } else {
            config::typed::notify_targets(&list)
                .map_err(|e| e.to_string())
                .and_then(|targets| {
                    match targets
                        .iter()
                        .filter_map(|t| t.key.as_ref())
                        .find(|k| !key_exists(k))
                    {
                        Some(missing) => Err(format!("no TSIG key {missing}")),
                        None => Ok((!targets.is_empty()).then(|| {
                            targets
                                .iter()
                                .map(config::typed::notify_target_text)
                                .collect()
                        })),
                    }
                })
        };
        if let Some(value) = take(&mut errors, Field::Notify, checked) {
            options.notify = value;
        }
    }
    if !written.notify_key {
        let checked = match input.notify_key.trim() {
            "" => Ok(None),
            text => Name::from_text(text, Some(&Name::root()))
                .map_err(|e| format!("`{text}` is not a key name: {e}"))
                .map(|n| n.to_lowercase())
                .and_then(|n| {
                    if key_exists(&n) {
                        Ok(Some(n))
                    } else {
                        Err(format!(
                            "no TSIG key {n}: add it as a [[key]] or through /tsigkeys first"
                        ))
                    }
                }),
        };
        if let Some(value) = take(&mut errors, Field::NotifyKey, checked) {
            options.notify_key = value;
        }
    }
    for (written, which, target) in [
        (
            written.allow_transfer,
            Field::AllowTransfer,
            &input.allow_transfer,
        ),
        (
            written.allow_update,
            Field::AllowUpdate,
            &input.allow_update,
        ),
    ] {
        if written {
            continue;
        }
        let list = elements(target);
        let checked = config::typed::match_list(&list)
            .map_err(|e| e.to_string())
            .map(|rules| (!rules.is_empty()).then(|| config::typed::match_list_text(&rules)));
        if let Some(value) = take(&mut errors, which, checked) {
            match which {
                Field::AllowTransfer => options.allow_transfer = value,
                _ => options.allow_update = value,
            }
        }
    }
    if !written.catalog_group {
        let text = input.catalog_group.trim();
        let checked = if text.len() > 255 {
            Err(format!(
                "a group is at most 255 octets (this one is {})",
                text.len()
            ))
        } else {
            Ok(Some(text.to_string()).filter(|t| !t.is_empty()))
        };
        if let Some(value) = take(&mut errors, Field::CatalogGroup, checked) {
            options.catalog_group = value;
        }
    }
    if let Some(ttl) = default_ttl {
        options.default_ttl = ttl;
    }
    match (mname, rname, refresh, retry, expire, minimum, serial_policy) {
        (
            Some(mname),
            Some(rname),
            Some(refresh),
            Some(retry),
            Some(expire),
            Some(minimum),
            Some(serial_policy),
        ) if errors.is_empty() => Ok(CheckedSettings {
            soa: SoaFields {
                mname,
                rname,
                refresh,
                retry,
                expire,
                minimum,
            },
            serial_policy,
            options,
        }),
        _ => Err(errors),
    }
}

/// `result`'s value, or `None` with its error noted against `field`.
fn take<T>(errors: &mut Vec<FieldMessage>, field: Field, result: Result<T, String>) -> Option<T> {
    result
        .map_err(|text| errors.push(FieldMessage { field, text }))
        .ok()
}

/// The rules a store zone is served with: the configuration's `base`
/// (its `[[zone]]` or `[zone_defaults]`) with the zone's own `options`
/// in place wherever the configuration does not write the key. `key`
/// finds a TSIG key by name. A target whose own key no longer exists is
/// skipped with a warning: sending it unsigned would make a secondary that
/// expects the key log a refusal for every change.
pub fn merge(
    zone: &Name,
    base: &ZoneRules,
    options: &ZoneOptions,
    key: &dyn Fn(&Name) -> Option<Arc<Key>>,
) -> ZoneRules {
    let mut rules = base.clone();
    let written = base.written;
    if !written.notify
        && let Some(list) = &options.notify
    {
        rules.notify = match config::typed::notify_targets(list) {
            Ok(targets) => targets
                .into_iter()
                .filter_map(|t| match &t.key {
                    None => Some(NotifyTarget {
                        address: t.address,
                        key: None,
                    }),
                    Some(name) => match key(name) {
                        Some(k) => Some(NotifyTarget {
                            address: t.address,
                            key: Some(k),
                        }),
                        None => {
                            tracing::warn!(zone = %zone, target = %t.address, key = %name, "NOTIFY target names a TSIG key that no longer exists; not notified");
                            None
                        }
                    },
                })
                .collect(),
            Err(e) => {
                tracing::warn!(zone = %zone, error = %e, "the zone's stored NOTIFY targets do not read; the configuration's are used");
                base.notify.clone()
            }
        };
    }
    if !written.notify_key
        && let Some(name) = &options.notify_key
    {
        rules.notify_key = key(name);
        if rules.notify_key.is_none() {
            tracing::warn!(zone = %zone, key = %name, "the zone's NOTIFY key no longer exists; NOTIFYs go unsigned");
        }
    }
    let compile = |list: &[String]| -> Option<MatchList> {
        let rules = config::typed::match_list(list).ok()?;
        MatchList::compile(&rules, &|_| None).ok()
    };
    if !written.allow_transfer
        && let Some(list) = &options.allow_transfer
    {
        match compile(list) {
            Some(compiled) => rules.policy.allow_transfer = compiled,
            None => {
                tracing::warn!(zone = %zone, "the zone's stored allow_transfer does not read; the configuration's is used")
            }
        }
    }
    if !written.allow_update
        && let Some(list) = &options.allow_update
    {
        match compile(list) {
            Some(compiled) => rules.policy.allow_update = Some(compiled),
            None => {
                tracing::warn!(zone = %zone, "the zone's stored allow_update does not read; the configuration's is used")
            }
        }
    }
    if !written.catalog_group && options.catalog_group.is_some() {
        rules.catalog_group.clone_from(&options.catalog_group);
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        text.parse().unwrap()
    }

    fn input() -> SettingsInput {
        SettingsInput {
            mname: "ns1.example.com".into(),
            rname: "hostmaster@example.com".into(),
            refresh: "3h".into(),
            retry: "1h".into(),
            expire: "1w".into(),
            minimum: "300".into(),
            serial_policy: "increment".into(),
            ..SettingsInput::default()
        }
    }

    fn no_keys(_: &Name) -> bool {
        false
    }

    #[test]
    fn rname_reads_as_a_mailbox_and_back() {
        let rname = parse_rname("hostmaster@example.com").unwrap();
        assert_eq!(rname, name("hostmaster.example.com."));
        assert_eq!(rname_text(&rname), "hostmaster@example.com");
        // A dot in the local part is escaped in the name (RFC 1035 §8).
        let dotted = parse_rname("john.doe@example.com").unwrap();
        assert_eq!(dotted.label_count(), 3);
        assert_eq!(dotted.to_string(), "john\\.doe.example.com.");
        assert_eq!(rname_text(&dotted), "john.doe@example.com");
        // The name form is taken as it is.
        assert_eq!(
            parse_rname("admin.example.net.").unwrap(),
            name("admin.example.net.")
        );
        assert!(parse_rname("@example.com").is_err());
        assert!(parse_rname("a b@example.com").is_err());
        assert!(parse_rname("").is_err());
    }

    #[test]
    fn timers_take_units_and_refuse_the_rest() {
        assert_eq!(parse_seconds("1h30m"), Ok(5400));
        assert_eq!(parse_seconds(" 2d "), Ok(172_800));
        assert!(parse_seconds("2147483648").is_err());
        assert!(parse_seconds("soon").is_err());
        assert!(parse_seconds("").is_err());
    }

    #[test]
    fn good_input_is_checked_into_an_soa_and_options() {
        let mut typed = input();
        typed.default_ttl = "5m".into();
        typed.notify = "127.0.0.9:5300\n127.0.0.10".into();
        typed.allow_transfer = "key xfr, 192.0.2.0/24".into();
        typed.catalog_group = "blue".into();
        let checked = check(
            &typed,
            &ZoneOptions::default(),
            WrittenKeys::default(),
            &no_keys,
        )
        .unwrap();
        assert_eq!(checked.soa.mname, name("ns1.example.com."));
        assert_eq!(checked.soa.refresh, 10_800);
        assert_eq!(checked.soa.expire, 604_800);
        assert_eq!(checked.serial_policy, Some(SerialPolicy::Increment));
        assert_eq!(checked.options.default_ttl, Some(300));
        assert_eq!(
            checked.options.notify,
            Some(vec!["127.0.0.9:5300".into(), "127.0.0.10:53".into()])
        );
        assert_eq!(
            checked.options.allow_transfer,
            Some(vec!["key xfr.".into(), "192.0.2.0/24".into()])
        );
        assert_eq!(checked.options.allow_update, None);
        assert_eq!(checked.options.catalog_group.as_deref(), Some("blue"));
        // An SOA round-trips through its RDATA with the serial kept apart.
        let rdata = checked.soa.to_rdata(42);
        assert_eq!(SoaFields::from_rdata(&rdata), Some((checked.soa, 42)));
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut typed = input();
        typed.mname = "not a name".into();
        typed.retry = "often".into();
        typed.allow_transfer = "192.0.2.1, 192.0.2.999".into();
        typed.notify_key = "missing".into();
        typed.serial_policy = "weekly".into();
        let errors = check(
            &typed,
            &ZoneOptions::default(),
            WrittenKeys::default(),
            &no_keys,
        )
        .unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                Field::Mname,
                Field::Retry,
                Field::SerialPolicy,
                Field::NotifyKey,
                Field::AllowTransfer
            ]
        );
        let transfer = &errors[4].text;
        assert!(transfer.contains("192.0.2.999"), "{transfer}");
    }

    #[test]
    fn fields_the_configuration_writes_keep_the_stored_value() {
        let stored = ZoneOptions {
            allow_transfer: Some(vec!["any".into()]),
            ..ZoneOptions::default()
        };
        let mut typed = input();
        // Whatever comes in for a read-only field (even something bad) is
        // not read.
        typed.allow_transfer = "garbage here".into();
        typed.serial_policy = "weekly".into();
        let written = WrittenKeys {
            allow_transfer: true,
            serial_policy: true,
            ..WrittenKeys::default()
        };
        let checked = check(&typed, &stored, written, &no_keys).unwrap();
        assert_eq!(checked.options.allow_transfer, stored.allow_transfer);
        assert_eq!(checked.serial_policy, None);
    }

    #[test]
    fn none_sets_no_notify_targets_and_empty_leaves_it_unset() {
        let mut typed = input();
        typed.notify = "none".into();
        let checked = check(
            &typed,
            &ZoneOptions::default(),
            WrittenKeys::default(),
            &no_keys,
        )
        .unwrap();
        assert_eq!(checked.options.notify, Some(Vec::new()));
        typed.notify = "".into();
        let checked = check(
            &typed,
            &ZoneOptions::default(),
            WrittenKeys::default(),
            &no_keys,
        )
        .unwrap();
        assert_eq!(checked.options.notify, None);
    }

    /// Configuration rules allowing anyone to transfer, with a group.
    fn configured(written: WrittenKeys) -> ZoneRules {
        let any = config::typed::match_list(&["any"]).unwrap();
        ZoneRules {
            notify: Vec::new(),
            notify_key: None,
            notify_ns: false,
            policy: crate::store_zone_policy(
                MatchList::compile(&any, &|_| None).unwrap(),
                MatchList::none(),
            ),
            serial_policy: SerialPolicy::Increment,
            nameservers: Vec::new(),
            catalog_group: Some("from-file".into()),
            written,
            configured: ConfiguredText::default(),
        }
    }

    fn transfer_allowed(rules: &ZoneRules) -> bool {
        rules.policy.allow_transfer.allows(answer::acl::Requester {
            address: "127.0.0.1".parse().unwrap(),
            key: None,
        })
    }

    #[test]
    fn the_store_wins_over_defaults_and_a_written_key_wins_over_the_store() {
        let zone = name("example.com.");
        let options = ZoneOptions {
            notify: Some(vec!["127.0.0.9:5300".into()]),
            allow_transfer: Some(vec!["none".into()]),
            catalog_group: Some("from-store".into()),
            ..ZoneOptions::default()
        };
        // [zone_defaults] (nothing written): the store's values apply.
        let merged = merge(
            &zone,
            &configured(WrittenKeys::default()),
            &options,
            &|_| None,
        );
        assert!(!transfer_allowed(&merged));
        assert_eq!(merged.notify.len(), 1);
        assert_eq!(merged.notify[0].address.port(), 5300);
        assert_eq!(merged.catalog_group.as_deref(), Some("from-store"));
        // A [[zone]] writing allow_transfer and catalog_group keeps them;
        // the store's NOTIFY targets still apply (notify is not written).
        let written = WrittenKeys {
            allow_transfer: true,
            catalog_group: true,
            ..WrittenKeys::default()
        };
        let merged = merge(&zone, &configured(written), &options, &|_| None);
        assert!(transfer_allowed(&merged));
        assert_eq!(merged.catalog_group.as_deref(), Some("from-file"));
        assert_eq!(merged.notify.len(), 1);
        // Nothing stored: the configuration's rules as they are.
        let merged = merge(
            &zone,
            &configured(WrittenKeys::default()),
            &ZoneOptions::default(),
            &|_| None,
        );
        assert!(transfer_allowed(&merged));
        assert!(merged.notify.is_empty());
    }

    #[test]
    fn a_notify_target_whose_key_is_gone_is_skipped() {
        let options = ZoneOptions {
            notify: Some(vec![
                "127.0.0.9:53 key gone.".into(),
                "127.0.0.10:53".into(),
            ]),
            ..ZoneOptions::default()
        };
        let merged = merge(
            &name("example.com."),
            &configured(WrittenKeys::default()),
            &options,
            &|_| None,
        );
        let targets: Vec<String> = merged
            .notify
            .iter()
            .map(|t| t.address.to_string())
            .collect();
        assert_eq!(targets, ["127.0.0.10:53"]);
    }

    #[test]
    fn a_short_expire_is_a_warning() {
        let soa = SoaFields {
            mname: name("ns1.example.com."),
            rname: name("hostmaster.example.com."),
            refresh: 3600,
            retry: 600,
            expire: 3000,
            minimum: 300,
        };
        let warnings = soa.warnings();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].field, Field::Expire);
        assert!(warnings[0].text.contains("RFC 1912"));
        let fine = SoaFields {
            expire: 604_800,
            ..soa
        };
        assert!(fine.warnings().is_empty());
    }
}
