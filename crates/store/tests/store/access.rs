//! Roles, grants and zone-limited tokens against a real store: what is
//! stored, what is refused (leaving the file as it was), and what goes
//! away with a user or a zone.

use store::{Access, Grant, GrantTarget, Role, Scope, SerialPolicy, SettingsChange, WriteError};

use crate::fixture::*;

fn zone_grant(zone: &str, view: Option<&str>, access: Access) -> Grant {
    Grant {
        target: GrantTarget::Zone(name(zone)),
        view: view.map(str::to_string),
        access,
    }
}

#[test]
fn users_are_admins_unless_given_another_role() {
    let f = Fixture::new();
    f.store.add_user("root", "pw").unwrap();
    f.store
        .add_user_with_role("ops", "pw", Role::Operator)
        .unwrap();
    let roles: Vec<(String, Role)> = f
        .store
        .user_access()
        .unwrap()
        .into_iter()
        .map(|u| (u.name, u.role))
        .collect();
    assert_eq!(
        roles,
        [("ops".into(), Role::Operator), ("root".into(), Role::Admin)]
    );
    f.store.set_role("ops", Role::User).unwrap();
    assert_eq!(
        f.store.user_rights("ops").unwrap().unwrap().role(),
        Role::User
    );
    assert!(matches!(
        f.store.set_role("nobody", Role::User),
        Err(WriteError::NoSuchUser(_))
    ));
}

#[test]
fn a_grant_gives_a_user_its_zone_and_no_other() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.store.add_user_with_role("bob", "pw", Role::User).unwrap();
    let example = name("example.com");
    let rights = f.store.user_rights("bob").unwrap().unwrap();
    assert!(!rights.may_read_zone(&example, None), "no grant yet");

    f.store
        .grant("bob", &zone_grant("example.com", None, Access::Read))
        .unwrap();
    let rights = f.store.user_rights("bob").unwrap().unwrap();
    assert!(rights.may_read_zone(&example, None));
    assert!(!rights.may_write_zone(&example, None));

    // Granting again changes the level; there is still one grant.
    f.store
        .grant("bob", &zone_grant("EXAMPLE.com.", None, Access::Write))
        .unwrap();
    let rights = f.store.user_rights("bob").unwrap().unwrap();
    assert!(rights.may_write_zone(&example, None));
    let listed = f.store.user_access().unwrap();
    assert_eq!(
        listed[0].grants,
        [zone_grant("example.com", None, Access::Write)]
    );

    f.store
        .revoke_grant("bob", &GrantTarget::Zone(example.clone()), None)
        .unwrap();
    let rights = f.store.user_rights("bob").unwrap().unwrap();
    assert!(!rights.may_read_zone(&example, None));
    assert!(matches!(
        f.store
            .revoke_grant("bob", &GrantTarget::Zone(example), None)
            .unwrap_err(),
        WriteError::NoSuchGrant { .. }
    ));
}

#[test]
fn a_refused_grant_names_what_is_wrong_and_writes_nothing() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.store.add_user_with_role("bob", "pw", Role::User).unwrap();
    let before = f.dump();
    let cases = [
        (
            "nobody",
            zone_grant("example.com", None, Access::Read),
            "no user `nobody`",
        ),
        (
            "bob",
            zone_grant("example.org", None, Access::Read),
            "no zone example.org. in the store",
        ),
        (
            "bob",
            zone_grant("example.com", Some("inside"), Access::Read),
            "no view `inside`",
        ),
        (
            "bob",
            Grant {
                target: GrantTarget::Account(" ".into()),
                view: None,
                access: Access::Read,
            },
            "a grant on an account needs the account's name",
        ),
    ];
    for (user, grant, message) in cases {
        let error = f.store.grant(user, &grant).unwrap_err();
        assert_eq!(error.to_string(), message);
    }
    assert_eq!(f.dump(), before, "a refused grant must write nothing");
    assert_eq!(
        "admin".parse::<Access>().unwrap_err().to_string(),
        "bad access level `admin` (expected read or write)"
    );
}

#[test]
fn an_account_grant_follows_the_zones_account() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.store.add_user_with_role("bob", "pw", Role::User).unwrap();
    let example = name("example.com");
    f.store
        .grant(
            "bob",
            &Grant {
                target: GrantTarget::Account("customer-1".into()),
                view: None,
                access: Access::Write,
            },
        )
        .unwrap();
    assert!(
        !f.store
            .user_rights("bob")
            .unwrap()
            .unwrap()
            .may_read_zone(&example, None)
    );
    let settings = SettingsChange {
        account: Some("customer-1".into()),
        ..SettingsChange::default()
    };
    f.store
        .update_zone(&example, &settings, None, &meta(NOW))
        .unwrap();
    assert!(
        f.store
            .user_rights("bob")
            .unwrap()
            .unwrap()
            .may_write_zone(&example, None)
    );
}

#[test]
fn grants_go_with_their_zone_and_their_user() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.store.add_user("root", "pw").unwrap();
    f.store.add_user_with_role("bob", "pw", Role::User).unwrap();
    f.store
        .grant("bob", &zone_grant("example.com", None, Access::Write))
        .unwrap();
    let count = || -> i64 {
        rusqlite::Connection::open(&f.path)
            .unwrap()
            .query_row("SELECT count(*) FROM grants", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count(), 1);
    f.store.delete_zone(&name("example.com")).unwrap();
    assert_eq!(count(), 0, "the zone's grants went with it");

    f.store
        .create_zone(example_zone(SerialPolicy::Increment), &meta(NOW))
        .unwrap();
    assert!(
        !f.store
            .user_rights("bob")
            .unwrap()
            .unwrap()
            .may_read_zone(&name("example.com"), None),
        "a zone created again under the same name is not granted"
    );
    f.store
        .grant("bob", &zone_grant("example.com", None, Access::Write))
        .unwrap();
    f.store.delete_user("bob").unwrap();
    assert_eq!(count(), 0, "the user's grants went with it");
}

#[test]
fn a_token_acts_with_its_users_rights_cut_to_its_zones() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.store.add_user("root", "pw").unwrap();
    let secret = f
        .store
        .create_token_for_zones("ci", "root", Scope::Write, &[name("Example.COM")])
        .unwrap();
    let token = f.store.check_token(&secret).unwrap().unwrap();
    assert_eq!(token.zones, [name("example.com")]);
    assert_eq!(f.store.tokens().unwrap()[0].zones, [name("example.com")]);
    let rights = f
        .store
        .user_rights("root")
        .unwrap()
        .unwrap()
        .for_token(&token);
    assert!(rights.may_write_zone(&name("example.com"), None));
    assert!(!rights.may_read_zone(&name("example.org"), None));
    assert!(!rights.is_admin());

    // A disabled user has no rights, so neither have its tokens.
    f.store.add_user("other", "pw").unwrap();
    f.store.set_user_disabled("root", true).unwrap();
    assert_eq!(f.store.user_rights("root").unwrap(), None);
    assert_eq!(f.store.check_token(&secret).unwrap(), None);
}
