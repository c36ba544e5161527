//! The one error type of the `/api/v1` surface: Okta's error object plus Roster's `cause` and
//! `remediation`. Internal causes are logged under the `errorId` and never sent to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answered on `/api/v1`. Kept under clippy's `result_large_err` size (128 bytes): the
/// texts that are set once are boxed slices rather than growable strings.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Okta's error code, e.g. `E0000001`.
    pub code: &'static str,
    pub summary: String,
    /// `errorCauses[].errorSummary`, e.g. `password: Password requirements were not met...`.
    pub causes: Box<[Cause]>,
    pub cause: Box<str>,
    pub remediation: Box<str>,
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
            causes: Box::default(),
            cause: Box::default(),
            remediation: Box::default(),
            headers: Vec::new(),
        }
    }

    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = cause.into().into_boxed_str();
        self
    }

    pub fn with_remediation(mut self, remediation: impl Into<String>) -> Self {
        self.remediation = remediation.into().into_boxed_str();
        self
    }

    pub fn with_error_cause(mut self, summary: impl Into<String>) -> Self {
        let mut causes = std::mem::take(&mut self.causes).into_vec();
        causes.push(Cause {
            error_summary: summary.into(),
            reason: None,
            location: None,
        });
        self.causes = causes.into_boxed_slice();
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

    /// E0000001: request validation failed for `field` (named in the cause's `location`).
    pub fn validation(field: &str, summary: impl Into<String>) -> Self {
        let summary = summary.into();
        let mut e = ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000001",
            format!("Api validation failed: {field}"),
        )
        .with_error_cause(format!("{field}: {summary}"))
        .with_cause(summary);
        if let Some(last) = e.causes.last_mut() {
            last.location = Some(field.to_owned());
        }
        e
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

    /// 413 E0000003: the body is larger than the server takes.
    pub fn payload_too_large() -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "E0000003",
            "The request body was too large.",
        )
        .with_error_cause(format!("body: larger than {} bytes", crate::MAX_BODY_BYTES))
        .with_cause(format!(
            "the body is larger than {} bytes",
            crate::MAX_BODY_BYTES
        ))
        .with_remediation("send a smaller body; split bulk work into several requests")
    }

    /// The database cannot do it now: 507 when its disk is full, else 503 — a temporary
    /// condition, not a fault of the request, and nothing was written.
    pub fn unavailable(reason: roster_store::Unavailable) -> Self {
        ApiError::new(
            unavailable_status(reason),
            "E0000010",
            format!("Service unavailable: the database is {reason}"),
        )
        .with_cause(format!("the database is {reason}: nothing was changed"))
        .with_remediation(reason.remediation())
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
        // The detail is logged under the id the client sees, and never sent to the client.
        let error_id = new_error_id();
        tracing::error!(error_id = %error_id, detail = %detail, "internal error");
        match HeaderValue::from_str(&error_id) {
            Ok(value) => err.with_header_value(ERROR_ID_HEADER, value),
            Err(_) => err,
        }
    }

    fn with_header_value(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn with_header(mut self, name: header::HeaderName, value: &'static str) -> Self {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }
}

/// Every error response carries its `errorId` in this header too, so operators can find the log
/// line from a proxy's access log.
const ERROR_ID_HEADER: header::HeaderName = header::HeaderName::from_static("x-roster-error-id");

fn new_error_id() -> String {
    format!("roster{}", uuid::Uuid::new_v4().simple())
}

impl IntoResponse for ApiError {
    fn into_response(mut self) -> Response {
        let error_id = match self
            .headers
            .iter()
            .find(|(name, _)| *name == ERROR_ID_HEADER)
        {
            Some((_, value)) => value
                .to_str()
                .map(str::to_owned)
                .unwrap_or_else(|_| new_error_id()),
            None => {
                let id = new_error_id();
                if let Ok(value) = HeaderValue::from_str(&id) {
                    self.headers.push((ERROR_ID_HEADER, value));
                }
                id
            }
        };
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

/// Middleware: the answers axum and tower-http make on their own (413 from the body limit, 405
/// for a method a path does not take, 400 for a path that does not decode) become Okta error
/// objects, with a cause and a remediation. `/scim/v2` answers in its own error format.
pub async fn okta_error_bodies(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if request.uri().path().starts_with("/scim/") {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    if json || html || !status.is_client_error() {
        return response;
    }
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large().into_response(),
        StatusCode::METHOD_NOT_ALLOWED => {
            let allow = response.headers().get(header::ALLOW).cloned();
            let mut answer = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "E0000022",
                "The endpoint does not support the provided HTTP method",
            )
            .with_cause(format!("{path} does not take {method}"))
            .with_remediation("use a method this path takes: the Allow header lists them")
            .into_response();
            if let Some(allow) = allow {
                answer.headers_mut().insert(header::ALLOW, allow);
            }
            answer
        }
        StatusCode::BAD_REQUEST => {
            // axum's own rejection (a path parameter that does not decode): keep its words.
            let text = axum::body::to_bytes(response.into_body(), 4096)
                .await
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "E0000001",
                "Api validation failed: path",
            )
            .with_error_cause(format!("path: {}", text.trim()))
            .with_cause(format!(
                "the request for {path} could not be read: {}",
                text.trim()
            ))
            .with_remediation("percent-encode ids and logins in the path as UTF-8")
            .into_response()
        }
        _ => response,
    }
}

/// The status of an unavailable database: 507 Insufficient Storage for a full disk, else 503.
pub fn unavailable_status(reason: roster_store::Unavailable) -> StatusCode {
    match reason {
        roster_store::Unavailable::DiskFull => StatusCode::INSUFFICIENT_STORAGE,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl From<roster_store::StoreError> for ApiError {
    fn from(err: roster_store::StoreError) -> Self {
        use roster_store::StoreError;
        match &err {
            StoreError::Unavailable { reason, .. } => ApiError::unavailable(*reason),
            StoreError::NotFound { kind, id } => ApiError::not_found(kind, id),
            StoreError::InvalidFilter { field, message } => {
                ApiError::invalid_search("filter", format!("{field}: {message}"))
            }
            _ => ApiError::internal(&err),
        }
    }
}

#[cfg(test)]
mod error_id_tests {
    use super::*;

    #[tokio::test]
    async fn internal_errors_carry_one_error_id_in_body_and_header_and_hide_the_detail() {
        let response = ApiError::internal(&"disk on fire: secret-detail").into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let header = response
            .headers()
            .get("x-roster-error-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["errorId"], header);
        assert!(!String::from_utf8_lossy(&bytes).contains("secret-detail"));
    }
}
