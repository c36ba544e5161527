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

/// The app names (Okta's `name`) Roster knows: targets it provisions to, sources it imports
/// from, or both (`scim2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppType {
    #[serde(rename = "okta_org2org")]
    OktaOrg2Org,
    /// A SCIM 2.0 service provider; `settings.app.baseUrl` is its SCIM base URL. Users are
    /// pushed to it and can be imported from it.
    #[serde(rename = "scim2")]
    Scim2,
    /// An LDAP directory (OpenLDAP and the like), imported from.
    #[serde(rename = "ldap")]
    Ldap,
    /// Active Directory over LDAP, imported from.
    #[serde(rename = "active_directory")]
    ActiveDirectory,
    /// A CSV file uploaded with each import.
    #[serde(rename = "csv")]
    Csv,
}

impl AppType {
    pub const ALL: [AppType; 5] = [
        AppType::OktaOrg2Org,
        AppType::Scim2,
        AppType::Ldap,
        AppType::ActiveDirectory,
        AppType::Csv,
    ];

    pub fn parse(name: &str) -> Option<AppType> {
        AppType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AppType::OktaOrg2Org => "okta_org2org",
            AppType::Scim2 => "scim2",
            AppType::Ldap => "ldap",
            AppType::ActiveDirectory => "active_directory",
            AppType::Csv => "csv",
        }
    }

    /// Whether users are pushed to apps of this type (USER_PROVISIONING).
    pub fn pushes(self) -> bool {
        matches!(self, AppType::OktaOrg2Org | AppType::Scim2)
    }

    /// Whether users are imported from apps of this type (INBOUND_PROVISIONING).
    pub fn imports(self) -> bool {
        matches!(
            self,
            AppType::Scim2 | AppType::Ldap | AppType::ActiveDirectory | AppType::Csv
        )
    }

    /// Whether the app's settings hold an LDAP connection (`settings.app.url`, `bindDn`, ...).
    pub fn is_ldap(self) -> bool {
        matches!(self, AppType::Ldap | AppType::ActiveDirectory)
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
    /// An import source's connection settings (`settings.app` of an LDAP or Active Directory
    /// app), without its secret.
    #[serde(default)]
    pub source: Option<SourceSettings>,
    /// Okta's `INBOUND_PROVISIONING` feature: how imports from this app match and create users.
    #[serde(default)]
    pub inbound: InboundProvisioning,
    /// Okta's `PROFILE_MASTERING` feature: whether this app's imports update the users'
    /// profiles, with which priority among sources.
    #[serde(default)]
    pub mastering: ProfileMastering,
}

/// The connection settings of an import source, as stored. `settings` is the app's
/// `settings.app` without `bindPassword`, which is sealed with the master key (associated
/// data `source:{appId}`) in `sealed_secret`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceSettings {
    pub settings: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub sealed_secret: Option<String>,
}

impl std::fmt::Debug for SourceSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceSettings")
            .field("settings", &self.settings)
            .field(
                "sealed_secret",
                &self.sealed_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

/// How an import finds the Roster user a source record belongs to (Okta's
/// `exactMatchCriteria`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchCriteria {
    /// The login the import would give the user equals a user's login.
    Username,
    /// The mapped email equals a user's email.
    Email,
    /// Every one of these mapped profile attributes equals the user's.
    Attributes(Vec<String>),
}

/// Okta's `INBOUND_PROVISIONING`: `importSettings` and `importRules.userCreateAndMatch`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundProvisioning {
    pub enabled: bool,
    /// `importSettings.username.userNameFormat`: the login an imported user gets: `MAPPED` (the
    /// built-in mapping's: LDAP `mail`, the CSV `login` column, SCIM `userName`), `EMAIL` (the
    /// mapped email), `USERNAME` (the source's user name: `uid`, `sAMAccountName`) or
    /// `USERNAME_DOMAIN` (the user name, `@`, `usernameDomain`).
    pub username_format: String,
    pub username_domain: Option<String>,
    /// `importSettings.schedule`: minutes between scheduled full and incremental imports.
    pub schedule_enabled: bool,
    pub full_import_minutes: Option<u32>,
    pub incremental_import_minutes: Option<u32>,
    /// `importSettings.safeguard`: pause an import that would unassign more than
    /// `safeguard_percent` of the app's users.
    pub safeguard_enabled: bool,
    pub safeguard_percent: u32,
    pub exact_match: MatchCriteria,
    pub allow_partial_match: bool,
    pub auto_confirm_exact_match: bool,
    pub auto_confirm_partial_match: bool,
    pub auto_confirm_new_users: bool,
    pub auto_activate_new_users: bool,
    /// Compare matching values with their case (Okta compares without case).
    pub case_sensitive: bool,
}

impl Default for InboundProvisioning {
    fn default() -> Self {
        InboundProvisioning {
            enabled: false,
            username_format: "MAPPED".into(),
            username_domain: None,
            schedule_enabled: false,
            full_import_minutes: None,
            incremental_import_minutes: None,
            safeguard_enabled: true,
            safeguard_percent: 20,
            exact_match: MatchCriteria::Username,
            allow_partial_match: false,
            auto_confirm_exact_match: false,
            auto_confirm_partial_match: false,
            auto_confirm_new_users: false,
            auto_activate_new_users: false,
            case_sensitive: false,
        }
    }
}

/// The values of `PROFILE_MASTERING`'s `onDeactivate`: what a user removed or disabled in its
/// profile source becomes.
pub const ON_DEACTIVATE_ACTIONS: [&str; 3] = ["DEACTIVATE", "SUSPEND", "NONE"];

/// Okta's `PROFILE_MASTERING`: the app is a profile source for its linked users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileMastering {
    pub enabled: bool,
    /// Lower wins: of the sources a user is linked to, the one with the lowest priority masters
    /// each attribute (unless `attribute_overrides` says otherwise).
    pub priority: i64,
    /// `DEACTIVATE`, `SUSPEND` or `NONE`.
    pub on_deactivate: String,
    /// Per attribute: this source does not master it (`mastered: false`), or masters it with
    /// another priority.
    #[serde(default)]
    pub attribute_overrides: std::collections::BTreeMap<String, AttributeOverride>,
}

impl Default for ProfileMastering {
    fn default() -> Self {
        ProfileMastering {
            enabled: false,
            priority: 0,
            on_deactivate: "DEACTIVATE".into(),
            attribute_overrides: Default::default(),
        }
    }
}

/// One attribute's override in a profile source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeOverride {
    #[serde(default = "mastered_default")]
    pub mastered: bool,
    #[serde(default)]
    pub priority: Option<i64>,
}

fn mastered_default() -> bool {
    true
}

impl ProfileMastering {
    /// This source's priority for `attribute`, or `None` when it does not master it.
    pub fn priority_for(&self, attribute: &str) -> Option<i64> {
        match self.attribute_overrides.get(attribute) {
            Some(o) if !o.mastered => None,
            Some(o) => Some(o.priority.unwrap_or(self.priority)),
            None => Some(self.priority),
        }
    }
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
    /// Where the user's own password stands when the app syncs it but Roster held none at the
    /// last push (the password predates the sync): [`PASSWORD_WAITS_FOR_SIGN_IN`] until the
    /// user signs in, then [`PASSWORD_CAPTURED`] until the push with it succeeds. `None` when
    /// nothing waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_state: Option<String>,
}

/// [`AppUser::password_state`]: the target user was pushed without a password; the user's next
/// sign-in captures it.
pub const PASSWORD_WAITS_FOR_SIGN_IN: &str = "WAITING_FOR_SIGN_IN";
/// [`AppUser::password_state`]: a sign-in captured the password; its push is queued.
pub const PASSWORD_CAPTURED: &str = "CAPTURED_AT_SIGN_IN";

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

/// The kind of the links from an import source's groups to Roster groups (documents keyed by
/// the source's group id).
pub fn import_group_kind(app_id: &str) -> String {
    format!("import_group:{app_id}")
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
