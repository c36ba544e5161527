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
    /// `settings.app.deprovisionAction`: what deprovisioning (unassignment, user deactivation,
    /// with `update.lifecycleDeactivate` enabled) does to the target user: `DEACTIVATE` (the
    /// default: Org2Org `lifecycle/deactivate`, SCIM `active=false`) or `DELETE` (Org2Org
    /// deactivate then delete, SCIM `DELETE /Users/{id}`).
    #[serde(default = "default_deprovision_action")]
    pub deprovision_action: String,
    /// `settings.app.targetPasswordPolicy`: the password policy of the target, for SCIM targets
    /// (Org2Org apps read the other org's policy API). Transformation previews check passwords
    /// against it before anything is sent.
    #[serde(default)]
    pub target_password_policy: Option<roster_core::policy::PasswordPolicy>,
}

/// The values of `settings.app.deprovisionAction`.
pub const DEPROVISION_ACTIONS: [&str; 2] = ["DEACTIVATE", "DELETE"];

pub fn default_deprovision_action() -> String {
    "DEACTIVATE".into()
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
    /// Okta's `scope`: `USER` when assigned directly, `GROUP` when only through groups.
    #[serde(default = "user_scope")]
    pub scope: String,
    /// Assigned directly (`POST /apps/{id}/users`).
    #[serde(default = "direct_default")]
    pub direct: bool,
    /// The assigned groups the user is a member of, which keep the assignment.
    #[serde(default)]
    pub groups: Vec<String>,
}

fn user_scope() -> String {
    "USER".into()
}

fn direct_default() -> bool {
    true
}

impl AppUser {
    /// `USER` when directly assigned, else `GROUP`.
    pub fn refresh_scope(&mut self) {
        self.scope = if self.direct || self.groups.is_empty() {
            "USER"
        } else {
            "GROUP"
        }
        .into();
    }

    /// Whether a direct assignment or an assigned group still keeps the user.
    pub fn is_kept(&self) -> bool {
        self.direct || !self.groups.is_empty()
    }
}

/// The kind of the group assignments of `app_id` (documents keyed by group id).
pub fn app_group_kind(app_id: &str) -> String {
    format!("app_group:{app_id}")
}

/// A group assigned to an app (Okta's ApplicationGroupAssignment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppGroup {
    pub app_id: String,
    pub group_id: String,
    pub priority: i64,
    /// The app profile of the group's members (kept, not yet mapped).
    #[serde(default)]
    pub profile: serde_json::Map<String, serde_json::Value>,
    pub created: Timestamp,
    pub last_updated: Timestamp,
}
