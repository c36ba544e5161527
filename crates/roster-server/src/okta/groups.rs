//! `/api/v1/groups`: CRUD, search, members.

use axum::extract::{Path, State};
use axum::http::header::LINK;
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};

use super::ctx;
use super::wire::{GroupIn, GroupOut, UserOut};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{ApiJson, QueryPairs};
use crate::logs::parse_filter;
use crate::paging::link_header;
use crate::AppState;

pub async fn list(
    State(state): State<AppState>,
    params: QueryPairs,
) -> Result<(HeaderMap, Json<Vec<GroupOut>>), ApiError> {
    let limit = params.limit(10_000, 10_000)?;
    let filter = match (
        params.get("search").filter(|s| !s.trim().is_empty()),
        params.get("filter").filter(|s| !s.trim().is_empty()),
    ) {
        (Some(s), _) => Some(parse_filter("search", s)?),
        (None, Some(f)) => Some(parse_filter("filter", f)?),
        (None, None) => None,
    };
    let q = params.get("q").filter(|q| !q.is_empty()).map(str::to_owned);
    let after = params
        .get("after")
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    let page = state.directory.list_groups(filter, q, after, limit).await?;
    let base = &state.config.public_url;
    let mut headers = HeaderMap::new();
    for l in link_header(
        base,
        "/api/v1/groups",
        &params.without_after(),
        page.next_after.as_deref(),
    ) {
        headers.append(LINK, l);
    }
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

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<GroupOut>, ApiError> {
    let group = state.directory.get_group(&id).await?;
    Ok(Json(GroupOut::from_group(&group, &state.config.public_url)))
}

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

pub async fn members(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: QueryPairs,
) -> Result<(HeaderMap, Json<Vec<UserOut>>), ApiError> {
    let limit = params.limit(1000, 10_000)?;
    let after = params.get("after").filter(|a| !a.is_empty());
    let page = state.directory.list_members(&id, after, limit).await?;
    let base = &state.config.public_url;
    let mut headers = HeaderMap::new();
    for l in link_header(
        base,
        &format!("/api/v1/groups/{id}/users"),
        &params.without_after(),
        page.next_after.as_deref(),
    ) {
        headers.append(LINK, l);
    }
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
