//! `/admin/tasks`: failed pushes by app and status, each saying what Roster tried, what the
//! target said, the cause and the remediation, with Retry, Dismiss and "Retry all open tasks of
//! this app"; `/admin/tasks/{id}`: one task, followed while it is RETRYING. The same use cases as
//! `/api/v1/tasks` (`list_tasks`, `get_task`, `retry_task`, `dismiss_task`, `retry_app_tasks`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use roster_provisioning::{TaskQuery, TaskRecord};
use roster_server::error::ApiError;
use roster_server::AppState;
use serde::Deserialize;
use serde_json::Value;

use super::app_common::engine;
use crate::error::{ErrorView, PageError};
use crate::session::{display_name, safe_next, urlencode, Admin, AdminForm};
use crate::view::{self, pretty, text_of, tone, when, Chrome};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tasks", get(list))
        .route("/admin/tasks/progress", get(progress))
        .route("/admin/tasks/retry-all", post(retry_all))
        .route("/admin/tasks/{id}", get(show))
        .route("/admin/tasks/{id}/status", get(status_fragment))
        .route("/admin/tasks/{id}/retry", post(retry))
        .route("/admin/tasks/{id}/dismiss", post(dismiss))
}

/// The task statuses, as `GET /api/v1/tasks?status=` takes them.
const STATUSES: [&str; 4] = ["OPEN", "RETRYING", "DONE", "DISMISSED"];
const PAGE_SIZE: u32 = 50;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(rename = "appId", default)]
    app_id: String,
    /// Absent: OPEN. Empty or `ALL`: every status.
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    after: String,
}

/// What the failure of a task says (`lastError`, see `ConnectorError::to_json`).
pub struct TaskError {
    pub summary: String,
    pub code: String,
    pub tried: String,
    pub said: String,
    pub target_status: String,
    pub target_code: String,
    pub field: String,
    pub cause: String,
    pub remediation: String,
    /// The payload Roster sent, redacted.
    pub sent: Option<String>,
    /// The target's answer, redacted.
    pub body: Option<String>,
}

impl TaskError {
    fn of(e: &Value) -> Self {
        let scalar = |key: &str| match e.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Bool(b)) => b.to_string(),
            _ => String::new(),
        };
        let json = |key: &str| match e.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => Some(pretty(v)),
        };
        TaskError {
            summary: text_of(e, "summary").to_owned(),
            code: text_of(e, "code").to_owned(),
            tried: text_of(e, "tried").to_owned(),
            said: text_of(e, "said").to_owned(),
            target_status: scalar("targetStatus"),
            target_code: scalar("targetErrorCode"),
            field: text_of(e, "field").to_owned(),
            cause: text_of(e, "cause").to_owned(),
            remediation: text_of(e, "remediation").to_owned(),
            sent: json("sent"),
            body: json("targetBody"),
        }
    }
}

/// The Group Push a task is about (its subject is a mapping, not a user).
pub struct GroupPushView {
    pub mapping_id: String,
    pub source_group_id: String,
    pub source_group_name: String,
    pub target_group_name: String,
}

/// A task as the pages show it.
pub struct TaskView {
    pub id: String,
    pub status: String,
    pub operation: String,
    pub operation_label: &'static str,
    pub app_id: String,
    pub app_label: String,
    pub user_id: String,
    /// The user's login and name, when the subject is a user that still exists.
    pub user: Option<(String, String)>,
    pub group_push: Option<GroupPushView>,
    pub attempts: i64,
    pub created: String,
    pub updated: String,
    pub error: Option<TaskError>,
}

impl TaskView {
    fn of(
        task: &TaskRecord,
        labels: &HashMap<String, String>,
        users: &HashMap<String, (String, String)>,
    ) -> Self {
        let group_push = (task.operation == roster_provisioning::PUSH_GROUP).then(|| {
            let push = task
                .last_error
                .as_ref()
                .and_then(|e| e.get("groupPush"))
                .cloned()
                .unwrap_or(Value::Null);
            GroupPushView {
                mapping_id: task.user_id.clone(),
                source_group_id: text_of(&push, "sourceGroupId").to_owned(),
                source_group_name: text_of(&push, "sourceGroupName").to_owned(),
                target_group_name: text_of(&push, "targetGroupName").to_owned(),
            }
        });
        TaskView {
            id: task.id.clone(),
            status: task.status.clone(),
            operation: task.operation.clone(),
            operation_label: operation_label(&task.operation),
            app_id: task.app_id.clone(),
            app_label: labels
                .get(&task.app_id)
                .cloned()
                .unwrap_or_else(|| task.app_id.clone()),
            user_id: task.user_id.clone(),
            user: users.get(&task.user_id).cloned(),
            group_push,
            attempts: task.attempts,
            created: when(&task.created),
            updated: when(&task.updated),
            error: task.last_error.as_ref().map(TaskError::of),
        }
    }

    pub fn can_retry(&self) -> bool {
        self.status == "OPEN"
    }

    pub fn can_dismiss(&self) -> bool {
        self.status == "OPEN" || self.status == "RETRYING"
    }

    pub fn retrying(&self) -> bool {
        self.status == "RETRYING"
    }

    /// Whether the task belongs to an application (a mail's task does not).
    pub fn has_app(&self) -> bool {
        self.app_id != roster_provisioning::MAIL_QUEUE
    }
}

/// How the pages name the queue of mail tasks (their `appId` is `email`, no application).
pub const MAIL_LABEL: &str = "Email delivery";

fn operation_label(op: &str) -> &'static str {
    match op {
        "user.push" => "Push user (create or link, then password)",
        "user.reactivate" => "Reactivate user on the target",
        "user.deactivate" => "Deactivate user on the target",
        "group.push" => "Group Push",
        "email.send" => "Send email",
        _ => "Provisioning step",
    }
}

/// App labels by id, and the login and name of the tasks' users.
async fn lookups(
    state: &AppState,
    tasks: &[TaskRecord],
) -> Result<(HashMap<String, String>, HashMap<String, (String, String)>), PageError> {
    let engine = engine(state)?;
    let mut labels: HashMap<String, String> = engine
        .list_apps()
        .await?
        .into_iter()
        .map(|a| (a.id, a.label))
        .collect();
    labels.insert(roster_provisioning::MAIL_QUEUE.into(), MAIL_LABEL.into());
    let mut ids: Vec<String> = tasks
        .iter()
        .filter(|t| t.operation != roster_provisioning::PUSH_GROUP)
        .map(|t| t.user_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    let users = if ids.is_empty() {
        HashMap::new()
    } else {
        state
            .store
            .users_by_ids(&ids)
            .await?
            .iter()
            .map(|u| (u.id.clone(), (u.login().to_owned(), display_name(u))))
            .collect()
    };
    Ok((labels, users))
}

// ---- the list -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    chrome: Chrome,
    app_id: String,
    /// The status filter as the select shows it: `OPEN`, ..., or `ALL`.
    status: String,
    apps: Vec<(String, String)>,
    tasks: Vec<TaskView>,
    next: Option<String>,
    /// The label of the app filtered by, if any.
    app_label: Option<String>,
    /// This list's own address, for the forms to come back to.
    here: String,
    error: Option<ErrorView>,
}

impl TasksPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
    fn next_href(&self, after: &str) -> String {
        format!("{}&after={}", self.base_href(), urlencode(after))
    }
    fn base_href(&self) -> String {
        format!(
            "/admin/tasks?appId={}&status={}",
            urlencode(&self.app_id),
            urlencode(&self.status)
        )
    }
    fn progress_href(&self) -> String {
        format!("/admin/tasks/progress?appId={}", urlencode(&self.app_id))
    }
    fn status_label(&self, s: &str) -> &'static str {
        match s {
            "OPEN" => "Open",
            "RETRYING" => "Retrying",
            "DONE" => "Done",
            "DISMISSED" => "Dismissed",
            _ => "All statuses",
        }
    }
    fn is_app(&self, id: &str) -> bool {
        self.app_id == id
    }
    fn is_status(&self, s: &str) -> bool {
        self.status == s
    }
    fn statuses(&self) -> [&'static str; 5] {
        ["OPEN", "RETRYING", "DONE", "DISMISSED", "ALL"]
    }
}

/// The status filter of a list request: `Ok(None)` for every status, or the API's E0000001.
fn status_filter(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    let status = match raw {
        None => return Ok(Some("OPEN".into())),
        Some(s) if s.trim().is_empty() || s.eq_ignore_ascii_case("ALL") => return Ok(None),
        Some(s) => s.trim().to_ascii_uppercase(),
    };
    if STATUSES.contains(&status.as_str()) {
        Ok(Some(status))
    } else {
        Err(
            ApiError::validation("status", format!("{status:?} is not a task status"))
                .with_remediation("use OPEN, RETRYING, DONE or DISMISSED"),
        )
    }
}

/// `GET /admin/tasks?appId=&status=&after=`: the same list as `GET /api/v1/tasks`.
pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    render_list(&state, &admin, &headers, query, None).await
}

async fn render_list(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    query: ListQuery,
    error: Option<ApiError>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "tasks", headers);
    let engine = engine(state)?;
    let apps: Vec<(String, String)> = engine
        .list_apps()
        .await?
        .into_iter()
        .filter(|a| a.name.pushes())
        .map(|a| (a.id, a.label))
        .chain([(roster_provisioning::MAIL_QUEUE.into(), MAIL_LABEL.into())])
        .collect();
    let app_id = query.app_id.trim().to_owned();
    let mut status_shown = query
        .status
        .as_deref()
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            if query.status.is_some() {
                "ALL".into()
            } else {
                "OPEN".into()
            }
        });
    let mut error = error;
    let (tasks, next) = match status_filter(query.status.as_deref()) {
        Err(e) => {
            status_shown = "ALL".into();
            error = Some(e);
            (Vec::new(), None)
        }
        Ok(status) => {
            let page = engine
                .list_tasks(&TaskQuery {
                    app_id: (!app_id.is_empty()).then(|| app_id.clone()),
                    user_id: None,
                    status,
                    after: (!query.after.is_empty()).then(|| query.after.clone()),
                    limit: PAGE_SIZE,
                })
                .await?;
            let (labels, users) = lookups(state, &page.items).await?;
            (
                page.items
                    .iter()
                    .map(|t| TaskView::of(t, &labels, &users))
                    .collect(),
                page.next_after,
            )
        }
    };
    let app_label = if app_id.is_empty() {
        None
    } else {
        Some(
            apps.iter()
                .find(|(id, _)| *id == app_id)
                .map(|(_, l)| l.clone())
                .unwrap_or_else(|| app_id.clone()),
        )
    };
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let mut page = TasksPage {
        chrome: chrome.clone(),
        app_id,
        status: status_shown,
        apps,
        tasks,
        next,
        app_label,
        here: String::new(),
        error: error.as_ref().map(ErrorView::from_api),
    };
    page.here = page.base_href();
    Ok(view::render_status(state, &chrome, status, &page))
}

#[derive(Deserialize, Default)]
pub struct ProgressQuery {
    #[serde(rename = "appId", default)]
    app_id: String,
}

#[derive(Template)]
#[template(path = "tasks_progress.html")]
struct ProgressFragment {
    retrying: usize,
}

/// `GET /admin/tasks/progress?appId=`: how many tasks (of the app) are still RETRYING; the
/// list polls it after "Retry all" and reloads when none are left.
pub async fn progress(
    State(state): State<AppState>,
    _admin: Admin,
    Query(query): Query<ProgressQuery>,
) -> Result<Response, PageError> {
    let app_id = query.app_id.trim();
    let page = engine(&state)?
        .list_tasks(&TaskQuery {
            app_id: (!app_id.is_empty()).then(|| app_id.to_owned()),
            status: Some("RETRYING".into()),
            limit: 1000,
            ..TaskQuery::default()
        })
        .await?;
    Ok(view::fragment(&ProgressFragment {
        retrying: page.items.len(),
    }))
}

// ---- one task ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "task.html")]
struct TaskPage {
    chrome: Chrome,
    task: TaskView,
    here: String,
    error: Option<ErrorView>,
}

impl TaskPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
    fn events_href(&self) -> String {
        format!(
            "/admin/logs?filter={}",
            urlencode(&format!("target.id eq \"{}\"", self.task.id))
        )
    }
    fn user_events_href(&self) -> String {
        format!(
            "/admin/logs?filter={}",
            urlencode(&format!("target.id eq \"{}\"", self.task.user_id))
        )
    }
}

#[derive(Template)]
#[template(path = "task_status.html")]
struct TaskStatusFragment {
    task: TaskView,
}

impl TaskStatusFragment {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
}

async fn load_task(state: &AppState, id: &str) -> Result<TaskView, PageError> {
    let task = engine(state)?.get_task(id).await?;
    let (labels, users) = lookups(state, std::slice::from_ref(&task)).await?;
    Ok(TaskView::of(&task, &labels, &users))
}

async fn render_task(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    id: &str,
    error: Option<ApiError>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "tasks", headers);
    let task = load_task(state, id).await?;
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let page = TaskPage {
        chrome: chrome.clone(),
        here: format!("/admin/tasks/{}", urlencode(&task.id)),
        task,
        error: error.as_ref().map(ErrorView::from_api),
    };
    Ok(view::render_status(state, &chrome, status, &page))
}

/// `GET /admin/tasks/{id}`.
pub async fn show(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    render_task(&state, &admin, &headers, &id, None).await
}

/// `GET /admin/tasks/{id}/status`: the task's status, polled while it is RETRYING.
pub async fn status_fragment(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let task = load_task(&state, &id).await?;
    Ok(view::fragment(&TaskStatusFragment { task }))
}

/// `POST /admin/tasks/{id}/retry`: `POST /api/v1/tasks/{id}/retry`. The task's page follows the
/// retry until the worker is done with it.
pub async fn retry(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    match engine(&state)?.retry_task(&admin.ctx(&state), &id).await {
        Ok(task) => Ok(view::redirect_with(
            &state,
            &format!("/admin/tasks/{}", urlencode(&task.id)),
            "Task retried. It is RETRYING until the worker's push finishes; this page follows it.",
        )),
        Err(e) => {
            let api = ApiError::from(e);
            if api.status == StatusCode::NOT_FOUND {
                return Err(PageError::from_api(api));
            }
            render_task(&state, &admin, &headers, &id, Some(api)).await
        }
    }
}

/// `POST /admin/tasks/{id}/dismiss`: `POST /api/v1/tasks/{id}/dismiss`.
pub async fn dismiss(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    match engine(&state)?.dismiss_task(&admin.ctx(&state), &id).await {
        Ok(task) => {
            let back = safe_next(form.fields.text("back"));
            let back = if back == "/admin" {
                format!("/admin/tasks/{}", urlencode(&task.id))
            } else {
                back
            };
            Ok(view::redirect_with(
                &state,
                &back,
                "Task dismissed. Its job was dropped; assign the user again to push anew.",
            ))
        }
        Err(e) => {
            let api = ApiError::from(e);
            if api.status == StatusCode::NOT_FOUND {
                return Err(PageError::from_api(api));
            }
            render_task(&state, &admin, &headers, &id, Some(api)).await
        }
    }
}

/// `POST /admin/tasks/retry-all` (`appId`): `POST /api/v1/tasks/retry?appId=`.
pub async fn retry_all(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let Some(app_id) = form.fields.text("appId").map(str::to_owned) else {
        let err = ApiError::validation("appId", "say which app's tasks to retry")
            .with_remediation("filter the tasks by an application, then retry its open tasks");
        return render_list(&state, &admin, &headers, ListQuery::default(), Some(err)).await;
    };
    let engine = engine(&state)?;
    match engine.retry_app_tasks(&admin.ctx(&state), &app_id).await {
        Ok(tasks) => {
            let label = engine
                .get_app(&app_id)
                .await
                .map(|a| a.label)
                .unwrap_or_else(|_| app_id.clone());
            let message = match tasks.len() {
                0 => format!("{label} had no open tasks to retry."),
                1 => format!("Retried 1 open task of {label}. It stays RETRYING until its push finishes."),
                n => format!("Retried {n} open tasks of {label}. They stay RETRYING until their pushes finish."),
            };
            Ok(view::redirect_with(
                &state,
                &format!("/admin/tasks?appId={}&status=RETRYING", urlencode(&app_id)),
                &message,
            ))
        }
        Err(e) => {
            let api = ApiError::from(e);
            if api.status == StatusCode::NOT_FOUND {
                return Err(PageError::from_api(api));
            }
            let query = ListQuery {
                app_id,
                status: None,
                after: String::new(),
            };
            render_list(&state, &admin, &headers, query, Some(api)).await
        }
    }
}
