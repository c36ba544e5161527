//! The directory's one error type. Each surface (Okta-style `/api/v1`, SCIM `/scim/v2`) maps it
//! to its own wire format; every variant carries what an administrator needs: a stable code, the
//! field, the cause in plain words and the remediation.

use roster_core::lifecycle::LifecycleError;
use roster_core::profile::Violation;
use roster_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The profile breaks the schema; every violation is listed.
    #[error("the profile is not valid: {}", violations.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("; "))]
    InvalidProfile { violations: Vec<Violation> },

    /// The password does not meet the policy that applies to the user.
    #[error("the password does not meet the password policy")]
    PasswordRejected {
        /// Okta's sentence: "Password requirements were not met. Password requirements: ...".
        requirements_text: String,
        /// Codes of the unmet requirements (`minLength`, `excludeUsername`, ...).
        unmet: Vec<&'static str>,
        policy_name: String,
    },

    /// The user's credentials come from a provider that holds no password Roster can set.
    #[error("a password cannot be set for a user whose credentials provider is {provider}")]
    PasswordNotAllowed { provider: &'static str },

    /// The operation is not allowed in the user's current status.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),

    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },

    /// A unique value is taken (a login, a group name).
    #[error("{field} is already in use")]
    Conflict {
        field: String,
        value: Option<String>,
    },

    /// An `If-Match` style precondition failed: the object changed since it was read.
    #[error("{kind} {id} was changed since it was read")]
    Stale { kind: &'static str, id: String },

    /// A request value that is wrong on its own (bad enum, bad hash import, ...).
    #[error("{field}: {message}")]
    Invalid {
        field: String,
        message: String,
        remediation: String,
    },

    /// A filter that does not parse, or names an attribute that cannot be searched.
    #[error("invalid filter: {message}")]
    InvalidFilter {
        field: String,
        message: String,
        position: Option<usize>,
    },

    /// Sign-in failed. Deliberately says nothing about whether the user exists.
    #[error("authentication failed")]
    AuthenticationFailed,

    /// The old password given for a change is wrong.
    #[error("the old password is not correct")]
    OldPasswordIncorrect,

    /// A one-time token (recovery, activation) is unknown, used or expired.
    #[error("the {kind} token is not valid: it is unknown, already used or expired")]
    TokenInvalid { kind: &'static str },

    /// Something failed inside Roster; details go to the server log.
    #[error("internal error: {0}")]
    Internal(String),

    /// The database cannot do it now (down, busy, disk full); nothing was written.
    #[error("the database is unavailable: {0}")]
    Unavailable(roster_store::Unavailable),
}

impl DirectoryError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DirectoryError::InvalidProfile { violations } => violations
                .first()
                .map(|v| v.code)
                .unwrap_or("invalidProfile"),
            DirectoryError::PasswordRejected { .. } => "passwordPolicyViolation",
            DirectoryError::PasswordNotAllowed { .. } => "passwordNotAllowedForProvider",
            DirectoryError::Lifecycle(e) => e.code(),
            DirectoryError::NotFound { .. } => "notFound",
            DirectoryError::Conflict { .. } => "notUniqueWithinOrg",
            DirectoryError::Stale { .. } => "versionMismatch",
            DirectoryError::Invalid { .. } => "invalidValue",
            DirectoryError::InvalidFilter { .. } => "invalidFilter",
            DirectoryError::AuthenticationFailed => "authenticationFailed",
            DirectoryError::OldPasswordIncorrect => "oldPasswordIncorrect",
            DirectoryError::TokenInvalid { .. } => "tokenInvalid",
            DirectoryError::Internal(_) => "internal",
            DirectoryError::Unavailable(_) => "unavailable",
        }
    }

    /// The field the error is about, when there is one.
    pub fn field(&self) -> Option<String> {
        match self {
            DirectoryError::InvalidProfile { violations } => {
                violations.first().map(|v| v.field.clone())
            }
            DirectoryError::PasswordRejected { .. } | DirectoryError::PasswordNotAllowed { .. } => {
                Some("password".into())
            }
            DirectoryError::OldPasswordIncorrect => Some("oldPassword".into()),
            DirectoryError::Conflict { field, .. } => Some(field.clone()),
            DirectoryError::Invalid { field, .. } | DirectoryError::InvalidFilter { field, .. } => {
                Some(field.clone())
            }
            _ => None,
        }
    }

    /// The cause in plain words.
    pub fn cause(&self) -> String {
        match self {
            DirectoryError::InvalidProfile { violations } => {
                violations.iter().map(Violation::cause).collect::<Vec<_>>().join("; ")
            }
            DirectoryError::PasswordRejected { requirements_text, policy_name, .. } => {
                format!("the password does not meet the password policy {policy_name:?}: {requirements_text}")
            }
            DirectoryError::PasswordNotAllowed { provider } => format!(
                "the user's credentials come from the {provider} provider (an identity provider signs them in), so Roster holds no password for them that can be set or synced"
            ),
            DirectoryError::Lifecycle(e) => e.cause(),
            DirectoryError::NotFound { kind, id } => format!("no {kind} has the id or name {id:?}"),
            DirectoryError::Conflict { field, value } => match value {
                Some(v) => format!("another object already uses {v:?} as its {field}"),
                None => format!("another object already uses this {field}"),
            },
            DirectoryError::Stale { kind, id } => format!("the {kind} {id} was changed by someone else after you read it"),
            DirectoryError::Invalid { message, .. } => message.clone(),
            DirectoryError::InvalidFilter { message, .. } => message.clone(),
            DirectoryError::AuthenticationFailed => "the username or the password is not correct, or the user cannot sign in".into(),
            DirectoryError::OldPasswordIncorrect => "the current password given is not the user's password".into(),
            DirectoryError::TokenInvalid { kind } => format!("the {kind} link is unknown, was already used, or has expired"),
            DirectoryError::Internal(_) => "Roster failed while handling the request".into(),
            DirectoryError::Unavailable(reason) => {
                format!("the database is {reason}: nothing was changed")
            }
        }
    }

    /// What to do about it.
    pub fn remediation(&self) -> String {
        match self {
            DirectoryError::InvalidProfile { violations } => {
                violations.iter().map(Violation::remediation).collect::<Vec<_>>().join("; ")
            }
            DirectoryError::PasswordRejected { .. } => {
                "choose a password that meets every listed requirement, or change the password policy that applies to the user".into()
            }
            DirectoryError::PasswordNotAllowed { .. } => "convert the user to the OKTA provider with POST /api/v1/users/{id}/lifecycle/reset_password and body {\"credentials\":{\"provider\":{\"type\":\"OKTA\",\"name\":\"OKTA\"}}}, or stop sending a password for this user".into(),
            DirectoryError::Lifecycle(e) => e.remediation(),
            DirectoryError::NotFound { kind, .. } => format!("check the {kind} id; list {kind}s to find the right one"),
            DirectoryError::Conflict { field, .. } => format!("choose another {field}, or update the existing object instead of creating a new one"),
            DirectoryError::Stale { .. } => "read the object again and repeat the change on its current version".into(),
            DirectoryError::Invalid { remediation, .. } => remediation.clone(),
            DirectoryError::InvalidFilter { .. } => "write the filter as: attribute operator value, e.g. profile.login eq \"a@example.com\"; operators eq ne gt ge lt le sw ew co pr, joined with and / or / not".into(),
            DirectoryError::AuthenticationFailed => "check the username and password; an administrator can reset the password or unlock the user".into(),
            DirectoryError::OldPasswordIncorrect => "send the user's current password as oldPassword, or have an administrator reset the password".into(),
            DirectoryError::TokenInvalid { .. } => "ask an administrator for a new link (reset_password or activate with sendEmail=false)".into(),
            DirectoryError::Internal(_) => "retry; if it keeps failing, give the errorId to your Roster operator".into(),
            DirectoryError::Unavailable(reason) => reason.remediation().into(),
        }
    }

    pub fn invalid(
        field: &str,
        message: impl Into<String>,
        remediation: impl Into<String>,
    ) -> Self {
        DirectoryError::Invalid {
            field: field.into(),
            message: message.into(),
            remediation: remediation.into(),
        }
    }
}

impl From<StoreError> for DirectoryError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { kind, id } => DirectoryError::NotFound { kind, id },
            StoreError::Conflict { field, value } => DirectoryError::Conflict {
                field: field.into(),
                value,
            },
            StoreError::VersionConflict { kind, id, .. } => DirectoryError::Stale { kind, id },
            StoreError::InvalidFilter { field, message } => DirectoryError::InvalidFilter {
                field,
                message,
                position: None,
            },
            StoreError::Unavailable {
                operation,
                reason,
                source,
            } => {
                tracing::warn!(operation, %reason, error = %source, "the database is unavailable");
                DirectoryError::Unavailable(reason)
            }
            other => {
                tracing::error!(error = %other, source = ?std::error::Error::source(&other), "store failure");
                DirectoryError::Internal(other.to_string())
            }
        }
    }
}

impl From<roster_filter::FilterError> for DirectoryError {
    fn from(err: roster_filter::FilterError) -> Self {
        DirectoryError::InvalidFilter {
            field: "filter".into(),
            message: err.to_string(),
            position: Some(err.position()),
        }
    }
}
