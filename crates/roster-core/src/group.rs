//! Groups and memberships.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Roster-managed groups (`OKTA_GROUP`) and groups imported from an application (`APP_GROUP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GroupKind {
    OktaGroup,
    AppGroup,
    BuiltIn,
}

impl GroupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::OktaGroup => "OKTA_GROUP",
            GroupKind::AppGroup => "APP_GROUP",
            GroupKind::BuiltIn => "BUILT_IN",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            GroupKind::OktaGroup,
            GroupKind::AppGroup,
            GroupKind::BuiltIn,
        ]
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub kind: GroupKind,
    /// Unique among groups (case-insensitive).
    pub name: String,
    pub description: Option<String>,
    /// The application an `APP_GROUP` was imported from.
    pub app_id: Option<String>,
    pub created: Timestamp,
    pub last_updated: Timestamp,
    pub last_membership_updated: Timestamp,
    pub version: i64,
}

impl Group {
    pub fn new(
        id: String,
        kind: GroupKind,
        name: String,
        description: Option<String>,
        now: Timestamp,
    ) -> Self {
        Group {
            id,
            kind,
            name,
            description,
            app_id: None,
            created: now,
            last_updated: now,
            last_membership_updated: now,
            version: 1,
        }
    }
}
