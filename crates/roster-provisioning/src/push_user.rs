//! The step of a `user.push` or `user.reactivate` job: create or link the user on the target
//! (idempotently: a user found by login is linked), write its profile, set its password when the
//! app syncs it and the app user has not had this one yet, reactivate an inactive target user.

use roster_core::{LogEvent, User};
use roster_directory::{Ctx, DirectoryError};
use roster_store::Job;
use serde_json::Value;

use crate::connector::{Payload, PushUser};
use crate::engine::{app_event, connection_purpose, Provisioning, Result};
use crate::error::{ConnectorError, ErrorKind, ProvisioningError};
use crate::model::{App, PASSWORD_WAITS_FOR_SIGN_IN};
use crate::worker::{worker_name, Failure, Phase, Step};

impl Provisioning {
    /// The step of a `user.push` job, or of a `user.reactivate` one (`reactivating`).
    pub(crate) async fn execute(
        &self,
        ctx: &Ctx,
        job: &Job,
        reactivating: bool,
    ) -> Result<Step, Failure> {
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

    pub(crate) fn push_event(&self, ctx: &Ctx, app: &App, user: &User, phase: Phase) -> LogEvent {
        let (t, m) = phase.event_type();
        app_event(ctx, t, m, app)
            .with_target(&user.id, "User", Some(user.login()), None)
            .with_debug("appId", app.id.as_str())
            .with_debug("worker", worker_name())
    }
}

/// The profile pushed to the target: the user's profile as it is (mappings come later).
fn push_profile(user: &User) -> serde_json::Map<String, Value> {
    user.profile.clone()
}
