//! The end-user pages: `/login`, `/app` (the signed-in user's own page) and the pages behind
//! one-time links (`/reset_password/{token}`, `/welcome/{token}`), and `/forgot-password`.
//!
//! They share the console's web stack (askama templates, `assets/console.css`, the CSRF helpers
//! of [`crate::session`]) but not its session: an end user holds a `roster_session` cookie
//! (path `/`) of the directory's [`SessionAudience::User`], which never opens the console, and a
//! console cookie never opens `/app`. Every answer carries the console's Content-Security-Policy,
//! `Referrer-Policy: no-referrer` (a link's token is in the URL) and `Cache-Control: no-store`.

mod app;
mod forgot;
mod links;
mod login;
mod requirements;

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use roster_core::event::{Actor, Client};
use roster_directory::{Ctx, Session, SessionAudience, SessionLimits};
use roster_server::error::ApiError;
use roster_server::AppState;

use crate::session::{cookie, display_name};

/// The end user's session cookie.
pub const SESSION_COOKIE: &str = "roster_session";
/// The cookie of an end-user sign-in whose password expired (it can only change the password).
const CHANGE_COOKIE: &str = "roster_user_pwchange";
/// The double-submit cookie that protects the forms shown without a session (sign-in, links).
const FORM_CSRF_COOKIE: &str = "roster_user_csrf";

/// The end-user routes, to merge into the application's router (after the console's own
/// header layer, so that these answers keep `Referrer-Policy: no-referrer`).
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route(
            "/login/password-expired",
            get(login::expired_form).post(login::expired_submit),
        )
        .route("/logout", post(login::logout))
        .route("/app", get(app::page))
        .route("/app/password", post(app::change_password))
        .route(
            "/reset_password/{token}",
            get(links::form).post(links::submit),
        )
        .route("/welcome/{token}", get(links::form).post(links::submit))
        .route("/forgot-password", get(forgot::form).post(forgot::submit))
        .layer(middleware::from_fn_with_state(state, headers))
}

/// The headers of every end-user answer (the JSON answers of the link routes included).
async fn headers(
    State(_state): State<AppState>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    crate::page_headers(response.headers_mut(), "no-referrer", true);
    response
}

/// A `Set-Cookie` value for the end-user pages: path `/`, otherwise as the console's.
fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    crate::session::set_cookie_at(state, "/", name, value, max_age)
}

fn clear_cookie(state: &AppState, name: &str) -> HeaderValue {
    set_cookie(state, name, "", Some(0))
}

/// A fresh token for a double-submit form.
fn random_csrf() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Render a page with a status; a failure to render is an internal error page.
fn render<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => failure(ApiError::internal(&e)),
    }
}

/// A short page that says one thing and offers one way on.
#[derive(Template)]
#[template(path = "user_message.html")]
struct MessagePage {
    title: String,
    tone: &'static str,
    lines: Vec<String>,
    link: Option<(String, String)>,
}

fn message(
    status: StatusCode,
    title: &str,
    tone: &'static str,
    lines: &[&str],
    link: Option<(&str, &str)>,
) -> Response {
    render(
        status,
        &MessagePage {
            title: title.to_owned(),
            tone,
            lines: lines.iter().map(|l| (*l).to_owned()).collect(),
            link: link.map(|(h, l)| (h.to_owned(), l.to_owned())),
        },
    )
}

/// An error the end-user pages cannot show in their own form: its summary, cause and
/// remediation (an internal failure was logged by `ApiError` under its error id).
fn failure(err: ApiError) -> Response {
    let status = err.status;
    let summary = err.summary.clone();
    let cause = err.cause.to_string();
    let remediation = err.remediation.to_string();
    let page = MessagePage {
        title: "That did not work".into(),
        tone: "bad",
        lines: [summary, cause, remediation]
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect(),
        link: Some(("/app".into(), "Back to your page".into())),
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, "something went wrong").into_response(),
    }
}

/// A form without the token of its page: nothing changed.
fn csrf_refused() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "The form expired",
        "warn",
        &[
            "The form did not carry a valid CSRF token, so nothing was changed.",
            "Go back, reload the page and submit it again.",
        ],
        Some(("/app", "Back to your page")),
    )
}

/// An API error as an end user reads it: a cause's text without the field name in front
/// ("password: Password requirements were not met..." reads "Password requirements were not met...").
fn user_error(err: &ApiError) -> crate::error::ErrorView {
    let mut view = crate::error::ErrorView::from_api(err);
    for c in &mut view.causes {
        let named = c.text.split_once(": ").filter(|(field, _)| {
            !field.is_empty()
                && field
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '.' || ch == '_')
        });
        if let Some((_, rest)) = named {
            c.text = rest.to_owned();
        }
    }
    view
}

/// The change context of a request made by `user` for themself.
fn user_ctx(state: &AppState, user: &roster_core::User, client: Client) -> Ctx {
    let mut ctx = Ctx::new(
        Actor {
            id: user.id.clone(),
            kind: "User".into(),
            alternate_id: Some(user.login().to_owned()),
            display_name: Some(display_name(user)),
        },
        state.now(),
    );
    ctx.client = client;
    ctx
}

/// A signed-in end user, for one request. Without a live session, a page request goes to
/// `/login`.
pub struct EndUser {
    pub session: Session,
    pub client: Client,
}

impl EndUser {
    fn ctx(&self, state: &AppState) -> Ctx {
        user_ctx(state, &self.session.user, self.client.clone())
    }
}

async fn session_of(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    audience: SessionAudience,
) -> Result<Option<Session>, ApiError> {
    let Some(token) = cookie(headers, name) else {
        return Ok(None);
    };
    Ok(state
        .directory
        .session(token, audience, SessionLimits::default(), state.now())
        .await?)
}

impl FromRequestParts<AppState> for EndUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match session_of(state, &parts.headers, SESSION_COOKIE, SessionAudience::User).await {
            Ok(Some(session)) => Ok(EndUser {
                session,
                client: crate::session::client_from(&parts.headers, crate::session::peer_ip(parts)),
            }),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(failure(e)),
        }
    }
}
