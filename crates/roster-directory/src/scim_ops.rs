//! Operations the SCIM surface needs beyond the Management API's, each one store write (or,
//! for group memberships, a sequence of writes that starts only after everything was checked).
//!
//! - [`Directory::scim_update_user`]: a SCIM PUT or PATCH changes the profile, the password and
//!   `active` together. All three are checked first (profile schema and uniqueness, password
//!   policy, lifecycle rules) and written in one transaction with their System Log events, so a
//!   refused change leaves nothing behind.
//! - [`Directory::scim_delete_user`]: SCIM DELETE removes the user at once: the Management API's
//!   deactivate and delete, in one transaction, with both events.
//! - [`Directory::scim_update_group`]: rename a group and change its members; every member id is
//!   checked before the first write.
//! - [`Directory::ensure_custom_attribute`]: define a custom profile attribute if it is missing
//!   (SCIM's `externalId` of a user is kept in the profile attribute `externalId`).
//! - [`Directory::set_group_external_id`] and friends: a group's SCIM `externalId`, kept in a
//!   document of kind `scim_group_external_id` (groups have no profile to hold it).

use std::collections::BTreeSet;

use roster_core::lifecycle::{self, LifecycleOp, Outcome};
use roster_core::profile::AttributeDef;
use roster_core::{Group, User, UserStatus};
use secrecy::SecretString;
use serde_json::{Map, Value};

use roster_store::Document;

use crate::passwords::replace_hash;
use crate::{Ctx, Directory, DirectoryError, Result};

/// What a SCIM PUT or PATCH asks of a user.
#[derive(Debug, Clone)]
pub struct ScimUserChange {
    /// The whole new profile (SCIM replaces, PATCH is applied to the SCIM document first).
    pub profile: Map<String, Value>,
    /// A new password, set as an administrator would (policy and history apply).
    pub password: Option<SecretString>,
    /// The new value of SCIM `active`, when it was given.
    pub active: Option<bool>,
    /// Refuse the change unless the user is still at this version (`If-Match`).
    pub expected_version: Option<i64>,
}

/// What a SCIM PUT or PATCH asks of a group.
#[derive(Debug, Clone, Default)]
pub struct ScimGroupChange {
    pub name: String,
    /// User ids to make members.
    pub add_members: Vec<String>,
    /// User ids to remove from the group.
    pub remove_members: Vec<String>,
    /// Bump the group's version even if the name did not change (its SCIM `externalId` did).
    pub touch: bool,
}

/// Whether a user counts as SCIM `active`: every status in which the account is enabled, even
/// if the user still has to set or change a password (PROVISIONED, RECOVERY, PASSWORD_EXPIRED)
/// or is locked out after failed sign-ins. STAGED, SUSPENDED and DEPROVISIONED are inactive.
pub fn scim_active(status: UserStatus) -> bool {
    !matches!(
        status,
        UserStatus::Staged | UserStatus::Suspended | UserStatus::Deprovisioned
    )
}

/// The lifecycle operation that makes a user of `status` have SCIM `active` = `active`, if one
/// is needed: `true` activates a STAGED or DEPROVISIONED user and unsuspends a SUSPENDED one;
/// `false` deactivates (DEPROVISIONED, as Okta does when an app deprovisions a user).
pub fn scim_active_op(status: UserStatus, active: bool) -> Option<LifecycleOp> {
    match (active, status) {
        (true, UserStatus::Staged | UserStatus::Deprovisioned) => Some(LifecycleOp::Activate),
        (true, UserStatus::Suspended) => Some(LifecycleOp::Unsuspend),
        (false, s) if scim_active(s) => Some(LifecycleOp::Deactivate),
        _ => None,
    }
}

impl Directory {
    /// A user by id only (SCIM ids are never logins).
    pub async fn get_user_by_id(&self, id: &str) -> Result<User> {
        if !Directory::storable(id) {
            return Err(DirectoryError::NotFound {
                kind: "user",
                id: id.into(),
            });
        }
        self.store
            .get_user(id)
            .await?
            .ok_or_else(|| DirectoryError::NotFound {
                kind: "user",
                id: id.into(),
            })
    }

    /// Apply a SCIM PUT or PATCH: profile, password and `active` in one transaction.
    pub async fn scim_update_user(
        &self,
        ctx: &Ctx,
        id: &str,
        change: ScimUserChange,
    ) -> Result<User> {
        let mut user = self.get_user_by_id(id).await?;
        if let Some(expected) = change.expected_version {
            if expected != user.version {
                return Err(DirectoryError::Stale {
                    kind: "user",
                    id: user.id,
                });
            }
        }
        let read_version = user.version;
        let from = user.status;
        let mut events = Vec::new();
        let profile_changed = change.profile != user.profile;

        if profile_changed {
            self.validate_profile(&change.profile, Some(&user.id))
                .await?;
            let changed = changed_keys(&user.profile, &change.profile);
            user.profile = change.profile.clone();
            events.push(
                ctx.event(
                    "user.account.update_profile",
                    "Update user profile for Okta",
                )
                .with_target(&user.id, "User", Some(user.login()), None)
                .with_debug("changedAttributes", changed.join(",")),
            );
        }

        let op = change
            .active
            .and_then(|active| scim_active_op(user.status, active));
        // Deactivation deletes the password (as in Okta), so it runs first: a password sent in
        // the same request is then kept for when the user is activated again.
        if op == Some(LifecycleOp::Deactivate) {
            self.apply_active_op(ctx, &mut user, LifecycleOp::Deactivate, &mut events)?;
        }
        if let Some(password) = &change.password {
            if !user.credentials.provider.kind.accepts_password() {
                return Err(DirectoryError::PasswordNotAllowed {
                    provider: user.credentials.provider.kind.as_str(),
                });
            }
            let policy = self.policy_for_user(&user).await?;
            let hash = self
                .check_and_hash(&user, &policy, password, false, ctx.now)
                .await?;
            // An active user gets the password under the lifecycle rules (a LOCKED_OUT user is
            // refused; RECOVERY and PASSWORD_EXPIRED become ACTIVE). An inactive one (STAGED,
            // SUSPENDED, DEPROVISIONED) keeps it for its activation, which may be this request.
            if scim_active(user.status) {
                lifecycle::apply(&mut user, LifecycleOp::SetPassword, ctx.now)?;
            }
            replace_hash(&mut user, hash);
            user.password_changed = Some(ctx.now);
            events.push(
                ctx.event(
                    "user.account.update_password",
                    "User update password for Okta",
                )
                .with_target(&user.id, "User", Some(user.login()), None),
            );
        }
        if let Some(op) = op.filter(|op| *op != LifecycleOp::Deactivate) {
            self.apply_active_op(ctx, &mut user, op, &mut events)?;
        }

        if events.is_empty() {
            return Ok(user);
        }
        user.last_updated = ctx.now;
        let mut changes = Vec::new();
        if profile_changed {
            changes.push(crate::DirectoryChange::ProfileUpdated { user: &user });
        }
        if user.status != from {
            changes.push(crate::DirectoryChange::StatusChanged { user: &user, from });
        }
        if let Some(password) = &change.password {
            changes.push(crate::DirectoryChange::PasswordSet {
                user: &user,
                password,
            });
        }
        let staged = self.stage(&changes, ctx.now);
        let version = staged
            .store()
            .update_user(&user, read_version, &events)
            .await?;
        drop(changes);
        self.committed(staged).await;
        user.version = version;
        Ok(user)
    }

    fn apply_active_op(
        &self,
        ctx: &Ctx,
        user: &mut User,
        op: LifecycleOp,
        events: &mut Vec<roster_core::LogEvent>,
    ) -> Result<()> {
        if lifecycle::apply(user, op, ctx.now)? == Outcome::Remove {
            return Err(DirectoryError::Internal(format!(
                "{op} unexpectedly removes the user"
            )));
        }
        events.push(
            ctx.event(
                op.event_type(),
                &format!("{} Okta user", op.as_str().replace('_', " ")),
            )
            .with_target(&user.id, "User", Some(user.login()), None),
        );
        Ok(())
    }

    /// SCIM DELETE: deactivate (unless already DEPROVISIONED) and delete, in one transaction.
    pub async fn scim_delete_user(
        &self,
        ctx: &Ctx,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<()> {
        let mut user = self.get_user_by_id(id).await?;
        if let Some(expected) = expected_version {
            if expected != user.version {
                return Err(DirectoryError::Stale {
                    kind: "user",
                    id: user.id,
                });
            }
        }
        let login = user.login().to_owned();
        let mut events = Vec::new();
        if user.status != UserStatus::Deprovisioned {
            lifecycle::apply(&mut user, LifecycleOp::Deactivate, ctx.now)?;
            events.push(
                ctx.event(LifecycleOp::Deactivate.event_type(), "deactivate Okta user")
                    .with_target(&user.id, "User", Some(&login), None),
            );
        }
        events.push(
            ctx.event(LifecycleOp::Delete.event_type(), "Delete Okta user")
                .with_target(&user.id, "User", Some(&login), None),
        );
        let staged = self.stage(
            &[crate::DirectoryChange::UserDeleted { user_id: &user.id }],
            ctx.now,
        );
        staged.store().delete_user(&user.id, &events).await?;
        self.committed(staged).await;
        Ok(())
    }

    /// Rename a group and change its members. Every user to add or remove must exist; that is
    /// checked before anything is written. Members already present (or already absent) are
    /// skipped and write no event, as with the Management API.
    pub async fn scim_update_group(
        &self,
        ctx: &Ctx,
        id: &str,
        change: ScimGroupChange,
    ) -> Result<Group> {
        let group = self.get_group(id).await?;
        let mut missing = Vec::new();
        let wanted: BTreeSet<&String> = change
            .add_members
            .iter()
            .chain(&change.remove_members)
            .collect();
        for user_id in wanted {
            match self.get_user_by_id(user_id).await {
                Ok(_) => {}
                Err(DirectoryError::NotFound { .. }) => missing.push(user_id.clone()),
                Err(e) => return Err(e),
            }
        }
        if !missing.is_empty() {
            return Err(DirectoryError::invalid(
                "members",
                format!(
                    "no user has the id {}",
                    missing
                        .iter()
                        .map(|m| format!("{m:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "send the ids of existing users as members[].value (GET /scim/v2/Users lists them)",
            ));
        }
        let mut group = if change.name.trim() != group.name || change.touch {
            self.update_group(ctx, &group.id, &change.name, group.description.clone())
                .await?
        } else {
            group
        };
        for user_id in &change.remove_members {
            self.remove_member(ctx, &group.id, user_id).await?;
        }
        for user_id in &change.add_members {
            self.add_member(ctx, &group.id, user_id).await?;
        }
        if !change.add_members.is_empty() || !change.remove_members.is_empty() {
            group = self.get_group(&group.id).await?;
        }
        Ok(group)
    }

    /// Define the custom profile attribute `name` unless the schema already has an attribute
    /// of that name (base or custom). Returns whether it was added.
    pub async fn ensure_custom_attribute(
        &self,
        ctx: &Ctx,
        name: &str,
        def: &AttributeDef,
    ) -> Result<bool> {
        let schema = self.profile_schema().await?;
        if schema.attribute(name).is_some() {
            return Ok(false);
        }
        let def = serde_json::to_value(def).map_err(|e| DirectoryError::Internal(e.to_string()))?;
        let mut properties = Map::new();
        properties.insert(name.to_owned(), def);
        let body = serde_json::json!({ "definitions": { "custom": { "properties": properties } } });
        match self.update_profile_schema(ctx, &body).await {
            Ok(_) => Ok(true),
            // Another request defined it meanwhile.
            Err(DirectoryError::Stale { .. }) | Err(DirectoryError::Conflict { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// The document kind that holds groups' SCIM `externalId`s.
const GROUP_EXTERNAL_ID_KIND: &str = "scim_group_external_id";

impl Directory {
    /// A group's SCIM `externalId`.
    pub async fn group_external_id(&self, group_id: &str) -> Result<Option<String>> {
        Ok(self
            .store
            .get_document(GROUP_EXTERNAL_ID_KIND, group_id)
            .await?
            .and_then(|d| {
                d.body
                    .get("externalId")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            }))
    }

    /// Every group's SCIM `externalId`, as `(group id, externalId)`.
    pub async fn group_external_ids(&self) -> Result<Vec<(String, String)>> {
        Ok(self
            .store
            .list_documents(GROUP_EXTERNAL_ID_KIND)
            .await?
            .into_iter()
            .filter_map(|d| {
                d.body
                    .get("externalId")
                    .and_then(Value::as_str)
                    .map(|e| (d.id.clone(), e.to_owned()))
            })
            .collect())
    }

    /// Set (or, with `None`, clear) a group's SCIM `externalId`. The caller records the change
    /// on the group itself (`scim_update_group` with `touch`), so this writes no event.
    pub async fn set_group_external_id(
        &self,
        ctx: &Ctx,
        group_id: &str,
        external_id: Option<&str>,
    ) -> Result<()> {
        match external_id {
            Some(value) => {
                let doc = Document {
                    kind: GROUP_EXTERNAL_ID_KIND.into(),
                    id: group_id.into(),
                    priority: 0,
                    body: serde_json::json!({ "externalId": value }),
                    version: 0,
                    updated: ctx.now,
                };
                self.store.put_document(&doc, None, &[]).await?;
            }
            None => match self
                .store
                .delete_document(GROUP_EXTERNAL_ID_KIND, group_id, &[])
                .await
            {
                Ok(()) | Err(roster_store::StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            },
        }
        Ok(())
    }
}

fn changed_keys(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<String> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    keys.extend(old.keys().filter(|k| !new.contains_key(*k)).cloned());
    keys.sort();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_mapping_covers_every_status() {
        let table: Vec<String> = UserStatus::ALL
            .iter()
            .map(|&s| {
                format!(
                    "{:<16} active={:<5} set true: {:<10} set false: {}",
                    s.as_str(),
                    scim_active(s),
                    scim_active_op(s, true).map(|o| o.as_str()).unwrap_or("-"),
                    scim_active_op(s, false).map(|o| o.as_str()).unwrap_or("-"),
                )
            })
            .collect();
        assert_eq!(
            table,
            [
                "STAGED           active=false set true: activate   set false: -",
                "PROVISIONED      active=true  set true: -          set false: deactivate",
                "ACTIVE           active=true  set true: -          set false: deactivate",
                "RECOVERY         active=true  set true: -          set false: deactivate",
                "LOCKED_OUT       active=true  set true: -          set false: deactivate",
                "PASSWORD_EXPIRED active=true  set true: -          set false: deactivate",
                "SUSPENDED        active=false set true: unsuspend  set false: -",
                "DEPROVISIONED    active=false set true: activate   set false: -",
            ]
        );
    }
}
