//! Group assignments: the members of a group assigned to an app become its app users.
//!
//! A group assignment is a document of kind `app_group:{appId}` keyed by the group id (Okta's
//! ApplicationGroupAssignment: `priority`, `profile`). Each app user records what keeps it: a
//! direct assignment (`direct`) and the assigned groups it is a member of (`groups`); its
//! `scope` is `USER` when directly assigned, else `GROUP`. A member added to an assigned group
//! later is assigned and pushed; a member removed, or the group unassigned or deleted, loses the
//! assignment unless a direct assignment or another assigned group keeps it, and is then
//! deprovisioned as an unassignment is (its target user deactivated when the app says so).
//! Every change writes `group.application_assignment.add`/`.update`/`.remove` and, per user,
//! `application.user_membership.add`/`.remove` System Log events.

use roster_core::event::Actor;
use roster_core::{User, UserStatus};
use roster_directory::{Ctx, DirectoryChange};
use roster_store::{Document, StoreError};
use serde_json::{json, Map, Value};

use crate::engine::{app_event, now, Provisioning, Result, PUSH_USER};
use crate::error::ProvisioningError;
use crate::lifecycle::pushing;
use crate::model::{app_group_kind, App, AppGroup, AppUser};

fn corrupt() -> ProvisioningError {
    StoreError::CorruptData {
        what: "group assignment".into(),
    }
    .into()
}

fn group_doc(g: &AppGroup) -> Result<Document> {
    Ok(Document {
        kind: app_group_kind(&g.app_id),
        id: g.group_id.clone(),
        priority: g.priority,
        body: serde_json::to_value(g).map_err(|_| corrupt())?,
        version: 0,
        updated: g.last_updated,
    })
}

impl Provisioning {
    /// Assign or unassign a user whose membership of an assigned group changed.
    pub(crate) async fn on_membership_change(&self, change: DirectoryChange<'_>) -> Result<()> {
        let ctx = Ctx::new(Actor::system(), now());
        match change {
            DirectoryChange::MemberAdded { group_id, user_id } => {
                let user = match self.inner.directory.get_user(user_id).await {
                    Ok(u) => u,
                    Err(roster_directory::DirectoryError::NotFound { .. }) => return Ok(()),
                    Err(e) => return Err(e.into()),
                };
                for app in self.list_apps().await? {
                    if self.find_app_group(&app.id, group_id).await?.is_some() {
                        self.grant_through_group(&ctx, &app, &user, group_id)
                            .await?;
                    }
                }
            }
            DirectoryChange::MemberRemoved { group_id, user_id } => {
                for app in self.list_apps().await? {
                    if self.find_app_group(&app.id, group_id).await?.is_none() {
                        continue;
                    }
                    if let Some(au) = self.find_app_user(&app.id, user_id).await? {
                        self.revoke_through_group(&ctx, &app, au, group_id, "removed from")
                            .await?;
                    }
                }
            }
            DirectoryChange::MembersChanged {
                group_id,
                added,
                removed,
            } => {
                for app in self.list_apps().await? {
                    if self.find_app_group(&app.id, group_id).await?.is_none() {
                        continue;
                    }
                    for user_id in added {
                        match self.inner.directory.get_user(user_id).await {
                            Ok(user) => {
                                self.grant_through_group(&ctx, &app, &user, group_id)
                                    .await?
                            }
                            Err(roster_directory::DirectoryError::NotFound { .. }) => {}
                            Err(e) => return Err(e.into()),
                        }
                    }
                    for user_id in removed {
                        if let Some(au) = self.find_app_user(&app.id, user_id).await? {
                            self.revoke_through_group(&ctx, &app, au, group_id, "removed from")
                                .await?;
                        }
                    }
                }
            }
            DirectoryChange::GroupDeleted { group_id } => {
                for app in self.list_apps().await? {
                    if let Some(g) = self.find_app_group(&app.id, group_id).await? {
                        self.drop_group_assignment(&ctx, &app, &g, None).await?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Assign `user` to every app through the assigned groups it is a member of (a new user,
    /// or one activated again). Deactivated users are not assigned.
    pub(crate) async fn assign_groups_of(&self, user: &User) -> Result<()> {
        if user.status == UserStatus::Deprovisioned {
            return Ok(());
        }
        let groups = match self.inner.directory.user_groups(&user.id).await {
            Ok(g) => g,
            Err(roster_directory::DirectoryError::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if groups.is_empty() {
            return Ok(());
        }
        let ctx = Ctx::new(Actor::system(), now());
        for app in self.list_apps().await? {
            for g in &groups {
                if self.find_app_group(&app.id, &g.id).await?.is_some() {
                    self.grant_through_group(&ctx, &app, user, &g.id).await?;
                }
            }
        }
        Ok(())
    }

    // ---- the API ---------------------------------------------------------------------------

    /// `PUT /apps/{id}/groups/{groupId}`: assign a group (or change its priority and profile).
    /// Its members become app users with scope `GROUP` and are pushed.
    pub async fn assign_group(
        &self,
        ctx: &Ctx,
        app_id: &str,
        group_id: &str,
        priority: Option<i64>,
        profile: Option<Map<String, Value>>,
    ) -> Result<AppGroup> {
        let app = self.get_app(app_id).await?;
        let group = self.inner.directory.get_group(group_id).await?;
        if let Some(p) = priority.filter(|p| *p < 0) {
            return Err(ProvisioningError::invalid(
                "priority",
                format!("{p} is not a priority"),
                "send a priority of 0 or more (0 is the highest), or leave it out",
            ));
        }
        let existing = self.find_app_group(&app.id, &group.id).await?;
        let event = |t: &str, m: &str| {
            app_event(ctx, t, m, &app).with_target(&group.id, "UserGroup", Some(&group.name), None)
        };
        let assignment = match existing {
            Some(mut g) => {
                if let Some(p) = priority {
                    g.priority = p;
                }
                if let Some(p) = profile {
                    g.profile = p;
                }
                g.last_updated = ctx.now;
                let e = event(
                    "group.application_assignment.update",
                    "Update the assignment of a group to an application",
                );
                self.store()
                    .put_document(&group_doc(&g)?, None, &[e])
                    .await?;
                g
            }
            None => {
                let priority = match priority {
                    Some(p) => p,
                    None => self.list_app_groups(&app.id).await?.len() as i64,
                };
                let g = AppGroup {
                    app_id: app.id.clone(),
                    group_id: group.id.clone(),
                    priority,
                    profile: profile.unwrap_or_default(),
                    created: ctx.now,
                    last_updated: ctx.now,
                };
                let e = event(
                    "group.application_assignment.add",
                    "Assign a group to an application",
                );
                self.store()
                    .put_document(&group_doc(&g)?, Some(0), &[e])
                    .await?;
                g
            }
        };
        let mut after: Option<String> = None;
        loop {
            let page = self
                .inner
                .directory
                .list_members(&group.id, after.as_deref(), 200)
                .await?;
            for user in &page.items {
                if user.status != UserStatus::Deprovisioned {
                    self.grant_through_group(ctx, &app, user, &group.id).await?;
                }
            }
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        Ok(assignment)
    }

    pub async fn get_app_group(&self, app_id: &str, group_id: &str) -> Result<AppGroup> {
        self.get_app(app_id).await?;
        self.find_app_group(app_id, group_id)
            .await?
            .ok_or_else(|| ProvisioningError::NotFound {
                kind: "group assignment",
                id: group_id.to_owned(),
            })
    }

    /// The groups assigned to an app, by priority.
    pub async fn list_app_groups(&self, app_id: &str) -> Result<Vec<AppGroup>> {
        self.get_app(app_id).await?;
        self.store()
            .list_documents(&app_group_kind(app_id))
            .await?
            .into_iter()
            .map(|d| serde_json::from_value(d.body).map_err(|_| corrupt()))
            .collect()
    }

    /// `DELETE /apps/{id}/groups/{groupId}`: the members no direct assignment or other
    /// assigned group keeps are unassigned (and deactivated on the target when enabled).
    pub async fn unassign_group(&self, ctx: &Ctx, app_id: &str, group_id: &str) -> Result<()> {
        let app = self.get_app(app_id).await?;
        let g = self.get_app_group(app_id, group_id).await?;
        let name = self
            .inner
            .directory
            .get_group(group_id)
            .await
            .ok()
            .map(|g| g.name);
        self.drop_group_assignment(ctx, &app, &g, name.as_deref())
            .await
    }

    async fn drop_group_assignment(
        &self,
        ctx: &Ctx,
        app: &App,
        g: &AppGroup,
        name: Option<&str>,
    ) -> Result<()> {
        let event = app_event(
            ctx,
            "group.application_assignment.remove",
            "Remove the assignment of a group to an application",
            app,
        )
        .with_target(&g.group_id, "UserGroup", name, None);
        match self
            .store()
            .delete_document(&app_group_kind(&app.id), &g.group_id, &[event])
            .await
        {
            Ok(()) | Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        for au in self.list_app_users(&app.id).await? {
            if au.groups.iter().any(|id| id == &g.group_id) {
                self.revoke_through_group(ctx, app, au, &g.group_id, "unassigned with")
                    .await?;
            }
        }
        Ok(())
    }

    async fn find_app_group(&self, app_id: &str, group_id: &str) -> Result<Option<AppGroup>> {
        self.store()
            .get_document(&app_group_kind(app_id), group_id)
            .await?
            .map(|d| serde_json::from_value(d.body).map_err(|_| corrupt()))
            .transpose()
    }

    /// `user` is a member of the assigned group `group_id`: record the group on its app user,
    /// or assign it (scope `GROUP`) and queue its push.
    async fn grant_through_group(
        &self,
        ctx: &Ctx,
        app: &App,
        user: &User,
        group_id: &str,
    ) -> Result<()> {
        if let Some(mut au) = self.find_app_user(&app.id, &user.id).await? {
            if au.groups.iter().any(|g| g == group_id) {
                return Ok(());
            }
            au.groups.push(group_id.to_owned());
            au.refresh_scope();
            au.last_updated = ctx.now;
            self.store()
                .put_document(&crate::engine::app_user_doc(&au)?, None, &[])
                .await?;
            return Ok(());
        }
        let pushing = pushing(app);
        let au = AppUser {
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
            scope: "GROUP".into(),
            direct: false,
            groups: vec![group_id.to_owned()],
            password_state: None,
        };
        let event = app_event(
            ctx,
            "application.user_membership.add",
            "Add user to application membership",
            app,
        )
        .with_target(&user.id, "User", Some(user.login()), None)
        .with_target(group_id, "UserGroup", None, None)
        .with_debug("scope", "GROUP")
        .with_debug("groupId", group_id);
        // A deactivation queued by an earlier unassignment must not undo this assignment.
        self.store()
            .cancel_jobs_for(&app.id, &user.id, ctx.now, &[])
            .await?;
        if pushing {
            self.enqueue_op(
                ctx,
                app,
                &user.id,
                PUSH_USER,
                json!({}),
                Some(&au),
                &[event],
            )
            .await
        } else {
            self.store()
                .put_document(&crate::engine::app_user_doc(&au)?, Some(0), &[event])
                .await?;
            Ok(())
        }
    }

    /// `au` is no longer kept by `group_id`: unassign it unless something else keeps it.
    async fn revoke_through_group(
        &self,
        ctx: &Ctx,
        app: &App,
        mut au: AppUser,
        group_id: &str,
        how: &str,
    ) -> Result<()> {
        if !au.groups.iter().any(|g| g == group_id) {
            return Ok(());
        }
        au.groups.retain(|g| g != group_id);
        au.last_updated = ctx.now;
        if au.is_kept() {
            au.refresh_scope();
            self.store()
                .put_document(&crate::engine::app_user_doc(&au)?, None, &[])
                .await?;
            return Ok(());
        }
        let event = app_event(
            ctx,
            "application.user_membership.remove",
            "Remove user from application membership",
            app,
        )
        .with_target(&au.user_id, "User", Some(&au.user_name), None)
        .with_target(group_id, "UserGroup", None, None)
        .with_debug("scope", "GROUP")
        .with_debug("groupId", group_id);
        let reason = format!("the user was {how} group {group_id}");
        self.deprovision(ctx, app, &au, &reason, &[event]).await
    }
}
