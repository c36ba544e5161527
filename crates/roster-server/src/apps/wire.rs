//! The Okta-shaped JSON of apps, connections, features, app users and tasks.

use roster_provisioning::{App, AppUser, TaskRecord, UserProvisioning};
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
    let href = format!("{base}/api/v1/apps/{}", app.id);
    json!({
        "id": app.id,
        "name": app.name.as_str(),
        "label": app.label,
        "status": app.status,
        "created": app.created,
        "lastUpdated": app.last_updated,
        "signOnMode": "SAML_2_0",
        "features": features,
        "settings": { "app": { "baseUrl": app.base_url } },
        "_links": {
            "self": { "href": href },
            "users": { "href": format!("{href}/users") },
            "connection": { "href": format!("{href}/connections/default") },
            "features": { "href": format!("{href}/features") },
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
        "scope": "USER",
        "status": au.status,
        "syncState": au.sync_state,
        "lastSync": au.last_sync,
        "passwordChanged": au.password_changed,
        "credentials": { "userName": au.user_name },
        "profile": {},
        "_links": links,
    })
}

pub fn task_out(t: &TaskRecord, base: &str) -> Value {
    let href = format!("{base}/api/v1/tasks/{}", t.id);
    json!({
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
    })
}
