//! Mail through the durable job queue: the use cases that queue a message (a one-time link
//! after `activate` or `reset_password` with `sendEmail=true`, a forgotten password, a changed
//! password) and the worker's step that delivers it (`email.send`).
//!
//! Queuing never touches SMTP: the mail is a job (`app_id` [`MAIL_QUEUE`], the user as its
//! subject) whose payload names the template and carries the link's path sealed with the
//! master key under `mail:{jobId}`. The worker opens it, renders the template
//! (`roster-mail`), and hands the message to the operator's SMTP server. A server that is down
//! or answers 4xx is retried with the queue's backoff; one that refuses for good (5xx: bad
//! credentials, relay denied) or a mail that cannot be made (no server configured, an invalid
//! address) opens a Task. Each outcome writes a `system.email.delivery` event.
//!
//! The clear token exists only in the caller's `OneTimeLink` and, later, in the mail's body:
//! never in the payload, a task, an event, a log line or a header.

use std::sync::Arc;

use roster_core::event::Severity;
use roster_core::ids::{make_id, IdKind};
use roster_core::{LogEvent, User, UserStatus};
use roster_directory::{Ctx, DirectoryError, OneTimeLink};
use roster_mail::{Mailbox, Mailer, SendErrorKind, TemplateName, Vars};
use roster_store::{Job, NewJob, TaskRecord};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use crate::email_settings::MailerSource;
use crate::engine::{backoff, plus, task_id_for, Provisioning, Result, StepOutcome};
use crate::error::ErrorKind;

/// The operation of a job that delivers one mail.
pub const SEND_EMAIL: &str = crate::job_kind::JobKind::SendEmail.as_str();
/// The `app_id` of mail jobs and their tasks: mail belongs to no application.
pub const MAIL_QUEUE: &str = "email";
/// The System Log event of every delivery outcome.
pub const DELIVERY_EVENT: &str = "system.email.delivery";

/// Where and how mail is sent, installed once at start-up ([`Provisioning::set_mail`]). An
/// enabled server made through `/api/v1/email-servers` takes precedence over `mailer`
/// (`crate::email_settings`).
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The operator's server (`ROSTER_SMTP_URL`), if any.
    pub mailer: Option<Mailer>,
    /// The sender (`ROSTER_EMAIL_FROM`), if set; used with API-configured servers too.
    pub from: Option<Mailbox>,
    /// The server's public URL: links are `{public_url}{link.path()}`, as the API's
    /// `sendEmail=false` answers build them.
    pub public_url: String,
    /// `${org.name}`.
    pub org_name: String,
}

fn seal_purpose(job_id: &str) -> String {
    format!("mail:{job_id}")
}

/// Why a mail was not delivered, as its event and task say it.
struct MailFailure {
    code: &'static str,
    retryable: bool,
    said: String,
    status: Option<u16>,
    cause: String,
    remediation: String,
}

impl MailFailure {
    fn permanent(code: &'static str, said: String, cause: &str, remediation: &str) -> Self {
        MailFailure {
            code,
            retryable: false,
            said,
            status: None,
            cause: cause.into(),
            remediation: remediation.into(),
        }
    }

    fn summary(&self, template: &str) -> String {
        format!("send the {template} email: {}", self.said)
    }

    fn to_json(&self, template: &str, recipient: &str) -> Value {
        json!({
            "code": self.code,
            "summary": self.summary(template),
            "tried": format!("send the {template} email to {recipient}"),
            "said": self.said,
            "targetStatus": self.status,
            "targetErrorCode": null,
            "field": null,
            "cause": self.cause,
            "remediation": self.remediation,
            "template": template,
        })
    }
}

enum Delivery {
    Sent(String),
    /// Nothing to send any more (the user is gone, the link was used or expired).
    Dropped(String),
}

impl Provisioning {
    /// Install the mail settings; the first call wins. Without them nothing is queued.
    pub fn set_mail(&self, config: MailConfig) {
        if self.inner.mail.set(Arc::new(config)).is_err() {
            tracing::warn!("mail settings were already installed; keeping the first");
        }
    }

    /// Whether mail can go out now: an enabled server made through the API, or the operator's
    /// `ROSTER_SMTP_URL`.
    pub async fn mail_configured(&self) -> bool {
        if self.inner.mail.get().is_some_and(|c| c.mailer.is_some()) {
            return true;
        }
        match self.list_email_servers().await {
            Ok(servers) => servers.iter().any(|s| s.enabled),
            Err(e) => {
                tracing::warn!(error = %e, "reading the email servers failed");
                false
            }
        }
    }

    /// Queue `template` for `user`, with `link` when the template carries one. Returns the
    /// job id, or `None` when no mail server is configured (the caller's change stands; a
    /// warning says the mail was not sent).
    pub async fn queue_mail(
        &self,
        ctx: &Ctx,
        user: &User,
        template: TemplateName,
        link: Option<&OneTimeLink>,
    ) -> Result<Option<String>> {
        if !self.mail_configured().await {
            tracing::warn!(
                user = %user.id,
                template = template.as_str(),
                "no mail server is configured (ROSTER_SMTP_URL or /api/v1/email-servers): the email is not sent"
            );
            return Ok(None);
        }
        let id = make_id(IdKind::Other, ctx.now, rand::random());
        let mut payload = json!({ "template": template.as_str() });
        if let Some(link) = link {
            let sealed = self
                .inner
                .keys
                .key()?
                .seal(&seal_purpose(&id), &SecretString::from(link.path()))?;
            payload["link"] = Value::String(sealed);
        }
        let job = NewJob {
            id: id.clone(),
            app_id: MAIL_QUEUE.into(),
            user_id: user.id.clone(),
            operation: SEND_EMAIL.into(),
            payload,
            max_attempts: self.inner.settings.max_attempts,
            due: ctx.now,
        };
        self.store().enqueue_job(&job, ctx.now, None, &[]).await?;
        self.inner.wake.notify_one();
        Ok(Some(id))
    }

    /// Okta's forgot-password flow by username, for `/forgot-password` and
    /// `POST /api/v1/authn/recovery/password`. It answers the same whatever happens: an
    /// unknown username sends nothing; an ACTIVE user whose password Roster holds gets a
    /// recovery link (`ForgotPassword`); a user whose password is managed by an identity
    /// provider (FEDERATION) gets `ForgotPasswordDenied`, which says so; other users get
    /// nothing. Failures are logged, never returned, so the answer reveals nothing.
    pub async fn forgot_password_by_email(&self, ctx: &Ctx, username: &str) {
        let username = username.trim();
        if username.is_empty() || username.len() > 256 {
            return;
        }
        if !self.mail_configured().await {
            tracing::warn!(
                "forgot password asked, but no mail server is configured (ROSTER_SMTP_URL or /api/v1/email-servers)"
            );
            return;
        }
        let directory = &self.inner.directory;
        let user = match directory.get_user(username).await {
            Ok(user) => user,
            Err(DirectoryError::NotFound { .. }) => return,
            Err(e) => {
                tracing::warn!(error = %e, "forgot password: reading the user failed");
                return;
            }
        };
        let outcome = if !user.credentials.provider.kind.accepts_password() {
            self.queue_mail(ctx, &user, TemplateName::ForgotPasswordDenied, None)
                .await
                .map(|_| ())
        } else if user.status == UserStatus::Active {
            match directory.forgot_password(ctx, &user.id).await {
                Ok(link) => self
                    .queue_mail(ctx, &user, TemplateName::ForgotPassword, Some(&link))
                    .await
                    .map(|_| ()),
                Err(e) => Err(e.into()),
            }
        } else {
            Ok(())
        };
        if let Err(e) = outcome {
            tracing::warn!(user = %user.id, error = %e, "forgot password: the email could not be queued");
        }
    }

    /// The worker's step for an `email.send` job.
    pub(crate) async fn run_mail(&self, ctx: &Ctx, job: &Job) -> Result<StepOutcome> {
        let template = job
            .payload
            .get("template")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let user = self.inner.directory.get_user(&job.user_id).await.ok();
        let recipient = user
            .as_ref()
            .and_then(|u| u.profile_str("email"))
            .unwrap_or("")
            .to_owned();
        let base = |ctx: &Ctx| {
            let mut e = ctx
                .event(DELIVERY_EVENT, "Send email")
                .with_debug("template", template.as_str())
                .with_debug("jobId", job.id.as_str())
                .with_debug("attempt", job.attempts);
            if let Some(u) = &user {
                e = e.with_target(&u.id, "User", Some(u.login()), None);
            }
            e
        };
        match self.deliver(job, &template, user.as_ref()).await {
            Ok(Delivery::Sent(server)) => {
                let event = base(ctx)
                    .with_debug("recipient", recipient.as_str())
                    .with_debug("server", server);
                self.store()
                    .complete_job(&job.id, ctx.now, None, &[event])
                    .await?;
                Ok(StepOutcome::Done {
                    job_id: job.id.clone(),
                })
            }
            Ok(Delivery::Dropped(reason)) => {
                let mut event = base(ctx).with_debug("reason", reason.as_str());
                event.outcome.result = "SKIPPED".into();
                event.outcome.reason = Some(reason.clone());
                self.store()
                    .complete_job(&job.id, ctx.now, None, &[event])
                    .await?;
                Ok(StepOutcome::Skipped {
                    job_id: job.id.clone(),
                    reason,
                })
            }
            Err(failure) => {
                let retry = failure.retryable && job.attempts < job.max_attempts;
                let error = failure.to_json(&template, &recipient);
                let mut event: LogEvent = base(ctx)
                    .failure(failure.summary(&template))
                    .with_debug("ErrorCode", failure.code)
                    .with_debug("cause", failure.cause.as_str())
                    .with_debug("willRetry", retry);
                if let Some(status) = failure.status {
                    event = event.with_debug("TargetStatus", status);
                }
                if retry {
                    event.severity = Severity::Warn;
                    let delay = backoff(&self.inner.settings, job.attempts, &ErrorKind::Transient);
                    let due = plus(ctx.now, delay);
                    self.store()
                        .reschedule_job(&job.id, due, ctx.now, &error, None, &[event])
                        .await?;
                    return Ok(StepOutcome::Rescheduled {
                        job_id: job.id.clone(),
                        due,
                    });
                }
                let task_id = task_id_for(&job.id);
                event = event.with_debug("taskId", task_id.as_str());
                event.severity = Severity::Error;
                let task = TaskRecord {
                    id: task_id,
                    job_id: job.id.clone(),
                    app_id: job.app_id.clone(),
                    user_id: job.user_id.clone(),
                    operation: job.operation.clone(),
                    status: "OPEN".into(),
                    attempts: job.attempts,
                    last_error: Some(error),
                    created: ctx.now,
                    updated: ctx.now,
                };
                let task_id = self.store().fail_job(&task, None, &[event]).await?;
                Ok(StepOutcome::TaskOpened {
                    job_id: job.id.clone(),
                    task_id,
                })
            }
        }
    }

    async fn deliver(
        &self,
        job: &Job,
        template: &str,
        user: Option<&User>,
    ) -> std::result::Result<Delivery, MailFailure> {
        let Some(user) = user else {
            return Ok(Delivery::Dropped("the user was deleted".into()));
        };
        let Ok(name) = template.parse::<TemplateName>() else {
            return Err(MailFailure::permanent(
                "email.unknown_template",
                format!("there is no template {template:?}"),
                "the job names a template this version of Roster does not know",
                "dismiss the task",
            ));
        };
        let not_configured = || {
            MailFailure {
            // Retried: a server that is starting has not installed its settings yet, and
            // another server sharing the queue may have them.
            retryable: true,
            ..MailFailure::permanent(
                "email.not_configured",
                "no mail server is configured on the server that ran the job".into(),
                "the server's worker has no ROSTER_SMTP_URL, and no email server is enabled in /api/v1/email-servers",
                "enable an email server (POST /api/v1/email-servers), or set ROSTER_SMTP_URL and ROSTER_EMAIL_FROM on every server that runs workers and restart it; then retry the task",
            )
        }
        };
        let Some(config) = self.inner.mail.get() else {
            return Err(not_configured());
        };
        let (mailer, source) = match self.current_mailer().await {
            Ok(Some(found)) => found,
            Ok(None) => return Err(not_configured()),
            Err(e) => {
                return Err(MailFailure::permanent(
                    "email.server_settings",
                    format!("the email server's settings cannot be used: {}", e.code()),
                    "the enabled email server's password does not open with this master key, or its settings are not usable",
                    "set the email server's password again (PATCH /api/v1/email-servers/{id}), then retry the task",
                ))
            }
        };
        let mut vars = Vars::new();
        for key in ["firstName", "lastName", "login", "email"] {
            vars.set(
                &format!("user.profile.{key}"),
                user.profile_str(key).unwrap_or(""),
            );
        }
        vars.set("user.profile.login", user.login());
        vars.set("org.name", config.org_name.as_str());
        vars.set("baseURL", config.public_url.as_str());
        if let Some(sealed) = job.payload.get("link").and_then(Value::as_str) {
            let path = self
                .inner
                .keys
                .key()
                .and_then(|k| k.open(&seal_purpose(&job.id), sealed))
                .map_err(|_| {
                    MailFailure::permanent(
                        "email.secret_storage",
                        "the link sealed in the job does not open with this master key".into(),
                        "ROSTER_MASTER_KEY or master.key changed since the mail was queued",
                        "dismiss the task and send a new link (reset the password or activate the user again)",
                    )
                })?;
            let token = path
                .expose_secret()
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_owned();
            match self
                .inner
                .directory
                .peek_link(&token, crate::engine::now())
                .await
            {
                Ok(Some(u)) if u.id == user.id => {}
                Ok(_) => return Ok(Delivery::Dropped("the link was used or has expired".into())),
                Err(e) => {
                    return Err(MailFailure {
                        code: "email.internal",
                        retryable: true,
                        said: format!("Roster failed reading the link: {}", e.code()),
                        status: None,
                        cause: "the database failed".into(),
                        remediation: "check the database; the mail is retried".into(),
                    })
                }
            }
            let url = format!("{}{}", config.public_url, path.expose_secret());
            let var = match name {
                TemplateName::UserActivation => "activationLink",
                _ => "resetPasswordLink",
            };
            vars.set(var, url);
        }
        let language = user.profile_str("preferredLanguage");
        let template = self
            .template_for(name, language)
            .await
            .map_err(|e| MailFailure {
                code: "email.internal",
                retryable: true,
                said: format!(
                    "Roster failed reading the template's customizations: {}",
                    e.code()
                ),
                status: None,
                cause: "the database failed".into(),
                remediation: "check the database; the mail is retried".into(),
            })?;
        let rendered = template.render(&vars).map_err(|e| {
            MailFailure::permanent(
                "email.template",
                e.to_string(),
                "the template cannot be rendered",
                "fix the template, then retry the task",
            )
        })?;
        let display = [user.profile_str("firstName"), user.profile_str("lastName")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let address = user.profile_str("email").unwrap_or("");
        let message =
            roster_mail::compose(mailer.from(), &display, address, &rendered).map_err(|e| {
                MailFailure::permanent(
                    "email.invalid_recipient",
                    e.to_string(),
                    "the user's profile.email is not a deliverable address",
                    "correct the user's profile.email, then retry the task",
                )
            })?;
        let (where_set, fix_credentials) = match &source {
            MailerSource::Environment => (
                "ROSTER_SMTP_URL".to_owned(),
                "fix the user and password in ROSTER_SMTP_URL (or ROSTER_SMTP_USERNAME / ROSTER_SMTP_PASSWORD), restart, then retry the task".to_owned(),
            ),
            MailerSource::Api { id, alias } => (
                format!("the email server {alias:?} (/api/v1/email-servers/{id})"),
                format!("fix the username and password of the email server {alias:?} (PATCH /api/v1/email-servers/{id}), then retry the task"),
            ),
        };
        match mailer.send(message).await {
            Ok(()) => Ok(Delivery::Sent(mailer.server().to_owned())),
            Err(e) => {
                let (cause, remediation) = match (e.kind, e.code) {
                    (SendErrorKind::Transient, _) => (
                        "the mail server could not be reached or asked Roster to try later",
                        format!("check that the server in {where_set} is up and reachable; the mail is retried with backoff"),
                    ),
                    (SendErrorKind::Permanent, Some(530 | 534 | 535 | 538)) => (
                        "the mail server refused Roster's credentials",
                        fix_credentials,
                    ),
                    (SendErrorKind::Permanent, Some(550..=554)) => (
                        "the mail server refused the sender or the recipient (relay denied, unknown mailbox)",
                        "allow ROSTER_EMAIL_FROM to relay through the server, or correct the user's profile.email, then retry the task".to_owned(),
                    ),
                    (SendErrorKind::Permanent, _) => (
                        "the mail server refused the mail for good, or the TLS it was asked for cannot be had",
                        format!("read what the server said, fix {where_set} or the server, then retry the task"),
                    ),
                };
                Err(MailFailure {
                    code: match e.kind {
                        SendErrorKind::Transient => "email.server_unavailable",
                        SendErrorKind::Permanent => "email.server_refused",
                    },
                    retryable: e.kind == SendErrorKind::Transient,
                    said: e.message,
                    status: e.code,
                    cause: cause.into(),
                    remediation,
                })
            }
        }
    }
}
