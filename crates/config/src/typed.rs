//! Settings typed outside the file, in the same syntax as the file: a zone
//! kept in the store has its own NOTIFY targets and match lists (the web
//! UI's zone settings page, the API's `/settings`), read here by the same
//! rules as `notify` and `allow_transfer` in a `[[zone]]`, and written
//! back the way the file spells them.
//!
//! One difference: a named ACL (`[[acl]]`) is configuration only, so a
//! typed list refuses it (the store's settings must not break when the
//! file is edited); list the addresses instead.

use std::net::{IpAddr, SocketAddr};

use answer::acl::{MatchElement, MatchRule, parse_match_rule};
use wire::Name;

use crate::match_list::place;
use crate::validated::NotifyTarget;

/// Why a typed list was refused: which element, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}`: {message}")]
pub struct ElementError {
    /// The element's place in the list, from 0.
    pub index: usize,
    /// The element as typed.
    pub text: String,
    /// What is wrong with it.
    pub message: String,
}

/// A match list typed element by element (`192.0.2.0/24`, `!10.9.0.0/16`,
/// `key xfr`, `any`, `none`): each parsed as the file's are, then put in
/// the order they are tried (narrower exceptions first; a prefix an
/// earlier one of the same sense covers is refused). Empty elements are
/// skipped. Named ACLs are refused (see the module's note).
pub fn match_list<S: AsRef<str>>(elements: &[S]) -> Result<Vec<MatchRule>, ElementError> {
    let mut rules = Vec::with_capacity(elements.len());
    let mut listed = Vec::with_capacity(elements.len());
    for (index, text) in elements.iter().map(AsRef::as_ref).enumerate() {
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let refuse = |message: String| ElementError {
            index,
            text: text.to_string(),
            message,
        };
        let rule = parse_match_rule(text).map_err(refuse)?;
        if let MatchElement::Acl(name) = &rule.element {
            return Err(refuse(format!(
                "`{name}` is not an address, prefix, `key NAME`, `any` or `none` (named ACLs are for hadns.toml only)"
            )));
        }
        place(&mut rules, &mut listed, rule, index).map_err(refuse)?;
    }
    Ok(rules)
}

/// A list of NOTIFY targets typed element by element: `ADDR`, `ADDR:PORT`
/// or either followed by `key NAME` (port 53 when none is given), each
/// address once. Whether a key exists is the caller's to check.
pub fn notify_targets<S: AsRef<str>>(elements: &[S]) -> Result<Vec<NotifyTarget>, ElementError> {
    let mut targets: Vec<NotifyTarget> = Vec::with_capacity(elements.len());
    for (index, text) in elements.iter().map(AsRef::as_ref).enumerate() {
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let refuse = |message: String| ElementError {
            index,
            text: text.to_string(),
            message,
        };
        let words: Vec<&str> = text.split_whitespace().collect();
        let (address, key) = match words.as_slice() {
            [address] => (*address, None),
            [address, "key", name] => (*address, Some(*name)),
            _ => {
                return Err(refuse(
                    "not a NOTIFY target (expected 192.0.2.2, 192.0.2.2:5300 or 192.0.2.2 key NAME)"
                        .to_string(),
                ));
            }
        };
        let address = socket_address(address).ok_or_else(|| {
            refuse(format!(
                "`{address}` is not an address (expected 192.0.2.2:53 or [2001:db8::2]:53)"
            ))
        })?;
        let key = match key {
            None => None,
            Some(text) => Some(
                Name::from_text(text, Some(&Name::root()))
                    .map_err(|e| refuse(format!("`{text}` is not a key name: {e}")))?,
            ),
        };
        // One key per address: the driver keys its targets by address.
        if targets.iter().any(|t| t.address == address) {
            return Err(refuse(format!(
                "{address} is already a target; list each address once"
            )));
        }
        targets.push(NotifyTarget { address, key });
    }
    Ok(targets)
}

/// `ADDR:PORT`, or a bare address with port 53 (IPv6 with or without
/// brackets).
fn socket_address(text: &str) -> Option<SocketAddr> {
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Some(address);
    }
    text.trim_matches(|c| c == '[' || c == ']')
        .parse::<IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, 53))
}

/// A match list's elements as the file spells them, in the order they are
/// tried.
pub fn match_list_text(rules: &[MatchRule]) -> Vec<String> {
    rules.iter().map(crate::effective::rule_text).collect()
}

/// NOTIFY targets as the file spells them (`ADDR:PORT` or `ADDR:PORT key
/// NAME`).
pub fn notify_target_text(target: &NotifyTarget) -> String {
    match &target.key {
        Some(key) => format!("{} key {key}", target.address),
        None => target.address.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_match_lists_read_as_the_file_does() {
        let rules = match_list(&["10.0.0.0/8", "!10.9.0.0/16", "", "key xfr"]).unwrap();
        assert_eq!(
            match_list_text(&rules),
            ["!10.9.0.0/16", "10.0.0.0/8", "key xfr."]
        );
        assert_eq!(match_list_text(&match_list(&["none"]).unwrap()), ["none"]);
        assert!(match_list::<&str>(&[]).unwrap().is_empty());
    }

    #[test]
    fn a_bad_element_is_named_with_its_place() {
        let error = match_list(&["192.0.2.1", "192.0.2.300"]).unwrap_err();
        assert_eq!(error.index, 1);
        assert_eq!(error.text, "192.0.2.300");
        assert!(error.to_string().starts_with("`192.0.2.300`: "), "{error}");
        let error = match_list(&["10.0.0.0/8", "10.1.0.0/16"]).unwrap_err();
        assert_eq!(error.index, 1);
        assert!(error.message.contains("covers it"), "{error}");
        let error = match_list(&["internal"]).unwrap_err();
        assert!(error.message.contains("hadns.toml"), "{error}");
        let error = match_list(&["192.0.2.1/24"]).unwrap_err();
        assert!(error.message.contains("host bits"), "{error}");
    }

    #[test]
    fn notify_targets_take_an_optional_port_and_key() {
        let targets =
            notify_targets(&["127.0.0.9", "127.0.0.10:5300 key xfr", "[::1]:53"]).unwrap();
        let text: Vec<String> = targets.iter().map(notify_target_text).collect();
        assert_eq!(
            text,
            ["127.0.0.9:53", "127.0.0.10:5300 key xfr.", "[::1]:53"]
        );
        let error = notify_targets(&["127.0.0.9", "127.0.0.9:53"]).unwrap_err();
        assert_eq!(error.index, 1);
        let error = notify_targets(&["ns1.example."]).unwrap_err();
        assert!(error.message.contains("not an address"), "{error}");
        let error = notify_targets(&["127.0.0.9 xfr"]).unwrap_err();
        assert!(error.message.contains("not a NOTIFY target"), "{error}");
    }
}
