//! [`Imports`]: the import use cases (source apps, features, jobs, confirmation, the safeguard)
//! and the runner that executes a job.
//!
//! A job reads the source in batches ([`ImportSettings::batch_size`] records); each batch is
//! mapped, matched and written in one transaction (`roster-store`'s `write_import`), then the
//! directory's observer is told what changed, so provisioning follows (profile pushes, group
//! assignments, Group Push). Groups come after the users, then — for a full import that read
//! everything — the removals, which the import safeguard may pause. A job that fails keeps what
//! its finished batches wrote: each batch stands on its own, and running the import again
//! continues from there (records are keyed by the source's ids).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use roster_core::event::{Actor, Severity};
use roster_core::ids::{make_id, IdKind};
use roster_core::{LogEvent, ProfileSchema, Timestamp};
use roster_directory::{Ctx, Directory};
use roster_provisioning::{
    new_app, App, AppType, InboundProvisioning, MatchCriteria, ProfileMastering, Provisioning,
    ON_DEACTIVATE_ACTIONS,
};
use roster_sources::{ReadMode, SourceError};
use roster_store::{Document, ImportRecord, ImportRecordQuery, Page, Store, StoreError};
use serde_json::{json, Map, Value};

use crate::error::{ImportError, Result};
use crate::job::{
    ImportCounts, ImportIssue, ImportJob, ImportKind, JobError, JobStatus, Subjob, JOB_KIND,
    LOCK_KIND,
};
use crate::mapping::{map_record, Mapped};
use crate::sources::{self, Item, Opened};

/// Runner settings.
#[derive(Debug, Clone)]
pub struct ImportSettings {
    /// Records mapped, matched and written per transaction.
    pub batch_size: usize,
    /// A RUNNING job whose heartbeat is older than this lost its server and is failed, which
    /// frees its app for the next import.
    pub heartbeat_timeout: Duration,
    /// How often the scheduler looks for due imports and orphaned jobs.
    pub scheduler_interval: Duration,
    /// Finished jobs kept per app (older ones are deleted when a new one starts).
    pub jobs_kept: usize,
}

impl Default for ImportSettings {
    fn default() -> Self {
        ImportSettings {
            batch_size: 1000,
            heartbeat_timeout: Duration::from_secs(120),
            scheduler_interval: Duration::from_secs(30),
            jobs_kept: 20,
        }
    }
}

/// A CSV file received for an import; the job deletes it when it no longer needs it.
#[derive(Debug, Clone)]
pub struct CsvUpload {
    /// For messages: `upload.csv`, or the name the client gave.
    pub name: String,
    pub path: PathBuf,
    /// Rows in the file, when counted (for progress).
    pub rows: Option<u64>,
}

/// `POST /api/v1/apps/{id}/imports`.
#[derive(Debug, Clone)]
pub struct StartImport {
    pub kind: ImportKind,
    pub force_sync: bool,
    pub csv: Option<CsvUpload>,
}

/// An administrator's answer for one record waiting for confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmAction {
    /// Link to this user, or to the only candidate.
    Link(Option<String>),
    Create,
    Ignore,
}

/// `POST .../imports/{jobId}/confirm`.
#[derive(Debug, Clone)]
pub struct Confirm {
    /// `(externalId, action)`; empty with `all` confirms every waiting record as proposed.
    pub items: Vec<(String, ConfirmAction)>,
    pub all: bool,
    /// Activate the confirmed users that are STAGED.
    pub activate: bool,
}

/// How a Group Push the import set off went, when the job is read.
#[derive(Debug, Clone, PartialEq)]
pub struct SubjobState {
    pub subjob: Subjob,
    /// `PENDING`, `DONE`, `FAILED` or `INACTIVE`.
    pub status: String,
    pub task_id: Option<String>,
    pub error_summary: Option<String>,
}

/// The import use cases over one store.
#[derive(Clone)]
pub struct Imports {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) provisioning: Provisioning,
    /// The directory with its observer installed, so what an import changes reaches
    /// provisioning (profile pushes, group assignments, Group Push).
    pub(crate) directory: Directory,
    pub(crate) settings: ImportSettings,
    /// Cancel flags of the jobs this process runs.
    cancels: Mutex<HashMap<String, Arc<AtomicBool>>>,
}

/// The wall clock, as Roster's timestamp (the engine reads it; the store never does).
pub(crate) use roster_provisioning::engine::now;

/// What one job run holds.
pub(crate) struct Run {
    pub(crate) job: ImportJob,
    pub(crate) app: App,
    pub(crate) schema: ProfileSchema,
    pub(crate) ctx: Ctx,
    /// The ACTIVE apps that master profiles, by id (this one included when it does).
    pub(crate) masters: HashMap<String, App>,
    cancel: Arc<AtomicBool>,
    saved_at: Instant,
}

impl Run {
    pub(crate) fn app_event(&self, event_type: &str, message: &str) -> LogEvent {
        self.ctx
            .event(event_type, message)
            .with_target(
                &self.app.id,
                "AppInstance",
                Some(self.app.name.as_str()),
                Some(&self.app.label),
            )
            .with_debug("importJobId", self.job.id.as_str())
    }

    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Whether this app masters the profiles of its linked users.
    pub(crate) fn masters(&self) -> bool {
        self.app.mastering.enabled
    }
}

fn corrupt(what: &str) -> ImportError {
    ImportError::Store(StoreError::CorruptData { what: what.into() })
}

pub(crate) fn job_doc(job: &ImportJob) -> Result<Document> {
    Ok(Document {
        kind: JOB_KIND.into(),
        id: job.id.clone(),
        priority: 0,
        body: serde_json::to_value(job).map_err(|_| corrupt("import job"))?,
        version: 0,
        updated: job.last_updated,
    })
}

fn source_failure(e: &SourceError) -> JobError {
    JobError {
        code: e.code().into(),
        summary: e.to_string(),
        cause: e.cause(),
        remediation: e.remediation().into(),
    }
}

impl Imports {
    /// `directory` must be the one the server uses, with provisioning's observer installed
    /// (the engine's own directory has none).
    pub fn new(provisioning: Provisioning, directory: Directory, settings: ImportSettings) -> Self {
        Imports {
            inner: Arc::new(Inner {
                provisioning,
                directory,
                settings,
                cancels: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub(crate) fn provisioning(&self) -> &Provisioning {
        &self.inner.provisioning
    }

    pub(crate) fn directory(&self) -> &Directory {
        &self.inner.directory
    }

    pub(crate) fn store(&self) -> &Store {
        self.directory().store()
    }

    // ---- source apps ---------------------------------------------------------------------

    /// Create an `ldap` or `active_directory` app from its `settings.app`: the settings are
    /// validated (every problem at once), the bind is tested unless `test_connection` is false,
    /// and the bind password is sealed; nothing is saved when any of it fails.
    pub async fn create_ldap_app(
        &self,
        ctx: &Ctx,
        kind: AppType,
        label: &str,
        settings_app: &Map<String, Value>,
        activate: bool,
        test_connection: bool,
    ) -> Result<App> {
        let settings = sources::ldap_settings(kind, settings_app)?;
        if test_connection {
            sources::test_ldap(settings.clone()).await?;
        }
        let mut app = new_app(ctx, kind, label, settings.url.trim(), activate);
        app.source = Some(sources::store_ldap_settings(
            self.provisioning().keys(),
            &app.id,
            kind,
            &settings,
            settings_app,
        )?);
        Ok(self.provisioning().save_new_app(ctx, app).await?)
    }

    /// Change an LDAP app's settings: the keys sent replace the stored ones (a missing
    /// `bindPassword` keeps the sealed one), then the whole is validated and tested as on create.
    pub async fn update_ldap_settings(
        &self,
        ctx: &Ctx,
        app_id: &str,
        changes: &Map<String, Value>,
        test_connection: bool,
    ) -> Result<App> {
        let mut app = self.provisioning().get_app(app_id).await?;
        if !app.name.is_ldap() {
            return Err(ImportError::invalid(
                "settings.app",
                format!("{} is not an LDAP app", app.label),
                "send LDAP settings only to ldap and active_directory apps",
            ));
        }
        let stored = app
            .source
            .clone()
            .unwrap_or_else(|| roster_provisioning::SourceSettings {
                settings: Map::new(),
                sealed_secret: None,
            });
        let mut merged = stored.settings.clone();
        for (k, v) in changes {
            if k == "deprovisionAction" {
                continue;
            }
            if v.is_null() {
                merged.remove(k);
            } else {
                merged.insert(k.clone(), v.clone());
            }
        }
        let new_secret = merged.get("bindPassword").is_some_and(|v| !v.is_null());
        let mut with_secret = merged.clone();
        if !new_secret {
            if let Some(sealed) = &stored.sealed_secret {
                let secret = self
                    .provisioning()
                    .keys()
                    .key()?
                    .open(&sources::secret_purpose(&app.id), sealed)?;
                with_secret.insert(
                    "bindPassword".into(),
                    Value::String(secrecy::ExposeSecret::expose_secret(&secret).to_owned()),
                );
            }
        }
        let settings = sources::ldap_settings(app.name, &with_secret)?;
        if test_connection {
            sources::test_ldap(settings.clone()).await?;
        }
        let mut source = sources::store_ldap_settings(
            self.provisioning().keys(),
            &app.id,
            app.name,
            &settings,
            &merged,
        )?;
        if !new_secret {
            source.sealed_secret = stored.sealed_secret;
        }
        app.base_url = settings.url.trim().to_owned();
        app.source = Some(source);
        app.last_updated = ctx.now;
        let event = app_event(
            ctx,
            "application.lifecycle.update",
            "Update application",
            &app,
        )
        .with_debug("changed", "settings.app");
        self.provisioning().put_app(&app, None, &[event]).await?;
        Ok(app)
    }

    /// `PUT /apps/{id}/features/INBOUND_PROVISIONING`.
    pub async fn set_inbound(
        &self,
        ctx: &Ctx,
        app_id: &str,
        inbound: InboundProvisioning,
    ) -> Result<App> {
        let mut app = self.provisioning().get_app(app_id).await?;
        require_source(&app, "INBOUND_PROVISIONING")?;
        check_inbound(&inbound)?;
        if inbound.schedule_enabled && app.name == AppType::Csv {
            return Err(ImportError::invalid(
                "capabilities.importSettings.schedule.status",
                "a CSV app has no source to read on a schedule: each import uploads its file",
                "leave the schedule DISABLED and run `roster import --app ID --file users.csv` when the file changes",
            ));
        }
        app.inbound = inbound;
        app.last_updated = ctx.now;
        let event = app_event(
            ctx,
            "application.provision.feature.update",
            "Update the INBOUND_PROVISIONING feature of an application",
            &app,
        );
        self.provisioning().put_app(&app, None, &[event]).await?;
        Ok(app)
    }

    /// `PUT /apps/{id}/features/PROFILE_MASTERING`.
    pub async fn set_mastering(
        &self,
        ctx: &Ctx,
        app_id: &str,
        mastering: ProfileMastering,
    ) -> Result<App> {
        let mut app = self.provisioning().get_app(app_id).await?;
        require_source(&app, "PROFILE_MASTERING")?;
        if !ON_DEACTIVATE_ACTIONS.contains(&mastering.on_deactivate.as_str()) {
            return Err(ImportError::invalid(
                "onDeactivate",
                format!("{:?} is not an action", mastering.on_deactivate),
                "send DEACTIVATE, SUSPEND or NONE",
            ));
        }
        if mastering.priority < 0 {
            return Err(ImportError::invalid(
                "priority",
                format!("{} is negative", mastering.priority),
                "send a priority of 0 or more (0 is the highest)",
            ));
        }
        let schema = self.directory().profile_schema().await?;
        for (name, o) in &mastering.attribute_overrides {
            if schema.attribute(name).is_none() {
                return Err(ImportError::invalid(
                    &format!("attributeOverrides.{name}"),
                    format!("{name:?} is not an attribute of the user profile"),
                    "name attributes as GET /api/v1/meta/schemas/user/default spells them",
                ));
            }
            if o.priority.is_some_and(|p| p < 0) {
                return Err(ImportError::invalid(
                    &format!("attributeOverrides.{name}.priority"),
                    "the priority is negative",
                    "send a priority of 0 or more",
                ));
            }
        }
        app.mastering = mastering;
        app.last_updated = ctx.now;
        let event = app_event(
            ctx,
            "application.provision.feature.update",
            "Update the PROFILE_MASTERING feature of an application",
            &app,
        )
        .with_debug("priority", app.mastering.priority)
        .with_debug("enabled", app.mastering.enabled);
        self.provisioning().put_app(&app, None, &[event]).await?;
        Ok(app)
    }

    // ---- jobs ----------------------------------------------------------------------------

    /// Start an import of `app_id` and return its job (RUNNING). Refused when the app is not
    /// an ACTIVE import source with INBOUND_PROVISIONING, or already runs an import.
    pub async fn start(&self, ctx: &Ctx, app_id: &str, start: StartImport) -> Result<ImportJob> {
        let outcome = self.start_inner(ctx, app_id, &start).await;
        if outcome.is_err() {
            if let Some(csv) = &start.csv {
                let _ = std::fs::remove_file(&csv.path);
            }
        }
        outcome
    }

    async fn start_inner(&self, ctx: &Ctx, app_id: &str, start: &StartImport) -> Result<ImportJob> {
        let app = self.provisioning().get_app(app_id).await?;
        require_source(&app, "imports")?;
        if app.status != "ACTIVE" {
            return Err(ImportError::invalid(
                "status",
                format!("the app {} is INACTIVE", app.label),
                "activate it first: POST /api/v1/apps/{id}/lifecycle/activate",
            ));
        }
        if !app.inbound.enabled {
            return Err(ImportError::invalid(
                "features.INBOUND_PROVISIONING",
                format!("imports are disabled for the app {}", app.label),
                "enable them: PUT /api/v1/apps/{id}/features/INBOUND_PROVISIONING with {\"status\":\"ENABLED\"}",
            ));
        }
        if start.force_sync && !app.mastering.enabled {
            return Err(ImportError::invalid(
                "forceSync",
                format!(
                    "Force Sync applies a profile source's values to its users, and {} is not a profile source",
                    app.label
                ),
                "enable PROFILE_MASTERING first, or run a FULL import",
            ));
        }
        if start.force_sync && start.csv.is_some() {
            return Err(ImportError::invalid(
                "forceSync",
                "Force Sync reads no file: it re-applies the records of the last imports",
                "send the request without a body, or without forceSync to import the file",
            ));
        }
        let opened = if start.force_sync {
            None
        } else {
            let csv = start.csv.as_ref().map(|c| (c.name.clone(), c.path.clone()));
            Some(sources::open(self.provisioning().keys(), &app, csv)?)
        };
        let id = make_id(IdKind::Other, ctx.now, rand::random());
        let id = format!("0im{}", id.get(3..).unwrap_or_default());
        let job = ImportJob {
            id: id.clone(),
            app_id: app.id.clone(),
            app_label: app.label.clone(),
            kind: start.kind,
            force_sync: start.force_sync,
            status: JobStatus::Running,
            phase: "USERS".into(),
            source: opened
                .as_ref()
                .map(Opened::name)
                .unwrap_or_else(|| "the app's stored records".into()),
            requested_by: ctx.actor.id.clone(),
            created: ctx.now,
            last_updated: ctx.now,
            finished: None,
            heartbeat: ctx.now,
            counts: ImportCounts::default(),
            expected_records: start.csv.as_ref().and_then(|c| c.rows),
            warnings: Vec::new(),
            errors: Vec::new(),
            subjobs: Vec::new(),
            safeguard: None,
            watermark: None,
            read_everything: false,
            error: None,
        };
        // The job exists before its lock does, so another server that finds the lock also
        // finds the job it names (a lock naming no job is taken over).
        self.store()
            .put_document(&job_doc(&job)?, Some(0), &[])
            .await?;
        if let Err(e) = self.take_lock(ctx, &app, &job).await {
            let _ = self.store().delete_document(JOB_KIND, &job.id, &[]).await;
            return Err(e);
        }
        self.prune_jobs(&app.id).await;
        let start_event = app_event(ctx, "system.import.start", "Import started", &app)
            .with_debug("importJobId", job.id.as_str())
            .with_debug("importType", job.kind.as_str())
            .with_debug("forceSync", job.force_sync)
            .with_debug("source", job.source.as_str());
        self.store().append_events(&[start_event]).await?;
        let cancel = Arc::new(AtomicBool::new(false));
        if let Ok(mut cancels) = self.inner.cancels.lock() {
            cancels.insert(job.id.clone(), cancel.clone());
        }
        let this = self.clone();
        let run_job = job.clone();
        let upload = start.csv.as_ref().map(|c| c.path.clone());
        let actor = ctx.actor.clone();
        tokio::spawn(async move {
            this.run(run_job, app, opened, actor, cancel, upload).await;
        });
        Ok(job)
    }

    /// One live import per app: the lock document names the job. A lock whose job is over, or
    /// lost its server (stale heartbeat), is taken over.
    async fn take_lock(&self, ctx: &Ctx, app: &App, job: &ImportJob) -> Result<()> {
        let lock = Document {
            kind: LOCK_KIND.into(),
            id: app.id.clone(),
            priority: 0,
            body: json!({ "jobId": job.id }),
            version: 0,
            updated: ctx.now,
        };
        let mut holder = String::new();
        for _ in 0..3 {
            match self.store().put_document(&lock, Some(0), &[]).await {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            let Some(held) = self.store().get_document(LOCK_KIND, &app.id).await? else {
                continue;
            };
            held.body
                .get("jobId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .clone_into(&mut holder);
            match self.find_job(&holder).await? {
                Some(other) if other.status.is_live() && !self.is_stale(&other) => {
                    return Err(ImportError::Busy { job_id: other.id });
                }
                Some(other) if other.status == JobStatus::Running => {
                    self.fail_orphan(other).await?;
                }
                _ => {}
            }
            match self
                .store()
                .put_document(&lock, Some(held.version), &[])
                .await
            {
                Ok(_) => return Ok(()),
                Err(StoreError::VersionConflict { .. } | StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        // Three rounds lost to other starters: the last holder seen is running.
        Err(ImportError::Busy { job_id: holder })
    }

    async fn release_lock(&self, job: &ImportJob) {
        match self.store().get_document(LOCK_KIND, &job.app_id).await {
            Ok(Some(doc)) if doc.body.get("jobId").and_then(Value::as_str) == Some(&job.id) => {
                if let Err(e) = self
                    .store()
                    .delete_document(LOCK_KIND, &job.app_id, &[])
                    .await
                {
                    tracing::warn!(job = %job.id, error = %e, "could not release an import lock");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(job = %job.id, error = %e, "could not read an import lock"),
        }
    }

    fn is_stale(&self, job: &ImportJob) -> bool {
        job.status == JobStatus::Running
            && now().as_millis() - job.heartbeat.as_millis()
                > self.inner.settings.heartbeat_timeout.as_millis() as i64
            && !self.runs_here(&job.id)
    }

    fn runs_here(&self, job_id: &str) -> bool {
        self.inner
            .cancels
            .lock()
            .map(|c| c.contains_key(job_id))
            .unwrap_or(false)
    }

    /// A RUNNING job whose server went away: FAILED, and its lock released.
    async fn fail_orphan(&self, mut job: ImportJob) -> Result<()> {
        let at = now();
        job.status = JobStatus::Failed;
        job.finished = Some(at);
        job.last_updated = at;
        job.error = Some(JobError {
            code: "import_interrupted".into(),
            summary: "the server running the import stopped before it finished".into(),
            cause: "the import's heartbeat stopped: the server running it was stopped or crashed".into(),
            remediation: "run the import again: what its finished batches wrote is kept, and records already imported are matched to their users".into(),
        });
        let ctx = Ctx::new(Actor::system(), at);
        let mut event = ctx
            .event("system.import.complete", "Import completed")
            .failure("the server running the import stopped before it finished")
            .with_target(&job.app_id, "AppInstance", None, Some(&job.app_label))
            .with_debug("importJobId", job.id.as_str());
        event.severity = Severity::Error;
        self.store()
            .put_document(&job_doc(&job)?, None, &[event])
            .await?;
        self.release_lock(&job).await;
        Ok(())
    }

    /// Fail the RUNNING jobs whose server went away (at start-up and from the scheduler).
    pub async fn recover_orphans(&self) -> Result<usize> {
        let mut n = 0;
        for job in self.all_jobs().await? {
            if self.is_stale(&job) {
                self.fail_orphan(job).await?;
                n += 1;
            }
        }
        Ok(n)
    }

    async fn prune_jobs(&self, app_id: &str) {
        let Ok(mut jobs) = self.list_jobs(app_id).await else {
            return;
        };
        jobs.retain(|j| !j.status.is_live());
        for old in jobs.iter().skip(self.inner.settings.jobs_kept) {
            let _ = self.store().delete_document(JOB_KIND, &old.id, &[]).await;
        }
    }

    async fn all_jobs(&self) -> Result<Vec<ImportJob>> {
        self.store()
            .list_documents(JOB_KIND)
            .await?
            .into_iter()
            .map(|d| serde_json::from_value(d.body).map_err(|_| corrupt("import job")))
            .collect()
    }

    async fn find_job(&self, job_id: &str) -> Result<Option<ImportJob>> {
        self.store()
            .get_document(JOB_KIND, job_id)
            .await?
            .map(|d| serde_json::from_value(d.body).map_err(|_| corrupt("import job")))
            .transpose()
    }

    /// A job by id.
    pub async fn get_job(&self, job_id: &str) -> Result<ImportJob> {
        self.find_job(job_id)
            .await?
            .ok_or_else(|| ImportError::NotFound {
                kind: "import job",
                id: job_id.to_owned(),
            })
    }

    /// A job of `app_id` (a job of another app is not found).
    pub async fn get_app_job(&self, app_id: &str, job_id: &str) -> Result<ImportJob> {
        self.provisioning().get_app(app_id).await?;
        match self.find_job(job_id).await? {
            Some(job) if job.app_id == app_id => Ok(job),
            _ => Err(ImportError::NotFound {
                kind: "import job",
                id: job_id.to_owned(),
            }),
        }
    }

    /// The app's jobs, newest first.
    pub async fn list_jobs(&self, app_id: &str) -> Result<Vec<ImportJob>> {
        let mut jobs: Vec<ImportJob> = self
            .all_jobs()
            .await?
            .into_iter()
            .filter(|j| j.app_id == app_id)
            .collect();
        jobs.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(jobs)
    }

    /// How the Group Pushes the job set off went.
    pub async fn subjob_states(&self, job: &ImportJob) -> Vec<SubjobState> {
        let mut out = Vec::new();
        for s in &job.subjobs {
            let state = match self
                .provisioning()
                .get_group_push_mapping(&s.app_id, &s.mapping_id)
                .await
            {
                Ok(m) if m.status == "ERROR" => SubjobState {
                    subjob: s.clone(),
                    status: "FAILED".into(),
                    task_id: m.task_id.clone(),
                    error_summary: m.error_summary.clone(),
                },
                Ok(m) if m.status == "INACTIVE" => SubjobState {
                    subjob: s.clone(),
                    status: "INACTIVE".into(),
                    task_id: None,
                    error_summary: None,
                },
                Ok(m) => SubjobState {
                    subjob: s.clone(),
                    status: if m.last_push.is_some_and(|t| t >= s.triggered) {
                        "DONE"
                    } else {
                        "PENDING"
                    }
                    .into(),
                    task_id: None,
                    error_summary: None,
                },
                Err(_) => SubjobState {
                    subjob: s.clone(),
                    status: "INACTIVE".into(),
                    task_id: None,
                    error_summary: Some("the mapping was deleted".into()),
                },
            };
            out.push(state);
        }
        out
    }

    /// The records of a job waiting for confirmation, by external id.
    pub async fn pending(
        &self,
        app_id: &str,
        job_id: &str,
        after: Option<String>,
        limit: u32,
    ) -> Result<Page<ImportRecord>> {
        self.get_app_job(app_id, job_id).await?;
        Ok(self
            .store()
            .list_import_records(
                app_id,
                &ImportRecordQuery {
                    pending_job: Some(job_id.to_owned()),
                    after,
                    limit,
                    ..ImportRecordQuery::default()
                },
            )
            .await?)
    }

    /// Cancel a RUNNING job (it stops after its current batch, with no removals) or a PAUSED one.
    pub async fn cancel(&self, ctx: &Ctx, app_id: &str, job_id: &str) -> Result<ImportJob> {
        let mut job = self.get_app_job(app_id, job_id).await?;
        match job.status {
            JobStatus::Running => {
                let flag = self
                    .inner
                    .cancels
                    .lock()
                    .ok()
                    .and_then(|c| c.get(job_id).cloned());
                match flag {
                    Some(flag) => flag.store(true, Ordering::Relaxed),
                    None if self.is_stale(&job) => {
                        self.fail_orphan(job.clone()).await?;
                        return self.get_job(job_id).await;
                    }
                    None => {
                        return Err(ImportError::invalid(
                            "status",
                            "the import runs on another server",
                            "cancel it on the server that runs it, or wait for it to finish",
                        ))
                    }
                }
                Ok(job)
            }
            JobStatus::Paused => {
                job.status = JobStatus::Cancelled;
                job.phase = "DONE".into();
                job.finished = Some(ctx.now);
                job.last_updated = ctx.now;
                let event = ctx
                    .event("system.import.complete", "Import completed")
                    .failure("cancelled by an administrator while the safeguard paused it; nothing was removed")
                    .with_target(&job.app_id, "AppInstance", None, Some(&job.app_label))
                    .with_debug("importJobId", job.id.as_str());
                self.store()
                    .put_document(&job_doc(&job)?, None, &[event])
                    .await?;
                self.release_lock(&job).await;
                Ok(job)
            }
            other => Err(ImportError::invalid(
                "status",
                format!("the import is {} and cannot be cancelled", other.as_str()),
                "only a RUNNING or PAUSED import can be cancelled",
            )),
        }
    }

    /// Resume a job the safeguard paused: it is RUNNING again and its removals are applied in
    /// the background.
    pub async fn resume(&self, ctx: &Ctx, app_id: &str, job_id: &str) -> Result<ImportJob> {
        let job = self.get_app_job(app_id, job_id).await?;
        if job.status != JobStatus::Paused {
            return Err(ImportError::invalid(
                "status",
                format!("the import is {}, not PAUSED", job.status.as_str()),
                "only an import the safeguard paused can be resumed",
            ));
        }
        let app = self.provisioning().get_app(app_id).await?;
        let cancel = Arc::new(AtomicBool::new(false));
        if let Ok(mut cancels) = self.inner.cancels.lock() {
            cancels.insert(job.id.clone(), cancel.clone());
        }
        let mut run = self.new_run(job, app, ctx.actor.clone()).await?;
        run.cancel = cancel;
        run.job.status = JobStatus::Running;
        run.job.heartbeat = now();
        let event = run
            .app_event("system.import.resume", "Import resumed past the safeguard")
            .with_debug(
                "removals",
                run.job.safeguard.as_ref().map(|s| s.removals).unwrap_or(0),
            );
        self.store()
            .put_document(&job_doc(&run.job)?, None, &[event])
            .await?;
        let job = run.job.clone();
        let this = self.clone();
        tokio::spawn(async move {
            let id = run.job.id.clone();
            let outcome = this.removals(&mut run, true).await;
            if let Err(e) = this.finish(run, outcome).await {
                tracing::warn!(job = %id, error = %e, "a resumed import could not record its outcome");
            }
            if let Ok(mut cancels) = this.inner.cancels.lock() {
                cancels.remove(&id);
            }
        });
        Ok(job)
    }

    /// Confirm records waiting in a job's confirmation list.
    pub async fn confirm(
        &self,
        ctx: &Ctx,
        app_id: &str,
        job_id: &str,
        confirm: Confirm,
    ) -> Result<ImportJob> {
        let job = self.get_app_job(app_id, job_id).await?;
        if job.status == JobStatus::Running {
            return Err(ImportError::invalid(
                "status",
                "the import is still running",
                "wait until it is COMPLETED, then confirm its users",
            ));
        }
        if !confirm.all && confirm.items.is_empty() {
            return Err(ImportError::invalid(
                "users",
                "nothing to confirm",
                "send {\"users\":[{\"externalId\":\"...\",\"action\":\"LINK\"}]} or {\"all\":true}",
            ));
        }
        let app = self.provisioning().get_app(app_id).await?;
        let mut run = self.new_run(job, app, ctx.actor.clone()).await?;
        let records = self.confirmable(&run, &confirm).await?;
        self.confirm_records(&mut run, records, confirm.activate)
            .await?;
        run.job.last_updated = now();
        self.store()
            .put_document(&job_doc(&run.job)?, None, &[])
            .await?;
        Ok(run.job)
    }

    /// The records a confirmation names, with their actions; every named record must wait in
    /// the job's list, and a LINK must name one user.
    async fn confirmable(
        &self,
        run: &Run,
        confirm: &Confirm,
    ) -> Result<Vec<(ImportRecord, ConfirmAction)>> {
        let mut out = Vec::new();
        if confirm.all {
            let mut after = None;
            loop {
                let page = self
                    .store()
                    .list_import_records(
                        &run.app.id,
                        &ImportRecordQuery {
                            pending_job: Some(run.job.id.clone()),
                            after: after.clone(),
                            limit: 1000,
                            ..ImportRecordQuery::default()
                        },
                    )
                    .await?;
                for r in page.items {
                    let action = match pending_kind(&r).as_str() {
                        "NEW" => ConfirmAction::Create,
                        _ => ConfirmAction::Link(None),
                    };
                    out.push((r, action));
                }
                match page.next_after {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            // Explicit answers override the proposal.
            for (ext, action) in &confirm.items {
                if let Some(slot) = out.iter_mut().find(|(r, _)| &r.external_id == ext) {
                    slot.1 = action.clone();
                }
            }
            return Ok(out);
        }
        let ids: Vec<String> = confirm.items.iter().map(|(e, _)| e.clone()).collect();
        let found: HashMap<String, ImportRecord> = self
            .store()
            .import_records(&run.app.id, &ids)
            .await?
            .into_iter()
            .map(|r| (r.external_id.clone(), r))
            .collect();
        for (i, (ext, action)) in confirm.items.iter().enumerate() {
            let field = format!("users[{i}].externalId");
            let Some(r) = found.get(ext) else {
                return Err(ImportError::invalid(
                    &field,
                    format!("the app has no record {ext:?}"),
                    "use the externalId values GET .../imports/{jobId}/users lists",
                ));
            };
            if r.match_state != "PENDING" || r.pending_job.as_deref() != Some(&run.job.id) {
                return Err(ImportError::invalid(
                    &field,
                    format!("the record {ext:?} is not waiting for confirmation in this import"),
                    "confirm only the records GET .../imports/{jobId}/users lists",
                ));
            }
            if let ConfirmAction::Link(None) = action {
                if pending_candidates(r).len() != 1 {
                    return Err(ImportError::invalid(
                        &format!("users[{i}].userId"),
                        format!(
                            "the record {ext:?} has {} candidate users: say which one to link",
                            pending_candidates(r).len()
                        ),
                        "send userId with the id of the user to link, or action CREATE",
                    ));
                }
            }
            out.push((r.clone(), action.clone()));
        }
        Ok(out)
    }

    // ---- the runner --------------------------------------------------------------------

    pub(crate) async fn new_run(&self, job: ImportJob, app: App, actor: Actor) -> Result<Run> {
        let schema = self.directory().profile_schema().await?;
        let masters = self
            .provisioning()
            .list_apps()
            .await?
            .into_iter()
            .filter(|a| a.status == "ACTIVE" && a.mastering.enabled && a.name.imports())
            .map(|a| (a.id.clone(), a))
            .collect();
        let cancel = self
            .inner
            .cancels
            .lock()
            .ok()
            .and_then(|c| c.get(&job.id).cloned())
            .unwrap_or_else(|| Arc::new(AtomicBool::new(false)));
        let mut ctx = Ctx::new(actor, now());
        ctx.transaction_id = job.id.clone();
        Ok(Run {
            job,
            app,
            schema,
            ctx,
            masters,
            cancel,
            saved_at: Instant::now(),
        })
    }

    /// Run a job; an uploaded file is deleted as soon as the read is over, before the job's
    /// outcome is recorded.
    async fn run(
        &self,
        job: ImportJob,
        app: App,
        opened: Option<Opened>,
        actor: Actor,
        cancel: Arc<AtomicBool>,
        upload: Option<PathBuf>,
    ) {
        let job_id = job.id.clone();
        let outcome = match self.new_run(job.clone(), app, actor).await {
            Ok(mut run) => {
                run.cancel = cancel;
                let result = match opened {
                    Some(opened) => self.read_and_import(&mut run, opened).await,
                    None => self.force_sync(&mut run).await,
                };
                if let Some(path) = &upload {
                    let _ = std::fs::remove_file(path);
                }
                self.finish(run, result).await.map(|_| ())
            }
            Err(e) => {
                if let Some(path) = &upload {
                    let _ = std::fs::remove_file(path);
                }
                let mut failed = job;
                failed.status = JobStatus::Failed;
                failed.error = Some(JobError {
                    code: e.code().into(),
                    summary: e.to_string(),
                    cause: "the import could not start".into(),
                    remediation:
                        "check the server log under this job id, then run the import again".into(),
                });
                failed.finished = Some(now());
                let saved = match job_doc(&failed) {
                    Ok(doc) => self
                        .store()
                        .put_document(&doc, None, &[])
                        .await
                        .map(|_| ())
                        .map_err(ImportError::from),
                    Err(e) => Err(e),
                };
                self.release_lock(&failed).await;
                saved
            }
        };
        if let Err(e) = outcome {
            tracing::warn!(job = %job_id, error = %e, "an import could not record its outcome");
        }
        if let Ok(mut cancels) = self.inner.cancels.lock() {
            cancels.remove(&job_id);
        }
    }

    /// Record the end of a run: COMPLETED (or PAUSED by the safeguard, or CANCELLED), or FAILED
    /// with the error; the lock is released unless the job is paused.
    async fn finish(&self, mut run: Run, outcome: Result<()>) -> Result<ImportJob> {
        let at = now();
        run.job.last_updated = at;
        let mut event = run.app_event("system.import.complete", "Import completed");
        match outcome {
            Ok(()) if run.job.status == JobStatus::Paused => {
                event = run.app_event(
                    "system.import.roadblock",
                    "Import paused by the import safeguard",
                );
                event.severity = Severity::Warn;
                if let Some(s) = &run.job.safeguard {
                    event = event
                        .with_debug("removals", s.removals)
                        .with_debug("assigned", s.assigned)
                        .with_debug("safeguardPercent", s.percent);
                }
            }
            Ok(()) if run.cancelled() => {
                run.job.status = JobStatus::Cancelled;
                event = event.failure("cancelled by an administrator; nothing was removed");
            }
            Ok(()) => {
                run.job.status = JobStatus::Completed;
            }
            Err(e) => {
                run.job.status = JobStatus::Failed;
                let error = match &e {
                    ImportError::Source(s) => source_failure(s),
                    other => {
                        tracing::warn!(job = %run.job.id, error = %other, "an import failed inside Roster");
                        JobError {
                            code: other.code().into(),
                            summary: format!("the import stopped: {other}"),
                            cause: "Roster failed while writing the import".into(),
                            remediation: "check the server log under this job id, then run the import again; what earlier batches wrote is kept".into(),
                        }
                    }
                };
                event = event.failure(error.summary.clone());
                event.severity = Severity::Error;
                run.job.error = Some(error);
            }
        }
        if run.job.status != JobStatus::Paused {
            run.job.phase = "DONE".into();
            run.job.finished = Some(at);
        }
        let c = &run.job.counts;
        event = event
            .with_debug("status", run.job.status.as_str())
            .with_debug("scanned", c.scanned)
            .with_debug("new", c.new)
            .with_debug("updated", c.updated)
            .with_debug("unchanged", c.unchanged)
            .with_debug("removed", c.removed)
            .with_debug("errors", c.errors);
        self.store()
            .put_document(&job_doc(&run.job)?, None, &[event])
            .await?;
        if !run.job.status.is_live() {
            self.release_lock(&run.job).await;
        }
        Ok(run.job)
    }

    /// Save the job's progress (at most every second) and renew its heartbeat.
    pub(crate) async fn progress(&self, run: &mut Run) -> Result<()> {
        if run.saved_at.elapsed() < Duration::from_secs(1) {
            return Ok(());
        }
        self.save(run).await
    }

    pub(crate) async fn save(&self, run: &mut Run) -> Result<()> {
        let at = now();
        run.job.heartbeat = at;
        run.job.last_updated = at;
        self.store()
            .put_document(&job_doc(&run.job)?, None, &[])
            .await?;
        run.saved_at = Instant::now();
        Ok(())
    }

    /// The newest change the last completed read of the app saw.
    async fn last_watermark(&self, app_id: &str) -> Result<Option<String>> {
        Ok(self
            .list_jobs(app_id)
            .await?
            .into_iter()
            .filter(|j| j.status == JobStatus::Completed && !j.force_sync)
            .find_map(|j| j.watermark))
    }

    async fn read_and_import(&self, run: &mut Run, opened: Opened) -> Result<()> {
        let mut mode = ReadMode::Full;
        if run.job.kind == ImportKind::Incremental && opened.tracks_changes() {
            match self.last_watermark(&run.app.id).await? {
                Some(since) => mode = ReadMode::Incremental { since },
                None => {
                    run.job.kind = ImportKind::Full;
                    run.job.warn(ImportIssue {
                        code: "incremental_converted_to_full".into(),
                        message: "no earlier import of this app finished, so there is nothing to read changes since: the import reads everything, as a FULL import".into(),
                        external_id: None,
                        user_id: None,
                        field: None,
                        line: None,
                        remediation: None,
                    });
                    let event = run.app_event(
                        "system.import.incremental_converted_to_full",
                        "Incremental import converted to a full import",
                    );
                    self.store().append_events(&[event]).await?;
                }
            }
        }
        let (mut rx, reader) = sources::read_users(&opened, mode.clone());
        let mut batch: Vec<Mapped> = Vec::with_capacity(self.inner.settings.batch_size);
        let mut stopped = false;
        while let Some(item) = rx.recv().await {
            match item {
                Item::Record(record) => {
                    run.job.counts.scanned += 1;
                    if let Some(m) = &record.modified {
                        if run.job.watermark.as_ref().is_none_or(|w| m > w) {
                            run.job.watermark = Some(m.clone());
                        }
                    }
                    batch.push(map_record(
                        run.app.name,
                        &run.schema,
                        &run.app.inbound,
                        record,
                    ));
                }
                Item::Warning(w) => run.job.warn(ImportIssue {
                    code: "source_warning".into(),
                    message: w.message,
                    external_id: w.subject,
                    user_id: None,
                    field: None,
                    line: w.line,
                    remediation: Some(
                        "fix the record at the source; the rest of the import went on".into(),
                    ),
                }),
            }
            if batch.len() >= self.inner.settings.batch_size {
                self.import_batch(run, std::mem::take(&mut batch)).await?;
                self.progress(run).await?;
                if run.cancelled() {
                    stopped = true;
                    break;
                }
            }
        }
        drop(rx);
        if stopped {
            reader.abort();
            return Ok(());
        }
        match reader.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                // What was read before the failure is imported; nothing is removed.
                if !batch.is_empty() {
                    self.import_batch(run, std::mem::take(&mut batch)).await?;
                }
                return Err(ImportError::Source(e));
            }
            Err(join) => {
                return Err(ImportError::Source(SourceError::new(
                    roster_sources::ErrorKind::InvalidData,
                    run.job.source.clone(),
                    "read the users",
                    format!("the reader stopped: {join}"),
                )))
            }
        }
        if !batch.is_empty() {
            self.import_batch(run, batch).await?;
        }
        run.job.read_everything = matches!(mode, ReadMode::Full);
        run.job.phase = "GROUPS".into();
        self.save(run).await?;
        let groups = sources::read_groups(&opened, &mode)
            .await
            .map_err(ImportError::Source)?;
        self.import_groups(run, groups).await?;
        if run.cancelled() {
            return Ok(());
        }
        if run.job.kind == ImportKind::Full && run.job.read_everything {
            run.job.phase = "REMOVALS".into();
            self.save(run).await?;
            self.removals(run, false).await?;
        }
        Ok(())
    }
}

/// The match kind a waiting record was proposed with.
pub(crate) fn pending_kind(r: &ImportRecord) -> String {
    r.pending
        .as_ref()
        .and_then(|p| p.get("match"))
        .and_then(Value::as_str)
        .unwrap_or("NEW")
        .to_owned()
}

/// The candidate user ids of a waiting record.
pub(crate) fn pending_candidates(r: &ImportRecord) -> Vec<String> {
    r.pending
        .as_ref()
        .and_then(|p| p.get("candidates"))
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .filter_map(|u| u.get("id").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn app_event(ctx: &Ctx, event_type: &str, message: &str, app: &App) -> LogEvent {
    ctx.event(event_type, message).with_target(
        &app.id,
        "AppInstance",
        Some(app.name.as_str()),
        Some(&app.label),
    )
}

fn require_source(app: &App, what: &str) -> Result<()> {
    if app.name.imports() {
        return Ok(());
    }
    Err(ImportError::invalid(
        "name",
        format!(
            "{} is an {} app: Roster pushes to it and imports nothing from it, so it has no {what}",
            app.label,
            app.name.as_str()
        ),
        "use an ldap, active_directory, csv or scim2 app as an import source",
    ))
}

fn check_inbound(inbound: &InboundProvisioning) -> Result<()> {
    const FORMATS: [&str; 4] = ["MAPPED", "EMAIL", "USERNAME", "USERNAME_DOMAIN"];
    let base = "capabilities.importSettings";
    if !FORMATS.contains(&inbound.username_format.as_str()) {
        return Err(ImportError::invalid(
            &format!("{base}.username.userNameFormat"),
            format!("{:?} is not a username format", inbound.username_format),
            "send MAPPED, EMAIL, USERNAME or USERNAME_DOMAIN",
        ));
    }
    if inbound.username_format == "USERNAME_DOMAIN"
        && inbound
            .username_domain
            .as_deref()
            .is_none_or(|d| d.trim().is_empty() || d.contains('@'))
    {
        return Err(ImportError::invalid(
            &format!("{base}.username.usernameDomain"),
            "USERNAME_DOMAIN needs the domain to append",
            "send usernameDomain, e.g. \"example.com\"",
        ));
    }
    if inbound.safeguard_percent == 0 || inbound.safeguard_percent > 100 {
        return Err(ImportError::invalid(
            &format!("{base}.safeguard.percent"),
            format!(
                "{} is not a share between 1 and 100",
                inbound.safeguard_percent
            ),
            "send a percentage from 1 to 100 (Okta's default is 20), or disable the safeguard",
        ));
    }
    for (key, minutes) in [
        ("fullImport", inbound.full_import_minutes),
        ("incrementalImport", inbound.incremental_import_minutes),
    ] {
        if minutes.is_some_and(|m| m < 5) {
            return Err(ImportError::invalid(
                &format!("{base}.schedule.{key}.intervalMinutes"),
                "imports cannot be scheduled more often than every 5 minutes",
                "send intervalMinutes of 5 or more",
            ));
        }
    }
    if inbound.schedule_enabled
        && inbound.full_import_minutes.is_none()
        && inbound.incremental_import_minutes.is_none()
    {
        return Err(ImportError::invalid(
            &format!("{base}.schedule"),
            "an ENABLED schedule needs an interval",
            "send fullImport.intervalMinutes and/or incrementalImport.intervalMinutes",
        ));
    }
    if let MatchCriteria::Attributes(names) = &inbound.exact_match {
        if names.is_empty() {
            return Err(ImportError::invalid(
                "capabilities.importRules.userCreateAndMatch.exactMatchCriteria",
                "an attribute match needs at least one attribute",
                "send USERNAME, EMAIL, or a list of profile attribute names",
            ));
        }
    }
    Ok(())
}

/// Run the scheduler until the runtime shuts down: every `scheduler_interval`, fail the jobs
/// whose server went away and start the imports whose schedule is due.
pub fn spawn_scheduler(imports: Imports) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match imports.recover_orphans().await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(jobs = n, "failed imports whose server stopped"),
                Err(e) => tracing::warn!(error = %e, "could not look for orphaned imports"),
            }
            if let Err(e) = imports.run_schedules().await {
                tracing::warn!(error = %e, "could not start scheduled imports");
            }
            tokio::time::sleep(imports.inner.settings.scheduler_interval).await;
        }
    })
}

impl Imports {
    /// Start the imports whose schedule is due: a FULL one when its interval has passed since
    /// the last full import, else an INCREMENTAL one when its interval has passed since the
    /// last import of any kind.
    pub async fn run_schedules(&self) -> Result<()> {
        let at = now();
        for app in self.provisioning().list_apps().await? {
            let i = &app.inbound;
            if app.status != "ACTIVE"
                || !i.enabled
                || !i.schedule_enabled
                || app.name == AppType::Csv
            {
                continue;
            }
            let jobs = self.list_jobs(&app.id).await?;
            let elapsed = |t: Option<Timestamp>, minutes: u32| {
                t.is_none_or(|t| at.as_millis() - t.as_millis() >= i64::from(minutes) * 60_000)
            };
            let last_full = jobs
                .iter()
                .find(|j| j.kind == ImportKind::Full && !j.force_sync)
                .map(|j| j.created);
            let last_any = jobs.first().map(|j| j.created);
            let kind = if i.full_import_minutes.is_some_and(|m| elapsed(last_full, m)) {
                ImportKind::Full
            } else if i
                .incremental_import_minutes
                .is_some_and(|m| elapsed(last_any, m))
            {
                ImportKind::Incremental
            } else {
                continue;
            };
            let ctx = Ctx::new(Actor::system(), at);
            let start = StartImport {
                kind,
                force_sync: false,
                csv: None,
            };
            match self.start(&ctx, &app.id, start).await {
                Ok(job) => {
                    tracing::info!(app = %app.id, job = %job.id, kind = kind.as_str(), "started a scheduled import")
                }
                Err(ImportError::Busy { .. }) => {}
                Err(e) => {
                    tracing::warn!(app = %app.id, error = %e, "a scheduled import could not start")
                }
            }
        }
        Ok(())
    }
}
