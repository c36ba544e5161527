//! `/app`: the signed-in user's own page (profile, assigned apps, change password, sign out).

use super::requirements::{requirement_views, RequirementView};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use roster_core::User;
use roster_directory::SessionLimits;
use roster_server::error::ApiError;
use roster_server::AppState;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::login::not_the_same;
use super::{csrf_refused, failure, render, set_cookie, user_error, EndUser, SESSION_COOKIE};
use crate::error::ErrorView;
use crate::session::{csrf_matches, display_name, Fields};
use crate::view::tone;

/// One app assigned to the user.
struct AppRow {
    label: String,
    status: String,
    tone: &'static str,
}

#[derive(Template)]
#[template(path = "user_app.html")]
struct AppPage {
    name: String,
    login: String,
    email: String,
    csrf: String,
    apps: Vec<AppRow>,
    /// Whether Roster holds this user's password (not for FEDERATION users).
    can_change: bool,
    provider: String,
    requirements: Vec<RequirementView>,
    changed: bool,
    error: Option<ErrorView>,
}

#[derive(Deserialize)]
pub struct AppQuery {
    changed: Option<String>,
}

async fn app_page(
    state: &AppState,
    user: &User,
    csrf: &str,
    status: StatusCode,
    changed: bool,
    error: Option<ErrorView>,
) -> Response {
    let mut apps = Vec::new();
    if let Some(engine) = &state.provisioning {
        let list = match engine.list_apps().await {
            Ok(list) => list,
            Err(e) => return failure(ApiError::from(e)),
        };
        for app in list {
            match engine.find_app_user(&app.id, &user.id).await {
                Ok(Some(au)) => apps.push(AppRow {
                    label: app.label.clone(),
                    tone: tone(&au.status),
                    status: au.status.clone(),
                }),
                Ok(None) => {}
                Err(e) => return failure(ApiError::from(e)),
            }
        }
    }
    apps.sort_by_key(|a| a.label.to_lowercase());
    let requirements = match state.directory.policy_for_user(user).await {
        Ok(policy) => requirement_views(&policy, user),
        Err(e) => return failure(ApiError::from(e)),
    };
    let provider = &user.credentials.provider.kind;
    let page = AppPage {
        name: display_name(user),
        login: user.login().to_owned(),
        email: user
            .profile
            .get("email")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned(),
        csrf: csrf.to_owned(),
        apps,
        can_change: provider.accepts_password(),
        provider: provider.as_str().to_owned(),
        requirements,
        changed,
        error,
    };
    render(status, &page)
}

/// `GET /app`.
pub async fn page(
    State(state): State<AppState>,
    user: EndUser,
    Query(query): Query<AppQuery>,
) -> Response {
    app_page(
        &state,
        &user.session.user,
        &user.session.csrf,
        StatusCode::OK,
        query.changed.is_some(),
        None,
    )
    .await
}

/// `POST /app/password`: change the password (old, new, confirm; minimum age and history
/// apply). The session is renewed, since a changed password ends the sessions that began before.
pub async fn change_password(
    State(state): State<AppState>,
    user: EndUser,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(fields);
    if !csrf_matches(&user.session.csrf, fields.get("_csrf")) {
        return csrf_refused();
    }
    let again = |err: ApiError| {
        let state = state.clone();
        let u = user.session.user.clone();
        let csrf = user.session.csrf.clone();
        async move { app_page(&state, &u, &csrf, err.status, false, Some(user_error(&err))).await }
    };
    if fields.get("newPassword") != fields.get("confirmPassword") {
        return again(not_the_same()).await;
    }
    let old = SecretString::from(fields.get("oldPassword").unwrap_or("").to_owned());
    let new = SecretString::from(fields.get("newPassword").unwrap_or("").to_owned());
    let ctx = user.ctx(&state);
    match state
        .directory
        .change_own_password(&ctx, &user.session, &old, &new)
        .await
    {
        Ok(session) => {
            let notice = roster_server::okta::mail::queue(
                &state,
                &ctx,
                &user.session.user,
                roster_server::okta::mail::TemplateName::PasswordChanged,
                None,
            )
            .await;
            if let Err(e) = notice {
                tracing::warn!(error = %e.summary, "the password-changed email could not be queued");
            }
            let mut response = Redirect::to("/app?changed=1").into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    &state,
                    SESSION_COOKIE,
                    session.token.expose_secret(),
                    Some(SessionLimits::default().absolute_minutes * 60),
                ),
            );
            response
        }
        Err(e) => again(ApiError::from(e)).await,
    }
}
