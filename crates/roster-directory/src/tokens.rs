//! One-time links: activation (`activate?sendEmail=false`) and recovery
//! (`reset_password?sendEmail=false`). The link's token is random; only its SHA-256 is stored,
//! as a document of kind `one_time_link`, and redeeming it deletes it in the same transaction as
//! the password it sets.

use rand::Rng;
use roster_core::{LogEvent, Timestamp, User};
use roster_store::Document;
use secrecy::SecretString;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::passwords::replace_hash;
use crate::{Ctx, Directory, DirectoryError, Result};

const KIND: &str = "one_time_link";
/// Activation links live 7 days, recovery links 1 hour (Okta's defaults).
const ACTIVATION_MINUTES: i64 = 7 * 24 * 60;
const RECOVERY_MINUTES: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Activation,
    Recovery,
}

impl LinkKind {
    fn as_str(self) -> &'static str {
        match self {
            LinkKind::Activation => "activation",
            LinkKind::Recovery => "recovery",
        }
    }
}

/// A new one-time link. `token` is shown to the caller once and never stored.
#[derive(Debug, Clone)]
pub struct OneTimeLink {
    pub kind: LinkKind,
    pub token: String,
    pub user_id: String,
    pub expires: Timestamp,
}

impl OneTimeLink {
    /// The path part of the link; the server puts its public URL in front.
    pub fn path(&self) -> String {
        match self.kind {
            LinkKind::Activation => format!("/welcome/{}", self.token),
            LinkKind::Recovery => format!("/reset_password/{}", self.token),
        }
    }
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_string(len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..len)
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect()
}

/// A temporary password that meets any sane policy: 4 character groups, 16 characters.
pub(crate) fn random_password() -> String {
    let mut p = random_string(4, b"abcdefghijkmnopqrstuvwxyz");
    p.push_str(&random_string(4, b"ABCDEFGHJKLMNPQRSTUVWXYZ"));
    p.push_str(&random_string(4, b"23456789"));
    p.push_str(&random_string(4, b"!#%+-=?@^_"));
    p
}

impl Directory {
    pub(crate) fn new_link(&self, kind: LinkKind, user_id: &str, now: Timestamp) -> OneTimeLink {
        let minutes = match kind {
            LinkKind::Activation => ACTIVATION_MINUTES,
            LinkKind::Recovery => RECOVERY_MINUTES,
        };
        OneTimeLink {
            kind,
            token: random_string(
                32,
                b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            ),
            user_id: user_id.into(),
            expires: now.plus_minutes(minutes),
        }
    }

    pub(crate) fn link_document(&self, link: &OneTimeLink, now: Timestamp) -> Result<Document> {
        Ok(Document {
            kind: KIND.into(),
            id: hash(&link.token),
            priority: 0,
            body: json!({ "kind": link.kind.as_str(), "userId": link.user_id, "expires": link.expires.to_string() }),
            version: 0,
            updated: now,
        })
    }

    pub(crate) fn link_event(&self, ctx: &Ctx, link: &OneTimeLink, user: &User) -> LogEvent {
        let event_type = match link.kind {
            LinkKind::Activation => "user.lifecycle.activation_link.create",
            LinkKind::Recovery => "user.account.reset_password_link.create",
        };
        ctx.event(event_type, "Create one-time link")
            .with_target(&user.id, "User", Some(user.login()), None)
            .with_debug("expires", link.expires.to_string())
    }

    /// Okta's forgot-password flow (`/credentials/forgot_password`): a recovery link for an ACTIVE
    /// user whose password Roster holds, without changing the user's status (unlike
    /// `reset_password`, which puts the user in RECOVERY).
    pub async fn forgot_password(&self, ctx: &Ctx, user_id: &str) -> Result<OneTimeLink> {
        let user = self.get_user(user_id).await?;
        if !user.credentials.provider.kind.accepts_password() {
            return Err(DirectoryError::PasswordNotAllowed {
                provider: user.credentials.provider.kind.as_str(),
            });
        }
        if user.status != roster_core::UserStatus::Active {
            return Err(roster_core::LifecycleError::NotAllowedInStatus {
                op: roster_core::LifecycleOp::ResetPassword,
                status: user.status,
            }
            .into());
        }
        let link = self.new_link(LinkKind::Recovery, &user.id, ctx.now);
        let event = ctx
            .event("user.account.forgot_password", "Start forgot password flow")
            .with_target(&user.id, "User", Some(user.login()), None);
        let events = [event, self.link_event(ctx, &link, &user)];
        self.store
            .put_document(&self.link_document(&link, ctx.now)?, Some(0), &events)
            .await?;
        Ok(link)
    }

    /// The user a one-time link would set the password of, without consuming it (the pages show
    /// that user's policy before the password is chosen). `None` when the token is unknown (never
    /// made, or already used), of no known kind, past its expiry, or its user is gone. Read-only.
    pub async fn peek_link(&self, token: &str, now: Timestamp) -> Result<Option<User>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let Some(doc) = self.store.get_document(KIND, &hash(token)).await? else {
            return Ok(None);
        };
        let kind = doc.body.get("kind").and_then(|v| v.as_str()).unwrap_or("");
        if ![LinkKind::Activation, LinkKind::Recovery]
            .iter()
            .any(|k| k.as_str() == kind)
        {
            return Ok(None);
        }
        let expires = doc
            .body
            .get("expires")
            .and_then(|v| v.as_str())
            .and_then(Timestamp::parse);
        if expires.is_none_or(|e| e <= now) {
            return Ok(None);
        }
        let Some(user_id) = doc.body.get("userId").and_then(|v| v.as_str()) else {
            return Ok(None);
        };
        Ok(self.store.get_user(user_id).await?)
    }

    /// Redeem an activation or recovery link by setting the user's password. The link works once.
    pub async fn redeem_link(
        &self,
        ctx: &Ctx,
        token: &str,
        password: &SecretString,
    ) -> Result<User> {
        let id = hash(token);
        let doc = self.store.get_document(KIND, &id).await?;
        let Some(doc) = doc else {
            return Err(DirectoryError::TokenInvalid { kind: "one-time" });
        };
        let kind = doc.body.get("kind").and_then(|v| v.as_str()).unwrap_or("");
        let user_id = doc
            .body
            .get("userId")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned();
        let expires = doc
            .body
            .get("expires")
            .and_then(|v| v.as_str())
            .and_then(Timestamp::parse);
        if expires.is_none_or(|e| e <= ctx.now) {
            return Err(DirectoryError::TokenInvalid {
                kind: if kind == "activation" {
                    "activation"
                } else {
                    "recovery"
                },
            });
        }
        let mut user = self.get_user(&user_id).await?;
        if !user.credentials.provider.kind.accepts_password() {
            return Err(DirectoryError::PasswordNotAllowed {
                provider: user.credentials.provider.kind.as_str(),
            });
        }
        let policy = self.policy_for_user(&user).await?;
        let hash_value = self
            .check_and_hash(&user, &policy, password, false, ctx.now)
            .await?;
        let expected = user.version;
        roster_core::lifecycle::apply(&mut user, roster_core::LifecycleOp::SetPassword, ctx.now)?;
        replace_hash(&mut user, hash_value);
        let event_type = if kind == "activation" {
            "user.lifecycle.activate"
        } else {
            "user.account.reset_password"
        };
        let event = ctx
            .event(event_type, "Password set with a one-time link")
            .with_target(&user.id, "User", Some(user.login()), None);
        let staged = self.stage(
            &[crate::DirectoryChange::PasswordSet {
                user: &user,
                password,
            }],
            ctx.now,
        );
        let version = staged
            .store()
            .update_user_consuming_document(&user, expected, KIND, &id, &[event])
            .await?;
        self.committed(staged).await;
        user.version = version;
        Ok(user)
    }
}
