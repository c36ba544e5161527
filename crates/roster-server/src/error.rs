//! The one error type of the `/api/v1` surface: Okta's error object plus Roster's `cause` and
//! `remediation`. Internal causes are logged under the `errorId` and never sent to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answered on `/api/v1`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Okta's error code, e.g. `E0000001`.
    pub code: &'static str,
    pub summary: String,
    /// `errorCauses[].errorSummary`, e.g. `password: Password requirements were not met...`.
    pub causes: Vec<Cause>,
    pub cause: String,
    pub remediation: String,
    /// Extra response headers (e.g. `WWW-Authenticate`).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    error_code: &'a str,
    error_summary: &'a str,
    error_link: &'a str,
    error_id: String,
    error_causes: &'a [Cause],
    cause: &'a str,
    remediation: &'a str,
}

/// One entry of `errorCauses`: Okta's `errorSummary`, plus Roster's machine-readable `reason`
/// (a stable code such as `invalidLoginEmail`) and `location` (the field) when known.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cause {
    pub error_summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, summary: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            summary: summary.into(),
            causes: Vec::new(),
            cause: String::new(),
            remediation: String::new(),
            headers: Vec::new(),
        }
    }

    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = cause.into();
        self
    }

    pub fn with_remediation(mut self, remediation: impl Into<String>) -> Self {
        self.remediation = remediation.into();
        self
    }

    pub fn with_error_cause(mut self, summary: impl Into<String>) -> Self {
        self.causes.push(Cause {
            error_summary: summary.into(),
            reason: None,
            location: None,
        });
        self
    }

    /// Tag the last error cause with a stable code and the field it is about.
    pub fn with_error_code_cause(mut self, code: &str, field: &str) -> Self {
        if let Some(last) = self.causes.last_mut() {
            last.reason = Some(code.to_owned());
            last.location = Some(field.to_owned());
        }
        self
    }

    /// E0000001: request validation failed for `field`.
    pub fn validation(field: &str, summary: impl Into<String>) -> Self {
        let summary = summary.into();
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000001",
            format!("Api validation failed: {field}"),
        )
        .with_error_cause(format!("{field}: {summary}"))
        .with_cause(summary)
    }

    /// E0000007: the resource does not exist.
    pub fn not_found(kind: &str, id: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "E0000007",
            format!("Not found: Resource not found: {id} ({kind})"),
        )
        .with_cause(format!("no {kind} has the id or name {id:?}"))
        .with_remediation(format!("check the {kind} id; list {kind}s to find it"))
    }

    /// E0000011: missing, malformed, unknown or revoked API token.
    pub fn invalid_token(cause: &str) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "E0000011", "Invalid token provided")
            .with_cause(cause.to_owned())
            .with_remediation(
                "send `Authorization: SSWS <token>` with an active API token; create one with `roster token create --name NAME`",
            )
    }

    /// E0000006: the token's role may not do this.
    pub fn forbidden(cause: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000006",
            "You do not have permission to perform the requested action",
        )
        .with_cause(cause)
        .with_remediation("use a token with the SUPER_ADMIN role for changes")
    }

    /// E0000031: the filter or search expression does not parse or names an unknown attribute.
    pub fn invalid_search(param: &str, cause: impl Into<String>) -> Self {
        let cause = cause.into();
        ApiError::new(StatusCode::BAD_REQUEST, "E0000031", "Invalid search criteria.")
            .with_error_cause(format!("{param}: {cause}"))
            .with_cause(cause)
            .with_remediation(format!(
                "fix the {param} expression: attribute operator value, e.g. eventType eq \"user.lifecycle.create\"; operators eq ne gt ge lt le sw ew co pr, joined with and / or / not"
            ))
    }

    /// E0000009: an internal failure. The detail goes to the server log only.
    pub fn internal(detail: &dyn std::fmt::Display) -> Self {
        let err = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "E0000009",
            "Internal Server Error",
        )
        .with_cause("the server failed while handling this request")
        .with_remediation("retry; if it keeps failing, give the errorId to your Roster operator");
        tracing::error!(detail = %detail, "internal error");
        err
    }

    pub fn with_header(mut self, name: header::HeaderName, value: &'static str) -> Self {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error_id = format!("roster{}", uuid::Uuid::new_v4().simple());
        if self.status.is_server_error() {
            tracing::error!(error_id = %error_id, code = self.code, "request failed");
        } else {
            tracing::debug!(error_id = %error_id, code = self.code, summary = %self.summary, "request refused");
        }
        let body = ErrorBody {
            error_code: self.code,
            error_summary: &self.summary,
            error_link: self.code,
            error_id,
            error_causes: &self.causes,
            cause: &self.cause,
            remediation: &self.remediation,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

impl From<roster_store::StoreError> for ApiError {
    fn from(err: roster_store::StoreError) -> Self {
        use roster_store::StoreError;
        match &err {
            StoreError::NotFound { kind, id } => ApiError::not_found(kind, id),
            StoreError::InvalidFilter { field, message } => {
                ApiError::invalid_search("filter", format!("{field}: {message}"))
            }
            _ => ApiError::internal(&err),
        }
    }
}
