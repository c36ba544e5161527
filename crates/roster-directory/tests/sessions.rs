//! Sessions and admin roles as use cases, with time passed in: idle and absolute limits, and
//! what ends a session (role, status, password) without anything remembering to end it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use roster_core::event::Actor;
use roster_core::lifecycle::LifecycleOp;
use roster_core::{Role, Timestamp};
use roster_directory::{
    AdminSignIn, Ctx, Directory, NewUser, PasswordInput, SessionAudience, SessionLimits,
    SetPasswordMode,
};
use roster_store::Store;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

const T0: i64 = 1_800_000_000_000;

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_millis(T0 + minutes * 60_000)
}

fn ctx(minutes: i64) -> Ctx {
    Ctx::new(Actor::system(), at(minutes))
}

async fn directory() -> (Directory, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    let directory = Directory::new(store);
    directory.ensure_defaults(at(0)).await.unwrap();
    (directory, dir)
}

async fn user(d: &Directory, login: &str, password: &str) -> String {
    let profile =
        json!({"login": login, "email": login, "firstName": "Sam", "lastName": "Example"});
    let (user, _) = d
        .create_user(
            &ctx(0),
            NewUser {
                profile: profile.as_object().unwrap().clone(),
                password: Some(PasswordInput::Value(SecretString::from(
                    password.to_owned(),
                ))),
                provider: None,
                activate: true,
                next_login_change_password: false,
                group_ids: Vec::new(),
            },
        )
        .await
        .unwrap();
    user.id
}

async fn sign_in(d: &Directory, login: &str, password: &str, minutes: i64) -> AdminSignIn {
    d.admin_sign_in(
        &ctx(minutes),
        login,
        &SecretString::from(password.to_owned()),
    )
    .await
    .unwrap()
}

async fn live(d: &Directory, token: &str, minutes: i64) -> bool {
    d.session(
        token,
        SessionAudience::Admin,
        SessionLimits::default(),
        at(minutes),
    )
    .await
    .unwrap()
    .is_some()
}

#[tokio::test]
async fn a_session_ends_when_idle_or_old_whatever_its_use() {
    let (d, _dir) = directory().await;
    let id = user(&d, "sam@example.com", "Lantern-Fish-77").await;
    assert!(matches!(
        sign_in(&d, "sam@example.com", "Lantern-Fish-77", 0).await,
        AdminSignIn::NotAnAdmin
    ));
    d.grant_role(&ctx(0), &id, Role::ReadOnlyAdmin)
        .await
        .unwrap();
    let AdminSignIn::Started(s) = sign_in(&d, "sam@example.com", "Lantern-Fish-77", 0).await else {
        panic!("an admin signs in")
    };
    let token = s.token.expose_secret().to_owned();
    // Used every 50 minutes it stays alive, until 12 hours after sign-in.
    let mut minute = 0;
    while minute + 50 < 12 * 60 {
        minute += 50;
        assert!(live(&d, &token, minute).await, "alive at {minute} min");
    }
    assert!(!live(&d, &token, 12 * 60).await, "the absolute limit");
    assert!(
        !live(&d, &token, 12 * 60 - 1).await,
        "an ended session stays ended"
    );

    // Unused for an hour, it ends.
    let AdminSignIn::Started(s) = sign_in(&d, "sam@example.com", "Lantern-Fish-77", 1000).await
    else {
        panic!()
    };
    let token = s.token.expose_secret().to_owned();
    assert!(live(&d, &token, 1059).await);
    assert!(!live(&d, &token, 1059 + 61).await, "idle for 61 minutes");
    // Unknown and malformed tokens are simply not sessions.
    assert!(!live(&d, "no-such-token", 1000).await);
    assert!(!live(&d, "", 1000).await);
    assert!(!live(&d, "a\0b", 1000).await);
}

#[tokio::test]
async fn role_status_and_password_changes_end_sessions() {
    let (d, _dir) = directory().await;
    let id = user(&d, "kim@example.com", "Lantern-Fish-77").await;
    let role = d.grant_role(&ctx(0), &id, Role::SuperAdmin).await.unwrap();
    let again = d.grant_role(&ctx(0), &id, Role::SuperAdmin).await.unwrap();
    assert_eq!(role, again, "granting a held role is the same role");
    let start = |m| sign_in(&d, "kim@example.com", "Lantern-Fish-77", m);
    let AdminSignIn::Started(s) = start(1).await else {
        panic!()
    };
    let token = s.token.expose_secret().to_owned();
    let session = d
        .session(
            &token,
            SessionAudience::Admin,
            SessionLimits::default(),
            at(2),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.role, Some(Role::SuperAdmin));
    assert_eq!(session.csrf.len(), 32);
    assert!(
        d.session(
            &token,
            SessionAudience::PasswordChange,
            SessionLimits::default(),
            at(2)
        )
        .await
        .unwrap()
        .is_none(),
        "an admin session is not a password-change session"
    );
    d.revoke_role(&ctx(3), &id, &role.id).await.unwrap();
    assert!(!live(&d, &token, 4).await, "the role is gone");

    d.grant_role(&ctx(5), &id, Role::SuperAdmin).await.unwrap();
    let AdminSignIn::Started(s) = start(5).await else {
        panic!()
    };
    let token = s.token.expose_secret().to_owned();
    d.lifecycle(&ctx(6), &id, LifecycleOp::Suspend, false)
        .await
        .unwrap();
    assert!(!live(&d, &token, 7).await, "suspended");
    d.lifecycle(&ctx(8), &id, LifecycleOp::Unsuspend, false)
        .await
        .unwrap();
    assert!(
        !live(&d, &token, 9).await,
        "unsuspending does not revive a session"
    );

    let AdminSignIn::Started(s) = start(10).await else {
        panic!()
    };
    let token = s.token.expose_secret().to_owned();
    d.set_password(
        &ctx(11),
        &id,
        &SecretString::from("Another-Fish-78".to_owned()),
        SetPasswordMode::Admin,
    )
    .await
    .unwrap();
    assert!(!live(&d, &token, 12).await, "the password changed");
}

#[tokio::test]
async fn an_expired_password_gets_a_short_session_that_only_changes_it() {
    let (d, _dir) = directory().await;
    let id = user(&d, "lee@example.com", "Lantern-Fish-77").await;
    d.grant_role(&ctx(0), &id, Role::SuperAdmin).await.unwrap();
    d.lifecycle(&ctx(1), &id, LifecycleOp::ExpirePassword, false)
        .await
        .unwrap();
    let AdminSignIn::PasswordExpired(s) =
        sign_in(&d, "lee@example.com", "Lantern-Fish-77", 2).await
    else {
        panic!("an expired password leads to the change")
    };
    let token = s.token.expose_secret().to_owned();
    assert!(!live(&d, &token, 3).await, "it opens no console");
    let change = |m| {
        d.session(
            &token,
            SessionAudience::PasswordChange,
            SessionLimits::default(),
            at(m),
        )
    };
    assert!(change(11).await.unwrap().is_some());
    assert!(change(13).await.unwrap().is_none(), "ten minutes only");
}
