//! `/api/v1/apps/{id}/transformations`: an app's mapping document (SAP Identity Provisioning's
//! JSON format), validated when saved, and its preview against the target's password policy
//! (of the saved document, or of an unsaved one sent with the preview).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use roster_provisioning::transformations::PreviewSelection;
use roster_provisioning::ProvisioningError;
use roster_transform::Scope;
use serde_json::Value;

use super::engine;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::logs::parse_filter;
use crate::okta::ctx;
use crate::AppState;

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    match engine(&state)?.get_transformation(&id).await? {
        Some(t) => Ok(Json(t.document)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "E0000007",
            format!("Not found: Resource not found: transformations ({id})"),
        )
        .with_cause("the app has no transformation: its type's built-in mapping is used")
        .with_remediation(
            "PUT a document {\"user\":{\"mappings\":[...]}} to /api/v1/apps/{id}/transformations; POST .../transformations/preview shows what the built-in mapping sends",
        )),
    }
}

pub async fn put(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let saved = engine(&state)?
        .put_transformation(&ctx(&state, &principal), &id, body)
        .await?;
    Ok(Json(saved.document))
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    engine(&state)?
        .delete_transformation(&ctx(&state, &principal), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST .../transformations/preview` with `{"userIds": [...]}` or `{"filter": "..."}`, an
/// optional `scope` (`createEntity` by default, `patchEntity`, `deleteEntity`) and an optional
/// `transformation`: an unsaved document to preview instead of the saved one, validated as a
/// save is (an invalid one is refused with every problem) and not stored.
pub async fn preview(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let request = preview_request(&body)?;
    let preview = engine(&state)?
        .preview(
            &id,
            request.selection,
            request.scope,
            request.transformation.as_ref(),
        )
        .await
        .map_err(preview_error)?;
    Ok(Json(preview))
}

/// A preview's error; an invalid unsaved document is refused as a save is, told to preview
/// again rather than to save.
pub fn preview_error(err: ProvisioningError) -> ApiError {
    let previewing_document = matches!(err, ProvisioningError::InvalidTransformation(_));
    let mut api = ApiError::from(err);
    if previewing_document {
        api.remediation = "fix each listed mapping key (see the SAP Identity Provisioning transformation format) and preview the document again".into();
    }
    api
}

/// What a preview body asks for.
pub struct PreviewRequest {
    pub selection: PreviewSelection,
    pub scope: Scope,
    /// An unsaved document to preview instead of the saved transformation.
    pub transformation: Option<Value>,
}

/// The users, scope and document a preview body asks for: `{"userIds": [...]}` (ids or
/// logins) or `{"filter": "..."}`, `scope` (`createEntity` when absent) and `transformation`
/// (an object; absent or `null` previews the saved transformation).
pub fn preview_request(body: &Value) -> Result<PreviewRequest, ApiError> {
    let scope = match body.get("scope").map(|s| s.as_str()) {
        None | Some(Some("createEntity")) => Scope::Create,
        Some(Some("patchEntity")) => Scope::Patch,
        Some(Some("deleteEntity")) => Scope::Delete,
        Some(_) => {
            return Err(ApiError::validation(
                "scope",
                "scope must be createEntity, patchEntity or deleteEntity",
            )
            .with_remediation("leave scope out to preview what a create sends"))
        }
    };
    let transformation = match body.get("transformation") {
        None | Some(Value::Null) => None,
        Some(doc @ Value::Object(_)) => Some(doc.clone()),
        Some(_) => {
            return Err(ApiError::validation(
                "transformation",
                "transformation must be a transformation document (an object)",
            )
            .with_remediation(
                "send {\"transformation\":{\"user\":{\"mappings\":[...]}}}, or leave it out to preview the saved transformation",
            ))
        }
    };
    let selection = match (body.get("userIds"), body.get("filter")) {
        (Some(ids), None) => {
            let ids = ids.as_array().filter(|a| !a.is_empty()).ok_or_else(|| {
                ApiError::validation("userIds", "userIds must be a non-empty array of user ids")
                    .with_remediation("send {\"userIds\":[\"00u...\"]}")
            })?;
            let mut out = Vec::with_capacity(ids.len());
            for v in ids {
                let id = v.as_str().ok_or_else(|| {
                    ApiError::validation("userIds", "every user id must be a string")
                        .with_remediation("send {\"userIds\":[\"00u...\"]}")
                })?;
                out.push(id.to_owned());
            }
            PreviewSelection::Users(out)
        }
        (None, Some(f)) => {
            let text = f.as_str().ok_or_else(|| {
                ApiError::validation("filter", "filter must be a string")
                    .with_remediation("send {\"filter\":\"profile.lastName eq \\\"Doe\\\"\"}")
            })?;
            PreviewSelection::Filter(parse_filter("filter", text)?)
        }
        _ => {
            return Err(ApiError::validation(
                "userIds",
                "a preview needs either userIds or filter, not both",
            )
            .with_remediation(
                "send {\"userIds\":[...]} or {\"filter\":\"status eq \\\"ACTIVE\\\"\"}",
            ))
        }
    };
    Ok(PreviewRequest {
        selection,
        scope,
        transformation,
    })
}
