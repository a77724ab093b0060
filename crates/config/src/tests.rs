use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use wire::tsig::Algorithm;

use super::*;

/// The example of DESIGN.md, which is the contract tools write against.
const CONTRACT: &str = r#"version = 1

[node]
name = "ns1"
data_dir = "/var/lib/hadns"

[dns]
listen = ["0.0.0.0:53", "[::]:53"]
version = "none"

[api]
listen = "127.0.0.1:8053"

[[key]]
name = "xfr"
algorithm = "hmac-sha256"
secret = "c2VjcmV0c2VjcmV0c2VjcmV0"

[[key]]
name = "internal-xfr"
algorithm = "hmac-md5"
secret = "c2VjcmV0c2VjcmV0c2VjcmV0"

[[key]]
name = "ddns"
algorithm = "hmac-sha512"
secret = "c2VjcmV0c2VjcmV0c2VjcmV0"

[[view]]
name = "internal"
match_clients = ["10.0.0.0/8", "!10.9.0.0/16"]
match_keys = ["internal-xfr"]

[[zone]]
name = "example.com"
view = "internal"
role = "primary"
file = "zones/example.com.zone"
notify = ["192.0.2.2:53", "192.0.2.3:53"]
notify_key = "xfr"
allow_transfer = ["key xfr", "192.0.2.0/24"]
allow_update = ["key ddns"]

[[zone]]
name = "example.net"
role = "secondary"
primaries = ["192.0.2.1:53"]
primary_key = "xfr"

[log]
queries = false
query_file = "query.log"
max_size = "2MiB"
keep = 3
"#;

fn error(text: &str) -> ConfigError {
    Config::parse(text, Some(Path::new("/etc/hadns/hadns.toml"))).unwrap_err()
}

#[test]
fn the_design_contract_parses() {
    let config = Config::parse(CONTRACT, Some(Path::new("/etc/hadns/hadns.toml"))).unwrap();
    assert_eq!(config.node.name, "ns1");
    assert_eq!(config.dns.listen.len(), 2);
    assert_eq!(config.dns.version, None);
    assert_eq!(config.keys[1].algorithm, Algorithm::HmacMd5);
    // "10/8 but not 10.9/16": the exception is tried first.
    assert_eq!(
        config.views[0].match_clients[0],
        MatchRule {
            negated: true,
            element: MatchElement::Prefix("10.9.0.0/16".parse().unwrap())
        }
    );
    let zone = &config.zones[0];
    assert_eq!(
        zone.file.as_deref(),
        Some(Path::new("/etc/hadns/zones/example.com.zone"))
    );
    assert_eq!(
        zone.allow_transfer[0].element,
        MatchElement::Key("xfr.".parse().unwrap())
    );
    assert_eq!(zone.line, Some(34));
    assert_eq!(config.zones[1].role, Role::Secondary);
    assert_eq!(config.log.max_size, 2 * 1024 * 1024);
}

#[test]
fn defaults_fill_an_empty_file() {
    let config = Config::parse("version = 1\n", None).unwrap();
    assert_eq!(
        config.dns.listen,
        vec!["127.0.0.1:5353".parse::<SocketAddr>().unwrap()]
    );
    assert_eq!(config.dns.edns_udp_payload, 1232);
    assert!(config.dns.builtin_zones);
    assert_eq!(config.dns.tcp_idle_timeout, Duration::from_secs(10));
}

#[test]
fn node_user_group_and_chroot_are_read() {
    let config = Config::parse(
        "version = 1\n[node]\nuser = \"hadns\"\ngroup = \"dns-admins\"\nchroot = \"/var/lib/hadns/chroot\"\n",
        None,
    )
    .unwrap();
    assert_eq!(config.node.user.as_deref(), Some("hadns"));
    assert_eq!(config.node.group.as_deref(), Some("dns-admins"));
    assert_eq!(
        config.node.chroot.as_deref(),
        Some(Path::new("/var/lib/hadns/chroot"))
    );
    let settings: std::collections::HashMap<_, _> =
        config.effective_settings().into_iter().collect();
    assert_eq!(settings["node.user"], "hadns");
    assert_eq!(settings["node.chroot"], "/var/lib/hadns/chroot");
    let plain = Config::parse("version = 1\n", None).unwrap();
    assert_eq!(
        (plain.node.user, plain.node.group, plain.node.chroot),
        (None, None, None)
    );
}

#[test]
fn node_user_group_and_chroot_are_checked() {
    let e = error("version = 1\n[node]\nuser = \"had dns\"\n");
    assert_eq!((e.line, e.key.as_str()), (Some(3), "node.user"));
    assert!(e.message.contains("not a user or group name"), "{e}");
    let e = error("version = 1\n[node]\nuser = \"\"\n");
    assert_eq!(e.key, "node.user");
    let e = error("version = 1\n[node]\ngroup = \"bind\"\n");
    assert_eq!((e.line, e.key.as_str()), (Some(3), "node.group"));
    assert!(e.message.contains("needs `node.user`"), "{e}");
    let e = error("version = 1\n[node]\nuser = \"hadns\"\nchroot = \"chroot\"\n");
    assert_eq!((e.line, e.key.as_str()), (Some(4), "node.chroot"));
    assert!(e.message.contains("absolute"), "{e}");
    let e = error("version = 1\n[node]\nuser = \"hadns\"\nchroot = \"/\"\n");
    assert_eq!(e.key, "node.chroot");
    let e = error("version = 1\n[node]\nchroot = \"/srv/hadns\"\n");
    assert!(e.message.contains("needs `node.user`"), "{e}");
    let e = error("version = 1\n[node]\nuser = \"hadns\"\nsandbox = true\n");
    assert!(e.message.contains("unknown field `sandbox`"), "{e}");
}

#[test]
fn a_chrooted_data_dir_is_found_from_the_host() {
    let file = Path::new("/srv/hadns/etc/hadns.toml");
    let text = "version = 1\n[node]\nuser = \"hadns\"\nchroot = \"/srv/hadns\"\n";
    let absolute = Config::parse(
        &format!("{text}data_dir = \"/var/lib/hadns\"\n"),
        Some(file),
    )
    .unwrap();
    assert_eq!(
        absolute.node.data_dir_from_host(),
        Path::new("/srv/hadns/var/lib/hadns")
    );
    let relative = Config::parse(&format!("{text}data_dir = \"data\"\n"), Some(file)).unwrap();
    assert_eq!(
        relative.node.data_dir_from_host(),
        Path::new("/srv/hadns/etc/data")
    );
    let plain = Config::parse(
        "version = 1\n[node]\ndata_dir = \"/var/lib/hadns\"\n",
        Some(file),
    )
    .unwrap();
    assert_eq!(plain.node.data_dir_from_host(), Path::new("/var/lib/hadns"));
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let e = error("version = 1\n[dns]\nlisten = [\"127.0.0.1:53\"]\nlistne = 3\n");
    assert_eq!(e.line, Some(4));
    assert!(e.message.contains("unknown field `listne`"), "{e}");
    assert!(
        e.to_string().starts_with("/etc/hadns/hadns.toml:4: "),
        "{e}"
    );
}

#[test]
fn wrong_type_names_the_key_path() {
    let e = error("version = 1\n[[zone]]\nname = \"a.example\"\n[[zone]]\nname = 5\n");
    assert_eq!(e.line, Some(5));
    assert_eq!(e.key, "zone[1].name");
}

#[test]
fn bad_values_are_refused_with_line_and_key() {
    let e = error("version = 1\n[[zone]]\nname = \"a.example\"\nrole = \"master-of-puppets\"\n");
    assert_eq!((e.line, e.key.as_str()), (Some(4), "zone[0].role"));
    let e = error("version = 1\n[dns]\nlisten = [\"127.0.0.1:53\", \"localhost\"]\n");
    assert_eq!((e.line, e.key.as_str()), (Some(3), "dns.listen[1]"));
    let e = error("version = 1\n[dns]\nedns_udp_payload = 70000\n");
    assert_eq!(e.key, "dns.edns_udp_payload");
    let e =
        error("version = 1\n[[key]]\nname = \"k\"\nalgorithm = \"hmac-sha3\"\nsecret = \"aGk=\"\n");
    assert_eq!((e.line, e.key.as_str()), (Some(4), "key[0].algorithm"));
    let e = error(
        "version = 1\n[[key]]\nname = \"k\"\nalgorithm = \"hmac-sha256\"\nsecret = \"not base64!\"\n",
    );
    assert_eq!(e.key, "key[0].secret");
    let e = error("version = 1\n[[acl]]\nname = \"lan\"\naddresses = [\"10.0.0.1/8\"]\n");
    assert!(e.message.contains("host bits"), "{e}");
}

#[test]
fn references_must_resolve() {
    let e = error("version = 1\n[[zone]]\nname = \"a.example\"\nview = \"outside\"\n");
    assert_eq!((e.line, e.key.as_str()), (Some(4), "zone[0].view"));
    let e = error("version = 1\n[[zone]]\nname = \"a.example\"\nnotify_key = \"nokey\"\n");
    assert_eq!(e.key, "zone[0].notify_key");
    let e = error("version = 1\n[[view]]\nname = \"v\"\nmatch_clients = [\"nolist\"]\n");
    assert!(e.message.contains("no [[acl]] named `nolist`"));
    let e = error("version = 1\n[[view]]\nname = \"v\"\nmatch_keys = [\"nokey\"]\n");
    assert_eq!((e.line, e.key.as_str()), (Some(4), "view[0].match_keys[0]"));
    let e = error("version = 1\n[[view]]\nname = \"v\"\nmatch_clients = [\"10.0.0.1/8\"]\n");
    assert!(e.message.contains("host bits set"), "{e}");
}

#[test]
fn match_lists_may_name_keys_kept_in_the_store() {
    // A key made through the API lives in the store, which the file cannot
    // see: the element is accepted and reported, with where it is written.
    let config = Config::parse(
        "version = 1\n[[key]]\nname = \"k\"\nalgorithm = \"hmac-sha256\"\nsecret = \"aGVsbG8=\"\n\
         [[zone]]\nname = \"a.example\"\nallow_transfer = [\"key k\", \"key api-made\"]\n",
        Some(Path::new("/etc/hadns/hadns.toml")),
    )
    .unwrap();
    assert_eq!(config.unconfigured_keys.len(), 1);
    let missing = &config.unconfigured_keys[0];
    assert_eq!(missing.name.to_string(), "api-made.");
    assert_eq!(
        (missing.place.line, missing.place.key.as_str()),
        (Some(8), "zone[0].allow_transfer[1]")
    );
    assert!(
        missing.place.to_string().contains("/tsigkeys"),
        "{}",
        missing.place
    );
}

#[test]
fn cors_origins_are_web_origins() {
    let config = Config::parse(
        "version = 1\n[api]\ncors_origins = [\"https://Admin.Example\", \"http://127.0.0.1:8080\", \"http://[::1]:9\"]\n",
        None,
    )
    .unwrap();
    assert_eq!(
        config.api.cors_origins,
        [
            "https://admin.example",
            "http://127.0.0.1:8080",
            "http://[::1]:9"
        ]
    );
    for bad in [
        "admin.example",
        "https://admin.example/",
        "https://a:x",
        "ftp://a",
        "https://",
    ] {
        let e = error(&format!("version = 1\n[api]\ncors_origins = [\"{bad}\"]\n"));
        assert_eq!(
            (e.line, e.key.as_str()),
            (Some(3), "api.cors_origins[0]"),
            "{bad}: {e}"
        );
    }
    let e = error("version = 1\n[api]\ncors_origins = [\"https://a\", \"https://A\"]\n");
    assert!(e.message.contains("twice"), "{e}");
}

#[test]
fn effective_settings_show_no_secrets() {
    let config = Config::parse(CONTRACT, Some(Path::new("/etc/hadns/hadns.toml"))).unwrap();
    let settings = config.effective_settings();
    let value = |name: &str| {
        settings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(value("node.name"), "ns1");
    assert_eq!(value("dns.listen"), "0.0.0.0:53, [::]:53");
    assert_eq!(value("zone[0].allow_transfer"), "key xfr., 192.0.2.0/24");
    assert_eq!(value("key[0].algorithm"), "hmac-sha256");
    for key in &config.keys {
        let secret = wire::base64::encode(&key.secret);
        assert!(
            settings.iter().all(|(_, v)| !v.contains(&secret)),
            "the secret of {} is shown",
            key.name
        );
    }
    assert!(settings.iter().all(|(n, _)| !n.contains("secret")));
}

#[test]
fn nested_prefixes_are_exceptions_and_redundant_ones_are_refused() {
    // A narrower prefix of the opposite sense is an exception to the wider
    // one wherever it is written: it is tried first.
    let config = Config::parse(
        "version = 1\n[[view]]\nname = \"v\"\nmatch_clients = [\"10.0.0.0/8\", \"key k\", \"!10.9.0.0/16\", \"10.9.1.0/24\"]\n\
         [[key]]\nname = \"k\"\nalgorithm = \"hmac-sha256\"\nsecret = \"aGk=\"\n",
        None,
    )
    .expect("exceptions after the wider rule");
    let order: Vec<String> = config.views[0]
        .match_clients
        .iter()
        .map(|r| format!("{}{:?}", if r.negated { "!" } else { "" }, r.element))
        .collect();
    assert_eq!(
        order,
        [
            "Prefix(10.9.1.0/24)",
            "!Prefix(10.9.0.0/16)",
            "Prefix(10.0.0.0/8)",
            "Key(Name(k.))"
        ]
    );
    // A narrower prefix of the same sense can never decide anything.
    let e = error(
        "version = 1\n[[view]]\nname = \"v\"\nmatch_clients = [\n  \"10.0.0.0/8\",\n  \"10.1.0.0/16\",\n]\n",
    );
    assert_eq!(
        (e.line, e.key.as_str()),
        (Some(6), "view[0].match_clients[1]")
    );
    assert!(
        e.message
            .contains("`10.1.0.0/16` overlaps `10.0.0.0/8` (element 0)"),
        "{e}"
    );
    let e = error("version = 1\n[[acl]]\nname = \"lan\"\naddresses = [\"any\", \"192.0.2.1\"]\n");
    assert!(e.message.contains("overlaps `any` (element 0)"), "{e}");
    let e = error(
        "version = 1\n[[zone]]\nname = \"a.example\"\nallow_transfer = [\"192.0.2.0/24\", \"!192.0.2.0/24\"]\n",
    );
    assert_eq!(e.key, "zone[0].allow_transfer[1]");
    assert!(e.message.contains("listed twice"), "{e}");
}

#[test]
fn an_nsid_must_leave_room_in_small_answers() {
    let long = "n".repeat(MAX_NSID + 1);
    let e = error(&format!("version = 1\n[dns]\nnsid = \"{long}\"\n"));
    assert_eq!((e.line, e.key.as_str()), (Some(3), "dns.nsid"));
    let fits = "n".repeat(MAX_NSID);
    assert!(Config::parse(&format!("version = 1\n[dns]\nnsid = \"{fits}\"\n"), None).is_ok());
}

#[test]
fn view_names_are_safe_and_ecs_needs_trusted_resolvers() {
    for bad in ["../up", ".hidden", "", "a b", "x/y"] {
        let e = error(&format!("version = 1\n[[view]]\nname = \"{bad}\"\n"));
        assert_eq!(
            (e.line, e.key.as_str()),
            (Some(3), "view[0].name"),
            "{bad:?}"
        );
    }
    let e = error("version = 1\n[[view]]\nname = \"geo\"\nmatch_ecs = true\n");
    assert_eq!(e.key, "view[0].ecs_trusted");
    let e = error("version = 1\n[[view]]\nname = \"v\"\n[[view]]\nname = \"v\"\n");
    assert!(e.message.contains("defined twice"), "{e}");
}

#[test]
fn duplicates_and_missing_pieces_are_refused() {
    let e = error("version = 1\n[[zone]]\nname = \"a.example\"\n[[zone]]\nname = \"A.example.\"\n");
    assert_eq!((e.line, e.key.as_str()), (Some(5), "zone[1].name"));
    let e = error("[dns]\n");
    assert_eq!(e.key, "version");
    let e = error("version = 2\n");
    assert_eq!(e.line, Some(1));
    let e = error("version = 1\n[[zone]]\nname = \"a.example\"\nrole = \"secondary\"\n");
    assert_eq!(e.key, "zone[0].primaries");
}

#[test]
fn toml_syntax_errors_have_a_line() {
    let e = error("version = 1\n[dns\nlisten = 1\n");
    assert_eq!(e.line, Some(2));
}

#[test]
fn secret_file_accepts_bind_key_clauses() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("k.key"),
        "key \"k\" {\n\talgorithm hmac-sha256;\n\tsecret \"aGVsbG8=\";\n};\n",
    )
    .unwrap();
    let text = "version = 1\n[[key]]\nname = \"k\"\nalgorithm = \"hmac-sha256\"\nsecret_file = \"k.key\"\n";
    let config = Config::parse(text, Some(&dir.path().join("hadns.toml"))).unwrap();
    assert_eq!(config.keys[0].secret, b"hello");
}

#[test]
fn zone_defaults_and_store_zone_serial_policies() {
    let config = Config::parse(
        "version = 1\n[[key]]\nname = \"ddns\"\nalgorithm = \"hmac-sha256\"\nsecret = \"c2VjcmV0\"\n\
         [zone_defaults]\nnotify = [\"127.0.0.2\"]\nnotify_key = \"ddns\"\nallow_transfer = [\"key ddns\"]\n\
         allow_update = [\"key ddns\"]\nserial_policy = \"date\"\nnameservers = [\"ns1.example.net\", \"NS2.example.net.\"]\n\
         [[zone]]\nname = \"store.test\"\nserial_policy = \"increment\"\n",
        None,
    )
    .unwrap();
    let defaults = &config.zone_defaults;
    assert_eq!(
        defaults.notify,
        [NotifyTarget {
            address: "127.0.0.2:53".parse().unwrap(),
            key: None
        }]
    );
    assert_eq!(defaults.notify_key, Some("ddns.".parse().unwrap()));
    assert_eq!(defaults.allow_update.len(), 1);
    assert_eq!(defaults.serial_policy, SerialPolicy::Date);
    assert_eq!(
        defaults.nameservers,
        [
            "ns1.example.net.".parse().unwrap(),
            "ns2.example.net.".parse().unwrap()
        ]
    );
    assert_eq!(config.zones[0].serial_policy, SerialPolicy::Increment);

    let e = error("version = 1\n[zone_defaults]\nserial_policy = \"keep\"\n");
    assert_eq!(
        (e.line, e.key.as_str()),
        (Some(3), "zone_defaults.serial_policy")
    );
    let e = error("version = 1\n[zone_defaults]\nnameservers = [\"ok.example.\", \"bad..name\"]\n");
    assert_eq!(
        (e.line, e.key.as_str()),
        (Some(3), "zone_defaults.nameservers[1]")
    );
    let e = error("version = 1\n[zone_defaults]\nnotify_key = \"missing\"\n");
    assert!(e.message.contains("no [[key]] named"), "{e}");
    // A store zone's serial moves by increment or date; a file's by keep or auto.
    let e = error("version = 1\n[[zone]]\nname = \"a.test\"\nserial_policy = \"keep\"\n");
    assert_eq!(e.key, "zone[0].serial_policy");
    let e = error(
        "version = 1\n[[zone]]\nname = \"a.test\"\nfile = \"a.zone\"\nserial_policy = \"date\"\n",
    );
    assert_eq!(e.key, "zone[0].serial_policy");
    let e = error(
        "version = 1\n[[zone]]\nname = \"a.test\"\nrole = \"secondary\"\nprimaries = [\"127.0.0.1\"]\nallow_update = [\"any\"]\n",
    );
    assert_eq!(e.key, "zone[0].allow_update");
}

#[test]
fn notify_targets_may_name_their_own_key() {
    let keys = "version = 1\n\
        [[key]]\nname = \"xfr-md5\"\nalgorithm = \"hmac-md5\"\nsecret = \"c2VjcmV0\"\n\
        [[key]]\nname = \"xfr\"\nalgorithm = \"hmac-sha256\"\nsecret = \"c2VjcmV0\"\n";
    let config = Config::parse(
        &format!(
            "{keys}[[zone]]\nname = \"a.test\"\nfile = \"a.zone\"\n\
             notify = [\"10.0.0.2:53 key xfr-md5\", \"10.0.0.3\", \"[2001:db8::4]:5300  key  xfr\"]\n\
             notify_key = \"xfr\"\n\
             [zone_defaults]\nnotify = [\"10.0.0.5 key xfr-md5\"]\n"
        ),
        None,
    )
    .unwrap();
    let target = |address: &str, key: Option<&str>| NotifyTarget {
        address: address.parse().unwrap(),
        key: key.map(|k| k.parse().unwrap()),
    };
    assert_eq!(
        config.zones[0].notify,
        [
            target("10.0.0.2:53", Some("xfr-md5.")),
            target("10.0.0.3:53", None),
            target("[2001:db8::4]:5300", Some("xfr.")),
        ]
    );
    assert_eq!(
        config.zone_defaults.notify,
        [target("10.0.0.5:53", Some("xfr-md5."))]
    );
    let shown: Vec<_> = config
        .effective_settings()
        .into_iter()
        .filter(|(k, _)| k == "zone[0].notify")
        .collect();
    assert_eq!(
        shown[0].1,
        "10.0.0.2:53 key xfr-md5., 10.0.0.3:53, [2001:db8::4]:5300 key xfr."
    );

    // Errors name the file, the line and the element.
    let zone = |notify: &str| {
        error(&format!(
            "{keys}[[zone]]\nname = \"a.test\"\nfile = \"a.zone\"\nnotify = [\n  \"10.0.0.2\",\n  {notify},\n]\n"
        ))
    };
    let e = zone("\"10.0.0.3 key nokey\"");
    assert_eq!((e.line, e.key.as_str()), (Some(15), "zone[0].notify[1]"));
    assert!(e.message.contains("no [[key]] named `nokey.`"), "{e}");
    assert!(
        e.to_string().starts_with("/etc/hadns/hadns.toml:15:"),
        "{e}"
    );
    let e = zone("\"10.0.0.3 xfr\"");
    assert_eq!((e.line, e.key.as_str()), (Some(15), "zone[0].notify[1]"));
    assert!(e.message.contains("not a NOTIFY target"), "{e}");
    let e = zone("\"10.0.0.3 key\"");
    assert!(e.message.contains("not a NOTIFY target"), "{e}");
    let e = zone("\"10.0.0.2:53 key xfr\"");
    assert_eq!((e.line, e.key.as_str()), (Some(15), "zone[0].notify[1]"));
    assert!(e.message.contains("already a target (notify[0])"), "{e}");
    let e = zone("\"nohost key xfr\"");
    assert_eq!(e.key, "zone[0].notify[1]");
    assert!(e.message.contains("not an address"), "{e}");
    let e = error(&format!(
        "{keys}[zone_defaults]\nnotify = [\"10.0.0.3 key missing\"]\n"
    ));
    assert_eq!(
        (e.line, e.key.as_str()),
        (Some(11), "zone_defaults.notify[0]")
    );
}

/// A key table for the catalog tests.
const CATALOG_KEY: &str =
    "[[key]]\nname = \"xfr\"\nalgorithm = \"hmac-sha256\"\nsecret = \"aGVsbG8=\"\n";

#[test]
fn catalog_section_is_read_with_every_setting() {
    let config = Config::parse(
        &format!(
            "version = 1\n{CATALOG_KEY}[catalog]\nproduce = \"catalog.hadns\"\ngroup = \"external\"\n\
             include_files = true\nallow_transfer = [\"key xfr\"]\nallow_query = [\"127.0.0.1\"]\n\
             notify = [\"127.0.0.1:5301\"]\nnotify_key = \"xfr\"\n"
        ),
        None,
    )
    .unwrap();
    let catalog = &config.catalog;
    assert_eq!(
        catalog.produce.as_ref().map(ToString::to_string).as_deref(),
        Some("catalog.hadns.")
    );
    assert_eq!(catalog.group.as_deref(), Some("external"));
    assert!(catalog.include_files);
    assert_eq!(catalog.allow_transfer.len(), 1);
    assert_eq!(catalog.allow_query.len(), 1);
    assert_eq!(
        catalog.notify,
        vec![crate::NotifyTarget {
            address: "127.0.0.1:5301".parse::<SocketAddr>().unwrap(),
            key: None,
        }]
    );
    assert_eq!(
        catalog
            .notify_key
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("xfr.")
    );
    let settings = config.effective_settings();
    assert!(settings.contains(&("catalog.produce".to_string(), "catalog.hadns.".to_string())));
}

#[test]
fn no_catalog_section_produces_no_catalog() {
    let config = Config::parse("version = 1\n", None).unwrap();
    assert!(config.catalog.produce.is_none());
}

#[test]
fn catalog_settings_without_produce_are_refused_with_their_line() {
    let e = error("version = 1\n[catalog]\ngroup = \"g\"\n");
    assert_eq!(e.key, "catalog.group");
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("produce"), "{e}");
}

#[test]
fn catalog_named_like_a_configured_zone_is_refused() {
    let e = error(
        "version = 1\n[[zone]]\nname = \"catalog.hadns\"\n[catalog]\nproduce = \"catalog.hadns.\"\n",
    );
    assert_eq!(e.key, "catalog.produce");
    assert_eq!(e.line, Some(5));
}

#[test]
fn catalog_group_longer_than_one_txt_string_is_refused() {
    let e = error(&format!(
        "version = 1\n[catalog]\nproduce = \"c.example\"\ngroup = \"{}\"\n",
        "g".repeat(256)
    ));
    assert_eq!(e.key, "catalog.group");
}

#[test]
fn catalog_without_allow_transfer_is_refused_with_its_line() {
    let e = error("version = 1\n[catalog]\nproduce = \"c.example\"\n");
    assert_eq!(e.key, "catalog.allow_transfer");
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.to_string().contains("hadns.toml:3"), "{e}");
    assert!(e.message.contains("reaches no one"), "{e}");
}

#[test]
fn catalog_unknown_key_is_refused() {
    let e = error("version = 1\n[catalog]\nproduce = \"c.example\"\nconsume = true\n");
    assert_eq!(e.line, Some(4));
}

#[test]
fn catalog_notify_key_must_be_configured() {
    let e = error(
        "version = 1\n[catalog]\nproduce = \"c.example\"\nallow_transfer = [\"any\"]\nnotify_key = \"nope\"\n",
    );
    assert_eq!(e.key, "catalog.notify_key");
}

#[test]
fn zones_may_carry_their_own_catalog_group_but_secondaries_may_not() {
    let config = Config::parse(
        "version = 1\n[[zone]]\nname = \"a.example\"\ncatalog_group = \"special\"\n",
        None,
    )
    .unwrap();
    assert_eq!(config.zones[0].catalog_group.as_deref(), Some("special"));
    let e = error(
        "version = 1\n[[zone]]\nname = \"b.example\"\nrole = \"secondary\"\nprimaries = [\"192.0.2.1\"]\ncatalog_group = \"g\"\n",
    );
    assert_eq!(e.key, "zone[0].catalog_group");
    assert_eq!(e.line, Some(6));
}

#[test]
fn catalog_consumer_with_groups_inherits_the_default_template() {
    let config = Config::parse(
        &format!(
            "version = 1\n{CATALOG_KEY}[[catalog_consumer]]\nzone = \"catalog.hadns\"\n\
             primaries = [\"127.0.0.1:5300\"]\nkey = \"xfr\"\n\
             [[catalog_consumer.group]]\nname = \"internal\"\nprimaries = [\"127.0.0.2\"]\n\
             [[catalog_consumer.group]]\nname = \"same-primaries\"\n"
        ),
        None,
    )
    .unwrap();
    let [consumer] = config.catalog_consumers.as_slice() else {
        panic!("one consumer: {:?}", config.catalog_consumers);
    };
    assert_eq!(consumer.zone.to_string(), "catalog.hadns.");
    let primary: SocketAddr = "127.0.0.1:5300".parse().unwrap();
    assert_eq!(consumer.template.primaries, vec![primary]);
    assert_eq!(
        consumer
            .template
            .key
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("xfr.")
    );
    assert_eq!(consumer.groups.len(), 2);
    assert_eq!(consumer.groups[0].group.as_deref(), Some("internal"));
    assert_eq!(
        consumer.groups[0].primaries,
        vec!["127.0.0.2:53".parse::<SocketAddr>().unwrap()],
        "port 53 by default"
    );
    assert_eq!(
        consumer.groups[0].key, consumer.template.key,
        "the consumer's key"
    );
    assert_eq!(consumer.groups[1].primaries, vec![primary]);
}

#[test]
fn catalog_consumer_without_primaries_is_refused() {
    let e = error("version = 1\n[[catalog_consumer]]\nzone = \"catalog.hadns\"\n");
    assert_eq!(e.key, "catalog_consumer[0].primaries");
    assert_eq!(e.line, Some(3));
}

#[test]
fn catalog_consumer_of_a_configured_zone_is_refused() {
    let e = error(
        "version = 1\n[[zone]]\nname = \"catalog.hadns\"\nrole = \"secondary\"\nprimaries = [\"127.0.0.1\"]\n\
         [[catalog_consumer]]\nzone = \"catalog.hadns\"\nprimaries = [\"127.0.0.1\"]\n",
    );
    assert_eq!(e.key, "catalog_consumer[0].zone");
    assert_eq!(e.line, Some(7));
}

#[test]
fn catalog_consumer_key_must_be_configured() {
    let e = error(
        "version = 1\n[[catalog_consumer]]\nzone = \"c.example\"\nprimaries = [\"127.0.0.1\"]\nkey = \"nokey\"\n",
    );
    assert_eq!(e.key, "catalog_consumer[0].key");
}

#[test]
fn catalog_consumer_with_views_is_refused() {
    let e = error(
        "version = 1\n[[view]]\nname = \"a\"\nmatch_clients = [\"any\"]\n\
         [[catalog_consumer]]\nzone = \"c.example\"\nprimaries = [\"127.0.0.1\"]\n",
    );
    assert_eq!(e.key, "catalog_consumer[0]");
}

#[test]
fn catalog_consumer_group_named_twice_is_refused() {
    let e = error(
        "version = 1\n[[catalog_consumer]]\nzone = \"c.example\"\nprimaries = [\"127.0.0.1\"]\n\
         [[catalog_consumer.group]]\nname = \"g\"\n[[catalog_consumer.group]]\nname = \"g\"\n",
    );
    assert_eq!(e.key, "catalog_consumer[0].group[1].name");
}

#[test]
fn health_listen_takes_an_address_with_port_8054_by_default() {
    let config = Config::parse("version = 1\n", None).unwrap();
    assert_eq!(config.health.listen, None, "off unless configured");
    let config = Config::parse("version = 1\n[health]\nlisten = \"127.0.0.1\"\n", None).unwrap();
    assert_eq!(
        config.health.listen,
        Some("127.0.0.1:8054".parse::<SocketAddr>().unwrap())
    );
    let config = Config::parse("version = 1\n[health]\nlisten = \"[::1]:9000\"\n", None).unwrap();
    assert_eq!(
        config.health.listen,
        Some("[::1]:9000".parse::<SocketAddr>().unwrap())
    );
    let settings = config.effective_settings();
    assert!(
        settings
            .iter()
            .any(|(k, v)| k == "health.listen" && v == "[::1]:9000"),
        "{settings:?}"
    );
}

#[test]
fn health_section_errors_name_the_key_and_line() {
    let e = error("version = 1\n[health]\nlisten = \"localhost:80\"\n");
    assert_eq!((e.line, e.key.as_str()), (Some(3), "health.listen"), "{e}");
    let e = error("version = 1\n[health]\nlisten = \"127.0.0.1\"\nport = 1\n");
    assert!(e.message.contains("unknown field `port`"), "{e}");
    assert_eq!(e.line, Some(4), "{e}");
    let e = error(
        "version = 1\n[api]\nlisten = \"127.0.0.1:8053\"\n[health]\nlisten = \"127.0.0.1:8053\"\n",
    );
    assert_eq!((e.line, e.key.as_str()), (Some(5), "health.listen"), "{e}");
    assert!(e.message.contains("serves /health already"), "{e}");
    let e = error(
        "version = 1\n[dns]\nlisten = [\"127.0.0.1:8054\"]\n[health]\nlisten = \"127.0.0.1\"\n",
    );
    assert!(e.message.contains("dns.listen"), "{e}");
}

#[test]
fn peers_are_read_with_defaults_and_checked() {
    let config = Config::parse(
        "version = 1\n[[peer]]\nname = \"ns2\"\ndns = \"10.213.0.2\"\napi = \"http://10.213.0.2\"\n\
         token_file = \"ns2.token\"\n[[peer]]\nname = \"ns3\"\ndns = \"[2001:db8::3]:5300\"\n\
         api = \"[2001:db8::3]:9000\"\ntoken_file = \"/etc/hadns/ns3.token\"\n",
        Some(Path::new("/etc/hadns/hadns.toml")),
    )
    .unwrap();
    let [ns2, ns3] = config.peers.as_slice() else {
        panic!("two peers: {:?}", config.peers);
    };
    assert_eq!(ns2.name, "ns2");
    assert_eq!(ns2.dns, "10.213.0.2:53".parse().unwrap());
    assert_eq!(ns2.api, "10.213.0.2:8053".parse().unwrap());
    assert_eq!(ns2.token_file, Path::new("/etc/hadns/ns2.token"));
    assert_eq!(ns2.line, Some(2));
    assert_eq!(ns3.dns, "[2001:db8::3]:5300".parse().unwrap());
    assert_eq!(ns3.api, "[2001:db8::3]:9000".parse().unwrap());
    let effective = config.effective_settings();
    assert!(
        effective.contains(&(
            "peer[1].token_file".to_string(),
            "/etc/hadns/ns3.token".to_string()
        )),
        "{effective:?}"
    );

    let peer = |body: &str| error(&format!("version = 1\n[[peer]]\n{body}"));
    let e = peer("name = \"a\"\ndns = \"nowhere\"\napi = \"10.0.0.1\"\ntoken_file = \"t\"\n");
    assert_eq!((e.line, e.key.as_str()), (Some(4), "peer[0].dns"));
    let e =
        peer("name = \"a\"\ndns = \"10.0.0.1\"\napi = \"https://10.0.0.1\"\ntoken_file = \"t\"\n");
    assert!(e.message.contains("plain HTTP"), "{e}");
    let e = peer("name = \"a\"\ndns = \"10.0.0.1\"\napi = \"10.0.0.1\"\n");
    assert!(e.message.contains("token_file"), "{e}");
    let e = error(
        "version = 1\n[[peer]]\nname = \"a\"\ndns = \"10.0.0.1\"\napi = \"10.0.0.1\"\ntoken_file = \"t\"\n\
         [[peer]]\nname = \"a\"\ndns = \"10.0.0.2\"\napi = \"10.0.0.2\"\ntoken_file = \"t\"\n",
    );
    assert_eq!(e.key, "peer[1].name");
    assert!(e.message.contains("named twice"), "{e}");
}
