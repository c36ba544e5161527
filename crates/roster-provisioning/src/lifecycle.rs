//! User pushes after directory changes: profile updates, deactivation and reactivation.
//!
//! - **Profile**: a changed profile queues a `user.push` to every app the user is assigned to
//!   whose `update.profile` is enabled (not while the user is DEPROVISIONED).
//! - **Deactivation** (`update.lifecycleDeactivate`): unassigning a user, or deactivating it
//!   (status DEPROVISIONED), queues a `user.deactivate` job whose payload carries the target's
//!   id and login, so it runs after the app user is gone. It deactivates the target user
//!   (Org2Org `lifecycle/deactivate`, SCIM `active=false`), or deletes it when the app's
//!   `deprovisionAction` is `DELETE`. A deactivated user keeps its app users (status
//!   `DEPROVISIONED`) so that activating it again has something to reactivate; Okta drops
//!   direct assignments there and restores only group-based ones.
//! - **Suspension** pushes nothing: as in Okta, a SUSPENDED user keeps its app and group
//!   memberships and only loses sign-in; unsuspending restores them as they were.
//! - **Reactivation**: a user activated again (DEPROVISIONED to ACTIVE or PROVISIONED) queues
//!   a `user.reactivate` job: create-or-link as a push does, reactivate the target user
//!   (Org2Org `activate` or `unsuspend` as its status needs, SCIM `active=true`), then the
//!   profile and the password. Groups assigned to the app assign the user again.
//! - **Deletion**: a user deleted in the directory loses its assignments; its jobs are
//!   cancelled and its escrowed password dropped (deletion follows deactivation, which already
//!   queued the target's deactivation: a `user.deactivate` job is kept).

use roster_core::event::Actor;
use roster_core::{LogEvent, User, UserStatus};
use roster_directory::{Ctx, DirectoryChange};
use roster_store::{DocMark, NewJob, StoreError};
use serde_json::{json, Map, Value};

use crate::connector::{Connector, RemoteUser};
use crate::engine::{
    app_event, app_user_doc, connection_purpose, now, Failure, Phase, Provisioning, Result, Step,
};
use crate::error::{ConnectorError, ErrorKind};
use crate::model::{app_user_kind, App, AppUser, ESCROW_KIND};

/// The operation of a job that deactivates (or deletes) the target user.
pub const DEACTIVATE_USER: &str = crate::job_kind::JobKind::DeactivateUser.as_str();
/// The operation of a job that reactivates the target user, then pushes it as `user.push`.
pub const REACTIVATE_USER: &str = crate::job_kind::JobKind::ReactivateUser.as_str();

/// Whether pushes run for this app at all.
pub(crate) fn pushing(app: &App) -> bool {
    app.status == "ACTIVE" && app.provisioning.enabled
}

/// Whether deprovisioning deactivates (or deletes) the target user.
pub(crate) fn deactivates(app: &App) -> bool {
    pushing(app) && app.provisioning.deactivate
}

/// A target status that a reactivation must change.
pub(crate) fn remote_inactive(remote: &RemoteUser) -> bool {
    matches!(
        remote.status.as_deref(),
        Some("DEPROVISIONED" | "INACTIVE" | "SUSPENDED" | "STAGED")
    )
}

impl Provisioning {
    /// Queue the pushes a user change needs on every app the user is assigned to.
    pub(crate) async fn on_user_change(&self, change: DirectoryChange<'_>) -> Result<()> {
        match change {
            DirectoryChange::UserCreated { user } => self.assign_groups_of(user).await,
            DirectoryChange::ProfileUpdated { user } => self.push_profile_update(user).await,
            DirectoryChange::StatusChanged { user, from } => self.follow_status(user, from).await,
            DirectoryChange::UserDeleted { user_id } => self.drop_deleted_user(user_id).await,
            _ => Ok(()),
        }
    }

    /// Every app the user is assigned to, with its app user.
    pub(crate) async fn assignments_of(&self, user_id: &str) -> Result<Vec<(App, AppUser)>> {
        let mut out = Vec::new();
        for app in self.list_apps().await? {
            if let Some(au) = self.find_app_user(&app.id, user_id).await? {
                out.push((app, au));
            }
        }
        Ok(out)
    }

    async fn push_profile_update(&self, user: &User) -> Result<()> {
        if user.status == UserStatus::Deprovisioned {
            return Ok(());
        }
        let ctx = Ctx::new(Actor::system(), now());
        for (app, au) in self.assignments_of(&user.id).await? {
            if !pushing(&app) || !app.provisioning.update_profile || au.status == "DEPROVISIONED" {
                continue;
            }
            self.enqueue_marking(
                &ctx,
                &app,
                &user.id,
                crate::engine::PUSH_USER,
                json!({}),
                syncing(ctx.now),
                &[],
            )
            .await?;
        }
        Ok(())
    }

    async fn follow_status(&self, user: &User, from: UserStatus) -> Result<()> {
        let ctx = Ctx::new(Actor::system(), now());
        let deactivated =
            user.status == UserStatus::Deprovisioned && from != UserStatus::Deprovisioned;
        let reactivated =
            from == UserStatus::Deprovisioned && user.status != UserStatus::Deprovisioned;
        if deactivated {
            for (app, au) in self.assignments_of(&user.id).await? {
                if !deactivates(&app) {
                    continue;
                }
                self.store()
                    .cancel_jobs_for(&app.id, &user.id, ctx.now, &[])
                    .await?;
                if au.external_id.is_none() && au.status != "PROVISIONED" {
                    continue;
                }
                self.enqueue_deactivate(&ctx, &app, &au, "the user was deactivated", true)
                    .await?;
            }
        } else if reactivated {
            for (app, _) in self.assignments_of(&user.id).await? {
                if !pushing(&app) {
                    continue;
                }
                self.store()
                    .cancel_jobs_for(&app.id, &user.id, ctx.now, &[])
                    .await?;
                let mut mark = syncing(ctx.now);
                mark.insert("taskId".into(), Value::Null);
                self.enqueue_marking(&ctx, &app, &user.id, REACTIVATE_USER, json!({}), mark, &[])
                    .await?;
            }
            // Group-based assignments come back with the user, as in Okta.
            self.assign_groups_of(user).await?;
        }
        Ok(())
    }

    async fn drop_deleted_user(&self, user_id: &str) -> Result<()> {
        let ctx = Ctx::new(Actor::system(), now());
        for (app, au) in self.assignments_of(user_id).await? {
            self.store()
                .cancel_jobs_for(&app.id, user_id, ctx.now, &[])
                .await?;
            let event = app_event(
                &ctx,
                "application.user_membership.remove",
                "Remove user from application membership",
                &app,
            )
            .with_target(user_id, "User", Some(&au.user_name), None)
            .with_debug("reason", "the user was deleted");
            match self
                .store()
                .delete_document(&app_user_kind(&app.id), user_id, &[event])
                .await
            {
                Ok(()) | Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            // The deactivation that preceded the deletion still has to reach the target.
            if deactivates(&app) && au.external_id.is_some() && au.status != "DEPROVISIONED" {
                self.enqueue_deactivate(&ctx, &app, &au, "the user was deleted", false)
                    .await?;
            }
        }
        match self
            .store()
            .delete_document(ESCROW_KIND, user_id, &[])
            .await
        {
            Ok(()) | Err(StoreError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Set `settings.app.deprovisionAction`: `DEACTIVATE` (the default) or `DELETE`.
    pub async fn set_deprovision_action(&self, ctx: &Ctx, id: &str, action: &str) -> Result<App> {
        let action = action.trim().to_ascii_uppercase();
        if !crate::model::DEPROVISION_ACTIONS.contains(&action.as_str()) {
            return Err(crate::ProvisioningError::invalid(
                "settings.app.deprovisionAction",
                format!("{action:?} is not a deprovisioning action"),
                "send DEACTIVATE (the target user is deactivated, the default) or DELETE (it is deleted)",
            ));
        }
        let mut app = self.get_app(id).await?;
        if app.deprovision_action == action {
            return Ok(app);
        }
        app.deprovision_action = action;
        app.last_updated = ctx.now;
        let event = app_event(
            ctx,
            "application.lifecycle.update",
            "Update application",
            &app,
        )
        .with_debug("deprovisionAction", app.deprovision_action.as_str());
        self.put_app(&app, None, &[event]).await?;
        Ok(app)
    }

    /// Put one job on the queue, with the app user it updates and its events.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn enqueue_op(
        &self,
        ctx: &Ctx,
        app: &App,
        user_id: &str,
        operation: &str,
        payload: Value,
        app_user: Option<&AppUser>,
        events: &[LogEvent],
    ) -> Result<()> {
        let job = NewJob {
            id: roster_core::ids::make_id(roster_core::ids::IdKind::Other, ctx.now, rand::random()),
            app_id: app.id.clone(),
            user_id: user_id.to_owned(),
            operation: operation.to_owned(),
            payload,
            max_attempts: self.inner.settings.max_attempts,
            due: ctx.now,
        };
        let doc = app_user.map(app_user_doc).transpose()?;
        self.store()
            .enqueue_job(&job, ctx.now, doc.as_ref(), events)
            .await?;
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Queue a job and mark its app user, if still assigned, with `fields` (top-level
    /// fields of the stored app user) in the same transaction. The rest of the app user stays as
    /// the last step recorded it: a caller's older copy never undoes a step's outcome (such as
    /// the password a push just set).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn enqueue_marking(
        &self,
        ctx: &Ctx,
        app: &App,
        user_id: &str,
        operation: &str,
        payload: Value,
        fields: Map<String, Value>,
        events: &[LogEvent],
    ) -> Result<()> {
        let job = NewJob {
            id: roster_core::ids::make_id(roster_core::ids::IdKind::Other, ctx.now, rand::random()),
            app_id: app.id.clone(),
            user_id: user_id.to_owned(),
            operation: operation.to_owned(),
            payload,
            max_attempts: self.inner.settings.max_attempts,
            due: ctx.now,
        };
        let kind = app_user_kind(&app.id);
        let mark = DocMark {
            kind: &kind,
            id: user_id,
            fields,
            updated: ctx.now,
        };
        self.store()
            .enqueue_job_marking(&job, ctx.now, &mark, events)
            .await?;
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Queue the deactivation (or deletion) of `au`'s target user. The payload carries what the
    /// job needs, so it runs after the app user is gone. `mark`: the app user stays (a
    /// deactivated user) and shows SYNCING meanwhile.
    pub(crate) async fn enqueue_deactivate(
        &self,
        ctx: &Ctx,
        app: &App,
        au: &AppUser,
        reason: &str,
        mark: bool,
    ) -> Result<()> {
        let payload = json!({
            "externalId": au.external_id,
            "login": au.user_name,
            "action": app.deprovision_action,
            "reason": reason,
        });
        if mark {
            self.enqueue_marking(
                ctx,
                app,
                &au.user_id,
                DEACTIVATE_USER,
                payload,
                syncing(ctx.now),
                &[],
            )
            .await
        } else {
            self.enqueue_op(ctx, app, &au.user_id, DEACTIVATE_USER, payload, None, &[])
                .await
        }
    }

    /// Remove an assignment: its jobs are dropped, its tasks dismissed, the target user's
    /// deactivation queued when the app says so, and the app user deleted with `events` — in
    /// that order, so that acting on the change again after a crash halfway (the app user is
    /// still there) does it all again, and once the app user is gone nothing is left to do.
    pub(crate) async fn deprovision(
        &self,
        ctx: &Ctx,
        app: &App,
        au: &AppUser,
        reason: &str,
        events: &[LogEvent],
    ) -> Result<()> {
        self.store()
            .cancel_jobs_for(&app.id, &au.user_id, ctx.now, &[])
            .await?;
        // A push queued, running or failed may have reached the target without Roster learning
        // the target's id (its answer was lost to a crash, or it is running right now): the
        // deactivation then finds the user by login (and finds nothing if it never arrived). It
        // runs after a running push of the same user, never beside it.
        let may_exist = au.external_id.is_some()
            || au.status == "PROVISIONED"
            || au.sync_state != "SYNCHRONIZED";
        if deactivates(app) && may_exist {
            self.enqueue_deactivate(ctx, app, au, reason, false).await?;
        }
        match self
            .store()
            .delete_document(&app_user_kind(&app.id), &au.user_id, events)
            .await
        {
            Ok(()) | Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// The connector of an app whose provisioning runs, or the configuration failure.
    pub(crate) fn connector_for(
        &self,
        app: &App,
        tried: &str,
    ) -> Result<Box<dyn Connector>, Failure> {
        let config_error = |said: &str| {
            Failure::Connector(
                Box::new(ConnectorError::new(
                    ErrorKind::Configuration,
                    tried.to_owned(),
                    said.to_owned(),
                )),
                Phase::Deactivate,
            )
        };
        if !pushing(app) {
            return Err(config_error(
                "provisioning is off for this app (it is inactive or USER_PROVISIONING is disabled)",
            ));
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
        Ok(self.inner.connectors.connector(app, token))
    }

    /// Execute a `user.deactivate` job: find the target user (by login, else by the id the
    /// payload carries) and deactivate or delete it. A user already gone is done.
    pub(crate) async fn execute_deactivate(
        &self,
        ctx: &Ctx,
        job: &roster_store::Job,
    ) -> Result<Step, Failure> {
        let app = match self.get_app(&job.app_id).await {
            Ok(app) => app,
            Err(crate::ProvisioningError::NotFound { .. }) => {
                return Ok(Step::Skipped("the app was deleted".into()))
            }
            Err(e) => return Err(Failure::Internal(e)),
        };
        if !app.provisioning.deactivate {
            return Ok(Step::Skipped(
                "update.lifecycleDeactivate was disabled after the job was queued".into(),
            ));
        }
        let text = |k: &str| {
            job.payload
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let login = text("login").unwrap_or_default();
        let external_id = text("externalId");
        let delete = text("action").as_deref() == Some("DELETE");
        let verb = if delete { "delete" } else { "deactivate" };
        let tried = format!("{verb} user {login} in app {} ({})", app.label, app.id);
        let connector = self.connector_for(&app, &tried)?;
        let fail = |e: ConnectorError| Failure::Connector(Box::new(e), Phase::Deactivate);

        let found = if login.is_empty() {
            None
        } else {
            connector.find_user(&login).await.map_err(fail)?
        };
        let remote = match (found, external_id) {
            (Some(r), None) => Some(r),
            (Some(r), Some(id)) if r.id == id => Some(r),
            (_, Some(id)) => Some(RemoteUser {
                id,
                login: login.clone(),
                status: None,
                provider_type: None,
            }),
            (None, None) => None,
        };
        let event = app_event(
            ctx,
            "application.provision.user.deactivate",
            "Deactivate user in external application",
            &app,
        )
        .with_target(&job.user_id, "User", Some(&login), None)
        .with_debug("appId", app.id.as_str())
        .with_debug("action", if delete { "DELETE" } else { "DEACTIVATE" })
        .with_debug(
            "reason",
            job.payload.get("reason").cloned().unwrap_or(Value::Null),
        );
        let event = match remote {
            None => skipped(event, "the user does not exist on the target"),
            Some(remote) => {
                let result = if delete {
                    connector.delete_user(&remote).await
                } else if remote_inactive(&remote) {
                    Ok(())
                } else {
                    connector.deactivate(&remote).await
                };
                match result {
                    Ok(()) => event.with_debug("externalId", remote.id.as_str()),
                    Err(e) if e.status == Some(404) => {
                        skipped(event, "the user no longer exists on the target")
                    }
                    Err(e) => return Err(fail(e)),
                }
            }
        };
        // A deactivated user keeps its app user, now DEPROVISIONED; an unassigned one has none.
        let user_deactivated = matches!(
            self.inner.directory.get_user(&job.user_id).await,
            Ok(u) if u.status == UserStatus::Deprovisioned
        );
        let app_user = match self
            .find_app_user(&app.id, &job.user_id)
            .await
            .map_err(Failure::Internal)?
        {
            Some(mut au) if user_deactivated => {
                au.status = "DEPROVISIONED".into();
                au.sync_state = "SYNCHRONIZED".into();
                au.last_sync = Some(ctx.now);
                au.last_updated = ctx.now;
                au.task_id = None;
                Some(Box::new(au))
            }
            _ => None,
        };
        Ok(Step::Deprovisioned {
            app_user,
            events: vec![event],
        })
    }
}

fn skipped(mut event: LogEvent, reason: &str) -> LogEvent {
    event.outcome.result = "SKIPPED".into();
    event.outcome.reason = Some(reason.into());
    event
}

/// The mark of an app user whose push (or deactivation) is queued.
pub(crate) fn syncing(now: roster_core::Timestamp) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("syncState".into(), Value::from("SYNCING"));
    fields.insert("lastUpdated".into(), Value::from(now.to_string()));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(status: Option<&str>) -> RemoteUser {
        RemoteUser {
            id: "00u1".into(),
            login: "a@example.com".into(),
            status: status.map(str::to_owned),
            provider_type: None,
        }
    }

    #[test]
    fn only_inactive_targets_are_reactivated() {
        for s in ["DEPROVISIONED", "INACTIVE", "SUSPENDED", "STAGED"] {
            assert!(remote_inactive(&remote(Some(s))), "{s}");
        }
        for s in [
            Some("ACTIVE"),
            Some("PROVISIONED"),
            Some("LOCKED_OUT"),
            None,
        ] {
            assert!(!remote_inactive(&remote(s)), "{s:?}");
        }
    }
}
