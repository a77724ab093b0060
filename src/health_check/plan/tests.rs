//! Arguments and configurations into plans, and the usage errors.

use super::*;

fn args(f: impl FnOnce(&mut CheckArgs)) -> CheckArgs {
    let mut a = CheckArgs {
        timeout: "1s".to_string(),
        ..CheckArgs::default()
    };
    f(&mut a);
    a
}

fn name(text: &str) -> Name {
    Name::from_text(text, Some(&Name::root())).unwrap()
}

const KEY: &str = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";

fn secondary_config() -> Config {
    Config::parse(
        &format!(
            "version = 1\n[dns]\nlisten = [\"0.0.0.0:5300\"]\n[health]\nlisten = \"127.0.0.1:9054\"\n\
             [[key]]\nname = \"xfr\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{KEY}\"\n\
             [[zone]]\nname = \"Example.COM\"\nrole = \"secondary\"\nprimaries = [\"192.0.2.1:53\", \"192.0.2.2\"]\nprimary_key = \"xfr\"\n\
             [[zone]]\nname = \"local.test\"\nfile = \"local.zone\"\n"
        ),
        None,
    )
    .unwrap()
}

#[test]
fn a_plain_zone_check_asks_the_server_on_port_53_over_udp() {
    let plan = plan(
        &args(|a| {
            a.server = Some("192.0.2.7".into());
            a.zones = vec!["example.com".into(), "EXAMPLE.com.".into()];
        }),
        None,
        None,
    )
    .unwrap();
    assert_eq!(plan.server, "192.0.2.7:53".parse().unwrap());
    assert!(!plan.tcp);
    assert_eq!(plan.timeout, Duration::from_secs(1));
    assert_eq!(
        plan.zones,
        Zones::Listed(vec![name("example.com.")]),
        "absolute, lower-cased, once"
    );
    assert_eq!(plan.max_lag, None);
    assert!(!plan.needs_health());
}

#[test]
fn a_primary_alone_means_max_lag_zero_with_the_key_given() {
    let plan = plan(
        &args(|a| {
            a.server = Some("[::1]:5300".into());
            a.zones = vec!["example.com".into()];
            a.primary = Some("127.0.0.1:5301".into());
            a.key = Some(format!("xfr:hmac-sha256:{KEY}"));
        }),
        None,
        None,
    )
    .unwrap();
    assert_eq!(plan.server, "[::1]:5300".parse().unwrap());
    assert_eq!(plan.max_lag, Some(0));
    let primary = plan.primary_for(&name("example.com.")).unwrap();
    assert_eq!(primary.address, "127.0.0.1:5301".parse().unwrap());
    let key = primary.key.as_ref().expect("signed");
    assert_eq!(key.name(), &name("xfr."));
    assert_eq!(key.algorithm(), Algorithm::HmacSha256);
}

#[test]
fn the_configuration_gives_server_primaries_keys_and_health() {
    let config = secondary_config();
    let plan = plan(
        &args(|a| {
            a.all_zones = true;
            a.max_lag = Some(2);
            a.max_behind = Some(30);
        }),
        Some(&config),
        None,
    )
    .unwrap();
    assert_eq!(
        plan.server,
        "127.0.0.1:5300".parse().unwrap(),
        "the wildcard is asked on loopback"
    );
    assert_eq!(
        plan.zones,
        Zones::FromHealth,
        "[health] listen knows them all"
    );
    assert_eq!(
        plan.health.as_ref().map(ToString::to_string).as_deref(),
        Some("http://127.0.0.1:9054/health")
    );
    let primary = plan.primary_for(&name("example.com.")).unwrap();
    assert_eq!(
        primary.address,
        "192.0.2.1:53".parse().unwrap(),
        "the first"
    );
    assert_eq!(
        primary
            .key
            .as_ref()
            .map(|k| k.name().to_string())
            .as_deref(),
        Some("xfr.")
    );
    assert!(plan.primary_for(&name("local.test.")).is_none());
    assert_eq!(plan.configured_primary_zones, vec![name("local.test.")]);
    assert_eq!(plan.max_behind, Some(Duration::from_secs(30)));
}

#[test]
fn all_zones_without_health_are_the_configured_ones() {
    let config = Config::parse(
        "version = 1\n[[zone]]\nname = \"a.test\"\nfile = \"a.zone\"\n[[zone]]\nname = \"b.test\"\nrole = \"secondary\"\nprimaries = [\"192.0.2.1\"]\n",
        None,
    )
    .unwrap();
    let plan = plan(&args(|a| a.all_zones = true), Some(&config), None).unwrap();
    assert_eq!(
        plan.zones,
        Zones::Listed(vec![name("a.test."), name("b.test.")])
    );
    assert_eq!(
        plan.server,
        "127.0.0.1:5353".parse().unwrap(),
        "dns.listen's default"
    );
}

#[test]
fn all_zones_of_a_store_node_without_health_is_a_usage_error() {
    let config = Config::parse("version = 1\n[[zone]]\nname = \"store.test\"\n", None).unwrap();
    let e = plan(&args(|a| a.all_zones = true), Some(&config), None).unwrap_err();
    assert!(
        e.0.contains("kept in the store") && e.0.contains("[health] listen"),
        "{e}"
    );
    let e = plan(
        &args(|a| {
            a.all_zones = true;
            a.server = Some("127.0.0.1".into());
        }),
        None,
        None,
    )
    .unwrap_err();
    assert!(e.0.contains("--config"), "{e}");
}

#[test]
fn key_file_and_key_name_give_the_key() {
    let config = secondary_config();
    let plan_with = |a: CheckArgs, file: Option<&str>| {
        plan(&a, Some(&config), file)
            .map(|p| p.primary.and_then(|p| p.key).map(|k| k.name().to_string()))
    };
    let base = |a: &mut CheckArgs| {
        a.zones = vec!["example.com".into()];
        a.primary = Some("192.0.2.9".into());
    };
    assert_eq!(
        plan_with(
            args(base),
            Some(&format!("# comment\n\nother:hmac-sha512:{KEY}\n"))
        )
        .unwrap(),
        Some("other.".to_string())
    );
    assert_eq!(
        plan_with(
            args(|a| {
                base(a);
                a.key_name = Some("xfr".into());
            }),
            None
        )
        .unwrap(),
        Some("xfr.".to_string())
    );
    let e = plan_with(
        args(|a| {
            base(a);
            a.key_name = Some("nope".into());
        }),
        None,
    )
    .unwrap_err();
    assert!(e.0.contains("no [[key]] named"), "{e}");
    let e = plan_with(args(base), Some("# nothing\n")).unwrap_err();
    assert!(e.0.contains("--key-file"), "{e}");
}

#[test]
fn bad_keys_say_what_is_wrong() {
    assert!(
        parse_key("xfr:hmac-sha256")
            .unwrap_err()
            .contains("NAME:ALGORITHM:BASE64SECRET")
    );
    assert!(
        parse_key(&format!("xfr:hmac-sha999:{KEY}"))
            .unwrap_err()
            .contains("unknown TSIG algorithm")
    );
    assert!(
        parse_key("xfr:hmac-sha256:not base64!")
            .unwrap_err()
            .contains("secret")
    );
    assert!(
        parse_key(&format!("xfr:HMAC-SHA1:{KEY}")).is_ok(),
        "algorithms without case"
    );
}

#[test]
fn usage_errors_name_the_argument() {
    let cases: Vec<(CheckArgs, &str)> = vec![
        (args(|a| a.zones = vec!["example.com".into()]), "--server"),
        (
            args(|a| {
                a.server = Some("localhost".into());
                a.zones = vec!["x".into()];
            }),
            "--server: `localhost`",
        ),
        (
            args(|a| a.server = Some("127.0.0.1".into())),
            "nothing to check",
        ),
        (
            args(|a| {
                a.server = Some("127.0.0.1".into());
                a.zones = vec!["example.com".into()];
                a.max_lag = Some(1);
            }),
            "--max-lag: no primary",
        ),
        (
            args(|a| {
                a.server = Some("127.0.0.1".into());
                a.zones = vec!["example.com".into()];
                a.max_behind = Some(1);
            }),
            "--max-behind reads the node's /health",
        ),
        (
            args(|a| {
                a.server = Some("127.0.0.1".into());
                a.zones = vec!["a..b".into()];
            }),
            "--zone a..b",
        ),
        (
            args(|a| {
                a.server = Some("127.0.0.1".into());
                a.name = Some("www.example.com".into());
                a.rtype = Some("BOGUS".into());
            }),
            "--type BOGUS",
        ),
        (
            args(|a| {
                a.server = Some("127.0.0.1".into());
                a.name = Some("www.example.com".into());
                a.expect = Some("not-an-address".into());
            }),
            "--expect not-an-address",
        ),
        (
            args(|a| {
                a.server = Some("127.0.0.1".into());
                a.zones = vec!["x".into()];
                a.timeout = "0".into();
            }),
            "--timeout",
        ),
        (
            args(|a| {
                a.server = Some("127.0.0.1".into());
                a.zones = vec!["x".into()];
                a.health = Some("https://127.0.0.1/health".into());
            }),
            "--health: https",
        ),
    ];
    for (a, needle) in cases {
        let e = plan(&a, None, None).unwrap_err();
        assert!(e.0.contains(needle), "{a:?}: {e}");
    }
}

#[test]
fn a_canary_defaults_to_a_and_parses_its_value() {
    let plan = plan(
        &args(|a| {
            a.server = Some("127.0.0.1".into());
            a.name = Some("www.example.com".into());
            a.expect = Some("192.0.2.1".into());
        }),
        None,
        None,
    )
    .unwrap();
    let canary = plan.canary.unwrap();
    assert_eq!(canary.name, name("www.example.com."));
    assert_eq!(canary.rtype, Rtype::A);
    assert_eq!(canary.expect.unwrap().0, vec![192, 0, 2, 1]);
}

#[test]
fn health_urls_and_timeouts() {
    assert_eq!(
        parse_health_url("127.0.0.1").unwrap().to_string(),
        "http://127.0.0.1:8054/health"
    );
    assert_eq!(
        parse_health_url("http://[::1]:8053").unwrap().to_string(),
        "http://[::1]:8053/health"
    );
    assert_eq!(
        parse_health_url("http://127.0.0.1/status/health")
            .unwrap()
            .to_string(),
        "http://127.0.0.1:80/status/health"
    );
    assert!(parse_health_url("http://example.com/").is_err());
    assert_eq!(parse_timeout("1").unwrap(), Duration::from_secs(1));
    assert_eq!(parse_timeout("0.25").unwrap(), Duration::from_millis(250));
    assert_eq!(parse_timeout("500ms").unwrap(), Duration::from_millis(500));
    assert_eq!(parse_timeout("2s").unwrap(), Duration::from_secs(2));
    for bad in ["", "x", "-1", "61", "NaN", "inf"] {
        assert!(parse_timeout(bad).is_err(), "{bad}");
    }
}
