//! `/admin/users` (search in the shared filter language, paging) and `/admin/users/{id}`
//! (profile, status, credentials, lifecycle actions, groups, app assignments, recent events,
//! admin roles).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use roster_core::lifecycle::LifecycleOp;
use roster_core::{Group, LogEvent, Role, User};
use roster_directory::AdminRole;
use roster_server::extract::QueryPairs;
use roster_server::AppState;
use roster_store::Order;
use serde::Deserialize;

use crate::error::{ErrorView, PageError};
use crate::session::{display_name, Admin, AdminForm};
use crate::view::{self, pretty, tone, when, when_opt, Chrome};

const PAGE_SIZE: u32 = 50;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    search: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: String,
}

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub login: String,
    pub email: String,
    pub status: String,
    pub provider: String,
    pub last_login: String,
}

impl UserRow {
    fn of(user: &User) -> Self {
        UserRow {
            id: user.id.clone(),
            name: display_name(user),
            login: user.login().to_owned(),
            email: user
                .profile
                .get("email")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned(),
            status: user.status.as_str().to_owned(),
            provider: user.credentials.provider.kind.as_str().to_owned(),
            last_login: when_opt(&user.last_login),
        }
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    search: String,
    q: String,
    rows: Vec<UserRow>,
    next: Option<String>,
    error: Option<ErrorView>,
}

impl UsersPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
    fn next_href(&self, after: &str) -> String {
        format!(
            "/admin/users?search={}&q={}&after={}",
            crate::session::urlencode(&self.search),
            crate::session::urlencode(&self.q),
            crate::session::urlencode(after)
        )
    }
}

/// `GET /admin/users?search=&q=&after=`: the same search as `GET /api/v1/users`.
pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&admin, "users", &headers);
    let mut pairs = Vec::new();
    if !query.search.trim().is_empty() {
        pairs.push(("search".to_owned(), query.search.clone()));
    }
    if !query.q.trim().is_empty() {
        pairs.push(("q".to_owned(), query.q.trim().to_owned()));
    }
    if !query.after.is_empty() {
        pairs.push(("after".to_owned(), query.after.clone()));
    }
    let (rows, next, error, status) =
        match roster_server::okta::users::search_users(&state, &QueryPairs(pairs), PAGE_SIZE).await
        {
            Ok(page) => (
                page.items.iter().map(UserRow::of).collect(),
                page.next_after,
                None,
                axum::http::StatusCode::OK,
            ),
            Err(e) => (Vec::new(), None, Some(ErrorView::from_api(&e)), e.status),
        };
    let page = UsersPage {
        chrome: chrome.clone(),
        search: query.search,
        q: query.q,
        rows,
        next,
        error,
    };
    Ok(view::render_status(&state, &chrome, status, &page))
}

pub struct Assignment {
    pub app_id: String,
    pub app_label: String,
    pub status: String,
    pub sync_state: String,
    pub scope: String,
    pub task_id: Option<String>,
    pub last_sync: String,
}

/// A lifecycle action the user's status allows, as a button.
pub struct Action {
    pub op: &'static str,
    pub label: String,
    pub danger: bool,
    pub confirm: String,
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    chrome: Chrome,
    user: UserRow,
    created: String,
    activated: String,
    status_changed: String,
    password_changed: String,
    profile: Vec<(String, String)>,
    federated: bool,
    actions: Vec<Action>,
    groups: Vec<Group>,
    assignments: Vec<Assignment>,
    events: Vec<LogEvent>,
    roles: Vec<AdminRole>,
    /// A one-time link just made (reset or activation), shown once.
    link: Option<(String, String)>,
    error: Option<ErrorView>,
}

impl UserPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
    fn when(&self, e: &LogEvent) -> String {
        when(&e.published)
    }
    fn role_label(&self, r: &AdminRole) -> &'static str {
        roster_server::okta::roles::role_label(r.role)
    }
    fn role_type(&self, r: &AdminRole) -> &'static str {
        r.role.as_str()
    }
    fn outcome(&self, e: &LogEvent) -> String {
        e.outcome.result.clone()
    }
}

fn actions_for(user: &User) -> Vec<Action> {
    let federated = !user.credentials.provider.kind.accepts_password();
    let login = user.login();
    let candidates: [(LifecycleOp, &'static str, String, bool); 8] = [
        (LifecycleOp::Activate, "activate", "Activate".into(), false),
        (
            LifecycleOp::Reactivate,
            "reactivate",
            "Reactivate".into(),
            false,
        ),
        (LifecycleOp::Unlock, "unlock", "Unlock".into(), false),
        (
            LifecycleOp::Unsuspend,
            "unsuspend",
            "Unsuspend".into(),
            false,
        ),
        (
            LifecycleOp::ResetPassword,
            "reset_password",
            if federated {
                "Reset password and convert to OKTA credentials".into()
            } else {
                "Reset password".into()
            },
            false,
        ),
        (
            LifecycleOp::ExpirePassword,
            "expire_password",
            "Expire password".into(),
            false,
        ),
        (LifecycleOp::Suspend, "suspend", "Suspend".into(), true),
        (
            LifecycleOp::Deactivate,
            "deactivate",
            "Deactivate".into(),
            true,
        ),
    ];
    candidates
        .into_iter()
        .filter(|(op, ..)| op.allowed_from().contains(&user.status))
        .filter(|(op, ..)| !(federated && *op == LifecycleOp::ExpirePassword))
        .map(|(_, op, label, danger)| Action {
            confirm: if danger {
                format!("{label} {login}? The user's apps follow (pushes deactivate them where the app says so).")
            } else {
                String::new()
            },
            op,
            label,
            danger,
        })
        .collect()
}

async fn render_user(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    id: &str,
    link: Option<(String, String)>,
    error: Option<ErrorView>,
    status: axum::http::StatusCode,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "users", headers);
    let user = state.directory.get_user(id).await?;
    let mut profile: Vec<(String, String)> = user
        .profile
        .iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => pretty(other),
            };
            (k.clone(), text)
        })
        .collect();
    profile.sort_by(|a, b| a.0.cmp(&b.0));
    let groups = state.directory.user_groups(&user.id).await?;
    let mut assignments = Vec::new();
    if let Some(engine) = &state.provisioning {
        for app in engine.list_apps().await? {
            if let Some(au) = engine.find_app_user(&app.id, &user.id).await? {
                assignments.push(Assignment {
                    app_id: app.id.clone(),
                    app_label: app.label.clone(),
                    status: au.status.clone(),
                    sync_state: au.sync_state.clone(),
                    scope: au.scope.clone(),
                    task_id: au.task_id.clone(),
                    last_sync: when_opt(&au.last_sync),
                });
            }
        }
    }
    let params = QueryPairs(vec![(
        "filter".into(),
        format!("target.id eq \"{}\"", user.id),
    )]);
    let events = roster_server::logs::search_logs(state, &params, 15, Order::Desc)
        .await?
        .page
        .items;
    let roles = state.directory.roles_of(&user.id).await?;
    let page = UserPage {
        chrome: chrome.clone(),
        user: UserRow::of(&user),
        created: when(&user.created),
        activated: when_opt(&user.activated),
        status_changed: when_opt(&user.status_changed),
        password_changed: when_opt(&user.password_changed),
        profile,
        federated: !user.credentials.provider.kind.accepts_password(),
        actions: actions_for(&user),
        groups,
        assignments,
        events,
        roles,
        link,
        error,
    };
    Ok(view::render_status(state, &chrome, status, &page))
}

/// `GET /admin/users/{id}`.
pub async fn show(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    render_user(
        &state,
        &admin,
        &headers,
        &id,
        None,
        None,
        axum::http::StatusCode::OK,
    )
    .await
}

/// `POST /admin/users/{id}/lifecycle/{op}`: the same use case as
/// `POST /api/v1/users/{id}/lifecycle/{op}`. A reset or activation shows its one-time link on
/// the page it answers with (never in a redirect, a cookie or the log).
pub async fn lifecycle(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, op)): Path<(String, String)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let Some(lifecycle_op) = LifecycleOp::parse(&op).filter(|o| {
        matches!(
            o,
            LifecycleOp::Activate
                | LifecycleOp::Reactivate
                | LifecycleOp::Deactivate
                | LifecycleOp::Suspend
                | LifecycleOp::Unsuspend
                | LifecycleOp::Unlock
                | LifecycleOp::ResetPassword
                | LifecycleOp::ExpirePassword
        )
    }) else {
        return Err(PageError::not_found("lifecycle operation", &op));
    };
    let ctx = admin.ctx(&state);
    match state
        .directory
        .lifecycle(&ctx, &id, lifecycle_op, false)
        .await
    {
        Ok(result) => {
            let base = &state.config.public_url;
            match (result.user, result.link) {
                (Some(user), Some(link)) => {
                    let label = match lifecycle_op {
                        LifecycleOp::ResetPassword => "Password reset link",
                        _ => "Activation link",
                    };
                    let url = format!("{base}{}", link.path());
                    render_user(
                        &state,
                        &admin,
                        &headers,
                        &user.id,
                        Some((label.to_owned(), url)),
                        None,
                        axum::http::StatusCode::OK,
                    )
                    .await
                }
                (Some(user), None) => Ok(view::redirect_with(
                    &state,
                    &format!("/admin/users/{}", user.id),
                    &format!(
                        "{}: done. The user is now {}.",
                        op_label(lifecycle_op),
                        user.status.as_str()
                    ),
                )),
                (None, _) => Ok(view::redirect_with(
                    &state,
                    "/admin/users",
                    "The user was deleted.",
                )),
            }
        }
        Err(e) => {
            let api = roster_server::error::ApiError::from(e);
            if api.status == axum::http::StatusCode::NOT_FOUND {
                return Err(PageError::from_api(api));
            }
            render_user(
                &state,
                &admin,
                &headers,
                &id,
                None,
                Some(ErrorView::from_api(&api)),
                api.status,
            )
            .await
        }
    }
}

fn op_label(op: LifecycleOp) -> &'static str {
    match op {
        LifecycleOp::Activate => "Activate",
        LifecycleOp::Reactivate => "Reactivate",
        LifecycleOp::Deactivate => "Deactivate",
        LifecycleOp::Suspend => "Suspend",
        LifecycleOp::Unsuspend => "Unsuspend",
        LifecycleOp::Unlock => "Unlock",
        LifecycleOp::ResetPassword => "Reset password",
        LifecycleOp::ExpirePassword => "Expire password",
        _ => "Change",
    }
}

/// `POST /admin/users/{id}/roles`: grant SUPER_ADMIN or READ_ONLY_ADMIN.
pub async fn grant_role(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let Some(role) = form.fields.get("type").and_then(Role::parse) else {
        let err = roster_server::error::ApiError::validation(
            "type",
            "choose SUPER_ADMIN or READ_ONLY_ADMIN",
        );
        return render_user(
            &state,
            &admin,
            &headers,
            &id,
            None,
            Some(ErrorView::from_api(&err)),
            err.status,
        )
        .await;
    };
    match state
        .directory
        .grant_role(&admin.ctx(&state), &id, role)
        .await
    {
        Ok(_) => Ok(view::redirect_with(
            &state,
            &format!("/admin/users/{id}"),
            &format!("Granted {}.", role.as_str()),
        )),
        Err(e) => {
            let api = roster_server::error::ApiError::from(e);
            render_user(
                &state,
                &admin,
                &headers,
                &id,
                None,
                Some(ErrorView::from_api(&api)),
                api.status,
            )
            .await
        }
    }
}

/// `POST /admin/users/{id}/roles/{roleId}/revoke`.
pub async fn revoke_role(
    State(state): State<AppState>,
    Path((id, role_id)): Path<(String, String)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    state
        .directory
        .revoke_role(&admin.ctx(&state), &id, &role_id)
        .await?;
    Ok(view::redirect_with(
        &state,
        &format!("/admin/users/{id}"),
        "Role revoked. The user's console sessions end with it.",
    )
    .into_response())
}
