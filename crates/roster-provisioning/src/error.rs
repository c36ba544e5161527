//! Errors: [`ConnectorError`] is what a target said, classified so the engine decides retries in
//! one place; [`ProvisioningError`] is what the provisioning use cases answer.

use std::time::Duration;

use serde_json::{json, Value};

/// How a connector failure should be handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The target was unreachable, timed out or answered 5xx: retry with backoff.
    Transient,
    /// The target answered 429: retry after `retry_after` (or the backoff when it gave none).
    RateLimited { retry_after: Option<Duration> },
    /// The target refused the request (validation and other 4xx): retrying will not help.
    Permanent,
    /// The target refused the credentials (401/403): fix the connection, then retry.
    Unauthorized,
    /// The object already exists on the target in a way Roster cannot link.
    Conflict,
    /// The target user's credentials come from an identity provider (FEDERATION): no password
    /// can be set on it.
    FederatedUser,
    /// Roster's own configuration stops the step (no connection, create disabled, ...).
    Configuration,
}

/// A classified connector failure: `<what Roster tried>: <what the target said>`, the target's
/// status, its error code and its body with every secret redacted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{tried}: {said}")]
pub struct ConnectorError {
    pub kind: ErrorKind,
    /// What Roster tried, e.g. `create user ann@example.com on http://hub/api/v1/users`.
    pub tried: String,
    /// What the target said, e.g. `Api validation failed: password (password: ...)`.
    pub said: String,
    /// The target's HTTP status, when it answered.
    pub status: Option<u16>,
    /// The target's own error code (`E0000001`, a SCIM `scimType`, ...).
    pub target_code: Option<String>,
    /// The field the target complained about, when it named one (`password`, `login`).
    pub field: Option<String>,
    /// The target's body, parsed as JSON when possible, with secrets redacted.
    pub body: Option<Value>,
    /// Extra context for the cause and remediation (e.g. the hub user's id).
    pub subject: Option<String>,
    /// The payload Roster sent, with every secret replaced (set for transformation payloads,
    /// so an administrator sees what the mapping produced).
    pub sent: Option<Value>,
}

impl ConnectorError {
    /// This error, showing the (redacted) transformation payload that was sent.
    pub fn with_sent(mut self, payload: &crate::connector::Payload) -> Self {
        self.sent = Some(payload.redacted());
        self
    }

    pub fn new(kind: ErrorKind, tried: impl Into<String>, said: impl Into<String>) -> Self {
        ConnectorError {
            kind,
            tried: tried.into(),
            said: said.into(),
            status: None,
            target_code: None,
            field: None,
            body: None,
            subject: None,
            sent: None,
        }
    }

    /// Whether the engine should try again by itself.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Transient | ErrorKind::RateLimited { .. }
        )
    }

    /// `<what Roster tried>: <what the target said>`.
    pub fn summary(&self) -> String {
        self.to_string()
    }

    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self.kind {
            ErrorKind::Transient => "provisioning.target_unavailable",
            ErrorKind::RateLimited { .. } => "provisioning.rate_limited",
            ErrorKind::Permanent if self.field.as_deref() == Some("password") => {
                "provisioning.password_rejected"
            }
            ErrorKind::Permanent => "provisioning.target_rejected",
            ErrorKind::Unauthorized => "provisioning.unauthorized",
            ErrorKind::Conflict => "provisioning.conflict",
            ErrorKind::FederatedUser => "provisioning.federated_user",
            ErrorKind::Configuration => "provisioning.configuration",
        }
    }

    /// The cause in plain words.
    pub fn cause(&self) -> String {
        match &self.kind {
            ErrorKind::Transient => "the target could not be reached or failed on its side".into(),
            ErrorKind::RateLimited { .. } => "the target is rate limiting Roster".into(),
            ErrorKind::Permanent if self.field.as_deref() == Some("password") => {
                "the target's password policy refuses this user's password: the two password policies differ".into()
            }
            ErrorKind::Permanent => "the target refused the request as invalid".into(),
            ErrorKind::Unauthorized => {
                "the target refused the app's API token: it was revoked, expired or lacks the rights".into()
            }
            ErrorKind::Conflict => "the object already exists on the target and cannot be linked".into(),
            ErrorKind::FederatedUser => {
                "the hub user's credentials come from an identity provider (credentials.provider.type is FEDERATION, for example made by JIT from an IdP or created with ?provider=true), so it has no password that Roster can set".into()
            }
            ErrorKind::Configuration => "the app's provisioning settings do not allow this step".into(),
        }
    }

    /// What an administrator can do about it.
    pub fn remediation(&self) -> String {
        match &self.kind {
            ErrorKind::Transient | ErrorKind::RateLimited { .. } => {
                "nothing if it recovers: Roster retries with backoff; otherwise check the target, then retry the task".into()
            }
            ErrorKind::Permanent if self.field.as_deref() == Some("password") => {
                "set a password that meets the target's requirements (Roster pushes it again), or align the two password policies; then retry the task".into()
            }
            ErrorKind::Permanent => "correct the user's data or the app's mappings, then retry the task".into(),
            ErrorKind::Unauthorized => {
                "give the app a valid API token (POST /api/v1/apps/{id}/connections/default), then retry the task".into()
            }
            ErrorKind::Conflict => "remove or rename the conflicting object on the target, then retry the task".into(),
            ErrorKind::FederatedUser => {
                let user = self.subject.as_deref().unwrap_or("{id}");
                format!(
                    "on the hub, POST /api/v1/users/{user}/lifecycle/reset_password?sendEmail=false with body {{\"credentials\":{{\"provider\":{{\"type\":\"OKTA\",\"name\":\"OKTA\"}}}}}}, then retry this task; or re-provision (unassign the user from this app, delete the hub user, assign again); or turn password sync off for this app (USER_PROVISIONING update.password DISABLED)"
                )
            }
            ErrorKind::Configuration => "change the app's provisioning settings, then retry the task".into(),
        }
    }

    /// The error as a task and a System Log record it: no secret in it.
    pub fn to_json(&self) -> Value {
        json!({
            "code": self.code(),
            "summary": self.summary(),
            "tried": self.tried,
            "said": self.said,
            "targetStatus": self.status,
            "targetErrorCode": self.target_code,
            "field": self.field,
            "targetBody": self.body,
            "sent": self.sent,
            "cause": self.cause(),
            "remediation": self.remediation(),
        })
    }
}

/// What the provisioning use cases answer.
#[derive(Debug, thiserror::Error)]
pub enum ProvisioningError {
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },

    #[error("{field}: {message}")]
    Invalid {
        field: String,
        message: String,
        remediation: String,
    },

    /// The connection's credentials were tested against the target and refused.
    #[error("the connection was not saved: {0}")]
    ConnectionRefused(Box<ConnectorError>),

    /// A transformation document was refused: every problem as (message, location), where the
    /// location names the mapping and key (`user.mappings[3].functions[0].type`).
    #[error("the transformation is invalid ({} problems)", .0.len())]
    InvalidTransformation(Vec<(String, String)>),

    /// The master key cannot be loaded or does not open a stored secret.
    #[error("secret storage: {0}")]
    Crypto(String),

    #[error(transparent)]
    Store(#[from] roster_store::StoreError),

    #[error(transparent)]
    Directory(#[from] roster_directory::DirectoryError),
}

impl ProvisioningError {
    pub fn code(&self) -> &'static str {
        match self {
            ProvisioningError::NotFound { .. } => "not_found",
            ProvisioningError::Invalid { .. } => "invalid",
            ProvisioningError::ConnectionRefused(e) => e.code(),
            ProvisioningError::InvalidTransformation(_) => "provisioning.invalid_transformation",
            ProvisioningError::Crypto(_) => "provisioning.secret_storage",
            ProvisioningError::Store(e) => e.code(),
            ProvisioningError::Directory(e) => e.code(),
        }
    }

    pub(crate) fn invalid(field: &str, message: impl Into<String>, remediation: &str) -> Self {
        ProvisioningError::Invalid {
            field: field.into(),
            message: message.into(),
            remediation: remediation.into(),
        }
    }
}

/// Keys whose values are secrets wherever they appear in a target's body.
const SECRET_KEYS: &[&str] = &[
    "password",
    "value",
    "token",
    "secret",
    "apitoken",
    "clientsecret",
    "resetpasswordurl",
    "activationurl",
    "activationtoken",
    "recoveryquestion",
    "answer",
];

/// A target's body with secrets redacted: the values of secret-looking keys, and any literal
/// occurrence of one of `secrets` (the password or token Roster sent), anywhere in the text.
pub fn redact_body(text: &str, secrets: &[&str]) -> Value {
    let scrubbed = scrub(text, secrets);
    match serde_json::from_str::<Value>(&scrubbed) {
        Ok(mut v) => {
            redact_value(&mut v, false);
            v
        }
        Err(_) => {
            let mut s: String = scrubbed.chars().take(2000).collect();
            if scrubbed.chars().count() > 2000 {
                s.push_str("...");
            }
            Value::String(s)
        }
    }
}

/// `text` with every occurrence of a secret replaced by `[REDACTED]`.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| s.len() >= 3) {
        out = out.replace(s, "[REDACTED]");
    }
    out
}

fn redact_value(v: &mut Value, under_secret: bool) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                let secret = SECRET_KEYS.contains(&k.to_ascii_lowercase().as_str());
                if secret && !child.is_object() && !child.is_array() {
                    if !child.is_null() {
                        *child = Value::String("[REDACTED]".into());
                    }
                } else {
                    redact_value(child, under_secret || secret);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                redact_value(item, under_secret);
            }
        }
        Value::String(_) if under_secret => *v = Value::String("[REDACTED]".into()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_lose_passwords_tokens_and_echoed_secrets() {
        let body = r#"{"errorSummary":"bad Hunter2!x","credentials":{"password":{"value":"Hunter2!x"}},"token":"abc"}"#;
        let v = redact_body(body, &["Hunter2!x"]);
        let text = v.to_string();
        assert!(!text.contains("Hunter2!x"), "{text}");
        assert!(!text.contains("abc"), "{text}");
        assert_eq!(v["errorSummary"], "bad [REDACTED]");
    }

    #[test]
    fn federated_user_remediation_names_the_three_fixes() {
        let mut e = ConnectorError::new(ErrorKind::FederatedUser, "set password", "FEDERATION");
        e.subject = Some("00u1".into());
        let r = e.remediation();
        assert!(r.contains("/api/v1/users/00u1/lifecycle/reset_password"));
        assert!(r.contains("re-provision"));
        assert!(r.contains("password sync off"));
        assert!(e.cause().contains("identity provider"));
    }
}
