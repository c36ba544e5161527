//! Passwords: which policy applies, checking a candidate against it (history included), hashing
//! off the async threads, and the three ways a password gets set: by an administrator or a sync,
//! by the holder of a recovery link, and by the user who knows the old one.

use roster_core::lifecycle::{self, LifecycleOp};
use roster_core::policy::{self, PasswordContext, PasswordPolicy};
use roster_core::User;
use roster_credentials::{hash_password, verify_password, ImportedHash, Verified};
use secrecy::{ExposeSecret, SecretString};

use crate::{Ctx, Directory, DirectoryError, Result};

/// How many previous hashes a user keeps, whatever the policies say (Okta's maximum is 24).
const MAX_HISTORY: usize = 24;

/// A password as a request gives it: a clear value, or a hash imported from another system.
#[derive(Debug, Clone)]
pub enum PasswordInput {
    Value(SecretString),
    Hash(ImportedHash),
}

/// Who is setting the password, which decides the rules that apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetPasswordMode {
    /// An administrator or a provisioning sync: complexity and history apply, minimum age not.
    Admin,
    /// The holder of a recovery or activation link.
    Recovery,
}

impl Directory {
    /// The password policy that applies to a member of `group_ids`.
    pub async fn policy_for_groups(&self, group_ids: &[String]) -> Result<PasswordPolicy> {
        let policies = self.list_password_policies().await?;
        policy::select(&policies, group_ids)
            .cloned()
            .ok_or_else(|| DirectoryError::Internal("no default password policy exists".into()))
    }

    /// The password policy that applies to `user` (through its groups).
    pub async fn policy_for_user(&self, user: &User) -> Result<PasswordPolicy> {
        let groups = self.store.user_group_ids(&user.id).await?;
        self.policy_for_groups(&groups).await
    }

    /// Check `password` against `policy` for `user` and hash it. Verifying the history and
    /// hashing both run on the blocking pool.
    pub(crate) async fn check_and_hash(
        &self,
        user: &User,
        policy: &PasswordPolicy,
        password: &SecretString,
        min_age_applies: bool,
        now: roster_core::Timestamp,
    ) -> Result<String> {
        let history_count = policy.settings.password.age.history_count as usize;
        let mut recent: Vec<String> = Vec::new();
        if history_count > 0 {
            recent.extend(user.credentials.password_hash.iter().cloned());
            recent.extend(user.credentials.password_history.iter().cloned());
            recent.truncate(history_count);
        }
        let login = user.login().to_owned();
        let first = user.profile_str("firstName").map(str::to_owned);
        let last = user.profile_str("lastName").map(str::to_owned);
        let password_changed = user.password_changed;
        let policy = policy.clone();
        let password = password.clone();
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| DirectoryError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let candidate = password.expose_secret();
            let in_history = |p: &str| {
                recent
                    .iter()
                    .any(|h| matches!(verify_password(p, h), Ok(Verified::Match { .. })))
            };
            let ctx = PasswordContext {
                login: &login,
                first_name: first.as_deref(),
                last_name: last.as_deref(),
                password_changed,
                now,
                in_history: &in_history,
                min_age_applies,
            };
            if let Err(rejection) = policy.check(candidate, &ctx) {
                return Err(DirectoryError::PasswordRejected {
                    requirements_text: rejection.requirements_text(&policy),
                    unmet: rejection.codes(),
                    policy_name: policy.name.clone(),
                });
            }
            hash_password(candidate).map_err(|e| DirectoryError::Internal(e.to_string()))
        })
        .await
        .map_err(|e| DirectoryError::Internal(e.to_string()))?
    }

    /// Turn a password input into the stored hash for a user being created.
    pub(crate) async fn initial_hash(
        &self,
        user: &User,
        policy: &PasswordPolicy,
        input: &PasswordInput,
    ) -> Result<String> {
        match input {
            PasswordInput::Value(secret) => {
                self.check_and_hash(user, policy, secret, false, user.created)
                    .await
            }
            PasswordInput::Hash(imported) => {
                if let Err(errors) = imported.validate() {
                    let first = errors.first();
                    let field = first.and_then(|e| e.field()).unwrap_or("hash");
                    return Err(DirectoryError::invalid(
                        &format!("credentials.password.hash.{field}"),
                        errors
                            .iter()
                            .map(|e| e.to_string())
                            .collect::<Vec<_>>()
                            .join("; "),
                        first
                            .map(|e| e.remediation())
                            .unwrap_or("fix the imported hash")
                            .to_owned(),
                    ));
                }
                imported.encode().map_err(|e| {
                    DirectoryError::invalid(
                        "credentials.password.hash",
                        e.to_string(),
                        e.remediation(),
                    )
                })
            }
        }
    }

    /// Set a new password for a user without the old one (administrator, sync, recovery link).
    /// A RECOVERY, PASSWORD_EXPIRED or PROVISIONED user becomes ACTIVE.
    pub async fn set_password(
        &self,
        ctx: &Ctx,
        user_id: &str,
        password: &SecretString,
        mode: SetPasswordMode,
    ) -> Result<User> {
        let mut user = self.get_user(user_id).await?;
        if !user.credentials.provider.kind.accepts_password() {
            return Err(DirectoryError::PasswordNotAllowed {
                provider: user.credentials.provider.kind.as_str(),
            });
        }
        let policy = self.policy_for_user(&user).await?;
        let hash = self
            .check_and_hash(&user, &policy, password, false, ctx.now)
            .await?;
        let expected = user.version;
        lifecycle::apply(&mut user, LifecycleOp::SetPassword, ctx.now)?;
        replace_hash(&mut user, hash);
        let (event_type, message) = match mode {
            SetPasswordMode::Admin => (
                "user.account.update_password",
                "User update password for Okta",
            ),
            SetPasswordMode::Recovery => (
                "user.account.reset_password",
                "Reset password with a recovery link",
            ),
        };
        let event =
            ctx.event(event_type, message)
                .with_target(&user.id, "User", Some(user.login()), None);
        user.version = self
            .write_password(&user, password, expected, event, ctx.now)
            .await?;
        Ok(user)
    }

    /// The user changes their own password, proving the old one. Minimum age and history apply.
    pub async fn change_password(
        &self,
        ctx: &Ctx,
        user_id: &str,
        old: &SecretString,
        new: &SecretString,
    ) -> Result<User> {
        let mut user = self.get_user(user_id).await?;
        if !user.credentials.provider.kind.accepts_password() {
            return Err(DirectoryError::PasswordNotAllowed {
                provider: user.credentials.provider.kind.as_str(),
            });
        }
        if !self.verify(&user, old).await? {
            return Err(DirectoryError::OldPasswordIncorrect);
        }
        let policy = self.policy_for_user(&user).await?;
        let hash = self
            .check_and_hash(&user, &policy, new, true, ctx.now)
            .await?;
        let expected = user.version;
        lifecycle::apply(&mut user, LifecycleOp::ChangePassword, ctx.now)?;
        replace_hash(&mut user, hash);
        let event = ctx
            .event(
                "user.account.update_password",
                "User update password for Okta",
            )
            .with_target(&user.id, "User", Some(user.login()), None);
        user.version = self
            .write_password(&user, new, expected, event, ctx.now)
            .await?;
        Ok(user)
    }

    /// Whether `password` is the user's password (on the blocking pool; constant-time compare).
    pub(crate) async fn verify(&self, user: &User, password: &SecretString) -> Result<bool> {
        Ok(matches!(
            self.verify_detail(user.credentials.password_hash.clone(), password)
                .await?,
            Verified::Match { .. }
        ))
    }

    /// Verify against a stored hash; with no hash, verify against a dummy so that the time taken
    /// does not reveal whether the user exists or has a password.
    pub(crate) async fn verify_detail(
        &self,
        hash: Option<String>,
        password: &SecretString,
    ) -> Result<Verified> {
        let password = password.clone();
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| DirectoryError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || match hash {
            Some(hash) => {
                verify_password(password.expose_secret(), &hash).or(Ok(Verified::Mismatch))
            }
            None => {
                if let Some(dummy) = dummy_hash() {
                    let _ = verify_password(password.expose_secret(), dummy);
                }
                Ok(Verified::Mismatch)
            }
        })
        .await
        .map_err(|e| DirectoryError::Internal(e.to_string()))?
    }

    /// Hash a password with today's parameters on the blocking pool (used to upgrade an
    /// imported hash after a successful sign-in).
    pub(crate) async fn rehash(&self, password: &SecretString) -> Result<String> {
        let password = password.clone();
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| DirectoryError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || hash_password(password.expose_secret()))
            .await
            .map_err(|e| DirectoryError::Internal(e.to_string()))?
            .map_err(|e| DirectoryError::Internal(e.to_string()))
    }
    /// Store `user` with its new password `password` (the caller set its hash), its event, and
    /// the password's outbox entry for password sync, in one transaction; returns the new
    /// version.
    async fn write_password(
        &self,
        user: &User,
        password: &SecretString,
        expected: i64,
        event: roster_core::LogEvent,
        now: roster_core::Timestamp,
    ) -> Result<i64> {
        let staged = self.stage(
            &[crate::DirectoryChange::PasswordSet { user, password }],
            now,
        );
        let version = staged.store().update_user(user, expected, &[event]).await?;
        self.committed(staged).await;
        Ok(version)
    }
}

/// Store `hash` as the current password, moving the previous one into the history.
pub(crate) fn replace_hash(user: &mut User, hash: String) {
    if let Some(previous) = user.credentials.password_hash.replace(hash) {
        user.credentials.password_history.insert(0, previous);
        user.credentials.password_history.truncate(MAX_HISTORY);
    }
}

/// An Argon2id hash made once per process, verified against when a user does not exist or has
/// no password, so that a failed sign-in takes the same time either way.
fn dummy_hash() -> Option<&'static str> {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password(&uuid::Uuid::new_v4().to_string()).ok())
        .as_deref()
}
