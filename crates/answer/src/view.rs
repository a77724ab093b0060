//! Views (split horizon): which view a request is answered from.
//!
//! Views are tried in their configured order and the first that matches
//! wins; a request no view matches is REFUSED. A view matches a request
//! signed with one of its `match_keys`, or whose client address its
//! `match_clients` list admits. With `match_ecs`, the client address is the
//! EDNS Client Subnet address (RFC 7871) when the query comes from a
//! resolver in `ecs_trusted`; the selection then also says how many bits of
//! that subnet it depended on, the SCOPE PREFIX-LENGTH of the answer, so a
//! resolver caches it for exactly the clients it fits.
//!
//! Pure: built once per served snapshot; [`Views::select`] allocates
//! nothing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use wire::Name;
use wire::request::ClientSubnet;

use crate::acl::{MatchList, Requester};

/// One view's matching rules.
#[derive(Clone, Debug)]
pub struct View {
    /// Its name, as configured.
    pub name: String,
    clients: MatchList,
    keys: Vec<Name>,
    ecs_trusted: Option<MatchList>,
}

impl View {
    /// A view serving `clients`, requests signed with `keys`, and, when
    /// `ecs_trusted` is given, clients named by EDNS Client Subnet in
    /// queries from those resolvers.
    pub fn new(
        name: &str,
        clients: MatchList,
        keys: Vec<Name>,
        ecs_trusted: Option<MatchList>,
    ) -> View {
        View {
            name: name.to_string(),
            clients,
            keys: keys.iter().map(Name::to_lowercase).collect(),
            ecs_trusted,
        }
    }
}

/// The views of a node, in match order.
#[derive(Clone, Debug, Default)]
pub struct Views {
    views: Vec<View>,
}

/// The view a request belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selected {
    /// Its position in the configured order; `None` when no view matches
    /// (the request is REFUSED).
    pub index: Option<usize>,
    /// When the choice looked at an EDNS Client Subnet address: how many of
    /// its leading bits decided it (the answer's SCOPE PREFIX-LENGTH, in
    /// the option's own family). `None` when no ECS address was consulted.
    pub ecs_scope: Option<u8>,
}

impl Views {
    /// Views in match order.
    pub fn new(views: Vec<View>) -> Views {
        Views { views }
    }

    /// Whether no view is configured (every request is answered from the
    /// one default view).
    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }

    /// The views, in match order.
    pub fn list(&self) -> &[View] {
        &self.views
    }

    /// The view for a request from `source`, signed with `key` if any,
    /// carrying `ecs` if any.
    pub fn select(
        &self,
        source: IpAddr,
        key: Option<&Name>,
        ecs: Option<&ClientSubnet>,
    ) -> Selected {
        let subnet = ecs.and_then(ecs_address);
        // An IPv4-mapped IPv6 subnet is matched as IPv4; its scope is then
        // counted in IPv6 bits, the 96 fixed ones first.
        let mapped = ecs.is_some_and(|e| e.family == 2) && subnet.is_some_and(|a| a.is_ipv4());
        let mut scope: Option<u8> = None;
        for (index, view) in self.views.iter().enumerate() {
            if key.is_some_and(|k| view.keys.iter().any(|v| v == k)) {
                return Selected {
                    index: Some(index),
                    ecs_scope: scope,
                };
            }
            let trusted = view.ecs_trusted.as_ref().is_some_and(|trusted| {
                trusted.allows(Requester {
                    address: source,
                    key,
                })
            });
            let (address, by_subnet) = match subnet {
                Some(address) if trusted => (address, true),
                _ => (source, false),
            };
            let (admitted, consulted) = view.clients.allows_scoped(Requester { address, key });
            if by_subnet {
                let consulted = if mapped && consulted > 0 {
                    consulted.saturating_add(96)
                } else {
                    consulted
                };
                scope = Some(scope.unwrap_or(0).max(consulted));
            }
            if admitted {
                return Selected {
                    index: Some(index),
                    ecs_scope: scope,
                };
            }
        }
        Selected {
            index: None,
            ecs_scope: scope,
        }
    }
}

/// The client address an ECS option names; `None` for a SOURCE
/// PREFIX-LENGTH of 0, by which a resolver says it sends no client
/// information (RFC 7871 §7.1.2).
fn ecs_address(ecs: &ClientSubnet) -> Option<IpAddr> {
    if ecs.source_prefix == 0 {
        return None;
    }
    match ecs.family {
        1 => {
            let octets: [u8; 4] = ecs.address[..4].try_into().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(octets)))
        }
        2 => {
            let v6 = Ipv6Addr::from(ecs.address);
            Some(v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::parse_match_rule;

    fn list(items: &[&str]) -> MatchList {
        let rules: Vec<_> = items.iter().map(|i| parse_match_rule(i).unwrap()).collect();
        MatchList::compile(&rules, &|_| None).unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn subnet(text: &str) -> ClientSubnet {
        let net: ipnet::IpNet = text.parse().unwrap();
        let mut address = [0u8; 16];
        let family = match net.addr() {
            IpAddr::V4(v4) => {
                address[..4].copy_from_slice(&v4.octets());
                1
            }
            IpAddr::V6(v6) => {
                address.copy_from_slice(&v6.octets());
                2
            }
        };
        ClientSubnet {
            family,
            source_prefix: net.prefix_len(),
            scope_prefix: 0,
            address,
        }
    }

    #[test]
    fn the_first_view_that_admits_the_client_wins() {
        let views = Views::new(vec![
            View::new("a", list(&["127.0.0.2"]), vec![], None),
            View::new("b", list(&["any"]), vec![], None),
        ]);
        let pick = |source: &str| views.select(ip(source), None, None).index;
        assert_eq!(pick("127.0.0.2"), Some(0));
        assert_eq!(pick("127.0.0.3"), Some(1));
        assert_eq!(pick("::1"), Some(1));
        let closed = Views::new(vec![View::new(
            "a",
            list(&["!127.0.0.3", "127.0.0.0/8"]),
            vec![],
            None,
        )]);
        assert_eq!(
            closed.select(ip("127.0.0.3"), None, None).index,
            None,
            "no view: REFUSED"
        );
        assert_eq!(closed.select(ip("127.0.0.4"), None, None).index, Some(0));
    }

    #[test]
    fn a_signed_request_selects_its_keys_view() {
        let internal: Name = "Internal-Key.".parse().unwrap();
        let views = Views::new(vec![
            View::new("internal", list(&[]), vec![internal.clone()], None),
            View::new("external", list(&["any"]), vec![], None),
        ]);
        let lower: Name = "internal-key.".parse().unwrap();
        assert_eq!(
            views.select(ip("192.0.2.1"), Some(&lower), None).index,
            Some(0)
        );
        let other: Name = "other.".parse().unwrap();
        assert_eq!(
            views.select(ip("192.0.2.1"), Some(&other), None).index,
            Some(1)
        );
        assert_eq!(views.select(ip("192.0.2.1"), None, None).index, Some(1));
        // `key NAME` inside match_clients works too.
        let by_list = Views::new(vec![View::new("k", list(&["key other"]), vec![], None)]);
        assert!(
            by_list
                .select(ip("192.0.2.1"), Some(&other), None)
                .index
                .is_some()
        );
        assert!(by_list.select(ip("192.0.2.1"), None, None).index.is_none());
    }

    #[test]
    fn trusted_resolvers_choose_by_client_subnet_with_the_deciding_scope() {
        let views = Views::new(vec![
            View::new(
                "east",
                list(&["!10.1.128.0/17", "10.1.0.0/16"]),
                vec![],
                Some(list(&["127.0.0.0/8"])),
            ),
            View::new(
                "west",
                list(&["10.0.0.0/8", "any"]),
                vec![],
                Some(list(&["127.0.0.0/8"])),
            ),
        ]);
        let resolver = ip("127.0.0.1");
        let pick = |ecs: &str| views.select(resolver, None, Some(&subnet(ecs)));
        assert_eq!(
            pick("10.1.2.0/24"),
            Selected {
                index: Some(0),
                ecs_scope: Some(17)
            },
            "the /17 exclusion was consulted, so 17 bits decided"
        );
        assert_eq!(
            pick("10.1.200.0/24"),
            Selected {
                index: Some(1),
                ecs_scope: Some(17)
            }
        );
        assert_eq!(
            pick("10.2.0.0/24"),
            Selected {
                index: Some(1),
                ecs_scope: Some(15)
            },
            "east's prefixes were looked at before west admitted it: 10.2 leaves 10.1 at bit 15"
        );
        // From a resolver that is not trusted, its own address decides and
        // no scope is claimed.
        assert_eq!(
            views.select(ip("192.0.2.53"), None, Some(&subnet("10.1.2.0/24"))),
            Selected {
                index: Some(1),
                ecs_scope: None
            }
        );
        // SOURCE PREFIX-LENGTH 0: no client information; the resolver's
        // address decides.
        assert_eq!(
            views.select(resolver, None, Some(&subnet("0.0.0.0/0"))),
            Selected {
                index: Some(1),
                ecs_scope: None
            }
        );
        let v6 = views.select(resolver, None, Some(&subnet("2001:db8::/56")));
        assert_eq!(v6.index, Some(1), "no IPv6 prefix in east");
        assert_eq!(v6.ecs_scope, Some(0));
        // When no view admits the subnet, the scope that decided so is
        // still given (the REFUSED answer carries it).
        let only_east = Views::new(vec![View::new(
            "east",
            list(&["10.1.0.0/16"]),
            vec![],
            Some(list(&["127.0.0.0/8"])),
        )]);
        assert_eq!(
            only_east.select(resolver, None, Some(&subnet("10.2.0.0/24"))),
            Selected {
                index: None,
                ecs_scope: Some(15)
            }
        );
        // An IPv4-mapped IPv6 subnet matches the IPv4 rules, with a scope
        // in IPv6 bits.
        let mapped = views.select(resolver, None, Some(&subnet("::ffff:10.1.2.0/120")));
        assert_eq!(mapped.index, Some(0));
        assert_eq!(mapped.ecs_scope, Some(96 + 17));
    }
}
