//! Applications, their provisioning settings and their users, as stored (JSON documents).
//! The Okta-shaped wire types live in `roster-server`; these are the domain values.

use roster_core::Timestamp;
use serde::{Deserialize, Serialize};

/// Document kinds in the store.
pub const APP_KIND: &str = "app";
pub const ESCROW_KIND: &str = "password_escrow";

/// The document kind of the app users of `app_id`.
pub fn app_user_kind(app_id: &str) -> String {
    format!("app_user:{app_id}")
}

/// The app names (Okta's `name`) Roster can provision to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppType {
    #[serde(rename = "okta_org2org")]
    OktaOrg2Org,
    /// A SCIM 2.0 service provider; `settings.app.baseUrl` is its SCIM base URL.
    #[serde(rename = "scim2")]
    Scim2,
}

impl AppType {
    pub fn parse(name: &str) -> Option<AppType> {
        match name {
            "okta_org2org" => Some(AppType::OktaOrg2Org),
            "scim2" => Some(AppType::Scim2),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AppType::OktaOrg2Org => "okta_org2org",
            AppType::Scim2 => "scim2",
        }
    }
}

/// An application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct App {
    pub id: String,
    pub name: AppType,
    pub label: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// `settings.app.baseUrl`: the other org's URL, or the SCIM base URL.
    pub base_url: String,
    pub created: Timestamp,
    pub last_updated: Timestamp,
    #[serde(default)]
    pub connection: Option<Connection>,
    #[serde(default)]
    pub provisioning: UserProvisioning,
}

/// The provisioning connection. The token is sealed with the master key.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    pub auth_scheme: String,
    /// `ENABLED` or `DISABLED`.
    pub status: String,
    pub sealed_token: String,
    pub updated: Timestamp,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("auth_scheme", &self.auth_scheme)
            .field("status", &self.status)
            .field("sealed_token", &"[REDACTED]")
            .finish()
    }
}

/// Okta's `USER_PROVISIONING` feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserProvisioning {
    pub enabled: bool,
    /// `create.lifecycleCreate`.
    pub create: bool,
    /// `update.profile`.
    pub update_profile: bool,
    /// `update.lifecycleDeactivate`.
    pub deactivate: bool,
    /// `update.password.status`.
    pub password_sync: bool,
    /// `update.password.seed`: `OKTA` (the user's password) or `RANDOM`.
    pub password_seed: String,
    /// `update.password.change`: `CHANGE` or `KEEP_EXISTING`.
    pub password_change: String,
}

impl Default for UserProvisioning {
    fn default() -> Self {
        UserProvisioning {
            enabled: false,
            create: false,
            update_profile: false,
            deactivate: false,
            password_sync: false,
            password_seed: "RANDOM".into(),
            password_change: "KEEP_EXISTING".into(),
        }
    }
}

impl UserProvisioning {
    /// Whether pushes of this app carry the user's own password.
    pub fn syncs_passwords(&self) -> bool {
        self.enabled && self.password_sync && self.password_seed == "OKTA"
    }
}

/// A user assigned to an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppUser {
    pub app_id: String,
    pub user_id: String,
    /// The target's id once created or linked.
    pub external_id: Option<String>,
    /// Okta's app user status: `STAGED`, `PROVISIONED`.
    pub status: String,
    /// `SYNCING`, `SYNCHRONIZED` or `ERROR`.
    pub sync_state: String,
    pub user_name: String,
    pub created: Timestamp,
    pub last_updated: Timestamp,
    pub last_sync: Option<Timestamp>,
    pub password_changed: Option<Timestamp>,
    /// The open task, when the last push failed.
    pub task_id: Option<String>,
}
