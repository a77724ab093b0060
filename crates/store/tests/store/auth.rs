//! Users with Argon2 password hashes, and hashed API tokens.

use store::{Scope, TOKEN_PREFIX, WriteError};

use crate::fixture::*;

#[test]
fn a_password_checks_only_when_right_and_the_user_enabled() {
    let f = Fixture::new();
    f.store.add_user("admin", "correct horse").unwrap();
    let user = f.store.check_password("admin", "correct horse").unwrap();
    assert_eq!(user.as_ref().map(|u| u.name.as_str()), Some("admin"));
    assert!(!user.unwrap().disabled);
    assert_eq!(
        f.store.check_password("admin", "wrong horse").unwrap(),
        None
    );
    assert_eq!(
        f.store.check_password("nobody", "correct horse").unwrap(),
        None
    );
    assert_eq!(
        f.store.check_password("Admin", "correct horse").unwrap(),
        None
    );

    f.store.set_user_disabled("admin", true).unwrap();
    assert_eq!(
        f.store.check_password("admin", "correct horse").unwrap(),
        None
    );
    f.store.set_user_disabled("admin", false).unwrap();
    assert!(
        f.store
            .check_password("admin", "correct horse")
            .unwrap()
            .is_some()
    );

    f.store.set_password("admin", "battery staple").unwrap();
    assert_eq!(
        f.store.check_password("admin", "correct horse").unwrap(),
        None
    );
    assert!(
        f.store
            .check_password("admin", "battery staple")
            .unwrap()
            .is_some()
    );
}

#[test]
fn passwords_are_stored_as_argon2id_hashes_only() {
    let f = Fixture::new();
    f.store.add_user("admin", "correct horse").unwrap();
    let dump = f.dump();
    assert!(dump.contains("$argon2id$v=19$"), "{dump}");
    assert!(!dump.contains("correct horse"));
    // Two users with one password get different hashes (salted).
    f.store.add_user("other", "correct horse").unwrap();
    let dump = f.dump();
    let hashes: Vec<&str> = dump
        .lines()
        .filter(|line| line.contains("$argon2id$"))
        .filter_map(|line| line.split(" | ").nth(2))
        .collect();
    assert_eq!(hashes.len(), 2);
    assert_ne!(hashes[0], hashes[1]);
}

#[test]
fn user_management_refuses_what_it_cannot_do() {
    let f = Fixture::new();
    f.store.add_user("admin", "pw").unwrap();
    let before = f.dump();
    assert!(matches!(
        f.store.add_user("admin", "other").unwrap_err(),
        WriteError::UserExists(name) if name == "admin"
    ));
    assert!(matches!(
        f.store.add_user("", "pw").unwrap_err(),
        WriteError::EmptyUserName
    ));
    assert!(matches!(
        f.store.add_user("bob", "").unwrap_err(),
        WriteError::EmptyPassword
    ));
    assert!(matches!(
        f.store.set_password("bob", "pw").unwrap_err(),
        WriteError::NoSuchUser(_)
    ));
    assert!(matches!(
        f.store.set_user_disabled("bob", true).unwrap_err(),
        WriteError::NoSuchUser(_)
    ));
    assert_eq!(f.dump(), before);
    let users = f.store.users().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].name, "admin");
    assert!(users[0].created_at > 1_700_000_000);
}

#[test]
fn a_token_secret_verifies_with_its_scope_until_revoked() {
    let f = Fixture::new();
    f.store.add_user("admin", "pw").unwrap();
    let writer = f.store.create_token("ci", "admin", Scope::Write).unwrap();
    let reader = f
        .store
        .create_token("grafana", "admin", Scope::Read)
        .unwrap();
    assert!(writer.starts_with(TOKEN_PREFIX));
    assert_eq!(writer.len(), TOKEN_PREFIX.len() + 64, "256 bits in hex");
    assert_ne!(writer, reader);

    let info = f.store.check_token(&writer).unwrap().unwrap();
    assert_eq!(
        (info.name.as_str(), info.user.as_str(), info.scope),
        ("ci", "admin", Scope::Write)
    );
    let info = f.store.check_token(&reader).unwrap().unwrap();
    assert_eq!(info.scope, Scope::Read);
    assert_eq!(f.store.check_token("hadns_0000").unwrap(), None);
    assert_eq!(f.store.check_token("").unwrap(), None);
    let mut altered = writer.clone();
    altered.pop();
    altered.push(if writer.ends_with('0') { '1' } else { '0' });
    assert_eq!(f.store.check_token(&altered).unwrap(), None);

    f.store.revoke_token("ci").unwrap();
    assert_eq!(f.store.check_token(&writer).unwrap(), None);
    assert!(f.store.check_token(&reader).unwrap().is_some());
    assert!(matches!(
        f.store.revoke_token("ci").unwrap_err(),
        WriteError::NoSuchToken(_)
    ));
    // The name is free again, and the listing keeps the revoked one.
    f.store.create_token("ci", "admin", Scope::Read).unwrap();
    let tokens = f.store.tokens().unwrap();
    let listed: Vec<(&str, bool)> = tokens
        .iter()
        .map(|t| (t.name.as_str(), t.revoked_at.is_some()))
        .collect();
    assert_eq!(listed, [("ci", true), ("grafana", false), ("ci", false)]);
}

#[test]
fn token_secrets_are_never_stored_in_clear() {
    let f = Fixture::new();
    f.store.add_user("admin", "pw").unwrap();
    let secret = f.store.create_token("ci", "admin", Scope::Write).unwrap();
    let random = &secret[TOKEN_PREFIX.len()..];
    let dump = f.dump().to_lowercase();
    assert!(!dump.contains(random), "the secret is in the database");
    assert!(!dump.contains(&hex(secret.as_bytes())));
    // What is stored is the SHA-256 of the secret.
    use sha2::Digest;
    let digest = hex(&sha2::Sha256::digest(secret.as_bytes()));
    assert!(dump.contains(&digest));
}

#[test]
fn tokens_need_a_user_and_a_free_name_and_die_with_a_disabled_user() {
    let f = Fixture::new();
    f.store.add_user("admin", "pw").unwrap();
    let secret = f.store.create_token("ci", "admin", Scope::Write).unwrap();
    let before = f.dump();
    assert!(matches!(
        f.store
            .create_token("x", "nobody", Scope::Read)
            .unwrap_err(),
        WriteError::NoSuchUser(_)
    ));
    assert!(matches!(
        f.store
            .create_token("ci", "admin", Scope::Read)
            .unwrap_err(),
        WriteError::TokenExists(_)
    ));
    assert!(matches!(
        f.store.create_token("", "admin", Scope::Read).unwrap_err(),
        WriteError::EmptyTokenName
    ));
    assert_eq!(f.dump(), before);
    f.store.set_user_disabled("admin", true).unwrap();
    assert_eq!(f.store.check_token(&secret).unwrap(), None);
    f.store.set_user_disabled("admin", false).unwrap();
    assert!(f.store.check_token(&secret).unwrap().is_some());
}

#[test]
fn deleting_a_user_takes_its_tokens_and_never_the_last_user() {
    let f = Fixture::new();
    f.store.add_user("admin", "pw").unwrap();
    let before = f.dump();
    assert!(matches!(
        f.store.delete_user("admin").unwrap_err(),
        WriteError::LastUser(_)
    ));
    assert!(matches!(
        f.store.delete_user("nobody").unwrap_err(),
        WriteError::NoSuchUser(_)
    ));
    assert_eq!(f.dump(), before, "refused deletions change nothing");
    f.store.add_user("ops", "pw2").unwrap();
    let one = f.store.create_token("one", "ops", Scope::Write).unwrap();
    let two = f.store.create_token("two", "ops", Scope::Read).unwrap();
    let kept = f.store.create_token("ci", "admin", Scope::Write).unwrap();
    assert_eq!(f.store.delete_user("ops").unwrap(), 2);
    assert_eq!(f.store.check_token(&one).unwrap(), None);
    assert_eq!(f.store.check_token(&two).unwrap(), None);
    assert!(f.store.check_token(&kept).unwrap().is_some());
    assert_eq!(f.store.check_password("ops", "pw2").unwrap(), None);
    let names: Vec<String> = f
        .store
        .users()
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names, ["admin"]);
    // The name is free again.
    f.store.add_user("ops", "pw3").unwrap();
}

#[test]
fn a_user_revokes_only_their_own_tokens() {
    let f = Fixture::new();
    f.store.add_user("alice", "alice-password-1").unwrap();
    f.store.add_user("bob", "bob-password-12").unwrap();
    let alices = f
        .store
        .create_token("alices", "alice", Scope::Write)
        .unwrap();
    let bobs = f.store.create_token("bobs", "bob", Scope::Write).unwrap();
    // Bob's token is no token of Alice's: refused as unknown, still working.
    assert!(matches!(
        f.store.revoke_token_of("alice", "bobs").unwrap_err(),
        WriteError::NoSuchToken(_)
    ));
    assert!(f.store.check_token(&bobs).unwrap().is_some());
    f.store.revoke_token_of("alice", "alices").unwrap();
    assert_eq!(f.store.check_token(&alices).unwrap(), None);
    assert!(matches!(
        f.store.revoke_token_of("alice", "alices").unwrap_err(),
        WriteError::NoSuchToken(_)
    ));
    assert!(matches!(
        f.store.revoke_token_of("nobody", "bobs").unwrap_err(),
        WriteError::NoSuchToken(_)
    ));
}
