//! `/api/v1/users/{id}/roles`: administrator roles in Okta's shape. Only a SUPER_ADMIN may grant
//! or revoke; a user holding a role may sign in to the admin console.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use roster_core::Role;
use roster_directory::AdminRole;
use serde::Deserialize;
use serde_json::{json, Value};

use super::ctx;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::AppState;

/// Okta's label for a role type.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::SuperAdmin => "Super Administrator",
        Role::ReadOnlyAdmin => "Read Only Administrator",
    }
}

fn role_json(role: &AdminRole, user_id: &str, base: &str) -> Value {
    json!({
        "id": role.id,
        "label": role_label(role.role),
        "type": role.role.as_str(),
        "status": "ACTIVE",
        "created": role.created,
        "lastUpdated": role.created,
        "assignmentType": "USER",
        "_links": {
            "assignee": { "href": format!("{base}/api/v1/users/{user_id}") },
        },
    })
}

#[derive(Deserialize)]
pub struct RoleIn {
    #[serde(rename = "type")]
    kind: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/roles",
    operation_id = "listAssignedRolesForUser",
    tag = "Role",
    params(("id" = String, Path, description = "User id or login")),
    responses((status = 200, description = "The user's admin roles", body = [crate::openapi::JsonObject]), crate::openapi::ApiErrors),
)]
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let user = state.directory.get_user(&id).await?;
    let roles = state.directory.roles_of(&user.id).await?;
    let base = &state.config.public_url;
    Ok(Json(
        roles.iter().map(|r| role_json(r, &user.id, base)).collect(),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/roles",
    operation_id = "assignRoleToUser",
    tag = "Role",
    params(("id" = String, Path, description = "User id or login")),
    request_body = crate::openapi::JsonObject,
    responses((status = 201, description = "The role granted (200 when the user already held it)", body = crate::openapi::JsonObject), crate::openapi::ApiErrors),
)]
pub async fn assign(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RoleIn>,
) -> Result<Response, ApiError> {
    principal.require_write()?;
    let Some(role) = Role::parse(&body.kind) else {
        return Err(ApiError::validation(
            "type",
            format!("{:?} is not a role type Roster knows", body.kind),
        )
        .with_remediation("send {\"type\": \"SUPER_ADMIN\"} or {\"type\": \"READ_ONLY_ADMIN\"}"));
    };
    let user = state.directory.get_user(&id).await?;
    let before = state.directory.roles_of(&user.id).await?;
    let granted = state
        .directory
        .grant_role(&ctx(&state, &principal), &user.id, role)
        .await?;
    let status = if before.iter().any(|r| r.id == granted.id) {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(role_json(&granted, &user.id, &state.config.public_url)),
    )
        .into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}/roles/{roleId}",
    operation_id = "unassignRoleFromUser",
    tag = "Role",
    params(("id" = String, Path, description = "User id or login"), ("roleId" = String, Path, description = "Role assignment id")),
    responses((status = 204, description = "Revoked"), crate::openapi::ApiErrors),
)]
pub async fn revoke(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, role_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    let user = state.directory.get_user(&id).await?;
    state
        .directory
        .revoke_role(&ctx(&state, &principal), &user.id, &role_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
