//! `/api/v1/groups`: CRUD, search, members.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};

use super::ctx;
use super::wire::{GroupIn, GroupOut, UserOut};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{ApiJson, QueryPairs};
use crate::logs::{list_error, parse_filter};
use crate::paging::link_headers;
use crate::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/groups",
    operation_id = "listGroups",
    tag = "Group",
    params(("q" = Option<String>, Query, description = "Prefix search"), ("filter" = Option<String>, Query, description = "Okta filter expression"), ("search" = Option<String>, Query, description = "Okta search expression"), ("limit" = Option<u32>, Query, description = "Largest number of results in a page"), ("after" = Option<String>, Query, description = "The cursor of the next page, from a `next` Link header")),
    responses((status = 200, description = "A page of groups", body = [crate::okta::wire::GroupOut]), crate::openapi::ApiErrors),
)]
pub async fn list(
    State(state): State<AppState>,
    params: QueryPairs,
) -> Result<(HeaderMap, Json<Vec<GroupOut>>), ApiError> {
    let limit = params.limit(10_000, 10_000)?;
    let (param, filter) = match (
        params.get("search").filter(|s| !s.trim().is_empty()),
        params.get("filter").filter(|s| !s.trim().is_empty()),
    ) {
        (Some(s), _) => ("search", Some(parse_filter("search", s)?)),
        (None, Some(f)) => ("filter", Some(parse_filter("filter", f)?)),
        (None, None) => ("search", None),
    };
    let shown = filter.clone();
    let q = params.get("q").filter(|q| !q.is_empty()).map(str::to_owned);
    let after = params
        .get("after")
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    let page = state
        .directory
        .list_groups(filter, q, after, limit)
        .await
        .map_err(|e| list_error(param, shown.as_ref(), e))?;
    let base = &state.config.public_url;
    let headers = link_headers(base, "/api/v1/groups", &params, page.next_after.as_deref());
    Ok((
        headers,
        Json(
            page.items
                .iter()
                .map(|g| GroupOut::from_group(g, base))
                .collect(),
        ),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/groups",
    operation_id = "createGroup",
    tag = "Group",
    request_body = crate::okta::wire::GroupIn,
    responses((status = 200, description = "The group", body = crate::okta::wire::GroupOut), crate::openapi::ApiErrors),
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(body): ApiJson<GroupIn>,
) -> Result<Json<GroupOut>, ApiError> {
    principal.require_write()?;
    let group = state
        .directory
        .create_group(
            &ctx(&state, &principal),
            &body.profile.name,
            body.profile.description,
        )
        .await?;
    Ok(Json(GroupOut::from_group(&group, &state.config.public_url)))
}

#[utoipa::path(
    get,
    path = "/api/v1/groups/{id}",
    operation_id = "getGroup",
    tag = "Group",
    params(("id" = String, Path, description = "Group id")),
    responses((status = 200, description = "The group", body = crate::okta::wire::GroupOut), crate::openapi::ApiErrors),
)]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<GroupOut>, ApiError> {
    let group = state.directory.get_group(&id).await?;
    Ok(Json(GroupOut::from_group(&group, &state.config.public_url)))
}

#[utoipa::path(
    put,
    path = "/api/v1/groups/{id}",
    operation_id = "replaceGroup",
    tag = "Group",
    params(("id" = String, Path, description = "Group id")),
    request_body = crate::okta::wire::GroupIn,
    responses((status = 200, description = "The group", body = crate::okta::wire::GroupOut), crate::openapi::ApiErrors),
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<GroupIn>,
) -> Result<Json<GroupOut>, ApiError> {
    principal.require_write()?;
    let group = state
        .directory
        .update_group(
            &ctx(&state, &principal),
            &id,
            &body.profile.name,
            body.profile.description,
        )
        .await?;
    Ok(Json(GroupOut::from_group(&group, &state.config.public_url)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/groups/{id}",
    operation_id = "deleteGroup",
    tag = "Group",
    params(("id" = String, Path, description = "Group id")),
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
        .delete_group(&ctx(&state, &principal), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v1/groups/{id}/users",
    operation_id = "listGroupUsers",
    tag = "Group",
    params(("id" = String, Path, description = "Group id"), ("limit" = Option<u32>, Query, description = "Largest number of results in a page"), ("after" = Option<String>, Query, description = "The cursor of the next page, from a `next` Link header")),
    responses((status = 200, description = "A page of members", body = [crate::okta::wire::UserOut]), crate::openapi::ApiErrors),
)]
pub async fn members(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: QueryPairs,
) -> Result<(HeaderMap, Json<Vec<UserOut>>), ApiError> {
    let limit = params.limit(1000, 10_000)?;
    let after = params.get("after").filter(|a| !a.is_empty());
    let page = state.directory.list_members(&id, after, limit).await?;
    let base = &state.config.public_url;
    let headers = link_headers(
        base,
        &format!("/api/v1/groups/{id}/users"),
        &params,
        page.next_after.as_deref(),
    );
    Ok((
        headers,
        Json(
            page.items
                .iter()
                .map(|u| UserOut::from_user(u, base))
                .collect(),
        ),
    ))
}

#[utoipa::path(
    put,
    path = "/api/v1/groups/{id}/users/{userId}",
    operation_id = "assignUserToGroup",
    tag = "Group",
    params(("id" = String, Path, description = "Group id"), ("userId" = String, Path, description = "User id")),
    responses((status = 204, description = "Done"), crate::openapi::ApiErrors),
)]
pub async fn add_member(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((group_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    state
        .directory
        .add_member(&ctx(&state, &principal), &group_id, &user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete,
    path = "/api/v1/groups/{id}/users/{userId}",
    operation_id = "unassignUserFromGroup",
    tag = "Group",
    params(("id" = String, Path, description = "Group id"), ("userId" = String, Path, description = "User id")),
    responses((status = 204, description = "Done"), crate::openapi::ApiErrors),
)]
pub async fn remove_member(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((group_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    state
        .directory
        .remove_member(&ctx(&state, &principal), &group_id, &user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
