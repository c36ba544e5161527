//! `/admin/profile-sources`: the apps whose imports master user profiles (PROFILE_MASTERING),
//! in the order they win (lowest priority first, then app id: `roster_imports::mastering`),
//! with a way to change a source's priority through the same use case as
//! `PUT /api/v1/apps/{id}/features/PROFILE_MASTERING` (`Imports::set_mastering`).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use roster_provisioning::App;
use roster_server::error::ApiError;
use roster_server::AppState;

use crate::error::{ErrorView, PageError};
use crate::pages::app_common::engine;
use crate::session::{Admin, AdminForm};
use crate::view::{self, tone, Chrome};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/profile-sources", get(list))
        .route("/admin/profile-sources/{id}/priority", post(set_priority))
}

/// A profile source (or an import app that is not one yet).
pub struct SourceRow {
    pub id: String,
    pub label: String,
    pub kind: String,
    pub status: String,
    pub priority: i64,
    pub on_deactivate: String,
    /// Attributes this source does not master, or masters with another priority.
    pub overrides: Vec<String>,
}

impl SourceRow {
    fn of(app: &App) -> Self {
        let m = &app.mastering;
        SourceRow {
            id: app.id.clone(),
            label: app.label.clone(),
            kind: app.name.as_str().to_owned(),
            status: app.status.clone(),
            priority: m.priority,
            on_deactivate: m.on_deactivate.clone(),
            overrides: m
                .attribute_overrides
                .iter()
                .map(|(name, o)| match (o.mastered, o.priority) {
                    (false, _) => format!("{name}: not mastered"),
                    (true, Some(p)) => format!("{name}: priority {p}"),
                    (true, None) => format!("{name}: mastered"),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "sources.html")]
struct SourcesPage {
    chrome: Chrome,
    sources: Vec<SourceRow>,
    others: Vec<SourceRow>,
    /// The app whose priority change failed, with the value sent.
    failed: Option<(String, String)>,
    error: Option<ErrorView>,
}

impl SourcesPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
    fn priority_value(&self, row: &SourceRow) -> String {
        match &self.failed {
            Some((id, value)) if *id == row.id => value.clone(),
            _ => row.priority.to_string(),
        }
    }
    fn failed_here(&self, row: &SourceRow) -> bool {
        matches!(&self.failed, Some((id, _)) if *id == row.id)
    }
}

async fn render(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    failed: Option<(String, String)>,
    error: Option<ApiError>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "sources", headers);
    let apps: Vec<App> = engine(state)?
        .list_apps()
        .await?
        .into_iter()
        .filter(|a| a.name.imports())
        .collect();
    let mut sources: Vec<&App> = apps.iter().filter(|a| a.mastering.enabled).collect();
    sources.sort_by(|a, b| (a.mastering.priority, &a.id).cmp(&(b.mastering.priority, &b.id)));
    let others = apps
        .iter()
        .filter(|a| !a.mastering.enabled)
        .map(SourceRow::of)
        .collect();
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let page = SourcesPage {
        chrome: chrome.clone(),
        sources: sources.into_iter().map(SourceRow::of).collect(),
        others,
        failed,
        error: error.as_ref().map(ErrorView::from_api),
    };
    Ok(view::render_status(state, &chrome, status, &page))
}

/// `GET /admin/profile-sources`.
pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    render(&state, &admin, &headers, None, None).await
}

/// `POST /admin/profile-sources/{id}/priority` (`priority`): the app's PROFILE_MASTERING with
/// this priority, everything else kept.
pub async fn set_priority(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let Some(imports) = state.imports.as_ref() else {
        return Err(PageError::from_api(
            ApiError::new(
                StatusCode::NOT_IMPLEMENTED,
                "E0000060",
                "Imports are not available on this server",
            )
            .with_cause("this server was started without the import engine")
            .with_remediation("run `roster serve`, which starts it"),
        ));
    };
    let app = engine(&state)?.get_app(&id).await?;
    let raw = form
        .fields
        .get("priority")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let outcome = match raw.parse::<i64>() {
        Err(_) => Err(
            ApiError::validation("priority", format!("{raw:?} is not a priority"))
                .with_remediation("send a whole number of 0 or more; 0 is the highest"),
        ),
        Ok(priority) => {
            let mut mastering = app.mastering.clone();
            mastering.priority = priority;
            imports
                .set_mastering(&admin.ctx(&state), &app.id, mastering)
                .await
                .map_err(ApiError::from)
        }
    };
    match outcome {
        Ok(app) => Ok(view::redirect_with(
            &state,
            "/admin/profile-sources",
            &format!(
                "{} now has priority {}. Run an import or a Force Sync to apply the new order to existing users.",
                app.label, app.mastering.priority
            ),
        )),
        Err(e) => render(&state, &admin, &headers, Some((id, raw)), Some(e)).await,
    }
}
