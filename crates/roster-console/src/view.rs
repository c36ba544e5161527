//! What every page shares: the chrome (who is signed in, the sections, the CSRF token, a flash
//! message), rendering, redirects with a flash, and small formatting helpers for templates.

use askama::Template;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use roster_core::{Role, Timestamp};
use roster_server::AppState;

use crate::error::PageError;
use crate::session::{self, Admin};

const FLASH_COOKIE: &str = "roster_flash";

/// The frame around every signed-in page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub name: String,
    pub login: String,
    pub role: &'static str,
    pub csrf: String,
    pub can_write: bool,
    /// The nav entry to mark as current.
    pub section: &'static str,
    /// A one-time message from the previous request ("Task retried").
    pub flash: Option<String>,
}

impl Chrome {
    pub fn new(admin: &Admin, section: &'static str, headers: &HeaderMap) -> Self {
        let flash = session::cookie(headers, FLASH_COOKIE)
            .filter(|v| !v.is_empty())
            .map(|v| {
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned()
            });
        Chrome {
            name: session::display_name(&admin.session.user),
            login: admin.session.user.login().to_owned(),
            role: match admin.role() {
                Role::SuperAdmin => "Super admin",
                Role::ReadOnlyAdmin => "Read-only admin",
            },
            csrf: admin.session.csrf.clone(),
            can_write: admin.can_write(),
            section,
            flash,
        }
    }

    /// Whether `name` is the current section (for `aria-current`).
    pub fn is(&self, name: &str) -> bool {
        self.section == name
    }
}

/// Render a page with status 200, clearing the flash it showed.
pub fn page<T: Template>(state: &AppState, chrome: &Chrome, template: &T) -> Response {
    render_status(state, chrome, StatusCode::OK, template)
}

/// Render a page with a status (a form shown again with its errors answers 400 or 409).
pub fn render_status<T: Template>(
    state: &AppState,
    chrome: &Chrome,
    status: StatusCode,
    template: &T,
) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            if chrome.flash.is_some() {
                response.headers_mut().append(
                    header::SET_COOKIE,
                    session::clear_cookie(state, FLASH_COOKIE),
                );
            }
            response
        }
        Err(e) => PageError::from_api(roster_server::error::ApiError::internal(&e)).into_response(),
    }
}

/// A fragment (part of a page, fetched by the console's script), without the chrome.
pub fn fragment<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => PageError::from_api(roster_server::error::ApiError::internal(&e)).into_response(),
    }
}

/// 303 to `to`, with a message the next page shows once.
pub fn redirect_with(state: &AppState, to: &str, message: &str) -> Response {
    let value = session::urlencode(message);
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(state, FLASH_COOKIE, &value, Some(60)),
    );
    response
}

/// A timestamp as people read it: `2026-12-03 15:42 UTC`.
pub fn when(t: &Timestamp) -> String {
    let s = t.to_string();
    if s.len() >= 16 {
        format!("{} {} UTC", &s[..10], &s[11..16])
    } else {
        s
    }
}

pub fn when_opt(t: &Option<Timestamp>) -> String {
    t.as_ref().map(when).unwrap_or_else(|| "—".into())
}

/// The badge tone of a status word: ok, warn, bad or neutral. Badges always carry the word too,
/// so colour is never the only signal.
pub fn tone(status: &str) -> &'static str {
    match status {
        "ACTIVE" | "DONE" | "SYNCHRONIZED" | "PROVISIONED" | "SUCCESS" | "COMPLETED" | "EXACT" => {
            "ok"
        }
        "OPEN" | "ERROR" | "FAILED" | "FAILURE" | "LOCKED_OUT" | "SUSPENDED" | "DEPROVISIONED" => {
            "bad"
        }
        "RETRYING"
        | "SYNCING"
        | "RECOVERY"
        | "PASSWORD_EXPIRED"
        | "PROVISIONED_PENDING"
        | "STAGED"
        | "PAUSED"
        | "RUNNING"
        | "QUEUED"
        | "PARTIAL"
        | "PENDING"
        | "WARN" => "warn",
        _ => "neutral",
    }
}

/// A JSON value as indented text for a `<pre>` (escaped by the template like any value).
pub fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// A string value of a JSON object, or "".
pub fn text_of<'a>(value: &'a serde_json::Value, key: &str) -> &'a str {
    value.get(key).and_then(|v| v.as_str()).unwrap_or("")
}
