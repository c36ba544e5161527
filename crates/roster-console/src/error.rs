//! Errors as pages: the same stable code, field, cause and remediation the API answers, shown
//! to a person. Internal failures are logged under an error id and shown only as that id.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use roster_server::error::ApiError;

/// What a page shows about a failure: the API's error, in a box.
#[derive(Debug, Clone)]
pub struct ErrorView {
    pub code: String,
    pub summary: String,
    /// `errorCauses`, each with its field when known.
    pub causes: Vec<CauseView>,
    pub cause: String,
    pub remediation: String,
}

#[derive(Debug, Clone)]
pub struct CauseView {
    pub field: String,
    pub text: String,
}

impl ErrorView {
    pub fn from_api(err: &ApiError) -> Self {
        ErrorView {
            code: err.code.to_owned(),
            summary: err.summary.clone(),
            causes: err
                .causes
                .iter()
                .map(|c| CauseView {
                    field: c.location.clone().unwrap_or_default(),
                    text: c.error_summary.clone(),
                })
                .collect(),
            cause: err.cause.to_string(),
            remediation: err.remediation.to_string(),
        }
    }

    /// The message for one form field, if a cause names it.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.causes
            .iter()
            .find(|c| c.field == field)
            .map(|c| c.text.as_str())
    }
}

/// A request the console cannot answer with its page.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub title: String,
    /// Boxed: a `Result<_, PageError>` stays small.
    pub error: Box<ErrorView>,
}

impl PageError {
    pub fn from_api(err: ApiError) -> Self {
        let title = match err.status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::FORBIDDEN => "Not allowed",
            s if s.is_server_error() => "Something went wrong",
            _ => "That did not work",
        };
        PageError {
            status: err.status,
            title: title.into(),
            error: Box::new(ErrorView::from_api(&err)),
        }
    }

    pub fn forbidden(cause: &str, remediation: &str) -> Self {
        PageError::from_api(
            ApiError::forbidden(cause.to_owned())
                .with_cause(cause.to_owned())
                .with_remediation(remediation.to_owned()),
        )
    }

    pub fn csrf() -> Self {
        let err = ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000006",
            "The form did not carry a valid CSRF token",
        )
        .with_cause("the request did not come from a console page of this session, or the page is older than the session; nothing was changed")
        .with_remediation("go back, reload the page and submit it again");
        PageError::from_api(err)
    }

    pub fn bad_request(summary: &str, cause: &str, remediation: &str) -> Self {
        PageError::from_api(
            ApiError::new(StatusCode::BAD_REQUEST, "E0000003", summary.to_owned())
                .with_cause(cause.to_owned())
                .with_remediation(remediation.to_owned()),
        )
    }

    pub fn not_found(kind: &str, id: &str) -> Self {
        PageError::from_api(ApiError::not_found(kind, id))
    }
}

macro_rules! from_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for PageError {
            fn from(err: $t) -> Self {
                PageError::from_api(ApiError::from(err))
            }
        }
    )*};
}
from_errors!(
    roster_directory::DirectoryError,
    roster_provisioning::ProvisioningError,
    roster_imports::ImportError,
    roster_store::StoreError
);

impl From<ApiError> for PageError {
    fn from(err: ApiError) -> Self {
        PageError::from_api(err)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    status: u16,
    error: &'a ErrorView,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            title: &self.title,
            status: self.status.as_u16(),
            error: &self.error,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "rendering the error page failed");
                (self.status, self.error.summary).into_response()
            }
        }
    }
}
