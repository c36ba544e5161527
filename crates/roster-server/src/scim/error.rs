//! The one error type of `/scim/v2`: RFC 7644 section 3.12's error response
//! (`schemas`, `status` as a string, `scimType`, `detail`), served as `application/scim+json`.
//!
//! The body carries nothing but the RFC's attributes (strict clients refuse others), so Roster's
//! cause and remediation go into `detail`. Internal failures are logged under an error id that
//! `detail` names; their cause is never sent.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use roster_core::profile::codes;
use roster_directory::DirectoryError;
use serde_json::json;

use super::convert::scim_name_of_profile_attribute;

pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` keywords of RFC 7644 section 3.12 that Roster uses.
pub mod scim_type {
    pub const INVALID_FILTER: &str = "invalidFilter";
    pub const TOO_MANY: &str = "tooMany";
    pub const UNIQUENESS: &str = "uniqueness";
    pub const MUTABILITY: &str = "mutability";
    pub const INVALID_SYNTAX: &str = "invalidSyntax";
    pub const INVALID_PATH: &str = "invalidPath";
    pub const NO_TARGET: &str = "noTarget";
    pub const INVALID_VALUE: &str = "invalidValue";
    pub const INVALID_VERS: &str = "invalidVers";
}

/// An error answered on `/scim/v2`.
#[derive(Debug, Clone)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    /// 400 with a `scimType`.
    pub fn bad_request(scim_type: &'static str, detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        ScimError::bad_request(scim_type::INVALID_VALUE, detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        ScimError::bad_request(scim_type::INVALID_SYNTAX, detail)
    }

    pub fn invalid_path(detail: impl Into<String>) -> Self {
        ScimError::bad_request(scim_type::INVALID_PATH, detail)
    }

    pub fn no_target(detail: impl Into<String>) -> Self {
        ScimError::bad_request(scim_type::NO_TARGET, detail)
    }

    pub fn mutability(detail: impl Into<String>) -> Self {
        ScimError::bad_request(scim_type::MUTABILITY, detail)
    }

    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        ScimError::bad_request(scim_type::INVALID_FILTER, detail)
    }

    pub fn too_many(detail: impl Into<String>) -> Self {
        ScimError::bad_request(scim_type::TOO_MANY, detail)
    }

    pub fn not_found(kind: &str, id: &str) -> Self {
        ScimError::new(
            StatusCode::NOT_FOUND,
            None,
            format!("Resource {id} not found: no {kind} has this id"),
        )
    }

    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::PRECONDITION_FAILED, None, detail)
    }

    pub fn unauthorized(cause: &str) -> Self {
        let mut e = ScimError::new(
            StatusCode::UNAUTHORIZED,
            None,
            format!("Authorization failure: {cause}. Send `Authorization: Bearer <token>` with an active Roster API token"),
        );
        e.headers.push((
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"roster\""),
        ));
        e
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::FORBIDDEN, None, detail)
    }

    pub fn method_not_allowed(detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::METHOD_NOT_ALLOWED, None, detail)
    }

    pub fn payload_too_large(limit: usize) -> Self {
        ScimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!("The request body is larger than the maximum of {limit} bytes (maxPayloadSize in /ServiceProviderConfig); split it into several requests"),
        )
    }

    /// 500: the detail goes to the server log under an error id, the client gets the id.
    pub fn internal(detail: &dyn std::fmt::Display) -> Self {
        let error_id = format!("roster{}", uuid::Uuid::new_v4().simple());
        tracing::error!(error_id = %error_id, detail = %detail, "internal error on /scim/v2");
        ScimError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            format!("Roster failed while handling the request; retry, and if it keeps failing give the error id {error_id} to your Roster operator"),
        )
    }

    /// The error as the JSON body of a response (also used inside Bulk responses).
    pub fn body(&self) -> serde_json::Value {
        let mut body = json!({
            "schemas": [ERROR_URN],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(obj)) = (self.scim_type, body.as_object_mut()) {
            obj.insert("scimType".into(), json!(t));
        }
        body
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        if !self.status.is_server_error() {
            tracing::debug!(status = %self.status, scim_type = ?self.scim_type, detail = %self.detail, "scim request refused");
        }
        let body = self.body().to_string();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(super::SCIM_CONTENT_TYPE),
        );
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// The SCIM name of a Roster field, with the Roster name when they differ:
/// `userName (profile.login)`.
fn field_label(field: &str) -> String {
    let scim = scim_name_of_profile_attribute(field);
    if scim == field {
        field.to_owned()
    } else {
        format!("{scim} (profile.{field})")
    }
}

impl From<DirectoryError> for ScimError {
    fn from(err: DirectoryError) -> Self {
        match &err {
            DirectoryError::InvalidProfile { violations } => {
                let listed = violations
                    .iter()
                    .map(|v| format!("{}: {}", field_label(&v.field), v.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                if violations.iter().all(|v| v.code == codes::NOT_UNIQUE_WITHIN_ORG) {
                    ScimError::new(
                        StatusCode::CONFLICT,
                        Some(scim_type::UNIQUENESS),
                        format!("{listed}. {}", err.remediation()),
                    )
                } else {
                    ScimError::invalid_value(format!("The user's attributes are not valid: {listed}. To fix: {}", err.remediation()))
                }
            }
            DirectoryError::PasswordRejected { requirements_text, .. } => ScimError::invalid_value(format!(
                "Insufficient password. The password must comply with the requirements. {requirements_text}"
            )),
            DirectoryError::PasswordNotAllowed { .. } => {
                ScimError::invalid_value(format!("password: {}. To fix: {}", err.cause(), err.remediation()))
            }
            DirectoryError::Lifecycle(e) => {
                ScimError::invalid_value(format!("{}: {}. To fix: {}", e.summary(), err.cause(), err.remediation()))
            }
            DirectoryError::NotFound { kind, id } => ScimError::not_found(kind, id),
            DirectoryError::Conflict { field, .. } => ScimError::new(
                StatusCode::CONFLICT,
                Some(scim_type::UNIQUENESS),
                format!("{}: {}. To fix: {}", field_label(field), err.cause(), err.remediation()),
            ),
            DirectoryError::Stale { .. } => ScimError::precondition_failed(format!(
                "{}; the version given in If-Match is no longer the current one. To fix: {}",
                err.cause(),
                err.remediation()
            )),
            DirectoryError::Invalid { field, message, remediation } => {
                ScimError::invalid_value(format!("{}: {message}. To fix: {remediation}", field_label(field)))
            }
            DirectoryError::InvalidFilter { message, position, .. } => {
                let at = position.map(|p| format!(" (at character {})", p + 1)).unwrap_or_default();
                ScimError::invalid_filter(format!("{message}{at}"))
            }
            DirectoryError::AuthenticationFailed | DirectoryError::TokenInvalid { .. } => {
                ScimError::unauthorized(&err.cause())
            }
            DirectoryError::OldPasswordIncorrect => ScimError::invalid_value(err.cause()),
            DirectoryError::Internal(detail) => ScimError::internal(detail),
            DirectoryError::Unavailable(reason) => ScimError::new(
                crate::error::unavailable_status(*reason),
                None,
                format!(
                    "the database is {reason}: nothing was changed; {}",
                    reason.remediation()
                ),
            ),
        }
    }
}

impl From<roster_store::StoreError> for ScimError {
    fn from(err: roster_store::StoreError) -> Self {
        ScimError::from(DirectoryError::from(err))
    }
}
