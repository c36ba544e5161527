//! Imported groups: each source group becomes an `APP_GROUP` of the app, whose members are the
//! users linked to the group's member records. Membership changes are written in one
//! transaction per group and told to the directory's observer in one change, so the apps that
//! push the group (Group Push) follow; those pushes run on their own and never hold up the
//! import or the users' activation (seed 003): the job lists them, and their failures, as
//! subjobs.

use std::collections::{BTreeSet, HashMap, HashSet};

use roster_core::Group;
use roster_directory::{DirectoryChange, DirectoryError};
use roster_provisioning::import_group_kind;
use roster_sources::{SourceGroup, SourceRead};
use roster_store::{Document, ImportWrite, StoreError};
use serde::{Deserialize, Serialize};

use crate::engine::{now, Imports, Run};
use crate::error::{ImportError, Result};
use crate::job::{ImportIssue, ImportKind, Subjob};
use crate::users::{ACTIVE, LINKED};

/// The link from a source group to its Roster group, with the member records the source
/// listed (so users confirmed later join their groups).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GroupLink {
    pub group_id: String,
    pub name: String,
    pub members: Vec<String>,
    pub seen_job: String,
}

fn link_doc(app_id: &str, external_id: &str, link: &GroupLink, run: &Run) -> Result<Document> {
    Ok(Document {
        kind: import_group_kind(app_id),
        id: external_id.to_owned(),
        priority: 0,
        body: serde_json::to_value(link).map_err(|_| {
            ImportError::Store(StoreError::CorruptData {
                what: "imported group link".into(),
            })
        })?,
        version: 0,
        updated: run.ctx.now,
    })
}

impl Imports {
    async fn group_links(&self, app_id: &str) -> Result<HashMap<String, GroupLink>> {
        let mut out = HashMap::new();
        for d in self
            .store()
            .list_documents(&import_group_kind(app_id))
            .await?
        {
            if let Ok(link) = serde_json::from_value::<GroupLink>(d.body) {
                out.insert(d.id, link);
            }
        }
        Ok(out)
    }

    /// The Roster group of a source group: the linked one (renamed when the source renamed
    /// it), or a new `APP_GROUP`. A name another group has gets the app's label appended.
    async fn group_for(
        &self,
        run: &mut Run,
        g: &SourceGroup,
        link: Option<&GroupLink>,
    ) -> Result<Option<Group>> {
        if let Some(link) = link {
            match self.directory().get_group(&link.group_id).await {
                Ok(group) => {
                    if link.name != g.name && group.name == link.name {
                        match self
                            .directory()
                            .update_app_group(&run.ctx, &group.id, &g.name, g.description.clone())
                            .await
                        {
                            Ok(renamed) => {
                                run.job.counts.groups_updated += 1;
                                return Ok(Some(renamed));
                            }
                            Err(e) => run.job.warn(ImportIssue {
                                code: e.code().into(),
                                message: format!(
                                    "the source renamed group {:?} to {:?}, and Roster kept the old name: {}",
                                    link.name, g.name, e.cause()
                                ),
                                external_id: Some(g.external_id.clone()),
                                user_id: None,
                                field: Some("profile.name".into()),
                                line: None,
                                remediation: Some(e.remediation()),
                            }),
                        }
                    }
                    return Ok(Some(group));
                }
                Err(DirectoryError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let fallback = format!("{} ({})", g.name, run.app.label);
        for name in [g.name.as_str(), fallback.as_str()] {
            match self
                .directory()
                .create_app_group(&run.ctx, &run.app.id, name, g.description.clone())
                .await
            {
                Ok(group) => {
                    run.job.counts.groups_created += 1;
                    return Ok(Some(group));
                }
                Err(DirectoryError::Conflict { .. }) => continue,
                Err(DirectoryError::Invalid { .. })
                | Err(DirectoryError::InvalidProfile { .. }) => break,
                Err(e) => return Err(e.into()),
            }
        }
        run.job.fail_record(ImportIssue {
            code: "group_not_imported".into(),
            message: format!(
                "the group {:?} could not be created: its name, and {fallback:?}, are taken or not valid",
                g.name
            ),
            external_id: Some(g.external_id.clone()),
            user_id: None,
            field: Some("profile.name".into()),
            line: None,
            remediation: Some("rename the group at the source, or rename the Roster group that has the name".into()),
        });
        Ok(None)
    }

    /// The users linked to these member records (ACTIVE ones only).
    async fn linked_users(&self, run: &Run, members: &[String]) -> Result<BTreeSet<String>> {
        Ok(self
            .store()
            .import_records(&run.app.id, members)
            .await?
            .into_iter()
            .filter(|r| r.match_state == LINKED && r.status == ACTIVE)
            .filter_map(|r| r.user_id)
            .collect())
    }

    /// Write a group's membership changes with their events, tell the observer, and note the
    /// Group Pushes they set off.
    async fn change_members(
        &self,
        run: &mut Run,
        group: &Group,
        added: Vec<String>,
        removed: Vec<String>,
        link: Option<Document>,
    ) -> Result<()> {
        run.ctx.now = now();
        let mut write = ImportWrite::default();
        let touched: Vec<String> = added.iter().chain(&removed).cloned().collect();
        let logins: HashMap<String, String> = self
            .store()
            .users_by_ids(&touched)
            .await?
            .into_iter()
            .map(|u| (u.id.clone(), u.login().to_owned()))
            .collect();
        for (ids, event_type, message) in [
            (
                &added,
                "group.user_membership.add",
                "Add user to group membership",
            ),
            (
                &removed,
                "group.user_membership.remove",
                "Remove user from group membership",
            ),
        ] {
            for id in ids {
                write.events.push(
                    run.ctx
                        .event(event_type, message)
                        .with_target(id, "User", logins.get(id).map(String::as_str), None)
                        .with_target(&group.id, "UserGroup", Some(&group.name), Some(&group.name))
                        .with_debug("importJobId", run.job.id.as_str()),
                );
            }
        }
        write.members_added = added
            .iter()
            .map(|u| (group.id.clone(), u.clone()))
            .collect();
        write.members_removed = removed
            .iter()
            .map(|u| (group.id.clone(), u.clone()))
            .collect();
        write.documents.extend(link);
        if write.is_empty() {
            return Ok(());
        }
        let changes = if added.is_empty() && removed.is_empty() {
            Vec::new()
        } else {
            vec![DirectoryChange::MembersChanged {
                group_id: &group.id,
                added: &added,
                removed: &removed,
            }]
        };
        let staged = self.directory().stage(&changes, run.ctx.now);
        staged.store().write_import(&write, run.ctx.now).await?;
        drop(changes);
        self.directory().committed(staged).await;
        run.job.counts.memberships_added += added.len() as u64;
        run.job.counts.memberships_removed += removed.len() as u64;
        if added.is_empty() && removed.is_empty() {
            return Ok(());
        }
        for m in self.provisioning().mappings_of_group(&group.id).await? {
            if !m.is_live() {
                continue;
            }
            let app_label = self
                .provisioning()
                .get_app(&m.app_id)
                .await
                .map(|a| a.label)
                .unwrap_or_default();
            run.job.add_subjob(Subjob {
                app_id: m.app_id.clone(),
                app_label,
                mapping_id: m.id.clone(),
                group_id: group.id.clone(),
                group_name: group.name.clone(),
                triggered: run.ctx.now,
            });
        }
        Ok(())
    }

    /// The groups phase of an import.
    pub(crate) async fn import_groups(
        &self,
        run: &mut Run,
        read: SourceRead<SourceGroup>,
    ) -> Result<()> {
        for w in read.warnings {
            run.job.warn(ImportIssue {
                code: "source_warning".into(),
                message: w.message,
                external_id: w.subject,
                user_id: None,
                field: None,
                line: w.line,
                remediation: None,
            });
        }
        let mut links = self.group_links(&run.app.id).await?;
        let mut seen: HashSet<String> = HashSet::new();
        for g in read.items {
            if run.cancelled() {
                return Ok(());
            }
            run.job.counts.groups_scanned += 1;
            seen.insert(g.external_id.clone());
            let link = links.remove(&g.external_id);
            let Some(group) = self.group_for(run, &g, link.as_ref()).await? else {
                continue;
            };
            let wanted = self.linked_users(run, &g.member_external_ids).await?;
            let current: BTreeSet<String> = self
                .store()
                .member_ids(&group.id)
                .await?
                .into_iter()
                .collect();
            let added: Vec<String> = wanted.difference(&current).cloned().collect();
            let removed: Vec<String> = current.difference(&wanted).cloned().collect();
            let new_link = GroupLink {
                group_id: group.id.clone(),
                name: g.name.clone(),
                members: g.member_external_ids.clone(),
                seen_job: run.job.id.clone(),
            };
            let doc = link_doc(&run.app.id, &g.external_id, &new_link, run)?;
            self.change_members(run, &group, added, removed, Some(doc))
                .await?;
            self.progress(run).await?;
        }
        // A full read that no longer lists a group: the group is gone from the source.
        if run.job.kind == ImportKind::Full && run.job.read_everything {
            for (external_id, link) in links {
                if seen.contains(&external_id) {
                    continue;
                }
                match self
                    .directory()
                    .delete_group(&run.ctx, &link.group_id)
                    .await
                {
                    Ok(()) | Err(DirectoryError::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
                self.store()
                    .delete_document(&import_group_kind(&run.app.id), &external_id, &[])
                    .await
                    .or_else(|e| match e {
                        StoreError::NotFound { .. } => Ok(()),
                        other => Err(other),
                    })?;
                run.job.counts.groups_removed += 1;
            }
        }
        Ok(())
    }

    /// Add users linked after the import (confirmed) to the app's groups that list their
    /// records.
    pub(crate) async fn join_groups(
        &self,
        run: &mut Run,
        linked: &[(String, String)],
    ) -> Result<()> {
        if linked.is_empty() {
            return Ok(());
        }
        let links = self.group_links(&run.app.id).await?;
        for link in links.values() {
            let members: HashSet<&str> = link.members.iter().map(String::as_str).collect();
            let wanted: Vec<&String> = linked
                .iter()
                .filter(|(ext, _)| members.contains(ext.as_str()))
                .map(|(_, user)| user)
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let group = match self.directory().get_group(&link.group_id).await {
                Ok(g) => g,
                Err(DirectoryError::NotFound { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            let current: HashSet<String> = self
                .store()
                .member_ids(&group.id)
                .await?
                .into_iter()
                .collect();
            let added: Vec<String> = wanted
                .into_iter()
                .filter(|u| !current.contains(*u))
                .cloned()
                .collect();
            self.change_members(run, &group, added, Vec::new(), None)
                .await?;
        }
        Ok(())
    }
}
