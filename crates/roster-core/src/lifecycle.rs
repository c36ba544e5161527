//! The user lifecycle as one state machine.
//!
//! Once a user exists, every change of its status goes through [`next_status`] (the rules, as a pure
//! function of the current status, the operation and what the user signs in with) or [`apply`] (the
//! same rules, plus the timestamps and credential side effects on a [`User`]). The table in this
//! module is therefore the whole truth about which operation is allowed when; the snapshot test at
//! the bottom prints it for every (status, operation) pair.
//!
//! The rules follow Okta's User Lifecycle API (`/api/v1/users/{id}/lifecycle/...`). Where Okta's
//! documentation is silent, the choice is Roster's and says so on the operation.
//!
//! ```
//! use roster_core::lifecycle::{next_status, CredentialFacts, LifecycleOp, Transition};
//! use roster_core::{ProviderType, UserStatus};
//!
//! // A staged user without a password becomes PROVISIONED: they still have to choose a password.
//! let no_password = CredentialFacts { provider: ProviderType::Okta, has_password: false };
//! assert_eq!(
//!     next_status(UserStatus::Staged, LifecycleOp::Activate, no_password),
//!     Ok(Transition::To(UserStatus::Provisioned)),
//! );
//!
//! // Only a deactivated user can be deleted.
//! let err = next_status(UserStatus::Active, LifecycleOp::Delete, no_password).unwrap_err();
//! assert_eq!(err.code(), "E0000038");
//! assert_eq!(err.remediation(), "the user is ACTIVE; deactivate it first, then delete it");
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;
use crate::user::{Provider, ProviderType, User, UserStatus};

use UserStatus::{
    Active, Deprovisioned, LockedOut, PasswordExpired, Provisioned, Recovery, Staged, Suspended,
};

/// An operation that may change a user's status.
///
/// Each variant documents the statuses it is allowed from, the status it leads to, and where the
/// rule comes from. [`LifecycleOp::allowed_from`] returns the same list as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleOp {
    /// `POST /lifecycle/activate`. Allowed from STAGED and DEPROVISIONED (Okta: "Perform this
    /// operation only on users with a STAGED or DEPROVISIONED status"). Leads to ACTIVE when the
    /// user can sign in (a password, or a provider such as FEDERATION that signs them in), and to
    /// PROVISIONED otherwise (Okta: users without a password must complete the welcome flow).
    /// Deactivation deletes the password, so re-activating a deactivated OKTA user gives PROVISIONED.
    Activate,
    /// `POST /lifecycle/reactivate`. Allowed from PROVISIONED only (Okta: "can only be performed on
    /// users with a PROVISIONED status"); restarts an unfinished activation with a new link. The
    /// status stays PROVISIONED unless the user can meanwhile sign in, then ACTIVE (Roster's choice,
    /// the same result rule as activate).
    Reactivate,
    /// `POST /lifecycle/deactivate`. Allowed from every status but DEPROVISIONED (Okta: "cannot be
    /// performed on users with a DEPROVISIONED status"). Leads to DEPROVISIONED. As in Okta, the
    /// password is deleted (Roster keeps its hash in the history for the reuse check).
    Deactivate,
    /// `POST /lifecycle/suspend`. Allowed from ACTIVE only (Okta). Leads to SUSPENDED.
    Suspend,
    /// `POST /lifecycle/unsuspend`. Allowed from SUSPENDED only (Okta). Leads to ACTIVE.
    Unsuspend,
    /// `POST /lifecycle/unlock`. Allowed from LOCKED_OUT, and from ACTIVE (Okta also unlocks an
    /// ACTIVE user who is blocked from unknown devices). Leads to ACTIVE and clears the count of
    /// failed sign-ins.
    Unlock,
    /// `POST /lifecycle/reset_password`. Allowed from ACTIVE, RECOVERY, PASSWORD_EXPIRED and
    /// LOCKED_OUT: the statuses of an activated user that is not suspended (Okta documents the
    /// result, "transitions the user to the RECOVERY status", not the source statuses; Roster refuses
    /// it for users who have never been activated, who are suspended or who are deactivated). Leads to
    /// RECOVERY, where the user cannot sign in until a password is set. As Okta documents, the plain
    /// call converts a FEDERATION (or SOCIAL) user back to the OKTA provider; a user whose password
    /// lives in ACTIVE_DIRECTORY or LDAP is refused, because Roster cannot reset it there.
    ResetPassword,
    /// `POST /lifecycle/expire_password`. Allowed from ACTIVE and PASSWORD_EXPIRED (Roster's
    /// choice; Okta documents only the result). Leads to PASSWORD_EXPIRED: the user must change the
    /// password at the next sign-in. Needs a password that Roster holds.
    ExpirePassword,
    /// `DELETE /api/v1/users/{id}`. Allowed from DEPROVISIONED only (Okta: "can only be performed
    /// on users that have a DEPROVISIONED status"). The outcome is "remove the user", not a status.
    Delete,
    /// An administrator, a sync (Org2Org password push) or the holder of an activation or recovery
    /// link sets a new password without knowing the old one. Allowed from STAGED (stays STAGED: a
    /// staged user may hold a password, as when created with `activate=false`), PROVISIONED
    /// (finishes activation), ACTIVE, RECOVERY and PASSWORD_EXPIRED (all lead to ACTIVE). Refused for
    /// LOCKED_OUT (unlock or reset first), SUSPENDED and DEPROVISIONED users (Roster's choice), and
    /// for users whose provider holds no password (seeds 000/001: a FEDERATION user has no password
    /// that can be updated).
    SetPassword,
    /// The user changes their own password, proving the current one (`/credentials/change_password`
    /// or the authn flow after PASSWORD_EXPIRED). Allowed from ACTIVE and PASSWORD_EXPIRED; leads to
    /// ACTIVE. Needs a current password that Roster holds.
    ChangePassword,
    /// Too many failed sign-ins, as counted by the lockout policy. Allowed from ACTIVE and
    /// PASSWORD_EXPIRED (the statuses in which a password is checked at sign-in); leads to
    /// LOCKED_OUT.
    LockOut,
}

impl LifecycleOp {
    pub const ALL: [LifecycleOp; 12] = [
        LifecycleOp::Activate,
        LifecycleOp::Reactivate,
        LifecycleOp::Deactivate,
        LifecycleOp::Suspend,
        LifecycleOp::Unsuspend,
        LifecycleOp::Unlock,
        LifecycleOp::ResetPassword,
        LifecycleOp::ExpirePassword,
        LifecycleOp::Delete,
        LifecycleOp::SetPassword,
        LifecycleOp::ChangePassword,
        LifecycleOp::LockOut,
    ];

    /// The operation's name, as in Okta's lifecycle paths where it has one (`reset_password`).
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleOp::Activate => "activate",
            LifecycleOp::Reactivate => "reactivate",
            LifecycleOp::Deactivate => "deactivate",
            LifecycleOp::Suspend => "suspend",
            LifecycleOp::Unsuspend => "unsuspend",
            LifecycleOp::Unlock => "unlock",
            LifecycleOp::ResetPassword => "reset_password",
            LifecycleOp::ExpirePassword => "expire_password",
            LifecycleOp::Delete => "delete",
            LifecycleOp::SetPassword => "set_password",
            LifecycleOp::ChangePassword => "change_password",
            LifecycleOp::LockOut => "lock_out",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(s))
    }

    /// The statuses this operation is allowed from.
    pub fn allowed_from(self) -> &'static [UserStatus] {
        match self {
            LifecycleOp::Activate => &[Staged, Deprovisioned],
            LifecycleOp::Reactivate => &[Provisioned],
            LifecycleOp::Deactivate => &[
                Staged,
                Provisioned,
                Active,
                Recovery,
                LockedOut,
                PasswordExpired,
                Suspended,
            ],
            LifecycleOp::Suspend => &[Active],
            LifecycleOp::Unsuspend => &[Suspended],
            LifecycleOp::Unlock => &[LockedOut, Active],
            LifecycleOp::ResetPassword => &[Active, Recovery, PasswordExpired, LockedOut],
            LifecycleOp::ExpirePassword => &[Active, PasswordExpired],
            LifecycleOp::Delete => &[Deprovisioned],
            LifecycleOp::SetPassword => &[Staged, Provisioned, Active, Recovery, PasswordExpired],
            LifecycleOp::ChangePassword => &[Active, PasswordExpired],
            LifecycleOp::LockOut => &[Active, PasswordExpired],
        }
    }

    /// The System Log event type Okta records for this operation.
    pub fn event_type(self) -> &'static str {
        match self {
            LifecycleOp::Activate => "user.lifecycle.activate",
            LifecycleOp::Reactivate => "user.lifecycle.reactivate",
            LifecycleOp::Deactivate => "user.lifecycle.deactivate",
            LifecycleOp::Suspend => "user.lifecycle.suspend",
            LifecycleOp::Unsuspend => "user.lifecycle.unsuspend",
            LifecycleOp::Unlock => "user.account.unlock",
            LifecycleOp::ResetPassword => "user.account.reset_password",
            LifecycleOp::ExpirePassword => "user.account.expire_password",
            LifecycleOp::Delete => "user.lifecycle.delete.initiated",
            LifecycleOp::SetPassword | LifecycleOp::ChangePassword => {
                "user.account.update_password"
            }
            LifecycleOp::LockOut => "user.account.lock",
        }
    }
}

impl fmt::Display for LifecycleOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the lifecycle rules need to know about a user's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CredentialFacts {
    /// `credentials.provider.type`.
    pub provider: ProviderType,
    /// Whether a password hash is stored for the user.
    pub has_password: bool,
}

impl CredentialFacts {
    pub fn of(user: &User) -> Self {
        CredentialFacts {
            provider: user.credentials.provider.kind,
            has_password: user.credentials.password_hash.is_some(),
        }
    }

    /// Whether Roster holds passwords for this provider (OKTA, IMPORT).
    pub fn provider_holds_password(self) -> bool {
        self.provider.accepts_password()
    }

    /// Whether the user could sign in once active: with a stored password, or through a provider
    /// that signs them in elsewhere (FEDERATION, SOCIAL, ACTIVE_DIRECTORY, LDAP).
    pub fn can_sign_in(self) -> bool {
        !self.provider_holds_password() || self.has_password
    }
}

/// The result of the rules: a new status, or the removal of the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    To(UserStatus),
    Remove,
}

/// What [`apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The user was updated; `from` and `to` may be equal (for example `unlock` of an ACTIVE user).
    Updated { from: UserStatus, to: UserStatus },
    /// The caller must remove the user (and its memberships and assignments). The user is untouched.
    Remove,
}

impl Outcome {
    /// Whether the status changed.
    pub fn status_changed(self) -> bool {
        match self {
            Outcome::Updated { from, to } => from != to,
            Outcome::Remove => true,
        }
    }
}

/// A lifecycle operation that the rules refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// The operation is not allowed from the user's current status (Okta's E0000038).
    #[error("{} is not allowed while the user is {}", op.as_str(), status.as_str())]
    NotAllowedInStatus { op: LifecycleOp, status: UserStatus },
    /// The operation needs a password that Roster holds, and the user's provider keeps none here.
    #[error("{} needs a password held by roster, but the user's credentials come from {}", op.as_str(), provider.as_str())]
    PasswordNotHeld {
        op: LifecycleOp,
        provider: ProviderType,
    },
    /// The operation needs a current password, and the user has none.
    #[error("{} needs a current password, but the user has none", op.as_str())]
    NoCurrentPassword { op: LifecycleOp },
}

impl LifecycleError {
    /// Okta's error code: E0000038 for a status that does not allow the operation, E0000001 (API
    /// validation failed) for a credential that does not allow it.
    pub fn code(&self) -> &'static str {
        match self {
            LifecycleError::NotAllowedInStatus { .. } => "E0000038",
            LifecycleError::PasswordNotHeld { .. } | LifecycleError::NoCurrentPassword { .. } => {
                "E0000001"
            }
        }
    }

    /// The HTTP status Okta answers with for [`code`](Self::code).
    pub fn http_status(&self) -> u16 {
        match self {
            LifecycleError::NotAllowedInStatus { .. } => 403,
            LifecycleError::PasswordNotHeld { .. } | LifecycleError::NoCurrentPassword { .. } => {
                400
            }
        }
    }

    /// Okta's `errorSummary` for the code.
    pub fn summary(&self) -> &'static str {
        match self {
            LifecycleError::NotAllowedInStatus { .. } => {
                "This operation is not allowed in the user's current status."
            }
            LifecycleError::PasswordNotHeld { .. } | LifecycleError::NoCurrentPassword { .. } => {
                "Api validation failed: password"
            }
        }
    }

    /// Why the operation was refused, in plain words.
    pub fn cause(&self) -> String {
        match *self {
            LifecycleError::NotAllowedInStatus { op, status } => format!(
                "{} applies only to users who are {}, and this user is {}",
                op.as_str(),
                status_list(op.allowed_from()),
                status.as_str()
            ),
            LifecycleError::PasswordNotHeld { op, provider } => match provider {
                ProviderType::ActiveDirectory | ProviderType::Ldap => format!(
                    "the user's password lives in {} (credentials.provider.type), not in roster, so {} cannot work on it",
                    provider.as_str(),
                    op.as_str()
                ),
                _ => format!(
                    "the user's credentials come from {} (credentials.provider.type): they sign in without a roster password, so there is no password that {} can work on",
                    provider.as_str(),
                    op.as_str()
                ),
            },
            LifecycleError::NoCurrentPassword { op } => {
                format!("the user has no password yet, so {} has nothing to work on", op.as_str())
            }
        }
    }

    /// What to do about it, in plain words.
    pub fn remediation(&self) -> String {
        match *self {
            LifecycleError::NotAllowedInStatus { op, status } => status_remediation(op, status),
            LifecycleError::PasswordNotHeld { provider, .. } => match provider {
                ProviderType::ActiveDirectory | ProviderType::Ldap => format!(
                    "change the password in {} itself, or stop delegating authentication there",
                    provider.as_str()
                ),
                _ => format!(
                    "convert the user to the OKTA provider with POST /api/v1/users/{{id}}/lifecycle/reset_password and the body {{\"credentials\":{{\"provider\":{{\"type\":\"OKTA\",\"name\":\"OKTA\"}}}}}}, or stop managing this user's password: it comes from {}",
                    provider.as_str()
                ),
            },
            LifecycleError::NoCurrentPassword { op } => match op {
                LifecycleOp::ChangePassword => {
                    "set a password instead (an administrator, or the user through a reset link)".into()
                }
                _ => "set a password first; expiring is only meaningful for a password the user already has".into(),
            },
        }
    }
}

fn status_list(statuses: &[UserStatus]) -> String {
    let names: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {}", rest.join(", "), last),
    }
}

fn status_remediation(op: LifecycleOp, status: UserStatus) -> String {
    let s = status.as_str();
    let hint = match op {
        LifecycleOp::Delete => return format!("the user is {s}; deactivate it first, then delete it"),
        LifecycleOp::Deactivate => "it is already deactivated; delete it to remove it, or activate it to bring it back",
        LifecycleOp::Activate => match status {
            Provisioned => {
                "it was activated and has not chosen a password yet; use reactivate to send a new activation link"
            }
            Suspended => "unsuspend it instead",
            _ => "it is already activated; nothing needs to be done",
        },
        LifecycleOp::Reactivate => match status {
            Staged | Deprovisioned => "use activate instead",
            Suspended => "unsuspend it instead",
            _ => "it has finished activation; reactivate only restarts an unfinished one",
        },
        LifecycleOp::Suspend => match status {
            Staged | Provisioned => "it has not finished activation; deactivate it to stop it from being activated",
            Suspended => "it is already suspended; nothing needs to be done",
            Deprovisioned => "a deactivated user already has no access; nothing needs to be done",
            Recovery => "only ACTIVE users can be suspended; let the user finish the password reset first, or deactivate it to cut access now",
            LockedOut => "only ACTIVE users can be suspended; unlock it first, or deactivate it to cut access now",
            _ => "only ACTIVE users can be suspended; let the user change the expired password first, or deactivate it to cut access now",
        },
        LifecycleOp::Unsuspend => "it is not suspended; there is nothing to undo",
        LifecycleOp::Unlock => "it is not locked out; there is nothing to unlock",
        LifecycleOp::LockOut => "no action is needed: sign-in attempts are not counted in this status",
        LifecycleOp::ResetPassword => match status {
            Staged | Deprovisioned => "activate it; activation lets the user choose a password",
            Provisioned => "use reactivate to send a new activation link; the user chooses a password through it",
            _ => "unsuspend it first, then reset the password",
        },
        LifecycleOp::ExpirePassword => match status {
            Recovery => "it already has to set a new password through the reset link; nothing more is needed",
            LockedOut => "unlock it first, then expire the password",
            Suspended => "unsuspend it first, then expire the password",
            _ => "it has no password to expire until it is activated and has chosen one",
        },
        LifecycleOp::SetPassword => match status {
            LockedOut => {
                "unlock it first, or reset the password (the user leaves LOCKED_OUT once the new password is set)"
            }
            Suspended => "unsuspend it first, then set the password",
            _ => "activate it first (it becomes PROVISIONED), then set the password",
        },
        LifecycleOp::ChangePassword => match status {
            Recovery => "the user must set a password through the reset link instead",
            LockedOut => "unlock it first",
            Suspended => "unsuspend it first",
            Deprovisioned => "activate it first",
            _ => "it has not finished activation; the user chooses a password through the activation link",
        },
    };
    format!("the user is {s}; {hint}")
}

/// The lifecycle rules: where `op` takes a user who is `status` and has `creds`.
///
/// The status is checked first, then the credentials: a user who is both in the wrong status and
/// without a password gets the status error.
pub fn next_status(
    status: UserStatus,
    op: LifecycleOp,
    creds: CredentialFacts,
) -> Result<Transition, LifecycleError> {
    if !op.allowed_from().contains(&status) {
        return Err(LifecycleError::NotAllowedInStatus { op, status });
    }
    let signed_in_status = if creds.can_sign_in() {
        Active
    } else {
        Provisioned
    };
    let to = match op {
        LifecycleOp::Activate | LifecycleOp::Reactivate => signed_in_status,
        LifecycleOp::Deactivate => Deprovisioned,
        LifecycleOp::Suspend => Suspended,
        LifecycleOp::Unsuspend | LifecycleOp::Unlock => Active,
        LifecycleOp::ResetPassword => {
            if matches!(
                creds.provider,
                ProviderType::ActiveDirectory | ProviderType::Ldap
            ) {
                return Err(LifecycleError::PasswordNotHeld {
                    op,
                    provider: creds.provider,
                });
            }
            Recovery
        }
        LifecycleOp::ExpirePassword => {
            if !creds.provider_holds_password() {
                return Err(LifecycleError::PasswordNotHeld {
                    op,
                    provider: creds.provider,
                });
            }
            if !creds.has_password {
                return Err(LifecycleError::NoCurrentPassword { op });
            }
            PasswordExpired
        }
        LifecycleOp::Delete => return Ok(Transition::Remove),
        LifecycleOp::SetPassword => {
            if !creds.provider_holds_password() {
                return Err(LifecycleError::PasswordNotHeld {
                    op,
                    provider: creds.provider,
                });
            }
            if status == Staged {
                Staged
            } else {
                Active
            }
        }
        LifecycleOp::ChangePassword => {
            if !creds.provider_holds_password() {
                return Err(LifecycleError::PasswordNotHeld {
                    op,
                    provider: creds.provider,
                });
            }
            if !creds.has_password {
                return Err(LifecycleError::NoCurrentPassword { op });
            }
            Active
        }
        LifecycleOp::LockOut => LockedOut,
    };
    Ok(Transition::To(to))
}

/// The operations allowed for a user right now (for the user's `_links` and the console's buttons).
pub fn available_ops(status: UserStatus, creds: CredentialFacts) -> Vec<LifecycleOp> {
    LifecycleOp::ALL
        .into_iter()
        .filter(|&op| next_status(status, op, creds).is_ok())
        .collect()
}

/// Apply `op` to `user` at `now`.
///
/// On success, for a new status:
/// - `status` is set, and `status_changed` is set to `now` when the status actually changes;
/// - `activated` is set to `now` the first time the user becomes ACTIVE;
/// - `last_updated` is set to `now`;
/// - `deactivate` deletes the password (its hash moves to the front of `password_history`);
/// - `unlock`, `set_password`, `change_password` and `activate` clear `failed_logins`;
/// - `set_password` and `change_password` set `password_changed` to `now`: the caller stores the
///   new hash in `credentials.password_hash` (this crate never sees a password);
/// - `reset_password` converts a FEDERATION or SOCIAL user to the OKTA provider.
///
/// `version` is left to the store. `delete` leaves the user untouched and returns
/// [`Outcome::Remove`]. On error the user is untouched.
pub fn apply(user: &mut User, op: LifecycleOp, now: Timestamp) -> Result<Outcome, LifecycleError> {
    let from = user.status;
    let to = match next_status(from, op, CredentialFacts::of(user))? {
        Transition::Remove => return Ok(Outcome::Remove),
        Transition::To(to) => to,
    };
    user.status = to;
    if from != to {
        user.status_changed = Some(now);
    }
    if to == Active && user.activated.is_none() {
        user.activated = Some(now);
    }
    user.last_updated = now;
    match op {
        LifecycleOp::Deactivate => {
            if let Some(hash) = user.credentials.password_hash.take() {
                user.credentials.password_history.insert(0, hash);
            }
            user.failed_logins = 0;
        }
        LifecycleOp::Activate | LifecycleOp::Unlock => user.failed_logins = 0,
        LifecycleOp::SetPassword | LifecycleOp::ChangePassword => {
            user.failed_logins = 0;
            user.password_changed = Some(now);
        }
        LifecycleOp::ResetPassword => {
            if matches!(
                user.credentials.provider.kind,
                ProviderType::Federation | ProviderType::Social
            ) {
                user.credentials.provider = Provider::okta();
            }
        }
        LifecycleOp::Reactivate
        | LifecycleOp::Suspend
        | LifecycleOp::Unsuspend
        | LifecycleOp::ExpirePassword
        | LifecycleOp::Delete
        | LifecycleOp::LockOut => {}
    }
    Ok(Outcome::Updated { from, to })
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use expect_test::expect;
    use serde_json::Map;

    use super::*;
    use crate::user::Credentials;

    const OKTA_WITH_PASSWORD: CredentialFacts = CredentialFacts {
        provider: ProviderType::Okta,
        has_password: true,
    };
    const OKTA_NO_PASSWORD: CredentialFacts = CredentialFacts {
        provider: ProviderType::Okta,
        has_password: false,
    };
    const FEDERATION: CredentialFacts = CredentialFacts {
        provider: ProviderType::Federation,
        has_password: false,
    };
    const LDAP: CredentialFacts = CredentialFacts {
        provider: ProviderType::Ldap,
        has_password: false,
    };

    fn show(result: Result<Transition, LifecycleError>) -> String {
        match result {
            Ok(Transition::To(s)) => s.as_str().to_string(),
            Ok(Transition::Remove) => "(removed)".to_string(),
            Err(e) => format!("!{}", e.code()),
        }
    }

    /// Every (status, operation) pair, for a user with an OKTA password, an OKTA user without one,
    /// a FEDERATION user and an LDAP user. Any change to the rules shows here in review.
    #[test]
    fn transition_table_for_every_status_and_operation() {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<17} {:<16} {:<17} {:<17} {:<17} ldap",
            "status", "op", "okta+password", "okta", "federation"
        );
        for status in UserStatus::ALL {
            for op in LifecycleOp::ALL {
                let _ = writeln!(
                    out,
                    "{:<17} {:<16} {:<17} {:<17} {:<17} {}",
                    status.as_str(),
                    op.as_str(),
                    show(next_status(status, op, OKTA_WITH_PASSWORD)),
                    show(next_status(status, op, OKTA_NO_PASSWORD)),
                    show(next_status(status, op, FEDERATION)),
                    show(next_status(status, op, LDAP)),
                );
            }
        }
        expect![[r#"
            status            op               okta+password     okta              federation        ldap
            STAGED            activate         ACTIVE            PROVISIONED       ACTIVE            ACTIVE
            STAGED            reactivate       !E0000038         !E0000038         !E0000038         !E0000038
            STAGED            deactivate       DEPROVISIONED     DEPROVISIONED     DEPROVISIONED     DEPROVISIONED
            STAGED            suspend          !E0000038         !E0000038         !E0000038         !E0000038
            STAGED            unsuspend        !E0000038         !E0000038         !E0000038         !E0000038
            STAGED            unlock           !E0000038         !E0000038         !E0000038         !E0000038
            STAGED            reset_password   !E0000038         !E0000038         !E0000038         !E0000038
            STAGED            expire_password  !E0000038         !E0000038         !E0000038         !E0000038
            STAGED            delete           !E0000038         !E0000038         !E0000038         !E0000038
            STAGED            set_password     STAGED            STAGED            !E0000001         !E0000001
            STAGED            change_password  !E0000038         !E0000038         !E0000038         !E0000038
            STAGED            lock_out         !E0000038         !E0000038         !E0000038         !E0000038
            PROVISIONED       activate         !E0000038         !E0000038         !E0000038         !E0000038
            PROVISIONED       reactivate       ACTIVE            PROVISIONED       ACTIVE            ACTIVE
            PROVISIONED       deactivate       DEPROVISIONED     DEPROVISIONED     DEPROVISIONED     DEPROVISIONED
            PROVISIONED       suspend          !E0000038         !E0000038         !E0000038         !E0000038
            PROVISIONED       unsuspend        !E0000038         !E0000038         !E0000038         !E0000038
            PROVISIONED       unlock           !E0000038         !E0000038         !E0000038         !E0000038
            PROVISIONED       reset_password   !E0000038         !E0000038         !E0000038         !E0000038
            PROVISIONED       expire_password  !E0000038         !E0000038         !E0000038         !E0000038
            PROVISIONED       delete           !E0000038         !E0000038         !E0000038         !E0000038
            PROVISIONED       set_password     ACTIVE            ACTIVE            !E0000001         !E0000001
            PROVISIONED       change_password  !E0000038         !E0000038         !E0000038         !E0000038
            PROVISIONED       lock_out         !E0000038         !E0000038         !E0000038         !E0000038
            ACTIVE            activate         !E0000038         !E0000038         !E0000038         !E0000038
            ACTIVE            reactivate       !E0000038         !E0000038         !E0000038         !E0000038
            ACTIVE            deactivate       DEPROVISIONED     DEPROVISIONED     DEPROVISIONED     DEPROVISIONED
            ACTIVE            suspend          SUSPENDED         SUSPENDED         SUSPENDED         SUSPENDED
            ACTIVE            unsuspend        !E0000038         !E0000038         !E0000038         !E0000038
            ACTIVE            unlock           ACTIVE            ACTIVE            ACTIVE            ACTIVE
            ACTIVE            reset_password   RECOVERY          RECOVERY          RECOVERY          !E0000001
            ACTIVE            expire_password  PASSWORD_EXPIRED  !E0000001         !E0000001         !E0000001
            ACTIVE            delete           !E0000038         !E0000038         !E0000038         !E0000038
            ACTIVE            set_password     ACTIVE            ACTIVE            !E0000001         !E0000001
            ACTIVE            change_password  ACTIVE            !E0000001         !E0000001         !E0000001
            ACTIVE            lock_out         LOCKED_OUT        LOCKED_OUT        LOCKED_OUT        LOCKED_OUT
            RECOVERY          activate         !E0000038         !E0000038         !E0000038         !E0000038
            RECOVERY          reactivate       !E0000038         !E0000038         !E0000038         !E0000038
            RECOVERY          deactivate       DEPROVISIONED     DEPROVISIONED     DEPROVISIONED     DEPROVISIONED
            RECOVERY          suspend          !E0000038         !E0000038         !E0000038         !E0000038
            RECOVERY          unsuspend        !E0000038         !E0000038         !E0000038         !E0000038
            RECOVERY          unlock           !E0000038         !E0000038         !E0000038         !E0000038
            RECOVERY          reset_password   RECOVERY          RECOVERY          RECOVERY          !E0000001
            RECOVERY          expire_password  !E0000038         !E0000038         !E0000038         !E0000038
            RECOVERY          delete           !E0000038         !E0000038         !E0000038         !E0000038
            RECOVERY          set_password     ACTIVE            ACTIVE            !E0000001         !E0000001
            RECOVERY          change_password  !E0000038         !E0000038         !E0000038         !E0000038
            RECOVERY          lock_out         !E0000038         !E0000038         !E0000038         !E0000038
            LOCKED_OUT        activate         !E0000038         !E0000038         !E0000038         !E0000038
            LOCKED_OUT        reactivate       !E0000038         !E0000038         !E0000038         !E0000038
            LOCKED_OUT        deactivate       DEPROVISIONED     DEPROVISIONED     DEPROVISIONED     DEPROVISIONED
            LOCKED_OUT        suspend          !E0000038         !E0000038         !E0000038         !E0000038
            LOCKED_OUT        unsuspend        !E0000038         !E0000038         !E0000038         !E0000038
            LOCKED_OUT        unlock           ACTIVE            ACTIVE            ACTIVE            ACTIVE
            LOCKED_OUT        reset_password   RECOVERY          RECOVERY          RECOVERY          !E0000001
            LOCKED_OUT        expire_password  !E0000038         !E0000038         !E0000038         !E0000038
            LOCKED_OUT        delete           !E0000038         !E0000038         !E0000038         !E0000038
            LOCKED_OUT        set_password     !E0000038         !E0000038         !E0000038         !E0000038
            LOCKED_OUT        change_password  !E0000038         !E0000038         !E0000038         !E0000038
            LOCKED_OUT        lock_out         !E0000038         !E0000038         !E0000038         !E0000038
            PASSWORD_EXPIRED  activate         !E0000038         !E0000038         !E0000038         !E0000038
            PASSWORD_EXPIRED  reactivate       !E0000038         !E0000038         !E0000038         !E0000038
            PASSWORD_EXPIRED  deactivate       DEPROVISIONED     DEPROVISIONED     DEPROVISIONED     DEPROVISIONED
            PASSWORD_EXPIRED  suspend          !E0000038         !E0000038         !E0000038         !E0000038
            PASSWORD_EXPIRED  unsuspend        !E0000038         !E0000038         !E0000038         !E0000038
            PASSWORD_EXPIRED  unlock           !E0000038         !E0000038         !E0000038         !E0000038
            PASSWORD_EXPIRED  reset_password   RECOVERY          RECOVERY          RECOVERY          !E0000001
            PASSWORD_EXPIRED  expire_password  PASSWORD_EXPIRED  !E0000001         !E0000001         !E0000001
            PASSWORD_EXPIRED  delete           !E0000038         !E0000038         !E0000038         !E0000038
            PASSWORD_EXPIRED  set_password     ACTIVE            ACTIVE            !E0000001         !E0000001
            PASSWORD_EXPIRED  change_password  ACTIVE            !E0000001         !E0000001         !E0000001
            PASSWORD_EXPIRED  lock_out         LOCKED_OUT        LOCKED_OUT        LOCKED_OUT        LOCKED_OUT
            SUSPENDED         activate         !E0000038         !E0000038         !E0000038         !E0000038
            SUSPENDED         reactivate       !E0000038         !E0000038         !E0000038         !E0000038
            SUSPENDED         deactivate       DEPROVISIONED     DEPROVISIONED     DEPROVISIONED     DEPROVISIONED
            SUSPENDED         suspend          !E0000038         !E0000038         !E0000038         !E0000038
            SUSPENDED         unsuspend        ACTIVE            ACTIVE            ACTIVE            ACTIVE
            SUSPENDED         unlock           !E0000038         !E0000038         !E0000038         !E0000038
            SUSPENDED         reset_password   !E0000038         !E0000038         !E0000038         !E0000038
            SUSPENDED         expire_password  !E0000038         !E0000038         !E0000038         !E0000038
            SUSPENDED         delete           !E0000038         !E0000038         !E0000038         !E0000038
            SUSPENDED         set_password     !E0000038         !E0000038         !E0000038         !E0000038
            SUSPENDED         change_password  !E0000038         !E0000038         !E0000038         !E0000038
            SUSPENDED         lock_out         !E0000038         !E0000038         !E0000038         !E0000038
            DEPROVISIONED     activate         ACTIVE            PROVISIONED       ACTIVE            ACTIVE
            DEPROVISIONED     reactivate       !E0000038         !E0000038         !E0000038         !E0000038
            DEPROVISIONED     deactivate       !E0000038         !E0000038         !E0000038         !E0000038
            DEPROVISIONED     suspend          !E0000038         !E0000038         !E0000038         !E0000038
            DEPROVISIONED     unsuspend        !E0000038         !E0000038         !E0000038         !E0000038
            DEPROVISIONED     unlock           !E0000038         !E0000038         !E0000038         !E0000038
            DEPROVISIONED     reset_password   !E0000038         !E0000038         !E0000038         !E0000038
            DEPROVISIONED     expire_password  !E0000038         !E0000038         !E0000038         !E0000038
            DEPROVISIONED     delete           (removed)         (removed)         (removed)         (removed)
            DEPROVISIONED     set_password     !E0000038         !E0000038         !E0000038         !E0000038
            DEPROVISIONED     change_password  !E0000038         !E0000038         !E0000038         !E0000038
            DEPROVISIONED     lock_out         !E0000038         !E0000038         !E0000038         !E0000038
        "#]]
        .assert_eq(&out);
    }

    /// The cause and remediation of every refusal for an OKTA user with a password.
    #[test]
    fn every_refusal_explains_itself() {
        let mut out = String::new();
        for status in UserStatus::ALL {
            for op in LifecycleOp::ALL {
                if let Err(e) = next_status(status, op, OKTA_WITH_PASSWORD) {
                    let _ = writeln!(
                        out,
                        "{} {}: {}\n  {}\n  fix: {}",
                        status.as_str(),
                        op.as_str(),
                        e,
                        e.cause(),
                        e.remediation()
                    );
                }
            }
        }
        expect![[r#"
            STAGED reactivate: reactivate is not allowed while the user is STAGED
              reactivate applies only to users who are PROVISIONED, and this user is STAGED
              fix: the user is STAGED; use activate instead
            STAGED suspend: suspend is not allowed while the user is STAGED
              suspend applies only to users who are ACTIVE, and this user is STAGED
              fix: the user is STAGED; it has not finished activation; deactivate it to stop it from being activated
            STAGED unsuspend: unsuspend is not allowed while the user is STAGED
              unsuspend applies only to users who are SUSPENDED, and this user is STAGED
              fix: the user is STAGED; it is not suspended; there is nothing to undo
            STAGED unlock: unlock is not allowed while the user is STAGED
              unlock applies only to users who are LOCKED_OUT or ACTIVE, and this user is STAGED
              fix: the user is STAGED; it is not locked out; there is nothing to unlock
            STAGED reset_password: reset_password is not allowed while the user is STAGED
              reset_password applies only to users who are ACTIVE, RECOVERY, PASSWORD_EXPIRED or LOCKED_OUT, and this user is STAGED
              fix: the user is STAGED; activate it; activation lets the user choose a password
            STAGED expire_password: expire_password is not allowed while the user is STAGED
              expire_password applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is STAGED
              fix: the user is STAGED; it has no password to expire until it is activated and has chosen one
            STAGED delete: delete is not allowed while the user is STAGED
              delete applies only to users who are DEPROVISIONED, and this user is STAGED
              fix: the user is STAGED; deactivate it first, then delete it
            STAGED change_password: change_password is not allowed while the user is STAGED
              change_password applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is STAGED
              fix: the user is STAGED; it has not finished activation; the user chooses a password through the activation link
            STAGED lock_out: lock_out is not allowed while the user is STAGED
              lock_out applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is STAGED
              fix: the user is STAGED; no action is needed: sign-in attempts are not counted in this status
            PROVISIONED activate: activate is not allowed while the user is PROVISIONED
              activate applies only to users who are STAGED or DEPROVISIONED, and this user is PROVISIONED
              fix: the user is PROVISIONED; it was activated and has not chosen a password yet; use reactivate to send a new activation link
            PROVISIONED suspend: suspend is not allowed while the user is PROVISIONED
              suspend applies only to users who are ACTIVE, and this user is PROVISIONED
              fix: the user is PROVISIONED; it has not finished activation; deactivate it to stop it from being activated
            PROVISIONED unsuspend: unsuspend is not allowed while the user is PROVISIONED
              unsuspend applies only to users who are SUSPENDED, and this user is PROVISIONED
              fix: the user is PROVISIONED; it is not suspended; there is nothing to undo
            PROVISIONED unlock: unlock is not allowed while the user is PROVISIONED
              unlock applies only to users who are LOCKED_OUT or ACTIVE, and this user is PROVISIONED
              fix: the user is PROVISIONED; it is not locked out; there is nothing to unlock
            PROVISIONED reset_password: reset_password is not allowed while the user is PROVISIONED
              reset_password applies only to users who are ACTIVE, RECOVERY, PASSWORD_EXPIRED or LOCKED_OUT, and this user is PROVISIONED
              fix: the user is PROVISIONED; use reactivate to send a new activation link; the user chooses a password through it
            PROVISIONED expire_password: expire_password is not allowed while the user is PROVISIONED
              expire_password applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is PROVISIONED
              fix: the user is PROVISIONED; it has no password to expire until it is activated and has chosen one
            PROVISIONED delete: delete is not allowed while the user is PROVISIONED
              delete applies only to users who are DEPROVISIONED, and this user is PROVISIONED
              fix: the user is PROVISIONED; deactivate it first, then delete it
            PROVISIONED change_password: change_password is not allowed while the user is PROVISIONED
              change_password applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is PROVISIONED
              fix: the user is PROVISIONED; it has not finished activation; the user chooses a password through the activation link
            PROVISIONED lock_out: lock_out is not allowed while the user is PROVISIONED
              lock_out applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is PROVISIONED
              fix: the user is PROVISIONED; no action is needed: sign-in attempts are not counted in this status
            ACTIVE activate: activate is not allowed while the user is ACTIVE
              activate applies only to users who are STAGED or DEPROVISIONED, and this user is ACTIVE
              fix: the user is ACTIVE; it is already activated; nothing needs to be done
            ACTIVE reactivate: reactivate is not allowed while the user is ACTIVE
              reactivate applies only to users who are PROVISIONED, and this user is ACTIVE
              fix: the user is ACTIVE; it has finished activation; reactivate only restarts an unfinished one
            ACTIVE unsuspend: unsuspend is not allowed while the user is ACTIVE
              unsuspend applies only to users who are SUSPENDED, and this user is ACTIVE
              fix: the user is ACTIVE; it is not suspended; there is nothing to undo
            ACTIVE delete: delete is not allowed while the user is ACTIVE
              delete applies only to users who are DEPROVISIONED, and this user is ACTIVE
              fix: the user is ACTIVE; deactivate it first, then delete it
            RECOVERY activate: activate is not allowed while the user is RECOVERY
              activate applies only to users who are STAGED or DEPROVISIONED, and this user is RECOVERY
              fix: the user is RECOVERY; it is already activated; nothing needs to be done
            RECOVERY reactivate: reactivate is not allowed while the user is RECOVERY
              reactivate applies only to users who are PROVISIONED, and this user is RECOVERY
              fix: the user is RECOVERY; it has finished activation; reactivate only restarts an unfinished one
            RECOVERY suspend: suspend is not allowed while the user is RECOVERY
              suspend applies only to users who are ACTIVE, and this user is RECOVERY
              fix: the user is RECOVERY; only ACTIVE users can be suspended; let the user finish the password reset first, or deactivate it to cut access now
            RECOVERY unsuspend: unsuspend is not allowed while the user is RECOVERY
              unsuspend applies only to users who are SUSPENDED, and this user is RECOVERY
              fix: the user is RECOVERY; it is not suspended; there is nothing to undo
            RECOVERY unlock: unlock is not allowed while the user is RECOVERY
              unlock applies only to users who are LOCKED_OUT or ACTIVE, and this user is RECOVERY
              fix: the user is RECOVERY; it is not locked out; there is nothing to unlock
            RECOVERY expire_password: expire_password is not allowed while the user is RECOVERY
              expire_password applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is RECOVERY
              fix: the user is RECOVERY; it already has to set a new password through the reset link; nothing more is needed
            RECOVERY delete: delete is not allowed while the user is RECOVERY
              delete applies only to users who are DEPROVISIONED, and this user is RECOVERY
              fix: the user is RECOVERY; deactivate it first, then delete it
            RECOVERY change_password: change_password is not allowed while the user is RECOVERY
              change_password applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is RECOVERY
              fix: the user is RECOVERY; the user must set a password through the reset link instead
            RECOVERY lock_out: lock_out is not allowed while the user is RECOVERY
              lock_out applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is RECOVERY
              fix: the user is RECOVERY; no action is needed: sign-in attempts are not counted in this status
            LOCKED_OUT activate: activate is not allowed while the user is LOCKED_OUT
              activate applies only to users who are STAGED or DEPROVISIONED, and this user is LOCKED_OUT
              fix: the user is LOCKED_OUT; it is already activated; nothing needs to be done
            LOCKED_OUT reactivate: reactivate is not allowed while the user is LOCKED_OUT
              reactivate applies only to users who are PROVISIONED, and this user is LOCKED_OUT
              fix: the user is LOCKED_OUT; it has finished activation; reactivate only restarts an unfinished one
            LOCKED_OUT suspend: suspend is not allowed while the user is LOCKED_OUT
              suspend applies only to users who are ACTIVE, and this user is LOCKED_OUT
              fix: the user is LOCKED_OUT; only ACTIVE users can be suspended; unlock it first, or deactivate it to cut access now
            LOCKED_OUT unsuspend: unsuspend is not allowed while the user is LOCKED_OUT
              unsuspend applies only to users who are SUSPENDED, and this user is LOCKED_OUT
              fix: the user is LOCKED_OUT; it is not suspended; there is nothing to undo
            LOCKED_OUT expire_password: expire_password is not allowed while the user is LOCKED_OUT
              expire_password applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is LOCKED_OUT
              fix: the user is LOCKED_OUT; unlock it first, then expire the password
            LOCKED_OUT delete: delete is not allowed while the user is LOCKED_OUT
              delete applies only to users who are DEPROVISIONED, and this user is LOCKED_OUT
              fix: the user is LOCKED_OUT; deactivate it first, then delete it
            LOCKED_OUT set_password: set_password is not allowed while the user is LOCKED_OUT
              set_password applies only to users who are STAGED, PROVISIONED, ACTIVE, RECOVERY or PASSWORD_EXPIRED, and this user is LOCKED_OUT
              fix: the user is LOCKED_OUT; unlock it first, or reset the password (the user leaves LOCKED_OUT once the new password is set)
            LOCKED_OUT change_password: change_password is not allowed while the user is LOCKED_OUT
              change_password applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is LOCKED_OUT
              fix: the user is LOCKED_OUT; unlock it first
            LOCKED_OUT lock_out: lock_out is not allowed while the user is LOCKED_OUT
              lock_out applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is LOCKED_OUT
              fix: the user is LOCKED_OUT; no action is needed: sign-in attempts are not counted in this status
            PASSWORD_EXPIRED activate: activate is not allowed while the user is PASSWORD_EXPIRED
              activate applies only to users who are STAGED or DEPROVISIONED, and this user is PASSWORD_EXPIRED
              fix: the user is PASSWORD_EXPIRED; it is already activated; nothing needs to be done
            PASSWORD_EXPIRED reactivate: reactivate is not allowed while the user is PASSWORD_EXPIRED
              reactivate applies only to users who are PROVISIONED, and this user is PASSWORD_EXPIRED
              fix: the user is PASSWORD_EXPIRED; it has finished activation; reactivate only restarts an unfinished one
            PASSWORD_EXPIRED suspend: suspend is not allowed while the user is PASSWORD_EXPIRED
              suspend applies only to users who are ACTIVE, and this user is PASSWORD_EXPIRED
              fix: the user is PASSWORD_EXPIRED; only ACTIVE users can be suspended; let the user change the expired password first, or deactivate it to cut access now
            PASSWORD_EXPIRED unsuspend: unsuspend is not allowed while the user is PASSWORD_EXPIRED
              unsuspend applies only to users who are SUSPENDED, and this user is PASSWORD_EXPIRED
              fix: the user is PASSWORD_EXPIRED; it is not suspended; there is nothing to undo
            PASSWORD_EXPIRED unlock: unlock is not allowed while the user is PASSWORD_EXPIRED
              unlock applies only to users who are LOCKED_OUT or ACTIVE, and this user is PASSWORD_EXPIRED
              fix: the user is PASSWORD_EXPIRED; it is not locked out; there is nothing to unlock
            PASSWORD_EXPIRED delete: delete is not allowed while the user is PASSWORD_EXPIRED
              delete applies only to users who are DEPROVISIONED, and this user is PASSWORD_EXPIRED
              fix: the user is PASSWORD_EXPIRED; deactivate it first, then delete it
            SUSPENDED activate: activate is not allowed while the user is SUSPENDED
              activate applies only to users who are STAGED or DEPROVISIONED, and this user is SUSPENDED
              fix: the user is SUSPENDED; unsuspend it instead
            SUSPENDED reactivate: reactivate is not allowed while the user is SUSPENDED
              reactivate applies only to users who are PROVISIONED, and this user is SUSPENDED
              fix: the user is SUSPENDED; unsuspend it instead
            SUSPENDED suspend: suspend is not allowed while the user is SUSPENDED
              suspend applies only to users who are ACTIVE, and this user is SUSPENDED
              fix: the user is SUSPENDED; it is already suspended; nothing needs to be done
            SUSPENDED unlock: unlock is not allowed while the user is SUSPENDED
              unlock applies only to users who are LOCKED_OUT or ACTIVE, and this user is SUSPENDED
              fix: the user is SUSPENDED; it is not locked out; there is nothing to unlock
            SUSPENDED reset_password: reset_password is not allowed while the user is SUSPENDED
              reset_password applies only to users who are ACTIVE, RECOVERY, PASSWORD_EXPIRED or LOCKED_OUT, and this user is SUSPENDED
              fix: the user is SUSPENDED; unsuspend it first, then reset the password
            SUSPENDED expire_password: expire_password is not allowed while the user is SUSPENDED
              expire_password applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is SUSPENDED
              fix: the user is SUSPENDED; unsuspend it first, then expire the password
            SUSPENDED delete: delete is not allowed while the user is SUSPENDED
              delete applies only to users who are DEPROVISIONED, and this user is SUSPENDED
              fix: the user is SUSPENDED; deactivate it first, then delete it
            SUSPENDED set_password: set_password is not allowed while the user is SUSPENDED
              set_password applies only to users who are STAGED, PROVISIONED, ACTIVE, RECOVERY or PASSWORD_EXPIRED, and this user is SUSPENDED
              fix: the user is SUSPENDED; unsuspend it first, then set the password
            SUSPENDED change_password: change_password is not allowed while the user is SUSPENDED
              change_password applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is SUSPENDED
              fix: the user is SUSPENDED; unsuspend it first
            SUSPENDED lock_out: lock_out is not allowed while the user is SUSPENDED
              lock_out applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is SUSPENDED
              fix: the user is SUSPENDED; no action is needed: sign-in attempts are not counted in this status
            DEPROVISIONED reactivate: reactivate is not allowed while the user is DEPROVISIONED
              reactivate applies only to users who are PROVISIONED, and this user is DEPROVISIONED
              fix: the user is DEPROVISIONED; use activate instead
            DEPROVISIONED deactivate: deactivate is not allowed while the user is DEPROVISIONED
              deactivate applies only to users who are STAGED, PROVISIONED, ACTIVE, RECOVERY, LOCKED_OUT, PASSWORD_EXPIRED or SUSPENDED, and this user is DEPROVISIONED
              fix: the user is DEPROVISIONED; it is already deactivated; delete it to remove it, or activate it to bring it back
            DEPROVISIONED suspend: suspend is not allowed while the user is DEPROVISIONED
              suspend applies only to users who are ACTIVE, and this user is DEPROVISIONED
              fix: the user is DEPROVISIONED; a deactivated user already has no access; nothing needs to be done
            DEPROVISIONED unsuspend: unsuspend is not allowed while the user is DEPROVISIONED
              unsuspend applies only to users who are SUSPENDED, and this user is DEPROVISIONED
              fix: the user is DEPROVISIONED; it is not suspended; there is nothing to undo
            DEPROVISIONED unlock: unlock is not allowed while the user is DEPROVISIONED
              unlock applies only to users who are LOCKED_OUT or ACTIVE, and this user is DEPROVISIONED
              fix: the user is DEPROVISIONED; it is not locked out; there is nothing to unlock
            DEPROVISIONED reset_password: reset_password is not allowed while the user is DEPROVISIONED
              reset_password applies only to users who are ACTIVE, RECOVERY, PASSWORD_EXPIRED or LOCKED_OUT, and this user is DEPROVISIONED
              fix: the user is DEPROVISIONED; activate it; activation lets the user choose a password
            DEPROVISIONED expire_password: expire_password is not allowed while the user is DEPROVISIONED
              expire_password applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is DEPROVISIONED
              fix: the user is DEPROVISIONED; it has no password to expire until it is activated and has chosen one
            DEPROVISIONED set_password: set_password is not allowed while the user is DEPROVISIONED
              set_password applies only to users who are STAGED, PROVISIONED, ACTIVE, RECOVERY or PASSWORD_EXPIRED, and this user is DEPROVISIONED
              fix: the user is DEPROVISIONED; activate it first (it becomes PROVISIONED), then set the password
            DEPROVISIONED change_password: change_password is not allowed while the user is DEPROVISIONED
              change_password applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is DEPROVISIONED
              fix: the user is DEPROVISIONED; activate it first
            DEPROVISIONED lock_out: lock_out is not allowed while the user is DEPROVISIONED
              lock_out applies only to users who are ACTIVE or PASSWORD_EXPIRED, and this user is DEPROVISIONED
              fix: the user is DEPROVISIONED; no action is needed: sign-in attempts are not counted in this status
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn credential_errors_explain_themselves() {
        let mut out = String::new();
        let cases = [
            (UserStatus::Active, LifecycleOp::SetPassword, FEDERATION),
            (UserStatus::Active, LifecycleOp::ResetPassword, LDAP),
            (
                UserStatus::Active,
                LifecycleOp::ExpirePassword,
                OKTA_NO_PASSWORD,
            ),
            (
                UserStatus::Active,
                LifecycleOp::ChangePassword,
                OKTA_NO_PASSWORD,
            ),
        ];
        for (status, op, creds) in cases {
            if let Err(e) = next_status(status, op, creds) {
                let _ = writeln!(
                    out,
                    "{} {} ({}): {}\n  {}\n  fix: {}",
                    e.code(),
                    e.http_status(),
                    e.summary(),
                    e,
                    e.cause(),
                    e.remediation()
                );
            }
        }
        expect![[r#"
            E0000001 400 (Api validation failed: password): set_password needs a password held by roster, but the user's credentials come from FEDERATION
              the user's credentials come from FEDERATION (credentials.provider.type): they sign in without a roster password, so there is no password that set_password can work on
              fix: convert the user to the OKTA provider with POST /api/v1/users/{id}/lifecycle/reset_password and the body {"credentials":{"provider":{"type":"OKTA","name":"OKTA"}}}, or stop managing this user's password: it comes from FEDERATION
            E0000001 400 (Api validation failed: password): reset_password needs a password held by roster, but the user's credentials come from LDAP
              the user's password lives in LDAP (credentials.provider.type), not in roster, so reset_password cannot work on it
              fix: change the password in LDAP itself, or stop delegating authentication there
            E0000001 400 (Api validation failed: password): expire_password needs a current password, but the user has none
              the user has no password yet, so expire_password has nothing to work on
              fix: set a password first; expiring is only meaningful for a password the user already has
            E0000001 400 (Api validation failed: password): change_password needs a current password, but the user has none
              the user has no password yet, so change_password has nothing to work on
              fix: set a password instead (an administrator, or the user through a reset link)
        "#]]
        .assert_eq(&out);
    }

    fn user(status: UserStatus, credentials: Credentials) -> User {
        User::new(
            "00u1".into(),
            status,
            Map::new(),
            credentials,
            Timestamp::from_millis(1_000),
        )
    }

    fn with_password() -> Credentials {
        Credentials {
            password_hash: Some("$argon2id$hash".into()),
            ..Credentials::okta()
        }
    }

    #[test]
    fn activating_a_staged_user_with_password_sets_activated_and_status_changed() {
        let mut u = user(UserStatus::Staged, with_password());
        let now = Timestamp::from_millis(5_000);
        let outcome = apply(&mut u, LifecycleOp::Activate, now);
        assert_eq!(
            outcome,
            Ok(Outcome::Updated {
                from: UserStatus::Staged,
                to: UserStatus::Active
            })
        );
        assert_eq!(u.status, UserStatus::Active);
        assert_eq!(u.activated, Some(now));
        assert_eq!(u.status_changed, Some(now));
        assert_eq!(u.last_updated, now);
    }

    #[test]
    fn activated_keeps_the_first_activation_time() {
        let mut u = user(UserStatus::Active, with_password());
        let first = u.activated;
        assert!(first.is_some());
        apply(&mut u, LifecycleOp::Suspend, Timestamp::from_millis(2_000)).unwrap();
        apply(
            &mut u,
            LifecycleOp::Unsuspend,
            Timestamp::from_millis(3_000),
        )
        .unwrap();
        assert_eq!(u.activated, first);
        assert_eq!(u.status_changed, Some(Timestamp::from_millis(3_000)));
    }

    #[test]
    fn deactivate_deletes_the_password_so_activate_gives_provisioned() {
        let mut u = user(UserStatus::Active, with_password());
        apply(
            &mut u,
            LifecycleOp::Deactivate,
            Timestamp::from_millis(2_000),
        )
        .unwrap();
        assert_eq!(u.status, UserStatus::Deprovisioned);
        assert_eq!(u.credentials.password_hash, None);
        assert_eq!(
            u.credentials.password_history,
            vec!["$argon2id$hash".to_string()]
        );
        let outcome = apply(&mut u, LifecycleOp::Activate, Timestamp::from_millis(3_000)).unwrap();
        assert_eq!(
            outcome,
            Outcome::Updated {
                from: UserStatus::Deprovisioned,
                to: UserStatus::Provisioned
            }
        );
    }

    #[test]
    fn delete_returns_remove_and_leaves_the_user_untouched() {
        let mut u = user(UserStatus::Deprovisioned, Credentials::okta());
        let before = u.clone();
        assert_eq!(
            apply(&mut u, LifecycleOp::Delete, Timestamp::from_millis(9_000)),
            Ok(Outcome::Remove)
        );
        assert_eq!(u, before);
    }

    #[test]
    fn a_refused_operation_leaves_the_user_untouched() {
        let mut u = user(UserStatus::Active, with_password());
        let before = u.clone();
        let err = apply(&mut u, LifecycleOp::Delete, Timestamp::from_millis(9_000)).unwrap_err();
        assert_eq!(
            err,
            LifecycleError::NotAllowedInStatus {
                op: LifecycleOp::Delete,
                status: UserStatus::Active
            }
        );
        assert_eq!(u, before);
    }

    /// Story 1: a FEDERATION hub user is converted by reset_password, then takes the synced password.
    #[test]
    fn federated_user_is_converted_by_reset_password_then_accepts_a_password() {
        let mut u = user(
            UserStatus::Active,
            Credentials {
                provider: Provider::federation(),
                ..Credentials::okta()
            },
        );
        assert!(matches!(
            apply(
                &mut u,
                LifecycleOp::SetPassword,
                Timestamp::from_millis(2_000)
            ),
            Err(LifecycleError::PasswordNotHeld {
                provider: ProviderType::Federation,
                ..
            })
        ));
        apply(
            &mut u,
            LifecycleOp::ResetPassword,
            Timestamp::from_millis(3_000),
        )
        .unwrap();
        assert_eq!(u.status, UserStatus::Recovery);
        assert_eq!(u.credentials.provider, Provider::okta());
        u.credentials.password_hash = Some("$argon2id$new".into());
        let outcome = apply(
            &mut u,
            LifecycleOp::SetPassword,
            Timestamp::from_millis(4_000),
        )
        .unwrap();
        assert_eq!(
            outcome,
            Outcome::Updated {
                from: UserStatus::Recovery,
                to: UserStatus::Active
            }
        );
        assert_eq!(u.password_changed, Some(Timestamp::from_millis(4_000)));
    }

    #[test]
    fn unlock_clears_failed_sign_ins() {
        let mut u = user(UserStatus::Active, with_password());
        u.failed_logins = 5;
        apply(&mut u, LifecycleOp::LockOut, Timestamp::from_millis(2_000)).unwrap();
        assert_eq!(u.status, UserStatus::LockedOut);
        assert_eq!(u.failed_logins, 5);
        apply(&mut u, LifecycleOp::Unlock, Timestamp::from_millis(3_000)).unwrap();
        assert_eq!(u.status, UserStatus::Active);
        assert_eq!(u.failed_logins, 0);
    }

    #[test]
    fn unlock_of_an_active_user_keeps_status_changed() {
        let mut u = user(UserStatus::Active, with_password());
        let outcome = apply(&mut u, LifecycleOp::Unlock, Timestamp::from_millis(2_000)).unwrap();
        assert!(!outcome.status_changed());
        assert_eq!(u.status_changed, None);
        assert_eq!(u.last_updated, Timestamp::from_millis(2_000));
    }

    #[test]
    fn available_ops_match_next_status() {
        let ops: Vec<&str> = available_ops(UserStatus::Active, OKTA_WITH_PASSWORD)
            .into_iter()
            .map(LifecycleOp::as_str)
            .collect();
        assert_eq!(
            ops,
            [
                "deactivate",
                "suspend",
                "unlock",
                "reset_password",
                "expire_password",
                "set_password",
                "change_password",
                "lock_out"
            ]
        );
    }

    #[test]
    fn op_names_round_trip() {
        for op in LifecycleOp::ALL {
            assert_eq!(LifecycleOp::parse(op.as_str()), Some(op));
            assert_eq!(
                serde_json::to_value(op).unwrap(),
                serde_json::Value::String(op.as_str().into())
            );
        }
    }
}
