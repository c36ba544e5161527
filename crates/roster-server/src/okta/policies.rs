//! `/api/v1/policies?type=PASSWORD`: password policies.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use roster_core::policy::{PasswordPolicy, PolicyStatus};
use serde_json::{json, Value};

use super::ctx;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{ApiJson, QueryPairs};
use crate::AppState;

fn with_links(policy: &PasswordPolicy, base: &str) -> Value {
    let mut v = serde_json::to_value(policy).unwrap_or(Value::Null);
    if let Some(obj) = v.as_object_mut() {
        let href = format!("{base}/api/v1/policies/{}", policy.id);
        let mut links = json!({ "self": { "href": href.clone() } });
        let (name, op) = match policy.status {
            PolicyStatus::Active => ("deactivate", "deactivate"),
            PolicyStatus::Inactive => ("activate", "activate"),
        };
        if !policy.system || policy.status == PolicyStatus::Inactive {
            links[name] = json!({ "href": format!("{href}/lifecycle/{op}"), "method": "POST" });
        }
        obj.insert("_links".into(), links);
    }
    v
}

fn require_password_type(params: &QueryPairs) -> Result<(), ApiError> {
    match params.get("type") {
        Some(t) if t.eq_ignore_ascii_case("PASSWORD") => Ok(()),
        Some(t) => Err(ApiError::validation(
            "type",
            format!("Roster manages PASSWORD policies only, not {t:?}"),
        )
        .with_remediation("send type=PASSWORD")),
        None => Err(ApiError::validation("type", "the policy type is required")
            .with_remediation("send type=PASSWORD")),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/policies",
    operation_id = "listPolicies",
    tag = "Policy",
    params(("type" = String, Query, description = "Policy type; Roster manages `PASSWORD` only", example = "PASSWORD")),
    responses((status = 200, description = "The password policies", body = [crate::openapi::PasswordPolicy]), crate::openapi::ApiErrors),
)]
pub async fn list(
    State(state): State<AppState>,
    params: QueryPairs,
) -> Result<Json<Vec<Value>>, ApiError> {
    require_password_type(&params)?;
    let policies = state.directory.list_password_policies().await?;
    Ok(Json(
        policies
            .iter()
            .map(|p| with_links(p, &state.config.public_url))
            .collect(),
    ))
}

fn check_body_type(policy: &Value) -> Result<(), ApiError> {
    match policy.get("type").and_then(Value::as_str) {
        None | Some("PASSWORD") => Ok(()),
        Some(other) => Err(ApiError::validation(
            "type",
            format!("Roster manages PASSWORD policies only, not {other:?}"),
        )
        .with_remediation("send \"type\": \"PASSWORD\"")),
    }
}

/// The Okta JSON of a password policy as the domain policy: what `POST` and `PUT
/// /api/v1/policies` accept (the console's policy form builds the same JSON and converts it here).
pub fn parse_policy(body: Value) -> Result<PasswordPolicy, ApiError> {
    check_body_type(&body)?;
    crate::extract::parse_json::<PasswordPolicy>(body.to_string().as_bytes())
}

#[utoipa::path(
    post,
    path = "/api/v1/policies",
    operation_id = "createPolicy",
    tag = "Policy",
    request_body = crate::openapi::PasswordPolicyIn,
    responses((status = 200, description = "The policy", body = crate::openapi::PasswordPolicy), crate::openapi::ApiErrors),
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let policy = parse_policy(body)?;
    let created = state
        .directory
        .create_password_policy(&ctx(&state, &principal), policy)
        .await?;
    Ok(Json(with_links(&created, &state.config.public_url)))
}

#[utoipa::path(
    get,
    path = "/api/v1/policies/{id}",
    operation_id = "getPolicy",
    tag = "Policy",
    params(("id" = String, Path, description = "Policy id")),
    responses((status = 200, description = "The policy", body = crate::openapi::PasswordPolicy), crate::openapi::ApiErrors),
)]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let policy = state.directory.get_password_policy(&id).await?;
    Ok(Json(with_links(&policy, &state.config.public_url)))
}

#[utoipa::path(
    put,
    path = "/api/v1/policies/{id}",
    operation_id = "replacePolicy",
    tag = "Policy",
    params(("id" = String, Path, description = "Policy id")),
    request_body = crate::openapi::PasswordPolicyIn,
    responses((status = 200, description = "The policy", body = crate::openapi::PasswordPolicy), crate::openapi::ApiErrors),
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let policy = parse_policy(body)?;
    let updated = state
        .directory
        .update_password_policy(&ctx(&state, &principal), &id, policy)
        .await?;
    Ok(Json(with_links(&updated, &state.config.public_url)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/policies/{id}",
    operation_id = "deletePolicy",
    tag = "Policy",
    params(("id" = String, Path, description = "Policy id")),
    responses((status = 204, description = "Done"), crate::openapi::ApiErrors),
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    state
        .directory
        .delete_password_policy(&ctx(&state, &principal), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/policies/{id}/lifecycle/{op}",
    operation_id = "policyLifecycle",
    tag = "Policy",
    params(("id" = String, Path, description = "Policy id"), ("op" = String, Path, description = "activate or deactivate")),
    responses((status = 204, description = "Done"), crate::openapi::ApiErrors),
)]
pub async fn lifecycle(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, op)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    let status = match op.as_str() {
        "activate" => PolicyStatus::Active,
        "deactivate" => PolicyStatus::Inactive,
        other => {
            return Err(ApiError::not_found("policy lifecycle operation", other)
                .with_remediation("use activate or deactivate"))
        }
    };
    state
        .directory
        .set_password_policy_status(&ctx(&state, &principal), &id, status)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
