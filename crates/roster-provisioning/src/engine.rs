//! The provisioning use cases: apps, connections, features, assignments and tasks. The worker is
//! in `worker.rs`, the steps of each job kind in their own modules.
//!
//! Administrators' changes (apps, connections, features, assignments, tasks) are methods of
//! [`Provisioning`]; each one writes its System Log events with it. An assignment puts a job on
//! the durable queue; [`Provisioning::run_once`] claims one due job and executes it — create or
//! link the user on the target, with its password when the app syncs passwords — and records
//! the outcome: the job is done, rescheduled with backoff, or failed into a Task.

use std::sync::Arc;
use std::time::Duration;

use roster_core::ids::{make_id, IdKind};
use roster_core::{LogEvent, Timestamp};
use roster_directory::{Ctx, Directory, DirectoryObserver};
use roster_store::{Document, NewJob, Page, Store, StoreError, TaskQuery, TaskRecord};
use secrecy::SecretString;
use serde_json::json;
use tokio::sync::Notify;

use crate::connector::Connector;
use crate::crypto::KeyRing;
use crate::error::ProvisioningError;
pub(crate) use crate::escrow::escrow_purpose;
use crate::job_kind::JobKind;
use crate::model::{app_user_kind, App, AppType, AppUser, Connection, UserProvisioning, APP_KIND};
use crate::org2org::Org2OrgConnector;
use crate::scim::ScimConnector;
pub use crate::worker::spawn_worker;
pub(crate) use crate::worker::{backoff, Failure, Phase, Step};

/// The operation of a job that creates or links a user, with its password when synced.
pub const PUSH_USER: &str = JobKind::PushUser.as_str();

/// Makes the connector of an app. The binary wires [`StandardConnectors`]; tests may wire fakes.
pub trait ConnectorFactory: Send + Sync {
    fn connector(&self, app: &App, token: SecretString) -> Box<dyn Connector>;
}

/// The connectors Roster ships: Org2Org and SCIM 2.0 over HTTPS.
pub struct StandardConnectors {
    http: reqwest::Client,
}

impl StandardConnectors {
    /// The connectors with the default timeout per request ([`crate::http::DEFAULT_TARGET_TIMEOUT`]).
    pub fn new() -> Result<Self, ProvisioningError> {
        Self::with_timeout(crate::http::DEFAULT_TARGET_TIMEOUT)
    }

    /// The connectors, each request to a target limited to `timeout`.
    pub fn with_timeout(timeout: Duration) -> Result<Self, ProvisioningError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("roster/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .build()
            .map_err(|_| ProvisioningError::Crypto("the HTTP client cannot be built".into()))?;
        Ok(StandardConnectors { http })
    }
}

impl ConnectorFactory for StandardConnectors {
    fn connector(&self, app: &App, token: SecretString) -> Box<dyn Connector> {
        match app.name {
            AppType::OktaOrg2Org => Box::new(Org2OrgConnector::new(
                &app.base_url,
                token,
                self.http.clone(),
            )),
            AppType::Scim2 => Box::new(ScimConnector::new(&app.base_url, token, self.http.clone())),
            AppType::Ldap | AppType::ActiveDirectory | AppType::Csv => {
                Box::new(crate::connector::NoPush(app.label.clone()))
            }
        }
    }
}

/// Retry and escrow settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Claims of a job before a retryable failure opens a task.
    pub max_attempts: i64,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// How long a claimed job stays leased to its worker.
    pub lease: Duration,
    /// The worker's idle poll interval (an enqueue wakes it at once).
    pub poll: Duration,
    /// Days an escrowed password is kept when no push consumes it.
    pub escrow_days: i64,
    /// Claim loops [`spawn_worker`] runs in this process. Claims are atomic, so loops (and
    /// servers sharing one PostgreSQL queue) never run the same job at once. 0 makes a server
    /// that only takes changes and queues their jobs, for other servers' workers to run.
    pub workers: usize,
    /// How long a change's outbox entry stays with the request that wrote it before an outbox
    /// sweeper may act on it (after a crash between the commit and acting on it).
    pub outbox_lease: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_attempts: 8,
            base_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(15 * 60),
            lease: Duration::from_secs(120),
            poll: Duration::from_secs(2),
            escrow_days: 7,
            workers: 4,
            outbox_lease: Duration::from_secs(30),
        }
    }
}

/// What one worker step did.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    Done { job_id: String },
    Skipped { job_id: String, reason: String },
    Rescheduled { job_id: String, due: Timestamp },
    TaskOpened { job_id: String, task_id: String },
}

/// Push provisioning over one store.
#[derive(Clone)]
pub struct Provisioning {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) directory: Directory,
    pub(crate) keys: KeyRing,
    pub(crate) connectors: Arc<dyn ConnectorFactory>,
    pub(crate) wake: Notify,
    /// Set by [`Provisioning::stop_taking_work`]: the worker loops and the outbox sweeper end
    /// after their current step.
    pub(crate) stopping: std::sync::atomic::AtomicBool,
    /// The jobs this process is executing now (their leases are ours).
    pub(crate) running: std::sync::Mutex<std::collections::HashSet<String>>,
    pub(crate) settings: Settings,
    /// Parsed app transformations by app id, with the document they were parsed from: a push
    /// reads the stored document and parses it again only when it changed.
    pub(crate) transformations:
        std::sync::Mutex<std::collections::HashMap<String, Arc<roster_transform::Transformation>>>,
    /// Mail settings (`crate::mail`), installed once at start-up.
    pub(crate) mail: std::sync::OnceLock<Arc<crate::mail::MailConfig>>,
}

pub(crate) type Result<T, E = ProvisioningError> = std::result::Result<T, E>;

/// The wall clock, as Roster's timestamp.
pub fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp::from_millis(ms)
}

pub(crate) fn plus(t: Timestamp, d: Duration) -> Timestamp {
    Timestamp::from_millis(t.as_millis() + d.as_millis() as i64)
}

fn not_found(kind: &'static str, id: &str) -> ProvisioningError {
    ProvisioningError::NotFound {
        kind,
        id: id.to_owned(),
    }
}

pub(crate) fn app_event(ctx: &Ctx, event_type: &str, message: &str, app: &App) -> LogEvent {
    ctx.event(event_type, message).with_target(
        &app.id,
        "AppInstance",
        Some(app.name.as_str()),
        Some(&app.label),
    )
}

impl Provisioning {
    pub fn new(
        directory: Directory,
        keys: KeyRing,
        connectors: Arc<dyn ConnectorFactory>,
        settings: Settings,
    ) -> Self {
        Provisioning {
            inner: Arc::new(Inner {
                store: directory.store().clone(),
                directory,
                keys,
                connectors,
                wake: Notify::new(),
                stopping: Default::default(),
                running: Default::default(),
                settings,
                transformations: Default::default(),
                mail: Default::default(),
            }),
        }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The observer to install on the directory: passwords set there are escrowed for the apps
    /// that sync them, and user and group changes queue their pushes (see [`crate::observer`]).
    pub fn observer(&self) -> Arc<dyn DirectoryObserver> {
        Arc::new(crate::observer::ProvisioningObserver(self.clone()))
    }

    // ---- apps ---------------------------------------------------------------------------

    pub async fn create_app(
        &self,
        ctx: &Ctx,
        name: &str,
        label: &str,
        base_url: &str,
        activate: bool,
    ) -> Result<App> {
        let Some(kind) = AppType::parse(name) else {
            return Err(ProvisioningError::invalid(
                "name",
                format!("{name:?} is not an app Roster knows"),
                "use name okta_org2org or scim2 (targets Roster pushes to), or ldap, active_directory or csv (sources Roster imports from)",
            ));
        };
        if kind.is_ldap() {
            return Err(ProvisioningError::invalid(
                "settings.app.url",
                format!(
                    "an {} app needs its LDAP connection settings",
                    kind.as_str()
                ),
                "send settings.app with url, bindDn, bindPassword, userBaseDn and groupBaseDn",
            ));
        }
        if kind != AppType::Csv {
            check_base_url(base_url)?;
        }
        let app = new_app(ctx, kind, label, base_url, activate);
        self.save_new_app(ctx, app).await
    }

    /// Store a new app (made by [`new_app`], its source settings filled in by the caller) with
    /// its `create` (and `activate`) events.
    pub async fn save_new_app(&self, ctx: &Ctx, app: App) -> Result<App> {
        let mut events = vec![app_event(
            ctx,
            "application.lifecycle.create",
            "Create application",
            &app,
        )];
        if app.status == "ACTIVE" {
            events.push(app_event(
                ctx,
                "application.lifecycle.activate",
                "Activate application",
                &app,
            ));
        }
        self.put_app(&app, Some(0), &events).await?;
        Ok(app)
    }

    /// The directory this engine provisions from.
    pub fn directory(&self) -> &Directory {
        &self.inner.directory
    }

    /// The key ring that seals connection tokens and source secrets.
    pub fn keys(&self) -> &KeyRing {
        &self.inner.keys
    }

    pub async fn get_app(&self, id: &str) -> Result<App> {
        let doc = self
            .store()
            .get_document(APP_KIND, id)
            .await?
            .ok_or_else(|| not_found("app", id))?;
        serde_json::from_value(doc.body)
            .map_err(|_| StoreError::CorruptData { what: "app".into() }.into())
    }

    pub async fn list_apps(&self) -> Result<Vec<App>> {
        self.store()
            .list_documents(APP_KIND)
            .await?
            .into_iter()
            .map(|d| {
                serde_json::from_value(d.body)
                    .map_err(|_| StoreError::CorruptData { what: "app".into() }.into())
            })
            .collect()
    }

    /// Change the label and/or base URL.
    pub async fn update_app(
        &self,
        ctx: &Ctx,
        id: &str,
        label: Option<&str>,
        base_url: Option<&str>,
    ) -> Result<App> {
        let mut app = self.get_app(id).await?;
        if let Some(l) = label.filter(|l| !l.trim().is_empty()) {
            l.clone_into(&mut app.label);
        }
        if let Some(u) = base_url {
            check_base_url(u)?;
            app.base_url = u.trim_end_matches('/').to_owned();
        }
        app.last_updated = ctx.now;
        let event = app_event(
            ctx,
            "application.lifecycle.update",
            "Update application",
            &app,
        );
        self.put_app(&app, None, &[event]).await?;
        Ok(app)
    }

    pub async fn set_app_active(&self, ctx: &Ctx, id: &str, active: bool) -> Result<App> {
        let mut app = self.get_app(id).await?;
        app.status = if active { "ACTIVE" } else { "INACTIVE" }.into();
        app.last_updated = ctx.now;
        let (t, m) = if active {
            ("application.lifecycle.activate", "Activate application")
        } else {
            ("application.lifecycle.deactivate", "Deactivate application")
        };
        let event = app_event(ctx, t, m, &app);
        self.put_app(&app, None, &[event]).await?;
        Ok(app)
    }

    /// Delete an app (it must be INACTIVE, as in Okta) and its assignments.
    pub async fn delete_app(&self, ctx: &Ctx, id: &str) -> Result<()> {
        let app = self.get_app(id).await?;
        if app.status == "ACTIVE" {
            return Err(ProvisioningError::invalid(
                "status",
                "an ACTIVE app cannot be deleted",
                "deactivate it first: POST /api/v1/apps/{id}/lifecycle/deactivate",
            ));
        }
        for doc in self
            .store()
            .list_documents(&crate::model::app_group_kind(id))
            .await?
        {
            self.store()
                .delete_document(&doc.kind, &doc.id, &[])
                .await?;
        }
        for doc in self.store().list_documents(&app_user_kind(id)).await? {
            self.store()
                .delete_document(&doc.kind, &doc.id, &[])
                .await?;
        }
        // An import source's records and imported groups' links.
        self.store().delete_import_records(id).await?;
        for doc in self
            .store()
            .list_documents(&crate::model::import_group_kind(id))
            .await?
        {
            self.store()
                .delete_document(&doc.kind, &doc.id, &[])
                .await?;
        }
        let event = app_event(
            ctx,
            "application.lifecycle.delete",
            "Delete application",
            &app,
        );
        self.store().delete_document(APP_KIND, id, &[event]).await?;
        Ok(())
    }

    /// Save the provisioning connection after testing the token against the target; a token
    /// the target refuses is not saved. The token is stored sealed and never returned.
    pub async fn set_connection(
        &self,
        ctx: &Ctx,
        id: &str,
        token: SecretString,
        activate: bool,
    ) -> Result<App> {
        let mut app = self.get_app(id).await?;
        require_push(&app, "a provisioning connection")?;
        let connector = self.inner.connectors.connector(&app, token.clone());
        connector
            .check_connection()
            .await
            .map_err(|e| ProvisioningError::ConnectionRefused(Box::new(e)))?;
        let sealed = self
            .inner
            .keys
            .key()?
            .seal(&connection_purpose(id), &token)?;
        app.connection = Some(Connection {
            auth_scheme: "TOKEN".into(),
            status: if activate { "ENABLED" } else { "DISABLED" }.into(),
            sealed_token: sealed,
            updated: ctx.now,
        });
        app.last_updated = ctx.now;
        let event = app_event(
            ctx,
            "application.provision.connection.update",
            "Update the provisioning connection of an application",
            &app,
        );
        self.put_app(&app, None, &[event]).await?;
        Ok(app)
    }

    /// Test the saved connection again: open its sealed token and run the check
    /// [`Provisioning::set_connection`] runs, changing nothing. A token the target refuses is
    /// the same [`ProvisioningError::ConnectionRefused`]; the token is never returned or logged.
    pub async fn test_connection(&self, app_id: &str) -> Result<()> {
        let app = self.get_app(app_id).await?;
        require_push(&app, "a provisioning connection")?;
        let Some(connection) = app.connection.as_ref() else {
            return Err(ProvisioningError::invalid(
                "profile.token",
                format!("{} has no provisioning connection to test", app.label),
                "save an API token first: POST /api/v1/apps/{id}/connections/default with {\"profile\":{\"authScheme\":\"TOKEN\",\"token\":\"...\"}}",
            ));
        };
        let token = self
            .inner
            .keys
            .key()?
            .open(&connection_purpose(&app.id), &connection.sealed_token)?;
        self.inner
            .connectors
            .connector(&app, token)
            .check_connection()
            .await
            .map_err(|e| ProvisioningError::ConnectionRefused(Box::new(e)))
    }

    pub async fn set_user_provisioning(
        &self,
        ctx: &Ctx,
        id: &str,
        features: UserProvisioning,
    ) -> Result<App> {
        let mut app = self.get_app(id).await?;
        if features.enabled {
            require_push(&app, "USER_PROVISIONING")?;
        }
        if features.password_seed != "OKTA" && features.password_seed != "RANDOM" {
            return Err(ProvisioningError::invalid(
                "capabilities.update.password.seed",
                format!("{:?} is not a password seed", features.password_seed),
                "use OKTA (the user's own password) or RANDOM",
            ));
        }
        if features.password_change != "CHANGE" && features.password_change != "KEEP_EXISTING" {
            return Err(ProvisioningError::invalid(
                "capabilities.update.password.change",
                format!(
                    "{:?} is not a password change mode",
                    features.password_change
                ),
                "use CHANGE or KEEP_EXISTING",
            ));
        }
        app.provisioning = features;
        app.last_updated = ctx.now;
        let event = app_event(
            ctx,
            "application.provision.feature.update",
            "Update the USER_PROVISIONING feature of an application",
            &app,
        );
        self.put_app(&app, None, &[event]).await?;
        Ok(app)
    }

    /// Write an app: `expected` as in [`Store::put_document`].
    pub async fn put_app(
        &self,
        app: &App,
        expected: Option<i64>,
        events: &[LogEvent],
    ) -> Result<()> {
        let doc = Document {
            kind: APP_KIND.into(),
            id: app.id.clone(),
            priority: 0,
            body: serde_json::to_value(app)
                .map_err(|_| StoreError::CorruptData { what: "app".into() })?,
            version: 0,
            updated: app.last_updated,
        };
        self.store().put_document(&doc, expected, events).await?;
        Ok(())
    }

    // ---- assignments ----------------------------------------------------------------------

    /// Assign a user to an app. With provisioning enabled, a push job is queued in the same
    /// transaction. Assigning an assigned user returns the existing assignment.
    pub async fn assign_user(&self, ctx: &Ctx, app_id: &str, user_id: &str) -> Result<AppUser> {
        let app = self.get_app(app_id).await?;
        let user = self.inner.directory.get_user(user_id).await?;
        if let Some(mut existing) = self.find_app_user(app_id, &user.id).await? {
            if !existing.direct {
                // Assigned through a group so far: now directly too (scope USER).
                existing.direct = true;
                existing.refresh_scope();
                existing.last_updated = ctx.now;
                self.store()
                    .put_document(&app_user_doc(&existing)?, None, &[])
                    .await?;
            }
            return Ok(existing);
        }
        // A deactivation queued by an earlier unassignment must not undo this assignment.
        self.store()
            .cancel_jobs_for(app_id, &user.id, ctx.now, &[])
            .await?;
        let pushing = app.status == "ACTIVE" && app.provisioning.enabled;
        let app_user = AppUser {
            app_id: app.id.clone(),
            user_id: user.id.clone(),
            external_id: None,
            status: "STAGED".into(),
            sync_state: if pushing { "SYNCING" } else { "DISABLED" }.into(),
            user_name: user.login().to_owned(),
            created: ctx.now,
            last_updated: ctx.now,
            last_sync: None,
            password_changed: None,
            task_id: None,
            scope: "USER".into(),
            direct: true,
            groups: Vec::new(),
            password_state: None,
        };
        let event = app_event(
            ctx,
            "application.user_membership.add",
            "Add user to application membership",
            &app,
        )
        .with_target(&user.id, "User", Some(user.login()), None);
        let doc = app_user_doc(&app_user)?;
        if pushing {
            self.enqueue_push(ctx, &app, &user.id, Some(&doc), &[event])
                .await?;
        } else {
            self.store().put_document(&doc, Some(0), &[event]).await?;
        }
        Ok(app_user)
    }

    /// Push an assigned user now (the console's "Provision now"): the `user.push` job an
    /// assignment queues, queued again for a user who is already assigned. When a failed push
    /// left the assignment an OPEN task, that task is retried (as [`Provisioning::retry_task`])
    /// instead, so one user never has two tasks. Refused when the app's provisioning is off,
    /// the user is not assigned, or the user is deactivated.
    pub async fn push_user_now(&self, ctx: &Ctx, app_id: &str, user_id: &str) -> Result<AppUser> {
        let app = self.get_app(app_id).await?;
        if !crate::lifecycle::pushing(&app) {
            return Err(ProvisioningError::invalid(
                "USER_PROVISIONING",
                format!(
                    "provisioning to {} is off (the app is {}, USER_PROVISIONING is {})",
                    app.label,
                    app.status,
                    if app.provisioning.enabled { "on" } else { "off" }
                ),
                "activate the app and turn USER_PROVISIONING on (PUT /api/v1/apps/{id}/features/USER_PROVISIONING), then provision the user",
            ));
        }
        let user = self.inner.directory.get_user(user_id).await?;
        let Some(mut app_user) = self.find_app_user(&app.id, &user.id).await? else {
            return Err(ProvisioningError::invalid(
                "userId",
                format!("user {} is not assigned to {}", user.login(), app.label),
                "assign the user first (POST /api/v1/apps/{id}/users): an assignment pushes it",
            ));
        };
        if user.status == roster_core::UserStatus::Deprovisioned {
            return Err(ProvisioningError::invalid(
                "status",
                format!("user {} is deactivated", user.login()),
                "activate the user (POST /api/v1/users/{id}/lifecycle/activate): it is pushed again then",
            ));
        }
        let open = self
            .store()
            .list_tasks(&TaskQuery {
                app_id: Some(app.id.clone()),
                user_id: Some(user.id.clone()),
                status: Some("OPEN".into()),
                limit: 10,
                ..TaskQuery::default()
            })
            .await?
            .items;
        if let Some(task) = open.first() {
            self.retry_task(ctx, &task.id).await?;
            return self.get_app_user(&app.id, &user.id).await;
        }
        app_user.sync_state = "SYNCING".into();
        app_user.last_updated = ctx.now;
        let event = app_event(
            ctx,
            "application.provision.user.sync",
            "Provision a user to an application now",
            &app,
        )
        .with_target(&user.id, "User", Some(user.login()), None);
        self.enqueue_push(
            ctx,
            &app,
            &user.id,
            Some(&app_user_doc(&app_user)?),
            &[event],
        )
        .await?;
        Ok(app_user)
    }

    async fn enqueue_push(
        &self,
        ctx: &Ctx,
        app: &App,
        user_id: &str,
        doc: Option<&Document>,
        events: &[LogEvent],
    ) -> Result<()> {
        let job = NewJob {
            id: make_id(IdKind::Other, ctx.now, rand::random()),
            app_id: app.id.clone(),
            user_id: user_id.to_owned(),
            operation: PUSH_USER.into(),
            payload: json!({}),
            max_attempts: self.inner.settings.max_attempts,
            due: ctx.now,
        };
        self.store().enqueue_job(&job, ctx.now, doc, events).await?;
        self.inner.wake.notify_one();
        Ok(())
    }

    pub async fn find_app_user(&self, app_id: &str, user_id: &str) -> Result<Option<AppUser>> {
        self.store()
            .get_document(&app_user_kind(app_id), user_id)
            .await?
            .map(|d| {
                serde_json::from_value(d.body).map_err(|_| {
                    StoreError::CorruptData {
                        what: "app user".into(),
                    }
                    .into()
                })
            })
            .transpose()
    }

    pub async fn get_app_user(&self, app_id: &str, user_id: &str) -> Result<AppUser> {
        self.get_app(app_id).await?;
        self.find_app_user(app_id, user_id)
            .await?
            .ok_or_else(|| not_found("app user", user_id))
    }

    pub async fn list_app_users(&self, app_id: &str) -> Result<Vec<AppUser>> {
        self.get_app(app_id).await?;
        self.store()
            .list_documents(&app_user_kind(app_id))
            .await?
            .into_iter()
            .map(|d| {
                serde_json::from_value(d.body).map_err(|_| {
                    StoreError::CorruptData {
                        what: "app user".into(),
                    }
                    .into()
                })
            })
            .collect()
    }

    /// Remove a direct assignment: its pending jobs are dropped, its open tasks dismissed, and
    /// with `update.lifecycleDeactivate` the target user is deactivated (or deleted, per the
    /// app's `deprovisionAction`) by a job that carries the target's id and login. A user an
    /// assigned group keeps stays assigned (scope `GROUP`); one assigned only through groups is
    /// refused. An escrowed password is kept until it expires, so re-provisioning (unassign,
    /// delete the target user, assign again) still pushes it.
    pub async fn unassign_user(&self, ctx: &Ctx, app_id: &str, user_id: &str) -> Result<()> {
        let app = self.get_app(app_id).await?;
        let mut app_user = self.get_app_user(app_id, user_id).await?;
        if !app_user.groups.is_empty() {
            if !app_user.direct {
                return Err(ProvisioningError::invalid(
                    "scope",
                    format!(
                        "user {} is assigned to this app through group(s) {}, not directly",
                        app_user.user_id,
                        app_user.groups.join(", ")
                    ),
                    "remove the user from the group (DELETE /api/v1/groups/{groupId}/users/{userId}) or unassign the group (DELETE /api/v1/apps/{id}/groups/{groupId})",
                ));
            }
            app_user.direct = false;
            app_user.refresh_scope();
            app_user.last_updated = ctx.now;
            let event = app_event(
                ctx,
                "application.user_membership.change_scope",
                "Change the scope of a user's application membership to GROUP",
                &app,
            )
            .with_target(&app_user.user_id, "User", Some(&app_user.user_name), None);
            self.store()
                .put_document(&app_user_doc(&app_user)?, None, &[event])
                .await?;
            return Ok(());
        }
        let event = app_event(
            ctx,
            "application.user_membership.remove",
            "Remove user from application membership",
            &app,
        )
        .with_target(&app_user.user_id, "User", Some(&app_user.user_name), None);
        self.deprovision(ctx, &app, &app_user, "the user was unassigned", &[event])
            .await
    }

    // ---- tasks ------------------------------------------------------------------------------

    pub async fn list_tasks(&self, query: &TaskQuery) -> Result<Page<TaskRecord>> {
        Ok(self.store().list_tasks(query).await?)
    }

    pub async fn get_task(&self, id: &str) -> Result<TaskRecord> {
        self.store()
            .get_task(id)
            .await?
            .ok_or_else(|| not_found("task", id))
    }

    /// Queue the task's job again; the app user goes back to SYNCING.
    pub async fn retry_task(&self, ctx: &Ctx, id: &str) -> Result<TaskRecord> {
        let task = self.get_task(id).await?;
        match task.status.as_str() {
            "OPEN" => {}
            "RETRYING" => {
                return Err(ProvisioningError::invalid(
                    "status",
                    "the task is already being retried",
                    "wait for the retry's outcome: GET /api/v1/tasks/{id}",
                ))
            }
            other => {
                return Err(ProvisioningError::invalid(
                    "status",
                    format!("the task is {other} and cannot be retried"),
                    "assign the user again to push it anew",
                ))
            }
        }
        let event = ctx
            .event(
                "application.provision.task.retry",
                "Retry a provisioning task",
            )
            .with_target(&task.id, "Task", Some(&task.operation), None)
            .with_target(&task.user_id, "User", None, None);
        let doc = match self.find_app_user(&task.app_id, &task.user_id).await? {
            Some(mut au) => {
                au.sync_state = "SYNCING".into();
                au.last_updated = ctx.now;
                Some(app_user_doc(&au)?)
            }
            None => None,
        };
        let task = self
            .store()
            .retry_task(id, ctx.now, doc.as_ref(), &[event])
            .await?;
        self.inner.wake.notify_one();
        Ok(task)
    }

    /// Retry every OPEN task of an app (Okta's "Retry selected" over the whole list).
    pub async fn retry_app_tasks(&self, ctx: &Ctx, app_id: &str) -> Result<Vec<TaskRecord>> {
        // Mail's tasks have the queue's name for an app (`email`), not an app.
        if app_id != crate::mail::MAIL_QUEUE {
            self.get_app(app_id).await?;
        }
        let mut retried = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .store()
                .list_tasks(&TaskQuery {
                    app_id: Some(app_id.to_owned()),
                    status: Some("OPEN".into()),
                    after: after.clone(),
                    limit: 1000,
                    ..TaskQuery::default()
                })
                .await?;
            for task in &page.items {
                retried.push(self.retry_task(ctx, &task.id).await?);
            }
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        Ok(retried)
    }

    pub async fn dismiss_task(&self, ctx: &Ctx, id: &str) -> Result<TaskRecord> {
        let task = self.get_task(id).await?;
        let event = ctx
            .event(
                "application.provision.task.dismiss",
                "Dismiss a provisioning task",
            )
            .with_target(&task.id, "Task", Some(&task.operation), None)
            .with_target(&task.user_id, "User", None, None);
        let task = self.store().dismiss_task(id, ctx.now, &[event]).await?;
        self.forget_escrow_if_unneeded(&task.user_id, ctx.now).await;
        Ok(task)
    }
}

/// The associated data an app's sealed connection token is bound to.
pub fn connection_purpose(app_id: &str) -> String {
    format!("connection:{app_id}")
}

/// One task per job: its id is derived from the job's.
pub(crate) fn task_id_for(job_id: &str) -> String {
    format!(
        "{}{}",
        IdKind::Task.prefix(),
        job_id.get(3..).unwrap_or(job_id)
    )
}

pub(crate) fn app_user_doc(au: &AppUser) -> Result<Document> {
    Ok(Document {
        kind: app_user_kind(&au.app_id),
        id: au.user_id.clone(),
        priority: 0,
        body: serde_json::to_value(au).map_err(|_| StoreError::CorruptData {
            what: "app user".into(),
        })?,
        version: 0,
        updated: au.last_updated,
    })
}

/// A new app of `kind`, not yet stored.
pub fn new_app(ctx: &Ctx, kind: AppType, label: &str, base_url: &str, activate: bool) -> App {
    App {
        id: make_id(IdKind::App, ctx.now, rand::random()),
        name: kind,
        label: if label.trim().is_empty() {
            kind.as_str().to_owned()
        } else {
            label.to_owned()
        },
        status: if activate { "ACTIVE" } else { "INACTIVE" }.into(),
        base_url: base_url.trim_end_matches('/').to_owned(),
        created: ctx.now,
        last_updated: ctx.now,
        connection: None,
        provisioning: UserProvisioning::default(),
        deprovision_action: crate::model::default_deprovision_action(),
        target_password_policy: None,
        source: None,
        // Apps Roster only imports from exist to be imported from.
        inbound: crate::model::InboundProvisioning {
            enabled: !kind.pushes(),
            ..Default::default()
        },
        mastering: Default::default(),
    }
}

/// Refuse push settings on an app Roster only imports from.
fn require_push(app: &App, what: &str) -> Result<()> {
    if app.name.pushes() {
        return Ok(());
    }
    Err(ProvisioningError::invalid(
        "name",
        format!(
            "{} is an import source ({}): Roster does not push users to it, so it has no {what}",
            app.label,
            app.name.as_str()
        ),
        "configure imports with PUT /api/v1/apps/{id}/features/INBOUND_PROVISIONING, or create an okta_org2org or scim2 app to push to",
    ))
}

pub(crate) fn check_base_url(url: &str) -> Result<()> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(ProvisioningError::invalid(
            "settings.app.baseUrl",
            format!("{url:?} is not an http(s) URL"),
            "send settings.app.baseUrl as the other org's URL, e.g. https://hub.example.com",
        ))
    }
}
