//! One module per console section; each page is a handler, a view model and a template.
//! Each section module owns its routes (`routes()`), merged here.

pub mod app_common;
mod apps;
mod apps_import;
mod apps_transform;
mod dashboard;
mod groups;
mod login;
mod logs;
mod settings;
mod tasks;
mod users;

use axum::routing::{get, post};
use axum::Router;
use roster_server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/login", get(login::form).post(login::submit))
        .route("/admin/logout", post(login::logout))
        .route(
            "/admin/password-expired",
            get(login::expired_form).post(login::expired_submit),
        )
        .route("/admin", get(dashboard::show))
        .route("/admin/", get(dashboard::show))
        .route("/admin/users", get(users::list))
        .route("/admin/users/{id}", get(users::show))
        .route("/admin/users/{id}/lifecycle/{op}", post(users::lifecycle))
        .route("/admin/users/{id}/roles", post(users::grant_role))
        .route(
            "/admin/users/{id}/roles/{role_id}/revoke",
            post(users::revoke_role),
        )
        .merge(apps::routes())
        .merge(apps_import::routes())
        .merge(apps_transform::routes())
        .merge(tasks::routes())
        .merge(logs::routes())
        .merge(groups::routes())
        .merge(settings::routes())
        .route("/admin/{*rest}", get(not_found).post(not_found))
}

async fn not_found(uri: axum::http::Uri) -> crate::error::PageError {
    let mut err = crate::error::PageError::not_found("page", uri.path());
    err.error.remediation = "check the address, or start again from the dashboard".into();
    err
}
