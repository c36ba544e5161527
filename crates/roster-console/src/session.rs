//! Who is using the console: the session cookie, checked on every request through
//! `Directory::session`, and the CSRF token every state-changing form carries.

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use roster_core::event::{Actor, Client};
use roster_core::Role;
use roster_directory::{Ctx, Session, SessionAudience, SessionLimits};
use roster_server::AppState;
use subtle::ConstantTimeEq;

use crate::error::PageError;

/// The console's session cookie.
pub const COOKIE: &str = "roster_admin";
/// The cookie of a sign-in whose password expired (it can only change the password).
pub const CHANGE_COOKIE: &str = "roster_pwchange";
/// The double-submit cookie that protects the sign-in form itself.
pub const LOGIN_CSRF_COOKIE: &str = "roster_login_csrf";

/// A value of the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for the console: `HttpOnly`, `SameSite=Lax`, path `/admin`, and
/// `Secure` when the server's public URL is https.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    set_cookie_at(state, "/admin", name, value, max_age)
}

/// A `Set-Cookie` value scoped to `path` (the console's is `/admin`, the end-user pages' `/`).
pub fn set_cookie_at(
    state: &AppState,
    path: &str,
    name: &str,
    value: &str,
    max_age: Option<i64>,
) -> HeaderValue {
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Lax{secure}{age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=; Path=/admin"))
}

/// A `Set-Cookie` value that removes a console cookie.
pub fn clear_cookie(state: &AppState, name: &str) -> HeaderValue {
    set_cookie(state, name, "", Some(0))
}

/// Where a sign-in may send the browser afterwards: only console paths of this server.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/admin")
                && !n.starts_with("//")
                && !n.contains("://")
                && !n.contains('\\')
                && !n.starts_with("/admin/login") =>
        {
            n.to_owned()
        }
        _ => "/admin".to_owned(),
    }
}

/// A signed-in administrator, for one request.
#[derive(Debug, Clone)]
pub struct Admin {
    pub session: Session,
    pub client: Client,
}

impl Admin {
    pub fn role(&self) -> Role {
        self.session.role.unwrap_or(Role::ReadOnlyAdmin)
    }

    pub fn can_write(&self) -> bool {
        self.role() == Role::SuperAdmin
    }

    /// 403 for a READ_ONLY_ADMIN that reached a write (a forged form: the pages show no write
    /// controls to them).
    pub fn require_write(&self) -> Result<(), PageError> {
        if self.can_write() {
            Ok(())
        } else {
            Err(PageError::forbidden(
                "your role, READ_ONLY_ADMIN, can look at everything but change nothing",
                "ask a super administrator to make the change, or to grant you SUPER_ADMIN",
            ))
        }
    }

    /// The System Log actor of changes made in the console: the admin user.
    pub fn actor(&self) -> Actor {
        let user = &self.session.user;
        let name = display_name(user);
        Actor {
            id: user.id.clone(),
            kind: "User".into(),
            alternate_id: Some(user.login().to_owned()),
            display_name: Some(name),
        }
    }

    /// The change context of a console request: the admin as actor, the server's clock.
    pub fn ctx(&self, state: &AppState) -> Ctx {
        let mut ctx = Ctx::new(self.actor(), state.now());
        ctx.client = self.client.clone();
        ctx
    }
}

/// "First Last", or the login when the profile has no name.
pub fn display_name(user: &roster_core::User) -> String {
    let text = |k: &str| {
        user.profile
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    let name = format!("{} {}", text("firstName"), text("lastName"));
    let name = name.trim();
    if name.is_empty() {
        user.login().to_owned()
    } else {
        name.to_owned()
    }
}

/// Where a request came from, for the System Log's `client`: the peer's address, when known,
/// and the user agent.
pub fn client_from(headers: &HeaderMap, ip_address: Option<String>) -> Client {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| serde_json::json!({ "rawUserAgent": ua }));
    Client {
        ip_address,
        user_agent,
    }
}

/// The peer's address of a request, as the server's listener recorded it.
pub fn peer_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string())
}

fn client_of(parts: &Parts) -> Client {
    client_from(&parts.headers, peer_ip(parts))
}

/// The session's absence: a page request goes to the sign-in page and comes back afterwards;
/// a fragment request (from the console's script) gets 401.
pub struct SignInFirst {
    next: String,
    fragment: bool,
}

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        if self.fragment {
            return (
                axum::http::StatusCode::UNAUTHORIZED,
                "your session ended; reload the page to sign in again",
            )
                .into_response();
        }
        let target = format!("/admin/login?next={}", urlencode(&self.next));
        Redirect::to(&target).into_response()
    }
}

/// `value` percent-encoded for a query string (`/` kept, so a path stays readable).
pub fn urlencode(value: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(value, SET).to_string()
}

/// Resolve the session of a request, if any.
pub async fn current(state: &AppState, parts: &Parts) -> Result<Option<Admin>, PageError> {
    let Some(token) = cookie(&parts.headers, COOKIE) else {
        return Ok(None);
    };
    let session = state
        .directory
        .session(
            token,
            SessionAudience::Admin,
            SessionLimits::default(),
            state.now(),
        )
        .await?;
    Ok(session.map(|session| Admin {
        session,
        client: client_of(parts),
    }))
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match current(state, parts).await {
            Ok(Some(admin)) => Ok(admin),
            Ok(None) => {
                let next = if parts.method == axum::http::Method::GET {
                    parts
                        .uri
                        .path_and_query()
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_default()
                } else {
                    parts
                        .headers
                        .get(header::REFERER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|r| r.find("/admin").map(|at| r[at..].to_owned()))
                        .unwrap_or_default()
                };
                let fragment = parts.headers.contains_key("x-roster-fragment");
                Err(SignInFirst {
                    next: safe_next(Some(&next)),
                    fragment,
                }
                .into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// A state-changing console request: the admin, and the form fields, accepted only when the
/// form carries the session's CSRF token (`_csrf`). Without it: 403 and nothing changes.
pub struct AdminForm {
    pub admin: Admin,
    pub fields: Fields,
}

/// The fields of a submitted form (the last value of a repeated name wins in `get`).
#[derive(Debug, Default, Clone)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A trimmed, non-empty value.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), Some("on" | "true" | "1" | "yes"))
    }

    pub fn as_map(&self) -> HashMap<&str, &str> {
        self.0
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

/// Whether `given` is the session's CSRF token (compared in constant time).
pub fn csrf_matches(expected: &str, given: Option<&str>) -> bool {
    match given {
        Some(g) if !expected.is_empty() => bool::from(expected.as_bytes().ct_eq(g.as_bytes())),
        _ => false,
    }
}

impl FromRequest<AppState> for AdminForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let admin = Admin::from_request_parts(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let axum::Form(fields): axum::Form<Vec<(String, String)>> =
            axum::Form::from_request(request, state)
                .await
                .map_err(|e| {
                    PageError::bad_request(
                        "the form could not be read",
                        &e.body_text(),
                        "reload the page and submit the form again",
                    )
                    .into_response()
                })?;
        let fields = Fields(fields);
        if !csrf_matches(&admin.session.csrf, fields.get("_csrf")) {
            tracing::warn!(user = %admin.session.user.id, "console form without a valid CSRF token refused");
            return Err(PageError::csrf().into_response());
        }
        Ok(AdminForm { admin, fields })
    }
}
