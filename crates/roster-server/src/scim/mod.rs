//! The SCIM 2.0 service provider at `/scim/v2` (RFC 7643, RFC 7644).
//!
//! SCIM is a second wire format over the same directory the Management API serves: every
//! change goes through [`roster_directory::Directory`], so a user made here is the user
//! `/api/v1/users/{id}` shows, profile validation and password policies apply the same way, and
//! the same System Log events are written.
//!
//! # Layout
//! - `schema`: the published schemas as data, generated from the profile schema (custom profile
//!   attributes under `urn:ietf:params:scim:schemas:extension:roster:2.0:User`).
//! - `body`: reading request bodies against those schemas (case-insensitive names, type checks).
//! - `wire` and `convert`: SCIM JSON types and the explicit conversions from and to the domain.
//! - `patch`: the PATCH engine, a pure function over a resource's SCIM JSON.
//! - `filter`: SCIM filters to Roster's filters, for the store to run in SQL.
//! - `attrs`: `attributes` / `excludedAttributes` / `sortBy`.
//! - `users`, `groups`, `list`, `bulk`, `discovery`: the endpoints.
//! - `error`: [`error::ScimError`], the RFC 7644 error response.
//!
//! # `active` and Roster's statuses
//!
//! | Roster status | `active` read | `active: true` written | `active: false` written |
//! |---|---|---|---|
//! | STAGED | false | activate (ACTIVE with a password, PROVISIONED without) | no change |
//! | PROVISIONED | true | no change | deactivate (DEPROVISIONED) |
//! | ACTIVE | true | no change | deactivate |
//! | RECOVERY | true | no change | deactivate |
//! | LOCKED_OUT | true | no change | deactivate |
//! | PASSWORD_EXPIRED | true | no change | deactivate |
//! | SUSPENDED | false | unsuspend (ACTIVE) | no change |
//! | DEPROVISIONED | false | activate | no change |
//!
//! A user created with `active` absent or `true` is activated; with `false` it stays STAGED.
//! `DELETE /Users/{id}` deactivates and deletes at once (two events, one transaction). As with
//! Okta, deactivating deletes the password, so a user reactivated through SCIM without a new
//! password is PROVISIONED.
//!
//! # Limits (also in `/ServiceProviderConfig`)
//! - `count` is at most [`list::MAX_COUNT`]; `sortBy` sorts in memory and works on at most
//!   [`list::MAX_SORTED`] matching resources; a filtered list reads at most [`list::MAX_SCANNED`]
//!   matching resources to count them. Past these, the answer is 400 `tooMany`.
//! - Bulk: at most [`bulk::MAX_OPERATIONS`] operations and [`bulk::MAX_PAYLOAD`] bytes (413).
//!
//! # Authentication
//! `Authorization: Bearer <token>` with Roster's API tokens; a missing or wrong token is 401 with
//! `WWW-Authenticate: Bearer realm="roster"`, and READ_ONLY_ADMIN tokens get 403 on writes.
//! Requests count against the same per-token rate limit as `/api/v1`.

pub mod attrs;
pub mod body;
pub mod bulk;
pub mod convert;
pub mod discovery;
pub mod error;
pub mod filter;
pub mod groups;
pub mod list;
pub mod patch;
pub mod schema;
pub mod users;
pub mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, ETAG, LOCATION};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Router};
use roster_core::Role;
use roster_directory::Ctx;
use serde_json::Value;

use crate::auth::{hash_token, parse_authorization, request_client, Principal};
use crate::AppState;
use error::ScimError;

pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";

/// Cursors of paged lists: `(list key, startIndex)` to the id after which that page starts, so
/// that a client paging through all users with `startIndex` does not make Roster skip over
/// the earlier pages again for every page.
#[derive(Debug, Default)]
pub struct Cursors {
    map: HashMap<(String, usize), String>,
}

impl Cursors {
    const CAPACITY: usize = 4096;

    pub fn get(&self, key: &str, start_index: usize) -> Option<String> {
        self.map.get(&(key.to_owned(), start_index)).cloned()
    }

    pub fn put(&mut self, key: &str, start_index: usize, after: String) {
        if self.map.len() >= Self::CAPACITY {
            self.map.clear();
        }
        self.map.insert((key.to_owned(), start_index), after);
    }
}

/// The state of the SCIM routes: the application's, and the list cursors.
#[derive(Clone)]
pub struct ScimState {
    pub app: AppState,
    pub cursors: Arc<Mutex<Cursors>>,
}

/// The routes under `/scim/v2`.
pub fn router(state: AppState) -> Router<AppState> {
    let scim = ScimState {
        app: state,
        cursors: Arc::new(Mutex::new(Cursors::default())),
    };
    Router::new()
        .route(
            "/ServiceProviderConfig",
            get(discovery::service_provider_config).fallback(discovery::method_not_allowed),
        )
        .route(
            "/ResourceTypes",
            get(discovery::resource_types).fallback(discovery::method_not_allowed),
        )
        .route(
            "/ResourceTypes/{id}",
            get(discovery::resource_type).fallback(discovery::method_not_allowed),
        )
        .route(
            "/Schemas",
            get(discovery::schemas).fallback(discovery::method_not_allowed),
        )
        .route(
            "/Schemas/{id}",
            get(discovery::schema).fallback(discovery::method_not_allowed),
        )
        .route(
            "/Users",
            get(users::list)
                .post(users::create)
                .fallback(discovery::method_not_allowed),
        )
        .route(
            "/Users/.search",
            post(users::search).fallback(discovery::method_not_allowed),
        )
        .route(
            "/Users/{id}",
            get(users::get)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete)
                .fallback(discovery::method_not_allowed),
        )
        .route(
            "/Groups",
            get(groups::list)
                .post(groups::create)
                .fallback(discovery::method_not_allowed),
        )
        .route(
            "/Groups/.search",
            post(groups::search).fallback(discovery::method_not_allowed),
        )
        .route(
            "/Groups/{id}",
            get(groups::get)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete)
                .fallback(discovery::method_not_allowed),
        )
        .route(
            "/.search",
            post(list::root_search).fallback(discovery::method_not_allowed),
        )
        .route(
            "/Bulk",
            post(bulk::bulk).fallback(discovery::method_not_allowed),
        )
        .route("/Me", axum::routing::any(discovery::me))
        .route_layer(middleware::from_fn_with_state(scim.clone(), require_bearer))
        .fallback(not_found)
        .with_state(scim)
}

async fn not_found(uri: axum::http::Uri) -> ScimError {
    ScimError::new(
        StatusCode::NOT_FOUND,
        None,
        format!("No SCIM endpoint answers {}: Roster serves /Users, /Groups, /Bulk, /.search, /ServiceProviderConfig, /ResourceTypes and /Schemas under /scim/v2", uri.path()),
    )
}

/// Middleware: authenticate `Authorization: Bearer <token>` and count the request against the
/// token's rate limit.
async fn require_bearer(State(st): State<ScimState>, mut request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(header) = header else {
        return ScimError::unauthorized("the request has no Authorization header").into_response();
    };
    let Some(token) = parse_authorization(header) else {
        return ScimError::unauthorized("the Authorization header is not `Bearer <token>`")
            .into_response();
    };
    let found = match st.app.store.find_token_by_hash(&hash_token(token)).await {
        Ok(found) => found,
        Err(e) => return ScimError::from(e).into_response(),
    };
    let token = match found {
        Some(t) if !t.revoked => t,
        Some(_) => {
            return ScimError::unauthorized("the API token has been revoked").into_response()
        }
        None => {
            return ScimError::unauthorized("no API token with this value exists").into_response()
        }
    };
    let limit = st.app.config.rate_limit_per_minute;
    let now_s = st.app.now().as_millis() / 1000;
    let (allowed, remaining, reset) = st.app.rate_limiter.hit(&token.id, now_s, limit);
    if !allowed {
        let mut err = ScimError::new(
            StatusCode::TOO_MANY_REQUESTS,
            None,
            format!("Too many requests: this API token made more than {limit} requests in the current minute; retry after the time in Retry-After"),
        );
        err.headers.push((
            HeaderName::from_static("retry-after"),
            HeaderValue::from(reset - now_s),
        ));
        return err.into_response();
    }
    let client = request_client(&request);
    request.extensions_mut().insert(Principal {
        token_id: token.id,
        name: token.name,
        role: token.role,
        client,
    });
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        HeaderName::from_static("x-rate-limit-limit"),
        HeaderValue::from(limit),
    );
    headers.insert(
        HeaderName::from_static("x-rate-limit-remaining"),
        HeaderValue::from(remaining),
    );
    headers.insert(
        HeaderName::from_static("x-rate-limit-reset"),
        HeaderValue::from(reset),
    );
    response
}

/// Who is calling, for one SCIM operation (an HTTP request or one Bulk operation).
#[derive(Clone)]
pub struct Call {
    pub st: ScimState,
    pub principal: Principal,
}

impl Call {
    pub fn ctx(&self) -> Ctx {
        let mut ctx = Ctx::new(self.principal.actor(), self.st.app.now());
        ctx.client = self.principal.client.clone();
        ctx
    }

    pub fn base(&self) -> &str {
        &self.st.app.config.public_url
    }

    pub fn directory(&self) -> &roster_directory::Directory {
        &self.st.app.directory
    }

    pub fn require_write(&self) -> Result<(), ScimError> {
        match self.principal.role {
            Role::SuperAdmin => Ok(()),
            Role::ReadOnlyAdmin => Err(ScimError::forbidden(format!(
                "The API token {:?} has the READ_ONLY_ADMIN role, which cannot make changes; use a SUPER_ADMIN token",
                self.principal.name
            ))),
        }
    }
}

/// A SCIM answer: status, optional body, and the headers SCIM uses.
#[derive(Debug, Clone)]
pub struct ScimReply {
    pub status: StatusCode,
    pub body: Option<Value>,
    pub location: Option<String>,
    pub etag: Option<String>,
}

impl ScimReply {
    pub fn ok(body: Value) -> Self {
        ScimReply {
            status: StatusCode::OK,
            body: Some(body),
            location: None,
            etag: None,
        }
    }
}

impl IntoResponse for ScimReply {
    fn into_response(self) -> Response {
        let mut response = match self.body {
            Some(body) => (self.status, body.to_string()).into_response(),
            None => self.status.into_response(),
        };
        let headers = response.headers_mut();
        if self.status != StatusCode::NO_CONTENT && self.status != StatusCode::NOT_MODIFIED {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(SCIM_CONTENT_TYPE));
        }
        if let Some(location) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            headers.insert(LOCATION, location);
        }
        if let Some(etag) = self.etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
            headers.insert(ETAG, etag);
        }
        response
    }
}

/// The body of a request, or 413 past the limit.
pub fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ScimError> {
    match body {
        Ok(b) if b.len() > bulk::MAX_PAYLOAD => {
            Err(ScimError::payload_too_large(bulk::MAX_PAYLOAD))
        }
        Ok(b) => Ok(b),
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(ScimError::payload_too_large(bulk::MAX_PAYLOAD))
        }
        Err(rejection) => Err(ScimError::invalid_syntax(format!(
            "The request body could not be read: {}",
            rejection.body_text()
        ))),
    }
}

/// Whether an `If-Match` / `If-None-Match` header value names `etag` (weak comparison; `*`
/// matches anything).
pub fn etag_matches(header: &str, etag: &str) -> bool {
    let strip = |t: &str| {
        t.trim()
            .trim_start_matches("W/")
            .trim_start_matches("w/")
            .trim()
            .to_owned()
    };
    let ours = strip(etag);
    header.split(',').any(|candidate| {
        let c = candidate.trim();
        c == "*" || strip(c) == ours
    })
}

/// The `If-Match` precondition of a write.
pub fn check_if_match(headers: &HeaderMap, etag: &str) -> Result<(), ScimError> {
    match headers.get("if-match").and_then(|v| v.to_str().ok()) {
        Some(value) if !etag_matches(value, etag) => Err(ScimError::precondition_failed(format!(
            "The resource changed: If-Match is {value} but the current version is {etag}; read it again and repeat the change"
        ))),
        _ => Ok(()),
    }
}

/// `If-None-Match` on a read: true when the client's copy is current (answer 304).
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| etag_matches(v, etag))
}

/// Query parameters, with SCIM errors.
pub fn query(
    params: Result<crate::extract::QueryPairs, crate::error::ApiError>,
) -> Result<crate::extract::QueryPairs, ScimError> {
    params.map_err(|e| {
        ScimError::invalid_value(format!("The query string is not valid: {}", e.cause))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_compare_weakly_and_star_matches() {
        assert!(etag_matches("W/\"3\"", "W/\"3\""));
        assert!(etag_matches("\"3\"", "W/\"3\""));
        assert!(etag_matches("W/\"1\", W/\"3\"", "W/\"3\""));
        assert!(etag_matches("*", "W/\"3\""));
        assert!(!etag_matches("W/\"2\"", "W/\"3\""));
    }
}
