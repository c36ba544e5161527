//! The worker: claim loops that run one job at a time ([`Provisioning::run_once`]), the outcome
//! of a user step (done, rescheduled with backoff, or failed into a Task), graceful shutdown,
//! and the types the steps share ([`Step`], [`Phase`], [`Failure`]). Each job kind's step lives
//! in its own module: `push_user.rs` (create or link, with the password), `lifecycle.rs`
//! (deactivate), `group_push.rs`, `mail.rs`.

use std::time::Duration;

use roster_core::event::{Actor, Severity};
use roster_core::LogEvent;
use roster_directory::Ctx;
use roster_store::{Job, TaskRecord};
use serde_json::{json, Value};

use crate::engine::{
    app_event, app_user_doc, now, plus, task_id_for, Provisioning, Result, Settings, StepOutcome,
};
use crate::error::{ConnectorError, ErrorKind, ProvisioningError};
use crate::job_kind::JobKind;
use crate::model::AppUser;

impl Provisioning {
    /// Claim one due job and execute it. `None` when nothing is due.
    pub async fn run_once(&self) -> Result<Option<StepOutcome>> {
        let now = now();
        let lease_until = plus(now, self.inner.settings.lease);
        let Some(job) = self.store().claim_job(now, lease_until).await? else {
            return Ok(None);
        };
        let _running = Running::new(self, &job.id);
        let ctx = Ctx::new(Actor::system(), now);
        let Some(kind) = JobKind::parse(&job.operation) else {
            // Queued by a newer server sharing the database: leave it for one that knows it.
            tracing::warn!(job = %job.id, operation = %job.operation, "a job of an operation this version does not know; left for a server that does");
            let error = json!({"code": "provisioning.unknown_operation",
                               "summary": format!("this server does not know the operation {}", job.operation)});
            self.store()
                .reschedule_job(
                    &job.id,
                    plus(now, Duration::from_secs(300)),
                    now,
                    &error,
                    None,
                    &[],
                )
                .await?;
            return Ok(Some(StepOutcome::Skipped {
                job_id: job.id.clone(),
                reason: format!("unknown operation {}", job.operation),
            }));
        };
        let step = match kind {
            JobKind::PushGroup => return self.run_group_push(&ctx, &job).await.map(Some),
            JobKind::SendEmail => return self.run_mail(&ctx, &job).await.map(Some),
            JobKind::DeactivateUser => self.execute_deactivate(&ctx, &job).await,
            JobKind::PushUser => self.execute(&ctx, &job, false).await,
            JobKind::ReactivateUser => self.execute(&ctx, &job, true).await,
        };
        let outcome = match step {
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

    pub(crate) async fn record_failure(
        &self,
        ctx: &Ctx,
        job: &Job,
        failure: Failure,
    ) -> Result<StepOutcome> {
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
pub(crate) fn worker_name() -> &'static str {
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
    pub(crate) fn event_type(self) -> (&'static str, &'static str) {
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
