//! The admin console at `/admin`: server-rendered pages for identity administrators.
//!
//! Every page is one askama template (`templates/`) and one view model, built by a handler as
//! thin as the API's: it reads the session ([`session::Admin`]), calls the same use cases as
//! `/api/v1` (`roster-directory`, `roster-provisioning`, `roster-imports`) and renders. A change
//! made here writes the same System Log events as the API, with the admin user as the actor.
//!
//! Pages work as plain links and forms. `assets/console.js` (served from the binary, no inline
//! script: the Content-Security-Policy forbids it) adds what a script makes nicer: live progress,
//! live policy sentences, copy buttons and confirmations. Every value is escaped by the templates.

pub mod enduser;
pub mod error;
mod pages;
pub mod session;
pub mod view;

use axum::http::{header, HeaderValue};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use roster_server::AppState;

const CSS: &str = include_str!("../assets/console.css");
const JS: &str = include_str!("../assets/console.js");

/// The console's routes (all under `/admin`), to merge into the application's router.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/assets/console.css", get(css))
        .route("/admin/assets/console.js", get(js))
        .merge(pages::routes())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .merge(enduser::router(state))
}

async fn css() -> Response {
    asset(CSS, "text/css; charset=utf-8")
}

async fn js() -> Response {
    asset(JS, "text/javascript; charset=utf-8")
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// The console's headers: no inline scripts or styles, no framing, no referrer outside the
/// console, pages never cached, and `Server-Timing` with the time the answer took.
async fn security_headers(
    axum::extract::State(_state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let is_asset = request.uri().path().starts_with("/admin/assets/");
    let started = std::time::Instant::now();
    let mut response = next.run(request).await;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    let headers = response.headers_mut();
    // How long the server took to answer (reading the session, the use cases, rendering), for
    // browsers' developer tools and `scripts/bench-console.sh`.
    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={took:.2}")) {
        headers.insert("server-timing", v);
    }
    page_headers(headers, "same-origin", !is_asset);
    response
}

/// The headers every page carries: a Content-Security-Policy without inline scripts or styles and
/// without framing, `referrer` as the Referrer-Policy, no sniffing, and (`no_store`) no caching.
pub(crate) fn page_headers(
    headers: &mut axum::http::HeaderMap,
    referrer: &'static str,
    no_store: bool,
) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if no_store {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
