//! Administrator roles on users (Okta's `/api/v1/users/{id}/roles`): SUPER_ADMIN may change
//! anything, READ_ONLY_ADMIN may only look. A user's roles are one document of kind
//! `admin_roles` keyed by the user id, written with its System Log events in one transaction.
//! Holding a role is what lets a user into the admin console.

use roster_core::ids::IdKind;
use roster_core::{Role, Timestamp, User};
use roster_store::{Document, StoreError};
use serde_json::{json, Value};

use crate::{Ctx, Directory, DirectoryError, Result};

const KIND: &str = "admin_roles";

/// One role granted to one user.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminRole {
    pub id: String,
    pub role: Role,
    pub created: Timestamp,
}

impl AdminRole {
    fn to_json(&self) -> Value {
        json!({ "id": self.id, "type": self.role.as_str(), "created": self.created.to_string() })
    }

    fn from_json(value: &Value) -> Option<AdminRole> {
        Some(AdminRole {
            id: value.get("id")?.as_str()?.to_owned(),
            role: Role::parse(value.get("type")?.as_str()?)?,
            created: Timestamp::parse(value.get("created")?.as_str()?)?,
        })
    }
}

fn decode(doc: &Document) -> Vec<AdminRole> {
    doc.body
        .get("roles")
        .and_then(Value::as_array)
        .map(|roles| roles.iter().filter_map(AdminRole::from_json).collect())
        .unwrap_or_default()
}

/// The strongest of a user's roles: SUPER_ADMIN over READ_ONLY_ADMIN.
pub fn strongest(roles: &[AdminRole]) -> Option<Role> {
    if roles.iter().any(|r| r.role == Role::SuperAdmin) {
        Some(Role::SuperAdmin)
    } else {
        roles.first().map(|r| r.role)
    }
}

impl Directory {
    /// The roles a user holds (none for most users).
    pub async fn roles_of(&self, user_id: &str) -> Result<Vec<AdminRole>> {
        if !Self::storable(user_id) {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .get_document(KIND, user_id)
            .await?
            .map(|d| decode(&d))
            .unwrap_or_default())
    }

    /// Every user that holds a role, with its roles, ordered by user id.
    pub async fn admins(&self) -> Result<Vec<(String, Vec<AdminRole>)>> {
        Ok(self
            .store
            .list_documents(KIND)
            .await?
            .iter()
            .map(|d| (d.id.clone(), decode(d)))
            .filter(|(_, roles)| !roles.is_empty())
            .collect())
    }

    /// Grant `role` to the user. Granting a role the user already holds answers the existing one
    /// (as Okta does, without a second event). A DEPROVISIONED user cannot be made an admin.
    pub async fn grant_role(&self, ctx: &Ctx, user_id: &str, role: Role) -> Result<AdminRole> {
        let user = self.get_user(user_id).await?;
        if user.status == roster_core::UserStatus::Deprovisioned {
            return Err(DirectoryError::invalid(
                "type",
                format!(
                    "{} is DEPROVISIONED and cannot hold an admin role",
                    user.login()
                ),
                "activate the user first (POST /api/v1/users/{id}/lifecycle/activate)",
            ));
        }
        loop {
            let doc = self.store.get_document(KIND, &user.id).await?;
            let mut roles = doc.as_ref().map(decode).unwrap_or_default();
            if let Some(existing) = roles.iter().find(|r| r.role == role) {
                return Ok(existing.clone());
            }
            let granted = AdminRole {
                id: Self::new_id(IdKind::Role, ctx.now),
                role,
                created: ctx.now,
            };
            roles.push(granted.clone());
            let event = role_event(ctx, "user.account.privilege.grant", &user, &granted);
            match self
                .put_roles(&user.id, &roles, doc.as_ref(), ctx.now, &[event])
                .await
            {
                Ok(()) => return Ok(granted),
                Err(StoreError::VersionConflict { .. }) | Err(StoreError::Conflict { .. }) => {
                    continue
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Take a role away. The user's console sessions end with it: a session is checked against
    /// the user's roles on every request.
    pub async fn revoke_role(&self, ctx: &Ctx, user_id: &str, role_id: &str) -> Result<()> {
        let user = self.get_user(user_id).await?;
        loop {
            let doc = self.store.get_document(KIND, &user.id).await?;
            let mut roles = doc.as_ref().map(decode).unwrap_or_default();
            let Some(at) = roles.iter().position(|r| r.id == role_id) else {
                return Err(DirectoryError::NotFound {
                    kind: "role",
                    id: role_id.to_owned(),
                });
            };
            let removed = roles.remove(at);
            let event = role_event(ctx, "user.account.privilege.revoke", &user, &removed);
            match self
                .put_roles(&user.id, &roles, doc.as_ref(), ctx.now, &[event])
                .await
            {
                Ok(()) => return Ok(()),
                Err(StoreError::VersionConflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn put_roles(
        &self,
        user_id: &str,
        roles: &[AdminRole],
        previous: Option<&Document>,
        now: Timestamp,
        events: &[roster_core::LogEvent],
    ) -> std::result::Result<(), StoreError> {
        let doc = Document {
            kind: KIND.into(),
            id: user_id.into(),
            priority: 0,
            body: json!({ "roles": roles.iter().map(AdminRole::to_json).collect::<Vec<_>>() }),
            version: 0,
            updated: now,
        };
        let expected = previous.map(|d| d.version).unwrap_or(0);
        self.store
            .put_document(&doc, Some(expected), events)
            .await
            .map(|_| ())
    }
}

fn role_event(ctx: &Ctx, event_type: &str, user: &User, role: &AdminRole) -> roster_core::LogEvent {
    let message = if event_type.ends_with("grant") {
        "Grant user privilege"
    } else {
        "Revoke user privilege"
    };
    ctx.event(event_type, message)
        .with_target(&user.id, "User", Some(user.login()), None)
        .with_debug("privilegeGranted", role.role.as_str())
        .with_debug("roleId", role.id.clone())
}
