//! `/admin/groups` (search by name, create) and `/admin/groups/{id}` (profile, members with their
//! status, add by login, remove, rename, delete): the directory's group use cases, as
//! `/api/v1/groups` runs them.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use roster_core::{Group, GroupKind, User};
use roster_server::error::ApiError;
use roster_server::AppState;
use serde::Deserialize;

use crate::error::{ErrorView, PageError};
use crate::session::{display_name, urlencode, Admin, AdminForm, Fields};
use crate::view::{self, tone, when, Chrome};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/groups", get(list).post(create))
        .route("/admin/groups/{id}", get(show).post(update))
        .route("/admin/groups/{id}/delete", post(delete))
        .route("/admin/groups/{id}/members", post(add_member))
        .route(
            "/admin/groups/{id}/members/{user_id}/remove",
            post(remove_member),
        )
}

const PAGE_SIZE: u32 = 50;

/// The message an error has for one form field: a cause whose location is the field, or whose
/// text starts with `field: ` (the API writes most causes so), without that prefix.
pub fn field_message<'a>(error: Option<&'a ErrorView>, field: &str) -> Option<&'a str> {
    let error = error?;
    let prefix = format!("{field}: ");
    error.causes.iter().find_map(|c| {
        if c.field == field {
            Some(c.text.strip_prefix(&prefix).unwrap_or(&c.text))
        } else {
            c.text.strip_prefix(&prefix)
        }
    })
}
const MEMBERS_PAGE: u32 = 200;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: String,
}

pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub kind: &'static str,
    pub updated: String,
    pub members_updated: String,
}

impl GroupRow {
    fn of(g: &Group) -> Self {
        GroupRow {
            id: g.id.clone(),
            name: g.name.clone(),
            description: g.description.clone().unwrap_or_default(),
            kind: g.kind.as_str(),
            updated: when(&g.last_updated),
            members_updated: when(&g.last_membership_updated),
        }
    }
}

/// What the create form held, shown again with its error.
#[derive(Default)]
pub struct GroupForm {
    pub name: String,
    pub description: String,
}

impl GroupForm {
    fn of(fields: &Fields) -> Self {
        GroupForm {
            name: fields.get("name").unwrap_or_default().to_owned(),
            description: fields.get("description").unwrap_or_default().to_owned(),
        }
    }

    fn description(&self) -> Option<String> {
        let d = self.description.trim();
        (!d.is_empty()).then(|| d.to_owned())
    }
}

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    chrome: Chrome,
    q: String,
    rows: Vec<GroupRow>,
    next: Option<String>,
    form: GroupForm,
    error: Option<ErrorView>,
}

impl GroupsPage {
    fn next_href(&self, after: &str) -> String {
        format!(
            "/admin/groups?q={}&after={}",
            urlencode(&self.q),
            urlencode(after)
        )
    }
    fn field_error(&self, field: &str) -> Option<&str> {
        field_message(self.error.as_ref(), field).or_else(|| {
            field_message(self.error.as_ref(), "name").filter(|_| field == "profile.name")
        })
    }
}

async fn render_list(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    query: ListQuery,
    form: GroupForm,
    error: Option<ApiError>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "groups", headers);
    let q = query.q.trim();
    let page = state
        .directory
        .list_groups(
            None,
            (!q.is_empty()).then(|| q.to_owned()),
            (!query.after.is_empty()).then(|| query.after.clone()),
            PAGE_SIZE,
        )
        .await?;
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let page = GroupsPage {
        chrome: chrome.clone(),
        q: query.q,
        rows: page.items.iter().map(GroupRow::of).collect(),
        next: page.next_after,
        form,
        error: error.as_ref().map(ErrorView::from_api),
    };
    Ok(view::render_status(state, &chrome, status, &page))
}

/// `GET /admin/groups?q=&after=`: groups whose name starts with `q`.
pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    render_list(&state, &admin, &headers, query, GroupForm::default(), None).await
}

/// `POST /admin/groups` (`name`, `description`): `POST /api/v1/groups`.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let input = GroupForm::of(&form.fields);
    match state
        .directory
        .create_group(&admin.ctx(&state), &input.name, input.description())
        .await
    {
        Ok(group) => Ok(view::redirect_with(
            &state,
            &format!("/admin/groups/{}", urlencode(&group.id)),
            &format!("Group {} created.", group.name),
        )),
        Err(e) => {
            let api = ApiError::from(e);
            render_list(
                &state,
                &admin,
                &headers,
                ListQuery::default(),
                input,
                Some(api),
            )
            .await
        }
    }
}

// ---- one group --------------------------------------------------------------------------------

pub struct MemberRow {
    pub id: String,
    pub name: String,
    pub login: String,
    pub status: String,
}

impl MemberRow {
    fn of(u: &User) -> Self {
        MemberRow {
            id: u.id.clone(),
            name: display_name(u),
            login: u.login().to_owned(),
            status: u.status.as_str().to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    chrome: Chrome,
    group: GroupRow,
    created: String,
    /// Only OKTA_GROUPs are changed here; APP_GROUPs belong to their import.
    editable: bool,
    app_id: String,
    members: Vec<MemberRow>,
    more_members: Option<String>,
    /// The edit form's values (the group's, or what was sent with an error).
    form: GroupForm,
    /// The login typed into "Add member", kept with its error.
    login: String,
    error: Option<ErrorView>,
}

impl GroupPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
    fn field_error(&self, field: &str) -> Option<&str> {
        field_message(self.error.as_ref(), field).or_else(|| {
            field_message(self.error.as_ref(), "name").filter(|_| field == "profile.name")
        })
    }
    fn more_href(&self, after: &str) -> String {
        format!(
            "/admin/groups/{}?after={}",
            urlencode(&self.group.id),
            urlencode(after)
        )
    }
    fn events_href(&self) -> String {
        format!(
            "/admin/logs?filter={}",
            urlencode(&format!("target.id eq \"{}\"", self.group.id))
        )
    }
}

#[derive(Deserialize, Default)]
pub struct MembersQuery {
    #[serde(default)]
    after: String,
}

struct Shown {
    form: Option<GroupForm>,
    login: String,
    error: Option<ApiError>,
}

async fn render_group(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    id: &str,
    after: &str,
    shown: Shown,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "groups", headers);
    let group = state.directory.get_group(id).await?;
    let members = state
        .directory
        .list_members(
            &group.id,
            (!after.is_empty()).then_some(after),
            MEMBERS_PAGE,
        )
        .await?;
    let form = shown.form.unwrap_or_else(|| GroupForm {
        name: group.name.clone(),
        description: group.description.clone().unwrap_or_default(),
    });
    let status = shown
        .error
        .as_ref()
        .map(|e| e.status)
        .unwrap_or(StatusCode::OK);
    let page = GroupPage {
        chrome: chrome.clone(),
        created: when(&group.created),
        editable: group.kind == GroupKind::OktaGroup,
        app_id: group.app_id.clone().unwrap_or_default(),
        group: GroupRow::of(&group),
        members: members.items.iter().map(MemberRow::of).collect(),
        more_members: members.next_after,
        form,
        login: shown.login,
        error: shown.error.as_ref().map(ErrorView::from_api),
    };
    Ok(view::render_status(state, &chrome, status, &page))
}

/// A failed change shown on the group's page, unless the group itself is gone (404 page).
async fn failed(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    id: &str,
    shown: Shown,
) -> Result<Response, PageError> {
    if let Some(e) = &shown.error {
        if e.status == StatusCode::NOT_FOUND && state.directory.get_group(id).await.is_err() {
            return Err(PageError::from_api(ApiError::not_found("group", id)));
        }
    }
    render_group(state, admin, headers, id, "", shown).await
}

/// `GET /admin/groups/{id}?after=`.
pub async fn show(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<MembersQuery>,
) -> Result<Response, PageError> {
    let shown = Shown {
        form: None,
        login: String::new(),
        error: None,
    };
    render_group(&state, &admin, &headers, &id, &query.after, shown).await
}

/// `POST /admin/groups/{id}` (`name`, `description`): `PUT /api/v1/groups/{id}`.
pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let input = GroupForm::of(&form.fields);
    match state
        .directory
        .update_group(&admin.ctx(&state), &id, &input.name, input.description())
        .await
    {
        Ok(group) => Ok(view::redirect_with(
            &state,
            &format!("/admin/groups/{}", urlencode(&group.id)),
            "Group saved.",
        )),
        Err(e) => {
            let shown = Shown {
                form: Some(input),
                login: String::new(),
                error: Some(ApiError::from(e)),
            };
            failed(&state, &admin, &headers, &id, shown).await
        }
    }
}

/// `POST /admin/groups/{id}/delete`: `DELETE /api/v1/groups/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let group = state.directory.get_group(&id).await?;
    match state.directory.delete_group(&admin.ctx(&state), &id).await {
        Ok(()) => Ok(view::redirect_with(
            &state,
            "/admin/groups",
            &format!("Group {} deleted.", group.name),
        )),
        Err(e) => {
            let shown = Shown {
                form: None,
                login: String::new(),
                error: Some(ApiError::from(e)),
            };
            failed(&state, &admin, &headers, &id, shown).await
        }
    }
}

/// `POST /admin/groups/{id}/members` (`login`, or a user id): `PUT /api/v1/groups/{id}/users/{userId}`.
pub async fn add_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let login = form.fields.text("login").unwrap_or_default().to_owned();
    let outcome = if login.is_empty() {
        Err(ApiError::validation("login", "say which user to add")
            .with_remediation("type the user's login (or id), then add"))
    } else {
        match state.directory.get_user(&login).await {
            Err(e) => Err(ApiError::from(e)),
            Ok(user) => state
                .directory
                .add_member(&admin.ctx(&state), &id, &user.id)
                .await
                .map(|()| user)
                .map_err(ApiError::from),
        }
    };
    match outcome {
        Ok(user) => Ok(view::redirect_with(
            &state,
            &format!("/admin/groups/{}", urlencode(&id)),
            &format!("{} is a member.", user.login()),
        )),
        Err(error) => {
            let shown = Shown {
                form: None,
                login,
                error: Some(error),
            };
            failed(&state, &admin, &headers, &id, shown).await
        }
    }
}

/// `POST /admin/groups/{id}/members/{userId}/remove`: `DELETE /api/v1/groups/{id}/users/{userId}`.
pub async fn remove_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, user_id)): Path<(String, String)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    match state
        .directory
        .remove_member(&admin.ctx(&state), &id, &user_id)
        .await
    {
        Ok(()) => Ok(view::redirect_with(
            &state,
            &format!("/admin/groups/{}", urlencode(&id)),
            "Member removed.",
        )),
        Err(e) => {
            let shown = Shown {
                form: None,
                login: String::new(),
                error: Some(ApiError::from(e)),
            };
            failed(&state, &admin, &headers, &id, shown).await
        }
    }
}
