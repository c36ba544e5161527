//! The provisioning use cases and the worker's step.
//!
//! Administrators' changes (apps, connections, features, assignments, tasks) are methods of
//! [`Provisioning`]; each one writes its System Log events with it. An assignment puts a job on
//! the durable queue; [`Provisioning::run_once`] claims one due job and executes it — create or
//! link the user on the target, with its password when the app syncs passwords — and records
//! the outcome: the job is done, rescheduled with backoff, or failed into a Task.

use std::sync::Arc;
use std::time::Duration;

use roster_core::event::{Actor, Severity};
use roster_core::ids::{make_id, IdKind};
use roster_core::{LogEvent, Timestamp, User};
use roster_directory::{Ctx, Directory, DirectoryError, DirectoryObserver};
use roster_store::{Document, Job, NewJob, Page, Store, StoreError, TaskQuery, TaskRecord};
use secrecy::SecretString;
use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::connector::{Connector, Payload, PushUser};
use crate::crypto::KeyRing;
use crate::error::{ConnectorError, ErrorKind, ProvisioningError};
use crate::model::{
    app_user_kind, App, AppType, AppUser, Connection, UserProvisioning, APP_KIND, ESCROW_KIND,
    PASSWORD_CAPTURED, PASSWORD_WAITS_FOR_SIGN_IN,
};
use crate::org2org::Org2OrgConnector;
use crate::scim::ScimConnector;

/// The operation of a job that creates or links a user, with its password when synced.
pub const PUSH_USER: &str = "user.push";

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

    // ---- the worker's step ----------------------------------------------------------------------

    /// Claim one due job and execute it. `None` when nothing is due.
    pub async fn run_once(&self) -> Result<Option<StepOutcome>> {
        let now = now();
        let lease_until = plus(now, self.inner.settings.lease);
        let Some(job) = self.store().claim_job(now, lease_until).await? else {
            return Ok(None);
        };
        let _running = Running::new(self, &job.id);
        let ctx = Ctx::new(Actor::system(), now);
        if job.operation == crate::group_push::PUSH_GROUP {
            return self.run_group_push(&ctx, &job).await.map(Some);
        }
        if job.operation == crate::mail::SEND_EMAIL {
            return self.run_mail(&ctx, &job).await.map(Some);
        }
        let outcome = match self.execute(&ctx, &job).await {
            Ok(Step::Skipped(reason)) => {
                self.store().complete_job(&job.id, now, None, &[]).await?;
                StepOutcome::Skipped {
                    job_id: job.id.clone(),
                    reason,
                }
            }
            Ok(Step::Pushed { app_user, events }) => {
                let doc = app_user_doc(&app_user)?;
                self.store()
                    .complete_job(&job.id, now, Some(&doc), &events)
                    .await?;
                self.forget_escrow_if_unneeded(&job.user_id, now).await;
                // Subjobs: the user's groups pushed to this app now include it.
                self.after_user_pushed(&ctx, &job.app_id, &job.user_id)
                    .await;
                StepOutcome::Done {
                    job_id: job.id.clone(),
                }
            }
            Ok(Step::Deprovisioned { app_user, events }) => {
                let doc = app_user.as_deref().map(app_user_doc).transpose()?;
                self.store()
                    .complete_job(&job.id, now, doc.as_ref(), &events)
                    .await?;
                // The deactivated user leaves the target groups its source groups are pushed to.
                self.after_user_pushed(&ctx, &job.app_id, &job.user_id)
                    .await;
                StepOutcome::Done {
                    job_id: job.id.clone(),
                }
            }
            Err(failure) => self.record_failure(&ctx, &job, failure).await?,
        };
        Ok(Some(outcome))
    }

    /// Wait until a job may be due (an enqueue or retry wakes it at once).
    pub async fn idle(&self) {
        if self.is_stopping() {
            return;
        }
        tokio::select! {
            _ = self.inner.wake.notified() => {}
            _ = tokio::time::sleep(self.inner.settings.poll) => {}
        }
    }

    async fn execute(&self, ctx: &Ctx, job: &Job) -> Result<Step, Failure> {
        if job.operation == crate::lifecycle::DEACTIVATE_USER {
            return self.execute_deactivate(ctx, job).await;
        }
        let reactivating = job.operation == crate::lifecycle::REACTIVATE_USER;
        if job.operation != PUSH_USER && !reactivating {
            return Ok(Step::Skipped(format!(
                "unknown operation {}",
                job.operation
            )));
        }
        let app = match self.get_app(&job.app_id).await {
            Ok(app) => app,
            Err(ProvisioningError::NotFound { .. }) => {
                return Ok(Step::Skipped("the app was deleted".into()))
            }
            Err(e) => return Err(Failure::Internal(e)),
        };
        let Some(mut app_user) = self
            .find_app_user(&app.id, &job.user_id)
            .await
            .map_err(Failure::Internal)?
        else {
            return Ok(Step::Skipped("the user is no longer assigned".into()));
        };
        let user = match self.inner.directory.get_user(&job.user_id).await {
            Ok(u) => u,
            Err(DirectoryError::NotFound { .. }) => {
                return Ok(Step::Skipped("the user was deleted".into()))
            }
            Err(e) => return Err(Failure::Internal(e.into())),
        };
        if user.status == roster_core::UserStatus::Deprovisioned {
            return Ok(Step::Skipped(
                "the user is deactivated: it is pushed again when it is activated".into(),
            ));
        }
        let features = &app.provisioning;
        let config_error = |said: &str| {
            Failure::Connector(
                Box::new(ConnectorError::new(
                    ErrorKind::Configuration,
                    format!(
                        "push user {} to app {} ({})",
                        user.login(),
                        app.label,
                        app.id
                    ),
                    said.to_owned(),
                )),
                Phase::User,
            )
        };
        if app.status != "ACTIVE" || !features.enabled {
            return Err(config_error("provisioning is off for this app (it is inactive or USER_PROVISIONING is disabled)"));
        }
        let Some(connection) = app.connection.as_ref().filter(|c| c.status == "ENABLED") else {
            return Err(config_error(
                "the app has no enabled provisioning connection",
            ));
        };
        let token = self
            .inner
            .keys
            .key()
            .and_then(|k| k.open(&connection_purpose(&app.id), &connection.sealed_token))
            .map_err(Failure::Internal)?;
        let connector = self.inner.connectors.connector(&app, token);
        // `change: KEEP_EXISTING` pushes the password at the first push of an assignment only;
        // later pushes (profile updates, password changes) leave the target's password alone.
        // A target user pushed without a password (it predates the sync) gets it whatever the
        // change mode: it has none to keep.
        let sends_password = features.syncs_passwords()
            && (features.password_change == "CHANGE"
                || app_user.status != "PROVISIONED"
                || app_user.password_state.is_some());
        // The escrowed password, unless this app user already got it: a push after the one
        // that set it (a profile change, a second job queued for the same password) must not
        // set it again — a target that keeps password history refuses its current password.
        let password = if sends_password {
            self.escrowed_password(&user.id, ctx.now)
                .await
                .map_err(Failure::Internal)?
                .filter(|(_, captured)| {
                    app_user.password_state.is_some()
                        || app_user
                            .password_changed
                            .is_none_or(|pushed| pushed < *captured)
                })
                .map(|(password, _)| password)
        } else {
            None
        };
        let already_pushed = sends_password
            && password.is_none()
            && app_user.password_changed.is_some()
            && app_user.password_state.is_none();
        // The app's transformation, when it has one, makes the payload from the user document
        // (with the escrowed password while this push holds it); a mapping that cannot be
        // applied is a configuration error that opens a task.
        let transformation = self
            .user_transformation(&app.id)
            .await
            .map_err(Failure::Internal)?;
        let mapped = match &transformation {
            None => None,
            Some(t) => {
                let groups = self
                    .inner
                    .directory
                    .user_groups(&user.id)
                    .await
                    .map_err(|e| Failure::Internal(e.into()))?;
                let source =
                    crate::transformations::source_document(&user, &groups, password.as_ref());
                Some((t, source))
            }
        };
        let apply = |scope: roster_transform::Scope| -> Result<Option<Payload>, Failure> {
            let Some((t, source)) = &mapped else {
                return Ok(None);
            };
            let mut rng = rand::thread_rng();
            t.apply(roster_transform::Entity::User, scope, source, &mut rng)
                .map(|v| Some(Payload(v)))
                .map_err(|e| {
                    let mut err = ConnectorError::new(
                        ErrorKind::Configuration,
                        format!(
                            "map user {} with the transformation of app {} ({})",
                            user.login(),
                            app.label,
                            app.id
                        ),
                        e.to_string(),
                    );
                    err.field = Some(format!("{}.mappings[{}].{}", e.entity, e.index, e.key));
                    Failure::Connector(Box::new(err), Phase::User)
                })
        };
        let create_payload = apply(roster_transform::Scope::Create)?;
        let login = create_payload
            .as_ref()
            .and_then(|p| crate::transformations::payload_login(app.name, &p.0))
            .unwrap_or(user.login())
            .to_owned();
        let mut push = PushUser {
            login,
            profile: push_profile(&user),
            payload: None,
        };

        // Idempotent create-or-link: a retried create finds the user it made last time.
        let found = connector
            .find_user(&push.login)
            .await
            .map_err(|e| Failure::Connector(Box::new(e), Phase::User))?;
        // A login changed in Roster: the target user is still the one linked before.
        let found = match (found, &app_user.external_id) {
            (None, Some(id)) if app_user.user_name != push.login => Some(crate::RemoteUser {
                id: id.clone(),
                login: app_user.user_name.clone(),
                status: None,
                provider_type: None,
            }),
            (found, _) => found,
        };
        // Reactivation (the user activated again, or assigned again after a deactivating
        // unassignment) makes an inactive target user active before its profile is written.
        let mut reactivated = None;
        let (remote, action) = match found {
            Some(remote) => {
                if (reactivating || app_user.status != "PROVISIONED")
                    && crate::lifecycle::remote_inactive(&remote)
                {
                    connector
                        .reactivate(&remote)
                        .await
                        .map_err(|e| Failure::Connector(Box::new(e), Phase::Reactivate))?;
                    reactivated = remote.status.clone();
                }
                if features.update_profile {
                    push.payload = apply(roster_transform::Scope::Patch)?;
                    connector
                        .update_profile(&remote, &push)
                        .await
                        .map_err(|e| Failure::Connector(Box::new(e), Phase::User))?;
                }
                if let Some(p) = &password {
                    connector
                        .set_password(&remote, p)
                        .await
                        .map_err(|e| Failure::Connector(Box::new(e), Phase::Password))?;
                }
                (remote, "linked")
            }
            None => {
                if !features.create {
                    return Err(config_error(
                        "the user does not exist on the target and create (create.lifecycleCreate) is disabled",
                    ));
                }
                // A transformation's payload carries the password it maps (the escrowed one
                // among them); the connector then adds none of its own.
                push.payload = create_payload.clone();
                let own_password = if push.payload.is_some() {
                    None
                } else {
                    password.as_ref()
                };
                let remote = connector
                    .create_user(&push, own_password)
                    .await
                    .map_err(|e| {
                        let phase = if e.field.as_deref() == Some("password") {
                            Phase::Password
                        } else {
                            Phase::User
                        };
                        Failure::Connector(Box::new(e), phase)
                    })?;
                (remote, "created")
            }
        };

        let mut events = vec![self
            .push_event(ctx, &app, &user, Phase::User)
            .with_debug("action", action)
            .with_debug("externalId", remote.id.as_str())];
        if reactivating || reactivated.is_some() {
            let mut e = self
                .push_event(ctx, &app, &user, Phase::Reactivate)
                .with_debug("externalId", remote.id.as_str());
            match &reactivated {
                Some(from) => e = e.with_debug("targetStatus", from.as_str()),
                None => {
                    e.outcome.result = "SKIPPED".into();
                    e.outcome.reason = Some(format!("the target user was not inactive ({action})"));
                }
            }
            events.push(e);
        }
        if sends_password && !already_pushed {
            let mut e = self.push_event(ctx, &app, &user, Phase::Password);
            if password.is_none() {
                e.outcome.result = "SKIPPED".into();
                e.outcome.reason = Some(
                    "Roster holds no password for this user: it is pushed when the user next signs in or the password is next set".into(),
                );
                e = e.with_debug("passwordState", PASSWORD_WAITS_FOR_SIGN_IN);
            }
            events.push(e);
        }
        app_user.external_id = Some(remote.id.clone());
        app_user.user_name = push.login.clone();
        app_user.status = "PROVISIONED".into();
        app_user.sync_state = "SYNCHRONIZED".into();
        app_user.last_sync = Some(ctx.now);
        app_user.last_updated = ctx.now;
        app_user.task_id = None;
        if password.is_some() {
            app_user.password_changed = Some(ctx.now);
        }
        // A push that should have carried the password but had none leaves the app user
        // waiting for the user's next sign-in; any other push (with the password, or an app
        // that no longer syncs passwords) leaves nothing waiting.
        app_user.password_state = (sends_password && password.is_none() && !already_pushed)
            .then(|| PASSWORD_WAITS_FOR_SIGN_IN.to_owned());
        Ok(Step::Pushed {
            app_user: Box::new(app_user),
            events,
        })
    }

    fn push_event(&self, ctx: &Ctx, app: &App, user: &User, phase: Phase) -> LogEvent {
        let (t, m) = phase.event_type();
        app_event(ctx, t, m, app)
            .with_target(&user.id, "User", Some(user.login()), None)
            .with_debug("appId", app.id.as_str())
            .with_debug("worker", worker_name())
    }

    async fn record_failure(&self, ctx: &Ctx, job: &Job, failure: Failure) -> Result<StepOutcome> {
        let (error, phase) = match failure {
            Failure::Connector(e, phase) => (*e, phase),
            Failure::Internal(e) => {
                tracing::warn!(job = %job.id, error = %e, "a provisioning step failed inside Roster");
                (
                    ConnectorError::new(
                        ErrorKind::Transient,
                        format!("run provisioning job {}", job.id),
                        format!("Roster failed: {e}"),
                    ),
                    Phase::User,
                )
            }
        };
        let app = self.get_app(&job.app_id).await.ok();
        let user = self.inner.directory.get_user(&job.user_id).await.ok();
        let retry = error.is_retryable() && job.attempts < job.max_attempts;
        let task_id = task_id_for(&job.id);
        let mut event = match (&app, &user) {
            (Some(app), Some(user)) => self.push_event(ctx, app, user, phase),
            (Some(app), None) => {
                let (t, m) = phase.event_type();
                app_event(ctx, t, m, app).with_target(&job.user_id, "User", None, None)
            }
            _ => {
                let (t, m) = phase.event_type();
                ctx.event(t, m)
            }
        }
        .failure(error.summary())
        .with_debug("ErrorCode", error.code())
        .with_debug(
            "TargetStatus",
            error.status.map(Value::from).unwrap_or(Value::Null),
        )
        .with_debug(
            "TargetErrorCode",
            error
                .target_code
                .clone()
                .map(Value::from)
                .unwrap_or(Value::Null),
        )
        .with_debug(
            "ErrorField",
            error.field.clone().map(Value::from).unwrap_or(Value::Null),
        )
        .with_debug("cause", error.cause())
        .with_debug("attempt", job.attempts)
        .with_debug("willRetry", retry);
        if !retry {
            event = event.with_debug("taskId", task_id.as_str());
            event.severity = Severity::Error;
        }
        let app_user = self.find_app_user(&job.app_id, &job.user_id).await?;
        if retry {
            let delay = backoff(&self.inner.settings, job.attempts, &error.kind);
            let due = plus(ctx.now, delay);
            self.store()
                .reschedule_job(&job.id, due, ctx.now, &error.to_json(), None, &[event])
                .await?;
            return Ok(StepOutcome::Rescheduled {
                job_id: job.id.clone(),
                due,
            });
        }
        let doc = match app_user {
            Some(mut au) => {
                au.sync_state = "ERROR".into();
                au.last_updated = ctx.now;
                au.task_id = Some(task_id.clone());
                Some(app_user_doc(&au)?)
            }
            None => None,
        };
        let task = TaskRecord {
            id: task_id,
            job_id: job.id.clone(),
            app_id: job.app_id.clone(),
            user_id: job.user_id.clone(),
            operation: job.operation.clone(),
            status: "OPEN".into(),
            attempts: job.attempts,
            last_error: Some(error.to_json()),
            created: ctx.now,
            updated: ctx.now,
        };
        let task_id = self.store().fail_job(&task, doc.as_ref(), &[event]).await?;
        Ok(StepOutcome::TaskOpened {
            job_id: job.id.clone(),
            task_id,
        })
    }

    // ---- the password escrow -------------------------------------------------------------------

    /// Escrow a password set at `captured` (`sealed` with [`escrow_purpose`], from the change's
    /// outbox entry) when an active app syncs passwords, and queue a push of it to every app the
    /// user is assigned to whose password change mode is CHANGE, or whose app user still waits
    /// for a password.
    pub(crate) async fn capture_password(
        &self,
        user: &User,
        sealed: &str,
        captured: Timestamp,
    ) -> Result<()> {
        let apps: Vec<App> = self
            .list_apps()
            .await?
            .into_iter()
            .filter(|a| a.status == "ACTIVE" && a.provisioning.syncs_passwords())
            .collect();
        if apps.is_empty() {
            return Ok(());
        }
        self.put_escrow(&user.id, sealed, captured).await?;
        let ctx = Ctx::new(Actor::system(), captured);
        for app in &apps {
            if let Some(au) = self.find_app_user(&app.id, &user.id).await? {
                // KEEP_EXISTING leaves a target's password alone, but one pushed without a
                // password has none to keep.
                if app.provisioning.password_change != "CHANGE" && au.password_state.is_none() {
                    continue;
                }
                self.enqueue_marking(
                    &ctx,
                    app,
                    &user.id,
                    PUSH_USER,
                    json!({}),
                    crate::lifecycle::syncing(ctx.now),
                    &[],
                )
                .await?;
            }
        }
        Ok(())
    }

    /// A sign-in proved `password`: escrow it and queue its push to the apps that sync
    /// passwords and whose app user of `user` still waits for it ([`PASSWORD_WAITS_FOR_SIGN_IN`],
    /// or [`PASSWORD_CAPTURED`] whose escrow is gone: a dismissed task, an expired escrow).
    /// A sign-in of a user no app waits for reads the apps and app users and writes nothing.
    /// This is not a password change: the app user's `passwordChanged` moves only when the push
    /// sets the password on the target.
    pub(crate) async fn capture_at_sign_in(
        &self,
        user: &User,
        password: &SecretString,
    ) -> Result<()> {
        let mut waiting = Vec::new();
        let mut escrow_held = None;
        for app in self.list_apps().await? {
            if app.status != "ACTIVE" || !app.provisioning.syncs_passwords() {
                continue;
            }
            let Some(au) = self.find_app_user(&app.id, &user.id).await? else {
                continue;
            };
            let waits = match au.password_state.as_deref() {
                Some(PASSWORD_WAITS_FOR_SIGN_IN) => true,
                Some(PASSWORD_CAPTURED) => {
                    if escrow_held.is_none() {
                        escrow_held =
                            Some(self.escrowed_password(&user.id, now()).await?.is_some());
                    }
                    escrow_held == Some(false)
                }
                _ => false,
            };
            if waits {
                waiting.push((app, au));
            }
        }
        if waiting.is_empty() {
            return Ok(());
        }
        let captured = now();
        self.store_escrow(&user.id, password, captured).await?;
        let ctx = Ctx::new(Actor::system(), captured);
        for (app, _) in waiting {
            let mut mark = crate::lifecycle::syncing(captured);
            mark.insert("passwordState".into(), Value::from(PASSWORD_CAPTURED));
            let event = app_event(
                &ctx,
                "application.provision.user.capture_password",
                "Capture user's password at sign-in for password sync",
                &app,
            )
            .with_target(&user.id, "User", Some(user.login()), None)
            .with_debug("appId", app.id.as_str())
            .with_debug(
                "reason",
                "the user's password predates the app's password sync; the sign-in captured it and its push is queued",
            );
            self.enqueue_marking(&ctx, &app, &user.id, PUSH_USER, json!({}), mark, &[event])
                .await?;
        }
        Ok(())
    }

    /// Seal `password` into the user's escrow document (replacing any), captured at `captured`
    /// and kept for the configured number of days.
    async fn store_escrow(
        &self,
        user_id: &str,
        password: &SecretString,
        captured: Timestamp,
    ) -> Result<()> {
        let sealed = self
            .inner
            .keys
            .key()?
            .seal(&escrow_purpose(user_id), password)?;
        self.put_escrow(user_id, &sealed, captured).await
    }

    /// Make `sealed` (sealed with [`escrow_purpose`]) the user's escrow (replacing any).
    async fn put_escrow(&self, user_id: &str, sealed: &str, captured: Timestamp) -> Result<()> {
        let doc = Document {
            kind: ESCROW_KIND.into(),
            id: user_id.to_owned(),
            priority: 0,
            body: json!({
                "sealed": sealed,
                "capturedAt": captured,
                "storedAt": now(),
                "expiresAt": captured.plus_days(self.inner.settings.escrow_days),
            }),
            version: 0,
            updated: captured,
        };
        self.store().put_document(&doc, None, &[]).await?;
        Ok(())
    }

    /// The user's escrowed password and when it was captured; `None` when there is none (or it
    /// expired, and is deleted now).
    async fn escrowed_password(
        &self,
        user_id: &str,
        now: Timestamp,
    ) -> Result<Option<(SecretString, Timestamp)>> {
        let Some(doc) = self.store().get_document(ESCROW_KIND, user_id).await? else {
            return Ok(None);
        };
        let expired = doc
            .body
            .get("expiresAt")
            .and_then(Value::as_str)
            .and_then(Timestamp::parse)
            .is_none_or(|t| t <= now);
        if expired {
            self.forget_escrow(user_id).await;
            return Ok(None);
        }
        let sealed = doc
            .body
            .get("sealed")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let captured = doc
            .body
            .get("capturedAt")
            .and_then(Value::as_str)
            .and_then(Timestamp::parse)
            .unwrap_or(doc.updated);
        let password = self
            .inner
            .keys
            .key()?
            .open(&escrow_purpose(user_id), sealed)?;
        Ok(Some((password, captured)))
    }

    /// Drop the escrow once no job (queued, running or failed into an open task) needs it —
    /// unless it was stored after `since` (the finishing job's claim): a password set while
    /// the job ran was not pushed by it, and its own push may not be queued yet.
    async fn forget_escrow_if_unneeded(&self, user_id: &str, since: Timestamp) {
        let unneeded = async {
            if self.store().count_jobs_for_user(user_id).await? > 0 {
                return Ok::<_, StoreError>(());
            }
            let Some(doc) = self.store().get_document(ESCROW_KIND, user_id).await? else {
                return Ok(());
            };
            let stored = doc
                .body
                .get("storedAt")
                .and_then(Value::as_str)
                .and_then(Timestamp::parse)
                .unwrap_or(doc.updated);
            if stored < since {
                self.store()
                    .delete_document_version(ESCROW_KIND, user_id, doc.version)
                    .await?;
            }
            Ok(())
        };
        if let Err(e) = unneeded.await {
            tracing::warn!(error = %e, "could not check whether an escrowed password is still needed");
        }
    }

    async fn forget_escrow(&self, user_id: &str) {
        match self
            .store()
            .delete_document(ESCROW_KIND, user_id, &[])
            .await
        {
            Ok(()) | Err(StoreError::NotFound { .. }) => {}
            Err(e) => tracing::warn!(error = %e, "could not delete an escrowed password"),
        }
    }
}

impl Provisioning {
    /// Graceful shutdown, first half: the worker loops and the outbox sweeper take no new work;
    /// the steps running now go on.
    pub fn stop_taking_work(&self) {
        self.inner
            .stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.inner.wake.notify_waiters();
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.inner
            .stopping
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Graceful shutdown, second half: wait up to `bound` for the running steps to finish, then
    /// give the leases of those still running back to the queue (QUEUED, due now), so another
    /// server — or this one restarted — takes them at once instead of after the lease. Returns
    /// how many steps finished and how many leases were given back.
    pub async fn finish_running_steps(&self, bound: Duration) -> (usize, usize) {
        self.stop_taking_work();
        let started = self.running_jobs().len();
        let deadline = tokio::time::Instant::now() + bound;
        while !self.running_jobs().is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let left = self.running_jobs();
        let mut released = 0;
        for id in &left {
            match self.store().release_job(id, now()).await {
                Ok(true) => released += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(job = %id, error = %e, "could not give back a job's lease at shutdown; it is taken over when the lease ends")
                }
            }
        }
        (started.saturating_sub(left.len()), released)
    }

    fn running_jobs(&self) -> Vec<String> {
        self.inner
            .running
            .lock()
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// Marks a job as executing in this process while it lives.
struct Running<'a> {
    provisioning: &'a Provisioning,
    id: String,
}

impl<'a> Running<'a> {
    fn new(provisioning: &'a Provisioning, id: &str) -> Self {
        if let Ok(mut set) = provisioning.inner.running.lock() {
            set.insert(id.to_owned());
        }
        Running {
            provisioning,
            id: id.to_owned(),
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Ok(mut set) = self.provisioning.inner.running.lock() {
            set.remove(&self.id);
        }
    }
}

/// Run the worker until the runtime shuts down: `settings.workers` claim loops, each one step
/// at a time and idle when nothing is due. Every claim leases its job atomically, so the loops
/// never run one job twice.
pub fn spawn_worker(provisioning: Provisioning) -> tokio::task::JoinHandle<()> {
    let loops = provisioning.inner.settings.workers;
    tokio::spawn(async move {
        if loops > 0 {
            let waker = provisioning.clone();
            match provisioning
                .store()
                .listen_for_jobs(move || waker.inner.wake.notify_waiters())
                .await
            {
                Ok(true) => tracing::debug!("workers wake on jobs queued by any server"),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for jobs queued by other servers; their jobs start at the next poll")
                }
            }
        }
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..loops {
            set.spawn(worker_loop(provisioning.clone()));
        }
        while set.join_next().await.is_some() {}
    })
}

async fn worker_loop(provisioning: Provisioning) {
    while !provisioning.is_stopping() {
        match provisioning.run_once().await {
            Ok(Some(outcome)) => tracing::debug!(?outcome, "provisioning step"),
            Ok(None) => provisioning.idle().await,
            Err(e) => {
                tracing::warn!(error = %e, "provisioning worker step failed");
                provisioning.idle().await;
            }
        }
    }
}

/// `hostname:pid` of this process, in the push events' `debugData.worker`: which server ran a
/// step when several share one queue.
fn worker_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        format!("{host}:{}", std::process::id())
    })
}

pub(crate) enum Step {
    Skipped(String),
    Pushed {
        app_user: Box<AppUser>,
        events: Vec<LogEvent>,
    },
    /// A deactivation ran; the app user (still there when the user was deactivated, not
    /// unassigned) is updated with it.
    Deprovisioned {
        app_user: Option<Box<AppUser>>,
        events: Vec<LogEvent>,
    },
}

#[derive(Clone, Copy)]
pub(crate) enum Phase {
    User,
    Password,
    Deactivate,
    Reactivate,
}

impl Phase {
    /// The System Log event type and message of a step of this phase.
    fn event_type(self) -> (&'static str, &'static str) {
        match self {
            Phase::User => (
                "application.provision.user.push",
                "Push user to external application",
            ),
            Phase::Password => (
                "application.provision.user.push_password",
                "Push user's password to external application",
            ),
            Phase::Deactivate => (
                "application.provision.user.deactivate",
                "Deactivate user in external application",
            ),
            Phase::Reactivate => (
                "application.provision.user.reactivate",
                "Reactivate user in external application",
            ),
        }
    }
}

pub(crate) enum Failure {
    Connector(Box<ConnectorError>, Phase),
    Internal(ProvisioningError),
}

/// The associated data an app's sealed connection token is bound to.
pub fn connection_purpose(app_id: &str) -> String {
    format!("connection:{app_id}")
}

pub(crate) fn escrow_purpose(user_id: &str) -> String {
    format!("escrow:{user_id}")
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

/// The profile pushed to the target: the user's profile as it is (mappings come later).
fn push_profile(user: &User) -> serde_json::Map<String, Value> {
    user.profile.clone()
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

/// Exponential backoff from `base`, capped, and never sooner than a target's Retry-After.
pub(crate) fn backoff(settings: &Settings, attempts: i64, kind: &ErrorKind) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let delay = settings
        .base_backoff
        .saturating_mul(2u32.saturating_pow(exp))
        .min(settings.max_backoff);
    match kind {
        ErrorKind::RateLimited {
            retry_after: Some(after),
        } => delay.max(*after),
        _ => delay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_honours_retry_after() {
        let s = Settings::default();
        assert_eq!(
            backoff(&s, 1, &ErrorKind::Transient),
            Duration::from_secs(2)
        );
        assert_eq!(
            backoff(&s, 3, &ErrorKind::Transient),
            Duration::from_secs(8)
        );
        assert_eq!(backoff(&s, 30, &ErrorKind::Transient), s.max_backoff);
        let limited = ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(60)),
        };
        assert_eq!(backoff(&s, 1, &limited), Duration::from_secs(60));
    }

    #[test]
    fn a_job_has_one_task_id() {
        assert_eq!(task_id_for("0xxABCDEF"), "0tkABCDEF");
    }
}
