//! API tokens: only a hash of the token is ever stored.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    SuperAdmin,
    ReadOnlyAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "SUPER_ADMIN",
            Role::ReadOnlyAdmin => "READ_ONLY_ADMIN",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Role::SuperAdmin, Role::ReadOnlyAdmin]
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// Hex SHA-256 of the token value. Tokens are 160 random bits, so a fast hash is safe here.
    pub token_hash: String,
    /// The first characters of the token, for humans telling tokens apart.
    pub token_prefix: String,
    pub created: Timestamp,
    pub last_used: Option<Timestamp>,
    pub revoked: bool,
}
