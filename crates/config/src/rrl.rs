//! Checking `[rrl]` (Response Rate Limiting) and a `[[view]]`'s `rrl`
//! table, whose keys override the section's one by one.

use std::collections::HashSet;

use answer::acl::MatchElement;
use toml::Spanned;
use wire::Name;

use crate::checker::Checker;
use crate::error::ConfigError;
use crate::spec::{self, RrlSpec};
use crate::validated::RrlConfig;

/// The largest rate accepted: far above any flood one prefix should get,
/// and small enough that `window × rate` debt fits the accounts.
pub const MAX_RATE: i64 = 1_000_000;
/// The longest window accepted, seconds (as BIND).
pub const MAX_WINDOW: u64 = 3600;

/// One key as read: the view's when it writes it, else the section's.
struct Pick<'s, T> {
    value: &'s Spanned<T>,
    key: String,
}

impl Checker<'_> {
    /// The RRL settings of the default view (`view` `None`) or of view
    /// number `view` with its own `rrl` table: its keys first, then
    /// `[rrl]`'s, then the defaults.
    pub(crate) fn rrl(
        &self,
        spec: &spec::FileSpec,
        view: Option<(usize, Option<&Spanned<RrlSpec>>)>,
        acl_names: &HashSet<String>,
        key_names: &HashSet<Name>,
    ) -> Result<RrlConfig, ConfigError> {
        let section = spec.rrl.as_ref().map(Spanned::get_ref);
        let (own, prefix) = match view {
            Some((i, own)) => (own.map(Spanned::get_ref), format!("view[{i}].rrl")),
            None => (None, "rrl".to_string()),
        };
        fn pick<'s, T>(
            own: Option<&'s RrlSpec>,
            section: Option<&'s RrlSpec>,
            prefix: &str,
            name: &str,
            field: impl Fn(&'s RrlSpec) -> Option<&'s Spanned<T>>,
        ) -> Option<Pick<'s, T>> {
            if let Some(value) = own.and_then(&field) {
                return Some(Pick {
                    value,
                    key: format!("{prefix}.{name}"),
                });
            }
            section.and_then(field).map(|value| Pick {
                value,
                key: format!("rrl.{name}"),
            })
        }
        let rate = |name: &str, field: fn(&RrlSpec) -> Option<&Spanned<i64>>| {
            pick(own, section, &prefix, name, field)
                .map(|p| self.int::<u32>(p.value, &p.key, 0..=MAX_RATE))
                .transpose()
        };
        let responses = rate("responses_per_second", |s| s.responses_per_second.as_ref())?;
        let responses_per_second = responses.unwrap_or(0);
        let or_responses = |r: Option<u32>| r.unwrap_or(responses_per_second);
        let nodata = rate("nodata_per_second", |s| s.nodata_per_second.as_ref())?;
        let nxdomains = rate("nxdomains_per_second", |s| s.nxdomains_per_second.as_ref())?;
        let referrals = rate("referrals_per_second", |s| s.referrals_per_second.as_ref())?;
        let errors = rate("errors_per_second", |s| s.errors_per_second.as_ref())?;
        let int = |name: &str, field: fn(&RrlSpec) -> Option<&Spanned<i64>>, range, default| {
            pick(own, section, &prefix, name, field)
                .map_or(Ok(default), |p| self.int::<u8>(p.value, &p.key, range))
        };
        let slip = int("slip", |s| s.slip.as_ref(), 0..=10, 2)?;
        let ipv4_prefix_length = int(
            "ipv4_prefix_length",
            |s| s.ipv4_prefix_length.as_ref(),
            0..=32,
            24,
        )?;
        let ipv6_prefix_length = int(
            "ipv6_prefix_length",
            |s| s.ipv6_prefix_length.as_ref(),
            0..=128,
            56,
        )?;
        let window = match pick(own, section, &prefix, "window", |s| s.window.as_ref()) {
            None => 15,
            Some(p) => {
                let seconds = self.duration(p.value, &p.key)?.as_secs();
                if !(1..=MAX_WINDOW).contains(&seconds) {
                    return Err(self.at(
                        p.value,
                        &p.key,
                        format!("{seconds}s is out of range (1..={MAX_WINDOW} seconds)"),
                    ));
                }
                seconds as u32
            }
        };
        let flag = |field: fn(&RrlSpec) -> Option<bool>, default: bool| {
            own.and_then(field)
                .or_else(|| section.and_then(field))
                .unwrap_or(default)
        };
        let (list, list_key) = match (
            own.and_then(|s| s.exempt_clients.as_ref()),
            section.and_then(|s| s.exempt_clients.as_ref()),
        ) {
            (Some(list), _) => (list.as_slice(), format!("{prefix}.exempt_clients")),
            (None, Some(list)) => (list.as_slice(), "rrl.exempt_clients".to_string()),
            (None, None) => (&[][..], String::new()),
        };
        let exempt_clients = self.match_list(list, &list_key, acl_names, key_names)?;
        for (i, rule) in exempt_clients.iter().enumerate() {
            if let MatchElement::Key(name) = &rule.element {
                // A UDP query limited by RRL is judged before any key is
                // looked at: such an element could never match.
                return Err(self.at(
                    &list[i],
                    format!("{list_key}[{i}]"),
                    format!("`key {name}`: exempt_clients matches addresses only"),
                ));
            }
        }
        Ok(RrlConfig {
            enabled: flag(|s| s.enabled, true),
            responses_per_second,
            nodata_per_second: or_responses(nodata),
            nxdomains_per_second: or_responses(nxdomains),
            referrals_per_second: or_responses(referrals),
            errors_per_second: or_responses(errors),
            slip,
            window,
            ipv4_prefix_length,
            ipv6_prefix_length,
            exempt_clients,
            log_only: flag(|s| s.log_only, false),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;

    fn error(text: &str) -> (Option<usize>, String, String) {
        let e = Config::parse(text, None).expect_err("refused");
        (e.line, e.key, e.message)
    }

    #[test]
    fn without_a_section_nothing_is_limited() {
        let config = Config::parse("version = 1\n", None).expect("valid");
        assert!(!config.rrl.is_active());
        assert_eq!((config.rrl.slip, config.rrl.window), (2, 15));
        assert_eq!(
            (config.rrl.ipv4_prefix_length, config.rrl.ipv6_prefix_length),
            (24, 56)
        );
    }

    #[test]
    fn rates_of_each_kind_default_to_responses_per_second() {
        let text = "version = 1\n[rrl]\nresponses_per_second = 10\nerrors_per_second = 3\n";
        let rrl = Config::parse(text, None).expect("valid").rrl;
        assert!(rrl.is_active());
        assert_eq!(
            [
                rrl.responses_per_second,
                rrl.nodata_per_second,
                rrl.nxdomains_per_second,
                rrl.referrals_per_second,
                rrl.errors_per_second
            ],
            [10, 10, 10, 10, 3]
        );
    }

    #[test]
    fn a_view_overrides_the_section_key_by_key() {
        let text = r#"version = 1
[rrl]
responses_per_second = 10
slip = 3
exempt_clients = ["192.0.2.0/24"]

[[view]]
name = "inside"
match_clients = ["10.0.0.0/8"]
rrl = { enabled = false }

[[view]]
name = "outside"
match_clients = ["any"]
[view.rrl]
responses_per_second = 5
window = "30s"
"#;
        let config = Config::parse(text, None).expect("valid");
        assert!(config.rrl.is_active());
        assert!(!config.views[0].rrl.is_active());
        let outside = &config.views[1].rrl;
        assert_eq!(outside.responses_per_second, 5);
        assert_eq!(outside.nxdomains_per_second, 5);
        assert_eq!((outside.slip, outside.window), (3, 30));
        assert_eq!(outside.exempt_clients.len(), 1);
        let listed = config.effective_settings();
        let value = |key: &str| {
            listed
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(value("rrl.responses_per_second"), Some("10"));
        assert_eq!(value("view[1].rrl.window"), Some("30"));
        assert_eq!(value("view[0].rrl.enabled"), Some("false"));
        assert_eq!(value("rrl.exempt_clients"), Some("192.0.2.0/24"));
    }

    #[test]
    fn errors_name_the_setting_and_line() {
        let (line, key, message) = error("version = 1\n[rrl]\nslip = 11\n");
        assert_eq!((line, key.as_str()), (Some(3), "rrl.slip"));
        assert!(message.contains("out of range"), "{message}");
        let (line, key, _) = error("version = 1\n[rrl]\nresponses_per_second = -1\n");
        assert_eq!((line, key.as_str()), (Some(3), "rrl.responses_per_second"));
        let (line, key, _) = error("version = 1\n[rrl]\n\nwindow = 0\n");
        assert_eq!((line, key.as_str()), (Some(4), "rrl.window"));
        let (line, key, _) = error("version = 1\n[rrl]\nipv6_prefix_length = 129\n");
        assert_eq!((line, key.as_str()), (Some(3), "rrl.ipv6_prefix_length"));
        let text = "version = 1\n[[view]]\nname = \"v\"\n[view.rrl]\nwindow = 4000\n";
        let (line, key, _) = error(text);
        assert_eq!((line, key.as_str()), (Some(5), "view[0].rrl.window"));
        let text = "version = 1\n[rrl]\nexempt_clients = [\"10.0.0.0/8\", \"key k\"]\n";
        let (line, key, message) = error(text);
        assert_eq!((line, key.as_str()), (Some(3), "rrl.exempt_clients[1]"));
        assert!(message.contains("addresses only"), "{message}");
        let (line, key, _) = error("version = 1\n[rrl]\nburst = 4\n");
        assert_eq!(line, Some(3));
        assert!(key.contains("rrl"), "{key}");
    }
}
