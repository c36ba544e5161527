//! The engine against a scripted connector: idempotent create-or-link, backoff and
//! Retry-After, bounded attempts, and the password escrow's life.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt as _;
use roster_core::event::Actor;
use roster_directory::{Ctx, Directory, NewUser, PasswordInput, ProfileChange};
use roster_provisioning::connector::ConnectorResult;
use roster_provisioning::engine::now;
use roster_provisioning::model::ESCROW_KIND;
use roster_provisioning::transformations::PreviewSelection;
use roster_provisioning::{
    App, Connector, ConnectorError, ConnectorFactory, ErrorKind, KeyRing, MasterKey, Provisioning,
    ProvisioningError, PushUser, RemoteUser, Settings, StepOutcome, UserProvisioning,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

/// What the fake target holds and what it is told to do next.
#[derive(Default)]
struct Target {
    users: HashMap<String, RemoteUser>,
    passwords: HashMap<String, String>,
    creates: usize,
    /// Errors for the next calls to create (after storing the user when `lost_answer`).
    create_failures: VecDeque<(ErrorKind, bool)>,
    /// The connection check answers 401.
    refuse_connection: bool,
    /// Connection checks made, and the token each connector was made with.
    checks: usize,
    tokens: Vec<String>,
}

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<Target>>);

impl Connector for Fake {
    fn target(&self) -> &str {
        "fake"
    }
    fn check_connection(&self) -> BoxFuture<'_, ConnectorResult<()>> {
        let mut t = self.0.lock().unwrap();
        t.checks += 1;
        let result = if t.refuse_connection {
            let mut e =
                ConnectorError::new(ErrorKind::Unauthorized, "check the connection", "HTTP 401");
            e.status = Some(401);
            Err(e)
        } else {
            Ok(())
        };
        async move { result }.boxed()
    }
    fn find_user<'a>(
        &'a self,
        login: &'a str,
    ) -> BoxFuture<'a, ConnectorResult<Option<RemoteUser>>> {
        let found = self.0.lock().unwrap().users.get(login).cloned();
        async move { Ok(found) }.boxed()
    }
    fn create_user<'a>(
        &'a self,
        user: &'a PushUser,
        password: Option<&'a SecretString>,
    ) -> BoxFuture<'a, ConnectorResult<RemoteUser>> {
        let mut t = self.0.lock().unwrap();
        let failure = t.create_failures.pop_front();
        let remote = RemoteUser {
            id: format!("hub-{}", t.users.len() + 1),
            login: user.login.clone(),
            status: Some("ACTIVE".into()),
            provider_type: Some("OKTA".into()),
        };
        let result = match failure {
            Some((kind, lost_answer)) => {
                if lost_answer {
                    t.creates += 1;
                    t.users.insert(user.login.clone(), remote);
                }
                Err(ConnectorError::new(kind, "create user", "HTTP 503"))
            }
            None => {
                t.creates += 1;
                t.users.insert(user.login.clone(), remote.clone());
                if let Some(p) = password {
                    t.passwords
                        .insert(remote.id.clone(), p.expose_secret().to_owned());
                }
                Ok(remote)
            }
        };
        async move { result }.boxed()
    }
    fn update_profile<'a>(
        &'a self,
        _remote: &'a RemoteUser,
        _user: &'a PushUser,
    ) -> BoxFuture<'a, ConnectorResult<()>> {
        async { Ok(()) }.boxed()
    }
    fn set_password<'a>(
        &'a self,
        remote: &'a RemoteUser,
        password: &'a SecretString,
    ) -> BoxFuture<'a, ConnectorResult<()>> {
        self.0
            .lock()
            .unwrap()
            .passwords
            .insert(remote.id.clone(), password.expose_secret().to_owned());
        async { Ok(()) }.boxed()
    }
    fn deactivate<'a>(&'a self, _remote: &'a RemoteUser) -> BoxFuture<'a, ConnectorResult<()>> {
        async { Ok(()) }.boxed()
    }
}

impl ConnectorFactory for Fake {
    fn connector(&self, _app: &App, token: SecretString) -> Box<dyn Connector> {
        self.0
            .lock()
            .unwrap()
            .tokens
            .push(token.expose_secret().to_owned());
        Box::new(self.clone())
    }
}

struct World {
    p: Provisioning,
    directory: Directory,
    fake: Fake,
    app_id: String,
    _dir: tempfile::TempDir,
}

fn ctx() -> Ctx {
    Ctx::new(Actor::system(), now())
}

async fn world(settings: Settings) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = roster_store::Store::open_data_dir(dir.path())
        .await
        .unwrap();
    let plain = Directory::new(store);
    plain.ensure_defaults(now()).await.unwrap();
    let fake = Fake::default();
    let p = Provisioning::new(
        plain.clone(),
        KeyRing::fixed(MasterKey::from_bytes([3; 32])),
        Arc::new(fake.clone()),
        settings,
    );
    let directory = plain.with_observer(p.observer());
    let app = p
        .create_app(&ctx(), "okta_org2org", "Hub", "http://hub.invalid", true)
        .await
        .unwrap();
    p.set_connection(&ctx(), &app.id, SecretString::from("tok"), true)
        .await
        .unwrap();
    p.set_user_provisioning(
        &ctx(),
        &app.id,
        UserProvisioning {
            enabled: true,
            create: true,
            update_profile: true,
            deactivate: true,
            password_sync: true,
            password_seed: "OKTA".into(),
            password_change: "CHANGE".into(),
        },
    )
    .await
    .unwrap();
    World {
        p,
        directory,
        fake,
        app_id: app.id,
        _dir: dir,
    }
}

async fn user(w: &World, login: &str, password: &str) -> String {
    let (u, _) = w
        .directory
        .create_user(
            &ctx(),
            NewUser {
                profile: json!({"login": login, "email": login, "firstName": "A", "lastName": "B"})
                    .as_object()
                    .unwrap()
                    .clone(),
                password: Some(PasswordInput::Value(SecretString::from(
                    password.to_owned(),
                ))),
                provider: None,
                activate: true,
                next_login_change_password: false,
                group_ids: vec![],
            },
        )
        .await
        .unwrap();
    u.id
}

fn fast() -> Settings {
    Settings {
        base_backoff: Duration::ZERO,
        max_attempts: 3,
        ..Settings::default()
    }
}

#[tokio::test]
async fn a_retried_create_links_to_the_user_it_made_instead_of_duplicating() {
    let w = world(fast()).await;
    let id = user(&w, "ann@example.com", "Str0ng-Pass!word").await;
    w.fake
        .0
        .lock()
        .unwrap()
        .create_failures
        .push_back((ErrorKind::Transient, true));
    w.p.assign_user(&ctx(), &w.app_id, &id).await.unwrap();
    assert!(matches!(
        w.p.run_once().await.unwrap(),
        Some(StepOutcome::Rescheduled { .. })
    ));
    assert!(matches!(
        w.p.run_once().await.unwrap(),
        Some(StepOutcome::Done { .. })
    ));
    let (creates, synced) = {
        let t = w.fake.0.lock().unwrap();
        (t.creates, t.passwords.get("hub-1").cloned())
    };
    assert_eq!(creates, 1, "no duplicate on the target");
    assert_eq!(synced.as_deref(), Some("Str0ng-Pass!word"));
    let au = w.p.get_app_user(&w.app_id, &id).await.unwrap();
    assert_eq!(au.sync_state, "SYNCHRONIZED");
    assert_eq!(au.external_id.as_deref(), Some("hub-1"));
    // The escrow is gone once nothing needs it.
    let store = w.directory.store();
    assert!(store
        .get_document(ESCROW_KIND, &id)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn rate_limits_wait_for_retry_after() {
    let w = world(fast()).await;
    let id = user(&w, "bea@example.com", "Str0ng-Pass!word").await;
    w.fake.0.lock().unwrap().create_failures.push_back((
        ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(60)),
        },
        false,
    ));
    w.p.assign_user(&ctx(), &w.app_id, &id).await.unwrap();
    let before = now();
    match w.p.run_once().await.unwrap() {
        Some(StepOutcome::Rescheduled { due, .. }) => {
            assert!(due.as_millis() >= before.as_millis() + 59_000, "{due}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        w.p.run_once().await.unwrap(),
        None,
        "not due before Retry-After"
    );
}

#[tokio::test]
async fn a_target_that_keeps_failing_ends_in_an_open_task() {
    let w = world(fast()).await;
    let id = user(&w, "cid@example.com", "Str0ng-Pass!word").await;
    {
        let mut t = w.fake.0.lock().unwrap();
        for _ in 0..3 {
            t.create_failures.push_back((ErrorKind::Transient, false));
        }
    }
    w.p.assign_user(&ctx(), &w.app_id, &id).await.unwrap();
    let mut last = None;
    for _ in 0..3 {
        last = w.p.run_once().await.unwrap();
    }
    let Some(StepOutcome::TaskOpened { task_id, .. }) = last else {
        panic!("{last:?}")
    };
    let task = w.p.get_task(&task_id).await.unwrap();
    assert_eq!(task.status, "OPEN");
    assert_eq!(task.attempts, 3);
    assert_eq!(
        task.last_error.unwrap()["code"],
        "provisioning.target_unavailable"
    );
    assert_eq!(
        w.p.get_app_user(&w.app_id, &id).await.unwrap().sync_state,
        "ERROR"
    );
    // The escrow stays while the task may be retried; retry succeeds.
    assert!(w
        .directory
        .store()
        .get_document(ESCROW_KIND, &id)
        .await
        .unwrap()
        .is_some());
    w.p.retry_task(&ctx(), &task_id).await.unwrap();
    assert!(matches!(
        w.p.run_once().await.unwrap(),
        Some(StepOutcome::Done { .. })
    ));
    assert_eq!(w.p.get_task(&task_id).await.unwrap().status, "DONE");
}

#[tokio::test]
async fn a_password_change_is_pushed_to_assigned_apps() {
    let w = world(fast()).await;
    let id = user(&w, "dee@example.com", "Str0ng-Pass!word").await;
    w.p.assign_user(&ctx(), &w.app_id, &id).await.unwrap();
    assert!(matches!(
        w.p.run_once().await.unwrap(),
        Some(StepOutcome::Done { .. })
    ));
    w.directory
        .update_user(
            &ctx(),
            &id,
            ProfileChange {
                profile: None,
                replace: false,
                password: Some(SecretString::from("N3w-Secret!phrase")),
                provider: None,
                expected_version: None,
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        w.p.run_once().await.unwrap(),
        Some(StepOutcome::Done { .. })
    ));
    assert_eq!(
        w.fake
            .0
            .lock()
            .unwrap()
            .passwords
            .get("hub-1")
            .map(String::as_str),
        Some("N3w-Secret!phrase")
    );
}

#[tokio::test]
async fn no_password_is_escrowed_when_no_app_syncs_passwords() {
    let w = world(fast()).await;
    let mut features = w.p.get_app(&w.app_id).await.unwrap().provisioning;
    features.password_sync = false;
    w.p.set_user_provisioning(&ctx(), &w.app_id, features)
        .await
        .unwrap();
    let id = user(&w, "eve@example.com", "Str0ng-Pass!word").await;
    assert!(w
        .directory
        .store()
        .get_document(ESCROW_KIND, &id)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_saved_connection_is_tested_again_with_its_token_and_nothing_changes() {
    let w = world(fast()).await;
    let before = w.p.get_app(&w.app_id).await.unwrap();
    w.p.test_connection(&w.app_id).await.unwrap();
    {
        let t = w.fake.0.lock().unwrap();
        assert_eq!(
            t.checks, 2,
            "set_connection checked once, the test once more"
        );
        assert_eq!(
            t.tokens.last().map(String::as_str),
            Some("tok"),
            "the saved token, opened"
        );
    }
    w.fake.0.lock().unwrap().refuse_connection = true;
    match w.p.test_connection(&w.app_id).await {
        Err(ProvisioningError::ConnectionRefused(e)) => {
            assert!(matches!(e.kind, ErrorKind::Unauthorized), "{e:?}");
            assert!(!format!("{e:?}").contains("tok\""), "no token in the error");
        }
        other => panic!("{other:?}"),
    }
    let after = w.p.get_app(&w.app_id).await.unwrap();
    let (b, a) = (before.connection.unwrap(), after.connection.unwrap());
    assert_eq!(a.sealed_token, b.sealed_token);
    assert_eq!(
        a.status, "ENABLED",
        "a refused test does not disable the connection"
    );
    assert_eq!(after.last_updated, before.last_updated);
}

#[tokio::test]
async fn an_app_without_a_connection_has_nothing_to_test() {
    let w = world(fast()).await;
    let bare =
        w.p.create_app(&ctx(), "scim2", "Bare", "http://bare.invalid", true)
            .await
            .unwrap();
    match w.p.test_connection(&bare.id).await {
        Err(ProvisioningError::Invalid { field, .. }) => assert_eq!(field, "profile.token"),
        other => panic!("{other:?}"),
    }
    assert_eq!(w.fake.0.lock().unwrap().checks, 1, "no check was made");
}

#[tokio::test]
async fn push_user_now_queues_the_push_of_an_assigned_user() {
    let w = world(fast()).await;
    let id = user(&w, "fay@example.com", "Str0ng-Pass!word").await;
    // Not assigned: refused, nothing queued.
    match w.p.push_user_now(&ctx(), &w.app_id, &id).await {
        Err(ProvisioningError::Invalid { field, message, .. }) => {
            assert_eq!(field, "userId");
            assert!(message.contains("not assigned"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(w.p.run_once().await.unwrap(), None);
    w.p.assign_user(&ctx(), &w.app_id, &id).await.unwrap();
    assert!(matches!(
        w.p.run_once().await.unwrap(),
        Some(StepOutcome::Done { .. })
    ));
    assert_eq!(w.p.run_once().await.unwrap(), None, "nothing left to run");
    let au = w.p.push_user_now(&ctx(), &w.app_id, &id).await.unwrap();
    assert_eq!(au.sync_state, "SYNCING");
    assert_eq!(
        w.p.get_app_user(&w.app_id, &id).await.unwrap().sync_state,
        "SYNCING"
    );
    assert!(matches!(
        w.p.run_once().await.unwrap(),
        Some(StepOutcome::Done { .. })
    ));
    assert_eq!(
        w.fake.0.lock().unwrap().creates,
        1,
        "the second push linked"
    );
    let au = w.p.get_app_user(&w.app_id, &id).await.unwrap();
    assert_eq!(au.sync_state, "SYNCHRONIZED");
    assert_eq!(au.external_id.as_deref(), Some("hub-1"));
}

#[tokio::test]
async fn push_user_now_retries_the_open_task_of_a_failed_push() {
    let w = world(fast()).await;
    let id = user(&w, "gil@example.com", "Str0ng-Pass!word").await;
    {
        let mut t = w.fake.0.lock().unwrap();
        for _ in 0..3 {
            t.create_failures.push_back((ErrorKind::Transient, false));
        }
    }
    w.p.assign_user(&ctx(), &w.app_id, &id).await.unwrap();
    let mut last = None;
    for _ in 0..3 {
        last = w.p.run_once().await.unwrap();
    }
    let Some(StepOutcome::TaskOpened { task_id, .. }) = last else {
        panic!("{last:?}")
    };
    let au = w.p.push_user_now(&ctx(), &w.app_id, &id).await.unwrap();
    assert_eq!(au.sync_state, "SYNCING");
    assert_eq!(w.p.get_task(&task_id).await.unwrap().status, "RETRYING");
    assert!(matches!(
        w.p.run_once().await.unwrap(),
        Some(StepOutcome::Done { .. })
    ));
    assert_eq!(w.p.get_task(&task_id).await.unwrap().status, "DONE");
    assert_eq!(w.p.run_once().await.unwrap(), None, "one push, not two");
}

#[tokio::test]
async fn push_user_now_is_refused_while_provisioning_is_off() {
    let w = world(fast()).await;
    let id = user(&w, "hal@example.com", "Str0ng-Pass!word").await;
    w.p.assign_user(&ctx(), &w.app_id, &id).await.unwrap();
    assert!(w.p.run_once().await.unwrap().is_some());
    let mut features = w.p.get_app(&w.app_id).await.unwrap().provisioning;
    features.enabled = false;
    w.p.set_user_provisioning(&ctx(), &w.app_id, features)
        .await
        .unwrap();
    match w.p.push_user_now(&ctx(), &w.app_id, &id).await {
        Err(ProvisioningError::Invalid { field, message, .. }) => {
            assert_eq!(field, "USER_PROVISIONING");
            assert!(message.contains("off"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(w.p.run_once().await.unwrap(), None, "nothing queued");
}

#[tokio::test]
async fn an_unsaved_transformation_is_previewed_validated_and_not_stored() {
    let w = world(fast()).await;
    let id = user(&w, "ida@example.com", "Str0ng-Pass!word").await;
    let saved =
        w.p.preview(
            &w.app_id,
            PreviewSelection::Users(vec![id.clone()]),
            roster_transform::Scope::Create,
            None,
        )
        .await
        .unwrap();
    assert_eq!(saved["transformation"], "DEFAULT");
    assert_eq!(saved["transformationSource"], "SAVED");
    let doc = json!({"user": {"mappings": [
        {"sourcePath": "$.profile.login", "targetPath": "$.profile.login"},
        {"sourcePath": "$.profile.firstName", "targetPath": "$.profile.nickName"}
    ]}});
    let unsaved =
        w.p.preview(
            &w.app_id,
            PreviewSelection::Users(vec![id.clone()]),
            roster_transform::Scope::Create,
            Some(&doc),
        )
        .await
        .unwrap();
    assert_eq!(unsaved["transformation"], "CUSTOM");
    assert_eq!(unsaved["transformationSource"], "REQUEST");
    assert_eq!(unsaved["users"][0]["payload"]["profile"]["nickName"], "A");
    assert!(unsaved["users"][0]["payload"]["profile"]
        .get("email")
        .is_none());
    assert!(
        w.p.get_transformation(&w.app_id).await.unwrap().is_none(),
        "not stored"
    );
    let bad = json!({"user": {"mappings": [
        {"sourcePath": "$.profile.login", "targetPath": "$.profile.login"},
        {"sourcePath": "$.profile.login"}
    ]}});
    match w
        .p
        .preview(
            &w.app_id,
            PreviewSelection::Users(vec![id]),
            roster_transform::Scope::Create,
            Some(&bad),
        )
        .await
    {
        Err(ProvisioningError::InvalidTransformation(problems)) => {
            assert!(
                problems
                    .iter()
                    .any(|(_, loc)| loc.starts_with("user.mappings[1]")),
                "{problems:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}
