//! `/Users`: create, read, replace, patch, delete, list and search, as operations that both the
//! HTTP handlers and `/Bulk` run.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Extension;
use roster_core::profile::AttributeDef;
use roster_core::{ProfileSchema, User};
use roster_directory::scim_ops::{scim_active, ScimUserChange};
use roster_directory::{NewUser, PasswordInput};
use serde_json::{Map, Value};

use super::attrs::Projection;
use super::body::{parse_json, read_resource};
use super::convert::{user_etag, user_from_wire, user_location, user_to_wire, UserParts};
use super::error::ScimError;
use super::list::{self, ListQuery};
use super::schema::{user_resource, EXTERNAL_ID_ATTRIBUTE};
use super::wire::{PatchOperation, ScimUser, PATCH_OP_URN};
use super::{body_bytes, check_if_match, etag_matches, query, Call, ScimReply, ScimState};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::QueryPairs;

/// A user as SCIM JSON, with its groups when the projection returns them.
pub async fn user_json(
    call: &Call,
    user: &User,
    schema: &ProfileSchema,
    projection: &Projection,
) -> Result<Value, ScimError> {
    let groups = if projection.returns("groups") {
        Some(call.directory().user_groups(&user.id).await?)
    } else {
        None
    };
    let wire = user_to_wire(user, groups.as_deref(), schema, call.base());
    let mut doc = match serde_json::to_value(&wire) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            return Err(ScimError::internal(
                &"a user did not serialise to an object",
            ))
        }
        Err(e) => return Err(ScimError::internal(&e)),
    };
    projection.apply(&mut doc);
    Ok(Value::Object(doc))
}

fn reply(status: StatusCode, user: &User, body: Value, base: &str) -> ScimReply {
    ScimReply {
        status,
        body: Some(body),
        location: Some(user_location(base, &user.id)),
        etag: Some(user_etag(user)),
    }
}

/// A request body read as a SCIM User of the current schema.
fn read_user(
    body: &Value,
    schema: &ProfileSchema,
    old: Option<&Map<String, Value>>,
) -> Result<UserParts, ScimError> {
    let canonical = read_resource(body, &user_resource(schema))?;
    let wire: ScimUser = serde_json::from_value(Value::Object(canonical)).map_err(|e| {
        ScimError::invalid_value(format!(
            "The User is not valid: {}",
            e.to_string().trim_end_matches('.')
        ))
    })?;
    user_from_wire(wire, old)
}

/// Roster keeps a user's `externalId` in the custom profile attribute `externalId`, defined the
/// first time a SCIM client sends one.
async fn ensure_external_id(
    call: &Call,
    profile: &Map<String, Value>,
    schema: &ProfileSchema,
) -> Result<(), ScimError> {
    if profile.contains_key(EXTERNAL_ID_ATTRIBUTE)
        && schema.attribute(EXTERNAL_ID_ATTRIBUTE).is_none()
    {
        let def = AttributeDef::string("External id")
            .description("The id a SCIM provisioning client gave the user (SCIM externalId)")
            .length(None, Some(1024));
        call.directory()
            .ensure_custom_attribute(&call.ctx(), EXTERNAL_ID_ATTRIBUTE, &def)
            .await?;
    }
    Ok(())
}

pub async fn create_op(
    call: &Call,
    body: &Value,
    projection: Option<&Projection>,
) -> Result<ScimReply, ScimError> {
    call.require_write()?;
    let schema = call.directory().profile_schema().await?;
    let parts = read_user(body, &schema, None)?;
    ensure_external_id(call, &parts.profile, &schema).await?;
    let new = NewUser {
        profile: parts.profile,
        password: parts.password.map(PasswordInput::Value),
        provider: None,
        activate: parts.active != Some(false),
        next_login_change_password: false,
        group_ids: Vec::new(),
    };
    let (user, _link) = call.directory().create_user(&call.ctx(), new).await?;
    let schema = call.directory().profile_schema().await?;
    let projection = projection.cloned().unwrap_or_default();
    let json = user_json(call, &user, &schema, &projection).await?;
    Ok(reply(StatusCode::CREATED, &user, json, call.base()))
}

pub async fn get_op(
    call: &Call,
    id: &str,
    projection: &Projection,
    if_none_match: Option<&str>,
) -> Result<ScimReply, ScimError> {
    let user = call.directory().get_user_by_id(id).await?;
    if if_none_match.is_some_and(|v| etag_matches(v, &user_etag(&user))) {
        return Ok(ScimReply {
            status: StatusCode::NOT_MODIFIED,
            body: None,
            location: None,
            etag: Some(user_etag(&user)),
        });
    }
    let schema = call.directory().profile_schema().await?;
    let json = user_json(call, &user, &schema, projection).await?;
    Ok(reply(StatusCode::OK, &user, json, call.base()))
}

fn check_version(user: &User, if_match: Option<&str>) -> Result<(), ScimError> {
    let mut headers = HeaderMap::new();
    if let Some(v) = if_match.and_then(|v| axum::http::HeaderValue::from_str(v).ok()) {
        headers.insert("if-match", v);
    }
    check_if_match(&headers, &user_etag(user))
}

/// Write `parts` over `user` (PUT, and PATCH after its operations ran).
async fn write(
    call: &Call,
    user: &User,
    parts: UserParts,
    schema: &ProfileSchema,
    projection: Option<&Projection>,
) -> Result<ScimReply, ScimError> {
    ensure_external_id(call, &parts.profile, schema).await?;
    let change = ScimUserChange {
        profile: parts.profile,
        password: parts.password,
        active: parts.active.filter(|a| *a != scim_active(user.status)),
        expected_version: Some(user.version),
    };
    let updated = call
        .directory()
        .scim_update_user(&call.ctx(), &user.id, change)
        .await?;
    let schema = call.directory().profile_schema().await?;
    let projection = projection.cloned().unwrap_or_default();
    let json = user_json(call, &updated, &schema, &projection).await?;
    Ok(reply(StatusCode::OK, &updated, json, call.base()))
}

pub async fn replace_op(
    call: &Call,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
    projection: Option<&Projection>,
) -> Result<ScimReply, ScimError> {
    call.require_write()?;
    let user = call.directory().get_user_by_id(id).await?;
    check_version(&user, if_match)?;
    let schema = call.directory().profile_schema().await?;
    let parts = read_user(body, &schema, Some(&user.profile))?;
    write(call, &user, parts, &schema, projection).await
}

/// The operations of a `PatchOp` body.
pub fn patch_operations(body: &Value) -> Result<Vec<PatchOperation>, ScimError> {
    let Some(object) = body.as_object() else {
        return Err(ScimError::invalid_syntax(
            "The body must be a PatchOp object with schemas and Operations",
        ));
    };
    if let Some(schemas) = object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        .map(|(_, v)| v)
    {
        let ok = schemas.as_array().is_some_and(|a| {
            a.iter().any(|s| {
                s.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_URN))
            })
        });
        if !ok {
            return Err(ScimError::invalid_value(format!(
                "A PATCH body must have schemas [\"{PATCH_OP_URN}\"]"
            )));
        }
    }
    let Some(ops) = object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
        .map(|(_, v)| v)
    else {
        return Err(ScimError::invalid_syntax("The PatchOp has no Operations"));
    };
    serde_json::from_value(ops.clone()).map_err(|e| {
        ScimError::invalid_syntax(format!(
            "Operations must be a list of {{\"op\": add|remove|replace, \"path\": ..., \"value\": ...}}: {}",
            e.to_string().trim_end_matches('.')
        ))
    })
}

pub async fn patch_op(
    call: &Call,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
    projection: Option<&Projection>,
) -> Result<ScimReply, ScimError> {
    call.require_write()?;
    let ops = patch_operations(body)?;
    let user = call.directory().get_user_by_id(id).await?;
    check_version(&user, if_match)?;
    let schema = call.directory().profile_schema().await?;
    let resource = user_resource(&schema);
    let mut doc = match serde_json::to_value(user_to_wire(&user, None, &schema, call.base())) {
        Ok(Value::Object(m)) => m,
        _ => {
            return Err(ScimError::internal(
                &"a user did not serialise to an object",
            ))
        }
    };
    super::patch::apply(&mut doc, &ops, &resource)?;
    let parts = read_user(&Value::Object(doc), &schema, Some(&user.profile))?;
    write(call, &user, parts, &schema, projection).await
}

pub async fn delete_op(
    call: &Call,
    id: &str,
    if_match: Option<&str>,
) -> Result<ScimReply, ScimError> {
    call.require_write()?;
    let user = call.directory().get_user_by_id(id).await?;
    check_version(&user, if_match)?;
    call.directory()
        .scim_delete_user(&call.ctx(), &user.id, Some(user.version))
        .await?;
    Ok(ScimReply {
        status: StatusCode::NO_CONTENT,
        body: None,
        location: None,
        etag: None,
    })
}

// HTTP handlers.

fn call(st: ScimState, principal: Principal) -> Call {
    Call { st, principal }
}

async fn projection_of(call: &Call, params: &QueryPairs) -> Result<Projection, ScimError> {
    if params.get("attributes").is_none() && params.get("excludedAttributes").is_none() {
        return Ok(Projection::default());
    }
    let schema = call.directory().profile_schema().await?;
    Projection::from_query(
        params.get("attributes"),
        params.get("excludedAttributes"),
        &user_resource(&schema),
    )
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub async fn create(
    State(st): State<ScimState>,
    Extension(principal): Extension<Principal>,
    params: Result<QueryPairs, ApiError>,
    body: Result<Bytes, BytesRejection>,
) -> Result<ScimReply, ScimError> {
    let call = call(st, principal);
    let params = query(params)?;
    let body = parse_json(&body_bytes(body)?)?;
    let projection = projection_of(&call, &params).await?;
    create_op(&call, &body, Some(&projection)).await
}

pub async fn get(
    State(st): State<ScimState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    params: Result<QueryPairs, ApiError>,
    headers: HeaderMap,
) -> Result<ScimReply, ScimError> {
    let call = call(st, principal);
    let params = query(params)?;
    let projection = projection_of(&call, &params).await?;
    get_op(&call, &id, &projection, header(&headers, "if-none-match")).await
}

pub async fn replace(
    State(st): State<ScimState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    params: Result<QueryPairs, ApiError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<ScimReply, ScimError> {
    let call = call(st, principal);
    let params = query(params)?;
    let body = parse_json(&body_bytes(body)?)?;
    let projection = projection_of(&call, &params).await?;
    replace_op(
        &call,
        &id,
        &body,
        header(&headers, "if-match"),
        Some(&projection),
    )
    .await
}

pub async fn patch(
    State(st): State<ScimState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    params: Result<QueryPairs, ApiError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<ScimReply, ScimError> {
    let call = call(st, principal);
    let params = query(params)?;
    let body = parse_json(&body_bytes(body)?)?;
    let projection = projection_of(&call, &params).await?;
    patch_op(
        &call,
        &id,
        &body,
        header(&headers, "if-match"),
        Some(&projection),
    )
    .await
}

pub async fn delete(
    State(st): State<ScimState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<ScimReply, ScimError> {
    delete_op(&call(st, principal), &id, header(&headers, "if-match")).await
}

pub async fn list(
    State(st): State<ScimState>,
    Extension(principal): Extension<Principal>,
    params: Result<QueryPairs, ApiError>,
) -> Result<ScimReply, ScimError> {
    let q = ListQuery::from_params(&query(params)?)?;
    Ok(ScimReply::ok(
        list::list_users(&call(st, principal), &q).await?,
    ))
}

pub async fn search(
    State(st): State<ScimState>,
    Extension(principal): Extension<Principal>,
    body: Result<Bytes, BytesRejection>,
) -> Result<ScimReply, ScimError> {
    let q = ListQuery::from_search_body(&parse_json(&body_bytes(body)?)?)?;
    Ok(ScimReply::ok(
        list::list_users(&call(st, principal), &q).await?,
    ))
}
