//! `/login`, `/logout` and the change of an expired password found at sign-in.

use super::requirements::{requirement_views, RequirementView};
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use roster_core::event::Actor;
use roster_directory::{Ctx, DirectoryError, SessionAudience, SessionLimits, UserSignIn};
use roster_server::error::ApiError;
use roster_server::AppState;
use secrecy::{ExposeSecret, SecretString};

use super::{
    clear_cookie, csrf_refused, failure, random_csrf, render, session_of, set_cookie, user_ctx,
    user_error, EndUser, CHANGE_COOKIE, FORM_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::error::ErrorView;
use crate::session::{cookie, csrf_matches, Fields};

#[derive(Template)]
#[template(path = "user_login.html")]
struct LoginPage {
    username: String,
    csrf: String,
    message: Option<String>,
    tone: &'static str,
}

/// The sign-in form with a fresh double-submit token (in the form and in a cookie).
fn login_page(
    state: &AppState,
    status: StatusCode,
    username: &str,
    message: Option<(&str, &'static str)>,
) -> Response {
    let csrf = random_csrf();
    let page = LoginPage {
        username: username.to_owned(),
        csrf: csrf.clone(),
        message: message.map(|(m, _)| m.to_owned()),
        tone: message.map(|(_, t)| t).unwrap_or("bad"),
    };
    let mut response = render(status, &page);
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, FORM_CSRF_COOKIE, &csrf, Some(3600)),
    );
    response
}

/// `GET /login`: the sign-in form, or `/app` for a signed-in user.
pub async fn form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Ok(Some(_)) = session_of(&state, &headers, SESSION_COOKIE, SessionAudience::User).await {
        return Redirect::to("/app").into_response();
    }
    login_page(&state, StatusCode::OK, "", None)
}

/// `POST /login`: the same check as `/api/v1/authn`; an unknown user and a wrong password get
/// the same answer.
pub async fn submit(
    State(state): State<AppState>,
    connect: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(fields);
    let username = fields.get("username").unwrap_or("").trim().to_owned();
    if !csrf_matches(
        cookie(&headers, FORM_CSRF_COOKIE).unwrap_or(""),
        fields.get("_csrf"),
    ) {
        return login_page(
            &state,
            StatusCode::FORBIDDEN,
            &username,
            Some(("The sign-in form expired. Please sign in again.", "warn")),
        );
    }
    if username.is_empty() {
        return login_page(
            &state,
            StatusCode::BAD_REQUEST,
            "",
            Some(("Enter your username and password.", "bad")),
        );
    }
    let password = SecretString::from(fields.get("password").unwrap_or("").to_owned());
    let mut ctx = Ctx::new(Actor::system(), state.now());
    ctx.client = crate::session::client_from(&headers, connect.map(|c| (c.0).0.ip().to_string()));
    ctx.actor = Actor {
        id: "unknown".into(),
        kind: "User".into(),
        alternate_id: Some(username.clone()),
        display_name: None,
    };
    match state.directory.user_sign_in(&ctx, &username, &password).await {
        Ok(UserSignIn::Started(new)) => {
            let mut response = Redirect::to("/app").into_response();
            let h = response.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    &state,
                    SESSION_COOKIE,
                    new.token.expose_secret(),
                    Some(SessionLimits::default().absolute_minutes * 60),
                ),
            );
            h.append(header::SET_COOKIE, clear_cookie(&state, FORM_CSRF_COOKIE));
            response
        }
        Ok(UserSignIn::PasswordExpired(new)) => {
            let mut response = Redirect::to("/login/password-expired").into_response();
            let h = response.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(&state, CHANGE_COOKIE, new.token.expose_secret(), Some(600)),
            );
            h.append(header::SET_COOKIE, clear_cookie(&state, FORM_CSRF_COOKIE));
            response
        }
        Ok(UserSignIn::LockedOut) => login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            &username,
            Some((
                "Your account is locked. Wait for it to unlock by itself, or ask your administrator to unlock it.",
                "bad",
            )),
        ),
        Err(DirectoryError::AuthenticationFailed) => login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            &username,
            Some(("Sign-in failed: the username or password is not right.", "bad")),
        ),
        Err(e) => failure(ApiError::from(e)),
    }
}

/// `POST /logout`: end the session (CSRF-checked), back to the sign-in form.
pub async fn logout(
    State(state): State<AppState>,
    user: EndUser,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(fields);
    if !csrf_matches(&user.session.csrf, fields.get("_csrf")) {
        return csrf_refused();
    }
    let ctx = user.ctx(&state);
    if let Err(e) = state.directory.end_session(&ctx, &user.session).await {
        return failure(ApiError::from(e));
    }
    let mut response = login_page(
        &state,
        StatusCode::OK,
        "",
        Some(("You are signed out.", "ok")),
    );
    response
        .headers_mut()
        .append(header::SET_COOKIE, clear_cookie(&state, SESSION_COOKIE));
    response
}

#[derive(Template)]
#[template(path = "user_password_expired.html")]
struct ExpiredPage {
    login: String,
    csrf: String,
    requirements: Vec<RequirementView>,
    error: Option<ErrorView>,
}

async fn expired_page(
    state: &AppState,
    session: &roster_directory::Session,
    status: StatusCode,
    error: Option<ErrorView>,
) -> Response {
    let requirements = match state.directory.policy_for_user(&session.user).await {
        Ok(policy) => requirement_views(&policy, &session.user),
        Err(_) => Vec::new(),
    };
    render(
        status,
        &ExpiredPage {
            login: session.user.login().to_owned(),
            csrf: session.csrf.clone(),
            requirements,
            error,
        },
    )
}

/// `GET /login/password-expired`: the form that changes an expired password.
pub async fn expired_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session_of(
        &state,
        &headers,
        CHANGE_COOKIE,
        SessionAudience::UserPasswordChange,
    )
    .await
    {
        Ok(Some(s)) => expired_page(&state, &s, StatusCode::OK, None).await,
        Ok(None) => Redirect::to("/login").into_response(),
        Err(e) => failure(e),
    }
}

/// `POST /login/password-expired`: change it (minimum age and history apply), then sign in.
pub async fn expired_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(fields);
    let s = match session_of(
        &state,
        &headers,
        CHANGE_COOKIE,
        SessionAudience::UserPasswordChange,
    )
    .await
    {
        Ok(Some(s)) => s,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return failure(e),
    };
    if !csrf_matches(&s.csrf, fields.get("_csrf")) {
        return csrf_refused();
    }
    if fields.get("newPassword") != fields.get("confirmPassword") {
        let err = not_the_same();
        return expired_page(&state, &s, err.status, Some(user_error(&err))).await;
    }
    let old = SecretString::from(fields.get("oldPassword").unwrap_or("").to_owned());
    let new = SecretString::from(fields.get("newPassword").unwrap_or("").to_owned());
    let ctx = user_ctx(&state, &s.user, crate::session::client_from(&headers, None));
    match state
        .directory
        .change_expired_password(&ctx, &s, &old, &new)
        .await
    {
        Ok(user) => {
            let notice = roster_server::okta::mail::queue(
                &state,
                &ctx,
                &user,
                roster_server::okta::mail::TemplateName::PasswordChanged,
                None,
            )
            .await;
            if let Err(e) = notice {
                tracing::warn!(error = %e.summary, "the password-changed email could not be queued");
            }
            let mut response = login_page(
                &state,
                StatusCode::OK,
                s.user.login(),
                Some(("Your password is changed. Sign in with the new one.", "ok")),
            );
            response
                .headers_mut()
                .append(header::SET_COOKIE, clear_cookie(&state, CHANGE_COOKIE));
            response
        }
        Err(e) => {
            let api = ApiError::from(e);
            expired_page(&state, &s, api.status, Some(user_error(&api))).await
        }
    }
}

/// The error of a form whose two new passwords differ.
pub(super) fn not_the_same() -> ApiError {
    ApiError::validation("confirmPassword", "the two new passwords are not the same")
        .with_remediation("type the new password twice, the same both times")
}
