//! Roster's HTTP surfaces, as one axum [`Router`] built by [`app`].
//!
//! `main` (in the `roster` binary) parses flags, opens the store and calls [`app`]; tests call
//! [`app`] too. Every handler reaches the directory through [`AppState`]: the store, the clock and
//! the server's configuration. Errors on `/api/v1` are [`error::ApiError`]s, answered as Okta's
//! error object with Roster's `cause` and `remediation`.

pub mod apps;
pub mod auth;
pub mod bootstrap;
pub mod error;
pub mod extract;
pub mod logs;
pub mod okta;
pub mod openapi;
pub mod paging;
pub mod ratelimit;
pub mod scim;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use roster_core::Timestamp;
use roster_directory::Directory;
use roster_store::Store;
use serde_json::json;
use tower_http::trace::TraceLayer;

/// Largest request body accepted (bulk endpoints publish their own, smaller, limits).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Server settings that handlers need.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Base URL used in `Link` headers and `_links`, without a trailing slash.
    pub public_url: String,
    /// Requests per API token per minute on `/api/v1` (Okta-style headers, 429 past it).
    pub rate_limit_per_minute: u32,
    /// Where uploaded CSV files wait for their import (mode 0600, deleted when it ends).
    pub upload_dir: std::path::PathBuf,
    /// Largest CSV file an import takes (the only body allowed past [`MAX_BODY_BYTES`]).
    pub import_max_bytes: usize,
}

impl ServerConfig {
    pub fn new(public_url: impl Into<String>) -> Self {
        ServerConfig {
            public_url: public_url.into(),
            rate_limit_per_minute: 6000,
            upload_dir: std::env::temp_dir().join("roster-uploads"),
            import_max_bytes: 4 * 1024 * 1024 * 1024,
        }
    }
}

/// Where handlers get time from: the real clock in production, a fixed one in tests.
#[derive(Clone)]
pub enum Clock {
    System,
    Fixed(Timestamp),
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => {
                let ms = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0);
                Timestamp::from_millis(ms)
            }
            Clock::Fixed(t) => *t,
        }
    }
}

/// Everything a handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub directory: Directory,
    pub config: Arc<ServerConfig>,
    pub clock: Clock,
    pub rate_limiter: ratelimit::RateLimiter,
    /// Push provisioning (apps, tasks); `None` answers its routes with 501.
    pub provisioning: Option<roster_provisioning::Provisioning>,
    /// Imports (jobs, matching, profile sourcing); `None` answers their routes with 501.
    pub imports: Option<roster_imports::Imports>,
}

impl AppState {
    pub fn new(store: Store, config: ServerConfig) -> Self {
        AppState {
            directory: Directory::new(store.clone()),
            store,
            config: Arc::new(config),
            clock: Clock::System,
            rate_limiter: ratelimit::RateLimiter::default(),
            provisioning: None,
            imports: None,
        }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// The whole HTTP application without the admin console and the end-user pages: the one-time
/// link routes answer JSON only.
pub fn app(state: AppState) -> Router {
    app_with(state, link_routes())
}

/// `POST /reset_password/{token}` and `/welcome/{token}` in JSON only, for an application without
/// the end-user pages. With them, `roster-console`'s end-user router serves these paths (a form in
/// the browser, and the same JSON answer through [`okta::users::redeem_link`]).
pub fn link_routes() -> Router<AppState> {
    Router::new()
        .route("/reset_password/{token}", post(okta::users::redeem_link))
        .route("/welcome/{token}", post(okta::users::redeem_link))
}

/// The whole HTTP application, with `pages` (the admin console and the end-user pages, from
/// `roster-console`, which builds on this crate) merged in under the same layers. `pages` serves
/// the one-time link paths (see [`link_routes`]).
pub fn app_with(state: AppState, pages: Router<AppState>) -> Router {
    use okta::{brands, email_servers, groups, policies, roles, schemas, tokens, users};
    let api = Router::new()
        .route("/logs", get(logs::list_logs))
        .route("/users", get(users::list).post(users::create))
        .route(
            "/users/{id}",
            get(users::get)
                .post(users::update_partial)
                .put(users::update_full)
                .delete(users::delete),
        )
        .route("/users/{id}/lifecycle/{op}", post(users::lifecycle))
        .route(
            "/users/{id}/credentials/change_password",
            post(users::change_password),
        )
        .route(
            "/users/{id}/credentials/forgot_password",
            post(users::forgot_password),
        )
        .route("/users/{id}/groups", get(users::groups_of_user))
        .route("/users/{id}/roles", get(roles::list).post(roles::assign))
        .route(
            "/users/{id}/roles/{role_id}",
            axum::routing::delete(roles::revoke),
        )
        .route("/groups", get(groups::list).post(groups::create))
        .route(
            "/groups/{id}",
            get(groups::get).put(groups::update).delete(groups::delete),
        )
        .route("/groups/{id}/users", get(groups::members))
        .route(
            "/groups/{id}/users/{user_id}",
            axum::routing::put(groups::add_member).delete(groups::remove_member),
        )
        .route("/policies", get(policies::list).post(policies::create))
        .route(
            "/policies/{id}",
            get(policies::get)
                .put(policies::update)
                .delete(policies::delete),
        )
        .route("/policies/{id}/lifecycle/{op}", post(policies::lifecycle))
        .route(
            "/meta/schemas/user/default",
            get(schemas::get).post(schemas::update),
        )
        .route(
            "/email-servers",
            get(email_servers::list).post(email_servers::create),
        )
        .route(
            "/email-servers/{id}",
            get(email_servers::get)
                .patch(email_servers::update)
                .delete(email_servers::delete),
        )
        .route("/email-servers/{id}/test", post(email_servers::test))
        .route("/brands", get(brands::list_brands))
        .route("/brands/{brand_id}", get(brands::get_brand))
        .route(
            "/brands/{brand_id}/templates/email",
            get(brands::list_templates),
        )
        .route(
            "/brands/{brand_id}/templates/email/{name}",
            get(brands::get_template),
        )
        .route(
            "/brands/{brand_id}/templates/email/{name}/default-content",
            get(brands::default_content),
        )
        .route(
            "/brands/{brand_id}/templates/email/{name}/customizations",
            get(brands::list_customizations)
                .post(brands::create_customization)
                .delete(brands::delete_all_customizations),
        )
        .route(
            "/brands/{brand_id}/templates/email/{name}/customizations/{id}",
            get(brands::get_customization)
                .put(brands::replace_customization)
                .delete(brands::delete_customization),
        )
        .route("/api-tokens", get(tokens::list))
        .route("/api-tokens/{id}", get(tokens::get).delete(tokens::revoke))
        .merge(apps::router())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            ratelimit::limit,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
    let public = Router::new()
        .route("/api/v1/authn", post(okta::authn::authn))
        .route(
            "/api/v1/authn/recovery/password",
            post(okta::authn::recovery_password),
        )
        .route("/api/v1/openapi.json", get(openapi::openapi_json));
    Router::new()
        .route("/health", get(health))
        .nest("/api/v1", api)
        .nest("/scim/v2", scim::router(state.clone()))
        .merge(public)
        .merge(pages)
        .fallback(not_found)
        .layer(middleware::from_fn(run_to_completion))
        .layer(middleware::from_fn_with_state(state.clone(), limit_body))
        .layer(middleware::from_fn(error::okta_error_bodies))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// Bodies are at most [`MAX_BODY_BYTES`], except a CSV upload to an import
/// (`POST /api/v1/apps/{id}/imports`), which may be `import_max_bytes`. A declared length past
/// the limit is refused at once; a body that grows past it fails when read (413 either way).
async fn limit_body(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = request.uri().path();
    let upload = request.method() == axum::http::Method::POST
        && path.starts_with("/api/v1/apps/")
        && path.trim_end_matches('/').ends_with("/imports");
    let limit = if upload {
        state.config.import_max_bytes
    } else {
        MAX_BODY_BYTES
    };
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let request =
        request.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}

/// Run the request's handler on its own task, so that a client that goes away (its connection
/// closed: a killed spoke, a timeout) does not cancel the work halfway. A use case runs to its
/// end — its transaction commits or rolls back — instead of being dropped at an `.await`; a
/// future dropped while `BEGIN IMMEDIATE` waited for SQLite's write lock once left its pooled
/// connection inside a transaction holding that lock, and every later write failed.
async fn run_to_completion(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use tracing::Instrument;
    let span = tracing::Span::current();
    match tokio::spawn(next.run(request).instrument(span)).await {
        Ok(response) => response,
        Err(e) => {
            error::ApiError::internal(&format!("the request's task failed: {e}")).into_response()
        }
    }
}

/// The tracing span of a request: method and path, with one-time link tokens redacted and no
/// query string, so that no secret reaches the log even at debug level.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let path = request.uri().path();
    let path = ["/reset_password/", "/welcome/"]
        .iter()
        .find(|prefix| path.starts_with(**prefix))
        .map(|prefix| format!("{prefix}[redacted]"))
        .unwrap_or_else(|| path.to_owned());
    tracing::debug_span!("request", method = %request.method(), path = %path)
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "UP" }))
}

async fn not_found(uri: axum::http::Uri) -> error::ApiError {
    error::ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "E0000022",
        format!("The endpoint does not exist: {}", uri.path()),
    )
    .with_cause(format!("no Roster endpoint answers {}", uri.path()))
    .with_remediation(
        "check the path; the Management API lives under /api/v1 and SCIM under /scim/v2",
    )
}
