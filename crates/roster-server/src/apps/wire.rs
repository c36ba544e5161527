//! The Okta-shaped JSON of apps, connections, features, app users and tasks.

use roster_provisioning::{App, AppGroup, AppUser, TaskRecord, UserProvisioning};
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::error::ApiError;

fn status(enabled: bool) -> &'static str {
    if enabled {
        "ENABLED"
    } else {
        "DISABLED"
    }
}

pub fn app_out(app: &App, base: &str) -> Value {
    let p = &app.provisioning;
    let mut features = Vec::new();
    if p.enabled && p.create {
        features.push("PUSH_NEW_USERS");
    }
    if p.enabled && p.update_profile {
        features.push("PUSH_PROFILE_UPDATES");
    }
    if p.enabled && p.password_sync {
        features.push("PUSH_PASSWORD_UPDATES");
    }
    if p.enabled && p.deactivate {
        features.push("PUSH_USER_DEACTIVATION");
    }
    if app.inbound.enabled {
        features.push("IMPORT_NEW_USERS");
        features.push("IMPORT_PROFILE_UPDATES");
    }
    if app.mastering.enabled {
        features.push("PROFILE_MASTERING");
    }
    let href = format!("{base}/api/v1/apps/{}", app.id);
    if app.name.is_ldap() {
        // An LDAP source's settings, without its bind password (sealed, never returned).
        let mut settings = app
            .source
            .as_ref()
            .map(|s| s.settings.clone())
            .unwrap_or_default();
        settings.insert(
            "bindPasswordSet".into(),
            json!(app
                .source
                .as_ref()
                .is_some_and(|s| s.sealed_secret.is_some())),
        );
        return json!({
            "id": app.id,
            "name": app.name.as_str(),
            "label": app.label,
            "status": app.status,
            "created": app.created,
            "lastUpdated": app.last_updated,
            "features": features,
            "settings": { "app": settings },
            "_links": {
                "self": { "href": href },
                "users": { "href": format!("{href}/users") },
                "features": { "href": format!("{href}/features") },
                "imports": { "href": format!("{href}/imports") },
            }
        });
    }
    json!({
        "id": app.id,
        "name": app.name.as_str(),
        "label": app.label,
        "status": app.status,
        "created": app.created,
        "lastUpdated": app.last_updated,
        "signOnMode": "SAML_2_0",
        "features": features,
        // `deprovisionAction`: what deprovisioning (unassignment or user deactivation, with
        // update.lifecycleDeactivate enabled) does to the target user: DEACTIVATE (the default)
        // or DELETE.
        "settings": { "app": {
            "baseUrl": app.base_url,
            "deprovisionAction": app.deprovision_action,
            // The target's password policy (SCIM targets), checked by transformation previews.
            "targetPasswordPolicy": app.target_password_policy.as_ref().map(|p| json!({
                "complexity": p.settings.password.complexity,
            })),
        } },
        "_links": {
            "self": { "href": href },
            "users": { "href": format!("{href}/users") },
            "groups": { "href": format!("{href}/groups") },
            "connection": { "href": format!("{href}/connections/default") },
            "features": { "href": format!("{href}/features") },
            "transformations": { "href": format!("{href}/transformations") },
            "imports": { "href": format!("{href}/imports") },
        }
    })
}

/// The connection, without its token (never returned).
pub fn connection_out(app: &App, base: &str) -> Value {
    let (scheme, st) = match &app.connection {
        Some(c) => (c.auth_scheme.as_str(), c.status.as_str()),
        None => ("TOKEN", "DISABLED"),
    };
    json!({
        "authScheme": scheme,
        "status": st,
        "profile": { "authScheme": scheme },
        "_links": { "app": { "href": format!("{base}/api/v1/apps/{}", app.id) } }
    })
}

/// The API token of `POST /apps/{id}/connections/default`'s
/// `{"profile":{"authScheme":"TOKEN","token":"..."}}`.
pub fn connection_in(body: &Value) -> Result<SecretString, ApiError> {
    let text = |pointer: &str| body.pointer(pointer).and_then(Value::as_str);
    let scheme = text("/profile/authScheme").unwrap_or("TOKEN");
    if !scheme.eq_ignore_ascii_case("TOKEN") {
        return Err(ApiError::validation(
            "profile.authScheme",
            format!("{scheme:?} is not supported"),
        )
        .with_remediation("send profile.authScheme TOKEN with profile.token"));
    }
    let Some(token) = text("/profile/token").filter(|t| !t.trim().is_empty()) else {
        return Err(ApiError::validation(
            "profile.token",
            "a TOKEN connection needs the API token",
        )
        .with_remediation("send {\"profile\":{\"authScheme\":\"TOKEN\",\"token\":\"...\"}}"));
    };
    Ok(SecretString::from(token.trim().to_owned()))
}

pub fn feature_out(app: &App, base: &str) -> Value {
    let p = &app.provisioning;
    json!({
        "name": "USER_PROVISIONING",
        "status": status(p.enabled),
        "description": "User provisioning settings from Roster to a downstream app",
        "capabilities": {
            "create": { "lifecycleCreate": { "status": status(p.create) } },
            "update": {
                "profile": { "status": status(p.update_profile) },
                "lifecycleDeactivate": { "status": status(p.deactivate) },
                "password": {
                    "status": status(p.password_sync),
                    "seed": p.password_seed,
                    "change": p.password_change,
                }
            }
        },
        "_links": { "self": { "href": format!("{base}/api/v1/apps/{}/features/USER_PROVISIONING", app.id) } }
    })
}

/// Read Okta's capabilities object (bare, or under `capabilities`).
pub fn feature_in(body: &Value) -> Result<UserProvisioning, ApiError> {
    let caps = body.get("capabilities").unwrap_or(body);
    let flag = |pointer: &str| -> Result<Option<bool>, ApiError> {
        match caps.pointer(pointer).and_then(Value::as_str) {
            None => Ok(None),
            Some(s) if s.eq_ignore_ascii_case("ENABLED") => Ok(Some(true)),
            Some(s) if s.eq_ignore_ascii_case("DISABLED") => Ok(Some(false)),
            Some(other) => Err(ApiError::validation(
                &format!("capabilities{}", pointer.replace('/', ".")),
                format!("{other:?} is not ENABLED or DISABLED"),
            )
            .with_remediation("send ENABLED or DISABLED")),
        }
    };
    let create = flag("/create/lifecycleCreate/status")?.unwrap_or(false);
    let update_profile = flag("/update/profile/status")?.unwrap_or(false);
    let deactivate = flag("/update/lifecycleDeactivate/status")?.unwrap_or(false);
    let password_sync = flag("/update/password/status")?.unwrap_or(false);
    let text = |pointer: &str, default: &str| {
        caps.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_ascii_uppercase()
    };
    Ok(UserProvisioning {
        enabled: create || update_profile || deactivate || password_sync,
        create,
        update_profile,
        deactivate,
        password_sync,
        password_seed: text("/update/password/seed", "RANDOM"),
        password_change: text("/update/password/change", "KEEP_EXISTING"),
    })
}

pub fn app_user_out(au: &AppUser, base: &str) -> Value {
    let mut links = json!({
        "app": { "href": format!("{base}/api/v1/apps/{}", au.app_id) },
        "user": { "href": format!("{base}/api/v1/users/{}", au.user_id) },
    });
    if let Some(task) = &au.task_id {
        links["task"] = json!({ "href": format!("{base}/api/v1/tasks/{task}") });
    }
    json!({
        "id": au.user_id,
        "externalId": au.external_id,
        "created": au.created,
        "lastUpdated": au.last_updated,
        "scope": au.scope,
        "status": au.status,
        "syncState": au.sync_state,
        "lastSync": au.last_sync,
        "passwordChanged": au.password_changed,
        // WAITING_FOR_SIGN_IN: pushed without a password (it predates the app's password sync),
        // the user's next sign-in captures it; CAPTURED_AT_SIGN_IN: its push is queued.
        "passwordState": au.password_state,
        "credentials": { "userName": au.user_name },
        "profile": {},
        "_links": links,
    })
}

pub fn task_out(t: &TaskRecord, base: &str) -> Value {
    let href = format!("{base}/api/v1/tasks/{}", t.id);
    if t.operation == roster_provisioning::PUSH_GROUP {
        return group_push_task_out(t, base, &href);
    }
    let mut out = json!({
        "id": t.id,
        "status": t.status,
        "operation": t.operation,
        "appId": t.app_id,
        "userId": t.user_id,
        "attempts": t.attempts,
        "created": t.created,
        "lastUpdated": t.updated,
        "lastError": t.last_error,
        "_links": {
            "self": { "href": href },
            "retry": { "href": format!("{href}/retry"), "hints": { "allow": ["POST"] } },
            "dismiss": { "href": format!("{href}/dismiss"), "hints": { "allow": ["POST"] } },
            "app": { "href": format!("{base}/api/v1/apps/{}", t.app_id) },
            "user": { "href": format!("{base}/api/v1/users/{}", t.user_id) },
        }
    });
    // A mail's task belongs to no application (its `appId` is `email`): no app link.
    if t.app_id == roster_provisioning::MAIL_QUEUE {
        if let Some(links) = out.get_mut("_links").and_then(Value::as_object_mut) {
            links.remove("app");
        }
    }
    out
}

/// Okta's ApplicationGroupAssignment.
pub fn app_group_out(g: &AppGroup, base: &str) -> Value {
    let app = format!("{base}/api/v1/apps/{}", g.app_id);
    json!({
        "id": g.group_id,
        "lastUpdated": g.last_updated,
        "priority": g.priority,
        "profile": g.profile,
        "_links": {
            "app": { "href": app },
            "self": { "href": format!("{app}/groups/{}", g.group_id) },
            "group": { "href": format!("{base}/api/v1/groups/{}", g.group_id) },
        }
    })
}

/// `priority` and `profile` of a group assignment, each optional.
pub type GroupAssignmentIn = (Option<i64>, Option<serde_json::Map<String, Value>>);

/// The body of `PUT /apps/{id}/groups/{groupId}`: optional `priority` and `profile`.
pub fn app_group_in(body: &Value) -> Result<GroupAssignmentIn, ApiError> {
    let priority = match body.get("priority") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64().filter(|p| *p >= 0) {
            Some(p) => Some(p),
            None => {
                return Err(
                    ApiError::validation("priority", format!("{v} is not a priority"))
                        .with_remediation(
                        "send an integer of 0 or more (0 is the highest), or leave priority out",
                    ),
                )
            }
        },
    };
    let profile = match body.get("profile") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => {
            return Err(ApiError::validation("profile", "profile must be an object")
                .with_remediation("send profile as a JSON object, e.g. {}"))
        }
    };
    Ok((priority, profile))
}

/// A Group Push task names its mapping and source group (its job's subject is the mapping,
/// not a user).
fn group_push_task_out(t: &TaskRecord, base: &str, href: &str) -> Value {
    let push = t
        .last_error
        .as_ref()
        .and_then(|e| e.get("groupPush"))
        .cloned()
        .unwrap_or(Value::Null);
    let source = push
        .get("sourceGroupId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    json!({
        "id": t.id,
        "status": t.status,
        "operation": t.operation,
        "appId": t.app_id,
        "mappingId": t.user_id,
        "groupPush": push,
        "attempts": t.attempts,
        "created": t.created,
        "lastUpdated": t.updated,
        "lastError": t.last_error,
        "_links": {
            "self": { "href": href },
            "retry": { "href": format!("{href}/retry"), "hints": { "allow": ["POST"] } },
            "dismiss": { "href": format!("{href}/dismiss"), "hints": { "allow": ["POST"] } },
            "app": { "href": format!("{base}/api/v1/apps/{}", t.app_id) },
            "mapping": { "href": format!("{base}/api/v1/apps/{}/group-push/mappings/{}", t.app_id, t.user_id) },
            "sourceGroup": { "href": format!("{base}/api/v1/groups/{source}") },
        }
    })
}
