//! `/admin/login`, `/admin/logout` and the change of an expired password.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use roster_core::event::Actor;
use roster_directory::{AdminSignIn, Ctx, SessionAudience, SessionLimits};
use roster_server::AppState;
use secrecy::SecretString;
use serde::Deserialize;

use crate::error::{ErrorView, PageError};
use crate::session::{self, cookie, csrf_matches, set_cookie, AdminForm, Fields};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    next: String,
    username: String,
    csrf: String,
    message: Option<String>,
    tone: &'static str,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn random_csrf() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    next: &str,
    username: &str,
    message: Option<(&str, &'static str)>,
) -> Response {
    let csrf = random_csrf();
    let page = LoginPage {
        next: next.to_owned(),
        username: username.to_owned(),
        csrf: csrf.clone(),
        message: message.map(|(m, _)| m.to_owned()),
        tone: message.map(|(_, t)| t).unwrap_or("bad"),
    };
    match page.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(state, session::LOGIN_CSRF_COOKIE, &csrf, Some(3600)),
            );
            response
        }
        Err(e) => PageError::from_api(roster_server::error::ApiError::internal(&e)).into_response(),
    }
}

/// `GET /admin/login`: the sign-in form (or the dashboard, for a signed-in admin).
pub async fn form(
    State(state): State<AppState>,
    Query(query): Query<NextQuery>,
    request: axum::extract::Request,
) -> Response {
    let (parts, _) = request.into_parts();
    if let Ok(Some(_)) = session::current(&state, &parts).await {
        return Redirect::to(&session::safe_next(query.next.as_deref())).into_response();
    }
    let next = session::safe_next(query.next.as_deref());
    let message = query
        .next
        .as_deref()
        .filter(|n| *n != "/admin")
        .map(|_| ("Sign in to continue.", "info"));
    login_page(&state, StatusCode::OK, &next, "", message)
}

/// `POST /admin/login`: the same check as `/api/v1/authn`, then the admin role.
pub async fn submit(
    State(state): State<AppState>,
    connect: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(fields);
    let next = session::safe_next(fields.get("next"));
    let username = fields.get("username").unwrap_or("").trim().to_owned();
    if !csrf_matches(
        cookie(&headers, session::LOGIN_CSRF_COOKIE).unwrap_or(""),
        fields.get("_csrf"),
    ) {
        return login_page(
            &state,
            StatusCode::FORBIDDEN,
            &next,
            &username,
            Some(("The sign-in form expired. Please sign in again.", "warn")),
        );
    }
    let password = SecretString::from(fields.get("password").unwrap_or("").to_owned());
    if username.is_empty() {
        return login_page(
            &state,
            StatusCode::BAD_REQUEST,
            &next,
            "",
            Some(("Enter your username and password.", "bad")),
        );
    }
    let mut ctx = Ctx::new(Actor::system(), state.now());
    ctx.client = session::client_from(&headers, connect.map(|c| (c.0).0.ip().to_string()));
    ctx.actor = Actor {
        id: "unknown".into(),
        kind: "User".into(),
        alternate_id: Some(username.clone()),
        display_name: None,
    };
    match state.directory.admin_sign_in(&ctx, &username, &password).await {
        Ok(AdminSignIn::Started(new)) => {
            use secrecy::ExposeSecret;
            let mut response = Redirect::to(&next).into_response();
            let limits = SessionLimits::default();
            let h = response.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    &state,
                    session::COOKIE,
                    new.token.expose_secret(),
                    Some(limits.absolute_minutes * 60),
                ),
            );
            h.append(
                header::SET_COOKIE,
                session::clear_cookie(&state, session::LOGIN_CSRF_COOKIE),
            );
            response
        }
        Ok(AdminSignIn::PasswordExpired(new)) => {
            use secrecy::ExposeSecret;
            let mut response = Redirect::to("/admin/password-expired").into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    &state,
                    session::CHANGE_COOKIE,
                    new.token.expose_secret(),
                    Some(600),
                ),
            );
            response
        }
        Ok(AdminSignIn::LockedOut) => login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            &next,
            &username,
            Some(("Your account is locked. Ask another administrator to unlock it, or wait for it to unlock by itself.", "bad")),
        ),
        Ok(AdminSignIn::NotAnAdmin) => login_page(
            &state,
            StatusCode::FORBIDDEN,
            &next,
            &username,
            Some(("This account does not hold an admin role, so it cannot use the admin console. A super administrator can grant one.", "bad")),
        ),
        Err(roster_directory::DirectoryError::AuthenticationFailed) => login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            &next,
            &username,
            Some(("Sign-in failed: the username or password is not right.", "bad")),
        ),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// `POST /admin/logout`: end the session (CSRF-checked, like every change).
pub async fn logout(State(state): State<AppState>, form: AdminForm) -> Response {
    let ctx = form.admin.ctx(&state);
    if let Err(e) = state.directory.end_session(&ctx, &form.admin.session).await {
        return PageError::from(e).into_response();
    }
    let mut response = login_page(
        &state,
        StatusCode::OK,
        "/admin",
        "",
        Some(("You are signed out.", "ok")),
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        session::clear_cookie(&state, session::COOKIE),
    );
    response
}

#[derive(Template)]
#[template(path = "password_expired.html")]
struct ExpiredPage {
    login: String,
    csrf: String,
    requirements: String,
    error: Option<ErrorView>,
}

async fn change_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<roster_directory::Session>, PageError> {
    let Some(token) = cookie(headers, session::CHANGE_COOKIE) else {
        return Ok(None);
    };
    Ok(state
        .directory
        .session(
            token,
            SessionAudience::PasswordChange,
            SessionLimits::default(),
            state.now(),
        )
        .await?)
}

async fn expired_page(
    state: &AppState,
    session: &roster_directory::Session,
    status: StatusCode,
    error: Option<ErrorView>,
) -> Response {
    let requirements = match state.directory.policy_for_user(&session.user).await {
        Ok(policy) => policy.requirements_summary(),
        Err(_) => String::new(),
    };
    let page = ExpiredPage {
        login: session.user.login().to_owned(),
        csrf: session.csrf.clone(),
        requirements,
        error,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => PageError::from_api(roster_server::error::ApiError::internal(&e)).into_response(),
    }
}

/// `GET /admin/password-expired`: the form that changes an expired password.
pub async fn expired_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match change_session(&state, &headers).await {
        Ok(Some(s)) => expired_page(&state, &s, StatusCode::OK, None).await,
        Ok(None) => Redirect::to("/admin/login").into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /admin/password-expired`: change it (minimum age and history apply), then sign in again.
pub async fn expired_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(fields);
    let s = match change_session(&state, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return Redirect::to("/admin/login").into_response(),
        Err(e) => return e.into_response(),
    };
    if !csrf_matches(&s.csrf, fields.get("_csrf")) {
        return PageError::csrf().into_response();
    }
    let old = SecretString::from(fields.get("oldPassword").unwrap_or("").to_owned());
    let new = SecretString::from(fields.get("newPassword").unwrap_or("").to_owned());
    if fields.get("newPassword") != fields.get("confirmPassword") {
        let err = roster_server::error::ApiError::validation(
            "confirmPassword",
            "the two new passwords are not the same",
        )
        .with_remediation("type the new password twice, the same both times");
        return expired_page(
            &state,
            &s,
            StatusCode::BAD_REQUEST,
            Some(ErrorView::from_api(&err)),
        )
        .await;
    }
    let ctx = {
        let mut ctx = Ctx::new(
            Actor {
                id: s.user.id.clone(),
                kind: "User".into(),
                alternate_id: Some(s.user.login().to_owned()),
                display_name: Some(session::display_name(&s.user)),
            },
            state.now(),
        );
        ctx.client = session::client_from(&headers, None);
        ctx
    };
    match state
        .directory
        .change_expired_password(&ctx, &s, &old, &new)
        .await
    {
        Ok(_) => {
            let mut response = login_page(
                &state,
                StatusCode::OK,
                "/admin",
                s.user.login(),
                Some(("Your password is changed. Sign in with the new one.", "ok")),
            );
            response.headers_mut().append(
                header::SET_COOKIE,
                session::clear_cookie(&state, session::CHANGE_COOKIE),
            );
            response
        }
        Err(e) => {
            let api = roster_server::error::ApiError::from(e);
            expired_page(&state, &s, api.status, Some(ErrorView::from_api(&api))).await
        }
    }
}
