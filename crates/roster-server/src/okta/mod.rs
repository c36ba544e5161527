//! The Management API (`/api/v1`) in Okta's shapes: wire types at the edge, with explicit
//! conversions from the domain, and the handlers that use them.

pub mod authn;
pub mod brands;
pub mod email_servers;
pub mod groups;
pub mod mail;
pub mod policies;
pub mod roles;
pub mod schemas;
pub mod tokens;
pub mod users;
pub mod wire;

use roster_directory::{Ctx, DirectoryError};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::AppState;

/// The change context of a request: its principal as the actor, the server clock.
pub fn ctx(state: &AppState, principal: &Principal) -> Ctx {
    let mut ctx = Ctx::new(principal.actor(), state.now());
    ctx.client = principal.client.clone();
    ctx
}

impl From<DirectoryError> for ApiError {
    fn from(err: DirectoryError) -> Self {
        use axum::http::StatusCode;
        let field = err.field();
        let cause = err.cause();
        let remediation = err.remediation();
        let base = match &err {
            DirectoryError::InvalidProfile { violations } => {
                let mut e = ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "E0000001",
                    format!(
                        "Api validation failed: {}",
                        violations.iter().map(|v| v.field.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                );
                for v in violations {
                    e = e.with_error_cause(format!("{}: {}", v.field, v.message)).with_error_code_cause(v.code, &v.field);
                }
                e
            }
            DirectoryError::PasswordRejected { requirements_text, .. } => {
                ApiError::new(StatusCode::BAD_REQUEST, "E0000001", "Api validation failed: password")
                    .with_error_cause(format!("password: {requirements_text}"))
            }
            DirectoryError::PasswordNotAllowed { provider } => ApiError::new(StatusCode::BAD_REQUEST, "E0000001", "Api validation failed: password")
                .with_error_cause(format!("password: Password cannot be set for a user whose credentials provider is {provider}")),
            DirectoryError::Lifecycle(e) => {
                let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
                ApiError::new(status, e.code(), e.summary()).with_error_cause(e.to_string())
            }
            DirectoryError::NotFound { kind, id } => return ApiError::not_found(kind, id),
            DirectoryError::Conflict { field, .. } => {
                ApiError::new(StatusCode::BAD_REQUEST, "E0000001", format!("Api validation failed: {field}"))
                    .with_error_cause(format!("{field}: An object with this field already exists in the current organization"))
            }
            DirectoryError::Stale { .. } => ApiError::new(StatusCode::PRECONDITION_FAILED, "E0000020", "Bad request. The object was changed since it was read."),
            DirectoryError::Invalid { field, message, .. } => ApiError::new(StatusCode::BAD_REQUEST, "E0000001", format!("Api validation failed: {field}"))
                .with_error_cause(format!("{field}: {message}")),
            DirectoryError::InvalidFilter { field, message, position } => {
                let at = position.map(|p| format!(" (at character {})", p + 1)).unwrap_or_default();
                return ApiError::invalid_search(field, format!("{message}{at}"));
            }
            DirectoryError::AuthenticationFailed => ApiError::new(StatusCode::UNAUTHORIZED, "E0000004", "Authentication failed"),
            DirectoryError::OldPasswordIncorrect => ApiError::new(StatusCode::FORBIDDEN, "E0000014", "Update of credentials failed")
                .with_error_cause("oldPassword: Old Password is not correct"),
            DirectoryError::TokenInvalid { .. } => ApiError::new(StatusCode::FORBIDDEN, "E0000011", "Invalid token provided"),
            DirectoryError::Internal(detail) => return ApiError::internal(detail),
            DirectoryError::Unavailable(reason) => ApiError::unavailable(*reason),
        };
        let _ = field;
        base.with_cause(cause).with_remediation(remediation)
    }
}
