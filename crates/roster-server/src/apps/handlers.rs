//! Apps, their connection and features, and app user assignments.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::Value;

use super::engine;
use super::import_wire::{inbound_in, inbound_out, mastering_in, mastering_out};
use super::wire::{
    app_group_in, app_group_out, app_out, app_user_out, connection_in, connection_out, feature_in,
    feature_out,
};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{ApiJson, QueryPairs};
use crate::okta::ctx;
use crate::AppState;

fn base(state: &AppState) -> &str {
    &state.config.public_url
}

fn text<'a>(body: &'a Value, pointer: &str) -> Option<&'a str> {
    body.pointer(pointer).and_then(Value::as_str)
}

/// `settings.app.deprovisionAction`, when sent: a string (checked by the engine).
fn deprovision_action(body: &Value) -> Result<Option<&str>, ApiError> {
    match body.pointer("/settings/app/deprovisionAction") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s))
            if roster_provisioning::DEPROVISION_ACTIONS
                .contains(&s.to_ascii_uppercase().as_str()) =>
        {
            Ok(Some(s))
        }
        Some(other) => Err(ApiError::validation(
            "settings.app.deprovisionAction",
            format!("{other} is not a deprovisioning action"),
        )
        .with_remediation("send \"DEACTIVATE\" (the default) or \"DELETE\"")),
    }
}

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Value>>, ApiError> {
    let apps = engine(&state)?.list_apps().await?;
    Ok(Json(
        apps.iter().map(|a| app_out(a, base(&state))).collect(),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    params: QueryPairs,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let activate = params.bool("activate", true)?;
    let Some(name) = text(&body, "/name") else {
        return Err(ApiError::validation("name", "an app needs a name")
            .with_remediation("send {\"name\":\"okta_org2org\",\"label\":...,\"settings\":{\"app\":{\"baseUrl\":...}}}"));
    };
    let label = text(&body, "/label").unwrap_or("");
    let engine = engine(&state)?;
    let ctx = ctx(&state, &principal);
    let kind = roster_provisioning::AppType::parse(name);
    if let Some(kind) = kind.filter(|k| k.is_ldap()) {
        let settings = settings_app(&body)?;
        let app = super::imports::imports(&state)?
            .create_ldap_app(
                &ctx,
                kind,
                label,
                &settings,
                activate,
                params.bool("testConnection", true)?,
            )
            .await?;
        return Ok(Json(app_out(&app, base(&state))));
    }
    let base_url = text(&body, "/settings/app/baseUrl");
    let base_url = match (base_url, kind) {
        (Some(url), _) => url,
        (None, Some(roster_provisioning::AppType::Csv)) => "",
        (None, _) => {
            return Err(ApiError::validation(
                "settings.app.baseUrl",
                "an okta_org2org or scim2 app needs the other system's URL",
            )
            .with_remediation("send settings.app.baseUrl, e.g. https://hub.example.com"))
        }
    };
    let deprovision = deprovision_action(&body)?;
    let mut app = engine
        .create_app(&ctx, name, label, base_url, activate)
        .await?;
    if let Some(action) = deprovision {
        app = engine.set_deprovision_action(&ctx, &app.id, action).await?;
    }
    if let Some(policy) = body.pointer("/settings/app/targetPasswordPolicy") {
        app = engine
            .set_target_password_policy(&ctx, &app.id, policy)
            .await?;
    }
    Ok(Json(app_out(&app, base(&state))))
}

/// `settings.app` of a request, as an object (empty when absent).
fn settings_app(body: &Value) -> Result<serde_json::Map<String, Value>, ApiError> {
    match body.pointer("/settings/app") {
        None | Some(Value::Null) => Ok(serde_json::Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => Err(
            ApiError::validation("settings.app", "settings.app must be an object")
                .with_remediation("send settings.app as a JSON object of the app's settings"),
        ),
    }
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let app = engine(&state)?.get_app(&id).await?;
    Ok(Json(app_out(&app, base(&state))))
}

pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    params: QueryPairs,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let engine = engine(&state)?;
    let ctx = ctx(&state, &principal);
    if engine.get_app(&id).await?.name.is_ldap() {
        let mut app = engine
            .update_app(&ctx, &id, text(&body, "/label"), None)
            .await?;
        let settings = settings_app(&body)?;
        if !settings.is_empty() {
            app = super::imports::imports(&state)?
                .update_ldap_settings(&ctx, &id, &settings, params.bool("testConnection", true)?)
                .await?;
        }
        return Ok(Json(app_out(&app, base(&state))));
    }
    let deprovision = deprovision_action(&body)?;
    let mut app = engine
        .update_app(
            &ctx,
            &id,
            text(&body, "/label"),
            text(&body, "/settings/app/baseUrl"),
        )
        .await?;
    if let Some(action) = deprovision {
        app = engine.set_deprovision_action(&ctx, &app.id, action).await?;
    }
    if let Some(policy) = body.pointer("/settings/app/targetPasswordPolicy") {
        app = engine
            .set_target_password_policy(&ctx, &app.id, policy)
            .await?;
    }
    Ok(Json(app_out(&app, base(&state))))
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    engine(&state)?
        .delete_app(&ctx(&state, &principal), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn lifecycle(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, op)): Path<(String, String)>,
    params: QueryPairs,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let active = match op.as_str() {
        "activate" => true,
        "deactivate" => false,
        other => {
            return Err(ApiError::not_found("lifecycle operation", other)
                .with_remediation("use activate or deactivate"))
        }
    };
    // Deactivating refuses while Group Push mappings are live, unless ?deactivateGroupPush=true.
    let deactivate_group_push = params.bool("deactivateGroupPush", false)?;
    engine(&state)?
        .set_app_active_checked(&ctx(&state, &principal), &id, active, deactivate_group_push)
        .await?;
    Ok(Json(serde_json::json!({})))
}

pub async fn get_connection(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let app = engine(&state)?.get_app(&id).await?;
    Ok(Json(connection_out(&app, base(&state))))
}

/// `POST /apps/{id}/connections/default?activate=TRUE` with
/// `{"profile":{"authScheme":"TOKEN","token":"..."}}`.
pub async fn set_connection(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    params: QueryPairs,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let activate = params.bool("activate", true)?;
    let token = connection_in(&body)?;
    let app = engine(&state)?
        .set_connection(&ctx(&state, &principal), &id, token, activate)
        .await?;
    Ok(Json(connection_out(&app, base(&state))))
}

/// `POST /apps/{id}/connections/default/test`: test the saved token against the target again,
/// changing nothing. `{"status":"OK"}`, or the 400 a refused token gets when it is saved.
pub async fn test_connection(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    engine(&state)?.test_connection(&id).await?;
    Ok(Json(serde_json::json!({ "status": "OK" })))
}

pub async fn list_features(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let app = engine(&state)?.get_app(&id).await?;
    let mut features = Vec::new();
    if app.name.pushes() {
        features.push(feature_out(&app, base(&state)));
    }
    if app.name.imports() {
        features.push(inbound_out(&app, base(&state)));
        features.push(mastering_out(&app, base(&state)));
    }
    Ok(Json(features))
}

/// The features an app of this type has.
fn check_feature(app: &roster_provisioning::App, name: &str) -> Result<(), ApiError> {
    let known = match name {
        "USER_PROVISIONING" => app.name.pushes(),
        "INBOUND_PROVISIONING" | "PROFILE_MASTERING" => app.name.imports(),
        _ => false,
    };
    if known {
        return Ok(());
    }
    let mut has = Vec::new();
    if app.name.pushes() {
        has.push("USER_PROVISIONING");
    }
    if app.name.imports() {
        has.extend(["INBOUND_PROVISIONING", "PROFILE_MASTERING"]);
    }
    Err(
        ApiError::not_found("feature", name).with_remediation(format!(
            "an {} app has the features {}",
            app.name.as_str(),
            has.join(", ")
        )),
    )
}

pub async fn get_feature(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let app = engine(&state)?.get_app(&id).await?;
    check_feature(&app, &name)?;
    Ok(Json(match name.as_str() {
        "INBOUND_PROVISIONING" => inbound_out(&app, base(&state)),
        "PROFILE_MASTERING" => mastering_out(&app, base(&state)),
        _ => feature_out(&app, base(&state)),
    }))
}

pub async fn put_feature(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, name)): Path<(String, String)>,
    params: QueryPairs,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let engine = engine(&state)?;
    let app = engine.get_app(&id).await?;
    check_feature(&app, &name)?;
    let ctx = ctx(&state, &principal);
    match name.as_str() {
        "INBOUND_PROVISIONING" => {
            let inbound = inbound_in(&body, &app.inbound)?;
            let app = super::imports::imports(&state)?
                .set_inbound(&ctx, &id, inbound)
                .await?;
            Ok(Json(inbound_out(&app, base(&state))))
        }
        "PROFILE_MASTERING" => {
            let mastering = mastering_in(&body, &app.mastering)?;
            let app = super::imports::imports(&state)?
                .set_mastering(&ctx, &id, mastering)
                .await?;
            Ok(Json(mastering_out(&app, base(&state))))
        }
        _ => {
            let features = feature_in(&body)?;
            let app = engine
                .set_user_provisioning_checked(
                    &ctx,
                    &id,
                    features,
                    // Disabling refuses while Group Push mappings are live, unless this is true.
                    params.bool("deactivateGroupPush", false)?,
                )
                .await?;
            Ok(Json(feature_out(&app, base(&state))))
        }
    }
}

/// `GET /apps/{id}/users`: the assigned users of an app Roster pushes to; for an app Roster
/// only imports from, its imported app users (paged by `after`, with their source profiles).
pub async fn list_users(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: QueryPairs,
) -> Result<(axum::http::HeaderMap, Json<Vec<Value>>), ApiError> {
    let engine = engine(&state)?;
    let app = engine.get_app(&id).await?;
    if !app.name.pushes() {
        let limit = params.limit(200, 1000)?;
        let page = state
            .store
            .list_import_records(
                &app.id,
                &roster_store::ImportRecordQuery {
                    after: params.get("after").map(str::to_owned),
                    limit,
                    ..Default::default()
                },
            )
            .await?;
        let headers = crate::paging::link_headers(
            base(&state),
            &format!("/api/v1/apps/{id}/users"),
            &params,
            page.next_after.as_deref(),
        );
        return Ok((
            headers,
            Json(
                page.items
                    .iter()
                    .map(|r| super::import_wire::imported_user_out(r, base(&state)))
                    .collect(),
            ),
        ));
    }
    let users = engine.list_app_users(&id).await?;
    Ok((
        axum::http::HeaderMap::new(),
        Json(
            users
                .iter()
                .map(|u| app_user_out(u, base(&state)))
                .collect(),
        ),
    ))
}

/// `POST /apps/{id}/users` with `{"id": userId, "scope": "USER"}`.
pub async fn assign_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let Some(user_id) = text(&body, "/id") else {
        return Err(
            ApiError::validation("id", "an assignment needs the user's id")
                .with_remediation("send {\"id\":\"<userId>\",\"scope\":\"USER\"}"),
        );
    };
    let au = engine(&state)?
        .assign_user(&ctx(&state, &principal), &id, user_id)
        .await?;
    Ok(Json(app_user_out(&au, base(&state))))
}

/// `POST /apps/{id}/users/{userId}`: assign (Roster keeps no app user profile yet).
pub async fn assign_user_at(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let au = engine(&state)?
        .assign_user(&ctx(&state, &principal), &id, &user_id)
        .await?;
    Ok(Json(app_user_out(&au, base(&state))))
}

pub async fn get_user(
    State(state): State<AppState>,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let au = engine(&state)?.get_app_user(&id, &user_id).await?;
    Ok(Json(app_user_out(&au, base(&state))))
}

pub async fn unassign_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    engine(&state)?
        .unassign_user(&ctx(&state, &principal), &id, &user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /apps/{id}/users/{userId}/lifecycle/provision`: push an assigned user now (its open
/// task, if a push failed, is retried). The app user, SYNCING.
pub async fn provision_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let au = engine(&state)?
        .push_user_now(&ctx(&state, &principal), &id, &user_id)
        .await?;
    Ok(Json(app_user_out(&au, base(&state))))
}

// ---- group assignments ---------------------------------------------------------------------

pub async fn list_groups(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let groups = engine(&state)?.list_app_groups(&id).await?;
    Ok(Json(
        groups
            .iter()
            .map(|g| app_group_out(g, base(&state)))
            .collect(),
    ))
}

pub async fn get_group(
    State(state): State<AppState>,
    Path((id, group_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let g = engine(&state)?.get_app_group(&id, &group_id).await?;
    Ok(Json(app_group_out(&g, base(&state))))
}

/// `PUT /apps/{id}/groups/{groupId}` with an optional `{"priority": 0, "profile": {}}`: assign
/// the group; its members become app users (scope `GROUP`) and are pushed.
pub async fn assign_group(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, group_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let (priority, profile) = app_group_in(&body)?;
    let g = engine(&state)?
        .assign_group(&ctx(&state, &principal), &id, &group_id, priority, profile)
        .await?;
    Ok(Json(app_group_out(&g, base(&state))))
}

/// `DELETE /apps/{id}/groups/{groupId}`: members kept by nothing else are unassigned.
pub async fn unassign_group(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, group_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    engine(&state)?
        .unassign_group(&ctx(&state, &principal), &id, &group_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
