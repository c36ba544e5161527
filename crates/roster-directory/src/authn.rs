//! Primary authentication (`POST /api/v1/authn`): password check, lockout, password expiry,
//! `lastLogin`, and the transparent upgrade of imported hashes to Argon2id.

use roster_core::lifecycle::{self, LifecycleOp};
use roster_core::{User, UserStatus};
use roster_credentials::Verified;
use secrecy::SecretString;

use crate::{Ctx, Directory, DirectoryError, Result};

/// Okta's classic authn statuses that Roster answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthnStatus {
    Success,
    PasswordExpired,
    LockedOut,
}

impl AuthnStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthnStatus::Success => "SUCCESS",
            AuthnStatus::PasswordExpired => "PASSWORD_EXPIRED",
            AuthnStatus::LockedOut => "LOCKED_OUT",
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuthnOutcome {
    pub status: AuthnStatus,
    pub user: User,
}

impl Directory {
    /// Check a username and password. A wrong password, an unknown user and a user who cannot
    /// sign in all give the same [`DirectoryError::AuthenticationFailed`], after the same amount of
    /// hashing work.
    pub async fn authenticate(
        &self,
        ctx: &Ctx,
        username: &str,
        password: &SecretString,
    ) -> Result<AuthnOutcome> {
        let user = self.store.get_user_by_login(username).await?;
        let Some(mut user) = user else {
            self.verify_detail(None, password).await?;
            self.record_failure(ctx, username, None).await?;
            return Err(DirectoryError::AuthenticationFailed);
        };
        let policy = self.policy_for_user(&user).await?;

        // An auto-unlock that is due happens before anything else.
        if user.status == UserStatus::LockedOut {
            let locked_at = user.status_changed.unwrap_or(user.last_updated);
            match policy.auto_unlock_at(locked_at) {
                Some(at) if at <= ctx.now => {
                    let expected = user.version;
                    lifecycle::apply(&mut user, LifecycleOp::Unlock, ctx.now)?;
                    let event = ctx
                        .event("user.account.unlock", "Unlock user account automatically")
                        .with_target(&user.id, "User", Some(user.login()), None);
                    user.version = self.store.update_user(&user, expected, &[event]).await?;
                }
                _ => {
                    self.verify_detail(None, password).await?;
                    return Ok(AuthnOutcome {
                        status: AuthnStatus::LockedOut,
                        user,
                    });
                }
            }
        }

        let verified = match user.status {
            UserStatus::Active | UserStatus::PasswordExpired => {
                self.verify_detail(user.credentials.password_hash.clone(), password)
                    .await?
            }
            _ => {
                self.verify_detail(None, password).await?;
                Verified::Mismatch
            }
        };
        // A hash to store instead, when the password matched an outdated hash.
        let upgraded = match verified {
            Verified::Match {
                needs_upgrade: true,
            } => Some(self.rehash(password).await?),
            _ => None,
        };
        // Record the outcome. Concurrent sign-ins of one user race on its version: re-read and
        // record again (the password check itself is not repeated), unless the password changed
        // in between, in which case this sign-in fails.
        let verified_hash = user.credentials.password_hash.clone();
        let mut attempts = 0;
        loop {
            match self
                .record_authn(ctx, &policy, user.clone(), verified, upgraded.clone())
                .await
            {
                Err(DirectoryError::Stale { .. }) if attempts < 16 => {
                    attempts += 1;
                    let fresh = self.store.get_user(&user.id).await?;
                    match fresh {
                        Some(fresh) if fresh.credentials.password_hash == verified_hash => {
                            user = fresh
                        }
                        _ => return Err(DirectoryError::AuthenticationFailed),
                    }
                }
                Ok(outcome) => {
                    // A password that is proven at sign-in may be waited for by an app that
                    // syncs passwords; telling it writes nothing here and changes no password.
                    if outcome.status == AuthnStatus::Success {
                        self.tell(crate::DirectoryChange::PasswordVerified {
                            user: &outcome.user,
                            password,
                        })
                        .await;
                    }
                    return Ok(outcome);
                }
                other => return other,
            }
        }
    }

    /// Write what one sign-in attempt changes: failed-attempt count and lockout, or last login,
    /// hash upgrade and expiry. Fails with [`DirectoryError::Stale`] when the user changed.
    async fn record_authn(
        &self,
        ctx: &Ctx,
        policy: &roster_core::PasswordPolicy,
        mut user: User,
        verified: Verified,
        upgraded: Option<String>,
    ) -> Result<AuthnOutcome> {
        let expected = user.version;
        match verified {
            Verified::Mismatch => {
                if matches!(
                    user.status,
                    UserStatus::Active | UserStatus::PasswordExpired
                ) && user.credentials.password_hash.is_some()
                {
                    user.failed_logins = user.failed_logins.saturating_add(1);
                    user.last_updated = ctx.now;
                    let mut events = vec![failure_event(ctx, user.login(), Some(&user.id))];
                    if policy
                        .lockout_after()
                        .is_some_and(|max| user.failed_logins >= max)
                    {
                        lifecycle::apply(&mut user, LifecycleOp::LockOut, ctx.now)?;
                        events.push(
                            ctx.event("user.account.lock", "Max sign in attempts exceeded")
                                .with_target(&user.id, "User", Some(user.login()), None)
                                .failure("LOCKED_OUT"),
                        );
                    }
                    self.store.update_user(&user, expected, &events).await?;
                } else {
                    self.record_failure(ctx, user.login(), Some(&user.id))
                        .await?;
                }
                Err(DirectoryError::AuthenticationFailed)
            }
            Verified::Match { .. } => {
                if let Some(hash) = upgraded {
                    user.credentials.password_hash = Some(hash);
                }
                user.failed_logins = 0;
                user.last_login = Some(ctx.now);
                let expired_by_age = user
                    .password_changed
                    .and_then(|c| policy.expires_at(c))
                    .is_some_and(|at| at <= ctx.now);
                if user.status == UserStatus::Active && expired_by_age {
                    lifecycle::apply(&mut user, LifecycleOp::ExpirePassword, ctx.now)?;
                }
                let status = if user.status == UserStatus::PasswordExpired {
                    AuthnStatus::PasswordExpired
                } else {
                    AuthnStatus::Success
                };
                let event = ctx
                    .event("user.session.start", "User login to Okta")
                    .with_target(&user.id, "User", Some(user.login()), None)
                    .with_debug("authnStatus", status.as_str());
                user.version = self.store.update_user(&user, expected, &[event]).await?;
                Ok(AuthnOutcome { status, user })
            }
        }
    }

    async fn record_failure(&self, ctx: &Ctx, username: &str, user_id: Option<&str>) -> Result<()> {
        self.store
            .append_events(&[failure_event(ctx, username, user_id)])
            .await?;
        Ok(())
    }
}

fn failure_event(ctx: &Ctx, username: &str, user_id: Option<&str>) -> roster_core::LogEvent {
    ctx.event("user.session.start", "User login to Okta")
        .with_target(user_id.unwrap_or("unknown"), "User", Some(username), None)
        .failure("INVALID_CREDENTIALS")
}
