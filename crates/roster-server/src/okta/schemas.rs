//! `/api/v1/meta/schemas/user/default`: the user profile schema.

use axum::extract::State;
use axum::{Extension, Json};
use serde_json::Value;

use super::ctx;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::AppState;

fn with_id(schema: &roster_core::ProfileSchema, base: &str) -> Value {
    let mut v = serde_json::to_value(schema).unwrap_or(Value::Null);
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "id".into(),
            Value::String(format!("{base}/meta/schemas/user/default")),
        );
    }
    v
}

pub async fn get(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let schema = state.directory.profile_schema().await?;
    Ok(Json(with_id(&schema, &state.config.public_url)))
}

pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let schema = state
        .directory
        .update_profile_schema(&ctx(&state, &principal), &body)
        .await?;
    Ok(Json(with_id(&schema, &state.config.public_url)))
}
