//! Group Push: mappings from a source group to a group on the target, kept equal to the
//! source group's members who are assigned to the app and provisioned there.
//!
//! A mapping is a document (`group_push:{appId}`). Its push is one idempotent job
//! ([`PUSH_GROUP`], the job's `user_id` is the mapping's id): read the source group's members,
//! keep those whose app user is PROVISIONED (their `externalId`), create or link the target
//! group by name (or use the linked id), rename it when the source was renamed, and make its
//! members exactly that set. A mapping has at most one queued push (its job id is derived from
//! the mapping's, so a second trigger finds it queued); a trigger while the push runs queues
//! one follow-up. A push that fails for good fails into one Task per mapping, which names the
//! mapping and its source group, and the mapping shows `status: ERROR` with `errorSummary`.
//!
//! Triggers: creating or activating a mapping; a membership change or rename of a source
//! group ([`Provisioning::on_group_change`]); a user's successful push on the app when the user
//! is in a mapped source group ([`Provisioning::after_user_pushed`], Okta's "subjobs").
//!
//! Prevention (seed 003, orphaned mappings): turning provisioning off while mappings are live
//! is refused with the list of them, unless the caller asks to deactivate them in the same
//! change ([`Provisioning::set_user_provisioning_checked`],
//! [`Provisioning::set_connection_active`], [`Provisioning::set_app_active_checked`]); a
//! mapping cannot be activated while provisioning is off; an INACTIVE mapping queues nothing
//! and its pending pushes are dropped.

use std::collections::BTreeSet;

use roster_core::event::{Actor, Severity};
use roster_core::ids::{make_id, IdKind};
use roster_core::{LogEvent, Timestamp};
use roster_directory::{Ctx, DirectoryChange, DirectoryError};
use roster_store::{Document, Job, NewJob, StoreError, TaskRecord};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::connector::{Connector, MemberChanges};
use crate::engine::{
    app_event, backoff, connection_purpose, now, plus, task_id_for, Provisioning, Result,
    StepOutcome,
};
use crate::error::{ConnectorError, ErrorKind, ProvisioningError};
use crate::model::{App, UserProvisioning};

/// The operation of a job that pushes one Group Push mapping.
pub const PUSH_GROUP: &str = crate::job_kind::JobKind::PushGroup.as_str();

/// The document kind of the Group Push mappings of `app_id`.
pub fn group_push_kind(app_id: &str) -> String {
    format!("group_push:{app_id}")
}

/// Okta's mapping statuses.
pub const ACTIVE: &str = "ACTIVE";
pub const INACTIVE: &str = "INACTIVE";
/// The last push failed for good; its task says why.
pub const ERROR: &str = "ERROR";

/// A Group Push mapping, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupPushMapping {
    pub id: String,
    pub app_id: String,
    pub source_group_id: String,
    /// The source group's name when last seen (its rename renames the target group).
    pub source_group_name: String,
    /// The target group's id once created or linked.
    pub target_group_id: Option<String>,
    /// The name the target group should have.
    pub target_group_name: String,
    /// The name last written to (or found on) the target.
    #[serde(default)]
    pub pushed_name: Option<String>,
    /// `ACTIVE`, `INACTIVE` or `ERROR`.
    pub status: String,
    pub created: Timestamp,
    pub last_updated: Timestamp,
    pub last_push: Option<Timestamp>,
    pub error_summary: Option<String>,
    /// The task of the last push that failed for good.
    #[serde(default)]
    pub task_id: Option<String>,
}

impl GroupPushMapping {
    /// Whether the mapping pushes (ACTIVE, or ERROR waiting for its task's retry).
    pub fn is_live(&self) -> bool {
        self.status != INACTIVE
    }
}

/// How a new mapping names its target group.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetGroup {
    /// Create the target group with this name, or link the one that has it.
    Name(String),
    /// Link an existing target group.
    Id(String),
}

/// The primary job of a mapping: at most one queued push per mapping.
fn job_id(mapping_id: &str, follow_up: bool) -> String {
    let tag = if follow_up { "gq" } else { "gp" };
    format!(
        "{}{tag}{}",
        IdKind::Other.prefix(),
        mapping_id.get(3..).unwrap_or(mapping_id)
    )
}

fn mapping_doc(m: &GroupPushMapping) -> Result<Document> {
    Ok(Document {
        kind: group_push_kind(&m.app_id),
        id: m.id.clone(),
        priority: 0,
        body: serde_json::to_value(m).map_err(|_| StoreError::CorruptData {
            what: "group push mapping".into(),
        })?,
        version: 0,
        updated: m.last_updated,
    })
}

fn mapping_event(
    ctx: &Ctx,
    event_type: &str,
    message: &str,
    app: &App,
    m: &GroupPushMapping,
) -> LogEvent {
    app_event(ctx, event_type, message, app)
        .with_target(
            &m.source_group_id,
            "UserGroup",
            Some(&m.source_group_name),
            Some(&m.source_group_name),
        )
        .with_target(&m.id, "GroupPushMapping", None, Some(&m.target_group_name))
        .with_debug("mappingId", m.id.as_str())
        .with_debug("sourceGroupId", m.source_group_id.as_str())
        .with_debug("targetGroupName", m.target_group_name.as_str())
        .with_debug(
            "targetGroupId",
            m.target_group_id
                .clone()
                .map(Value::from)
                .unwrap_or(Value::Null),
        )
}

/// Why provisioning to the app cannot run now, if it cannot.
fn provisioning_off(app: &App) -> Option<&'static str> {
    if app.status != ACTIVE {
        Some("the app is INACTIVE")
    } else if !app.provisioning.enabled {
        Some("USER_PROVISIONING is disabled")
    } else if app
        .connection
        .as_ref()
        .is_none_or(|c| c.status != "ENABLED")
    {
        Some("the app has no enabled provisioning connection")
    } else {
        None
    }
}

/// The mappings, one line each, for an error that lists them.
pub fn describe(mappings: &[GroupPushMapping]) -> String {
    mappings
        .iter()
        .map(|m| {
            format!(
                "{} (source group {:?} -> target group {:?}, {})",
                m.id, m.source_group_name, m.target_group_name, m.status
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

enum PushFailure {
    Connector(Box<ConnectorError>),
    Internal(ProvisioningError),
}

struct Pushed {
    target_id: String,
    target_name: String,
    action: &'static str,
    members: usize,
    changes: MemberChanges,
}

impl Provisioning {
    // ---- mappings -----------------------------------------------------------------------

    pub async fn list_group_push_mappings(&self, app_id: &str) -> Result<Vec<GroupPushMapping>> {
        self.get_app(app_id).await?;
        self.mappings_of(app_id).await
    }

    async fn mappings_of(&self, app_id: &str) -> Result<Vec<GroupPushMapping>> {
        let mut out: Vec<GroupPushMapping> = self
            .store()
            .list_documents(&group_push_kind(app_id))
            .await?
            .into_iter()
            .map(|d| {
                serde_json::from_value(d.body).map_err(|_| {
                    StoreError::CorruptData {
                        what: "group push mapping".into(),
                    }
                    .into()
                })
            })
            .collect::<Result<_>>()?;
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    async fn find_mapping(&self, app_id: &str, id: &str) -> Result<Option<GroupPushMapping>> {
        self.store()
            .get_document(&group_push_kind(app_id), id)
            .await?
            .map(|d| {
                serde_json::from_value(d.body).map_err(|_| {
                    StoreError::CorruptData {
                        what: "group push mapping".into(),
                    }
                    .into()
                })
            })
            .transpose()
    }

    pub async fn get_group_push_mapping(&self, app_id: &str, id: &str) -> Result<GroupPushMapping> {
        self.get_app(app_id).await?;
        self.find_mapping(app_id, id)
            .await?
            .ok_or_else(|| ProvisioningError::NotFound {
                kind: "group push mapping",
                id: id.to_owned(),
            })
    }

    /// Create a mapping from `source_group_id`; an ACTIVE one pushes at once.
    pub async fn create_group_push_mapping(
        &self,
        ctx: &Ctx,
        app_id: &str,
        source_group_id: &str,
        target: Option<TargetGroup>,
        status: Option<&str>,
    ) -> Result<GroupPushMapping> {
        let app = self.get_app(app_id).await?;
        let status = status.unwrap_or(ACTIVE).to_ascii_uppercase();
        if status != ACTIVE && status != INACTIVE {
            return Err(ProvisioningError::invalid(
                "status",
                format!("{status:?} is not a mapping status"),
                "send status ACTIVE or INACTIVE (or leave it out for ACTIVE)",
            ));
        }
        let source = match self.inner.directory.get_group(source_group_id).await {
            Ok(g) => g,
            Err(DirectoryError::NotFound { .. }) => {
                return Err(ProvisioningError::invalid(
                    "sourceGroupId",
                    format!("no group has the id {source_group_id:?}"),
                    "send the id of a group of this org: GET /api/v1/groups",
                ))
            }
            Err(e) => return Err(e.into()),
        };
        let existing = self.mappings_of(app_id).await?;
        if let Some(m) = existing.iter().find(|m| m.source_group_id == source.id) {
            return Err(ProvisioningError::invalid(
                "sourceGroupId",
                format!(
                    "the group {:?} is already pushed to this app by mapping {}",
                    source.name, m.id
                ),
                "change that mapping (PATCH /api/v1/apps/{appId}/group-push/mappings/{mappingId}) instead of creating another",
            ));
        }
        if status == ACTIVE {
            if let Some(why) = provisioning_off(&app) {
                return Err(ProvisioningError::invalid(
                    "status",
                    format!("an ACTIVE Group Push mapping needs provisioning, and {why}"),
                    "enable provisioning first (POST /api/v1/apps/{id}/connections/default, PUT /api/v1/apps/{id}/features/USER_PROVISIONING), or create the mapping with status INACTIVE",
                ));
            }
        }
        let (target_group_id, target_group_name, pushed_name) = match target {
            None => (None, source.name.clone(), None),
            Some(TargetGroup::Name(n)) if n.trim().is_empty() => {
                return Err(ProvisioningError::invalid(
                    "targetGroupName",
                    "the target group name is empty",
                    "send targetGroupName, or leave it out to use the source group's name",
                ))
            }
            Some(TargetGroup::Name(n)) => (None, n.trim().to_owned(), None),
            Some(TargetGroup::Id(id)) if id.trim().is_empty() => {
                return Err(ProvisioningError::invalid(
                    "targetGroupId",
                    "the target group id is empty",
                    "send the id of a group on the target, or targetGroupName",
                ))
            }
            // A linked group keeps its name until the source group is renamed.
            Some(TargetGroup::Id(id)) => (
                Some(id.trim().to_owned()),
                source.name.clone(),
                Some(source.name.clone()),
            ),
        };
        let mapping = GroupPushMapping {
            id: format!(
                "gPm{}",
                make_id(IdKind::Other, ctx.now, rand::random())
                    .get(3..)
                    .unwrap_or_default()
            ),
            app_id: app.id.clone(),
            source_group_id: source.id.clone(),
            source_group_name: source.name.clone(),
            target_group_id,
            target_group_name,
            pushed_name,
            status: status.clone(),
            created: ctx.now,
            last_updated: ctx.now,
            last_push: None,
            error_summary: None,
            task_id: None,
        };
        let event = mapping_event(
            ctx,
            "application.provision.group_push.mapping.created",
            "Create a Group Push mapping",
            &app,
            &mapping,
        )
        .with_debug("status", status.as_str());
        self.store()
            .put_document(&mapping_doc(&mapping)?, Some(0), &[event])
            .await?;
        if mapping.status == ACTIVE {
            self.queue_group_push(ctx, &mapping).await?;
        }
        Ok(mapping)
    }

    /// `ACTIVE` pushes now (a failed push's task is retried); `INACTIVE` stops pushing and
    /// drops the mapping's pending pushes.
    pub async fn set_group_push_status(
        &self,
        ctx: &Ctx,
        app_id: &str,
        id: &str,
        status: &str,
    ) -> Result<GroupPushMapping> {
        let app = self.get_app(app_id).await?;
        let mut mapping = self.get_group_push_mapping(app_id, id).await?;
        let status = status.to_ascii_uppercase();
        let (event_type, message) = match status.as_str() {
            ACTIVE => {
                if let Some(why) = provisioning_off(&app) {
                    return Err(ProvisioningError::invalid(
                        "status",
                        format!("an ACTIVE Group Push mapping needs provisioning, and {why}"),
                        "enable provisioning first (connection and USER_PROVISIONING), then activate the mapping",
                    ));
                }
                (
                    "application.provision.group_push.activate_mapping",
                    "Activate a Group Push mapping",
                )
            }
            INACTIVE => (
                "application.provision.group_push.deactivate_mapping",
                "Deactivate a Group Push mapping",
            ),
            _ => {
                return Err(ProvisioningError::invalid(
                    "status",
                    format!("{status:?} is not a mapping status"),
                    "send {\"status\":\"ACTIVE\"} or {\"status\":\"INACTIVE\"}",
                ))
            }
        };
        let was_error = mapping.status == ERROR;
        if status == INACTIVE {
            mapping.status = INACTIVE.into();
        } else if mapping.status == INACTIVE {
            mapping.status = ACTIVE.into();
        }
        mapping.last_updated = ctx.now;
        let event = mapping_event(ctx, event_type, message, &app, &mapping);
        self.store()
            .put_document(&mapping_doc(&mapping)?, None, &[event])
            .await?;
        if status == INACTIVE {
            self.store()
                .cancel_jobs_for(app_id, &mapping.id, ctx.now, &[])
                .await?;
        } else if was_error {
            self.retry_failed_push(ctx, &mapping).await?;
        } else {
            self.queue_group_push(ctx, &mapping).await?;
        }
        Ok(mapping)
    }

    /// Delete an INACTIVE mapping, and with `delete_target_group` its group on the target.
    pub async fn delete_group_push_mapping(
        &self,
        ctx: &Ctx,
        app_id: &str,
        id: &str,
        delete_target_group: bool,
    ) -> Result<()> {
        let app = self.get_app(app_id).await?;
        let mapping = self.get_group_push_mapping(app_id, id).await?;
        if mapping.is_live() {
            return Err(ProvisioningError::invalid(
                "status",
                format!(
                    "the Group Push mapping {} is {} and cannot be deleted",
                    mapping.id, mapping.status
                ),
                "deactivate it first: PATCH /api/v1/apps/{appId}/group-push/mappings/{mappingId} with {\"status\":\"INACTIVE\"}",
            ));
        }
        let mut events = Vec::new();
        if delete_target_group {
            if let Some(target_id) = &mapping.target_group_id {
                let connector = self.group_connector(&app).map_err(|why| {
                    ProvisioningError::invalid(
                        "deleteTargetGroup",
                        format!("the target group cannot be deleted: {why}"),
                        "enable the app's provisioning connection, or delete the mapping with deleteTargetGroup=false and remove the group on the target yourself",
                    )
                })?;
                connector.delete_group(target_id).await.map_err(|e| {
                    ProvisioningError::invalid(
                        "deleteTargetGroup",
                        format!("the target group was not deleted: {}", e.summary()),
                        &format!(
                            "{}; or delete the mapping with deleteTargetGroup=false",
                            e.remediation().replace(", then retry the task", "")
                        ),
                    )
                })?;
                events.push(mapping_event(
                    ctx,
                    "application.provision.group_push.delete_appgroup",
                    "Delete the target group of a Group Push mapping",
                    &app,
                    &mapping,
                ));
            }
        }
        events.push(
            mapping_event(
                ctx,
                "application.provision.group_push.mapping.deleted",
                "Delete a Group Push mapping",
                &app,
                &mapping,
            )
            .with_debug("deleteTargetGroup", delete_target_group),
        );
        self.store()
            .cancel_jobs_for(app_id, &mapping.id, ctx.now, &[])
            .await?;
        self.store()
            .delete_document(&group_push_kind(app_id), &mapping.id, &events)
            .await?;
        Ok(())
    }

    // ---- prevention (seed 003) ------------------------------------------------------------

    /// The live mappings of an app that a change turning provisioning off would orphan:
    /// refused with their list unless `deactivate_group_push`, which sets them INACTIVE first.
    async fn guard_group_push(
        &self,
        ctx: &Ctx,
        app: &App,
        change: &str,
        deactivate_group_push: bool,
    ) -> Result<()> {
        let live: Vec<GroupPushMapping> = self
            .mappings_of(&app.id)
            .await?
            .into_iter()
            .filter(GroupPushMapping::is_live)
            .collect();
        if live.is_empty() {
            return Ok(());
        }
        if !deactivate_group_push {
            return Err(ProvisioningError::invalid(
                "deactivateGroupPush",
                format!(
                    "{change} would leave {} active Group Push mapping(s) that can no longer push, and every push of a member would fail: {}",
                    live.len(),
                    describe(&live)
                ),
                "repeat the request with ?deactivateGroupPush=true to set these mappings INACTIVE in the same change, or deactivate (PATCH {\"status\":\"INACTIVE\"}) or delete them first under /api/v1/apps/{appId}/group-push/mappings",
            ));
        }
        for mut m in live {
            m.status = INACTIVE.into();
            m.last_updated = ctx.now;
            let event = mapping_event(
                ctx,
                "application.provision.group_push.deactivate_mapping",
                "Deactivate a Group Push mapping",
                app,
                &m,
            )
            .with_debug("reason", change);
            self.store()
                .put_document(&mapping_doc(&m)?, None, &[event])
                .await?;
            self.store()
                .cancel_jobs_for(&app.id, &m.id, ctx.now, &[])
                .await?;
        }
        Ok(())
    }

    /// `PUT /apps/{id}/features/USER_PROVISIONING`, refusing to turn provisioning off while
    /// Group Push mappings are live (see [`Provisioning::set_user_provisioning`]).
    pub async fn set_user_provisioning_checked(
        &self,
        ctx: &Ctx,
        id: &str,
        features: UserProvisioning,
        deactivate_group_push: bool,
    ) -> Result<App> {
        let app = self.get_app(id).await?;
        if !features.enabled {
            self.guard_group_push(
                ctx,
                &app,
                "disabling USER_PROVISIONING",
                deactivate_group_push,
            )
            .await?;
        }
        self.set_user_provisioning(ctx, id, features).await
    }

    /// `POST /apps/{id}/lifecycle/{activate|deactivate}`, refusing to deactivate the app while
    /// Group Push mappings are live.
    pub async fn set_app_active_checked(
        &self,
        ctx: &Ctx,
        id: &str,
        active: bool,
        deactivate_group_push: bool,
    ) -> Result<App> {
        let app = self.get_app(id).await?;
        if !active {
            self.guard_group_push(ctx, &app, "deactivating the app", deactivate_group_push)
                .await?;
        }
        self.set_app_active(ctx, id, active).await
    }

    /// `POST /apps/{id}/connections/default/lifecycle/{activate|deactivate}`: enable or disable
    /// the provisioning connection (its token is kept). Deactivating refuses while Group Push
    /// mappings are live unless `deactivate_group_push`.
    pub async fn set_connection_active(
        &self,
        ctx: &Ctx,
        id: &str,
        active: bool,
        deactivate_group_push: bool,
    ) -> Result<App> {
        let mut app = self.get_app(id).await?;
        if app.connection.is_none() {
            return Err(ProvisioningError::invalid(
                "connection",
                "the app has no provisioning connection",
                "set one first: POST /api/v1/apps/{id}/connections/default with {\"profile\":{\"authScheme\":\"TOKEN\",\"token\":\"...\"}}",
            ));
        }
        if !active {
            self.guard_group_push(
                ctx,
                &app,
                "deactivating the provisioning connection",
                deactivate_group_push,
            )
            .await?;
        }
        if let Some(c) = app.connection.as_mut() {
            c.status = if active { "ENABLED" } else { "DISABLED" }.into();
            c.updated = ctx.now;
        }
        app.last_updated = ctx.now;
        let (t, m) = if active {
            (
                "application.provision.connection.activate",
                "Activate the provisioning connection of an application",
            )
        } else {
            (
                "application.provision.connection.deactivate",
                "Deactivate the provisioning connection of an application",
            )
        };
        let event = app_event(ctx, t, m, &app);
        self.put_app(&app, None, &[event]).await?;
        Ok(app)
    }

    // ---- triggers ------------------------------------------------------------------------------

    /// Queue the push of a mapping unless one is already queued; while one runs, queue one
    /// follow-up. A push that failed into a task waits for the task's retry.
    async fn queue_group_push(&self, ctx: &Ctx, mapping: &GroupPushMapping) -> Result<()> {
        for follow_up in [false, true] {
            let id = job_id(&mapping.id, follow_up);
            match self.store().get_job(&id).await? {
                Some(job) if job.status == "RUNNING" => continue,
                Some(_) => return Ok(()),
                None => {}
            }
            let job = NewJob {
                id: id.clone(),
                app_id: mapping.app_id.clone(),
                user_id: mapping.id.clone(),
                operation: PUSH_GROUP.into(),
                payload: json!({ "mappingId": mapping.id, "sourceGroupId": mapping.source_group_id }),
                max_attempts: self.inner.settings.max_attempts,
                due: ctx.now,
            };
            if let Err(e) = self.store().enqueue_job(&job, ctx.now, None, &[]).await {
                // Another trigger queued it between the look-up and the insert.
                if self.store().get_job(&id).await?.is_none() {
                    return Err(e.into());
                }
            }
            self.inner.wake.notify_one();
            return Ok(());
        }
        Ok(())
    }

    /// Retry the task of a mapping's failed push, or queue a push when there is none.
    async fn retry_failed_push(&self, ctx: &Ctx, mapping: &GroupPushMapping) -> Result<()> {
        for follow_up in [false, true] {
            if let Some(job) = self
                .store()
                .get_job(&job_id(&mapping.id, follow_up))
                .await?
            {
                if job.status == "FAILED" {
                    self.retry_task(ctx, &task_id_for(&job.id)).await?;
                    return Ok(());
                }
            }
        }
        self.queue_group_push(ctx, mapping).await
    }

    /// Every live mapping, across apps, whose source is `group_id`.
    /// The Group Push mappings of every app whose source group is `group_id`.
    pub async fn mappings_of_group(&self, group_id: &str) -> Result<Vec<GroupPushMapping>> {
        let mut out = Vec::new();
        for app in self.list_apps().await? {
            out.extend(
                self.mappings_of(&app.id)
                    .await?
                    .into_iter()
                    .filter(|m| m.source_group_id == group_id),
            );
        }
        Ok(out)
    }

    /// Queue the Group Push of every live mapping a group change touches; a rename renames
    /// the target group; a deleted source group deactivates its mappings.
    pub(crate) async fn on_group_change(&self, change: DirectoryChange<'_>) -> Result<()> {
        let ctx = Ctx::new(Actor::system(), now());
        match change {
            DirectoryChange::MemberAdded { group_id, .. }
            | DirectoryChange::MemberRemoved { group_id, .. }
            | DirectoryChange::MembersChanged { group_id, .. } => {
                for m in self.mappings_of_group(group_id).await? {
                    if m.is_live() {
                        self.queue_group_push(&ctx, &m).await?;
                    }
                }
            }
            DirectoryChange::GroupUpdated { group } => {
                for mut m in self.mappings_of_group(&group.id).await? {
                    if m.source_group_name == group.name {
                        continue;
                    }
                    m.source_group_name.clone_from(&group.name);
                    m.target_group_name.clone_from(&group.name);
                    m.last_updated = ctx.now;
                    self.store()
                        .put_document(&mapping_doc(&m)?, None, &[])
                        .await?;
                    if m.is_live() {
                        self.queue_group_push(&ctx, &m).await?;
                    }
                }
            }
            DirectoryChange::GroupDeleted { group_id } => {
                for mut m in self.mappings_of_group(group_id).await? {
                    let Ok(app) = self.get_app(&m.app_id).await else {
                        continue;
                    };
                    m.status = INACTIVE.into();
                    m.error_summary = Some(
                        "the source group was deleted: the mapping stopped pushing and the target group was kept".into(),
                    );
                    m.last_updated = ctx.now;
                    let event = mapping_event(
                        &ctx,
                        "application.provision.group_push.deactivate_mapping",
                        "Deactivate a Group Push mapping",
                        &app,
                        &m,
                    )
                    .with_debug("reason", "the source group was deleted");
                    self.store()
                        .put_document(&mapping_doc(&m)?, None, &[event])
                        .await?;
                    self.store()
                        .cancel_jobs_for(&m.app_id, &m.id, ctx.now, &[])
                        .await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// After a user's push succeeded on an app: push the app's live mappings whose source
    /// group contains the user (its target membership may now include it).
    pub(crate) async fn after_user_pushed(&self, ctx: &Ctx, app_id: &str, user_id: &str) {
        let result: Result<()> = async {
            let mappings: Vec<GroupPushMapping> = self
                .mappings_of(app_id)
                .await?
                .into_iter()
                .filter(GroupPushMapping::is_live)
                .collect();
            if mappings.is_empty() {
                return Ok(());
            }
            let groups: BTreeSet<String> = match self.inner.directory.user_groups(user_id).await {
                Ok(g) => g.into_iter().map(|g| g.id).collect(),
                Err(DirectoryError::NotFound { .. }) => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            for m in mappings
                .iter()
                .filter(|m| groups.contains(&m.source_group_id))
            {
                self.queue_group_push(ctx, m).await?;
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(app = %app_id, user = %user_id, error = %e, "could not queue the Group Push of a pushed user's groups");
        }
    }

    // ---- the worker's step -------------------------------------------------------------------

    fn group_connector(&self, app: &App) -> std::result::Result<Box<dyn Connector>, String> {
        if let Some(why) = provisioning_off(app) {
            return Err(format!("provisioning is off for this app ({why})"));
        }
        let Some(connection) = app.connection.as_ref() else {
            return Err("the app has no provisioning connection".into());
        };
        let token = self
            .inner
            .keys
            .key()
            .and_then(|k| k.open(&connection_purpose(&app.id), &connection.sealed_token))
            .map_err(|e| format!("the connection token cannot be opened: {e}"))?;
        Ok(self.inner.connectors.connector(app, token))
    }

    /// Execute a [`PUSH_GROUP`] job and record its outcome.
    pub(crate) async fn run_group_push(&self, ctx: &Ctx, job: &Job) -> Result<StepOutcome> {
        let skip = |reason: &str| StepOutcome::Skipped {
            job_id: job.id.clone(),
            reason: reason.to_owned(),
        };
        let Some(mapping) = self.find_mapping(&job.app_id, &job.user_id).await? else {
            self.store()
                .complete_job(&job.id, ctx.now, None, &[])
                .await?;
            return Ok(skip("the mapping was deleted"));
        };
        if !mapping.is_live() {
            self.store()
                .complete_job(&job.id, ctx.now, None, &[])
                .await?;
            return Ok(skip("the mapping is INACTIVE"));
        }
        let app = match self.get_app(&job.app_id).await {
            Ok(app) => app,
            Err(ProvisioningError::NotFound { .. }) => {
                self.store()
                    .complete_job(&job.id, ctx.now, None, &[])
                    .await?;
                return Ok(skip("the app was deleted"));
            }
            Err(e) => return Err(e),
        };
        match self.push_mapping(&app, &mapping).await {
            Ok(Some(pushed)) => {
                self.record_group_push(ctx, job, &app, &mapping, pushed)
                    .await
            }
            Ok(None) => {
                self.store()
                    .complete_job(&job.id, ctx.now, None, &[])
                    .await?;
                Ok(skip("the source group was deleted"))
            }
            Err(failure) => {
                self.record_group_push_failure(ctx, job, &app, &mapping, failure)
                    .await
            }
        }
    }

    /// One push: the members to write, the target group (created, linked or renamed), and its
    /// membership. `None` when the source group no longer exists.
    async fn push_mapping(
        &self,
        app: &App,
        mapping: &GroupPushMapping,
    ) -> std::result::Result<Option<Pushed>, PushFailure> {
        let tried = format!(
            "push group {} to app {} ({}) by mapping {}",
            mapping.source_group_name, app.label, app.id, mapping.id
        );
        let connector = self.group_connector(app).map_err(|why| {
            PushFailure::Connector(Box::new(ConnectorError::new(
                ErrorKind::Configuration,
                tried.clone(),
                why,
            )))
        })?;
        let source = match self
            .inner
            .directory
            .get_group(&mapping.source_group_id)
            .await
        {
            Ok(g) => g,
            Err(DirectoryError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(PushFailure::Internal(e.into())),
        };
        // The source group's members who are provisioned on the app, as target user ids.
        let mut wanted = BTreeSet::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .inner
                .directory
                .list_members(&source.id, after.as_deref(), 1000)
                .await
                .map_err(|e| PushFailure::Internal(e.into()))?;
            for user in &page.items {
                let au = self
                    .find_app_user(&app.id, &user.id)
                    .await
                    .map_err(PushFailure::Internal)?;
                if let Some(external) = au
                    .filter(|au| au.status == "PROVISIONED")
                    .and_then(|au| au.external_id)
                {
                    wanted.insert(external);
                }
            }
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let wanted: Vec<String> = wanted.into_iter().collect();
        // The summary names the app, the mapping and the source group, then the step.
        let fail = |mut e: ConnectorError| {
            e.tried = format!("{tried}: {}", e.tried);
            PushFailure::Connector(Box::new(e))
        };
        let name = mapping.target_group_name.as_str();
        let (target_id, action) = match &mapping.target_group_id {
            Some(id) => {
                if mapping.pushed_name.as_deref() != Some(name) {
                    connector.rename_group(id, name).await.map_err(fail)?;
                    (id.clone(), "renamed")
                } else {
                    (id.clone(), "updated")
                }
            }
            None => match connector.find_group(name).await.map_err(fail)? {
                Some(g) => (g.id, "linked"),
                None => (
                    connector.create_group(name).await.map_err(fail)?.id,
                    "created",
                ),
            },
        };
        let changes = connector
            .set_group_members(&target_id, &wanted)
            .await
            .map_err(fail)?;
        Ok(Some(Pushed {
            target_id,
            target_name: name.to_owned(),
            action,
            members: wanted.len(),
            changes,
        }))
    }

    async fn record_group_push(
        &self,
        ctx: &Ctx,
        job: &Job,
        app: &App,
        pushed_from: &GroupPushMapping,
        pushed: Pushed,
    ) -> Result<StepOutcome> {
        // Re-read: an administrator may have changed (or deleted) the mapping while the push
        // ran; only the push's own fields are written, and nothing for a deleted mapping.
        let current = self.find_mapping(&app.id, &pushed_from.id).await?;
        let still_there = current.is_some();
        let mut m = current.unwrap_or_else(|| pushed_from.clone());
        m.target_group_id = Some(pushed.target_id.clone());
        m.pushed_name = Some(pushed.target_name.clone());
        if m.status == ERROR {
            m.status = ACTIVE.into();
        }
        m.error_summary = None;
        m.task_id = None;
        m.last_push = Some(ctx.now);
        m.last_updated = ctx.now;
        let event = mapping_event(
            ctx,
            "application.provision.group_push.updated",
            "Push group to external application",
            app,
            &m,
        )
        .with_debug("action", pushed.action)
        .with_debug("members", pushed.members)
        .with_debug("membersAdded", pushed.changes.added)
        .with_debug("membersRemoved", pushed.changes.removed)
        .with_debug("attempt", job.attempts);
        let doc = if still_there {
            Some(mapping_doc(&m)?)
        } else {
            None
        };
        self.store()
            .complete_job(&job.id, ctx.now, doc.as_ref(), &[event])
            .await?;
        Ok(StepOutcome::Done {
            job_id: job.id.clone(),
        })
    }

    async fn record_group_push_failure(
        &self,
        ctx: &Ctx,
        job: &Job,
        app: &App,
        mapping: &GroupPushMapping,
        failure: PushFailure,
    ) -> Result<StepOutcome> {
        let error = match failure {
            PushFailure::Connector(e) => *e,
            PushFailure::Internal(e) => {
                tracing::warn!(job = %job.id, error = %e, "a Group Push step failed inside Roster");
                ConnectorError::new(
                    ErrorKind::Transient,
                    format!("run Group Push job {}", job.id),
                    format!("Roster failed: {e}"),
                )
            }
        };
        let retry = error.is_retryable() && job.attempts < job.max_attempts;
        let task_id = task_id_for(&job.id);
        let mut event = mapping_event(
            ctx,
            "application.provision.group_push.mapping.update.or.delete.failed.with.error",
            "Push group to external application failed",
            app,
            mapping,
        )
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
        .with_debug("cause", error.cause())
        .with_debug("attempt", job.attempts)
        .with_debug("willRetry", retry);
        let mut last_error = error.to_json();
        last_error["groupPush"] = json!({
            "mappingId": mapping.id,
            "appId": app.id,
            "appLabel": app.label,
            "sourceGroupId": mapping.source_group_id,
            "sourceGroupName": mapping.source_group_name,
            "targetGroupId": mapping.target_group_id,
            "targetGroupName": mapping.target_group_name,
        });
        if retry {
            let delay = backoff(&self.inner.settings, job.attempts, &error.kind);
            let due = plus(ctx.now, delay);
            self.store()
                .reschedule_job(&job.id, due, ctx.now, &last_error, None, &[event])
                .await?;
            return Ok(StepOutcome::Rescheduled {
                job_id: job.id.clone(),
                due,
            });
        }
        event = event.with_debug("taskId", task_id.as_str());
        event.severity = Severity::Error;
        let doc = match self.find_mapping(&app.id, &mapping.id).await? {
            Some(mut m) if m.is_live() => {
                m.status = ERROR.into();
                m.error_summary = Some(error.summary());
                m.task_id = Some(task_id.clone());
                m.last_updated = ctx.now;
                Some(mapping_doc(&m)?)
            }
            _ => None,
        };
        let task = TaskRecord {
            id: task_id,
            job_id: job.id.clone(),
            app_id: job.app_id.clone(),
            user_id: mapping.id.clone(),
            operation: PUSH_GROUP.into(),
            status: "OPEN".into(),
            attempts: job.attempts,
            last_error: Some(last_error),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_has_one_primary_and_one_follow_up_job() {
        assert_eq!(job_id("gPmABCDEF", false), "0xxgpABCDEF");
        assert_eq!(job_id("gPmABCDEF", true), "0xxgqABCDEF");
        assert_eq!(task_id_for(&job_id("gPmABCDEF", false)), "0tkgpABCDEF");
    }

    #[test]
    fn prevention_lists_each_mapping_with_both_group_names() {
        let m = GroupPushMapping {
            id: "gPm1".into(),
            app_id: "0oa1".into(),
            source_group_id: "00g1".into(),
            source_group_name: "Engineering".into(),
            target_group_id: Some("00gT".into()),
            target_group_name: "Eng (hub)".into(),
            pushed_name: None,
            status: ACTIVE.into(),
            created: Timestamp::from_millis(0),
            last_updated: Timestamp::from_millis(0),
            last_push: None,
            error_summary: None,
            task_id: None,
        };
        assert_eq!(
            describe(&[m]),
            "gPm1 (source group \"Engineering\" -> target group \"Eng (hub)\", ACTIVE)"
        );
    }
}
