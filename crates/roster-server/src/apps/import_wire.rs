//! The Okta-shaped JSON of import sources: the `INBOUND_PROVISIONING` and `PROFILE_MASTERING`
//! features, import jobs, the records waiting for confirmation, and imported app users.

use roster_imports::{ImportJob, SubjobState};
use roster_provisioning::{
    App, AttributeOverride, InboundProvisioning, MatchCriteria, ProfileMastering,
};
use roster_store::ImportRecord;
use serde_json::{json, Map, Value};

use crate::error::ApiError;

fn status(enabled: bool) -> &'static str {
    if enabled {
        "ENABLED"
    } else {
        "DISABLED"
    }
}

fn criteria_out(c: &MatchCriteria) -> Value {
    match c {
        MatchCriteria::Username => json!("USERNAME"),
        MatchCriteria::Email => json!("EMAIL"),
        MatchCriteria::Attributes(names) => json!(names),
    }
}

pub fn inbound_out(app: &App, base: &str) -> Value {
    let i = &app.inbound;
    json!({
        "name": "INBOUND_PROVISIONING",
        "status": status(i.enabled),
        "description": "Imports of users and groups from this app into Roster",
        "capabilities": {
            "importSettings": {
                "username": {
                    "userNameFormat": i.username_format,
                    "usernameDomain": i.username_domain,
                },
                "schedule": {
                    "status": status(i.schedule_enabled),
                    "fullImport": { "intervalMinutes": i.full_import_minutes },
                    "incrementalImport": { "intervalMinutes": i.incremental_import_minutes },
                },
                "safeguard": {
                    "status": status(i.safeguard_enabled),
                    "percent": i.safeguard_percent,
                },
            },
            "importRules": {
                "userCreateAndMatch": {
                    "exactMatchCriteria": criteria_out(&i.exact_match),
                    "allowPartialMatch": i.allow_partial_match,
                    "autoConfirmPartialMatch": i.auto_confirm_partial_match,
                    "autoConfirmExactMatch": i.auto_confirm_exact_match,
                    "autoConfirmNewUsers": i.auto_confirm_new_users,
                    "autoActivateNewUsers": i.auto_activate_new_users,
                    "caseSensitive": i.case_sensitive,
                }
            }
        },
        "_links": { "self": { "href": format!("{base}/api/v1/apps/{}/features/INBOUND_PROVISIONING", app.id) } }
    })
}

pub fn mastering_out(app: &App, base: &str) -> Value {
    let m = &app.mastering;
    json!({
        "name": "PROFILE_MASTERING",
        "status": status(m.enabled),
        "description": "This app is a profile source: its imports update the profiles of its users",
        "priority": m.priority,
        "onDeactivate": m.on_deactivate,
        "attributeOverrides": m.attribute_overrides,
        "_links": { "self": { "href": format!("{base}/api/v1/apps/{}/features/PROFILE_MASTERING", app.id) } }
    })
}

/// `ENABLED`/`DISABLED` at `pointer`, when present.
fn flag(body: &Value, pointer: &str, field: &str) -> Result<Option<bool>, ApiError> {
    match body.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("ENABLED") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("DISABLED") => Ok(Some(false)),
        Some(other) => Err(ApiError::validation(
            field,
            format!("{other} is not ENABLED or DISABLED"),
        )
        .with_remediation("send \"ENABLED\" or \"DISABLED\"")),
    }
}

fn boolean(body: &Value, pointer: &str, field: &str) -> Result<Option<bool>, ApiError> {
    match body.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(
            ApiError::validation(field, format!("{other} is not true or false"))
                .with_remediation("send true or false"),
        ),
    }
}

fn minutes(body: &Value, pointer: &str, field: &str) -> Result<Option<Option<u32>>, ApiError> {
    match body.pointer(pointer) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Ok(Some(Some(n))),
            None => Err(
                ApiError::validation(field, format!("{v} is not a number of minutes"))
                    .with_remediation("send a whole number of minutes (5 or more), or null"),
            ),
        },
    }
}

/// `PUT .../features/INBOUND_PROVISIONING`: the keys sent change the current settings; the
/// others keep their values.
pub fn inbound_in(
    body: &Value,
    current: &InboundProvisioning,
) -> Result<InboundProvisioning, ApiError> {
    let mut i = current.clone();
    let caps = body.get("capabilities").cloned().unwrap_or(Value::Null);
    if let Some(enabled) = flag(body, "/status", "status")? {
        i.enabled = enabled;
    }
    let settings = "capabilities.importSettings";
    if let Some(v) = caps.pointer("/importSettings/username/userNameFormat") {
        match v.as_str() {
            Some(s) => i.username_format = s.to_ascii_uppercase(),
            None => {
                return Err(ApiError::validation(
                    &format!("{settings}.username.userNameFormat"),
                    format!("{v} is not a username format"),
                )
                .with_remediation("send MAPPED, EMAIL, USERNAME or USERNAME_DOMAIN"))
            }
        }
    }
    match caps.pointer("/importSettings/username/usernameDomain") {
        None => {}
        Some(Value::Null) => i.username_domain = None,
        Some(Value::String(s)) => i.username_domain = Some(s.trim().to_owned()),
        Some(v) => {
            return Err(ApiError::validation(
                &format!("{settings}.username.usernameDomain"),
                format!("{v} is not a domain"),
            )
            .with_remediation("send a domain such as \"example.com\""))
        }
    }
    if let Some(s) = flag(
        &caps,
        "/importSettings/schedule/status",
        &format!("{settings}.schedule.status"),
    )? {
        i.schedule_enabled = s;
    }
    if let Some(m) = minutes(
        &caps,
        "/importSettings/schedule/fullImport/intervalMinutes",
        &format!("{settings}.schedule.fullImport.intervalMinutes"),
    )? {
        i.full_import_minutes = m;
    }
    if let Some(m) = minutes(
        &caps,
        "/importSettings/schedule/incrementalImport/intervalMinutes",
        &format!("{settings}.schedule.incrementalImport.intervalMinutes"),
    )? {
        i.incremental_import_minutes = m;
    }
    if let Some(s) = flag(
        &caps,
        "/importSettings/safeguard/status",
        &format!("{settings}.safeguard.status"),
    )? {
        i.safeguard_enabled = s;
    }
    if let Some(v) = caps.pointer("/importSettings/safeguard/percent") {
        match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => i.safeguard_percent = n,
            None => {
                return Err(ApiError::validation(
                    &format!("{settings}.safeguard.percent"),
                    format!("{v} is not a percentage"),
                )
                .with_remediation("send a whole number from 1 to 100"))
            }
        }
    }
    let rules = "capabilities.importRules.userCreateAndMatch";
    let base = "/importRules/userCreateAndMatch";
    if let Some(v) = caps.pointer(&format!("{base}/exactMatchCriteria")) {
        i.exact_match =
            match v {
                Value::String(s) if s.eq_ignore_ascii_case("USERNAME") => MatchCriteria::Username,
                Value::String(s) if s.eq_ignore_ascii_case("EMAIL") => MatchCriteria::Email,
                Value::Array(items) => {
                    let mut names = Vec::new();
                    for item in items {
                        match item.as_str() {
                            Some(n) if !n.trim().is_empty() => names.push(n.trim().to_owned()),
                            _ => return Err(ApiError::validation(
                                &format!("{rules}.exactMatchCriteria"),
                                format!("{item} is not an attribute name"),
                            )
                            .with_remediation(
                                "send a list of profile attribute names, e.g. [\"employeeNumber\"]",
                            )),
                        }
                    }
                    MatchCriteria::Attributes(names)
                }
                other => {
                    return Err(ApiError::validation(
                        &format!("{rules}.exactMatchCriteria"),
                        format!("{other} is not a match criterion"),
                    )
                    .with_remediation(
                        "send \"USERNAME\", \"EMAIL\", or a list of profile attribute names",
                    ))
                }
            };
    }
    for (key, slot) in [
        ("allowPartialMatch", &mut i.allow_partial_match),
        ("autoConfirmPartialMatch", &mut i.auto_confirm_partial_match),
        ("autoConfirmExactMatch", &mut i.auto_confirm_exact_match),
        ("autoConfirmNewUsers", &mut i.auto_confirm_new_users),
        ("autoActivateNewUsers", &mut i.auto_activate_new_users),
        ("caseSensitive", &mut i.case_sensitive),
    ] {
        if let Some(b) = boolean(&caps, &format!("{base}/{key}"), &format!("{rules}.{key}"))? {
            *slot = b;
        }
    }
    Ok(i)
}

/// `PUT .../features/PROFILE_MASTERING`: `{"status", "priority", "onDeactivate",
/// "attributeOverrides": {"title": {"mastered": false}, "mobilePhone": {"priority": 0}}}`; the
/// keys sent change the current settings.
pub fn mastering_in(
    body: &Value,
    current: &ProfileMastering,
) -> Result<ProfileMastering, ApiError> {
    let mut m = current.clone();
    if let Some(enabled) = flag(body, "/status", "status")? {
        m.enabled = enabled;
    }
    match body.get("priority") {
        None | Some(Value::Null) => {}
        Some(v) => match v.as_i64() {
            Some(p) => m.priority = p,
            None => {
                return Err(
                    ApiError::validation("priority", format!("{v} is not a priority"))
                        .with_remediation("send a whole number of 0 or more; 0 is the highest"),
                )
            }
        },
    }
    match body.get("onDeactivate") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => m.on_deactivate = s.to_ascii_uppercase(),
        Some(v) => {
            return Err(
                ApiError::validation("onDeactivate", format!("{v} is not an action"))
                    .with_remediation("send DEACTIVATE, SUSPEND or NONE"),
            )
        }
    }
    match body.get("attributeOverrides") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            let mut overrides = std::collections::BTreeMap::new();
            for (name, v) in map {
                let o: AttributeOverride = serde_json::from_value(v.clone()).map_err(|_| {
                    ApiError::validation(
                        &format!("attributeOverrides.{name}"),
                        format!("{v} is not an attribute override"),
                    )
                    .with_remediation("send {\"mastered\": false} or {\"priority\": N}")
                })?;
                overrides.insert(name.clone(), o);
            }
            m.attribute_overrides = overrides;
        }
        Some(v) => {
            return Err(
                ApiError::validation("attributeOverrides", format!("{v} is not an object"))
                    .with_remediation("send an object keyed by profile attribute name"),
            )
        }
    }
    Ok(m)
}

/// An import job, with the outcome of the Group Pushes it set off.
pub fn job_out(job: &ImportJob, subjobs: &[SubjobState], base: &str) -> Value {
    let app = format!("{base}/api/v1/apps/{}", job.app_id);
    let href = format!("{app}/imports/{}", job.id);
    let mut warnings: Vec<Value> = job
        .warnings
        .iter()
        .map(|w| serde_json::to_value(w).unwrap_or(Value::Null))
        .collect();
    for s in subjobs.iter().filter(|s| s.status == "FAILED") {
        let task = s.task_id.clone().unwrap_or_default();
        warnings.push(json!({
            "code": "group_push_failed",
            "message": format!(
                "the import added users to group {:?}, and app {} ({}) failed to push it by mapping {}: {}. The import and the users' activation do not depend on it.",
                s.subjob.group_name,
                s.subjob.app_label,
                s.subjob.app_id,
                s.subjob.mapping_id,
                s.error_summary.clone().unwrap_or_else(|| "see its task".into())
            ),
            "appId": s.subjob.app_id,
            "mappingId": s.subjob.mapping_id,
            "taskId": s.task_id,
            "remediation": format!(
                "fix app {}'s provisioning connection (a new API token), then retry task {task}: POST /api/v1/tasks/{task}/retry; or remove the mapping",
                s.subjob.app_label
            ),
        }));
    }
    let mut counts = serde_json::to_value(&job.counts).unwrap_or(Value::Null);
    counts["warnings"] = json!(
        warnings.len() as u64
            + job
                .counts
                .warnings
                .saturating_sub(job.warnings.len() as u64)
    );
    json!({
        "id": job.id,
        "appId": job.app_id,
        "appLabel": job.app_label,
        "type": job.kind.as_str(),
        "forceSync": job.force_sync,
        "status": job.status.as_str(),
        "phase": job.phase,
        "source": job.source,
        "requestedBy": job.requested_by,
        "created": job.created,
        "lastUpdated": job.last_updated,
        "finished": job.finished,
        "counts": counts,
        "progress": { "scanned": job.counts.scanned, "expected": job.expected_records },
        "warnings": warnings,
        "errors": job.errors,
        "subjobs": subjobs.iter().map(|s| json!({
            "type": "GROUP_PUSH",
            "appId": s.subjob.app_id,
            "appLabel": s.subjob.app_label,
            "mappingId": s.subjob.mapping_id,
            "groupId": s.subjob.group_id,
            "groupName": s.subjob.group_name,
            "status": s.status,
            "taskId": s.task_id,
            "errorSummary": s.error_summary,
        })).collect::<Vec<_>>(),
        "safeguard": job.safeguard,
        "error": job.error,
        "_links": {
            "self": { "href": href },
            "app": { "href": app },
            "users": { "href": format!("{href}/users") },
            "confirm": { "href": format!("{href}/confirm"), "hints": { "allow": ["POST"] } },
            "resume": { "href": format!("{href}/resume"), "hints": { "allow": ["POST"] } },
            "cancel": { "href": format!("{href}/cancel"), "hints": { "allow": ["POST"] } },
        }
    })
}

/// A record waiting for confirmation.
pub fn pending_out(r: &ImportRecord) -> Value {
    let pending = r.pending.clone().unwrap_or(Value::Null);
    json!({
        "externalId": r.external_id,
        "userName": r.user_name,
        "status": r.status,
        "match": pending.get("match").cloned().unwrap_or(json!("NEW")),
        "proposedLogin": pending.get("proposedLogin").cloned().unwrap_or(Value::Null),
        "candidates": pending.get("candidates").cloned().unwrap_or(json!([])),
        "profile": r.profile,
        "lastUpdated": r.updated,
    })
}

/// An imported app user (Okta's AppUser of an import source).
pub fn imported_user_out(r: &ImportRecord, base: &str) -> Value {
    let mut links = Map::new();
    links.insert(
        "app".into(),
        json!({ "href": format!("{base}/api/v1/apps/{}", r.app_id) }),
    );
    if let Some(uid) = &r.user_id {
        links.insert(
            "user".into(),
            json!({ "href": format!("{base}/api/v1/users/{uid}") }),
        );
    }
    json!({
        "id": r.user_id,
        "externalId": r.external_id,
        "created": r.created,
        "lastUpdated": r.updated,
        "scope": "USER",
        "status": if r.status == "ACTIVE" { "ACTIVE" } else { "DEPROVISIONED" },
        "syncState": "SYNCHRONIZED",
        "matchState": r.match_state,
        "credentials": { "userName": r.user_name },
        "profile": r.profile,
        "_links": Value::Object(links),
    })
}
