//! Group Push against a scripted connector with groups: one queued push per mapping however
//! many changes trigger it, only provisioned members are pushed, failures mark the mapping and
//! open one task, and provisioning cannot be turned off under a live mapping (seed 003).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use futures::FutureExt as _;
use roster_core::event::Actor;
use roster_directory::{Ctx, Directory, NewUser};
use roster_provisioning::connector::ConnectorResult;
use roster_provisioning::engine::now;
use roster_provisioning::{
    App, Connector, ConnectorError, ConnectorFactory, ErrorKind, KeyRing, MasterKey, MemberChanges,
    Provisioning, ProvisioningError, PushUser, RemoteGroup, RemoteUser, Settings, StepOutcome,
    TargetGroup, UserProvisioning,
};
use secrecy::SecretString;
use serde_json::json;

#[derive(Default)]
struct Target {
    users: BTreeMap<String, RemoteUser>,
    /// id -> (name, members)
    groups: BTreeMap<String, (String, BTreeSet<String>)>,
    member_writes: usize,
    /// The next group calls fail with this.
    group_failure: Option<ErrorKind>,
}

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<Target>>);

impl Fake {
    /// The scripted failure of the next group call, if any.
    fn fail(&self) -> Result<(), Box<ConnectorError>> {
        match self.0.lock().unwrap().group_failure.clone() {
            Some(kind) => Err(Box::new(ConnectorError::new(
                kind,
                "group call",
                "HTTP 401",
            ))),
            None => Ok(()),
        }
    }
}

impl Connector for Fake {
    fn target(&self) -> &str {
        "fake"
    }
    fn check_connection(&self) -> BoxFuture<'_, ConnectorResult<()>> {
        async { Ok(()) }.boxed()
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
        _password: Option<&'a SecretString>,
    ) -> BoxFuture<'a, ConnectorResult<RemoteUser>> {
        let mut t = self.0.lock().unwrap();
        let remote = RemoteUser {
            id: format!("hub-{}", user.login),
            login: user.login.clone(),
            status: Some("ACTIVE".into()),
            provider_type: None,
        };
        t.users.insert(user.login.clone(), remote.clone());
        async move { Ok(remote) }.boxed()
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
        _remote: &'a RemoteUser,
        _password: &'a SecretString,
    ) -> BoxFuture<'a, ConnectorResult<()>> {
        async { Ok(()) }.boxed()
    }
    fn deactivate<'a>(&'a self, _remote: &'a RemoteUser) -> BoxFuture<'a, ConnectorResult<()>> {
        async { Ok(()) }.boxed()
    }
    fn find_group<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, ConnectorResult<Option<RemoteGroup>>> {
        let result = self.fail().map_err(|e| *e).map(|()| {
            self.0
                .lock()
                .unwrap()
                .groups
                .iter()
                .find(|(_, (n, _))| n == name)
                .map(|(id, (n, _))| RemoteGroup {
                    id: id.clone(),
                    name: n.clone(),
                })
        });
        async move { result }.boxed()
    }
    fn create_group<'a>(&'a self, name: &'a str) -> BoxFuture<'a, ConnectorResult<RemoteGroup>> {
        let result = self.fail().map_err(|e| *e).map(|()| {
            let mut t = self.0.lock().unwrap();
            let id = format!("hubgroup-{}", t.groups.len() + 1);
            t.groups
                .insert(id.clone(), (name.to_owned(), BTreeSet::new()));
            RemoteGroup {
                id,
                name: name.to_owned(),
            }
        });
        async move { result }.boxed()
    }
    fn set_group_members<'a>(
        &'a self,
        group_id: &'a str,
        members: &'a [String],
    ) -> BoxFuture<'a, ConnectorResult<MemberChanges>> {
        let result = self.fail().map_err(|e| *e).map(|()| {
            let mut t = self.0.lock().unwrap();
            t.member_writes += 1;
            if let Some((_, m)) = t.groups.get_mut(group_id) {
                *m = members.iter().cloned().collect();
            }
            MemberChanges::default()
        });
        async move { result }.boxed()
    }
}

impl ConnectorFactory for Fake {
    fn connector(&self, _app: &App, _token: SecretString) -> Box<dyn Connector> {
        Box::new(self.clone())
    }
}

fn ctx() -> Ctx {
    Ctx::new(Actor::system(), now())
}

struct World {
    p: Provisioning,
    directory: Directory,
    fake: Fake,
    app_id: String,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = roster_store::Store::open_data_dir(dir.path())
        .await
        .unwrap();
    let plain = Directory::new(store);
    plain.ensure_defaults(now()).await.unwrap();
    let fake = Fake::default();
    let p = Provisioning::new(
        plain.clone(),
        KeyRing::fixed(MasterKey::from_bytes([5; 32])),
        Arc::new(fake.clone()),
        Settings {
            max_attempts: 2,
            ..Settings::default()
        },
    );
    let directory = plain.with_observer(p.observer());
    let app = p
        .create_app(&ctx(), "okta_org2org", "Hub", "http://hub.invalid", true)
        .await
        .unwrap();
    p.set_connection(&ctx(), &app.id, SecretString::from("tok"), true)
        .await
        .unwrap();
    p.set_user_provisioning(&ctx(), &app.id, provisioning(true))
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

fn provisioning(on: bool) -> UserProvisioning {
    UserProvisioning {
        enabled: on,
        create: on,
        ..UserProvisioning::default()
    }
}

async fn user(w: &World, login: &str) -> String {
    let (u, _) = w
        .directory
        .create_user(
            &ctx(),
            NewUser {
                profile: json!({"login": login, "email": login, "firstName": "A", "lastName": "B"})
                    .as_object()
                    .unwrap()
                    .clone(),
                password: None,
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

/// Run the worker until nothing is due; the outcomes of Group Push jobs.
async fn drain(w: &World) -> Vec<StepOutcome> {
    let mut pushes = Vec::new();
    while let Some(outcome) = w.p.run_once().await.unwrap() {
        let job = match &outcome {
            StepOutcome::Done { job_id }
            | StepOutcome::Skipped { job_id, .. }
            | StepOutcome::Rescheduled { job_id, .. }
            | StepOutcome::TaskOpened { job_id, .. } => job_id.clone(),
        };
        if job.starts_with("0xxg") {
            pushes.push(outcome);
        }
    }
    pushes
}

fn members(w: &World) -> BTreeSet<String> {
    let t = w.fake.0.lock().unwrap();
    t.groups
        .values()
        .next()
        .map(|(_, m)| m.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn many_changes_make_one_push_with_only_provisioned_members() {
    let w = world().await;
    let ann = user(&w, "ann@example.com").await;
    let ben = user(&w, "ben@example.com").await;
    let cat = user(&w, "cat@example.com").await;
    w.p.assign_user(&ctx(), &w.app_id, &ann).await.unwrap();
    w.p.assign_user(&ctx(), &w.app_id, &ben).await.unwrap();
    drain(&w).await;
    let group = w.directory.create_group(&ctx(), "Eng", None).await.unwrap();
    w.p.create_group_push_mapping(&ctx(), &w.app_id, &group.id, None, None)
        .await
        .unwrap();
    for u in [&ann, &ben, &cat] {
        w.directory.add_member(&ctx(), &group.id, u).await.unwrap();
    }
    let pushes = drain(&w).await;
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    assert_eq!(
        members(&w),
        BTreeSet::from([
            "hub-ann@example.com".to_owned(),
            "hub-ben@example.com".to_owned()
        ])
    );
    // Cat's push (a subjob) brings Cat in.
    w.p.assign_user(&ctx(), &w.app_id, &cat).await.unwrap();
    assert_eq!(drain(&w).await.len(), 1);
    assert_eq!(members(&w).len(), 3);
}

#[tokio::test]
async fn a_failed_push_marks_the_mapping_and_opens_one_task() {
    let w = world().await;
    let ann = user(&w, "ann@example.com").await;
    w.p.assign_user(&ctx(), &w.app_id, &ann).await.unwrap();
    drain(&w).await;
    let group = w.directory.create_group(&ctx(), "Eng", None).await.unwrap();
    w.directory
        .add_member(&ctx(), &group.id, &ann)
        .await
        .unwrap();
    w.fake.0.lock().unwrap().group_failure = Some(ErrorKind::Unauthorized);
    let m =
        w.p.create_group_push_mapping(
            &ctx(),
            &w.app_id,
            &group.id,
            Some(TargetGroup::Name("Eng Hub".into())),
            None,
        )
        .await
        .unwrap();
    let pushes = drain(&w).await;
    let [StepOutcome::TaskOpened { task_id, .. }] = pushes.as_slice() else {
        panic!("{pushes:?}")
    };
    let m = w.p.get_group_push_mapping(&w.app_id, &m.id).await.unwrap();
    assert_eq!(m.status, "ERROR");
    assert_eq!(m.task_id.as_deref(), Some(task_id.as_str()));
    assert!(m.error_summary.unwrap().contains("Eng"));
    let task = w.p.get_task(task_id).await.unwrap();
    assert_eq!(task.user_id, m.id);
    assert_eq!(
        task.last_error.unwrap()["groupPush"]["sourceGroupName"],
        "Eng"
    );
    // More changes do not queue more pushes: the task's retry pushes the current state.
    w.directory
        .remove_member(&ctx(), &group.id, &ann)
        .await
        .unwrap();
    assert!(drain(&w).await.is_empty());
    w.fake.0.lock().unwrap().group_failure = None;
    w.p.retry_task(&ctx(), task_id).await.unwrap();
    assert!(matches!(
        drain(&w).await.as_slice(),
        [StepOutcome::Done { .. }]
    ));
    let m = w.p.get_group_push_mapping(&w.app_id, &m.id).await.unwrap();
    assert_eq!(m.status, "ACTIVE");
    assert!(m.error_summary.is_none());
}

#[tokio::test]
async fn provisioning_cannot_be_turned_off_under_a_live_mapping() {
    let w = world().await;
    let group = w
        .directory
        .create_group(&ctx(), "Sales", None)
        .await
        .unwrap();
    let m =
        w.p.create_group_push_mapping(&ctx(), &w.app_id, &group.id, None, None)
            .await
            .unwrap();
    let err =
        w.p.set_user_provisioning_checked(&ctx(), &w.app_id, provisioning(false), false)
            .await
            .unwrap_err();
    let ProvisioningError::Invalid {
        field,
        message,
        remediation,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(field, "deactivateGroupPush");
    assert!(
        message.contains(&m.id) && message.contains("\"Sales\""),
        "{message}"
    );
    assert!(remediation.contains("deactivateGroupPush=true"));
    assert!(w.p.get_app(&w.app_id).await.unwrap().provisioning.enabled);

    // Deactivating in the same change: the mapping is INACTIVE and its queued push dropped.
    w.p.set_user_provisioning_checked(&ctx(), &w.app_id, provisioning(false), true)
        .await
        .unwrap();
    let m = w.p.get_group_push_mapping(&w.app_id, &m.id).await.unwrap();
    assert_eq!(m.status, "INACTIVE");
    assert!(drain(&w).await.is_empty());
    assert_eq!(w.fake.0.lock().unwrap().member_writes, 0);
    // Re-activating is refused while provisioning is off; deleting (keeping the target) works.
    assert!(w
        .p
        .set_group_push_status(&ctx(), &w.app_id, &m.id, "ACTIVE")
        .await
        .is_err());
    w.p.delete_group_push_mapping(&ctx(), &w.app_id, &m.id, false)
        .await
        .unwrap();
}
