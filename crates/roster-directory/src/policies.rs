//! Password policies, stored as documents of kind `password_policy`. The default policy always
//! exists (made at start-up) and cannot be deleted.

use roster_core::ids::IdKind;
use roster_core::policy::{PasswordPolicy, PolicyStatus};
use roster_core::Timestamp;
use roster_store::Document;

use crate::{Ctx, Directory, DirectoryError, Result};

pub(crate) const KIND: &str = "password_policy";

/// The default policy's priority: after every other policy.
const DEFAULT_PRIORITY: u32 = 1_000_000;

pub(crate) async fn ensure_default_policy(dir: &Directory, now: Timestamp) -> Result<()> {
    let existing = dir.list_password_policies().await?;
    if existing.iter().any(|p| p.system) {
        return Ok(());
    }
    let mut policy = PasswordPolicy::okta_default(Directory::new_id(IdKind::Policy, now), now);
    policy.priority = DEFAULT_PRIORITY;
    let ctx = Ctx::new(roster_core::event::Actor::system(), now);
    let event = ctx
        .event("policy.lifecycle.create", "Create policy")
        .with_target(
            &policy.id,
            "PasswordPolicy",
            Some(&policy.name),
            Some(&policy.name),
        );
    dir.store
        .put_document(&to_document(&policy, now)?, Some(0), &[event])
        .await?;
    Ok(())
}

fn to_document(policy: &PasswordPolicy, now: Timestamp) -> Result<Document> {
    Ok(Document {
        kind: KIND.into(),
        id: policy.id.clone(),
        priority: i64::from(policy.priority),
        body: serde_json::to_value(policy).map_err(|e| DirectoryError::Internal(e.to_string()))?,
        version: 0,
        updated: now,
    })
}

fn from_document(doc: &Document) -> Result<PasswordPolicy> {
    serde_json::from_value(doc.body.clone()).map_err(|e| {
        DirectoryError::Internal(format!("stored policy {} is not valid: {e}", doc.id))
    })
}

fn check(policy: &PasswordPolicy) -> Result<()> {
    policy.validate().map_err(|problems| {
        let first = problems.first().map(|p| p.field).unwrap_or("settings");
        // The error names the first field itself; further problems name theirs.
        let message = problems
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if i == 0 {
                    p.message.clone()
                } else {
                    format!("{}: {}", p.field, p.message)
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
        DirectoryError::invalid(
            first,
            message,
            "fix the listed settings so that some password can satisfy the policy",
        )
    })
}

impl Directory {
    /// Every password policy, in evaluation order (priority, then id).
    pub async fn list_password_policies(&self) -> Result<Vec<PasswordPolicy>> {
        let docs = self.store.list_documents(KIND).await?;
        let mut policies = docs.iter().map(from_document).collect::<Result<Vec<_>>>()?;
        policies.sort_by_key(|p| (p.system, p.priority));
        Ok(policies)
    }

    pub async fn get_password_policy(&self, id: &str) -> Result<PasswordPolicy> {
        if !Directory::storable(id) {
            return Err(DirectoryError::NotFound {
                kind: "policy",
                id: id.replace('\0', "\u{fffd}"),
            });
        }
        let doc = self.store.get_document(KIND, id).await?;
        let doc = doc.ok_or_else(|| DirectoryError::NotFound {
            kind: "policy",
            id: id.into(),
        })?;
        from_document(&doc)
    }

    /// Create a policy from a client's body. The server assigns the id and timestamps; a missing
    /// priority puts the policy after the others (but before the default).
    pub async fn create_password_policy(
        &self,
        ctx: &Ctx,
        mut policy: PasswordPolicy,
    ) -> Result<PasswordPolicy> {
        policy.id = Directory::new_id(IdKind::Policy, ctx.now);
        policy.system = false;
        policy.created = Some(ctx.now);
        policy.last_updated = Some(ctx.now);
        if policy.priority == 0 || policy.priority >= DEFAULT_PRIORITY {
            let others = self.list_password_policies().await?;
            policy.priority = others
                .iter()
                .filter(|p| !p.system)
                .map(|p| p.priority)
                .max()
                .unwrap_or(0)
                + 1;
        }
        check(&policy)?;
        let event = ctx
            .event("policy.lifecycle.create", "Create policy")
            .with_target(
                &policy.id,
                "PasswordPolicy",
                Some(&policy.name),
                Some(&policy.name),
            );
        self.store
            .put_document(&to_document(&policy, ctx.now)?, Some(0), &[event])
            .await?;
        Ok(policy)
    }

    /// Replace a policy's settings (PUT). The default policy keeps its `system` flag and priority.
    pub async fn update_password_policy(
        &self,
        ctx: &Ctx,
        id: &str,
        mut policy: PasswordPolicy,
    ) -> Result<PasswordPolicy> {
        if !Directory::storable(id) {
            return Err(DirectoryError::NotFound {
                kind: "policy",
                id: id.replace('\0', "\u{fffd}"),
            });
        }
        let doc =
            self.store
                .get_document(KIND, id)
                .await?
                .ok_or_else(|| DirectoryError::NotFound {
                    kind: "policy",
                    id: id.into(),
                })?;
        let old = from_document(&doc)?;
        policy.id = old.id.clone();
        policy.system = old.system;
        policy.created = old.created;
        policy.last_updated = Some(ctx.now);
        if old.system {
            policy.priority = old.priority;
            policy.status = PolicyStatus::Active;
        } else if policy.priority == 0 {
            policy.priority = old.priority;
        }
        check(&policy)?;
        let event = ctx
            .event("policy.lifecycle.update", "Update policy")
            .with_target(
                &policy.id,
                "PasswordPolicy",
                Some(&policy.name),
                Some(&policy.name),
            );
        self.store
            .put_document(&to_document(&policy, ctx.now)?, Some(doc.version), &[event])
            .await?;
        Ok(policy)
    }

    /// Activate or deactivate a policy. The default policy cannot be deactivated.
    pub async fn set_password_policy_status(
        &self,
        ctx: &Ctx,
        id: &str,
        status: PolicyStatus,
    ) -> Result<PasswordPolicy> {
        let mut policy = self.get_password_policy(id).await?;
        if policy.system && status == PolicyStatus::Inactive {
            return Err(DirectoryError::invalid(
                "status",
                "the default password policy cannot be deactivated",
                "add a policy with a higher priority for the groups that need other rules",
            ));
        }
        policy.status = status;
        let event_type = match status {
            PolicyStatus::Active => "policy.lifecycle.activate",
            PolicyStatus::Inactive => "policy.lifecycle.deactivate",
        };
        let doc =
            self.store
                .get_document(KIND, id)
                .await?
                .ok_or_else(|| DirectoryError::NotFound {
                    kind: "policy",
                    id: id.into(),
                })?;
        policy.last_updated = Some(ctx.now);
        let event = ctx.event(event_type, "Change policy status").with_target(
            &policy.id,
            "PasswordPolicy",
            Some(&policy.name),
            Some(&policy.name),
        );
        self.store
            .put_document(&to_document(&policy, ctx.now)?, Some(doc.version), &[event])
            .await?;
        Ok(policy)
    }

    pub async fn delete_password_policy(&self, ctx: &Ctx, id: &str) -> Result<()> {
        let policy = self.get_password_policy(id).await?;
        if policy.system {
            return Err(DirectoryError::invalid(
                "id",
                "the default password policy cannot be deleted",
                "change its settings instead, or add a policy with a higher priority",
            ));
        }
        let event = ctx
            .event("policy.lifecycle.delete", "Delete policy")
            .with_target(
                &policy.id,
                "PasswordPolicy",
                Some(&policy.name),
                Some(&policy.name),
            );
        self.store.delete_document(KIND, id, &[event]).await?;
        Ok(())
    }
}
