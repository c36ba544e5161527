//! `/api/v1/apps` and `/api/v1/tasks`: applications, their provisioning connection and
//! `USER_PROVISIONING` feature, app user assignments, and the Tasks of failed pushes, over
//! [`roster_provisioning::Provisioning`].

mod handlers;
mod tasks;
mod wire;

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use roster_provisioning::{ErrorKind, Provisioning, ProvisioningError};

use crate::error::ApiError;
use crate::AppState;

/// The routes, mounted under `/api/v1` behind the API-token middleware.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/apps", get(handlers::list).post(handlers::create))
        .route(
            "/apps/{id}",
            get(handlers::get)
                .put(handlers::update)
                .delete(handlers::delete),
        )
        .route("/apps/{id}/lifecycle/{op}", post(handlers::lifecycle))
        .route(
            "/apps/{id}/connections/default",
            get(handlers::get_connection).post(handlers::set_connection),
        )
        .route("/apps/{id}/features", get(handlers::list_features))
        .route(
            "/apps/{id}/features/{name}",
            get(handlers::get_feature).put(handlers::put_feature),
        )
        .route(
            "/apps/{id}/users",
            get(handlers::list_users).post(handlers::assign_user),
        )
        .route(
            "/apps/{id}/users/{user_id}",
            get(handlers::get_user)
                .post(handlers::assign_user_at)
                .delete(handlers::unassign_user),
        )
        .route("/tasks", get(tasks::list))
        .route("/tasks/retry", post(tasks::retry_app))
        .route("/tasks/{id}", get(tasks::get))
        .route("/tasks/{id}/retry", post(tasks::retry))
        .route("/tasks/{id}/dismiss", post(tasks::dismiss))
}

/// The provisioning engine, or a clear error when this server runs without one.
fn engine(state: &AppState) -> Result<&Provisioning, ApiError> {
    state.provisioning.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "E0000060",
            "Provisioning is not available on this server",
        )
        .with_cause("this server was started without the provisioning engine")
        .with_remediation("run `roster serve`, which starts it")
    })
}

impl From<ProvisioningError> for ApiError {
    fn from(err: ProvisioningError) -> Self {
        match err {
            ProvisioningError::NotFound { kind, id } => ApiError::not_found(kind, &id),
            ProvisioningError::Invalid {
                field,
                message,
                remediation,
            } => ApiError::validation(&field, message).with_remediation(remediation),
            ProvisioningError::ConnectionRefused(e) => {
                let summary = match e.kind {
                    ErrorKind::Unauthorized => "the target refused the API token",
                    ErrorKind::Transient => "the target could not be reached",
                    _ => "the target did not accept the connection test",
                };
                ApiError::validation("profile.token", format!("{summary}: {}", e.summary()))
                    .with_cause(format!(
                        "Roster tested the token against the target before saving it; {}",
                        e.cause()
                    ))
                    .with_remediation(
                        "the connection was not saved: check settings.app.baseUrl and send an active API token of the target org (on a Roster target: `roster token create --name NAME`)",
                    )
            }
            ProvisioningError::Crypto(detail) => ApiError::internal(&detail),
            ProvisioningError::Store(e) => e.into(),
            ProvisioningError::Directory(e) => e.into(),
        }
    }
}
