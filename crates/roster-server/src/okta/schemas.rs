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
    // Okta's document leaves login's uniqueness implicit (it is always unique). Saying it as
    // `"unique": "UNIQUE_VALIDATED"` on login breaks the Python SDK 3.x, which types `unique` as
    // a boolean and then cannot read the schema at all.
    if let Some(login) = v
        .pointer_mut("/definitions/base/properties/login")
        .and_then(Value::as_object_mut)
    {
        login.remove("unique");
    }
    v
}

/// Accept `unique` as a boolean too (the Python SDK 3.x sends it so): `true` is Okta's
/// `UNIQUE_VALIDATED`, `false` is `NOT_UNIQUE`.
fn normalize_unique(body: &mut Value) {
    for section in ["custom", "base"] {
        let Some(props) = body
            .pointer_mut(&format!("/definitions/{section}/properties"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for def in props.values_mut() {
            let Some(def) = def.as_object_mut() else {
                continue;
            };
            match def.get("unique") {
                Some(Value::Bool(true)) => {
                    def.insert("unique".into(), Value::String("UNIQUE_VALIDATED".into()));
                }
                Some(Value::Bool(false)) => {
                    def.insert("unique".into(), Value::String("NOT_UNIQUE".into()));
                }
                Some(Value::Null) => {
                    def.remove("unique");
                }
                _ => {}
            }
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/meta/schemas/user/default",
    operation_id = "getUserSchema",
    tag = "Schema",
    responses((status = 200, description = "The user profile schema", body = crate::openapi::UserSchema), crate::openapi::ApiErrors),
)]
pub async fn get(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let schema = state.directory.profile_schema().await?;
    Ok(Json(with_id(&schema, &state.config.public_url)))
}

#[utoipa::path(
    post,
    path = "/api/v1/meta/schemas/user/default",
    operation_id = "updateUserSchema",
    tag = "Schema",
    request_body = crate::openapi::UserSchema,
    responses((status = 200, description = "The user profile schema", body = crate::openapi::UserSchema), crate::openapi::ApiErrors),
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(mut body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    normalize_unique(&mut body);
    let schema = state
        .directory
        .update_profile_schema(&ctx(&state, &principal), &body)
        .await?;
    Ok(Json(with_id(&schema, &state.config.public_url)))
}
