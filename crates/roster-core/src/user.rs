//! The user model, in Okta's shape.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::time::Timestamp;

/// Okta's user statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    Staged,
    Provisioned,
    Active,
    Recovery,
    LockedOut,
    PasswordExpired,
    Suspended,
    Deprovisioned,
}

impl UserStatus {
    pub const ALL: [UserStatus; 8] = [
        UserStatus::Staged,
        UserStatus::Provisioned,
        UserStatus::Active,
        UserStatus::Recovery,
        UserStatus::LockedOut,
        UserStatus::PasswordExpired,
        UserStatus::Suspended,
        UserStatus::Deprovisioned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Staged => "STAGED",
            UserStatus::Provisioned => "PROVISIONED",
            UserStatus::Active => "ACTIVE",
            UserStatus::Recovery => "RECOVERY",
            UserStatus::LockedOut => "LOCKED_OUT",
            UserStatus::PasswordExpired => "PASSWORD_EXPIRED",
            UserStatus::Suspended => "SUSPENDED",
            UserStatus::Deprovisioned => "DEPROVISIONED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
    }
}

/// Where a user's credentials come from (`credentials.provider.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProviderType {
    Okta,
    Federation,
    Import,
    ActiveDirectory,
    Ldap,
    Social,
}

impl ProviderType {
    pub const ALL: [ProviderType; 6] = [
        ProviderType::Okta,
        ProviderType::Federation,
        ProviderType::Import,
        ProviderType::ActiveDirectory,
        ProviderType::Ldap,
        ProviderType::Social,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderType::Okta => "OKTA",
            ProviderType::Federation => "FEDERATION",
            ProviderType::Import => "IMPORT",
            ProviderType::ActiveDirectory => "ACTIVE_DIRECTORY",
            ProviderType::Ldap => "LDAP",
            ProviderType::Social => "SOCIAL",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
    }

    /// Whether Roster itself holds (and may set) a password for users of this provider.
    pub fn accepts_password(self) -> bool {
        matches!(self, ProviderType::Okta | ProviderType::Import)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    #[serde(rename = "type")]
    pub kind: ProviderType,
    pub name: String,
}

impl Provider {
    pub fn okta() -> Self {
        Provider {
            kind: ProviderType::Okta,
            name: "OKTA".into(),
        }
    }

    pub fn federation() -> Self {
        Provider {
            kind: ProviderType::Federation,
            name: "FEDERATION".into(),
        }
    }
}

/// A user's credentials. Only hashes are ever held: `password_hash` is an encoded hash that
/// `roster-credentials` understands (an Argon2id PHC string, or an imported legacy hash).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub provider: Provider,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// Previous password hashes, newest first, for the policy's `historyCount`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub password_history: Vec<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("provider", &self.provider)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "[redacted]"),
            )
            .field("password_history", &self.password_history.len())
            .finish()
    }
}

impl Credentials {
    pub fn okta() -> Self {
        Credentials {
            provider: Provider::okta(),
            password_hash: None,
            password_history: Vec::new(),
        }
    }
}

/// A user of the directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub status: UserStatus,
    pub created: Timestamp,
    pub activated: Option<Timestamp>,
    pub status_changed: Option<Timestamp>,
    pub last_login: Option<Timestamp>,
    pub last_updated: Timestamp,
    pub password_changed: Option<Timestamp>,
    /// Profile attributes (`login`, `email`, `firstName`, ... and custom ones).
    pub profile: Map<String, Value>,
    pub credentials: Credentials,
    /// Consecutive failed sign-ins, for the lockout policy.
    pub failed_logins: u32,
    /// Bumped on every write; the store refuses a write whose expected version is stale.
    pub version: i64,
}

impl User {
    /// A new user with the given profile, not yet written anywhere.
    pub fn new(
        id: String,
        status: UserStatus,
        profile: Map<String, Value>,
        credentials: Credentials,
        now: Timestamp,
    ) -> Self {
        let activated = (status == UserStatus::Active).then_some(now);
        User {
            id,
            status,
            created: now,
            activated,
            status_changed: None,
            last_login: None,
            last_updated: now,
            password_changed: None,
            profile,
            credentials,
            failed_logins: 0,
            version: 1,
        }
    }

    pub fn login(&self) -> &str {
        self.profile
            .get("login")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn profile_str(&self, key: &str) -> Option<&str> {
        self.profile.get(key).and_then(Value::as_str)
    }
}
