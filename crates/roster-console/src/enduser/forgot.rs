//! `/forgot-password`: ask for the username, then say the same thing whatever it was. The use
//! case (`roster_server::okta::mail::forgot_password`, also behind
//! `POST /api/v1/authn/recovery/password`) emails a reset link to a user who may reset, and
//! tells a user whose password is managed by an identity provider so, by email: the page never
//! says whether the account exists.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use roster_core::event::Actor;
use roster_directory::Ctx;
use roster_server::AppState;

use super::{random_csrf, render, set_cookie, FORM_CSRF_COOKIE};
use crate::session::{cookie, csrf_matches, Fields};

#[derive(Template)]
#[template(path = "user_forgot.html")]
struct ForgotPage {
    username: String,
    csrf: String,
    /// After a submit: the one answer every username gets.
    sent: bool,
    message: Option<String>,
}

fn page(
    state: &AppState,
    status: StatusCode,
    username: &str,
    sent: bool,
    message: Option<&str>,
) -> Response {
    let csrf = random_csrf();
    let mut response = render(
        status,
        &ForgotPage {
            username: username.to_owned(),
            csrf: csrf.clone(),
            sent,
            message: message.map(str::to_owned),
        },
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, FORM_CSRF_COOKIE, &csrf, Some(3600)),
    );
    response
}

/// `GET /forgot-password`: the form.
pub async fn form(State(state): State<AppState>) -> Response {
    page(&state, StatusCode::OK, "", false, None)
}

/// `POST /forgot-password`: queue the mail (or nothing), and answer the same either way.
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
        return page(
            &state,
            StatusCode::FORBIDDEN,
            &username,
            false,
            Some("The form expired, so nothing was sent. Please submit it again."),
        );
    }
    if username.is_empty() {
        return page(
            &state,
            StatusCode::BAD_REQUEST,
            "",
            false,
            Some("Enter your username."),
        );
    }
    let mut ctx = Ctx::new(
        Actor {
            id: "anonymous".into(),
            kind: "User".into(),
            alternate_id: Some(username.clone()),
            display_name: None,
        },
        state.now(),
    );
    ctx.client = crate::session::client_from(&headers, connect.map(|c| (c.0).0.ip().to_string()));
    roster_server::okta::mail::forgot_password(&state, &ctx, &username);
    page(&state, StatusCode::OK, "", true, None)
}
