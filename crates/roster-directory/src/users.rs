//! Users: create, read, list, update the profile, lifecycle operations, delete.

use roster_core::ids::IdKind;
use roster_core::lifecycle::{self, LifecycleOp, Outcome};
use roster_core::profile::{normalize_login, Violation};
use roster_core::{Credentials, Provider, User, UserStatus};
use roster_filter::{AttrPath, CompareOp, Filter, Span, Value as FilterValue};
use roster_store::UserQuery;
use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::passwords::{replace_hash, PasswordInput};
use crate::tokens::{LinkKind, OneTimeLink};
use crate::{Ctx, Directory, DirectoryError, Result};

/// A user to create, as a request describes it.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub profile: Map<String, Value>,
    pub password: Option<PasswordInput>,
    /// `credentials.provider`; `None` means OKTA.
    pub provider: Option<Provider>,
    /// `?activate=` (Okta's default is true).
    pub activate: bool,
    /// `?nextLogin=changePassword`: the user must change the password at the first sign-in.
    pub next_login_change_password: bool,
    pub group_ids: Vec<String>,
}

/// A profile change: merge into the profile (POST) or replace it (PUT), optionally with a new
/// password set by the administrator.
#[derive(Debug, Clone)]
pub struct ProfileChange {
    pub profile: Option<Map<String, Value>>,
    /// `true` for PUT: attributes absent from `profile` are removed.
    pub replace: bool,
    pub password: Option<SecretString>,
    /// `credentials.provider` in the body: only accepted when it does not change the provider.
    pub provider: Option<Provider>,
    /// Refuse the change when the user's version is no longer this one (ETags, If-Match).
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct UserListQuery {
    pub filter: Option<Filter>,
    pub q: Option<String>,
    pub after: Option<String>,
    pub limit: u32,
}

pub type UserPage = roster_store::Page<User>;

/// What a lifecycle operation produced besides the updated user.
#[derive(Debug, Clone)]
pub struct LifecycleResult {
    /// `None` when the operation removed the user.
    pub user: Option<User>,
    /// The activation or recovery link made by `activate`/`reset_password` with `sendEmail=false`.
    pub link: Option<OneTimeLink>,
    /// `expire_password?tempPassword=true`: the temporary password, shown once.
    pub temp_password: Option<SecretString>,
}

impl Directory {
    /// Find a user by id, or by login (case-insensitive) as Okta's `GET /users/{idOrLogin}` does.
    pub async fn get_user(&self, id_or_login: &str) -> Result<User> {
        if !Directory::storable(id_or_login) {
            return Err(DirectoryError::NotFound {
                kind: "user",
                id: id_or_login.replace('\0', "\u{fffd}"),
            });
        }
        if let Some(user) = self.store.get_user(id_or_login).await? {
            return Ok(user);
        }
        if let Some(user) = self.store.get_user_by_login(id_or_login).await? {
            return Ok(user);
        }
        Err(DirectoryError::NotFound {
            kind: "user",
            id: id_or_login.into(),
        })
    }

    pub async fn list_users(&self, query: &UserListQuery) -> Result<UserPage> {
        Ok(self
            .store
            .list_users(&UserQuery {
                filter: query.filter.clone(),
                q: query.q.clone(),
                after: query.after.clone(),
                limit: query.limit,
            })
            .await?)
    }

    /// Validate a profile against the schema and the uniqueness rules; every violation at once.
    pub async fn validate_profile(
        &self,
        profile: &Map<String, Value>,
        user_id: Option<&str>,
    ) -> Result<()> {
        let schema = self.profile_schema().await?;
        let mut violations = match schema.validate(profile) {
            Ok(()) => Vec::new(),
            Err(v) => v,
        };
        for attr in schema
            .unique_attributes()
            .map(str::to_owned)
            .collect::<Vec<_>>()
        {
            if violations.iter().any(|v| v.field == attr) {
                continue;
            }
            let Some(value) = profile.get(&attr).and_then(Value::as_str) else {
                continue;
            };
            let taken = if attr == "login" {
                self.store
                    .get_user_by_login(&normalize_login(value))
                    .await?
                    .filter(|u| Some(u.id.as_str()) != user_id)
                    .is_some()
            } else {
                let filter = Filter::Compare {
                    path: AttrPath {
                        schema: None,
                        segments: vec!["profile".into(), attr.clone()],
                        span: Span::default(),
                    },
                    op: CompareOp::Eq,
                    value: FilterValue::String(value.to_owned()),
                    span: Span::default(),
                };
                let page = self
                    .store
                    .list_users(&UserQuery {
                        filter: Some(filter),
                        q: None,
                        after: None,
                        limit: 2,
                    })
                    .await?;
                page.items.iter().any(|u| Some(u.id.as_str()) != user_id)
            };
            if taken {
                violations.push(Violation::not_unique_within_org(&attr));
            }
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(DirectoryError::InvalidProfile { violations })
        }
    }

    /// Create a user (Okta's `POST /api/v1/users`), with its password checked against the
    /// policy that applies to its groups, its memberships, and its events, in one transaction.
    pub async fn create_user(
        &self,
        ctx: &Ctx,
        new: NewUser,
    ) -> Result<(User, Option<OneTimeLink>)> {
        self.validate_profile(&new.profile, None).await?;
        let mut groups = Vec::new();
        for gid in &new.group_ids {
            groups.push(self.get_group(gid).await?);
        }
        let provider = new.provider.clone().unwrap_or_else(Provider::okta);
        let mut user = User::new(
            Directory::new_id(IdKind::User, ctx.now),
            UserStatus::Staged,
            new.profile.clone(),
            Credentials {
                provider,
                password_hash: None,
                password_history: Vec::new(),
            },
            ctx.now,
        );
        if let Some(input) = &new.password {
            if !user.credentials.provider.kind.accepts_password() {
                return Err(DirectoryError::PasswordNotAllowed {
                    provider: user.credentials.provider.kind.as_str(),
                });
            }
            let policy = self.policy_for_groups(&new.group_ids).await?;
            let hash = self.initial_hash(&user, &policy, input).await?;
            replace_hash(&mut user, hash);
            user.password_changed = Some(ctx.now);
        }
        let mut events = vec![ctx
            .event("user.lifecycle.create", "Create Okta user")
            .with_target(
                &user.id,
                "User",
                Some(user.login()),
                Some(&display_name(&user)),
            )];
        let mut link = None;
        if new.activate {
            lifecycle::apply(&mut user, LifecycleOp::Activate, ctx.now)?;
            if new.next_login_change_password
                && user.status == UserStatus::Active
                && user.credentials.password_hash.is_some()
            {
                lifecycle::apply(&mut user, LifecycleOp::ExpirePassword, ctx.now)?;
            }
            events.push(
                ctx.event("user.lifecycle.activate", "Activate Okta user")
                    .with_target(&user.id, "User", Some(user.login()), None),
            );
            if user.status == UserStatus::Provisioned {
                link = Some(self.new_link(LinkKind::Activation, &user.id, ctx.now));
            }
        }
        user.last_updated = ctx.now;
        for g in &groups {
            events.push(
                ctx.event("group.user_membership.add", "Add user to group membership")
                    .with_target(&user.id, "User", Some(user.login()), None)
                    .with_target(&g.id, "UserGroup", Some(&g.name), Some(&g.name)),
            );
        }
        let mut all_events = events;
        if let Some(l) = &link {
            all_events.push(self.link_event(ctx, l, &user));
        }
        let link_doc = link
            .as_ref()
            .map(|l| self.link_document(l, ctx.now))
            .transpose()?;
        let mut changes = vec![crate::DirectoryChange::UserCreated { user: &user }];
        if let Some(PasswordInput::Value(secret)) = &new.password {
            changes.push(crate::DirectoryChange::PasswordSet {
                user: &user,
                password: secret,
            });
        }
        let staged = self.stage(&changes, ctx.now);
        staged
            .store()
            .insert_user_with(
                &user,
                &new.group_ids,
                link_doc.as_ref(),
                ctx.now,
                &all_events,
            )
            .await?;
        self.committed(staged).await;
        Ok((user, link))
    }

    /// Change a user's profile and, optionally, set its password as an administrator.
    pub async fn update_user(&self, ctx: &Ctx, id: &str, change: ProfileChange) -> Result<User> {
        let mut user = self.get_user(id).await?;
        if let Some(expected) = change.expected_version {
            if expected != user.version {
                return Err(DirectoryError::Stale {
                    kind: "user",
                    id: user.id,
                });
            }
        }
        if let Some(p) = &change.provider {
            if p.kind != user.credentials.provider.kind {
                return Err(DirectoryError::invalid(
                    "credentials.provider",
                    format!(
                        "the credentials provider cannot be changed from {} to {} by an update",
                        user.credentials.provider.kind.as_str(),
                        p.kind.as_str()
                    ),
                    "to convert a FEDERATION user to OKTA, use POST /api/v1/users/{id}/lifecycle/reset_password with body {\"credentials\":{\"provider\":{\"type\":\"OKTA\",\"name\":\"OKTA\"}}}",
                ));
            }
        }
        let expected = user.version;
        let mut events = Vec::new();
        let mut profile_changed = false;
        if let Some(profile) = &change.profile {
            let mut next = if change.replace {
                Map::new()
            } else {
                user.profile.clone()
            };
            for (k, v) in profile {
                if v.is_null() && !change.replace {
                    next.remove(k);
                } else {
                    next.insert(k.clone(), v.clone());
                }
            }
            self.validate_profile(&next, Some(&user.id)).await?;
            if next != user.profile {
                let changed: Vec<String> = changed_keys(&user.profile, &next);
                user.profile = next;
                profile_changed = true;
                events.push(
                    ctx.event(
                        "user.account.update_profile",
                        "Update user profile for Okta",
                    )
                    .with_target(&user.id, "User", Some(user.login()), None)
                    .with_debug("changedAttributes", changed.join(",")),
                );
            }
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
            lifecycle::apply(&mut user, LifecycleOp::SetPassword, ctx.now)?;
            replace_hash(&mut user, hash);
            events.push(
                ctx.event(
                    "user.account.update_password",
                    "User update password for Okta",
                )
                .with_target(&user.id, "User", Some(user.login()), None),
            );
        }
        if events.is_empty() {
            return Ok(user);
        }
        user.last_updated = ctx.now;
        let mut changes = Vec::new();
        if profile_changed {
            changes.push(crate::DirectoryChange::ProfileUpdated { user: &user });
        }
        if let Some(password) = &change.password {
            changes.push(crate::DirectoryChange::PasswordSet {
                user: &user,
                password,
            });
        }
        let staged = self.stage(&changes, ctx.now);
        let version = staged.store().update_user(&user, expected, &events).await?;
        drop(changes);
        self.committed(staged).await;
        user.version = version;
        Ok(user)
    }

    /// Run a lifecycle operation (`/lifecycle/{op}`). `send_email=false` makes the activation or
    /// recovery link part of the result instead of an email (Roster sends no email).
    pub async fn lifecycle(
        &self,
        ctx: &Ctx,
        id: &str,
        op: LifecycleOp,
        temp_password: bool,
    ) -> Result<LifecycleResult> {
        let mut user = self.get_user(id).await?;
        let expected = user.version;
        let from = user.status;
        let outcome = lifecycle::apply(&mut user, op, ctx.now)?;
        let login = user.login().to_owned();
        if outcome == Outcome::Remove {
            let event = ctx.event(op.event_type(), "Delete Okta user").with_target(
                &user.id,
                "User",
                Some(&login),
                None,
            );
            let staged = self.stage(
                &[crate::DirectoryChange::UserDeleted { user_id: &user.id }],
                ctx.now,
            );
            staged.store().delete_user(&user.id, &[event]).await?;
            self.committed(staged).await;
            return Ok(LifecycleResult {
                user: None,
                link: None,
                temp_password: None,
            });
        }
        let mut events = vec![ctx.event(op.event_type(), &display_for(op)).with_target(
            &user.id,
            "User",
            Some(&login),
            None,
        )];
        let mut link = None;
        let mut temp = None;
        match op {
            LifecycleOp::Activate | LifecycleOp::Reactivate
                if user.status == UserStatus::Provisioned =>
            {
                link = Some(self.new_link(LinkKind::Activation, &user.id, ctx.now));
            }
            LifecycleOp::ResetPassword => {
                link = Some(self.new_link(LinkKind::Recovery, &user.id, ctx.now));
            }
            LifecycleOp::ExpirePassword if temp_password => {
                let value = crate::tokens::random_password();
                let policy = self.policy_for_user(&user).await?;
                let secret = SecretString::from(value);
                let hash = self
                    .check_and_hash(&user, &policy, &secret, false, ctx.now)
                    .await?;
                replace_hash(&mut user, hash);
                user.password_changed = Some(ctx.now);
                temp = Some(secret);
            }
            _ => {}
        }
        if let Some(l) = &link {
            events.push(self.link_event(ctx, l, &user));
        }
        let link_doc = link
            .as_ref()
            .map(|l| self.link_document(l, ctx.now))
            .transpose()?;
        let changes = if user.status == from {
            Vec::new()
        } else {
            vec![crate::DirectoryChange::StatusChanged { user: &user, from }]
        };
        let staged = self.stage(&changes, ctx.now);
        let version = staged
            .store()
            .update_user_with_document(&user, expected, link_doc.as_ref(), &events)
            .await?;
        drop(changes);
        self.committed(staged).await;
        user.version = version;
        Ok(LifecycleResult {
            user: Some(user),
            link,
            temp_password: temp,
        })
    }

    /// `DELETE /api/v1/users/{id}`: the first call deactivates, a call on a DEPROVISIONED user
    /// deletes it (Okta's behaviour).
    pub async fn delete_user(&self, ctx: &Ctx, id: &str) -> Result<Option<User>> {
        let user = self.get_user(id).await?;
        let op = if user.status == UserStatus::Deprovisioned {
            LifecycleOp::Delete
        } else {
            LifecycleOp::Deactivate
        };
        Ok(self.lifecycle(ctx, &user.id, op, false).await?.user)
    }
}

pub(crate) fn display_name(user: &User) -> String {
    match (user.profile_str("firstName"), user.profile_str("lastName")) {
        (Some(f), Some(l)) => format!("{f} {l}"),
        _ => user.login().to_owned(),
    }
}

fn display_for(op: LifecycleOp) -> String {
    format!("{} Okta user", op.as_str().replace('_', " "))
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
