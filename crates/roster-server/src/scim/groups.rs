//! `/Groups`: create, read, replace, patch, delete, list and search. Members are users; adding
//! and removing them goes through `Directory::add_member` / `remove_member` (with their System
//! Log events), after every member id was checked.

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Extension;
use roster_core::Group;
use roster_directory::scim_ops::ScimGroupChange;
use serde_json::Value;

use super::attrs::Projection;
use super::body::{parse_json, read_resource};
use super::convert::{group_etag, group_location, group_to_wire, member_ids};
use super::error::ScimError;
use super::list::{self, ListQuery};
use super::schema::group_resource;
use super::users::patch_operations;
use super::wire::ScimGroup;
use super::{body_bytes, check_if_match, etag_matches, query, Call, ScimReply, ScimState};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::QueryPairs;

/// Every member id of a group, in id order.
pub async fn all_member_ids(call: &Call, group_id: &str) -> Result<Vec<String>, ScimError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = call
            .directory()
            .list_members(group_id, after.as_deref(), roster_store::MAX_PAGE_SIZE)
            .await?;
        out.extend(page.items.into_iter().map(|u| u.id));
        match page.next_after {
            Some(next) => after = Some(next),
            None => return Ok(out),
        }
    }
}

/// A group as SCIM JSON, with its members when the projection returns them.
pub async fn group_json(
    call: &Call,
    group: &Group,
    projection: &Projection,
) -> Result<Value, ScimError> {
    let members = if projection.returns("members") {
        Some(all_member_ids(call, &group.id).await?)
    } else {
        None
    };
    let external_id = call.directory().group_external_id(&group.id).await?;
    let wire = group_to_wire(group, external_id, members.as_deref(), call.base());
    let mut doc = match serde_json::to_value(&wire) {
        Ok(Value::Object(m)) => m,
        _ => {
            return Err(ScimError::internal(
                &"a group did not serialise to an object",
            ))
        }
    };
    projection.apply(&mut doc);
    Ok(Value::Object(doc))
}

fn reply(status: StatusCode, group: &Group, body: Value, base: &str) -> ScimReply {
    ScimReply {
        status,
        body: Some(body),
        location: Some(group_location(base, &group.id)),
        etag: Some(group_etag(group)),
    }
}

/// What a SCIM Group body asks for: a name, an externalId and the member ids.
struct GroupParts {
    name: String,
    external_id: Option<String>,
    members: Vec<String>,
}

fn read_group(body: &Value) -> Result<GroupParts, ScimError> {
    let canonical = read_resource(body, &group_resource())?;
    let wire: ScimGroup = serde_json::from_value(Value::Object(canonical)).map_err(|e| {
        ScimError::invalid_value(format!(
            "The Group is not valid: {}",
            e.to_string().trim_end_matches('.')
        ))
    })?;
    let name = wire
        .display_name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| {
            ScimError::invalid_value(
                "The Group is not valid: displayName is required (the group's name in Roster)",
            )
        })?;
    Ok(GroupParts {
        name,
        external_id: wire.external_id.filter(|e| !e.is_empty()),
        members: member_ids(&wire.members.unwrap_or_default())?,
    })
}

/// Check that every member exists before anything is written.
async fn check_members(call: &Call, ids: &[String]) -> Result<(), ScimError> {
    let mut missing = Vec::new();
    for id in ids {
        match call.directory().get_user_by_id(id).await {
            Ok(_) => {}
            Err(roster_directory::DirectoryError::NotFound { .. }) => {
                missing.push(format!("{id:?}"))
            }
            Err(e) => return Err(e.into()),
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ScimError::invalid_value(format!(
            "members: no user has the id {}; send the ids of existing users as members[].value",
            missing.join(", ")
        )))
    }
}

pub async fn create_op(
    call: &Call,
    body: &Value,
    projection: Option<&Projection>,
) -> Result<ScimReply, ScimError> {
    call.require_write()?;
    let parts = read_group(body)?;
    check_members(call, &parts.members).await?;
    let ctx = call.ctx();
    let group = call
        .directory()
        .create_group(&ctx, &parts.name, None)
        .await?;
    if let Some(ext) = &parts.external_id {
        call.directory()
            .set_group_external_id(&ctx, &group.id, Some(ext))
            .await?;
    }
    let group = if parts.members.is_empty() {
        group
    } else {
        let change = ScimGroupChange {
            name: group.name.clone(),
            add_members: parts.members,
            remove_members: Vec::new(),
            touch: false,
        };
        call.directory()
            .scim_update_group(&ctx, &group.id, change)
            .await?
    };
    let json = group_json(call, &group, &projection.cloned().unwrap_or_default()).await?;
    Ok(reply(StatusCode::CREATED, &group, json, call.base()))
}

pub async fn get_op(
    call: &Call,
    id: &str,
    projection: &Projection,
    if_none_match: Option<&str>,
) -> Result<ScimReply, ScimError> {
    let group = call.directory().get_group(id).await?;
    if if_none_match.is_some_and(|v| etag_matches(v, &group_etag(&group))) {
        return Ok(ScimReply {
            status: StatusCode::NOT_MODIFIED,
            body: None,
            location: None,
            etag: Some(group_etag(&group)),
        });
    }
    let json = group_json(call, &group, projection).await?;
    Ok(reply(StatusCode::OK, &group, json, call.base()))
}

fn check_version(group: &Group, if_match: Option<&str>) -> Result<(), ScimError> {
    let mut headers = HeaderMap::new();
    if let Some(v) = if_match.and_then(|v| axum::http::HeaderValue::from_str(v).ok()) {
        headers.insert("if-match", v);
    }
    check_if_match(&headers, &group_etag(group))
}

/// Make the group look like `parts`: name, externalId and exactly these members.
async fn write(
    call: &Call,
    group: &Group,
    current_members: &[String],
    parts: GroupParts,
    projection: Option<&Projection>,
) -> Result<ScimReply, ScimError> {
    let wanted: BTreeSet<&String> = parts.members.iter().collect();
    let have: BTreeSet<&String> = current_members.iter().collect();
    let add: Vec<String> = parts
        .members
        .iter()
        .filter(|m| !have.contains(m))
        .cloned()
        .collect();
    let remove: Vec<String> = current_members
        .iter()
        .filter(|m| !wanted.contains(m))
        .cloned()
        .collect();
    check_members(call, &add).await?;
    let ctx = call.ctx();
    let old_external = call.directory().group_external_id(&group.id).await?;
    let external_changed = old_external != parts.external_id;
    let change = ScimGroupChange {
        name: parts.name,
        add_members: add,
        remove_members: remove,
        touch: external_changed,
    };
    let updated = call
        .directory()
        .scim_update_group(&ctx, &group.id, change)
        .await?;
    if external_changed {
        call.directory()
            .set_group_external_id(&ctx, &group.id, parts.external_id.as_deref())
            .await?;
    }
    let json = group_json(call, &updated, &projection.cloned().unwrap_or_default()).await?;
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
    let group = call.directory().get_group(id).await?;
    check_version(&group, if_match)?;
    let parts = read_group(body)?;
    let current = all_member_ids(call, &group.id).await?;
    write(call, &group, &current, parts, projection).await
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
    let group = call.directory().get_group(id).await?;
    check_version(&group, if_match)?;
    let current = all_member_ids(call, &group.id).await?;
    let external_id = call.directory().group_external_id(&group.id).await?;
    let mut doc = match serde_json::to_value(group_to_wire(
        &group,
        external_id,
        Some(&current),
        call.base(),
    )) {
        Ok(Value::Object(m)) => m,
        _ => {
            return Err(ScimError::internal(
                &"a group did not serialise to an object",
            ))
        }
    };
    super::patch::apply(&mut doc, &ops, &group_resource())?;
    let parts = read_group(&Value::Object(doc))?;
    write(call, &group, &current, parts, projection).await
}

pub async fn delete_op(
    call: &Call,
    id: &str,
    if_match: Option<&str>,
) -> Result<ScimReply, ScimError> {
    call.require_write()?;
    let group = call.directory().get_group(id).await?;
    check_version(&group, if_match)?;
    let ctx = call.ctx();
    call.directory().delete_group(&ctx, &group.id).await?;
    call.directory()
        .set_group_external_id(&ctx, &group.id, None)
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

fn projection_of(params: &QueryPairs) -> Result<Projection, ScimError> {
    Projection::from_query(
        params.get("attributes"),
        params.get("excludedAttributes"),
        &group_resource(),
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
    let projection = projection_of(&query(params)?)?;
    let body = parse_json(&body_bytes(body)?)?;
    create_op(&call(st, principal), &body, Some(&projection)).await
}

pub async fn get(
    State(st): State<ScimState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    params: Result<QueryPairs, ApiError>,
    headers: HeaderMap,
) -> Result<ScimReply, ScimError> {
    let projection = projection_of(&query(params)?)?;
    get_op(
        &call(st, principal),
        &id,
        &projection,
        header(&headers, "if-none-match"),
    )
    .await
}

pub async fn replace(
    State(st): State<ScimState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    params: Result<QueryPairs, ApiError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<ScimReply, ScimError> {
    let projection = projection_of(&query(params)?)?;
    let body = parse_json(&body_bytes(body)?)?;
    replace_op(
        &call(st, principal),
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
    let projection = projection_of(&query(params)?)?;
    let body = parse_json(&body_bytes(body)?)?;
    patch_op(
        &call(st, principal),
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
        list::list_groups(&call(st, principal), &q).await?,
    ))
}

pub async fn search(
    State(st): State<ScimState>,
    Extension(principal): Extension<Principal>,
    body: Result<Bytes, BytesRejection>,
) -> Result<ScimReply, ScimError> {
    let q = ListQuery::from_search_body(&parse_json(&body_bytes(body)?)?)?;
    Ok(ScimReply::ok(
        list::list_groups(&call(st, principal), &q).await?,
    ))
}
