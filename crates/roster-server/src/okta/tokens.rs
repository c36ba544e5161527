//! `/api/v1/api-tokens`: list and revoke API tokens (values are never returned).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::AppState;

fn token_json(t: &roster_core::ApiToken, base: &str) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "tokenPrefix": t.token_prefix,
        "role": t.role.as_str(),
        "clientName": "Roster API",
        "created": t.created,
        "lastUpdated": t.last_used.unwrap_or(t.created),
        "revoked": t.revoked,
        "_links": { "self": { "href": format!("{base}/api/v1/api-tokens/{}", t.id) } },
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/api-tokens",
    operation_id = "listApiTokens",
    tag = "ApiToken",
    responses((status = 200, description = "The API tokens", body = [crate::openapi::ApiToken]), crate::openapi::ApiErrors),
)]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Value>>, ApiError> {
    let tokens = state.store.list_tokens().await?;
    Ok(Json(
        tokens
            .iter()
            .filter(|t| !t.revoked)
            .map(|t| token_json(t, &state.config.public_url))
            .collect(),
    ))
}

/// The token with this id; an id no store could hold (one with U+0000) is simply not found.
async fn find(state: &AppState, id: &str) -> Result<roster_core::ApiToken, ApiError> {
    if id.contains('\0') {
        return Err(ApiError::not_found(
            "API token",
            &id.replace('\0', "\u{fffd}"),
        ));
    }
    state
        .store
        .get_token(id)
        .await?
        .ok_or_else(|| ApiError::not_found("API token", id))
}

#[utoipa::path(
    get,
    path = "/api/v1/api-tokens/{id}",
    operation_id = "getApiToken",
    tag = "ApiToken",
    params(("id" = String, Path, description = "API token id")),
    responses((status = 200, description = "The API token", body = crate::openapi::ApiToken), crate::openapi::ApiErrors),
)]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let token = find(&state, &id).await?;
    Ok(Json(token_json(&token, &state.config.public_url)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/api-tokens/{id}",
    operation_id = "revokeApiToken",
    tag = "ApiToken",
    params(("id" = String, Path, description = "API token id, or `current` for the token of the request")),
    responses((status = 204, description = "Done"), crate::openapi::ApiErrors),
)]
pub async fn revoke(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    let id = if id == "current" {
        principal.token_id.clone()
    } else {
        id
    };
    revoke_token(&state, &super::ctx(&state, &principal), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revoke the token with this id, writing `system.api_token.revoke`: what
/// `DELETE /api/v1/api-tokens/{id}` and the console's token page both run.
pub async fn revoke_token(
    state: &AppState,
    ctx: &roster_directory::Ctx,
    id: &str,
) -> Result<roster_core::ApiToken, ApiError> {
    let token = find(state, id).await?;
    let event = ctx
        .event("system.api_token.revoke", "Revoke API token")
        .with_target(&token.id, "Token", Some(&token.name), Some(&token.name));
    state.store.revoke_token(&token.id, &[event]).await?;
    Ok(token)
}
