//! Address match lists, as BIND has them: who may transfer a zone, send a
//! NOTIFY or an UPDATE, and (later) which view a client sees.
//!
//! A list is read in order and the first element that matches decides; `!`
//! in front of an element turns its match into a refusal; nothing matching
//! means refusal. Elements are address prefixes, `key NAME` (the request
//! was signed with that TSIG key), `any`, `none`, or the name of another
//! list.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use wire::Name;

/// One element of an address match list, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatchElement {
    /// An address prefix (`10.0.0.0/8`); a bare address is a host prefix.
    Prefix(IpNet),
    /// A request signed with this TSIG key.
    Key(Name),
    /// A named list, resolved when the list is compiled.
    Acl(String),
    /// Everything.
    Any,
    /// Nothing.
    None,
}

/// An element with optional negation (BIND's `!`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchRule {
    /// `!` in front: a match here refuses.
    pub negated: bool,
    /// What is matched.
    pub element: MatchElement,
}

/// Parses one element: `[!]` followed by an address, a prefix, `key NAME`,
/// `any`, `none`, or a list name. Prefixes with host bits set are refused,
/// since they almost always hide a typo.
pub fn parse_match_rule(text: &str) -> Result<MatchRule, String> {
    let trimmed = text.trim();
    let (negated, body) = match trimmed.strip_prefix('!') {
        Some(rest) => (true, rest.trim()),
        None => (false, trimmed),
    };
    if body.is_empty() {
        return Err("empty match element".to_string());
    }
    let element = if let Some(key) = body
        .strip_prefix("key ")
        .or_else(|| body.strip_prefix("key\t"))
    {
        let name = Name::from_text(key.trim(), Some(&Name::root()))
            .map_err(|e| format!("`{}` is not a key name: {e}", key.trim()))?;
        MatchElement::Key(name)
    } else if body.eq_ignore_ascii_case("any") {
        MatchElement::Any
    } else if body.eq_ignore_ascii_case("none") {
        MatchElement::None
    } else if body.contains('/') {
        let net: IpNet = body
            .parse()
            .map_err(|_| format!("`{body}` is not an address prefix"))?;
        if net.trunc() != net {
            return Err(format!(
                "`{body}` has host bits set (did you mean {}?)",
                net.trunc()
            ));
        }
        MatchElement::Prefix(net)
    } else if let Ok(ip) = body.parse::<IpAddr>() {
        MatchElement::Prefix(IpNet::from(ip))
    } else if body
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && body.chars().any(|c| c.is_ascii_alphabetic())
    {
        MatchElement::Acl(body.to_string())
    } else {
        return Err(format!(
            "`{body}` is not an address, prefix, `key NAME`, `any`, `none` or ACL name"
        ));
    };
    Ok(MatchRule { negated, element })
}

/// A compiled list, named lists resolved.
#[derive(Clone, Debug, Default)]
pub struct MatchList {
    rules: Vec<(bool, Compiled)>,
}

#[derive(Clone, Debug)]
enum Compiled {
    Prefix(IpNet),
    Key(Name),
    Any,
    Nothing,
    Nested(Arc<MatchList>),
}

/// Who is asking: the source address and the TSIG key the request was
/// verified with, if any.
#[derive(Clone, Copy, Debug)]
pub struct Requester<'a> {
    /// Source address (IPv4-mapped IPv6 addresses count as IPv4).
    pub address: IpAddr,
    /// Verified TSIG key name.
    pub key: Option<&'a Name>,
}

impl MatchList {
    /// A list that refuses everyone.
    pub fn none() -> MatchList {
        MatchList::default()
    }

    /// Compiles `rules`, resolving list names through `lookup` (which
    /// returns the rules of a named list). Fails on unknown names and on
    /// lists that include themselves.
    pub fn compile<'a>(
        rules: &[MatchRule],
        lookup: &dyn Fn(&str) -> Option<&'a [MatchRule]>,
    ) -> Result<MatchList, String> {
        MatchList::compile_depth(rules, lookup, 0)
    }

    fn compile_depth<'a>(
        rules: &[MatchRule],
        lookup: &dyn Fn(&str) -> Option<&'a [MatchRule]>,
        depth: usize,
    ) -> Result<MatchList, String> {
        if depth > 16 {
            return Err("named lists nest too deeply (a list includes itself?)".to_string());
        }
        let mut compiled = Vec::with_capacity(rules.len());
        for rule in rules {
            let element = match &rule.element {
                MatchElement::Prefix(net) => Compiled::Prefix(*net),
                MatchElement::Key(name) => Compiled::Key(name.clone()),
                MatchElement::Any => Compiled::Any,
                MatchElement::None => Compiled::Nothing,
                MatchElement::Acl(name) => {
                    let nested =
                        lookup(name).ok_or_else(|| format!("no [[acl]] named `{name}`"))?;
                    Compiled::Nested(Arc::new(MatchList::compile_depth(
                        nested,
                        lookup,
                        depth + 1,
                    )?))
                }
            };
            compiled.push((rule.negated, element));
        }
        Ok(MatchList { rules: compiled })
    }

    /// Whether the list admits `who`.
    pub fn allows(&self, who: Requester<'_>) -> bool {
        self.decide(who) == Some(true)
    }

    /// `Some(true)` admitted, `Some(false)` refused by a negated element,
    /// `None` when nothing matched.
    fn decide(&self, who: Requester<'_>) -> Option<bool> {
        self.decide_scoped(who).0
    }

    /// Like [`MatchList::allows`], also saying how many leading bits of
    /// the address the answer depends on: every address sharing that many
    /// bits gets the same decision. Each prefix consulted before the
    /// decision counts: one that matched for its whole length, one that did
    /// not up to the first bit where the address leaves it. This is the
    /// SCOPE PREFIX-LENGTH an answer chosen by this list may carry in EDNS
    /// Client Subnet (RFC 7871 §7.2.1).
    pub fn allows_scoped(&self, who: Requester<'_>) -> (bool, u8) {
        let (decision, scope) = self.decide_scoped(who);
        (decision == Some(true), scope)
    }

    fn decide_scoped(&self, who: Requester<'_>) -> (Option<bool>, u8) {
        let address = match who.address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        let mut scope = 0u8;
        for (negated, element) in &self.rules {
            let matched = match element {
                Compiled::Prefix(net) => {
                    let contained = net.contains(&address);
                    scope = scope.max(deciding_bits(net, address, contained));
                    contained
                }
                Compiled::Key(name) => who.key == Some(name),
                Compiled::Any => true,
                Compiled::Nothing => false,
                Compiled::Nested(list) => {
                    let (inner, inner_scope) = list.decide_scoped(who);
                    scope = scope.max(inner_scope);
                    match inner {
                        // A nested list's refusal is a match of the element,
                        // which then refuses (BIND's rule), unless negated back.
                        Some(inner) => return (Some(inner != *negated), scope),
                        None => false,
                    }
                }
            };
            if matched {
                return (Some(!negated), scope);
            }
        }
        (None, scope)
    }

    /// Whether any element (in nested lists too) names a TSIG key, so that
    /// an unsigned request it refuses can be told it lacked a signature.
    pub fn names_keys(&self) -> bool {
        self.rules.iter().any(|(_, element)| match element {
            Compiled::Key(_) => true,
            Compiled::Nested(list) => list.names_keys(),
            _ => false,
        })
    }

    /// Whether the list is empty (refuses everyone).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// How many leading bits of `address` decide whether `net` contains it:
/// the prefix length when it does; otherwise up to and including the first
/// bit where the address leaves the prefix (0 for another family).
fn deciding_bits(net: &IpNet, address: IpAddr, contained: bool) -> u8 {
    if contained {
        return net.prefix_len();
    }
    let common = match (net.addr(), address) {
        (IpAddr::V4(n), IpAddr::V4(a)) => (u32::from(n) ^ u32::from(a)).leading_zeros(),
        (IpAddr::V6(n), IpAddr::V6(a)) => (u128::from(n) ^ u128::from(a)).leading_zeros(),
        _ => return 0,
    };
    u8::try_from(common + 1).map_or(net.prefix_len(), |bits| bits.min(net.prefix_len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> MatchList {
        let rules: Vec<MatchRule> = items.iter().map(|i| parse_match_rule(i).unwrap()).collect();
        MatchList::compile(&rules, &|_| None).unwrap()
    }

    fn from(address: &str) -> Requester<'static> {
        Requester {
            address: address.parse().unwrap(),
            key: None,
        }
    }

    #[test]
    fn first_match_wins_and_negation_refuses() {
        let l = list(&["!10.9.0.0/16", "10.0.0.0/8"]);
        assert!(l.allows(from("10.1.2.3")));
        assert!(!l.allows(from("10.9.2.3")));
        assert!(!l.allows(from("192.0.2.1")), "no match refuses");
        assert!(!MatchList::none().allows(from("127.0.0.1")));
        assert!(list(&["any"]).allows(from("::1")));
        assert!(
            list(&["none", "any"]).allows(from("::1")),
            "none matches nothing, so any decides"
        );
        assert!(!list(&["!any", "127.0.0.1"]).allows(from("127.0.0.1")));
    }

    #[test]
    fn keys_match_verified_requests_only() {
        let l = list(&["key xfr"]);
        let key: Name = "XFR.".parse().unwrap();
        assert!(l.allows(Requester {
            address: "192.0.2.1".parse().unwrap(),
            key: Some(&key)
        }));
        assert!(!l.allows(from("192.0.2.1")));
    }

    #[test]
    fn scope_counts_the_bits_each_consulted_prefix_looked_at() {
        let l = list(&["!10.9.0.0/16", "10.0.0.0/8", "2001:db8::/32"]);
        // 10.1.x leaves 10.9.0.0/16 at bit 13 (0x01 vs 0x09), then 10/8 matches.
        assert_eq!(l.allows_scoped(from("10.1.2.3")), (true, 13));
        assert_eq!(l.allows_scoped(from("10.9.2.3")), (false, 16));
        // 192.x leaves 10/8 at its first bit; the IPv6 prefix does not count.
        assert_eq!(l.allows_scoped(from("192.0.2.1")), (false, 1));
        assert_eq!(l.allows_scoped(from("2001:db8::1")), (true, 32));
        assert_eq!(list(&["any"]).allows_scoped(from("192.0.2.1")), (true, 0));
        assert_eq!(
            list(&["192.0.2.0/24", "any"]).allows_scoped(from("192.0.3.1")),
            (true, 24),
            "leaves the /24 at its last bit"
        );
        assert_eq!(
            list(&["127.0.0.2", "any"]).allows_scoped(from("10.1.2.3")),
            (true, 2),
            "a host prefix far away costs only the bits that differ"
        );
        // Every address sharing the scope gets the same decision.
        let l = list(&["!10.1.128.0/17", "10.1.0.0/16"]);
        let (allowed, scope) = l.allows_scoped(from("10.1.2.3"));
        assert_eq!((allowed, scope), (true, 17));
        for other in ["10.1.0.0", "10.1.127.255", "10.1.99.1"] {
            assert_eq!(l.allows_scoped(from(other)).0, allowed, "{other}");
        }
    }

    #[test]
    fn mapped_ipv6_counts_as_ipv4() {
        assert!(list(&["127.0.0.0/8"]).allows(from("::ffff:127.0.0.1")));
    }

    #[test]
    fn named_lists_nest_and_loops_are_refused() {
        let inner: Vec<MatchRule> = vec![
            parse_match_rule("!192.0.2.66").unwrap(),
            parse_match_rule("192.0.2.0/24").unwrap(),
        ];
        let outer = vec![
            parse_match_rule("lan").unwrap(),
            parse_match_rule("any").unwrap(),
        ];
        let l = MatchList::compile(&outer, &|n| (n == "lan").then_some(inner.as_slice())).unwrap();
        assert!(l.allows(from("192.0.2.1")));
        assert!(!l.allows(from("192.0.2.66")), "the nested refusal decides");
        assert!(l.allows(from("198.51.100.1")), "falls through to any");
        let looping = vec![parse_match_rule("self").unwrap()];
        assert!(MatchList::compile(&looping, &|_| Some(looping.as_slice())).is_err());
    }

    #[test]
    fn element_syntax() {
        assert!(
            parse_match_rule("10.0.0.1/8")
                .unwrap_err()
                .contains("host bits")
        );
        assert!(parse_match_rule("").is_err());
        assert_eq!(
            parse_match_rule("! any").unwrap(),
            MatchRule {
                negated: true,
                element: MatchElement::Any
            }
        );
    }
}
