//! `/api/v1/apps` and `/api/v1/tasks`: applications, their provisioning connection and
//! `USER_PROVISIONING` feature, app user assignments, and the Tasks of failed pushes, over
//! [`roster_provisioning::Provisioning`].

mod group_push;
mod handlers;
pub mod import_wire;
pub mod imports;
mod tasks;
pub mod transformations;
pub mod wire;

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
        .route(
            "/apps/{id}/connections/default/test",
            post(handlers::test_connection),
        )
        .route(
            "/apps/{id}/connections/default/lifecycle/{op}",
            post(group_push::connection_lifecycle),
        )
        .route(
            "/apps/{id}/group-push/mappings",
            get(group_push::list).post(group_push::create),
        )
        .route(
            "/apps/{id}/group-push/mappings/{mapping_id}",
            get(group_push::get)
                .patch(group_push::update)
                .delete(group_push::delete),
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
        .route(
            "/apps/{id}/users/{user_id}/lifecycle/provision",
            post(handlers::provision_user),
        )
        .route("/apps/{id}/groups", get(handlers::list_groups))
        .route(
            "/apps/{id}/groups/{group_id}",
            get(handlers::get_group)
                .put(handlers::assign_group)
                .delete(handlers::unassign_group),
        )
        .route(
            "/apps/{id}/transformations",
            get(transformations::get)
                .put(transformations::put)
                .delete(transformations::delete),
        )
        .route(
            "/apps/{id}/transformations/preview",
            post(transformations::preview),
        )
        .route(
            "/apps/{id}/imports",
            get(imports::list).post(imports::start),
        )
        .route("/apps/{id}/imports/{job_id}", get(imports::get))
        .route("/apps/{id}/imports/{job_id}/users", get(imports::pending))
        .route(
            "/apps/{id}/imports/{job_id}/confirm",
            post(imports::confirm),
        )
        .route("/apps/{id}/imports/{job_id}/{op}", post(imports::lifecycle))
        .route("/imports/{job_id}", get(imports::get_any))
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
                        "Roster tested the token against the target (a new token before saving it, or the saved one when asked to test it); {}",
                        e.cause()
                    ))
                    .with_remediation(
                        "a refused token is not saved, and a test changes nothing: check settings.app.baseUrl and send an active API token of the target org (on a Roster target: `roster token create --name NAME`)",
                    )
            }
            ProvisioningError::InvalidTransformation(problems) => invalid_transformation(&problems),
            ProvisioningError::Crypto(detail) => ApiError::internal(&detail),
            ProvisioningError::Store(e) => e.into(),
            ProvisioningError::Directory(e) => e.into(),
        }
    }
}

/// The answer to an invalid transformation: every problem as an error cause whose location is
/// the mapping's path (`user.mappings[3].functions[0].type`).
fn invalid_transformation(problems: &[(String, String)]) -> ApiError {
    let mut err = ApiError::new(
        StatusCode::BAD_REQUEST,
        "E0000001",
        "Api validation failed: transformation",
    )
    .with_cause(format!(
        "the transformation has {} problem{}; nothing was saved",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    ))
    .with_remediation(
        "fix each listed mapping key (see the SAP Identity Provisioning transformation format) and PUT the document again",
    );
    for (full, location) in problems {
        err = err
            .with_error_cause(full.clone())
            .with_error_code_cause("invalidTransformation", location);
    }
    err
}
