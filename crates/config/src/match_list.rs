//! Address match lists as the file writes them (`["10.0.0.0/8", "!10.9.0.0/16",
//! "key xfr", "acl internal"]`), checked and put in the order they are tried.

use std::collections::HashSet;

use answer::acl::{MatchElement, MatchRule, parse_match_rule};
use toml::Spanned;
use wire::Name;

use crate::checker::Checker;
use crate::error::{ConfigError, UnconfiguredKey};

impl Checker<'_> {
    /// Checks a match list: every element parsed, named ACLs defined, keys
    /// not defined noted, prefixes placed.
    pub(crate) fn match_list(
        &self,
        values: &[Spanned<String>],
        key: &str,
        acls: &HashSet<String>,
        keys: &HashSet<Name>,
    ) -> Result<Vec<MatchRule>, ConfigError> {
        let mut rules = Vec::with_capacity(values.len());
        // Where each rule of `rules` was written, for messages.
        let mut listed = Vec::with_capacity(values.len());
        for (i, value) in values.iter().enumerate() {
            let key = format!("{key}[{i}]");
            let rule = parse_match_rule(value.get_ref()).map_err(|m| self.at(value, &key, m))?;
            match &rule.element {
                MatchElement::Acl(name) if !acls.contains(name) => {
                    return Err(self.at(value, &key, format!("no [[acl]] named `{name}`")));
                }
                MatchElement::Key(name) if !keys.contains(name) => {
                    // Keys may live in the store (made through the API), which
                    // the configuration cannot see: accept, and let the node
                    // warn at start if the store lacks it too.
                    self.unconfigured_keys.borrow_mut().push(UnconfiguredKey {
                        name: name.clone(),
                        place: self.at(
                            value,
                            &key,
                            format!("no [[key]] named `{name}`; the element matches nothing until a key of that name is made through the API (/tsigkeys)"),
                        ),
                    });
                }
                _ => {}
            }
            place(&mut rules, &mut listed, rule, i).map_err(|m| self.at(value, &key, m))?;
        }
        Ok(rules)
    }
}

/// Adds the `index`th element of a list to the rules in the order they are
/// tried (the first match decides, as in BIND), with one difference that
/// makes nested prefixes mean what they say: an address prefix inside an
/// earlier wider one of the opposite sense (`10.0.0.0/8, !10.9.0.0/16`,
/// or `any, !192.0.2.0/24`) is an exception to it and is tried before it,
/// as the longest prefix would decide — in BIND it could never match. A
/// prefix inside an earlier one of the same sense, or listed twice, can
/// never decide anything and is refused, naming both.
pub(crate) fn place(
    rules: &mut Vec<MatchRule>,
    listed: &mut Vec<usize>,
    rule: MatchRule,
    index: usize,
) -> Result<(), String> {
    let MatchElement::Prefix(net) = &rule.element else {
        rules.push(rule);
        listed.push(index);
        return Ok(());
    };
    let sense = |r: &MatchRule| if r.negated { "!" } else { "" };
    let covering = rules.iter().position(|before| match &before.element {
        MatchElement::Any => true,
        MatchElement::Prefix(wider) => wider.contains(net),
        _ => false,
    });
    let Some(at) = covering else {
        rules.push(rule);
        listed.push(index);
        return Ok(());
    };
    let before = &rules[at];
    let shown = match &before.element {
        MatchElement::Prefix(wider) => wider.to_string(),
        _ => "any".to_string(),
    };
    if matches!(&before.element, MatchElement::Prefix(wider) if wider == net) {
        return Err(format!(
            "`{}{net}` overlaps `{}{shown}` (element {}): the same prefix is listed twice; keep one",
            sense(&rule),
            sense(before),
            listed[at]
        ));
    }
    if before.negated == rule.negated {
        return Err(format!(
            "`{}{net}` overlaps `{}{shown}` (element {}), which covers it with the same sense, so it can never decide anything; remove it",
            sense(&rule),
            sense(before),
            listed[at]
        ));
    }
    rules.insert(at, rule);
    listed.insert(at, index);
    Ok(())
}
