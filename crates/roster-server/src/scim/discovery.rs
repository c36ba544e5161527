//! `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas` (RFC 7644 section 4): what Roster
//! supports and stores, generated from the same definitions the other endpoints use. These are
//! read-only: other methods get 405.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::error::ScimError;
use super::schema::{
    discovery_schemas, group_resource, user_resource, ResourceSchema, Schema, SPC_URN,
};
use super::wire::ListResponse;
use super::{bulk, list, ScimReply, ScimState};

async fn resources(st: &ScimState) -> Result<Vec<ResourceSchema>, ScimError> {
    let profile = st.app.directory.profile_schema().await?;
    Ok(vec![user_resource(&profile), group_resource()])
}

async fn all_schemas(st: &ScimState) -> Result<Vec<Schema>, ScimError> {
    let mut out = Vec::new();
    for r in resources(st).await? {
        out.push(r.core);
        out.extend(r.extensions.into_iter().map(|(s, _)| s));
    }
    out.extend(discovery_schemas());
    Ok(out)
}

pub async fn service_provider_config(State(st): State<ScimState>) -> ScimReply {
    let base = &st.app.config.public_url;
    ScimReply::ok(json!({
        "schemas": [SPC_URN],
        "documentationUri": format!("{base}/scim/v2/Schemas"),
        "patch": { "supported": true },
        "bulk": { "supported": true, "maxOperations": bulk::MAX_OPERATIONS, "maxPayloadSize": bulk::MAX_PAYLOAD },
        "filter": { "supported": true, "maxResults": list::MAX_COUNT },
        "changePassword": { "supported": true },
        "sort": { "supported": true },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A Roster API token sent as Authorization: Bearer <token> (the tokens of the Management API)",
            "primary": true,
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{base}/scim/v2/ServiceProviderConfig") },
    }))
}

pub async fn resource_types(State(st): State<ScimState>) -> Result<ScimReply, ScimError> {
    let base = &st.app.config.public_url;
    let items: Vec<Value> = resources(&st)
        .await?
        .iter()
        .map(|r| r.resource_type_json(base))
        .collect();
    Ok(ScimReply::ok(
        serde_json::to_value(ListResponse::new(items.len(), 1, items))
            .map_err(|e| ScimError::internal(&e))?,
    ))
}

pub async fn resource_type(
    State(st): State<ScimState>,
    Path(id): Path<String>,
) -> Result<ScimReply, ScimError> {
    let base = &st.app.config.public_url;
    resources(&st)
        .await?
        .iter()
        .find(|r| r.name.eq_ignore_ascii_case(&id))
        .map(|r| ScimReply::ok(r.resource_type_json(base)))
        .ok_or_else(|| ScimError::not_found("resource type", &id))
}

pub async fn schemas(State(st): State<ScimState>) -> Result<ScimReply, ScimError> {
    let base = &st.app.config.public_url;
    let items: Vec<Value> = all_schemas(&st)
        .await?
        .iter()
        .map(|s| s.to_json(base))
        .collect();
    Ok(ScimReply::ok(
        serde_json::to_value(ListResponse::new(items.len(), 1, items))
            .map_err(|e| ScimError::internal(&e))?,
    ))
}

pub async fn schema(
    State(st): State<ScimState>,
    Path(id): Path<String>,
) -> Result<ScimReply, ScimError> {
    let base = &st.app.config.public_url;
    all_schemas(&st)
        .await?
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(&id))
        .map(|s| ScimReply::ok(s.to_json(base)))
        .ok_or_else(|| ScimError::not_found("schema", &id))
}

/// 405 for methods an endpoint does not serve.
pub async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ScimError {
    ScimError::method_not_allowed(format!("{method} is not allowed on {}", uri.path()))
}

/// `/Me`: Roster's tokens belong to no user, so there is no "me" (RFC 7644 section 3.11: 501).
pub async fn me() -> ScimError {
    ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "/Me is not supported: Roster's API tokens are not tied to a user; use /Users/{id}",
    )
}
