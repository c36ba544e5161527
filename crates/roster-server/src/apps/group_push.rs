//! `/api/v1/apps/{id}/group-push/mappings`: Okta's Group Push mapping API, and the connection's
//! lifecycle (`/connections/default/lifecycle/{activate|deactivate}`), over
//! [`roster_provisioning::Provisioning`].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use roster_provisioning::{GroupPushMapping, TargetGroup};
use serde_json::{json, Value};

use super::engine;
use super::wire::connection_out;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{ApiJson, QueryPairs};
use crate::okta::ctx;
use crate::AppState;

/// A mapping in Okta's shape (plus the two group names, which Okta's console shows).
pub fn mapping_out(m: &GroupPushMapping, base: &str) -> Value {
    let href = format!(
        "{base}/api/v1/apps/{}/group-push/mappings/{}",
        m.app_id, m.id
    );
    let mut links = json!({
        "self": { "href": href },
        "app": { "href": format!("{base}/api/v1/apps/{}", m.app_id) },
        "sourceGroup": { "href": format!("{base}/api/v1/groups/{}", m.source_group_id) },
    });
    if let Some(task) = &m.task_id {
        links["task"] = json!({ "href": format!("{base}/api/v1/tasks/{task}") });
    }
    json!({
        "id": m.id,
        "sourceGroupId": m.source_group_id,
        "sourceGroupName": m.source_group_name,
        "targetGroupId": m.target_group_id,
        "targetGroupName": m.target_group_name,
        "status": m.status,
        "created": m.created,
        "lastUpdated": m.last_updated,
        "lastPush": m.last_push,
        "errorSummary": m.error_summary,
        "_links": links,
    })
}

fn text<'a>(body: &'a Value, key: &str) -> Result<Option<&'a str>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ApiError::validation(key, format!("{key} must be a string"))
            .with_remediation(format!("send {key} as a JSON string"))),
    }
}

/// `GET /apps/{id}/group-push/mappings?sourceGroupId=&status=`.
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: QueryPairs,
) -> Result<Json<Vec<Value>>, ApiError> {
    let source = params.get("sourceGroupId").filter(|s| !s.is_empty());
    let status = params
        .get("status")
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_uppercase);
    if let Some(s) = &status {
        if !["ACTIVE", "INACTIVE", "ERROR"].contains(&s.as_str()) {
            return Err(
                ApiError::validation("status", format!("{s:?} is not a mapping status"))
                    .with_remediation("use ACTIVE, INACTIVE or ERROR"),
            );
        }
    }
    let base = &state.config.public_url;
    let mappings = engine(&state)?.list_group_push_mappings(&id).await?;
    Ok(Json(
        mappings
            .iter()
            .filter(|m| source.is_none_or(|s| m.source_group_id == s))
            .filter(|m| status.as_deref().is_none_or(|s| m.status == s))
            .map(|m| mapping_out(m, base))
            .collect(),
    ))
}

/// `POST /apps/{id}/group-push/mappings` with `{"sourceGroupId": ..., "targetGroupName": ...}`
/// or `{"sourceGroupId": ..., "targetGroupId": ...}` (and optionally `"status"`).
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let Some(source) = text(&body, "sourceGroupId")?.filter(|s| !s.is_empty()) else {
        return Err(ApiError::validation(
            "sourceGroupId",
            "a Group Push mapping needs the group to push",
        )
        .with_remediation(
            "send {\"sourceGroupId\":\"<groupId>\",\"targetGroupName\":\"<name on the target>\"}",
        ));
    };
    let target = match (text(&body, "targetGroupName")?, text(&body, "targetGroupId")?) {
        (Some(_), Some(_)) => {
            return Err(ApiError::validation(
                "targetGroupId",
                "send targetGroupName or targetGroupId, not both",
            )
            .with_remediation(
                "targetGroupName creates or links the target group by name; targetGroupId links an existing one",
            ))
        }
        (Some(name), None) => Some(TargetGroup::Name(name.to_owned())),
        (None, Some(gid)) => Some(TargetGroup::Id(gid.to_owned())),
        (None, None) => None,
    };
    let status = text(&body, "status")?;
    let mapping = engine(&state)?
        .create_group_push_mapping(&ctx(&state, &principal), &id, source, target, status)
        .await?;
    Ok(Json(mapping_out(&mapping, &state.config.public_url)))
}

pub async fn get(
    State(state): State<AppState>,
    Path((id, mapping_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let mapping = engine(&state)?
        .get_group_push_mapping(&id, &mapping_id)
        .await?;
    Ok(Json(mapping_out(&mapping, &state.config.public_url)))
}

/// `PATCH /apps/{id}/group-push/mappings/{mappingId}` with `{"status":"ACTIVE"|"INACTIVE"}`.
pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, mapping_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let Some(status) = text(&body, "status")? else {
        return Err(
            ApiError::validation("status", "say which status the mapping should have")
                .with_remediation("send {\"status\":\"ACTIVE\"} or {\"status\":\"INACTIVE\"}"),
        );
    };
    let mapping = engine(&state)?
        .set_group_push_status(&ctx(&state, &principal), &id, &mapping_id, status)
        .await?;
    Ok(Json(mapping_out(&mapping, &state.config.public_url)))
}

/// `DELETE /apps/{id}/group-push/mappings/{mappingId}?deleteTargetGroup=false`: only an
/// INACTIVE mapping; with `deleteTargetGroup=true` its group on the target is deleted too.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, mapping_id)): Path<(String, String)>,
    params: QueryPairs,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    let delete_target = params.bool("deleteTargetGroup", false)?;
    engine(&state)?
        .delete_group_push_mapping(&ctx(&state, &principal), &id, &mapping_id, delete_target)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /apps/{id}/connections/default/lifecycle/{activate|deactivate}?deactivateGroupPush=`.
pub async fn connection_lifecycle(
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
    let deactivate_group_push = params.bool("deactivateGroupPush", false)?;
    let app = engine(&state)?
        .set_connection_active(&ctx(&state, &principal), &id, active, deactivate_group_push)
        .await?;
    Ok(Json(connection_out(&app, &state.config.public_url)))
}
