//! One batch of user records: match the unlinked ones, decide what each record does (stay
//! linked, link, create, wait for confirmation), apply the profile sources' values, validate
//! every profile that changes, and write the batch in one transaction. Then tell the directory's
//! observer and run the lifecycle changes the sources asked for (activation, deactivation).

use std::collections::{HashMap, HashSet};

use roster_core::event::Severity;
use roster_core::ids::{make_id, IdKind};
use roster_core::lifecycle::{self, LifecycleOp};
use roster_core::profile::{normalize_login, Violation};
use roster_core::{Credentials, LogEvent, Provider, ProviderType, User, UserStatus};
use roster_directory::{DirectoryChange, DirectoryError};
use roster_filter::{AttrPath, CompareOp, Filter, Span, Value as FilterValue};
use roster_provisioning::{AppType, MatchCriteria};
use roster_sources::SourceRecord;
use roster_store::{ImportRecord, ImportRecordQuery, ImportWrite, StoreError, UserQuery};
use serde_json::{json, Map, Value};

use crate::engine::{now, pending_candidates, pending_kind, ConfirmAction, Imports, Run};
use crate::error::Result;
use crate::job::{ImportIssue, JobStatus, Safeguard};
use crate::mapping::{map_record, new_profile, Mapped};
use crate::mastering::{changed_attributes, lifecycle_master, mastered_profile, ProfileSource};
use crate::matching::{decide, exact_values, propose, Decision, MatchKind};

pub(crate) const ACTIVE: &str = "ACTIVE";
pub(crate) const INACTIVE: &str = "INACTIVE";
pub(crate) const LINKED: &str = "LINKED";
pub(crate) const PENDING: &str = "PENDING";
pub(crate) const IGNORED: &str = "IGNORED";
pub(crate) const ERROR: &str = "ERROR";

/// The event of a profile source update the profile validator refused (seed 004).
pub const UPDATE_FROM_MASTER_FAILED: &str = "app.user_management.update_from_master_failed";
/// The event of a new user an import could not create because its profile is invalid.
pub const IMPORT_USER_FAILED: &str = "app.user_management.import_user_failed";

/// What a record does in this batch.
pub(crate) enum Plan {
    /// Already linked to `user`.
    Linked {
        m: Mapped,
        rec: ImportRecord,
        user: User,
    },
    /// Matched (or confirmed) to `user`: linked now.
    Link {
        m: Mapped,
        rec: Option<ImportRecord>,
        user: User,
        kind: MatchKind,
        activate: bool,
    },
    /// A new user is created for it.
    Create {
        m: Mapped,
        rec: Option<ImportRecord>,
        activate: bool,
    },
    /// Waits for an administrator's confirmation.
    Pending {
        m: Mapped,
        rec: Option<ImportRecord>,
        kind: MatchKind,
        candidates: Vec<User>,
    },
    /// An administrator chose to ignore it.
    Ignored { m: Mapped, rec: ImportRecord },
}

/// How a batch came about.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Read from the source now.
    Import,
    /// Force Sync: stored records re-applied, whether they changed or not.
    ForceSync,
    /// An administrator's confirmation.
    Confirm,
}

/// A change to a user that must pass the profile validator first.
enum Change {
    Update {
        before: Box<User>,
        profile: Map<String, Value>,
    },
    Create {
        profile: Map<String, Value>,
        activate: bool,
    },
}

/// One record, staged: its new import record, the user change it asks for, its events.
struct Staged {
    record: ImportRecord,
    change: Option<Change>,
    /// Lifecycle operations for the linked user, run after the write.
    ops: Vec<LifecycleOp>,
    events: Vec<LogEvent>,
}

/// For each user, the other profile sources it is linked to, with their mapped values.
type OtherSources = HashMap<String, Vec<(String, Map<String, Value>)>>;

/// After the batch is written.
enum After {
    Updated(Box<User>),
    Lifecycle(String, LifecycleOp),
}

fn text(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The values a source applies: its mapped values, with the login its username format gives.
fn effective_values(m: &Mapped) -> Map<String, Value> {
    let mut values = m.values.clone();
    values.insert(
        "login".into(),
        m.login.clone().map(Value::String).unwrap_or(Value::Null),
    );
    values
}

fn attr_eq(attr: &str, value: &str) -> Filter {
    Filter::Compare {
        path: AttrPath {
            schema: None,
            segments: vec!["profile".into(), attr.into()],
            span: Span::default(),
        },
        op: CompareOp::Eq,
        value: FilterValue::String(value.to_owned()),
        span: Span::default(),
    }
}

fn all_of(pairs: &[(String, String)]) -> Option<Filter> {
    let mut filters = pairs.iter().map(|(a, v)| attr_eq(a, v));
    let first = filters.next()?;
    Some(filters.fold(first, |acc, f| Filter::And(Box::new(acc), Box::new(f))))
}

fn provider_for(run: &Run) -> Provider {
    match run.app.name {
        AppType::Ldap => Provider {
            kind: ProviderType::Ldap,
            name: run.app.label.clone(),
        },
        AppType::ActiveDirectory => Provider {
            kind: ProviderType::ActiveDirectory,
            name: run.app.label.clone(),
        },
        _ => Provider::okta(),
    }
}

fn candidate_json(u: &User) -> Value {
    json!({
        "id": u.id,
        "login": u.login(),
        "firstName": u.profile.get("firstName"),
        "lastName": u.profile.get("lastName"),
        "email": u.profile.get("email"),
        "status": u.status.as_str(),
    })
}

fn violation_issue(v: &[Violation], external_id: &str, user_id: Option<&str>) -> ImportIssue {
    let first = v.first();
    ImportIssue {
        code: first.map(|v| v.code.to_owned()).unwrap_or_default(),
        message: v.iter().map(|v| v.cause()).collect::<Vec<_>>().join("; "),
        external_id: Some(external_id.to_owned()),
        user_id: user_id.map(str::to_owned),
        field: first.map(|v| v.field.clone()),
        line: None,
        remediation: first.map(Violation::remediation),
    }
}

/// Count the users a written batch created (and activated).
fn count_written(run: &mut Run, write: &ImportWrite) {
    run.job.counts.new += write.new_users.len() as u64;
    run.job.counts.activated += write
        .new_users
        .iter()
        .filter(|u| u.status != UserStatus::Staged)
        .count() as u64;
}

/// The event and the job error of a change the profile validator refused: for an update
/// (`before` is the user, left unchanged) `app.user_management.update_from_master_failed`, for a
/// new user `app.user_management.import_user_failed`, each with the first violation's
/// `ErrorCode` and `ErrorField` and every violation in `errors`.
fn refused(
    run: &Run,
    violations: &[Violation],
    external_id: &str,
    before: Option<&User>,
) -> (LogEvent, ImportIssue) {
    let issue = violation_issue(violations, external_id, before.map(|u| u.id.as_str()));
    let first = violations.first();
    let all: Vec<Value> = violations
        .iter()
        .map(|v| json!({ "ErrorCode": v.code, "ErrorField": v.field, "cause": v.cause() }))
        .collect();
    let (event_type, message) = match before {
        Some(_) => (
            UPDATE_FROM_MASTER_FAILED,
            "Update of a user's profile from its profile source failed",
        ),
        None => (IMPORT_USER_FAILED, "Import of a new user failed"),
    };
    let mut event = run
        .app_event(event_type, message)
        .failure(issue.message.clone())
        .with_debug("ErrorCode", first.map(|v| v.code).unwrap_or_default())
        .with_debug(
            "ErrorField",
            first.map(|v| v.field.clone()).unwrap_or_default(),
        )
        .with_debug("errors", Value::Array(all))
        .with_debug("externalId", external_id)
        .with_debug(
            "remediation",
            first.map(Violation::remediation).unwrap_or_default(),
        );
    if let Some(user) = before {
        event = event.with_target(&user.id, "User", Some(user.login()), None);
    }
    event.severity = Severity::Warn;
    (event, issue)
}

impl Imports {
    /// The users with these ids, by id.
    async fn users_of(&self, ids: &[String]) -> Result<HashMap<String, User>> {
        Ok(self
            .store()
            .users_by_ids(ids)
            .await?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect())
    }

    /// Map, match and write one batch of records read from the source.
    pub(crate) async fn import_batch(&self, run: &mut Run, mapped: Vec<Mapped>) -> Result<()> {
        if mapped.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = mapped.iter().map(|m| m.external_id.clone()).collect();
        let mut existing: HashMap<String, ImportRecord> = self
            .store()
            .import_records(&run.app.id, &ids)
            .await?
            .into_iter()
            .map(|r| (r.external_id.clone(), r))
            .collect();
        let linked_ids: Vec<String> = existing
            .values()
            .filter(|r| r.match_state == LINKED)
            .filter_map(|r| r.user_id.clone())
            .collect();
        let mut users = self.users_of(&linked_ids).await?;
        let mut plans = Vec::with_capacity(mapped.len());
        let mut unlinked = Vec::new();
        for m in mapped {
            let rec = existing.remove(&m.external_id);
            match rec {
                Some(r) if r.match_state == LINKED => {
                    match r.user_id.as_ref().and_then(|id| users.remove(id)) {
                        Some(user) => plans.push(Plan::Linked { m, rec: r, user }),
                        // The linked user was deleted: match the record again.
                        None => unlinked.push((m, Some(r))),
                    }
                }
                Some(r) if r.match_state == IGNORED => plans.push(Plan::Ignored { m, rec: r }),
                other => unlinked.push((m, other)),
            }
        }
        if !unlinked.is_empty() {
            plans.extend(self.match_records(run, unlinked).await?);
        }
        self.apply_plans(run, plans, Mode::Import).await
    }

    /// Propose a user for each unlinked record and turn the proposals into plans.
    async fn match_records(
        &self,
        run: &Run,
        records: Vec<(Mapped, Option<ImportRecord>)>,
    ) -> Result<Vec<Plan>> {
        let rules = &run.app.inbound;
        let mut found: HashMap<String, User> = HashMap::new();
        // Exact candidates per record, by the criteria's values.
        let mut exact: Vec<Vec<String>> = vec![Vec::new(); records.len()];
        match &rules.exact_match {
            MatchCriteria::Username | MatchCriteria::Email => {
                let keys: Vec<Option<String>> = records
                    .iter()
                    .map(|(m, _)| {
                        exact_values(rules, m)
                            .and_then(|v| v.into_iter().next())
                            .map(|(_, v)| v.to_lowercase())
                    })
                    .collect();
                let wanted: Vec<String> = keys.iter().flatten().cloned().collect();
                let users = if matches!(rules.exact_match, MatchCriteria::Username) {
                    self.store().users_by_logins(&wanted).await?
                } else {
                    self.store().users_by_emails(&wanted).await?
                };
                let attr = if matches!(rules.exact_match, MatchCriteria::Username) {
                    "login"
                } else {
                    "email"
                };
                let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
                for u in users {
                    if let Some(v) = text(u.profile.get(attr)) {
                        by_key
                            .entry(v.to_lowercase())
                            .or_default()
                            .push(u.id.clone());
                    }
                    found.insert(u.id.clone(), u);
                }
                for (i, key) in keys.iter().enumerate() {
                    if let Some(ids) = key.as_ref().and_then(|k| by_key.get(k)) {
                        exact[i] = ids.clone();
                    }
                }
            }
            MatchCriteria::Attributes(_) => {
                for (i, (m, _)) in records.iter().enumerate() {
                    let Some(filter) = exact_values(rules, m).and_then(|v| all_of(&v)) else {
                        continue;
                    };
                    let page = self
                        .store()
                        .list_users(&UserQuery {
                            filter: Some(filter),
                            limit: 20,
                            ..UserQuery::default()
                        })
                        .await?;
                    for u in page.items {
                        exact[i].push(u.id.clone());
                        found.insert(u.id.clone(), u);
                    }
                }
            }
        }
        let mut partial: Vec<Vec<String>> = vec![Vec::new(); records.len()];
        if rules.allow_partial_match {
            for (i, (m, _)) in records.iter().enumerate() {
                if !exact[i].is_empty() {
                    continue;
                }
                let (Some(first), Some(last)) = (
                    text(m.values.get("firstName")),
                    text(m.values.get("lastName")),
                ) else {
                    continue;
                };
                let filter = all_of(&[
                    ("firstName".into(), first.to_owned()),
                    ("lastName".into(), last.to_owned()),
                ]);
                let page = self
                    .store()
                    .list_users(&UserQuery {
                        filter,
                        limit: 20,
                        ..UserQuery::default()
                    })
                    .await?;
                for u in page.items {
                    partial[i].push(u.id.clone());
                    found.insert(u.id.clone(), u);
                }
            }
        }
        // Users linked to another record of this app cannot match.
        let candidate_ids: Vec<String> = found.keys().cloned().collect();
        let taken: HashMap<String, String> = self
            .store()
            .import_records_of_users(&candidate_ids)
            .await?
            .into_iter()
            .filter(|r| r.app_id == run.app.id && r.match_state == LINKED && r.status == ACTIVE)
            .filter_map(|r| r.user_id.map(|u| (u, r.external_id)))
            .collect();
        let mut plans = Vec::with_capacity(records.len());
        for (i, (m, rec)) in records.into_iter().enumerate() {
            let ext = m.external_id.clone();
            let is_taken = |id: &str| taken.get(id).is_some_and(|e| e != &ext);
            let exact_users: Vec<&User> = exact[i].iter().filter_map(|id| found.get(id)).collect();
            let partial_users: Vec<&User> =
                partial[i].iter().filter_map(|id| found.get(id)).collect();
            let proposal = propose(rules, &m, &exact_users, &partial_users, &is_taken);
            let plan = match decide(rules, proposal) {
                Decision::Link { user_id, kind } => match found.get(&user_id) {
                    Some(user) => Plan::Link {
                        m,
                        rec,
                        user: user.clone(),
                        kind,
                        activate: rules.auto_activate_new_users,
                    },
                    None => Plan::Create {
                        m,
                        rec,
                        activate: rules.auto_activate_new_users,
                    },
                },
                Decision::Create => Plan::Create {
                    m,
                    rec,
                    activate: rules.auto_activate_new_users,
                },
                Decision::Pending { kind, candidates } => Plan::Pending {
                    m,
                    rec,
                    kind,
                    candidates: candidates
                        .iter()
                        .filter_map(|id| found.get(id).cloned())
                        .collect(),
                },
            };
            plans.push(plan);
        }
        Ok(plans)
    }

    /// For each user, the other sources (apps that master profiles, other than this one) it
    /// is linked to, with their mapped values.
    async fn other_sources(&self, run: &Run, user_ids: &[String]) -> Result<OtherSources> {
        let mut out: OtherSources = HashMap::new();
        let others = run.masters.keys().any(|id| id != &run.app.id);
        if !others || user_ids.is_empty() {
            return Ok(out);
        }
        for r in self.store().import_records_of_users(user_ids).await? {
            if r.app_id == run.app.id || r.match_state != LINKED || r.status != ACTIVE {
                continue;
            }
            let (Some(app), Some(user_id)) = (run.masters.get(&r.app_id), r.user_id.clone()) else {
                continue;
            };
            let m = map_record(
                app.name,
                &run.schema,
                &app.inbound,
                SourceRecord {
                    external_id: r.external_id,
                    attributes: r.profile,
                    modified: r.modified,
                },
            );
            out.entry(user_id)
                .or_default()
                .push((r.app_id, effective_values(&m)));
        }
        Ok(out)
    }

    /// The profile `user` gets from its sources when this record's values are `values`
    /// (`None` when the record is disabled: it masters nothing then), and whether this app
    /// decides the user's lifecycle (it is the user's highest-priority source). Both are
    /// nothing when this app is not a profile source.
    fn master(
        &self,
        run: &Run,
        user: &User,
        values: Option<&Map<String, Value>>,
        others: Option<&Vec<(String, Map<String, Value>)>>,
    ) -> (Option<Map<String, Value>>, bool) {
        if !run.masters() {
            return (None, false);
        }
        let none = Map::new();
        let mut sources = vec![ProfileSource {
            app_id: &run.app.id,
            mastering: &run.app.mastering,
            values: values.unwrap_or(&none),
        }];
        for (app_id, v) in others.into_iter().flatten() {
            if let Some(app) = run.masters.get(app_id) {
                sources.push(ProfileSource {
                    app_id,
                    mastering: &app.mastering,
                    values: v,
                });
            }
        }
        let decides = lifecycle_master(&sources) == Some(run.app.id.as_str());
        let profile = values.map(|_| mastered_profile(&user.profile, &sources));
        (profile, decides)
    }

    fn record_for(
        run: &Run,
        m: Mapped,
        old: Option<&ImportRecord>,
        user_id: Option<String>,
        match_state: &str,
        pending: Option<Value>,
        mode: Mode,
    ) -> ImportRecord {
        let at = run.ctx.now;
        ImportRecord {
            app_id: run.app.id.clone(),
            external_id: m.external_id,
            user_id,
            user_name: m.user_name,
            status: if m.active { ACTIVE } else { INACTIVE }.into(),
            match_state: match_state.into(),
            pending_job: (match_state == PENDING).then(|| run.job.id.clone()),
            pending,
            profile: m.app_profile,
            digest: m.digest,
            modified: m.modified,
            seen_job: match (mode, old) {
                (Mode::Import, _) | (_, None) => run.job.id.clone(),
                (_, Some(old)) => old.seen_job.clone(),
            },
            created: old.map(|o| o.created).unwrap_or(at),
            updated: at,
        }
    }

    /// Source-driven lifecycle for a linked user: disabled (or removed) deactivates or
    /// suspends as `onDeactivate` says; enabled again reactivates.
    fn lifecycle_ops(run: &Run, user: &User, was_active: bool, active: bool) -> Vec<LifecycleOp> {
        if was_active && !active {
            match run.app.mastering.on_deactivate.as_str() {
                "DEACTIVATE" if user.status != UserStatus::Deprovisioned => {
                    vec![LifecycleOp::Deactivate]
                }
                "SUSPEND"
                    if !matches!(
                        user.status,
                        UserStatus::Suspended | UserStatus::Deprovisioned | UserStatus::Staged
                    ) =>
                {
                    vec![LifecycleOp::Suspend]
                }
                _ => Vec::new(),
            }
        } else if !was_active && active {
            match user.status {
                UserStatus::Deprovisioned => vec![LifecycleOp::Activate],
                UserStatus::Suspended => vec![LifecycleOp::Unsuspend],
                _ => Vec::new(),
            }
        } else {
            Vec::new()
        }
    }

    /// Stage, validate and write a batch of plans; then tell the observer and run the
    /// lifecycle changes.
    pub(crate) async fn apply_plans(
        &self,
        run: &mut Run,
        plans: Vec<Plan>,
        mode: Mode,
    ) -> Result<()> {
        run.ctx.now = now();
        let user_ids: Vec<String> = plans
            .iter()
            .filter_map(|p| match p {
                Plan::Linked { user, .. } | Plan::Link { user, .. } => Some(user.id.clone()),
                _ => None,
            })
            .collect();
        let others = self.other_sources(run, &user_ids).await?;
        let mut staged = Vec::with_capacity(plans.len());
        for plan in plans {
            staged.push(self.stage(run, plan, mode, &others));
        }
        self.validate(run, &mut staged).await?;
        let mut write = ImportWrite::default();
        let mut after = Vec::new();
        for s in &mut staged {
            self.finalize(run, s, &mut write, &mut after)?;
        }
        match self.write_step(run, &write, &after).await {
            Ok(()) => count_written(run, &write),
            Err(e @ (StoreError::Conflict { .. } | StoreError::VersionConflict { .. })) => {
                // A user changed, or a login was taken, since the batch read them: write the
                // records one by one so only the ones concerned fail.
                tracing::debug!(error = %e, "an import batch conflicted; writing it record by record");
                return self.write_one_by_one(run, staged).await;
            }
            Err(e) => return Err(e.into()),
        }
        self.after_write(run, after).await;
        Ok(())
    }

    async fn write_one_by_one(&self, run: &mut Run, staged: Vec<Staged>) -> Result<()> {
        for mut s in staged {
            let mut write = ImportWrite::default();
            let mut after = Vec::new();
            let change = s.change.take();
            let updating = match &change {
                Some(Change::Update { before, .. }) => Some(before.clone()),
                _ => None,
            };
            let record = s.record.clone();
            match change {
                Some(Change::Create { profile, activate }) => {
                    let (user, events) =
                        self.new_user(run, profile, activate, &record.external_id)?;
                    s.record.user_id = Some(user.id.clone());
                    write.new_users.push(user);
                    write.events.extend(events);
                }
                Some(Change::Update { before, profile }) => {
                    let mut user = before.as_ref().clone();
                    user.profile = profile;
                    user.last_updated = run.ctx.now;
                    write
                        .events
                        .push(self.update_event(run, &before, &user, &record));
                    write.updated_users.push((user.clone(), before.version));
                    after.push(After::Updated(Box::new(user)));
                }
                None => {}
            }
            write.events.extend(std::mem::take(&mut s.events));
            write.records.push(s.record.clone());
            match self.write_step(run, &write, &after).await {
                Ok(()) => {
                    count_written(run, &write);
                    for op in &s.ops {
                        if let Some(uid) = &s.record.user_id {
                            after.push(After::Lifecycle(uid.clone(), *op));
                        }
                    }
                    self.after_write(run, after).await;
                }
                Err(StoreError::Conflict { field, .. }) => {
                    // Another user took the value since the batch was validated: the record
                    // is refused as validation would have refused it.
                    let violations = [Violation::not_unique_within_org(field)];
                    let before = updating.as_deref();
                    let (event, issue) = refused(run, &violations, &record.external_id, before);
                    run.job.fail_record(issue);
                    let mut kept = record.clone();
                    if before.is_none() {
                        kept.match_state = ERROR.into();
                        kept.user_id = None;
                    }
                    self.store()
                        .write_import(
                            &ImportWrite {
                                records: vec![kept],
                                events: vec![event],
                                ..ImportWrite::default()
                            },
                            run.ctx.now,
                        )
                        .await?;
                }
                Err(StoreError::VersionConflict { id, .. }) => {
                    run.job.warn(ImportIssue {
                        code: "user_changed_during_import".into(),
                        message: format!("user {id} changed while the import read it; its profile was not updated"),
                        external_id: Some(record.external_id.clone()),
                        user_id: Some(id),
                        field: None,
                        line: None,
                        remediation: Some("run the import again (or Force Sync) to apply the source's values".into()),
                    });
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Stage one plan: its record, the user change, lifecycle operations, counts and events.
    fn stage(&self, run: &mut Run, plan: Plan, mode: Mode, others: &OtherSources) -> Staged {
        match plan {
            Plan::Linked { m, rec, user } => {
                let was_active = rec.status == ACTIVE;
                let changed = rec.digest != m.digest || was_active != m.active;
                if !changed && mode == Mode::Import {
                    run.job.counts.unchanged += 1;
                    let record = Self::record_for(
                        run,
                        m,
                        Some(&rec),
                        Some(user.id.clone()),
                        LINKED,
                        None,
                        mode,
                    );
                    return Staged {
                        record,
                        change: None,
                        ops: Vec::new(),
                        events: Vec::new(),
                    };
                }
                let values = m.active.then(|| effective_values(&m));
                let (profile, decides) =
                    self.master(run, &user, values.as_ref(), others.get(&user.id));
                let ops = if decides && mode != Mode::ForceSync {
                    Self::lifecycle_ops(run, &user, was_active, m.active)
                } else {
                    Vec::new()
                };
                let change = profile
                    .filter(|p| p != &user.profile)
                    .map(|profile| Change::Update {
                        before: Box::new(user.clone()),
                        profile,
                    });
                if changed {
                    run.job.counts.updated += 1;
                } else if change.is_none() {
                    run.job.counts.unchanged += 1;
                }
                let record = Self::record_for(
                    run,
                    m,
                    Some(&rec),
                    Some(user.id.clone()),
                    LINKED,
                    None,
                    mode,
                );
                Staged {
                    record,
                    change,
                    ops,
                    events: Vec::new(),
                }
            }
            Plan::Link {
                m,
                rec,
                user,
                kind,
                activate,
            } => {
                match kind {
                    MatchKind::Partial => run.job.counts.matched_partial += 1,
                    _ => run.job.counts.matched_exact += 1,
                }
                let values = m.active.then(|| effective_values(&m));
                let (profile, decides) =
                    self.master(run, &user, values.as_ref(), others.get(&user.id));
                let change = profile
                    .filter(|p| p != &user.profile)
                    .map(|profile| Change::Update {
                        before: Box::new(user.clone()),
                        profile,
                    });
                let mut ops = Vec::new();
                if activate && m.active && user.status == UserStatus::Staged {
                    ops.push(LifecycleOp::Activate);
                } else if decides && m.active {
                    // Linked (again) to its profile source, which has the account enabled: a
                    // user the source had deactivated or suspended comes back.
                    ops.extend(Self::lifecycle_ops(run, &user, false, true));
                }
                let event = run
                    .app_event(
                        "application.user_membership.add",
                        "Add user to application membership",
                    )
                    .with_target(&user.id, "User", Some(user.login()), None)
                    .with_debug("externalId", m.external_id.as_str())
                    .with_debug("match", kind.as_str());
                let record = Self::record_for(
                    run,
                    m,
                    rec.as_ref(),
                    Some(user.id.clone()),
                    LINKED,
                    None,
                    mode,
                );
                Staged {
                    record,
                    change,
                    ops,
                    events: vec![event],
                }
            }
            Plan::Create { m, rec, activate } => {
                let profile = new_profile(&m);
                let activate = activate && m.active;
                let record = Self::record_for(run, m, rec.as_ref(), None, LINKED, None, mode);
                Staged {
                    record,
                    change: Some(Change::Create { profile, activate }),
                    ops: Vec::new(),
                    events: Vec::new(),
                }
            }
            Plan::Pending {
                m,
                rec,
                kind,
                candidates,
            } => {
                run.job.counts.pending_confirmation += 1;
                if kind == MatchKind::New {
                    run.job.counts.unmatched += 1;
                }
                let pending = json!({
                    "match": kind.as_str(),
                    "candidates": candidates.iter().map(candidate_json).collect::<Vec<_>>(),
                    "proposedLogin": m.login,
                });
                let record =
                    Self::record_for(run, m, rec.as_ref(), None, PENDING, Some(pending), mode);
                Staged {
                    record,
                    change: None,
                    ops: Vec::new(),
                    events: Vec::new(),
                }
            }
            Plan::Ignored { m, rec } => {
                run.job.counts.unchanged += 1;
                let record = Self::record_for(run, m, Some(&rec), None, IGNORED, None, mode);
                Staged {
                    record,
                    change: None,
                    ops: Vec::new(),
                    events: Vec::new(),
                }
            }
        }
    }

    /// Validate every staged change (all violations at once) and the logins' uniqueness, in the
    /// directory and within the batch; a refused change is dropped with its event and issue.
    async fn validate(&self, run: &mut Run, staged: &mut [Staged]) -> Result<()> {
        // Logins that would be new to their user.
        let mut wanted: Vec<String> = Vec::new();
        for s in staged.iter() {
            match &s.change {
                Some(Change::Create { profile, .. }) => {
                    if let Some(l) = text(profile.get("login")) {
                        wanted.push(normalize_login(l));
                    }
                }
                Some(Change::Update { before, profile }) => {
                    if let Some(l) = text(profile.get("login")) {
                        if normalize_login(l) != normalize_login(before.login()) {
                            wanted.push(normalize_login(l));
                        }
                    }
                }
                None => {}
            }
        }
        let holders: HashMap<String, String> = if wanted.is_empty() {
            HashMap::new()
        } else {
            self.store()
                .users_by_logins(&wanted)
                .await?
                .into_iter()
                .map(|u| (normalize_login(u.login()), u.id))
                .collect()
        };
        let mut claimed: HashSet<String> = HashSet::new();
        // Unique attributes besides login (custom ones marked unique): rare, so checked one
        // changed value at a time, in the directory and within the batch.
        let unique: Vec<String> = run
            .schema
            .unique_attributes()
            .filter(|a| *a != "login")
            .map(str::to_owned)
            .collect();
        let mut claimed_values: HashSet<(String, String)> = HashSet::new();
        for s in staged.iter_mut() {
            let Some(change) = &s.change else { continue };
            let (profile, user_id) = match change {
                Change::Create { profile, .. } => (profile, None),
                Change::Update { before, profile } => (profile, Some(before.id.as_str())),
            };
            let mut violations = match run.schema.validate(profile) {
                Ok(()) => Vec::new(),
                Err(v) => v,
            };
            for attr in &unique {
                let Some(value) = text(profile.get(attr)) else {
                    continue;
                };
                let unchanged = match change {
                    Change::Update { before, .. } => text(before.profile.get(attr)) == Some(value),
                    Change::Create { .. } => false,
                };
                if unchanged || violations.iter().any(|v| &v.field == attr) {
                    continue;
                }
                let page = self
                    .store()
                    .list_users(&UserQuery {
                        filter: Some(attr_eq(attr, value)),
                        limit: 2,
                        ..UserQuery::default()
                    })
                    .await?;
                let held = page.items.iter().any(|u| Some(u.id.as_str()) != user_id);
                if held || !claimed_values.insert((attr.clone(), value.to_owned())) {
                    violations.push(Violation::not_unique_within_org(attr));
                }
            }
            if let Some(login) = text(profile.get("login")).map(normalize_login) {
                let changes_login = match change {
                    Change::Update { before, .. } => normalize_login(before.login()) != login,
                    Change::Create { .. } => true,
                };
                if changes_login && !violations.iter().any(|v| v.field == "login") {
                    let held = holders
                        .get(&login)
                        .is_some_and(|h| Some(h.as_str()) != user_id);
                    if held || !claimed.insert(login) {
                        violations.push(Violation::not_unique_within_org("login"));
                    }
                }
            }
            if violations.is_empty() {
                continue;
            }
            let before = match change {
                Change::Update { before, .. } => Some(before.as_ref()),
                Change::Create { .. } => None,
            };
            let (event, issue) = refused(run, &violations, &s.record.external_id, before);
            s.events.push(event);
            run.job.fail_record(issue);
            if before.is_none() {
                s.record.match_state = ERROR.into();
                s.record.user_id = None;
            }
            // The source's values stay on the app user: the next import tries again.
            s.change = None;
        }
        Ok(())
    }

    fn new_user(
        &self,
        run: &Run,
        profile: Map<String, Value>,
        activate: bool,
        external_id: &str,
    ) -> Result<(User, Vec<LogEvent>)> {
        let at = run.ctx.now;
        let mut user = User::new(
            make_id(IdKind::User, at, rand::random()),
            UserStatus::Staged,
            profile,
            Credentials {
                provider: provider_for(run),
                password_hash: None,
                password_history: Vec::new(),
            },
            at,
        );
        let mut events = vec![run
            .app_event("user.lifecycle.create", "Create Okta user")
            .with_target(&user.id, "User", Some(user.login()), None)
            .with_debug("externalId", external_id)];
        if activate {
            lifecycle::apply(&mut user, LifecycleOp::Activate, at)
                .map_err(|e| crate::error::ImportError::Directory(DirectoryError::from(e)))?;
            events.push(
                run.app_event("user.lifecycle.activate", "Activate Okta user")
                    .with_target(&user.id, "User", Some(user.login()), None),
            );
        }
        user.last_updated = at;
        Ok((user, events))
    }

    fn update_event(
        &self,
        run: &Run,
        before: &User,
        after: &User,
        record: &ImportRecord,
    ) -> LogEvent {
        let changed = changed_attributes(&before.profile, &after.profile);
        let changes: Map<String, Value> = changed
            .iter()
            .map(|k| {
                (
                    k.clone(),
                    json!({ "from": before.profile.get(k), "to": after.profile.get(k) }),
                )
            })
            .collect();
        run.app_event(
            "user.account.update_profile",
            "Update user profile for Okta",
        )
        .with_target(&after.id, "User", Some(after.login()), None)
        .with_debug("source", "PROFILE_MASTERING")
        .with_debug("externalId", record.external_id.as_str())
        .with_debug("changedAttributes", changed.join(","))
        .with_debug("changes", Value::Object(changes))
    }

    /// Turn a validated staged record into the batch's writes.
    fn finalize(
        &self,
        run: &mut Run,
        s: &mut Staged,
        write: &mut ImportWrite,
        after: &mut Vec<After>,
    ) -> Result<()> {
        match &s.change {
            Some(Change::Create { profile, activate }) => {
                let (user, events) =
                    self.new_user(run, profile.clone(), *activate, &s.record.external_id)?;
                s.record.user_id = Some(user.id.clone());
                write.events.extend(events);
                write.new_users.push(user);
            }
            Some(Change::Update { before, profile }) => {
                let mut user = before.as_ref().clone();
                user.profile = profile.clone();
                user.last_updated = run.ctx.now;
                write
                    .events
                    .push(self.update_event(run, before, &user, &s.record));
                write.updated_users.push((user.clone(), before.version));
                after.push(After::Updated(Box::new(user)));
            }
            None => {}
        }
        if let Some(uid) = &s.record.user_id {
            for op in &s.ops {
                after.push(After::Lifecycle(uid.clone(), *op));
            }
        }
        write.events.extend(s.events.iter().cloned());
        write.records.push(s.record.clone());
        Ok(())
    }

    /// Write one step of an import with the change outbox entries of the profiles it changes
    /// (so their pushes cannot be lost), then let the directory's observer act on them.
    async fn write_step(
        &self,
        run: &Run,
        write: &ImportWrite,
        after: &[After],
    ) -> std::result::Result<(), StoreError> {
        let changes: Vec<DirectoryChange<'_>> = after
            .iter()
            .filter_map(|a| match a {
                After::Updated(user) => Some(DirectoryChange::ProfileUpdated { user }),
                After::Lifecycle(..) => None,
            })
            .collect();
        let staged = self.directory().stage(&changes, run.ctx.now);
        staged.store().write_import(write, run.ctx.now).await?;
        self.directory().committed(staged).await;
        Ok(())
    }

    /// Run the lifecycle operations the sources asked for (each through the directory, with its
    /// own events and outbox entries). Profile changes were acted on by [`Self::write_step`].
    async fn after_write(&self, run: &mut Run, after: Vec<After>) {
        for a in after {
            match a {
                After::Updated(_) => {}
                After::Lifecycle(user_id, op) => {
                    match self.directory().lifecycle(&run.ctx, &user_id, op, false).await {
                        Ok(_) => match op {
                            LifecycleOp::Deactivate | LifecycleOp::Suspend => {
                                run.job.counts.deactivated += 1
                            }
                            _ => run.job.counts.activated += 1,
                        },
                        Err(e) => run.job.warn(ImportIssue {
                            code: e.code().into(),
                            message: format!("the source asked to {} user {user_id}, and the directory refused: {}", op.as_str(), e.cause()),
                            external_id: None,
                            user_id: Some(user_id.clone()),
                            field: e.field(),
                            line: None,
                            remediation: Some(e.remediation()),
                        }),
                    }
                }
            }
        }
    }

    // ---- confirmation, Force Sync, removals ----------------------------------------------

    /// Apply an administrator's confirmation, then add the linked users to the app's groups
    /// that hold their records.
    pub(crate) async fn confirm_records(
        &self,
        run: &mut Run,
        records: Vec<(ImportRecord, ConfirmAction)>,
        activate: bool,
    ) -> Result<()> {
        for chunk in records.chunks(self.inner.settings.batch_size.max(1)) {
            let mut wanted: Vec<String> = Vec::new();
            for (r, action) in chunk {
                match action {
                    ConfirmAction::Link(Some(id)) => wanted.push(id.clone()),
                    ConfirmAction::Link(None) => wanted.extend(pending_candidates(r)),
                    _ => {}
                }
            }
            let users = self.users_of(&wanted).await?;
            let mut plans = Vec::new();
            for (r, action) in chunk {
                let m = map_record(
                    run.app.name,
                    &run.schema,
                    &run.app.inbound,
                    SourceRecord {
                        external_id: r.external_id.clone(),
                        attributes: r.profile.clone(),
                        modified: r.modified.clone(),
                    },
                );
                let kind =
                    crate::matching::MatchKind::parse(&pending_kind(r)).unwrap_or(MatchKind::Exact);
                let plan = match action {
                    ConfirmAction::Link(chosen) => {
                        let id = chosen
                            .clone()
                            .or_else(|| pending_candidates(r).into_iter().next());
                        match id.and_then(|id| users.get(&id).cloned()) {
                            Some(user) => Plan::Link {
                                m,
                                rec: Some(r.clone()),
                                user,
                                kind,
                                activate,
                            },
                            None => {
                                run.job.fail_record(ImportIssue {
                                    code: "not_found".into(),
                                    message: "the user to link does not exist".into(),
                                    external_id: Some(r.external_id.clone()),
                                    user_id: chosen.clone(),
                                    field: Some("userId".into()),
                                    line: None,
                                    remediation: Some(
                                        "send the id of an existing user, or action CREATE".into(),
                                    ),
                                });
                                continue;
                            }
                        }
                    }
                    ConfirmAction::Create => Plan::Create {
                        m,
                        rec: Some(r.clone()),
                        activate,
                    },
                    ConfirmAction::Ignore => Plan::Ignored { m, rec: r.clone() },
                };
                plans.push(plan);
            }
            let n = plans.len() as u64;
            let counted_before = (run.job.counts.matched_exact, run.job.counts.matched_partial);
            self.apply_plans(run, plans, Mode::Confirm).await?;
            // Confirmation counts as confirmed, not as matching done by the import.
            run.job.counts.matched_exact = counted_before.0;
            run.job.counts.matched_partial = counted_before.1;
            run.job.counts.confirmed += n;
            run.job.counts.pending_confirmation =
                run.job.counts.pending_confirmation.saturating_sub(n);
            let ids: Vec<String> = chunk.iter().map(|(r, _)| r.external_id.clone()).collect();
            let linked: Vec<(String, String)> = self
                .store()
                .import_records(&run.app.id, &ids)
                .await?
                .into_iter()
                .filter(|r| r.match_state == LINKED && r.status == ACTIVE)
                .filter_map(|r| r.user_id.map(|u| (r.external_id, u)))
                .collect();
            self.join_groups(run, &linked).await?;
        }
        Ok(())
    }

    /// Force Sync: re-apply the profile source's values to every linked user, reading nothing.
    pub(crate) async fn force_sync(&self, run: &mut Run) -> Result<()> {
        let mut after = None;
        loop {
            let page = self
                .store()
                .list_import_records(
                    &run.app.id,
                    &ImportRecordQuery {
                        linked_only: true,
                        after: after.clone(),
                        limit: u32::try_from(self.inner.settings.batch_size).unwrap_or(1000),
                        ..ImportRecordQuery::default()
                    },
                )
                .await?;
            let ids: Vec<String> = page
                .items
                .iter()
                .filter(|r| r.match_state == LINKED)
                .filter_map(|r| r.user_id.clone())
                .collect();
            let mut users = self.users_of(&ids).await?;
            let mut plans = Vec::new();
            for rec in page.items {
                // A record the source removed or disabled masters nothing.
                if rec.match_state != LINKED || rec.status != ACTIVE {
                    continue;
                }
                let Some(user) = rec.user_id.as_ref().and_then(|id| users.remove(id)) else {
                    continue;
                };
                run.job.counts.scanned += 1;
                let m = map_record(
                    run.app.name,
                    &run.schema,
                    &run.app.inbound,
                    SourceRecord {
                        external_id: rec.external_id.clone(),
                        attributes: rec.profile.clone(),
                        modified: rec.modified.clone(),
                    },
                );
                plans.push(Plan::Linked { m, rec, user });
            }
            self.apply_plans(run, plans, Mode::ForceSync).await?;
            self.progress(run).await?;
            if run.cancelled() {
                return Ok(());
            }
            match page.next_after {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        Ok(())
    }

    /// A full import's removals: the ACTIVE records it did not read become INACTIVE, and the
    /// app's profile sourcing decides what happens to their users. The import safeguard pauses
    /// the job first when the share of the app's linked users it would remove is above its
    /// threshold (unless `resumed`).
    pub(crate) async fn removals(&self, run: &mut Run, resumed: bool) -> Result<()> {
        let job_id = run.job.id.clone();
        let app_id = run.app.id.clone();
        let query = |after: Option<String>| ImportRecordQuery {
            unseen_by: Some(job_id.clone()),
            after,
            limit: 1000,
            ..ImportRecordQuery::default()
        };
        let mut linked_removals = 0u64;
        let mut after = None;
        loop {
            let page = self
                .store()
                .list_import_records(&app_id, &query(after))
                .await?;
            linked_removals += page
                .items
                .iter()
                .filter(|r| r.match_state == LINKED && r.user_id.is_some())
                .count() as u64;
            match page.next_after {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        let assigned = u64::try_from(
            self.store()
                .count_linked_import_records(&run.app.id)
                .await?,
        )
        .unwrap_or(0);
        let inbound = &run.app.inbound;
        if !resumed
            && inbound.safeguard_enabled
            && assigned > 0
            && linked_removals * 100 > u64::from(inbound.safeguard_percent) * assigned
        {
            run.job.status = JobStatus::Paused;
            run.job.safeguard = Some(Safeguard {
                removals: linked_removals,
                assigned,
                percent: inbound.safeguard_percent,
            });
            run.job.warn(ImportIssue {
                code: "import_safeguard".into(),
                message: format!(
                    "the import would unassign {linked_removals} of the app's {assigned} users ({:.1}%), more than the safeguard's {}%: it is paused before removing anyone",
                    linked_removals as f64 * 100.0 / assigned as f64,
                    inbound.safeguard_percent
                ),
                external_id: None,
                user_id: None,
                field: None,
                line: None,
                remediation: Some("if the source really lost these users, resume the import (POST .../imports/{jobId}/resume); if the source is wrong (a bad filter or base DN), cancel it (POST .../imports/{jobId}/cancel) and fix the source".into()),
            });
            return Ok(());
        }
        loop {
            run.ctx.now = now();
            let page = self
                .store()
                .list_import_records(&app_id, &query(None))
                .await?;
            if page.items.is_empty() {
                break;
            }
            let user_ids: Vec<String> = page
                .items
                .iter()
                .filter_map(|r| r.user_id.clone())
                .collect();
            let users = self.users_of(&user_ids).await?;
            let others = self.other_sources(run, &user_ids).await?;
            let mut write = ImportWrite::default();
            let mut after = Vec::new();
            for mut r in page.items {
                r.status = INACTIVE.into();
                r.updated = run.ctx.now;
                run.job.counts.removed += 1;
                if let Some(user) = r.user_id.as_ref().and_then(|id| users.get(id)) {
                    let mut event = run
                        .app_event(
                            "application.user_membership.remove",
                            "Remove user from application membership",
                        )
                        .with_target(&user.id, "User", Some(user.login()), None)
                        .with_debug("externalId", r.external_id.as_str())
                        .with_debug("reason", "the record is no longer in the source");
                    event.severity = Severity::Info;
                    write.events.push(event);
                    let (_, decides) = self.master(run, user, None, others.get(&user.id));
                    if decides && r.match_state == LINKED {
                        for op in Self::lifecycle_ops(run, user, true, false) {
                            after.push(After::Lifecycle(user.id.clone(), op));
                        }
                    }
                }
                write.records.push(r);
            }
            self.store().write_import(&write, run.ctx.now).await?;
            self.after_write(run, after).await;
            self.progress(run).await?;
        }
        Ok(())
    }
}
