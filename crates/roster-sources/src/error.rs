//! Errors: [`SourceError`] is what a source said, classified so the import engine decides retries
//! in one place; [`SettingsError`] lists every problem with a source's settings.

use std::fmt;

/// How a source failure should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The source was unreachable, timed out, was busy or answered 5xx: retry with backoff.
    Transient,
    /// The source refused the credentials (LDAP invalidCredentials, HTTP 401/403): fix the
    /// connection settings, then retry.
    Unauthorized,
    /// Roster's settings for the source are wrong (bad base DN, filter, URL, TLS trust): retrying
    /// will not help until they are fixed.
    Configuration,
    /// The source answered, but with data Roster cannot read (a record without an id, a
    /// malformed document).
    InvalidData,
}

impl ErrorKind {
    /// The stable code of the class, for APIs, tasks and the System Log.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Transient => "source_unavailable",
            ErrorKind::Unauthorized => "source_unauthorized",
            ErrorKind::Configuration => "source_misconfigured",
            ErrorKind::InvalidData => "source_invalid_data",
        }
    }

    /// Whether retrying the same read later may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Transient)
    }
}

/// A classified source failure: `<source>: <what Roster tried>: <what the source said>`.
///
/// Never contains a bind password or a token: they are not part of any field and the
/// constructors are only given the server's own words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {tried}: {said}")]
pub struct SourceError {
    pub kind: ErrorKind,
    /// The source, e.g. `ldap://dc1.example.com:389` or `users.csv`.
    pub source_name: String,
    /// What Roster tried, e.g. `bind as cn=reader,dc=example,dc=com`.
    pub tried: String,
    /// What the source said, e.g. `invalidCredentials (49)`.
    pub said: String,
}

impl SourceError {
    pub fn new(
        kind: ErrorKind,
        source_name: impl Into<String>,
        tried: impl Into<String>,
        said: impl Into<String>,
    ) -> Self {
        SourceError {
            kind,
            source_name: source_name.into(),
            tried: tried.into(),
            said: said.into(),
        }
    }

    /// The stable code (see [`ErrorKind::code`]).
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The cause in plain words.
    pub fn cause(&self) -> String {
        match self.kind {
            ErrorKind::Transient => format!(
                "{} could not be reached or was busy, so the read stopped before it finished",
                self.source_name
            ),
            ErrorKind::Unauthorized => format!(
                "{} refused the account or token Roster reads it with",
                self.source_name
            ),
            ErrorKind::Configuration => format!(
                "Roster's settings for {} do not match the source",
                self.source_name
            ),
            ErrorKind::InvalidData => format!(
                "{} returned data Roster cannot read as users or groups",
                self.source_name
            ),
        }
    }

    /// What the administrator should do.
    pub fn remediation(&self) -> &'static str {
        match self.kind {
            ErrorKind::Transient => {
                "check that the server is up and reachable from Roster; the import retries by itself"
            }
            ErrorKind::Unauthorized => {
                "enter the current bind DN and password (or token) of the service account in the source's settings, check that the account is not locked or expired, then run the import again"
            }
            ErrorKind::Configuration => {
                "correct the source's settings named in the message (URL, base DNs, object classes, filters, TLS trust), then run the import again"
            }
            ErrorKind::InvalidData => {
                "fix the records named in the message at the source, or change the unique id attribute, then run the import again"
            }
        }
    }
}

/// One problem with a source's settings, named by its field (`settings.app.userBaseDn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsProblem {
    pub field: String,
    pub message: String,
}

/// Every problem with a source's settings, not only the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SettingsError {
    pub problems: Vec<SettingsProblem>,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid source settings: ")?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", p.field, p.message)?;
        }
        Ok(())
    }
}

impl SettingsError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        "source_settings_invalid"
    }

    pub fn remediation(&self) -> &'static str {
        "correct every field named in the message and save the settings again"
    }

    /// As a [`SourceError`] of class configuration, for callers that only carry one error type.
    pub fn into_source_error(self, source_name: impl Into<String>) -> SourceError {
        let said = self.to_string();
        SourceError::new(
            ErrorKind::Configuration,
            source_name,
            "validate the source settings",
            said,
        )
    }
}

/// Collects settings problems in order.
#[derive(Debug, Default)]
pub(crate) struct Problems(pub(crate) Vec<SettingsProblem>);

impl Problems {
    pub(crate) fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(SettingsProblem {
            field: field.to_string(),
            message: message.into(),
        });
    }

    pub(crate) fn finish(self) -> Result<(), SettingsError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(SettingsError { problems: self.0 })
        }
    }
}
