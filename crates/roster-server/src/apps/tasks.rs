//! `/api/v1/tasks`: failed pushes, with retry and dismiss.

use axum::extract::{Path, State};
use axum::http::header::LINK;
use axum::http::HeaderMap;
use axum::{Extension, Json};
use roster_provisioning::TaskQuery;
use serde_json::Value;

use super::engine;
use super::wire::task_out;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::QueryPairs;
use crate::okta::ctx;
use crate::paging::link_header;
use crate::AppState;

const STATUSES: &[&str] = &["OPEN", "RETRYING", "DONE", "DISMISSED"];

/// `GET /api/v1/tasks?appId=&userId=&status=&limit=&after=`.
pub async fn list(
    State(state): State<AppState>,
    params: QueryPairs,
) -> Result<(HeaderMap, Json<Vec<Value>>), ApiError> {
    let opt = |name: &str| {
        params
            .get(name)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let status = opt("status").map(|s| s.to_ascii_uppercase());
    if let Some(s) = &status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(
                ApiError::validation("status", format!("{s:?} is not a task status"))
                    .with_remediation("use OPEN, RETRYING, DONE or DISMISSED"),
            );
        }
    }
    let query = TaskQuery {
        app_id: opt("appId"),
        user_id: opt("userId"),
        status,
        after: opt("after"),
        limit: params.limit(200, 1000)?,
    };
    let page = engine(&state)?.list_tasks(&query).await?;
    let base = &state.config.public_url;
    let mut headers = HeaderMap::new();
    for l in link_header(
        base,
        "/api/v1/tasks",
        &params.without_after(),
        page.next_after.as_deref(),
    ) {
        headers.append(LINK, l);
    }
    Ok((
        headers,
        Json(page.items.iter().map(|t| task_out(t, base)).collect()),
    ))
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let task = engine(&state)?.get_task(&id).await?;
    Ok(Json(task_out(&task, &state.config.public_url)))
}

pub async fn retry(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let task = engine(&state)?
        .retry_task(&ctx(&state, &principal), &id)
        .await?;
    Ok(Json(task_out(&task, &state.config.public_url)))
}

pub async fn dismiss(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let task = engine(&state)?
        .dismiss_task(&ctx(&state, &principal), &id)
        .await?;
    Ok(Json(task_out(&task, &state.config.public_url)))
}

/// `POST /api/v1/tasks/retry?appId=...`: retry every OPEN task of an app.
pub async fn retry_app(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    params: QueryPairs,
) -> Result<Json<Vec<Value>>, ApiError> {
    principal.require_write()?;
    let Some(app_id) = params.get("appId").filter(|a| !a.is_empty()) else {
        return Err(
            ApiError::validation("appId", "say which app's tasks to retry")
                .with_remediation("send POST /api/v1/tasks/retry?appId=<appId>"),
        );
    };
    let tasks = engine(&state)?
        .retry_app_tasks(&ctx(&state, &principal), app_id)
        .await?;
    Ok(Json(
        tasks
            .iter()
            .map(|t| task_out(t, &state.config.public_url))
            .collect(),
    ))
}
