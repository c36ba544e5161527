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

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let token = state
        .store
        .get_token(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("API token", &id))?;
    Ok(Json(token_json(&token, &state.config.public_url)))
}

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
    let token = state
        .store
        .get_token(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("API token", &id))?;
    let ctx = super::ctx(&state, &principal);
    let event = ctx
        .event("system.api_token.revoke", "Revoke API token")
        .with_target(&token.id, "Token", Some(&token.name), Some(&token.name));
    state.store.revoke_token(&token.id, &[event]).await?;
    Ok(StatusCode::NO_CONTENT)
}
