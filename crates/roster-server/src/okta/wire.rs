//! Okta's JSON shapes, separate from the domain types, with explicit conversions. The public
//! shapes change only when this file does.

use roster_core::lifecycle::{available_ops, CredentialFacts, LifecycleOp};
use roster_core::{Group, Timestamp, User};
use roster_credentials::ImportedHash;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

/// `GET /api/v1/users/{id}` and every user in a list.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
#[serde(rename_all = "camelCase")]
pub struct UserOut {
    pub id: String,
    /// STAGED, PROVISIONED, ACTIVE, RECOVERY, PASSWORD_EXPIRED, LOCKED_OUT, SUSPENDED or DEPROVISIONED.
    #[schema(value_type = String)]
    pub status: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub created: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub activated: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub status_changed: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_login: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub last_updated: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub password_changed: Option<Timestamp>,
    #[serde(rename = "type")]
    #[schema(value_type = crate::openapi::JsonObject)]
    pub user_type: Value,
    /// The profile: `login`, `email`, `firstName`, `lastName` and the schema's other attributes.
    #[schema(value_type = crate::openapi::JsonObject)]
    pub profile: Map<String, Value>,
    #[schema(value_type = crate::openapi::JsonObject)]
    pub credentials: Value,
    #[serde(rename = "_links")]
    #[schema(value_type = crate::openapi::JsonObject)]
    pub links: Map<String, Value>,
}

fn link(href: String) -> Value {
    json!({ "href": href })
}

fn link_post(href: String) -> Value {
    json!({ "href": href, "method": "POST" })
}

impl UserOut {
    pub fn from_user(user: &User, base: &str) -> Self {
        let self_href = format!("{base}/api/v1/users/{}", user.id);
        let mut links = Map::new();
        let facts = CredentialFacts::of(user);
        for op in available_ops(user.status, facts) {
            let name = match op {
                LifecycleOp::Activate => "activate",
                LifecycleOp::Reactivate => "reactivate",
                LifecycleOp::Deactivate => "deactivate",
                LifecycleOp::Suspend => "suspend",
                LifecycleOp::Unsuspend => "unsuspend",
                LifecycleOp::Unlock => "unlock",
                LifecycleOp::ResetPassword => "resetPassword",
                LifecycleOp::ExpirePassword => "expirePassword",
                _ => continue,
            };
            links.insert(
                name.into(),
                link_post(format!("{self_href}/lifecycle/{}", op.as_str())),
            );
        }
        if facts.provider_holds_password() && facts.has_password {
            links.insert(
                "changePassword".into(),
                link_post(format!("{self_href}/credentials/change_password")),
            );
            links.insert(
                "forgotPassword".into(),
                link_post(format!("{self_href}/credentials/forgot_password")),
            );
        }
        links.insert(
            "schema".into(),
            link(format!("{base}/api/v1/meta/schemas/user/default")),
        );
        links.insert("self".into(), link(self_href));
        let mut credentials = Map::new();
        if user.credentials.password_hash.is_some() {
            credentials.insert("password".into(), json!({}));
        }
        credentials.insert(
            "provider".into(),
            json!({ "type": user.credentials.provider.kind.as_str(), "name": user.credentials.provider.name }),
        );
        UserOut {
            id: user.id.clone(),
            status: user.status.as_str(),
            created: user.created,
            activated: user.activated,
            status_changed: user.status_changed,
            last_login: user.last_login,
            last_updated: user.last_updated,
            password_changed: user.password_changed,
            user_type: json!({ "id": "oty00000000000000000" }),
            profile: user.profile.clone(),
            credentials: Value::Object(credentials),
            links,
        }
    }
}

/// `credentials` in a create or update body.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsIn {
    #[serde(default)]
    pub password: Option<PasswordIn>,
    #[serde(default)]
    pub provider: Option<ProviderIn>,
    /// Accepted for compatibility; Roster has no recovery questions.
    #[serde(default)]
    #[schema(value_type = Option<crate::openapi::JsonObject>)]
    pub recovery_question: Option<Value>,
}

#[derive(Default, Deserialize, ToSchema)]
pub struct PasswordIn {
    #[serde(default)]
    pub value: Option<String>,
    /// An imported hash in Okta's `credentials.password.hash` shape.
    #[serde(default)]
    #[schema(value_type = Option<crate::openapi::JsonObject>)]
    pub hash: Option<ImportedHash>,
}

impl std::fmt::Debug for PasswordIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordIn")
            .field("value", &self.value.as_ref().map(|_| "[redacted]"))
            .field("hash", &self.hash)
            .finish()
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProviderIn {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// `POST /api/v1/users` and `POST|PUT /api/v1/users/{id}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserIn {
    #[serde(default)]
    #[schema(value_type = Option<crate::openapi::JsonObject>)]
    pub profile: Option<Map<String, Value>>,
    #[serde(default)]
    pub credentials: Option<CredentialsIn>,
    #[serde(default)]
    pub group_ids: Vec<String>,
    #[serde(default, rename = "type")]
    #[schema(value_type = Option<crate::openapi::JsonObject>)]
    pub user_type: Option<Value>,
}

/// Okta's group.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Group)]
#[serde(rename_all = "camelCase")]
pub struct GroupOut {
    pub id: String,
    #[schema(value_type = String, format = DateTime)]
    pub created: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_updated: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_membership_updated: Timestamp,
    #[schema(value_type = Vec<String>)]
    pub object_class: Vec<&'static str>,
    /// `OKTA_GROUP`, `APP_GROUP` or `BUILT_IN`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: &'static str,
    /// `name` and `description`.
    #[schema(value_type = crate::openapi::JsonObject)]
    pub profile: Value,
    #[serde(rename = "_links")]
    #[schema(value_type = crate::openapi::JsonObject)]
    pub links: Value,
}

impl GroupOut {
    pub fn from_group(group: &Group, base: &str) -> Self {
        let href = format!("{base}/api/v1/groups/{}", group.id);
        GroupOut {
            id: group.id.clone(),
            created: group.created,
            last_updated: group.last_updated,
            last_membership_updated: group.last_membership_updated,
            object_class: vec!["okta:user_group"],
            kind: group.kind.as_str(),
            profile: json!({ "name": group.name, "description": group.description }),
            links: json!({
                "logo": [],
                "users": { "href": format!("{href}/users") },
                "apps": { "href": format!("{href}/apps") },
                "self": { "href": href },
            }),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct GroupIn {
    pub profile: GroupProfileIn,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct GroupProfileIn {
    #[serde(default)]
    #[schema(min_length = 1)]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}
