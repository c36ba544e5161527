//! Groups and memberships.

use roster_core::ids::IdKind;
use roster_core::{Group, GroupKind, User};
use roster_filter::Filter;
use roster_store::GroupQuery;

use crate::{Ctx, Directory, DirectoryError, Result};

pub type GroupPage = roster_store::Page<Group>;

/// Longest group name accepted (Okta: 255).
const MAX_NAME: usize = 255;

fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(DirectoryError::invalid(
            "profile.name",
            "the group needs a name",
            "send profile.name, e.g. {\"profile\":{\"name\":\"Engineering\"}}",
        ));
    }
    if name.chars().count() > MAX_NAME {
        return Err(DirectoryError::invalid(
            "profile.name",
            format!(
                "the group name is {} characters long; at most {MAX_NAME} are allowed",
                name.chars().count()
            ),
            "shorten the group name",
        ));
    }
    Ok(())
}

impl Directory {
    pub async fn get_group(&self, id: &str) -> Result<Group> {
        if !Directory::storable(id) {
            return Err(DirectoryError::NotFound {
                kind: "group",
                id: id.replace('\0', "\u{fffd}"),
            });
        }
        self.store
            .get_group(id)
            .await?
            .ok_or_else(|| DirectoryError::NotFound {
                kind: "group",
                id: id.into(),
            })
    }

    pub async fn list_groups(
        &self,
        filter: Option<Filter>,
        q: Option<String>,
        after: Option<String>,
        limit: u32,
    ) -> Result<GroupPage> {
        Ok(self
            .store
            .list_groups(&GroupQuery {
                filter,
                q,
                after,
                limit,
            })
            .await?)
    }

    pub async fn create_group(
        &self,
        ctx: &Ctx,
        name: &str,
        description: Option<String>,
    ) -> Result<Group> {
        check_name(name)?;
        let group = Group::new(
            Directory::new_id(IdKind::Group, ctx.now),
            GroupKind::OktaGroup,
            name.trim().to_owned(),
            description,
            ctx.now,
        );
        let event = ctx
            .event("group.lifecycle.create", "Create Okta group")
            .with_target(&group.id, "UserGroup", Some(&group.name), Some(&group.name));
        self.store.insert_group(&group, &[event]).await?;
        Ok(group)
    }

    /// Create a group imported from an app (`APP_GROUP`, owned by `app_id`): only imports of
    /// that app change it. A name another group already has is a conflict on `profile.name`.
    pub async fn create_app_group(
        &self,
        ctx: &Ctx,
        app_id: &str,
        name: &str,
        description: Option<String>,
    ) -> Result<Group> {
        check_name(name)?;
        let mut group = Group::new(
            Directory::new_id(IdKind::Group, ctx.now),
            GroupKind::AppGroup,
            name.trim().to_owned(),
            description,
            ctx.now,
        );
        group.app_id = Some(app_id.to_owned());
        let event = ctx
            .event("group.lifecycle.create", "Create Okta group")
            .with_target(&group.id, "UserGroup", Some(&group.name), Some(&group.name))
            .with_debug("groupType", GroupKind::AppGroup.as_str())
            .with_debug("appId", app_id);
        self.store.insert_group(&group, &[event]).await?;
        Ok(group)
    }

    /// Rename (or re-describe) an `APP_GROUP` after its source changed it.
    pub async fn update_app_group(
        &self,
        ctx: &Ctx,
        id: &str,
        name: &str,
        description: Option<String>,
    ) -> Result<Group> {
        check_name(name)?;
        let mut group = self.get_group(id).await?;
        let expected = group.version;
        group.name = name.trim().to_owned();
        group.description = description;
        group.last_updated = ctx.now;
        let event = ctx
            .event("group.profile.update", "Update Okta group profile")
            .with_target(&group.id, "UserGroup", Some(&group.name), Some(&group.name))
            .with_debug("groupType", group.kind.as_str());
        let staged = self.stage(
            &[crate::DirectoryChange::GroupUpdated { group: &group }],
            ctx.now,
        );
        let version = staged
            .store()
            .update_group(&group, expected, &[event])
            .await?;
        self.committed(staged).await;
        group.version = version;
        Ok(group)
    }

    pub async fn update_group(
        &self,
        ctx: &Ctx,
        id: &str,
        name: &str,
        description: Option<String>,
    ) -> Result<Group> {
        check_name(name)?;
        let mut group = self.get_group(id).await?;
        if group.kind != GroupKind::OktaGroup {
            return Err(DirectoryError::invalid(
                "type",
                format!(
                    "the group {} is an {} and is managed by its application",
                    group.name,
                    group.kind.as_str()
                ),
                "change the group in the application it was imported from",
            ));
        }
        let expected = group.version;
        group.name = name.trim().to_owned();
        group.description = description;
        group.last_updated = ctx.now;
        let event = ctx
            .event("group.profile.update", "Update Okta group profile")
            .with_target(&group.id, "UserGroup", Some(&group.name), Some(&group.name));
        let staged = self.stage(
            &[crate::DirectoryChange::GroupUpdated { group: &group }],
            ctx.now,
        );
        let version = staged
            .store()
            .update_group(&group, expected, &[event])
            .await?;
        self.committed(staged).await;
        group.version = version;
        Ok(group)
    }

    pub async fn delete_group(&self, ctx: &Ctx, id: &str) -> Result<()> {
        let group = self.get_group(id).await?;
        let event = ctx
            .event("group.lifecycle.delete", "Delete Okta group")
            .with_target(&group.id, "UserGroup", Some(&group.name), Some(&group.name));
        let staged = self.stage(
            &[crate::DirectoryChange::GroupDeleted {
                group_id: &group.id,
            }],
            ctx.now,
        );
        staged.store().delete_group(&group.id, &[event]).await?;
        self.committed(staged).await;
        Ok(())
    }

    /// Add a user to a group; adding an existing member changes nothing and writes no event.
    pub async fn add_member(&self, ctx: &Ctx, group_id: &str, user_id: &str) -> Result<()> {
        let group = self.get_group(group_id).await?;
        let user = self.get_user(user_id).await?;
        let event = membership_event(
            ctx,
            "group.user_membership.add",
            "Add user to group membership",
            &group,
            &user,
        );
        let staged = self.stage(
            &[crate::DirectoryChange::MemberAdded {
                group_id: &group.id,
                user_id: &user.id,
            }],
            ctx.now,
        );
        staged
            .store()
            .add_member(&group.id, &user.id, ctx.now, &[event])
            .await?;
        self.committed(staged).await;
        Ok(())
    }

    pub async fn remove_member(&self, ctx: &Ctx, group_id: &str, user_id: &str) -> Result<()> {
        let group = self.get_group(group_id).await?;
        let user = self.get_user(user_id).await?;
        let event = membership_event(
            ctx,
            "group.user_membership.remove",
            "Remove user from group membership",
            &group,
            &user,
        );
        let staged = self.stage(
            &[crate::DirectoryChange::MemberRemoved {
                group_id: &group.id,
                user_id: &user.id,
            }],
            ctx.now,
        );
        staged
            .store()
            .remove_member(&group.id, &user.id, ctx.now, &[event])
            .await?;
        self.committed(staged).await;
        Ok(())
    }

    pub async fn list_members(
        &self,
        group_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<crate::UserPage> {
        let group = self.get_group(group_id).await?;
        Ok(self.store.list_members(&group.id, after, limit).await?)
    }

    pub async fn user_groups(&self, user_id: &str) -> Result<Vec<Group>> {
        let user = self.get_user(user_id).await?;
        Ok(self.store.list_user_groups(&user.id).await?)
    }
}

fn membership_event(
    ctx: &Ctx,
    event_type: &str,
    message: &str,
    group: &Group,
    user: &User,
) -> roster_core::LogEvent {
    ctx.event(event_type, message)
        .with_target(&user.id, "User", Some(user.login()), None)
        .with_target(&group.id, "UserGroup", Some(&group.name), Some(&group.name))
}
