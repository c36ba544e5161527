//! `/reset_password/{token}` and `/welcome/{token}`: the pages behind one-time links. `GET`
//! shows a new-password form with the requirements of the link's user's policy; `POST` of that
//! form sets the password once. A `POST` that is not a form (`{"newPassword": ...}` in JSON)
//! is the API's, answered by [`roster_server::okta::users::redeem_link`] exactly as before.
//! The token is in the URL, never in a log line (`roster-server`'s request span redacts these
//! paths), and the pages send `Referrer-Policy: no-referrer`.

use super::requirements::{requirement_views, RequirementView};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use roster_core::event::Actor;
use roster_directory::{Ctx, DirectoryError};
use roster_server::error::ApiError;
use roster_server::AppState;
use secrecy::SecretString;

use super::login::not_the_same;
use super::{
    clear_cookie, failure, message, random_csrf, render, set_cookie, user_error, FORM_CSRF_COOKIE,
};
use crate::error::ErrorView;
use crate::session::{cookie, csrf_matches, Fields};

#[derive(Template)]
#[template(path = "user_link.html")]
struct LinkPage {
    /// "Set your password" (activation) or "Reset your password" (recovery).
    title: &'static str,
    /// The path the form posts to (the link itself).
    action: String,
    login: String,
    requirements: Vec<RequirementView>,
    csrf: String,
    error: Option<ErrorView>,
}

fn is_welcome(path: &str) -> bool {
    path.starts_with("/welcome/")
}

/// The new-password form for `user`, with a fresh double-submit token.
async fn link_page(
    state: &AppState,
    path: &str,
    user: &roster_core::User,
    status: StatusCode,
    error: Option<ErrorView>,
) -> Response {
    let requirements = match state.directory.policy_for_user(user).await {
        Ok(policy) => requirement_views(&policy, user),
        Err(e) => return failure(ApiError::from(e)),
    };
    let csrf = random_csrf();
    let page = LinkPage {
        title: if is_welcome(path) {
            "Welcome: set your password"
        } else {
            "Reset your password"
        },
        action: path.to_owned(),
        login: user.login().to_owned(),
        requirements,
        csrf: csrf.clone(),
        error,
    };
    let mut response = render(status, &page);
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, FORM_CSRF_COOKIE, &csrf, Some(3600)),
    );
    response
}

/// The page of a link that no longer works (used, expired, or never made).
fn gone(path: &str) -> Response {
    let (title, what) = if is_welcome(path) {
        (
            "This activation link no longer works",
            "Ask your administrator to send you a new activation link.",
        )
    } else {
        (
            "This password reset link no longer works",
            "Ask your administrator for a new reset link, or use “Forgot password” on the sign-in page to get one by email.",
        )
    };
    message(
        StatusCode::GONE,
        title,
        "warn",
        &[
            "A link like this works once, for a limited time: it was already used to set a password, or it has expired.",
            what,
            "If you set your password with it already, sign in with that password.",
        ],
        Some(("/login", "Go to sign in")),
    )
}

/// A link whose user cannot have a password in Roster (a FEDERATION user).
fn not_allowed(provider: &str) -> Response {
    message(
        StatusCode::FORBIDDEN,
        "Your password is not managed here",
        "warn",
        &[
            &format!("Your account signs in through your identity provider ({provider}), so Roster cannot set a password for it."),
            "Change your password with your identity provider, or ask your administrator.",
        ],
        Some(("/login", "Go to sign in")),
    )
}

/// `GET /reset_password/{token}` and `GET /welcome/{token}`.
pub async fn form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    let path = uri.path().to_owned();
    match state.directory.peek_link(&token, state.now()).await {
        Ok(Some(user)) => {
            if !user.credentials.provider.kind.accepts_password() {
                return not_allowed(user.credentials.provider.kind.as_str());
            }
            link_page(&state, &path, &user, StatusCode::OK, None).await
        }
        Ok(None) => gone(&path),
        Err(e) => failure(ApiError::from(e)),
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// `POST /reset_password/{token}` and `POST /welcome/{token}`: a browser's form gets pages; any
/// other body is the API's JSON call, answered as it always was.
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    request: Request,
) -> Response {
    if !is_form(request.headers()) {
        let body = match Bytes::from_request(request, &state).await {
            Ok(body) => body,
            Err(e) => return e.into_response(),
        };
        return roster_server::okta::users::redeem_link(State(state), Path(token), body)
            .await
            .into_response();
    }
    let path = request.uri().path().to_owned();
    let headers = request.headers().clone();
    let fields = match axum::Form::<Vec<(String, String)>>::from_request(request, &state).await {
        Ok(axum::Form(fields)) => Fields(fields),
        Err(e) => return e.into_response(),
    };
    let user = match state.directory.peek_link(&token, state.now()).await {
        Ok(Some(user)) => user,
        Ok(None) => return gone(&path),
        Err(e) => return failure(ApiError::from(e)),
    };
    if !csrf_matches(
        cookie(&headers, FORM_CSRF_COOKIE).unwrap_or(""),
        fields.get("_csrf"),
    ) {
        let err = ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000006",
            "The form expired, so the password was not set",
        )
        .with_cause("the form did not carry the token of this page")
        .with_remediation("type the new password again and submit");
        return link_page(
            &state,
            &path,
            &user,
            StatusCode::FORBIDDEN,
            Some(user_error(&err)),
        )
        .await;
    }
    if fields.get("newPassword") != fields.get("confirmPassword") {
        let err = not_the_same();
        return link_page(&state, &path, &user, err.status, Some(user_error(&err))).await;
    }
    let password = SecretString::from(fields.get("newPassword").unwrap_or("").to_owned());
    let mut ctx = Ctx::new(Actor::system(), state.now());
    ctx.client = crate::session::client_from(&headers, None);
    match state.directory.redeem_link(&ctx, &token, &password).await {
        Ok(_) => {
            let mut response = message(
                StatusCode::OK,
                "Your password is set",
                "ok",
                &["Your password is set. Sign in with it now."],
                Some(("/login", "Sign in")),
            );
            response
                .headers_mut()
                .append(header::SET_COOKIE, clear_cookie(&state, FORM_CSRF_COOKIE));
            response
        }
        Err(DirectoryError::TokenInvalid { .. }) => gone(&path),
        Err(DirectoryError::PasswordNotAllowed { provider }) => not_allowed(provider),
        Err(e) => {
            let err = ApiError::from(e);
            link_page(&state, &path, &user, err.status, Some(user_error(&err))).await
        }
    }
}
